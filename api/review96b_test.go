package api_test

import (
	"strings"
	"testing"
)

// Review 96b: the person's consent read the way HL7 and real NHS/council
// systems write it (SPEC §5 layer 3). Helpers from consent_test.go and
// review61c_test.go (Jane's GP-recorded deny of her June 2015 records to
// the hospital, RHX). Its findings are fixed (revision 2026-12-07h:
// dates of assessments, equipment orders and requests to communicate;
// LabelUnread; identifier codes trimmed and checked), but for a deny of a
// SNOMED CT concept not covering its subtypes, a limit the README states.

// r96bControlThenDeny writes items as the GP's system, checks the hospital
// reads each before the deny, writes the deny of June 2015 and checks each
// is then withheld from the hospital ($everything and read).
func r96bControlThenDeny(t *testing.T, items map[string][2]string) {
	t.Helper()
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	markers := map[string]string{}
	for marker, w := range items {
		e.putAll(t, gpSys, w)
		markers[w[0]] = marker
	}
	for path := range markers {
		if r := e.do("GET", path, hosp, ""); r.status != 200 {
			t.Fatalf("control: the hospital reads %s before the deny: %d %s", path, r.status, r61cSnip(r.body, ""))
		}
	}
	e.putAll(t, gpSys, r61cDenyJune2015ToHospital())
	r61cCheckWithheld(t, e, markers)
}

// TestReview96bClinicalImpressionEffectiveJune2015DocumentedLater:
// a clinician's assessment carried out in June 2015 (effectivePeriod,
// R4: "the point in time or period over which the subject was assessed")
// and documented in 2024 (date: "when the documentation of the assessment
// was complete") is data of June 2015, as a letter about 2015 care
// written in 2024 is (review 9c: a document's context.period before its
// date) and a Task carried out then (review 31d). README: an item's
// clinical date is "when the care took place before when it was
// recorded". carex indexes only ClinicalImpression.date, so it is dated
// 2024 and released under Jane's deny of June 2015.
func TestReview96bClinicalImpressionEffectiveJune2015DocumentedLater(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"GP-ASSESSMENT-EFFECTIVE-JUNE-2015": {"/fhir/ClinicalImpression/ci96b-period", `{"resourceType":"ClinicalImpression","id":"ci96b-period","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-ASSESSMENT-EFFECTIVE-JUNE-2015","effectivePeriod":{"start":"2015-06-10","end":"2015-06-12"},"date":"2024-02-02"}`},
		"GP-ASSESSMENT-EFFDT-JUNE-2015":     {"/fhir/ClinicalImpression/ci96b-dt", `{"resourceType":"ClinicalImpression","id":"ci96b-dt","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-ASSESSMENT-EFFDT-JUNE-2015","effectiveDateTime":"2015-06-10T10:00:00+01:00","date":"2024-02-02"}`},
	})
}

// TestReview96bDeviceRequestOccurrenceJune2015AuthoredLater: an
// equipment order (a council's or community trust's DeviceRequest: a
// care plan, revision 2026-12-07a) for equipment provided in June 2015
// (occurrenceDateTime) and entered in 2024 (authoredOn) is June 2015's
// care, as a referral's occurrence is before its authoredOn (review 32c).
// carex reads its authoredOn alone ("event-date" is in no date group).
func TestReview96bDeviceRequestOccurrenceJune2015AuthoredLater(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"GP-EQUIPMENT-JUNE-2015": {"/fhir/DeviceRequest/dr96b", `{"resourceType":"DeviceRequest","id":"dr96b","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"GP-EQUIPMENT-JUNE-2015"},"occurrenceDateTime":"2015-06-10","authoredOn":"2024-02-02"}`},
	})
}

// TestReview96bCommunicationRequestOccurrenceJune2015AuthoredLater:
// a request for a message to be sent in June 2015 (occurrenceDateTime),
// entered in 2024, as the referral above. carex reads authoredOn alone.
func TestReview96bCommunicationRequestOccurrenceJune2015AuthoredLater(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"GP-COMMREQ-JUNE-2015": {"/fhir/CommunicationRequest/cr96b", `{"resourceType":"CommunicationRequest","id":"cr96b","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"GP-COMMREQ-JUNE-2015"}],"occurrenceDateTime":"2015-06-10","authoredOn":"2024-02-02"}`},
	})
}

