package main

// Review 83b: an operator upgrading a running deployment from the previous
// release (99a550f, derivation revision 2026-12-06c) to this one (revision
// 2026-12-06d: an Encounter that is not a hospital stay carries the
// documents class too, so the social worker no longer sees GP
// consultations), step by step from README's `carex relabel` row.
//
// These probes run the previous release's real binary, built from the
// repository's history (git archive 99a550f + go build, once per machine,
// cached under the temp directory); they are skipped where git or that
// commit is not available.

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const review83bPrevious = "99a550f"

var (
	review83bOnce   sync.Once
	review83bBin    string
	review83bBinErr error
)

// review83bOld builds (once) the previous release's carex and returns it.
func review83bOld(t *testing.T) string {
	t.Helper()
	review83bOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "review83b-old-"+review83bPrevious)
		bin := filepath.Join(dir, "carex")
		if _, err := os.Stat(bin); err == nil {
			review83bBin = bin
			return
		}
		root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
		if err != nil {
			review83bBinErr = fmt.Errorf("git rev-parse: %v", err)
			return
		}
		src := filepath.Join(dir, "src")
		os.RemoveAll(src)
		if err := os.MkdirAll(src, 0o755); err != nil {
			review83bBinErr = err
			return
		}
		arch := exec.Command("sh", "-c", "git -C \"$1\" archive \"$2\" | tar -x -C \"$3\"", "sh", strings.TrimSpace(string(root)), review83bPrevious, src)
		if out, err := arch.CombinedOutput(); err != nil {
			review83bBinErr = fmt.Errorf("git archive %s: %v\n%s", review83bPrevious, err, out)
			return
		}
		build := exec.Command("go", "build", "-o", bin, "./cmd/carex")
		build.Dir = src
		if out, err := build.CombinedOutput(); err != nil {
			review83bBinErr = fmt.Errorf("go build %s: %v\n%s", review83bPrevious, err, out)
			return
		}
		review83bBin = bin
	})
	if review83bBin == "" {
		t.Skipf("the previous release's binary is not available: %v", review83bBinErr)
	}
	return review83bBin
}

// review83bExec runs a binary to completion.
func review83bExec(t *testing.T, bin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return 0, out.String(), errb.String()
}

// review83bProc is a server run from a binary (the previous release's).
type review83bProc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan struct{}
}

var review83bListening = regexp.MustCompile(`msg="carex listening" addr=(127\.0\.0\.1:[0-9]+)`)

