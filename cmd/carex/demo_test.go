package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/sqlite"
)

// TestDemoPopulation loads the embedded demo population and runs every
// example the demo prints, as the user it names.
func TestDemoPopulation(t *testing.T) {
	ctx := context.Background()
	db, key, v := devStore(t, filepath.Join(t.TempDir(), "demo.db"))
	log, err := openAccessLog(ctx, db, filepath.Join(t.TempDir(), "log-key"), "", false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	srv := api.New(api.Config{Store: db, Verifier: v, Dev: true, Recorder: api.LogRecorder{Log: log.Log}, AuditLog: log.Log})
	if err := seedDemo(ctx, srv, io.Discard); err != nil {
		t.Fatalf("demo population does not load: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	m, err := readManifest()
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]bool{}
	tokens := map[string]string{}
	for _, u := range m.Users {
		roles[u.Role] = true
		tok, err := key.Mint(auth.DevClaims{Sub: u.Sub, Name: u.Name, Role: u.Role, Sector: u.Sector, Org: u.Org})
		if err != nil {
			t.Fatalf("user %s: %v", u.Sub, err)
		}
		tokens[u.Sub] = tok
	}
	for _, r := range auth.KnownRoles {
		if !roles[r] {
			t.Errorf("the demo has no user with role %s", r)
		}
	}
	if len(m.Examples) < 5 {
		t.Fatalf("only %d examples", len(m.Examples))
	}
	for _, ex := range m.Examples {
		req, _ := http.NewRequest("GET", hs.URL+"/fhir"+ex.Path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[ex.User])
		for k, v := range ex.Headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || strings.Contains(string(body), `"total":0`) {
			t.Errorf("example %q (%s as %s): %d %.200s", ex.Title, ex.Path, ex.User, res.StatusCode, body)
		}
	}
	// Each consent case shows what its title says. (dr-evans broke glass for
	// Margaret above and holds a grant: another hospital clinician has none.)
	tokens["dr-other"], _ = key.Mint(auth.DevClaims{Sub: "dr-other", Role: "hospital-clinician", Sector: "nhs", Org: "RHX"})
	get := func(user, path string, hdr ...string) (int, string) {
		req, _ := http.NewRequest("GET", hs.URL+"/fhir"+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[user])
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	cases := []struct {
		user, path   string
		status       int
		want, absent []string
	}{
		{"sw-hughes", "/Patient/arthur-demo/$everything", 200, []string{"confidential-items", "arthur-care-package"}, []string{`"resourceType":"Condition"`}},
		{"sw-hughes", "/Patient/margaret-demo/$everything", 200, []string{"confidential-items"}, []string{`"resourceType":"MedicationStatement"`}},
		{"dr-evans", "/Condition?patient=david-demo", 200, []string{"86406008"}, nil},
		{"nurse-okafor", "/Condition?patient=david-demo", 200, []string{"confidential-items"}, []string{"86406008"}},
		// Nothing else of David's tells either: the clinic's team and visit are labelled.
		{"nurse-okafor", "/Patient/david-demo/$everything", 200, []string{"david-demo"}, []string{"HIV", "86406008", "Sexual health"}},
		{"sw-hughes", "/Condition?patient=jane-demo", 200, []string{`"total":`}, []string{"confidential-items"}},
		{"dr-other", "/Patient/margaret-demo/$everything", 403, nil, []string{"Doyle"}},
	}
	for _, c := range cases {
		status, body := get(c.user, c.path)
		if status != c.status {
			t.Errorf("%s as %s: %d, want %d", c.path, c.user, status, c.status)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s as %s: lacks %q", c.path, c.user, w)
			}
		}
		for _, a := range c.absent {
			if strings.Contains(body, a) {
				t.Errorf("%s as %s: must not contain %q", c.path, c.user, a)
			}
		}
	}
	// The README's transaction example: after a home visit the district
	// nurse records a pressure ulcer and its care plan on Jane's record.
	visit, err := os.ReadFile("../../testdata/examples/home-visit-transaction.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", hs.URL+"/fhir", bytes.NewReader(visit))
	req.Header.Set("Authorization", "Bearer "+tokens["nurse-okafor"])
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.Count(string(body), `"201 Created"`) != 2 {
		t.Errorf("README transaction example: %d %.300s", res.StatusCode, body)
	}
	if _, body := get("nurse-okafor", "/CarePlan?patient=jane-demo&_include=CarePlan:condition"); !strings.Contains(body, "Pressure ulcer care") || !strings.Contains(body, "420324007") {
		t.Errorf("the visit's care plan and the condition it addresses are not found: %.300s", body)
	}
}

// devStore opens the database at path (closed when the test ends) and a
// token verifier for a fresh development key, for in-process servers.
func devStore(t *testing.T, path string) (*sqlite.DB, *auth.DevKey, *auth.Verifier) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{DevKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return db, key, v
}
