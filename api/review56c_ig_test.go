package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// A DiagnosticReport of category LAB written under the STU3 URL of the same
// v2-0074 table (http://hl7.org/fhir/v2/0074), or with no system, tagged
// care-plans by its source, is a lab report all the same.
func TestReview56cLabReportOtherCategorySystemTaggedReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cats := map[string]string{
		"stu3":  `{"system":"http://hl7.org/fhir/v2/0074","code":"LAB"}`,
		"nosys": `{"code":"LAB"}`,
	}
	for k, c := range cats {
		e.putAll(t, gpSys, [2]string{"/fhir/DiagnosticReport/labrep-" + k, `{"resourceType":"DiagnosticReport","id":"labrep-` + k + `",` + classTag("care-plans") + `"status":"final",
		 "category":[{"coding":[` + c + `]}],"code":{"text":"LABREP-` + k + `"},"subject":{"reference":"Patient/jane"},
		 "conclusion":"LABREP-` + k + `-CONCLUSION eGFR 28, CKD stage 4"}`})
	}
	sw := e.token("social-worker", "council", "E06000999")
	for k := range cats {
		review56cReads(t, e, sw, "social worker", "LABREP-"+k+"-CONCLUSION", "/fhir/DiagnosticReport/labrep-"+k)
	}
}

// Sound: the IG officer (of the recorder, and of another organisation) gets
// no clinical content carried inside a non-clinical item: a Patient, a
// RelatedPerson, a Provenance or a patient-privacy Consent holding a clinical
// resource contained, in an attachment, or tagged non-clinical.
func TestReview56cSoundIGGetsNoClinicalContentInsideNonClinicalItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"IGX-ATTACHED-COND"}}`
	b64 := base64.StdEncoding.EncodeToString([]byte(cond))
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/pat-c", `{"resourceType":"Patient","id":"pat-c","name":[{"family":"Contained"}],"generalPractitioner":[{"reference":"Organization/A81001"}],
		 "contained":[{"resourceType":"Observation","id":"o","status":"final","code":{"text":"IGX-PAT-CONTAINED-OBS"}}],
		 "photo":[{"contentType":"application/fhir+json","data":"` + b64 + `"}]}`},
		[2]string{"/fhir/RelatedPerson/rp-c", `{"resourceType":"RelatedPerson","id":"rp-c","patient":{"reference":"Patient/jane"},"name":[{"family":"Carer"}],
		 "contained":[{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"text":"IGX-RP-CONTAINED-COND"}}]}`},
		[2]string{"/fhir/RelatedPerson/rp-tag", `{"resourceType":"RelatedPerson","id":"rp-tag",` + classTag("observations") + `"patient":{"reference":"Patient/jane"},"name":[{"family":"IGX-RP-TAGGED-OBS"}]}`},
		[2]string{"/fhir/Provenance/prov-c", `{"resourceType":"Provenance","id":"prov-c","target":[{"reference":"Patient/jane"}],"recorded":"2025-05-01T10:00:00Z",
		 "agent":[{"who":{"reference":"Organization/A81001"}}],
		 "contained":[{"resourceType":"Observation","id":"o","status":"final","code":{"text":"IGX-PROV-CONTAINED-OBS"}}],
		 "entity":[{"role":"source","what":{"reference":"#o"}}]}`},
		[2]string{"/fhir/Provenance/prov-obs", `{"resourceType":"Provenance","id":"prov-obs","target":[{"reference":"Observation/hba1c","display":"IGX-PROV-TARGET-DISPLAY"}],"recorded":"2025-05-01T10:00:00Z",
		 "agent":[{"who":{"reference":"Organization/A81001"}}]}`},
		[2]string{"/fhir/Consent/pp-att", `{"resourceType":"Consent","id":"pp-att","status":"active",
		 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
		 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
		 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
		 "sourceAttachment":{"contentType":"application/fhir+json","data":"` + b64 + `"}}`},
	)
	for _, ig := range []struct{ who, tok string }{
		{"recorder's IG officer", e.token("ig-officer", "nhs", "A81001")},
		{"trust IG officer", e.token("ig-officer", "nhs", "RCX")},
		{"council IG officer", e.token("ig-officer", "council", "E06000999")},
	} {
		review56cReads(t, e, ig.tok, ig.who, "IGX-",
			"/fhir/Patient/pat-c", "/fhir/RelatedPerson/rp-c", "/fhir/RelatedPerson/rp-tag", "/fhir/Provenance/prov-c", "/fhir/Provenance/prov-obs",
			"/fhir/Consent/pp-att", "/fhir/Patient/pat-c/_history", "/fhir/Consent/pp-att/_history",
			"/fhir/RelatedPerson?patient=jane", "/fhir/Provenance?target=Patient/jane", "/fhir/Consent?patient=jane",
			"/fhir/Patient/jane/$everything", "/fhir/Patient?_id=jane&_revinclude=Provenance:target", "/fhir/Patient?_id=jane&_revinclude=RelatedPerson:patient")
	}
}

// Sound: a role a deployment adds in its policy file keeps to its classes,
// also for items of its own organisation (it is not in sees-own-records),
// and also for a resource of another class carried inside an appointment.
func TestReview56cSoundCustomPolicyRoleKeepsToItsClasses(t *testing.T) {
	e := r21bReceptionistEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Appointment/appt-c", `{"resourceType":"Appointment","id":"appt-c","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}],
		 "description":"RCP-APPT-OK","contained":[{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"text":"RCP-APPT-CONTAINED-COND"}}],"reasonReference":[{"reference":"#c"}]}`},
		[2]string{"/fhir/Appointment/appt-plain", `{"resourceType":"Appointment","id":"appt-plain","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}],"description":"RCP-APPT-PLAIN"}`},
	)
	rec := e.token("receptionist", "nhs", "A81001")
	review56cReads(t, e, rec, "GP receptionist", "RCP-APPT-CONTAINED", "/fhir/Appointment/appt-c", "/fhir/Appointment?patient=jane", "/fhir/Patient/jane/$everything")
	review56cReads(t, e, rec, "GP receptionist", "GP-DIABETES", "/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything")
	review56cReads(t, e, rec, "GP receptionist", "GP-HBA1C", "/fhir/Observation/hba1c", "/fhir/Patient/jane/$everything")
	if r := e.do("GET", "/fhir/Appointment/appt-plain", rec, ""); r.status != 200 || !strings.Contains(r.body, "RCP-APPT-PLAIN") {
		t.Errorf("receptionist reading her practice's appointment: %d %.200s", r.status, r.body)
	}
}
