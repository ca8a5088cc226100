package sqlite

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// walVFS is SQLite's default ("unix") VFS with one change: writes to a
// WAL file are gathered in a buffer and reach the file as one pwrite per
// walWriteMax bytes. SQLite writes each WAL frame with two pwrite calls
// (its 24-byte header, then the page); system calls are dear on a virtual
// machine, and a 15-entry bundle's commit wrote about 130 frames: those
// pwrites were 14 % of the server's CPU under transaction load, inside the
// single writer's serial section.
//
// The buffer is written before anything could need its bytes in the file:
//   - right after a commit frame (its header says the database's size),
//     so that a failure is returned by the write of the commit itself and
//     fails it, at any synchronous level;
//   - before the WAL file is synced, read, truncated, sized or closed;
//   - before its database file's wal-index barrier, which SQLite calls
//     between writing the two copies of the wal-index header that publish
//     a commit (readers take a header only when both copies agree);
//   - before the connection releases a wal-index lock or its database
//     file's lock (the write lock in locking_mode=EXCLUSIVE), so the frames
//     of a transaction that spilled pages and rolled back are written while
//     it still holds the write lock, as SQLite would have written them, and
//     not later over frames another writer has committed since. If that
//     write fails they are dropped: they belong to no commit.
//
// A write that fails on the way out is reported by the call that flushed
// (SQLITE_IOERR_WRITE, which rolls the transaction back) and stays in the
// buffer until the write lock goes.
const walVFSName = "carex-walbuf"

// walBufSize bounds the buffer per WAL file handle (allocated on the first
// write: readers never write the WAL). 1 MiB holds a large commit.
const walBufSize = 1 << 20

// walWriteMax: the unix VFS writes at most 0x1ffff bytes a call (it masks
// the length with it), so the buffer goes out in pieces of 124 KiB.
const walWriteMax = 124 << 10

// Counts for tests: SQLite's writes to WAL files, and the writes that
// reached the files.
var walWrites, walFileWrites atomic.Int64

// walFlushFails makes every flush fail (tests: a disk that refuses writes).
var walFlushFails atomic.Bool

// walFile is the start of the sqlite3_file SQLite allocates for a WAL file
// opened through walVFS; the base VFS's own file follows at walInner.
type walFile struct {
	methods uintptr // sqlite3_file.pMethods: &walMethods
	buf     uintptr // walBufSize bytes of C memory, 0 until the first write
	start   int64   // file offset of buf's first byte
	n       int64   // bytes waiting in buf
	db      uintptr // the database file whose dbLink points here, or 0
	direct  bool    // not linked to a hooked database file: no buffering
	commit  bool    // a commit frame's header is buffered: flush after its page
	lastRd  int64   // offset of the last read, or -1
}

// dbLink follows the base VFS's own file of a main database opened through
// walVFS (at dbExtra), whose methods are a copy of the base VFS's with the
// wal-index barrier and lock, the file's unlock and its close hooked
// (hookedMethods).
type dbLink struct {
	wal  uintptr // the connection's WAL file while it is open, or 0
	orig uintptr // the base VFS's io_methods for this file
}

var (
	walInner = align8(unsafe.Sizeof(walFile{}))
	dbExtra  uintptr // align8 of the base VFS's file size
)

func align8(n uintptr) uintptr { return (n + 7) &^ 7 }

var (
	walOnce    sync.Once
	walErr     error
	baseVFS    uintptr // the default VFS walVFS wraps
	walVFSData lib.Tsqlite3_vfs
	walMethods lib.Tsqlite3_io_methods

	dbMu      sync.Mutex
	dbMethods = map[uintptr]*lib.Tsqlite3_io_methods{} // by the base methods they copy
	ourDB     = map[uintptr]bool{}                     // the copies' addresses
)

