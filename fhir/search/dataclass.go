package search

import (
	_ "embed"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DataClassTagSystem is the meta.tag system that sets a resource's data class
// explicitly: a tag {system: DataClassTagSystem, code: <class>} with a code
// from DataClasses() overrides the type-based class for every resource type.
// A coding with this system and code "social-care" inside EpisodeOfCare.type,
// Task.code, ServiceRequest.category or ServiceRequest.code also marks the
// resource as social care.
const DataClassTagSystem = "https://carex.example/data-class"

// Data classes.
const (
	ClassDemographics  = "demographics"
	ClassAllergies     = "allergies"
	ClassMedications   = "medications"
	ClassProblems      = "problems"
	ClassObservations  = "observations"
	ClassEncounters    = "encounters"
	ClassProcedures    = "procedures"
	ClassImmunisations = "immunisations"
	ClassCarePlans     = "care-plans"
	ClassSocialCare    = "social-care"
	ClassSafeguarding  = "safeguarding"
	ClassDocuments     = "documents"
	ClassAppointments  = "appointments"
	ClassConsent       = "consent"
	ClassDirectory     = "directory"
	ClassFinancial     = "financial"
	ClassProvenance    = "provenance"
	ClassOther         = "other"
)

var typeClass = map[string]string{
	"Patient": ClassDemographics, "RelatedPerson": ClassDemographics, "Person": ClassDemographics,
	"AllergyIntolerance":  ClassAllergies,
	"MedicationStatement": ClassMedications, "MedicationRequest": ClassMedications,
	"MedicationAdministration": ClassMedications, "MedicationDispense": ClassMedications, "Medication": ClassMedications,
	"Condition":   ClassProblems,
	"Observation": ClassObservations, "DiagnosticReport": ClassObservations, "Specimen": ClassObservations, "ImagingStudy": ClassObservations,
	"Encounter": ClassEncounters, "EpisodeOfCare": ClassEncounters,
	"Procedure":    ClassProcedures,
	"Immunization": ClassImmunisations, "ImmunizationRecommendation": ClassImmunisations,
	"CarePlan": ClassCarePlans, "Goal": ClassCarePlans, "CareTeam": ClassCarePlans, "Task": ClassCarePlans, "ServiceRequest": ClassCarePlans,
	"Flag":              ClassSafeguarding,
	"DocumentReference": ClassDocuments, "Composition": ClassDocuments, "QuestionnaireResponse": ClassDocuments, "Media": ClassDocuments, "Binary": ClassDocuments,
	"Appointment": ClassAppointments, "AppointmentResponse": ClassAppointments, "Schedule": ClassAppointments, "Slot": ClassAppointments,
	"Consent":      ClassConsent,
	"Organization": ClassDirectory, "Practitioner": ClassDirectory, "PractitionerRole": ClassDirectory, "Location": ClassDirectory,
	"HealthcareService": ClassDirectory, "Endpoint": ClassDirectory,
	"Claim": ClassFinancial, "ClaimResponse": ClassFinancial, "ExplanationOfBenefit": ClassFinancial, "Coverage": ClassFinancial,
	"Account": ClassFinancial, "Invoice": ClassFinancial,
	"Provenance": ClassProvenance, "AuditEvent": ClassProvenance,
	// Types of R4's patient compartment searchable since schema step 17
	// whose class is plain (revision 2026-12-07a): equipment and a feeding
	// regime are what a home visit plans around (a hoist, home oxygen,
	// thickened fluids), read by those who see care plans; an assessment
	// of the clinician's (ClinicalImpression) and a set of documents are
	// documents; an immunisation's evaluation is immunisations; a charge or
	// eligibility check financial. The rest (a family history, an adverse
	// event, a risk score, a detected issue, a list, supplies, a vision
	// prescription, a body site…) stay other, for roles that see every
	// class: a family history of Huntington's disease is not the person's
	// problem list.
	"DeviceRequest": ClassCarePlans, "DeviceUseStatement": ClassCarePlans, "NutritionOrder": ClassCarePlans,
	"ClinicalImpression": ClassDocuments, "DocumentManifest": ClassDocuments,
	"ImmunizationEvaluation": ClassImmunisations,
	"ChargeItem":             ClassFinancial, "CoverageEligibilityRequest": ClassFinancial, "CoverageEligibilityResponse": ClassFinancial,
	"EnrollmentRequest": ClassFinancial,
	"MolecularSequence": ClassObservations,
}

var allClasses = func() []string {
	s := []string{ClassDemographics, ClassAllergies, ClassMedications, ClassProblems, ClassObservations, ClassEncounters,
		ClassProcedures, ClassImmunisations, ClassCarePlans, ClassSocialCare, ClassSafeguarding, ClassDocuments,
		ClassAppointments, ClassConsent, ClassDirectory, ClassFinancial, ClassProvenance, ClassOther}
	sort.Strings(s)
	return s
}()

var classSet = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range allClasses {
		m[c] = true
	}
	return m
}()

// DataClasses returns every data class name, sorted.
func DataClasses() []string { return append([]string(nil), allClasses...) }

type codingKey struct{ system, code string }

// socialCareCodings is the documented set of codings that mark an
// EpisodeOfCare (type), Task (code) or ServiceRequest (category or code) as
// social care.
var socialCareCodings = map[codingKey]bool{
	{DataClassTagSystem, ClassSocialCare}: true,
	// SNOMED CT 410606002 |Social service procedure|
	{"http://snomed.info/sct", "410606002"}: true,
	// HL7 episode-of-care types: home and community care; community-based aged care
	{"http://terminology.hl7.org/CodeSystem/episodeofcare-type", "hacc"}: true,
	{"http://terminology.hl7.org/CodeSystem/episodeofcare-type", "cacp"}: true,
}

