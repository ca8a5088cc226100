package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

const hivCC = `{"coding":[{"system":"http://snomed.info/sct","code":"86406008","display":"HIV infection"}]}`

// TestIdentifierSubjectOtherCodesUnlabelled: an item that names its
// person only by identifier is labelled from all its codes, not only its
// main code: an Encounter whose reason is HIV was released to every role
// that sees encounters, with no relationship (found in review).
func TestIdentifierSubjectOtherCodesUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Encounter","id":"logical-hiv-enc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
	 "subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},"display":"Jane Smith"},
	 "reasonCode":[` + hivCC + `],"serviceType":{"text":"HOSP-HIV-CLINIC"}}`
	if r := e.do("PUT", "/fhir/Encounter/logical-hiv-enc", hosp, body); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"unrelated GP", e.token("gp", "nhs", "Z99999")},
		{"social worker", e.token("social-worker", "council", "E06000999")},
	} {
		for _, p := range []string{"/fhir/Encounter/logical-hiv-enc", "/fhir/Encounter?reason-code=http://snomed.info/sct|86406008", "/fhir/Encounter/_history", "/fhir/_history"} {
			if r := e.do("GET", p, who.tok, ""); strings.Contains(r.body, "HOSP-HIV-CLINIC") {
				t.Errorf("%s: GET %s: %d releases an HIV-coded encounter: %.200s", who.name, p, r.status, r.body)
			}
		}
	}
}

// TestStoredBundleCarriesWithheldItems: a Bundle stored as a resource (a
// document or collection a feed keeps) belongs to its entries' people and
// carries their labels, and a Binary to the person its securityContext
// names; both belonged to no compartment, so they carried Jane's HIV
// diagnosis and a restricted person's address to any GP or hospital
// clinician (found in review).
func TestStoredBundleCarriesWithheldItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	hosp := e.token("system", "nhs", "RHX")
	bundle := `{"resourceType":"Bundle","id":"disch","type":"collection","entry":[
	 {"fullUrl":"https://rhx.example/fhir/Patient/marg","resource":{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
	   "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}]}},
	 {"fullUrl":"https://rhx.example/fhir/Condition/bhiv","resource":{"resourceType":"Condition","id":"bhiv","subject":{"reference":"Patient/jane"},"code":` + hivCC + `,"note":[{"text":"BUNDLED-HIV"}]}}]}`
	if r := e.do("PUT", "/fhir/Bundle/disch", hosp, bundle); r.status != 201 {
		t.Fatalf("store the bundle: %d %s", r.status, r.body)
	}
	// A Binary (a letter's content) names Jane only in securityContext.
	bin := `{"resourceType":"Binary","id":"letter","contentType":"text/plain","securityContext":{"reference":"Patient/jane"},"data":"` +
		base64.StdEncoding.EncodeToString([]byte("BINARY-LETTER: HIV clinic follow-up")) + `"}`
	if r := e.do("PUT", "/fhir/Binary/letter", hosp, bin); r.status != 201 {
		t.Fatalf("store the binary: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("gp", "nhs", "Z99999"), ""); r.status != 404 && r.status != 403 {
		t.Fatalf("baseline: an unrelated GP reads Jane's HIV diagnosis: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "Z99999"), ""); r.status != 403 {
		t.Fatalf("baseline: an unrelated GP opens Jane's record: %d", r.status)
	}
	for _, who := range []struct{ name, tok string }{
		{"unrelated GP", e.token("gp", "nhs", "Z99999")},
		{"unrelated hospital clinician", e.token("hospital-clinician", "nhs", "RYY")},
	} {
		for _, p := range []string{"/fhir/Bundle/disch", "/fhir/Bundle", "/fhir/_history"} {
			r := e.do("GET", p, who.tok, "")
			for _, s := range []string{"BUNDLED-HIV", "86406008", "SECRET-ADDR", "LS9 7TF"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: GET %s: %d releases %q", who.name, p, r.status, s)
				}
			}
		}
		for _, p := range []string{"/fhir/Binary", "/fhir/Binary/letter"} {
			if r := e.do("GET", p, who.tok, ""); strings.Contains(r.body, `"letter"`) {
				t.Errorf("%s: GET %s: %d releases Jane's letter (Binary, securityContext Patient/jane)", who.name, p, r.status)
			}
		}
	}
	// A Bundle holding only Jane's HIV diagnosis (no label anywhere) is
	// labelled by its entries' codes: her own GP, who may open her record,
	// does not get it; a Bundle of her diabetes she does.
	for id, code := range map[string]string{"hivonly": hivCC, "dmonly": `{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}`} {
		b := `{"resourceType":"Bundle","id":"` + id + `","type":"collection","entry":[{"fullUrl":"https://rhx.example/fhir/Condition/x","resource":{"resourceType":"Condition","id":"x","subject":{"reference":"Patient/jane"},"code":` + code + `,"note":[{"text":"BUNDLED-` + id + `"}]}}]}`
		if r := e.do("PUT", "/fhir/Bundle/"+id, hosp, b); r.status != 201 {
			t.Fatalf("store %s: %d %s", id, r.status, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Bundle/hivonly", gp, ""); r.status != 404 {
		t.Errorf("Jane's GP reads a Bundle of her hospital HIV diagnosis: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Bundle/dmonly", gp, ""); r.status != 200 || !strings.Contains(r.body, "BUNDLED-dmonly") {
		t.Errorf("Jane's GP cannot read a Bundle of her diabetes: %d %s", r.status, r.body)
	}
	// A Binary naming no one stays with its source.
	if r := e.do("PUT", "/fhir/Binary/nobody", hosp, `{"resourceType":"Binary","id":"nobody","contentType":"text/plain","data":"Tk9CT0RZ"}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Binary/nobody", gp, ""); r.status != 404 {
		t.Errorf("a Binary with no securityContext is released outside its source: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Binary/nobody", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("its source's clinician: %d", r.status)
	}
}

// TestContainedSecurityLabelsIgnored: a contained resource's own
// meta.security labels its container: a source's PSY label on a contained
// Condition, or the R of a contained copy of a restricted Patient, was
// ignored (labels were read from the top-level meta only; found in review).
func TestContainedSecurityLabelsIgnored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	hosp := e.token("system", "nhs", "RHX")
	trust := e.token("system", "nhs", "RCX")
	// Baseline: the same label on the item itself withholds it.
	own := `{"resourceType":"Condition","id":"psy-top","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"TOP-PSY"}}`
	plan := `{"resourceType":"CarePlan","id":"psy-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
	 "contained":[{"resourceType":"Condition","id":"c","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
	   "subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"https://rhx.example/local","code":"CRISIS-1"}],"text":"CONTAINED-PSY-CRISIS"}}],
	 "addresses":[{"reference":"#c"}]}`
	for p, b := range map[string]string{"/fhir/Condition/psy-top": own, "/fhir/CarePlan/psy-plan": plan} {
		if r := e.do("PUT", p, hosp, b); r.status != 201 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/psy-top", gp, ""); r.status != 404 {
		t.Fatalf("baseline: the top-level PSY label withholds: %d", r.status)
	}
	for _, p := range []string{"/fhir/CarePlan/psy-plan", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, gp, ""); strings.Contains(r.body, "CONTAINED-PSY-CRISIS") {
			t.Errorf("GP: GET %s: %d releases a contained PSY-labelled condition", p, r.status)
		}
	}
	// The council holds a care package for Margaret (restricted
	// demographics); the community trust's plan carries a contained copy
	// of her Patient with her address and phone.
	council := e.token("system", "council", "E06000999")
	if r := e.do("PUT", "/fhir/EpisodeOfCare/marg-pkg", council, `{"resourceType":"EpisodeOfCare","id":"marg-pkg","status":"active","patient":{"reference":"Patient/marg"},"managingOrganization":{"reference":"Organization/E06000999"}}`); r.status != 201 {
		t.Fatalf("marg-pkg: %d %s", r.status, r.body)
	}
	doc := `{"resourceType":"CarePlan","id":"marg-plan","status":"active","intent":"plan","subject":{"reference":"Patient/marg"},
	 "contained":[{"resourceType":"Patient","id":"p","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
	   "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}],
	 "author":{"reference":"#p"}}`
	if r := e.do("PUT", "/fhir/CarePlan/marg-plan", trust, doc); r.status != 201 {
		t.Fatalf("marg-plan: %d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Patient/marg", sw, ""); r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") {
		t.Fatalf("baseline: her Patient, redacted: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/CarePlan/marg-plan", "/fhir/Patient/marg/$everything"} {
		if r := e.do("GET", p, sw, ""); strings.Contains(r.body, "SECRET-ADDR") || strings.Contains(r.body, "01134960999") {
			t.Errorf("social worker: GET %s: %d releases Margaret's restricted address and phone (contained copy)", p, r.status)
		}
	}
}

// TestRelatedPersonSearchOnRedactedElements: a restricted person's
// RelatedPerson is released redacted, and its address/telecom search
// parameters must not match on what the read removes (they answered yes or
// no about it; found in review).
func TestRelatedPersonSearchOnRedactedElements(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	gp := e.token("system", "nhs", "A81001")
	carer := `{"resourceType":"RelatedPerson","id":"marg-carer","patient":{"reference":"Patient/marg"},"name":[{"family":"Doyle","given":["Tom"]}],
	 "address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}`
	if r := e.do("PUT", "/fhir/RelatedPerson/marg-carer", gp, carer); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/RelatedPerson/marg-carer", nurse, ""); r.status != 200 || strings.Contains(r.body, "LS9") {
		t.Fatalf("baseline: the read is redacted: %d %s", r.status, r.body)
	}
	for _, probe := range []struct{ hit, miss string }{
		{"address-postalcode=LS9", "address-postalcode=ZZ1"},
		{"address=SECRET-ADDR", "address=Nowhere"},
		{"phone=01134960999", "phone=01134960000"},
	} {
		hit := e.do("GET", "/fhir/RelatedPerson?patient=marg&"+probe.hit, nurse, "")
		miss := e.do("GET", "/fhir/RelatedPerson?patient=marg&"+probe.miss, nurse, "")
		if strings.Contains(hit.body, `"total":1`) && strings.Contains(miss.body, `"total":0`) {
			t.Errorf("%s answers 1, %s answers 0: the redacted address/phone is searchable", probe.hit, probe.miss)
		}
	}
}

// TestExplainNamesSensitiveLabel: $explain does not name a withheld
// item's sensitive label to the IG officer, whose role sees no clinical
// data (it said "label HIV"; found in review).
func TestExplainNamesSensitiveLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/hiv", ig, ""); r.status != 404 {
		t.Fatalf("baseline: IG reads the diagnosis: %d", r.status)
	}
	r := e.do("GET", "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs", ig, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "label HIV") {
		t.Errorf("$explain tells the IG officer that Condition/hiv is labelled HIV: %.200s", r.body[strings.Index(r.body, "Condition/hiv"):])
	}
}

// TestMergedRecordEscapesConsent: items still filed under a merged
// duplicate record (Patient.link replaced-by) are decided with the
// person's Consents on the record it links to: her objection, recorded on
// the surviving record, did not reach them (found in review).
func TestMergedRecordEscapesConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	for _, s := range []struct{ tok, path, body string }{
		{gpSys, "/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-01-10", "OPTOUT", "")},
		{gpSys, "/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","active":false,"name":[{"family":"Smith","given":["Jane"]}],"birthDate":"1950-03-04",
		  "generalPractitioner":[{"reference":"Organization/A81001"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		{gpSys, "/fhir/Condition/old-dx", `{"resourceType":"Condition","id":"old-dx","subject":{"reference":"Patient/jane-old"},"code":{"text":"OLD-GP-DX"}}`},
		{hospSys, "/fhir/Encounter/old-adm", `{"resourceType":"Encounter","id":"old-adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane-old"}}`},
	} {
		if r := e.do("PUT", s.path, s.tok, s.body); r.status != 201 {
			t.Fatalf("%s %d %s", s.path, r.status, r.body)
		}
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 {
		t.Fatalf("baseline: Jane's opt-out withholds the GP's data from the hospital: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/old-dx", "/fhir/Patient/jane-old/$everything", "/fhir/Condition?patient=jane-old"} {
		if r := e.do("GET", p, hosp, ""); strings.Contains(r.body, "OLD-GP-DX") {
			t.Errorf("GET %s: %d releases the GP's data under Jane's merged record despite her opt-out", p, r.status)
		}
	}
}

// TestAttachmentDataUnlabelled: a DocumentReference whose attachment is a
// FHIR Condition (inline base64) coded HIV is labelled by it, as a Binary
// carrying one is; the attachment was opaque to labelling (found in
// review).
func TestAttachmentDataUnlabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	inner := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":` + hivCC + `}`
	doc := `{"resourceType":"DocumentReference","id":"hiv-letter","status":"current","subject":{"reference":"Patient/jane"},
	 "type":{"coding":[{"system":"http://snomed.info/sct","code":"371529009"}]},
	 "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(inner)) + `"}}]}`
	if r := e.do("PUT", "/fhir/DocumentReference/hiv-letter", hosp, doc); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/DocumentReference/hiv-letter", e.token("gp", "nhs", "A81001"), "")
	if r.status == 200 {
		t.Errorf("the GP reads an attachment that is an HIV diagnosis (FHIR JSON, base64): %d", r.status)
	}
	bin := `{"resourceType":"Binary","id":"hiv-bin","contentType":"application/fhir+json; charset=utf-8","securityContext":{"reference":"Patient/jane"},"data":"` +
		base64.StdEncoding.EncodeToString([]byte(inner)) + `"}`
	if r := e.do("PUT", "/fhir/Binary/hiv-bin", hosp, bin); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Binary/hiv-bin", e.token("gp", "nhs", "A81001"), ""); r.status == 200 {
		t.Errorf("the GP reads a Binary that is an HIV diagnosis: %d", r.status)
	}
}
