package auditlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Review 58a: the journal file itself flocked (aa3bb1e), in openFile.

func r58aFrames(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := parseJournal(b)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var s []string
	for _, d := range out {
		seq, _, _ := parseHead(d)
		s = append(s, fmt.Sprintf("e%d", seq))
	}
	return s
}

// TestReview58aRefusedOpenWritesNoHeader: a second server that reaches a
// running server's journal without its lock file (the review 57c path the
// journal flock was added for: the lock file removed as a stale one) is
// now refused in openFile; but openFile, on the O_DIRECT path, rewrites
// the header with the generation the second server read at its start
// *before* it takes the flock. If the first server reset the journal in
// between (a new generation, as it does whenever its entries are in
// SQLite) and acknowledged an entry, that entry is no longer in the
// journal: a crash before it is in SQLite loses it (SPEC §7). The steps
// are openJournal's own, interleaved with the first server's.
func TestReview58aRefusedOpenWritesNoHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x-access.db-audit")
	a, _, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if !a.direct {
		t.Skip("no O_DIRECT on this file system: openFile writes nothing before the lock")
	}
	if err := a.write(appendFrame(nil, journalEntry(1))); err != nil {
		t.Fatal(err)
	}
	// the second server: the lock file was removed as stale; it takes a new
	// one and reads the journal (openJournal's first steps)
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	lock, err := lockJournal(path)
	if err != nil {
		t.Fatalf("lock file: %v", err)
	}
	defer lock.Close()
	b, _ := os.ReadFile(path)
	gen := binary.LittleEndian.Uint64(b[len(journalMagic2):])
	// meanwhile the first server's indexer copied e1 and reset, then it
	// acknowledged e2
	if err := a.reset(); err != nil {
		t.Fatal(err)
	}
	if err := a.write(appendFrame(nil, journalEntry(2))); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if got := r58aFrames(t, path); len(got) != 1 || got[0] != "e2" {
		t.Fatalf("premise: journal holds %q", got)
	}
	// the second server goes on: openFile
	bj := &journal{path: path, gen: gen, size: int64(journalBlock), cap: int64(len(b)) &^ (journalBlock - 1)}
	err = bj.openFile()
	t.Logf("second openFile: %v", err)
	if !errors.Is(err, ErrJournalInUse) {
		t.Fatalf("second openFile not refused: %v", err)
	}
	after, _ := os.ReadFile(path)
	got := r58aFrames(t, path)
	t.Logf("journal after the refused open: %q (header generation %d, the first server's %d)", got, binary.LittleEndian.Uint64(after[len(journalMagic2):]), a.gen)
	if !bytes.Equal(before[:journalBlock], after[:journalBlock]) {
		t.Errorf("the refused second open rewrote the running server's journal header (generation %d over %d) before taking the lock", gen, a.gen)
	}
	if len(got) != 1 || got[0] != "e2" {
		t.Errorf("after a refused second open the journal holds %q, not the acknowledged entry e2: a crash now loses it", got)
	}
}

// TestReview58aSoundRecreateLocksNewReleasesOld: after the journal is
// removed while open and written anew (recreate), the new file is locked
// and the old one released; a second openJournal in the process is
// refused.
func TestReview58aSoundRecreateLocksNewReleasesOld(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		forceBuffered = buffered
		dir := t.TempDir()
		path := filepath.Join(dir, "x-access.db-audit")
		a, _, err := openJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		old := filepath.Join(dir, "old")
		if err := os.Link(path, old); err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		if !a.moved() {
			t.Fatal("premise: not moved")
		}
		if err := a.recreate(appendFrame(nil, journalEntry(1))); err != nil {
			t.Fatal(err)
		}
		try := func(p string) error {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			}
			return err
		}
		if err := try(path); !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Errorf("buffered=%v: the recreated journal is not locked: %v", buffered, err)
		}
		if err := try(old); err != nil {
			t.Errorf("buffered=%v: the old journal is still locked: %v", buffered, err)
		}
		if _, _, err := openJournal(path); !errors.Is(err, ErrJournalInUse) {
			t.Errorf("buffered=%v: second openJournal: %v", buffered, err)
		}
		os.Remove(path + ".lock")
		if _, _, err := openJournal(path); !errors.Is(err, ErrJournalInUse) {
			t.Errorf("buffered=%v: second openJournal without the lock file: %v", buffered, err)
		}
		a.close()
		b, _, err := openJournal(path)
		if err != nil {
			t.Errorf("buffered=%v: reopen after close: %v", buffered, err)
		} else {
			b.close()
		}
	}
	forceBuffered = false
}

// TestReview58aSoundFormat1Migrated: a format-1 journal is replaced at the
// start and the new file opened and locked; its entries are kept.
func TestReview58aSoundFormat1Migrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x-access.db-audit")
	b := []byte(journalMagic)
	b = appendFrame(b, journalEntry(0))
	b = appendFrame(b, journalEntry(1))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	j, out, err := openJournal(path)
	if err != nil {
		t.Fatalf("format-1 start refused: %v", err)
	}
	defer j.close()
	if len(out) != 2 {
		t.Errorf("entries: %q", out)
	}
	if _, _, err := openJournal(path); !errors.Is(err, ErrJournalInUse) {
		t.Errorf("second open: %v", err)
	}
}