// IsSocialCareCoding reports whether a coding marks social care.
func IsSocialCareCoding(system, code string) bool { return socialCareCodings[codingKey{system, code}] }

// socialCareElements: where DataClass looks for social-care codings.
var socialCareElements = map[string][]string{
	"EpisodeOfCare":  {"type"},
	"Task":           {"code"},
	"ServiceRequest": {"category", "code"},
}

// flagCategoryClass: the classes a Flag's category (HL7 flag-category)
// shows it to carry beside safeguarding.
var flagCategoryClass = map[string]string{"lab": ClassObservations, "clinical": ClassProblems, "drug": ClassMedications}

// ContentClasses returns the data classes a resource's own content adds to
// its class (DataClass): a Flag is safeguarding (SPEC §5: a safeguarding
// concern is a Flag), but one whose category is HL7 flag-category "lab" is
// a laboratory alert, and carries the observations class too ("clinical"
// problems, "drug" medications). Review 10b: a lab alert went to the social
// worker, who sees no lab results.
//
// A Consent whose scope is not patient-privacy is the person's clinical
// record, not a sharing rule (review 10b: a treatment consent to a
// termination of pregnancy went to the social worker and the IG officer):
// treatment carries procedures, adr (an advance directive) care-plans,
// research or anything else other.
//
// A laboratory result — an Observation of category laboratory — and any
// result report or sample (a DiagnosticReport of any section, a Specimen,
// an ImagingStudy, a MolecularSequence) carries observations whatever its
// data-class tag (review 10b: one tagged social-care went to the social
// worker, who sees no lab results; review 56c: so did a report of the
// haematology section, HM, beside LAB, and a Specimen). A category is
// read under R4's system, STU3's, or none (review 56c: a lab result coded
// http://hl7.org/fhir/observation-category|laboratory, or with no system,
// went to the social worker; so did a lab Flag so coded).
func ContentClasses(resourceType string, res map[string]any) []string {
	switch resourceType {
	case "Consent":
		return consentScopeClasses(res)
	case "Observation":
		if hasCategory(res["category"], "observation-category", "laboratory") {
			return []string{ClassObservations}
		}
		return nil
	case "DiagnosticReport", "Specimen", "ImagingStudy", "MolecularSequence":
		return []string{ClassObservations}
	case "Task":
		// A measurement a LOINC code names among its inputs or outputs (an
		// HbA1c of 86 mmol/mol as the task's output) is a result (review
		// 98b: it went to the social worker in the GP's Task); under any
		// of LOINC's names (review 99a: its OID, https).
		var out []string
		if taskResult(res, false) {
			out = append(out, ClassObservations)
		}
		if taskNote(res) {
			out = append(out, ClassDocuments)
		}
		return out
	case "Encounter":
		if !admission(res) {
			return []string{ClassDocuments}
		}
		return nil
	case "Flag":
	default:
		return nil
	}
	// A Flag is safeguarding whatever its data-class tag (review 98b: the
	// council's section 42 enquiry tagged social-care went to the district
	// nurse, who sees no safeguarding).
	out := []string{ClassSafeguarding}
	for code, c := range flagCategoryClass {
		if hasCategory(res["category"], "flag-category", code) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// admission: an Encounter that is a hospital stay — of an inpatient,
// acute, non-acute or short-stay class (HL7 v3 ActCode), or with a
// hospitalization (its admission and discharge). SPEC §1 gives the social
// worker "admissions and discharges … not lab results or clinical notes":
// any other encounter (a GP consultation, an outpatient or A&E attendance,
// a home visit) and its reason is the clinician's record of it, a
// clinical note, so it carries the documents class too (review 82c: every
// GP consultation went to her, "low mood, counselling discussed" with it).
func admission(res map[string]any) bool {
	if _, ok := res["hospitalization"].(map[string]any); ok {
		return true
	}
	c, _ := res["class"].(map[string]any)
	code, _ := c["code"].(string)
	switch sys, ok := c["system"].(string); {
	case !ok, sys == "http://terminology.hl7.org/CodeSystem/v3-ActCode", sys == "http://hl7.org/fhir/v3/ActCode":
		return code == "IMP" || code == "ACUTE" || code == "NONAC" || code == "SS"
	}
	return false
}

// hasCategory reports whether a CodeableConcept (or a list of them) holds
// code under the HL7 code system named (R4's
// http://terminology.hl7.org/CodeSystem/NAME, STU3's
// http://hl7.org/fhir/NAME), or under no system.
func hasCategory(v any, name, code string) bool {
	found := false
	walk(v, []step{{name: "coding"}}, func(x any) {
		m, _ := x.(map[string]any)
		if c, _ := m["code"].(string); c != code {
			return
		}
		switch sys, ok := m["system"].(string); {
		case !ok, sys == "http://terminology.hl7.org/CodeSystem/"+name, sys == "http://hl7.org/fhir/"+name:
			found = true
		}
	})
	return found
}

// consentScopeClasses: see ContentClasses. A Consent with no scope coding
// (R4 requires one) or any coding of patient-privacy is read as a
// patient-privacy Consent, as the sharing decision reads it.
func consentScopeClasses(res map[string]any) []string {
	sc, _ := res["scope"].(map[string]any)
	codings, _ := sc["coding"].([]any)
	if len(codings) == 0 {
		return nil
	}
	var out []string
	for _, c := range codings {
		m, _ := c.(map[string]any)
		code, _ := m["code"].(string)
		if code == "patient-privacy" {
			return nil
		}
		sys, _ := m["system"].(string)
		if sys != "" && sys != "http://terminology.hl7.org/CodeSystem/consentscope" {
			continue
		}
		switch code {
		case "treatment":
			out = append(out, ClassProcedures)
		case "adr":
			out = append(out, ClassCarePlans)
		}
	}
	if len(out) == 0 {
		out = append(out, ClassOther)
	}
	return out
}

// nonClinicalClasses are the classes an audit role (the IG officer, who
// sees no clinical data) may be given: the same set as the consent
// package's policy check.
var nonClinicalClasses = map[string]bool{ClassDemographics: true, ClassConsent: true, ClassProvenance: true, ClassDirectory: true}

// TaggedClass is the class res's data-class tag gives it (DataClass, rule
// 1), "" when none.
func TaggedClass(resourceType string, res map[string]any) string {
	meta, ok := res["meta"].(map[string]any)
	if !ok {
		return ""
	}
	class := ""
	walk(meta["tag"], nil, func(v any) {
		m, ok := v.(map[string]any)
		if !ok || class != "" {
			return
		}
		sys, _ := m["system"].(string)
		code, _ := m["code"].(string)
		if sys == DataClassTagSystem && classSet[code] {
			class = code
		}
	})
	if class != "" && (!nonClinicalClasses[class] || nonClinicalClasses[typeClass[resourceType]]) {
		return class
	}
	return ""
}

// DataClass returns the sharing-policy data class of a resource:
//  1. a meta.tag {DataClassTagSystem, <class>} with a valid class wins (first
//     one), except that a non-clinical class (nonClinicalClasses) counts only
//     on a type whose own class is non-clinical too: a laboratory result
//     tagged "directory" went to the IG officer (review 10b);
//  2. EpisodeOfCare/Task/ServiceRequest with a social-care coding (see
//     IsSocialCareCoding) in type / code / category|code -> "social-care";
//  3. otherwise by resource type (EpisodeOfCare -> encounters, Task and
//     ServiceRequest -> care-plans, Flag -> safeguarding); unknown types -> "other".
func DataClass(resourceType string, res map[string]any) string {
	if class := TaggedClass(resourceType, res); class != "" {
		return class
	}
	for _, el := range socialCareElements[resourceType] {
		found := false
		walk(res[el], []step{{name: "coding"}}, func(v any) {
			if m, ok := v.(map[string]any); ok {
				sys, _ := m["system"].(string)
				code, _ := m["code"].(string)
				if IsSocialCareCoding(sys, code) {
					found = true
				}
			}
		})
		if found {
			return ClassSocialCare
		}
	}
	if c, ok := typeClass[resourceType]; ok {
		return c
	}
	return ClassOther
}

// DataClassFrom is DataClass for a resource recorded by sourceOrg: an
// EpisodeOfCare a council recorded is a care package (SPEC §5: social care
// data follows the Yorkshire & Humber shapes, where "a care package is an
// EpisodeOfCare"), however its case-management system codes the type: as
// an encounter it was withheld from the district nurse who needs it
// (review 5c). The organisation code decides, not the writer's token, so
// that relabelling stored data works out the same class.
//
// One the NHS recorded is read as the NHS's clinical record of care
// (ContentClassesFrom) unless its source marks it social care (the
// data-class tag, or a social-care type coding), whoever manages it: read
// as a care package when it named the council as its managing
// organisation, a hospital's mental health episode went to the social
// worker with its narrative (review 86a; 85b had asked for the hospital's
// record of a reablement package the council runs, which its source tags).
//
// A Communication or CommunicationRequest a council recorded (of no class
// of its own, by a data-class tag) is social care, the council's data: a
// carer's report to the district nurses (review 84b: as "other", withheld
// from the nurses it was sent to). The NHS's messages keep theirs: one
// sent to a council as well is not read as social care, since its text
// may be a clinical letter copied to the council, which would then reach
// every reader of social care, the nurses who were not sent it among them
// (review 85b); its source marks a notice for the council as social care
// with the data-class tag, or sends a Task the council owns.
func DataClassFrom(resourceType string, res map[string]any, sourceOrg string) string {
	c := DataClass(resourceType, res)
	switch {
	case resourceType == "EpisodeOfCare" && c == ClassEncounters && CouncilCode(sourceOrg):
		return ClassSocialCare
	case (resourceType == "Communication" || resourceType == "CommunicationRequest") && c == ClassOther && CouncilCode(sourceOrg):
		return ClassSocialCare
	}
	return c
}

// ContentClassesFrom is ContentClasses for a resource recorded by
// sourceOrg: an EpisodeOfCare of the NHS that is not social care (an
// encounters one: a community mental health team's caseload, a district
// nursing episode) is the clinicians' record of care, a clinical note,
// and carries the documents class too, as an Encounter that is not a
// hospital stay does (review 84b: "community mental health team",
// "low mood, counselling", went to the social worker). A council's is
// its care package (DataClassFrom).
func ContentClassesFrom(resourceType string, res map[string]any, sourceOrg string) []string {
	if resourceType == "EpisodeOfCare" && DataClassFrom(resourceType, res, sourceOrg) == ClassEncounters {
		return []string{ClassDocuments}
	}
	if resourceType == "Task" && CouncilCode(sourceOrg) {
		// A council's assessment names its social questions in LOINC too
		// (review 99a: housing status withheld it from the nurse): there
		// only a measurement, or an answer LOINC codes, is a result
		// (review 100a: an HbA1c it copied reached the nurse).
		var out []string
		if taskResult(res, true) {
			out = append(out, ClassObservations)
		}
		if taskNote(res) {
			out = append(out, ClassDocuments)
		}
		return out
	}
	if CouncilCode(sourceOrg) && quotesNote(resourceType, res) {
		// A council's message or care plan quoting the hospital's
		// letter under its name, as its Task's may (review 114a: a
		// message to the GP practice, a care plan's activity, reached
		// the district nurse). An NHS message is how a hospital hands
		// over to the nurses: not so read.
		return append(ContentClasses(resourceType, res), ClassDocuments)
	}
	return ContentClasses(resourceType, res)
}

// quotesNote reports whether a message's, a referral's or a care plan's
// words (its texts, textStrings: notes', reasons', progress's; and a
// payload's string, a referral's instructions, a care plan's and its
// activities' descriptions) quote a clinical letter (headedQuote; review
// 115a: a council referral's note and a message's reason reached the
// nurse).
func quotesNote(resourceType string, res map[string]any) bool {
	var texts []any
	switch resourceType {
	case "Communication", "CommunicationRequest":
		for _, p := range asAny(res["payload"]) {
			if m, _ := p.(map[string]any); m != nil {
				texts = append(texts, m["contentString"])
			}
		}
	case "ServiceRequest":
		texts = append(texts, res["patientInstruction"])
	case "CarePlan":
		texts = append(texts, res["description"])
		for _, a := range asAny(res["activity"]) {
			if m, _ := a.(map[string]any); m != nil {
				if d, _ := m["detail"].(map[string]any); d != nil {
					texts = append(texts, d["description"])
				}
			}
		}
	default:
		return false
	}
	strs := textStrings(res)
	for _, t := range texts {
		if s, _ := t.(string); s != "" {
			strs = append(strs, s)
		}
	}
	return headedQuote(strs)
}

// headedQuote reports whether any of texts quotes a hospital letter
// under its name (noteHeading).
func headedQuote(texts []string) bool {
	for _, t := range texts {
		if noteHeading(t) {
			return true
		}
	}
	return false
}

// textStrings are the strings of res's elements named "text" at any
// depth: notes' (Annotation) and concepts' (CodeableConcept) words, a
// reason's, a status reason's, an outcome's, a topic's (review 116a: the
// summary quoted in a referral's reason, a Task's status reason or an
// input's annotation reached the nurse). A narrative's text is an object,
// not a string, and not read here.
func textStrings(res map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					out = append(out, s)
				} else {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(res)
	return out
}

// taskNote reports whether a Task holds a clinical document in words, as
// a council's assessment quotes the hospital's discharge summary (review
// 112c: it reached the district nurse, who sees no documents; attached as
// text/plain it did not):
//   - its inputs and outputs in words (strings, markdown) under a type
//     that names a clinical note or letter (noteType), 40 characters or
//     more together (review 113a: the summary split into inputs of 35
//     characters each reached her);
//   - or any of its words (description, notes, inputs, outputs) headed
//     by a note's name, as a quoted letter is ("Discharge summary, Leeds
//     Teaching Hospitals. Admitted …": review 113a, in the description
//     or a note it reached her).
func taskNote(res map[string]any) bool {
	total := 0
	texts := textStrings(res)
	if d, _ := res["description"].(string); d != "" {
		texts = append(texts, d)
	}
	for _, el := range []string{"input", "output"} {
		walk(res[el], nil, func(v any) {
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			str, _ := m["valueString"].(string)
			md, _ := m["valueMarkdown"].(string)
			texts = append(texts, str, md)
			if len(md) > len(str) {
				str = md
			}
			if str = strings.TrimSpace(str); str != "" && noteType(m["type"], len(str) >= longQuote) {
				total += len(str)
			}
		})
	}
	return total >= 40 || headedQuote(texts)
}

// longQuote is the length past which words under or headed by a letter's
// name are a quote of it whatever status words stand beside the name: a
// checklist item is a line ("Discharge summary: not yet received; ward to
// send it on Friday"), a quoted letter is not (review 114a: "Discharge
// summary received from Leeds Teaching Hospitals. Admitted …" reached
// the district nurse).
const longQuote = 120

func asAny(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}

// noteType reports whether CodeableConcept cc names a clinical note or
// letter (taskNote): a code of one, or words that are a clinical note's
// name (typeNames), not a checklist item about one (review 113a: "GP
// letter requested" and "Discharge summary received?" over the social
// worker's own words withheld the council's assessment from the district
// nurse; "received" is one only when long is unset), nor a social
// worker's own note (review 114a: "Social work progress note",
// "Consultation note (family meeting)" were withheld from her).
func noteType(cc any, long bool) bool {
	m, _ := cc.(map[string]any)
	if m == nil {
		return false
	}
	texts := []string{}
	if t, _ := m["text"].(string); t != "" {
		texts = append(texts, t)
	}
	codings, _ := m["coding"].([]any)
	for _, c := range codings {
		cm, _ := c.(map[string]any)
		code, _ := cm["code"].(string)
		sys, _ := cm["system"].(string)
		if loincSystem(sys) && loincNotes[code] || sys == "http://snomed.info/sct" && snomedNotes[code] {
			return true
		}
		if d, _ := cm["display"].(string); d != "" {
			texts = append(texts, d)
		}
	}
	for _, t := range texts {
		// (a question's answer is the social worker's, at any length:
		// review 115a)
		if !strings.Contains(t, "?") && namesNote(t, long) {
			return true
		}
	}
	return false
}

// noteHeading reports whether s quotes a hospital letter under its name
// (a stated rule, kept narrow: reviews 113a to 120a found each wider
// reading withheld a council's own words from the district nurse as
// often as it caught a quote). It does when s is longQuote characters or
// more (a shorter line headed so is a checklist item, a question or a
// notice: "Discharge summary: can you confirm the date of the first
// district nurse visit please?", review 117a) and starts as a quoted
// letter does:
//   - a hospital letter's name (headingNames: a discharge summary's, not
//     a progress note's, which a social worker writes too: review 114a)
//     among its first five words, then punctuation (a comma, a colon, a
//     dash, a slash, a full stop, a bracket or the end), or "received";
//   - no social care word (socialWords) in its heading, the words before
//     the first colon, dash, full stop or line break after the name
//     ("Reablement discharge summary:", "Discharge summary (Adult Social
//     Care):" are the council's own: reviews 116a, 118a; "IDL: Lives
//     alone, carers QDS. Admitted …" is the letter's, review 117a); past
//     its twelfth word only a service's name counts, not "family" or
//     "carers" (review 120a: "…, discharged 05/12/2026 home with family;"
//     is the ward's); none where the heading names a hospice (review
//     118a: "Hospice respite discharge summary:"; 119a: "… at St.
//     Gemma's Hospice:"; a "St." or "Dr." ends no heading);
//   - no word saying the letter is awaited, asked for or sent in the two
//     words before the name, any word before it in its heading, or the
//     two after it ("Discharge summary: not yet received; …"), a "no" or
//     "not" only with such a word or the letter's, its copy's, a system's
//     or a file's name in the four words after it ("…: not on the system
//     yet", "…: no copy on file": review 119a; "No known drug allergies",
//     "No change to regular medication", "IDL: Not for CPR" are the
//     letter's own lines: reviews 118a, 120a); unless "received" stands
//     beside the name, when the letter is here whatever was said of it
//     ("Chased and now received - Discharge summary, …").
func noteHeading(s string) bool {
	if len(strings.TrimSpace(s)) < longQuote {
		return false
	}
	ws := noteWords(s, 16)
	status := func(k int) bool {
		if k < 0 || k >= len(ws) || !noteStatus[ws[k].w] || noteReceived[ws[k].w] {
			return false
		}
		if ws[k].w != "no" && ws[k].w != "not" {
			return true
		}
		for j := k + 1; j < min(len(ws), k+5); j++ {
			if noteStatus[ws[j].w] && ws[j].w != "no" && ws[j].w != "not" || noteAbsent[ws[j].w] {
				return true
			}
		}
		return false
	}
	for a := 0; a < min(5, len(ws)); a++ {
	names:
		for _, name := range headingNames {
			if !wordsAt(ws, a, name) {
				continue
			}
			b := a + len(name)
			rest := strings.TrimLeft(s[ws[b-1].to:], " \t\u00a0")
			r, _ := utf8.DecodeRuneInString(rest)
			here := false
			for k := max(0, a-4); k < min(len(ws), b+2); k++ {
				here = here || noteReceived[ws[k].w]
			}
			if rest != "" && !strings.ContainsRune(",:;.-\u2013\u2014\n\r(/*", r) && !(b < len(ws) && noteReceived[ws[b].w]) {
				continue
			}
			heading := noteWords(s[:headingEnd(s, ws[b-1].to)], 0)
			hospice := false
			for _, w := range heading {
				hospice = hospice || w.w == "hospice"
			}
			for k, w := range heading {
				if socialWords[w.w] && !hospice && (k < 12 || !kinWords[w.w]) || !here && k < a && status(k) {
					continue names
				}
			}
			if !here && (status(a-1) || status(a-2) || status(b) || status(b+1)) {
				continue
			}
			return true
		}
	}
	return false
}

// headingEnd is where the heading that a letter's name ending at i
// begins ends: at the first colon, semicolon, full stop (not a "St." or
// "Dr."), line break or spaced dash after it (a comma or a bracket goes
// on: "Discharge summary, reablement team - …").
func headingEnd(s string, i int) int {
	for j, r := range s[i:] {
		switch r {
		case '.':
			// (the last word before the stop, from at most 4 bytes back:
			// "St" and "Mrs" whole, a longer word cut)
			if w := noteWords(s[max(i, i+j-4):i+j], 0); len(w) > 0 && titleWords[w[len(w)-1].w] {
				continue
			}
			return i + j
		case ':', ';', '\n', '\r', '\u2013', '\u2014':
			return i + j
		case '-':
			if j == 0 || s[i+j-1] == ' ' || i+j+1 < len(s) && s[i+j+1] == ' ' {
				return i + j
			}
		}
	}
	return len(s)
}

// A noteWord is a lower-cased word of a text and where it stands.
type noteWord struct {
	w        string
	from, to int
}

// noteWords are text's first limit words (all when limit is 0): letters,
// digits and '&', read as runes (review 118a: a non-breaking space copied
// from a letter split no word, "Discharge\u00a0Summary" named nothing).
func noteWords(text string, limit int) []noteWord {
	var ws []noteWord
	from := -1
	for i, r := range text {
		in := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '&'
		if in && from < 0 {
			from = i
		}
		if !in && from >= 0 {
			ws = append(ws, noteWord{strings.ToLower(text[from:i]), from, i})
			from = -1
			if limit > 0 && len(ws) >= limit {
				return ws
			}
		}
	}
	if from >= 0 {
		ws = append(ws, noteWord{strings.ToLower(text[from:]), from, len(text)})
	}
	return ws
}

// wordsAt reports whether name's words stand in ws from a.
func wordsAt(ws []noteWord, a int, name []string) bool {
	if a+len(name) > len(ws) {
		return false
	}
	for k, w := range name {
		if ws[a+k].w != w {
			return false
		}
	}
	return true
}

// namesNote reports whether text, an input's type, names a clinical note
// or letter (typeNames) in words that name no social care (socialWords),
// with no status word (noteStatus; when long, "received" is none) in the
// two words before it or the word after it (a word saying the letter is
// absent makes a checklist item at any length; "received" only in a
// line: review 115a, a long answer under "GP letter requested" was
// withheld).
func namesNote(text string, long bool) bool {
	ws := noteWords(text, 0)
	for _, w := range ws {
		if socialWords[w.w] {
			return false
		}
	}
	status := func(k int) bool {
		return k >= 0 && k < len(ws) && noteStatus[ws[k].w] && (!long || !noteReceived[ws[k].w])
	}
	for a := range ws {
		for _, name := range typeNames {
			if !wordsAt(ws, a, name) {
				continue
			}
			b := a + len(name)
			here := false
			for k := max(0, a-4); long && k < min(len(ws), b+2); k++ {
				here = here || noteReceived[ws[k].w]
			}
			if here || !(status(a-1) || status(a-2) || status(b)) {
				return true
			}
		}
	}
	return false
}

// loincNotes and snomedNotes are the codes of clinical notes and letters
// a Task's input may be typed with; typeNames the words that name one,
// headingNames those that head a hospital's letter (review 114a: its
// everyday names, "eDischarge", "Inpatient summary", reached the nurse),
// socialWords those that make a note's name a social worker's, and
// noteStatus those that make a mention of one a checklist item about it
// (noteReceived: only in a line, review 115a). "Transfer of care",
// "TTO" and "discharge medication" head a council's own arrangements as
// often as a hospital's letter (review 115a: its care plan "Transfer of
// care: package restarts Monday", its message "TTO: please can the
// district nurse check Mum has her tablets" were withheld from the
// nurse): not headings; nor "Transfer summary", "Discharge notification"
// (the Care Act's notice to social care), "Immediate discharge" and
// "Hospital letter" (review 116a: a case transfer, the notice, an
// appointment's arrangements were withheld). "Referral letter" is a
// council's to a care provider as often (review 116a): no note's name.
var (
	loincNotes  = loincNoteCodes()
	snomedNotes = map[string]bool{"373942005": true, "371531000": true, "371529009": true, "371530004": true, "371525003": true,
		"4241000179101": true, "422735006": true, "371535009": true}
	headingNames = splitNames("discharge summary", "discharge letter", "discharge document", "edischarge",
		"edischarge summary", "e discharge", "d c summary", "idl", "inpatient summary", "operation note", "operative note",
		"clinical letter", "consultant letter", "specialist letter")
	typeNames = append(splitNames("clinic letter", "outpatient letter", "consultation note", "consult note", "progress note",
		"gp letter", "clinical summary", "clinical note", "clinical notes", "medical notes", "hospital notes", "hospital letter",
		"discharge notification", "transfer summary"),
		headingNames...)
	socialWords = map[string]bool{"social": true, "council": true, "family": true, "carer": true, "carers": true,
		"housing": true, "safeguarding": true, "reablement": true, "ablement": true, "enablement": true, "asc": true,
		"respite": true, "homecare": true, "domiciliary": true, "provider": true, "brokerage": true}
	noteStatus = map[string]bool{"received": true, "receive": true, "requested": true, "request": true, "requesting": true,
		"requests": true, "awaited": true, "awaiting": true, "await": true, "pending": true, "outstanding": true, "chase": true,
		"chased": true, "chasing": true, "sent": true, "send": true, "sending": true, "due": true, "needed": true, "need": true,
		"required": true, "follow": true, "no": true, "not": true, "missing": true, "expected": true, "asked": true, "ask": true,
		"yet": true, "none": true, "will": true, "emailed": true, "posted": true, "faxed": true}
	noteReceived = map[string]bool{"received": true, "receive": true}
	// noteAbsent: a "no" or "not" before these says the letter is absent
	// ("not on the system yet", "no copy on file": review 119a), where
	// otherwise it is a letter's own line ("No known drug allergies",
	// "Not weight bearing": reviews 118a, 120a)
	noteAbsent = map[string]bool{"copy": true, "copies": true, "letter": true, "summary": true, "system": true,
		"file": true, "record": true, "sight": true, "trace": true}
	// kinWords are the social care words that name a person, not a
	// service: past a heading's twelfth word a ward's letter names them
	// too ("discharged home with family": review 120a)
	kinWords = map[string]bool{"family": true, "carer": true, "carers": true}
	// titleWords: a full stop after these ends no heading ("St. Gemma's
	// Hospice": review 119a)
	titleWords = map[string]bool{"st": true, "dr": true, "mr": true, "mrs": true, "ms": true}
)

// loincNotesTxt is LOINC's document ontology's codes of clinical notes,
// summaries, letters and reports (review 113a: a discharge summary under
// LOINC 34105-7 "Hospital Discharge summary" or 11490-0 "Physician
// Discharge summary" reached the district nurse, where under 18842-5 it
// did not): the file says which are left out (a social worker's notes
// are social care's).
//
//go:embed loinc_notes.txt
var loincNotesTxt string

func loincNoteCodes() map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(loincNotesTxt, "\n") {
		if code, _, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
			out[code] = true
		}
	}
	return out
}

