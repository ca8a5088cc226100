package api_test

// Review 21a: restricted demographics (SPEC §5: "A patient whose
// demographics are marked restricted (confidentiality R …) never has
// address, telephone or GP released outside the source organisation, and
// every access to them raises an IG alert").

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const rLabel21a = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`

// seed21a: Margaret-like person "r21" restricted at her GP practice
// A81001 (the source of her Patient), with an active RCX care team, so
// the district nurse of RCX opens her record and gets her demographics
// redacted. patient is the Patient body's extra elements.
func seed21a(t *testing.T, e *env, extra string) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}]}`},
		[2]string{"/fhir/Location/branch", `{"resourceType":"Location","id":"branch","name":"SECRET-BRANCH Riverside Surgery branch"}`},
		[2]string{"/fhir/Patient/r21", `{"resourceType":"Patient","id":"r21",` + rLabel21a + `,
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],
		 "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],
		 "generalPractitioner":[{"reference":"Organization/A81001","display":"SECRET-PRACTICE"}]` + extra + `}`},
		[2]string{"/fhir/Condition/r21-dep", `{"resourceType":"Condition","id":"r21-dep","subject":{"reference":"Patient/r21"},"code":{"text":"R21-DEPRESSION"}}`},
	)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r21-nursing", `{"resourceType":"CareTeam","id":"r21-nursing","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
}

func nurse21a(e *env, sub string) string {
	return e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub })
}

// TestReview21aRegistrationExtensionNamesGP: a GP system's Patient carries
// the registration details as GP Connect does (an extension whose
// preferredBranchSurgery is a Reference to the practice's Location), or
// names the practice in an extension by reference. redactPerson drops only
// extensions holding an Address or ContactPoint, so the GP goes out.
func TestReview21aRegistrationExtensionNamesGP(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, `,"extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1",
	  "extension":[{"url":"registrationType","valueCodeableConcept":{"text":"Regular"}},
	               {"url":"preferredBranchSurgery","valueReference":{"reference":"Location/branch","display":"SECRET-BRANCH"}}]}]`)
	r := e.do("GET", "/fhir/Patient/r21", nurse21a(e, "n21-reg"), "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if strings.Contains(r.body, "SECRET-BRANCH") || strings.Contains(r.body, "Location/branch") {
		t.Errorf("the restricted person's GP surgery is released in her registration extension: %.600s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient?_id=r21&_include=Patient:general-practitioner", nurse21a(e, "n21-reg2"), ""); strings.Contains(r.body, "SECRET-BRANCH") {
		t.Errorf("search releases the GP surgery: …%s…", around21a(r.body, "SECRET-BRANCH"))
	}
}

// TestReview21aIdentifierAssignerNamesGP: the practice's own patient
// number, its assigner the practice (as a GP system writes it), names
// her GP practice; the redaction keeps identifiers whole.
func TestReview21aIdentifierAssignerNamesGP(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/r21b", `{"resourceType":"Patient","id":"r21b",` + rLabel21a + `,
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"},
		   {"system":"https://fhir.a81001.example/Id/local-patient-number","value":"12345","assigner":{"reference":"Organization/A81001","display":"SECRET-PRACTICE Riverside Surgery"}}],
		 "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}],
		 "generalPractitioner":[{"reference":"Organization/A81001","display":"SECRET-PRACTICE"}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r21b-nursing", `{"resourceType":"CareTeam","id":"r21b-nursing","status":"active","subject":{"reference":"Patient/r21b"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	r := e.do("GET", "/fhir/Patient/r21b", nurse21a(e, "n21-ass"), "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if strings.Contains(r.body, "SECRET-PRACTICE") || strings.Contains(r.body, "Organization/A81001") {
		t.Errorf("the restricted person's GP practice is released as her identifier's assigner: %.600s", r.body)
	}
}

