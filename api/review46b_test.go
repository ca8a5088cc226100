package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store/auditlog"
)

func (e *env) review46bXs() []api.Exchange {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	return append([]api.Exchange(nil), e.rec.xs...)
}

// TestReview46bSoundMetricsAndUnknownPathsLoggedOnce: a /metrics scrape
// (GET, HEAD), a refused token at /metrics and /nowhere, and a valid token
// at /nowhere (404) are each exactly one logged exchange; the scrape's
// operation is "metrics"; /healthz, /readyz and GET /fhir/metadata none.
func TestReview46bSoundMetricsAndUnknownPathsLoggedOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "prom-46b" })
	for _, rq := range []struct {
		method, path, tok string
		want, logged      int
		op                string
	}{
		{"GET", "/metrics", sys, 200, 1, "metrics"},
		{"HEAD", "/metrics", sys, 200, 1, "metrics"},
		{"GET", "/metrics", e.expiredToken(), 401, 1, ""},
		{"GET", "/nowhere", "forged.token.here", 401, 1, ""},
		{"GET", "/nowhere", sys, 404, 1, ""},
		{"POST", "/nowhere", sys, 415, 1, ""}, // the body check (no Content-Type) answers first
		{"GET", "/fhir/Patient/jane/nothing/here/at/all", sys, 404, 1, ""},
		{"GET", "/healthz", "", 200, 0, ""},
		{"HEAD", "/healthz", "", 200, 0, ""},
		{"GET", "/readyz", "", 200, 0, ""},
		{"GET", "/fhir/metadata", "", 200, 0, ""},
		{"HEAD", "/fhir/metadata", "", 200, 0, ""},
	} {
		n := len(e.review46bXs())
		r := e.do(rq.method, rq.path, rq.tok, "")
		xs := e.review46bXs()[n:]
		if r.status != rq.want {
			t.Errorf("%s %s: %d, want %d: %.200s", rq.method, rq.path, r.status, rq.want, r.body)
		}
		if len(xs) != rq.logged {
			t.Errorf("%s %s: %d exchanges logged, want %d", rq.method, rq.path, len(xs), rq.logged)
			continue
		}
		for _, x := range xs {
			t.Logf("%s %s -> %d logged op=%q status=%d decision=%q reasons=%v path=%q", rq.method, rq.path, r.status, x.Operation, x.Status, x.Decision, x.Reasons, x.Path)
			if rq.op != "" && x.Operation != rq.op {
				t.Errorf("%s %s: operation %q, want %q", rq.method, rq.path, x.Operation, rq.op)
			}
			if x.Status != r.status {
				t.Errorf("%s %s: logged status %d, answered %d", rq.method, rq.path, x.Status, r.status)
			}
		}
		if rq.path == "/metrics" && rq.want == 200 {
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("%s /metrics Content-Type %q, want Prometheus text", rq.method, ct)
			}
			if rq.method == "GET" && !strings.Contains(r.body, "carex_dev_mode") {
				t.Errorf("GET /metrics body: %.300s", r.body)
			}
			if rq.method == "HEAD" && r.body != "" {
				t.Errorf("HEAD /metrics has a body")
			}
		}
	}
}

// TestReview46bSoundMetricsGzip: a scrape asking for gzip (as Prometheus
// does) gets Content-Encoding: gzip and a body that decompresses to the
// text format; Prometheus's own Accept header is served.
func TestReview46bSoundMetricsGzip(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	r := e.do("GET", "/metrics", sys, "", "Accept-Encoding", "gzip",
		"Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	if r.status != 200 {
		t.Fatalf("status %d: %.200s", r.status, r.body)
	}
	t.Logf("Content-Encoding %q Content-Type %q Content-Length %q", r.header.Get("Content-Encoding"), r.header.Get("Content-Type"), r.header.Get("Content-Length"))
	if r.header.Get("Content-Encoding") != "gzip" {
		if !strings.Contains(r.body, "carex_dev_mode") {
			t.Fatalf("not gzip and not text: %.200q", r.body)
		}
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatalf("Content-Encoding gzip but body not gzip: %v %.100q", err, r.body)
	}
	b, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(b), "carex_dev_mode") {
		t.Fatalf("gunzipped body: %v %.300s", err, b)
	}
}

