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
	"time"

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
	f.log.copier.flush(10 * time.Second) // copies are written off the indexer's path
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
		f.restoreTriggers(t) // verify checks the schema: a careful insider puts them back
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
	f.fill(t, 20) // fewer than CheckpointEvery, within its interval: none signed
	if _, err := LatestCheckpoint(ctx, f.db.Reader(), f.vs); !errors.Is(err, ErrNoCheckpoint) || errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "20 entries") {
		t.Fatalf("20 entries, no checkpoint yet: %v", err)
	}
	for i := 20; i < 120; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
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
	f.log.copier.flush(10 * time.Second)
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

// TestSavedCheckpointMissingOrStale: a copy that should be there and is
// not (a share not mounted, a link to nowhere) stops Open; one a crash
// left behind the log catches up at Open; temp files a crash left are
// removed; a link is followed, not replaced (found in review).
func TestSavedCheckpointMissingOrStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	if err := os.Mkdir(share, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "checkpoint")
	if err := os.Symlink(filepath.Join(share, "copy"), link); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Options{CheckpointEvery: 100, CheckpointCopy: link}) // empty log, no copy yet: fine
	f.opt.Verifiers = f.vs
	f.fill(t, 250)
	f.close(t)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
	s, err := ReadSavedCheckpoint(filepath.Join(share, "copy"), f.vs)
	if err != nil || s.Size != 250 {
		t.Fatalf("the copy behind the link: %+v %v", s, err)
	}

	// The share goes away: the link points nowhere.
	if err := os.Rename(share, share+".unmounted"); err != nil {
		t.Fatal(err)
	}
	f.db.Close()
	db, err := sqlite.Open(ctx, f.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	if _, err := Open(ctx, db.Writer(), db.Reader(), f.opt); !errors.Is(err, ErrNoSaved) {
		t.Fatalf("Open with the copy gone: %v; want ErrNoSaved", err)
	}
	if err := os.Rename(share+".unmounted", share); err != nil {
		t.Fatal(err)
	}
	// The share is there, the file is not.
	if err := os.Remove(filepath.Join(share, "copy")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, db.Writer(), db.Reader(), f.opt); !errors.Is(err, ErrNoSaved) || !strings.Contains(err.Error(), "does not exist and the log has 250 entries") {
		t.Fatalf("Open with the copy removed: %v; want ErrNoSaved", err)
	}

	// A crash after a checkpoint's commit, before its copy: the copy is
	// behind (here: an older checkpoint put back), with a temp file left.
	f.opt.CheckpointCopy = ""
	f.log, err = Open(ctx, db.Writer(), db.Reader(), f.opt)
	if err != nil {
		t.Fatal(err)
	}
	old := f.log.Latest().Note
	f.more(t, 10) // entries 250..259: not yet signed
	f.close(t)    // signs 260
	if err := os.WriteFile(filepath.Join(share, "copy"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(share, ".copy.12345")
	if err := os.WriteFile(tmp, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.opt.CheckpointCopy = link
	f.log, err = Open(ctx, db.Writer(), db.Reader(), f.opt)
	if err != nil {
		t.Fatal(err)
	}
	f.log.copier.flush(10 * time.Second)
	if s, err := ReadSavedCheckpoint(link, f.vs); err != nil || s.Size != 260 {
		t.Fatalf("the stale copy after Open: %+v %v; want 260", s, err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("a temp file a crash left is still there: %v", err)
	}
}

// TestVerifyWithSeveralSaved: saved checkpoints are checked in size order,
// whatever order they are given in, and each must be extended.
func TestVerifyWithSeveralSaved(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 100})
	var saved []*SavedCheckpoint
	for i := range 3 {
		f.more(t, 100)
		p := filepath.Join(t.TempDir(), "ck")
		if err := os.WriteFile(p, f.log.Latest().Note, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := ReadSavedCheckpoint(p, f.vs)
		if err != nil || s.Size != int64(100*(i+1)) {
			t.Fatalf("%+v %v", s, err)
		}
		saved = append([]*SavedCheckpoint{s}, saved...) // newest first
	}
	f.close(t)
	if r, err := VerifyWith(ctx, f.db.Reader(), f.vs, saved); err != nil || r.Saved != 3 {
		t.Fatalf("three saved checkpoints, newest first: %+v %v", r, err)
	}
	f.dropTriggers(t)
	f.exec(t, `DELETE FROM audit_log WHERE seq >= 250`)
	f.exec(t, `DELETE FROM audit_patient WHERE seq >= 250`)
	f.exec(t, `DELETE FROM audit_checkpoint WHERE size > 200`)
	f.rebuildTree(t)
	r, err := VerifyWith(ctx, f.db.Reader(), f.vs, saved)
	if !errors.Is(err, ErrTampered) {
		t.Fatalf("cut to 250 against copies at 300, 200, 100: %v", err)
	}
	expectBad(t, r, 250, 300, "truncated")
}

// more appends n entries to a log that may hold some already.
func (f *fixture) more(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if err := f.log.Append(context.Background(), sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.log.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
