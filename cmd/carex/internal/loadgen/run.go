// Package loadgen is the load generator behind carex bench: virtual users
// that run a weighted mix of shared-care-record operations against a
// carex server over HTTP, each as the right user, and a fixed-memory
// latency histogram to report them.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one run.
type Config struct {
	Label    string
	BaseURL  string // the FHIR base, e.g. http://localhost:8080/fhir
	Users    int
	Duration time.Duration // measured
	Warmup   time.Duration // run but not recorded, before Duration
	Mix      Mix
	Seed     uint64
	Tokens   map[string]string // bearer token by persona key
	Targets  Targets
	Client   *http.Client
	// Expect lists statuses, per op, that are expected besides 2xx: they
	// are counted apart and are not errors.
	Expect map[string][]int
	// MetricsURL, when set, is sampled every SampleEvery (default 500 ms)
	// for process_resident_memory_bytes, with the ig persona's token.
	MetricsURL  string
	SampleEvery time.Duration
}

// Result is what a run measured.
type Result struct {
	Label      string
	URL        string
	Users      int
	Duration   time.Duration
	Ops        map[string]*OpResult
	Total      *OpResult
	PeakRSS    int64 // bytes, from /metrics; 0 when not sampled
	RSSSamples int
	// Counters is how much each of the server's wait counters (waitCounters)
	// grew over the measured time; nil when not read.
	Counters     map[string]float64
	CountersFor  time.Duration // the wall time between the two readings
	ErrorSamples []string
}

// OpResult is one operation's tally.
type OpResult struct {
	Hist            Histogram
	Requests        uint64 // HTTP responses received plus transport errors
	Errors          uint64 // unexpected statuses
	TransportErrors uint64
	Expected        uint64 // expected non-2xx statuses (Config.Expect)
}

func (o *OpResult) merge(p *OpResult) {
	o.Hist.Merge(&p.Hist)
	o.Requests += p.Requests
	o.Errors += p.Errors
	o.TransportErrors += p.TransportErrors
	o.Expected += p.Expected
}

// request is one HTTP exchange to make.
type request struct {
	method, path, persona, body string
}

// user is one virtual user: its own random stream, so the sequence of
// requests it makes depends only on the seed and its number.
type user struct {
	n       int
	cfg     *Config
	rng     *rand.Rand
	ops     map[string]*OpResult
	samples []string
	nhs     map[string][]Patient // patients with an NHS number, by persona
}

const maxErrorSamples = 5

