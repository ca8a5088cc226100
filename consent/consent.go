package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London on hosts without a zoneinfo database

	"github.com/carex-project/carex/fhir"
)

// Code systems the consent reader understands.
const (
	SystemActCode         = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	SystemConsentScope    = "http://terminology.hl7.org/CodeSystem/consentscope"
	SystemConsentAction   = "http://terminology.hl7.org/CodeSystem/consentaction"
	SystemParticipation   = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	SystemResourceTypes   = "http://hl7.org/fhir/resource-types"
	// SystemCarriedItem names, in an item's OtherCodes, a resource it
	// carries as Type/id (a stored Bundle's entry, a contained or
	// attached copy): a deny of that instance covers the carrier.
	SystemCarriedItem = "urn:carex:carried-item"
	// SystemAddressee names, in an item's OtherCodes, an organisation it
	// is sent to by its code (a Communication's recipient): the roles the
	// policy lists in reads-addressed read it there.
	SystemAddressee = "urn:carex:addressee"
	// CarriedUnread, as a carried item, says the item may carry copies
	// carex could not read through: a deny of any instance covers it.
	CarriedUnread          = "*"
	SystemDataClass        = "https://carex.example/data-class" // same as search.DataClassTagSystem
	SystemRole             = "https://carex.example/role"       // actor.role: a carex role (gp, social-worker, …)
	SystemSector           = "https://carex.example/sector"     // actor.role: a sector (nhs, council)
	SystemODS              = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemCouncil          = "https://carex.example/Id/council-code" // a council's code, as its token's org
	SystemSDSUser          = "https://fhir.nhs.uk/Id/sds-user-id"
	SystemCarexSensitivity = "https://carex.example/sensitivity" // carex labels HFEA, GRA
)

// Consent scopes.
const (
	ScopePatientPrivacy = "patient-privacy"
)

// MaxProvisions and MaxDepth bound the size of a Consent the engine accepts,
// so that one Consent cannot make every item decision slow.
const (
	MaxProvisions = 256
	MaxDepth      = 16
)

// Effect is the outcome of a decision or of a provision.
type Effect int8

const (
	// Withhold is the zero value: an unset decision releases nothing.
	Withhold Effect = iota
	Permit
)

func (e Effect) String() string {
	if e == Permit {
		return "permit"
	}
	return "withhold"
}

// Coding is one system|code pair.
type Coding struct{ System, Code string }

func (c Coding) String() string {
	if c.System == "" {
		return c.Code
	}
	return c.System + "|" + c.Code
}

// Period is a time window; a zero Start or End is open. End is exclusive:
// a FHIR end of "2016-01-01" (day precision) covers the whole of that day,
// so End is 2016-01-02T00:00Z.
type Period struct{ Start, End time.Time }

// IsZero reports whether the period is unbounded on both sides.
func (p Period) IsZero() bool { return p.Start.IsZero() && p.End.IsZero() }

// Contains reports whether t falls inside the period.
func (p Period) Contains(t time.Time) bool {
	return (p.Start.IsZero() || !t.Before(p.Start)) && (p.End.IsZero() || t.Before(p.End))
}

// Overlaps reports whether the range from start to end (inclusive; a zero
// end: start alone) has an instant inside the period.
func (p Period) Overlaps(start, end time.Time) bool {
	if end.IsZero() || end.Before(start) {
		end = start
	}
	return (p.Start.IsZero() || !end.Before(p.Start)) && (p.End.IsZero() || start.Before(p.End))
}

// Holds reports whether every instant from start to end (inclusive; a
// zero end: start alone) is inside the period.
func (p Period) Holds(start, end time.Time) bool {
	if end.IsZero() || end.Before(start) {
		end = start
	}
	return p.Contains(start) && p.Contains(end)
}

// ActorKind says what a provision actor identifies.
type ActorKind int8

const (
	// Recipients: who receives the data (the user).
	ActorOrg    ActorKind = iota + 1 // the user's organisation (ODS code)
	ActorPerson                      // the user (Practitioner/PractitionerRole reference or SDS user id)
	ActorRole                        // a carex role, optionally at one organisation (Org)
	ActorSector                      // a sector (nhs, council), optionally at one organisation (Org)
	// Data: whose data it is (v3 ParticipationType CST custodian or AUT author).
	ActorSourceOrg // item.SourceOrg
	ActorAuthor    // item.Author
)

// Actor is a normalised Consent.provision.actor.
type Actor struct {
	Kind  ActorKind
	Value string // ODS code (upper case), "Practitioner/x", role or sector
	Org   string // ActorRole/ActorSector: optional organisation narrowing
}

// Data meanings.
const (
	MeaningInstance   = "instance"
	MeaningRelated    = "related"
	MeaningAuthoredBy = "authoredby"
)

// DataRef is a normalised Consent.provision.data.
type DataRef struct {
	Meaning string
	Ref     string // "Type/id"
}

// Provision is one normalised rule. Conditions are AND-ed across elements
// and OR-ed within one element (any listed actor, any listed class, …).
type Provision struct {
	Path           string // FHIRPath-like location, e.g. "provision.provision[1]"
	Type           Effect // effective effect (explicit type, or inherited for an untyped root)
	Typed          bool   // provision.type was present
	Period         Period // when the rule is in force
	Recipients     []Actor
	DataActors     []Actor
	Actions        []string // consentaction codes; empty = every action
	SecurityLabels []string // label codes
	Purposes       []string
	Types          []string // class: resource types
	Classes        []string // class: data classes
	Codes          []Coding
	DataPeriod     Period
	Data           []DataRef
	Provisions     []*Provision

	// pathLabels: security labels of this provision and its ancestors
	// (what an explicit permit here covers).
	pathLabels []string
	depth      int
}

// narrows reports whether the provision restricts which users or which data
// it applies to (period and action only say when and for which operation).
func (p *Provision) narrows() bool {
	return len(p.Recipients)+len(p.DataActors)+len(p.SecurityLabels)+len(p.Purposes)+
		len(p.Types)+len(p.Classes)+len(p.Codes)+len(p.Data) > 0 || !p.DataPeriod.IsZero()
}

