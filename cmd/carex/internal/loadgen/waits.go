package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ReadMetrics reads the unlabelled samples ("name value") of a Prometheus
// text endpoint.
func ReadMetrics(ctx context.Context, c *http.Client, url, token string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[name] = f
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// waitCounters are the server's counters of where requests wait (carex's
// /metrics: the access log and the records' writer), read at the start and
// end of the measured window.
var waitCounters = []string{
	"carex_access_log_appends_total",
	"carex_access_log_append_wait_seconds_total",
	"carex_access_log_journal_writes_total",
	"carex_access_log_journal_entries_total",
	"carex_access_log_journal_write_seconds_total",
	"carex_store_write_requests_total",
	"carex_store_write_wait_seconds_total",
	"carex_store_write_transactions_total",
	"carex_store_writer_busy_seconds_total",
}

// counterDelta is end - start for each wait counter the server has.
func counterDelta(start, end map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for _, k := range waitCounters {
		if v, ok := end[k]; ok {
			d[k] = v - start[k]
		}
	}
	return d
}

// Waits is where the server's requests waited during the measured time,
// from its counters: the durable access-log entry and the records' single
// writer. Means are per entry or per write request.
type Waits struct {
	LogEntries      float64 `json:"log_entries,omitempty"`
	LogWaitMs       float64 `json:"log_wait_ms,omitempty"`       // mean time a request waited for its entry
	JournalWriteMs  float64 `json:"journal_write_ms,omitempty"`  // mean durable journal write
	EntriesPerWrite float64 `json:"entries_per_write,omitempty"` // group commit
	StoreWrites     float64 `json:"store_writes,omitempty"`      // write requests
	StoreWaitMs     float64 `json:"store_wait_ms,omitempty"`     // mean, queue and transaction
	WritesPerTxn    float64 `json:"writes_per_transaction,omitempty"`
	// WriterBusy is the writer's busy time over the time between the two
	// readings: it can pass 1 by a transaction that began before the first.
	WriterBusy float64 `json:"writer_busy,omitempty"`
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// waits turns counter differences over a measured duration into Waits;
// nil when the server has none of the counters (not carex, or too old).
func waits(d map[string]float64, dur time.Duration) *Waits {
	if len(d) == 0 {
		return nil
	}
	w := &Waits{}
	if n := d["carex_access_log_appends_total"]; n > 0 {
		w.LogEntries = n
		w.LogWaitMs = round3(1e3 * d["carex_access_log_append_wait_seconds_total"] / n)
	}
	if n := d["carex_access_log_journal_writes_total"]; n > 0 {
		w.JournalWriteMs = round3(1e3 * d["carex_access_log_journal_write_seconds_total"] / n)
		w.EntriesPerWrite = round3(d["carex_access_log_journal_entries_total"] / n)
	}
	if n := d["carex_store_write_requests_total"]; n > 0 {
		w.StoreWrites = n
		w.StoreWaitMs = round3(1e3 * d["carex_store_write_wait_seconds_total"] / n)
		if t := d["carex_store_write_transactions_total"]; t > 0 {
			w.WritesPerTxn = round3(n / t)
		}
		if dur > 0 {
			w.WriterBusy = round3(d["carex_store_writer_busy_seconds_total"] / dur.Seconds())
		}
	}
	return w
}

// writeWaits prints w as two lines under a run's table.
func writeWaits(b io.Writer, w *Waits) {
	if w.LogEntries > 0 {
		fmt.Fprintf(b, "server: each request waited %.2f ms on average for its durable access-log entry (journal writes %.2f ms, %.1f entries each)\n",
			w.LogWaitMs, w.JournalWriteMs, w.EntriesPerWrite)
	}
	if w.StoreWrites > 0 {
		fmt.Fprintf(b, "server: each record write waited %.2f ms on average for the single writer, queue and transaction (%.2f writes per transaction, writer busy %.0f %% of the time)\n",
			w.StoreWaitMs, w.WritesPerTxn, 100*w.WriterBusy)
	}
}
