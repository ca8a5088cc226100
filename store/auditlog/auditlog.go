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
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
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
	Patients                     []string // every patient touched, when a request touched several (Patient is then "")
	NHSNumber                    string   // optional
	Released                     []string // Type/id/_history/v
	Withheld                     int
	Decision                     string // permit, partial, deny, error
	Reasons                      []string
	Status                       int
	// Restricted: the people among those touched whose record is
	// restricted (the reason restricted-patient is theirs alone); nil in
	// entries written before it was recorded.
	Restricted []string
	// Kept: the ids of the copies of this entry kept with the request's
	// changes in the records (api keepEntry, store.Intent), by which carex
	// serve tells at start which stored changes' entries reached the log;
	// nil for requests that stored nothing, and in entries written before
	// it was recorded.
	Kept []string
	// Issuer: the iss of the caller's token, which tells an identity
	// provider's user from a development token's of the same sub (review
	// 45b); "" in entries written before it was recorded, and for a
	// request without a valid token.
	Issuer string
	// Claimed: the people the request reached through a relationship its
	// user's organisation claimed (the reason claimed-relationship is
	// theirs alone: review 61e, the alert named a person the request
	// reached only in another's record); nil in entries written before it
	// was recorded.
	Claimed []string
}

// Options configure Open. Signer is required.
type Options struct {
	Signer             note.Signer   // checkpoint signing key (Ed25519); separate from token keys
	Origin             string        // checkpoint origin line; default "carex access log"
	CheckpointEvery    int           // sign a checkpoint every N entries (default and most 1000: verify holds logs to it)
	CheckpointInterval time.Duration // …or at least every T when new entries exist (default 10s)
	MaxBatch           int           // group commit: at most this many entries per journal sync (default 512)
	// CommitDelay: when requests are arriving together, wait up to this long
	// for more before writing a batch (default 500µs; negative: never).
	CommitDelay time.Duration

	// Journal is the file where entries become durable before they are
	// indexed into SQLite; default: the database file's name + "-audit".
	Journal string
	// IndexDelay is how long an entry may wait in the journal before it is
	// copied into SQLite (default 100ms); IG queries wait for it (Sync).
	IndexDelay time.Duration
	// IndexBatch: copy as soon as this many entries wait (default 2048).
	IndexBatch int
	// JournalLimit: empty the journal once it is larger than this and all of
	// it is in SQLite (default 16 MiB).
	JournalLimit int64

	// CheckpointCopy is a file outside the database where every new signed
	// checkpoint is also written, replacing the one before. Open refuses a
	// log that does not extend the checkpoint found there (ErrBehindSaved),
	// or that holds a signed checkpoint when there is none (ErrNoSaved).
	CheckpointCopy string
	// Verifiers check the copy's and the newest checkpoint's signatures at
	// Open (nil: not checked; the newest checkpoint must still name Signer).
	Verifiers note.Verifiers
	// Logger reports a copy that could not be written (default slog.Default()).
	Logger *slog.Logger
}

// DefaultOrigin is the checkpoint origin when Options.Origin is empty.
const DefaultOrigin = "carex access log"

// JournalSuffix names the journal beside the database file (like -wal).
const JournalSuffix = "-audit"

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
	// ErrNoCheckpoint is returned by LatestCheckpoint on a log with
	// entries none of which a checkpoint signs yet.
	ErrNoCheckpoint = errors.New("auditlog: no checkpoint signed yet")
)

// copyCloseWait: how long Close waits for the last checkpoint copy.
const copyCloseWait = 10 * time.Second

// indexChunk bounds the entries copied into SQLite per transaction (a var
// for tests).
var indexChunk = 4096

// maxQueue bounds the entries waiting for the indexer; beyond it appends
// wait (SQLite is slower than the journal only in bursts).
var maxQueue = 1 << 16 // a var for TestBackPressureKicksTheIndexer

// Log is an open access log. Its methods are safe for concurrent use.
type Log struct {
	w, r *sql.DB
	opt  Options

	mu     sync.RWMutex // guards closed and sends on reqs
	closed bool
	reqs   chan *pending
	wdone  chan struct{} // the writer has stopped
	stop   chan struct{} // tells the indexer to finish
	idone  chan struct{} // the indexer has stopped
	final  error         // the indexer's error at Close

	latest atomic.Pointer[Checkpoint]
	stats  counters
	copier *copier // keeps Options.CheckpointCopy; nil without one

	j   *journal
	jmu sync.Mutex // held while the journal is written or reset

	// owned by the writer goroutine
	next   int64     // seq of the next entry
	chain  tlog.Hash // chain hash of entry next-1
	lastTS int64
	broken error // the journal's end is unknown: refuse appends
	// brokenErr is broken for other goroutines (Err).
	brokenErr atomic.Pointer[error]
	// lastFail is the latest journal write that failed, while none has
	// succeeded since (Failing).
	lastFail atomic.Pointer[writeFailure]
	// dbFile, dbInfo: the access database's path and the file there when
	// opened (dbMoved).
	dbFile string
	dbInfo os.FileInfo

	// the hand-off from writer to indexer, guarded by hmu
	hmu      sync.Mutex
	queue    []row         // durable in the journal, not yet in SQLite
	appended int64         // entries durable
	indexed  int64         // entries in SQLite
	ckWant   int64         // a checkpoint of at least this size was asked for
	idxErr   error         // the last indexing error (entries stay queued and are retried)
	progress chan struct{} // closed (and replaced) whenever the indexer commits or fails
	kick     chan struct{}

	// owned by the indexer goroutine
	tree                   *compactRange
	ckSize                 int64
	ckTime                 time.Time
	insLog, insTree, insCk *sql.Stmt
	insPatient             *sql.Stmt
}

