package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// An access-log entry of a request on one item that names several people
// names first the person the item is about: its subject, patient or
// beneficiary, by reference or NHS number; for a Binary, that of the item
// its securityContext names. A person's report reads the entry's first
// person as the one the request was about, so her care team naming her
// husband is her record in her report and another person's in his
// (review 88d: ids in order, "bob" came first and her report said another
// person's; reviews 89a, 89c: so too a version read, an item naming her
// by NHS number, a letter's Binary, a conditional create that matched
// his, a refused create, and the entry kept with a write for recovery).
//
// Which person: under break-glass, the one the glass was broken for; for
// a write, the item written as the writer's transaction sees it
// (writeSubject: the kept entry has it too); otherwise, once the request
// is answered, the version it asked for or released, else the current one
// (entryItem); failing those, the body a refused write sent (noteBody).

// singleItemOps are the operations on one item named by its id (or, for
// a conditional write, found by a query).
var singleItemOps = map[string]bool{"read": true, "vread": true, "history-instance": true, "create": true, "update": true, "patch": true, "delete": true}

// subjectFirst orders x.Patients, at log time.
func (s *Server) subjectFirst(ctx context.Context, x *Exchange) {
	if len(x.Patients) < 2 || !singleItemOps[x.Operation] {
		return
	}
	// A write refused stored nothing: it was about the item as stored
	// (review 89d: a refused move of Bob's care team to Jane named her
	// first), else, for a new one, what its body named.
	refused := x.Status >= 400 && len(x.Released) == 0
	for _, subject := range []func() string{
		func() string { return x.bgSubject },
		func() string {
			if refused {
				return ""
			}
			return x.itemSubject
		},
		func() string {
			if x.Operation == "read" && x.sharedSeen != nil {
				// (the version the read found, a Binary's item already)
				return s.personAmong(ctx, subjectInRaw(x.sharedSeen.Raw), x.Patients)
			}
			v := s.entryItem(ctx, x)
			if v == nil {
				return ""
			}
			if cp, ok := s.policy.(*ConsentPolicy); ok && v.Type == "Binary" {
				if _, item, err := cp.binaryNow(ctx, &v.Meta); err == nil && item != nil {
					v = item
				}
			}
			return s.personAmong(ctx, subjectInRaw(v.Raw), x.Patients)
		},
		func() string { return x.itemSubject },
		func() string { return s.personAmong(ctx, x.bodySubject, x.Patients) },
	} {
		if p := subject(); p != "" && slices.Contains(x.Patients, p) {
			x.Patients = putFirst(x.Patients, p)
			return
		}
	}
}

// personAmong is subject (subjectNamed) as one of people: an NHS number
// resolved to the one whose Patient carries it.
func (s *Server) personAmong(ctx context.Context, subject string, people []string) string {
	nhs, ok := strings.CutPrefix(subject, byNumber)
	if !ok {
		return subject
	}
	for _, p := range people {
		if pc, err := s.store.PatientContext(ctx, p); err == nil && nhsOfPerson(ctx, s.store, p, pc) == nhs {
			return p
		}
	}
	return ""
}

// putFirst moves p to the front of people, where it is among them.
func putFirst(people []string, p string) []string {
	if i := slices.Index(people, p); i > 0 {
		return slices.Insert(slices.Delete(people, i, i+1), 0, p)
	}
	return people
}

// entryItem is the item a request on one item was about, with its body:
// the version a version read asked for, else the version it released (a
// read's, a matched conditional create's), else the current one; for a
// deleted item, the version its delete ended.
func (s *Server) entryItem(ctx context.Context, x *Exchange) *store.Version {
	if x.Operation == "vread" && x.Type != "" && x.ID != "" {
		if _, ver, ok := strings.Cut(x.Path, "/_history/"); ok {
			if n, err := strconv.ParseInt(ver, 10, 64); err == nil {
				return s.bodyAt(ctx, x.Type, x.ID, n)
			}
		}
	}
	if x.Operation != "history-instance" {
		for _, ref := range x.Released {
			typ, rest, _ := strings.Cut(ref, "/")
			id, ver, ok := strings.Cut(rest, "/_history/")
			n, err := strconv.ParseInt(ver, 10, 64)
			if ok && err == nil && typ == x.Type {
				return s.bodyAt(ctx, typ, id, n)
			}
		}
	}
	if x.Type == "" || x.ID == "" {
		return nil
	}
	cur, err := s.store.Read(ctx, x.Type, x.ID)
	switch {
	case err == nil && cur != nil && cur.Raw != nil:
		return cur
	case errors.Is(err, store.ErrGone) && cur != nil:
		return s.bodyAt(ctx, x.Type, x.ID, cur.VersionID)
	}
	return nil
}

