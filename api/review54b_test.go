package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 54b: re-read of 878ee25's other parts (person's walk capped at 12
// distinct NHS numbers; a stored Medication's code and ingredients as the
// prescription's main codes; codingShaped), regressions only.

func nhsIDs54b(nums ...string) string {
	var ids []string
	for _, n := range nums {
		ids = append(ids, `{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+n+`"}`)
	}
	return `"identifier":[` + strings.Join(ids, ",") + `],`
}

// TestReview54bSoundHonestPeopleShared: Jane's GP record (9434765919), the
// hospital's record of her carrying that number and her old, superseded
// number, the council's record under the old number alone (an episode of
// care with the council), and a second person with 3 numbers over 5
// records: each is shared normally (not kept to the sources).
func TestReview54bSoundHonestPeopleShared(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nums := validNHS53b(4)
	old := nums[0]
	hosp := e.token("system", "nhs", "RHX")
	council := e.token("system", "council", "E06000999")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/hj54b", patient53b("hj54b", nhsIDs54b("9434765919", old))})
	e.putAll(t, council, [2]string{"/fhir/Patient/cj54b", patient53b("cj54b", nhsIDs54b(old))})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("Jane (GP + hospital + council records, current and old number): the nurse on her team: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("Jane $everything: %d %.200s", r.status, r.body)
	}
	// A person with 3 numbers over 5 records.
	p := nums[1:4]
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/q0-54b", patient53b("q0-54b", nhsIDs54b(p[0]))},
		[2]string{"/fhir/CareTeam/q0-team54b", `{"resourceType":"CareTeam","id":"q0-team54b","status":"active","subject":{"reference":"Patient/q0-54b"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/Condition/q0-dx54b", `{"resourceType":"Condition","id":"q0-dx54b","subject":{"reference":"Patient/q0-54b"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"95344007"}],"text":"Q0-DX-54B"}}`},
		[2]string{"/fhir/Patient/q1-54b", patient53b("q1-54b", nhsIDs54b(p[0], p[1]))},
		[2]string{"/fhir/Patient/q2-54b", patient53b("q2-54b", nhsIDs54b(p[1], p[2]))},
		[2]string{"/fhir/Patient/q3-54b", patient53b("q3-54b", nhsIDs54b(p[2])+link53b("q0-54b", "seealso"))},
		[2]string{"/fhir/Patient/q4-54b", patient53b("q4-54b", nhsIDs54b(p[0], p[1], p[2]))},
	)
	if r := e.do("GET", "/fhir/Condition/q0-dx54b", nurse, ""); r.status != 200 || !strings.Contains(r.body, "Q0-DX-54B") {
		t.Errorf("3 numbers over 5 records: the nurse on the team: %d %.200s", r.status, r.body)
	}
	// premise: an opt-out on q2 (two hops by number) reaches q0.
	c := strings.Replace(janeConsent("q2-optout54b", "2026-11-01", "OPTOUT", ""), "Patient/jane", "Patient/q2-54b", 1)
	e.putAll(t, hosp, [2]string{"/fhir/Consent/q2-optout54b", c})
	if r := e.do("GET", "/fhir/Condition/q0-dx54b", nurse, ""); strings.Contains(r.body, "Q0-DX-54B") {
		t.Errorf("an opt-out on q2 does not reach q0: %d", r.status)
	}
}

// TestReview54bRestrictionPastNumberCapBreakGlass: c0 (the hospital's
// record, her address, RCX on her team) ← c1 (the hospital's merged
// duplicate, linking seealso to c0) ← r (restricted, R, linking to c1).
// Within the walk, break-glass by the nurse on c0 does not release her
// address (premise). Then anyone who writes a Patient links one to c0
// carrying 13 valid NHS numbers (none anyone's): the walk stops at the
// 13th number (878ee25: maxJoinedNumbers), before c1's linkers are read,
// and the person is kept to the sources as under an opt-out, which
// break-glass overrides, while the restriction was never seen. SPEC §5: a
// restricted patient "never has address, telephone or GP released outside
// the source organisation". (Review 18c set restricted with unread for
// this reason; the new cap sets unread only.)
func TestReview54bRestrictionPastNumberCapBreakGlass(t *testing.T) {
	for _, advID := range []string{"a0-adv54b", "zz-adv54b"} {
		t.Run(advID, func(t *testing.T) {
			e := newEnv(t, withAccessLog(t, nil))
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			e.putAll(t, hosp,
				[2]string{"/fhir/Patient/c0-54b", patient53b("c0-54b", `"address":[{"line":["SECRET-ADDR 54 Refuge Row"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}],`)},
				[2]string{"/fhir/CareTeam/c0-team54b", `{"resourceType":"CareTeam","id":"c0-team54b","status":"active","subject":{"reference":"Patient/c0-54b"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
				[2]string{"/fhir/Condition/c0-dx54b", `{"resourceType":"Condition","id":"c0-dx54b","subject":{"reference":"Patient/c0-54b"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"95344007"}],"text":"C0-DX-54B"}}`},
				// c1 carries N; r (restricted) carries N too: reached by number, two hops from c0
				[2]string{"/fhir/Patient/c1-54b", patient53b("c1-54b", nhsIDs54b(validNHS53b(20)[19])+link53b("c0-54b", "seealso"))},
				[2]string{"/fhir/Patient/r-54b", patient53b("r-54b", rLabel21a+","+nhsIDs54b(validNHS53b(20)[19]))},
			)
			nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "n54b" })
			// (the premise by another nurse: a break-glass read grants its user hours on the person)
			other := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "n54b-premise" })
			if r := e.do("GET", "/fhir/Patient/c0-54b", other, "", bg53b...); leaks38c(r.body) {
				t.Fatalf("premise: within the walk, break-glass releases the restricted person's address: %d", r.status)
			}
			adv := e.token("system", "council", "E06000999")
			e.putAll(t, adv, [2]string{"/fhir/Patient/" + advID, patient53b(advID, nhsIDs54b(validNHS53b(13)...)+link53b("c0-54b", "seealso"))})
			for _, p := range []string{"/fhir/Patient/c0-54b", "/fhir/Patient/c0-54b/$everything"} {
				r := e.do("GET", p, nurse, "", bg53b...)
				if leaks38c(r.body) {
					t.Errorf("GET %s (district nurse RCX, break-glass, after %s links to c0 with 13 NHS numbers): restricted person's address/phone released: %d …%s…", p, advID, r.status, around21a(r.body, "SECRET-ADDR", "01134960999"))
				}
			}
			// fails closed without break-glass: kept to the sources
			third := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "n54b-third" })
			if r := e.do("GET", "/fhir/Condition/c0-dx54b", third, ""); r.status != 404 {
				t.Errorf("premise: past the cap, without break-glass, the person is not kept to the sources: %d", r.status)
			}
			if r := e.do("GET", "/fhir/Patient/c0-54b", third, ""); leaks38c(r.body) {
				t.Errorf("without break-glass: address released: %d", r.status)
			}
		})
	}
}

