package api_test

// Review 54c: a Consent's withheld codes (review 51c's fix). Every route a
// council social worker or a district nurse could still learn a code a
// Consent withholds from them.

import (
	"encoding/base64"
	"strings"
	"testing"
)

const (
	r54cCode    = "44054006"
	r54cDisplay = "R54C-TYPE-2-DIABETES"
	r54cNurseRC = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}`
	r54cHospRC  = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}`
	r54cCodeCC  = `[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R54C-TYPE-2-DIABETES"}]}]`
)

func r54cLeaks(body string) bool {
	// (the display is the Consent's alone: the Condition's code carries none)
	return strings.Contains(body, r54cDisplay)
}

// r54cSetup: Jane's shared record and Consent c with provision prov.
func r54cSetup(t *testing.T, rule, prov string) *env {
	t.Helper()
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", rule, `,"provision":`+prov))
	if r.status != 201 && r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	return e
}

// r54cRoutes: the routes by which a reader can come to Consent/c.
var r54cRoutes = []string{
	"/fhir/Consent/c",
	"/fhir/Consent/c/_history/1",
	"/fhir/Consent/c/_history",
	"/fhir/Consent/_history",
	"/fhir/_history",
	"/fhir/Consent?patient=jane",
	"/fhir/Consent?patient=jane&_elements=provision",
	"/fhir/Consent?patient=jane&_summary=data",
	"/fhir/Consent?patient=jane&_sort=-date",
	"/fhir/Consent?_id=c&_include=Consent:patient",
	"/fhir/Patient?_id=jane&_revinclude=Consent:patient",
	"/fhir/Patient/jane/$everything",
	"/fhir/Consent/c?_format=xml",
	"/fhir/Consent?patient=jane&_format=xml",
}

func r54cCheckRoutes(t *testing.T, e *env, who, tok string) {
	t.Helper()
	seen := 0
	for _, path := range r54cRoutes {
		r := e.do("GET", path, tok, "")
		if r.status == 200 && strings.Contains(r.body, `"Consent"`) || strings.Contains(r.body, "<Consent") {
			seen++
		}
		if r54cLeaks(r.body) {
			t.Errorf("GET %s as %s: %d names the withheld code: %s", path, who, r.status, r51cSnippet(r.body, r54cDisplay))
		}
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Consent/c"}},{"request":{"method":"GET","url":"Consent?patient=jane"}},{"request":{"method":"GET","url":"Consent/c/_history/1"}}]}`
	r := e.do("POST", "/fhir", tok, batch)
	if r54cLeaks(r.body) {
		t.Errorf("batch GET as %s: %d names the withheld code: %s", who, r.status, r51cSnippet(r.body, r54cDisplay))
	}
	if seen == 0 {
		t.Errorf("%s saw the Consent by no route (test shows nothing)", who)
	}
}

// TestReview54cSoundRoutesDenyToCouncil: a deny of the code to the
// council, checked over every read route for the social worker.
func TestReview54cSoundRoutesDenyToCouncil(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	r54cCheckRoutes(t, e, "council social worker", e.token("social-worker", "council", "E06000999"))
}

// TestReview54cSoundRoutesDenyToNurseRole: a deny to district nurses (role).
func TestReview54cSoundRoutesDenyToNurseRole(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"district-nurse"}]},"reference":{"display":"nurses"}}],"code":`+r54cCodeCC+`}`)
	r54cCheckRoutes(t, e, "district nurse", e.token("district-nurse", "nhs", "RCX"))
}

// TestReview54cSoundRoutesDenyToSector / R8014 / no actor / ended period /
// nested deny under a permit / deny by org to nurse.
func TestReview54cSoundProvisionForms(t *testing.T) {
	cases := map[string][2]string{
		"sector council": {"OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"the council"}}],"code":` + r54cCodeCC + `}`},
		"role R8014":     {"OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"R8014"}]},"reference":{"display":"sw"}}],"code":` + r54cCodeCC + `}`},
		"no actor":       {"OPTIN", `{"type":"deny","code":` + r54cCodeCC + `}`},
		"period ended":   {"OPTIN", `{"type":"deny","period":{"start":"2025-01-01","end":"2025-06-01"},"actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}`},
		"nested deny":    {"OPTIN", `{"type":"permit","provision":[{"type":"deny","actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}]}`},
		"deep nested":    {"OPTIN", `{"type":"deny","actor":[` + r51cCouncilIRCP + `],"class":[{"system":"https://carex.example/data-class","code":"care-plans"}],"provision":[{"type":"permit","actor":[` + r51cCouncilIRCP + `],"class":[{"system":"https://carex.example/data-class","code":"care-plans"}],"provision":[{"type":"deny","code":` + r54cCodeCC + `}]}]}`},
		"escaped key":    {"OPTIN", `{"type":"deny","actor":[` + r51cCouncilIRCP + `],"\u0063ode":` + r54cCodeCC + `}`},
		"purpose TREAT":  {"OPTIN", `{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}],"actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}`},
		"action access":  {"OPTIN", `{"type":"deny","action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"access"}]}],"actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := r54cSetup(t, c[0], c[1])
			sw := e.token("social-worker", "council", "E06000999")
			for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
				r := e.do("GET", path, sw, "")
				if r54cLeaks(r.body) {
					t.Errorf("GET %s: %d names the withheld code: %s", path, r.status, r51cSnippet(r.body, r54cDisplay))
				}
			}
		})
	}
}

// TestReview54cCaseVariantCodeKey: "Code" is read by the consent parser
// (encoding/json matches keys case-insensitively) and so applied as a
// code deny; is it masked?
func TestReview54cSoundCaseVariantKeysRefused(t *testing.T) {
	cases := map[string]string{
		"Code":      `{"type":"deny","actor":[` + r51cCouncilIRCP + `],"Code":` + r54cCodeCC + `}`,
		"CODE":      `{"type":"deny","actor":[` + r51cCouncilIRCP + `],"CODE":` + r54cCodeCC + `}`,
		"Provision": `{"type":"permit","Provision":[{"type":"deny","actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}]}`,
	}
	for name, prov := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", "OPTIN", `,"provision":`+prov))
			if r.status != 201 && r.status != 200 {
				t.Logf("refused: %d %s", r.status, r51cSnippet(r.body, ""))
				return
			}
			applied := !r51cSWReadsDiabetes(t, e)
			sw := e.token("social-worker", "council", "E06000999")
			r = e.do("GET", "/fhir/Consent/c", sw, "")
			if r54cLeaks(r.body) {
				t.Errorf("key %q stored (deny applied: %v); GET Consent/c as the social worker: %d names the code: %s", name, applied, r.status, r51cSnippet(r.body, r54cDisplay))
			}
		})
	}
}

