package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/store/auditlog"
)

// headers is h without the headers that differ between any two answers
// (Date, X-Request-Id) or between a GET and a HEAD (Content-Length).
func headers(h http.Header) http.Header {
	h = h.Clone()
	for _, k := range []string{"Date", "X-Request-Id", "Content-Length"} {
		h.Del(k)
	}
	return h
}

// TestHeadAnswersAsGet: every GET route answers HEAD (review 4b: Allow
// listed HEAD, which was a 405), with the GET's status and headers and no
// body; a HEAD on a withheld item answers exactly as on an id that never
// existed (404), so HEAD is no new oracle; and each HEAD is in the access
// log as the GET would be, with what it withheld.
func TestHeadAnswersAsGet(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	seedShared(t, e)
	if r := e.do("PUT", "/fhir/Consent/jane-no-council", e.token("system", "nhs", "A81001"), janeNotSharedWithCouncil); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ path, token string }{
		{"/fhir/Condition/diabetes", gp},
		{"/fhir/Condition/diabetes/_history/1", gp},
		{"/fhir/Condition/diabetes/_history", gp},
		{"/fhir/Condition?patient=jane", gp},
		{"/fhir/Patient/jane/$everything", gp},
		{"/fhir/Condition/diabetes", sw},
		{"/fhir/Condition/nothing", gp},
		{"/fhir/metadata", ""},
		{"/fhir/Condition/diabetes", ""},
		{"/healthz", ""},
		{"/fhir", gp},
	} {
		get, head := e.do("GET", c.path, c.token, ""), e.do("HEAD", c.path, c.token, "")
		if head.status != get.status || head.body != "" || !equalHeaders(headers(get.header), headers(head.header)) {
			t.Errorf("HEAD %s: %d %v body %q\nGET: %d %v", c.path, head.status, headers(head.header), head.body, get.status, headers(get.header))
		}
	}
	// Withheld and missing: the same answer to HEAD.
	withheld, never := e.do("HEAD", "/fhir/Condition/diabetes", sw, ""), e.do("HEAD", "/fhir/Condition/diabetez", sw, "")
	if withheld.status != 404 || never.status != 404 || !equalHeaders(headers(withheld.header), headers(never.header)) {
		t.Errorf("HEAD on a withheld item: %d %v\nHEAD on a missing one: %d %v", withheld.status, headers(withheld.header), never.status, headers(never.header))
	}
	// In the access log, as the GET would be.
	var heads, gets []*auditlog.Entry
	if err := l.Scan(context.Background(), auditlog.Query{Sub: "social-worker-user", Count: 1000}, func(x *auditlog.Entry) error {
		if x.Path == "/fhir/Condition/diabetes" {
			switch x.Method {
			case "HEAD":
				heads = append(heads, x)
			case "GET":
				gets = append(gets, x)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(heads) != 2 || len(gets) != 1 {
		t.Fatalf("the social worker's HEADs of the withheld item: %d logged, want 2 (GETs %d, want 1)", len(heads), len(gets))
	}
	g := gets[0]
	for _, x := range heads {
		if x.Status != 404 || x.Operation != g.Operation || x.Decision != "deny" || x.Withheld != 1 || x.Patient != "jane" || !slices.Equal(x.Reasons, g.Reasons) {
			t.Errorf("HEAD logged as %s %d %s withheld=%d patient=%q reasons=%v; the GET as %s %d %s withheld=%d patient=%q reasons=%v",
				x.Operation, x.Status, x.Decision, x.Withheld, x.Patient, x.Reasons, g.Operation, g.Status, g.Decision, g.Withheld, g.Patient, g.Reasons)
		}
	}
}

// TestAllowListsNoRefusedMethod: neither OPTIONS nor a 405 lists a method
// the path only refuses (PATCH on a resource, writes to the access log),
// and each lists HEAD beside GET.
func TestAllowListsNoRefusedMethod(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ method, path, want string }{
		{"OPTIONS", "/fhir/Patient/jane", "OPTIONS, DELETE, GET, HEAD, PUT"},
		{"POST", "/fhir/Patient/jane", "OPTIONS, DELETE, GET, HEAD, PUT"}, // echo's own 405
		{"OPTIONS", "/fhir/AuditEvent", "OPTIONS, GET, HEAD"},
		{"OPTIONS", "/fhir/AuditEvent/1", "OPTIONS, GET, HEAD"},
		{"OPTIONS", "/fhir/Patient", "OPTIONS, GET, HEAD, POST, PUT"},
		{"DELETE", "/fhir/metadata", "OPTIONS, GET, HEAD"},
	} {
		body := ""
		if c.method == "POST" {
			body = "{}"
		}
		r := e.do(c.method, c.path, gp, body)
		if got := r.header.Get("Allow"); got != c.want || strings.Contains(got, "PATCH") {
			t.Errorf("%s %s: %d Allow %q, want %q", c.method, c.path, r.status, got, c.want)
		}
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
