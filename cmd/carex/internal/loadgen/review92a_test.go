package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Review 92a: a re-read of f757d8b (throughput counts answered requests;
// refused or broken connections record no latency; a timeout's wait still
// counts), against httptest servers and the real Run / Report / Ratios /
// WriteRatios.

// r92aServer answers each request after delay.
func r92aServer(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Patient","id":"p1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func r92aRun(t *testing.T, url string, timeout, dur time.Duration) RunReport {
	t.Helper()
	mix, _ := ParseMix("read=1")
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: url + "/fhir", Users: 2, Duration: dur,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: NewClient(2, timeout)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Report()
}

// TestReview92aSoundEveryRequestTimesOut: a server slower than the
// timeout: count 0 and req/s 0 (nothing answered), every request in the
// transport column and in unexpected_errors (carex bench exits 1 on it:
// bench.go sums UnexpectedTotal), and the latencies are the timeouts'
// waits, not microseconds; the ops add up to the total.
func TestReview92aSoundEveryRequestTimesOut(t *testing.T) {
	srv := r92aServer(t, 2*time.Second)
	rep := r92aRun(t, srv.URL, 60*time.Millisecond, 400*time.Millisecond)
	tot := rep.Total
	t.Logf("total: %+v unexpected %d", tot, rep.UnexpectedTotal)
	if tot.Count != 0 || tot.RPS != 0 || tot.TransportErrors == 0 {
		t.Errorf("every request timed out: count %d, req/s %.1f, transport %d", tot.Count, tot.RPS, tot.TransportErrors)
	}
	if rep.UnexpectedTotal != tot.Errors+tot.TransportErrors || rep.UnexpectedTotal == 0 {
		t.Errorf("unexpected_errors %d, errors %d + transport %d", rep.UnexpectedTotal, tot.Errors, tot.TransportErrors)
	}
	if tot.P50ms < 50 {
		t.Errorf("p50 %.3f ms for requests that each waited out a 60 ms timeout", tot.P50ms)
	}
	var c, tr uint64
	for _, o := range rep.Ops {
		c, tr = c+o.Count, tr+o.TransportErrors
	}
	if c != tot.Count || tr != tot.TransportErrors {
		t.Errorf("ops add to count %d transport %d; total says %d, %d", c, tr, tot.Count, tot.TransportErrors)
	}
}

// TestReview92aRatioOfNothingAnsweredShownAsNA: with privacy on,
// every read timed out (the server answered none in the time), while the
// baseline answered them at full speed. Since f757d8b the on-run's count
// and req/s are 0 (timeouts are no longer counted as requests), so
// Ratios gives the read ratio 0 with no note, and WriteRatios prints 0
// as "n/a" — the table a careful user reads says the ratio is not
// applicable, with no reason, for the worst case there is (privacy on
// answered nothing). Before f757d8b the timed-out requests were counted
// and the ratio was a small positive number. Expected (judgement): "0.000"
// or a note saying the privacy-on run answered none.
// (loadgen/report.go: WriteRatios prints "n/a" for Ratio <= 0, and Ratios
// leaves Note empty when o.RPS is 0 but b.RPS > 0.)
func TestReview92aRatioOfNothingAnsweredShownAsNA(t *testing.T) {
	slow, fast := r92aServer(t, 2*time.Second), r92aServer(t, 2*time.Millisecond)
	on := r92aRun(t, slow.URL, 60*time.Millisecond, 400*time.Millisecond)
	off := r92aRun(t, fast.URL, 60*time.Millisecond, 400*time.Millisecond)
	if on.Total.TransportErrors == 0 || off.Total.Count == 0 {
		t.Fatalf("premise: on %+v, off %+v", on.Total, off.Total)
	}
	rs := Ratios(on, off)
	var tb bytes.Buffer
	WriteRatios(&tb, rs)
	t.Logf("ratios %+v\n%s", rs, tb.String())
	for _, r := range rs {
		if r.Op != "read" {
			continue
		}
		line := ""
		for _, l := range strings.Split(tb.String(), "\n") {
			if strings.HasPrefix(l, "read") {
				line = l
			}
		}
		if r.Note == "" && strings.Contains(line, "n/a") {
			t.Errorf("privacy on answered no read in time (%d timeouts), the baseline %d: the ratio is shown as %q with no note", on.Total.TransportErrors, off.Total.Count, strings.TrimSpace(line))
		}
	}
}
