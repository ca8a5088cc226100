package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview61eSoundExportMatchesTheAPI: `carex audit export` and the IG
// officer's GET /fhir/AuditEvent give the same entries, each the same
// AuditEvent (apart from source.site, which export takes from --site).
func TestReview61eSoundExportMatchesTheAPI(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	tok := e2eToken(t, devKey)
	s.get(t, "/fhir/Patient?_count=1", tok)
	s.get(t, "/fhir/Patient/nobody", tok)
	s.get(t, "/fhir/Condition?patient=nobody", tok)
	s.get(t, "/fhir/Patient", "")
	code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "r61e-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	ig := strings.TrimSpace(out)
	st, body := s.get(t, "/fhir/AuditEvent?_count=1000", ig)
	if st != 200 {
		t.Fatalf("AuditEvent: %d %s", st, body)
	}
	var b struct {
		Entry []struct{ Resource map[string]any } `json:"entry"`
	}
	json.Unmarshal([]byte(body), &b)
	api := map[string]map[string]any{}
	for _, en := range b.Entry {
		r := en.Resource
		delete(r, "source")
		api[r["id"].(string)] = r
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("serve exit %d", c)
	}
	code, stdout, errOut := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("export line: %v %s", err, line)
		}
		delete(r, "source")
		id := r["id"].(string)
		a, ok := api[id]
		if !ok {
			// the IG search's own entry, written after it answered
			if strings.Contains(line, "r61e-ig") {
				continue
			}
			t.Errorf("export entry %s not in the API's answer", id)
			continue
		}
		n++
		ja, _ := json.Marshal(a)
		je, _ := json.Marshal(r)
		if string(ja) != string(je) {
			t.Errorf("entry %s differs:\nAPI    %s\nexport %s", id, ja, je)
		}
	}
	if n != len(api) {
		t.Errorf("export matched %d of the API's %d entries", n, len(api))
	}
}
