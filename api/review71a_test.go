package api_test

// Review 71a: a re-read of bdd383b and 56e7d7d (review 70a's fixes on top
// of 41f474b), regressions only: placeReferenceText's placeOrParty list
// (a carried resource of another type keeps its identifiers),
// contactName (unread XML/JSON in a restricted person's items masked when
// "contact" is joined to a name character or markup) and codedType's
// facilityText (a Location of physical type ho with a type text naming a
// facility is no home).
//
// Set-up is review 68a's (seed68a: Patient/r68 restricted, labelled R, GP
// A81001, care teams of RCX and RHX; Patient/u68 not). Each probe says
// what 41f474b (the grandparent, run with this same file from git
// archive) did with the same input.

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// r71Referral is the council's referral of patient p carrying, contained,
// resource res (id "x") as supporting information.
func r71Referral(id, p, res string) string {
	return `{"resourceType":"ServiceRequest","id":"` + id + `","status":"active","intent":"order",
		"subject":{"reference":"Patient/` + p + `"},"code":{"text":"R71-REFERRAL"},
		"contained":[` + res + `],"supportingInfo":[{"reference":"#x"}]}`
}

// TestReview71aCarriedPartyOrPlaceIdentifierOutsideList: her council
// referral carries, contained, resources whose identifier names her GP
// practice (ODS organisation code) or her refuge (UPRN, a property
// number), of types not in placeOrParty: a CareTeam (a party: FHIR's
// performer/recipient/participant references name CareTeams as they do
// Organizations) identified by her practice's ODS code, an Account for
// her care charges and an EpisodeOfCare (her care package) keyed to the
// property's UPRN, a Coverage (council funding) keyed to the UPRN, and a
// Consent identified by her practice's ODS code. bdd383b's
// placeReferenceText returns false for every carried type outside the
// list, so the hospital clinician reads each identifier. README rule 7:
// carried resources keep their identifiers "but a place's or a party's,
// which name it"; SPEC §5: a restricted person "never has address,
// telephone or GP released outside the source organisation". The
// identifier's system (UPRN, ODS code) says it names a place or a party
// whatever the type carrying it. Severity: leak of personal data (who her
// GP is, the property she lives in). 41f474b took every one of them out
// (none has a system/code/version/use/value key of its own): a
// regression of bdd383b.
func TestReview71aCarriedPartyOrPlaceIdentifierOutsideList(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	council := e.token("system", "council", "E06000999")
	ods := `"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"%s"}]`
	uprn := `"identifier":[{"system":"https://fhir.hl7.org.uk/Id/uprn","value":"%s"}]`
	cases := []struct{ typ, value, res string }{
		{"CareTeam", "R71CT-A81001", `{"resourceType":"CareTeam","id":"x","status":"active","name":"Practice team",` + fmt.Sprintf(ods, "R71CT-A81001") + `}`},
		{"Account", "R71ACC-100023336956", `{"resourceType":"Account","id":"x","status":"active","name":"Care charges",` + fmt.Sprintf(uprn, "R71ACC-100023336956") + `}`},
		{"EpisodeOfCare", "R71EOC-100023336956", `{"resourceType":"EpisodeOfCare","id":"x","status":"active","patient":{"reference":"Patient/r68"},` + fmt.Sprintf(uprn, "R71EOC-100023336956") + `}`},
		{"Coverage", "R71COV-100023336956", `{"resourceType":"Coverage","id":"x","status":"active","beneficiary":{"reference":"Patient/r68"},"payor":[{"reference":"Organization/E06000999"}],` + fmt.Sprintf(uprn, "R71COV-100023336956") + `}`},
		{"Consent", "R71CNS-A81001", `{"resourceType":"Consent","id":"x","status":"active","scope":{"text":"share"},"category":[{"text":"share"}],"patient":{"reference":"Patient/r68"},` + fmt.Sprintf(ods, "R71CNS-A81001") + `}`},
	}
	for i, c := range cases {
		id := fmt.Sprintf("r71-carried-%d", i)
		e.putAll(t, council, [2]string{"/fhir/ServiceRequest/" + id, r71Referral(id, "r68", c.res)})
		r := e.do("GET", "/fhir/ServiceRequest/"+id, hosp68a(e, "h71-c"+fmt.Sprint(i)), "")
		if r.status != 200 || !strings.Contains(r.body, "R71-REFERRAL") || !strings.Contains(r.body, `"`+c.typ+`"`) {
			t.Fatalf("premise: %s: %d %.500s", c.typ, r.status, r.body)
		}
		if strings.Contains(r.body, c.value) {
			t.Errorf("her referral's carried %s gives RHX its identifier %s (ODS code or UPRN): %.600s", c.typ, c.value, r.body)
		}
	}
}

