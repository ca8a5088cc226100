package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 52a: joined records across sources. Each source may file its
// items under its own Patient for the same person (same NHS number, or
// Patient.link). These probes check how far the join reaches.

const bodyHospOld52a = "HOSP-OLD-ULCER-52A"

// seedHospOld52a: the hospital's own record of Jane (hosp-jane, carrying
// her NHS number, seedHospitalJane) and the hospital's older duplicate of
// her, Patient/hosp-old52a (not yet traced: no NHS number), merged into
// hosp-jane by a link — outgoing from the old record (`replaced-by`) when
// fromOld, otherwise incoming from hosp-jane (`replaces`, the old record
// not linking back). Under the old record stay a diagnosis and the
// hospital's care team with the community trust (RCX).
func seedHospOld52a(t *testing.T, e *env, fromOld bool, oldExtra string) {
	t.Helper()
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "9434765919")
	old := `{"resourceType":"Patient","id":"hosp-old52a",` + oldExtra + `"name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04"}`
	if fromOld {
		old = strings.Replace(old, `"name"`, `"link":[{"other":{"reference":"Patient/hosp-jane"},"type":"replaced-by"}],"name"`, 1)
	} else {
		e.putAll(t, hosp, [2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
			"link":[{"other":{"reference":"Patient/hosp-old52a"},"type":"replaces"}],"name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04"}`})
	}
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-old52a", old},
		[2]string{"/fhir/CareTeam/hosp-old-team52a", `{"resourceType":"CareTeam","id":"hosp-old-team52a","status":"active","subject":{"reference":"Patient/hosp-old52a"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/hosp-old-ulcer52a", `{"resourceType":"Condition","id":"hosp-old-ulcer52a","subject":{"reference":"Patient/hosp-old52a"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"95344007"}],"text":"` + bodyHospOld52a + `"}}`})
}

var readsOld52a = []string{"/fhir/Condition/hosp-old-ulcer52a", "/fhir/Condition?patient=hosp-old52a", "/fhir/Patient/hosp-old52a/$everything"}

// TestReview52aOptOutReachesDuplicateMergedIntoSameNumberRecord: Jane
// opts out at her GP (Consent on Patient/jane). Her opt-out reaches the
// hospital's Patient/hosp-jane (same NHS number). The hospital had
// merged its older duplicate of her, Patient/hosp-old52a, into hosp-jane
// (link replaced-by, by reference). What stays filed under the old record
// is Jane's too: SPEC §5 opt-out, "nothing is shared beyond the source
// organisation". Probed with the link held by the old record and by the
// surviving one.
func TestReview52aOptOutReachesDuplicateMergedIntoSameNumberRecord(t *testing.T) {
	for _, fromOld := range []bool{true, false} {
		name := "link-from-old"
		if !fromOld {
			name = "link-from-survivor"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			seedHospOld52a(t, e, fromOld, "")
			nurse := e.token("district-nurse", "nhs", "RCX")
			for _, p := range readsOld52a {
				if r := e.do("GET", p, nurse, ""); r.status != 200 || !strings.Contains(r.body, bodyHospOld52a) {
					t.Fatalf("the premise: before she objects, the nurse on the hospital's team reads %s: %d %.300s", p, r.status, r.body)
				}
			}
			gp := e.token("system", "nhs", "A81001")
			if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
				t.Fatalf("opt-out: %d %s", r.status, r.body)
			}
			if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
				t.Fatalf("the premise: the opt-out reaches the same-number record: %d", r.status)
			}
			for _, p := range readsOld52a {
				if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, bodyHospOld52a) {
					t.Errorf("GET %s (district nurse RCX): the hospital's merged duplicate of Jane released despite her opt-out at her GP: %d …%s…", p, r.status, around21a(r.body, bodyHospOld52a))
				}
			}
			if r := e.do("GET", "/fhir/Condition/hosp-old-ulcer52a", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
				t.Errorf("the hospital, the source, reads its own record: %d", r.status)
			}
		})
	}
}

