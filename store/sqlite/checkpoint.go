package sqlite

import (
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"
)

// A checkpoint copies the WAL's committed pages back into the database
// file. SQLite runs one inside the committing connection once the WAL
// holds wal_autocheckpoint frames (1,000 by default), and the commit
// returns only after it has copied them and synced the file: under
// 15-entry transactions from 4 clients a commit took 3.6 ms at p50 and
// 14 ms at p90, the p90 being those checkpoints.
//
// So a checkpointer with its own connection copies committed pages in the
// background after each commit (PASSIVE: it waits for no reader and no
// writer), and the writer's own checkpoint runs only every
// walAutoCheckpoint frames, when the background has left it little to
// copy. The writer's checkpoint is kept because only it restarts the WAL:
// SQLite rewinds the WAL to its start when a write transaction begins on a
// fully copied WAL, and with a busy writer a background copy rarely
// finishes in that gap (without it the WAL grew to 800 MB in 10 s).
var walAutoCheckpoint = 8192 // frames: 32 MiB of 4 KiB pages (a var for tests)

// checkpointGap spaces background checkpoints: each syncs the database
// file, so several commits' pages are copied at once.
const checkpointGap = 50 * time.Millisecond

type checkpointer struct {
	conn *sql.DB
	log  *slog.Logger
	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	// The last background checkpoint's result (tests): frames in the WAL
	// and frames copied into the database file.
	walFrames, copied atomic.Int64
}

func startCheckpointer(path string, log *slog.Logger) (*checkpointer, error) {
	conn, err := openPool(dsn(path, true), 1)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	c := &checkpointer{conn: conn, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// committed tells the checkpointer that the WAL has new pages.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		var busy, frames, copied int64
		if err := c.conn.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
			// Not fatal: the writer's own checkpoints still copy everything.
			c.log.Warn("background WAL checkpoint failed; the writer's checkpoints continue", "err", err)
		} else {
			c.walFrames.Store(frames)
			c.copied.Store(copied)
		}
		gap.Reset(checkpointGap)
		select {
		case <-c.stop:
			return
		case <-gap.C:
		}
	}
}

// close stops the checkpointer before the writer's final checkpoint.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}
