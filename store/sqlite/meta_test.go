package sqlite

import (
	"context"
	"testing"
	"time"
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
// its lists and later claims are told them; only a set replaces them.
func TestLabellingListsRecord(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, "")
	for _, c := range []struct{ claim, want string }{{"sha256:a", "sha256:a"}, {"sha256:b", "sha256:a"}} {
		if got, err := db.ClaimLabellingLists(ctx, c.claim); err != nil || got != c.want {
			t.Fatalf("claim %s: %q (%v), want %q", c.claim, got, err, c.want)
		}
	}
	if err := db.SetLabellingLists(ctx, "sha256:b"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ClaimLabellingLists(ctx, "sha256:a"); err != nil || got != "sha256:b" {
		t.Fatalf("after set: %q (%v), want sha256:b", got, err)
	}
}
