package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/sqlite"
	"github.com/carex-project/carex/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "carex.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carex.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"p1","gender":"female"}`)
	if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := db.GrantBreakGlass(ctx, store.Grantee{Issuer: "carex", Sub: "dr-a", Org: "A81001"}, "p1", "EMERGENCY: x", until); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer db.Close()
	if _, err := db.Read(ctx, "Patient", "p1"); err != nil {
		t.Fatalf("data lost across reopen: %v", err)
	}
	if got, err := db.BreakGlassUntil(ctx, store.Grantee{Issuer: "carex", Sub: "dr-a", Org: "A81001"}, "p1"); err != nil || !got.Equal(until) {
		t.Fatalf("break-glass grant lost across reopen: %v %v", got, err)
	}
}

// TestPatientContextSeesOtherWriters: a second process writing the same
// file (carex import beside a running server) is seen by the first one's
// PatientContext cache at once, whether or not the first one writes too.
func TestPatientContextSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	server, importer, put := twoProcesses(t)
	nlinks := func() int {
		t.Helper()
		pc, err := server.PatientContext(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		return len(pc.Links)
	}
	put(server, "A81001", `{"resourceType":"Patient","id":"p1","gender":"female"}`)
	if n := nlinks(); n != 0 {
		t.Fatalf("links before: %d", n)
	}
	consent := func(id string) string {
		return `{"resourceType":"Consent","id":"` + id + `","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
			"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p1"},
			"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`
	}
	put(importer, "A81001", consent("c1")) // only the other process writes
	if n := nlinks(); n != 1 {
		t.Fatalf("after another process's consent: %d links, want 1", n)
	}
	put(importer, "A81001", consent("c2")) // the other process, then this one
	put(server, "A81001", `{"resourceType":"Patient","id":"p9"}`)
	if n := nlinks(); n != 2 {
		t.Fatalf("after another process's second consent and a write here: %d links, want 2", n)
	}
}

// TestChangesMoveWithOtherWriters: a commit by a second process on the same
// file (carex import beside a running server) moves the first one's
// Changes too, so that a request decides the items that commit brought
// with sharing contexts no older than them (store.Store.Changes).
func TestChangesMoveWithOtherWriters(t *testing.T) {
	server, importer, put := twoProcesses(t)
	put(server, "A81001", `{"resourceType":"Patient","id":"p1"}`)
	for i, id := range []string{"o1", "o2", "o3"} {
		before := server.Changes()
		if before%2 != 0 {
			t.Fatalf("odd with no commit under way: %d", before)
		}
		put(importer, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`)
		after := server.Changes()
		if after == before {
			t.Fatalf("commit %d by another process left Changes at %d", i+1, after)
		}
		if after%2 != 0 {
			t.Fatalf("odd after another process's commit: %d", after)
		}
		if again := server.Changes(); again != after {
			t.Fatalf("Changes moved with nothing committed: %d then %d", after, again)
		}
	}
}

// TestPatientChangesOnlyWithPatients: PatientChanges stays put while this
// process commits anything but a Patient (what it is for: an answer about
// Patients survives the feeds' clinical writes), and moves with another
// process's commit of anything, whose contents it cannot know.
func TestPatientChangesOnlyWithPatients(t *testing.T) {
	ctx := context.Background()
	server, importer, put := twoProcesses(t)
	stamp := func() uint64 {
		t.Helper()
		n, err := server.PatientChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	put(server, "A81001", `{"resourceType":"Patient","id":"p1"}`)
	before := stamp()
	put(server, "A81001", `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`)
	put(server, "A81001", `{"resourceType":"Consent","id":"c1","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
		"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p1"}}`)
	if after := stamp(); after != before {
		t.Fatalf("PatientChanges moved from %d to %d with an Observation and a Consent", before, after)
	}
	put(importer, "A81001", `{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`)
	if after := stamp(); after == before || after%2 != 0 {
		t.Fatalf("another process's commit left PatientChanges at %d (before %d)", after, before)
	}
	before = stamp()
	put(server, "A81001", `{"resourceType":"Patient","id":"p1","gender":"female"}`)
	if after := stamp(); after == before {
		t.Fatalf("a Patient written here left PatientChanges at %d", after)
	}
}

// twoProcesses opens the same file twice, as a server and a carex import
// beside it would (each handle its own connections, as another process's),
// and put commits one write through either.
func twoProcesses(t *testing.T) (server, importer *sqlite.DB, put func(db *sqlite.DB, org, raw string)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "carex.db")
	ctx := context.Background()
	for _, db := range []**sqlite.DB{&server, &importer} {
		d, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		*db = d
	}
	put = func(db *sqlite.DB, org, raw string) {
		t.Helper()
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, org, raw)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return server, importer, put
}
