package sqlite_test

// Cases found in a review of 5a74fac (merged records, the reference
// lookup budget, labels, relabel's lock). Each test's comment says what
// went wrong before its fix; the test asserts what must hold now.

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/sqlite"
)

// A refused relabel (another store has the file open) converts its shared
// flock to an exclusive one with LOCK_NB; on Linux a failed conversion
// drops the shared lock it had. The refused store stays open, unlocked, and
// a relabel by the first one then succeeds beside it.
func TestReview3RefusedRelabelDropsSharedLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carex.db")
	ctx := context.Background()
	a, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	same := func(v *store.Version) (store.Derived, error) {
		return store.Derived{DataClass: v.DataClass, Labels: v.Labels, Patients: v.Patients, Codes: v.Codes, Date: v.Date}, nil
	}
	if _, err := b.Relabel(ctx, same); err == nil {
		t.Fatal("premise: relabel beside another open store is refused")
	}
	if _, err := a.Relabel(ctx, same); err == nil {
		t.Errorf("relabel succeeds while another store (whose own relabel was refused) still has the file open")
	}
}
