package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// review57cLoad runs workers concurrent clients against p with a mix of
// reads, searches, $everything, writes, transactions, 401s and 404s until
// stop; every response that came back with a status is recorded in acked
// (request id -> status).
type review57cLoad struct {
	mu      sync.Mutex
	acked   map[string]int
	ackedAt map[string]time.Time
	sent    atomic.Int64
	stop    atomic.Bool
	wg      sync.WaitGroup
	badID   atomic.Int64 // responses whose X-Request-Id was not ours
}

func review57cRun(t *testing.T, r *crashRig, p *proc, prefix string, workers int) *review57cLoad {
	l := &review57cLoad{acked: map[string]int{}, ackedAt: map[string]time.Time{}}
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"},"valueQuantity":{"value":72,"unit":"/min"}}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Patient/crash"}},{"fullUrl":"urn:uuid:8b5c1a52-0c1e-4c1b-9a55-2f7c3c1d0a01","resource":` + obs + `,"request":{"method":"POST","url":"Observation"}}]}`
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.stop.Load(); i++ {
				id := fmt.Sprintf("%s-%d-%d", prefix, w, i)
				var code int
				var got string
				var err error
				switch i % 8 {
				case 0:
					code, got, err = p.do(r.client, "GET", "/fhir/Patient/crash", r.tok, id, "")
				case 1:
					code, got, err = p.do(r.client, "GET", "/fhir/Patient?_count=5", r.tok, id, "")
				case 2:
					code, got, err = p.do(r.client, "GET", "/fhir/Patient/crash/$everything", r.tok, id, "")
				case 3:
					code, got, err = p.do(r.client, "POST", "/fhir/Observation", r.tok, id, obs)
				case 4:
					code, got, err = p.do(r.client, "GET", "/fhir/Patient/crash", "not-a-token", id, "")
				case 5:
					code, got, err = p.do(r.client, "GET", "/fhir/Observation?patient=crash&_count=5", r.tok, id, "")
				case 6:
					code, got, err = p.do(r.client, "POST", "/fhir", r.tok, id, tx)
				default:
					code, got, err = p.do(r.client, "GET", "/fhir/Patient/nosuch57c", r.tok, id, "")
				}
				l.sent.Add(1)
				if err != nil {
					if l.stop.Load() {
						return
					}
					time.Sleep(5 * time.Millisecond) // server gone or going: try again until told to stop
					continue
				}
				if got != id {
					l.badID.Add(1)
				}
				l.mu.Lock()
				l.acked[id] = code
				l.ackedAt[id] = time.Now()
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *review57cLoad) end() { l.stop.Store(true); l.wg.Wait() }

// review57cExport runs carex audit export and returns request id -> seqs
// and every seq seen.
func review57cExport(t *testing.T, db, out string) (byID map[string][]int64, seqs []int64, err error) {
	os.Remove(out)
	code, _, errOut := e2eRun(t, "audit", "export", "--db", db, "--out", out, "--no-verify") // verified apart (review57cVerify)
	if code != 0 {
		return nil, nil, fmt.Errorf("export exit %d: %s", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	byID = map[string][]int64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev struct {
			ID     string `json:"id"`
			Entity []struct {
				Type struct {
					Code string `json:"code"`
				} `json:"type"`
				What *struct {
					Identifier *struct {
						Value string `json:"value"`
					} `json:"identifier"`
				} `json:"what"`
			} `json:"entity"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, nil, err
		}
		var seq int64
		fmt.Sscan(ev.ID, &seq)
		seqs = append(seqs, seq)
		for _, en := range ev.Entity {
			if en.Type.Code == "XrequestId" && en.What != nil && en.What.Identifier != nil {
				byID[en.What.Identifier.Value] = append(byID[en.What.Identifier.Value], seq)
			}
		}
	}
	return byID, seqs, sc.Err()
}

