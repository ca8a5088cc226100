package main

// Review 52b: access-log verification and tamper evidence (SPEC §6, §7),
// probed end to end: a real server writes the log, an insider with file
// access edits the access database with SQL, and `carex audit verify`
// (with the IG officer's saved checkpoint and public key) must fail.

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/carex-project/carex/store/auditlog"
)

// review52bLog serves twice (3 + 3 requests, stopped cleanly each time),
// keeping the --checkpoint-copy of each run: saved1 (size 3) and saved2
// (size 6). It returns the directory holding the pristine files.
func review52bLog(t *testing.T) (dir, db, logKey, saved1, saved2 string) {
	t.Helper()
	dir = t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	share := filepath.Join(dir, "share")
	os.Mkdir(share, 0o700)
	copyPath := filepath.Join(share, "cp")
	args := []string{"--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", devKey, "--log-key", logKey, "--checkpoint-copy", copyPath}
	for run := 1; run <= 2; run++ {
		s := e2eServe(t, "127.0.0.1:0", args...)
		tok := e2eToken(t, devKey)
		for i := range 3 {
			path := "/fhir/Patient?_count=1"
			if i == 1 {
				path = "/fhir/Patient/nobody"
			}
			s.get(t, path, tok)
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("serve exit %d", code)
		}
		b, err := os.ReadFile(copyPath)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("saved%d", run))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if run == 1 {
			saved1 = p
		} else {
			saved2 = p
		}
	}
	return dir, db, logKey, saved1, saved2
}

// review52bCopy copies the records and access-log files into a new dir.
func review52bCopy(t *testing.T, from string) (db string) {
	t.Helper()
	to := t.TempDir()
	ents, _ := os.ReadDir(from)
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "c.db") && !strings.HasPrefix(n, "c-access.db") {
			continue
		}
		src, err := os.Open(filepath.Join(from, n))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, n))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(dst, src)
		src.Close()
		dst.Close()
	}
	return filepath.Join(to, "c.db")
}

// review52bTamper runs stmts on the access database with the triggers
// dropped, then puts the triggers back (verify checks the schema).
func review52bTamper(t *testing.T, db string, stmts ...string) {
	t.Helper()
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var drops, creates string
	if err := conn.QueryRow(`SELECT group_concat('DROP TRIGGER "' || name || '"', ';'), group_concat(sql, ';') FROM sqlite_master WHERE type = 'trigger'`).Scan(&drops, &creates); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(drops); err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := conn.Exec(creates); err != nil {
		t.Fatal(err)
	}
}

func review52bQuery(t *testing.T, db, q string, args ...any) []byte {
	t.Helper()
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b []byte
	if err := conn.QueryRow(q, args...).Scan(&b); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return b
}

