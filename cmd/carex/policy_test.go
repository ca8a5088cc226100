package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyCommandAndInvalidPolicy(t *testing.T) {
	code, out, _ := e2eRun(t, "policy")
	if code != 0 || !strings.Contains(out, "role district-nurse") {
		t.Fatalf("policy show: %d %s", code, out)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.policy")
	os.WriteFile(good, []byte(out), 0o600)
	if code, out, errOut := e2eRun(t, "policy", "check", good); code != 0 {
		t.Fatalf("the built-in policy does not check: %s %s", out, errOut)
	}
	bad := filepath.Join(dir, "bad.policy")
	os.WriteFile(bad, []byte("purposes TREAT\nrole gp *\nrole nurse medications\nfrobnicate everything\n"), 0o600)
	code, _, errOut := e2eRun(t, "serve", "--dev", "--db", filepath.Join(dir, "x.db"), "--policy", bad, "--dev-key", filepath.Join(dir, "k"), "--log-key", filepath.Join(dir, "l"))
	if code == 0 || !strings.Contains(errOut, "line 4") {
		t.Fatalf("serve with an invalid policy: exit %d, stderr %q (want the failing line named)", code, errOut)
	}
}
