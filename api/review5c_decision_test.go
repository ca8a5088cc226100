package api_test

// Review 5c (conformance with SPEC.md): the findings about the sharing
// decision, the alerts and search, fixed on main.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestReview5cSearchByInvalidNHSNumberIsRefused: SPEC §7 "an invalid NHS
// number (modulus-11 check digit) … gets a clear OperationOutcome, and
// nothing is … released". A write with one is a 422 naming the check; a
// search for one (a district nurse who mistypes a digit) is a 200 with no
// match and the "Items excluded due to confidentiality" notice, so the
// nurse is told the person may exist but be hidden, instead of that the
// number she typed cannot be an NHS number.
func TestReview5cSearchByInvalidNHSNumberIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	// 9434765919 is Jane's; the last digit mistyped fails the check.
	for _, v := range []string{"9434765918", "943 476 5918"} {
		r := e.do("GET", "/fhir/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+v), nurse, "")
		if r.status != 400 || !strings.Contains(r.body, "modulus-11") {
			t.Errorf("search by invalid NHS number %q: %d %.300s; want 400 naming the modulus-11 check", v, r.status, r.body)
		}
	}
}

// TestReview5cCouncilCarePackageReachesDistrictNurse: SPEC §1 the district
// nurse "needs … the social care package"; §5 "a care package is an
// EpisodeOfCare". A care package the council's case-management system
// sends as an EpisodeOfCare, in the shape SPEC names but without carex's
// own data-class tag or one of the four codings carex recognises, is
// classed "encounters" and withheld from the nurse (role class
// not permitted), silently beyond the generic notice. Only carex's private
// codes make a council care package social care.
func TestReview5cCouncilCarePackageReachesDistrictNurse(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	pkg := `{"resourceType":"EpisodeOfCare","id":"home-care","status":"active","patient":{"reference":"Patient/jane"},
	 "managingOrganization":{"reference":"Organization/E06000999"},
	 "type":[{"coding":[{"system":"http://snomed.info/sct","code":"410543007","display":"Social care"}],"text":"HOME-CARE-PACKAGE four calls a day"}]}`
	if r := e.do("PUT", "/fhir/EpisodeOfCare/home-care", council, pkg); r.status != 201 {
		t.Fatalf("care package: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); !strings.Contains(r.body, "HOME-CARE-PACKAGE") {
		t.Errorf("the council's care package is missing from the district nurse's view of Jane's record: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/home-care", nurse, ""); r.status != 200 {
		t.Errorf("district nurse reading the council's care package: %d %.200s", r.status, r.body)
	}
}

// TestReview5cRestrictedAlertNamesOnlyTheRestrictedPerson: SPEC §5 "every
// access to [a restricted patient] raises an IG alert". A search that
// touches one restricted person and others raises a restricted-patient
// alert under every person it touched: the IG officer's $alerts report says
// that the GP accessed "restricted patient" Jane, who is not restricted,
// and her $who-accessed shows it too.
func TestReview5cRestrictedAlertNamesOnlyTheRestrictedPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/plain", `{"resourceType":"Patient","id":"plain","name":[{"family":"Plain"}],"birthDate":"1950-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Patient/hidden", `{"resourceType":"Patient","id":"hidden","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"name":[{"family":"Hidden"}],"birthDate":"1950-01-01","address":[{"line":["1 Refuge Road"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	trust := e.token("system", "nhs", "RCX")
	for _, id := range []string{"plain", "hidden"} {
		e.putAll(t, trust, [2]string{"/fhir/CareTeam/ct-" + id, `{"resourceType":"CareTeam","id":"ct-` + id + `","status":"active","subject":{"reference":"Patient/` + id + `"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	}
	if r := e.do("GET", "/fhir/Patient?birthdate=1950-01-01", nurse, ""); r.status != 200 || !strings.Contains(r.body, "Plain") {
		t.Fatalf("search: %d %.200s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	var rep struct {
		Alerts []struct {
			Kind    string `json:"kind"`
			Patient string `json:"patient"`
			Code    string `json:"code"`
			Detail  string `json:"detail"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("alerts: %d %v %.300s", r.status, err, r.body)
	}
	sawHidden := false
	for _, a := range rep.Alerts {
		if a.Code != "restricted-patient" && !strings.Contains(a.Detail, "restricted-patient") {
			continue
		}
		switch a.Patient {
		case "hidden":
			sawHidden = true
		case "plain":
			t.Errorf("restricted-patient alert names patient %q, who is not restricted: %+v", a.Patient, a)
		}
	}
	if !sawHidden {
		t.Errorf("no restricted-patient alert for the restricted person: %.500s", r.body)
	}
}

// TestReview5cSourceOrganisationSeesWhatItRecorded: SPEC §5 "A source
// organisation always sees the data it recorded." carex applies the role's
// data classes first, "even from its source" (README rule 1): a district
// nurse gets 404 on the wound assessment (Observation) and the home visit
// (Encounter) her own trust recorded — as in the demo, where Nurse Okafor
// cannot see RCX's wound assessments of Jane — and a social worker on the
// falls-risk assessment her own council recorded as an Observation. (The
// IG officer's "no clinical data" is a different role rule; these are
// clinicians and care workers reading their own organisation's records.)
func TestReview5cSourceOrganisationSeesWhatItRecorded(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trust := e.token("system", "nhs", "RCX")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, trust,
		[2]string{"/fhir/Observation/wound", `{"resourceType":"Observation","id":"wound","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"TRUST-WOUND-ASSESSMENT grade 2 sacral"}}`},
		[2]string{"/fhir/Encounter/visit", `{"resourceType":"Encounter","id":"visit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},"subject":{"reference":"Patient/jane"},"serviceType":{"text":"TRUST-HOME-VISIT"}}`},
	)
	e.putAll(t, council,
		[2]string{"/fhir/Observation/falls", `{"resourceType":"Observation","id":"falls","status":"final","subject":{"reference":"Patient/jane"},"meta":{"tag":[{"system":"https://carex.example/data-class","code":"observations"}]},"code":{"text":"COUNCIL-FALLS-RISK high"}}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	for _, c := range []struct{ who, tok, path, want string }{
		{"district nurse", nurse, "/fhir/Observation/wound", "TRUST-WOUND-ASSESSMENT"},
		{"district nurse", nurse, "/fhir/Encounter/visit", "TRUST-HOME-VISIT"},
		{"social worker", sw, "/fhir/Observation/falls", "COUNCIL-FALLS-RISK"},
	} {
		if r := e.do("GET", c.path, c.tok, ""); r.status != 200 || !strings.Contains(r.body, c.want) {
			t.Errorf("%s reading %s, which her own organisation recorded: %d %.160s", c.who, c.path, r.status, r.body)
		}
	}
}

// TestReview5cRestrictedPersonsGPNotReleasedAsManagingOrganization: SPEC §5
// "A patient whose demographics are marked restricted … never has address,
// telephone or GP released outside the source organisation". carex removes
// Patient.generalPractitioner, but a GP system commonly also names the
// practice as Patient.managingOrganization, and that is released as
// stored: the district nurse reads "Riverside Surgery" (the practice near
// the refuge) on the restricted record, Patient?organization=A81001 finds
// the person (a search by general-practitioner does not), and
// _include=Patient:organization brings the practice in.
func TestReview5cRestrictedPersonsGPNotReleasedAsManagingOrganization(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery","address":[{"line":["2 Practice Lane"]}]}`})
	e.putAll(t, gp, [2]string{"/fhir/Patient/hidden", `{"resourceType":"Patient","id":"hidden",
	 "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
	 "name":[{"family":"Hidden"}],"address":[{"line":["1 Refuge Road"]}],
	 "generalPractitioner":[{"reference":"Organization/A81001","display":"Riverside Surgery"}],
	 "managingOrganization":{"reference":"Organization/A81001","display":"Riverside Surgery"}}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/ct", `{"resourceType":"CareTeam","id":"ct","status":"active","subject":{"reference":"Patient/hidden"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient/hidden", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "Refuge Road") {
		t.Fatalf("restricted read: %d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "Riverside Surgery") || strings.Contains(r.body, "A81001") {
		t.Errorf("the restricted person's GP practice is released as managingOrganization: %s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient?general-practitioner=Organization/A81001", nurse, ""); strings.Contains(r.body, `"id":"hidden"`) {
		t.Fatalf("general-practitioner search finds the restricted person: %s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient?organization=Organization/A81001", nurse, ""); strings.Contains(r.body, `"id":"hidden"`) {
		t.Errorf("Patient?organization= (the same practice) finds the restricted person, where general-practitioner= does not: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient?_id=hidden&_include=Patient:organization", nurse, ""); strings.Contains(r.body, `"resourceType":"Organization"`) {
		t.Errorf("_include=Patient:organization brings in the restricted person's GP practice: %.300s", r.body)
	}
}
