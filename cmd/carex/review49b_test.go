package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// r49bLog makes the access log beside db (accessLogPath) signed with the
// key at logKey, holding n entries.
func r49bLog(t *testing.T, db, logKey string, n int) {
	t.Helper()
	ctx := context.Background()
	signer, _, err := auditlog.LoadOrCreateKey(logKey, logKeyName)
	if err != nil {
		t.Fatal(err)
	}
	w, r, err := sqlite.OpenConns(accessLogPath(db), 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, w, r, auditlog.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := l.Append(ctx, &auditlog.Entry{RequestID: fmt.Sprint("r49b-", i), Operation: "create", Decision: "permit", Status: 201}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	w.Close()
	r.Close()
}

// r49bServe runs carex serve in-process for up to d: it returns the exit
// code and stderr, and whether it was still running (started) at d.
func r49bServe(t *testing.T, d time.Duration, args ...string) (int, string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &out, &errb)
	return code, errb.String(), time.Since(start) >= d-100*time.Millisecond
}

// TestReview49bImportRecreatesMissingRecordsBesideLog: b3f8b91's
// recordsGone makes carex serve refuse a missing record database beside an
// access log that holds entries (the records were deleted or moved). But
// carex import (and gen) create the missing database first, and serve then
// starts on it beside the old log: the records the log describes are gone
// and every change it acknowledged answers 404, which recordsGone exists to
// prevent. Expected: import refuses (or serve still refuses) as serve does.
func TestReview49bImportRecreatesMissingRecordsBesideLog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
	logKey := filepath.Join(dir, "log.key")
	r49bLog(t, db, logKey, 3)
	// serve first: refused, as b3f8b91 means.
	code, stderr, started := r49bServe(t, 3*time.Second, "--dev", "--db", db, "--dev-key", filepath.Join(dir, "dev.key"), "--log-key", logKey)
	t.Logf("serve on the missing database: exit %d started=%v: %.300s", code, started, stderr)
	if started || !strings.Contains(stderr, "missing") {
		t.Fatalf("serve was expected to refuse the missing record database (b3f8b91)")
	}
	in := filepath.Join(dir, "p.json")
	os.WriteFile(in, []byte(`{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]}`), 0o600)
	ic, iout, ierr := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", in)
	t.Logf("carex import --db %s (missing) beside a log of 3 entries: exit %d %s %.300s", db, ic, iout, ierr)
	code, stderr, started = r49bServe(t, 4*time.Second, "--dev", "--db", db, "--dev-key", filepath.Join(dir, "dev.key"), "--log-key", logKey)
	t.Logf("serve after the import: exit %d started=%v: %.400s", code, started, stderr)
	if ic == 0 && started {
		t.Errorf("carex import created the missing record database beside an access log of 3 entries (exit 0) and carex serve then started on it: recordsGone is bypassed")
	}
}

// TestReview49bSoundServeBesideEmptyAccessLog: a stray access log with no
// entries (a server started once and stopped before any request) beside
// a missing record database: recordsGone's comment says it refuses a log
// "that holds entries". Logged: whether serve starts.
func TestReview49bSoundServeBesideEmptyAccessLog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
	logKey := filepath.Join(dir, "log.key")
	r49bLog(t, db, logKey, 0)
	err := recordsGone(context.Background(), db)
	t.Logf("recordsGone beside an empty access log: %v", err)
}

// TestReview49bSoundSymlinkedRecordDatabase: --db naming a symlink to the
// real file: moved() must not take it for a replaced database (writes go
// on).
func TestReview49bSoundSymlinkedRecordDatabase(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.db")
	link := filepath.Join(dir, "link.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, real, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, link, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping on a symlinked --db: %v", err)
	}
	// a logrotate-like rename of the real file under it: refused.
	if err := os.Rename(real, real+".1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err == nil {
		t.Errorf("Ping after the symlink's target was renamed away: nil, want ErrUnavailable")
	}
}

// TestReview49bGenRecreatesMissingRecordsBesideLog: as the import case,
// with carex gen --db (which writes "into this new SQLite database").
func TestReview49bGenRecreatesMissingRecordsBesideLog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
	logKey := filepath.Join(dir, "log.key")
	r49bLog(t, db, logKey, 3)
	gc, _, gerr := e2eRun(t, "gen", "--db", db, "--people", "2", "--quiet")
	t.Logf("carex gen --db %s (missing) beside a log of 3 entries: exit %d %.300s", db, gc, gerr)
	err := recordsGone(context.Background(), db)
	t.Logf("recordsGone (serve's check) after gen: %v", err)
	if gc == 0 && err == nil {
		t.Errorf("carex gen created the missing record database beside an access log of 3 entries and serve's recordsGone now passes")
	}
}
