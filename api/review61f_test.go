package api_test

// Review 61f: operational endpoints (/healthz, /readyz, /metrics), the
// CapabilityStatement's truthfulness, and personal data outside the
// access log (application log, error OperationOutcomes).

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/internal/lognoise"
	"github.com/carex-project/carex/store/auditlog"
)

// TestReview61fSoundOperationalEndpointsTokens: /metrics needs a valid
// token (401 without, forged, expired-looking garbage); /healthz and
// /readyz need none and say nothing personal.
func TestReview61fSoundOperationalEndpointsTokens(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, tok := range []string{"", "garbage.9434765919.x", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."} {
		r := e.do("GET", "/metrics", tok, "")
		if r.status != 401 {
			t.Errorf("/metrics with token %q: %d %.200s", tok, r.status, r.body)
		}
		if strings.Contains(r.body, "carex_http_requests_total") {
			t.Errorf("/metrics with token %q released the series", tok)
		}
		h := e.do("HEAD", "/metrics", tok, "")
		if h.status != 401 {
			t.Errorf("HEAD /metrics with token %q: %d", tok, h.status)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		r := e.do("GET", p, "", "")
		if r.status != 200 {
			t.Errorf("%s without a token: %d", p, r.status)
		}
		for _, s := range []string{"jane", "9434765919", "Smith"} {
			if strings.Contains(r.body, s) {
				t.Errorf("%s holds %q: %s", p, s, r.body)
			}
		}
	}
	// which roles read /metrics (recorded for the report)
	for _, who := range [][3]string{{"gp", "nhs", "A81001"}, {"social-worker", "council", "E06000999"}, {"ig-officer", "nhs", "A81001"}, {"system", "nhs", "RHX"}, {"hospital-clinician", "nhs", "Z99999"}} {
		r := e.do("GET", "/metrics", e.token(who[0], who[1], who[2]), "")
		t.Logf("/metrics as %s/%s: %d", who[0], who[2], r.status)
	}
}

// TestReview61fMetricsRefusesPurposeOutsidePolicy: SPEC §4 — a purpose of
// use the policy does not list (marketing, research, ...) "is refused with
// 403 and logged"; /metrics answers such a token 200 with the series,
// where every FHIR route refuses it 403.
func TestReview61fMetricsRefusesPurposeOutsidePolicy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, purpose := range []string{"HMARKT", "HRESCH", "HPAYMT"} {
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = purpose })
		if r := e.do("GET", "/fhir/Patient/jane", tok, ""); r.status != 403 {
			t.Fatalf("premise: a read with purpose %s answered %d", purpose, r.status)
		}
		if r := e.do("GET", "/metrics", tok, ""); r.status != 403 {
			t.Errorf("/metrics with purpose %s: %d %.120s (the FHIR routes refuse it 403)", purpose, r.status, r.body)
		}
	}
}

