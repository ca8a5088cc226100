package search

import (
	"sort"
	"strings"

	"github.com/carex-project/carex/fhir"
)

// compartmentPaths follows the R4 CompartmentDefinition "patient": for each
// resource type, the element paths whose Patient references make the
// resource a member. Deviation: Task.for is included (R4 lists Task with no
// parameters), because a shared care record needs social-care tasks in the
// person's record. Patient is handled separately (its own id; link.other is
// not membership). Binary.securityContext is included too: a letter's
// content belongs to the person its context names.
var compartmentPaths = map[string][]string{
	"Account":                     {"subject"},
	"AdverseEvent":                {"subject"},
	"AllergyIntolerance":          {"patient", "recorder", "asserter"},
	"Appointment":                 {"participant.actor"},
	"AppointmentResponse":         {"actor"},
	"AuditEvent":                  {"agent.who", "entity.what"},
	"Basic":                       {"subject", "author"},
	"Binary":                      {"securityContext"},
	"BodyStructure":               {"patient"},
	"CarePlan":                    {"subject", "activity.detail.performer"},
	"CareTeam":                    {"subject", "participant.member"},
	"ChargeItem":                  {"subject"},
	"Claim":                       {"patient", "payee.party"},
	"ClaimResponse":               {"patient"},
	"ClinicalImpression":          {"subject"},
	"Communication":               {"subject", "sender", "recipient"},
	"CommunicationRequest":        {"subject", "sender", "recipient", "requester"},
	"Composition":                 {"subject", "author", "attester.party"},
	"Condition":                   {"subject", "asserter"},
	"Consent":                     {"patient"},
	"Coverage":                    {"policyHolder", "subscriber", "beneficiary", "payor"},
	"CoverageEligibilityRequest":  {"patient"},
	"CoverageEligibilityResponse": {"patient"},
	"DetectedIssue":               {"patient"},
	"DeviceRequest":               {"subject", "performer"},
	"DeviceUseStatement":          {"subject"},
	"DiagnosticReport":            {"subject"},
	"DocumentManifest":            {"subject", "author", "recipient"},
	"DocumentReference":           {"subject", "author"},
	"Encounter":                   {"subject"},
	"EnrollmentRequest":           {"candidate"},
	"EpisodeOfCare":               {"patient"},
	"ExplanationOfBenefit":        {"patient", "payee.party"},
	"FamilyMemberHistory":         {"patient"},
	"Flag":                        {"subject"},
	"Goal":                        {"subject"},
	"Group":                       {"member.entity"},
	"ImagingStudy":                {"subject"},
	"Immunization":                {"patient"},
	"ImmunizationEvaluation":      {"patient"},
	"ImmunizationRecommendation":  {"patient"},
	"Invoice":                     {"subject", "recipient"},
	"List":                        {"subject", "source"},
	"MeasureReport":               {"subject"},
	"Media":                       {"subject"},
	"MedicationAdministration":    {"subject", "performer.actor"},
	"MedicationDispense":          {"subject", "receiver"},
	"MedicationRequest":           {"subject"},
	"MedicationStatement":         {"subject"},
	"MolecularSequence":           {"patient"},
	"NutritionOrder":              {"patient"},
	"Observation":                 {"subject", "performer"},
	"Person":                      {"link.target"},
	"Procedure":                   {"subject", "performer.actor"},
	"Provenance":                  {"target"},
	"QuestionnaireResponse":       {"subject", "author"},
	"RelatedPerson":               {"patient"},
	"RequestGroup":                {"subject", "action.participant"},
	"ResearchSubject":             {"individual"},
	"RiskAssessment":              {"subject"},
	"Schedule":                    {"actor"},
	"ServiceRequest":              {"subject", "performer"},
	"Specimen":                    {"subject"},
	"SupplyDelivery":              {"patient"},
	"SupplyRequest":               {"requester"},
	"Task":                        {"for"},
	"VisionPrescription":          {"patient"},
}

var compartmentSteps = func() map[string][][]step {
	m := make(map[string][][]step, len(compartmentPaths))
	for t, paths := range compartmentPaths {
		m[t] = compile(ParamDef{Paths: paths}).paths
	}
	return m
}()