// Consent is a normalised FHIR R4 Consent. Parsed once (on write, or when
// loaded) and shared read-only between requests.
type Consent struct {
	ID      string
	Status  string
	Scope   string
	Patient string // "Patient/x" as written
	// DateTime is when the Consent was recorded (zero when absent), at
	// the start of its precision: "2025-03-10" is 00:00 that day.
	DateTime time.Time
	// stored: when carex stored this version (RecordedBy); zero when
	// unknown. It orders a recorder's Consents dateTime cannot.
	stored time.Time
	// dateAfter is the instant just after the span DateTime's precision
	// covers ("2025-03-10" → 2025-03-11T00:00Z); zero when undated.
	dateAfter time.Time
	Base      Effect // policyRule: OPTIN → Permit, OPTOUT → Withhold
	// Root is the top provision, nil when the Consent has none.
	Root *Provision
	// RootIsScope: the root's effect equals the base, so the root only says
	// where the Consent applies (outside it the Consent has no opinion).
	// Otherwise the root is an exception to the base (outside it: the base).
	RootIsScope bool
	// Notes record what was normalised on the way in.
	Notes []string
	// Recorder is the organisation that recorded the Consent (the stored
	// item's source), set by the caller. A newer Consent supersedes only
	// its own recorder's older ones: otherwise an organisation a person
	// objected to could record a newer consent and lift the objection.
	Recorder string

	// refusals: what a write must refuse (Policy.CheckConsent) but a
	// stored Consent is still read with, so that one written by an older
	// release keeps counting rather than being dropped.
	refusals []*ConsentError
	// roleActors: the carex role codes actors name, with their elements,
	// for Policy.CheckConsent.
	roleActors []namedRole
	// refs: the literal references naming organisations and
	// practitioners (References).
	refs []NamedReference
}

// NamedReference is an organisation or practitioner a Consent names by a
// literal reference (an actor, a role's organisation, data authoredby).
// The engine compares it with the user's ODS code ("Organization/RHX")
// or SDS user id ("Practitioner/<sub>"): one naming a stored resource
// whose id is neither (Organization/5f0c…, its ODS code an identifier)
// would match no one, and a caller that can look it up refuses it.
type NamedReference struct {
	Element  string // e.g. "provision.actor[0].reference"
	Type, ID string // "Organization", "5f0c…" as written
}

// References lists the literal organisation and practitioner references
// the Consent names.
func (c *Consent) References() []NamedReference { return c.refs }

type namedRole struct{ el, code string }

// NewerThan reports whether c was recorded after older at the precision
// both dateTimes are given in: "2025-03-10" (some time that day) is not
// newer than, nor older than, "2025-03-10T09:00:00Z". An undated Consent
// is neither newer nor older than any other.
func (c *Consent) NewerThan(older *Consent) bool {
	if c.DateTime.IsZero() || older.DateTime.IsZero() {
		return false
	}
	return !c.DateTime.Before(older.dateAfter)
}

// Bounded reports whether the Consent's root provision has a period: it
// is in force only for a time, and pauses (does not end) the older
// Consents of its recorder.
func (c *Consent) Bounded() bool { return c.Root != nil && !c.Root.Period.IsZero() }

// InForce reports whether the Consent's root period contains now (a
// Consent without a root provision is always in force).
func (c *Consent) InForce(now time.Time) bool { return c.Root == nil || c.Root.Period.Contains(now) }

// futureSlack is how far ahead of the clock a Consent's dateTime may be
// (clocks drift) before it counts as mistyped. A Consent dated ahead,
// re-sent later, could outrank an objection recorded in between: the
// window is this long. (A date-only dateTime is read as that day's start
// in UTC: one for today written in British Summer Time just after midnight
// is refused; a client sends the time then.)
const futureSlack = 5 * time.Minute

// Future reports whether the Consent is dated after now (beyond
// futureSlack): a mistyped year would otherwise make it newer than every
// Consent recorded after it, an objection included. Refused on write;
// a stored one counts like an undated one.
func (c *Consent) Future(now time.Time) bool { return c.DateTime.After(now.Add(futureSlack)) }

// RecordedBy caps the Consent's dateTime at when carex stored this
// version: a Consent cannot have been recorded after it was stored, and a
// dateTime ahead of the clock would otherwise outrank the Consents
// recorded after it, an objection included, for good. first: this is the
// Consent's first version, so stored is when it was recorded, which then
// also orders it among Consents its dateTime cannot (an update, even an
// unchanged re-send, stores a new version and must not move an old permit
// past a later objection). Callers set it from the stored version.
func (c *Consent) RecordedBy(stored time.Time, first bool) {
	if first {
		c.stored = stored
	}
	if !stored.IsZero() && c.DateTime.After(stored) {
		c.DateTime, c.dateAfter = stored, stored.Add(time.Millisecond)
	}
}

// servesAny reports whether the Consent is about a purpose carex serves:
// its root names no purpose, or one the policy serves. One about research
// only is not this engine's business, and must not outrank the recorder's
// Consent about direct care.
func (c *Consent) servesAny(pol *Policy) bool {
	if c.Root == nil || len(c.Root.Purposes) == 0 {
		return true
	}
	return slices.ContainsFunc(c.Root.Purposes, pol.Serves)
}

// GovernsReads reports whether the Consent decides reads: its root's
// action includes access, use or disclose, or names none. One that does
// not (correct only, say) neither decides a release nor supersedes a
// Consent that does.
func (c *Consent) GovernsReads() bool { return c.Root == nil || actionsRead(c.Root.Actions) }

// ConsentError says which element of a Consent cannot be interpreted.
type ConsentError struct {
	Element string // e.g. "provision.provision[0].type"
	Msg     string
}

func (e *ConsentError) Error() string { return "Consent." + e.Element + ": " + e.Msg }

