//go:build !unix

package auditlog

import "os"

// lockJournal: without flock, the lock file is only created; one process
// per database is the operator's to ensure.
func lockJournal(path string) (*os.File, error) {
	return os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
}

// lockOpenJournal: without flock, nothing to take (see lockJournal).
func lockOpenJournal(*os.File) error { return nil }
