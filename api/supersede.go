package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// decideWrites runs the write decision on each write inside the store's
// transaction, so that it sees the version each replaces: a matched
// conditional create stores nothing, so it writes to nothing (the match
// may be another organisation's) and supersedes nothing.
func (s *Server) decideWrites(ctx context.Context, p *auth.Principal, x *Exchange, lookup store.Lookup, ws []*store.Write) error {
	// Logged against everyone it would touch, allowed or not, though the
	// first refusal ends the decision.
	for _, w := range ws {
		x.noteWritten(w.Patients)
	}
	// What the request stores: a matched conditional create stores
	// nothing, so it does not count as the person's data beside a Consent
	// (MayWrite's batch).
	matches := make([]bool, len(ws))
	stored := make([]*store.Write, 0, len(ws))
	for i, w := range ws {
		m, err := conditionMatches(lookup, w)
		if err != nil {
			return err
		}
		if matches[i] = m; !m {
			stored = append(stored, w)
		}
	}
	for i, w := range ws {
		matched := matches[i]
		var existing *store.Meta
		var err error
		if !matched {
			if existing, err = lookup.Current(w.Type, w.ID); err != nil {
				return err
			}
		}
		if existing != nil {
			x.noteWritten(existing.Patients)
		}
		if err := s.policy.MayWrite(ctx, p, w, existing, stored); err != nil {
			if errors.As(err, new(withheldError)) {
				x.withheldWrite()
			}
			return err
		}
		if err := maskedWriteBack(lookup, w, existing); err != nil {
			return err
		}
		if !matched {
			if err := s.supersede(lookup, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// maskedWriteBack refuses an update that carries more masked references
// than the version it replaces: a user whose role does not see everything
// an item points at read it with those references masked, and writing it
// back would silently lose what they named.
func maskedWriteBack(lookup store.Lookup, w *store.Write, existing *store.Meta) error {
	if existing == nil || existing.Deleted || w.Op == store.OpDelete {
		return nil
	}
	n := maskedMarks(w.Raw, w.Resource)
	if n == 0 {
		return nil
	}
	v, err := lookup.Get(w.Type, w.ID)
	if err != nil || v == nil {
		return err
	}
	if n > maskedMarks(v.Raw, decodeMap(v.Raw)) {
		return fmtErr(ErrMaskedWriteBack, "%s/%s holds a reference carex masked for you (an extension data-absent-reason \"masked\" where the reference was): storing it would lose what it points at; ask a colleague whose role sees the whole item to make the change, or make it from your organisation's system", w.Type, w.ID)
	}
	return nil
}

// conditionMatches: w is a create whose If-None-Exist matches a resource
// the writer sees, which the store will answer with instead of storing w.
func conditionMatches(lookup store.Lookup, w *store.Write) (bool, error) {
	if w.Op != store.OpCreate || w.IfNoneExist == nil {
		return false, nil
	}
	found, err := lookup.Search(w.IfNoneExist)
	if err != nil {
		return false, err
	}
	return len(visibleOnly(found, w.Visible)) > 0, nil
}

// supersede marks the patient's older active patient-privacy Consents
// that w's organisation recorded inactive when w records a newer one, in
// the same transaction: the newer consent decides, and the older stays in
// history as inactive. w supersedes unless the older is dated after it
// (consent.NewerThan): when dateTimes cannot be ordered at their precision
// (2025-03-10 beside 2025-03-10T09:00Z) the order of recording decides; an
// older one without dateTime (written by an earlier release) was stored
// before w. (Stored Consents that neither supersedes, from an earlier
// release, both count in the engine, and withhold wins.) A newer Consent limited to a period (its root's) only pauses the
// older ones while it is in force: they stay active; so does one whose
// root action excludes reads (correct only): it does not replace a
// Consent about reads. Another organisation's consents stay in force
// beside it (the engine lets withhold win between recorders): an
// organisation the person objected to cannot lift the objection by
// recording a consent of its own.
func (s *Server) supersede(lookup store.Lookup, w *store.Write) error {
	if w.Type != "Consent" || w.Op == store.OpDelete || len(w.Patients) != 1 {
		return nil
	}
	newer, err := consent.ParseConsent(w.Raw)
	if err != nil || newer.Status != "active" || newer.Scope != "patient-privacy" || newer.DateTime.IsZero() || newer.Bounded() || !newer.GovernsReads() {
		return nil
	}
	newer.RecordedBy(time.Now()) // as the engine will read it once stored
	found, err := lookup.Search(&search.Query{Type: "Consent", Clauses: []search.Clause{
		{Param: "patient", Type: search.Reference, Values: []search.Value{{Ref: "Patient/" + w.Patients[0]}}},
		{Param: "status", Type: search.Token, Values: []search.Value{{Code: "active"}}},
	}})
	if err != nil {
		return err
	}
	for _, m := range found {
		if m.ID == w.ID || !strings.EqualFold(m.SourceOrg, w.SourceOrg) {
			continue
		}
		v, err := lookup.Get("Consent", m.ID)
		if err != nil || v == nil {
			return err
		}
		older, err := consent.ParseConsent(v.Raw)
		if err == nil {
			older.RecordedBy(v.LastUpdated)
		}
		// Kept when dated after the new one. When the two cannot be
		// ordered at their precision (both dated 2025-03-10, or one that
		// day at 09:00), the order of recording decides: the new one,
		// written now, supersedes (a same-day withdrawal of an objection).
		if err != nil || older.Scope != "patient-privacy" || older.NewerThan(newer) {
			continue
		}
		raw, ok := setTopLevel(v.Raw, "status", []byte(`"inactive"`))
		if !ok {
			continue
		}
		r, err := fhir.Parse(raw)
		if err != nil {
			return err
		}
		// Still the older consent's record: its source organisation stays.
		sw := &store.Write{Op: store.OpUpdate, Type: "Consent", ID: m.ID, Raw: r.Raw, Resource: r.Map, SourceOrg: v.SourceOrg}
		s.derive(sw)
		lookup.Add(sw)
	}
	return nil
}
