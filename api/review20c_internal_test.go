package api

import "testing"

// TestReview20cSchemeAutolinkVariants: variants of review 20c's custom
// scheme autolinks, in a markdown table cell and a heading, with the
// scheme in upper case, and which stay as written (a phone number, a mail
// address, text that is no autolink: '%' or a character reference in a
// scheme, which CommonMark does not render as a link). Passed when first
// written, after the fix; it would fail if the url reader stopped reading
// a custom scheme's path, or began masking what names no item.
func TestReview20cSchemeAutolinkVariants(t *testing.T) {
	// The release masks the targets it decided withheld, as found: each
	// is decided by the path after its scheme (urnPath), which names the
	// diagnosis in any case.
	mask := map[string]bool{}
	for _, target := range []string{"x-carex:Condition/hiv", "WEB+APP:Condition/hiv", "X-CAREX:CONDITION/hiv"} {
		mask[target] = true
		if p := urnPath(target); urlType(p) != "Condition" {
			t.Errorf("urnPath(%q) = %q, naming %q", target, p, urlType(p))
		}
	}
	for in, want := range map[string]string{
		"| result | <x-carex:Condition/hiv> |":            "| result | <#(masked)> |",
		"# See <WEB+APP:Condition/hiv>\n\ntext":           "# See <#(masked)>\n\ntext",
		"see <X-CAREX:CONDITION/hiv> now":                 "see <#(masked)> now",
		"ring <tel:+441632960001> or <mailto:gp@nhs.net>": "ring <tel:+441632960001> or <mailto:gp@nhs.net>",
		"ratio <a:b> and <x%2Dcarex:Condition/diabetes>":  "ratio <a:b> and <x%2Dcarex:Condition/diabetes>",
	} {
		got, _ := replaceMarkdownLinks(in, mask)
		if got != want {
			t.Errorf("replaceMarkdownLinks(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{"x-carex:Condition/hiv", "web+app:app:Binary/hivbin", "URN:X:Condition/hiv"} {
		if !namesRecord(s) {
			t.Errorf("namesRecord(%q) = false: a whole string so written would go out as stored", s)
		}
	}
	for _, s := range []string{"mailto:gp@nhs.net", "tel:+441632960001", "a:b", "urn:uuid:0b8b6d43-2d2c-4bd5-a1c4-1b6f3f1d3c9a"} {
		if namesRecord(s) {
			t.Errorf("namesRecord(%q) = true: it names no item", s)
		}
	}
}
