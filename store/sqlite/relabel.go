package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/carex-project/carex/store"
)

// relabelBatch is how many versions one Relabel transaction reads.
const relabelBatch = 500

// Relabel works out the derived fields of every stored version again with
// derive and stores those that changed: the version's row, and for a
// current version the resource's row and its compartment rows (whose
// digest is then unknown, so the next write compares the rows themselves).
func (db *DB) Relabel(ctx context.Context, derive func(v *store.Version) (store.Derived, error)) (store.RelabelStats, error) {
	var st store.RelabelStats
	if err := lockAlone(db.lock); err != nil {
		if errors.Is(err, errLocked) {
			return st, fmt.Errorf("another process has %s open (a running carex server?): stop it first, because it would go on deciding with the labels it has cached", db.path)
		}
		return st, err
	}
	defer lockShareAgain(db.lock)
	db.wmu.Lock() // no Commit meanwhile
	defer db.wmu.Unlock()
	if db.relabelMark != "" {
		if err := db.setLabellingListsLocked(ctx, db.relabelMark); err != nil {
			return st, fmt.Errorf("marking %s as being relabelled: %w", db.path, err)
		}
	}
	db.bumpChanges(true, true) // odd: rows change from now on (store.Store.Changes)
	defer func() {
		if db.pcc != nil {
			db.pcc.dropAll() // this process's cached contexts hold the old labels
		}
		db.bumpChanges(true, true)
	}()
	// A derived field may depend on another stored item (a Binary takes
	// the people of the document its securityContext names), which this
	// pass may change after it was read: a second pass, with the lock still
	// held, for the versions so derived (Derived.ReadsStore) when anything
	// changed.
	var ps store.RelabelStats
	var again []int64
	for last := int64(0); ; {
		n, err := db.relabelBatch(ctx, derive, relabelFrom(last), &last, &ps, &again)
		if err != nil {
			return st, err
		}
		if n < relabelBatch {
			break
		}
	}
	st = ps
	if ps.Changed > 0 {
		var ps2 store.RelabelStats
		for len(again) > 0 {
			chunk := again[:min(relabelBatch, len(again))]
			again = again[len(chunk):]
			var last int64
			if _, err := db.relabelBatch(ctx, derive, relabelOnly(chunk), &last, &ps2, nil); err != nil {
				return st, err
			}
		}
		st.Changed += ps2.Changed
		st.Current += ps2.Current
	}
	// A delete marker carries the derived fields of the version it ended
	// (as a delete copies them), and so does a deleted resource's row.
	n, err := db.relabelDeleted(ctx)
	st.Changed += n
	return st, err
}