// PatientCompartment returns the ids of the patients the resource belongs to
// (FHIR R4 patient compartment, see compartmentPaths), sorted and unique.
// Only references "Patient/{id}" (relative, or absolute ending in
// /Patient/{id}, optionally with /_history/{vid}) count. A Patient belongs to
// its own compartment.
func PatientCompartment(resourceType string, res map[string]any) []string {
	if res == nil {
		return nil
	}
	set := map[string]struct{}{}
	if resourceType == "Patient" {
		if id, ok := res["id"].(string); ok && validID(id) {
			set[id] = struct{}{}
		}
	}
	if resourceType == "Bundle" {
		// A stored Bundle (a document, a collection a feed keeps) is its
		// entries' data: it belongs to everyone they belong to.
		entries, _ := res["entry"].([]any)
		for _, e := range entries {
			em, _ := e.(map[string]any)
			r, _ := em["resource"].(map[string]any)
			if rt, _ := r["resourceType"].(string); rt != "" {
				for _, id := range PatientCompartment(rt, r) {
					set[id] = struct{}{}
				}
			}
		}
	}
	for _, p := range compartmentSteps[resourceType] {
		walk(res, p, func(v any) {
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			s, _ := m["reference"].(string)
			if r, ok := NormalizeReference(s); ok && strings.HasPrefix(r, "Patient/") {
				set[r[len("Patient/"):]] = struct{}{}
			}
		})
	}
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// HasPatientCompartment reports whether resources of this type can belong
// to a patient's compartment (R4 CompartmentDefinition "patient", with the
// deviations above); Patient itself does, and a stored Bundle (its
// entries').
func HasPatientCompartment(resourceType string) bool {
	_, ok := compartmentPaths[resourceType]
	return ok || resourceType == "Patient" || resourceType == "Bundle"
}

// focalPaths are elements that name the person an item is about beyond
// the R4 patient compartment, which leaves them out: a device implanted
// in them, a document filed under them, an observation or task whose
// focus they are, guidance or a contract about them.
var focalPaths = map[string][]string{
	"Contract":          {"subject"},
	"Device":            {"patient"},
	"DocumentReference": {"context.sourcePatientInfo"},
	"GuidanceResponse":  {"subject"},
	"Observation":       {"focus"},
	"Task":              {"focus"},
}

var focalSteps = func() map[string][][]step {
	m := make(map[string][][]step, len(focalPaths))
	for t, paths := range focalPaths {
		m[t] = compile(ParamDef{Paths: paths}).paths
	}
	return m
}()

// sharingContextTypes are the resources whose compartment is the person's
// sharing context (their Patient, the CareTeams and EpisodeOfCares that
// relate organisations to them, their Consents): only the compartment's
// elements name their person. A Consent naming another patient as a
// provision's actor must not become that patient's Consent, nor a
// CareTeam naming one elsewhere relate its members to them.
var sharingContextTypes = map[string]bool{"Patient": true, "CareTeam": true, "EpisodeOfCare": true, "Consent": true}

// NamedPeople returns the people a resource names, under whose sharing
// decision it is released: ids, the Patients it refers to, and nhs, the
// NHS numbers (10 digits, no spaces) of those it names by number alone — a
// reference by identifier with the NHS number system, or a reference to a
// contained Patient carrying one. Both sorted and unique.
//
// They are named by the compartment's elements (PatientCompartment) and
// the focal ones (focalPaths). An item that names no one there but refers
// to a Patient elsewhere, or names one by NHS number elsewhere (a ward
// list whose entries are NHS numbers, a Device with its patient in an
// extension), is theirs too: every Patient it refers to anywhere, every
// NHS number it names, and that of every Patient it contains. (Another
// Patient mentioned by an item that is already someone's — a care plan's
// supporting information naming a carer — is a reference, masked where
// the user may not open them.) A Patient names itself only; the sharing
// context's types name only by the compartment's elements.
//
// unidentified: by those elements (or, naming no one otherwise, by
// containing a Patient) it names a person by neither a reference nor an
// NHS number — a contained Patient without one, a reference of type
// Patient by another identifier (a hospital number) — whom no one can
// tell.
func NamedPeople(resourceType string, res map[string]any) (ids, nhs []string, unidentified bool) {
	if resourceType == "Bundle" && res != nil {
		return bundlePeople(res)
	}
	ids = PatientCompartment(resourceType, res)
	if res == nil || resourceType == "Patient" {
		return ids, nil, false
	}
	set := map[string]bool{}
	numbers := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	var about bool // walking an element that says whom the item is about
	named := func(v any) {
		m, _ := v.(map[string]any)
		if m == nil {
			return
		}
		s, _ := m["reference"].(string)
		r, ok := NormalizeReference(s)
		typ, _ := m["type"].(string)
		if n := nhsOfReference(m); n != "" && s != "" {
			// The NHS number beside a reference names that person too
			// (review 38c: a diagnosis under the hospital's untraced
			// Patient giving Jane's number beside it went to the nurse
			// despite her opt-out): the item is decided under both.
			numbers[n] = true
		}
		switch {
		case ok && strings.HasPrefix(r, "Patient/"):
			set[r[len("Patient/"):]] = true
		case ok:
			// Another resource (a Group, a Device, a Practitioner).
		case strings.HasPrefix(s, "#"):
			if p := containedPatient(res, s[1:]); p != nil {
				if n := patientNHS(p); n != "" {
					numbers[n] = true
				} else {
					unidentified = true
				}
			} else if about && (typ == "" || typ == "Patient") && !containsID(res, s[1:]) {
				unidentified = true // a local reference to nothing
			}
		case s == "" && nhsOfReference(m) != "":
			numbers[nhsOfReference(m)] = true
		case typ == "Patient" && (s != "" || m["identifier"] != nil || m["display"] != nil):
			// A Patient by another identifier (a hospital number), by
			// display alone, or by a reference carex cannot follow (a
			// urn:uuid or conditional reference outside a transaction).
			unidentified = true
		case about && typ == "" && (s != "" || m["identifier"] != nil || m["display"] != nil):
			// The item's subject, given without type, by anything but a
			// reference carex can follow: whoever it is, carex cannot
			// tell, and it may well be a person.
			unidentified = true
		}
	}
	for i, p := range compartmentSteps[resourceType] {
		about = !sharingContextTypes[resourceType] && aboutPath(compartmentPaths[resourceType][i])
		walk(res, p, named)
	}
	for i, p := range focalSteps[resourceType] {
		about = aboutPath(focalPaths[resourceType][i])
		walk(res, p, named)
	}
	if resourceType == "Person" {
		// A person-level record is that person's demographics (review
		// 12b: one linking to no Patient named no one, and went to every
		// role that reads demographics): the person is who its NHS number
		// says, beside the Patients it links to; one with neither and no
		// link at all is a person no one can tell.
		if n := patientNHS(res); n != "" {
			numbers[n] = true
		} else if len(set) == 0 && res["link"] == nil {
			unidentified = true
		}
	}
	if len(set) == 0 && len(numbers) == 0 && !unidentified && !sharingContextTypes[resourceType] {
		unidentified = namedIn(res, set, numbers)
	}
	if len(set) > len(ids) {
		ids = sortedKeys(set)
	}
	return ids, sortedKeys(numbers), unidentified
}

// aboutPath reports whether a compartment or focal element says whom its
// item is about (Condition.subject, Device.patient, Coverage.beneficiary),
// as opposed to who took part (a performer, an author, an asserter) or
// what it concerns (Observation.focus, which may be anything). Such an
// element that is present but names no one carex can identify (an
// identifier other than an NHS number, a display alone) names an
// unidentified person, not no one.
func aboutPath(path string) bool {
	last := path[strings.LastIndexByte(path, '.')+1:]
	switch last {
	case "subject", "patient", "beneficiary", "candidate", "individual", "for", "sourcePatientInfo":
		return true
	}
	return false
}

// containsID reports whether res contains a resource with this id.
func containsID(res map[string]any, id string) bool {
	cs, _ := res["contained"].([]any)
	for _, c := range cs {
		if cm, _ := c.(map[string]any); cm["id"] == id {
			return true
		}
	}
	return false
}

// bundlePeople: a stored Bundle (a document, a collection a feed keeps)
// is its entries' data and names everyone they name, each entry as
// NamedPeople takes it on its own (a Device's patient, a diagnosis by NHS
// number), the Bundles inside it included. (PatientCompartment gives only
// the entries' compartments.)
func bundlePeople(res map[string]any) (ids, nhs []string, unidentified bool) {
	set, numbers := map[string]bool{}, map[string]bool{}
	entries, _ := res["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		r, _ := em["resource"].(map[string]any)
		rt, _ := r["resourceType"].(string)
		if rt == "" {
			continue
		}
		i, n, u := NamedPeople(rt, r)
		if rt == "Provenance" && provenanceTargetsItems(r) {
			// Its person is that of the items it targets, which a stored
			// Bundle's entries are not looked up for: fail closed, to the
			// Bundle's source (review 5e).
			u = true
		}
		if rt == "Patient" && len(i) == 0 {
			// An entry Patient without an id: who it is, by NHS number.
			if x := patientNHS(r); x != "" {
				n = []string{x}
			} else {
				u = true
			}
		}
		for _, x := range i {
			set[x] = true
		}
		for _, x := range n {
			numbers[x] = true
		}
		unidentified = unidentified || u
	}
	return sortedKeys(set), sortedKeys(numbers), unidentified
}

// provenanceTargetsItems: a Provenance targets something other than a
// Patient (by reference, identifier or display).
func provenanceTargetsItems(r map[string]any) bool {
	targets, _ := r["target"].([]any)
	for _, t := range targets {
		tm, _ := t.(map[string]any)
		ref, _ := tm["reference"].(string)
		if typ, _ := tm["type"].(string); typ == "Patient" || strings.HasPrefix(ref, "Patient/") {
			continue
		}
		if len(tm) > 0 {
			return true
		}
	}
	return false
}

// namedIn adds to ids every Patient a reference anywhere in v names, and to
// nhs every NHS number a reference by identifier or a contained Patient
// gives; unidentified: v holds a Patient without an NHS number.
func namedIn(v any, ids, nhs map[string]bool) (unidentified bool) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["reference"].(string); ok {
			if r, ok := NormalizeReference(s); ok && strings.HasPrefix(r, "Patient/") {
				ids[r[len("Patient/"):]] = true
			}
		}
		if n := nhsOfReference(x); n != "" {
			nhs[n] = true
		}
		if rt, _ := x["resourceType"].(string); rt == "Patient" {
			// A contained Patient (or a stored Bundle's entry, whose own
			// id its compartment holds): who it is, by NHS number; its
			// own links name no one else.
			n := patientNHS(x)
			if n != "" {
				nhs[n] = true
			}
			return n == ""
		}
		for k, e := range x {
			if k != "meta" && namedIn(e, ids, nhs) {
				unidentified = true
			}
		}
	case []any:
		for _, e := range x {
			if namedIn(e, ids, nhs) {
				unidentified = true
			}
		}
	}
	return unidentified
}

