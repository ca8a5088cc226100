package api_test

import (
	"html"
	"strings"
	"testing"
	"unicode"
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
