package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/store"
)

// TestIntentsInASharedBatch: in a group commit, a request rolled back to
// its savepoint takes its kept entry with it; the others keep theirs, and
// they survive a restart.
func TestIntentsInASharedBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	ctx := context.Background()
	req := func(id, patient string, fail bool) *commitReq {
		return &commitReq{ctx: ctx, writes: []*store.Write{obsFor(t, id, patient)}, prepare: func(l store.Lookup) error {
			l.Intend("x-"+id, func(res []*store.WriteResult) []byte { return []byte(res[0].Version.ID) })
			if fail {
				return errors.New("refused")
			}
			return nil
		}}
	}
	batch := []*commitReq{req("a", "p1", false), req("b", "p2", true), req("c", "p3", false)}
	db.commitBatch(batch)
	if batch[0].err != nil || batch[1].err == nil || batch[2].err != nil {
		t.Fatalf("errors %v, %v, %v: want only b's", batch[0].err, batch[1].err, batch[2].err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	ins, err := db.Intents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].ID != "x-a" || string(ins[0].Entry) != "a" || ins[1].ID != "x-c" {
		t.Fatalf("kept after a restart: %+v, want x-a and x-c", ins)
	}
	// Forgotten at Close when no write came after.
	db.ForgetIntents("x-a")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if ins, _ := db.Intents(ctx); len(ins) != 1 || ins[0].ID != "x-c" {
		t.Fatalf("after ForgetIntents and Close: %+v, want x-c alone", ins)
	}
}
