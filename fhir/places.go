package fhir

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"sync"

	m "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

var (
	addressType      = reflect.TypeFor[m.Address]()
	contactPointType = reflect.TypeFor[m.ContactPoint]()
)

// EachPlaceElement calls fn(parent, key) for every element of resource
// body (of type resourceType) whose R4 type is Address or ContactPoint, at
// any depth of its backbone elements and data types (not extensions),
// wherever it is named:
// a Device's contact, a Claim's accident.locationAddress, an
// Organization's contact.address. Resources it holds (contained, a
// Bundle's entries) are not entered: each is a body of its own. Unknown
// types and elements are passed over.
func EachPlaceElement(resourceType string, body map[string]any, fn func(parent map[string]any, key string)) {
	t, ok := resourceModels[resourceType]
	if !ok {
		return
	}
	eachPlace(t, body, fn)
}

func eachPlace(t reflect.Type, obj map[string]any, fn func(map[string]any, string)) {
	si := getStruct(t)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		fi := si.fields[k]
		if fi == nil || fi.kind != kStruct || k == "extension" || k == "modifierExtension" || !holdsPlaces(fi.elem) {
			continue
		}
		if fi.elem == addressType || fi.elem == contactPointType {
			fn(obj, k)
			continue
		}
		for _, v := range Objects(obj[k]) {
			eachPlace(fi.elem, v, fn)
		}
	}
}

var holdsPlacesCache sync.Map // reflect.Type -> bool

// holdsPlaces reports whether a value of struct type t is, or may hold
// below it (not through a resource or an extension), an Address or a
// ContactPoint.
func holdsPlaces(t reflect.Type) bool {
	if v, ok := holdsPlacesCache.Load(t); ok {
		return v.(bool)
	}
	holdsPlacesCache.Store(t, false) // (a type that holds itself: Extension)
	found := t == addressType || t == contactPointType
	for name, fi := range getStruct(t).fields {
		if found {
			break
		}
		// (not through extensions, which every element may have: their
		// values are masked on their own)
		found = fi.kind == kStruct && fi.elem != t && name != "extension" && name != "modifierExtension" && holdsPlaces(fi.elem)
	}
	holdsPlacesCache.Store(t, found)
	return found
}

// PlaceElementNames are the names of every element of an R4 resource, at
// any depth, whose type is Address or ContactPoint, sorted: what a quick
// look at a stored body searches for before it is decoded. (Worked out on
// first use: the schema's structs are built after package init.)
var PlaceElementNames = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type, visited map[reflect.Type]bool)
	walk = func(t reflect.Type, visited map[reflect.Type]bool) {
		if visited[t] {
			return
		}
		visited[t] = true
		for name, fi := range getStruct(t).fields {
			if fi.kind != kStruct || name == "extension" || name == "modifierExtension" {
				continue
			}
			if fi.elem == addressType || fi.elem == contactPointType {
				seen[name] = true
				continue
			}
			walk(fi.elem, visited)
		}
	}
	for _, t := range resourceModels {
		walk(t, map[reflect.Type]bool{})
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
})

// Objects are the JSON objects v is: itself, or the objects of a list.
func Objects(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		var out []map[string]any
		for _, e := range x {
			if em, ok := e.(map[string]any); ok {
				out = append(out, em)
			}
		}
		return out
	}
	return nil
}
