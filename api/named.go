package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// An item's people (store.Meta.Patients) are everyone it names
// (search.NamedPeople): its patient compartment, any other Patient it
// refers to, and anyone it names by NHS number alone. Each is decided
// under their sharing decision, and the item joins their record.
//
// A person named by NHS number is, on the way in, "nhs|" and the number
// (byNumber): inside the write transaction, resolvePeople turns it into
// the id of the one Patient carrying that number. One that stays (no
// Patient carries the number yet, or several do) is a person carex does
// not know: their item stays with its source organisation (gate.decide)
// until `carex relabel`, run after the person's record arrives, resolves
// it. The marker is never a Patient id (ids have no '|').
const byNumber = "nhs|"

// unresolved reports whether p marks a person named by NHS number whom
// carex could not identify.
func unresolved(p string) bool { return strings.HasPrefix(p, byNumber) }

// hasUnresolved reports whether any of patients is unresolved.
func hasUnresolved(patients []string) bool {
	for _, p := range patients {
		if unresolved(p) {
			return true
		}
	}
	return false
}

// knownPeople is patients without the unresolved ones (the slice itself
// when there are none, as for almost every item).
func knownPeople(patients []string) []string {
	if !hasUnresolved(patients) {
		return patients
	}
	out := make([]string, 0, len(patients))
	for _, p := range patients {
		if !unresolved(p) {
			out = append(out, p)
		}
	}
	return out
}

// unidentifiedPerson marks a person an item names by neither a reference
// nor an NHS number (a contained Patient without one, a Patient by
// hospital number): no one can tell who, and the item stays with its
// source as for an unresolved number, relabel or not.
const unidentifiedPerson = byNumber + "?"

// itemPeople are the people an item names, as derive stores them before
// resolution: ids, then byNumber markers.
func itemPeople(typ string, res map[string]any) []string {
	ids, numbers, unidentified := search.NamedPeople(typ, res)
	for _, n := range numbers {
		ids = append(ids, byNumber+n)
	}
	if unidentified {
		ids = append(ids, unidentifiedPerson)
	}
	return ids
}

// namesSomeone reports whether a resource names a person
// (search.NamedPeople).
func namesSomeone(typ string, res map[string]any) bool {
	ids, numbers, unidentified := search.NamedPeople(typ, res)
	return len(ids) > 0 || len(numbers) > 0 || unidentified
}

// patientFinder finds Patients: through a Lookup inside a write
// transaction, through the store outside one (relabel).
type patientFinder struct {
	search func(q *search.Query) ([]*store.Meta, error)
	get    func(id string) ([]byte, error) // the current Patient's body, nil if none
}

func lookupFinder(l store.Lookup) patientFinder {
	return patientFinder{search: l.Search, get: func(id string) ([]byte, error) {
		v, err := l.Get("Patient", id)
		if v == nil || err != nil {
			return nil, err
		}
		return v.Raw, nil
	}}
}

// storeFinder finds Patients in the committed store.
func (s *Server) storeFinder(ctx context.Context) patientFinder {
	return patientFinder{
		search: func(q *search.Query) ([]*store.Meta, error) {
			res, err := s.store.Search(ctx, q, nil)
			if err != nil {
				return nil, err
			}
			out := make([]*store.Meta, len(res.Items))
			for i, v := range res.Items {
				out[i] = &v.Meta
			}
			return out, nil
		},
		get: func(id string) ([]byte, error) {
			v, err := s.store.Read(ctx, "Patient", id)
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return v.Raw, nil
		},
	}
}

// numberChunk bounds the NHS numbers one search looks for (a ward list
// names hundreds).
const numberChunk = 200

