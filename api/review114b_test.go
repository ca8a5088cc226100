package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

// Review 114b: time in the sharing decision. The server's clock cannot be
// set from this package (ConsentPolicy.now and the Verifier's Now are set
// by api.NewConsentPolicy / auth.Config; the latter is used below for the
// tokens), so the consent probes place their bounds around the real clock,
// and the break-glass probe uses a 2 s grant, as review 87b does.

var r114bLondon = consent.England()

// r114bDenyNurse is Jane's objection, recorded by her GP practice, to
// sharing with the district nursing trust RCX, limited by the provision's
// period and dataPeriod JSON (either may be "").
func r114bDenyNurse(id, dateTime, period, dataPeriod string) string {
	prov := `"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]`
	if period != "" {
		prov += `,"period":` + period
	}
	if dataPeriod != "" {
		prov += `,"dataPeriod":` + dataPeriod
	}
	return janeConsent(id, dateTime, "OPTIN", `,"provision":{`+prov+`}`)
}

func r114bNow() string { return time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) }

// r114bPaths: what the nurse gets of GP-DIABETES by read, search,
// $everything and _history (true: released).
func r114bPaths(e *env, tok, id, text string) map[string]bool {
	out := map[string]bool{}
	for _, p := range []string{"/fhir/Condition/" + id, "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Condition/" + id + "/_history"} {
		r := e.do("GET", p, tok, "")
		out[p] = r.status == 200 && strings.Contains(r.body, text)
	}
	return out
}

// TestReview114bSoundConsentPeriodBounds: a root provision.period decides
// whether the objection is in force now (README: "a consent whose root
// provision.period does not contain the present is not in force"; dates
// without a time are days in England; an end date covers its whole day),
// and read, search, $everything, _history and $explain agree.
func TestReview114bSoundConsentPeriodBounds(t *testing.T) {
	now := time.Now()
	today := now.In(r114bLondon).Format("2006-01-02")
	tomorrow := now.In(r114bLondon).AddDate(0, 0, 1).Format("2006-01-02")
	yesterday := now.In(r114bLondon).AddDate(0, 0, -1).Format("2006-01-02")
	bst := time.FixedZone("BST", 3600)
	cases := []struct {
		name, period string
		inForce      bool
	}{
		{"starts tomorrow", `{"start":"` + tomorrow + `"}`, false},
		{"starts in an hour, +01:00", `{"start":"` + now.Add(time.Hour).In(bst).Format(time.RFC3339) + `"}`, false},
		{"ended yesterday", `{"start":"2020-01-01","end":"` + yesterday + `"}`, false},
		{"ends today (date: whole day)", `{"start":"2020-01-01","end":"` + today + `"}`, true},
		{"ended 10s ago, +01:00", `{"start":"2020-01-01T00:00:00+01:00","end":"` + now.Add(-10*time.Second).In(bst).Format(time.RFC3339) + `"}`, false},
		{"ends in an hour, +01:00", `{"end":"` + now.Add(time.Hour).In(bst).Format(time.RFC3339) + `"}`, true},
		{"start only, past", `{"start":"2020-06-01"}`, true},
		{"end only, today", `{"end":"` + today + `"}`, true},
		{"ends this year (year only)", `{"start":"2020","end":"` + now.In(r114bLondon).Format("2006") + `"}`, true},
		{"ends this month (month only)", `{"end":"` + now.In(r114bLondon).Format("2006-01") + `"}`, true},
		{"starts next year (year only)", `{"start":"` + now.In(r114bLondon).AddDate(1, 0, 0).Format("2006") + `"}`, false},
		{"started this second, +01:00", `{"start":"` + now.Add(-2*time.Second).In(bst).Format(time.RFC3339) + `"}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			if r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", r114bNow(), c.period, "")); r.status != 201 {
				t.Fatalf("consent: %d %s", r.status, r.body)
			}
			nurse := e.token("district-nurse", "nhs", "RCX")
			for p, released := range r114bPaths(e, nurse, "diabetes", "GP-DIABETES") {
				if released == c.inForce {
					t.Errorf("period %s: %s released=%v, want %v", c.period, p, released, !c.inForce)
				}
			}
			explainAgrees(t, e, nurse, "district-nurse", "RCX", "nhs", "", "", map[string]string{"Condition/diabetes": "GP-DIABETES"})
		})
	}
}

// TestReview114bSoundDataPeriodEdges: a deny's dataPeriod of June 2015
// (dates: days in England) covers an item dated to the year 2015, one at
// 00:30 BST on 1 June (in either zone's spelling), an admission straddling
// 1 June; it does not cover 23:30 BST on 31 May nor 00:30 BST on 1 July
// (23:30Z on 30 June); read, search, $everything, _history and $explain
// agree.
func TestReview114bSoundDataPeriodEdges(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	obs := func(id, eff string) [2]string {
		return [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"OBS-` + strings.ToUpper(id) + `"},` + eff + `}`}
	}
	items := []struct {
		w        [2]string
		withheld bool
	}{
		{obs("year", `"onsetDateTime":"2015"`), true},
		{obs("month", `"onsetDateTime":"2015-06"`), true},
		{obs("bstmidnight", `"onsetDateTime":"2015-06-01T00:30:00+01:00"`), true},
		{obs("utcmidnight", `"onsetDateTime":"2015-05-31T23:30:00Z"`), true},
		{obs("maylate", `"onsetDateTime":"2015-05-31T23:30:00+01:00"`), false},
		{obs("julyearly", `"onsetDateTime":"2015-06-30T23:30:00Z"`), false},
		{obs("straddle", `"onsetPeriod":{"start":"2015-05-28","end":"2015-06-05"}`), true},
		{obs("lastday", `"onsetDateTime":"2015-06-30"`), true},
		{obs("july1", `"onsetDateTime":"2015-07-01"`), false},
	}
	for _, it := range items {
		e.putAll(t, gp, it.w)
	}
	if r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", r114bNow(), "", `{"start":"2015-06-01","end":"2015-06-30"}`)); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	ev := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	se := e.do("GET", "/fhir/Condition?patient=jane&_count=100", nurse, "")
	ex := map[string]string{}
	for _, it := range items {
		id := strings.TrimPrefix(it.w[0], "/fhir/Condition/")
		text := "OBS-" + strings.ToUpper(id)
		ex["Condition/"+id] = text
		rd := e.do("GET", it.w[0], nurse, "")
		hi := e.do("GET", it.w[0]+"/_history", nurse, "")
		got := map[string]bool{"read": rd.status == 200, "search": strings.Contains(se.body, text), "$everything": strings.Contains(ev.body, text), "_history": strings.Contains(hi.body, text)}
		for path, released := range got {
			if released == it.withheld {
				t.Errorf("%s (%s): %s released=%v, want %v", id, it.w[1][strings.Index(it.w[1], `"onset`):], path, released, !it.withheld)
			}
		}
	}
	explainAgrees(t, e, nurse, "district-nurse", "RCX", "nhs", "", "", ex)
}

