package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/carex-project/carex/store"
)

// Review 82a: 0f6cfdf prepares the batch INSERTs (ws.ins) before the first
// write transaction instead of at open. Run with -race.

// TestReview82aSoundFirstWritesConcurrent: the first writes arrive
// together, through one DB (group commit) and through a second DB on the
// same file (carex import beside serve): every write is stored, each DB
// prepares its statements once, and a DB that only read never prepared
// them.
func TestReview82aSoundFirstWritesConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carex.db")
	a := openAt(t, path)
	b := openAt(t, path)
	ro := openAt(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 16; i++ {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func(i int, db *DB) {
			defer wg.Done()
			_, err := db.Commit(context.Background(), []*store.Write{obsFor(t, fmt.Sprint("o", i), fmt.Sprint("p", i))}, nil)
			errs <- err
		}(i, db)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("first write: %v", err)
		}
	}
	var n int
	ro.Reader().QueryRow(`SELECT count(*) FROM resources`).Scan(&n)
	if n != 16 {
		t.Errorf("%d resources stored, want 16", n)
	}
	ro.insMu.Lock()
	if ro.ws.ins != nil {
		t.Errorf("a DB that only read prepared the batch INSERTs")
	}
	ro.insMu.Unlock()
	if a.ws.ins == nil || b.ws.ins == nil {
		t.Errorf("writers without their INSERTs")
	}
}

// TestReview82aSoundCancelledFirstWriteThenNext: a first write whose
// context is already cancelled stores nothing and the next write, which
// uses the statements prepared for it, is stored with its index rows (a
// search by subject finds it).
func TestReview82aSoundCancelledFirstWriteThenNext(t *testing.T) {
	db := openAt(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Commit(ctx, []*store.Write{obsFor(t, "x", "p1")}, nil); err == nil {
		t.Errorf("a cancelled write was stored")
	}
	if _, err := db.Commit(context.Background(), []*store.Write{obsFor(t, "y", "p1")}, nil); err != nil {
		t.Fatalf("next write: %v", err)
	}
	var n int
	db.Reader().QueryRow(`SELECT count(*) FROM resources`).Scan(&n)
	var rows int
	db.Reader().QueryRow(`SELECT count(*) FROM idx_ref`).Scan(&rows)
	t.Logf("resources %d, ref rows %d", n, rows)
	if n != 1 || rows == 0 {
		t.Errorf("%d resources, %d reference index rows: want 1 and some", n, rows)
	}
}

// TestReview82aSoundCloseDuringFirstWrites: Close while first writes run
// (a server stopping as its first requests arrive): no panic, no race;
// each write either stored or refused with an error.
func TestReview82aSoundCloseDuringFirstWrites(t *testing.T) {
	for round := 0; round < 5; round++ {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "carex.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				db.Commit(context.Background(), []*store.Write{obsFor(t, fmt.Sprint("o", i), "p1")}, nil)
			}(i)
		}
		db.Close()
		wg.Wait()
	}
}
