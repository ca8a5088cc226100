package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// review48cStartLimited runs bin serve args under prlimit --fsize=limit
// (every file the process writes is cut off at limit bytes: a disk that
// fills up), on a port the kernel chooses.
func review48cStartLimited(t *testing.T, bin string, limit int64, args ...string) *proc {
	t.Helper()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit not found")
	}
	p := &proc{stderr: &syncBuffer{}}
	full := append([]string{fmt.Sprintf("--fsize=%d", limit), "--", bin, "serve", "--addr", "127.0.0.1:0"}, args...)
	full = append(full, "--log-level", "info")
	p.cmd = exec.Command("prlimit", full...)
	p.cmd.Stderr = p.stderr
	p.cmd.Env = os.Environ()
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
		if p.base == "" {
			if m := listeningAddr.FindStringSubmatch(p.stderr.String()); m != nil {
				p.base = "http://" + m[1]
			}
		}
		if p.base != "" {
			if res, err := client.Get(p.base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("carex serve (limited) not healthy within 15s:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func review48cReadyz(p *proc) (int, string) {
	res, err := http.Get(p.base + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// review48cDiskFull runs carex serve with every file limited to limit
// bytes, sends reads and writes until the server answers errors (the
// disk is "full"), then checks /readyz, restarts it without the limit and
// checks that every 2xx-answered request is logged exactly once, every
// stored write has an entry, and carex audit verify passes.
func review48cDiskFull(t *testing.T, limit int64, writeEvery int) {
	dir := t.TempDir()
	bin := buildCarex(t, dir)
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	args := []string{"--dev", "--db", db, "--dev-key", devKey, "--log-key", logKey}
	p := review48cStartLimited(t, bin, limit, args...)
	tok := e2eToken(t, devKey)
	client := &http.Client{Timeout: 10 * time.Second}
	patient := `{"resourceType":"Patient","id":"crash","name":[{"family":"Crash"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	if code, _, err := p.do(client, "PUT", "/fhir/Patient/crash", tok, "seed", patient); err != nil || code != 201 {
		t.Fatalf("seed: %d %v\n%s", code, err, p.stderr.String())
	}
	status := map[string]int{"seed": 201}
	posts := map[string]string{} // request id -> code text
	failsInARow, firstFail := 0, ""
	pad := strings.Repeat("x", 2000)
	var i int
	for i = 0; i < 4000 && failsInARow < 30; i++ {
		id := fmt.Sprintf("df-%d", i)
		var code int
		var err error
		if i%writeEvery == writeEvery-1 {
			text := fmt.Sprintf("DF-%d-%s", i, pad)
			posts[id] = fmt.Sprintf("DF-%d-", i)
			code, _, err = p.do(client, "POST", "/fhir/Observation", tok, id,
				`{"resourceType":"Observation","status":"final","code":{"text":"`+text+`"},"subject":{"reference":"Patient/crash"}}`)
		} else {
			code, _, err = p.do(client, "GET", "/fhir/Patient/crash", tok, id, "")
		}
		if code >= 500 && failsInARow < 2 {
			t.Logf("first 5xx of a run: %s status %d", id, code)
		}
		if err != nil {
			t.Logf("request %s: %v (server gone?)", id, err)
			break
		}
		status[id] = code
		if code >= 500 {
			if firstFail == "" {
				firstFail = id
			}
			failsInARow++
		} else {
			failsInARow = 0
		}
	}
	n2xx, n5xx := 0, 0
	for _, c := range status {
		if c < 300 {
			n2xx++
		} else if c >= 500 {
			n5xx++
		}
	}
	t.Logf("%d requests: %d answered 2xx, %d answered 5xx, first failure %s, %d failed in a row at the end", i, n2xx, n5xx, firstFail, failsInARow)
	rc, rb := review48cReadyz(p)
	t.Logf("/readyz while full: %d %s", rc, rb)
	if failsInARow >= 30 && rc == 200 {
		t.Errorf("/readyz answers 200 %s while the last %d requests were all answered 5xx (the access log cannot be written)", rb, failsInARow)
	}
	if n5xx == 0 {
		t.Logf("the limit was never reached")
	}
	if testing.Verbose() {
		lines := strings.Split(p.stderr.String(), "\n")
		for _, l := range lines[max(0, len(lines)-15):] {
			t.Logf("server: %.400s", l)
		}
	}
	// The disk is given room again: kill and restart without the limit.
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p2 := startCarex(t, bin, args...)
	if code, _, err := p2.do(client, "GET", "/fhir/Patient/crash", tok, "after", ""); err != nil || code != 200 {
		t.Fatalf("after restart: %d %v\n%s", code, err, p2.stderr.String())
	}
	status["after"] = 200
	stored := map[string]bool{}
	{
		req, _ := http.NewRequest("GET", p2.base+"/fhir/Observation?patient=crash&_count=1000&_elements=code", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for id, text := range posts {
			if strings.Contains(string(b), `"`+text) {
				stored[id] = true
			}
		}
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	if err := p2.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, p2.stderr.String())
	}
	for _, l := range strings.Split(p2.stderr.String(), "\n") {
		if strings.Contains(l, "recover") || strings.Contains(l, "kept") || strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Logf("restart: %.300s", l)
		}
	}
	conn, err := sql.Open("sqlite", "file:"+accessLogPath(db)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT json_extract(entry, '$.request_id'), json_extract(entry, '$.status') FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]int{}
	loggedStatus := map[string]int64{}
	for rows.Next() {
		var id sql.NullString
		var st sql.NullInt64
		if err := rows.Scan(&id, &st); err != nil {
			t.Fatal(err)
		}
		logged[id.String]++
		loggedStatus[id.String] = st.Int64
	}
	rows.Close()
	var missing, twice, storedUnlogged, storedAnsweredErr []string
	for id, c := range status {
		if c < 300 && logged[id] == 0 {
			missing = append(missing, fmt.Sprintf("%s(%d)", id, c))
		}
	}
	for id, n := range logged {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s×%d", id, n))
		}
	}
	for id := range stored {
		if logged[id] == 0 {
			storedUnlogged = append(storedUnlogged, fmt.Sprintf("%s(answered %d)", id, status[id]))
		}
		if status[id] >= 400 {
			storedAnsweredErr = append(storedAnsweredErr, fmt.Sprintf("%s(answered %d, logged %d)", id, status[id], loggedStatus[id]))
		}
	}
	for id, c := range status {
		if c >= 400 {
			_, isPost := posts[id]
			t.Logf("error answer %s: status %d post=%v stored=%v logged=%d (logged status %d)", id, c, isPost, stored[id], logged[id], loggedStatus[id])
		}
	}
	notStoredOK := 0
	for id := range posts {
		if status[id] < 300 && status[id] > 0 && !stored[id] {
			notStoredOK++
			if notStoredOK < 5 {
				t.Errorf("write %s answered %d is not stored after the restart", id, status[id])
			}
		}
	}
	t.Logf("%d entries in the log; %d writes sent, %d stored; stored though answered an error (each must say it was stored): %v", len(logged), len(posts), len(stored), storedAnsweredErr[:min(5, len(storedAnsweredErr))])
	if len(missing) > 0 {
		t.Errorf("%d 2xx-answered requests have no access-log entry, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if len(twice) > 0 {
		t.Errorf("requests logged more than once: %v", twice[:min(5, len(twice))])
	}
	if len(storedUnlogged) > 0 {
		t.Errorf("stored writes with no access-log entry: %v", storedUnlogged[:min(5, len(storedUnlogged))])
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("verify after a full disk and a restart: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReview48cDiskFullReadsOnly: only reads (log entries, no record
// writes), every file limited to 1.5 MiB: the access log fills up first.
func TestReview48cDiskFullReadsOnly(t *testing.T) {
	review48cDiskFull(t, 1536<<10, 1<<30)
}

// TestReview48cDiskFullWrites: a write every third request.
func TestReview48cDiskFullWrites(t *testing.T) {
	review48cDiskFull(t, 1536<<10, 3)
}

// review48cTryStart is startCarex that reports a server that does not
// come up (its stderr) instead of failing the test.
func review48cTryStart(t *testing.T, bin string, args ...string) (*proc, string) {
	t.Helper()
	p := &proc{stderr: &syncBuffer{}}
	p.cmd = exec.Command(bin, append(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), "--log-level", "info")...)
	p.cmd.Stderr = p.stderr
	p.cmd.Env = os.Environ()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { p.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			p.cmd.Process.Kill()
			<-exited
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, p.stderr.String()
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
					return p, ""
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, "not healthy in 15s: " + p.stderr.String()
}

func review48cGet(c *http.Client, p *proc, path, tok string) (int, string) {
	req, _ := http.NewRequest("GET", p.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// review48cRemoved removes files (the record database or the access
// log's database, each with its -wal and -shm) under a running server,
// writes, and restarts: a write the server acknowledged after the removal
// must be there after the restart (or be refused, with /readyz saying the
// server is not ready), and the log must verify.
func review48cRemoved(t *testing.T, which func(db string) string) {
	r := newCrashRig(t)
	obs := func(tag string) string {
		return `{"resourceType":"Observation","id":"` + tag + `","status":"final","code":{"text":"` + tag + `"},"subject":{"reference":"Patient/crash"}}`
	}
	if code, _, err := r.p.do(r.client, "PUT", "/fhir/Observation/before", r.tok, "rm-before", obs("before")); err != nil || code != 201 {
		t.Fatalf("before: %d %v", code, err)
	}
	time.Sleep(300 * time.Millisecond) // the indexer copies the entries in
	base := which(r.db)
	for _, suf := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(base + suf); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	t.Logf("removed %s{,-wal,-shm} under the running server", filepath.Base(base))
	acked := []string{}
	for i := range 3 {
		tag := fmt.Sprintf("after%d", i)
		code, _, err := r.p.do(r.client, "PUT", "/fhir/Observation/"+tag, r.tok, "rm-"+tag, obs(tag))
		t.Logf("PUT Observation/%s after the removal: %d %v", tag, code, err)
		if err == nil && code < 300 {
			acked = append(acked, tag)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rc, rb := review48cReadyz(r.p)
	t.Logf("/readyz after the removal: %d %s", rc, rb)
	if rc == 200 {
		t.Errorf("/readyz answers 200 %s after %s was removed under the server", rb, filepath.Base(base))
	}
	if len(acked) > 0 && rc != 200 {
		t.Logf("(acknowledged writes and then said not ready)")
	}
	r.p.cmd.Process.Signal(syscall.SIGTERM)
	werr := r.p.cmd.Wait()
	t.Logf("graceful stop: %v", werr)
	for _, l := range strings.Split(r.p.stderr.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Logf("server: %.300s", l)
		}
	}
	p2, why := review48cTryStart(t, r.bin, r.args...)
	if p2 == nil {
		t.Logf("restart refused: %.600s", why)
		if len(acked) > 0 {
			t.Errorf("writes %v were acknowledged (2xx) after %s was removed under the server, and the restart refuses to start: %.300s", acked, filepath.Base(base), why)
		}
	} else {
		for _, tag := range append([]string{"before"}, acked...) {
			code, body := review48cGet(r.client, p2, "/fhir/Observation/"+tag, r.tok)
			t.Logf("after restart GET Observation/%s: %d %.120s", tag, code, body)
			if code != 200 {
				t.Errorf("Observation/%s, acknowledged, is gone after the restart: %d %.200s", tag, code, body)
			}
		}
		p2.cmd.Process.Signal(syscall.SIGTERM)
		time.Sleep(500 * time.Millisecond)
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	t.Logf("verify: exit %d %.400s %.400s", code, out, errOut)
}

// TestReview48cRecordDatabaseRemovedUnderServer: c.db removed.
func TestReview48cRecordDatabaseRemovedUnderServer(t *testing.T) {
	review48cRemoved(t, func(db string) string { return db })
}

// TestReview48cAccessDatabaseRemovedUnderServer: c-access.db removed.
func TestReview48cAccessDatabaseRemovedUnderServer(t *testing.T) {
	review48cRemoved(t, accessLogPath)
}

// TestReview48cJournalMadeADirectory: the access journal
// (c-access.db-audit) is removed under the running server and a
// directory put at its path, so the journal cannot be written anew: every
// request must be refused (no response without its entry) and /readyz
// must say the server is not ready.
func TestReview48cJournalMadeADirectory(t *testing.T) {
	r := newCrashRig(t)
	j := accessLogPath(r.db) + "-audit"
	if _, err := os.Stat(j); err != nil {
		t.Fatalf("journal: %v", err)
	}
	if err := os.Remove(j); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(j, 0o700); err != nil {
		t.Fatal(err)
	}
	obs := `{"resourceType":"Observation","id":"jd","status":"final","code":{"text":"jd"},"subject":{"reference":"Patient/crash"}}`
	var codes []int
	for i := range 3 {
		code, _, err := r.p.do(r.client, "GET", "/fhir/Patient/crash", r.tok, fmt.Sprintf("jd-get-%d", i), "")
		t.Logf("GET after the journal became a directory: %d %v", code, err)
		codes = append(codes, code)
	}
	req, _ := http.NewRequest("PUT", r.p.base+"/fhir/Observation/jd", strings.NewReader(obs))
	req.Header.Set("Authorization", "Bearer "+r.tok)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	code := res.StatusCode
	t.Logf("PUT after the journal became a directory: %d %.400s", code, body)
	if !strings.Contains(string(body), `"resourceType":"OperationOutcome"`) {
		t.Errorf("the 500 is not an OperationOutcome: %.300s", body)
	}
	codes = append(codes, code)
	rc, rb := review48cReadyz(r.p)
	t.Logf("/readyz: %d %s", rc, rb)
	for _, c := range codes {
		if c > 0 && c < 300 {
			t.Errorf("a request was answered %d with no journal to hold its entry", c)
		}
	}
	if rc == 200 {
		t.Errorf("/readyz answers 200 %s while the journal cannot be written", rb)
	}
	for _, l := range strings.Split(r.p.stderr.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Logf("server: %.300s", l)
		}
	}
}
