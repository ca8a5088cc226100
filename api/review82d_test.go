package api_test

// Review 82d: does the CapabilityStatement tell the truth? Each claim an
// integrator reads in GET /fhir/metadata, checked against what carex does,
// and the other way round.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

type r82dCS struct {
	FhirVersion    string   `json:"fhirVersion"`
	Kind           string   `json:"kind"`
	Status         string   `json:"status"`
	Date           string   `json:"date"`
	Format         []string `json:"format"`
	PatchFormat    []string `json:"patchFormat"`
	Software       struct{ Name, Version string }
	Implementation struct{ URL string }
	Contained      []struct {
		ID        string `json:"id"`
		Code      string `json:"code"`
		Type      bool   `json:"type"`
		Instance  bool   `json:"instance"`
		Parameter []struct {
			Name string `json:"name"`
			Max  string `json:"max"`
		} `json:"parameter"`
	} `json:"contained"`
	Rest []struct {
		Interaction []struct{ Code string } `json:"interaction"`
		Resource    []struct {
			Type              string                        `json:"type"`
			Interaction       []struct{ Code string }       `json:"interaction"`
			Versioning        string                        `json:"versioning"`
			ReadHistory       bool                          `json:"readHistory"`
			UpdateCreate      bool                          `json:"updateCreate"`
			ConditionalCreate bool                          `json:"conditionalCreate"`
			ConditionalUpdate bool                          `json:"conditionalUpdate"`
			ConditionalDelete string                        `json:"conditionalDelete"`
			SearchInclude     []string                      `json:"searchInclude"`
			SearchRevInclude  []string                      `json:"searchRevInclude"`
			SearchParam       []struct{ Name, Type string } `json:"searchParam"`
		} `json:"resource"`
	} `json:"rest"`
}

