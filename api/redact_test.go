package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// seedRestricted: Margaret's demographics are restricted (confidentiality
// R); her GP practice's system recorded them; the community trust (RCX)
// has an active care team, so its district nurse may open her record and
// gets her Patient redacted (no address, telecom, GP, narrative).
func seedRestricted(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	for _, s := range []struct{ tok, path, body string }{
		{gp, "/fhir/Practitioner/dr-secret", `{"resourceType":"Practitioner","id":"dr-secret","name":[{"family":"SECRET-GP-NAME"}]}`},
		{gp, "/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">SECRET-NARRATIVE</div>"},
			"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],
			"generalPractitioner":[{"reference":"Practitioner/dr-secret"}]}`},
		{trust, "/fhir/CareTeam/marg-nursing", `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
	} {
		if r := e.do("PUT", s.path, s.tok, s.body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", s.path, r.status, r.body)
		}
	}
}

// TestRedactedElementsAnswerNoSearch: a search on a restricted person's
// redacted address, phone or GP, a sort by them, or an include through
// the GP reference, answers as if those elements were not there, for a
// match and a miss alike (an include keeps her and leaves her GP out) (found in review: Patient?_id=marg&
// address-postalcode=LS9 found her, =ZZ1 did not); conditions on them are
// refused for everyone. Her source organisation searches them as before.
func TestRedactedElementsAnswerNoSearch(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient?family=doyle", nurse, ""); !strings.Contains(r.body, `"total":1`) || strings.Contains(r.body, "LS9") {
		t.Fatalf("the nurse's plain search: %s", r.body)
	}
	for _, probe := range []struct{ hit, miss string }{
		{"address-postalcode=LS9", "address-postalcode=ZZ1"},
		{"address=SECRET-ADDR", "address=Nowhere"},
		{"phone=01134960999", "phone=01134960000"},
		{"general-practitioner=Practitioner/dr-secret", "general-practitioner=Practitioner/dr-other"},
		{"_sort=address-postalcode", "_sort=-address-postalcode"},
	} {
		hit := e.do("GET", "/fhir/Patient?_id=marg&"+probe.hit, nurse, "")
		miss := e.do("GET", "/fhir/Patient?_id=marg&"+probe.miss, nurse, "")
		if hit.status != 200 || !strings.Contains(hit.body, `"total":0`) || strings.Contains(hit.body, "confidential-items") {
			t.Errorf("%s: %d, want no match and no word of anything withheld: %.400s", probe.hit, hit.status, hit.body)
		}
		if strings.Contains(probe.miss, "address-postalcode=ZZ1") && strings.Contains(miss.body, "confidential-items") {
			t.Errorf("%s says something was withheld: %.400s", probe.miss, miss.body)
		}
		for _, s := range []string{"SECRET-", `"resourceType":"Patient"`, `"resourceType":"Practitioner"`} {
			if strings.Contains(hit.body, s) {
				t.Errorf("%s releases %s", probe.hit, s)
			}
		}
		if r := e.do("GET", "/fhir/Patient?_id=marg&"+probe.hit, gp, ""); !strings.Contains(r.body, `"total":1`) {
			t.Errorf("her GP practice's %s: %.300s", probe.hit, r.body)
		}
	}
	// An include through her GP keeps her (redacted) and leaves the GP out.
	if r := e.do("GET", "/fhir/Patient?_id=marg&_include=Patient:general-practitioner", nurse, ""); !strings.Contains(r.body, `"total":1`) ||
		strings.Contains(r.body, "dr-secret") || strings.Contains(r.body, "SECRET-") {
		t.Errorf("_include=Patient:general-practitioner: %.600s", r.body)
	}
	if r := e.do("GET", "/fhir/Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner", nurse, ""); strings.Contains(r.body, "Patient/marg") {
		t.Errorf("_revinclude=Patient:general-practitioner names her under her GP: %.600s", r.body)
	}
	body := `{"resourceType":"Patient","name":[{"family":"Doyle"}]}`
	if r := e.do("POST", "/fhir/Patient", nurse, body, "If-None-Exist", "address-postalcode="+url.QueryEscape("LS9 7TF")); r.status != 400 || !strings.Contains(r.body, "identifier") {
		t.Errorf("a condition on the address: %d %s", r.status, r.body)
	}
	// Her source's own system sees nothing redacted, so its condition
	// answers for no one else (review 82d): it matches its own record.
	if r := e.do("POST", "/fhir/Patient", e.token("system", "nhs", "A81001"), body, "If-None-Exist", "address-postalcode="+url.QueryEscape("LS9 7TF")); r.status != 200 || !strings.Contains(r.body, `"id":"marg"`) {
		t.Errorf("her source's condition on her address: %d %.300s", r.status, r.body)
	}
}
