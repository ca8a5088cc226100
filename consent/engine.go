package consent

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// User is the person asking, as the token (and the X-Break-Glass header)
// describe them.
type User struct {
	Sub, Name, Role, Org, Sector, Purpose string
	// Practitioner is the user's own FHIR reference ("Practitioner/x"), if
	// the API knows it; "Practitioner/"+Sub always identifies the user too.
	Practitioner string
	// OrgRefs are other references to the user's organisation (e.g.
	// "Organization/6f1c…" when the Organization resource's id is not the ODS
	// code). "Organization/"+Org always matches.
	OrgRefs []string
	// BreakGlassReason is the X-Break-Glass header ("" = not asked for);
	// see ParseBreakGlass for its format.
	BreakGlassReason string
	// BreakGlassGranted: the API holds an unexpired break-glass grant for
	// this user and patient (made earlier with a valid reason).
	BreakGlassGranted bool
}

// Relationship kinds.
const (
	RelRegisteredGP  = "registered-gp"   // Patient.generalPractitioner
	RelCareTeam      = "care-team"       // member of an active CareTeam
	RelEpisodeOfCare = "episode-of-care" // managing organisation / team of an active EpisodeOfCare
	RelSource        = "source"          // the organisation recorded some of the patient's data
)

// Relationship is one organisation's legitimate relationship with the patient.
type Relationship struct {
	Org  string // ODS or council code
	Kind string
	// From and Until bound a registered-gp, care-team or episode-of-care
	// relationship (Until exclusive); zero = unbounded.
	From, Until time.Time
	// LastRecorded (source only): when the organisation last recorded data
	// for the patient. The relationship lasts Policy.SourceLifetime after
	// it; a zero LastRecorded is no relationship unless the lifetime is 0.
	LastRecorded time.Time
}

// Patient is what the engine needs about the person whose record is read.
type Patient struct {
	ID            string
	Restricted    bool // demographics confidentiality R: address, telecom, GP not released outside the source
	Relationships []Relationship
	// Consents: the patient's active Consents as stored (ParseConsent).
	// Non-active ones, other scopes and other patients' are ignored; of the
	// patient-privacy ones only the latest dateTime counts (supersession).
	Consents []*Consent
}

// about reports whether c is about p.
func (p *Patient) about(c *Consent) bool {
	return p.ID == "" || c.Patient == "" || c.Patient == "Patient/"+p.ID
}

// Item is one resource to be released or withheld.
type Item struct {
	Type, ID  string
	DataClass string // its own class, then those of resources inside it, joined by ClassSep
	SourceOrg string
	Labels    []string // meta.security codes plus Policy.Labels of its codes
	Codes     []Coding // the item's main code(s), for provision.code
	// OtherCodes: its other codings (a reason, a contained resource's
	// code). FHIR's provision.code applies "if this code is found in an
	// instance": a deny's code matches them too, a permit's only the main
	// code, so that no item is released for what it merely mentions.
	OtherCodes []Coding
	Date       time.Time // clinical date, for provision.dataPeriod; zero = unknown
	// DateEnd: the clinical date's last instant (inclusive) when it is a
	// range (a year, a month, a period); zero when Date is an instant. A
	// deny's dataPeriod covers an item whose range it overlaps, a permit's
	// only one whose range it holds whole.
	DateEnd time.Time
	Refs    []string // "Type/id" references the item makes, for data.meaning related
	Author  string   // "Practitioner/x" (or "PractitionerRole/x"), for AUT/CST actors and authoredby
	// RefsKnown says Refs lists every reference the item makes, and
	// AuthorKnown that Author is its author practitioner ("" = none). When
	// false (the zero value: the caller does not know), a provision
	// condition that needs them — data meaning related to another resource;
	// an AUT/CST actor or authoredby naming a practitioner — cannot be
	// decided, and the engine fails closed: a deny treats it as matched, a
	// permit as not matched (see the package documentation).
	RefsKnown, AuthorKnown bool
	// Restricted: a demographics item itself marked restricted (a Patient
	// version labelled R), redacted like a restricted person's even when
	// the person's current record is not.
	Restricted bool
}

// Layers named in reasons.
const (
	LayerPurpose      = "purpose"
	LayerRole         = "role"
	LayerRelationship = "relationship"
	LayerConsent      = "consent"
	LayerSensitivity  = "sensitivity"
	LayerBreakGlass   = "break-glass"
	LayerRestricted   = "restricted"
)

// LabelUnread marks an item whose content carex could not read for codes
// (compressed, or past a cap), beside R: it goes to its source alone,
// whatever the policy lists as sensitive, the person permits or
// break-glass releases (review 96b: a permit of R-labelled records
// released, as R, a compressed letter holding an HIV diagnosis).
const LabelUnread = "CAREX-UNREAD"

// Reason codes.
const (
	CodePurposeNotServed   = "purpose-not-served"
	CodeUnknownRole        = "unknown-role"
	CodeClassNotPermitted  = "class-not-permitted"
	CodeOwnOrgOnly         = "own-org-only"
	CodeNoRelationship     = "no-relationship"
	CodeConsentDeny        = "consent-deny"
	CodeSensitive          = "sensitive-label"
	CodeLegallyRestricted  = "legally-restricted"
	CodeBreakGlass         = "break-glass"          // Open: access under break-glass (IG review)
	CodeBreakGlassOverride = "break-glass-override" // item released only because of break-glass
	CodeBreakGlassRole     = "break-glass-role-not-allowed"
	CodeBreakGlassReason   = "break-glass-reason-invalid"
	CodeRestrictedPatient  = "restricted-patient"      // Open: IG alert
	CodeRestrictedDemogr   = "restricted-demographics" // item: redact address, telecom, GP
)

