//go:build !unix

package auditlog

import (
	"errors"
	"os"
)

// ErrJournalInUse: another process holds the access journal open for
// appending.
var ErrJournalInUse = errors.New("the access journal is in use by another process (a second carex serve on the same database?): stop it, or serve another database")

// lockJournal: without flock, the lock file is only created; one process
// per database is the operator's to ensure.
func lockJournal(path string) (*os.File, error) {
	return os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
}
