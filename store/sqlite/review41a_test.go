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

// TestReview41aSoundMigration12KeepsVersionsAndReindexes: a
// database an earlier carex wrote (user_version 11, its NHS numbers under
// other forms of the system indexed as written, no link-number rows)
// opened by this release: every stored version (bodies, order, count) is
// left exactly as written, a Patient carrying her number under the http
// form with a slash is found by it after, and a Patient linking to her by the OID form is found by the link number.
func TestReview41aSoundMigration12KeepsVersionsAndReindexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	for _, raw := range []string{
		`{"resourceType":"Patient","id":"lk41","link":[{"other":{"identifier":{"system":"urn:oid:2.16.840.1.113883.2.1.4.1","value":"943 476 5919"}},"type":"seealso"}]}`,
		`{"resourceType":"Condition","id":"dx41","subject":{"reference":"Patient/h41","identifier":{"system":"HTTP://FHIR.NHS.UK/Id/nhs-number","value":"943 476 5919"}},"code":{"text":"x"}}`,
		`{"resourceType":"Patient","id":"h41","identifier":[{"system":"http://fhir.nhs.uk/Id/nhs-number/","value":"943 476 5919"}]}`,
	} {
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "RHX", raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	versions := func(d *DB) []string {
		t.Helper()
		rows, err := d.writer.QueryContext(ctx, `SELECT vpk || ':' || rid || ':' || version || ':' || hex(raw) FROM versions ORDER BY vpk`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	before := versions(db)
	// As an earlier carex left it: the variant systems indexed as written.
	if _, err := db.writer.ExecContext(ctx, `DELETE FROM idx_token WHERE param = '`+store.LinkNumberParam+`';
		UPDATE idx_token SET system = 'http://fhir.nhs.uk/Id/nhs-number/', code = '943 476 5919' WHERE system = '`+search.NHSNumberSystem+`';
		DELETE FROM retired_numbers; PRAGMA user_version = 11`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if after := versions(db); !slices.Equal(before, after) {
		t.Errorf("migration 12 changed stored versions:\nbefore %v\nafter  %v", before, after)
	}
	res, err := db.Search(ctx, storetest.Query(t, "Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"), nil)
	if err != nil || len(res.Items) != 1 || res.Items[0].ID != "h41" {
		t.Errorf("Patient by her number after migration: %v %v", res, err)
	}
	q := &search.Query{Type: "Patient", Count: 20, Clauses: []search.Clause{{Param: store.LinkNumberParam, Type: search.Token,
		Values: []search.Value{{System: search.NHSNumberSystem, Code: "9434765919"}}}}}
	res, err = db.Search(ctx, q, nil)
	if err != nil || len(res.Items) != 1 || res.Items[0].ID != "lk41" {
		t.Errorf("Patient linking by the OID form after migration: %v %v", res, err)
	}
}
