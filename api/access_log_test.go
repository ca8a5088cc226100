package api_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// lastEntry is the access-log record of the latest request.
func (e *env) lastEntry(t *testing.T) api.Exchange {
	t.Helper()
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	if len(e.rec.xs) == 0 {
		t.Fatal("nothing recorded")
	}
	return e.rec.xs[len(e.rec.xs)-1]
}

// TestAccessLogSaysWhatWasWithheld: a request that the sharing decision
// answered with nothing looks to the caller like a request for something
// that never existed, but its access-log entry says what happened (a
// denial, what was withheld, whose record) and names the person by id and
// NHS number, so that IG's "who tried to see this person's record" finds
// it, also when it came in as a search by NHS number.
func TestAccessLogSaysWhatWasWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	if r := e.do("PUT", "/fhir/Consent/jane-no-council", e.token("system", "nhs", "A81001"), janeNotSharedWithCouncil); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	gp := e.token("gp", "nhs", "A81001")
	const byNHS = "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205919"
	for _, c := range []struct {
		name, path, token string
		status            int
		decision          string
		withheld          int
		reason, patient   string
		nhs               string
	}{
		{"withheld read", "/fhir/Condition/diabetes", sw, 404, "deny", 1, "withheld", "jane", "9434765919"},
		{"withheld person", "/fhir/Patient/jane", sw, 404, "deny", 1, "withheld", "jane", "9434765919"},
		{"withheld version", "/fhir/Condition/diabetes/_history/1", sw, 404, "deny", 1, "withheld", "jane", "9434765919"},
		{"withheld history", "/fhir/Condition/diabetes/_history", sw, 404, "deny", 1, "withheld", "jane", "9434765919"},
		{"never existed", "/fhir/Condition/nothing", sw, 404, "error", 0, "not-found", "", ""},
		{"search finding only a withheld person", byNHS, sw, 200, "deny", 1, "", "jane", "9434765919"},
		{"search finding the person", byNHS, gp, 200, "permit", 0, "", "jane", "9434765919"},
		{"search finding no one keeps the number searched", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", gp, 200, "permit", 0, "", "", "9990000018"},
		{"an id of another type", "/fhir/Condition/hba1c", gp, 404, "error", 0, "not-found", "", ""},
		{"a GP's read", "/fhir/Condition/diabetes", gp, 200, "permit", 0, "", "jane", "9434765919"},
	} {
		r := e.do("GET", c.path, c.token, "")
		x := e.lastEntry(t)
		if r.status != c.status || x.Decision != c.decision || x.Withheld != c.withheld || x.Patient != c.patient || x.NHSNumber != c.nhs ||
			c.reason != "" && !slices.Contains(x.Reasons, c.reason) || c.reason == "withheld" && slices.Contains(x.Reasons, "not-found") {
			t.Errorf("%s: status %d, logged %s withheld=%d reasons=%v patient=%q nhs=%q; want %d %s withheld=%d %q patient=%q nhs=%q",
				c.name, r.status, x.Decision, x.Withheld, x.Reasons, x.Patient, x.NHSNumber, c.status, c.decision, c.withheld, c.reason, c.patient, c.nhs)
		}
	}
	// The caller cannot tell a withheld item from one that never existed:
	// the same status and the same words, but for the id.
	for _, suffix := range []string{"", "/_history/1", "/_history"} {
		withheld, never := e.do("GET", "/fhir/Condition/diabetes"+suffix, sw, ""), e.do("GET", "/fhir/Condition/diabetez"+suffix, sw, "")
		if withheld.status != never.status || strings.ReplaceAll(withheld.body, "diabetes", "diabetez") != never.body {
			t.Errorf("a withheld read%s differs from a missing one:\n%s\n%s", suffix, withheld.body, never.body)
		}
	}
}