// TestReview54cPermitUnderDenyNamesWithheldCode: Jane withholds all
// her problems from the council but lets the hospital have her diabetes
// (a permit to RHX under the deny). The diagnosis is withheld from the
// council's social worker; the permit's code names it.
func TestReview54cPermitUnderDenyNamesWithheldCode(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"class":[{"system":"https://carex.example/data-class","code":"problems"}],
	  "provision":[{"type":"permit","actor":[`+r54cHospRC+`],"code":`+r54cCodeCC+`}]}`)
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("setup: the social worker reads the diagnosis")
	}
	sw := e.token("social-worker", "council", "E06000999")
	for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, sw, "")
		if r54cLeaks(r.body) {
			t.Errorf("GET %s as the council's social worker: %d, the diagnosis is withheld from her but the permit (to the hospital) names it: %s", path, r.status, r51cSnippet(r.body, r54cDisplay))
		}
	}
}

// TestReview54cOptOutPermitNamesWithheldCode: Jane opts out of sharing
// except her diabetes to the hospital. The council sees nothing of her GP
// record (is the Consent even released?) — the permit names the diagnosis.
func TestReview54cSoundOptOutPermitConsentWithheld(t *testing.T) {
	e := r54cSetup(t, "OPTOUT", `{"type":"permit","actor":[`+r54cHospRC+`],"code":`+r54cCodeCC+`}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Fatal("setup: the nurse reads the diagnosis under the opt-out")
	}
	for _, tk := range [][2]string{{"district nurse", nurse}, {"social worker", e.token("social-worker", "council", "E06000999")}} {
		for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, tk[1], "")
			if r54cLeaks(r.body) {
				t.Errorf("GET %s as the %s: %d, the diagnosis is withheld (opt-out) but the permit to the hospital names it: %s", path, tk[0], r.status, r51cSnippet(r.body, r54cDisplay))
			}
		}
	}
}

// TestReview54cSecurityLabelDeny: a deny of HIV-labelled data to the
// council: the label itself says what kind of data is kept from her.
func TestReview54cSoundSecurityLabelDenyConsentWithheld(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV","display":"R54C-HIV-LABEL"}]}`)
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Consent/c", sw, "")
	t.Logf("GET Consent/c as sw: %d %s", r.status, r51cSnippet(r.body, "securityLabel"))
	if strings.Contains(r.body, "R54C-HIV-LABEL") {
		t.Errorf("GET Consent/c as sw: %d names the HIV label withheld from her", r.status)
	}
	r = e.do("GET", "/fhir/Consent?patient=jane&security-label=HIV", sw, "")
	t.Logf("GET Consent?security-label=HIV as sw: %d %s", r.status, r51cSnippet(r.body, "total"))
}

