package api_test

// Review 16e: what leaves carex other than released resources and the
// access log — the application log, /metrics, health, error answers and
// headers. Each test says whether it was seen failing before its fix or
// passed when first written.

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// TestReview16eMalformedQueryIsRefused: a query string Go cannot read
// whole — a '%' not followed by two hex digits, or a ';' (no longer a
// separator: golang.org/issue/25192) — lost the pair that held it without
// a word: GET Condition?patient=jane&code=zz%zz answered 200 with every
// Condition of Jane's the user may see, and its self link said the search
// was patient=jane alone; a typo in a code or date narrowed nothing, and
// `$everything?_type=Condition%zz` answered the whole record. carex's
// search is strict (an unknown parameter is a 400, never ignored): such a
// query is a 400 that names no value, and the access log has the request.
// Seen failing before its fix.
func TestReview16eMalformedQueryIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/fhir/Condition?patient=jane&code=zz%zz", ""},
		{"GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|44054006;x", ""},
		{"GET", "/fhir/Condition?patient=jane&%zz=1", ""},
		{"GET", "/fhir/Patient/jane/$everything?_type=Condition%zz", ""},
		{"GET", "/fhir/Condition/diabetes?_elements=code%zz", ""},
		{"HEAD", "/fhir/Condition?patient=jane&code=zz%zz", ""},
		{"POST", "/fhir/Condition/_search?code=zz%zz", ""},
	} {
		n0 := e.entriesOf9b()
		r := e.do(c.method, c.path, gp, c.body)
		if r.status != 400 {
			t.Errorf("%s %s: %d, want 400: %.300s", c.method, c.path, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, "zz") || c.method != "HEAD" && !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("%s %s: the 400 quotes the query or is no OperationOutcome: %s", c.method, c.path, r.body)
		}
		if n := e.entriesOf9b() - n0; n != 1 {
			t.Errorf("%s %s: %d access-log entries, want 1", c.method, c.path, n)
		}
	}
	// A well-formed query is served as before.
	if r := e.do("GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct%7C44054006", gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":1`) {
		t.Errorf("a well-formed search: %d %.300s", r.status, r.body)
	}
}

// TestReview16eApplicationLogHoldsNoPersonalData (passed when first
// written; a regression test beside review 9b's, which makes the store
// fail): at the most verbose level the application log holds none of the
// personal data of requests that do not fail — searches by NHS number and
// name, $everything, break-glass with a reason naming the patient, a token
// whose name claim is a person's and one refused for its purpose, invalid
// bodies whose answers echo values, conflicts, a transaction with a bad
// entry, a Consent refused, an oversized body, a query that cannot be read,
// a client that hung up mid-body — nor the data stored. A store fault at
// the end shows the log is wired.
func TestReview16eApplicationLogHoldsNoPersonalData(t *testing.T) {
	var buf lockedBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Logger = logger })
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Name = "Dr Quentin Zebedee" })
	sys := e.token("system", "nhs", "A81001")
	stranger := e.token("hospital-clinician", "nhs", "Z99999")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Name = "Dr Quentin Zebedee"; c.Purpose = "HMARKT" })
	nurse := e.token("district-nurse", "nhs", "RCX")
	obs := `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"Smith-note"},"valueString":"lives at 1 Refuge Road"}`
	for _, r := range []struct {
		method, path, tok, body string
		hdr                     []string
	}{
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&family=Smith&birthdate=1950-03-04", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918", gp, "", nil},
		{"GET", "/fhir/Patient/jane/$everything?_count=1", gp, "", nil},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", []string{"X-Break-Glass", "EMERGENCY: Jane Smith 9434765919 collapsed at 1 Refuge Road"}},
		{"GET", "/fhir/Patient/jane", mk, "", nil},
		{"GET", "/fhir/Patient?family=Smith%zz", gp, "", nil},
		{"POST", "/fhir/Patient", gp, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}],"name":[{"family":"Smith"}],"birthDate":"1950-02-30"}`, nil},
		{"POST", "/fhir/Observation", sys, `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"Smith-note"},"valueString":"lives at 1 Refuge Road","colour":"Smith"}`, nil},
		{"PUT", "/fhir/Condition/hiv", nurse, `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"Smith-note"}}`, []string{"If-Match", `W/"7"`}},
		{"PUT", "/fhir/Condition/diabetes", sys, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"Smith-note"}}`, []string{"If-Match", `W/"7"`}},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + obs + `,"request":{"method":"POST","url":"Observation"}},{"resource":{"resourceType":"Observation","subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}},"request":{"method":"POST","url":"Observation"}}]}`, nil},
		{"POST", "/fhir/Consent", stranger, janeConsent("c-16e", "2026-01-10", "OPTOUT", ""), nil},
		{"POST", "/fhir/Observation", sys, `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"Smith ` + strings.Repeat("x", 70<<10) + `"}}`, nil},
	} {
		if got := e.do(r.method, r.path, r.tok, r.body, r.hdr...); got.status >= 500 {
			t.Errorf("premise: %s %.60s answered %d", r.method, r.path, got.status)
		}
	}
	// A client that hangs up mid-body.
	if conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://")); err == nil {
		fmt.Fprintf(conn, "POST /fhir/Observation HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/fhir+json\r\nContent-Length: 5000\r\n\r\n%s", sys, obs[:len(obs)-1])
		conn.Close()
	}
	e.do("GET", "/fhir/Patient/jane", gp, "") // served after the hang-up
	e.db.Close()                              // the store fails: the log is wired
	e.do("GET", "/fhir/Patient?family=Smith", gp, "")
	log := buf.String()
	if !strings.Contains(log, "request failed") {
		t.Fatalf("premise: the store fault was not logged:\n%s", log)
	}
	for _, personal := range []string{"9434765919", "9434765918", "Smith", "Jane", "1950-03-04", "1950-02-30", "Refuge", "Zebedee", "Quentin", "jane", "hiv", "diabetes"} {
		if strings.Contains(log, personal) {
			t.Errorf("the application log holds %q:\n%s", personal, log)
		}
	}
}

// TestReview16eRefusedEverythingNamesThePerson: a $everything refused
// before its handler with a valid token — `_format=xml` (406), a query that
// cannot be read (400, this review's) — was logged naming no one, though
// its path names Jane and the same refusal of her _history, or of a search
// by patient=jane, names her: her $who-accessed missed it. Such an entry
// names the person its path names, as a refused login's does (review 12a).
// Seen failing before its fix.
func TestReview16eRefusedEverythingNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct {
		method, path, tok, body string
		want                    int
	}{
		{"GET", "/fhir/Patient/jane/$everything?_format=xml", gp, "", 406},
		{"HEAD", "/fhir/Patient/jane/$everything?_format=xml", gp, "", 406},
		{"GET", "/fhir/Patient/jane/$everything?_type=Condition%zz", gp, "", 400},
		{"POST", "/fhir/Patient/jane/$everything?_format=xml", gp, `{"resourceType":"Parameters"}`, 406},
		{"GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001%zz", ig, "", 400},
	} {
		r := e.do(c.method, c.path, c.tok, c.body)
		if r.status != c.want {
			t.Fatalf("%s %s: %d, want %d: %.300s", c.method, c.path, r.status, c.want, r.body)
		}
		if x := e.lastEntry(t); x.Patient != "jane" {
			t.Errorf("%s %s refused with %d: logged naming %q %v, not Jane, whose record its path names", c.method, c.path, r.status, x.Patient, x.Patients)
		}
	}
}
