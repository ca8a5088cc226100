package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
)

// The SQL that packs and the Go that unpacks must agree on the fields'
// order: packing a row through SQLite itself and reading it back is the
// test (the conformance suite checks every read path end to end).
func TestPackedMetaMalformed(t *testing.T) {
	const fixed = "Patient\x1fp1\x1f1\x1f0\x1f0\x1fA81001\x1fdemo\x1fp1\x1f0\x1f0"
	for _, packed := range []string{
		"",
		"0\x1f0\x1f\x1fPatient\x1fp1",      // too few
		"0\x1f0\x1f\x1f" + fixed + "\x1fx", // too many
		"0\x1f0\x1f\x1fPatient\x1fp1\x1fone\x1f0\x1f0\x1fA81001\x1fdemo\x1fp1\x1f0\x1f0", // not a number
		fixed,                                      // no lengths
		"1\x1f0\x1f\x1f" + fixed,                   // labels longer than what follows them allows
		"0\x1f2\x1fR\x1f" + fixed,                  // the same for codes
		"-1\x1f0\x1f\x1f" + fixed,                  // negative
		"x\x1f0\x1f\x1f" + fixed,                   // not a length
		"0\x1f1\x1fR" + fixed,                      // no separator after labels and codes
		"0\x1f9999999999999999999\x1f\x1f" + fixed, // out of range
	} {
		var v store.Version
		if err := unpackMeta(packed, &v); !errors.Is(err, errPacked) {
			t.Errorf("unpackMeta(%q) = %v, want errPacked", packed, err)
		}
	}
}

// Labels and codes are the resource's own text and may hold the separator
// (escaped in its JSON): they still read back in place, and the fields
// after them too.
func TestPackedMetaLabelsHoldSeparator(t *testing.T) {
	labels, codes := "R x\x1fy", "http://snomed.info/sct|1\x1f2"
	packed := fmt.Sprintf("%d\x1f%d\x1f%s%s\x1fObservation\x1fo1\x1f2\x1f1700000000000\x1f0\x1fRCX\x1fobservations\x1fp1 p2\x1f0\x1f1700000000999", len(labels), len(codes), labels, codes)
	var v store.Version
	if err := unpackMeta(packed, &v); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Labels, []string{"R", "x\x1fy"}) || !slices.Equal(v.Codes, []string{"http://snomed.info/sct|1\x1f2"}) ||
		v.Type != "Observation" || v.ID != "o1" || v.VersionID != 2 || v.SourceOrg != "RCX" || !slices.Equal(v.Patients, []string{"p1", "p2"}) ||
		!v.Date.IsZero() || v.DateEnd.UnixMilli() != 1700000000999 {
		t.Errorf("unpackMeta(%q) = %+v", packed, v.Meta)
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
	f.Add("0\x1f0\x1f\x1fPatient\x1fp1\x1f1\x1f1700000000000\x1f0\x1fA81001\x1fdemographics\x1fp1\x1f0\x1f0")
	f.Add("1\x1f34\x1fRhttp://snomed.info/sct|1234567 a|b\x1fObservation\x1fo1\x1f3\x1f-1\x1f1\x1fRCX\x1fclinical\x1fp1 p2\x1f1748772000123\x1f1751320799999")
	f.Add("3\x1f0\x1fR\x1fV\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f")
	f.Add("\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f")
	f.Add("0\x1f45\x1fhttp://loinc.org|1 ~ http://snomed.info/sct|2\x1fObservation\x1fo1\x1f3\x1f-1\x1f1\x1fRCX\x1fclinical\x1fp1\x1f0\x1f0")
	f.Fuzz(func(t *testing.T, packed string) {
		var v store.Version
		if err := unpackMeta(packed, &v); err != nil {
			return
		}
		// Read it again the plain way: two lengths, the text they cover,
		// then exactly packFields fields.
		h := strings.SplitN(packed, "\x1f", 3)
		nl, _ := strconv.Atoi(h[0])
		nc, _ := strconv.Atoi(h[1])
		labels, codes := h[2][:nl], h[2][nl:nl+nc]
		f := strings.Split(h[2][nl+nc+1:], "\x1f")
		// Main codes, then after a "~" token the other codes.
		mainCodes, otherCodes := strings.Fields(codes), []string(nil)
		if i := slices.Index(mainCodes, "~"); i >= 0 {
			mainCodes, otherCodes = mainCodes[:i], mainCodes[i+1:]
		}
		if len(f) != packFields || v.Type != f[0] || v.ID != f[1] || v.SourceOrg != f[5] || v.DataClass != f[6] ||
			strings.Join(v.Patients, " ") != strings.Join(strings.Fields(f[7]), " ") ||
			strings.Join(v.Labels, " ") != strings.Join(strings.Fields(labels), " ") ||
			strings.Join(v.Codes, " ") != strings.Join(mainCodes, " ") ||
			strings.Join(v.OtherCodes, " ") != strings.Join(otherCodes, " ") ||
			!sameClinicalEnd(v.DateEnd, f[9]) {
			t.Fatalf("unpackMeta(%q) = %+v", packed, v.Meta)
		}
	})
}

// packMeta's lengths are counted in the file's encoding: a UTF-16 file
// (which carex never creates) is refused at open, not read with labels out
// of place.
func TestOpenRefusesUTF16(t *testing.T) {
	path := filepath.Join(t.TempDir(), "utf16.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA encoding = 'UTF-16le'`, `CREATE TABLE t (x TEXT)`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db, err := Open(context.Background(), path, Options{})
	if err == nil {
		db.Close()
		t.Fatal("a UTF-16 database opened")
	}
	if !errors.Is(err, ErrEncoding) {
		t.Fatalf("err = %v, want ErrEncoding", err)
	}
}

// sameClinicalEnd: end is what the clinical_end field f (unix ms, 0 = none)
// says.
func sameClinicalEnd(end time.Time, f string) bool {
	n, err := strconv.ParseInt(f, 10, 64)
	if err != nil {
		return false
	}
	if n == 0 {
		return end.IsZero()
	}
	return end.UnixMilli() == n
}