// TestReview54cSoundNotOverMasked: the recorder (its GP, its system) sees
// the code. The fix chose to mask a Consent's clinical codes for every
// other reader (review 54c's F1-F3: a code the Consent names may be
// withheld from the reader by another provision or Consent), so a nurse
// the deny does not concern, and a social worker reading a deny aimed at
// the hospital, get it masked: asserted so here.
func TestReview54cSoundNotOverMasked(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	for _, tk := range [][2]string{
		{"gp A81001", e.token("gp", "nhs", "A81001")},
		{"system A81001", e.token("system", "nhs", "A81001")},
	} {
		r := e.do("GET", "/fhir/Consent/c", tk[1], "")
		if r.status != 200 || !strings.Contains(r.body, r54cCode) {
			t.Errorf("GET Consent/c as %s: %d, the code is not released to its recorder: %s", tk[0], r.status, r51cSnippet(r.body, "provision"))
		}
	}
	r := e.do("GET", "/fhir/Consent/c", e.token("district-nurse", "nhs", "RCX"), "")
	if r.status != 200 || strings.Contains(r.body, r54cCode) || !strings.Contains(r.body, "masked") {
		t.Errorf("GET Consent/c as district nurse RCX: %d, want 200 with the code masked: %s", r.status, r51cSnippet(r.body, "provision"))
	}
	e2 := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r54cHospRC+`],"code":`+r54cCodeCC+`}`)
	r = e2.do("GET", "/fhir/Consent/c", e2.token("social-worker", "council", "E06000999"), "")
	if r.status != 200 || strings.Contains(r.body, r54cCode) {
		t.Errorf("deny to the hospital: social worker GET Consent/c: %d, want 200 with the code masked: %s", r.status, r51cSnippet(r.body, "provision"))
	}
}

// TestReview54cSupersededVersion: v1 denies the code to the council; v2
// (same id) denies it to the hospital instead. v1, read by vread and
// _history, still withholds from the council by its own provisions.
func TestReview54cSoundSupersededVersion(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c", janeConsent("c", "2026-01-11", "OPTIN", `,"provision":{"type":"deny","actor":[`+r54cHospRC+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]}]}`)})
	sw := e.token("social-worker", "council", "E06000999")
	for _, path := range []string{"/fhir/Consent/c/_history/1", "/fhir/Consent/c/_history", "/fhir/Consent/_history", "/fhir/_history", "/fhir/Consent?patient=jane"} {
		r := e.do("GET", path, sw, "")
		if r54cLeaks(r.body) {
			t.Errorf("GET %s: %d names v1's withheld code: %s", path, r.status, r51cSnippet(r.body, r54cDisplay))
		}
	}
}

