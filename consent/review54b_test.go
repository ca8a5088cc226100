package consent

import (
	"strings"
	"testing"
)

// Review 54b: 878ee25's visibleRunes (a run of spaces counts once, only
// the first combining mark on a letter counts), with the policy's default
// minimum of 10 characters.

// TestReview54bBreakGlassSpaceMarkAlternation: a mark after a space does
// not count, but the next space, following a mark, starts a new "run" and
// counts again: "a" then eleven (space, combining acute accent) pairs,
// drawn as "a ´ ´ ´ ´ ´ ´ ´ ´ ´ ´ ´" — a reason that says nothing (review
// 51d's "a, twelve spaces and b") — counts 12 and is accepted. At
// 878ee25^ it counted 1 (no space, no mark) and was refused. Variants
// with an enclosing mark (U+20DD) and a low line (U+0332) alike.
func TestReview54bBreakGlassSpaceMarkAlternation(t *testing.T) {
	for name, pad := range map[string]string{
		"space+acute":       strings.Repeat(" \u0301", 11),
		"nbsp+acute":        strings.Repeat("\u00a0\u0301", 11),
		"ideographic+grave": strings.Repeat("\u3000\u0300", 11),
		"space+lowline":     strings.Repeat(" \u0332", 11),
		"space+circle(Me)":  strings.Repeat(" \u20dd", 11),
		"space+cgj+acute":   strings.Repeat(" \u034f\u0301", 11),
	} {
		s := "EMERGENCY: a" + pad
		if _, err := ParseBreakGlass(s, 10); err == nil {
			t.Errorf("%s: a reason of one letter padded with (space, mark) pairs is accepted (visibleRunes=%d): %q", name, visibleRunes(strings.TrimSpace(s[len("EMERGENCY:"):])), s)
		}
	}
}

// TestReview54bSoundBreakGlassPadding: padding tricks still refused —
// alternating space kinds, marks separated by ZWJ/ZWNJ/CGJ, marks after a
// space, a letter with a stack of marks, Hangul fillers — and genuine
// short reasons accepted. Spacing marks (Mc), emoji modifiers and runs of
// full stops are visible and counted (logged, not asserted).
func TestReview54bSoundBreakGlassPadding(t *testing.T) {
	refuse := map[string]string{
		"alternating spaces":  "a" + strings.Repeat(" \u3000\u2003\u00a0\u2009", 6) + "b",
		"marks+zwj":           "e" + strings.Repeat("\u200d\u0301\u200c\u0300", 12),
		"marks after a space": "ab " + strings.Repeat("\u0301\u0302\u0303", 6) + "c",
		"stack":               "e" + strings.Repeat("\u0301", 20) + "x",
		"hangul fillers":      "a" + strings.Repeat("\u3164\u115f\u1160\uffa0", 5),
		"braille+space":       "a" + strings.Repeat("\u2800 ", 12),
	}
	for name, text := range refuse {
		if _, err := ParseBreakGlass("EMERGENCY: "+text, 10); err == nil {
			t.Errorf("%s: accepted (visibleRunes=%d): %q", name, visibleRunes(text), text)
		}
	}
	accept := []string{"chest pain", "सीने में दर्द", "বুকে ব্যথা", "เจ็บหน้าอก", "unconscious", "overdose??"}
	for _, text := range accept {
		if _, err := ParseBreakGlass("EMERGENCY: "+text, 10); err != nil {
			t.Errorf("%q refused: %v", text, err)
		}
	}
	for name, text := range map[string]string{
		"Mc visarga x12": "\u0915" + strings.Repeat("\u0903", 12),
		"emoji modifier": strings.Repeat("\U0001F3FB", 12),
		"full stops":     "..........",
		"hangul L x12+V": strings.Repeat("\u1100", 12) + "\u1161",
	} {
		_, err := ParseBreakGlass("EMERGENCY: "+text, 10)
		t.Logf("%s: visibleRunes=%d accepted=%v", name, visibleRunes(text), err == nil)
	}
}

// TestReview54bSoundPolicyErrorLines: 878ee25's policy errors name the
// line defining the role (ig-officer without audit-role, system without
// own-org-only), and, for HFEA derived but not legally restricted, a line
// of the label directives.
func TestReview54bSoundPolicyErrorLines(t *testing.T) {
	lineOf := func(text, prefix string) int {
		for i, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, prefix) {
				return i + 1
			}
		}
		return -1
	}
	for _, tc := range []struct{ name, text, prefix string }{
		{"ig-officer", r52dWithout(t, "", "audit-role ") + "audit-role auditor\nrole auditor demographics consent\n", "role ig-officer "},
		{"system", r52dWithout(t, "", "own-org-only "), "role system "},
	} {
		_, err := LoadPolicy(strings.NewReader(tc.text))
		pe, ok := err.(*PolicyError)
		if !ok {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if want := lineOf(tc.text, tc.prefix); pe.Line != want {
			t.Errorf("%s: error at line %d, the role is defined at %d: %v", tc.name, pe.Line, want, err)
		}
	}
	text := r52dWithout(t, "legally-restricted GDIS\n", "legally-restricted ")
	_, err := LoadPolicy(strings.NewReader(text))
	pe, ok := err.(*PolicyError)
	if !ok || pe.Line <= 0 {
		t.Errorf("HFEA not legally restricted: %v", err)
	} else {
		t.Logf("HFEA not legally restricted: %v (line: %q)", err, strings.Split(text, "\n")[pe.Line-1])
	}
}
