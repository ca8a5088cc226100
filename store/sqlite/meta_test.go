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