// resolvePeople turns the byNumber markers of each of ws into the Patient
// each names, where exactly one current Patient carries the number; others
// stay. Only an item naming someone by number looks anything up: one
// search for one number (almost always), one per numberChunk numbers for
// more, each number once per call. A Patient one of ws writes (a feed's
// new person beside their items) carries its numbers too, though the
// transaction has not stored it yet.
func resolvePeople(find patientFinder, ws ...*store.Write) error {
	var carriers map[string][]string // number → the Patients carrying it
	looked := map[string]bool{}
	for _, w := range ws {
		if w.Op == store.OpDelete || !hasUnresolved(w.Patients) {
			continue
		}
		if carriers == nil {
			carriers = batchCarriers(ws)
		}
		var numbers []string
		for _, p := range w.Patients {
			if !unresolved(p) || p == unidentifiedPerson {
				continue
			}
			if n := p[len(byNumber):]; !looked[n] {
				looked[n] = true
				numbers = append(numbers, n)
			}
		}
		for len(numbers) > 0 {
			chunk := numbers[:min(numberChunk, len(numbers))]
			numbers = numbers[len(chunk):]
			if err := find.carriers(chunk, carriers); err != nil {
				return err
			}
		}
		out := make([]string, 0, len(w.Patients))
		for _, p := range w.Patients {
			if unresolved(p) {
				if ids := carriers[p[len(byNumber):]]; len(ids) == 1 {
					p = ids[0]
				}
			}
			out = appendNew(out, p)
		}
		w.Patients = out
		indexResolved(w, carriers)
	}
	return nil
}

// indexResolved: a reference by NHS number that names one Patient is a
// reference to them for search too (Condition?patient=jane finds the
// diagnosis her $everything holds). The index holds references by
// identifier only as these entries (Ref empty), which it does not store.
func indexResolved(w *store.Write, carriers map[string][]string) {
	var add []search.IndexEntry
	for _, e := range w.Index {
		if e.Type != search.Reference || e.Ref != "" || e.System != fhir.NHSNumberSystem {
			continue
		}
		ids := carriers[e.Code]
		if len(ids) != 1 {
			continue
		}
		if t := search.Params(w.Type)[e.Param].Targets; len(t) > 0 && !slices.Contains(t, "Patient") {
			continue
		}
		add = append(add, search.IndexEntry{Param: e.Param, Type: search.Reference, Ref: "Patient/" + ids[0]})
	}
	w.Index = append(w.Index, add...)
}

// batchCarriers are the NHS numbers of the Patients ws write. (A
// conditional create may store nothing: the Patient it matches is found
// in the store.)
func batchCarriers(ws []*store.Write) map[string][]string {
	carriers := map[string][]string{}
	for _, b := range ws {
		if b.Type == "Patient" && b.Op != store.OpDelete && b.IfNoneExist == nil && b.ID != "" {
			for _, n := range patientNumbers(b.Resource) {
				carriers[n] = appendNew(carriers[n], b.ID)
			}
		}
	}
	return carriers
}

// carriers adds to into the Patients that carry each of numbers (at most
// two a number: enough to tell one from several).
func (f patientFinder) carriers(numbers []string, into map[string][]string) error {
	q := &search.Query{Type: "Patient", Count: 2*len(numbers) + 1, Clauses: []search.Clause{{Param: "identifier", Type: search.Token}}}
	for _, n := range numbers {
		q.Clauses[0].Values = append(q.Clauses[0].Values, search.Value{System: fhir.NHSNumberSystem, Code: n})
	}
	found, err := f.search(q)
	if err != nil {
		return err
	}
	if len(numbers) == 1 {
		for _, m := range found {
			into[numbers[0]] = appendNew(into[numbers[0]], m.ID)
		}
		return nil
	}
	if len(found) == q.Count && len(numbers) > 1 {
		// More carriers than the search returned: one number at a time.
		for _, n := range numbers {
			if err := f.carriers([]string{n}, into); err != nil {
				return err
			}
		}
		return nil
	}
	// Which number each found Patient carries: from its identifiers.
	want := map[string]bool{}
	for _, n := range numbers {
		want[n] = true
	}
	for _, m := range found {
		raw, err := f.get(m.ID)
		if err != nil {
			return err
		}
		for _, n := range patientNumbers(decodeMap(raw)) {
			if want[n] {
				into[n] = appendNew(into[n], m.ID)
			}
		}
	}
	return nil
}

// patientNumbers are the NHS numbers among a Patient's identifiers, as
// the search index holds them (without spaces).
func patientNumbers(patient map[string]any) []string {
	var out []string
	for _, id := range asList(patient["identifier"]) {
		im, _ := id.(map[string]any)
		if sys, _ := im["system"].(string); sys == fhir.NHSNumberSystem {
			if v, _ := im["value"].(string); v != "" {
				out = append(out, strings.ReplaceAll(v, " ", ""))
			}
		}
	}
	return out
}
