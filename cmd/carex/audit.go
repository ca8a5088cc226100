package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// defaultLogKey is where the access-log signing key lives by default: next
// to the development token key, never in the database it signs.
func defaultLogKey() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "carex-log-key"
	}
	return filepath.Join(dir, "carex", "log-key")
}

const logKeyName = "carex-access-log"

// accessLogPath is the access log's own database, beside the records:
// carex.db → carex-access.db (its journal: carex-access.db-audit).
func accessLogPath(db string) string {
	return strings.TrimSuffix(db, ".db") + "-access.db"
}

// logDB is the database the audit commands read for --db FILE: the access
// log's database beside FILE, or FILE itself (the access-log database
// named directly, or a record database from before the log had its own).
func logDB(db string) string {
	if p := accessLogPath(db); p != db {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return db
}

// logDBWarn is logDB, and warns when the record database named still holds
// an access log of its own beside the access-log database (a move the
// server refused, or an old carex still running): that one is not read.
func logDBWarn(db string, stderr io.Writer) string {
	p := logDB(db)
	if p == db {
		return p
	}
	if conn, err := openReadOnly(db); err == nil {
		if has, err := auditlog.HasLog(context.Background(), conn); err == nil && has {
			fmt.Fprintf(stderr, "warning: %s still holds an access log of its own, not read here; this reads %s (check the older one with --db on a copy of %s with %s moved aside)\n", db, p, db, p)
		}
		conn.Close()
	}
	return p
}

// accessLog is the access log with the connections to its database.
type accessLog struct {
	*auditlog.Log
	w, r *sql.DB
}

// Close flushes the log (and signs a final checkpoint), then closes its
// database.
func (a *accessLog) Close() error {
	err := a.Log.Close()
	a.r.Close()
	if cerr := a.w.Close(); err == nil {
		err = cerr
	}
	return err
}

// openAccessLog opens the access log in its own database beside the
// records (accessLogPath), signing checkpoints with the key at keyPath
// (created on first use). A log still kept in the record database (carex
// before 2026-12) is first moved there, entry for entry.
func openAccessLog(ctx context.Context, records *sqlite.DB, keyPath, checkpointCopy string, newLog bool, log *slog.Logger) (*accessLog, error) {
	// Before anything is created: a new, empty log in the place of one that
	// was deleted would hide the deletion — unless the operator says a new
	// one is meant (serve --new-access-log: a copy of served records for a
	// test or benchmark server, or a loss already recorded as an incident).
	if gone, err := accessLogGone(ctx, records.Reader(), records.Path()); err != nil {
		return nil, err
	} else if gone != "" && !newLog {
		return nil, fmt.Errorf("%s.\nThis is an information-governance incident: carex will not start a new, empty access log in its place (if a new log is meant — a copy of these records for a test server, or a loss already recorded — start it with --new-access-log)", gone)
	} else if gone != "" {
		log.Warn("starting a new, empty access log in the place of one that is missing, as --new-access-log asks", "records", records.Path())
	}
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		return nil, err
	}
	if err := keyForLog(ctx, records, keyPath); err != nil {
		return nil, err
	}
	signer, verifier, err := auditlog.LoadOrCreateKey(keyPath, logKeyName)
	if err != nil {
		return nil, fmt.Errorf("access log key: %w", err)
	}
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the access-log signing key (--log-key) is readable by other users: anyone who can read it can sign a forged checkpoint; make it the server user's alone (chmod 600)",
			"file", keyPath, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	path := accessLogPath(records.Path())
	w, r, err := sqlite.OpenConns(path, 0)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	fail := func(err error) (*accessLog, error) {
		r.Close()
		w.Close()
		return nil, accessLogErr(path, err)
	}
	legacy, err := auditlog.HasLog(ctx, records.Writer())
	if err != nil {
		return fail(err)
	}
	if legacy {
		// Index whatever its journal holds and sign a final checkpoint, so
		// that the tables are the whole log, then move them.
		old, err := auditlog.Open(ctx, records.Writer(), records.Reader(), auditlog.Options{Signer: signer})
		if err != nil {
			return fail(fmt.Errorf("the log in the record database: %w", err))
		}
		if err := old.Close(); err != nil {
			return fail(fmt.Errorf("the log in the record database: %w", err))
		}
		if err := auditlog.Relocate(ctx, records.Writer(), w); err != nil {
			return fail(err)
		}
		if err := os.Remove(records.Path() + auditlog.JournalSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fail(err)
		}
		log.Info("moved the access log out of the record database into its own", "file", path)
	}
	if checkpointCopy != "" {
		if err := notOwnFile(checkpointCopy, records.Path(), path, keyPath); err != nil {
			return fail(err)
		}
	}
	l, err := auditlog.Open(ctx, w, r, auditlog.Options{Signer: signer, CheckpointCopy: checkpointCopy,
		Verifiers: note.VerifierList(verifier), Logger: log})
	switch {
	case errors.Is(err, auditlog.ErrBehindSaved):
		err = fmt.Errorf("%w.\nThis is an information-governance incident: carex will not add to a log that lost entries. Run carex audit verify --db %s --pubkey %s.pub --checkpoint %s to see what was lost. Once it is recorded, move %s aside and make a new copy from the log as it now is (carex audit checkpoint --out) to serve again", err, records.Path(), keyPath, checkpointCopy, checkpointCopy)
	case errors.Is(err, auditlog.ErrWrongKey):
		err = fmt.Errorf("%w.\nIs --log-key %s the key that signed this log? Point --log-key at that key (its public key verifies the log: carex audit verify --db %s --pubkey FILE)", err, keyPath, records.Path())
	case errors.Is(err, auditlog.ErrTampered):
		err = fmt.Errorf("%w.\nThis is an information-governance incident: carex will not add to a log that does not verify. Run carex audit verify --db %s --pubkey %s.pub (with --checkpoint FILE for each checkpoint saved outside the database, such as the --checkpoint-copy) to see what was changed, record it, and restore the access log from a backup that verifies before serving again", err, records.Path(), keyPath)
	case errors.Is(err, auditlog.ErrNoSaved):
		err = fmt.Errorf("%w.\nIf a copy was kept there, it is gone (is the share mounted?): find it before serving. If copies are kept from now on, make sure the directory exists, check the log and make the first copy with the server stopped:\n  carex audit verify --db %s --pubkey %s.pub && carex audit checkpoint --db %s --pubkey %s.pub --out %s", err, records.Path(), keyPath, records.Path(), keyPath, checkpointCopy)
	}
	if err != nil {
		return fail(err)
	}
	if err := records.MarkAccessLog(ctx, time.Now()); err != nil {
		l.Close()
		return fail(err)
	}
	return &accessLog{Log: l, w: w, r: r}, nil
}

