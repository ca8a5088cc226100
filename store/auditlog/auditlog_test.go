package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/carex-project/carex/store/sqlite"
)

type fixture struct {
	t      *testing.T
	path   string
	db     *sqlite.DB
	signer note.Signer
	vs     note.Verifiers
	opt    Options
	log    *Log
}

func newFixture(t testing.TB, opt Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{path: filepath.Join(dir, "carex.db")}
	s, v, err := LoadOrCreateKey(filepath.Join(dir, "log.key"), "carex.example/log")
	if err != nil {
		t.Fatal(err)
	}
	f.signer, f.vs = s, note.VerifierList(v)
	opt.Signer = s
	f.opt = opt
	f.open(t)
	t.Cleanup(func() {
		if f.log != nil {
			f.log.Close()
		}
		f.db.Close()
	})
	return f
}

func (f *fixture) open(t testing.TB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), f.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	if f.log, err = Open(context.Background(), db.Writer(), db.Reader(), f.opt); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) close(t testing.TB) {
	t.Helper()
	if err := f.log.Close(); err != nil {
		t.Fatal(err)
	}
	f.log = nil
}

func (f *fixture) reopen(t testing.TB) {
	t.Helper()
	if f.log != nil {
		f.close(t)
	}
	f.db.Close()
	f.open(t)
}

func sample(i int) *Entry {
	p := fmt.Sprintf("p%d", i%10)
	e := &Entry{
		RequestID: fmt.Sprintf("req-%d", i),
		Sub:       fmt.Sprintf("user%d", i%5), Name: "Dr Test", Role: "doctor", Org: fmt.Sprintf("ORG%d", i%3), Sector: "nhs",
		Purpose: "TREAT", Client: "10.0.0.1", Operation: "read", Method: "GET",
		Path: "/fhir/Patient/" + p + "?name=secret", ResourceType: "Patient", ResourceID: p, Patient: p,
		Released: []string{"Patient/" + p + "/_history/1"}, Decision: "permit", Status: 200,
	}
	if i%17 == 0 {
		e.BreakGlass, e.Purpose = "unconscious patient in ED", "ETREAT"
	}
	if i%50 == 5 { // escaping must not upset the column checks
		e.Sub, e.Org = "o'brien <ü> \"x\" \\ & \t", "ORG\u2028"
	}
	if i%23 == 0 {
		e.Decision, e.Status, e.Reasons, e.Released = "deny", 403, []string{"forbidden"}, nil
	}
	if i%29 == 3 { // a search across people: every patient it touched
		e.Operation, e.Path, e.ResourceID, e.Patient = "search", "/fhir/Condition", "", ""
		e.Patients = []string{p, "p-other", p}
	}
	return e
}

func (f *fixture) fill(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		e := sample(i)
		if err := f.log.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i) {
			t.Fatalf("entry %d got seq %d", i, e.Seq)
		}
	}
	// Entries reach the SQLite tables within IndexDelay; the tests look
	// at the tables directly.
	if err := f.log.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) verify(t testing.TB) *Report {
	t.Helper()
	r, err := Verify(context.Background(), f.db.Reader(), f.vs)
	if err != nil && !errors.Is(err, ErrTampered) {
		t.Fatal(err)
	}
	if (err == nil) != r.OK() {
		t.Fatalf("err %v but report %+v", err, r)
	}
	return r
}

func (f *fixture) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := f.db.Writer().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) dropTriggers(t testing.TB) {
	t.Helper()
	for _, tab := range []string{"audit_log", "audit_tree_chunk", "audit_checkpoint", "audit_patient"} {
		for _, s := range []string{"no_update", "no_delete", "append_only"} {
			f.exec(t, "DROP TRIGGER "+tab+"_"+s)
		}
	}
}

func TestAppendVerify(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 100})
	f.fill(t, 250)
	e, b, err := f.log.Get(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if e.Path != "/fhir/Patient/p7" || e.Time.IsZero() || e.Time.Location() != time.UTC {
		t.Fatalf("entry 7 = %+v", e)
	}
	if !strings.HasPrefix(string(b), `{"seq":7,"ts":`) {
		t.Fatalf("canonical form: %s", b)
	}
	if b2, _ := Encode(e); string(b2) != string(b) {
		t.Fatalf("decode/encode not stable:\n%s\n%s", b, b2)
	}
	f.close(t) // final checkpoint at 250
	// A clean close leaves the journal small: audit verify reads all of it.
	if st, err := os.Stat(f.path + JournalSuffix); err != nil {
		t.Fatal(err)
	} else if st.Size() > journalStart {
		t.Fatalf("journal after Close: %d bytes, want at most %d", st.Size(), journalStart)
	}
	r := f.verify(t)
	if !r.OK() || r.Entries != 250 || r.Checkpoints != 3 || r.LatestCheckpoint != 250 || r.FirstBad != -1 || r.Warning != "" {
		t.Fatalf("report %+v", r)
	}
	// The stored tree agrees with tlog reading it back.
	root, err := tlog.TreeHash(250, &sqlHashReader{ctx: context.Background(), db: f.db.Reader()})
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	f.db.Reader().QueryRow(`SELECT root FROM audit_checkpoint WHERE size = 250`).Scan(&stored)
	if string(stored) != string(root[:]) {
		t.Fatal("checkpoint root differs from tlog.TreeHash over the stored tree")
	}
	// Without a key: roots checked, signatures not.
	r, err = Verify(context.Background(), f.db.Reader(), nil)
	if err != nil || !strings.Contains(r.Warning, "signatures not checked") {
		t.Fatalf("nil verifiers: %v %+v", err, r)
	}
}

