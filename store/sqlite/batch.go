package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A write transaction's compartment and search-index rows are collected and
// written with multi-row statements when the transaction is about to
// commit or search: a statement through database/sql costs several times
// what SQLite spends on one more row, and a 15-entry bundle has ~200 rows.

// rowTable is one table the batched statements write.
type rowTable struct {
	name, cols string
	ncols      int
	orIgnore   bool
	noRowid    bool // WITHOUT ROWID: a row is deleted by its values
}

// The tables in the order of their index in writeStmts.ins, .old and .drop.
var rowTables = []rowTable{
	{name: "compartment", cols: "patient, rid", ncols: 2, orIgnore: true, noRowid: true},
	{name: "idx_token", cols: "type, param, system, code, rid", ncols: 5},
	{name: "idx_ref", cols: "type, param, ref, rid", ncols: 4},
	{name: "idx_date", cols: "type, param, lo, hi, rid", ncols: 5},
	{name: "idx_str", cols: "type, param, value, rid", ncols: 4},
	{name: "idx_num", cols: "type, param, num, system, code, rid", ncols: 6},
}

const (
	tCompartment = iota
	tToken
	tRef
	tDate
	tStr
	tNum
)

// batchSizes are the row counts with a prepared statement each; n rows are
// written as a sum of them, largest first.
var batchSizes = []int{64, 32, 16, 8, 4, 2, 1}

// prepareRekey prepares, for every table, the statements of an update's
// row diff: the rows stored for a JSON list of rids (rowid first, 0 for a
// WITHOUT ROWID table), and the deletion of a JSON list of rowids (of
// [patient, rid] pairs for the compartment); and the deletion of all rows
// of a JSON list of rids (dropRid).
func prepareRekey(ctx context.Context, db *sql.DB) (old, drop, dropRid []*sql.Stmt, err error) {
	for _, t := range rowTables {
		dr, err := db.PrepareContext(ctx, "DELETE FROM "+t.name+" WHERE rid IN (SELECT value FROM json_each(?))")
		if err != nil {
			return nil, nil, nil, err
		}
		dropRid = append(dropRid, dr)
		handle, del := "rowid", "DELETE FROM "+t.name+" WHERE rowid IN (SELECT value FROM json_each(?))"
		if t.noRowid {
			handle, del = "0", "DELETE FROM "+t.name+" WHERE (patient, rid) IN (SELECT value->>0, value->>1 FROM json_each(?))"
		}
		o, err := db.PrepareContext(ctx, "SELECT "+handle+", "+t.cols+" FROM "+t.name+" WHERE rid IN (SELECT value FROM json_each(?))")
		if err != nil {
			return nil, nil, nil, err
		}
		d, err := db.PrepareContext(ctx, del)
		if err != nil {
			return nil, nil, nil, err
		}
		old, drop = append(old, o), append(drop, d)
	}
	return old, drop, dropRid, nil
}

// prepareBatches prepares, for every table and batch size, an INSERT of
// that many rows.
func prepareBatches(ctx context.Context, db *sql.DB) (ins [][]*sql.Stmt, err error) {
	for _, t := range rowTables {
		var is []*sql.Stmt
		for _, n := range batchSizes {
			row := "(" + strings.TrimSuffix(strings.Repeat("?,", t.ncols), ",") + ")"
			// Not OR FAIL, though it would spare the statement journal
			// (about 2 % of an import's CPU): without one, SQLite answers a
			// full disk or lack of memory inside the statement by rolling
			// back the whole transaction, every request of the batch,
			// instead of the statement (BENCHMARKS.md, "Round of
			// 2026-12-03 (midday)").
			verb := "INSERT"
			if t.orIgnore {
				verb = "INSERT OR IGNORE"
			}
			s, err := db.PrepareContext(ctx, verb+" INTO "+t.name+"("+t.cols+") VALUES "+strings.TrimSuffix(strings.Repeat(row+",", n), ","))
			if err != nil {
				return nil, err
			}
			is = append(is, s)
		}
		ins = append(ins, is)
	}
	return ins, nil
}

