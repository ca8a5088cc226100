package api_test

// Review 9b: is every request logged exactly once, with the right user,
// person and outcome, whatever stage answers it; and does the application
// log (slog) stay free of personal data? Each test was seen failing before
// its fix unless its comment says otherwise.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/sqlite"
)

// entriesOf9b is the number of access-log entries recorded so far.
func (e *env) entriesOf9b() int { e.rec.mu.Lock(); defer e.rec.mu.Unlock(); return len(e.rec.xs) }

// TestReview9bRefusedBeforeAuthNamesTheUser: a request refused for its
// body or format (413 by Content-Length, 415, 406) was answered by a stage
// that ran before the token was checked, so its entry named no user though
// the request carried a valid token: IG could not say who sent it. And a
// request with no token at all was answered 413/415/406, not 401.
func TestReview9bRefusedBeforeAuthNamesTheUser(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	big := `{"resourceType":"Patient","name":[{"text":"` + strings.Repeat("x", 70<<10) + `"}]}`
	for _, c := range []struct {
		name, method, path, body string
		hdr                      []string
		want                     int
	}{
		{"413", "POST", "/fhir/Patient", big, nil, 413},
		{"415", "POST", "/fhir/Patient", `{"resourceType":"Patient"}`, []string{"Content-Type", "text/plain"}, 415},
		{"406 _format", "GET", "/fhir/Patient/jane?_format=xml", "", nil, 406},
		{"406 Accept", "GET", "/fhir/Patient/jane", "", []string{"Accept", "application/fhir+xml"}, 406},
	} {
		n0 := e.entriesOf9b()
		r := e.do(c.method, c.path, gp, c.body, c.hdr...)
		if r.status != c.want {
			t.Fatalf("%s: %d %.200s", c.name, r.status, r.body)
		}
		if n := e.entriesOf9b() - n0; n != 1 {
			t.Fatalf("%s: %d entries", c.name, n)
		}
		if x := e.lastEntry(t); x.Principal == nil || x.Principal.Sub != "gp-user" || x.Status != c.want {
			t.Errorf("%s with a valid token: logged with user %+v, status %d", c.name, x.Principal, x.Status)
		}
		if r := e.do(c.method, c.path, "", c.body, c.hdr...); r.status != 401 {
			t.Errorf("%s without a token: %d, want 401", c.name, r.status)
		}
	}
}

// TestReview9bEncodedMetadataPathIsLogged: only GET /fhir/metadata goes
// unlogged, but the stage decided it by the decoded path while the router
// routes by the path as sent: GET /fhir/%6Detadata was routed as a search
// of a type "%6Detadata" (401 without a token, 404 with one) and left no
// entry.
func TestReview9bEncodedMetadataPathIsLogged(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, tok := range []string{"", gp} {
		n0 := e.entriesOf9b()
		r := e.do("GET", "/fhir/%6Detadata", tok, "")
		if n := e.entriesOf9b() - n0; r.status != 200 && n != 1 {
			t.Errorf("GET /fhir/%%6Detadata (token %v): %d with %d entries, want 1", tok != "", r.status, n)
		}
	}
	n0 := e.entriesOf9b()
	if r := e.do("GET", "/fhir/metadata", "", ""); r.status != 200 || e.entriesOf9b() != n0 {
		t.Errorf("GET /fhir/metadata: %d, %d entries", r.status, e.entriesOf9b()-n0)
	}
}

// teeLog9b records to a real access log and to the env's memRecorder, so
// that a test can read both the entries and the IG reports.
type teeLog9b struct {
	api.LogRecorder
	mem *memRecorder
}

func (r teeLog9b) Record(ctx context.Context, x *api.Exchange) error {
	if err := r.LogRecorder.Record(ctx, x); err != nil {
		return err
	}
	return r.mem.Record(ctx, x)
}

func withTeeLog9b(t testing.TB) func(*api.Config) {
	return func(cfg *api.Config) {
		mem := cfg.Recorder.(*memRecorder)
		withAccessLog(t, nil)(cfg)
		cfg.Recorder = teeLog9b{cfg.Recorder.(api.LogRecorder), mem}
	}
}

