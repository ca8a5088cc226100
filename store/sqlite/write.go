package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// Commit applies all writes in one IMMEDIATE transaction on the single
// writer connection: either every write lands or none does.
//
// Concurrent commits share SQLite transactions (group commit): each caller
// queues its writes and waits for the writer; whoever holds it commits a
// batch of queued requests in one transaction, each inside a savepoint, so
// that a request that fails leaves the others in. One disk sync and one
// write of each changed page then serve the whole batch.
func (db *DB) Commit(ctx context.Context, writes []*store.Write, prepare func(store.Lookup) error) ([]*store.WriteResult, error) {
	if err := db.moved(); err != nil {
		return nil, err
	}
	r := &commitReq{ctx: ctx, writes: writes, prepare: prepare}
	start := time.Now()
	defer func() {
		db.wstats.requests.Add(1)
		db.wstats.waitNs.Add(int64(time.Since(start)))
	}()
	db.gmu.Lock()
	db.queue = append(db.queue, r)
	db.gmu.Unlock()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	for {
		db.gmu.Lock()
		if r.done {
			db.gmu.Unlock()
			return r.results, r.err
		}
		batch := db.takeBatch()
		db.gmu.Unlock()
		db.commitBatch(batch)
	}
}

// commitReq is one caller's writes on their way through a batch.
type commitReq struct {
	ctx     context.Context
	writes  []*store.Write
	prepare func(store.Lookup) error
	results []*store.WriteResult
	err     error
	done    bool // guarded by gmu
}

// errSharedSearch: a request that searches reached a shared transaction
// after another request (a bug in batchable or in store.Write.Alone).
var errSharedSearch = errors.New("internal error: the request should have committed alone; retry it")

// maxBatch bounds the requests in one transaction.
const maxBatch = 32

// batchable: a request that can share a transaction. Its decisions, made in
// prepare from the committed state of the patients it writes, must not
// depend on another request of the batch: so it creates or updates
// resources of known patients, none of which an earlier request of the
// batch writes (checked in takeBatch), and matches no condition (a match
// is filtered by the patients' consent, which the filter reads from
// committed state while the search would see the batch's rows).
func (r *commitReq) batchable() bool {
	for _, w := range r.writes {
		// Consents: recording one supersedes the patient's earlier ones,
		// found by a search inside the transaction.
		if w.Op == store.OpDelete || w.IfNoneExist != nil || w.Alone || w.Type == "Consent" {
			return false
		}
	}
	return true
}

// takeBatch removes from the queue the requests the next transaction
// commits: the first, then (if it can share) every later one that can
// share and writes none of the patients or resources already in the
// batch. Called with gmu held.
func (db *DB) takeBatch() []*commitReq {
	first := db.queue[0]
	if !first.batchable() || len(db.queue) == 1 {
		db.queue = db.queue[1:]
		return []*commitReq{first}
	}
	batch := []*commitReq{first}
	// The patients a request writes, and the resources themselves (an
	// update may move a resource between patients).
	claimed := map[string]bool{}
	keys := func(w *store.Write, each func(string) bool) bool {
		for _, p := range w.Patients {
			if !each("Patient/" + p) {
				return false
			}
		}
		return each(w.Type + "/" + w.ID)
	}
	claim := func(r *commitReq) bool {
		for _, w := range r.writes {
			if !keys(w, func(k string) bool { return !claimed[k] }) {
				return false
			}
		}
		for _, w := range r.writes {
			keys(w, func(k string) bool { claimed[k] = true; return true })
		}
		return true
	}
	claim(first)
	rest := db.queue[:0]
	for _, r := range db.queue[1:] {
		if len(batch) < maxBatch && r.batchable() && claim(r) {
			batch = append(batch, r)
		} else {
			rest = append(rest, r)
		}
	}
	clear(db.queue[len(rest):])
	db.queue = rest
	return batch
}

