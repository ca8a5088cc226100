package api_test

// Review 55a: re-read of 0f92069 (a Consent's clinical codes masked to all
// but its recorder; the join limits taken as restricted; every /_history/
// segment dropped from fullUrls and references), regressions only.

import (
	"strings"
	"testing"
)

// r55aConsent stores, as the GP's system, Consent/c for Jane: a deny to
// the council of the coded data in cc (a CodeableConcept list).
func r55aConsent(t *testing.T, e *env, cc string) int {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+cc+`}`))
	if r.status != 201 && r.status != 200 {
		t.Logf("consent refused: %d %s", r.status, r51cSnippet(r.body, ""))
	}
	return r.status
}

// TestReview55aConsentDenyCodeOtherFormsNamedToCouncil: Jane withholds her
// diabetes from the council. The deny is written in a code form the
// consent engine applies (the social worker no longer reads the
// diagnosis), but which 0f92069's clinicalCoding does not count as
// clinical: a systemless concept id with its term ("44054006 |term|",
// read by the engine as 44054006, any system); a systemless ICD-10 code
// (E11.9 matches the hospital's ICD-10 E119 diagnosis); a GP system's
// local code (system https://gp-local.example/codes). At 0f92069^ the
// withholding provision's codes were masked to the user they withhold
// from, whatever their form (WithheldCodePaths); now the code, and its
// display, go out to the council's social worker as written (review 51c's
// finding).
func TestReview55aConsentDenyCodeOtherFormsNamedToCouncil(t *testing.T) {
	cases := []struct {
		name, item, cc, marker string
	}{
		{"systemless concept id with term", "/fhir/Condition/diabetes",
			`[{"coding":[{"code":"44054006 |R55A-TERM-DIABETES|"}]}]`, "R55A-TERM-DIABETES"},
		{"systemless ICD-10", "/fhir/Condition/r55a-icd",
			`[{"coding":[{"code":"E11.9","display":"R55A-ICD-NOSYS"}]}]`, "R55A-ICD-NOSYS"},
		{"SNOMED id, system carried only as _system", "/fhir/Condition/diabetes",
			`[{"coding":[{"_system":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},"code":"44054006","display":"R55A-USYS-DIABETES"}]}]`, "R55A-USYS-DIABETES"},
		{"local code system", "/fhir/Condition/r55a-local",
			`[{"coding":[{"system":"https://gp-local.example/codes","code":"DMR55A","display":"R55A-LOCAL-DIABETES"}]}]`, "R55A-LOCAL-DIABETES"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			hosp := e.token("system", "nhs", "RHX")
			e.putAll(t, hosp, [2]string{"/fhir/Condition/r55a-icd", `{"resourceType":"Condition","id":"r55a-icd","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-uk","code":"E119"}],"text":"HOSP-ICD-DX"}}`})
			e.putAll(t, gpSys, [2]string{"/fhir/Condition/r55a-local", `{"resourceType":"Condition","id":"r55a-local","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"https://gp-local.example/codes","code":"DMR55A"}],"text":"GP-LOCAL-DX"}}`})
			sw := e.token("social-worker", "council", "E06000999")
			if r := e.do("GET", c.item, sw, ""); r.status != 200 {
				t.Fatalf("premise: without the deny the social worker reads %s: %d", c.item, r.status)
			}
			if st := r55aConsent(t, e, c.cc); st != 201 && st != 200 {
				t.Skip("form refused on write")
			}
			applied := e.do("GET", c.item, sw, "").status == 404
			t.Logf("deny applied (social worker 404 on %s): %v", c.item, applied)
			for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
				r := e.do("GET", path, sw, "")
				if strings.Contains(r.body, c.marker) {
					t.Errorf("GET %s as the council social worker (deny applied: %v): %d names the code withheld from her: %s", path, applied, r.status, r51cSnippet(r.body, c.marker))
				}
			}
			ig := e.do("GET", "/fhir/Consent/c", e.token("ig-officer", "council", "E06000999"), "")
			if strings.Contains(ig.body, c.marker) {
				t.Errorf("GET Consent/c as the council's IG officer: %d names the code: %s", ig.status, r51cSnippet(ig.body, c.marker))
			}
			if g := e.do("GET", "/fhir/Consent/c", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(g.body, c.marker) {
				t.Errorf("the recording organisation's GP does not see the code: %d %s", g.status, r51cSnippet(g.body, ""))
			}
		})
	}
}

