package main

// Review 88b: probes of cbe0c51's demo changes. Parent: 78ccab2.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type r88bBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *r88bBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *r88bBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestReview88bReadmeBenchBlockRerun: README's benchmark block now starts
// with `rm -f /tmp/on.db* /tmp/off.db*  # the demo needs fresh files`, and
// the demo's refusal of a kept database says "remove it or name another
// file". A demo kept with --db /tmp/on.db also wrote its access log beside
// it as /tmp/on-access.db (accessLogPath), which on.db* does not match:
// after the block's rm, the block's second run (and any user who removed
// the file the refusal names) is refused again, "the record database
// /tmp/on.db is missing, but there is an access log beside it … restore
// them from a backup". The block added to fix review 87a's rerun does not
// rerun. Severity: documentation (a cost to the user; no data). Parent:
// the block had no rm line and the refusal said only "remove it or name
// another file" (the same trap).
func TestReview88bReadmeBenchBlockRerun(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("CAREX_DEV_KEY", filepath.Join(dir, "dev.key"))
	for _, k := range []string{"CAREX_DB", "CAREX_ADDR"} {
		os.Unsetenv(k)
	}
	db := filepath.Join(dir, "on.db")
	start := func() (string, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errb r88bBuf
		done := make(chan error, 1)
		go func() { done <- cmdServe(ctx, []string{"--addr", "127.0.0.1:0", "--db", db}, &out, &errb, true) }()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case err := <-done:
				return out.String(), err
			case <-deadline:
				cancel()
				return out.String(), <-done
			case <-time.After(200 * time.Millisecond):
				if strings.Contains(out.String(), "Stop with Ctrl-C") {
					cancel()
					return out.String(), <-done
				}
			}
		}
	}
	if out, err := start(); err != nil || !strings.Contains(out, "carex demo is running") {
		t.Fatalf("first demo: %v %.300s", err, out)
	}
	_, err := start()
	t.Logf("second demo on the kept file: %v", err)
	// README's own rm line of the benchmark block, its /tmp/ read as dir
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rm string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "rm -f /tmp/on.db*") {
			rm, _, _ = strings.Cut(strings.TrimPrefix(l, "rm -f "), "#")
		}
	}
	if rm == "" {
		t.Fatal("README has no rm -f /tmp/on.db* line")
	}
	for _, g := range strings.Fields(rm) {
		matches, _ := filepath.Glob(strings.Replace(g, "/tmp/", dir+"/", 1))
		for _, m := range matches {
			os.Remove(m)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "on*"))
	t.Logf("left after README's rm -f %s: %v", rm, left)
	if _, err := start(); err != nil {
		t.Errorf("after README's rm -f %s, the demo is refused: %v", rm, err)
	}
}