// TestReview71aSoundCarriedReferencesByIdentifier: the references inside
// a carried resource outside placeOrParty are still reference-checked: a
// contained assessment Task whose owner and location are given by
// identifier (her practice's ODS code, the refuge's UPRN), a Provenance
// whose agent is by identifier, and a Consent whose organization is by
// identifier — RHX gets none of them; the Task's own identifier (the
// council's case number) stays. 41f474b: the same, but it took the
// Task's case number out too (no code key in it).
func TestReview71aSoundCarriedReferencesByIdentifier(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/ServiceRequest/r71-task", `{"resourceType":"ServiceRequest","id":"r71-task","status":"active","intent":"order",
		"subject":{"reference":"Patient/r68"},"code":{"text":"R71-REFERRAL"},
		"contained":[
		 {"resourceType":"Task","id":"t","status":"requested","intent":"order","for":{"reference":"Patient/r68"},
		  "identifier":[{"system":"https://council.example/Id/case","value":"R71CASE-4471"}],
		  "owner":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"R71OWN-A81001"}},
		  "location":{"identifier":{"system":"https://fhir.hl7.org.uk/Id/uprn","value":"R71LOC-100023336956"},"display":"R71-REFUGE-DISPLAY"}},
		 {"resourceType":"Provenance","id":"p","recorded":"2026-01-01T00:00:00Z","target":[{"reference":"#t"}],
		  "agent":[{"who":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"R71AGT-A81001"},"display":"R71-SURGERY-NAME"}}]},
		 {"resourceType":"Consent","id":"c","status":"active","scope":{"text":"share"},"category":[{"text":"share"}],"patient":{"reference":"Patient/r68"},
		  "organization":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"R71ORG-A81001"}}]}],
		"supportingInfo":[{"reference":"#t"},{"reference":"#p"},{"reference":"#c"}]}`})
	r := e.do("GET", "/fhir/ServiceRequest/r71-task", hosp68a(e, "h71-task"), "")
	if r.status != 200 || !strings.Contains(r.body, "R71-REFERRAL") {
		t.Fatalf("premise: %d %.500s", r.status, r.body)
	}
	for _, s := range []string{"R71OWN-A81001", "R71LOC-100023336956", "R71-REFUGE-DISPLAY", "R71AGT-A81001", "R71-SURGERY-NAME", "R71ORG-A81001"} {
		if strings.Contains(r.body, s) {
			t.Errorf("a carried resource's reference by identifier gives RHX %s: %.700s", s, r.body)
		}
	}
	if !strings.Contains(r.body, "R71CASE-4471") {
		t.Logf("the carried Task's case number is taken out (as at 41f474b)")
	}
}

// r71Doc stores a DocumentReference of patient p by the council whose
// attachment is body under content type ct, and returns its base64 data.
func r71Doc(t *testing.T, e *env, id, p, ct, body string) string {
	t.Helper()
	data := base64.StdEncoding.EncodeToString([]byte(body))
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/` + p + `"},
			"type":{"text":"R71-DOC"},"content":[{"attachment":{"contentType":"` + ct + `","data":"` + data + `"}}]}`})
	return data
}

