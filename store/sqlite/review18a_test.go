package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview18aRetiredPatients: a deleted Patient leaves search, and with
// it the NHS numbers by which carex joins the person's other records (her
// objection on the deleted record stopped reaching another organisation's
// record of her). RetiredPatients finds it by its last version's numbers
// (written with spaces or without, and every one it carried); stored
// again, it leaves them; and a database written before migration 9 gets
// its deleted Patients' numbers on opening.
func TestReview18aRetiredPatients(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	const jane = `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"},{"system":"urn:other","value":"9876543210"}]}`
	const bob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}]}`
	put := func(op store.Op, raw string) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, op, "A81001", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	del := func(id string) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{{Op: store.OpDelete, Type: "Patient", ID: id, SourceOrg: "A81001"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	retired := func(d *DB, n string) []string {
		t.Helper()
		ids, err := d.RetiredPatients(ctx, n, 20)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	put(store.OpUpdate, jane)
	put(store.OpUpdate, bob)
	if got := retired(db, "9434765919"); len(got) != 0 {
		t.Fatalf("a live Patient is not retired: %v", got)
	}
	del("jane")
	for _, n := range []string{"9434765919", "9000000009"} {
		if got := retired(db, n); !slices.Equal(got, []string{"jane"}) {
			t.Errorf("deleted Patient/jane by %s: %v", n, got)
		}
	}
	if got := retired(db, "9876543210"); len(got) != 0 {
		t.Errorf("another identifier system's value counted as an NHS number: %v", got)
	}
	put(store.OpUpdate, jane)
	if got := retired(db, "9434765919"); len(got) != 0 {
		t.Errorf("stored again, Patient/jane is still retired: %v", got)
	}
	del("jane")
	del("bob")
	// Back to schema 8: opening fills the table in from the last versions.
	if _, err := db.writer.ExecContext(ctx, dropSchema10+`DROP TABLE retired_numbers; PRAGMA user_version = 8`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	for n, want := range map[string]string{"9434765919": "jane", "9000000009": "jane", "9434765870": "bob"} {
		if got := retired(db, n); !slices.Equal(got, []string{want}) {
			t.Errorf("after migration 9, %s: %v, want %s", n, got, want)
		}
	}
}
