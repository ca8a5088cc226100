package api_test

// Review 4b: authorisation of writes and the access log. Each test fails on
// the code as reviewed and says, in its comment, what goes wrong.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview4bStrangerConsentReleasesHIVToThirdOrg: a Consent recorded by
// an organisation that is neither the data's source nor the person's GP
// (nor related to the person at all) releases the GP's HIV diagnosis to a
// third organisation. Only the recorder itself is excluded from a permit
// (TestNoOneGrantsThemselvesSensitiveData), and the "needs a legitimate
// relationship" check in ConsentPolicy.MayWrite is (a) skipped for client
// systems (role system, OwnOrgOnly), (b) met by any organisation that has
// just written one throwaway item about the person (it is then a
// "source"), and (c) met by a break-glass grant. So anyone can record
// "Jane permits her HIV data to the hospital" and the hospital clinician
// then reads Jane's HIV diagnosis, which neither Jane, her GP nor the
// data's source ever permitted. The README's own words: "the data's source
// or the person's GP records such a permit".
func TestReview4bStrangerConsentReleasesHIVToThirdOrg(t *testing.T) {
	sub := func(s string) func(*auth.DevClaims) { return func(c *auth.DevClaims) { c.Sub = s } }
	routes := []struct {
		name  string
		write func(e *env) resp
	}{
		{"client system with no relationship", func(e *env) resp {
			return e.do("PUT", "/fhir/Consent/z-permit", e.token("system", "nhs", "Z99999"), janeHIVPermit("z-permit"))
		}},
		{"nurse of an unrelated trust after writing one allergy", func(e *env) resp {
			z := e.token("district-nurse", "nhs", "Z99995")
			if r := e.do("PUT", "/fhir/AllergyIntolerance/z-a", z, `{"resourceType":"AllergyIntolerance","id":"z-a","patient":{"reference":"Patient/jane"},"code":{"text":"x"}}`); r.status != 201 {
				t.Fatalf("allergy: %d %s", r.status, r.body)
			}
			return e.do("PUT", "/fhir/Consent/z-permit", z, janeHIVPermit("z-permit"))
		}},
		{"unrelated GP holding a break-glass grant", func(e *env) resp {
			z := e.token("gp", "nhs", "Z99998", sub("z-gp"))
			if r := e.do("GET", "/fhir/Patient/jane/$everything", z, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E"); r.status != 200 {
				t.Fatalf("break-glass: %d %s", r.status, r.body)
			}
			return e.do("PUT", "/fhir/Consent/z-permit", z, janeHIVPermit("z-permit"))
		}},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("hospital-clinician", "nhs", "RHX")
			if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
				t.Fatalf("before: the hospital reads Jane's HIV diagnosis: %d", r.status)
			}
			w := rt.write(e)
			if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
				t.Errorf("a permit recorded by an organisation that is neither the source nor Jane's GP (write: %d) released Jane's HIV diagnosis to the hospital: %d %.120s", w.status, r.status, r.body)
			}
		})
	}
}

// janeHIVPermit is janeHIVToHospital with another id.
func janeHIVPermit(id string) string {
	return strings.NewReplacer("jane-hiv-hosp", id).Replace(janeHIVToHospital)
}