// registerWALVFS registers walVFS once; an error leaves dsn on the default
// VFS.
func registerWALVFS() error {
	walOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		if rc := lib.Xsqlite3_initialize(tls); rc != lib.SQLITE_OK {
			walErr = fmt.Errorf("sqlite3_initialize: %d", rc)
			return
		}
		baseVFS = lib.Xsqlite3_vfs_find(tls, 0)
		if baseVFS == 0 {
			walErr = errors.New("no default SQLite VFS")
			return
		}
		base := at[lib.Tsqlite3_vfs](baseVFS)
		name, err := libc.CString(walVFSName)
		if err != nil {
			walErr = err
			return
		}
		dbExtra = align8(uintptr(base.FszOsFile))
		walVFSData = *base
		walVFSData.FszOsFile = int32(max(walInner+uintptr(base.FszOsFile), dbExtra+unsafe.Sizeof(dbLink{})))
		walVFSData.FzName = name
		walVFSData.FpNext = 0
		setFn(&walVFSData.FxOpen, walOpen)
		walMethods.FiVersion = 1 // no shared memory or mmap on a WAL file
		setFn(&walMethods.FxClose, walClose)
		setFn(&walMethods.FxRead, walRead)
		setFn(&walMethods.FxWrite, walWrite)
		setFn(&walMethods.FxTruncate, walTruncate)
		setFn(&walMethods.FxSync, walSync)
		setFn(&walMethods.FxFileSize, walFileSize)
		setFn(&walMethods.FxLock, walLock)
		setFn(&walMethods.FxUnlock, walUnlock)
		setFn(&walMethods.FxCheckReservedLock, walCheckReservedLock)
		setFn(&walMethods.FxFileControl, walFileControl)
		setFn(&walMethods.FxSectorSize, walSectorSize)
		setFn(&walMethods.FxDeviceCharacteristics, walDeviceCharacteristics)
		if rc := lib.Xsqlite3_vfs_register(tls, uintptr(unsafe.Pointer(&walVFSData)), 0); rc != lib.SQLITE_OK {
			walErr = fmt.Errorf("sqlite3_vfs_register: %d", rc)
		}
	})
	return walErr
}

// setFn stores a Go function where SQLite expects a C function pointer,
// as modernc.org/sqlite's transpiled code does.
func setFn[F any](slot *uintptr, f F) { *(*F)(unsafe.Pointer(slot)) = f }

// at is the C memory at p as a *T (without a uintptr-to-Pointer
// conversion, which go vet rightly distrusts for Go memory: this is not).
func at[T any](p uintptr) *T { return *(**T)(unsafe.Pointer(&p)) }

// fn reads the C function pointer p as a Go function.
func fn[F any](p uintptr) F { return *(*F)(unsafe.Pointer(&p)) }

// baseOpen opens a file through the base VFS at pFile.
func baseOpen(tls *libc.TLS, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	return fn[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32](at[lib.Tsqlite3_vfs](baseVFS).FxOpen)(tls, baseVFS, zName, pFile, flags, pOutFlags)
}

func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	if flags&lib.SQLITE_OPEN_WAL == 0 {
		// The base VFS's own file, at pFile; a main database's methods are
		// swapped for the hooked copy.
		rc := baseOpen(tls, zName, pFile, flags, pOutFlags)
		if rc == lib.SQLITE_OK && flags&lib.SQLITE_OPEN_MAIN_DB != 0 {
			f := at[lib.Tsqlite3_file](pFile)
			*at[dbLink](pFile + dbExtra) = dbLink{orig: f.FpMethods}
			f.FpMethods = hookedMethods(tls, f.FpMethods)
		}
		return rc
	}
	if rc := openWALFile(tls, zName, pFile, flags, pOutFlags); rc != lib.SQLITE_OK {
		return rc
	}
	// zName is the pager's: SQLite finds its database file from it. Without
	// its hooks a commit could be published before the buffer is written.
	f := at[walFile](pFile)
	if db := lib.Xsqlite3_database_file_object(tls, zName); db != 0 && isOurDB(at[lib.Tsqlite3_file](db).FpMethods) {
		at[dbLink](db + dbExtra).wal = pFile
		f.db = db
	} else {
		f.direct = true
	}
	return lib.SQLITE_OK
}

// openWALFile opens a WAL file through the base VFS, behind walMethods.
func openWALFile(tls *libc.TLS, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	f := at[walFile](pFile)
	*f = walFile{lastRd: -1}
	if rc := baseOpen(tls, zName, pFile+walInner, flags, pOutFlags); rc != lib.SQLITE_OK {
		return rc
	}
	f.methods = uintptr(unsafe.Pointer(&walMethods))
	return lib.SQLITE_OK
}

