package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// ConsentPolicy is the decide stage backed by the consent engine: per
// request it prepares each patient once (relationships, consents,
// restrictions) and then decides every item cheaply.
type ConsentPolicy struct {
	Policy *consent.Policy
	store  store.Store
	now    func() time.Time
	// binaryRefs: the item each Binary version's securityContext names
	// (binaryNow), so that a many-megabyte Binary is not read again for
	// each decision: a version never changes.
	binaryRefs versionRefs
	// provTargets: the items each Provenance version targets
	// (provenanceTargets), one per line.
	provTargets versionRefs
	// numbers: the Patients carrying an NHS number and whether one is
	// restricted (numberInfo), kept while no Patient is written. Every read
	// opens a person and asks it: a search each time cost reads about a
	// quarter of their throughput (BenchmarkReadByID); kept only while
	// nothing at all was written, it was searched again after every
	// feed's commit.
	numbers numberCache
	// dir: the labelled directory items (labelledDirectory), kept while
	// no directory item is written.
	dir dirCache
}

// numberCache holds restrictedNumber's answers found while the store's
// PatientChanges read at (even: no commit of a Patient under way).
type numberCache struct {
	mu sync.Mutex
	at uint64
	m  map[string]numberInfo
}

// numberInfo is what the store holds about an NHS number: the Patients
// carrying it (at most maxSameNumber), and whether one of them is
// restricted (yes, too, when more carry it than are read).
type numberInfo struct {
	restricted bool
	ids        []string
	// unread: more Patients carry it than are read, whose objections
	// are then not known (person fails closed).
	unread bool
}

// maxSameNumber bounds the Patients read for one NHS number.
const maxSameNumber = 20

// maxJoinedRecords bounds the other records of one person that person
// reads (links and NHS numbers followed); past it the person is kept to
// the sources, as when more Patients carry a number than are read.
const maxJoinedRecords = 40

// maxJoinedNumbers bounds the distinct NHS numbers person looks up over
// all of a person's records; past it, as past maxJoinedRecords.
const maxJoinedNumbers = 12

// maxCachedNumbers bounds numberCache: past it, the answers start again.
const maxCachedNumbers = 100_000

func (c *numberCache) get(at uint64, n string) (info numberInfo, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != at {
		return numberInfo{}, false
	}
	info, ok = c.m[n]
	return info, ok
}

func (c *numberCache) put(at uint64, n string, info numberInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != at || c.m == nil || len(c.m) >= maxCachedNumbers {
		c.at, c.m = at, make(map[string]numberInfo)
	}
	c.m[n] = info
}

// numberInfo is what the store holds about NHS number n now (the Patients
// carrying it, or linking to it by identifier: review 38c), from the
// cache while no Patient has been written since. Fails closed: on a store
// error, or when more Patients carry it than are read, it is restricted;
// err says whether the Patients were read.
func (cp *ConsentPolicy) numberInfo(ctx context.Context, n string) (numberInfo, error) {
	return cp.patientsInfo(ctx, n, "Patients carrying an NHS number",
		[]*search.Query{patientsNumbered(n, maxSameNumber), patientsLinkingByNumber(n, maxSameNumber)}, cp.store.RetiredPatients)
}

// linkersInfo is what the store holds about the Patients linking to
// Patient id (Patient.link.other by reference), deleted ones by their
// last links, as numberInfo is for a number (cached alike: a Patient
// written moves PatientChanges, so a new link is seen at once). Review
// 38c: Patient/jane, recording her opt-out, links replaces to her old
// record, which does not link back; what stayed filed under the old
// record went to the district nurse.
func (cp *ConsentPolicy) linkersInfo(ctx context.Context, id string) (numberInfo, error) {
	q := &search.Query{Type: "Patient", Count: maxSameNumber, Clauses: []search.Clause{{Param: "link", Type: search.Reference,
		Values: []search.Value{{Ref: "Patient/" + id}}}}}
	// The cache's key: an NHS number is digits alone.
	return cp.patientsInfo(ctx, "Patient/"+id, "Patients linking to a Patient", []*search.Query{q},
		func(ctx context.Context, _ string, most int) ([]string, error) {
			return cp.store.RetiredLinks(ctx, id, most)
		})
}

// patientsInfo is numberInfo's and linkersInfo's look-up: the Patients
// the queries find (at most maxSameNumber each) and the deleted ones
// retired finds, kept in cp.numbers under key while no Patient is written.
func (cp *ConsentPolicy) patientsInfo(ctx context.Context, key, what string, qs []*search.Query, retired func(context.Context, string, int) ([]string, error)) (numberInfo, error) {
	at, stampErr := cp.store.PatientChanges(ctx)
	if info, ok := cp.numbers.get(at, key); ok && stampErr == nil {
		return info, nil
	}
	var info numberInfo
	for _, q := range qs {
		res, err := cp.store.Search(ctx, q, nil)
		if err != nil {
			return numberInfo{restricted: true}, fmt.Errorf("%s: %w", what, err)
		}
		if len(res.Items) >= maxSameNumber {
			info.restricted, info.unread = true, true
		}
		for _, v := range res.Items {
			info.restricted = info.restricted || restrictedLabels(v.Labels)
			if !slices.Contains(info.ids, v.ID) {
				info.ids = append(info.ids, v.ID)
			}
		}
	}
	// Deleted Patients that carried it are the person's records still:
	// their Consents and items remain (review 18a: once the GP deleted
	// Patient/jane, her opt-out no longer reached the hospital's
	// Patient/hosp-jane carrying her number). person reads what each
	// last said (lastOf).
	gone, err := retired(ctx, key, maxSameNumber)
	if err != nil {
		return numberInfo{restricted: true}, fmt.Errorf("%s: %w", what, err)
	}
	if len(gone) >= maxSameNumber {
		// As for live Patients: a restricted one among those not read
		// would go unseen, and break-glass overrides the objection
		// assumed for them, not a restriction (review 18c: the 21st
		// deleted record, restricted, let a break-glass read release
		// the hospital's record's address).
		info.unread, info.restricted = true, true
	}
	for _, id := range gone {
		if !slices.Contains(info.ids, id) {
			info.ids = append(info.ids, id)
		}
	}
	// Kept only if no Patient was committed, nor under way, from before
	// the search to after it: the answer holds while none is.
	if stampErr == nil && at%2 == 0 {
		if now, err := cp.store.PatientChanges(ctx); err == nil && now == at {
			cp.numbers.put(at, key, info)
		}
	}
	return info, nil
}

// NewConsentPolicy enforces pol over the records in st.
func NewConsentPolicy(pol *consent.Policy, st store.Store) *ConsentPolicy {
	return &ConsentPolicy{Policy: pol, store: st, now: time.Now}
}

// gate is one request's decision context, kept in its Exchange.
type gate struct {
	cp          *ConsentPolicy
	ctx         context.Context
	user        consent.User
	issuer      string // the user's token's iss: with user.Sub and user.Org, who holds a break-glass grant
	x           *Exchange
	mu          sync.Mutex
	untold      bool // why items are withheld is not noted (Exchange.untold)
	prepared    map[preparedKey]*personDecision
	unknown     map[string]bool             // patients with nothing stored: nothing to protect
	binaries    map[versionKey]binaryView   // binaryNow's answers in this request
	provenances map[versionKey][]provTarget // provenanceNow's answers in this request
	// restrictChecked: people of own-organisation items looked up for the
	// restricted-patient alert (noteRestricted).
	restrictChecked map[string]bool
	claimed         bool                // the last prepared patient is related to the user's org only by its own say-so
	redact          map[versionKey]bool // versions to release with demographics redacted
	decisions       []decision          // items decided, in order (maskref.go)
	releasedItems   int                 // of decisions, those that released the item: the reference budget's (spendLookup)
	seen            map[refKey]decision // decisions[:indexed] by item, and references looked up
	indexed         int
	refOK           map[string]bool            // reference strings decided for masking: released as stored or not
	lookups         int                        // items and people looked up to decide references (maxRefLookups)
	quiet           map[string]*personDecision // people prepared only to decide references (maskref.go)
	err             error                      // loading a patient failed: nothing more is released
	grants          []string                   // patients whose break-glass grant is still to be stored (see flush)
	bg              bgShare                    // the one patient this request's break-glass reason applies to (a batch shares its own)
	// The patients whose items the request touched (released or
	// withheld), for the access log (beside the one a request named: a
	// joint appointment in Jane's record names her husband too), in the
	// order met.
	touchedIDs []string
	touchedSet map[string]bool

	// redactCopies: versions of other types about a restricted person,
	// released outside their source organisation, whose contained copies
	// of a person's demographics are redacted (review 10a).
	redactCopies map[versionKey]bool
	// liftedR: versions of a Patient labelled R whose person is not
	// restricted now (the restriction lifted), by the person's id: each
	// released raises the restricted-patient alert (noteLiftedR).
	liftedR map[versionKey]string
	// anyLiftedR: liftedR holds some version (so that a release of none,
	// the hot path, takes no lock for it)
	anyLiftedR atomic.Bool
	// numbers: whether a Patient carrying the NHS number is restricted
	// (restrictedNumber).
	numbers map[string]bool
	// linkedRestricted: whether the Patient of each id a carried copy of
	// a person links to is restricted (restrictedID), once per request.
	linkedRestricted map[string]bool
	// dir: the labelled directory items, looked up once (directory).
	dirOnce sync.Once
	dir     *labelledDir
	// identItems: whether a logical reference's identifier names an item
	// withheld from the user (identItemWithheld), once per request.
	identItems     map[string]bool
	typelessIdents int
}

// touched notes the patients of an item the request decided.
func (g *gate) touched(patients []string) {
	g.mu.Lock()
	g.x.noteUnresolved(patients) // named by NHS number: looked up for the log (resolveNamed)
	for _, p := range patients {
		switch {
		case unresolved(p):
		case len(g.touchedIDs) == 0:
			g.touchedIDs = append(g.touchedIDs, p) // most requests: one person, no set
		case g.touchedIDs[0] == p || g.touchedSet[p]:
		default:
			if g.touchedSet == nil {
				g.touchedSet = map[string]bool{g.touchedIDs[0]: true}
			}
			g.touchedSet[p] = true
			g.touchedIDs = append(g.touchedIDs, p)
		}
	}
	g.mu.Unlock()
}

// nhsNumber is the NHS number on the patient's Patient resource, from the
// store's shared context (decoded once per change of the record); "" when
// there is none or it cannot be loaded (the entry then names the id alone).
func (g *gate) nhsNumber(ctx context.Context, patientID string) string {
	pc, err := g.cp.store.PatientContext(ctx, patientID)
	if err != nil {
		return ""
	}
	return nhsOfPerson(ctx, g.cp.store, patientID, pc)
}

// nhsOfPerson is the NHS number on the person's Patient, or, once it has
// been deleted, on the version the delete ended: the person is the same,
// and their entries name them by it (a read of that version releases it).
func nhsOfPerson(ctx context.Context, st store.Store, patientID string, pc *store.PatientContext) string {
	if nhs := deriveRecords(patientID, pc).nhs; nhs != "" || pc.Patient != nil {
		return nhs
	}
	// No current Patient: deleted (its marker), or never stored.
	gone, err := st.Read(ctx, "Patient", patientID)
	if !errors.Is(err, store.ErrGone) || gone == nil || gone.VersionID < 2 {
		return ""
	}
	if v, err := st.VRead(ctx, "Patient", patientID, gone.VersionID-1); err == nil && v != nil && !v.Deleted && v.Raw != nil {
		return nhsNumberOf(decodeMap(v.Raw))
	}
	return ""
}

// patients are the patients the request touched: the one, or several.
func (g *gate) patients() (one string, several []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.touchedIDs) == 1 {
		return g.touchedIDs[0], nil
	}
	return "", slices.Clone(g.touchedIDs)
}

func (cp *ConsentPolicy) gate(ctx context.Context, p *auth.Principal, x *Exchange) *gate {
	if x != nil && x.gate != nil {
		return x.gate
	}
	g := &gate{cp: cp, ctx: ctx, x: x, prepared: map[preparedKey]*personDecision{}, redact: map[versionKey]bool{}, redactCopies: map[versionKey]bool{}, liftedR: map[versionKey]string{}, unknown: map[string]bool{}, restrictChecked: map[string]bool{}}
	if p != nil {
		g.user = consent.User{Sub: p.Sub, Name: p.Name, Role: p.Role, Org: p.Org, Sector: p.Sector, Purpose: p.Purpose}
		g.issuer = p.Issuer
	}
	if x != nil {
		g.user.BreakGlassReason = x.BreakGlass
		x.gate = g
	}
	return g
}

// known reports whether patientID was prepared and has something stored
// (a Patient resource or data from any source).
func (g *gate) known(patientID string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	unknown, prepared := g.unknown[patientID]
	return prepared && !unknown
}

// prepare loads and prepares one patient (once per request).
func (g *gate) prepare(patientID string) *personDecision { return g.prepareFor(patientID, bgOwn) }

// How a patient is decided under a request's break-glass reason.
type bgMode int

const (
	bgOwn     bgMode = iota // the request's break-glass person (chosen by breakGlassFor) under it, others not
	bgTrace                 // under it, no grant: a break-glass trace's matches (demographics only)
	bgAlong                 // under it, no grant, and only where their own Consents do not withhold it: another person of an item the break-glass person shares
	bgWithout               // not under it, and no person chosen: an item of several people the request does not name
)

type preparedKey struct {
	patient string
	mode    bgMode
}

