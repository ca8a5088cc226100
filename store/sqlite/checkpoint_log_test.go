package sqlite

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCheckpointWarningGoesToTheStoresLogger: a failed background
// checkpoint was reported through slog.Default(), not the logger serve
// configures, so it ignored --log-format json and --log-level (review
// 16e's left-over): an operator collecting JSON lines got a text line
// from nowhere. Options.Logger now carries serve's logger to it.
func TestCheckpointWarningGoesToTheStoresLogger(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.ck.conn.Close() // the background checkpoint's next attempt fails
	db.ck.committed()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(buf.String(), "checkpoint failed"); {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint warning in the store's logger: %q", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(buf.String(), `"level":"WARN"`) {
		t.Errorf("the warning is not the configured handler's JSON: %q", buf.String())
	}
}
