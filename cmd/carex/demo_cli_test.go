package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// carex demo as a command: what it prints and what it leaves behind.

// TestDemoRemovesItsTemporaryDirectory: carex demo without --db removes the
// directory it made for its databases when it stops (it was left behind
// after Ctrl-C); with --db the database named stays.
func TestDemoRemovesItsTemporaryDirectory(t *testing.T) {
	keys := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.MkdirTemp("", …) makes the demo's directory
	flags := []string{"--dev-key", filepath.Join(keys, "dev-key.pem"), "--log-key", filepath.Join(keys, "log-key"), "--log-level", "warn"}

	addr := e2eFreeAddr(t)
	s := e2eStart(t, "demo", addr, append([]string{"--addr", addr}, flags...)...)
	made, _ := filepath.Glob(filepath.Join(tmp, "carex-demo-*", "carex-demo.db"))
	if len(made) != 1 || !strings.Contains(s.stdout.String(), made[0]) {
		t.Fatalf("demo database in %s: %q; stdout:\n%.300s", tmp, made, s.stdout.String())
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("demo exit %d:\n%s", code, s.stderr.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("after the demo stopped, %s still holds %v", tmp, left)
	}

	db := filepath.Join(keys, "mine.db")
	addr = e2eFreeAddr(t)
	s = e2eStart(t, "demo", addr, append([]string{"--addr", addr, "--db", db}, flags...)...)
	if code := s.stop(t); code != 0 {
		t.Fatalf("demo --db exit %d:\n%s", code, s.stderr.String())
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("demo --db %s: the database is gone after the demo stopped: %v", db, err)
	}
}

// TestURLHost: the URLs the demo prints can be pasted: a listener on every
// interface is printed as localhost (it was http://[::]:8080).
func TestURLHost(t *testing.T) {
	for addr, want := range map[string]string{
		"[::]:8080":      "localhost:8080",
		"0.0.0.0:8080":   "localhost:8080",
		":8080":          "localhost:8080",
		"127.0.0.1:8080": "127.0.0.1:8080",
		"[::1]:8080":     "[::1]:8080",
		"10.1.2.3:80":    "10.1.2.3:80",
	} {
		if got := urlHost(fakeAddr(addr)); got != want {
			t.Errorf("urlHost(%s) = %s, want %s", addr, got, want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