// commitBatch commits batch in one transaction and marks each request
// done with its results or error.
func (db *DB) commitBatch(batch []*commitReq) {
	start := time.Now()
	defer func() {
		db.wstats.txns.Add(1)
		db.wstats.busyNs.Add(int64(time.Since(start)))
		db.gmu.Lock()
		for _, r := range batch {
			r.done = true
		}
		db.gmu.Unlock()
	}()
	fail := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.results, r.err = nil, err
			}
		}
	}
	// The transaction belongs to no one caller; each request's statements
	// run under its own context without its cancellation, since an
	// interrupted write statement would roll back the whole transaction.
	bg := context.Background()
	if err := db.prepareInserts(bg); err != nil {
		fail(fmt.Errorf("begin write: %w", err))
		return
	}
	tx, err := db.writer.BeginTx(bg, nil)
	if err != nil {
		fail(fmt.Errorf("begin write: %w", err))
		return
	}
	defer tx.Rollback()
	var foundVPK int64
	if err := tx.QueryRowContext(bg, `SELECT COALESCE(MAX(vpk), 0) FROM versions`).Scan(&foundVPK); err != nil {
		fail(fmt.Errorf("begin write: %w", err))
		return
	}
	vpks := &vpkCounter{next: foundVPK + 1}
	st := db.ws.bind(bg, tx)
	shared := len(batch) > 1
	var touched []touch
	var maxVPK int64
	var wrotePatient, wroteDirectory bool
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		if shared {
			if _, err := tx.ExecContext(bg, `SAVEPOINT request`); err != nil {
				fail(fmt.Errorf("begin write: %w", err))
				return
			}
		}
		w := &txWriter{ctx: context.WithoutCancel(r.ctx), tx: tx, st: st, vpks: vpks, sharedAfter: shared && r != batch[0], retired: &db.retired}
		r.results, r.err = w.run(r.writes, r.prepare)
		if r.err != nil {
			r.results = nil
			if !shared {
				return
			}
			// Undo this request alone; if even that fails the transaction
			// is gone, and with it every request of the batch.
			if _, err := tx.ExecContext(bg, `ROLLBACK TO request`); err != nil {
				fail(fmt.Errorf("write batch: %w", err))
				return
			}
		}
		if shared {
			if _, err := tx.ExecContext(bg, `RELEASE request`); err != nil {
				fail(fmt.Errorf("write batch: %w", err))
				return
			}
		}
		if r.err == nil {
			touched = append(touched, w.touched...)
			maxVPK = max(maxVPK, w.maxVPK)
			wrotePatient = wrotePatient || w.wrotePatient
			wroteDirectory = wroteDirectory || w.wroteDirectory
		}
	}
	// Kept entries now durable in the access log go with this
	// transaction: no disk sync of their own.
	forgotten := db.takeForgotten()
	if len(forgotten) > 0 {
		if _, err := tx.StmtContext(bg, db.ws.dropIntents).ExecContext(bg, jsonStrings(forgotten)); err != nil {
			db.ForgetIntents(forgotten...) // left for the next transaction
			forgotten = nil
		}
	}
	if db.pcc != nil {
		db.pcc.committing(touched, foundVPK, maxVPK)
	}
	db.bumpChanges(wrotePatient, wroteDirectory) // odd: the commit may become visible from now on
	t0 := time.Now()
	err = tx.Commit()
	db.wstats.commitNs.Add(int64(time.Since(t0)))
	if err != nil {
		db.ForgetIntents(forgotten...)
		if db.pcc != nil {
			db.pcc.failed(touched)
		}
		db.bumpChanges(wrotePatient, wroteDirectory)
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	if db.pcc != nil {
		db.pcc.committed(touched, maxVPK)
	}
	// This process's own keys need no look for another's deletes, if no
	// other process wrote before this transaction (foundVPK, read under
	// the write lock); its own deletes set DB.retired themselves.
	db.accountRetired(foundVPK, maxVPK)
	db.bumpChanges(wrotePatient, wroteDirectory) // even: visible, and the cached contexts know it
	db.ck.committed()
}