// TestReview114bSoundPermitDataPeriodHoldsAll: under an opt-out, a permit
// to RCX of June 2015 data releases an item of 15 June, not one dated
// only to 2015 nor an admission straddling its edge (README: "released by
// a permit only if the permit's period holds all of it").
func TestReview114bSoundPermitDataPeriodHoldsAll(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/in", `{"resourceType":"Condition","id":"in","subject":{"reference":"Patient/jane"},"code":{"text":"OBS-IN"},"onsetDateTime":"2015-06-15"}`},
		[2]string{"/fhir/Condition/yr", `{"resourceType":"Condition","id":"yr","subject":{"reference":"Patient/jane"},"code":{"text":"OBS-YR"},"onsetDateTime":"2015"}`},
		[2]string{"/fhir/Condition/edge", `{"resourceType":"Condition","id":"edge","subject":{"reference":"Patient/jane"},"code":{"text":"OBS-EDGE"},"onsetPeriod":{"start":"2015-06-28","end":"2015-07-02"}}`})
	c := janeConsent("c1", r114bNow(), "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}],"dataPeriod":{"start":"2015-06-01","end":"2015-06-30"}}]}`)
	if r := e.do("PUT", "/fhir/Consent/c1", gp, c); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	ev := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	for text, want := range map[string]bool{"OBS-IN": true, "OBS-YR": false, "OBS-EDGE": false} {
		if strings.Contains(ev.body, text) != want {
			t.Errorf("$everything: %s released=%v, want %v", text, !want, want)
		}
	}
	explainAgrees(t, e, nurse, "district-nurse", "RCX", "nhs", "", "", map[string]string{"Condition/in": "OBS-IN", "Condition/yr": "OBS-YR", "Condition/edge": "OBS-EDGE"})
}

// TestReview114bSoundConsentOrder: of two Consents of Jane's recorded by
// her practice, the later dateTime decides whatever the order of writing;
// at the same second the later recorded decides; one dated more than five
// minutes ahead is refused (422).
func TestReview114bSoundConsentOrder(t *testing.T) {
	lift := func(id, dt string) string { return janeConsent(id, dt, "OPTIN", "") }
	t1 := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	t2 := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name     string
		writes   [][2]string
		released bool
	}{
		{"deny then newer lift", [][2]string{{"d", r114bDenyNurse("d", t1, "", "")}, {"l", lift("l", t2)}}, true},
		{"newer lift written first, then older deny", [][2]string{{"l", lift("l", t2)}, {"d", r114bDenyNurse("d", t1, "", "")}}, true},
		{"lift then newer deny", [][2]string{{"l", lift("l", t1)}, {"d", r114bDenyNurse("d", t2, "", "")}}, false},
		{"same second: deny recorded last", [][2]string{{"l", lift("l", t2)}, {"d", r114bDenyNurse("d", t2, "", "")}}, false},
		{"same second: lift recorded last", [][2]string{{"d", r114bDenyNurse("d", t2, "", "")}, {"l", lift("l", t2)}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			for _, w := range c.writes {
				if r := e.do("PUT", "/fhir/Consent/"+w[0], gp, w[1]); r.status != 201 {
					t.Fatalf("consent %s: %d %s", w[0], r.status, r.body)
				}
			}
			nurse := e.token("district-nurse", "nhs", "RCX")
			for p, released := range r114bPaths(e, nurse, "diabetes", "GP-DIABETES") {
				if released != c.released {
					t.Errorf("%s: released=%v, want %v", p, released, c.released)
				}
			}
			explainAgrees(t, e, nurse, "district-nurse", "RCX", "nhs", "", "", map[string]string{"Condition/diabetes": "GP-DIABETES"})
		})
	}
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/f", gp, lift("f", time.Now().Add(10*time.Minute).UTC().Format(time.RFC3339))); r.status != 422 {
		t.Errorf("a Consent dated 10 minutes ahead: %d, want 422", r.status)
	}
}

