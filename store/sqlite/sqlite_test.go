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
	if err := db.GrantBreakGlass(ctx, "dr-a", "p1", "EMERGENCY: x", until); err != nil {
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
	if got, err := db.BreakGlassUntil(ctx, "dr-a", "p1"); err != nil || !got.Equal(until) {
		t.Fatalf("break-glass grant lost across reopen: %v %v", got, err)
	}
}
