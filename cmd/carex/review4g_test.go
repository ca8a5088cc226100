package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReview4gLostLogKeyRefusesToStart: the access-log key file is gone at
// restart (a restore without ~/.config, a service user whose HOME moved, a
// --log-key pointing elsewhere). serve must not mint a new key, overwrite
// the old public key and carry on: every checkpoint then fails under one
// key or the other, and the log no longer verifies (SPEC §7: "leaves the
// log verifiable").
func TestReview4gLostLogKeyRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	args := []string{"--dev", "--db", db, "--dev-key", devKey, "--log-key", logKey}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, append(args, "--addr", addr)...)
	tok := e2eToken(t, devKey)
	if code, body := s.get(t, "/fhir/Patient?_count=1", tok); code != 200 {
		t.Fatalf("search: %d %s", code, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	oldPub, err := os.ReadFile(logKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(logKey, filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}

	addr = e2eFreeAddr(t)
	ctx := append(args, "--addr", addr)
	done := make(chan struct{})
	var code int
	var errOut string
	go func() { code, errOut = serveRefusesNoFatal(ctx...); close(done) }()
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		t.Fatal("timeout")
	}
	if code == 0 || errOut == "started" {
		// It served: show what that did to the log.
		newPub, _ := os.ReadFile(logKey + ".pub")
		_, out, _ := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
		t.Errorf("serve started on a log whose signing key is missing (it made a new key)\n.pub replaced: %v\naudit verify with the .pub now: %s", string(newPub) != string(oldPub), out)
	}
}

// serveRefusesNoFatal runs serve for at most 5 s: ("started") if it was
// still serving then.
func serveRefusesNoFatal(args ...string) (int, string) {
	addr := ""
	for i, a := range args {
		if a == "--addr" {
			addr = args[i+1]
		}
	}
	cmdDone := make(chan int, 1)
	var out, errb syncBuffer
	ctx, cancel := contextWithCancel()
	go func() { cmdDone <- run(ctx, append([]string{"serve"}, args...), &out, &errb) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case c := <-cmdDone:
			cancel()
			return c, errb.String()
		default:
		}
		if res, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			// Make one logged request so that a checkpoint is signed with the new key.
			req, _ := http.NewRequest("GET", "http://"+addr+"/fhir/Patient", nil)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
			cancel()
			<-cmdDone
			return 0, "started"
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	return <-cmdDone, errb.String()
}

// TestReview4gSecondServerOnSameDatabase: two carex serve processes on the
// same --db (a second instance started by mistake, a restart before the old
// one exited, a failover that did not stop the first) both start today and
// both append to the same access log and journal from their own idea of
// its end. Every request each acknowledges must still be in the log (SPEC
// §6), or the second must refuse to start.
func TestReview4gSecondServerOnSameDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real carex processes")
	}
	dir := t.TempDir()
	bin := buildCarex(t, dir)
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	args := []string{"--dev", "--db", db, "--dev-key", devKey, "--log-key", logKey, "--log-level", "error"}
	a := startCarex(t, bin, args...)
	tok := e2eToken(t, devKey)

	// The second: started by hand, as it may refuse.
	addr := e2eFreeAddr(t)
	b := &proc{base: "http://" + addr, stderr: &syncBuffer{}}
	b.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	b.cmd.Stderr, b.cmd.Env = b.stderr, os.Environ()
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- b.cmd.Wait() }()
	client := &http.Client{Timeout: 5 * time.Second}
	bUp := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !bUp; {
		select {
		case <-exited:
			t.Logf("second server refused to start: %s", b.stderr.String())
			return // refusing is a fix
		default:
		}
		if res, err := client.Get(b.base + "/healthz"); err == nil {
			res.Body.Close()
			bUp = res.StatusCode == 200
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !bUp {
		t.Fatalf("second server neither started nor exited:\n%s", b.stderr.String())
	}
	acked := 0
	for i := 0; i < 20; i++ {
		for _, p := range []*proc{a, b} {
			code, _, err := p.do(client, "GET", "/fhir/Patient?_count=1", tok, "r"+strconv.Itoa(i), "")
			if err != nil {
				t.Fatal(err)
			}
			if code == 200 {
				acked++
			}
		}
	}
	for _, p := range []*proc{a, b} {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	a.cmd.Wait()
	<-exited
	_, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	m := regexp.MustCompile(`entries: (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("audit verify: %s%s", out, errOut)
	}
	if n, _ := strconv.Atoi(m[1]); n < acked {
		t.Errorf("both servers served on one database: %d requests acknowledged, the access log holds %d entries (audit verify: %q)\nfirst server: %s\nsecond server: %s",
			acked, n, strings.TrimSpace(out), a.stderr.String(), b.stderr.String())
	}
}

// TestReview4gWorldReadableLogKeyWarns: a signing key that every local user
// can read lets any of them forge checkpoints; serve should at least say so.
func TestReview4gWorldReadableLogKeyWarns(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	args := []string{"--dev", "--db", db, "--dev-key", devKey, "--log-key", logKey, "--addr", addr}
	s := e2eServe(t, addr, args...)
	s.stop(t)
	if err := os.Chmod(logKey, 0o644); err != nil {
		t.Fatal(err)
	}
	addr = e2eFreeAddr(t)
	args[len(args)-1] = addr
	s = e2eServe(t, addr, args...)
	s.stop(t)
	if !strings.Contains(strings.ToLower(s.stderr.String()), "log-key") || !strings.Contains(strings.ToLower(s.stderr.String()), "readable") {
		t.Errorf("serve accepted a world-readable access-log signing key without a word:\n%s", s.stderr.String())
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// TestReadableDatabaseWarns: a database an earlier release created (before
// files were made 0600), or one copied in, may be readable by every user
// of the machine; serve says which file and what to do, and says nothing
// once it is the server user's alone.
func TestReadableDatabaseWarns(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	args := []string{"--dev", "--db", db, "--dev-key", devKey, "--log-key", logKey, "--addr", ""}
	serve := func() string {
		addr := e2eFreeAddr(t)
		args[len(args)-1] = addr
		s := e2eServe(t, addr, args...)
		s.stop(t)
		return s.stderr.String()
	}
	if out := serve(); strings.Contains(out, "readable by other users") {
		t.Fatalf("a database carex created warned:\n%s", out)
	}
	for _, f := range []string{db, accessLogPath(db)} {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
		out := serve()
		if !strings.Contains(out, "readable by other users") || !strings.Contains(out, filepath.Base(f)) {
			t.Errorf("serve opened %s, readable by every user, without a word:\n%s", f, out)
		}
		os.Chmod(f, 0o600)
	}
}
