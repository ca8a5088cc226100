//go:build linux

package sqlite

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// shmLocksHeld are this process's POSIX (fcntl) locks on the -shm file of
// the database at path, as /proc/locks lists them: SQLite's, which it
// holds while a connection has the WAL index open.
func shmLocksHeld(t *testing.T, path string) []string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path+"-shm", &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Skip("no /proc/locks:", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 5 && f[1] == "POSIX" && f[4] == fmt.Sprint(os.Getpid()) && strings.HasSuffix(f[5], fmt.Sprintf(":%d", st.Ino)) {
			out = append(out, l)
		}
	}
	return out
}

// TestReview16cWatchKeepsSQLiteShmLocks (review 16c): SQLite's locks on
// the -shm (the "someone has the WAL index open" lock that keeps another
// process from reinitialising it under the readers) are POSIX locks,
// which the kernel drops for the whole process when ANY descriptor of the
// file in that process is closed. walWatch opened the -shm itself and
// closed it when its store closed (first thing in Close, before the
// connections' final checkpoint) and when it remapped: closing a second
// store on the same file in one process (tests do it to play carex
// import), or the store's own Close, left the connections still open
// without their locks, so a process opening the file then could truncate
// and rebuild the WAL index while they used it. Now a watch's descriptor
// is shared per file within the process and closed after the last
// connection.
func TestReview16cWatchKeepsSQLiteShmLocks(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, "")
	if _, err := db.PatientContext(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if len(shmLocksHeld(t, db.path)) == 0 {
		t.Fatal("premise: an open store holds SQLite's locks on the -shm")
	}
	other, err := Open(ctx, db.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.PatientContext(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if len(shmLocksHeld(t, db.path)) == 0 {
		t.Error("closing a second store on the file dropped the first one's SQLite locks on the -shm")
	}
	// The watch's own remap (the file at the path looked replaced) must
	// not close a descriptor of the -shm the connections use.
	fresh := openAt(t, "")
	if _, err := fresh.PatientContext(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	fresh.wal.mu.Lock()
	fresh.wal.remap()
	fresh.wal.mu.Unlock()
	if len(shmLocksHeld(t, fresh.path)) == 0 {
		t.Error("the watch's remap dropped the store's SQLite locks on the -shm")
	}
	if _, _, _, ok := fresh.wal.cached(); !ok {
		t.Error("after a remap the watch reads no header")
	}
}
