package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// review10bLab is a laboratory result (a potassium of 6.8) that neither the
// social worker, the district nurse nor the IG officer may see.
const review10bLab = `{"resourceType":"Observation","id":"lab","status":"final",
 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
 "code":{"text":"LAB-POTASSIUM"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":6.8,"unit":"mmol/L"}}`

// TestReview10bContainedClinicalResourceKeepsItsClass: an item's data class
// was worked out from its own type alone, never from the resources inside
// it. The GP practice's CarePlan (care-plans) containing a laboratory
// Observation went to the social worker and the district nurse, lab value
// and all — by read, search, _revinclude, _history and $everything — though
// the policy gives neither of them observations (SPEC §1: the social worker
// sees no lab results). A RelatedPerson (demographics) and a
// Consent containing one, or carrying it as FHIR JSON in its
// sourceAttachment, went to the IG officer, who sees no clinical data at
// all. Labels already came from contained resources; classes did not.
// Now every class inside an item counts: a role sees it only when it sees
// each of them (directory resources aside), and the source still sees its
// own item.
func TestReview10bContainedClinicalResourceKeepsItsClass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	attach := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(review10bLab, `"id":"lab"`, `"id":"lab2"`)))
	e.putAll(t, gpSys,
		[2]string{"/fhir/CarePlan/cp-lab", `{"resourceType":"CarePlan","id":"cp-lab","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		 "title":"CP-WITH-LAB","contained":[` + review10bLab + `],"supportingInfo":[{"reference":"#lab"}]}`},
		[2]string{"/fhir/RelatedPerson/rp-lab", `{"resourceType":"RelatedPerson","id":"rp-lab","patient":{"reference":"Patient/jane"},"name":[{"family":"RP-WITH-LAB"}],
		 "contained":[` + review10bLab + `],"extension":[{"url":"http://example.org/result","valueReference":{"reference":"#lab"}}]}`},
		[2]string{"/fhir/Consent/treat-lab", `{"resourceType":"Consent","id":"treat-lab","status":"active",
		 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"dateTime":"2026-01-02",
		 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
		 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},
		 "sourceAttachment":{"contentType":"application/fhir+json","data":"` + attach + `"}}`},
	)
	sw := e.token("social-worker", "council", "E06000999")
	nurse := e.token("district-nurse", "nhs", "RCX")
	ig := e.token("ig-officer", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	leaks := func(body string) bool {
		return strings.Contains(body, "LAB-POTASSIUM") || strings.Contains(body, "cp-lab") ||
			strings.Contains(body, "rp-lab") || strings.Contains(body, "treat-lab")
	}
	for _, who := range []struct{ name, tok string }{{"social worker", sw}, {"district nurse", nurse}, {"IG officer", ig}} {
		for _, p := range []string{
			"/fhir/CarePlan/cp-lab", "/fhir/RelatedPerson/rp-lab", "/fhir/Consent/treat-lab",
			"/fhir/CarePlan/cp-lab/_history", "/fhir/CarePlan/cp-lab/_history/1",
			"/fhir/CarePlan?patient=jane", "/fhir/RelatedPerson?patient=jane", "/fhir/Consent?patient=jane",
			"/fhir/Patient?_id=jane&_revinclude=CarePlan:subject&_revinclude=RelatedPerson:patient&_revinclude=Consent:patient",
			"/fhir/Patient/jane/$everything",
		} {
			r := e.do("GET", p, who.tok, "")
			if r.status == 200 && leaks(r.body) || r.status == 200 && !strings.Contains(p, "?") && !strings.HasSuffix(p, "$everything") {
				t.Errorf("%s GET %s: a lab result inside a released item (status %d): %.300s", who.name, p, r.status, r.body)
			}
		}
	}
	// The GP sees the whole record; the premise that the items are there.
	r := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	for _, want := range []string{"CP-WITH-LAB", "RP-WITH-LAB", "treat-lab", "LAB-POTASSIUM"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the GP's $everything lacks %s: %d %.300s", want, r.status, r.body)
		}
	}
	// The social worker still sees a care plan with nothing clinical inside.
	if r := e.do("GET", "/fhir/CarePlan/wound", sw, ""); r.status != 200 {
		t.Errorf("social worker reading a plain care plan: %d %.200s", r.status, r.body)
	}
}

// TestReview10bContainedDefinitionAddsNoClass: a definition or terminology
// resource inside an item (a care plan's contained PlanDefinition, an
// assessment Task's contained Questionnaire) is no one's data: it must not
// add the class "other" and withhold the item from the social worker and
// the nurse, who see care plans. Seen failing after the first fix of this
// review (which counted every contained resource's class).
func TestReview10bContainedDefinitionAddsNoClass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/CarePlan/cp-def", `{"resourceType":"CarePlan","id":"cp-def","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		 "title":"CP-WITH-DEFINITION","contained":[{"resourceType":"PlanDefinition","id":"pd","status":"active"}],"instantiatesCanonical":["#pd"]}`},
		[2]string{"/fhir/Task/assess", `{"resourceType":"Task","id":"assess","status":"requested","intent":"order","for":{"reference":"Patient/jane"},
		 "description":"TASK-WITH-QUESTIONNAIRE","contained":[{"resourceType":"Questionnaire","id":"q","status":"active"}],"input":[{"type":{"text":"form"},"valueCanonical":"#q"}]}`},
	)
	for _, who := range []struct{ name, tok string }{
		{"social worker", e.token("social-worker", "council", "E06000999")}, {"district nurse", e.token("district-nurse", "nhs", "RCX")}} {
		for _, p := range []string{"/fhir/CarePlan/cp-def", "/fhir/Task/assess"} {
			if r := e.do("GET", p, who.tok, ""); r.status != 200 {
				t.Errorf("%s GET %s: %d %.200s", who.name, p, r.status, r.body)
			}
		}
	}
}