// TestReview21aHomeLocationInCarePlan: her wound care plan (the GP's)
// holds where the visits happen — her home — as a contained Location with
// its address and phone, as a home-visit plan or booking does. The copies
// of her demographics redacted in another item are only a Patient,
// RelatedPerson or Person, so her address and phone go out to the nurse.
func TestReview21aHomeLocationInCarePlan(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/CarePlan/r21-visits", `{"resourceType":"CarePlan","id":"r21-visits","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R21-PLAN",
		 "contained":[{"resourceType":"Location","id":"home","name":"Patient's home","address":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"},"telecom":[{"system":"phone","value":"01134960999"}]}],
		 "activity":[{"detail":{"status":"scheduled","description":"home visit","location":{"reference":"#home"}}}]}`},
		[2]string{"/fhir/Appointment/r21-visit", `{"resourceType":"Appointment","id":"r21-visit","status":"booked","description":"R21-APPT",
		 "contained":[{"resourceType":"Location","id":"home","address":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}}],
		 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},{"actor":{"reference":"#home"},"status":"accepted"}]}`},
	)
	nurse := nurse21a(e, "n21-loc")
	for _, p := range []string{"/fhir/CarePlan/r21-visits", "/fhir/Appointment/r21-visit", "/fhir/Patient/r21/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "R21-") {
			t.Fatalf("premise: GET %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "LS9 7TF") || strings.Contains(r.body, "01134960999") {
			t.Errorf("GET %s releases the restricted person's home address or phone (a contained Location): …%s…", p, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview21aTaskInputAddress: the council's assessment Task for her
// carries where it is to happen as a valueAddress input (the person's
// address), released to the district nurse of her care team.
func TestReview21aTaskInputAddress(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/Task/r21-assess", `{"resourceType":"Task","id":"r21-assess","status":"requested","intent":"order",
	  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	  "code":{"text":"R21-ASSESSMENT"},"for":{"reference":"Patient/r21"},
	  "input":[{"type":{"text":"visit address"},"valueAddress":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}},
	           {"type":{"text":"contact"},"valueContactPoint":{"system":"phone","value":"01134960999"}}]}`})
	r := e.do("GET", "/fhir/Task/r21-assess", nurse21a(e, "n21-task"), "")
	if r.status != 200 || !strings.Contains(r.body, "R21-ASSESSMENT") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "01134960999") {
		t.Errorf("the council's Task releases the restricted person's address and phone to RCX: %.700s", r.body)
	}
}

// TestReview21aSoundRoutesAlert: every route by which the nurse reaches
// the restricted person's record raises the restricted-patient alert.
func TestReview21aSoundRoutesAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed21a(t, e, "")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/r21"}}]}`
	for i, c := range []struct{ method, path, body string }{
		{"GET", "/fhir/Patient/r21", ""},
		{"GET", "/fhir/Patient/r21/_history/1", ""},
		{"GET", "/fhir/Patient/r21/_history", ""},
		{"GET", "/fhir/Patient?family=doyle", ""},
		{"GET", "/fhir/Patient?identifier=9990000069&_summary=count", ""},
		{"GET", "/fhir/Condition?patient=r21", ""},
		{"GET", "/fhir/Condition?_id=r21-dep&_include=Condition:subject", ""},
		{"GET", "/fhir/Patient/r21/$everything", ""},
		{"POST", "/fhir/Patient/r21/$everything", `{"resourceType":"Parameters"}`},
		{"POST", "/fhir", batch},
		{"HEAD", "/fhir/Patient/r21", ""},
		{"GET", "/fhir/Patient/_history", ""},
		{"GET", "/fhir/_history", ""},
		{"GET", "/fhir/CareTeam/r21-nursing", ""},
		{"GET", "/fhir/Patient?_id=r21&address-postalcode=LS9", ""},
		{"GET", "/fhir/Patient?address-postalcode=LS9", ""},
		{"GET", "/fhir/Patient?_id=r21&_elements=name", ""},
	} {
		sub := "n21-alert-" + string(rune('a'+i))
		r := e.do(c.method, c.path, nurse21a(e, sub), c.body)
		if r.status != 200 {
			t.Errorf("%s %s: %d %.300s", c.method, c.path, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "SECRET-PRACTICE") {
			t.Errorf("%s %s releases her address, phone or GP: %.500s", c.method, c.path, r.body)
		}
		if !restrictedAlerts9b(t, e, "r21")[sub] {
			t.Errorf("%s %s raised no restricted-patient alert naming her", c.method, c.path)
		}
	}
}