// TestReview52aRestrictionReachesDuplicateMergedIntoSameNumberRecord:
// Jane's GP record is restricted (R). The hospital's hosp-jane carries
// her number (so it is restricted too); its older duplicate
// hosp-old52a, merged into it by reference, holds her address and phone.
// SPEC §5: a restricted patient "never has address, telephone or GP
// released outside the source organisation, and every access to them
// raises an IG alert".
func TestReview52aRestrictionReachesDuplicateMergedIntoSameNumberRecord(t *testing.T) {
	for _, fromOld := range []bool{true, false} {
		name := "link-from-old"
		if !fromOld {
			name = "link-from-survivor"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, withAccessLog(t, nil))
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			e.putAll(t, gp, [2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `{"resourceType":"Patient",`, `{"resourceType":"Patient",`+rLabel21a+`,`, 1)})
			seedHospOld52a(t, e, fromOld, `"address":[{"line":["SECRET-ADDR 52 Refuge Row"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],`)
			nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "n52a-old" })
			if r := e.do("GET", "/fhir/Patient/hosp-jane", nurse, ""); r.status != 200 {
				t.Fatalf("the premise: the nurse reads the hospital's record: %d", r.status)
			}
			for _, p := range []string{"/fhir/Patient/hosp-old52a", "/fhir/Patient/hosp-old52a/$everything", "/fhir/CareTeam?patient=hosp-old52a&_include=CareTeam:subject"} {
				if r := e.do("GET", p, nurse, ""); leaks38c(r.body) {
					t.Errorf("GET %s (district nurse RCX): restricted Jane's address/phone from the hospital's merged duplicate: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR", "01134960999"))
				}
			}
			if !restrictedAlerts9b(t, e, "hosp-old52a")["n52a-old"] && !restrictedAlerts9b(t, e, "jane")["n52a-old"] && !restrictedAlerts9b(t, e, "hosp-jane")["n52a-old"] {
				t.Errorf("reading restricted Jane's merged duplicate raised no restricted-patient alert")
			}
		})
	}
}

// TestReview52aWhoAccessedListsDuplicateMergedIntoSameNumberRecord: IG
// asks who accessed Jane's record (Patient/jane, the GP's). The nurse read
// the diagnosis filed under the hospital's old duplicate of her, merged
// into hosp-jane (her number). SPEC §6: IG can list who accessed a
// patient.
func TestReview52aWhoAccessedListsDuplicateMergedIntoSameNumberRecord(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedHospOld52a(t, e, true, "")
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-52a-old" })
	if r := e.do("GET", "/fhir/Condition/hosp-old-ulcer52a", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, p := range []string{"/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent?patient=jane&_count=1000"} {
		if r := e.do("GET", p, ig, ""); r.status != 200 || !strings.Contains(r.body, "nurse-52a-old") {
			t.Errorf("GET %s: the nurse's read of Jane's record filed under the hospital's merged duplicate is not listed: %d %.400s", p, r.status, r.body)
		}
	}
}

// TestReview52aSoundCouncilOptOutOtherRecordEveryRoute: Jane's opt-out at
// her GP; the council (on an active episode of care for the hospital's
// own record of her) reaches the hospital's diagnosis under hosp-jane by
// no route.
func TestReview52aSoundCouncilOptOutOtherRecordEveryRoute(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "943 476 5919")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/hosp-pkg52a", `{"resourceType":"EpisodeOfCare","id":"hosp-pkg52a","status":"active","patient":{"reference":"Patient/hosp-jane"},"managingOrganization":{"reference":"Organization/E06000999"}}`})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", sw, ""); r.status != 200 {
		t.Fatalf("the premise: the social worker reads the hospital's problem: %d %s", r.status, r.body)
	}
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	paths := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition/hosp-fracture/_history", "/fhir/Condition/hosp-fracture/_history/1",
		"/fhir/Condition?patient=hosp-jane", "/fhir/Condition?code=5913000", "/fhir/Condition?_id=hosp-fracture", "/fhir/Condition?subject=Patient/hosp-jane",
		"/fhir/Condition?patient.identifier=9434765919", "/fhir/Condition/_history", "/fhir/_history",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205919&_revinclude=Condition:subject",
		"/fhir/EpisodeOfCare?patient=hosp-jane&_revinclude=Condition:subject",
		"/fhir/Patient/hosp-jane/$everything", "/fhir/Patient/jane/$everything"}
	for _, p := range paths {
		if r := e.do("GET", p, sw, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("GET %s (social worker): the hospital's diagnosis despite Jane's opt-out at her GP: %d …%s…", p, r.status, around21a(r.body, "HOSP-FRACTURE"))
		}
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/hosp-fracture"}},{"request":{"method":"GET","url":"Patient/hosp-jane/$everything"}},{"request":{"method":"GET","url":"Condition?patient=hosp-jane"}}]}`
	if r := e.do("POST", "/fhir", sw, batch); strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Errorf("batch (social worker): the hospital's diagnosis despite her opt-out: %d", r.status)
	}
}

