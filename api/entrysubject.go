package api

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// singleItemOps are the operations on one item named by its id (or, for
// a conditional write, found by a query).
var singleItemOps = map[string]bool{"read": true, "vread": true, "history-instance": true, "create": true, "update": true, "patch": true, "delete": true}

// subjectFirst puts first, among the several people the entry of a
// request on one item names, the person the item is about: its subject,
// patient or beneficiary, by reference or NHS number; for a Binary, that
// of the item its securityContext names. A person's report reads the
// entry's first person as the one the request was about, so her care team
// naming her husband is her record in her report and another person's in
// his (review 88d: ids in order, "bob" came first; review 89a: so too for
// a version read, an item naming her by NHS number, a letter's Binary,
// and a conditional create that matched his). Looked up here, once the
// request is answered, from the version it released (or the current one),
// so every operation is ordered alike.
func (s *Server) subjectFirst(ctx context.Context, x *Exchange) {
	if len(x.Patients) < 2 || !singleItemOps[x.Operation] {
		return
	}
	v := s.entryItem(ctx, x)
	if v == nil {
		return
	}
	if cp, ok := s.policy.(*ConsentPolicy); ok && v.Type == "Binary" {
		if _, item, err := cp.binaryNow(ctx, &v.Meta); err == nil && item != nil {
			v = item
		}
	}
	id, nhs := subjectNamed(decodeMap(v.Raw))
	if id == "" && nhs != "" {
		for _, p := range x.Patients {
			if pc, err := s.store.PatientContext(ctx, p); err == nil && nhsOfPerson(ctx, s.store, p, pc) == nhs {
				id = p
				break
			}
		}
	}
	if i := slices.Index(x.Patients, id); i > 0 {
		x.Patients = slices.Insert(slices.Delete(x.Patients, i, i+1), 0, id)
	}
}

// entryItem is the item a request on one item was about, with its body:
// the version it released (a read's, a write's, a matched conditional
// create's), else the current one; for a deleted item, the version its
// delete ended.
func (s *Server) entryItem(ctx context.Context, x *Exchange) *store.Version {
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

// subjectNamed is the person the element naming an item's focal person
// (subject, patient, beneficiary) names: a Patient's id, or the NHS
// number its identifier gives.
func subjectNamed(m map[string]any) (id, nhs string) {
	for _, k := range []string{"subject", "patient", "beneficiary"} {
		r, ok := m[k].(map[string]any)
		if !ok {
			continue
		}
		ref, _ := r["reference"].(string)
		if n, ok := search.NormalizeReference(ref); ok {
			if id, ok := strings.CutPrefix(n, "Patient/"); ok {
				return id, ""
			}
		}
		if ident, ok := r["identifier"].(map[string]any); ok {
			sys, _ := ident["system"].(string)
			val, _ := ident["value"].(string)
			if n, err := fhir.NormaliseNHSNumber(val); err == nil && fhir.IsNHSNumberSystem(sys) {
				return "", n
			}
		}
		return "", ""
	}
	return "", ""
}
