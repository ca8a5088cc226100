package api_test

import (
	"context"
	"strings"
	"testing"
)

// TestRelabel: data written under older labelling rules (here: its labels
// and compartment emptied, as a release before contained labels and stored
// Bundles' compartments would have left them) is labelled as a write would
// be now, in place: the items are withheld again, their versions and
// bodies unchanged, and a second run changes nothing.
func TestRelabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	plan := `{"resourceType":"CarePlan","id":"psy-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
	 "contained":[{"resourceType":"Condition","id":"c","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
	   "subject":{"reference":"Patient/jane"},"code":{"text":"CONTAINED-PSY"}}],"addresses":[{"reference":"#c"}]}`
	bundle := `{"resourceType":"Bundle","id":"dm","type":"collection","entry":[{"fullUrl":"https://rhx.example/fhir/Condition/x","resource":{"resourceType":"Condition","id":"x","subject":{"reference":"Patient/jane"},"code":{"text":"BUNDLED-DM"}}}]}`
	for p, b := range map[string]string{"/fhir/CarePlan/psy-plan": plan, "/fhir/Bundle/dm": bundle} {
		if r := e.do("PUT", p, hosp, b); r.status != 201 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/CarePlan/psy-plan", gp, ""); r.status != 404 {
		t.Fatalf("premise: labelled on write: %d", r.status)
	}
	// As an older release stored them.
	for _, q := range []string{
		`UPDATE versions SET labels = '', patients = '' WHERE rid IN (SELECT rid FROM resources WHERE type IN ('CarePlan', 'Bundle'))`,
		`UPDATE resources SET labels = '', patients = '' WHERE type IN ('CarePlan', 'Bundle')`,
		`DELETE FROM compartment WHERE rid IN (SELECT rid FROM resources WHERE type IN ('CarePlan', 'Bundle'))`,
	} {
		if _, err := e.db.Writer().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	stranger := e.token("gp", "nhs", "Z99999")
	if r := e.do("GET", "/fhir/CarePlan/psy-plan", gp, ""); r.status != 200 {
		t.Fatalf("premise: unlabelled data is released: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Bundle/dm", stranger, ""); r.status != 200 {
		t.Fatalf("premise: a Bundle in no compartment reaches anyone: %d", r.status)
	}
	before := e.do("GET", "/fhir/CarePlan/psy-plan", hosp, "")

	st, err := e.api.Relabel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Changed != 3 || st.Current != 3 { // and seedShared's CarePlan/wound, emptied too
		t.Errorf("relabel: %+v; want the three versions emptied changed", st)
	}
	if r := e.do("GET", "/fhir/CarePlan/psy-plan", gp, ""); r.status != 404 {
		t.Errorf("after relabel, the PSY-labelled plan: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Bundle/dm", stranger, ""); r.status != 404 {
		t.Errorf("after relabel, the Bundle to an unrelated GP: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); !strings.Contains(r.body, "BUNDLED-DM") {
		t.Errorf("after relabel, the Bundle is not in Jane's record: %.300s", r.body)
	}
	if after := e.do("GET", "/fhir/CarePlan/psy-plan", hosp, ""); after.body != before.body || after.header.Get("ETag") != before.header.Get("ETag") {
		t.Errorf("relabel changed the stored item:\n%s\n%s", before.body, after.body)
	}
	if st, err := e.api.Relabel(context.Background()); err != nil || st.Changed != 0 || st.Versions == 0 {
		t.Errorf("a second run: %+v, %v; want nothing changed", st, err)
	}
	// A later write compares its compartment rows with the relabelled ones.
	upd := strings.Replace(bundle, "BUNDLED-DM", "BUNDLED-DM-2", 1)
	if r := e.do("PUT", "/fhir/Bundle/dm", hosp, upd); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); !strings.Contains(r.body, "BUNDLED-DM-2") {
		t.Errorf("after an update, the Bundle is not in Jane's record: %.300s", r.body)
	}
}
