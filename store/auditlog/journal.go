package auditlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"
	"unsafe"
)

// ErrJournalInUse: another process holds the access journal open for
// appending.
var ErrJournalInUse = errors.New("the access journal is in use by another process (a second carex serve on the same database?): stop it, or serve another database")

// The journal is where an entry first becomes durable: the writer writes
// a batch of framed entries with one durable write (group commit), then
// answers the requests; the indexer copies the entries into the SQLite
// tables (where the triggers, the tree and the checkpoints are) in large
// batches soon after. A journal write costs one device round trip and no
// SQLite work, which is what keeps a logged read close to an unlogged one.
// Once everything in it is in SQLite the journal is emptied; at start-up
// whatever it holds beyond the tables is indexed before anything else.
//
// On Linux the file is written with O_DIRECT|O_DSYNC, in whole 4 KiB
// blocks, into space that was preallocated by writing real zeros (not
// fallocate: unwritten extents need a metadata change on the first write
// to each). Such a write changes no metadata, so it returns once the
// device has the data: cheaper than appending and running fdatasync.
// Where O_DIRECT is refused (tmpfs, other systems) the same format is
// written with pwrite and fdatasync.
//
// File format 2, in blocks of journalBlock bytes:
//
//	block 0: journalMagic2, uint64 generation, uint32 CRC-32C of both,
//	         zeros to the end of the block;
//	then one batch per write, each starting on a block boundary:
//	         uint32 n, uint32 CRC-32C(generation || body), body (n bytes:
//	         frames as appendFrame makes them), zeros to the next block.
//
// The log ends at the first batch that is zero, does not check out, or
// does not continue the previous batch's seq. Crash safety:
//   - A write only fills blocks past the end, so the blocks of acknowledged
//     batches are never rewritten; a batch torn by a crash (never
//     acknowledged) fails its checksum and is the end. Padding each batch to
//     a block wastes up to a block per write, but the file is reused from the
//     start after each reset, and the batches' block-aligned starts are what
//     tells a torn end from damage (below) without guessing.
//   - reset does not truncate: it rewrites the header with generation+1
//     (in the first sector: atomic). The batches of earlier generations left
//     in the file fail their checksum under the new generation.
//   - Batches are written one at a time, each once the one before is
//     durable: a valid batch of the current generation with a later seq
//     anywhere past the end means the end is damage, not a torn write: an
//     error, rather than losing acknowledged entries quietly.
const (
	journalMagic2 = "carex access journal 2\n"
	journalBlock  = 4096
	journalHead   = len(journalMagic2) + 12
	journalStart  = 1 << 20  // size of a new file
	journalStep   = 64 << 20 // grow by at most this much (at least the size so far)
	journalKeep   = 64 << 20 // reset shrinks a larger file to this
)

// journalMagic starts a journal in format 1: appended frames, no blocks.
// openJournal reads it (its entries are recovered) and replaces the file.
const journalMagic = "carex access journal 1\n"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// forceBuffered makes openJournal use pwrite+fdatasync (tests).
var forceBuffered bool

type journal struct {
	f      *os.File
	lock   *os.File // held alone while the journal is open (lockJournal)
	path   string
	direct bool   // f has O_DIRECT|O_DSYNC: a write is durable when it returns
	gen    uint64 // generation: batches of other generations are not entries
	size   int64  // end of the last batch: where the next one goes
	cap    int64  // preallocated (zero-filled) file size
	buf    []byte // block-aligned
	broken error  // the header on disk is unknown: no more writes
	writes int64  // batches written (tests count group commits with it)
	// id is the file f is, as opened: the path names another file, or
	// none, once the journal was removed or replaced (moved).
	id os.FileInfo
}

// slowWrites makes every batch write take at least this long (tests: a
// disk slower than the processors, on any machine).
var slowWrites time.Duration

