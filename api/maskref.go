package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// A released item may point at an item the user may not see: an Encounter
// whose diagnosis is a withheld HIV Condition, with the diagnosis' name as
// the reference's display text. Such a reference goes out masked: no id,
// no type, no display, only FHIR's data-absent-reason "masked" (the
// information is not available for security or privacy reasons).

const dataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

// refKey names a resource without its version.
type refKey struct{ typ, id string }

// maskedRefs is the set of reference strings in v's body that point at
// items, or people, this request's user may not see; nil when there are
// none. A client system (an own-organisation-only role) reading back what
// its organisation stored gets it as stored: it may write it back. A
// person at that organisation may not see everything its items point at.
func (x *Exchange) maskedRefs(v *store.Version) map[string]bool {
	g := x.gate
	if g == nil || v.Raw == nil || g.ownSystem(v) {
		return nil
	}
	var mask map[string]bool
	masked := func(ref string) {
		if mask == nil {
			mask = map[string]bool{}
		}
		mask[ref] = true
	}
	if bytes.Contains(v.Raw, []byte(`\u`)) {
		// A key or value written with escapes: read the document, not
		// its bytes (rare: JSON writers escape only what they must).
		m := decodeMap(v.Raw)
		check := func(ref string) {
			if ok, _ := g.refReleasable(v, ref); !ok {
				masked(ref)
			}
		}
		walkRefs(m, check)
		walkItemStrings(m, check)
		walkNarrativeLinks(m, check)
		g.logicalRefs(m, masked)
		g.itemLogicalRefs(m, masked)
		g.attachedRefs(v, m, masked)
		g.xmlDirCopies(m, masked)
		return mask
	}
	// The item's own people, decided with it: a set when they are many (a
	// ward list of 15,000 compared each reference with every member).
	var own map[string]bool
	if len(v.Patients) > 16 {
		own = make(map[string]bool, len(v.Patients))
		for _, p := range v.Patients {
			own[p] = true
		}
	}
	decideRef := func(b []byte) {
		if id, ok := bytes.CutPrefix(b, []byte("Patient/")); ok {
			if own != nil && own[string(id)] || own == nil && slices.Contains(v.Patients, string(id)) {
				return // the item's own person, decided with it
			}
		}
		for i, dir := range directoryPrefixes {
			if bytes.HasPrefix(b, dir) && bytes.IndexByte(b[len(dir):], '/') < 0 && !g.labelled(refKey{unlookedTypes[i], string(b[len(dir):])}) {
				return // directory data: no one's record (unless labelled: review 31b)
			}
		}
		// The items of a record point at the same few encounters and
		// people: each reference is decided once per request.
		g.mu.Lock()
		ok, seen := g.refOK[string(b)]
		g.mu.Unlock()
		if !seen {
			ref := string(b)
			var shared bool
			if ok, shared = g.refReleasable(v, ref); shared {
				g.mu.Lock()
				if g.refOK == nil {
					g.refOK = map[string]bool{}
				}
				g.refOK[ref] = ok
				g.mu.Unlock()
			}
		}
		if !ok {
			masked(string(b))
		}
	}
	forEachRef(v.Raw, decideRef)
	// Any other string naming an item stored here (an attachment's url
	// naming its content, a uri value, a search url by _id) says what a
	// reference would: it goes out masked where the item is withheld.
	forEachItemString(v.Raw, decideRef)
	// So does a narrative's href or src (review 18b).
	forEachNarrativeLink(v.Raw, decideRef)
	// A logical reference (an identifier, no literal reference) naming a
	// labelled directory item is decided as the literal one (review 31b);
	// so is a nested copy of one named by its id alone (review 36b).
	var m map[string]any
	if d := g.directory(); d == nil && (bytes.Contains(v.Raw, []byte(`"identifier"`)) || bytes.Count(v.Raw, []byte(`"resourceType"`)) > 1) ||
		d != nil && (d.maybeNamesLabelled(v.Raw) || d.maybeCopiedByID(v.Raw)) {
		m = decodeMap(v.Raw)
		g.logicalRefs(m, masked)
	}
	// So is one naming a stored item of someone's (review 61b).
	if mayHoldLogicalRef(v.Raw) {
		if m == nil {
			m = decodeMap(v.Raw)
		}
		g.itemLogicalRefs(m, masked)
	}
	// The attachments' FHIR JSON is read decoded.
	if mayCarryFHIRData(v.Raw) {
		if m == nil {
			m = decodeMap(v.Raw)
		}
		g.attachedRefs(v, m, masked)
	}
	// So is other text they carry (FHIR XML) naming a labelled directory
	// item (review 38b), where one is labelled.
	if d := g.directory(); (d == nil || len(d.ids) > 0) && mayCarryPayload(v.Raw) {
		if m == nil {
			m = decodeMap(v.Raw)
		}
		g.xmlDirCopies(m, masked)
	}
	return mask
}

// mayCarryFHIRData reports whether raw may carry FHIR JSON in a payload
// (payloadsOf): an attachment's data (a JSON media type, or data without
// a contentType: a Binary holding a PDF is not decoded for it), an
// extension's valueBase64Binary or a data: url (review 38b: the gate
// looked for data alone, and the refuge's copy, or a reference to it, in
// either of the others went out as stored).
func mayCarryFHIRData(raw []byte) bool {
	data := bytes.Count(raw, []byte(`"data"`))
	return data > 0 && (data > bytes.Count(raw, []byte(`"contentType"`)) || textTyped(raw) || dataMayBeJSON(raw)) ||
		bytes.Contains(raw, []byte(`"valueBase64Binary"`)) || hasDataURL(raw)
}

// dataMayBeJSON reports whether an attachment's data in raw starts as
// JSON whatever its media type (jsonPayload; review 89b: FHIR JSON typed
// image/png naming a withheld item went out as stored). Only the first
// bytes of each are decoded. (Data written with escapes sends maskedRefs
// down its decoded path, which reads them all.)
func dataMayBeJSON(raw []byte) bool {
	key := []byte(`"data"`)
	for i := 0; ; {
		j := bytes.Index(raw[i:], key)
		if j < 0 {
			return false
		}
		i += j + len(key)
		rest := bytes.TrimLeft(raw[i:], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' {
			continue
		}
		val := rest[1:]
		if end := bytes.IndexByte(val, '"'); end >= 0 {
			val = val[:end]
		}
		if jsonPayload("application/octet-stream", string(val), true) {
			return true
		}
	}
}

