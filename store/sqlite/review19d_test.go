package sqlite_test

// Review 19d: another process writing the same database file while the
// server runs. Each test's comment says what went wrong before its fix.

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/sqlite"
)

// TestReview19dRelabelThroughSymlinkRefusedBesideServer: carex relabel
// refuses to run while another process (a server) has the database open,
// since the server goes on deciding with the sharing contexts it has
// cached and relabel's in-place changes add no version it could notice.
// The refusal rests on a flock of the file beside the database, but that
// file was named from the path as given: a server run on
// /srv/carex/current.db, a symbolic link to the real file, locked
// current.db-lock, and `carex relabel --db` the real file locked another
// one, so relabel ran under the server (SQLite itself, and the -shm watch,
// follow the link to the same files). A Consent naming Jane by NHS number
// alone that relabel then files under her stays out of the server's
// cached context of Jane: her opt-out does not reach the nurse.
func TestReview19dRelabelThroughSymlinkRefusedBesideServer(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "carex-2026-12-05.db")
	link := filepath.Join(dir, "current.db")
	ctx := context.Background()
	// Created first, so that the link leads to a file.
	first, err := sqlite.Open(ctx, real, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	same := func(v *store.Version) (store.Derived, error) {
		return store.Derived{DataClass: v.DataClass, Labels: v.Labels, Patients: v.Patients, Codes: v.Codes, Date: v.Date}, nil
	}
	for _, c := range []struct{ name, server, relabel string }{
		{"server on the link, relabel on the file", link, real},
		{"server on the file, relabel on the link", real, link},
	} {
		t.Run(c.name, func(t *testing.T) {
			server, err := sqlite.Open(ctx, c.server, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			other, err := sqlite.Open(ctx, c.relabel, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, err := other.Relabel(ctx, same); err == nil {
				t.Errorf("relabel of %s ran while a server had the same file open as %s", c.relabel, c.server)
			}
		})
	}
}