func review83bStart(t *testing.T, bin string, args ...string) *review83bProc {
	t.Helper()
	p := &review83bProc{stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout = io.Discard
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("previous release's serve exited before listening:\n%s", p.stderr.String())
		default:
		}
		if m := review83bListening.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = "http://" + m[1]
			if res, err := http.Get(p.base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("previous release's serve not ready in 30s:\n%s", p.stderr.String())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// stop sends SIGTERM (what systemd sends) and waits.
func (p *review83bProc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("previous release's serve did not stop within 20 s of SIGTERM")
	}
}

// kill is a crash: SIGKILL.
func (p *review83bProc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

func review83bDo(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func review83bTok(t *testing.T, bin, key, sub, role, sector, org string) string {
	t.Helper()
	code, out, errs := review83bExec(t, bin, "token", "--dev-key", key, "--sub", sub, "--role", role, "--sector", sector, "--org", org)
	if code != 0 {
		t.Fatalf("token: %d %s", code, errs)
	}
	return strings.TrimSpace(out)
}

// review83bCounts: resources, versions, deleted resources, and the
// recorded lists.
func review83bCounts(t *testing.T, db string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var r, v, d int
	if err := conn.QueryRow(`SELECT (SELECT count(*) FROM resources), (SELECT count(*) FROM versions), (SELECT count(*) FROM resources WHERE deleted != 0)`).Scan(&r, &v, &d); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("resources %d, versions %d, deleted %d", r, v, d)
}

func review83bLists(t *testing.T, db string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var s string
	if err := conn.QueryRow(`SELECT value FROM carex_meta WHERE key = 'labelling_lists'`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func review83bCopy(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// review83bEncounters: the Encounter versions the previous release's server
// stores beside the generated population, for Jane (syn-0000005, who has a
// council care package, so the social worker has a relationship): a GP
// consultation (AMB) in two versions, one deleted after its first, and an
// admission (IMP).
const (
	review83bAmb  = `{"resourceType":"Encounter","id":"r83b-amb","status":"%s","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/syn-0000005"},"serviceProvider":{"reference":"Organization/A81001"},"period":{"start":"2026-11-02T10:00:00Z"},"reasonCode":[{"text":"low mood, counselling discussed"}]}`
	review83bGone = `{"resourceType":"Encounter","id":"r83b-gone","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/syn-0000005"},"period":{"start":"2026-11-03T10:00:00Z"},"reasonCode":[{"text":"erectile dysfunction review"}]}`
	review83bImp  = `{"resourceType":"Encounter","id":"r83b-imp","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/syn-0000005"},"period":{"start":"2026-11-04T10:00:00Z","end":"2026-11-06T10:00:00Z"},"hospitalization":{"dischargeDisposition":{"text":"home"}}}`
)

// TestReview83bSoundUpgradeStepByStep follows README's `carex relabel` row
// as an operator: records written and served by the previous release (a
// generated population, Encounters written through its API in several
// versions and a deletion, an access log with a checkpoint saved outside);
// this release's serve and import refuse them naming the relabel to run
// (with the --policy serve was given); a relabel while the old server runs
// is refused (lock) and changes nothing; after `carex relabel --policy`
// this release's serve starts, every version of the GP consultations is
// withheld from the social worker (read, vread, history, search,
// $everything) and released to the GP, the admissions still go to her; no
// resource or version is lost; the access log written before, by the old
// server, verifies against the saved checkpoint; the previous release then
// refuses the records ("upgrade carex, or restore a copy…"), and a copy of
// the records taken before the upgrade, restored, serves again under it
// beside the access log kept (which still verifies).
func TestReview83bSoundUpgradeStepByStep(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and runs the previous release: run without -race (go test ./cmd/carex -run TestReview83b)")
	}
	old := review83bOld(t)
	dir := t.TempDir()
	db, key, logKey, pol := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key"), filepath.Join(dir, "policy.yaml")
	access := filepath.Join(dir, "carex-access.db")
	if code, _, errs := review83bExec(t, old, "gen", "--people", "50", "--db", db, "--quiet"); code != 0 {
		t.Fatalf("old gen: %d\n%s", code, errs)
	}
	code, polText, errs := review83bExec(t, old, "policy", "show")
	if code != 0 {
		t.Fatalf("old policy show: %d %s", code, errs)
	}
	if err := os.WriteFile(pol, []byte(polText), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := []string{"--dev", "--db", db, "--dev-key", key, "--log-key", logKey, "--policy", pol}

	// 1. The previous release serves; writes and reads.
	p := review83bStart(t, old, serve...)
	sys := review83bTok(t, old, key, "gp-system", "system", "nhs", "A81001")
	sw := review83bTok(t, old, key, "sw1", "social-worker", "council", "E06000999")
	gp := review83bTok(t, old, key, "gp1", "gp", "nhs", "A81001")
	for _, w := range []struct{ method, path, body string }{
		{"PUT", "/fhir/Encounter/r83b-amb", fmt.Sprintf(review83bAmb, "in-progress")},
		{"PUT", "/fhir/Encounter/r83b-amb", fmt.Sprintf(review83bAmb, "finished")},
		{"PUT", "/fhir/Encounter/r83b-gone", review83bGone},
		{"DELETE", "/fhir/Encounter/r83b-gone", ""},
		{"PUT", "/fhir/Encounter/r83b-imp", review83bImp},
		{"PUT", "/fhir/Encounter/r83b-flip", strings.Replace(fmt.Sprintf(review83bAmb, "finished"), `"r83b-amb"`, `"r83b-flip"`, 1)},
		{"PUT", "/fhir/Encounter/r83b-flip", strings.Replace(review83bImp, `"r83b-imp"`, `"r83b-flip"`, 1)},
	} {
		if st, body := review83bDo(t, w.method, p.base+w.path, sys, w.body); st >= 300 {
			t.Fatalf("old server %s %s: %d\n%.400s", w.method, w.path, st, body)
		}
	}
	// The previous release released GP consultations to the social worker.
	if st, _ := review83bDo(t, "GET", p.base+"/fhir/Encounter/syn-0000005-enc16", sw, ""); st != 200 {
		t.Fatalf("old server: the social worker's read of a GP consultation %d, want 200 (the previous release's behaviour; set-up)", st)
	}
	for _, path := range []string{"/fhir/Encounter/r83b-amb", "/fhir/Encounter/r83b-imp", "/fhir/Patient/syn-0000005/$everything"} {
		review83bDo(t, "GET", p.base+path, sw, "")
		review83bDo(t, "GET", p.base+path, gp, "")
	}
	p.stop(t)
	cp := filepath.Join(dir, "checkpoint-before.txt")
	if code, out, errs := review83bExec(t, old, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", cp); code != 0 {
		t.Fatalf("old audit checkpoint: %d\n%s\n%s", code, out, errs)
	}
	_, exportBefore, _ := review83bExec(t, old, "audit", "export", "--db", db)
	entriesBefore := strings.Count(exportBefore, `"resourceType":"AuditEvent"`)
	if entriesBefore < 10 {
		t.Fatalf("old access log: %d entries, want at least 10", entriesBefore)
	}
	countsBefore := review83bCounts(t, db)
	listsBefore := review83bLists(t, db)
	// The backup README says to keep: the records, taken before the upgrade.
	backup := filepath.Join(dir, "backup")
	os.Mkdir(backup, 0o700)
	for _, f := range []string{db, db + "-wal", db + "-shm", access, access + "-wal", access + "-shm", access + "-audit"} {
		review83bCopy(t, f, filepath.Join(backup, filepath.Base(f)))
	}

	// 2. This release refuses the records until relabel has run.
	code, errs = runBriefly(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, serve...)...)
	want := "carex relabel --db " + db + " --policy " + pol
	if code == 0 || !strings.Contains(errs, want) {
		t.Errorf("new serve on the previous release's records: exit %d, want a refusal naming %q\n%s", code, want, errs)
	}
	imp := filepath.Join(dir, "p.json")
	os.WriteFile(imp, []byte(`{"resourceType":"Patient","id":"r83b-new","name":[{"family":"New"}]}`), 0o600)
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--policy", pol, "--quiet", imp); code == 0 || !strings.Contains(errs, "carex relabel") || !strings.Contains(errs, "nothing was imported") {
		t.Errorf("new import on the previous release's records: exit %d, want a refusal naming carex relabel\n%s\n%s", code, out, errs)
	}
	// 3. Relabel while the old server runs: refused, nothing changed.
	// (The new serve above moved the records to schema 16, which the
	// previous release refuses, as README says of an earlier carex: the
	// copy taken before the upgrade is restored first.)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
		review83bCopy(t, filepath.Join(backup, filepath.Base(f)), f)
	}
	p = review83bStart(t, old, serve...)
	code, out, errs := e2eRun(t, "relabel", "--db", db, "--policy", pol)
	if code == 0 || !strings.Contains(errs, "another process") || review83bLists(t, db) != listsBefore {
		t.Errorf("relabel beside the previous release's running server: exit %d, lists %q (were %q)\n%s\n%s", code, review83bLists(t, db), listsBefore, out, errs)
	}
	if st, _ := review83bDo(t, "GET", p.base+"/fhir/Encounter/r83b-imp", sw, ""); st != 200 {
		t.Errorf("old server beside a refused relabel: %d", st)
	}
	p.stop(t)

	// 4. The relabel README says to run, with the server stopped.
	code, out, errs = e2eRun(t, "relabel", "--db", db, "--policy", pol)
	if code != 0 || !strings.Contains(out, "changed: ") {
		t.Fatalf("relabel --policy: exit %d\n%s\n%s", code, out, errs)
	}
	if got := review83bCounts(t, db); got != countsBefore {
		t.Errorf("records after relabel: %s, before: %s", got, countsBefore)
	}
	s := e2eServe(t, e2eFreeAddr(t), append([]string{"--addr", "127.0.0.1:0"}, serve...)...)
	for _, path := range []string{
		"/fhir/Encounter/syn-0000005-enc16", "/fhir/Encounter/syn-0000005-enc20", "/fhir/Encounter/syn-0000005-enc14", "/fhir/Encounter/syn-0000005-enc30",
		"/fhir/Encounter/r83b-amb", "/fhir/Encounter/r83b-amb/_history", "/fhir/Encounter/r83b-amb/_history/1", "/fhir/Encounter/r83b-amb/_history/2",
		"/fhir/Encounter/r83b-gone/_history", "/fhir/Encounter/r83b-gone/_history/1", "/fhir/Encounter/r83b-gone", "/fhir/Encounter/r83b-flip/_history/1",
	} {
		if st, body := s.get(t, path, sw); st != 404 {
			t.Errorf("social worker %s after the upgrade: %d, want 404 (SPEC §1: not clinical notes)\n%.300s", path, st, body)
		}
	}
	for _, path := range []string{"/fhir/Encounter/syn-0000005-enc33", "/fhir/Encounter/r83b-imp", "/fhir/Encounter/r83b-imp/_history/1", "/fhir/Encounter/r83b-flip", "/fhir/Encounter/r83b-flip/_history/2"} {
		if st, body := s.get(t, path, sw); st != 200 {
			t.Errorf("social worker %s (an admission) after the upgrade: %d, want 200\n%.300s", path, st, body)
		}
	}
	for _, path := range []string{"/fhir/Encounter/syn-0000005-enc16", "/fhir/Encounter/r83b-amb/_history/1", "/fhir/Encounter/r83b-amb/_history/2", "/fhir/Encounter/r83b-gone/_history/1", "/fhir/Encounter/r83b-imp"} {
		if st, body := s.get(t, path, gp); st != 200 {
			t.Errorf("GP %s after the upgrade: %d, want 200\n%.300s", path, st, body)
		}
	}
	for _, path := range []string{"/fhir/Patient/syn-0000005/$everything", "/fhir/Encounter?patient=syn-0000005", "/fhir/Encounter?_count=500", "/fhir/Patient?_id=syn-0000005&_revinclude=Encounter:patient"} {
		st, body := s.get(t, path, sw)
		if st != 200 || strings.Contains(body, `"AMB"`) || strings.Contains(body, `"HH"`) || strings.Contains(body, `"VR"`) || strings.Contains(body, "low mood") {
			t.Errorf("social worker %s after the upgrade: %d, want 200 without a consultation\n%.600s", path, st, body)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("new serve: exit %d", code)
	}
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", cp); code != 0 {
		t.Errorf("audit verify with the checkpoint saved before the upgrade: exit %d\n%s\n%s", code, out, errs)
	}
	_, exportAfter, _ := e2eRun(t, "audit", "export", "--db", db)
	cpAfter := filepath.Join(dir, "checkpoint-after.txt")
	if code, out, errs := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", cpAfter); code != 0 {
		t.Fatalf("audit checkpoint after the upgrade: %d\n%s\n%s", code, out, errs)
	}
	if !strings.HasPrefix(exportAfter, exportBefore) {
		t.Errorf("the access log's entries written before the upgrade changed: %d bytes before, %d after", len(exportBefore), len(exportAfter))
	}

	// 5. Going back: the previous release refuses the relabelled records.
	code, _, errs = review83bExec(t, old, append([]string{"serve", "--addr", "127.0.0.1:0"}, serve...)...)
	// (schema 16 since review 82c: the previous release refuses the
	// records at open, "database schema version 16 is newer … upgrade
	// carex", before it reads their derivation)
	if code == 0 || !strings.Contains(errs, "upgrade carex, or restore a copy") && !strings.Contains(errs, "is newer than this carex") {
		t.Errorf("previous release's serve on relabelled records: exit %d, want a refusal (upgrade carex, or restore a copy…)\n%s", code, errs)
	}
	if code, _, errs := review83bExec(t, old, "import", "--db", db, "--org", "A81001", "--policy", pol, "--quiet", imp); code == 0 || !strings.Contains(errs, "upgrade carex") {
		t.Errorf("previous release's import on relabelled records: exit %d\n%s", code, errs)
	}
	if code, _, errs := review83bExec(t, old, "relabel", "--db", db, "--policy", pol); code == 0 || !strings.Contains(errs, "upgrade carex") {
		t.Errorf("previous release's relabel on relabelled records: exit %d\n%s", code, errs)
	}
	// ...and a copy of the records taken before the upgrade, restored, works
	// beside the access log kept.
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
		review83bCopy(t, filepath.Join(backup, filepath.Base(f)), f)
	}
	p = review83bStart(t, old, serve...)
	if st, body := review83bDo(t, "GET", p.base+"/fhir/Encounter/r83b-imp", sw, ""); st != 200 {
		t.Errorf("previous release on the restored copy: %d\n%.300s", st, body)
	}
	p.stop(t)
	if code, out, errs := review83bExec(t, old, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", cp); code != 0 {
		t.Errorf("previous release's audit verify after the restore: exit %d\n%s\n%s", code, out, errs)
	}
	// The access log restored from the same copy (README: "Back up and move
	// carex-access.db … together with carex.db") loses what this release
	// logged; README's limit: found only by a checkpoint kept outside.
	for _, f := range []string{access, access + "-wal", access + "-shm", access + "-audit"} {
		os.Remove(f)
		review83bCopy(t, filepath.Join(backup, filepath.Base(f)), f)
	}
	if code, out, _ := review83bExec(t, old, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", cpAfter); code == 0 {
		t.Errorf("a log restored from before the upgrade verifies against the checkpoint saved after it:\n%s", out)
	}
	if !strings.Contains(exportAfter, "r83b-amb") {
		t.Errorf("set-up: no entry of the upgrade's reads")
	}
}

// TestReview83bSoundInterruptedRelabel: while this release's relabel of
// the previous release's 2,000 generated people runs, the previous
// release's serve and import are refused ("being relabelled"); the relabel
// stopped part-way (Ctrl-C: the context cancelled) keeps the records refused by this release's serve and import,
// naming the relabel to run again, and by the previous release's serve
// (they are marked with this release's revision); a relabel run to the end
// then leaves every resource and version with exactly the derived columns
// (class, labels, people, codes, care dates) and compartment rows that
// this release's own gen writes for the same population.
func TestReview83bSoundInterruptedRelabel(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and runs the previous release: run without -race (go test ./cmd/carex -run TestReview83b)")
	}
	old := review83bOld(t)
	dir := t.TempDir()
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, _, errs := review83bExec(t, old, "gen", "--people", "2000", "--db", db, "--quiet"); code != 0 {
		t.Fatalf("old gen: %d\n%s", code, errs)
	}
	before := review83bCounts(t, db)
	imp := filepath.Join(dir, "p.json")
	os.WriteFile(imp, []byte(`{"resourceType":"Patient","id":"r83b-new","name":[{"family":"New"}]}`), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	var rout, rerr syncBuffer
	rdone := make(chan int, 1)
	go func() { rdone <- run(ctx, []string{"relabel", "--db", db}, &rout, &rerr) }()
	// While it runs (marked unfinished), the previous release's serve and
	// import, started by a scheduler or systemd's Restart=, are refused.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l := review83bLists(t, db); strings.HasPrefix(l, "relabel-unfinished:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("relabel not marked unfinished within 10 s")
		}
	}
	running := func() bool {
		select {
		case c := <-rdone:
			rdone <- c
			return false
		default:
			return true
		}
	}
	if code, _, errs := review83bExec(t, old, "serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey); code == 0 || (running() && !strings.Contains(errs, "being relabelled")) {
		t.Errorf("previous release's serve during a relabel: exit %d\n%s", code, errs)
	}
	if code, _, errs := review83bExec(t, old, "import", "--db", db, "--org", "A81001", "--quiet", imp); code == 0 {
		t.Errorf("previous release's import during a relabel: exit %d\n%s", code, errs)
	}
	if !running() {
		t.Skipf("relabel finished before it could be interrupted\n%s", rout.String())
	}
	cancel()
	if rcode := <-rdone; rcode == 0 {
		t.Skipf("relabel finished before it could be interrupted\n%s", rout.String())
	} else if !strings.Contains(rerr.String(), "interrupted") || !strings.Contains(rerr.String(), "carex relabel --db "+db) {
		t.Errorf("interrupted relabel: exit %d, want it to say so and name the relabel to run again\n%s", rcode, rerr.String())
	}
	if l := review83bLists(t, db); !strings.HasPrefix(l, "relabel-unfinished:") {
		t.Errorf("records after an interrupted relabel recorded as %q, want marked unfinished", l)
	}
	code, errs := runBriefly(t, "serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey)
	if code == 0 || !strings.Contains(errs, "did not finish") || !strings.Contains(errs, "carex relabel --db "+db) {
		t.Errorf("serve after an interrupted relabel: exit %d, want a refusal naming the relabel to run again\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", imp); code == 0 || !strings.Contains(errs, "carex relabel") {
		t.Errorf("import after an interrupted relabel: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := review83bExec(t, old, "serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey); code == 0 || !strings.Contains(errs, "upgrade carex") {
		t.Errorf("previous release's serve after an interrupted relabel: exit %d\n%s", code, errs)
	}
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code != 0 {
		t.Fatalf("relabel to the end: exit %d\n%s\n%s", code, out, errs)
	}
	if got := review83bCounts(t, db); got != before {
		t.Errorf("records after relabel: %s, before: %s", got, before)
	}
	fresh := filepath.Join(dir, "fresh.db")
	if code, out, errs := e2eRun(t, "gen", "--people", "2000", "--db", fresh, "--quiet"); code != 0 {
		t.Fatalf("new gen: %d\n%s\n%s", code, out, errs)
	}
	for _, q := range []string{
		`SELECT r.type||'/'||r.id||' '||r.data_class||' '||r.labels||' '||r.patients||' '||r.codes||' '||r.clinical||' '||r.clinical_end||' '||r.source_org||' '||r.deleted FROM resources r ORDER BY r.type, r.id`,
		`SELECT r.type||'/'||r.id||' v'||v.version||' '||v.data_class||' '||v.labels||' '||v.patients||' '||v.codes||' '||v.clinical||' '||v.clinical_end FROM versions v JOIN resources r ON r.rid = v.rid ORDER BY r.type, r.id, v.version`,
		`SELECT r.type||'/'||r.id||' '||c.patient FROM compartment c JOIN resources r ON r.rid = c.rid ORDER BY 1`,
	} {
		a, b := review83bRows(t, db, q), review83bRows(t, fresh, q)
		if a != b {
			t.Errorf("relabelled records differ from this release's own:\n%s", firstDifference(b, a))
		}
	}
	if code := func() int {
		s := e2eServe(t, e2eFreeAddr(t), "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", key, "--log-key", logKey)
		return s.stop(t)
	}(); code != 0 {
		t.Errorf("serve after the relabel: exit %d", code)
	}
}

func review83bRows(t *testing.T, db, q string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestReview83bSoundCrashedOldServerLogSurvivesUpgrade: the previous
// release's server killed (SIGKILL, a crash) with entries still only in its
// journal; the operator upgrades (relabel, serve with this release): every
// entry the old server acknowledged is in the log and it verifies with the
// checkpoint saved before (SPEC §7: a crash loses no access-log entry).
func TestReview83bSoundCrashedOldServerLogSurvivesUpgrade(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and runs the previous release: run without -race (go test ./cmd/carex -run TestReview83b)")
	}
	old := review83bOld(t)
	dir := t.TempDir()
	db, key, logKey := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	if code, _, errs := review83bExec(t, old, "gen", "--people", "50", "--db", db, "--quiet"); code != 0 {
		t.Fatalf("old gen: %d\n%s", code, errs)
	}
	serve := []string{"--dev", "--db", db, "--dev-key", key, "--log-key", logKey}
	p := review83bStart(t, old, serve...)
	sw := review83bTok(t, old, key, "sw1", "social-worker", "council", "E06000999")
	for i := 0; i < 5; i++ {
		review83bDo(t, "GET", p.base+"/fhir/Encounter/syn-0000005-enc16", sw, "")
	}
	p.stop(t)
	cp := filepath.Join(dir, "cp.txt")
	if code, out, errs := review83bExec(t, old, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", cp); code != 0 {
		t.Fatalf("checkpoint: %d\n%s\n%s", code, out, errs)
	}
	p = review83bStart(t, old, serve...)
	acked := 0
	for i := 0; i < 15; i++ {
		if st, _ := review83bDo(t, "GET", p.base+"/fhir/Encounter/syn-0000005-enc16", sw, ""); st == 200 {
			acked++
		}
	}
	p.kill()
	if code, out, errs := e2eRun(t, "relabel", "--db", db); code != 0 {
		t.Fatalf("relabel after the crash: exit %d\n%s\n%s", code, out, errs)
	}
	s := e2eServe(t, e2eFreeAddr(t), append([]string{"--addr", "127.0.0.1:0"}, serve...)...)
	s.stop(t)
	code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", cp)
	if code != 0 {
		t.Errorf("audit verify after upgrade over a crash: exit %d\n%s\n%s", code, out, errs)
	}
	_, export, _ := e2eRun(t, "audit", "export", "--db", db)
	n := 0
	sc := bufio.NewScanner(strings.NewReader(export))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "syn-0000005-enc16") {
			n++
		}
	}
	if n < 5+acked {
		t.Errorf("access log after the upgrade names the consultation read %d times, want at least %d (acknowledged)\n%s", n, 5+acked, out)
	}
}
