package api_test

// Review 79d: what the operator sees — the application log, /metrics,
// /healthz, /readyz — and no personal data in them.

import (
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/internal/lognoise"
)

// r79dMetrics parses a /metrics page; it fails the test when the page is
// not valid Prometheus text exposition.
func r79dMetrics(t *testing.T, e *env, tok string) map[string]float64 {
	t.Helper()
	m := e.do("GET", "/metrics", tok, "")
	if m.status != 200 {
		t.Fatalf("premise: /metrics %d %s", m.status, m.body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(m.body))
	if err != nil {
		t.Fatalf("/metrics is not valid Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case s.Counter != nil:
				out[key] = s.Counter.GetValue()
			case s.Gauge != nil:
				out[key] = s.Gauge.GetValue()
			case s.Histogram != nil:
				out[key+"_count"] = float64(s.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// r79dSum sums the samples whose key starts with prefix.
func r79dSum(m map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// r79dDelta lists the keys with prefix whose value changed between a and b.
func r79dDelta(a, b map[string]float64, prefix string) map[string]float64 {
	d := map[string]float64{}
	for k, v := range b {
		if strings.HasPrefix(k, prefix) && v != a[k] {
			d[k] = v - a[k]
		}
	}
	return d
}

// TestReview79dMetricsCountBatchEntriesAsHTTPRequests: one POST /fhir
// batch of 5 entries (each a read the GP may not see or that does not
// exist: 404) is one HTTP request answered 200. carex_http_requests_total
// ("HTTP requests by route template, method and status") should grow by
// one, {route="/fhir",method="POST",status="200"}; it grows by six, five of
// them GET /fhir/:type/:id 404 that no client sent — an operator's error
// rate and request rate are wrong, and the latency histogram gets five
// observations for one request. README: "/metrics … request counts and
// latency by route template". Severity: wrong metrics (an operator's
// alerting on 4xx/5xx rates fires on batches that succeeded).
func TestReview79dMetricsCountBatchEntriesAsHTTPRequests(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	before := r79dMetrics(t, e, gp)
	var entries []string
	for i := 0; i < 5; i++ {
		entries = append(entries, fmt.Sprintf(`{"request":{"method":"GET","url":"Condition/none%d"}}`, i))
	}
	r := e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`)
	if r.status != 200 || strings.Count(r.body, `"404 Not Found"`) != 5 {
		t.Fatalf("premise: batch %d %.300s", r.status, r.body)
	}
	after := r79dMetrics(t, e, gp)
	d := r79dDelta(before, after, "carex_http_requests_total{")
	// the first scrape itself is counted between the two
	delete(d, "carex_http_requests_total{method=GET,route=/metrics,status=200}")
	var n float64
	for _, v := range d {
		n += v
	}
	if n != 1 || d["carex_http_requests_total{method=POST,route=/fhir,status=200}"] != 1 {
		t.Errorf("one HTTP batch request of 5 entries changed carex_http_requests_total by %v: %v", n, d)
	}
	dh := r79dDelta(before, after, "carex_http_request_duration_seconds{")
	delete(dh, "carex_http_request_duration_seconds{method=GET,route=/metrics}_count")
	if len(dh) != 1 {
		t.Errorf("one HTTP request observed in the latency histogram as: %v", dh)
	}
}

// TestReview79dSoundMetricsStatusLabelsAndAccessLogAppends: after a known
// set of requests (200, 401, 403, 404, 400, 415, 422, 412, HEAD 200), the
// per-status request counts grow by exactly those, and
// carex_access_log_appends_total by one per logged request (all but
// /healthz, /readyz, /fhir/metadata; the first scrape included).
func TestReview79dSoundMetricsStatusLabelsAndAccessLogAppends(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	stranger := e.token("hospital-clinician", "nhs", "Z99999")
	before := r79dMetrics(t, e, gp)
	type req struct {
		method, path, tok, body string
		hdr                     []string
		status                  int
		route                   string
		logged                  bool
	}
	reqs := []req{
		{"GET", "/fhir/Patient/jane", gp, "", nil, 200, "/fhir/:type/:id", true},
		{"HEAD", "/fhir/Patient/jane", gp, "", nil, 200, "/fhir/:type/:id", true},
		{"GET", "/fhir/Patient/jane", "", "", nil, 401, "/fhir/:type/:id", true},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", nil, 403, "/fhir/Patient/:id/$everything", true},
		{"GET", "/fhir/Patient/nobody", gp, "", nil, 404, "/fhir/:type/:id", true},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918", gp, "", nil, 400, "/fhir/:type", true},
		{"POST", "/fhir/Patient", sys, `Jane Smith`, []string{"Content-Type", "text/plain"}, 415, "/fhir/:type", true},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient","birthDate":"1950-02-30"}`, nil, 422, "/fhir/:type", true},
		{"PUT", "/fhir/Patient/jane", sys, janeJSON, []string{"If-Match", `W/"99"`}, 412, "/fhir/:type/:id", true},
		{"GET", "/healthz", "", "", nil, 200, "/healthz", false},
		{"GET", "/readyz", "", "", nil, 200, "/readyz", false},
		{"GET", "/fhir/metadata", "", "", nil, 200, "/fhir/metadata", false},
	}
	want := map[string]float64{}
	logged := 1 // the first scrape
	for _, r := range reqs {
		got := e.do(r.method, r.path, r.tok, r.body, r.hdr...)
		if got.status != r.status {
			t.Fatalf("premise: %s %s answered %d, want %d: %.200s", r.method, r.path, got.status, r.status, got.body)
		}
		want[fmt.Sprintf("carex_http_requests_total{method=%s,route=%s,status=%d}", r.method, r.route, r.status)]++
		if r.logged {
			logged++
		}
	}
	after := r79dMetrics(t, e, gp)
	d := r79dDelta(before, after, "carex_http_requests_total{")
	want["carex_http_requests_total{method=GET,route=/metrics,status=200}"]++
	if fmt.Sprint(d) != fmt.Sprint(want) {
		t.Errorf("request counts grew by\n %v\nwant\n %v", d, want)
	}
	if got := after["carex_access_log_appends_total{}"] - before["carex_access_log_appends_total{}"]; got != float64(logged) {
		t.Errorf("carex_access_log_appends_total grew by %v for %d logged requests", got, logged)
	}
}

// TestReview79dSoundApplicationLogOnTheBriefsRequests: the requests of the
// brief, each carrying a person's details — a search by NHS number (valid
// and failing modulus 11, spaced), a Patient with name, address, phone in a
// 422 and a 400 body, a conditional create and a conditional reference by
// NHS number that fail (412), a transaction whose 5th entry is invalid,
// a break-glass reason naming the person, a token whose name claim is a
// person's, a path with a patient id — then the records database closed
// under the same requests (5xx) leave none of those details in the
// application log (README: "it never contains personal data").
func TestReview79dSoundApplicationLogOnTheBriefsRequests(t *testing.T) {
	var buf lockedBuf
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Logger = logger })
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	named := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Name = "Quimby Fairweather"; c.Sub = "quimby.fairweather@nhs.net" })
	stranger := e.token("hospital-clinician", "nhs", "Z99999", func(c *auth.DevClaims) { c.Name = "Quimby Fairweather" })
	person := `"name":[{"family":"Acaciason","given":["Quimby"]}],"address":[{"line":["12 Acacia Avenue"],"postalCode":"LS1 4QQ"}],"telecom":[{"system":"phone","value":"07700 900461"}]`
	entry := func(body string) string {
		return `{"resource":` + body + `,"request":{"method":"POST","url":"Patient"}}`
	}
	okPatient := `{"resourceType":"Patient",` + person + `}`
	badPatient := `{"resourceType":"Patient",` + person + `,"birthDate":"1961-02-30"}`
	txn := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join([]string{entry(okPatient), entry(okPatient), entry(okPatient), entry(okPatient), entry(badPatient)}, ",") + `]}`
	type req struct {
		method, path, tok, body string
		hdr                     []string
	}
	reqs := []req{
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205918", gp, "", nil},
		{"POST", "/fhir/Patient", sys, badPatient, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient",` + person + `,`, nil},
		{"POST", "/fhir/Patient", sys, okPatient, []string{"If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918"}},
		{"POST", "/fhir/Observation", sys, `{"resourceType":"Observation","status":"final","code":{"text":"Acaciason"},"subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|4010232137"}}`, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Acaciason"},"subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|4010232137"}},"request":{"method":"POST","url":"Observation"}}]}`, nil},
		{"PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", sys, okPatient, []string{"If-Match", `W/"7"`}},
		{"PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&family=Acaciason", sys, okPatient, []string{"If-Match", `W/"7"`}},
		{"POST", "/fhir", sys, txn, nil},
		{"GET", "/fhir/Patient/jane/$everything", stranger, "", []string{"X-Break-Glass", "EMERGENCY: Jane Smith collapsed at 12 Acacia Ave"}},
		{"GET", "/fhir/Patient/jane", named, "", nil},
		{"GET", "/fhir/Patient/quimby-acaciason-19610228", gp, "", nil},
		{"GET", "/fhir/Patient/quimby-acaciason-19610228/$everything", named, "", []string{"X-Break-Glass", "EMERGENCY: Quimby Acaciason, 12 Acacia Ave, 07700 900461"}},
	}
	var outs []string
	for _, r := range reqs {
		got := e.do(r.method, r.path, r.tok, r.body, r.hdr...)
		outs = append(outs, fmt.Sprintf("%s %.60s -> %d %.200s", r.method, r.path, got.status, got.body))
	}
	e.db.Close() // every request now meets a store error
	for _, r := range reqs {
		got := e.do(r.method, r.path, r.tok, r.body, r.hdr...)
		outs = append(outs, fmt.Sprintf("closed: %s %.60s -> %d", r.method, r.path, got.status))
	}
	t.Logf("%s", strings.Join(outs, "\n"))
	log := lognoise.Strip(buf.String())
	if !strings.Contains(log, "request failed") {
		t.Fatalf("premise: no request failed in the application log:\n%s", log)
	}
	for _, p := range []string{"9434765919", "9434765918", "943 476", "4010232137", "Acacia", "Quimby", "quimby", "Fairweather", "07700", "900461", "LS1", "1961", "1950", "Jane", "Smith", "jane", "collapsed", "EMERGENCY"} {
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, p) {
				t.Errorf("the application log holds %q: %.400s", p, l)
				break
			}
		}
	}
}

