package loadgen

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHistogramKnownData(t *testing.T) {
	var h Histogram
	// 1..1000 ms: the q-quantile is q*1000 ms.
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{.5, 500 * time.Millisecond}, {.95, 950 * time.Millisecond}, {.99, 990 * time.Millisecond}, {1, time.Second}, {0, time.Millisecond}} {
		got := h.Quantile(c.q)
		if d := float64(got-c.want) / float64(c.want); d < -1.0/128 || d > 1.0/128 {
			t.Errorf("q%.2f = %v, want %v within 1/128", c.q, got, c.want)
		}
	}
	if h.Max() != time.Second || h.Count() != 1000 {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
	if m := h.Mean(); m != 500500*time.Microsecond {
		t.Errorf("mean %v, want 500.5ms", m)
	}
}

func TestHistogramSmallValuesExact(t *testing.T) {
	var h Histogram
	for _, v := range []time.Duration{3, 1, 2, 4, 5} {
		h.Record(v)
	}
	if h.Quantile(.5) != 3 || h.Quantile(.2) != 1 || h.Quantile(1) != 5 {
		t.Errorf("p20 %v p50 %v p100 %v", h.Quantile(.2), h.Quantile(.5), h.Quantile(1))
	}
	var empty Histogram
	if empty.Quantile(.99) != 0 || empty.Mean() != 0 {
		t.Error("empty histogram")
	}
}

// Against exact sorted-sample percentiles over a wide, skewed range.
func TestHistogramMatchesSortedSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h, a, b Histogram
	var all []time.Duration
	for i := 0; i < 20000; i++ {
		v := time.Duration(r.ExpFloat64() * float64(3*time.Millisecond))
		all = append(all, v)
		h.Record(v)
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	slices.Sort(all)
	for _, q := range []float64{.5, .9, .95, .99, .999} {
		exact := all[int(q*float64(len(all)))-1]
		for _, hh := range []*Histogram{&h, &a} {
			got := hh.Quantile(q)
			if d := float64(got-exact) / float64(exact); d < -1.0/128 || d > 1.0/128 {
				t.Errorf("q%v = %v, exact %v", q, got, exact)
			}
		}
	}
	if a.Max() != all[len(all)-1] || a.Count() != h.Count() {
		t.Errorf("merged max %v count %d", a.Max(), a.Count())
	}
}

func TestBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<62 + 12345, 1<<63 - 1} {
		i := bucketOf(v)
		lo, hi := bucketRange(i)
		if v < lo || v > hi || i >= histBuckets {
			t.Errorf("%d: bucket %d [%d,%d]", v, i, lo, hi)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix(DefaultMix)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, op := range Ops {
		if m[op] <= 0 {
			t.Errorf("default mix lacks %s", op)
		}
		total += m[op]
	}
	if total != 100 || m.String() != DefaultMix {
		t.Errorf("total %d, %s", total, m)
	}
	m, err = ParseMix(" read = 3 , everything=1,ig=0")
	if err != nil || m["read"] != 3 || m["everything"] != 1 || m.String() != "everything=1,read=3" {
		t.Errorf("%v %v", m, err)
	}
	for _, bad := range []string{"", "read", "read=x", "read=-1", "nope=1", "read=1,read=2", "read=0,ig=0"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// The picker honours the weights.
	p := newPicker(Mix{"read": 3, "ig": 1})
	got := map[string]int{}
	for r := 0; r < p.total; r++ {
		got[p.pick(r)]++
	}
	if got["read"] != 3 || got["ig"] != 1 {
		t.Errorf("picks %v", got)
	}
}

// The requests a user makes depend only on the seed and the user number.
func TestDeterministic(t *testing.T) {
	cfg := &Config{Seed: 7, Mix: Mix{"everything": 1, "search": 1, "read": 1, "write": 1, "ig": 1, "transaction": 1}, Targets: Same([]Patient{{ID: "a", NHS: "9990000018"}, {ID: "b"}, {ID: "c", NHS: "9990000026"}})}
	seq := func(seed uint64) string {
		cfg.Seed = seed
		u := &user{n: 1, cfg: cfg, rng: rand.New(rand.NewPCG(seed, 1)), nhs: map[string][]Patient{"gp": {{ID: "a", NHS: "9990000018"}}}}
		p := newPicker(cfg.Mix)
		var b strings.Builder
		for i := 0; i < 200; i++ {
			rq := u.build(p.pick(u.rng.IntN(p.total)))
			b.WriteString(rq.method + rq.path + rq.persona + rq.body + "\n")
		}
		return b.String()
	}
	if seq(7) != seq(7) {
		t.Error("same seed, different requests")
	}
	if seq(7) == seq(8) {
		t.Error("different seeds, same requests")
	}
}

func TestReadTargetFiles(t *testing.T) {
	dir := t.TempDir()
	pf := dir + "/p.txt"
	os.WriteFile(pf, []byte("# people\njane-demo 999 000 0018\n\narthur-demo,9990000026\nsynthea-x\n"), 0o644)
	ps, err := ReadPatientsFile(pf)
	want := []Patient{{ID: "jane-demo", NHS: "9990000018"}, {ID: "arthur-demo", NHS: "9990000026"}, {ID: "synthea-x"}}
	if err != nil || !slices.Equal(ps, want) {
		t.Errorf("%v %v", ps, err)
	}
	if err := WritePatientsFile(dir+"/q.txt", ps); err != nil {
		t.Fatal(err)
	}
	if again, err := ReadPatientsFile(dir + "/q.txt"); err != nil || !slices.Equal(again, want) {
		t.Errorf("round trip: %v %v", again, err)
	}
	mf := dir + "/manifest.json"
	os.WriteFile(mf, []byte(`{"format":"carex-synth/1","people":1000,"patients":[{"id":"p000001","nhs":"9990000018","items":40,"gp":"A81001","orgs":["A81001","RCX"]},{"id":"p000002","nhs":"9990000026"}]}`), 0o644)
	ps, err = ReadManifest(mf)
	if err != nil || !slices.Equal(ps, []Patient{{ID: "p000001", NHS: "9990000018"}, {ID: "p000002", NHS: "9990000026"}}) {
		t.Errorf("manifest: %v %v", ps, err)
	}
	os.WriteFile(mf, []byte(`{"format":"other/1","patients":[{"id":"x"}]}`), 0o644)
	if _, err := ReadManifest(mf); err == nil {
		t.Error("a manifest of another format was accepted")
	}
}

func TestWaitsFromCounters(t *testing.T) {
	if w := waits(nil, time.Second); w != nil {
		t.Errorf("no counters: %+v", w)
	}
	d := counterDelta(map[string]float64{
		"carex_access_log_appends_total": 100, "carex_access_log_append_wait_seconds_total": 1,
		"carex_access_log_journal_writes_total": 10, "carex_access_log_journal_entries_total": 100,
		"carex_access_log_journal_write_seconds_total": 0.5, "carex_store_write_requests_total": 0,
	}, map[string]float64{
		"carex_access_log_appends_total": 1100, "carex_access_log_append_wait_seconds_total": 3,
		"carex_access_log_journal_writes_total": 260, "carex_access_log_journal_entries_total": 1100,
		"carex_access_log_journal_write_seconds_total": 0.75, "carex_store_write_requests_total": 40,
		"carex_store_write_wait_seconds_total": 0.2, "carex_store_write_transactions_total": 20,
		"carex_store_writer_busy_seconds_total": 1.5, "process_resident_memory_bytes": 1 << 20,
	})
	if _, ok := d["process_resident_memory_bytes"]; ok {
		t.Errorf("not a wait counter: %v", d)
	}
	got := *waits(d, 2*time.Second)
	want := Waits{LogEntries: 1000, LogWaitMs: 2, JournalWriteMs: 1, EntriesPerWrite: 4,
		StoreWrites: 40, StoreWaitMs: 5, WritesPerTxn: 2, WriterBusy: 0.75}
	if got != want {
		t.Errorf("waits = %+v, want %+v", got, want)
	}
}
