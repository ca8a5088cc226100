package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store"
)

// decideWrites runs the write decision on each write inside the store's
// transaction, so that it sees the version each replaces: a matched
// conditional create stores nothing, so it writes to nothing (the match
// may be another organisation's). It rewrites no other resource: a newer
// Consent supersedes its recorder's older ones in the decision alone
// (consent.Prepared), and they stay stored as recorded (marking them
// inactive here left an objection inactive for good once the newer was
// corrected, review 4i1).
func (s *Server) decideWrites(ctx context.Context, p *auth.Principal, x *Exchange, lookup store.Lookup, ws []*store.Write) error {
	base := strings.TrimSuffix(s.cfg.BaseURL, "/")
	if x != nil && x.base != "" {
		base = x.base
	}
	for _, w := range ws {
		err := checkForeignPatientRefs(w, base)
		if w.Type == "Subscription" && w.Op != store.OpDelete {
			// carex notifies no one: stored, it would stay "requested"
			// for ever, its client waiting (review 82d)
			err = fmtErr(ErrMethodNotAllowed, "%sSubscription: carex sends no notifications, so a Subscription would be stored and never acted on: poll with _lastUpdated=ge… (or $everything's _since) instead", whereOf(w))
		}
		if err != nil {
			for _, w := range ws {
				x.noteWritten(w.Patients)
			}
			return err
		}
	}
	// People named by NHS number alone are found now, as the transaction
	// sees the Patients (resolvePeople), and decided as the others.
	if err := resolvePeople(s.writerFinder(ctx, p, x, lookup, ws), ws...); err != nil {
		return err
	}
	// A Provenance is the people's of the items it targets, as the
	// writer may see them (named.go).
	if provenanceWrites(ws) {
		vis := s.policy.Visible(ctx, p, x)
		admit := func(m *store.Meta) bool { return vis == nil || vis(m) }
		if err := targetPeople(s.asBinaryNow(ctx, lookup.Current), admit, ws); err != nil {
			return err
		}
	}
	// What the request stores: a matched conditional create stores
	// nothing, so it does not count as the person's data beside a Consent
	// (MayWrite's batch), nor is it logged against the person it would
	// have created (a Patient id made up and never stored).
	matches := make([]bool, len(ws))
	stored := make([]*store.Write, 0, len(ws))
	for i, w := range ws {
		m, err := conditionMatches(lookup, w)
		if err != nil {
			for _, w := range ws {
				x.noteWritten(w.Patients)
			}
			return err
		}
		if matches[i] = m; !m {
			stored = append(stored, w)
		}
	}
	// Logged against everyone it would touch, allowed or not, though the
	// first refusal ends the decision.
	for _, w := range stored {
		x.noteWritten(w.Patients)
	}
	// So are the people of every item it would replace, looked up before
	// any is decided (review 14a: a transaction refused at its first
	// entry was not logged under the person whose item a later entry
	// would have deleted, or moved to someone else).
	existings := make([]*store.Meta, len(ws))
	for i, w := range ws {
		if matches[i] {
			continue
		}
		existing, err := lookup.Current(w.Type, w.ID)
		if err != nil {
			return err
		}
		if existings[i] = existing; existing != nil {
			x.noteWritten(existing.Patients)
			if err := s.noteBinaryWritten(ctx, x, existing); err != nil {
				return err
			}
		}
	}
	if len(ws) == 1 && !matches[0] && x != nil {
		// (a matched conditional create is about the item it matched,
		// which the entry finds by what it released: entryItem)
		subject, err := writeSubject(lookup, ws[0], existings[0], x.written)
		if err != nil {
			return err
		}
		x.itemSubject = subject
	}
	for i, w := range ws {
		existing := existings[i]
		if err := s.policy.MayWrite(ctx, p, x, w, existing, stored); err != nil {
			if errors.As(err, new(withheldError)) {
				x.withheldWrite()
			}
			return err
		}
		if cp, ok := s.policy.(*ConsentPolicy); ok && x != nil && w.Type == "Consent" && w.Op != store.OpDelete && !matches[i] {
			cp.noteClaimedConsent(ctx, p, x, w, stored)
		}
		if w.Op == store.OpDelete && existing == nil && !matches[i] {
			// Answered here, where a withheld item's DELETE is (MayWrite),
			// not by the store after the later entries are decided (review
			// 55d: a transaction deleting a withheld id answered 404, and one
			// deleting an id never stored the 403 of its next entry, so it
			// told a taken id from a free one, storing nothing).
			return fmt.Errorf("%s/%s: %w", w.Type, w.ID, store.ErrNotFound)
		}
		if err := maskedWriteBack(lookup, w, existing); err != nil {
			return err
		}
		if err := s.copiesWriteBack(ctx, p, x, lookup, w, existing); err != nil {
			return err
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
		return fmtErr(ErrMaskedWriteBack, "%s/%s holds a reference or link carex masked for you (an extension data-absent-reason \"masked\" where a reference was, or #(masked) where a link or url was): storing it would lose what it points at; ask a colleague whose role sees the whole item to make the change, or make it from your organisation's system", w.Type, w.ID)
	}
	return nil
}

// copiesWriteBack refuses an update that carries fewer copies of withheld
// labelled directory items (Bundle entries, parameters, contained
// resources, in the body or its attachments' FHIR JSON) than the version
// it replaces goes out to the writer with taken out: an entry taken out
// leaves no mark when nothing references it, and writing back what was
// read would silently lose it for everyone (review 36b), as a masked
// reference would (maskedWriteBack). The refusal says no count, nor what
// was excluded (SPEC §5; review 38b: it named copies of directory items).
func (s *Server) copiesWriteBack(ctx context.Context, p *auth.Principal, x *Exchange, lookup store.Lookup, w *store.Write, existing *store.Meta) error {
	cp, ok := s.policy.(*ConsentPolicy)
	if !ok || x == nil || existing == nil || existing.Deleted || w.Op == store.OpDelete {
		return nil
	}
	v, err := lookup.Get(w.Type, w.ID)
	if err != nil || v == nil || v.Raw == nil {
		return err
	}
	// (only a body with a nested resource or a payload holds such copies:
	// review 38b, a data: url's or a valueBase64Binary's too)
	if bytes.Count(v.Raw, []byte(`"resourceType"`)) < 2 && !mayCarryPayload(v.Raw) && !bytes.Contains(v.Raw, []byte(`\u`)) {
		return nil
	}
	cp.gate(ctx, p, x)
	mask := x.maskedRefs(v)
	if len(mask) == 0 {
		return nil
	}
	if n := countCopies(decodeMap(v.Raw), mask); n > 0 && countCopies(w.Resource, mask) < n {
		return fmtErr(ErrMaskedWriteBack, "%s/%s was released to you with some items excluded: storing it would lose them; ask a colleague whose role sees the whole item to make the change, or make it from your organisation's system", w.Type, w.ID)
	}
	return nil
}

// countCopies counts the copies of withheld labelled items (isCopy) that
// maskRefs would take out of res: contained resources and list elements'
// (Bundle entries', parameters') resources, in res and in its
// attachments' FHIR JSON.
func countCopies(res map[string]any, mask map[string]bool) int {
	n := 0
	count := func(m map[string]any) bool {
		for _, c := range asList(m["contained"]) {
			if r, ok := c.(map[string]any); ok && isCopy(r, "", false, mask) {
				n++
			}
		}
		for k, r := range nestedResources(m) {
			// (a response's outcome: review 38b; an entry's resource is
			// counted with its list, below)
			if k != "resource" && isCopy(r, "", true, mask) {
				n++
			}
		}
		for _, e := range m {
			list, _ := e.([]any)
			for _, x := range list {
				el, _ := x.(map[string]any)
				r, _ := el["resource"].(map[string]any)
				full, _ := el["fullUrl"].(string)
				if r != nil && isCopy(r, full, true, mask) {
					n++
				}
			}
		}
		return true
	}
	eachObject(res, "", count)
	for _, doc := range fhirAttachments(res) {
		eachObject(doc, "", count)
	}
	return n
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

// noteBinaryWritten notes, for the log, the people of the item a Binary
// being changed is the content of now (binaryNow), beside those copied
// onto it when it was written (review 8: the content of a letter moved
// from Jane to John is John's, read and decided as his, and its DELETE, or
// a PUT replacing it, was logged against Jane alone).
func (s *Server) noteBinaryWritten(ctx context.Context, x *Exchange, existing *store.Meta) error {
	cp, ok := s.policy.(*ConsentPolicy)
	if existing.Type != "Binary" || !ok {
		return nil
	}
	now, _, err := cp.binaryNow(ctx, existing)
	if err != nil {
		return err
	}
	x.noteWritten(now.Patients)
	return nil
}

// whereOf is "Bundle.entry[N]: " for a write from a Bundle's entry, ""
// for a single write.
func whereOf(w *store.Write) string {
	if w.Where == "" {
		return ""
	}
	return w.Where + ": "
}
