package auditlog

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Report is the outcome of Verify.
type Report struct {
	Entries          int64 // entries read
	Checkpoints      int   // checkpoints read
	LatestCheckpoint int64 // size of the latest checkpoint, 0 if none
	FirstBad         int64 // first entry that does not verify; -1 when none does not
	BadCheckpoint    int64 // size of the first checkpoint that does not verify; -1 when none
	Journal          int64 // entries past the tables, in the journal beside the database
	Saved            int   // saved checkpoints (VerifyWith) the log extends
	Problem          string
	Warning          string // not a failure: what the check could not cover
}

// OK reports whether the log verified.
func (r *Report) OK() bool { return r.Problem == "" }

// ErrTampered is returned (wrapped, with the report's Problem) by Verify
// when the log does not verify.
var ErrTampered = errors.New("access log does not verify")

type storedCk struct {
	size       int64
	root, note []byte
}

// Verify checks an access log from the database file alone, trusting none
// of the stored hashes: it re-hashes every entry, rebuilds the hash chain
// and the Merkle tree, and checks every checkpoint's signature (against
// verifiers) and root; then that checkpoints are where the server signs
// them, that the stored tree and the search indexes match the entries, and
// that the schema is carex's. It stops at the first problem, filling in the
// report; the error then wraps ErrTampered. Other errors are I/O errors.
//
// With nil verifiers signatures are not checked (roots still are) and the
// report says so in Warning.
func Verify(ctx context.Context, db *sql.DB, verifiers note.Verifiers) (*Report, error) {
	return VerifyWith(ctx, db, verifiers, nil)
}

// VerifyWith is Verify that also checks that the log extends each saved
// checkpoint (copies kept outside the database, see Options.CheckpointCopy):
// at least as many entries, and the same root over the first of them.
func VerifyWith(ctx context.Context, db *sql.DB, verifiers note.Verifiers, saved []*SavedCheckpoint) (*Report, error) {
	// A running server copies journal entries into the tables and empties
	// the journal at any moment, and a journal read while it is written
	// may end in a torn batch: a check the journal failed is tried again
	// if the journal has changed since it was read. A real gap, or damage,
	// stays and is reported.
	for try := 1; ; try++ {
		rep, j, err := verifyAttempt(ctx, db, verifiers, saved)
		if !errors.Is(err, ErrTampered) || j == nil || !j.blamed || try == verifyTries || !j.changed() {
			return rep, err
		}
	}
}

// verifyTries bounds how often VerifyWith reads a changing journal again.
const verifyTries = 5

