package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// review51eTargets gives every persona one patient, so that any op builds.
func review51eTargets() Targets {
	t := Targets{}
	for _, p := range Personas {
		t[p.Key] = []Patient{{ID: "p1", NHS: "9990000018"}}
	}
	for _, k := range Clinical {
		t[k] = []Patient{{ID: "p1", NHS: "9990000018"}}
	}
	return t
}

func review51eTokens() map[string]string {
	m := map[string]string{}
	for _, p := range Personas {
		m[p.Key] = "tok-" + p.Key
	}
	return m
}

// TestReview51eThroughputCountsTheTimeRequestsTook: a request started in the
// measured time but answered after it is counted, yet the rate divides by
// the configured --duration only. Against a server that takes 600 ms per
// request, one user measured for 200 ms completes one request in about
// 600 ms of wall time: a throughput of at most ~1.7 req/s, reported as 5.
func TestReview51eThroughputCountsTheTimeRequestsTook(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Patient","id":"p1"}`))
	}))
	defer srv.Close()
	mix, err := ParseMix("read=1")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: srv.URL + "/fhir", Users: 1, Duration: 200 * time.Millisecond,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: NewClient(1, 5*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(t0)
	rep := res.Report()
	actual := float64(rep.Total.Count) / wall.Seconds()
	t.Logf("count %d, reported %.1f req/s over duration_s %.2f; wall %.2fs -> %.2f req/s", rep.Total.Count, rep.Total.RPS, rep.DurationS, wall.Seconds(), actual)
	if rep.Total.RPS > 1.25*actual+0.1 {
		t.Errorf("reported throughput %.1f req/s, but %d requests took %.2fs of wall time (%.2f req/s): the rate divides by the configured duration (%.2fs), not the time the measured requests took",
			rep.Total.RPS, rep.Total.Count, wall.Seconds(), actual, rep.DurationS)
	}
}

// TestReview51eTimedOutRequestsLeftOutOfLatency: a request that hits the
// client's --timeout is counted as a transport error but its time is never
// recorded, so p99 and max describe only the requests that were answered.
// Half the requests here hang past a 300 ms timeout; the other half answer
// at once: max should be at least the timeout.
func TestReview51eTimedOutRequestsLeftOutOfLatency(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}
		w.Write([]byte(`{"resourceType":"Patient","id":"p1"}`))
	}))
	defer srv.Close()
	mix, _ := ParseMix("read=1")
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: srv.URL + "/fhir", Users: 2, Duration: 1500 * time.Millisecond,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: NewClient(2, 300*time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report()
	t.Logf("total %+v", rep.Total)
	if rep.Total.TransportErrors == 0 {
		t.Fatalf("no transport errors: %+v", rep.Total)
	}
	if rep.Total.MaxMs < 300 {
		t.Errorf("%d of %d requests waited the whole 300 ms timeout, but max is %.2f ms and p99 %.2f ms: timed-out requests' time is not recorded",
			rep.Total.TransportErrors, rep.Total.Count, rep.Total.MaxMs, rep.Total.P99ms)
	}
}

// TestReview51eSoundNon2xxCountedAsErrors: 404, 403, 500 and 302 answers are
// errors (not successes), sampled, and the table and the JSON agree.
func TestReview51eSoundNon2xxCountedAsErrors(t *testing.T) {
	var n atomic.Int64
	codes := []int{200, 404, 403, 500, 302, 201}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := codes[int(n.Add(1))%len(codes)]
		if c == 302 {
			w.Header().Set("Location", "http://127.0.0.1:1/nowhere")
		}
		w.WriteHeader(c)
		w.Write([]byte(`{"resourceType":"OperationOutcome"}`))
	}))
	defer srv.Close()
	mix, _ := ParseMix("read=1,search=1,everything=1")
	cl := NewClient(1, 5*time.Second)
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := Run(context.Background(), Config{Label: "probe", BaseURL: srv.URL + "/fhir", Users: 1, Duration: 400 * time.Millisecond,
		Mix: mix, Seed: 1, Tokens: review51eTokens(), Targets: review51eTargets(), Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report()
	tot := rep.Total
	if tot.Count < 12 {
		t.Fatalf("too few requests: %+v", tot)
	}
	ratio := float64(tot.Errors) / float64(tot.Count)
	if ratio < 0.5 || ratio > 0.85 || rep.UnexpectedTotal != tot.Errors+tot.TransportErrors || len(rep.ErrorSamples) == 0 {
		t.Errorf("errors %d of %d (%.2f, want ~4/6), unexpected %d, samples %d", tot.Errors, tot.Count, ratio, rep.UnexpectedTotal, len(rep.ErrorSamples))
	}
	var sum uint64
	for _, o := range rep.Ops {
		sum += o.Errors
	}
	if sum != tot.Errors {
		t.Errorf("per-op errors add to %d, total says %d", sum, tot.Errors)
	}
	var tb bytes.Buffer
	WriteTable(&tb, rep)
	raw, _ := json.Marshal(rep)
	var back RunReport
	json.Unmarshal(raw, &back)
	for _, o := range append(back.Ops, back.Total) {
		found := false
		for _, line := range strings.Split(tb.String(), "\n") {
			f := strings.Fields(line)
			if len(f) >= 10 && f[0] == o.Op {
				found = true
				if f[1] != itoa(o.Count) || f[7] != itoa(o.Errors) {
					t.Errorf("table row %q disagrees with JSON %+v", line, o)
				}
			}
		}
		if !found {
			t.Errorf("no table row for %s:\n%s", o.Op, tb.String())
		}
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
