package api_test

import (
	"strings"
	"testing"
)

// TestReview20iOtherPersonsCareTeamGivesNoRelationship: SPEC gives a
// relationship to the members of an active CareTeam "for the patient".
// A CareTeam is in the record of everyone it names as a member too (the
// patient compartment), and every CareTeam in Jane's record gave its
// organisations a care-team relationship with her: Bob's care team,
// naming Jane as his carer and Z44444 as a member, let a hospital
// clinician at Z44444, which has nothing to do with Jane, read her whole
// record, the GP's diagnosis included, without even a claimed-relationship
// flag (review 20i). A CareTeam now relates organisations only to the
// person its subject names.
func TestReview20iOtherPersonsCareTeamGivesNoRelationship(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "Z33333")
	e.putAll(t, sys,
		[2]string{"/fhir/Patient/bob20i", `{"resourceType":"Patient","id":"bob20i","name":[{"family":"Bob"}]}`},
		[2]string{"/fhir/CareTeam/bobteam", `{"resourceType":"CareTeam","id":"bobteam","status":"active","subject":{"reference":"Patient/bob20i"},
			"participant":[{"member":{"reference":"Patient/jane"}},{"member":{"reference":"Organization/Z44444"}}]}`})
	other := e.token("hospital-clinician", "nhs", "Z44444")
	if r := e.do("GET", "/fhir/Patient/bob20i/$everything", other, ""); r.status != 200 {
		t.Fatalf("the premise: Bob's care team relates Z44444 to Bob: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", other, "")
	if r.status != 403 || strings.Contains(r.body, "diabetes") {
		t.Errorf("Z44444, a member of Bob's care team only, reads Jane's record: %d %.500s", r.status, r.body)
	}
	// Her own care team, given by her NHS number, still relates its members.
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/CareTeam/janeteam20i", `{"resourceType":"CareTeam","id":"janeteam20i","status":"active",
		"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},
		"participant":[{"member":{"reference":"Organization/Z55555"}}]}`})
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("hospital-clinician", "nhs", "Z55555"), ""); r.status != 200 {
		t.Errorf("a member of Jane's own care team (subject by NHS number): %d %.300s", r.status, r.body)
	}
}

// TestReview20iMemberIdentifierIsAnOrganisationOnlyByItsSystem: a care
// team member given by identifier was taken for an organisation whatever
// the identifier was: a practitioner's SDS user id or a person's NHS
// number became an organisation code, and a token naming that "org" read
// Jane's record (review 20i). Only an ODS or council code is an
// organisation, as a Consent's actor reads it.
func TestReview20iMemberIdentifierIsAnOrganisationOnlyByItsSystem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/CareTeam/ids20i", `{"resourceType":"CareTeam","id":"ids20i","status":"active","subject":{"reference":"Patient/jane"},
		"participant":[{"member":{"type":"Practitioner","identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"Z22226"}}},
			{"member":{"identifier":{"value":"Z22229"}}},
			{"member":{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Z22227"}}}]}`})
	for org, want := range map[string]int{"Z22226": 403, "Z22229": 403, "Z22227": 200} {
		if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("hospital-clinician", "nhs", org), ""); r.status != want {
			t.Errorf("org %s reads Jane: %d, want %d", org, r.status, want)
		}
	}
}