// textTyped reports whether raw names a media type whose data may be FHIR
// JSON read by its first byte (jsonLike): a JSON, text, XML or untyped
// octet-stream one (review 42a: the refuge as FHIR JSON typed text/plain
// was masked only when "json" happened to be written elsewhere).
func textTyped(raw []byte) bool {
	low := bytes.ToLower(raw)
	for _, t := range [...]string{"json", "text/", "xml", "octet-stream"} {
		if bytes.Contains(low, []byte(t)) {
			return true
		}
	}
	return false
}

// mayCarryPayload reports whether raw may carry a payload of any media
// type (payloadsOf's routes).
func mayCarryPayload(raw []byte) bool {
	return bytes.Contains(raw, []byte(`"data"`)) || bytes.Contains(raw, []byte(`"valueBase64Binary"`)) || hasDataURL(raw)
}

// hasDataURL reports whether raw holds a JSON string starting "data:", in
// any case (dataURL). An escape in it (\u0064ata:) sends maskedRefs down
// its decoded path, which reads every payload.
func hasDataURL(raw []byte) bool {
	// (from the rare "a:", as forEachRef searches from a rare byte)
	for _, sep := range [...]string{"a:", "A:"} {
		for i := 0; ; {
			j := bytes.Index(raw[i:], []byte(sep))
			if j < 0 {
				break
			}
			j += i
			i = j + 2
			if j >= 4 && raw[j-4] == '"' && bytes.EqualFold(raw[j-3:j], []byte("dat")) {
				return true
			}
		}
	}
	return false
}

// attachedRefs decides the references and Binary urls inside the FHIR
// JSON that v's attachments carry (m, v decoded; nil: none), calling
// masked with each one to mask. That JSON is v's content (its labels,
// classes and the people it carries count as v's): what it points at is
// decided as v's own references are (review 14c: a document carrying a
// care plan addressing Jane's withheld HIV diagnosis released the
// reference and its display inside the attachment).
func (g *gate) attachedRefs(v *store.Version, m map[string]any, masked func(string)) {
	if m == nil {
		return
	}
	check := func(ref string) {
		if ok, _ := g.refReleasable(v, ref); !ok {
			masked(ref)
		}
	}
	for _, doc := range fhirAttachmentsBoth(m) {
		walkRefs(doc, check)
		walkItemStrings(doc, check)
		walkNarrativeLinks(doc, check)
		g.logicalRefs(doc, masked)
		g.itemLogicalRefs(doc, masked)
		for _, r := range docResources(doc) {
			// The document may itself be a copy of a withheld labelled
			// item (review 36b: an attachment whose FHIR JSON is the
			// refuge's Organization went out whole): its identifiers and
			// Type/id are masked, and maskAttachedRefs masks the whole
			// attachment (attachedCopy).
			g.nestedCopy(map[string]any{}, r, g.identWithheld, masked)
		}
	}
}

// unlookedTypes are the directory types whose references are released
// without a lookup: every Patient names its GP organisation, and a lookup
// for it would cost a read a tenth of its time. A Location or
// HealthcareService may be labelled (a refuge's address) and is decided
// like any item; so is an item of these types that a source labelled
// (gate.unlooked: review 31b, a refuge's Organization named by Jane's
// encounter).
var unlookedTypes = []string{"Practitioner", "Organization", "PractitionerRole", "Endpoint"}

// directoryPrefixes are unlookedTypes as relative references' prefixes,
// for the scan.
var directoryPrefixes = func() [][]byte {
	var out [][]byte
	for _, t := range unlookedTypes {
		out = append(out, []byte(t+"/"))
	}
	return out
}()

func unlookedDirectory(typ string) bool { return slices.Contains(unlookedTypes, typ) }

// ownSystem: the user is an own-organisation-only role (a client system)
// and its organisation wrote v.
func (g *gate) ownSystem(v *store.Version) bool {
	return g.user.Org != "" && strings.EqualFold(v.SourceOrg, g.user.Org) && g.ownOrgOnly()
}

// ownOrgOnly: the user's role reads only its own organisation's data.
func (g *gate) ownOrgOnly() bool {
	role := g.cp.Policy.Role(g.user.Role)
	return role != nil && role.OwnOrgOnly
}

// walkRefs calls fn with every "reference" string in a decoded document.
func walkRefs(v any, fn func(string)) {
	eachObject(v, "", func(m map[string]any) bool {
		if s, ok := m["reference"].(string); ok {
			fn(s)
		}
		return true
	})
}

// walkItemStrings calls fn with every string in a decoded document, a
// member's value or a list's element, that names an item stored here
// (namesItemAt), other than a reference's.
func walkItemStrings(v any, fn func(string)) {
	eachObject(v, "", func(m map[string]any) bool {
		eachString(m, func(k, s string) {
			if namesItemAt(k, s) {
				fn(s)
			}
		})
		return true
	})
}

// uriKeys are the uri-typed values (of an extension, an Observation, a
// Parameters) and lists (a care plan's instantiatesCanonical and
// instantiatesUri) whose values may name any item, a definition among
// them, as a location does: valueUri "Binary/hivbin", valueCanonical
// "Condition/hiv" (review 16a; review 16f for the lists). So is
// meta.source, the uri of the system or item a resource came from (review
// 16f's left-over).
//
// And the canonicals naming the definition an item follows: the
// Questionnaire a form answers, a charge's definition (review 64a: a form
// named the HIV-labelled Questionnaire withheld from its reader).
var uriKeys = append(slices.Clip(fhir.URIValueKeys), "source", "instantiatesCanonical", "instantiatesUri", "questionnaire", "definitionCanonical", "definitionUri")

// namesItemAt reports whether s, a string value of key (or an element of
// its list), names an item stored here and is decided as a reference
// naming it, withheld items' ids being a leak whatever the element (six
// review rounds in turn found another: attachment urls, uri values, odd
// forms, meta.source, history urls, instantiates lists; and then search
// urls by _id, upper-case types in absolute urls and plain strings such as
// an extension's valueString "Condition/hiv"). An attachment's url names
// records (namesRecord), a uri value any item (namesItem); a string of
// any other element names a record when it is one url or reference, free
// text with spaces ("Patient/carer discussed") being neither. A reference
// is decided as such (forEachRef).
func namesItemAt(key, s string) bool {
	// Read as a viewer shows it: "Condi<soft hyphen>tion/hiv" is
	// Condition/hiv (review 20c). Written so, it names nothing the server
	// reads (refReleasable): it goes out masked, whatever it names.
	s = fhir.Unshown(s)
	switch {
	case key == "reference":
		return false
	case key == "url":
		return fhir.MayNameItem(s, false) && namesRecord(s)
	case isURIKey(key):
		return fhir.MayNameItem(s, true) && namesItem(s)
	}
	return fhir.StringMayNameItem(s) && namesRecord(s)
}

