package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview38cNHSNumberSystemForms: an NHS number under another form of
// its system (http, another case, the OID) is indexed under
// search.NHSNumberSystem without spaces, so a search by her number finds
// the Patient, and a deleted one is kept among RetiredPatients; a
// database whose index an earlier carex wrote with the system as written
// gets it so on opening (migration 12).
func TestReview38cNHSNumberSystemForms(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	for _, raw := range []string{
		`{"resourceType":"Patient","id":"http38","identifier":[{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}]}`,
		`{"resourceType":"Patient","id":"oid38","identifier":[{"system":"urn:oid:2.16.840.1.113883.2.1.4.1","value":"9434765919"}]}`,
		`{"resourceType":"Patient","id":"gone38","identifier":[{"system":"HTTPS://FHIR.NHS.UK/Id/nhs-number/","value":"9000000009"}]}`,
	} {
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "RHX", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	found := func(d *DB) []string {
		t.Helper()
		res, err := d.Search(ctx, storetest.Query(t, "Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"), nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range res.Items {
			ids = append(ids, v.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := found(db); !slices.Equal(got, []string{"http38", "oid38"}) {
		t.Errorf("search by her number: %v", got)
	}
	if _, err := db.Commit(ctx, []*store.Write{{Op: store.OpDelete, Type: "Patient", ID: "gone38", SourceOrg: "RHX"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RetiredPatients(ctx, "9000000009", 20); err != nil || !slices.Equal(got, []string{"gone38"}) {
		t.Errorf("deleted Patient by its number under another form of the system: %v %v", got, err)
	}
	// As an earlier carex indexed them: the system as written, spaces kept.
	if _, err := db.writer.ExecContext(ctx, `UPDATE idx_token SET system = 'http://fhir.nhs.uk/Id/nhs-number', code = '943 476 5919' WHERE param = 'identifier' AND rid = (SELECT rid FROM resources WHERE id = 'http38');
		UPDATE idx_token SET system = 'urn:oid:2.16.840.1.113883.2.1.4.1' WHERE param = 'identifier' AND rid = (SELECT rid FROM resources WHERE id = 'oid38');
		DELETE FROM retired_numbers; PRAGMA user_version = 11`); err != nil {
		t.Fatal(err)
	}
	if got := found(db); len(got) != 0 {
		t.Fatalf("the premise: as an earlier carex indexed them, not found: %v", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if got := found(db); !slices.Equal(got, []string{"http38", "oid38"}) {
		t.Errorf("after migration 12, search by her number: %v", got)
	}
	if got, err := db.RetiredPatients(ctx, "9000000009", 20); err != nil || !slices.Equal(got, []string{"gone38"}) {
		t.Errorf("after migration 12, the deleted Patient by its number: %v %v", got, err)
	}
}

// TestReview38cLinkNumbers: the NHS number a Patient links to by
// identifier (under any form of the system) is indexed as
// store.LinkNumberParam, which no request can name; a deleted Patient is
// kept among RetiredPatients by it; and a database an earlier carex wrote
// gets both on opening (migration 12).
func TestReview38cLinkNumbers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	for _, raw := range []string{
		`{"resourceType":"Patient","id":"l38","link":[{"other":{"identifier":{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}},"type":"replaced-by"}]}`,
		`{"resourceType":"Patient","id":"gone38","link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}},"type":"seealso"}]}`,
		`{"resourceType":"Patient","id":"other38","link":[{"other":{"identifier":{"system":"urn:hospital","value":"9434765919"}},"type":"seealso"}]}`,
	} {
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "RHX", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	linking := func(d *DB, n string) []string {
		t.Helper()
		q := &search.Query{Type: "Patient", Count: 20, Clauses: []search.Clause{{Param: store.LinkNumberParam, Type: search.Token,
			Values: []search.Value{{System: search.NHSNumberSystem, Code: n}}}}}
		res, err := d.Search(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range res.Items {
			ids = append(ids, v.ID)
		}
		return ids
	}
	if got := linking(db, "9434765919"); !slices.Equal(got, []string{"l38"}) {
		t.Errorf("Patients linking to 9434765919: %v", got)
	}
	if _, err := db.Commit(ctx, []*store.Write{{Op: store.OpDelete, Type: "Patient", ID: "gone38", SourceOrg: "RHX"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RetiredPatients(ctx, "9000000009", 20); err != nil || !slices.Equal(got, []string{"gone38"}) {
		t.Errorf("deleted Patient by the number it linked to: %v %v", got, err)
	}
	if _, err := db.writer.ExecContext(ctx, `DELETE FROM idx_token WHERE param = '`+store.LinkNumberParam+`'; DELETE FROM retired_numbers; PRAGMA user_version = 11`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if got := linking(db, "9434765919"); !slices.Equal(got, []string{"l38"}) {
		t.Errorf("after migration 12, Patients linking to 9434765919: %v", got)
	}
	if got, err := db.RetiredPatients(ctx, "9000000009", 20); err != nil || !slices.Equal(got, []string{"gone38"}) {
		t.Errorf("after migration 12, the deleted Patient by the number it linked to: %v %v", got, err)
	}
}
