package fhir

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds JSON nesting; real FHIR resources are nowhere near it.
const maxDepth = 256

// pathSeg is one step of a JSON path: an object key, or an array index when idx >= 0.
type pathSeg struct {
	key string
	idx int
}

func formatPath(root string, segs []pathSeg) string {
	var b strings.Builder
	b.WriteString(root)
	for _, s := range segs {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		} else {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// parser is a small strict JSON decoder producing the same values as
// encoding/json with UseNumber (map[string]any, []any, string, json.Number,
// bool, nil), but which also reports duplicate object keys (with their path)
// instead of silently keeping the last one.
type parser struct {
	data  []byte
	pos   int
	depth int
	path  []pathSeg
	dups  [][]pathSeg
	refs  []Ref
	uris  []Ref
	divs  []Ref
}

// decodeJSON decodes one JSON value filling the whole of data. Invalid UTF-8 is
// rejected. Duplicate keys are returned as paths (the first value is kept).
func decodeJSON(data []byte) (any, [][]pathSeg, error) {
	v, p, err := decodeParser(data)
	if err != nil {
		return nil, nil, err
	}
	return v, p.dups, nil
}

// decodeParser is decodeJSON returning the parser, with what it noted on
// the way (duplicate keys, references).
func decodeParser(data []byte) (any, *parser, error) {
	if !utf8.Valid(data) {
		return nil, nil, malformed("invalid UTF-8")
	}
	p := &parser{data: data}
	v, err := p.value()
	if err != nil {
		return nil, nil, err
	}
	p.ws()
	if p.pos != len(p.data) {
		return nil, nil, p.errf("unexpected data after top-level value")
	}
	return v, p, nil
}

func (p *parser) errf(format string, args ...any) error {
	return malformed(fmt.Sprintf("invalid JSON at offset %d: ", p.pos) + fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (any, error) {
	p.ws()
	if p.pos >= len(p.data) {
		return nil, p.errf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errf("unexpected character %q", c)
	}
}

func (p *parser) lit(s string) error {
	if len(p.data)-p.pos < len(s) || string(p.data[p.pos:p.pos+len(s)]) != s {
		return p.errf("invalid literal")
	}
	p.pos += len(s)
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (any, error) {
	start := p.pos
	if err := p.skipNumber(); err != nil {
		return nil, err
	}
	return json.Number(p.data[start:p.pos]), nil
}

// skipNumber moves past a number, checking its syntax.
func (p *parser) skipNumber() error {
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(d) || !isDigit(d[p.pos]) {
		return p.errf("invalid number")
	}
	if d[p.pos] == '0' {
		p.pos++
	} else {
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || !isDigit(d[p.pos]) {
			return p.errf("invalid number")
		}
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(d) || !isDigit(d[p.pos]) {
			return p.errf("invalid number")
		}
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	}
	return nil
}

func (p *parser) str() (string, error) {
	d := p.data
	start := p.pos // at the opening quote
	i := start + 1
	for i < len(d) {
		c := d[i]
		if c == '"' {
			p.pos = i + 1
			return string(d[start+1 : i]), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.pos = i
			return "", p.errf("control character in string")
		}
		i++
	}
	// Slow path: escapes. Find the end, then let encoding/json unescape it.
	for i < len(d) {
		c := d[i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			p.pos = i
			return "", p.errf("control character in string")
		}
		if c == '\\' {
			i++
			if i >= len(d) {
				break
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d) {
					p.pos = i
					return "", p.errf("invalid \\u escape")
				}
				for _, h := range d[i+1 : i+5] {
					if !(isDigit(h) || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')) {
						p.pos = i
						return "", p.errf("invalid \\u escape")
					}
				}
				i += 4
			default:
				p.pos = i
				return "", p.errf("invalid escape")
			}
		}
		i++
	}
	if i >= len(d) {
		p.pos = i
		return "", p.errf("unterminated string")
	}
	s := unescape(d[start+1 : i])
	p.pos = i + 1
	return s, nil
}

// unescape decodes the body of a JSON string already checked by str():
// every escape is well-formed. Unpaired surrogates become U+FFFD, as in
// encoding/json.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch b[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(b[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(b[i+3:i+7])); r2 != utf8.RuneError {
						out = utf8.AppendRune(out, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, b[i])
		}
	}
	return string(out)
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

func (p *parser) object() (any, error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errf("nesting too deep")
	}
	p.pos++ // '{'
	m := make(map[string]any)
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return m, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errf("expected object key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errf("expected ':'")
		}
		p.pos++
		p.path = append(p.path, pathSeg{key: k, idx: -1})
		p.ws()
		start := p.pos
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			switch {
			case k == "reference":
				p.refs = append(p.refs, Ref{Value: s, Start: start, End: p.pos})
			case IsLinkKey(k):
				p.uris = append(p.uris, Ref{Value: s, Start: start, End: p.pos})
			case k == "div":
				p.divs = append(p.divs, Ref{Value: s, Start: start, End: p.pos})
			}
		}
		if _, dup := m[k]; dup {
			if len(p.dups) < 10 {
				p.dups = append(p.dups, append([]pathSeg(nil), p.path...))
			}
		} else {
			m[k] = v
		}
		p.path = p.path[:len(p.path)-1]
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.errf("unterminated object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return m, nil
		default:
			return nil, p.errf("expected ',' or '}'")
		}
	}
}

