package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReview19bDemoMintLineWorksWithItsKey: carex demo ends with "Mint your
// own in another terminal: TOKEN=$(go run ./cmd/carex token …)", and SPEC
// §2 promises that a server in one terminal and carex token in another
// just work. With the demo started on another key (--dev-key FILE or
// CAREX_DEV_KEY, as a team sharing one key does), the printed line left
// the key out: the token it made was signed with the default key (created
// for it) and every request with it was refused, 401. Now the line names
// the demo's key when it is not the default, and its token opens Jane's
// record.
func TestReview19bDemoMintLineWorksWithItsKey(t *testing.T) {
	keys := t.TempDir()
	t.Setenv("HOME", t.TempDir()) // where the default key would be made
	t.Setenv("TMPDIR", t.TempDir())
	devKey := filepath.Join(keys, "team-dev-key.pem")
	addr := e2eFreeAddr(t)
	s := e2eStart(t, "demo", addr, "--addr", addr, "--dev-key", devKey, "--log-key", filepath.Join(keys, "log-key"))
	var line string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, after, ok := strings.Cut(s.stdout.String(), "TOKEN=$(go run ./cmd/carex token "); ok {
			if l, _, ok := strings.Cut(after, ")\n"); ok {
				line = l
				break
			}
		}
	}
	if line == "" {
		t.Fatalf("no mint line in the demo's output:\n%s", s.stdout.String())
	}
	code, tok, errOut := e2eRun(t, append([]string{"token"}, strings.Fields(line)...)...)
	if code != 0 {
		t.Fatalf("carex token %s: exit %d %s", line, code, errOut)
	}
	req, _ := http.NewRequest("GET", s.base+"/fhir/Patient/jane-demo", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("the demo's own mint line (token %s) makes a token the demo refuses: %d", line, res.StatusCode)
	}
}
