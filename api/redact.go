package api

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// A restricted person's (confidentiality R) address, telecom and GP are
// not released outside the source organisation: the body is cut
// (redactPerson), and the search parameters on those elements must not
// answer questions about them either.

// redactedParams are Patient's, RelatedPerson's and Person's search
// parameters on the redacted elements (all demographics, redacted alike).
var redactedParams = map[string]bool{
	"address": true, "address-city": true, "address-country": true, "address-postalcode": true,
	"address-state": true, "address-use": true, "email": true, "phone": true, "telecom": true,
	"general-practitioner": true,
	// managingOrganization: in a GP system's record, the practice again
	// (review 5c).
	"organization": true,
	// meta.source and the tags that code an organisation name her
	// practice (review 91a: _source= and _tag= answered what the read
	// redacts since review 90c).
	"_source": true, "_tag": true,
}

// asksRedacted reports whether q matches or sorts by a redacted element
// (includes through one are cut in included instead). Such a search does not see a restricted person's redacted
// Patient at all, silently (counting it as withheld would tell a match
// from a miss): otherwise Patient?_id=x&address-postalcode=LS9 would
// answer yes or no about an address the read redacts.
func asksRedacted(q *search.Query) bool {
	if q.Type == "Patient" || q.Type == "RelatedPerson" || q.Type == "Person" {
		for _, c := range q.Clauses {
			if redactedParams[c.Param] || c.Param == "identifier" && !nhsNumbersOnly(c.Values) {
				return true
			}
		}
		for _, k := range q.Sort {
			// (and by identifier: sorted by every identifier, her place
			// in the order told her redacted practice number: review 46c)
			if redactedParams[k.Param] || k.Param == "identifier" {
				return true
			}
		}
	}
	return false
}

// asksPlaceIdentifier reports whether q, on a type other than a
// person's, matches or sorts by identifier: a restricted person's item
// whose identifiers her release takes out (a care package's UPRN, her
// home's; placeReferenceText) does not see such a search, silently, as
// her Patient does not see asksRedacted's (review 110b:
// EpisodeOfCare?identifier=<UPRN> found her package, and with
// _include=EpisodeOfCare:patient named who lives there, and a neighbour's
// UPRN found nothing). A conditional write's match likewise (placeShy).
func asksPlaceIdentifier(q *search.Query) bool {
	if personResource(q.Type) {
		return false
	}
	for _, c := range q.Clauses {
		if c.Param == "identifier" {
			return true
		}
	}
	for _, k := range q.Sort {
		if k.Param == "identifier" {
			return true
		}
	}
	return false
}

// placeShy is vis for a conditional write's or reference's condition q
// (asksPlaceIdentifier): it does not match a restricted person's item by
// the identifiers her release takes out, as a search does not (review
// 110b). Per condition, not per request (review 111b: one entry's
// If-None-Exist by identifier hid her care package from another entry's
// conditional reference by _id in the same transaction).
func (x *Exchange) placeShy(q *search.Query, vis store.Visible) store.Visible {
	if vis == nil || x == nil || x.gate == nil || q == nil || !asksPlaceIdentifier(q) {
		return vis
	}
	g := x.gate
	return func(m *store.Meta) bool { return vis(m) && !g.placeHidden(m) }
}

// placeIdentified reports whether resource m has identifiers a restricted
// person's release takes out (placeReferenceText).
func placeIdentified(m map[string]any) bool {
	t, _ := m["resourceType"].(string)
	if placeOrParty[t] {
		return len(asList(m["identifier"])) > 0
	}
	return slices.ContainsFunc(asList(m["identifier"]), placeOrPartyIdentifier)
}

