package api_test

// Review 67b: a restricted person's demographics, on every route (SPEC §5:
// "A patient whose demographics are marked restricted (confidentiality R
// …) never has address, telephone or GP released outside the source
// organisation, and every access to them raises an IG alert").
//
// Probes only. The restricted person is Patient/r67 (GP A81001, labelled
// R), with care teams of the community trust RCX (district nurse) and the
// hospital RHX (hospital clinician, whose role sees every class).

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const (
	r67Addr  = "R67-REFUGE 1 Hidden Lane"
	r67Post  = "LS9 7TF"
	r67Phone = "01134960967"
	r67GP    = "R67-SECRET-PRACTICE"
	r67Label = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`
)

func r67Leaks(body string) bool {
	return strings.Contains(body, "R67-REFUGE") || strings.Contains(body, "Hidden Lane") || strings.Contains(body, r67Phone) ||
		strings.Contains(body, "0113 496 0967") || strings.Contains(body, r67GP) || strings.Contains(body, "LS9 7TF")
}

// r67Around is body around the first leaked value (for the failure message).
func r67Around(body string) string {
	for _, s := range []string{"R67-REFUGE", r67Phone, r67GP} {
		if i := strings.Index(body, s); i >= 0 {
			return body[max(0, i-250):min(len(body), i+100)]
		}
	}
	return body[:min(len(body), 400)]
}

func r67Patient(label string) string {
	if label != "" {
		label += ","
	}
	return `{"resourceType":"Patient","id":"r67",` + label + `
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle","given":["Margaret"]}],
		 "birthDate":"1950-02-03",
		 "address":[{"line":["` + r67Addr + `"],"city":"Leeds","postalCode":"` + r67Post + `"}],"telecom":[{"system":"phone","value":"` + r67Phone + `"}],
		 "generalPractitioner":[{"reference":"Organization/A81001","display":"` + r67GP + `"}]}`
}

func seed67b(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}]}`},
		[2]string{"/fhir/Patient/r67", r67Patient(r67Label)},
		[2]string{"/fhir/Condition/r67-dep", `{"resourceType":"Condition","id":"r67-dep","subject":{"reference":"Patient/r67"},"code":{"text":"R67-DEPRESSION"}}`},
	)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r67-nursing", `{"resourceType":"CareTeam","id":"r67-nursing","status":"active","subject":{"reference":"Patient/r67"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/r67-hosp", `{"resourceType":"CareTeam","id":"r67-hosp","status":"active","subject":{"reference":"Patient/r67"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
}

func hosp67b(e *env, sub string) string {
	return e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = sub })
}

func nurse67b(e *env, sub string) string {
	return e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub })
}

// TestReview67bTelecareDeviceContact: the council's telecare service
// records her community alarm as a Device for her (Device.patient), its
// `contact` the phone the alarm centre rings — hers. Device.contact is a
// ContactPoint that is not called `telecom`, so the redaction of a
// restricted person's items (redactPlaces: address, telecom, valueAddress,
// valueContactPoint) leaves it. The hospital clinician on her care team
// reads it (class "other": hospital-clinician sees every class).
// Breaks SPEC §5 ("never has address, telephone or GP released outside
// the source organisation") and the README's rule 7 ("any Address or
// ContactPoint value … [is] taken out"). Severity: leak of personal data
// (a refuge resident's phone). Same on 0096bd0 (not a regression).
func TestReview67bTelecareDeviceContact(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Device/r67-alarm", `{"resourceType":"Device","id":"r67-alarm","status":"active","patient":{"reference":"Patient/r67"},
			"deviceName":[{"name":"R67-TELECARE pendant alarm","type":"user-friendly-name"}],
			"contact":[{"system":"phone","value":"` + r67Phone + `","use":"home"}]}`})
	r := e.do("GET", "/fhir/Device/r67-alarm", hosp67b(e, "h67-dev"), "")
	if r.status != 200 || !strings.Contains(r.body, "R67-TELECARE") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if r67Leaks(r.body) {
		t.Errorf("her telecare alarm's contact releases her phone to the hospital clinician RHX: %.500s", r.body)
	}
	if r := e.do("GET", "/fhir/Device?patient=r67", hosp67b(e, "h67-dev2"), ""); r67Leaks(r.body) {
		t.Errorf("Device?patient=r67 releases her phone: %.500s", r.body)
	}
	if !restrictedAlerts9b(t, e, "r67")["h67-dev"] {
		t.Errorf("reading her Device raised no restricted-patient alert")
	}
}

// TestReview67bClaimAccidentAddress: a claim for her treatment after an
// accident at home (Claim.accident.locationAddress, an Address not called
// `address`; ExplanationOfBenefit has the same element). README rule 7:
// "any Address or ContactPoint value … [is] taken out". Severity: leak of
// personal data (her home address). Same on 0096bd0.
func TestReview67bClaimAccidentAddress(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Claim/r67-claim", `{"resourceType":"Claim","id":"r67-claim","status":"active","type":{"text":"R67-CLAIM"},"use":"claim",
			"patient":{"reference":"Patient/r67"},"created":"2026-01-05","provider":{"reference":"Organization/E06000999"},
			"priority":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/processpriority","code":"normal"}]},
			"insurance":[{"sequence":1,"focal":true,"coverage":{"display":"council"}}],
			"accident":{"date":"2026-01-01","locationAddress":{"line":["` + r67Addr + `"],"postalCode":"` + r67Post + `"}}}`})
	r := e.do("GET", "/fhir/Claim/r67-claim", hosp67b(e, "h67-claim"), "")
	if r.status != 200 || !strings.Contains(r.body, "R67-CLAIM") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if r67Leaks(r.body) {
		t.Errorf("her claim's accident address releases her home to the hospital clinician RHX: %.500s", r.body)
	}
}

// TestReview67bHomeLocationSnomed: her home visit Encounter names her home
// as a Location typed as a home in SNOMED CT (264362003 |Home|), not as
// v3 RoleCode PTRES; only PTRES is labelled R on write, so the Location
// goes to everyone as a directory item, and an include from her
// Encounter tells whose home it is (review 21a's leak, by another code).
// The README documents only "a type given as text alone is not read";
// a coded home that is not PTRES is not mentioned. Severity: leak of
// personal data (where she lives), of a narrower, partly documented kind.
// Same on 0096bd0.
func TestReview67bHomeLocationSnomed(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/Location/r67-home", `{"resourceType":"Location","id":"r67-home","name":"Patient's home",
			"type":[{"coding":[{"system":"http://snomed.info/sct","code":"264362003","display":"Home"}]}],
			"address":{"line":["` + r67Addr + `"],"postalCode":"` + r67Post + `"}}`},
		[2]string{"/fhir/Encounter/r67-visit", `{"resourceType":"Encounter","id":"r67-visit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},
			"subject":{"reference":"Patient/r67"},"serviceType":{"text":"R67-HOME-VISIT"},"location":[{"location":{"reference":"Location/r67-home"}}]}`})
	r := e.do("GET", "/fhir/Encounter?patient=r67&_include=Encounter:location", hosp67b(e, "h67-loc"), "")
	if r.status != 200 || !strings.Contains(r.body, "R67-HOME-VISIT") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if r67Leaks(r.body) {
		t.Errorf("her home visit, with its Location included, releases her home address to RHX: …%s…", r67Around(r.body))
	}
}

// TestReview67bLiftedRestrictionOldVersionAlert: the GP lifts her
// restriction (v2 unlabelled, a new address). Her v1, labelled R, still
// holds the refuge address; the README keeps it redacted ("any version of
// a Patient that was itself labelled R (an old refuge address after the
// restriction is lifted)"). Each read of that restricted version is an
// access to restricted demographics (SPEC §5: "every access to them raises
// an IG alert"): is it flagged? It is not: the redaction follows the
// version's own label (it.Restricted), the alert only the person's
// current restriction. Severity: a lost IG alert (no data released).
// Same on 0096bd0.
func TestReview67bLiftedRestrictionOldVersionAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	lifted := strings.NewReplacer(r67Addr, "R67-NEWHOME 2 Open Road", r67Post, "LS1 1AA", r67Phone, "01134960000", r67GP, "R67-NEW-PRACTICE").Replace(r67Patient(""))
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r67", lifted})
	for i, p := range []string{"/fhir/Patient/r67/_history/1", "/fhir/Patient/r67/_history", "/fhir/Patient/_history", "/fhir/_history"} {
		sub := "n67-lift-" + string(rune('a'+i))
		r := e.do("GET", p, nurse67b(e, sub), "")
		if r.status != 200 {
			t.Errorf("GET %s: %d %.300s", p, r.status, r.body)
			continue
		}
		if r67Leaks(r.body) {
			t.Errorf("GET %s releases the refuge address of her restricted version: %.500s", p, r.body)
		}
		if !restrictedAlerts9b(t, e, "r67")[sub] {
			t.Errorf("GET %s: her restricted version (refuge address, redacted) read with no restricted-patient alert", p)
		}
	}
}

// TestReview67bSoundLaterRestriction: she is restricted only after the
// nurse has read her (v1 unlabelled, v2 labelled R): every version, by
// every history route, then goes out redacted, with the alert.
func TestReview67bSoundLaterRestriction(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r67", r67Patient("")})
	if r := e.do("GET", "/fhir/Patient/r67", nurse67b(e, "n67-before"), ""); !r67Leaks(r.body) {
		t.Fatalf("premise (unrestricted v2 released whole): %d %.300s", r.status, r.body)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r67", r67Patient(r67Label)})
	for i, p := range []string{"/fhir/Patient/r67/_history/2", "/fhir/Patient/r67/_history", "/fhir/Patient/_history", "/fhir/_history",
		"/fhir/Patient?_id=r67&_lastUpdated=gt2000-01-01", "/fhir/Patient/r67/$everything"} {
		sub := "n67-later-" + string(rune('a'+i))
		r := e.do("GET", p, nurse67b(e, sub), "")
		if r.status != 200 || r67Leaks(r.body) {
			t.Errorf("GET %s after the restriction: %d %.500s", p, r.status, r.body)
		}
		if !restrictedAlerts9b(t, e, "r67")[sub] {
			t.Errorf("GET %s: no restricted-patient alert", p)
		}
	}
}

// TestReview67bSoundRoutesNoLeakAndAlert: routes not in review 21a's list —
// a transaction GET, POST _search, _count=0, a sort by address with paging,
// :missing, _revinclude from her GP's Organization, an include of her
// Patient from her Device, and break-glass — release none of her address,
// phone or GP to a user outside her GP practice, and each raises the
// restricted-patient alert where it reaches her.
func TestReview67bSoundRoutesNoLeakAndAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Device/r67-alarm", `{"resourceType":"Device","id":"r67-alarm","status":"active","patient":{"reference":"Patient/r67"},"deviceName":[{"name":"R67-TELECARE","type":"user-friendly-name"}]}`})
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Patient/r67"}},{"request":{"method":"GET","url":"Patient?identifier=9990000069"}}]}`
	for i, c := range []struct {
		method, path, body string
		alert              bool
		hdr                []string
	}{
		{"POST", "/fhir", tx, true, nil},
		{"GET", "/fhir/Patient?identifier=9990000069&_count=0", "", true, nil},
		{"GET", "/fhir/Patient?family=doyle&_sort=address-city&_count=1", "", false, nil},
		{"GET", "/fhir/Patient?family=doyle&address:missing=false", "", false, nil},
		{"GET", "/fhir/Patient?family=doyle&general-practitioner:missing=true", "", false, nil},
		{"GET", "/fhir/Patient?family=doyle&address:contains=hidden", "", false, nil},
		{"GET", "/fhir/Organization?_id=A81001&_revinclude=Patient:general-practitioner", "", false, nil},
		{"GET", "/fhir/Organization?_id=A81001&_revinclude=Patient:organization", "", false, nil},
		{"GET", "/fhir/Device?_id=r67-alarm&_include=Device:patient", "", true, nil},
		{"GET", "/fhir/Patient?_id=r67&_include=Patient:general-practitioner&_revinclude=Device:patient", "", true, nil},
		{"GET", "/fhir/Patient?_id=r67&_elements=address,telecom,generalPractitioner", "", true, nil},
	} {
		sub := "h67-route-" + string(rune('a'+i))
		r := e.do(c.method, c.path, hosp67b(e, sub), c.body, c.hdr...)
		if r.status != 200 {
			t.Errorf("%s %s: %d %.300s", c.method, c.path, r.status, r.body)
			continue
		}
		org := strings.HasPrefix(c.path, "/fhir/Organization")
		if r67Leaks(r.body) || !org && strings.Contains(r.body, "Riverside") || org && strings.Contains(r.body, "Patient/r67") {
			t.Errorf("%s %s releases her address, phone or GP: %.500s", c.method, c.path, r.body)
		}
		if c.alert && !restrictedAlerts9b(t, e, "r67")[sub] {
			t.Errorf("%s %s: no restricted-patient alert", c.method, c.path)
		}
	}
	// break-glass by a clinician with no relationship
	bg := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "h67-bg" })
	r := e.do("GET", "/fhir/Patient/r67/$everything", bg, "", "X-Break-Glass", "EMERGENCY: unconscious in ED, no history available")
	if r.status != 200 || r67Leaks(r.body) || !strings.Contains(r.body, "R67-DEPRESSION") {
		t.Errorf("break-glass $everything: %d %.500s", r.status, r.body)
	}
	if !restrictedAlerts9b(t, e, "r67")["h67-bg"] {
		t.Errorf("break-glass: no restricted-patient alert")
	}
}

// TestReview67bSoundConditionalCreateMatchedEcho: a hospital clinician's
// conditional create of a Patient by her NHS number matches her GP's
// record; what comes back (alone, in a transaction, in a batch) is her
// Patient redacted, with the alert.
func TestReview67bSoundConditionalCreateMatchedEcho(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed67b(t, e)
	body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}]}`
	for i, c := range []struct{ method, path, body string }{
		{"POST", "/fhir/Patient", body},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:4f1c7a36-2f9e-4a53-9d0b-0c1d2e3f4a5b","resource":` + body + `,"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"}}]}`},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + body + `,"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"}}]}`},
	} {
		sub := "h67-cc-" + string(rune('a'+i))
		r := e.do(c.method, c.path, hosp67b(e, sub), c.body, "If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069", "Prefer", "return=representation")
		t.Logf("%s %s: %d %.300s", c.method, c.path, r.status, r.body)
		if r67Leaks(r.body) {
			t.Errorf("%s %s: the matched create releases her address, phone or GP: %.500s", c.method, c.path, r.body)
		}
		if !restrictedAlerts9b(t, e, "r67")[sub] {
			t.Errorf("%s %s: no restricted-patient alert", c.method, c.path)
		}
	}
}