// openRecords opens the record database for a command that writes to it
// (serve, import, relabel, gen) and records there, if it is not yet, that
// the records have an access log when one is found: a log an earlier carex
// made, before the records kept that (noteAccessLog).
func openRecords(ctx context.Context, path string, log *slog.Logger) (*sqlite.DB, error) {
	if err := notAccessLogDB(ctx, path); err != nil {
		return nil, err
	}
	if err := recordsGone(ctx, path); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	if err := noteAccessLog(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// recordsGone refuses to create a record database at path beside an
// access log: the records it logged were deleted or replaced, and a
// server started on a new, empty database answered 404 for every change
// it had acknowledged, its log verifying (review 48c); serve, import, gen
// and relabel all open the records here (review 49b: an import made them
// anew, and serve then started).
func recordsGone(ctx context.Context, path string) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil // there (or not ours to judge: sqlite.Open says why)
	}
	logPath := accessLogPath(path)
	if _, err := os.Stat(logPath); err != nil {
		return nil
	}
	conn, err := openReadOnly(logPath)
	if err != nil {
		return err
	}
	defer conn.Close()
	if has, err := auditlog.HasLog(ctx, conn); err != nil || !has {
		return nil // (not a log: noteAccessLog's and serve's checks say so)
	}
	return fmt.Errorf("the record database %s is missing, but there is an access log beside it, %s, which only a server of those records makes: they were deleted or moved. Restore them (%s and its -wal file) from a backup; to start afresh on purpose, move the access log away first", path, logPath, path)
}