// included is the search's _include/_revinclude resources. One through a
// redacted element (Patient:general-practitioner, Person:organization)
// does not follow it from a person released redacted, nor bring one in:
// her GP is not released outside the source organisation, neither as a
// resource nor as a link.
func (s *Server) included(ctx context.Context, x *Exchange, matches []*store.Version, incs []search.Include, vis store.Visible) ([]*store.Version, error) {
	var plain, viaRedacted []search.Include
	for _, in := range incs {
		if personResource(in.SourceType) && redactedParams[in.Param] { // (Person:organization too: review 85a)
			viaRedacted = append(viaRedacted, in)
		} else {
			plain = append(plain, in)
		}
	}
	out, err := s.store.Included(ctx, matches, plain, vis, search.MaxCount)
	if err != nil || len(viaRedacted) == 0 {
		return out, err
	}
	from := slices.DeleteFunc(slices.Clone(matches), x.redacted)
	more, err := s.store.Included(ctx, from, viaRedacted, vis, search.MaxCount)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, v := range append(slices.Clone(matches), out...) {
		seen[v.Type+"/"+v.ID] = true
	}
	for _, v := range more {
		if !seen[v.Type+"/"+v.ID] && !x.redacted(v) && len(out) < search.MaxCount {
			seen[v.Type+"/"+v.ID] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// nhsNumbersOnly: an identifier search asks by NHS number alone (with
// its system, or a bare value that is one). One by another system asks
// about an identifier the redaction drops (a practice's own patient
// number names the practice).
// bareNumbers are, for each identifier clause of a Patient, RelatedPerson
// or Person search that gives an NHS number without a system, the NHS
// numbers it gives (with or without the system): the store matches a bare
// one under any system, so a restricted person's record is seen only
// where she carries one of each clause's as her NHS number (review 46c:
// her practice number, redacted, that passed the NHS number check,
// answered a search by it).
func bareNumbers(q *search.Query) [][]string {
	if q.Type != "Patient" && q.Type != "RelatedPerson" && q.Type != "Person" {
		return nil
	}
	var out [][]string
	for _, c := range q.Clauses {
		if c.Param != "identifier" {
			continue
		}
		var nums []string
		bare := false
		for _, v := range c.Values {
			if v.HasSystem && v.System != fhir.NHSNumberSystem {
				continue
			}
			if n, err := fhir.NormaliseNHSNumber(v.Code); err == nil {
				nums = append(nums, n)
				bare = bare || !v.HasSystem
			}
		}
		if bare {
			out = append(out, nums)
		}
	}
	return out
}

func nhsNumbersOnly(vals []search.Value) bool {
	for _, v := range vals {
		if v.HasSystem && v.System != fhir.NHSNumberSystem {
			return false
		}
		if _, err := fhir.NormaliseNHSNumber(v.Code); err != nil {
			return false
		}
	}
	return true
}

// redactPerson removes from a Patient everything that says where the
// person lives, how to reach them or who their GP is (a GP system's
// managingOrganization is the practice again): the elements
// themselves, the narrative (which repeats them, and cannot be edited
// reliably), extensions carrying an address, a contact point or a
// reference (birth place; GP Connect's registration details, naming the
// branch surgery), identifiers other than the NHS number (a practice's own
// patient number names the practice, by its system and its assigner:
// review 21a), and contained resources that only the removed elements
// referred to (a next of kin's organisation, a contained GP).
func redactPerson(m map[string]any) {
	for _, k := range []string{"address", "_address", "telecom", "_telecom", "generalPractitioner", "managingOrganization", "contact", "text"} {
		delete(m, k)
	}
	if ids, ok := m["identifier"].([]any); ok {
		var kept []any
		for _, id := range ids {
			if im, _ := id.(map[string]any); im != nil && isNHSSystem(im["system"]) {
				delete(im, "assigner")
				kept = append(kept, im)
			}
		}
		delete(m, "_identifier")
		if m["identifier"] = kept; len(kept) == 0 {
			delete(m, "identifier")
		}
	}
	// Her extensions, and those of every element kept (review 90c: her
	// practice, by reference and ODS code, on her NHS number; review
	// 91a: on her name).
	dropContactExtensionsIn(m)
	redactMeta(m)
	contained, ok := m["contained"].([]any)
	if !ok {
		return
	}
	delete(m, "contained")
	rest, _ := json.Marshal(m)
	var kept []any
	for _, c := range contained {
		cm, _ := c.(map[string]any)
		id, _ := cm["id"].(string)
		if id != "" && bytes.Contains(rest, []byte(`"#`+id+`"`)) {
			kept = append(kept, c)
		}
	}
	if len(kept) > 0 {
		m["contained"] = kept
	}
}

// redactContainedPeople redacts, as redactPerson, each Patient,
// RelatedPerson and Person that m carries, wherever it sits: contained,
// an entry of a stored Bundle, a Bundle contained in a referral, an
// entry's response outcome, or FHIR JSON carried in an attachment (a
// document's content, a Binary): a copy of a restricted person's
// demographics (or their carer's) carried by another of their items
// (review 10a; review 11a: those below the first level were released
// whole). m itself is not redacted. It reports whether it redacted any.
func redactContainedPeople(m map[string]any) bool { return redactCarriedPeople(m, nil) }

// redactCarriedPeople is redactContainedPeople for the people which
// reports true of (all of them when which is nil).
//
// Where which is nil (the items of a restricted person), where she lives
// and how to reach her are taken out of the places and values m carries
// too (redactPlaces).
func redactCarriedPeople(m map[string]any, which func(map[string]any) bool) bool {
	found, _ := redactCarriedUnlooked(m, which)
	return found
}

// redactCarriedUnlooked is redactCarriedPeople that also gives the NHS
// numbers masked past maxUnreadNumbers without a look-up.
func redactCarriedUnlooked(m map[string]any, which func(map[string]any) bool) (bool, []string) {
	seen := newNumbersSeen()
	found := redactCarried(m, which, seen)
	return found, slices.Sorted(slices.Values(seen.unlooked))
}

// redactCarried is redactCarriedPeople with seen, the NHS numbers looked
// up so far in the item's unread data (numbersIn): one map, and so one
// cap, for the whole item (review 39b: a map per attachment let 500
// attachments of 100 numbers each cost 50,000 lookups, 2.6 s, per read).
func redactCarried(m map[string]any, which func(map[string]any) bool, seen *numbersSeen) bool {
	found := false
	visit := func(x map[string]any) bool {
		if t, _ := x["resourceType"].(string); personResource(t) && (which == nil || which(x)) {
			redactPerson(x)
			found = true
		}
		if which == nil && redactPlaces(x) {
			found = true
		}
		if maskUnread(x, which, seen) {
			found = true
		}
		if redactAttached(x, which, seen) {
			found = true
		}
		return true
	}
	if redactAttached(m, which, seen) || maskUnread(m, which, seen) {
		found = true
	}
	if t, _ := m["resourceType"].(string); which == nil && t != "CareTeam" && t != "MessageHeader" && redactTypedPlaces(m) {
		// (the item's own too, but a team's telecom and a message's
		// sender's contact, which are theirs, not hers: review 68a)
		found = true
	}
	if which == nil && placeReferenceText(m) {
		// and the item's own identifiers that name a place or a party,
		// as those of what it carries (review 110b: her care package's
		// UPRN, her home's, went whole to the district nurse)
		found = true
	}
	for _, v := range m {
		eachObject(v, "", visit)
	}
	return found
}

// redactAttachedPeople redacts the people inside the FHIR JSON that x
// carries as an attachment's (or a Binary's) data, an extension's
// valueBase64Binary, or a data: url in any of its values, and writes each
// back (data without the hash and with the size of what it now carries);
// data that carries no one is left as it is. A document may be a list of
// resources (review 31a: her linked copy in a data: url, a
// valueBase64Binary or an attached array went whole). The routes are
// editPayloads', which masking walks too.
func redactAttachedPeople(x map[string]any, which func(map[string]any) bool) bool {
	return redactAttached(x, which, newNumbersSeen())
}

// redactAttached is redactAttachedPeople with the item's seen (redactCarried).
func redactAttached(x map[string]any, which func(map[string]any) bool, seen *numbersSeen) bool {
	return editPayloads(x, false, func(ct string, text []byte) (payloadEdit, []byte) {
		if out, ok := redactedPayload(ct, text, which, seen); ok {
			return payloadRewritten, out
		}
		return payloadKept, nil
	})
}

// redactedPayload is FHIR JSON text (media type ct) with its people
// redacted (redactDocs), re-encoded; ok is false when it carries no one to
// redact, or cannot be written again.
func redactedPayload(ct string, text []byte, which func(map[string]any) bool, seen *numbersSeen) ([]byte, bool) {
	docs := jsonDocs(ct, text)
	if !redactDocs(docs, which, seen) {
		return nil, false
	}
	out, err := encodeAttachedDocs(docs)
	return out, err == nil
}

// utf8Type is media type ct saying UTF-8: data written back is (review
// 32a: her letter in UTF-16 came back as UTF-8 still typed utf-16le).
func utf8Type(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || params["charset"] == "" || strings.EqualFold(params["charset"], "utf-8") {
		return ct
	}
	params["charset"] = "utf-8"
	return mime.FormatMediaType(mt, params)
}

// redactDocs redacts the people (which; nil: all, and the places too) in
// documents docs in place, objects or lists, and reports whether it
// changed any; seen is the item's (redactCarried).
func redactDocs(docs []any, which func(map[string]any) bool, seen *numbersSeen) bool {
	found := false
	for _, doc := range docs {
		// (held by a member, so that each object of a list, and the
		// document itself, is visited as a carried resource)
		if redactCarried(map[string]any{"": doc}, which, seen) {
			found = true
		}
	}
	return found
}

// dropContactExtensionsOf applies dropContactExtensions to the
// extensions of x, an element of person m (m itself, or her NHS number).
func dropContactExtensionsOf(x, m map[string]any) {
	for _, k := range []string{"extension", "modifierExtension"} {
		if l, ok := x[k].([]any); ok {
			if kept := dropContactExtensions(l, m); len(kept) > 0 {
				x[k] = kept
			} else {
				delete(x, k)
			}
		}
	}
}

// dropContactExtensionsIn applies dropContactExtensionsOf to person m and
// every element under it but the resources she contains (redacted apart).
func dropContactExtensionsIn(m map[string]any) {
	eachObject(m, "contained", func(x map[string]any) bool {
		dropContactExtensionsOf(x, m)
		return true
	})
}

// redactMeta takes out of a restricted person's meta what names where
// her record is kept: meta.source (her practice's system's URL) and tags
// coding an organisation (review 90c: both named her practice). Her
// labels (meta.security) stay.
func redactMeta(m map[string]any) {
	meta, _ := m["meta"].(map[string]any)
	if meta == nil {
		return
	}
	delete(meta, "source")
	delete(meta, "_source")
	if tags, ok := meta["tag"].([]any); ok {
		var kept []any
		for _, t := range tags {
			if !namesOrganisation(t) {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			meta["tag"] = kept
		} else {
			delete(meta, "tag")
		}
	}
}

// dropContactExtensions is l, the extensions of person m, without those
// whose value, or a nested extension's value, is an Address, a
// ContactPoint, a Reference to anything but a person (placeReference), an
// Identifier, or a code naming an organisation (namesOrganisation).
func dropContactExtensions(l []any, m map[string]any) []any {
	var kept []any
	for _, e := range l {
		em, _ := e.(map[string]any)
		if em == nil || em["valueAddress"] != nil || em["valueContactPoint"] != nil || placeReference(em["valueReference"], m) ||
			em["valueIdentifier"] != nil || namesOrganisation(em["valueCoding"]) || namesOrganisation(em["valueCodeableConcept"]) {
			continue
		}
		if sub, ok := em["extension"].([]any); ok {
			if len(dropContactExtensions(sub, m)) < len(sub) {
				continue
			}
		}
		kept = append(kept, e)
	}
	return kept
}

// namesOrganisation reports whether a Coding or CodeableConcept value
// codes an organisation or a practitioner by its ODS, council or SDS code
// (review 22a: her practice as an extension's valueCoding).
func namesOrganisation(v any) bool {
	found := false
	eachObject(v, "", func(c map[string]any) bool {
		sys, _ := c["system"].(string)
		found = found || organisationSystem(sys)
		return !found
	})
	return found
}

// organisationSystem: sys is the ODS, council or SDS code system.
func organisationSystem(sys string) bool {
	return sys == consent.SystemODS || sys == consent.SystemCouncil || sys == consent.SystemSDSUser
}

// placeReference reports whether ref, a Reference value in person m, may
// name a place or a carer of hers rather than a person: a practice, a
// branch surgery, a pharmacy, a practitioner (her GP), written as a
// reference to one (contained in m or not), or by identifier or display
// alone. A reference to a Patient, RelatedPerson or Person stays (a carer's
// record naming the person cared for).
func placeReference(ref any, m map[string]any) bool {
	rm, ok := ref.(map[string]any)
	if !ok {
		return ref != nil
	}
	r, _ := rm["reference"].(string)
	if r == "" {
		// A person named by NHS number alone, the logical reference carex
		// asks writers for (review 92a: her mother so named was taken
		// out); another identifier may be a practice's own number.
		t, _ := rm["type"].(string)
		id, _ := rm["identifier"].(map[string]any)
		return !personResource(t) || id == nil || !isNHSSystem(id["system"])
	}
	if id, local := strings.CutPrefix(r, "#"); local {
		for _, c := range asList(m["contained"]) {
			if cm, _ := c.(map[string]any); cm != nil && cm["id"] == id {
				t, _ := cm["resourceType"].(string)
				return !personResource(t)
			}
		}
		return true
	}
	n, ok := search.NormalizeReference(r)
	typ, _, _ := strings.Cut(n, "/")
	return !ok || !personResource(typ)
}

// redactPlaces takes out of x where a restricted person lives and how to
// reach her, when an item of hers gives them other than in a copy of her
// demographics (review 21a: a home-visit plan's or booking's contained
// Location "patient's home", the council's assessment Task with the visit
// address as an input, went whole to the district nurse): the address,
// telecom and narrative of any resource it carries but a person (redacted
// as one), a Location's position, a Location reference's display, and an
// Address or ContactPoint value, which becomes a masked one (FHIR's
// data-absent-reason, as a masked reference is; writing such a copy back
// is refused as for one: maskedWriteBack).
func redactPlaces(x map[string]any) bool {
	found := false
	if t, _ := x["resourceType"].(string); t != "" && !personResource(t) {
		// Any other resource it carries: a Location, and an Organization
		// (review 22a: the council's referral carried the refuge she lives
		// in, address and phone), a practitioner, a service.
		keys := []string{"address", "_address", "telecom", "_telecom"}
		if t == "Location" {
			keys = append(keys, "position", "text") // (either alone gives the place: review 24a)
		}
		for _, k := range keys {
			if _, ok := x[k]; ok {
				delete(x, k)
				found = true
			}
		}
		// and its parts' (an Organization's contact: review 23a)
		for k, v := range x {
			if k == "contained" {
				continue // resources of their own, visited as such
			}
			eachObject(v, "", func(part map[string]any) bool {
				if _, res := part["resourceType"]; res {
					return false
				}
				for _, k := range [...]string{"address", "_address", "telecom", "_telecom"} {
					if _, ok := part[k]; ok {
						delete(part, k)
						found = true
					}
				}
				return true
			})
		}
		if redactTypedPlaces(x) {
			found = true
		}
		if found {
			delete(x, "text") // the narrative repeats them
		}
	}
	// (a ContactDetail or a Contributor holds contact points: review 69a,
	// her phone in an extension's valueContactDetail went whole)
	for _, k := range []string{"valueAddress", "valueContactPoint", "valueContactDetail", "valueContributor"} {
		if _, ok := x[k]; ok {
			x[k] = map[string]any{"extension": maskedMark()}
			found = true
		}
	}
	if placeReferenceText(x) {
		found = true
	}
	return found
}

// redactTypedPlaces takes out of resource x (not a person's: redactPerson)
// every element R4 types Address or ContactPoint, whatever its name (review
// 67b: a telecare alarm Device's contact gave her phone, a Claim's
// accident.locationAddress her refuge, to a hospital clinician), and with
// them the narrative; a value[x] is masked instead (redactPlaces). It
// reports whether it took any out.
func redactTypedPlaces(x map[string]any) bool {
	t, _ := x["resourceType"].(string)
	if t == "" || personResource(t) {
		return false
	}
	found := false
	fhir.EachPlaceElement(t, x, func(parent map[string]any, k string) {
		if !strings.HasPrefix(k, "value") {
			delete(parent, k)
			found = true
		}
	})
	if found {
		delete(x, "text")
	}
	return found
}

// placeOrParty are the resource types whose identifiers name a place or a
// party (placeReferenceText).
var placeOrParty = map[string]bool{
	"Location": true, "Organization": true, "OrganizationAffiliation": true, "Practitioner": true,
	"PractitionerRole": true, "HealthcareService": true, "Device": true, "Endpoint": true, "Group": true, "Basic": true,
	"CareTeam": true,
}

// placeOrPartyIdentifier reports whether Identifier id names a place or
// a party by its system: an ODS, council or SDS code, a property number
// (UPRN). The system is read by its parts (path segments), not its
// letters (review 72a: ".../Id/goods-dispense-id" and
// ".../Id/specimen-property-ref" were taken for ODS and property numbers).
func placeOrPartyIdentifier(id any) bool {
	m, _ := id.(map[string]any)
	sys, _ := m["system"].(string)
	if organisationSystem(sys) {
		return true
	}
	for _, part := range strings.FieldsFunc(strings.ToLower(sys), func(r rune) bool { return r == '/' || r == ':' || r == '#' || r == '.' }) {
		if part == "uprn" || part == "usrn" || strings.HasPrefix(part, "ods-") || strings.HasPrefix(part, "sds-") ||
			strings.HasPrefix(part, "property-") || part == "property" {
			return true
		}
	}
	return false
}

// placeReferenceText takes out of reference x what may say where someone
// is or who her GP is: a Location reference's display ("Home, 1 Hidden
// Lane": the place itself is decided on its own, a patient's residence
// being its source's alone), and a reference naming nothing stored (a
// logical one, by identifier, or a display alone), its display and
// identifier: an ODS or property number names her practice or her home
// as a display does (review 31b: her appointment naming her home by type
// and identifier, display "Home, 1 Hidden Lane", went to the district
// nurse). A Coding (system, code) is no reference.
func placeReferenceText(x map[string]any) bool {
	if t, _ := x["resourceType"].(string); t != "" {
		// A resource carried whole is no reference. A place's or a
		// party's identifiers name it (review 69a: a Device's UPRN, an
		// Endpoint's or a Group's ODS code named her home and her
		// practice; review 70a: whatever other elements it has); other
		// resources' identifiers stay (review 68b: a Specimen's accession
		// number, her copy's NHS number — redactPerson's —; review 70a: a
		// prescription's and an encounter's numbers).
		if placeOrParty[t] {
			_, found := x["identifier"]
			delete(x, "identifier")
			return found
		}
		// (but an identifier under a place's or a party's system: review
		// 71a, an Account's UPRN, a Consent's ODS code)
		ids := asList(x["identifier"])
		kept := slices.DeleteFunc(slices.Clone(ids), placeOrPartyIdentifier)
		if len(kept) == len(ids) {
			return false
		}
		if len(kept) == 0 {
			delete(x, "identifier")
		} else {
			x["identifier"] = kept
		}
		return true
	}
	_, hasDisplay := x["display"]
	_, hasExt := x["_display"]
	_, hasID := x["identifier"]
	if !hasDisplay && !hasExt && !hasID {
		return false
	}
	for _, k := range [...]string{"system", "code", "version", "userSelected", "use", "value"} {
		if _, ok := x[k]; ok {
			return false // a Coding, an Identifier
		}
	}
	ref, _ := x["reference"].(string)
	n, literal := search.NormalizeReference(ref)
	typ, _, _ := strings.Cut(n, "/")
	// The display goes; the identifier too but for a person's NHS number.
	keys := []string{"display", "_display", "identifier"}
	found := false
	switch {
	case literal && personResource(typ), !literal && !placeReference(x, nil):
		// A person, by reference or by NHS number alone (review 92a),
		// stays; the display, words its writer chose, goes (review 93a:
		// "… 2 Hidden Lane LS9 7TF, registered A81001" went whole), and
		// so does an identifier other than an NHS number (review 94a: her
		// practice's patient number on a reference to her, which her
		// Patient drops).
		if id, _ := x["identifier"].(map[string]any); id == nil || isNHSSystem(id["system"]) {
			keys = keys[:2]
			// The NHS number alone: its type's text, assigner or
			// extensions may name her practice (review 95a).
			for k := range id {
				if k != "system" && k != "value" && k != "use" && k != "period" {
					delete(id, k)
					found = true
				}
			}
		}
	case literal && typ != "Location":
		return false // decided on its own (maskRefs), and not a place
	case literal:
		keys = keys[:2] // a Location by reference: its display only
	}
	for _, k := range keys {
		if _, ok := x[k]; ok {
			delete(x, k)
			found = true
		}
	}
	return found
}

// mayCarryPlaces reports whether a stored body may give an address or a
// contact point redactPlaces takes out: an element typed as one
// (redactTypedPlaces), anywhere (an extension's valueContactDetail:
// review 69a), an Address or ContactPoint value, a Location, or a
// reference's display or identifier (placeReferenceText); escapes and
// attachments: mayCarryPeople.
func mayCarryPlaces(raw []byte) bool {
	for _, k := range fhir.PlaceElementNames() {
		if bytes.Contains(raw, []byte(`"`+k+`"`)) {
			return true
		}
	}
	return bytes.Contains(raw, []byte(`"Location/`)) || bytes.Contains(raw, []byte(`"Location"`)) ||
		bytes.Contains(raw, []byte(`display"`)) || bytes.Contains(raw, []byte(`"identifier"`))
}

// maskUnreadPeople masks the data of attachment (or Binary) x, or a
// data: url it gives, when it is structured text carex does not read as
// FHIR JSON — XML (FHIR XML, a CDA letter), HL7 v2, JSON under another
// media type, whatever its content type says, in UTF-8 or UTF-16 with or
// without a byte order mark — that may hold a restricted person's
// demographics: carex cannot take her address out of it (review 21a: her
// Patient as FHIR XML in the GP's letter went whole to the hospital;
// review 22a: so did XML as text/plain, without a content type or in
// UTF-16 without a mark, a PID segment, and the same in another person's
// item). In her own items (which nil) any such data naming a person or a
// place is masked; in another person's, data carrying an NHS number which
// reports as a restricted person's. The data becomes a data-absent-reason
// "masked". Opaque formats (a PDF, an image) are left as they are.
func maskUnreadPeople(x map[string]any, which func(map[string]any) bool) bool {
	return maskUnread(x, which, newNumbersSeen())
}

// maskUnread is maskUnreadPeople with the item's seen (redactCarried).
func maskUnread(x map[string]any, which func(map[string]any) bool, seen *numbersSeen) bool {
	masked := false
	ct, _ := x["contentType"].(string)
	if data, _ := x["data"].(string); data != "" && !readWhole(x) && unreadPeopleSeen(data, ct, true, which, seen) {
		delete(x, "data")
		delete(x, "hash")
		delete(x, "size")
		x["_data"] = map[string]any{"extension": maskedMark()}
		masked = true
	}
	// an extension's base64 value (review 23a)
	if data, _ := x["valueBase64Binary"].(string); data != "" && unreadPeopleSeen(data, "", true, which, seen) {
		delete(x, "valueBase64Binary")
		x["_valueBase64Binary"] = map[string]any{"extension": maskedMark()}
		masked = true
	}
	// a data: url, in an attachment's url or any other value (review 31a:
	// her Patient in an extension's valueUri went whole)
	unread := func(k, u string) bool {
		mt, data, encoded, ok := dataURL(u)
		return ok && (masked && k == "url" || unreadPeopleSeen(data, mt, encoded, which, seen))
	}
	for k, v := range x {
		switch v := v.(type) {
		case string:
			if unread(k, v) {
				delete(x, k)
				x["_"+k] = map[string]any{"extension": maskedMark()}
				if k == "url" {
					// An attachment's url: its hash (sha1 of her whole
					// Patient) confirms a guess at it, its size and title
					// describe it (review 40a, as maskPayload: review 36b).
					// (Not maskPayload itself: data beside it is decided
					// on its own, and its mark kept.)
					for _, d := range []string{"hash", "_hash", "size", "_size", "title", "_title"} {
						delete(x, d)
					}
				}
				masked = true
			}
		case []any:
			// each of a list (a care plan's instantiatesUri: review 32a),
			// masked in place: null, with its extension in the list
			// beside it, as FHIR writes a repeating primitive's
			var marks []any
			for i, e := range v {
				if u, _ := e.(string); u != "" && unread(k, u) {
					if marks == nil {
						marks = make([]any, len(v))
						if old, ok := x["_"+k].([]any); ok && len(old) == len(v) {
							copy(marks, old)
						}
					}
					v[i], marks[i] = nil, map[string]any{"extension": maskedMark()}
				}
			}
			if marks != nil {
				x["_"+k] = marks
				masked = true
			}
		}
	}
	return masked
}

// readWhole reports whether attachment x's data is FHIR JSON, resources
// of known types one after another, that attachedDocs reads to its end
// without a broken part, so that
// redactAttachedPeople redacts the people in it: anything else there
// (truncated or non-FHIR JSON, UTF-16 without a mark) is unread, and
// masked as such (review 24a: it went whole).
func readWhole(x map[string]any) bool {
	ct, raw, ok := attachedJSONBytes(x)
	if !ok {
		return false
	}
	docs, spans := jsonDocSpans(ct, raw)
	if !spansWhole(raw, spans) || len(keptFirst(raw, spans)) > 0 {
		return false // a part passed over, or a resource repeating a key: redaction reads the last value
	}
	for _, v := range docs {
		// A resource of a known type, not a list of them (redaction does
		// not look inside one), not JSON that is not FHIR's: review 25a,
		// each went whole.
		m, _ := v.(map[string]any)
		if t, _ := m["resourceType"].(string); !fhir.IsResourceType(t) {
			return false
		}
	}
	return true
}

// unreadPeople reports whether data (base64 when encoded) is structured
// text that carex does not read as FHIR JSON and that may hold a person's
// demographics, as maskUnreadPeople decides it.
func unreadPeople(data, ct string, encoded bool, which func(map[string]any) bool) bool {
	return unreadPeopleSeen(data, ct, encoded, which, newNumbersSeen())
}

// unreadPeopleSeen is unreadPeople with seen, the numbers looked up so
// far in the item (redactCarried).
func unreadPeopleSeen(data, ct string, encoded bool, which func(map[string]any) bool, seen *numbersSeen) bool {
	raw := []byte(data)
	if encoded {
		// The first bytes tell the format: most attachments (a PDF, an
		// image) are not decoded whole. Only base64's own characters
		// count (review 23a: base64 wrapped with CRLF, and XML after a
		// hundred blank lines, passed for neither).
		head, ok := decodeBase64(base64Head(data, 128))
		if !ok {
			return false
		}
		if len(bytes.TrimSpace(bytes.ReplaceAll(head, []byte{0}, nil))) > 0 && !structuredText(head) {
			return false
		}
		if raw, ok = decodeBase64(data); !ok || !structuredText(raw) {
			return false
		}
	} else if !structuredText(raw) {
		return false
	}
	return peopleIn(raw, which, seen)
}

// peopleIn reports whether text raw, or a payload written inside it at
// any depth (base64, a FHIR XML Attachment's <data value>, a CDA body
// with representation="B64": reviews 33a, 34a, her Patient so carried
// went whole; a data: url, an XML Attachment's <url value>: note 33),
// names a person or a place (which nil) or carries an NHS number which
// reports (a restricted person's), as unreadPeople decides it. The text
// is read as a reader sees it (scanText: review 34a, her number written
// "&#57;990000069" or in full-width digits went whole); seen is the
// numbers looked up so far, across the runs (review 34a: a cap per run
// let 400 runs of 100 numbers take 1.8 s) and the item's other
// attachments (review 39b).
func peopleIn(raw []byte, which func(map[string]any) bool, seen *numbersSeen) bool {
	// What is decoded inside it is capped as the label net caps it:
	// "data:,data:,…" nests each url in the one before, a few bytes
	// shorter, so reading every level would take the square of its size.
	// Past the cap it is not read, so it counts as found (fail closed).
	left := max(minDecodedCap, maxDecodedFactor*len(raw))
	return peopleInLeft(raw, which, seen, &left)
}

func peopleInLeft(raw []byte, which func(map[string]any) bool, seen *numbersSeen, left *int) bool {
	plain := bytes.ReplaceAll(fromUTF16(raw), []byte{0}, nil)
	read := scanText(plain)
	text := bytes.ToLower(read)
	if which == nil {
		if slices.ContainsFunc([]string{"patient", "person", "addr", "telecom", "location", "pid|", "\rpid", "\npid"}, func(w string) bool { return bytes.Contains(text, []byte(w)) }) || contactName(read, text) {
			return true
		}
	} else if numbersIn(text, which, seen) {
		return true
	}
	found := false
	eachEmbeddedPayload(plain, func(_ string, b []byte) bool {
		if *left -= len(b); *left < 0 {
			found = true
		} else {
			found = peopleInLeft(b, which, seen, left)
		}
		return !found
	})
	return found
}

// contactName reports whether text (lower, the same lower-cased) names a
// contact or a phone as an XML element or attribute or a JSON key does
// (<contact>, <safecontactnumber>, <f:mobile>, contactNo="…", "contact
// number":) — not in prose or a value ("contact the laboratory", "close
// contacts traced": reviews 69a, 71a; review 70a: a name holding it,
// safeContactNumber, went whole; review 71a: so did <phone>, <tel> and
// "mobileNumber"). A name is read by its parts (contactPart; review 72a:
// <telemetryRhythm>, "immobile", <Stelara> were taken for phones).
func contactName(text, lower []byte) bool {
	if !bytes.Contains(lower, []byte("contact")) && !bytes.Contains(lower, []byte("phone")) &&
		!bytes.Contains(lower, []byte("tel")) && !bytes.Contains(lower, []byte("mob")) {
		return false
	}
	found := false
	eachMarkupName(text, func(name []byte) bool {
		found = slices.ContainsFunc(nameParts(name), contactPart)
		return !found
	})
	return found
}

// eachMarkupName calls fn with each name in text, in one pass (review
// 72b: a regular expression with bounded repeats took 0.3 s a MiB): an
// XML element's (<name followed by a space, > or /), an attribute's (a
// space, the name, =, a quote) and a JSON key ("…", at most 128 bytes,
// then :), until fn returns false.
func eachMarkupName(text []byte, fn func(name []byte) bool) {
	nameByte := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-'
	}
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	nameEnd := func(i int) int {
		for i < len(text) && nameByte(text[i]) {
			i++
		}
		return i
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '<':
			if e := nameEnd(i + 1); e > i+1 && e < len(text) && (space(text[e]) || text[e] == '>' || text[e] == '/') {
				if !fn(text[i+1 : e]) {
					return
				}
			}
		case space(c):
			e := nameEnd(i + 1)
			if e == i+1 {
				continue
			}
			j := e
			for j < len(text) && space(text[j]) {
				j++
			}
			if j < len(text) && text[j] == '=' {
				for j++; j < len(text) && space(text[j]); j++ {
				}
				if j < len(text) && (text[j] == '"' || text[j] == '\'') && !fn(text[i+1:e]) {
					return
				}
			}
		case c == '"':
			e := i + 1
			for e < len(text) && e-i <= 129 && text[e] != '"' && text[e] != '\n' {
				e++
			}
			if e >= len(text) || text[e] != '"' {
				continue // (each gap between quotes is scanned once, from its opening quote)
			}
			if e > i+1 {
				j := e + 1
				for j < len(text) && space(text[j]) {
					j++
				}
				if j < len(text) && text[j] == ':' && !fn(text[i+1:e]) {
					return
				}
			}
		}
	}
}

// nameParts are name's parts, lower-cased: split at anything but a letter
// or a digit, where a small letter meets a capital, and where a run of
// capitals meets a capitalised word (safeContactNumber, TEL_NO, f:mobile,
// "home phone", NOKTel: review 73a).
func nameParts(name []byte) []string {
	upper := func(c byte) bool { return 'A' <= c && c <= 'Z' }
	lower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	var parts []string
	start := -1
	for i, c := range name {
		alnum := lower(c) || upper(c) || '0' <= c && c <= '9'
		if start >= 0 && (!alnum || upper(c) && lower(name[i-1]) ||
			upper(c) && i > start && upper(name[i-1]) && i+1 < len(name) && lower(name[i+1])) {
			parts = append(parts, strings.ToLower(string(name[start:i])))
			start = -1
		}
		if alnum && start < 0 {
			start = i
		}
	}
	if start >= 0 {
		parts = append(parts, strings.ToLower(string(name[start:])))
	}
	return parts
}

// contactPart reports whether part of a name says a contact or a phone:
// it holds "contact" or "phone", or begins or ends with a telephone's or a
// mobile's word (tel, mob, mobile: telno, hometelno, noktel, telhome,
// mobilenumber, nokmobile), but for the words that merely begin or end so,
// each excusing the end it covers (telemetry, telecare, hotel, immobile,
// mobility: reviews 72a, 74a; "hoteltel" still ends with a phone's word:
// review 74a). Names run together are read so (review 73a: <hometelno>,
// <NOKTEL>, "nokmobile" went whole).
func contactPart(part string) bool {
	if strings.Contains(part, "contact") || strings.Contains(part, "phone") {
		return true
	}
	part = strings.TrimRight(part, "0123456789")
	for _, w := range numberWords {
		if p, ok := strings.CutSuffix(part, w); ok && p != "" {
			part = p // (hometelno: hometel)
			break
		}
	}
	for _, w := range []string{"tel", "mob"} { // (mob: mobile too)
		if strings.HasPrefix(part, w) && !slices.ContainsFunc(notPhoneStarts, func(n string) bool { return strings.HasPrefix(part, n) }) {
			return true
		}
	}
	for _, w := range []string{"tel", "mob", "mobile"} {
		if strings.HasSuffix(part, w) && !slices.ContainsFunc(notPhoneEnds, func(n string) bool { return strings.HasSuffix(part, n) }) {
			return true
		}
	}
	return false
}

var (
	numberWords = []string{"numbers", "number", "nos", "num", "nr", "no"}
	// notPhoneStarts and notPhoneEnds begin or end with tel or mob(ile)
	// and name no phone.
	notPhoneStarts = []string{"telemetr", "telomer", "telang", "telescop", "televis", "telegra", "telepath", "teller", "tellur",
		"telecare", "telehealth", "telemedic", "teletriage", "telecons", "teleconf", "tell", "telford", "mobili"}
	notPhoneEnds = []string{"hotel", "motel", "hostel", "pastel", "cartel", "chattel", "lintel", "mantel", "bagatel", "automobile", "immobile", "snowmobile"}
)

// numbersIn reports whether text carries an NHS number which reports, or
// more than maxUnreadNumbers of them with those seen before in the item;
// seen holds each number looked up with which's answer (numbersSeen).
func numbersIn(text []byte, which func(map[string]any) bool, seen *numbersSeen) bool {
	found := false
	for at := 0; ; {
		m, next := nextNHSNumberLike(text, at)
		if m == nil {
			break
		}
		at = next
		if !modulus11(m) {
			continue // (fhir.NormaliseNHSNumber would refuse it: without its error's cost)
		}
		n, err := fhir.NormaliseNHSNumber(strings.ReplaceAll(string(m), "-", "")) // (dashes: review 23a)
		if err != nil {
			continue
		}
		if r, ok := seen.answer[n]; ok {
			// looked up already, in this text or another of the item's
			// (review 39b): its answer holds here too
			found = found || r
			continue
		}
		if len(seen.answer) >= maxUnreadNumbers {
			// Each number not cached costs store lookups: a letter
			// listing thousands took a second to read (review 31a).
			// One carrying that many people is masked unread. The
			// numbers past the cap are kept (unlooked) for the IG
			// alert, asked about at once (review 41b: a restricted
			// person's number behind 100 others raised none).
			if len(seen.unlooked) >= maxUnlookedNumbers {
				return true // (nothing more is kept: masked)
			}
			seen.unlooked = append(seen.unlooked, n)
			seen.answer[n] = true
			found = true
			continue // (read on for the alert: review 42b)
		}
		// decided as a copy carrying only that number is
		person := map[string]any{"identifier": []any{map[string]any{"system": fhir.NHSNumberSystem, "value": n}}}
		seen.answer[n] = which(person)
		found = seen.answer[n] || found
	}
	return found
}

// maxUnreadNumbers is how many distinct NHS numbers unreadPeople looks up
// in one item's attachments carex does not read: one carrying more (a
// clinic list in another person's letter) is masked outside its source,
// and so is each later one in the item carrying a number not yet looked
// up (review 39b: the cap was per attachment, so 500 attachments cost
// 50,000 lookups a read).
const maxUnreadNumbers = 100

// maxUnlookedNumbers bounds the numbers past the cap kept for the alert
// (review 45a: counted twice, as answered and as unlooked, it kept half).
const maxUnlookedNumbers = 10_000

// numbersSeen is what an item's unread data has had looked up (numbersIn):
// each NHS number with which's answer (true for those masked past the
// cap), and, among them, the numbers past maxUnreadNumbers, masked
// without a look-up, kept to be asked about for the IG alert alone, all
// at once (review 41b: a restricted person's number behind 100 others
// raised none).
type numbersSeen struct {
	answer   map[string]bool
	unlooked []string
}

func newNumbersSeen() *numbersSeen { return &numbersSeen{answer: map[string]bool{}} }

// resolveUEscapes is b with each JSON \uXXXX escape written as the
// character it stands for: the words and numbers unreadPeople looks for
// may be written so ("\u0050atient", "\u0039990000069": review 26a, they
// went whole).
func resolveUEscapes(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+5 < len(b) && b[i+1] == 'u' && isHexDigit(b[i+2]) && isHexDigit(b[i+3]) && isHexDigit(b[i+4]) && isHexDigit(b[i+5]) {
			r := rune(unhex(b[i+2]))<<12 | rune(unhex(b[i+3]))<<8 | rune(unhex(b[i+4]))<<4 | rune(unhex(b[i+5]))
			out = utf8.AppendRune(out, r)
			i += 5
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// base64Head is the first n characters of base64 data s (a multiple of
// four), without the whitespace a wrapped encoding carries.
func base64Head(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if c := s[i]; c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			b.WriteByte(c)
		}
	}
	h := b.String()
	if len(h) == len(strings.TrimSpace(s)) {
		return h // all of it: decodeBase64 takes it unpadded too
	}
	return h[:len(h)&^3]
}

// nextNHSNumberLike is the first run in text from at that may be an NHS
// number — ten ASCII digits, in groups of 3, 3 and 4, each group after the
// first after a space or a dash or none — and where to look for the next
// (nil: none). Its runs are those the regular expression
// `\d{3}[ -]?\d{3}[ -]?\d{4}` finds (FindAll), leftmost, not
// overlapping: a separator and a digit are never both at one place, so
// each start has one way to match. Hand-written: the expression took ~32
// ms of a read of a 1 MiB attachment by another organisation, on every
// read (review 40a).
func nextNHSNumberLike(text []byte, at int) (m []byte, next int) {
	for i := at; i+10 <= len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			continue
		}
		if end := nhsNumberLikeAt(text, i); end > 0 {
			return text[i:end], end
		}
	}
	return nil, len(text)
}

