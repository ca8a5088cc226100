package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// Review 41a: a re-read of the fix38c merge (NHS number system forms, a
// number beside a reference, Patient links by number, incoming links'
// withholds, migration 12).

const nhsOID41a = "urn:oid:2.16.840.1.113883.2.1.4.1"

// TestReview41aSoundInvalidNumberUnderVariantSystemRefused: SPEC §7: an invalid
// NHS number (modulus-11) gets a clear OperationOutcome and nothing is
// stored, whichever form of the system carries it and wherever it sits.
func TestReview41aSoundInvalidNumberUnderVariantSystemRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	bad := "9434765918" // check digit wrong (9434765919 is valid)
	cases := []struct{ name, path, body string }{
		{"oid-identifier", "/fhir/Patient/v41-oid", `{"resourceType":"Patient","id":"v41-oid","identifier":[{"system":"` + nhsOID41a + `","value":"` + bad + `"}]}`},
		{"upper-https-identifier", "/fhir/Patient/v41-up", `{"resourceType":"Patient","id":"v41-up","identifier":[{"system":"HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER","value":"` + bad + `"}]}`},
		{"http-slash-identifier", "/fhir/Patient/v41-sl", `{"resourceType":"Patient","id":"v41-sl","identifier":[{"system":"http://fhir.nhs.uk/Id/nhs-number/","value":"` + bad + `"}]}`},
		{"link-identifier-https", "/fhir/Patient/v41-lk", `{"resourceType":"Patient","id":"v41-lk","link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + bad + `"}},"type":"seealso"}]}`},
		{"link-identifier-oid", "/fhir/Patient/v41-lko", `{"resourceType":"Patient","id":"v41-lko","link":[{"other":{"identifier":{"system":"` + nhsOID41a + `","value":"` + bad + `"}},"type":"seealso"}]}`},
		{"subject-identifier-oid", "/fhir/Condition/v41-dx", `{"resourceType":"Condition","id":"v41-dx","subject":{"identifier":{"system":"` + nhsOID41a + `","value":"` + bad + `"}},"code":{"text":"V41"}}`},
		{"subject-beside-ref-http", "/fhir/Condition/v41-dx2", `{"resourceType":"Condition","id":"v41-dx2","subject":{"reference":"Patient/jane","identifier":{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"` + bad + `"}},"code":{"text":"V41"}}`},
	}
	for _, c := range cases {
		r := e.do("PUT", c.path, hosp, c.body)
		if r.status != 422 && r.status != 400 {
			t.Errorf("%s: PUT %s with invalid NHS number %s: %d %.200s", c.name, c.path, bad, r.status, r.body)
		}
		if g := e.do("GET", c.path, hosp, ""); g.status == 200 {
			t.Errorf("%s: stored though refused or invalid: %.200s", c.name, g.body)
		}
	}
}

// TestReview41aSoundSearchByVariantSystem: the nurse on Jane's care team
// finds her by identifier under each form of the NHS number system.
func TestReview41aSoundSearchByVariantSystem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, sys := range []string{"https://fhir.nhs.uk/Id/nhs-number", "http://fhir.nhs.uk/Id/nhs-number", "HTTPS://FHIR.NHS.UK/Id/nhs-number", nhsOID41a, "http://fhir.nhs.uk/Id/nhs-number/"} {
		r := e.do("GET", "/fhir/Patient?identifier="+sys+"|9434765919", nurse, "")
		if r.status != 200 || !strings.Contains(r.body, `"id":"jane"`) {
			t.Errorf("Patient?identifier=%s|9434765919: %d %.300s", sys, r.status, r.body)
		}
	}
}

