package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
)

// The SQL that packs and the Go that unpacks must agree on the fields'
// order: packing a row through SQLite itself and reading it back is the
// test (the conformance suite checks every read path end to end).
func TestPackedMetaMalformed(t *testing.T) {
	for _, packed := range []string{
		"",
		"Patient\x1fp1", // too few
		"Patient\x1fp1\x1f1\x1f0\x1f0\x1fA81001\x1fdemo\x1fp1\x1f0\x1fx", // too many
		"Patient\x1fp1\x1fone\x1f0\x1f0\x1fA81001\x1fdemo\x1fp1\x1f0",    // not a number
	} {
		var v store.Version
		if err := unpackMeta(packed, &v); !errors.Is(err, errPacked) {
			t.Errorf("unpackMeta(%q) = %v, want errPacked", packed, err)
		}
	}
}

// A field that would hold the separator is refused on write, so no stored
// row can be read back with its fields out of place.
func TestPackableRefusesSeparator(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "carex.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, w := range []*store.Write{
		{Op: store.OpUpdate, Type: "Patient", ID: "p1", SourceOrg: "A81\x1f001", DataClass: "demographics", Raw: []byte(`{"resourceType":"Patient","id":"p1"}`)},
		{Op: store.OpUpdate, Type: "Observation", ID: "o1", SourceOrg: "A81001", Patients: []string{"p1\x1f"}, Raw: []byte(`{"resourceType":"Observation","id":"o1"}`)},
	} {
		if _, err := db.Commit(context.Background(), []*store.Write{w}, nil); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("commit %s/%s: err = %v, want ErrInvalid", w.Type, w.ID, err)
		}
	}
}

// FuzzUnpackMeta: any packed text either reads back as the fields it was
// made of or is refused; it never panics or shifts a field.
func FuzzUnpackMeta(f *testing.F) {
	f.Add("Patient\x1fp1\x1f1\x1f1700000000000\x1f0\x1fA81001\x1fdemographics\x1fp1\x1f0")
	f.Add("Observation\x1fo1\x1f3\x1f-1\x1f1\x1fRCX\x1fclinical\x1fp1 p2\x1f1748772000123")
	f.Add("\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f")
	f.Fuzz(func(t *testing.T, packed string) {
		var v store.Version
		if err := unpackMeta(packed, &v); err != nil {
			return
		}
		f := strings.Split(packed, "\x1f")
		if len(f) != packFields || v.Type != f[0] || v.ID != f[1] || v.SourceOrg != f[5] || v.DataClass != f[6] || strings.Join(v.Patients, " ") != strings.Join(strings.Fields(f[7]), " ") {
			t.Fatalf("unpackMeta(%q) = %+v", packed, v.Meta)
		}
	})
}
