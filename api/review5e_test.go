package api_test

// Review 5e: adversarial review of a583d33, 098468e and 67dda23.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

// receptionistEnv is the default policy plus a front-desk role not listed
// in sees-own-records (as TestReview5dPolicyRoleClassesNoLongerBind...).
func receptionistEnv(t *testing.T) *env {
	t.Helper()
	pol, err := consent.LoadPolicy(strings.NewReader(consent.DefaultPolicyText() + "\nrole receptionist demographics appointments directory\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: key, ExtraRoles: []string{"receptionist"}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy, c.Verifier = api.NewConsentPolicy(pol, c.Store), v })
	e.key = key
	seedShared(t, e)
	return e
}

// TestReview5eReceptionistReadsOwnItemNamingSomeoneUnidentified: a583d33
// makes a role's classes bind within its organisation unless the policy
// lists it in sees-own-records (ownData: role.SeesOwn || role.Sees). But
// 67dda23's gate.sourceKeeps, which decides every item naming someone
// carex could not identify (an NHS number no Patient carries yet, a
// subject by hospital number or display), still tests the old rule
// (!role.Audit || role.Sees): the receptionist reads her practice's HIV
// diagnosis of a person named by NHS number or by display alone.
func TestReview5eReceptionistReadsOwnItemNamingSomeoneUnidentified(t *testing.T) {
	e := receptionistEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/hiv-nhs", `{"resourceType":"Condition","id":"hiv-nhs","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-HIV-BY-NUMBER"}}`},
		[2]string{"/fhir/Condition/hiv-display", `{"resourceType":"Condition","id":"hiv-display","subject":{"display":"Mr X"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-HIV-BY-DISPLAY"}}`})
	if r := e.do("GET", "/fhir/Condition/hiv-nhs", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Fatalf("the practice's GP reads it: %d", r.status)
	}
	rec := e.token("receptionist", "nhs", "A81001")
	for _, p := range []string{"/fhir/Condition/hiv-nhs", "/fhir/Condition/hiv-display", "/fhir/Condition?code=http://snomed.info/sct|86406008"} {
		if r := e.do("GET", p, rec, ""); strings.Contains(r.body, "GP-HIV-BY") {
			t.Errorf("a receptionist (no clinical class, not in sees-own-records) reads %s: %d %.200s", p, r.status, r.body)
		}
	}
}

// TestReview5eReceptionistReadsOwnItemNamingNoOne: seesOutsideCompartments
// (an item naming no person) still releases anything the user's
// organisation recorded whatever the role's classes: a receptionist reads
// her practice's Observation recorded without a subject (a lab result
// awaiting matching), which her role is given no class of.
func TestReview5eReceptionistReadsOwnItemNamingNoOne(t *testing.T) {
	e := receptionistEnv(t)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Observation/unmatched", `{"resourceType":"Observation","id":"unmatched","status":"final","code":{"text":"GP-UNMATCHED-VIRAL-LOAD"},"valueString":"detected"}`})
	if r := e.do("GET", "/fhir/Observation/unmatched", e.token("receptionist", "nhs", "A81001"), ""); r.status == 200 {
		t.Errorf("a receptionist reads her practice's observation that names no one: %.200s", r.body)
	}
}

// TestReview5ePracticeNamingItselfAsGPCapturesItemsByNHSNumber: 67dda23's
// personAdmits takes "the registration record written by the practice its
// generalPractitioner names" as the person, for any writer. Any practice
// can write such a record for any number: Z99999 writes a Patient carrying
// the number with generalPractitioner Organization/Z99999, and the
// hospital's diagnosis then naming the person by that number joins it —
// Z99999's GP reads it, as in TestReview5dDuplicatePatientCaptures... with
// one more line in the Patient.
func TestReview5ePracticeNamingItselfAsGPCapturesItemsByNHSNumber(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const nhs = "4010232137"
	hosp := e.token("system", "nhs", "RHX")
	item := `{"resourceType":"Condition","id":"early","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},"code":{"text":"HOSP-EARLY-DIAGNOSIS"}}`
	e.putAll(t, hosp, [2]string{"/fhir/Condition/early", item})
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Patient/claimed", `{"resourceType":"Patient","id":"claimed","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Claimed"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`})
	e.putAll(t, hosp, [2]string{"/fhir/Condition/late", strings.NewReplacer(`"early"`, `"late"`, "HOSP-EARLY", "HOSP-LATE").Replace(item)})
	zgp := e.token("gp", "nhs", "Z99999")
	if r := e.do("GET", "/fhir/Condition/late", zgp, ""); r.status == 200 {
		t.Errorf("a practice that wrote a Patient naming itself as GP reads the hospital's diagnosis written after: %.200s", r.body)
	}
	if _, err := e.api.Relabel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/fhir/Patient/claimed/$everything", zgp, ""); strings.Contains(r.body, "HOSP-EARLY-DIAGNOSIS") {
		t.Errorf("after relabel, the diagnosis written before is in the self-registered Patient's $everything: %.300s", r.body)
	}
}

