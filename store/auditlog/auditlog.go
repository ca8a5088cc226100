// Package auditlog is carex's access log (SPEC §6): one entry per request,
// committed durably before the response leaves the server, kept in the same
// SQLite file as the records.
//
// It is tamper-evident three ways: the tables refuse UPDATE and DELETE (and
// any INSERT but the next sequence number), each entry is hash-chained to
// the one before, and the entries are the leaves of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) whose heads are signed as C2SP checkpoints
// (golang.org/x/mod/sumdb/note, Ed25519). Verify re-derives everything from
// the entry bytes alone, so an IG officer holding the log's public key can
// check a copy of the database offline.
package auditlog

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one access: every field is plain data.
type Entry struct {
	Seq                          int64     // assigned by Append: 0,1,2,… (the Merkle leaf index)
	Time                         time.Time // assigned by Append: UTC, ms, non-decreasing in Seq
	RequestID                    string
	Sub, Name, Role, Org, Sector string
	Purpose                      string
	BreakGlass                   string
	Client                       string // client address
	Operation                    string // read, vread, search, history, everything, create, update, delete, transaction, batch, …
	Method, Path                 string // HTTP method and URL path; any query string is dropped
	ResourceType, ResourceID     string
	Patient                      string   // patient id, when the request touched exactly one
	NHSNumber                    string   // optional
	Released                     []string // Type/id/_history/v
	Withheld                     int
	Decision                     string // permit, partial, deny, error
	Reasons                      []string
	Status                       int
}

// Options configure Open. Signer is required.
type Options struct {
	Signer             note.Signer   // checkpoint signing key (Ed25519); separate from token keys
	Origin             string        // checkpoint origin line; default "carex access log"
	CheckpointEvery    int           // sign a checkpoint every N entries (default 1000)
	CheckpointInterval time.Duration // …or at least every T when new entries exist (default 60s)
	MaxBatch           int           // group commit: at most this many entries per transaction (default 512)
}

// DefaultOrigin is the checkpoint origin when Options.Origin is empty.
const DefaultOrigin = "carex access log"

// Checkpoint is a signed tree head.
type Checkpoint struct {
	Size int64
	Root tlog.Hash
	Note []byte // the signed note: "<origin>\n<size>\n<base64 root>\n" + signatures
	Time time.Time
}

var (
	// ErrClosed is returned by Append and Checkpoint after Close.
	ErrClosed = errors.New("auditlog: access log is closed")
	// ErrEmpty is returned by Checkpoint and Prove on an empty log.
	ErrEmpty = errors.New("auditlog: access log is empty")
)

// Log is an open access log. Its methods are safe for concurrent use.
type Log struct {
	w, r *sql.DB
	opt  Options

	mu     sync.RWMutex // guards closed and sends on reqs
	closed bool
	reqs   chan *pending
	done   chan struct{}
	final  error // the writer's error at Close

	latest atomic.Pointer[Checkpoint]

	// owned by the writer goroutine
	st                     state
	ckSize                 int64
	ckTime                 time.Time
	insLog, insTree, insCk *sql.Stmt
}

// state is what one batch advances; a failed batch leaves it untouched.
type state struct {
	tree   *compactRange
	chain  tlog.Hash
	lastTS int64
}

type pending struct {
	e     Entry // a copy: the caller may give up waiting
	check bool  // a checkpoint request instead of an entry
	done  chan result
}

type result struct {
	seq int64
	ts  int64
	ck  *Checkpoint
	err error
}

// Open creates the tables and triggers if needed and starts the
// group-commit writer. writer must be the store's single writer connection
// (its DSN sets _txlock=immediate and synchronous=FULL); reader may be the
// read pool (nil: use writer).
func Open(ctx context.Context, writer, reader *sql.DB, opt Options) (*Log, error) {
	if opt.Signer == nil {
		return nil, errors.New("auditlog: Options.Signer is required (see LoadOrCreateKey)")
	}
	if opt.Origin == "" {
		opt.Origin = DefaultOrigin
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = 1000
	}
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = 60 * time.Second
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if reader == nil {
		reader = writer
	}
	// Append promises durability: refuse a writer that would not give it.
	var sync int
	if err := writer.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	if sync < 2 {
		return nil, fmt.Errorf("auditlog: the writer connection has synchronous=%d: the access log needs synchronous=FULL so that acknowledged entries survive a crash", sync)
	}
	if err := migrate(ctx, writer); err != nil {
		return nil, err
	}
	l := &Log{w: writer, r: reader, opt: opt, reqs: make(chan *pending, opt.MaxBatch), done: make(chan struct{})}
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = writer.PrepareContext(ctx, q)
		return s
	}
	l.insLog = prep(`INSERT INTO audit_log(seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass) VALUES (?,?,?,?,?,?,?,?,?,?)`)
	l.insTree = prep(`INSERT INTO audit_tree(idx, hash) VALUES (?,?)`)
	l.insCk = prep(`INSERT INTO audit_checkpoint(size, root, note, ts) VALUES (?,?,?,?)`)
	if err != nil {
		l.closeStmts()
		return nil, err
	}
	go l.run()
	return l, nil
}