// verifyAttempt reads the journal, then checks the tables in one read
// transaction (one snapshot) taken after it. Entries only leave the
// journal once the tables hold them, so the snapshot holds every entry
// before the journal's first: the two can overlap (identical entries,
// checked) but never leave a gap unless entries were removed.
func verifyAttempt(ctx context.Context, db *sql.DB, verifiers note.Verifiers, saved []*SavedCheckpoint) (*Report, *journalView, error) {
	rep := &Report{FirstBad: -1, BadCheckpoint: -1}
	conn, err := db.Conn(ctx)
	if err != nil {
		return rep, nil, fmt.Errorf("auditlog: verify: %w", err)
	}
	defer conn.Close()
	j, err := readJournalView(ctx, conn)
	if err != nil {
		return rep, nil, err
	}
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		return rep, j, fmt.Errorf("auditlog: verify: %w", err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`) // read only: nothing to keep
	rep, err = verifySnapshot(ctx, conn, db.Driver(), verifiers, saved, j)
	return rep, j, err
}

// verifySnapshot is Verify over one connection inside a read transaction,
// with the journal as read before it.
func verifySnapshot(ctx context.Context, db *sql.Conn, d driver.Driver, verifiers note.Verifiers, saved []*SavedCheckpoint, j *journalView) (*Report, error) {
	rep := &Report{FirstBad: -1, BadCheckpoint: -1}
	saved = slices.SortedFunc(slices.Values(saved), func(a, b *SavedCheckpoint) int { return cmp.Compare(a.Size, b.Size) })
	fail := func(seq, ck int64, format string, args ...any) (*Report, error) {
		rep.FirstBad, rep.BadCheckpoint = seq, ck
		rep.Problem = fmt.Sprintf(format, args...)
		return rep, fmt.Errorf("%w: %s", ErrTampered, rep.Problem)
	}
	var warn []string
	checkSigs := verifiers != nil
	if !checkSigs {
		verifiers = note.VerifierList()
		warn = append(warn, "checkpoint signatures not checked: no public key given")
	}

	// Checkpoints first: entries appended meanwhile only add to the end.
	var cks []storedCk
	rows, err := db.QueryContext(ctx, `SELECT size, root, note FROM audit_checkpoint ORDER BY size`)
	if err != nil {
		return rep, fmt.Errorf("auditlog: verify: %w", err)
	}
	for rows.Next() {
		var c storedCk
		if err := rows.Scan(&c.size, &c.root, &c.note); err != nil {
			rows.Close()
			return rep, err
		}
		cks = append(cks, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cks)
	if len(cks) > 0 {
		rep.LatestCheckpoint = cks[len(cks)-1].size
	}

	// checkCk validates checkpoint c's signature and self-consistency and
	// returns the root it commits to, or why it does not verify.
	checkCk := func(c storedCk) (tlog.Hash, string) {
		var text string
		n, err := note.Open(c.note, verifiers)
		var un *note.UnverifiedNoteError
		switch {
		case err == nil:
			text = n.Text
		case !checkSigs && errors.As(err, &un):
			text = un.Note.Text
		case errors.As(err, &un):
			return tlog.Hash{}, fmt.Sprintf("checkpoint at size %d is not signed by a trusted log key (forged?)", c.size)
		default:
			return tlog.Hash{}, fmt.Sprintf("checkpoint at size %d: signature does not verify (forged or edited): %v", c.size, err)
		}
		size, root, err := parseCheckpoint(text)
		if err != nil {
			return tlog.Hash{}, fmt.Sprintf("checkpoint at size %d: %v", c.size, err)
		}
		if size != c.size {
			return tlog.Hash{}, fmt.Sprintf("checkpoint row %d holds a signed checkpoint for size %d", c.size, size)
		}
		if !bytes.Equal(c.root, root[:]) {
			return tlog.Hash{}, fmt.Sprintf("checkpoint at size %d: stored root differs from the signed root (edited)", c.size)
		}
		return root, ""
	}

	// A goroutine reads the rows (SQLite's share of the work) while this
	// one hashes and checks them.
	sctx, stop := context.WithCancel(ctx)
	batches, free := make(chan *rowBatch, 4), make(chan *rowBatch, 6)
	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(batches)
		readErr = readRows(sctx, db, batches, free)
	}()
	finish := func() error { // rows closed before any follow-up query
		stop()
		for range batches {
		}
		<-readDone
		if readErr != nil && !errors.Is(readErr, context.Canceled) {
			return readErr
		}
		return ctx.Err()
	}
	defer finish()
	hh := newHasher()
	tree := &compactRange{}
	verified := tree.clone() // tree at the last verified checkpoint
	var chain, prevStored, kLeaf tlog.Hash
	var lastTS int64
	next := 0 // next checkpoint to reach
	nextSaved := 0
	for nextSaved < len(saved) && saved[nextSaved].Size == 0 {
		nextSaved++ // the empty log's root: nothing to compare
	}
	var frag []byte
	idx := newIndexSums() // what the search indexes must hold, from the rows
	sums := newTreeSums() // the stored hashes the entries call for, to compare with audit_tree_chunk
	var stored []tlog.Hash
	var multi []patientRow // what audit_patient must hold, from the entries
	chainBreak, rootBad := int64(-1), int64(-1)
	// A problem in one entry is reported once rows is closed: an earlier
	// entry since the last verified checkpoint may have been rewritten
	// with its leaf and chain hashes recomputed, which only the stored
	// tree shows, and that one is the first bad entry (review 90a: a
	// crude edit of a later entry was named in its place, a decoy).
	badAt, badWhy, badInPlace := int64(-1), "", false
	entryFail := func(seq int64, format string, args ...any) {
		badAt, badWhy = seq, fmt.Sprintf(format, args...)
	}
	// inPlace: the entry is where it belongs and only its bytes, its
	// leaf hash or its query columns changed, so the next checkpoint can
	// be read with it.
	inPlace := func(seq int64, format string, args ...any) {
		entryFail(seq, format, args...)
		badInPlace = true
	}
scan:
	for batch := range batches {
		for ri := range batch.rows {
			r := &batch.rows[ri]
			seq, entry, leafB, chainB, colTS, colBG, cols := r.seq, r.entry, r.leaf, r.chain, r.ts, r.bg, &r.cols
			k := tree.n
			switch {
			case seq > k:
				entryFail(k, "entry %d is missing (the next entry is %d): deleted", k, seq)
				break scan
			case seq < k:
				entryFail(seq, "entry %d is out of sequence", seq)
				break scan
			}
			es, ts, err := parseHead(entry)
			if err != nil {
				entryFail(k, "entry %d: %v", k, err)
				break scan
			}
			if es != k {
				entryFail(k, "entry %d holds the bytes of entry %d: entries reordered or moved", k, es)
				break scan
			}
			if j.twice[k] {
				j.blamed = true
				entryFail(k, "%s", twiceProblem(j.path, k))
				break scan
			}
			if jb, ok := j.bySeq[k]; ok && !bytes.Equal(jb, entry) {
				entryFail(k, "entry %d differs from the copy the journal %s holds of it (the journal is written first): the entry in the tables was rewritten", k, j.path)
				break scan
			}
			leaf := hh.leaf(entry)
			if !bytes.Equal(leaf[:], leafB) {
				inPlace(k, "entry %d was edited: its bytes do not match its leaf hash", k)
				break scan
			}
			chain = hh.chain(chain, leaf)
			if !bytes.Equal(chain[:], chainB) {
				if k == 0 {
					entryFail(k, "entry 0: chain hash edited")
					break scan
				}
				chainBreak, kLeaf = k, leaf // follow up once rows is closed (db may be one connection)
				break scan
			}
			if ts < lastTS {
				entryFail(k, "entry %d is earlier than entry %d: entries reordered", k, k-1)
				break scan
			}
			// The query columns must say what the entry says, or an entry
			// could be hidden from IG searches without touching its bytes.
			if colTS != ts {
				inPlace(k, "entry %d: its ts column was edited (hidden from time-range searches)", k)
				break scan
			}
			for i, key := range queryKeys {
				var ok bool
				if frag, ok = columnMatches(frag, entry, key, cols[i], i == 3); !ok {
					inPlace(k, "entry %d: its %s column %q does not match the entry (edited to hide it from IG searches)", k, queryCols[i], cols[i])
					break scan
				}
			}
			if bg := bytes.Contains(entry, []byte(`,"break_glass":`)); bg != (colBG == 1) {
				inPlace(k, "entry %d: its break_glass column was edited (hidden from break-glass searches)", k)
				break scan
			}
			idx.entry(k, cols[0], cols[1], colBG == 1)
			rows, err := patientRows(k, entry)
			if err != nil {
				entryFail(k, "%v", err)
				break scan
			}
			multi = append(multi, rows...)
			lastTS, prevStored = ts, leaf
			sums.startLeaf(tree)
			tree.add(leaf, hh, &stored)
			sums.add(stored)
			for next < len(cks) && cks[next].size <= tree.n {
				c := cks[next]
				if c.size < tree.n || c.size <= 0 {
					return fail(-1, c.size, "checkpoint at size %d is not in sequence", c.size)
				}
				root, why := checkCk(c)
				if why != "" {
					return fail(-1, c.size, "%s", why)
				}
				if got := tree.root(hh); got != root {
					rootBad = c.size
					break scan
				}
				verified = tree.clone()
				next++
			}
			for nextSaved < len(saved) && saved[nextSaved].Size <= tree.n {
				if s := saved[nextSaved]; tree.root(hh) != s.Root {
					return fail(-1, s.Size, "the first %d entries do not give the root signed in the saved checkpoint %s: an entry among them was rewritten and the log's own checkpoints re-signed", s.Size, s.Path)
				}
				nextSaved++
			}
		}
		select {
		case free <- batch:
		default:
		}
	}
	if err := finish(); err != nil {
		return rep, err
	}
	rep.Entries = tree.n
	// rewrittenBefore names the first entry in verified.n..k-1 whose
	// Merkle hashes in the stored tree differ from the entries', if any.
	rewrittenBefore := func(k int64) (int64, string, error) {
		if k <= verified.n {
			return -1, "", nil
		}
		return narrow(ctx, db, verified, k)
	}
	if badAt >= 0 {
		first, how, err := rewrittenBefore(badAt)
		if err != nil {
			return rep, err
		}
		if first >= 0 && first < badAt {
			return fail(first, -1, "entry %d was rewritten with its leaf and chain hashes recomputed (%s); entry %d fails too: %s", first, how, badAt, badWhy)
		}
		// The stored tree may have been recomputed too (review 91a): the
		// next signed checkpoint tells, read with entry badAt's leaf as
		// stored or as its bytes give it (one of the two is what was
		// signed, if badAt is the only entry changed).
		if badInPlace && next < len(cks) && cks[next].size > badAt && badAt >= verified.n {
			c := cks[next]
			if signed, why := checkCk(c); why == "" {
				a, b, n, err := entriesRootsAt(ctx, db, verified, c.size, badAt)
				if err != nil {
					return rep, err
				}
				if n == c.size && a != signed && b != signed {
					return fail(badAt, c.size, "%s; and an entry in %d..%d other than entry %d was rewritten with its leaf, chain and Merkle hashes recomputed (it may come before entry %d): the checkpoint at size %d does not match the entries' leaf hashes with entry %d's as stored or as its bytes give it", badWhy, verified.n, c.size-1, badAt, badAt, c.size, badAt)
				}
			}
		}
		return fail(badAt, -1, "%s", badWhy)
	}
	if k := chainBreak; k >= 0 {
		if k == 0 {
			return fail(k, -1, "entry 0: chain hash edited")
		}
		first, how, err := rewrittenBefore(k - 1)
		if err != nil {
			return rep, err
		}
		if first >= 0 {
			return fail(first, -1, "entry %d was rewritten with its leaf and chain hashes recomputed (%s); the hash chain is broken between entries %d and %d too", first, how, k-1, k)
		}
		// Everything up to k-1 matched, and k's bytes match its leaf hash:
		// the link between k-1 and k is broken. The Merkle tree's own copy
		// of each leaf tells which side was rewritten.
		hr := &sqlHashReader{ctx: ctx, db: db}
		if h, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, k-1)}); err == nil && h[0] != prevStored {
			return fail(k-1, -1, "entry %d was rewritten with its leaf and chain hashes recomputed: entry %d does not chain to it and its Merkle leaf differs", k-1, k)
		}
		if h, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, k)}); err == nil && h[0] != kLeaf {
			return fail(k, -1, "entry %d was edited with its leaf hash recomputed to match: it does not chain to entry %d and its Merkle leaf differs", k, k-1)
		}
		// Neither leaf tells: the next signed checkpoint does. If the
		// entries up to it still give its root, none was rewritten and only
		// k's chain hash was edited.
		if next < len(cks) {
			c := cks[next]
			if signed, why := checkCk(c); why == "" {
				root, n, err := entriesRoot(ctx, db, verified, c.size)
				switch {
				case err != nil:
					return rep, err
				case n == c.size && root == signed:
					return fail(k, -1, "entry %d's chain hash was edited: it does not chain to entry %d, whose bytes the checkpoint at size %d still covers", k, k-1, c.size)
				case n == c.size:
					return fail(k-1, c.size, "an entry in %d..%d was rewritten with its leaf, chain and Merkle hashes recomputed: entry %d does not chain to entry %d and the checkpoint at size %d does not match", verified.n, k-1, k, k-1, c.size)
				}
			}
		}
		return fail(k, -1, "hash chain broken between entries %d and %d: entry %d's chain hash was edited, or entry %d was rewritten with every hash recomputed", k-1, k, k, k-1)
	}
	if size := rootBad; size >= 0 {
		prev := verified.n
		first, how, err := narrow(ctx, db, verified, size)
		if err != nil {
			return rep, err
		}
		if first >= 0 {
			return fail(first, size, "entry %d was rewritten with its leaf and chain hashes recomputed (%s): the checkpoint at size %d does not match", first, how, size)
		}
		return fail(prev, size, "the checkpoint at size %d does not match the entries: an entry in %d..%d was rewritten with all its hashes recomputed", size, prev, size-1)
	}
	if seq, why, err := checkPatientRows(ctx, db, multi, tree.n); err != nil {
		return rep, err
	} else if why != "" {
		// An entry rewritten earlier in the unsigned tail shows only in
		// the stored tree: name it if it comes first.
		if first, how, err := sums.compare(ctx, db, tree.n); err == nil && first >= 0 && first < seq {
			return fail(first, -1, "the stored Merkle tree differs from the one the entries give at entry %d (%s): entry %d was rewritten, or the tree edited; entry %d fails too: %s", first, how, first, seq, why)
		}
		return fail(seq, -1, "%s", why)
	}
	if next < len(cks) {
		c := cks[next]
		if _, why := checkCk(c); why != "" {
			return fail(-1, c.size, "%s", why)
		}
		return fail(tree.n, c.size, "log truncated: the checkpoint at size %d is signed but only %d entries are left", c.size, tree.n)
	}
	if nextSaved < len(saved) {
		s := saved[nextSaved]
		return fail(tree.n, s.Size, "log truncated: the saved checkpoint %s is signed for %d entries but only %d are left (entries %d..%d were removed, with the checkpoints that covered them)", s.Path, s.Size, tree.n, tree.n, s.Size-1)
	}
	// The stored tree is not evidence, but the server builds every
	// checkpoint on it and prove answers from it: it must be the one the
	// entries give.
	if first, how, err := sums.compare(ctx, db, tree.n); err != nil {
		return rep, err
	} else if first >= 0 {
		return fail(first, -1, "the stored Merkle tree differs from the one the entries give at entry %d (%s): it is damaged or was edited, and the server would sign checkpoints on it that do not match the entries; restore the log from a backup that verifies", first, how)
	}
	// Without the key, a rewrite must take every checkpoint after it away:
	// more unsigned entries than the server ever leaves show that.
	sizes := make([]int64, len(cks))
	for i, c := range cks {
		sizes[i] = c.size
	}
	if first, why := cadenceProblem(sizes, tree.n); first >= 0 {
		return fail(first, -1, "%s", why)
	}
	// The entries were read through whatever audit_log is now; IG reads
	// the same names, and the indexes under them.
	if why, err := schemaProblem(ctx, db, d); err != nil {
		return rep, err
	} else if why != "" {
		return fail(-1, -1, "%s", why)
	}
	if why, err := idx.indexProblem(ctx, db); err != nil {
		return rep, err
	} else if why != "" {
		return fail(-1, -1, "%s", why)
	}
	rep.Saved = len(saved)
	if tree.n > verified.n {
		warn = append(warn, fmt.Sprintf("entries %d..%d are after the latest checkpoint: hash-chained but not yet signed", verified.n, tree.n-1))
	}
	// Entries acknowledged but not yet copied from the journal (the server
	// is running, or stopped abruptly) continue the chain.
	n, bad, why := j.check(tree.n, lastTS)
	if why != "" {
		j.blamed = true
		return fail(bad, -1, "%s", why)
	}
	if rep.Journal = n; n > 0 {
		warn = append(warn, fmt.Sprintf("entries %d..%d are in the journal %s, not yet in the tables: not yet hashed or signed; carex copies them in at its next start", tree.n, tree.n+n-1, j.path))
	}
	rep.Warning = strings.Join(warn, "; ")
	return rep, nil
}

// patientRow is one row of audit_patient: an entry that named several
// patients, once per patient.
type patientRow struct {
	patient string
	seq     int64
}

// patientRows are the audit_patient rows entry seq's canonical bytes call
// for (none unless it names several patients).
func patientRows(seq int64, entry []byte) ([]patientRow, error) {
	if !bytes.Contains(entry, []byte(`,"patients":`)) {
		return nil, nil
	}
	var w struct {
		Patients []string `json:"patients"`
	}
	if err := json.Unmarshal(entry, &w); err != nil {
		return nil, fmt.Errorf("entry %d: %w (run audit verify)", seq, err)
	}
	var rows []patientRow
	for _, p := range distinct(w.Patients) {
		rows = append(rows, patientRow{p, seq})
	}
	return rows, nil
}

// insertPatientRows adds rows to audit_patient (its trigger takes rows of
// the last entry only: insert them after their entry).
func insertPatientRows(ctx context.Context, tx *sql.Tx, rows []patientRow) error {
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_patient(patient, seq) VALUES (?,?)`, r.patient, r.seq); err != nil {
			return fmt.Errorf("audit_patient: %w", err)
		}
	}
	return nil
}

