package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the reader pool's statements by SQL text. Searches and
// compartment queries are built per request, but their text depends only
// on the query's shape (every value is a bound argument), so the same few
// texts recur; compiling one took a third of a search by NHS number.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxCachedStmts bounds the shapes kept (each is compiled once per reader
// connection, in SQLite's own memory); beyond it a text is compiled for its
// one use (nothing is evicted: a statement may be in use).
const maxCachedStmts = 128

// query runs text on the reader pool through its cached statement.
func (db *DB) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	c := &db.stc
	c.mu.Lock()
	st := c.stmts[text]
	c.mu.Unlock()
	if st == nil {
		var err error
		if st, err = db.reader.PrepareContext(ctx, text); err != nil {
			return nil, err
		}
		c.mu.Lock()
		switch have := c.stmts[text]; {
		case have != nil: // prepared meanwhile by another request
			st.Close()
			st = have
		case len(c.stmts) < maxCachedStmts:
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[text] = st
		default:
			defer st.Close()
		}
		c.mu.Unlock()
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}
