package api_test

import (
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
