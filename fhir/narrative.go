package fhir

import (
	"regexp"
	"slices"
	"strings"
)

// narrativeLink matches an attribute in a narrative's XHTML
// (Narrative.div) whose value a browser follows, loads or resolves as a url
// (linkAttrs: href and src, an image's srcset, an object's data, a video's
// poster, a quotation's cite, …, with or without a namespace prefix such as
// xlink:href), quoted either way or, as a browser reads HTML, not at all
// (an unquoted value runs to a space or '>', '=' and quotes included), its
// name in any case after a space, a slash (<img/src=…>) or the quote ending
// the attribute before it (<a title="x"href=…>, which HTML parsers read as
// two attributes), spaces allowed around '=' (carex does not parse the
// XHTML: whatever a browser would follow counts; review 18e: the forms
// beyond href and src after a space went out as written); groups: what
// precedes the value, the value in double quotes, in single quotes,
// unquoted.
var narrativeLink = regexp.MustCompile(`(?i)([\s/"'](?:[a-z][a-z0-9._-]*:)?(?:` + strings.Join(linkAttrs, "|") + `)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>][^\s>]*))`)

// linkAttrs are the HTML, SVG and XML attributes whose value is a url (or,
// srcset, a list of them), longest first where one begins another.
var linkAttrs = []string{"href", "srcset", "src", "lowsrc", "dynsrc", "data", "poster", "cite", "longdesc",
	"background", "formaction", "action", "usemap", "icon", "manifest", "codebase", "archive", "classid", "profile", "ping", "base"}

// cssURL matches a CSS url() in a narrative (a style attribute's
// background: a browser loads it as it does an img's src; review 18e), the
// same groups as narrativeLink.
var cssURL = regexp.MustCompile(`(?i)(\burl\(\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'()]+))`)

// linkSpans are where the link values of div lie (its link attributes'
// and CSS urls'), in order, none overlapping another.
func linkSpans(div string) [][2]int {
	var out [][2]int
	for _, m := range narrativeLink.FindAllStringSubmatchIndex(div, -1) {
		s, e := linkValue(m)
		out = append(out, [2]int{s, e})
	}
	if !hasCSSURL(div) {
		return out
	}
	for _, m := range cssURL.FindAllStringSubmatchIndex(div, -1) {
		s, e := linkValue(m)
		out = append(out, [2]int{s, e})
	}
	slices.SortFunc(out, func(a, b [2]int) int { return a[0] - b[0] })
	kept := out[:0]
	for _, sp := range out {
		if len(kept) == 0 || sp[0] >= kept[len(kept)-1][1] {
			kept = append(kept, sp)
		}
	}
	return kept
}

// hasCSSURL: s holds "url(" in any case.
func hasCSSURL[S ~string | ~[]byte](s S) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 == 'u' && s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'l' && s[i+3] == '(' {
			return true
		}
	}
	return false
}

// EachNarrativeLink calls fn with each link value of div, a narrative's
// XHTML (a link attribute's, narrativeLink, or a CSS url's), as written
// (entities not decoded).
func EachNarrativeLink(div string, fn func(string)) {
	if !MayHoldLink(div) { // most are passed over without the regular expression
		return
	}
	for _, sp := range linkSpans(div) {
		fn(div[sp[0]:sp[1]])
	}
}

// ReplaceNarrativeLinks is div, a narrative's XHTML, with each link value
// (EachNarrativeLink's) for which to reports a replacement replaced by it
// (which must need no escaping in an attribute: a Type/id, a url), and
// whether any was. Every other byte stays as written.
func ReplaceNarrativeLinks(div string, to func(string) (string, bool)) (string, bool) {
	if !MayHoldLink(div) { // most are passed over without the regular expression
		return div, false
	}
	return ReplaceSpans(div, linkSpans(div), to)
}

// ReplaceSpans is s with each of spans (in order, apart) for which to
// reports a replacement replaced by it, and whether any was.
func ReplaceSpans(s string, spans [][2]int, to func(string) (string, bool)) (string, bool) {
	var b strings.Builder
	last, changed := 0, false
	for _, sp := range spans {
		start, end := sp[0], sp[1]
		repl, ok := to(s[start:end])
		if !ok || repl == s[start:end] {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(repl)
		last, changed = end, true
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[last:])
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

// MayHoldLink: s, a narrative or a whole JSON document as written, holds
// "href" or "src" in any case, or another of linkAttrs followed by '='
// (spaces, and JSON's escaped ones, between), or a CSS "url(", as any
// narrative link does
// (an attribute's name is not read through entities; a JSON escape other
// than a space's is not looked through here). Most documents are passed
// over without decoding their narrative.
func MayHoldLink[S ~string | ~[]byte](s S) bool {
	// Keyed on the rarer bytes: a link attribute is followed by '=', a
	// CSS url by '('. Trying every attribute at each letter that may begin
	// one cost 13 us on a 1 KB document without a link.
	for i := 0; i < len(s); i++ {
		if !linkBytes[s[i]] {
			continue
		}
		switch c := s[i]; c | 0x20 {
		case 'h':
			if i+4 <= len(s) && s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'e' && s[i+3]|0x20 == 'f' {
				return true
			}
		case 's':
			if i+3 <= len(s) && s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'c' {
				return true
			}
		default:
			switch c {
			case '=':
				if linkAttrBefore(s, i) {
					return true
				}
			case '(':
				if i >= 3 && equalFoldASCII(s[i-3:i], "url") {
					return true // a CSS url()
				}
			}
		}
	}
	return false
}

// linkBytes are the bytes MayHoldLink looks at: the first of "href" and
// "src" in either case, '=' and '('.
var linkBytes = func() (t [256]bool) {
	for _, c := range []byte("hHsS=(") {
		t[c] = true
	}
	return t
}()

// linkAttrBefore: one of linkAttrs ends before the '=' at e, spaces
// written as such or as JSON escapes (\n, \t, \r, \f) between, as
// equalsFollows reads them forwards.
func linkAttrBefore[S ~string | ~[]byte](s S, e int) bool {
	j := e
	for j > 0 {
		switch c := s[j-1]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			j--
			continue
		case j >= 2 && s[j-2] == '\\' && strings.IndexByte("ntrf", c) >= 0:
			j -= 2
			continue
		}
		break
	}
	for _, a := range linkAttrs {
		if j >= len(a) && equalFoldASCII(s[j-len(a):j], a) && equalsFollows(s, j) {
			return true
		}
	}
	return false
}

// equalFoldASCII: b is a, a lower-case ASCII word, in any case.
func equalFoldASCII[S ~string | ~[]byte](b S, a string) bool {
	for j := 0; j < len(a); j++ {
		if b[j]|0x20 != a[j] {
			return false
		}
	}
	return true
}

// equalsFollows: s holds '=' at i, after spaces written as such or as JSON
// escapes (\n, \t, \r, \f).
func equalsFollows[S ~string | ~[]byte](s S, i int) bool {
	for i < len(s) {
		switch s[i] {
		case '=':
			return true
		case ' ', '\t', '\n', '\r', '\f':
			i++
		case '\\':
			if i+1 < len(s) && strings.IndexByte("ntrf", s[i+1]) >= 0 {
				i += 2
				continue
			}
			return false
		default:
			return false
		}
	}
	return false
}