// notAccessLogDB refuses the access log's own database given as the
// records (--db carex-access.db, a tab-completion away from carex.db): it
// holds the log's tables and none of the records', which serve took for a
// record database of an earlier carex, moving the real log out into
// carex-access-access.db and dropping it from its file (review 10d); import
// and relabel wrote the records' tables into it. Checked read-only, before
// anything is created.
func notAccessLogDB(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return nil // a new database
	}
	conn, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer conn.Close()
	var logTables, records int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name = 'audit_log'), count(*) FILTER (WHERE name = 'resources') FROM sqlite_master WHERE type = 'table'`).Scan(&logTables, &records); err != nil {
		return nil // not a database sqlite.Open can read either: it says why
	}
	if logTables == 0 || records > 0 {
		return nil
	}
	recs := "the record database beside it"
	if strings.HasSuffix(path, "-access.db") {
		recs = strings.TrimSuffix(path, "-access.db") + ".db"
	}
	return fmt.Errorf("--db %s is carex's access log, not a record database: give --db the records (%s); the access log is kept beside them and found from their name", path, recs)
}

// noteAccessLog records in the record database that it has an access log,
// if one is there and that is not recorded yet. From then on an access log
// that is missing was deleted or replaced (accessLogGone), where a database
// loaded by carex import and never served has none and verifies as empty.
// Any file at the access log's place counts: only carex serve creates one
// (the audit commands open it read-only), and it creates the log's tables
// at once, so one without them was emptied or replaced, and is not read
// here (import must not fail on the log's account).
func noteAccessLog(ctx context.Context, records *sqlite.DB) error {
	if _, ok, err := sqlite.AccessLogSince(ctx, records.Reader()); err != nil || ok {
		return err
	}
	present, err := auditlog.HasLog(ctx, records.Reader())
	if err != nil {
		return err
	}
	if _, err := os.Stat(accessLogPath(records.Path())); err == nil {
		present = true
	}
	if !present {
		return nil
	}
	return records.MarkAccessLog(ctx, time.Now())
}

// accessLogState reports whether the records at path (open as records)
// have an access log: its tables in the access-log database beside them,
// or in the record database itself (carex before 2026-12). If not, why
// says what is there instead.
func accessLogState(ctx context.Context, records *sql.DB, path string) (present bool, why string, err error) {
	if legacy, err := auditlog.HasLog(ctx, records); err != nil || legacy {
		return legacy, "", err
	}
	logPath := accessLogPath(path)
	if _, err := os.Stat(logPath); errors.Is(err, os.ErrNotExist) {
		return false, "is missing", nil
	} else if err != nil {
		return false, "", err
	}
	conn, err := openReadOnly(logPath)
	if err != nil {
		return false, "", accessLogErr(logPath, err)
	}
	defer conn.Close()
	has, err := auditlog.HasLog(ctx, conn)
	if err != nil {
		return false, "", accessLogErr(logPath, err)
	}
	if !has {
		return false, "holds no access log", nil
	}
	return true, "", nil
}

// accessLogErr is err in opening or reading the access log at path,
// saying so when SQLite finds the file damaged (a copy without its -wal
// after a checkpoint was cut short, a disk's fault: reviews 111b, 120a,
// it said only "database disk image is malformed").
func accessLogErr(path string, err error) error {
	if sqlite.Damaged(err) {
		return fmt.Errorf("access log %s: %w: %w, and run carex audit verify on it", path, err, errAccessLogDamaged)
	}
	return fmt.Errorf("access log %s: %w", path, err)
}

// errAccessLogDamaged: SQLite finds the access log's file damaged.
var errAccessLogDamaged = errors.New("the access log is damaged; restore it together with its -wal file from one moment (copy both while carex is stopped)")

// accessLogGone describes an access log that the records at path (open as
// records) have had, and that is no longer there: deleted, or replaced by a
// file without one. "" if the log is there, or the records never had one
// (loaded by carex import and never served).
func accessLogGone(ctx context.Context, records *sql.DB, path string) (string, error) {
	since, ok, err := sqlite.AccessLogSince(ctx, records)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if !ok {
		return "", nil
	}
	present, why, err := accessLogState(ctx, records, path)
	if err != nil || present {
		return "", err
	}
	when := ""
	if !since.IsZero() {
		when = " on " + since.Format(time.RFC3339)
	}
	logPath := accessLogPath(path)
	return fmt.Sprintf("the access log was deleted or replaced: carex recorded%s that %s has an access log, but %s %s. Restore the access log (%s and its journal %s, if kept) from a backup, then run carex audit verify",
		when, path, logPath, why, logPath, logPath+auditlog.JournalSuffix), nil
}

// accessLogGoneAt is accessLogGone for the audit commands' --db: the
// record database is opened read-only (and only if it exists: --db may
// name the access-log database itself).
func accessLogGoneAt(ctx context.Context, path string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", nil
	}
	conn, err := openReadOnly(path)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return accessLogGone(ctx, conn, path)
}

// keyForLog refuses to make a new signing key for a log that already has
// entries or a public key: its checkpoints were signed with a key carex
// cannot find (a restore without it, another --log-key), and a new one
// would leave the log verifiable under neither.
func keyForLog(ctx context.Context, records *sqlite.DB, keyPath string) error {
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	missing := func(why string) error {
		return fmt.Errorf("the access-log signing key %s is missing, but %s: restore the key that signed it (or point --log-key at it); carex will not sign the log with a new key, which would leave it unverifiable", keyPath, why)
	}
	if _, err := os.Stat(keyPath + ".pub"); err == nil {
		return missing("its public key " + keyPath + ".pub is there")
	}
	if legacy, err := auditlog.HasLog(ctx, records.Writer()); err == nil && legacy {
		return missing("the record database holds an access log")
	}
	path := accessLogPath(records.Path())
	if _, err := os.Stat(path); err != nil {
		return nil // no log yet
	}
	db, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := auditlog.LogSize(ctx, db); err == nil && n > 0 {
		return missing(fmt.Sprintf("the access log %s holds %d entries", path, n))
	}
	return nil
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return errUsage
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout, stderr)
	case "export":
		return cmdAuditExport(ctx, args[1:], stdout, stderr)
	case "prove":
		return cmdAuditProve(ctx, args[1:], stdout, stderr)
	case "checkpoint":
		return cmdAuditCheckpoint(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, auditUsage)
		return nil
	}
	fmt.Fprintf(stderr, "carex audit: unknown subcommand %q (have: verify, export, prove, checkpoint)\n", args[0])
	return errUsage
}

const auditUsage = `Usage:
  carex audit verify [--db FILE] [--pubkey FILE] [--checkpoint FILE]...
      check the whole access log offline; names the first entry that fails;
      with --checkpoint, also that the log extends a checkpoint saved elsewhere
  carex audit checkpoint [--db FILE] [--pubkey FILE] [--out FILE]
      the latest signed checkpoint, checked, to keep outside the database
  carex audit export [--db FILE] [--since WHEN] [--until WHEN] [--zone ZONE] [--site URL] [--out FILE]
      the access log as NDJSON of FHIR R4 AuditEvent (IHE BALP shapes)
  carex audit prove --seq N [--db FILE] [--pubkey FILE] [--json]
      an inclusion proof that entry N is in a signed checkpoint, checked offline
