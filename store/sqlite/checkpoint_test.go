package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/store"
)

// TestBackgroundCheckpoint: committed pages reach the database file through
// the checkpointer alone, long before the writer's own checkpoint is due.
func TestBackgroundCheckpoint(t *testing.T) {
	db := openAt(t, "")
	for i := range 3 {
		if _, err := db.Commit(context.Background(), []*store.Write{obsFor(t, fmt.Sprintf("o%d", i), "p1")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		frames, copied := db.ck.walFrames.Load(), db.ck.copied.Load()
		if frames > 0 && copied == frames {
			if frames >= int64(walAutoCheckpoint) {
				t.Fatalf("%d frames: the writer's checkpoint was due, so this shows nothing", frames)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s the checkpointer reports %d of %d frames copied", copied, frames)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWALStaysBounded: with readers busy throughout, the WAL is still
// rewound (the writer's own checkpoint does that) instead of growing with
// every commit. A rewind gives the WAL header new salts, so the test counts
// the salts it sees rather than judge the file's size, which depends on how
// the readers and the writer happen to be scheduled (on a loaded machine
// the WAL reached 7 MB between rewinds). Without the writer's checkpoint
// (wal_autocheckpoint 0) no rewind happens here and the WAL grows past
// 10 MiB.
func TestWALStaysBounded(t *testing.T) {
	old := walAutoCheckpoint
	walAutoCheckpoint = 64
	t.Cleanup(func() { walAutoCheckpoint = old })
	path := filepath.Join(t.TempDir(), "carex.db")
	db := openAt(t, path)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.Read(ctx, "Observation", "o0"); err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Error(err)
					return
				}
			}
		})
	}
	var most int64
	salts := map[string]bool{}
	for i := range 600 {
		if _, err := db.Commit(ctx, []*store.Write{obsFor(t, fmt.Sprintf("o%d", i), fmt.Sprintf("p%d", i))}, nil); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			most = max(most, fi.Size())
		}
		if salt := walSalt(path + "-wal"); salt != "" {
			salts[salt] = true
		}
	}
	close(stop)
	wg.Wait()
	if len(salts) < 3 {
		t.Fatalf("the WAL was rewound %d times over 600 commits and reached %d bytes: it is not being rewound", len(salts)-1, most)
	}
	t.Logf("%d rewinds, largest WAL %d bytes", len(salts)-1, most)
}

// walSalt is the salt pair in a WAL file's header (bytes 16–23), which
// SQLite changes each time it rewinds the WAL; "" if there is no header.
func walSalt(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 8)
	if _, err := f.ReadAt(b, 16); err != nil {
		return ""
	}
	return string(b)
}