// TestReview54cConsentCopies: the Consent JSON carried by another
// resource — contained in a QuestionnaireResponse, in a Bundle, in a
// DocumentReference attachment — read by the social worker.
func TestReview54cSoundConsentCopies(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("setup: deny not applied")
	}
	gpSys := e.token("system", "nhs", "A81001")
	consentJSON := janeConsent("cc", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	b64 := base64.StdEncoding.EncodeToString([]byte(consentJSON))
	writes := map[string]string{
		"/fhir/QuestionnaireResponse/qr": `{"resourceType":"QuestionnaireResponse","id":"qr","status":"completed","subject":{"reference":"Patient/jane"},"contained":[` + strings.Replace(consentJSON, `"id":"cc"`, `"id":"cc"`, 1) + `],"item":[{"linkId":"1","text":"consent form"}]}`,
		"/fhir/DocumentReference/dr":     `{"resourceType":"DocumentReference","id":"dr","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + b64 + `"}}]}`,
		"/fhir/Bundle/bb":                `{"resourceType":"Bundle","id":"bb","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":` + consentJSON + `}]}`,
		"/fhir/Provenance/pv":            `{"resourceType":"Provenance","id":"pv","target":[{"reference":"Consent/c"}],"recorded":"2026-01-10T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}],"entity":[{"role":"source","what":{"reference":"Consent/c","display":"deny 44054006 R54C-TYPE-2-DIABETES to council"}}]}`,
	}
	sw := e.token("social-worker", "council", "E06000999")
	for path, body := range writes {
		r := e.do("PUT", path, gpSys, body)
		if r.status != 200 && r.status != 201 {
			t.Logf("PUT %s refused: %d %s", path, r.status, r51cSnippet(r.body, ""))
			continue
		}
		g := e.do("GET", path, sw, "")
		t.Logf("GET %s as sw: %d", path, g.status)
		if r54cLeaks(g.body) {
			t.Errorf("GET %s as the social worker: %d names the withheld code: %s", path, g.status, r51cSnippet(g.body, r54cDisplay))
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if r54cLeaks(r.body) {
		t.Errorf("$everything as the social worker: %d names the withheld code: %s", r.status, r51cSnippet(r.body, r54cDisplay))
	}
}

// TestReview54cNarrative: the code's display repeated in text.div.
func TestReview54cNoteNarrativeRepeatsDisplay(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := strings.Replace(janeConsent("c", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`),
		`"status":"active",`, `"status":"active","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Do not share R54C-TYPE-2-DIABETES with the council</div>"},`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c", body})
	r := e.do("GET", "/fhir/Consent/c", e.token("social-worker", "council", "E06000999"), "")
	t.Logf("narrative as sw: %d display in body: %v %s", r.status, strings.Contains(r.body, r54cDisplay), r51cSnippet(r.body, r54cDisplay))
}

// TestReview54cSoundExplainAndIG: $explain and IG reports to the social
// worker or nurse (not IG): refused, and never the code.
func TestReview54cSoundExplainAndIG(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	sw := e.token("social-worker", "council", "E06000999")
	e.do("GET", "/fhir/Condition/diabetes", sw, "")
	ig := e.token("ig-officer", "council", "E06000999")
	for _, tk := range [][2]string{{"sw", sw}, {"nurse", e.token("district-nurse", "nhs", "RCX")}, {"council ig", ig}} {
		for _, path := range []string{
			"/fhir/Patient/jane/$explain?role=social-worker&org=E06000999&sector=council",
			"/fhir/Patient/jane/$who-accessed",
			"/fhir/AuditEvent?patient=jane",
		} {
			r := e.do("GET", path, tk[1], "")
			if r54cLeaks(r.body) {
				t.Errorf("GET %s as %s: %d names the code: %s", path, tk[0], r.status, r51cSnippet(r.body, r54cDisplay))
			}
		}
	}
}

// TestReview54cOptOutVisibility: whether the readers see the opt-out
// Consent at all (for the report).
func TestReview54cSoundOptOutVisibility(t *testing.T) {
	e := r54cSetup(t, "OPTOUT", `{"type":"permit","actor":[`+r54cHospRC+`],"code":`+r54cCodeCC+`}`)
	for _, tk := range [][2]string{{"district nurse", e.token("district-nurse", "nhs", "RCX")}, {"social worker", e.token("social-worker", "council", "E06000999")}, {"hospital clinician", e.token("hospital-clinician", "nhs", "RHX")}} {
		r := e.do("GET", "/fhir/Consent/c", tk[1], "")
		t.Logf("GET Consent/c as %s: %d code shown: %v", tk[0], r.status, r54cLeaks(r.body))
	}
}

// TestReview54cPermitUnderDenyToNurseRole: the same for district nurses
// (a deny of problems to the role, diabetes permitted to the hospital).
func TestReview54cPermitUnderDenyToNurseRole(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/role","code":"district-nurse"}]},"reference":{"display":"nurses"}}],"class":[{"system":"https://carex.example/data-class","code":"problems"}],
	  "provision":[{"type":"permit","actor":[`+r54cHospRC+`],"code":`+r54cCodeCC+`}]}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Fatal("setup: the nurse reads the diagnosis")
	}
	for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, nurse, "")
		if r54cLeaks(r.body) {
			t.Errorf("GET %s as the district nurse: %d, the diagnosis is withheld from her but the permit (to the hospital) names it: %s", path, r.status, r51cSnippet(r.body, r54cDisplay))
		}
	}
}

// TestReview54cSoundActorSpellings: the council named by lower case,
// absolute URL, identifier: masked alike.
func TestReview54cSoundActorSpellings(t *testing.T) {
	ircp := `"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]}`
	cases := map[string]string{
		"identifier": `[{` + ircp + `,"reference":{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}}}]`,
		"lower case": `[{` + ircp + `,"reference":{"reference":"Organization/e06000999"}}]`,
		"absolute":   `[{` + ircp + `,"reference":{"reference":"https://elsewhere.example/fhir/Organization/E06000999"}}]`,
		"PRCP":       `[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/E06000999"}}]`,
		"sector+org": `[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"reference":"Organization/E06000999"}}]`,
		"two actors": `[` + r54cHospRC + `,` + r51cCouncilIRCP + `]`,
	}
	for name, actors := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/c", gpSys, janeConsent("c", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":`+actors+`,"code":`+r54cCodeCC+`}`))
			if r.status != 201 {
				t.Logf("refused: %d %s", r.status, r51cSnippet(r.body, ""))
				return
			}
			applied := !r51cSWReadsDiabetes(t, e)
			g := e.do("GET", "/fhir/Consent/c", e.token("social-worker", "council", "E06000999"), "")
			if r54cLeaks(g.body) {
				t.Errorf("actor %s (deny applied: %v): GET Consent/c as the social worker: %d names the code: %s", name, applied, g.status, r51cSnippet(g.body, r54cDisplay))
			}
		})
	}
}

// TestReview54cSoundStatusesAndDeleted: an inactive, entered-in-error or
// draft Consent, and a deleted one's history.
func TestReview54cSoundStatusesAndDeleted(t *testing.T) {
	prov := `,"provision":{"type":"deny","actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}`
	for _, st := range []string{"inactive", "entered-in-error", "draft", "rejected", "proposed"} {
		t.Run(st, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			body := strings.Replace(janeConsent("c", "2026-01-10", "OPTIN", prov), `"status":"active"`, `"status":"`+st+`"`, 1)
			r := e.do("PUT", "/fhir/Consent/c", gpSys, body)
			if r.status != 201 {
				t.Logf("refused: %d %s", r.status, r51cSnippet(r.body, ""))
				return
			}
			sw := e.token("social-worker", "council", "E06000999")
			for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Consent?patient=jane&status=" + st} {
				g := e.do("GET", path, sw, "")
				if r54cLeaks(g.body) {
					t.Errorf("status %s: GET %s: %d names the code: %s", st, path, g.status, r51cSnippet(g.body, r54cDisplay))
				}
			}
		})
	}
	t.Run("deleted", func(t *testing.T) {
		e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
		gpSys := e.token("system", "nhs", "A81001")
		if r := e.do("DELETE", "/fhir/Consent/c", gpSys, ""); r.status != 204 && r.status != 200 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		sw := e.token("social-worker", "council", "E06000999")
		for _, path := range []string{"/fhir/Consent/c/_history", "/fhir/Consent/c/_history/1", "/fhir/Consent/_history", "/fhir/_history"} {
			g := e.do("GET", path, sw, "")
			if r54cLeaks(g.body) {
				t.Errorf("deleted: GET %s: %d names the code: %s", path, g.status, r51cSnippet(g.body, r54cDisplay))
			}
		}
	})
}

// TestReview54cSoundProvenanceIncludesAndEverythingForms: the Consent
// reached through a Provenance's _include, _revinclude, POST $everything
// and $everything?_type=Consent.
func TestReview54cSoundProvenanceIncludesAndEverythingForms(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Provenance/pv", `{"resourceType":"Provenance","id":"pv","target":[{"reference":"Consent/c"}],"recorded":"2026-01-10T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	seen := false
	for _, path := range []string{
		"/fhir/Provenance?target=Consent/c&_include=Provenance:target",
		"/fhir/Consent?_id=c&_revinclude=Provenance:target",
		"/fhir/Patient/jane/$everything?_type=Consent",
		"/fhir/Patient/jane/$everything?_type=Consent,Provenance&_count=1",
		"/fhir/Consent?patient=jane&_count=1&_total=accurate",
	} {
		g := e.do("GET", path, sw, "")
		seen = seen || strings.Contains(g.body, `"Consent"`)
		if r54cLeaks(g.body) {
			t.Errorf("GET %s: %d names the code: %s", path, g.status, r51cSnippet(g.body, r54cDisplay))
		}
	}
	g := e.do("POST", "/fhir/Patient/jane/$everything", sw, `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Consent"}]}`)
	if r54cLeaks(g.body) {
		t.Errorf("POST $everything: %d names the code: %s", g.status, r51cSnippet(g.body, r54cDisplay))
	}
	if !seen {
		t.Error("the Consent was reached by none of these routes")
	}
}

// TestReview54cExpiredPermitUnderDenyNamesWithheldCode: a deny of
// problems to the council with an exception for diabetes to the council
// that has ended: the diagnosis is withheld from the council again, and
// the ended permit's code names it.
func TestReview54cExpiredPermitUnderDenyNamesWithheldCode(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"class":[{"system":"https://carex.example/data-class","code":"problems"}],
	  "provision":[{"type":"permit","period":{"start":"2025-01-01","end":"2025-06-01"},"actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}]}`)
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("setup: the social worker reads the diagnosis")
	}
	r := e.do("GET", "/fhir/Consent/c", e.token("social-worker", "council", "E06000999"), "")
	if r54cLeaks(r.body) {
		t.Errorf("GET /fhir/Consent/c as the council's social worker: %d, the diagnosis is withheld from her but the ended permit names it: %s", r.status, r51cSnippet(r.body, r54cDisplay))
	}
}

// TestReview54cCodeElsewhereInConsent: the withheld code written again
// elsewhere in the same Consent (an extension, a category, the
// sourceAttachment's data): the provision's code is masked, its copies?
func TestReview54cCodeElsewhereInConsent(t *testing.T) {
	prov := `,"provision":{"type":"deny","actor":[` + r51cCouncilIRCP + `],"code":` + r54cCodeCC + `}`
	form := base64.StdEncoding.EncodeToString([]byte("Jane asks that R54C-TYPE-2-DIABETES (SNOMED 44054006) is not shared with the council"))
	cases := map[string]string{
		"extension": `"extension":[{"url":"https://example.org/withheld-condition","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R54C-TYPE-2-DIABETES"}]}}],`,
		"category":  `"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]},{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R54C-TYPE-2-DIABETES"}]}],`,
	}
	// (left: the sourceAttachment's text, free text, which carex never
	// edits; README: the recorder must not write withheld matters there)
	_ = form
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			body := strings.Replace(janeConsent("c", "2026-01-10", "OPTIN", prov), `"status":"active",`, `"status":"active",`+extra, 1)
			if name == "category" {
				body = strings.Replace(janeConsent("c", "2026-01-10", "OPTIN", prov), `"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],`, extra, 1)
			}
			r := e.do("PUT", "/fhir/Consent/c", gpSys, body)
			if r.status != 201 {
				t.Logf("refused: %d %s", r.status, r51cSnippet(r.body, ""))
				return
			}
			applied := !r51cSWReadsDiabetes(t, e)
			g := e.do("GET", "/fhir/Consent/c", e.token("social-worker", "council", "E06000999"), "")
			if r54cLeaks(g.body) || strings.Contains(g.body, form) {
				t.Errorf("%s (deny applied: %v): GET Consent/c as the social worker: %d still names the withheld code: %s", name, applied, g.status, r51cSnippet(g.body, `"`+name))
			} else {
				t.Logf("%s: GET Consent/c as sw: %d (code not shown)", name, g.status)
			}
		})
	}
}