func r82dMetadata(t *testing.T, e *env, hdr ...string) r82dCS {
	t.Helper()
	r := e.do("GET", "/fhir/metadata", "", "", hdr...)
	if r.status != 200 {
		t.Fatalf("metadata: %d %s", r.status, r.body)
	}
	var cs r82dCS
	if err := json.Unmarshal([]byte(r.body), &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestReview82dExplainTakesARepeatedParameterSilently: the contained
// OperationDefinition #carex-Patient-explain declares role, org, sector,
// sub, name, purpose and break-glass each with max "1". $explain takes the
// first of two values of any of them (explain.go: q.Get), so an IG
// officer's `?role=social-worker&role=gp` is explained as a social worker
// and answered 200, where every other carex operation refuses a parameter
// given twice (README: $everything "any parameter given twice … is a
// 400", review 51b; the IG reports: "patient given 2 times: give it
// once"; search result parameters, review 81d). An OperationDefinition's
// parameter list that does not match behaviour; the IG answer is about a
// user other than the one she may have meant. Severity: wrong IG answer
// (medium; no clinical content is released: $explain lists items by type,
// id, class and source only).
func TestReview82dExplainTakesARepeatedParameterSilently(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	cs := r82dMetadata(t, e)
	for _, od := range cs.Contained {
		if od.ID != "carex-Patient-explain" {
			continue
		}
		for _, p := range od.Parameter {
			if p.Max != "1" {
				t.Fatalf("$explain's %s has max %q; the probe expects 1", p.Name, p.Max)
			}
		}
	}
	for _, q := range []string{
		"role=social-worker&role=gp&org=A81001&sector=nhs",
		"role=gp&org=RCX&org=A81001&sector=nhs",
		"role=gp&org=A81001&sector=nhs&purpose=TREAT&purpose=ETREAT",
		"role=gp&org=A81001&sector=nhs&break-glass=&break-glass=emergency",
	} {
		r := e.do("GET", "/fhir/Patient/jane/$explain?"+q, ig, "")
		if r.status != 400 {
			t.Errorf("$explain?%s: %d, want 400 (a parameter its OperationDefinition allows once, given twice) — %.160s", q, r.status, r.body)
		}
	}
}

// TestReview82dAuditEventBeforeIsUndeclared: GET /fhir/AuditEvent takes
// `_before` (the paging cursor: only entries older than that sequence
// number), which narrows the result set (total counts only those), and its
// own 400 names it among the parameters it takes ("use patient, agent,
// date, outcome, _before, _count, _offset"); the CapabilityStatement's
// AuditEvent lists searchParam patient, agent, date, outcome only and its
// documentation names _count and _offset, never _before. README: the
// CapabilityStatement lists "every … search parameter … actually
// supported"; "AuditEvent (the access log) is listed as it is served".
// A capability that works but is not declared. Severity: low/medium
// (an IG tool cannot learn it from /metadata; nothing is released).
func TestReview82dAuditEventBeforeIsUndeclared(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	e.do("GET", "/fhir/Patient/jane", gp, "")
	all := e.do("GET", "/fhir/AuditEvent", ig, "")
	r := e.do("GET", "/fhir/AuditEvent?_before=3", ig, "")
	if all.status != 200 || r.status != 200 {
		t.Fatalf("AuditEvent search: %d, _before: %d %s", all.status, r.status, r.body)
	}
	if parseBundle(t, r.body).Total >= parseBundle(t, all.body).Total {
		t.Fatalf("_before=3 did not narrow the log: %d of %d", parseBundle(t, r.body).Total, parseBundle(t, all.body).Total)
	}
	cs := r82dMetadata(t, e)
	for _, res := range cs.Rest[0].Resource {
		if res.Type != "AuditEvent" {
			continue
		}
		for _, p := range res.SearchParam {
			if p.Name == "_before" {
				return
			}
		}
		t.Errorf("AuditEvent?_before=3 is served (total %d of %d) but AuditEvent's searchParam lists only %v",
			parseBundle(t, r.body).Total, parseBundle(t, all.body).Total, res.SearchParam)
	}
}

// TestReview82dSoundInteractionsAcrossTypes: for ten types, NHS and
// council, every interaction the CapabilityStatement lists works for the
// writing organisation's client system, and each flag matches behaviour:
// versioned-update (If-Match honoured, 412 when stale), readHistory
// (vread of an earlier version), updateCreate (PUT of a new id is 201),
// conditionalCreate (If-None-Exist), conditionalUpdate (PUT ?identifier=),
// conditionalDelete not-supported (DELETE ?identifier= refused, nothing
// deleted), history-type, search-type by _id.
func TestReview82dSoundInteractionsAcrossTypes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	council := e.token("system", "council", "E06000999")
	cs := r82dMetadata(t, e)
	claimed := map[string]map[string]bool{}
	for _, res := range cs.Rest[0].Resource {
		m := map[string]bool{}
		for _, i := range res.Interaction {
			m[i.Code] = true
		}
		// (Subscription: writes refused since review 82d, and so listed)
		if res.Type != "AuditEvent" && res.Type != "Subscription" && (res.Versioning != "versioned-update" || !res.ReadHistory || !res.UpdateCreate ||
			!res.ConditionalCreate || !res.ConditionalUpdate || res.ConditionalDelete != "not-supported") {
			t.Errorf("%s: flags %+v", res.Type, res)
		}
		claimed[res.Type] = m
	}
	idf := `"identifier":[{"system":"https://r82d.example/id","value":"ID"}]`
	cases := []struct{ tok, typ, body string }{
		{gpSys, "Condition", `"subject":{"reference":"Patient/jane"},"code":{"text":"r82d"}`},
		{gpSys, "Observation", `"status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"r82d"}`},
		{gpSys, "AllergyIntolerance", `"patient":{"reference":"Patient/jane"},"code":{"text":"r82d"}`},
		{gpSys, "MedicationStatement", `"status":"active","subject":{"reference":"Patient/jane"},"medicationCodeableConcept":{"text":"r82d"}`},
		{gpSys, "Organization", `"name":"r82d"`},
		{council, "EpisodeOfCare", `"status":"active","patient":{"reference":"Patient/jane"}`},
		{council, "Task", `"status":"requested","intent":"order","for":{"reference":"Patient/jane"}`},
		{council, "Flag", `"status":"active","subject":{"reference":"Patient/jane"},"code":{"text":"r82d"}`},
		{council, "CarePlan", `"status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"r82d"`},
		{council, "ServiceRequest", `"status":"active","intent":"order","subject":{"reference":"Patient/jane"},"code":{"text":"r82d"}`},
	}
	for _, c := range cases {
		for _, i := range []string{"read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type"} {
			if !claimed[c.typ][i] {
				t.Errorf("%s: %s not listed", c.typ, i)
			}
		}
		body := func(id, ident string) string {
			s := `{"resourceType":"` + c.typ + `",`
			if id != "" {
				s += `"id":"` + id + `",`
			}
			return s + strings.Replace(idf, "ID", ident, 1) + "," + c.body + "}"
		}
		path := "/fhir/" + c.typ
		r := e.do("POST", path, c.tok, body("", "a-"+c.typ), "If-None-Exist", "identifier=https://r82d.example/id|a-"+c.typ)
		if r.status != 201 {
			t.Fatalf("%s create: %d %s", c.typ, r.status, r.body)
		}
		var created struct{ ID string }
		json.Unmarshal([]byte(r.body), &created)
		id := created.ID
		if again := e.do("POST", path, c.tok, body("", "a-"+c.typ), "If-None-Exist", "identifier=https://r82d.example/id|a-"+c.typ); again.status != 200 || !strings.Contains(again.body, `"id":"`+id+`"`) {
			t.Errorf("%s conditional create again: %d %.120s", c.typ, again.status, again.body)
		}
		if r := e.do("GET", path+"/"+id, c.tok, ""); r.status != 200 || r.header.Get("ETag") != `W/"1"` {
			t.Errorf("%s read: %d etag %q", c.typ, r.status, r.header.Get("ETag"))
		}
		if r := e.do("PUT", path+"/"+id, c.tok, body(id, "a-"+c.typ), "If-Match", `W/"1"`); r.status != 200 {
			t.Errorf("%s update If-Match current: %d %.160s", c.typ, r.status, r.body)
		}
		if r := e.do("PUT", path+"/"+id, c.tok, body(id, "a-"+c.typ), "If-Match", `W/"1"`); r.status != 412 {
			t.Errorf("%s update If-Match stale: %d, want 412", c.typ, r.status)
		}
		if r := e.do("GET", path+"/"+id+"/_history/1", c.tok, ""); r.status != 200 {
			t.Errorf("%s vread of version 1 after an update: %d", c.typ, r.status)
		}
		if r := e.do("GET", path+"/"+id+"/_history", c.tok, ""); r.status != 200 || parseBundle(t, r.body).Total != 2 {
			t.Errorf("%s history-instance: %d %.160s", c.typ, r.status, r.body)
		}
		if r := e.do("GET", path+"/_history", c.tok, ""); r.status != 200 {
			t.Errorf("%s history-type: %d", c.typ, r.status)
		}
		if r := e.do("GET", path+"?_id="+id, c.tok, ""); r.status != 200 || parseBundle(t, r.body).Total != 1 {
			t.Errorf("%s search-type _id: %d %.160s", c.typ, r.status, r.body)
		}
		if r := e.do("PUT", path+"?identifier="+url.QueryEscape("https://r82d.example/id|b-"+c.typ), c.tok, body("", "b-"+c.typ)); r.status != 201 {
			t.Errorf("%s conditional update (none matches): %d %.160s", c.typ, r.status, r.body)
		}
		if r := e.do("PUT", path+"/r82d-"+strings.ToLower(c.typ), c.tok, body("r82d-"+strings.ToLower(c.typ), "c-"+c.typ)); r.status != 201 {
			t.Errorf("%s updateCreate: %d %.160s", c.typ, r.status, r.body)
		}
		if r := e.do("DELETE", path+"?identifier="+url.QueryEscape("https://r82d.example/id|a-"+c.typ), c.tok, ""); r.status != 405 {
			t.Errorf("%s conditional delete: %d, want 405 (conditionalDelete not-supported)", c.typ, r.status)
		}
		if r := e.do("GET", path+"/"+id, c.tok, ""); r.status != 200 {
			t.Errorf("%s after a refused conditional delete: %d", c.typ, r.status)
		}
		if r := e.do("DELETE", path+"/"+id, c.tok, ""); r.status != 204 && r.status != 200 {
			t.Errorf("%s delete: %d %.160s", c.typ, r.status, r.body)
		}
		if r := e.do("GET", path+"/"+id, c.tok, ""); r.status != 410 {
			t.Errorf("%s read after delete: %d, want 410", c.typ, r.status)
		}
	}
	// A transaction's conditional DELETE is refused too, storing nothing.
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition?_id=diabetes"}}]}`
	if r := e.do("POST", "/fhir", gpSys, tx); r.status != 400 {
		t.Errorf("transaction conditional DELETE: %d %.160s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", gpSys, ""); r.status != 200 {
		t.Errorf("Condition/diabetes after a refused conditional delete: %d", r.status)
	}
}

// TestReview82dSoundEverySearchParamAndInclude: every searchParam,
// searchInclude listed for every stored type (145 types), and every
// searchRevInclude of fifteen NHS and council types, is taken by a search
// (200), by the organisation's client system.
// AuditEvent (the access log) lists none, and takes none of _include,
// _revinclude, _id, _lastUpdated, _sort, _summary (400).
var r82dRevTypes = map[string]bool{"Patient": true, "Condition": true, "Observation": true, "Encounter": true, "CarePlan": true,
	"EpisodeOfCare": true, "Task": true, "Flag": true, "RelatedPerson": true, "ServiceRequest": true, "DocumentReference": true,
	"Organization": true, "Practitioner": true, "Binary": true, "Consent": true}

func TestReview82dSoundEverySearchParamAndInclude(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	cs := r82dMetadata(t, e)
	val := map[string]string{"token": "x", "string": "x", "date": "2020", "reference": "x", "uri": "http://x.org/a", "number": "1", "quantity": "1"}
	n := 0
	for _, res := range cs.Rest[0].Resource {
		if res.Type == "AuditEvent" {
			if len(res.SearchInclude)+len(res.SearchRevInclude) != 0 {
				t.Errorf("AuditEvent lists includes %v %v", res.SearchInclude, res.SearchRevInclude)
			}
			for _, q := range []string{"_include=AuditEvent:patient", "_revinclude=Provenance:target", "_id=1", "_lastUpdated=ge2020", "_sort=date", "_summary=count"} {
				if r := e.do("GET", "/fhir/AuditEvent?"+q, ig, ""); r.status != 400 {
					t.Errorf("AuditEvent?%s: %d, want 400 (not listed)", q, r.status)
				}
			}
			continue
		}
		for _, p := range res.SearchParam {
			v, ok := val[p.Type]
			if !ok {
				t.Errorf("%s %s: type %q", res.Type, p.Name, p.Type)
			}
			n++
			r := e.do("GET", "/fhir/"+res.Type+"?"+p.Name+"="+url.QueryEscape(v), sys, "")
			if p.Type == "reference" {
				// a polymorphic reference takes Type/id: any of its targets
				for _, typ := range []string{"Patient", "Practitioner", "Organization", "Condition", "Observation", "Device", "Group", "Location", "DocumentReference", "ServiceRequest"} {
					if r.status == 200 {
						break
					}
					r = e.do("GET", "/fhir/"+res.Type+"?"+p.Name+"="+typ+"/x", sys, "")
				}
			}
			if r.status != 200 {
				t.Errorf("%s?%s=%s: %d %.160s", res.Type, p.Name, v, r.status, r.body)
			}
		}
		for _, inc := range res.SearchInclude {
			n++
			if r := e.do("GET", "/fhir/"+res.Type+"?_include="+url.QueryEscape(inc), sys, ""); r.status != 200 {
				t.Errorf("%s?_include=%s: %d %.160s", res.Type, inc, r.status, r.body)
			}
		}
		if !r82dRevTypes[res.Type] {
			continue // every listed _revinclude of a dozen NHS and council types: all of them is ~13,000 requests
		}
		for _, inc := range res.SearchRevInclude {
			n++
			if r := e.do("GET", "/fhir/"+res.Type+"?_revinclude="+url.QueryEscape(inc), sys, ""); r.status != 200 {
				t.Errorf("%s?_revinclude=%s: %d %.160s", res.Type, inc, r.status, r.body)
			}
		}
	}
	t.Logf("%d listed search parameters and includes checked", n)
}

// TestReview82dSoundUndeclaredIsRefused: what the CapabilityStatement does
// not list is refused: PATCH (no patchFormat) 405, conditional DELETE 405,
// search-system (not in rest.interaction) 400, $everything at type level
// and $validate/$meta 404, an IG operation at instance level 404, a
// parameter $everything's definition does not list 400, one an IG report's
// does not list 400; XML (not in format) 406 by _format and Accept and 415
// as a body; the listed formats (json, application/fhir+json) work; the
// listed system interactions (history-system, transaction, batch) work.
func TestReview82dSoundUndeclaredIsRefused(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	cs := r82dMetadata(t, e)
	if len(cs.PatchFormat) != 0 || strings.Join(cs.Format, ",") != "application/fhir+json,json" {
		t.Errorf("format %v patchFormat %v", cs.Format, cs.PatchFormat)
	}
	var sysInter []string
	for _, i := range cs.Rest[0].Interaction {
		sysInter = append(sysInter, i.Code)
	}
	if strings.Join(sysInter, ",") != "transaction,batch,history-system" {
		t.Errorf("rest.interaction %v", sysInter)
	}
	for _, c := range []struct {
		m, p, tok, body string
		want            int
		hdr             []string
	}{
		{"PATCH", "/fhir/Condition/diabetes", sys, `[]`, 405, []string{"Content-Type", "application/json-patch+json"}},
		{"DELETE", "/fhir/Condition?identifier=x", sys, "", 405, nil},
		{"GET", "/fhir?_id=jane", gp, "", 400, nil},
		{"GET", "/fhir/Patient/$everything", gp, "", 404, nil},
		{"GET", "/fhir/Condition/diabetes/$validate", sys, "", 404, nil},
		{"GET", "/fhir/Condition/diabetes/$meta", sys, "", 404, nil},
		{"GET", "/fhir/AuditEvent/1/$who-accessed?patient=jane", ig, "", 404, nil},
		{"GET", "/fhir/Patient/jane/$everything?_sort=_id", gp, "", 400, nil},
		{"GET", "/fhir/Patient/jane/$everything?_elements=id", gp, "", 400, nil},
		{"GET", "/fhir/AuditEvent/$who-accessed?patient=jane&agent=x", ig, "", 400, nil},
		{"GET", "/fhir/AuditEvent/$user-activity?agent=gp-user&patient=jane", ig, "", 400, nil},
		{"GET", "/fhir/AuditEvent/$alerts?patient=jane", ig, "", 400, nil},
		{"GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "", 200, nil},
		{"GET", "/fhir/AuditEvent/$break-glass?patient=jane&agent=gp-user&date=ge2020-01-01", ig, "", 200, nil},
		{"GET", "/fhir/metadata?_format=xml", "", "", 406, nil},
		{"GET", "/fhir/metadata", "", "", 406, []string{"Accept", "application/fhir+xml"}},
		{"GET", "/fhir/Condition/diabetes?_format=xml", gp, "", 406, nil},
		{"GET", "/fhir/Condition/diabetes?_format=json", gp, "", 200, nil},
		{"GET", "/fhir/Condition/diabetes?_format=" + url.QueryEscape("application/fhir+json"), gp, "", 200, nil},
		{"GET", "/fhir/Condition/diabetes", gp, "", 200, []string{"Accept", "application/fhir+json"}},
		{"POST", "/fhir/Basic", sys, `<Basic xmlns="http://hl7.org/fhir"/>`, 415, []string{"Content-Type", "application/fhir+xml"}},
		{"GET", "/fhir/_history", gp, "", 200, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}}]}`, 200, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}}]}`, 200, nil},
	} {
		if r := e.do(c.m, c.p, c.tok, c.body, c.hdr...); r.status != c.want {
			t.Errorf("%s %s %v: %d, want %d — %.160s", c.m, c.p, c.hdr, r.status, c.want, r.body)
		}
	}
}

