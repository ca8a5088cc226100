package auditlog

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/store/sqlite"
)

func benchAppend(b *testing.B, maxBatch int) {
	f := newFixture(b, Options{MaxBatch: maxBatch})
	b.SetParallelism(32) // 64 appenders on 2 CPUs
	var i atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f.log.Append(context.Background(), sample(int(i.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAppendParallel: group commit against one transaction per entry.
func BenchmarkAppendParallel(b *testing.B) {
	b.Run("group", func(b *testing.B) { benchAppend(b, 512) })
	b.Run("single", func(b *testing.B) { benchAppend(b, 1) })
}

const verifyN = 100_000

var (
	verifyOnce sync.Once
	verifyDir  string
	verifyErr  error
)

// verifyDB builds (once per test binary run) a log of verifyN entries.
func verifyDB(b *testing.B) string {
	verifyOnce.Do(func() {
		verifyDir, verifyErr = os.MkdirTemp("", "auditlog-bench")
		if verifyErr != nil {
			return
		}
		path := filepath.Join(verifyDir, "carex.db")
		ctx := context.Background()
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			verifyErr = err
			return
		}
		defer db.Close()
		s, _, err := LoadOrCreateKey(filepath.Join(verifyDir, "log.key"), "bench")
		if err != nil {
			verifyErr = err
			return
		}
		l, err := Open(ctx, db.Writer(), db.Reader(), Options{Signer: s, MaxBatch: 4096, CheckpointEvery: 1000})
		if err != nil {
			verifyErr = err
			return
		}
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 256 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= verifyN {
						return
					}
					if err := l.Append(ctx, sample(int(i))); err != nil {
						verifyErr = err
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := l.Close(); err != nil {
			verifyErr = err
		}
	})
	if verifyErr != nil {
		b.Fatal(verifyErr)
	}
	return filepath.Join(verifyDir, "carex.db")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if verifyDir != "" {
		os.RemoveAll(verifyDir)
	}
	os.Exit(code)
}

func BenchmarkVerify(b *testing.B) {
	path := verifyDB(b)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	vs, err := LoadVerifiers(filepath.Join(filepath.Dir(path), "log.key.pub"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := Verify(ctx, db.Reader(), vs)
		if err != nil || r.Entries != verifyN {
			b.Fatalf("%v %+v", err, r)
		}
	}
	b.ReportMetric(float64(verifyN)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkIndex: copying journaled entries into the SQLite tables (what
// the indexer does behind the responses), b.N entries in one Sync.
func BenchmarkIndex(b *testing.B) {
	// All b.N entries wait in the journal, then one Sync indexes them: with
	// back-pressure on, the indexing would happen (untimed) during appends.
	q := maxQueue
	b.Cleanup(func() { maxQueue = q }) // after the log's close: the writer reads it
	maxQueue = b.N + 1
	f := newFixture(b, Options{IndexDelay: time.Hour, IndexBatch: 1 << 30, CheckpointEvery: 1000, MaxBatch: 4096})
	ctx := context.Background()
	appendAll(b, ctx, f.log, b.N, 64)
	b.ResetTimer()
	if err := f.log.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
