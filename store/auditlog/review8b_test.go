package auditlog

// Review 8b: verify must not fail an intact log.

import (
	"context"
	"testing"
)

// TestReview8bInvalidUTF8PatientVerifies: an entry names the ids a request
// gave, and a URL may carry any bytes (GET /fhir/Patient/%FF%FE). The
// canonical entry holds them as encoding/json writes them (each invalid
// byte as U+FFFD), but the query columns and audit_patient rows were
// written from the raw strings: an entry naming "\xff\xfe" and
// "\ufffd\ufffd" (the same once encoded: an IG officer's search for that
// id lists the entry about it, decoded) got two audit_patient rows where
// its bytes call for one, and carex audit verify failed an intact log
// ("added to attribute the entry to another patient"). A search for the
// id must still find both entries about it.
func TestReview8bInvalidUTF8PatientVerifies(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	read := sample(0)
	read.Patient, read.ResourceID = "\xff\xfe", "\xff\xfe"
	several := sample(1)
	several.Patient, several.Patients = "", []string{"\xff\xfe", "\ufffd\ufffd", "p1"}
	for _, e := range []*Entry{read, several} {
		if err := f.log.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.verify(t); !r.OK() {
		t.Errorf("an intact log does not verify: %s", r.Problem)
	}
	for _, id := range []string{"\xff\xfe"} {
		got, total, err := f.log.Search(ctx, Query{Patient: id})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(got) != 2 {
			t.Errorf("Search(patient=%q): %d entries, want both", id, total)
		}
	}
}
