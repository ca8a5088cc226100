package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics uses its own registry so that several servers (tests) can live
// in one process.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carex_http_requests_total",
		Help: "HTTP requests by route template, method and status.",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "carex_http_request_duration_seconds",
		Help:    "HTTP request latency by route template and method, including the access-log commit.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method"})
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry lets other packages (the store, the access log) add collectors.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// metricsPage is the metrics to a user the policy admits: a purpose it
// does not serve is refused here as everywhere (review 61f: a token for
// marketing read them).
func (s *Server) metricsPage(c echo.Context) error {
	if _, _, err := s.begin(c, "metrics"); err != nil {
		return err
	}
	return s.metrics.page(c)
}

// page stages the metrics as the request's reply, so that access logs the
// scrape before it is sent, as every request with a token is (review 45b).
func (m *metrics) page(c echo.Context) error {
	w := &stagedWriter{header: http.Header{}, status: http.StatusOK}
	m.handler().ServeHTTP(w, c.Request())
	x := exchangeOf(c)
	x.Operation = "metrics"
	x.reply = &reply{status: w.status, header: w.header, body: w.body.Bytes()}
	return nil
}

// stagedWriter keeps what a handler writes.
type stagedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *stagedWriter) Header() http.Header         { return w.header }
func (w *stagedWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *stagedWriter) WriteHeader(status int)      { w.status = status }

// middleware labels by route template (never by URL: ids are personal).
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if sub, _ := c.Request().Context().Value(subRequestKey{}).(bool); sub {
			// A bundle's entry is no HTTP request of its own (review 79d:
			// a batch of five reads counted six requests, five of them
			// 404s its client never sent).
			return err
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		method := methodLabel(c.Request().Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return err
	}
}

// methodLabel is the HTTP method, or "other": a client chooses the method,
// and every label value is a series kept for the life of the process.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// registerStats serves a component's running totals, each read at every
// scrape from its snapshot function (a prometheus CounterFunc, or
// GaugeFunc): the access log's (auditlog.Stats) and the store writer's
// (store.WriterStats). With them an operator sees what makes requests
// wait: the durable log write (append wait against journal write time,
// entries per write), or the single records writer (wait against busy
// time, requests per transaction), and whether copying the log into
// SQLite keeps up (queued entries).
func registerStats[T any](reg prometheus.Registerer, snap func() T, metrics []statMetric[T]) {
	for _, m := range metrics {
		opts := prometheus.Opts{Name: m.name, Help: m.help}
		value := func() float64 { return m.value(snap()) }
		if m.gauge {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts), value))
		} else {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts(opts), value))
		}
	}
}

type statMetric[T any] struct {
	name, help string
	gauge      bool
	value      func(T) float64
}

type auditStat = statMetric[auditlog.Stats]

var auditMetrics = []auditStat{
	{"carex_access_log_appends_total", "Access-log entries requests waited for (durable or failed).", false, func(s auditlog.Stats) float64 { return float64(s.Appends) }},
	{"carex_access_log_append_wait_seconds_total", "Summed time requests waited for their access-log entry to be durable.", false, func(s auditlog.Stats) float64 { return s.AppendWait.Seconds() }},
	{"carex_access_log_journal_writes_total", "Durable journal writes (one per group commit).", false, func(s auditlog.Stats) float64 { return float64(s.Writes) }},
	{"carex_access_log_journal_entries_total", "Entries carried by the journal writes.", false, func(s auditlog.Stats) float64 { return float64(s.Entries) }},
	{"carex_access_log_journal_write_seconds_total", "Summed time of the durable journal writes.", false, func(s auditlog.Stats) float64 { return s.WriteTime.Seconds() }},
	{"carex_access_log_group_commit_waits_total", "Journal writes that first waited for more entries.", false, func(s auditlog.Stats) float64 { return float64(s.Lingers) }},
	{"carex_access_log_group_commit_wait_seconds_total", "Summed time of those waits.", false, func(s auditlog.Stats) float64 { return s.LingerTime.Seconds() }},
	{"carex_access_log_indexed_entries_total", "Entries copied from the journal into the SQLite log.", false, func(s auditlog.Stats) float64 { return float64(s.Indexed) }},
	{"carex_access_log_index_transactions_total", "SQLite transactions that copied them.", false, func(s auditlog.Stats) float64 { return float64(s.IndexTxns) }},
	{"carex_access_log_index_seconds_total", "Summed time of those transactions.", false, func(s auditlog.Stats) float64 { return s.IndexTime.Seconds() }},
	{"carex_access_log_queued_entries", "Entries durable in the journal and not yet in SQLite (IG queries wait for them).", true, func(s auditlog.Stats) float64 { return float64(s.Queued) }},
	{"carex_access_log_checkpoint_copy_errors_total", "Signed checkpoints that could not be written to the --checkpoint-copy file (the application log says why).", false, func(s auditlog.Stats) float64 { return float64(s.CopyErrors) }},
}

type writerStat = statMetric[store.WriterStats]

var writerMetrics = []writerStat{
	{"carex_store_write_requests_total", "Record writes (requests) the store's single writer answered.", false, func(s store.WriterStats) float64 { return float64(s.Requests) }},
	{"carex_store_write_wait_seconds_total", "Summed time those requests waited, in the queue and in their transaction.", false, func(s store.WriterStats) float64 { return s.Wait.Seconds() }},
	{"carex_store_write_transactions_total", "Transactions that carried them (group commit).", false, func(s store.WriterStats) float64 { return float64(s.Txns) }},
	{"carex_store_writer_busy_seconds_total", "Summed time the writer spent on those transactions.", false, func(s store.WriterStats) float64 { return s.Busy.Seconds() }},
	{"carex_store_commit_seconds_total", "Of which COMMIT: the disk sync and any checkpoint it ran.", false, func(s store.WriterStats) float64 { return s.CommitTime.Seconds() }},
}