// Flags are obligations attached to a decision.
type Flags uint8

const (
	FlagBreakGlass Flags = 1 << iota // flag for IG review
	FlagRedact                       // redact address, telecom and generalPractitioner before release
	FlagIGAlert                      // raise an IG alert
)

// Reason explains one decision step.
type Reason struct {
	Layer         string
	Code          string
	ConsentID     string
	ProvisionPath string // e.g. "provision.provision[1]", or "policyRule"
	Detail        string // for the access log and IG only: may name withheld data
}

// Decision is the engine's answer. Reasons are shared between decisions
// and must not be modified.
type Decision struct {
	Effect  Effect
	Flags   Flags
	Reasons []Reason
}

// Permitted reports whether the decision releases the item.
func (d Decision) Permitted() bool { return d.Effect == Permit }

// Codes lists the reason codes, for the access log.
func (d Decision) Codes() []string {
	out := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		out[i] = r.Code
	}
	return out
}

// Explain renders the decision for IG officers and logs. It names consent
// provisions and labels: never show it to a refused user.
func (d Decision) Explain() string {
	var b strings.Builder
	b.WriteString(d.Effect.String())
	for i, r := range d.Reasons {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(r.Layer)
		b.WriteByte('/')
		b.WriteString(r.Code)
		if r.ConsentID != "" || r.ProvisionPath != "" {
			b.WriteString(" (Consent/")
			b.WriteString(r.ConsentID)
			if r.ProvisionPath != "" {
				b.WriteByte(' ')
				b.WriteString(r.ProvisionPath)
			}
			b.WriteByte(')')
		}
		if r.Detail != "" {
			b.WriteString(" — ")
			b.WriteString(r.Detail)
		}
	}
	for _, f := range []struct {
		f Flags
		s string
	}{{FlagBreakGlass, "IG review"}, {FlagRedact, "redact"}, {FlagIGAlert, "IG alert"}} {
		if d.Flags&f.f != 0 {
			b.WriteString(" [")
			b.WriteString(f.s)
			b.WriteByte(']')
		}
	}
	return b.String()
}

// pnode is a provision as one user sees it: the user/time conditions are
// already evaluated. Nodes are stored in pre-order; end is one past the
// last node of the subtree.
type pnode struct {
	p        *Provision
	userOK   bool // recipients, purpose, action (read), period all match
	explicit bool // an org/person recipient on the path named this user
	end      int
}

type pconsent struct {
	c     *Consent
	nodes []pnode
	// byGP: the Consent was recorded by the person's registered GP
	// practice, which may release any of their data; another recorder
	// releases only the data it is the source of.
	byGP bool
	// last: the Consent is dated and newer than every other that counts,
	// whoever recorded it: the person's latest word, which alone may
	// release sensitive data (review 62c: the GP's older permit of HIV
	// records to the hospital outlived the clinic's newer Consent naming
	// the nurses instead; an undated or unordered permit released HIV
	// beside a newer Consent). A withhold needs no such order: any
	// counted Consent's withhold wins.
	last bool
}

// Prepared is one user's view of one patient, built once per request.
// It is read-only afterwards: Decide may be called from many goroutines.
type Prepared struct {
	pol      *Policy
	user     User
	role     *RolePolicy
	org      string
	now      time.Time
	open     Decision
	bg       bool // break-glass in force
	bgAsked  bool
	related  bool // the user's organisation has a relationship with the patient
	restrict bool
	consents []pconsent // the deciding consents (usually one)
	userRefs []string

	bgReasons     []Reason
	redactReasons []Reason
	bgRedact      []Reason
}

// Prepare evaluates everything that depends on the user, the patient and
// the time but not on the item: the gate (Open), relationships, break-glass,
// supersession of consents, and each provision's user-side conditions.
func Prepare(pol *Policy, u User, p Patient, now time.Time) *Prepared {
	if u.Purpose == "" {
		u.Purpose = "TREAT"
	}
	pp := &Prepared{pol: pol, user: u, org: strings.ToUpper(u.Org), now: now, restrict: p.Restricted}
	pp.role = pol.Roles[u.Role]
	if u.BreakGlassGranted && (pp.role == nil || !pp.role.BreakGlass) {
		// A grant is held by the user at their organisation, whatever
		// the role of their token. One of a role that may not break glass
		// neither uses it nor is refused for it: a consultant who is also
		// her trust's Caldicott guardian broke glass as a clinician, and
		// as the IG officer she was refused the person's record for the
		// grant's hours (review 9d).
		u.BreakGlassGranted = false
		pp.user.BreakGlassGranted = false
	}
	pp.userRefs = append([]string{"Practitioner/" + u.Sub}, u.Practitioner)
	pp.bgAsked = u.BreakGlassReason != "" || u.BreakGlassGranted
	pp.bgReasons = []Reason{{Layer: LayerBreakGlass, Code: CodeBreakGlassOverride, Detail: u.BreakGlassReason}}
	pp.redactReasons = []Reason{{Layer: LayerRestricted, Code: CodeRestrictedDemogr}}
	pp.bgRedact = []Reason{pp.bgReasons[0], pp.redactReasons[0]}
	pp.open = pp.gate(p)
	if pp.open.Effect == Permit {
		pp.prepareConsents(p)
	}
	return pp
}

func withhold(layer, code, detail string) Decision {
	return Decision{Effect: Withhold, Reasons: []Reason{{Layer: layer, Code: code, Detail: detail}}}
}

// gate decides whether the record opens. Every attempt on a restricted
// person raises the IG alert, a refused one too: one without a
// relationship trying to open a refuge resident's record is what the alert
// is for.
func (pp *Prepared) gate(p Patient) Decision {
	d := pp.opens(p)
	if p.Restricted && d.Effect != Permit {
		d.Flags |= FlagIGAlert
		d.Reasons = append([]Reason{{Layer: LayerRestricted, Code: CodeRestrictedPatient}}, d.Reasons...)
	}
	return d
}

