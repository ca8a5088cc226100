package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// A released item may point at an item the user may not see: an Encounter
// whose diagnosis is a withheld HIV Condition, with the diagnosis' name as
// the reference's display text. Such a reference goes out masked: no id,
// no type, no display, only FHIR's data-absent-reason "masked" (the
// information is not available for security or privacy reasons).

const dataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

// refKey names a resource without its version.
type refKey struct{ typ, id string }

// maskedRefs is the set of reference strings in v's body that point at
// items this request's user may not see; nil when there are none.
func (x *Exchange) maskedRefs(v *store.Version) map[string]bool {
	g := x.gate
	if g == nil || v.Raw == nil {
		return nil
	}
	var mask map[string]bool
	forEachRef(v.Raw, func(b []byte) {
		if bytes.HasPrefix(b, []byte("Patient/")) || mask[string(b)] {
			return // a Patient is redacted or withheld as a whole record, not here
		}
		typ, id, ok := refTarget(string(b))
		// Only items in a person's compartment are decided per person.
		if !ok || typ == "Patient" || !search.HasPatientCompartment(typ) || (typ == v.Type && id == v.ID) {
			return
		}
		if !g.refVisible(refKey{typ, id}) {
			if mask == nil {
				mask = map[string]bool{}
			}
			mask[string(b)] = true
		}
	})
	return mask
}

// decided remembers what visible decided for an item, so that references
// to items met in the same request need no lookup. A slice, turned into
// the map only when a reference is checked: most responses point at no
// other item, and a map insert for each of a big record's items costs
// more than the rest of this file.
func (g *gate) decided(m *store.Meta, ok bool) {
	g.mu.Lock()
	g.decisions = append(g.decisions, decision{refKey{m.Type, m.ID}, ok})
	g.mu.Unlock()
}

type decision struct {
	k  refKey
	ok bool
}

// seenLocked is what the request decided about k (withheld wins over an
// earlier version's release); g.mu is held.
func (g *gate) seenLocked(k refKey) (ok, seen bool) {
	if g.seen == nil {
		g.seen = make(map[refKey]bool, len(g.decisions))
	}
	for _, d := range g.decisions[g.indexed:] {
		if prev, had := g.seen[d.k]; !had || prev {
			g.seen[d.k] = d.ok
		}
	}
	g.indexed = len(g.decisions)
	ok, seen = g.seen[k]
	return ok, seen
}

// refVisible reports whether the user may see the item a reference points
// at. An item this request has not met is looked up and decided (refSees):
// a reference neither opens a record nor uses break-glass for anyone new.
// A target that does not exist is left alone (there is nothing behind it
// to protect); a deleted one is masked.
func (g *gate) refVisible(k refKey) bool {
	g.mu.Lock()
	ok, seen := g.seenLocked(k)
	g.mu.Unlock()
	if seen {
		return ok
	}
	v, err := g.cp.store.Read(g.ctx, k.typ, k.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		ok = true
	case err != nil || v == nil:
		ok = false
	default:
		ok = g.refSees(&v.Meta)
	}
	g.mu.Lock()
	g.seen[k] = ok
	g.mu.Unlock()
	return ok
}

// refSees decides m like visible, without counting, noting or storing
// anything: a person this request decided is taken as it decided them; any
// other is decided without break-glass, as a lookup of their own would be.
func (g *gate) refSees(m *store.Meta) bool {
	if g.ownData(m) {
		return true
	}
	if len(m.Patients) == 0 {
		return g.seesOutsideCompartments(m)
	}
	it := itemOf(m)
	for _, pid := range m.Patients {
		pp := g.preparedOf(pid)
		if pp == nil {
			pp = g.prepareQuiet(pid)
		}
		if pp == nil || !pp.Decide(it).Permitted() {
			return false
		}
	}
	return true
}

