package api_test

import (
	"strings"
	"testing"
)

// compartmentItems25 are one item about Jane of each patient-compartment
// type that had no search parameters before schema 17, with the
// parameter that finds it by her.
var compartmentItems25 = []struct{ path, body, param string }{
	{"AdverseEvent/ae", `{"resourceType":"AdverseEvent","id":"ae","actuality":"actual","subject":{"reference":"Patient/jane"},"date":"2026-11-01","event":{"text":"ITEM-AE"}}`, "subject=Patient/jane&actuality=actual&date=2026-11-01"},
	{"Basic/b", `{"resourceType":"Basic","id":"b","code":{"text":"ITEM-BASIC"},"subject":{"reference":"Patient/jane"},"created":"2026-11-01"}`, "patient=jane&created=2026-11-01"},
	{"BodyStructure/bs", `{"resourceType":"BodyStructure","id":"bs","patient":{"reference":"Patient/jane"},"description":"ITEM-BS","location":{"coding":[{"system":"http://snomed.info/sct","code":"66480008"}]}}`, "patient=jane&location=66480008"},
	{"ChargeItem/ci", `{"resourceType":"ChargeItem","id":"ci","status":"billable","code":{"text":"ITEM-CI"},"subject":{"reference":"Patient/jane"},"enteredDate":"2026-11-01T10:00:00Z"}`, "patient=jane&entered-date=2026-11-01"},
	{"ClinicalImpression/cli", `{"resourceType":"ClinicalImpression","id":"cli","status":"completed","subject":{"reference":"Patient/jane"},"summary":"ITEM-CLI","date":"2026-11-01"}`, "patient=jane&status=completed"},
	{"CoverageEligibilityRequest/cer", `{"resourceType":"CoverageEligibilityRequest","id":"cer","status":"active","purpose":["validation"],"patient":{"reference":"Patient/jane"},"created":"2026-11-01","insurer":{"display":"ITEM-CER"}}`, "patient=jane&created=2026-11-01"},
	{"CoverageEligibilityResponse/cers", `{"resourceType":"CoverageEligibilityResponse","id":"cers","status":"active","purpose":["validation"],"patient":{"reference":"Patient/jane"},"created":"2026-11-01","request":{"reference":"CoverageEligibilityRequest/cer"},"outcome":"complete","insurer":{"display":"ITEM-CERS"}}`, "patient=jane&outcome=complete"},
	{"DetectedIssue/di", `{"resourceType":"DetectedIssue","id":"di","status":"final","patient":{"reference":"Patient/jane"},"detail":"ITEM-DI","identifiedDateTime":"2026-11-01"}`, "patient=jane&identified=2026-11-01"},
	{"DeviceRequest/dr", `{"resourceType":"DeviceRequest","id":"dr","status":"active","intent":"order","codeCodeableConcept":{"text":"ITEM-DR","coding":[{"system":"http://snomed.info/sct","code":"58938008"}]},"subject":{"reference":"Patient/jane"}}`, "patient=jane&code=58938008&intent=order"},
	{"DeviceUseStatement/dus", `{"resourceType":"DeviceUseStatement","id":"dus","status":"active","subject":{"reference":"Patient/jane"},"device":{"reference":"Device/d1","display":"ITEM-DUS"}}`, "patient=jane&device=Device/d1"},
	{"DocumentManifest/dm", `{"resourceType":"DocumentManifest","id":"dm","status":"current","subject":{"reference":"Patient/jane"},"description":"ITEM-DM","content":[{"reference":"DocumentReference/doc1"}]}`, "patient=jane&item=DocumentReference/doc1"},
	{"EnrollmentRequest/er", `{"resourceType":"EnrollmentRequest","id":"er","status":"active","candidate":{"reference":"Patient/jane","display":"ITEM-ER"}}`, "patient=jane&status=active"},
	{"FamilyMemberHistory/fmh", `{"resourceType":"FamilyMemberHistory","id":"fmh","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"ITEM-FMH","coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"MTH"}]}}`, "patient=jane&relationship=MTH"},
	{"ImmunizationEvaluation/ie", `{"resourceType":"ImmunizationEvaluation","id":"ie","status":"completed","patient":{"reference":"Patient/jane"},"targetDisease":{"text":"ITEM-IE"},"immunizationEvent":{"reference":"Immunization/imm1"},"doseStatus":{"coding":[{"code":"valid"}]}}`, "patient=jane&immunization-event=Immunization/imm1"},
	{"List/l", `{"resourceType":"List","id":"l","status":"current","mode":"working","title":"ITEM-LIST","subject":{"reference":"Patient/jane"},"entry":[{"item":{"reference":"Condition/diabetes"}}]}`, "patient=jane&item=Condition/diabetes"},
	{"MeasureReport/mr", `{"resourceType":"MeasureReport","id":"mr","status":"complete","type":"individual","measure":"https://example.org/Measure/ITEM-MR","subject":{"reference":"Patient/jane"},"period":{"start":"2026-01-01","end":"2026-06-30"}}`, "patient=jane&period=ge2026-03-01"},
	{"MolecularSequence/ms", `{"resourceType":"MolecularSequence","id":"ms","type":"dna","coordinateSystem":0,"patient":{"reference":"Patient/jane","display":"ITEM-MS"}}`, "patient=jane&type=dna"},
	{"NutritionOrder/no", `{"resourceType":"NutritionOrder","id":"no","status":"active","intent":"order","patient":{"reference":"Patient/jane"},"dateTime":"2026-11-01","oralDiet":{"type":[{"text":"ITEM-NO"}]}}`, "patient=jane&datetime=2026-11-01"},
	{"Person/per", `{"resourceType":"Person","id":"per","name":[{"family":"ITEM-PERSON"}],"link":[{"target":{"reference":"Patient/jane"}}]}`, "patient=jane&name=item-person"},
	{"RequestGroup/rg", `{"resourceType":"RequestGroup","id":"rg","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"note":[{"text":"ITEM-RG"}]}`, "patient=jane&intent=plan"},
	{"ResearchSubject/rs", `{"resourceType":"ResearchSubject","id":"rs","status":"on-study","study":{"reference":"ResearchStudy/st1","display":"ITEM-RS"},"individual":{"reference":"Patient/jane"}}`, "patient=jane&study=ResearchStudy/st1"},
	{"RiskAssessment/ra", `{"resourceType":"RiskAssessment","id":"ra","status":"final","subject":{"reference":"Patient/jane"},"occurrenceDateTime":"2026-11-01","mitigation":"ITEM-RA"}`, "patient=jane&date=2026-11-01"},
	{"SupplyDelivery/sd", `{"resourceType":"SupplyDelivery","id":"sd","status":"completed","patient":{"reference":"Patient/jane"},"suppliedItem":{"itemCodeableConcept":{"text":"ITEM-SD"}}}`, "patient=jane&status=completed"},
	{"SupplyRequest/sr", `{"resourceType":"SupplyRequest","id":"sr","status":"active","itemCodeableConcept":{"text":"ITEM-SR"},"quantity":{"value":1},"requester":{"reference":"Patient/jane"}}`, "requester=Patient/jane&status=active"},
	{"VisionPrescription/vp", `{"resourceType":"VisionPrescription","id":"vp","status":"active","created":"2026-11-01","patient":{"reference":"Patient/jane"},"dateWritten":"2026-11-01","prescriber":{"display":"ITEM-VP"},"lensSpecification":[{"product":{"text":"lens"},"eye":"right"}]}`, "patient=jane&datewritten=2026-11-01"},
}