// ErrNotConsent is returned for a resource that is not a Consent.
var ErrNotConsent = errors.New("not a Consent resource")

// --- raw FHIR shapes -------------------------------------------------------

type rawCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type rawCC struct {
	Coding []rawCoding `json:"coding"`
	Text   string      `json:"text"`
}

type rawIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type rawRef struct {
	Reference  string         `json:"reference"`
	Identifier *rawIdentifier `json:"identifier"`
	Display    string         `json:"display"`
}

type rawPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type rawActor struct {
	Role      *rawCC  `json:"role"`
	Reference *rawRef `json:"reference"`
}

type rawData struct {
	Meaning   string  `json:"meaning"`
	Reference *rawRef `json:"reference"`
}

type rawProvision struct {
	Type          string          `json:"type"`
	Period        *rawPeriod      `json:"period"`
	Actor         []rawActor      `json:"actor"`
	Action        []rawCC         `json:"action"`
	SecurityLabel []rawCoding     `json:"securityLabel"`
	Purpose       []rawCoding     `json:"purpose"`
	Class         []rawCoding     `json:"class"`
	Code          []rawCC         `json:"code"`
	DataPeriod    *rawPeriod      `json:"dataPeriod"`
	Data          []rawData       `json:"data"`
	Provision     []*rawProvision `json:"provision"`
}

type rawConsent struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id"`
	Status       string        `json:"status"`
	Scope        *rawCC        `json:"scope"`
	Patient      *rawRef       `json:"patient"`
	DateTime     string        `json:"dateTime"`
	PolicyRule   *rawCC        `json:"policyRule"`
	Provision    *rawProvision `json:"provision"`
}

var validStatus = map[string]bool{"draft": true, "proposed": true, "active": true, "rejected": true, "inactive": true, "entered-in-error": true}

var actionCodes = map[string]bool{"access": true, "collect": true, "correct": true, "disclose": true, "use": true}

// readActions are the consentaction codes a read (release to a user) is:
// the user accesses the data, and carex discloses and uses it for them.
var readActions = map[string]bool{"access": true, "disclose": true, "use": true}

// consentScopes are the codes of R4's consentscope code system.
var consentScopes = map[string]bool{"adr": true, "research": true, ScopePatientPrivacy: true, "treatment": true}

// Unreadable stands for a stored active patient-privacy Consent that
// ParseConsent cannot read (one an older release accepted): an objection
// to all sharing, undated, so that it counts beside its recorder's newest.
// Dropping it would fail open; its recorder lifts it by correcting or
// deleting it.
func Unreadable(id string) *Consent {
	return &Consent{ID: id, Status: "active", Scope: ScopePatientPrivacy, Base: Withhold,
		Notes: []string{"unreadable: decided as an objection to all sharing"}}
}

