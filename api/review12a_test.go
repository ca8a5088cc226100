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
