package sqlite_test

// Review 19d: another process writing the same database file while the
// server runs. Each test's comment says what went wrong before its fix.

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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

// TestReview19dFilesFollowLink: sqlite.Files lists the files the store
// keeps for a database, which carex refuses as a --checkpoint-copy (writing
// the copy over one would destroy it: the WAL, the -shm, the lock relabel
// relies on). Given a symbolic link it listed only the names beside the
// link, where SQLite keeps none of them: its -wal and -shm, and the lock
// file, lie beside the file the link leads to, so a server run on the link
// took a copy named as its own WAL. Now the files beside the real file are
// listed too.
func TestReview19dFilesFollowLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "carex-2026-12-05.db")
	link := filepath.Join(dir, "current.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, real, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	files := sqlite.Files(link)
	for _, want := range []string{real, real + "-wal", real + "-shm", real + "-lock", link} {
		if !slices.Contains(files, want) {
			t.Errorf("Files(%s) leaves out %s: %q", link, want, files)
		}
	}
}
