package search

import (
	"sort"
	"strings"
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
