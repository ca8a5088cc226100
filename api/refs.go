package api

import (
	"maps"
	"slices"
	"strconv"

	"github.com/carex-project/carex/fhir"
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

// eachString calls fn with each string value of m, and each string in
// its lists, with its key.
func eachString(m map[string]any, fn func(k, s string)) {
	for k, e := range m {
		switch x := e.(type) {
		case string:
			fn(k, x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					fn(k, s)
				}
			}
		}
	}
}

// replaceStrings replaces each string value of m, and each string in its
// lists, for which to reports a replacement, and reports whether any was.
func replaceStrings(m map[string]any, to func(k, s string) (string, bool)) bool {
	changed := false
	for k, e := range m {
		switch x := e.(type) {
		case string:
			if r, ok := to(k, x); ok {
				m[k], changed = r, true
			}
		case []any:
			for i, e := range x {
				if s, ok := e.(string); ok {
					if r, ok := to(k, s); ok {
						x[i], changed = r, true
					}
				}
			}
		}
	}
	return changed
}

// rewriteMapRefs applies to a decoded resource the replacements
// fhir.Resource.WithLinks made in its bytes: of references (changed) and
// of links (fhir.IsLinkKey), and of links in a narrative's href and src
// attributes.
func rewriteMapRefs(v any, changed, links map[string]string) {
	eachObject(v, "", func(m map[string]any) bool {
		for k, e := range m {
			if l, ok := e.([]any); ok && fhir.IsLinkKey(k) {
				// A list of uris (instantiatesCanonical; review 18d).
				for i, x := range l {
					if s, ok := x.(string); ok {
						if to, ok := links[s]; ok {
							l[i] = to
						}
					}
				}
				continue
			}
			s, ok := e.(string)
			if !ok {
				continue
			}
			if k == "div" {
				if div, ok := fhir.ReplaceNarrativeLinks(s, func(v string) (string, bool) {
					to, ok := links[v]
					return to, ok
				}); ok {
					m[k] = div
				}
				continue
			}
			to, ok := changed[s]
			if k != "reference" {
				to, ok = links[s]
				ok = ok && fhir.IsLinkKey(k)
			}
			if ok {
				m[k] = to
			}
		}
		return true
	})
}

// referencePath is the FHIRPath of the first element of resource r, in
// its keys' order, whose reference is ref (Observation.performer[1]); ""
// when none is. For errors: a reference names where it is (review 81b).
func referencePath(r map[string]any, ref string) string {
	var walk func(v any, path string) string
	walk = func(v any, path string) string {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["reference"].(string); ok && s == ref {
				return path
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if p := walk(x[k], path+"."+k); p != "" {
					return p
				}
			}
		case []any:
			for i, e := range x {
				if p := walk(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
					return p
				}
			}
		}
		return ""
	}
	typ, _ := r["resourceType"].(string)
	return walk(r, typ)
}