// TestReview54bSoundTwelveNumbersShared: a person whose records carry 12
// distinct numbers is still shared; the 13th keeps her to the sources
// (fails closed), and her source still reads.
func TestReview54bSoundTwelveNumbersShared(t *testing.T) {
	for _, n := range []int{12, 13} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			e.putAll(t, hosp,
				[2]string{"/fhir/Patient/m0-54b", patient53b("m0-54b", nhsIDs54b(validNHS53b(n)...))},
				[2]string{"/fhir/CareTeam/m0-team54b", `{"resourceType":"CareTeam","id":"m0-team54b","status":"active","subject":{"reference":"Patient/m0-54b"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
				[2]string{"/fhir/Condition/m0-dx54b", `{"resourceType":"Condition","id":"m0-dx54b","subject":{"reference":"Patient/m0-54b"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"95344007"}],"text":"M0-DX-54B"}}`},
			)
			r := e.do("GET", "/fhir/Condition/m0-dx54b", e.token("district-nurse", "nhs", "RCX"), "")
			if n == 12 && r.status != 200 {
				t.Errorf("12 numbers: not shared: %d", r.status)
			}
			if n == 13 && strings.Contains(r.body, "M0-DX-54B") {
				t.Errorf("13 numbers: past the cap, shared: %d", r.status)
			}
			if r := e.do("GET", "/fhir/Condition/m0-dx54b", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
				t.Errorf("the source: %d", r.status)
			}
		})
	}
}

// TestReview54bSoundSystemlessCodingWithSystemExtension (passes: still withheld): a concept id with no
// system is labelled as SNOMED CT would label it (4ae7683). 878ee25 reads
// such a code only from an object whose keys are a Coding's
// (codingShaped), trimming a leading "_" — but "_system" (the system
// element carrying only an extension, e.g. data-absent-reason, valid
// FHIR JSON with no "system") is not in its list, so the HIV code in such
// a Coding is no longer read: the Encounter goes unlabelled to the nurse.
// The control (the same Coding without "_system") is withheld.
func TestReview54bSoundSystemlessCodingWithSystemExtension(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	enc := func(id, coding string) string {
		return `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
			"extension":[{"url":"https://example.org/fhir/StructureDefinition/indication","valueCodeableConcept":{"coding":[` + coding + `]}}],"serviceType":{"text":"` + strings.ToUpper(id) + `"}}`
	}
	dar := `{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}`
	cases := []struct{ id, coding string }{
		{"enc-plain54b", `{"code":"86406008","display":"HIV"}`},
		{"enc-usys54b", `{"_system":` + dar + `,"code":"86406008","display":"HIV"}`},
		{"enc-usys2-54b", `{"_system":` + dar + `,"code":"86406008"}`},
		{"enc-ucode54b", `{"code":"86406008","_code":` + dar + `}`},
		{"enc-id54b", `{"id":"c1","code":"86406008","userSelected":true}`},
	}
	for _, c := range cases {
		r := e.do("PUT", "/fhir/Encounter/"+c.id, gpSys, enc(c.id, c.coding))
		if r.status != 201 {
			t.Errorf("%s: write: %d %.300s", c.id, r.status, r.body)
			continue
		}
		if r := e.do("GET", "/fhir/Encounter/"+c.id, nurse, ""); r.status != 404 {
			t.Errorf("%s: an Encounter whose coding (no system) is HIV's concept id goes to the nurse: %d %.200s", c.id, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Encounter?patient=jane", nurse, "")
	for _, c := range cases {
		if strings.Contains(r.body, `"id":"`+c.id+`"`) {
			t.Errorf("search: the nurse finds %s", c.id)
		}
	}
}

// TestReview54bSoundMedicationCodes: Jane denies a drug by code (a
// stored, a contained and a same-transaction Medication naming it by code
// or by ingredient): each prescription withheld from RCX's GP; a permit
// by the drug's code (under a deny of everything) releases the
// prescriptions that are that drug (code or ingredient), not those whose
// Medication mentions it in an extension; an HIV code in a stored
// Medication's extension still labels the prescription.
func TestReview54bSoundMedicationCodes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	rcx := e.token("gp", "nhs", "RCX")
	drug := `{"system":"http://snomed.info/sct","code":"321949006"}`
	cc := `{"coding":[` + drug + `],"text":"R54B-DRUG"}`
	other := `{"coding":[{"system":"http://snomed.info/sct","code":"322236009"}],"text":"R54B-OTHER"}`
	ext := `"extension":[{"url":"https://example.org/fhir/StructureDefinition/x","valueCodeableConcept":{"coding":[` + drug + `]}}]`
	e.putAll(t, gpSys,
		[2]string{"/fhir/Medication/m54b-code", `{"resourceType":"Medication","id":"m54b-code","code":` + cc + `}`},
		[2]string{"/fhir/Medication/m54b-ingr", `{"resourceType":"Medication","id":"m54b-ingr","code":` + other + `,"ingredient":[{"itemCodeableConcept":` + cc + `}]}`},
		[2]string{"/fhir/Medication/m54b-ext", `{"resourceType":"Medication","id":"m54b-ext",` + ext + `,"code":` + other + `}`},
		[2]string{"/fhir/Medication/m54b-hivext", `{"resourceType":"Medication","id":"m54b-hivext","extension":[{"url":"https://example.org/x","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}],"code":` + other + `}`},
	)
	subj := `"subject":{"reference":"Patient/jane"}`
	mr := func(id, rest string) string {
		return `{"resourceType":"MedicationRequest","id":"` + id + `","status":"active","intent":"order",` + subj + `,` + rest + `}`
	}
	is := map[string]string{
		"mr54b-s-code": mr("mr54b-s-code", `"medicationReference":{"reference":"Medication/m54b-code"}`),
		"mr54b-s-ingr": mr("mr54b-s-ingr", `"medicationReference":{"reference":"Medication/m54b-ingr"}`),
		"mr54b-c-code": mr("mr54b-c-code", `"contained":[{"resourceType":"Medication","id":"m","code":`+cc+`}],"medicationReference":{"reference":"#m"}`),
		"mr54b-c-ingr": mr("mr54b-c-ingr", `"contained":[{"resourceType":"Medication","id":"m","code":`+other+`,"ingredient":[{"itemCodeableConcept":`+cc+`}]}],"medicationReference":{"reference":"#m"}`),
	}
	mentions := map[string]string{
		"mr54b-s-ext": mr("mr54b-s-ext", `"medicationReference":{"reference":"Medication/m54b-ext"}`),
		"mr54b-c-ext": mr("mr54b-c-ext", `"contained":[{"resourceType":"Medication","id":"m",`+ext+`,"code":`+other+`}],"medicationReference":{"reference":"#m"}`),
	}
	for id, b := range is {
		e.putAll(t, gpSys, [2]string{"/fhir/MedicationRequest/" + id, b})
	}
	for id, b := range mentions {
		e.putAll(t, gpSys, [2]string{"/fhir/MedicationRequest/" + id, b})
	}
	e.putAll(t, gpSys, [2]string{"/fhir/MedicationRequest/mr54b-hiv", mr("mr54b-hiv", `"medicationReference":{"reference":"Medication/m54b-hivext"}`)})
	// same transaction
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111154","resource":{"resourceType":"Medication","code":` + other + `,"ingredient":[{"itemCodeableConcept":` + cc + `}]},"request":{"method":"POST","url":"Medication"}},
	 {"fullUrl":"urn:uuid:22222222-2222-4222-8222-222222222254","resource":{"resourceType":"MedicationRequest","id":"mr54b-t-ingr","status":"active","intent":"order",` + subj + `,"medicationReference":{"reference":"urn:uuid:11111111-1111-4111-8111-111111111154"}},"request":{"method":"PUT","url":"MedicationRequest/mr54b-t-ingr"}},
	 {"fullUrl":"urn:uuid:33333333-3333-4333-8333-333333333354","resource":{"resourceType":"Medication",` + ext + `,"code":` + other + `},"request":{"method":"POST","url":"Medication"}},
	 {"fullUrl":"urn:uuid:44444444-4444-4444-8444-444444444454","resource":{"resourceType":"MedicationRequest","id":"mr54b-t-ext","status":"active","intent":"order",` + subj + `,"medicationReference":{"reference":"urn:uuid:33333333-3333-4333-8333-333333333354"}},"request":{"method":"PUT","url":"MedicationRequest/mr54b-t-ext"}}]}`
	if r := e.do("POST", "/fhir", gpSys, tx); r.status != 200 {
		t.Fatalf("transaction: %d %.400s", r.status, r.body)
	}
	is["mr54b-t-ingr"] = ""
	mentions["mr54b-t-ext"] = ""
	// premise: without consent the prescriptions go to RCX's GP (all but HIV-labelled)
	for id := range is {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, rcx, ""); r.status != 200 {
			t.Errorf("premise %s: %d", id, r.status)
		}
	}
	if r := e.do("GET", "/fhir/MedicationRequest/mr54b-hiv", rcx, ""); r.status != 404 {
		t.Errorf("a prescription whose stored Medication's extension codes HIV goes out unlabelled: %d", r.status)
	}
	// deny by the drug's code
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/r54b-deny", janeConsent("r54b-deny", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","code":[{"coding":[`+drug+`]}]}`)})
	for id := range is {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, rcx, ""); r.status != 404 {
			t.Errorf("deny by drug code: %s released: %d", id, r.status)
		}
	}
	for id := range mentions {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, rcx, ""); r.status != 404 {
			t.Errorf("deny by drug code: %s (mentions it) released: %d", id, r.status)
		}
	}
	// permit the drug only
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/r54b-deny", janeConsent("r54b-deny", "2026-01-11", "OPTIN",
		`,"provision":{"type":"deny","provision":[{"type":"permit","code":[{"coding":[`+drug+`]}]}]}`)})
	for id := range is {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, rcx, ""); r.status != 200 {
			t.Errorf("permit by drug code: %s (is the drug) withheld: %d", id, r.status)
		}
	}
	for id := range mentions {
		if r := e.do("GET", "/fhir/MedicationRequest/"+id, rcx, ""); r.status != 404 {
			t.Errorf("permit by drug code: %s (only mentions it) released: %d", id, r.status)
		}
	}
}
