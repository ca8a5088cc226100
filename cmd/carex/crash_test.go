package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// buildCarex builds this command into dir (once per test binary run).
func buildCarex(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "carex")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is carex serve running as a real process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
}

// startCarex runs bin serve args on a port the kernel chooses (read from
// its "carex listening" line, logged at info whatever args say: a port
// e2eFreeAddr found free could be taken before the process bound it).
func startCarex(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{stderr: &syncBuffer{}}
	p.cmd = exec.Command(bin, append(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), "--log-level", "info")...)
	p.cmd.Stderr = p.stderr
	p.cmd.Env = os.Environ() // XDG_CONFIG_HOME from TestMain
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var err error
		if p.base == "" {
			if m := listeningAddr.FindStringSubmatch(p.stderr.String()); m != nil {
				p.base = "http://" + m[1]
			}
		}
		if p.base != "" {
			var res *http.Response
			if res, err = client.Get(p.base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("carex serve not healthy within 15s (%v):\n%s", err, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) do(c *http.Client, method, path, token, reqID, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", reqID)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("X-Request-Id"), nil
}

// crashRig is a carex serve built and run as a real process on a new
// database in a temp dir, with Patient/crash stored (request id "seed").
type crashRig struct {
	bin, db, devKey, logKey, tok string
	args                         []string // serve's flags, for a restart
	p                            *proc
	client                       *http.Client
}

func newCrashRig(t *testing.T, extra ...string) *crashRig {
	t.Helper()
	dir := t.TempDir()
	r := &crashRig{bin: buildCarex(t, dir), db: filepath.Join(dir, "c.db"), devKey: filepath.Join(dir, "dev.pem"), logKey: filepath.Join(dir, "log-key")}
	r.args = append([]string{"--dev", "--db", r.db, "--dev-key", r.devKey, "--log-key", r.logKey, "--log-level", "error"}, extra...)
	r.p = startCarex(t, r.bin, r.args...)
	r.tok = e2eToken(t, r.devKey)
	r.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}
	patient := `{"resourceType":"Patient","id":"crash","name":[{"family":"Crash"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	if code, _, err := r.p.do(r.client, "PUT", "/fhir/Patient/crash", r.tok, "seed", patient); err != nil || code != 201 {
		t.Fatalf("seed: %d %v\n%s", code, err, r.p.stderr.String())
	}
	return r
}

// TestCrashLosesNoAcknowledgedEntry: carex serve under concurrent load is
// killed with SIGKILL; after a restart every request whose response
// reached the client has its access-log entry, the log verifies, and it
// keeps growing.
func TestCrashLosesNoAcknowledgedEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real carex process")
	}
	r := newCrashRig(t)
	bin, db, logKey, args, p, tok, client := r.bin, r.db, r.logKey, r.args, r.p, r.tok, r.client

	const workers = 8
	var (
		mu    sync.Mutex
		acked = map[string]bool{"seed": true}
		stop  atomic.Bool
		wg    sync.WaitGroup
		sent  atomic.Int64
	)
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"},"valueQuantity":{"value":72,"unit":"/min"}}`
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("crash-%d-%d", w, i)
				var code int
				var got string
				var err error
				switch i % 3 {
				case 0:
					code, got, err = p.do(client, "GET", "/fhir/Patient/crash", tok, id, "")
				case 1:
					code, got, err = p.do(client, "GET", "/fhir/Patient?_count=5", tok, id, "")
				default:
					code, got, err = p.do(client, "POST", "/fhir/Observation", tok, id, obs)
				}
				sent.Add(1)
				if err != nil {
					return // the server is gone
				}
				if got != id {
					t.Errorf("request %s answered as %q (status %d)", id, got, code)
					return
				}
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second) // load, then kill in the middle of it
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	killed := time.Now()
	time.AfterFunc(500*time.Millisecond, func() { stop.Store(true) })
	wg.Wait()
	stop.Store(true)
	mu.Lock()
	nAcked := len(acked)
	mu.Unlock()
	if nAcked < 50 {
		t.Fatalf("only %d requests acknowledged before the kill: the load did not run\n%s", nAcked, p.stderr.String())
	}
	t.Logf("%d requests sent, %d acknowledged, server killed (SIGKILL) mid-load", sent.Load(), nAcked)

	// Restart on the same files: the log reopens, and new requests append.
	p2 := startCarex(t, bin, args...)
	t.Logf("restarted %v after the kill", time.Since(killed).Round(time.Millisecond))
	for i := range 5 {
		id := fmt.Sprintf("after-%d", i)
		if code, got, err := p2.do(client, "GET", "/fhir/Patient/crash", tok, id, ""); err != nil || code != 200 || got != id {
			t.Fatalf("after restart: %d %q %v\n%s", code, got, err, p2.stderr.String())
		}
		acked[id] = true
	}
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, p2.stderr.String())
	}

	// Every acknowledged request has its entry.
	conn, err := sql.Open("sqlite", "file:"+accessLogPath(db)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT json_extract(entry, '$.request_id') FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]int{}
	for rows.Next() {
		var id sql.NullString
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		logged[id.String]++
	}
	rows.Close()
	var missing []string
	for id := range acked {
		if logged[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged requests have no access-log entry, e.g. %v", len(missing), len(acked), missing[:min(5, len(missing))])
	}
	for id, n := range logged {
		if n > 1 {
			t.Errorf("request %s logged %d times", id, n)
		}
	}
	t.Logf("%d entries in the log; all %d acknowledged requests present", len(logged), len(acked))

	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify after crash and restart: exit %d\n%s%s", code, out, errOut)
	}
	if !bytes.Contains([]byte(out), []byte(fmt.Sprintf("entries: %d", len(logged)))) {
		t.Errorf("verify counted differently: %s", out)
	}
}