// TestReview52bSoundTamperEveryWay: each way an insider with the files can
// change the stored log fails `carex audit verify` (exit 1, FAILED with a
// message), given the IG officer's public key and newest saved checkpoint.
func TestReview52bSoundTamperEveryWay(t *testing.T) {
	dir, db0, logKey, saved1, saved2 := review52bLog(t)
	pub := logKey + ".pub"
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db0, "--pubkey", pub, "--checkpoint", saved1, "--checkpoint", saved2); code != 0 || !strings.Contains(out, "entries: 6") {
		t.Fatalf("untouched log: exit %d\n%s%s", code, out, errOut)
	}
	otherSkey, otherVkey, err := auditlog.GenerateKey(logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	otherPub := filepath.Join(dir, "other.pub")
	os.WriteFile(otherPub, []byte(otherVkey+"\n"), 0o600)

	cases := []struct {
		name  string
		apply func(t *testing.T, db string)
		args  []string // extra verify args
		want  string
	}{
		{"edit one field of one entry", func(t *testing.T, db string) {
			review52bTamper(t, db, `UPDATE audit_log SET entry = replace(entry, '"status":404', '"status":200') WHERE seq = 1`)
		}, nil, "entry 1"},
		{"edit one field, leaf and chain hashes recomputed for the rest", func(t *testing.T, db string) {
			// no Merkle rebuild: the checkpoint or stored tree must tell
			e := review52bQuery(t, db, `SELECT entry FROM audit_log WHERE seq = 4`)
			e2 := []byte(strings.Replace(string(e), `"status":404`, `"status":200`, 1))
			leaf := review52bLeaf(e2)
			review52bTamper(t, db, fmt.Sprintf(`UPDATE audit_log SET entry = x'%x', leaf_hash = x'%x' WHERE seq = 4`, e2, leaf))
		}, nil, "entry 4"},
		{"swap two entries (rows renumbered)", func(t *testing.T, db string) {
			review52bTamper(t, db, `UPDATE audit_log SET seq = -1 WHERE seq = 1`, `UPDATE audit_log SET seq = 1 WHERE seq = 2`, `UPDATE audit_log SET seq = 2 WHERE seq = -1`)
		}, nil, "entry 1"},
		{"delete a middle entry", func(t *testing.T, db string) {
			review52bTamper(t, db, `DELETE FROM audit_log WHERE seq = 2`)
		}, nil, "entry 2 is missing"},
		{"delete the last entry and the checkpoints covering it", func(t *testing.T, db string) {
			review52bTamper(t, db, `DELETE FROM audit_log WHERE seq = 5`, `DELETE FROM audit_checkpoint WHERE size > 5`)
		}, []string{"--checkpoint", saved2}, "truncated"},
		{"truncate back to the first run's checkpoint, later checkpoints removed", func(t *testing.T, db string) {
			review52bTamper(t, db, `DELETE FROM audit_log WHERE seq >= 3`, `DELETE FROM audit_checkpoint WHERE size > 3`)
		}, []string{"--checkpoint", saved1, "--checkpoint", saved2}, "truncated"},
		{"append a forged entry (copy of the last, renumbered, no hashes)", func(t *testing.T, db string) {
			review52bTamper(t, db, `INSERT INTO audit_log(seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass)
				SELECT 6, ts, replace(entry, '"seq":5', '"seq":6'), leaf_hash, chain_hash, patient, sub, org, decision, break_glass FROM audit_log WHERE seq = 5`)
		}, nil, "entry 6"},
		{"newest checkpoint row replaced by the older one's note", func(t *testing.T, db string) {
			review52bTamper(t, db, `UPDATE audit_checkpoint SET note = (SELECT note FROM audit_checkpoint WHERE size = 3), root = (SELECT root FROM audit_checkpoint WHERE size = 3) WHERE size = 6`)
		}, nil, "checkpoint"},
		{"newest checkpoint re-signed with another key", func(t *testing.T, db string) {
			signer, err := note.NewSigner(otherSkey)
			if err != nil {
				t.Fatal(err)
			}
			n, err := note.Open(review52bQuery(t, db, `SELECT note FROM audit_checkpoint WHERE size = 6`), review52bVerifiers(t, pub))
			if err != nil {
				t.Fatal(err)
			}
			signed, err := note.Sign(&note.Note{Text: n.Text}, signer)
			if err != nil {
				t.Fatal(err)
			}
			review52bTamper(t, db, fmt.Sprintf(`UPDATE audit_checkpoint SET note = x'%x' WHERE size = 6`, signed))
		}, nil, "not signed by a trusted log key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := review52bCopy(t, dir)
			c.apply(t, db)
			args := append([]string{"audit", "verify", "--db", db, "--pubkey", pub}, c.args...)
			code, out, errOut := e2eRun(t, args...)
			t.Logf("verify: exit %d\n%s%s", code, out, errOut)
			if code == 0 || !strings.Contains(out, "FAILED") || !strings.Contains(out, c.want) {
				t.Errorf("%s: verify exit %d, want non-zero with FAILED …%s…\n%s%s", c.name, code, c.want, out, errOut)
			}
		})
	}
	t.Run("verifier with the wrong public key", func(t *testing.T) {
		code, out, errOut := e2eRun(t, "audit", "verify", "--db", db0, "--pubkey", otherPub)
		t.Logf("exit %d\n%s%s", code, out, errOut)
		if code == 0 || !strings.Contains(out, "FAILED") {
			t.Errorf("verify with another log's key: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = e2eRun(t, "audit", "verify", "--db", db0, "--pubkey", otherPub, "--checkpoint", saved2)
		if code == 0 {
			t.Errorf("verify with another key against a saved copy: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = e2eRun(t, "audit", "verify", "--db", db0, "--pubkey", filepath.Join(dir, "missing.pub"))
		if code == 0 {
			t.Errorf("verify with a missing public key: exit %d\n%s%s", code, out, errOut)
		}
		t.Logf("missing pubkey: exit %d %s%s", code, out, errOut)
	})
	t.Run("saved checkpoint edited or from another key", func(t *testing.T) {
		b, _ := os.ReadFile(saved2)
		edited := filepath.Join(t.TempDir(), "edited")
		os.WriteFile(edited, []byte(strings.Replace(string(b), "\n6\n", "\n5\n", 1)), 0o600)
		code, out, errOut := e2eRun(t, "audit", "verify", "--db", db0, "--pubkey", pub, "--checkpoint", edited)
		t.Logf("edited saved copy: exit %d\n%s%s", code, out, errOut)
		if code == 0 {
			t.Errorf("verify against an edited saved checkpoint: exit 0\n%s", out)
		}
		signer, _ := note.NewSigner(otherSkey)
		n, err := note.Open(b, review52bVerifiers(t, pub))
		if err != nil {
			t.Fatal(err)
		}
		forged, _ := note.Sign(&note.Note{Text: strings.Replace(n.Text, "\n6\n", "\n9\n", 1)}, signer)
		other := filepath.Join(t.TempDir(), "other")
		os.WriteFile(other, forged, 0o600)
		code, out, errOut = e2eRun(t, "audit", "verify", "--db", db0, "--pubkey", pub, "--checkpoint", other)
		t.Logf("saved copy signed by another key: exit %d\n%s%s", code, out, errOut)
		if code == 0 {
			t.Errorf("verify against a saved checkpoint signed by another key: exit 0\n%s", out)
		}
	})
	t.Run("log key file modes", func(t *testing.T) {
		fi, err := os.Stat(logKey)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("log key %s mode %v: readable by others", logKey, fi.Mode().Perm())
		}
		for _, f := range []string{db0, accessLogPath(db0)} {
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s mode %v", f, fi.Mode().Perm())
			}
		}
	})
	t.Run("prove of an edited entry fails", func(t *testing.T) {
		db := review52bCopy(t, dir)
		review52bTamper(t, db, `UPDATE audit_log SET entry = replace(entry, '"status":404', '"status":200') WHERE seq = 4`)
		code, out, errOut := e2eRun(t, "audit", "prove", "--db", db, "--pubkey", pub, "--seq", "4")
		if code == 0 {
			t.Errorf("prove of edited entry 4: exit 0\n%s%s", out, errOut)
		}
	})
}

// TestReview52bSoundSQLRefusesEveryEdit: with its triggers in place, the
// access database refuses UPDATE, DELETE, and the INSERT forms that
// replace a row (OR REPLACE, a stale seq, an older checkpoint), on every
// table of the log.
func TestReview52bSoundSQLRefusesEveryEdit(t *testing.T) {
	dir, _, _, _, _ := review52bLog(t)
	db := review52bCopy(t, dir)
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`UPDATE audit_log SET entry = entry WHERE seq = 1`,
		`UPDATE audit_log SET patient = 'x'`,
		`DELETE FROM audit_log WHERE seq = 5`,
		`DELETE FROM audit_log`,
		`INSERT OR REPLACE INTO audit_log(seq, ts, entry, leaf_hash, chain_hash) SELECT seq, ts, entry, leaf_hash, chain_hash FROM audit_log WHERE seq = 1`,
		`REPLACE INTO audit_log(seq, ts, entry, leaf_hash, chain_hash) SELECT seq, ts, entry, leaf_hash, chain_hash FROM audit_log WHERE seq = 5`,
		`INSERT INTO audit_log(seq, ts, entry, leaf_hash, chain_hash) VALUES (100, 0, x'00', x'00', x'00')`,
		`UPDATE audit_checkpoint SET note = note`,
		`DELETE FROM audit_checkpoint`,
		`INSERT OR REPLACE INTO audit_checkpoint(size, root, note, ts) SELECT size, root, note, ts FROM audit_checkpoint WHERE size = 3`,
		`INSERT INTO audit_checkpoint(size, root, note, ts) VALUES (1, x'00', x'00', 0)`,
		`UPDATE audit_tree_chunk SET hashes = hashes`,
		`DELETE FROM audit_tree_chunk`,
		`INSERT OR REPLACE INTO audit_tree_chunk(start, hashes) SELECT start, hashes FROM audit_tree_chunk WHERE start = 0`,
		`INSERT OR REPLACE INTO audit_patient(patient, seq) VALUES ('nobody', 1)`,
		`DELETE FROM audit_patient`,
	} {
		res, err := conn.Exec(q)
		if err == nil {
			if n, _ := res.RowsAffected(); n > 0 || strings.HasPrefix(q, "INSERT") || strings.HasPrefix(q, "REPLACE") {
				t.Errorf("accepted (%d rows): %s", n, q)
			}
		}
	}
}