// TestReview21aSoundSearchVariantsMatchAndMissAlike: modifiers, sorts,
// POST _search, _summary=count and batch search entries on the redacted
// elements answer a hit as a miss.
func TestReview21aSoundSearchVariantsMatchAndMissAlike(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	nurse := nurse21a(e, "n21-search")
	for _, p := range []struct{ hit, miss string }{
		{"address-postalcode:contains=LS9", "address-postalcode:contains=ZZ1"},
		{"address:exact=" + url.QueryEscape("SECRET-ADDR 1 Hidden Lane"), "address:exact=Nowhere"},
		{"address:missing=false", "address:missing=true"},
		{"phone:not=01134960000", "phone:not=01134960999"},
		{"telecom=" + url.QueryEscape("phone|01134960999"), "telecom=" + url.QueryEscape("phone|01134960000")},
		{"general-practitioner:missing=false", "general-practitioner:missing=true"},
		{"general-practitioner:Organization=A81001", "general-practitioner:Organization=Z99999"},
		{"organization:missing=true", "organization:missing=false"},
		{"address-city:missing=true", "address-city:missing=false"},
		{"address-use:missing=true", "address-use:missing=false"},
		{"email:missing=true", "email:missing=false"},
		{"_sort=email", "_sort=-telecom"},
		{"_summary=count&address-postalcode=LS9", "_summary=count&address-postalcode=ZZ1"},
		{"_total=accurate&_count=0&phone=01134960999", "_total=accurate&_count=0&phone=01134960000"},
	} {
		hit := e.do("GET", "/fhir/Patient?_id=r21&"+p.hit, nurse, "")
		miss := e.do("GET", "/fhir/Patient?_id=r21&"+p.miss, nurse, "")
		if hit.status != miss.status || total21a(hit.body) != total21a(miss.body) || strings.Contains(hit.body, "Doyle") != strings.Contains(miss.body, "Doyle") {
			t.Errorf("%s vs %s: %d %s / %d %s", p.hit, p.miss, hit.status, total21a(hit.body), miss.status, total21a(miss.body))
		}
		_, entries, _ := strings.Cut(hit.body, `"entry"`)
		for _, s := range []string{"SECRET", "01134960999", "LS9"} {
			if strings.Contains(entries, s) {
				t.Errorf("%s releases %s", p.hit, s)
			}
		}
	}
	// POST _search with the form body
	for _, f := range []string{"_id=r21&address-postalcode=LS9", "_id=r21&address-postalcode=ZZ1"} {
		req := e.do("POST", "/fhir/Patient/_search", nurse, f, "Content-Type", "application/x-www-form-urlencoded")
		if req.status != 200 || total21a(req.body) != `"total":0` {
			t.Errorf("POST _search %s: %d %.300s", f, req.status, req.body)
		}
	}
	// batch search entries
	for _, q := range []string{"Patient?_id=r21&address-postalcode=LS9", "Patient?_id=r21&address-postalcode=ZZ1"} {
		b := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"` + q + `"}}]}`
		r := e.do("POST", "/fhir", nurse, b)
		if r.status != 200 || strings.Contains(r.body, "Doyle") || strings.Contains(r.body, "confidential-items") {
			t.Errorf("batch %s: %d %.400s", q, r.status, r.body)
		}
	}
}

func total21a(body string) string {
	i := strings.Index(body, `"total":`)
	if i < 0 {
		return "-"
	}
	j := i + len(`"total":`)
	for j < len(body) && body[j] >= '0' && body[j] <= '9' {
		j++
	}
	return body[i:j]
}

// TestReview21aSoundConditionalCreateEcho: a conditional create by the
// nurse that matches the restricted person's Patient answers with it
// redacted, on its own and in a transaction.
func TestReview21aSoundConditionalCreateEcho(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	nurse := nurse21a(e, "n21-cc")
	body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}]}`
	r := e.do("POST", "/fhir/Patient", nurse, body, "If-None-Exist", "identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990000069"), "Prefer", "return=representation")
	single := r.status
	if strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") {
		t.Errorf("conditional create echo: %d %.500s", r.status, r.body)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:5f2c2a57-6c1b-4b8e-9b57-0d3b8d3f1a01","resource":` + body + `,
	 "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"}}]}`
	r = e.do("POST", "/fhir", nurse, tx, "Prefer", "return=representation")
	if strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") {
		t.Errorf("transaction conditional create echo: %d %.500s", r.status, r.body)
	}
	t.Logf("single: %d; transaction: %d %.300s", single, r.status, r.body)
}

// TestReview21aSoundExplainForIG: the IG officer's $explain of her
// record carries none of her redacted demographics.
func TestReview21aSoundExplainForIG(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed21a(t, e, "")
	ig := e.token("ig-officer", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "ig21-explain" })
	r := e.do("GET", "/fhir/Patient/r21/$explain?role=district-nurse&org=RCX&sector=nhs", ig, "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") {
		t.Errorf("$explain: %d %.500s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Patient/r21", ig, "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") {
		t.Errorf("IG officer's read: %d %.500s", r.status, r.body)
	}
	if !restrictedAlerts9b(t, e, "r21")["ig21-explain"] {
		t.Errorf("the IG officer's read of her record raised no restricted-patient alert")
	}
}

// TestReview21aXMLCopyInAttachment: a hospital letter of hers carries her
// Patient as FHIR XML (application/fhir+xml, the other FHIR format): the
// copies redacted in an attachment are FHIR JSON only, so the hospital
// clinician of another trust on her care team reads her address.
func TestReview21aXMLCopyInAttachment(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp", `{"resourceType":"CareTeam","id":"r21-hosp","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	xml := `<Patient xmlns="http://hl7.org/fhir"><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9990000069"/></identifier><address><line value="SECRET-ADDR 1 Hidden Lane"/><postalCode value="LS9 7TF"/></address><telecom><system value="phone"/><value value="01134960999"/></telecom></Patient>`
	data := base64Std21a(xml)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/DocumentReference/r21-letter", `{"resourceType":"DocumentReference","id":"r21-letter","status":"current",
	 "type":{"text":"R21-LETTER"},"subject":{"reference":"Patient/r21"},
	 "content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + data + `"}}]}`})
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "clin21-xml" })
	r := e.do("GET", "/fhir/DocumentReference/r21-letter", clin, "")
	if r.status != 200 || !strings.Contains(r.body, "R21-LETTER") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, data) {
		t.Errorf("her Patient as FHIR XML in the GP's letter goes out whole (address SECRET-ADDR, phone) to the hospital: %.500s", r.body)
	}
}

// TestReview21aSoundEverythingLeavesGPOut: $everything of the
// restricted person does not bring in her GP (Practitioner), and IG's
// reports on her carry none of her redacted demographics.
func TestReview21aSoundEverythingLeavesGPOut(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/marg/$everything", "/fhir/Patient?_id=marg&_revinclude=CareTeam:subject&_include=Patient:link", "/fhir/Patient/marg/_history/1?_elements=generalPractitioner,address,telecom"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "dr-secret") || strings.Contains(r.body, "01134960999") {
			t.Errorf("GET %s: %d %.500s", p, r.status, r.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "RCX")
	for _, p := range []string{"/fhir/AuditEvent?patient=marg", "/fhir/AuditEvent/$who-accessed?patient=marg", "/fhir/AuditEvent/$who-accessed?patient=marg&_format=html", "/fhir/AuditEvent/$alerts"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") {
			t.Errorf("IG GET %s: %d %.500s", p, r.status, r.body)
		}
	}
}

func base64Std21a(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestReview21aSoundBreakGlassReadRedacted: a hospital clinician with no
// relationship who breaks glass gets her Patient redacted and raises the
// alert.
func TestReview21aSoundBreakGlassReadRedacted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed21a(t, e, "")
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "clin21-bg" })
	for _, p := range []string{"/fhir/Patient/r21", "/fhir/Patient/r21/$everything", "/fhir/Patient/r21/_history"} {
		r := e.do("GET", p, clin, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, need history")
		if r.status != 200 || strings.Contains(r.body, "SECRET-") || strings.Contains(r.body, "01134960999") || strings.Contains(r.body, "LS9") {
			t.Errorf("break-glass GET %s: %d %.500s", p, r.status, r.body)
		}
	}
	if !restrictedAlerts9b(t, e, "r21")["clin21-bg"] {
		t.Errorf("break-glass read raised no restricted-patient alert")
	}
}

// TestReview21aCarriedCopyLinkedToHerWithoutNumber: Jane's care plan (the
// council's) carries her carer Margaret as a contained Person (or
// Patient) that links to Margaret's Patient by reference but carries no
// NHS number. carex follows a Person's links to tell whose it is (README:
// "a Person names the Patients it links to"), yet a carried copy is told
// restricted by NHS number alone, so the carer's refuge address goes to
// Jane's district nurse.
func TestReview21aCarriedCopyLinkedToHerWithoutNumber(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	for _, c := range []struct{ id, copy string }{
		{"jane-carer-person", `{"resourceType":"Person","id":"carer","link":[{"target":{"reference":"Patient/r21"}}],"name":[{"family":"Doyle"}],
		   "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}`},
		{"jane-carer-patient", `{"resourceType":"Patient","id":"carer","link":[{"other":{"reference":"Patient/r21"},"type":"seealso"}],"name":[{"family":"Doyle"}],
		   "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}`},
	} {
		e.putAll(t, council, [2]string{"/fhir/CarePlan/" + c.id, `{"resourceType":"CarePlan","id":"` + c.id + `","status":"active","intent":"plan",
		  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		  "subject":{"reference":"Patient/jane"},"title":"JANE-CARER-PLAN","contained":[` + c.copy + `],
		  "supportingInfo":[{"reference":"#carer"}]}`})
		sub := "n21-" + c.id
		r := e.do("GET", "/fhir/CarePlan/"+c.id, nurse21a(e, sub), "")
		if r.status != 200 || !strings.Contains(r.body, "JANE-CARER-PLAN") {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "01134960999") {
			t.Errorf("%s: Jane's care plan releases her restricted carer's address and phone (a copy linking to Patient/r21): …%s…", c.id, around21a(r.body, "SECRET-ADDR"))
		}
		if !restrictedAlerts9b(t, e, "r21")[sub] {
			t.Errorf("%s: reading the copy of the restricted person raised no alert naming her", c.id)
		}
	}
}