// r114bToken signs claims with the env's development key.
func r114bToken(t *testing.T, e *env, c jwt.MapClaims) string {
	t.Helper()
	base := jwt.MapClaims{"iss": auth.DevIssuer, "aud": auth.DefaultAudience, "sub": "gp-user", "name": "Test gp", "role": "gp", "sector": "nhs", "org": "A81001"}
	for k, v := range c {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, base)
	tok.Header["kid"] = e.key.KID
	s, err := tok.SignedString(e.key.Private)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReview114bSoundTokenTimes: README "iss, aud, exp (required) and nbf
// are checked with 30 s clock skew".
func TestReview114bSoundTokenTimes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	now := time.Now()
	cases := []struct {
		name   string
		claims jwt.MapClaims
		want   int
	}{
		{"exp 10s ago (within 30s)", jwt.MapClaims{"exp": now.Add(-10 * time.Second).Unix()}, 200},
		{"exp 90s ago", jwt.MapClaims{"exp": now.Add(-90 * time.Second).Unix()}, 401},
		{"nbf in 10s", jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(10 * time.Second).Unix()}, 200},
		{"nbf in 5 minutes", jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(5 * time.Minute).Unix()}, 401},
		{"no exp", jwt.MapClaims{"iat": now.Unix()}, 401},
	}
	for _, c := range cases {
		if r := e.do("GET", "/fhir/Patient/jane", r114bToken(t, e, c.claims), ""); r.status != c.want {
			t.Errorf("%s: %d, want %d %.200s", c.name, r.status, c.want, r.body)
		}
	}
}

// TestReview114bSoundTokenIssuedInTheFuture: a token whose iat is an
// hour ahead of the clock was minted by an issuer whose clock is wrong
// (or forged ahead to outlive a revocation); the verifier's own comment
// says leeway applies to "exp/nbf/iat". Judgement (README is silent on
// iat beyond its type): it should be refused, as nbf in the future is;
// it is (401).
func TestReview114bSoundTokenIssuedInTheFuture(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	now := time.Now()
	tok := r114bToken(t, e, jwt.MapClaims{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()})
	if r := e.do("GET", "/fhir/Patient/jane", tok, ""); r.status != 401 {
		t.Errorf("a token issued an hour in the future: %d, want 401", r.status)
	}
}

// TestReview114bSoundBreakGlassGrantEnds: with the policy's
// break-glass-grant at 2s, the grant lets the user in without the header
// at once, and not after it ended, by read, search and $everything.
func TestReview114bSoundBreakGlassGrantEnds(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "break-glass-grant 4h", "break-glass-grant 2s", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seedShared(t, e)
	stranger := e.token("gp", "nhs", "Z99999")
	start := time.Now()
	if r := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break glass: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", stranger, ""); time.Since(start) < time.Second && !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("within the grant: search %d", r.status)
	}
	q := url.Values{"role": {"gp"}, "org": {"Z99999"}, "sector": {"nhs"}, "sub": {"gp-user"}}
	if eff := explainEffects(t, e, q)["Condition/diabetes"]; time.Since(start) < time.Second && eff != "permit" {
		t.Errorf("within the grant: $explain for the user says %q", eff)
	}
	time.Sleep(2200 * time.Millisecond)
	if eff := explainEffects(t, e, q)["Condition/diabetes"]; eff == "permit" {
		t.Errorf("after the grant ended: $explain for the user says %q", eff)
	}
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Condition/diabetes/_history"} {
		if r := e.do("GET", p, stranger, ""); strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("after the grant ended: %s released GP-DIABETES (%d)", p, r.status)
		}
	}
}