// TestReview61fSoundMetricsLabelVariants: variants of review 52c — encoded
// segments, doubled slashes, trailing slashes, HEAD, OPTIONS, unknown
// paths under the operational endpoints, the POST _search form, a batch
// entry — leave no id, NHS number or name in /metrics, and 60 distinct
// such paths do not add a series each.
func TestReview61fSoundMetricsLabelVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, r := range [][3]string{
		{"GET", "/fhir/Patient/%39434765919", ""},
		{"GET", "/fhir/Patient%2F9434765919", ""},
		{"GET", "//fhir/Patient/9434765919", ""},
		{"GET", "/fhir/Patient/9434765919/", ""},
		{"HEAD", "/fhir/Patient/9434765919", ""},
		{"OPTIONS", "/fhir/Patient/9434765919", ""},
		{"GET", "/metrics/9434765919", ""},
		{"GET", "/healthz/Zebedee", ""},
		{"GET", "/readyz/Zebedee", ""},
		{"GET", "/fhir/metadata/Zebedee", ""},
		{"GET", "/fhir/_history/Zebedee", ""},
		{"GET", "/fhir/Condition?code=http://snomed.info/sct|86406008&patient=9434765919", ""},
		{"POST", "/fhir/Patient/_search", "family=Zebedee"},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/9434765919"}},{"request":{"method":"GET","url":"Zebedee/9434765919"}}]}`},
		{"GET", "/fhir/Patient/jane/$everything?_type=Zebedee", ""},
		{"DELETE", "/fhir/Zebedee/9434765919", ""},
	} {
		hdr := []string{}
		if r[0] == "POST" && strings.HasSuffix(r[1], "_search") {
			hdr = []string{"Content-Type", "application/x-www-form-urlencoded"}
		}
		e.do(r[0], r[1], gp, r[2], hdr...)
	}
	m := e.do("GET", "/metrics", gp, "")
	if m.status != 200 {
		t.Fatalf("premise: /metrics %d", m.status)
	}
	for _, p := range []string{"9434765919", "Zebedee", "jane", "86406008", "snomed"} {
		for _, l := range strings.Split(m.body, "\n") {
			if strings.Contains(l, p) && !strings.HasPrefix(l, "#") {
				t.Errorf("/metrics holds %q: %s", p, l)
				break
			}
		}
	}
	before := len(metricsSeries52c(m.body))
	for i := 0; i < 15; i++ {
		e.do("GET", fmt.Sprintf("/metrics/p%d", i), gp, "")
		e.do("GET", fmt.Sprintf("/fhir/Patient%%2Fp%d", i), gp, "")
		e.do("OPTIONS", fmt.Sprintf("/fhir/T%d/x", i), gp, "")
		e.do("GET", fmt.Sprintf("//p%d//q", i), gp, "")
	}
	after := len(metricsSeries52c(e.do("GET", "/metrics", gp, "").body))
	if after-before > 30 {
		t.Errorf("/metrics grew by %d series for 60 distinct paths", after-before)
	}
}

// TestReview61fReadyzWhenAccessLogClosed: once the access log can take no
// entry (closed under the server), every request that needs one is
// refused 500; /readyz must then say the server is not ready (503), so
// that a load balancer takes it out of service.
func TestReview61fReadyzWhenAccessLogClosed(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("premise: /readyz %d %s", r.status, r.body)
	}
	l.Close()
	r := e.do("GET", "/fhir/Patient/jane", gp, "")
	if r.status < 500 {
		t.Fatalf("premise: a read with the log closed answered %d", r.status)
	}
	r2 := e.do("GET", "/fhir/Patient/jane", gp, "")
	rz := e.do("GET", "/readyz", "", "")
	if rz.status != 503 {
		t.Errorf("the access log is closed (reads answer %d, %d), but /readyz answers %d %s", r.status, r2.status, rz.status, rz.body)
	}
}