// row is one journaled entry on its way to SQLite.
type row struct {
	seq, ts                     int64
	data                        []byte
	leaf, chain                 tlog.Hash
	patient, sub, org, decision string
	patients                    []string
	breakGlass                  bool
}

type pending struct {
	e    Entry // a copy: the caller may give up waiting
	done chan result
}

type result struct {
	seq int64
	ts  int64
	err error
}

// Open creates the tables and triggers if needed, indexes whatever the
// journal holds beyond them (entries acknowledged before a crash), and
// starts the group-commit writer and the indexer. writer must be the
// database's single writer connection (its DSN sets _txlock=immediate and
// synchronous=FULL; sqlite.OpenConns opens one); reader may be the read
// pool (nil: use writer). carex keeps the log in a database of its own.
func Open(ctx context.Context, writer, reader *sql.DB, opt Options) (*Log, error) {
	if opt.Signer == nil {
		return nil, errors.New("auditlog: Options.Signer is required (see LoadOrCreateKey)")
	}
	if opt.Origin == "" {
		opt.Origin = DefaultOrigin
	}
	if opt.CheckpointEvery <= 0 || opt.CheckpointEvery > maxCheckpointEvery {
		opt.CheckpointEvery = maxCheckpointEvery // verify holds every log to this cadence
	}
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = 10 * time.Second
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if opt.CommitDelay == 0 {
		opt.CommitDelay = 500 * time.Microsecond
	}
	if opt.IndexDelay <= 0 {
		opt.IndexDelay = 100 * time.Millisecond
	}
	if opt.IndexBatch <= 0 {
		opt.IndexBatch = 2048
	}
	if opt.JournalLimit <= 0 {
		opt.JournalLimit = 16 << 20
	}
	if reader == nil {
		reader = writer
	}
	// The journal is emptied once SQLite holds its entries: SQLite's
	// commits must then be as durable as the journal's.
	var sync int
	if err := writer.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	if sync < 2 {
		return nil, fmt.Errorf("auditlog: the writer connection has synchronous=%d: the access log needs synchronous=FULL so that acknowledged entries survive a crash", sync)
	}
	if opt.Journal == "" {
		file, err := mainFile(ctx, writer)
		if err != nil {
			return nil, err
		}
		opt.Journal = file + JournalSuffix
	}
	if err := migrate(ctx, writer); err != nil {
		return nil, err
	}
	// IG reads the log through these names: a view in a table's place, or a
	// trigger added, could show IG something other than the log verified.
	if why, err := schemaProblem(ctx, writer, writer.Driver()); err != nil {
		return nil, err
	} else if why != "" {
		return nil, fmt.Errorf("auditlog: %w: %s; run carex audit verify, and restore the log from a backup that verifies", ErrTampered, why)
	}
	l := &Log{w: writer, r: reader, opt: opt, reqs: make(chan *pending, opt.MaxBatch),
		wdone: make(chan struct{}), stop: make(chan struct{}), idone: make(chan struct{}),
		progress: make(chan struct{}), kick: make(chan struct{}, 1)}
	if l.opt.Logger == nil {
		l.opt.Logger = slog.Default()
	}
	if err := l.load(ctx); err != nil { // (its warning in serve's log: review 53d)
		return nil, err
	}
	if file, err := mainFile(ctx, writer); err == nil {
		if fi, err := os.Stat(file); err == nil {
			l.dbFile, l.dbInfo = file, fi
		}
	}
	if opt.CheckpointCopy != "" {
		// Before recover, which may sign a newer checkpoint.
		c, err := openCopier(ctx, opt.CheckpointCopy, l.w, l.tree.n, l.ckSize, opt.Verifiers, l.opt.Logger, &l.stats.copyErrs)
		if err != nil {
			return nil, fmt.Errorf("auditlog: %w", err)
		}
		l.copier = c
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
	l.insTree = prep(`INSERT INTO audit_tree_chunk(start, hashes) VALUES (?,?)`)
	l.insCk = prep(`INSERT INTO audit_checkpoint(size, root, note, ts) VALUES (?,?,?,?)`)
	l.insPatient = prep(`INSERT INTO audit_patient(patient, seq) VALUES (?,?)`)
	if err == nil {
		err = l.recover()
	}
	if err != nil {
		l.closeStmts()
		if l.j != nil {
			l.j.close()
		}
		if l.copier != nil {
			l.copier.close(0)
		}
		return nil, err
	}
	if ck := l.latest.Load(); ck != nil && l.copier != nil {
		l.copier.put(ck) // a copy a crash left behind the log catches up now
	}
	go l.run()
	go l.runIndexer()
	return l, nil
}

// mainFile is the path of the database file behind db.
func mainFile(ctx context.Context, db queryRower) (string, error) {
	var file string
	if err := db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return "", fmt.Errorf("auditlog: finding the database file: %w", err)
	}
	if file == "" {
		return "", errors.New("auditlog: the database has no file (in memory?): set Options.Journal")
	}
	return file, nil
}

