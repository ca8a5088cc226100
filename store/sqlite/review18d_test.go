package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// dropSchema10 undoes migration 10, for tests that take a database back
// to an older schema.
const dropSchema10 = `DROP TABLE retired_links; `

// TestReview18dRetiredLinks: a deleted Patient leaves search, and with it
// the links by which IG's reports found a merged duplicate of the person
// (Patient/jane-old, replaced-by Patient/jane): reads of what remained
// filed under it left the reports on Jane's record. RetiredLinks finds it
// by its last version's links, normalised as the search index has them
// (relative, absolute, with _history; not a RelatedPerson, nor itself);
// stored again, it leaves them; and a database written before migration
// 10 gets its deleted Patients' links on opening.
func TestReview18dRetiredLinks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	const old = `{"resourceType":"Patient","id":"jane-old","link":[
		{"other":{"reference":"https://carex.example/fhir/Patient/jane/_history/2"},"type":"replaced-by"},
		{"other":{"reference":"Patient/jane-older"},"type":"replaces"},
		{"other":{"reference":"RelatedPerson/carer"},"type":"seealso"},
		{"other":{"reference":"Patient/jane-old"},"type":"seealso"},
		{"other":{"reference":"urn:uuid:0b8f3c2e-8d7e-4f43-9f7a-2f0f3c1e2d4a"},"type":"seealso"}]}`
	const dup = `{"resourceType":"Patient","id":"jane-dup","link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`
	put := func(raw string) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	del := func(id string) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{{Op: store.OpDelete, Type: "Patient", ID: id, SourceOrg: "A81001"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	retired := func(d *DB, target string) []string {
		t.Helper()
		ids, err := d.RetiredLinks(ctx, target, 20)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	put(old)
	put(dup)
	if got := retired(db, "jane"); len(got) != 0 {
		t.Fatalf("a live Patient is not retired: %v", got)
	}
	del("jane-old")
	for target, want := range map[string][]string{"jane": {"jane-old"}, "jane-older": {"jane-old"}, "carer": nil, "jane-old": nil} {
		if got := retired(db, target); !slices.Equal(got, want) {
			t.Errorf("deleted Patient/jane-old linking to %s: %v, want %v", target, got, want)
		}
	}
	put(`{"resourceType":"Patient","id":"jane-old"}`)
	if got := retired(db, "jane"); len(got) != 0 {
		t.Errorf("stored again, Patient/jane-old is still retired: %v", got)
	}
	put(old)
	del("jane-old")
	del("jane-dup")
	if got := retired(db, "jane"); !slices.Equal(got, []string{"jane-dup", "jane-old"}) {
		t.Errorf("both deleted duplicates: %v", got)
	}
	// Back to schema 9: opening fills the table in from the last versions.
	if _, err := db.writer.ExecContext(ctx, dropSchema10+`PRAGMA user_version = 9`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	for target, want := range map[string][]string{"jane": {"jane-dup", "jane-old"}, "jane-older": {"jane-old"}, "carer": nil} {
		if got := retired(db, target); !slices.Equal(got, want) {
			t.Errorf("after migration 10, linking to %s: %v, want %v", target, got, want)
		}
	}
}
