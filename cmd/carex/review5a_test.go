package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// TestReview5aServeSignsWithAnotherExistingKey: keyForLog refuses to start
// when the log key is missing, because "a new one would leave the log
// verifiable under neither". An existing key that did not sign the log
// (--log-key left at its default after a move, pointing at a key an earlier
// carex demo made, or a key restored from the wrong backup) does exactly
// that, and is accepted: the server signs the next checkpoints with it, and
// from then on the log verifies under neither public key.
func TestReview5aServeSignsWithAnotherExistingKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	keyA, keyB := filepath.Join(dir, "log-key-a"), filepath.Join(dir, "log-key-b")
	if _, _, err := auditlog.LoadOrCreateKey(keyB, logKeyName); err != nil { // another key, already there
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(key string, from, n int) error {
		records, err := sqlite.Open(ctx, db, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer records.Close()
		l, err := openAccessLog(ctx, records, key, "", false, quiet)
		if err != nil {
			return err
		}
		for i := from; i < from+n; i++ {
			e := &auditlog.Entry{RequestID: fmt.Sprintf("r%d", i), Sub: "gp1", Operation: "read", Decision: "permit", Status: 200}
			if err := l.Append(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		return l.Close()
	}
	if err := run(keyA, 0, 5); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", keyA+".pub"); code != 0 {
		t.Fatalf("verify before: %d\n%s", code, out)
	}
	if err := run(keyB, 5, 5); err != nil {
		t.Logf("refused: %v", err)
		return // refusing the key is the right answer
	}
	codeA, outA, _ := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", keyA+".pub")
	codeB, outB, _ := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", keyB+".pub")
	if codeA != 0 && codeB != 0 {
		t.Fatalf("the server accepted a log key that did not sign its log and signed with it: the log now verifies under neither key\nwith A: %s\nwith B: %s", outA, outB)
	}
}
