package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// resourceRows is, for each of tables, what expr selects from the rows of
// one resource, as "table value", sorted.
func resourceRows(t *testing.T, db *DB, tables []rowTable, expr func(rowTable) string, typ, id string) []string {
	t.Helper()
	var out []string
	for _, tab := range tables {
		rows, err := db.reader.Query(`SELECT CAST(`+expr(tab)+` AS TEXT) FROM `+tab.name+
			` WHERE rid = (SELECT rid FROM resources WHERE type = ? AND id = ?)`, typ, id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, tab.name+" "+s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// indexRows is every compartment and search-index row of a resource,
// without its rid, sorted: what a search can find it by.
func indexRows(t *testing.T, db *DB, typ, id string) []string {
	return resourceRows(t, db, rowTables, func(tab rowTable) string {
		return strings.ReplaceAll(strings.TrimSuffix(tab.cols, ", rid"), ", ", " || '|' || ")
	}, typ, id)
}

// TestRekeyMatchesFreshRows: after any sequence of updates, a resource's
// index rows are exactly those of the same content written fresh, and a
// delete leaves none. Updates keep the rows that did not change (rekey), so
// a row left behind or one missing would show here. Random contents drawn
// from small pools make values recur, change and vanish between versions.
func TestRekeyMatchesFreshRows(t *testing.T) {
	db := openAt(t, "")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	content := func(id string) string {
		var f []string
		f = append(f, `"status":"`+pick("final", "amended", "preliminary")+`"`)
		codes := []string{}
		for range 1 + rng.IntN(2) {
			codes = append(codes, `{"system":"http://loinc.org","code":"`+pick("8867-4", "29463-7", "8310-5")+`"}`)
		}
		f = append(f, `"code":{"coding":[`+strings.Join(codes, ",")+`]}`)
		if rng.IntN(4) > 0 {
			f = append(f, `"subject":{"reference":"Patient/`+pick("p1", "p2", "p3")+`"}`)
		}
		if rng.IntN(3) > 0 {
			f = append(f, `"effectiveDateTime":"2025-0`+pick("1", "2", "3")+`-01T10:00:00Z"`)
		}
		if rng.IntN(3) > 0 {
			f = append(f, `"valueQuantity":{"value":`+pick("70", "70.5", "-0", "0", "80")+`,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}`)
		}
		ids := []string{}
		for range rng.IntN(3) {
			ids = append(ids, `{"system":"https://carex.example/obs","value":"`+pick("a", "b", "a|b", "\u00e9")+`"}`)
		}
		if len(ids) > 0 {
			f = append(f, `"identifier":[`+strings.Join(ids, ",")+`]`)
		}
		return `{"resourceType":"Observation","id":"` + id + `",` + strings.Join(f, ",") + `}`
	}
	put := func(id, body string) {
		t.Helper()
		w := storetest.W(t, store.OpUpdate, "A81001", strings.Replace(body, `"id":"x"`, `"id":"`+id+`"`, 1))
		if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	for i := range 150 {
		body := content("x")
		// Two updated resources in one transaction, as a bundle has.
		w1 := storetest.W(t, store.OpUpdate, "A81001", strings.Replace(body, `"id":"x"`, `"id":"u1"`, 1))
		w2 := storetest.W(t, store.OpUpdate, "A81001", strings.Replace(content("x"), `"id":"x"`, `"id":"u2"`, 1))
		if _, err := db.Commit(ctx, []*store.Write{w1, w2}, nil); err != nil {
			t.Fatal(err)
		}
		fresh := fmt.Sprintf("f%d", i)
		put(fresh, body)
		if i%7 == 3 {
			// As if written before carex kept digests: the next update
			// compares with the stored rows (rekey).
			if _, err := db.writer.Exec(`UPDATE resources SET idx_sums = NULL WHERE type = 'Observation' AND id IN ('u1', 'u2')`); err != nil {
				t.Fatal(err)
			}
		}
		got, want := indexRows(t, db, "Observation", "u1"), indexRows(t, db, "Observation", fresh)
		if !slices.Equal(got, want) {
			t.Fatalf("update %d of %s:\nrows after the update: %q\nrows written fresh:   %q", i, body, got, want)
		}
		if i%10 == 9 {
			del := &store.Write{Op: store.OpDelete, Type: "Observation", ID: "u1", SourceOrg: "A81001"}
			if _, err := db.Commit(ctx, []*store.Write{del}, nil); err != nil {
				t.Fatal(err)
			}
			if rows := indexRows(t, db, "Observation", "u1"); len(rows) > 0 {
				t.Fatalf("after a delete: %q", rows)
			}
		}
	}
}

// indexRowids is every search-index row of a resource as "table rowid".
func indexRowids(t *testing.T, db *DB, typ, id string) map[string]bool {
	out := map[string]bool{}
	// The compartment has no rowid.
	for _, r := range resourceRows(t, db, rowTables[1:], func(rowTable) string { return "rowid" }, typ, id) {
		out[r] = true
	}
	return out
}

// TestRekeyKeepsUnchangedRows: an update that changes nothing in the index
// leaves every row where it was (same rowids), and one that changes the
// value replaces only the value's rows. A value read back as another Go
// type than the new row's would make every row look changed: still
// correct, but this fails.
func TestRekeyKeepsUnchangedRows(t *testing.T) {
	db := openAt(t, "")
	ctx := context.Background()
	body := func(value string) string {
		return `{"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-01T10:00:00Z",
		"identifier":[{"system":"https://carex.example/obs","value":"o1"}],"valueQuantity":{"value":` + value + `,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
	}
	put := func(b string) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", b)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	put(body("70.5"))
	// Another resource's rows after o1's: rows o1 deletes and inserts again
	// get new rowids (SQLite reuses the largest rowid once it is deleted).
	put(strings.ReplaceAll(body("60"), `"o1"`, `"o2"`))
	before := indexRowids(t, db, "Observation", "o1")
	if len(before) < 5 {
		t.Fatalf("only %d index rows: the fixture indexes too little to show anything", len(before))
	}
	put(body("70.5"))
	if after := indexRowids(t, db, "Observation", "o1"); !maps.Equal(after, before) {
		t.Fatalf("an update that changes no indexed value moved rows:\nbefore %v\nafter  %v", before, after)
	}
	put(body("80"))
	after := indexRowids(t, db, "Observation", "o1")
	var moved []string
	for k := range before {
		if !after[k] {
			moved = append(moved, k)
		}
	}
	for _, k := range moved {
		if !strings.HasPrefix(k, "idx_num ") {
			t.Errorf("changing only the value replaced %s", k)
		}
	}
	if len(moved) == 0 {
		t.Error("changing the value replaced no row")
	}
}

// TestCurrentThenWrite: writes after the write decision's Current see the
// row as it is when they run: a second write of the same resource in the
// same request, If-Match, and a create followed by an update. (It guards
// any reuse of what Current read: one kept for the next write, tried,
// failed it until used only once.)
func TestCurrentThenWrite(t *testing.T) {
	db := openAt(t, "")
	ctx := context.Background()
	o := func() *store.Write { return obsFor(t, "o1", "p1") }
	if _, err := db.Commit(ctx, []*store.Write{o()}, nil); err != nil {
		t.Fatal(err)
	}
	asked := func(lookup store.Lookup) error {
		m, err := lookup.Current("Observation", "o1")
		if err != nil || m == nil {
			return fmt.Errorf("current: %v %v", m, err)
		}
		return nil
	}
	// Two writes of o1 in one request: versions 2 and 3, not 2 twice.
	res, err := db.Commit(ctx, []*store.Write{o(), o()}, asked)
	if err != nil {
		t.Fatal(err)
	}
	if v1, v2 := res[0].Version.VersionID, res[1].Version.VersionID; v1 != 2 || v2 != 3 {
		t.Fatalf("versions %d and %d, want 2 and 3", v1, v2)
	}
	// If-Match is judged against the version the row has when written.
	stale := o()
	stale.IfMatch = 2
	if _, err := db.Commit(ctx, []*store.Write{stale}, asked); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("If-Match 2 on version 3: %v, want a version conflict", err)
	}
	fresh := o()
	fresh.IfMatch = 3
	if res, err := db.Commit(ctx, []*store.Write{fresh}, asked); err != nil || res[0].Version.VersionID != 4 {
		t.Fatalf("If-Match 3 on version 3: %v", err)
	}
	// A resource Current found missing is created once, then updated.
	res, err = db.Commit(ctx, []*store.Write{obsFor(t, "o2", "p1"), obsFor(t, "o2", "p1")}, func(lookup store.Lookup) error {
		_, err := lookup.Current("Observation", "o2")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Created || res[1].Created || res[1].Version.VersionID != 2 {
		t.Fatalf("o2: created %v then %v at version %d, want created then updated to 2", res[0].Created, res[1].Created, res[1].Version.VersionID)
	}
}

// TestIndexDigestsAfterMigration: a database from before the index digests
// (migration 3) gets the column empty, and updates of its resources then
// leave exactly the rows a fresh write has, while new writes keep digests.
func TestIndexDigestsAfterMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carex.db")
	ctx := context.Background()
	obs := func(id, loinc, value string) *store.Write {
		return storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final",
			"code":{"coding":[{"system":"http://loinc.org","code":"`+loinc+`"}]},"subject":{"reference":"Patient/p1"},
			"valueQuantity":{"value":`+value+`,"unit":"/min"}}`)
	}
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Commit(ctx, []*store.Write{obs("o1", "8867-4", "70"), obs("o2", "8867-4", "71")}, nil); err != nil {
		t.Fatal(err)
	}
	// Back to schema version 2: no digest column (nor migration 8's).
	if _, err := db.writer.Exec(`ALTER TABLE resources DROP COLUMN idx_sums; ` + dropToSchema7); err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.Exec(`PRAGMA user_version = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, path)
	var unknown int
	if err := db.reader.QueryRow(`SELECT count(*) FROM resources WHERE idx_sums IS NULL`).Scan(&unknown); err != nil || unknown != 2 {
		t.Fatalf("after migration: %d resources without digests (%v), want 2", unknown, err)
	}
	// o1: a new code and value; o2: the same content again.
	if _, err := db.Commit(ctx, []*store.Write{obs("o1", "29463-7", "80"), obs("o2", "8867-4", "71")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Commit(ctx, []*store.Write{obs("f1", "29463-7", "80"), obs("f2", "8867-4", "71")}, nil); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{"o1", "f1"}, {"o2", "f2"}} {
		if got, want := indexRows(t, db, "Observation", pair[0]), indexRows(t, db, "Observation", pair[1]); !slices.Equal(got, want) {
			t.Fatalf("%s after the update: %q\nwritten fresh: %q", pair[0], got, want)
		}
	}
	if err := db.reader.QueryRow(`SELECT count(*) FROM resources WHERE idx_sums IS NULL`).Scan(&unknown); err != nil || unknown != 0 {
		t.Fatalf("%d resources still without digests after their update (%v)", unknown, err)
	}
	// And a digest-guided update after that.
	if _, err := db.Commit(ctx, []*store.Write{obs("o1", "8867-4", "81"), obs("f1", "8867-4", "81")}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := indexRows(t, db, "Observation", "o1"), indexRows(t, db, "Observation", "f1"); !slices.Equal(got, want) {
		t.Fatalf("o1 after a digest-guided update: %q\nwritten fresh: %q", got, want)
	}
}

// TestRowDigests: a table's digest depends on its rows' values, not on
// their order or the rid, and a changed value changes only its table's.
func TestRowDigests(t *testing.T) {
	rows := func(rid int64, value float64, patients ...string) *pendingRows {
		var p pendingRows
		for _, pt := range patients {
			p.add(tCompartment, pt, rid)
		}
		p.add(tToken, "Observation", "code", "http://loinc.org", "8867-4", rid)
		p.add(tToken, "Observation", "status", "", "final", rid)
		p.add(tNum, "Observation", "value-quantity", value, "http://unitsofmeasure.org", "/min", rid)
		return &p
	}
	a := rowDigests(rows(1, 70, "p1", "p2"))
	if len(a) != len(rowTables)*digestSize {
		t.Fatalf("%d bytes, want %d", len(a), len(rowTables)*digestSize)
	}
	reordered := rows(2, 70, "p2", "p1") // another rid, patients in another order
	reordered.args[tToken] = append(reordered.args[tToken][5:10:10], reordered.args[tToken][0:5]...)
	if b := rowDigests(reordered); !bytes.Equal(a, b) {
		t.Fatal("the same rows in another order, or under another rid, changed the digests")
	}
	c := rowDigests(rows(1, 71, "p1", "p2"))
	for tab := range rowTables {
		same := bytes.Equal(a[tab*digestSize:(tab+1)*digestSize], c[tab*digestSize:(tab+1)*digestSize])
		if same != (tab != tNum) {
			t.Errorf("%s: digest unchanged = %v after changing only the value", rowTables[tab].name, same)
		}
	}
	if d := rowDigests(rows(1, 70, "p1")); bytes.Equal(a[:digestSize], d[:digestSize]) {
		t.Error("one patient fewer left the compartment's digest unchanged")
	}
}