// load reads the SQLite state: size, chain head, last time, the tree's
// right edge and the latest checkpoint. It refuses a log the server must
// not build on: checkpoints signed with another key, checkpoints missing
// where the server signs them, or a stored tree that does not give the
// newest signed root.
func (l *Log) load(ctx context.Context) error {
	var n int64
	var seq, ts sql.NullInt64
	var chain []byte
	err := l.w.QueryRowContext(ctx, `SELECT seq, ts, chain_hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &ts, &chain)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	default:
		n = seq.Int64 + 1
		l.lastTS = ts.Int64
		copy(l.chain[:], chain)
		if ahead := time.Duration(l.lastTS-time.Now().UnixMilli()) * time.Millisecond; ahead > time.Minute {
			// Entries keep time order: each later one would carry this
			// time until the clock passes it (review 52b: one entry dated
			// 30 days ahead re-dated every access after it, unseen).
			l.opt.Logger.Warn("access log: its newest entry is dated after this machine's clock; later entries will carry that time until the clock passes it: check the clock, and the log (carex audit verify)",
				"seq", seq.Int64, "ahead", ahead.Round(time.Second).String())
		}
	}
	var ntree int64
	if err := l.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(start + length(hashes) / 32), 0) FROM audit_tree_chunk`).Scan(&ntree); err != nil {
		return err
	}
	if want := tlog.StoredHashCount(n); ntree != want {
		return fmt.Errorf("auditlog: the stored Merkle tree holds %d hashes, %d entries need %d: the log was altered (run audit verify)", ntree, n, want)
	}
	ck, err := l.loadLatest(ctx)
	if err != nil {
		return err
	}
	sizes, err := checkpointSizes(ctx, l.w)
	if err != nil {
		return err
	}
	if first, why := cadenceProblem(sizes, n); first >= 0 {
		return fmt.Errorf("auditlog: %w at entry %d: %s", ErrTampered, first, why)
	}
	tree, err := l.loadTree(ctx, ck, n)
	if err != nil {
		return err
	}
	l.tree, l.next, l.appended, l.indexed = tree, tree.n, tree.n, tree.n
	if ck == nil {
		l.ckTime = time.Now()
		return nil
	}
	l.latest.Store(ck)
	l.ckSize, l.ckTime = ck.Size, ck.Time
	return nil
}

// loadLatest reads the newest checkpoint, nil if there is none, after
// checking that it was signed with Options.Signer (ErrWrongKey).
func (l *Log) loadLatest(ctx context.Context) (*Checkpoint, error) {
	var ck Checkpoint
	var root, text []byte
	var cts int64
	err := l.w.QueryRowContext(ctx, `SELECT size, root, note, ts FROM audit_checkpoint ORDER BY size DESC LIMIT 1`).Scan(&ck.Size, &root, &text, &cts)
	switch {
	case err == sql.ErrNoRows:
		return nil, nil
	case err != nil:
		return nil, err
	}
	if ck.Root, err = l.signedRoot(ck.Size, text); err != nil {
		return nil, err
	}
	if !bytes.Equal(root, ck.Root[:]) {
		return nil, fmt.Errorf("auditlog: %w: the newest checkpoint's stored root (size %d) differs from the root it signs: run carex audit verify", ErrTampered, ck.Size)
	}
	ck.Note, ck.Time = text, time.UnixMilli(cts).UTC()
	return &ck, nil
}

// signedRoot returns the root a checkpoint row (size, signed note) signs,
// after checking that Options.Signer signed it and, with
// Options.Verifiers, that the signature verifies.
func (l *Log) signedRoot(size int64, msg []byte) (tlog.Hash, error) {
	vs := l.opt.Verifiers
	if vs == nil {
		vs = note.VerifierList()
	}
	n, err := note.Open(msg, vs)
	var un *note.UnverifiedNoteError
	var sigs []note.Signature
	switch {
	case err == nil:
		sigs = n.Sigs
	case errors.As(err, &un) && l.opt.Verifiers == nil:
		n, sigs = un.Note, un.Note.UnverifiedSigs
	case errors.As(err, &un):
	default:
		return tlog.Hash{}, fmt.Errorf("auditlog: %w: the newest checkpoint (size %d) does not verify (%v): run carex audit verify", ErrTampered, size, err)
	}
	s := l.opt.Signer
	if !slices.ContainsFunc(sigs, func(g note.Signature) bool { return g.Name == s.Name() && g.Hash == s.KeyHash() }) {
		return tlog.Hash{}, fmt.Errorf("auditlog: %w: the newest checkpoint (size %d) is not signed by the key given (%s, key hash %08x); carex will not sign on with it, which would leave the log verifiable under neither: give the key that signed the log", ErrWrongKey, size, s.Name(), s.KeyHash())
	}
	got, root, err := parseCheckpoint(n.Text)
	if err != nil || got != size {
		return tlog.Hash{}, fmt.Errorf("auditlog: %w: the checkpoint row %d holds a checkpoint for size %d: run carex audit verify", ErrTampered, size, got)
	}
	return root, nil
}

