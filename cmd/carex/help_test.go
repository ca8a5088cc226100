package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestUsageListsEveryCommand: carex --help names every command and
// subcommand; the audit subcommands are taken from what carex audit says
// it has, so that a new one cannot be left out.
func TestUsageListsEveryCommand(t *testing.T) {
	code, out, _ := e2eRun(t, "--help")
	if code != 0 {
		t.Fatalf("carex --help: exit %d", code)
	}
	want := []string{"carex serve", "carex demo", "carex token", "carex import", "carex gen", "carex bench",
		"carex policy [show]", "carex policy check FILE", "carex version"}
	_, _, errOut := e2eRun(t, "audit", "no-such-subcommand")
	have := regexp.MustCompile(`\(have: ([a-z, ]+)\)`).FindStringSubmatch(errOut)
	if have == nil {
		t.Fatalf("carex audit does not list its subcommands: %q", errOut)
	}
	for _, sub := range strings.Split(have[1], ", ") {
		want = append(want, "carex audit "+sub)
	}
	for _, w := range want {
		if !strings.Contains(out, "  "+w+" ") {
			t.Errorf("carex --help does not list %q:\n%s", w, out)
		}
	}
}
