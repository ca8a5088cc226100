package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// TestMethodNotAllowedSaysWhatIs: every 405 lists the methods the
// resource allows (RFC 9110 §15.5.6).
func TestMethodNotAllowedSaysWhatIs(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ method, path, allow string }{
		{"PATCH", "/fhir/Patient/jane", "GET, HEAD, PUT, DELETE"},
		{"POST", "/fhir/AuditEvent", "GET, HEAD"},
		{"DELETE", "/fhir/AuditEvent/1", "GET, HEAD"},
		{"DELETE", "/fhir/metadata", ""}, // Echo's own 405: whatever it lists, it lists something
	} {
		r := e.do(c.method, c.path, gp, "{}")
		if r.status != 405 || r.header.Get("Allow") == "" || c.allow != "" && r.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q, want 405 and %q", c.method, c.path, r.status, r.header.Get("Allow"), c.allow)
		}
	}
}

// TestOptionsIsLogged: OPTIONS is answered with what the path allows and
// logged like any request (echo's own handler answered it unlogged; found
// in review).
func TestOptionsIsLogged(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	count := func() int { e.rec.mu.Lock(); defer e.rec.mu.Unlock(); return len(e.rec.xs) }
	n0 := count()
	r := e.do("OPTIONS", "/fhir/Patient/jane", gp, "")
	if r.status != 204 || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Errorf("OPTIONS: %d Allow %q", r.status, r.header.Get("Allow"))
	}
	if n := count() - n0; n != 1 {
		t.Fatalf("OPTIONS made %d access-log entries", n)
	}
	if x := e.lastEntry(t); x.Operation != "options" || x.Status != 204 || x.Principal == nil || x.Principal.Sub != "gp-user" {
		t.Errorf("logged as %+v", x)
	}
	if r := e.do("OPTIONS", "/fhir/Patient/jane", "", ""); r.status != 401 {
		t.Errorf("OPTIONS without a token: %d", r.status)
	}
}

// TestOnlyTheCapabilityStatementIsUnlogged: GET /fhir/metadata is public
// and unlogged; any other method on that path is a request like the rest,
// with its entry (POST answered 405 unlogged before).
func TestOnlyTheCapabilityStatementIsUnlogged(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	count := func() int { e.rec.mu.Lock(); defer e.rec.mu.Unlock(); return len(e.rec.xs) }
	n0 := count()
	if r := e.do("GET", "/fhir/metadata", "", ""); r.status != 200 || count() != n0 {
		t.Fatalf("GET metadata: %d, %d entries", r.status, count()-n0)
	}
	for _, tok := range []string{gp, ""} {
		n0 = count()
		r := e.do("POST", "/fhir/metadata", tok, `{"resourceType":"Basic"}`)
		if r.status < 400 {
			t.Fatalf("POST metadata: %d", r.status)
		}
		if n := count() - n0; n != 1 {
			t.Fatalf("POST metadata (token %v) answered %d and made %d access-log entries, want 1", tok != "", r.status, n)
		}
	}
}

// panicPolicy admits nobody: it panics, as a future bug might.
type panicPolicy struct{ api.OpenPolicy }

func (panicPolicy) Admit(context.Context, *auth.Principal, *api.Exchange) error {
	panic("a bug")
}

// TestPanicIsAnswered500AndLogged: a handler that panics answers 500 with
// an OperationOutcome and leaves its access-log entry (net/http would
// have dropped the connection, and the entry with it).
func TestPanicIsAnswered500AndLogged(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.Policy = panicPolicy{} })
	r := e.do("GET", "/fhir/Patient/jane", e.token("gp", "nhs", "A81001"), "")
	if r.status != 500 || !strings.Contains(r.body, "OperationOutcome") || strings.Contains(r.body, "a bug") {
		t.Errorf("a panic: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); x.Status != 500 || x.Decision != "error" {
		t.Errorf("logged as %+v", x)
	}
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Errorf("the server after a panic: %d", r.status)
	}
}
