package api_test

// Review 64b: sensitive care inferred from non-clinical fields — an
// appointment's or encounter's service type, specialty or place, a
// practitioner role's specialty, a referral, a task, a claim, a letter's
// setting. SPEC §5: labels are derived "from configured code lists — by
// default the four national GP summary data sharing exclusion SNOMED CT
// refsets", and "labelled data is released only to its source
// organisation, or where the person has explicitly permitted it".
//
// The sexual health service writing here is RGU (an NHS provider of its
// own); readers are the registered GP A81001, the district nurse RCX, the
// council's social worker and a hospital clinician of RHX (a source of
// Jane's data, seedShared).

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
)

const (
	sct64b      = "http://snomed.info/sct"
	stdClinic64 = "25681007"  // Sexually transmitted disease clinic (environment): STD refset
	seenGUM64   = "185180001" // Seen in genitourinary medicine clinic (finding): STD refset
	transSvc64  = "896974005" // Transgender health service (qualifier value): GRA refset
	refGIC64    = "1101611000000107"
	tfSys64     = "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-TreatmentFunction"
)

type reader64b struct{ name, tok string }

func readers64b(e *env) []reader64b {
	return []reader64b{
		{"gp A81001", e.token("gp", "nhs", "A81001")},
		{"district-nurse RCX", e.token("district-nurse", "nhs", "RCX")},
		{"social-worker E06000999", e.token("social-worker", "council", "E06000999")},
		{"hospital-clinician RHX", e.token("hospital-clinician", "nhs", "RHX")},
	}
}

func snip64b(body, s string) string {
	if i := strings.Index(body, s); i >= 0 {
		return body[max(0, i-160):min(len(body), i+len(s)+80)]
	}
	return body[:min(len(body), 240)]
}

// gum64b: the sexual health service's own system writes.
func gum64b(t *testing.T, e *env, writes ...[2]string) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "RGU"), writes...)
}

// expectWithheld64b: for every reader, each read path is 404 and each
// search / $everything path is answered without any of the secrets.
func expectWithheld64b(t *testing.T, e *env, reads, searches, secrets []string) {
	t.Helper()
	for _, rd := range readers64b(e) {
		for _, p := range reads {
			r := e.do("GET", p, rd.tok, "")
			if r.status != 404 {
				t.Errorf("%s: GET %s: %d, want 404; body …%s…", rd.name, p, r.status, snip64b(r.body, secrets[0]))
			}
		}
		for _, p := range searches {
			r := e.do("GET", p, rd.tok, "")
			for _, s := range secrets {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: GET %s: %d released %q: …%s…", rd.name, p, r.status, s, snip64b(r.body, s))
					break
				}
			}
		}
	}
}