// load reads the writer state: size, chain head, last time, the tree's right
// edge and the latest checkpoint.
func (l *Log) load(ctx context.Context) error {
	st := state{tree: &compactRange{}}
	var seq, ts sql.NullInt64
	var chain []byte
	err := l.w.QueryRowContext(ctx, `SELECT seq, ts, chain_hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &ts, &chain)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	default:
		st.tree.n = seq.Int64 + 1
		st.lastTS = ts.Int64
		copy(st.chain[:], chain)
	}
	var ntree int64
	if err := l.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM audit_tree`).Scan(&ntree); err != nil {
		return err
	}
	if want := tlog.StoredHashCount(st.tree.n); ntree != want {
		return fmt.Errorf("auditlog: audit_tree holds %d hashes, %d entries need %d: the log was altered (run audit verify)", ntree, st.tree.n, want)
	}
	st.tree.idx = rightEdge(st.tree.n)
	hs, err := (&sqlHashReader{ctx: ctx, db: l.w}).ReadHashes(st.tree.idx)
	if err != nil {
		return err
	}
	st.tree.hashes = hs
	l.st = st
	var ck Checkpoint
	var root, text []byte
	var cts int64
	err = l.w.QueryRowContext(ctx, `SELECT size, root, note, ts FROM audit_checkpoint ORDER BY size DESC LIMIT 1`).Scan(&ck.Size, &root, &text, &cts)
	switch {
	case err == sql.ErrNoRows:
		l.ckTime = time.Now()
	case err != nil:
		return err
	default:
		copy(ck.Root[:], root)
		ck.Note, ck.Time = text, time.UnixMilli(cts).UTC()
		l.latest.Store(&ck)
		l.ckSize, l.ckTime = ck.Size, ck.Time
	}
	return nil
}

// Append logs e and returns once it is committed durably, setting e.Seq and
// e.Time (the time of logging, assigned by the log so that it never goes
// back: any Time the caller set is replaced). Concurrent calls share one
// transaction (group commit). If ctx ends while the entry is queued, Append
// returns ctx.Err() and the entry may still be committed.
func (l *Log) Append(ctx context.Context, e *Entry) error {
	r, err := l.submit(ctx, &pending{e: *e})
	if err != nil {
		return err
	}
	e.Seq, e.Time = r.seq, time.UnixMilli(r.ts).UTC()
	return nil
}

// Checkpoint signs a checkpoint of the log as it is now (returning the
// latest one if nothing was appended since).
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	r, err := l.submit(ctx, &pending{check: true})
	if err != nil {
		return nil, err
	}
	return r.ck, nil
}

// Latest is the latest checkpoint, nil if none was signed yet.
func (l *Log) Latest() *Checkpoint { return l.latest.Load() }