// TestReview46bSoundScrapesRaiseNoAlerts: a system token scraping
// /metrics many times is logged but raises no volume or out-of-hours
// alert and shows in no one's $who-accessed.
func TestReview46bSoundScrapesRaiseNoAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "prom-46b" })
	for i := 0; i < 40; i++ {
		if r := e.do("GET", "/metrics", sys, ""); r.status != 200 {
			t.Fatalf("scrape %d: %d", i, r.status)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	t.Logf("alerts: %d %.600s", r.status, r.body)
	if r.status == 200 && strings.Contains(r.body, "prom-46b") {
		t.Errorf("scrapes raised an alert: %.600s", r.body)
	}
	r = e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	t.Logf("who-accessed: %d %.300s", r.status, r.body)
	if strings.Contains(r.body, "prom-46b") {
		t.Errorf("scrapes listed as accesses to Jane's record: %.600s", r.body)
	}
	r = e.do("GET", "/fhir/AuditEvent?agent=prom-46b&_count=5", ig, "")
	if r.status != 200 || !strings.Contains(r.body, "metrics") {
		t.Errorf("AuditEvent search by agent for the scrapes: %d %.400s", r.status, r.body)
	}
	if !strings.Contains(r.body, "carex-dev") {
		t.Errorf("the scrape's AuditEvent names no issuer: %.600s", r.body)
	}
}

// TestReview46bBTGPurposeEvadesTreatDeny: a policy may now list BTG
// (review 45b's direct-care list). Jane's Consent denies the community
// trust RCX her record for treatment (provision purpose TREAT). A nurse of
// RCX whose token says purpose BTG — with no X-Break-Glass header, so no
// stated reason, no break-glass flag — is not the "treatment" the deny
// names, and reads what Jane denied. SPEC §4: only break-glass, with a
// stated reason and flagged for IG, overrides the person's consent.
// Fixed: a policy may no longer list BTG or CAREMGT (refused at load,
// checked first), and a provision for TREAT covers ETREAT and COC, which
// specialise it: the probe runs with the default policy (COC and ETREAT
// served; BTG and CAREMGT, not served, are refused outright).
func TestReview46bBTGPurposeEvadesTreatDeny(t *testing.T) {
	text := strings.Replace(consent.DefaultPolicyText(), "\npurposes TREAT ETREAT COC\n", "\npurposes TREAT ETREAT COC BTG CAREMGT\n", 1)
	if text == consent.DefaultPolicyText() {
		t.Fatal("premise: purposes line not found")
	}
	if _, err := consent.LoadPolicy(strings.NewReader(text)); err == nil {
		t.Errorf("a policy listing BTG and CAREMGT as purposes is loaded")
	}
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/j46b", janeConsent("j46b", "2026-01-10", "OPTIN",
		`,"provision":{"type":"permit","provision":[{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}],"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}]}`)})
	treat := e.do("GET", "/fhir/Patient/jane/$everything", e.token("district-nurse", "nhs", "RCX"), "")
	if strings.Contains(treat.body, "GP-DIABETES") {
		t.Fatalf("premise: the TREAT deny does not hold against the TREAT nurse: %d %.300s", treat.status, treat.body)
	}
	for _, p := range []string{"BTG", "CAREMGT", "COC", "ETREAT"} {
		tok := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Purpose = p; c.Sub = "nurse-46b-" + p })
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("purpose %s, no X-Break-Glass: %d, released what Jane denied RCX for treatment (GP-DIABETES) with no stated reason: %.200s", p, r.status, r.body[strings.Index(r.body, "GP-DIABETES")-100:strings.Index(r.body, "GP-DIABETES")+20])
		}
	}
	// (no break-glass alert is due: nothing passed the deny)
}

