package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/cmd/carex/internal/loadgen"
)

// benchDemo starts carex demo in-process (with extra flags) and waits for
// /healthz; it is stopped at cleanup.
func benchDemo(t *testing.T, dir, name string, extra ...string) string {
	t.Helper()
	addr := e2eFreeAddr(t)
	args := append([]string{"demo", "--addr", addr, "--db", filepath.Join(dir, name+".db"),
		"--dev-key", filepath.Join(dir, "dev-key.pem"), "--log-key", filepath.Join(dir, name+"-log-key"), "--log-level", "warn"}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &syncBuffer{}, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("%s: demo still running 20s after cancel", name)
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("%s: demo exited %d:\n%s", name, code, stderr.String())
		default:
		}
		if res, err := client.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return "http://" + addr + "/fhir"
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /healthz not 200 within 30s:\n%s", name, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBench runs carex bench against the demo population and against a
// --bench-no-privacy baseline: every operation runs, nothing fails
// unexpectedly, and the JSON report holds it all.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	dir := t.TempDir()
	mainURL := benchDemo(t, dir, "main")
	base := benchDemo(t, dir, "baseline", "--bench-no-privacy")
	out := filepath.Join(dir, "bench.json")
	all := "everything=1,search=1,read=1,write=1,consent=1,ig=1,transaction=1"
	// 8 users: more than the store's reader connections on 2 cores (a
	// search once held one while its filter waited for another, and hung).
	code, stdout, stderr := e2eRun(t, "bench", "--url", mainURL, "--baseline-url", base, "--dev-key", filepath.Join(dir, "dev-key.pem"),
		"--users", "8", "--duration", "1500ms", "--warmup", "200ms", "--mix", all, "--json", out, "--pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("bench: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"privacy on", "privacy off (baseline)", "p99 ms", "on/off", "overall", "server peak RSS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Targets map[string]int
		Runs    []loadgen.RunReport
		Ratios  []loadgen.Ratio
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, raw)
	}
	if len(rep.Runs) != 2 || len(rep.Ratios) != len(loadgen.Ops)+1 {
		t.Fatalf("%d runs, %d ratios:\n%s", len(rep.Runs), len(rep.Ratios), raw)
	}
	for _, k := range loadgen.Clinical {
		if rep.Targets[k] == 0 {
			t.Errorf("no target patients for %s", k)
		}
	}
	for _, r := range rep.Runs {
		if len(r.Ops) != len(loadgen.Ops) {
			t.Errorf("%s: %d ops", r.Label, len(r.Ops))
		}
		for _, o := range r.Ops {
			if o.Count == 0 || o.Errors != 0 || o.TransportErrors != 0 || o.P50ms <= 0 || o.P99ms < o.P50ms || o.MaxMs < o.P99ms {
				t.Errorf("%s %s: %+v", r.Label, o.Op, o)
			}
		}
		if r.PeakRSSBytes <= 0 {
			t.Errorf("%s: no peak RSS", r.Label)
		}
	}
	// IG queries need the access log, which the baseline does not keep.
	if ig := rep.Runs[1].Ops[5]; ig.Op != "ig" || ig.Expected != ig.Count {
		t.Errorf("baseline ig: %+v", ig)
	}
	if rep.Runs[0].VmHWMBytes <= 0 {
		t.Errorf("--pid: no VmHWM")
	}
	// Where the servers' requests waited, from their counters over the
	// measured time: one log entry per request, give or take those in
	// flight when the counters were first read (up to one per user, plus
	// those answered while that read was on its way), none on the baseline.
	on, off := rep.Runs[0].Waits, rep.Runs[1].Waits
	if on == nil || off == nil {
		t.Fatalf("server waits: on %+v, off %+v", on, off)
	}
	n := float64(rep.Runs[0].Total.Count)
	if d := on.LogEntries - n; d < -8-n/5 || d > 8+n/5 || on.LogWaitMs <= 0 || on.JournalWriteMs <= 0 || on.EntriesPerWrite < 1 {
		t.Errorf("privacy on: %+v for %d requests", *on, rep.Runs[0].Total.Count)
	}
	if off.LogEntries != 0 {
		t.Errorf("baseline logged %v entries", off.LogEntries)
	}
	// Busy time over the window can pass 1 by a transaction that began
	// before it (one can take 150 ms under -race against a 1.5 s window,
	// and 750 ms with other tests loading the machine: 1.51 was seen).
	// The bound catches a counter read twice or in the wrong unit.
	for _, w := range []*loadgen.Waits{on, off} {
		if w.StoreWrites <= 0 || w.StoreWaitMs <= 0 || w.WritesPerTxn < 1 || w.WriterBusy <= 0 || w.WriterBusy > 2 {
			t.Errorf("store waits: %+v", *w)
		}
	}
	if !strings.Contains(stdout, "for its durable access-log entry") || !strings.Contains(stdout, "for the single writer") {
		t.Errorf("stdout lacks the server's waits:\n%s", stdout)
	}

	// Rounds: the servers take turns, and the report adds the turns up.
	code, stdout, stderr = e2eRun(t, "bench", "--url", mainURL, "--baseline-url", base, "--dev-key", filepath.Join(dir, "dev-key.pem"),
		"--users", "4", "--duration", "1200ms", "--warmup", "200ms", "--rounds", "3", "--mix", "read=1,search=1", "--json", out)
	if code != 0 {
		t.Fatalf("bench --rounds 3: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "privacy on: 4 users"); n != 3 {
		t.Errorf("privacy on ran %d times, want 3 turns:\n%s", n, stderr)
	}
	if !strings.Contains(stdout, "in each of the 3 rounds") {
		t.Errorf("stdout lacks the rounds' ratios:\n%s", stdout)
	}
	raw, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rounds struct {
		Rounds      int
		RoundRatios []float64 `json:"round_ratios"`
		Runs        []loadgen.RunReport
	}
	if err := json.Unmarshal(raw, &rounds); err != nil {
		t.Fatal(err)
	}
	if rounds.Rounds != 3 || len(rounds.RoundRatios) != 3 || len(rounds.Runs) != 2 {
		t.Fatalf("rounds %d, %d round ratios, %d runs:\n%s", rounds.Rounds, len(rounds.RoundRatios), len(rounds.Runs), raw)
	}
	for _, r := range rounds.Runs {
		// Three turns of 400 ms each: their requests, over their summed
		// time, each turn's measured to its last request's end (review 51e).
		if r.DurationS < 1.2 || r.DurationS > 2 || r.Total.Count == 0 || r.Total.RPS != math.Round(float64(r.Total.Count)/r.DurationS*10)/10 {
			t.Errorf("%s: %v s, %d requests, %v req/s", r.Label, r.DurationS, r.Total.Count, r.Total.RPS)
		}
	}
	for _, x := range rounds.RoundRatios {
		if x <= 0 {
			t.Errorf("round ratios %v", rounds.RoundRatios)
		}
	}
}

func TestBenchNoPrivacyNeedsDev(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	code, _, stderr := e2eRun(t, "serve", "--bench-no-privacy", "--db", db, "--addr", "127.0.0.1:0",
		"--jwks", filepath.Join(dir, "none.json"), "--log-key", filepath.Join(dir, "log-key"))
	if code != 1 || !strings.Contains(stderr, "--dev") || !strings.Contains(stderr, "production") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the refused server created its database")
	}
}

func TestBenchRefusesBadMix(t *testing.T) {
	code, _, stderr := e2eRun(t, "bench", "--mix", "read=1,frobnicate=2")
	if code != 1 || !strings.Contains(stderr, "frobnicate") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
