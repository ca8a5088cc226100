package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
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
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{DevKey: key})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{Store: db, Verifier: v, Dev: true})
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
}
