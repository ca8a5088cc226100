//go:build !linux

package auditlog

import "os"

func fdatasync(f *os.File) error { return f.Sync() }

// openDirect: O_DIRECT is Linux's; elsewhere the journal is written with
// pwrite and fsync.
func openDirect(path string) (*os.File, error) { return nil, nil }

func isEINVAL(err error) bool { return false }