// isURIKey: key is one of uriKeys.
func isURIKey[S ~string | ~[]byte](key S) bool {
	for _, k := range uriKeys {
		if string(key) == k {
			return true
		}
	}
	return false
}

// namesItem: a uri value that names an item as a reference would (Type/id
// of an R4 type, relative or absolute, after refCore), however written, as
// an attachment's url is read (urlType): Condition//hiv, ./Condition/hiv,
// condition/hiv and Binary%2Fhivbin went out as stored, telling the
// withheld items' ids (review 16d), where a reference or an attachment url
// so written was masked; they are decided as a reference so written is
// (refReleasable).
func namesItem(uri string) bool {
	return urlType(uri) != ""
}

// refReleasable reports whether a reference in v may go out as stored: it
// names a person the user may open, an item (at the version it names) the
// user may see, something not stored here, or an organisation or person at
// work. A reference that names nothing readable is masked: its display may
// say anything. shared: the answer does not depend on v (a reference to v
// itself, or to a person, is decided against v's own people).
func (g *gate) refReleasable(v *store.Version, ref string) (ok, shared bool) {
	if typ, refs := searchTargets(ref); typ != "" {
		// A search url naming items names each of them.
		for _, r := range refs {
			if ok, _ := g.refReleasable(v, r); !ok {
				return false, false
			}
		}
		return true, false
	}
	if parts := refParts(ref); parts != nil {
		// Several references in one string, or one between delimiters
		// (Condition/diabetes,Condition/hiv; <Condition/hiv>): each part
		// naming an item is decided as a reference (review 17b).
		for _, p := range parts {
			if namesItem(p) {
				if ok, _ := g.refReleasable(v, p); !ok {
					return false, false
				}
			}
		}
		return true, false
	}
	if ps := embeddedTargets(ref); len(ps) > 0 {
		// A urn with a path, or an app's url routing by its fragment,
		// names what its path does (review 18b), in each way it may be
		// read (review 20h); a url naming an item before its fragment
		// names that too.
		ok := true
		for _, p := range ps {
			if r, _ := g.refReleasable(v, p); !r {
				ok = false
				break
			}
		}
		if !ok || urnPath(ref) != "" || urlType(refCore(ref)) == "" {
			return ok, false
		}
	}
	ref = refCore(ref)
	if ref == "" || ref[0] == '#' || strings.HasPrefix(ref, "urn:") {
		return true, false // contained, or a bundle-local id: nothing stored
	}
	typ, id, ver, ok := itemTarget(ref)
	if !ok || !fhir.IsResourceType(typ) {
		typ, id, ver, ok = anyCaseTarget(ref)
	}
	switch {
	case !ok || !fhir.IsResourceType(typ) || !fhir.ValidID(id):
		// An id that is no FHIR id (Condition/h%69v, stored before such
		// references were refused: review 16a) may be another way of
		// writing one: it names nothing readable.
		return false, true
	case typ == v.Type && id == v.ID:
		return true, false
	case typ == "Patient":
		return slices.Contains(v.Patients, id) || g.mayOpen(id), false
	case g.unlooked(typ, id):
		return true, true
	}
	if !g.refVisible(refKey{typ, id}) {
		return false, true
	}
	return ver == 0 || g.versionVisible(typ, id, ver), true
}

// mayOpen reports whether the user may open pid's record (as prepared in
// this request, or quietly).
func (g *gate) mayOpen(pid string) bool {
	pp := g.preparedOf(pid)
	if pp == nil {
		if !g.spendLookup() {
			return false
		}
		pp = g.prepareQuiet(pid)
	}
	return pp != nil && pp.Open().Permitted()
}

// maxRefLookups and refLookupsPerItem bound the items and people one
// request looks up to decide references: 1,000, and 4 more for each item
// it released. A response of many items pointing at many others is paid for
// by its items; one resource naming thousands of others is not. Past the
// bound, references not yet decided are masked. Only items released count:
// with those withheld, the references left unmasked in a plan naming
// thousands of ids told how many items of a record were withheld (review
// 9a).
const (
	maxRefLookups     = 1000
	refLookupsPerItem = 4
)

// spendLookup takes one lookup from the request's budget.
func (g *gate) spendLookup() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lookups >= maxRefLookups+refLookupsPerItem*g.releasedItems {
		return false
	}
	g.lookups++
	return true
}

// versionVisible decides one stored version that a versioned reference
// names (its current version was decided visible first).
func (g *gate) versionVisible(typ, id string, ver int64) bool {
	if !g.spendLookup() {
		return false
	}
	v, err := g.cp.store.VRead(g.ctx, typ, id, ver)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true
	case err != nil || v == nil || v.Deleted:
		return err == nil && v != nil // a delete marker carries nothing
	}
	return g.refSees(&v.Meta)
}

// decided remembers what visible decided for an item, so that references
// to items met in the same request need no lookup. A slice, turned into
// the map only when a reference is checked: most responses point at no
// other item, and a map insert for each of a big record's items costs
// more than the rest of this file.
func (g *gate) decided(m *store.Meta, ok bool) {
	g.mu.Lock()
	g.decisions = append(g.decisions, decision{refKey{m.Type, m.ID}, m.VersionID, ok})
	if ok {
		g.releasedItems++
	}
	g.mu.Unlock()
}

type decision struct {
	k   refKey
	ver int64 // the version decided; lookupVersion for a reference's own lookup
	ok  bool
}

// lookupVersion marks a decision of the current version, looked up.
const lookupVersion = math.MaxInt64

// seenLocked is what the request decided about k's current version: the
// decision on the newest version it met (an older version withheld says
// nothing about the current one, and an older one released means the
// current one is too: older versions are withheld with a withheld current
// one); g.mu is held.
func (g *gate) seenLocked(k refKey) (ok, seen bool) {
	if g.seen == nil {
		g.seen = make(map[refKey]decision, len(g.decisions))
	}
	for _, d := range g.decisions[g.indexed:] {
		if prev, had := g.seen[d.k]; !had || d.ver > prev.ver || d.ver == prev.ver && !d.ok {
			g.seen[d.k] = d
		}
	}
	g.indexed = len(g.decisions)
	d, seen := g.seen[k]
	return d.ok, seen
}

