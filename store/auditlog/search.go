package auditlog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Query selects entries for IG queries. Zero fields do not filter.
type Query struct {
	Patient, Sub, Org string
	// Also: other records of the same person as Patient (Patient.link: a
	// merged duplicate), whose entries are selected with Patient's.
	Also     []string
	From, To time.Time // From inclusive, To exclusive
	Decision string
	// BreakGlassOnly: the requests that broke glass (carried a reason).
	BreakGlassOnly bool
	// BreakGlassAccesses (Scan only): those and the later requests a grant
	// they opened let through.
	BreakGlassAccesses bool
	Before             int64  // > 0: only entries before this sequence number (a stable page cursor)
	SeqFrom            int64  // > 0: only entries from this sequence number on
	Count, Offset      int    // Count: default 100, at most 1000
	Outcome            string // AuditEvent outcome code (0, 4, 8, 12): filters by HTTP status (see Outcome)
}

// where is the SQL condition (with its leading " WHERE ") selecting q in
// db; its dates become a seq range (seqRange).
func (q Query) where(ctx context.Context, db Querier) (string, []any, error) {
	lo, hi, err := q.seqRange(ctx, db)
	if err != nil {
		return "", nil, err
	}
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if q.Patient != "" {
		// The patient column holds the id as the request gave it; the
		// rows of an entry naming several, as the entry decodes (canonical).
		ids := append([]string{q.Patient}, q.Also...)
		in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		where = append(where, "(patient IN ("+in+") OR seq IN (SELECT seq FROM audit_patient WHERE patient IN ("+in+")))")
		args = append(append(args, anys(ids)...), anys(canonicalAll(ids))...)
	}
	eq("sub", q.Sub)
	eq("org", q.Org)
	eq("decision", q.Decision)
	if hi >= 0 {
		// The range that drives the patient and sub indexes; the ts
		// conditions below only restate it.
		where = append(where, "seq >= ? AND seq < ?")
		args = append(args, lo, hi)
	}
	if q.Before > 0 {
		where = append(where, "seq < ?")
		args = append(args, q.Before)
	}
	if q.SeqFrom > 0 {
		where = append(where, "seq >= ?")
		args = append(args, q.SeqFrom)
	}
	if !q.From.IsZero() {
		where = append(where, "ts >= ?")
		args = append(args, q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where = append(where, "ts < ?")
		args = append(args, q.To.UnixMilli())
	}
	if q.BreakGlassOnly {
		where = append(where, "break_glass = 1")
	}
	if q.Outcome != "" {
		const st = "json_extract(entry, '$.status')"
		switch q.Outcome {
		case "0":
			where = append(where, st+" < 400")
		case "4":
			where = append(where, st+" BETWEEN 400 AND 499")
		case "8":
			where = append(where, st+" IN (503, 504)")
		case "12":
			where = append(where, st+" >= 500 AND "+st+" NOT IN (503, 504)")
		default:
			where = append(where, "0")
		}
	}
	if len(where) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(where, " AND "), args, nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// seqRange turns q's dates into the entries between them, lo to hi-1 (hi
// -1 when q has no dates). Entries are in time order (the writer never lets
// ts go back and verify checks it), so a binary search over seq finds them
// without an index on ts: one index fewer to update per entry.
func (q Query) seqRange(ctx context.Context, db Querier) (lo, hi int64, err error) {
	if q.From.IsZero() && q.To.IsZero() {
		return 0, -1, nil
	}
	n, err := LogSize(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	// first is the first entry from seq onwards at or after ms (n if none).
	first := func(seq, ms int64) (int64, error) {
		lo, hi := seq, n
		for lo < hi {
			mid := lo + (hi-lo)/2
			var ts int64
			if err := queryInt(ctx, db, &ts, `SELECT ts FROM audit_log WHERE seq = ?`, mid); err != nil {
				return 0, fmt.Errorf("auditlog: reading entry %d: %w (run carex audit verify)", mid, err)
			}
			if ts >= ms {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo, nil
	}
	lo, hi = 0, n
	if !q.From.IsZero() {
		if lo, err = first(0, q.From.UnixMilli()); err != nil {
			return 0, 0, err
		}
	}
	if !q.To.IsZero() {
		// The end is not before the start: search only past it.
		if hi, err = first(lo, q.To.UnixMilli()); err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

// queryInt scans the one integer query returns into v.
// LogSize is the number of entries in the access log's table.
func LogSize(ctx context.Context, db Querier) (int64, error) {
	var n int64
	err := queryInt(ctx, db, &n, `SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_log`)
	return n, err
}

func queryInt(ctx context.Context, db Querier, v *int64, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(v); err != nil {
		return err
	}
	return rows.Close()
}

// Search returns the matching entries newest first, and how many match in
// all. Entries are decoded from the stored (hashed) bytes.
func (l *Log) Search(ctx context.Context, q Query) ([]*Entry, int, error) {
	if err := l.Sync(ctx); err != nil {
		return nil, 0, err
	}
	cond, args, err := q.where(ctx, l.r)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := l.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	count := q.Count
	if count <= 0 {
		count = 100
	}
	count = min(count, 1000)
	// The page's seqs first, from the indexes, then only their entries:
	// selecting the entries themselves sorted every matching entry (a
	// person's are found by two indexes, so not in seq order) to keep 20.
	rows, err := l.r.QueryContext(ctx, `SELECT entry FROM audit_log WHERE seq IN (SELECT seq FROM audit_log`+cond+
		` ORDER BY seq DESC LIMIT ? OFFSET ?) ORDER BY seq DESC`,
		append(args, count, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, 0, err
		}
		e, err := Decode(b)
		if err != nil {
			return nil, 0, fmt.Errorf("auditlog: undecodable entry: %w", err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Get returns entry seq and its stored canonical bytes.
func (l *Log) Get(ctx context.Context, seq int64) (*Entry, []byte, error) {
	if err := l.Sync(ctx); err != nil {
		return nil, nil, err
	}
	var b []byte
	if err := l.r.QueryRowContext(ctx, `SELECT entry FROM audit_log WHERE seq = ?`, seq).Scan(&b); err != nil {
		if err == sql.ErrNoRows {
			return nil, nil, fmt.Errorf("auditlog: no entry %d", seq)
		}
		return nil, nil, err
	}
	e, err := Decode(b)
	return e, b, err
}

// Prove returns an inclusion proof of entry seq in the latest checkpoint
// (signing one first if seq is newer). Check it with
// tlog.CheckRecord(proof, ck.Size, ck.Root, seq, tlog.RecordHash(entryBytes)).
func (l *Log) Prove(ctx context.Context, seq int64) (tlog.RecordProof, *Checkpoint, error) {
	ck := l.latest.Load()
	if ck == nil || seq >= ck.Size {
		var err error
		if ck, err = l.Checkpoint(ctx); err != nil {
			return nil, nil, err
		}
	}
	if seq < 0 || seq >= ck.Size {
		return nil, nil, fmt.Errorf("auditlog: no entry %d (log size %d)", seq, ck.Size)
	}
	p, err := tlog.ProveRecord(ck.Size, seq, &sqlHashReader{ctx: ctx, db: l.r})
	if err != nil {
		return nil, nil, err
	}
	return p, ck, nil
}

// InclusionProof shows that one entry is in a signed checkpoint.
type InclusionProof struct {
	Seq        int64
	Entry      []byte      // the entry's canonical bytes (the leaf)
	Checkpoint []byte      // the signed note
	Size       int64       // tree size the checkpoint commits to
	Root       tlog.Hash   // its root
	Hashes     []tlog.Hash // RFC 6962 audit path from the leaf to the root
}

// ProveEntry builds and checks, from the database alone, an inclusion proof
// of entry seq in the earliest checkpoint that covers it and whose signature
// verifies. Nothing stored is trusted: a proof read from an edited tree
// does not check against the signed root, and the error says so.
func ProveEntry(ctx context.Context, db *sql.DB, seq int64, verifiers note.Verifiers) (*InclusionProof, error) {
	p := &InclusionProof{Seq: seq}
	if err := db.QueryRowContext(ctx, `SELECT entry FROM audit_log WHERE seq = ?`, seq).Scan(&p.Entry); err != nil {
		if err == sql.ErrNoRows {
			return nil, fmt.Errorf("auditlog: no entry %d in the tables (a running server copies new entries in within a second)", seq)
		}
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT size, note FROM audit_checkpoint WHERE size > ? ORDER BY size LIMIT 1`, seq).Scan(&p.Size, &p.Checkpoint); err != nil {
		if err == sql.ErrNoRows {
			return nil, fmt.Errorf("auditlog: entry %d is not yet covered by a signed checkpoint (one is signed every 1000 entries, every 10 seconds and at shutdown): try again later", seq)
		}
		return nil, err
	}
	root, err := openStoredCheckpoint(p.Size, p.Checkpoint, verifiers, fmt.Sprintf("the checkpoint at size %d", p.Size))
	if err != nil {
		return nil, err
	}
	p.Root = root
	proof, err := tlog.ProveRecord(p.Size, seq, &sqlHashReader{ctx: ctx, db: db})
	if err != nil {
		return nil, fmt.Errorf("auditlog: reading the Merkle tree: %w", err)
	}
	p.Hashes = proof
	if err := tlog.CheckRecord(proof, p.Size, p.Root, seq, tlog.RecordHash(p.Entry)); err != nil {
		return nil, fmt.Errorf("auditlog: entry %d is not in the signed checkpoint at size %d (the entry or the stored tree was edited): %w", seq, p.Size, ErrTampered)
	}
	return p, nil
}