func TestEmptyLog(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.log.Checkpoint(context.Background()); !errors.Is(err, ErrEmpty) {
		t.Fatalf("checkpoint of empty log: %v", err)
	}
	l := f.log
	f.close(t)
	if r := f.verify(t); !r.OK() || r.Entries != 0 {
		t.Fatalf("%+v", r)
	}
	if err := l.Append(context.Background(), sample(1)); !errors.Is(err, ErrClosed) {
		t.Fatal("append after close")
	}
}

func TestAppendOnlyTriggers(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 5})
	f.fill(t, 10)
	for _, q := range []string{
		`UPDATE audit_log SET entry = x'00' WHERE seq = 3`,
		`UPDATE audit_log SET patient = 'p9' WHERE seq = 3`,
		`DELETE FROM audit_log WHERE seq = 3`,
		`DELETE FROM audit_log`,
		`INSERT OR REPLACE INTO audit_log(seq, ts, entry, leaf_hash, chain_hash) VALUES (3, 0, x'00', x'00', x'00')`,
		`INSERT INTO audit_log(seq, ts, entry, leaf_hash, chain_hash) VALUES (20, 0, x'00', x'00', x'00')`,
		`UPDATE audit_tree_chunk SET hashes = x'00' WHERE start = 0`,
		`DELETE FROM audit_tree_chunk WHERE start = 0`,
		`INSERT OR REPLACE INTO audit_tree_chunk(start, hashes) VALUES (0, zeroblob(32))`,
		`INSERT INTO audit_tree_chunk(start, hashes) VALUES (1000, zeroblob(32))`,
		`UPDATE audit_checkpoint SET root = x'00'`,
		`DELETE FROM audit_checkpoint`,
		`INSERT OR REPLACE INTO audit_checkpoint(size, root, note, ts) VALUES (5, x'00', x'00', 0)`,
		`UPDATE audit_patient SET patient = 'p9' WHERE seq = 3`,
		`DELETE FROM audit_patient WHERE seq = 3`,
		`INSERT INTO audit_patient(patient, seq) VALUES ('p9', 3)`,
	} {
		_, err := f.db.Writer().Exec(q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: got %v, want append-only refusal", q, err)
		}
	}
	f.close(t)
	if r := f.verify(t); !r.OK() {
		t.Fatal(r.Problem)
	}
}

// tamper builds a closed 300-entry log with checkpoints at 100, 200, 300
// and triggers dropped.
func tamper(t *testing.T) *fixture {
	f := newFixture(t, Options{CheckpointEvery: 100})
	f.fill(t, 300)
	f.close(t)
	if r := f.verify(t); !r.OK() || r.Checkpoints != 3 {
		t.Fatalf("before tampering: %+v", r)
	}
	f.dropTriggers(t)
	return f
}

func (f *fixture) entry(t *testing.T, seq int64) []byte {
	var b []byte
	if err := f.db.Writer().QueryRow(`SELECT entry FROM audit_log WHERE seq = ?`, seq).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// editRow changes entry seq's sub, in the bytes and the query column alike.
func (f *fixture) editRow(t *testing.T, seq int64) {
	f.exec(t, `UPDATE audit_log SET entry = ?, sub = 'z' || substr(sub, 2) WHERE seq = ?`, edit(f.entry(t, seq)), seq)
}

func edit(b []byte) []byte {
	return []byte(strings.Replace(string(b), `"sub":"user`, `"sub":"zser`, 1))
}

// rehash recomputes leaf and chain hashes of entries from..to (inclusive),
// as an attacker who knows the scheme would.
func (f *fixture) rehash(t *testing.T, from, to int64) {
	var prev tlog.Hash
	if from > 0 {
		var b []byte
		f.db.Writer().QueryRow(`SELECT chain_hash FROM audit_log WHERE seq = ?`, from-1).Scan(&b)
		copy(prev[:], b)
	}
	hh := newHasher()
	for s := from; s <= to; s++ {
		leaf := hh.leaf(f.entry(t, s))
		prev = hh.chain(prev, leaf)
		f.exec(t, `UPDATE audit_log SET leaf_hash = ?, chain_hash = ? WHERE seq = ?`, leaf[:], prev[:], s)
	}
}

// rebuildTree rewrites the stored tree from the entries.
func (f *fixture) rebuildTree(t *testing.T) {
	f.exec(t, `DELETE FROM audit_tree_chunk`)
	tree := &compactRange{}
	hh := newHasher()
	var st []tlog.Hash
	n, _ := f.log0Size(t)
	for s := int64(0); s < n; s++ {
		base := tlog.StoredHashCount(s)
		tree.add(hh.leaf(f.entry(t, s)), hh, &st)
		var chunk []byte
		for _, h := range st {
			chunk = append(chunk, h[:]...)
		}
		f.exec(t, `INSERT INTO audit_tree_chunk(start, hashes) VALUES (?, ?)`, base, chunk)
	}
}

func (f *fixture) log0Size(t *testing.T) (int64, error) {
	var n int64
	err := f.db.Writer().QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n)
	return n, err
}