// nhsOfReference is the NHS number a Reference gives by identifier
// (reference.identifier with the NHS number system), "" if none.
func nhsOfReference(m map[string]any) string {
	id, _ := m["identifier"].(map[string]any)
	if sys, _ := id["system"].(string); id == nil || !fhir.IsNHSNumberSystem(sys) {
		return ""
	}
	v, _ := id["value"].(string)
	return nhsDigits(v)
}

// patientNHS is the first NHS number among a Patient's identifiers.
func patientNHS(p map[string]any) string {
	ids, _ := p["identifier"].([]any)
	for _, i := range ids {
		im, _ := i.(map[string]any)
		if sys, _ := im["system"].(string); fhir.IsNHSNumberSystem(sys) {
			v, _ := im["value"].(string)
			if n := nhsDigits(v); n != "" {
				return n
			}
		}
	}
	return ""
}

// containedPatient is the contained Patient with this id, nil if none.
func containedPatient(res map[string]any, id string) map[string]any {
	cs, _ := res["contained"].([]any)
	for _, c := range cs {
		cm, _ := c.(map[string]any)
		if cm["resourceType"] == "Patient" && cm["id"] == id {
			return cm
		}
	}
	return nil
}

// nhsDigits is an NHS number as ten digits without spaces, "" when it is
// not one (validation refuses those that fail the check digit).
func nhsDigits(v string) string {
	n := strings.ReplaceAll(v, " ", "")
	if len(n) != 10 {
		return ""
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return ""
		}
	}
	return n
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PatientNHS is the first NHS number among a Patient's (or a
// RelatedPerson's, a Person's) identifiers, as ten digits; "" if none.
func PatientNHS(p map[string]any) string { return patientNHS(p) }
