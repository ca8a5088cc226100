package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestMigration14IndexesDatesAsDaysInEngland: records an earlier carex
// indexed (user_version 13: a date without a time as a UTC day, strings
// with fewer accents folded) are indexed again by migration 14 as days in
// England, as search now reads them (review 72c), and with every accent
// folded (review 74b: Ștefan Țurcanu is found by stefan and turcanu): a problem whose onset is 5 June 2024 (British Summer
// Time) is found by onset-date=2024-06-05 and not by 2024-06-04; a
// reading at 00:30 BST on 5 June is found on the 5th; a winter date's rows
// are left as they were.
func TestMigration14IndexesDatesAsDaysInEngland(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	for _, raw := range []string{
		`{"resourceType":"Condition","id":"c72","subject":{"reference":"Patient/p72"},"code":{"text":"x"},"onsetDateTime":"2024-06-05"}`,
		`{"resourceType":"Condition","id":"w72","subject":{"reference":"Patient/p72"},"code":{"text":"y"},"onsetDateTime":"2024-01-05"}`,
		`{"resourceType":"Observation","id":"o72","status":"final","subject":{"reference":"Patient/p72"},"code":{"text":"z"},"effectiveDateTime":"2024-06-05T00:30:00+01:00"}`,
		`{"resourceType":"Patient","id":"s74","name":[{"family":"Țurcanu","given":["Ștefan"]}],"birthDate":"1950-01-10"}`,
	} {
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// As an earlier carex left it: the summer day indexed as a UTC day, and
	// Ș and Ț not folded (review 74b).
	if _, err := db.writer.ExecContext(ctx, `UPDATE idx_str SET value = 'ștefan' WHERE value = 'stefan'; UPDATE idx_str SET value = 'țurcanu' WHERE value = 'turcanu'`); err != nil {
		t.Fatal(err)
	}
	utcLo, utcHi, _ := search.ParseDate("2024-06-05")
	if _, err := db.writer.ExecContext(ctx, `UPDATE idx_date SET lo = ?, hi = ? WHERE param = 'onset-date' AND rid = (SELECT rid FROM resources WHERE id = 'c72');
		PRAGMA user_version = 13`, utcLo, utcHi); err != nil {
		t.Fatal(err)
	}
	var winterSums []byte
	if err := db.writer.QueryRowContext(ctx, `SELECT idx_sums FROM resources WHERE id = 'w72'`).Scan(&winterSums); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	ids := func(typ, q string) []string {
		t.Helper()
		res, err := db.Search(ctx, storetest.Query(t, typ, q), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range res.Items {
			out = append(out, v.ID)
		}
		return out
	}
	if got := ids("Condition", "onset-date=2024-06-05"); len(got) != 1 || got[0] != "c72" {
		t.Errorf("onset-date=2024-06-05 after migration 14: %v, want [c72]", got)
	}
	if got := ids("Condition", "onset-date=2024-06-04"); len(got) != 0 {
		t.Errorf("onset-date=2024-06-04 after migration 14: %v, want none", got)
	}
	if got := ids("Observation", "date=2024-06-05"); len(got) != 1 || got[0] != "o72" {
		t.Errorf("date=2024-06-05 (a reading at 00:30 BST): %v, want [o72]", got)
	}
	if got := ids("Patient", "given=stefan&family=turcanu"); len(got) != 1 || got[0] != "s74" {
		t.Errorf("given=stefan&family=turcanu after migration 14: %v, want [s74]", got)
	}
	var lo, hi int64
	if err := db.writer.QueryRowContext(ctx, `SELECT lo, hi FROM idx_date WHERE rid = (SELECT rid FROM resources WHERE id = 'c72')`).Scan(&lo, &hi); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 6, 5, 0, 0, 0, 0, search.Days)
	if lo != day.UnixMilli() || hi != day.AddDate(0, 0, 1).UnixMilli()-1 {
		t.Errorf("c72's onset indexed as %v..%v, want 5 June 2024 in England", time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC())
	}
	var sums []byte
	if err := db.writer.QueryRowContext(ctx, `SELECT idx_sums FROM resources WHERE id = 'w72'`).Scan(&sums); err != nil {
		t.Fatal(err)
	}
	if string(sums) != string(winterSums) || sums == nil {
		t.Errorf("a winter date's resource was indexed again (idx_sums %x, was %x)", sums, winterSums)
	}
}
