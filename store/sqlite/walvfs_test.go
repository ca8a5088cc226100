package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// snapshot copies the database and its WAL as they are on disk now, with
// the connections still open (as a crash would leave them), and opens the
// copy with SQLite's own VFS: what it reads is what the files hold, not
// what a buffer might.
func snapshot(t *testing.T, path string) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copy.db"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "copy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check of the copy: %q, %v", ok, err)
	}
	return db
}

// digest is a hash of table t's rows in key order.
func digest(t *testing.T, db *sql.DB) (int, [32]byte) {
	t.Helper()
	rows, err := db.Query(`SELECT k, v FROM t ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var k int64
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%d:%x;", k, v)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n, [32]byte(h.Sum(nil))
}

// createT is the table the tests write.
const createT = `CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL)`

// testConns opens path as the store does (plus writerPragmas), closed when
// the test ends.
func testConns(t *testing.T, path string, writerPragmas ...string) (w, r *sql.DB) {
	t.Helper()
	w, r, err := openConns(path, 1, writerPragmas, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return w, r
}

// exec runs q on db, a *sql.DB, *sql.Tx or *sql.Conn.
func exec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// filesMatch fails unless the files on disk (snapshot) hold the rows db
// reads; why says what a difference would mean.
func filesMatch(t *testing.T, path string, db *sql.DB, why string) {
	t.Helper()
	want, wantSum := digest(t, db)
	if got, sum := digest(t, snapshot(t, path)); got != want || sum != wantSum {
		t.Fatalf("the files hold %d rows (digest %x), the database %d (%x): %s", got, sum[:4], want, wantSum[:4], why)
	}
}

// writerConn opens one more writer connection on path (another pool on
// the same file, as another process would be), closed when the test ends.
func writerConn(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := openPool(dsn(path, true), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// useAgain reads through db's connection: the moment a buffer left behind
// by its failed or rolled-back transaction would reach the file.
func useAgain(db *sql.DB) error {
	var n int
	return db.QueryRow(`SELECT count(*) FROM t`).Scan(&n)
}

// vfsTest is for calling the VFS's functions directly: a TLS, SQLite-style
// names and zeroed file structures in C memory, freed when the test ends.
func vfsTest(t *testing.T) (tls *libc.TLS, cname func(string) uintptr, file func() uintptr) {
	t.Helper()
	if err := registerWALVFS(); err != nil {
		t.Fatal(err)
	}
	tls = libc.NewTLS()
	t.Cleanup(tls.Close) // first registered: runs after the frees
	alloc := func(n int) uintptr {
		p := libc.Xcalloc(tls, 1, uint64(n))
		t.Cleanup(func() { libc.Xfree(tls, p) })
		return p
	}
	cname = func(path string) uintptr {
		p := alloc(len(path) + 4) // SQLite's names end in several NULs
		copy(unsafe.Slice(at[byte](p), len(path)), path)
		return p
	}
	file = func() uintptr { return alloc(int(walVFSData.FszOsFile)) }
	return tls, cname, file
}

func value(k, round int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%06d-%03d|", k, round)), 100) // 1,100 bytes
}

// Every commit's WAL frames are in the WAL file when Commit returns, and
// they went out in far fewer writes than SQLite made.
func TestWALBufferReachesFileAtCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	w, r := testConns(t, path)
	exec(t, w, createT)
	writes, fileWrites := walWrites.Load(), walFileWrites.Load()
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2000 {
		exec(t, tx, `INSERT INTO t VALUES (?, ?)`, k, value(k, 0))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	writes, fileWrites = walWrites.Load()-writes, walFileWrites.Load()-fileWrites
	// About 700 pages, each a header and a page: 1,400 writes by SQLite,
	// 2.7 MiB in pieces of 124 KiB.
	if writes < 1000 || fileWrites == 0 || fileWrites > writes/20 {
		t.Fatalf("a 2,000-row commit: SQLite wrote %d times, the files %d times; want the writes gathered", writes, fileWrites)
	}
	// Small commits, each synced on its own.
	for k := range 50 {
		exec(t, w, `UPDATE t SET v = ? WHERE k = ?`, value(k, 1), k*37)
	}
	filesMatch(t, path, r, "committed frames were not written")
}

// A transaction larger than the writer's page cache spills pages into the
// WAL before it commits and writes some of them again (SQLite then reads
// frames back to recompute checksums): out-of-order writes and reads
// between them must see the buffer written first.
func TestWALBufferSpillAndRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	w, r := testConns(t, path, "cache_size(-64)")
	exec(t, w, createT)
	for round := range 3 {
		tx, err := w.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for k := range 1500 {
			exec(t, tx, `INSERT OR REPLACE INTO t VALUES (?, ?)`, k, value(k, round))
		}
		for k := 0; k < 1500; k += 3 {
			exec(t, tx, `UPDATE t SET v = ? WHERE k = ?`, value(k, 10+round), k)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := digest(t, r); n != 1500 {
		t.Fatalf("%d rows, want 1500", n)
	}
	filesMatch(t, path, r, "frames spilled or rewritten inside a transaction were lost")
}

// The WAL file's methods, called as SQLite calls them: a read sees the
// writes before it, wherever they are (buffered or not), an overwrite of
// buffered bytes wins, and after a sync the file holds them all.
func TestWALFileReadsItsOwnWrites(t *testing.T) {
	tls, cname, file := vfsTest(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "v.db-wal")
	if err := os.WriteFile(filepath.Join(dir, "v.db"), nil, 0o600); err != nil {
		t.Fatal(err) // the unix VFS takes a WAL file's mode from its database
	}
	pFile := file()
	flags := int32(lib.SQLITE_OPEN_WAL | lib.SQLITE_OPEN_READWRITE | lib.SQLITE_OPEN_CREATE)
	if rc := openWALFile(tls, cname(path), pFile, flags, 0); rc != lib.SQLITE_OK { // no pager: not linked to a database
		t.Fatalf("open: %d", rc)
	}
	want := make([]byte, 4*4096)
	write := func(off int, b []byte) {
		t.Helper()
		copy(want[off:], b)
		if rc := walWrite(tls, pFile, uintptr(unsafe.Pointer(&b[0])), int32(len(b)), int64(off)); rc != lib.SQLITE_OK {
			t.Fatalf("write at %d: %d", off, rc)
		}
	}
	check := func(off, n int) {
		t.Helper()
		got := make([]byte, n)
		if rc := walRead(tls, pFile, uintptr(unsafe.Pointer(&got[0])), int32(n), int64(off)); rc != lib.SQLITE_OK {
			t.Fatalf("read at %d: %d", off, rc)
		}
		if !bytes.Equal(got, want[off:off+n]) {
			t.Fatalf("read %d bytes at %d: not what was written", n, off)
		}
	}
	write(0, append([]byte("hhhh"), make([]byte, 20)...)) // a frame header, not a commit's
	write(24, bytes.Repeat([]byte("a"), 4096))
	check(24, 4096) // from the buffer's range
	write(4120, bytes.Repeat([]byte("b"), 4096))
	write(24, bytes.Repeat([]byte("c"), 100)) // back over buffered bytes
	write(8216, bytes.Repeat([]byte("d"), 4096))
	check(0, 8216+4096)
	write(8216, bytes.Repeat([]byte("D"), 4096)) // buffered again: only the sync writes it
	if rc := walSync(tls, pFile, lib.SQLITE_SYNC_NORMAL); rc != lib.SQLITE_OK {
		t.Fatalf("sync: %d", rc)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, want[:8216+4096]) {
		t.Fatalf("after sync the file holds %d bytes, not those written (%v)", len(b), err)
	}
	write(12312, bytes.Repeat([]byte("e"), 10))
	if rc := walClose(tls, pFile); rc != lib.SQLITE_OK {
		t.Fatalf("close: %d", rc)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, want[:12322]) {
		t.Fatalf("after close the file holds %d bytes, not those written (%v)", len(b), err)
	}
}

// A transaction that spilled frames into the WAL and rolled back must not
// leave them to be written later, over frames another writer has
// committed since (another process, or another pool on the same file).
func TestWALBufferRollbackThenOtherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	a, _ := testConns(t, path, "cache_size(-64)")
	b, br := testConns(t, path)
	exec(t, b, createT)
	for round, spill := range []int{60, 120, 250, 800} {
		// An empty WAL: the next writer starts it again from its header.
		exec(t, b, `PRAGMA wal_checkpoint(TRUNCATE)`)
		tx, err := a.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for k := range spill {
			exec(t, tx, `INSERT INTO t VALUES (?, ?)`, 10000*(round+1)+k, value(k, 90+round))
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		for k := range 40 {
			exec(t, b, `INSERT OR REPLACE INTO t VALUES (?, ?)`, k*7, value(k*7, round))
		}
		if err := useAgain(a); err != nil {
			t.Fatal(err)
		}
	}
	var undone int
	if err := br.QueryRow(`SELECT count(*) FROM t WHERE k >= 10000`).Scan(&undone); err != nil || undone != 0 {
		t.Fatalf("%d rows of rolled-back transactions are in the database (%v)", undone, err)
	}
	filesMatch(t, path, br, "a rolled-back transaction's frames overwrote committed ones")
}

// A connection that turns syncing off at run time (carex gen does) still
// gets its frames written before other connections can see its commits.
func TestWALBufferUnsyncedCommitsVisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	w, r := testConns(t, path)
	exec(t, w, createT)
	// Old frames at the offsets the next commits reuse.
	for k := range 300 {
		exec(t, w, `INSERT INTO t VALUES (?, ?)`, k, value(k, 0))
	}
	exec(t, w, `PRAGMA wal_checkpoint(TRUNCATE)`)
	exec(t, w, `PRAGMA synchronous=OFF`)
	for k := range 300 {
		exec(t, w, `UPDATE t SET v = ? WHERE k = ?`, value(k, 1), k)
	}
	// Another connection copies the committed frames into the database.
	ck := writerConn(t, path)
	exec(t, ck, `PRAGMA wal_checkpoint(PASSIVE)`)
	rows, err := r.Query(`SELECT k, v FROM t ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v, value(k, 1)) {
			t.Fatalf("row %d reads %.20q…, want its committed value %.20q…", k, v, value(k, 1))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// The database file's wal-index barrier (between the two header copies
// that publish a commit) writes its WAL's buffer; closing the database
// unlinks the WAL. The link is made by hand here, as walOpen makes it
// through the pager.
func TestWALBarrierFlushesLinkedBuffer(t *testing.T) {
	tls, cname, file := vfsTest(t)
	dir := t.TempDir()
	rw := int32(lib.SQLITE_OPEN_READWRITE | lib.SQLITE_OPEN_CREATE)
	db, wal := file(), file()
	if rc := walOpen(tls, uintptr(unsafe.Pointer(&walVFSData)), cname(filepath.Join(dir, "b.db")), db, rw|lib.SQLITE_OPEN_MAIN_DB, 0); rc != lib.SQLITE_OK {
		t.Fatalf("open database: %d", rc)
	}
	if !isOurDB(at[lib.Tsqlite3_file](db).FpMethods) {
		t.Fatal("the database file does not have the hooked methods")
	}
	walPath := filepath.Join(dir, "b.db-wal")
	if rc := openWALFile(tls, cname(walPath), wal, rw|lib.SQLITE_OPEN_WAL, 0); rc != lib.SQLITE_OK {
		t.Fatalf("open WAL: %d", rc)
	}
	at[dbLink](db+dbExtra).wal, at[walFile](wal).db = wal, db
	b := bytes.Repeat([]byte("f"), 4096+24)
	if rc := walWrite(tls, wal, uintptr(unsafe.Pointer(&b[0])), int32(len(b)), 32); rc != lib.SQLITE_OK {
		t.Fatalf("write: %d", rc)
	}
	if got, _ := os.ReadFile(walPath); len(got) != 0 {
		t.Fatalf("the WAL file holds %d bytes before the barrier; want them buffered", len(got))
	}
	m := at[lib.Tsqlite3_io_methods](at[lib.Tsqlite3_file](db).FpMethods)
	fn[func(*libc.TLS, uintptr)](m.FxShmBarrier)(tls, db)
	if got, _ := os.ReadFile(walPath); len(got) != 32+len(b) || !bytes.Equal(got[32:], b) {
		t.Fatalf("after the barrier the WAL file holds %d bytes, want the %d written at 32", len(got), len(b))
	}
	if rc := fn[func(*libc.TLS, uintptr) int32](m.FxClose)(tls, db); rc != lib.SQLITE_OK {
		t.Fatalf("close database: %d", rc)
	}
	if at[walFile](wal).db != 0 {
		t.Fatal("closing the database left its WAL linked to it")
	}
	if rc := walClose(tls, wal); rc != lib.SQLITE_OK {
		t.Fatalf("close WAL: %d", rc)
	}
}

// locking_mode EXCLUSIVE -> NORMAL: the rollback that ends WAL exclusive
// mode releases the write lock through the database file's own lock
// (xUnlock), with spilled frames buffered.
func TestWALBufferExclusiveToNormalRollback(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	a, _ := testConns(t, path, "cache_size(-64)")
	b := writerConn(t, path)
	exec(t, b, createT)
	for k := range 20 {
		exec(t, b, `INSERT INTO t VALUES (?, ?)`, k, value(k, 0))
	}
	exec(t, b, `PRAGMA wal_checkpoint(TRUNCATE)`)
	b.Close()
	conn, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec(t, conn, `PRAGMA locking_mode=EXCLUSIVE`)
	exec(t, conn, `INSERT INTO t VALUES (100, x'00')`) // enters WAL exclusive mode
	exec(t, conn, `DELETE FROM t WHERE k = 100`)
	exec(t, conn, `PRAGMA locking_mode=NORMAL`)
	exec(t, conn, `BEGIN`)
	rows, err := conn.QueryContext(ctx, `SELECT k FROM t`) // keeps the read transaction
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no row")
	}
	for k := range 300 {
		exec(t, conn, `INSERT INTO t VALUES (?, ?)`, 10000+k, value(k, 9))
	}
	exec(t, conn, `ROLLBACK`)
	b, br := testConns(t, path)
	for k := range 40 {
		exec(t, b, `INSERT OR REPLACE INTO t VALUES (?, ?)`, k, value(k, 1))
	}
	rows.Close() // ends a's read transaction: the late flush
	filesMatch(t, path, br, "frames of the rollback that ended exclusive mode were written late")
}

