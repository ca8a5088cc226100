package api

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