// refVisible reports whether the user may see the item a reference points
// at. An item this request has not met is looked up and decided (refSees):
// a reference neither opens a record nor uses break-glass for anyone new.
// A target that does not exist is left alone (there is nothing behind it
// to protect); a deleted one is masked.
func (g *gate) refVisible(k refKey) bool {
	g.mu.Lock()
	ok, seen := g.seenLocked(k)
	g.mu.Unlock()
	if seen {
		return ok
	}
	if !g.spendLookup() {
		return false
	}
	v, err := g.cp.store.Read(g.ctx, k.typ, k.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		ok = true
	case err != nil || v == nil:
		ok = false
	default:
		ok = g.refSees(&v.Meta)
	}
	g.mu.Lock()
	g.seen[k] = decision{k, lookupVersion, ok}
	g.mu.Unlock()
	return ok
}

// refSees decides m like visible, without counting, noting or storing
// anything: a person this request decided is taken as it decided them; any
// other is decided without break-glass, as a lookup of their own would be.
// A Binary is decided as decide decides it: by the item its
// securityContext names now (binaryNow), which must be seen too (review
// 7a: the copy taken when it was written let a reference to the content
// of a letter labelled PSY since go out unmasked, and a filtered
// $everything's notice follow its _since).
func (g *gate) refSees(m *store.Meta) bool {
	ok, err := g.throughBinary(m, g.refSeesItem)
	return ok && err == nil
}

// refSeesItem is refSees for an item as it stands (a Binary as binaryNow
// made it).
func (g *gate) refSeesItem(m *store.Meta) bool {
	if g.ownData(m) {
		return true
	}
	if len(m.Patients) == 0 {
		return g.seesOutsideCompartments(m)
	}
	if hasUnresolved(m.Patients) {
		return g.sourceKeeps(m) // with its source only, as gate.decide
	}
	it := itemOf(m)
	for _, pid := range m.Patients {
		pp := g.preparedOf(pid)
		if pp == nil {
			pp = g.prepareQuiet(pid)
		}
		if pp == nil || !pp.Decide(it).Permitted() {
			return false
		}
	}
	return m.Type != "Provenance" || g.targetsSeen(m)
}

// preparedOf is how the request decided pid's own items: as its
// break-glass person, or without break-glass (bgOwn for anyone but that
// person is without it); nil when it did not. A person who only came
// along with a shared item was not opened: their other items are decided
// quietly.
func (g *gate) preparedOf(pid string) *personDecision {
	g.mu.Lock()
	for _, mode := range [...]bgMode{bgWithout, bgOwn} {
		if pp, ok := g.prepared[preparedKey{pid, mode}]; ok {
			if g.current(&pp.basis) {
				g.mu.Unlock()
				return pp
			}
			g.mu.Unlock()
			return g.prepareFor(pid, mode) // again, as the records now stand
		}
	}
	defer g.mu.Unlock()
	if pp := g.quiet[pid]; pp != nil && g.current(&pp.basis) {
		return pp
	}
	return nil // prepareQuiet replaces a stale one, keeping it as earlier
}

// prepareQuiet prepares pid for deciding references only: no break-glass
// reason (a grant the user already holds counts), nothing noted in the
// access log, no grant stored. nil when the person cannot be loaded.
func (g *gate) prepareQuiet(pid string) *personDecision {
	b := basis{changes: g.cp.store.Changes()}
	pc, err := g.cp.store.PatientContext(g.ctx, pid)
	if err != nil {
		return nil
	}
	b.add(pid, pc)
	u := g.user
	u.BreakGlassReason = ""
	until, err := g.cp.store.BreakGlassUntil(g.ctx, g.grantee(), pid)
	if err != nil {
		return nil
	}
	now := g.cp.now()
	u.BreakGlassGranted = now.Before(until)
	pat, linked, err := g.cp.person(g.ctx, deriveContext(pid, pc), pc, &b)
	if err != nil {
		return nil
	}
	pp := preparePerson(g.cp.Policy, u, pat, linked, now)
	pp.basis = b
	g.mu.Lock()
	if g.quiet == nil {
		g.quiet = map[string]*personDecision{}
	}
	pp.earlier = g.quiet[pid]
	g.quiet[pid] = pp
	g.mu.Unlock()
	return pp
}

// refTarget reads Type/id and a version from a literal reference:
// relative (Condition/1, Condition/1/_history/2) or absolute
// (…/Condition/1). Contained (#x) and urn: references name nothing stored.
func refTarget(ref string) (typ, id string, ver int64, ok bool) {
	if ref == "" || ref[0] == '#' || strings.HasPrefix(ref, "urn:") {
		return "", "", 0, false
	}
	// Without splitting (this runs for every reference released).
	last := func(s string) (rest, seg string) {
		i := strings.LastIndexByte(s, '/')
		return s[:max(i, 0)], s[i+1:]
	}
	rest, id := last(ref)
	if rest2, h := last(rest); h == "_history" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 1 {
			return "", "", 0, false
		}
		ver = n
		rest, id = last(rest2)
	}
	_, typ = last(rest)
	if typ == "" || id == "" || typ[0] < 'A' || typ[0] > 'Z' {
		return "", "", 0, false
	}
	return typ, id, ver, true
}

// itemTarget is refTarget, reading as well a url naming an item's history
// or an operation on it (Type/id/_history, Type/id/$op, Type/id/_history/n/$op)
// as naming the item (review 16f: an attachment url
// DocumentReference/hivdoc/_history went out as stored, title and data).
func itemTarget(ref string) (typ, id string, ver int64, ok bool) {
	if typ, id, ver, ok = refTarget(ref); ok && fhir.IsResourceType(typ) {
		return typ, id, ver, ok
	}
	base := ref
	if i := strings.LastIndexByte(base, '/'); i > 0 && strings.HasPrefix(base[i+1:], "$") {
		base = base[:i]
	}
	if b, cut := strings.CutSuffix(base, "/_history"); cut {
		base = b
	}
	if base == ref {
		return typ, id, ver, ok
	}
	return refTarget(base)
}

// forEachRef calls fn with each "reference" string in a JSON document,
// found by scanning the bytes: no decoding for the common case. The
// string fn gets is only valid during the call.
func forEachRef(raw []byte, fn func([]byte)) {
	// Searching from the rarer 'f' (of "reference") is several times
	// faster than from the quote every JSON key starts with.
	forEachString(raw, []byte(`"re`), []byte(`ference"`), fn)
}

