package api_test

import (
	"strings"
	"testing"
)

// Review 38c: joining one person's records (SPEC §5: one record per person,
// joined from the GP, hospital, community and council systems by NHS
// number). Probes of a person's objection and restriction recorded on one
// of her Patient resources reaching the items and demographics filed under
// another organisation's Patient resource of her.

// hospPatient38c writes, as the hospital RHX, its own Patient of a person
// (patient: the Patient's id and extra elements), a care team putting the
// district nurses RCX on it, and a diagnosis filed under it.
func hospPatient38c(t *testing.T, e *env, id, extra string) {
	t.Helper()
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"Smith","given":["Jane"]}],
			"address":[{"line":["SECRET-ADDR 38 Refuge Road"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]` + extra + `}`},
		[2]string{"/fhir/CareTeam/" + id + "-team", `{"resourceType":"CareTeam","id":"` + id + `-team","status":"active","subject":{"reference":"Patient/` + id + `"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/" + id + "-dx", `{"resourceType":"Condition","id":"` + id + `-dx","subject":{"reference":"Patient/` + id + `"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"5913000"}],"text":"HOSP38-FRACTURE"}}`})
}

// leaks38c: her address or phone in a body.
func leaks38c(body string) bool {
	return strings.Contains(body, "SECRET-ADDR") || strings.Contains(body, "LS9 7TF") || strings.Contains(body, "01134960999")
}

// readsOf38c: the routes by which the nurse may reach a Patient id's
// diagnosis and demographics.
func readsOf38c(id string) []string {
	return []string{
		"/fhir/Condition/" + id + "-dx",
		"/fhir/Condition?subject=Patient/" + id,
		"/fhir/Condition?patient=" + id,
		"/fhir/Condition/" + id + "-dx/_history",
		"/fhir/Patient/" + id + "/$everything",
		"/fhir/Patient?_id=" + id + "&_revinclude=Condition:subject",
	}
}

// TestReview38cRestrictionReachesPatientLinkingByIdentifier: the hospital's
// own Patient of the restricted person r21 carries no NHS number identifier
// of its own but links to her (Patient.link.other) by her NHS number, as a
// Reference by identifier (a merged/duplicate record pointing at the
// survivor). The same link by identifier on a Person, or on a copy inside
// another item, is followed (reviews 22a); on a stored Patient it is not,
// so her refuge address and phone go to the district nurse of the
// hospital's care team. SPEC §5: a restricted person's address, telephone
// or GP are never released outside the source organisation.
func TestReview38cRestrictionReachesPatientLinkingByIdentifier(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	hospPatient38c(t, e, "hosp-r38", `,"link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0069"}},"type":"replaced-by"}]`)
	nurse := nurse21a(e, "n38c-link-ident")
	for _, p := range []string{"/fhir/Patient/hosp-r38", "/fhir/Patient/hosp-r38/$everything", "/fhir/Patient?_id=hosp-r38"} {
		r := e.do("GET", p, nurse, "")
		if leaks38c(r.body) {
			t.Errorf("GET %s (district nurse RCX): the restricted person's address/phone, from the hospital's Patient linking to her by NHS number: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview38cObjectionReachesPatientLinkingByIdentifier: Jane's opt-out
// is recorded on her GP's Patient/jane. The hospital's Patient of her links
// to her by NHS number identifier (link.other.identifier, replaced-by) and
// carries no NHS number of its own. Items filed under it should be hers,
// withheld under her opt-out from the district nurse; a link by reference
// is followed (README: any link type), one by identifier is not.
func TestReview38cObjectionReachesPatientLinkingByIdentifier(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	// premise: the same record linking to her by reference is followed
	hospPatient38c(t, e, "hosp-ref38", `,"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]`)
	if r := e.do("GET", "/fhir/Condition/hosp-ref38-dx", nurse, ""); r.status != 404 {
		t.Fatalf("the premise: a link by reference carries her opt-out to the hospital's record: %d %.300s", r.status, r.body)
	}
	hospPatient38c(t, e, "hosp-id38", `,"link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}},"type":"replaced-by"}]`)
	for _, p := range readsOf38c("hosp-id38") {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP38-FRACTURE") {
			t.Errorf("GET %s (district nurse RCX): the hospital's diagnosis filed under its record of Jane, linked to her by NHS number, despite her opt-out: %d …%s…", p, r.status, around21a(r.body, "HOSP38-FRACTURE"))
		}
	}
}

// TestReview38cRestrictionReachesRecordHerPatientLinksTo: the GP's
// restricted Patient of r21 says its person's other record is the
// hospital's Patient/hosp-in38 (link seealso), which carries no NHS number.
// By design links are read from the record that carries them only; this
// probe shows what that gives for a restriction (which only withholds):
// her address on the record her own restricted Patient names as hers.
func TestReview38cRestrictionReachesRecordHerPatientLinksTo(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, `,"link":[{"other":{"reference":"Patient/hosp-in38"},"type":"seealso"}]`)
	hospPatient38c(t, e, "hosp-in38", "")
	nurse := nurse21a(e, "n38c-in-link")
	for _, p := range []string{"/fhir/Patient/hosp-in38", "/fhir/Patient/hosp-in38/$everything"} {
		r := e.do("GET", p, nurse, "")
		if leaks38c(r.body) {
			t.Errorf("GET %s (district nurse RCX): the address on the record her restricted Patient links to as hers: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview38cRestrictionReachesNHSNumberUnderOldSystemURI: the hospital
// feed writes its Patient of r21 with her NHS number under the http form of
// the NHS number system (`http://fhir.nhs.uk/Id/nhs-number`). carex stores
// it without the modulus-11 check and does not take it for an NHS number,
// so the record is not joined to her restricted GP record.
func TestReview38cRestrictionReachesNHSNumberUnderOldSystemURI(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	hospPatient38c(t, e, "hosp-http38", `,"identifier":[{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}]`)
	nurse := nurse21a(e, "n38c-http")
	for _, p := range []string{"/fhir/Patient/hosp-http38", "/fhir/Patient?identifier=9990000069"} {
		r := e.do("GET", p, nurse, "")
		if leaks38c(r.body) {
			t.Errorf("GET %s (district nurse RCX): the restricted person's address/phone, NHS number under http://fhir.nhs.uk/Id/nhs-number: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview38cSoundCouncilRecordUnderSpacedNumberFollowsGPOptOut: Jane's
// opt-out on her GP's Patient/jane; the council's own Patient of her
// carries her number with spaces, and the council files a social care
// item under it with RCX on its team. Read, search by subject, by her NHS
// number (chained, with and without spaces), $everything, _revinclude,
// _history and a batch GET all withhold it from the district nurse.
func TestReview38cSoundCouncilRecordUnderSpacedNumberFollowsGPOptOut(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	council := e.token("system", "council", "E06000999")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	e.putAll(t, council,
		[2]string{"/fhir/Patient/council-jane", `{"resourceType":"Patient","id":"council-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919","use":"official"}],"name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/CareTeam/council-jane-team", `{"resourceType":"CareTeam","id":"council-jane-team","status":"active","subject":{"reference":"Patient/council-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/council-jane-dx", `{"resourceType":"Condition","id":"council-jane-dx","subject":{"reference":"Patient/council-jane"},"code":{"text":"COUNCIL38-NEED"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	paths := append(readsOf38c("council-jane"),
		"/fhir/Condition?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919",
		"/fhir/Condition?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205919",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205919&_revinclude=Condition:subject")
	for _, p := range paths {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "COUNCIL38-NEED") {
			t.Errorf("GET %s (district nurse RCX): the council's item under its record of Jane despite her GP opt-out: %d …%s…", p, r.status, around21a(r.body, "COUNCIL38-NEED"))
		}
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/council-jane-dx"}},{"request":{"method":"GET","url":"Condition?patient=council-jane"}},{"request":{"method":"GET","url":"Patient/council-jane/$everything"}}]}`
	if r := e.do("POST", "/fhir", nurse, batch); strings.Contains(r.body, "COUNCIL38-NEED") {
		t.Errorf("batch GET: the council's item despite her opt-out: %d …%s…", r.status, around21a(r.body, "COUNCIL38-NEED"))
	}
}

// TestReview38cSoundCodeDenyReachesOtherRecordsSameCode: Jane denies her
// diabetes code (Consent on Patient/jane); the hospital files the same code
// under its own Patient/hosp-jane carrying her number: withheld from the
// nurse, while the hospital's other diagnosis is not.
func TestReview38cSoundCodeDenyReachesOtherRecordsSameCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "9434765919")
	e.putAll(t, hosp, [2]string{"/fhir/Condition/hosp-diab38", `{"resourceType":"Condition","id":"hosp-diab38","subject":{"reference":"Patient/hosp-jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"HOSP38-DIABETES"}}`})
	deny := janeConsent("jane-deny-diab", "2026-11-01", "OPTIN",
		`,"provision":{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}`)
	if r := e.do("PUT", "/fhir/Consent/jane-deny-diab", gp, deny); r.status != 201 {
		t.Fatalf("deny: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Condition/hosp-diab38", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything", "/fhir/Condition?code=44054006"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP38-DIABETES") {
			t.Errorf("GET %s: the hospital's record of the code Jane denied: %d …%s…", p, r.status, around21a(r.body, "HOSP38-DIABETES"))
		}
	}
	if r := e.do("GET", "/fhir/Condition?patient=hosp-jane", nurse, ""); !strings.Contains(r.body, "HOSP-FRACTURE") {
		t.Errorf("the premise: the hospital's other diagnosis is still shared: %d %.300s", r.status, r.body)
	}
}

// TestReview38cSoundStrangerWithMistypedNumberGetsNothingOfJane: another
// practice (Z99999) registers a different person under Jane's NHS number
// (a typing error). Its GP reaches none of Jane's items, nor her
// demographics, by NHS number search, chained search or her $everything.
func TestReview38cSoundStrangerWithMistypedNumberGetsNothingOfJane(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	zsys := e.token("system", "nhs", "Z99999")
	e.putAll(t, zsys,
		[2]string{"/fhir/Patient/stranger38", `{"resourceType":"Patient","id":"stranger38","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Other"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`},
		[2]string{"/fhir/Condition/stranger38-dx", `{"resourceType":"Condition","id":"stranger38-dx","subject":{"reference":"Patient/stranger38"},"code":{"text":"STRANGER38"}}`})
	zgp := e.token("gp", "nhs", "Z99999")
	for _, p := range []string{
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919",
		"/fhir/Patient?identifier=9434765919&_revinclude=Condition:subject",
		"/fhir/Condition?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919",
		"/fhir/Condition?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919",
		"/fhir/Patient/stranger38/$everything",
		"/fhir/Patient/jane/$everything",
		"/fhir/Condition/diabetes",
	} {
		r := e.do("GET", p, zgp, "")
		if strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "HOSP-ADMISSION") || strings.Contains(r.body, `"given":["Jane"]`) {
			t.Errorf("GET %s (GP of the stranger sharing Jane's number): Jane's record: %d …%s…", p, r.status, around21a(r.body, "GP-DIABETES", "HOSP-ADMISSION", "Jane"))
		}
	}
	// an item the hospital then names by the shared number alone is no one's but the hospital's
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Condition/bynum38", `{"resourceType":"Condition","id":"bynum38","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"code":{"text":"BYNUM38"}}`})
	if r := e.do("GET", "/fhir/Condition/bynum38", hosp, ""); r.status != 200 {
		t.Fatalf("the premise: the hospital reads its item: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/stranger38/$everything", zgp, ""); !strings.Contains(r.body, "STRANGER38") {
		t.Fatalf("the premise: the stranger's GP reads the stranger's record: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/bynum38", "/fhir/Patient/stranger38/$everything", "/fhir/Condition?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"} {
		if r := e.do("GET", p, zgp, ""); strings.Contains(r.body, "BYNUM38") {
			t.Errorf("GET %s: the hospital's item naming the shared number went to the stranger's GP: %d …%s…", p, r.status, around21a(r.body, "BYNUM38"))
		}
	}
}

// TestReview38cSoundConsentNamingHerByNHSNumberIsRefused: an opt-out
// naming her by NHS number alone (Consent.patient.identifier) could be
// lost once two Patients of hers carry the number (unresolved: no one's).
// It is refused (422) with one record of her and with two, nothing stored,
// so it is never silently dropped.
func TestReview38cSoundConsentNamingHerByNHSNumberIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	byNumber := strings.Replace(janeConsent("jane-optout-n38", "2026-11-01", "OPTOUT", ""),
		`"patient":{"reference":"Patient/jane"}`, `"patient":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`, 1)
	if r := e.do("PUT", "/fhir/Consent/jane-optout-n38", gp, byNumber); r.status != 422 {
		t.Errorf("opt-out by number (one record of her): %d %.300s", r.status, r.body)
	}
	seedHospitalJane(t, e, e.token("system", "nhs", "RHX"), "943 476 5919")
	if r := e.do("PUT", "/fhir/Consent/jane-optout-n38", gp, byNumber); r.status != 422 {
		t.Errorf("opt-out by number (two records of her): %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Consent/jane-optout-n38", gp, ""); r.status != 404 {
		t.Errorf("a refused Consent was stored: %d", r.status)
	}
}

// TestReview38cObjectionOnSurvivorReachesOldRecordItLinksTo: the GP
// merges a duplicate of Jane: Patient/jane (the survivor, where her
// opt-out is recorded) links `replaces` to the GP's own old record
// Patient/jane-old38 (no NHS number, not linking back), under which a
// diagnosis stays filed and the district nurses are on a care team. The
// GP wrote both records, so the link is its own word that they are one
// person.
func TestReview38cObjectionOnSurvivorReachesOldRecordItLinksTo(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/jane-old38", `{"resourceType":"Patient","id":"jane-old38","active":false,"name":[{"family":"Smith","given":["Jane"]}]}`},
		[2]string{"/fhir/Condition/jane-old38-dx", `{"resourceType":"Condition","id":"jane-old38-dx","subject":{"reference":"Patient/jane-old38"},"code":{"text":"OLD38-ASTHMA"}}`},
		[2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"gender"`, `"link":[{"other":{"reference":"Patient/jane-old38"},"type":"replaces"}],"gender"`, 1)},
		[2]string{"/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/old38-team", `{"resourceType":"CareTeam","id":"old38-team","status":"active","subject":{"reference":"Patient/jane-old38"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
		t.Fatalf("the premise: her opt-out withholds her GP diagnosis: %d", r.status)
	}
	for _, p := range readsOf38c("jane-old38") {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "OLD38-ASTHMA") {
			t.Errorf("GET %s (district nurse RCX): the diagnosis under the GP's old record of Jane, which her record replaces, despite her opt-out: %d …%s…", p, r.status, around21a(r.body, "OLD38-ASTHMA"))
		}
	}
}

// TestReview38cSoundChangedNumberKeptAsOldIdentifier: Jane's GP record
// now carries a new NHS number, her old one kept as use=old with its
// period ended; the hospital's record of her carries only the old number.
// Her opt-out on the GP record reaches the hospital's items.
func TestReview38cSoundChangedNumberKeptAsOldIdentifier(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	seedHospitalJane(t, e, e.token("system", "nhs", "RHX"), "943 476 5919")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]`,
			`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"},{"use":"old","period":{"end":"2020-01-01"},"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}]`, 1)},
		[2]string{"/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_revinclude=Condition:subject"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("GET %s: the hospital's record under her old number despite her opt-out: %d …%s…", p, r.status, around21a(r.body, "HOSP-FRACTURE"))
		}
	}
}

// TestReview38cSoundCouncilRestrictionReachesGPRecordByInclude: the
// council's own Patient of Jane is restricted (R) and carries her number
// with spaces; the GP's unlabelled Patient/jane has her address. The
// district nurse gets the GP record redacted by read, by NHS number search,
// by _include from her care team and by $everything.
func TestReview38cSoundCouncilRestrictionReachesGPRecordByInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["SECRET-ADDR 38 Council Close"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],"gender"`, 1)})
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Patient/council-r38", `{"resourceType":"Patient","id":"council-r38",` + rLabel21a + `,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Smith"}]}`})
	if r := e.do("GET", "/fhir/Patient/jane", e.token("gp", "nhs", "A81001"), ""); !leaks38c(r.body) {
		t.Fatalf("the premise: her GP's record holds her address: %d %.300s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/jane", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse reads her GP record: %d", r.status)
	}
	for _, p := range []string{"/fhir/Patient/jane", "/fhir/Patient?identifier=943%20476%205919", "/fhir/CareTeam?patient=jane&_include=CareTeam:subject",
		"/fhir/Patient/jane/$everything", "/fhir/Patient/jane/_history"} {
		if r := e.do("GET", p, nurse, ""); leaks38c(r.body) {
			t.Errorf("GET %s: her address though her council record is restricted: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview38cSoundRelationshipThroughOtherRecordOpensNothing: a
// community trust RYY on the hospital's care team for Patient/hosp-jane
// (her number) has no relationship with the GP's Patient/jane: her GP
// record stays closed by every route.
func TestReview38cSoundRelationshipThroughOtherRecordOpensNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	seedHospitalJane(t, e, hosp, "9434765919")
	e.putAll(t, hosp, [2]string{"/fhir/CareTeam/hosp-ryy38", `{"resourceType":"CareTeam","id":"hosp-ryy38","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`})
	ryy := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Condition/hosp-fracture", ryy, ""); r.status != 200 {
		t.Fatalf("the premise: RYY reads the hospital's record of her: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything",
		"/fhir/Patient?identifier=9434765919&_revinclude=Condition:subject", "/fhir/Condition?patient.identifier=9434765919", "/fhir/Patient/jane"} {
		if r := e.do("GET", p, ryy, ""); strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, `"id":"jane"`) {
			t.Errorf("GET %s (RYY, related to hosp-jane only): her GP record: %d …%s…", p, r.status, around21a(r.body, "GP-DIABETES", `"id":"jane"`))
		}
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},{"request":{"method":"GET","url":"Patient/jane/$everything"}}]}`
	if r := e.do("POST", "/fhir", ryy, batch); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("batch GET (RYY): her GP record: %d", r.status)
	}
}

// TestReview38cObjectionReachesItemNamingHerByNumberBesideReference: the
// hospital files a diagnosis under its own Patient/hosp-nn38 (carrying no
// NHS number: not yet traced) with the subject also giving Jane's NHS
// number beside the reference, as feeds send it. The item says by its own
// subject that it is about the person with Jane's number; her opt-out on
// her GP record should withhold it from the district nurse.
func TestReview38cObjectionReachesItemNamingHerByNumberBesideReference(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	hospPatient38c(t, e, "hosp-nn38", "")
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Condition/hosp-nn38-both", `{"resourceType":"Condition","id":"hosp-nn38-both","subject":{"reference":"Patient/hosp-nn38","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}},"code":{"text":"HOSP38-BOTH"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Condition/hosp-nn38-both", "/fhir/Condition?patient=hosp-nn38", "/fhir/Patient/hosp-nn38/$everything",
		"/fhir/Condition?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP38-BOTH") {
			t.Errorf("GET %s (district nurse RCX): an item whose subject gives Jane's NHS number, despite her opt-out: %d …%s…", p, r.status, around21a(r.body, "HOSP38-BOTH"))
		}
	}
}
