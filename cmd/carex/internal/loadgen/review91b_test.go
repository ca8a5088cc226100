package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// review91bDyingServer answers each request after 20 ms until it is closed
// at closeAfter: from then on every connection is refused, as when the
// server under test crashes or is stopped in the middle of a bench run.
func review91bDyingServer(t *testing.T, closeAfter time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var answered atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Patient","id":"p1"}`))
		answered.Add(1)
	}))
	time.AfterFunc(closeAfter, srv.Close)
	t.Cleanup(srv.Close)
	return srv, &answered
}

// TestReview91bRefusedConnectionsCountAsThroughput: when the server
// under test goes down mid-run, every refused connection (a failure that
// takes microseconds) is counted as a request in req/s and its few
// microseconds go into p50/p95. Seen with the real binaries: a server
// killed 5 s into an 8 s run (4 users) was reported at 9,281.8 req/s
// total, p50 0.08 ms, of which 70,569 of 74,256 "requests" were
// "connection refused"; the same server had done 1,590 req/s, p50 1.9 ms
// while up. A careful user (and wrk, whose Requests/sec leaves socket
// errors out) expects throughput and latency to describe requests the
// server answered; failures belong in the error columns only. Here the
// server answers ~15 requests (20 ms each) in its 300 ms of life, then
// refuses for 700 ms: the rate of answered requests is ~15/s; reported
// req/s is expected to be within 10x of that.
func TestReview91bRefusedConnectionsCountAsThroughput(t *testing.T) {
	srv, answered := review91bDyingServer(t, 300*time.Millisecond)
	mix, _ := ParseMix("read=1")
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: srv.URL + "/fhir", Users: 1, Duration: time.Second,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: NewClient(1, 5*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report()
	answeredRate := float64(answered.Load()) / rep.DurationS
	t.Logf("answered %d in %.2fs (%.1f/s); reported: count %d, req/s %.1f, p50 %.3f ms, transport errors %d",
		answered.Load(), rep.DurationS, answeredRate, rep.Total.Count, rep.Total.RPS, rep.Total.P50ms, rep.Total.TransportErrors)
	if rep.Total.TransportErrors == 0 {
		t.Fatalf("the server was closed mid-run but no transport error was counted: %+v", rep.Total)
	}
	if rep.Total.RPS > 10*answeredRate+1 {
		t.Errorf("reported throughput %.1f req/s (p50 %.3f ms) for a server that answered %d requests in %.2fs (%.1f/s, 20 ms each): "+
			"%d refused connections are counted as requests in req/s and latency (loadgen.(*user).do counts o.Requests++ and Hist.Record for transport errors)",
			rep.Total.RPS, rep.Total.P50ms, answered.Load(), rep.DurationS, answeredRate, rep.Total.TransportErrors)
	}
}

// TestReview91bSoundServerDownCountedAndSampled: the same dying server:
// the refused connections are counted as transport errors, sampled with
// the dial error, added to unexpected_errors (carex bench exits 1 on it)
// and shown in the table.
func TestReview91bSoundServerDownCountedAndSampled(t *testing.T) {
	srv, _ := review91bDyingServer(t, 200*time.Millisecond)
	mix, _ := ParseMix("read=1,search=1")
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: srv.URL + "/fhir", Users: 2, Duration: 600 * time.Millisecond,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: NewClient(2, 5*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report()
	if rep.Total.TransportErrors == 0 || rep.UnexpectedTotal != rep.Total.Errors+rep.Total.TransportErrors {
		t.Fatalf("transport errors %d, unexpected %d: %+v", rep.Total.TransportErrors, rep.UnexpectedTotal, rep.Total)
	}
	if len(rep.ErrorSamples) == 0 || !strings.Contains(strings.Join(rep.ErrorSamples, "\n"), "refused") {
		t.Errorf("error samples do not say the connection was refused: %q", rep.ErrorSamples)
	}
	var tb bytes.Buffer
	WriteTable(&tb, rep)
	if !strings.Contains(tb.String(), strconv.FormatUint(rep.Total.TransportErrors, 10)) || !strings.Contains(tb.String(), "refused") {
		t.Errorf("the table does not show the transport errors:\n%s", tb.String())
	}
}

// TestReview91bSoundVmHWMMatchesProc: --pid reads VmHWM from
// /proc/PID/status in bytes, the figure `grep VmHWM /proc/PID/status`
// gives in kB (checked by hand against a running carex serve: bench said
// 136.3 MiB, /proc said 139552 kB = 136.3 MiB).
func TestReview91bSoundVmHWMMatchesProc(t *testing.T) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc")
	}
	got, err := VmHWM(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var kb int64
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	// VmHWM only grows: the later reading is at least the earlier one and
	// the two are close.
	if kb == 0 || got < kb*1024 || got > kb*1024*2 {
		t.Errorf("VmHWM %d bytes, /proc/self/status says %d kB", got, kb)
	}
}

// TestReview91bSoundUsersAreConcurrentAndDurationHolds: --users N keeps
// exactly N requests in flight (never more, and all N at once), and the
// run measures about --duration (the table's "measured" time; checked by
// hand: --duration 10s measured 10.0016s).
func TestReview91bSoundUsersAreConcurrentAndDurationHolds(t *testing.T) {
	var inflight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		inflight.Add(-1)
		w.Write([]byte(`{"resourceType":"Patient","id":"p1"}`))
	}))
	defer srv.Close()
	mix, _ := ParseMix("read=1,everything=1")
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: srv.URL + "/fhir", Users: 3, Duration: 500 * time.Millisecond,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: NewClient(3, 5*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report()
	if peak.Load() != 3 {
		t.Errorf("3 users, but at most %d requests were in flight at once", peak.Load())
	}
	if rep.DurationS < 0.5 || rep.DurationS > 5 {
		t.Errorf("measured %.3fs for a 0.5s duration", rep.DurationS)
	}
}
