package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

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
		// Entries written and none signed yet is not an empty log (review
		// 97b: checkpoint said "access log is empty" of a log verify
		// counted entries in).
		var entries int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&entries); err != nil {
			return nil, err
		}
		if entries == 0 {
			return nil, fmt.Errorf("auditlog: no checkpoint signed yet (one is signed every 1000 entries, every 10 seconds and at shutdown): %w", ErrEmpty)
		}
		return nil, fmt.Errorf("%w: the log holds %d entries, hash-chained, and none signed yet (one is signed every 1000 entries, every 10 seconds and at shutdown): try again shortly, or run carex audit verify", ErrNoCheckpoint, entries)
	}
	if err != nil {
		return nil, err
	}
	root, err := openStoredCheckpoint(rowSize, signed, verifiers, fmt.Sprintf("the latest checkpoint (size %d)", rowSize))
	if err != nil {
		return nil, err
	}
	if got, err := tlog.TreeHash(rowSize, &sqlHashReader{ctx: ctx, db: db}); err != nil || got != root {
		return nil, fmt.Errorf("auditlog: the stored Merkle tree does not give the root of the latest checkpoint (size %d); run carex audit verify: %w", rowSize, ErrTampered)
	}
	return signed, nil
}

// openStoredCheckpoint checks a checkpoint row's signed note (what names
// it in errors) and returns the root it signs; ErrTampered (wrapped) when
// the signature does not verify or the note is for another size.
func openStoredCheckpoint(rowSize int64, signed []byte, verifiers note.Verifiers, what string) (tlog.Hash, error) {
	n, err := note.Open(signed, verifiers)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("auditlog: %s does not verify with the given key: %w: %v", what, ErrTampered, err)
	}
	size, root, err := parseCheckpoint(n.Text)
	if err != nil || size != rowSize {
		return tlog.Hash{}, fmt.Errorf("auditlog: the checkpoint row %d holds a checkpoint for size %d: %w", rowSize, size, ErrTampered)
	}
	return root, nil
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

// ErrNoSaved is returned (wrapped) by Open when Options.CheckpointCopy
// names no file but the log already holds entries: the copy that should be
// there is gone (a share not mounted, a file removed), or copies are being
// kept for the first time and one must be made from a checked log.
var ErrNoSaved = errors.New("no saved checkpoint where one is expected")

// copier keeps the saved copy up to date off the indexer's path: a share
// that hangs must not hold the log. Only the newest checkpoint waiting
// is written.
type copier struct {
	path   string
	log    *slog.Logger
	errs   *atomic.Int64
	mu     sync.Mutex
	next   []byte        // the newest checkpoint not yet written
	size   int64         // its size
	wake   chan struct{} // buffered 1
	idle   chan struct{} // closed when nothing is left to write (replaced on each put)
	stop   chan struct{}
	done   chan struct{}
	copied int64 // size of the checkpoint last written
}

// openCopier checks the saved copy at path against a log of size entries
// (its stored tree read through db), whose newest checkpoint covers signed
// (0: none yet), and starts keeping it up to date. A
// symbolic link is followed once, here, so that the copy is replaced where
// the link points. Temp files left by a crash mid-write are removed.
func openCopier(ctx context.Context, path string, db querier, size, signed int64, verifiers note.Verifiers, log *slog.Logger, errs *atomic.Int64) (*copier, error) {
	path = followLinks(path)
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: the directory of %s is not there (is the share mounted?): %v", ErrNoSaved, path, err)
	}
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*")); len(stale) > 0 {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	c := &copier{path: path, log: log, errs: errs, wake: make(chan struct{}, 1), idle: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	close(c.idle)
	s, err := ReadSavedCheckpoint(path, verifiers)
	switch {
	case errors.Is(err, os.ErrNotExist) && signed > 0:
		// Only a log with a signed checkpoint can have had a copy: one that
		// a crash stopped before its first checkpoint (its first 10 s) has
		// none to miss, and refusing it left a server that could not start
		// (review 12c).
		return nil, fmt.Errorf("%w: %s does not exist and the log has %d entries", ErrNoSaved, path, size)
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := checkSaved(ctx, db, size, s); err != nil {
			return nil, err
		}
		c.copied = s.Size
	}
	go c.run()
	return c, nil
}

// followLinks is path with symbolic links at its end followed, even to a
// file that does not exist yet: the rename must replace the file a link
// points at, not the link.
func followLinks(path string) string {
	for range 16 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		to, err := os.Readlink(path)
		if err != nil {
			break
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return path
}

// put queues a checkpoint to be written, replacing any older one waiting.
func (c *copier) put(ck *Checkpoint) {
	c.mu.Lock()
	if ck.Size > c.size && ck.Size > c.copied {
		if c.next == nil {
			c.idle = make(chan struct{})
		}
		c.next, c.size = ck.Note, ck.Size
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *copier) run() {
	defer close(c.done)
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		for {
			c.mu.Lock()
			next, size := c.next, c.size
			c.mu.Unlock()
			if next == nil {
				break
			}
			err := SaveCheckpoint(c.path, next)
			if err != nil { // reported before flush can return
				c.errs.Add(1)
				c.log.Error("access log: the checkpoint copy could not be written (retried at the next checkpoint); the log itself is safe, but a truncation of its newest entries would not be seen", "file", c.path, "size", size, "err", err)
			}
			c.mu.Lock()
			if err == nil {
				c.copied = size
			}
			if c.size == size { // nothing newer came meanwhile
				c.next = nil
				close(c.idle)
			}
			c.mu.Unlock()
		}
	}
}

// flush waits up to wait for the checkpoints queued so far to be written
// (or to fail); false if they were not in time.
func (c *copier) flush(wait time.Duration) bool {
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-time.After(wait):
		return false
	}
}

// close waits up to wait for the last checkpoint queued to be written.
func (c *copier) close(wait time.Duration) {
	if !c.flush(wait) {
		c.log.Error("access log: the last checkpoint copy was not written in time (is the share hanging?)", "file", c.path)
	}
	close(c.stop)
}

// SaveCheckpoint writes a signed checkpoint to path, replacing the file in
// one rename (a reader, or a crash, sees the old copy or the new, never
// half of one) that is made durable with its directory.
func SaveCheckpoint(path string, signed []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
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
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// CheckSaved reports whether the log in db (read-only is enough) extends
// a saved checkpoint: nil, or an error wrapping ErrBehindSaved.
func CheckSaved(ctx context.Context, db *sql.DB, s *SavedCheckpoint) error {
	size, err := LogSize(ctx, db)
	if err != nil {
		return err
	}
	return checkSaved(ctx, db, size, s)
}
