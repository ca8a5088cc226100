package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store/sqlite"
)

var updateDerived = flag.Bool("update-derived", false, "rewrite testdata/derived.golden from what this release derives")

const derivedGolden = "testdata/derived.golden"

// TestDerivationRevision keeps api.DerivationRevision honest: the records
// remember the revision their labels, compartments, classes, codes and
// clinical dates were worked out under, and serve refuses them until carex
// relabel has run when it differs. A release that works any of them out
// otherwise without changing the revision would decide with what the
// earlier rules derived, and ask for no relabel. So what the demo
// population derives is kept in testdata/derived.golden under the
// revision that derived it, with the items of testdata/derivation that
// the demo population lacks.
func TestDerivationRevision(t *testing.T) {
	got := derivedListing(t)
	if *updateDerived {
		if err := os.WriteFile(derivedGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(derivedGolden)
	if err != nil {
		t.Fatal(err)
	}
	want := string(b)
	if got == want {
		return
	}
	gotRev, gotRest, _ := strings.Cut(got, "\n")
	wantRev, wantRest, _ := strings.Cut(want, "\n")
	gotLists, _, _ := strings.Cut(gotRest, "\n")
	wantLists, _, _ := strings.Cut(wantRest, "\n")
	if gotLists != wantLists {
		t.Fatalf("the built-in policy's code lists changed (records labelled with the old ones are refused until carex relabel, as for any change of lists): run go test ./cmd/carex -run TestDerivationRevision -update-derived and commit the file")
	}
	if gotRev != wantRev {
		t.Fatalf("api.DerivationRevision changed (%s; %s has %s): run go test ./cmd/carex -run TestDerivationRevision -update-derived and commit the file", gotRev, derivedGolden, wantRev)
	}
	t.Fatalf("what a write derives from the demo population changed, but api.DerivationRevision did not (%s): records derived by the earlier rules would go on being decided with them, and serve would ask for no relabel. "+
		"Change api.DerivationRevision (and say in the README that the release needs carex relabel), then run go test ./cmd/carex -run TestDerivationRevision -update-derived.\nfirst difference:\n%s",
		gotRev, firstDifference(want, got))
}

// derivedListing is what the built-in policy and this release derive on
// writing the demo population: every version's derived columns and every
// compartment row, one per line, after the revision.
func derivedListing(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "derived.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := api.New(api.Config{Store: st, Policy: api.NewConsentPolicy(consent.DefaultPolicy(), st)})
	if err := seedDemo(ctx, srv, io.Discard); err != nil {
		t.Fatal(err)
	}
	loadDerivationFixtures(ctx, t, srv)
	names := stableNames(t, st)
	var lines []string
	for _, q := range []string{
		`SELECT 'version', r.type, r.id, v.version, v.deleted, v.source_org, v.data_class, v.labels, v.patients, v.codes, v.clinical, v.clinical_end
		 FROM versions v JOIN resources r USING (rid) ORDER BY r.type, r.id, v.version`,
		`SELECT 'compartment', c.patient, r.type, r.id FROM compartment c JOIN resources r USING (rid) ORDER BY c.patient, r.type, r.id`,
	} {
		rows, err := st.Reader().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fields := make([]string, len(vals))
			for i, v := range vals {
				if s, ok := v.([]byte); ok {
					v = string(s)
				}
				fields[i] = fmt.Sprint(v)
			}
			line := uuidPattern.ReplaceAllStringFunc(strings.Join(fields, "\t"), func(u string) string {
				if n, ok := names[u]; ok {
					return n
				}
				return "uuid?"
			})
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	slices.Sort(lines)
	return "revision " + api.DerivationRevision + "\nlists " + consent.DefaultPolicy().LabellingLists() + "\n" + strings.Join(lines, "\n") + "\n"
}

// derivationFixtures holds items the demo population lacks whose derived
// class, labels or compartments a rule decides (an NHS EpisodeOfCare a
// council manages, messages each way, lab results tagged otherwise,
// non-privacy Consents, each sensitive code list, the types of class
// other): review 86b found a change of the episode rule that kept the
// revision, which the demo population alone could not show. One file per
// writer, ORG.SECTOR.ndjson, written after the demo population by that
// organisation's system.
const derivationFixtures = "testdata/derivation"

func loadDerivationFixtures(ctx context.Context, t *testing.T, srv *api.Server) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(derivationFixtures, "*.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no derivation fixtures in %s: %v", derivationFixtures, err)
	}
	for _, f := range files {
		org, rest, _ := strings.Cut(filepath.Base(f), ".")
		sector, _, _ := strings.Cut(rest, ".")
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var lines [][]byte
		for _, ln := range strings.Split(string(raw), "\n") {
			if ln = strings.TrimSpace(ln); ln != "" {
				lines = append(lines, []byte(ln))
			}
		}
		p := &auth.Principal{Sub: "fixture-loader", Name: "fixture loader", Org: org, Sector: sector, Role: "system", Purpose: "TREAT"}
		if _, err := srv.ImportResources(ctx, p, lines); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// stableNames names the resources the server gave a new UUID id (a
// transaction's urn:uuid entries) by their type and body, their own and
// others' UUIDs and its meta left out, so that the listing is the same on every run.
func stableNames(t *testing.T, st *sqlite.DB) map[string]string {
	t.Helper()
	rows, err := st.Reader().Query(`SELECT r.type, r.id, v.raw FROM versions v JOIN resources r USING (rid) WHERE v.raw IS NOT NULL ORDER BY v.version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var typ, id string
		var raw []byte
		if err := rows.Scan(&typ, &id, &raw); err != nil {
			t.Fatal(err)
		}
		if uuidPattern.MatchString(id) {
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			delete(body, "meta") // lastUpdated: the time of this run
			canon, _ := json.Marshal(body)
			sum := sha256.Sum256(uuidPattern.ReplaceAll(canon, nil))
			names[id] = typ + "#" + hex.EncodeToString(sum[:6])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// firstDifference shows the first line where two listings differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\n  was: %s\n  now: %s", i+1, wl, gl)
		}
	}
	return "(none)"
}