// TestReview61fSoundReadyzWhenJournalRemoved: the access log's journal file is
// removed while carex runs (the records are untouched): /readyz must say
// not ready if requests can no longer be logged durably.
func TestReview61fSoundReadyzWhenJournalRemoved(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	accessDB := strings.TrimSuffix(e.db.Path(), ".db") + "-access.db"
	for _, f := range []string{accessDB + auditlog.JournalSuffix, accessDB} {
		if err := os.Remove(f); err != nil {
			t.Logf("remove %s: %v", f, err)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane", gp, "")
	rz := e.do("GET", "/readyz", "", "")
	t.Logf("read after removal: %d; readyz %d %s", r.status, rz.status, rz.body)
	if r.status >= 500 && rz.status == 200 {
		t.Errorf("requests answer %d but /readyz says ready", r.status)
	}
	if r.status < 300 && rz.status == 200 {
		t.Errorf("the access log's files are gone, but a read was answered %d and /readyz says ready: entries go to no file a restart reads", r.status)
	}
}

// TestReview61fSoundReadyzWhenRecordsGone: the store closed → 503.
func TestReview61fSoundReadyzWhenRecordsGone(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.db.Close()
	if rz := e.do("GET", "/readyz", "", ""); rz.status != 503 {
		t.Errorf("records closed, /readyz %d %s", rz.status, rz.body)
	}
}

var refTargets61f = []string{"Organization", "Practitioner", "PractitionerRole", "Encounter", "Location", "ServiceRequest", "CarePlan", "CareTeam", "Condition",
	"Goal", "Device", "Specimen", "Medication", "Slot", "Account", "Appointment", "EpisodeOfCare", "DocumentReference", "Consent", "MedicationRequest",
	"Observation", "Procedure", "Task", "RelatedPerson", "Group", "Immunization", "QuestionnaireResponse", "DiagnosticReport", "Claim", "Contract", "Resource"}

type capStmt61f struct {
	Rest []struct {
		Resource []struct {
			Type             string   `json:"type"`
			SearchInclude    []string `json:"searchInclude"`
			SearchRevInclude []string `json:"searchRevInclude"`
			SearchParam      []struct {
				Name, Type string
			} `json:"searchParam"`
			Operation []struct {
				Name, Definition string
			} `json:"operation"`
		} `json:"resource"`
	} `json:"rest"`
}

func paramValue61f(typ string) string {
	switch typ {
	case "token":
		return "x"
	case "reference":
		return "Patient/jane"
	case "date":
		return "ge2020-01-01"
	case "number":
		return "1"
	case "quantity":
		return "1"
	case "uri":
		return "http://example.org/x"
	case "string":
		return "x"
	}
	return "x"
}

// TestReview61fSoundMetadataSearchParamsAllWork: every search parameter,
// _include and _revinclude the CapabilityStatement lists, for the types a
// care record holds, is taken by a search (no 400), by the roles that may
// search.
func TestReview61fSoundMetadataSearchParamsAllWork(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	md := e.do("GET", "/fhir/metadata", "", "")
	var cs capStmt61f
	if err := json.Unmarshal([]byte(md.body), &cs); err != nil || len(cs.Rest) == 0 {
		t.Fatalf("metadata: %v", err)
	}
	want := map[string]bool{"Patient": true, "Condition": true, "Observation": true, "Encounter": true, "CarePlan": true, "CareTeam": true,
		"EpisodeOfCare": true, "Consent": true, "Flag": true, "Task": true, "ServiceRequest": true, "RelatedPerson": true, "AllergyIntolerance": true,
		"MedicationRequest": true, "DocumentReference": true, "Immunization": true, "Procedure": true, "Appointment": true, "AuditEvent": true}
	bad := 0
	for _, r := range cs.Rest[0].Resource {
		if !want[r.Type] {
			continue
		}
		tok := sys
		if r.Type == "AuditEvent" {
			tok = e.token("ig-officer", "nhs", "A81001")
		}
		for _, p := range r.SearchParam {
			q := url.Values{p.Name: {paramValue61f(p.Type)}}
			if p.Name == "patient" || p.Name == "subject" {
				q.Set(p.Name, "jane")
			}
			if r.Type == "AuditEvent" && p.Name == "outcome" {
				q.Set(p.Name, "0")
			}
			got := e.do("GET", "/fhir/"+r.Type+"?"+q.Encode(), tok, "")
			if p.Type == "reference" && got.status == 400 && strings.Contains(got.body, "cannot refer to") {
				for _, tt := range refTargets61f {
					q.Set(p.Name, tt+"/x")
					if got = e.do("GET", "/fhir/"+r.Type+"?"+q.Encode(), tok, ""); !(got.status == 400 && strings.Contains(got.body, "cannot refer to")) {
						break
					}
				}
			}
			if p.Type == "reference" && got.status == 400 && strings.Contains(got.body, "a bare id needs a type") {
				q.Set(p.Name, "Patient/jane")
				got = e.do("GET", "/fhir/"+r.Type+"?"+q.Encode(), tok, "")
			}
			if got.status == 400 || got.status >= 500 {
				bad++
				t.Errorf("listed %s?%s (%s): %d %.200s", r.Type, p.Name, p.Type, got.status, got.body)
			}
		}
		for _, inc := range r.SearchInclude {
			if got := e.do("GET", "/fhir/"+r.Type+"?_include="+url.QueryEscape(inc), tok, ""); got.status == 400 || got.status >= 500 {
				t.Errorf("listed _include=%s on %s: %d %.200s", inc, r.Type, got.status, got.body)
			}
		}
		for _, inc := range r.SearchRevInclude {
			if got := e.do("GET", "/fhir/"+r.Type+"?_revinclude="+url.QueryEscape(inc), tok, ""); got.status == 400 || got.status >= 500 {
				t.Errorf("listed _revinclude=%s on %s: %d %.200s", inc, r.Type, got.status, got.body)
			}
		}
	}
}

// TestReview61fSoundMetadataUnlistedParamsRefused: a search parameter the
// CapabilityStatement does not list is refused 400 (SPEC §7 "an unknown
// search parameter ... a clear OperationOutcome"), not silently ignored,
// and one that is taken is listed.
func TestReview61fSoundMetadataUnlistedParamsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	md := e.do("GET", "/fhir/metadata", "", "")
	var cs capStmt61f
	json.Unmarshal([]byte(md.body), &cs)
	listed := map[string]map[string]bool{}
	for _, r := range cs.Rest[0].Resource {
		listed[r.Type] = map[string]bool{}
		for _, p := range r.SearchParam {
			listed[r.Type][p.Name] = true
		}
	}
	// result parameters, which FHIR does not list as searchParam
	result := map[string]bool{"_count": true, "_sort": true, "_include": true, "_revinclude": true, "_summary": true, "_elements": true, "_total": true, "_contained": true, "_containedType": true, "_format": true, "_pretty": true, "_offset": true}
	cands := []string{"_tag", "_security", "_profile", "_source", "_text", "_content", "_list", "_has:Condition:subject:code", "_query", "_filter",
		"name", "family", "given", "birthdate", "gender", "address", "address-postalcode", "phone", "email", "telecom", "general-practitioner", "organization",
		"identifier", "_id", "_lastUpdated", "active", "death-date", "deceased", "name:exact", "family:contains",
		"clinical-status", "verification-status", "onset-date", "recorded-date", "encounter", "asserter", "severity", "body-site", "abatement-date",
		"code:text", "code:not", "code:below", "category", "status", "date", "value-quantity", "performer", "based-on", "subject:Patient", "patient:identifier", "_type", "_since", "_at", "_summary"}
	for _, typ := range []string{"Patient", "Condition", "Observation"} {
		for _, c := range cands {
			if result[c] {
				continue
			}
			base := c
			if i := strings.IndexByte(c, ':'); i > 0 && !strings.HasPrefix(c, "_has") {
				base = c[:i]
			}
			v := "x"
			switch base {
			case "birthdate", "death-date", "onset-date", "recorded-date", "abatement-date", "date", "_lastUpdated", "_since", "_at":
				v = "ge2020-01-01"
			case "subject", "patient", "general-practitioner", "organization", "encounter", "asserter", "performer", "based-on":
				v = "Patient/jane"
			case "value-quantity":
				v = "1"
			}
			got := e.do("GET", "/fhir/"+typ+"?"+url.QueryEscape(c)+"="+url.QueryEscape(v), gp, "")
			isListed := listed[typ][base] || (strings.HasPrefix(c, "_has") && listed[typ]["_has"])
			switch {
			case got.status == 200 && !isListed:
				t.Errorf("%s?%s=%s answered 200 but %q is not in the CapabilityStatement's searchParam", typ, c, v, base)
			case got.status == 400 && isListed && base == c && !strings.Contains(got.body, "cannot refer to"):
				t.Errorf("%s?%s=%s listed but refused 400: %.200s", typ, c, v, got.body)
			}
		}
	}
}

// TestReview61fSoundMetadataOperationsExist: each operation listed is routed
// (not 404 "unknown" / 405) for the role it is meant for.
func TestReview61fSoundMetadataOperationsExist(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	md := e.do("GET", "/fhir/metadata", "", "")
	var cs capStmt61f
	json.Unmarshal([]byte(md.body), &cs)
	ig := e.token("ig-officer", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	n := 0
	for _, r := range cs.Rest[0].Resource {
		for _, op := range r.Operation {
			n++
			paths := []string{"/fhir/" + r.Type + "/$" + op.Name}
			if r.Type == "Patient" {
				paths = append([]string{"/fhir/Patient/jane/$" + op.Name}, paths...)
			}
			ok := false
			var seen []string
			for _, p := range paths {
				for _, tok := range []string{gp, ig} {
					q := p + map[string]string{"explain": "?role=gp&org=A81001&sector=nhs", "who-accessed": "?patient=jane", "user-activity": "?agent=gp-user"}[op.Name]
					got := e.do("GET", q, tok, "")
					seen = append(seen, fmt.Sprintf("%s %d", q, got.status))
					if got.status == 200 {
						ok = true
					}
				}
			}
			if !ok {
				t.Errorf("listed operation %s on %s: no 200 for gp or IG: %v", op.Name, r.Type, seen)
			}
		}
	}
	if n == 0 {
		t.Fatalf("premise: no operation listed")
	}
}

// TestReview61fSoundApplicationLogOnNamesAndBodies: at debug level, the
// application log after malformed bodies carrying personal data, an
// oversized body, a wrong media type with a name, a search by name, an
// NHS number in the path, tokens with names (good and forged), and
// a panic-free 5xx when the records close, holds no personal data; and no
// 4xx OperationOutcome echoes the body's personal data.
func TestReview61fSoundApplicationLogOnNamesAndBodies(t *testing.T) {
	var buf lockedBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Logger = logger; c.MaxBody = 4096 })
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	named := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Name = "Quentinella Zebedee"; c.Sub = "quentinella.zebedee@nhs.net" })
	forged := named[:len(named)-4] + "AAAA"
	stranger := e.token("hospital-clinician", "nhs", "Z99999")
	big := `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"note":"` + strings.Repeat("Zebedee 9434765919 ", 400) + `"}`
	type req struct {
		method, path, tok, body string
		hdr                     []string
	}
	var outs []string
	for _, r := range []req{
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"birthDate":"1950-03-04",`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"birthDate":"Zebedee-9434765919"}`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}],"name":[{"family":"Zebedee"}]}`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","gender":"Zebedee9434765919"}`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Zebedee9434765919"}`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"Zebedee9434765919":1}`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","name":"Zebedee 9434765919"}`, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","birthDate":1950,"name":[{"family":"Zebedee","given":["9434765919"]}]}`, nil},
		{"POST", "/fhir/Observation", sys, `{"resourceType":"Observation","status":"Zebedee9434765919","code":{"text":"x"},"subject":{"reference":"Patient/jane"}}`, nil},
		{"POST", "/fhir/Observation", sys, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/Zebedee9434765919"}}`, nil},
		{"POST", "/fhir/Patient", sys, big, nil},
		{"POST", "/fhir/Patient", sys, `Zebedee 9434765919`, []string{"Content-Type", "text/plain; name=Zebedee"}},
		{"GET", "/fhir/Patient?name=Zebedee&birthdate=Zebedee9434765919", gp, "", nil},
		{"GET", "/fhir/Patient?name=Zebedee&Zebedee9434765919=1", gp, "", nil},
		{"GET", "/fhir/Condition?code=http://snomed.info/sct|Zebedee9434765919&_sort=Zebedee", gp, "", nil},
		{"GET", "/fhir/Patient/9434765919", gp, "", nil},
		{"GET", "/fhir/Patient/jane", named, "", nil},
		{"GET", "/fhir/Patient/jane", forged, "", nil},
		{"GET", "/fhir/Patient/jane", "Zebedee9434765919", "", nil},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", nil},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", []string{"X-Break-Glass", "Zebedee9434765919"}},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Zebedee"}],"birthDate":"Zebedee9434765919"},"request":{"method":"POST","url":"Patient"}}]}`, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Zebedee"}],"birthDate":"Zebedee9434765919"},"request":{"method":"POST","url":"Patient"}}]}`, nil},
		{"PUT", "/fhir/Patient/jane", sys, `{"resourceType":"Patient","id":"Zebedee9434765919","name":[{"family":"Zebedee"}]}`, nil},
		{"GET", "/fhir/AuditEvent?patient=jane&agent=Zebedee9434765919&date=Zebedee", e.token("ig-officer", "nhs", "A81001"), "", nil},
	} {
		got := e.do(r.method, r.path, r.tok, r.body, r.hdr...)
		outs = append(outs, fmt.Sprintf("%s %.50s -> %d", r.method, r.path, got.status))
		// The caller's own input may be quoted back to them in a 4xx; the
		// data of a person they may not see may not: Jane's details.
		for _, p := range []string{"Smith", "1950-03-04", "GP-HIV", "GP-DIABETES", "86406008"} {
			if got.status >= 400 && strings.Contains(got.body, p) {
				t.Errorf("%s %.60s (%d): the answer quotes Jane's %q: %.300s", r.method, r.path, got.status, p, got.body)
			}
		}
	}
	t.Logf("%s", strings.Join(outs, "\n"))
	e.db.Close()
	for _, r := range []req{
		{"GET", "/fhir/Patient?name=Zebedee", gp, "", nil},
		{"GET", "/fhir/Patient/9434765919", gp, "", nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","name":[{"family":"Zebedee"}]}`, nil},
		{"GET", "/fhir/Patient/jane", named, "", nil},
	} {
		e.do(r.method, r.path, r.tok, r.body, r.hdr...)
	}
	log := lognoise.Strip(buf.String())
	for _, p := range []string{"9434765919", "9434765918", "Zebedee", "Quentinella", "quentinella", "jane", "1950", "Smith"} {
		if strings.Contains(log, p) {
			for _, l := range strings.Split(log, "\n") {
				if strings.Contains(l, p) {
					t.Errorf("the application log holds %q: %.400s", p, l)
					break
				}
			}
		}
	}
}