func (pp *Prepared) opens(p Patient) Decision {
	u, pol := pp.user, pp.pol
	if !pol.Serves(u.Purpose) {
		return withhold(LayerPurpose, CodePurposeNotServed, "purpose of use "+u.Purpose+" is not served by carex (direct care only)")
	}
	if pp.role == nil {
		return withhold(LayerRole, CodeUnknownRole, "role "+u.Role+" is not in the policy")
	}
	if pp.bgAsked {
		if !pp.role.BreakGlass {
			return withhold(LayerBreakGlass, CodeBreakGlassRole, "role "+u.Role+" may not break glass")
		}
		if !u.BreakGlassGranted {
			if _, err := ParseBreakGlass(u.BreakGlassReason, pol.BreakGlassMinReason); err != nil {
				return withhold(LayerBreakGlass, CodeBreakGlassReason, err.Error())
			}
		}
	}
	var d Decision
	d.Effect = Permit
	if p.Restricted {
		d.Flags |= FlagIGAlert
		d.Reasons = append(d.Reasons, Reason{Layer: LayerRestricted, Code: CodeRestrictedPatient})
	}
	// Known for every role: recording a person's Consent needs it even of
	// a client system, which reads only its own data.
	pp.related = pp.hasRelationship(p)
	if pp.role.OwnOrgOnly || pp.role.Audit {
		return d
	}
	if pp.related {
		if pp.bgAsked { // asked for but not needed to open; items may still need it
			pp.bg = true
			d.Flags |= FlagBreakGlass
			d.Reasons = append(d.Reasons, Reason{Layer: LayerBreakGlass, Code: CodeBreakGlass, Detail: u.BreakGlassReason})
		}
		return d
	}
	if pp.bgAsked {
		pp.bg = true
		d.Flags |= FlagBreakGlass
		d.Reasons = append(d.Reasons, Reason{Layer: LayerBreakGlass, Code: CodeBreakGlass, Detail: u.BreakGlassReason})
		return d
	}
	return withhold(LayerRelationship, CodeNoRelationship, "organisation "+u.Org+" has no active relationship with the patient")
}

func (pp *Prepared) hasRelationship(p Patient) bool {
	for _, r := range p.Relationships {
		if !strings.EqualFold(r.Org, pp.org) || pp.org == "" {
			continue
		}
		switch r.Kind {
		case RelRegisteredGP, RelCareTeam, RelEpisodeOfCare:
			if r.ActiveAt(pp.now) {
				return true
			}
		case RelSource:
			if pp.pol.SourceLifetime == 0 || (!r.LastRecorded.IsZero() && pp.now.Before(r.LastRecorded.Add(pp.pol.SourceLifetime))) {
				return true
			}
		}
	}
	return false
}

// prepareConsents applies supersession and evaluates user-side conditions.
// Supersession is within one recording organisation: of each recorder's
// Consents in force now (root period containing now), those that no other
// is newer than count (NewerThan: a dateTime later at both precisions; an
// undated Consent is never superseded), and all those count together
// (withhold wins), so a person's objection is lifted only where it was
// recorded, and a Consent limited to a period pauses the older ones only
// while it is in force.
func (pp *Prepared) prepareConsents(p Patient) {
	var cands, latest []*Consent
	newest := map[string]time.Time{} // recorder -> the latest dateTime of its Consents in force
	for _, c := range p.Consents {
		if c == nil || c.Status != "active" || c.Scope != ScopePatientPrivacy || !p.about(c) || !c.InForce(pp.now) || c.RootIsScope && (!c.GovernsReads() || !c.servesAny(pp.pol)) {
			continue
		}
		cands = append(cands, c)
		if c.Future(pp.now) {
			continue // never the newest: it would outrank every later one
		}
		r := strings.ToUpper(c.Recorder)
		if t, ok := newest[r]; !ok || c.DateTime.After(t) {
			newest[r] = c.DateTime
		}
	}
	lastStored := map[string]time.Time{} // recorder -> when its latest counted dated Consent was stored
	unstored := map[string]bool{}        // recorder -> some counted dated Consent's storing time unknown
	dated := func(c *Consent) bool { return !c.DateTime.IsZero() && !c.Future(pp.now) }
	for _, c := range cands {
		// Counts unless the recorder's newest is newer at both
		// precisions: equal or overlapping dateTimes all count, and so
		// do undated and future-dated ones.
		if !dated(c) || c.dateAfter.After(newest[strings.ToUpper(c.Recorder)]) {
			latest = append(latest, c)
			if r := strings.ToUpper(c.Recorder); dated(c) {
				if c.stored.IsZero() {
					unstored[r] = true
				} else if c.stored.After(lastStored[r]) {
					lastStored[r] = c.stored
				}
			}
		}
	}
	// Of a recorder's dated Consents that dateTime cannot order (a
	// date-only one beside a time that day), the one recorded last
	// decides, when carex knows when each was stored; otherwise all
	// count and withhold wins.
	latest = slices.DeleteFunc(latest, func(c *Consent) bool {
		r := strings.ToUpper(c.Recorder)
		return dated(c) && !unstored[r] && c.stored.Before(lastStored[r])
	})
	sort.SliceStable(latest, func(i, j int) bool { return latest[i].ID < latest[j].ID })
	for _, c := range latest {
		if c.Root == nil {
			if c.Base == Withhold { // OPTOUT with no provision: nothing shared
				pp.consents = append(pp.consents, pconsent{c: c})
			}
			continue
		}
		// The root's period and action are the Consent's (in force and
		// governing reads: checked above).
		pc := pconsent{c: c, byGP: registeredGP(p, c.Recorder, pp.now), last: lastWord(c, latest, dated)}
		// A permit does not name its own recorder: an organisation cannot
		// release a person's sensitive data to itself by recording a
		// consent (the person's choice is recorded by someone else: the
		// data's source, their GP).
		self := c.Recorder != "" && strings.EqualFold(c.Recorder, pp.org)
		pp.flatten(&pc, c.Root, false, self)
		pp.consents = append(pp.consents, pc)
	}
}

