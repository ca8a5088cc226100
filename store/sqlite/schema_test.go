package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewerSchemaRefused: a file that a later carex migrated further is
// refused with a message, not opened by code that would misread it (an
// older carex on a file with union parameters would search their rows and
// miss every resource written since: migration 4).
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	var v int
	if err := db.reader.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) || v < 4 {
		t.Fatalf("user_version %d (%v), want %d (at least 4)", v, err, len(migrations))
	}
	if _, err := db.writer.ExecContext(ctx, `PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this carex") {
		t.Fatalf("opening a file of schema 99: %v, want it refused", err)
	}
}

// TestCloseTwice: a second Close returns the first one's result; openAt's
// cleanup closes the store again.
func TestCloseTwice(t *testing.T) {
	if err := openAt(t, "").Close(); err != nil {
		t.Fatal(err)
	}
}