// TestReview71aUnreadProseContactMasked: results and letters of hers as
// plain XML or JSON (no FHIR, no person, address, telecom or location
// words, no phone number) whose prose uses the word: "Ward contacted",
// "contacts traced" (XML), a JSON value beginning "Contact the
// laboratory…", an XML comment quoting "contact the lab". contactName
// takes "contacted"/"contacts" (a letter after the word) and a quote
// before it (a JSON string's opening quote) for a name, so each is masked
// for the hospital clinician: a potassium result is lost to a clinician
// who may see it. README rule 7: unread data is masked when it "names a
// person, a place or a contact as a name does (… not 'contact the
// laboratory')"; SPEC §5 withholds only what policy and consent withhold.
// Severity: over-withholding. 41f474b released each whole ("<contact",
// ":contact", "\"contact\"" only): a regression of bdd383b. Premise: the
// same documents of unrestricted u68 go whole.
func TestReview71aUnreadProseContactMasked(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	docs := []struct{ ct, body string }{
		{"application/xml", `<labResult><test>Potassium</test><value>6.9</value><comment>Critical value: ward contacted by phone at 14:02.</comment></labResult>`},
		{"application/xml", `<labResult><test>Mycoplasma PCR</test><value>Detected</value><comment>Close contacts traced by the health protection team.</comment></labResult>`},
		{"application/json", `{"test":"Potassium","value":6.9,"advice":"Contact the laboratory before repeating the sample."}`},
		{"application/xml", `<labResult><test>Potassium</test><value>6.9</value><comment>Haemolysed: "contact the lab" before repeating.</comment></labResult>`},
	}
	for i, d := range docs {
		for _, p := range []string{"u68", "r68"} {
			id := fmt.Sprintf("%s-r71-prose-%d", p, i)
			data := r71Doc(t, e, id, p, d.ct, d.body)
			r := e.do("GET", "/fhir/DocumentReference/"+id, hosp68a(e, "h71-"+id), "")
			if r.status != 200 || !strings.Contains(r.body, "R71-DOC") {
				t.Fatalf("premise: %s: %d %.300s", id, r.status, r.body)
			}
			if !strings.Contains(r.body, data) {
				if p == "u68" {
					t.Fatalf("premise: an unrestricted person's document is not whole: %.400s", r.body)
				}
				t.Errorf("her %s result in prose (%.70s…) is masked for RHX: %.300s", d.ct, d.body[strings.Index(d.body, "ontact")-2:], r.body)
			}
		}
	}
}

// TestReview71aUnreadPhoneElementNotMasked: her council visit note as
// plain XML or JSON naming her phone by an element or key without the
// word "contact": <phone>, <mobile>, <tel>, <telephone>, "mobileNumber".
// None names a patient, person, address, telecom or location, so the
// hospital clinician receives her refuge's phone number. README rule 7:
// unread data naming "a person, a place or a contact" is masked; SPEC §5:
// "never has … telephone … released outside the source organisation".
// Severity: leak of personal data (her phone). 41f474b released them too
// (and 2f17fb2, which looked for "contact" anywhere): not a regression, a
// gap of the word list.
func TestReview71aUnreadPhoneElementNotMasked(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	docs := []struct{ ct, body string }{
		{"application/xml", `<visitNote><phone>` + r68Phone + `</phone><instructions>Ring before visiting</instructions></visitNote>`},
		{"application/xml", `<visitNote><mobile>` + r68Phone + `</mobile></visitNote>`},
		{"application/xml", `<visitNote><tel>` + r68Phone + `</tel></visitNote>`},
		{"application/xml", `<visitNote><Telephone>` + r68Phone + `</Telephone></visitNote>`},
		{"application/json", `{"visitNote":{"mobileNumber":"` + r68Phone + `","instructions":"Ring before visiting"}}`},
	}
	for i, d := range docs {
		id := fmt.Sprintf("r71-phone-%d", i)
		r71Doc(t, e, id, "r68", d.ct, d.body)
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp68a(e, "h71-"+id), "")
		if r.status != 200 || !strings.Contains(r.body, "R71-DOC") {
			t.Fatalf("premise: %s: %d %.300s", id, r.status, r.body)
		}
		if r68LeaksDeep(r.body) {
			t.Errorf("her visit note %s gives RHX her phone", d.body)
		}
	}
}