`

var errTampered = errors.New("the access log does not verify")

// openForCheck opens the database read-only and loads the log's public key.
func openForCheck(ctx context.Context, db, pub string, stderr io.Writer) (*sql.DB, note.Verifiers, error) {
	db = logDBWarn(db, stderr)
	conn, err := openReadOnly(db)
	if err != nil {
		return nil, nil, err
	}
	verifiers, err := auditlog.LoadVerifiers(pub)
	if err != nil {
		// A database with no log yet (imported, never served) needs no
		// key to say so (review 74c: on a machine where no server had run,
		// verify failed on the missing key instead of reporting an empty
		// log); the callers see the absent log before any use of the key.
		if absent, aerr := noLog(ctx, conn); aerr == nil && absent {
			return conn, nil, nil
		}
		conn.Close()
		return nil, nil, fmt.Errorf("--pubkey: %w: give --pubkey the public key of the server that signed this log (the .pub beside its --log-key, %s.pub by default, on the server's host)", err, defaultLogKey())
	}
	return conn, verifiers, nil
}

// logCheckFlags registers the flags of the commands that check the log:
// the database and the log's public key.
func logCheckFlags(fs *flag.FlagSet, db, pub *string) {
	fs.StringVar(db, "db", "carex.db", "SQLite database file")
	fs.StringVar(pub, "pubkey", defaultLogKey()+".pub", "the access log's public key (a signed-note verifier key)")
}

// openReadOnly opens an existing database for the audit commands without
// the right to change it: they must not alter the file they check.
func openReadOnly(db string) (*sql.DB, error) {
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("--db %s: %w: name the server's record database with --db FILE", db, err)
	}
	return sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)")
}

// noLog reports whether the database holds no access log at all: one
// loaded by carex import and never served (import writes nothing to the
// log; carex serve creates it). That is an empty log. A log that lost its
// tables would still have its journal, or a checkpoint saved elsewhere:
// the callers check those.
func noLog(ctx context.Context, conn *sql.DB) (bool, error) {
	has, err := auditlog.HasLog(ctx, conn)
	if sqlite.Damaged(err) {
		return false, fmt.Errorf("reading the access log: %w: %w", err, errAccessLogDamaged)
	}
	if err != nil {
		return false, fmt.Errorf("reading the access log: %w", err)
	}
	return !has, nil
}

// logAbsent is noLog for the audit commands that check a log: an absent
// log the records say they had was deleted or replaced, which it prints
// as FAILED and returns as errTampered.
func logAbsent(ctx context.Context, conn *sql.DB, db string, stdout io.Writer) (bool, error) {
	absent, err := noLog(ctx, conn)
	if err != nil || !absent {
		return absent, err
	}
	gone, err := accessLogGoneAt(ctx, db)
	if err != nil {
		return true, err
	}
	if gone != "" {
		fmt.Fprintf(stdout, "FAILED: %s\n", gone)
		return true, errTampered
	}
	return true, nil
}

// emptyLogNote says what an absent access log means.
func emptyLogNote(db string) string {
	return fmt.Sprintf("the access log is empty: %s holds no access log yet (a database loaded by carex import and never served, or served only with --bench-no-privacy; carex serve starts the log)", db)
}

func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", "audit verify [--db FILE] [--pubkey FILE] [--checkpoint FILE]...", stderr)
	var db, pub string
	var savedPaths stringList
	logCheckFlags(fs, &db, &pub)
	fs.Var(&savedPaths, "checkpoint", "a signed checkpoint kept outside the database (serve --checkpoint-copy, audit checkpoint): the log must extend it; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 { // review 19b: verify /backup/carex.db checked ./carex.db
		return fmt.Errorf("unexpected arguments %q: name the database with --db FILE", fs.Args())
	}
	conn, verifiers, err := openForCheck(ctx, db, pub, stderr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if verifiers == nil && len(savedPaths) > 0 {
		return fmt.Errorf("--checkpoint needs the log's public key: give --pubkey the .pub beside the server's --log-key")
	}
	var saved []*auditlog.SavedCheckpoint
	for _, p := range savedPaths {
		s, err := auditlog.ReadSavedCheckpoint(p, verifiers)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		saved = append(saved, s)
	}
	if absent, err := logAbsent(ctx, conn, db, stdout); err != nil {
		return err
	} else if absent {
		return verifyNoLog(ctx, conn, logDB(db), saved, stdout)
	}
	rep, err := auditlog.VerifyWith(ctx, conn, verifiers, saved)
	if sqlite.Damaged(err) {
		// (review 120a: it printed "entries: 0" and SQLite's words alone)
		fmt.Fprintf(stdout, "FAILED: the access log %s is damaged, SQLite cannot read it whole (%v): restore it together with its -wal file from one moment; entries up to the newest signed checkpoint kept elsewhere (serve --checkpoint-copy) can be proved against it\n", logDB(db), err)
		return errTampered
	}
	if rep != nil && rep.OK() && err == nil {
		fmt.Fprintf(stdout, "entries: %d\ncheckpoints: %d (latest covers %d entries)\n", rep.Entries, rep.Checkpoints, rep.LatestCheckpoint)
		for _, s := range saved {
			fmt.Fprintf(stdout, "saved checkpoint %s: %d entries, extended by the log\n", s.Path, s.Size)
		}
	} // a failed verification stops at its first problem: no counts, which would be partial
	if rep != nil && rep.Warning != "" {
		fmt.Fprintf(stdout, "note: %s\n", rep.Warning)
	}
	if errors.Is(err, auditlog.ErrTampered) || (rep != nil && !rep.OK()) {
		fmt.Fprintln(stdout, failedLine(rep))
		return errTampered
	}
	if err != nil {
		return err
	}
	if n, err := changesUnlogged(ctx, db, conn); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(stdout, "note: %d changes are stored without their own access-log entries (the server stopped, or its log failed, between the two): the entries are kept with the changes in %s, and carex serve adds them to the log at its next start, marked %s\n", n, db, api.ReasonEntryRecovered)
	}
	if missing, err := recordsLackWrites(ctx, db, conn); err != nil {
		return err
	} else if len(missing) > 0 {
		fmt.Fprintf(stdout, "note: the records database %s lacks %d versions that acknowledged writes released, as the log records (%s first): it was copied or restored without its -wal file, or its disk lost data; the log itself is whole\n", db, len(missing), missing[0])
	}
	fmt.Fprintln(stdout, "OK: every entry and checkpoint verifies")
	return nil
}

// recordsLackWrites is loggedWritesMissing for verify, whose --db may be
// the access log's own file checked alone (no records beside it).
func recordsLackWrites(ctx context.Context, db string, logConn *sql.DB) ([]string, error) {
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	records, err := openReadOnly(db)
	if err != nil {
		return nil, err
	}
	defer records.Close()
	if has, err := auditlog.HasLog(ctx, logConn); err != nil || !has {
		return nil, err
	}
	var n int
	if err := records.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'versions'`).Scan(&n); err != nil || n == 0 {
		return nil, err // not a records database
	}
	from, err := sqlite.LostWritesAcceptedBelow(ctx, records)
	if err != nil {
		return nil, err
	}
	lw, err := loggedWritesMissing(ctx, records, logConn, from)
	if err == nil {
		err = newestVersionsRead(ctx, records)
	}
	return lw.missing, err
}