// pendingRows are the rows a transaction has yet to write.
type pendingRows struct {
	clear []int64        // resources whose earlier rows are compared with args (rekey)
	drop  [][]int64      // per table: resources whose rows there go first
	args  [][]any        // per table: its rows' values, flattened
	rids  map[int64]bool // resources with rows in args, clear or drop
	bound map[*sql.Stmt]*sql.Stmt
}

// replace queues the rows of a resource's new version (rows, one
// resource's) in place of those stored for the one before. With the
// digests of both (rowDigests), a table whose rows are the same is left
// alone and one whose rows differ has them all deleted and inserted: an
// update usually changes a value or a date and keeps its codes, subject
// and category. Without the old digests (rows written before carex kept
// them) the stored rows are read and compared (rekey).
func (p *pendingRows) replace(rid, version int64, rows *pendingRows, oldSums, sums []byte) {
	compare := version > 1 && len(oldSums) == len(sums) // digest against digest
	if version > 1 && !compare {
		p.clear = append(p.clear, rid)
	}
	if p.args == nil {
		p.args = make([][]any, len(rowTables))
	}
	if p.drop == nil {
		p.drop = make([][]int64, len(rowTables))
	}
	for t := range rowTables {
		if compare {
			at, end := t*digestSize, (t+1)*digestSize
			if bytes.Equal(oldSums[at:end], sums[at:end]) {
				continue
			}
			p.drop[t] = append(p.drop[t], rid)
		}
		if rows.args != nil {
			p.args[t] = append(p.args[t], rows.args[t]...)
		}
	}
	p.mark(rid)
}

// digestSize is the bytes of one table's digest in rowDigests.
const digestSize = 16

// rowDigests is, for each of rowTables in order, a digest of one resource's
// rows there (rows holds that resource's only): the first 16 bytes of the
// SHA-256 of the rows' values without the rid, sorted, so that the same
// rows in any order give the same digest. A table's rows are stored as its
// pending rows are written, so equal digests mean equal stored rows.
func rowDigests(rows *pendingRows) []byte {
	out := make([]byte, 0, len(rowTables)*digestSize)
	var keys []string
	var key, buf []byte
	for t, tab := range rowTables {
		keys = keys[:0]
		if rows.args != nil {
			vals := rows.args[t]
			for i := 0; i+tab.ncols <= len(vals); i += tab.ncols {
				key = rowKey(key[:0], vals[i:i+tab.ncols-1]) // the rid is last
				keys = append(keys, string(key))
			}
		}
		slices.Sort(keys)
		buf = buf[:0]
		for _, k := range keys {
			buf = append(append(buf, k...), 0x1e)
		}
		sum := sha256.Sum256(buf)
		out = append(out, sum[:digestSize]...)
	}
	return out
}

func (p *pendingRows) add(table int, vals ...any) {
	if p.args == nil {
		p.args = make([][]any, len(rowTables))
	}
	p.args[table] = append(p.args[table], vals...)
}

// setRid puts rid in each row (the last column of every table's rows).
func (p *pendingRows) setRid(rid int64) {
	for t, vals := range p.args {
		for i := rowTables[t].ncols - 1; i < len(vals); i += rowTables[t].ncols {
			vals[i] = rid
		}
	}
}

func (p *pendingRows) mark(rid int64) {
	if p.rids == nil {
		p.rids = map[int64]bool{}
	}
	p.rids[rid] = true
}

// stmt is s bound to the transaction, once per transaction.
func (w *txWriter) stmt(s *sql.Stmt) *sql.Stmt {
	p := &w.pend
	if p.bound == nil {
		p.bound = map[*sql.Stmt]*sql.Stmt{}
	}
	b := p.bound[s]
	if b == nil {
		b = w.tx.StmtContext(w.ctx, s)
		p.bound[s] = b
	}
	return b
}

