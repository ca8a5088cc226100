package fhir

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a string of a resource may name: the cheap test, shared by the
// release (which masks a string naming an item the reader may not see)
// and the search index (which must not match on such a string for that
// reader), so that the two agree on which strings they are.

// MayNameItem: s may name an item, as urlType reads it. It holds a
// percent-encoding, or a path separator (or a query) and a segment naming
// a resource type in any case (a record's type; or any with definitions),
// between the characters urlType splits at or trims (space, a query's
// = & and : which searchTargets reads values and chains between, the
// delimiters of refParts, and for safety any byte of a character beyond
// ASCII). Most strings of a
// resource (codes, dates, text, a code system's url) are passed over here,
// unread and with nothing allocated.
func MayNameItem[S ~string | ~[]byte](s S, definitions bool) bool {
	if !HasSeparator(s) {
		return false
	}
	var buf [40]byte
	start, wide := 0, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch c := s[i]; {
			case c == '%':
				return true
			case segmentEnds[c]:
				wide = wide || c >= utf8.RuneSelf
			default:
				continue
			}
		}
		seg := s[start:i]
		start = i + 1
		if i+1 < len(s) && s[i] == '\\' && strings.IndexByte("tnrbf", s[i+1]) >= 0 {
			// A JSON escape read as written (forEachItemString): \tBinary
			// is a tab and Binary; its letter ends the segment too.
			start = i + 2
		}
		if len(seg) < 4 || len(seg) > len(buf) || typeInitials[len(seg)]&(1<<(seg[0]|0x20-'a')) == 0 {
			continue
		}
		letters := true
		for j := 0; j < len(seg) && letters; j++ {
			buf[j] = seg[j] | 0x20
			letters = 'a' <= buf[j] && buf[j] <= 'z'
		}
		if t, ok := lowerTypes[string(buf[:len(seg)])]; letters && ok && (definitions || !definitionTypes[t]) {
			return true
		}
	}
	if wide {
		// Read as a viewer shows it, without the characters it does not
		// show: "Condi<soft hyphen>tion/hiv" is Condition/hiv (review 20c:
		// a whole string so written went out as written). Only a string
		// holding a byte beyond ASCII, rare, is read twice.
		if u := Unshown(string(s)); len(u) != len(s) {
			return MayNameItem(u, definitions)
		}
	}
	return false
}

// Unshown is s without the characters a viewer does not show
// (linkDroppedRune's beyond ASCII: a soft hyphen, a zero-width space or
// joiner, a word joiner, a variation selector), as a reader sees a string
// that is one reference or url; s itself, unless it holds any (a string of
// ASCII alone is returned at once). Tabs and newlines, which a viewer
// shows as space, stay: such a string is free text.
func Unshown(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) || !strings.ContainsFunc(s[i:], unshownRune) {
		return s
	}
	return withoutRunes(s, unshownRune)
}

// withoutRunes is s without the runes drop reports.
func withoutRunes(s string, drop func(rune) bool) string {
	return strings.Map(func(r rune) rune {
		if drop(r) {
			return -1
		}
		return r
	}, s)
}

// unshownRune: r is one of linkDroppedRune's beyond ASCII.
func unshownRune(r rune) bool { return r >= utf8.RuneSelf && linkDroppedRune(r) }

// HasSeparator: s holds a path separator, a query or a percent-encoding,
// which every way of naming an item needs.
func HasSeparator[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', '\\', '?', '%':
			return true
		}
	}
	return false
}

// typeInitials has, for each length, a bit for each letter an R4 resource
// type of that length starts with (in any case): most segments of a url
// are passed over without a lookup.
var typeInitials = func() (t [41]uint32) {
	for typ := range resourceModels { // not ResourceTypes(): filled by an init, after this runs
		if len(typ) < len(t) {
			t[len(typ)] |= 1 << (typ[0] | 0x20 - 'a')
		}
	}
	return t
}()

const RefDelimiters = ",;<>\"'()[]{}"

// segmentEnds are the bytes MayNameItem ends a segment at.
var segmentEnds = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' ' || c >= 0x80
	}
	for _, c := range []byte("/\\?#|=&:!" + RefDelimiters) { // '!': a hashbang, #!Condition/hiv
		t[c] = true
	}
	return t
}()

// lowerTypes maps each R4 resource type, in lower case, to its name.
var lowerTypes = func() map[string]string {
	m := map[string]string{}
	for t := range resourceModels {
		m[strings.ToLower(t)] = t
	}
	return m
}()

// definitionTypes are the R4 types whose items are definitions (their url
// is their canonical name), not anyone's record: a url naming one is not
// decided as an item (namesRecord).
var definitionTypes = map[string]bool{
	"StructureDefinition": true, "ValueSet": true, "CodeSystem": true, "ConceptMap": true, "NamingSystem": true,
	"SearchParameter": true, "OperationDefinition": true, "CapabilityStatement": true, "ImplementationGuide": true,
	"CompartmentDefinition": true, "StructureMap": true, "GraphDefinition": true, "MessageDefinition": true,
	"TerminologyCapabilities": true, "ActivityDefinition": true, "PlanDefinition": true, "Library": true,
	"Measure": true, "Questionnaire": true, "EventDefinition": true, "ChargeItemDefinition": true,
	"ResearchDefinition": true, "ResearchElementDefinition": true, "Evidence": true, "EvidenceVariable": true,
	"EffectEvidenceSynthesis": true, "RiskEvidenceSynthesis": true, "ExampleScenario": true, "TestScript": true,
}

