package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A saved checkpoint is a copy of a signed checkpoint kept outside the
// database. Someone who can write the database can cut off its newest
// entries together with the checkpoints that cover them, and what is left
// still verifies; a checkpoint they cannot reach shows the cut: the log
// must be at least as long, and its first entries must give the same root.

// ErrBehindSaved is returned (wrapped) by Open and Verify when the log does
// not extend a saved checkpoint: entries it covered were removed or
// rewritten.
var ErrBehindSaved = errors.New("the access log does not extend its saved checkpoint")

// SavedCheckpoint is a checkpoint read from a file.
type SavedCheckpoint struct {
	Path string
	Size int64
	Root tlog.Hash
	Note []byte
}

// ReadSavedCheckpoint reads a signed checkpoint from path and checks its
// signature (unless verifiers is nil). A missing file is os.ErrNotExist.
func ReadSavedCheckpoint(path string, verifiers note.Verifiers) (*SavedCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(b)
	if verifiers != nil {
		n, err := note.Open(b, verifiers)
		if err != nil {
			return nil, fmt.Errorf("saved checkpoint %s: its signature does not verify with the log's public key (edited, or another log's): %w", path, err)
		}
		text = n.Text
	} // unverified, the signatures after the body's three lines are ignored
	size, root, err := parseCheckpoint(text)
	if err != nil {
		return nil, fmt.Errorf("saved checkpoint %s: %w", path, err)
	}
	return &SavedCheckpoint{Path: path, Size: size, Root: root, Note: b}, nil
}

// LatestCheckpoint returns the newest signed checkpoint in the database,
// after checking its signature and that the stored Merkle tree gives its
// root: a copy to keep outside the database. A checkpoint that does not
// verify is ErrTampered (wrapped); an empty log ErrEmpty.
func LatestCheckpoint(ctx context.Context, db *sql.DB, verifiers note.Verifiers) ([]byte, error) {
	var rowSize int64
	var signed []byte
	err := db.QueryRowContext(ctx, `SELECT size, note FROM audit_checkpoint ORDER BY size DESC LIMIT 1`).Scan(&rowSize, &signed)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("auditlog: no checkpoint signed yet (one is signed every 1000 entries, every 10 seconds and at shutdown): %w", ErrEmpty)
	}
	if err != nil {
		return nil, err
	}
	n, err := note.Open(signed, verifiers)
	if err != nil {
		return nil, fmt.Errorf("auditlog: the latest checkpoint (size %d) does not verify with the given key: %w: %v", rowSize, ErrTampered, err)
	}
	size, root, err := parseCheckpoint(n.Text)
	if err != nil || size != rowSize {
		return nil, fmt.Errorf("auditlog: the checkpoint row %d holds a checkpoint for size %d: %w", rowSize, size, ErrTampered)
	}
	if got, err := tlog.TreeHash(size, &sqlHashReader{ctx: ctx, db: db}); err != nil || got != root {
		return nil, fmt.Errorf("auditlog: the stored Merkle tree does not give the root of the latest checkpoint (size %d); run carex audit verify: %w", size, ErrTampered)
	}
	return signed, nil
}

// checkSaved compares the log's stored tree (size entries) with a saved
// checkpoint. It trusts the stored hashes, which Verify checks against the
// entries; Open uses it to refuse a log that was cut or rewritten.
func checkSaved(ctx context.Context, db querier, size int64, s *SavedCheckpoint) error {
	if s.Size > size {
		return fmt.Errorf("%w: %s is signed for %d entries and the log has %d: entries %d..%d were removed", ErrBehindSaved, s.Path, s.Size, size, size, s.Size-1)
	}
	if s.Size == 0 {
		return nil
	}
	root, err := tlog.TreeHash(s.Size, &sqlHashReader{ctx: ctx, db: db})
	if err != nil {
		return err
	}
	if root != s.Root {
		return fmt.Errorf("%w: the log's first %d entries do not give the root signed in %s: entries were rewritten", ErrBehindSaved, s.Size, s.Path)
	}
	return nil
}

// saveCopy writes the signed checkpoint to path, replacing the file in one
// rename so that a reader (or a crash) sees the old copy or the new, never
// half of one.
func saveCopy(path string, signed []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(signed)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}