func expectBad(t *testing.T, r *Report, seq, ck int64, words string) {
	t.Helper()
	if r.OK() {
		t.Fatalf("tampering not detected: %+v", r)
	}
	if r.FirstBad != seq || r.BadCheckpoint != ck || !strings.Contains(r.Problem, words) {
		t.Fatalf("got FirstBad %d BadCheckpoint %d %q; want %d, %d, %q", r.FirstBad, r.BadCheckpoint, r.Problem, seq, ck, words)
	}
	t.Logf("detected: %s", r.Problem)
}

func TestTamper(t *testing.T) {
	t.Run("edited entry", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `UPDATE audit_log SET entry = ? WHERE seq = 150`, edit(f.entry(t, 150)))
		expectBad(t, f.verify(t), 150, -1, "entry 150 was edited")
	})
	t.Run("edited entry, its own hashes recomputed", func(t *testing.T) {
		f := tamper(t)
		f.editRow(t, 150)
		f.rehash(t, 150, 150)
		expectBad(t, f.verify(t), 150, -1, "entry 150 was rewritten")
	})
	t.Run("edited entry, only its leaf hash recomputed", func(t *testing.T) {
		f := tamper(t)
		f.editRow(t, 150)
		leaf := newHasher().leaf(f.entry(t, 150))
		f.exec(t, `UPDATE audit_log SET leaf_hash = ? WHERE seq = 150`, leaf[:])
		expectBad(t, f.verify(t), 150, -1, "entry 150 was edited with its leaf hash recomputed")
	})
	t.Run("chain hash edited", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `UPDATE audit_log SET chain_hash = zeroblob(32) WHERE seq = 150`)
		expectBad(t, f.verify(t), 150, -1, "entry 150's chain hash was edited")
	})
	t.Run("edited entry, its hashes and the Merkle tree recomputed, not the next chain hash", func(t *testing.T) {
		f := tamper(t)
		f.editRow(t, 149)
		f.rehash(t, 149, 149)
		f.rebuildTree(t)
		expectBad(t, f.verify(t), 149, 200, "an entry in 100..149 was rewritten")
	})
	t.Run("edited entry, whole chain recomputed", func(t *testing.T) {
		f := tamper(t)
		f.editRow(t, 150)
		f.rehash(t, 150, 299)
		expectBad(t, f.verify(t), 150, 200, "entry 150 was rewritten")
	})
	t.Run("edited entry, chain and Merkle tree recomputed", func(t *testing.T) {
		f := tamper(t)
		f.editRow(t, 150)
		f.rehash(t, 150, 299)
		f.rebuildTree(t)
		expectBad(t, f.verify(t), 100, 200, "an entry in 100..199")
	})
	t.Run("deleted entry", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `DELETE FROM audit_log WHERE seq = 150`)
		expectBad(t, f.verify(t), 150, -1, "entry 150 is missing")
	})
	t.Run("deleted entry, later entries renumbered", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `DELETE FROM audit_log WHERE seq = 150`)
		f.exec(t, `UPDATE audit_log SET seq = seq - 1 WHERE seq > 150`)
		expectBad(t, f.verify(t), 150, -1, "holds the bytes of entry 151")
	})
	t.Run("reordered entries", func(t *testing.T) {
		f := tamper(t)
		a, b := f.entry(t, 120), f.entry(t, 130)
		f.exec(t, `UPDATE audit_log SET entry = ? WHERE seq = 120`, b)
		f.exec(t, `UPDATE audit_log SET entry = ? WHERE seq = 130`, a)
		expectBad(t, f.verify(t), 120, -1, "reordered")
	})
	t.Run("reordered rows", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `UPDATE audit_log SET seq = -1 WHERE seq = 120`)
		f.exec(t, `UPDATE audit_log SET seq = 120 WHERE seq = 130`)
		f.exec(t, `UPDATE audit_log SET seq = 130 WHERE seq = -1`)
		expectBad(t, f.verify(t), 120, -1, "reordered")
	})
	t.Run("truncated", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `DELETE FROM audit_log WHERE seq >= 250`)
		expectBad(t, f.verify(t), 250, 300, "truncated")
	})
	t.Run("emptied", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `DELETE FROM audit_log`)
		expectBad(t, f.verify(t), 0, 100, "truncated")
	})
	t.Run("unsigned tail rewritten out of time order", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `DELETE FROM audit_checkpoint WHERE size = 300`)
		b := f.entry(t, 250)
		_, ts, _ := parseHead(b)
		b = []byte(strings.Replace(string(b), fmt.Sprintf(`"ts":%d`, ts), fmt.Sprintf(`"ts":%d`, ts-3600_000), 1))
		f.exec(t, `UPDATE audit_log SET entry = ? WHERE seq = 250`, b)
		f.rehash(t, 250, 299)
		f.rebuildTree(t)
		expectBad(t, f.verify(t), 250, -1, "earlier than entry 249")
	})
	t.Run("query columns edited", func(t *testing.T) {
		for _, q := range []string{
			`UPDATE audit_log SET patient = 'p9' WHERE seq = 153`,
			`UPDATE audit_log SET patient = '' WHERE seq = 153`,
			`UPDATE audit_log SET sub = 'nobody' WHERE seq = 153`,
			`UPDATE audit_log SET org = 'X' WHERE seq = 153`,
			`UPDATE audit_log SET decision = 'deny' WHERE seq = 153`,
			`UPDATE audit_log SET break_glass = 0 WHERE seq = 153`,
			`UPDATE audit_log SET ts = ts - 1 WHERE seq = 153`,
		} {
			f := tamper(t)
			f.exec(t, q)
			expectBad(t, f.verify(t), 153, -1, "entry 153: its")
		}
	})
	t.Run("patient index rows removed or added", func(t *testing.T) {
		for _, c := range []struct {
			q    string
			seq  int64
			want string
		}{
			{`DELETE FROM audit_patient WHERE seq = 148 AND patient = 'p8'`, 148, `entry 148: patient "p8" is missing`},
			{`DELETE FROM audit_patient WHERE seq = 148`, 148, `entry 148: patient "p-other" is missing`},
			{`INSERT INTO audit_patient(patient, seq) VALUES ('p0', 148)`, 148, `audit_patient row ("p0", 148) is not in entry 148`},
			{`INSERT INTO audit_patient(patient, seq) VALUES ('p3', 153)`, 153, `audit_patient row ("p3", 153) is not in entry 153`},
			{`UPDATE audit_patient SET patient = 'p9' WHERE seq = 148 AND patient = 'p8'`, 148, `entry 148: patient "p8" is missing`},
		} {
			f := tamper(t)
			f.exec(t, c.q)
			expectBad(t, f.verify(t), c.seq, -1, c.want)
		}
	})
	t.Run("checkpoint signed by another key", func(t *testing.T) {
		f := tamper(t)
		skey, _, _ := GenerateKey("carex.example/log")
		other, _ := note.NewSigner(skey)
		var text []byte
		f.db.Writer().QueryRow(`SELECT note FROM audit_checkpoint WHERE size = 200`).Scan(&text)
		n, err := note.Open(text, f.vs)
		if err != nil {
			t.Fatal(err)
		}
		forged, _ := note.Sign(&note.Note{Text: n.Text}, other)
		f.exec(t, `UPDATE audit_checkpoint SET note = ? WHERE size = 200`, forged)
		expectBad(t, f.verify(t), -1, 200, "not signed by a trusted log key")
	})
	t.Run("checkpoint root edited", func(t *testing.T) {
		f := tamper(t)
		var text []byte
		f.db.Writer().QueryRow(`SELECT note FROM audit_checkpoint WHERE size = 200`).Scan(&text)
		lines := strings.SplitN(string(text), "\n", 4)
		lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		f.exec(t, `UPDATE audit_checkpoint SET note = ? WHERE size = 200`, []byte(strings.Join(lines, "\n")))
		expectBad(t, f.verify(t), -1, 200, "signature does not verify")
	})
	t.Run("checkpoint root column edited", func(t *testing.T) {
		f := tamper(t)
		f.exec(t, `UPDATE audit_checkpoint SET root = zeroblob(32) WHERE size = 100`)
		expectBad(t, f.verify(t), -1, 100, "stored root differs")
	})
	t.Run("everything rewritten and re-signed with another key", func(t *testing.T) {
		f := tamper(t)
		f.editRow(t, 10)
		f.rehash(t, 10, 299)
		f.rebuildTree(t)
		skey, _, _ := GenerateKey("carex.example/log")
		other, _ := note.NewSigner(skey)
		for _, size := range []int64{100, 200, 300} {
			root, _ := tlog.TreeHash(size, &sqlHashReader{ctx: context.Background(), db: f.db.Writer()})
			forged, _ := note.Sign(&note.Note{Text: checkpointText(DefaultOrigin, size, root)}, other)
			f.exec(t, `UPDATE audit_checkpoint SET note = ?, root = ? WHERE size = ?`, forged, root[:], size)
		}
		expectBad(t, f.verify(t), -1, 100, "not signed by a trusted log key")
	})
}

