package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// review20bTinyDisk mounts a tmpfs of size bytes for the test (root only;
// skipped where mounting is not allowed).
func review20bTinyDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small file system")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// review20bFill writes a file in dir until the file system is full, and
// returns a function that deletes it.
func review20bFill(t *testing.T, dir string) func() {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	buf = buf[:512]
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Sync()
	f.Close()
	return func() { os.Remove(p) }
}

type review20bServer struct {
	*env
	log    *auditlog.Log
	rdb    *sql.DB
	verify note.Verifiers
	dbPath string
}

func review20bServe(t *testing.T, dir string) *review20bServer {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(dir, "carex.db")
	db, err := sqlite.Open(ctx, dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := auditlog.GenerateKey("carex-test-log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	w, r, err := sqlite.OpenConns(strings.TrimSuffix(dbPath, ".db")+"-access.db", 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, w, r, auditlog.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := auth.NewDevKey(priv)
	v, _ := auth.NewVerifier(auth.Config{DevKey: key})
	s := api.New(api.Config{Store: db, Verifier: v, Dev: true, MaxBody: 64 << 10, Recorder: api.LogRecorder{Log: l}, AuditLog: l})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); l.Close(); r.Close(); w.Close(); db.Close() })
	e := &env{t: t, srv: hs, key: key, api: s, base: hs.URL, db: db}
	return &review20bServer{env: e, log: l, rdb: r, verify: note.VerifierList(verifier), dbPath: dbPath}
}

// TestReview20bProbeDiskFull: the file system holding the records, the
// access log and its journal fills up while reads and writes go on (a real
// tmpfs of 6 MiB, filled with a file; root only). Every answer other than a
// 5xx has exactly one entry with its status; a change stored is logged or
// kept beside it; once space is freed requests are answered again, and the
// log verifies. A probe: it passed when first written (with the journal's
// preallocated space used up, reads are answered 500, "nothing was
// released", and nothing is lost).
func TestReview20bProbeDiskFull(t *testing.T) {
	dir := review20bTinyDisk(t, "6m")
	s := review20bServe(t, dir)
	seedShared(t, s.env)
	nurse := s.token("district-nurse", "nhs", "RCX")
	gpSys := s.token("system", "nhs", "A81001")
	free := review20bFill(t, dir)
	statuses := map[string]int{}
	answered := map[string]int{}
	for i := range 600 {
		id := fmt.Sprintf("full-%d", i)
		var r resp
		if i%10 == 9 {
			r = s.do("PUT", fmt.Sprintf("/fhir/Observation/full-%d", i), gpSys, `{"resourceType":"Observation","id":"full-`+fmt.Sprint(i)+`","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"FULL"}}`, "X-Request-Id", id)
		} else {
			r = s.do("GET", "/fhir/Condition/diabetes", nurse, "", "X-Request-Id", id)
		}
		statuses[fmt.Sprint(r.status)]++
		answered[id] = r.status
		if r.status < 200 || r.status >= 300 && (i%10 == 9 || i%50 == 0) {
			t.Logf("%s: %d %.300s", id, r.status, r.body)
		}
	}
	t.Logf("while full: %v", statuses)
	free()
	for i := 600; i < 650; i++ {
		id := fmt.Sprintf("full-%d", i)
		r := s.do("GET", "/fhir/Condition/diabetes", nurse, "", "X-Request-Id", id)
		answered[id] = r.status
		if r.status != 200 {
			t.Errorf("after space was freed: %s %d %.300s", id, r.status, r.body)
		}
	}
	// The indexer tries again every IndexDelay; its last failure is
	// reported until then.
	for try := 0; s.log.Sync(context.Background()) != nil; try++ {
		if try == 50 {
			t.Fatal("the access log's tables are not written once space is freed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	logged := map[string]int{}
	if err := s.log.Scan(context.Background(), auditlog.Query{}, func(en *auditlog.Entry) error {
		logged[en.RequestID]++
		if a, ok := answered[en.RequestID]; ok && a != en.Status {
			t.Errorf("%s answered %d, logged %d", en.RequestID, a, en.Status)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id, st := range answered {
		if st < 500 && logged[id] != 1 {
			t.Errorf("%s answered %d, logged %d times", id, st, logged[id])
		}
	}
	// Every change stored has an entry releasing it (or a kept copy
	// beside it, for the next start to add).
	kept, err := s.db.Intents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 9; i < 600; i += 10 {
		id := fmt.Sprintf("full-%d", i)
		v, err := s.db.Read(context.Background(), "Observation", id)
		if err != nil || v == nil {
			continue
		}
		if answered[id]/100 != 2 && len(kept) == 0 {
			t.Errorf("Observation/%s was stored, answered %d, no kept entry", id, answered[id])
		}
		if answered[id]/100 == 2 && logged[id] != 1 {
			t.Errorf("Observation/%s stored and answered %d, logged %d times", id, answered[id], logged[id])
		}
	}
	if err := s.log.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	rep, err := auditlog.Verify(context.Background(), s.rdb, s.verify)
	if err != nil || !rep.OK() || rep.Entries != int64(len(logged)) {
		t.Errorf("verify after the disk was full: %+v %v (%d entries scanned)", rep, err, len(logged))
	}
}
