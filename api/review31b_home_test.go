package api_test

import (
	"strings"
	"testing"
)

// TestReview31bRestrictedHomeByLogicalReference: the restricted person's
// home is a PTRES Location (labelled R on write, its source's alone); her
// Appointment names it by a logical reference — the Location's identifier
// and type, with a display giving the address, as a scheduling feed writes
// it. redactPlaces drops the display of a reference only when its
// reference string is Location/…: a logical one goes out with her address
// to the district nurse.
func TestReview31bRestrictedHomeByLogicalReference(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Location/r31b-home", `{"resourceType":"Location","id":"r31b-home","name":"Home",
		 "identifier":[{"system":"https://gp.example/Id/visit-site","value":"HOME-R21"}],
		 "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"PTRES"}]}],
		 "address":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}}`},
		[2]string{"/fhir/Appointment/r31b-appt-lit", `{"resourceType":"Appointment","id":"r31b-appt-lit","status":"booked","description":"R31B-APPT-LIT",
		 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},{"actor":{"reference":"Location/r31b-home","display":"Home, SECRET-ADDR 1 Hidden Lane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Appointment/r31b-appt-id", `{"resourceType":"Appointment","id":"r31b-appt-id","status":"booked","description":"R31B-APPT-ID",
		 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},
		 {"actor":{"type":"Location","identifier":{"system":"https://gp.example/Id/visit-site","value":"HOME-R21"},"display":"Home, SECRET-ADDR 1 Hidden Lane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Encounter/r31b-visit", `{"resourceType":"Encounter","id":"r31b-visit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},
		 "subject":{"reference":"Patient/r21"},"serviceType":{"text":"R31B-VISIT"},
		 "location":[{"location":{"type":"Location","identifier":{"system":"https://gp.example/Id/visit-site","value":"HOME-R21"},"display":"Home, SECRET-ADDR 1 Hidden Lane"}}]}`})
	nurse := nurse21a(e, "n31b-home")
	if l := e.do("GET", "/fhir/Location/r31b-home", nurse, ""); l.status != 404 {
		t.Fatalf("premise: her home Location is withheld from the nurse: %d", l.status)
	}
	if r := e.do("GET", "/fhir/Appointment/r31b-appt-lit", nurse, ""); r.status != 200 || leaks22a(r.body) {
		t.Errorf("(sound) literal reference: %d …%s…", r.status, around21a(r.body, "SECRET-ADDR"))
	}
	for _, p := range []string{"/fhir/Appointment/r31b-appt-id", "/fhir/Appointment?patient=r21", "/fhir/Patient/r21/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "R31B-APPT-ID") {
			t.Fatalf("premise: GET %s: %d %.300s", p, r.status, r.body)
		}
		if leaks22a(r.body) {
			t.Errorf("district nurse RCX: GET %s releases the restricted person's home address (a logical Location reference's display in her appointment): %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
	// the GP sees its own as written
	if r := e.do("GET", "/fhir/Appointment/r31b-appt-id", e.token("gp", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, "SECRET-ADDR") {
		t.Errorf("the practice reads its own appointment: %d", r.status)
	}
}

// TestReview31bLogicalReferencesInHerItems: in the restricted person's
// items outside their source, a reference naming nothing stored (by
// identifier or display alone) loses its display and identifier, since they may name her
// practice or her home; a coding's display and a literal reference to a
// practitioner keep theirs (that item is decided on its own).
func TestReview31bLogicalReferencesInHerItems(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Practitioner/r31b-p", `{"resourceType":"Practitioner","id":"r31b-p","name":[{"family":"Okoro"}]}`},
		[2]string{"/fhir/Condition/r31b-c", `{"resourceType":"Condition","id":"r31b-c","subject":{"reference":"Patient/r21"},
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001","display":"R31B-ASTHMA"}]},
		 "recorder":{"reference":"Practitioner/r31b-p","display":"R31B-DR-OKORO"},
		 "asserter":{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"},"display":"SECRET-PRACTICE"},
		 "note":[{"authorReference":{"display":"SECRET-PRACTICE nurse"},"text":"R31B-NOTE"}]}`})
	r := e.do("GET", "/fhir/Condition/r31b-c", nurse21a(e, "n31b-logical"), "")
	if r.status != 200 || !strings.Contains(r.body, "R31B-NOTE") {
		t.Fatalf("premise: her condition goes to the nurse on her care team: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "SECRET-PRACTICE") || strings.Contains(r.body, `"value":"A81001"`) {
		t.Errorf("a logical reference names her practice: …%s…", around21a(r.body, "SECRET-PRACTICE", "A81001"))
	}
	for _, kept := range []string{"R31B-ASTHMA", "R31B-DR-OKORO", "R31B-NOTE"} {
		if !strings.Contains(r.body, kept) {
			t.Errorf("%s was taken out too: %.600s", kept, r.body)
		}
	}
	if own := e.do("GET", "/fhir/Condition/r31b-c", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(own.body, "SECRET-PRACTICE") {
		t.Errorf("the practice reads its own item as written: %d", own.status)
	}
}
