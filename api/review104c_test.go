package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir/search"
)

// Review 104c: the FHIR API as an integration engineer's standard client
// uses it (SPEC §3, §7): does the CapabilityStatement tell the truth?
// TestReview104cPreferAmongOtherPreferences failed before preferredReturn
// (a Prefer header of more than "return=minimal" alone was not heard).

// r104cCap is the part of the CapabilityStatement the walk reads.
type r104cCap struct {
	ResourceType string   `json:"resourceType"`
	FHIRVersion  string   `json:"fhirVersion"`
	Format       []string `json:"format"`
	Rest         []struct {
		Interaction []struct {
			Code string `json:"code"`
		} `json:"interaction"`
		Resource []struct {
			Type        string `json:"type"`
			Interaction []struct {
				Code string `json:"code"`
			} `json:"interaction"`
			SearchParam []struct {
				Name          string `json:"name"`
				Type          string `json:"type"`
				Documentation string `json:"documentation"`
			} `json:"searchParam"`
			Versioning    string   `json:"versioning"`
			SearchInclude []string `json:"searchInclude"`
		} `json:"resource"`
	} `json:"rest"`
}

func r104cMetadata(t *testing.T, e *env) r104cCap {
	t.Helper()
	r := e.do("GET", "/fhir/metadata", "", "")
	if r.status != 200 {
		t.Fatalf("metadata: %d %.300s", r.status, r.body)
	}
	var c r104cCap
	if err := json.Unmarshal([]byte(r.body), &c); err != nil || c.ResourceType != "CapabilityStatement" || len(c.Rest) != 1 {
		t.Fatalf("metadata is not one CapabilityStatement with one rest: %v %.300s", err, r.body)
	}
	return c
}

// r104cValues: one query per form FHIR R4 gives a parameter of its type.
func r104cValues(rt, name, typ string) []string {
	q := url.QueryEscape
	var vs []string
	switch typ {
	case "token":
		if rt == "AuditEvent" && name == "outcome" {
			return []string{"outcome=0"}
		}
		vs = []string{name + "=" + q("http://example.org/cs|abc"), name + "=" + q("|abc"), name + "=" + q("http://example.org/cs|"), name + "=abc", name + ":not=abc"}
		if name != "_id" {
			vs = append(vs, name+":missing=true")
		}
	case "date":
		for _, p := range []string{"", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"} {
			vs = append(vs, name+"="+p+"2024-01-01")
		}
		vs = append(vs, name+"=ge"+q("2024-01-01T10:00:00Z"))
		if name != "_lastUpdated" {
			vs = append(vs, name+":missing=true")
		}
	case "reference":
		tt := "Patient"
		targets := search.Params(rt)[name].Targets
		if len(targets) > 0 {
			tt = targets[0]
		}
		vs = []string{name + "=" + q(tt+"/x104c"), name + "=" + q("http://example.org/fhir/"+tt+"/x104c"), name + ":" + tt + "=x104c", name + ":missing=true"}
		// R4 lets a server refuse a bare id that could name several
		// types; carex refuses it when the parameter may name any type
		// (400 "a bare id needs a type"), and takes it otherwise.
		if len(targets) > 0 {
			vs = append(vs, name+"=x104c")
		}
	case "string":
		vs = []string{name + "=abc", name + ":exact=abc", name + ":contains=abc", name + ":missing=true"}
	case "uri":
		vs = []string{name + "=" + q("http://example.org/x"), name + ":missing=true"}
	case "quantity":
		vs = []string{name + "=5", name + "=gt5" + q("|http://unitsofmeasure.org|mg"), name + "=" + q("5||mg")}
	case "number":
		vs = []string{name + "=5", name + "=gt5", name + "=le5"}
	default:
		vs = []string{name + "=abc"}
	}
	return vs
}

// TestReview104cSoundCapabilitySearchWalk walks the CapabilityStatement:
// for every resource type and every search parameter it declares, each
// form R4 gives the parameter's type (token system|code, |code, system|,
// :not, :missing; date prefixes; reference Type/id, bare id, absolute url)
// is answered 200 with a searchset Bundle, by a GP (an IG officer for
// AuditEvent). It keeps checking as the statement grows.
func TestReview104cSoundCapabilitySearchWalk(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	c := r104cMetadata(t, e)
	var bad []string
	n, k := 0, 0
	for _, res := range c.Rest[0].Resource {
		tok := gp
		if res.Type == "AuditEvent" {
			tok = ig
		}
		for _, sp := range res.SearchParam {
			tok := tok
			if res.Type == "Consent" && sp.Documentation != "" {
				// Documented in the statement: a Consent's coded
				// parameters are a client system's, for its own.
				tok = sys
			}
			for _, v := range r104cValues(res.Type, sp.Name, sp.Type) {
				if res.Type == "AuditEvent" && !r104cAuditForm(v) {
					continue // documented in the statement: not served
				}
				if k++; (k-1)%raceSlowdown != 0 {
					// (under -race, every tenth form: the whole walk,
					// 9,700 requests, is 18 s without it; each run of
					// go test without -race walks all)
					continue
				}
				n++
				r := e.do("GET", "/fhir/"+res.Type+"?"+v, tok, "")
				if r.status != 200 || !strings.Contains(r.body, `"type":"searchset"`) {
					bad = append(bad, res.Type+"?"+v+" ("+sp.Type+"): "+itoa104c(r.status)+" "+first104c(r.body, 160))
				}
			}
		}
	}
	sort.Strings(bad)
	t.Logf("%d requests, %d refused", n, len(bad))
	for i, b := range bad {
		if i >= 600 {
			t.Errorf("... and %d more", len(bad)-60)
			break
		}
		t.Errorf("declared but refused: %s", b)
	}
}