// TestReview41aSoundStrangerLinkOpensNothing: an organisation with no
// relationship to Jane (Z99999) writes its own Patients linking to her
// (by reference, and by her NHS number under the OID form), a care team
// of its own on them, an item naming her number beside its own
// reference, and a permit. None of it relates Z99999 to Jane (SPEC §5
// layer 2): nothing of Jane's GP record reaches its users.
func TestReview41aSoundStrangerLinkOpensNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	z := e.token("system", "nhs", "Z99999")
	e.putAll(t, z,
		[2]string{"/fhir/Patient/z41", `{"resourceType":"Patient","id":"z41","name":[{"family":"Smith"}],"generalPractitioner":[{"reference":"Organization/Z99999"}],
			"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		[2]string{"/fhir/Patient/z41n", `{"resourceType":"Patient","id":"z41n","name":[{"family":"Smith"}],"generalPractitioner":[{"reference":"Organization/Z99999"}],
			"link":[{"other":{"identifier":{"system":"` + nhsOID41a + `","value":"943 476 5919"}},"type":"replaced-by"}]}`},
		[2]string{"/fhir/CareTeam/z41-team", `{"resourceType":"CareTeam","id":"z41-team","status":"active","subject":{"reference":"Patient/z41"},"participant":[{"member":{"reference":"Organization/Z99999"}}]}`},
		[2]string{"/fhir/CareTeam/z41n-team", `{"resourceType":"CareTeam","id":"z41n-team","status":"active","subject":{"reference":"Patient/z41n","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"participant":[{"member":{"reference":"Organization/Z99999"}}]}`},
		[2]string{"/fhir/Condition/z41-dx", `{"resourceType":"Condition","id":"z41-dx","subject":{"reference":"Patient/z41","identifier":{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"code":{"text":"Z41-DX"}}`},
		[2]string{"/fhir/EpisodeOfCare/z41-eoc", `{"resourceType":"EpisodeOfCare","id":"z41-eoc","status":"active","patient":{"reference":"Patient/z41"},"managingOrganization":{"reference":"Organization/Z99999"}}`},
	)
	znurse := e.token("district-nurse", "nhs", "Z99999")
	zgp := e.token("gp", "nhs", "Z99999")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},{"request":{"method":"GET","url":"Patient/jane/$everything"}},{"request":{"method":"GET","url":"Condition?patient=jane"}},{"request":{"method":"GET","url":"Patient/z41/$everything"}}]}`
	for _, tok := range []struct{ who, t string }{{"Z99999 nurse", znurse}, {"Z99999 gp", zgp}} {
		for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane", "/fhir/Condition?subject=Patient/jane",
			"/fhir/Patient/z41/$everything", "/fhir/Patient/z41n/$everything", "/fhir/Patient?_id=z41&_revinclude=Condition:subject",
			"/fhir/Patient?_id=jane&_revinclude=Condition:subject", "/fhir/Condition?patient.identifier=9434765919",
			"/fhir/Condition?subject:Patient.link=Patient/jane", "/fhir/Patient?link=Patient/jane&_revinclude=Condition:subject",
			"/fhir/Patient?identifier=9434765919&_revinclude=Condition:subject", "/fhir/Patient?_id=z41&_include=Patient:link",
			"/fhir/Patient/z41n/$everything?_count=100", "/fhir/Observation?patient=jane"} {
			r := e.do("GET", p, tok.t, "")
			for _, s := range []string{"GP-DIABETES", "GP-HBA1C", "TRUST-WOUND-CARE", "COUNCIL-CARE-PACKAGE", "HOSP-ADMISSION", "1950-03-04"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s GET %s: Jane's %s through a Patient linking to her: %d …%s…", tok.who, p, s, r.status, around21a(r.body, s))
				}
			}
		}
		r := e.do("POST", "/fhir", tok.t, batch)
		for _, s := range []string{"GP-DIABETES", "TRUST-WOUND-CARE", "1950-03-04"} {
			if strings.Contains(r.body, s) {
				t.Errorf("%s batch: Jane's %s: …%s…", tok.who, s, around21a(r.body, s))
			}
		}
	}
	// And the nurse related to Jane is not shown the stranger's records by
	// their link to her.
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient?_id=jane&_revinclude=Patient:link", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); r.status != 200 || strings.Contains(r.body, "Z41-DX") {
			t.Logf("RCX GET %s: %d (Z41-DX present: %v)", p, r.status, strings.Contains(r.body, "Z41-DX"))
		}
	}
}

// TestReview41aSoundRestrictedLinkerByNumberVariants: a restricted council
// Patient carrying no number links to Jane's NHS number under each form
// of the system; the hospital's record of her (carrying the number) goes
// to the nurse without address or phone (SPEC §5: a restricted person's
// address and telephone never leave the source).
func TestReview41aSoundRestrictedLinkerByNumberVariants(t *testing.T) {
	for i, sys := range []string{nhsOID41a, "HTTP://FHIR.NHS.UK/ID/NHS-NUMBER/", "http://fhir.nhs.uk/Id/nhs-number"} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hospPatient38c(t, e, "hosp-v41", `,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]`)
			nurse := e.token("district-nurse", "nhs", "RCX")
			if r := e.do("GET", "/fhir/Patient/hosp-v41", nurse, ""); !leaks38c(r.body) {
				t.Fatalf("premise: the nurse reads the hospital's address: %d %.300s", r.status, r.body)
			}
			e.putAll(t, e.token("system", "council", "E06000999"),
				[2]string{"/fhir/Patient/council-v41", `{"resourceType":"Patient","id":"council-v41",` + rLabel21a + `,"name":[{"family":"Smith"}],
			"link":[{"other":{"identifier":{"system":"` + sys + `","value":"943 476 5919"}},"type":"seealso"}]}`})
			for _, p := range []string{"/fhir/Patient/hosp-v41", "/fhir/Patient/hosp-v41/$everything", "/fhir/Patient?identifier=9434765919", "/fhir/Patient?_id=hosp-v41"} {
				if r := e.do("GET", p, nurse, ""); leaks38c(r.body) {
					t.Errorf("link system %s: GET %s: address though a restricted record links to her number: %d …%s…", sys, p, r.status, around21a(r.body, "SECRET-ADDR"))
				}
			}
			// Deleted, its last link still counts (README: a deleted
			// duplicate's links count).
			if r := e.do("DELETE", "/fhir/Patient/council-v41", e.token("system", "council", "E06000999"), ""); r.status >= 300 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			for _, p := range []string{"/fhir/Patient/hosp-v41", "/fhir/Patient/hosp-v41/$everything"} {
				if r := e.do("GET", p, nurse, ""); leaks38c(r.body) {
					t.Errorf("link system %s: after the linker's delete, GET %s: address: %d …%s…", sys, p, r.status, around21a(r.body, "SECRET-ADDR"))
				}
			}
		})
	}
}

// TestReview41aSoundOptOutLinkerInTransaction: in one transaction the GP
// writes Jane's record linking replaces to her old record (Jane has
// opted out) and a diagnosis under the old record; the nurse's next
// requests withhold the old record's item.
func TestReview41aSoundOptOutLinkerInTransaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/old41-team", `{"resourceType":"CareTeam","id":"old41-team","status":"active","subject":{"reference":"Patient/jane-old41"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	// prime caches
	e.do("GET", "/fhir/Patient/jane-old41/$everything", nurse, "")
	janeLinked := strings.Replace(janeJSON, `"gender"`, `"link":[{"other":{"reference":"Patient/jane-old41"},"type":"replaces"}],"gender"`, 1)
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	{"fullUrl":"Patient/jane-old41","resource":{"resourceType":"Patient","id":"jane-old41","active":false,"name":[{"family":"Smith","given":["Jane"]}]},"request":{"method":"PUT","url":"Patient/jane-old41"}},
	{"fullUrl":"Condition/old41-dx","resource":{"resourceType":"Condition","id":"old41-dx","subject":{"reference":"Patient/jane-old41"},"code":{"text":"OLD41-ASTHMA"}},"request":{"method":"PUT","url":"Condition/old41-dx"}},
	{"fullUrl":"Patient/jane","resource":` + janeLinked + `,"request":{"method":"PUT","url":"Patient/jane"}}]}`
	if r := e.do("POST", "/fhir", gp, tx); r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/old41-dx", "/fhir/Condition?patient=jane-old41", "/fhir/Patient/jane-old41/$everything", "/fhir/Patient?_id=jane-old41&_revinclude=Condition:subject"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "OLD41-ASTHMA") {
			t.Errorf("GET %s: the old record's diagnosis despite her opt-out on the record linking to it: %d …%s…", p, r.status, around21a(r.body, "OLD41-ASTHMA"))
		}
	}
}

// TestReview41aSoundManyLinkersKeepToSources: more than 20 Patients link
// to the old record; per README the person is kept to the sources (fails
// closed).
func TestReview41aSoundManyLinkersKeepToSources(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/jane-old41", `{"resourceType":"Patient","id":"jane-old41","active":false,"name":[{"family":"Smith","given":["Jane"]}]}`},
		[2]string{"/fhir/Condition/old41-dx", `{"resourceType":"Condition","id":"old41-dx","subject":{"reference":"Patient/jane-old41"},"code":{"text":"OLD41-ASTHMA"}}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/old41-team", `{"resourceType":"CareTeam","id":"old41-team","status":"active","subject":{"reference":"Patient/jane-old41"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/old41-dx", nurse, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	// 20 harmless linkers and one with an opt-out Consent recorded on it
	// (the 21st, which may go unread).
	other := e.token("system", "nhs", "RHX")
	for i := 0; i < 21; i++ {
		id := fmt.Sprintf("lk41-%02d", i)
		e.putAll(t, other, [2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `","link":[{"other":{"reference":"Patient/jane-old41"},"type":"seealso"}]}`})
	}
	e.putAll(t, other, [2]string{"/fhir/Consent/lk41-optout", strings.Replace(janeConsent("lk41-optout", "2026-11-01", "OPTOUT", ""), "Patient/jane", "Patient/lk41-20", 1)})
	for _, p := range []string{"/fhir/Condition/old41-dx", "/fhir/Patient/jane-old41/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "OLD41-ASTHMA") {
			t.Errorf("GET %s: released with 21 linkers, one objecting: %d", p, r.status)
		}
	}
}