func splitNames(names ...string) [][]string {
	out := make([][]string, len(names))
	for i, n := range names {
		out[i] = strings.Fields(n)
	}
	return out
}

// taskResult reports whether a Task has an input or output that is a
// result:
//   - a measurement under any code: a Quantity (or a Range's or Ratio's)
//     in a unit of measurement, not of time, frequency or money (review
//     104a: an HbA1c under SNOMED CT, as GP systems code results, reached
//     the social worker; a council's hours of care a week are none), or
//     SampledData;
//   - under LOINC, any number too (decimal, integer, positiveInt,
//     unsignedInt: review 104a, platelets as a positiveInt), and words
//     giving a number and its unit ("86 mmol/mol") in a string or a
//     concept's text (review 104a: a council's copy of the HbA1c);
//   - and, for an NHS Task (not measured), a coded or yes/no value under
//     LOINC, or a short answer in words: a number in a few words ("HbA1c
//     86") or a finding ("Detected") (reviews 102a, 104a, 107a).
//
// LOINC names questions and notes too: a council's housing status
// answered from LOINC's list, a plan of care in words ("2x weekly; carers
// 4 visits a day": review 104a withheld it), a link to a questionnaire are
// none (review 103a).
func taskResult(res map[string]any, measured bool) bool {
	found := false
	for _, el := range []string{"input", "output"} {
		walk(res[el], nil, func(v any) {
			m, ok := v.(map[string]any)
			if !ok || found {
				return
			}
			loinc := loincCoded(m["type"])
			if q, ok := m["valueQuantity"].(map[string]any); ok && (loinc || measuredUnit(q)) {
				found = true
			}
			if r, ok := m["valueRange"].(map[string]any); ok {
				lo, _ := r["low"].(map[string]any)
				hi, _ := r["high"].(map[string]any)
				found = found || loinc || measuredUnit(lo) || measuredUnit(hi)
			}
			if r, ok := m["valueRatio"].(map[string]any); ok {
				n, _ := r["numerator"].(map[string]any)
				d, _ := r["denominator"].(map[string]any)
				found = found || loinc || measuredUnit(n) || measuredUnit(d)
			}
			found = found || m["valueSampledData"] != nil
			if !loinc {
				return
			}
			for _, k := range []string{"valueDecimal", "valueInteger", "valuePositiveInt", "valueUnsignedInt"} {
				found = found || m[k] != nil
			}
			str, _ := m["valueString"].(string)
			cc, _ := m["valueCodeableConcept"].(map[string]any)
			ccText, _ := cc["text"].(string)
			found = found || numberWithUnit(str) || numberWithUnit(ccText)
			if !measured {
				// (a yes or no too, failing closed: carex cannot tell a
				// PCR result, LOINC's, from LOINC's "lives alone" —
				// reviews 106a, 107a)
				found = found || m["valueCodeableConcept"] != nil || m["valueCoding"] != nil || m["valueBoolean"] != nil || shortAnswer(str)
			}
		})
	}
	return found
}

