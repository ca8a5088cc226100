//go:build unix

package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Every process that opens the store for writing holds a shared lock on
// the file beside it (path + lockSuffix); Relabel needs it alone, because it
// changes rows that other processes' caches of sharing contexts hold
// without telling them. flock, not SQLite's own fcntl locks: closing any
// other descriptor of the database file would drop those.

// The lock file is named from the file a symbolic link leads to, as
// SQLite names its -wal and -shm (review 19d: a server run on a link to the
// database locked the file beside the link, and carex relabel of the file
// itself, seeing no lock beside it, ran under the server).
func lockShared(path string) (*os.File, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	f, err := os.OpenFile(path+lockSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}

// lockAlone turns the shared lock into an exclusive one, failing at once
// when another process holds the store open.
func lockAlone(f *os.File) error {
	if f == nil {
		return nil
	}
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err != nil {
		// A conversion that fails has given up the shared lock first.
		syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

// lockShareAgain turns the exclusive lock back into a shared one.
func lockShareAgain(f *os.File) {
	if f != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
	}
}
