package main

import (
	"database/sql"
	"github.com/carex-project/carex/api"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview86bParentsCouncilManagedEpisodeServedWithoutRelabel: 68260d3
// changed what a write derives (fhir/search.DataClassFrom: the NHS's
// EpisodeOfCare naming the council as managingOrganization is now
// encounters+documents, the parent made it social-care) but left
// api.DerivationRevision at 2026-12-06e (TestDerivationRevision's golden
// demo population has no such episode, so it did not notice). Records the
// parent release wrote keep data_class social-care with the same revision
// recorded, so this release serves them without asking for a relabel, and
// the hospital's community mental health episode, narrative and all, still
// goes to the social worker — the leak the commit names as fixed.
// Verified with real binaries (parent: `carex import --org RHX` stores the
// episode as social-care, derived:2026-12-06e; this release's `serve` on
// that file answers the social worker 200; after `carex relabel`, 404).
// Here the parent's stored class is written by SQL, as the parent wrote
// it. api/relabel.go: "A release that works any of them out differently
// changes it"; README relabel row: serve refuses "other lists or rules
// than those recorded, naming the relabel to run". SPEC §1: the social
// worker needs "not ... clinical notes". Severity: leak of clinical
// content after an upgrade. Parent: the same records released there too
// (by its own rule); the regression is that the fix does not reach them.
func TestReview86bParentsCouncilManagedEpisodeServedWithoutRelabel(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, imp := range [][]string{
		{"--org", "A81001", write("p.json", `{"resourceType":"Patient","id":"jane","name":[{"family":"Smith"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)},
		{"--org", "E06000999", "--sector", "council", write("ct.json", `{"resourceType":"CareTeam","id":"swteam","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/E06000999"}}]}`)},
		{"--org", "RHX", write("ep.json", `{"resourceType":"EpisodeOfCare","id":"cmht","status":"active","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">R86B-CMHT low mood, counselling</div>"},"type":[{"text":"R86B-COMMUNITY-MENTAL-HEALTH-TEAM"}],"patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"},"period":{"start":"2026-11-01"}}`)},
	} {
		if code, out, errs := e2eRun(t, append([]string{"import", "--db", db, "--quiet"}, imp...)...); code != 0 {
			t.Fatalf("import %v: %d\n%s\n%s", imp, code, out, errs)
		}
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE versions SET data_class = 'social-care' WHERE rid = (SELECT rid FROM resources WHERE type = 'EpisodeOfCare' AND id = 'cmht')`,
		`UPDATE resources SET data_class = 'social-care' WHERE type = 'EpisodeOfCare' AND id = 'cmht'`,
		// (and its revision: 68260d3 changed the rule and kept 2026-12-06e;
		// the fix is the revision, 2026-12-06f, so serve asks for a relabel)
		`UPDATE carex_meta SET value = replace(value, 'derived:` + api.DerivationRevision + `', 'derived:2026-12-06e') WHERE key = 'labelling_lists'`,
	} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	if code, errs := runBriefly(t, "serve", "--dev", "--addr", "127.0.0.1:0", "--db", db); code == 0 || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Fatalf("serve on records of the parent's revision: exit %d, want a refusal naming carex relabel\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code != 0 {
		t.Fatalf("relabel: %d\n%s\n%s", code, out, errs)
	}
	key, logKey := filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", key, "--log-key", logKey)
	code, out, errs := e2eRun(t, "token", "--dev-key", key, "--sub", "sw1", "--role", "social-worker", "--sector", "council", "--org", "E06000999")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	req, _ := http.NewRequest("GET", s.base+"/fhir/EpisodeOfCare/cmht", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("social worker: %d %.200s", resp.StatusCode, body)
	if resp.StatusCode != 404 || strings.Contains(string(body), "R86B-CMHT") {
		t.Errorf("after the relabel the hospital's mental health episode still reaches the social worker: %d", resp.StatusCode)
	}
}
