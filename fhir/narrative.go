package fhir

import (
	"regexp"
	"strings"
)

// narrativeLink matches an href or src attribute in a narrative's XHTML
// (Narrative.div), quoted either way or, as a browser reads HTML, not at
// all, its name in any case after a space or a slash (<img/src=…>), spaces
// allowed around '=' (carex does not parse the XHTML: whatever a browser
// would follow counts); groups: what precedes the value, the value in
// double quotes, in single quotes, unquoted.
var narrativeLink = regexp.MustCompile(`(?i)([\s/](?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'<>=` + "`" + `]+))`)

// EachNarrativeLink calls fn with each href or src attribute value of
// div, a narrative's XHTML, as written (entities not decoded).
func EachNarrativeLink(div string, fn func(string)) {
	if !mayLink(div) {
		return
	}
	for _, m := range narrativeLink.FindAllStringSubmatchIndex(div, -1) {
		s, e := linkValue(m)
		fn(div[s:e])
	}
}

// ReplaceNarrativeLinks is div, a narrative's XHTML, with each href or src
// attribute value for which to reports a replacement replaced by it (which
// must need no escaping in an attribute: a Type/id, a url), and whether
// any was. Every other byte stays as written.
func ReplaceNarrativeLinks(div string, to func(string) (string, bool)) (string, bool) {
	if !mayLink(div) {
		return div, false
	}
	var b strings.Builder
	last := 0
	for _, m := range narrativeLink.FindAllStringSubmatchIndex(div, -1) {
		s, e := linkValue(m)
		repl, ok := to(div[s:e])
		if !ok || repl == div[s:e] {
			continue
		}
		b.WriteString(div[last:s])
		b.WriteString(repl)
		last = e
	}
	if last == 0 {
		return div, false
	}
	b.WriteString(div[last:])
	return b.String(), true
}

// linkValue is where the value of the attribute narrativeLink matched (m)
// lies.
func linkValue(m []int) (start, end int) {
	for g := 2; g <= 4; g++ {
		if m[2*g] >= 0 {
			return m[2*g], m[2*g+1]
		}
	}
	return m[2], m[2] // not reached: one of the groups matches
}

// mayLink: div may hold an href or src attribute, in any case (most
// narratives are passed over without the regular expression).
func mayLink(div string) bool { return MayHoldLink(div) }

// MayHoldLink: s, a narrative or a whole JSON document as written, holds
// "href" or "src" in any case, as any narrative link does (an attribute's
// name is not read through entities; a JSON escape is not looked through
// here). Most documents are passed over without decoding their narrative.
func MayHoldLink[S ~string | ~[]byte](s S) bool {
	for i := 0; i+3 <= len(s); i++ {
		switch s[i] | 0x20 {
		case 'h':
			if i+4 <= len(s) && s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'e' && s[i+3]|0x20 == 'f' {
				return true
			}
		case 's':
			if s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'c' {
				return true
			}
		}
	}
	return false
}
