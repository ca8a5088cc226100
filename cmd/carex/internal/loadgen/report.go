package loadgen

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

var readFile = os.ReadFile

// OpReport is one row of the report, as written to JSON.
type OpReport struct {
	Op              string  `json:"op"`
	Count           uint64  `json:"count"`
	RPS             float64 `json:"rps"`
	P50ms           float64 `json:"p50_ms"`
	P95ms           float64 `json:"p95_ms"`
	P99ms           float64 `json:"p99_ms"`
	MaxMs           float64 `json:"max_ms"`
	MeanMs          float64 `json:"mean_ms"`
	Errors          uint64  `json:"errors"`           // unexpected HTTP statuses
	TransportErrors uint64  `json:"transport_errors"` // no response
	Expected        uint64  `json:"expected_non2xx"`  // statuses listed as expected (e.g. 501 for IG on a baseline)
}

// RunReport is one run, as written to JSON.
type RunReport struct {
	Label           string     `json:"label"`
	URL             string     `json:"url"`
	Users           int        `json:"users"`
	DurationS       float64    `json:"duration_s"`
	Ops             []OpReport `json:"ops"`
	Total           OpReport   `json:"total"`
	PeakRSSBytes    int64      `json:"server_peak_rss_bytes,omitempty"` // max of process_resident_memory_bytes from /metrics
	RSSSamples      int        `json:"server_rss_samples,omitempty"`
	VmHWMBytes      int64      `json:"server_vmhwm_bytes,omitempty"` // /proc/PID/status, with --pid
	Waits           *Waits     `json:"server_waits,omitempty"`       // from the server's counters (carex /metrics)
	ErrorSamples    []string   `json:"error_samples,omitempty"`
	UnexpectedTotal uint64     `json:"unexpected_errors"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func row(op string, o *OpResult, dur time.Duration) OpReport {
	h := &o.Hist
	// Throughput is of answers, as wrk's (review 91b): transport errors
	// have their own column.
	answered := o.Requests - o.TransportErrors
	return OpReport{
		Op: op, Count: answered, RPS: math.Round(float64(answered)/dur.Seconds()*10) / 10,
		P50ms: ms(h.Quantile(.50)), P95ms: ms(h.Quantile(.95)), P99ms: ms(h.Quantile(.99)),
		MaxMs: ms(h.Max()), MeanMs: ms(h.Mean()),
		Errors: o.Errors, TransportErrors: o.TransportErrors, Expected: o.Expected,
	}
}

// Report turns a Result into its JSON form.
func (r *Result) Report() RunReport {
	rep := RunReport{Label: r.Label, URL: r.URL, Users: r.Users, DurationS: r.Duration.Seconds(),
		PeakRSSBytes: r.PeakRSS, RSSSamples: r.RSSSamples, ErrorSamples: r.ErrorSamples,
		Waits: waits(r.Counters, r.CountersFor)}
	for _, op := range Ops {
		if o, ok := r.Ops[op]; ok {
			rep.Ops = append(rep.Ops, row(op, o, r.Duration))
		}
	}
	rep.Total = row("total", r.Total, r.Duration)
	rep.UnexpectedTotal = r.Total.Errors + r.Total.TransportErrors
	return rep
}

// WriteTable prints a run as a table.
func WriteTable(w io.Writer, rep RunReport) {
	fmt.Fprintf(w, "%s — %s, %d users, %s measured\n", rep.Label, rep.URL, rep.Users, time.Duration(rep.DurationS*float64(time.Second)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tcount\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\ttransport\texpected non-2xx\t")
	for _, o := range append(rep.Ops, rep.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t\n",
			o.Op, o.Count, o.RPS, o.P50ms, o.P95ms, o.P99ms, o.MaxMs, o.Errors, o.TransportErrors, o.Expected)
	}
	tw.Flush()
	if rep.PeakRSSBytes > 0 {
		fmt.Fprintf(w, "server peak RSS (max of %d samples of /metrics process_resident_memory_bytes): %.1f MiB\n", rep.RSSSamples, float64(rep.PeakRSSBytes)/(1<<20))
	}
	if rep.VmHWMBytes > 0 {
		fmt.Fprintf(w, "server VmHWM (/proc, peak since start): %.1f MiB\n", float64(rep.VmHWMBytes)/(1<<20))
	}
	if rep.Waits != nil {
		writeWaits(w, rep.Waits)
	}
	for _, s := range rep.ErrorSamples {
		fmt.Fprintf(w, "  error: %s\n", s)
	}
}

// Ratio is throughput with privacy on over throughput with it off, per
// operation and overall.
type Ratio struct {
	Op    string  `json:"op"`
	On    float64 `json:"rps_privacy_on"`
	Off   float64 `json:"rps_privacy_off"`
	Ratio float64 `json:"ratio"` // on / off; 0 when not comparable
	Note  string  `json:"note,omitempty"`
}

// Ratios compares a run with privacy on to its baseline. Operations whose
// baseline answered with expected non-2xx (IG queries: the baseline has no
// access log) are not comparable and are left out of the overall ratio.
func Ratios(on, off RunReport) []Ratio {
	var out []Ratio
	offBy := map[string]OpReport{}
	for _, o := range off.Ops {
		offBy[o.Op] = o
	}
	var sumOn, sumOff uint64
	for _, o := range on.Ops {
		b := offBy[o.Op]
		r := Ratio{Op: o.Op, On: o.RPS, Off: b.RPS}
		switch {
		case b.Expected > 0:
			r.Note = "not comparable: the baseline has no access log, so it refused these (501)"
		case b.RPS > 0:
			r.Ratio = math.Round(o.RPS/b.RPS*1000) / 1000
			sumOn += o.Count
			sumOff += b.Count
			if o.Count == 0 {
				r.Note = "privacy on answered none of these: see its errors"
			}
		}
		out = append(out, r)
	}
	all := Ratio{Op: "overall", On: float64(sumOn) / on.DurationS, Off: float64(sumOff) / off.DurationS}
	all.On, all.Off = math.Round(all.On*10)/10, math.Round(all.Off*10)/10
	if all.Off > 0 {
		all.Ratio = math.Round(all.On/all.Off*1000) / 1000
		all.Note = "comparable operations only"
		if sumOn == 0 {
			all.Note += "; privacy on answered none of them: see its errors"
		}
	}
	return append(out, all)
}

// WriteRatios prints the comparison.
func WriteRatios(w io.Writer, rs []Ratio) {
	fmt.Fprintln(w, "throughput, privacy on / off (consent filtering + access log vs --bench-no-privacy):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\treq/s on\treq/s off\ton/off\t")
	for _, r := range rs {
		ratio := "n/a"
		if r.Off > 0 && !strings.HasPrefix(r.Note, "not comparable") { // 0.000 when privacy on answered none (review 92a)
			ratio = fmt.Sprintf("%.3f", r.Ratio)
		}
		note := ""
		if r.Note != "" {
			note = "  (" + r.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%s\n", r.Op, r.On, r.Off, ratio, note)
	}
	tw.Flush()
}