func TestConcurrentAppend(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 500})
	const G, N = 64, 50
	var wg sync.WaitGroup
	seqs := make(chan int64, G*N)
	errs := make(chan error, G*N)
	for g := range G {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range N {
				e := sample(g*N + i)
				if err := f.log.Append(context.Background(), e); err != nil {
					errs <- err
					return
				}
				seqs <- e.Seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := make([]bool, G*N)
	for s := range seqs {
		if s < 0 || s >= G*N || seen[s] {
			t.Fatalf("bad or duplicate seq %d", s)
		}
		seen[s] = true
	}
	// Durable: visible to a fresh reader before Close.
	if n, err := f.log.Size(context.Background()); err != nil || n != G*N {
		t.Fatalf("size %d %v", n, err)
	}
	f.close(t)
	r := f.verify(t)
	if !r.OK() || r.Entries != G*N || r.LatestCheckpoint != G*N {
		t.Fatalf("%+v", r)
	}
}

func TestReopenContinues(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 1000})
	f.fill(t, 37)
	f.close(t)
	if ck := f.latestRow(t); ck != 37 {
		t.Fatalf("Close wrote no final checkpoint: latest %d", ck)
	}
	f.reopen(t)
	if ck := f.log.Latest(); ck == nil || ck.Size != 37 {
		t.Fatalf("latest after reopen: %+v", ck)
	}
	for i := range 30 {
		e := sample(i)
		if err := f.log.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(37+i) {
			t.Fatalf("seq after reopen %d, want %d", e.Seq, 37+i)
		}
	}
	f.reopen(t) // without appends in between: no new checkpoint needed
	f.close(t)
	r := f.verify(t)
	if !r.OK() || r.Entries != 67 || r.Checkpoints != 2 || r.LatestCheckpoint != 67 {
		t.Fatalf("%+v", r)
	}
}