// TestReview96bPermitOf2024ReleasesAssessmentOf2015: Jane has
// opted out, except that her records of 2024 may go to the hospital. An
// assessment carried out in June 2015 (effectivePeriod) and documented in
// 2024 is released by the 2024 permit, which releases only what its
// period holds whole (README). Control: an assessment carried out and
// documented in 2024 is released.
func TestReview96bPermitOf2024ReleasesAssessmentOf2015(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/ClinicalImpression/ci2015", `{"resourceType":"ClinicalImpression","id":"ci2015","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-ASSESSMENT-OF-2015","effectivePeriod":{"start":"2015-06-10","end":"2015-06-12"},"date":"2024-02-02"}`},
		[2]string{"/fhir/ClinicalImpression/ci2024", `{"resourceType":"ClinicalImpression","id":"ci2024","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-ASSESSMENT-OF-2024","effectiveDateTime":"2024-02-01T10:00:00Z","date":"2024-02-02"}`},
		[2]string{"/fhir/Consent/c96b", janeConsent("c96b", "2026-01-10", "OPTOUT",
			`,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"start":"2024-01-01","end":"2024-12-31"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}]}`)},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/ClinicalImpression/ci2024", hosp, ""); r.status != 200 {
		t.Fatalf("control: the 2024 assessment under the 2024 permit: %d %s", r.status, r61cSnip(r.body, ""))
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, ""); strings.Contains(r.body, "GP-ASSESSMENT-OF-2015") {
		t.Errorf("$everything released the June 2015 assessment under a permit of 2024 only: %s", r61cSnip(r.body, "GP-ASSESSMENT-OF-2015"))
	}
	if r := e.do("GET", "/fhir/ClinicalImpression/ci2015", hosp, ""); r.status == 200 {
		t.Errorf("GET ClinicalImpression/ci2015: 200 under a permit of 2024 only: %s", r61cSnip(r.body, "GP-ASSESSMENT-OF-2015"))
	}
}

// TestReview96bSoundAssessmentDatedOrUndatedUnderDeny: an assessment whose
// only date is its documentation in June 2015, one with no date at all,
// and an equipment order and a message request with no occurrence but
// authored in June 2015, are withheld under the deny of June 2015.
func TestReview96bSoundAssessmentDatedOrUndatedUnderDeny(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"GP-ASSESSMENT-DATE-JUNE-2015": {"/fhir/ClinicalImpression/ci96b-date", `{"resourceType":"ClinicalImpression","id":"ci96b-date","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-ASSESSMENT-DATE-JUNE-2015","date":"2015-06-10"}`},
		"GP-ASSESSMENT-UNDATED":        {"/fhir/ClinicalImpression/ci96b-none", `{"resourceType":"ClinicalImpression","id":"ci96b-none","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-ASSESSMENT-UNDATED"}`},
		"GP-EQUIPMENT-AUTHORED-2015":   {"/fhir/DeviceRequest/dr96b-auth", `{"resourceType":"DeviceRequest","id":"dr96b-auth","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"GP-EQUIPMENT-AUTHORED-2015"},"authoredOn":"2015-06-10"}`},
		"GP-COMMREQ-AUTHORED-2015":     {"/fhir/CommunicationRequest/cr96b-auth", `{"resourceType":"CommunicationRequest","id":"cr96b-auth","status":"completed","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"GP-COMMREQ-AUTHORED-2015"}],"authoredOn":"2015-06-10"}`},
	})
}

// r96bDenyHospital is Jane's GP-recorded objection to the hospital (RHX)
// seeing what provision (JSON members after "type":"deny") names, with
// the hospital as recipient given by actorRef (a Reference's JSON).
func r96bDenyHospital(id, actorRef, more string) [2]string {
	return [2]string{"/fhir/Consent/" + id, janeConsent(id, "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny"`+more+`,"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":`+actorRef+`}]}`)}
}

// TestReview96bODSIdentifierWithSpaceMatchesNoOne: the hospital
// named by its ODS code as an identifier whose value carries a trailing
// space ("RHX ", as a system padding a fixed-width ODS field sends it;
// FHIR JSON allows it). A literal reference with spaces is trimmed
// (normRef) and an id that is not a FHIR id is refused (review 15a), but
// the identifier's value is compared as written: the objection is stored
// (201) and applies to no one. Expected: applied to RHX, or refused (422).
func TestReview96bODSIdentifierWithSpaceMatchesNoOne(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	w := r96bDenyHospital("c96b-ods", `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX "}}`, "")
	r := e.do("PUT", w[0], gpSys, w[1])
	if r.status == 422 {
		return // refused: sound
	}
	if r.status != 200 && r.status != 201 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if rr := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); rr.status == 200 {
		t.Errorf("Jane's objection to the hospital, naming it by ODS identifier \"RHX \", was stored (%d) and the hospital still reads her diabetes: %s", r.status, r61cSnip(rr.body, "GP-DIABETES"))
	}
}