// TestReview54cSoundCodeElsewhereControl: the same copies of the withheld
// code on another GP item (a care plan's extension, category, a text
// attachment): is that item withheld from the social worker?
func TestReview54cSoundCodeElsewhereControl(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	form := base64.StdEncoding.EncodeToString([]byte("Jane asks that R54C-TYPE-2-DIABETES (SNOMED 44054006) is not shared with the council"))
	for id, extra := range map[string]string{
		"plain":    ``,
		"ext":      `,"extension":[{"url":"https://example.org/x","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R54C-TYPE-2-DIABETES"}]}}]`,
		"category": `,"category":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R54C-TYPE-2-DIABETES"}]}]`,
	} {
		e.putAll(t, gpSys, [2]string{"/fhir/CarePlan/" + id, `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R54C-PLAN"` + extra + `}`})
		r := e.do("GET", "/fhir/CarePlan/"+id, sw, "")
		t.Logf("CarePlan/%s as sw: %d (code shown: %v)", id, r.status, r54cLeaks(r.body))
		if id != "plain" && r54cLeaks(r.body) {
			t.Errorf("CarePlan/%s carrying the withheld code released to the social worker: %d", id, r.status)
		}
	}
	e.putAll(t, gpSys, [2]string{"/fhir/DocumentReference/txt", `{"resourceType":"DocumentReference","id":"txt","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"` + form + `"}}]}`})
	e.putAll(t, gpSys, [2]string{"/fhir/DocumentReference/txt0", `{"resourceType":"DocumentReference","id":"txt0","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"` + base64.StdEncoding.EncodeToString([]byte("an ordinary letter")) + `"}}]}`})
	for _, id := range []string{"txt0", "txt"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, sw, "")
		t.Logf("DocumentReference/%s as sw: %d", id, r.status)
	}
}

