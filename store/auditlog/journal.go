package auditlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The journal is where an entry first becomes durable: the writer appends
// a batch of framed entries and syncs the file once (group commit), then
// answers the requests; the indexer copies the entries into the SQLite
// tables (where the triggers, the tree and the checkpoints are) in large
// batches soon after. A journal sync costs one fdatasync and no SQLite
// work, which is what keeps a logged read close to an unlogged one. Once
// everything in it is in SQLite the journal is emptied; at start-up
// whatever it holds beyond the tables is indexed before anything else.
//
// File: journalMagic, then frames: uint32 length, uint32 CRC-32C of the
// entry, the entry's canonical encoding (which carries its seq).
const journalMagic = "carex access journal 1\n"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type journal struct {
	f    *os.File
	path string
	size int64 // bytes durably written
}

// openJournal opens or creates the journal and returns the entries it
// holds. A torn last frame (a crash during a write that was never
// acknowledged) is cut off; damage anywhere else is an error.
func openJournal(path string) (*journal, [][]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: access journal: %w", err)
	}
	j := &journal{f: f, path: path}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("auditlog: access journal %s: %w", path, err)
	}
	if len(b) == 0 {
		if err := j.init(); err != nil {
			f.Close()
			return nil, nil, err
		}
		return j, nil, nil
	}
	out, off, err := parseJournal(b)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("auditlog: access journal %s: %w", path, err)
	}
	if off < len(b) {
		if err := f.Truncate(int64(off)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("auditlog: cutting the torn end of the access journal: %w", err)
		}
		if err := fdatasync(f); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("auditlog: access journal: %w", err)
		}
	}
	j.size = int64(off)
	return j, out, nil
}

// parseJournal splits a journal file into its entries; end is where the
// last whole frame ends (a torn frame after it is not an error).
func parseJournal(b []byte) (out [][]byte, end int, err error) {
	if !bytes.HasPrefix(b, []byte(journalMagic)) {
		return nil, 0, errors.New("not a carex access journal (move it aside if it is not yours)")
	}
	off := len(journalMagic)
	for off < len(b) {
		if off+8 > len(b) {
			break // torn header
		}
		n := int(binary.LittleEndian.Uint32(b[off:]))
		sum := binary.LittleEndian.Uint32(b[off+4:])
		end := off + 8 + n
		if n > len(b) || end > len(b) {
			break // torn body
		}
		data := b[off+8 : end]
		if crc32.Checksum(data, crcTable) != sum {
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

// init writes the header of a new journal and makes the file itself
// durable (its directory entry too).
func (j *journal) init() error {
	if _, err := j.f.WriteAt([]byte(journalMagic), 0); err != nil {
		return fmt.Errorf("auditlog: access journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("auditlog: access journal: %w", err)
	}
	if d, err := os.Open(filepath.Dir(j.path)); err == nil {
		d.Sync()
		d.Close()
	}
	j.size = int64(len(journalMagic))
	return nil
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

// write appends framed entries and syncs: when it returns nil they survive
// a crash. On failure the file is cut back to its previous end.
func (j *journal) write(frames []byte) error {
	_, err := j.f.WriteAt(frames, j.size)
	if err == nil {
		err = fdatasync(j.f)
	}
	if err != nil {
		if terr := j.f.Truncate(j.size); terr != nil {
			return fmt.Errorf("%w (write: %v; truncate: %v)", errJournalBroken, err, terr)
		}
		return fmt.Errorf("auditlog: access journal write: %w", err)
	}
	j.size += int64(len(frames))
	return nil
}

// reset empties the journal once everything in it is in SQLite.
func (j *journal) reset() error {
	if err := j.f.Truncate(int64(len(journalMagic))); err != nil {
		return fmt.Errorf("auditlog: access journal reset: %w", err)
	}
	if err := fdatasync(j.f); err != nil {
		return fmt.Errorf("auditlog: access journal reset: %w", err)
	}
	j.size = int64(len(journalMagic))
	return nil
}

func (j *journal) close() error { return j.f.Close() }