// failedLine is verify's one line on a log that does not verify.
func failedLine(rep *auditlog.Report) string {
	switch {
	case rep.FirstBad >= 0:
		return fmt.Sprintf("FAILED at entry %d: %s", rep.FirstBad, rep.Problem)
	case rep.BadCheckpoint >= 0:
		return fmt.Sprintf("FAILED at checkpoint %d: %s", rep.BadCheckpoint, rep.Problem)
	default: // the schema or an index: no one entry
		return "FAILED: " + rep.Problem
	}
}

// changesUnlogged counts the access-log entries kept with changes in the
// records database db whose own entries the log (logConn, tables and
// journal) does not hold. Read in the order that leaves none out while a
// server runs: the kept copies first (a copy goes only once its entry is
// in the log), then the journal, then the tables.
func changesUnlogged(ctx context.Context, db string, logConn *sql.DB) (int, error) {
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return 0, nil // the access log's database checked on its own (a copy of it)
	}
	records, err := openReadOnly(db)
	if err != nil {
		return 0, err
	}
	defer records.Close()
	ins, err := sqlite.ReadIntents(ctx, records)
	if err != nil || len(ins) == 0 {
		return 0, err
	}
	journal, err := auditlog.JournalEntries(ctx, logConn)
	if err != nil {
		return 0, err
	}
	size, err := auditlog.LogSize(ctx, logConn)
	if err != nil {
		return 0, err
	}
	_, logged, err := api.KeptEntriesLogged(ins, size+int64(len(journal)), func(from int64, fn func(*auditlog.Entry) error) error {
		for _, e := range journal {
			if e.Seq >= from {
				if err := fn(e); err != nil {
					return err
				}
			}
		}
		return auditlog.Scan(ctx, logConn, auditlog.Query{SeqFrom: from}, fn)
	})
	n := 0
	for _, ok := range logged {
		if !ok {
			n++
		}
	}
	return n, err
}

// verifyNoLog verifies a database without access-log tables as the empty
// log it is, unless something says the log had entries: its journal, or a
// checkpoint saved elsewhere that covers any.
func verifyNoLog(ctx context.Context, conn *sql.DB, db string, saved []*auditlog.SavedCheckpoint, stdout io.Writer) error {
	journal, err := auditlog.JournalEntries(ctx, conn)
	if err != nil {
		return err
	}
	if len(journal) > 0 {
		fmt.Fprintf(stdout, "FAILED: %s has no access-log tables, but its access journal holds %d entries: the log's tables were removed\n", db, len(journal))
		return errTampered
	}
	for _, sc := range saved {
		if sc.Size > 0 {
			fmt.Fprintf(stdout, "FAILED: saved checkpoint %s covers %d entries, but %s holds no access log: the log was removed\n", sc.Path, sc.Size, db)
			return errTampered
		}
	}
	fmt.Fprintf(stdout, "entries: 0\ncheckpoints: 0\nOK: %s; nothing to verify\n", emptyLogNote(db))
	return nil
}

// notOwnFile refuses a checkpoint copy at one of the files the server
// keeps itself: replacing it would destroy that file (the journal, a key,
// the lock file relabel relies on).
func notOwnFile(copyPath, recordsDB, logDB, keyPath string) error {
	var own []string
	for _, db := range []string{recordsDB, logDB} {
		own = append(append(own, sqlite.Files(db)...), db+auditlog.JournalSuffix)
	}
	own = append(own, keyPath, keyPath+".pub")
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return filepath.Clean(a)
		}
		return p
	}
	ci, cerr := os.Stat(copyPath)
	for _, f := range own {
		if abs(f) == abs(copyPath) {
			return fmt.Errorf("--checkpoint-copy %s is one of carex's own files: name a file of its own, on storage apart from the database", copyPath)
		}
		if fi, err := os.Stat(f); cerr == nil && err == nil && os.SameFile(ci, fi) {
			return fmt.Errorf("--checkpoint-copy %s is the same file as %s: name a file of its own, on storage apart from the database", copyPath, f)
		}
	}
	return nil
}

