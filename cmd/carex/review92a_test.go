package main

import (
	"database/sql"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/carex-project/carex/store/auditlog"
)

// Review 92a: a re-read of f9b9246 (audit export's check holds the
// default key only where it signed the log) on the server's own host,
// where the default key (os.UserConfigDir()/carex/log-key) IS the key the
// server signs with. The log is a real server's (e2eServe), edited as an
// insider would (r90aTamper, r90aEdit, r91aRecomputeTree), then re-signed
// with the insider's own key.

// r92aHostLog serves carex with its log key at the default location (as
// a host that runs `carex serve` without --log-key has it), makes six
// requests, stops it, and returns the database and the key's path.
func r92aHostLog(t *testing.T) (db, logKey string) {
	t.Helper()
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	if err := os.MkdirAll(filepath.Join(cfg, "carex"), 0o700); err != nil {
		t.Fatal(err)
	}
	logKey = defaultLogKey()
	if !strings.HasPrefix(logKey, cfg) {
		t.Fatalf("default log key %s is not under XDG_CONFIG_HOME %s", logKey, cfg)
	}
	dir := t.TempDir()
	db, devKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	tok := e2eToken(t, devKey)
	for _, p := range []string{"/fhir/Patient?_count=1", "/fhir/Patient/bob", "/fhir/Patient/jane", "/fhir/Patient/carol", "/fhir/Patient/dave", "/fhir/Patient/erin"} {
		if code, body := s.get(t, p, tok); code != 200 && code != 404 {
			t.Fatalf("GET %s: %d %s", p, code, body)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db); code != 0 {
		t.Fatalf("verify (default key) of the untouched log: exit %d\n%s%s", code, out, errOut)
	}
	return db, logKey
}

// r92aResign replaces every checkpoint's root and note with ones the
// entries as they are now give (after r91aRecomputeTree), signed with a
// new key of the insider's own under the same name and origin.
func r92aResign(t *testing.T, conn *sql.DB) {
	t.Helper()
	skey, _, err := auditlog.GenerateKey(logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var blob []byte
	if err := conn.QueryRow(`SELECT hashes FROM audit_tree_chunk WHERE start = 0`).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			copy(out[i][:], blob[x*tlog.HashSize:])
		}
		return out, nil
	})
	rows, err := conn.Query(`SELECT size, note FROM audit_checkpoint ORDER BY size`)
	if err != nil {
		t.Fatal(err)
	}
	type ck struct {
		size int64
		note []byte
	}
	var cks []ck
	for rows.Next() {
		var c ck
		if err := rows.Scan(&c.size, &c.note); err != nil {
			t.Fatal(err)
		}
		cks = append(cks, c)
	}
	rows.Close()
	if len(cks) == 0 {
		t.Fatal("no checkpoints to re-sign")
	}
	for _, c := range cks {
		origin, _, _ := strings.Cut(string(c.note), "\n")
		root, err := tlog.TreeHash(c.size, reader)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := note.Sign(&note.Note{Text: checkpointTextR92a(origin, c.size, root)}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(`UPDATE audit_checkpoint SET root = ?, note = ? WHERE size = ?`, root[:], signed, c.size); err != nil {
			t.Fatal(err)
		}
	}
}

func checkpointTextR92a(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// r92aForge: entry 2 (the read of Patient/jane) rewritten to name "jone",
// its leaf, the chain, the stored tree and every checkpoint recomputed and
// re-signed with the insider's own key.
func r92aForge(t *testing.T, db string) {
	t.Helper()
	r90aTamper(t, db, func(conn *sql.DB) {
		r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, true)
		r91aRecomputeTree(t, conn)
		r92aResign(t, conn)
	})
}

