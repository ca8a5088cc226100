package main

import (
	"strings"
	"testing"
)

// TestReview10cExportSinceAfterUntilIsRefused: `carex audit export` with
// --since after --until (the two dates swapped, an easy slip) selected no
// entry and exited 0, as if nobody had accessed anything in the period:
// an IG officer could file an empty export as the answer. It is refused
// (exit 1) saying which is which, as $everything's start after end is.
func TestReview10cExportSinceAfterUntilIsRefused(t *testing.T) {
	db, _ := importedNeverServed(t, `{"resourceType":"Patient","id":"p1"}`)
	for _, c := range [][2]string{{"2026-03-31", "2026-03-01"}, {"2026-03-02", "2026-03-01T23:59:59Z"}, {"1h", "2h"}} {
		code, out, errOut := e2eRun(t, "audit", "export", "--db", db, "--since", c[0], "--until", c[1])
		if code == 0 || !strings.Contains(errOut, "--since") || !strings.Contains(errOut, "--until") {
			t.Errorf("--since %s --until %s: exit %d %q %q", c[0], c[1], code, out, errOut)
		}
	}
	// The same day on both sides is that whole day.
	if code, _, errOut := e2eRun(t, "audit", "export", "--db", db, "--since", "2026-03-01", "--until", "2026-03-01"); code != 0 {
		t.Errorf("--since and --until the same day: exit %d %s", code, errOut)
	}
}
