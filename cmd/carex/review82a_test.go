package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Review 82a: 99a550f names a directory's files by place ("file N of M")
// with a command that lists the file, instead of by a name that may be a
// person's (review 81b). Parent 089dbaa printed every file's path.

// TestReview82aImportDirDanglingLinkPrintsPersonsName: a directory extract
// holding one entry that is not a readable file (here a symbolic link whose
// target is gone, as a rotated or half-copied extract leaves; an unreadable
// file does the same for a non-root operator) stops the import with
// notAnInput's error, which wraps os.Stat's, and os.Stat's text holds the
// file's full path: "stat …/Quimby_Ada_19500304.json: no such file or
// directory". That error is printed without valuesLeftOut, so the name
// 99a550f hides behind "file 2 of 2" is printed right after it. README
// (import row): "a file found in a directory is named by the directory and
// its place, `file 3 of 190` … not by its name: extracts name files after
// their people … review 81b found them in the output". Severity: personal
// data (name, birth date) in the operator's terminal / scheduler log
// (highest class, from the file system, not the records). Parent: printed
// it too (and every name), so not a regression: the fix is incomplete.
func TestReview82aImportDirDanglingLinkPrintsPersonsName(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "extract")
	os.Mkdir(in, 0o700)
	os.WriteFile(filepath.Join(in, "Aaron_Bell_19360101.json"), []byte(`{"resourceType":"Patient","id":"p1","gender":"male"}`), 0o600)
	if err := os.Symlink(filepath.Join(dir, "gone.json"), filepath.Join(in, "Quimby_Ada_19500304.json")); err != nil {
		t.Skip(err)
	}
	code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "c.db"), "--org", "A81001", "--quiet", in)
	t.Logf("exit %d:\n%s%s", code, out, errs)
	if code == 0 {
		t.Fatalf("imported")
	}
	if strings.Contains(out+errs, "Quimby") {
		t.Errorf("the error prints the file's name (a person's name and birth date) though the file is named by place:\n%s", errs)
	}
}

// r82aShownCommand runs the `find … | LC_ALL=C sort | sed -n Np` command an
// import error names and returns what it prints.
func r82aShownCommand(t *testing.T, errs string) (string, string) {
	t.Helper()
	m := regexp.MustCompile(`\((find .*? \| LC_ALL=C sort \| sed -n \d+p)\)`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("no find command in the error:\n%s", errs)
	}
	got, err := exec.Command("sh", "-c", m[1]).CombinedOutput()
	if err != nil {
		t.Logf("%s: %v", m[1], err)
	}
	return m[1], strings.TrimSpace(string(got))
}

// TestReview82aImportDirCommandSkipsLinkedFiles: the command the error
// gives to find "file N of M" is `find DIR -type f \( -name '*.json' -o
// -name '*.ndjson' \) | LC_ALL=C sort | sed -n Np`, but expandFiles counts
// what filepath.WalkDir reports as not a directory: symbolic links to files
// are imported (os.ReadFile follows them) and counted, and `find -type f`
// leaves them out. An extract directory of links (a staging area linking
// the day's files, a Synthea output linked into place) makes the command
// print another file than the one that failed, or nothing. README (import
// row): named "by the directory and its place, `file 3 of 190`, with the
// command that lists it". Severity: an error that points at the wrong file
// (low: no data lost or leaked; the operator fixes the wrong file). Parent:
// printed the path itself (no command), so new in 99a550f.
func TestReview82aImportDirCommandSkipsLinkedFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	in := filepath.Join(dir, "extract")
	os.Mkdir(src, 0o700)
	os.Mkdir(in, 0o700)
	good := `{"resourceType":"Patient","id":"p%d","gender":"male"}`
	for i, n := range []string{"a.json", "b.json"} {
		os.WriteFile(filepath.Join(src, n), []byte(fmt.Sprintf(good, i)), 0o600)
		if err := os.Symlink(filepath.Join(src, n), filepath.Join(in, n)); err != nil {
			t.Skip(err)
		}
	}
	bad := filepath.Join(in, "c.json")
	os.WriteFile(bad, []byte(`{"resourceType":"Patient","id":"p9","gender":"femalee"}`), 0o600)
	r82aCommandLists(t, dir, in, bad)
}

// TestReview82aImportDirCommandDirWithSpace: the directory is printed into
// the command as given, unquoted: an extract directory with a space in its
// name ("GP extract", "Dec 2026") gives `find /…/GP extract -type f …`,
// which lists nothing (find: 'GP': No such file…). Severity: an error that
// does not lead to the file (low). Parent: printed the path (no command).
func TestReview82aImportDirCommandDirWithSpace(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "GP extract")
	os.Mkdir(in, 0o700)
	os.WriteFile(filepath.Join(in, "a.json"), []byte(`{"resourceType":"Patient","id":"p1","gender":"male"}`), 0o600)
	bad := filepath.Join(in, "b.json")
	os.WriteFile(bad, []byte(`{"resourceType":"Patient","id":"p2","gender":"femalee"}`), 0o600)
	r82aCommandLists(t, dir, in, bad)
}

// TestReview82aSoundImportDirCommandNestedAndOrder: nested directories,
// file names with spaces, and names whose order differs between '-' and
// '/' ("a-b.json" sorts before "a/x.json" in bytes: '-' 0x2d < '/' 0x2f),
// and .ndjson beside .json: the command lists the failing file.
func TestReview82aSoundImportDirCommandNestedAndOrder(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "extract")
	os.MkdirAll(filepath.Join(in, "a"), 0o700)
	os.MkdirAll(filepath.Join(in, "a b"), 0o700)
	good := `{"resourceType":"Patient","id":"p%d","gender":"male"}`
	for i, n := range []string{"a-b.json", "a.json", "a b/c d.json", "a/x.ndjson", "a0.json"} {
		os.WriteFile(filepath.Join(in, n), []byte(fmt.Sprintf(good, i)+"\n"), 0o600)
	}
	bad := filepath.Join(in, "a/z.json")
	os.WriteFile(bad, []byte(`{"resourceType":"Patient","id":"p9","gender":"femalee"}`), 0o600)
	r82aCommandLists(t, dir, in, bad)
}

// r82aCommandLists imports directory in (into dir's c.db), which must
// fail at file bad, and checks that the command its error gives lists bad.
func r82aCommandLists(t *testing.T, dir, in, bad string) {
	t.Helper()
	code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "c.db"), "--org", "A81001", "--quiet", in)
	t.Logf("exit %d:\n%s%s", code, out, errs)
	if code == 0 {
		t.Fatalf("imported")
	}
	cmd, got := r82aShownCommand(t, errs)
	if got != bad {
		t.Errorf("the failing file is %s; the command the error gives,\n  %s\nlists %q", bad, cmd, got)
	}
}