// synchronous=OFF: a commit whose frames cannot be written must fail, not
// be published (a PASSIVE checkpoint would then copy stale frames into the
// database).
func TestWALBufferFailedCommitUnderSyncOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	w, r := testConns(t, path)
	ck := writerConn(t, path)
	exec(t, w, createT)
	for k := range 300 {
		exec(t, w, `INSERT INTO t VALUES (?, ?)`, k, value(k, 0))
	}
	if _, err := ck.Exec(`PRAGMA wal_checkpoint(RESTART)`); err != nil { // stale frames stay in the file
		t.Fatal(err)
	}
	exec(t, w, `PRAGMA synchronous=OFF`)
	walFlushFails.Store(true)
	_, cerr := w.Exec(`UPDATE t SET v = ? WHERE k < 30`, value(0, 1))
	var busy, frames, copied int
	ck.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	walFlushFails.Store(false)
	if cerr == nil {
		t.Errorf("a commit whose frames could not be written succeeded (the checkpoint then copied %d of %d frames)", copied, frames)
	}
	useAgain(w)
	ck.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	var ok string
	if err := r.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %.200q %v", ok, err)
	}
}

// synchronous=FULL: a commit fails because its frames cannot be written;
// SQLite rolls back and releases the write lock. What stayed buffered must
// not be written later over the frames another writer commits.
func TestWALBufferFailedFlushDroppedAtUnlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	a, _ := testConns(t, path)
	b, br := testConns(t, path)
	exec(t, b, createT)
	for k := range 40 {
		exec(t, b, `INSERT INTO t VALUES (?, ?)`, k, value(k, 0))
	}
	walFlushFails.Store(true)
	_, err := a.Exec(`UPDATE t SET v = ? WHERE k < 20`, value(0, 7))
	walFlushFails.Store(false)
	if err == nil {
		t.Fatal("a commit whose frames could not be written succeeded")
	}
	for k := range 40 {
		exec(t, b, `UPDATE t SET v = ? WHERE k = ?`, value(k, 1), k)
	}
	useAgain(a)
	filesMatch(t, path, br, "bytes of the failed commit were written late")
}