// measuredUnit reports whether Quantity q is in a unit a measurement is
// given in. Any unit is, failing closed (review 107a: a list of units of
// measure missed uIU/mL, ×10⁹/L, [lb_av] and [pH]), but one whose words
// are all a count's, a score's, an age's, a time's, a frequency's or
// money's: "1", "{visits}", "carers", "calls per day", "h/wk", "yrs old",
// "score", "GBP", and a care plan's doses, steps and distances,
// "tablets", "units", "falls", "miles" (reviews 106a, 108a: those withheld
// an assessment from the nurse and the social worker). A rate per minute
// or second is a measurement (a pulse, "/min", "per minute"), and so is a
// weight in pounds (review 108a: money is "GBP" or "£"). A Quantity with
// no unit is none.
func measuredUnit(q map[string]any) bool {
	if q == nil {
		return false
	}
	u, _ := q["code"].(string)
	if u == "" {
		u, _ = q["unit"].(string)
	}
	u = strings.ToLower(strings.TrimSpace(u))
	if u == "" || u == "1" {
		return false
	}
	if _, per, ok := strings.Cut(u, "/"); ok {
		switch strings.Trim(per, "{}[] ") {
		case "min", "s", "sec", "minute", "second":
			return true
		}
	}
	ws := perWeekOrMonth(strings.FieldsFunc(u, func(r rune) bool { return !unicode.IsLetter(r) }))
	words := 0
	for i, w := range ws {
		if !careWord[w] {
			return true
		}
		if w == "per" && i+1 < len(ws) {
			switch ws[i+1] {
			case "min", "minute", "s", "sec", "second":
				return true // a rate per minute in words (review 108a)
			}
		}
		words++
	}
	// no word: a count ("1") is none, a proportion or power ("%", "10*9")
	// is one
	return words == 0 && strings.ContainsAny(u, "%*^")
}