// openJournal opens or creates the journal and returns the entries it
// holds. A torn last batch (a crash during a write that was never
// acknowledged) is ignored; damage anywhere else is an error.
func openJournal(path string) (j *journal, entries [][]byte, err error) {
	// One process appends: a second carex serve on the same database
	// would write entries over the first's.
	lock, err := lockJournal(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		} else {
			j.lock = lock
		}
	}()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(b) == 0 {
		if err = createJournal(path, nil); err == nil {
			b, err = os.ReadFile(path)
		}
	} else if err == nil && bytes.HasPrefix(b, []byte(journalMagic)) {
		// Format 1: keep its entries in a new file that replaces it.
		var old [][]byte
		if old, _, err = parseJournal(b); err == nil {
			var frames []byte
			for _, data := range old {
				frames = appendFrame(frames, data)
			}
			if err = createJournal(path, frames); err == nil {
				b, err = os.ReadFile(path)
			}
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: access journal %s: %w", path, err)
	}
	out, end, err := parseJournal(b)
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: access journal %s: %w", path, err)
	}
	j = &journal{path: path, size: int64(end), cap: int64(len(b)) &^ (journalBlock - 1),
		gen: binary.LittleEndian.Uint64(b[len(journalMagic2):])}
	if err = j.openFile(); err != nil {
		return nil, nil, err
	}
	// Read before the journal was locked: one another process wrote to in
	// between is not what was parsed (review 58a).
	if now, rerr := os.ReadFile(path); rerr != nil || !bytes.Equal(now[:min(len(now), end)], b[:end]) {
		j.close()
		return nil, nil, fmt.Errorf("auditlog: %s: %w", path, ErrJournalInUse)
	}
	return j, out, nil
}

// openFile opens j.path for writing batches: with O_DIRECT|O_DSYNC where
// the file system takes it, else for pwrite and fdatasync.
func (j *journal) openFile() (err error) {
	path := j.path
	j.direct = false
	if !forceBuffered {
		// O_DIRECT may be accepted at open but not at write: rewriting the
		// header (identical bytes) tells, and a failure here costs nothing.
		if j.f, err = openDirect(path); err == nil && j.f != nil {
			j.direct = true
			// taken before the test write: a second server's rewrote the
			// running one's header before it was refused (review 58a)
			if err = j.lockFile(); err != nil {
				return err
			}
			if err = j.put(j.header(j.gen), 0); isEINVAL(err) {
				j.f.Close()
				j.f, j.direct, err = nil, false, nil
			}
		}
		if err != nil {
			if j.f != nil {
				j.f.Close()
			}
			return fmt.Errorf("auditlog: access journal %s: %w", path, err)
		}
	}
	if j.f == nil {
		if j.f, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
			return fmt.Errorf("auditlog: access journal: %w", err)
		}
		if err = j.lockFile(); err != nil {
			return err
		}
	}
	if j.id, err = j.f.Stat(); err != nil {
		j.f.Close()
		return fmt.Errorf("auditlog: access journal: %w", err)
	}
	return nil
}

// lockFile takes the journal file j.f alone (lockOpenJournal), closing it
// when another process has it.
func (j *journal) lockFile() error {
	if err := lockOpenJournal(j.f); err != nil {
		j.f.Close()
		j.f = nil
		return fmt.Errorf("auditlog: %s: %w", j.path, err)
	}
	return nil
}

// moved reports whether j.path no longer names the file j writes: it was
// removed, or another file was renamed over it, while the log ran. What
// j writes from then on reaches no file a start would read. A file shorter
// than j preallocated was emptied or cut in place (review 20e): what it
// held before j's next write is gone, and its header with it.
func (j *journal) moved() bool {
	fi, err := os.Stat(j.path)
	return err != nil || !os.SameFile(fi, j.id) || fi.Size() < j.cap
}

// recreate writes a new journal at j.path whose one batch is frames (every
// entry the tables lack) and writes there from then on.
func (j *journal) recreate(frames []byte) error {
	if j.broken != nil {
		return j.broken
	}
	if err := createJournal(j.path, frames); err != nil {
		return err
	}
	old := j.f
	size := int64(journalBlock)
	if len(frames) > 0 {
		size += int64(roundBlock(8 + len(frames)))
	}
	j.f, j.gen, j.size, j.cap = nil, 1, size, max(journalStart, size)
	if err := j.openFile(); err != nil {
		// The new file holds the entries, but j cannot write to it: its
		// end is unknown to j from here on.
		j.f = old
		j.broken = fmt.Errorf("%w (%v)", errJournalBroken, err)
		return j.broken
	}
	old.Close()
	return nil
}

