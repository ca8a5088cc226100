package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestReview18cQuantityByAMaskedUnitFindsNothing: a Quantity's unit, code
// and system naming an item withheld from the reader go out masked (the
// release reads them as any other string), but 8ad2643 hid such values
// only from string and token clauses: the hospital clinician, from whom
// Jane's HIV letter is withheld, found the GP's Observation by
// value-quantity=5||DocumentReference/hivdoc (and its system, the
// component's and the combo parameter), confirming what the masked unit
// holds. Now a quantity clause asking for a unit or system that may name
// an item leaves out index rows whose unit or system may name one, as a
// token clause does; a quantity with a plain unit (mmol/mol) is found as
// before, and the practice still finds its own Observation.
func TestReview18cQuantityByAMaskedUnitFindsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gpSystem,
		[2]string{"/fhir/Observation/q18c", `{"resourceType":"Observation","id":"q18c","status":"final","subject":{"reference":"Patient/jane"},
		"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"effectiveDateTime":"2025-05-01",
		"valueQuantity":{"value":5,"unit":"DocumentReference/hivdoc","system":"https://gp.example/fhir/DocumentReference/hivdoc","code":"DocumentReference/hivdoc"},
		"component":[{"code":{"text":"x"},"valueQuantity":{"value":7,"unit":"DocumentReference/hivdoc"}}]}`},
		[2]string{"/fhir/Observation/q18c-plain", `{"resourceType":"Observation","id":"q18c-plain","status":"final","subject":{"reference":"Patient/jane"},
		"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"effectiveDateTime":"2025-05-02",
		"valueQuantity":{"value":48,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}}`})
	r := e.do("GET", "/fhir/Observation/q18c", hosp, "")
	if r.status != 200 || strings.Contains(r.body, "hivdoc") {
		t.Fatalf("the premise: the hospital reads the Observation with its units masked: %d %.600s", r.status, r.body)
	}
	finds := func(tok, query, id string) bool {
		t.Helper()
		r := e.do("GET", "/fhir/Observation?"+query, tok, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", query, r.status, r.body)
		}
		return strings.Contains(r.body, `"`+id+`"`)
	}
	hiv := url.QueryEscape("DocumentReference/hivdoc")
	for _, q := range []string{
		"value-quantity=5||" + hiv,
		"value-quantity=5|" + url.QueryEscape("https://gp.example/fhir/DocumentReference/hivdoc") + "|" + hiv,
		"patient=jane&value-quantity=5||" + hiv,
		"component-value-quantity=7||" + hiv,
		"combo-value-quantity=7||" + hiv,
		"combo-value-quantity=5||" + hiv,
	} {
		if finds(hosp, q, "q18c") {
			t.Errorf("Observation?%s: the hospital finds the Observation by a unit it sees masked", q)
		}
		if !finds(gpSystem, q, "q18c") {
			t.Errorf("Observation?%s: the practice no longer finds its own Observation", q)
		}
	}
	for _, q := range []string{"value-quantity=48||" + url.QueryEscape("mmol/mol"), "value-quantity=48|" + url.QueryEscape("http://unitsofmeasure.org") + "|" + url.QueryEscape("mmol/mol")} {
		if !finds(hosp, q, "q18c-plain") {
			t.Errorf("Observation?%s: the hospital no longer finds an Observation by a plain unit", q)
		}
	}
}

// TestReview18cManyDeletedRecordsCountAsRestricted: 20 or more Patients
// carrying one NHS number count as restricted (README), since a restricted
// one among those not read would go unseen. Review 18a made deleted
// Patients carrying the number count as the person's records, but past the
// 20 read it only assumed an objection, not a restriction: with 21 deleted
// records filed under Jane's number, the one not read labelled restricted
// (R), a district nurse breaking glass (which overrides the objection, not
// a restriction) read the hospital's unlabelled record of Jane with her
// refuge address and phone, by read and by $everything. Now that many
// deleted Patients count as restricted too, as live ones do.
func TestReview18cManyDeletedRecordsCountAsRestricted(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
			"name":[{"family":"Smith"}],"address":[{"line":["HOSP-REFUGE"]}],"telecom":[{"system":"phone","value":"0113-HOSP-PHONE"}]}`},
		[2]string{"/fhir/Condition/hosp-fracture", `{"resourceType":"Condition","id":"hosp-fracture","subject":{"reference":"Patient/hosp-jane"},"code":{"text":"HOSP-FRACTURE"}}`})
	for i := 0; i <= 20; i++ {
		id := fmt.Sprintf("dup%02d", i)
		sec := ""
		if i == 20 { // after the 20 read, by id
			sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
		}
		e.putAll(t, gp, [2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `",` + sec + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Smith"}]}`})
		if r := e.do("DELETE", "/fhir/Patient/"+id, gp, ""); r.status != 204 {
			t.Fatalf("delete Patient/%s: %d %s", id, r.status, r.body)
		}
	}
	bg := []string{"X-Break-Glass", "EMERGENCY: unconscious in A&E"}
	if r := e.do("GET", "/fhir/Patient/hosp-jane/$everything", nurse, "", bg...); r.status != 200 || !strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Fatalf("the premise: breaking glass, the nurse reads the hospital's record of Jane: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Patient/hosp-jane", "/fhir/Patient/hosp-jane/$everything"} {
		r := e.do("GET", path, nurse, "", bg...)
		if r.status != 200 || !strings.Contains(r.body, `"hosp-jane"`) {
			t.Fatalf("%s: the premise: the Patient is released: %d %.300s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "HOSP-REFUGE") || strings.Contains(r.body, "HOSP-PHONE") {
			t.Errorf("%s: with 21 deleted records carrying her number (one restricted, not read), her address or phone goes to the nurse: %.500s", path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/hosp-jane", hosp, ""); !strings.Contains(r.body, "HOSP-REFUGE") {
		t.Errorf("the hospital, the source, reads its own record whole: %d %.300s", r.status, r.body)
	}
}
