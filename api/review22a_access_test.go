package api_test

// Review 22a: the access log after review 21c (routeOperation, pathNames
// for early refusals, bare NHS number in searchNames, 415 bodies read,
// BreakGlass set in requestContext).

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview22aSound401BreakGlassAlert: a request with X-Break-Glass
// refused 401 (no token, an expired one, a garbage one) is IG's alert as
// a refused break-glass ("break-glass refused: …"), naming the person the
// path names and no user (the expired token's unverified sub is not
// taken), and $break-glass lists the attempts with status 401 and no sub.
func TestReview22aSound401BreakGlassAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	const reason = "EMERGENCY: anonymous caller 401 reason text"
	for _, tok := range []string{"", e.expiredToken(), "garbage.token.here"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "", "X-Break-Glass", reason)
		if r.status != 401 {
			t.Fatalf("premise: %d", r.status)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	var rep struct {
		Alerts []struct{ Kind, Sub, Patient, Detail string } `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v", r.status, err)
	}
	found := false
	for _, a := range rep.Alerts {
		if a.Kind == "break-glass" {
			found = true
			if a.Sub != "" || a.Patient != "jane" || !strings.HasPrefix(a.Detail, "break-glass refused: ") {
				t.Errorf("alert: %+v", a)
			}
		}
	}
	if !found {
		t.Errorf("no break-glass alert for the 401s: %.600s", r.body)
	}
	bg := e.do("GET", "/fhir/AuditEvent/$break-glass?patient=jane", ig, "")
	if bg.status != 200 || strings.Contains(bg.body, `"sub"`) || strings.Count(bg.body, `"status": 401`) != 3 {
		t.Errorf("$break-glass: %d %.800s", bg.status, bg.body)
	}
}

// TestReview22aSoundRefusedBareNHSSearchVariantsNameThePerson: a Patient
// search by her bare NHS number refused for its purpose names her however
// it is sent: with spaces, by POST _search, in a batch.
func TestReview22aSoundRefusedBareNHSSearchVariantsNameThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	for i, c := range []struct{ method, path, body string }{
		{"GET", "/fhir/Patient?identifier=" + url.QueryEscape("943 476 5919"), ""},
		{"GET", "/fhir/Patient?identifier=9434765919&_summary=count", ""},
		{"POST", "/fhir/Patient/_search", "identifier=9434765919"},
	} {
		var hdr []string
		if c.method == "POST" {
			hdr = []string{"Content-Type", "application/x-www-form-urlencoded"}
		}
		r, xs := e.review21cDo(t, "nhs22a-"+string(rune('a'+i)), c.method, c.path, mk, c.body, hdr...)
		if r.status < 400 || len(xs) != 1 {
			t.Fatalf("%s %s: %d, %d entries", c.method, c.path, r.status, len(xs))
		}
		if xs[0].Patient != "jane" {
			t.Errorf("%s %s %s refused %d is logged with patient %q %v, NHS number %q: want Jane", c.method, c.path, c.body, r.status, xs[0].Patient, xs[0].Patients, xs[0].NHSNumber)
		}
	}
}

// TestReview22aSoundEarlyRefusalsDoNotPanic: odd paths refused before
// their handler are logged with an operation and answered (no 500).
func TestReview22aSoundEarlyRefusalsDoNotPanic(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for i, c := range []struct{ method, path, body string }{
		{"PATCH", "/fhir/Patient/jane/$everything", ""},
		{"DELETE", "/fhir/Patient/jane/_history/1", ""},
		{"PUT", "/fhir/AuditEvent/x", `{"resourceType":"AuditEvent"}`},
		{"POST", "/fhir/Patient/jane/$explain", ""},
		{"GET", "/fhir/Patient/_history?_since=%zz", ""},
		{"TRACE", "/fhir/Patient", ""},
		{"GET", "/fhir/Patient/jane/$everything?_format=xml", ""},
	} {
		r, xs := e.review21cDo(t, "early22a-"+string(rune('a'+i)), c.method, c.path, gp, c.body, "X-Break-Glass", "EMERGENCY: early refusal check")
		if r.status >= 500 {
			t.Errorf("%s %s: %d %.300s", c.method, c.path, r.status, r.body)
		}
		if len(xs) != 1 {
			t.Errorf("%s %s: %d entries", c.method, c.path, len(xs))
			continue
		}
		t.Logf("%s %s: %d op=%q type=%q patient=%q bg=%q", c.method, c.path, r.status, xs[0].Operation, xs[0].Type, xs[0].Patient, xs[0].BreakGlass)
	}
}

// TestReview22a405NamesThePersonItsPathNames: review 21c logs a request
// refused before its handler (401, 405, …) "with its route's operation,
// what its path names and the break-glass reason it sent". A 405 with
// X-Break-Glass on Jane's record (PATCH of her Patient or of her
// $everything, DELETE of a version of her Patient) is logged naming no one,
// where the same path refused 401 names her: IG's $who-accessed?patient=jane
// and the break-glass alert do not say whose record it was.
func TestReview22a405NamesThePersonItsPathNames(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	const reason = "EMERGENCY: found collapsed, need her record"
	for i, c := range []struct{ method, path string }{
		{"PATCH", "/fhir/Patient/jane"},
		{"PATCH", "/fhir/Patient/jane/$everything"},
		{"DELETE", "/fhir/Patient/jane/_history/1"},
		{"PUT", "/fhir/Patient/jane/_history/1"},
		{"POST", "/fhir/Patient/jane"},
	} {
		body := ""
		if c.method != "DELETE" {
			body = `{"resourceType":"Patient","id":"jane"}`
		}
		r401, x401 := e.review21cDo(t, "m22a-401-"+string(rune('a'+i)), c.method, c.path, e.expiredToken(), body, "X-Break-Glass", reason)
		r, xs := e.review21cDo(t, "m22a-"+string(rune('a'+i)), c.method, c.path, gp, body, "X-Break-Glass", reason)
		if len(xs) != 1 || len(x401) != 1 {
			t.Fatalf("%s %s: %d entries", c.method, c.path, len(xs))
		}
		t.Logf("%s %s: %d op=%q type=%q id=%q patient=%q; expired token: %d patient=%q", c.method, c.path, r.status, xs[0].Operation, xs[0].Type, xs[0].ID, xs[0].Patient, r401.status, x401[0].Patient)
		if r.status == 405 && xs[0].Patient != "jane" {
			t.Errorf("%s %s refused 405 with X-Break-Glass is logged naming %q %v (type %q), not Jane; with an expired token the same path names %q", c.method, c.path, xs[0].Patient, xs[0].Patients, xs[0].Type, x401[0].Patient)
		}
	}
}

var _ = json.Unmarshal
var _ = strings.Contains

// TestReview22aTransactionRefusedForItsMediaTypeNamesItsPeople: review
// 21c reads the body of a create or update refused 415 to name its people,
// as one refused 403 for its purpose is named. A transaction bundle of
// Jane's items, refused 403 for its purpose, is logged naming Jane; the
// same bundle sent as text/plain (415) is checked here, with odd bodies
// (XML, empty, not JSON) refused 415 answered without a fault.
func TestReview22aTransactionRefusedForItsMediaTypeNamesItsPeople(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:6f2c2a57-6c1b-4b8e-9b57-0d3b8d3f1a01","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"TX22A"}},"request":{"method":"POST","url":"Condition"}}]}`
	r403, x403 := e.review21cDo(t, "tx22a-403", "POST", "/fhir", mk, tx)
	r415, x415 := e.review21cDo(t, "tx22a-415", "POST", "/fhir", gp, tx, "Content-Type", "text/plain")
	if len(x403) < 1 || len(x415) != 1 {
		t.Fatalf("entries: %d %d", len(x403), len(x415))
	}
	t.Logf("403: %d patient=%q %v; 415: %d patient=%q %v", r403.status, x403[0].Patient, x403[0].Patients, r415.status, x415[0].Patient, x415[0].Patients)
	named403 := x403[0].Patient == "jane" || contains22a(x403[0].Patients, "jane")
	named415 := x415[0].Patient == "jane" || contains22a(x415[0].Patients, "jane")
	if named403 && !named415 {
		t.Errorf("a transaction of Jane's items refused 415 (text/plain) is logged naming %q %v; refused 403 for its purpose it names Jane", x415[0].Patient, x415[0].Patients)
	}
	for i, c := range []struct{ ct, body string }{
		{"application/xml", `<Condition xmlns="http://hl7.org/fhir"><subject><reference value="Patient/jane"/></subject></Condition>`},
		{"text/plain", "not json at all"},
		{"application/octet-stream", "\x00\x01\x02"},
		{"text/plain", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"` + strings.Repeat("y", 60<<10) + `"}}`},
	} {
		r, xs := e.review21cDo(t, "m415-22a-"+string(rune('a'+i)), "POST", "/fhir/Condition", gp, c.body, "Content-Type", c.ct)
		if r.status >= 500 || len(xs) != 1 {
			t.Errorf("POST as %s: %d, %d entries", c.ct, r.status, len(xs))
		}
	}
}

func contains22a(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
