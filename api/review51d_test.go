package api_test

// Review 51d: break-glass and the IG reports (SPEC §4, §5 layer 5, §6).

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/auditlog"
)

const r51dBG = "EMERGENCY: unconscious in A&E, no history available"

// seed51d: Margaret and Arthur (seedCouple) with one GP diagnosis each.
func seed51d(t *testing.T, e *env) {
	t.Helper()
	seedCouple(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/r51d-marg", `{"resourceType":"Condition","id":"r51d-marg","subject":{"reference":"Patient/margaret"},"code":{"text":"R51D-MARG-DX"}}`},
		[2]string{"/fhir/Condition/r51d-arth", `{"resourceType":"Condition","id":"r51d-arth","subject":{"reference":"Patient/arthur"},"code":{"text":"R51D-ARTH-DX"}}`},
	)
}

// lastLogged is the last exchange recorded for user sub.
func (e *env) lastLogged51d(sub string) *api.Exchange {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for i := len(e.rec.xs) - 1; i >= 0; i-- {
		if x := e.rec.xs[i]; x.Principal != nil && x.Principal.Sub == sub {
			return &x
		}
	}
	return nil
}

// TestReview51dBreakGlassReasonPaddedWithSpaces: the README says a reason
// needs at least 10 characters "not counting ... characters drawn as
// nothing or blank" (review 22b refused the Braille blank and Hangul
// fillers). Blank spaces between two visible characters still count: a
// reason IG sees as "a            b" (two letters) opens the record, and
// so does one letter carrying twelve combining accents (one glyph).
func TestReview51dBreakGlassReasonPaddedWithSpaces(t *testing.T) {
	e := newEnv(t)
	seed51d(t, e)
	for name, reason := range map[string]string{
		"ascii spaces":       "EMERGENCY: a" + strings.Repeat(" ", 12) + "b",
		"ideographic spaces": "EMERGENCY: a" + strings.Repeat("\u3000", 12) + "b",
		"em spaces":          "LEGAL: ." + strings.Repeat("\u2003", 12) + ".",
		"no-break spaces":    "CONSENT: x" + strings.Repeat("\u00a0", 12) + "y",
		// One letter under a stack of combining accents: one glyph.
		"combining marks": "EMERGENCY: e" + strings.Repeat("\u0301", 12),
	} {
		sub := "r51d-sp-" + strings.ReplaceAll(name, " ", "-")
		ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = sub })
		r := e.do("GET", "/fhir/Patient/margaret/$everything", ae, "", "X-Break-Glass", reason)
		if r.status == 200 {
			t.Errorf("%s: break-glass with a reason of two visible characters (%q) opened Margaret's record: %d, her diagnosis released: %v; logged reason %q",
				name, reason, r.status, strings.Contains(r.body, "R51D-MARG-DX"), e.lastLogged51d(sub).BreakGlass)
		}
	}
}

