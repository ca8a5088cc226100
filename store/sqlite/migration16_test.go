package sqlite

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestMigration16IndexesCommunications: a Communication stored by a
// release whose Communication had no search parameters (no index rows,
// schema 15) is found by patient= once this release opens the records
// (review 82c).
func TestMigration16IndexesCommunications(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	raw := `{"resourceType":"Communication","id":"c16","status":"completed","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/E06000999"}],"sent":"2026-11-30T10:00:00Z"}`
	if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "RHX", raw)}, nil); err != nil {
		t.Fatal(err)
	}
	find := func(db *DB) int {
		q, err := search.ParseQuery("Communication", url.Values{"patient": {"jane"}, "sent": {"ge2026-11-01"}})
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
		t.Fatalf("premise: a Communication written now is found by patient and sent: %d", n)
	}
	// As a release before 16 left it: no rows of its own.
	for _, tab := range []string{"idx_token", "idx_ref", "idx_date", "idx_str", "idx_num"} {
		if _, err := db.writer.ExecContext(ctx, `DELETE FROM `+tab+` WHERE rid = (SELECT rid FROM resources WHERE id = 'c16')`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(ctx, `PRAGMA user_version = 15`); err != nil {
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
		t.Errorf("after the upgrade the Communication is not found by patient and sent: %d", n)
	}
}