// preparedOf is how the request prepared pid, the narrowest way when it
// did so in several; nil when it did not.
func (g *gate) preparedOf(pid string) *consent.Prepared {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, mode := range [...]bgMode{bgWithout, bgAlong, bgOwn} {
		if pp, ok := g.prepared[preparedKey{pid, mode}]; ok {
			return pp
		}
	}
	return g.quiet[pid]
}

// prepareQuiet prepares pid for deciding references only: no break-glass
// reason (a grant the user already holds counts), nothing noted in the
// access log, no grant stored. nil when the person cannot be loaded.
func (g *gate) prepareQuiet(pid string) *consent.Prepared {
	pc, err := g.cp.store.PatientContext(g.ctx, pid)
	if err != nil {
		return nil
	}
	u := g.user
	u.BreakGlassReason = ""
	until, err := g.cp.store.BreakGlassUntil(g.ctx, u.Sub, pid)
	if err != nil {
		return nil
	}
	now := g.cp.now()
	u.BreakGlassGranted = now.Before(until)
	pat, err := g.cp.person(g.ctx, deriveContext(pid, pc))
	if err != nil {
		return nil
	}
	pp := consent.Prepare(g.cp.Policy, u, pat, now)
	g.mu.Lock()
	if g.quiet == nil {
		g.quiet = map[string]*consent.Prepared{}
	}
	g.quiet[pid] = pp
	g.mu.Unlock()
	return pp
}

// refTarget reads Type/id from a literal reference: relative
// (Condition/1, Condition/1/_history/2) or absolute (…/Condition/1).
// Contained (#x) and urn: references name nothing stored.
func refTarget(ref string) (typ, id string, ok bool) {
	if ref == "" || ref[0] == '#' || strings.HasPrefix(ref, "urn:") {
		return "", "", false
	}
	// Without splitting (this runs for every reference released).
	last := func(s string) (rest, seg string) {
		i := strings.LastIndexByte(s, '/')
		return s[:max(i, 0)], s[i+1:]
	}
	rest, id := last(ref)
	if rest2, h := last(rest); h == "_history" {
		rest, id = last(rest2)
	}
	_, typ = last(rest)
	if typ == "" || id == "" || typ[0] < 'A' || typ[0] > 'Z' {
		return "", "", false
	}
	return typ, id, true
}

// forEachRef calls fn with each "reference" string in a JSON document,
// found by scanning the bytes: no decoding for the common case. The
// string fn gets is only valid during the call.
func forEachRef(raw []byte, fn func([]byte)) {
	// Searching from the rarer 'f' (of "reference") is several times
	// faster than from the quote every JSON key starts with.
	key := []byte(`ference"`)
	for i := 0; ; {
		j := bytes.Index(raw[i:], key)
		if j < 0 {
			return
		}
		j += i
		i = j + len(key)
		if j < 3 || string(raw[j-3:j]) != `"re` {
			continue
		}
		k := skipSpace(raw, i)
		if k >= len(raw) || raw[k] != ':' {
			continue // a value "reference", not the key
		}
		k = skipSpace(raw, k+1)
		if k >= len(raw) || raw[k] != '"' {
			continue
		}
		end := k + 1
		escaped := false
		for end < len(raw) && raw[end] != '"' {
			if raw[end] == '\\' {
				escaped = true
				end++
			}
			end++
		}
		if end >= len(raw) {
			return
		}
		if escaped {
			var s string
			if json.Unmarshal(raw[k:end+1], &s) == nil {
				fn([]byte(s))
			}
		} else {
			fn(raw[k+1 : end])
		}
		i = end + 1
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// maskRefs replaces, in a decoded resource, every Reference whose
// reference is in mask by an empty Reference that says it was masked.
func maskRefs(v any, mask map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["reference"].(string); ok && mask[s] {
			clear(x)
			x["extension"] = []any{map[string]any{"url": dataAbsentReason, "valueCode": "masked"}}
			return
		}
		for _, c := range x {
			maskRefs(c, mask)
		}
	case []any:
		for _, c := range x {
			maskRefs(c, mask)
		}
	}
}
