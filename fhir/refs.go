package fhir

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
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
	type change struct {
		at  Ref
		enc []byte
	}
	var changes []change
	replace := func(l []Ref, to map[string]string) {
		for _, ref := range l {
			if repl, ok := to[ref.Value]; ok && repl != ref.Value {
				enc, _ := json.Marshal(repl) // a string always marshals
				changes = append(changes, change{ref, enc})
			}
		}
	}
	replace(r.Refs, refs)
	if len(links) > 0 {
		replace(r.Links, links)
		for _, n := range r.Narratives {
			if div, ok := ReplaceNarrativeLinks(n.Value, func(v string) (string, bool) {
				to, ok := links[v]
				return to, ok
			}); ok {
				changes = append(changes, change{n, xhtmlString(div)})
			}
		}
	}
	if len(changes) == 0 {
		return r.Raw
	}
	// Each list is in document order, and no two overlap: in order of
	// place, each edit follows the last.
	slices.SortFunc(changes, func(a, b change) int { return cmp.Compare(a.at.Start, b.at.Start) })
	out := make([]byte, 0, len(r.Raw)+64)
	last := 0
	for _, c := range changes {
		out = append(out, r.Raw[last:c.at.Start]...)
		out = append(out, c.enc...)
		last = c.at.End
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