// TestReview5eSelfNamedGPRecordMakesTheRealPersonsItemsUnresolved: the same
// self-registration beside the person's real registration record makes
// the number carried by two admitted Patients: every item another
// organisation names by it afterwards is unresolved, kept with its source,
// and drops out of the person's record for their own GP.
func TestReview5eSelfNamedGPRecordMakesTheRealPersonsItemsUnresolved(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const nhs = "4010232137"
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/real", `{"resourceType":"Patient","id":"real","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Patient/claimed", `{"resourceType":"Patient","id":"claimed","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`})
	// (Fixed by trusting no Patient's own say that its writer is the GP:
	// the hospital's relationship with the person is what ties its items
	// to their record, and the self-registered Patient is not trusted.)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/CareTeam/real-ward", `{"resourceType":"CareTeam","id":"real-ward","status":"active","subject":{"reference":"Patient/real"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Condition/late", `{"resourceType":"Condition","id":"late","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},"code":{"text":"HOSP-LATE"}}`})
	if r := e.do("GET", "/fhir/Patient/real/$everything", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "HOSP-LATE") {
		t.Errorf("the person's own GP lost the hospital's diagnosis to a second practice's self-registration: %.300s", r.body)
	}
}

// TestReview5eProvenanceTargetByIdentifierOrContainedIsNoOnes: 67dda23
// keeps with its source a Provenance whose target is not stored, but a
// target carex cannot follow at all — given by identifier, or a contained
// copy (#c) of Jane's diagnosis — is skipped: the Provenance names no one
// and is released by role class to a GP with no relationship, though Jane
// opted out.
func TestReview5eProvenanceTargetByIdentifierOrContainedIsNoOnes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	janeOptsOut(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Provenance/pid", `{"resourceType":"Provenance","id":"pid","target":[{"type":"Condition","identifier":{"system":"https://riverside.example/cond","value":"jane-diabetes"}}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"display":"Dr Adams"}}],"reason":[{"text":"PROV-BY-IDENTIFIER Jane Smith diabetes review"}]}`},
		[2]string{"/fhir/Provenance/pc", `{"resourceType":"Provenance","id":"pc","contained":[{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"text":"PROV-CONTAINED-DIAGNOSIS"}}],"target":[{"reference":"#c"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"display":"Dr Adams"}}]}`})
	stranger := e.token("gp", "nhs", "Z99999")
	for _, p := range []string{"/fhir/Provenance/pid", "/fhir/Provenance/pc"} {
		if r := e.do("GET", p, stranger, ""); r.status == 200 {
			t.Errorf("a GP with no relationship reads %s: %.250s", p, r.body)
		}
	}
}

// TestReview5eStoredBundleWithAProvenanceEntryIsNoOnes: 67dda23 makes a
// stored Bundle name everyone its entries name by NamedPeople, and a
// Provenance its targets' people by targetPeople — but only a Provenance
// stored on its own: the same Provenance of Jane's diagnosis inside a
// stored collection names no one and is released by role class.
func TestReview5eStoredBundleWithAProvenanceEntryIsNoOnes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	janeOptsOut(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Bundle/feed", `{"resourceType":"Bundle","id":"feed","type":"collection","entry":[{"fullUrl":"https://riverside.example/fhir/Provenance/x","resource":{"resourceType":"Provenance","id":"x","target":[{"reference":"Condition/diabetes"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"display":"Dr Adams"}}],"reason":[{"text":"BUNDLED-PROV-REASON diabetes review"}]}}]}`})
	for _, c := range []struct{ who, tok string }{{"a GP with no relationship", e.token("gp", "nhs", "Z99999")}, {"a hospital clinician with no relationship", e.token("hospital-clinician", "nhs", "RYY")}} {
		if r := e.do("GET", "/fhir/Bundle/feed", c.tok, ""); r.status == 200 {
			t.Errorf("Jane opted out, yet %s reads the bundled provenance of her diagnosis: %.200s", c.who, r.body)
		}
	}
}
