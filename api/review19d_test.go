package api_test

// Review 19d: another process (carex import) writing the same database file
// while the server runs. Each test's comment says what went wrong before
// its fix, or that it passed when first written.

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/sqlite"
)

// importBeside runs raw (a resource or Bundle) through carex import's code
// path as org's system, on a second store opened on the server's file: the
// nightly feed beside the running server.
func importBeside(t *testing.T, e *env, org, raw string) {
	t.Helper()
	ctx := context.Background()
	other, err := sqlite.Open(ctx, e.db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	srv := api.New(api.Config{Store: other})
	p := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: org, Sector: "nhs", Role: "system", Purpose: "TREAT"}
	if _, err := srv.Import(ctx, p, []byte(raw)); err != nil {
		t.Fatalf("import beside the server: %v", err)
	}
}

// TestReview19dImportedOptOutWithheldAtOnce: Jane's opt-out arriving by the
// GP's nightly import, beside the running server that has her sharing
// contexts cached (the nurse read her record just before), withholds the
// hospital's diagnosis from the nurse at her next read, by read, search and
// $everything; also when the server's own next commit is a feed's neutral
// clinical write for her (whose cached context is otherwise carried over
// to a successor instead of loaded again). Passed when first written.
func TestReview19dImportedOptOutWithheldAtOnce(t *testing.T) {
	for _, feedFirst := range []bool{false, true} {
		name := "read next"
		if feedFirst {
			name = "a feed's write next"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			nurse := e.token("district-nurse", "nhs", "RCX")
			seedHospitalJane(t, e, hosp, "943 476 5919")
			reads := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"}
			for range 2 {
				for _, path := range reads {
					if r := e.do("GET", path, nurse, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-FRACTURE") {
						t.Fatalf("the premise: before her opt-out, the nurse in the hospital's care team reads its diagnosis (%s): %d %.300s", path, r.status, r.body)
					}
				}
			}
			importBeside(t, e, "A81001", janeConsent("jane-optout", "2026-11-01", "OPTOUT", ""))
			if feedFirst {
				e.putAll(t, hosp, [2]string{"/fhir/Observation/hosp-bp", `{"resourceType":"Observation","id":"hosp-bp","status":"final","code":{"text":"HOSP-BP"},"subject":{"reference":"Patient/hosp-jane"}}`},
					[2]string{"/fhir/Observation/gp-bp", `{"resourceType":"Observation","id":"gp-bp","status":"final","code":{"text":"GP-BP"},"subject":{"reference":"Patient/jane"}}`})
			}
			for _, path := range reads {
				if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
					t.Errorf("%s: Jane's opt-out, imported beside the server, does not reach the nurse's next read: %d %.300s", path, r.status, r.body)
				}
			}
		})
	}
}

// TestReview19dImportedRestrictionReachesNumberCache: whether a person is
// restricted because another Patient carrying her NHS number is (review
// 12b) is kept between requests (ConsentPolicy.numbers, keyed by
// PatientChanges). The GP's import beside the server marking its Patient
// restricted must take effect at the nurse's next read of the hospital's
// record. Passed when first written.
func TestReview19dImportedRestrictionReachesNumberCache(t *testing.T) {
	e := newEnv(t)
	const number = "9990000026"
	gpPatient := func(security string) string {
		return `{"resourceType":"Patient","id":"gp-ann",` + security + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],"name":[{"family":"Ash"}]}`
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/gp-ann", gpPatient("")})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Patient/hosp-ann", `{"resourceType":"Patient","id":"hosp-ann","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],
			"name":[{"family":"Ash"}],"address":[{"line":["NEW-ADDRESS 2 Quiet Road"]}]}`},
		[2]string{"/fhir/CareTeam/hosp-ann-referral", `{"resourceType":"CareTeam","id":"hosp-ann-referral","status":"active","subject":{"reference":"Patient/hosp-ann"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i := range 2 {
		if r := e.do("GET", "/fhir/Patient/hosp-ann", nurse, ""); r.status != 200 || !strings.Contains(r.body, "NEW-ADDRESS") {
			t.Fatalf("read %d before the label: %d %.300s", i+1, r.status, r.body)
		}
	}
	importBeside(t, e, "A81001", gpPatient(`"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`))
	if r := e.do("GET", "/fhir/Patient/hosp-ann", nurse, ""); r.status != 200 || strings.Contains(r.body, "NEW-ADDRESS") {
		t.Errorf("after the GP's import marked her restricted, the nurse reads the hospital's record of her: %d %.300s", r.status, r.body)
	}
}

// TestReview19dImportedLinkReachesCachedContext: the hospital's nightly
// import of its Patient/hosp-jane, now linked (Patient.link) to the GP's
// Patient/jane and carrying no NHS number, makes Jane's opt-out reach the
// hospital's diagnosis at the nurse's next read, although the server had
// both contexts cached. Passed when first written.
func TestReview19dImportedLinkReachesCachedContext(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04"}`},
		[2]string{"/fhir/CareTeam/hosp-discharge", `{"resourceType":"CareTeam","id":"hosp-discharge","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/hosp-fracture", `{"resourceType":"Condition","id":"hosp-fracture","subject":{"reference":"Patient/hosp-jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"5913000"}],"text":"HOSP-FRACTURE"}}`})
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	for range 2 {
		if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Fatalf("the premise: unlinked, the hospital's record is not Jane's: %d %.300s", r.status, r.body)
		}
	}
	importBeside(t, e, "RHX", `{"resourceType":"Patient","id":"hosp-jane","name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04",
		"link":[{"other":{"reference":"Patient/jane"},"type":"seealso"}]}`)
	for _, path := range []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"} {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("%s: with hosp-jane linked to Jane by the hospital's import, her opt-out does not reach the nurse's next read: %d %.300s", path, r.status, r.body)
		}
	}
}