// TestReview51dSoundBreakGlassReasonVariants: forms of the header that
// must be accepted (any case of the kind, text in any script) and refused
// (a kind not in the list or written in other letters, over-long, the kind
// alone), and roles the policy does not let break glass.
func TestReview51dSoundBreakGlassReasonVariants(t *testing.T) {
	e := newEnv(t)
	seed51d(t, e)
	n := 0
	try := func(role, sector, org, reason string) (resp, *api.Exchange) {
		n++
		sub := "r51d-v-" + strings.Repeat("x", n%3) + string(rune('a'+n%26)) + string(rune('a'+n/26))
		tok := e.token(role, sector, org, func(c *auth.DevClaims) { c.Sub = sub })
		r := e.do("GET", "/fhir/Patient/margaret/$everything", tok, "", "X-Break-Glass", reason)
		return r, e.lastLogged51d(sub)
	}
	for _, reason := range []string{
		"emergency: unconscious in A&E, no history",
		"Public-Interest : safeguarding concern raised by police",
		"EMERGENCY: 病人昏迷，无法提供病史，急诊",
		"LEGAL: gorchymyn llys — adran 47 Deddf 2014",
		"EMERGENCY: " + strings.Repeat("a", 500-len("EMERGENCY: ")),
	} {
		r, x := try("hospital-clinician", "nhs", "RZZ", reason)
		if r.status != 200 || !strings.Contains(r.body, "R51D-MARG-DX") {
			t.Errorf("reason %.60q: %d, want 200 with her record", reason, r.status)
		}
		if x == nil || x.BreakGlass != reason || !containsStr(x.Reasons, "break-glass") {
			t.Errorf("reason %.60q: logged %+v", reason, x)
		}
	}
	for _, reason := range []string{
		"ＥＭＥＲＧＥＮＣＹ: unconscious in A&E, no history",
		"EMERGENCY： unconscious in A&E, no history",
		"EMERGENCY - unconscious in A&E, no history",
		"EMERGENCYY: unconscious in A&E, no history",
		"EMERGENCY: " + strings.Repeat("a", 501-len("EMERGENCY: ")),
		"EMERGENCY: a" + strings.Repeat("\u200b", 12),
	} {
		r, x := try("hospital-clinician", "nhs", "RZZ", reason)
		if r.status == 200 || strings.Contains(r.body, "R51D-MARG-DX") {
			t.Errorf("reason %.60q: %d, want it refused", reason, r.status)
		}
		if x == nil || x.BreakGlass == "" {
			t.Errorf("reason %.60q: refused attempt not logged with its reason: %+v", reason, x)
		}
	}
	// Roles the default policy does not let break glass.
	for _, who := range [][3]string{{"social-worker", "council", "E08000035"}, {"ig-officer", "nhs", "RZZ"}, {"system", "nhs", "RZZ"}} {
		r, x := try(who[0], who[1], who[2], r51dBG)
		if r.status == 200 && strings.Contains(r.body, "R51D-MARG-DX") {
			t.Errorf("%s broke glass: %d", who[0], r.status)
		}
		if x == nil || x.BreakGlass != r51dBG {
			t.Errorf("%s: refused break-glass not logged with its reason: %+v", who[0], x)
		}
	}
	// A header of blanks is no break-glass: no relationship, 403.
	if r, _ := try("hospital-clinician", "nhs", "RZZ", "   "); r.status != 403 {
		t.Errorf("blank X-Break-Glass: %d, want 403", r.status)
	}
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestReview51dSoundRepeatedBreakGlassHeader: two X-Break-Glass headers.
// The reason that decided is the one logged; an invalid first one is not
// rescued by a valid second one.
func TestReview51dSoundRepeatedBreakGlassHeader(t *testing.T) {
	e := newEnv(t)
	seed51d(t, e)
	do := func(sub string, reasons ...string) (int, string) {
		tok := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = sub })
		req, _ := http.NewRequest("GET", e.base+"/fhir/Patient/margaret/$everything", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for _, r := range reasons {
			req.Header.Add("X-Break-Glass", r)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	st, body := do("r51d-rep1", r51dBG, "EMERGENCY: x")
	x := e.lastLogged51d("r51d-rep1")
	if st == 200 && (x == nil || x.BreakGlass != r51dBG) {
		t.Errorf("repeated header: released (%d) but logged reason %+v", st, x)
	}
	_ = body
	st, body = do("r51d-rep2", "EMERGENCY: x", r51dBG)
	if st == 200 && strings.Contains(body, "R51D-MARG-DX") {
		x := e.lastLogged51d("r51d-rep2")
		t.Errorf("an invalid first reason with a valid second opened the record; logged reason %q", x.BreakGlass)
	}
}

// TestReview51dSoundBreakGlassOnePersonPerSearch: searches naming two
// people under break-glass release at most one person's items and store
// at most one grant.
func TestReview51dSoundBreakGlassOnePersonPerSearch(t *testing.T) {
	e := newEnv(t)
	seed51d(t, e)
	for i, q := range []string{
		"/fhir/Condition?patient=margaret,arthur",
		"/fhir/Condition?subject=Patient/margaret,Patient/arthur",
		"/fhir/Condition?patient=arthur&patient=margaret",
		"/fhir/Condition?_id=r51d-marg,r51d-arth",
		"/fhir/Patient?_id=margaret,arthur&_revinclude=Condition:subject",
		"/fhir/Condition?patient=margaret&_include=Condition:subject&_revinclude=CareTeam:subject",
		"/fhir/Patient?_id=margaret&_revinclude=CareTeam:participant&_include:iterate=CareTeam:participant",
		"/fhir/Condition?patient.family=Jones",
		"/fhir/Condition?code:text=R51D",
		"/fhir/Patient/margaret/$everything?_count=1",
	} {
		sub := "r51d-s" + string(rune('a'+i))
		ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = sub })
		r := e.do("GET", q, ae, "", "X-Break-Glass", r51dBG)
		if strings.Contains(r.body, "R51D-MARG-DX") && strings.Contains(r.body, "R51D-ARTH-DX") {
			t.Errorf("%s: both people's diagnoses released: %d", q, r.status)
		}
		open := 0
		for _, id := range []string{"margaret", "arthur"} {
			if rr := e.do("GET", "/fhir/Patient/"+id, ae, ""); rr.status == 200 {
				open++
			}
		}
		if open > 1 {
			t.Errorf("%s: grants stored for both people", q)
		}
	}
}