func (f *fixture) latestRow(t *testing.T) int64 {
	var n int64
	f.db.Reader().QueryRow(`SELECT COALESCE(MAX(size), 0) FROM audit_checkpoint`).Scan(&n)
	return n
}

func TestCheckpointInterval(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 1 << 20, CheckpointInterval: 50 * time.Millisecond})
	f.fill(t, 3)
	deadline := time.Now().Add(5 * time.Second)
	for f.latestRow(t) != 3 {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after the interval")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProve(t *testing.T) {
	f := newFixture(t, Options{CheckpointEvery: 64})
	f.fill(t, 200)
	ctx := context.Background()
	for _, seq := range []int64{0, rand.Int64N(200), 127, 199} {
		proof, ck, err := f.log.Prove(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Size <= seq {
			t.Fatalf("checkpoint %d does not cover %d", ck.Size, seq)
		}
		n, err := note.Open(ck.Note, f.vs)
		if err != nil {
			t.Fatal(err)
		}
		size, root, err := parseCheckpoint(n.Text)
		if err != nil || size != ck.Size || root != ck.Root {
			t.Fatalf("checkpoint note %q", n.Text)
		}
		_, b, err := f.log.Get(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, ck.Size, ck.Root, seq, tlog.RecordHash(b)); err != nil {
			t.Fatalf("proof of %d: %v", seq, err)
		}
		if err := tlog.CheckRecord(proof, ck.Size, ck.Root, seq, tlog.RecordHash(append([]byte{' '}, b...))); err == nil {
			t.Fatalf("proof of altered entry %d accepted", seq)
		}
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t, Options{})
	f.fill(t, 100)
	ctx := context.Background()
	got, total, err := f.log.Search(ctx, Query{Patient: "p3", Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	if total != 10 || len(got) != 4 || got[0].Seq != 93 || got[1].Seq != 83 {
		t.Fatalf("patient p3: total %d, %d entries, first %+v", total, len(got), got[0])
	}
	got, _, _ = f.log.Search(ctx, Query{Patient: "p3", Count: 4, Offset: 8})
	if len(got) != 2 || got[1].Seq != 3 {
		t.Fatalf("page 3: %d entries", len(got))
	}
	_, total, _ = f.log.Search(ctx, Query{BreakGlassOnly: true})
	if total != 6 { // 0,17,34,51,68,85
		t.Fatalf("break glass: %d", total)
	}
	got, total, _ = f.log.Search(ctx, Query{Sub: "user0", Decision: "deny"})
	if total != 1 || got[0].Seq != 0 && got[0].Seq%23 != 0 {
		t.Fatalf("user0 denied: %d", total)
	}
	_, total, _ = f.log.Search(ctx, Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Org: "ORG1"})
	if total != 32 { // 55 is in ORG\u2028
		t.Fatalf("org in range: %d", total)
	}
	_, total, _ = f.log.Search(ctx, Query{To: time.Now().Add(-time.Hour)})
	if total != 0 {
		t.Fatalf("before: %d", total)
	}
	if got[0].Path != "/fhir/Patient/p0" || strings.Contains(got[0].Path, "?") {
		t.Fatalf("query string kept: %q", got[0].Path)
	}
}

func TestKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	s1, v1, err := LoadOrCreateKey(path, "carex.example/log")
	if err != nil {
		t.Fatal(err)
	}
	s2, v2, err := LoadOrCreateKey(path, "carex.example/log")
	if err != nil {
		t.Fatal(err)
	}
	if s1.KeyHash() != s2.KeyHash() || v1.KeyHash() != v2.KeyHash() {
		t.Fatal("reload made a new key")
	}
	vs, err := LoadVerifiers(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := note.Sign(&note.Note{Text: "x\n"}, s2)
	if _, err := note.Open(msg, vs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(path, "other"); err == nil {
		t.Fatal("name mismatch accepted")
	}
}

func TestParseHead(t *testing.T) {
	for _, c := range []struct {
		in      string
		seq, ts int64
		ok      bool
	}{
		{`{"seq":0,"ts":1,"decision":""}`, 0, 1, true},
		{`{"seq":12,"ts":1700000000000}`, 12, 1700000000000, true},
		{`{"ts":1,"seq":0}`, 0, 0, false},
		{`{"seq":1x,"ts":1}`, 0, 0, false},
		{`{"seq":1,"ts":}`, 0, 0, false},
		{`{"seq":1,"ts":2`, 0, 0, false},
	} {
		seq, ts, err := parseHead([]byte(c.in))
		if (err == nil) != c.ok || seq != c.seq || ts != c.ts {
			t.Errorf("%s: %d %d %v", c.in, seq, ts, err)
		}
	}
}

var _ = sql.ErrNoRows

// snapshot copies the database, its WAL and the journal as a crash would
// leave them (the log is idle: nothing is half-written).
func (f *fixture) snapshot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, suf := range []string{"", "-wal", "-shm", JournalSuffix} {
		b, err := os.ReadFile(f.path + suf)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "carex.db"+suf), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "carex.db")
}

// TestJournalRecovery: acknowledged entries that were only in the journal
// when the process died are in the log after the restart, and verify says
// where they are before it.
func TestJournalRecovery(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 50, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 120) // Sync: 0..119 in the tables
	for i := 120; i < 200; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	crashed := f.snapshot(t) // 120..199 only in the journal

	torn := f.snapshot(t) // …with half a frame after them, as a crash mid-write leaves
	jf, err := os.OpenFile(torn+JournalSuffix, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	jf.Write(appendFrame(nil, []byte(`{"seq":200,"ts":1,"decision":"permit","status":200}`))[:20])
	jf.Close()

	for _, path := range []string{crashed, torn} {
		c := &fixture{path: path, signer: f.signer, vs: f.vs, opt: f.opt}
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Verify(ctx, db.Reader(), f.vs)
		if err != nil || r.Entries != 120 || r.Journal != 80 || !strings.Contains(r.Warning, "120..199 are in the journal") {
			t.Fatalf("verify before restart: %v %+v", err, r)
		}
		db.Close()
		c.open(t)
		if n, _ := c.log.Size(ctx); n != 200 {
			t.Fatalf("after restart the log has %d entries, want 200", n)
		}
		e := sample(200)
		if err := c.log.Append(ctx, e); err != nil || e.Seq != 200 {
			t.Fatalf("append after restart: seq %d, %v", e.Seq, err)
		}
		c.close(t)
		r = c.verify(t)
		if !r.OK() || r.Entries != 201 || r.Journal != 0 {
			t.Fatalf("verify after restart: %+v", r)
		}
		c.db.Close()
	}
}

// TestJournalDamage: a journal damaged before its end, or one that skips
// entries the tables lack, stops Open rather than losing entries quietly.
func TestJournalDamage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 10)
	for i := 10; i < 30; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]struct {
		edit func([]byte) []byte
		want string
	}{
		"flipped byte": {func(b []byte) []byte { b[journalBlock+40] ^= 1; return b }, "damaged at byte"},
		"entry 10 dropped": {func(b []byte) []byte {
			frames, _, _ := parseJournal(b)
			out := []byte(journalMagic)
			for _, fr := range frames {
				if seq, _, _ := parseHead(fr); seq != 10 {
					out = appendFrame(out, fr)
				}
			}
			return out
		}, "continues at entry 11"},
	} {
		t.Run(name, func(t *testing.T) {
			path := f.snapshot(t)
			b, err := os.ReadFile(path + JournalSuffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+JournalSuffix, c.edit(b), 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if r, err := Verify(ctx, db.Reader(), f.vs); !errors.Is(err, ErrTampered) || r.FirstBad != 10 {
				t.Errorf("verify: %v %+v, want entry 10 named", err, r)
			}
			l, err := Open(ctx, db.Writer(), db.Reader(), Options{Signer: f.signer})
			if err == nil {
				l.Close()
				t.Fatal("Open accepted a damaged journal")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open: %v, want %q", err, c.want)
			}
		})
	}
}

