package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFile copies src to dst, as the benchmark scripts copy a population.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNewAccessLogForACopyOfServedRecords (review 5e): a copy of served
// records without their access log — what testdata/bench serves, or a
// test server's copy — is refused as a deleted log unless the operator
// says a new log is meant (--new-access-log); then it serves, and its new
// log verifies.
func TestNewAccessLogForACopyOfServedRecords(t *testing.T) {
	pop, devKey, logKey := servedLog(t, 1)
	served := filepath.Join(t.TempDir(), "on.db")
	copyFile(t, pop, served)
	if errOut := serveRefused(t, served, devKey, logKey); !strings.Contains(errOut, "--new-access-log") {
		t.Fatalf("a copy without its log: the refusal does not say how to start a new log: %s", errOut)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--new-access-log", "--addr", addr, "--db", served, "--dev-key", devKey, "--log-key", logKey)
	if code, _ := s.get(t, "/fhir/metadata", ""); code != 200 {
		t.Fatal("not serving")
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", served, "--pubkey", logKey+".pub"); code != 0 {
		t.Fatalf("verify of the new log: %d %s%s", code, out, errOut)
	}
}
