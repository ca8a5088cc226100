package api_test

// Cases found in a review of 5a74fac (merged records, the reference
// lookup budget, labels, relabel's lock). Each test's comment says what
// went wrong before its fix; the test asserts what must hold now.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
)

// seedPat: a third person whose Patient resource the hospital's PAS also
// wrote (as it writes every patient it admits), registered with Jane's GP.
func seedPat(t *testing.T, e *env) {
	t.Helper()
	if r := e.do("PUT", "/fhir/Patient/pat", e.token("system", "nhs", "RHX"),
		`{"resourceType":"Patient","id":"pat","name":[{"family":"Third"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`); r.status != 201 {
		t.Fatalf("seed pat: %d %s", r.status, r.body)
	}
}

// The same-organisation rule: the hospital's PAS wrote both Ann's and
// Pat's Patient resources, so its link from Ann's record to Pat's counts,
// and Ann's HIV diagnosis (the GP's, permitted to no one) reaches the
// hospital under the permit Pat's GP recorded for Pat's own HIV data.
func TestReview3SameWriterLinkImportsAnotherPersonsPermit(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedAnn(t, e)
	seedPat(t, e)
	patPermit := strings.NewReplacer(`"Patient/jane"`, `"Patient/pat"`, `"jane-hiv-hosp"`, `"pat-hiv-hosp"`).Replace(janeHIVToHospital)
	if r := e.do("PUT", "/fhir/Consent/pat-hiv-hosp", e.token("system", "nhs", "A81001"), patPermit); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/ann-hiv", hosp, ""); r.status != 404 {
		t.Fatalf("premise: %d", r.status)
	}
	link := strings.Replace(annLinkedToJane, `"Patient/jane"`, `"Patient/pat"`, 1)
	if r := e.do("PUT", "/fhir/Patient/ann", e.token("system", "nhs", "RHX"), link); r.status != 200 {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/ann-hiv", hosp, ""); r.status != 404 || strings.Contains(r.body, "ANN-HIV") {
		t.Errorf("after the hospital linked Ann's record to Pat's (both its own Patient resources), Ann's HIV diagnosis reaches it: %d %.200s", r.status, r.body)
	}
}

// ... and lifts Ann's objection to the hospital: the GP's newer OPTIN on
// Pat's record supersedes its older OPTOUT on Ann's.
func TestReview3SameWriterLinkLiftsObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedAnn(t, e)
	seedPat(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	annOut := strings.NewReplacer(`"Patient/jane"`, `"Patient/ann"`).Replace(janeConsent("ann-out", "2026-01-10", "OPTOUT", ""))
	patIn := strings.NewReplacer(`"Patient/jane"`, `"Patient/pat"`).Replace(janeConsent("pat-in", "2026-02-01", "OPTIN", ""))
	for _, s := range []struct{ path, body string }{{"/fhir/Consent/ann-out", annOut}, {"/fhir/Consent/pat-in", patIn}} {
		if r := e.do("PUT", s.path, gpSys, s.body); r.status != 201 {
			t.Fatalf("%s: %d %s", s.path, r.status, r.body)
		}
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/ann-dm", hosp, ""); r.status != 404 {
		t.Fatalf("premise: %d", r.status)
	}
	link := strings.Replace(annLinkedToJane, `"Patient/jane"`, `"Patient/pat"`, 1)
	if r := e.do("PUT", "/fhir/Patient/ann", e.token("system", "nhs", "RHX"), link); r.status != 200 {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/ann-dm", hosp, ""); r.status != 404 || strings.Contains(r.body, "ANN-DIABETES") {
		t.Errorf("after the hospital linked Ann's record to Pat's, Ann's objection to it is lifted: %d %.200s", r.status, r.body)
	}
}