// hiddenPerson9b is a person whose demographics are restricted (R), with
// one Observation, registered at the practice A81001.
func hiddenPerson9b(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/hidden", `{"resourceType":"Patient","id":"hidden","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"name":[{"family":"Hidden"}],"birthDate":"1950-01-01","address":[{"line":["1 Refuge Road"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Observation/h1", `{"resourceType":"Observation","id":"h1","status":"final","subject":{"reference":"Patient/hidden"},"code":{"text":"HIDDEN-OBS"}}`})
}

// restrictedAlerts9b are the subs $alerts names in a restricted-patient
// alert about patient.
func restrictedAlerts9b(t *testing.T, e *env, patient string) map[string]bool {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-9b" }), "")
	var rep struct {
		Alerts []struct{ Sub, Patient, Code string } `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("alerts: %d %v %.300s", r.status, err, r.body)
	}
	subs := map[string]bool{}
	for _, a := range rep.Alerts {
		if a.Patient == patient && a.Code == "restricted-patient" {
			subs[a.Sub] = true
		}
	}
	return subs
}

// TestReview9bRefusedAccessToRestrictedPersonAlerts: SPEC §5 "every access
// to [a restricted person] raises an IG alert". A user whose organisation
// has no relationship with the person, trying to open their record (403),
// read their item (404) or find them by NHS number raised none: the decision's refusal dropped the
// restricted-patient reason, so IG saw the entry only by asking for that
// person. An attempt on a person at risk (a refuge's resident) is what the
// alert is for.
func TestReview9bRefusedAccessToRestrictedPersonAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	hiddenPerson9b(t, e)
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "clin-9b" })
	sw := e.token("social-worker", "council", "E06000999", func(c *auth.DevClaims) { c.Sub = "sw-9b" })
	for _, c := range []struct {
		tok, path string
		want      int
		hdr       []string
	}{
		{clin, "/fhir/Patient/hidden", 403, nil},
		{sw, "/fhir/Observation/h1", 404, nil},
		{sw, "/fhir/Patient?identifier=9000000009", 200, nil},
		{clin, "/fhir/Patient/hidden/$everything", 403, nil},
	} {
		if r := e.do("GET", c.path, c.tok, "", c.hdr...); r.status != c.want || strings.Contains(r.body, "Refuge") || strings.Contains(r.body, "restrict") {
			t.Fatalf("GET %s: %d %.300s", c.path, r.status, r.body)
		}
	}
	subs := restrictedAlerts9b(t, e, "hidden")
	for _, sub := range []string{"clin-9b", "sw-9b"} {
		if !subs[sub] {
			t.Errorf("%s tried to open the restricted person's record and was refused: no restricted-patient alert (alerts for %v)", sub, subs)
		}
	}
}

// hangUpStore9b is the records store, which cancels the request's context
// once a commit has returned: the client hung up while its change was
// being stored (net/http cancels a request's context when its connection
// closes).
type hangUpStore9b struct {
	*sqlite.DB
	hangUp atomic.Pointer[context.CancelFunc]
}

func (s *hangUpStore9b) Commit(ctx context.Context, ws []*store.Write, prepare func(store.Lookup) error) ([]*store.WriteResult, error) {
	res, err := s.DB.Commit(ctx, ws, prepare)
	if cancel := s.hangUp.Swap(nil); cancel != nil {
		(*cancel)()
	}
	return res, err
}

// TestReview9bStoredChangeOfAClientThatHungUpNamesTheNHSNumber: the access
// stage looked up the NHS number of the person an entry names (and the
// people named by NHS number alone) with the request's context, so when the
// client hung up after its change was committed the lookup failed and the
// entry of the stored change went without the person's NHS number (seen
// with a real connection closed after a PUT: status 201, patient jane, NHS
// number ""). The entry is written whatever the client does; so is what
// it says.
func TestReview9bStoredChangeOfAClientThatHungUpNamesTheNHSNumber(t *testing.T) {
	var hs *hangUpStore9b
	e := newEnv(t, func(c *api.Config) {
		hs = &hangUpStore9b{DB: c.Store.(*sqlite.DB)}
		c.Store = hs
	})
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	for i, hangUp := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		if hangUp {
			hs.hangUp.Store(&cancel)
		}
		id := fmt.Sprintf("o%d", i)
		req := httptest.NewRequestWithContext(ctx, "PUT", "/fhir/Observation/"+id, strings.NewReader(`{"resourceType":"Observation","id":"`+id+`","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`))
		req.Header.Set("Authorization", "Bearer "+gp)
		req.Header.Set("Content-Type", "application/fhir+json")
		w := httptest.NewRecorder()
		e.api.Handler().ServeHTTP(w, req)
		cancel()
		if w.Code != 201 {
			t.Fatalf("PUT (client hung up: %v): %d %s", hangUp, w.Code, w.Body)
		}
		if x := e.lastEntry(t); x.Patient != "jane" || x.NHSNumber != "9434765919" {
			t.Errorf("PUT stored (client hung up: %v): entry names patient %q, NHS number %q; want jane, 9434765919", hangUp, x.Patient, x.NHSNumber)
		}
	}
}

// TestReview9bTrustedProxyLogsTheAddressItForwards: behind a proxy
// (--trust-proxy) the log is to name the address the proxy forwards, the
// last in X-Forwarded-For (a proxy appends the peer it saw to what the
// client sent). Echo's extractor trusted every private address as a
// proxy, so a client on a private network (a trust's intranet, 10.x) had
// its own X-Forwarded-For taken: sending "198.51.100.7" (the proxy makes
// it "198.51.100.7, 10.1.2.3") logged 198.51.100.7, and sending
// "10.9.9.9" (another ward's PC) logged 10.9.9.9.
func TestReview9bTrustedProxyLogsTheAddressItForwards(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.TrustProxy = true }) // the test's proxy is on loopback
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ xff, want string }{
		{"10.1.2.3", "10.1.2.3"},
		{"198.51.100.7, 10.1.2.3", "10.1.2.3"},
		{"10.9.9.9, 10.1.2.3", "10.1.2.3"},
		{"10.9.9.9,10.1.2.3", "10.1.2.3"},
		{"203.0.113.5", "203.0.113.5"},
		{"not-an-address, 10.1.2.3", "10.1.2.3"},
		{"10.1.2.3, not-an-address", "127.0.0.1"},
	} {
		e.do("GET", "/fhir/Patient/jane", gp, "", "X-Forwarded-For", c.xff)
		if x := e.lastEntry(t); x.Client != c.want {
			t.Errorf("X-Forwarded-For %q through the proxy: logged client %q, want %q", c.xff, x.Client, c.want)
		}
	}
	// The proxy is trusted only where it is on a private or loopback
	// address; a connection from elsewhere is its own client (not testable
	// here: the test's connections come from loopback).
}

// TestReview9bBatchEntriesKeepTheBatchRequestID: each entry of a batch is
// logged as a request of its own, with the batch's request id and the
// entry's index ("<id>.0"), which is how IG finds the entries of a batch.
// A client's X-Request-ID is kept up to 64 characters; one of 63 or 64
// made "<id>.0" too long, and the entry was logged under a random id that
// nothing ties to the batch.
func TestReview9bBatchEntriesKeepTheBatchRequestID(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	for _, id := range []string{"feed-42", strings.Repeat("a", 64)} {
		n0 := e.entriesOf9b()
		r := e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/jane"}},{"request":{"method":"GET","url":"Patient/jane"}}]}`, "X-Request-ID", id)
		if r.status != 200 {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		e.rec.mu.Lock()
		var got []string
		for _, x := range e.rec.xs[n0:] {
			got = append(got, x.RequestID)
		}
		e.rec.mu.Unlock()
		if want := []string{id + ".0", id + ".1", id}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("X-Request-ID of %d characters: the batch and its entries were logged as %q, want %q", len(id), got, want)
		}
	}
}

// TestReview9bWriteToRestrictedPersonAlerts: SPEC §5 "every access to [a
// restricted person] raises an IG alert"; a write into their record is an
// access (it is in their $who-accessed). None raised one: a hospital
// clinician whose trust has no relationship with the person adding an
// Observation to their record (201; it makes the trust a source of their
// record), a feed's transaction or batch entry, an update, or a refused
// write over their item.
func TestReview9bWriteToRestrictedPersonAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	hiddenPerson9b(t, e)
	tok := func(role, sector, org, sub string) string {
		return e.token(role, sector, org, func(c *auth.DevClaims) { c.Sub = sub })
	}
	obs := func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/hidden"},"code":{"text":"X"}}`
	}
	for _, c := range []struct {
		tok, method, path, body string
		want                    int
	}{
		{tok("hospital-clinician", "nhs", "RHX", "clin-w-9b"), "PUT", "/fhir/Observation/w1", obs("w1"), 201},
		{tok("system", "nhs", "A81001", "feed-tx-9b"), "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + obs("w2") + `,"request":{"method":"PUT","url":"Observation/w2"}}]}`, 200},
		{tok("system", "nhs", "A81001", "feed-batch-9b"), "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + obs("w3") + `,"request":{"method":"PUT","url":"Observation/w3"}}]}`, 200},
		{tok("system", "nhs", "A81001", "feed-update-9b"), "PUT", "/fhir/Observation/h1", obs("h1"), 200},
		{tok("social-worker", "council", "E06000999", "sw-w-9b"), "PUT", "/fhir/Observation/h1", obs("h1"), 409},
	} {
		if r := e.do(c.method, c.path, c.tok, c.body); r.status != c.want || strings.Contains(r.body, "restrict") {
			t.Fatalf("%s %s: %d %.300s", c.method, c.path, r.status, r.body)
		}
	}
	subs := restrictedAlerts9b(t, e, "hidden")
	for _, sub := range []string{"clin-w-9b", "feed-tx-9b", "feed-batch-9b", "feed-update-9b", "sw-w-9b"} {
		if !subs[sub] {
			t.Errorf("%s wrote (or tried to write) into the restricted person's record: no restricted-patient alert (alerts for %v)", sub, subs)
		}
	}
}

// TestReview9bLongIdsAndReasonsBoundedInAccessLog: the log is never
// pruned, so an entry keeps at most 1 KiB of the request's path, type and
// id (review 4g). The id reached the entry unbounded as its patient (a
// read of Patient/<id>, a search by _id=, $everything), and the
// X-Break-Glass header as its break-glass reason (refused as too long,
// but logged whole): any user with a token added 600 KB to the log, and
// to its patient index, with each request.
func TestReview9bLongIdsAndReasonsBoundedInAccessLog(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	long := strings.Repeat("A", 600_000)
	for _, c := range []struct {
		path string
		hdr  []string
	}{
		{"/fhir/Patient/" + long, nil},
		{"/fhir/Patient?_id=" + long, nil},
		{"/fhir/Patient/" + long + "/$everything", nil},
		{"/fhir/Patient/jane", []string{"X-Break-Glass", "EMERGENCY: " + long}},
	} {
		e.do("GET", c.path, gp, "", c.hdr...)
		x := e.lastEntry(t)
		n := len(x.Patient) + len(x.BreakGlass) + len(x.NHSNumber)
		for _, p := range x.Patients {
			n += len(p)
		}
		if n > 4<<10 {
			t.Errorf("GET %.40s… (X-Break-Glass %d bytes): the entry keeps %d bytes of patient and break-glass reason (status %d)", c.path, len(strings.Join(c.hdr, "")), n, x.Status)
		}
	}
}

// TestReview9bEntriesOfADeletedPatientKeepTheirNHSNumber: each entry names
// the person by id and NHS number, which the access stage takes from their
// Patient. Once the Patient was deleted (a registration ended, a record
// retired) the delete marker carries no number, so every later entry about
// the person went without it: the delete itself, a read (410), their
// $everything, and the history that released the Patient's versions with
// the number in them. The last version that had one names them.
func TestReview9bEntriesOfADeletedPatientKeepTheirNHSNumber(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, sys,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Smith","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Observation/bob-obs", `{"resourceType":"Observation","id":"bob-obs","status":"final","subject":{"reference":"Patient/bob"},"code":{"text":"X"}}`})
	if r := e.do("DELETE", "/fhir/Patient/bob", sys, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); x.Patient != "bob" || x.NHSNumber != "9000000009" {
		t.Errorf("DELETE Patient/bob: entry names %q, NHS number %q; want bob, 9000000009", x.Patient, x.NHSNumber)
	}
	for _, p := range []string{"/fhir/Patient/bob", "/fhir/Patient/bob/_history", "/fhir/Patient/bob/$everything", "/fhir/Observation/bob-obs", "/fhir/Observation?patient=bob"} {
		r := e.do("GET", p, gp, "")
		if x := e.lastEntry(t); x.Patient != "bob" || x.NHSNumber != "9000000009" {
			t.Errorf("GET %s (%d) after the Patient's delete: entry names %q, NHS number %q; want bob, 9000000009", p, r.status, x.Patient, x.NHSNumber)
		}
	}
}

// TestReview9bMatchedConditionalCreateNamesNoOneElse: a conditional create
// that matched stores nothing and answers with the match, but its entry
// also named the person the write would have created: a Patient id carex
// made up and never stored (POST Patient, If-None-Exist matching Bob,
// logged as touching "bob" and "19ecb80b-…").
func TestReview9bMatchedConditionalCreateNamesNoOneElse(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Smith","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	const body = `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	if r := e.do("POST", "/fhir/Patient", sys, body, "If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"); r.status != 200 {
		t.Fatalf("conditional create: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); x.Patient != "bob" || len(x.Patients) != 0 || x.NHSNumber != "9000000009" {
		t.Errorf("a conditional create that matched Bob: entry names %q %q, NHS number %q; want bob alone", x.Patient, x.Patients, x.NHSNumber)
	}
	// One that matched nothing names the person it created.
	const other = `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	r := e.do("POST", "/fhir/Patient", sys, other, "If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919")
	if r.status != 201 {
		t.Fatalf("conditional create: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); x.Patient == "" || x.Patient == "bob" || x.NHSNumber != "9434765919" {
		t.Errorf("a conditional create that created a Patient: entry names %q %q, NHS number %q", x.Patient, x.Patients, x.NHSNumber)
	}
}

// nosyPanicPolicy panics with the patient's id in its value, as a bug
// formatting what it was deciding might.
type nosyPanicPolicy struct{ api.OpenPolicy }

func (nosyPanicPolicy) OpenPatient(_ context.Context, _ *auth.Principal, _ *api.Exchange, id string) error {
	panic("deciding Patient/" + id)
}

// TestReview9bApplicationLogCarriesNoPersonalData (a regression test: it
// never failed): the application log must never hold personal data, only
// the access log may. Refused requests that echo values to the caller (an
// invalid NHS number, an unknown parameter, a bad date, malformed JSON),
// store faults on every kind of request (reads, searches by NHS number,
// conditional creates and updates, transactions and batches, IG queries,
// $explain, history, delete), and a panic whose value names the patient
// leave no NHS number, id, name or query value in it.
func TestReview9bApplicationLogCarriesNoPersonalData(t *testing.T) {
	var buf lockedBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Logger = logger })
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	const id, wrong = "9434765919", "9434765918"
	e.putAll(t, gp, [2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Zebedee"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	nhs := func(n string) string {
		return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}]}`
	}
	type req struct {
		method, path, tok, body string
		hdr                     []string
	}
	refused := []req{
		{"POST", "/fhir/Patient", gp, nhs(wrong), nil},
		{"GET", "/fhir/Patient?favourite=Zebedee" + id, gp, "", nil},
		{"GET", "/fhir/Patient?birthdate=Zebedee", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + wrong, gp, "", nil},
		{"GET", "/fhir/Patient/" + id + "?_elements=Zebedee", gp, "", nil},
		{"POST", "/fhir/Patient", gp, `{"resourceType":"Patient","name":[{"family":"Zebedee",`, nil},
		{"POST", "/fhir", gp, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + nhs(wrong) + `,"request":{"method":"POST","url":"Patient"}}]}`, nil},
	}
	faults := []req{
		{"GET", "/fhir/Patient/" + id, gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + id, gp, "", nil},
		{"GET", "/fhir/Patient?family=Zebedee", gp, "", nil},
		{"GET", "/fhir/Observation?patient=Patient/" + id, gp, "", nil},
		{"GET", "/fhir/Patient?_id=" + id + "&_revinclude=Observation:subject", gp, "", nil},
		{"POST", "/fhir/Patient/" + id + "/$everything", gp, `{"resourceType":"Parameters"}`, nil},
		{"POST", "/fhir/Patient", sys, nhs(id), []string{"If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|" + id}},
		{"PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + id, sys, nhs(id), nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|` + id + `"},"code":{"text":"Zebedee"}},"request":{"method":"POST","url":"Observation"}}]}`, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/` + id + `"}},{"request":{"method":"GET","url":"Patient?family=Zebedee"}}]}`, nil},
		{"GET", "/fhir/AuditEvent?patient=" + id, ig, "", nil},
		{"GET", "/fhir/AuditEvent/$who-accessed?patient=" + id, ig, "", nil},
		{"GET", "/fhir/Patient/" + id + "/$explain?role=gp&org=A81001&sector=nhs", ig, "", nil},
		{"GET", "/fhir/Patient/" + id + "/_history", gp, "", nil},
		{"DELETE", "/fhir/Patient/" + id, sys, "", nil},
	}
	for _, r := range refused {
		if got := e.do(r.method, r.path, r.tok, r.body, r.hdr...); got.status < 400 || got.status >= 500 {
			t.Errorf("%s %.60s: %d, want a 4xx", r.method, r.path, got.status)
		}
	}
	e.db.Close() // the database fails under the server
	fivexx := 0
	for _, r := range faults {
		if got := e.do(r.method, r.path, r.tok, r.body, r.hdr...); got.status >= 500 {
			fivexx++
		}
	}
	if fivexx < len(faults)/2 {
		t.Errorf("premise: only %d of %d requests met the store fault", fivexx, len(faults))
	}
	p := newEnv(t, func(c *api.Config) { c.Logger, c.Policy = logger, nosyPanicPolicy{} })
	if r := p.do("GET", "/fhir/Patient/"+id+"/$everything", p.token("gp", "nhs", "A81001"), ""); r.status != 500 {
		t.Errorf("premise: the panic answered %d", r.status)
	}
	log := buf.String()
	if !strings.Contains(log, "request failed") || !strings.Contains(log, "handler panicked") {
		t.Fatalf("premise: the faults were not logged:\n%s", log)
	}
	for _, personal := range []string{id, wrong, "Zebedee", "favourite"} {
		if strings.Contains(log, personal) {
			t.Errorf("the application log holds %q:\n%s", personal, log)
		}
	}
}

// TestReview9bBatchEntriesLogTheForwardedAddress: behind --trust-proxy, a
// proxy that adds its X-Forwarded-For as a header line of its own (HAProxy's
// option forwardfor) leaves the client's line first. The batch was logged
// with the proxy's address, but each entry's request copied the first line
// only: the batch's entries were logged with the address the client wrote.
func TestReview9bBatchEntriesLogTheForwardedAddress(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.TrustProxy = true }) // the test's proxy is on loopback
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	req, err := http.NewRequest("POST", e.base+"/fhir", strings.NewReader(`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/jane"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+gp)
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Add("X-Forwarded-For", "198.51.100.7") // the client's
	req.Header.Add("X-Forwarded-For", "10.1.2.3")     // the proxy's
	n0 := e.entriesOf9b()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("batch: %d", res.StatusCode)
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs[n0:] {
		if x.Client != "10.1.2.3" {
			t.Errorf("%s %s (request %s): logged client %q, want the address the proxy forwarded, 10.1.2.3", x.Method, x.Path, x.RequestID, x.Client)
		}
	}
}
