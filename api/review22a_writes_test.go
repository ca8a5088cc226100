package api_test

// Review 22a: writes after review 21b (mayReplace decides "seen" by the
// gate alone; checkReferences takes another organisation's
// sensitive-labelled directory item as an id never stored).

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview22aConsentDenyNamingWithheldOrganisationNeverApplies: the
// hospital's Organization is stored under a uuid with its ODS code RHX as
// an identifier (review 9c), and labelled R by the hospital. Jane's GP
// records her objection to the hospital by that stored id. Review 9c
// refused such a Consent (422: carex knows users by their code, so it
// would match no one); since review 21b an Organization labelled
// sensitive of another organisation is taken as an id never stored, so
// the Consent is stored naming "5f0c2a9e-hosp" as if it were a code, and
// the deny never applies: the hospital clinician reads what Jane denied.
func TestReview22aConsentDenyNamingWithheldOrganisationNeverApplies(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Organization/5f0c2a9e-hosp", `{"resourceType":"Organization","id":"5f0c2a9e-hosp",
	  "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}],"name":"Riverside Hospital"}`})
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 200 {
		t.Fatalf("premise: the hospital reads Jane's diabetes before her objection: %d", r.status)
	}
	deny := `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/5f0c2a9e-hosp"}}]}`
	w := e.do("PUT", "/fhir/Consent/jane-no-hosp", gpSys, janeConsent("jane-no-hosp", "2026-01-10", "OPTIN", deny))
	t.Logf("Consent write: %d %.300s", w.status, w.body)
	if w.status == 422 || w.status == 400 {
		return // refused: the writer is told to name it otherwise
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 {
		t.Errorf("Jane's Consent denying the hospital (named Organization/5f0c2a9e-hosp, its ODS code RHX an identifier, labelled R) was stored (%d) and never applies: the hospital clinician (RHX) reads her diabetes: %d %.200s", w.status, r.status, r.body)
	}
}

// TestReview22aSoundConsentNamingOrganisationByStoredIDStillRefused:
// review 9c holds for an unlabelled Organization.
func TestReview22aSoundConsentNamingOrganisationByStoredIDStillRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Organization/5f0c2a9e-hosp", `{"resourceType":"Organization","id":"5f0c2a9e-hosp",
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}],"name":"Riverside Hospital"}`})
	deny := `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/5f0c2a9e-hosp"}}]}`
	w := e.do("PUT", "/fhir/Consent/jane-no-hosp", e.token("system", "nhs", "A81001"), janeConsent("jane-no-hosp", "2026-01-10", "OPTIN", deny))
	if w.status != 422 || !strings.Contains(w.body, "RHX") {
		t.Errorf("Consent naming the hospital by its stored id: %d %.300s, want 422 naming RHX", w.status, w.body)
	}
}