// cmdAuditCheckpoint prints the latest signed checkpoint after checking
// its signature and that the stored tree gives its root, for an IG officer
// to keep where the database's administrators cannot reach it.
func cmdAuditCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit checkpoint", "audit checkpoint [--db FILE] [--pubkey FILE] [--out FILE]", stderr)
	var db, pub, out string
	logCheckFlags(fs, &db, &pub)
	fs.StringVar(&out, "out", "-", "output file (- for standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 { // review 19b: verify /backup/carex.db checked ./carex.db
		return fmt.Errorf("unexpected arguments %q: name the database with --db FILE", fs.Args())
	}
	conn, verifiers, err := openForCheck(ctx, db, pub, stderr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if absent, err := logAbsent(ctx, conn, db, stdout); err != nil {
		return err
	} else if absent {
		return fmt.Errorf("%s: no checkpoint signed yet (one is signed every 1000 entries, every 10 seconds and at shutdown): %w", emptyLogNote(logDB(db)), auditlog.ErrEmpty)
	}
	ck, err := auditlog.LatestCheckpoint(ctx, conn, verifiers)
	if errors.Is(err, auditlog.ErrTampered) {
		fmt.Fprintf(stdout, "FAILED: %v\n", err)
		return errTampered
	}
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = stdout.Write(ck)
		return err
	}
	// Replacing a copy with the checkpoint of a log that does not extend
	// it would erase the evidence of a cut.
	if prev, err := auditlog.ReadSavedCheckpoint(out, verifiers); err == nil {
		if err := auditlog.CheckSaved(ctx, conn, prev); err != nil {
			fmt.Fprintf(stdout, "FAILED: %v\n%s is left as it was: run carex audit verify --checkpoint %s\n", err, out, out)
			return errTampered
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--out %s holds something that is not this log's checkpoint, left as it was: %w", out, err)
	}
	return auditlog.SaveCheckpoint(out, ck)
}