// TestCompartmentTypesSearchByPatient: each of the patient compartment's
// types is found by the person it is about (before schema 17, 25 had no
// search parameters: Basic?patient= was a 400), and a search releases an
// item exactly where a read of it does: to the practice that wrote it, and
// not to a reader its sharing decision withholds it from.
func TestCompartmentTypesSearchByPatient(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	for _, it := range compartmentItems25 {
		e.putAll(t, gpSystem, [2]string{"/fhir/" + it.path, it.body})
	}
	readers := map[string]string{
		"gp":             e.token("gp", "nhs", "A81001"),
		"district nurse": e.token("district-nurse", "nhs", "RCX"),
		"social worker":  e.token("social-worker", "council", "E06000999"),
		"council system": e.token("system", "council", "E06000999"),
	}
	for _, it := range compartmentItems25 {
		typ, id, _ := strings.Cut(it.path, "/")
		for name, tok := range readers {
			read := e.do("GET", "/fhir/"+it.path, tok, "")
			r := e.do("GET", "/fhir/"+typ+"?"+it.param, tok, "")
			if r.status != 200 {
				t.Errorf("%s: %s?%s: %d %.300s", name, typ, it.param, r.status, r.body)
				continue
			}
			found := strings.Contains(r.body, `"id":"`+id+`"`)
			if found != (read.status == 200) {
				t.Errorf("%s: %s?%s found it: %v; a read of it: %d\n%.400s", name, typ, it.param, found, read.status, r.body)
			}
			if name == "gp" && !found {
				t.Errorf("the practice's GP: %s?%s did not find its own item: %.400s", typ, it.param, r.body)
			}
			if !found && strings.Contains(r.body, "ITEM-") {
				t.Errorf("%s: %s?%s: withheld content in the answer: %.400s", name, typ, it.param, r.body)
			}
		}
	}
	// What the parameters list is what the server says it supports.
	meta := e.do("GET", "/fhir/metadata", "", "")
	for _, want := range []string{`"type":"FamilyMemberHistory"`, `"name":"relationship"`, `"type":"VisionPrescription"`} {
		if !strings.Contains(meta.body, want) {
			t.Errorf("metadata lacks %s", want)
		}
	}
}