// TestReview64bSlotNamingSTDClinicReleased: a Slot names no person and is
// neither a directory type nor in the patient compartment, so its codes
// are not read: a Slot whose serviceType is the STD refset's "Sexually
// transmitted disease clinic" goes unlabelled, while a HealthcareService,
// a Schedule or an Appointment carrying the same code is labelled STD.
// Jane's appointment at the clinic, which names the clinic (masked) and
// its slot, then tells every reader where she went, by the slot.
func TestReview64bSlotNamingSTDClinicReleased(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gum64b(t, e,
		[2]string{"/fhir/HealthcareService/gum64b", `{"resourceType":"HealthcareService","id":"gum64b","name":"GUMSVC64B",
		  "type":[{"coding":[{"system":"` + sct64b + `","code":"` + stdClinic64 + `"}]}]}`},
		[2]string{"/fhir/Schedule/sched64b", `{"resourceType":"Schedule","id":"sched64b","comment":"SCHED64B",
		  "serviceType":[{"coding":[{"system":"` + sct64b + `","code":"` + stdClinic64 + `","display":"Sexually transmitted disease clinic"}]}],
		  "actor":[{"reference":"HealthcareService/gum64b"}]}`},
		[2]string{"/fhir/Slot/slot64b", `{"resourceType":"Slot","id":"slot64b","status":"busy","comment":"SLOT64B",
		  "serviceType":[{"coding":[{"system":"` + sct64b + `","code":"` + stdClinic64 + `","display":"Sexually transmitted disease clinic"}]}],
		  "schedule":{"reference":"Schedule/sched64b"},"start":"2026-03-02T10:00:00Z","end":"2026-03-02T10:20:00Z"}`},
		[2]string{"/fhir/Appointment/appt64b", `{"resourceType":"Appointment","id":"appt64b","status":"booked","description":"APPT64B",
		  "start":"2026-03-02T10:00:00Z","end":"2026-03-02T10:20:00Z","slot":[{"reference":"Slot/slot64b"}],
		  "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"HealthcareService/gum64b"},"status":"accepted"}]}`},
	)
	// Premise: the same code labels the service and the schedule.
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/HealthcareService/gum64b", "/fhir/Schedule/sched64b"} {
		if r := e.do("GET", p, nurse, ""); r.status != 404 {
			t.Errorf("premise: %s, coded %s, should be labelled STD and 404 to the nurse: %d %.200s", p, stdClinic64, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Slot/slot64b", e.token("gp", "nhs", "RGU"), ""); r.status != 200 {
		t.Fatalf("premise: the clinic reads its own slot: %d %.300s", r.status, r.body)
	}
	expectWithheld64b(t, e,
		[]string{"/fhir/Slot/slot64b", "/fhir/Slot/slot64b/_history/1"},
		[]string{"/fhir/Appointment?patient=jane&_include=Appointment:slot", "/fhir/Appointment/appt64b",
			"/fhir/Slot?_id=slot64b"},
		[]string{stdClinic64, "SLOT64B", "Slot/slot64b"})
	// A search by the code matches nothing (its links echo the code the
	// reader sent, so the body is not searched for it).
	for _, tok := range []string{nurse, e.token("social-worker", "council", "E06000999"), e.token("hospital-clinician", "nhs", "RHX")} {
		if r := e.do("GET", "/fhir/Slot?service-type="+stdClinic64, tok, ""); r.status != 200 || !strings.Contains(r.body, `"total":0`) || strings.Contains(r.body, "SLOT64B") {
			t.Errorf("Slot?service-type=%s: %d %.300s", stdClinic64, r.status, r.body)
		}
	}
}

// TestReview64bSlotSiteCodeTreatmentFunction: a site that adds NHS Data
// Dictionary treatment function 360 (Genitourinary medicine) to its STD
// list, as README invites ("a code a site adds for its sexual health
// services"), has its Appointments and HealthcareServices so coded
// labelled — but not a Slot so coded.
func TestReview64bSlotSiteCodeTreatmentFunction(t *testing.T) {
	e := newEnv64bPolicy(t, "\ncode STD "+tfSys64+" 360\n")
	seedShared(t, e)
	gum64b(t, e,
		[2]string{"/fhir/HealthcareService/gumtf64b", `{"resourceType":"HealthcareService","id":"gumtf64b","name":"GUMTF64B",
		  "specialty":[{"coding":[{"system":"` + tfSys64 + `","code":"360","display":"Genitourinary medicine"}]}]}`},
		[2]string{"/fhir/Appointment/appttf64b", `{"resourceType":"Appointment","id":"appttf64b","status":"booked","description":"APPTTF64B",
		  "specialty":[{"coding":[{"system":"` + tfSys64 + `","code":"360","display":"Genitourinary medicine"}]}],
		  "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Slot/slottf64b", `{"resourceType":"Slot","id":"slottf64b","status":"busy","comment":"SLOTTF64B",
		  "specialty":[{"coding":[{"system":"` + tfSys64 + `","code":"360","display":"Genitourinary medicine"}]}],
		  "schedule":{"reference":"Schedule/none64b"},"start":"2026-03-02T10:00:00Z","end":"2026-03-02T10:20:00Z"}`},
		[2]string{"/fhir/Appointment/appttf64c", `{"resourceType":"Appointment","id":"appttf64c","status":"booked","description":"APPTTF64C",
		  "slot":[{"reference":"Slot/slottf64b"}],"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/HealthcareService/gumtf64b", "/fhir/Appointment/appttf64b"} {
		if r := e.do("GET", p, nurse, ""); r.status != 404 {
			t.Errorf("premise: %s, coded treatment function 360 which the policy lists as STD, should be 404 to the nurse: %d %.200s", p, r.status, r.body)
		}
	}
	expectWithheld64b(t, e,
		[]string{"/fhir/Slot/slottf64b"},
		[]string{"/fhir/Appointment?patient=jane&_include=Appointment:slot", "/fhir/Slot?specialty=" + tfSys64 + "|360"},
		[]string{"SLOTTF64B", "Genitourinary medicine"})
}

func newEnv64bPolicy(t *testing.T, extra string) *env {
	t.Helper()
	pol, err := consent.LoadPolicy(strings.NewReader(consent.DefaultPolicyText() + extra))
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
}

// TestReview64bSoundAppointmentEncounterCodedFromRefsets: an Appointment
// whose serviceType, specialty, appointmentType or reasonCode, and an
// Encounter whose type or serviceType, carry a refset code (STD clinic,
// seen in GUM clinic, transgender health service) are labelled and
// withheld from the GP, the nurse, the social worker and the hospital, by
// read, search, _include and $everything.
func TestReview64bSoundAppointmentEncounterCodedFromRefsets(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cc := func(code string) string {
		return `{"coding":[{"system":"` + sct64b + `","code":"` + code + `"}]}`
	}
	gum64b(t, e,
		[2]string{"/fhir/Appointment/a1-64b", `{"resourceType":"Appointment","id":"a1-64b","status":"booked","description":"SEC64B-A1","serviceType":[` + cc(stdClinic64) + `],"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Appointment/a2-64b", `{"resourceType":"Appointment","id":"a2-64b","status":"booked","description":"SEC64B-A2","specialty":[` + cc(transSvc64) + `],"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Appointment/a3-64b", `{"resourceType":"Appointment","id":"a3-64b","status":"booked","description":"SEC64B-A3","appointmentType":` + cc(seenGUM64) + `,"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Appointment/a4-64b", `{"resourceType":"Appointment","id":"a4-64b","status":"booked","description":"SEC64B-A4","serviceCategory":[` + cc(stdClinic64) + `],"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Encounter/e1-64b", `{"resourceType":"Encounter","id":"e1-64b","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"type":[` + cc(seenGUM64) + `],"serviceType":{"text":"SEC64B-E1"}}`},
		[2]string{"/fhir/Encounter/e2-64b", `{"resourceType":"Encounter","id":"e2-64b","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"serviceType":` + cc(stdClinic64) + `,"reasonCode":[{"text":"SEC64B-E2"}]}`},
	)
	expectWithheld64b(t, e,
		[]string{"/fhir/Appointment/a1-64b", "/fhir/Appointment/a2-64b", "/fhir/Appointment/a3-64b", "/fhir/Appointment/a4-64b", "/fhir/Encounter/e1-64b", "/fhir/Encounter/e2-64b"},
		[]string{"/fhir/Appointment?patient=jane", "/fhir/Encounter?patient=jane", "/fhir/Patient/jane/$everything",
			"/fhir/Patient?_id=jane&_revinclude=Appointment:actor", "/fhir/Appointment?service-type=" + stdClinic64},
		[]string{"SEC64B"})
}

// TestReview64bChoiceTreatmentFunctionNotInDefaultLists: under the
// default policy, treatment function 360 (Genitourinary medicine) as an
// Appointment's specialty or an Encounter's serviceType, a SNOMED CT
// specialty not in the refsets (394808002 Genitourinary medicine), and
// names alone ("GUM clinic") label nothing: every reader with the class
// sees them. README: labels come from the code lists; a site adds codes
// for its services (a documented choice, not a finding).
func TestReview64bChoiceTreatmentFunctionNotInDefaultLists(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gum64b(t, e,
		[2]string{"/fhir/Appointment/tf1-64b", `{"resourceType":"Appointment","id":"tf1-64b","status":"booked","description":"CHOICE64B-TF1",
		  "specialty":[{"coding":[{"system":"` + tfSys64 + `","code":"360","display":"Genitourinary medicine"}]}],"participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
		[2]string{"/fhir/Encounter/tf2-64b", `{"resourceType":"Encounter","id":"tf2-64b","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
		  "serviceType":{"coding":[{"system":"` + sct64b + `","code":"394808002","display":"Genitourinary medicine"}],"text":"CHOICE64B-TF2 GUM clinic"}}`},
	)
	for _, rd := range readers64b(e) {
		for _, p := range []string{"/fhir/Appointment/tf1-64b", "/fhir/Encounter/tf2-64b"} {
			r := e.do("GET", p, rd.tok, "")
			t.Logf("%s: GET %s: %d %s", rd.name, p, r.status, snip64b(r.body, "Genitourinary"))
		}
	}
	if r := e.do("GET", "/fhir/Appointment/tf1-64b", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 200 || !strings.Contains(r.body, "Genitourinary medicine") {
		t.Errorf("choice as documented: the nurse reads the GUM appointment coded only by treatment function: %d", r.status)
	}
}

// TestReview64bSoundDirectoryCodedFromRefsets: a Location of type STD
// clinic and a PractitionerRole of specialty transgender health service
// are labelled by their own codes; Jane's encounter at the Location, by
// the PractitionerRole, goes out (a documented choice) with both
// references masked, and _include does not bring them.
func TestReview64bSoundDirectoryCodedFromRefsets(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gum64b(t, e,
		[2]string{"/fhir/Location/loc64b", `{"resourceType":"Location","id":"loc64b","name":"LOC64B",
		  "type":[{"coding":[{"system":"` + sct64b + `","code":"` + stdClinic64 + `"}]}]}`},
		[2]string{"/fhir/PractitionerRole/pr64b", `{"resourceType":"PractitionerRole","id":"pr64b","active":true,
		  "specialty":[{"coding":[{"system":"` + sct64b + `","code":"` + transSvc64 + `"}],"text":"PR64B"}]}`},
		[2]string{"/fhir/Encounter/atloc64b", `{"resourceType":"Encounter","id":"atloc64b","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
		  "serviceType":{"text":"ENC64B"},"participant":[{"individual":{"reference":"PractitionerRole/pr64b"}}],"location":[{"location":{"reference":"Location/loc64b"}}]}`},
	)
	expectWithheld64b(t, e,
		[]string{"/fhir/Location/loc64b", "/fhir/PractitionerRole/pr64b"},
		[]string{"/fhir/Encounter?patient=jane&_include=Encounter:location&_include=Encounter:participant", "/fhir/Patient/jane/$everything",
			"/fhir/Location?type=" + stdClinic64, "/fhir/PractitionerRole?specialty=" + transSvc64},
		[]string{"LOC64B", "PR64B", "Location/loc64b", "PractitionerRole/pr64b"})
	// what the social worker (encounters class) sees of the encounter
	r := e.do("GET", "/fhir/Encounter/atloc64b", e.token("social-worker", "council", "E06000999"), "")
	t.Logf("social worker GET Encounter/atloc64b: %d %.600s", r.status, r.body)
}

// TestReview64bSoundReferralTaskClaimLetter: a referral coded "Referral to
// gender identity clinic", a Task coded so and a Task whose focus is that
// referral, a Claim with a diagnosis of HIV, a ChargeItem coded "Seen in
// GUM clinic" and a clinic letter whose facility type is an STD clinic are
// labelled (or the reference masked) for the other readers.
func TestReview64bSoundReferralTaskClaimLetter(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gum64b(t, e,
		[2]string{"/fhir/ServiceRequest/sr64b", `{"resourceType":"ServiceRequest","id":"sr64b","status":"active","intent":"order","subject":{"reference":"Patient/jane"},
		  "code":{"coding":[{"system":"` + sct64b + `","code":"` + refGIC64 + `"}],"text":"SRQ64B"}}`},
		[2]string{"/fhir/ServiceRequest/sr64c", `{"resourceType":"ServiceRequest","id":"sr64c","status":"active","intent":"order","subject":{"reference":"Patient/jane"},
		  "code":{"text":"SRQ64C"},"performerType":{"coding":[{"system":"` + sct64b + `","code":"` + stdClinic64 + `"}]}}`},
		[2]string{"/fhir/Task/t1-64b", `{"resourceType":"Task","id":"t1-64b","status":"requested","intent":"order","for":{"reference":"Patient/jane"},
		  "code":{"coding":[{"system":"` + sct64b + `","code":"` + refGIC64 + `"}],"text":"TSK64B"}}`},
		[2]string{"/fhir/Task/t2-64b", `{"resourceType":"Task","id":"t2-64b","status":"requested","intent":"order","for":{"reference":"Patient/jane"},
		  "description":"TSKOK64B","focus":{"reference":"ServiceRequest/sr64b"}}`},
		[2]string{"/fhir/Claim/c64b", `{"resourceType":"Claim","id":"c64b","status":"active","use":"claim","type":{"text":"CLM64B"},"patient":{"reference":"Patient/jane"},"created":"2026-03-02",
		  "provider":{"reference":"Organization/RGU"},"priority":{"text":"normal"},"insurance":[{"sequence":1,"focal":true,"coverage":{"display":"NHS"}}],
		  "diagnosis":[{"sequence":1,"diagnosisCodeableConcept":{"coding":[{"system":"` + sct64b + `","code":"86406008"}]}}]}`},
		[2]string{"/fhir/ChargeItem/ci64b", `{"resourceType":"ChargeItem","id":"ci64b","status":"billable","subject":{"reference":"Patient/jane"},
		  "code":{"coding":[{"system":"` + sct64b + `","code":"` + seenGUM64 + `"}],"text":"CHG64B"}}`},
		[2]string{"/fhir/DocumentReference/d64b", `{"resourceType":"DocumentReference","id":"d64b","status":"current","subject":{"reference":"Patient/jane"},
		  "type":{"text":"DOC64B clinic letter"},"context":{"facilityType":{"coding":[{"system":"` + sct64b + `","code":"` + stdClinic64 + `"}]}},
		  "content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8="}}]}`},
	)
	expectWithheld64b(t, e,
		[]string{"/fhir/ServiceRequest/sr64b", "/fhir/ServiceRequest/sr64c", "/fhir/Task/t1-64b", "/fhir/Claim/c64b", "/fhir/ChargeItem/ci64b", "/fhir/DocumentReference/d64b"},
		[]string{"/fhir/Patient/jane/$everything", "/fhir/Task?patient=jane&_include=Task:focus", "/fhir/ServiceRequest?patient=jane", "/fhir/DocumentReference?patient=jane"},
		[]string{"SRQ64B", "SRQ64C", "TSK64B", "CLM64B", "CHG64B", "DOC64B", "ServiceRequest/sr64b"})
}

// TestReview64bChargeItemFollowingGUMDefinition: a ChargeItem of Jane's
// with no code of its own, following a stored ChargeItemDefinition coded
// "Seen in genitourinary medicine clinic" (STD refset), as a form follows
// its Questionnaire (review 62b: the definition's codes are the item's,
// and the definition is labelled by them). carex reads the codes of
// Questionnaire, PlanDefinition and ActivityDefinition only: the
// ChargeItem and the definition go unlabelled to the GP and the hospital
// (both see every class).
func TestReview64bChargeItemFollowingGUMDefinition(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gum64b(t, e,
		[2]string{"/fhir/ChargeItemDefinition/cid64b", `{"resourceType":"ChargeItemDefinition","id":"cid64b","url":"https://rgu.example/fhir/ChargeItemDefinition/cid64b","status":"active","title":"CID64B",
		  "code":{"coding":[{"system":"` + sct64b + `","code":"` + seenGUM64 + `","display":"Seen in genitourinary medicine clinic"}]}}`},
		[2]string{"/fhir/ChargeItem/ci64c", `{"resourceType":"ChargeItem","id":"ci64c","status":"billable","subject":{"reference":"Patient/jane"},
		  "definitionCanonical":["https://rgu.example/fhir/ChargeItemDefinition/cid64b"],"code":{"text":"CHGDEF64B"}}`},
	)
	readers := readers64b(e)
	readers = []reader64b{readers[0], readers[3]} // GP and hospital: the class "other"
	for _, rd := range readers {
		for _, p := range []string{"/fhir/ChargeItem/ci64c", "/fhir/ChargeItemDefinition/cid64b"} {
			if r := e.do("GET", p, rd.tok, ""); r.status != 404 {
				t.Errorf("%s: GET %s: %d, want 404: %.400s", rd.name, p, r.status, r.body)
			}
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", rd.tok, ""); strings.Contains(r.body, "CHGDEF64B") {
			t.Errorf("%s: $everything released the ChargeItem: …%s…", rd.name, snip64b(r.body, "CHGDEF64B"))
		}
	}
}
