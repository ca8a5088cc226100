package api_test

// Review 52c: personal data outside the access log — /metrics labels and
// their cardinality, the application log, OperationOutcome texts and
// echoed headers.

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/internal/lognoise"
	"github.com/carex-project/carex/store/auditlog"
)

func metricsSeries52c(body string) map[string]bool {
	s := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "carex_http_") {
			if i := strings.LastIndexByte(l, ' '); i > 0 {
				s[l[:i]] = true
			}
		}
	}
	return s
}

// TestReview52cSoundMetricsLabelsHoldNoIdsAndAreBounded: requests whose
// paths, queries and methods carry ids, NHS numbers and names (matched
// routes, unknown operations, unknown paths, odd methods) leave none of
// them in /metrics, and 40 distinct unknown paths add no series per path.
func TestReview52cSoundMetricsLabelsHoldNoIdsAndAreBounded(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, r := range [][2]string{
		{"GET", "/fhir/Patient/9434765919"},
		{"GET", "/fhir/Patient/jane"},
		{"GET", "/fhir/Patient/zebedee-smith/$summary"},
		{"GET", "/zebedee-smith-9434765919"},
		{"GET", "/fhir/Patient/jane/_history/Zebedee"},
		{"GET", "/fhir/Patient?family=Zebedee&birthdate=1950-03-04"},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918"},
		{"PATCH", "/fhir/Patient/jane"},
		{"ZEBEDEE", "/fhir/Patient/jane"},
		{"GET", "/fhir/Patient/jane/$everything/zebedee/9434765919"},
		{"GET", "/fhir/Zebedee9434765919/x"},
		{"GET", "/fhir/Patient/jane/Zebedee9434765919"},
	} {
		e.do(r[0], r[1], gp, "")
	}
	m := e.do("GET", "/metrics", gp, "")
	if m.status != 200 {
		t.Fatalf("premise: /metrics %d", m.status)
	}
	for _, p := range []string{"9434765919", "9434765918", "Zebedee", "zebedee", "jane", "ZEBEDEE", "1950"} {
		for _, l := range strings.Split(m.body, "\n") {
			// A sample's value is a number the runtime counts (once
			// 2.1460195096e+10 bytes allocated held "1950"): names, labels
			// and comments are what a request could have written into.
			if i := strings.LastIndexByte(l, ' '); i > 0 && !strings.HasPrefix(l, "#") {
				l = l[:i]
			}
			if strings.Contains(l, p) {
				t.Errorf("/metrics holds %q: %s", p, l)
				break
			}
		}
	}
	before := len(metricsSeries52c(m.body))
	for i := 0; i < 40; i++ {
		e.do("GET", fmt.Sprintf("/fhir/Patient/p%d", i), gp, "")
		e.do("GET", fmt.Sprintf("/x%d/y", i), gp, "")
		e.do("GET", fmt.Sprintf("/fhir/Patient/p%d/$op%d", i, i), gp, "")
		e.do("GET", fmt.Sprintf("/fhir/Patient/p%d/_history/%d", i, i), gp, "")
	}
	after := len(metricsSeries52c(e.do("GET", "/metrics", gp, "").body))
	if after-before > 40 {
		t.Errorf("/metrics grew by %d series for 160 requests over distinct ids: a series per id", after-before)
	}
}

