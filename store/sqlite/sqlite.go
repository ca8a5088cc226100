// Package sqlite is carex's embedded store: one SQLite file in WAL mode,
// one writer connection beside a pool of readers.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/carex-project/carex/store"
)

// Options tune Open. The zero value is sensible.
type Options struct {
	Readers int // reader pool size; default 2×GOMAXPROCS, at least 4
	// PatientCache is how many patients' PatientContext are kept between
	// requests (default 20,000; negative: none).
	PatientCache int
	// Logger reports faults the store survives (a background checkpoint
	// that failed); default slog.Default().
	Logger *slog.Logger
}

// DB is a store.Store backed by one SQLite file.
type DB struct {
	path   string
	file   os.FileInfo // the file at path when opened (moved)
	closed struct {
		once sync.Once
		err  error
	}
	writer *sql.DB // exactly one connection: SQLite has one writer anyway
	reader *sql.DB
	wmu    sync.Mutex // serialises Commit so a busy writer never spins on SQLITE_BUSY
	// relabelMark: what Relabel records as the code lists while it runs (MarkRelabel).
	relabelMark string
	gmu         sync.Mutex // guards queue
	queue       []*commitReq
	wstats      writerCounters

	stRead   *sql.Stmt
	stVRead  *sql.Stmt
	stMaxVPK *sql.Stmt
	stGrant  *sql.Stmt
	stBodies *sql.Stmt
	stBody   *sql.Stmt
	ws       *writeStmts
	insMu    sync.Mutex    // guards ws.ins, prepared on the first write
	pcc      *pcCache      // nil: no cache
	changes  atomic.Uint64 // store.Store.Changes: odd while a commit is under way
	// patientChanges: store.Store.PatientChanges' own half, odd while a
	// commit that writes a Patient is under way.
	patientChanges atomic.Uint64
	// directoryChanges: store.Store.DirectoryChanges' own half, odd while
	// a commit that writes an item of store.DirectoryTypes is under way.
	directoryChanges atomic.Uint64
	wal              *walWatch
	ck               *checkpointer
	stc              stmtCache
	// retired: deleted Patients' NHS numbers or links may be kept
	// (retired_numbers, retired_links). Until one is, RetiredPatients and
	// RetiredLinks answer without a query: the sharing decision asks after
	// every Patient write, and most databases never delete one.
	retired atomic.Bool
	// retiredVPK: the largest versions key up to which no write left
	// retired has been missed. Another process's delete (carex import
	// beside the server) adds a versions key past it, and the next
	// RetiredPatients or RetiredLinks looks at the tables again.
	retiredVPK atomic.Int64

	gmuGrants sync.Mutex
	grantSubs map[string]bool // users this process knows to hold (or have held) a break-glass grant

	forgetMu sync.Mutex
	forget   []string // kept access-log entries to drop with the next write (ForgetIntents)

	lock *os.File // shared while open; exclusive during Relabel (lock_unix.go)
}

// errLocked: another process holds the store's lock the other way.
var errLocked = errors.New("locked by another process")

var _ store.Store = (*DB)(nil)

// readerCacheKiB is the page cache of the record readers together,
// shared out among them: 8 MiB each for the four of a small machine
// (SQLite's default is 2 MiB, never less). A 300-item record's pages did
// not stay in 2 MiB, and every page read again was a pread system call: 7 %
// of a 300-item $everything's CPU.
const readerCacheKiB = 32768

// readerCache is each reader's cache_size in KiB for n readers.
func readerCache(n int) int { return max(2000, readerCacheKiB/n) }

func defaultReaders() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// lockSuffix names the file beside a database that every process writing
// it holds a lock on (lock_unix.go).
const lockSuffix = "-lock"

