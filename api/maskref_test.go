package api_test

import (
	"strings"
	"testing"
)

// TestReferencesToWithheldItemsAreMasked: a released item that points at
// an item the user may not see carries neither its id nor its display
// text; references to items the user sees, and to items that do not
// exist, are released as stored.
func TestReferencesToWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	// A care plan (which a district nurse sees) addressing Jane's HIV,
	// which only her GP practice sees, her diabetes, which the nurse
	// sees, and a condition not (yet) stored.
	clinic := `{"resourceType":"CarePlan","id":"clinic","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-CLINIC",
	 "addresses":[{"reference":"Condition/hiv","display":"REF-DISPLAY-HIV"},{"reference":"Condition/diabetes","display":"Diabetes"},{"reference":"Condition/nowhere"}],
	 "supportingInfo":[{"reference":"Condition/hiv"}]}`
	r := e.do("PUT", "/fhir/CarePlan/clinic", hospSys, clinic)
	if r.status != 201 || !strings.Contains(r.body, "REF-DISPLAY-HIV") {
		t.Fatalf("the writer's echo: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/hiv", nurse, ""); r.status != 404 {
		t.Fatalf("the premise: the nurse may not see Condition/hiv (%d)", r.status)
	}
	for _, p := range []string{
		"/fhir/CarePlan/clinic",
		"/fhir/CarePlan/clinic/_history/1",
		"/fhir/CarePlan/clinic/_history",
		"/fhir/CarePlan?patient=jane",
		"/fhir/CarePlan?_id=clinic&_include=CarePlan:condition",
		"/fhir/Patient/jane/$everything",
	} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "HOSP-CLINIC") {
			t.Fatalf("nurse GET %s: %d %.300s", p, r.status, r.body)
		}
		for _, bad := range []string{"Condition/hiv", "REF-DISPLAY-HIV", "GP-HIV"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("nurse GET %s releases %q", p, bad)
			}
		}
		for _, good := range []string{`"valueCode":"masked"`, "Condition/diabetes", "Condition/nowhere"} {
			if !strings.Contains(r.body, good) {
				t.Errorf("nurse GET %s: no %q (a visible or missing target must stay as stored)", p, good)
			}
		}
	}
	// The nurse's own organisation's plan is released without deciding
	// Jane's record; what it points at is still decided.
	own := strings.NewReplacer(`"id":"clinic"`, `"id":"own"`, "HOSP-CLINIC", "TRUST-PLAN").Replace(clinic)
	if r := e.do("PUT", "/fhir/CarePlan/own", e.token("system", "nhs", "RCX"), own); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/CarePlan/own", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "REF-DISPLAY-HIV") || !strings.Contains(r.body, "Condition/diabetes") {
		t.Errorf("the nurse's own organisation's plan: %d %s", r.status, r.body)
	}
	// The source of Condition/hiv sees the references as stored.
	r = e.do("GET", "/fhir/CarePlan/clinic", gp, "")
	if r.status != 200 || !strings.Contains(r.body, "REF-DISPLAY-HIV") || strings.Contains(r.body, "masked") {
		t.Errorf("the GP who recorded the condition: %d %s", r.status, r.body)
	}
}