// TestReview54cSoundSearchByCodeParams: Consent has no code search
// parameter; a search naming the withheld code is refused or matches
// as one naming another code does (no difference to learn from).
func TestReview54cSoundSearchByCodeParams(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	sw := e.token("social-worker", "council", "E06000999")
	total := func(body string) string {
		i := strings.Index(body, `"total":`)
		if i < 0 {
			return "-"
		}
		return body[i : i+10]
	}
	for _, q := range []string{
		"code=http://snomed.info/sct|%s",
		"_content=%s",
		"_text=%s",
		"_filter=code eq %s",
		"purpose=%s",
		"security-label=%s",
		"action=%s",
		"category=http://snomed.info/sct|%s",
		"_sort=code&_id=c&x=%s",
		"_elements=provision&_id=c&provision=%s",
	} {
		a := e.do("GET", "/fhir/Consent?patient=jane&"+strings.ReplaceAll(q, "%s", r54cCode), sw, "")
		b := e.do("GET", "/fhir/Consent?patient=jane&"+strings.ReplaceAll(q, "%s", "73211009"), sw, "")
		t.Logf("%s: %d %s vs other code %d %s", q, a.status, total(a.body), b.status, total(b.body))
		if a.status != b.status || total(a.body) != total(b.body) {
			t.Errorf("Consent?%s: the withheld code answers %d %s, another code %d %s", q, a.status, total(a.body), b.status, total(b.body))
		}
		if r54cLeaks(a.body) {
			t.Errorf("Consent?%s names the code: %s", q, r51cSnippet(a.body, r54cDisplay))
		}
	}
}