// prepareFor is prepare in one of the break-glass modes.
func (g *gate) prepareFor(patientID string, mode bgMode) *personDecision {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := preparedKey{patientID, mode}
	earlier, ok := g.prepared[key]
	if ok && g.current(&earlier.basis) {
		return earlier
	}
	now := g.cp.now()
	pat := consent.Patient{ID: patientID}
	var linked []consent.Patient
	b := basis{changes: g.cp.store.Changes()}
	if patientID != "" {
		pc, err := g.cp.store.PatientContext(g.ctx, patientID)
		if err != nil {
			g.err = err
		} else {
			b.add(patientID, pc)
			d := deriveContext(patientID, pc)
			if pat, linked, err = g.cp.person(g.ctx, d, pc, &b); err != nil {
				g.err = err
			}
			// Another record carrying the person's NHS number is
			// restricted (review 12b): so is this one.
			pat.Restricted = pat.Restricted || g.restrictedNumbersLocked(d.numbers)
			g.unknown[patientID] = pc.Patient == nil && len(pc.Sources) == 0
			g.claimed = d.onlyClaimed(pc, g.user.Org, now)
		}
	}
	u := g.user
	if patientID != "" && u.BreakGlassReason != "" && (mode == bgWithout || mode == bgOwn && !g.breakGlassFor(patientID)) {
		u.BreakGlassReason = "" // decided as without it
	}
	if patientID != "" && u.BreakGlassReason == "" && g.err == nil {
		until, err := g.cp.store.BreakGlassUntil(g.ctx, g.grantee(), patientID)
		if err != nil {
			g.err = err
		}
		u.BreakGlassGranted = now.Before(until)
	}
	pp := preparePerson(g.cp.Policy, u, pat, linked, now)
	pp.basis = b
	pp.earlier = earlier
	if patientID != "" && pp.BreakGlass() && !u.BreakGlassGranted && pp.Open().Permitted() && g.err == nil && mode != bgTrace && mode != bgAlong {
		// Stored by flush, after the handler: prepare may run inside the
		// store's write transaction (a conditional create's match), where a
		// second write would wait for itself.
		g.grants = appendNew(g.grants, patientID)
	}
	g.prepared[key] = pp
	if g.x != nil {
		d := pp.Open()
		g.note(d)
		if patientID != "" {
			// Prepared: noteRestricted need not look them up again.
			g.restrictChecked[patientID] = true
			if slices.ContainsFunc(d.Reasons, func(r consent.Reason) bool { return r.Code == consent.CodeRestrictedPatient }) {
				g.x.restricted = appendNew(g.x.restricted, patientID)
			}
		}
		if d.Permitted() && g.claimed && !pp.BreakGlass() {
			if role := g.cp.Policy.Role(u.Role); role != nil && !role.Audit && !role.OwnOrgOnly {
				g.note(consent.Decision{Reasons: []consent.Reason{{Code: CodeClaimedRelationship}}})
				if patientID != "" && g.x != nil {
					g.x.claimed = appendNew(g.x.claimed, patientID)
				}
			}
		}
	}
	return pp
}

// noteRestrictedWritten notes, for the IG alert, the restricted people
// whose records the request's writes would change, allowed or refused.
func (cp *ConsentPolicy) noteRestrictedWritten(ctx context.Context, x *Exchange) {
	if len(x.written) == 0 || x.Principal == nil {
		return
	}
	cp.gate(ctx, x.Principal, x).noteRestricted(ctx, x.written)
}

// bgShare is the one break-glass person of a batch, whose entries are
// requests of their own (bgShareKey in the batch's context).
type bgShare struct {
	mu      sync.Mutex
	patient string
}

type bgShareKey struct{}

// breakGlassFor reports whether this request's break-glass reason applies
// to patientID: break-glass opens one person's record per request (a
// batch counts as one), the one the request names (x.Patient), else the
// first it decides for.
func (g *gate) breakGlassFor(patientID string) bool {
	share := g.share()
	share.mu.Lock()
	defer share.mu.Unlock()
	if share.patient == "" {
		share.patient = patientID
		if g.x != nil && g.x.bgSubject != "" {
			share.patient = g.x.bgSubject
		} else if g.x != nil && g.x.Patient != "" {
			share.patient = g.x.Patient
		}
	}
	return share.patient == patientID
}

// bgPerson is the request's break-glass person once chosen, else "".
func (g *gate) bgPerson() string {
	share := g.share()
	share.mu.Lock()
	defer share.mu.Unlock()
	return share.patient
}

// share is where the request's break-glass person is kept: the batch's,
// or the gate's own.
func (g *gate) share() *bgShare {
	if share, _ := g.ctx.Value(bgShareKey{}).(*bgShare); share != nil {
		return share
	}
	return &g.bg
}

// flush stores the break-glass grants this request made, so that they hold
// for the grant period. The access stage calls it before logging and
// sending; an error withholds the response.
func (g *gate) flush() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	until := g.cp.now().Add(g.cp.Policy.BreakGlassGrant)
	for _, pid := range g.grants {
		if err := g.cp.store.GrantBreakGlass(g.ctx, g.grantee(), pid, g.user.BreakGlassReason, until); err != nil {
			return err
		}
	}
	g.grants = nil
	return nil
}

// grantee is who holds the break-glass grants this request makes and
// uses: the user at their organisation, as their token's issuer names
// them. A grant made for one organisation's access is none for another's.
func (g *gate) grantee() store.Grantee {
	return store.Grantee{Issuer: g.issuer, Sub: g.user.Sub, Org: g.user.Org}
}

// note adds a decision's flags to the access log entry (reasons only by
// code: details may name withheld data).
func (g *gate) note(d consent.Decision) {
	if g.x == nil {
		return
	}
	add := g.x.addReason
	if d.Flags&consent.FlagBreakGlass != 0 {
		add("break-glass")
	}
	if d.Flags&consent.FlagIGAlert != 0 {
		add("ig-alert")
	}
	for _, r := range d.Reasons {
		add(r.Code)
	}
}

// noteWithheld adds why an item was withheld to the access log entry, by
// code (SPEC §5: "the decision and its reasons are recorded"; review 85c:
// a client system's search that withheld the hospital's Task was logged
// "deny" with no reason, and no class-not-permitted was ever logged). A
// sensitivity reason is logged as sensitive-label, as $explain reports
// it: legally-restricted would tell the IG officer reading the log that
// the person has assisted-fertilisation or gender-history records. Only a
// decision for the person the request is about is told: an item of hers
// withheld for another person it names (a joint appointment under Bob's
// Consent) would put his reasons in her report, which she may print
// (review 86a). A request naming no one notes an item of several people's
// only when it is the item the request asked for by its id (a read of a
// joint appointment, whose entry names them all, so that a person's
// report shows none of its reasons: concerning); another's, matched by a
// conditional write whose entry names her alone, would put his Consent in
// her report (review 86c).
func (g *gate) noteWithheld(d consent.Decision, pid string, m *store.Meta) {
	if g.x == nil || g.x.Patient != "" && pid != g.x.Patient ||
		g.x.Patient == "" && len(m.Patients) > 1 && !(m.Type == g.x.Type && m.ID == g.x.ID) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.untold {
		return
	}
	for _, r := range d.Reasons {
		code := r.Code
		if r.Layer == consent.LayerSensitivity {
			code = consent.CodeSensitive
		}
		g.x.addReason(code)
		g.x.withheldReasons = appendNew(g.x.withheldReasons, code)
	}
}

// noteRestricted notes, for the IG alert, the restricted people among
// those of an item released as the user's own organisation's (ownData
// decides without preparing them), or among those a write would change
// (the write decision does not prepare them either): every access to a
// restricted person raises one, the source's included (SPEC §5; reviews
// 5d, 9b). Each person is looked up once per request, from the store's
// shared context.
func (g *gate) noteRestricted(ctx context.Context, patients []string) {
	if g.x == nil {
		return
	}
	for _, pid := range patients {
		g.mu.Lock()
		done := g.restrictChecked[pid]
		g.restrictChecked[pid] = true
		g.mu.Unlock()
		if done {
			continue
		}
		// (pid itself in progress: the carriers of its numbers other than
		// itself are asked, and a person with one record asks none)
		if restricted, err := g.personRestricted(ctx, pid, map[string]bool{pid: false}); err != nil || !restricted {
			continue // (on an error the release is the organisation's own; only the alert is lost)
		}
		g.mu.Lock()
		g.note(consent.Decision{Reasons: []consent.Reason{{Code: consent.CodeRestrictedPatient}}})
		g.x.restricted = appendNew(g.x.restricted, pid)
		g.mu.Unlock()
	}
}

// ownData: the user's organisation recorded this item (and the role sees
// its own organisation's records, or sees its class) — released without loading the
// patient (rule 1 of the combining rule; the source relationship is the
// item itself). Not under break-glass, whose use must be noted per
// patient.
func (g *gate) ownData(m *store.Meta) bool {
	return g.user.BreakGlassReason == "" && g.sourceKeeps(m)
}

// visible decides one stored item, counting what it withholds.
func (g *gate) visible(m *store.Meta) bool {
	ok := g.decide(m)
	g.decided(m, ok)
	return ok
}

func (g *gate) decide(m *store.Meta) bool {
	if g.err != nil {
		return false
	}
	ok, err := g.throughBinary(m, g.decideItem)
	if err != nil {
		g.mu.Lock()
		g.err = err
		g.mu.Unlock()
		return false
	}
	return ok
}

// binaryView is what binaryNow answered for one Binary version.
type binaryView struct {
	now  *store.Meta
	item *store.Version
}

// binaryNow is the policy's binaryNow, read once per Binary version in a
// request: an $everything asks for each Binary whose it is (ofPerson),
// then decides it, and its notice asks again (refSees).
func (g *gate) binaryNow(m *store.Meta) (*store.Meta, *store.Version, error) {
	k := keyOf(m)
	g.mu.Lock()
	b, ok := g.binaries[k]
	g.mu.Unlock()
	if ok {
		return b.now, b.item, nil
	}
	now, item, err := g.cp.binaryNow(g.ctx, m)
	if err != nil {
		return nil, nil, err
	}
	g.mu.Lock()
	if g.binaries == nil {
		g.binaries = map[versionKey]binaryView{}
	}
	g.binaries[k] = binaryView{now, item}
	g.mu.Unlock()
	return now, item, nil
}

// throughBinary is one(m), but for a Binary one of the Binary as binaryNow
// makes it and of the item it is the content of, which is released too or
// the Binary is not (it is counted once, as the Binary, either way).
func (g *gate) throughBinary(m *store.Meta, one func(*store.Meta) bool) (bool, error) {
	if m.Type != "Binary" {
		return one(m), nil
	}
	now, item, err := g.binaryNow(m)
	if err != nil {
		return false, err
	}
	if item != nil && !one(&item.Meta) {
		return false, nil
	}
	return one(now), nil
}

// decideItem is decide for an item as it stands (a Binary as binaryNow
// made it).
func (g *gate) decideItem(m *store.Meta) bool {
	g.touched(m.Patients) // an item of several people is logged against each
	if m.Type == "Provenance" {
		// and a provenance against those of the items it is about now
		// (review 8: that of a letter moved to John was logged as Jane's)
		targets, _ := g.provenanceNow(m)
		g.touched(provenancePeople(targets))
	}
	if g.ownData(m) {
		g.noteRestricted(g.ctx, m.Patients)
		if m.Type == "Patient" && slices.Contains(m.Labels, "R") {
			g.mu.Lock()
			g.liftedR[keyOf(m)] = m.ID // (noteRestricted raised it already if she is restricted now)
			g.anyLiftedR.Store(true)
			g.mu.Unlock()
		}
		return true
	}
	if len(m.Patients) == 0 {
		// No person's record to open, by relationship or break-glass.
		if g.seesOutsideCompartments(m) {
			return true
		}
		g.withheld()
		return false
	}
	if hasUnresolved(m.Patients) {
		// It names someone by an NHS number no one (or more than one
		// Patient) carried when it was written: no decision can be found
		// for them, and it stays with its source (ownData), under
		// break-glass too (sourceKeeps).
		if g.sourceKeeps(m) {
			return true
		}
		g.withheld()
		return false
	}
	patients := m.Patients
	it := itemOf(m)
	modeOf := g.bgModes(patients)
	for _, pid := range patients {
		mode := modeOf(pid)
		pp := g.prepareFor(pid, mode)
		if g.err != nil {
			return false
		}
		d := pp.Decide(it)
		if mode == bgAlong && d.Permitted() && pp.ConsentWithholds(it) {
			d = consent.Decision{Effect: consent.Withhold}
		}
		if !d.Permitted() {
			g.noteWithheld(d, pid, m)
			g.withheld()
			return false
		}
		if d.Flags&consent.FlagRedact != 0 && g.x != nil && (g.x.asksRedacted || !g.carriesNumbers(m, g.x.bareNumbers)) {
			return false // see asksRedacted, bareNumbers: silently, not counted as withheld
		}
		if d.Flags != 0 {
			g.mu.Lock()
			if d.Flags&consent.FlagRedact != 0 {
				g.redact[keyOf(m)] = true
				if it.Restricted && !pp.Restricted() {
					g.liftedR[keyOf(m)] = pid
					g.anyLiftedR.Store(true)
				}
			}
			g.mu.Unlock()
			g.note(d)
		}
		if pp.Restricted() && !personResource(m.Type) && (g.user.Org == "" || !strings.EqualFold(m.SourceOrg, g.user.Org)) {
			if g.x != nil && g.x.asksPlaceIdentifier && g.placeIdentified(m) {
				return false // see asksPlaceIdentifier: silently, not counted as withheld
			}
			// A copy of her demographics inside another item (a
			// referral's contained Patient) is redacted as her own
			// records are: review 10a, the council's referral released
			// her refuge address to the district nurse.
			g.mu.Lock()
			g.redactCopies[keyOf(m)] = true
			g.mu.Unlock()
		}
	}
	if g.x != nil && (g.x.asksRedacted || !g.carriesNumbers(m, g.x.bareNumbers)) && g.restrictedCarer(m) {
		return false // as FlagRedact above: silently, not counted as withheld
	}
	if m.Type == "Provenance" && !g.sourceKeeps(m) && !g.targetsSeen(m) {
		// (its source's own, under break-glass too, as without it:
		// ownData — review 111c: breaking glass hid the hospital's own
		// provenance of a 101-item batch from it)
		g.withheld()
		return false
	}
	return true
}

