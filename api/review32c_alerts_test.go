package api_test

// Review 32c: re-read of the IG alert changes (7c2da94, fefb68d, a4beaf5,
// 92b9e2f). Probes only: each asserts what SPEC §5/§6 (and the README's
// documented choices) require.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

const r32cBG = "EMERGENCY: collapsed in ED, unconscious, no history available"

type r32cAlert struct {
	Kind    string   `json:"kind"`
	Sub     string   `json:"sub"`
	Patient string   `json:"patient"`
	Code    string   `json:"code"`
	Detail  string   `json:"detail"`
	Seqs    []int64  `json:"seqs"`
	People  []string `json:"people"`
}

func r32cAlerts(t *testing.T, e *env) []r32cAlert {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r32c-ig-alerts" }), "")
	var rep struct {
		Alerts []r32cAlert `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
	}
	return rep.Alerts
}

type r32cReport struct {
	Entries []struct {
		Seq        int64    `json:"seq"`
		RequestID  string   `json:"requestId"`
		Sub        string   `json:"sub"`
		BreakGlass string   `json:"breakGlass"`
		Path       string   `json:"path"`
		Patient    string   `json:"patient"`
		Patients   []string `json:"patients"`
		Status     int      `json:"status"`
		Operation  string   `json:"operation"`
	} `json:"entries"`
}

func r32cIG(t *testing.T, e *env, path string) r32cReport {
	t.Helper()
	r := e.do("GET", path, e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r32c-ig-report" }), "")
	var rep r32cReport
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("GET %s: %d %v %.300s", path, r.status, err, r.body)
	}
	return rep
}

// r32cSeqOf is the seq of sub's entry with request id rid (0: none).
func r32cSeqOf(t *testing.T, e *env, sub, rid string) int64 {
	t.Helper()
	for _, en := range r32cIG(t, e, "/fhir/AuditEvent/$user-activity?agent="+sub).Entries {
		if en.RequestID == rid {
			return en.Seq
		}
	}
	return 0
}

func r32cLinked(als []r32cAlert, seq int64) bool {
	for _, a := range als {
		if slices.Contains(a.Seqs, seq) {
			return true
		}
	}
	return false
}

// TestReview32cChosenRequestIDHidesABatchBreakGlassAlert: carex keeps a
// client's X-Request-ID (letters, digits, '-', '_', '.'), and the Alerter
// (store/auditlog/report.go bundleOfBreakGlass) takes any entry whose
// request id is "<id>.<something>" and carries X-Break-Glass for a batch
// entry, and then drops the break-glass alert of the same user's next
// batch whose id is "<id>" and whose entry names no one. A batch with
// break-glass whose entries carex answers itself (another server's URL:
// 400 in the batch, no entry of their own) is an alert on its own (the
// control user); after one earlier request sent with X-Request-ID
// "<id>.1", the same batch sent with X-Request-ID "<id>" is in no alert
// at all. README ($alerts): "a batch's own entry is no alert beside those
// of its entries, which carry its reason each" — this batch has none.
func TestReview32cChosenRequestIDHidesABatchBreakGlassAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"https://elsewhere.example/fhir/Patient/jane/$everything"}}]}`
	// Control: the batch alone.
	ctl := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r32c-rid-ctl" })
	if r := e.do("POST", "/fhir", ctl, batch, "X-Break-Glass", r32cBG, "X-Request-ID", "r32c-ctl-batch"); r.status != 200 {
		t.Fatalf("premise: control batch: %d %.300s", r.status, r.body)
	}
	// The user: one earlier request with a dotted id, then the batch.
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r32c-rid" })
	r := e.do("OPTIONS", "/fhir/Organization", ae, "", "X-Break-Glass", r32cBG, "X-Request-ID", "r32c-batch.1")
	t.Logf("OPTIONS /fhir/Organization with X-Request-ID r32c-batch.1: %d", r.status)
	if r := e.do("POST", "/fhir", ae, batch, "X-Break-Glass", r32cBG, "X-Request-ID", "r32c-batch"); r.status != 200 {
		t.Fatalf("premise: batch: %d %.300s", r.status, r.body)
	}
	ctlSeq, seq := r32cSeqOf(t, e, "r32c-rid-ctl", "r32c-ctl-batch"), r32cSeqOf(t, e, "r32c-rid", "r32c-batch")
	if ctlSeq == 0 || seq == 0 {
		t.Fatalf("premise: the batches' entries: %d %d", ctlSeq, seq)
	}
	als := r32cAlerts(t, e)
	if !r32cLinked(als, ctlSeq) {
		t.Fatalf("premise: the control batch with X-Break-Glass is in no alert")
	}
	if !r32cLinked(als, seq) {
		var mine []r32cAlert
		for _, a := range als {
			if a.Sub == "r32c-rid" {
				mine = append(mine, a)
			}
		}
		t.Errorf("the same batch with X-Break-Glass, sent with X-Request-ID r32c-batch after a request sent as r32c-batch.1, is in no IG alert (entry %d); the user's alerts link only %+v", seq, mine)
	}
	// A transaction writing a directory item under break-glass (no
	// entries of its own: only a transaction's GETs are), after a request
	// sent as "r32c-tx.7".
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Organization","id":"r32c-org","name":"R32C ORG"},"request":{"method":"PUT","url":"Organization/r32c-org"}}]}`
	if r := e.do("POST", "/fhir", ctl, strings.ReplaceAll(tx, "r32c-org", "r32c-org-ctl"), "X-Break-Glass", r32cBG, "X-Request-ID", "r32c-ctl-tx"); r.status != 200 {
		t.Fatalf("premise: control transaction: %d %.300s", r.status, r.body)
	}
	if s := r32cSeqOf(t, e, "r32c-rid-ctl", "r32c-ctl-tx"); s == 0 || !r32cLinked(r32cAlerts(t, e), s) {
		t.Fatalf("premise: the control transaction with X-Break-Glass (entry %d) is in no alert", s)
	}
	e.do("GET", "/fhir/Patient/jane", ae, "", "X-Break-Glass", r32cBG, "X-Request-ID", "r32c-tx.7")
	if r := e.do("POST", "/fhir", ae, tx, "X-Break-Glass", r32cBG, "X-Request-ID", "r32c-tx"); r.status != 200 {
		t.Fatalf("premise: transaction: %d %.300s", r.status, r.body)
	}
	if txSeq := r32cSeqOf(t, e, "r32c-rid", "r32c-tx"); txSeq == 0 {
		t.Errorf("premise: the transaction's entry")
	} else if !r32cLinked(r32cAlerts(t, e), txSeq) {
		t.Errorf("a transaction with X-Break-Glass writing Organization/r32c-org, sent as r32c-tx after a read of Jane sent as r32c-tx.7, is in no IG alert (entry %d)", txSeq)
	}
}

// TestReview32cSoundAnonymousAttemptsOnAPersonStayInHerReports: requests
// refused at login (401) with X-Break-Glass name six made-up ids, then
// Margaret, then three more. The grouped alert names at most 5 people
// (README choice) and links every entry; each attempt on Margaret is in
// her $break-glass, $who-accessed and AuditEvent?patient=.
func TestReview32cSoundAnonymousAttemptsOnAPersonStayInHerReports(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedCouple(t, e)
	var paths []string
	for i := range 6 {
		paths = append(paths, fmt.Sprintf("/fhir/Patient/r32c-madeup-%d/$everything", i))
	}
	paths = append(paths, "/fhir/Patient/margaret/$everything", "/fhir/Condition?patient=margaret")
	for i := range 3 {
		paths = append(paths, fmt.Sprintf("/fhir/Patient/r32c-later-%d", i))
	}
	for _, p := range paths {
		if r := e.do("GET", p, "not.a.token", "", "X-Break-Glass", r32cBG); r.status != 401 {
			t.Fatalf("premise: %s: %d", p, r.status)
		}
	}
	anon := 0
	for _, a := range r32cAlerts(t, e) {
		if a.Kind == "break-glass" && a.Sub == "" {
			anon += len(a.Seqs)
			t.Logf("grouped alert: people %v, %d entries: %s", a.People, len(a.Seqs), a.Detail)
			if slices.Contains(a.People, "margaret") {
				t.Logf("(margaret is named)")
			} else if !strings.Contains(a.Detail, "and others") {
				t.Errorf("the grouped alert omits margaret without saying 'and others': %q", a.Detail)
			}
		}
	}
	if anon != len(paths) {
		t.Errorf("grouped alerts link %d entries, want %d", anon, len(paths))
	}
	for _, rp := range []string{"/fhir/AuditEvent/$break-glass?patient=margaret", "/fhir/AuditEvent/$who-accessed?patient=margaret"} {
		n := 0
		for _, en := range r32cIG(t, e, rp).Entries {
			if en.Status == 401 && en.BreakGlass == r32cBG {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%s lists %d of the 2 refused-at-login break-glass attempts on margaret", rp, n)
		}
	}
	r := e.do("GET", "/fhir/AuditEvent?patient=margaret", e.token("ig-officer", "nhs", "A81001"), "")
	if r.status != 200 || strings.Count(r.body, r32cBG) < 2 {
		t.Errorf("AuditEvent?patient=margaret: %d, break-glass reason %d times, want 2", r.status, strings.Count(r.body, r32cBG))
	}
}

// TestReview32cSoundAnonymousGroupingByClientAddress: behind a trusted
// proxy, requests refused at login with X-Break-Glass from one IPv6 /64
// are one alert; an IPv4 address written as IPv4-mapped IPv6 and as
// IPv4 is one client; another /64 is another alert.
func TestReview32cSoundAnonymousGroupingByClientAddress(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.TrustProxy = true })
	seedCouple(t, e)
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "::ffff:203.0.113.5", "203.0.113.5", "2001:db8:1:3::1"} {
		if r := e.do("GET", "/fhir/Patient/margaret", "bad", "", "X-Break-Glass", r32cBG, "X-Forwarded-For", ip); r.status != 401 {
			t.Fatalf("premise: %d", r.status)
		}
	}
	groups := map[string]int{}
	for _, a := range r32cAlerts(t, e) {
		if a.Kind == "break-glass" && a.Sub == "" {
			groups[a.Detail] += len(a.Seqs)
			if a.Patient != "margaret" {
				t.Errorf("grouped alert of attempts on margaret alone names patient %q", a.Patient)
			}
		}
	}
	t.Logf("groups: %v", groups)
	if len(groups) != 3 {
		t.Errorf("5 attempts from 3 clients (one /64, one IPv4 written two ways, another /64): %d alerts, want 3: %v", len(groups), groups)
	}
}