func itoa104c(i int) string { b, _ := json.Marshal(i); return string(b) }

func first104c(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// r104cAuditForm: the forms the statement's AuditEvent documentation
// lists (date ge/gt/le/lt/eq, plain codes, _before a plain number).
func r104cAuditForm(v string) bool {
	name, val, _ := strings.Cut(v, "=")
	if strings.Contains(name, ":") || strings.Contains(val, "%7C") {
		return false
	}
	for _, p := range []string{"ne", "sa", "eb", "ap"} {
		if strings.HasPrefix(val, p+"2") {
			return false
		}
	}
	if name == "_before" && val != "5" {
		return false
	}
	return name != "outcome" || val == "0"
}

// r104cHas: whether the interaction list holds code.
func r104cHas(list []struct {
	Code string `json:"code"`
}, code string) bool {
	for _, i := range list {
		if i.Code == code {
			return true
		}
	}
	return false
}

// TestReview104cSoundCapabilityInteractionWalk walks the statement's
// interactions: for every type it declares create on, a client system
// creates one item (an empty resource, or one naming the patient when the
// type needs one); then each declared interaction is made once: read,
// vread, update (If-Match W/"1"), history-instance, history-type,
// search-type by _id, delete, and read after delete is 410.
// r104cMinimal: a small valid item of the types a GP system or a
// council's case-management system writes.
var r104cMinimal = map[string]string{
	"Organization":        `{"resourceType":"Organization","name":"X"}`,
	"Practitioner":        `{"resourceType":"Practitioner","name":[{"family":"X"}]}`,
	"RelatedPerson":       `{"resourceType":"RelatedPerson","patient":{"reference":"Patient/p104c"}}`,
	"Condition":           `{"resourceType":"Condition","subject":{"reference":"Patient/p104c"},"code":{"text":"x"}}`,
	"Observation":         `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p104c"},"code":{"text":"x"}}`,
	"AllergyIntolerance":  `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p104c"}}`,
	"CarePlan":            `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/p104c"}}`,
	"Flag":                `{"resourceType":"Flag","status":"active","subject":{"reference":"Patient/p104c"},"code":{"text":"x"}}`,
	"Task":                `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/p104c"}}`,
	"EpisodeOfCare":       `{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/p104c"}}`,
	"ServiceRequest":      `{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"Patient/p104c"}}`,
	"CareTeam":            `{"resourceType":"CareTeam","subject":{"reference":"Patient/p104c"}}`,
	"Encounter":           `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p104c"}}`,
	"MedicationStatement": `{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/p104c"}}`,
	"Procedure":           `{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/p104c"}}`,
	"Appointment":         `{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/p104c"},"status":"accepted"}]}`,
}

func TestReview104cSoundCapabilityInteractionWalk(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/p104c", `{"resourceType":"Patient","id":"p104c","generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	c := r104cMetadata(t, e)
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	for _, res := range c.Rest[0].Resource {
		T, in := res.Type, res.Interaction
		if !r104cHas(in, "create") {
			continue
		}
		// Every declared type answers history-type and search-type, and a
		// read of a missing id is a 404 OperationOutcome.
		if r := e.do("GET", "/fhir/"+T+"/_history", sys, ""); r104cHas(in, "history-type") && r.status != 200 {
			fail("%s history-type: %d", T, r.status)
		}
		if r := e.do("GET", "/fhir/"+T+"/none104c", sys, ""); r.status != 404 || !strings.Contains(r.body, "OperationOutcome") {
			fail("%s read missing: %d", T, r.status)
		}
		body, ok := r104cMinimal[T]
		if !ok {
			continue
		}
		var id string
		last := e.do("POST", "/fhir/"+T, sys, body)
		if last.status == 201 {
			var m map[string]any
			json.Unmarshal([]byte(last.body), &m)
			id, _ = m["id"].(string)
		}
		if id == "" {
			fail("%s create: %d %s", T, last.status, first104c(last.body, 200))
			continue
		}
		if last.header.Get("ETag") != `W/"1"` || !strings.Contains(last.header.Get("Location"), "/fhir/"+T+"/"+id+"/_history/1") {
			fail("%s create headers: ETag %q Location %q", T, last.header.Get("ETag"), last.header.Get("Location"))
		}
		p := "/fhir/" + T + "/" + id
		if r104cHas(in, "read") {
			if r := e.do("GET", p, sys, ""); r.status != 200 || r.header.Get("ETag") != `W/"1"` {
				fail("%s read: %d %q", T, r.status, r.header.Get("ETag"))
			}
		}
		if r104cHas(in, "vread") {
			if r := e.do("GET", p+"/_history/1", sys, ""); r.status != 200 {
				fail("%s vread: %d", T, r.status)
			}
		}
		if r104cHas(in, "update") {
			var m map[string]any
			json.Unmarshal([]byte(e.do("GET", p, sys, "").body), &m)
			delete(m, "meta")
			m["language"] = "en-GB"
			b, _ := json.Marshal(m)
			if r := e.do("PUT", p, sys, string(b), "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
				fail("%s update: %d %q %s", T, r.status, r.header.Get("ETag"), first104c(r.body, 200))
			}
			if r := e.do("PUT", p, sys, string(b), "If-Match", `W/"1"`); r.status != 412 {
				fail("%s stale update: %d", T, r.status)
			}
		}
		if r104cHas(in, "history-instance") {
			if r := e.do("GET", p+"/_history", sys, ""); r.status != 200 || !strings.Contains(r.body, `"type":"history"`) {
				fail("%s history-instance: %d", T, r.status)
			}
		}
		if r104cHas(in, "history-type") {
			if r := e.do("GET", "/fhir/"+T+"/_history", sys, ""); r.status != 200 || !strings.Contains(r.body, `"id":"`+id+`"`) {
				fail("%s history-type: %d %s", T, r.status, first104c(r.body, 200))
			}
		}
		if r104cHas(in, "search-type") {
			if r := e.do("GET", "/fhir/"+T+"?_id="+id, sys, ""); r.status != 200 || !strings.Contains(r.body, `"total":1`) {
				fail("%s search _id: %d %s", T, r.status, first104c(r.body, 200))
			}
		}
		if r104cHas(in, "delete") && T != "Patient" {
			if r := e.do("DELETE", p, sys, ""); r.status != 204 && r.status != 200 {
				fail("%s delete: %d %s", T, r.status, first104c(r.body, 200))
			}
			if r := e.do("GET", p, sys, ""); r.status != 410 || !strings.Contains(r.body, "OperationOutcome") {
				fail("%s read after delete: %d", T, r.status)
			}
		}
	}
	for _, b := range bad {
		t.Errorf("declared interaction fails: %s", b)
	}
}

// TestReview104cSoundVersioning: ETag W/"n"; If-Match with and without
// W/; a stale one 412; Location on create naming the version; Prefer
// return=minimal (no body), OperationOutcome, representation; vread of a
// deleted version 410; DELETE then GET 410; type and instance _history.
func TestReview104cSoundVersioning(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "If-Match", `"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
		t.Errorf("If-Match without W/: %d %q", r.status, r.header.Get("ETag"))
	}
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "If-Match", `W/"2"`); r.status != 200 || r.header.Get("ETag") != `W/"3"` {
		t.Errorf("If-Match W/: %d %q", r.status, r.header.Get("ETag"))
	}
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "If-Match", `W/"2"`); r.status != 412 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("stale If-Match: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "Prefer", "return=minimal"); r.status != 200 || r.body != "" || r.header.Get("ETag") != `W/"4"` {
		t.Errorf("Prefer return=minimal: %d %q %.100s", r.status, r.header.Get("ETag"), r.body)
	}
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "Prefer", "return=OperationOutcome"); r.status != 200 || !strings.Contains(r.body, `"OperationOutcome"`) {
		t.Errorf("Prefer return=OperationOutcome: %d %.100s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "Prefer", "return=representation"); r.status != 200 || !strings.Contains(r.body, `"versionId":"6"`) {
		t.Errorf("Prefer return=representation: %d %.100s", r.status, r.body)
	}
	r := e.do("POST", "/fhir/Condition", gp, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`)
	var m map[string]any
	json.Unmarshal([]byte(r.body), &m)
	id, _ := m["id"].(string)
	if r.status != 201 || id == "" || !strings.HasSuffix(r.header.Get("Location"), "/fhir/Condition/"+id+"/_history/1") {
		t.Fatalf("create: %d Location %q", r.status, r.header.Get("Location"))
	}
	if r := e.do("DELETE", "/fhir/Condition/"+id, gp, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	for p, want := range map[string]int{"": 410, "/_history/1": 200, "/_history/2": 410, "/_history/3": 404} {
		if r := e.do("GET", "/fhir/Condition/"+id+p, gp, ""); r.status != want {
			t.Errorf("GET Condition/%s%s: %d, want %d", id, p, r.status, want)
		}
	}
	if r := e.do("GET", "/fhir/Condition/"+id+"/_history", gp, ""); !strings.Contains(r.body, `"total":2`) {
		t.Errorf("instance history: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient/_history", gp, ""); !strings.Contains(r.body, `"type":"history"`) || !strings.Contains(r.body, `"total":6`) {
		t.Errorf("type history: %.300s", r.body)
	}
}

// TestReview104cPreferAmongOtherPreferences: RFC 7240 (which FHIR's
// Prefer header is) lets a client send several preferences in one header,
// "Prefer: handling=strict, return=minimal"; carex compares the whole
// header with "return=minimal", so the preference is ignored and the full
// resource comes back. (Judgement: neither the README nor the
// CapabilityStatement mentions Prefer at all.)
func TestReview104cPreferAmongOtherPreferences(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	for _, h := range []string{"handling=strict, return=minimal", "return=minimal; x=y"} {
		if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON, "Prefer", h); r.status != 200 || r.body != "" {
			t.Errorf("Prefer: %s: %d, body %.80s..., want no body", h, r.status, r.body)
		}
	}
}

// TestReview104cSoundErrorsAreOperationOutcomes: SPEC §3/§7's statuses,
// each reached once, each an OperationOutcome in application/fhir+json,
// and none of the refused writes stored anything (Jane stays at version 1,
// no other Patient appears).
func TestReview104cSoundErrorsAreOperationOutcomes(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	other := e.token("system", "nhs", "B99999")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	big := `{"resourceType":"Patient","name":[{"text":"` + strings.Repeat("x", 70<<10) + `"}]}`
	jane2 := strings.Replace(janeJSON, `"Smith"`, `"Changed"`, 1)
	cases := []struct {
		status             int
		method, path, body string
		tok                string
		hdr                []string
	}{
		{400, "POST", "/fhir/Patient", `{"resourceType":"Patient",`, gp, nil},
		{401, "PUT", "/fhir/Patient/jane", jane2, "", nil},
		{403, "PUT", "/fhir/Patient/jane", jane2, e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" }), nil},
		{404, "GET", "/fhir/Patient/nobody104c", "", gp, nil},
		{409, "PUT", "/fhir/Patient/jane", jane2, other, nil},
		{412, "PUT", "/fhir/Patient/jane", jane2, gp, []string{"If-Match", `W/"9"`}},
		{413, "POST", "/fhir/Patient", big, gp, nil},
		{415, "PUT", "/fhir/Patient/jane", jane2, gp, []string{"Content-Type", "application/fhir+xml"}},
		{422, "POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]}`, gp, nil},
		{406, "GET", "/fhir/Patient/jane", "", gp, []string{"Accept", "application/fhir+xml"}},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.tok, c.body, c.hdr...)
		if r.status != c.status || !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+json") {
			t.Errorf("%s %s: %d %q %.200s, want %d OperationOutcome", c.method, c.path, r.status, r.header.Get("Content-Type"), r.body, c.status)
		}
	}
	if r := e.do("GET", "/fhir/Patient/jane/_history", gp, ""); !strings.Contains(r.body, `"total":1`) || strings.Contains(r.body, "Changed") {
		t.Errorf("a refused write stored a version of Jane: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient?_count=0", gp, ""); !strings.Contains(r.body, `"total":1`) {
		t.Errorf("a refused create stored a Patient: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient?_count=0", other, ""); !strings.Contains(r.body, `"total":0`) {
		t.Errorf("the other organisation's refused write stored something: %.300s", r.body)
	}
}

// TestReview104cSoundFormats: _format=json, Accept application/json and
// application/fhir+json; fhirVersion=4.0 are answered in FHIR JSON; XML
// asked for is a 406 OperationOutcome (by Accept and by _format).
func TestReview104cSoundFormats(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	for _, c := range []struct {
		q, accept string
		want      int
	}{
		{"?_format=json", "", 200}, {"", "application/json", 200}, {"", "application/fhir+json; fhirVersion=4.0", 200},
		{"?_format=xml", "", 406}, {"", "application/fhir+xml", 406}, {"?_format=application/fhir%2Bjson", "", 200},
	} {
		var h []string
		if c.accept != "" {
			h = []string{"Accept", c.accept}
		}
		r := e.do("GET", "/fhir/Patient/jane"+c.q, gp, "", h...)
		if r.status != c.want || !strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+json") {
			t.Errorf("%s Accept %q: %d %q", c.q, c.accept, r.status, r.header.Get("Content-Type"))
		}
	}
}