// Run runs cfg.Users virtual users for cfg.Warmup+cfg.Duration.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Users < 1 {
		return nil, errors.New("at least one user")
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("the duration must be positive")
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(cfg.Users, 60*time.Second)
	}
	if err := cfg.checkTargets(); err != nil {
		return nil, err
	}
	pick := newPicker(cfg.Mix)
	nhs := map[string][]Patient{}
	for k, ps := range cfg.Targets {
		for _, p := range ps {
			if p.NHS != "" {
				nhs[k] = append(nhs[k], p)
			}
		}
	}
	start := time.Now()
	warmEnd := start.Add(cfg.Warmup)
	end := warmEnd.Add(cfg.Duration)

	res := &Result{Label: cfg.Label, URL: cfg.BaseURL, Users: cfg.Users, Duration: cfg.Duration, Ops: map[string]*OpResult{}, Total: &OpResult{}}
	sctx, stopSampling := context.WithCancel(ctx)
	var sampled sync.WaitGroup
	var counters0 map[string]float64
	var counters0At time.Time
	if cfg.MetricsURL != "" {
		sampled.Add(2)
		go func() {
			defer sampled.Done()
			res.PeakRSS, res.RSSSamples = sampleRSS(sctx, cfg.Client, cfg.MetricsURL, cfg.Tokens["ig"], cfg.SampleEvery)
		}()
		// The wait counters at the start of the measured time.
		go func() {
			defer sampled.Done()
			select {
			case <-time.After(time.Until(warmEnd)):
			case <-ctx.Done():
				return
			}
			counters0, _ = ReadMetrics(ctx, cfg.Client, cfg.MetricsURL, cfg.Tokens["ig"])
			counters0At = time.Now()
		}()
	}

	users := make([]*user, cfg.Users)
	var wg sync.WaitGroup
	for i := range users {
		u := &user{n: i, cfg: &cfg, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), ops: map[string]*OpResult{}, nhs: nhs}
		for _, op := range Ops {
			u.ops[op] = &OpResult{}
		}
		users[i] = u
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				op := pick.pick(u.rng.IntN(pick.total))
				rq := u.build(op)
				u.do(ctx, op, rq, !t0.Before(warmEnd))
			}
		}()
	}
	wg.Wait()
	// The measured time runs to the last recorded request's end, not the
	// configured duration's (review 51e: against a server taking 600 ms a
	// request, 200 ms reported a third of the time the requests took).
	if d := time.Since(warmEnd); d > res.Duration {
		res.Duration = d
	}
	stopSampling()
	sampled.Wait()
	if counters0 != nil {
		if m, err := ReadMetrics(ctx, cfg.Client, cfg.MetricsURL, cfg.Tokens["ig"]); err == nil {
			res.Counters, res.CountersFor = counterDelta(counters0, m), time.Since(counters0At)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, op := range Ops {
		if cfg.Mix[op] <= 0 {
			continue
		}
		o := &OpResult{}
		for _, u := range users {
			o.merge(u.ops[op])
		}
		res.Ops[op] = o
		res.Total.merge(o)
	}
	for _, u := range users {
		for _, s := range u.samples {
			if len(res.ErrorSamples) < 2*maxErrorSamples {
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
	}
	return res, nil
}

// Add folds a later round of the same load against the same server into r:
// counts and histograms add up, and so does the measured time.
func (r *Result) Add(o *Result) {
	r.Duration += o.Duration
	for op, x := range o.Ops {
		if r.Ops[op] == nil {
			r.Ops[op] = &OpResult{}
		}
		r.Ops[op].merge(x)
	}
	r.Total.merge(o.Total)
	r.PeakRSS = max(r.PeakRSS, o.PeakRSS)
	r.RSSSamples += o.RSSSamples
	if o.Counters != nil {
		r.CountersFor += o.CountersFor
		if r.Counters == nil {
			r.Counters = map[string]float64{}
		}
		for k, v := range o.Counters {
			r.Counters[k] += v
		}
	}
	for _, s := range o.ErrorSamples {
		if len(r.ErrorSamples) < 2*maxErrorSamples {
			r.ErrorSamples = append(r.ErrorSamples, s)
		}
	}
}

// NewClient is an HTTP client with a kept-alive connection per user.
func NewClient(users int, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = users + 4
	tr.MaxIdleConnsPerHost = users + 4
	return &http.Client{Transport: tr, Timeout: timeout}
}

func (c *Config) checkTargets() error {
	for _, k := range Clinical {
		if len(c.Targets[k]) > 0 {
			return nil
		}
	}
	return errors.New("no target patients: none of the bench users sees any Patient (is the database empty? load the demo population or give --patients FILE)")
}

func (u *user) do(ctx context.Context, op string, rq request, record bool) {
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u.cfg.BaseURL+rq.path, body)
	if err != nil {
		panic(err) // the paths are built here: a bug
	}
	req.Header.Set("Authorization", "Bearer "+u.cfg.Tokens[rq.persona])
	req.Header.Set("Accept", "application/fhir+json")
	if rq.body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	t0 := time.Now()
	res, err := u.cfg.Client.Do(req)
	var status int
	var snippet []byte
	if err == nil {
		status = res.StatusCode
		if status >= 300 {
			snippet, _ = io.ReadAll(io.LimitReader(res.Body, 300))
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	dt := time.Since(t0)
	if !record || ctx.Err() != nil {
		return
	}
	o := u.ops[op]
	o.Requests++
	switch {
	case err != nil:
		o.TransportErrors++
		u.sample(fmt.Sprintf("%s %s %s: %v", op, rq.method, rq.path, err))
		// A timeout's wait counts in the latencies (review 51e: requests
		// timed out at 300 ms left p99 at 4 ms); a refused or broken
		// connection is no answer and no wait (review 91b: a server
		// killed mid-run showed 9,282 req/s at p50 0.08 ms).
		if !timedOut(err) {
			return
		}
	case status >= 200 && status < 300:
	case expected(u.cfg.Expect[op], status):
		o.Expected++
	default:
		o.Errors++
		u.sample(fmt.Sprintf("%s %s %s as %s: %d %s", op, rq.method, rq.path, rq.persona, status, snippet))
	}
	o.Hist.Record(dt)
}

// timedOut reports whether a request failed by waiting too long.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func expected(list []int, status int) bool {
	for _, s := range list {
		if s == status {
			return true
		}
	}
	return false
}

func (u *user) sample(s string) {
	if len(u.samples) < maxErrorSamples {
		u.samples = append(u.samples, s)
	}
}

// patientFor picks one of the persona's patients (falling back to another
// clinical persona's list if it has none).
func (u *user) patientFor(persona string, withNHS bool) Patient {
	lists := u.cfg.Targets
	if withNHS {
		lists = u.nhs
	}
	k := targetsOf[persona]
	if len(lists[k]) == 0 {
		for _, c := range Clinical {
			if len(lists[c]) > 0 {
				k = c
				break
			}
		}
	}
	ps := lists[k]
	if len(ps) == 0 { // no NHS numbers anywhere: search by id instead
		return u.patientFor(persona, false)
	}
	return ps[u.rng.IntN(len(ps))]
}

// slot ties a bounded write id (k of 0..7) to a fixed patient, so an
// update never moves a resource to another person.
func (u *user) slot(persona string, k int) Patient {
	ps := u.cfg.Targets[targetsOf[persona]]
	if len(ps) == 0 {
		ps = u.cfg.Targets["gp"]
	}
	if len(ps) == 0 {
		return u.patientFor(persona, false)
	}
	return ps[(u.n*writeSlots+k)%len(ps)]
}

const writeSlots = 8

func (u *user) id(kind string, k int) string {
	return fmt.Sprintf("bench-%d-u%d-%s-%d", u.cfg.Seed, u.n, kind, k)
}

var clinicalReaders = []string{"gp", "nurse", "hospital", "social-worker"}

// build makes the next request of op, drawing only from u.rng.
func (u *user) build(op string) request {
	r := u.rng
	switch op {
	case OpEverything:
		// Mostly district nurses and social workers before a visit.
		var who string
		switch n := r.IntN(100); {
		case n < 45:
			who = "nurse"
		case n < 80:
			who = "social-worker"
		case n < 90:
			who = "gp"
		default:
			who = "hospital"
		}
		p := u.patientFor(who, false)
		return request{"GET", "/Patient/" + p.ID + "/$everything", who, ""}
	case OpSearch:
		who := clinicalReaders[r.IntN(len(clinicalReaders))]
		p := u.patientFor(who, true)
		if p.NHS == "" {
			return request{"GET", "/Patient?_id=" + url.QueryEscape(p.ID), who, ""}
		}
		return request{"GET", "/Patient?identifier=" + url.QueryEscape(nhsSystem+"|"+p.NHS), who, ""}
	case OpRead:
		who := clinicalReaders[r.IntN(len(clinicalReaders))]
		p := u.patientFor(who, false)
		return request{"GET", "/Patient/" + p.ID, who, ""}
	case OpWrite:
		return u.buildWrite()
	case OpConsent:
		p := u.patientFor("gp", false)
		return request{"POST", "/Consent", "gp", consentBody(p.ID, r.IntN(3), time.Now())}
	case OpIG:
		p := u.patientFor("ig", false)
		if r.IntN(2) == 0 {
			return request{"GET", "/AuditEvent?patient=" + url.QueryEscape(p.ID) + "&_count=20", "ig", ""}
		}
		return request{"GET", "/AuditEvent/$who-accessed?patient=" + url.QueryEscape(p.ID), "ig", ""}
	case OpTransaction:
		k := r.IntN(writeSlots)
		p := u.slot("gp-system", k)
		enc, obs1, obs2 := u.id("txenc", k), u.id("txobs1", k), u.id("txobs2", k)
		when := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:00Z", 1+r.IntN(12), 1+r.IntN(28), 8+r.IntN(10), r.IntN(60))
		body := `{"resourceType":"Bundle","type":"transaction","entry":[` +
			entry("Encounter", enc, encounterJSON(enc, p.ID, "A81001", "GP consultation", when)) + "," +
			entry("Observation", obs1, observationJSON(obs1, p.ID, "8867-4", "Heart rate", 55+r.IntN(50), "/min", when, "Encounter/"+enc)) + "," +
			entry("Observation", obs2, observationJSON(obs2, p.ID, "29463-7", "Body weight", 45+r.IntN(60), "kg", when, "Encounter/"+enc)) +
			`]}`
		return request{"POST", "", "gp-system", body}
	}
	panic("unknown op " + op)
}

func entry(typ, id, res string) string {
	return `{"fullUrl":"` + typ + "/" + id + `","resource":` + res + `,"request":{"method":"PUT","url":"` + typ + "/" + id + `"}}`
}

// buildWrite is one feed write: a fifth are creates (POST), the rest
// create-or-update a bounded set of ids per user, so records grow slowly
// and runs stay comparable.
func (u *user) buildWrite() request {
	r := u.rng
	k := r.IntN(writeSlots)
	when := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:00Z", 1+r.IntN(12), 1+r.IntN(28), 8+r.IntN(10), r.IntN(60))
	switch r.IntN(5) {
	case 0: // GP system: a new blood pressure reading
		p := u.patientFor("gp-system", false)
		return request{"POST", "/Observation", "gp-system", observationJSON("", p.ID, "8867-4", "Heart rate", 55+r.IntN(50), "/min", when, "")}
	case 1: // GP system: an amended observation
		id := u.id("obs", k)
		return request{"PUT", "/Observation/" + id, "gp-system", observationJSON(id, u.slot("gp-system", k).ID, "29463-7", "Body weight", 45+r.IntN(60), "kg", when, "")}
	case 2: // community system: a home visit, updated as it goes
		id := u.id("enc", k)
		return request{"PUT", "/Encounter/" + id, "community-system", encounterJSON(id, u.slot("community-system", k).ID, "RCX", "District nursing", when)}
	case 3: // council system: a care package review
		id := u.id("eoc", k)
		return request{"PUT", "/EpisodeOfCare/" + id, "council-system", episodeJSON(id, u.slot("council-system", k).ID, when[:10], 1+r.IntN(4))}
	default: // community system: a new home visit
		p := u.patientFor("community-system", false)
		return request{"POST", "/Encounter", "community-system", encounterJSON("", p.ID, "RCX", "District nursing", when)}
	}
}

func idField(id string) string {
	if id == "" {
		return ""
	}
	return `"id":"` + id + `",`
}

func observationJSON(id, patient, loinc, display string, value int, unit, when, encounter string) string {
	enc := ""
	if encounter != "" {
		enc = `"encounter":{"reference":"` + encounter + `"},`
	}
	return `{"resourceType":"Observation",` + idField(id) + `"status":"final",` +
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"` + loinc + `","display":"` + display + `"}]},` +
		`"subject":{"reference":"Patient/` + patient + `"},` + enc + `"effectiveDateTime":"` + when + `",` +
		`"valueQuantity":{"value":` + strconv.Itoa(value) + `,"unit":"` + unit + `","system":"http://unitsofmeasure.org","code":"` + unit + `"}}`
}

func encounterJSON(id, patient, org, service, when string) string {
	class := `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"}`
	if org == "RCX" {
		class = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH","display":"home health"}`
	}
	return `{"resourceType":"Encounter",` + idField(id) + `"status":"finished","class":` + class + `,` +
		`"serviceType":{"text":"` + service + `"},"subject":{"reference":"Patient/` + patient + `"},` +
		`"period":{"start":"` + when + `"},"serviceProvider":{"reference":"Organization/` + org + `"}}`
}