// ParseConsent reads FHIR R4 Consent JSON and normalises it. A Consent the
// engine cannot interpret is an error (*ConsentError naming the element);
// the API answers 422 and stores nothing. Consents whose scope is not
// patient-privacy (research, adr, treatment) are read only as far as
// status, scope, patient and dateTime: they are not this engine's business
// and Prepare ignores them.
//
// Normalisation and refusal rules (see doc.go for the decision rule):
//   - policyRule is required: OPTIN/OPTINR → base permit, OPTOUT/OPTOUTE →
//     base withhold.
//   - the root provision's type may be absent (R4: "not permitted in root
//     rule"): the root then carries the base and is the Consent's scope. A
//     root type equal to the base is read the same way; a root type
//     opposite to the base makes the root an exception to the base.
//   - every nested provision must have a type, opposite to its parent's
//     effect (an exception); a same-effect child changes nothing and marks a
//     Consent whose meaning is not what its author thought — refused.
//   - an assent (root effect permit acting as scope) that narrows but has no
//     deny and no explicit sensitive permit anywhere can only permit what
//     carex's implied-consent default already permits; HL7's own examples
//     use that shape to mean a withholding — refused as ambiguous.
//   - actors: v3 ParticipationType CST (custodian) and AUT (author) name
//     whose data the rule covers; IRCP and PRCP, a carex role or a sector
//     name a recipient (any other role is refused: what the actor is to
//     the rule is unknown; no role at all is refused on write and read
//     as a recipient), which must be an Organization (reference or ODS identifier), a
//     Practitioner/PractitionerRole (reference or SDS user id), a carex role
//     (role system SystemRole) or a sector (SystemSector). Patients,
//     RelatedPersons, Groups, CareTeams and Devices are refused: carex
//     users are staff of organisations.
//   - class: resource types (SystemResourceTypes) and data classes
//     (SystemDataClass); others (e.g. MIME types) are refused.
//   - data.meaning: instance, related, authoredby; dependents is refused.
//   - an AUT/CST actor or authoredby naming a Practitioner(Role), and
//     data meaning related, are read (the engine fails closed: see
//     Item.AuthorKnown, Item.RefsKnown) but refused on write
//     (Policy.CheckConsent): carex does not know items' author
//     practitioners nor what refers to an item.
func ParseConsent(raw []byte) (*Consent, error) {
	var rc rawConsent
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&rc); err != nil {
		return nil, &ConsentError{Element: "", Msg: "not valid Consent JSON: " + err.Error()}
	}
	if rc.ResourceType != "Consent" {
		return nil, ErrNotConsent
	}
	c := &Consent{ID: rc.ID, Status: rc.Status}
	if !validStatus[rc.Status] {
		return nil, &ConsentError{"status", fmt.Sprintf("%q is not a Consent status", rc.Status)}
	}
	if rc.Scope == nil || len(rc.Scope.Coding) == 0 {
		return nil, &ConsentError{"scope", "required (patient-privacy for sharing decisions)"}
	}
	// Any consentscope coding of patient-privacy makes it one: a second
	// coding (a local code beside it) must not drop a person's objection.
	for _, cd := range rc.Scope.Coding {
		if cd.System != SystemConsentScope && cd.System != "" {
			continue
		}
		if !consentScopes[cd.Code] {
			return nil, &ConsentError{"scope", fmt.Sprintf("%q is not a consentscope code (adr, research, patient-privacy, treatment)", cd.Code)}
		}
		if c.Scope == "" || cd.Code == ScopePatientPrivacy {
			c.Scope = cd.Code
		}
	}
	if c.Scope == "" {
		return nil, &ConsentError{"scope", "no coding from " + SystemConsentScope}
	}
	if rc.Patient != nil {
		c.Patient = normRef(rc.Patient.Reference)
		if r := rc.Patient.Reference; r != strings.TrimSpace(r) {
			// The search index files a reference with spaces under no
			// one: the Consent would be stored and never apply.
			c.refusals = append(c.refusals, &ConsentError{"patient.reference", fmt.Sprintf("%q has spaces around it: send Patient/ID alone", r)})
		}
	}
	if rc.DateTime != "" {
		t, after, err := parseFHIRTime(rc.DateTime)
		if err != nil {
			return nil, &ConsentError{"dateTime", err.Error()}
		}
		c.DateTime, c.dateAfter = t, after
	}
	if c.Scope != ScopePatientPrivacy {
		c.Notes = append(c.Notes, "scope "+c.Scope+" is not patient-privacy: not used for sharing decisions")
		return c, nil
	}
	if c.DateTime.IsZero() {
		// Read (an undated stored Consent counts beside its recorder's
		// newest: it cannot be shown to be older), but refused on write.
		c.refusals = append(c.refusals, &ConsentError{"dateTime", "required: when the person's choice was recorded decides which of the recorder's consents is the newest"})
	}
	if rc.Patient != nil && c.Patient == "" && rc.Patient.Identifier != nil {
		// An NHS number alone (UK Core style) names the person but not
		// her record here (review 12b: "required" told the sender nothing).
		return nil, &ConsentError{"patient", "must reference the person's Patient resource as Patient/ID; an identifier alone (an NHS number) is not taken: find the Patient first (GET /fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|NUMBER) and send its reference, with the identifier beside it if you like"}
	}
	if rc.Patient == nil || c.Patient == "" {
		return nil, &ConsentError{"patient", "required"}
	}
	if id, ok := strings.CutPrefix(c.Patient, "Patient/"); !ok || id == "" || strings.ContainsAny(id, "/#?") {
		// A contained Patient (#p) or a bare identifier names no one's
		// record: the Consent would be stored and never apply (review 5d).
		c.refusals = append(c.refusals, &ConsentError{"patient", "must reference the person's Patient resource as Patient/ID, not \"" + c.Patient + "\": a contained or identifier-only patient is no one's record, and the consent would never apply"})
	} else if !fhir.ValidID(id) {
		// An id no resource can have (percent-encoded, an underscore, a
		// colon): the search index files the Consent under no one, and
		// it would be stored and never apply (review 15a: Jane's
		// objection naming Patient/jane%20 was taken, 201).
		c.refusals = append(c.refusals, &ConsentError{"patient", "must reference the person's Patient resource as Patient/ID, not \"" + c.Patient + "\": " + notAnID(id) + ", and the consent would never apply"})
	}
	if rc.PolicyRule == nil {
		return nil, &ConsentError{"policyRule", "required: " + SystemActCode + " OPTIN or OPTOUT"}
	}
	base, ok := Effect(0), false
	for _, cd := range rc.PolicyRule.Coding {
		if cd.System != SystemActCode {
			continue
		}
		var b Effect
		switch cd.Code {
		case "OPTIN", "OPTINR":
			b = Permit
		case "OPTOUT", "OPTOUTE":
			b = Withhold
		default:
			continue
		}
		if ok && b != base {
			// The first coding decided: an opt-out also coded OPTIN
			// shared everything (review 78c).
			return nil, &ConsentError{"policyRule", "codes both an opt-in and an opt-out: give the one the person chose"}
		}
		if !ok && cd.Code != "OPTIN" && cd.Code != "OPTOUT" {
			c.Notes = append(c.Notes, "policyRule "+cd.Code+" read as "+cd.Code[:len(cd.Code)-1])
		}
		base, ok = b, true
	}
	if !ok {
		return nil, &ConsentError{"policyRule", "must be " + SystemActCode + " OPTIN or OPTOUT"}
	}
	c.Base = base
	if rc.Provision == nil {
		return c, nil
	}
	p := &parser{c: c}
	root, err := p.provision(rc.Provision, "provision", 0, nil)
	if err != nil {
		return nil, err
	}
	c.Root = root
	if !root.Typed {
		root.Type = base
		c.RootIsScope = true
	} else if root.Type == base {
		c.RootIsScope = true
		c.Notes = append(c.Notes, "provision.type on the root equals the policyRule: read as the Consent's scope")
	} else {
		c.Notes = append(c.Notes, "provision.type on the root (not permitted by R4) read as an exception to the policyRule")
	}
	if err := checkExceptions(root); err != nil {
		return nil, err
	}
	if c.RootIsScope && root.Type == Permit && root.narrows() && !hasDeny(root) && !hasExplicitPermit(root) {
		return nil, &ConsentError{"provision", "an assent (" + policyName(base) + ") that narrows but permits only what carex shares by default " +
			"has no effect; if a withholding was meant, give the provision type deny"}
	}
	return c, nil
}

func policyName(e Effect) string {
	if e == Permit {
		return "OPTIN"
	}
	return "OPTOUT"
}

func checkExceptions(p *Provision) error {
	for _, ch := range p.Provisions {
		if ch.Type == p.Type {
			return &ConsentError{ch.Path + ".type", fmt.Sprintf("%s inside a %s is not an exception: nested provisions must reverse their parent", ch.Type.fhir(), p.Type.fhir())}
		}
		if err := checkExceptions(ch); err != nil {
			return err
		}
	}
	return nil
}

func (e Effect) fhir() string {
	if e == Permit {
		return "permit"
	}
	return "deny"
}