// checkPatientRows compares audit_patient (below seq size: rows for later
// entries are the running server's) with the patients the entries name.
func checkPatientRows(ctx context.Context, db querier, want []patientRow, size int64) (int64, string, error) {
	slices.SortFunc(want, func(a, b patientRow) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.patient, b.patient))
	})
	rows, err := db.QueryContext(ctx, `SELECT patient, seq FROM audit_patient WHERE seq < ? ORDER BY seq, patient`, size)
	if err != nil {
		return 0, "", fmt.Errorf("auditlog: verify: %w", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var r patientRow
		if err := rows.Scan(&r.patient, &r.seq); err != nil {
			return 0, "", err
		}
		switch {
		case i < len(want) && r == want[i]:
			i++
			continue
		case i < len(want) && (want[i].seq < r.seq || want[i].seq == r.seq && want[i].patient < r.patient):
			return want[i].seq, fmt.Sprintf("entry %d: patient %q is missing from audit_patient (removed to hide the entry from IG searches)", want[i].seq, want[i].patient), nil
		}
		return r.seq, fmt.Sprintf("audit_patient row (%q, %d) is not in entry %d (added to attribute the entry to another patient)", r.patient, r.seq, r.seq), nil
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	if i < len(want) {
		return want[i].seq, fmt.Sprintf("entry %d: patient %q is missing from audit_patient (removed to hide the entry from IG searches)", want[i].seq, want[i].patient), nil
	}
	return 0, "", nil
}

// journalView is the journal beside the database as verify read it.
type journalView struct {
	path   string
	data   []byte           // the file; nil when there is none
	frames [][]byte         // its entries
	perr   error            // why it does not parse
	bySeq  map[int64][]byte // its entries by seq
	twice  map[int64]bool   // entries it holds two different copies of
	blamed bool             // the check failed on it
}

// readJournalView reads the journal beside db's file, if any.
func readJournalView(ctx context.Context, db queryRower) (*journalView, error) {
	j := &journalView{}
	file, err := mainFile(ctx, db)
	if err != nil {
		return j, nil // no file: no journal
	}
	j.path = file + JournalSuffix
	j.data, j.frames, j.perr, err = readJournalFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: verify: %w", err)
	}
	if j.perr == nil {
		j.bySeq = make(map[int64][]byte, len(j.frames))
		for _, data := range j.frames {
			if seq, _, err := parseHead(data); err == nil {
				j.bySeq[seq] = data
			}
		}
		j.twice = journalTwice(j.frames)
	}
	return j, nil
}