// TestMergedRecordEscapesConsent with the duplicate written by the hospital
// PAS (its own record of Jane, replaced-by the GP's): before 5a74fac her
// objection on the surviving record reached the GP's items filed under it;
// now the link does not count (another organisation, no link back) and
// they are released against her objection.
func TestReview3CrossOrgMergeLosesObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	for _, s := range []struct{ tok, path, body string }{
		{gpSys, "/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-01-10", "OPTOUT", "")},
		{hospSys, "/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","active":false,"name":[{"family":"Smith","given":["Jane"]}],"birthDate":"1950-03-04",
		  "generalPractitioner":[{"reference":"Organization/A81001"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		{gpSys, "/fhir/Condition/old-dx", `{"resourceType":"Condition","id":"old-dx","subject":{"reference":"Patient/jane-old"},"code":{"text":"OLD-GP-DX"}}`},
	} {
		if r := e.do("PUT", s.path, s.tok, s.body); r.status != 201 {
			t.Fatalf("%s %d %s", s.path, r.status, r.body)
		}
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 {
		t.Fatalf("baseline: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/old-dx", "/fhir/Patient/jane-old/$everything"} {
		if r := e.do("GET", p, hosp, ""); strings.Contains(r.body, "OLD-GP-DX") {
			t.Errorf("GET %s: %d releases the GP's data under Jane's merged record despite her opt-out", p, r.status)
		}
	}
}

// The GP merges its own duplicates (mutual links) and then deletes the old
// Patient resource; Jane's objection, recorded on the old record, is still
// stored and active. person() skips a linked record with no (live)
// Patient, so the objection no longer reaches the surviving record.
func TestReview3DeletedMergedRecordDropsObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	oldOut := strings.NewReplacer(`"Patient/jane"`, `"Patient/jane-old"`).Replace(janeConsent("old-out", "2026-01-10", "OPTOUT", ""))
	janeLinked := strings.Replace(janeJSON, `"resourceType":"Patient",`, `"resourceType":"Patient","link":[{"other":{"reference":"Patient/jane-old"},"type":"replaces"}],`, 1)
	for _, s := range []struct{ tok, method, path, body string }{
		{gpSys, "PUT", "/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","active":false,"name":[{"family":"Smith","given":["Jane"]}],
		  "generalPractitioner":[{"reference":"Organization/A81001"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		{gpSys, "PUT", "/fhir/Consent/old-out", oldOut},
		{gpSys, "PUT", "/fhir/Patient/jane", janeLinked},
	} {
		if r := e.do(s.method, s.path, s.tok, s.body); r.status/100 != 2 {
			t.Fatalf("%s %d %s", s.path, r.status, r.body)
		}
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 {
		t.Fatalf("premise: her objection on the merged record reaches the survivor: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Patient/jane-old", gpSys, ""); r.status/100 != 2 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 || strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("after the GP deleted the merged duplicate's Patient, her objection recorded on it is lost: %d %.200s", r.status, r.body)
	}
}

var _ = fmt.Sprint

// TestLinkOfDeletedRecordStillCounts: a retired duplicate that is deleted
// keeps linking the items still filed under it to the person's other
// record: her objection there went on applying until the duplicate's
// Patient was deleted, and then did not (found in review).
func TestLinkOfDeletedRecordStillCounts(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys, hospSys := e.token("system", "nhs", "A81001"), e.token("system", "nhs", "RHX")
	for _, w := range []struct{ tok, path, body string }{
		{gpSys, "/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-01-10", "OPTOUT", "")},
		{hospSys, "/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","name":[{"family":"Smith"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		{gpSys, "/fhir/Condition/old-dx", `{"resourceType":"Condition","id":"old-dx","subject":{"reference":"Patient/jane-old"},"code":{"text":"OLD-GP-DX"}}`},
	} {
		if r := e.do("PUT", w.path, w.tok, w.body); r.status != 201 {
			t.Fatalf("%s: %d %s", w.path, r.status, r.body)
		}
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/old-dx", hosp, ""); r.status != 404 {
		t.Fatalf("premise: her objection reaches the old record: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Patient/jane-old", hospSys, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/old-dx", "/fhir/Condition?subject=Patient/jane-old"} {
		if r := e.do("GET", p, hosp, ""); strings.Contains(r.body, "OLD-GP-DX") {
			t.Errorf("after the duplicate's Patient was deleted, GET %s: %d releases it", p, r.status)
		}
	}
}

// janeLinkedToOld is Jane's Patient linking to her old record, jane-old.
var janeLinkedToOld = strings.Replace(janeJSON, `"id":"jane",`, `"id":"jane","link":[{"other":{"reference":"Patient/jane-old"},"type":"replaces"}],`, 1)

// oldRecordConsent is a patient-privacy Consent recorded on jane-old.
func oldRecordConsent(id, rule string) string {
	return strings.Replace(janeConsent(id, "2026-01-10", rule, ""), `"Patient/jane"`, `"Patient/jane-old"`, 1)
}

// TestBreakGlassOverLinkedObjectionIsLogged: break-glass that overrides an
// objection recorded on another record of the person is logged as an
// override, as for the record's own (it was logged as break-glass alone;
// found in review).
func TestBreakGlassOverLinkedObjectionIsLogged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","active":false,"name":[{"family":"Smith"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		[2]string{"/fhir/Consent/old-optout", oldRecordConsent("old-optout", "OPTOUT")},
		[2]string{"/fhir/Patient/jane", janeLinkedToOld})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 {
		t.Fatalf("premise: the objection on her old record withholds: %d", r.status)
	}
	r := e.do("GET", "/fhir/Condition/diabetes", hosp, "", "X-Break-Glass", "EMERGENCY: unconscious in resus, no history available")
	if r.status != 200 {
		t.Fatalf("break-glass read: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); !slices.Contains(x.Reasons, "break-glass-override") {
		t.Errorf("the access log's reasons %v do not say break-glass overrode her objection", x.Reasons)
	}
}

// TestBreakGlassOverrideOnlyWhenLinkedConsentObjects: a linked record whose
// Consents object to nothing adds no override to the access log. Jane
// released her HIV data to the hospital; her old record's plain OPTIN does
// not, and break-glass releases HIV under this policy, so the old record
// "needed" break-glass for it: the log claimed an override (found in
// review).
func TestBreakGlassOverrideOnlyWhenLinkedConsentObjects(t *testing.T) {
	text := strings.Replace(consent.DefaultPolicyText(), "\nbreak-glass-releases", "\nbreak-glass-releases HIV STD", 1)
	pol, err := consent.LoadPolicy(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Consent/jane-hiv-hosp", janeHIVToHospital},
		[2]string{"/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","active":false,"name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/Consent/old-optin", oldRecordConsent("old-optin", "OPTIN")},
		[2]string{"/fhir/Patient/jane", janeLinkedToOld})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 200 {
		t.Fatalf("premise: Jane released her HIV data to the hospital: %d", r.status)
	}
	r := e.do("GET", "/fhir/Condition/hiv", hosp, "", "X-Break-Glass", "EMERGENCY: unconscious in resus, no history available")
	if r.status != 200 {
		t.Fatalf("break-glass read: %d %s", r.status, r.body)
	}
	if x := e.lastEntry(t); slices.Contains(x.Reasons, "break-glass-override") {
		t.Errorf("the access log claims break-glass overrode something: %v", x.Reasons)
	}
}
