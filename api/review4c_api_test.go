package api_test

// Review 4c: the sharing decision (consent/, api/decide.go). Each test
// fails on the code as reviewed and passes once the finding is fixed.

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview4cRestrictedRelatedPersonReleased: the GP practice records a
// RelatedPerson (a contact at a refuge) labelled with confidentiality R.
// itemOf drops "R" from every item of data class demographics ("the
// confidentiality code R marks the person, not the item"), which is right
// for the Patient resource (pat.Restricted redacts it) but RelatedPerson is
// also class demographics and Jane herself is not restricted: the nurse
// gets the RelatedPerson in full, address included.
// SPEC §5: "A resource may carry sensitivity labels in meta.security
// (… confidentiality R/V)"; §5.4 "labelled data is released only to its
// source organisation, or where the person has explicitly permitted it."
func TestReview4cRestrictedRelatedPersonReleased(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys, [2]string{"/fhir/RelatedPerson/refuge", `{"resourceType":"RelatedPerson","id":"refuge",
 "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
 "patient":{"reference":"Patient/jane"},"name":[{"text":"REFUGE-CONTACT"}],"address":[{"line":["SECRET-REFUGE-ADDRESS"]}]}`})
	r := e.do("GET", "/fhir/RelatedPerson/refuge", nurse, "")
	if r.status == 200 {
		t.Errorf("a RelatedPerson labelled R is released to another organisation's nurse (want 404): %s", r.body)
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if r.status == 200 && strings.Contains(r.body, "SECRET-REFUGE-ADDRESS") {
		t.Errorf("$everything releases the R-labelled RelatedPerson's address to the nurse")
	}
}

// TestReview4cRLabelDroppedForAnyDemographicsItem: the same cause as
// TestReview4cRestrictedRelatedPersonReleased, wider: the data class comes
// from a meta.tag the source sets ("the tag wins for any type"), so any
// item tagged demographics loses its R label on the way to the engine. A
// Condition labelled R and tagged demographics is released to the nurse.
// SPEC §5.4: "labelled data is released only to its source organisation,
// or where the person has explicitly permitted it."
func TestReview4cRLabelDroppedForAnyDemographicsItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/restricted-note", `{"resourceType":"Condition","id":"restricted-note",
 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"demographics"}],
  "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
 "subject":{"reference":"Patient/jane"},"code":{"text":"R-LABELLED-ITEM"}}`})
	if r := e.do("GET", "/fhir/Condition/restricted-note", nurse, ""); r.status != 404 {
		t.Errorf("an item labelled R (class demographics by its tag) is released to another organisation (status %d, want 404)", r.status)
	}
}

// TestReview4cFormerCareTeamMemberKeepsRelationship: the hospital's care
// team for Jane lists a ward team (Organization/RZZ) whose participation
// ended in 2020 (CareTeam.participant.period). linkRelationships reads only
// the CareTeam's status and period, never the participant's own period, so
// RZZ is still "a member of an active CareTeam" years later and opens
// Jane's whole record without break-glass.
// SPEC §5.2: "the user's organisation has a legitimate relationship with
// the patient: … a member of an active CareTeam … Otherwise 403, unless
// break-glass."
func TestReview4cFormerCareTeamMemberKeepsRelationship(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	e.putAll(t, hospSys, [2]string{"/fhir/CareTeam/ward", `{"resourceType":"CareTeam","id":"ward","status":"active",
 "subject":{"reference":"Patient/jane"},
 "participant":[{"member":{"reference":"Organization/RHX"}},
  {"member":{"reference":"Organization/RZZ"},"period":{"start":"2020-01-01","end":"2020-02-01"}}]}`})
	former := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", former, ""); r.status != 403 {
		t.Errorf("an organisation whose care-team participation ended in 2020 still opens Jane's record (status %d, want 403)", r.status)
	}
}

// TestUnreadableStoredConsentFailsClosed: a stored active patient-privacy
// Consent that this release cannot read (an older release accepted a class
// code it now refuses) was dropped from the decision, so a person's
// objection stopped counting on upgrade. It now counts as an objection to
// all sharing; an unreadable Consent of another scope still counts for
// nothing.
func TestUnreadableStoredConsentFailsClosed(t *testing.T) {
	for _, tc := range []struct {
		scope string
		want  int
	}{{"patient-privacy", 404}, {"research", 200}} {
		t.Run(tc.scope, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			nurse := e.token("district-nurse", "nhs", "RCX")
			if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
				t.Fatalf("the premise: %d", r.status)
			}
			raw := strings.Replace(janeConsent("old-deny", "2024-01-01", "OPTIN",
				`,"provision":{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Observations"}]}`),
				`"code":"patient-privacy"`, `"code":"`+tc.scope+`"`, 1)
			w := storetest.W(t, store.OpUpdate, "A81001", raw)
			if _, err := e.db.Commit(context.Background(), []*store.Write{w}, nil); err != nil {
				t.Fatal(err)
			}
			if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != tc.want {
				t.Errorf("with an unreadable stored %s Consent the nurse gets %d, want %d", tc.scope, r.status, tc.want)
			}
		})
	}
}