// createJournal writes a new journal (generation 1, frames as its first
// batch if any) beside path and renames it over path, so that a crash
// leaves either the old file or the whole new one.
func createJournal(path string, frames []byte) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	j := &journal{f: f, gen: 1, size: journalBlock}
	b := make([]byte, max(journalStart, journalBlock+roundBlock(8+len(frames))))
	copy(b, j.header(1))
	if len(frames) > 0 {
		j.batch(b[journalBlock:], frames)
	}
	_, err = f.WriteAt(b, 0)
	if err == nil {
		err = fdatasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// parseJournal splits a journal file into its entries; end is where the
// next batch goes (a torn batch there is not an error).
func parseJournal(b []byte) (out [][]byte, end int, err error) {
	if bytes.HasPrefix(b, []byte(journalMagic)) {
		return parseJournal1(b)
	}
	if !bytes.HasPrefix(b, []byte(journalMagic2)) {
		return nil, 0, errors.New("not a carex access journal (move it aside if it is not yours)")
	}
	if len(b) < journalBlock {
		return nil, 0, fmt.Errorf("damaged at byte %d (the header block is cut short)", len(b))
	}
	gen := binary.LittleEndian.Uint64(b[len(journalMagic2):])
	if crc32.Checksum(b[:journalHead-4], crcTable) != binary.LittleEndian.Uint32(b[journalHead-4:]) {
		return nil, 0, errors.New("damaged at byte 0 (header checksum mismatch): restore it from backup or move it aside, then run carex audit verify")
	}
	if i := bytes.IndexFunc(b[journalHead:journalBlock], func(r rune) bool { return r != 0 }); i >= 0 {
		return nil, 0, fmt.Errorf("damaged at byte %d (in the header block): restore it from backup or move it aside, then run carex audit verify", journalHead+i)
	}
	last := int64(-1) // seq of the last entry; -1: none yet
	off := journalBlock
	for {
		body := batchAt(b, off, gen)
		if body == nil {
			break
		}
		frames, err := splitFrames(body)
		if err != nil {
			return nil, 0, fmt.Errorf("damaged at byte %d (%v): restore it from backup or move it aside, then run carex audit verify", off, err)
		}
		if seq, _, err := parseHead(frames[0]); err == nil && last >= 0 && seq != last+1 {
			break // not the continuation (checked below)
		}
		out = append(out, frames...)
		if seq, _, err := parseHead(frames[len(frames)-1]); err == nil {
			last = seq
		}
		off += roundBlock(8 + len(body))
	}
	// A batch at the end that goes on from the last entry but runs past
	// the end of the file was cut off, not torn: a write fills blocks of
	// a file already that long (grow writes its zeros first), so a crash
	// leaves a torn batch inside the file. Review 33c: a journal cut at
	// an arbitrary byte lost the acknowledged entries after the cut
	// quietly.
	if last >= 0 && off+16 <= len(b) {
		if n := int(binary.LittleEndian.Uint32(b[off:])); n > len(b)-off-8 && nextSeqAt(b[off+16:]) == last+1 {
			return nil, 0, fmt.Errorf("damaged at byte %d (the batch there runs past the end of the file, at byte %d: it was cut short): restore it from backup, then run carex audit verify", off, len(b))
		}
	}
	// A batch of this generation past the end that goes on from the last
	// entry was written after the one at the end had become durable.
	for o := off; o+8 <= len(b); o += journalBlock {
		if body := batchAt(b, o, gen); body != nil {
			if seq, _, err := parseHead(body[8:]); err != nil || seq > last {
				return nil, 0, &gapError{at: off, next: o}
			}
		}
	}
	return out, off, nil
}

// nextSeqAt is the seq a frame's data starting at b begins with
// (`{"seq":N`), -1 when it does not.
func nextSeqAt(b []byte) int64 {
	rest, ok := bytes.CutPrefix(b, []byte(`{"seq":`))
	if !ok {
		return -1
	}
	var n int64
	i := 0
	for ; i < len(rest) && i < 19 && rest[i] >= '0' && rest[i] <= '9'; i++ {
		n = n*10 + int64(rest[i]-'0')
	}
	if i == 0 {
		return -1
	}
	return n
}

// gapError: a batch that continues the entries lies past a block that
// does not check out. A crash cannot leave this (a batch is written only
// after the one before it is durable), but a read racing a running
// server's appends can: it read the block before the batch there was
// written and the later one after.
type gapError struct{ at, next int }

func (e *gapError) Error() string {
	return fmt.Sprintf("damaged at byte %d (entries follow at byte %d): restore it from backup or move it aside, then run carex audit verify", e.at, e.next)
}

// batchAt returns the body of the batch at off if it checks out under gen.
func batchAt(b []byte, off int, gen uint64) []byte {
	if off+8 > len(b) {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(b[off:]))
	if n < 8 || n > len(b)-off-8 {
		return nil
	}
	body := b[off+8 : off+8+n]
	if !hasPrefix(body[8:], `{"seq":`) { // cheap: skips most garbage before the checksum
		return nil
	}
	if batchSum(gen, body) != binary.LittleEndian.Uint32(b[off+4:]) {
		return nil
	}
	return body
}

func batchSum(gen uint64, body []byte) uint32 {
	var g [8]byte
	binary.LittleEndian.PutUint64(g[:], gen)
	return crc32.Update(crc32.Checksum(g[:], crcTable), crcTable, body)
}

// splitFrames splits a batch body (whose checksum matched) into entries.
func splitFrames(body []byte) (out [][]byte, err error) {
	for len(body) > 0 {
		if len(body) < 8 || int(binary.LittleEndian.Uint32(body)) > len(body)-8 {
			return nil, errors.New("a frame overruns its batch")
		}
		data := body[8 : 8+binary.LittleEndian.Uint32(body)]
		if crc32.Checksum(data, crcTable) != binary.LittleEndian.Uint32(body[4:]) {
			return nil, errors.New("frame checksum mismatch")
		}
		out, body = append(out, data), body[8+len(data):]
	}
	return out, nil
}

// parseJournal1 reads format 1 (a torn last frame is not an error).
func parseJournal1(b []byte) (out [][]byte, end int, err error) {
	off := len(journalMagic)
	for off+8 <= len(b) {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		end := off + 8 + n
		if n > len(b) || end > len(b) {
			break // torn body
		}
		data := b[off+8 : end]
		if crc32.Checksum(data, crcTable) != binary.LittleEndian.Uint32(b[off+4:]) {
			if end == len(b) {
				break // the last frame, half written
			}
			return nil, 0, fmt.Errorf("damaged at byte %d (checksum mismatch before its end): restore it from backup or move it aside, then run carex audit verify", off)
		}
		out = append(out, data)
		off = end
	}
	return out, off, nil
}

// appendFrame frames data onto buf.
func appendFrame(buf, data []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(data)))
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(data, crcTable))
	return append(buf, data...)
}