// TestReview52bSoundVerifyAfterKillUnderWriteLoad: carex serve killed
// (SIGKILL) under concurrent writes leaves a log that `audit verify`
// passes before the restart (entries still in the journal) and after it.
func TestReview52bSoundVerifyAfterKillUnderWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real carex process")
	}
	r := newCrashRig(t)
	var stop atomic.Bool
	var acked atomic.Int64
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				body := fmt.Sprintf(`{"resourceType":"Observation","id":"o%d-%d","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/crash"}}`, w, i)
				code, _, err := r.p.do(r.client, "PUT", fmt.Sprintf("/fhir/Observation/o%d-%d", w, i), r.tok, fmt.Sprintf("w%d-%d", w, i), body)
				if err == nil && code < 300 {
					acked.Add(1)
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := r.p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r.p.cmd.Wait()
	stop.Store(true)
	wg.Wait()
	if acked.Load() < 10 {
		t.Fatalf("only %d writes acknowledged", acked.Load())
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	t.Logf("before restart (%d writes acked): exit %d\n%s%s", acked.Load(), code, out, errOut)
	if code != 0 {
		t.Errorf("verify after kill -9, before restart: exit %d\n%s%s", code, out, errOut)
	}
	p := startCarex(t, r.bin, r.args...)
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	code, out, errOut = e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	t.Logf("after restart: exit %d\n%s%s", code, out, errOut)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("verify after restart: exit %d\n%s%s", code, out, errOut)
	}
}

