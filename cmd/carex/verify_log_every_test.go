package main

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

// TestServeChecksTheLogAgainWhileServing: an entry edited under a running
// server is found by the next background check (--verify-log-every), and
// IG's search says so from then on; with --verify-log-every 0 the log is
// checked once, after starting.
func TestServeChecksTheLogAgainWhileServing(t *testing.T) {
	for _, every := range []string{"200ms", "0"} {
		t.Run(every, func(t *testing.T) {
			db, devKey, logKey := r90aLog(t)
			code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "vle-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
			if code != 0 {
				t.Fatalf("token: %s", errs)
			}
			ig := strings.TrimSpace(out)
			addr := e2eFreeAddr(t)
			s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey, "--verify-log-every", every)
			defer s.stop(t)
			waitFor := func(what string, d time.Duration) bool {
				for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
					if strings.Contains(s.stderr.String(), what) {
						return true
					}
				}
				return false
			}
			if !waitFor("access log verified", 10*time.Second) {
				t.Fatalf("no first check:\n%s", s.stderr.String())
			}
			r90aTamper(t, db, func(conn *sql.DB) { r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, false) })
			found := waitFor("the access log does not verify", 3*time.Second)
			_, search := s.get(t, "/fhir/AuditEvent?_count=10", ig)
			warned := strings.Contains(search, "the access log does not verify (FAILED at entry 2")
			switch {
			case every != "0" && (!found || !warned):
				t.Errorf("--verify-log-every %s: entry 2 edited while serving: application log says so %v, IG's search %v\n%s", every, found, warned, s.stderr.String())
			case every == "0" && (found || warned):
				t.Errorf("--verify-log-every 0: the log was checked again:\n%s", s.stderr.String())
			}
		})
	}
}
