//go:build !unix

package sqlite

import "os"

// Without flock, no lock: Relabel cannot tell whether another process has
// the store open (see lock_unix.go).
func lockShared(string) (*os.File, error) { return nil, nil }
func lockAlone(*os.File) error            { return nil }
func lockShareAgain(*os.File)             {}
