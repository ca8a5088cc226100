package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/carex-project/carex/store"
)

// Intents implements store.Store.
func (db *DB) Intents(ctx context.Context) ([]store.Intent, error) {
	return ReadIntents(ctx, db.reader)
}

// ReadIntents reads the access-log entries kept with changes from a
// records database, which may be open read-only (carex audit verify):
// none when it predates them.
func ReadIntents(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]store.Intent, error) {
	rows, err := q.QueryContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'write_intents'`)
	if err != nil {
		return nil, fmt.Errorf("read the access-log entries kept with changes: %w", err)
	}
	var n int
	for rows.Next() {
		err = rows.Scan(&n)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil || n == 0 {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, entry FROM write_intents ORDER BY n`)
	if err != nil {
		return nil, fmt.Errorf("read the access-log entries kept with changes: %w", err)
	}
	defer rows.Close()
	var out []store.Intent
	for rows.Next() {
		var in store.Intent
		if err := rows.Scan(&in.ID, &in.Entry); err != nil {
			return nil, fmt.Errorf("read the access-log entries kept with changes: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// ForgetIntents implements store.Store.
func (db *DB) ForgetIntents(ids ...string) {
	if len(ids) == 0 {
		return
	}
	db.forgetMu.Lock()
	db.forget = append(db.forget, ids...)
	db.forgetMu.Unlock()
}

// takeForgotten empties the queue ForgetIntents filled.
func (db *DB) takeForgotten() []string {
	db.forgetMu.Lock()
	defer db.forgetMu.Unlock()
	ids := db.forget
	db.forget = nil
	return ids
}

// DropIntents implements store.Store.
func (db *DB) DropIntents(ctx context.Context, ids ...string) error {
	if db.ws == nil {
		return store.ErrReadOnly
	}
	ids = append(ids, db.takeForgotten()...)
	if len(ids) == 0 {
		return nil
	}
	// Under the writer's lock, as a Commit: one writer at a time.
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if _, err := db.ws.dropIntents.ExecContext(ctx, jsonStrings(ids)); err != nil {
		db.ForgetIntents(ids...)
		return fmt.Errorf("forget access-log entries kept with changes: %w", err)
	}
	return nil
}

// jsonStrings is xs as a JSON array, for json_each.
func jsonStrings(xs []string) string {
	b, _ := json.Marshal(xs) // []string always marshals
	return string(b)
}
