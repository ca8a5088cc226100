package api_test

import (
	"context"
	"strings"
	"testing"
)

// TestDenyByCodeCoversTheItemsOtherCodes: Jane asks that her diabetes is
// not shared: a deny by its SNOMED CT code. FHIR says of
// Consent.provision.code "if this code is found in an instance, the rule
// applies", and a careful user expects the prescription given for her
// diabetes, and the consultation about it, to stay with it. Only items
// whose main code was diabetes were withheld: the hospital clinician read
// the metformin prescription whose reasonCode was diabetes, the Encounter
// for it, and a CarePlan whose addresses held a contained diabetes
// Condition. A deny now also matches an item's other codings
// of a clinical code system; a permit still matches only the main code
// (a consultation about asthma is not "my asthma records").
func TestDenyByCodeCoversTheItemsOtherCodes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const diabetes = `{"system":"http://snomed.info/sct","code":"44054006","display":"Type 2 diabetes mellitus"}`
	const asthma = `{"system":"http://snomed.info/sct","code":"195967001"}`
	e.putAll(t, gpSys,
		[2]string{"/fhir/MedicationRequest/metformin", `{"resourceType":"MedicationRequest","id":"metformin","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"325278007"}]},"reasonCode":[{"coding":[` + diabetes + `]}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Encounter/review", `{"resourceType":"Encounter","id":"review","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"reasonCode":[{"coding":[` + diabetes + `]}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/CarePlan/diabetes", `{"resourceType":"CarePlan","id":"diabetes","status":"active","intent":"plan","contained":[{"resourceType":"Condition","id":"c","code":{"coding":[` + diabetes + `]},"subject":{"reference":"Patient/jane"}}],"addresses":[{"reference":"#c"}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/MedicationRequest/inhaler", `{"resourceType":"MedicationRequest","id":"inhaler","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"39720311000001101"}]},"reasonCode":[{"coding":[` + asthma + `]}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Consent/no-diabetes", janeConsent("no-diabetes", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","code":[{"coding":[`+diabetes+`]}]}`)})
	for _, p := range []string{"/fhir/MedicationRequest/metformin", "/fhir/Encounter/review", "/fhir/CarePlan/diabetes"} {
		if r := e.do("GET", p, hosp, ""); r.status != 404 {
			t.Errorf("Jane's deny of her diabetes by its code: the hospital clinician reads %s (%d)", p, r.status)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	for _, id := range []string{`"id":"metformin"`, `"id":"review"`, `"id":"diabetes"`} {
		if r.status != 200 || strings.Contains(r.body, id) {
			t.Errorf("$everything released %s: %d", id, r.status)
		}
	}
	if r := e.do("GET", "/fhir/MedicationRequest/inhaler", hosp, ""); r.status != 200 {
		t.Errorf("a prescription for another reason withheld: %d", r.status)
	}
	if r := e.do("GET", "/fhir/MedicationRequest/metformin", gpSys, ""); r.status != 200 {
		t.Errorf("the source no longer reads its own prescription: %d", r.status)
	}

	// Stored by a release before other codes were kept: withheld again
	// once carex relabel has worked them out.
	for _, q := range []string{
		`UPDATE versions SET codes = 'http://snomed.info/sct|325278007' WHERE rid IN (SELECT rid FROM resources WHERE type = 'MedicationRequest' AND id = 'metformin')`,
		`UPDATE resources SET codes = 'http://snomed.info/sct|325278007' WHERE type = 'MedicationRequest' AND id = 'metformin'`,
	} {
		if _, err := e.db.Writer().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.do("GET", "/fhir/MedicationRequest/metformin", hosp, ""); r.status != 200 {
		t.Fatalf("premise: stored without its other codes, the prescription is released: %d", r.status)
	}
	if st, err := e.api.Relabel(context.Background()); err != nil || st.Changed != 1 {
		t.Errorf("relabel: %+v %v; want the one version changed", st, err)
	}
	if r := e.do("GET", "/fhir/MedicationRequest/metformin", hosp, ""); r.status != 404 {
		t.Errorf("after relabel, the prescription for diabetes: %d", r.status)
	}

	// A permit matches the main code only: Jane opts out but lets her
	// asthma diagnoses be shared; the inhaler prescribed for asthma is not
	// an asthma diagnosis and stays withheld.
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/asthma", `{"resourceType":"Condition","id":"asthma","code":{"coding":[` + asthma + `]},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Consent/no-diabetes", janeConsent("no-diabetes", "2026-01-11", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","code":[{"coding":[`+asthma+`]}]}]}`)})
	if r := e.do("GET", "/fhir/Condition/asthma", hosp, ""); r.status != 200 {
		t.Errorf("the permit of asthma withholds the asthma diagnosis: %d", r.status)
	}
	if r := e.do("GET", "/fhir/MedicationRequest/inhaler", hosp, ""); r.status != 404 {
		t.Errorf("the permit of asthma released a prescription whose reason is asthma: %d", r.status)
	}
}

// TestDenyByICD10CodeCoversAReason: ICD-10 and the other code systems HL7
// names under http://hl7.org/fhir/sid/ are clinical codes, not FHIR's own:
// a hospital's Encounter whose reasonCode is ICD-10 E11 (type 2 diabetes)
// is covered by Jane's deny of E11, as a SNOMED CT reason is. The first
// cut of other codes dropped every system under http://hl7.org/fhir/, and
// this Encounter went to the district nurse's trust.
func TestDenyByICD10CodeCoversAReason(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const e11 = `{"system":"http://hl7.org/fhir/sid/icd-10","code":"E11"}`
	e.putAll(t, gpSys,
		[2]string{"/fhir/Encounter/dm-review", `{"resourceType":"Encounter","id":"dm-review","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"reasonCode":[{"coding":[` + e11 + `]}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Encounter/other", `{"resourceType":"Encounter","id":"other","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"reasonCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"J45"}]}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Consent/no-e11", janeConsent("no-e11", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","code":[{"coding":[`+e11+`]}]}`)})
	if r := e.do("GET", "/fhir/Encounter/dm-review", hosp, ""); r.status != 404 {
		t.Errorf("Jane's deny of ICD-10 E11: the hospital clinician reads the Encounter for it (%d)", r.status)
	}
	if r := e.do("GET", "/fhir/Encounter/other", hosp, ""); r.status != 200 {
		t.Errorf("an Encounter for another reason withheld: %d", r.status)
	}
}
