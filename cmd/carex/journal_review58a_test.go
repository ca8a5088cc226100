package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Review 58a: regressions of aa3bb1e (the journal file itself flocked).

func r58aSkip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real carex process")
	}
}

func r58aLoad(t *testing.T, r *crashRig, p *proc, prefix string, n int, acked map[string]int) {
	t.Helper()
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		code, _, err := p.do(r.client, "GET", "/fhir/Patient/crash", r.tok, id, "")
		if err != nil || code != 200 {
			t.Fatalf("%s: %d %v\n%s", id, code, err, p.stderr.String())
		}
		acked[id] = code
	}
}

// TestReview58aSoundRestartAfterKill9: a server killed with SIGKILL
// (its flocks die with it) is followed at once by a restart that serves,
// and every answered request is in the log.
func TestReview58aSoundRestartAfterKill9(t *testing.T) {
	r58aSkip(t)
	r := newCrashRig(t)
	acked := map[string]int{"seed": 201}
	r58aLoad(t, r, r.p, "before", 20, acked)
	r.p.cmd.Process.Signal(syscall.SIGKILL)
	r.p.cmd.Wait()
	p2, done2, out := review57cTry(t, r.bin, r.args...)
	if p2 == nil {
		t.Fatalf("restart right after kill -9 refused: %s", out)
	}
	r58aLoad(t, r, p2, "after", 10, acked)
	p2.cmd.Process.Signal(syscall.SIGTERM)
	<-done2
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "k.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	review57cCheck(t, "kill -9 restart", acked, byID, seqs)
}

// TestReview58aSoundRestartAfterSIGTERM: the same after a clean stop,
// twice in a row.
func TestReview58aSoundRestartAfterSIGTERM(t *testing.T) {
	r58aSkip(t)
	r := newCrashRig(t)
	acked := map[string]int{"seed": 201}
	r58aLoad(t, r, r.p, "before", 10, acked)
	r.p.cmd.Process.Signal(syscall.SIGTERM)
	r.p.cmd.Wait()
	for k := range 2 {
		p2, done2, out := review57cTry(t, r.bin, r.args...)
		if p2 == nil {
			t.Fatalf("restart %d after SIGTERM refused: %s", k, out)
		}
		r58aLoad(t, r, p2, fmt.Sprintf("after%d", k), 5, acked)
		p2.cmd.Process.Signal(syscall.SIGTERM)
		<-done2
	}
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "t.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	review57cCheck(t, "SIGTERM restarts", acked, byID, seqs)
}

// TestReview58aSoundAuditCommandsWhileServing: verify, export, checkpoint
// and prove read the journal of a running server: none is refused for the
// lock the server holds on it.
func TestReview58aSoundAuditCommandsWhileServing(t *testing.T) {
	r58aSkip(t)
	r := newCrashRig(t)
	acked := map[string]int{"seed": 201}
	r58aLoad(t, r, r.p, "x", 30, acked)
	time.Sleep(11 * time.Second) // a checkpoint is signed every 10 s
	r58aLoad(t, r, r.p, "x2", 5, acked)
	pub := r.logKey + ".pub"
	out := filepath.Join(filepath.Dir(r.db), "ck.txt")
	for _, args := range [][]string{
		{"audit", "verify", "--db", r.db, "--pubkey", pub},
		{"audit", "export", "--db", r.db, "--pubkey", pub, "--out", filepath.Join(filepath.Dir(r.db), "e.ndjson")},
		{"audit", "checkpoint", "--db", r.db, "--pubkey", pub, "--out", out},
		{"audit", "prove", "--db", r.db, "--pubkey", pub, "--seq", "0"},
	} {
		code, so, se := e2eRun(t, args...)
		t.Logf("%v: exit %d\n%.400s%.400s", args[:2], code, so, se)
		if strings.Contains(so+se, "in use") || strings.Contains(so+se, "lock") {
			t.Errorf("%v refused for the running server's lock: %s%s", args, so, se)
		}
		{
			if code != 0 {
				t.Errorf("%v while serving: exit %d %s%s", args, code, so, se)
			}
		}
	}
	// the server still serves and logs
	r58aLoad(t, r, r.p, "y", 5, acked)
}

// TestReview58aSoundSecondServerAfterJournalRecreated: the journal removed
// while serving is written anew at the next entry (review 20b); the new
// file must be locked: with the lock file then removed as stale, a second
// serve is refused.
func TestReview58aSoundSecondServerAfterJournalRecreated(t *testing.T) {
	r58aSkip(t)
	review57cTwoServers(t, func(r *crashRig) []string {
		j := accessLogPath(r.db) + "-audit"
		if err := os.Remove(j); err != nil {
			t.Fatal(err)
		}
		acked := map[string]int{}
		r58aLoad(t, r, r.p, "recreate", 3, acked)
		if _, err := os.Stat(j); err != nil {
			t.Fatalf("journal not written anew: %v", err)
		}
		if err := os.Remove(j + ".lock"); err != nil {
			t.Fatal(err)
		}
		return r.args
	})
}

// TestReview58aSoundImportRelabelWhileServing: carex import and relabel
// open the record database only, not the access journal: the journal's
// flock neither refuses them nor is taken by them, and the server goes
// on logging. Import runs; relabel refuses by its own check on the record
// database ("another process has ... open"), as on aa3bb1e's parent.
func TestReview58aSoundImportRelabelWhileServing(t *testing.T) {
	r58aSkip(t)
	r := newCrashRig(t)
	acked := map[string]int{"seed": 201}
	r58aLoad(t, r, r.p, "a", 5, acked)
	file := filepath.Join(filepath.Dir(r.db), "p.json")
	os.WriteFile(file, []byte(`{"resourceType":"Patient","id":"imp58a","name":[{"family":"Imp"}]}`), 0o600)
	for _, args := range [][]string{
		{"import", "--quiet", "--db", r.db, "--org", "A81001", file},
		{"relabel", "--db", r.db},
	} {
		code, so, se := e2eRun(t, args...)
		t.Logf("%s while serving: exit %d %.300s%.300s", args[0], code, so, se)
		if strings.Contains(so+se, "in use") {
			t.Errorf("%s refused for the journal's lock: %s", args[0], se)
		}
	}
	r58aLoad(t, r, r.p, "b", 5, acked)
	r.p.cmd.Process.Signal(syscall.SIGTERM)
	r.p.cmd.Wait()
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "i.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	review57cCheck(t, "import/relabel while serving", acked, byID, seqs)
}