func hasDeny(p *Provision) bool {
	if p.Type == Withhold {
		return true
	}
	for _, ch := range p.Provisions {
		if hasDeny(ch) {
			return true
		}
	}
	return false
}

// hasExplicitPermit: a permit naming security labels with an organisation
// or person recipient on its path (the explicit sensitivity permit).
func hasExplicitPermit(p *Provision) bool {
	return explicitWalk(p, false)
}

func explicitWalk(p *Provision, named bool) bool {
	for _, a := range p.Recipients {
		if a.Kind == ActorOrg || a.Kind == ActorPerson {
			named = true
		}
	}
	if p.Type == Permit && named && len(p.pathLabels) > 0 {
		return true
	}
	for _, ch := range p.Provisions {
		if explicitWalk(ch, named) {
			return true
		}
	}
	return false
}

// unknowable is why a write refuses provisions that need an item's author
// practitioner or the items referring to one (a stored one is read and
// fails closed: Item.AuthorKnown, Item.RefsKnown).
const unknowable = "carex cannot tell an item's author practitioner or what refers to it; " +
	"name the Organization as author or custodian (AUT/CST, or authoredby an Organization), " +
	"each item (data meaning instance), or a class or code"

// snomedNames are other names GP and CDA-derived systems give SNOMED CT's
// system (its OID, https, a trailing slash).
var snomedNames = map[string]bool{systemSNOMED: true, "https://snomed.info/sct": true, "urn:oid:2.16.840.1.113883.6.96": true}

// coding reads a provision code as items carry it (review 9c): SNOMED CT
// under another of its names is SNOMED CT, and a concept written with its
// term ("35489007 |Depressive disorder|", as GP systems show codes) is
// that concept — as written, neither matched an item's code, and a deny
// so written was ignored. A post-coordinated expression, which no item's
// plain code can be compared with, is refused on write.
func (ps *parser) coding(cd rawCoding, el string) Coding {
	sys, code := CanonicalCoding(cd.System, cd.Code)
	if sys != cd.System {
		// as items' codes are read on write (review 23a: a deny written
		// as the item was coded no longer met it)
		ps.c.Notes = append(ps.c.Notes, el+": system "+cd.System+" read as "+sys)
	}
	if isICD10(sys) && !icd10Code.MatchString(code) || sys == "" && (strings.Contains(code, "*") || strings.HasSuffix(code, "-")) {
		// A wildcard (F50*, the policy file's form), ICD-10's "any
		// subcategory" (F50.-) or a block's first characters (F5)
		// matched no item's code (reviews 78c, 80a).
		ps.c.refusals = append(ps.c.refusals, &ConsentError{el, fmt.Sprintf("%q is not an ICD-10 code: name the category (F50), which covers its subcategories, or the code itself", code)})
	}
	if allDigits(code) || sys != systemSNOMED && (sys != "" || !strings.Contains(code, "|")) {
		return Coding{sys, code}
	}
	ids := sctIDs(code)
	rest := code
	for strings.Count(rest, "|") >= 2 {
		i := strings.IndexByte(rest, '|')
		j := i + 1 + strings.IndexByte(rest[i+1:], '|')
		rest = rest[:i] + rest[j+1:]
	}
	if len(ids) == 1 && strings.TrimSpace(rest) == ids[0] {
		return Coding{sys, ids[0]}
	}
	if sys == systemSNOMED {
		ps.c.refusals = append(ps.c.refusals, &ConsentError{el, fmt.Sprintf("%q is not a SNOMED CT concept id: items are compared by concept, so name the concept (without its term), one coding for each", code)})
	}
	return Coding{sys, code}
}

// participationRoles are the v3 ParticipationType codes an actor's role
// may carry: true for a recipient, false for whose data it is.
var participationRoles = map[string]bool{"IRCP": true, "PRCP": true, "CST": false, "AUT": false}

// actorRoles says which actor roles carex understands.
const actorRoles = "use " + SystemParticipation + " IRCP or PRCP (the recipient) or CST or AUT (whose data: its custodian or author), " +
	"or a carex role (" + SystemRole + ") or sector (" + SystemSector + ")"

type parser struct {
	c     *Consent
	count int
}

