package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// rewriteRefs returns raw with the string value of every "reference" member
// replaced by fn's answer, leaving every other byte as it was. fn returns
// ("", nil) to keep a value. raw must hold one JSON value (the resource,
// already parsed); a hand-written scan, since encoding/json's Decoder.Token
// builds a syntax error for every value it ends.
func rewriteRefs(raw []byte, fn func(ref string) (string, error)) ([]byte, error) {
	s := &refScanner{data: raw, fn: fn}
	s.ws()
	if err := s.value(0); err != nil {
		return nil, err
	}
	s.ws()
	if s.pos != len(raw) {
		return nil, s.errf("data after the resource")
	}
	if s.out == nil {
		return raw, nil
	}
	return append(s.out, raw[s.last:]...), nil
}

// refScanner walks one JSON value for rewriteRefs. out is nil until the
// first replacement; last is where the bytes not yet copied start.
type refScanner struct {
	data      []byte
	pos, last int
	out       []byte
	fn        func(ref string) (string, error)
}

// maxRefDepth bounds nesting (the resource parser's limit is lower).
const maxRefDepth = 1000

func (s *refScanner) errf(msg string) error {
	return fmt.Errorf("rewriting references: %s at byte %d", msg, s.pos)
}

func (s *refScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value scans the value at pos (after whitespace).
func (s *refScanner) value(depth int) error {
	if depth > maxRefDepth {
		return s.errf("nested too deeply")
	}
	if s.pos >= len(s.data) {
		return s.errf("unexpected end")
	}
	switch s.data[s.pos] {
	case '{':
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			return nil
		}
		for {
			s.ws()
			if s.pos >= len(s.data) || s.data[s.pos] != '"' {
				return s.errf("expected a member name")
			}
			isRef, err := s.key()
			if err != nil {
				return err
			}
			s.ws()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return s.errf("expected ':'")
			}
			s.pos++
			s.ws()
			if isRef && s.pos < len(s.data) && s.data[s.pos] == '"' {
				if err := s.reference(); err != nil {
					return err
				}
			} else if err := s.value(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.pos >= len(s.data) {
				return s.errf("unexpected end")
			}
			switch s.data[s.pos] {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return nil
			default:
				return s.errf("expected ',' or '}'")
			}
		}
	case '[':
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			return nil
		}
		for {
			s.ws()
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.pos >= len(s.data) {
				return s.errf("unexpected end")
			}
			switch s.data[s.pos] {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return nil
			default:
				return s.errf("expected ',' or ']'")
			}
		}
	case '"':
		_, err := s.str()
		return err
	default:
		// A number or a literal: the resource was parsed strictly before,
		// so its bytes need no second check here.
		start := s.pos
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				if s.pos == start {
					return s.errf("expected a value")
				}
				return nil
			}
			s.pos++
		}
		if s.pos == start {
			return s.errf("expected a value")
		}
		return nil
	}
}

// reference hands the string at pos to fn and splices in its answer.
func (s *refScanner) reference() error {
	start := s.pos
	ref, err := s.str()
	if err != nil {
		return err
	}
	repl, err := s.fn(ref)
	if err != nil {
		return err
	}
	if repl != "" && repl != ref {
		s.out = append(s.out, s.data[s.last:start]...)
		s.out = appendJSONString(s.out, repl)
		s.last = s.pos
	}
	return nil
}

// key scans the member name at pos: is it "reference"? Names are compared
// as bytes, without a string each, unless escaped.
func (s *refScanner) key() (bool, error) {
	start := s.pos
	body, plain, err := s.skipStr()
	if err != nil || plain {
		return string(body) == "reference", err
	}
	v, err := s.decode(start)
	return v == "reference", err
}

// str scans the string at pos and returns its value, decoded as
// encoding/json decodes it (escapes; invalid UTF-8 as U+FFFD).
func (s *refScanner) str() (string, error) {
	start := s.pos
	body, plain, err := s.skipStr()
	if err != nil || plain {
		return string(body), err
	}
	return s.decode(start)
}

// skipStr moves past the string at pos; plain: body is its value as it
// stands (no escapes, valid UTF-8).
func (s *refScanner) skipStr() (body []byte, plain bool, err error) {
	start := s.pos
	s.pos++
	escaped := false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			body = s.data[start+1 : s.pos-1]
			return body, !escaped && utf8.Valid(body), nil
		case c == '\\':
			escaped = true
			s.pos += 2
		case c < 0x20:
			return nil, false, s.errf("control character in a string")
		default:
			s.pos++
		}
	}
	return nil, false, s.errf("unterminated string")
}

// decode decodes the string from start to pos with encoding/json.
func (s *refScanner) decode(start int) (string, error) {
	var v string
	if err := json.Unmarshal(s.data[start:s.pos], &v); err != nil {
		return "", fmt.Errorf("rewriting references: a string at byte %d: %w", start, err)
	}
	return v, nil
}

// eachMapRef calls fn with every reference of a decoded resource (a string
// member named "reference", at any depth: the ones rewriteRefs visits, as
// the parser refuses duplicate keys), members in key order so that the
// first error is the same every time. Finding the references here is
// cheap; rewriteRefs then runs only for a resource that has one to change.
func eachMapRef(v any, fn func(ref string) error) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if s, ok := x[k].(string); ok && k == "reference" {
				if err := fn(s); err != nil {
					return err
				}
				continue
			}
			if err := eachMapRef(x[k], fn); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := eachMapRef(e, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// rewriteMapRefs applies the same replacements to a decoded resource.
func rewriteMapRefs(v any, changed map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "reference" {
				if to, ok := changed[s]; ok {
					x[k] = to
				}
				continue
			}
			rewriteMapRefs(val, changed)
		}
	case []any:
		for _, e := range x {
			rewriteMapRefs(e, changed)
		}
	}
}

// setTopLevel returns raw with the top-level member key's value replaced by
// value (JSON), every other byte unchanged; ok is false if key is absent.
func setTopLevel(raw []byte, key string, value []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return raw, false
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
				expectKey = d == '{' && depth == 1
			default:
				depth--
				expectKey = depth == 1
			}
			continue
		}
		if depth != 1 || !expectKey {
			expectKey = depth == 1
			continue
		}
		expectKey = false
		name, _ := tok.(string)
		if name != key {
			// Skip the member's value, whatever its shape.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return raw, false
			}
			expectKey = true
			continue
		}
		start := int(dec.InputOffset())
		var old json.RawMessage
		if err := dec.Decode(&old); err != nil {
			return raw, false
		}
		end := int(dec.InputOffset())
		i := bytes.Index(raw[start:end], old)
		if i < 0 {
			return raw, false
		}
		out := append([]byte{}, raw[:start+i]...)
		out = append(out, value...)
		return append(out, raw[start+i+len(old):]...), true
	}
}
