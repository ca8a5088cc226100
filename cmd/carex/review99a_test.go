package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReview99aNegativeVerifyLogEveryAccepted: carex serve
// --verify-log-every -24h (a typo, or an operator meaning "every day")
// starts and never checks the log again, as 0 does, without a word.
// README: "check the whole log again this often while serving (0: only
// after starting)": a negative interval is no interval. Expected
// (judgement, as a bad value in a flag is refused elsewhere): refused
// before serving, exit 2, naming --verify-log-every.
func TestReview99aNegativeVerifyLogEveryAccepted(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", devKey, "--log-key", logKey, "--verify-log-every", "-24h"}, &out, &errb)
	}()
	select {
	case code := <-done:
		t.Logf("exit %d: %s", code, errb.String())
		if code == 0 || !strings.Contains(errb.String(), "verify-log-every") {
			t.Errorf("--verify-log-every -24h: exit %d without naming the flag: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		cancel()
		<-done
		t.Errorf("carex serve --verify-log-every -24h was accepted and served (the log is then never checked again); log:\n%.600s", errb.String())
	}
}