// Size is the number of committed entries.
func (l *Log) Size(ctx context.Context) (int64, error) {
	var n int64
	err := l.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq)+1, 0) FROM audit_log`).Scan(&n)
	return n, err
}

func (l *Log) submit(ctx context.Context, p *pending) (result, error) {
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	p.done = make(chan result, 1)
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return result{}, ErrClosed
	}
	select {
	case l.reqs <- p:
	case <-ctx.Done():
		l.mu.RUnlock()
		return result{}, ctx.Err()
	}
	l.mu.RUnlock()
	select {
	case r := <-p.done:
		return r, r.err
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
}

// Close flushes pending appends, signs a final checkpoint and stops the
// writer. It does not close the databases.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.mu.Unlock()
	<-l.done
	l.closeStmts()
	return l.final
}

func (l *Log) closeStmts() {
	for _, s := range []*sql.Stmt{l.insLog, l.insTree, l.insCk} {
		if s != nil {
			s.Close()
		}
	}
}

// run is the single writer: it drains the queue into batches.
func (l *Log) run() {
	defer close(l.done)
	tick := time.NewTicker(min(l.opt.CheckpointInterval, time.Second))
	defer tick.Stop()
	batch := make([]*pending, 0, l.opt.MaxBatch)
	for {
		select {
		case p, ok := <-l.reqs:
			if !ok {
				l.final = l.commit(nil, true)
				return
			}
			batch = append(batch[:0], p)
			open := true
		drain:
			for len(batch) < l.opt.MaxBatch {
				select {
				case p, ok := <-l.reqs:
					if !ok {
						open = false
						break drain
					}
					batch = append(batch, p)
				default:
					break drain
				}
			}
			err := l.commit(batch, !open)
			if !open {
				l.final = err
				return
			}
		case <-tick.C:
			if l.st.tree.n > l.ckSize && time.Since(l.ckTime) >= l.opt.CheckpointInterval {
				l.commit(nil, true)
			}
		}
	}
}

// commit writes batch (and a checkpoint when due or asked) in one
// transaction, then answers every waiter.
func (l *Log) commit(batch []*pending, forceCk bool) error {
	ctx := context.Background()
	st := state{tree: l.st.tree.clone(), chain: l.st.chain, lastTS: l.st.lastTS}
	results := make([]result, len(batch))
	ck, err := func() (*Checkpoint, error) {
		tx, err := l.w.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		insLog, insTree := tx.StmtContext(ctx, l.insLog), tx.StmtContext(ctx, l.insTree)
		hh := newHasher()
		wantCk := forceCk
		for i, p := range batch {
			if p.check {
				wantCk = true
				continue
			}
			e := &p.e
			ts := time.Now().UnixMilli()
			if ts < st.lastTS {
				ts = st.lastTS // the clock stepped back: keep the log in time order
			}
			n := st.tree.n
			e.Seq, e.Time, e.Path = n, time.UnixMilli(ts), stripQuery(e.Path)
			data, err := Encode(e)
			if err != nil {
				return nil, err
			}
			leaf := hh.leaf(data)
			chain := hh.chain(st.chain, leaf)
			hashes, err := tlog.StoredHashesForRecordHash(n, leaf, st.tree)
			if err != nil {
				return nil, err
			}
			bg := 0
			if e.BreakGlass != "" {
				bg = 1
			}
			if _, err := insLog.ExecContext(ctx, n, ts, data, leaf[:], chain[:], e.Patient, e.Sub, e.Org, e.Decision, bg); err != nil {
				return nil, err
			}
			base := tlog.StoredHashCount(n)
			for j, h := range hashes {
				if _, err := insTree.ExecContext(ctx, base+int64(j), h[:]); err != nil {
					return nil, err
				}
			}
			st.tree.push(hashes)
			st.chain, st.lastTS = chain, ts
			results[i] = result{seq: n, ts: ts}
		}
		n := st.tree.n
		var ck *Checkpoint
		due := n-l.ckSize >= int64(l.opt.CheckpointEvery) ||
			(n > l.ckSize && time.Since(l.ckTime) >= l.opt.CheckpointInterval)
		if (wantCk || due) && n > l.ckSize {
			root, err := tlog.TreeHash(n, st.tree)
			if err != nil {
				return nil, err
			}
			text := checkpointText(l.opt.Origin, n, root)
			signed, err := note.Sign(&note.Note{Text: text}, l.opt.Signer)
			if err != nil {
				return nil, err
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			if _, err := tx.StmtContext(ctx, l.insCk).ExecContext(ctx, n, root[:], signed, now.UnixMilli()); err != nil {
				return nil, err
			}
			ck = &Checkpoint{Size: n, Root: root, Note: signed, Time: now}
		}
		return ck, tx.Commit()
	}()
	if err != nil {
		err = fmt.Errorf("auditlog: append: %w", err)
	} else {
		l.st = st
		if ck != nil {
			l.latest.Store(ck)
			l.ckSize, l.ckTime = ck.Size, ck.Time
		}
	}
	latest := l.latest.Load()
	for i, p := range batch {
		r := results[i]
		r.err = err
		if p.check {
			r.ck = latest
			if err == nil && latest == nil {
				r.err = ErrEmpty
			}
		}
		p.done <- r
	}
	return err
}

// checkpointText is the C2SP checkpoint body (tlog.FormatTree adds a
// "go.sum database tree" origin, so it is spelled out here).
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// sqlHashReader reads tlog stored hashes from audit_tree.
type sqlHashReader struct {
	ctx context.Context
	db  interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}
}

func (r *sqlHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	q := make([]byte, 0, 64+4*len(indexes))
	q = append(q, "SELECT idx, hash FROM audit_tree WHERE idx IN ("...)
	for i, x := range indexes {
		if i > 0 {
			q = append(q, ',')
		}
		q = strconv.AppendInt(q, x, 10)
		pos[x] = append(pos[x], i)
	}
	q = append(q, ')')
	rows, err := r.db.QueryContext(r.ctx, string(q))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return nil, err
		}
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("auditlog: audit_tree hash %d has %d bytes", x, len(h))
		}
		for _, i := range pos[x] {
			copy(out[i][:], h)
			found++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(indexes) {
		return nil, fmt.Errorf("auditlog: audit_tree is missing stored hashes (%d of %d found)", found, len(indexes))
	}
	return out, nil
}