// TestReview52aSoundLateCopyJoinedAtOnce: her opt-out stands first; the
// hospital's record of her then arrives (or gains her number later); its
// items are withheld from the nurse from the next request.
func TestReview52aSoundLateCopyJoinedAtOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	// Untraced first: no number.
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","name":[{"family":"Smith","given":["Jane"]}]}`},
		[2]string{"/fhir/CareTeam/hosp-discharge", `{"resourceType":"CareTeam","id":"hosp-discharge","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/hosp-fracture", `{"resourceType":"Condition","id":"hosp-fracture","subject":{"reference":"Patient/hosp-jane"},"code":{"text":"HOSP-FRACTURE"}}`})
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: untraced, the hospital's record goes to the nurse: %d", r.status)
	}
	// Warm any cache of her number, then trace.
	_ = e.do("GET", "/fhir/Condition/diabetes", nurse, "")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"urn:oid:2.16.840.1.113883.2.1.4.1","value":"943 476 5919"}],"name":[{"family":"Smith","given":["Jane"]}]}`})
	for _, p := range []string{"/fhir/Condition/hosp-fracture", "/fhir/Patient/hosp-jane/$everything", "/fhir/Condition?patient=hosp-jane"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("GET %s: once traced to her number (OID system, spaces), her opt-out does not reach it at once: %d", p, r.status)
		}
	}
}

// TestReview52aSoundWhoAccessedFromOtherRecord: IG asks about the
// hospital's record (hosp-jane); the nurse's read of Jane's GP diagnosis
// (Patient/jane, same number) is listed.
func TestReview52aSoundWhoAccessedFromOtherRecord(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedHospitalJane(t, e, e.token("system", "nhs", "RHX"), "943 476 5919")
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-52a-gp" })
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, p := range []string{"/fhir/AuditEvent/$who-accessed?patient=hosp-jane", "/fhir/AuditEvent?patient=hosp-jane&_count=1000"} {
		if r := e.do("GET", p, ig, ""); r.status != 200 || !strings.Contains(r.body, "nurse-52a-gp") {
			t.Errorf("GET %s: the nurse's read of Jane's GP record is not listed on the hospital's record of her: %d %.400s", p, r.status, r.body)
		}
	}
}

// TestReview52aSoundSeeAlsoToAnotherPersonDoesNotJoin: Bob's Patient
// (another practice) links seealso to Jane's. Bob's GP gets nothing of
// Jane through Bob's record, and Bob's items do not enter Jane's record.
func TestReview52aSoundSeeAlsoToAnotherPersonDoesNotJoin(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	other := e.token("system", "nhs", "B82002")
	e.putAll(t, other,
		[2]string{"/fhir/Patient/bob52a", `{"resourceType":"Patient","id":"bob52a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"link":[{"other":{"reference":"Patient/jane"},"type":"seealso"}],"name":[{"family":"Jones"}],"generalPractitioner":[{"reference":"Organization/B82002"}]}`},
		[2]string{"/fhir/Condition/bob-gout52a", `{"resourceType":"Condition","id":"bob-gout52a","subject":{"reference":"Patient/bob52a"},"code":{"text":"BOB-GOUT-52A"}}`})
	bobGP := e.token("gp", "nhs", "B82002")
	for _, p := range []string{"/fhir/Patient/bob52a/$everything", "/fhir/Condition?patient=bob52a", "/fhir/Patient?_id=bob52a&_include=Patient:link", "/fhir/Patient/jane", "/fhir/Condition/diabetes", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, bobGP, ""); strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "1950-03-04") {
			t.Errorf("GET %s (Bob's GP): Jane's record through Bob's seealso link: %d …%s…", p, r.status, around21a(r.body, "GP-DIABETES", "1950-03-04"))
		}
	}
	janeGP := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", janeGP, ""); strings.Contains(r.body, "BOB-GOUT-52A") {
		t.Errorf("Bob's item entered Jane's $everything through his seealso link")
	}
}