// TestLogSearchAcrossPeople: a search that touched several people's
// records names all of them in its log entry, so that "who accessed this
// patient" finds it (the entry named nobody). Break-glass opens one
// person's record per request: a search across people with it is refused,
// and a narrow search that matches several people's items opens the first
// person only; the break-glass report lists the act and the accesses made
// under its grant, and the AuditEvent names each person.
func TestLogSearchAcrossPeople(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	for path, body := range map[string]string{
		"/fhir/Patient/bob":            `{"resourceType":"Patient","id":"bob","name":[{"family":"BOB"}]}`,
		"/fhir/Condition/bob-diabetes": `{"resourceType":"Condition","id":"bob-diabetes","identifier":[{"system":"https://example.org/cond","value":"shared-1"}],"subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`,
		"/fhir/Condition/jane-asthma":  `{"resourceType":"Condition","id":"jane-asthma","identifier":[{"system":"https://example.org/cond","value":"shared-1"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]}}`,
	} {
		if r := e.do("PUT", path, gpSys, body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	st := e.token("hospital-clinician", "nhs", "RZZ")
	const reason = "EMERGENCY: major incident, casualties unidentified"
	// Without a relationship, across people: nothing released, both named.
	if r := e.do("GET", "/fhir/Condition?code=44054006", st, ""); r.status != 200 || parseBundle(t, r.body).Total != 0 {
		t.Fatalf("search across people: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition?code=44054006", st, "", "X-Break-Glass", reason); r.status != 400 || !strings.Contains(r.body, "one person") {
		t.Fatalf("break-glass across people: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Condition?identifier=https://example.org/cond|shared-1", st, "", "X-Break-Glass", reason)
	if b := parseBundle(t, r.body); r.status != 200 || b.Total != 1 {
		t.Fatalf("break-glass on an identifier two people's items share: want one person's opened: %d %s", r.status, r.body)
	}
	opened, other := "jane", "bob"
	if strings.Contains(r.body, "bob-diabetes") {
		opened, other = "bob", "jane"
	}
	if r := e.do("GET", "/fhir/Patient/"+opened, st, ""); r.status != 200 { // under the grant
		t.Fatalf("read under the grant: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/"+other, st, ""); r.status != 403 {
		t.Fatalf("the other person's record was opened too: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	type report struct {
		Total   int `json:"total"`
		Entries []struct {
			Seq       int64    `json:"seq"`
			Sub       string   `json:"sub"`
			Operation string   `json:"operation"`
			Patient   string   `json:"patient"`
			Patients  []string `json:"patients"`
			Decision  string   `json:"decision"`
		} `json:"entries"`
		Alerts []struct {
			Kind, Patient string
		} `json:"alerts"`
	}
	get := func(path string) report {
		t.Helper()
		var rep report
		r := e.do("GET", path, ig, "")
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %v %s", path, r.status, err, r.body)
		}
		return rep
	}
	// A person's report shows the searches as they concern her (a9d0a16:
	// without the other person); the entries themselves name both.
	for _, p := range []string{"jane", "bob"} {
		searches := 0
		for _, en := range get("/fhir/AuditEvent/$who-accessed?patient=" + p).Entries {
			if en.Sub == "hospital-clinician-user" && en.Operation == "search" {
				if en.Patient != p || len(en.Patients) > 0 {
					t.Errorf("%s's report shows the search's entry naming %q %v", p, en.Patient, en.Patients)
				}
				if r := e.do("GET", "/fhir/AuditEvent/"+jsonNum(en.Seq), ig, ""); !strings.Contains(r.body, `"reference":"Patient/bob"`) || !strings.Contains(r.body, `"reference":"Patient/jane"`) {
					t.Errorf("the search's entry, read whole, names each person: %.400s", r.body)
				}
				searches++
			}
		}
		if searches != 2 { // the one without break-glass and the one with
			t.Errorf("who accessed %s finds %d of the 2 searches across people", p, searches)
		}
	}
	if rep := get("/fhir/AuditEvent/$break-glass?patient=" + opened); rep.Total != 2 || rep.Entries[0].Operation != "search" || rep.Entries[1].Patient != opened {
		t.Errorf("break-glass report for %s: want the search and the read under its grant: %+v", opened, rep)
	}
	bg := map[string]bool{}
	for _, a := range get("/fhir/AuditEvent/$alerts").Alerts {
		if a.Kind == "break-glass" {
			bg[a.Patient] = true
		}
	}
	if !bg[opened] { // the refused attempt across people raises its own (no patient)
		t.Errorf("break-glass alerts by patient: %v", bg)
	}
	r = e.do("GET", "/fhir/AuditEvent?agent=hospital-clinician-user&patient="+other, ig, "")
	if !strings.Contains(r.body, `"reference":"Patient/`+other+`"`) || strings.Contains(r.body, `"reference":"Patient/`+opened+`"`) {
		t.Errorf("the searches' AuditEvents about %s name %s alone: %s", other, other, r.body)
	}
}

// TestAccessLogClientAddressIsTheConnections: the client address logged
// is the connection's peer, not what the client writes into
// X-Forwarded-For (found in review: "10.99.99.99 (the ward PC)" was
// logged); behind a trusted proxy, the address it forwards.
func TestAccessLogClientAddressIsTheConnections(t *testing.T) {
	for _, trust := range []bool{false, true} {
		e := newEnv(t, func(c *api.Config) { c.TrustProxy = trust })
		gp := e.token("gp", "nhs", "A81001")
		e.do("PUT", "/fhir/Patient/jane", gp, janeJSON)
		e.do("GET", "/fhir/Patient/jane", gp, "", "X-Forwarded-For", "10.99.99.99")
		want := "127.0.0.1"
		if trust {
			want = "10.99.99.99" // the test's proxy is on loopback
		}
		if x := e.lastEntry(t); x.Client != want {
			t.Errorf("trust proxy %v: access log records client %q, want %q", trust, x.Client, want)
		}
	}
}

// TestMetricsLabelsAreBounded: the method label takes known methods only,
// so that clients cannot add series without end (found in review).
func TestMetricsLabelsAreBounded(t *testing.T) {
	e := newEnv(t)
	for i := range 50 {
		e.do("X"+strconv.Itoa(i), "/x", "", "")
	}
	r := e.do("GET", "/metrics", e.token("gp", "nhs", "A81001"), "")
	if strings.Contains(r.body, `method="X1"`) || !strings.Contains(r.body, `method="other"`) {
		t.Errorf("methods chosen by clients became labels: %.500s", r.body)
	}
}