// TypeAnyCase is the R4 resource type s names in any case (condition,
// CONDITION: Condition), "" when none.
func TypeAnyCase(s string) string { return lowerTypes[strings.ToLower(s)] }

// IsDefinitionType: typ is one of definitionTypes.
func IsDefinitionType(typ string) bool { return definitionTypes[typ] }

// StringMayNameItem: a string value that is not a reference or a uri may
// name a record's item, as the release reads it: MayNameItem, with no
// whitespace inside (free text is left as written). The release decides
// such a string as a reference and masks it where the item is withheld;
// a search must not match it for a reader who may see it masked.
func StringMayNameItem[S ~string | ~[]byte](s S) bool {
	if !MayNameItem(s, false) {
		return false
	}
	t := strings.TrimSpace(string(s))
	return !strings.ContainsFunc(t, unicode.IsSpace)
}

// IndexedMayNameItem: a string or token index value that may go out
// masked, whole or in part, where the item it names is withheld:
// StringMayNameItem, or free text holding a link the release masks inside
// the text that may name an item (a markdown inline link "](" or link
// definition "]:", review 18b; an HTML link attribute, review 18e; a url,
// EachAutolink), read as the release reads a link's target (LinkRead:
// character references decoded, and what a url parser drops or a viewer
// does not show taken out: "Condi&#x09;tion" is Condition). A search must
// not match or sort by it for a reader who may see it masked.
func IndexedMayNameItem(s string) bool {
	if StringMayNameItem(s) {
		return true
	}
	if (strings.Contains(s, "](") || strings.Contains(s, "]:") || MayHoldHTMLLink(s)) && textMayNameItem(s) {
		return true
	}
	named := false
	EachAutolink(s, func(i, j int) { named = named || textMayNameItem(s[i:j]) })
	return named
}

// textMayNameItem: MayNameItem of s as written or as a link's target is
// read (LinkRead; IndexedMayNameItem). The index holds its values lower
// cased, and a named character reference's case matters ("&Tab;" is a
// tab, "&tab;" nothing): with every reference taken out too, whatever it
// was, the test errs towards hiding.
func textMayNameItem(s string) bool {
	if MayNameItem(s, false) || MayNameItem(LinkRead(s), false) {
		return true
	}
	return strings.IndexByte(s, '&') >= 0 && MayNameItem(LinkRead(withoutCharRefs(s)), false)
}

// LinkRead is s, a link's target or a url in free text, as a reader
// follows and sees it: its character references decoded ("Condi&#x74;ion",
// "Condi&shy;tion"), then LinkDropped.
func LinkRead(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return LinkDropped(s)
}

// withoutCharRefs is s with each character reference ("&name;", "&#…;")
// taken out.
func withoutCharRefs(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + 1
		for j < len(s) && j-i <= 40 && (s[j] == '#' || 'a' <= s[j]|0x20 && s[j]|0x20 <= 'z' || '0' <= s[j] && s[j] <= '9') {
			j++
		}
		b.WriteString(s[:i])
		if j < len(s) && s[j] == ';' && j > i+1 {
			s = s[j+1:]
		} else {
			b.WriteByte('&')
			s = s[i+1:]
		}
	}
}

// LinkDropped is s, a link's target or a url in free text, without what a
// reader does not see of it: the tabs and newlines a url parser drops
// wherever they are in a url (WHATWG), and Unicode's format characters, a
// viewer showing none (a soft hyphen, a zero-width space or joiner, a
// byte-order mark: "Condi<soft hyphen>tion/hiv" reads Condition/hiv;
// review 19c, such a url in free text went out as written). s itself,
// unless it holds any.
func LinkDropped(s string) string {
	found := false
	for i := 0; i < len(s) && !found; i++ {
		switch c := s[i]; {
		case c == '\t' || c == '\n' || c == '\r':
			found = true
		case c >= utf8.RuneSelf:
			found = strings.ContainsFunc(s[i:], linkDroppedRune)
			i = len(s)
		}
	}
	if !found {
		return s
	}
	return withoutRunes(s, linkDroppedRune)
}

// linkDroppedRune: r is one LinkDropped takes out: a tab or newline, or
// one of Unicode's default ignorable code points, which a viewer shows as
// nothing (format characters; variation selectors, a combining grapheme
// joiner, Hangul fillers: "Condi<U+FE0F>tion/hiv" reads Condition/hiv).
func linkDroppedRune(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= utf8.RuneSelf &&
		(unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r))
}

// MayHoldHTMLLink: s, a string other than a narrative, may hold an HTML
// link attribute after its first '<' (MayHoldLink): markdown is
// GitHub-flavoured, which renders raw HTML (review 18e: 'See <a
// href="Condition/hiv">the diagnosis</a>' in a note went out as written,
// where the same link in the narrative is masked).
func MayHoldHTMLLink[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '<' {
			return MayHoldLink(s[i:])
		}
	}
	return false
}