// Files are the files the store keeps for the database at path: the
// database, SQLite's own beside it and the lock file. Nothing else may
// replace them. Where path is a symbolic link, SQLite's files and the lock
// lie beside the file it leads to, and those are listed too (review 19d).
func Files(path string) []string {
	paths := []string{path}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		paths = append(paths, real)
	}
	var files []string
	for _, p := range paths {
		files = append(files, p, p+"-wal", p+"-shm", p+"-journal", p+lockSuffix)
	}
	return files
}

// dsn puts the pragmas in the DSN so that every pooled connection gets them:
// busy_timeout first so that even the WAL switch waits instead of failing.
func dsn(path string, write bool, pragmas ...string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a commit is on disk before it is acknowledged (WAL + NORMAL
	// can lose the last commits on power loss).
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Statement journals (every INSERT that a trigger may abort) and sort
	// scratch in memory: in a file they cost a pwrite per page touched,
	// which was 40% of the access log's indexing time.
	q.Add("_pragma", "temp_store(MEMORY)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if registerWALVFS() == nil { // else SQLite's own VFS: correct, only slower
		q.Set("vfs", walVFSName)
	}
	return "file:" + path + "?" + q.Encode()
}

// OpenConns opens the database at path as the store does: one writer
// connection (IMMEDIATE transactions) and a read-only pool of readers
// (0: the default size), with the store's pragmas, and no migrations. The
// access log keeps its own database beside the records so that its
// constant appends neither wait for the records' writer nor empty the
// readers' page caches (SQLite drops a connection's cache whenever another
// commit changed its file).
func OpenConns(path string, readers int) (writer, reader *sql.DB, err error) {
	return openConns(path, readers, nil, nil)
}

// openConns is OpenConns with extra pragmas for the writer and the readers.
func openConns(path string, readers int, writerPragmas, readerPragmas []string) (writer, reader *sql.DB, err error) {
	if path == "" {
		return nil, nil, errors.New("sqlite: empty database path: set --db")
	}
	// Personal data: a new database is its owner's alone, and SQLite gives
	// the -wal and -shm files the database file's permissions.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	w, err := openPool(dsn(path, true, writerPragmas...), 1)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	if readers <= 0 {
		readers = defaultReaders()
	}
	r, err := openPool(dsn(path, false, readerPragmas...), readers)
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return w, r, nil
}

// openPool opens a pool of n connections that are kept open.
func openPool(dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// jsonInts is xs as a JSON array, for json_each: one prepared statement
// for any number of keys.
func jsonInts(xs []int64) string {
	b := make([]byte, 0, 2+12*len(xs))
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, x, 10)
	}
	return string(append(b, ']'))
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	db, err := open(ctx, path, opt)
	if Damaged(err) {
		// (review 111b's copies without their -wal, a checkpoint cut
		// short: serve said only "database disk image is malformed")
		err = fmt.Errorf("%w: %w", err, ErrDamaged)
	}
	return db, err
}

// Damaged reports whether err is SQLite finding a file damaged or no
// database.
func Damaged(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_CORRUPT || se.Code()&0xff == sqlite3.SQLITE_NOTADB)
}

// ErrDamaged is a records file SQLite finds damaged on opening it.
var ErrDamaged = errors.New("the records database is damaged; restore it together with its -wal file from one moment (copy both while carex is stopped, or with sqlite3's .backup)")

