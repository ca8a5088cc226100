package consent

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Break-glass reason categories (the lawful bases SPEC §5 names).
const (
	BGConsent        = "CONSENT"         // the patient's express consent
	BGLegal          = "LEGAL"           // a legal requirement (court order, statute)
	BGEmergency      = "EMERGENCY"       // overriding public interest: an emergency
	BGPublicInterest = "PUBLIC-INTEREST" // overriding public interest: other (e.g. safeguarding)
)

// MaxBreakGlassReason bounds the X-Break-Glass header.
const MaxBreakGlassReason = 500

// BreakGlassReason is a parsed X-Break-Glass header.
type BreakGlassReason struct {
	Category string // one of the BG* constants
	Text     string // the free text, trimmed
}

// ParseBreakGlass reads an X-Break-Glass header of the form
//
//	CATEGORY: free text
//
// where CATEGORY is CONSENT, LEGAL, EMERGENCY or PUBLIC-INTEREST (any case)
// and the free text has at least minText characters (Policy.
// BreakGlassMinReason; at least 1; format characters such as zero-width
// spaces do not count). Control and bidirectional control characters and
// headers longer than MaxBreakGlassReason are refused, so the reason is
// safe to log and shows as written.
// Example: "EMERGENCY: unconscious in ED, no history available".
func ParseBreakGlass(s string, minText int) (BreakGlassReason, error) {
	if minText < 1 {
		minText = 1
	}
	if len(s) > MaxBreakGlassReason {
		return BreakGlassReason{}, fmt.Errorf("break-glass reason longer than %d bytes", MaxBreakGlassReason)
	}
	if !utf8.ValidString(s) {
		return BreakGlassReason{}, fmt.Errorf("break-glass reason is not UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			// (a line or paragraph separator too, as the README says of a
			// token's sub and name: review 106b)
			return BreakGlassReason{}, fmt.Errorf("break-glass reason contains control characters or line separators")
		}
		if unicode.Is(unicode.Bidi_Control, r) {
			// An override (U+202E) reorders how IG's reports show the
			// reason and what follows it (review 9d).
			return BreakGlassReason{}, fmt.Errorf("break-glass reason contains bidirectional control characters (U+%04X): write it as plain text", r)
		}
	}
	cat, text, ok := strings.Cut(s, ":")
	if !ok {
		return BreakGlassReason{}, fmt.Errorf("break-glass reason must be \"CATEGORY: text\" with CATEGORY one of CONSENT, LEGAL, EMERGENCY, PUBLIC-INTEREST")
	}
	cat = strings.ToUpper(strings.TrimSpace(cat))
	switch cat {
	case BGConsent, BGLegal, BGEmergency, BGPublicInterest:
	default:
		return BreakGlassReason{}, fmt.Errorf("break-glass category %q: must be CONSENT, LEGAL, EMERGENCY or PUBLIC-INTEREST", cat)
	}
	text = strings.TrimSpace(text)
	if n := visibleRunes(text); n < minText {
		return BreakGlassReason{}, fmt.Errorf("break-glass reason text has %d characters: at least %d are required", n, minText)
	}
	return BreakGlassReason{Category: cat, Text: text}, nil
}

// visibleRunes counts the characters of s that show: not format
// characters (zero-width spaces, joiners, byte order marks), which made
// the minimum length of a reason IG is shown as empty (review 9d), nor the
// other characters Unicode says to draw as nothing (Hangul fillers,
// variation selectors) or that draw blank (the Braille blank): review
// 22b, twelve of them after "EMERGENCY: " opened a record with a reason
// IG saw as empty. A run of spaces of any width counts as one, and of
// the combining marks on a letter only the first (review 51d: "a", twelve
// spaces and "b", or "e" and twelve accents drawn as one letter, opened a
// record; review 53d: counting no space and no mark refused "chest pain"
// and short reasons in Hindi, Bengali and Thai, whose vowel signs are
// marks).
func visibleRunes(s string) int {
	n := 0
	prevSpace, prevMark := false, false
	for _, r := range s {
		if unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) || r == '\u2800' ||
			unicode.In(r, unicode.Co, unicode.Noncharacter_Code_Point) || r == '\uFFFD' || r == '\uFFFC' {
			// (and what states nothing: private-use and noncharacter
			// code points, the replacement and object replacement
			// characters — review 106b: twelve of them were a reason; a
			// code point Go's tables, Unicode 15.0, do not know counts: a
			// letter assigned since, review 107a)
			continue
		}
		space := unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)
		mark := unicode.In(r, unicode.Mn, unicode.Me)
		if mark && prevSpace {
			continue // part of the space's run (review 54b: " ́" ×11 counted 11)
		}
		if !(space && prevSpace) && !(mark && prevMark) {
			n++
		}
		prevSpace, prevMark = space, mark
	}
	return n
}