func review52bLeaf(entry []byte) []byte {
	h := tlog.RecordHash(entry)
	return h[:]
}

func review52bVerifiers(t *testing.T, pub string) note.Verifiers {
	t.Helper()
	v, err := auditlog.LoadVerifiers(pub)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// review52bFlatTree reads audit_tree_chunk into one slice of stored hashes.
type review52bFlatTree []tlog.Hash

func (f review52bFlatTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(f)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = f[x]
	}
	return out, nil
}

// review52bAppendForged appends, with plain SQL INSERTs the triggers allow
// (none dropped), a forged entry: a copy of entry `from` as entry n, one
// minute after the last, with its leaf, chain and Merkle hashes computed
// as carex computes them (no key needed).
func review52bAppendForged(t *testing.T, db string, from int64) int64 {
	return review52bAppendForgedAt(t, db, from, 0)
}

// review52bAppendForgedAt is review52bAppendForged with the forged entry's
// time given (unix ms; 0: a minute after the last entry).
func review52bAppendForgedAt(t *testing.T, db string, from, at int64) int64 {
	t.Helper()
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n, lastTS int64
	var lastChain []byte
	if err := conn.QueryRow(`SELECT seq + 1, ts, chain_hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&n, &lastTS, &lastChain); err != nil {
		t.Fatal(err)
	}
	var entry []byte
	var fromTS int64
	var patient, sub, org, decision string
	var bg int64
	if err := conn.QueryRow(`SELECT entry, ts, patient, sub, org, decision, break_glass FROM audit_log WHERE seq = ?`, from).Scan(&entry, &fromTS, &patient, &sub, &org, &decision, &bg); err != nil {
		t.Fatal(err)
	}
	ts := lastTS + 60_000
	if at != 0 {
		ts = at
	}
	oldHead := fmt.Sprintf(`{"seq":%d,"ts":%d`, from, fromTS)
	if !strings.HasPrefix(string(entry), oldHead) {
		t.Fatalf("entry %d does not start %s: %.80s", from, oldHead, entry)
	}
	forged := []byte(fmt.Sprintf(`{"seq":%d,"ts":%d`, n, ts) + string(entry[len(oldHead):]))
	leaf := tlog.RecordHash(forged)
	var prev tlog.Hash
	copy(prev[:], lastChain)
	chain := sha256Sum(append(prev[:], leaf[:]...))
	var flat review52bFlatTree
	rows, err := conn.Query(`SELECT start, hashes FROM audit_tree_chunk ORDER BY start`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var start int64
		var hs []byte
		rows.Scan(&start, &hs)
		if start != int64(len(flat)) {
			t.Fatalf("chunk at %d, have %d", start, len(flat))
		}
		for i := 0; i+32 <= len(hs); i += 32 {
			var h tlog.Hash
			copy(h[:], hs[i:i+32])
			flat = append(flat, h)
		}
	}
	rows.Close()
	if want := tlog.StoredHashIndex(0, n); want != int64(len(flat)) {
		t.Fatalf("stored tree holds %d hashes, record %d starts at %d", len(flat), n, want)
	}
	add, err := tlog.StoredHashes(n, forged, flat)
	if err != nil {
		t.Fatal(err)
	}
	var chunk []byte
	for _, h := range add {
		chunk = append(chunk, h[:]...)
	}
	if _, err := conn.Exec(`INSERT INTO audit_log(seq, ts, entry, leaf_hash, chain_hash, patient, sub, org, decision, break_glass) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		n, ts, forged, leaf[:], chain[:], patient, sub, org, decision, bg); err != nil {
		t.Fatalf("forged entry refused: %v", err)
	}
	if _, err := conn.Exec(`INSERT INTO audit_tree_chunk(start, hashes) VALUES (?,?)`, len(flat), chunk); err != nil {
		t.Fatalf("forged tree chunk refused: %v", err)
	}
	return n
}

// TestReview52bSoundExtraPatientRowForLastEntry: audit_patient's trigger
// lets rows for the newest entry in (the indexer adds them after it); an
// insider adding one to attribute that entry to another person is named
// by verify.
func TestReview52bSoundExtraPatientRowForLastEntry(t *testing.T) {
	dir, _, logKey, _, _ := review52bLog(t)
	db := review52bCopy(t, dir)
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO audit_patient(patient, seq) VALUES ('someone-else', 5)`); err != nil {
		t.Fatalf("refused (sound at the SQL level): %v", err)
	}
	conn.Close()
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	t.Logf("exit %d\n%s%s", code, out, errOut)
	if code == 0 || !strings.Contains(out, "someone-else") {
		t.Errorf("an audit_patient row added for the newest entry verifies: exit %d\n%s", code, out)
	}
}

// TestReview52bSoundLogKeyMissing: a log with entries whose signing key
// and public key are both gone is refused by serve (a new key would leave
// the log unverifiable), and so is one whose public key alone is left.
func TestReview52bSoundLogKeyMissing(t *testing.T) {
	dir, _, logKey, _, _ := review52bLog(t)
	for _, rm := range [][]string{{logKey}, {logKey, logKey + ".pub"}} {
		d := t.TempDir()
		db := review52bCopy(t, dir)
		key := filepath.Join(d, "log-key")
		if len(rm) == 1 { // only the .pub is left
			b, _ := os.ReadFile(logKey + ".pub")
			os.WriteFile(key+".pub", b, 0o644)
		}
		code, errOut := serveRefuses(t, "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", filepath.Join(dir, "dev.pem"), "--log-key", key)
		t.Logf("removed %v: exit %d\n%s", rm, code, errOut)
		if code == 0 {
			t.Errorf("serve with the log key removed (%v) started", rm)
		}
		if _, err := os.Stat(key); err == nil {
			t.Errorf("serve created a new log key at %s for a log with entries", key)
		}
	}
}

func sha256Sum(b []byte) tlog.Hash { return tlog.Hash(sha256.Sum256(b)) }

// TestReview52bMetaTableIsNotGuarded: auditlog_meta (the log's schema
// version and entry format) has no triggers: plain SQL removes it. What
// verify and serve then say is logged; verify must not pass a log whose
// own record of its format is gone.
func TestReview52bMetaTableIsNotGuarded(t *testing.T) {
	dir, _, logKey, _, _ := review52bLog(t)
	db := review52bCopy(t, dir)
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`DELETE FROM auditlog_meta`); err != nil {
		t.Fatalf("refused: %v", err)
	}
	conn.Close()
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	t.Logf("verify: exit %d\n%s%s", code, out, errOut)
	scode, serr := serveRefuses(t, "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", filepath.Join(dir, "dev.pem"), "--log-key", logKey)
	t.Logf("serve: exit %d\n%s", scode, serr)
	if code == 0 {
		t.Errorf("verify passes a log whose auditlog_meta was emptied by plain SQL (serve then refuses it: exit %d)", scode)
	}
}

// TestReview52bSoundForgedRowWhileServing: an entry inserted with plain SQL
// while the server runs takes the seq the server's next entry needs. The
// forged row must not end up in a log that verifies.
func TestReview52bSoundForgedRowWhileServing(t *testing.T) {
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	tok := e2eToken(t, devKey)
	for range 3 {
		s.get(t, "/fhir/Patient/nobody", tok)
	}
	time.Sleep(300 * time.Millisecond) // the indexer copies within 100 ms
	n := review52bAppendForged(t, db, 1)
	var codes []int
	for range 3 {
		c, _ := s.get(t, "/fhir/Patient?_count=1", tok)
		codes = append(codes, c)
	}
	time.Sleep(300 * time.Millisecond)
	stop := s.stop(t)
	t.Logf("forged entry %d; later requests answered %v; serve exit %d\n%s", n, codes, stop, s.stderr.String())
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	t.Logf("verify: exit %d\n%s%s", code, out, errOut)
	if code == 0 {
		e, _ := review52bEntry(t, db, n)
		if strings.Contains(e, `"path":"/fhir/Patient/nobody"`) {
			t.Errorf("the forged entry %d stands in a log that verifies: %s", n, e)
		}
	}
}

func review52bEntry(t *testing.T, db string, seq int64) (string, error) {
	conn, err := sql.Open("sqlite", accessLogPath(db))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var e string
	err = conn.QueryRow(`SELECT entry FROM audit_log WHERE seq = ?`, seq).Scan(&e)
	return e, err
}
