package api_test

// Review 4c: the sharing decision (consent/, api/decide.go). Each test
// fails on the code as reviewed and passes once the finding is fixed.

import (
	"testing"
)

// undatedJaneConsent is a patient-privacy Consent of Jane's without a
// dateTime (Consent.dateTime is 0..1 in R4), with extra top-level elements.
func undatedJaneConsent(id, rule, extra string) string {
	return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}` + extra + `}`
}

// TestReview4cUndatedObjectionIsIgnored: Jane's GP practice once recorded
// a plain OPTIN (dated). Jane then objects to sharing and the practice
// records an OPTOUT without a dateTime. The write is accepted (201), the
// old OPTIN is not marked inactive (supersede compares dateTimes and the
// zero time is "older"), and the engine keeps only each recorder's newest
// dateTime — the dated OPTIN — so the objection is silently ignored and the
// district nurse still reads Jane's GP record.
// SPEC §5.3: "opt-out: OPTOUT with no exceptions … → nothing is shared
// beyond the source organisation"; "A newer consent of the same scope
// supersedes the older". An undated Consent must either be refused (422)
// or be ordered by when it was recorded (meta.lastUpdated), never lose.
func TestReview4cUndatedObjectionIsIgnored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-optin", janeConsent("jane-optin", "2025-01-01", "OPTIN", "")})
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("before the objection the nurse should read the diabetes entry: %d", r.status)
	}
	r := e.do("PUT", "/fhir/Consent/jane-optout", gpSys, undatedJaneConsent("jane-optout", "OPTOUT", ""))
	if r.status == 422 {
		return // refused as uninterpretable: acceptable
	}
	if r.status != 201 {
		t.Fatalf("objection: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
		t.Errorf("Jane's stored OPTOUT (no dateTime) is ignored: the nurse still reads her GP record (status %d, want 404)", r.status)
	}
}

// TestReview4cDenyToUnknownRoleCodeIsIgnored: Jane objects to social
// workers seeing her record. The GP practice records the deny with the
// national RBAC code R8014 (SPEC §4: "the policy file … maps national RBAC
// job roles onto these: … R8014 social worker") as the actor's role. The
// Consent is accepted, but the engine compares the code with the token's
// mapped carex role ("social-worker") and never matches: the council social
// worker still reads her NHS record. The same happens for any role code the
// policy does not define ("Social-Worker", "socialworker"): accepted and
// silently ineffective.
// SPEC §5.3: "deny to an organisation, a sector or a role (provision
// actor)"; README: "A Consent the engine cannot interpret is refused with
// a 422 naming the element."
func TestReview4cDenyToUnknownRoleCodeIsIgnored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	for _, code := range []string{"R8014", "Social-Worker"} {
		id := "jane-no-sw-" + code
		r := e.do("PUT", "/fhir/Consent/"+id, gpSys, janeConsent(id, "2025-01-01", "OPTIN",
			`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"`+code+`"}]},"reference":{"display":"social workers"}}]}`))
		if r.status == 422 {
			e.do("DELETE", "/fhir/Consent/"+id, gpSys, "")
			continue
		}
		if r.status != 201 {
			t.Fatalf("%s: %d %s", code, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
			t.Errorf("deny to role %q accepted but not enforced: the social worker reads Jane's GP record (status %d, want 404 or the Consent refused with 422)", code, r.status)
		}
		e.do("DELETE", "/fhir/Consent/"+id, gpSys, "")
	}
}

// TestReview4cDenyToPractitionerRoleIsIgnored: Jane objects to one named
// hospital clinician. The Consent names the clinician's PractitionerRole
// (the usual FHIR way to name a clinician at an organisation); ParseConsent
// accepts PractitionerRole actors, but the API gives the engine only
// "Practitioner/"+sub for the user (User.Practitioner and OrgRefs are never
// set), so a PractitionerRole can never match anyone and the deny is
// silently ineffective: the clinician reads the record.
// SPEC §5.3: "deny to an organisation, a sector or a role (provision
// actor)"; README: "A Consent the engine cannot interpret is refused with
// a 422 naming the element."
func TestReview4cDenyToPractitionerRoleIsIgnored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, hospSys,
		[2]string{"/fhir/Practitioner/hospital-clinician-user", `{"resourceType":"Practitioner","id":"hospital-clinician-user","name":[{"family":"Ward"}]}`},
		[2]string{"/fhir/PractitionerRole/dr-ward-rhx", `{"resourceType":"PractitionerRole","id":"dr-ward-rhx","practitioner":{"reference":"Practitioner/hospital-clinician-user"},"organization":{"reference":"Organization/RHX"}}`})
	if r := e.do("GET", "/fhir/Condition/diabetes", clin, ""); r.status != 200 {
		t.Fatalf("before the objection the clinician should read the entry: %d", r.status)
	}
	r := e.do("PUT", "/fhir/Consent/jane-not-dr-ward", gpSys, janeConsent("jane-not-dr-ward", "2025-01-01", "OPTIN",
		`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"PractitionerRole/dr-ward-rhx"}}]}`))
	if r.status == 422 {
		return
	}
	if r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", clin, ""); r.status != 404 {
		t.Errorf("deny to PractitionerRole/dr-ward-rhx accepted but never matches: Dr Ward reads Jane's record (status %d, want 404, or 422 on write)", r.status)
	}
}

// TestReview4cLapsedTemporaryConsentLiftsObjection: Jane has a standing
// objection (OPTOUT) recorded by her GP practice. For one hospital stay she
// agrees to sharing for February 2025 only; the practice records that as a
// newer OPTIN whose provision.period is 2025-02-01..2025-02-28. The newer
// Consent supersedes the objection (the API marks it inactive; the engine
// picks each recorder's newest dateTime before looking at periods), and
// once February is over the newer Consent "has no opinion": nothing
// withholds and Jane's record is shared with everyone for ever.
// SPEC §5.3: "period (when the consent applies)" — a permission limited to
// February must not apply (or lift anything) outside February.
func TestReview4cLapsedTemporaryConsentLiftsObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-optout", janeConsent("jane-optout", "2025-01-01", "OPTOUT", "")})
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
		t.Fatalf("the objection should withhold the GP record from the nurse: %d", r.status)
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-feb", janeConsent("jane-feb", "2025-02-01", "OPTIN",
		`,"provision":{"period":{"start":"2025-02-01","end":"2025-02-28"}}`)})
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
		t.Errorf("a February-2025-only permission lifted Jane's standing objection for good: the nurse reads her GP record now (status %d, want 404)", r.status)
	}
}

// TestReview4cSnomedExpressionEscapesRefsets: FHIR allows a SNOMED CT
// expression as the code of http://snomed.info/sct (compositional grammar:
// "86406008 |Human immunodeficiency virus infection|", or a refinement
// "86406008:246454002=41847000"). carex stores it, but Policy.Labels only
// looks the whole string up in the code lists, so an HIV diagnosis coded
// as an expression is labelled neither HIV nor STD and is released to the
// district nurse.
// SPEC §5: sensitivity labels are "derived by carex on the way in from
// configured code lists — by default the four national … SNOMED CT
// refsets"; §5.4 "labelled data is released only to its source
// organisation, or where the person has explicitly permitted it." Fix: in
// consent.Policy.Labels (or derive), label by every concept id in a SNOMED
// expression — or refuse expressions carex cannot read.
func TestReview4cSnomedExpressionEscapesRefsets(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i, code := range []string{"86406008 |Human immunodeficiency virus infection|", "86406008:246454002=41847000"} {
		id := []string{"hiv-expr-term", "hiv-expr-refined"}[i]
		r := e.do("PUT", "/fhir/Condition/"+id, gpSys, `{"resourceType":"Condition","id":"`+id+`","subject":{"reference":"Patient/jane"},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"`+code+`"}],"text":"EXPR-HIV"}}`)
		if r.status == 422 || r.status == 400 {
			continue // refused: acceptable
		}
		if r.status != 201 {
			t.Fatalf("%s: %d %s", id, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/"+id, nurse, ""); r.status != 404 {
			t.Errorf("HIV coded as the SNOMED expression %q is not labelled and is released to the nurse (status %d, want 404)", code, r.status)
		}
	}
}
