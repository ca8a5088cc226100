package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestMigrationsIndexNewlySearchableTypes: a resource stored by a release
// whose type had no search parameters (no index rows) is found by its
// parameters once this release opens the records: Communication at
// schema 16 (review 82c), the patient compartment's other types at 17.
func TestMigrationsIndexNewlySearchableTypes(t *testing.T) {
	cases := []struct {
		step  int
		id    string
		raw   string
		query url.Values
	}{
		{16, "c16", `{"resourceType":"Communication","id":"c16","status":"completed","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/E06000999"}],"sent":"2026-11-30T10:00:00Z"}`,
			url.Values{"patient": {"jane"}, "sent": {"ge2026-11-01"}}},
		{17, "fmh17", `{"resourceType":"FamilyMemberHistory","id":"fmh17","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"MTH"}]},"date":"2026-11-30"}`,
			url.Values{"patient": {"jane"}, "relationship": {"MTH"}, "date": {"2026-11-30"}}},
		{17, "list17", `{"resourceType":"List","id":"list17","status":"current","mode":"working","subject":{"reference":"Patient/jane"},"title":"Home visit checklist","entry":[{"item":{"reference":"Condition/c1"}}]}`,
			url.Values{"patient": {"jane"}, "item": {"Condition/c1"}, "title": {"home visit"}}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d-%s", tc.step, tc.id), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "carex.db")
			db := openAt(t, path)
			w := storetest.W(t, store.OpUpdate, "RHX", tc.raw)
			if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
				t.Fatal(err)
			}
			find := func(db *DB) int {
				q, err := search.ParseQuery(w.Type, tc.query)
				if err != nil {
					t.Fatal(err)
				}
				res, err := db.Search(ctx, q, nil)
				if err != nil {
					t.Fatal(err)
				}
				return res.Total
			}
			if n := find(db); n != 1 {
				t.Fatalf("premise: written now, it is found by %v: %d", tc.query, n)
			}
			// As a release before the step left it: no rows of its own.
			for _, tab := range []string{"idx_token", "idx_ref", "idx_date", "idx_str", "idx_num"} {
				if _, err := db.writer.ExecContext(ctx, `DELETE FROM `+tab+` WHERE rid = (SELECT rid FROM resources WHERE id = ?)`, tc.id); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, tc.step-1)); err != nil {
				t.Fatal(err)
			}
			if n := find(db); n != 0 {
				t.Fatalf("premise: without its rows it is not found: %d", n)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openAt(t, path)
			if n := find(db); n != 1 {
				t.Errorf("after the upgrade it is not found by %v: %d", tc.query, n)
			}
		})
	}
}
