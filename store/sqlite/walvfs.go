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
// WAL file are gathered in a buffer and reach the file as one pwrite when
// SQLite syncs, reads, truncates or closes it. SQLite writes each WAL
// frame with two pwrite calls (its 24-byte header, then the page); system
// calls are dear on a virtual machine, and a 15-entry bundle's commit
// wrote about 130 frames: those pwrites were 14 % of the server's CPU
// under transaction load, inside the single writer's serial section.
//
// Safe only because every connection syncs at commit (synchronous=FULL,
// which dsn sets and the access log checks): SQLite publishes a commit's
// frames to other connections (the wal-index) after that sync, which
// writes the buffer first. Under synchronous=NORMAL a commit is published
// without any call into the VFS, and readers would read the WAL before the
// buffer reached it; dsn therefore never names this VFS without FULL.
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

// walFile is the start of the sqlite3_file SQLite allocates for a WAL file
// opened through walVFS; the base VFS's own file follows at walInner.
type walFile struct {
	methods uintptr // sqlite3_file.pMethods: &walMethods
	buf     uintptr // walBufSize bytes of C memory, 0 until the first write
	start   int64   // file offset of buf's first byte
	n       int64   // bytes waiting in buf
}

var walInner = (unsafe.Sizeof(walFile{}) + 7) &^ 7

var (
	walOnce    sync.Once
	walErr     error
	baseVFS    uintptr // the default VFS walVFS wraps
	walVFSData lib.Tsqlite3_vfs
	walMethods lib.Tsqlite3_io_methods
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
		walVFSData = *base
		walVFSData.FszOsFile = base.FszOsFile + int32(walInner)
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

func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := fn[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32](at[lib.Tsqlite3_vfs](baseVFS).FxOpen)
	if flags&lib.SQLITE_OPEN_WAL == 0 {
		return open(tls, baseVFS, zName, pFile, flags, pOutFlags) // the base VFS's own file
	}
	f := at[walFile](pFile)
	*f = walFile{}
	if rc := open(tls, baseVFS, zName, pFile+walInner, flags, pOutFlags); rc != lib.SQLITE_OK {
		return rc
	}
	f.methods = uintptr(unsafe.Pointer(&walMethods))
	return lib.SQLITE_OK
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
	p, m := inner(pFile)
	write := fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxWrite)
	n := f.n
	f.n = 0
	for off := int64(0); off < n; off += walWriteMax {
		walFileWrites.Add(1)
		if rc := write(tls, p, f.buf+uintptr(off), int32(min(walWriteMax, n-off)), f.start+off); rc != lib.SQLITE_OK {
			return rc
		}
	}
	return lib.SQLITE_OK
}

func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	walWrites.Add(1)
	f := at[walFile](pFile)
	if f.n > 0 && (iOfst != f.start+f.n || f.n+int64(iAmt) > walBufSize || int64(iAmt) > walWriteMax) {
		if rc := walFlush(tls, pFile); rc != lib.SQLITE_OK {
			return rc
		}
	}
	if f.buf == 0 && int64(iAmt) <= walWriteMax {
		f.buf = libc.Xmalloc(tls, walBufSize)
	}
	if f.buf == 0 || int64(iAmt) > walWriteMax { // unbuffered (f.n is 0)
		p, m := inner(pFile)
		walFileWrites.Add(1)
		return fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxWrite)(tls, p, zBuf, iAmt, iOfst)
	}
	if f.n == 0 {
		f.start = iOfst
	}
	copy(unsafe.Slice(at[byte](f.buf+uintptr(f.n)), iAmt), unsafe.Slice(at[byte](zBuf), iAmt))
	f.n += int64(iAmt)
	return lib.SQLITE_OK
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := walFlush(tls, pFile)
	f := at[walFile](pFile)
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf = 0
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
