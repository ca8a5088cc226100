package api_test

// Review 22a: a re-read of the changes of review 21 (restricted
// demographics, writes, the access log, url masking). SPEC §5: "A patient
// whose demographics are marked restricted (confidentiality R …) never
// has address, telephone or GP released outside the source organisation,
// and every access to them raises an IG alert."

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const secretAddr22a = "SECRET-ADDR 1 Hidden Lane"

func leaks22a(body string) bool {
	return strings.Contains(body, "SECRET-ADDR") || strings.Contains(body, "LS9 7TF") || strings.Contains(body, "01134960999")
}

// TestReview22aLocationByReferenceReleasesHerHome: the GP's home-visit
// Appointment of the restricted person names where it happens — her home —
// as a stored Location (type PTRES, "patient's residence") referenced by
// the Appointment, not contained in it. The contained Location is
// redacted (review 21a); the referenced one goes out whole, by _include
// and by a read.
func TestReview22aLocationByReferenceReleasesHerHome(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Location/r21-home", `{"resourceType":"Location","id":"r21-home","status":"active","name":"Patient's home",
		 "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"PTRES","display":"Patient's Residence"}]}],
		 "address":{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"},"telecom":[{"system":"phone","value":"01134960999"}]}`},
		[2]string{"/fhir/Appointment/r21-homevisit", `{"resourceType":"Appointment","id":"r21-homevisit","status":"booked","description":"R21-HOMEVISIT",
		 "participant":[{"actor":{"reference":"Patient/r21"},"status":"accepted"},{"actor":{"reference":"Location/r21-home"},"status":"accepted"}]}`},
	)
	nurse := nurse21a(e, "n22a-loc")
	for _, p := range []string{
		"/fhir/Appointment?patient=r21&_include=Appointment:location",
		"/fhir/Appointment?patient=r21&_include=Appointment:actor",
		"/fhir/Patient/r21/$everything",
		"/fhir/Location/r21-home",
	} {
		r := e.do("GET", p, nurse, "")
		t.Logf("GET %s: %d", p, r.status)
		if leaks22a(r.body) {
			t.Errorf("GET %s (district nurse, RCX) releases the restricted person's home address/phone from the Location her Appointment references: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR", "01134960999"))
		}
	}
	// and to a user with no relationship to her at all
	for _, p := range []string{"/fhir/Location/r21-home", "/fhir/Location?address-postalcode=LS9"} {
		r := e.do("GET", p, e.token("hospital-clinician", "nhs", "RHX"), "")
		if leaks22a(r.body) {
			t.Errorf("GET %s (hospital clinician, RHX, no relationship with her) releases her home address: %d", p, r.status)
		}
	}
}

