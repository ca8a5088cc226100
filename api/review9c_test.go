package api_test

// Review 9c: the FHIR forms a real Consent arrives in (a GP system, the
// NHS App, a council system) against what the engine decides from it.
// Each test was seen failing before its fix.

import (
	"strings"
	"testing"
)

// TestReview9cDenyNamingAnOrganisationByItsStoredID: the hospital's
// Organization is stored under an id of its own (as a feed that POSTs it,
// or a transaction resolving a conditional reference, leaves it), with its
// ODS code RHX as identifier. Jane objects to the hospital; her GP system
// names it the FHIR way, by the reference it knows: Organization/<id>.
// carex compares actor references with the user's ODS code only, so the
// Consent was stored (201) and never applied: the hospital clinician read
// her GP record; a permit naming it so, as the one exception to a deny,
// withheld what she shared with it. A reference carex cannot match to a
// user is refused (422 naming the element and the code to send instead),
// for each place a Consent names an organisation, and for a Practitioner
// stored under another id than the SDS user id.
func TestReview9cDenyNamingAnOrganisationByItsStoredID(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, hospSys, [2]string{"/fhir/Practitioner/9a1d-dr-ward", `{"resourceType":"Practitioner","id":"9a1d-dr-ward","identifier":[{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"hospital-clinician-user"}],"name":[{"family":"Ward"}]}`})
	e.putAll(t, hospSys, [2]string{"/fhir/Organization/5f0c2a9e-hosp", `{"resourceType":"Organization","id":"5f0c2a9e-hosp","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}],"name":"Riverside Hospital"}`})
	const ref = `"reference":{"reference":"Organization/5f0c2a9e-hosp"}`
	ircp := `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},` + ref + `}`
	gp := e.token("gp", "nhs", "A81001")
	cases := []struct {
		name, prov, element string
		reader              string // token
		path                string
		want                int // what the reader gets, as the person asked
	}{
		{"deny to the hospital", `{"type":"deny","actor":[` + ircp + `]}`, "provision.actor[0].reference", hosp, "/fhir/Condition/diabetes", 404},
		{"deny to the hospital by absolute reference", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"https://carex.example/fhir/Organization/5f0c2a9e-hosp"}}]}`, "provision.actor[0].reference", hosp, "/fhir/Condition/diabetes", 404},
		{"deny to Dr Ward", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Practitioner/9a1d-dr-ward"}}]}`, "provision.actor[0].reference", hosp, "/fhir/Condition/diabetes", 404},
		{"deny to the hospital's clinicians", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"hospital-clinician"}]},` + ref + `}]}`, "provision.actor[0].reference", hosp, "/fhir/Condition/diabetes", 404},
		{"diagnoses to no one but the hospital", `{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Condition"}],"provision":[{"type":"permit","actor":[` + ircp + `]}]}`, "provision.provision[0].actor[0].reference", hosp, "/fhir/Condition/diabetes", 200},
		{"deny of the hospital's data (custodian)", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"CST"}]},` + ref + `}]}`, "provision.actor[0].reference", gp, "/fhir/Encounter/admission", 404},
		{"deny of the hospital's data (authoredby)", `{"type":"deny","data":[{"meaning":"authoredby",` + ref + `}]}`, "provision.data[0].reference", gp, "/fhir/Encounter/admission", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", "/fhir/Consent/jane-choice", gpSys, janeConsent("jane-choice", "2026-01-10", "OPTIN", `,"provision":`+tc.prov))
			defer e.do("DELETE", "/fhir/Consent/jane-choice", gpSys, "")
			if r.status == 422 {
				if !strings.Contains(r.body, "Consent."+tc.element) || !strings.Contains(r.body, "value RHX") && !strings.Contains(r.body, "value hospital-clinician-user") {
					t.Errorf("422 does not name %s and the code to send: %s", tc.element, r.body)
				}
				return
			}
			if r.status != 201 {
				t.Fatalf("write: %d %s", r.status, r.body)
			}
			if r := e.do("GET", tc.path, tc.reader, ""); r.status != tc.want {
				t.Errorf("Jane's consent naming the hospital as Organization/5f0c2a9e-hosp was stored (201) and misapplied: GET %s answers %d, she asked for %d", tc.path, r.status, tc.want)
			}
		})
	}
	// Naming it by its ODS code, by reference or identifier, is accepted.
	for _, ok := range []string{`"reference":{"reference":"Organization/RHX"}`, `"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}}`} {
		r := e.do("PUT", "/fhir/Consent/no-hosp-ods", gpSys, janeConsent("no-hosp-ods", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},`+ok+`}]}`))
		if r.status != 201 && r.status != 200 {
			t.Errorf("%s: %d %s", ok, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 {
			t.Errorf("%s: the hospital reads the diagnosis (%d)", ok, r.status)
		}
		e.do("DELETE", "/fhir/Consent/no-hosp-ods", gpSys, "")
	}
}

// TestReview9cDataPeriodDenyWithholdsThePerson: Jane asks that her records
// from 2015 (a year she spent in a mental health unit) are not shared: a
// deny with dataPeriod 2015. An item with no clinical date is taken to be
// covered by a deny's dataPeriod (it may be from 2015) — but her Patient
// resource, her demographics, is no period's data, and it was withheld
// too: the district nurse and the hospital clinician got 404 for
// Patient/jane and her $everything came without it, as if she had opted
// out. A person's demographics (Patient, RelatedPerson, Person) are outside
// any dataPeriod: a deny of a period does not withhold them.
func TestReview9cDataPeriodDenyWithholdsThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gpSys, [2]string{"/fhir/RelatedPerson/son", `{"resourceType":"RelatedPerson","id":"son","patient":{"reference":"Patient/jane"},"name":[{"family":"SON-OF-JANE"}]}`},
		[2]string{"/fhir/Consent/no-2015", janeConsent("no-2015", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2015-01-01","end":"2015-12-31"}}`)})
	for _, tok := range []string{nurse, hosp} {
		if r := e.do("GET", "/fhir/Patient/jane", tok, ""); r.status != 200 {
			t.Errorf("Jane's objection to sharing her 2015 records withheld her Patient resource: %d", r.status)
		}
		if r := e.do("GET", "/fhir/RelatedPerson/son", tok, ""); r.status != 200 {
			t.Errorf("... and her son's details: %d", r.status)
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); !strings.Contains(r.body, `"resourceType":"Patient"`) {
			t.Errorf("her $everything came without her Patient resource: %d %.200s", r.status, r.body)
		}
	}
}