// run applies one request's writes: prepare, then each write and those
// prepare added, then the queued index rows.
func (w *txWriter) run(writes []*store.Write, prepare func(store.Lookup) error) ([]*store.WriteResult, error) {
	if prepare != nil {
		if err := prepare(w); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	results := make([]*store.WriteResult, len(writes))
	for i, wr := range writes {
		r, err := w.apply(wr, now)
		if err != nil {
			return nil, err
		}
		results[i] = r
	}
	for _, wr := range w.extra {
		if _, err := w.apply(wr, now); err != nil {
			return nil, err
		}
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	for _, in := range w.intents {
		if entry := in.make(results); entry != nil {
			if _, err := w.stmt(w.st.insIntent).ExecContext(w.ctx, in.id, entry); err != nil {
				return nil, fmt.Errorf("keep the access-log entry with the change: %w", err)
			}
		}
	}
	return results, nil
}

// intent is a Lookup.Intend call waiting for the request's results.
type intent struct {
	id   string
	make func([]*store.WriteResult) []byte
}

// Intend implements store.Lookup.
func (w *txWriter) Intend(id string, make func([]*store.WriteResult) []byte) {
	w.intents = append(w.intents, intent{id, make})
}

type txWriter struct {
	ctx     context.Context
	tx      *sql.Tx
	st      *writeStmts
	extra   []*store.Write
	touched []touch // patients whose compartment changed (for the PatientContext cache)
	// wrotePatient: a Patient was written (store.Store.PatientChanges).
	wrotePatient bool
	// wroteDirectory: an item of store.DirectoryTypes was written
	// (store.Store.DirectoryChanges).
	wroteDirectory bool
	retired        *atomic.Bool // DB.retired, set before a deleted Patient's numbers or links are kept
	// sharedAfter: this request follows others in a shared transaction,
	// whose rows its searches would see.
	sharedAfter bool
	maxVPK      int64 // the largest versions key written
	vpks        *vpkCounter
	pend        pendingRows
	// known: what Current found of resources nothing has written since,
	// which apply need not look up again (the write decision looks up
	// every write first: in an import the second lookup was 8 % of the
	// writer's time).
	known   map[string]currentRow
	intents []intent
}

// vpkCounter hands out a write transaction's versions keys in order, from
// one past the largest at its start: the write lock keeps other writers
// out until it ends. A request rolled back leaves a gap, which is harmless.
type vpkCounter struct{ next int64 }

func (c *vpkCounter) take() int64 { c.next++; return c.next - 1 }

// Add implements store.Lookup.
func (w *txWriter) Add(wr *store.Write) { w.extra = append(w.extra, wr) }

// Get implements store.Lookup.
func (w *txWriter) Get(typ, id string) (*store.Version, error) {
	v, err := w.readCurrent(typ, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// writeStmts are the write path's statements, prepared once on the writer
// connection and bound to each transaction.
type writeStmts struct {
	current, meta, insResource, insVersion, updResource *sql.Stmt
	insIntent, dropIntents                              *sql.Stmt // bound when first used
	// per rowTables entry (and batchSizes entry); prepared on the first
	// write (DB.prepareInserts), bound when first used
	ins                [][]*sql.Stmt
	old, drop, dropRid []*sql.Stmt
}

func prepareWrites(ctx context.Context, db *sql.DB) (*writeStmts, error) {
	var err error
	p := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = db.PrepareContext(ctx, q)
		return s
	}
	ws := &writeStmts{
		current:     p(`SELECT ` + currentCols + ` FROM resources WHERE type = ? AND id = ?`),
		meta:        p(`SELECT ` + metaCols + `, ` + currentCols + ` FROM resources r WHERE r.type = ? AND r.id = ?`),
		insResource: p(`INSERT INTO resources(type, id, version, vpk, last_updated, deleted, source_org, data_class, labels, patients, codes, clinical, clinical_end, idx_sums) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`),
		insVersion:  p(`INSERT INTO versions(vpk, rid, version, last_updated, deleted, source_org, data_class, labels, patients, codes, clinical, clinical_end, raw) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`),
		updResource: p(`UPDATE resources SET version = ?, vpk = ?, last_updated = ?, deleted = 0, source_org = ?, data_class = ?, labels = ?, patients = ?, codes = ?, clinical = ?, clinical_end = ?, idx_sums = ? WHERE rid = ?`),
		insIntent:   p(`INSERT INTO write_intents(id, entry) VALUES (?, ?)`),
		dropIntents: p(`DELETE FROM write_intents WHERE id IN (SELECT value FROM json_each(?))`),
	}
	if err != nil {
		return ws, err
	}
	ws.old, ws.drop, ws.dropRid, err = prepareRekey(ctx, db)
	return ws, err
}

// prepareInserts prepares the batch INSERTs (prepareBatches) before the
// first write transaction, not at open: parsing them, the 64-row ones
// most, was about half of what opening the records cost, which every
// command and every test pays, and commands that only read never use them.
// Not inside the transaction: the writer pool's one connection is its.
func (db *DB) prepareInserts(ctx context.Context) error {
	db.insMu.Lock()
	defer db.insMu.Unlock()
	if db.ws.ins != nil {
		return nil
	}
	ins, err := prepareBatches(ctx, db.writer)
	if err != nil {
		return err
	}
	db.ws.ins = ins
	return nil
}

func (ws *writeStmts) all() []*sql.Stmt {
	all := []*sql.Stmt{ws.current, ws.meta, ws.insResource, ws.insVersion, ws.updResource, ws.insIntent, ws.dropIntents}
	for _, ss := range ws.ins {
		all = append(all, ss...)
	}
	all = append(append(append(all, ws.old...), ws.drop...), ws.dropRid...)
	return all
}

// bind returns the statements bound to tx (cheap: no re-preparation on the
// single writer connection).
func (ws *writeStmts) bind(ctx context.Context, tx *sql.Tx) *writeStmts {
	b := func(s *sql.Stmt) *sql.Stmt { return tx.StmtContext(ctx, s) }
	return &writeStmts{current: b(ws.current), meta: b(ws.meta), insResource: b(ws.insResource), insVersion: b(ws.insVersion),
		updResource: b(ws.updResource), ins: ws.ins, old: ws.old, drop: ws.drop, dropRid: ws.dropRid,
		insIntent: ws.insIntent, dropIntents: ws.dropIntents}
}

// Search searches the data as this transaction sees it (no visibility
// filter: conditional operations are checked by the caller's policy).
func (w *txWriter) Search(q *search.Query) ([]*store.Meta, error) {
	if w.sharedAfter {
		// batchable let in a request that searches: fail it rather than
		// match against rows its caller's filter cannot judge.
		return nil, fmt.Errorf("a search inside a shared write transaction (%s): %w", q.Type, errSharedSearch)
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	text, args, err := buildSearch(q)
	if err != nil {
		return nil, err
	}
	rows, err := w.tx.QueryContext(w.ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Meta
	for rows.Next() {
		var vpk int64
		v, err := scanMeta(rows, &vpk)
		if err != nil {
			return nil, err
		}
		out = append(out, &v.Meta)
	}
	return out, rows.Err()
}

// Current implements store.Lookup. What it finds is what apply needs too
// (known).
func (w *txWriter) Current(typ, id string) (*store.Meta, error) {
	var cs currentScan
	v, err := scanMeta(w.st.meta.QueryRowContext(w.ctx, typ, id), cs.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		w.remember(typ, id, currentRow{})
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	w.remember(typ, id, cs.row())
	return &v.Meta, nil
}

func (w *txWriter) remember(typ, id string, c currentRow) {
	if w.known == nil {
		w.known = map[string]currentRow{}
	}
	w.known[typ+"/"+id] = c
}

// currentRow is what a write needs of a resource's current version; rid 0
// when there is none.
type currentRow struct {
	rid, version int64
	deleted      bool
	patients     []string // its compartment, which an update may leave
	sums         []byte   // its index rows' digests (rowDigests), nil if unknown
	org          string   // its source
	updated      int64    // its last_updated, ms
	labelled     bool     // it carries a label (a deleted one: its last version did)
}

// currentCols are the columns of resources that currentScan reads into a
// currentRow, in its order.
const currentCols = `rid, version, deleted, patients, idx_sums, source_org, last_updated, labels`

type currentScan struct {
	c        currentRow
	deleted  int
	patients string
	labels   string
}

func (s *currentScan) dest() []any {
	return []any{&s.c.rid, &s.c.version, &s.deleted, &s.patients, &s.c.sums, &s.c.org, &s.c.updated, &s.labels}
}

func (s *currentScan) row() currentRow {
	s.c.deleted, s.c.patients, s.c.labelled = s.deleted != 0, splitList(s.patients), s.labels != ""
	return s.c
}

func (w *txWriter) current(typ, id string) (currentRow, error) {
	if c, ok := w.known[typ+"/"+id]; ok {
		return c, nil
	}
	var cs currentScan
	err := w.st.current.QueryRowContext(w.ctx, typ, id).Scan(cs.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return currentRow{}, nil
	}
	return cs.row(), err
}

func (w *txWriter) apply(wr *store.Write, now time.Time) (*store.WriteResult, error) {
	if err := packable(wr); err != nil {
		return nil, err
	}
	switch wr.Op {
	case store.OpCreate:
		if wr.IfNoneExist != nil {
			found, err := w.Search(wr.IfNoneExist)
			if err != nil {
				return nil, err
			}
			if wr.Visible != nil {
				found = slices.DeleteFunc(found, func(m *store.Meta) bool { return !wr.Visible(m) })
			}
			switch len(found) {
			case 0:
			case 1:
				v, err := w.readCurrent(found[0].Type, found[0].ID)
				if err != nil {
					return nil, err
				}
				return &store.WriteResult{Version: v, NoOp: true}, nil
			default:
				return nil, fmt.Errorf("If-None-Exist matched %d %s resources: %w", len(found), wr.Type, store.ErrPrecondition)
			}
		}
		if wr.ID == "" {
			wr.ID = uuid.NewString()
		}
		c, err := w.current(wr.Type, wr.ID)
		if err != nil {
			return nil, err
		}
		if c.rid != 0 {
			return nil, fmt.Errorf("%s/%s: %w", wr.Type, wr.ID, store.ErrExists)
		}
		v, err := w.put(wr, 0, 1, nil, now)
		w.touch(wr, currentRow{}, now)
		return &store.WriteResult{Version: v, Created: true}, err
	case store.OpUpdate:
		c, err := w.current(wr.Type, wr.ID)
		if err != nil {
			return nil, err
		}
		if wr.IfMatch != 0 && (c.rid == 0 || c.version != wr.IfMatch) {
			return nil, fmt.Errorf("%s/%s is at version %d, If-Match asked for %d: %w", wr.Type, wr.ID, c.version, wr.IfMatch, store.ErrVersionConflict)
		}
		v, err := w.put(wr, c.rid, c.version+1, c.sums, now)
		if err == nil && c.deleted && wr.Type == "Patient" {
			err = w.unretire(wr.ID)
		}
		w.touch(wr, c, now)
		return &store.WriteResult{Version: v, Created: c.rid == 0 || c.deleted}, err
	case store.OpDelete:
		c, err := w.current(wr.Type, wr.ID)
		if err != nil {
			return nil, err
		}
		if c.rid == 0 {
			return nil, fmt.Errorf("%s/%s: %w", wr.Type, wr.ID, store.ErrNotFound)
		}
		if wr.IfMatch != 0 && c.version != wr.IfMatch {
			return nil, fmt.Errorf("%s/%s is at version %d, If-Match asked for %d: %w", wr.Type, wr.ID, c.version, wr.IfMatch, store.ErrVersionConflict)
		}
		if c.deleted {
			return &store.WriteResult{NoOp: true}, nil
		}
		v, err := w.remove(wr, c.rid, c.version+1, now)
		return &store.WriteResult{Version: v}, err
	}
	return nil, fmt.Errorf("unknown write op %d", wr.Op)
}

// packable refuses a write whose packed metadata fields (see packMeta) hold
// the separator, which would make the row unreadable.
func packable(wr *store.Write) error {
	for _, f := range append([]string{wr.Type, wr.ID, wr.SourceOrg, wr.DataClass}, wr.Patients...) {
		if strings.IndexByte(f, 0x1f) >= 0 {
			return fmt.Errorf("%s/%s: metadata holds the control character U+001F: %w", wr.Type, wr.ID, store.ErrInvalid)
		}
	}
	return nil
}

func (w *txWriter) readCurrent(typ, id string) (*store.Version, error) {
	var raw []byte
	v, err := scanMeta(w.tx.QueryRowContext(w.ctx, `SELECT `+metaCols+`, v.raw FROM resources r JOIN versions v ON v.vpk = r.vpk WHERE r.type = ? AND r.id = ?`, typ, id), &raw)
	if err != nil {
		return nil, err
	}
	v.Raw = raw
	return v, nil
}

// touch records the patients whose sharing context a put of wr over old
// (rid 0: none) changes. The write is neutral when the context's only
// change is its source's latest time: a resource the context does not
// hold (see contextTypes) that is new, or replaces one from the same
// source in the same compartment, at no earlier time. Anything else (a
// consent, a care team, a patient who leaves the compartment, another
// source) makes the context load afresh.
// unretire: a deleted Patient stored again is found by its numbers and
// links again, its new version's; its last ones before the delete go.
// Only then: an update of a live Patient (most of a feed's) runs neither.
func (w *txWriter) unretire(id string) error {
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM retired_numbers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("retired NHS numbers of Patient/%s: %w", id, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM retired_links WHERE id = ?`, id); err != nil {
		return fmt.Errorf("retired links of Patient/%s: %w", id, err)
	}
	return nil
}

func (w *txWriter) touch(wr *store.Write, old currentRow, now time.Time) {
	ms := now.UnixMilli()
	live := old.rid != 0 && !old.deleted // deleted: out of the compartment already
	neutral := !slices.Contains(contextTypes, wr.Type) &&
		(!live || old.org == wr.SourceOrg && old.updated <= ms && sameSet(old.patients, wr.Patients))
	if old.rid != 0 && !neutral {
		w.invalidate(old.patients...) // the patients it may leave
	}
	for _, p := range wr.Patients {
		w.touched = append(w.touched, touch{patient: p, neutral: neutral, org: wr.SourceOrg, at: ms})
	}
	w.touchOwnPatient(wr.Type, wr.ID)
	w.touchDirectory(wr.Type, len(wr.Labels) > 0 || old.labelled)
}

// touchDirectory: a directory item labelled, or that was, changes what
// LabelledDirectory lists (DirectoryChanges); an unlabelled one does not
// (review 32b: any Practitioner written made the next read load 5,000
// labelled items again, 27-38 ms).
func (w *txWriter) touchDirectory(typ string, labelled bool) {
	if labelled && slices.Contains(store.DirectoryTypes, typ) {
		w.wroteDirectory = true
	}
}

// touchOwnPatient: a Patient's context holds the Patient by its id, and a
// deleted one still counts towards its sources (loadPatientContext), so
// any write to it changes that context whatever compartment list the
// caller gave.
func (w *txWriter) touchOwnPatient(typ, id string) {
	if typ == "Patient" {
		w.invalidate(id)
		w.wrotePatient = true
	}
}

// invalidate records patients whose sharing context a write changes
// beyond a source's latest time: their cached contexts are dropped.
func (w *txWriter) invalidate(patients ...string) {
	for _, p := range patients {
		w.touched = append(w.touched, touch{patient: p})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// put stores a new version of a resource (rid 0: a new resource) and
// rebuilds its compartment and index rows. oldSums are the digests of the
// rows stored for the current version (nil: unknown).
func (w *txWriter) put(wr *store.Write, rid, version int64, oldSums []byte, now time.Time) (*store.Version, error) {
	delete(w.known, wr.Type+"/"+wr.ID)
	raw, err := fhir.SetMeta(wr.Raw, wr.ID, strconv.FormatInt(version, 10), now)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", wr.Type, wr.ID, err)
	}
	labels, patients, codes := joinList(wr.Labels), joinList(wr.Patients), joinCodes(wr.Codes, wr.OtherCodes)
	clinical, clinicalEnd := clinicalColumns(wr.Date, wr.DateEnd)
	ms := now.UnixMilli()
	if w.pend.rids[rid] { // written twice in one transaction: the first rows go first
		if err := w.flush(); err != nil {
			return nil, err
		}
	}
	// The version's key is the transaction's next (see vpkCounter), so a
	// new resource's row goes in whole, with it: no second write to the row.
	vpk := w.vpks.take()
	var rows pendingRows
	for _, p := range wr.Patients {
		rows.add(tCompartment, p, rid)
	}
	entries := wr.Index
	if entries == nil {
		entries = search.Extract(wr.Type, wr.Resource)
	}
	addIndexRows(&rows, rid, wr.Type, entries)
	sums := rowDigests(&rows) // without the rid, which a new resource gets next
	if rid == 0 {
		res, err := w.st.insResource.ExecContext(w.ctx, wr.Type, wr.ID, version, vpk, ms, wr.SourceOrg, wr.DataClass, labels, patients, codes, clinical, clinicalEnd, sums)
		if err != nil {
			return nil, err
		}
		if rid, err = res.LastInsertId(); err != nil {
			return nil, err
		}
		rows.setRid(rid)
	} else if _, err := w.st.updResource.ExecContext(w.ctx, version, vpk, ms, wr.SourceOrg, wr.DataClass, labels, patients, codes, clinical, clinicalEnd, sums, rid); err != nil {
		return nil, err
	}
	if _, err := w.st.insVersion.ExecContext(w.ctx, vpk, rid, version, ms, wr.SourceOrg, wr.DataClass, labels, patients, codes, clinical, clinicalEnd, raw); err != nil {
		return nil, err
	}
	w.maxVPK = max(w.maxVPK, vpk)
	w.pend.replace(rid, version, &rows, oldSums, sums)
	return &store.Version{Meta: store.Meta{
		Type: wr.Type, ID: wr.ID, VersionID: version, LastUpdated: now,
		SourceOrg: wr.SourceOrg, DataClass: wr.DataClass, Labels: wr.Labels, Patients: wr.Patients,
		Codes: wr.Codes, OtherCodes: wr.OtherCodes, Date: wr.Date, DateEnd: wr.DateEnd,
	}, Raw: raw}, nil
}

// remove writes a delete marker: history keeps every earlier version, the
// resource leaves search and its compartment.
func (w *txWriter) remove(wr *store.Write, rid, version int64, now time.Time) (*store.Version, error) {
	delete(w.known, wr.Type+"/"+wr.ID)
	ms := now.UnixMilli()
	var org, class, labels, patients, codes string
	var clinical, clinicalEnd int64
	if err := w.tx.QueryRowContext(w.ctx, `SELECT source_org, data_class, labels, patients, codes, clinical, clinical_end FROM resources WHERE rid = ?`, rid).
		Scan(&org, &class, &labels, &patients, &codes, &clinical, &clinicalEnd); err != nil {
		return nil, err
	}
	vpk := w.vpks.take()
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO versions(vpk, rid, version, last_updated, deleted, source_org, data_class, labels, patients, codes, clinical, clinical_end, raw)
		VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, NULL)`, vpk, rid, version, ms, org, class, labels, patients, codes, clinical, clinicalEnd); err != nil {
		return nil, err
	}
	w.maxVPK = max(w.maxVPK, vpk)
	w.invalidate(splitList(patients)...)
	w.touchOwnPatient(wr.Type, wr.ID)
	w.touchDirectory(wr.Type, labels != "")
	if wr.Type == "Patient" {
		// Its NHS numbers leave the index with it: kept (RetiredPatients),
		// from the version deleted, still current here.
		w.retired.Store(true)
		if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO retired_numbers(number, id)
			SELECT `+retiredNumberCol+`, ? FROM resources r JOIN versions v ON v.vpk = r.vpk, json_each(CAST(v.raw AS TEXT), '$.identifier') i
			WHERE r.rid = ? AND `+retiredNumberWhere, wr.ID, rid); err != nil {
			return nil, fmt.Errorf("retired NHS numbers of Patient/%s: %w", wr.ID, err)
		}
		// And those it linked to by identifier, which joined it as its own
		// numbers do (review 38c).
		if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO retired_numbers(number, id)
			SELECT `+retiredLinkNumberCol+`, ? FROM resources r JOIN versions v ON v.vpk = r.vpk, json_each(CAST(v.raw AS TEXT), '$.link') l
			WHERE r.rid = ? AND `+retiredLinkNumberWhere, wr.ID, rid); err != nil {
			return nil, fmt.Errorf("retired NHS numbers of Patient/%s: %w", wr.ID, err)
		}
		// And the Patients it links to (RetiredLinks), as the index has them.
		var raw []byte
		if err := w.tx.QueryRowContext(w.ctx, `SELECT v.raw FROM resources r JOIN versions v ON v.vpk = r.vpk WHERE r.rid = ?`, rid).Scan(&raw); err != nil {
			return nil, fmt.Errorf("retired links of Patient/%s: %w", wr.ID, err)
		}
		for _, target := range patientLinkTargets(wr.ID, raw) {
			if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO retired_links(target, id) VALUES (?, ?)`, target, wr.ID); err != nil {
				return nil, fmt.Errorf("retired links of Patient/%s: %w", wr.ID, err)
			}
		}
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE resources SET version = ?, vpk = ?, last_updated = ?, deleted = 1, idx_sums = NULL WHERE rid = ?`, version, vpk, ms, rid); err != nil {
		return nil, err
	}
	if w.pend.rids[rid] {
		if err := w.flush(); err != nil {
			return nil, err
		}
	}
	w.pend.clear = append(w.pend.clear, rid)
	w.pend.mark(rid)
	return &store.Version{Meta: store.Meta{
		Type: wr.Type, ID: wr.ID, VersionID: version, LastUpdated: now, Deleted: true,
		SourceOrg: org, DataClass: class, Labels: splitList(labels), Patients: splitList(patients),
	}}, nil
}

// addIndexRows adds the search-index rows of one resource version to p.
func addIndexRows(p *pendingRows, rid int64, typ string, entries []search.IndexEntry) {
	for _, e := range entries {
		switch e.Param {
		case "_id", "_lastUpdated":
			continue // answered from the resources table, which the server owns
		}
		switch e.Type {
		case search.Token:
			p.add(tToken, typ, e.Param, e.System, e.Code, rid)
		case search.Reference:
			if e.Ref != "" {
				p.add(tRef, typ, e.Param, e.Ref, rid)
			} else if typ == "Patient" && e.Param == "link" && e.System == search.NHSNumberSystem && e.Code != "" {
				// The NHS number a Patient links to by identifier, which
				// joins the Patients carrying it (review 38c).
				p.add(tToken, typ, store.LinkNumberParam, e.System, e.Code, rid)
			}
		case search.Date:
			p.add(tDate, typ, e.Param, e.Lo, e.Hi, rid)
		case search.String, search.URI:
			p.add(tStr, typ, e.Param, e.Str, rid)
		case search.Number, search.Quantity:
			p.add(tNum, typ, e.Param, e.Num, e.System, e.Code, rid)
		}
	}
}

// Included resolves _include and _revinclude for a page of matches.
func (db *DB) Included(ctx context.Context, matches []*store.Version, inc []search.Include, vis store.Visible, limit int) ([]*store.Version, error) {
	seen := make(map[string]bool, len(matches))
	for _, m := range matches {
		seen[m.Type+"/"+m.ID] = true
	}
	var out []*store.Version
	add := func(typ, id string) error {
		key := typ + "/" + id
		if seen[key] || len(out) >= limit {
			return nil
		}
		seen[key] = true
		v, err := db.Read(ctx, typ, id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			return nil
		}
		if err != nil {
			return err
		}
		if vis == nil || vis(&v.Meta) {
			out = append(out, v)
		}
		return nil
	}
	for _, in := range inc {
		for _, m := range matches {
			if len(out) >= limit {
				return out, nil // full: no more queries
			}
			if in.Rev {
				if in.TargetType != "" && in.TargetType != m.Type {
					continue
				}
				// In pages of limit rows, until limit items are released:
				// the items vis withholds must not take the places of
				// those it releases (review 9a: with more than limit, the
				// number released told how many were withheld).
				param, args := paramIs("x.", in.SourceType, in.Param)
				args = append(append([]any{in.SourceType}, args...), m.Type+"/"+m.ID)
				for after := int64(0); len(out) < limit; {
					rows, err := db.reader.QueryContext(ctx, `SELECT r.rid, r.type, r.id FROM idx_ref x JOIN resources r ON r.rid = x.rid
						WHERE x.type = ? AND `+param+` AND x.ref = ? AND r.deleted = 0 AND r.rid > ? ORDER BY r.rid LIMIT ?`, append(args, after, limit)...)
					if err != nil {
						return nil, err
					}
					page, err := scanRefRows(rows)
					if err != nil {
						return nil, err
					}
					for _, p := range page {
						if err := add(p.typ, p.id); err != nil {
							return nil, err
						}
					}
					if len(page) < limit {
						break
					}
					after = page[len(page)-1].rid
				}
				continue
			}
			if in.SourceType != m.Type {
				continue
			}
			param, args := paramIs("x.", in.SourceType, in.Param)
			rows, err := db.reader.QueryContext(ctx, `SELECT x.ref FROM idx_ref x JOIN resources r ON r.rid = x.rid
				WHERE r.type = ? AND r.id = ? AND `+param, append([]any{m.Type, m.ID}, args...)...)
			if err != nil {
				return nil, err
			}
			var refs []string
			for rows.Next() {
				var ref string
				if err := rows.Scan(&ref); err != nil {
					rows.Close()
					return nil, err
				}
				refs = append(refs, ref)
			}
			rows.Close()
			for _, ref := range refs {
				typ, id, ok := splitRef(ref)
				if !ok || (in.TargetType != "" && in.TargetType != typ) {
					continue
				}
				if err := add(typ, id); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// refRow is a resource that refers to another (Included's _revinclude).
type refRow struct {
	rid     int64
	typ, id string
}

func scanRefRows(rows *sql.Rows) ([]refRow, error) {
	defer rows.Close()
	var out []refRow
	for rows.Next() {
		var p refRow
		if err := rows.Scan(&p.rid, &p.typ, &p.id); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func splitRef(ref string) (typ, id string, ok bool) {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' {
			return ref[:i], ref[i+1:], i > 0 && i < len(ref)-1
		}
	}
	return "", "", false
}

// writerCounters are the writer's running totals (store.WriterStats).
type writerCounters struct {
	requests, waitNs, txns, busyNs, commitNs atomic.Int64
}

// WriterStats implements store.WriterStatter.
func (db *DB) WriterStats() store.WriterStats {
	c := &db.wstats
	return store.WriterStats{
		Requests: c.requests.Load(), Wait: time.Duration(c.waitNs.Load()),
		Txns: c.txns.Load(), Busy: time.Duration(c.busyNs.Load()), CommitTime: time.Duration(c.commitNs.Load()),
	}
}