// TestReview92aSoundVerifyDefaultKeyCatchesResignedForgery: on the
// server's own host, carex audit verify with no --pubkey (the default key,
// which is the right one) fails the forged, re-signed log.
func TestReview92aSoundVerifyDefaultKeyCatchesResignedForgery(t *testing.T) {
	db, _ := r92aHostLog(t)
	r92aForge(t, db)
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db)
	t.Logf("verify: exit %d\n%s%s", code, out, errOut)
	if code == 0 || !strings.Contains(out+errOut, "not signed by a trusted log key") {
		t.Errorf("verify with the default (right) key passed a log re-signed with another key: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReview92aExportCleanOnResignedForgery: README — export
// "first checks the whole log as carex audit verify does"; SPEC §6 —
// signed checkpoints let IG prove nothing was changed. On the server's own
// host, where the default key is the one that signed the real log, an
// insider who rewrote entry 2 and re-signed the checkpoints with a key of
// their own gets an export that exits 0 with no WARNING — only a "note"
// that guesses "a copy of another server's log?" — while verify on the
// same machine with the same default key says FAILED. A script (or an IG
// officer answering a subject access request) that checks the exit code
// certifies the forged record. (Judgement on the note: a note that asks
// whether this is another server's log is not a warning that the log is
// forged; the exit code is what a pipeline reads.)
func TestReview92aExportCleanOnResignedForgery(t *testing.T) {
	db, _ := r92aHostLog(t)
	r92aForge(t, db)
	vcode, _, _ := e2eRun(t, "audit", "verify", "--db", db)
	code, out, errOut := e2eRun(t, "audit", "export", "--db", db)
	t.Logf("verify exit %d; export: exit %d, stderr %q", vcode, code, errOut)
	if !strings.Contains(out, "jone") {
		t.Fatalf("the forged entry is not in the export:\n%s", out)
	}
	if vcode != 0 && (code == 0 || !strings.Contains(errOut, "WARNING")) {
		t.Errorf("the forged log (verify with the same default key: exit %d) exported with exit %d and no WARNING; stderr: %q", vcode, code, errOut)
	}
}

// TestReview92aExportPubkeyNamedDefaultNotHeld: README (f9b9246)
// — "with --pubkey (a key given that does not verify the checkpoints is a
// failure)". An IG officer who names the key explicitly, as the runbook
// says, `--pubkey ~/.config/carex/log-key.pub`, is not held to it: the
// code takes "given" as "differs from the default path"
// (cmdAuditExport: givenKey := pub != defaultLogKey()+".pub"), so the
// forged log again exports with exit 0.
func TestReview92aExportPubkeyNamedDefaultNotHeld(t *testing.T) {
	db, logKey := r92aHostLog(t)
	r92aForge(t, db)
	code, _, errOut := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub")
	t.Logf("export --pubkey %s.pub: exit %d, stderr %q", logKey, code, errOut)
	if code == 0 {
		t.Errorf("--pubkey given explicitly (the default path) does not verify the checkpoints, yet export exits 0; stderr %q", errOut)
	}
}

// TestReview92aSoundExportKeyCases: the exit codes and messages of
// export's check for a key file missing (default: checked without
// signatures, exit 0), a --pubkey given that is missing or unreadable
// (refused, exit non-zero, nothing written).
func TestReview92aSoundExportKeyCases(t *testing.T) {
	db, logKey := r92aHostLog(t)
	// A --pubkey given that does not exist.
	code, out, errOut := e2eRun(t, "audit", "export", "--db", db, "--pubkey", filepath.Join(t.TempDir(), "nope.pub"))
	t.Logf("--pubkey missing: exit %d %q", code, errOut)
	if code == 0 || out != "" || !strings.Contains(errOut, "--pubkey") {
		t.Errorf("--pubkey naming no file: exit %d, %d bytes out, stderr %q", code, len(out), errOut)
	}
	// A --pubkey given that is not a key.
	junk := filepath.Join(t.TempDir(), "junk.pub")
	os.WriteFile(junk, []byte("not a key\n"), 0o600)
	code, out, errOut = e2eRun(t, "audit", "export", "--db", db, "--pubkey", junk)
	t.Logf("--pubkey junk: exit %d %q", code, errOut)
	if code == 0 || out != "" {
		t.Errorf("--pubkey not a key: exit %d, %d bytes out, stderr %q", code, len(out), errOut)
	}
	// The default key's .pub removed: checked without signatures.
	os.Rename(logKey+".pub", logKey+".pub.away")
	code, out, errOut = e2eRun(t, "audit", "export", "--db", db)
	t.Logf("default key missing: exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), errOut)
	if code != 0 || strings.Count(out, "\n") < 6 {
		t.Errorf("sound log, default key absent: exit %d, %d lines, %q", code, strings.Count(out, "\n"), errOut)
	}
	os.Rename(logKey+".pub.away", logKey+".pub")
}

// TestReview92aExportDefaultKeyMissingSilent: the .pub beside the
// default key removed (or never created on this host) and the log then
// forged without any signature at all being valid: export checks without
// signatures and says nothing (the note "checked without its
// checkpoints' signatures" that 90a's fix printed was dropped by
// f9b9246), exit 0. README: "where there is no such key ... it checks all
// but the checkpoints' signatures, and says so in the second case" — so
// documented; the judgement is that an IG officer is not told her export
// was not checked against any key.
func TestReview92aExportDefaultKeyMissingSilent(t *testing.T) {
	db, logKey := r92aHostLog(t)
	r92aForge(t, db)
	os.Remove(logKey + ".pub")
	os.Remove(logKey)
	code, out, errOut := e2eRun(t, "audit", "export", "--db", db)
	t.Logf("export, no default key on the host: exit %d, stderr %q", code, errOut)
	if !strings.Contains(out, "jone") {
		t.Fatalf("no forged entry exported")
	}
	if code == 0 && !strings.Contains(strings.ToLower(errOut), "signature") {
		t.Errorf("forged log, no key on the host: export exit 0 and stderr says nothing of the signatures not being checked: %q", errOut)
	}
}

// TestReview92aSoundQueryColumnOnlyNamed: after 5570a97's range check, a
// sound log whose entry 2 had only its patient query column edited (bytes,
// leaf and tree as signed) still fails at entry 2, by name.
func TestReview92aSoundQueryColumnOnlyNamed(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		if _, err := conn.Exec(`UPDATE audit_log SET patient = 'jone' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
	})
	code, out := r90aVerify(t, db, logKey)
	t.Logf("exit %d\n%s", code, out)
	if code == 0 || !strings.Contains(out, "FAILED at entry 2:") || !strings.Contains(out, "patient column") {
		t.Errorf("entry 2's patient column alone edited: want FAILED at entry 2 naming the column, got exit %d\n%s", code, out)
	}
}

// TestReview92aTwoCrudeEditsCalledARecomputedRewrite: SPEC §2 —
// verify "names the first entry that does not verify". Two crude edits in
// one checkpoint interval (entries 2 and 4 each edited in their bytes, no
// hash recomputed: the tree, the chain and the checkpoint are as signed)
// leave entry 2 the first entry that does not verify, and nothing was
// recomputed. 5570a97's range check reads the next checkpoint with entry
// 2's leaf as stored and as its bytes give it, but every other entry's
// leaf from its (edited) bytes, so entry 4's crude edit makes neither
// root match, and verify reports a different, false story: it names the
// range from entry 0 and says an entry other than entry 2 "was rewritten
// with its leaf, chain and Merkle hashes recomputed".
// (store/auditlog/verify.go: verifySnapshot's badInPlace branch,
// entriesRootsAt taking the other entries' leaves from their bytes rather
// than from their stored leaf_hash.)
func TestReview92aTwoCrudeEditsCalledARecomputedRewrite(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, false)
		r90aEdit(t, conn, 4, `"patient":"dave"`, `"patient":"dan"`, false)
	})
	code, out := r90aVerify(t, db, logKey)
	t.Logf("exit %d\n%s", code, out)
	if code == 0 || !strings.Contains(out, "FAILED at entry 2:") || strings.Contains(out, "recomputed") {
		t.Errorf("entries 2 and 4 crudely edited (no hash recomputed): want FAILED at entry 2 (its bytes do not match its leaf hash), got exit %d\n%s", code, out)
	}
}

// TestReview92aSoundCrudeEditAndDecoyColumnNamed: entry 2 edited in its
// bytes and entry 4 only in its query column (its bytes as signed): the
// first failing entry, 2, is named.
func TestReview92aSoundCrudeEditAndDecoyColumnNamed(t *testing.T) {
	db, _, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) {
		r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, false)
		if _, err := conn.Exec(`UPDATE audit_log SET patient = 'x' WHERE seq = 4`); err != nil {
			t.Fatal(err)
		}
	})
	code, out := r90aVerify(t, db, logKey)
	t.Logf("exit %d\n%s", code, out)
	if code == 0 || !strings.Contains(out, "FAILED at entry 2:") {
		t.Errorf("want FAILED at entry 2, got exit %d\n%s", code, out)
	}
}
