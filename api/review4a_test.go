package api_test

import (
	"strings"
	"testing"
)

// margRestricted4A is a person whose demographics the national service marks
// restricted (confidentiality R): her address, telephone and GP are never
// released outside the GP practice that recorded them.
const margRestricted4A = `{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
 "name":[{"family":"Marg"}],"address":[{"line":["REFUGE-ADDRESS"],"city":"Leeds"}],"telecom":[{"system":"phone","value":"0700-SECRET"}],
 "generalPractitioner":[{"reference":"Organization/A81001"}]}`

// seedRestricted4A writes Marg (restricted, by her GP practice), a care team
// that gives the district nurses (RCX) a relationship with her, and her
// next of kin (a RelatedPerson carrying an address, redacted like hers).
func seedRestricted4A(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/marg", margRestricted4A},
		[2]string{"/fhir/RelatedPerson/mrp", `{"resourceType":"RelatedPerson","id":"mrp","patient":{"reference":"Patient/marg"},"name":[{"family":"Kin"}],"address":[{"line":["KIN-SECRET-ADDRESS"]}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/mteam", `{"resourceType":"CareTeam","id":"mteam","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
}

// TestReview4ADeletedRestrictedPatientLosesRedaction: whether a person is
// restricted is read from her current Patient record (patientFromRecords,
// from the PatientContext), and a deleted Patient is not in the context at
// all. So once the GP practice deletes Marg's Patient record (a duplicate
// merged away, a registration ended), the district nurse reads every
// earlier version in full: GET Patient/marg/_history/1 and
// Patient/marg/_history return the refuge address and the telephone number
// that the same request redacted a moment before, and her next of kin's
// RelatedPerson (read or searched) comes out with its address too. The
// versions still carry the R label; the person did not stop being
// restricted because a record was deleted.
func TestReview4ADeletedRestrictedPatientLosesRedaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted4A(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	paths := []string{"/fhir/Patient/marg/_history/1", "/fhir/Patient/marg/_history", "/fhir/RelatedPerson/mrp", "/fhir/RelatedPerson?patient=marg"}
	secrets := []string{"REFUGE-ADDRESS", "0700-SECRET", "KIN-SECRET-ADDRESS"}
	check := func(when string) {
		t.Helper()
		for _, p := range paths {
			r := e.do("GET", p, nurse, "")
			if r.status != 200 {
				t.Fatalf("%s: nurse GET %s: %d %.300s", when, p, r.status, r.body)
			}
			for _, s := range secrets {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: nurse GET %s releases the restricted person's %q", when, p, s)
				}
			}
		}
	}
	check("the premise, before the delete")
	if r := e.do("DELETE", "/fhir/Patient/marg", e.token("system", "nhs", "A81001"), ""); r.status != 204 {
		t.Fatalf("the GP practice deletes Marg's record: %d %s", r.status, r.body)
	}
	check("after her Patient record was deleted")
}

// TestReview4ABinarySecurityContextTellsWithheldItem: a Binary whose
// securityContext names a stored item takes that item's people and labels
// when written (binaryContext), whether or not the writer may see it. So a
// hospital clinician (who may not see Jane's HIV diagnosis, recorded by her
// GP) writes Binary b1 with securityContext Condition/hiv and Binary b2
// with Condition/nowhere, and then finds b1 — and not b2 — in
// Patient/jane/$everything?_type=Binary: Condition/hiv exists and is
// Jane's. Read and search say 404 / nothing for both ids alike; with
// guessable ids (sequential ids are common in GP systems) this tells
// whose withheld items exist and how many — the SPEC's 'never what or how
// much'. A Binary should take only what its writer may see of the item
// named (or name no one, as for an item not stored).
func TestReview4ABinarySecurityContextTellsWithheldItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the hospital may not see Jane's HIV diagnosis: %d", r.status)
	}
	bin := func(id, target string) string {
		return `{"resourceType":"Binary","id":"` + id + `","contentType":"text/plain","securityContext":{"reference":"` + target + `"},"data":"aGVsbG8="}`
	}
	e.putAll(t, hosp, [2]string{"/fhir/Binary/b-withheld", bin("b-withheld", "Condition/hiv")}, [2]string{"/fhir/Binary/b-missing", bin("b-missing", "Condition/nowhere")})
	r := e.do("GET", "/fhir/Patient/jane/$everything?_type=Binary", hosp, "")
	if r.status != 200 {
		t.Fatalf("$everything: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "Binary/b-withheld") != strings.Contains(r.body, "Binary/b-missing") {
		t.Errorf("Jane's record holds the Binary naming Condition/hiv and not the one naming Condition/nowhere: the clinician learns that the withheld Condition/hiv exists and is Jane's: %.600s", r.body)
	}
}

