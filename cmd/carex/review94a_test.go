package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Review 94a: 6f1d943's Warning header on a read of one access-log entry.

// r94aWarning reads path with token and returns the status and the
// Warning header values.
func r94aWarning(t *testing.T, s *server, method, path, token string, hdr ...string) (int, []string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Values("Warning")
}

// RFC 7234 §5.5: warn-code SP warn-agent SP warn-text [SP warn-date],
// warn-text a quoted-string (no bare '"' or '\' inside, no control
// characters).
var r94aWarnValue = regexp.MustCompile(`^[0-9]{3} [!#$%&'*+.^_` + "`" + `|~0-9A-Za-z:\[\]-]+ "(?:[\t \x21\x23-\x5b\x5d-\x7e]|\\[\t \x21-\x7e])*"( "[^"]*")?$`)

// TestReview94aSoundAuditReadWarningWellFormed: once the background check
// has found the edit, a read of one entry (the edited one, another,
// _format=json, and HEAD; XML is 406) carries exactly one Warning, 199 carex
// "<text>", well formed; the search's warning is not changed.
func TestReview94aSoundAuditReadWarningWellFormed(t *testing.T) {
	s, ig := r93aTamperedServer(t)
	defer s.stop(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/fhir/AuditEvent/2"}, {"GET", "/fhir/AuditEvent/1"}, {"GET", "/fhir/AuditEvent/2?_format=json"}, {"HEAD", "/fhir/AuditEvent/2"},
	} {
		code, w := r94aWarning(t, s, c.method, c.path, ig)
		if code != 200 || len(w) != 1 || !r94aWarnValue.MatchString(w[0]) || !strings.HasPrefix(w[0], `199 carex "`) || !strings.Contains(w[0], "does not verify") {
			t.Errorf("%s %s: %d Warning %q", c.method, c.path, code, w)
		}
	}
	if code, w := r94aWarning(t, s, "GET", "/fhir/AuditEvent/99999", ig); code != 404 {
		t.Logf("missing entry: %d %q", code, w)
	}
}

// TestReview94aSoundAuditReadNoWarningWhenLogVerifies: the same log
// untouched, served with the background check on: once it has said
// "access log verified", a read of an entry has no Warning header; nor
// with --verify-log=false.
func TestReview94aSoundAuditReadNoWarningWhenLogVerifies(t *testing.T) {
	db, devKey, logKey := r90aLog(t)
	code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "r94a-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	ig := strings.TrimSpace(out)
	for _, extra := range [][]string{nil, {"--verify-log=false"}} {
		addr := e2eFreeAddr(t)
		s := e2eServe(t, addr, append([]string{"--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey}, extra...)...)
		if extra == nil {
			for i := 0; i < 400 && !strings.Contains(s.stderr.String(), "access log verified"); i++ {
				time.Sleep(50 * time.Millisecond)
			}
			if !strings.Contains(s.stderr.String(), "access log verified") {
				t.Fatalf("premise: the background check did not finish:\n%s", s.stderr.String())
			}
		}
		if code, w := r94aWarning(t, s, "GET", "/fhir/AuditEvent/2", ig); code != 200 || len(w) != 0 {
			t.Errorf("%v: read of entry 2: %d Warning %q", extra, code, w)
		}
		s.stop(t)
	}
}