// TestReview21aSoundOtherRecordLinkingToHer: the hospital's own record of
// her, carrying no NHS number and no label but linking to her restricted
// Patient, is released redacted to the nurse, is not found by her
// postcode, and raises the alert.
func TestReview21aSoundOtherRecordLinkingToHer(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed21a(t, e, "")
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/r21-hosp", `{"resourceType":"Patient","id":"r21-hosp","name":[{"family":"Doyle"}],
	  "link":[{"other":{"reference":"Patient/r21"},"type":"seealso"}],
	  "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}`},
		[2]string{"/fhir/CareTeam/r21-hosp-team", `{"resourceType":"CareTeam","id":"r21-hosp-team","status":"active","subject":{"reference":"Patient/r21-hosp"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := nurse21a(e, "n21-hosprec")
	r := e.do("GET", "/fhir/Patient/r21-hosp", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "01134960999") {
		t.Errorf("the hospital's record linking to her: %d %.500s", r.status, r.body)
	}
	hit := e.do("GET", "/fhir/Patient?_id=r21-hosp&address-postalcode=LS9", nurse, "")
	miss := e.do("GET", "/fhir/Patient?_id=r21-hosp&address-postalcode=ZZ1", nurse, "")
	if total21a(hit.body) != total21a(miss.body) {
		t.Errorf("postcode guess on the linked record: hit %s miss %s", total21a(hit.body), total21a(miss.body))
	}
	if !restrictedAlerts9b(t, e, "r21-hosp")["n21-hosprec"] && !restrictedAlerts9b(t, e, "r21")["n21-hosprec"] {
		t.Errorf("reading her linked record raised no restricted-patient alert")
	}
}

// around21a is body around the first of the strings found in it, for a
// failure message.
func around21a(body string, of ...string) string {
	for _, x := range of {
		if i := strings.Index(body, x); i >= 0 {
			return body[max(0, i-160):min(len(body), i+len(x)+80)]
		}
	}
	return body[:min(len(body), 300)]
}

// TestReview21aSearchByAnotherIdentifierDoesNotSeeHer: her practice's own
// patient number is dropped from her Patient outside the practice, so a
// search by it does not see her, for a right guess and a wrong one alike;
// by NHS number (with its system or bare) she is found, redacted.
func TestReview21aSearchByAnotherIdentifierDoesNotSeeHer(t *testing.T) {
	e := newEnv(t)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r21", `{"resourceType":"Patient","id":"r21",` + rLabel21a + `,
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000077"},{"system":"https://fhir.a81001.example/Id/local-patient-number","value":"12345"}],
		 "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r21-nursing", `{"resourceType":"CareTeam","id":"r21-nursing","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := nurse21a(e, "n21-ident")
	for _, qs := range [][2]string{{"identifier=https://fhir.a81001.example/Id/local-patient-number|12345", "identifier=https://fhir.a81001.example/Id/local-patient-number|99999"},
		{"identifier=12345", "identifier=99999"}} {
		hit, miss := e.do("GET", "/fhir/Patient?"+qs[0], nurse, ""), e.do("GET", "/fhir/Patient?"+qs[1], nurse, "")
		if hit.status != 200 || strings.Contains(hit.body, `"r21"`) {
			t.Errorf("Patient?%s: %d %.600s, want her not seen", qs[0], hit.status, hit.body)
		}
		if strings.Contains(hit.body, "confidential-items") != strings.Contains(miss.body, "confidential-items") || strings.Contains(hit.body, `"total":0`) != strings.Contains(miss.body, `"total":0`) {
			t.Errorf("Patient?%s answers otherwise than a wrong guess: %.600s against %.600s", qs[0], hit.body, miss.body)
		}
	}
	for _, q := range []string{"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000077", "identifier=9990000077"} {
		if r := e.do("GET", "/fhir/Patient?"+q, nurse, ""); r.status != 200 || !strings.Contains(r.body, `"r21"`) || strings.Contains(r.body, "12345") {
			t.Errorf("Patient?%s: %d %.400s, want her found, without the practice's number", q, r.status, r.body)
		}
	}
}

// TestReview21aHomeLocationIsItsSourcesAlone: her home as a Location of
// type PTRES (patient's residence), as home-visit scheduling records it,
// referenced by her appointment: the Location named no one, so it was
// directory data released to every role, found by postcode, and included
// with her appointment. A patient's residence is now labelled on write and
// released to its source alone; her appointment's reference to it goes
// out without its display. A clinic's Location stays everyone's.
func TestReview21aHomeLocationIsItsSourcesAlone(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Location/r21-home", `{"resourceType":"Location","id":"r21-home","name":"Home",
		 "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"PTRES"}]}],
		 "address":{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"},"telecom":[{"system":"phone","value":"01134960999"}]}`},
		[2]string{"/fhir/Location/clinic", `{"resourceType":"Location","id":"clinic","name":"CLINIC-21A","address":{"postalCode":"LS1 1AA"}}`},
		[2]string{"/fhir/Appointment/r21-appt", `{"resourceType":"Appointment","id":"r21-appt","status":"booked","description":"R21-APPT",
		 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},{"actor":{"reference":"Location/r21-home","display":"Home, SECRET-ADDR 1 Hidden Lane"},"status":"accepted"}]}`})
	nurse := nurse21a(e, "n21-home")
	r := e.do("GET", "/fhir/Appointment?patient=r21&_include=Appointment:location", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "R21-APPT") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "01134960999") {
		t.Errorf("her appointment's _include releases her home address (a PTRES Location): …%s…", around21a(r.body, "SECRET-ADDR"))
	}
	for _, q := range []string{"address-postalcode=" + url.QueryEscape("LS9 7TF") + "&_revinclude=Appointment:location", "_id=r21-home", "address=Hidden"} {
		if hit := e.do("GET", "/fhir/Location?"+q, nurse, ""); hit.status != 200 || strings.Contains(hit.body, "Patient/r21") || strings.Contains(hit.body, "SECRET-ADDR") {
			t.Errorf("Location?%s releases her home or names her: %d %.500s", q, hit.status, hit.body)
		}
	}
	if l := e.do("GET", "/fhir/Location/r21-home", nurse, ""); l.status != 404 {
		t.Errorf("her home Location read by the nurse: %d %.400s, want 404", l.status, l.body)
	}
	if l := e.do("GET", "/fhir/Location/r21-home", e.token("gp", "nhs", "A81001"), ""); l.status != 200 || !strings.Contains(l.body, "SECRET-ADDR") {
		t.Errorf("the practice reads the home it recorded: %d %.300s", l.status, l.body)
	}
	if l := e.do("GET", "/fhir/Location/clinic", nurse, ""); l.status != 200 || !strings.Contains(l.body, "CLINIC-21A") {
		t.Errorf("a clinic's Location is everyone's: %d %.300s", l.status, l.body)
	}
}