// hookedMethods is the copy of a base VFS's io_methods with the wal-index
// barrier and lock, the file's unlock and its close hooked, made once per
// base table in C memory: SQLite's code does pointer arithmetic on it,
// which the race detector's pointer checks refuse on Go heap memory.
func hookedMethods(tls *libc.TLS, orig uintptr) uintptr {
	dbMu.Lock()
	defer dbMu.Unlock()
	m := dbMethods[orig]
	if m == nil {
		p := libc.Xcalloc(tls, 1, uint64(unsafe.Sizeof(lib.Tsqlite3_io_methods{})))
		if p == 0 {
			return orig // out of memory: unhooked, so its WAL is written directly
		}
		m = at[lib.Tsqlite3_io_methods](p)
		*m = *at[lib.Tsqlite3_io_methods](orig)
		setFn(&m.FxClose, dbClose)
		setFn(&m.FxUnlock, dbUnlock)
		hooked := m.FiVersion >= 2 && m.FxShmLock != 0 && m.FxShmBarrier != 0
		if hooked {
			setFn(&m.FxShmLock, dbShmLock)
			setFn(&m.FxShmBarrier, dbShmBarrier)
		}
		dbMethods[orig] = m // kept for the life of the process
		// Without the wal-index hooks its WAL is not linked: written directly.
		ourDB[uintptr(unsafe.Pointer(m))] = hooked
	}
	return uintptr(unsafe.Pointer(m))
}

func isOurDB(methods uintptr) bool {
	dbMu.Lock()
	defer dbMu.Unlock()
	return ourDB[methods]
}

func origMethods(pFile uintptr) *lib.Tsqlite3_io_methods {
	return at[lib.Tsqlite3_io_methods](at[dbLink](pFile + dbExtra).orig)
}

// flushLinked writes the buffer of the database's WAL file, if any.
func flushLinked(tls *libc.TLS, pFile uintptr) int32 {
	if wal := at[dbLink](pFile + dbExtra).wal; wal != 0 {
		return walFlush(tls, wal)
	}
	return lib.SQLITE_OK
}

func dbShmBarrier(tls *libc.TLS, pFile uintptr) {
	flushLinked(tls, pFile) // empty since the commit frame; a failure there failed the commit
	fn[func(*libc.TLS, uintptr)](origMethods(pFile).FxShmBarrier)(tls, pFile)
}

func dbShmLock(tls *libc.TLS, pFile uintptr, offset, n, flags int32) int32 {
	if flags&lib.SQLITE_SHM_UNLOCK != 0 {
		// offset 0 exclusive: the WAL write lock
		flushOrDrop(tls, pFile, offset == 0 && flags&lib.SQLITE_SHM_EXCLUSIVE != 0)
	}
	return fn[func(*libc.TLS, uintptr, int32, int32, int32) int32](origMethods(pFile).FxShmLock)(tls, pFile, offset, n, flags)
}

// dbUnlock: in locking_mode=EXCLUSIVE the database file's own lock is the
// WAL write lock, released here.
func dbUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	flushOrDrop(tls, pFile, true)
	return fn[func(*libc.TLS, uintptr, int32) int32](origMethods(pFile).FxUnlock)(tls, pFile, lock)
}

// flushOrDrop flushes the linked WAL buffer before a lock is released. When
// the write lock goes and the flush fails, what could not be written
// belongs to a transaction that failed (commits flush at their commit
// frame): written later, it would land on frames another writer commits
// meanwhile, so it is dropped.
func flushOrDrop(tls *libc.TLS, pFile uintptr, writeLock bool) {
	if flushLinked(tls, pFile) != lib.SQLITE_OK && writeLock {
		at[walFile](at[dbLink](pFile + dbExtra).wal).n = 0
	}
}

func dbClose(tls *libc.TLS, pFile uintptr) int32 {
	link := at[dbLink](pFile + dbExtra)
	if link.wal != 0 {
		// SQLite closes the WAL first; should it not, the WAL goes on
		// unbuffered, with nothing left to hook.
		flushLinked(tls, pFile)
		f := at[walFile](link.wal)
		f.db, f.direct = 0, true
		link.wal = 0
	}
	return fn[func(*libc.TLS, uintptr) int32](origMethods(pFile).FxClose)(tls, pFile)
}

