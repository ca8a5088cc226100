package main

// Review 5c (commands): copied from branch review-5c's cmd/carex/review5c_test.go
// — the tests for items 6-7 of the fix-5c-b brief.

import (
	"strings"
	"testing"
)

// TestReview5cDemoTakesServeFlags: SPEC §2 "carex demo — takes the same
// flags as serve". serve has --dev (CAREX_DEV); demo refuses it ("flag
// provided but not defined: -dev"), so a newcomer who copies a serve
// command line, or whose environment sets --dev's flag, cannot start it.
// Every flag serve lists in its --help must parse for demo too.
func TestReview5cDemoTakesServeFlags(t *testing.T) {
	_, _, serveHelp := e2eRun(t, "serve", "--help")
	_, _, demoHelp := e2eRun(t, "demo", "--help")
	for _, line := range strings.Split(serveHelp, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "--") {
			continue
		}
		if !strings.Contains(demoHelp, "  "+f[0]+" ") {
			t.Errorf("serve takes %s, demo does not list it", f[0])
		}
	}
	// The same as a user runs it: --dev is harmless on a server that is in
	// development mode anyway.
	if code, _, errOut := e2eRun(t, "demo", "--dev", "--help"); code != 0 {
		t.Errorf("carex demo --dev --help: exit %d: %.200s", code, errOut)
	}
}

// TestReview5cAuditOnAFreshlyImportedDatabase: SPEC §2 "carex audit verify —
// checks the whole access log offline and names the first entry that does
// not verify. carex audit export writes it as NDJSON". carex import writes
// nothing to the access log (README), so a database that has been loaded
// but not yet served has an empty log. verify prints "entries: 0" and then
// fails (exit 1, "SQL logic error: no such table: audit_checkpoint"), and
// export and checkpoint fail with "no such table": an IG officer's or
// operator's check after the initial load reports a log that does not
// verify. An empty log verifies (nothing was changed, removed or
// reordered) and exports nothing.
func TestReview5cAuditOnAFreshlyImportedDatabase(t *testing.T) {
	db, pub := importedNeverServed(t, `{"resourceType":"Patient","id":"p1","name":[{"family":"Loaded"}]}`)
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", pub); code != 0 || strings.Contains(errOut, "SQL") {
		t.Errorf("audit verify of a loaded, never-served database: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e2eRun(t, "audit", "export", "--db", db); code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("audit export of an empty log: exit %d\n%.200s%s", code, out, errOut)
	}
}
