package api

import (
	"bytes"
	"encoding/json"
)

// rewriteMapRefs applies to a decoded resource the replacements
// fhir.Resource.WithReferences made in its bytes.
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