// loadTree returns the right edge of the tree over n entries. The stored
// tree is not evidence (verify recomputes it), and every checkpoint the
// server signs builds on it: it must give the newest signed root, and the
// unsigned entries after it (at most maxUnsigned) are hashed again here
// rather than trusted.
func (l *Log) loadTree(ctx context.Context, ck *Checkpoint, n int64) (*compactRange, error) {
	hr := &sqlHashReader{ctx: ctx, db: l.w}
	hh := newHasher()
	tree := &compactRange{}
	if ck != nil {
		tree.n, tree.idx = ck.Size, rightEdge(ck.Size)
		hs, err := hr.ReadHashes(tree.idx)
		if err != nil {
			return nil, err
		}
		tree.hashes = hs
		if tree.root(hh) != ck.Root {
			return nil, fmt.Errorf("auditlog: %w: the stored Merkle tree does not give the root signed in the newest checkpoint (size %d): it is damaged (a restore gone wrong, bit rot, an edit), and checkpoints built on it would not match the entries; run carex audit verify, and restore the log from a backup that verifies", ErrTampered, ck.Size)
		}
	}
	rows, err := l.w.QueryContext(ctx, `SELECT entry FROM audit_log WHERE seq >= ? ORDER BY seq`, tree.n)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var entry sql.RawBytes
		if err := rows.Scan(&entry); err != nil {
			rows.Close()
			return nil, err
		}
		tree.add(hh.leaf(entry), hh, nil)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if tree.n != n {
		return nil, fmt.Errorf("auditlog: %w: the access log holds %d entries but its last is entry %d: run carex audit verify", ErrTampered, tree.n, n-1)
	}
	stored, err := hr.ReadHashes(tree.idx)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(stored, tree.hashes) {
		return nil, fmt.Errorf("auditlog: %w: the stored Merkle tree over entries %d..%d does not match their hashes: it is damaged; run carex audit verify, and restore the log from a backup that verifies", ErrTampered, ck.sizeOr0(), n-1)
	}
	return tree, nil
}

// recover opens the journal and indexes the entries it holds beyond the
// tables: they were acknowledged, so they are part of the log.
func (l *Log) recover() error {
	j, frames, err := openJournal(l.opt.Journal)
	if err != nil {
		return err
	}
	l.j = j
	if twice := journalTwice(frames); len(twice) > 0 {
		seq := slices.Min(slices.Collect(maps.Keys(twice)))
		return fmt.Errorf("auditlog: %w: %s; run carex audit verify, and restore the log from a backup that verifies (the journal is left as it is)", ErrTampered, twiceProblem(l.opt.Journal, seq))
	}
	if err := l.compareOverlap(frames); err != nil {
		return err
	}
	hh := newHasher()
	for _, data := range frames {
		seq, ts, err := parseHead(data)
		if err != nil {
			return fmt.Errorf("auditlog: access journal %s: %w", l.opt.Journal, err)
		}
		if seq < l.next {
			continue // already in SQLite (compareOverlap: the same bytes)
		}
		if seq != l.next {
			return fmt.Errorf("auditlog: access journal %s continues at entry %d but the database holds %d entries: the database is older than the journal (restored from a backup?); run carex audit verify", l.opt.Journal, seq, l.next)
		}
		e, err := Decode(data)
		if err != nil {
			return fmt.Errorf("auditlog: access journal entry %d: %w", seq, err)
		}
		if ts < l.lastTS {
			// The writer never goes back in time (verify checks it too):
			// copied in, it would leave the log unverifiable (review 12c).
			return fmt.Errorf("auditlog: %w: access journal %s: entry %d is earlier than entry %d (entries reordered, or one back-dated); run carex audit verify", ErrTampered, l.opt.Journal, seq, seq-1)
		}
		r := newRow(e, data, hh, l.chain)
		l.queue = append(l.queue, r)
		l.next, l.chain, l.lastTS = seq+1, r.chain, ts
	}
	l.appended = l.next
	if err := l.index(true); err != nil {
		return err
	}
	return l.j.reset()
}