// TestReview9cDenyByDrugCodeMissesMedicationReference: Jane asks that her
// sertraline prescriptions are not shared: a deny by the drug's dm+d code
// (SNOMED CT). A prescription names its drug by medicationCodeableConcept
// or, as GP Connect and UK Core feeds commonly do, by medicationReference
// to a Medication resource (contained, or stored). Only the first was
// withheld: the item's codes for provision.code came from its "code"
// search parameter, which is medication.as(CodeableConcept), so the
// hospital clinician read the prescription, the statement and the
// administration that named sertraline by reference.
func TestReview9cDenyByDrugCodeMissesMedicationReference(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const sert = `{"system":"http://snomed.info/sct","code":"36032311000001104"}`
	e.putAll(t, gpSys,
		[2]string{"/fhir/Medication/sertraline", `{"resourceType":"Medication","id":"sertraline","code":{"coding":[` + sert + `]}}`},
		[2]string{"/fhir/MedicationRequest/concept", `{"resourceType":"MedicationRequest","id":"concept","status":"active","intent":"order","medicationCodeableConcept":{"coding":[` + sert + `]},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/MedicationRequest/contained", `{"resourceType":"MedicationRequest","id":"contained","status":"active","intent":"order","contained":[{"resourceType":"Medication","id":"m","code":{"coding":[` + sert + `]}}],"medicationReference":{"reference":"#m"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/MedicationRequest/referenced", `{"resourceType":"MedicationRequest","id":"referenced","status":"active","intent":"order","medicationReference":{"reference":"Medication/sertraline"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/MedicationStatement/stmt", `{"resourceType":"MedicationStatement","id":"stmt","status":"active","medicationReference":{"reference":"Medication/sertraline"},"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/MedicationAdministration/given", `{"resourceType":"MedicationAdministration","id":"given","status":"completed","medicationReference":{"reference":"Medication/sertraline"},"subject":{"reference":"Patient/jane"},"effectiveDateTime":"2026-01-05"}`},
		[2]string{"/fhir/MedicationRequest/other", `{"resourceType":"MedicationRequest","id":"other","status":"active","intent":"order","medicationReference":{"reference":"#x"},"contained":[{"resourceType":"Medication","id":"x","code":{"coding":[{"system":"http://snomed.info/sct","code":"39720311000001101"}]}}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Consent/no-sertraline", janeConsent("no-sertraline", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","code":[{"coding":[`+sert+`]}]}`)})
	for _, p := range []string{"/fhir/MedicationRequest/concept", "/fhir/MedicationRequest/contained", "/fhir/MedicationRequest/referenced", "/fhir/MedicationStatement/stmt", "/fhir/MedicationAdministration/given"} {
		if r := e.do("GET", p, hosp, ""); r.status != 404 {
			t.Errorf("Jane's deny of sertraline by its code: the hospital clinician reads %s (%d)", p, r.status)
		}
	}
	if r := e.do("GET", "/fhir/MedicationRequest/other", hosp, ""); r.status != 200 {
		t.Errorf("another drug's prescription withheld: %d", r.status)
	}
}

// TestReview9cDataPeriodMissesALetterIndexedLater: Jane asks that her
// records from 2015 are not shared (a deny with dataPeriod 2015). Her
// discharge letter from April 2015 was scanned into her GP record in 2024:
// a DocumentReference whose date (when the reference was made) is 2024
// and whose context.period (the care it documents) is April 2015 — as the
// digitised paper records are — and likewise a Composition whose
// event.period is April 2015. The item's clinical date was taken from the
// "date" search parameter before "period", so the letter counted as 2024
// data and the hospital clinician read it. A document's clinical date is
// the period of the care it documents, when it gives one.
func TestReview9cDataPeriodMissesALetterIndexedLater(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gpSys,
		[2]string{"/fhir/DocumentReference/old-letter", `{"resourceType":"DocumentReference","id":"old-letter","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"discharge letter"},"date":"2024-03-01T10:00:00Z","context":{"period":{"start":"2015-04-01","end":"2015-04-20"}},"content":[{"attachment":{"contentType":"text/plain","data":"T0xE"}}]}`},
		[2]string{"/fhir/Composition/old-summary", `{"resourceType":"Composition","id":"old-summary","status":"final","subject":{"reference":"Patient/jane"},"type":{"text":"discharge summary"},"date":"2024-03-01T10:00:00Z","title":"x","author":[{"display":"x"}],"event":[{"period":{"start":"2015-04-01","end":"2015-04-20"}}]}`},
		[2]string{"/fhir/DocumentReference/new-letter", `{"resourceType":"DocumentReference","id":"new-letter","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"clinic letter"},"date":"2024-03-01T10:00:00Z","content":[{"attachment":{"contentType":"text/plain","data":"TkVX"}}]}`},
		[2]string{"/fhir/Consent/no-2015", janeConsent("no-2015", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2015-01-01","end":"2015-12-31"}}`)})
	for _, p := range []string{"/fhir/DocumentReference/old-letter", "/fhir/Composition/old-summary"} {
		if r := e.do("GET", p, hosp, ""); r.status != 404 {
			t.Errorf("Jane's deny of her 2015 records: the hospital clinician reads %s, about April 2015, indexed in 2024 (%d)", p, r.status)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/new-letter", hosp, ""); r.status != 200 {
		t.Errorf("a 2024 letter with no period withheld: %d", r.status)
	}
}

// TestReview9cTransactionResolvesTheOrganisationToItsStoredID: the same
// objection sent the way FHIR offers to a system that knows only the ODS
// code: a transaction whose Consent names the hospital by a conditional
// reference (Organization?identifier=<ODS system>|RHX). carex resolves it
// to the stored Organization's id, Organization/5f0c2a9e-hosp, which the
// engine matches with no one: stored (200) and ignored, before the fix.
func TestReview9cTransactionResolvesTheOrganisationToItsStoredID(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, hospSys, [2]string{"/fhir/Organization/5f0c2a9e-hosp", `{"resourceType":"Organization","id":"5f0c2a9e-hosp","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}],"name":"Riverside Hospital"}`})
	c := janeConsent("c", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|RHX"}}]}`)
	c = strings.Replace(c, `"id":"c",`, ``, 1)
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":` + c + `,"request":{"method":"POST","url":"Consent"}}]}`
	r := e.do("POST", "/fhir", gp, tx)
	if r.status == 422 && strings.Contains(r.body, "value RHX") {
		return
	}
	if g := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); g.status != 404 {
		t.Errorf("the transaction answered %d and Jane's objection to the hospital is ignored: the hospital clinician reads her diagnosis (%d)", r.status, g.status)
	}
}

// TestReview9cDenyByDrugCodeMissesTheBundlesMedication: the same deny of
// sertraline (17891ba), the prescription sent as GP Connect sends it: a
// transaction writing the Medication and a MedicationRequest naming it by
// urn:uuid. The reference resolves to the new Medication, which the store
// does not hold while the bundle's writes are derived, so the prescription
// got no code and the hospital clinician read it.
func TestReview9cDenyByDrugCodeMissesTheBundlesMedication(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const sert = `{"system":"http://snomed.info/sct","code":"36032311000001104"}`
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/no-sertraline", janeConsent("no-sertraline", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","code":[{"coding":[`+sert+`]}]}`)})
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	{"fullUrl":"urn:uuid:22222222-2222-2222-2222-222222222222","resource":{"resourceType":"Medication","code":{"coding":[` + sert + `]}},"request":{"method":"POST","url":"Medication"}},
	{"fullUrl":"urn:uuid:33333333-3333-3333-3333-333333333333","resource":{"resourceType":"MedicationRequest","id":"tx","status":"active","intent":"order","medicationReference":{"reference":"urn:uuid:22222222-2222-2222-2222-222222222222"},"subject":{"reference":"Patient/jane"}},"request":{"method":"PUT","url":"MedicationRequest/tx"}}]}`
	if r := e.do("POST", "/fhir", gpSys, tx); r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/MedicationRequest/tx", hosp, ""); r.status != 404 {
		t.Errorf("Jane's deny of sertraline: the hospital clinician reads the prescription written with its Medication in one transaction (%d)", r.status)
	}
}
