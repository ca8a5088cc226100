package api

import (
	"bytes"
	"slices"
	"sort"
	"strings"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// itemLogicalRefs calls masked with logicalRefKey of each logical
// reference in v (an identifier, with a literal reference or without)
// naming a stored item the user may not see, and with the literal
// reference beside it. Review 61b: a Goal addressing Jane's HIV diagnosis
// by its problem number, and a List and a Composition naming it and her
// HIV letter so, went out as written, identifier and display, where a
// literal reference to them is masked. References to people and to
// directory items are decided elsewhere (restricted people; logicalRefs).
func (g *gate) itemLogicalRefs(v any, masked func(string)) {
	eachObject(v, "", func(m map[string]any) bool {
		ident, ok := m["identifier"].(map[string]any)
		if !ok || !referenceShaped(m) {
			return true
		}
		sys, _ := ident["system"].(string)
		val, _ := ident["value"].(string)
		typ, _ := m["type"].(string)
		if strings.TrimSpace(val) == "" || personResource(typ) || slices.Contains(store.DirectoryTypes, typ) ||
			directorySystems[normSystem(sys)] || normSystem(sys) == normSystem(search.NHSNumberSystem) {
			return false
		}
		if g.identItemWithheld(typ, sys, val) {
			masked(logicalRefKey(sys, val))
			if lit, ok := m["reference"].(string); ok {
				masked(lit)
			}
		}
		return false
	})
}

// identItemWithheld reports whether an item of type typ ("": any type
// with an identifier that is someone's data) carrying identifier sys|val
// is stored and withheld from the user; past the lookup budget, or on a
// store error, it is (fail closed). Once per request for each.
func (g *gate) identItemWithheld(typ, sys, val string) bool {
	key := typ + "\x00" + sys + "\x00" + val
	g.mu.Lock()
	w, seen := g.identItems[key]
	g.mu.Unlock()
	if seen {
		return w
	}
	types := []string{typ}
	if typ == "" {
		types = identifiedItemTypes
	} else if _, ok := search.Params(typ)["identifier"]; !ok {
		types = nil // no such type here, or none with identifiers
	}
	// One lookup of the budget each, however many types it reads; a
	// request reads every type for a few such references only.
	withheld := len(types) > 0 && !g.spendLookup()
	if typ == "" {
		g.mu.Lock()
		g.typelessIdents++
		withheld = withheld || g.typelessIdents > maxTypelessIdents
		g.mu.Unlock()
	}
	for _, t := range types {
		if withheld {
			break
		}
		q := &search.Query{Type: t, Clauses: []search.Clause{{Param: "identifier", Type: search.Token,
			Values: []search.Value{{System: sys, HasSystem: sys != "", Code: val}}}}}
		refused, err := g.anyRefused(func(vis store.Visible) error {
			_, err := g.cp.store.Search(g.ctx, q, vis)
			return err
		})
		if err != nil || refused {
			withheld = true
			break
		}
	}
	g.mu.Lock()
	if g.identItems == nil {
		g.identItems = map[string]bool{}
	}
	g.identItems[key] = withheld
	g.mu.Unlock()
	return withheld
}

// maxTypelessIdents: the logical references with no type a request
// looks up (each reads every type); past them, each is masked.
const maxTypelessIdents = 64

// identifiedItemTypes are the types a logical reference with no type may
// name: those of someone's data (a patient compartment) that carry
// identifiers, but people.
var identifiedItemTypes = func() []string {
	var out []string
	for _, t := range search.ResourceTypes() {
		if _, ok := search.Params(t)["identifier"]; ok && search.HasPatientCompartment(t) && !personResource(t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}()

// mayHoldLogicalRef: raw may hold a logical reference, an "identifier"
// whose value is an object (a resource's own identifiers are a list; the
// few elements holding one Identifier are looked at too, harmlessly).
func mayHoldLogicalRef(raw []byte) bool {
	key := []byte(`"identifier"`)
	for {
		i := bytes.Index(raw, key)
		if i < 0 {
			return false
		}
		raw = raw[i+len(key):]
		rest := bytes.TrimLeft(raw, " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
			if len(rest) > 0 && rest[0] == '{' {
				return true
			}
		}
	}
}
