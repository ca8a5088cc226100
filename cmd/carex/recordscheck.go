package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// Bounds of loggedWritesMissing: the newest entries it reads, the
// entries of writes among them it checks, and the versions it reads. A
// records file that lost writes (its -wal left behind, or cut) lost its
// newest ones, whose entries are the newest writes' in the log: the first
// few find it.
const (
	writesCheckEntries  = 10000
	writesCheckWrites   = 200
	writesCheckVersions = 5000
)

// versionByID reads a version's body as a read by id finds it: its
// resource by type and id, then the version.
const versionByID = `SELECT v.raw FROM versions v JOIN resources r ON r.rid = v.rid WHERE r.type = ? AND r.id = ? AND v.version = ?`

// lostWrites is what loggedWritesMissing found.
type lostWrites struct {
	missing []string // versions the records lack (Type/id/_history/v)
	last    int64    // the newest entry that released one (its sequence number)
	checked int      // versions read
	size    int64    // the log's size: the sequence number of its next entry
}

// loggedWritesMissing reads, in the records database (records), the
// versions that the newest acknowledged writes in the access log
// (logConn: its table and journal), from sequence number from on,
// released. A version once stored is never removed, so any missing one
// was an acknowledged write that the records lost: a copy of carex.db
// restored without its -wal file, or a disk that lost a file's tail
// (review 110c: serve started on such a copy without a word, and 50
// answered creates read 404). Each is read whole, not only looked up: a
// copy whose carex.db and -wal were read at different moments holds the
// rows of versions whose bodies it lost (review 112b: serve started, and
// its creates read 500 "database disk image is malformed"); that is an
// error here. A kill of the server does none of this: its commits are
// durable before it answers. Only the newest entries of writes are read
// whole (their "kept" member; review 111b: decoding every entry, most of
// them large $everything ones, took 1.9 s of a restart).
func loggedWritesMissing(ctx context.Context, records, logConn *sql.DB, from int64) (lostWrites, error) {
	var lw lostWrites
	if err := logConn.QueryRowContext(ctx, `SELECT coalesce(max(seq), -1) + 1 FROM audit_log`).Scan(&lw.size); err != nil {
		return lw, fmt.Errorf("reading the access log: %w", err)
	}
	journal, err := auditlog.JournalEntries(ctx, logConn)
	if err != nil {
		return lw, err
	}
	var entries []*auditlog.Entry // newest first
	for i := len(journal) - 1; i >= 0; i-- {
		if e := journal[i]; e.Seq >= from {
			entries = append(entries, e)
		}
		lw.size = max(lw.size, journal[i].Seq+1)
	}
	rows, err := logConn.QueryContext(ctx, `SELECT seq, entry FROM audit_log WHERE seq >= ? AND instr(entry, ?) > 0 ORDER BY seq DESC LIMIT ?`,
		max(from, lw.size-writesCheckEntries), []byte(`"kept":`), writesCheckWrites)
	if err != nil {
		return lw, fmt.Errorf("reading the access log: %w", err)
	}
	for rows.Next() {
		var seq int64
		var b []byte
		if err := rows.Scan(&seq, &b); err != nil {
			rows.Close()
			return lw, fmt.Errorf("reading the access log: %w", err)
		}
		e, err := auditlog.Decode(b)
		if err != nil {
			rows.Close()
			return lw, fmt.Errorf("reading the access log: %w", err)
		}
		e.Seq = seq
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return lw, fmt.Errorf("reading the access log: %w", err)
	}
	stmt, err := records.PrepareContext(ctx, versionByID)
	if err != nil {
		return lw, fmt.Errorf("reading the records: %w", err)
	}
	defer stmt.Close()
	for _, e := range entries {
		if lw.checked >= writesCheckVersions {
			break
		}
		if e.Status < 200 || e.Status > 299 || len(e.Kept) == 0 {
			continue // stored nothing
		}
		for _, r := range e.Released {
			typ, rest, ok1 := strings.Cut(r, "/")
			id, v, ok2 := strings.Cut(rest, "/_history/")
			n, err := strconv.ParseInt(v, 10, 64)
			if !ok1 || !ok2 || err != nil {
				continue
			}
			lw.checked++
			var raw []byte
			switch err := stmt.QueryRowContext(ctx, typ, id, n).Scan(&raw); {
			case err == sql.ErrNoRows:
				lw.missing = append(lw.missing, r)
				lw.last = max(lw.last, e.Seq)
			case err != nil:
				return lw, fmt.Errorf("reading %s in the records: %w: %w", r, err, sqlite.ErrDamaged)
			}
		}
	}
	return lw, nil
}

