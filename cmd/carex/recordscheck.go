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
// entries of writes among them it checks, and the versions it looks up. A
// records file that lost writes (its -wal left behind, or cut) lost its
// newest ones, whose entries are the newest writes' in the log: the first
// few find it.
const (
	writesCheckEntries  = 10000
	writesCheckWrites   = 200
	writesCheckVersions = 5000
)

// loggedWritesMissing lists the versions that the newest acknowledged
// writes in the access log (logConn: its table and journal), from
// sequence number from on, released and the records database (records)
// does not hold, with how many it looked up and the log's size. A version
// once stored is never removed, so any missing one was an acknowledged
// write that the records lost: a copy of carex.db restored without its
// -wal file, or a disk that lost a file's tail (review 110c: serve
// started on such a copy without a word, and 50 answered creates read
// 404). A kill of the server does not do this: its commits are durable
// before it answers. Only the newest entries of writes are read whole
// (their "kept" member; review 111b: decoding every entry, most of them
// large $everything ones, took 1.9 s of a restart).
func loggedWritesMissing(ctx context.Context, records, logConn *sql.DB, from int64) (missing []string, checked int, size int64, err error) {
	if err := logConn.QueryRowContext(ctx, `SELECT coalesce(max(seq), -1) + 1 FROM audit_log`).Scan(&size); err != nil {
		return nil, 0, 0, fmt.Errorf("reading the access log: %w", err)
	}
	journal, err := auditlog.JournalEntries(ctx, logConn)
	if err != nil {
		return nil, 0, 0, err
	}
	var entries []*auditlog.Entry // newest first
	for i := len(journal) - 1; i >= 0; i-- {
		if e := journal[i]; e.Seq >= from {
			entries = append(entries, e)
		}
		size = max(size, journal[i].Seq+1)
	}
	rows, err := logConn.QueryContext(ctx, `SELECT entry FROM audit_log WHERE seq >= ? AND instr(entry, ?) > 0 ORDER BY seq DESC LIMIT ?`,
		max(from, size-writesCheckEntries), []byte(`"kept":`), writesCheckWrites)
	if err != nil {
		return nil, 0, size, fmt.Errorf("reading the access log: %w", err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, 0, size, fmt.Errorf("reading the access log: %w", err)
		}
		e, err := auditlog.Decode(b)
		if err != nil {
			rows.Close()
			return nil, 0, size, fmt.Errorf("reading the access log: %w", err)
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, size, fmt.Errorf("reading the access log: %w", err)
	}
	stmt, err := records.PrepareContext(ctx, `SELECT 1 FROM versions v JOIN resources r ON r.rid = v.rid WHERE r.type = ? AND r.id = ? AND v.version = ?`)
	if err != nil {
		return nil, 0, size, fmt.Errorf("reading the records: %w", err)
	}
	defer stmt.Close()
	for _, e := range entries {
		if checked >= writesCheckVersions {
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
			checked++
			var one int
			switch err := stmt.QueryRowContext(ctx, typ, id, n).Scan(&one); {
			case err == sql.ErrNoRows:
				missing = append(missing, r)
			case err != nil:
				return nil, checked, size, fmt.Errorf("reading the records: %w", err)
			}
		}
	}
	return missing, checked, size, nil
}

// lostWritesError is serve's refusal to start on records that lost
// acknowledged writes.
func lostWritesError(db string, missing []string) error {
	return fmt.Errorf("the records database %s lacks %d versions that acknowledged writes released, as its access log records (%s first): it was copied or restored without its -wal file, or its disk lost data. Restore %s together with its -wal file from the same moment; to serve the records as they are, the lost writes recorded as an incident (the log keeps their entries), start once with --accept-lost-writes", db, len(missing), missing[0], db)
}

// checkLoggedWrites is serve's check of the records (db, at path)
// against the newest writes in the access log (loggedWritesMissing), from
// where a loss was last accepted on. With accept, a loss found is
// accepted: recorded in the records, so that the next start checks only
// the entries after it (review 111b: the flag was needed at every start,
// and left in a service's configuration it would hide the next loss).
func checkLoggedWrites(ctx context.Context, db *sqlite.DB, path string, accept bool, log *slog.Logger) error {
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
	missing, checked, size, err := loggedWritesMissing(ctx, records, logConn, from)
	switch {
	case err != nil:
		return fmt.Errorf("checking the records against the access log: %w", err)
	case len(missing) > 0 && !accept:
		return lostWritesError(path, missing)
	case len(missing) > 0:
		if err := db.AcceptLostWrites(ctx, size); err != nil {
			return err
		}
		log.Warn("--accept-lost-writes: serving records that lack versions acknowledged writes stored, as the access log records; their entries stay in the log, and the next start checks only the entries after this one", "missing", len(missing), "first", missing[0], "checked", checked)
	}
	return nil
}