// carriesNumbers reports whether the person resource m carries, for each
// clause of clauses (bareNumbers), one of its numbers as an NHS number;
// false on a store error.
func (g *gate) carriesNumbers(m *store.Meta, clauses [][]string) bool {
	if len(clauses) == 0 {
		return true
	}
	v, err := g.cp.store.VRead(g.ctx, m.Type, m.ID, m.VersionID)
	if err != nil || v == nil || v.Raw == nil {
		return false
	}
	own := nhsNumbersOf(decodeMap(v.Raw))
	for _, nums := range clauses {
		if !slices.ContainsFunc(nums, func(n string) bool { return slices.Contains(own, n) }) {
			return false
		}
	}
	return true
}

// placeHidden reports whether a condition by identifier must not see
// item m (placeShy): an item of a restricted person, not the user's
// organisation's, with identifiers her release takes out.
func (g *gate) placeHidden(m *store.Meta) bool {
	if personResource(m.Type) || g.user.Org != "" && strings.EqualFold(m.SourceOrg, g.user.Org) {
		return false
	}
	restricted := false
	for _, pid := range m.Patients {
		pp := g.prepare(pid)
		if g.err != nil {
			return true
		}
		restricted = restricted || pp.Restricted()
	}
	return restricted && g.placeIdentified(m)
}

// placeIdentified reports whether item m's current body has identifiers
// a restricted person's release takes out (placeIdentified). Fails
// closed on a store error.
func (g *gate) placeIdentified(m *store.Meta) bool {
	v, err := g.cp.store.VRead(g.ctx, m.Type, m.ID, m.VersionID)
	if err != nil || v == nil || v.Raw == nil {
		return err != nil
	}
	return bytes.Contains(v.Raw, []byte(`"identifier"`)) && placeIdentified(decodeMap(v.Raw))
}

// restrictedCarer reports whether m is a RelatedPerson released outside
// its source redacted because an NHS number it carries is a restricted
// person's (bodyOf; review 13a: a carer who is herself restricted). A
// search on its redacted elements must not see it (asksRedacted; review
// 13c: RelatedPerson?patient=jane&address-postalcode=LS9 found Jane's
// carer and =ZZ1 did not, answering for the refuge address the read
// redacts). Fails closed on a store error.
func (g *gate) restrictedCarer(m *store.Meta) bool {
	if m.Type != "RelatedPerson" || m.Deleted || g.user.Org != "" && strings.EqualFold(m.SourceOrg, g.user.Org) {
		return false
	}
	v, err := g.cp.store.VRead(g.ctx, m.Type, m.ID, m.VersionID)
	if err != nil || v == nil || v.Raw == nil {
		return err != nil
	}
	if !fhir.MayHoldNHSNumberSystem(v.Raw) && !bytes.Contains(v.Raw, []byte(`\u`)) {
		return false
	}
	return g.restrictedCopyNumbers(nhsNumbersOf(decodeMap(v.Raw)))
}

// targetsSeen reports whether the user sees every item Provenance m
// targets, as they are now (refVisible): the provenance of an item (who
// recorded it, when, why) goes with it. A Provenance takes its targets'
// people and labels when it is written (targetPeople), as a Binary does
// its letter's, and a target may since have been labelled PSY (review 8:
// the provenance of a letter labelled PSY since was released by the
// labels it copied, as a Binary was before binaryNow). Its source sees it
// (ownData) before this is asked.
func (g *gate) targetsSeen(m *store.Meta) bool {
	targets, err := g.cp.provenanceTargets(g.ctx, m)
	if err != nil || len(targets) > maxProvenanceTargets {
		return false
	}
	for _, n := range targets {
		typ, id, ver, ok := refTarget(n)
		if !ok || typ == "Patient" || g.unlooked(typ, id) {
			continue // a person is decided as the Provenance's own; directory data is no one's (unless labelled: review 31b)
		}
		if !g.refVisible(refKey{typ, id}) {
			return false
		}
		// The provenance of one version (Condition/1/_history/2) goes
		// with that version too.
		if ver != 0 && !g.versionVisible(typ, id, ver) {
			return false
		}
	}
	return true
}

// provTarget is an item a Provenance targets, as it is stored now.
type provTarget struct {
	typ, id string // "" when the target is no literal reference (refTarget)
	// now is the item as it is decided now (a Binary as binaryNow makes
	// it, of the item it is the content of); nil when it is not stored or
	// not read: a Patient, directory data, which are no one's records.
	now  *store.Meta
	of   *store.Version
	gone bool // deleted (now is its delete marker)
	// was and wasOf are the version the reference names, where it names
	// one other than the current (as now and of; nil when not stored).
	was   *store.Meta
	wasOf *store.Version
	// unread: the Provenance names more than maxProvenanceTargets, none
	// read; nothing can be said of them.
	unread bool
}

