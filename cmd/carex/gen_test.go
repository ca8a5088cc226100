package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir/synth"
)

// TestGenEndToEnd: carex gen writes a population into a new database, or
// the same one as NDJSON files (not both at once); carex import loads the
// files to the same count; and the sharing decision holds on generated
// people — an opted-out person's NHS record is withheld from a council
// social worker, an HIV diagnosis from a district nurse but not from the
// hospital the person permitted.
func TestGenEndToEnd(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "gen.db"), filepath.Join(dir, "out")
	gen := []string{"gen", "--people", "60", "--seed", "5", "--big-every", "30", "--big-items", "60", "--quiet"}
	if code, _, stderr := e2eRun(t, append(gen, "--db", db, "--out", out)...); code == 0 || !strings.Contains(stderr, "choose one") {
		t.Errorf("gen with both --db and --out: exit %d, %s; want an error saying to choose one", code, stderr)
	}
	args := append(gen, "--db", db)
	code, stdout, stderr := e2eRun(t, args...)
	if code != 0 {
		t.Fatalf("carex gen --db: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "60 people (seed 5") || !strings.Contains(stdout, "resources/s") {
		t.Errorf("gen --db output:\n%s", stdout)
	}
	if code, _, stderr := e2eRun(t, args...); code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("gen into an existing database: exit %d, %s", code, stderr)
	}
	// The same seed and size as NDJSON files: the same population.
	code, stdout, stderr = e2eRun(t, append(gen, "--out", out)...)
	if code != 0 {
		t.Fatalf("carex gen --out: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"60 people (seed 5", "resources/s", "carex import --db carex.db --org A81001 --sector nhs", "--org E06000999 --sector council"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("gen --out output lacks %q:\n%s", want, stdout)
		}
	}
	m, err := synth.LoadManifest(db + ".manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	fm, err := synth.LoadManifest(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.People != 60 || m.Resources != fm.Resources || fm.Orgs[0].File != "A81001.ndjson" {
		t.Fatalf("manifests: %d people, %d/%d resources, file %q", m.People, m.Resources, fm.Resources, fm.Orgs[0].File)
	}

	// The NDJSON files load with carex import, in the manifest's order, to
	// the same number of resources.
	idb := filepath.Join(dir, "import.db")
	total := 0
	for _, o := range fm.Orgs {
		code, stdout, stderr := e2eRun(t, "import", "--quiet", "--db", idb, "--org", o.Code, "--sector", o.Sector, filepath.Join(out, o.File))
		if code != 0 {
			t.Fatalf("import %s: exit %d: %s", o.File, code, stderr)
		}
		mt := regexp.MustCompile(`(?m)^total\s+(\d+)`).FindStringSubmatch(stdout)
		if mt == nil {
			t.Fatalf("import %s: no total in %q", o.File, stdout)
		}
		n, _ := strconv.Atoi(mt[1])
		if n != o.Resources {
			t.Errorf("import %s: %d resources, the manifest says %d", o.File, n, o.Resources)
		}
		total += n
	}
	if total != m.Resources {
		t.Errorf("imported %d resources, generated %d", total, m.Resources)
	}
	if st, err := os.Stat(filepath.Join(out, "A81001.ndjson")); err != nil || st.Size() == 0 {
		t.Errorf("A81001.ndjson: %v", err)
	}

	// The generated database, served.
	store, key, v := devStore(t, db)
	hs := httptest.NewServer(api.New(api.Config{Store: store, Verifier: v, Dev: true}).Handler())
	defer hs.Close()
	users := map[string]auth.DevClaims{
		"gp":    {Sub: "gp1", Role: "gp", Sector: "nhs", Org: synth.OrgGP},
		"nurse": {Sub: "nurse1", Role: "district-nurse", Sector: "nhs", Org: synth.OrgCommunity},
		"dr":    {Sub: "dr1", Role: "hospital-clinician", Sector: "nhs", Org: synth.OrgHospital},
		"sw":    {Sub: "sw1", Role: "social-worker", Sector: "council", Org: synth.OrgCouncil},
	}
	get := func(user, path string) (int, string) {
		t.Helper()
		tok, err := key.Mint(users[user])
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", hs.URL+"/fhir"+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	byCase := map[string]synth.Patient{}
	for _, p := range m.Patients {
		if p.Case != "" {
			byCase[p.Case] = p
		}
	}
	optedOut, hiv, hivPermit, noCouncil := byCase["opted-out"], byCase["hiv-no-permit"], byCase["hiv-permit-hospital"], byCase["no-council"]
	if !optedOut.OptedOut || !noCouncil.NoCouncil || hiv.ID == "" || hivPermit.ID == "" {
		t.Fatalf("manifest cases: %+v", byCase)
	}
	cases := []struct {
		user, path   string
		want, absent []string
	}{
		// The council sees only its own data of a person who opted out, or who objects to the council.
		{"sw", "/Patient/" + optedOut.ID + "/$everything", []string{"confidential-items", `"resourceType":"EpisodeOfCare"`}, []string{`"resourceType":"Condition"`, `"resourceType":"MedicationStatement"`, `"resourceType":"Patient"`}},
		{"sw", "/Patient/" + noCouncil.ID + "/$everything", []string{"confidential-items", `"resourceType":"EpisodeOfCare"`}, []string{`"resourceType":"Condition"`, `"resourceType":"MedicationStatement"`}},
		// The GP practice sees the record it holds about the person who opted out.
		{"gp", "/Patient/" + optedOut.ID, []string{optedOut.NHS}, nil},
		// An HIV diagnosis is withheld from the district nurse…
		{"nurse", "/Condition?patient=" + hiv.ID, []string{"confidential-items"}, []string{"86406008"}},
		{"nurse", "/Condition?patient=" + hivPermit.ID, []string{"confidential-items"}, []string{"86406008"}},
		{"nurse", "/MedicationStatement?patient=" + hiv.ID, []string{"confidential-items"}, []string{"Biktarvy"}},
		// …released to its source, the GP practice…
		{"gp", "/Condition?patient=" + hiv.ID, []string{"86406008"}, nil},
		// …and to the hospital the person permitted.
		{"dr", "/Condition?patient=" + hivPermit.ID, []string{"86406008"}, nil},
		{"dr", "/Condition?patient=" + hiv.ID, []string{"confidential-items"}, []string{"86406008"}},
	}
	for _, c := range cases {
		status, body := get(c.user, c.path)
		if status != 200 {
			t.Errorf("%s as %s: %d %.300s", c.path, c.user, status, body)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s as %s: lacks %q", c.path, c.user, w)
			}
		}
		for _, a := range c.absent {
			if strings.Contains(body, a) {
				t.Errorf("%s as %s: contains %q", c.path, c.user, a)
			}
		}
	}
}

// TestRelabelGenerated: carex relabel on a generated population finds
// every version labelled as a write now labels it (gen writes through the
// same path), and says so.
func TestRelabelGenerated(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	if code, _, errOut := e2eRun(t, "gen", "--people", "30", "--db", db); code != 0 {
		t.Fatalf("gen: exit %d %s", code, errOut)
	}
	code, out, errOut := e2eRun(t, "relabel", "--db", db)
	if code != 0 || !strings.Contains(out, "changed: 0 (0 current)") || !strings.Contains(out, "consents restored: 0\n") || strings.Contains(out, "versions: 0\n") {
		t.Fatalf("relabel: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := e2eRun(t, "relabel", "--db", filepath.Join(t.TempDir(), "none.db")); code == 0 || !strings.Contains(errOut, "none.db") {
		t.Fatalf("relabel of a missing file: exit %d %s", code, errOut)
	}
}

// TestRelabelRefusedBesideServer: carex relabel will not run while a
// server has the database open (it would go on deciding with labels it
// has cached).
func TestRelabelRefusedBesideServer(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	if code, _ := s.get(t, "/fhir/metadata", ""); code != 200 {
		t.Fatal("server not up")
	}
	code, _, errOut := e2eRun(t, "relabel", "--db", db)
	if code == 0 || !strings.Contains(errOut, "stop it first") {
		t.Fatalf("relabel beside a running server: exit %d %s", code, errOut)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	if code, out, errOut := e2eRun(t, "relabel", "--db", db); code != 0 || !strings.Contains(out, "changed: 0") {
		t.Fatalf("relabel with the server stopped: exit %d %s%s", code, out, errOut)
	}
}
