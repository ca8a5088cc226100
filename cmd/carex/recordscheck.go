package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/carex-project/carex/store/auditlog"
)

// Bounds of loggedWritesMissing: the newest entries it reads, and the
// versions it looks up. A records file that lost its newest writes (its
// -wal left behind, or cut) lost them at the end of the log.
const (
	writesCheckEntries  = 10000
	writesCheckVersions = 5000
)

// loggedWritesMissing lists the versions that the newest acknowledged
// writes in the access log (logConn: its table and journal) released and
// the records database (records) does not hold, with how many it looked
// up. A version once stored is never removed, so any missing one was an
// acknowledged write that the records lost: a copy of carex.db restored
// without its -wal file, or a disk that lost a file's tail (review 110c:
// serve started on such a copy without a word, and 50 answered creates
// read 404). A kill of the server does not do this: its commits are
// durable before it answers.
func loggedWritesMissing(ctx context.Context, records, logConn *sql.DB) (missing []string, checked int, err error) {
	var entries []*auditlog.Entry
	rows, err := logConn.QueryContext(ctx, `SELECT entry FROM (SELECT seq, entry FROM audit_log ORDER BY seq DESC LIMIT ?) ORDER BY seq`, writesCheckEntries)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the access log: %w", err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("reading the access log: %w", err)
		}
		e, err := auditlog.Decode(b)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("reading the access log: %w", err)
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading the access log: %w", err)
	}
	journal, err := auditlog.JournalEntries(ctx, logConn)
	if err != nil {
		return nil, 0, err
	}
	entries = append(entries, journal...)
	stmt, err := records.PrepareContext(ctx, `SELECT 1 FROM versions v JOIN resources r ON r.rid = v.rid WHERE r.type = ? AND r.id = ? AND v.version = ?`)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the records: %w", err)
	}
	defer stmt.Close()
	// newest first: what a lost file tail takes
	for i := len(entries) - 1; i >= 0 && checked < writesCheckVersions; i-- {
		e := entries[i]
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
				return nil, checked, fmt.Errorf("reading the records: %w", err)
			}
		}
	}
	return missing, checked, nil
}

// lostWritesError is serve's refusal to start on records that lost
// acknowledged writes.
func lostWritesError(db string, missing []string) error {
	return fmt.Errorf("the records database %s lacks %d versions that acknowledged writes released, as its access log records (%s first): it was copied or restored without its -wal file, or its disk lost data. Restore %s together with its -wal file from the same moment; to serve the records as they are, the lost writes recorded as an incident (the log keeps their entries), start once with --accept-lost-writes", db, len(missing), missing[0], db)
}

// checkLoggedWrites is serve's check of the records against the newest
// writes in the access log (loggedWritesMissing).
func checkLoggedWrites(ctx context.Context, db string, accept bool, log *slog.Logger) error {
	records, err := openReadOnly(db)
	if err != nil {
		return err
	}
	defer records.Close()
	logConn, err := openReadOnly(accessLogPath(db))
	if err != nil {
		return err
	}
	defer logConn.Close()
	missing, checked, err := loggedWritesMissing(ctx, records, logConn)
	switch {
	case err != nil:
		return fmt.Errorf("checking the records against the access log: %w", err)
	case len(missing) > 0 && !accept:
		return lostWritesError(db, missing)
	case len(missing) > 0:
		log.Warn("--accept-lost-writes: serving records that lack versions acknowledged writes stored, as the access log records; their entries stay in the log", "missing", len(missing), "checked", checked)
	}
	return nil
}