// forEachItemString calls fn with each string in a JSON document that
// walkItemStrings would, found by scanning the bytes as forEachRef does:
// from string to string, keeping only the key each value belongs to.
func forEachItemString(raw []byte, fn func([]byte)) {
	var stack [16][]byte
	open := stack[:0] // the key holding each object or list open at i
	var key []byte    // the key of the member being read
	for i := 0; i < len(raw); {
		q := bytes.IndexByte(raw[i:], '"')
		gap := raw[i:]
		if q >= 0 {
			gap = raw[i : i+q]
		}
		for _, c := range gap {
			switch c {
			case '{', '[':
				open = append(open, key)
			case '}', ']':
				if n := len(open); n > 0 {
					key, open = open[n-1], open[:n-1]
				}
			}
		}
		if q < 0 {
			return
		}
		start := i + q + 1
		end := stringEnd(raw, start)
		if end < 0 {
			return
		}
		i = end + 1
		if j := skipSpace(raw, i); j < len(raw) && raw[j] == ':' {
			key = raw[start:end]
			continue
		}
		val := raw[start:end]
		if !fhir.HasSeparator(val) || string(key) == "reference" || !fhir.MayNameItem(val, isURIKey(key)) {
			continue
		}
		if val, ok := stringValue(raw, start, end); ok && namesItemAt(string(key), string(val)) {
			fn(val)
		}
	}
}

// stringValue is the JSON string raw[start:end] (between its quotes) as
// it reads: the bytes themselves, or decoded where it holds an escape;
// false when it does not decode.
func stringValue(raw []byte, start, end int) ([]byte, bool) {
	if bytes.IndexByte(raw[start:end], '\\') < 0 {
		return raw[start:end], true
	}
	var s string
	if json.Unmarshal(raw[start-1:end+1], &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// stringEnd is the index of the quote ending the JSON string that starts
// at raw[start] (after its opening quote), -1 when none.
func stringEnd(raw []byte, start int) int {
	for i := start; ; {
		q := bytes.IndexByte(raw[i:], '"')
		if q < 0 {
			return -1
		}
		end := i + q
		n := 0 // backslashes before the quote: an odd count escapes it
		for k := end - 1; k >= start && raw[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return end
		}
		i = end + 1
	}
}

// namesRecord: an attachment url that names an item stored here however
// written (urlType): Binary/hivbin, and as well DocumentReference/hivdoc
// or Condition/hiv (review 16d: an attachment whose url named Jane's
// withheld HIV letter's DocumentReference went to the hospital with the
// url, its title and the letter inline in data, where Binary/hivbin was
// masked with all three). Types that are definitions, not anyone's record
// (StructureDefinition: every extension's url; ValueSet, Questionnaire...)
// are left alone.
func namesRecord(u string) bool {
	typ := urlType(u)
	return typ != "" && !fhir.IsDefinitionType(typ)
}

// urlType is the R4 resource type a url names as Type/id, however written,
// or as that item's history, a version of it or an operation on it
// (Type/id/_history, Type/id/$op); "" when none. Relative or absolute,
// with or without a query, a fragment or a trailing slash (refCore). A
// url refTarget cannot read names a type too where, decoded, with empty
// and "." segments dropped, its last but one segment is that type
// (Binary//hivbin, Binary%2Fhivbin, which name Binary/hivbin to many a
// client; review 16a: they went out with the withheld content's title),
// in any case (binary/hivbin, …/fhir/BINARY/hivbin). Such a url is
// decided as a reference is: masked where it names nothing readable, and
// where its type is written in another case, decided as the item it names
// (anyCaseTarget).
func urlType(u string) string {
	if p := urnPath(u); p != "" {
		return urlType(p) // urn:x/Condition/hiv (review 18b)
	}
	core := refCore(u)
	if typ, _, _, ok := refTarget(core); ok && fhir.IsResourceType(typ) {
		return typ
	}
	if typ, _ := searchTargets(u); typ != "" {
		return typ
	}
	if parts := refParts(u); parts != nil {
		// Several references in one string, or one between delimiters:
		// a record's type rather than a definition's.
		typ := ""
		for _, p := range parts {
			if t := urlType(p); t != "" && (typ == "" || fhir.IsDefinitionType(typ) && !fhir.IsDefinitionType(t)) {
				typ = t
			}
		}
		if typ != "" {
			return typ
		}
	}
	if strings.Contains(core, "%") {
		d := unescapeLoose(u)
		if typ, _ := searchTargets(d); typ != "" {
			return typ
		}
		core = refCore(d)
	}
	segs := itemSegments(urlSegments(core))
	n := len(segs)
	if n >= 2 {
		if t := segs[n-2]; fhir.IsResourceType(t) {
			return t
		}
		if t := fhir.TypeAnyCase(segs[n-2]); t != "" {
			return t
		}
	}
	if f := fragmentPath(u); f != "" {
		return urlType(f) // an app's route: …/#/Condition/hiv (review 18b)
	}
	return ""
}

// searchTargets reads a search url naming items (DocumentReference?_id=hivdoc,
// absolute or relative, _id:modifier, a list of ids; a reference
// parameter's value, Encounter?diagnosis=Condition/hiv; a _has or a chain
// ending in _id, Patient?_has:Condition:subject:_id=hiv): a type it names
// and the items it names, as references (Type/id, or a value as written);
// "" when u names no item so. It names those items as a reference would
// (it finds them, and tells their ids): an attachment's url so written went
// to the hospital with the withheld letter's title and data (review 17b:
// those by another parameter than _id, or with '=' percent-encoded, did).
func searchTargets(u string) (typ string, refs []string) {
	u = strings.TrimSpace(u)
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	path, query, ok := strings.Cut(u, "?")
	if !ok {
		return "", nil
	}
	if segs := urlSegments(path); len(segs) > 0 {
		if typ = segs[len(segs)-1]; !fhir.IsResourceType(typ) {
			typ = fhir.TypeAnyCase(typ)
		}
	}
	for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		kv = unescapeLoose(strings.ReplaceAll(kv, "+", " ")) // a '=' written %3D too; as a query is decoded, loosely (review 20g)
		k, v, _ := strings.Cut(kv, "=")
		// The types whose ids the values are: for an _id, the last type a
		// _has or a chain names before it, else the types the chain's
		// reference parameter points at, else the url's own; for a
		// reference parameter (with a type modifier or none), the types
		// it points at (Encounter?diagnosis=hiv names Condition/hiv).
		names := strings.FieldsFunc(k, func(r rune) bool { return r == ':' || r == '.' })
		var idTypes []string
		if typ != "" {
			idTypes = []string{typ}
		}
		byID, bareIDs := false, false
		for i, p := range names {
			if byID = strings.EqualFold(p, "_id"); byID {
				break
			}
			if t := fhir.TypeAnyCase(p); t != "" {
				idTypes = []string{t}
			} else if def, ok := search.Params(typ)[p]; i == 0 && typ != "" && ok && def.Type == search.Reference && len(def.Targets) > 0 {
				idTypes = def.Targets
			}
		}
		if !byID && len(names) > 0 && len(names) <= 2 && typ != "" {
			def, ok := search.Params(typ)[names[0]]
			bareIDs = ok && def.Type == search.Reference && (len(names) == 1 || fhir.TypeAnyCase(names[1]) != "")
		}
		for _, x := range strings.Split(v, ",") {
			switch x = strings.TrimSpace(x); {
			case x == "":
			case (byID || bareIDs && !strings.ContainsAny(x, "/\\")) && len(idTypes) > 0:
				for _, t := range idTypes {
					refs = append(refs, t+"/"+x)
				}
			case namesRecord(x):
				refs = append(refs, x)
			}
		}
	}
	if len(refs) == 0 {
		return "", nil
	}
	if typ == "" {
		typ = urlType(refs[0])
	}
	return typ, refs
}

// refParts are the parts of s between the delimiters a list of references
// or a reference set in text is written with (, ; < > " ' ( ) [ ] { }),
// nil when s holds none of them or is a search url (searchTargets reads
// those). Review 17b: Condition/diabetes,Condition/hiv and <Condition/hiv>,
// as an identifier's value or an attachment's url, went out as stored
// where Condition/hiv alone was masked.
func refParts(s string) []string {
	if strings.IndexByte(s, '?') >= 0 || !strings.ContainsAny(s, fhir.RefDelimiters) {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(fhir.RefDelimiters, r) })
}

