package api

import (
	"context"
	"errors"

	"github.com/carex-project/carex/store"
)

// DerivationRevision names how this release works out what a write stores
// beside the resource: compartment, data class, labels, codes and clinical
// date. A release that works any of them out differently changes it: the
// records keep the revision they were derived under, with the policy's
// code lists, and serve and import refuse them until carex relabel has
// derived them again (an upgrade's "run carex relabel" was the README's
// word alone: until it ran, items were decided with what the earlier
// release had derived).
const DerivationRevision = "2026-12-08h"

// ErrNoRelabel: the store cannot work derived fields out again in place.
var ErrNoRelabel = errors.New("this store cannot relabel in place")

// Relabel works out every stored version's compartment, data class,
// labels, codes and clinical date again, as a write would now (this
// release's rules, the server's policy), and stores what changed. Labels
// are set when data is written; after an upgrade or a policy change, data
// written before keeps the old ones until this runs.
func (s *Server) Relabel(ctx context.Context) (store.RelabelStats, error) {
	r, ok := s.store.(store.Relabeler)
	if !ok {
		return store.RelabelStats{}, ErrNoRelabel
	}
	find := s.storeFinder(ctx)
	derive := func(v *store.Version) (store.Derived, error) {
		m := decodeMap(v.Raw)
		if m == nil {
			return store.Derived{}, errors.New("stored body is not a JSON object")
		}
		w := &store.Write{Op: store.OpUpdate, Type: v.Type, ID: v.ID, Raw: v.Raw, Resource: m, SourceOrg: v.SourceOrg}
		s.derive(w)
		// A person named by NHS number alone is the Patient that now
		// carries it (one who arrived after the item did), as a write
		// would find them.
		// Only among the Patients personAdmits takes for its source:
		// relabel has no writer whose view to ask.
		f := find
		if needsLookup(w.Patients) {
			f.admit = s.personAdmits(ctx, v.SourceOrg, nil)
		}
		if err := resolvePeople(f, w); err != nil {
			return store.Derived{}, err
		}
		// A Provenance takes the people of the items it targets: only its
		// own organisation's (no writer to ask what it may see).
		current := func(typ, id string) (*store.Meta, error) {
			t, err := s.store.Read(ctx, typ, id)
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return &t.Meta, nil
		}
		if err := targetPeople(s.asBinaryNow(ctx, current), func(*store.Meta) bool { return false }, []*store.Write{w}); err != nil {
			return store.Derived{}, err
		}
		// A Binary may take its people and labels from the item its
		// securityContext names (binaryContext); all else comes from the
		// body, the policy and the Patients' NHS numbers.
		return store.Derived{DataClass: w.DataClass, Labels: w.Labels, Patients: w.Patients, Codes: w.Codes, OtherCodes: w.OtherCodes, Date: w.Date, DateEnd: w.DateEnd,
			ReadsStore: w.Type == "Binary" || w.Type == "Provenance"}, nil
	}
	return r.Relabel(ctx, derive)
}
