package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store/auditlog"
)

// envWithAlertThreshold12d is an env with a real access log and a policy
// whose volume alert fires above n distinct patients an hour.
func envWithAlertThreshold12d(t *testing.T, n string) *env {
	t.Helper()
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "alert-patients-per-hour 50", "alert-patients-per-hour "+n, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
}

// seedPatients12d writes Patients registered with practice A81001, as its
// client system (a role that raises no volume alert).
func seedPatients12d(t *testing.T, e *env, ids ...string) {
	t.Helper()
	sys := e.token("system", "nhs", "A81001")
	for _, id := range ids {
		body := `{"resourceType":"Patient","id":"` + id + `","generalPractitioner":[{"reference":"Organization/A81001"}]}`
		if r := e.do("PUT", "/fhir/Patient/"+id, sys, body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", id, r.status, r.body)
		}
	}
}

type alerts12d struct {
	Alerts []struct {
		Kind   string  `json:"kind"`
		Sub    string  `json:"sub"`
		Detail string  `json:"detail"`
		Seqs   []int64 `json:"seqs"`
	} `json:"alerts"`
}

// entryTime12d is the time of the newest access-log entry of user sub
// about patient, as $who-accessed reports it.
func entryTime12d(t *testing.T, e *env, ig, patient, sub string) time.Time {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient="+patient, ig, "")
	var rep struct {
		Entries []struct {
			Sub  string    `json:"sub"`
			Time time.Time `json:"time"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("who-accessed %s: %d %v %s", patient, r.status, err, r.body)
	}
	var at time.Time
	for _, en := range rep.Entries {
		if en.Sub == sub {
			at = en.Time
		}
	}
	if at.IsZero() {
		t.Fatalf("no entry of %s about %s: %s", sub, patient, r.body)
	}
	return at
}

// TestReview12dVolumeAlertSeesTheHourBeforeThePeriod: $alerts worked out
// the unusual-volume rule ("more than N patients within an hour") over the
// entries of the period asked for alone, so a burst that straddled its
// start was never reported: a user who opened 30 patients between 23:30
// and 23:59 and 30 more between 00:00 and 00:29 (60 in an hour) raised no
// alert in the report of either day, and an IG officer who reads the
// alerts day by day never heard of it. Here the threshold is 3 and the GP
// opens 4 patients; the report from the third access on saw 2.
func TestReview12dVolumeAlertSeesTheHourBeforeThePeriod(t *testing.T) {
	e := envWithAlertThreshold12d(t, "3")
	ids := []string{"p1", "p2", "p3", "p4"}
	seedPatients12d(t, e, ids...)
	gp := e.token("gp", "nhs", "A81001")
	for _, id := range ids {
		if r := e.do("GET", "/fhir/Patient/"+id, gp, ""); r.status != 200 {
			t.Fatalf("read %s: %d %s", id, r.status, r.body)
		}
		time.Sleep(3 * time.Millisecond) // entries in distinct milliseconds
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	from := entryTime12d(t, e, ig, "p3", "gp-user")

	// The whole burst: an alert (the baseline).
	r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	var all alerts12d
	if err := json.Unmarshal([]byte(r.body), &all); err != nil || r.status != 200 {
		t.Fatalf("alerts: %d %v %s", r.status, err, r.body)
	}
	volume := func(a alerts12d) int {
		n := 0
		for _, al := range a.Alerts {
			if al.Kind == auditlog.AlertVolume && al.Sub == "gp-user" {
				n++
			}
		}
		return n
	}
	if volume(all) != 1 {
		t.Fatalf("baseline: want one volume alert for gp-user: %s", r.body)
	}

	// From the third access on: the hour before counts.
	r = e.do("GET", "/fhir/AuditEvent/$alerts?date="+url.QueryEscape("ge"+from.UTC().Format("2006-01-02T15:04:05.000Z")), ig, "")
	var part alerts12d
	if err := json.Unmarshal([]byte(r.body), &part); err != nil || r.status != 200 {
		t.Fatalf("alerts from %s: %d %v %s", from, r.status, err, r.body)
	}
	if volume(part) != 1 {
		t.Errorf("a period starting in the middle of gp-user's burst (4 patients within an hour, threshold 3) reports no volume alert: %s", r.body)
	}
	// An alert that ended before the period is not the period's.
	r = e.do("GET", "/fhir/AuditEvent/$alerts?date="+url.QueryEscape("ge"+time.Now().Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z")), ig, "")
	var later alerts12d
	if err := json.Unmarshal([]byte(r.body), &later); err != nil || r.status != 200 {
		t.Fatalf("alerts later: %d %v %s", r.status, err, r.body)
	}
	if volume(later) != 0 {
		t.Errorf("a period after the burst reports it: %s", r.body)
	}
}

// TestReview12dPrintableReportShowsTheNHSNumberSearched: an entry keeps
// the NHS number a user searched for even when nothing matched (README),
// and the JSON report gives it, but the printable $user-activity and
// $who-accessed (_format=text or html, the copies handed over for a
// subject access request or a disciplinary case) printed an NHS number
// only beside a person the entry named: a user looking up numbers of
// people carex does not hold was shown searching for no one.
func TestReview12dPrintableReportShowsTheNHSNumberSearched(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gp := e.token("gp", "nhs", "A81001")
	const nhs = "9990000018" // passes the modulus-11 check; no one has it
	if r := e.do("GET", "/fhir/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+nhs), gp, ""); r.status != 200 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/AuditEvent/$user-activity?agent=gp-user", ig, ""); r.status != 200 || !strings.Contains(r.body, nhs) {
		t.Fatalf("baseline: the JSON report gives the number searched: %d %s", r.status, r.body)
	}
	for _, f := range []string{"text", "html"} {
		r := e.do("GET", "/fhir/AuditEvent/$user-activity?agent=gp-user&_format="+f, ig, "")
		if r.status != 200 || !strings.Contains(r.body, "NHS "+nhs) {
			t.Errorf("printable (%s) user activity does not show the NHS number searched for: %d\n%s", f, r.status, r.body)
		}
	}
}

// TestReview12dRefusedLookAtTheLogNamesThePerson: a user who is not an IG
// officer and asks who accessed a person's record ($who-accessed,
// AuditEvent?patient=, $break-glass?patient=) is refused (403), and the
// entry of the refusal named no one, so that person's $who-accessed did
// not show that a colleague had tried to find out who looked at their
// record ($explain, refused alike, named them).
func TestReview12dRefusedLookAtTheLogNamesThePerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	paths := []string{
		"/fhir/AuditEvent/$who-accessed?patient=jane",
		"/fhir/AuditEvent?patient=Patient/jane",
		"/fhir/AuditEvent/$break-glass?patient=jane",
	}
	for _, p := range paths {
		if r := e.do("GET", p, nurse, ""); r.status != 403 {
			t.Fatalf("%s by a nurse: %d, want 403", p, r.status)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	var rep struct {
		Entries []struct {
			Sub       string `json:"sub"`
			Operation string `json:"operation"`
			Status    int    `json:"status"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("who-accessed: %d %v %s", r.status, err, r.body)
	}
	refused := 0
	for _, en := range rep.Entries {
		if en.Sub == "district-nurse-user" && en.Status == 403 {
			refused++
		}
	}
	if refused != len(paths) {
		t.Errorf("jane's who-accessed lists %d of the nurse's %d refused looks at her log entries:\n%s", refused, len(paths), r.body)
	}
}
