package sqlite

// Review 75a: a re-read of 187cdb0 (NormString by NFKD, migration 14
// reindexing strings) against its parent 3414d91.

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview75aMigration14SkipsDatabaseOf3414d91: a database written by
// 3414d91 is already at user_version 14 (3414d91's step 14 reindexed dates
// only), so HEAD, whose step 14 now also reindexes strings, never runs it
// on that database: its string rows stay folded the old way ("ștefan",
// "țurcanu", "kovács" with a combining acute) and a search for given=stefan
// or family=kovacs does not find the person, while a fresh HEAD database
// does. Checked for real as well: `carex import` by the 3414d91 binary
// (user_version 14, idx_str ștefan/țurcanu/kovács/zoë), then any HEAD
// command opening it (import): idx_str unchanged; a fresh HEAD import holds
// stefan/turcanu/kovacs/zoe. This test simulates that database: rows as
// 3414d91 wrote them, user_version left at 14.
// README: "a database written by an earlier release has its dates indexed
// again when this release first opens it"; "any accent, written as part
// of its letter or as a mark of its own, and Romanian ș and ț: review 74b,
// given=stefan did not find Ștefan". 187cdb0's commit: "date and string
// rows then identical to a fresh population's".
// Severity: over-withholding / a person not found by a nurse's name search
// (patient-matching risk), no leak. On 3414d91 the probe passes (its
// NormString is the one that wrote the rows). The fix belongs in a new step
// (15) rather than in the existing 14.
func TestReview75aMigration14SkipsDatabaseOf3414d91(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	raw := `{"resourceType":"Patient","id":"s75","name":[{"family":"Țurcanu","given":["Ștefan"]},{"family":"Kova\u0301cs"}],"birthDate":"1950-01-10"}`
	if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", raw)}, nil); err != nil {
		t.Fatal(err)
	}
	// As 3414d91 left it: ș, ț and a combining acute not folded; its
	// schema already at version 14.
	if _, err := db.writer.ExecContext(ctx, `UPDATE idx_str SET value = 'ștefan' WHERE value = 'stefan';
		UPDATE idx_str SET value = 'țurcanu' WHERE value = 'turcanu';
		UPDATE idx_str SET value = 'kova`+"\u0301"+`cs' WHERE value = 'kovacs'`); err != nil {
		t.Fatal(err)
	}
	// (3414d91's schema ended at 14; the fix is step 15)
	if _, err := db.writer.ExecContext(ctx, `PRAGMA user_version = 14`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	rows, err := db.writer.QueryContext(ctx, `SELECT value FROM idx_str WHERE rid = (SELECT rid FROM resources WHERE id = 's75')`)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		have = append(have, s)
	}
	rows.Close()
	for _, name := range []string{"Ștefan", "Țurcanu", "Kova\u0301cs"} {
		if !slices.Contains(have, search.NormString(name)) {
			t.Errorf("after HEAD opened a database at version 14: idx_str %q lacks %q, the row a fresh database holds for %q", have, search.NormString(name), name)
		}
	}
	res, err := db.Search(ctx, storetest.Query(t, "Patient", "given="+url.QueryEscape("Ștefan")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 {
		t.Errorf("given=Ștefan finds %d, want [s75]", len(res.Items))
	}
}

// TestReview75aSoundMigration14LeavesOthersAlone: a database at
// user_version 13 opened by HEAD: a Condition whose only non-ASCII text is
// its narrative (and a Patient named in ASCII beside a non-ASCII address
// line already folded alike) keeps its idx_sums and every row; token rows
// of a Patient whose strings are re-folded are untouched; the re-folded
// Patient's string rows are then those a fresh database holds.
func TestReview75aSoundMigration14LeavesOthersAlone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	for _, raw := range []string{
		`{"resourceType":"Condition","id":"n75","subject":{"reference":"Patient/p75"},"code":{"text":"x"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ștefan’s café</div>"}}`,
		`{"resourceType":"Patient","id":"a75","name":[{"family":"Smith"}],"address":[{"line":["1 Rue de l’Église"]}]}`,
		`{"resourceType":"Patient","id":"s75","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Țurcanu","given":["Ștefan"]}],"gender":"male"}`,
	} {
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	snap := func(q string) string { t.Helper(); return r76aSnap(t, db, q) } // (db changes: reopened below)
	fresh := snap(`SELECT r.id, s.param, s.value FROM idx_str s JOIN resources r USING(rid) ORDER BY 1, 2, 3`)
	if _, err := db.writer.ExecContext(ctx, `UPDATE idx_str SET value = 'ștefan' WHERE value = 'stefan';
		UPDATE idx_str SET value = 'țurcanu' WHERE value = 'turcanu'; PRAGMA user_version = 13`); err != nil {
		t.Fatal(err)
	}
	sums := `SELECT id, hex(idx_sums) FROM resources WHERE id IN ('n75', 'a75') ORDER BY id`
	tokens := `SELECT r.id, t.param, t.system, t.code FROM idx_token t JOIN resources r USING(rid) ORDER BY 1, 2, 3, 4`
	others := `SELECT r.id, s.param, s.value FROM idx_str s JOIN resources r USING(rid) WHERE r.id <> 's75' ORDER BY 1, 2, 3`
	beforeSums, beforeTokens, beforeOthers := snap(sums), snap(tokens), snap(others)
	if strings.Count(beforeSums, "\n") != 1 || len(beforeSums) < 60 || !strings.Contains(beforeTokens, "9000000009") {
		t.Fatalf("premise: idx_sums %q, tokens %q", beforeSums, beforeTokens)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if got := snap(sums); got != beforeSums {
		t.Errorf("idx_sums changed:\n%s\nwas\n%s", got, beforeSums)
	}
	if got := snap(tokens); got != beforeTokens {
		t.Errorf("token rows changed:\n%s\nwas\n%s", got, beforeTokens)
	}
	if got := snap(others); got != beforeOthers {
		t.Errorf("other string rows changed:\n%s\nwas\n%s", got, beforeOthers)
	}
	if got := snap(`SELECT r.id, s.param, s.value FROM idx_str s JOIN resources r USING(rid) ORDER BY 1, 2, 3`); got != fresh {
		t.Errorf("string rows after migration 14:\n%s\nfresh:\n%s", got, fresh)
	}
}