// TestReview61fMetadataOperationParamsTellTheTruth: each contained
// OperationDefinition's parameters: with only the required ones (min 1)
// the operation answers 200, and each optional one given alone beside
// them is taken (200) by the role the operation is for.
func TestReview61fMetadataOperationParamsTellTheTruth(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	md := e.do("GET", "/fhir/metadata", "", "")
	var cs struct {
		Contained []struct {
			ID, Code  string
			Resource  []string `json:"resource"`
			Instance  bool     `json:"instance"`
			Parameter []struct {
				Name, Type, Max string
				Min             int
			} `json:"parameter"`
		} `json:"contained"`
	}
	if err := json.Unmarshal([]byte(md.body), &cs); err != nil || len(cs.Contained) == 0 {
		t.Fatalf("metadata contained: %v", err)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	val := func(name, typ string) string {
		if v, ok := map[string]string{"_type": "Condition", "role": "gp", "org": "A81001", "sector": "nhs", "sub": "gp-user", "name": "Test gp",
			"purpose": "TREAT", "break-glass": "EMERGENCY: test", "patient": "jane", "agent": "gp-user"}[name]; ok {
			return v
		}
		switch typ {
		case "integer":
			return "1"
		case "date":
			return "2020-01-01"
		case "instant", "dateTime":
			return "2020-01-01T00:00:00Z"
		}
		return "x"
	}
	for _, op := range cs.Contained {
		path := "/fhir/" + op.Resource[0] + "/$" + op.Code
		if op.Instance {
			path = "/fhir/" + op.Resource[0] + "/jane/$" + op.Code
		}
		tok := ig
		if op.Code == "everything" {
			tok = gp
		}
		req := url.Values{}
		for _, p := range op.Parameter {
			if p.Min >= 1 {
				req.Set(p.Name, val(p.Name, p.Type))
			}
		}
		if got := e.do("GET", path+"?"+req.Encode(), tok, ""); got.status != 200 {
			t.Errorf("%s with its required parameters only (%s): %d %.250s", op.ID, req.Encode(), got.status, got.body)
		}
		for _, p := range op.Parameter {
			if p.Min >= 1 {
				continue
			}
			q := url.Values{}
			for k, v := range req {
				q[k] = v
			}
			q.Set(p.Name, val(p.Name, p.Type))
			if got := e.do("GET", path+"?"+q.Encode(), tok, ""); got.status != 200 {
				t.Errorf("%s with optional %s (%s): %d %.250s", op.ID, p.Name, q.Encode(), got.status, got.body)
			}
		}
	}
}

// TestReview61fSoundCapabilityInteractionsTellTheTruth: what the
// CapabilityStatement says of every stored type holds: conditionalDelete
// not-supported (a conditional DELETE deletes nothing), format json
// (_format=json and application/fhir+json are taken), history-type,
// history-system, vread, updateCreate, conditionalCreate and
// conditionalUpdate are answered, and HEAD /fhir/metadata is answered
// without a token.
func TestReview61fSoundCapabilityInteractionsTellTheTruth(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	md := e.do("GET", "/fhir/metadata", "", "")
	for _, want := range []string{`"conditionalDelete":"not-supported"`, `"updateCreate":true`, `"conditionalCreate":true`, `"conditionalUpdate":true`, `"history-system"`, `"json"`} {
		if !strings.Contains(md.body, want) {
			t.Fatalf("premise: metadata lacks %s", want)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", sys, ""); r.status < 400 {
		t.Errorf("conditional DELETE (not-supported) answered %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Condition?patient=jane", sys, ""); r.status < 400 {
		t.Errorf("conditional DELETE (not-supported) answered %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 200 {
		t.Errorf("Jane after conditional DELETEs: %d", r.status)
	}
	for _, f := range []string{"json", "application/fhir+json", "application/json"} {
		if r := e.do("GET", "/fhir/Patient/jane?_format="+url.QueryEscape(f), gp, ""); r.status != 200 {
			t.Errorf("_format=%s on a read: %d %.200s", f, r.status, r.body)
		}
	}
	for _, p := range []string{"/fhir/Condition/_history", "/fhir/_history", "/fhir/Patient/jane/_history/1", "/fhir/Patient/jane/_history"} {
		if r := e.do("GET", p, gp, ""); r.status != 200 {
			t.Errorf("GET %s: %d %.200s", p, r.status, r.body)
		}
	}
	if r := e.do("PUT", "/fhir/Observation/new61f", sys, `{"resourceType":"Observation","id":"new61f","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"}}`); r.status != 201 {
		t.Errorf("updateCreate: %d %.200s", r.status, r.body)
	}
	if r := e.do("POST", "/fhir/Observation", sys, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"}}`, "If-None-Exist", "_id=new61f"); r.status != 200 {
		t.Errorf("conditionalCreate with a match: %d %.200s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Observation?_id=new61f", sys, `{"resourceType":"Observation","status":"final","code":{"text":"y"},"subject":{"reference":"Patient/jane"}}`); r.status != 200 {
		t.Errorf("conditionalUpdate: %d %.200s", r.status, r.body)
	}
	if r := e.do("HEAD", "/fhir/metadata", "", ""); r.status != 200 {
		t.Errorf("HEAD /fhir/metadata: %d", r.status)
	}
}

// TestReview61fSoundStrangerErrorsQuoteNothingStored: a system and a
// clinician of an organisation with no relationship to Jane provoke 4xx
// answers around her record — conditional create, update and references
// by her NHS number, a PUT and DELETE of her items, _include and history
// of them, bad parameters beside her id (the reads before any write) —
// and no answer quotes anything
// stored about her that the request did not itself carry.
func TestReview61fSoundStrangerErrorsQuoteNothingStored(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sys := e.token("system", "nhs", "Z99999")
	doc := e.token("hospital-clinician", "nhs", "Z99999")
	nhs := "https://fhir.nhs.uk/Id/nhs-number|9434765919"
	type req struct {
		tok, method, path, body string
		hdr                     []string
	}
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=` + nhs + `"}}`
	for _, r := range []req{
		// reads first: a write about her makes the writer a source of her data (a relationship, README)
		{doc, "GET", "/fhir/Condition?patient=jane&_include=Condition:subject&zebedee=1", "", nil},
		{doc, "GET", "/fhir/Condition/hiv/_history/2", "", nil},
		{doc, "GET", "/fhir/Patient/jane/$everything?_type=Nonsense", "", nil},
		{doc, "GET", "/fhir/Patient/jane/$everything?start=2020-13-01", "", nil},
		{doc, "GET", "/fhir/Patient?identifier=" + url.QueryEscape(nhs) + "&_revinclude=Condition:subject", "", nil},
		{doc, "POST", "/fhir/Patient/jane/$everything", `{"resourceType":"Parameters","parameter":[{"name":"_since","valueInstant":"x"}]}`, nil},
		{doc, "GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs", "", nil},
		{doc, "GET", "/fhir/AuditEvent?patient=jane", "", nil},
		{sys, "POST", "/fhir/Observation", obs, nil},
		{sys, "POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Okafor"}]}`, []string{"If-None-Exist", "identifier=" + nhs}},
		{sys, "POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Okafor"}]}`, []string{"If-None-Exist", "_id=jane"}},
		{sys, "PUT", "/fhir/Patient?identifier=" + url.QueryEscape(nhs), `{"resourceType":"Patient","name":[{"family":"Okafor"}]}`, nil},
		{sys, "PUT", "/fhir/Condition?_id=hiv", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`, nil},
		{sys, "PUT", "/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","name":[{"family":"Okafor"}]}`, nil},
		{sys, "PUT", "/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","name":[{"family":"Okafor"}]}`, []string{"If-Match", `W/"1"`}},
		{sys, "DELETE", "/fhir/Condition/diabetes", "", nil},
		{sys, "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:a","resource":` + obs + `,"request":{"method":"POST","url":"Observation"}},{"request":{"method":"PUT","url":"Patient?identifier=` + nhs + `"},"resource":{"resourceType":"Patient"}}]}`, nil},
		{sys, "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/jane"}},{"request":{"method":"GET","url":"Condition/hiv/_history/1"}},{"request":{"method":"DELETE","url":"Condition/hiv"}}]}`, nil},
	} {
		got := e.do(r.method, r.path, r.tok, r.body, r.hdr...)
		sent := r.path + r.body + strings.Join(r.hdr, " ")
		for _, p := range []string{"Smith", "1950-03-04", "GP-HIV", "GP-DIABETES", "86406008", "44054006", "9434765919", "jane", "A81001", "female"} {
			if strings.Contains(got.body, p) && !strings.Contains(sent, p) {
				t.Errorf("%s %.70s (%d): the answer quotes %q: %.300s", r.method, r.path, got.status, p, got.body)
			}
		}
		if got.status < 400 && r.method != "POST" {
			t.Logf("%s %.70s answered %d", r.method, r.path, got.status)
		}
	}
}
