package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview11aDenyOfATypeCoversResourcesOfItInside: Jane asks that her
// Observations (provision.class of resource type Observation) are not
// shared. Review 10b made a deny of a data class cover an item carrying a
// resource of that class, and the lead's fix made a deny by code cover a
// contained resource's code, but a deny of a resource type still looked
// at the carrier's own type: the hospital clinician read her lab result
// contained in the GP's CarePlan, as an entry of a stored Bundle, and as
// FHIR JSON in a DocumentReference's attachment. A deny of a type now
// covers an item carrying a resource of it; a permit of a type still
// releases only items of that type (an item carrying others is not "my
// Observations").
func TestReview11aDenyOfATypeCoversResourcesOfItInside(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const obs = `{"resourceType":"Observation","id":"o","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"HbA1c"},"valueQuantity":{"value":71,"unit":"mmol/mol"},"subject":{"reference":"Patient/jane"}}`
	doc := base64.StdEncoding.EncodeToString([]byte(obs))
	e.putAll(t, gpSys,
		[2]string{"/fhir/CarePlan/cp", `{"resourceType":"CarePlan","id":"cp","status":"active","intent":"plan","contained":[` + obs + `],"supportingInfo":[{"reference":"#o"}],"subject":{"reference":"Patient/jane"}}`},
		[2]string{"/fhir/Bundle/labs", `{"resourceType":"Bundle","id":"labs","type":"collection","entry":[{"resource":` + obs + `}]}`},
		[2]string{"/fhir/DocumentReference/letter", `{"resourceType":"DocumentReference","id":"letter","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + doc + `"}}]}`},
		[2]string{"/fhir/CarePlan/plain", `{"resourceType":"CarePlan","id":"plain","status":"active","intent":"plan","subject":{"reference":"Patient/jane"}}`},
	)
	paths := []string{"/fhir/CarePlan/cp", "/fhir/Bundle/labs", "/fhir/DocumentReference/letter"}
	for _, p := range paths {
		if r := e.do("GET", p, hosp, ""); r.status != 200 {
			t.Fatalf("premise: without a consent the hospital clinician reads %s: %d %.300s", p, r.status, r.body)
		}
	}
	observation := `{"system":"http://hl7.org/fhir/resource-types","code":"Observation"}`
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/no-obs", janeConsent("no-obs", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","class":[`+observation+`]}`)})
	for _, p := range paths {
		if r := e.do("GET", p, hosp, ""); r.status != 404 {
			t.Errorf("Jane's deny of her Observations: the hospital clinician reads %s (%d)", p, r.status)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	for _, id := range []string{`"id":"cp"`, `"id":"labs"`, `"id":"letter"`} {
		if r.status != 200 || strings.Contains(r.body, id) {
			t.Errorf("$everything released %s: %d", id, r.status)
		}
	}
	if r := e.do("GET", "/fhir/CarePlan/plain", hosp, ""); r.status != 200 {
		t.Errorf("a care plan carrying no Observation is withheld: %d", r.status)
	}
	// A permit of the type releases only Observations themselves: opted
	// out but for her Observations, the care plan carrying one stays
	// withheld, as a permit of the observations class leaves it.
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/o1", strings.Replace(obs, `"id":"o"`, `"id":"o1"`, 1)},
		[2]string{"/fhir/Consent/no-obs", janeConsent("no-obs", "2026-01-11", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","class":[`+observation+`]}]}`)})
	if r := e.do("GET", "/fhir/Observation/o1", hosp, ""); r.status != 200 {
		t.Errorf("the permit of Observations withholds an Observation: %d", r.status)
	}
	if r := e.do("GET", "/fhir/CarePlan/cp", hosp, ""); r.status != 404 {
		t.Errorf("the permit of Observations releases a CarePlan carrying one: %d", r.status)
	}
}