// bodyAt is version n of an item, or the latest before it that has a
// body (n a delete marker); nil when none.
func (s *Server) bodyAt(ctx context.Context, typ, id string, n int64) *store.Version {
	for ; n > 0; n-- {
		v, err := s.store.VRead(ctx, typ, id, n)
		if err == nil && v != nil && v.Raw != nil {
			return v
		}
		if !errors.Is(err, store.ErrGone) {
			return nil
		}
	}
	return nil
}

// writeSubject is the person the item a single write changes is about,
// as the writer's transaction sees it: its new version's subject, or a
// delete's current one's; a Binary's, that of the item its
// securityContext names; an NHS number resolved to the Patient among
// people (those the request names) that carries it. "" when none is found
// or the request names one person.
func writeSubject(lookup store.Lookup, w *store.Write, existing *store.Meta, people []string) (string, error) {
	if len(people) < 2 {
		return "", nil // one person's needs no order
	}
	m := w.Resource
	if m == nil {
		if w.Op != store.OpDelete || existing == nil {
			return "", nil
		}
		v, err := lookup.Get(w.Type, w.ID)
		if v == nil || err != nil {
			return "", err
		}
		m = decodeMap(v.Raw)
	}
	if w.Type == "Binary" {
		sc, _ := m["securityContext"].(map[string]any)
		ref, _ := sc["reference"].(string)
		n, ok := search.NormalizeReference(ref)
		typ, id, _ := strings.Cut(n, "/")
		if !ok || typ == "Patient" || typ == "Binary" {
			return "", nil
		}
		v, err := lookup.Get(typ, id)
		if v == nil || err != nil {
			return "", err
		}
		m = decodeMap(v.Raw)
	}
	subject := subjectNamed(m)
	nhs, ok := strings.CutPrefix(subject, byNumber)
	if !ok {
		return subject, nil
	}
	found, err := lookup.Search(patientsNumbered(nhs, maxSameNumber))
	if err != nil {
		return "", err
	}
	for _, f := range found {
		if slices.Contains(people, f.ID) {
			return f.ID, nil
		}
	}
	return "", nil
}

// subjectKeys are the elements that name an item's focal person.
var subjectKeys = []string{"subject", "patient", "beneficiary", "for"}

// subjectInRaw is subjectNamed of the stored resource raw, from its
// subject elements alone (topLevel), not a decode of the whole (a Group
// of 15,000 members: review 89d's cost probe read 10 ms more for 3,000);
// with escapes, which a byte scan does not read, decoded whole.
func subjectInRaw(raw []byte) string {
	if bytes.Contains(raw, []byte(`\u`)) {
		return subjectNamed(decodeMap(raw))
	}
	m := map[string]any{}
	for _, k := range subjectKeys {
		if b := topLevel(raw, k); b != nil {
			var v any
			if json.Unmarshal(b, &v) == nil {
				m[k] = v
			}
		}
	}
	return subjectNamed(m)
}

// subjectNamed is the person the element naming an item's focal person
// (subject, patient, beneficiary, a Task's for) names: a Patient's id, or
// byNumber and the NHS number its identifier gives; "" for none. (Review
// 89d: a council's assessment Task for Jane, focused on her carer, named
// him first.)
func subjectNamed(m map[string]any) string {
	for _, k := range subjectKeys {
		r, ok := m[k].(map[string]any)
		if !ok {
			continue
		}
		ref, _ := r["reference"].(string)
		if n, ok := search.NormalizeReference(ref); ok {
			if id, ok := strings.CutPrefix(n, "Patient/"); ok {
				return id
			}
		}
		if ident, ok := r["identifier"].(map[string]any); ok {
			sys, _ := ident["system"].(string)
			val, _ := ident["value"].(string)
			if n, err := fhir.NormaliseNHSNumber(val); err == nil && fhir.IsNHSNumberSystem(sys) {
				return byNumber + n
			}
		}
		return ""
	}
	return ""
}

// noteBody notes, for the log, the people a write's body names that was
// not taken (refused, or invalid), and the person it is about.
func (x *Exchange) noteBody(body []byte, typ string) {
	m := decodeMap(body)
	x.noteWritten(bodyPeopleIn(m, typ))
	if x.bodySubject == "" {
		x.bodySubject = subjectNamed(m)
	}
}