// inner is the base VFS's file and its methods.
func inner(pFile uintptr) (uintptr, *lib.Tsqlite3_io_methods) {
	p := pFile + walInner
	return p, at[lib.Tsqlite3_io_methods](at[lib.Tsqlite3_file](p).FpMethods)
}

// walFlush writes what the buffer holds.
func walFlush(tls *libc.TLS, pFile uintptr) int32 {
	f := at[walFile](pFile)
	if f.n == 0 {
		return lib.SQLITE_OK
	}
	if walFlushFails.Load() {
		return lib.SQLITE_IOERR_WRITE
	}
	p, m := inner(pFile)
	write := fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxWrite)
	for off := int64(0); off < f.n; off += walWriteMax {
		walFileWrites.Add(1)
		if rc := write(tls, p, f.buf+uintptr(off), int32(min(walWriteMax, f.n-off)), f.start+off); rc != lib.SQLITE_OK {
			// Keep what is not written; an I/O error (not SQLITE_FULL, which
			// SQLite may take for one statement's) rolls the transaction back.
			rest := unsafe.Slice(at[byte](f.buf), f.n)
			f.n = int64(copy(rest, rest[off:]))
			f.start += off
			return lib.SQLITE_IOERR_WRITE
		}
	}
	f.n = 0
	return lib.SQLITE_OK
}

func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	walWrites.Add(1)
	f := at[walFile](pFile)
	buffer := !f.direct && int64(iAmt) <= walWriteMax
	if f.n > 0 && (!buffer || iOfst != f.start+f.n || f.n+int64(iAmt) > walBufSize) {
		if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
			return rc
		}
	}
	if buffer && f.buf == 0 {
		f.buf = libc.Xmalloc(tls, walBufSize)
		buffer = f.buf != 0
	}
	if !buffer { // f.n is 0
		p, m := inner(pFile)
		walFileWrites.Add(1)
		return fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxWrite)(tls, p, zBuf, iAmt, iOfst)
	}
	if f.n == 0 {
		f.start = iOfst
	}
	copy(unsafe.Slice(at[byte](f.buf+uintptr(f.n)), iAmt), unsafe.Slice(at[byte](zBuf), iAmt))
	f.n += int64(iAmt)
	isCommitHdr := iAmt == 24 && *at[uint32](zBuf + 4) != 0
	rewrite := iOfst == f.lastRd // walRewriteChecksums reads a frame, then rewrites its header
	f.lastRd = -1
	switch {
	case f.commit: // the commit frame's page: the frame is complete
		f.commit = false
		return walFlush(tls, pFile)
	case isCommitHdr && rewrite: // walRewriteChecksums: no page follows
		return walFlush(tls, pFile)
	case isCommitHdr:
		f.commit = true
	}
	return lib.SQLITE_OK
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := walFlush(tls, pFile)
	f := at[walFile](pFile)
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf, f.n = 0, 0
	}
	if f.db != 0 {
		if link := at[dbLink](f.db + dbExtra); link.wal == pFile {
			link.wal = 0
		}
		f.db = 0
	}
	p, m := inner(pFile)
	if rc2 := fn[func(*libc.TLS, uintptr) int32](m.FxClose)(tls, p); rc == lib.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	at[walFile](pFile).lastRd = iOfst
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxRead)(tls, p, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, int64) int32](m.FxTruncate)(tls, p, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, int32) int32](m.FxSync)(tls, p, flags)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, uintptr) int32](m.FxFileSize)(tls, p, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
		return rc
	}
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, int32, uintptr) int32](m.FxFileControl)(tls, p, op, pArg)
}

func walLock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, int32) int32](m.FxLock)(tls, p, lock)
}

func walUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, int32) int32](m.FxUnlock)(tls, p, lock)
}

func walCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr, uintptr) int32](m.FxCheckReservedLock)(tls, p, pResOut)
}

func walSectorSize(tls *libc.TLS, pFile uintptr) int32 {
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr) int32](m.FxSectorSize)(tls, p)
}

func walDeviceCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	p, m := inner(pFile)
	return fn[func(*libc.TLS, uintptr) int32](m.FxDeviceCharacteristics)(tls, p)
}
