package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReview19dSecondServeThroughLinkRefused (review 19d: another process
// on the same database file): one server per database. The access log's
// file and journal, whose lock refuses a second serve, are named from --db
// as given, so a second server on a symbolic link to the records would
// lock other files; it is refused all the same, since the records say they
// have an access log and none is beside the link. Passed when first
// written.
func TestReview19dSecondServeThroughLinkRefused(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "carex.db")
	link := filepath.Join(dir, "current.db")
	devKey, logKey := filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	first := []string{"--dev", "--addr", e2eFreeAddr(t), "--db", real, "--dev-key", devKey, "--log-key", logKey}
	s := e2eServe(t, "", first...)
	defer s.stop(t)
	if code, _ := s.get(t, "/fhir/metadata", e2eToken(t, devKey)); code != 200 {
		t.Fatalf("first server: %d", code)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	code, errOut := serveRefuses(t, "--dev", "--addr", e2eFreeAddr(t), "--db", link, "--dev-key", devKey, "--log-key", logKey)
	t.Logf("exit %d: %s", code, errOut)
	if code == 0 {
		t.Errorf("a second server on a link to the records the first serves started")
	}
}