// TestReview46bSoundIssuerEncodeDecode: an entry without an issuer
// encodes with no "iss" key (its bytes as before review 45b); one with an
// issuer round-trips through Encode and Decode (as the kept copies of
// writes are replayed at start).
func TestReview46bSoundIssuerEncodeDecode(t *testing.T) {
	e := &auditlog.Entry{Seq: 7, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), RequestID: "r", Sub: "s", Operation: "read", Status: 200, Decision: "permit"}
	b, err := auditlog.Encode(e)
	if err != nil || strings.Contains(string(b), "iss") {
		t.Errorf("no issuer: %v %s", err, b)
	}
	e.Issuer = "carex-dev"
	b, err = auditlog.Encode(e)
	if err != nil || !strings.HasSuffix(string(b), `"iss":"carex-dev"}`) {
		t.Errorf("issuer not last: %v %s", err, b)
	}
	d, err := auditlog.Decode(b)
	if err != nil || d == nil || d.Issuer != "carex-dev" {
		t.Errorf("decode: %v %+v", err, d)
	}
}

// TestReview46bSoundNumericDateForms: exp/nbf/iat written as JSON numbers
// of any form (fraction, exponent) are accepted as valid; null, a huge or
// a negative exp, booleans and objects are refused (401), each logged.
func TestReview46bSoundNumericDateForms(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	rsaH := map[string]any{"alg": "RS256", "kid": "rsa1"}
	now := time.Now()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	exp := now.Add(time.Hour).Unix()
	for name, c := range map[string]struct {
		mod  map[string]any
		want int
	}{
		"exp fraction":         {map[string]any{"exp": raw(jsonInt(exp) + ".5")}, 200},
		"exp exponent":         {map[string]any{"exp": raw(expForm(exp))}, 200},
		"iat fraction":         {map[string]any{"iat": raw(jsonInt(now.Unix()) + ".25")}, 200},
		"nbf past exponent":    {map[string]any{"nbf": raw(expForm(now.Add(-time.Hour).Unix()))}, 200},
		"exp null":             {map[string]any{"exp": raw("null")}, 401},
		"exp huge 1e400":       {map[string]any{"exp": raw("1e400")}, 401},
		"exp negative":         {map[string]any{"exp": raw("-1")}, 401},
		"exp true":             {map[string]any{"exp": raw("true")}, 401},
		"exp object":           {map[string]any{"exp": raw(`{"v":9999999999}`)}, 401},
		"exp array":            {map[string]any{"exp": raw(`[9999999999]`)}, 401},
		"nbf future":           {map[string]any{"nbf": now.Add(time.Hour).Unix()}, 401},
		"nbf string future":    {map[string]any{"nbf": jsonInt(now.Add(time.Hour).Unix())}, 401},
		"exp -0 with fraction": {map[string]any{"exp": raw("-0.0")}, 401},
	} {
		tok := review45bSign(rsaH, review45bClaims(c.mod), k.rs)
		n := e.review45bCount401()
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		t.Logf("%s: %d", name, r.status)
		if r.status != c.want {
			t.Errorf("%s: %d, want %d: %.200s", name, r.status, c.want, r.body)
		}
		if c.want == 401 && e.review45bCount401() != n+1 {
			t.Errorf("%s: refused token not logged once", name)
		}
	}
	// null nbf / iat: not JSON numbers; record what happens
	for _, k2 := range []string{"nbf", "iat"} {
		tok := review45bSign(rsaH, review45bClaims(map[string]any{k2: raw("null")}), k.rs)
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		t.Logf("%s null: %d", k2, r.status)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

// expForm writes v as d.ddddddddde9.
func expForm(v int64) string {
	s := jsonInt(v)
	return s[:1] + "." + s[1:] + "e" + jsonInt(int64(len(s)-1))
}