// lastWord reports whether c is dated and newer than every other Consent
// of counted (at both precisions of their dateTimes), or of the very same
// dateTime (Consents recorded together: an opt-out with its exceptions,
// and a permit of HIV records to the hospital, written the same day).
func lastWord(c *Consent, counted []*Consent, dated func(*Consent) bool) bool {
	if !dated(c) {
		return false
	}
	for _, d := range counted {
		together := d.DateTime.Equal(c.DateTime) && d.dateAfter.Equal(c.dateAfter)
		if d != c && (!dated(d) || !c.NewerThan(d) && !together) {
			return false
		}
	}
	return true
}

// ActiveAt reports whether a bounded relationship (registered GP, care
// team, episode of care) holds at now.
func (r Relationship) ActiveAt(now time.Time) bool {
	return (r.Until.IsZero() || now.Before(r.Until)) && !now.Before(r.From)
}

// registeredGP reports whether org is p's registered GP practice now.
func registeredGP(p Patient, org string, now time.Time) bool {
	for _, r := range p.Relationships {
		if r.Kind == RelRegisteredGP && org != "" && strings.EqualFold(r.Org, org) && r.ActiveAt(now) {
			return true
		}
	}
	return false
}

func actionsRead(actions []string) bool {
	if len(actions) == 0 {
		return true
	}
	for _, a := range actions {
		if readActions[a] {
			return true
		}
	}
	return false
}

func (pp *Prepared) flatten(pc *pconsent, p *Provision, explicit, self bool) {
	i := len(pc.nodes)
	ok, named := pp.userMatch(p)
	named = named && !self
	pc.nodes = append(pc.nodes, pnode{p: p, userOK: ok, explicit: explicit || named})
	for _, ch := range p.Provisions {
		pp.flatten(pc, ch, explicit || named, self)
	}
	pc.nodes[i].end = len(pc.nodes)
}

// purposeParents are, for a purpose of use, the purposes it specialises in
// v3 ActReason: emergency treatment and coordination of care are
// treatment, break-the-glass is emergency treatment.
var purposeParents = map[string][]string{"ETREAT": {"TREAT"}, "COC": {"TREAT"}, "BTG": {"ETREAT", "TREAT"}}

// purposeCovered reports whether a provision naming purposes applies to a
// user of purpose user: one it names, or one that specialises it (review
// 46b: a deny for TREAT let a nurse claiming ETREAT or COC through). A
// provision for COC does not cover TREAT: the other way round.
func purposeCovered(purposes []string, user string) bool {
	if contains(purposes, user) {
		return true
	}
	return slices.ContainsFunc(purposeParents[user], func(p string) bool { return contains(purposes, p) })
}

// userMatch evaluates a provision's user/time conditions. named reports
// whether an organisation or person recipient named this user.
func (pp *Prepared) userMatch(p *Provision) (ok, named bool) {
	if !p.Period.Contains(pp.now) || !actionsRead(p.Actions) {
		return false, false
	}
	if len(p.Purposes) > 0 && !purposeCovered(p.Purposes, pp.user.Purpose) {
		return false, false
	}
	if len(p.Recipients) == 0 {
		return true, false
	}
	// Every recipient is looked at: one naming the user's organisation or
	// the user names them, wherever it stands among the provision's actors
	// (review 62c: after a sector actor, the organisation went unseen).
	for _, a := range p.Recipients {
		switch a.Kind {
		case ActorOrg:
			if pp.isOrg(a.Value) {
				return true, true
			}
		case ActorPerson:
			if contains(pp.userRefs, a.Value) {
				return true, true
			}
		case ActorRole:
			// A carex role, or a national RBAC job role the policy maps.
			if pp.user.Role != "" && pp.pol.roleOf(a.Value) == pp.user.Role && (a.Org == "" || pp.isOrg(a.Org)) {
				ok = true
			}
		case ActorSector:
			if a.Value == pp.user.Sector && (a.Org == "" || pp.isOrg(a.Org)) {
				ok = true
			}
		}
	}
	return ok, false
}