// TestReview52cSoundApplicationLogVariants: variants of reviews 9b and 16e at
// debug level: refused tokens whose name holds a person's, a break-glass
// reason refused for a control character, a client request id that is not
// kept, malformed If-Match, a version id that is a name, 406/415, a
// conditional delete by NHS number, IG routes refused to a GP, a batch
// entry naming a person; then the store fails under writes and reads not
// covered before (PUT over jane, transaction with a fullUrl, $everything
// POST with _since, conditional update by name, AuditEvent reports).
func TestReview52cSoundApplicationLogVariants(t *testing.T) {
	var buf lockedBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Logger = logger })
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	stranger := e.token("hospital-clinician", "nhs", "Z99999")
	badName := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Name = "Zebedee\u202eSmith" })
	type req struct {
		method, path, tok, body string
		hdr                     []string
	}
	for _, r := range []req{
		{"GET", "/fhir/Patient/jane", badName, "", nil},
		{"GET", "/fhir/Patient/jane", "zebedee.9434765919.x", "", nil},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", []string{"X-Break-Glass", "EMERGENCY Zebedee 9434765919 \u202e"}},
		{"GET", "/fhir/Patient/jane", gp, "", []string{"X-Request-Id", "Zebedee Smith 943 476 5919"}},
		{"PUT", "/fhir/Patient/jane", sys, janeJSON, []string{"If-Match", `W/"Zebedee9434765919"`}},
		{"GET", "/fhir/Patient/jane/_history/Zebedee9434765919", gp, "", nil},
		{"GET", "/fhir/Patient/jane/$everything", gp, "", []string{"Accept", "application/fhir+xml"}},
		{"POST", "/fhir/Observation", sys, "Zebedee 9434765919", []string{"Content-Type", "text/plain"}},
		{"DELETE", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", sys, "", nil},
		{"GET", "/fhir/AuditEvent?patient=9434765919", gp, "", nil},
		{"GET", "/fhir/AuditEvent?patient=Zebedee&date=1950-02-30", ig, "", nil},
		{"GET", "/fhir/Patient/jane/$explain?role=Zebedee&org=9434765919", ig, "", nil},
		{"POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/jane/$everything?_type=Zebedee9434765919"}},{"request":{"method":"GET","url":"Patient?family=Zebedee&birthdate=1950-02-30"}}]}`, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:zebedee-9434765919","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]},"request":{"method":"POST","url":"Patient"}}]}`, nil},
	} {
		if got := e.do(r.method, r.path, r.tok, r.body, r.hdr...); got.status >= 500 {
			t.Errorf("premise: %s %.60s answered %d", r.method, r.path, got.status)
		} else if strings.Contains(got.header.Get("X-Request-Id"), "Zebedee") {
			t.Errorf("%s %.60s: X-Request-Id echoes %q", r.method, r.path, got.header.Get("X-Request-Id"))
		}
	}
	e.db.Close() // the store fails
	fivexx := 0
	for _, r := range []req{
		{"PUT", "/fhir/Patient/jane", sys, strings.Replace(janeJSON, `"id":"jane"`, `"id":"jane","birthDate":"1950-03-04"`, 1), nil},
		{"PUT", "/fhir/Patient?family=Zebedee&birthdate=1950-03-04", sys, `{"resourceType":"Patient","name":[{"family":"Zebedee"}]}`, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:zebedee-9434765919","resource":{"resourceType":"Patient","name":[{"family":"Zebedee"}]},"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Zebedee"},"subject":{"reference":"urn:uuid:zebedee-9434765919"}},"request":{"method":"POST","url":"Observation"}}]}`, nil},
		{"POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters","parameter":[{"name":"_since","valueInstant":"2020-01-01T00:00:00Z"}]}`, nil},
		{"GET", "/fhir/Patient/jane/_history/1", gp, "", nil},
		{"GET", "/fhir/Patient/jane", stranger, "", []string{"X-Break-Glass", "EMERGENCY Zebedee 9434765919"}},
		{"GET", "/fhir/Condition?patient=jane&_include=Condition:subject", gp, "", nil},
		{"GET", "/fhir/Patient?name=Zebedee&birthdate=1950-03-04", gp, "", nil},
		{"GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "", nil},
		{"GET", "/fhir/AuditEvent?agent=zebedee-user", ig, "", nil},
		{"POST", "/fhir/Consent", sys, janeConsent("zebedee-9434765919", "2026-01-10", "OPTOUT", ""), nil},
		{"DELETE", "/fhir/Condition/hiv", sys, "", nil},
	} {
		if got := e.do(r.method, r.path, r.tok, r.body, r.hdr...); got.status >= 500 {
			fivexx++
			if strings.Contains(got.body, "Zebedee") || strings.Contains(got.body, "9434765919") {
				t.Errorf("%s %.60s: the 5xx body quotes personal data: %.300s", r.method, r.path, got.body)
			}
		}
	}
	if fivexx < 4 {
		t.Errorf("premise: only %d requests met the store fault", fivexx)
	}
	log := lognoise.Strip(buf.String())
	if !strings.Contains(log, "request failed") {
		t.Fatalf("premise: the store fault was not logged:\n%s", log)
	}
	for _, p := range []string{"9434765919", "9434765918", "943 476 5919", "Zebedee", "zebedee", "Smith", "jane", "hiv", "1950", "EMERGENCY"} {
		if strings.Contains(log, p) {
			t.Errorf("the application log holds %q:\n%s", p, log)
		}
	}
}

// TestReview52cSoundOutcomeOnWithheldWriteQuotesNoVersion: the district
// nurse, from whom Jane's HIV diagnosis is withheld, PUTs it with a stale
// If-Match, and the stranger with none: each answer is the taken-id 409 an
// absent id's PUT would not give... and neither quotes the version, the
// source organisation or the content; the same for a DELETE (404 text as
// for a missing id).
func TestReview52cSoundOutcomeOnWithheldWriteQuotesNoVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	stranger := e.token("hospital-clinician", "nhs", "Z99999")
	body := `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`
	for _, r := range []struct {
		tok, method string
		hdr         []string
	}{
		{nurse, "PUT", []string{"If-Match", `W/"7"`}},
		{nurse, "PUT", nil},
		{stranger, "PUT", []string{"If-Match", `W/"1"`}},
		{nurse, "DELETE", nil},
		{stranger, "DELETE", []string{"If-Match", `W/"3"`}},
	} {
		b := ""
		if r.method == "PUT" {
			b = body
		}
		got := e.do(r.method, "/fhir/Condition/hiv", r.tok, b, r.hdr...)
		if got.status < 400 {
			t.Errorf("%s by %v: %d", r.method, r.hdr, got.status)
		}
		for _, p := range []string{"version 1", "A81001", "GP-HIV", "86406008", "jane"} {
			if strings.Contains(got.body, p) {
				t.Errorf("%s %v: the OperationOutcome quotes %q: %s", r.method, r.hdr, p, got.body)
			}
		}
		if et := got.header.Get("ETag"); et != "" {
			t.Errorf("%s %v: ETag %s on a withheld item", r.method, r.hdr, et)
		}
	}
}

var _ = http.MethodGet

// TestReview52cSoundAccessLogFailureLogsNoPersonalData: once the access
// log is closed under the server, every request (reads by NHS number and
// name, break-glass naming the patient, a write of a person) is refused
// 500 with an OperationOutcome, and the application log's "access log
// write failed" lines hold no personal data.
func TestReview52cSoundAccessLogFailureLogsNoPersonalData(t *testing.T) {
	var buf lockedBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var l *auditlogLog52c
	e := newEnv(t, withAccessLog(t, &l), func(c *api.Config) { c.Logger = logger })
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	stranger := e.token("hospital-clinician", "nhs", "Z99999")
	l.Close()
	n := 0
	for _, r := range []struct {
		method, path, tok, body string
		hdr                     []string
	}{
		{"GET", "/fhir/Patient/jane", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&family=Zebedee", gp, "", nil},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", []string{"X-Break-Glass", "EMERGENCY: Zebedee 9434765919"}},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Zebedee"}],"birthDate":"1950-03-04"}`, nil},
	} {
		got := e.do(r.method, r.path, r.tok, r.body, r.hdr...)
		if got.status >= 500 {
			n++
			if !strings.Contains(got.body, "OperationOutcome") || strings.Contains(got.body, "Zebedee") || strings.Contains(got.body, "9434765919") {
				t.Errorf("%s %.60s: %d %.300s", r.method, r.path, got.status, got.body)
			}
		}
	}
	if n == 0 {
		t.Fatalf("premise: no request met the closed access log")
	}
	log := lognoise.Strip(buf.String())
	if !strings.Contains(log, "access log write failed") {
		t.Fatalf("premise: not logged:\n%s", log)
	}
	for _, p := range []string{"9434765919", "Zebedee", "jane", "1950", "EMERGENCY"} {
		if strings.Contains(log, p) {
			t.Errorf("the application log holds %q:\n%s", p, log)
		}
	}
}

type auditlogLog52c = auditlog.Log
