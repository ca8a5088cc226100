//go:build unix

package auditlog

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockJournal takes the lock file beside the journal alone (flock, held
// until the returned file is closed), failing at once when another
// process holds it. A file of its own, not the journal: a new journal is
// renamed into place, and a lock on the old one would not hold.
func lockJournal(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auditlog: access journal lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("auditlog: %s: %w", path, ErrJournalInUse)
		}
		return nil, fmt.Errorf("auditlog: access journal lock: %w", err)
	}
	return f, nil
}