// readJournalFile reads and parses the journal at path. A running server
// appends while it is read, so a read can see a block as it was before a
// batch was written there and a later block after: a gap that is not in
// the file. The part from the gap on is read again (the blocks before it
// are final within the header's generation), until it parses, the gap
// stays where it was (real damage), or after tornRereads reads.
func readJournalFile(path string) (data []byte, frames [][]byte, perr, err error) {
	if data, err = os.ReadFile(path); err != nil {
		return nil, nil, nil, err
	}
	frames, _, perr = parseJournal(data)
	data, frames, perr = settleTornRead(path, data, frames, perr)
	return data, frames, perr, nil
}

// settleTornRead is readJournalFile's second look at a gap in data, the
// journal at path as it was read.
func settleTornRead(path string, data []byte, frames [][]byte, perr error) ([]byte, [][]byte, error) {
	for range tornRereads {
		var gap *gapError
		if !errors.As(perr, &gap) {
			break
		}
		again, err := rereadFrom(path, data, gap.at)
		if err != nil || again == nil {
			break // the file changed under the gap: the caller reads it again
		}
		data = again
		frames, _, perr = parseJournal(data)
		var now *gapError
		if errors.As(perr, &now) && now.at == gap.at {
			break // still there: damage, not a read that raced a write
		}
	}
	return data, frames, perr
}

