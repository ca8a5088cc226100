package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// explain answers an IG officer's question "what would this user see of
// this person's record, and why?": the gate decision and, for every item,
// released or withheld with the reasons (layer, code, Consent and
// provision). It lists items by type, id, class and source only — never
// their clinical content.
//
//	GET /fhir/Patient/{id}/$explain?role=…&org=…&sector=…[&sub=…][&purpose=…][&break-glass=…]
func (s *Server) explain(c echo.Context) error {
	x, p, err := s.begin(c, "explain")
	if err != nil {
		return err
	}
	cp, ok := s.policy.(*ConsentPolicy)
	if !ok {
		return fmtErr(ErrNotSupported, "$explain needs the consent policy")
	}
	if role := cp.Policy.Role(p.Role); role == nil || !role.Audit {
		return fmtErr(ErrForbidden, "$explain is for IG officers")
	}
	q := c.QueryParams()
	for k, vs := range q {
		switch k {
		case "sub", "name", "role", "org", "sector", "purpose", "break-glass", "_format":
		default:
			return fmtErr(search.ErrUnknownParam, "$explain does not take %q (it takes role, org, sector, and sub, name, purpose, break-glass where they matter)", k)
		}
		if len(vs) > 1 {
			// (review 82d: the first was taken, explaining another user)
			return fmtErr(search.ErrBadValue, "%s given %d times: give it once", k, len(vs))
		}
	}
	u := consent.User{Sub: q.Get("sub"), Name: q.Get("name"), Role: q.Get("role"), Org: q.Get("org"), Sector: q.Get("sector"),
		Purpose: q.Get("purpose"), BreakGlassReason: q.Get("break-glass")}
	if u.Role == "" || u.Org == "" {
		return fmtErr(ErrBadRequest, "$explain needs the user's role, org and sector (and sub, purpose if they matter)")
	}
	// The user as a token carries them: every token's sector is nhs or
	// council, and a Consent may deny a sector (review 19b: without it a
	// council social worker was explained as seeing what Arthur denied
	// the council).
	if err := auth.CheckOrg(u.Org, u.Sector); err != nil {
		return fmtErr(ErrBadRequest, "$explain: %v; give org= and sector=nhs or sector=council as the user's token carries them", err)
	}
	switch f := q.Get("_format"); f {
	case "", "json", "application/json", "application/fhir+json":
	default:
		return fmtErr(ErrBadRequest, "_format=%q: $explain answers as FHIR JSON (Parameters) only", f)
	}
	ctx := c.Request().Context()
	if u.Purpose == "" {
		u.Purpose = auth.DefaultPurpose // as for a token without one (sourceKeeps reads it)
	}
	named := u.Sub != ""
	if !named {
		u.Sub = "explain"
	}
	// granted: whether a grant this user holds from breaking glass
	// earlier, for this organisation, opens person pid's record to them
	// now, as it does for their own requests: each person's own grant
	// (gate.prepareFor), so one for this person opens no one else's. The
	// user is taken to be named by the IG officer's token issuer (the
	// server's own; $explain takes no issuer).
	granted := func(pid string) (bool, error) {
		if !named || u.BreakGlassReason != "" {
			return false, nil
		}
		until, err := s.store.BreakGlassUntil(ctx, store.Grantee{Issuer: p.Issuer, Sub: u.Sub, Org: u.Org}, pid)
		if err != nil {
			return false, err
		}
		return cp.now().Before(until), nil
	}
	if u.BreakGlassGranted, err = granted(x.ID); err != nil {
		return err
	}
	pc, err := s.store.PatientContext(ctx, x.ID)
	if err != nil {
		return err
	}
	if pc.Patient == nil && len(pc.Sources) == 0 {
		return fmtErr(store.ErrNotFound, "Patient/%s", x.ID)
	}
	// The IG officer's own access to the person: the explained user's
	// decision is made apart from a gate (preparedFrom), so nothing else
	// notes a restricted person on this request's entry, and every access
	// to one raises an IG alert (SPEC §5; review 31c).
	g := cp.gate(ctx, p, x)
	g.noteRestricted(ctx, []string{x.ID})
	pp, err := cp.preparedFrom(ctx, u, x.ID, pc)
	if err != nil {
		return err
	}
	res, err := s.store.Compartment(ctx, x.ID, nil, nil, store.Page{Count: 0})
	if err != nil {
		return err
	}
	items, err := s.store.Compartment(ctx, x.ID, nil, nil, store.Page{Count: res.Total})
	if err != nil {
		return err
	}
	type part struct {
		Name           string         `json:"name"`
		ValueString    string         `json:"valueString,omitempty"`
		ValueCode      string         `json:"valueCode,omitempty"`
		ValueReference map[string]any `json:"valueReference,omitempty"`
		Part           []part         `json:"part,omitempty"`
	}
	decision := func(name string, d consent.Decision) part {
		out := part{Name: name, Part: []part{{Name: "effect", ValueCode: d.Effect.String()}}}
		for _, r := range d.Reasons {
			code := r.Code
			if r.Layer == consent.LayerSensitivity {
				// legally-restricted would tell the IG officer that the
				// person has assisted-fertilisation or gender-history
				// records: every label is reported alike.
				code = consent.CodeSensitive
			}
			rp := part{Name: "reason", Part: []part{{Name: "layer", ValueCode: r.Layer}, {Name: "code", ValueCode: code}}}
			if r.ConsentID != "" {
				rp.Part = append(rp.Part, part{Name: "consent", ValueReference: map[string]any{"reference": "Consent/" + r.ConsentID}})
			}
			if r.ProvisionPath != "" {
				rp.Part = append(rp.Part, part{Name: "provision", ValueString: r.ProvisionPath})
			}
			// A sensitivity reason's detail names the label (HIV, PSY):
			// clinical content, which the IG officer asking never sees.
			if r.Detail != "" && r.Layer != consent.LayerSensitivity {
				rp.Part = append(rp.Part, part{Name: "detail", ValueString: r.Detail})
			}
			out.Part = append(out.Part, rp)
		}
		return out
	}
	params := []part{decision("open", pp.Open())}
	released, withheld := 0, 0
	// Each item is decided as a read decides it (gate.decide): the user's
	// own organisation's data without anyone else's decision (ownData),
	// and so, break-glass or not, an item that also names someone carex
	// could not identify, which is otherwise withheld (sourceKeeps; the
	// marker is no Patient id to look up). An item several people share
	// is decided for each of them: the explained user's view of the
	// others, whom break-glass for this person brings along only where
	// their own Consents do not withhold it (bgAlong).
	others := map[string]*personDecision{}
	theirs := map[string]*personDecision{} // (the others decided without break-glass)
	// prepared is another person's decision for user ou (with the grant
	// ou holds for them), from cache or made and kept there.
	prepared := func(ou consent.User, pid string, cache map[string]*personDecision) (*personDecision, error) {
		if op, ok := cache[pid]; ok {
			return op, nil
		}
		var err error
		if ou.BreakGlassGranted, err = granted(pid); err != nil {
			return nil, err
		}
		opc, err := s.store.PatientContext(ctx, pid)
		if err != nil {
			return nil, err
		}
		op, err := cp.preparedFrom(ctx, ou, pid, opc)
		if err != nil {
			return nil, err
		}
		cache[pid] = op
		return op, nil
	}
	// decideAlone decides an item of other people alone as a read
	// decides it for them without break-glass: their source's own, or
	// each of them permitting it.
	decideAlone := func(v *store.Version, it *consent.Item, cache map[string]*personDecision) (consent.Decision, error) {
		ou := u
		ou.BreakGlassReason = ""
		if cp.sourceKeeps(ou, &v.Meta) {
			return consent.Decision{Effect: consent.Permit}, nil
		}
		if hasUnresolved(v.Patients) {
			return consent.Decision{Effect: consent.Withhold, Reasons: []consent.Reason{{Layer: consent.LayerRelationship, Code: consent.CodeNoRelationship,
				Detail: "it also names someone carex could not identify: it stays with its source organisation"}}}, nil
		}
		d := consent.Decision{Effect: consent.Permit}
		for _, pid := range v.Patients {
			op, err := prepared(ou, pid, cache)
			if err != nil {
				return d, err
			}
			if od := op.Decide(it); !od.Permitted() {
				return od, nil
			}
		}
		return d, nil
	}
	decideFor := func(v *store.Version, it *consent.Item) (consent.Decision, error) {
		// An item that is not this person's (a target of a provenance of
		// hers) is decided as theirs alone, whom break-glass for her
		// does not open (bgOwn; review 111c: another person's admission
		// a provenance of hers also targets was explained as released to
		// a stranger who broke glass for her).
		if len(v.Patients) > 0 && !slices.Contains(v.Patients, x.ID) && u.BreakGlassReason != "" {
			return decideAlone(v, it, theirs)
		}
		d := pp.Decide(it)
		if !d.Permitted() {
			return d, nil
		}
		unknown := hasUnresolved(v.Patients)
		if cp.sourceKeeps(u, &v.Meta) && (u.BreakGlassReason == "" || unknown) {
			return d, nil
		}
		if unknown {
			return consent.Decision{Effect: consent.Withhold, Reasons: []consent.Reason{{Layer: consent.LayerRelationship, Code: consent.CodeNoRelationship,
				Detail: "it also names someone carex could not identify: it stays with its source organisation"}}}, nil
		}
		for _, pid := range v.Patients {
			if pid == x.ID {
				continue
			}
			op, err := prepared(u, pid, others)
			if err != nil {
				return d, err
			}
			od := op.Decide(it)
			if od.Permitted() && u.BreakGlassReason != "" && op.ConsentWithholds(it) {
				od = consent.Decision{Effect: consent.Withhold, Reasons: []consent.Reason{{Layer: consent.LayerConsent, Code: consent.CodeConsentDeny,
					Detail: "another person it names withholds it by their Consent, which break-glass for this person does not override"}}}
			}
			if !od.Permitted() {
				return od, nil
			}
		}
		return d, nil
	}
	for _, v := range items.Items {
		var item *store.Version // a Binary's: released too, or the Binary is not (gate.decide)
		if v.Type == "Binary" {
			now, of, err := cp.binaryNow(ctx, &v.Meta)
			if err != nil {
				return err
			}
			if !slices.Contains(now.Patients, x.ID) {
				continue // no longer theirs (ofPerson)
			}
			v, item = &store.Version{Meta: *now, Raw: v.Raw}, of
		}
		var targets []provTarget
		if v.Type == "Provenance" {
			var err error
			if targets, err = cp.provenanceNow(ctx, &v.Meta); err != nil {
				return err
			}
			if provenanceLeft(targets, x.ID) {
				continue // no longer theirs (ofPerson)
			}
		}
		// Listed by type, id, class and source: an access to everyone
		// the item names, a restricted one among them raising the alert
		// too (review 31c).
		g.noteRestricted(ctx, v.Patients)
		it := itemOf(&v.Meta)
		var d consent.Decision
		var err error
		if item != nil {
			d, err = decideFor(item, itemOf(&item.Meta))
		}
		if err == nil && (item == nil || d.Permitted()) {
			d, err = decideFor(v, it)
		}
		if err == nil && d.Permitted() && v.Type == "Provenance" && !cp.sourceKeeps(u, &v.Meta) {
			d, err = provenanceExplained(targets, d, decideFor)
		}
		if err != nil {
			return err
		}
		if d.Permitted() {
			released++
		} else {
			withheld++
		}
		ip := decision("item", d)
		ip.Part = append([]part{
			{Name: "resource", ValueReference: map[string]any{"reference": v.Type + "/" + v.ID}},
			{Name: "class", ValueCode: v.DataClass},
			{Name: "source", ValueString: v.SourceOrg},
		}, ip.Part...)
		params = append(params, ip)
	}
	params = append(params, part{Name: "summary", ValueString: fmtCount(released, withheld)})
	body, err := json.Marshal(map[string]any{"resourceType": "Parameters", "parameter": params})
	if err != nil {
		return err
	}
	x.Patient = x.ID
	return respond(c, http.StatusOK, body, nil)
}