// review57cCheck: every id in acked is in byID exactly once; seqs run
// 0..n-1 with no gap and no repeat.
func review57cCheck(t *testing.T, stage string, acked map[string]int, byID map[string][]int64, seqs []int64) {
	t.Helper()
	var missing, twice []string
	for id := range acked {
		switch n := len(byID[id]); {
		case n == 0:
			missing = append(missing, fmt.Sprintf("%s(%d)", id, acked[id]))
		case n > 1:
			twice = append(twice, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d answered requests have no entry in audit export, e.g. %v", stage, len(missing), len(acked), missing[:min(8, len(missing))])
	}
	if len(twice) > 0 {
		t.Errorf("%s: %d requests exported more than once, e.g. %v", stage, len(twice), twice[:min(5, len(twice))])
	}
	s := append([]int64(nil), seqs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	for i, q := range s {
		if q != int64(i) {
			t.Errorf("%s: export's sequence breaks at position %d: seq %d", stage, i, q)
			break
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("%s: export out of order at line %d: %d after %d", stage, i, seqs[i], seqs[i-1])
			break
		}
	}
	t.Logf("%s: %d answered requests all checked against %d exported entries (%d missing)", stage, len(acked), len(seqs), len(missing))
}

func review57cVerify(t *testing.T, stage string, r *crashRig) {
	t.Helper()
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("%s: audit verify exit %d\n%s%s", stage, code, out, errOut)
	} else {
		t.Logf("%s: verify: %s", stage, strings.TrimSpace(strings.ReplaceAll(out, "\n", " | ")))
	}
}

// TestReview57cSoundKillMidMixedLoadTwice: 16 clients (reads, searches,
// $everything, writes, transactions, 401s, 404s) against carex serve, with
// audit export and verify run while it serves; SIGKILL mid-load; export and
// verify before the restart, after it, and again after a second kill: every
// answered request has exactly one entry, the sequence has no gap.
func TestReview57cSoundKillMidMixedLoadTwice(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and kills a real carex process under load: run without -race")
	}
	r := newCrashRig(t)
	dir := filepath.Dir(r.db)
	all := map[string]int{"seed": 201}
	p := r.p
	for round := range 2 {
		l := review57cRun(t, r, p, fmt.Sprintf("k57r%d", round), 16)
		// exports while serving: each must hold every request answered
		// before it started
		for k := range 3 {
			time.Sleep(400 * time.Millisecond)
			l.mu.Lock()
			before := map[string]int{}
			for id, c := range l.acked {
				before[id] = c
			}
			l.mu.Unlock()
			byID, seqs, err := review57cExport(t, r.db, filepath.Join(dir, "live.ndjson"))
			if err != nil {
				t.Errorf("round %d export %d while serving: %v", round, k, err)
				continue
			}
			for id, c := range all {
				before[id] = c
			}
			review57cCheck(t, fmt.Sprintf("round %d live export %d", round, k), before, byID, seqs)
			code, out, errOut := e2eRun(t, "audit", "verify", "--db", r.db, "--pubkey", r.logKey+".pub")
			if code != 0 {
				t.Errorf("round %d verify %d while serving: exit %d\n%s%s", round, k, code, out, errOut)
			}
		}
		time.Sleep(300 * time.Millisecond)
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		l.end()
		if l.badID.Load() > 0 {
			t.Errorf("round %d: %d responses carried another request id", round, l.badID.Load())
		}
		statuses := map[int]int{}
		for id, c := range l.acked {
			all[id] = c
			statuses[c]++
		}
		t.Logf("round %d: %d sent, %d answered before SIGKILL, statuses %v", round, l.sent.Load(), len(l.acked), statuses)
		byID, seqs, err := review57cExport(t, r.db, filepath.Join(dir, "dead.ndjson"))
		if err != nil {
			t.Fatalf("round %d export after kill: %v", round, err)
		}
		review57cCheck(t, fmt.Sprintf("round %d after SIGKILL, before restart", round), all, byID, seqs)
		review57cVerify(t, fmt.Sprintf("round %d after SIGKILL", round), r)
		p = startCarex(t, r.bin, r.args...)
		for i := range 3 {
			id := fmt.Sprintf("after57c-%d-%d", round, i)
			code, _, err := p.do(r.client, "GET", "/fhir/Patient/crash", r.tok, id, "")
			if err != nil || code != 200 {
				t.Fatalf("after restart: %d %v", code, err)
			}
			all[id] = code
		}
		byID, seqs, err = review57cExport(t, r.db, filepath.Join(dir, "restarted.ndjson"))
		if err != nil {
			t.Fatalf("round %d export after restart: %v", round, err)
		}
		review57cCheck(t, fmt.Sprintf("round %d after restart", round), all, byID, seqs)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("graceful stop: %v\n%s", err, p.stderr.String())
	}
	review57cVerify(t, "final", r)
	review57cStatuses(t, r.db, all)
}

// review57cStatuses: each answered request's entry (in the tables) carries
// the status the client saw.
func review57cStatuses(t *testing.T, db string, acked map[string]int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+accessLogPath(db)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT json_extract(entry, '$.request_id'), json_extract(entry, '$.status') FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	logged := map[string]int{}
	for rows.Next() {
		var id sql.NullString
		var st sql.NullInt64
		rows.Scan(&id, &st)
		logged[id.String] = int(st.Int64)
	}
	var wrong []string
	for id, c := range acked {
		if got, ok := logged[id]; !ok || got != c {
			wrong = append(wrong, fmt.Sprintf("%s: answered %d, logged %d (present %v)", id, c, got, ok))
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		t.Errorf("%d answered requests whose entry is missing or has another status, e.g. %v", len(wrong), wrong[:min(8, len(wrong))])
	}
	t.Logf("tables: %d entries; %d answered requests checked for status", len(logged), len(acked))
}

// TestReview57cSoundSIGTERMUnderLoad: SIGTERM while 16 clients run the
// mixed load; every response that came back is logged with its status,
// serve exits 0, the log verifies.
func TestReview57cSoundSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds a real carex process under load: run without -race")
	}
	r := newCrashRig(t)
	l := review57cRun(t, r, r.p, "t57", 16)
	time.Sleep(1500 * time.Millisecond)
	r.p.cmd.Process.Signal(syscall.SIGTERM)
	err := r.p.cmd.Wait()
	l.end()
	if err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, r.p.stderr.String())
	}
	statuses := map[int]int{}
	for _, c := range l.acked {
		statuses[c]++
	}
	t.Logf("%d sent, %d answered, statuses %v", l.sent.Load(), len(l.acked), statuses)
	l.acked["seed"] = 201
	byID, seqs, err := review57cExport(t, r.db, filepath.Join(filepath.Dir(r.db), "term.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	review57cCheck(t, "after SIGTERM", l.acked, byID, seqs)
	review57cStatuses(t, r.db, l.acked)
	review57cVerify(t, "after SIGTERM", r)
}