// TestReview54cContainedConditionInConsent: the Consent carries the
// withheld diagnosis as a contained Condition (the reason for the choice).
func TestReview54cSoundContainedConditionInConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := strings.Replace(janeConsent("c", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`),
		`"status":"active",`, `"status":"active","contained":[{"resourceType":"Condition","id":"why","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R54C-TYPE-2-DIABETES"}]}}],`, 1)
	r := e.do("PUT", "/fhir/Consent/c", gpSys, body)
	if r.status != 201 {
		t.Skipf("refused: %d %s", r.status, r51cSnippet(r.body, ""))
	}
	g := e.do("GET", "/fhir/Consent/c", e.token("social-worker", "council", "E06000999"), "")
	if r54cLeaks(g.body) {
		t.Errorf("GET Consent/c as the social worker: %d, the contained Condition names the withheld diagnosis: %s", g.status, r51cSnippet(g.body, `"contained"`))
	}
	t.Logf("GET Consent/c as sw: %d", g.status)
}

// TestReview54cOtherConsentPermitNamesWithheldCode: the GP's Consent
// withholds diabetes from the council; the hospital's Consent (Jane lets
// the hospital have her diabetes data) names it in a permit to RHX.
func TestReview54cOtherConsentPermitNamesWithheldCode(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}`)
	hospSys := e.token("system", "nhs", "RHX")
	r := e.do("PUT", "/fhir/Consent/h", hospSys, janeConsent("h", "2026-01-12", "OPTIN", `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/Z99999"}}],"class":[{"system":"https://carex.example/data-class","code":"problems"}],"provision":[{"type":"permit","actor":[`+r54cHospRC+`],"code":`+r54cCodeCC+`}]}`))
	if r.status != 201 {
		t.Skipf("hospital consent refused: %d %s", r.status, r51cSnippet(r.body, ""))
	}
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("setup: the social worker reads the diagnosis")
	}
	sw := e.token("social-worker", "council", "E06000999")
	for _, path := range []string{"/fhir/Consent/h", "/fhir/Consent?patient=jane"} {
		g := e.do("GET", path, sw, "")
		if r54cLeaks(g.body) {
			t.Errorf("GET %s as the social worker: %d, the diagnosis withheld from her by the GP's Consent is named by the hospital's: %s", path, g.status, r51cSnippet(g.body, r54cDisplay))
		}
	}
}

// TestReview54cSoundPractitionerActorAndConditionalCreate: a deny naming
// the social worker herself (Practitioner/<sub>); a council system's
// conditional create matching the Consent (the existing one returned).
func TestReview54cSoundPractitionerActorAndConditionalCreate(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Practitioner/social-worker-user"}}],"code":`+r54cCodeCC+`}`)
	sw := e.token("social-worker", "council", "E06000999")
	g := e.do("GET", "/fhir/Consent/c", sw, "")
	if r54cLeaks(g.body) {
		t.Errorf("deny naming Practitioner/social-worker-user: GET Consent/c: %d names the code: %s", g.status, r51cSnippet(g.body, r54cDisplay))
	}
	e2 := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	for _, tk := range [][2]string{{"council system", e2.token("system", "council", "E06000999")}, {"social worker", e2.token("social-worker", "council", "E06000999")}} {
		body := janeConsent("x", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]}]}`)
		body = strings.Replace(body, `"id":"x",`, ``, 1)
		for _, ine := range []string{"_id=c", "patient=jane"} {
			r := e2.do("POST", "/fhir/Consent", tk[1], body, "If-None-Exist", ine, "Prefer", "return=representation")
			t.Logf("%s conditional create (%s): %d", tk[0], ine, r.status)
			if r54cLeaks(r.body) {
				t.Errorf("%s conditional create If-None-Exist %s: %d returns the existing Consent with the code: %s", tk[0], ine, r.status, r51cSnippet(r.body, r54cDisplay))
			}
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + body + `,"request":{"method":"POST","url":"Consent","ifNoneExist":"_id=c"}}]}`
		r := e2.do("POST", "/fhir", tk[1], tx, "Prefer", "return=representation")
		t.Logf("%s transaction conditional create: %d", tk[0], r.status)
		if r54cLeaks(r.body) {
			t.Errorf("%s transaction conditional create: %d returns the existing Consent with the code: %s", tk[0], r.status, r51cSnippet(r.body, r54cDisplay))
		}
	}
}

// TestReview54cSoundIGReaders: IG officers of the council and of the
// nursing trust: the Consent read and $explain for the social worker.
func TestReview54cSoundIGReaders(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":`+r54cCodeCC+`}`)
	for _, tk := range [][2]string{{"council IG", e.token("ig-officer", "council", "E06000999")}, {"trust IG", e.token("ig-officer", "nhs", "RCX")}} {
		for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$explain?role=social-worker&org=E06000999&sector=council"} {
			r := e.do("GET", path, tk[1], "")
			t.Logf("%s GET %s: %d code shown: %v", tk[0], path, r.status, r54cLeaks(r.body) || strings.Contains(r.body, r54cCode))
			if tk[0] == "council IG" && r54cLeaks(r.body) {
				t.Errorf("%s GET %s: %d names the code withheld from the council: %s", tk[0], path, r.status, r51cSnippet(r.body, r54cDisplay))
			}
		}
	}
}

