package api

import (
	"bytes"
	"encoding/json"
)

// eachObject calls fn with every JSON object in a decoded document, an
// object before what it holds; fn returns false to leave the object's
// members alone, and a member named skip is never entered.
func eachObject(v any, skip string, fn func(map[string]any) bool) {
	switch x := v.(type) {
	case map[string]any:
		if !fn(x) {
			return
		}
		for k, e := range x {
			if k != skip {
				eachObject(e, skip, fn)
			}
		}
	case []any:
		for _, e := range x {
			eachObject(e, skip, fn)
		}
	}
}

// rewriteMapRefs applies to a decoded resource the replacements
// fhir.Resource.WithReferences made in its bytes.
func rewriteMapRefs(v any, changed map[string]string) {
	eachObject(v, "", func(m map[string]any) bool {
		if s, ok := m["reference"].(string); ok {
			if to, ok := changed[s]; ok {
				m["reference"] = to
			}
		}
		return true
	})
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
