package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	db.wmu.Lock() // no Commit meanwhile
	defer db.wmu.Unlock()
	last := int64(0)
	for {
		n, err := db.relabelBatch(ctx, derive, &last, &st)
		if err != nil {
			return st, err
		}
		if n < relabelBatch {
			return st, nil
		}
	}
}

type relabelRow struct {
	vpk, rid int64
	current  bool
	d        store.Derived
}

func (db *DB) relabelBatch(ctx context.Context, derive func(v *store.Version) (store.Derived, error), last *int64, st *store.RelabelStats) (int, error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT v.vpk, v.rid, r.type, r.id, v.version, v.last_updated, v.source_org, v.data_class, v.labels, v.patients, v.codes, v.clinical, v.raw, r.vpk = v.vpk
		FROM versions v JOIN resources r ON r.rid = v.rid WHERE v.vpk > ? AND v.raw IS NOT NULL ORDER BY v.vpk LIMIT ?`, *last, relabelBatch)
	if err != nil {
		return 0, err
	}
	var changed []relabelRow
	n := 0
	for rows.Next() {
		var v store.Version
		var vpk, rid, ms, clinical int64
		var labels, patients, codes string
		var current bool
		if err := rows.Scan(&vpk, &rid, &v.Type, &v.ID, &v.VersionID, &ms, &v.SourceOrg, &v.DataClass, &labels, &patients, &codes, &clinical, &v.Raw, &current); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		*last = vpk
		v.LastUpdated = time.UnixMilli(ms).UTC()
		v.Labels, v.Patients, v.Codes = splitList(labels), splitList(patients), splitList(codes)
		if clinical != 0 {
			v.Date = time.UnixMilli(clinical).UTC()
		}
		d, err := derive(&v)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("%s/%s version %d: %w", v.Type, v.ID, v.VersionID, err)
		}
		st.Versions++
		if d.DataClass != v.DataClass || !slices.Equal(d.Labels, v.Labels) || !slices.Equal(d.Patients, v.Patients) ||
			!slices.Equal(d.Codes, v.Codes) || !d.Date.Equal(v.Date) {
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
	labels, patients, codes := joinList(c.d.Labels), joinList(c.d.Patients), joinList(c.d.Codes)
	var clinical int64
	if !c.d.Date.IsZero() {
		clinical = c.d.Date.UnixMilli()
	}
	if _, err := tx.ExecContext(ctx, `UPDATE versions SET data_class = ?, labels = ?, patients = ?, codes = ?, clinical = ? WHERE vpk = ?`,
		c.d.DataClass, labels, patients, codes, clinical, c.vpk); err != nil {
		return err
	}
	if !c.current {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE resources SET data_class = ?, labels = ?, patients = ?, codes = ?, clinical = ?, idx_sums = NULL WHERE rid = ?`,
		c.d.DataClass, labels, patients, codes, clinical, c.rid); err != nil {
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