// anyCaseTarget is itemTarget for a reference or url whose type is written
// in another case (https://…/fhir/DOCUMENTREFERENCE/hivdoc,
// condition/hiv/_history/1): the item it names to a reader who takes it
// so, decided as that item (a withheld one's id may say what it is).
func anyCaseTarget(ref string) (typ, id string, ver int64, ok bool) {
	segs := strings.Split(ref, "/")
	n := len(itemSegments(segs))
	if n < 2 {
		return "", "", 0, false
	}
	t := fhir.TypeAnyCase(segs[n-2])
	if t == "" {
		return "", "", 0, false
	}
	return itemTarget(t + "/" + strings.Join(segs[n-1:], "/"))
}

// itemSegments is segs up to the item's id: without an operation on the
// item (Type/id/$op), a version of it (Type/id/_history/n) or its history
// (Type/id/_history), which name it as well (review 16f:
// DocumentReference/hivdoc/_history, which the server answers with the
// withheld letter's versions, went out as stored with its title and data).
func itemSegments(segs []string) []string {
	if n := len(segs); n >= 3 && strings.HasPrefix(segs[n-1], "$") {
		segs = segs[:n-1]
	}
	if n := len(segs); n >= 4 && segs[n-2] == "_history" {
		segs = segs[:n-2]
	} else if n >= 3 && segs[n-1] == "_history" {
		segs = segs[:n-1]
	}
	return segs
}