// careWord are the words of a care plan's counts and amounts: people and
// visits, scores and ages, doses, steps and distances, times and
// frequencies (a prescription's too: "bd", "tds", "nocte"), money.
var careWord = map[string]bool{}

// perWeekOrMonth joins the letters of "p/w", "p.w.", "p/wk" and "p.c.m."
// into the words "pw" and "pcm" (review 110a: "hrs p/w" was read as a
// unit of "p" and "w").
func perWeekOrMonth(ws []string) []string {
	out := ws[:0]
	for i := 0; i < len(ws); i++ {
		switch {
		case ws[i] == "p" && i+1 < len(ws) && (ws[i+1] == "w" || ws[i+1] == "wk"):
			out = append(out, "pw")
			i++
		case ws[i] == "p" && i+2 < len(ws) && ws[i+1] == "c" && ws[i+2] == "m":
			out = append(out, "pcm")
			i += 2
		default:
			out = append(out, ws[i])
		}
	}
	return out
}

func init() {
	for _, w := range strings.Fields(`carer carers visit visits call calls session sessions person persons people
		time times episode episodes meal meals item items occasion occasions staff worker workers
		score scores point points pts age old
		tablet tablets tab tabs capsule capsules dose doses puff puffs drop drops sachet sachets patch patches
		spray sprays application applications injection injections unit units
		step steps stair stairs fall falls night nights mile miles x
		s sec secs second seconds min mins minute minutes h hr hrs hour hours d day days wk wks week weeks
		mo mos month months a y yr yrs year years per each a an
		pw pcm daily weekly fortnight fortnights fortnightly monthly hourly nightly annually calendar
		od bd bid tds tid qds qid nocte mane prn
		gbp p pence`) {
		careWord[w] = true
	}
}