// TestReview52aObjectionOnMergedDuplicateReachesGPRecord: the other way
// round. The hospital recorded Jane's opt-out on its older record of her,
// Patient/hosp-old52a, which it has since merged into hosp-jane (her NHS
// number; link replaced-by from the old record, or replaces from the
// survivor). Her GP's record (Patient/jane, same number as hosp-jane) is
// the same person's: SPEC §5, opt-out → nothing shared beyond the source.
func TestReview52aObjectionOnMergedDuplicateReachesGPRecord(t *testing.T) {
	for _, fromOld := range []bool{true, false} {
		name := "link-from-old"
		if !fromOld {
			name = "link-from-survivor"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			seedHospOld52a(t, e, fromOld, "")
			nurse := e.token("district-nurse", "nhs", "RCX")
			if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
				t.Fatalf("the premise: the nurse reads Jane's GP diagnosis: %d", r.status)
			}
			hosp := e.token("system", "nhs", "RHX")
			optout := strings.Replace(janeConsent("hosp-old-optout52a", "2026-11-01", "OPTOUT", ""), "Patient/jane", "Patient/hosp-old52a", 1)
			if r := e.do("PUT", "/fhir/Consent/hosp-old-optout52a", hosp, optout); r.status != 201 {
				t.Fatalf("opt-out on the old record: %d %s", r.status, r.body)
			}
			if r := e.do("GET", "/fhir/Condition/hosp-fracture", nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
				t.Errorf("the premise (one hop, the link): the objection on the old record reaches hosp-jane: %d", r.status)
			}
			for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
				if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
					t.Errorf("GET %s (district nurse RCX): Jane's GP diagnosis despite her opt-out on the hospital's merged record of her: %d …%s…", p, r.status, around21a(r.body, "GP-DIABETES"))
				}
			}
		})
	}
}

// TestReview52aRestrictionOnMergedDuplicateReachesGPRecord: the
// hospital's old record of Jane (hosp-old52a) is restricted (R) and merged
// into hosp-jane (her NHS number); her GP's unlabelled Patient/jane holds
// her address and phone. SPEC §5: never released outside the source.
func TestReview52aRestrictionOnMergedDuplicateReachesGPRecord(t *testing.T) {
	for _, fromOld := range []bool{true, false} {
		name := "link-from-old"
		if !fromOld {
			name = "link-from-survivor"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			e.putAll(t, gp, [2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["SECRET-ADDR 52 Refuge Row"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],"gender"`, 1)})
			seedHospOld52a(t, e, fromOld, rLabel21a+",")
			nurse := e.token("district-nurse", "nhs", "RCX")
			if r := e.do("GET", "/fhir/Patient/hosp-jane", nurse, ""); r.status != 200 {
				t.Fatalf("the premise: %d", r.status)
			}
			for _, p := range []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything", "/fhir/Patient?identifier=9434765919"} {
				if r := e.do("GET", p, nurse, ""); leaks38c(r.body) {
					t.Errorf("GET %s (district nurse RCX): Jane's address/phone though the hospital's merged record of her is restricted: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR", "01134960999"))
				}
			}
		})
	}
}

// TestReview52aOptOutReachesRecordUnderSupersededNumber: the hospital's
// record of Jane carries her current NHS number (as her GP's does) and her
// superseded one; the council's record of her carries the superseded one
// only, with an active episode of care. Jane's opt-out at her GP reaches
// the hospital's record (shared number); the council's record is the same
// person's through the hospital's record.
func TestReview52aOptOutReachesRecordUnderSupersededNumber(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},{"use":"old","system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],"name":[{"family":"Smith","given":["Jane"]}]}`})
	e.putAll(t, council,
		[2]string{"/fhir/Patient/council-jane52a", `{"resourceType":"Patient","id":"council-jane52a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5870"}],"name":[{"family":"Smith","given":["Jane"]}]}`},
		[2]string{"/fhir/EpisodeOfCare/council-pkg52a", `{"resourceType":"EpisodeOfCare","id":"council-pkg52a","status":"active","patient":{"reference":"Patient/council-jane52a"},"managingOrganization":{"reference":"Organization/E06000999"}}`},
		[2]string{"/fhir/CareTeam/council-team52a", `{"resourceType":"CareTeam","id":"council-team52a","status":"active","subject":{"reference":"Patient/council-jane52a"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/council-fall52a", `{"resourceType":"Condition","id":"council-fall52a","subject":{"reference":"Patient/council-jane52a"},"code":{"text":"COUNCIL-FALLS-52A"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/council-fall52a", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse on the council's team reads its record: %d %s", r.status, r.body)
	}
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/council-fall52a", "/fhir/Condition?patient=council-jane52a", "/fhir/Patient/council-jane52a/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "COUNCIL-FALLS-52A") {
			t.Errorf("GET %s (district nurse RCX): the council's record of Jane under her superseded number (which the hospital's record of her also carries) despite her opt-out: %d …%s…", p, r.status, around21a(r.body, "COUNCIL-FALLS-52A"))
		}
	}
}
