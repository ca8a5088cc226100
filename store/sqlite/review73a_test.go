package sqlite

// Review 73a: migration 14 (reindexDates) on a database written by
// 80e1059. TestReview73aBuildParentDB is run in a tree of 80e1059 (git
// archive) with REVIEW73A_BUILD=/path/carex.db; then
// TestReview73aMigration14FromParent is run here with
// REVIEW73A_PARENT_DB=/same/path. Without it, the probe builds the
// records here and puts them back as 80e1059 indexed them (every date
// without a time a UTC day, idx_sums as 80e1059 computed them, user
// version 13), as review 72c's probe does for one row.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

const r73aFillers = 1003 // past reindexDates' batch of 1000 rows

// r73aWrites are the writes, in order, both databases are given.
func r73aWrites(t testing.TB) [][]*store.Write {
	w := func(raw string) []*store.Write {
		return []*store.Write{storetest.W(t, store.OpUpdate, "A81001", raw)}
	}
	cond := func(id, onset string) []*store.Write {
		return w(`{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/b48"},"code":{"text":"x"},"onsetDateTime":"` + onset + `"}`)
	}
	out := [][]*store.Write{
		w(`{"resourceType":"Patient","id":"b48","birthDate":"1948-07-05","name":[{"family":"Moss"}]}`),
		w(`{"resourceType":"Patient","id":"b70","birthDate":"1970-01-15","name":[{"family":"Bell"}]}`),
		cond("c1", "2024-01-01"), cond("c1", "2024-06-05"), // several versions, the current a summer day
		cond("c2", "2024-01-05"),                           // winter: rows unchanged
		cond("c3", "2024-06-07"),                           // deleted below
		cond("c4", "2024-06-09"), cond("c4", "2024-01-09"), // a summer day once, winter now
		w(`{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/b48"},"code":{"text":"n"},
			"effectiveDateTime":"2024-06-05T00:30:00+01:00","note":[{"text":"2024-06-05"}]}`), // a date-only string that is no date parameter
		w(`{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/b48"},
			"period":{"start":"2024-06-05","end":"2024-06-06"}}`),
		w(`{"resourceType":"Condition","id":"c5","subject":{"reference":"Patient/b48"},"code":{"text":"m"},"onsetPeriod":{"start":"2024-03","end":"2024-10"},"recordedDate":"2024"}`),
	}
	out = append(out, []*store.Write{{Op: store.OpDelete, Type: "Condition", ID: "c3", SourceOrg: "A81001"}})
	var fill []*store.Write
	for i := 0; i < r73aFillers; i++ {
		day := "2024-07-" + fmt.Sprintf("%02d", 1+i%28)
		fill = append(fill, storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Condition","id":"f`+fmt.Sprint(i)+`","subject":{"reference":"Patient/b70"},"code":{"text":"f"},"onsetDateTime":"`+day+`"}`))
	}
	return append(out, fill)
}

func r73aBuild(t testing.TB, path string) {
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ws := range r73aWrites(t) {
		if _, err := db.Commit(context.Background(), ws, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReview73aBuildParentDB(t *testing.T) {
	path := os.Getenv("REVIEW73A_BUILD")
	if path == "" {
		t.Skip("REVIEW73A_BUILD not set (run in 80e1059's tree)")
	}
	r73aBuild(t, path)
}

// r73aAsParent puts the date rows of every current resource at path back
// as 80e1059 indexed them (a date without a time a UTC day), with the
// row digests 80e1059 computed from them, and user version 13.
func r73aAsParent(t *testing.T, path string) {
	ctx := context.Background()
	db := openAt(t, path)
	rows, err := db.writer.QueryContext(ctx, `SELECT r.rid, r.type, v.raw, r.patients FROM resources r JOIN versions v ON v.vpk = r.vpk WHERE r.deleted = 0`)
	if err != nil {
		t.Fatal(err)
	}
	type it struct {
		rid           int64
		typ, patients string
		raw           []byte
	}
	var items []it
	for rows.Next() {
		var x it
		if err := rows.Scan(&x.rid, &x.typ, &x.raw, &x.patients); err != nil {
			t.Fatal(err)
		}
		items = append(items, x)
	}
	rows.Close()
	for _, x := range items {
		var m map[string]any
		if err := json.Unmarshal(x.raw, &m); err != nil {
			t.Fatal(err)
		}
		utc := search.ExtractDatesIn(x.typ, m, time.UTC)
		var entries []search.IndexEntry
		for _, e := range search.Extract(x.typ, m) {
			if e.Type != search.Date || e.Param == "_lastUpdated" {
				entries = append(entries, e)
			}
		}
		entries = append(entries, utc...)
		var p pendingRows
		for _, pt := range splitList(x.patients) {
			p.add(tCompartment, pt, x.rid)
		}
		addIndexRows(&p, x.rid, x.typ, entries)
		if _, err := db.writer.ExecContext(ctx, `DELETE FROM idx_date WHERE rid = ?`, x.rid); err != nil {
			t.Fatal(err)
		}
		for _, e := range utc {
			if e.Param == "_lastUpdated" {
				continue
			}
			if _, err := db.writer.ExecContext(ctx, `INSERT INTO idx_date(type, param, lo, hi, rid) VALUES (?, ?, ?, ?, ?)`, x.typ, e.Param, e.Lo, e.Hi, x.rid); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.writer.ExecContext(ctx, `UPDATE resources SET idx_sums = ? WHERE rid = ?`, rowDigests(&p), x.rid); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.writer.ExecContext(ctx, `PRAGMA user_version = 13`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func r73aCopy(t *testing.T, from, to string) {
	for _, suf := range []string{"", "-wal", "-shm"} {
		src, err := os.Open(from + suf)
		if err != nil {
			if suf != "" {
				continue
			}
			t.Fatal(err)
		}
		dst, err := os.Create(to + suf)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(dst, src)
		src.Close()
		dst.Close()
	}
}

// r73aDates is every current resource's date rows, by type/id.
func r73aDates(t *testing.T, db *DB) map[string][]string {
	rows, err := db.writer.QueryContext(context.Background(), `SELECT r.type, r.id, d.param, d.lo, d.hi FROM idx_date d JOIN resources r ON r.rid = d.rid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var typ, id, param string
		var lo, hi int64
		rows.Scan(&typ, &id, &param, &lo, &hi)
		k := typ + "/" + id
		out[k] = append(out[k], fmt.Sprint(param, "|", lo, "|", hi))
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

var r73aQueries = []string{
	"Patient?birthdate=1948-07-05", "Patient?birthdate=1948-07-04", "Patient?birthdate=1970-01-15", "Patient?birthdate=1970-01-14",
	"Patient?birthdate=ge1948-07-05&birthdate=le1948-07-05",
	"Condition?onset-date=2024-06-05", "Condition?onset-date=2024-06-04", "Condition?onset-date=2024-01-01", "Condition?onset-date=2024-06-07",
	"Condition?onset-date=2024-06-09", "Condition?onset-date=2024-01-09", "Condition?onset-date=2024-01-05", "Condition?onset-date=2024-07-01",
	"Condition?onset-date=2024-06-30", "Condition?onset-date=ge2024-10-31", "Condition?onset-date=le2024-03-01", "Condition?onset-date=2024",
	"Condition?recorded-date=2024", "Condition?recorded-date=2023", "Condition?onset-date=sa2024-02-29",
	"Observation?date=2024-06-05", "Observation?date=2024-06-04",
	"Encounter?date=2024-06-05", "Encounter?date=ge2024-06-06", "Encounter?date=le2024-06-05", "Encounter?date=2024-06-04",
}

func r73aResults(t *testing.T, db *DB) map[string]string {
	out := map[string]string{}
	for _, q := range r73aQueries {
		typ, rest, _ := strings.Cut(q, "?")
		res, err := db.Search(context.Background(), storetest.Query(t, typ, rest+"&_count=2000"), nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range res.Items {
			ids = append(ids, v.ID)
		}
		slices.Sort(ids)
		if len(ids) > 8 {
			ids = append(ids[:3:3], fmt.Sprintf("…(%d)", len(ids)))
		}
		out[q] = strings.Join(ids, ",")
	}
	return out
}

// TestReview73aSoundMigration14SameAsFresh: a database 80e1059 wrote (deleted
// resources, resources with several versions, a body with a date-only
// string that is no date parameter, winter dates whose rows do not
// change, more than one batch of rows) opened by HEAD answers each date
// search as a fresh database written with the same data does, holds the
// same date rows, and after a later update of a migrated and of a left-
// alone resource still does.
func TestReview73aSoundMigration14SameAsFresh(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mig := filepath.Join(dir, "migrated.db")
	if src := os.Getenv("REVIEW73A_PARENT_DB"); src != "" {
		r73aCopy(t, src, mig)
	} else {
		r73aBuild(t, mig)
		r73aAsParent(t, mig)
	}
	var sumsBefore map[string][]byte
	{
		// idx_sums as 80e1059 left them (read without migrating: sqlite directly)
		db := openRawForReview73a(t, mig)
		sumsBefore = db
	}
	fresh := filepath.Join(dir, "fresh.db")
	r73aBuild(t, fresh)
	m := openAt(t, mig)
	f := openAt(t, fresh)
	compare := func(when string) {
		rm, rf := r73aResults(t, m), r73aResults(t, f)
		for _, q := range r73aQueries {
			if rm[q] != rf[q] {
				t.Errorf("%s: %s: migrated %q, fresh %q", when, q, rm[q], rf[q])
			}
		}
		dm, df := r73aDates(t, m), r73aDates(t, f)
		for k, v := range df {
			if !slices.Equal(dm[k], v) {
				t.Errorf("%s: %s's date rows: migrated %v, fresh %v", when, k, dm[k], v)
			}
		}
		for k, v := range dm {
			if _, ok := df[k]; !ok {
				t.Errorf("%s: %s has date rows only when migrated: %v", when, k, v)
			}
		}
	}
	compare("after migration 14")
	var sums []byte
	if err := m.writer.QueryRowContext(ctx, `SELECT idx_sums FROM resources WHERE type = 'Condition' AND id = 'c2'`).Scan(&sums); err != nil {
		t.Fatal(err)
	}
	if string(sums) != string(sumsBefore["Condition/c2"]) || sums == nil {
		t.Errorf("the winter item c2 was indexed again (idx_sums %x, was %x)", sums, sumsBefore["Condition/c2"])
	}
	if err := m.writer.QueryRowContext(ctx, `SELECT idx_sums FROM resources WHERE type = 'Observation' AND id = 'o1'`).Scan(&sums); err != nil {
		t.Fatal(err)
	}
	if string(sums) != string(sumsBefore["Observation/o1"]) {
		t.Errorf("o1 (a date-only note, no date parameter) was indexed again")
	}
	// later writes: a migrated item, a left-alone one, one back to a summer day
	for _, db := range []*DB{m, f} {
		for _, raw := range []string{
			`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/b48"},"code":{"text":"x"},"onsetDateTime":"2024-07-01"}`,
			`{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/b48"},"code":{"text":"x"},"onsetDateTime":"2024-06-30"}`,
			`{"resourceType":"Condition","id":"c4","subject":{"reference":"Patient/b48"},"code":{"text":"x"},"onsetDateTime":"2024-06-09"}`,
			`{"resourceType":"Patient","id":"b48","birthDate":"1948-07-05","name":[{"family":"Moss-Hart"}]}`,
			`{"resourceType":"Condition","id":"f7","subject":{"reference":"Patient/b70"},"code":{"text":"f"},"onsetDateTime":"2024-10-31"}`,
		} {
			if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", raw)}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	compare("after later updates")
}

// openRawForReview73a reads each resource's idx_sums without opening the
// database through Open (which would migrate it).
func openRawForReview73a(t *testing.T, path string) map[string][]byte {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT type, id, idx_sums FROM resources`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var typ, id string
		var s []byte
		rows.Scan(&typ, &id, &s)
		out[typ+"/"+id] = s
	}
	return out
}