// provenanceNow reads the items Provenance m targets, as they are stored
// now. One naming more than maxProvenanceTargets has none read: its list
// is one unread target. On a store error it returns the targets read until
// then with it.
func (cp *ConsentPolicy) provenanceNow(ctx context.Context, m *store.Meta) ([]provTarget, error) {
	refs, err := cp.provenanceTargets(ctx, m)
	if err != nil {
		return nil, err
	}
	if len(refs) > maxProvenanceTargets {
		return []provTarget{{unread: true}}, nil
	}
	out := make([]provTarget, 0, len(refs))
	for _, n := range refs {
		var t provTarget
		typ, id, ver, ok := refTarget(n)
		if ok {
			t.typ, t.id = typ, id
		}
		if ok && typ != "Patient" && (!unlookedDirectory(typ) || cp.directoryLabelled(ctx, typ, id)) {
			v, err := cp.store.Read(ctx, typ, id)
			t.gone = errors.Is(err, store.ErrGone)
			switch {
			case errors.Is(err, store.ErrNotFound), v == nil && t.gone:
			case err != nil && !t.gone:
				return out, err
			default:
				if t.now, t.of, err = cp.asItNow(ctx, &v.Meta); err != nil {
					return out, err
				}
			}
			if ver != 0 && (t.now == nil || ver != t.now.VersionID) {
				vv, err := cp.store.VRead(ctx, typ, id, ver)
				switch {
				case errors.Is(err, store.ErrNotFound), err == nil && (vv == nil || vv.Deleted):
				case err != nil:
					return out, err
				default:
					if t.was, t.wasOf, err = cp.asItNow(ctx, &vv.Meta); err != nil {
						return out, err
					}
				}
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// maxProvenanceTargets bounds the targets of a Provenance carex decides
// outside its source: a Provenance may name any number, and one naming
// 50,000 made every request deciding it read them all. A bound per
// Provenance, not per request: what one request can afford must not
// depend on the other items it holds, withheld ones among them (review 9a:
// a request's lookup budget counted the items withheld from the user).
const maxProvenanceTargets = 100

// asItNow is m as it is decided now: a Binary as binaryNow makes it, with
// the item it is the content of.
func (cp *ConsentPolicy) asItNow(ctx context.Context, m *store.Meta) (*store.Meta, *store.Version, error) {
	if m.Type == "Binary" {
		return cp.binaryNow(ctx, m)
	}
	return m, nil, nil
}

// provenanceNow is cp.provenanceNow, read once per Provenance version in a
// request: $everything asks for it where it keeps a person's items
// (ofPerson), where it logs (decideItem), and again for its notice.
func (g *gate) provenanceNow(m *store.Meta) ([]provTarget, error) {
	k := keyOf(m)
	g.mu.Lock()
	ts, ok := g.provenances[k]
	g.mu.Unlock()
	if ok {
		return ts, nil
	}
	ts, err := g.cp.provenanceNow(g.ctx, m)
	if err != nil {
		return ts, err
	}
	g.mu.Lock()
	if g.provenances == nil {
		g.provenances = map[versionKey][]provTarget{}
	}
	g.provenances[k] = ts
	g.mu.Unlock()
	return ts, nil
}

// provenancePeople are the people of the items a Provenance targets, as
// they are stored now, for the log; a target that cannot be read adds no
// one.
func provenancePeople(targets []provTarget) []string {
	var out []string
	for _, t := range targets {
		switch {
		case t.typ == "Patient":
			out = append(out, t.id)
		case t.now != nil:
			out = append(out, t.now.Patients...)
		}
	}
	return distinct(out)
}

// provenanceTargets are the references ("Type/id") of Provenance version
// m's targets, read once per version (a version never changes); a delete
// marker's are those of the version it deleted (as binaryNow's, review 8:
// the deleted provenance of a letter labelled PSY since answered 410).
func (cp *ConsentPolicy) provenanceTargets(ctx context.Context, m *store.Meta) ([]string, error) {
	key := keyOf(m)
	if s, ok := cp.provTargets.get(key); ok {
		return strings.Fields(s), nil
	}
	v, err := cp.store.VRead(ctx, "Provenance", m.ID, m.VersionID)
	for ver := m.VersionID - 1; errors.Is(err, store.ErrGone) && ver > 0; ver-- {
		v, err = cp.store.VRead(ctx, "Provenance", m.ID, ver)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var targets []struct {
		Reference string `json:"reference"`
	}
	json.Unmarshal(topLevel(v.Raw, "target"), &targets)
	var out []string
	for _, t := range targets {
		if n, ok := search.NormalizeReference(t.Reference); ok && !strings.ContainsAny(n, " \t\n") {
			if _, _, ver, ok := refTarget(refCore(t.Reference)); ok && ver != 0 {
				// the version it names is decided too (targetsSeen), with or
				// without a fragment (review 14c: Condition/1/_history/2#x was
				// read as the item alone)
				n += "/_history/" + strconv.FormatInt(ver, 10)
			}
			out = append(out, n)
		}
	}
	cp.provTargets.put(key, strings.Join(out, "\n"))
	return out, nil
}

// seesOutsideCompartments decides an item that names no person
// (directory, terminology; search.NamedPeople): the role's classes decide (an own-organisation-only role's
// to its own organisation's), and a sensitive label keeps it with its
// source, as no consent can be found to release it. So does a Binary whose
// securityContext names no person: its content is opaque. Break-glass
// opens a person's record, so it does not apply here.
func (g *gate) seesOutsideCompartments(m *store.Meta) bool {
	own := strings.EqualFold(m.SourceOrg, g.user.Org)
	role := g.cp.Policy.Role(g.user.Role)
	addressed := role != nil && role.SeesAddressed(m.Type, m.DataClass, codings(m.OtherCodes), g.user.Org)
	return role != nil && g.cp.Policy.Serves(g.user.Purpose) && (role.Sees(m.DataClass) || own && role.SeesOwn || addressed) && (own || !role.OwnOrgOnly) &&
		(own || !slices.ContainsFunc(m.Labels, g.cp.Policy.IsSensitive) && m.Type != "Binary")
}

// bgModes says how each of an item's people is decided under the
// request's break-glass reason. A trace: all along, no one opened. A
// single-item request for an item several people share: its subject opens
// (if it has one), the others its current version names come along, and
// anyone only an earlier version named is decided without it. Otherwise,
// an item of several people: if it belongs to the request's break-glass
// person, the others come along (no grant); if the request names no one
// and no one is chosen yet, all are decided without it (a lookup must not
// open whoever sorts first). Coming along overrides no one's objection:
// break-glass overrides one person's consent (SPEC §5), so an item
// another person's own Consents withhold stays withheld (decide; review
// 5d: break-glass for Jane overrode Bob's opt-out on his item naming her).
func (g *gate) bgModes(patients []string) func(string) bgMode {
	own := func(string) bgMode { return bgOwn }
	x := g.x
	switch {
	case g.user.BreakGlassReason == "" || x == nil:
		return own
	case x.bgTrace:
		return func(string) bgMode { return bgTrace }
	case len(x.bgPeople) > 0:
		return func(pid string) bgMode {
			switch {
			case x.bgSubject != "" && pid == x.bgSubject:
				return bgOwn
			case slices.Contains(x.bgPeople, pid):
				return bgAlong
			}
			return bgWithout
		}
	case len(patients) < 2:
		return own
	}
	bp := g.bgPerson()
	if bp == "" && x.Patient != "" {
		g.breakGlassFor(patients[0]) // chooses the person the request names
		bp = g.bgPerson()
	}
	switch {
	case bp == "":
		return func(string) bgMode { return bgWithout }
	case slices.Contains(patients, bp):
		return func(pid string) bgMode {
			if pid == bp {
				return bgOwn
			}
			return bgAlong
		}
	}
	return own
}

func (g *gate) withheld() {
	if g.x != nil {
		g.mu.Lock()
		g.x.Withheld++
		g.mu.Unlock()
	}
}

func itemOf(m *store.Meta) *consent.Item {
	it := &consent.Item{Type: m.Type, ID: m.ID, DataClass: m.DataClass, SourceOrg: m.SourceOrg, Labels: m.Labels, Date: m.Date, DateEnd: m.DateEnd}
	if m.Type == "Patient" && slices.Contains(m.Labels, "R") {
		// A restricted person's Patient is redacted, not withheld: R on it
		// marks the person. A version labelled R is redacted even when the
		// person's current record no longer is (an old refuge address).
		// On any other item R is a label like any other: withheld.
		it.Labels = without(m.Labels, "R")
		it.Restricted = true
	}
	it.Codes = codings(m.Codes)
	it.OtherCodes = codings(m.OtherCodes)
	return it
}

// codings reads system|code strings.
func codings(l []string) []consent.Coding {
	if len(l) == 0 {
		return nil
	}
	out := make([]consent.Coding, 0, len(l))
	for _, c := range l {
		sys, code, _ := strings.Cut(c, "|")
		out = append(out, consent.Coding{System: sys, Code: code})
	}
	return out
}

func without(l []string, drop string) []string {
	for i, s := range l {
		if s == drop {
			out := append([]string{}, l[:i]...)
			return append(out, l[i+1:]...)
		}
	}
	return l
}

// CodeClaimedRelationship marks an access whose only basis is a
// relationship no legitimate party recorded (its own CareTeam or
// EpisodeOfCare naming itself, or data it wrote; or a team recorded by an
// organisation whose own relationship is so claimed), not one another
// party recorded (GP registration, a care team the registered practice,
// or a member of one of its teams, recorded): the IG alerts report lists
// these.
const CodeClaimedRelationship = "claimed-relationship"

// onlyClaimed reports whether org's relationships with the patient were all
// claimed: none reaches it from the registered GP practices through care
// teams and episodes of care in force, each recorded by an organisation
// so reached (review 55d: an organisation with no relationship wrote a
// care team naming a third, whose reads then went unflagged; two could
// write each other onto teams alike).
func (d *derived) onlyClaimed(pc *store.PatientContext, org string, now time.Time) bool {
	if org == "" {
		return false
	}
	org = strings.ToUpper(org)
	if v, ok := d.claimed.Load(org); ok {
		if m := v.(claimedMemo); !now.Before(m.from) && now.Before(m.until) {
			return m.claimed
		}
	}
	claimed := d.workOutClaimed(pc, org, now)
	m := claimedMemo{claimed: claimed, until: time.Unix(1<<62, 0)}
	for _, l := range d.links {
		for _, r := range l.rels {
			for _, b := range []time.Time{r.From, r.Until} {
				switch {
				case b.IsZero():
				case !now.Before(b) && b.After(m.from):
					m.from = b
				case now.Before(b) && b.Before(m.until):
					m.until = b
				}
			}
		}
	}
	d.claimed.Store(org, m)
	return claimed
}

// workOutClaimed is onlyClaimed for org (in upper case), at now.
func (d *derived) workOutClaimed(pc *store.PatientContext, org string, now time.Time) bool {
	// Breadth-first from the registered practices, each recorder's links
	// read once (review 56a: rescanning every link until nothing grew took
	// 32 ms a read over a chain of 1,000 teams).
	byRecorder := map[string][]int{}
	for i, l := range d.links {
		src := strings.ToUpper(l.source)
		byRecorder[src] = append(byRecorder[src], i)
	}
	reached := map[string]bool{}
	var queue []string
	reach := func(o string) {
		if o = strings.ToUpper(o); !reached[o] {
			reached[o] = true
			queue = append(queue, o)
		}
	}
	for _, r := range d.pat.Relationships {
		if r.Kind == consent.RelRegisteredGP {
			reach(r.Org)
		}
	}
	for len(queue) > 0 && !reached[org] {
		o := queue[0]
		queue = queue[1:]
		for _, i := range byRecorder[o] {
			for _, r := range d.links[i].rels {
				// Only a membership in force counts: another organisation's
				// ended (or future) care team relates no one (review 22f).
				if r.ActiveAt(now) {
					reach(r.Org)
				}
			}
		}
	}
	if reached[org] {
		return false
	}
	related := false
	for _, l := range d.links {
		for _, r := range l.rels {
			related = related || strings.EqualFold(r.Org, org) && r.ActiveAt(now)
		}
	}
	wrote := false
	for src := range pc.Sources {
		// in any case, as the relationship itself is granted (review
		// 22f: a token's org in lower case went unflagged)
		wrote = wrote || strings.EqualFold(src, org)
	}
	return related || wrote
}

// noteClaimedConsent flags for IG a Consent recorded by an organisation
// whose relationship with the person is only claimed (onlyClaimed): it is
// allowed, as a council records its clients' choices on the care package
// it recorded itself, but an organisation that wrote itself onto a care
// team could record an objection that withdraws everyone else's data
// (review 55d).
//
// A relationship the request's own writes make (its care team, its data,
// beside the Consent in one transaction) is claimed too, unless the
// request registers the person with the writer's practice (review 56a:
// so bundled, the write went unflagged).
func (cp *ConsentPolicy) noteClaimedConsent(ctx context.Context, p *auth.Principal, x *Exchange, w *store.Write, batch []*store.Write) {
	for _, pid := range w.Patients {
		g := cp.gate(ctx, p, nil)
		pp := g.prepare(pid)
		claimed := g.claimed || !pp.Related() && !registersWith(batch, pid, p.Org)
		if claimed {
			if !slices.Contains(x.Reasons, CodeClaimedRelationship) {
				x.Reasons = append(x.Reasons, CodeClaimedRelationship)
			}
			x.claimed = appendNew(x.claimed, pid)
		}
	}
}

// registersWith reports whether batch writes Patient pid with org as
// their registered GP practice.
func registersWith(batch []*store.Write, pid, org string) bool {
	for _, b := range batch {
		if b.Type != "Patient" || b.ID != pid || b.Op == store.OpDelete {
			continue
		}
		for _, r := range asList(b.Resource["generalPractitioner"]) {
			if strings.EqualFold(orgOf(r), org) {
				return true
			}
		}
	}
	return false
}

// derived is what the decision needs from a PatientContext, worked out once
// per context (kept in its Memo) rather than once per request.
type derived struct {
	pat   consent.Patient
	links []linkOrgs // per CareTeam and EpisodeOfCare: who recorded it, whom it relates
	nhs   string     // the Patient resource's NHS number, for the access log
	// numbers: every NHS number the Patient resource carries (review 13a:
	// one listing a superseded number first), for restrictedNumbers.
	numbers []string
	sameAs  []string // other records of the same person (Patient.link)
	// sameAsUnread: it links to more than maxPatientLinks (person then
	// fails closed, as past its other caps: review 82b)
	sameAsUnread bool
	// deleted: with no Patient resource, what its last version says
	// (person), looked up once per context rather than once per request.
	deleted atomic.Pointer[lastRecord]
	// claimed: onlyClaimed's answers by organisation, each kept while no
	// care team or episode starts or ends (claimedMemo).
	claimed sync.Map
}

// claimedMemo is onlyClaimed's answer for one organisation, true from
// from until until (the relationships' bounds around the time it was
// worked out).
type claimedMemo struct {
	claimed     bool
	from, until time.Time
}

// lastRecord is what a deleted Patient's last version still says: the
// person's other records, and whether the person is restricted (deleting
// a duplicate does not lift a restriction from the items that remain).
type lastRecord struct {
	links       []string
	linksUnread bool // more than maxPatientLinks
	restricted  bool
	// numbers: the NHS numbers it carried, whose other Patients are the
	// person's records still (a hospital retiring its own record of Jane
	// does not free the items filed under it from her objection).
	numbers []string
}

type linkOrgs struct {
	source string
	rels   []consent.Relationship
}

func deriveContext(id string, pc *store.PatientContext) *derived {
	if d, ok := pc.Memo.Load().(*derived); ok && d.pat.ID == id {
		return d
	}
	r := deriveRecords(id, pc)
	d := &derived{pat: r.pat, links: r.links, nhs: r.nhs, numbers: r.numbers, sameAs: r.sameAs, sameAsUnread: r.sameAsUnread}
	// r is shared with the contexts that hold the same records: the
	// sources go on a copy of its list.
	d.pat.Relationships = append(slices.Clip(r.pat.Relationships), sourceRelationships(pc)...)
	pc.Memo.Store(d)
	return d
}

// deriveRecords is what deriveContext works out from the Patient and Links
// alone (decoding them), once per pc.Stable where the store gives one.
func deriveRecords(id string, pc *store.PatientContext) *derived {
	if pc.Stable != nil {
		if r, ok := pc.Stable.Load().(*derived); ok && r.pat.ID == id {
			return r
		}
	}
	r := &derived{}
	r.pat = patientFromRecords(id, pc, &r.links)
	if pc.Patient != nil {
		m := decodeMap(pc.Patient.Raw)
		r.numbers = recordNumbers(m)
		r.nhs = nhsNumberOf(m)
		r.sameAs, r.sameAsUnread = patientLinks(id, m)
	}
	if pc.Stable != nil {
		pc.Stable.Store(r)
	}
	return r
}

// maxPatientLinks bounds the other records of a person taken into each
// decision: every one is loaded for every request about the person.
const maxPatientLinks = 8

// patientLinks are the ids of the Patients a Patient resource links to
// (Patient.link: replaced-by, replaces, refer, seealso), at most
// maxPatientLinks, without repeats; more: it links to others besides.
func patientLinks(id string, m map[string]any) (out []string, more bool) {
	for _, l := range asList(m["link"]) {
		lm, _ := l.(map[string]any)
		other, _ := lm["other"].(map[string]any)
		ref, _ := other["reference"].(string)
		if n, ok := search.NormalizeReference(ref); ok {
			if oid, ok := strings.CutPrefix(n, "Patient/"); ok && oid != id && !slices.Contains(out, oid) {
				if len(out) == maxPatientLinks {
					return out, true
				}
				out = append(out, oid)
			}
		}
	}
	return out, false
}

// recordNumbers are the NHS numbers that join a Patient to the person's
// other records: its own (nhsNumbersOf), then those it links to by
// identifier (Patient.link.other.identifier), as a link by reference
// joins the Patient it names. Review 38c: the hospital's Patient linking
// replaced-by to the restricted person by her NHS number alone went out
// with its address, and what was filed under one linking to Jane so went
// to the nurse despite her opt-out.
func recordNumbers(m map[string]any) []string {
	out := nhsNumbersOf(m)
	for _, l := range asList(m["link"]) {
		lm, _ := l.(map[string]any)
		other, _ := lm["other"].(map[string]any)
		im, _ := other["identifier"].(map[string]any)
		if n := nhsOfIdentifier(im); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// person is the engine's view of a patient's own record, restricted when
// another record of the same person it links to is (Patient.link: a merged
// duplicate), and those records as the engine sees them: their Consents
// are decided on their own, with this record's relationships, and only a
// Consent's withhold counts (withLinked). So an objection recorded on one
// record reaches the items still filed under another, while a link, which
// anyone who writes a Patient can make, can neither borrow another
// person's permits nor have a newer consent there supersede an objection
// here. A deleted Patient's Consents still count. So do the Consents of
// every other Patient carrying one of the record's NHS numbers, the same
// person as carex joins records (a hospital's own record of her: Jane's
// opt-out at her GP did not reach what the hospital filed under it).
// The linked records' contexts are added to b when it is not nil.
func (cp *ConsentPolicy) person(ctx context.Context, d *derived, pc *store.PatientContext, b *basis) (consent.Patient, []consent.Patient, error) {
	pat := d.pat
	var linked []consent.Patient
	sameAs := d.sameAs
	// A deleted Patient (a retired duplicate) still links its items,
	// which remain, to the person's other records, and keeps them
	// restricted: its last version's.
	last, err := cp.lastOf(ctx, d, pc)
	if err != nil {
		return pat, nil, err
	}
	numbers := d.numbers
	linksUnread := d.sameAsUnread
	if last != nil {
		sameAs, linksUnread = last.links, last.linksUnread
		numbers = last.numbers
		pat.Restricted = pat.Restricted || last.restricted
	}
	// The person's records: from this one through links, both ways, and
	// NHS numbers, followed until nothing new turns up (review 52a: an
	// opt-out on Jane's GP record did not reach the hospital's merged
	// duplicate of her, linked to its record carrying her number, two
	// steps away; nor did a restriction, either way). Their objections
	// and restriction, which only withhold, reach this one; their
	// relationships do not. Past maxJoinedRecords the rest is not read,
	// and the person is kept to the sources (unread, below).
	// Past maxPatientLinks a record's links are not followed: one not
	// followed may hold her objection or restriction (review 82b: a
	// hospital's merged duplicate linking seealso to eight earlier
	// registrations, then replaced-by to Jane, went to the nurse despite
	// her opt-out, with its address despite her restriction).
	unread := linksUnread
	pat.Restricted = pat.Restricted || linksUnread
	seen := map[string]bool{pat.ID: true}
	var queue []string
	found := func(ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				queue = append(queue, id)
			}
		}
	}
	// neighbours finds the records record id joins: those it links to,
	// those carrying one of its numbers, and those linking to it. (Those
	// linking to it are looked up only for a Patient id with something
	// stored: a person named by NHS number alone, or with nothing stored,
	// has nothing a link could withhold; review 4f counts the searches
	// such names cost.) Review 38c: the old record Jane's survivor links
	// replaces to, not linking back, went to the nurse despite her
	// opt-out; the record a restricted person's Patient links seealso to
	// went out with its address.
	// take adds what the store holds about a number's carriers or a
	// record's linkers
	take := func(info numberInfo) {
		unread = unread || info.unread
		pat.Restricted = pat.Restricted || info.restricted // (a carrier's, read or not)
		found(info.ids)
	}
	looked := map[string]bool{} // the NHS numbers looked up, at most maxJoinedNumbers
	neighbours := func(id string, links, numbers []string, stored bool) error {
		found(links)
		for _, n := range numbers {
			if looked[n] {
				continue
			}
			if looked[n] = true; len(looked) > maxJoinedNumbers {
				// (review 53b: a Patient anyone may write, linked to Jane
				// and carrying 800 numbers, cost each read of her 240 ms);
				// a record not reached may be restricted (review 54b:
				// break-glass then released her address)
				unread, pat.Restricted = true, true
				return nil
			}
			info, err := cp.numberInfo(ctx, n)
			if err != nil {
				return err
			}
			take(info)
		}
		if fhir.ValidID(id) && stored {
			info, err := cp.linkersInfo(ctx, id)
			if err != nil {
				return err
			}
			take(info)
		}
		return nil
	}
	if err := neighbours(pat.ID, sameAs, numbers, pc.Patient != nil || len(pc.Sources) > 0); err != nil {
		return pat, nil, err
	}
	for visited := 0; len(queue) > 0 && len(looked) <= maxJoinedNumbers; visited++ {
		if visited == maxJoinedRecords {
			unread, pat.Restricted = true, true
			break
		}
		other := queue[0]
		queue = queue[1:]
		pc, err := cp.store.PatientContext(ctx, other)
		if err != nil {
			return pat, nil, err
		}
		if b != nil {
			b.add(other, pc)
		}
		od := deriveContext(other, pc)
		pat.Restricted = pat.Restricted || od.pat.Restricted
		links, numbers, more := od.sameAs, od.numbers, od.sameAsUnread
		if last, err := cp.lastOf(ctx, od, pc); err != nil {
			return pat, nil, err
		} else if last != nil {
			pat.Restricted = pat.Restricted || last.restricted // a retired restricted duplicate
			links, numbers, more = last.links, last.numbers, last.linksUnread
		}
		if more {
			unread, pat.Restricted = true, true
		}
		if len(od.pat.Consents) > 0 {
			linked = append(linked, consent.Patient{ID: other, Relationships: pat.Relationships, Consents: od.pat.Consents})
		}
		// (a record with nothing stored on the way may still be the one
		// both of a person's records link to: review 53b)
		if err := neighbours(other, links, numbers, true); err != nil {
			return pat, nil, err
		}
	}
	if unread {
		// More Patients carry one of her NHS numbers than are read: an
		// objection on one not read is not known, so the person is kept
		// to the sources as under an opt-out (review 17c: 25 records
		// filed under Jane's number by another feed hid the objection on
		// the hospital's newer record of her from her GP record).
		linked = append(linked, consent.Patient{ID: pat.ID, Relationships: pat.Relationships, Consents: []*consent.Consent{unreadObjection(pat.ID)}})
	}
	return pat, linked, nil
}

// unreadNumberConsent is the Consent ID of the objection person assumes
// for a person whose NHS number more Patients carry than are read.
const unreadNumberConsent = "carex-nhs-number-unread"

// unreadObjection is that assumed objection, on Patient id: an opt-out.
func unreadObjection(id string) *consent.Consent {
	c, err := consent.ParseConsent([]byte(`{"resourceType":"Consent","id":"` + unreadNumberConsent + `","status":"active",
		"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
		"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
		"patient":{"reference":"Patient/` + id + `"},
		"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`))
	if err != nil {
		panic("unreadObjection: " + err.Error()) // a constant: a test would see it
	}
	return c
}

// lastOf is what a deleted Patient's last version says, for a context
// with no Patient but data (nil otherwise), looked up once per context.
func (cp *ConsentPolicy) lastOf(ctx context.Context, d *derived, pc *store.PatientContext) (*lastRecord, error) {
	if pc.Patient != nil || len(pc.Sources) == 0 {
		return nil, nil
	}
	if last := d.deleted.Load(); last != nil {
		return last, nil
	}
	l, err := cp.lastRecord(ctx, d.pat.ID)
	if err != nil {
		return nil, err
	}
	d.deleted.Store(&l)
	return &l, nil
}

// lastRecord is what the newest version of Patient id that is not a
// delete marker says; nothing when there is none.
func (cp *ConsentPolicy) lastRecord(ctx context.Context, id string) (lastRecord, error) {
	res, err := cp.store.History(ctx, "Patient", id, time.Time{}, nil, store.Page{Count: 20})
	if errors.Is(err, store.ErrNotFound) {
		return lastRecord{}, nil
	}
	if err != nil {
		return lastRecord{}, err
	}
	for _, v := range res.Items {
		if !v.Deleted && v.Raw != nil {
			m := decodeMap(v.Raw)
			links, more := patientLinks(id, m)
			return lastRecord{links: links, linksUnread: more, restricted: restrictedLabels(v.Labels), numbers: recordNumbers(m)}, nil
		}
	}
	return lastRecord{}, nil
}

// personDecision is a person's prepared decision with their linked
// records' (see person): its Decide applies both (withLinked), so that no
// caller can leave the linked records out.
type personDecision struct {
	*consent.Prepared
	linked []*consent.Prepared
	basis  basis // what it was prepared from (gate.current)
	// earlier is how the same request prepared the person before their
	// records changed under it (nil: they did not). An item read before
	// that change and decided after it is released only where every
	// preparation permits it: one commit may delete an item and lift the
	// objection that withheld it, and the item, read from before it, was
	// never stored while shared.
	earlier *personDecision
}

// basis is the sharing contexts a person was prepared from, and the
// store's Changes when they were fetched.
type basis struct {
	changes uint64
	ids     []string
	ctxs    []*store.PatientContext
}

func (b *basis) add(id string, pc *store.PatientContext) {
	b.ids = append(b.ids, id)
	b.ctxs = append(b.ctxs, pc)
}

// current reports whether a person prepared from b decides as their
// records now stand: nothing committed since b's contexts were fetched, or
// fetching them again gives the same ones (the store shares a context
// until the person's record changes). A person prepared before an item was
// read must not decide it with an older context than the item's: a Consent
// and the data it withholds may land in one commit between the two (an
// $everything prepares the person to open the record, then reads it).
// Called with g.mu held.
func (g *gate) current(b *basis) bool {
	n := g.cp.store.Changes()
	if n == b.changes && n%2 == 0 {
		return true
	}
	for i, id := range b.ids {
		if pc, err := g.cp.store.PatientContext(g.ctx, id); err != nil || pc != b.ctxs[i] {
			return false
		}
	}
	b.changes = n
	return true
}

// preparePerson prepares pat and their linked records for u.
func preparePerson(pol *consent.Policy, u consent.User, pat consent.Patient, linked []consent.Patient, now time.Time) *personDecision {
	pd := &personDecision{Prepared: consent.Prepare(pol, u, pat, now)}
	for _, lp := range linked {
		pd.linked = append(pd.linked, consent.Prepare(pol, u, lp, now))
	}
	return pd
}

// Decide decides it for the person and their linked records, as they are
// now and as the request found them before (earlier); the first
// preparation that withholds it decides.
func (pd *personDecision) Decide(it *consent.Item) consent.Decision {
	d := withLinked(pd.Prepared.Decide(it), it, pd.linked)
	for e := pd.earlier; e != nil && d.Permitted(); e = e.earlier {
		ed := withLinked(e.Prepared.Decide(it), it, e.linked)
		if !ed.Permitted() {
			return ed
		}
		d.Flags |= ed.Flags // a redaction or an IG flag of either stands
	}
	return d
}

// ConsentWithholds reports whether the person's Consents withhold it, now
// or as the request found them before (earlier).
func (pd *personDecision) ConsentWithholds(it *consent.Item) bool {
	for p := pd; p != nil; p = p.earlier {
		if p.Prepared.ConsentWithholds(it) {
			return true
		}
	}
	return false
}

// withLinked is d, or a linked record's Consent's withhold when d releases
// the item.
func withLinked(d consent.Decision, it *consent.Item, linked []*consent.Prepared) consent.Decision {
	if !d.Permitted() {
		return d
	}
	for _, l := range linked {
		if !l.ConsentWithholds(it) {
			continue
		}
		if !l.BreakGlass() {
			// Decide reaches the same consent layer (ConsentWithholds)
			// and, without break-glass, returns its deny, named.
			return l.Decide(it)
		}
		// Break-glass overrides the linked record's objection: the access
		// log must say so, as for the record's own.
		d.Flags |= consent.FlagBreakGlass
		d.Reasons = append(slices.Clip(d.Reasons), consent.Reason{Layer: consent.LayerBreakGlass, Code: consent.CodeBreakGlassOverride})
	}
	return d
}

// patientFromRecords is the engine's view of stored resources, without the
// sources. With links not nil it also lists, per CareTeam and
// EpisodeOfCare, who recorded it and the organisations it relates to the
// person.
// privacyScope reports whether a Consent's scope is patient-privacy, or
// not stated (R4 requires it; read as the strictest).
func privacyScope(m map[string]any) bool {
	sc, _ := m["scope"].(map[string]any)
	codings := asList(sc["coding"])
	if len(codings) == 0 {
		return true
	}
	for _, c := range codings {
		cm, _ := c.(map[string]any)
		if cm["code"] == consent.ScopePatientPrivacy {
			return true
		}
	}
	return false
}

// restrictedLabels: a Patient labelled R or V is a restricted person.
func restrictedLabels(labels []string) bool {
	return slices.Contains(labels, "R") || slices.Contains(labels, "V")
}

func patientFromRecords(id string, pc *store.PatientContext, links *[]linkOrgs) consent.Patient {
	p := consent.Patient{ID: id}
	var numbers []string // her Patient's NHS numbers: a CareTeam may name her by one
	if pc.Patient != nil {
		m := decodeMap(pc.Patient.Raw)
		numbers = nhsNumbersOf(m)
		p.Restricted = restrictedLabels(pc.Patient.Labels)
		for _, r := range asList(m["generalPractitioner"]) {
			if org := orgOf(r); org != "" {
				p.Relationships = append(p.Relationships, consent.Relationship{Org: org, Kind: consent.RelRegisteredGP})
			}
		}
	}
	for _, v := range pc.Links {
		switch v.Type {
		case "CareTeam", "EpisodeOfCare":
			m := decodeMap(v.Raw)
			if v.Type == "CareTeam" && !careTeamFor(m, id, numbers) || v.Type == "EpisodeOfCare" && !episodeFor(m, id, numbers) {
				continue
			}
			rels := linkRelationshipsOf(v.Type, m)
			p.Relationships = append(p.Relationships, rels...)
			if links != nil {
				*links = append(*links, linkOrgs{source: v.SourceOrg, rels: rels})
			}
		case "Consent":
			// The status by its exact key only: ParseConsent's struct
			// decoding would also take a "Status" key (stored resources
			// are validated, but this must not depend on it).
			m := decodeMap(v.Raw)
			if status, _ := m["status"].(string); status != "active" {
				continue
			}
			c, err := consent.ParseConsent(v.Raw)
			if err != nil {
				if !privacyScope(m) {
					continue
				}
				c = consent.Unreadable(v.ID) // fail closed
			}
			c.Recorder = v.SourceOrg
			c.RecordedBy(v.LastUpdated, v.VersionID == 1)
			p.Consents = append(p.Consents, c)
		}
	}
	return p
}

// careTeamFor reports whether a CareTeam's subject is the person whose
// record id is: by reference, or by an NHS number her Patient carries. A
// CareTeam is in the record of everyone it names as a member too (the
// patient compartment), and each one in her record gave its organisations
// a relationship with her: Bob's team, naming Jane as his carer, opened
// her whole record to every organisation on it (review 20i). SPEC relates
// the members of a team "for the patient" only.
func careTeamFor(m map[string]any, id string, numbers []string) bool {
	return namesPerson(m["subject"], id, numbers)
}

// episodeFor is careTeamFor of an EpisodeOfCare, by its patient (review
// 76b: an episode naming Jane by reference and Bob by his NHS number, a
// feed's keying slip, opened Bob's whole record to the council).
func episodeFor(m map[string]any, id string, numbers []string) bool {
	return namesPerson(m["patient"], id, numbers)
}

// namesPerson reports whether Reference ref names the person whose record
// id is: by its reference where it has one, or else by an NHS number her
// Patient carries.
func namesPerson(ref any, id string, numbers []string) bool {
	sub, _ := ref.(map[string]any)
	if s, _ := sub["reference"].(string); s != "" {
		r, ok := search.NormalizeReference(s)
		return ok && r == "Patient/"+id
	}
	ident, _ := sub["identifier"].(map[string]any)
	n := nhsOfIdentifier(ident)
	return n != "" && slices.Contains(numbers, n)
}

// linkRelationships are the relationships a CareTeam or an EpisodeOfCare
// gives organisations while it is active (SPEC §5: "an active CareTeam or
// EpisodeOfCare"; review 22f took waitlisted and on-hold episodes out).
func linkRelationships(v *store.Version) []consent.Relationship {
	return linkRelationshipsOf(v.Type, decodeMap(v.Raw))
}

// linkRelationshipsOf is linkRelationships of a decoded resource of type typ.
func linkRelationshipsOf(typ string, m map[string]any) []consent.Relationship {
	status, _ := m["status"].(string)
	until := periodEnd(m["period"])
	var rels []consent.Relationship
	switch typ {
	case "CareTeam":
		if status != "" && status != "active" {
			return nil
		}
		from := periodStart(m["period"])
		add := func(r any, from, until time.Time) {
			if org := orgOf(r); org != "" {
				rels = append(rels, consent.Relationship{Org: org, Kind: consent.RelCareTeam, From: from, Until: until})
			}
		}
		for _, part := range asList(m["participant"]) {
			// A member is one only while the team is active and for the
			// period of their own participation.
			pm, _ := part.(map[string]any)
			pf, pu := latest(from, periodStart(pm["period"])), earliest(until, periodEnd(pm["period"]))
			add(pm["member"], pf, pu)
			add(pm["onBehalfOf"], pf, pu)
		}
		for _, r := range asList(m["managingOrganization"]) {
			add(r, from, until)
		}
	case "EpisodeOfCare":
		if status != "active" {
			// SPEC: an active EpisodeOfCare; one on the waiting list or on
			// hold related its organisation too (review 22f).
			return nil
		}
		if org := orgOf(m["managingOrganization"]); org != "" {
			rels = append(rels, consent.Relationship{Org: org, Kind: consent.RelEpisodeOfCare, From: periodStart(m["period"]), Until: until})
		}
	}
	return rels
}

// sourceRelationships: each organisation that recorded data for the person,
// with when it last did.
func sourceRelationships(pc *store.PatientContext) []consent.Relationship {
	rels := make([]consent.Relationship, 0, len(pc.Sources))
	for org, last := range pc.Sources {
		rels = append(rels, consent.Relationship{Org: org, Kind: consent.RelSource, LastRecorded: last})
	}
	return rels
}

func decodeMap(raw []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	d.Decode(&m)
	return m
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

// orgOf is the organisation code a Reference names: Organization/{code},
// or an ODS (or council) identifier.
func orgOf(v any) string {
	m, _ := v.(map[string]any)
	if m == nil {
		return ""
	}
	if ref, _ := m["reference"].(string); ref != "" {
		if i := strings.LastIndex(ref, "Organization/"); i >= 0 {
			return strings.SplitN(ref[i+len("Organization/"):], "/", 2)[0]
		}
		return ""
	}
	if id, _ := m["identifier"].(map[string]any); id != nil {
		// Only an organisation's code, as a Consent's actor reads one:
		// any identifier was taken for one, a practitioner's user id or
		// a person's NHS number among them (review 20i).
		typ, _ := m["type"].(string)
		if sys, _ := id["system"].(string); (typ == "" || typ == "Organization") && (sys == consent.SystemODS || sys == consent.SystemCouncil) {
			v, _ := id["value"].(string)
			return v
		}
	}
	return ""
}

// periodEnd is the instant just after a Period's end: the end value's
// whole span is the period's last part ("2026-12-04" includes all of 4
// December, "2026-12" all of December), as a consent period reads it;
// zero when it has none. Dates are days in England, as a Consent's are
// (consent.DateSpan). An end that cannot be read has passed: it was read
// as none, and a team that ended on a leap second was one for ever
// (review 11b).
func periodEnd(v any) time.Time {
	_, after, present, ok := periodBound(v, "end")
	if !present {
		return time.Time{}
	}
	if !ok {
		return unreadableEnd
	}
	return after
}

// periodStart is a Period's start; zero when it has none. A start that
// cannot be read is not yet come (never read as none: from the beginning).
func periodStart(v any) time.Time {
	start, _, present, ok := periodBound(v, "start")
	if !present {
		return time.Time{}
	}
	if !ok {
		return unreadableStart
	}
	return start
}

// unreadableEnd and unreadableStart close a relationship whose period has a
// bound that cannot be read: ended long ago, starting after any now.
var (
	unreadableEnd   = time.Unix(0, 0).UTC()
	unreadableStart = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// periodBound is the span [start, after) of a Period's start or end value;
// present says the Period has that value, ok that it could be read.
func periodBound(v any, key string) (start, after time.Time, present, ok bool) {
	m, _ := v.(map[string]any)
	raw, has := m[key]
	s, _ := raw.(string)
	if !has || raw == nil {
		return time.Time{}, time.Time{}, false, false
	}
	if s == "" {
		return time.Time{}, time.Time{}, true, false
	}
	if start, after, err := consent.DateSpan(s); err == nil {
		return start, after, true, true
	}
	// A form the validator refuses (a time without seconds or zone),
	// stored by an older release: read as search reads it, never as open.
	lo, hi, err := search.ParseDate(s)
	if err != nil {
		return time.Time{}, time.Time{}, true, false
	}
	return time.UnixMilli(lo).UTC(), time.UnixMilli(hi + 1).UTC(), true, true
}

// earliest is the earlier of two bounds, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// latest is the later of two bounds, zero meaning none.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Admit refuses what no patient could change: a purpose carex does not
// serve, an unknown role, a malformed break-glass request.
func (cp *ConsentPolicy) Admit(ctx context.Context, p *auth.Principal, x *Exchange) error {
	g := cp.gate(ctx, p, x)
	d := consent.Prepare(cp.Policy, g.user, consent.Patient{}, cp.now()).Open()
	if d.Permitted() {
		return nil
	}
	for _, r := range d.Reasons {
		switch r.Code {
		case consent.CodeNoRelationship:
			return nil // decided per patient
		case consent.CodePurposeNotServed, consent.CodeUnknownRole, consent.CodeBreakGlassRole, consent.CodeBreakGlassReason:
			x.Reasons = append(x.Reasons, r.Code)
			return fmtErr(ErrForbidden, "%s", r.Detail)
		}
	}
	return fmtErr(ErrForbidden, "access refused by the sharing policy")
}

// OpenPatient refuses a user who may not open this person's record at all.
// The message names no data: only that there is no legitimate relationship.
func (cp *ConsentPolicy) OpenPatient(ctx context.Context, p *auth.Principal, x *Exchange, patientID string) error {
	g := cp.gate(ctx, p, x)
	pp := g.prepare(patientID)
	if g.err != nil {
		return g.err
	}
	if pp.Open().Permitted() || g.unknown[patientID] {
		return nil // an unknown patient gets the 404 a read would give
	}
	return fmtErr(ErrForbidden, "your organisation has no legitimate relationship with this person recorded in carex; in an emergency a permitted role may break glass with the X-Break-Glass header (\"EMERGENCY: reason\")")
}

// Visible is the per-item release filter for this request.
func (cp *ConsentPolicy) Visible(ctx context.Context, p *auth.Principal, x *Exchange) store.Visible {
	return cp.gate(ctx, p, x).visible
}

// MayWrite: only the source organisation changes its own data; IG officers
// change nothing; a Consent must be interpretable and be recorded by
// someone with a relationship with the person. batch is every write of the
// request.
func (cp *ConsentPolicy) MayWrite(ctx context.Context, p *auth.Principal, x *Exchange, w *store.Write, existing *store.Meta, batch []*store.Write) error {
	role := cp.Policy.Role(p.Role)
	if role == nil || role.Audit {
		return fmtErr(ErrForbidden, "role %s does not change records", p.Role)
	}
	if existing != nil {
		if err := cp.mayReplace(ctx, p, x, w, existing); err != nil {
			return err
		}
	}
	if w.Op != store.OpDelete && !role.SeesOwn {
		// A role that keeps its classes in its own organisation too
		// records only what it may read (review 61d: a practice's
		// receptionist, who may not see Consents, recorded one for Jane
		// that lifted her objection, and one that withheld her record
		// from her nurse), by the item's class and by its type's, which a
		// data-class tag does not change (review 62a: a Consent tagged
		// appointments, and an update of her appointment tagged problems).
		for _, class := range []string{w.DataClass, untaggedClass(w)} {
			for _, c := range strings.Split(class, consent.ClassSep) {
				if !role.Sees(c) { // (the class refused, not the item's first: review 64a)
					return fmtErr(ErrForbidden, "role %s may not record %s data: the sharing policy keeps that class from it", p.Role, c)
				}
			}
		}
	}
	if w.Op != store.OpDelete {
		if err := cp.checkRelationshipRefs(ctx, p, w, batch); err != nil {
			return err
		}
	}
	if w.Type == "Consent" && w.Op != store.OpDelete {
		c, err := consent.ParseConsent(w.Raw)
		if err == nil {
			err = cp.Policy.CheckConsent(c)
		}
		if err == nil && c.Future(cp.now()) {
			err = &consent.ConsentError{Element: "dateTime", Msg: "is in the future: a Consent is dated when it was recorded (a later one would never supersede it)"}
		}
		if err == nil {
			if err = cp.checkReferences(ctx, p, c, batch); err != nil && !errors.As(err, new(*consent.ConsentError)) {
				return err // the store failed
			}
		}
		if err != nil {
			return fmt.Errorf("%v: %w", err, fhir.ErrInvalid)
		}
		for _, pid := range w.Patients {
			// Break-glass opens a record in an emergency; it does not
			// make the organisation one that records the person's
			// choices (which would outlive the grant). A feed (a client
			// system) may record a Consent beside the person's data in
			// the same request (a new person's Patient, say): it then
			// becomes a source, as it would by two requests.
			g := cp.gate(ctx, p, nil)
			pp := g.prepare(pid)
			if pp.Open().Permitted() && pp.Related() {
				continue
			}
			if role.OwnOrgOnly && writesDataOf(batch, pid) {
				continue
			}
			return fmtErr(ErrForbidden, "recording a consent needs a legitimate relationship with the person (break-glass does not give one)")
		}
	}
	return nil
}

// untaggedClass is w's class as its body gives it without its data-class
// tag (a Task of social care is social care: review 63a).
func untaggedClass(w *store.Write) string {
	body := maps.Clone(w.Resource)
	delete(body, "meta")
	return search.DataClassFrom(w.Type, body, w.SourceOrg)
}

// userIdentifiers are the identifier systems by which a stored
// Organization or Practitioner carries the code a user's token names
// (org: an ODS or council code; sub: an SDS user id).
var userIdentifiers = map[string][]string{
	"Organization": {consent.SystemODS, consent.SystemCouncil},
	"Practitioner": {consent.SystemSDSUser},
}

// checkReferences refuses a Consent that names an organisation or
// practitioner by the id of a resource stored here whose id is not the
// code users carry (review 9c): the engine compares Organization/<id>
// with the user's ODS code and Practitioner/<id> with the SDS user id, so
// a deny naming the hospital as Organization/5f0c… (its ODS code RHX an
// identifier) was stored and never applied. An id nothing is stored
// under, or a resource without such an identifier, is taken to be the
// code itself, as before. The request's own writes (batch) count as
// stored: a bundle (carex import, a transaction) that brings the
// Organization with the Consent naming it by its id stored the Consent,
// matching no one (review 10d). For one labelled sensitive, of another
// organisation than the writer p's, the refusal does not quote the code
// (review 21b). (Directory data is otherwise no one's record: a client
// system, which reads only its organisation's items, is told the
// hospital's code as before.)
func (cp *ConsentPolicy) checkReferences(ctx context.Context, p *auth.Principal, c *consent.Consent, batch []*store.Write) error {
	for _, r := range c.References() {
		sys, code, withheld, _, _, err := cp.storedUnderCode(ctx, p, batch, r.Type, r.ID)
		if err != nil {
			return err
		}
		if code != "" && withheld {
			// Refused still (stored, it would match no one: review 22a,
			// a deny of the hospital so written never applied), without
			// the code of an item withheld from the writer (review 21b:
			// a refuge's Organization labelled R).
			return &consent.ConsentError{Element: r.Element, Msg: fmt.Sprintf("%s/%s is stored here with an identifier carex knows users by, which is not its id, so this reference would match no one: name the %s by its code (an ODS code, a council code, an SDS user id) as an identifier or as %s/CODE",
				r.Type, r.ID, strings.ToLower(r.Type), r.Type)}
		}
		if code != "" {
			return &consent.ConsentError{Element: r.Element, Msg: fmt.Sprintf("%s/%s is stored here with identifier %s|%s; carex knows users by that code, so this reference would match no one: name it by identifier (system %s, value %s) or as %s/%s",
				r.Type, r.ID, sys, code, sys, code, r.Type, code)}
		}
	}
	return nil
}

// storedUnderCode is, for the Organization or Practitioner typ/id stored
// here (or written in batch), the identifier users are known by when it is
// not its id (sys, code), whether the item is withheld from the writer
// (its code then not to be told), whether the writer's organisation wrote
// it (own), and whether it is written in batch; code is "" when the id is
// the code, the item is not stored, or typ is no user's.
func (cp *ConsentPolicy) storedUnderCode(ctx context.Context, p *auth.Principal, batch []*store.Write, typ, id string) (sys, code string, withheld, own, inBatch bool, err error) {
	systems := userIdentifiers[typ]
	if systems == nil {
		return "", "", false, false, false, nil
	}
	raw, inBatch := batchBody(batch, typ, id)
	own = inBatch
	if !inBatch {
		v, err := cp.store.Read(ctx, typ, id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			return "", "", false, false, false, nil
		}
		if err != nil {
			return "", "", false, false, false, err
		}
		raw = v.Raw
		own = strings.EqualFold(v.SourceOrg, p.Org)
		withheld = !own && slices.ContainsFunc(v.Labels, cp.Policy.IsSensitive)
	}
	for _, ident := range asList(decodeMap(raw)["identifier"]) {
		m, _ := ident.(map[string]any)
		s, _ := m["system"].(string)
		val, _ := m["value"].(string)
		if val != "" && slices.Contains(systems, s) {
			if strings.EqualFold(val, id) {
				return "", "", false, false, false, nil
			}
			if code == "" {
				sys, code = s, val
			}
		}
	}
	return sys, code, withheld, own, inBatch, nil
}

// checkRelationshipRefs refuses a CareTeam, an EpisodeOfCare or a Patient
// whose element that gives an organisation a relationship with the person
// (a team's members and managing organisation, an episode's managing
// organisation, a registered practice) names an Organization stored here
// under an id that is not its code (review 76b: a client that POSTed the
// trust's Organization, given a uuid, and named it so, had its team stored
// and ignored, and the district nurse locked out of the record), as a
// Consent naming one is (checkReferences).
func (cp *ConsentPolicy) checkRelationshipRefs(ctx context.Context, p *auth.Principal, w *store.Write, batch []*store.Write) error {
	type named struct {
		element string
		ref     any
	}
	var refs []named
	m := w.Resource
	switch w.Type {
	case "CareTeam":
		for i, part := range asList(m["participant"]) {
			pm, _ := part.(map[string]any)
			refs = append(refs, named{fmt.Sprintf("participant[%d].member", i), pm["member"]}, named{fmt.Sprintf("participant[%d].onBehalfOf", i), pm["onBehalfOf"]})
		}
		for i, r := range asList(m["managingOrganization"]) {
			refs = append(refs, named{fmt.Sprintf("managingOrganization[%d]", i), r})
		}
	case "EpisodeOfCare":
		refs = append(refs, named{"managingOrganization", m["managingOrganization"]})
	case "Patient":
		for i, r := range asList(m["generalPractitioner"]) {
			refs = append(refs, named{fmt.Sprintf("generalPractitioner[%d]", i), r})
		}
	default:
		return nil
	}
	for _, r := range refs {
		org := orgOf(r.ref)
		if rm, _ := r.ref.(map[string]any); org == "" || rm["reference"] == nil {
			continue // (by identifier: the code itself)
		}
		sys, code, withheld, own, inBatch, err := cp.storedUnderCode(ctx, p, batch, "Organization", org)
		if err != nil {
			return err
		}
		switch {
		case code == "" || withheld:
			// (one withheld from the writer is taken as one not stored:
			// a refusal told which ids held a refuge's Organization,
			// review 77a)
		case inBatch:
			// (review 77a: "stored here", with a uuid carex chose in
			// this request, told the integrator nothing it sent)
			return fmt.Errorf("%s.%s names the Organization this request writes, which carries identifier %s|%s; carex knows organisations by that code, so the reference would give no one a relationship with the person: write the Organization as Organization/%s (PUT), or name it by identifier (system %s, value %s): %w", w.Type, r.element, sys, code, code, sys, code, fhir.ErrInvalid)
		case own:
			return fmt.Errorf("%s.%s: Organization/%s is stored here with identifier %s|%s; carex knows organisations by that code, so this reference would give no one a relationship with the person: name it by identifier (system %s, value %s) or as Organization/%s: %w", w.Type, r.element, org, sys, code, sys, code, code, fhir.ErrInvalid)
		default:
			// (another organisation's: its identifier not quoted, review 77a)
			return fmt.Errorf("%s.%s: Organization/%s is stored here under an id that is not the code carex knows organisations by, so this reference would give no one a relationship with the person: name the organisation by its ODS or council code, as an identifier or as Organization/CODE: %w", w.Type, r.element, org, fhir.ErrInvalid)
		}
	}
	return nil
}

// batchBody is what the request's writes leave at typ/id: found, the body
// of its last write there (nil when that write deletes it).
func batchBody(batch []*store.Write, typ, id string) (raw []byte, found bool) {
	for _, w := range batch {
		if w.Type == typ && w.ID == id {
			raw, found = w.Raw, true
			if w.Op == store.OpDelete {
				raw = nil
			}
		}
	}
	return raw, found
}

// writesDataOf reports whether batch writes an item of pid's record other
// than a Consent (a Consent does not make its recorder a source).
func writesDataOf(batch []*store.Write, pid string) bool {
	for _, w := range batch {
		if w.Type != "Consent" && w.Op != store.OpDelete && slices.Contains(w.Patients, pid) {
			return true
		}
	}
	return false
}

// mayReplace decides a write over a stored id. Only the source
// organisation changes its data; and an item the caller may not see (or a
// deleted one) answers as one that never existed would, as far as a write
// allows: a DELETE is 404 as for a missing id, a PUT is refused as a taken
// id, whatever the item's state (its version, its organisation), since
// PUT-as-create can always tell a taken id from a free one. The entry, x,
// is told why it was withheld as a read of it would be (review 86a: a
// refused PUT or DELETE of a withheld item was logged "withheld" with no
// reason).
func (cp *ConsentPolicy) mayReplace(ctx context.Context, p *auth.Principal, x *Exchange, w *store.Write, existing *store.Meta) error {
	own := strings.EqualFold(existing.SourceOrg, p.Org)
	// Decided as a read is: an organisation's own items are seen by the
	// roles that see its records (sees-own-records; a nurse retries or
	// corrects the observation she recorded), not by a role its policy
	// keeps from them (review 21b: a practice's receptionist deleted, and
	// overwrote, the practice's HIV diagnosis she reads as 404, and the
	// 204 told her it was there).
	//
	// The decision is noted on a scratch entry of the request's shape (whom
	// it is about, the item it asked for by id: noteWithheld's rule), not
	// on x, whose gate would count the item withheld a second time.
	var scratch *Exchange
	if x != nil {
		scratch = &Exchange{Type: x.Type, ID: x.ID, Patient: x.Patient}
	}
	seen := !existing.Deleted && cp.gate(ctx, p, scratch).visible(existing)
	// The answer is a missing or taken id's; the access log records a
	// write over an item withheld from the caller as a denial (withheld),
	// and why.
	withheld := func(err error) error {
		if scratch != nil {
			// (only why the item was withheld: the scratch entry's opening
			// of the record noted a claimed relationship, which x's own
			// decisions note where they apply; review 88b: copied, it
			// raised a claimed-relationship alert for everyone x names)
			for _, r := range scratch.withheldReasons {
				x.addReason(r)
			}
			// and the claimed relationship it reached them through, with
			// whom it reached (review 88d: a read raised the alert, the
			// refused write none), so that the alert names them alone
			if len(scratch.claimed) > 0 {
				x.addReason(CodeClaimedRelationship)
				x.claimed = appendNew(x.claimed, scratch.claimed...)
			}
		}
		return withheldError{err}
	}
	hidden := func(err error) error {
		if existing.Deleted {
			return err
		}
		return withheld(err)
	}
	switch {
	case existing.Deleted && own && w.Op == store.OpDelete:
		// Deleting it again has no effect (R4: "the server should return
		// either a 200 OK … or a 204 No Content"; review 73b: a feed's
		// resent transaction failed for ever on its DELETE): for its
		// source, which reads it as gone (410), when the role may see what
		// the delete ended; a 404 otherwise, as for a missing id.
		ended := *existing
		ended.Deleted = false
		if !cp.gate(ctx, p, nil).visible(&ended) {
			return hidden(fmt.Errorf("%s/%s: %w", w.Type, w.ID, store.ErrNotFound))
		}
		return nil
	case !seen && w.Op == store.OpDelete:
		return hidden(fmt.Errorf("%s/%s: %w", w.Type, w.ID, store.ErrNotFound)) // the store's words for a missing id
	case existing.Deleted && own:
		// The source organisation may record it again, but a role of it
		// that may not see what the delete ended (its marker keeps that
		// version's class and labels) is answered as for a withheld item:
		// the version its write got told a receptionist how many versions
		// the practice's deleted HIV diagnosis had had (review 45c).
		ended := *existing
		ended.Deleted = false
		if !cp.gate(ctx, p, scratch).visible(&ended) {
			return withheld(fmt.Errorf("%s/%s: the id is taken (ids are unique across organisations; POST lets carex choose one): %w", w.Type, w.ID, store.ErrExists))
		}
		return nil
	case !seen:
		return hidden(fmt.Errorf("%s/%s: the id is taken (ids are unique across organisations; POST lets carex choose one): %w", w.Type, w.ID, store.ErrExists))
	case !own:
		return fmtErr(ErrForbidden, "%s/%s was recorded by another organisation: only its source organisation may change it", w.Type, w.ID)
	}
	return nil
}

// Label adds the labels the policy's code lists derive from the item's
// codes, so a coded HIV diagnosis without a label is still protected.
func (cp *ConsentPolicy) Label(w *store.Write) {
	var codes []consent.Coding
	for _, c := range slices.Concat(w.Codes, w.OtherCodes) {
		sys, code, _ := strings.Cut(c, "|")
		codes = append(codes, consent.Coding{System: sys, Code: code})
	}
	labels := cp.Policy.Labels(codes)
	if w.Type == "Consent" {
		if c, err := consent.ParseConsent(w.Raw); err == nil {
			labels = append(labels, cp.Policy.ConsentLabels(c)...)
		}
	}
	w.Labels = appendNew(w.Labels, labels...)
}

// LabelText adds the labels the policy's code lists derive from the
// concept ids written in texts, the item's attachments (attachedContent).
func (cp *ConsentPolicy) LabelText(w *store.Write, texts [][]byte) {
	for _, t := range texts {
		w.Labels = appendNew(w.Labels, cp.Policy.TextLabels(t)...)
	}
}

// redacted reports whether v is released with demographics redacted.
func (x *Exchange) redacted(v *store.Version) bool {
	g := x.gate
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.redact[keyOf(&v.Meta)]
}

// noteLiftedR raises the restricted-patient alert for v, a version of a
// Patient labelled R read after the restriction was lifted, as it is
// released: it is an access to restricted demographics as any is (review
// 67b: the old refuge address's version, redacted, raised none; review
// 68a: nor did the source's read, and a version counted in a total only
// raised one).
func (x *Exchange) noteLiftedR(v *store.Version) {
	g := x.gate
	if g == nil || !g.anyLiftedR.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if pid, ok := g.liftedR[keyOf(&v.Meta)]; ok && g.x != nil {
		g.note(consent.Decision{Reasons: []consent.Reason{{Layer: consent.LayerRestricted, Code: consent.CodeRestrictedPatient}}})
		g.x.restricted = appendNew(g.x.restricted, pid)
	}
}

// redactedCopies reports whether v's contained copies of a person's
// demographics are released redacted (see gate.redactCopies).
func (x *Exchange) redactedCopies(v *store.Version) bool {
	g := x.gate
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.redactCopies[keyOf(&v.Meta)]
}

// restrictedNumberLocked reports whether a Patient carrying NHS number n is
// restricted (labelled R or V), for a copy of that person's demographics
// in another person's item, and for another Patient resource carrying
// the number (review 12b: the hospital's own record of a person whose GP
// record is restricted released her refuge address, it being unlabelled).
// Fails closed: on a store error, or when more Patients carry it than
// are read, it says yes. Asked once per number in a request; g.mu held.
func (g *gate) restrictedNumberLocked(n string) bool {
	if n == "" {
		return false
	}
	r, ok := g.numbers[n]
	if ok {
		return r
	}
	info, _ := g.cp.numberInfo(g.ctx, n)
	r = info.restricted
	if g.numbers == nil {
		g.numbers = map[string]bool{}
	}
	g.numbers[n] = r
	return r
}

// noteCarried raises the restricted-patient alert (as noteRestricted
// does) for the people whose NHS numbers a released item carries redacted
// as a restricted person's: a RelatedPerson who is one, or a copy of her
// inside another person's item (review 13c: the district nurse read
// Jane's carer record, Margaret's, and IG's alerts named no one). Each
// Patient carrying one of the numbers is named, at most 20 a number.
func (g *gate) noteCarried(numbers []string) {
	if g.x == nil || len(numbers) == 0 {
		return
	}
	var people []string
	for _, n := range numbers {
		res, err := g.cp.store.Search(g.ctx, patientsNumbered(n, 20), nil)
		if err != nil {
			continue // the release is redacted; only the alert's name is lost
		}
		for _, v := range res.Items {
			people = append(people, v.ID)
		}
	}
	if len(people) == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.note(consent.Decision{Reasons: []consent.Reason{{Code: consent.CodeRestrictedPatient}}})
	g.x.restricted = appendNew(g.x.restricted, people...)
}

// noteLinked raises the restricted-patient alert for the restricted
// people (by Patient id) a released item carries a copy of, redacted.
func (g *gate) noteLinked(ids []string) {
	if g.x == nil || len(ids) == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.note(consent.Decision{Reasons: []consent.Reason{{Code: consent.CodeRestrictedPatient}}})
	g.x.restricted = appendNew(g.x.restricted, ids...)
}

// restrictedLinks is who among the people that p, a copy of a person's
// demographics, links to (a Patient's link.other, a Person's link.target)
// is restricted: the Patients by id, and the NHS numbers of a link given
// by identifier or to a RelatedPerson or Person carrying one (review 22a:
// those copies went out whole). unread: a linked RelatedPerson or Person
// could not be read (the copy is then redacted: it fails closed).
func (g *gate) restrictedLinks(p map[string]any) (ids, numbers []string, unread bool) {
	for _, l := range asList(p["link"]) {
		lm, _ := l.(map[string]any)
		for _, k := range [...]string{"other", "target"} {
			r, _ := lm[k].(map[string]any)
			if im, _ := r["identifier"].(map[string]any); im != nil {
				if n := nhsOfIdentifier(im); n != "" && g.restrictedCopyNumbers([]string{n}) {
					numbers = append(numbers, n)
				}
			}
			ref, _ := r["reference"].(string)
			n, _ := search.NormalizeReference(ref)
			typ, id, _ := strings.Cut(n, "/")
			switch {
			case typ == "Patient" && g.restrictedID(id):
				ids = append(ids, id)
			case typ == "RelatedPerson" || typ == "Person":
				nums, err := g.numbersOf(typ, id)
				unread = unread || err != nil
				if g.restrictedCopyNumbers(nums) {
					numbers = append(numbers, nums...)
				}
			}
		}
	}
	return distinct(ids), distinct(numbers), unread
}

// numbersOf is the NHS numbers stored RelatedPerson or Person typ/id
// carries now (none when it is not stored).
func (g *gate) numbersOf(typ, id string) ([]string, error) {
	v, err := g.cp.store.Read(g.ctx, typ, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return nhsNumbersOf(decodeMap(v.Raw)), nil
}

// personRestricted reports whether Patient pid is a restricted person's:
// labelled so, linked to a record that is, or carrying an NHS number a
// restricted Patient carries.
func (g *gate) personRestricted(ctx context.Context, pid string, ev map[string]bool) (bool, error) {
	pc, err := g.cp.store.PatientContext(ctx, pid)
	if err != nil {
		return false, err
	}
	d := deriveContext(pid, pc)
	pat, _, err := g.cp.person(ctx, d, pc, nil)
	if err != nil {
		return false, err
	}
	// Another Patient carrying one of its numbers may be restricted by
	// its links (review 42b: a copy's number was carried by a Patient
	// sharing another number with one a restricted record replaces).
	return pat.Restricted || g.restrictedCopyNumbersIn(d.numbers, ev), nil
}

// restrictedID reports whether Patient id is a restricted person's (as
// noteRestricted decides it, and through the Patients sharing its
// numbers), once per request; it fails closed.
func (g *gate) restrictedID(id string) bool {
	g.mu.Lock()
	r, ok := g.linkedRestricted[id]
	g.mu.Unlock()
	if ok {
		return r
	}
	ev := map[string]bool{}
	r = g.restrictedIDIn(id, ev)
	// Kept for the request: every answer when this one is "no" (each was
	// worked out to the end), and only the "yes" answers otherwise: one
	// worked out while another id was in progress, counted "no" until it
	// ended, may be "yes" after all (review 43a: the carer's copy linking
	// to such a Patient went out whole, depending on what was asked first).
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.linkedRestricted == nil {
		g.linkedRestricted = map[string]bool{}
	}
	for k, v := range ev {
		if v || !r {
			g.linkedRestricted[k] = v
		}
	}
	return r
}

// restrictedIDIn is restrictedID within one evaluation: ev holds the
// answers so far, and "no" for the ids in progress (a cycle of shared
// numbers and links ends there).
func (g *gate) restrictedIDIn(id string, ev map[string]bool) bool {
	if r, ok := ev[id]; ok {
		return r
	}
	g.mu.Lock()
	r, ok := g.linkedRestricted[id]
	g.mu.Unlock()
	if ok {
		return r
	}
	ev[id] = false
	r, err := g.personRestricted(g.ctx, id, ev)
	r = r || err != nil
	ev[id] = r
	return r
}

// patientsLinkingByNumber asks for the Patients linking to NHS number n
// by identifier (Patient.link.other.identifier, which the store indexes
// as store.LinkNumberParam; review 38c), at most most of them.
func patientsLinkingByNumber(n string, most int) *search.Query {
	return &search.Query{Type: "Patient", Count: most, Clauses: []search.Clause{{Param: store.LinkNumberParam, Type: search.Token,
		Values: []search.Value{{System: fhir.NHSNumberSystem, Code: n}}}}}
}

// patientsNumbered asks for the Patients carrying NHS number n, at most
// most of them.
func patientsNumbered(n string, most int) *search.Query {
	return &search.Query{Type: "Patient", Count: most, Clauses: []search.Clause{{Param: "identifier", Type: search.Token,
		Values: []search.Value{{System: fhir.NHSNumberSystem, Code: n}}}}}
}

// personResource: a type that holds a person's demographics, redacted
// whole for a restricted person (consent.Decide's FlagRedact).
func personResource(t string) bool { return t == "Patient" || t == "RelatedPerson" || t == "Person" }

// versionKey names one version of a resource.
type versionKey struct {
	typ, id string
	version int64
}

func keyOf(m *store.Meta) versionKey { return versionKey{m.Type, m.ID, m.VersionID} }

// body is what to release of v: a restricted person's address, telecom
// and GP are removed outside the source organisation, and references to
// items the user may not see are masked (maskref.go).
func (x *Exchange) body(v *store.Version) []byte {
	return x.bodyOf(v, true)
}

// bodyOf is body; with refs false, references are released as stored (the
// echo of a resource the user just wrote: its references are the user's).
func (x *Exchange) bodyOf(v *store.Version, refs bool) []byte {
	x.noteLiftedR(v)
	redact := x.redacted(v)
	// (a key written with escapes is read from the document; a copy may
	// sit anywhere another resource does, or in an attachment's data)
	copies := x.redactedCopies(v) && (mayCarryPeople(v.Raw) || mayCarryPlaces(v.Raw))
	var mask map[string]bool
	maskCodes := false
	if refs {
		mask = x.maskedRefs(v)
		maskCodes = x.gate != nil && x.gate.masksConsentCodes(v)
	}
	// an item released outside its source that carries someone's
	// demographics (a copy of a Patient): whose is known by NHS number
	carries := !redact && !copies && x.gate != nil && (x.gate.user.Org == "" || !strings.EqualFold(v.SourceOrg, x.gate.user.Org)) &&
		(mayCarryPeople(v.Raw) || v.Type == "RelatedPerson" && fhir.MayHoldNHSNumberSystem(v.Raw))
	if !redact && !copies && !carries && mask == nil && !maskCodes {
		return v.Raw
	}
	m := decodeMap(v.Raw)
	if redact {
		redactPerson(m)
	}
	if redact || copies {
		redactContainedPeople(m)
	} else if carries {
		// Another person's item carrying a copy of a restricted person's
		// demographics, known by her NHS number (review 11a: Jane's carer
		// assessment carrying the Patient of Margaret, whom she cares for).
		var carried, linked []string // the restricted people's numbers and ids, for the alert
		which := func(p map[string]any) bool {
			n := nhsNumbersOf(p)
			byNumber := x.gate.restrictedCopyNumbers(n)
			if byNumber {
				carried = append(carried, n...)
			}
			// A copy without her number says whose it is by a link to
			// her Patient (review 21a: Jane's care plan carried her
			// restricted carer as a Person linking to her, released whole).
			ids, nums, unread := x.gate.restrictedLinks(p)
			linked = append(linked, ids...)
			carried = append(carried, nums...)
			return byNumber || len(ids) > 0 || len(nums) > 0 || unread
		}
		defer func() { x.gate.noteCarried(carried); x.gate.noteLinked(linked) }()
		// A RelatedPerson is itself a copy of someone's demographics, in
		// another person's record: a carer who is a restricted person
		// (review 13a: Jane's carer record released Margaret's refuge
		// address to Jane's district nurse).
		self := v.Type == "RelatedPerson" && which(m)
		if self {
			redactPerson(m)
		}
		found, unlooked := redactCarriedUnlooked(m, which)
		carried = append(carried, x.gate.restrictedAmong(unlooked)...)
		if !found && !self && mask == nil && !maskCodes {
			return v.Raw // (carrying no one restricted: as stored)
		}
	}
	if mask != nil {
		maskRefs(m, mask)
	}
	if maskCodes && !maskClinicalCodes(m) && mask == nil && !redact && !copies && !carries {
		return v.Raw // (no clinical code in it)
	}
	out, err := encodeResource(m)
	if err != nil {
		return nil
	}
	return out
}

// mayCarryPeople reports whether a stored body may carry a copy of a
// person's demographics: a Patient, RelatedPerson or Person resource
// inside it (not the body itself) names its type as a JSON string, or
// behind an escape, or sits in an attachment's base64 data. Most items
// carry none and are released without being decoded: a prescription's
// contained Medication, and a Patient itself (a search by NHS number).
func mayCarryPeople(raw []byte) bool {
	if bytes.Contains(raw, []byte(`"data"`)) || bytes.Contains(raw, []byte(`\u`)) || bytes.Contains(raw, []byte(`ata:`)) || bytes.Contains(raw, []byte(`"valueBase64Binary"`)) {
		return true // (ata: a data: url; base64 values: maskUnreadPeople)
	}
	if !bytes.Contains(raw, []byte(`"Patient"`)) && !bytes.Contains(raw, []byte(`"RelatedPerson"`)) && !bytes.Contains(raw, []byte(`"Person"`)) {
		return false
	}
	return bytes.Count(raw, []byte(`"resourceType"`)) > 1
}

// encodeResource writes a decoded resource back as JSON with resourceType
// first (as FHIR recommends, and streaming parsers expect) and without
// escaping <, > and & (a narrative stays readable); numbers keep their
// text (json.Number).
func encodeResource(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	rt, ok := m["resourceType"].(string)
	if ok {
		delete(m, "resourceType")
		defer func() { m["resourceType"] = rt }()
	}
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	rest := bytes.TrimSpace(buf.Bytes())
	if !ok {
		return rest, nil
	}
	out := append([]byte(`{"resourceType":`), jsonString(rt)...)
	if len(rest) > 2 { // more than {}
		out = append(out, ',')
		out = append(out, rest[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// nhsNumberOf is the first NHS number among a Patient's identifiers,
// without spaces.
func nhsNumberOf(patient map[string]any) string {
	if l := nhsNumbersOf(patient); len(l) > 0 {
		return l[0]
	}
	return ""
}

// nhsNumbersOf is every NHS number among a Patient's (a RelatedPerson's,
// a Person's) identifiers, without spaces, in order: one listing a
// superseded number first carries the person's current one too.
func nhsNumbersOf(patient map[string]any) []string {
	var out []string
	for _, id := range asList(patient["identifier"]) {
		im, _ := id.(map[string]any)
		if n := nhsOfIdentifier(im); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// isNHSSystem reports whether a decoded identifier system is the NHS
// number's, in any form feeds write it (fhir.IsNHSNumberSystem; review
// 38c: one under http://fhir.nhs.uk/Id/nhs-number was not joined).
func isNHSSystem(sys any) bool {
	s, _ := sys.(string)
	return fhir.IsNHSNumberSystem(s)
}

// nhsOfIdentifier is the NHS number an Identifier gives (normalised), ""
// when it gives none or one that fails its check.
func nhsOfIdentifier(im map[string]any) string {
	if !isNHSSystem(im["system"]) {
		return ""
	}
	v, _ := im["value"].(string)
	n, err := fhir.NormaliseNHSNumber(v)
	if err != nil {
		return ""
	}
	return n
}

// restrictedNumbers reports whether a Patient carrying any of the NHS
// numbers is restricted (restrictedNumberLocked), with g.mu held.
func (g *gate) restrictedNumbersLocked(numbers []string) bool {
	for _, n := range numbers {
		if g.restrictedNumberLocked(n) {
			return true
		}
	}
	return false
}

// restrictedCopyNumbers reports whether any of the NHS numbers that a
// copy of a person's demographics carries (a RelatedPerson, a contained
// Patient, a link by identifier) is a restricted person's: a Patient
// carrying it is labelled so (restrictedNumbers), or is restricted by its
// links, either way, as person reads them (restrictedID). Review 41a: the
// restricted Patient/m41 replaces Patient/m41-old, whose number Jane's
// carer record carried, and the carer's address went to the district
// nurse. Fails closed.
func (g *gate) restrictedCopyNumbers(numbers []string) bool {
	return g.restrictedCopyNumbersIn(numbers, nil)
}

// restrictedCopyNumbersIn is restrictedCopyNumbers within an evaluation
// of restrictedID (ev), or on its own (nil).
func (g *gate) restrictedCopyNumbersIn(numbers []string, ev map[string]bool) bool {
	if g.restrictedNumbers(numbers) {
		return true
	}
	for _, n := range numbers {
		info, err := g.cp.numberInfo(g.ctx, n)
		if err != nil {
			return true
		}
		for _, id := range info.ids {
			if ev == nil && g.restrictedID(id) || ev != nil && g.restrictedIDIn(id, ev) {
				return true
			}
		}
	}
	return false
}

// restrictedAmong are the numbers, masked unread without a look-up each
// (numbersIn past maxUnreadNumbers), that a restricted Patient carries:
// asked in one search per amongBatch, for the IG alert alone (review 41b: her
// number behind 100 others in Jane's letter raised none). The masking
// does not wait on it; a store error loses only the alert's names.
func (g *gate) restrictedAmong(numbers []string) []string {
	var out []string
	for len(numbers) > 0 {
		batch := numbers[:min(len(numbers), amongBatch)]
		numbers = numbers[len(batch):]
		vals := make([]search.Value, len(batch))
		for i, n := range batch {
			vals[i] = search.Value{System: fhir.NHSNumberSystem, HasSystem: true, Code: n}
		}
		most := len(batch) * maxSameNumber
		res, err := g.cp.store.Search(g.ctx, &search.Query{Type: "Patient", Count: most + 1,
			Clauses: []search.Clause{{Param: "identifier", Type: search.Token, Values: vals}}}, nil)
		if err != nil {
			// the masking stands; the alert is raised naming no one
			// (review 42b: a store error lost it without trace)
			g.mu.Lock()
			g.note(consent.Decision{Reasons: []consent.Reason{{Code: consent.CodeRestrictedPatient}}})
			g.mu.Unlock()
			continue
		}
		if len(res.Items) > most {
			// more Patients carry them than read (review 42b: a
			// restricted one past the 1,000th went unnamed): each number
			// asked on its own, as a copy's is
			for _, n := range batch {
				if g.restrictedCopyNumbers([]string{n}) {
					out = append(out, n)
				}
			}
			continue
		}
		for _, v := range res.Items {
			if restrictedLabels(v.Labels) {
				for _, n := range recordNumbers(decodeMap(v.Raw)) {
					if slices.Contains(batch, n) {
						out = append(out, n)
					}
				}
			}
		}
	}
	return distinct(out)
}

// amongBatch is how many numbers restrictedAmong asks about in one search.
const amongBatch = 50

// restrictedNumbers is restrictedNumbersLocked without g.mu held.
func (g *gate) restrictedNumbers(numbers []string) bool {
	if len(numbers) == 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.restrictedNumbersLocked(numbers)
}
