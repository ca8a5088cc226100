//go:build linux || darwin

package sqlite

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
)

// walWatch answers "has anything committed to the database since I last
// asked?" without a query. In WAL mode every commit, by any connection of
// any process, rewrites the WAL-index header at the start of the -shm file
// (its change counter iChange and frame count mxFrame; see "WAL-Index
// Format" in SQLite's file-format document), which SQLite maps shared into
// every process; walWatch maps the same page read-only. While the header
// and the file's inode are what they were when a value was queried, no
// commit has happened since and the value still holds.
type walWatch struct {
	path string // the -shm file

	mu    sync.Mutex
	f     *os.File // the mapped file, to fstat it (shared: see shmFiles)
	mem   []byte   // the first page of the -shm file, mapped read-only
	held  []shmKey // the files whose descriptors this watch holds
	known bool
	hdr   [walHeaderSize]byte // header when value was queried
	value int64
}

// walHeaderSize is the first copy of the WAL-index header.
const walHeaderSize = 48

func newWALWatch(dbPath string) *walWatch {
	// SQLite keeps the -shm beside the file a symbolic link leads to; a
	// stale -shm beside the link itself must not be the one watched.
	if real, err := filepath.EvalSymlinks(dbPath); err == nil {
		dbPath = real
	}
	w := &walWatch{path: dbPath + "-shm"}
	w.remap()
	return w
}

// shmFiles are the descriptors of -shm files the watches of this process
// hold: one per file, closed when no watch holds it. SQLite's locks on the
// -shm are POSIX locks, which the kernel drops for the whole process when
// any descriptor of the file in it is closed (review 16c: a watch that
// closed its own left the process's connections without the lock that
// keeps another process from reinitialising the WAL index under them).
// So a watch never opens a second descriptor of a file the process holds
// one of, and closes it only with the store, after its connections.
var shmFiles = struct {
	sync.Mutex
	m      map[shmKey]*shmFile
	parked []*os.File // opened for a file held already (the path changed between stat and open): never closed
}{m: map[shmKey]*shmFile{}}

type shmKey struct{ dev, ino uint64 }

type shmFile struct {
	f    *os.File
	refs int
}

// openShm returns the process's descriptor of the file at path, counted
// once more.
func openShm(path string) (*os.File, shmKey, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil, shmKey{}, err
	}
	key := shmKey{uint64(st.Dev), uint64(st.Ino)}
	shmFiles.Lock()
	defer shmFiles.Unlock()
	if s, ok := shmFiles.m[key]; ok {
		s.refs++
		return s.f, key, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, key, err
	}
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		shmFiles.parked = append(shmFiles.parked, f)
		return nil, key, err
	}
	if got := (shmKey{uint64(st.Dev), uint64(st.Ino)}); got != key {
		if _, ok := shmFiles.m[got]; ok {
			shmFiles.parked = append(shmFiles.parked, f)
			return nil, key, os.ErrNotExist
		}
		key = got
	}
	shmFiles.m[key] = &shmFile{f: f, refs: 1}
	return f, key, nil
}

// releaseShm counts one holder of key less, closing its descriptor after
// the last.
func releaseShm(key shmKey) {
	shmFiles.Lock()
	defer shmFiles.Unlock()
	if s, ok := shmFiles.m[key]; ok {
		if s.refs--; s.refs <= 0 {
			s.f.Close()
			delete(shmFiles.m, key)
		}
	}
}

// remap maps the current -shm file; on any failure the watch stays unmapped
// and every lookup queries. It closes no descriptor (see shmFiles).
func (w *walWatch) remap() {
	w.unmap()
	f, key, err := openShm(w.path)
	if err != nil {
		return
	}
	if slices.Contains(w.held, key) {
		releaseShm(key) // counted once for this watch already
	} else {
		w.held = append(w.held, key)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil || st.Size < walHeaderSize {
		return
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, walHeaderSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return
	}
	w.f, w.mem = f, mem
}

// unmap drops the mapping; the descriptor stays held until close.
func (w *walWatch) unmap() {
	if w.mem != nil {
		syscall.Munmap(w.mem)
		w.mem, w.f = nil, nil
	}
}

// live reports whether the mapped file is still the -shm: a file deleted
// or replaced (renamed over) has no links left. fstat on the open file
// costs less than a stat of the path, which was 3% of a read's CPU.
func (w *walWatch) live() bool {
	if w.mem == nil {
		return false
	}
	var st syscall.Stat_t
	return syscall.Fstat(int(w.f.Fd()), &st) == nil && st.Nlink > 0 && st.Size >= walHeaderSize
}

// header copies the current header; ok is false when it cannot be trusted
// (not mapped, the file was replaced, or not an initialised WAL index).
func (w *walWatch) header() (h [walHeaderSize]byte, ok bool) {
	if !w.live() {
		w.remap()
		if w.mem == nil {
			return h, false
		}
	}
	copy(h[:], w.mem)
	// iVersion 3007000 and isInit set: a live WAL index.
	return h, binary.NativeEndian.Uint32(h[0:4]) == 3007000 && h[12] == 1
}

// cached returns the value queried when the header was as it is now, and
// the header to store with a fresh value (ok false: query, then remember).
func (w *walWatch) cached() (value int64, hit bool, now [walHeaderSize]byte, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now, ok = w.header()
	if ok && w.known && bytes.Equal(now[:], w.hdr[:]) {
		return w.value, true, now, ok
	}
	return 0, false, now, ok
}

// remember stores value, queried after the header was hdr.
func (w *walWatch) remember(hdr [walHeaderSize]byte, value int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hdr, w.value, w.known = hdr, value, true
}

// commits is the WAL-index header's change counter (iChange), which every
// commit by any process moves; 0 while the -shm is not mapped.
func (w *walWatch) commits() uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mem == nil {
		return 0
	}
	return binary.NativeEndian.Uint32(w.mem[8:12])
}

// close drops the mapping and the watch's hold of the files' descriptors:
// called after the store's connections are closed (see shmFiles).
func (w *walWatch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unmap()
	for _, k := range w.held {
		releaseShm(k)
	}
	w.held = nil
}
