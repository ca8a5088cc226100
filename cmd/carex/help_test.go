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

// TestEveryCommandHasHelp: --help and -h print the command's usage and
// exit 0 for every command and subcommand, and do nothing else (policy
// show printed the policy, policy check opened a file named --help,
// version printed the version).
func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range []string{"serve", "demo", "token", "import", "gen", "bench", "version",
		"audit verify", "audit export", "audit prove", "policy show", "policy check"} {
		for _, h := range []string{"--help", "-h"} {
			args := append(strings.Fields(cmd), h)
			code, out, errOut := e2eRun(t, args...)
			synopsis := "Usage: carex " + cmd
			if cmd == "policy show" {
				synopsis = "Usage: carex policy [show]"
			}
			if code != 0 || out != "" || !strings.HasPrefix(errOut, synopsis) {
				t.Errorf("carex %s: exit %d, stdout %.80q, stderr %.80q; want exit 0 and %q on stderr only", strings.Join(args, " "), code, out, errOut, synopsis)
			}
		}
	}
	for group, want := range map[string]string{"audit": "carex audit prove", "policy": "carex policy check FILE"} {
		for _, h := range []string{"--help", "-h", "help"} {
			if code, out, _ := e2eRun(t, group, h); code != 0 || !strings.Contains(out, want) {
				t.Errorf("carex %s %s: exit %d, %q; want exit 0 and its subcommands", group, h, code, out)
			}
		}
	}
}

// TestAuditProveSeqHelp: --seq says it is required and shows no default
// (it showed "default -1", which meant "not given").
func TestAuditProveSeqHelp(t *testing.T) {
	_, _, errOut := e2eRun(t, "audit", "prove", "--help")
	line := regexp.MustCompile(`(?m)^  --seq .*$`).FindString(errOut)
	if !strings.Contains(line, "required") || strings.Contains(line, "default") {
		t.Errorf("--seq help: %q; want it required, without a default", line)
	}
	if code, _, errOut := e2eRun(t, "audit", "prove"); code == 0 || !strings.Contains(errOut, "--seq is required") {
		t.Errorf("audit prove without --seq: exit %d, %q", code, errOut)
	}
	if code, _, errOut := e2eRun(t, "audit", "prove", "--seq", "-1"); code == 0 || !strings.Contains(errOut, "start at 0") {
		t.Errorf("audit prove --seq -1: exit %d, %q", code, errOut)
	}
}

// TestHelpNamesACommand: "carex help serve" printed the general help, not
// serve's flags, as "carex serve --help" does.
func TestHelpNamesACommand(t *testing.T) {
	for _, cmd := range []string{"serve", "audit verify", "token"} {
		args := append([]string{"help"}, strings.Fields(cmd)...)
		code, out, errOut := e2eRun(t, args...)
		if code != 0 || out != "" || !strings.HasPrefix(errOut, "Usage: carex "+cmd) {
			t.Errorf("carex %s: exit %d, stdout %.80q, stderr %.80q; want exit 0 and serve's usage", strings.Join(args, " "), code, out, errOut)
		}
	}
	if code, _, errOut := e2eRun(t, "help", "nosuch"); code != 2 || !strings.Contains(errOut, `unknown command "nosuch"`) {
		t.Errorf("carex help nosuch: exit %d, %q; want 2 and unknown command", code, errOut)
	}
}