// TestReview51dSoundAuditEventSearchParams: AuditEvent search refuses what
// it does not understand (400), refuses non-IG roles (403, logged naming
// the person asked about), logs the IG query itself, and its entries hold
// no clinical text.
func TestReview51dSoundAuditEventSearchParams(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r51d-gp" })
	e.do("GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|86406008", gp, "")
	e.do("GET", "/fhir/Condition/hiv", gp, "")
	e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r51d-ig" })
	for _, q := range []string{
		"outcome=2", "outcome=", "outcome=success", "date=sa2026-01-01", "date=2026-13-01", "date=",
		"_count=-1", "_count=abc", "patient=jane,bob", "patient=jane&patient=bob", "agent=", "agent=a,b",
		"foo=bar", "patient:missing=true", "_sort=date", "_offset=x", "_before=0", "subject=jane",
		"patient.identifier=9434765919", "_elements=agent", "_summary=count",
	} {
		if r := e.do("GET", "/fhir/AuditEvent?"+q, ig, ""); r.status != 400 {
			t.Errorf("AuditEvent?%s: %d, want 400: %.200s", q, r.status, r.body)
		}
	}
	for _, who := range [][3]string{{"gp", "nhs", "A81001"}, {"hospital-clinician", "nhs", "RHX"}, {"system", "nhs", "A81001"}, {"social-worker", "council", "E06000999"}, {"district-nurse", "nhs", "RCX"}} {
		sub := "r51d-no-" + who[0]
		tok := e.token(who[0], who[1], who[2], func(c *auth.DevClaims) { c.Sub = sub })
		for _, p := range []string{"/fhir/AuditEvent?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$break-glass", "/fhir/AuditEvent/$alerts", "/fhir/AuditEvent/0"} {
			if r := e.do("GET", p, tok, "", "X-Break-Glass", r51dBG); r.status != 403 {
				t.Errorf("%s GET %s: %d, want 403", who[0], p, r.status)
			}
		}
	}
	r := e.do("GET", "/fhir/AuditEvent?agent=r51d-gp&_count=50", ig, "")
	if r.status != 200 {
		t.Fatalf("IG search: %d %s", r.status, r.body)
	}
	for _, m := range []string{"GP-HIV-UNLABELLED", "GP-DIABETES", "86406008", "44054006", "GP-HBA1C"} {
		if strings.Contains(r.body, m) {
			t.Errorf("AuditEvent search shows clinical content %q: …%s…", m, around21a(r.body, m))
		}
	}
	// The IG query and the refused ones are logged.
	r = e.do("GET", "/fhir/AuditEvent?agent=r51d-ig", ig, "")
	if !strings.Contains(r.body, "audit-search") && !strings.Contains(r.body, "AuditEvent") {
		t.Errorf("IG officer's own queries not in the log: %.300s", r.body)
	}
	r = e.do("GET", "/fhir/AuditEvent?patient=jane&agent="+url.QueryEscape("r51d-no-gp"), ig, "")
	if b := parseBundle(t, r.body); b.Total == 0 {
		t.Errorf("a GP's refused AuditEvent queries about Jane are not under her: %.300s", r.body)
	}
}
