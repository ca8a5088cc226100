package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReview19bStrayArgumentsRefused: an IG officer who named the database
// to check without --db (carex audit verify /mnt/backup/carex.db) had the
// argument silently ignored: verify checked ./carex.db — or, with none
// there, reported "OK: the access log is empty", exit 0 — and said nothing
// about the file she named; audit checkpoint and prove, and carex token,
// ignored stray arguments alike, where every other command (serve, export,
// relabel, gen, policy, version) refuses them. Now each refuses them
// ("unexpected arguments", naming them; exit 1) before doing anything.
func TestReview19bStrayArgumentsRefused(t *testing.T) {
	db, pub := review5aCrashedLog(t, 10, 0)
	other := filepath.Join(t.TempDir(), "backup.db")
	key := filepath.Join(t.TempDir(), "dev-key.pem")
	cases := [][]string{
		{"audit", "verify", "--db", db, "--pubkey", pub, other},
		{"audit", "checkpoint", "--db", db, "--pubkey", pub, other},
		{"audit", "prove", "--seq", "0", "--db", db, "--pubkey", pub, other},
		{"token", "--dev-key", key, "--sub", "s", "--role", "gp", "--sector", "nhs", "--org", "A81001", other},
	}
	for _, args := range cases {
		code, out, errOut := e2eRun(t, args...)
		if code == 0 || !strings.Contains(errOut, "unexpected arguments") || !strings.Contains(errOut, other) || strings.Contains(out, "OK") {
			t.Errorf("carex %s: exit %d\nstdout: %s\nstderr: %s\nwant a refusal naming the stray argument", strings.Join(args[:2], " "), code, out, errOut)
		}
	}
	// Without the stray argument each works (the premise).
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("the premise: verify: exit %d %s%s", code, out, errOut)
	}
}