// TestReview96bSoundActorForms: the objection applies to the hospital
// whether it is named by reference, by ODS identifier (any case), or by
// both; one naming it by display only is refused (422), never stored as a
// deny that matches no one.
func TestReview96bSoundActorForms(t *testing.T) {
	for name, ref := range map[string]string{
		"reference":        `{"reference":"Organization/RHX"}`,
		"ods":              `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"rhx"}}`,
		"both":             `{"reference":"Organization/RHX","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"},"display":"St James"}`,
		"absolute":         `{"reference":"https://directory.example.nhs.uk/fhir/Organization/RHX"}`,
		"display only":     `{"display":"St James's University Hospital"}`,
		"practitionerrole": `{"reference":"PractitionerRole/pr1"}`,
		"ods not a code":   `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX/1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			w := r96bDenyHospital("c96b-a", ref, "")
			r := e.do("PUT", w[0], gpSys, w[1])
			switch name {
			case "display only", "practitionerrole", "ods not a code":
				if r.status != 422 {
					t.Errorf("%s: %d, want 422: %s", name, r.status, r61cSnip(r.body, ""))
				}
				return
			}
			if r.status != 201 && r.status != 200 {
				t.Fatalf("%s: %d %s", name, r.status, r.body)
			}
			if rr := e.do("GET", "/fhir/Condition/diabetes", e.token("hospital-clinician", "nhs", "RHX"), ""); rr.status == 200 {
				t.Errorf("%s: the hospital reads Jane's diabetes under her objection", name)
			}
			if rr := e.do("GET", "/fhir/Condition/diabetes", e.token("district-nurse", "nhs", "RCX"), ""); rr.status != 200 {
				t.Errorf("%s: the nurse no longer reads it: %d", name, rr.status)
			}
		})
	}
}

// TestReview96bPermitOfRestrictedReleasesUnreadCompressedHIV: Jane
// lets the hospital see her records her GP marked restricted
// (confidentiality R), recorded by her GP: OPTIN, a permit naming label R
// and the hospital. carex also labels R, on its own account, an item it
// could not read (a compressed attachment: reviews 88c, 89b — "the item
// is its source's alone"), and that label is then the person's permitted
// R: the GP's letter carrying her HIV diagnosis as gzip FHIR JSON goes to
// the hospital, though she permitted no HIV data to anyone. Control: the
// same diagnosis uncompressed is labelled HIV and stays withheld.
func TestReview96bPermitOfRestrictedReleasesUnreadCompressedHIV(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hiv := `{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	doc := func(id, ct, data string) [2]string {
		return [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"GP-LETTER-` + id + `"},"content":[{"attachment":{"contentType":"` + ct + `","data":"` + b64(data) + `"}}]}`}
	}
	e.putAll(t, gpSys,
		doc("gz96b", "application/gzip", gzipped(t, hiv)),
		doc("plain96b", "application/fhir+json", hiv),
		[2]string{"/fhir/Consent/c96b-r", janeConsent("c96b-r", "2026-01-10", "OPTIN",
			`,"provision":{"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`)},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/plain96b", hosp, ""); r.status == 200 {
		t.Fatalf("control: the uncompressed HIV letter went to the hospital: %s", r61cSnip(r.body, "GP-LETTER"))
	}
	if r := e.do("GET", "/fhir/DocumentReference/gz96b", hosp, ""); r.status == 200 {
		t.Errorf("the GP's letter carrying Jane's HIV diagnosis gzip-compressed went to the hospital under her permit of R-labelled records, though she permitted no HIV data: %s", r61cSnip(r.body, "GP-LETTER"))
	}
}
