package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// rewriteRefs returns raw with the string value of every "reference" member
// replaced by fn's answer, leaving every other byte as it was. fn returns
// ("", nil) to keep a value.
func rewriteRefs(raw []byte, fn func(ref string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		object bool
		key    bool // next string token in this object is a key
		name   string
	}
	var stack []frame
	var out bytes.Buffer
	last := 0
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, frame{object: true, key: true})
			case '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.key {
				top.name = t
				top.key = false
				continue
			}
			if top != nil && top.object && top.name == "reference" {
				repl, err := fn(t)
				if err != nil {
					return nil, err
				}
				if repl != "" && repl != t {
					end := int(dec.InputOffset())
					q := bytes.IndexByte(raw[before:end], '"')
					if q < 0 {
						return nil, fmt.Errorf("reference value at offset %d not found", before)
					}
					out.Write(raw[last : before+q])
					enc, _ := json.Marshal(repl)
					out.Write(enc)
					last = end
				}
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
	if last == 0 {
		return raw, nil
	}
	out.Write(raw[last:])
	return out.Bytes(), nil
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
