package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// accessLogKey is the carex_meta key that says these records have had an
// access log, and since when.
const accessLogKey = "access_log_since"

// MarkAccessLog records that these records have an access log (carex serve
// creates it; a log an earlier carex made is recorded when it is found),
// unless that is recorded already: the first time stays.
func (db *DB) MarkAccessLog(ctx context.Context, at time.Time) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	_, err := db.writer.ExecContext(ctx, `INSERT INTO carex_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`,
		accessLogKey, at.UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("recording the access log in %s: %w", db.path, err)
	}
	return nil
}

// AccessLogSince reads when an access log was first recorded for the
// records in db (MarkAccessLog); ok is false if never. db may be a
// read-only connection, to a database of any schema version: one migrated
// by an earlier carex has no record.
func AccessLogSince(ctx context.Context, db *sql.DB) (since time.Time, ok bool, err error) {
	if has, err := hasMeta(ctx, db); err != nil || !has {
		return time.Time{}, false, err
	}
	var v string
	err = db.QueryRowContext(ctx, `SELECT value FROM carex_meta WHERE key = ?`, accessLogKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if since, err = time.Parse(time.RFC3339, v); err != nil {
		// Still a record that there was a log: its time is only for messages.
		return time.Time{}, true, nil
	}
	return since, true, nil
}

// labellingListsKey is the carex_meta key naming the code lists the
// stored labels were derived with (consent.Policy.LabellingLists).
const labellingListsKey = "labelling_lists"

// ClaimLabellingLists records lists as the code lists these records are
// labelled with when none are recorded and nothing is stored yet, and
// returns those recorded, which the caller compares with its own. It
// returns "" for records an earlier carex wrote, which recorded no lists:
// nothing tells which lists labelled them (an import without the server's
// policy, review 19d, among them), so only a relabel may record any.
//
// With replaceEmpty (the server's claim), lists take the place of other
// lists while nothing is stored (reclaimEmpty): the server decides, and
// labels what it stores, with its own. An import's or gen's claim does
// not: one run without the deployment's --policy would take the place of
// the lists a server with it recorded, and leave the operator a refusal
// at the server's next start pointing to the wrong lists (review 20g).
func (db *DB) ClaimLabellingLists(ctx context.Context, lists string, replaceEmpty bool) (recorded string, err error) {
	if recorded, err = db.claimLists(ctx, lists); err != nil || recorded == lists || recorded == "" || !replaceEmpty {
		return recorded, err
	}
	return db.reclaimEmpty(ctx, lists, recorded)
}

// HoldsRecords reports whether anything is stored (deleted items count).
func (db *DB) HoldsRecords(ctx context.Context) (bool, error) {
	var any bool
	err := db.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM resources)`).Scan(&any)
	return any, err
}

// claimLists is ClaimLabellingLists but for reclaimEmpty.
func (db *DB) claimLists(ctx context.Context, lists string) (recorded string, err error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO carex_meta(key, value) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM resources) ON CONFLICT(key) DO NOTHING`,
		labellingListsKey, lists); err != nil {
		return "", fmt.Errorf("recording the policy's code lists in %s: %w", db.path, err)
	}
	return db.LabellingLists(ctx)
}

// LabellingLists returns the code lists recorded for these records ("" when
// none are): a relabel that failed reads whether it had marked them as
// being relabelled (MarkRelabel) before it changed anything.
func (db *DB) LabellingLists(ctx context.Context) (string, error) {
	var v string
	err := db.writer.QueryRowContext(ctx, `SELECT value FROM carex_meta WHERE key = ?`, labellingListsKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the code lists recorded in %s: %w", db.path, err)
	}
	return v, nil
}

