package fhir

import (
	"bytes"
	"testing"
	"unsafe"
)

// The byte scan MayHoldAutolink as it was before review 20c, which copied
// a document holding an escaped backslash or slash (bytes.ReplaceAll) and
// scanned the copy: the reference FuzzMayHoldAutolinkAgreesWithReplacing
// holds the scan that steps over those escapes to, kept verbatim.

func eachAutolinkBefore20c(s string, raw bool, fn func(start, end int)) {
	bare, angle := &autolinkEnds, &angleEnds
	if raw {
		bare, angle = &rawAutolinkEnds, &rawAngleEnds
	}
	last := 0 // where the previous url ended: one url is reported once
	// Only a ':' or a "www."'s '.' may mark one: found with IndexByte,
	// which passes over the rest of a document far faster than a loop.
	// Each is looked for again only once passed: a document with many of
	// one and none of the other would be read to its end at each.
	c, d := nextByte(s, 0, ':'), nextByte(s, 0, '.')
	for i := 0; i < len(s); {
		if c < i {
			c = nextByte(s, i, ':')
		}
		if d < i {
			d = nextByte(s, i, '.')
		}
		p := min(c, d)
		if p == len(s) {
			return
		}
		i = p + 1
		start := -1
		switch {
		case s[p] == '.':
			if p-3 >= last && s[p-3]|0x20 == 'w' && s[p-2]|0x20 == 'w' && s[p-1]|0x20 == 'w' && (p == 3 || !schemeByte(s[p-4]) || raw && jsonEscapeAt(s, p-5)) {
				start = p - 3
			}
		case p+2 < len(s) && s[p+1] == '/' && s[p+2] == '/':
			for start = p; start > last && schemeByte(s[start-1]); start-- {
			}
			if start == p {
				start = -1
			}
		default:
			if j := angleScheme(s, p); j > last {
				start = j
			}
		}
		if start < 0 {
			continue
		}
		ends := bare
		if start > 0 && s[start-1] == '<' {
			ends = angle // CommonMark's autolink runs to its '>', brackets and all: <http://[::1]/…>
		}
		end := p
		for end < len(s) && !ends[s[end]] {
			end++
		}
		i = end
		for end > start && autolinkTrailing[s[end-1]] {
			end--
		}
		last = i
		if end > start {
			fn(start, end)
		}
	}
}

func mayHoldAutolinkBefore20c(b []byte) bool {
	if bytes.Contains(b, []byte(`\\`)) {
		b = bytes.ReplaceAll(b, []byte(`\\`), []byte("/")) // the text's backslash, a '/' to a browser (review 19c)
	}
	if bytes.Contains(b, []byte(`\/`)) {
		b = bytes.ReplaceAll(b, []byte(`\/`), []byte("/")) // an escaped slash, as some encoders write every one
	}
	if len(b) == 0 {
		return false
	}
	raw := unsafe.String(&b[0], len(b)) // read only, while b is
	found := false
	eachAutolinkBefore20c(raw, true, func(i, j int) {
		u := LinkRead(raw[i:j])
		// A whole string, between its quotes, but for one holding what a
		// reader does not see; a quote written \" is the text's own (every
		// escaped backslash is a '/' by now), and a url after it is inside
		// the text (review 19c: `letter at \"…/Binary/hivbin"` was passed over).
		if found || u == raw[i:j] && i > 0 && raw[i-1] == '"' && (i < 2 || raw[i-2] != '\\') && j < len(raw) && raw[j] == '"' {
			return
		}
		found = MayNameItem(u, false)
	})
	return found
}

// FuzzMayHoldAutolinkAgreesWithReplacing: MayHoldAutolink, which steps
// over escaped backslashes and slashes (review 20c), answers as the scan
// of the document with each replaced by '/' did (mayHoldAutolinkBefore20c):
// a document it passed over that the other read would go out with a url
// in its free text unmasked.
func FuzzMayHoldAutolinkAgreesWithReplacing(f *testing.F) {
	for _, s := range []string{
		`{"text":"see https:\/\/h\/fhir\/Condition\/c now"}`,
		`{"text":"see https://h/fhir\\Condition\\c now"}`,
		`{"text":"see https:\\\\h\\fhir\\Condition\\c now"}`,
		`{"url":"https://h/fhir\\Condition\\c"}`,
		`{"text":"x\"https://h/Binary/b\" y"}`,
		`{"text":"x\\"https://h/Binary/b"}`,
		`{"a":"x:\\nwww.h.org/fhir/Condition/c y","b":"x:\nwww.h.org/fhir/Condition/c y"}`,
		`{"a":"<urn:x:Condition\/c> and <x-carex:Binary\\b>"}`,
		`{"a":"https:/\\h/Condition/c\\\/d\\\\\"e"}`,
		`{"a":"\\\\\\www.h.org/Condition/c"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := mayHoldAutolinkBefore20c(bytes.Clone(b))
		if got := MayHoldAutolink(b); got != want {
			t.Errorf("MayHoldAutolink(%q) = %v; replacing the escapes first, %v", b, got, want)
		}
	})
}
