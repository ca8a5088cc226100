package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Review 111b: re-read of review 110c's start-up check of the records
// against the access log (recordscheck.go). Reuses crash_test.go's
// crashRig, review 57c's review57cTry and review 110c's r110cDo.

// r111bStop stops p with SIGTERM and waits for it.
func r111bStop(t *testing.T, p *proc) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve still running 60 s after SIGTERM")
	}
}

// TestReview111bSoundRestartAfterOrdinaryWrites: after a delete, a
// conditional create that matched, a batch with a failed entry, a
// transaction with Prefer: return=minimal, an update superseding versions
// that reads and $everything released, an IG officer's log search, and a
// SIGTERM, serve starts again without --accept-lost-writes, and audit
// verify says nothing of lost writes.
func TestReview111bSoundRestartAfterOrdinaryWrites(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and runs a real carex process: run without -race")
	}
	r := newCrashRig(t)
	ig := r110cIG(t, r)
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"},"identifier":[{"system":"https://gp.example/Id/obs","value":"R111B-1"}],"valueQuantity":{"value":72,"unit":"/min"}}`
	type req struct {
		method, path, body string
		hdr                []string
	}
	steps := []req{
		{"PUT", "/fhir/Observation/r111b-a", strings.Replace(obs, `"status"`, `"id":"r111b-a","status"`, 1), nil},
		{"GET", "/fhir/Observation/r111b-a", "", nil},
		{"GET", "/fhir/Patient/crash/$everything", "", nil},
		{"PUT", "/fhir/Observation/r111b-a", strings.Replace(strings.Replace(obs, `"status"`, `"id":"r111b-a","status"`, 1), "72", "73", 1), nil},
		{"POST", "/fhir/Observation", obs, []string{"If-None-Exist", "identifier=https://gp.example/Id/obs|R111B-1"}},
		{"PUT", "/fhir/Observation/r111b-b", strings.Replace(obs, `"status"`, `"id":"r111b-b","status"`, 1), nil},
		{"DELETE", "/fhir/Observation/r111b-b", "", nil},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + obs + `,"request":{"method":"POST","url":"Observation"}},{"request":{"method":"GET","url":"Observation/nosuch"}},{"resource":{"resourceType":"Observation"},"request":{"method":"PUT","url":"Observation/bad"}}]}`, nil},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + obs + `,"request":{"method":"POST","url":"Observation"}}]}`, []string{"Prefer", "return=minimal"}},
		{"GET", "/fhir/AuditEvent?patient=crash", "", nil},
	}
	for i, s := range steps {
		tok := r.tok
		if strings.HasPrefix(s.path, "/fhir/AuditEvent") {
			tok = ig
		}
		code, err := r111bDo(r, s.method, s.path, tok, fmt.Sprintf("r111b-%d", i), s.body, s.hdr...)
		t.Logf("%s %s -> %d %v", s.method, s.path, code, err)
	}
	r111bStop(t, r.p)
	p, done, out := review57cTry(t, r.bin, r.args...)
	if p == nil {
		t.Fatalf("serve refused to start after ordinary writes and a SIGTERM: %s", r110cTail(out, 800))
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-done
	_, vout, verr := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	if strings.Contains(vout, "acknowledged writes") {
		t.Errorf("audit verify notes lost writes: %s %s", vout, verr)
	}
}