func (ps *parser) provision(rp *rawProvision, path string, depth int, parent *Provision) (*Provision, error) {
	if rp == nil {
		return nil, &ConsentError{path, "empty provision"}
	}
	ps.count++
	if ps.count > MaxProvisions {
		return nil, &ConsentError{path, fmt.Sprintf("more than %d provisions", MaxProvisions)}
	}
	if depth >= MaxDepth {
		return nil, &ConsentError{path, fmt.Sprintf("provisions nested deeper than %d", MaxDepth)}
	}
	p := &Provision{Path: path, depth: depth}
	switch rp.Type {
	case "":
		if parent != nil {
			return nil, &ConsentError{path + ".type", "required on nested provisions (permit or deny)"}
		}
	case "permit":
		p.Type, p.Typed = Permit, true
	case "deny":
		p.Type, p.Typed = Withhold, true
	default:
		return nil, &ConsentError{path + ".type", fmt.Sprintf("%q: must be permit or deny", rp.Type)}
	}
	var err error
	if p.Period, err = period(rp.Period, path+".period"); err != nil {
		return nil, err
	}
	if p.DataPeriod, err = period(rp.DataPeriod, path+".dataPeriod"); err != nil {
		return nil, err
	}
	for i, a := range rp.Actor {
		if err := ps.addActor(p, a, fmt.Sprintf("%s.actor[%d]", path, i)); err != nil {
			return nil, err
		}
	}
	for i, cc := range rp.Action {
		el := fmt.Sprintf("%s.action[%d]", path, i)
		found := false
		for _, cd := range cc.Coding {
			if (cd.System == SystemConsentAction || cd.System == "") && actionCodes[cd.Code] {
				p.Actions = append(p.Actions, cd.Code)
				found = true
			}
		}
		if !found {
			return nil, &ConsentError{el, "no " + SystemConsentAction + " code (access, collect, correct, disclose, use)"}
		}
	}
	for i, cd := range rp.SecurityLabel {
		if cd.Code == "" {
			return nil, &ConsentError{fmt.Sprintf("%s.securityLabel[%d]", path, i), "code required"}
		}
		if strings.EqualFold(strings.TrimSpace(cd.Code), LabelUnread) {
			// (review 98a: a permit of it was stored and released nothing)
			return nil, &ConsentError{fmt.Sprintf("%s.securityLabel[%d]", path, i), LabelUnread + " is carex's own mark of an item whose content it could not read: such an item stays with its source, and no Consent releases or withholds by it"}
		}
		// (read as the labels are, in capitals and trimmed: review 106b,
		// a label written "hfea" or "hiv" matched nothing)
		p.SecurityLabels = append(p.SecurityLabels, strings.ToUpper(strings.TrimSpace(cd.Code)))
	}
	for i, cd := range rp.Purpose {
		if cd.Code == "" {
			return nil, &ConsentError{fmt.Sprintf("%s.purpose[%d]", path, i), "code required"}
		}
		p.Purposes = append(p.Purposes, cd.Code)
	}
	for i, cd := range rp.Class {
		el := fmt.Sprintf("%s.class[%d]", path, i)
		switch {
		case cd.Code == "":
			return nil, &ConsentError{el, "code required"}
		case cd.System == SystemResourceTypes:
			if !fhir.IsResourceType(cd.Code) {
				return nil, &ConsentError{el, fmt.Sprintf("%q is not an R4 resource type (data classes use %s)", cd.Code, SystemDataClass)}
			}
			p.Types = append(p.Types, cd.Code)
		case cd.System == SystemDataClass:
			if !knownClass[cd.Code] {
				return nil, &ConsentError{el, fmt.Sprintf("unknown data class %q", cd.Code)}
			}
			p.Classes = append(p.Classes, cd.Code)
		case cd.System == "":
			switch {
			case knownClass[cd.Code]:
				p.Classes = append(p.Classes, cd.Code)
			case fhir.IsResourceType(cd.Code):
				p.Types = append(p.Types, cd.Code)
			default:
				return nil, &ConsentError{el, fmt.Sprintf("%q is neither a data class nor an R4 resource type", cd.Code)}
			}
		default:
			return nil, &ConsentError{el, fmt.Sprintf("class system %q not supported: use %s or %s", cd.System, SystemResourceTypes, SystemDataClass)}
		}
	}
	for i, cc := range rp.Code {
		el := fmt.Sprintf("%s.code[%d]", path, i)
		if len(cc.Coding) == 0 {
			return nil, &ConsentError{el, "a coding (system and code) is required"}
		}
		for j, cd := range cc.Coding {
			cel := fmt.Sprintf("%s.coding[%d]", el, j)
			if cd.Code == "" {
				return nil, &ConsentError{cel, "code required"}
			}
			p.Codes = append(p.Codes, ps.coding(cd, cel))
		}
	}
	for i, d := range rp.Data {
		el := fmt.Sprintf("%s.data[%d]", path, i)
		switch d.Meaning {
		case MeaningInstance, MeaningRelated, MeaningAuthoredBy:
		case "dependents":
			return nil, &ConsentError{el + ".meaning", "dependents is not supported: name each instance"}
		default:
			return nil, &ConsentError{el + ".meaning", fmt.Sprintf("%q: must be instance, related or authoredby", d.Meaning)}
		}
		if d.Reference == nil {
			return nil, &ConsentError{el + ".reference", "required"}
		}
		ref := normRef(d.Reference.Reference)
		if d.Meaning == MeaningAuthoredBy {
			a, err := ps.refActor(d.Reference, el+".reference")
			if err != nil {
				return nil, err
			}
			switch a.Kind {
			case ActorOrg:
				p.Data = append(p.Data, DataRef{MeaningAuthoredBy, "Organization/" + a.Value})
			case ActorPerson:
				ps.c.refusals = append(ps.c.refusals, &ConsentError{el + ".reference", "authoredby " + a.Value +
					" cannot be applied: " + unknowable})
				p.Data = append(p.Data, DataRef{MeaningAuthoredBy, a.Value})
			}
			continue
		}
		if !isTypeID(ref) {
			return nil, &ConsentError{el + ".reference", fmt.Sprintf("%q is not a Type/id reference", d.Reference.Reference)}
		}
		if _, id, _ := strings.Cut(ref, "/"); !fhir.ValidID(id) {
			// As an actor's (review 15a: a deny of Condition/diabetes%20
			// was stored and withheld nothing).
			ps.c.refusals = append(ps.c.refusals, &ConsentError{el + ".reference", fmt.Sprintf("%q: %s, and the provision would match nothing", d.Reference.Reference, notAnID(id))})
		}
		if d.Meaning == MeaningRelated {
			ps.c.refusals = append(ps.c.refusals, &ConsentError{el + ".meaning", "related (" + ref +
				" and what refers to it) cannot be applied: " + unknowable})
		}
		p.Data = append(p.Data, DataRef{d.Meaning, ref})
	}
	if parent != nil {
		p.pathLabels = append(append([]string(nil), parent.pathLabels...), p.SecurityLabels...)
	} else {
		p.pathLabels = append([]string(nil), p.SecurityLabels...)
	}
	for i, ch := range rp.Provision {
		cp, err := ps.provision(ch, fmt.Sprintf("%s.provision[%d]", path, i), depth+1, p)
		if err != nil {
			return nil, err
		}
		p.Provisions = append(p.Provisions, cp)
	}
	return p, nil
}