// TestMigrateTreeRows: a log written with one audit_tree row per stored
// hash (schema 1) is moved into chunks on open, verifies, and goes on.
func TestMigrateTreeRows(t *testing.T) {
	ctx := context.Background()
	src := newFixture(t, Options{CheckpointEvery: 40})
	src.fill(t, 100)
	src.close(t)

	// The same log as schema 1 wrote it.
	dir := t.TempDir()
	old, err := sqlite.Open(ctx, filepath.Join(dir, "carex.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := old.Writer()
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE auditlog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
	mustExec(migration1)
	mustExec(`INSERT INTO auditlog_meta(key, value) VALUES ('schema_version', '1'), ('entry_format', ?)`, EntryFormat)
	rows, err := src.db.Reader().Query(`SELECT seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		v := make([]any, 10)
		p := make([]any, 10)
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			t.Fatal(err)
		}
		mustExec(`INSERT INTO audit_log(seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass) VALUES (?,?,?,?,?,?,?,?,?,?)`, v...)
	}
	rows.Close()
	hs, have, err := readStoredHashes(ctx, src.db.Reader(), 0, tlog.StoredHashCount(100))
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		if !have[i] {
			t.Fatalf("source tree misses hash %d", i)
		}
		mustExec(`INSERT INTO audit_tree(idx, hash) VALUES (?, ?)`, i, h[:])
	}
	ck, err := src.db.Reader().Query(`SELECT size, root, note, ts FROM audit_checkpoint ORDER BY size`)
	if err != nil {
		t.Fatal(err)
	}
	for ck.Next() {
		var size, ts int64
		var root, note []byte
		ck.Scan(&size, &root, &note, &ts)
		mustExec(`INSERT INTO audit_checkpoint(size, root, note, ts) VALUES (?,?,?,?)`, size, root, note, ts)
	}
	ck.Close()
	old.Close()

	f := &fixture{path: filepath.Join(dir, "carex.db"), signer: src.signer, vs: src.vs, opt: src.opt}
	f.open(t)
	defer f.db.Close()
	if r := f.verify(t); !r.OK() || r.Entries != 100 || r.Checkpoints != 3 {
		t.Fatalf("after migration: %+v", r)
	}
	for i := 100; i < 130; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	f.close(t)
	if r := f.verify(t); !r.OK() || r.Entries != 130 {
		t.Fatalf("after appending to the migrated log: %+v", r)
	}
	var tables int
	f.db.Reader().QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_tree'`).Scan(&tables)
	if tables != 0 {
		t.Fatal("audit_tree still exists after the migration")
	}
}

// TestRelocate: a log kept in the record database, some of it only in the
// journal at a crash, moves into a database of its own entry for entry;
// moving it again (a crash between copy and drop) drops the old copy, and a
// different log in the destination stops the move without changing either.
func TestRelocate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{CheckpointEvery: 50, IndexDelay: time.Hour, IndexBatch: 1 << 20})
	f.fill(t, 120)
	for i := 120; i < 200; i++ {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	crashed, again := f.snapshot(t), f.snapshot(t)
	toPath := filepath.Join(t.TempDir(), "carex-access.db")
	w, r, err := sqlite.OpenConns(toPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	drain := func(path string) *sqlite.DB {
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		l, err := Open(ctx, db.Writer(), db.Reader(), f.opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		return db
	}
	for _, path := range []string{crashed, again} {
		rec := drain(path)
		if err := Relocate(ctx, rec.Writer(), w); err != nil {
			t.Fatalf("relocate %s: %v", path, err)
		}
		if has, err := HasLog(ctx, rec.Writer()); has || err != nil {
			t.Fatalf("the record database still holds the log (%v, %v)", has, err)
		}
		rec.Close()
		rep, err := Verify(ctx, r, f.vs)
		if err != nil || rep.Entries != 200 {
			t.Fatalf("verify the moved log: %v %+v", err, rep)
		}
	}
	l, err := Open(ctx, w, r, f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, sample(200)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if rep, err := Verify(ctx, r, f.vs); err != nil || rep.Entries != 201 {
		t.Fatalf("verify after appending to the moved log: %v %+v", err, rep)
	}

	other := newFixture(t, Options{})
	other.fill(t, 10)
	other.close(t)
	if err := Relocate(ctx, other.db.Writer(), w); err == nil || !strings.Contains(err.Error(), "different access logs") {
		t.Fatalf("relocating a different log: %v", err)
	}
	if has, _ := HasLog(ctx, other.db.Writer()); !has {
		t.Fatal("a refused move dropped the source log")
	}
	if rep, err := Verify(ctx, r, f.vs); err != nil || rep.Entries != 201 {
		t.Fatalf("a refused move changed the destination: %v %+v", err, rep)
	}
}

// TestBackPressureKicksTheIndexer: when more entries wait than maxQueue, the
// writer waits for the indexer, so it must also wake it, even when neither
// IndexDelay nor IndexBatch would (before the fix this deadlocked).
func TestBackPressureKicksTheIndexer(t *testing.T) {
	// Restored after the log is closed (cleanups run last first): the
	// writer reads these.
	q := maxQueue
	t.Cleanup(func() { maxQueue = q })
	maxQueue = 50
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 30})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 * maxQueue {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatalf("append %d: %v (the writer waited for an indexer nobody woke)", i, err)
		}
	}
	if err := f.log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSearchByDate: date bounds are found by binary search over seq (there
// is no index on ts), so every bound, on an entry's millisecond, between
// two, before the first and after the last, must select exactly the
// entries a plain filter over all of them selects, with and without a
// patient.
func TestSearchByDate(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	for i := range 60 {
		if err := f.log.Append(ctx, sample(i)); err != nil {
			t.Fatal(err)
		}
		if i%4 == 3 {
			time.Sleep(2 * time.Millisecond) // several entries per millisecond, and gaps
		}
	}
	var all []*Entry
	if err := f.log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Scan(ctx, f.log.r, Query{}, func(e *Entry) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	ms := func(e *Entry) int64 { return e.Time.UnixMilli() }
	var bounds []time.Time
	for _, e := range all {
		for _, d := range []int64{-1, 0, 1} {
			bounds = append(bounds, time.UnixMilli(ms(e)+d))
		}
	}
	bounds = append(bounds, time.Time{}, all[0].Time.Add(-time.Hour), all[len(all)-1].Time.Add(time.Hour))
	for i, from := range bounds {
		to := bounds[(i*7+5)%len(bounds)]
		for _, patient := range []string{"", "p3"} {
			q := Query{From: from, To: to, Patient: patient, Count: 1000}
			var want []int64
			for _, e := range all {
				if (from.IsZero() || ms(e) >= from.UnixMilli()) && (to.IsZero() || ms(e) < to.UnixMilli()) && (patient == "" || e.Patient == patient || slices.Contains(e.Patients, patient)) {
					want = append([]int64{e.Seq}, want...) // Search is newest first
				}
			}
			got, total, err := f.log.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if total != len(want) || fmt.Sprint(seqs) != fmt.Sprint(want) {
				t.Fatalf("from %d to %d patient %q: got %v (total %d), want %v", from.UnixMilli(), to.UnixMilli(), patient, seqs, total, want)
			}
			n := 0
			Scan(ctx, f.log.r, q, func(*Entry) error { n++; return nil })
			if n != len(want) {
				t.Fatalf("Scan from %d to %d patient %q: %d entries, want %d", from.UnixMilli(), to.UnixMilli(), patient, n, len(want))
			}
		}
	}
}

// TestIndexInChunks: the indexer copies at most indexChunk entries per
// transaction and goes on until the queue is empty, also when appends are
// held back by maxQueue meanwhile. Every entry must arrive, in order, the
// shutdown checkpoint must cover all of them, and the log must verify.
func TestIndexInChunks(t *testing.T) {
	c, q := indexChunk, maxQueue
	t.Cleanup(func() { indexChunk, maxQueue = c, q }) // after the log's close
	indexChunk, maxQueue = 7, 20
	f := newFixture(t, Options{IndexDelay: time.Hour, IndexBatch: 1 << 30, CheckpointEvery: 50})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 300
	appendAll(t, ctx, f.log, n, 16)
	f.close(t) // with entries still queued: Close must copy them all
	r := f.verify(t)
	if !r.OK() || r.Entries != n || r.LatestCheckpoint != n || r.Journal != 0 {
		t.Fatalf("after a chunked indexing: %+v", r)
	}
}

// appendAll appends sample(0) to sample(n-1) from workers goroutines at
// once (so that they share journal writes) and returns when all are done.
func appendAll(t testing.TB, ctx context.Context, l *Log, n, workers int) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := l.Append(ctx, sample(int(i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestGroupCommitOutOfStep: two clients, the second starting while the
// first one's entry is being written, share the disk's writes (about one
// per round of both) instead of taking turns with one entry per write,
// where each request waits for the other's write and then its own. The
// 200 µs between requests is within CommitDelay (500 µs).
func TestGroupCommitOutOfStep(t *testing.T) {
	slowWrites = 3 * time.Millisecond // a disk slower than the clients
	defer func() { slowWrites = 0 }()
	f := newFixture(t, Options{})
	const N = 30
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	client := func(base int) {
		defer wg.Done()
		for i := range N {
			if err := f.log.Append(context.Background(), sample(base+i)); err != nil {
				errs <- err
				return
			}
			// The next request's work (a spin: a 200 µs sleep can take a
			// millisecond on an idle machine).
			for t0 := time.Now(); time.Since(t0) < 200*time.Microsecond; {
			}
		}
	}
	wg.Add(2)
	go client(0)
	time.Sleep(slowWrites / 2)
	go client(N)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.log.jmu.Lock()
	writes := f.log.j.writes
	f.log.jmu.Unlock()
	// In step: about N writes; taking turns: about 2N.
	if writes > N*3/2 {
		t.Errorf("%d journal writes for %d entries from two clients: they took turns instead of sharing writes", writes, 2*N)
	}
	t.Logf("%d journal writes for %d entries", writes, 2*N)

	// The same run, as /metrics reports it.
	st := f.log.Stats()
	if st.Writes != writes || st.Entries != 2*N || st.Appends != 2*N {
		t.Errorf("stats: %d writes, %d entries, %d appends; want %d, %d, %d", st.Writes, st.Entries, st.Appends, writes, 2*N, 2*N)
	}
	// Every write took at least the 3 ms, and every entry waited for one.
	if st.WriteTime < time.Duration(writes)*slowWrites || st.AppendWait < 2*N*slowWrites {
		t.Errorf("stats: write time %v for %d writes, append wait %v for %d entries: less than %v each", st.WriteTime, writes, st.AppendWait, 2*N, slowWrites)
	}
	if st.Lingers == 0 || st.LingerTime <= 0 {
		t.Errorf("stats: %d group-commit waits (%v) while two clients shared writes", st.Lingers, st.LingerTime)
	}
	if err := f.log.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st = f.log.Stats(); st.Indexed != 2*N || st.Queued != 0 || st.IndexTxns == 0 || st.IndexTime <= 0 {
		t.Errorf("stats after Sync: %d indexed in %d transactions (%v), %d queued; want %d indexed, none queued", st.Indexed, st.IndexTxns, st.IndexTime, st.Queued, 2*N)
	}
}