// nhsNumberLikeAt is the end of the run that may be an NHS number starting
// at text[i] (nextNHSNumberLike), or -1.
func nhsNumberLikeAt(text []byte, i int) int {
	j := i
	for g, n := range [3]int{3, 3, 4} {
		if g > 0 && j < len(text) && (text[j] == ' ' || text[j] == '-') {
			j++
		}
		for k := 0; k < n; k++ {
			if j >= len(text) || text[j] < '0' || text[j] > '9' {
				return -1
			}
			j++
		}
	}
	return j
}

// modulus11 reports whether the ten digits of run m (nextNHSNumberLike)
// pass the NHS number's modulus 11 check, as fhir.NormaliseNHSNumber
// checks it.
func modulus11(m []byte) bool {
	sum, i := 0, 0
	for _, c := range m {
		if c < '0' || c > '9' {
			continue
		}
		if i < 9 {
			sum += int(c-'0') * (10 - i)
		} else {
			check := 11 - sum%11
			if check == 11 {
				check = 0
			}
			return check != 10 && check == int(c-'0')
		}
		i++
	}
	return false
}

// structuredText reports whether b (the first bytes of some data) starts
// as markup, JSON or an HL7 v2 message, in UTF-8 or UTF-16.
func structuredText(b []byte) bool {
	b = bytes.TrimLeft(bytes.ReplaceAll(fromUTF16(b), []byte{0}, nil), "\xef\xbb\xbf \t\r\n")
	b = bytes.TrimLeft(b, "\x0b\x1c") // an HL7 v2 message as framed on the wire (MLLP: review 25a)
	if len(b) > 0 && (b[0] == '<' || b[0] == '{' || b[0] == '[') {
		return true
	}
	// HL7 v2: a message, or a batch (review 24a), whatever its field
	// separator (MSH-1; review 25a)
	return len(b) > 3 && (bytes.HasPrefix(b, []byte("MSH")) || bytes.HasPrefix(b, []byte("FHS")) || bytes.HasPrefix(b, []byte("BHS"))) &&
		b[3] > ' ' && b[3] < 0x7f && (b[3] < 'A' || b[3] > 'Z') && (b[3] < 'a' || b[3] > 'z') && (b[3] < '0' || b[3] > '9')
}
