package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Review 112b: re-read of review 111b's start-up check (recordscheck.go:
// the newest 200 entries of writes only; sqlite AcceptLostWrites). Reuses
// crash_test.go's crashRig, review 57c's review57cTry, review 110c's
// r110cDo/r110cTail and review 111b's r111bStop.

// r112bCheckpoint runs PRAGMA wal_checkpoint(TRUNCATE) on the running
// server's records from a connection of the test's own: every committed
// page is copied into carex.db and the -wal restarts from nothing.
func r112bCheckpoint(t *testing.T, db string) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var busy, logN, done int
	if err := conn.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logN, &done); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Fatalf("premise: the checkpoint was busy (%d %d %d)", busy, logN, done)
	}
}

// r112bCreates answers n creates and returns their Locations.
func r112bCreates(t *testing.T, r *crashRig, prefix string, n int) map[string]string {
	t.Helper()
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/crash"},"valueQuantity":{"value":72,"unit":"/min"}}`
	out := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		code, _, loc, err := r110cDo(r.client, r.p.base, "POST", "/fhir/Observation", r.tok, id, obs)
		if err != nil || code != 201 {
			t.Fatalf("create %s: %d %v", id, code, err)
		}
		out[id] = loc
	}
	return out
}

// TestReview112bCopyAcrossWalRestartRefused: the copy README
// "Records that lost writes" warns of, made as `cp carex.db carex.db-wal
// backup/` makes it on a running server: carex.db read at one moment and
// its -wal a little later, after the WAL restarted (a checkpoint copied
// everything and the writer rewound it). The writes committed between the
// two reads are in neither file; the 230 answered after the restart are
// in the -wal, whole. Expected (README: serve "refuses to start when any
// is missing"; review 110c/111b): serve refuses, or every acknowledged
// create reads back. The check reads only the newest 200 entries of
// writes (review 111b), all of them intact here.
func TestReview112bCopyAcrossWalRestartRefused(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("builds and runs a real carex process: run without -race")
	}
	r := newCrashRig(t)
	r112bCreates(t, r, "a", 5)
	time.Sleep(300 * time.Millisecond)
	r112bCheckpoint(t, r.db)
	t1, err := os.ReadFile(r.db) // carex.db, read first
	if err != nil {
		t.Fatal(err)
	}
	lost := r112bCreates(t, r, "b", 40)
	time.Sleep(300 * time.Millisecond)
	r112bCheckpoint(t, r.db) // the WAL restarts
	newest := r112bCreates(t, r, "c", 230)
	t2, err := os.ReadFile(r.db + "-wal") // its -wal, read later
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("carex.db %d bytes at the first read, -wal %d bytes at the second", len(t1), len(t2))
	r111bStop(t, r.p)
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	os.WriteFile(db, t1, 0o600)
	os.WriteFile(db+"-wal", t2, 0o600)
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
	code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", r.logKey+".pub")
	t.Logf("verify exit %d: %s", code, r110cTail(out+errOut, 400))
	p, done, serr := review57cTry(t, r.bin, args...)
	if p == nil {
		t.Logf("serve refused: %s", r110cTail(serr, 600))
		if !strings.Contains(serr, "acknowledged writes") && !strings.Contains(serr, "records database is damaged; restore it together with its -wal file") {
			t.Errorf("serve refused without saying why: %s", r110cTail(serr, 600))
		}
		// (verify fails on records it cannot read; on records short of
		// versions it says so in a note, the log itself verifying: README)
		if strings.Contains(serr, "acknowledged writes") {
			if !strings.Contains(out, "acknowledged writes released") {
				t.Errorf("audit verify does not say the records lack acknowledged writes: %s", r110cTail(out+errOut, 400))
			}
		} else if code == 0 {
			t.Errorf("audit verify passed on damaged records: %s", r110cTail(out+errOut, 400))
		}
		return
	}
	defer func() { p.cmd.Process.Signal(syscall.SIGTERM); <-done }()
	var gone []string
	readBack := func(set map[string]string) int {
		n := 0
		for id, loc := range set {
			path := loc
			if i := strings.Index(path, "/fhir/"); i >= 0 {
				path = path[i:]
			}
			if i := strings.Index(path, "/_history"); i >= 0 {
				path = path[:i]
			}
			code, _, _, err := r110cDo(r.client, p.base, "GET", path, r.tok, "r112b-read-"+id, "")
			if err != nil || code != 200 {
				n++
				if len(gone) < 4 {
					gone = append(gone, fmt.Sprintf("%s %s -> %d %v", id, path, code, err))
				}
			}
		}
		return n
	}
	nb, nc := readBack(lost), readBack(newest)
	t.Logf("serve started; of 40 creates answered between the two reads %d do not read back, of the 230 after %d", nb, nc)
	if nb+nc > 0 {
		t.Errorf("LOST: serve started without a word on a copy whose carex.db and -wal were read at different moments; %d of 40 and %d of 230 acknowledged creates do not read back, e.g. %v; server log: %s", nb, nc, gone, r110cTail(p.stderr.String(), 600))
	}
}