// newestVersionsRead reads the records' newest versions (writesCheckVersions
// of them, by when they were stored) whole, and each again as a read by
// id finds it (byID: its type and id, then its version). A copy whose
// carex.db and -wal were read at different moments lost the pages that
// the writes between the two reads filled, and only those: later writes
// rewrote the pages around them (review 112b's probe, in a full run: 230
// creates after such a copy's 40 lost ones hid them from the newest 200
// entries of writes, and serve started; 35 of the 40 read 500). Damage
// older than those versions is not looked for (README).
func newestVersionsRead(ctx context.Context, records *sql.DB) error {
	damaged := func(what string, err error) error {
		return fmt.Errorf("reading %s in the records: %w: %w", what, err, sqlite.ErrDamaged)
	}
	byID, err := records.PrepareContext(ctx, versionByID)
	if err != nil {
		return damaged("the versions", err)
	}
	defer byID.Close()
	rows, err := records.QueryContext(ctx, `SELECT r.type, r.id, v.version, v.raw FROM versions v JOIN resources r ON r.rid = v.rid ORDER BY v.vpk DESC LIMIT ?`, writesCheckVersions)
	if err != nil {
		return damaged("the newest versions", err)
	}
	type version struct {
		typ, id string
		n       int64
	}
	var vs []version
	for rows.Next() {
		var v version
		var raw []byte
		if err := rows.Scan(&v.typ, &v.id, &v.n, &raw); err != nil {
			rows.Close()
			return damaged("the newest versions", err)
		}
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged("the newest versions", err)
	}
	for _, v := range vs {
		var raw []byte
		if err := byID.QueryRowContext(ctx, v.typ, v.id, v.n).Scan(&raw); err != nil {
			return damaged(fmt.Sprintf("%s/%s/_history/%d", v.typ, v.id, v.n), err)
		}
	}
	return nil
}

// lostWritesError is serve's refusal to start on records that lost
// acknowledged writes.
func lostWritesError(db string, lw lostWrites) error {
	return fmt.Errorf("the records database %s lacks %d versions that acknowledged writes released, as its access log records (%s first): it was copied or restored without its -wal file, or its disk lost data. Restore %s together with its -wal file from the same moment; to serve the records as they are, the lost writes recorded as an incident (the log keeps their entries), start once with --accept-lost-writes-before %d", db, len(lw.missing), lw.missing[0], db, lw.size)
}

// checkLoggedWrites is serve's check of the records (db, at path)
// against the newest writes in the access log (loggedWritesMissing), from
// where a loss was last accepted on. acceptBefore, the log position the
// refusal named, accepts a loss whose entries are all before it: it is
// recorded in the records, so that the next start checks only the entries
// after it (review 111b: the flag was needed at every start); a later
// loss is refused again, whatever the flag (review 112b: a flag left in a
// service's configuration accepted every loss after it).
func checkLoggedWrites(ctx context.Context, db *sqlite.DB, path string, acceptBefore int64, log *slog.Logger) error {
	records, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer records.Close()
	logConn, err := openReadOnly(accessLogPath(path))
	if err != nil {
		return err
	}
	defer logConn.Close()
	from, err := sqlite.LostWritesAcceptedBelow(ctx, records)
	if err != nil {
		return fmt.Errorf("checking the records against the access log: %w", err)
	}
	lw, err := loggedWritesMissing(ctx, records, logConn, from)
	switch {
	case err != nil:
		return fmt.Errorf("checking the records against the access log: %w", err)
	case len(lw.missing) > 0 && lw.last >= acceptBefore:
		return lostWritesError(path, lw)
	}
	// (before a loss is accepted: no flag serves damaged records)
	if err := newestVersionsRead(ctx, records); err != nil {
		return err
	}
	if len(lw.missing) > 0 {
		if err := db.AcceptLostWrites(ctx, acceptBefore); err != nil {
			return err
		}
		log.Warn("--accept-lost-writes-before: serving records that lack versions acknowledged writes stored, as the access log records; their entries stay in the log, and later starts check only the entries after this position", "missing", len(lw.missing), "first", lw.missing[0], "before", acceptBefore, "checked", lw.checked)
	}
	return nil
}