// errJournalBroken: a failed write could not be undone; nothing more may be
// appended, since the file's end is unknown.
var errJournalBroken = errors.New("auditlog: the access journal could not be repaired after a failed write: restart carex")

// write writes frames (appendFrame's) as one batch: when it returns nil
// they survive a crash. On failure the batch's blocks are zeroed again.
func (j *journal) write(frames []byte) error {
	if j.broken != nil {
		return j.broken
	}
	if len(frames) == 0 {
		return nil
	}
	need := int64(roundBlock(8 + len(frames)))
	if j.size+need > j.cap {
		if err := j.grow(j.size + need); err != nil {
			return fmt.Errorf("auditlog: access journal: growing the file: %w", err)
		}
	}
	buf := j.buffer(int(need))
	j.batch(buf, frames)
	if slowWrites > 0 {
		time.Sleep(slowWrites)
	}
	err := j.put(buf, j.size)
	if err != nil {
		clear(buf)
		if uerr := j.put(buf, j.size); uerr != nil {
			j.broken = fmt.Errorf("%w (write: %v; zeroing it: %v)", errJournalBroken, err, uerr)
			return j.broken
		}
		return fmt.Errorf("auditlog: access journal write: %w", err)
	}
	j.size += need
	j.writes++
	return nil
}

