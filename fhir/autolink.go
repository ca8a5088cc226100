package fhir

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// A url written in free text is a link too: a markdown viewer renders
// CommonMark's autolink "<https://…>" and GitHub's bare "https://…" or
// "www.…" as one, showing and following it, as it does an inline link.

// EachAutolink calls fn with the start and end of each url in s that a
// markdown viewer may render as a link: a scheme followed by "://", or
// "www.", or a CommonMark autolink's inside (<scheme:…>), running to a
// space, '<', '>', a quote, a backquote or a bracket, less the trailing punctuation
// GitHub leaves out of a bare url (?!.,:;*_~ and closing parentheses). It
// reads more as links than a viewer would, which only widens what is
// decided. A backslash does not end a url: a browser reads one in an
// http(s) url as '/' (review 19c: "BASE/fhir\Condition\hiv" in free text,
// one link to a viewer, went out as written).
func EachAutolink(s string, fn func(start, end int)) {
	eachAutolink(s, false, fn)
}

// eachAutolink is EachAutolink for free text, or for a JSON document read
// as written (raw: a url ends at a JSON escape's backslash too, and an
// escape's letter before "www." is not a scheme's).
func eachAutolink(s string, raw bool, fn func(start, end int)) {
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
			if p-3 >= last && s[p-3]|0x20 == 'w' && s[p-2]|0x20 == 'w' && s[p-1]|0x20 == 'w' && (p == 3 || !schemeByte(s[p-4]) || raw && jsonEscapeAt(s, p-5) && escapeStarts(s, p-5)) {
				start = p - 3
			}
		case !raw && p+2 < len(s) && s[p+1] == '/' && s[p+2] == '/', raw && twoSlashes(s, p+1):
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
		for end < len(s) {
			if raw && escapedSlash(s, end) {
				end += 2 // "\\" or "\/": a '/' to a browser, not the url's end
				continue
			}
			if ends[s[end]] {
				break
			}
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

// nextByte is where the first b in s at or after i is; len(s) if none.
func nextByte(s string, i int, b byte) int {
	if j := strings.IndexByte(s[i:], b); j >= 0 {
		return i + j
	}
	return len(s)
}

// schemeByte: c may be part of a url's scheme.
func schemeByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '.' || c == '-'
}

// angleScheme is where the scheme ending at the ':' at i begins, when a
// '<' comes before it (a CommonMark autolink, "<urn:x:Condition/hiv>",
// any scheme of 2 to 32 characters); -1 otherwise.
func angleScheme(s string, i int) int {
	j := i
	for j > 0 && i-j < 32 && schemeByte(s[j-1]) {
		j--
	}
	if j > 0 && s[j-1] == '<' && i-j >= 2 {
		return j
	}
	return -1
}

// autolinkEnds are the bytes a url in free text ends at.
var autolinkEnds = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' '
	}
	// '[' and ']': a url in a markdown link's text ends before "](…)",
	// which masking it would otherwise take along (review 19c); no id
	// holds either.
	for _, c := range []byte("<>\"'`[]") {
		t[c] = true
	}
	return t
}()

// angleEnds are the bytes a CommonMark autolink (<scheme:…>) ends at.
var angleEnds = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' '
	}
	t['<'], t['>'] = true, true
	return t
}()

// rawAutolinkEnds and rawAngleEnds are autolinkEnds and angleEnds with a
// JSON string's end and an escape's backslash, for a document read as
// written (MayHoldAutolink, which reads an escaped backslash, the text's
// own, as the '/' a browser reads it as).
var rawAutolinkEnds, rawAngleEnds = func() (a, b [256]bool) {
	a, b = autolinkEnds, angleEnds
	a['\\'], b['\\'], b['"'] = true, true, true
	return a, b
}()

// escapedSlash: a JSON document as written holds, at i, the escape of a
// backslash ("\\", the text's own, which a browser reads as '/') or of a
// slash ("\/", as some encoders write every one); i begins a character.
func escapedSlash(s string, i int) bool {
	return i+1 < len(s) && s[i] == '\\' && (s[i+1] == '\\' || s[i+1] == '/')
}

// twoSlashes: a JSON document as written holds two slashes from i (a
// url's "//" after its scheme's ':'), each written as such or escaped
// (escapedSlash); i begins a character.
func twoSlashes(s string, i int) bool {
	for range 2 {
		switch {
		case i < len(s) && s[i] == '/':
			i++
		case escapedSlash(s, i):
			i += 2
		default:
			return false
		}
	}
	return true
}

// escapeStarts: the backslash at i in a JSON document as written begins
// an escape: an odd number of them run up to it (in "\\n" the second
// ends the escape of a backslash, and 'n' is a letter).
func escapeStarts(s string, i int) bool {
	n := 0
	for ; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// jsonEscapeAt: s holds a JSON escape of a space character at i (\n,
// \t, \r, \b, \f), whose letter is not a scheme's.
func jsonEscapeAt(s string, i int) bool {
	return i >= 0 && s[i] == '\\' && strings.IndexByte("ntrbf", s[i+1]) >= 0
}

// autolinkTrailing are the bytes taken off a url's end.
var autolinkTrailing = func() (t [256]bool) {
	for _, c := range []byte("?!.,:;*_~)") {
		t[c] = true
	}
	return t
}()

// MayHoldAutolink: a JSON document as written may hold a url in free text
// that may name an item (MayNameItem, records only, read as LinkDropped):
// one that is not a whole string, which is decided as a string is, or one
// holding what LinkDropped takes out. Most documents' urls (a
// code system's, a profile's) name no item and are passed over unread.
// An escaped backslash, the text's own, is read as the '/' a browser
// reads it as (review 19c), as is an escaped slash, as some encoders
// write every one: the scan steps over both where it meets them, and
// reads a url holding one decoded (review 20c: it copied every document
// holding one, on every release).
func MayHoldAutolink(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	raw := unsafe.String(&b[0], len(b)) // read only, while b is
	found := false
	eachAutolink(raw, true, func(i, j int) {
		if !found {
			found = autolinkMayNameItem(raw, i, j)
		}
	})
	return found
}

// autolinkMayNameItem: the url at raw[i:j] in a JSON document as written
// (MayHoldAutolink) may name an item, read with its escaped slashes as '/'
// (decoded into a buffer on the stack: no copy of a url, most of them, that
// holds neither a character reference nor what LinkDropped takes out), and
// is not a whole string read as a string is.
func autolinkMayNameItem(raw string, i, j int) bool {
	// A whole string, between its quotes, but for one holding what a
	// reader does not see; a quote after an escaping backslash is the
	// text's own, and a url after it is inside the text (review 19c:
	// `letter at \"…/Binary/hivbin"` was passed over).
	whole := i > 0 && raw[i-1] == '"' && !escapeStarts(raw, i-2) && j < len(raw) && raw[j] == '"'
	url := raw[i:j]
	if strings.IndexByte(url, '\\') < 0 {
		u := LinkRead(url)
		return !(whole && u == url) && MayNameItem(u, false)
	}
	var buf [256]byte
	d := buf[:0]
	plain := true // as LinkRead reads it
	for k := 0; k < len(url); k++ {
		c := url[k]
		if escapedSlash(url, k) {
			c = '/'
			k++
		}
		plain = plain && c != '&' && c != '\t' && c != '\n' && c != '\r' && c < utf8.RuneSelf
		d = append(d, c)
	}
	if plain {
		return !whole && MayNameItem(d, false)
	}
	s := string(d)
	u := LinkRead(s)
	return !(whole && u == s) && MayNameItem(u, false)
}