// flush writes the pending rows: the rows of updated resources are
// compared with those stored (rekey), then what is new is inserted, in as
// few statements as the batch sizes allow.
func (w *txWriter) flush() error {
	p := &w.pend
	for t, rids := range p.drop {
		if len(rids) > 0 {
			if _, err := w.stmt(w.st.dropRid[t]).ExecContext(w.ctx, jsonInts(rids)); err != nil {
				return fmt.Errorf("reindex %s: %w", rowTables[t].name, err)
			}
		}
	}
	if len(p.clear) > 0 {
		rids := jsonInts(p.clear)
		if p.args == nil {
			p.args = make([][]any, len(rowTables))
		}
		for t := range rowTables {
			args, err := w.rekey(t, rids, p.args[t])
			if err != nil {
				return fmt.Errorf("reindex %s: %w", rowTables[t].name, err)
			}
			p.args[t] = args
		}
	}
	for t, args := range p.args {
		if err := w.batched(w.st.ins[t], rowTables[t].ncols, args); err != nil {
			return fmt.Errorf("index %s: %w", rowTables[t].name, err)
		}
	}
	bound := p.bound
	*p = pendingRows{bound: bound}
	return nil
}

// batched runs stmts (one per batch size) over args, ncols values a row.
func (w *txWriter) batched(stmts []*sql.Stmt, ncols int, args []any) error {
	rows := len(args) / ncols
	for i, size := range batchSizes {
		for rows >= size {
			if _, err := w.stmt(stmts[i]).ExecContext(w.ctx, args[:size*ncols]...); err != nil {
				return err
			}
			args, rows = args[size*ncols:], rows-size
		}
	}
	return nil
}

// rekey replaces the stored rows of table t for the resources in rids (a
// JSON list) by the pending rows in args, and returns the rows still to
// insert. An update usually changes a few of a resource's rows (a value, a
// date) and keeps the rest (its code, subject, category): deleting and
// inserting them all cost six B-tree changes a row, most of a bundle's
// write time. Rows are compared by value as a multiset, so the result is
// what deleting all and inserting all would leave; a value that reads back
// differently (say -0 as 0) only makes a row look changed.
func (w *txWriter) rekey(t int, rids string, args []any) ([]any, error) {
	tab := rowTables[t]
	rows, err := w.stmt(w.st.old[t]).QueryContext(w.ctx, rids)
	if err != nil {
		return nil, err
	}
	// Each stored row: its key, and how to delete it (rowid, or values).
	type storedRow struct {
		rowid int64
		vals  []any
	}
	stored := map[string][]storedRow{}
	// The driver gives TEXT as string, INTEGER as int64 and REAL as
	// float64: the Go types of the pending rows' values.
	var rowid int64
	dst := make([]any, 1+tab.ncols)
	dst[0] = &rowid
	cells := make([]any, tab.ncols)
	for i := range cells {
		dst[1+i] = &cells[i]
	}
	var key []byte
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			rows.Close()
			return nil, err
		}
		vals := slices.Clone(cells)
		key = rowKey(key[:0], vals)
		stored[string(key)] = append(stored[string(key)], storedRow{rowid, vals})
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return args, nil
	}
	// Pending rows already stored are kept and not inserted again.
	fresh := args[:0:0]
	for i := 0; i+tab.ncols <= len(args); i += tab.ncols {
		row := args[i : i+tab.ncols]
		key = rowKey(key[:0], row)
		if rs := stored[string(key)]; len(rs) > 0 {
			stored[string(key)] = rs[1:]
			continue
		}
		fresh = append(fresh, row...)
	}
	// What is left was not written again: delete it.
	list := []byte{'['}
	for _, rs := range stored {
		for _, r := range rs {
			if len(list) > 1 {
				list = append(list, ',')
			}
			if tab.noRowid { // the compartment: [patient, rid]
				list = append(list, '[')
				list = appendJSONString(list, r.vals[0].(string))
				list = append(list, ',')
				list = strconv.AppendInt(list, r.vals[1].(int64), 10)
				list = append(list, ']')
				continue
			}
			list = strconv.AppendInt(list, r.rowid, 10)
		}
	}
	if len(list) > 1 {
		list = append(list, ']')
		if _, err := w.stmt(w.st.drop[t]).ExecContext(w.ctx, string(list)); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// rowKey appends an exact encoding of a row's values (string, int64,
// float64): equal keys are equal rows.
func rowKey(b []byte, vals []any) []byte {
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			b = append(b, 't')
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		case int64:
			b = append(b, 'i')
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b = append(b, 'r')
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		default:
			b = fmt.Appendf(b, "?%T:%v", v, v)
		}
		b = append(b, 0)
	}
	return b
}