// cmdAuditProve prints an inclusion proof of one entry: the entry, the
// signed checkpoint and the audit path, checked before it is printed, so
// an IG officer can hand a single entry to a third party with its proof.
func cmdAuditProve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit prove", "audit prove --seq N [--db FILE] [--pubkey FILE] [--json]", stderr)
	var db, pub string
	var seq requiredInt
	var asJSON bool
	logCheckFlags(fs, &db, &pub)
	fs.Var(&seq, "seq", "the entry to prove (required): its sequence number, which is the id of its AuditEvent; the first entry is 0")
	fs.BoolVar(&asJSON, "json", false, "print the proof as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 { // review 19b: verify /backup/carex.db checked ./carex.db
		return fmt.Errorf("unexpected arguments %q: name the database with --db FILE", fs.Args())
	}
	if !seq.set {
		fs.Usage()
		return fmt.Errorf("--seq is required: the entry's sequence number (the id of its AuditEvent)")
	}
	if seq.n < 0 {
		return fmt.Errorf("--seq %d: sequence numbers start at 0", seq.n)
	}
	conn, verifiers, err := openForCheck(ctx, db, pub, stderr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if absent, err := logAbsent(ctx, conn, db, stdout); err != nil {
		return err
	} else if absent {
		return fmt.Errorf("--seq %d: %s: %w", seq.n, emptyLogNote(logDB(db)), auditlog.ErrEmpty)
	}
	// ProveEntry's answer for an entry past the end is that a running server
	// copies new entries in within a second, even with no server running
	// and --seq far past the end: say how long the log is instead.
	if size, err := auditlog.LogSize(ctx, conn); err == nil && seq.n >= size {
		return pastTheEnd(logDB(db), seq.n, size)
	}
	p, err := auditlog.ProveEntry(ctx, conn, seq.n, verifiers)
	if errors.Is(err, auditlog.ErrTampered) {
		fmt.Fprintf(stdout, "FAILED: %v\n", err)
		return errTampered
	}
	if err != nil {
		return err
	}
	hashes := make([]string, len(p.Hashes))
	for i, h := range p.Hashes {
		hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	if asJSON {
		out, err := json.MarshalIndent(map[string]any{
			"seq": p.Seq, "entry": json.RawMessage(p.Entry), "leafHash": base64.StdEncoding.EncodeToString(func() []byte { h := tlog.RecordHash(p.Entry); return h[:] }()),
			"treeSize": p.Size, "root": base64.StdEncoding.EncodeToString(p.Root[:]), "checkpoint": string(p.Checkpoint), "auditPath": hashes,
		}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return nil
	}
	fmt.Fprintf(stdout, "entry %d:\n%s\n\nsigned checkpoint (tree size %d):\n%s\naudit path (RFC 6962, leaf to root):\n", p.Seq, p.Entry, p.Size, p.Checkpoint)
	for _, h := range hashes {
		fmt.Fprintf(stdout, "  %s\n", h)
	}
	fmt.Fprintf(stdout, "OK: entry %d is included in the signed checkpoint of size %d\n", p.Seq, p.Size)
	return nil
}

// pastTheEnd is the error for --seq at or past the end of the log's
// tables (size entries). Entries a server has written but not yet copied
// into the tables are in its journal: it copies them within a second while
// it runs, or at its next start after a crash. Only then is SQLite's -wal
// file beside the database not empty (a clean stop removes it; a read-only
// reader such as this command leaves an empty one), so only then is the
// server mentioned.
func pastTheEnd(path string, seq, size int64) error {
	var msg string
	switch size {
	case 0:
		msg = fmt.Sprintf("no entry %d: the access log in %s has no entries yet", seq, path)
	case 1:
		msg = fmt.Sprintf("no entry %d: the access log in %s has 1 entry, 0, so --seq must be 0", seq, path)
	default:
		msg = fmt.Sprintf("no entry %d: the access log in %s has %d entries, 0 to %d, so --seq must be below %d", seq, path, size, size-1, size)
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		msg += "; a server has this log open (or stopped without closing it): an entry it wrote in the last second reaches these tables within a second while it runs, or at its next start, so try again then"
	}
	return errors.New(msg)
}

// requiredInt is an integer flag without a default: help shows none (an
// Int64Var needs a default, and -1 for "not given" meant nothing to a
// user), and set tells whether the flag was given.
type requiredInt struct {
	n   int64
	set bool
}

func (r *requiredInt) String() string {
	if r == nil || !r.set {
		return ""
	}
	return strconv.FormatInt(r.n, 10)
}

func (r *requiredInt) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not a whole number")
	}
	r.n, r.set = n, true
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// cmdAuditExport writes the access log as NDJSON, one FHIR AuditEvent per
// line, oldest first, streaming from a read-only connection.
func cmdAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit export", "audit export [--db FILE] [--since WHEN] [--until WHEN] [--zone ZONE] [--site URL] [--out FILE] [--pubkey FILE] [--no-verify]", stderr)
	var db, since, until, out, site, zone, pub string
	var noVerify bool
	logCheckFlags(fs, &db, &pub)
	fs.BoolVar(&noVerify, "no-verify", false, "do not check the whole log first (as audit verify does); without it, an export of a log that does not verify is still written, with a warning, and exits 1")
	fs.StringVar(&since, "since", "", "only entries from this time: a FHIR date or dateTime (2026-03-01, 2026-03-01T09:00:00Z; one without a zone is read in --zone) or a duration back from now (24h)")
	fs.StringVar(&until, "until", "", "only entries up to the end of this date or time (same forms as --since)")
	fs.StringVar(&out, "out", "-", "output file (- for standard output); an existing file is replaced only when empty or an earlier export")
	fs.StringVar(&site, "site", "", "source.site of each AuditEvent, e.g. the server's public base URL")
	fs.StringVar(&zone, "zone", "Europe/London", "time zone of --since and --until dates and times given without one: IG's working hours' zone, as the API's date= reads them (the policy's alert-working-hours zone); UTC for UTC days")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("--zone %q: %v (an IANA zone name, such as Europe/London or UTC)", zone, err)
	}
	var q auditlog.Query
	if q.From, err = exportTime(since, false, loc); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if q.To, err = exportTime(until, true, loc); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		// A period the wrong way round holds no entry: an empty export
		// would read as "nobody accessed it" (review 10d).
		return fmt.Errorf("--since %s is not before the end of --until %s: the period holds no entry (give the earlier time as --since)", since, until)
	}
	if out != "-" && out != "" {
		if err := notADatabase(out, db); err != nil {
			return fmt.Errorf("--out %s: %v; export writes NDJSON: name a new file (or an earlier export)", out, err)
		}
	}
	conn, err := openReadOnly(logDBWarn(db, stderr))
	if err != nil {
		return err
	}
	defer conn.Close()
	absent, err := noLog(ctx, conn)
	if err != nil {
		return err
	}
	// An export handed to a subject access request or an inquiry is the
	// log as stored now: say so when that is not what was logged (review
	// 90a: a log edited in SQL was exported silently, exit 0).
	failed := ""
	if !absent && !noVerify {
		// Held to the key as verify is (review 92a: a log re-signed with
		// another key was exported clean where the default key was the
		// right one): a copy of another server's log needs its key. With
		// no key at all, all but the signatures is checked.
		given := flagGiven(fs, "pubkey")
		verifiers, kerr := auditlog.LoadVerifiers(pub)
		if kerr != nil {
			if given {
				return fmt.Errorf("--pubkey: %w (--no-verify exports without the check)", kerr)
			}
			verifiers = nil
			fmt.Fprintf(stderr, "note: no log key at %s: the log is checked without its checkpoints' signatures (give --pubkey the .pub of the server that wrote it)\n", pub)
		}
		rep, verr := auditlog.Verify(ctx, conn, verifiers)
		switch {
		case errors.Is(verr, auditlog.ErrTampered) || (rep != nil && !rep.OK()):
			failed = failedLine(rep)
			hint := ""
			if strings.Contains(rep.Problem, "not signed by a trusted log key") && !given {
				hint = " (if this is a copy of another server's log, give --pubkey the .pub of its --log-key)"
			}
			fmt.Fprintf(stderr, "WARNING: the access log does not verify (%s)%s: the export holds the entries as they are stored now, which may not be what was logged; run carex audit verify --db %s\n", failed, hint, db)
		case verr != nil:
			return fmt.Errorf("export: checking the log: %w (--no-verify exports without the check)", verr)
		}
	}
	w := stdout
	var f *os.File
	if out != "-" && out != "" {
		if f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	opt := auditlog.FHIROptions{Site: site}
	n := 0
	write := func(e *auditlog.Entry) error {
		n++
		bw.Write(auditlog.AuditEventJSON(e, opt))
		return bw.WriteByte('\n')
	}
	// Acknowledged entries not yet in the tables (a server running, or
	// stopped by a crash) are in the journal: read first, so that with the
	// table snapshot after it nothing falls between (JournalEntries).
	journal, err := auditlog.JournalEntries(ctx, conn)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var size int64
	if absent {
		if gone, err := accessLogGoneAt(ctx, db); err != nil {
			return err
		} else if gone != "" {
			return fmt.Errorf("export: %s", gone)
		}
		if len(journal) > 0 {
			return fmt.Errorf("export: %s has no access-log tables, but its access journal holds %d entries: the log's tables were removed (run carex audit verify)", logDB(db), len(journal))
		}
		fmt.Fprintf(stderr, "%s: nothing to export\n", emptyLogNote(logDB(db)))
	} else if size, err = exportTables(ctx, conn, q, write); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, e := range journal {
		if e.Seq < size {
			continue // the tables hold it
		}
		if e.Seq != size {
			return fmt.Errorf("export: entry %d is missing: the access journal continues at entry %d (run carex audit verify)", size, e.Seq)
		}
		size++
		if (q.From.IsZero() || !e.Time.Before(q.From)) && (q.To.IsZero() || e.Time.Before(q.To)) {
			if err := write(e); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		var serr error
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			serr = f.Sync() // a pipe or device cannot be synced (EINVAL)
		}
		if err := errors.Join(serr, f.Close()); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d AuditEvents to %s\n", n, out)
	}
	if failed != "" {
		return errTampered
	}
	return nil
}

