package api

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// LegacySupersessionEnd is when carex stopped rewriting a recorder's
// older patient-privacy Consents to inactive on recording a newer one
// (commit dcec54a): since then the newer supersedes them in the decision
// alone. A version stored after it was never written by that rewrite.
var LegacySupersessionEnd = time.Date(2026, 12, 3, 20, 32, 28, 0, time.UTC)

// RestoredConsent is one Consent brought back to the status its recorder
// gave it.
type RestoredConsent struct {
	ID           string
	Inactive     int64     // the version the earlier release wrote
	Restored     int64     // the version that restores it (0: only found)
	MadeInactive time.Time // when the earlier release wrote it

	prev *store.Version // the version before it, which the restore stores again
}

// LegacyInactiveConsents finds the Consents an earlier release rewrote to
// inactive, stored before `before`, and not changed since: the current
// version is the previous one with status "inactive" and nothing else
// changed, by the same organisation, stored at the very instant (one
// transaction) as an active patient-privacy Consent of the same
// organisation for the same person. An inactive status a recorder wrote
// itself — on its own, or with any other change — is left alone: an
// organisation may withdraw a permit that way.
func (s *Server) LegacyInactiveConsents(ctx context.Context, before time.Time) ([]RestoredConsent, error) {
	inactive, err := s.store.Search(ctx, &search.Query{Type: "Consent", Count: math.MaxInt32, Clauses: []search.Clause{
		{Param: "status", Type: search.Token, Values: []search.Value{{Code: "inactive"}}},
	}}, func(m *store.Meta) bool { return m.VersionID >= 2 && m.LastUpdated.Before(before) })
	if err != nil {
		return nil, fmt.Errorf("finding inactive Consents: %w", err)
	}
	if len(inactive.Items) == 0 {
		return nil, nil
	}
	type instant struct {
		ms  int64
		org string
	}
	at := map[instant]bool{}
	earliest := inactive.Items[0].LastUpdated
	for _, v := range inactive.Items {
		at[instant{v.LastUpdated.UnixMilli(), v.SourceOrg}] = true
		if v.LastUpdated.Before(earliest) {
			earliest = v.LastUpdated
		}
	}
	// Every Consent version stored at one of those instants by the same
	// organisation: the newer Consent each rewrite came with.
	same, err := s.store.History(ctx, "Consent", "", earliest, func(m *store.Meta) bool {
		return !m.Deleted && at[instant{m.LastUpdated.UnixMilli(), m.SourceOrg}]
	}, store.Page{Count: math.MaxInt32})
	if err != nil {
		return nil, fmt.Errorf("reading Consent history: %w", err)
	}
	var found []RestoredConsent
	for _, v := range inactive.Items {
		prev, err := s.store.VRead(ctx, "Consent", v.ID, v.VersionID-1)
		if err != nil || prev.Deleted || prev.SourceOrg != v.SourceOrg || !onlyMadeInactive(prev.Raw, v.Raw) {
			continue
		}
		older, err := consent.ParseConsent(prev.Raw)
		if err != nil {
			continue
		}
		older.RecordedBy(prev.LastUpdated, prev.VersionID == 1)
		if !storedWithNewer(v, older, same.Items) {
			continue
		}
		found = append(found, RestoredConsent{ID: v.ID, Inactive: v.VersionID, MadeInactive: v.LastUpdated, prev: prev})
	}
	return found, nil
}

// storedWithNewer: among same (Consent versions stored at v's instant by
// v's organisation), another Consent for one of v's people that the
// earlier release's rewrite would have superseded older (v's previous
// version) with: active, about the person's privacy, dated, not limited
// to a period, about reads, and not dated before older (review 5d: an
// organisation's own withdrawal stored beside a Consent the rewrite would
// never have made it inactive for was restored, an HIV permit among them).
func storedWithNewer(v *store.Version, older *consent.Consent, same []*store.Version) bool {
	for _, o := range same {
		if o.ID == v.ID || !o.LastUpdated.Equal(v.LastUpdated) || o.SourceOrg != v.SourceOrg || !sharePatient(o.Patients, v.Patients) {
			continue
		}
		c, err := consent.ParseConsent(o.Raw)
		if err != nil || c.Status != "active" || c.Scope != "patient-privacy" || c.DateTime.IsZero() || c.Bounded() || !c.GovernsReads() {
			continue
		}
		c.RecordedBy(o.LastUpdated, false)
		if older.Scope == "patient-privacy" && !older.NewerThan(c) {
			return true
		}
	}
	return false
}

func sharePatient(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// onlyMadeInactive: after is before with status "active" turned
// "inactive" and nothing else changed (meta is the server's).
func onlyMadeInactive(before, after []byte) bool {
	b, a := decodeMap(before), decodeMap(after)
	if b == nil || a == nil || b["status"] != "active" || a["status"] != "inactive" {
		return false
	}
	for _, m := range []map[string]any{b, a} {
		delete(m, "status")
		delete(m, "meta")
	}
	return reflect.DeepEqual(b, a)
}

// RestoreLegacyInactiveConsents stores, for each Consent
// LegacyInactiveConsents finds, a new version with the body its recorder
// last wrote (status active): the engine, not a rewrite, now decides
// which of a recorder's Consents is in force, so correcting the newer one
// (entered-in-error, a delete) brings the older back. The inactive
// version stays in the history. Each is written only if still current.
func (s *Server) RestoreLegacyInactiveConsents(ctx context.Context, before time.Time) ([]RestoredConsent, error) {
	found, err := s.LegacyInactiveConsents(ctx, before)
	if err != nil {
		return nil, err
	}
	for i := range found {
		r := &found[i]
		prev := r.prev
		w := &store.Write{Op: store.OpUpdate, Type: "Consent", ID: r.ID, IfMatch: r.Inactive,
			Raw: prev.Raw, Resource: decodeMap(prev.Raw), SourceOrg: prev.SourceOrg}
		s.derive(w)
		res, err := s.store.Commit(ctx, []*store.Write{w}, func(lookup store.Lookup) error {
			return resolvePeople(lookupFinder(lookup), w) // a Consent naming its person by NHS number
		})
		if err != nil {
			return found[:i], fmt.Errorf("restoring Consent/%s: %w", r.ID, err)
		}
		r.Restored = res[0].Version.VersionID
	}
	return found, nil
}