// numberWithUnit reports whether text gives a number followed by a unit of
// measurement ("86 mmol/mol", "7.2%", "4.5 x10^9/L", "120/80 mmHg").
func numberWithUnit(text string) bool {
	t := strings.ToLower(text)
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' || i > 0 && isWordByte(t[i-1]) {
			continue
		}
		j := i
		for j < len(t) && (t[j] >= '0' && t[j] <= '9' || t[j] == '.' || t[j] == ',' || t[j] == '/') {
			j++
		}
		for j < len(t) && t[j] == ' ' {
			j++
		}
		k := j
		for k < len(t) && (isWordByte(t[k]) || t[k] == '%' || t[k] == '^' || t[k] == 0xc2 || t[k] == 0xb5 || t[k] == 0xce || t[k] == 0xbc) {
			k++
		}
		if resultUnit(t[j:k]) {
			return true
		}
		i = k
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// resultUnit reports whether w opens with a unit a result is given in.
func resultUnit(w string) bool {
	if strings.HasPrefix(w, "%") || strings.HasPrefix(w, "x10") {
		return true
	}
	for _, u := range []string{"mmol", "umol", "µmol", "μmol", "nmol", "pmol", "mol", "mg", "mcg", "ug", "µg", "μg", "ng", "pg", "g", "kg",
		"ml", "dl", "l", "mmhg", "kpa", "bpm", "iu", "miu", "mu", "u", "meq", "fl", "cm", "mm", "copies", "cells"} {
		if rest, ok := strings.CutPrefix(w, u); ok && (rest == "" || rest[0] < 'a' || rest[0] > 'z') {
			return true
		}
	}
	return false
}

