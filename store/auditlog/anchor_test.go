package auditlog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/store/sqlite"
)

// The tampering a saved checkpoint exists for: the newest entries cut off
// together with the checkpoints that covered them (what is left verifies
// on its own), or the whole log rewritten by someone holding the log key.
func TestSavedCheckpoint(t *testing.T) {
	ctx := context.Background()
	saved := filepath.Join(t.TempDir(), "checkpoint")
	f := newFixture(t, Options{CheckpointEvery: 100, CheckpointCopy: saved})
	f.opt.Verifiers = f.vs
	f.fill(t, 250)
	s, err := ReadSavedCheckpoint(saved, f.vs)
	if err != nil || s.Size != 200 || !bytes.Equal(s.Note, f.log.Latest().Note) {
		t.Fatalf("copy after 250 entries: %+v, %v; want the checkpoint at 200", s, err)
	}
	f.close(t) // signs 250 at shutdown, and copies it
	if s, err = ReadSavedCheckpoint(saved, f.vs); err != nil || s.Size != 250 {
		t.Fatalf("copy after shutdown: %+v, %v; want 250", s, err)
	}
	if r, err := VerifyWith(ctx, f.db.Reader(), f.vs, []*SavedCheckpoint{s}); err != nil || r.Saved != 1 {
		t.Fatalf("untouched log against its copy: %+v, %v", r, err)
	}
	f.reopen(t) // the log extends its copy: opens
	f.close(t)

	t.Run("truncated with its checkpoints", func(t *testing.T) {
		f.dropTriggers(t)
		f.exec(t, `DELETE FROM audit_log WHERE seq >= 150`)
		f.exec(t, `DELETE FROM audit_patient WHERE seq >= 150`)
		f.exec(t, `DELETE FROM audit_checkpoint WHERE size > 100`)
		f.rebuildTree(t)
		if r := f.verify(t); !r.OK() || r.Entries != 150 {
			t.Fatalf("the cut log should verify on its own (that is the gap the copy closes): %+v", r)
		}
		r, err := VerifyWith(ctx, f.db.Reader(), f.vs, []*SavedCheckpoint{s})
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("VerifyWith: %v", err)
		}
		expectBad(t, r, 150, 250, "truncated")
		f.db.Close()
		db, err := sqlite.Open(ctx, f.path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f.db = db
		_, err = Open(ctx, db.Writer(), db.Reader(), f.opt)
		if !errors.Is(err, ErrBehindSaved) || !strings.Contains(err.Error(), "removed") {
			t.Fatalf("Open of a cut log: %v; want ErrBehindSaved", err)
		}
		if again, _ := os.ReadFile(saved); !bytes.Equal(again, s.Note) {
			t.Fatal("the refused log overwrote the saved checkpoint")
		}
	})

	t.Run("rewritten with the log key", func(t *testing.T) {
		// Another log of 300 entries, signed with the same key: every
		// hash and checkpoint in it is right.
		opt := f.opt
		opt.CheckpointCopy = ""
		other := filepath.Join(t.TempDir(), "other.db")
		db, err := sqlite.Open(ctx, other, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		l, err := Open(ctx, db.Writer(), db.Reader(), opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			e := sample(i)
			e.Sub = "someone-else"
			if err := l.Append(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if r, err := Verify(ctx, db.Reader(), f.vs); err != nil || !r.OK() {
			t.Fatalf("the rewritten log should verify on its own: %+v, %v", r, err)
		}
		r, err := VerifyWith(ctx, db.Reader(), f.vs, []*SavedCheckpoint{s})
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("VerifyWith: %v", err)
		}
		expectBad(t, r, -1, 250, "rewritten")
		opt.CheckpointCopy = saved
		if _, err := Open(ctx, db.Writer(), db.Reader(), opt); !errors.Is(err, ErrBehindSaved) || !strings.Contains(err.Error(), "rewritten") {
			t.Fatalf("Open of a rewritten log: %v; want ErrBehindSaved", err)
		}
	})

	t.Run("edited copy", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "checkpoint")
		if err := os.WriteFile(bad, bytes.Replace(s.Note, []byte("\n250\n"), []byte("\n150\n"), 1), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadSavedCheckpoint(bad, f.vs); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("an edited copy was accepted: %v", err)
		}
		opt := f.opt
		opt.CheckpointCopy = bad
		if _, err := Open(ctx, f.db.Writer(), f.db.Reader(), opt); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("Open with an edited copy: %v", err)
		}
	})
}

func TestLatestCheckpoint(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 100})
	if _, err := LatestCheckpoint(ctx, f.db.Reader(), f.vs); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty log: %v", err)
	}
	f.fill(t, 120)
	f.close(t)
	b, err := LatestCheckpoint(ctx, f.db.Reader(), f.vs)
	if err != nil || !strings.Contains(string(b), "\n120\n") {
		t.Fatalf("latest: %q, %v", b, err)
	}
	f.dropTriggers(t)
	f.exec(t, `UPDATE audit_tree_chunk SET hashes = zeroblob(length(hashes))`) // every chunk: the root reads only a few stored hashes
	if _, err := LatestCheckpoint(ctx, f.db.Reader(), f.vs); !errors.Is(err, ErrTampered) {
		t.Fatalf("a stored tree that does not give the signed root: %v", err)
	}
}

// A copy that cannot be written is counted and reported; the log goes on.
func TestSavedCheckpointWriteFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "share")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	f := newFixture(t, Options{CheckpointEvery: 10, CheckpointCopy: filepath.Join(dir, "checkpoint"), Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err := os.RemoveAll(dir); err != nil { // the share went away
		t.Fatal(err)
	}
	f.fill(t, 25)
	if st := f.log.Stats(); st.CopyErrors < 1 || st.Indexed != 25 {
		t.Fatalf("stats: %+v; want a copy error counted and every entry indexed", st)
	}
	if !strings.Contains(logged.String(), "checkpoint copy could not be written") {
		t.Fatalf("application log: %s", logged.String())
	}
	if r := f.verify(t); !r.OK() || r.Checkpoints != 2 {
		t.Fatalf("the log itself: %+v", r)
	}
}