func (ps *parser) addActor(p *Provision, a rawActor, el string) error {
	var roles []rawCoding
	if a.Role != nil {
		roles = a.Role.Coding
	}
	var carexRole, sector, part string
	// One actor is one role or sector: of two, only the last was kept
	// (review 78c: "not to council, nor nhs" withheld from the NHS alone).
	one := func(have *string, code, what string) error {
		if *have != "" && *have != code {
			return &ConsentError{el + ".role", fmt.Sprintf("names two %ss (%s, %s): give each its own actor", what, *have, code)}
		}
		*have = code
		return nil
	}
	for _, cd := range roles {
		switch cd.System {
		case SystemRole:
			if err := one(&carexRole, cd.Code, "role"); err != nil {
				return err
			}
		case SystemSector:
			if err := one(&sector, cd.Code, "sector"); err != nil {
				return err
			}
		case SystemParticipation:
			if _, ok := participationRoles[cd.Code]; !ok {
				continue
			}
			if part != "" && participationRoles[part] != participationRoles[cd.Code] {
				return &ConsentError{el + ".role", "names both a recipient and whose data it is (" + part + ", " + cd.Code + "): " + actorRoles}
			}
			part = cd.Code
		}
	}
	if carexRole == "" && sector == "" && part == "" {
		// What the actor is to the rule is unknown: reading it as a
		// recipient turned a deny of the data an organisation entered,
		// informed or collected (ENT, INF, datacollector, CST without
		// its system) into a deny to that organisation, and released its
		// data to everyone else.
		if a.Role != nil {
			return &ConsentError{el + ".role", "no role carex understands: " + actorRoles}
		}
		// R4 requires a role; one stored by an older release without one
		// is read as a recipient, as it was.
		ps.c.refusals = append(ps.c.refusals, &ConsentError{el + ".role", "required: " + actorRoles})
	}
	if carexRole != "" || sector != "" {
		if carexRole != "" && sector != "" {
			return &ConsentError{el + ".role", "name a role or a sector, not both"}
		}
		org := ""
		if a.Reference != nil && (a.Reference.Reference != "" || a.Reference.Identifier != nil) {
			ra, err := ps.refActor(a.Reference, el+".reference")
			if err != nil {
				return err
			}
			if ra.Kind != ActorOrg {
				return &ConsentError{el + ".reference", "with a role or sector, the reference may only narrow to an Organization"}
			}
			org = ra.Value
		}
		if carexRole != "" {
			ps.c.roleActors = append(ps.c.roleActors, namedRole{el + ".role", carexRole})
			p.Recipients = append(p.Recipients, Actor{Kind: ActorRole, Value: carexRole, Org: org})
		} else {
			if sector != "nhs" && sector != "council" {
				return &ConsentError{el + ".role", fmt.Sprintf("unknown sector %q (nhs or council)", sector)}
			}
			p.Recipients = append(p.Recipients, Actor{Kind: ActorSector, Value: sector, Org: org})
		}
		return nil
	}
	if a.Reference == nil {
		return &ConsentError{el + ".reference", "required"}
	}
	ra, err := ps.refActor(a.Reference, el+".reference")
	if err != nil {
		return err
	}
	switch part {
	case "CST", "AUT":
		if ra.Kind == ActorOrg {
			p.DataActors = append(p.DataActors, Actor{Kind: ActorSourceOrg, Value: ra.Value})
		} else {
			// Read (the engine fails closed: Item.AuthorKnown), but
			// refused on write: carex does not know items' authors.
			ps.c.refusals = append(ps.c.refusals, &ConsentError{el + ".reference", "an actor with role " + part + " naming " + ra.Value +
				" cannot be applied: " + unknowable})
			p.DataActors = append(p.DataActors, Actor{Kind: ActorAuthor, Value: ra.Value})
		}
	default:
		if strings.HasPrefix(ra.Value, "PractitionerRole/") {
			// carex knows a user as Practitioner/<sub> at an organisation;
			// it never resolves the user's PractitionerRole, so such a
			// recipient would match no one. Refused on write.
			ps.c.refusals = append(ps.c.refusals, &ConsentError{el + ".reference", ra.Value +
				" cannot be matched to a user: name the Practitioner (reference or SDS user id), or the Organization, or a carex role at an Organization"})
		}
		p.Recipients = append(p.Recipients, ra)
	}
	return nil
}

// refActor reads an Organization or Practitioner(Role) reference, by
// literal reference or by ODS / SDS identifier, and notes a literal one
// (Consent.References).
func (ps *parser) refActor(r *rawRef, el string) (Actor, error) {
	a, err := refActor(r, el)
	if err == nil && !(r.Identifier != nil && r.Identifier.Value != "" && (r.Identifier.System == SystemODS || r.Identifier.System == SystemCouncil || r.Identifier.System == SystemSDSUser)) {
		typ, id, _ := strings.Cut(normRef(r.Reference), "/")
		ps.c.refs = append(ps.c.refs, NamedReference{Element: el, Type: typ, ID: id})
		if !fhir.ValidID(id) {
			// An id no resource can have (percent-encoded, an
			// underscore): no user's organisation or reference is it, and
			// the provision would be stored and match no one (review 15a:
			// a deny to Organization/E06000999%20 left the council
			// reading Jane's record).
			ps.c.refusals = append(ps.c.refusals, &ConsentError{el, fmt.Sprintf("%q: %s, and the provision would match no one", r.Reference, notAnID(id))})
		}
	}
	return a, err
}

