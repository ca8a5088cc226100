package api

import (
	"regexp"
	"strings"

	"github.com/carex-project/carex/fhir"
)

// A markdown note's inline link ("See [the diagnosis](Condition/hiv)") is a
// link, as a narrative's href is, though the note is free text: its target
// naming an item stored here is decided as a reference, and where the item
// is withheld goes out as maskedNarrativeLink, the link's text staying
// (review 18b: such a note told the hospital the withheld items' ids).

// markdownLink matches an inline markdown link's opening "](" and its
// target, or a link reference definition's "]:" and its target (review
// 18e: "[1]: Condition/hiv" under "See [the diagnosis][1]" went out as
// written; its target may be on the next line, and the definition in a
// quoted block: it is matched wherever "]:" is), written plain or between
// angle brackets (group 1).
var markdownLink = regexp.MustCompile(`\](?:\(\s*|:[ \t]*(?:\r?\n[ \t>]*)?)(<[^<>\n]*>|[^\s()<>]+)`)

// mayHoldMarkdownLink: s may hold an inline link or a link definition.
func mayHoldMarkdownLink[S ~string | ~[]byte](s S) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ']' && (s[i+1] == '(' || s[i+1] == ':') {
			return true
		}
	}
	return false
}

// markdownTarget is an inline link's target without its angle brackets.
func markdownTarget(t string) string {
	if strings.HasPrefix(t, "<") {
		return t[1 : len(t)-1]
	}
	return t
}

// eachMarkdownLink calls fn with each link target in free text s naming
// an item stored here (a markdown inline link or link definition, an HTML
// link attribute, a url in the text), read as a narrative link's value is
// (eachNarrativeLinkTarget: "Condi&#x09;tion/hiv" is Condition/hiv).
func eachMarkdownLink(s string, fn func(string)) {
	if fhir.MayHoldHTMLLink(s) {
		fhir.EachNarrativeLink(s, func(v string) { eachNarrativeLinkTarget(v, fn) })
	}
	eachAutolink(s, func(i, j int) { eachNarrativeLinkTarget(s[i:j], fn) })
	if !mayHoldMarkdownLink(s) {
		return
	}
	for _, m := range markdownLink.FindAllStringSubmatch(s, -1) {
		eachNarrativeLinkTarget(markdownTarget(m[1]), fn)
	}
}

// eachAutolink calls fn with where each url in free text s lies
// (fhir.EachAutolink), but for one that is the whole string, which is
// decided and masked as a string (namesItemAt), unless it reads otherwise
// as a link (fhir.LinkRead: a character reference, what a reader does not
// see), which the string's reader does not read through (review 19c: "…/fhir/Condi<soft hyphen>tion/hiv" went
// out as written).
func eachAutolink(s string, fn func(start, end int)) {
	fhir.EachAutolink(s, func(i, j int) {
		if strings.TrimSpace(s) != s[i:j] || fhir.LinkRead(s[i:j]) != s[i:j] {
			fn(i, j)
		}
	})
}

// walkMarkdownLinks calls fn with each link target naming an item in a
// decoded document's free text (eachMarkdownLink) (a narrative's aside: its links are
// its attributes).
func walkMarkdownLinks(v any, fn func(string)) {
	eachObject(v, "", func(m map[string]any) bool {
		eachString(m, func(k, s string) {
			if k != "div" {
				eachMarkdownLink(s, fn)
			}
		})
		return true
	})
}

// replaceMarkdownLinks masks each inline link target of s naming an item
// in mask, each HTML link attribute (fhir.MayHoldHTMLLink) and each url in its
// text (replaceAutolinks).
func replaceMarkdownLinks(s string, mask map[string]bool) (string, bool) {
	html := false
	if fhir.MayHoldHTMLLink(s) {
		s, html = fhir.ReplaceNarrativeLinks(s, maskedLinkValue(mask))
	}
	changed := html
	s, auto := replaceAutolinks(s, mask)
	changed = changed || auto
	if !mayHoldMarkdownLink(s) {
		return s, changed
	}
	out := markdownLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := markdownLink.FindStringSubmatchIndex(m)
		t := m[sub[2]:sub[3]]
		masked := false
		eachNarrativeLinkTarget(markdownTarget(t), func(nt string) { masked = masked || mask[nt] })
		if !masked {
			return m
		}
		changed = true
		repl := maskedNarrativeLink
		if strings.HasPrefix(t, "<") {
			repl = "<" + repl + ">"
		}
		return m[:sub[2]] + repl + m[sub[3]:]
	})
	return out, changed
}

// replaceAutolinks masks each url in free text s (eachAutolink) naming
// an item in mask.
func replaceAutolinks(s string, mask map[string]bool) (string, bool) {
	var spans [][2]int
	eachAutolink(s, func(i, j int) { spans = append(spans, [2]int{i, j}) })
	if spans == nil {
		return s, false
	}
	return fhir.ReplaceSpans(s, spans, maskedLinkValue(mask))
}

// maskMarkdownLinks masks the links in m's free text (replaceMarkdownLinks)
// naming an item in mask, reporting whether it masked any.
func maskMarkdownLinks(m map[string]any, mask map[string]bool) bool {
	return replaceStrings(m, func(k, s string) (string, bool) {
		if k == "div" {
			return s, false
		}
		return replaceMarkdownLinks(s, mask)
	})
}