// TestReview54cDataReferenceDisplay: a deny of the item by reference,
// the reference carrying the diagnosis as its display.
func TestReview54cSoundDataReferenceDisplay(t *testing.T) {
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+r51cCouncilIRCP+`],"data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes","display":"R54C-TYPE-2-DIABETES"}}]}`)
	if r51cSWReadsDiabetes(t, e) {
		t.Fatal("setup: deny not applied")
	}
	sw := e.token("social-worker", "council", "E06000999")
	for _, path := range []string{"/fhir/Consent/c", "/fhir/Consent?patient=jane"} {
		r := e.do("GET", path, sw, "")
		if r54cLeaks(r.body) || strings.Contains(r.body, "Condition/diabetes") {
			t.Errorf("GET %s as the social worker: %d names the withheld item: %s", path, r.status, r51cSnippet(r.body, `"data"`))
		} else {
			t.Logf("GET %s: %d %s", path, r.status, r51cSnippet(r.body, `"data"`))
		}
	}
}

// TestReview54cSoundConsentCopiesToNurse: the Consent JSON in a
// DocumentReference attachment and a QuestionnaireResponse, the deny
// aimed at district nurses (who read documents).
func TestReview54cSoundConsentCopiesToNurse(t *testing.T) {
	nurseActor := `{"role":{"coding":[{"system":"https://carex.example/role","code":"district-nurse"}]},"reference":{"display":"nurses"}}`
	e := r54cSetup(t, "OPTIN", `{"type":"deny","actor":[`+nurseActor+`],"code":`+r54cCodeCC+`}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Fatal("setup: deny not applied")
	}
	gpSys := e.token("system", "nhs", "A81001")
	consentJSON := janeConsent("cc", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+nurseActor+`],"code":`+r54cCodeCC+`}`)
	for path, body := range map[string]string{
		"/fhir/DocumentReference/dr0":    `{"resourceType":"DocumentReference","id":"dr0","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"` + base64.StdEncoding.EncodeToString([]byte("an ordinary letter")) + `"}}]}`,
		"/fhir/DocumentReference/dr":     `{"resourceType":"DocumentReference","id":"dr","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(consentJSON)) + `"}}]}`,
		"/fhir/DocumentReference/drt":    `{"resourceType":"DocumentReference","id":"drt","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"` + base64.StdEncoding.EncodeToString([]byte("Jane does not want nurses told of her R54C-TYPE-2-DIABETES, SNOMED 44054006")) + `"}}]}`,
		"/fhir/QuestionnaireResponse/qr": `{"resourceType":"QuestionnaireResponse","id":"qr","status":"completed","subject":{"reference":"Patient/jane"},"contained":[` + consentJSON + `],"item":[{"linkId":"1","text":"consent form"}]}`,
	} {
		if r := e.do("PUT", path, gpSys, body); r.status != 201 {
			t.Logf("PUT %s: %d %s", path, r.status, r51cSnippet(r.body, ""))
			continue
		}
		g := e.do("GET", path, nurse, "")
		t.Logf("GET %s as nurse: %d", path, g.status)
		if r54cLeaks(g.body) || strings.Contains(g.body, base64.StdEncoding.EncodeToString([]byte(consentJSON))[:40]) {
			t.Errorf("GET %s as the nurse: %d carries the withheld code", path, g.status)
		}
	}
}
