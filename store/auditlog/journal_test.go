package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// journalEntry is a stand-in for a canonical entry of about 600 bytes.
func journalEntry(seq int) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"ts":%d,"path":"/fhir/Patient/%s"}`, seq, 1700000000000+seq, strings.Repeat("x", 560))
}

// journalModes: O_DIRECT (where the file system has it) and the fallback.
var journalModes = []struct {
	name     string
	buffered bool
}{{"direct", false}, {"buffered", true}}

func openTestJournal(t testing.TB, path string, buffered bool) (*journal, [][]byte) {
	t.Helper()
	forceBuffered = buffered
	defer func() { forceBuffered = false }()
	j, out, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if buffered && j.direct {
		t.Fatal("forceBuffered: the journal uses O_DIRECT")
	}
	return j, out
}

// writeSeqs writes entries from..to-1 in batches of n.
func writeSeqs(t testing.TB, j *journal, from, to, n int) {
	t.Helper()
	for s := from; s < to; s += n {
		var frames []byte
		for i := s; i < min(s+n, to); i++ {
			frames = appendFrame(frames, journalEntry(i))
		}
		if err := j.write(frames); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSeqs checks that out holds entries from..to-1.
func checkSeqs(t testing.TB, out [][]byte, from, to int) {
	t.Helper()
	if len(out) != to-from {
		t.Fatalf("%d entries, want %d..%d", len(out), from, to-1)
	}
	for i, data := range out {
		if !bytes.Equal(data, journalEntry(from+i)) {
			t.Fatalf("entry %d: %.40q, want seq %d", i, data, from+i)
		}
	}
}

func TestJournalRoundTrip(t *testing.T) {
	for _, m := range journalModes {
		t.Run(m.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			j, out := openTestJournal(t, path, m.buffered)
			t.Logf("O_DIRECT: %v", j.direct)
			checkSeqs(t, out, 0, 0)
			// 1, 7, 40 entries a batch: a batch of 40 spans 6 blocks;
			// 2000 one-entry batches grow the file past 1 MiB.
			writeSeqs(t, j, 0, 2000, 1)
			writeSeqs(t, j, 2000, 2700, 7)
			writeSeqs(t, j, 2700, 3500, 40)
			if j.cap <= journalStart || j.size > j.cap {
				t.Errorf("size %d, file %d: not grown", j.size, j.cap)
			}
			j.close()
			j, out = openTestJournal(t, path, m.buffered)
			checkSeqs(t, out, 0, 3500)
			writeSeqs(t, j, 3500, 3600, 3)
			j.close()
			j, out = openTestJournal(t, path, m.buffered)
			checkSeqs(t, out, 0, 3600)
			if err := j.reset(); err != nil {
				t.Fatal(err)
			}
			writeSeqs(t, j, 3600, 3610, 4)
			j.close()
			b, _ := os.ReadFile(path)
			if out, _, err := parseJournal(b); err != nil { // as verify reads it
				t.Fatal(err)
			} else {
				checkSeqs(t, out, 3600, 3610)
			}
			j, out = openTestJournal(t, path, m.buffered)
			checkSeqs(t, out, 3600, 3610)
			j.reset()
			j.close()
			_, out = openTestJournal(t, path, m.buffered)
			checkSeqs(t, out, 0, 0)
		})
	}
}

// TestJournalStale: after a reset, the batches of the earlier generation
// are not entries, even one that continues the new generation's seq.
func TestJournalStale(t *testing.T) {
	for _, m := range journalModes {
		t.Run(m.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			j, _ := openTestJournal(t, path, m.buffered)
			writeSeqs(t, j, 0, 100, 1)
			j.reset()
			writeSeqs(t, j, 0, 3, 1) // block 4 still holds the old seq 3
			j.close()
			j, out := openTestJournal(t, path, m.buffered)
			checkSeqs(t, out, 0, 3)
			writeSeqs(t, j, 3, 5, 1)
			j.close()
			_, out = openTestJournal(t, path, m.buffered)
			checkSeqs(t, out, 0, 5)
		})
	}
}

// TestJournalEnds: a crash during a write leaves a torn batch at the end,
// which is cut off; damage before the end is an error.
func TestJournalEnds(t *testing.T) {
	const n = 30 // entries written before the edit, 3 a batch (a block)
	batchOff := func(i int) int { return journalBlock * (1 + i) }
	for _, c := range []struct {
		name string
		edit func(b []byte) []byte
		keep int    // entries recovered
		err  string // or this error
	}{
		{"clean", func(b []byte) []byte { return b }, n, ""},
		{"garbage half block", func(b []byte) []byte {
			for i := range 2000 {
				b[batchOff(n/3)+i] = byte(i*7 + 1)
			}
			return b
		}, n, ""},
		{"last batch torn", func(b []byte) []byte { b[batchOff(n/3-1)+900] ^= 4; return b }, n - 3, ""},
		{"last batch header only", func(b []byte) []byte { clear(b[batchOff(n/3-1)+8 : batchOff(n/3)]); return b }, n - 3, ""},
		{"batch past the file", func(b []byte) []byte {
			return appendFrame(b[:batchOff(n/3)], []byte(`{"seq":30,"ts":1,"decision":"permit","status":200}`))[:batchOff(n/3)+20]
		}, n, ""},
		{"flipped byte", func(b []byte) []byte { b[batchOff(4)+40] ^= 1; return b }, 0, fmt.Sprintf("damaged at byte %d", batchOff(4))},
		{"zeroed batch", func(b []byte) []byte { clear(b[batchOff(2):batchOff(3)]); return b }, 0, fmt.Sprintf("damaged at byte %d", batchOff(2))},
		{"batch dropped", func(b []byte) []byte {
			copy(b[batchOff(2):], b[batchOff(3):batchOff(n/3)+journalBlock])
			return b
		}, 0, fmt.Sprintf("damaged at byte %d", batchOff(2))},
		{"header", func(b []byte) []byte { b[len(journalMagic2)+2] ^= 1; return b }, 0, "damaged at byte 0"},
		{"header block", func(b []byte) []byte { b[100] = 1; return b }, 0, "damaged at byte 100"},
		{"not a journal", func(b []byte) []byte { b[0] = 'C'; return b }, 0, "not a carex access journal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			j, _ := openTestJournal(t, path, false)
			writeSeqs(t, j, 0, n, 3)
			j.close()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, c.edit(b), 0o600); err != nil {
				t.Fatal(err)
			}
			forceBuffered = true // the edited file may not be block-sized
			j, out, err := openJournal(path)
			forceBuffered = false
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("open: %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkSeqs(t, out, 0, c.keep)
			writeSeqs(t, j, c.keep, c.keep+5, 2) // written over the torn end
			j.close()
			_, out = openTestJournal(t, path, false)
			checkSeqs(t, out, 0, c.keep+5)
		})
	}
}

// TestJournalFormat1: a journal of format 1 (appended frames) is read,
// torn end and all, and replaced by format 2.
func TestJournalFormat1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	b := []byte(journalMagic)
	for i := range 50 {
		b = appendFrame(b, journalEntry(i))
	}
	b = appendFrame(b, journalEntry(50))[:len(b)+100]
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	j, out := openTestJournal(t, path, false)
	checkSeqs(t, out, 0, 50)
	writeSeqs(t, j, 50, 60, 3)
	j.close()
	if b, _ := os.ReadFile(path); !bytes.HasPrefix(b, []byte(journalMagic2)) {
		t.Fatalf("not replaced: %.30q", b)
	}
	j, out = openTestJournal(t, path, false)
	checkSeqs(t, out, 0, 60)
	j.close() // one process (here, one journal) holds it open at a time

	b = appendFrame([]byte(journalMagic), journalEntry(0))
	b = appendFrame(b, journalEntry(1))
	b[len(journalMagic)+20] ^= 1
	os.WriteFile(path, b, 0o600)
	if _, _, err := openJournal(path); err == nil || !strings.Contains(err.Error(), "damaged at byte") {
		t.Fatalf("damaged format 1: %v", err)
	}
}

// TestJournalFailedWrite: a write that fails and cannot be undone breaks
// the journal.
func TestJournalFailedWrite(t *testing.T) {
	j, _ := openTestJournal(t, filepath.Join(t.TempDir(), "j"), false)
	writeSeqs(t, j, 0, 3, 1)
	j.f.Close()
	if err := j.write(appendFrame(nil, journalEntry(3))); !errors.Is(err, errJournalBroken) {
		t.Fatalf("write: %v", err)
	}
	if err := j.write(appendFrame(nil, journalEntry(3))); !errors.Is(err, errJournalBroken) {
		t.Fatalf("write after: %v", err)
	}
}

// BenchmarkJournalWrite: one durable batch of 1 or 16 entries of ~600
// bytes (reset every 16 MiB, as the indexer does by default).
func BenchmarkJournalWrite(b *testing.B) {
	for _, m := range journalModes {
		for _, n := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", m.name, n), func(b *testing.B) {
				j, _ := openTestJournal(b, filepath.Join(b.TempDir(), "j"), m.buffered)
				defer j.close()
				var frames []byte
				for i := range n {
					frames = appendFrame(frames, journalEntry(i))
				}
				j.grow(32 << 20) // as after the first resets: the file is reused
				b.SetBytes(int64(len(frames)))
				sys := sysTime()
				for b.Loop() {
					if err := j.write(frames); err != nil {
						b.Fatal(err)
					}
					if j.size > 16<<20 {
						j.reset()
					}
				}
				b.ReportMetric(float64(sysTime()-sys)/1e3/float64(b.N), "sys-µs/op")
			})
		}
	}
}

// sysTime is the process's system CPU time in ns.
func sysTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Stime.Nano()
}

// TestJournalTornRead: verify reading a running server's journal can see a
// batch's block before the batch was written and a later one after. The
// gap is read again: gone, it was the race; still there, it is damage;
// and a journal emptied and restarted meanwhile is left to the caller.
func TestJournalTornRead(t *testing.T) {
	const n = 30 // 3 a batch (a block)
	batchOff := func(i int) int { return journalBlock * (1 + i) }
	path := filepath.Join(t.TempDir(), "j")
	j, _ := openTestJournal(t, path, false)
	writeSeqs(t, j, 0, n, 3)
	j.close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	torn := bytes.Clone(whole) // batch 4 not yet there when its block was read
	clear(torn[batchOff(4):batchOff(5)])
	frames, _, perr := parseJournal(torn)
	if perr == nil || !strings.Contains(perr.Error(), fmt.Sprintf("damaged at byte %d (entries follow", batchOff(4))) {
		t.Fatalf("parse of the torn read: %v", perr)
	}

	t.Run("the batch was being written", func(t *testing.T) {
		_, frames, perr := settleTornRead(path, bytes.Clone(torn), frames, perr)
		if perr != nil {
			t.Fatal(perr)
		}
		checkSeqs(t, frames, 0, n)
	})
	t.Run("the block is damaged", func(t *testing.T) {
		if err := os.WriteFile(path, torn, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, got := settleTornRead(path, bytes.Clone(torn), frames, perr)
		if got == nil || got.Error() != perr.Error() {
			t.Fatalf("got %v, want %v", got, perr)
		}
	})
	t.Run("the journal was emptied meanwhile", func(t *testing.T) {
		restarted := bytes.Clone(whole)
		restarted[len(journalMagic2)] ^= 1 // another generation
		if err := os.WriteFile(path, restarted, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, got := settleTornRead(path, bytes.Clone(torn), frames, perr)
		if got == nil || got.Error() != perr.Error() {
			t.Fatalf("got %v, want %v", got, perr)
		}
	})
}
