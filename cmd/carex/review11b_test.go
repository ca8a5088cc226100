package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReview11bExportDoesNotOverwriteTheLogsKeysAndCheckpoints: review 10d
// made audit export refuse an --out that is one of --db's database files
// or any SQLite database, but it still truncated every other file: the
// checkpoint saved outside the database (audit checkpoint --out, serve
// --checkpoint-copy, the evidence verify --checkpoint holds the log to),
// the log's signing key (--log-key) and its public key, and the access
// journal of another database (its acknowledged entries not yet in its
// tables). An IG officer's tab completion in the folder where these are
// kept destroyed them, exit 0. An existing --out is now overwritten only
// when it is empty or an earlier export (its first line an AuditEvent).
func TestReview11bExportDoesNotOverwriteTheLogsKeysAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	other := filepath.Join(dir, "other.db")
	for _, d := range []string{db, other} {
		addr := e2eFreeAddr(t)
		s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", d, "--dev-key", devKey, "--log-key", logKey)
		if code, body := s.get(t, "/fhir/Patient?_count=1", e2eToken(t, devKey)); code != 200 {
			t.Fatalf("search: %d %s", code, body)
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("serve exit %d", code)
		}
	}
	saved := filepath.Join(dir, "c.checkpoint")
	if code, out, errs := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub", "--out", saved); code != 0 {
		t.Fatalf("checkpoint: %d %s %s", code, out, errs)
	}
	journal := accessLogPath(other) + "-audit"
	for _, out := range []string{saved, logKey, logKey + ".pub", journal} {
		before, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if len(before) == 0 {
			t.Fatalf("%s is empty before the export", out)
		}
		code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub", "--out", out)
		after, _ := os.ReadFile(out)
		if code == 0 || string(after) != string(before) || !strings.Contains(errs, "--out") {
			t.Errorf("export --out %s: exit %d, %d bytes before, %d after: %s", filepath.Base(out), code, len(before), len(after), errs)
		}
	}
	if code, out, errs := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub", "--checkpoint", saved); code != 0 {
		t.Errorf("verify against the saved checkpoint after the exports: exit %d\n%s%s", code, out, errs)
	}
	// An earlier export and an empty file are replaced, as before.
	nd := filepath.Join(dir, "log.ndjson")
	if err := os.WriteFile(filepath.Join(dir, "empty.ndjson"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{nd, nd, filepath.Join(dir, "empty.ndjson")} {
		if code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub", "--out", out); code != 0 {
			t.Fatalf("export --out %s: exit %d %s", out, code, errs)
		}
	}
}

// TestReview11bImportTakesAByteOrderMark: a file saved by a Windows tool
// often starts with a UTF-8 byte order mark, which JSON parsers may ignore
// (RFC 8259 §8.1). carex import refused such an NDJSON file with "line 1:
// malformed" and no reason, and such a Bundle with "unexpected character
// 'ï'"; with CRLF line ends (which were taken) the file was otherwise
// good. The mark at the start of a file is now skipped.
func TestReview11bImportTakesAByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	bom := "\xef\xbb\xbf"
	nd := r10dWrite(t, dir, "people.ndjson", bom+r10dJane+"\r\n"+`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"}}`+"\r\n")
	js := r10dWrite(t, dir, "org.json", bom+`{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery"}`)
	db := filepath.Join(dir, "c.db")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", nd, js); code != 0 {
		t.Fatalf("import of files starting with a byte order mark: exit %d\n%s%s", code, out, errs)
	}
	got := r10dStored(t, db)
	for _, k := range []string{"Patient/jane", "Condition/c1", "Organization/A81001"} {
		if !got[k] {
			t.Errorf("%s not imported: %v", k, got)
		}
	}
	// A mark inside the file is not skipped: it is not at the start.
	bad := r10dWrite(t, dir, "bad.ndjson", r10dJane+"\n"+bom+`{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/jane"}}`+"\n")
	if code, _, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", bad); code == 0 || !strings.Contains(errs, "line 2") {
		t.Errorf("a mark on line 2: exit %d %s", code, errs)
	}
}

// TestReview11bNDJSONErrorKeepsTheResourcesOwnEntries: review 10d made an
// NDJSON import error name the file's line instead of the transaction's
// Bundle.entry[N], but it rewrote every "entry[N]" in the message, the
// resource's own elements too: a List on line 3 whose second entry held an
// unknown element was reported as "line 3: List.line 2: bogus", sending the
// operator to line 2 (a good Patient) for an element that is List.entry[1].
// Only the transaction's entry is a line; a resource's own entry[N]
// (List, Bundle, Composition.section.entry) is left as it is.
func TestReview11bNDJSONErrorKeepsTheResourcesOwnEntries(t *testing.T) {
	dir := t.TempDir()
	f := r10dWrite(t, dir, "lists.ndjson", r10dJane+"\n"+
		`{"resourceType":"Patient","id":"p2"}`+"\n"+
		`{"resourceType":"List","id":"l1","status":"current","mode":"working","subject":{"reference":"Patient/jane"},"entry":[{"item":{"reference":"Patient/jane"}},{"item":{"reference":"Patient/jane"},"bogus":1}]}`+"\n")
	code, _, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "c.db"), "--org", "A81001", "--quiet", f)
	if code == 0 {
		t.Fatal("import of a List with an unknown element: exit 0")
	}
	if !strings.Contains(errs, "line 3") || !strings.Contains(errs, "List.entry[1]") || strings.Contains(errs, "line 2:") {
		t.Errorf("the error should name line 3 and List.entry[1], not line 2: %s", errs)
	}
}

// TestReview11bExportToAPipeDoesNotHang: "carex audit export --out
// /dev/stdout | gzip" (or a named pipe) hung for ever, and ignored Ctrl-C
// and SIGTERM: the check that --out is not a database (review 10d) opened
// it for reading and waited for input that never came; and once past it,
// export wrote every entry and then failed (exit 1: "sync ...: invalid
// argument"), as a pipe cannot be synced. Only a regular file can be a
// database or be truncated, and is synced; a pipe or device is written as
// it is.
func TestReview11bExportToAPipeDoesNotHang(t *testing.T) {
	db, _, logKey := servedLog(t, 1) // served, searched once, stopped
	dir := filepath.Dir(db)
	fifo := filepath.Join(dir, "export.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	got := make(chan []byte, 1)
	go func() { // the other end: gzip, say
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	done := make(chan int, 1)
	go func() {
		code, _, errs := e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub", "--out", fifo)
		if code != 0 {
			t.Log(errs)
		}
		done <- code
	}()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("export to a pipe: exit %d", code)
		}
		if b := <-got; strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"AuditEvent"`) {
			t.Errorf("the pipe's reader got %q, want the one AuditEvent", b)
		}
	case <-time.After(20 * time.Second):
		// Unblock the export's read so that the test ends.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("export --out a named pipe hung")
	}
}