// TestReview114bSoundAuditDateEdges: AuditEvent?date= at the second of an
// entry: eq, ge and le of that second hold it, gt and lt do not, and the
// day (in England) holds it.
func TestReview114bSoundAuditDateEdges(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r114b-gp" })
	if r := e.do("GET", "/fhir/Condition/diabetes", gp, ""); r.status != 200 {
		t.Fatalf("read: %d", r.status)
	}
	r := e.do("GET", "/fhir/AuditEvent?agent=r114b-gp", ig, "")
	var b struct {
		Entry []struct {
			Resource struct {
				Recorded string `json:"recorded"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || len(b.Entry) != 1 {
		t.Fatalf("AuditEvent?agent: %d %v %.300s", r.status, err, r.body)
	}
	rec, err := time.Parse(time.RFC3339Nano, b.Entry[0].Resource.Recorded)
	if err != nil {
		t.Fatal(err)
	}
	sec := rec.UTC().Truncate(time.Second).Format(time.RFC3339)
	bst := rec.Truncate(time.Second).In(time.FixedZone("", 3600)).Format(time.RFC3339)
	day := rec.In(r114bLondon).Format("2006-01-02")
	for q, want := range map[string]int{"eq" + sec: 1, "ge" + sec: 1, "le" + sec: 1, "gt" + sec: 0, "lt" + sec: 0, day: 1, "eq" + bst: 1, "le" + bst: 1, "lt2020-01-01": 0, "gt2030-01-01": 0, "lt" + rec.Add(-time.Minute).UTC().Format(time.RFC3339): 0} {
		r := e.do("GET", "/fhir/AuditEvent?agent=r114b-gp&date="+url.QueryEscape(q), ig, "")
		b.Entry = nil
		if err := json.Unmarshal([]byte(r.body), &b); err != nil || r.status != 200 {
			t.Fatalf("date=%s: %d %.200s", q, r.status, r.body)
		}
		if len(b.Entry) != want {
			t.Errorf("recorded %s: date=%s: %d entries, want %d", rec.Format(time.RFC3339Nano), q, len(b.Entry), want)
		}
	}
}

// TestReview114bSoundConsentAheadAndPaused: a lift dated four minutes ahead
// (within the five minutes' slack) does not outrank an objection recorded
// after it (README: "a Consent is never taken as recorded after carex
// stored it"); a newer lift whose period has ended, or has not begun, only
// paused the older objection, which decides again.
func TestReview114bSoundConsentAheadAndPaused(t *testing.T) {
	now := time.Now()
	yesterday := now.In(r114bLondon).AddDate(0, 0, -1).Format("2006-01-02")
	tomorrow := now.In(r114bLondon).AddDate(0, 0, 1).Format("2006-01-02")
	liftP := func(id, dt, period string) string {
		return janeConsent(id, dt, "OPTIN", `,"provision":{"period":`+period+`}`)
	}
	cases := []struct {
		name   string
		writes [][2]string
	}{
		{"lift dated 4 min ahead, then deny dated now", [][2]string{
			{"l", janeConsent("l", now.Add(4*time.Minute).UTC().Format(time.RFC3339), "OPTIN", "")},
			{"d", "DENY-AT-WRITE"}}},
		{"deny, then newer lift that ended yesterday", [][2]string{
			{"d", r114bDenyNurse("d", now.Add(-48*time.Hour).UTC().Format(time.RFC3339), "", "")},
			{"l", liftP("l", now.Add(-time.Minute).UTC().Format(time.RFC3339), `{"start":"2020-01-01","end":"`+yesterday+`"}`)}}},
		{"deny, then newer lift from tomorrow", [][2]string{
			{"d", r114bDenyNurse("d", now.Add(-48*time.Hour).UTC().Format(time.RFC3339), "", "")},
			{"l", liftP("l", now.Add(-time.Minute).UTC().Format(time.RFC3339), `{"start":"`+tomorrow+`"}`)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			for _, w := range c.writes {
				if w[1] == "DENY-AT-WRITE" {
					// Dated a second after the lift was stored (its
					// dateTime is later than its recording, so it counts
					// as recorded when stored).
					time.Sleep(1100 * time.Millisecond)
					w[1] = r114bDenyNurse(w[0], time.Now().UTC().Format(time.RFC3339), "", "")
				}
				if r := e.do("PUT", "/fhir/Consent/"+w[0], gp, w[1]); r.status != 201 {
					t.Fatalf("consent %s: %d %s", w[0], r.status, r.body)
				}
			}
			nurse := e.token("district-nurse", "nhs", "RCX")
			for p, released := range r114bPaths(e, nurse, "diabetes", "GP-DIABETES") {
				if released {
					t.Errorf("%s released GP-DIABETES under Jane's objection", p)
				}
			}
			explainAgrees(t, e, nurse, "district-nurse", "RCX", "nhs", "", "", map[string]string{"Condition/diabetes": "GP-DIABETES"})
		})
	}
}

// TestReview114bSoundEverythingDaysInEngland: $everything's start/end are
// days in England (README), by GET and POST alike: in BST start=2026-06-01
// holds 23:30Z on 31 May, and end=2026-06-30 does not hold 23:30Z on 30
// June (00:30 on 1 July in England).
func TestReview114bSoundEverythingDaysInEngland(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/early", `{"resourceType":"Condition","id":"early","subject":{"reference":"Patient/jane"},"code":{"text":"DX-EARLY"},"onsetDateTime":"2026-05-31T23:30:00Z"}`},
		[2]string{"/fhir/Condition/before", `{"resourceType":"Condition","id":"before","subject":{"reference":"Patient/jane"},"code":{"text":"DX-BEFORE"},"onsetDateTime":"2026-05-31T22:30:00Z"}`},
		[2]string{"/fhir/Condition/late", `{"resourceType":"Condition","id":"late","subject":{"reference":"Patient/jane"},"code":{"text":"DX-LATE"},"onsetDateTime":"2026-06-30T23:30:00Z"}`},
		[2]string{"/fhir/Condition/lastday", `{"resourceType":"Condition","id":"lastday","subject":{"reference":"Patient/jane"},"code":{"text":"DX-LASTDAY"},"onsetDateTime":"2026-06-30T22:30:00Z"}`})
	want := map[string]bool{"DX-EARLY": true, "DX-BEFORE": false, "DX-LATE": false, "DX-LASTDAY": true}
	doc := e.token("gp", "nhs", "A81001")
	get := e.do("GET", "/fhir/Patient/jane/$everything?start=2026-06-01&end=2026-06-30", doc, "")
	post := e.do("POST", "/fhir/Patient/jane/$everything", doc, `{"resourceType":"Parameters","parameter":[{"name":"start","valueDate":"2026-06-01"},{"name":"end","valueDate":"2026-06-30"}]}`)
	for name, r := range map[string]resp{"GET": get, "POST": post} {
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", name, r.status, r.body)
		}
		for text, in := range want {
			if strings.Contains(r.body, text) != in {
				t.Errorf("%s $everything June 2026: %s included=%v, want %v", name, text, !in, in)
			}
		}
	}
	// Search date= on the same items reads days in England too.
	s := e.do("GET", "/fhir/Condition?patient=jane&onset-date=2026-06-01", doc, "")
	if s.status == 200 && (!strings.Contains(s.body, "DX-EARLY") || strings.Contains(s.body, "DX-BEFORE")) {
		t.Errorf("Condition?onset-date=2026-06-01: DX-EARLY %v, DX-BEFORE %v", strings.Contains(s.body, "DX-EARLY"), strings.Contains(s.body, "DX-BEFORE"))
	}
}

// TestReview114bSoundDataPeriodWithheldFromIncludes: an item a dataPeriod
// deny withholds is absent from _revinclude, and Bundle.total counts only
// what is released.
func TestReview114bSoundDataPeriodWithheldFromIncludes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/june", `{"resourceType":"Condition","id":"june","subject":{"reference":"Patient/jane"},"code":{"text":"DX-JUNE"},"onsetDateTime":"2015-06-01T00:30:00+01:00"}`})
	if r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", r114bNow(), "", `{"start":"2015-06-01","end":"2015-06-30"}`)); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient?_id=jane&_revinclude=Condition:subject", "/fhir/Condition?patient=jane&onset-date=2015-06", "/fhir/Patient/jane/$everything?start=2015-06&end=2015-06", "/fhir/Condition/_history", "/fhir/Patient/jane/$everything?_since=2000-01-01T00:00:00Z"} {
		r := e.do("GET", p, nurse, "")
		if strings.Contains(r.body, "DX-JUNE") {
			t.Errorf("%s released DX-JUNE (%d)", p, r.status)
		}
	}
}

// TestReview114bSoundLastUpdatedEdges: an item's own meta.lastUpdated,
// given back as _since (README: "at or after an instant") or
// _lastUpdated=ge/le/eq, finds it; gt/lt of it do not.
func TestReview114bSoundLastUpdatedEdges(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	doc := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Condition/diabetes", doc, "")
	var m struct {
		Meta struct {
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
	}
	if err := json.Unmarshal([]byte(r.body), &m); err != nil || m.Meta.LastUpdated == "" {
		t.Fatalf("read: %d %v %.200s", r.status, err, r.body)
	}
	lu := url.QueryEscape(m.Meta.LastUpdated)
	for p, want := range map[string]bool{
		"/fhir/Condition/diabetes/_history?_since=" + lu:              true,
		"/fhir/Patient/jane/$everything?_since=" + lu:                 true,
		"/fhir/Condition?patient=jane&_lastUpdated=ge" + lu:           true,
		"/fhir/Condition?patient=jane&_lastUpdated=le" + lu:           true,
		"/fhir/Condition?patient=jane&_lastUpdated=" + lu:             true,
		"/fhir/Condition?patient=jane&_lastUpdated=gt" + lu:           false,
		"/fhir/Condition?patient=jane&_lastUpdated=lt" + lu:           false,
		"/fhir/Condition/_history?_since=" + lu + "&_count=50":        true,
		"/fhir/Patient/jane/$everything?_type=Condition&_since=" + lu: true,
	} {
		r := e.do("GET", p, doc, "")
		if r.status != 200 {
			t.Errorf("%s: %d %.200s", p, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, "GP-DIABETES") != want {
			t.Errorf("lastUpdated %s: %s: found=%v, want %v", m.Meta.LastUpdated, p, !want, want)
		}
	}
}

// r114bReport is an IG report's entries (JSON).
func r114bReport(t *testing.T, e *env, path string) (total int, entries []map[string]any) {
	t.Helper()
	r := e.do("GET", path, e.token("ig-officer", "nhs", "A81001"), "")
	if r.status != 200 {
		t.Fatalf("%s: %d %.300s", path, r.status, r.body)
	}
	var out struct {
		Total   int              `json:"total"`
		Entries []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	return out.Total, out.Entries
}

// TestReview114bSoundBreakGlassGrantEndInTheLog: with a 2 s grant, the
// accesses the grant let through are in IG's $break-glass report, the
// request refused after it ended is not, and the reports' date= edges at
// the second of the breaking entry behave as AuditEvent's do.
func TestReview114bSoundBreakGlassGrantEndInTheLog(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "break-glass-grant 4h", "break-glass-grant 2s", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seedShared(t, e)
	stranger := e.token("gp", "nhs", "Z99999", func(c *auth.DevClaims) { c.Sub = "r114b-locum" })
	start := time.Now()
	if r := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break glass: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", stranger, ""); r.status != 200 {
		if time.Since(start) < time.Second {
			t.Fatalf("within the grant: %d", r.status)
		}
		t.Skip("the machine was too slow to use the grant within it")
	}
	time.Sleep(2200 * time.Millisecond)
	if r := e.do("GET", "/fhir/Condition/diabetes", stranger, ""); r.status == 200 {
		t.Fatalf("after the grant: %d", r.status)
	}
	total, entries := r114bReport(t, e, "/fhir/AuditEvent/$break-glass?patient=jane")
	if total != 2 {
		t.Errorf("$break-glass: total %d, want 2 (the break and the one access it let through): %v", total, entries)
	}
	for _, en := range entries {
		if st, _ := en["status"].(float64); st >= 400 {
			t.Errorf("$break-glass lists a refused access after the grant ended: %v", en)
		}
	}
	tm, _ := time.Parse(time.RFC3339Nano, entries[len(entries)-1]["time"].(string))
	sec := url.QueryEscape(tm.UTC().Truncate(time.Second).Format(time.RFC3339))
	for q, want := range map[string]bool{"ge" + sec: true, "le" + sec: true, "lt" + sec: false} {
		_, es := r114bReport(t, e, "/fhir/AuditEvent/$who-accessed?patient=jane&date="+q)
		found := false
		for _, en := range es {
			if en["breakGlass"] == bgReason {
				found = true
			}
		}
		if found != want {
			t.Errorf("$who-accessed date=%s: the breaking entry (%s) found=%v, want %v", q, tm.Format(time.RFC3339Nano), found, want)
		}
	}
}

// TestReview114bSoundCareTeamPeriodEdges: a care team the GP practice
// records for Jane naming the hospital RZZ relates RZZ only within the
// team's period, its end date's whole day included (README, review 10c).
func TestReview114bSoundCareTeamPeriodEdges(t *testing.T) {
	now := time.Now()
	today := now.In(r114bLondon).Format("2006-01-02")
	yesterday := now.In(r114bLondon).AddDate(0, 0, -1).Format("2006-01-02")
	tomorrow := now.In(r114bLondon).AddDate(0, 0, 1).Format("2006-01-02")
	bst := time.FixedZone("", 3600)
	for period, related := range map[string]bool{
		`{"start":"2020-01-01","end":"` + today + `"}`:                                                 true,
		`{"start":"2020-01-01","end":"` + yesterday + `"}`:                                             false,
		`{"start":"` + tomorrow + `"}`:                                                                 false,
		`{"start":"2020-01-01","end":"` + now.Add(-10*time.Second).In(bst).Format(time.RFC3339) + `"}`: false,
		`{"end":"` + now.Add(time.Hour).In(bst).Format(time.RFC3339) + `"}`:                            true,
	} {
		e := newEnv(t)
		seedShared(t, e)
		e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/CareTeam/ward", `{"resourceType":"CareTeam","id":"ward","status":"active","subject":{"reference":"Patient/jane"},"period":` + period + `,"participant":[{"member":{"reference":"Organization/RZZ"}}]}`})
		clin := e.token("hospital-clinician", "nhs", "RZZ")
		for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, clin, "")
			if got := r.status == 200 && strings.Contains(r.body, "GP-DIABETES"); got != related {
				t.Errorf("team period %s: %s: released=%v (%d), want %v", period, p, got, r.status, related)
			}
		}
	}
}

// TestReview114bSoundNestedProvisionPeriodAndSameDay: a nested deny's
// period decides whether it applies now; a date-only dateTime of today
// is neither newer nor older than a time today, so the order of
// recording decides (README).
func TestReview114bSoundNestedProvisionPeriodAndSameDay(t *testing.T) {
	now := time.Now()
	today := now.In(r114bLondon).Format("2006-01-02")
	yesterday := now.In(r114bLondon).AddDate(0, 0, -1).Format("2006-01-02")
	nested := func(id, period string) string {
		return janeConsent(id, r114bNow(), "OPTIN", `,"provision":{"provision":[{"type":"deny","period":`+period+`,"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}]}`)
	}
	earlyToday := now.Add(-time.Minute).UTC()
	if earlyToday.In(r114bLondon).Format("2006-01-02") != today {
		t.Skip("just after midnight in England")
	}
	cases := []struct {
		name     string
		writes   [][2]string
		released bool
	}{
		{"nested deny ended yesterday", [][2]string{{"c", nested("c", `{"start":"2020-01-01","end":"`+yesterday+`"}`)}}, true},
		{"nested deny ends today", [][2]string{{"c", nested("c", `{"start":"2020-01-01","end":"`+today+`"}`)}}, false},
		{"lift at a time today, then deny dated today (date only)", [][2]string{{"l", janeConsent("l", earlyToday.Format(time.RFC3339), "OPTIN", "")}, {"d", r114bDenyNurse("d", today, "", "")}}, false},
		{"deny at a time today, then lift dated today (date only)", [][2]string{{"d", r114bDenyNurse("d", earlyToday.Format(time.RFC3339), "", "")}, {"l", janeConsent("l", today, "OPTIN", "")}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			for _, w := range c.writes {
				if r := e.do("PUT", "/fhir/Consent/"+w[0], gp, w[1]); r.status != 201 {
					t.Fatalf("consent %s: %d %s", w[0], r.status, r.body)
				}
			}
			nurse := e.token("district-nurse", "nhs", "RCX")
			for p, released := range r114bPaths(e, nurse, "diabetes", "GP-DIABETES") {
				if released != c.released {
					t.Errorf("%s: released=%v, want %v", p, released, c.released)
				}
			}
			explainAgrees(t, e, nurse, "district-nurse", "RCX", "nhs", "", "", map[string]string{"Condition/diabetes": "GP-DIABETES"})
		})
	}
}

// TestReview114bSoundZonelessTimesRefused: R4 requires a zone on a
// dateTime with a time; an item or a Consent period without one is
// ambiguous by an hour in summer (which day in England?), so it is refused.
func TestReview114bSoundZonelessTimesRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	r := e.do("PUT", "/fhir/Condition/nozone", gp, `{"resourceType":"Condition","id":"nozone","subject":{"reference":"Patient/jane"},"code":{"text":"DX-NOZONE"},"onsetDateTime":"2015-05-31T23:30:00"}`)
	if r.status < 400 {
		t.Errorf("a Condition onset without a zone: %d, want 4xx", r.status)
	}
	r = e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", r114bNow(), `{"start":"2020-01-01T00:00:00"}`, ""))
	if r.status < 400 {
		t.Errorf("a Consent period without a zone: %d, want 4xx", r.status)
	}
	r = e.do("PUT", "/fhir/Consent/c2", gp, r114bDenyNurse("c2", time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05"), "", ""))
	if r.status < 400 {
		t.Errorf("a Consent dateTime without a zone: %d, want 4xx", r.status)
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything?start=2015-06-01T00:30:00", e.token("gp", "nhs", "A81001"), "")
	if r.status != 400 {
		t.Errorf("$everything start with a time and no zone: %d, want 400", r.status)
	}
}

// TestReview114bSoundTokenClockEdges: with the verifier's clock set
// (auth.Config.Now), a token accepted and so cached is refused once its
// exp is more than the 30 s leeway past, and one refused for its nbf is
// accepted once the clock reaches nbf less the leeway.
func TestReview114bSoundTokenClockEdges(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	set := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	e := newEnv(t, func(c *api.Config) {
		v, err := auth.NewVerifier(auth.Config{DevKey: key, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		c.Verifier = v
	})
	e.key = key
	seedShared(t, e)
	t0 := now()
	exp := r114bToken(t, e, jwt.MapClaims{"iat": t0.Unix(), "exp": t0.Add(60 * time.Second).Unix()})
	nbf := r114bToken(t, e, jwt.MapClaims{"iat": t0.Unix(), "nbf": t0.Add(120 * time.Second).Unix(), "exp": t0.Add(time.Hour).Unix()})
	if r := e.do("GET", "/fhir/Patient/jane", exp, ""); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane", nbf, ""); r.status != 401 {
		t.Errorf("nbf 120 s ahead: %d, want 401", r.status)
	}
	set(80 * time.Second) // exp passed 20 s ago; nbf 40 s ahead
	if r := e.do("GET", "/fhir/Patient/jane", exp, ""); r.status != 200 {
		t.Errorf("exp 20 s past (within leeway): %d, want 200", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane", nbf, ""); r.status != 401 {
		t.Errorf("nbf 40 s ahead: %d, want 401", r.status)
	}
	set(20 * time.Second) // exp 40 s past; nbf 20 s ahead
	if r := e.do("GET", "/fhir/Patient/jane", exp, ""); r.status != 401 {
		t.Errorf("cached token, exp 40 s past: %d, want 401", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane", nbf, ""); r.status != 200 {
		t.Errorf("nbf 20 s ahead (within leeway): %d, want 200", r.status)
	}
}

// TestReview114bSoundRedatedItemHistory: a diagnosis first dated 2016 and
// corrected to June 2015 falls under Jane's deny of June 2015 data to the
// nurses: its history and each version are withheld, not only its current
// version; and one dated June 2015 and corrected to 2016 keeps its June
// 2015 version from them.
func TestReview114bSoundRedatedItemHistory(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	dx := func(id, onset, text string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"` + text + `"},"onsetDateTime":"` + onset + `"}`
	}
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/back", dx("back", "2016-03-01", "DX-BACK-V1")},
		[2]string{"/fhir/Condition/back", dx("back", "2015-06-10", "DX-BACK-V2")},
		[2]string{"/fhir/Condition/fwd", dx("fwd", "2015-06-10", "DX-FWD-V1")},
		[2]string{"/fhir/Condition/fwd", dx("fwd", "2016-03-01", "DX-FWD-V2")})
	if r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", r114bNow(), "", `{"start":"2015-06-01","end":"2015-06-30"}`)); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Condition/back", "/fhir/Condition/back/_history", "/fhir/Condition/back/_history/1", "/fhir/Condition/fwd/_history", "/fhir/Condition/fwd/_history/1", "/fhir/Condition/_history", "/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane"} {
		r := e.do("GET", p, nurse, "")
		for _, text := range []string{"DX-BACK-V1", "DX-BACK-V2", "DX-FWD-V1"} {
			if strings.Contains(r.body, text) {
				t.Errorf("%s (%d) released %s", p, r.status, text)
			}
		}
	}
	if r := e.do("GET", "/fhir/Condition/fwd", nurse, ""); !strings.Contains(r.body, "DX-FWD-V2") {
		t.Errorf("the 2016 version of fwd: %d", r.status)
	}
}

// TestReview114bSoundDataPeriodOtherPaths: the June 2015 diagnosis a
// dataPeriod deny withholds from the nurse stays out of _include, a
// batch's GET entries, POST _search and POST $everything.
func TestReview114bSoundDataPeriodOtherPaths(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/june", `{"resourceType":"Condition","id":"june","subject":{"reference":"Patient/jane"},"code":{"text":"DX-JUNE"},"onsetDateTime":"2015-05-31T23:30:00Z"}`},
		[2]string{"/fhir/CarePlan/plan", `{"resourceType":"CarePlan","id":"plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"GP-PLAN","addresses":[{"reference":"Condition/june"}]}`})
	if r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", r114bNow(), "", `{"start":"2015-06-01","end":"2015-06-30"}`)); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	checks := []resp{
		e.do("GET", "/fhir/CarePlan?patient=jane&_include=CarePlan:condition", nurse, ""),
		e.do("POST", "/fhir", nurse, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/june"}},{"request":{"method":"GET","url":"Condition?patient=jane"}}]}`),
		e.do("POST", "/fhir/Patient/jane/$everything", nurse, `{"resourceType":"Parameters","parameter":[{"name":"start","valueDate":"2015-06-01"}]}`),
	}
	req, _ := http.NewRequest("POST", e.base+"/fhir/Condition/_search", strings.NewReader("patient=jane"))
	req.Header.Set("Authorization", "Bearer "+nurse)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		checks = append(checks, resp{status: res.StatusCode, body: string(b)})
	}
	for i, r := range checks {
		if r.status != 200 {
			t.Errorf("check %d: %d %.200s", i, r.status, r.body)
		}
		if strings.Contains(r.body, "DX-JUNE") {
			t.Errorf("check %d released DX-JUNE", i)
		}
	}
	// The undated care plan is withheld too: README, "an item with no
	// clinical date may be of that period, so a deny's covers it".
	if strings.Contains(checks[0].body, "GP-PLAN") {
		t.Errorf("the undated care plan was released under the deny of June 2015 data")
	}
}

// TestReview114bSoundFutureConsentRefusedOnEveryWrite: a Consent dated
// more than five minutes ahead is refused (422) by an update, and in a
// transaction and a batch as in a create (README).
func TestReview114bSoundFutureConsentRefusedOnEveryWrite(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/c1", gp, janeConsent("c1", r114bNow(), "OPTIN", "")); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	ahead := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	deny := r114bDenyNurse("c1", ahead, "", "")
	if r := e.do("PUT", "/fhir/Consent/c1", gp, deny); r.status != 422 {
		t.Errorf("update dated an hour ahead: %d, want 422", r.status)
	}
	for _, typ := range []string{"transaction", "batch"} {
		body := `{"resourceType":"Bundle","type":"` + typ + `","entry":[{"resource":` + strings.Replace(deny, `"id":"c1"`, `"id":"c2"`, 1) + `,"request":{"method":"PUT","url":"Consent/c2"}}]}`
		r := e.do("POST", "/fhir", gp, body)
		if r.status == 200 && !strings.Contains(r.body, "422") {
			t.Errorf("%s with a Consent dated an hour ahead: %d %.300s", typ, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Consent/c2", gp, ""); r.status != 404 {
		t.Errorf("Consent/c2 stored: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Consent/c1/_history", gp, ""); strings.Count(r.body, `"versionId"`) != 1 {
		t.Errorf("Consent/c1 has more than its first version: %.300s", r.body)
	}
}

// TestReview114bSoundRedatedObjectionByUpdate: Jane objects (c1), lifts it
// (l), then objects again, her practice recording it as a new version of
// c1 dated now. Her latest word is the objection.
func TestReview114bSoundRedatedObjectionByUpdate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	stamp := func() string { return time.Now().UTC().Format(time.RFC3339) }
	if r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", stamp(), "", "")); r.status != 201 {
		t.Fatalf("objection: %d %s", r.status, r.body)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := e.do("PUT", "/fhir/Consent/l", gp, janeConsent("l", stamp(), "OPTIN", "")); r.status != 201 {
		t.Fatalf("lift: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("after the lift: %d", r.status)
	}
	time.Sleep(1100 * time.Millisecond)
	r := e.do("PUT", "/fhir/Consent/c1", gp, r114bDenyNurse("c1", stamp(), "", ""))
	if r.status != 200 {
		t.Fatalf("objection again: %d %s", r.status, r.body)
	}
	for p, released := range r114bPaths(e, nurse, "diabetes", "GP-DIABETES") {
		if released {
			t.Errorf("%s released GP-DIABETES after Jane objected again (c1 version 2, dated after the lift)", p)
		}
	}
}

// TestReview114bSoundOnlyActiveConsentsDecide: an objection whose status
// is not active (proposed, draft, inactive, rejected, entered-in-error)
// withholds nothing (README: "status active").
func TestReview114bSoundOnlyActiveConsentsDecide(t *testing.T) {
	for _, st := range []string{"proposed", "draft", "inactive", "rejected", "entered-in-error", "active"} {
		e := newEnv(t)
		seedShared(t, e)
		gp := e.token("system", "nhs", "A81001")
		c := strings.Replace(r114bDenyNurse("c1", r114bNow(), "", ""), `"status":"active"`, `"status":"`+st+`"`, 1)
		if r := e.do("PUT", "/fhir/Consent/c1", gp, c); r.status != 201 {
			t.Fatalf("%s: %d %s", st, r.status, r.body)
		}
		nurse := e.token("district-nurse", "nhs", "RCX")
		for p, released := range r114bPaths(e, nurse, "diabetes", "GP-DIABETES") {
			if released != (st != "active") {
				t.Errorf("status %s: %s released=%v", st, p, released)
			}
		}
	}
}
