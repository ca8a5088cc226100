package auditlog

import (
	"sync/atomic"
	"time"
)

// Stats are the log's running totals since Open, for monitoring (carex
// serves them on /metrics). Rates and means come from differences between
// two readings: mean entries per journal write = ΔEntries / ΔWrites, mean
// time a request waited for its entry = ΔAppendWait / ΔAppends.
type Stats struct {
	Appends    int64         // Append calls answered (durable or failed)
	AppendWait time.Duration // their summed time from queueing to the answer
	Writes     int64         // journal writes (one per group commit)
	Entries    int64         // entries those writes carried
	WriteTime  time.Duration // summed time of the journal writes
	Lingers    int64         // writes that first waited for more entries
	LingerTime time.Duration // summed time of those waits
	Indexed    int64         // entries copied into SQLite
	IndexTxns  int64         // SQLite transactions that copied them
	IndexTime  time.Duration // summed time of those transactions
	Queued     int64         // entries durable in the journal, not yet in SQLite
	CopyErrors int64         // checkpoint copies (Options.CheckpointCopy) that failed
}

// counters are updated where the work happens; atomics, so that reading
// them never waits for the writer or the indexer.
type counters struct {
	appends, appendWait       atomic.Int64
	writes, entries, writeNs  atomic.Int64
	lingers, lingerNs         atomic.Int64
	indexed, indexTxns, idxNs atomic.Int64
	copyErrs                  atomic.Int64
}

// Stats returns the totals so far.
func (l *Log) Stats() Stats {
	c := &l.stats
	l.hmu.Lock()
	queued := int64(len(l.queue))
	l.hmu.Unlock()
	return Stats{
		Appends: c.appends.Load(), AppendWait: time.Duration(c.appendWait.Load()),
		Writes: c.writes.Load(), Entries: c.entries.Load(), WriteTime: time.Duration(c.writeNs.Load()),
		Lingers: c.lingers.Load(), LingerTime: time.Duration(c.lingerNs.Load()),
		Indexed: c.indexed.Load(), IndexTxns: c.indexTxns.Load(), IndexTime: time.Duration(c.idxNs.Load()),
		Queued: queued, CopyErrors: c.copyErrs.Load(),
	}
}