func fmtCount(released, withheld int) string {
	return strconv.Itoa(released) + " released, " + strconv.Itoa(withheld) + " withheld"
}

// provenanceExplained is d, the decision of a Provenance by its own
// people, as a request makes it (gate.targetsSeen): withheld, with the
// target's reasons, unless every item it targets (provenanceNow) is
// released as decideFor decides them (a Binary with the item its
// securityContext names now). A target not stored is no one's; a deleted
// one withholds it, as a reference to it is masked.
func provenanceExplained(targets []provTarget, d consent.Decision, decideFor func(*store.Version, *consent.Item) (consent.Decision, error)) (consent.Decision, error) {
	for _, t := range targets {
		switch {
		case t.unread:
			return consent.Decision{Effect: consent.Withhold, Reasons: []consent.Reason{{Layer: consent.LayerRelationship, Code: CodeTargetsUndecided,
				Detail: "it is the provenance of more items than carex decides a provenance by"}}}, nil
		case t.typ == "" || t.typ == "Patient" || unlookedDirectory(t.typ) && t.now == nil && !t.gone:
			continue // (a labelled directory item is read, and decided: review 31b)
		case t.gone:
			return consent.Decision{Effect: consent.Withhold, Reasons: []consent.Reason{{Layer: consent.LayerRelationship, Code: CodeTargetDeleted,
				Detail: "it is the provenance of " + t.typ + "/" + t.id + ", which is deleted"}}}, nil
		case t.now == nil:
			continue
		}
		for _, m := range [...]struct {
			now *store.Meta
			of  *store.Version
		}{{t.now, t.of}, {t.was, t.wasOf}} {
			if m.of != nil {
				if td, err := decideFor(m.of, itemOf(&m.of.Meta)); err != nil || !td.Permitted() {
					return td, err
				}
			}
			if m.now == nil {
				continue
			}
			if td, err := decideFor(&store.Version{Meta: *m.now}, itemOf(m.now)); err != nil || !td.Permitted() {
				return td, err
			}
		}
	}
	return d, nil
}

// CodeTargetDeleted: $explain's reason for withholding the provenance of
// a deleted item.
const CodeTargetDeleted = "target-deleted"

// CodeTargetsUndecided: $explain's reason for withholding a provenance of
// more items than carex decides one by (maxProvenanceTargets; a request
// withholds it too).
const CodeTargetsUndecided = "targets-undecided"

// preparedFrom is u's prepared decision for person pid, whose sharing
// context is pc, with their linked records.
func (cp *ConsentPolicy) preparedFrom(ctx context.Context, u consent.User, pid string, pc *store.PatientContext) (*personDecision, error) {
	pat, linked, err := cp.person(ctx, deriveContext(pid, pc), pc, nil)
	if err != nil {
		return nil, err
	}
	return preparePerson(cp.Policy, u, pat, linked, cp.now()), nil
}
