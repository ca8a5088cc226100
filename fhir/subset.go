package fhir

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownElement: an element name that the resource type does not have.
var ErrUnknownElement = errors.New("unknown element")

// subsettedTag marks a resource sent with only some of its elements, so
// that no one takes it for the whole record (FHIR search, "_elements").
const subsettedTag = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"SUBSETTED","display":"subsetted"}`

// Elements resolves the names of a search's _elements for resources of typ
// into the JSON members a Subset keeps. A name is a top-level element of
// typ, written bare or after the type ("Patient.name"); a choice element
// goes by its name without [x] ("value" keeps valueQuantity, valueString,
// ...) or by one typed name. typ's mandatory elements are kept whether named
// or not, as the specification asks, and resourceType, id and meta always.
func Elements(typ string, names []string) (map[string]bool, error) {
	t, ok := resourceModels[typ]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	si := getStruct(t)
	keep := map[string]bool{}
	for _, fi := range si.required {
		keep[fi.name] = true
	}
	for _, g := range si.choices {
		for _, fi := range g.members {
			keep[fi.name] = true
		}
	}
	for _, n := range names {
		name := strings.TrimPrefix(n, typ+".")
		if strings.Contains(name, ".") {
			return nil, fmt.Errorf("%w: %q: only top-level elements of %s can be chosen", ErrUnknownElement, n, typ)
		}
		found := false
		if _, ok := si.fields[name]; ok && name != "resourceType" {
			keep[name], found = true, true
		}
		for f := range si.fields {
			if p, ok := choicePrefix(f); ok && p == name {
				keep[f], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %s has no element %q", ErrUnknownElement, typ, n)
		}
	}
	return keep, nil
}

// Subset returns the resource raw with only the top-level members that keep
// accepts (a primitive's _name sibling goes with its element), besides
// resourceType, id and meta, and with meta tagged SUBSETTED. The members
// kept are copied byte for byte, in their order.
func Subset(raw []byte, keep func(name string) bool) ([]byte, error) {
	members, _, _, err := scanObject(raw, 0)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(raw)+len(subsettedTag)+16)
	out = append(out, '{')
	hasMeta := false
	for _, mb := range members {
		switch name := strings.TrimPrefix(mb.key, "_"); {
		case mb.key == "meta":
			meta, err := tagSubsetted(raw[mb.valStart:mb.valEnd])
			if err != nil {
				return nil, err
			}
			out = appendMember(out, mb.key, meta)
			hasMeta = true
		case mb.key == "resourceType", mb.key == "id", keep(name):
			out = appendMember(out, mb.key, raw[mb.valStart:mb.valEnd])
		}
	}
	if !hasMeta {
		out = appendMember(out, "meta", []byte(`{"tag":[`+subsettedTag+`]}`))
	}
	return append(out, '}'), nil
}

func appendMember(out []byte, key string, value []byte) []byte {
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = appendQuoted(out, key)
	out = append(out, ':')
	return append(out, value...)
}

// appendQuoted writes an object key as JSON; keys of FHIR resources are
// plain ASCII names, and any other is escaped.
func appendQuoted(out []byte, s string) []byte {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' || r > 0x7e }) >= 0 {
		return fmt.Appendf(out, "%q", s) // Go's quoting is valid JSON for these
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

// tagSubsetted adds the SUBSETTED tag to a meta object, unless it is there.
func tagSubsetted(meta []byte) ([]byte, error) {
	if meta[0] != '{' {
		return nil, &ValidationError{Path: "meta", Msg: "must be an object"}
	}
	mm, open, _, err := scanObject(meta, 0)
	if err != nil {
		return nil, err
	}
	for _, mb := range mm {
		if mb.key != "tag" {
			continue
		}
		tags := meta[mb.valStart:mb.valEnd]
		if tags[0] != '[' {
			return nil, &ValidationError{Path: "meta.tag", Msg: "must be an array"}
		}
		if strings.Contains(string(tags), `"SUBSETTED"`) {
			return meta, nil
		}
		end := mb.valEnd - 1 // the closing ']'
		sep := ","
		if strings.TrimSpace(string(meta[mb.valStart+1:end])) == "" {
			sep = ""
		}
		return slices.Concat(meta[:end], []byte(sep+subsettedTag), meta[end:]), nil
	}
	add := `"tag":[` + subsettedTag + `]`
	if len(mm) > 0 {
		add += ","
	}
	return slices.Concat(meta[:open+1], []byte(add), meta[open+1:]), nil
}
