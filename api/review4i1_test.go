package api_test

import (
	"strings"
	"testing"
)

// Review 4i1: how a person's Consents are chosen and ordered, as a whole.

// nurseReadsDiabetes reports whether the trust's district nurse (care-team
// relationship) reads Jane's GP diabetes diagnosis.
func nurseReadsDiabetes(t *testing.T, e *env) bool {
	t.Helper()
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Condition/diabetes", nurse, "")
	if r.status != 200 && r.status != 404 {
		t.Fatalf("nurse read: %d %s", r.status, r.body)
	}
	return r.status == 200
}

// janeObjects records Jane's objection to the shared care record (OPTOUT,
// no provision: nothing shared beyond the source) through her GP's system,
// and checks it is applied.
func janeObjects(t *testing.T, e *env, gpSys string) {
	t.Helper()
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/objection", janeConsent("objection", "2025-03-01", "OPTOUT", "")})
	if nurseReadsDiabetes(t, e) {
		t.Fatal("setup: Jane's objection is not applied")
	}
}

// TestReview4i1ResearchObjectionLiftsCareRecordObjection: Jane objected
// to the shared care record (OPTOUT, 1 March). On 2 March her GP records a
// second objection of hers, to research use, as a patient-privacy Consent
// whose root provision is limited to purpose HRESCH (OPTOUT, root deny for
// research). That Consent is not about direct care at all (SPEC §5:
// research opt-outs "are not this engine's business"), yet it is the GP's
// newest Consent: on write it marks the care-record objection inactive,
// and in the engine it is the only one that counts and has no opinion on a
// TREAT read, so the carex default (implied consent) releases everything.
// Her second objection undoes her first. Same shape as the fix for a root
// action that excludes reads (GovernsReads): a root purpose that excludes
// every purpose carex serves should neither supersede nor be chosen.
func TestReview4i1ResearchObjectionLiftsCareRecordObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	janeObjects(t, e, gpSys)
	r := e.do("PUT", "/fhir/Consent/no-research", gpSys, janeConsent("no-research", "2025-03-02", "OPTOUT",
		`,"provision":{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HRESCH"}]}`))
	if r.status == 422 {
		return // refused on write: nothing lifted
	}
	if r.status != 201 {
		t.Fatalf("research objection: %d %s", r.status, r.body)
	}
	if nurseReadsDiabetes(t, e) {
		o := e.do("GET", "/fhir/Consent/objection", gpSys, "")
		t.Errorf("recording Jane's objection to research lifted her objection to the shared care record: the district nurse reads her GP diagnosis (care-record objection inactive: %v)",
			strings.Contains(o.body, `"status":"inactive"`))
	}
}

// TestReview4i1CorrectingTheNewerConsentLosesTheObjection: Jane objected
// (OPTOUT, 1 March). On 2 March her GP's system records a permit (OPTIN)
// that supersession marks her objection inactive for. The permit was a
// mistake — recorded on the wrong person, or with the wrong date — and
// the GP corrects it the usual FHIR ways: status entered-in-error, a
// DELETE, moving it to the right person, or correcting its dateTime to
// before the objection. Each time the permit stops being Jane's newest
// Consent, but the objection it wrongly superseded stays inactive for
// good: nothing re-activates it, the engine never sees it again, and Jane's
// record is shared although her only real choice was to object. Nobody is
// told. (entered-in-error means the permit never should have existed; the
// objection it displaced should count again.)
func TestReview4i1CorrectingTheNewerConsentLosesTheObjection(t *testing.T) {
	const john = `{"resourceType":"Patient","id":"john","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],
"name":[{"family":"Jones","given":["John"]}],"gender":"male","birthDate":"1951-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`
	permit := janeConsent("permit", "2025-03-02", "OPTIN", "")
	cases := []struct {
		name   string
		method string
		body   string
	}{
		{"marked entered-in-error", "PUT", strings.Replace(permit, `"status":"active"`, `"status":"entered-in-error"`, 1)},
		{"deleted", "DELETE", ""},
		{"moved to the right person", "PUT", strings.Replace(permit, `"Patient/jane"`, `"Patient/john"`, 1)},
		{"dateTime corrected to before the objection", "PUT", strings.Replace(permit, `"2025-03-02"`, `"2025-02-28"`, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			e.putAll(t, gpSys, [2]string{"/fhir/Patient/john", john})
			janeObjects(t, e, gpSys)
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", permit})
			if !nurseReadsDiabetes(t, e) {
				t.Fatal("setup: the permit did not supersede the objection")
			}
			if r := e.do(tc.method, "/fhir/Consent/permit", gpSys, tc.body); r.status != 200 && r.status != 204 {
				t.Fatalf("correction: %d %s", r.status, r.body)
			}
			if nurseReadsDiabetes(t, e) {
				o := e.do("GET", "/fhir/Consent/objection", gpSys, "")
				t.Errorf("the permit that displaced Jane's objection was %s, but the objection stays inactive (%v) and her record is shared",
					tc.name, strings.Contains(o.body, `"status":"inactive"`))
			}
		})
	}
}