// TestReview82dSoundHeader: fhirVersion 4.0.1, kind instance with an
// implementation, status active, a date, software carex and its version,
// and implementation.url: --base-url whatever the request's forwarding
// headers say, and without it the scheme and host the request reached.
func TestReview82dSoundHeader(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.BaseURL = "https://carex.example.nhs.uk/fhir/"; c.Version = "9.9.9" })
	cs := r82dMetadata(t, e, "X-Forwarded-Proto", "http", "X-Forwarded-Host", "evil.example")
	if cs.FhirVersion != "4.0.1" || cs.Kind != "instance" || cs.Status != "active" || cs.Date == "" ||
		cs.Software.Name != "carex" || cs.Software.Version != "9.9.9" || cs.Implementation.URL != "https://carex.example.nhs.uk/fhir" {
		t.Errorf("header: %+v", cs)
	}
	plain := newEnv(t)
	if u := r82dMetadata(t, plain).Implementation.URL; u != plain.base+"/fhir" {
		t.Errorf("implementation.url %q, want %q", u, plain.base+"/fhir")
	}
}

// TestReview82dConditionalWriteByOwnIdentifierRefused: the
// CapabilityStatement declares conditionalCreate and conditionalUpdate true
// for every stored type, RelatedPerson and Patient among them, and lists
// their identifier searchParam with no word of a limit (as it does, since
// review 72c, for Consent's code parameters that answer 400). README:
// "`If-None-Exist: identifier=…` makes it conditional", "PUT
// /fhir/{type}?search — conditional update". A council case-management
// system that filed a carer (RelatedPerson) under its own carer number, and
// a GP system its Patient under its practice number, are refused (400) a
// condition on that identifier — any identifier but an NHS number
// (redact.go asksRedacted) — with diagnostics telling them to "use
// identifier", which they did; a search by the same identifier finds the
// item (so the refusal protects nothing a client system does not already
// see: it matches only its own organisation's items, unredacted to it).
// README rule 7 documents that a restricted person's other identifiers are
// redacted, and that conditions on address, telecom and GP are refused for
// everyone; neither it nor /metadata says a condition on a local
// identifier is. A claim a client relies on that is false for the two
// person types a council feed writes most (carers rarely carry an NHS
// number): its retried create makes a duplicate carer unless it drops the
// conditional and searches first. Severity: high by the brief's scale for a
// false claim (no leak; over-refusal of a write).
func TestReview82dConditionalWriteByOwnIdentifierRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	gpSys := e.token("system", "nhs", "A81001")
	cs := r82dMetadata(t, e)
	for _, res := range cs.Rest[0].Resource {
		if (res.Type == "RelatedPerson" || res.Type == "Patient") && (!res.ConditionalCreate || !res.ConditionalUpdate) {
			t.Fatalf("%s no longer claims conditional create/update: %+v", res.Type, res)
		}
	}
	carer := `{"resourceType":"RelatedPerson","identifier":[{"system":"https://council.example/carer-id","value":"C1"}],"patient":{"reference":"Patient/jane"},"name":[{"family":"Carer"}]}`
	if r := e.do("PUT", "/fhir/RelatedPerson/r82d-carer", council, strings.Replace(carer, `{"resourceType":"RelatedPerson",`, `{"resourceType":"RelatedPerson","id":"r82d-carer",`, 1)); r.status != 201 {
		t.Fatalf("carer: %d %s", r.status, r.body)
	}
	cond := "identifier=" + url.QueryEscape("https://council.example/carer-id|C1")
	if r := e.do("GET", "/fhir/RelatedPerson?"+cond, council, ""); r.status != 200 || parseBundle(t, r.body).Total != 1 {
		t.Fatalf("the council's search by its own carer number: %d %.200s", r.status, r.body)
	}
	if r := e.do("POST", "/fhir/RelatedPerson", council, carer, "If-None-Exist", "identifier=https://council.example/carer-id|C1"); r.status != 200 {
		t.Errorf("RelatedPerson If-None-Exist by the council's own carer number: %d, want 200 (the existing carer) — %.260s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/RelatedPerson?"+cond, council, carer); r.status != 200 {
		t.Errorf("PUT RelatedPerson?%s: %d, want 200 (update the one match) — %.260s", cond, r.status, r.body)
	}
	pat := `{"resourceType":"Patient","identifier":[{"system":"https://a81001.example/patient-number","value":"P77"}],"name":[{"family":"R82d"}],"gender":"female","birthDate":"1950-01-01"}`
	if r := e.do("POST", "/fhir/Patient", gpSys, pat); r.status != 201 {
		t.Fatalf("patient: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/fhir/Patient", gpSys, pat, "If-None-Exist", "identifier=https://a81001.example/patient-number|P77"); r.status != 200 {
		t.Errorf("Patient If-None-Exist by the practice's own patient number: %d, want 200 — %.260s", r.status, r.body)
	}
}

// TestReview82dSubscriptionCreateClaimedButNothingSubscribes: the
// CapabilityStatement lists Subscription, like every R4 type, with create
// and update, and nothing says carex never acts on one (README does not
// name Subscription). A GP system that reads `create` on Subscription and
// posts a rest-hook subscription for its patients' discharges gets 201, and
// the Subscription stays `requested` for ever: R4 (subscription.html) has
// the server move a requested subscription to `active` or `error`; carex
// does neither and sends no notification. A claim a client relies on that
// is false (it waits for discharges that never come). The fix is to leave
// Subscription out (405/404 on write, as AuditEvent's writes are 405) or to
// refuse its creation with a clear OperationOutcome. Severity: medium (no
// leak: nothing is sent anywhere).
func TestReview82dSubscriptionCreateClaimedButNothingSubscribes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	cs := r82dMetadata(t, e)
	claimed := false
	for _, res := range cs.Rest[0].Resource {
		if res.Type == "Subscription" {
			for _, i := range res.Interaction {
				claimed = claimed || i.Code == "create"
			}
		}
	}
	if !claimed {
		return // not claimed: nothing to hold carex to
	}
	sub := `{"resourceType":"Subscription","status":"requested","reason":"discharges of our patients",
	 "criteria":"Encounter?patient=jane&status=finished","channel":{"type":"rest-hook","endpoint":"https://gp-system.example/hook","payload":"application/fhir+json"}}`
	r := e.do("POST", "/fhir/Subscription", sys, sub)
	if r.status >= 400 {
		return // refused: the client is told
	}
	var got struct{ ID, Status string }
	json.Unmarshal([]byte(r.body), &got)
	if rd := e.do("GET", "/fhir/Subscription/"+got.ID, sys, ""); rd.status == 200 && strings.Contains(rd.body, `"status":"requested"`) {
		t.Errorf("POST Subscription (rest-hook): %d, stored %q and left requested — no notification will ever be sent; the CapabilityStatement lists Subscription create with no word of it", r.status, got.ID)
	}
}