// TestReview4bRefusedWritesNameThePerson: a refused or withheld write about
// a person is logged without the person, so IG's "who accessed this
// person's record" (AuditEvent?patient=, $who-accessed) never shows it: an
// unrelated GP trying to record Jane's consent, a nurse trying to overwrite
// or delete the GP's diagnosis of Jane (403), or to delete Jane's withheld
// HIV diagnosis (404, logged as a plain not-found "error", where a withheld
// read is logged as a denial with reason "withheld" so that IG can tell it
// from a mistyped id). The SPEC's entry has "patient"; these are exactly
// the attempts IG is asked about. The reads in the same test are logged
// with the patient (and pass).
func TestReview4bRefusedWritesNameThePerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-x" })
	stranger := e.token("gp", "nhs", "Z99998", func(c *auth.DevClaims) { c.Sub = "stranger-x" })
	ig := e.token("ig-officer", "nhs", "A81001")
	tries := []struct{ who, method, path, body string }{
		{"stranger-x", "GET", "/fhir/Condition/diabetes", ""}, // control: logged with the patient
		{"stranger-x", "PUT", "/fhir/Consent/zz", janeHIVPermit("zz")},
		{"nurse-x", "PUT", "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"changed"}}`},
		{"nurse-x", "DELETE", "/fhir/Condition/diabetes", ""},
		{"nurse-x", "DELETE", "/fhir/Condition/hiv", ""},
	}
	tok := map[string]string{"nurse-x": nurse, "stranger-x": stranger}
	for _, tr := range tries {
		if r := e.do(tr.method, tr.path, tok[tr.who], tr.body); r.status < 400 {
			t.Fatalf("%s %s: %d, want a refusal", tr.method, tr.path, r.status)
		}
	}
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	if r.status != 200 {
		t.Fatalf("$who-accessed: %d %s", r.status, r.body)
	}
	var rep struct {
		Entries []struct {
			Sub      string   `json:"sub"`
			Method   string   `json:"method"`
			Path     string   `json:"path"`
			Decision string   `json:"decision"`
			Reasons  []string `json:"reasons"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	for _, tr := range tries {
		found := false
		for _, en := range rep.Entries {
			if en.Sub == tr.who && en.Method == tr.method && en.Path == tr.path {
				found = true
				if tr.path == "/fhir/Condition/hiv" && (en.Decision != "deny" || !strings.Contains(strings.Join(en.Reasons, ","), "withheld")) {
					t.Errorf("DELETE of Jane's withheld HIV diagnosis logged as %s %v, not as a denial (withheld)", en.Decision, en.Reasons)
				}
			}
		}
		if !found {
			t.Errorf("%s's refused %s %s is not in Jane's $who-accessed: the entry names no patient", tr.who, tr.method, tr.path)
		}
	}
}

// TestReview4bTransactionAcrossPeopleNamesThem: a transaction that writes
// items of two people is logged with no patient at all (transaction sets
// Exchange.Patient only when exactly one person was written, and never
// Exchange.Patients), so neither person's $who-accessed or
// AuditEvent?patient= lists it, although its entry's "released" names their
// items. A search across people names every one (TestLogSearchAcrossPeople);
// a write across people must too.
func TestReview4bTransactionAcrossPeopleNamesThem(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-feed" })
	ig := e.token("ig-officer", "nhs", "A81001")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","id":"bob","name":[{"family":"Brown"}]},"request":{"method":"PUT","url":"Patient/bob"}},
 {"resource":{"resourceType":"Condition","id":"bob-c","subject":{"reference":"Patient/bob"},"code":{"text":"B"}},"request":{"method":"PUT","url":"Condition/bob-c"}},
 {"resource":{"resourceType":"Condition","id":"jane-c","subject":{"reference":"Patient/jane"},"code":{"text":"J"}},"request":{"method":"PUT","url":"Condition/jane-c"}}]}`
	if r := e.do("POST", "/fhir", gpSys, tx); r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	for _, who := range []string{"jane", "bob"} {
		r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient="+who, ig, "")
		if r.status != 200 {
			t.Fatalf("$who-accessed: %d %s", r.status, r.body)
		}
		if !strings.Contains(r.body, `"gp-feed"`) {
			t.Errorf("the transaction that wrote %s's record is not in %s's $who-accessed: %.400s", who, who, r.body)
		}
	}
}

// TestResponsesAreNotCached: every FHIR answer, released record or
// refusal, tells caches on the way not to keep it, and browsers not to
// guess its type.
func TestResponsesAreNotCached(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, tc := range []struct{ method, path, token string }{
		{"GET", "/fhir/Patient/jane", gp},
		{"GET", "/fhir/Patient/jane/$everything", gp},
		{"GET", "/fhir/Condition?patient=jane", gp},
		{"GET", "/fhir/Patient/jane", e.token("gp", "nhs", "Z99998")}, // 403
		{"GET", "/fhir/Patient/nobody", gp},                           // 404
		{"GET", "/fhir/Patient/jane", ""},                             // 401
	} {
		r := e.do(tc.method, tc.path, tc.token, "")
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control %q, want no-store", tc.method, tc.path, r.status, got)
		}
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", tc.method, tc.path, r.status, got)
		}
	}
}
