package fhir

import "encoding/json"

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
// value is a key of links by its value.
func (r *Resource) WithLinks(refs, links map[string]string) []byte {
	var out []byte
	last := 0
	replace := func(ref Ref, to map[string]string) {
		repl, ok := to[ref.Value]
		if !ok || repl == ref.Value {
			return
		}
		if out == nil {
			out = make([]byte, 0, len(r.Raw)+64)
		}
		out = append(out, r.Raw[last:ref.Start]...)
		enc, _ := json.Marshal(repl) // a string always marshals
		out = append(out, enc...)
		last = ref.End
	}
	// Both lists are in document order: merged, each edit follows the last.
	i, j := 0, 0
	if len(links) == 0 {
		j = len(r.Links)
	}
	for i < len(r.Refs) || j < len(r.Links) {
		if j == len(r.Links) || i < len(r.Refs) && r.Refs[i].Start < r.Links[j].Start {
			replace(r.Refs[i], refs)
			i++
		} else {
			replace(r.Links[j], links)
			j++
		}
	}
	if out == nil {
		return r.Raw
	}
	return append(out, r.Raw[last:]...)
}