// TestReview4i1TransactionSupersessionRevertsTheObjectionUpdate: Jane's
// objection (OPTOUT, 1 March) is stored. Her GP's system sends one
// transaction with her consent history since: a permit she gave on 2
// March (a new Consent) and her objection re-affirmed on 3 March (an
// update of the stored objection, dated 3 March). Her newest choice is the
// objection. But supersession runs in the write decision, before any of
// the transaction is written: the permit's supersession finds the stored
// objection (still dated 1 March, older than the permit) and queues "that
// version, marked inactive" — applied after the transaction's own writes,
// so it overwrites the 3 March update with the old body, inactive. The
// permit alone counts and Jane's record is shared; the update the client
// was told succeeded is gone.
func TestReview4i1TransactionSupersessionRevertsTheObjectionUpdate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	janeObjects(t, e, gpSys)
	reaffirmed := janeConsent("objection", "2025-03-03", "OPTOUT", "")
	permit := janeConsent("permit", "2025-03-02", "OPTIN", "")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + permit + `,"request":{"method":"PUT","url":"Consent/permit"}},
	 {"resource":` + reaffirmed + `,"request":{"method":"PUT","url":"Consent/objection"}}]}`
	r := e.do("POST", "/fhir", gpSys, tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	o := e.do("GET", "/fhir/Consent/objection", gpSys, "")
	if !strings.Contains(o.body, `"2025-03-03"`) || !strings.Contains(o.body, `"status":"active"`) {
		t.Errorf("the transaction's update of the objection (3 March, active) was overwritten by supersession: %s", o.body)
	}
	if nurseReadsDiabetes(t, e) {
		t.Error("Jane's newest choice (her objection, re-affirmed 3 March) is not applied: the nurse reads her GP diagnosis")
	}
}

// TestReview4i1DenyForUnknownPurposeIsIgnored: Jane objects to the council
// seeing her NHS record for care; the deny's purpose is coded "treat"
// (lower case) or "CAREMGT" (a PurposeOfUse code carex does not serve).
// The Consent is accepted, but the engine compares purposes exactly with
// the user's (TREAT), never matches, and the social worker still reads
// her GP record. Review 4c made role codes the policy does not know a 422;
// purpose codes are not checked at all, so the deny is silently
// ineffective.
func TestReview4i1DenyForUnknownPurposeIsIgnored(t *testing.T) {
	for _, code := range []string{"treat", "CAREMGT"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			sw := e.token("social-worker", "council", "E06000999")
			r := e.do("PUT", "/fhir/Consent/no-council", gpSys, janeConsent("no-council", "2025-03-01", "OPTIN",
				`,"provision":{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"`+code+`"}],
				  "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}]}`))
			if r.status == 422 {
				return
			}
			if r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
				t.Errorf("deny to the council for purpose %q accepted but never matches: the social worker reads Jane's GP record (status %d, want 404 or 422)", code, r.status)
			}
		})
	}
}
