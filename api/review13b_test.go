package api_test

import (
	"html"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/carex-project/carex/api/auth"
)

// hiddenRunes13b lists the characters of s that do not show as written in
// a printed report: control characters other than the line feed that ends
// a text report's lines, bidirectional controls (U+202E reorders what
// follows it) and the line and paragraph separators.
func hiddenRunes13b(s string) []rune {
	var out []rune
	for _, r := range s {
		if r != '\n' && unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			out = append(out, r)
		}
	}
	return out
}

// TestReview13bPrintableReportShowsRequestTextAsWritten: review 12a
// refused tokens whose sub or name hold control or bidirectional control
// characters, because the printable IG reports (_format=text or html)
// showed them as written and a carriage return, an escape sequence or a
// right-to-left override rewrote or reordered the row. The request's path
// is printed in the same row (the Action column, and the Patient column
// when the path names one) and any user chooses it: a GP asking for
// /fhir/Patient/x%0D...%E2%80%AE had a carriage return and a U+202E
// override printed into the report of their own activity (the text copy
// replaced tabs and line feeds alone; the HTML copy nothing), so the row
// showed another user's name at its start in a terminal, or its columns
// reversed in a browser. Every cell now shows such a character as
// [U+XXXX].
func TestReview13bPrintableReportShowsRequestTextAsWritten(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	path := "/fhir/Patient/x%0D2026-12-01%2009:00:00%20%20Dr%20Innocent%20(innocent)%1B[K%E2%80%AEen%E2%80%A8aj"
	if r := e.do("GET", path, gp, ""); r.status != 404 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, f := range []string{"text", "html"} {
		r := e.do("GET", "/fhir/AuditEvent/$user-activity?agent=gp-user&_format="+f, ig, "")
		if r.status != 200 {
			t.Fatalf("%s report: %d %s", f, r.status, r.body)
		}
		if h := hiddenRunes13b(r.body); len(h) > 0 {
			t.Errorf("printable (%s) report holds characters that do not show as written: %q\n%q", f, string(h), r.body)
		}
		body := r.body
		if f == "html" {
			body = html.UnescapeString(body)
		}
		for _, want := range []string{"[U+000D]", "[U+001B]", "[U+202E]", "[U+2028]", "Dr Innocent"} {
			if !strings.Contains(body, want) {
				t.Errorf("printable (%s) report does not show %s: %q", f, want, r.body)
			}
		}
	}
}

// TestReview13bPurposeClaimIsVisibleText: review 12a refused a token
// whose sub or name holds control or bidirectional control characters,
// because the access log and IG's reports show the user as written. The
// purpose claim is shown beside them (the Purpose column, AuditEvent's
// purposeOfUse) and was taken as any text: a token saying
// "MARKETING\rTREAT" was refused as a purpose not served but logged with
// the carriage return, so the JSON and FHIR copies of the entry read
// TREAT wherever a viewer honours it, and "TREAT\u202e..." reordered what
// followed. A line separator (U+2028) in sub, name or purpose was taken
// too, though editors break the line there. Such tokens are now refused
// (401), logged as failed logins naming no one.
func TestReview13bPurposeClaimIsVisibleText(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for name, mod := range map[string]func(*auth.DevClaims){
		"purpose with a carriage return":    func(c *auth.DevClaims) { c.Purpose = "MARKETING\rTREAT" },
		"purpose with a right-to-left mark": func(c *auth.DevClaims) { c.Purpose = "TREAT\u202eTEKRAM" },
		"purpose with an escape":            func(c *auth.DevClaims) { c.Purpose = "TREAT\x1b[2K" },
		"purpose with a line separator":     func(c *auth.DevClaims) { c.Purpose = "TREAT\u2028COC" },
		"name with a line separator":        func(c *auth.DevClaims) { c.Name = "Dr Mallory\u2028Dr Innocent" },
		"name with a paragraph separator":   func(c *auth.DevClaims) { c.Name = "Dr Mallory\u2029Dr Innocent" },
		"sub with a line separator":         func(c *auth.DevClaims) { c.Sub = "mallory\u2028innocent" },
	} {
		tok := e.token("gp", "nhs", "A81001", mod)
		r := e.do("GET", "/fhir/Patient/jane", tok, "")
		if r.status != 401 {
			t.Errorf("%s: %d %.200s, want 401", name, r.status, r.body)
			continue
		}
		if x := e.lastEntry(t); x.Status != 401 || x.Principal != nil {
			t.Errorf("%s: logged status %d with user %+v, want a failed login naming no one", name, x.Status, x.Principal)
		}
	}
	// Purposes the policy does not serve are still refused by it (403),
	// and logged with the user.
	tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	if r := e.do("GET", "/fhir/Patient/jane", tok, ""); r.status != 403 {
		t.Errorf("purpose HMARKT: %d, want 403", r.status)
	}
	if x := e.lastEntry(t); x.Principal == nil || x.Principal.Purpose != "HMARKT" {
		t.Errorf("purpose HMARKT logged as %+v", x.Principal)
	}
}

// TestReview13bRefusedLoginNamesThePatientSearchedFor: review 12a made a
// request refused with 401 (no, forged or expired token) name the person
// its path names, so that IG's $who-accessed?patient=jane lists attempts
// on Jane's record with tokens that do not work. A search names its
// person in the query instead, and the same search with a working token
// is logged as Jane's: GET /fhir/Condition?patient=jane,
// /fhir/Observation?subject=Patient/jane, /fhir/Patient?_id=jane and
// /fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919
// with a stolen, expired token named no one (and kept no NHS number), so
// someone trying Jane's record that way went unseen where IG looks.
func TestReview13bRefusedLoginNamesThePatientSearchedFor(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	expired := e.expiredToken()
	for _, c := range []struct{ path, patient, nhs string }{
		{"/fhir/Condition?patient=jane", "jane", ""},
		{"/fhir/Condition?patient=Patient/jane&_count=5", "jane", ""},
		{"/fhir/Observation?subject=Patient/jane", "jane", ""},
		{"/fhir/Patient?_id=jane", "jane", ""},
		{"/fhir/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|943 476 5919"), "jane", "9434765919"},
		{"/fhir/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990000018"), "", "9990000018"}, // no one has it
	} {
		r := e.do("GET", c.path, expired, "")
		x := e.lastEntry(t)
		if r.status != 401 || x.Status != 401 || x.Principal != nil {
			t.Fatalf("%s: %d, logged %d with user %+v", c.path, r.status, x.Status, x.Principal)
		}
		if x.Patient != c.patient || x.NHSNumber != c.nhs {
			t.Errorf("%s with an expired token: logged patient %q (NHS %q), want %q (NHS %q)", c.path, x.Patient, x.NHSNumber, c.patient, c.nhs)
		}
	}
	// Several people, or none: no one is named.
	for _, p := range []string{"/fhir/Condition?patient=jane,bob", "/fhir/Condition?code=44054006", "/fhir/Condition?patient=jane&patient=bob"} {
		e.do("GET", p, expired, "")
		if x := e.lastEntry(t); x.Patient != "" {
			t.Errorf("%s: logged patient %q, want none", p, x.Patient)
		}
	}
}