func open(ctx context.Context, path string, opt Options) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			// (review 74c: "open X: open X: no such file or directory")
			return nil, fmt.Errorf("open %s: the directory %s does not exist: create it, or name a database in another directory (--db)", path, dir)
		}
	}
	readers := opt.Readers
	if readers <= 0 {
		readers = defaultReaders()
	}
	// The background checkpointer copies most pages; see checkpoint.go.
	w, r, err := openConns(path, readers, []string{fmt.Sprintf("wal_autocheckpoint(%d)", walAutoCheckpoint)},
		[]string{fmt.Sprintf("cache_size(-%d)", readerCache(readers))})
	if err != nil {
		return nil, err
	}
	lock, err := lockShared(path)
	if errors.Is(err, errLocked) {
		err = fmt.Errorf("%s is being relabelled by another process (carex relabel): wait for it to finish", path)
	}
	if err == nil {
		err = utf8Only(ctx, w)
	}
	if err == nil {
		err = migrate(ctx, w)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{path: path, writer: w, reader: r, lock: lock}
	if db.file, err = os.Stat(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if db.ck, err = startCheckpointer(path, opt.Logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if size := opt.PatientCache; size >= 0 {
		if size == 0 {
			size = 20000
		}
		db.pcc = newPCCache(size)
		if err := db.stMaxVPK.QueryRowContext(ctx).Scan(&db.pcc.ownVPK); err != nil {
			db.Close()
			return nil, err
		}
	}
	var retired bool
	var latest int64 // first: a delete committed after it is looked for again
	if err := w.QueryRowContext(ctx, `SELECT COALESCE(MAX(vpk), 0) FROM versions`).Scan(&latest); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := w.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM retired_numbers) OR EXISTS(SELECT 1 FROM retired_links)`).Scan(&retired); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.retired.Store(retired)
	db.retiredVPK.Store(latest)
	db.wal = newWALWatch(path)
	if err := db.loadGrantSubs(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ErrEncoding: the database file stores text in another encoding than
// UTF-8. packMeta's lengths are counted by SQLite in the file's encoding
// and applied by Go to UTF-8 text, so such a file could read labels out of
// place; carex never creates one.
var ErrEncoding = errors.New("the database file's text encoding is not UTF-8, which carex needs: restore a file carex created, or copy the data into a new UTF-8 file (sqlite3 OLD .dump | sqlite3 NEW)")

func utf8Only(ctx context.Context, w *sql.DB) error {
	var enc string
	if err := w.QueryRowContext(ctx, `PRAGMA encoding`).Scan(&enc); err != nil {
		return err
	}
	if enc != "UTF-8" {
		return fmt.Errorf("%w (it is %s)", ErrEncoding, enc)
	}
	return nil
}

// metaCols is a resource's metadata as one column (see packMeta). Every
// column read through the driver costs several calls into SQLite, each
// taking the connection's mutex: a 300-item $everything read 3,600 columns
// for its metadata, about 15 % of its CPU, when each field had a column of
// its own; with labels and codes still in columns of their own the locks
// were 12 % of its CPU. concat_ws builds the packed text in one allocation;
// a chain of || made 16 per row, each through the driver's allocator and
// its process-wide lock.
var metaCols = packMeta("r.type", "r.id", "r")

// versionMetaCols is metaCols for a past version (v) of resource r.
var versionMetaCols = packMeta("r.type", "r.id", "v")

// packMeta is the SQL expression of a row's metadata as one text, read
// back by unpackMeta; t is the alias of the resources or versions table.
// Labels and codes come from the resource's content and may hold any
// character, so they go first, after their lengths in bytes:
//
//	len(labels) US len(codes) US labels codes US type US id US … US clinical US clinical_end
//
// (US: U+001F). The fixed fields follow, separated by US (concat_ws skips
// NULLs, but every column here is NOT NULL). None of them can hold the
// separator: writes holding it are refused (packable), and unpackMeta
// refuses a text whose field count or lengths are wrong rather than read
// fields out of place.
func packMeta(typ, id, t string) string {
	f := []string{"octet_length(" + t + ".labels)", "octet_length(" + t + ".codes)", t + ".labels || " + t + ".codes",
		typ, id, t + ".version", t + ".last_updated", t + ".deleted", t + ".source_org", t + ".data_class", t + ".patients", t + ".clinical", t + ".clinical_end"}
	return "concat_ws(char(31), " + strings.Join(f, ", ") + ")"
}

// packFields is the number of fixed fields after labels and codes.
const packFields = 10

func (db *DB) prepare(ctx context.Context) error {
	var err error
	prep := func(c *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = c.PrepareContext(ctx, q)
		return s
	}
	db.stRead = prep(db.reader, `SELECT `+metaCols+`, v.raw FROM resources r JOIN versions v ON v.vpk = r.vpk WHERE r.type = ? AND r.id = ?`)
	db.stMaxVPK = prep(db.reader, `SELECT COALESCE(MAX(vpk), 0) FROM versions`)
	// The keys as one JSON array: one prepared statement for any number.
	db.stBodies = prep(db.reader, `SELECT vpk, raw FROM versions WHERE vpk IN (SELECT value FROM json_each(?))`)
	// One body (a search by identifier): no JSON to parse, no IN-list.
	db.stBody = prep(db.reader, `SELECT raw FROM versions WHERE vpk = ?`)
	db.stGrant = prep(db.reader, `SELECT until FROM break_glass_grants WHERE sub = ? AND patient = ? AND org = ? AND issuer = ?`)
	db.stVRead = prep(db.reader, `SELECT `+versionMetaCols+`, v.raw
		FROM resources r JOIN versions v ON v.rid = r.rid WHERE r.type = ? AND r.id = ? AND v.version = ?`)
	if err != nil {
		return err
	}
	db.ws, err = prepareWrites(ctx, db.writer)
	return err
}

// DB exposes the writer for packages that keep their own tables in the
// same file (the access log), so one transaction can span both.
func (db *DB) Writer() *sql.DB { return db.writer }

// Reader exposes the read pool.
func (db *DB) Reader() *sql.DB { return db.reader }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Changes implements store.Store: this process's own counter (odd while
// one of its commits is under way) in the low half, and in the high half
// the WAL index's change counter, which a commit by another process on the
// same file (carex import beside the server) moves as it becomes visible.
func (db *DB) Changes() uint64 {
	own := db.changes.Load() & math.MaxUint32
	if db.wal == nil {
		return own
	}
	return uint64(db.wal.commits())<<32 | own
}

// bumpChanges moves Changes, PatientChanges too when patients and
// DirectoryChanges when directory: called once as a commit may become
// visible (odd) and once after (even).
func (db *DB) bumpChanges(patients, directory bool) {
	db.changes.Add(1)
	if patients {
		db.patientChanges.Add(1)
	}
	if directory {
		db.directoryChanges.Add(1)
	}
}

// DirectoryChanges implements store.Store as PatientChanges does, with
// this process's own count of commits that wrote an item of
// store.DirectoryTypes.
func (db *DB) DirectoryChanges(ctx context.Context) (uint64, error) {
	if db.pcc == nil {
		return db.Changes(), nil
	}
	latest, err := db.latestVPK(ctx)
	if err != nil {
		return 0, err
	}
	own := db.directoryChanges.Load() & math.MaxUint32
	return db.pcc.generation(latest)<<32 | own, nil
}

// PatientChanges implements store.Store: this process's own count of
// commits that wrote a Patient (odd while one is under way) in the low
// half, and in the high half the PatientContext cache's generation, which
// moves when a versions key this process did not write is seen (another
// process's commit: every resource write adds a row; see pcCache). Without
// that cache there is no such generation, and it is Changes.
func (db *DB) PatientChanges(ctx context.Context) (uint64, error) {
	if db.pcc == nil {
		return db.Changes(), nil
	}
	latest, err := db.latestVPK(ctx)
	if err != nil {
		return 0, err
	}
	own := db.patientChanges.Load() & math.MaxUint32
	return db.pcc.generation(latest)<<32 | own, nil
}

func (db *DB) Ping(ctx context.Context) error {
	if err := db.moved(); err != nil {
		return err
	}
	var one int
	return db.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// moved reports, as store.ErrUnavailable, that the path no longer names
// the file the store writes: someone removed or replaced it while carex
// ran. Written on, what is acknowledged would be in no file a start reads,
// and a restart would begin on an empty database (review 48c).
func (db *DB) moved() error {
	fi, err := os.Stat(db.path)
	if err == nil && os.SameFile(fi, db.file) {
		return nil
	}
	return fmt.Errorf("%w: the record database %s was removed or replaced while carex ran, so nothing more is stored: stop carex and restore it from a backup", store.ErrUnavailable, db.path)
}

// Close closes the store; later calls return the first one's result (a
// second close of the checkpointer's channel would panic).
func (db *DB) Close() error {
	db.closed.once.Do(func() { db.closed.err = db.close() })
	return db.closed.err
}

func (db *DB) close() error {
	var errs []error
	if db.lock != nil {
		defer db.lock.Close() // releases the flock
	}
	if db.ws != nil {
		// Entries now in the access log: otherwise the next start looks
		// each up in the log again.
		errs = append(errs, db.DropIntents(context.Background()))
	}
	db.stc.close()
	stmts := []*sql.Stmt{db.stRead, db.stVRead, db.stMaxVPK, db.stGrant, db.stBodies, db.stBody}
	if db.ws != nil {
		db.insMu.Lock()
		stmts = append(stmts, db.ws.all()...)
		db.insMu.Unlock()
	}
	for _, s := range stmts {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.ck != nil {
		errs = append(errs, db.ck.close())
	}
	if db.writer != nil {
		// Fold the WAL back into the main file so a copied .db is complete.
		db.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		errs = append(errs, db.writer.Close())
	}
	if db.wal != nil {
		// Last: closing its descriptor of the -shm drops this process's
		// SQLite locks on it (see shmFiles).
		db.wal.close()
	}
	return errors.Join(errs...)
}

type scanner interface{ Scan(...any) error }

func scanMeta(s scanner, extra ...any) (*store.Version, error) {
	var v store.Version
	var packed string
	if err := s.Scan(append([]any{&packed}, extra...)...); err != nil {
		return nil, err
	}
	if err := unpackMeta(packed, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// errPacked reports a packed metadata column that does not read back.
var errPacked = errors.New("stored resource metadata is malformed: the database was changed outside carex; restore it from a backup")

// unpackMeta reads what packMeta joined.
func unpackMeta(packed string, v *store.Version) error {
	nl, rest, ok1 := strings.Cut(packed, "\x1f")
	nc, rest, ok2 := strings.Cut(rest, "\x1f")
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: no lengths of labels and codes", errPacked)
	}
	labels, codes, fixed, err := splitLengths(nl, nc, rest)
	if err != nil {
		return fmt.Errorf("%w: labels and codes: %v", errPacked, err)
	}
	var f [packFields]string
	for i := range packFields - 1 {
		var ok bool
		if f[i], fixed, ok = strings.Cut(fixed, "\x1f"); !ok {
			return fmt.Errorf("%w: %d fields, want %d", errPacked, i+1, packFields)
		}
	}
	if strings.Contains(fixed, "\x1f") {
		return fmt.Errorf("%w: more than %d fields", errPacked, packFields)
	}
	f[packFields-1] = fixed
	num := func(s string) int64 {
		x, e := strconv.ParseInt(s, 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("%w: %v", errPacked, e)
		}
		return x
	}
	version, updated, deleted, clinical, clinicalEnd := num(f[2]), num(f[3]), num(f[4]), num(f[8]), num(f[9])
	if err != nil {
		return err
	}
	v.Type, v.ID, v.SourceOrg, v.DataClass = f[0], f[1], f[5], f[6]
	v.VersionID = version
	v.LastUpdated = time.UnixMilli(updated).UTC()
	v.Deleted = deleted != 0
	v.Patients = splitList(f[7])
	v.Date, v.DateEnd = clinicalDates(clinical, clinicalEnd)
	v.Labels = splitList(labels)
	v.Codes, v.OtherCodes = splitCodes(codes)
	return nil
}

// clinicalDates reads the clinical and clinical_end columns (unix ms, 0 =
// none) as store.Meta's Date and DateEnd.
func clinicalDates(clinical, end int64) (date, dateEnd time.Time) {
	if clinical != 0 {
		date = time.UnixMilli(clinical).UTC()
	}
	if end != 0 {
		dateEnd = time.UnixMilli(end).UTC()
	}
	return date, dateEnd
}

// clinicalColumns is the inverse of clinicalDates.
func clinicalColumns(date, dateEnd time.Time) (clinical, end int64) {
	if !date.IsZero() {
		clinical = date.UnixMilli()
	}
	if !dateEnd.IsZero() {
		end = dateEnd.UnixMilli()
	}
	return clinical, end
}

// splitLengths takes labels and codes, of the byte lengths nl and nc, off
// the front of rest, and the separator after them.
func splitLengths(nl, nc, rest string) (labels, codes, fixed string, err error) {
	l, err1 := strconv.Atoi(nl)
	c, err2 := strconv.Atoi(nc)
	switch {
	case err1 != nil || err2 != nil:
		return "", "", "", errors.Join(err1, err2)
	case l < 0 || c < 0 || l >= len(rest) || c >= len(rest)-l || rest[l+c] != 0x1f: // no l+c: it may overflow
		return "", "", "", fmt.Errorf("lengths %d and %d do not fit", l, c)
	}
	return rest[:l], rest[l : l+c], rest[l+c+1:], nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

func joinList(l []string) string { return strings.Join(l, " ") }

// codesMark separates, in the codes column, a version's main codes from
// its other codes (store.Meta.OtherCodes). No code is "~": each has a "|".
const codesMark = "~"

// joinCodes is the codes column of main and other codes; with no other
// codes it is what versions stored before them hold.
func joinCodes(main, other []string) string {
	if len(other) == 0 {
		return joinList(main)
	}
	if len(main) == 0 {
		return codesMark + " " + joinList(other)
	}
	return joinList(main) + " " + codesMark + " " + joinList(other)
}

// splitCodes reads a codes column back into main and other codes.
func splitCodes(s string) (main, other []string) {
	l := splitList(s)
	if i := slices.Index(l, codesMark); i > 0 {
		return l[:i:i], l[i+1:]
	} else if i == 0 {
		return nil, l[1:]
	}
	return l, nil
}

func (db *DB) Read(ctx context.Context, typ, id string) (*store.Version, error) {
	var raw []byte
	v, err := scanMeta(db.stRead.QueryRowContext(ctx, typ, id), &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s/%s: %w", typ, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", typ, id, err)
	}
	if v.Deleted {
		return v, fmt.Errorf("%s/%s: %w", typ, id, store.ErrGone)
	}
	v.Raw = raw
	return v, nil
}

func (db *DB) VRead(ctx context.Context, typ, id string, version int64) (*store.Version, error) {
	var raw []byte
	v, err := scanMeta(db.stVRead.QueryRowContext(ctx, typ, id, version), &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s/%s/_history/%d: %w", typ, id, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vread %s/%s/%d: %w", typ, id, version, err)
	}
	if v.Deleted {
		return v, fmt.Errorf("%s/%s/_history/%d: %w", typ, id, version, store.ErrGone)
	}
	v.Raw = raw
	return v, nil
}

func (db *DB) History(ctx context.Context, typ, id string, since time.Time, vis store.Visible, p store.Page) (*store.Result, error) {
	q := `SELECT ` + versionMetaCols + `, v.vpk
		FROM versions v JOIN resources r ON r.rid = v.rid WHERE 1=1`
	var args []any
	if typ != "" {
		q += ` AND r.type = ?`
		args = append(args, typ)
	}
	if id != "" {
		q += ` AND r.id = ?`
		args = append(args, id)
	}
	if !since.IsZero() {
		q += ` AND v.last_updated >= ?`
		args = append(args, since.UnixMilli())
	}
	q += ` ORDER BY v.last_updated DESC, v.vpk DESC`
	res, err := db.window(ctx, q, args, vis, p, false)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if id != "" && res.Total == 0 && vis == nil {
		return nil, fmt.Errorf("%s/%s: %w", typ, id, store.ErrNotFound)
	}
	return res, nil
}

func (db *DB) Compartment(ctx context.Context, patientID string, types []string, vis store.Visible, p store.Page) (*store.Result, error) {
	q, args := compartmentQuery(patientID, types, false)
	res, err := db.window(ctx, q, args, vis, p, false)
	if err != nil {
		return nil, fmt.Errorf("compartment of Patient/%s: %w", patientID, err)
	}
	return res, nil
}

// ScanCompartment implements store.Store. The rows are read in chunks,
// each read whole and its connection given back before each sees them (as
// window does: each may read the store), growing from a few (the first
// withheld item usually ends a scan) to scanChunk.
func (db *DB) ScanCompartment(ctx context.Context, patientID string, types []string, passOver string, each func(*store.Meta) bool) error {
	q := `SELECT ` + metaCols + `, c.rid FROM compartment c JOIN resources r ON r.rid = c.rid
		WHERE c.patient = ? AND r.deleted = 0 AND c.rid > ?`
	args := []any{patientID, int64(-1)}
	if len(types) > 0 {
		q += ` AND r.type IN (` + placeholders(len(types)) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	if passOver != "" {
		q += ` AND NOT (r.source_org = ? COLLATE NOCASE AND r.type != 'Binary')`
		args = append(args, passOver)
	}
	q += ` ORDER BY c.rid LIMIT ?`
	args = append(args, 0)
	for n := 16; ; n = min(4*n, scanChunk) {
		args[len(args)-1] = n
		rows, err := db.query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("compartment of Patient/%s: %w", patientID, err)
		}
		var chunk []*store.Version
		var rid int64
		for rows.Next() {
			v, err := scanMeta(rows, &rid)
			if err != nil {
				rows.Close()
				return fmt.Errorf("compartment of Patient/%s: %w", patientID, err)
			}
			chunk = append(chunk, v)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("compartment of Patient/%s: %w", patientID, err)
		}
		for _, v := range chunk {
			if !each(&v.Meta) {
				return nil
			}
		}
		if len(chunk) < n {
			return nil
		}
		args[1] = rid
	}
}

// scanChunk is the most rows ScanCompartment reads at once.
const scanChunk = 1024

// windowCols is the select list of a window query over resources r:
// metaCols, the version key, and with withBody the version's body.
func windowCols(withBody bool) string {
	if withBody {
		return `SELECT ` + metaCols + `, r.vpk, (SELECT raw FROM versions WHERE vpk = r.vpk)`
	}
	return `SELECT ` + metaCols + `, r.vpk`
}

// compartmentQuery selects the current resources of a patient's
// compartment (of types, if any) for window (withBody as window's).
func compartmentQuery(patientID string, types []string, withBody bool) (string, []any) {
	q := windowCols(withBody) + ` FROM compartment c JOIN resources r ON r.rid = c.rid
		WHERE c.patient = ? AND r.deleted = 0`
	args := []any{patientID}
	if len(types) > 0 {
		q += ` AND r.type IN (` + placeholders(len(types)) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	return q + ` ORDER BY c.rid`, args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// A page of at least chunkedBodies bodies is copied into shared buffers of
// at most bodyChunk bytes (unless one body is larger).
const (
	chunkedBodies = 32
	bodyChunk     = 256 << 10
)

// matchChunk is the most rows window keeps in one allocation (the first
// few allocations are smaller: most queries match a few rows).
const matchChunk = 256

// window runs a query whose rows are metaCols (or versionMetaCols) plus a
// version key, as windowCols selects them, keeps the rows vis allows, counts them, and
// returns the requested page with its bodies. With withBody the rows end
// with the body (a query expected to match a few, whose bodies one
// statement reads with their metadata): the first Offset+Count rows' bodies
// are kept while reading, as the page can only reach past them when earlier
// rows are withheld. The page's other bodies are read afterwards by key.
func (db *DB) window(ctx context.Context, q string, args []any, vis store.Visible, p store.Page, withBody bool) (*store.Result, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// All rows are read and the connection given back before vis runs:
	// vis loads patients through the same pool, and holding a connection
	// while waiting for another deadlocks once every connection is held so.
	// The versions are kept by value, in slices of up to matchChunk: a large
	// record's thousands of rows are thousands of allocations fewer, and
	// none is copied as they grow.
	type match struct {
		v    store.Version
		vpk  int64
		raw  []byte
		read bool // raw holds the body
	}
	var all []*match
	var chunk []match
	keep := 0
	if withBody {
		keep = p.Offset + p.Count
	}
	var packed string
	var vpk int64
	var raw sql.RawBytes
	dest := []any{&packed, &vpk, &raw}
	if !withBody {
		dest = dest[:2]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if len(chunk) == cap(chunk) {
			chunk = make([]match, 0, min(max(2*cap(chunk), 4), matchChunk))
		}
		chunk = append(chunk, match{vpk: vpk})
		m := &chunk[len(chunk)-1]
		all = append(all, m)
		if err := unpackMeta(packed, &m.v); err != nil {
			return nil, err
		}
		if len(all) <= keep {
			m.raw, m.read = bytes.Clone(raw), true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	res := &store.Result{}
	var unread []*store.Version
	var keys []int64
	for _, m := range all {
		if vis != nil && !vis(&m.v.Meta) {
			continue
		}
		if res.Total >= p.Offset && len(res.Items) < p.Count {
			if m.read {
				m.v.Raw = m.raw
			} else {
				unread, keys = append(unread, &m.v), append(keys, m.vpk)
			}
			res.Items = append(res.Items, &m.v)
		}
		res.Total++
	}
	if err := db.attachBodies(ctx, unread, keys); err != nil {
		return nil, err
	}
	return res, nil
}

// attachBodies reads the bodies of versions keys[i] into items[i].Raw.
func (db *DB) attachBodies(ctx context.Context, items []*store.Version, keys []int64) error {
	if len(keys) == 0 {
		return nil
	}
	if len(keys) == 1 {
		var raw []byte
		if err := db.stBody.QueryRowContext(ctx, keys[0]).Scan(&raw); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		items[0].Raw = raw
		return nil
	}
	// One query for the page's bodies.
	brows, err := db.stBodies.QueryContext(ctx, jsonInts(keys))
	if err != nil {
		return err
	}
	defer brows.Close()
	bodies := make(map[int64][]byte, len(keys))
	// Scanning into []byte copies each body into an allocation of its own.
	// A large page copies RawBytes into a few shared buffers instead, each
	// sized by the bodies still to come (a buffer lives as long as any body
	// in it: a PatientContext's few bodies must not keep a large one alive),
	// and each body capped at its length so an append cannot reach the next.
	var chunk []byte
	var n, total int
	for brows.Next() {
		var k int64
		var raw sql.RawBytes
		if err := brows.Scan(&k, &raw); err != nil {
			return err
		}
		n++
		if raw == nil {
			bodies[k] = nil
			continue
		}
		total += len(raw)
		if len(keys) < chunkedBodies {
			bodies[k] = bytes.Clone(raw)
			continue
		}
		if cap(chunk)-len(chunk) < len(raw) {
			rest := total / n * (len(keys) - n + 1)
			chunk = make([]byte, 0, min(max(rest, len(raw)), max(bodyChunk, len(raw))))
		}
		at := len(chunk)
		chunk = append(chunk, raw...)
		bodies[k] = chunk[at:len(chunk):len(chunk)]
	}
	if err := brows.Err(); err != nil {
		return err
	}
	for i, k := range keys {
		items[i].Raw = bodies[k]
	}
	return nil
}
