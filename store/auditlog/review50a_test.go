package auditlog

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/store/sqlite"
)

// Review 50a: false alarms of fb5f61b's dbMoved (one os.Stat of the access
// database's path at each journal batch and before each copy into it): a
// log reached through a symlink to the file, through a symlinked
// directory, and by a relative path, takes entries, copies them and
// reopens with them all.
func r50aUse(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	s, _, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "log.key"), "carex.example/log")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		l, err := Open(ctx, db.Writer(), db.Reader(), Options{Signer: s})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			if err := l.Append(ctx, sample(round*30+i)); err != nil {
				t.Fatalf("%s round %d: append %d: %v", path, round, i, err)
			}
		}
		if err := l.Sync(ctx); err != nil {
			t.Fatalf("%s round %d: sync: %v", path, round, err)
		}
		if err := l.Err(); err != nil {
			t.Fatalf("%s round %d: Err: %v", path, round, err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("%s round %d: close: %v", path, round, err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil || n != 30*(round+1) {
			t.Fatalf("%s round %d: %d entries (%v), want %d", path, round, n, err, 30*(round+1))
		}
		db.Close()
	}
}

func TestReview50aSoundAccessDBThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(dir, "real", "log.db")
	if err := os.WriteFile(real, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "carex-access.db")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	r50aUse(t, link)
}

func TestReview50aSoundAccessDBInSymlinkedDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	r50aUse(t, filepath.Join(dir, "data", "carex-access.db"))
}

func TestReview50aSoundAccessDBRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	r50aUse(t, "carex-access.db")
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	r50aUse(t, "./sub/../carex2-access.db")
}
