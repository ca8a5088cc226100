package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview32cSoundBreakGlassThatStoredNoGrantReadsSo: an OPTIONS on
// Margaret's Patient with X-Break-Glass is listed as "opened no record (no
// grant stored)", and indeed stores no grant (her Patient is 403 after);
// a HEAD and a version read of her care team are grants (read as such:
// 200 after, and the later access counted).
func TestReview32cSoundBreakGlassThatStoredNoGrantReadsSo(t *testing.T) {
	for _, x := range []struct {
		m, p    string
		granted bool
	}{
		{"OPTIONS", "/fhir/Patient/margaret", false},
		{"GET", "/fhir/Patient/margaret/_history/77", false},
		{"HEAD", "/fhir/Patient/margaret", true},
		{"GET", "/fhir/CareTeam/margaret-carers/_history/1", true},
		{"GET", "/fhir/Observation?patient=margaret&_count=0", true},
	} {
		e := newEnv(t, withAccessLog(t, nil))
		seedCouple(t, e)
		ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r32c-grant" })
		r := e.do(x.m, x.p, ae, "", "X-Break-Glass", r32cBG)
		after := e.do("GET", "/fhir/Patient/margaret", ae, "")
		if (after.status == 200) != x.granted {
			t.Errorf("%s %s (%d) with X-Break-Glass: her Patient after without the header is %d, granted want %v", x.m, x.p, r.status, after.status, x.granted)
		}
		d := ""
		for _, a := range r32cAlerts(t, e) {
			if a.Kind == "break-glass" && a.Sub == "r32c-grant" && a.Patient == "margaret" {
				d = a.Detail
			}
		}
		switch {
		case d == "":
			t.Errorf("%s %s: no break-glass alert naming margaret", x.m, x.p)
		case x.granted && !strings.HasPrefix(d, "break-glass: "):
			t.Errorf("%s %s stored a grant; alert reads %q", x.m, x.p, d)
		case !x.granted && strings.HasPrefix(d, "break-glass: "):
			t.Errorf("%s %s stored no grant; alert reads %q", x.m, x.p, d)
		}
	}
}

// TestReview32cSoundIGExplainRestrictedVariants: the IG officer's
// $explain of another record carrying Marg's NHS number, of Jane whose
// care team names Marg (a member), and by HEAD, each raises the restricted-patient alert
// (7c2da94).
func TestReview32cSoundIGExplainRestrictedVariants(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedRestricted(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/r32c-hosp-marg", `{"resourceType":"Patient","id":"r32c-hosp-marg","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}]}`},
		[2]string{"/fhir/CareTeam/r32c-jane-names-marg", `{"resourceType":"CareTeam","id":"r32c-jane-names-marg","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RHX"}},{"member":{"reference":"Patient/marg"}}]}`},
	)
	for _, q := range []struct{ sub, method, path, want string }{
		{"r32c-ig-x1", "GET", "/fhir/Patient/r32c-hosp-marg/$explain?role=district-nurse&org=RCX&sector=nhs", ""},
		{"r32c-ig-x2", "GET", "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs", "marg"},
		{"r32c-ig-x3", "HEAD", "/fhir/Patient/marg/$explain?role=district-nurse&org=RCX&sector=nhs", "marg"},
		{"r32c-ig-x4", "GET", "/fhir/Patient/marg/$explain?role=hospital-clinician&org=RZZ&sector=nhs&break-glass=EMERGENCY:%20unconscious%20in%20ED%20now", "marg"},
	} {
		ig := e.token("ig-officer", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = q.sub })
		r := e.do(q.method, q.path, ig, "")
		if r.status != 200 {
			t.Errorf("%s %s: %d %.200s", q.method, q.path, r.status, r.body)
			continue
		}
		var got []string
		for _, a := range r32cAlerts(t, e) {
			if a.Sub == q.sub && a.Code == "restricted-patient" {
				got = append(got, a.Patient)
			}
		}
		t.Logf("%s %s: restricted-patient alerts %v", q.method, q.path, got)
		if len(got) == 0 || q.want != "" && !slices.Contains(got, q.want) {
			t.Errorf("%s %s: restricted-patient alerts %v, want one naming %q", q.method, q.path, got, q.want)
		}
	}
}

// TestReview32cSoundKnownUserBreakGlassRefusedBeforeHandler: a known
// user's break-glass in a write refused for its size (413) or media type
// (415) is a break-glass alert naming the person the path names.
func TestReview32cSoundKnownUserBreakGlassRefusedBeforeHandler(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedCouple(t, e)
	big := `{"resourceType":"Patient","id":"margaret","name":[{"family":"` + strings.Repeat("X", 70<<10) + `"}]}`
	for _, q := range []struct{ sub, ctype, body string }{
		{"r32c-413", "application/fhir+json", big},
		{"r32c-415", "text/plain", `{"resourceType":"Patient","id":"margaret"}`},
	} {
		tok := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = q.sub })
		r := e.do("PUT", "/fhir/Patient/margaret", tok, q.body, "X-Break-Glass", r32cBG, "Content-Type", q.ctype)
		t.Logf("%s: %d", q.sub, r.status)
	}
	als := r32cAlerts(t, e)
	for _, sub := range []string{"r32c-413", "r32c-415"} {
		ok := false
		for _, a := range als {
			if a.Kind == "break-glass" && a.Sub == sub && a.Patient == "margaret" && strings.Contains(a.Detail, "break-glass refused") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no 'break-glass refused' alert naming margaret", sub)
		}
	}
}
