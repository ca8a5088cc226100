package fhir

import "testing"

// TestReview18bWithLinksInNarrative: WithLinks replaces an entry's fullUrl
// in a narrative's href and src attributes too (FHIR's transaction rules),
// however quoted, and nothing else of the narrative: its text naming the
// urn, a data-src attribute and another urn stay. It failed when first
// written (the narrative was left as written).
func TestReview18bWithLinksInNarrative(t *testing.T) {
	raw := []byte(`{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">urn:uuid:b <a href=\"urn:uuid:b\">x</a><img SRC='urn:uuid:b' data-src=\"urn:uuid:b\"/><a href=urn:uuid:b>y</a><a href=\"urn:uuid:c\">&amp;</a></div>"},"status":"final","code":{"text":"x"}}`)
	r, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := string(r.WithLinks(nil, map[string]string{"urn:uuid:b": "Binary/2"}))
	want := `{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">urn:uuid:b <a href=\"Binary/2\">x</a><img SRC='Binary/2' data-src=\"urn:uuid:b\"/><a href=Binary/2>y</a><a href=\"urn:uuid:c\">&amp;</a></div>"},"status":"final","code":{"text":"x"}}`
	if got != want {
		t.Errorf("WithLinks:\n got %s\nwant %s", got, want)
	}
}

// mayHoldLinkEachLetter is MayHoldLink as review 18e wrote it, trying
// every link attribute at each letter: the reference the faster scan
// must agree with.
func mayHoldLinkEachLetter(s string) bool {
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
		case 'u':
			if i+4 <= len(s) && s[i+1]|0x20 == 'r' && s[i+2]|0x20 == 'l' && s[i+3] == '(' {
				return true
			}
		}
		for _, a := range linkAttrs {
			if i+len(a) <= len(s) && equalFoldASCII(s[i:i+len(a)], a) && equalsFollows(s, i+len(a)) {
				return true
			}
		}
	}
	return false
}

// FuzzMayHoldLinkAgrees: MayHoldLink, keyed on '=' and '(', passes every
// document the letter-by-letter scan does (a miss would leave a link
// unmasked), and no other.
func FuzzMayHoldLinkAgrees(f *testing.F) {
	for _, s := range []string{
		`<div>plain text</div>`, `<a HREF="x">`, `<img SRCSET = "a 1x">`, `<object data\n=x>`, `<object DATA\\n = x>`,
		`<p style="background:URL('Binary/b')">`, `<q cite=x>`, `<svg><use xlink:href="#a"/></svg>`, `data=`, `poster  =`,
		`{"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Encounter (procedure)</div>"}`, `url (`, `xdata\\\\n=`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := MayHoldLink(s), mayHoldLinkEachLetter(s); got != want {
			t.Errorf("MayHoldLink(%q) = %v, the letter-by-letter scan says %v", s, got, want)
		}
	})
}
