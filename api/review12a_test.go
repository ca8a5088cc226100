package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 12a: the user a token names (its sub and name claims) is what
// the access log and IG's reports show as who looked. Any text was taken:
// a name with a carriage return, a line feed, an escape sequence or a
// right-to-left override (U+202E) was accepted and logged as written, so
// that the printable who-accessed report (text, or HTML in a browser)
// showed the row reordered or overwritten — "Dr Mallory\u202e" reads as
// another name, "\r" rewrites the row's start in a terminal — while the
// same characters in a break-glass reason have been refused since review
// 9d. An identity provider that lets its users edit their display name
// (or a misconfigured one) made that every user's choice. A token whose
// sub or name holds control or bidirectional control characters is now
// refused (401) and logged as a failed login; names in other scripts are
// still accepted.
func TestReview12aUserClaimsAreVisibleText(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for name, mod := range map[string]func(*auth.DevClaims){
		"name with a right-to-left override": func(c *auth.DevClaims) { c.Name = "Dr Mallory \u202eyrotsih dekcehc" },
		"name with a carriage return":        func(c *auth.DevClaims) { c.Name = "Dr Mallory\rDr Innocent" },
		"name with a line feed":              func(c *auth.DevClaims) { c.Name = "Dr Mallory\nDr Innocent" },
		"name with an escape sequence":       func(c *auth.DevClaims) { c.Name = "Dr Mallory\x1b[2K" },
		"name with a left-to-right isolate":  func(c *auth.DevClaims) { c.Name = "Dr \u2066Mallory" },
		"sub with a right-to-left override":  func(c *auth.DevClaims) { c.Sub = "mallory\u202e" },
		"sub with a line feed":               func(c *auth.DevClaims) { c.Sub = "mallory\ninnocent" },
		"sub with a NUL":                     func(c *auth.DevClaims) { c.Sub = "mallory\x00" },
	} {
		tok := e.token("gp", "nhs", "A81001", mod)
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if r.status != 401 || strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("%s: %d %.200s, want 401", name, r.status, r.body)
			continue
		}
		if x := e.lastEntry(t); x.Status != 401 || x.Principal != nil {
			t.Errorf("%s: logged status %d with user %+v, want a failed login naming no one", name, x.Status, x.Principal)
		}
	}
	for _, n := range []string{"Dr Siân Ó Briain", "د. أحمد الفارسي", "Dr Zoë O'Neil-Smith"} {
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Name = n })
		if r := e.do("GET", "/fhir/Patient/jane", tok, ""); r.status != 200 {
			t.Errorf("name %q: %d %.200s, want 200", n, r.status, r.body)
		}
		if x := e.lastEntry(t); x.Principal == nil || x.Principal.Name != n {
			t.Errorf("name %q: logged as %+v", n, x.Principal)
		}
	}
}

// Review 12a: a request whose token is refused (none, forged, expired,
// from another issuer) is logged as a failed login, but its entry named
// no patient though the path did: GET /fhir/Patient/jane/$everything
// with a stolen, expired token was not among the accesses IG's
// $who-accessed?patient=jane and AuditEvent?patient=jane list, so
// someone trying Jane's record with tokens that do not work went unseen
// where IG looks for who tried to read her record. The entry now names
// the resource type, id and person the path names (what is known without
// a user), and since 86c6124 the person of the item a path names
// (Condition/diabetes is Jane's); it still names no user.
func TestReview12aRefusedLoginNamesThePatientOfThePath(t *testing.T) {
	e := newEnv(t, withTeeLog9b(t))
	seedShared(t, e)
	good := e.token("gp", "nhs", "A81001")
	forged := good[:strings.LastIndexByte(good, '.')+1] + "AAAA"
	for _, tok := range []struct{ name, token string }{{"no token", ""}, {"expired", e.expiredToken()}, {"forged", forged}} {
		for _, c := range []struct{ path, typ, id string }{
			{"/fhir/Patient/jane/$everything", "Patient", "jane"},
			{"/fhir/Patient/jane", "Patient", "jane"},
			{"/fhir/Patient/jane/_history/1", "Patient", "jane"},
			{"/fhir/Condition/diabetes", "Condition", "diabetes"},
		} {
			r := e.do("GET", c.path, tok.token, "")
			x := e.lastEntry(t)
			if r.status != 401 || x.Status != 401 || x.Principal != nil {
				t.Fatalf("%s %s: %d, logged %d with user %+v", tok.name, c.path, r.status, x.Status, x.Principal)
			}
			const wantPatient = "jane"
			if x.Patient != wantPatient || x.Type != c.typ || x.ID != c.id {
				t.Errorf("%s %s: logged patient %q, resource %s/%s; want patient %q, %s/%s", tok.name, c.path, x.Patient, x.Type, x.ID, wantPatient, c.typ, c.id)
			}
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	if r.status != 200 || strings.Count(r.body, `"status": 401`) != 12 {
		t.Errorf("who-accessed jane lists %d refused logins, want 12: %d %.300s", strings.Count(r.body, `"status": 401`), r.status, r.body)
	}
}

// Review 12a probe (it passed when first written: recorded as sound): an
// ODS code is one organisation whatever its case. Jane's objection to
// sharing with the community trust RCX holds for a token saying rcx or
// Rcx (a consent's actor is read in upper case; carex compares the
// token's org in upper case too), while the trust still sees the care
// plan it recorded itself; and the practice's own data stays its own for
// a token saying a81001.
func TestReview12aOrganisationCodeCaseDoesNotEscapeAnObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-no-rcx", gp, janeConsent("jane-no-rcx", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}`)); r.status != 201 {
		t.Fatalf("seed consent: %d %s", r.status, r.body)
	}
	for _, org := range []string{"RCX", "rcx", "Rcx"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("district-nurse", "nhs", org), "")
		if r.status != 200 || strings.Contains(r.body, "GP-DIABETES") || !strings.Contains(r.body, "TRUST-WOUND-CARE") {
			t.Errorf("district nurse of %s: %d, GP data %v, own care plan %v", org, r.status, strings.Contains(r.body, "GP-DIABETES"), strings.Contains(r.body, "TRUST-WOUND-CARE"))
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "a81001"), "")
	if r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") || !strings.Contains(r.body, "GP-HIV-UNLABELLED") {
		t.Errorf("GP of a81001: %d, want the practice's own data", r.status)
	}
}