// TestReview22aHerXMLAttachmentOtherContentType: her Patient as FHIR XML
// (or an HL7 v2 message with her PID segment) in the GP's letter, with a
// content type that does not say "xml" (text/plain, none at all,
// application/octet-stream, HL7 v2's). maskXMLPeople (now maskUnreadPeople) read only a
// contentType containing "xml"; an app sniffs the content.
func TestReview22aHerXMLAttachmentOtherContentType(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp", `{"resourceType":"CareTeam","id":"r21-hosp","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	xml := `<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9990000069"/></identifier><address><line value="` + secretAddr22a + `"/><postalCode value="LS9 7TF"/></address><telecom><system value="phone"/><value value="01134960999"/></telecom></Patient>`
	v2 := "MSH|^~\\&|GP|A81001|HOSP|RHX|20260101||ADT^A08|1|P|2.4\rPID|||9990000069^^^NHS||Doyle^Margaret||19620101|F|||" + secretAddr22a + "^^Leeds^^LS9 7TF||01134960999\r"
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "clin22a-xml" })
	for i, c := range []struct{ name, ct, data string }{
		{"text/plain", `"contentType":"text/plain",`, xml},
		{"no contentType", ``, xml},
		{"application/octet-stream", `"contentType":"application/octet-stream",`, xml},
		{"HL7 v2", `"contentType":"x-application/hl7-v2+er7",`, v2},
		{"FHIR JSON as text/plain", `"contentType":"text/plain",`, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"address":[{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"}]}`},
	} {
		id := "r22a-letter-" + string(rune('a'+i))
		data := base64Std21a(c.data)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
		 "type":{"text":"R22A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":{` + c.ct + `"data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status != 200 || !strings.Contains(r.body, "R22A-LETTER") {
			t.Fatalf("premise %s: %d %.300s", c.name, r.status, r.body)
		}
		if strings.Contains(r.body, data) {
			t.Errorf("%s: her demographics (address %q, phone) in the GP's letter go out whole to the hospital clinician (RHX): attachment data released as stored", c.name, secretAddr22a)
		}
	}
	// FHIR XML as a data: url
	data := base64Std21a(xml)
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r22a-letter-url", `{"resourceType":"DocumentReference","id":"r22a-letter-url","status":"current",
	 "type":{"text":"R22A-LETTER"},"subject":{"reference":"Patient/r21"},
	 "content":[{"attachment":{"contentType":"application/fhir+xml","url":"data:application/fhir+xml;base64,` + data + `"}}]}`})
	if r := e.do("GET", "/fhir/DocumentReference/r22a-letter-url", clin, ""); r.status != 200 || strings.Contains(r.body, data) {
		t.Errorf("data: url: her Patient as FHIR XML in the GP's letter goes out whole to the hospital clinician: %d", r.status)
	}
}

// seedCarerPlan22a: Jane's care plan (the council's) carries her carer —
// the restricted person r21 — as a contained copy of her demographics
// given by copy; the district nurse RCX (on both care teams) reads it.
func seedCarerPlan22a(t *testing.T, e *env, id, copy string) resp {
	t.Helper()
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/CarePlan/" + id, `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan",
		  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		  "subject":{"reference":"Patient/jane"},"title":"JANE-CARER-PLAN","contained":[` + copy + `],
		  "supportingInfo":[{"reference":"#carer"}]}`})
	r := e.do("GET", "/fhir/CarePlan/"+id, nurse21a(e, "n22a-"+id), "")
	if r.status != 200 || !strings.Contains(r.body, "JANE-CARER-PLAN") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	return r
}

const carerDemo22a = `"name":[{"family":"Doyle"}],"address":[{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]`

// TestReview22aCarriedCopyLinkedByIdentifier: as review 21a's Person
// linking to her Patient, but the link names her by identifier (her NHS
// number), the copy itself carrying none. restrictedLinks reads only
// link.target/other.reference.
func TestReview22aCarriedCopyLinkedByIdentifier(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seed21a(t, e, "")
	for _, c := range []struct{ id, copy string }{
		{"j22a-person-ident", `{"resourceType":"Person","id":"carer","link":[{"target":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}}}],` + carerDemo22a + `}`},
		{"j22a-patient-ident", `{"resourceType":"Patient","id":"carer","link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}},"type":"seealso"}],` + carerDemo22a + `}`},
	} {
		r := seedCarerPlan22a(t, e, c.id, c.copy)
		if leaks22a(r.body) {
			t.Errorf("%s: Jane's care plan releases her restricted carer's address and phone (a copy linking to her by NHS number identifier): …%s…", c.id, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview22aSoundCarriedCopyLinkedByOtherReferenceForms: the link names her
// Patient by absolute url, by a versioned reference, or with
// a display (sound: each is redacted).
func TestReview22aSoundCarriedCopyLinkedByOtherReferenceForms(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seed21a(t, e, "")
	for i, ref := range []string{
		`{"reference":"` + e.base + `/fhir/Patient/r21"}`,
		`{"reference":"Patient/r21/_history/1"}`,
		`{"reference":"Patient/r21","display":"x"}`,
	} {
		id := "j22a-ref-" + string(rune('a'+i))
		r := seedCarerPlan22a(t, e, id, `{"resourceType":"Person","id":"carer","link":[{"target":`+ref+`}],`+carerDemo22a+`}`)
		if leaks22a(r.body) {
			t.Errorf("link.target %s: Jane's care plan releases her restricted carer's address and phone: …%s…", ref, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview22aCarriedCopyLinkedThroughRelatedPerson: the council holds
// Margaret (r21) as Jane's carer, a RelatedPerson carrying her NHS number
// (redacted when read, review 13a). Jane's care plan carries a Person
// copy of the carer that links to that RelatedPerson, not to her Patient.
func TestReview22aCarriedCopyLinkedThroughRelatedPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/RelatedPerson/jane-carer-r21", `{"resourceType":"RelatedPerson","id":"jane-carer-r21",
	  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	  "patient":{"reference":"Patient/jane"},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],` + carerDemo22a + `}`})
	if r := e.do("GET", "/fhir/RelatedPerson/jane-carer-r21", nurse21a(e, "n22a-rp"), ""); r.status != 200 || leaks22a(r.body) {
		t.Fatalf("premise: the RelatedPerson is redacted: %d %.400s", r.status, r.body)
	}
	r := seedCarerPlan22a(t, e, "j22a-via-rp", `{"resourceType":"Person","id":"carer","link":[{"target":{"reference":"RelatedPerson/jane-carer-r21"}}],`+carerDemo22a+`}`)
	if leaks22a(r.body) {
		t.Errorf("Jane's care plan releases her restricted carer's address and phone (a Person copy linking to the RelatedPerson that is her): …%s…", around21a(r.body, "SECRET-ADDR"))
	}
}

// TestReview22aCarriedXMLCopyInAnotherPersonsItem: Jane's carer letter
// (the council's) carries her carer Margaret's (r21's) Patient as FHIR
// XML. XML attachments are masked only in the restricted person's own
// items (which == nil); in another person's item the copy, found by
// number only in FHIR JSON, goes out whole.
func TestReview22aCarriedXMLCopyInAnotherPersonsItem(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seed21a(t, e, "")
	xml := `<Patient xmlns="http://hl7.org/fhir"><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9990000069"/></identifier><address><line value="` + secretAddr22a + `"/><postalCode value="LS9 7TF"/></address><telecom><system value="phone"/><value value="01134960999"/></telecom></Patient>`
	data := base64Std21a(xml)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/DocumentReference/jane-carer-letter", `{"resourceType":"DocumentReference","id":"jane-carer-letter","status":"current",
	  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	  "type":{"text":"JANE-CARER-LETTER"},"subject":{"reference":"Patient/jane"},
	  "content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + data + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/jane-carer-letter", nurse21a(e, "n22a-xmlcopy"), "")
	if r.status != 200 || !strings.Contains(r.body, "JANE-CARER-LETTER") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, data) {
		t.Errorf("Jane's carer letter releases her restricted carer's Patient (FHIR XML: address, phone) whole to the district nurse RCX")
	}
}

// TestReview22aSoundPlacesAtOtherDepths: an Address or ContactPoint value
// in an extension on a primitive, in a nested extension, a Location in a
// Bundle contained in her referral, and one in FHIR JSON carried as an
// attachment, all in her items: each is masked.
func TestReview22aSoundPlacesAtOtherDepths(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	locJSON := `{"resourceType":"Location","id":"home","address":{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"},"telecom":[{"system":"phone","value":"01134960999"}]}`
	for _, c := range [][2]string{
		{"/fhir/CarePlan/r22a-prim", `{"resourceType":"CarePlan","id":"r22a-prim","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R22A",
		  "description":"home visits","_description":{"extension":[{"url":"https://x.example/visit-at","valueAddress":{"line":["` + secretAddr22a + `"]}}]}}`},
		{"/fhir/CarePlan/r22a-nested", `{"resourceType":"CarePlan","id":"r22a-nested","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R22A",
		  "activity":[{"detail":{"status":"scheduled","extension":[{"url":"https://x.example/a","extension":[{"url":"b","extension":[{"url":"c","valueContactPoint":{"system":"phone","value":"01134960999"}}]}]}]}}]}`},
		{"/fhir/ServiceRequest/r22a-bundle", `{"resourceType":"ServiceRequest","id":"r22a-bundle","status":"active","intent":"order","subject":{"reference":"Patient/r21"},"code":{"text":"R22A"},
		  "contained":[{"resourceType":"Bundle","id":"b","type":"collection","entry":[{"resource":` + locJSON + `}]}],"supportingInfo":[{"reference":"#b"}]}`},
		{"/fhir/CarePlan/r22a-attached", `{"resourceType":"CarePlan","id":"r22a-attached","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R22A",
		  "extension":[{"url":"https://x.example/att","valueAttachment":{"contentType":"application/fhir+json","data":"` + base64Std21a(locJSON) + `"}}]}`},
	} {
		e.putAll(t, gp, c)
		r := e.do("GET", c[0], nurse21a(e, "n22a-depth"), "")
		if r.status != 200 || !strings.Contains(r.body, "R22A") {
			t.Fatalf("premise %s: %d %.300s", c[0], r.status, r.body)
		}
		if leaks22a(r.body) || strings.Contains(r.body, base64Std21a(locJSON)) {
			t.Errorf("%s releases her address or phone: %.600s", c[0], r.body)
		}
	}
}

// TestReview22aSoundChainedSearchByHerPracticeNumber: a search of her items
// chained through her Patient's identifier by the practice's own patient
// number (which her Patient goes out without, review 21a) answers a right
// guess as a wrong one (chains and _has are refused, 400, alike).
func TestReview22aSoundChainedSearchByHerPracticeNumber(t *testing.T) {
	e := newEnv(t)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r21", `{"resourceType":"Patient","id":"r21",` + rLabel21a + `,
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000077"},{"system":"https://fhir.a81001.example/Id/local-patient-number","value":"12345"}],
		 "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}]}`},
		[2]string{"/fhir/Condition/r21-dep", `{"resourceType":"Condition","id":"r21-dep","subject":{"reference":"Patient/r21"},"code":{"text":"R21-DEPRESSION"}}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r21-nursing", `{"resourceType":"CareTeam","id":"r21-nursing","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := nurse21a(e, "n22a-chain")
	for _, qs := range [][2]string{
		{"Condition?patient.identifier=https://fhir.a81001.example/Id/local-patient-number|12345", "Condition?patient.identifier=https://fhir.a81001.example/Id/local-patient-number|99999"},
		{"Condition?subject:Patient.identifier=12345", "Condition?subject:Patient.identifier=99999"},
		{"Patient?_has:Condition:patient:_id=r21-dep&identifier=12345", "Patient?_has:Condition:patient:_id=r21-dep&identifier=99999"},
		{"CareTeam?patient.identifier=12345", "CareTeam?patient.identifier=99999"},
	} {
		hit, miss := e.do("GET", "/fhir/"+qs[0], nurse, ""), e.do("GET", "/fhir/"+qs[1], nurse, "")
		t.Logf("%s: %d %s / %d %s", qs[0], hit.status, total21a(hit.body), miss.status, total21a(miss.body))
		if hit.status != miss.status || total21a(hit.body) != total21a(miss.body) || strings.Contains(hit.body, "confidential-items") != strings.Contains(miss.body, "confidential-items") {
			t.Errorf("%s answers a right guess of her practice's patient number otherwise than a wrong one: %d %s …%s… / %d %s", qs[0], hit.status, total21a(hit.body), around21a(hit.body, "R21-", "r21"), miss.status, total21a(miss.body))
		}
	}
}

// TestReview22aSoundStoredPersonLinkingByIdentifier (sound: both redacted): the council's own Person
// record of her (its master index), linking to her by NHS number
// identifier rather than by reference to her Patient, carrying her
// address. Read by the district nurse of her care team.
func TestReview22aSoundStoredPersonLinkingByIdentifier(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council,
		[2]string{"/fhir/Person/r22a-ref", `{"resourceType":"Person","id":"r22a-ref","link":[{"target":{"reference":"Patient/r21"}}],` + carerDemo22a + `}`},
		[2]string{"/fhir/Person/r22a-ident", `{"resourceType":"Person","id":"r22a-ident","link":[{"target":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}}}],` + carerDemo22a + `}`})
	nurse := nurse21a(e, "n22a-person")
	for _, p := range []string{"/fhir/Person/r22a-ref", "/fhir/Person/r22a-ident", "/fhir/Person?_id=r22a-ref,r22a-ident"} {
		r := e.do("GET", p, nurse, "")
		t.Logf("GET %s: %d", p, r.status)
		if leaks22a(r.body) {
			t.Errorf("GET %s (district nurse RCX) releases her address/phone: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview22aSoundSourceFindsHerByPracticeNumber: her practice (the
// source of her Patient) still finds her by its own patient number.
func TestReview22aSoundSourceFindsHerByPracticeNumber(t *testing.T) {
	e := newEnv(t)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r21", `{"resourceType":"Patient","id":"r21",` + rLabel21a + `,
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000077"},{"system":"https://fhir.a81001.example/Id/local-patient-number","value":"12345"}],
		 "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}]}`})
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("system", "nhs", "A81001")} {
		for _, q := range []string{"identifier=https://fhir.a81001.example/Id/local-patient-number|12345", "identifier=12345", "identifier=9990000077"} {
			if r := e.do("GET", "/fhir/Patient?"+q, tok, ""); r.status != 200 || !strings.Contains(r.body, `"r21"`) || !strings.Contains(r.body, "SECRET-ADDR") {
				t.Errorf("the source's Patient?%s: %d %.300s", q, r.status, r.body)
			}
		}
	}
}

// TestReview22aGPPracticeByIdentifierValueInExtension: her Patient names
// her GP practice in an extension by its ODS code as a valueIdentifier
// (or a valueCoding of the ODS system), not a Reference: only Address,
// ContactPoint and Reference values are dropped.
func TestReview22aGPPracticeByIdentifierValueInExtension(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, `,"extension":[{"url":"https://x.example/registered-gp-practice","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}},
	  {"url":"https://x.example/registered-gp-practice-code","valueCoding":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","code":"A81001","display":"SECRET-PRACTICE Riverside Surgery"}}]`)
	r := e.do("GET", "/fhir/Patient/r21", nurse21a(e, "n22a-gpid"), "")
	if r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "A81001") || strings.Contains(r.body, "SECRET-PRACTICE") {
		t.Errorf("her Patient, read by the district nurse RCX, names her GP practice in an extension: %s", r.body)
	}
}

// TestReview22aSoundLongSchemeAndMultiEncodingVariants: variants of the
// whole strings of the url-masking change (a scheme of any length, up to
// four rounds of decoding) naming Jane's withheld HIV diagnosis are masked
// for the hospital clinician.
func TestReview22aSoundLongSchemeAndMultiEncodingVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	long := "web+" + strings.Repeat("a", 200)
	for i, s := range []string{
		long + "%3ACondition/hiv",
		"web+a1.b-c" + strings.Repeat("Z", 60) + ":Condition/hiv",
		"https://h.example/fhir/Condition%25252Fhiv",
		"web+app%253ACondition/hiv",
		"web+app:Condition%25%32%46hiv",
		long + ":Condition\\\\hiv",
		long + ":x/#/Condition/hiv",
		long + ":Condition/hiv?x=1",
	} {
		id := "r22a-ls-" + string(rune('a'+i))
		body := urlDocReadByHospital(t, e, gpSystem, hosp, id, s, "R22ALS "+s, true)
		if strings.Contains(body, `"`+s+`"`) {
			t.Errorf("%q names the withheld diagnosis to the hospital: %.600s", s, body)
		}
	}
}

// TestReview22aSoundXMLAttachmentOddBase64: her Patient as
// FHIR XML in the GP's letter, its base64 with characters outside the
// alphabet mixed in (a lenient decoder, as Python's b64decode or a
// browser's atob after stripping, skips them) or the url-safe and standard
// alphabets mixed. maskXMLPeople (now maskUnreadPeople) masked only what decodeBase64 decodes;
// other data would be released as stored. (Sound: base64 that is not
// valid is refused on write, 422.)
func TestReview22aSoundXMLAttachmentOddBase64(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp", `{"resourceType":"CareTeam","id":"r21-hosp","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	xml := `<Patient xmlns="http://hl7.org/fhir"><address><line value="` + secretAddr22a + `"/><postalCode value="LS9 7TF"/></address><telecom><value value="01134960999"/></telecom></Patient>`
	std := base64Std21a(xml)
	var dotted strings.Builder
	for i, c := range std {
		if i > 0 && i%16 == 0 {
			dotted.WriteByte('.')
		}
		dotted.WriteRune(c)
	}
	gp := e.token("system", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "clin22a-b64" })
	for i, data := range []string{dotted.String(), strings.TrimRight(std, "=") + "=="} {
		id := "r22a-b64-" + string(rune('a'+i))
		w := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current",
		 "type":{"text":"R22A-LETTER"},"subject":{"reference":"Patient/r21"},
		 "content":[{"attachment":{"contentType":"application/fhir+xml","data":"`+data+`"}}]}`)
		if w.status != 201 {
			t.Logf("%s: refused on write: %d %.200s", id, w.status, w.body)
			continue
		}
		r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
		if r.status == 200 && strings.Contains(r.body, data) {
			t.Errorf("%s: her Patient as FHIR XML, base64 %q…, goes out as stored to the hospital clinician", id, data[:40])
		}
	}
}

// TestReview22aHerXMLAttachmentUTF16WithoutBOM: her Patient as FHIR XML
// in UTF-16 without a byte-order mark, its charset in the content type
// (an XML parser reads it: XML 1.0 appendix F, and the charset).
// maskXMLPeople (now maskUnreadPeople) looked for its words in the bytes as they are (fromUTF16
// reads a BOM only), finds none between the zero bytes, and releases it.
func TestReview22aHerXMLAttachmentUTF16WithoutBOM(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r21-hosp", `{"resourceType":"CareTeam","id":"r21-hosp","status":"active","subject":{"reference":"Patient/r21"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	xml := `<?xml version="1.0" encoding="UTF-16"?><Patient xmlns="http://hl7.org/fhir"><address><line value="` + secretAddr22a + `"/><postalCode value="LS9 7TF"/></address><telecom><value value="01134960999"/></telecom></Patient>`
	var le []byte
	for _, c := range xml {
		le = append(le, byte(c), 0)
	}
	data := base64Std21a(string(le))
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/DocumentReference/r22a-u16", `{"resourceType":"DocumentReference","id":"r22a-u16","status":"current",
	 "type":{"text":"R22A-LETTER"},"subject":{"reference":"Patient/r21"},
	 "content":[{"attachment":{"contentType":"application/fhir+xml; charset=UTF-16LE","data":"` + data + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/r22a-u16", e.token("hospital-clinician", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, "R22A-LETTER") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, data) {
		t.Errorf("her Patient as FHIR XML in UTF-16LE (no BOM) goes out whole to the hospital clinician (address, phone)")
	}
}

// TestReview22aSoundSearchByBareNHSNumberFindsHer: the nurse of her care
// team finds her (redacted) by NHS number however it is sent: bare, with
// spaces, with its system, by POST _search, in a batch.
func TestReview22aSoundSearchByBareNHSNumberFindsHer(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	nurse := nurse21a(e, "n22a-bare")
	for _, q := range []string{"identifier=9990000069", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069", "identifier=9990000069,9434765919"} {
		r := e.do("GET", "/fhir/Patient?"+q, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, `"r21"`) || leaks22a(r.body) {
			t.Errorf("Patient?%s: %d %.300s", q, r.status, r.body)
		}
	}
	if r := e.do("POST", "/fhir/Patient/_search", nurse, "identifier=9990000069", "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 || !strings.Contains(r.body, `"r21"`) || leaks22a(r.body) {
		t.Errorf("POST _search: %d %.300s", r.status, r.body)
	}
	b := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?identifier=9990000069"}}]}`
	if r := e.do("POST", "/fhir", nurse, b); r.status != 200 || !strings.Contains(r.body, `"r21"`) || leaks22a(r.body) {
		t.Errorf("batch: %d %.300s", r.status, r.body)
	}
}

// TestReview22aBareNHSNumberWithSpacesFindsNoOne: SPEC §5, "NHS numbers
// are accepted with or without spaces". A Patient search by a bare NHS
// number written with spaces finds no one (Jane, or the restricted r21),
// though the same number with its system and spaces finds her (nhsNumbersOnly
// and searchNames, review 21c, read the bare spaced value as her number;
// the search's own match does not).
func TestReview22aBareNHSNumberWithSpacesFindsNoOne(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	sys := e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205919", gp, "")
	if sys.status != 200 || total21a(sys.body) != `"total":1` {
		t.Fatalf("premise: with its system and spaces: %d %s", sys.status, total21a(sys.body))
	}
	r, xs := e.review21cDo(t, "sp22a", "GET", "/fhir/Patient?identifier=943%20476%205919", gp, "")
	if r.status != 200 || total21a(r.body) != `"total":1` {
		t.Errorf("GET /fhir/Patient?identifier=943%%20476%%205919 (GP of A81001): %d %s, want Jane found as with its system (logged naming %q)", r.status, total21a(r.body), xs[0].Patient)
	}
}

// TestReview22aContainedOrganisationAddressInHerItem: the council's
// referral of her names who referred her — the refuge she lives in — as
// a contained Organization with its address and phone (requester
// "#refuge"). redactPlaces takes the address out of a contained Location
// and out of Address/ContactPoint values, not out of another contained
// resource's address or telecom, so where she lives goes to the district
// nurse of her care team.
func TestReview22aContainedOrganisationAddressInHerItem(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/ServiceRequest/r22a-referral", `{"resourceType":"ServiceRequest","id":"r22a-referral","status":"active","intent":"order",
	  "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
	  "code":{"text":"R22A-REFERRAL"},"subject":{"reference":"Patient/r21"},
	  "contained":[{"resourceType":"Organization","id":"refuge","name":"Northshire Women's Refuge","address":[{"line":["` + secretAddr22a + `"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}],
	  "requester":{"reference":"#refuge"}}`})
	r := e.do("GET", "/fhir/ServiceRequest/r22a-referral", nurse21a(e, "n22a-refuge"), "")
	if r.status != 200 || !strings.Contains(r.body, "R22A-REFERRAL") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if leaks22a(r.body) {
		t.Errorf("her referral (the council's) releases the address and phone of the refuge she lives in (a contained Organization) to the district nurse RCX: …%s…", around21a(r.body, "SECRET-ADDR"))
	}
}
