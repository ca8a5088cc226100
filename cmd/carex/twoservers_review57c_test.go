package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// review57cTry starts carex serve and returns it once healthy, or nil and
// its output when it exits (refuses) first. done is closed when it exits.
func review57cTry(t *testing.T, bin string, args ...string) (p *proc, done chan struct{}, out string) {
	t.Helper()
	p = &proc{stderr: &syncBuffer{}}
	p.cmd = exec.Command(bin, append(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), "--log-level", "info")...)
	p.cmd.Stderr = p.stderr
	p.cmd.Env = os.Environ()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			p.cmd.Process.Kill()
			<-done
		}
	})
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			return nil, done, p.stderr.String()
		default:
		}
		if p.base == "" {
			if m := listeningAddr.FindStringSubmatch(p.stderr.String()); m != nil {
				p.base = "http://" + m[1]
			}
		}
		if p.base != "" {
			if res, err := client.Get(p.base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return p, done, ""
				}
			}
		}
	}
	t.Fatalf("second serve neither healthy nor exited in 15s:\n%s", p.stderr.String())
	return nil, nil, ""
}

// review57cTwoServers: with the first server (r.p, started by the rig)
// running, prepare() is run, then a second carex serve is started on
// args2. It must refuse; if it serves, every request either server
// answered must be in the access log after both stop.
func review57cTwoServers(t *testing.T, prepare func(r *crashRig) []string) {
	r := newCrashRig(t)
	acked := map[string]int{"seed": 201}
	for i := range 5 {
		id := fmt.Sprintf("first-before-%d", i)
		code, _, err := r.p.do(r.client, "GET", "/fhir/Patient/crash", r.tok, id, "")
		if err != nil || code != 200 {
			t.Fatalf("first server: %d %v", code, err)
		}
		acked[id] = code
	}
	args2 := prepare(r)
	p2, done2, out := review57cTry(t, r.bin, args2...)
	if p2 == nil {
		t.Logf("second serve refused: %s", out)
		return
	}
	t.Errorf("a second carex serve started and serves beside the first on the same records and access log (SPEC §6, README: a second serve on the same files is refused)")
	for i := range 20 {
		for k, p := range []*proc{r.p, p2} {
			id := fmt.Sprintf("s%d-%d", k+1, i)
			code, _, err := p.do(r.client, "GET", "/fhir/Patient/crash", r.tok, id, "")
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			acked[id] = code
		}
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	<-done2
	r.p.cmd.Process.Signal(syscall.SIGTERM)
	r.p.cmd.Wait()
	t.Logf("first server's log:\n%s\nsecond server's log:\n%s", r.p.stderr.String(), p2.stderr.String())
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "two.ndjson"))
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	review57cCheck(t, "two servers", acked, byID, seqs)
	code, vout, verr := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	t.Logf("audit verify: exit %d\n%s%s", code, vout, verr)
}

// TestReview57cSecondServerAfterJournalLockFileRemoved: the journal's lock
// file (c-access.db-audit.lock, a zero-byte file) removed while the first
// server runs — as a stale lock file is cleaned up — and a second carex
// serve on the same --db starts, and the requests it answers are lost from
// the log, which still verifies.
func TestReview57cSecondServerAfterJournalLockFileRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real carex process")
	}
	review57cTwoServers(t, func(r *crashRig) []string {
		lock := accessLogPath(r.db) + "-audit.lock"
		if err := os.Remove(lock); err != nil {
			t.Fatalf("remove %s: %v", lock, err)
		}
		return r.args
	})
}

// TestReview57cSecondServerThroughHardLinks: the database's files hard
// linked under another name (cp -al, a snapshot directory) and served
// there while the first server runs: the same files, a second writer.
func TestReview57cSecondServerThroughHardLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real carex process")
	}
	review57cTwoServers(t, func(r *crashRig) []string {
		dir := filepath.Join(filepath.Dir(r.db), "linked")
		os.Mkdir(dir, 0o700)
		base := filepath.Base(r.db)
		stem := base[:len(base)-len(filepath.Ext(base))]
		for _, f := range []string{base, base + "-wal", base + "-shm", stem + "-access.db", stem + "-access.db-wal", stem + "-access.db-shm", stem + "-access.db-audit"} {
			if err := os.Link(filepath.Join(filepath.Dir(r.db), f), filepath.Join(dir, f)); err != nil {
				t.Fatalf("link %s: %v", f, err)
			}
		}
		args := append([]string(nil), r.args...)
		for i := range args {
			if args[i] == r.db {
				args[i] = filepath.Join(dir, base)
			}
		}
		return args
	})
}

// TestReview57cSoundSecondServerSameDbRefused: with the lock file in
// place, a second serve on the same --db, also spelled through "..", is
// refused.
func TestReview57cSoundSecondServerSameDbRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real carex process")
	}
	review57cTwoServers(t, func(r *crashRig) []string {
		args := append([]string(nil), r.args...)
		for i := range args {
			if args[i] == r.db {
				d := filepath.Dir(r.db)
				args[i] = d + "/../" + filepath.Base(d) + "/./" + filepath.Base(r.db)
			}
		}
		return args
	})
}
