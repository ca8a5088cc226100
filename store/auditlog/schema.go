package auditlog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The access log keeps its own migration count in auditlog_meta (the record
// store owns PRAGMA user_version). Never edit a released migration.
var migrations = []migration{
	{sql: migration1},
	{sql: migration2, fn: moveTreeRows},
	{sql: migration3},
	{sql: migration4, fn: indexPatients},
}

type migration struct {
	sql string
	fn  func(ctx context.Context, tx *sql.Tx) error // after sql
}

const (
	// 1: entries, the Merkle tree's stored hashes, signed checkpoints, and
	// triggers that make all three append-only.
	migration1 = `
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY,          -- Merkle leaf index: 0,1,2,…
	ts          INTEGER NOT NULL,             -- unix ms (copy of the entry's ts, for queries)
	entry       BLOB    NOT NULL,             -- canonical encoding (see encode.go)
	leaf_hash   BLOB    NOT NULL,             -- tlog.RecordHash(entry)
	chain_hash  BLOB    NOT NULL,             -- SHA-256(previous chain_hash || leaf_hash)
	patient     TEXT    NOT NULL DEFAULT '',  -- query copies of entry fields
	sub         TEXT    NOT NULL DEFAULT '',
	org         TEXT    NOT NULL DEFAULT '',
	decision    TEXT    NOT NULL DEFAULT '',
	break_glass INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_log_patient  ON audit_log(patient, seq);
CREATE INDEX audit_log_sub      ON audit_log(sub, seq);
CREATE INDEX audit_log_org      ON audit_log(org, seq);
CREATE INDEX audit_log_decision ON audit_log(decision, seq);
CREATE INDEX audit_log_ts       ON audit_log(ts);
CREATE INDEX audit_log_bg       ON audit_log(seq) WHERE break_glass = 1;

CREATE TABLE audit_tree (
	idx  INTEGER PRIMARY KEY,                 -- tlog stored hash index
	hash BLOB    NOT NULL
);

CREATE TABLE audit_checkpoint (
	size INTEGER PRIMARY KEY,                 -- tree size the checkpoint commits to
	root BLOB    NOT NULL,                    -- tlog.TreeHash(size)
	note BLOB    NOT NULL,                    -- signed note (C2SP checkpoint)
	ts   INTEGER NOT NULL                     -- unix ms when signed
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
-- INSERT OR REPLACE deletes without firing DELETE triggers: only the next
-- seq may be inserted, which also keeps seq contiguous.
CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT COALESCE((SELECT MAX(seq) FROM audit_log) + 1, 0)
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_tree_append_only BEFORE INSERT ON audit_tree
WHEN NEW.idx IS NOT COALESCE((SELECT MAX(idx) FROM audit_tree) + 1, 0)
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;

CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_checkpoint_append_only BEFORE INSERT ON audit_checkpoint
WHEN NEW.size IS NULL OR NEW.size <= COALESCE((SELECT MAX(size) FROM audit_checkpoint), 0)
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
`
	// 2: the Merkle tree's stored hashes in one row per indexed batch
	// (consecutive tlog stored-hash indexes from start), instead of one row
	// per hash: about two inserts fewer per entry. moveTreeRows moves the
	// rows of audit_tree here and drops it.
	migration2 = `
CREATE TABLE audit_tree_chunk (
	start  INTEGER PRIMARY KEY,              -- tlog stored-hash index of the first hash
	hashes BLOB    NOT NULL                  -- consecutive stored hashes, 32 bytes each
);
CREATE TRIGGER audit_tree_chunk_no_update BEFORE UPDATE ON audit_tree_chunk
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_tree_chunk_no_delete BEFORE DELETE ON audit_tree_chunk
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
-- Only the chunk that starts where the last one ends, holding whole hashes.
CREATE TRIGGER audit_tree_chunk_append_only BEFORE INSERT ON audit_tree_chunk
WHEN NEW.start IS NOT COALESCE((SELECT start + length(hashes) / 32 FROM audit_tree_chunk ORDER BY start DESC LIMIT 1), 0)
  OR length(NEW.hashes) = 0 OR length(NEW.hashes) % 32 != 0
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
`

	// 3: fewer indexes to update per entry (the indexer's main cost). No
	// query filters by org or decision alone, and ts never goes down as seq
	// goes up (the writer keeps the log in time order and verify checks it),
	// so a date range is a seq range found by binary search (Query.seqRange).
	migration3 = `
DROP INDEX audit_log_org;
DROP INDEX audit_log_decision;
DROP INDEX audit_log_ts;
`

	// 4: the patients of an entry that touched several (a search across
	// people), so that "who accessed this patient" finds it too; indexPatients
	// fills it from the entries, then guards it: rows only for the entry just
	// inserted, in the same transaction.
	migration4 = `
CREATE TABLE audit_patient (
	patient TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (patient, seq)
) WITHOUT ROWID;
`
	patientTriggers = `
CREATE TRIGGER audit_patient_no_update BEFORE UPDATE ON audit_patient
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_patient_no_delete BEFORE DELETE ON audit_patient
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
CREATE TRIGGER audit_patient_append_only BEFORE INSERT ON audit_patient
WHEN NEW.seq IS NOT (SELECT max(seq) FROM audit_log)
BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
`
)

// indexPatients fills audit_patient from the entries that name several
// patients, then adds its triggers.
func indexPatients(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT seq, entry FROM audit_log WHERE instr(entry, ',"patients":') > 0 ORDER BY seq`)
	if err != nil {
		return err
	}
	var add []patientRow
	for rows.Next() {
		var seq int64
		var entry []byte
		if err := rows.Scan(&seq, &entry); err != nil {
			rows.Close()
			return err
		}
		more, err := patientRows(seq, entry)
		if err != nil {
			rows.Close()
			return err
		}
		add = append(add, more...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := insertPatientRows(ctx, tx, add); err != nil { // before the triggers that allow only the last entry's
		return err
	}
	_, err = tx.ExecContext(ctx, patientTriggers)
	return err
}

// moveTreeRows copies audit_tree (migration 1) into chunks and drops it.
func moveTreeRows(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT idx, hash FROM audit_tree ORDER BY idx`)
	if err != nil {
		return err
	}
	var blob []byte
	var n int64
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			rows.Close()
			return err
		}
		if idx != n || len(h) != 32 {
			rows.Close()
			return fmt.Errorf("audit_tree row %d is not the expected stored hash %d: the log was altered (run audit verify with an older carex)", idx, n)
		}
		blob = append(blob, h...)
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_tree_chunk(start, hashes) VALUES (0, ?)`, blob); err != nil {
			return err
		}
	}
	for _, q := range []string{`DROP TRIGGER audit_tree_no_update`, `DROP TRIGGER audit_tree_no_delete`, `DROP TRIGGER audit_tree_append_only`, `DROP TABLE audit_tree`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS auditlog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return err
	}
	have := 0
	v, found, err := schemaVersion(ctx, tx)
	switch {
	case err != nil:
		return err
	case found:
		if have, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("auditlog: bad schema_version %q", v)
		}
	default:
		// A log with entries and no version was altered (review 52b: after
		// DELETE FROM auditlog_meta, migration 1 failed on "table audit_log
		// already exists", naming no cause).
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("auditlog: the access log's schema_version row is missing from auditlog_meta: it was removed, or the file is not carex's; restore the access log from a copy (carex audit verify checks a copy)")
		}
	}
	if have > len(migrations) {
		return fmt.Errorf("auditlog: access log schema version %d is newer than this carex (%d): upgrade carex", have, len(migrations))
	}
	if have == len(migrations) {
		return nil
	}
	for i := have; i < len(migrations); i++ {
		m := migrations[i]
		_, err := tx.ExecContext(ctx, m.sql)
		if err == nil && m.fn != nil {
			err = m.fn(ctx, tx)
		}
		if err != nil {
			return fmt.Errorf("auditlog: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auditlog_meta(key, value) VALUES ('schema_version', ?), ('entry_format', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, strconv.Itoa(len(migrations)), EntryFormat); err != nil {
		return err
	}
	return tx.Commit()
}

// schemaVersion is auditlog_meta's schema_version, found or not.
func schemaVersion(ctx context.Context, db querier) (v string, found bool, err error) {
	rows, err := db.QueryContext(ctx, `SELECT value FROM auditlog_meta WHERE key = 'schema_version'`)
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	if found = rows.Next(); found {
		err = rows.Scan(&v)
	}
	if err == nil {
		err = rows.Err()
	}
	return v, found, err
}

// schemaObject is a row of sqlite_master.
type schemaObject struct{ typ, name, tbl, sql string }

// The schema carex creates, built once by running the migrations on an
// empty in-memory database of the same driver.
var (
	wantSchemaMu sync.Mutex
	wantSchema   map[string]schemaObject
)

// memConnector opens in-memory databases with d.
type memConnector struct{ d driver.Driver }

func (c memConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(":memory:") }
func (c memConnector) Driver() driver.Driver                        { return c.d }

// expectedSchema is the schema migrate creates, by name.
func expectedSchema(ctx context.Context, d driver.Driver) (map[string]schemaObject, error) {
	wantSchemaMu.Lock()
	defer wantSchemaMu.Unlock()
	if wantSchema != nil {
		return wantSchema, nil
	}
	mem := sql.OpenDB(memConnector{d})
	defer mem.Close()
	mem.SetMaxOpenConns(1) // one in-memory database
	if err := migrate(ctx, mem); err != nil {
		return nil, fmt.Errorf("auditlog: the access log's schema: %w", err)
	}
	objs, err := readSchema(ctx, mem)
	if err != nil {
		return nil, err
	}
	wantSchema = make(map[string]schemaObject, len(objs))
	for _, o := range objs {
		wantSchema[o.name] = o
	}
	return wantSchema, nil
}

func readSchema(ctx context.Context, db querier) ([]schemaObject, error) {
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("auditlog: reading the schema: %w", err)
	}
	defer rows.Close()
	var out []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.typ, &o.name, &o.tbl, &o.sql); err != nil {
			return nil, err
		}
		o.sql = strings.Join(strings.Fields(o.sql), " ") // layout is not meaning
		out = append(out, o)
	}
	return out, rows.Err()
}

// schemaProblem compares db's schema with the one carex creates: the log's
// tables must be tables (not views that show one connection something
// else), with their indexes and triggers exactly, and no view or trigger
// may be added anywhere. Other tables and their indexes are allowed (a
// record database from before the log had its own). It returns what
// differs, "" when nothing does.
func schemaProblem(ctx context.Context, db querier, d driver.Driver) (string, error) {
	want, err := expectedSchema(ctx, d)
	if err != nil {
		return "", err
	}
	have, err := readSchema(ctx, db)
	if err != nil {
		return "", err
	}
	seen := make(map[string]bool, len(want))
	logTable := func(name string) bool { w, ok := want[name]; return ok && w.typ == "table" }
	for _, o := range have {
		w, ok := want[o.name]
		switch {
		case ok && (o.typ != w.typ || o.tbl != w.tbl):
			return fmt.Sprintf("the access log's %s %s is a %s on %s: someone replaced it", w.typ, w.name, o.typ, o.tbl), nil
		case ok && o.sql != w.sql:
			return fmt.Sprintf("the access log's %s %s is not as carex creates it: %s", w.typ, w.name, o.sql), nil
		case ok:
			seen[o.name] = true
		case o.typ == "view" || o.typ == "trigger":
			return fmt.Sprintf("%s %s on %s is not carex's (%s): added to the access log's database", o.typ, o.name, o.tbl, o.sql), nil
		case logTable(o.tbl):
			return fmt.Sprintf("%s %s on the access log's table %s is not carex's (%s)", o.typ, o.name, o.tbl, o.sql), nil
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !seen[name] {
			return fmt.Sprintf("the access log's %s %s is missing: removed", want[name].typ, name), nil
		}
	}
	// (review 52b: emptied, it passed here while serve refused the log)
	v, found, err := schemaVersion(ctx, db)
	switch {
	case err != nil:
		return "", err
	case !found:
		return "the access log's schema_version row is missing from auditlog_meta: removed", nil
	case v != strconv.Itoa(len(migrations)):
		return fmt.Sprintf("the access log's schema_version in auditlog_meta is %q, not %d: altered", v, len(migrations)), nil
	}
	return "", nil
}