// tornRereads bounds how often readJournalFile reads the tail again.
const tornRereads = 64

// rereadFrom returns data with its bytes from off on read again from the
// file, or nil when the file's header block (its generation) is no longer
// data's: it was emptied and restarted meanwhile.
func rereadFrom(path string, data []byte, off int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tail, err := io.ReadAll(io.NewSectionReader(f, int64(off), math.MaxInt64-int64(off)))
	if err != nil {
		return nil, err
	}
	head := make([]byte, journalBlock) // read after the tail: a reset before it shows
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head, data[:journalBlock]) {
		return nil, err
	}
	return append(data[:off:off], tail...), nil
}

// changed reports whether the journal file differs from what was read.
func (j *journalView) changed() bool {
	b, err := os.ReadFile(j.path)
	return err == nil && !bytes.Equal(b, j.data) || err != nil && j.data != nil
}

// check checks the journal's entries past the tables (size entries, the
// last at lastTS): they must continue them (sequence, time, parse). They
// have no stored hashes yet: nothing to check them against but their
// order. It returns how many there are, or the first that does not verify
// and why.
func (j *journalView) check(size, lastTS int64) (n, bad int64, why string) {
	if j.perr != nil {
		return 0, size, fmt.Sprintf("the access journal %s is %v", j.path, j.perr)
	}
	next := size
	for _, data := range j.frames {
		seq, ts, err := parseHead(data)
		if err != nil {
			return n, next, fmt.Sprintf("journal entry after %d: %v", next-1, err)
		}
		if j.twice[seq] && seq >= size {
			return n, seq, twiceProblem(j.path, seq)
		}
		if seq < next {
			continue // also in the tables (compared with them there)
		}
		if seq != next {
			return n, next, fmt.Sprintf("entry %d is missing: the journal continues at entry %d", next, seq)
		}
		if _, err := Decode(data); err != nil {
			return n, next, fmt.Sprintf("journal entry %d: %v", seq, err)
		}
		if ts < lastTS {
			return n, next, fmt.Sprintf("journal entry %d is earlier than entry %d: entries reordered", seq, seq-1)
		}
		lastTS, next, n = ts, next+1, n+1
	}
	return n, -1, ""
}

