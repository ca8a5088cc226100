package sqlite

import (
	"context"
	"database/sql"
	"fmt"
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
}

// The tables in the order of their index in writeStmts.ins and .del.
var rowTables = []rowTable{
	{name: "compartment", cols: "patient, rid", ncols: 2, orIgnore: true},
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

// prepareBatches prepares, for every table and batch size, an INSERT of
// that many rows and a DELETE of that many rids.
func prepareBatches(ctx context.Context, db *sql.DB) (ins, del [][]*sql.Stmt, err error) {
	for _, t := range rowTables {
		var is, ds []*sql.Stmt
		for _, n := range batchSizes {
			row := "(" + strings.TrimSuffix(strings.Repeat("?,", t.ncols), ",") + ")"
			verb := "INSERT"
			if t.orIgnore {
				verb = "INSERT OR IGNORE"
			}
			s, err := db.PrepareContext(ctx, verb+" INTO "+t.name+"("+t.cols+") VALUES "+strings.TrimSuffix(strings.Repeat(row+",", n), ","))
			if err != nil {
				return nil, nil, err
			}
			is = append(is, s)
			if s, err = db.PrepareContext(ctx, "DELETE FROM "+t.name+" WHERE rid IN ("+placeholders(n)+")"); err != nil {
				return nil, nil, err
			}
			ds = append(ds, s)
		}
		ins, del = append(ins, is), append(del, ds)
	}
	return ins, del, nil
}

// pendingRows are the rows a transaction has yet to write.
type pendingRows struct {
	clear []int64        // resources whose earlier rows go first
	args  [][]any        // per table: its rows' values, flattened
	rids  map[int64]bool // resources with rows in args or clear
	bound map[*sql.Stmt]*sql.Stmt
}

func (p *pendingRows) add(table int, vals ...any) {
	if p.args == nil {
		p.args = make([][]any, len(rowTables))
	}
	p.args[table] = append(p.args[table], vals...)
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

// flush writes the pending rows: first the deletes of earlier rows, then
// the inserts, each in as few statements as the batch sizes allow.
func (w *txWriter) flush() error {
	p := &w.pend
	if len(p.clear) > 0 {
		for t := range rowTables {
			if err := w.batched(w.st.del[t], 1, int64sAsAny(p.clear)); err != nil {
				return fmt.Errorf("clear %s: %w", rowTables[t].name, err)
			}
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

func int64sAsAny(xs []int64) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