// TestReview55aSoundNonClinicalCodesReadable: scope, policyRule,
// category, provision action, purpose, actor role and class stay readable
// to the social worker and the council's IG officer while the SNOMED CT
// code is masked; the recorder's GP reads the code.
func TestReview55aSoundNonClinicalCodesReadable(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	prov := `{"type":"deny","action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"access"}]}],
	  "purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}],
	  "actor":[` + r51cCouncilIRCP + `],"class":[{"system":"https://carex.example/data-class","code":"problems"}],
	  "code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R55A-SCT-DISPLAY"}]}]}`
	r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", "OPTIN", `,"provision":`+prov))
	if r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{
		{"social worker", e.token("social-worker", "council", "E06000999")},
		{"council IG officer", e.token("ig-officer", "council", "E06000999")},
		{"hospital clinician", e.token("hospital-clinician", "nhs", "RHX")},
	} {
		g := e.do("GET", "/fhir/Consent/c", who.tok, "")
		if g.status != 200 {
			t.Logf("%s: %d", who.name, g.status)
			continue
		}
		for _, want := range []string{"patient-privacy", `"OPTIN"`, `"59284-0"`, `"access"`, `"TREAT"`, `"IRCP"`, `"problems"`, "Organization/E06000999"} {
			if !strings.Contains(g.body, want) {
				t.Errorf("%s: %s not readable: %s", who.name, want, g.body)
			}
		}
		if strings.Contains(g.body, "R55A-SCT-DISPLAY") || strings.Contains(g.body, "44054006") {
			t.Errorf("%s: SNOMED code released: %s", who.name, r51cSnippet(g.body, "44054006"))
		}
	}
	if g := e.do("GET", "/fhir/Consent/c", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(g.body, "R55A-SCT-DISPLAY") {
		t.Errorf("recorder's GP: %d %s", g.status, g.body)
	}
}

// TestReview55aSoundRecorderAndRoundTrip: the recorder is the organisation
// whose user or system wrote the Consent. A hospital clinician records a
// deny naming a code: the hospital reads it, the GP does not. Naming
// another organisation in Consent.organization or meta.source does not
// make it the recorder. The masked Consent written back by a reader who
// is not its recorder is refused and the stored codes stay.
func TestReview55aSoundRecorderAndRoundTrip(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospU := e.token("hospital-clinician", "nhs", "RHX")
	body := strings.Replace(janeConsent("h1", "2026-01-11", "OPTIN",
		`,"organization":[{"reference":"Organization/A81001"}],"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"73211009","display":"R55A-H1-CODE"}]}]}`),
		`"status":"active",`, `"status":"active","meta":{"source":"https://A81001.example/gp"},`, 1)
	if r := e.do("PUT", "/fhir/Consent/h1", hospU, body); r.status != 201 {
		t.Fatalf("hospital consent: %d %s", r.status, r.body)
	}
	if g := e.do("GET", "/fhir/Consent/h1", hospU, ""); !strings.Contains(g.body, "R55A-H1-CODE") {
		t.Errorf("the recorder (hospital) does not read its code: %d %s", g.status, g.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	g := e.do("GET", "/fhir/Consent/h1", gp, "")
	if strings.Contains(g.body, "R55A-H1-CODE") {
		t.Errorf("the GP named in Consent.organization/meta.source reads the hospital's code: %d %s", g.status, r51cSnippet(g.body, "R55A-H1-CODE"))
	}
	// round trip by the GP (not the recorder) and by the GP's system
	if g.status == 200 {
		for _, tok := range []string{gp, e.token("system", "nhs", "A81001")} {
			w := e.do("PUT", "/fhir/Consent/h1", tok, g.body)
			t.Logf("GP writes back the masked Consent: %d %.200s", w.status, w.body)
			if w.status == 200 || w.status == 201 {
				t.Errorf("masked Consent written back by a non-recorder: %d", w.status)
			}
		}
	}
	if g := e.do("GET", "/fhir/Consent/h1", hospU, ""); !strings.Contains(g.body, "R55A-H1-CODE") {
		t.Errorf("after the write-back the recorder's code is lost: %s", g.body)
	}
	// a masked round trip by the recorder's own system after a colleague's
	// masked copy: the hospital system reads unmasked and writes back fine
	hs := e.token("system", "nhs", "RHX")
	h := e.do("GET", "/fhir/Consent/h1", hs, "")
	if w := e.do("PUT", "/fhir/Consent/h1", hs, h.body); w.status != 200 {
		t.Errorf("recorder's system round trip: %d %.300s", w.status, w.body)
	}
	if g := e.do("GET", "/fhir/Consent/h1", hospU, ""); !strings.Contains(g.body, "R55A-H1-CODE") {
		t.Errorf("after the recorder's round trip the code is lost: %s", g.body)
	}
}

// TestReview55aSoundMaskedInWriteResponses: transaction/batch responses
// with Prefer: return=representation, conditional create and a batch
// read of the GP's Consent by the council system and the social worker.
func TestReview55aSoundMaskedInWriteResponses(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	if st := r55aConsent(t, e, `[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R55A-W-DISPLAY"}]}]`); st != 201 {
		t.Fatalf("consent %d", st)
	}
	for _, tok := range []string{e.token("system", "council", "E06000999"), e.token("social-worker", "council", "E06000999"), e.token("ig-officer", "nhs", "RCX")} {
		tx := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Consent/c/_history/1"}},{"request":{"method":"GET","url":"Consent?_id=c&_revinclude=Provenance:target"}},{"request":{"method":"GET","url":"Patient/jane/$everything"}}]}`
		r := e.do("POST", "/fhir", tok, tx, "Prefer", "return=representation")
		if strings.Contains(r.body, "R55A-W-DISPLAY") || strings.Contains(r.body, "44054006") {
			t.Errorf("batch: %d %s", r.status, r51cSnippet(r.body, "44054006"))
		}
		r = e.do("GET", "/fhir/Consent?patient=jane&_summary=true", tok, "")
		if strings.Contains(r.body, "44054006") {
			t.Errorf("_summary=true: %s", r51cSnippet(r.body, "44054006"))
		}
		r = e.do("GET", "/fhir/Consent?patient=jane&_elements=provision.code", tok, "")
		if strings.Contains(r.body, "44054006") {
			t.Errorf("_elements: %s", r51cSnippet(r.body, "44054006"))
		}
	}
}

// TestReview55aSoundHonestPersonAddressShared: Jane (address on her GP
// record) with the hospital's record carrying her number and an old,
// superseded one and the council's record under the old number: not taken
// as restricted; the nurse on her team reads her address, her GP too.
func TestReview55aSoundHonestPersonAddressShared(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	withAddr := strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["R55A-ADDR 1 Honest Lane"],"postalCode":"LS1 1AA"}],"gender"`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/jane", withAddr})
	old := validNHS53b(2)[0]
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Patient/hj55a", patient53b("hj55a", nhsIDs54b("9434765919", old))})
	e.putAll(t, e.token("system", "council", "E06000999"), [2]string{"/fhir/Patient/cj55a", patient53b("cj55a", nhsIDs54b(old))})
	for _, who := range []struct{ name, tok string }{
		{"district nurse", e.token("district-nurse", "nhs", "RCX")},
		{"social worker", e.token("social-worker", "council", "E06000999")},
		{"GP (source)", e.token("gp", "nhs", "A81001")},
	} {
		for _, path := range []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, who.tok, "")
			if !strings.Contains(r.body, "R55A-ADDR") {
				t.Errorf("%s GET %s: address not shared: %d %.300s", who.name, path, r.status, r.body)
			}
		}
	}
}

// TestReview55aSoundTxVersionedRefToStored: a transaction's versioned
// reference to a stored resource, and an absolute reference to another
// server's versioned resource, are stored as written (the original JSON
// kept); a versioned urn:uuid reference resolves to the entry.
func TestReview55aSoundTxVersionedRefToStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	u := "urn:uuid:55a00000-0000-4000-8000-000000000001"
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + u + `","resource":{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}},"request":{"method":"POST","url":"Encounter"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"R55A-TX"},"subject":{"reference":"Patient/jane/_history/1"},"encounter":{"reference":"` + u + `/_history/1"},
   "basedOn":[{"reference":"http://other.example/fhir/ServiceRequest/sr1/_history/3"}]},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Fatalf("tx: %d %s", r.status, r.body)
	}
	oids := r54aLocations(r.body, "Observation")
	eids := r54aLocations(r.body, "Encounter")
	if len(oids) != 1 || len(eids) != 1 {
		t.Fatalf("locations %v %v", oids, eids)
	}
	o := e.do("GET", "/fhir/Observation/"+oids[0], hosp, "")
	t.Logf("stored: %s", o.body)
	for _, want := range []string{`"Patient/jane/_history/1"`, `"http://other.example/fhir/ServiceRequest/sr1/_history/3"`, `"Encounter/` + eids[0]} {
		if !strings.Contains(o.body, want) {
			t.Errorf("stored Observation lacks %s: %s", want, o.body)
		}
	}
	if strings.Contains(o.body, "urn:uuid") {
		t.Errorf("urn:uuid reference unresolved: %s", o.body)
	}
}