// narrow looks for the first entry in [from.n, size) whose recomputed
// Merkle stored hashes differ from those in audit_tree_chunk (which an
// attacker who recomputed leaf and chain hashes may have left alone). It
// returns -1 if the stored tree agrees (it was rewritten too).
// entriesRoot is the Merkle root over the stored entries up to size,
// continuing from (a verified tree), and how many entries it covers.
func entriesRoot(ctx context.Context, db querier, from *compactRange, size int64) (tlog.Hash, int64, error) {
	tree := from.clone()
	hh := newHasher()
	rows, err := db.QueryContext(ctx, `SELECT entry FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`, tree.n, size)
	if err != nil {
		return tlog.Hash{}, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var entry sql.RawBytes
		if err := rows.Scan(&entry); err != nil {
			return tlog.Hash{}, 0, err
		}
		tree.add(hh.leaf(entry), hh, nil)
	}
	if err := rows.Err(); err != nil {
		return tlog.Hash{}, 0, err
	}
	return tree.root(hh), tree.n, nil
}

// entriesRootsAt is the Merkle root over the stored leaf hashes (the
// leaf_hash column) of the entries up to size, continuing from (a
// verified tree), and the same with entry at's leaf from its bytes (b):
// an entry edited in its bytes alone keeps its leaf hash (review 92a: two
// such edits were taken for a rewrite with every hash recomputed).
func entriesRootsAt(ctx context.Context, db querier, from *compactRange, size, at int64) (a, b tlog.Hash, n int64, err error) {
	ta, tb := from.clone(), from.clone()
	hh := newHasher()
	rows, err := db.QueryContext(ctx, `SELECT seq, entry, leaf_hash FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`, ta.n, size)
	if err != nil {
		return a, b, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var entry, leaf sql.RawBytes
		if err := rows.Scan(&seq, &entry, &leaf); err != nil {
			return a, b, 0, err
		}
		if seq != ta.n {
			return a, b, 0, nil // a row missing or out of order: nothing to tell
		}
		var stored tlog.Hash
		copy(stored[:], leaf)
		ta.add(stored, hh, nil)
		if seq == at {
			tb.add(hh.leaf(entry), hh, nil)
		} else {
			tb.add(stored, hh, nil)
		}
	}
	if err := rows.Err(); err != nil {
		return a, b, 0, err
	}
	return ta.root(hh), tb.root(hh), ta.n, nil
}

func narrow(ctx context.Context, db querier, from *compactRange, size int64) (int64, string, error) {
	tree := from.clone()
	lo, hi := tlog.StoredHashCount(tree.n), tlog.StoredHashCount(size)
	want := make([]tlog.Hash, 0, hi-lo)
	hh := newHasher()
	var stored []tlog.Hash
	rows, err := db.QueryContext(ctx, `SELECT entry FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`, tree.n, size)
	if err != nil {
		return -1, "", err
	}
	for rows.Next() {
		var entry sql.RawBytes
		if err := rows.Scan(&entry); err != nil {
			rows.Close()
			return -1, "", err
		}
		tree.add(hh.leaf(entry), hh, &stored)
		want = append(want, stored...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return -1, "", err
	}
	// Compare with the stored tree in a second query: db may be a single connection.
	got, have, err := readStoredHashes(ctx, db, lo, hi)
	if err != nil {
		return -1, "", err
	}
	at := func(idx int64) (int64, string) {
		level, n := tlog.SplitStoredHashIndex(idx)
		first := n << level
		if level == 0 {
			return first, "its Merkle leaf in the stored tree differs"
		}
		return first, fmt.Sprintf("the Merkle subtree over entries %d..%d in the stored tree differs", first, first+1<<level-1)
	}
	for i := range got {
		idx := lo + int64(i)
		if !have[i] {
			seq, _ := at(idx)
			return seq, "its Merkle hashes are missing from the stored tree", nil
		}
		if got[i] != want[i] {
			seq, how := at(idx)
			return seq, how, nil
		}
	}
	return -1, "", nil
}

// parseCheckpoint reads a C2SP checkpoint body: origin, size, base64 root,
// then optional extension lines.
func parseCheckpoint(text string) (int64, tlog.Hash, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return 0, tlog.Hash{}, errors.New("malformed checkpoint")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, tlog.Hash{}, errors.New("malformed checkpoint size")
	}
	b, err := base64.StdEncoding.DecodeString(lines[2])
	var h tlog.Hash
	if err != nil || len(b) != tlog.HashSize {
		return 0, tlog.Hash{}, errors.New("malformed checkpoint root")
	}
	copy(h[:], b)
	return size, h, nil
}