func episodeJSON(id, patient, start string, visits int) string {
	return `{"resourceType":"EpisodeOfCare",` + idField(id) + `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"status":"active",` +
		`"type":[{"coding":[{"system":"https://carex.example/CodeSystem/social-care","code":"care-package","display":"Care package"}],"text":"Home care: ` + strconv.Itoa(visits) + ` visits a day"}],` +
		`"patient":{"reference":"Patient/` + patient + `"},"managingOrganization":{"reference":"Organization/E06000999"},"period":{"start":"` + start + `"}}`
}

// consentBody is a patient-privacy Consent in the demo's shapes
// (testdata/demo/gp-riverside-surgery-consents.json). None withholds the
// Patient resource itself, so the targets stay valid while consents change:
// 0 keeps mental health data (PSY) from the council, 1 releases HIV/STD
// data to the hospital clinic, 2 keeps Observations from the council.
func consentBody(patient string, shape int, now time.Time) string {
	council := `"actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"any council organisation"}}]`
	var prov string
	switch shape {
	case 0:
		prov = `{"type":"deny",` + council + `,"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}`
	case 1:
		prov = `{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}}}],` +
			`"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}]}`
	default:
		prov = `{"type":"deny",` + council + `,"class":[{"system":"http://hl7.org/fhir/resource-types","code":"Observation"}]}`
	}
	return `{"resourceType":"Consent","status":"active",` +
		`"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},` +
		`"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0","display":"Patient Consent"}]}],` +
		`"patient":{"reference":"Patient/` + patient + `"},"dateTime":"` + now.UTC().Format(time.RFC3339) + `",` +
		`"organization":[{"reference":"Organization/A81001"}],` +
		`"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},` +
		`"provision":` + prov + `}`
}

// sampleRSS polls a Prometheus endpoint for the server's resident memory
// and returns the largest value seen.
func sampleRSS(ctx context.Context, c *http.Client, url, token string, every time.Duration) (peak int64, n int) {
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if v, err := ReadRSS(ctx, c, url, token); err == nil {
			n++
			peak = max(peak, v)
		}
		select {
		case <-ctx.Done():
			// one last sample at the end of the run
			if v, err := ReadRSS(context.Background(), c, url, token); err == nil {
				n++
				peak = max(peak, v)
			}
			return peak, n
		case <-t.C:
		}
	}
}

// ReadRSS reads process_resident_memory_bytes from a Prometheus endpoint.
func ReadRSS(ctx context.Context, c *http.Client, url, token string) (int64, error) {
	m, err := ReadMetrics(ctx, c, url, token)
	if err != nil {
		return 0, err
	}
	v, ok := m["process_resident_memory_bytes"]
	if !ok {
		return 0, fmt.Errorf("GET %s: no process_resident_memory_bytes", url)
	}
	return int64(v), nil
}

// VmHWM reads a local process's peak resident set size from
// /proc/PID/status.
func VmHWM(pid int) (int64, error) {
	raw, err := readFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM line", pid)
}