// TestReview4ALiftedRestrictionReleasesOldAddress: redaction follows the
// person's current Patient version only (patientFromRecords reads R/V from
// the current record; itemOf drops R from a demographics item's own
// labels), not the labels of the version released. When the GP practice
// later records Marg without the R label (she has left the refuge), the
// district nurse's Patient/marg/_history/1 and Patient/marg/_history
// release version 1 in full: the refuge's address and the phone number
// recorded while she was restricted, which every read redacted until
// then. A version that itself carries R (or V) should stay redacted
// outside its source.
func TestReview4ALiftedRestrictionReleasesOldAddress(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted4A(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/marg/_history/1", nurse, ""); r.status != 200 || strings.Contains(r.body, "REFUGE-ADDRESS") {
		t.Fatalf("the premise: version 1 is redacted while she is restricted: %d %.300s", r.status, r.body)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/marg",
		`{"resourceType":"Patient","id":"marg","name":[{"family":"Marg"}],"address":[{"line":["NEW-OWN-FLAT"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	for _, p := range []string{"/fhir/Patient/marg/_history/1", "/fhir/Patient/marg/_history"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %.300s", p, r.status, r.body)
		}
		for _, s := range []string{"REFUGE-ADDRESS", "0700-SECRET"} {
			if strings.Contains(r.body, s) {
				t.Errorf("GET %s releases %q, recorded on a version marked restricted (R)", p, s)
			}
		}
	}
}

// TestReview4APersonOfRestrictedPatientNotRedacted: a Person resource
// (the same human across records, Person.link.target = Patient/marg) is in
// Marg's compartment but of data class "other", not demographics, so the
// restriction that redacts her Patient and her RelatedPersons does not
// reach it: a hospital clinician with a care relationship reads the
// council's Person/mperson with her refuge address and phone number, in
// a read, in $everything and by searching Person?address=, while
// Patient/marg comes out redacted. (The nurse and social worker do not see
// class "other"; GPs and hospital clinicians see every class.)
func TestReview4APersonOfRestrictedPatientNotRedacted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted4A(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/CareTeam/mhosp", `{"resourceType":"CareTeam","id":"mhosp","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	e.putAll(t, e.token("system", "council", "E06000999"), [2]string{"/fhir/Person/mperson",
		`{"resourceType":"Person","id":"mperson","name":[{"family":"Marg"}],"address":[{"line":["PERSON-REFUGE-ADDRESS"],"city":"Leeds"}],"telecom":[{"system":"phone","value":"0700-PERSON"}],"link":[{"target":{"reference":"Patient/marg"}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Patient/marg", hosp, ""); r.status != 200 || strings.Contains(r.body, "REFUGE-ADDRESS") {
		t.Fatalf("the premise: the hospital reads Marg's Patient redacted: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Person/mperson", "/fhir/Patient/marg/$everything", "/fhir/Person?address=PERSON-REFUGE"} {
		r := e.do("GET", p, hosp, "")
		if r.status != 200 && r.status != 400 {
			t.Fatalf("GET %s: %d %.300s", p, r.status, r.body)
		}
		for _, s := range []string{"PERSON-REFUGE-ADDRESS", "0700-PERSON"} {
			if strings.Contains(r.body, s) {
				t.Errorf("GET %s releases the restricted person's %q through her Person resource", p, s)
			}
		}
	}
}