// urlSegments are u's path segments, split at '/' and at a backslash (which a
// WHATWG URL parser, every browser's, reads as '/' in an http(s) url and in
// one relative to it: Condition\hiv names Condition/hiv there; review
// 16f: written so, an attachment url naming a withheld item went out as
// stored, title and all), without empty and "." segments.
func urlSegments(u string) []string {
	segs := strings.FieldsFunc(u, func(r rune) bool { return r == '/' || r == '\\' })
	// Dot segments resolved as a browser resolves them (review 20h:
	// Condition/diabetes/../hiv, read with its "..", named no type and went
	// out as written), "%2e" being a dot too.
	out := segs[:0]
	for _, s := range segs {
		switch strings.ToLower(s) {
		case ".", "%2e":
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

// refCore is the part of a literal reference or url that says what it
// names: without surrounding space, a query, a fragment or trailing
// slashes, none of which a client fetching it sends as the id (review 14c:
// Condition/hiv#x and Binary/hivbin/ were taken for ids nothing is stored
// under and went out unmasked, display and all, though the search index
// reads them as Condition/hiv and the server answers Binary/hivbin/ as
// Binary/hivbin). A reference to a contained resource (#id) stays as it is.
// A canonical-style "|version" is dropped too, as the index drops it
// (search.NormalizeReference; review 15a: a care plan addressing
// Condition/hiv|1 went out unmasked, display and all).
func refCore(ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '#'); i > 0 {
		ref = ref[:i]
	}
	if i := strings.IndexAny(ref, "?|"); i >= 0 {
		ref = ref[:i]
	}
	return strings.TrimRight(ref, "/")
}

// forEachString calls fn with the string value of each key written as
// before+after (after is searched for, before checked in front of it).
func forEachString(raw, before, after []byte, fn func([]byte)) {
	for i := 0; ; {
		j := bytes.Index(raw[i:], after)
		if j < 0 {
			return
		}
		j += i
		i = j + len(after)
		if j < len(before) || !bytes.Equal(raw[j-len(before):j], before) {
			continue
		}
		k := skipSpace(raw, i)
		if k >= len(raw) || raw[k] != ':' {
			continue // a value, not the key
		}
		k = skipSpace(raw, k+1)
		if k >= len(raw) || raw[k] != '"' {
			continue
		}
		end := stringEnd(raw, k+1)
		if end < 0 {
			return
		}
		if val, ok := stringValue(raw, k+1, end); ok {
			fn(val)
		}
		i = end + 1
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// maskRefs replaces, in a decoded resource, every Reference whose
// reference is in mask by an empty Reference that says it was masked, and
// takes out every url in mask naming a record, leaving FHIR's mark on the
// primitive (_url) that it was masked, and with it the attachment's title,
// hash, data and size: the title describes the withheld content as a
// display does a withheld item ("HIV clinic letter"), a hash confirms a
// guess at it, data given beside a url is that same content (FHIR: the url
// then points at what the data holds; review 16b, it went out inline) and
// its size measures it. Its content type, language and creation date
// stay. Any other string in mask naming an item (namesItemAt) goes out as
// _key with the mark, a list's element as null with the mark beside it.
//
// It masks them inside the FHIR JSON an attachment carries too, writing
// the data back (without its hash, with its new size), and reports
// whether it changed anything.
func maskRefs(v any, mask map[string]bool) (changed bool) {
	eachObject(v, "", func(m map[string]any) bool {
		if s, ok := m["reference"].(string); ok && mask[s] || logicalMasked(m, mask) {
			clear(m)
			m["extension"] = maskedMark()
			changed = true
			return false
		}
		if dropContainedCopies(m, mask) {
			changed = true
		}
		if dropEntryCopies(m, mask) {
			changed = true
		}
		if dropNestedCopies(m, mask) {
			changed = true
		}
		if maskIdentifierValues(m, mask) {
			changed = true
		}
		if s, ok := m["url"].(string); ok && mask[s] && namesItemAt("url", s) {
			for _, k := range []string{"url", "title", "_title", "hash", "_hash", "data", "_data", "size", "_size"} {
				delete(m, k)
			}
			m["_url"] = map[string]any{"extension": maskedMark()}
			changed = true
		}
		if maskNarrativeLinks(m, mask) {
			changed = true
		}
		for k, e := range m {
			switch x := e.(type) {
			case string:
				if k != "url" && mask[x] && namesItemAt(k, x) {
					delete(m, k)
					m["_"+k] = map[string]any{"extension": maskedMark()}
					changed = true
				}
			case []any:
				for i, e := range x {
					if s, ok := e.(string); ok && mask[s] && namesItemAt(k, s) {
						ext, _ := m["_"+k].([]any)
						if len(ext) < len(x) {
							ext = append(ext, make([]any, len(x)-len(ext))...)
						}
						x[i] = nil
						ext[i] = map[string]any{"extension": maskedMark()}
						m["_"+k] = ext
						changed = true
					}
				}
			}
		}
		if maskAttachedRefs(m, mask) {
			changed = true
		}
		return true
	})
	return changed
}

// maskAttachedRefs is maskRefs inside the FHIR JSON that x carries as
// an attachment's (or a Binary's) data, an extension's valueBase64Binary
// or a data: url in any of its values (editPayloads: review 38b, those
// but data went out as stored), each written back when anything was
// masked; a payload that is itself a copy of a withheld item
// (attachedCopy), or text maskedRefs found naming one (xmlDirCopies), is
// masked whole.
func maskAttachedRefs(x map[string]any, mask map[string]bool) bool {
	return editPayloads(x, mask[textCopyMark], func(ct string, text []byte) (payloadEdit, []byte) {
		jsonType := ct == "" || fhirJSONType(ct)
		if mask[textCopyMark] && mask[payloadKey(text)] {
			return payloadMasked, nil // (its text names a withheld item: xmlDirCopies)
		}
		// JSON whatever its type says (review 40a: typed text/plain, the
		// refuge's FHIR JSON went out whole)
		if jsonType || jsonLike(text) {
			if docs, spans := jsonDocSpans(ct, text); len(docs) > 0 {
				// (a repeated key's first value too: review 72a, a
				// letter's Observation whose first "focus" named her
				// withheld diagnosis went out as stored)
				kept := keptFirst(text, spans)
				if attachedCopy(docs, mask) || attachedCopy(kept, mask) {
					// The whole content is a withheld item: masked as a
					// withheld url's attachment is (review 36b).
					return payloadMasked, nil
				}
				changed := false
				for _, doc := range slices.Concat(docs, kept) {
					if maskRefs(doc, mask) {
						changed = true
					}
				}
				if !changed {
					return payloadKept, nil
				}
				if !jsonType || !spansWhole(text, spans) || len(kept) > 0 {
					// JSON only guessed from its first byte may hold
					// more than its documents (a letter's prose after a
					// JSON line): masked whole, not rewritten without it
					// (review 42a); so is JSON with a line that does not
					// decode, or a key repeated, which writing back the
					// documents read would drop (review 68b: a letter's
					// broken potassium line went, with no mark)
					return payloadMasked, nil
				}
				data, _ := encodeAttachedDocs(docs)
				return payloadRewritten, data
			}
		}
		return payloadKept, nil
	})
}

// attachedCopy: one of the documents an attachment carries (or a
// resource of a list so carried) is itself a directory resource
// maskedRefs found a copy of a withheld labelled item (attachedRefs,
// isCopy by its identifiers or Type/id; review 36b).
func attachedCopy(docs []any, mask map[string]bool) bool {
	for _, doc := range docs {
		for _, r := range docResources(doc) {
			if isCopy(r, "", true, mask) {
				return true
			}
		}
	}
	return false
}

// docResources are the resources an attached document is: itself, or
// the objects of a list (jsonDocs reads an array of resources too).
func docResources(doc any) []map[string]any { return fhir.Objects(doc) }

// encodeAttachedDocs is the FHIR JSON an attachment carries, encoded again
// one document a line; err is the first document that did not encode
// (its line left empty).
func encodeAttachedDocs(docs []any) (data []byte, err error) {
	parts := make([][]byte, 0, len(docs))
	for _, doc := range docs {
		var b []byte
		var derr error
		if dm, ok := doc.(map[string]any); ok {
			b, derr = encodeResource(dm)
			b = bytes.TrimSuffix(b, []byte("\n"))
		} else {
			b, derr = json.Marshal(doc)
		}
		if err == nil {
			err = derr
		}
		parts = append(parts, b)
	}
	return bytes.Join(parts, []byte("\n")), err
}

// setAttachmentData writes data back into attachment x as released: the
// stored hash no longer holds, and a size given is the new one.
func setAttachmentData(x map[string]any, data []byte) {
	x["data"] = base64.StdEncoding.EncodeToString(data)
	delete(x, "hash")
	if _, ok := x["size"]; ok {
		x["size"] = len(data)
	}
}

func maskedMark() []any {
	return []any{map[string]any{"url": dataAbsentReason, "valueCode": "masked"}}
}

// maskedMarks counts the references in a resource written as carex
// releases a masked one (maskRefs): a data-absent-reason "masked" and no
// reference; and the links in its free text masked (maskedLinks).
//
// Those inside the FHIR JSON an attachment carries count too, since
// release masks there as well (review 14c: a clinician's copy of her
// organisation's document, written back, stored the mask in place of a
// reference inside its data).
func maskedMarks(raw []byte, res map[string]any) int {
	hasData := mayCarryPayload(raw) // (any route: review 38b)
	if !bytes.Contains(raw, []byte("masked")) && !hasData {
		return 0
	}
	n := 0
	count := func(m map[string]any) bool {
		n += maskedLinks(m)
		if _, ok := m["reference"]; ok {
			return true
		}
		for _, e := range asList(m["extension"]) {
			em, _ := e.(map[string]any)
			if em["url"] == dataAbsentReason && em["valueCode"] == "masked" {
				n++
				return false
			}
		}
		return true
	}
	eachObject(res, "", count)
	if hasData {
		for _, doc := range fhirAttachments(res) {
			eachObject(doc, "", count)
		}
	}
	return n
}

// someVersionWithheld reports whether the item ref names (Type/id, seen
// by the user) has a version the user may not see. The index keeps
// references without their version, so a reference to that version
// (masked when released) would match a search for the item: such an item
// is searched as masked. People and directory items have no such
// versions to protect; past the lookup budget it counts as withheld.
func (g *gate) someVersionWithheld(ref string) bool {
	typ, id, _, ok := itemTarget(refCore(ref))
	if !ok || typ == "Patient" || g.unlooked(typ, id) {
		return false
	}
	if !g.spendLookup() {
		return true
	}
	return g.versionsWithheld(typ, id)
}

// versionsWithheld reports whether any stored version of typ/id is refused
// to the user, decided as a versioned reference to it is (refSees),
// counting and noting nothing.
func (g *gate) versionsWithheld(typ, id string) bool {
	refused, err := g.anyRefused(func(vis store.Visible) error {
		_, err := g.cp.store.History(g.ctx, typ, id, time.Time{}, vis, store.Page{Count: 0})
		return err
	})
	return err != nil || refused
}

// anyRefused runs scan with a visibility filter that keeps nothing and
// notes whether it saw an item the user may not see (refSees), counting
// and noting nothing else.
func (g *gate) anyRefused(scan func(store.Visible) error) (bool, error) {
	var any atomic.Bool
	err := scan(func(m *store.Meta) bool {
		if !any.Load() && !g.refSees(m) {
			any.Store(true)
		}
		return false
	})
	return any.Load(), err
}

// linkedOnly is inc, the items a search's _include and _revinclude found
// for matches, without those linked to the matches only by references
// that go out masked: the index keeps references without their version,
// so a plan's masked reference to a withheld version of a diagnosis the
// user sees would otherwise bring that diagnosis (or, from it, the plan)
// and say what the masking hides. An item linked by no "reference" string
// at all (a canonical) stays.
func (x *Exchange) linkedOnly(matches, inc []*store.Version, incs []search.Include) []*store.Version {
	if x == nil || x.gate == nil || len(inc) == 0 {
		return inc
	}
	// Each item's references are read, and masked, once: an item is asked
	// about once for every other item and include.
	targets := map[*store.Version]map[string][]string{} // target -> the references naming it
	masks := map[*store.Version]map[string]bool{}
	// links reports how from's references name to: any at all, and any
	// released as stored.
	links := func(from *store.Version, to string) (named, released bool) {
		t, ok := targets[from]
		if !ok {
			t = map[string][]string{}
			forEachRef(from.Raw, func(b []byte) {
				if r, ok := search.NormalizeReference(string(b)); ok {
					t[r] = append(t[r], string(b))
				}
			})
			targets[from] = t
		}
		refs := t[to]
		if len(refs) == 0 {
			return false, false
		}
		mask, ok := masks[from]
		if !ok {
			mask = x.maskedRefs(from)
			masks[from] = mask
		}
		for _, r := range refs {
			if !mask[r] {
				return true, true
			}
		}
		return true, false
	}
	out := inc[:0:0]
	for _, v := range inc {
		named, keep := false, false
		for _, in := range incs {
			for _, m := range matches {
				var n, r bool
				switch {
				case in.Rev && in.SourceType == v.Type:
					n, r = links(v, m.Type+"/"+m.ID)
				case !in.Rev && in.SourceType == m.Type:
					n, r = links(m, v.Type+"/"+v.ID)
				}
				named, keep = named || n, keep || r
			}
		}
		if keep || !named {
			out = append(out, v)
		}
	}
	return out
}

// maskedRefValue stands for a reference search value whose target the
// user sees masked: no stored reference is normalised to it (a relative
// reference starts with its type), so it matches nothing.
const maskedRefValue = "#masked"

// refSearch is q as the store must run it for this request: a reference
// search value naming an item or person that this user's references to it
// go out masked for matches nothing, since the items that point at it do
// not say so when released (CarePlan?condition=Condition/hiv would
// otherwise find a plan whose reference to the withheld diagnosis it
// masks, and tell the id and the link the masking hides). Values the user
// sees, ids nothing is stored under and directory references stay. A
// client system reading its own organisation's items gets references as
// stored, so it searches them as stored. q itself is not changed: its
// values make the paging links, which must read as asked.
func (x *Exchange) refSearch(q *search.Query) *search.Query {
	if x == nil || x.gate == nil || q == nil {
		return q
	}
	g := x.gate
	if g.ownOrgOnly() {
		return q
	}
	// A string or token value that may name an item goes out masked where
	// the item is withheld; matched or sorted by, it would tell what it
	// holds (identifier=DocumentReference/hivdoc, description=Condition/h).
	cp := *q
	cp.HideItemNames = true
	q = &cp
	out := q
	for i, c := range q.Clauses {
		if c.Modifier == "missing" || (c.Type != search.Reference && c.Type != search.URI) {
			continue
		}
		for j, v := range c.Values {
			ref := v.Ref
			if c.Type == search.URI {
				// An attachment's url naming its content, or another
				// record (maskRefs, namesRecord).
				if ref = v.Str; !namesRecord(ref) {
					continue
				}
			}
			if ref == "" {
				continue
			}
			if ok, _ := g.refReleasable(&store.Version{}, ref); ok && !g.someVersionWithheld(ref) {
				continue
			}
			if out == q {
				cp := *q
				cp.Clauses = slices.Clone(q.Clauses)
				out = &cp
			}
			if &out.Clauses[i].Values[0] == &q.Clauses[i].Values[0] {
				out.Clauses[i].Values = slices.Clone(c.Values)
			}
			if c.Type == search.URI {
				out.Clauses[i].Values[j].Str = maskedURIValue
			} else {
				out.Clauses[i].Values[j].Ref = maskedRefValue
			}
		}
	}
	return out
}

// attachmentURLs: a search parameter on attachments' urls, which may name
// a Binary masked for the user.
func attachmentURLs(def search.ParamDef) bool {
	return def.Type == search.URI && slices.ContainsFunc(def.Paths, func(p string) bool {
		return strings.HasSuffix(p, "attachment.url")
	})
}

// maskedURIValue stands for a url search value naming a Binary the user
// sees masked: FHIR's uri and url hold no whitespace, so no stored value
// is equal to it.
const maskedURIValue = "masked url"