// reclaimEmpty records lists in place of recorded when nothing is stored
// and no other process has the records open, and returns what is recorded
// then. Lists recorded by a command that stored nothing (a server started
// once without --policy, an import whose first file failed) label no
// record, and kept the deployment's own serve and import out (review
// 20e); but a server running with them would label what it stores next.
func (db *DB) reclaimEmpty(ctx context.Context, lists, recorded string) (string, error) {
	if err := lockAlone(db.lock); err != nil {
		return recorded, nil // another process has them: its lists stand
	}
	defer lockShareAgain(db.lock)
	db.wmu.Lock()
	defer db.wmu.Unlock()
	res, err := db.writer.ExecContext(ctx, `UPDATE carex_meta SET value = ? WHERE key = ? AND NOT EXISTS (SELECT 1 FROM resources)`, lists, labellingListsKey)
	if err != nil {
		return "", fmt.Errorf("recording the policy's code lists in %s: %w", db.path, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return lists, nil
	}
	return recorded, nil
}

// SetLabellingLists records lists as the code lists these records are
// labelled with, in place of any recorded: carex relabel, once it has
// labelled every stored version with them.
func (db *DB) SetLabellingLists(ctx context.Context, lists string) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	return db.setLabellingListsLocked(ctx, lists)
}

// setLabellingListsLocked is SetLabellingLists with db.wmu held.
func (db *DB) setLabellingListsLocked(ctx context.Context, lists string) error {
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO carex_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
		labellingListsKey, lists); err != nil {
		return fmt.Errorf("recording the policy's code lists in %s: %w", db.path, err)
	}
	return nil
}

// MarkRelabel has the next Relabel record mark as the code lists, once it
// has the database to itself and before it changes anything: its batches
// are committed one by one, so until it has finished (and the caller
// records the lists it relabelled with) the records hold labels of two
// lists, and mark is to match neither. A Relabel refused because another
// process has the database open records nothing.
func (db *DB) MarkRelabel(mark string) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	db.relabelMark = mark
}

// PeekLabellingLists reads what ClaimLabellingLists would find recorded
// for the records at path, and whether any are stored, without opening
// them as Open does: no schema step runs, so a command that then refuses
// them leaves them as the release before can open (review 83b: a serve
// that said "run carex relabel" had moved them to its schema first);
// recorded is "" where none are. ok is false where there is nothing to
// read (no file, not carex's records): Open, and the claim after it, say
// why.
func PeekLabellingLists(ctx context.Context, path string) (recorded string, holds, ok bool) {
	if _, err := os.Stat(path); err != nil {
		return "", false, false
	}
	conn, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return "", false, false
	}
	defer conn.Close()
	switch err := conn.QueryRowContext(ctx, `SELECT value FROM carex_meta WHERE key = ?`, labellingListsKey).Scan(&recorded); {
	case errors.Is(err, sql.ErrNoRows):
		recorded = "" // (none recorded: an earlier carex's, which relabel labels)
	case err != nil:
		return "", false, false
	}
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM resources)`).Scan(&holds); err != nil {
		return "", false, false
	}
	return recorded, holds, true
}

// lostWritesKey is the carex_meta key below whose access-log sequence
// number an operator accepted that the records lost writes (carex serve
// --accept-lost-writes): the entries before it are not checked again.
const lostWritesKey = "lost_writes_accepted_below"

// AcceptLostWrites records that the records' lost writes, as the access
// log's entries before seq record them, are accepted (an incident).
func (db *DB) AcceptLostWrites(ctx context.Context, seq int64) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO carex_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
		lostWritesKey, fmt.Sprint(seq)); err != nil {
		return fmt.Errorf("recording the accepted lost writes in %s: %w", db.path, err)
	}
	return nil
}

// LostWritesAcceptedBelow reads AcceptLostWrites' sequence number from db
// (a read-only connection will do); 0 when none was recorded.
func LostWritesAcceptedBelow(ctx context.Context, db *sql.DB) (int64, error) {
	if has, err := hasMeta(ctx, db); err != nil || !has {
		return 0, err
	}
	var v int64
	err := db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM carex_meta WHERE key = ?`, lostWritesKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// hasMeta reports whether db (of any schema version: one migrated by an
// earlier carex has none) has the carex_meta table.
func hasMeta(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'carex_meta'`).Scan(&n)
	return n > 0, err
}
