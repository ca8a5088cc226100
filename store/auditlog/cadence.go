package auditlog

import (
	"context"
	"errors"
	"fmt"
)

// The server signs a checkpoint each time the tree reaches a multiple of
// CheckpointEvery (at most maxCheckpointEvery), in the same SQLite
// transaction as the entries that reach it, so that no commit, and no
// crash, leaves more unsigned entries in the tables than that; the 10 s
// interval and shutdown only add checkpoints in between. Someone without
// the key who rewrites an entry must remove every checkpoint after it: the
// cadence shows that they did.
const (
	maxCheckpointEvery = 1000
	// maxUnsigned: entries the tables can hold after the newest checkpoint.
	// Entries only in the journal (a crash, a running server) are not in
	// the tables and not counted.
	maxUnsigned = maxCheckpointEvery - 1
	// maxCheckpointGap: entries between consecutive checkpoints. 1,000
	// since 2026-12-02; carex before then signed at the end of the first
	// batch (up to 512 entries) that left 1,000 unsigned, so its logs have
	// gaps of up to 1,511.
	maxCheckpointGap = maxCheckpointEvery + 511
)

// ErrWrongKey is returned (wrapped) by Open when the log's newest
// checkpoint was not signed with Options.Signer: signing on with another
// key would leave the log verifiable under neither.
var ErrWrongKey = errors.New("the access log's checkpoints were signed with another key")

// cadenceProblem checks the sizes of a log's checkpoints (ascending, all
// at most n) against a table of n entries. It returns the first entry that
// is not covered as the server would have covered it, and why; -1 when
// the cadence holds.
func cadenceProblem(sizes []int64, n int64) (int64, string) {
	prev := int64(0)
	for _, s := range sizes {
		if s-prev > maxCheckpointGap {
			return prev, fmt.Sprintf("entries %d..%d have no checkpoint between sizes %d and %d, but carex signs one at least every %d entries: checkpoints were removed", prev, s-1, prev, s, maxCheckpointEvery)
		}
		prev = s
	}
	if n-prev > maxUnsigned {
		return prev, fmt.Sprintf("entries %d..%d (%d) follow the newest checkpoint (size %d), but carex never leaves more than %d unsigned, even at a crash: the checkpoints that covered them were removed, and entries among them may have been rewritten; check the log against a checkpoint saved outside the database (audit verify --checkpoint), or restore it from a backup that verifies", prev, n-1, n-prev, prev, maxUnsigned)
	}
	return -1, ""
}

// checkpointSizes lists the sizes of the log's checkpoints, ascending.
func checkpointSizes(ctx context.Context, db querier) ([]int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT size FROM audit_checkpoint ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sizes []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		sizes = append(sizes, s)
	}
	return sizes, rows.Err()
}

// sizeOr0 is the checkpoint's size, 0 for none.
func (c *Checkpoint) sizeOr0() int64 {
	if c == nil {
		return 0
	}
	return c.Size
}