func (p *parser) array() (any, error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errf("nesting too deep")
	}
	p.pos++ // '['
	a := make([]any, 0, 4)
	// A list of uris (instantiatesCanonical) links as its member would.
	linkList := len(p.path) > 0 && p.path[len(p.path)-1].idx == -1 && IsLinkKey(p.path[len(p.path)-1].key)
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return a, nil
	}
	for i := 0; ; i++ {
		p.path = append(p.path, pathSeg{idx: i})
		p.ws()
		start := p.pos
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok && linkList {
			p.uris = append(p.uris, Ref{Value: s, Start: start, End: p.pos})
		}
		p.path = p.path[:len(p.path)-1]
		a = append(a, v)
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.errf("unterminated array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return a, nil
		default:
			return nil, p.errf("expected ',' or ']'")
		}
	}
}

// skipValue moves past one value, checking its syntax as value does but
// building nothing: scanObject needs only where its members' values end
// (building them was 800 allocations for a 10 KB Patient, on every write).
func (p *parser) skipValue() error {
	p.ws()
	if p.pos >= len(p.data) {
		return p.errf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		return p.skipContainer(c)
	case c == '"':
		return p.skipStr()
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.skipNumber()
	default:
		return p.errf("unexpected character %q", c)
	}
}

// skipStr moves past a string: the fast path of str, without the copy; a
// string with escapes goes through str, which checks them.
func (p *parser) skipStr() error {
	d := p.data
	for i := p.pos + 1; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			p.pos = i + 1
			return nil
		case c == '\\':
			_, err := p.str()
			return err
		case c < 0x20:
			p.pos = i
			return p.errf("control character in string")
		}
	}
	_, err := p.str() // unterminated: str says so
	return err
}

// skipContainer moves past an object (open '{') or array ('['), with the
// errors object and array give.
func (p *parser) skipContainer(open byte) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf("nesting too deep")
	}
	p.pos++
	closer, what := byte('}'), "object"
	if open == '[' {
		closer, what = ']', "array"
	}
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == closer {
		p.pos++
		p.depth--
		return nil
	}
	for {
		if open == '{' {
			p.ws()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return p.errf("expected object key")
			}
			if err := p.skipStr(); err != nil {
				return err
			}
			p.ws()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return p.errf("expected ':'")
			}
			p.pos++
		}
		if err := p.skipValue(); err != nil {
			return err
		}
		p.ws()
		if p.pos >= len(p.data) {
			return p.errf("unterminated %s", what)
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case closer:
			p.pos++
			p.depth--
			return nil
		default:
			return p.errf("expected ',' or '%c'", closer)
		}
	}
}

// member is one member of a JSON object, located by byte offsets.
type member struct {
	key                string
	valStart, valEnd   int // value span
	prevEnd, nextStart int // end of the previous token (value or '{') and start of the next (',' or '}')
}

// scanObject scans the object starting at data[start] (after whitespace) and
// returns its members' spans, plus the offsets of '{' and '}'.
func scanObject(data []byte, start int) (members []member, open, close int, err error) {
	p := &parser{data: data, pos: start}
	p.ws()
	if p.pos >= len(data) || data[p.pos] != '{' {
		return nil, 0, 0, malformed("not a JSON object")
	}
	open = p.pos
	p.pos++
	prevEnd := p.pos
	p.ws()
	if p.pos < len(data) && data[p.pos] == '}' {
		return nil, open, p.pos, nil
	}
	for {
		p.ws()
		if p.pos >= len(data) || data[p.pos] != '"' {
			return nil, 0, 0, p.errf("expected object key")
		}
		k, err := p.str()
		if err != nil {
			return nil, 0, 0, err
		}
		p.ws()
		if p.pos >= len(data) || data[p.pos] != ':' {
			return nil, 0, 0, p.errf("expected ':'")
		}
		p.pos++
		p.ws()
		vs := p.pos
		if err := p.skipValue(); err != nil {
			return nil, 0, 0, err
		}
		ve := p.pos
		p.ws()
		members = append(members, member{key: k, valStart: vs, valEnd: ve, prevEnd: prevEnd, nextStart: p.pos})
		prevEnd = ve
		if p.pos >= len(data) {
			return nil, 0, 0, p.errf("unterminated object")
		}
		switch data[p.pos] {
		case ',':
			p.pos++
		case '}':
			return members, open, p.pos, nil
		default:
			return nil, 0, 0, p.errf("expected ',' or '}'")
		}
	}
}

// DecodeKeepingFirst decodes one JSON value filling the whole of data as
// carex's parser reads a resource: of two members with the same key, the
// first is kept (encoding/json keeps the last). dups reports whether any
// key was repeated, so that a caller that decoded the same data the other
// way can read both.
func DecodeKeepingFirst(data []byte) (v any, dups bool, err error) {
	v, d, err := decodeJSON(data)
	return v, len(d) > 0, err
}