// databaseFileOf is which of carex's files for the records database db
// (its write-ahead log and WAL index, the access log's database and its
// journal, theirs) fi is, or "".
func databaseFileOf(fi os.FileInfo, db string) string {
	for _, p := range []string{db, accessLogPath(db)} {
		for _, f := range []string{p, p + "-wal", p + "-shm", p + "-audit"} {
			if g, err := os.Stat(f); err == nil && os.SameFile(fi, g) {
				return f
			}
		}
	}
	return ""
}

// notADatabase refuses an output file that is a database: one of carex's
// files for db (the records, the access log, their -wal, -shm and -audit
// files) or any SQLite database. "audit export --out carex-access.db"
// truncated the access log to nothing before reading it (review 10d). An
// existing file is overwritten only when it is empty or an earlier export.
func notADatabase(out, db string) error {
	fi, err := os.Stat(out)
	if err != nil {
		return nil // a new file
	}
	if f := databaseFileOf(fi, db); f != "" {
		return fmt.Errorf("it is %s, one of carex's database files", f)
	}
	if !fi.Mode().IsRegular() {
		// A pipe or device (--out /dev/stdout | gzip) is neither a
		// database nor truncated; reading it to look waited for ever
		// (review 11b).
		return nil
	}
	f, err := os.Open(out)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	if n == 16 && string(head) == "SQLite format 3\x00" {
		return errors.New("it is an SQLite database")
	}
	if n == 0 {
		return nil // empty
	}
	// Anything else but an earlier export is someone's file: a saved
	// checkpoint, the log's signing key, another database's access journal
	// or write-ahead log were truncated (review 11b).
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	first, _ := bufio.NewReaderSize(io.LimitReader(f, 1<<20), 64<<10).ReadString('\n')
	var ev struct {
		ResourceType string `json:"resourceType"`
	}
	if json.Unmarshal([]byte(first), &ev) != nil || ev.ResourceType != "AuditEvent" {
		return errors.New("it holds something other than an earlier export (its first line is not an AuditEvent): it may be a checkpoint, a key or a journal")
	}
	return nil
}

// exportTables writes the entries q selects from the tables, in one read
// transaction, and says how many entries the tables held then.
func exportTables(ctx context.Context, db *sql.DB, q auditlog.Query, write func(*auditlog.Entry) error) (int64, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	size, err := auditlog.LogSize(ctx, tx)
	if err != nil {
		return 0, err
	}
	return size, auditlog.Scan(ctx, tx, q, write)
}

// exportTime reads a FHIR date/dateTime or a duration back from now; end
// selects the end of the period a date covers (for --until, exclusive).
func exportTime(s string, end bool, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			// -24h would be 24 hours ahead: a period with no entries yet.
			return time.Time{}, fmt.Errorf("%q: a duration back from now is positive (24h, not -24h)", s)
		}
		return time.Now().Add(-d), nil
	}
	lo, hi, err := search.ParseDateIn(s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date or time (2026-03-01, 2026-03-01T09:00:00Z) nor a duration back from now (24h, 90m): %w", s, err)
	}
	if end {
		return time.UnixMilli(hi + 1), nil
	}
	return time.UnixMilli(lo), nil
}