// TestReview22aSoundOwnWrites: legitimate writes over an organisation's
// own items still go through now that "seen" is the gate's: the GP
// system writes back its restricted Patient; the nurse corrects and
// deletes the observation she recorded (observations are not a
// district-nurse class: sees-own-records); the council's social worker
// corrects the council's care package of a person whose Consent denies
// the council; the hospital corrects its own encounter of a person
// who denies the hospital.
func TestReview22aSoundOwnWrites(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	gpSys := e.token("system", "nhs", "A81001")
	// the GP system's write-back of its own restricted Patient, as read
	r := e.do("GET", "/fhir/Patient/r21", gpSys, "")
	if r.status != 200 || !strings.Contains(r.body, "SECRET-ADDR") {
		t.Fatalf("premise: the source reads her Patient whole: %d %.300s", r.status, r.body)
	}
	if w := e.do("PUT", "/fhir/Patient/r21", gpSys, r.body); w.status != 200 {
		t.Errorf("the GP system's write-back of its own restricted Patient: %d %.300s", w.status, w.body)
	}
	if w := e.do("PUT", "/fhir/Patient/r21", e.token("gp", "nhs", "A81001"), strings.Replace(r.body, "Doyle", "Doyle-Smith", 1)); w.status != 200 {
		t.Errorf("the GP's correction of her own practice's restricted Patient: %d %.300s", w.status, w.body)
	}
	// the nurse's own observation
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "n22a-own" })
	obs := `{"resourceType":"Observation","id":"n22a-wound","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"wound assessment"},"valueString":"V1"}`
	e.putAll(t, nurse, [2]string{"/fhir/Observation/n22a-wound", obs})
	if w := e.do("PUT", "/fhir/Observation/n22a-wound", nurse, strings.Replace(obs, "V1", "V2", 1)); w.status != 200 {
		t.Errorf("the nurse's correction of her own observation: %d %.300s", w.status, w.body)
	}
	if w := e.do("DELETE", "/fhir/Observation/n22a-wound", nurse, ""); w.status != 200 && w.status != 204 {
		t.Errorf("the nurse's delete of her own observation: %d %.300s", w.status, w.body)
	}
	// Jane denies the council and the hospital
	deny := `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}},{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`
	if w := e.do("PUT", "/fhir/Consent/jane-deny22a", gpSys, janeConsent("jane-deny22a", "2026-01-10", "OPTIN", deny)); w.status != 201 {
		t.Fatalf("premise: consent: %d %.300s", w.status, w.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
		t.Fatalf("premise: the council is denied Jane's NHS data: %d", r.status)
	}
	pkg := e.do("GET", "/fhir/EpisodeOfCare/package", sw, "")
	if pkg.status != 200 {
		t.Fatalf("premise: the council reads its own care package: %d", pkg.status)
	}
	if w := e.do("PUT", "/fhir/EpisodeOfCare/package", sw, strings.Replace(pkg.body, "COUNCIL-CARE-PACKAGE", "COUNCIL-CARE-PACKAGE-2", 1)); w.status != 200 {
		t.Errorf("the social worker's correction of the council's own care package: %d %.300s", w.status, w.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	enc := e.do("GET", "/fhir/Encounter/admission", hosp, "")
	if enc.status != 200 {
		t.Fatalf("premise: the hospital reads its own encounter: %d", enc.status)
	}
	if w := e.do("PUT", "/fhir/Encounter/admission", hosp, strings.Replace(enc.body, "HOSP-ADMISSION", "HOSP-ADMISSION-2", 1)); w.status != 200 {
		t.Errorf("the hospital's correction of its own encounter: %d %.300s", w.status, w.body)
	}
}

// TestReview22aSoundOwnItemWithBreakGlassHeader (sound: GET and PUT alike
// answer 403 "role social-worker may not break glass"): a social worker's client
// sends X-Break-Glass on every request of an emergency session (the
// social-worker role may not break glass). Her correction of the council's
// own care package — which she reads without the header — is now decided
// by the gate, which refuses the break-glass, and answered as a write over
// an item withheld from her: 409 "the id is taken" (before review 21b, an
// organisation's own item was seen for a replace).
func TestReview22aSoundOwnItemWithBreakGlassHeader(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	pkg := e.do("GET", "/fhir/EpisodeOfCare/package", sw, "")
	if pkg.status != 200 {
		t.Fatalf("premise: %d", pkg.status)
	}
	g := e.do("GET", "/fhir/EpisodeOfCare/package", sw, "", "X-Break-Glass", "EMERGENCY: safeguarding visit tonight")
	w := e.do("PUT", "/fhir/EpisodeOfCare/package", sw, strings.Replace(pkg.body, "COUNCIL-CARE-PACKAGE", "COUNCIL-CARE-PACKAGE-2", 1), "X-Break-Glass", "EMERGENCY: safeguarding visit tonight")
	t.Logf("GET with header: %d %.200s; PUT with header: %d %.300s", g.status, g.body, w.status, w.body)
	if w.status == 409 && strings.Contains(w.body, "taken") {
		t.Errorf("the council's own care package, written by its social worker with X-Break-Glass, is answered as another's id: %d %.300s (the same GET answers %d)", w.status, w.body, g.status)
	}
}

// TestReview22aSoundOwnBinaryOverAnotherOrgsItem (sound: read 200, PUT 200,
// DELETE 204): the hospital's own Binary
// (a scanned letter) whose securityContext is Jane's GP-recorded HIV
// diagnosis, which the hospital may not see. The hospital's correction or
// delete of its own Binary: "only the source organisation may change its
// own data" — since review 21b it is decided as a read of the diagnosis.
func TestReview22aSoundOwnBinaryOverAnotherOrgsItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	b := `{"resourceType":"Binary","id":"hosp22a-scan","contentType":"text/plain","securityContext":{"reference":"Condition/hiv"},"data":"` + base64Std21a("HOSP-SCAN-V1") + `"}`
	w0 := e.do("PUT", "/fhir/Binary/hosp22a-scan", hospSys, b)
	if w0.status != 201 {
		t.Skipf("the hospital may not store a Binary over the GP's item: %d %.300s", w0.status, w0.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/Binary/hosp22a-scan", hosp, "")
	w := e.do("PUT", "/fhir/Binary/hosp22a-scan", hospSys, strings.Replace(b, base64Std21a("HOSP-SCAN-V1"), base64Std21a("HOSP-SCAN-V2"), 1))
	d := e.do("DELETE", "/fhir/Binary/hosp22a-scan", hosp, "")
	t.Logf("GET %d; PUT %d %.200s; DELETE %d %.200s", r.status, w.status, w.body, d.status, d.body)
	if w.status != 200 {
		t.Errorf("the hospital system's correction of its own Binary: %d %.300s", w.status, w.body)
	}
}
