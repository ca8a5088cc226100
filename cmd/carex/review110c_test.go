package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// review110c: a crash at any moment (SPEC §6, §7). Reuses crash_test.go's
// crashRig/startCarex and review 57c's export/check/verify helpers.

// r110cLoad runs creates, transactions, reads, 404s and an IG officer's log
// queries until stop. acked: request id -> status; created: request id ->
// Location of each 201 create.
type r110cLoad struct {
	mu      sync.Mutex
	acked   map[string]int
	created map[string]string
	stop    atomic.Bool
	wg      sync.WaitGroup
}

func r110cDo(c *http.Client, base, method, path, token, reqID, body string) (int, string, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", reqID)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, "", "", err // the body did not arrive whole: not an answer
	}
	return res.StatusCode, res.Header.Get("X-Request-Id"), res.Header.Get("Location"), nil
}

func r110cIG(t *testing.T, r *crashRig) string {
	t.Helper()
	code, out, errs := e2eRun(t, "token", "--dev-key", r.devKey, "--sub", "r110c-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	return strings.TrimSpace(out)
}

func r110cRun(r *crashRig, p *proc, ig, prefix string, workers int) *r110cLoad {
	l := &r110cLoad{acked: map[string]int{}, created: map[string]string{}}
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"},"valueQuantity":{"value":72,"unit":"/min"}}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:8b5c1a52-0c1e-4c1b-9a55-2f7c3c1d0a01","resource":` + obs + `,"request":{"method":"POST","url":"Observation"}},{"resource":` + obs + `,"request":{"method":"POST","url":"Observation"}}]}`
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.stop.Load(); i++ {
				id := fmt.Sprintf("%s-%d-%d", prefix, w, i)
				var code int
				var loc string
				var err error
				switch i % 6 {
				case 0, 1:
					code, _, loc, err = r110cDo(r.client, p.base, "POST", "/fhir/Observation", r.tok, id, obs)
				case 2:
					code, _, _, err = r110cDo(r.client, p.base, "POST", "/fhir", r.tok, id, tx)
				case 3:
					code, _, _, err = r110cDo(r.client, p.base, "GET", "/fhir/AuditEvent?patient=crash&_count=50", ig, id, "")
				case 4:
					code, _, _, err = r110cDo(r.client, p.base, "GET", "/fhir/Patient/crash/$everything", r.tok, id, "")
				default:
					code, _, _, err = r110cDo(r.client, p.base, "GET", "/fhir/Observation/nosuch110c", r.tok, id, "")
				}
				if err != nil {
					if l.stop.Load() {
						return
					}
					time.Sleep(5 * time.Millisecond)
					continue
				}
				l.mu.Lock()
				l.acked[id] = code
				if code == 201 && loc != "" {
					l.created[id] = loc
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// r110cReadable: every Location a 201 create answered is readable by its
// source after the restart.
func r110cReadable(t *testing.T, stage string, r *crashRig, p *proc, created map[string]string) {
	t.Helper()
	var lost []string
	for id, loc := range created {
		path := loc
		if i := strings.Index(path, "/fhir/"); i >= 0 {
			path = path[i:]
		}
		if i := strings.Index(path, "/_history"); i >= 0 {
			path = path[:i]
		}
		code, _, _, err := r110cDo(r.client, p.base, "GET", path, r.tok, "r110c-read-"+id, "")
		if err != nil || code != 200 {
			lost = append(lost, fmt.Sprintf("%s %s -> %d %v", id, path, code, err))
		}
	}
	if len(lost) > 0 {
		t.Errorf("%s: %d of %d acknowledged creates not readable by their source, e.g. %v", stage, len(lost), len(created), lost[:min(5, len(lost))])
	}
	t.Logf("%s: %d acknowledged creates read back", stage, len(created))
}

// TestReview110cSoundKillAtVariedMoments: SIGKILL at 0.2 s, 1.5 s and ~11 s
// (across the 10 s checkpoint) into a load of creates, transactions, reads,
// 404s and an IG officer's AuditEvent queries. After each: export before
// restart holds every answered request; restart; every 201 create is
// readable; export again; verify passes.
func TestReview110cSoundKillAtVariedMoments(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and kills a real carex process under load: run without -race")
	}
	r := newCrashRig(t)
	ig := r110cIG(t, r)
	dir := filepath.Dir(r.db)
	all := map[string]int{"seed": 201}
	created := map[string]string{}
	p := r.p
	for round, after := range []time.Duration{200 * time.Millisecond, 1500 * time.Millisecond, 10700 * time.Millisecond} {
		l := r110cRun(r, p, ig, fmt.Sprintf("k110c%d", round), 8)
		time.Sleep(after)
		p.cmd.Process.Kill()
		p.cmd.Wait()
		l.stop.Store(true)
		l.wg.Wait()
		st := map[int]int{}
		for id, c := range l.acked {
			all[id] = c
			st[c]++
		}
		for id, loc := range l.created {
			created[id] = loc
		}
		t.Logf("round %d (kill at %v): %d answered, statuses %v", round, after, len(l.acked), st)
		byID, seqs, err := review57cExport(t, r.db, filepath.Join(dir, "dead.ndjson"))
		if err != nil {
			t.Fatalf("round %d export after kill: %v", round, err)
		}
		review57cCheck(t, fmt.Sprintf("round %d after SIGKILL", round), all, byID, seqs)
		review57cVerify(t, fmt.Sprintf("round %d after SIGKILL", round), r)
		p = startCarex(t, r.bin, r.args...)
		r110cReadable(t, fmt.Sprintf("round %d after restart", round), r, p, created)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("graceful stop: %v\n%s", err, p.stderr.String())
	}
	review57cVerify(t, "final", r)
	review57cStatuses(t, r.db, all)
}

// r110cKillMidWrites kills a server under a write load and returns the
// acknowledged creates.
func r110cKillMidWrites(t *testing.T, r *crashRig, p *proc, prefix string) (map[string]string, map[string]int) {
	t.Helper()
	l := r110cRun(r, p, r110cIG(t, r), prefix, 8)
	time.Sleep(800 * time.Millisecond)
	p.cmd.Process.Kill()
	p.cmd.Wait()
	l.stop.Store(true)
	l.wg.Wait()
	if len(l.created) < 10 {
		t.Fatalf("only %d creates acknowledged", len(l.created))
	}
	l.acked["seed"] = 201
	return l.created, l.acked
}

// TestReview110cSoundJournalCutAtKillRefusedOrRecovered: after a SIGKILL,
// the -audit journal is cut by a few bytes at the end of its written part
// (where the last acknowledged entries are): the restart must refuse with a
// message, or start with every answered entry; never start short.
func TestReview110cSoundJournalCutAtKillRefusedOrRecovered(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and kills a real carex process: run without -race")
	}
	r := newCrashRig(t)
	created, acked := r110cKillMidWrites(t, r, r.p, "j110c")
	jf := accessLogPath(r.db) + "-audit"
	b, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	t.Logf("journal %d bytes, written up to %d", len(b), end)
	if end == 0 {
		t.Skip("journal already copied and emptied at the kill")
	}
	b = append(b[:end-7:end-7], make([]byte, len(b)-(end-7))...) // the last 7 written bytes zeroed, length kept
	if err := os.WriteFile(jf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	t.Logf("verify on the cut journal: exit %d\n%s%s", code, out, errOut)
	p, done, serr := review57cTry(t, r.bin, r.args...)
	if p == nil {
		t.Logf("serve refused: %s", serr)
		return
	}
	t.Logf("serve started on the cut journal")
	r110cReadable(t, "journal cut", r, p, created)
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-done // (review57cTry waits for it: a second Wait hung the package past its timeout)
	// (Every answered request's entry is not asserted here: the journal's
	// last written record may be an answered batch's, durable before its
	// answers, and zeroing it is then a change to the log's newest entries,
	// not yet hashed or signed — the README's limit ("Someone who can write
	// the database files … can cut off the newest entries") — rather than
	// a torn write, which only an unanswered batch can suffer. A full run
	// found one answered read missing so, 1 in 170.)
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "j.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for id := range acked {
		if _, ok := byID[id]; !ok {
			missing++
		}
	}
	t.Logf("after the journal cut: %d of %d answered requests without an entry (%d entries exported)", missing, len(acked), len(seqs))
	review57cVerify(t, "after the journal cut", r)
}

// TestReview110cRecordsWalCutRefused: after a
// SIGKILL under writes, copies of the files are made with the records'
// -wal cut (its last 64 KiB, half of it, all of it: a torn copy an
// operator might restore, or a file system that lost its tail), the access
// log and journal kept whole. Expected (judgement from SPEC §7 "a crash at
// any moment loses no acknowledged write", and the brief's "refuse to
// start with a clear message or recover, never serve silently
// shortened"): serve refuses, or every 201 create is still readable. The
// access log holds the created versions it released, so carex could tell.
// Seen: serve starts ("access log verified"), no warning, 3 (WAL removed)
// and 50 (WAL cut in half) of 252 answered 201 creates are 404, and
// `carex audit verify` passes. Not a state a kill -9 leaves
// (synchronous=FULL); one a torn copy or a lost file tail leaves.
func TestReview110cRecordsWalCutRefused(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and kills a real carex process: run without -race")
	}
	r := newCrashRig(t)
	created, _ := r110cKillMidWrites(t, r, r.p, "w110c")
	wal := r.db + "-wal"
	fi, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("records -wal %d bytes at the kill", fi.Size())
	for _, cut := range []int64{0, fi.Size() / 2} {
		dir := t.TempDir()
		db := filepath.Join(dir, "c.db")
		for _, f := range []string{"", "-wal", "-shm"} {
			if b, err := os.ReadFile(r.db + f); err == nil {
				os.WriteFile(db+f, b, 0o600)
			}
		}
		for _, f := range []string{"", "-wal", "-shm", "-audit"} {
			if b, err := os.ReadFile(accessLogPath(r.db) + f); err == nil {
				os.WriteFile(accessLogPath(db)+f, b, 0o600)
			}
		}
		if err := os.Truncate(db+"-wal", cut); err != nil {
			t.Fatal(err)
		}
		args := append([]string(nil), r.args...)
		for k := range args {
			if args[k] == r.db {
				args[k] = db
			}
		}
		code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", r.logKey+".pub")
		t.Logf("-wal cut to %d: verify exit %d: %s", cut, code, r110cTail(out+errOut, 400))
		p, done, serr := review57cTry(t, r.bin, args...)
		if p == nil {
			t.Logf("-wal cut to %d: serve refused: %s", cut, r110cTail(serr, 600))
			if strings.Contains(serr, "the records database is damaged") {
				// (killed while a checkpoint copied pages into carex.db:
				// without its -wal the file is half of two moments, which
				// no flag serves)
				if code == 0 {
					t.Errorf("-wal cut to %d: audit verify passed on damaged records: %s", cut, r110cTail(out+errOut, 400))
				}
				continue
			}
			if !strings.Contains(serr, "acknowledged writes") || !strings.Contains(serr, "--accept-lost-writes") {
				t.Errorf("-wal cut to %d: serve refused without saying why: %s", cut, r110cTail(serr, 600))
			}
			if !strings.Contains(out, "acknowledged writes released") && !strings.Contains(out+errOut, "the records database is damaged") {
				t.Errorf("-wal cut to %d: audit verify does not say the records lack acknowledged writes: %s", cut, r110cTail(out, 600))
			}
			// Once the loss is an incident, the operator serves what is
			// left (fixed with review 110c).
			p, done, serr = review57cTry(t, r.bin, append(args, "--accept-lost-writes-before", r112bAcceptBefore(t, serr))...)
			if p == nil && strings.Contains(serr, "the records database is damaged") {
				t.Logf("-wal cut to %d: the records lost writes and are damaged too (their index and table disagree), which no flag serves: %s", cut, r110cTail(serr, 400))
				continue
			}
			if p == nil {
				t.Fatalf("-wal cut to %d: serve --accept-lost-writes refused: %s", cut, r110cTail(serr, 600))
			}
			if !strings.Contains(p.stderr.String(), "accept-lost-writes") {
				t.Errorf("-wal cut to %d: serve --accept-lost-writes did not say what it serves: %s", cut, r110cTail(p.stderr.String(), 600))
			}
			p.cmd.Process.Signal(syscall.SIGTERM)
			<-done
			continue
		}
		r110cReadable(t, fmt.Sprintf("records -wal cut to %d of %d bytes, serve started", cut, fi.Size()), r, p, created)
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Errorf("-wal cut to %d: serve still running 60 s after SIGTERM", cut)
			p.cmd.Process.Kill()
			<-done
		}
		t.Logf("-wal cut to %d: server log: %s", cut, r110cTail(p.stderr.String(), 1500))
	}
}

// TestReview110cSoundFileSizeLimit: carex serve under `ulimit -f` (writes
// past the limit fail with EFBIG, Go ignores SIGXFSZ): no request is
// answered 2xx without being stored and logged; after a restart without
// the limit every answered request has its entry and verify passes.
func TestReview110cSoundFileSizeLimit(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds a real carex process: run without -race")
	}
	r := newCrashRig(t)
	r.p.cmd.Process.Signal(syscall.SIGTERM)
	r.p.cmd.Wait()
	var sizes []string
	for _, f := range []string{r.db, r.db + "-wal", accessLogPath(r.db), accessLogPath(r.db) + "-wal", accessLogPath(r.db) + "-audit"} {
		if fi, err := os.Stat(f); err == nil {
			sizes = append(sizes, fmt.Sprintf("%s=%d", filepath.Base(f), fi.Size()))
		}
	}
	t.Logf("files after seed: %v", sizes)
	wrap := filepath.Join(filepath.Dir(r.db), "limited.sh")
	// 512-byte blocks: 12 MiB, above every file at start, reached by the load
	os.WriteFile(wrap, []byte("#!/bin/sh\nulimit -f 24576\nexec "+r.bin+" \"$@\"\n"), 0o755)
	p := startCarex(t, wrap, r.args...)
	l := r110cRun(r, p, r110cIG(t, r), "f110c", 8)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		l.mu.Lock()
		n5 := 0
		for _, c := range l.acked {
			if c >= 500 {
				n5++
			}
		}
		l.mu.Unlock()
		if n5 > 50 {
			break
		}
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	l.stop.Store(true)
	l.wg.Wait()
	st := map[int]int{}
	for _, c := range l.acked {
		st[c]++
	}
	t.Logf("under ulimit -f: statuses %v\nserver log tail: %s", st, r110cTail(p.stderr.String(), 1500))
	l.acked["seed"] = 201
	p2 := startCarex(t, r.bin, r.args...)
	r110cReadable(t, "after the file-size limit", r, p2, l.created)
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "f.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	// a 500 "the access log cannot be written" has no entry by design
	// (README: the response is replaced by a 500 and nothing released); a
	// change it answered must come back entry-recovered
	answered := map[string]int{}
	for id, c := range l.acked {
		if c != 500 {
			answered[id] = c
		}
	}
	review57cCheck(t, "after the file-size limit (500s aside)", answered, byID, seqs)
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(r.db), "f.ndjson"))
	t.Logf("export lines carrying entry-recovered: %d; restart log: %s", strings.Count(string(b), "entry-recovered"), r110cTail(p2.stderr.String(), 600))
	review57cVerify(t, "after the file-size limit", r)
}

func r110cTail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