// r32cOffHoursPolicy: working hours an hour that is not now (UTC), so
// every request of the test is out of hours; alert at more than 1
// patient an hour.
func r32cOffHoursPolicy(t *testing.T) func(*api.Config) {
	h := (time.Now().UTC().Hour() + 2) % 22
	txt := strings.Replace(consent.DefaultPolicyText(), "alert-working-hours 07:00 19:00 Europe/London", fmt.Sprintf("alert-working-hours %02d:00 %02d:00 UTC", h, h+1), 1)
	txt = strings.Replace(txt, "alert-patients-per-hour 50", "alert-patients-per-hour 1", 1)
	pol, err := consent.LoadPolicy(strings.NewReader(txt))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) }
}

// TestReview32cSoundKnownUsersRefusedBreakGlassStillAlerts: a known
// user's break-glass that failed — by a role that may not (social worker,
// 403), for a person with nothing stored (404), with a purpose that is
// not direct care (403) — is each a break-glass alert ("break-glass
// refused"), an out-of-hours alert and counts towards the volume rule
// (92b9e2f); a request refused at login raises neither of the last two.
func TestReview32cSoundKnownUsersRefusedBreakGlassStillAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil), r32cOffHoursPolicy(t))
	seedShared(t, e)
	seedCouple(t, e)
	sw := e.token("social-worker", "council", "E06000999", func(c *auth.DevClaims) { c.Sub = "r32c-sw" })
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r32c-ae" })
	mk := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r32c-mk"; c.Purpose = "HMARKT" })
	for _, q := range []struct{ tok, path string }{
		{sw, "/fhir/Patient/jane/$everything"}, {sw, "/fhir/Patient/margaret/$everything"},
		{ae, "/fhir/Patient/r32c-nobody/$everything"}, {ae, "/fhir/Patient/r32c-nobody2/$everything"},
		{mk, "/fhir/Patient/jane/$everything"}, {mk, "/fhir/Patient/margaret"},
	} {
		r := e.do("GET", q.path, q.tok, "", "X-Break-Glass", r32cBG)
		if r.status < 400 {
			t.Fatalf("premise: %s: %d", q.path, r.status)
		}
	}
	e.do("GET", "/fhir/Patient/jane", "bad", "", "X-Break-Glass", r32cBG)
	als := r32cAlerts(t, e)
	for _, sub := range []string{"r32c-sw", "r32c-ae", "r32c-mk"} {
		kinds := map[string]string{}
		for _, a := range als {
			if a.Sub == sub {
				kinds[a.Kind] = a.Detail
			}
		}
		if !strings.Contains(kinds["break-glass"], "break-glass refused") || kinds["out-of-hours"] == "" || kinds["volume"] == "" {
			t.Errorf("%s: alerts %v, want break-glass refused, out-of-hours and volume", sub, kinds)
		}
	}
	for _, a := range als {
		if a.Sub == "" && a.Kind != "break-glass" {
			t.Errorf("a request refused at login raises %s: %q", a.Kind, a.Detail)
		}
	}
}
