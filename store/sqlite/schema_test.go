package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestNewerSchemaRefused: a file that a later carex migrated further is
// refused with a message, not opened by code that would misread it (an
// older carex on a file with union parameters would search their rows and
// miss every resource written since: migration 4).
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	var v int
	if err := db.reader.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) || v < 4 {
		t.Fatalf("user_version %d (%v), want %d (at least 4)", v, err, len(migrations))
	}
	if _, err := db.writer.ExecContext(ctx, `PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this carex") {
		t.Fatalf("opening a file of schema 99: %v, want it refused", err)
	}
}

// TestCloseTwice: a second Close returns the first one's result; openAt's
// cleanup closes the store again.
func TestCloseTwice(t *testing.T) {
	if err := openAt(t, "").Close(); err != nil {
		t.Fatal(err)
	}
}

// TestGrantsMigrationDropsSubOnlyGrants: migration 5 rebuilds
// break_glass_grants keyed by issuer, sub and organisation; a grant stored
// by sub alone (schema 4) names no organisation, so it is dropped rather
// than held for every organisation the user works for.
func TestGrantsMigrationDropsSubOnlyGrants(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	// Back to schema 4: the table as migration 2 made it, with a grant.
	for _, q := range []string{`DROP TABLE break_glass_grants`, migrations[1], dropToSchema7,
		`INSERT INTO break_glass_grants(sub, patient, until, reason, granted) VALUES ('locum-1', 'p1', 32503680000000, 'EMERGENCY: old', 0)`,
		`PRAGMA user_version = 4`} {
		if _, err := db.writer.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	var v, n int
	if err := db.reader.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version %d (%v), want %d", v, err, len(migrations))
	}
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM break_glass_grants`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("grants kept across migration 5: %d (%v)", n, err)
	}
	for _, org := range []string{"", "A81001"} {
		if got, err := db.BreakGlassUntil(ctx, store.Grantee{Sub: "locum-1", Org: org}, "p1"); err != nil || !got.IsZero() {
			t.Fatalf("org %q: a dropped grant still held: %v %v", org, got, err)
		}
	}
	who := store.Grantee{Issuer: "carex", Sub: "locum-1", Org: "A81001"}
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := db.GrantBreakGlass(ctx, who, "p1", "EMERGENCY: new", until); err != nil {
		t.Fatal(err)
	}
	if got, err := db.BreakGlassUntil(ctx, who, "p1"); err != nil || !got.Equal(until) {
		t.Fatalf("grant after migration: %v %v, want %v", got, err, until)
	}
}

// dropToSchema7 undoes migrations 10, 9 and 8, for tests that take a
// database back to an older schema.
const dropToSchema7 = dropSchema10 + `DROP TABLE retired_numbers; ALTER TABLE resources DROP COLUMN clinical_end; ALTER TABLE versions DROP COLUMN clinical_end;`

// TestClinicalEndMigration: a database written before migration 8 opens
// with every clinical date read as an instant (DateEnd zero), as carex
// read it before, and new writes keep their ranges.
func TestClinicalEndMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	w := storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"onsetDateTime":"2015"}`)
	w.Date, w.DateEnd = time.UnixMilli(1420070400000).UTC(), time.UnixMilli(1451606399999).UTC()
	if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.ExecContext(ctx, dropToSchema7+` PRAGMA user_version = 7`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	v, err := db.Read(ctx, "Condition", "c1")
	if err != nil || !v.Date.Equal(w.Date) || !v.DateEnd.IsZero() {
		t.Fatalf("after migration 8: %v, dates %v to %v; want %v and no end", err, v.Date, v.DateEnd, w.Date)
	}
	w.ID = "c2"
	if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Read(ctx, "Condition", "c2"); err != nil || !v.DateEnd.Equal(w.DateEnd) {
		t.Fatalf("a write after migration 8: %v, end %v, want %v", err, v.DateEnd, w.DateEnd)
	}
}
