package auditlog

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// HasLog reports whether db holds access-log tables.
func HasLog(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'`).Scan(&n)
	return n > 0, err
}

// Relocate moves the access log kept in from (the record database, where
// carex kept it before the log had a database of its own) into to, byte
// for byte, and then drops it from from. The caller must first have opened
// and closed the log in from (Open, Close), so that nothing waits in its
// journal. If to already holds a copy (a crash between the two steps) it is
// checked against from instead of copied again; a different log in to is an
// error and changes nothing.
func Relocate(ctx context.Context, from, to *sql.DB) error {
	if err := migrate(ctx, from); err != nil {
		return fmt.Errorf("auditlog: the log in the record database: %w", err)
	}
	if err := migrate(ctx, to); err != nil {
		return err
	}
	fromN, fromHead, err := head(ctx, from)
	if err != nil {
		return err
	}
	toN, _, err := head(ctx, to)
	if err != nil {
		return err
	}
	if toN == 0 {
		if err := copyLog(ctx, from, to); err != nil {
			return fmt.Errorf("auditlog: copying the access log out of the record database: %w", err)
		}
	} else if fromN > 0 {
		var h []byte
		err := to.QueryRowContext(ctx, `SELECT chain_hash FROM audit_log WHERE seq = ?`, fromN-1).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !bytes.Equal(h, fromHead)) {
			return fmt.Errorf("auditlog: the record database and the access-log database hold different access logs (%d and %d entries): keep both files and ask for help; nothing was changed", fromN, toN)
		}
		if err != nil {
			return err
		}
	}
	n, _, err := head(ctx, to)
	if err != nil {
		return err
	}
	if n < fromN {
		return fmt.Errorf("auditlog: the copy holds %d of %d entries: nothing was removed from the record database", n, fromN)
	}
	return dropLog(ctx, from)
}

// head is the number of entries and the chain hash of the last one.
func head(ctx context.Context, db *sql.DB) (int64, []byte, error) {
	var n int64
	var h []byte
	err := db.QueryRowContext(ctx, `SELECT seq + 1, chain_hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&n, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	return n, h, err
}

// copyLog copies entries, tree chunks and checkpoints in order (the
// append-only triggers accept nothing else) in one transaction.
func copyLog(ctx context.Context, from, to *sql.DB) error {
	tx, err := to.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tables := []struct{ name, cols, order string }{
		{"audit_log", "seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass", "seq"},
		{"audit_tree_chunk", "start, hashes", "start"},
		{"audit_checkpoint", "size, root, note, ts", "size"},
	}
	for _, t := range tables {
		rows, err := from.QueryContext(ctx, `SELECT `+t.cols+` FROM `+t.name+` ORDER BY `+t.order)
		if err != nil {
			return err
		}
		cols, _ := rows.Columns()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO `+t.name+`(`+t.cols+`) VALUES (`+placeholders(len(cols))+`)`)
		if err != nil {
			rows.Close()
			return err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			if _, err := ins.ExecContext(ctx, vals...); err != nil {
				rows.Close()
				return fmt.Errorf("%s: %w", t.name, err)
			}
			// An entry's patient rows follow it (the triggers take rows
			// for the last entry only), made from the entry as the indexer
			// makes them.
			if t.name != "audit_log" {
				continue
			}
			entry, _ := vals[2].([]byte)
			seq, _ := vals[0].(int64)
			pr, err := patientRows(seq, entry)
			if err == nil {
				err = insertPatientRows(ctx, tx, pr)
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		ins.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// dropLog removes the (copied) log from the record database: its triggers
// first, which refuse every change to the tables they guard.
func dropLog(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_tree', 'audit_tree_chunk', 'audit_checkpoint', 'audit_patient')`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, `DROP TRIGGER "`+name+`"`)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range []string{"audit_log", "audit_tree", "audit_tree_chunk", "audit_checkpoint", "audit_patient", "auditlog_meta"} {
		drops = append(drops, `DROP TABLE IF EXISTS `+t)
	}
	for _, q := range drops {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("auditlog: removing the copied log from the record database: %w", err)
		}
	}
	return tx.Commit()
}