// compareOverlap checks that the journal's entries the tables hold too
// (the journal is written first, and emptied only once the tables hold all
// of it) are the same bytes there, as verify does. An entry rewritten in
// the tables with its hashes recomputed after the newest checkpoint shows
// only here: recovering would sign over it and empty the journal, the one
// copy that shows it (review 12c).
func (l *Log) compareOverlap(frames [][]byte) error {
	var first int64 = -1
	want := make(map[int64][]byte)
	for _, data := range frames {
		seq, _, err := parseHead(data)
		if err != nil {
			return fmt.Errorf("auditlog: access journal %s: %w", l.opt.Journal, err)
		}
		if seq >= l.next {
			// Not in the tables. The frames before it are in seq order
			// as carex writes them, but an edited journal may hold the
			// ones the tables hold after it: they are compared too, as
			// verify compares every frame (review 13b).
			continue
		}
		if first < 0 || seq < first {
			first = seq
		}
		want[seq] = data
	}
	if first < 0 {
		return nil
	}
	rows, err := l.w.Query(`SELECT seq, entry FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`, first, l.next)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var entry sql.RawBytes
		if err := rows.Scan(&seq, &entry); err != nil {
			return err
		}
		if jb, ok := want[seq]; ok {
			if !bytes.Equal(jb, entry) {
				return fmt.Errorf("auditlog: %w: entry %d differs from the copy the access journal %s holds of it (the journal is written first): the entry in the tables was rewritten; run carex audit verify, and restore the log from a backup that verifies (the journal is left as it is)", ErrTampered, seq, l.opt.Journal)
			}
			delete(want, seq)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(want) > 0 {
		seq := slices.Min(slices.Collect(maps.Keys(want)))
		return fmt.Errorf("auditlog: %w: entry %d, in the access journal %s, is missing from the tables: run carex audit verify", ErrTampered, seq, l.opt.Journal)
	}
	return nil
}

func newRow(e *Entry, data []byte, hh *hasher, prev tlog.Hash) row {
	leaf := hh.leaf(data)
	return row{seq: e.Seq, ts: e.Time.UnixMilli(), data: data, leaf: leaf, chain: hh.chain(prev, leaf),
		patient: e.Patient, patients: distinct(canonicalAll(e.Patients)), sub: e.Sub, org: e.Org, decision: e.Decision, breakGlass: e.BreakGlass != ""}
}

// distinct is l sorted without repeats or empty ids (one index row each).
func distinct(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	l = slices.Clone(l)
	slices.Sort(l)
	l = slices.Compact(l)
	if l[0] == "" {
		l = l[1:]
	}
	return l
}

// Append logs e and returns once it is durable, setting e.Seq and e.Time
// (the time of logging, assigned by the log so that it never goes back:
// any Time the caller set is replaced). Concurrent calls share one journal
// sync (group commit). If ctx ends while the entry is queued, Append
// returns ctx.Err() and the entry may still be committed.
func (l *Log) Append(ctx context.Context, e *Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pending{e: *e, done: make(chan result, 1)}
	start := time.Now()
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	select {
	case l.reqs <- p:
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	l.mu.RUnlock()
	select {
	case r := <-p.done:
		l.stats.appends.Add(1)
		l.stats.appendWait.Add(int64(time.Since(start)))
		if r.err != nil {
			return r.err
		}
		e.Seq, e.Time = r.seq, time.UnixMilli(r.ts).UTC()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Closed reports whether the log was closed: no entry is written any more
// (a server past its shutdown's deadline still answering).
func (l *Log) Closed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
}

// Err reports why the log takes no more entries, nil while it takes
// them: its journal could not be repaired after a failed write, and only
// a restart (which recovers it) helps. /readyz says so.
func (l *Log) Err() error {
	if p := l.brokenErr.Load(); p != nil {
		return *p
	}
	return nil
}

// dbMoved reports that the access database's path no longer names the
// file opened (removed or replaced while carex ran).
func (l *Log) dbMoved() error {
	if l.dbInfo == nil {
		return nil
	}
	if fi, err := os.Stat(l.dbFile); err == nil && os.SameFile(fi, l.dbInfo) {
		return nil
	}
	return fmt.Errorf("auditlog: the access log's database %s was removed or replaced while carex ran: restore it from a backup and restart carex", l.dbFile)
}

// writeFailure is a journal write that failed, and when.
type writeFailure struct {
	err error
	at  time.Time
}

// failingFor is how long after a failed write, with none succeeding
// since, Failing reports it: then a request tries the log again.
const failingFor = 30 * time.Second

// Failing reports why the log takes no entries now: Err's reason, or a
// journal write that failed less than failingFor ago with none succeeding
// since (a full disk, a journal that cannot be written at its path:
// review 48c, /readyz said ready while every request was refused).
func (l *Log) Failing() error {
	if err := l.Err(); err != nil {
		return err
	}
	if f := l.lastFail.Load(); f != nil && time.Since(f.at) < failingFor {
		return f.err
	}
	return nil
}

// Sync waits until every entry appended before the call is in the SQLite
// tables, so that queries see it.
func (l *Log) Sync(ctx context.Context) error {
	l.hmu.Lock()
	target := l.appended
	l.hmu.Unlock()
	return l.await(ctx, func() bool { return l.indexed >= target })
}

// await kicks the indexer and waits until done() holds (checked under hmu)
// or the indexer fails.
func (l *Log) await(ctx context.Context, done func() bool) error {
	for {
		l.hmu.Lock()
		ok, err, ch := done(), l.idxErr, l.progress
		l.hmu.Unlock()
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		l.wake()
		select {
		case <-ch:
		case <-l.idone:
			l.hmu.Lock()
			ok = done()
			l.hmu.Unlock()
			if ok {
				return nil
			}
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Checkpoint signs a checkpoint of the log as it is now (returning the
// latest one if nothing was appended since).
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	l.hmu.Lock()
	target := l.appended
	l.ckWant = max(l.ckWant, target)
	l.hmu.Unlock()
	if target == 0 {
		return nil, ErrEmpty
	}
	err := l.await(ctx, func() bool {
		ck := l.latest.Load()
		return ck != nil && ck.Size >= target
	})
	if err != nil {
		return nil, err
	}
	return l.latest.Load(), nil
}

// Latest is the latest checkpoint, nil if none was signed yet.
func (l *Log) Latest() *Checkpoint { return l.latest.Load() }

// Size is the number of durable entries.
func (l *Log) Size(ctx context.Context) (int64, error) {
	l.hmu.Lock()
	defer l.hmu.Unlock()
	return l.appended, nil
}

// Close flushes pending appends, copies everything into SQLite, signs a
// final checkpoint, empties the journal and stops. It does not close the
// databases.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.mu.Unlock()
	<-l.wdone
	close(l.stop)
	<-l.idone
	if l.copier != nil {
		l.copier.close(copyCloseWait)
	}
	l.closeStmts()
	if err := l.j.close(); err != nil && l.final == nil {
		l.final = err
	}
	return l.final
}

func (l *Log) closeStmts() {
	for _, s := range []*sql.Stmt{l.insLog, l.insTree, l.insCk, l.insPatient} {
		if s != nil {
			s.Close()
		}
	}
}

// run is the single writer: it drains the queue into batches, each made
// durable by one journal sync.
func (l *Log) run() {
	defer close(l.wdone)
	batch := make([]*pending, 0, l.opt.MaxBatch)
	var buf []byte
	// want: how many entries the next batch may expect: the waiters the
	// previous write released (their clients tend to come straight back)
	// plus those that queued during it. Without the second term two
	// clients fall into step with the disk: each write carries one entry
	// while the other client waits for it, and every request waits for
	// two writes instead of one.
	want := 0
	var linger *time.Timer
	for {
		p, ok := <-l.reqs
		if !ok {
			return
		}
		batch = append(batch[:0], p)
		open := l.drain(&batch)
		// Group-commit delay: when more are expected, wait a moment (until
		// want, or CommitDelay) before paying for a disk write: fewer,
		// fuller writes cost less CPU per entry and make each request wait
		// for one write. A lone client (want 1) never waits.
		if open && l.opt.CommitDelay > 0 && len(batch) < want {
			t0 := time.Now()
			if linger == nil {
				linger = time.NewTimer(l.opt.CommitDelay)
			} else {
				linger.Reset(l.opt.CommitDelay)
			}
		wait:
			for len(batch) < want {
				select {
				case p, ok := <-l.reqs:
					if !ok {
						break wait
					}
					batch = append(batch, p)
				case <-linger.C:
					break wait
				}
			}
			linger.Stop()
			l.stats.lingers.Add(1)
			l.stats.lingerNs.Add(int64(time.Since(t0)))
		}
		buf = l.write(batch, buf[:0])
		want = min(len(batch)+len(l.reqs), l.opt.MaxBatch)
	}
}

// drain adds what is queued, without waiting; false once reqs is closed.
func (l *Log) drain(batch *[]*pending) bool {
	for len(*batch) < l.opt.MaxBatch {
		select {
		case p, ok := <-l.reqs:
			if !ok {
				return false
			}
			*batch = append(*batch, p)
		default:
			return true
		}
	}
	return true
}

// write journals one batch and answers its waiters.
func (l *Log) write(batch []*pending, buf []byte) []byte {
	results := make([]result, len(batch))
	if l.broken == nil {
		if p := l.brokenErr.Load(); p != nil {
			l.broken = *p // (the indexer found the database gone: dbMoved)
		} else if err := l.dbMoved(); err != nil {
			// (looked for at each batch too, one stat beside its sync:
			// the first request after the removal was answered 201)
			l.broken = err
			l.brokenErr.Store(&err)
		}
	}
	if l.broken != nil {
		for _, p := range batch {
			p.done <- result{err: l.broken}
		}
		return buf
	}
	hh := newHasher()
	rows := make([]row, 0, len(batch))
	next, chain, lastTS := l.next, l.chain, l.lastTS
	for i, p := range batch {
		ts := time.Now().UnixMilli()
		if ts < lastTS {
			ts = lastTS // the clock stepped back: keep the log in time order
		}
		e := &p.e
		e.Seq, e.Time, e.Path = next, time.UnixMilli(ts), stripQuery(e.Path)
		data, err := Encode(e)
		if err != nil {
			results[i].err = fmt.Errorf("auditlog: append: %w", err)
			continue
		}
		r := newRow(e, data, hh, chain)
		rows = append(rows, r)
		buf = appendFrame(buf, data)
		results[i] = result{seq: next, ts: ts}
		next, chain, lastTS = next+1, r.chain, ts
	}
	var err error
	if len(rows) > 0 {
		l.jmu.Lock()
		t0 := time.Now()
		// Looked for before the write too: a journal cut in place and then
		// written to its old end (a batch filling it, or the zeros that
		// grow it) is no shorter than before, its header gone (review 20g).
		if l.j.broken == nil && l.j.moved() {
			err = l.rejournal(buf)
		} else if err = l.j.write(buf); (err == nil || !errors.Is(err, errJournalBroken)) && l.j.moved() {
			err = l.rejournal(buf)
		}
		l.stats.writeNs.Add(int64(time.Since(t0)))
		l.stats.writes.Add(1)
		if err == nil {
			l.stats.entries.Add(int64(len(rows)))
			l.hmu.Lock()
			l.queue = append(l.queue, rows...)
			l.appended = next
			l.hmu.Unlock()
		}
		l.jmu.Unlock()
	}
	if err != nil {
		if errors.Is(err, errJournalBroken) {
			l.broken = err
			l.brokenErr.Store(&err)
		}
		if len(rows) > 0 {
			l.lastFail.Store(&writeFailure{err, time.Now()})
		}
	} else {
		l.next, l.chain, l.lastTS = next, chain, lastTS
		if len(rows) > 0 && l.lastFail.Load() != nil {
			l.lastFail.Store(nil)
		}
	}
	for i, p := range batch {
		r := results[i]
		if r.err == nil {
			r.err = err
		}
		p.done <- r
	}
	l.hmu.Lock()
	waiting, ch := len(l.queue), l.progress
	l.hmu.Unlock()
	// maxQueue too: the writer waits below for the indexer's progress, so
	// it must wake it even when IndexBatch is set above maxQueue.
	if waiting >= min(l.opt.IndexBatch, maxQueue) {
		l.wake()
	}
	if waiting >= maxQueue {
		select { // back-pressure: let SQLite catch up
		case <-ch:
		case <-l.idone:
		}
	}
	return buf
}

// rejournal writes a new journal at the journal's path holding every
// entry the tables lack and frames (the batch being written), once the
// path no longer names the file the log writes: someone removed the
// journal, or renamed another file over it, while the log ran. Written
// there, those entries would reach no file a start reads: a crash lost
// them though their responses had left (review 20b). Called under jmu.
func (l *Log) rejournal(frames []byte) error {
	l.hmu.Lock()
	var all []byte
	for _, r := range l.queue {
		all = appendFrame(all, r.data)
	}
	l.hmu.Unlock()
	all = append(all, frames...)
	if err := l.j.recreate(all); err != nil {
		return fmt.Errorf("auditlog: the access journal %s was removed or replaced while carex ran, and a new one could not be written: %w", l.opt.Journal, err)
	}
	l.opt.Logger.Warn("the access journal was removed or replaced while carex ran: a new one was written with the entries not yet in the access log's tables", "journal", l.opt.Journal)
	return nil
}

// wake asks the indexer to run now (a no-op when it has been asked already).
func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// runIndexer copies journaled entries into SQLite every IndexDelay, or
// sooner when many wait or a query asks (Sync, Checkpoint).
func (l *Log) runIndexer() {
	defer close(l.idone)
	tick := time.NewTicker(l.opt.IndexDelay)
	defer tick.Stop()
	for {
		select {
		case <-l.kick:
		case <-tick.C:
		case <-l.stop:
			l.final = l.index(true)
			l.hmu.Lock()
			all := l.indexed == l.appended
			l.hmu.Unlock()
			if l.final == nil && !all {
				// Never empty a journal that holds entries SQLite lacks.
				l.final = fmt.Errorf("auditlog: entries %d–%d were not copied into SQLite at shutdown; they stay in the journal and are copied at the next start", l.indexed, l.appended-1)
			}
			if l.final == nil {
				l.jmu.Lock()
				if l.final = l.j.reset(); l.final == nil {
					l.j.shrink()
				}
				l.jmu.Unlock()
			}
			return
		}
		if l.index(false) == nil {
			l.jmu.Lock()
			l.hmu.Lock()
			all := l.indexed == l.appended
			l.hmu.Unlock()
			if all && l.j.size > l.opt.JournalLimit {
				l.j.reset() // on failure the journal stays longer: harmless
			}
			l.jmu.Unlock()
		}
	}
}

// index writes the queued entries (and a checkpoint when due or asked) in
// one SQLite transaction. On failure nothing changes and the entries stay
// queued for the next try.
func (l *Log) index(forceCk bool) error {
	for {
		more, err := l.indexChunk(forceCk)
		if err != nil || !more {
			return err
		}
	}
}

// indexChunk is one transaction of index: at most indexChunk entries, so
// that a writer held back by maxQueue goes on after one chunk (tens of
// milliseconds), not after the whole queue. more: entries are left.
func (l *Log) indexChunk(forceCk bool) (more bool, err error) {
	l.hmu.Lock()
	take, want := l.queue, l.ckWant
	l.hmu.Unlock()
	if len(take) > indexChunk {
		take, more = take[:indexChunk], true
		forceCk = false // the last chunk signs
	}
	tree := l.tree
	n := tree.n + int64(len(take))
	due := forceCk || want > l.ckSize || time.Since(l.ckTime) >= l.opt.CheckpointInterval
	due = due && n > l.ckSize
	if len(take) == 0 && !due {
		return false, nil
	}
	if err := l.dbMoved(); err != nil {
		// Copied there, the entries would be in no file a start reads,
		// and the journal then emptied of them (review 48c): kept in the
		// journal; nothing more is taken (Err, /readyz) until a restart.
		l.brokenErr.Store(&err)
		l.opt.Logger.Error("the access log's database was removed or replaced while carex ran: no more requests are served; its entries stay in the journal", "db", l.dbFile)
		return false, err
	}
	ctx := context.Background()
	t0 := time.Now()
	tree = tree.clone()
	ckSize := l.ckSize
	var cks []*Checkpoint
	err = func() error {
		tx, err := l.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		insLog, insTree, insCk := tx.StmtContext(ctx, l.insLog), tx.StmtContext(ctx, l.insTree), tx.StmtContext(ctx, l.insCk)
		var insPatient *sql.Stmt // few entries name several patients
		sign := func() error {
			root, err := tlog.TreeHash(tree.n, tree)
			if err != nil {
				return err
			}
			signed, err := note.Sign(&note.Note{Text: checkpointText(l.opt.Origin, tree.n, root)}, l.opt.Signer)
			if err != nil {
				return err
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			if _, err := insCk.ExecContext(ctx, tree.n, root[:], signed, now.UnixMilli()); err != nil {
				return err
			}
			cks = append(cks, &Checkpoint{Size: tree.n, Root: root, Note: signed, Time: now})
			ckSize = tree.n
			return nil
		}
		// The batch's stored hashes are consecutive: one chunk row.
		chunkStart := tlog.StoredHashCount(tree.n)
		var chunk []byte
		flush := func() error {
			if len(chunk) == 0 {
				return nil
			}
			if _, err := insTree.ExecContext(ctx, chunkStart, chunk); err != nil {
				return err
			}
			chunkStart += int64(len(chunk) / tlog.HashSize)
			chunk = chunk[:0]
			return nil
		}
		for i := range take {
			r := &take[i]
			if _, err := insLog.ExecContext(ctx, r.seq, r.ts, r.data, r.leaf[:], r.chain[:], r.patient, r.sub, r.org, r.decision, r.breakGlass); err != nil {
				return err
			}
			for _, p := range r.patients {
				if insPatient == nil {
					insPatient = tx.StmtContext(ctx, l.insPatient)
				}
				if _, err := insPatient.ExecContext(ctx, p, r.seq); err != nil {
					return err
				}
			}
			hashes, err := tlog.StoredHashesForRecordHash(r.seq, r.leaf, tree)
			if err != nil {
				return err
			}
			for _, h := range hashes {
				chunk = append(chunk, h[:]...)
			}
			tree.push(hashes)
			// Every CheckpointEvery entries exactly, so that checkpoint
			// sizes do not depend on how entries were batched.
			if tree.n%int64(l.opt.CheckpointEvery) == 0 {
				if err := sign(); err != nil {
					return err
				}
			}
		}
		if due && tree.n > ckSize {
			if err := sign(); err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		err = fmt.Errorf("auditlog: indexing entries %d–%d: %w", tree.n-int64(len(take)), n-1, err)
	} else {
		l.stats.idxNs.Add(int64(time.Since(t0)))
		l.stats.indexTxns.Add(1)
		l.stats.indexed.Add(int64(len(take)))
		l.tree = tree
		if len(cks) > 0 {
			ck := cks[len(cks)-1]
			l.latest.Store(ck)
			l.ckSize, l.ckTime = ck.Size, ck.Time
			if l.copier != nil {
				l.copier.put(ck)
			}
		}
	}
	l.hmu.Lock()
	if err == nil {
		l.queue = append(l.queue[:0:0], l.queue[len(take):]...)
		l.indexed = n
	}
	l.idxErr = err
	close(l.progress)
	l.progress = make(chan struct{})
	l.hmu.Unlock()
	return more && err == nil, err
}

// checkpointText is the C2SP checkpoint body (tlog.FormatTree adds a
// "go.sum database tree" origin, so it is spelled out here).
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// sqlHashReader reads tlog stored hashes from audit_tree_chunk.
type sqlHashReader struct {
	ctx context.Context
	db  querier
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// queryRower is a *sql.DB or *sql.Conn (verify reads one snapshot).
type queryRower interface {
	querier
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func (r *sqlHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		hs, have, err := readStoredHashes(r.ctx, r.db, x, x+1)
		if err != nil {
			return nil, err
		}
		if !have[0] {
			return nil, fmt.Errorf("auditlog: the stored Merkle tree is missing hash %d", x)
		}
		out[i] = hs[0]
	}
	return out, nil
}

// readStoredHashes returns the stored hashes with indexes [lo, hi) and
// which of them are stored.
func readStoredHashes(ctx context.Context, db querier, lo, hi int64) ([]tlog.Hash, []bool, error) {
	out, have := make([]tlog.Hash, hi-lo), make([]bool, hi-lo)
	rows, err := db.QueryContext(ctx, `SELECT start, hashes FROM audit_tree_chunk
		WHERE start >= COALESCE((SELECT start FROM audit_tree_chunk WHERE start <= ? ORDER BY start DESC LIMIT 1), 0) AND start < ?
		ORDER BY start`, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var start int64
		var b sql.RawBytes
		if err := rows.Scan(&start, &b); err != nil {
			return nil, nil, err
		}
		for j := 0; j+tlog.HashSize <= len(b); j += tlog.HashSize {
			if x := start + int64(j/tlog.HashSize); x >= lo && x < hi {
				copy(out[x-lo][:], b[j:])
				have[x-lo] = true
			}
		}
	}
	return out, have, rows.Err()
}