// TestReview55aConsentConceptIDInExtensionPrimitive: README: a Consent's
// clinical codes, "a concept id with no system, anywhere in it but its
// narrative and attachments ... an extension", go out masked to all but
// its recorder. The GP's Consent withholding diabetes from the council
// carries the concept in an extension as a valueCode, a valueUri (the
// SNOMED CT concept URI http://snomed.info/id/44054006) or a
// valueIdentifier; clinicalCoding reads only Coding-shaped objects, so
// these go out as written to the social worker and the council's IG
// officer (a valueCoding or valueCodeableConcept, review 54c, is masked).
func TestReview55aConsentConceptIDInExtensionPrimitive(t *testing.T) {
	prov := `,"provision":{"type":"deny","actor":[` + r51cCouncilIRCP + `],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}`
	for name, ext := range map[string]string{
		"valueCode":       `{"url":"https://example.org/withheld-concept","valueCode":"44054006"}`,
		"valueUri":        `{"url":"https://example.org/withheld-concept","valueUri":"http://snomed.info/id/44054006"}`,
		"valueIdentifier": `{"url":"https://example.org/withheld-concept","valueIdentifier":{"system":"http://snomed.info/sct","value":"44054006"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			body := strings.Replace(janeConsent("c", "2026-01-10", "OPTIN", prov), `"status":"active",`, `"status":"active","extension":[`+ext+`],`, 1)
			r := e.do("PUT", "/fhir/Consent/c", gpSys, body)
			if r.status != 201 {
				t.Skipf("refused: %d %s", r.status, r51cSnippet(r.body, ""))
			}
			for _, who := range []struct{ name, tok string }{
				{"council social worker", e.token("social-worker", "council", "E06000999")},
				{"council IG officer", e.token("ig-officer", "council", "E06000999")},
			} {
				g := e.do("GET", "/fhir/Consent/c", who.tok, "")
				if strings.Contains(g.body, "44054006") {
					t.Errorf("GET Consent/c as %s: %d, the extension names the withheld concept: %s", who.name, g.status, r51cSnippet(g.body, "44054006"))
				}
			}
		})
	}
}

// TestReview55aRecorderIGOfficerSeesConsentCodes: SPEC §1/§5: the IG
// officer "sees the access log and consent records, never clinical
// content". masksConsentCodes exempts every user of the recording
// organisation, so the GP practice's own IG officer reads the SNOMED CT
// code and its display in the GP's Consent (the council's IG officer does
// not). Not a change of 0f92069 (at 0f92069^ it was shown too); the
// README's "to everyone but the Consent's recording organisation, IG
// officers included" leaves the recorder's own IG officer ambiguous.
func TestReview55aRecorderIGOfficerSeesConsentCodes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	if st := r55aConsent(t, e, `[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R55A-IG-DISPLAY"}]}]`); st != 201 {
		t.Fatalf("consent %d", st)
	}
	if g := e.do("GET", "/fhir/Consent/c", e.token("ig-officer", "council", "E06000999"), ""); strings.Contains(g.body, "R55A-IG-DISPLAY") {
		t.Errorf("council IG officer reads the code: %d", g.status)
	}
	g := e.do("GET", "/fhir/Consent/c", e.token("ig-officer", "nhs", "A81001"), "")
	if strings.Contains(g.body, "R55A-IG-DISPLAY") {
		t.Errorf("GET Consent/c as the GP practice's IG officer (A81001): %d names the clinical code: %s", g.status, r51cSnippet(g.body, "R55A-IG-DISPLAY"))
	}
	if c := e.do("GET", "/fhir/Condition/diabetes", e.token("ig-officer", "nhs", "A81001"), ""); c.status == 200 {
		t.Logf("(the same IG officer reads the Condition: %d)", c.status)
	}
}