func (db *DB) relabelDeleted(ctx context.Context) (int64, error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE versions AS d SET data_class = p.data_class, labels = p.labels, patients = p.patients, codes = p.codes, clinical = p.clinical, clinical_end = p.clinical_end
		FROM versions AS p
		WHERE d.raw IS NULL AND p.vpk = (SELECT v2.vpk FROM versions v2 WHERE v2.rid = d.rid AND v2.version < d.version AND v2.raw IS NOT NULL ORDER BY v2.version DESC LIMIT 1)
		AND (d.data_class != p.data_class OR d.labels != p.labels OR d.patients != p.patients OR d.codes != p.codes OR d.clinical != p.clinical OR d.clinical_end != p.clinical_end)`)
	if err != nil {
		return 0, fmt.Errorf("relabel delete markers: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `UPDATE resources AS r SET data_class = v.data_class, labels = v.labels, patients = v.patients, codes = v.codes, clinical = v.clinical, clinical_end = v.clinical_end
		FROM versions AS v WHERE r.deleted = 1 AND v.vpk = r.vpk
		AND (r.data_class != v.data_class OR r.labels != v.labels OR r.patients != v.patients OR r.codes != v.codes OR r.clinical != v.clinical OR r.clinical_end != v.clinical_end)`); err != nil {
		return 0, fmt.Errorf("relabel deleted resources: %w", err)
	}
	return n, tx.Commit()
}

type relabelRow struct {
	vpk, rid int64
	current  bool
	d        store.Derived
}

// relabelSel picks the versions one relabelBatch reads: a WHERE clause on
// versions v and its arguments.
type relabelSel struct {
	where string
	args  []any
}

// relabelFrom: the next relabelBatch versions after key last.
func relabelFrom(last int64) relabelSel {
	return relabelSel{`v.vpk > ? ORDER BY v.vpk LIMIT ?`, []any{last, relabelBatch}}
}

// relabelOnly: the versions with these keys.
func relabelOnly(vpks []int64) relabelSel {
	args := make([]any, len(vpks))
	for i, k := range vpks {
		args[i] = k
	}
	return relabelSel{`v.vpk IN (?` + strings.Repeat(`, ?`, len(vpks)-1) + `) ORDER BY v.vpk`, args}
}

// relabelBatch derives the selected versions again and stores those that
// changed, in one transaction; last becomes the largest key read, and the
// keys of versions derived from other stored items are added to again
// (when not nil).
func (db *DB) relabelBatch(ctx context.Context, derive func(v *store.Version) (store.Derived, error), sel relabelSel, last *int64, st *store.RelabelStats, again *[]int64) (int, error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT v.vpk, v.rid, r.type, r.id, v.version, v.last_updated, v.source_org, v.data_class, v.labels, v.patients, v.codes, v.clinical, v.clinical_end, v.raw, r.vpk = v.vpk
		FROM versions v JOIN resources r ON r.rid = v.rid WHERE v.raw IS NOT NULL AND `+sel.where, sel.args...)
	if err != nil {
		return 0, err
	}
	var changed []relabelRow
	n := 0
	for rows.Next() {
		var v store.Version
		var vpk, rid, ms, clinical, clinicalEnd int64
		var labels, patients, codes string
		var current bool
		if err := rows.Scan(&vpk, &rid, &v.Type, &v.ID, &v.VersionID, &ms, &v.SourceOrg, &v.DataClass, &labels, &patients, &codes, &clinical, &clinicalEnd, &v.Raw, &current); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		*last = vpk
		v.LastUpdated = time.UnixMilli(ms).UTC()
		v.Labels, v.Patients = splitList(labels), splitList(patients)
		v.Codes, v.OtherCodes = splitCodes(codes)
		v.Date, v.DateEnd = clinicalDates(clinical, clinicalEnd)
		d, err := derive(&v)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("%s/%s version %d: %w", v.Type, v.ID, v.VersionID, err)
		}
		st.Versions++
		if d.ReadsStore && again != nil {
			*again = append(*again, vpk)
		}
		// Compared as stored (space-joined): a code with a space in it
		// reads back as two, and must not count as a change every run.
		if d.DataClass != v.DataClass || joinList(d.Labels) != labels || joinList(d.Patients) != patients ||
			joinCodes(d.Codes, d.OtherCodes) != codes || !d.Date.Equal(v.Date) || !d.DateEnd.Equal(v.DateEnd) {
			changed = append(changed, relabelRow{vpk: vpk, rid: rid, current: current, d: d})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range changed {
		if err := relabelOne(ctx, tx, c); err != nil {
			return 0, err
		}
		st.Changed++
		if c.current {
			st.Current++
		}
	}
	return n, tx.Commit()
}

func relabelOne(ctx context.Context, tx *sql.Tx, c relabelRow) error {
	labels, patients, codes := joinList(c.d.Labels), joinList(c.d.Patients), joinCodes(c.d.Codes, c.d.OtherCodes)
	clinical, clinicalEnd := clinicalColumns(c.d.Date, c.d.DateEnd)
	if _, err := tx.ExecContext(ctx, `UPDATE versions SET data_class = ?, labels = ?, patients = ?, codes = ?, clinical = ?, clinical_end = ? WHERE vpk = ?`,
		c.d.DataClass, labels, patients, codes, clinical, clinicalEnd, c.vpk); err != nil {
		return err
	}
	if !c.current {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE resources SET data_class = ?, labels = ?, patients = ?, codes = ?, clinical = ?, clinical_end = ?, idx_sums = NULL WHERE rid = ?`,
		c.d.DataClass, labels, patients, codes, clinical, clinicalEnd, c.rid); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM compartment WHERE rid = ?`, c.rid); err != nil {
		return err
	}
	for _, p := range c.d.Patients {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO compartment(patient, rid) VALUES (?, ?)`, p, c.rid); err != nil {
			return err
		}
	}
	return nil
}