var (
	queryCols = [4]string{"patient", "sub", "org", "decision"}
	queryKeys = [4][]byte{[]byte(`,"patient":`), []byte(`,"sub":`), []byte(`,"org":`), []byte(`,"decision":`)}
)

// columnMatches reports whether the canonical entry holds key with value
// col (an absent key for an empty col unless always). In canonical JSON a
// comma followed by an unescaped quote only occurs before a key, so a
// substring search is exact.
func columnMatches(buf, entry, key, col []byte, always bool) ([]byte, bool) {
	if len(col) == 0 && !always {
		return buf, !bytes.Contains(entry, key)
	}
	buf = append(buf[:0], key...)
	buf = appendJSONString(buf, col)
	return buf, bytes.Contains(entry, buf)
}

// appendJSONString appends s quoted as encoding/json would.
func appendJSONString(buf, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(s))
			return append(buf, q...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

type verifyRow struct {
	seq, ts, bg        int64
	entry, leaf, chain []byte
	cols               [4][]byte // patient, sub, org, decision
}

type rowBatch struct {
	rows  []verifyRow
	arena []byte
}

const verifyBatch = 256

// readRows streams audit_log in seq order as batches, copying each row into
// the batch's arena.
func readRows(ctx context.Context, db querier, out chan<- *rowBatch, free chan *rowBatch) error {
	rows, err := db.QueryContext(ctx, `SELECT seq, entry, leaf_hash, chain_hash, ts, patient, sub, org, decision, break_glass FROM audit_log ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("auditlog: verify: %w", err)
	}
	defer rows.Close()
	var entry, leaf, chain sql.RawBytes
	var cols [4]sql.RawBytes
	get := func() *rowBatch {
		select {
		case b := <-free:
			b.rows, b.arena = b.rows[:0], b.arena[:0]
			return b
		default:
			return &rowBatch{rows: make([]verifyRow, 0, verifyBatch), arena: make([]byte, 0, verifyBatch*512)}
		}
	}
	b := get()
	keep := func(a []byte) []byte {
		n := len(b.arena)
		b.arena = append(b.arena, a...)
		return b.arena[n:len(b.arena):len(b.arena)]
	}
	send := func() bool {
		select {
		case out <- b:
			b = get()
			return true
		case <-ctx.Done():
			return false
		}
	}
	for rows.Next() {
		var r verifyRow
		if err := rows.Scan(&r.seq, &entry, &leaf, &chain, &r.ts, &cols[0], &cols[1], &cols[2], &cols[3], &r.bg); err != nil {
			return err
		}
		if len(b.rows) == 0 && cap(b.arena) < len(entry)*verifyBatch*2 {
			b.arena = make([]byte, 0, len(entry)*verifyBatch*2)
		}
		r.entry, r.leaf, r.chain = keep(entry), keep(leaf), keep(chain)
		for i := range cols {
			r.cols[i] = keep(cols[i])
		}
		b.rows = append(b.rows, r)
		if len(b.rows) == verifyBatch && !send() {
			return ctx.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(b.rows) > 0 && !send() {
		return ctx.Err()
	}
	return nil
}

// searchIndexes are the indexes IG searches read (patient, user,
// break-glass), each scanned alone: only its own columns are selected, so
// SQLite reads the values from the index, not the table.
var searchIndexes = [...]struct{ name, query string }{
	{"audit_log_patient", `SELECT patient, seq FROM audit_log INDEXED BY audit_log_patient`},
	{"audit_log_sub", `SELECT sub, seq FROM audit_log INDEXED BY audit_log_sub`},
	{"audit_log_bg", `SELECT '', seq FROM audit_log INDEXED BY audit_log_bg WHERE break_glass = 1`},
}

// indexSums digests what each search index must hold, from the table's
// rows as verify reads them: the sum of a keyed hash of (value, seq) over
// the rows, and how many. An index edited apart from its table (an entry
// filed under another user or patient, left out, or added) gives another
// sum; the key is new for each verify, so no edit can be made to match.
// It costs one pass over each index, where PRAGMA integrity_check looks
// every row up in every index (about three times as long).
type indexSums struct {
	h   maphash.Hash
	sum [len(searchIndexes)]uint64
	n   [len(searchIndexes)]int64
	buf []byte
}

func newIndexSums() *indexSums {
	s := &indexSums{}
	s.h.SetSeed(maphash.MakeSeed())
	return s
}

func (s *indexSums) row(i int, value []byte, seq int64) {
	s.buf = binary.LittleEndian.AppendUint64(append(s.buf[:0], value...), uint64(seq))
	s.h.Reset()
	s.h.Write(s.buf)
	s.sum[i] += s.h.Sum64()
	s.n[i]++
}

// entry adds the index rows of one audit_log row.
func (s *indexSums) entry(seq int64, patient, sub []byte, breakGlass bool) {
	s.row(0, patient, seq)
	s.row(1, sub, seq)
	if breakGlass {
		s.row(2, nil, seq)
	}
}

// indexProblem scans each search index and compares it with the sums of
// the table's rows; "" when every index matches.
func (s *indexSums) indexProblem(ctx context.Context, db querier) (string, error) {
	got := newIndexSums()
	got.h.SetSeed(s.h.Seed())
	for i, ix := range searchIndexes {
		rows, err := db.QueryContext(ctx, ix.query)
		if err != nil {
			return "", fmt.Errorf("auditlog: verify: reading index %s: %w", ix.name, err)
		}
		for rows.Next() {
			var v sql.RawBytes
			var seq int64
			if err := rows.Scan(&v, &seq); err != nil {
				rows.Close()
				return "", err
			}
			got.row(i, v, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
		if got.n[i] != s.n[i] || got.sum[i] != s.sum[i] {
			return fmt.Sprintf("the index %s does not match its table (%d rows for %d): it was edited apart from the table, which files entries under another value and hides them from IG searches, or the file is damaged (PRAGMA integrity_check names the rows); restore the log from a backup that verifies", ix.name, got.n[i], s.n[i]), nil
		}
	}
	return "", nil
}

// treeSums digests the stored hashes the entries call for, in blocks of
// treeSumBlock leaves, so that audit_tree_chunk can be compared with them
// in one pass without keeping them; a block that differs is searched
// again (narrow) from the tree at its start.
type treeSums struct {
	d      hash.Hash
	starts []*compactRange // the tree at each block's first leaf
	sums   [][]byte
}

// treeSumBlock: leaves per digest (a var for tests).
var treeSumBlock int64 = 1 << 16

func newTreeSums() *treeSums { return &treeSums{d: sha256.New()} }

// startLeaf is called before each leaf is added to tree.
func (s *treeSums) startLeaf(tree *compactRange) {
	if tree.n%treeSumBlock == 0 {
		s.end()
		s.starts = append(s.starts, tree.clone())
	}
}

func (s *treeSums) add(hs []tlog.Hash) {
	for i := range hs {
		s.d.Write(hs[i][:])
	}
}

func (s *treeSums) end() {
	if len(s.starts) > len(s.sums) {
		s.sums = append(s.sums, s.d.Sum(nil))
		s.d.Reset()
	}
}

// compare reads audit_tree_chunk (a log of n entries) and returns the
// first entry whose stored hashes differ from the entries', and how; -1
// when none does.
func (s *treeSums) compare(ctx context.Context, db querier, n int64) (int64, string, error) {
	s.end()
	rows, err := db.QueryContext(ctx, `SELECT start, hashes FROM audit_tree_chunk ORDER BY start`)
	if err != nil {
		return -1, "", fmt.Errorf("auditlog: verify: %w", err)
	}
	d := sha256.New()
	next, total := int64(0), tlog.StoredHashCount(n)
	block, blockEnd := 0, tlog.StoredHashCount(min(treeSumBlock, n))
	bad, extra := -1, false
	for rows.Next() && bad < 0 && !extra {
		var start int64
		var b sql.RawBytes
		if err := rows.Scan(&start, &b); err != nil {
			rows.Close()
			return -1, "", err
		}
		if start != next || len(b)%tlog.HashSize != 0 {
			bad = block // a hole or an overlap: the block's hashes differ
			break
		}
		for ; len(b) > 0; b = b[tlog.HashSize:] {
			if next == total {
				extra = true
				break
			}
			d.Write(b[:tlog.HashSize])
			if next++; next == blockEnd {
				if !bytes.Equal(d.Sum(nil), s.sums[block]) {
					bad = block
					break
				}
				d.Reset()
				block++
				blockEnd = tlog.StoredHashCount(min((int64(block)+1)*treeSumBlock, n))
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return -1, "", err
	}
	switch {
	case extra:
		return n, "it holds hashes past the last entry", nil
	case bad < 0 && next < total:
		bad = block // cut short
	case bad < 0:
		return -1, "", nil
	}
	from := s.starts[bad]
	first, how, err := narrow(ctx, db, from, min(from.n+treeSumBlock, n))
	if err != nil || first >= 0 {
		return first, how, err
	}
	return from.n, "its hashes are out of order", nil
}

// journalTwice returns the entries of which the journal frames hold two
// different copies. carex writes each entry once; a frame repeating one in
// other bytes was added afterwards, and whichever copy a check read (the
// last) could be the forged one that matches a rewritten table row
// (review 13b).
func journalTwice(frames [][]byte) map[int64]bool {
	var twice map[int64]bool
	seen := make(map[int64][]byte, len(frames))
	for _, data := range frames {
		seq, _, err := parseHead(data)
		if err != nil {
			continue
		}
		if prev, ok := seen[seq]; ok && !bytes.Equal(prev, data) {
			if twice == nil {
				twice = map[int64]bool{}
			}
			twice[seq] = true
		}
		seen[seq] = data
	}
	return twice
}

// twiceProblem says that the journal at path holds two copies of entry seq.
func twiceProblem(path string, seq int64) string {
	return fmt.Sprintf("the journal %s holds two different copies of entry %d (carex writes each entry once: one was added afterwards)", path, seq)
}