// batch lays out one batch of frames in b, zero-padded to len(b).
func (j *journal) batch(b, frames []byte) {
	binary.LittleEndian.PutUint32(b, uint32(len(frames)))
	binary.LittleEndian.PutUint32(b[4:], batchSum(j.gen, frames))
	n := copy(b[8:], frames)
	clear(b[8+n:])
}

// put writes b at off durably.
func (j *journal) put(b []byte, off int64) error {
	_, err := j.f.WriteAt(b, off)
	if err == nil && !j.direct {
		err = fdatasync(j.f)
	}
	return err
}

// header returns the header block of generation gen.
func (j *journal) header(gen uint64) []byte {
	b := j.buffer(journalBlock)
	clear(b)
	copy(b, journalMagic2)
	binary.LittleEndian.PutUint64(b[len(journalMagic2):], gen)
	binary.LittleEndian.PutUint32(b[journalHead-4:], crc32.Checksum(b[:journalHead-4], crcTable))
	return b
}

// buffer returns j's block-aligned buffer, n bytes long (n a multiple of
// journalBlock): O_DIRECT wants aligned memory, offsets and lengths.
func (j *journal) buffer(n int) []byte {
	if cap(j.buf) < n {
		b := make([]byte, max(n, 64<<10)+journalBlock)
		skip := int(-uintptr(unsafe.Pointer(&b[0])) & (journalBlock - 1))
		j.buf = b[skip : len(b)-journalBlock+skip]
	}
	return j.buf[:n]
}

// grow extends the file with written zeros to at least need bytes (by the
// size so far, between journalStart and journalStep). There is no limit:
// the indexer resets the journal once SQLite has its entries.
func (j *journal) grow(need int64) error {
	size := max(need, j.cap+max(journalStart, min(j.cap, journalStep)))
	size = int64(roundBlock(int(size)))
	f, err := os.OpenFile(j.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	zero := make([]byte, 1<<20)
	for off := j.cap; off < size && err == nil; off += int64(len(zero)) {
		_, err = f.WriteAt(zero[:min(int64(len(zero)), size-off)], off)
	}
	if err == nil {
		err = fdatasync(f)
	}
	if err != nil {
		return err
	}
	j.cap = size
	return nil
}

// reset empties the journal once everything in it is in SQLite: a new
// generation makes the batches in the file stale.
func (j *journal) reset() error {
	if j.broken != nil {
		return j.broken
	}
	if j.size == journalBlock {
		return nil // empty: a torn batch here is overwritten by the next write
	}
	if err := j.put(j.header(j.gen+1), 0); err != nil {
		// The sector holds either header: make it the old one again.
		if uerr := j.put(j.header(j.gen), 0); uerr != nil {
			j.broken = fmt.Errorf("%w (reset: %v; undoing it: %v)", errJournalBroken, err, uerr)
			return j.broken
		}
		return fmt.Errorf("auditlog: access journal reset: %w", err)
	}
	j.gen++
	j.size = journalBlock
	if j.cap > journalKeep && j.f.Truncate(journalKeep) == nil {
		j.cap = journalKeep // a burst grew it; if the truncate is lost it stays larger
	}
	return nil
}

// shrink gives back the preallocated space after a final reset (a clean
// Close), so that a stopped server's journal is small and offline tools
// (audit verify reads all of it) do not read megabytes of zeros. If the
// truncate is lost in a crash the file merely stays larger.
func (j *journal) shrink() {
	if j.broken == nil && j.size == journalBlock && j.cap > journalStart && j.f.Truncate(journalStart) == nil {
		j.cap = journalStart
	}
}

func (j *journal) close() error {
	err := j.f.Close()
	if j.lock != nil {
		j.lock.Close() // releases the lock
	}
	return err
}

func roundBlock(n int) int { return (n + journalBlock - 1) &^ (journalBlock - 1) }
