package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// The access-log record: absent until made, then its first time stays;
// a database of schema 5 (no carex_meta) has none.
func TestAccessLogRecord(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, "")
	if _, ok, err := AccessLogSince(ctx, db.reader); err != nil || ok {
		t.Fatalf("new database: recorded %v (%v)", ok, err)
	}
	first := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{first, first.Add(time.Hour)} {
		if err := db.MarkAccessLog(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	if since, ok, err := AccessLogSince(ctx, db.reader); err != nil || !ok || !since.Equal(first) {
		t.Fatalf("recorded %v since %v (%v), want since %v", ok, since, err, first)
	}
	if _, err := db.writer.ExecContext(ctx, `DROP TABLE carex_meta`); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := AccessLogSince(ctx, db.reader); err != nil || ok {
		t.Fatalf("without carex_meta: recorded %v (%v)", ok, err)
	}
}

// The code lists the records are labelled with: the first claim records
// its lists; a later one with other lists takes their place while nothing
// is stored and no other handle has the records open (review 20e), and is
// told the recorded ones otherwise; a set replaces them.
func TestLabellingListsRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	claim := func(lists, want string) {
		t.Helper()
		if got, err := db.ClaimLabellingLists(ctx, lists, true); err != nil || got != want {
			t.Fatalf("claim %s: %q (%v), want %q", lists, got, err, want)
		}
	}
	claim("sha256:a", "sha256:a")
	claim("sha256:b", "sha256:b") // empty, and only this handle
	other := openAt(t, path)      // a second process (a server) has them open
	claim("sha256:a", "sha256:b")
	other.Close()
	w := storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"p1","gender":"female"}`)
	if _, err := db.Commit(ctx, []*store.Write{w}, nil); err != nil {
		t.Fatal(err)
	}
	claim("sha256:a", "sha256:b") // records stored
	if err := db.SetLabellingLists(ctx, "sha256:a"); err != nil {
		t.Fatal(err)
	}
	claim("sha256:a", "sha256:a")
}