// TestReview71aSoundUnreadContactNames: the contact names the brief lists
// that hold the word — CONTACT_NO, Contact-Number, <ContactPhone>, a JSON
// "Contact Number" key, "contactNo", "CONTACT_NO" — are masked in her
// items (XML and JSON). 41f474b masked the three XML ones ("<contact")
// and released the three JSON keys (her phone): bdd383b fixed those.
func TestReview71aSoundUnreadContactNames(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	docs := []struct{ ct, body string }{
		{"application/xml", `<visitNote><CONTACT_NO>` + r68Phone + `</CONTACT_NO></visitNote>`},
		{"application/xml", `<visitNote><Contact-Number>` + r68Phone + `</Contact-Number></visitNote>`},
		{"application/xml", `<visitNote><ContactPhone>` + r68Phone + `</ContactPhone></visitNote>`},
		{"application/json", `{"Contact Number":"` + r68Phone + `"}`},
		{"application/json", `{"contactNo":"` + r68Phone + `"}`},
		{"application/json", `{"CONTACT_NO":"` + r68Phone + `"}`},
	}
	for i, d := range docs {
		id := fmt.Sprintf("r71-cname-%d", i)
		r71Doc(t, e, id, "r68", d.ct, d.body)
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp68a(e, "h71-"+id), "")
		if r.status != 200 || !strings.Contains(r.body, "R71-DOC") {
			t.Fatalf("premise: %s: %d %.300s", id, r.status, r.body)
		}
		if r68LeaksDeep(r.body) {
			t.Errorf("her visit note %s gives RHX her phone", d.body)
		}
	}
}

// r71Place stores, by writer, Location id of physical type ho (house)
// with type text typ and address addr, and patient p's home-visit
// Encounter at it; it returns RHX's search for the Encounter with its
// Location included.
func r71Place(t *testing.T, e *env, writer, id, p, typ, addr string) string {
	t.Helper()
	e.putAll(t, writer,
		[2]string{"/fhir/Location/" + id, `{"resourceType":"Location","id":"` + id + `","name":"Visit address","type":[{"text":"` + typ + `"}],
			"physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"ho","display":"House"}]},
			"address":{"line":["` + addr + `"],"postalCode":"` + r68Post + `"}}`},
		[2]string{"/fhir/Encounter/" + id + "-visit", `{"resourceType":"Encounter","id":"` + id + `-visit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},
			"subject":{"reference":"Patient/` + p + `"},"serviceType":{"text":"R71-VISIT-` + id + `"},"location":[{"location":{"reference":"Location/` + id + `"}}]}`})
	r := e.do("GET", "/fhir/Encounter?_id="+id+"-visit&_include=Encounter:location", hosp68a(e, "h71-"+id), "")
	if r.status != 200 || !strings.Contains(r.body, "R71-VISIT-"+id) {
		t.Fatalf("premise: %s: %d %.400s", id, r.status, r.body)
	}
	return r.body
}

// TestReview71aHomeTypedByServiceNameTakenForFacility: her refuge, kept
// by the community trust as the Location of her home visits, physical
// type ho, its type given as text naming the NHS service that visits her
// there: "Hospital at Home" (a virtual ward), "Hospice at Home", or
// "Own home (not a care home)". facilityText matches "hospital",
// "hospice", "care home" as whole words, so codedType says the type names
// a facility, ho is not read, the Location is not labelled R, and the
// hospital clinician's _include of her visit gets her refuge's address.
// README rule 7: a Location "with no type coded or naming a facility …
// and of physical type ho … is labelled R"; SPEC §5: a restricted person
// "never has address … released outside the source organisation".
// Severity: leak of personal data (where she lives). 41f474b labelled
// each R (text alone, no coded type: ho read) and withheld it: a
// regression of bdd383b/56e7d7d. Premise: typed "Client's own home", the
// same is withheld.
func TestReview71aHomeTypedByServiceNameTakenForFacility(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	rcx := e.token("system", "nhs", "RCX")
	for i, typ := range []string{"Client's own home", "Hospital at Home", "Hospice at Home", "Own home (not a care home)", "Home - virtual ward (hospital at home)"} {
		body := r71Place(t, e, rcx, fmt.Sprintf("r71-home-%d", i), "r68", typ, fmt.Sprintf("R68-REFUGE %d Quiet Close", i))
		if r68Leaks(body) {
			if i == 0 {
				t.Fatalf("premise: a home typed %q is released: %s", typ, around68a(body))
			}
			t.Errorf("her home typed %q (physical type ho) gives RHX her address: …%s…", typ, around68a(body))
		}
	}
}
