package fhir

import (
	"bytes"
	"encoding/json"
)

// Ref is a reference the parser met: the string value of a member named
// "reference" (Reference.reference, at any depth, contained resources
// included) and where that JSON string, quotes and all, lies in Raw.
type Ref struct {
	Value      string
	Start, End int
}

// WithReferences returns Raw with every reference whose value is a key of
// to replaced by to's value, leaving every other byte as it was; Raw itself
// when none is. Raw is never modified, so the result is the same however
// often it is asked for.
func (r *Resource) WithReferences(to map[string]string) []byte {
	return r.WithLinks(to, nil)
}

// WithLinks is WithReferences replacing as well every link (Links) whose
// value is a key of links by its value, and every href or src attribute of
// a narrative (Narratives) whose value is one (FHIR's transaction rules:
// a fullUrl is replaced "in the narrative" too).
func (r *Resource) WithLinks(refs, links map[string]string) []byte {
	var out []byte
	last := 0
	edit := func(ref Ref, enc []byte) {
		if out == nil {
			out = make([]byte, 0, len(r.Raw)+64)
		}
		out = append(out, r.Raw[last:ref.Start]...)
		out = append(out, enc...)
		last = ref.End
	}
	replace := func(ref Ref, to map[string]string) {
		if repl, ok := to[ref.Value]; ok && repl != ref.Value {
			enc, _ := json.Marshal(repl) // a string always marshals
			edit(ref, enc)
		}
	}
	// The lists are each in document order: merged, each edit follows the last.
	i, j, k := 0, 0, 0
	if len(links) == 0 {
		j, k = len(r.Links), len(r.Narratives)
	}
	const none = int(^uint(0) >> 1)
	at := func(l []Ref, n int) int {
		if n < len(l) {
			return l[n].Start
		}
		return none
	}
	for i < len(r.Refs) || j < len(r.Links) || k < len(r.Narratives) {
		a, b, c := at(r.Refs, i), at(r.Links, j), at(r.Narratives, k)
		switch {
		case a <= b && a <= c:
			replace(r.Refs[i], refs)
			i++
		case b <= c:
			replace(r.Links[j], links)
			j++
		default:
			n := r.Narratives[k]
			if div, ok := ReplaceNarrativeLinks(n.Value, func(v string) (string, bool) {
				to, ok := links[v]
				return to, ok
			}); ok {
				edit(n, xhtmlString(div))
			}
			k++
		}
	}
	if out == nil {
		return r.Raw
	}
	return append(out, r.Raw[last:]...)
}

// xhtmlString is s as a JSON string, its markup written as is (<, > and &
// not escaped, as narratives are written).
func xhtmlString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
