package api_test

// Review 5d: adversarial review of the fixes of reviews 5a-5c
// (8f58df3..e34d36c). Each test fails on e34d36c.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

// janeOptsOut records Jane's objection (SPEC §5 opt-out: "nothing is
// shared beyond the source organisation").
func janeOptsOut(t *testing.T, e *env) {
	t.Helper()
	if r := e.do("PUT", "/fhir/Consent/jane-opt-out", e.token("gp", "nhs", "A81001"), janeConsent("jane-opt-out", "2026-01-10", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
}

// bobAtZ is Bob, registered at practice Z99999 (which has no relationship
// with Jane).
func bobAtZ(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`})
}

// TestReview5dRestrictedPersonAccessedByTheSourceRaisesNoAlert: SPEC §5 "A
// patient whose demographics are marked restricted … every access to them
// raises an IG alert." gate.ownData releases an item its organisation
// recorded without preparing the person, so a read of it never notes
// restricted-patient: the hospital clinician reading her trust's admission
// of a restricted person, or the GP reading the restricted Patient her
// practice recorded, leave no restricted-patient alert in $alerts (a
// search by patient= does raise one). Since f54f591 this also covers every
// class the role does not otherwise see.
func TestReview5dRestrictedPersonAccessedByTheSourceRaisesNoAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gps := e.token("system", "nhs", "A81001")
	e.putAll(t, gps, [2]string{"/fhir/Patient/hidden", `{"resourceType":"Patient","id":"hidden","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"name":[{"family":"Hidden"}],"address":[{"line":["1 Refuge Road"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Encounter/adm", `{"resourceType":"Encounter","id":"adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/hidden"},"serviceType":{"text":"HIDDEN-ADMISSION"}}`})
	clin := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "clin-5d" })
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-5d" })
	if r := e.do("GET", "/fhir/Encounter/adm", clin, ""); r.status != 200 {
		t.Fatalf("clinician: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/hidden", gp, ""); r.status != 200 || !strings.Contains(r.body, "Refuge Road") {
		t.Fatalf("GP: %d", r.status)
	}
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001"), "")
	var rep struct {
		Alerts []struct{ Sub, Patient, Code string } `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("alerts: %d %v", r.status, err)
	}
	for _, sub := range []string{"clin-5d", "gp-5d"} {
		found := false
		for _, a := range rep.Alerts {
			if a.Sub == sub && a.Patient == "hidden" && a.Code == "restricted-patient" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s accessed the restricted person (data their organisation recorded): no restricted-patient alert", sub)
		}
	}
}

// TestReview5dRelabelReactivatesAWithdrawalTheLegacyRewriteNeverMade: carex
// relabel restores a Consent "only where the inactive version changed
// nothing but the status and was stored in the same transaction as the
// recorder's newer active patient-privacy Consent for the person, so an
// organisation's own withdrawal stays" (d00c6d1). A GP system that
// withdraws a permit and records the person's current choice in one
// transaction stores exactly that — and the earlier release never made
// that rewrite when the Consent recorded beside it was dated before the
// withdrawn one (supersede: "Kept when dated after the new one"), or was
// limited to a period, so such a pair is always the organisation's own
// withdrawal. Here Jane withdrew her permit releasing her HIV diagnosis to
// the hospital; her GP recorded it with her general agreement to sharing,
// signed on paper earlier (dated before the permit). Relabel restores the
// permit, which, being the newer, decides again: the hospital reads her
// HIV diagnosis.
func TestReview5dRelabelReactivatesAWithdrawalTheLegacyRewriteNeverMade(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	permit := strings.Replace(janeHIVToHospital, `"id":"jane-hiv-hosp"`, `"id":"older"`, 1) // dated 2026-01-10
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/older", permit})
	clin := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", clin, ""); r.status != 200 {
		t.Fatalf("with the permit: %d", r.status)
	}
	withdrawn := strings.Replace(permit, `"status":"active"`, `"status":"inactive"`, 1)
	general := janeConsent("newer", "2025-11-02", "OPTIN", "") // her paper form, dated before the permit
	legacyRewrite(t, e, gpSys, withdrawn, general)
	if r := e.do("GET", "/fhir/Condition/hiv", clin, ""); r.status != 404 {
		t.Fatalf("after the withdrawal: %d", r.status)
	}
	// Every version here counts as stored before api.LegacySupersessionEnd
	// (as TestRestoreLegacyInactiveConsents has it).
	found, err := e.api.RestoreLegacyInactiveConsents(context.Background(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("relabel restored %+v: the earlier release never made this rewrite (the Consent beside it is dated before it)", found)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", clin, ""); r.status == 200 {
		t.Errorf("Jane withdrew her permit, yet after relabel the hospital reads her HIV diagnosis: %d %.200s", r.status, r.body)
	}
}

// TestReview5dPolicyRoleClassesNoLongerBindWithinTheOrganisation: SPEC §5
// layer 1 "Role — the policy file says which data classes each role may
// see"; §4 "the policy file may add more [roles]". Since f54f591 a source
// organisation's every non-audit role sees all it recorded "whatever
// classes the role sees" (README rule 1, a documented choice): a role a
// deployment adds for its front desk — `role receptionist demographics
// appointments directory` — now reads the practice's HIV diagnosis, and
// its legally restricted fertility record, which the policy file gives it
// no class of. The policy can no longer keep any non-audit role of an
// organisation from that organisation's clinical data (before f54f591:
// 404).
func TestReview5dPolicyRoleClassesNoLongerBindWithinTheOrganisation(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(consent.DefaultPolicyText() + "\nrole receptionist demographics appointments directory\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: key, ExtraRoles: []string{"receptionist"}}) // as serve does for a policy's roles
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy, c.Verifier = api.NewConsentPolicy(pol, c.Store), v })
	e.key = key
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Condition/ivf", `{"resourceType":"Condition","id":"ivf","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"GP-IVF"}}`})
	rec := e.token("receptionist", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane", rec, ""); r.status != 200 {
		t.Fatalf("the receptionist reads the demographics her role is given: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/hiv", "/fhir/Condition/ivf", "/fhir/Observation/hba1c"} {
		if r := e.do("GET", p, rec, ""); r.status == 200 {
			t.Errorf("a receptionist, whose role the policy gives no clinical class, reads %s (her practice recorded it): %.160s", p, r.body)
		}
	}
}

// TestReview5dBreakGlassOnJaneOverridesBobsOptOutThroughFocus: break-glass
// opens one person's record, and "an item that person shares with others
// (a care team naming a spouse) comes with them" (README, bgAlong: decided
// under the break-glass reason, no grant). Since e34d36c an item's focus
// makes it the focal person's too, so Bob's own hospital observation whose
// focus is his wife Jane (subject Bob) is "shared": a clinician at another
// trust who breaks glass for Jane gets it in her $everything although Bob
// has opted out and the clinician has no relationship with him — his
// objection overridden by a break-glass for someone else. Before e34d36c
// it was Bob's alone and not in Jane's record at all.
func TestReview5dBreakGlassOnJaneOverridesBobsOptOutThroughFocus(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	bobAtZ(t, e)
	zgp := e.token("gp", "nhs", "Z99999")
	bobOut := strings.NewReplacer(`"id":"jane-opt-out"`, `"id":"bob-opt-out"`, "Patient/jane", "Patient/bob").Replace(janeConsent("jane-opt-out", "2026-01-10", "OPTOUT", ""))
	if r := e.do("PUT", "/fhir/Consent/bob-opt-out", zgp, bobOut); r.status != 201 {
		t.Fatalf("Bob's opt-out: %d %s", r.status, r.body)
	}
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Observation/bob-carer", `{"resourceType":"Observation","id":"bob-carer","status":"final","subject":{"reference":"Patient/bob"},"focus":[{"reference":"Patient/jane"}],"code":{"text":"BOB-CARER-STRAIN-DEPRESSION"}}`})
	other := e.token("hospital-clinician", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Observation/bob-carer", other, ""); r.status == 200 {
		t.Fatalf("premise: without break-glass: %d", r.status)
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", other, "", "X-Break-Glass", "EMERGENCY: collapsed at home, no history")
	if r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("break-glass for Jane: %d %.200s", r.status, r.body)
	}
	if strings.Contains(r.body, "BOB-CARER-STRAIN-DEPRESSION") {
		t.Errorf("break-glass for Jane releases Bob's own observation (subject Bob, focus Jane) against Bob's opt-out, to a trust with no relationship with him")
	}
}

// TestReview5dObjectionNamingThePersonByContainedPatientIsIgnored: e34d36c
// makes a Consent whose patient is a contained Patient carrying an NHS
// number that person's (README: a Consent names its person "by the
// compartment's elements (by reference or NHS number)"; resolvePeople
// stores it among Jane's). The engine then drops it: consent.Patient.about
// compares Consent.patient's reference ("#p") with "Patient/jane". Jane's
// GP system records her objection so, carex answers 201, and the council's
// social worker still reads her GP diagnosis — the objection stored,
// acknowledged and without effect. (The same Consent with
// patient.identifier is refused, 422, so a client learns nothing is
// wrong only in this form.)
func TestReview5dObjectionNamingThePersonByContainedPatientIsIgnored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	c := strings.Replace(janeConsent("jane-opt-out", "2026-01-10", "OPTOUT", `,"contained":[{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}]`),
		`"patient":{"reference":"Patient/jane"}`, `"patient":{"reference":"#p"}`, 1)
	r := e.do("PUT", "/fhir/Consent/jane-opt-out", e.token("system", "nhs", "A81001"), c)
	if r.status >= 400 {
		return // refused: the GP system knows to send it again
	}
	sw := e.token("social-worker", "council", "E06000999")
	if got := e.do("GET", "/fhir/Condition/diabetes", sw, ""); got.status == 200 {
		t.Errorf("Jane's objection was stored (%d) naming her by a contained Patient with her NHS number, yet the social worker reads her GP diagnosis", r.status)
	}
}

// TestReview5dTransactionConditionOpensASecondPerson: 487f04d makes a
// transaction's GET entries share one break-glass person (bgShare, put in
// the request's context by bundle). The request's own gate — which decides
// the transaction's conditions (If-None-Exist, conditional update and
// reference) — was made earlier, in begin (Admit), from the context
// without it, so it keeps a break-glass person of its own (gate.bg). A
// transaction whose conditional create names Jane (If-None-Exist by her
// NHS number: allowed, it names the person) opens her record with
// break-glass and returns her Patient, and its GET entry then opens Bob's
// $everything with the same header: two people's records opened, and two
// 4-hour grants made, by one request.
func TestReview5dTransactionConditionOpensASecondPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	bobAtZ(t, e)
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Condition/bob-copd", `{"resourceType":"Condition","id":"bob-copd","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-COPD"}}`})
	clin := e.token("hospital-clinician", "nhs", "RYY")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]},
	  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}},
	 {"request":{"method":"GET","url":"Patient/bob/$everything"}}]}`
	r := e.do("POST", "/fhir", clin, tx, "X-Break-Glass", "EMERGENCY: two casualties from one car, unconscious")
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	janeOpened := strings.Contains(r.body, `"birthDate":"1950-03-04"`) || strings.Contains(r.body, `"id":"jane"`)
	bobOpened := strings.Contains(r.body, "BOB-COPD")
	if janeOpened && bobOpened {
		t.Errorf("one break-glass transaction opened Jane's record (its condition) and Bob's (its GET entry): %.600s", r.body)
	}
	// The grants each left.
	jr := e.do("GET", "/fhir/Patient/jane", clin, "")
	br := e.do("GET", "/fhir/Condition/bob-copd", clin, "")
	if jr.status == 200 && br.status == 200 {
		t.Errorf("after it, the clinician holds break-glass grants for both Jane (%d) and Bob (%d)", jr.status, br.status)
	}
}
