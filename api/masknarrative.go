package api

import (
	"strings"

	"github.com/carex-project/carex/fhir"
)

// A narrative (text.div) is free text and goes out as written, but for its
// links: an href or src attribute naming an item stored here says what a
// reference would, and is decided as one (review 18b: <a href="Condition/hiv">
// and <img src="Binary/hivbin"> in a shared encounter's narrative told the
// hospital the withheld items' ids). Where the item is withheld the value
// goes out as maskedNarrativeLink.

// maskedNarrativeLink replaces a narrative link naming a withheld item: a
// fragment naming no contained resource (an id holds no parentheses), so
// the XHTML stays valid with every attribute in place.
const maskedNarrativeLink = "#(masked)"

// linkTarget is v where it may name an item stored here as an
// attachment's url does (namesItemAt's rule for "url"); "" otherwise.
func linkTarget(v string) string {
	if namesItemAt("url", v) {
		return v
	}
	return ""
}

// eachNarrativeLinkTarget calls fn with what a narrative or markdown
// link's value v names as a browser reads it (fhir.LinkRead: entities
// decoded, Condition&#x2F;hiv; what a url parser drops and a viewer does
// not show taken out, Condi&#x09;tion/hiv and Condi&shy;tion/hiv, review
// 19c), or, where it holds spaces, each of its words and their
// comma-separated parts (a srcset's candidates:
// "Binary/hivbin 1x, …"; a url's spaces, which a browser trims or escapes,
// split it too; review 18e). The link goes out masked where any of them is
// withheld.
func eachNarrativeLinkTarget(v string, fn func(string)) {
	v = fhir.LinkRead(v)
	if !strings.ContainsAny(v, " \f") {
		if t := linkTarget(v); t != "" {
			fn(t)
		}
		return
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\f' }) {
		f = strings.TrimRight(f, ",")
		if t := linkTarget(f); t != "" {
			fn(t)
		}
		if strings.IndexByte(f, ',') >= 0 {
			for _, p := range strings.Split(f, ",") {
				if t := linkTarget(p); t != "" {
					fn(t)
				}
			}
		}
	}
}

// forEachNarrativeLink calls fn with each link in a JSON document's
// narratives and free text (markdown and HTML links, urls in the text)
// that may name an item stored here (walkNarrativeLinks).
// A byte scan passes over the documents that hold none, most of them,
// without decoding (a div's attribute quotes are escaped, so reading one
// decodes it); a document with \u escapes is read decoded (maskedRefs).
func forEachNarrativeLink(raw []byte, fn func([]byte)) {
	if fhir.MayHoldHTMLLink(raw) || mayHoldMarkdownLink(raw) || fhir.MayHoldAutolink(raw) {
		// Decoded once, for the divs' links and the free text's.
		walkNarrativeLinks(decodeMap(raw), func(t string) { fn([]byte(t)) })
	}
}

// walkNarrativeLinks is forEachNarrativeLink for a decoded document.
func walkNarrativeLinks(v any, fn func(string)) {
	eachObject(v, "", func(m map[string]any) bool {
		if div, ok := m["div"].(string); ok {
			fhir.EachNarrativeLink(div, func(v string) { eachNarrativeLinkTarget(v, fn) })
		}
		return true
	})
	walkMarkdownLinks(v, fn)
}

// maskNarrativeLinks masks, in m's narrative (m["div"]) and in the links
// of its other strings (maskMarkdownLinks), each link naming an item in
// mask, reporting whether it masked any.
func maskNarrativeLinks(m map[string]any, mask map[string]bool) bool {
	if len(mask) == 0 {
		return false
	}
	md := maskMarkdownLinks(m, mask)
	div, ok := m["div"].(string)
	if !ok {
		return md
	}
	out, changed := fhir.ReplaceNarrativeLinks(div, maskedLinkValue(mask))
	if changed {
		m["div"] = out
	}
	return changed || md
}

// maskedLinkValue is ReplaceNarrativeLinks' replacement masking a link
// value naming an item in mask.
func maskedLinkValue(mask map[string]bool) func(string) (string, bool) {
	return func(v string) (string, bool) {
		masked := false
		eachNarrativeLinkTarget(v, func(t string) { masked = masked || mask[t] })
		return maskedNarrativeLink, masked
	}
}

// maskedLinks counts the links among m's strings written as carex
// releases a masked one (maskNarrativeLinks): a narrative's link
// attributes, and in any other string each maskedNarrativeLink (a
// markdown link's target, an HTML link attribute, a url in the text).
// maskedMarks adds them up with the masked references.
func maskedLinks(m map[string]any) int {
	n := 0
	count := func(k, s string) {
		switch {
		case !strings.Contains(s, maskedNarrativeLink):
		case k == "div":
			fhir.EachNarrativeLink(s, func(v string) {
				if v == maskedNarrativeLink {
					n++
				}
			})
		default:
			n += strings.Count(s, maskedNarrativeLink)
		}
	}
	eachString(m, count)
	return n
}
