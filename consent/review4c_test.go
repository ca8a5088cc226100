package consent

// Review 4c: engine-level findings in the sharing decision. Each test
// fails on the code as reviewed and passes once the finding is fixed.

import "testing"

// TestReview4cDenyByICD10CodeIgnoresNotation: Jane denies sharing her
// depressive episode, ICD-10 F32.1, written as FHIR writes ICD-10 codes
// (with the dot) in http://hl7.org/fhir/sid/icd-10. Her hospital's feed
// records the same diagnosis as "F321" (no dot), or in
// http://hl7.org/fhir/sid/icd-10-uk. carex's own labelling treats these as
// the same code (normCode drops dots and upper-cases; the policy lists
// icd10 and icd10uk alike), but itemMatch compares provision.code verbatim,
// so the deny misses and the diagnosis is released.
// SPEC §5.3: "deny a data class, a resource type (class), a code (code)".
// Fix: itemMatch should compare codes as Policy.Labels does (normCode, and
// the ICD-10 systems as one).
func TestReview4cDenyByICD10CodeIgnoresNotation(t *testing.T) {
	c := cons(t, "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F32.1"}]}]}`)
	for _, have := range []Coding{
		{"http://hl7.org/fhir/sid/icd-10", "F321"},
		{"http://hl7.org/fhir/sid/icd-10", "f32.1"},
		{"http://hl7.org/fhir/sid/icd-10-uk", "F32.1"},
	} {
		it := cond(orgHosp)
		it.Codes = []Coding{have}
		if d := decide(t, users()["nurse"], patient(c), it); d.Permitted() {
			t.Errorf("deny of ICD-10 F32.1 does not cover the item coded %s: released to the nurse (%s)", have, d.Explain())
		}
	}
}

// TestReview4cDateOnlyObjectionLosesToEarlierSameDayConsent: at 09:00 on
// 10 March the GP practice records Jane's general consent (OPTIN, dateTime
// 2025-03-10T09:00:00Z). That afternoon Jane objects and the practice
// records an OPTOUT whose dateTime is the date alone, 2025-03-10 (a FHIR
// dateTime of day precision: "some time on 10 March"). parseFHIRTime reads
// the date as 00:00 that day, so the objection counts as the older of the
// two and is superseded by the consent it was meant to replace: the
// hospital reads Jane's record. When two Consents of one recorder cannot be
// ordered at their precision, both should count (withhold wins), as the
// engine already does for equal dateTimes.
// SPEC §5.3: "opt-out: OPTOUT with no exceptions … → nothing is shared
// beyond the source organisation"; "A newer consent … supersedes the older".
func TestReview4cDateOnlyObjectionLosesToEarlierSameDayConsent(t *testing.T) {
	in := consAt(t, "c-in", "2025-03-10T09:00:00Z", "OPTIN", "")
	out := consAt(t, "c-out", "2025-03-10", "OPTOUT", "")
	in.Recorder, out.Recorder = orgGP, orgGP
	if d := decide(t, users()["hosp"], patient(in, out), obs(orgGP)); d.Permitted() {
		t.Errorf("the same-day objection (day precision) is superseded by the morning's OPTIN: %s", d.Explain())
	}
}

// TestReview4cUndatedObjectionIgnoredByEngine: the engine half of
// api.TestReview4cUndatedObjectionIsIgnored. An OPTOUT without dateTime
// has the zero time, so any dated Consent of the same recorder "supersedes"
// it whatever the order they were recorded in, and the objection is lost.
// An undated Consent cannot be shown to be older: it should count beside
// the recorder's newest (withhold wins), or be refused on write.
// SPEC §5.3: "opt-out: OPTOUT with no exceptions … → nothing is shared
// beyond the source organisation".
func TestReview4cUndatedObjectionIgnoredByEngine(t *testing.T) {
	in := consAt(t, "c-in", "2024-01-01", "OPTIN", "")
	out, err := ParseConsent(consentJSON("c-out", "", "OPTOUT", ""))
	if err != nil {
		return // refused as uninterpretable: acceptable
	}
	in.Recorder, out.Recorder = orgGP, orgGP
	if d := decide(t, users()["hosp"], patient(in, out), obs(orgGP)); d.Permitted() {
		t.Errorf("an undated OPTOUT is ignored beside a dated OPTIN of the same recorder: %s", d.Explain())
	}
}

// TestReview4cDenyByUnknownResourceTypeAccepted: a deny of class
// {http://hl7.org/fhir/resource-types, "Observations"} (a typo, or the
// name of carex's data class given the resource-types system) is accepted
// by ParseConsent, which checks data classes against the known list but
// not resource types, and then matches nothing: Jane's observations are
// released although her recorded Consent withholds them. Same family as
// api.TestReview4cDenyToUnknownRoleCodeIsIgnored: a deny carex cannot
// apply must be refused, not stored and ignored.
// README: "A Consent the engine cannot interpret is refused with a 422
// naming the element"; SPEC §5.3 "deny … a resource type (class)".
func TestReview4cDenyByUnknownResourceTypeAccepted(t *testing.T) {
	c, err := ParseConsent(consentJSON("c1", "2024-01-01", "OPTIN",
		`{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Observations"}]}`))
	if err != nil {
		return // refused: acceptable
	}
	if d := decide(t, users()["hosp"], patient(c), obs(orgGP)); d.Permitted() {
		t.Errorf("deny of resource type %q accepted but matches nothing: observation released (%s)", "Observations", d.Explain())
	}
}
