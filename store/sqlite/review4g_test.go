package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/carex-project/carex/store/sqlite"
)

// TestReview4gDatabaseFilesNotWorldReadable: the record database and the
// access log's database hold personal data (and the -wal and -shm files
// copies of its pages). carex creates its other sensitive files 0600 (the
// access journal, the lock file, keys, exports); the SQLite files must not
// be readable by every local user under the usual umask 022 either.
func TestReview4gDatabaseFilesNotWorldReadable(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	ctx := context.Background()

	path := filepath.Join(dir, "carex.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The access log's database is opened through OpenConns.
	logPath := filepath.Join(dir, "carex-access.db")
	w, r, err := sqlite.OpenConns(logPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	if _, err := w.ExecContext(ctx, `CREATE TABLE t(x); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm", logPath, logPath + "-wal", logPath + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			continue // not every file exists at every moment
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s is created with mode %v: group and other users can read personal data", filepath.Base(f), m)
		}
	}
}
