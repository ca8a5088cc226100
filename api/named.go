package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
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

// needsLookup reports whether any of patients is an NHS number to resolve
// (an unidentified person needs no search).
func needsLookup(patients []string) bool {
	for _, p := range patients {
		if unresolved(p) && p != unidentifiedPerson {
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
// hospital number, a subject given by another identifier or by display
// alone, or by a reference carex cannot follow): no one can tell who, and
// the item stays with its source as for an unresolved number, relabel or
// not.
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
	// admit, when set, says whether a Patient found may be the person
	// (writerFinder, relabel's sourceAdmits): one it refuses carries the
	// number for no one.
	admit func(m *store.Meta) (bool, error)
}

// filter is found without the Patients admit refuses.
func (f patientFinder) filter(found []*store.Meta) ([]*store.Meta, error) {
	if f.admit == nil {
		return found, nil
	}
	out := found[:0:0]
	for _, m := range found {
		ok, err := f.admit(m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// writerFinder finds, inside the write transaction, the Patients that
// may be the person a write names by NHS number (personAdmits for the
// writer's organisation and the request's Visible gate, as a conditional
// reference is matched): anyone may write a Patient carrying a number, and
// one the writer has no reason to trust must not capture its item, nor
// open it to that Patient's source (review 5d). A number carried by no
// such Patient stays a marker, with the item's source alone.
func (s *Server) writerFinder(ctx context.Context, p *auth.Principal, x *Exchange, l store.Lookup, ws []*store.Write) patientFinder {
	f := lookupFinder(l)
	for _, w := range ws {
		if w.Op != store.OpDelete && needsLookup(w.Patients) {
			f.admit = s.personAdmits(ctx, p.Org, s.policy.Visible(ctx, p, x))
			break
		}
	}
	return f
}

// personAdmits says whether a Patient carrying a number may be the person
// an item of organisation org names by it (review 5d; relabel passes no
// vis: it has no writer to ask):
//   - the writer may see it (vis, the request's gate); or
//   - org recorded it; or
//   - org has a legitimate relationship with its person (their GP, a care
//     team or episode of care, a source of their data) — a feed's client
//     system sees only its own organisation's data, yet the hospital that
//     admitted someone is who names them by number.
//
// Not a Patient another organisation recorded for someone org has nothing
// to do with — even one naming its writer as the person's GP, which any
// organisation can write carrying someone's number (review 5e). An item
// written before org had a relationship with the person stays with org
// until a relabel after it has one.
func (s *Server) personAdmits(ctx context.Context, org string, vis store.Visible) func(m *store.Meta) (bool, error) {
	cp, ok := s.policy.(*ConsentPolicy)
	if !ok {
		return nil // a policy that releases everything
	}
	// The relationship is the organisation's, whatever the role
	// (consent.Prepare works it out for any role the policy has).
	role := anyRole(cp.Policy)
	return func(m *store.Meta) (bool, error) {
		if (vis != nil && vis(m)) || (org != "" && strings.EqualFold(m.SourceOrg, org)) {
			return true, nil
		}
		// A Patient's own say that the practice writing it is the
		// person's GP is not trusted here: any organisation can write
		// one carrying someone's number (review 5e).
		if org == "" {
			return false, nil
		}
		pc, err := s.store.PatientContext(ctx, m.ID)
		if err != nil {
			return false, err
		}
		pat, _, err := cp.person(ctx, deriveContext(m.ID, pc), pc, nil)
		if err != nil {
			return false, err
		}
		return consent.Prepare(cp.Policy, consent.User{Org: org, Role: role}, pat, cp.now()).Related(), nil
	}
}

// anyRole is a role of pol (the first by name), "" if it has none.
func anyRole(pol *consent.Policy) string {
	names := make([]string, 0, len(pol.Roles))
	for n := range pol.Roles {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
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
			out = append(out, p)
		}
		w.Patients = distinct(out)
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

// addCarrier notes Patient id as a carrier of NHS number n in carriers,
// up to two: two tell one from several, all a carrier list is asked.
func addCarrier(carriers map[string][]string, n, id string) {
	if len(carriers[n]) < 2 {
		carriers[n] = appendNew(carriers[n], id)
	}
}

// batchCarriers are the NHS numbers of the Patients ws write. (A
// conditional create may store nothing: the Patient it matches is found
// in the store.)
func batchCarriers(ws []*store.Write) map[string][]string {
	carriers := map[string][]string{}
	for _, b := range ws {
		if b.Type == "Patient" && b.Op != store.OpDelete && b.IfNoneExist == nil && b.ID != "" {
			for _, n := range patientNumbers(b.Resource) {
				addCarrier(carriers, n, b.ID)
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
		if found, err = f.filter(found); err != nil {
			return err
		}
		for _, m := range found {
			addCarrier(into, numbers[0], m.ID)
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
	if found, err = f.filter(found); err != nil {
		return err
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
				addCarrier(into, n, m.ID)
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
		if isNHSSystem(im["system"]) {
			if v, _ := im["value"].(string); v != "" {
				out = append(out, strings.ReplaceAll(v, " ", ""))
			}
		}
	}
	return out
}

// sourceKeeps: an item naming someone carex could not identify is its
// source organisation's alone, with or without break-glass (review 5d).
// gate.ownData is skipped under break-glass, which opens a person's record
// to be decided under it; such an item is in no one's record, so without
// this its source lost it exactly when it broke glass. ownData is this
// without break-glass: a role that sees its own organisation's records or
// reads this class, for a purpose carex serves. A Provenance is the
// provenance of the items it targets: a role that reads the class but not
// its own organisation's records (the IG officer, who sees no clinical
// data, her own included) has it decided as anyone's, by those items
// (review 9a: the practice's IG officer read the provenance of its HIV
// diagnosis, who recorded it, when and why).
func (g *gate) sourceKeeps(m *store.Meta) bool { return g.cp.sourceKeeps(g.user, m) }

// ownSeen is the organisation whose items, but Binaries, refSees sees
// whatever they hold (ownData: its source keeps each), or "" when there
// is none: the user's, when not under break-glass, for a role that sees
// its own organisation's records and a purpose carex serves.
func (g *gate) ownSeen() string {
	u := g.user
	if u.BreakGlassReason != "" || u.Org == "" || !g.cp.Policy.Serves(u.Purpose) {
		return ""
	}
	if role := g.cp.Policy.Role(u.Role); role == nil || !role.SeesOwn {
		return ""
	}
	return u.Org
}

// sourceKeeps is gate.sourceKeeps for user u ($explain decides as the gate).
func (cp *ConsentPolicy) sourceKeeps(u consent.User, m *store.Meta) bool {
	if u.Org == "" || !strings.EqualFold(m.SourceOrg, u.Org) {
		return false
	}
	role := cp.Policy.Role(u.Role)
	return role != nil && (role.SeesOwn || role.Sees(m.DataClass) && m.Type != "Provenance") && cp.Policy.Serves(u.Purpose)
}

// targetPeople: a Provenance names its person through the items it is
// about (target: Condition/diabetes), which the patient compartment does
// not follow (review 5d: the provenance of an opted-out person's diagnosis
// — who recorded it, when, why — was no one's, released by role class).
// Each target that is an item is looked up as the write transaction sees
// it (one written beside it by the same request as written), and the
// Provenance takes its people (markers included). A target that is not
// stored, or that admit refuses (another organisation's item the writer
// may not see: taking its people would tell the writer whose it is),
// makes it name someone carex cannot tell: it stays with its source. A
// target that names no one (an Organization) adds no one.
func targetPeople(current func(typ, id string) (*store.Meta, error), admit func(*store.Meta) bool, ws []*store.Write) error {
	for _, w := range ws {
		if w.Type != "Provenance" || w.Op == store.OpDelete {
			continue
		}
		for _, t := range asList(w.Resource["target"]) {
			tm, _ := t.(map[string]any)
			ref, _ := tm["reference"].(string)
			n, ok := search.NormalizeReference(ref)
			if !ok && ref == "" && len(tm) > 0 {
				// A target given by identifier or display alone cannot be
				// followed: the Provenance stays with its source (review 5e).
				if typ, _ := tm["type"].(string); typ != "Patient" {
					w.Patients = appendNew(w.Patients, unidentifiedPerson)
				}
				continue
			}
			if !ok || strings.HasPrefix(n, "Patient/") {
				continue // the compartment's (a Patient), or NamedPeople's
			}
			typ, id, _ := strings.Cut(n, "/")
			people, labels, found := batchPeople(ws, w, typ, id)
			if !found {
				m, err := current(typ, id)
				if err != nil {
					return err
				}
				if m != nil && !m.Deleted && (strings.EqualFold(m.SourceOrg, w.SourceOrg) || admit(m)) {
					people, labels, found = m.Patients, m.Labels, true
				}
			}
			if !found {
				people = []string{unidentifiedPerson}
			}
			w.Patients = appendNew(w.Patients, people...)
			// Its labels too, as a Binary takes its context's: the
			// provenance of a PSY diagnosis is no less sensitive.
			w.Labels = appendNew(w.Labels, labels...)
		}
	}
	return nil
}

// asBinaryNow is current, but a Binary as binaryNow makes it: the people
// and labels of the item its securityContext names now, not those it
// copied when it was written (review 8: the provenance of the text of a
// letter labelled PSY since, or moved to John, took the copy's: it was
// released as unlabelled, and as Jane's).
func (s *Server) asBinaryNow(ctx context.Context, current func(typ, id string) (*store.Meta, error)) func(typ, id string) (*store.Meta, error) {
	cp, ok := s.policy.(*ConsentPolicy)
	if !ok {
		return current
	}
	return func(typ, id string) (*store.Meta, error) {
		m, err := current(typ, id)
		if err != nil || m == nil || m.Deleted || typ != "Binary" {
			return m, err
		}
		now, _, err := cp.binaryNow(ctx, m)
		return now, err
	}
}

// batchPeople are the people of the write of ws (other than self) that
// stores typ/id, and its labels.
func batchPeople(ws []*store.Write, self *store.Write, typ, id string) (people, labels []string, found bool) {
	for _, o := range ws {
		if o != self && o.Type == typ && o.ID == id {
			if o.Op == store.OpDelete {
				return nil, nil, false
			}
			return o.Patients, o.Labels, true
		}
	}
	return nil, nil, false
}

// provenanceWrites reports whether ws hold a Provenance to store.
func provenanceWrites(ws []*store.Write) bool {
	for _, w := range ws {
		if w.Type == "Provenance" && w.Op != store.OpDelete {
			return true
		}
	}
	return false
}