// TestReview79dSoundHealthEndpoints: /healthz and /readyz need no token,
// answer the same whoever asks (with or without a token, a bad one), and
// say nothing of patients; /readyz says 503 once the records database
// cannot be reached.
func TestReview79dSoundHealthEndpoints(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, p := range []string{"/healthz", "/readyz"} {
		var bodies []string
		for _, tok := range []string{"", gp, "not.a.token"} {
			r := e.do("GET", p, tok, "")
			if r.status != 200 {
				t.Errorf("%s with token %q: %d %s", p, tok, r.status, r.body)
			}
			bodies = append(bodies, r.body)
			for _, s := range []string{"jane", "Smith", "9434765919", "Patient"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s tells %q: %s", p, s, r.body)
				}
			}
		}
		if bodies[0] != bodies[1] || bodies[0] != bodies[2] {
			t.Errorf("%s answers differently by token: %q", p, bodies)
		}
	}
	e.db.Close()
	if r := e.do("GET", "/readyz", "", ""); r.status != 503 {
		t.Errorf("/readyz with the records database closed: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Errorf("/healthz (liveness) with the records database closed: %d %s", r.status, r.body)
	}
}

// TestReview79dSoundMetricsScrapedAsPrometheusDoes: a scrape with the
// Accept and Accept-Encoding headers a Prometheus server sends is answered
// 200 in the text format it names in Content-Type, gzip-encoded as it
// says, and parses.
func TestReview79dSoundMetricsScrapedAsPrometheusDoes(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gp := e.token("gp", "nhs", "A81001")
	req, _ := http.NewRequest("GET", e.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+gp)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("scrape: %d", res.StatusCode)
	}
	var rd io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		if rd, err = gzip.NewReader(res.Body); err != nil {
			t.Fatalf("Content-Encoding gzip, body not gzip: %v", err)
		}
	}
	ct := res.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("scrape Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rd)
	if err != nil || fams["carex_http_requests_total"] == nil && fams["carex_dev_mode"] == nil {
		t.Errorf("scrape (%s, %s) does not parse: %v", ct, res.Header.Get("Content-Encoding"), err)
	}
}

// TestReview79dConditionalUpdateIgnoresIfMatch (outside this review's
// subject, noticed on the way): PUT Patient?identifier=…|9434765919 with
// If-Match: W/"7" while Jane is at version 1 is stored as version 2 (200),
// as if If-Match had not been sent. README: "If-Match: W/"n" for safe
// updates (412 on a stale version)"; SPEC §3 "If-Match for safe updates",
// "409/412 version conflicts". A client that guards its conditional
// update with If-Match overwrites a newer version unseen. Severity: a lost
// update (below a leak, above a cost).
func TestReview79dConditionalUpdateIgnoresIfMatch(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	body := strings.Replace(janeJSON, `"id":"jane",`, ``, 1)
	body = strings.Replace(body, `"family":"Smith"`, `"family":"Smith-Stale"`, 1)
	r := e.do("PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", sys, body, "If-Match", `W/"7"`)
	if r.status != 412 {
		t.Errorf("conditional update with a stale If-Match (W/\"7\", current 1): %d %.200s", r.status, r.body)
	}
	if got := e.do("GET", "/fhir/Patient/jane", sys, ""); strings.Contains(got.body, "Smith-Stale") {
		t.Errorf("the stale conditional update was stored: %.200s", got.body)
	}
}