// shortAnswer reports whether words are a result's short answer: a number
// in at most three words ("HbA1c 86"), or a finding ("Detected", "Not
// detected", "Positive"); not a plan or a reason in words.
func shortAnswer(s string) bool {
	t := strings.ToLower(strings.Trim(strings.TrimSpace(s), ".!"))
	switch t {
	case "detected", "not detected", "positive", "negative", "reactive", "non-reactive", "non reactive",
		"normal", "abnormal", "high", "low", "equivocal", "indeterminate", "inconclusive":
		return true
	}
	if !strings.ContainsAny(t, "0123456789") {
		return false
	}
	words, run := 0, 0
	for i := 0; i <= len(t); i++ {
		if i < len(t) && (t[i] >= 'a' && t[i] <= 'z' || t[i] >= 0x80) {
			run++
			continue
		}
		if run >= 2 {
			words++
		}
		run = 0
	}
	return words <= 3
}

// loincCoded reports whether a CodeableConcept has a coding under LOINC.
func loincCoded(cc any) bool {
	found := false
	walk(cc, []step{{name: "coding"}}, func(c any) {
		if cm, ok := c.(map[string]any); ok {
			sys, _ := cm["system"].(string)
			found = found || loincSystem(sys)
		}
	})
	return found
}

// loincSystem reports whether sys names LOINC: its url (http or https,
// a trailing slash, any case) or its OID.
func loincSystem(sys string) bool {
	s := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(sys), "/"))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://")
	return s == "loinc.org" || s == "www.loinc.org" || s == "urn:oid:2.16.840.1.113883.6.1" || s == "2.16.840.1.113883.6.1"
}

// CouncilCode reports whether org is the code of an English or Welsh local
// authority with social services (ONS GSS: E06 unitary authorities, E08
// metropolitan districts, E09 London boroughs, E10 counties; W06 Welsh
// unitary authorities), the council form of a token's org claim.
func CouncilCode(org string) bool { return councilCode.MatchString(org) }

var councilCode = regexp.MustCompile(`^(E0[689]|E10|W06)[0-9]{6}$`)