// r111bDo sends one request with extra header pairs (proc.do sets none).
func r111bDo(r *crashRig, method, path, token, reqID, body string, hdr ...string) (int, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.p.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", reqID)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// TestReview111bSoundStartCostWithLongLog: a records database with 300
// items for one person and an access log of 10,500 entries (most an
// $everything releasing all 301 versions, a write every tenth): the
// start-up check (loggedWritesMissing, timed in-process on the same files)
// and the whole restart stay well under serve's 15 s readiness budget.
func TestReview111bSoundStartCostWithLongLog(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and runs a real carex process: run without -race")
	}
	r := newCrashRig(t)
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"},"valueQuantity":{"value":72,"unit":"/min"}}`
	for i := range 300 {
		if code, _, err := r.p.do(r.client, "POST", "/fhir/Observation", r.tok, fmt.Sprintf("seed-%d", i), obs); err != nil || code != 201 {
			t.Fatalf("seed %d: %d %v", i, code, err)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	const total, workers = 10500, 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				if i%10 == 0 {
					r.p.do(r.client, "POST", "/fhir/Observation", r.tok, fmt.Sprintf("w-%d", i), obs)
				} else {
					r.p.do(r.client, "GET", "/fhir/Patient/crash/$everything?_count=1000", r.tok, fmt.Sprintf("e-%d", i), "")
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("load of %d requests: %v", total, time.Since(start))
	r111bStop(t, r.p)
	records, err := openReadOnly(r.db)
	if err != nil {
		t.Fatal(err)
	}
	logConn, err := openReadOnly(accessLogPath(r.db))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	lw, err := loggedWritesMissing(context.Background(), records, logConn, 0)
	missing, checked := lw.missing, lw.checked
	check := time.Since(t0)
	records.Close()
	logConn.Close()
	t.Logf("loggedWritesMissing: %v, checked %d, missing %d, err %v", check, checked, len(missing), err)
	if err != nil || len(missing) != 0 {
		t.Errorf("check on a whole database: missing %v err %v", missing[:min(3, len(missing))], err)
	}
	t1 := time.Now()
	p, done, out := review57cTry(t, r.bin, r.args...)
	startT := time.Since(t1)
	if p == nil {
		t.Fatalf("serve refused: %s", r110cTail(out, 800))
	}
	t.Logf("restart to healthy: %v", startT)
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-done
	if check > 10*time.Second {
		t.Errorf("COST: the start-up check took %v", check)
	}
}

// TestReview111bSoundBothWalsLostRefusedOrWhole: the copy review 110c
// guards against (carex.db without its -wal), made the way an operator
// most often makes it: every database file copied without its -wal,
// carex.db AND carex-access.db (its -audit journal kept). The records lose
// the writes their -wal held; the access log loses the entries its -wal
// held, which include those writes' entries, so the check finds nothing to
// miss? Expected (README "Records that lost writes", SPEC §6/§7): serve
// refuses saying why, or every acknowledged create reads back. Seen: the
// -audit journal still holds the newest entries, and serve refuses.
func TestReview111bSoundBothWalsLostRefusedOrWhole(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and kills a real carex process: run without -race")
	}
	r := newCrashRig(t)
	// A served database first (stopped cleanly: both main files whole),
	// then a server killed under load.
	warm, _ := r110cKillMidWrites(t, r, r.p, "w111b-warm")
	r.p = startCarex(t, r.bin, r.args...)
	r110cReadable(t, "warm-up restart", r, r.p, warm)
	r111bStop(t, r.p)
	r.p = startCarex(t, r.bin, r.args...)
	l := r110cRun(r, r.p, r110cIG(t, r), "w111b", 8)
	time.Sleep(3 * time.Second)
	r.p.cmd.Process.Kill()
	r.p.cmd.Wait()
	l.stop.Store(true)
	l.wg.Wait()
	created := l.created
	t.Logf("%d creates acknowledged before the kill", len(created))
	for _, f := range []string{r.db + "-wal", accessLogPath(r.db) + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			t.Logf("%s: %d bytes at the kill", filepath.Base(f), fi.Size())
		}
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	for _, f := range []string{"", "-audit"} {
		if b, err := os.ReadFile(r.db + f); err == nil {
			os.WriteFile(db+f, b, 0o600)
		}
		if b, err := os.ReadFile(accessLogPath(r.db) + f); err == nil {
			os.WriteFile(accessLogPath(db)+f, b, 0o600)
		}
	}
	args := append([]string(nil), r.args...)
	for k := range args {
		if args[k] == r.db {
			args[k] = db
		}
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", r.logKey+".pub")
	t.Logf("verify exit %d: %s", code, r110cTail(out+errOut, 400))
	p, done, serr := review57cTry(t, r.bin, args...)
	if p == nil {
		t.Logf("serve refused: %s", r110cTail(serr, 600))
		// (or the records' main file, read without its -wal after a
		// checkpoint was cut short, damaged: newestVersionsRead)
		if !strings.Contains(serr, "acknowledged writes") && !strings.Contains(serr, "the records database is damaged") && !strings.Contains(serr, "the access log is damaged") {
			t.Errorf("serve refused without saying why: %s", r110cTail(serr, 600))
		}
		return
	}
	r110cReadable(t, "both -wal files lost, serve started", r, p, created)
	t.Logf("server log: %s", r110cTail(p.stderr.String(), 800))
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-done
}

// TestReview111bAcceptLostWritesOnce: serve's refusal
// says "start once with --accept-lost-writes-before N" (recordscheck.go
// lostWritesError). After that one start, and writes answered by it, the
// next ordinary restart (a deploy, a reboot, systemd's restart) without
// the flag starts: the loss is recorded and accepted (review 111b: it
// refused again until 5,000 newer versions pushed the lost ones out of the
// check). A later loss is refused even with the first one's flag given
// again (review 112b).
func TestReview111bAcceptLostWritesOnce(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and kills a real carex process: run without -race")
	}
	r := newCrashRig(t)
	r110cKillMidWrites(t, r, r.p, "w111b-acc")
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	for _, f := range []string{"", "-shm"} { // the records' -wal left behind
		if b, err := os.ReadFile(r.db + f); err == nil {
			os.WriteFile(db+f, b, 0o600)
		}
	}
	for _, f := range []string{"", "-wal", "-shm", "-audit"} {
		if b, err := os.ReadFile(accessLogPath(r.db) + f); err == nil {
			os.WriteFile(accessLogPath(db)+f, b, 0o600)
		}
	}
	args := append([]string(nil), r.args...)
	for k := range args {
		if args[k] == r.db {
			args[k] = db
		}
	}
	p, done, serr := review57cTry(t, r.bin, args...)
	if p != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-done
		t.Skip("premise: the copy without its -wal lost no acknowledged write this time")
	}
	if strings.Contains(serr, "the records database is damaged") {
		// (the -wal left behind may hold half a page the records need:
		// then the refusal is "damaged", which no flag overrides)
		t.Skip("premise: the copy without its -wal was damaged this time, not short of writes")
	}
	if !strings.Contains(serr, "start once with --accept-lost-writes") {
		t.Fatalf("premise: the refusal: %s", r110cTail(serr, 600))
	}
	firstRefusal := serr
	p, done, serr = review57cTry(t, r.bin, append(args, "--accept-lost-writes-before", r112bAcceptBefore(t, serr))...)
	if p == nil && strings.Contains(serr, "the records database is damaged") {
		t.Skip("premise: the copy without its -wal lost writes and was damaged too this time, which no flag accepts")
	}
	if p == nil {
		t.Fatalf("premise: --accept-lost-writes: %s", r110cTail(serr, 600))
	}
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"}}`
	for i := range 20 {
		if code, _, err := p.do(r.client, "POST", "/fhir/Observation", r.tok, fmt.Sprintf("after-%d", i), obs); err != nil || code != 201 {
			t.Fatalf("write after accepting: %d %v", code, err)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-done
	p, done, serr = review57cTry(t, r.bin, args...)
	if p == nil {
		t.Errorf("WRONG: after one start with --accept-lost-writes (as the refusal says: \"start once\") and 20 writes, an ordinary restart refuses again: %s", r110cTail(serr, 500))
		return
	}
	// A later loss is refused, though the flag of the first is given
	// again (left in a service's configuration: review 112b).
	before := r112bAcceptBefore(t, firstRefusal)
	for i := range 20 {
		if code, _, err := p.do(r.client, "POST", "/fhir/Observation", r.tok, fmt.Sprintf("later-%d", i), obs); err != nil || code != 201 {
			t.Fatalf("write after restarting: %d %v", code, err)
		}
	}
	p.cmd.Process.Kill()
	<-done
	dir2 := t.TempDir()
	db2 := filepath.Join(dir2, "c.db")
	for _, f := range []string{"", "-shm"} { // the records' -wal left behind again
		if b, err := os.ReadFile(db + f); err == nil {
			os.WriteFile(db2+f, b, 0o600)
		}
	}
	for _, f := range []string{"", "-wal", "-shm", "-audit"} {
		if b, err := os.ReadFile(accessLogPath(db) + f); err == nil {
			os.WriteFile(accessLogPath(db2)+f, b, 0o600)
		}
	}
	args2 := append([]string(nil), args...)
	for k := range args2 {
		if args2[k] == db {
			args2[k] = db2
		}
	}
	p, done, serr = review57cTry(t, r.bin, append(args2, "--accept-lost-writes-before", before)...)
	if p != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-done
		t.Errorf("a second loss, after the accepted one, was served under the first one's --accept-lost-writes-before %s", before)
		return
	}
	if !strings.Contains(serr, "acknowledged writes") {
		t.Errorf("the second loss refused without saying why: %s", r110cTail(serr, 500))
	}
}

// r112bAcceptBefore is the log position serve's refusal names for
// --accept-lost-writes-before (revision of review 112b: the flag names the
// loss it accepts).
func r112bAcceptBefore(t *testing.T, refusal string) string {
	t.Helper()
	_, after, ok := strings.Cut(refusal, "--accept-lost-writes-before ")
	n := 0
	for n < len(after) && after[n] >= '0' && after[n] <= '9' {
		n++
	}
	if !ok || n == 0 {
		t.Fatalf("the refusal names no --accept-lost-writes-before position: %s", r110cTail(refusal, 500))
	}
	return after[:n]
}