func refActor(r *rawRef, el string) (Actor, error) {
	if r.Identifier != nil && r.Identifier.Value != "" {
		// A code with spaces around it is the code (as a reference is
		// read trimmed); an organisation's code that is not letters and
		// digits, or a user id that is not an id, names no one carex could
		// match (review 96b: "RHX " was stored and matched no one, so the
		// deny applied to no one).
		v := strings.TrimSpace(r.Identifier.Value)
		switch r.Identifier.System {
		case SystemODS, SystemCouncil:
			if !alphanumeric(v) {
				return Actor{}, &ConsentError{el + ".identifier.value", fmt.Sprintf("%q is not a code of %s (letters and digits): give the code alone, or the provision would match no one", r.Identifier.Value, r.Identifier.System)}
			}
		case SystemSDSUser:
			if !fhir.ValidID(v) {
				return Actor{}, &ConsentError{el + ".identifier.value", fmt.Sprintf("%s: give the user id of %s alone, or the provision would match no one", notAnID(r.Identifier.Value), r.Identifier.System)}
			}
		}
		switch r.Identifier.System {
		case SystemODS, SystemCouncil:
			return Actor{Kind: ActorOrg, Value: strings.ToUpper(v)}, nil
		case SystemSDSUser:
			return Actor{Kind: ActorPerson, Value: "Practitioner/" + v}, nil
		}
		if r.Reference == "" {
			return Actor{}, &ConsentError{el + ".identifier", fmt.Sprintf("system %q not supported: use %s, %s or %s", r.Identifier.System, SystemODS, SystemCouncil, SystemSDSUser)}
		}
	}
	ref := normRef(r.Reference)
	typ, id, ok := strings.Cut(ref, "/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return Actor{}, &ConsentError{el, fmt.Sprintf("%q is not a Type/id reference", r.Reference)}
	}
	switch typ {
	case "Organization":
		return Actor{Kind: ActorOrg, Value: strings.ToUpper(id)}, nil
	case "Practitioner", "PractitionerRole":
		return Actor{Kind: ActorPerson, Value: ref}, nil
	}
	return Actor{}, &ConsentError{el, fmt.Sprintf("%s is not an actor carex can identify: carex users are staff of organisations (use Organization, Practitioner, or a role or sector)", typ)}
}

// alphanumeric reports whether s is one or more ASCII letters and digits.
func alphanumeric(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// normRef reduces an absolute or versioned reference to "Type/id". What
// follows the id — a canonical's "|version", a query, a fragment — is
// dropped, as the search index reads a reference (search.NormalizeReference):
// a Consent is filed under the person its patient element names there, and
// "Patient/jane|2" compared as written was someone else's (review 14b: an
// objection stored under Jane that applied to no one, and a deny to
// "Organization/E06000999|1" that matched no one).
func normRef(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "|?#"); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	if strings.Count(s, "/") > 1 && strings.Contains(s, "://") {
		// Absolute: the last two segments. A relative reference is taken
		// only as exactly Type/id, as the index takes it (review 16a:
		// ./Patient/jane was read here as Patient/jane and accepted while
		// the index filed the Consent under no one, so Jane's objection
		// applied to no one); anything longer is refused where read.
		parts := strings.Split(s, "/")
		s = parts[len(parts)-2] + "/" + parts[len(parts)-1]
	}
	return s
}

// notAnID says why id is refused where a FHIR id must be.
func notAnID(id string) string {
	return strconv.Quote(id) + " is not a FHIR id (letters, digits, '-' and '.', at most 64)"
}

func isTypeID(s string) bool {
	typ, id, ok := strings.Cut(s, "/")
	return ok && typ != "" && id != "" && typ[0] >= 'A' && typ[0] <= 'Z'
}

func period(rp *rawPeriod, el string) (Period, error) {
	var p Period
	if rp == nil {
		return p, nil
	}
	if rp.Start != "" {
		t, _, err := parseFHIRTime(rp.Start)
		if err != nil {
			return p, &ConsentError{el + ".start", err.Error()}
		}
		p.Start = t
	}
	if rp.End != "" {
		_, end, err := parseFHIRTime(rp.End)
		if err != nil {
			return p, &ConsentError{el + ".end", err.Error()}
		}
		p.End = end
	}
	if !p.Start.IsZero() && !p.End.IsZero() && !p.Start.Before(p.End) {
		return p, &ConsentError{el, "start is after end"}
	}
	return p, nil
}

// england is where a Consent's dates are days: a person who objects to
// sharing "from 1 June" means from midnight in England, which in British
// Summer Time is 23:00 UTC the day before.
var england = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("consent: Europe/London: " + err.Error()) // tzdata is embedded
	}
	return loc
}()

// England is the zone a Consent's dates are days in (Europe/London).
func England() *time.Location { return england }

// DateSpan is the span a FHIR date or dateTime covers, as the sharing
// decision reads it: from start up to (not including) after, with dates
// without a time read as days in England (parseFHIRTime).
func DateSpan(s string) (start, after time.Time, err error) { return parseFHIRTime(s) }

// parseFHIRTime parses a FHIR date or dateTime. It returns the instant the
// value starts and the instant just after the span its precision covers
// ("2016" → 2016-01-01 and 2017-01-01). Dates without a time (a year, a
// month, a day) are days in England (Europe/London: in British Summer Time
// "2016-06-01" starts at 2016-05-31T23:00Z); both instants are UTC.
func parseFHIRTime(s string) (start, after time.Time, err error) {
	if len(s) > 19 && s[10] == 'T' && s[16] == ':' && s[17:19] == "60" {
		// A leap second (23:59:60Z, which R4 allows): the second after
		// :59, read as the start of the next minute (review 11b: it could
		// not be read, and a care team's end that cannot be read was none).
		start, after, err := parseFHIRTime(s[:17] + "59" + s[19:])
		if err != nil {
			return start, after, err
		}
		return start.Add(time.Second), after.Add(time.Second), nil
	}
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time {
			if strings.Contains(s, ".") {
				return t.Add(time.Millisecond)
			}
			return t.Add(time.Second)
		}},
	}
	for _, l := range layouts {
		if len(l.layout) > 10 && len(s) <= 10 || len(l.layout) <= 10 && len(s) != len(l.layout) {
			continue
		}
		t, e := time.ParseInLocation(l.layout, s, england)
		if e == nil {
			// A date's next day, month or year starts at midnight in
			// England too (AddDate in the location keeps to its days).
			return t.UTC(), l.step(t).UTC(), nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is not a FHIR date or dateTime", s)
}

// icd10Code is an ICD-10 code as a Consent names one: a category (a
// letter and two digits) and any subcategory, with or without its dot.
var icd10Code = regexp.MustCompile(`^[A-Za-z][0-9]{2}(\.?[0-9A-Za-z]{1,4})?\.?$`)