func (pp *Prepared) isOrg(v string) bool {
	if pp.org != "" && v == pp.org {
		return true
	}
	for _, r := range pp.user.OrgRefs {
		if strings.EqualFold("Organization/"+v, r) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Open says whether the user may open this patient's record at all: the
// purpose is served, the role is known, and the user's organisation has a
// relationship with the patient or break-glass is in force (own-org-only
// and audit roles need no relationship). Withhold → 403. On a permit the
// reasons carry break-glass (IG review) and restricted-patient (IG alert)
// when they apply.
func (pp *Prepared) Open() Decision { return pp.open }

// Related reports whether the user's organisation has a legitimate
// relationship with the patient, break-glass aside.
func (pp *Prepared) Related() bool { return pp.related }

// Restricted reports whether the person's demographics are restricted
// (their Patient, or a record of theirs it links to, labelled R or V): the
// API removes their address, telecom and GP from copies of their
// demographics that other items carry (a referral's contained Patient),
// outside those items' source organisations, as Decide's FlagRedact does
// for their own Patient, RelatedPersons and Person.
func (pp *Prepared) Restricted() bool { return pp.restrict }

// BreakGlass reports whether break-glass is in force for this request; when
// it is and the user held no grant, the API records one for
// Policy.BreakGlassGrant.
func (pp *Prepared) BreakGlass() bool { return pp.bg }

// consentResult is one consent layer outcome for an item.
type consentResult struct {
	opinion  bool // some consent decided
	effect   Effect
	explicit bool     // permit by a provision naming this user's org/person
	labels   []string // security labels the deciding provision covers
	c        *Consent
	path     string
}

// Decide is the per-item decision. See the package documentation for the
// combining rule.
func (pp *Prepared) Decide(it *Item) Decision {
	if pp.open.Effect != Permit {
		return pp.open
	}
	role := pp.role
	// A source organisation always sees the data it recorded (SPEC §5),
	// whatever classes the role is given for others' data — through the
	// roles the policy lists as seeing their own records (an audit role
	// sees no clinical data, its own organisation's included; a
	// receptionist role a deployment adds keeps its classes).
	own := pp.org != "" && strings.EqualFold(it.SourceOrg, pp.org)
	if !role.Sees(it.DataClass) && (!own || !role.SeesOwn) && !pp.addressed(it) {
		return withhold(LayerRole, CodeClassNotPermitted, "role "+role.Name+" does not see "+it.DataClass)
	}
	if own {
		return Decision{Effect: Permit}
	}
	if role.OwnOrgOnly {
		return withhold(LayerRole, CodeOwnOrgOnly, "role "+role.Name+" reads only its own organisation's data")
	}
	// A person's demographics are redacted whatever class the source
	// tagged them with (a carer's RelatedPerson tagged social-care).
	redact := (pp.restrict || it.Restricted) && (PrimaryClass(it.DataClass) == "demographics" || personType(it.Type))
	if role.Audit {
		// Its classes are non-clinical, and it sees their sensitive
		// items (a Consent that permits HIV data tells it that the person
		// has some), but not a legally restricted one, which nothing
		// releases outside its source (review 9a: a fertility clinic's
		// donor, labelled HFEA, or a Consent releasing gender-history
		// records told the IG officer what the access log keeps from her).
		for _, l := range it.Labels {
			if pp.pol.legal[l] {
				return withhold(LayerSensitivity, CodeLegallyRestricted, "label "+l)
			}
			if l == LabelUnread {
				return withhold(LayerSensitivity, CodeSensitive, "content carex could not read")
			}
		}
		return pp.permit(false, redact)
	}
	cr := pp.consentLayer(it)
	usedBG := !pp.related // opened only by break-glass
	if cr.opinion && cr.effect == Withhold {
		if !pp.bg {
			return Decision{Effect: Withhold, Reasons: []Reason{{Layer: LayerConsent, Code: CodeConsentDeny, ConsentID: cr.c.ID, ProvisionPath: cr.path}}}
		}
		usedBG = true
	}
	// Sensitivity.
	for _, l := range it.Labels {
		if l == LabelUnread {
			return withhold(LayerSensitivity, CodeSensitive, "content carex could not read")
		}
		if !pp.pol.sensitive[l] {
			continue
		}
		if cr.opinion && cr.effect == Permit && cr.explicit && contains(cr.labels, l) {
			continue // the person explicitly released this label to this user
		}
		if pp.bg && pp.pol.bgReleases[l] && !pp.pol.legal[l] {
			usedBG = true
			continue
		}
		code := CodeSensitive
		if pp.pol.legal[l] {
			code = CodeLegallyRestricted
		}
		return Decision{Effect: Withhold, Reasons: []Reason{{Layer: LayerSensitivity, Code: code, Detail: "label " + l}}}
	}
	return pp.permit(usedBG && pp.bg, redact)
}

// addressed reports whether the role reads the item as one sent to the
// user's organisation (RolePolicy.SeesAddressed).
func (pp *Prepared) addressed(it *Item) bool {
	return pp.role.SeesAddressed(it.Type, it.DataClass, it.OtherCodes, pp.org)
}

// SeesAddressed reports whether the role reads a message (typ
// Communication or CommunicationRequest) of class sent to org, the user's
// organisation (codes naming it under SystemAddressee), as one sent there:
// a role listed in reads-addressed reads such a message whose own class is
// other (the NHS's, of no class of its own) whatever its classes. A class
// its source gave it (a data-class tag: review 88a, a message tagged
// observations, a lab result) and any class joined to it (review 85b: a
// message carrying a lab result is a lab result) still need the role.
func (r *RolePolicy) SeesAddressed(typ, class string, codes []Coding, org string) bool {
	if !r.ReadsAddressed || org == "" || !MessageType(typ) || !AddressedTo(codes, org) {
		return false
	}
	own, carried, ok := strings.Cut(class, ClassSep)
	return own == "other" && (!ok || r.Sees(carried))
}

// MessageType: the resource types a message is sent in, which the
// addressee rule reads (SeesAddressed).
func MessageType(typ string) bool { return typ == "Communication" || typ == "CommunicationRequest" }

// AddressedTo reports whether codes name org as an addressee
// (SystemAddressee).
func AddressedTo(codes []Coding, org string) bool {
	for _, c := range codes {
		if c.System == SystemAddressee && strings.EqualFold(c.Code, org) {
			return true
		}
	}
	return false
}

// personType: a resource that holds a person's demographics.
func personType(t string) bool { return t == "Patient" || t == "RelatedPerson" || t == "Person" }

// ConsentWithholds reports whether the person's Consents withhold it
// from this user, whether or not break-glass then overrides them: the
// consent layer alone, where Decide would reach it (not for the user's own
// organisation's data, an own-organisation-only or an audit role).
func (pp *Prepared) ConsentWithholds(it *Item) bool {
	role := pp.role
	if pp.open.Effect != Permit || !role.Sees(it.DataClass) && !pp.addressed(it) || role.OwnOrgOnly || role.Audit ||
		pp.org != "" && strings.EqualFold(it.SourceOrg, pp.org) {
		return false
	}
	cr := pp.consentLayer(it)
	return cr.opinion && cr.effect == Withhold
}

func (pp *Prepared) permit(bg, redact bool) Decision {
	switch {
	case bg && redact:
		return Decision{Effect: Permit, Flags: FlagBreakGlass | FlagRedact, Reasons: pp.bgRedact}
	case bg:
		return Decision{Effect: Permit, Flags: FlagBreakGlass, Reasons: pp.bgReasons}
	case redact:
		return Decision{Effect: Permit, Flags: FlagRedact, Reasons: pp.redactReasons}
	}
	return Decision{Effect: Permit}
}

// consentLayer evaluates the deciding consents for an item: withhold wins
// between consents of the same dateTime; otherwise an explicit permit is
// preferred to a plain one.
func (pp *Prepared) consentLayer(it *Item) consentResult {
	var out consentResult
	for i := range pp.consents {
		r := pp.consents[i].decide(it)
		if !r.opinion {
			continue
		}
		if r.effect == Withhold {
			return r
		}
		if !out.opinion || (r.explicit && !out.explicit) {
			out = r
		}
	}
	return out
}

func (pc *pconsent) decide(it *Item) consentResult {
	c := pc.c
	if len(pc.nodes) == 0 { // OPTOUT without provisions
		return consentResult{opinion: true, effect: Withhold, c: c, path: "policyRule"}
	}
	root := &pc.nodes[0]
	rm := noMatch
	if root.userOK {
		rm = itemMatch(root.p, it)
	}
	// A root permit exception (OPTOUT) that may not match (unknown): fail
	// closed, the base withholds.
	if rm == noMatch || rm == unknown && root.p.Type == Permit && !c.RootIsScope {
		if c.RootIsScope {
			return consentResult{}
		}
		return consentResult{opinion: true, effect: c.Base, c: c, path: "policyRule"}
	}
	// Every provision that may match (unknown) taken as matching: the
	// deepest decides.
	uncertain := rm == unknown
	best, bestDepth := 0, 0
	for i := 1; i < len(pc.nodes); {
		n := &pc.nodes[i]
		m := noMatch
		if n.userOK {
			m = itemMatch(n.p, it)
		}
		if m == noMatch {
			i = n.end
			continue
		}
		uncertain = uncertain || m == unknown
		d := n.p.depth
		if d > bestDepth || (d == bestDepth && n.p.Type == Withhold && pc.nodes[best].p.Type == Permit) {
			best, bestDepth = i, d
		}
		i++
	}
	if uncertain && pc.nodes[best].p.Type == Permit {
		// Fail closed: if some answer to what the item does not say
		// makes a deny decide, it does.
		if w := pc.mayWithhold(it); w >= 0 {
			best = w
		}
	}
	n := &pc.nodes[best]
	// A permit releases sensitive data only when its recorder may: the
	// data's source or the person's GP. Otherwise any organisation that
	// could record a Consent could release anyone's HIV diagnosis. Nor
	// does one that might not match (uncertain) release it.
	mayRelease := pc.last && (pc.byGP || c.Recorder != "" && strings.EqualFold(c.Recorder, it.SourceOrg))
	explicit := n.explicit && n.p.Type == Permit && mayRelease && !uncertain && !pc.byMention(best, it)
	return consentResult{opinion: true, effect: n.p.Type, explicit: explicit,
		labels: n.p.pathLabels, c: c, path: n.p.Path}
}

// byMention reports whether a provision on the path to node i (the root
// included) matched the item by a code only through what it mentions
// (OtherCodes: a deny's code found as a reason). A permit reached so still
// permits, but is no explicit release of sensitive labels: a permit
// matches main codes only so that nothing is released for what it merely
// mentions, and a deny of "my HIV diagnosis, except HIV records to the
// hospital" released the HIV-labelled prescription given for it, which
// without the consent stays with its source (review 11a).
func (pc *pconsent) byMention(i int, it *Item) bool {
	for j := 0; j <= i; j++ {
		if n := &pc.nodes[j]; n.end > i && len(n.p.Codes) > 0 && !anyCodeMatch(n.p.Codes, it.Codes) {
			return true
		}
	}
	return false
}

// mayWithhold finds a deny that decides for some answer to the item's
// unknown conditions (each provision whose match is unknown taken to
// match or not, independently), or -1. The answer most favourable to a
// deny D takes D's unknown ancestors (and D) as matching and every other
// unknown provision as not, so D decides if no permit deeper than D
// matches whose unknown ancestors-or-self are all on D's path: a permit
// whose deepest unknown ancestor-or-self u is "none" or an
// ancestor-or-self of D. Two pre-order passes; the root matches or is
// unknown (decide).
func (pc *pconsent) mayWithhold(it *Item) int {
	nodes := pc.nodes
	var mbuf [MaxProvisions]match
	var dbuf [MaxProvisions]int
	var sbuf [MaxDepth + 1]int
	ms, deepest := mbuf[:0], dbuf[:0] // per node: match; deepest permit depth under it as u
	if len(nodes) > MaxProvisions {
		ms, deepest = make([]match, 0, len(nodes)), make([]int, 0, len(nodes))
	}
	ms, deepest = ms[:len(nodes)], deepest[:len(nodes)]
	certain := -1 // deepest matching permit with no unknown ancestor-or-self
	stack := sbuf[:0]
	for i := 0; i < len(nodes); {
		n := &nodes[i]
		for len(stack) > 0 && nodes[stack[len(stack)-1]].end <= i {
			stack = stack[:len(stack)-1]
		}
		m := noMatch
		if n.userOK {
			m = itemMatch(n.p, it)
		}
		ms[i], deepest[i] = m, -1
		if m == noMatch {
			i = n.end
			continue
		}
		if m == unknown {
			stack = append(stack, i)
		}
		if n.p.Type == Permit {
			if len(stack) == 0 {
				certain = max(certain, n.p.depth)
			} else {
				u := stack[len(stack)-1]
				deepest[u] = max(deepest[u], n.p.depth)
			}
		}
		i++
	}
	w, wDepth := -1, -1
	stack = stack[:0]
	for i := 0; i < len(nodes); {
		n := &nodes[i]
		for len(stack) > 0 && nodes[stack[len(stack)-1]].end <= i {
			stack = stack[:len(stack)-1]
		}
		if ms[i] == noMatch {
			i = n.end
			continue
		}
		if ms[i] == unknown {
			stack = append(stack, i)
		}
		if n.p.Type == Withhold && n.p.depth > wDepth {
			rival := certain
			for _, u := range stack {
				rival = max(rival, deepest[u])
			}
			if n.p.depth >= rival {
				w, wDepth = i, n.p.depth
			}
		}
		i++
	}
	return w
}

// match is whether an item matches a provision's item-side conditions:
// unknown when it depends on what the Item does not carry (Author or Refs
// not known, no clinical date).
type match int8

const (
	noMatch match = iota
	isMatch
	unknown
)

// and combines a condition into an AND: false wins, then unknown.
func (m match) and(o match) match {
	if m == noMatch || o == noMatch {
		return noMatch
	}
	if m == unknown || o == unknown {
		return unknown
	}
	return isMatch
}

// classMatch is whether an item is of a provision's types or classes. An
// item that carries resources of other classes (ClassSep) matches when it
// and all of them do, and not at all when none does; when only some do it
// is unknown: a deny of observations covers a care plan carrying a lab
// result, and a permit of care plans does not release it.
//
// The types of the resources inside it (OtherCodes of SystemResourceTypes)
// count as its inner classes do: a deny of Observations covers a care plan
// carrying one, a permit of them does not release it (review 11a).
func classMatch(p *Provision, it *Item) match {
	own, rest, more := strings.Cut(it.DataClass, ClassSep)
	m := contains(p.Types, it.Type) || contains(p.Classes, own)
	innerType := false
	if len(p.Types) > 0 {
		for _, c := range it.OtherCodes {
			if c.System == SystemResourceTypes && contains(p.Types, c.Code) {
				innerType = true
				break
			}
		}
	}
	if !more {
		switch {
		case m:
			return isMatch
		case innerType:
			// not of the type, carrying one: as an inner class
			return unknown
		}
		return noMatch
	}
	if m && !carriesOtherTypes(it) {
		// Its other classes are its own content's (an attendance's
		// clinical note, a lab Flag's result), not a carried resource's:
		// a provision naming its type or class names them too (review
		// 83a: "share my encounters with the hospital" stopped releasing
		// her GP consultations once they carried documents).
		return isMatch
	}
	all, some := m, m || innerType
	for {
		c, r, more := strings.Cut(rest, ClassSep)
		if contains(p.Classes, c) {
			some = true
		} else {
			all = false
		}
		if !more {
			break
		}
		rest = r
	}
	switch {
	case all:
		return isMatch
	case some:
		return unknown
	}
	return noMatch
}

// carriesOtherTypes: the item carries a resource of another type (its
// OtherCodes name one), whose class its DataClass lists beside its own.
func carriesOtherTypes(it *Item) bool {
	for _, c := range it.OtherCodes {
		if c.System == SystemResourceTypes {
			return true
		}
	}
	return false
}

// itemMatch evaluates a provision's item-side conditions.
func itemMatch(p *Provision, it *Item) match {
	out := isMatch
	if len(p.DataActors) > 0 {
		am := noMatch
		for _, a := range p.DataActors {
			if a.Kind == ActorSourceOrg && strings.EqualFold(a.Value, it.SourceOrg) {
				am = isMatch
				break
			}
			if a.Kind == ActorAuthor {
				if !it.AuthorKnown {
					am = unknown
				} else if a.Value == it.Author && it.Author != "" {
					am = isMatch
					break
				}
			}
		}
		if out = out.and(am); out == noMatch {
			return noMatch
		}
	}
	if len(p.Types) > 0 || len(p.Classes) > 0 {
		if out = out.and(classMatch(p, it)); out == noMatch {
			return noMatch
		}
	}
	if len(p.SecurityLabels) > 0 && !labelsMatch(p.SecurityLabels, it.Labels) {
		return noMatch
	}
	if len(p.Codes) > 0 && !anyCodeMatch(p.Codes, it.Codes) && (p.Type == Permit || !anyCodeMatch(p.Codes, it.OtherCodes)) {
		return noMatch
	}
	if !p.DataPeriod.IsZero() {
		if personType(it.Type) {
			// A person's demographics are no period's data: "not my
			// records from 2015" does not withhold who the person is
			// (review 9c: it withheld their Patient, as an opt-out would).
			return noMatch
		}
		switch {
		case it.Date.IsZero():
			// Unknown clinical date: a deny covers it, a permit does not
			// (decide).
			out = unknown
		case !p.DataPeriod.Overlaps(it.Date, it.DateEnd):
			return noMatch
		case !p.DataPeriod.Holds(it.Date, it.DateEnd):
			// Dated to a year, a month or over a period the provision's
			// covers in part: it may be data of the period or not, so a
			// deny covers it and a permit does not.
			out = out.and(unknown)
		}
	}
	if len(p.Data) > 0 {
		out = out.and(dataMatch(p.Data, it))
	}
	return out
}

// codeMatch compares a provision's code with an item's as the labelling
// does (normCode): ICD-10 codes without dots and in any case, and the
// ICD-10 systems (http://hl7.org/fhir/sid/icd-10, -uk, …) as one. A code
// without system matches the code in any system. No allocation.
func anyCodeMatch(wants, haves []Coding) bool {
	for _, want := range wants {
		for _, have := range haves {
			if codeMatch(want, have) {
				return true
			}
		}
	}
	return false
}

func codeMatch(want, have Coding) bool {
	if want.System == "" || want.System == have.System {
		if have.Code == want.Code {
			return true
		}
	}
	if have.System == systemSNOMED && (want.System == "" || want.System == systemSNOMED) && !allDigits(have.Code) {
		// An expression ("414916001 |Obesity|", a refinement) matches
		// each concept it names, as the labelling reads it.
		return sctNames(have.Code, want.Code)
	}
	if have.System == "" {
		// An item's code with no system written as ICD-10 is read as
		// ICD-10, as the labelling reads it (review 95a: a deny of C50
		// left C50.9 with no system shared).
		if tok, ok := icd10Token(have.Code); ok {
			have = Coding{systemICD10, tok}
		}
	}
	if !isICD10(have.System) || want.System != "" && !isICD10(want.System) {
		return false
	}
	if icd10Equal(want.Code, have.Code) {
		return true
	}
	w, prefix := icd10Wanted(want.Code)
	return (prefix || icd10Stem(w)) && icd10Match(w, have.Code, true)
}

// icd10Wanted reads a Consent's ICD-10 code as it is meant: F50. is the
// category F50 (review 79a: the dot left F50.0 shared), and a wildcard
// (F50*, the policy file's form) or ICD-10's "any subcategory" (F50.-),
// which a write refuses but an earlier release stored, a prefix (review
// 79a: stored so, it matched nothing).
func icd10Wanted(c string) (code string, prefix bool) {
	if t, ok := strings.CutSuffix(c, "*"); ok {
		return strings.TrimRight(t, "."), true
	}
	if t, ok := strings.CutSuffix(c, "-"); ok {
		return strings.TrimRight(t, "."), true
	}
	return strings.TrimRight(c, "."), false
}

// icd10Stem: an ICD-10 code of a category (F50) or below it (F50.0,
// F500), which a person naming it means with the codes under it (review
// 78c: "not my eating disorder" left F50.0 shared; review 81c: a deny of
// S72.0 left S72.00 shared).
func icd10Stem(c string) bool {
	return len(c) >= 3 && ('A' <= c[0] && c[0] <= 'Z' || 'a' <= c[0] && c[0] <= 'z') && '0' <= c[1] && c[1] <= '9' && '0' <= c[2] && c[2] <= '9'
}

func isICD10(system string) bool { return strings.HasPrefix(system, systemICD10) }

// icd10Equal compares two ICD-10 codes ignoring dots and case.
func icd10Equal(a, b string) bool { return icd10Match(a, b, false) }

// icd10Match: code b is a, or with prefix starts with a, dots and case
// aside; an a of dots alone matches nothing as a prefix.
func icd10Match(a, b string, prefix bool) bool {
	i, j, n := 0, 0, 0
	for {
		for i < len(a) && a[i] == '.' {
			i++
		}
		for j < len(b) && b[j] == '.' {
			j++
		}
		if i == len(a) {
			if prefix {
				// (review 81c: an empty stem, a stored "*", matched a
				// code of dots alone)
				return n > 0
			}
			return j == len(b)
		}
		if j == len(b) {
			return false
		}
		x, y := a[i], b[j]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
		i++
		j++
		n++
	}
}

// labelsMatch: any listed label on the item. An item without R or V
// confidentiality is normal (N).
func labelsMatch(want, have []string) bool {
	for _, w := range want {
		if w == "N" {
			normal := true
			for _, h := range have {
				if h == "R" || h == "V" {
					normal = false
				}
			}
			if normal {
				return true
			}
			continue
		}
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}

func dataMatch(data []DataRef, it *Item) match {
	out := noMatch
	for _, d := range data {
		switch d.Meaning {
		case MeaningInstance:
			if isRef(d.Ref, it.Type, it.ID) {
				return isMatch
			}
			if carries(it, d.Ref) {
				out = unknown
			}
		case MeaningRelated:
			if isRef(d.Ref, it.Type, it.ID) || it.RefsKnown && contains(it.Refs, d.Ref) {
				return isMatch
			}
			if !it.RefsKnown || carries(it, d.Ref) {
				out = unknown
			}
		case MeaningAuthoredBy:
			if org, ok := strings.CutPrefix(d.Ref, "Organization/"); ok {
				if strings.EqualFold(org, it.SourceOrg) {
					return isMatch
				}
			} else if !it.AuthorKnown {
				out = unknown
			} else if it.Author != "" && d.Ref == it.Author {
				return isMatch
			}
		}
	}
	return out
}

// carries reports whether the item carries a copy of the instance ref
// names (SystemCarriedItem): unknown to a provision, so a deny of it
// covers the carrier and a permit of it does not release what else the
// carrier holds (review 31d: a summary Bundle carrying the Condition Jane
// had denied to the hospital went to it).
func carries(it *Item, ref string) bool {
	for _, c := range it.OtherCodes {
		if c.System == SystemCarriedItem && (c.Code == ref || c.Code == CarriedUnread) {
			return true
		}
	}
	return false
}

func isRef(ref, typ, id string) bool {
	return len(ref) == len(typ)+1+len(id) && strings.HasPrefix(ref, typ) && ref[len(typ)] == '/' && strings.HasSuffix(ref, id)
}
