package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Review 98a: a re-read of a483c5b's buildVersion against the README it
// changed.

// TestReview98aSoundVersionNamesCommitAndDirty: README's `carex version`
// row says a build from a git checkout prints "its commit and time,
// `+dirty` when the tree had changes". A binary built (go build, VCS
// stamping on, as a user's build has it by default) from a checkout, clean
// and then with README.md edited after the commit, names the commit, and
// "+dirty" only when edited. (Seen: this toolchain stamps the main
// module's version itself, "v0.0.0-<time>-<commit>[+dirty]", which
// buildVersion prints as is; its own "dev (commit …+modified)" form is not
// reached by such a build.) The checkout is a copy of this commit in a
// temporary directory: nothing in the repository is touched.
func TestReview98aSoundVersionNamesCommitAndDirty(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout (or no git): %v", err)
	}
	readme, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(top)), "README.md"))
	if err != nil || !strings.Contains(string(readme), "`+dirty` when the tree had changes") {
		t.Fatalf("premise: README's carex version row: %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	run := func(name string, args ...string) {
		t.Helper()
		c := exec.Command(name, args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true", "GIT_AUTHOR_NAME=r", "GIT_AUTHOR_EMAIL=r@example", "GIT_COMMITTER_NAME=r", "GIT_COMMITTER_EMAIL=r@example")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	archive := exec.Command("sh", "-c", `git -C "$1" archive HEAD | tar -x -C "$2"`, "sh", strings.TrimSpace(string(top)), dir)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	run("git", "init", "-q")
	run("git", "add", "-A")
	run("git", "commit", "-q", "-m", "copy")
	headOut, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	rev := strings.TrimSpace(string(headOut))[:12]
	version := func() string {
		t.Helper()
		bin := filepath.Join(t.TempDir(), "carex")
		run(goTool, "build", "-o", bin, "./cmd/carex")
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("carex version: %v %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := version(); !strings.Contains(got, rev) || strings.Contains(got, "dirty") || strings.Contains(got, "modified") {
		t.Errorf("a build from a clean checkout at %s prints %q", rev, got)
	}
	f, err := os.OpenFile(filepath.Join(dir, "README.md"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\nedited after the commit\n")
	f.Close()
	if got := version(); !strings.Contains(got, rev) || !strings.Contains(got, "+dirty") {
		t.Errorf("a build from a checkout at %s with changes prints %q; README says its commit and `+dirty`", rev, got)
	}
}
