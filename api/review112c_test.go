package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Review 112c: social care data in the shared record (SPEC §5), as a
// council social worker and an NHS district nurse meet it.

const council112c = "E06000999"

// seed112c writes Jane's record as each organisation's system writes it:
// the GP practice her Patient and its own safeguarding Flag, the
// community trust its care team, the council its care package, safeguarding
// Flags, carer, LPA, assessments and referral.
func seed112c(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	council := e.token("system", "council", council112c)
	subj := `"subject":{"reference":"Patient/jane"}`
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/jane", janeJSON},
		[2]string{"/fhir/Flag/gpsafe", `{"resourceType":"Flag","id":"gpsafe","status":"active",` + subj + `,"author":{"reference":"Organization/A81001"},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"1090171000000107"}],"text":"GP-CHILD-PROTECTION-PLAN"}}`})
	e.putAll(t, trust,
		[2]string{"/fhir/CareTeam/nursing", `{"resourceType":"CareTeam","id":"nursing","status":"active",` + subj + `,"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/package", `{"resourceType":"EpisodeOfCare","id":"package","status":"active","patient":{"reference":"Patient/jane"},
 "managingOrganization":{"reference":"Organization/` + council112c + `"},"type":[{"text":"COUNCIL-CARE-PACKAGE 4 calls a day"}]}`},
		[2]string{"/fhir/Flag/adultsafe", `{"resourceType":"Flag","id":"adultsafe","status":"active",` + subj + `,"author":{"reference":"Organization/` + council112c + `"},
 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"safety"}]}],
 "code":{"coding":[{"system":"https://council.example/codes","code":"S42"}],"text":"COUNCIL-S42-ENQUIRY"}}`},
		[2]string{"/fhir/Flag/dv", `{"resourceType":"Flag","id":"dv","status":"active",` + subj + `,"author":{"reference":"Organization/` + council112c + `"},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"95930005"}],"text":"COUNCIL-DOMESTIC-ABUSE"}}`},
		[2]string{"/fhir/RelatedPerson/carer", `{"resourceType":"RelatedPerson","id":"carer","patient":{"reference":"Patient/jane"},
 "relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"DAU"}],"text":"COUNCIL-CARER daughter"}],"name":[{"family":"Smith","given":["Anne"]}]}`},
		[2]string{"/fhir/RelatedPerson/lpa", `{"resourceType":"RelatedPerson","id":"lpa","patient":{"reference":"Patient/jane"},
 "relationship":[{"text":"COUNCIL-LPA health and welfare"}],"name":[{"family":"Jones","given":["Paul"]}]}`},
		[2]string{"/fhir/Task/careact", `{"resourceType":"Task","id":"careact","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"COUNCIL-CARE-ACT-ASSESSMENT"}}`},
		[2]string{"/fhir/Task/carers", `{"resourceType":"Task","id":"carers","status":"requested","intent":"order","for":{"reference":"Patient/jane"},
 "code":{"text":"COUNCIL-CARERS-ASSESSMENT for Anne"}}`},
		[2]string{"/fhir/ServiceRequest/referral", `{"resourceType":"ServiceRequest","id":"referral","status":"active","intent":"order",` + subj + `,
 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}]}],"code":{"text":"COUNCIL-REFERRAL-OT"}}`},
	)
}

func fmtInt(n int) string {
	s := ""
	if n == 0 {
		return "0"
	}
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

func trunc112c(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// denyNHS112c is Jane's objection to sharing with the NHS, recorded by
// the council: a deny to the nhs sector.
var denyNHS112c = patientConsent("jane-no-nhs", "jane", "2026-01-10", "OPTIN", `,
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"nhs"}]},"reference":{"display":"any NHS organisation"}}]}`)

var council112cItems = []string{"Flag/adultsafe", "Flag/dv", "RelatedPerson/carer", "RelatedPerson/lpa", "EpisodeOfCare/package", "Task/careact", "Task/carers", "ServiceRequest/referral"}

func b64112c(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// dsTask112c is a council Task (a Care Act assessment, coded social care)
// for Jane, with extra elements.
func dsTask112c(id, extra string) [2]string {
	return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"COUNCIL-` + id + `"}` + extra + `}`}
}

const discharge112c = "Discharge summary, Leeds Teaching Hospitals. Admitted 01/11 with community acquired pneumonia and delirium; new type 2 diabetes; started metformin. Plan: district nurse to review."

// The hospital's discharge summary the council quotes in its assessment
// is a clinical document (documents class), which the district nurse's
// role does not see: attached as text it is withheld from her, but the
// same summary as the assessment's input under LOINC 18842-5 "Discharge
// summary" reaches her.
func TestReview112cDischargeSummaryAsLoincStringWithheldFromNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	e.putAll(t, e.token("system", "council", council112c),
		dsTask112c("dsattach", `,"input":[{"type":{"text":"discharge summary"},"valueAttachment":{"contentType":"text/plain","data":"`+b64112c(discharge112c)+`"}}]`),
		dsTask112c("dsloinc", `,"input":[{"type":{"coding":[{"system":"http://loinc.org","code":"18842-5","display":"Discharge summary"}]},"valueString":"`+discharge112c+`"}]`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/dsattach", nurse, ""); r.status != 404 {
		t.Fatalf("control: the attached discharge summary: %d, want 404", r.status)
	}
	if r := e.do("GET", "/fhir/Task/dsloinc", nurse, ""); r.status != 404 {
		t.Errorf("district nurse GET the council's Task quoting the discharge summary under LOINC 18842-5: %d, want 404 (documents)\n%s", r.status, trunc112c(r.body, 400))
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if strings.Contains(r.body, "Leeds Teaching Hospitals") {
		t.Errorf("district nurse $everything (%d) carries the council's Task quoting the discharge summary", r.status)
	}
}

// A council assessment quoting the hospital's discharge summary in its
// description, with the SNOMED CT code of a depressive disorder (a code
// carex labels PSY: as a contained Condition, or in a plain-text attached
// letter, it keeps the item with its source), reaches the district nurse
// and the GP, outside the council.

// Per the built-in policy: safeguarding Flags (the council's section 42
// enquiry under a local code, its SNOMED CT domestic abuse flag, the GP's
// child protection flag) reach the GP and the social worker, never the
// district nurse nor the IG officer; the carer and the LPA (demographics)
// reach every role with a relationship, the IG officer too; the care
// package, assessments and referral reach the nurse and social worker, not
// the IG officer.
func TestReview112cSoundRoleMatrix(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	users := map[string]string{
		"gp":    e.token("gp", "nhs", "A81001"),
		"nurse": e.token("district-nurse", "nhs", "RCX"),
		"sw":    e.token("social-worker", "council", council112c),
		"ig":    e.token("ig-officer", "nhs", "A81001"),
	}
	want := map[string][4]int{ // gp, nurse, sw, ig
		"Flag/gpsafe": {200, 404, 200, 404}, "Flag/adultsafe": {200, 404, 200, 404}, "Flag/dv": {200, 404, 200, 404},
		"RelatedPerson/carer": {200, 200, 200, 200}, "RelatedPerson/lpa": {200, 200, 200, 200},
		"EpisodeOfCare/package": {200, 200, 200, 404}, "Task/careact": {200, 200, 200, 404}, "Task/carers": {200, 200, 200, 404},
		"ServiceRequest/referral": {200, 200, 200, 404},
	}
	for p, w := range want {
		for i, u := range []string{"gp", "nurse", "sw", "ig"} {
			if r := e.do("GET", "/fhir/"+p, users[u], ""); r.status != w[i] {
				t.Errorf("%s GET %s: %d, want %d", u, p, r.status, w[i])
			}
			if r := e.do("GET", "/fhir/"+p+"/_history", users[u], ""); (r.status == 200) != (w[i] == 200) {
				t.Errorf("%s GET %s/_history: %d, want %d", u, p, r.status, w[i])
			}
		}
	}
	// The nurse's searches: no Flag, no included author, the notice.
	for _, q := range []string{"Flag?patient=jane&_include=Flag:author", "Patient?_id=jane&_revinclude=Flag:subject", "Patient?_id=jane&_revinclude=Flag:patient", "Patient/jane/$everything"} {
		r := e.do("GET", "/fhir/"+q, users["nurse"], "")
		if r.status != 200 || strings.Contains(r.body, `"resourceType":"Flag"`) || strings.Contains(r.body, "COUNCIL-") && strings.Contains(r.body, "S42") || !strings.Contains(r.body, "confidential-items") {
			t.Errorf("nurse %s: %d %s", q, r.status, trunc112c(r.body, 600))
		}
	}
	r := e.do("GET", "/fhir/Flag?patient=jane&_include=Flag:author", users["sw"], "")
	if !strings.Contains(r.body, "GP-CHILD-PROTECTION-PLAN") || !strings.Contains(r.body, "COUNCIL-DOMESTIC-ABUSE") {
		t.Errorf("social worker Flag search lacks the GP's or the council's flag: %s", trunc112c(r.body, 600))
	}
}

// Jane's objection to sharing with the NHS (a deny to the nhs sector the
// council records) holds for every council item, by read, _history,
// search and $everything, for the GP and the district nurse; the council's
// social worker still sees them.
func TestReview112cSoundDenyNHSHoldsForCouncilItems(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	if r := e.do("PUT", "/fhir/Consent/jane-no-nhs", e.token("system", "council", council112c), denyNHS112c); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", council112c)
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("district-nurse", "nhs", "RCX"), e.token("hospital-clinician", "nhs", "RHX")} {
		for _, p := range council112cItems {
			if r := e.do("GET", "/fhir/"+p, tok, ""); r.status != 404 {
				t.Errorf("NHS GET %s after the deny: %d", p, r.status)
			}
			if r := e.do("GET", "/fhir/"+p+"/_history", tok, ""); strings.Contains(r.body, "COUNCIL-") {
				t.Errorf("NHS GET %s/_history after the deny: %d", p, r.status)
			}
		}
		for _, q := range []string{"Patient/jane/$everything", "Flag?patient=jane", "RelatedPerson?patient=jane", "Task?patient=jane", "EpisodeOfCare?patient=jane", "ServiceRequest?patient=jane"} {
			if r := e.do("GET", "/fhir/"+q, tok, ""); strings.Contains(r.body, "COUNCIL-") || strings.Contains(r.body, "Anne") {
				t.Errorf("NHS %s after the deny: %s", q, trunc112c(r.body, 500))
			}
		}
	}
	for _, p := range council112cItems {
		if r := e.do("GET", "/fhir/"+p, sw, ""); r.status != 200 {
			t.Errorf("social worker GET %s after the deny: %d", p, r.status)
		}
	}
}

// The IG officer's view of the access log after the nurse's reads of the
// council's safeguarding Flag: entries for Jane, none carrying the Flag's
// or the care package's content.
func TestReview112cSoundIGAccessLog(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed112c(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.do("GET", "/fhir/Flag/adultsafe", nurse, "")
	e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	r := e.do("GET", "/fhir/AuditEvent?patient=jane", e.token("ig-officer", "nhs", "A81001"), "")
	if r.status != 200 || !strings.Contains(r.body, "district-nurse-user") {
		t.Fatalf("IG AuditEvent?patient=jane: %d %s", r.status, trunc112c(r.body, 600))
	}
	for _, c := range []string{"COUNCIL-S42-ENQUIRY", "COUNCIL-CARE-PACKAGE", "COUNCIL-DOMESTIC-ABUSE", "GP-CHILD-PROTECTION-PLAN"} {
		if strings.Contains(r.body, c) {
			t.Errorf("IG's access log view carries %q", c)
		}
	}
}

// A council assessment quoting the hospital's discharge summary, with the
// SNOMED CT code of HIV (86406008, in the national STD refset carex labels
// HIV), in its description, a note or an input's words reaches the GP and
// the district nurse, outside the council; the same words attached as
// text/plain keep the Task with its source, and a message's words are read
// for codes (README, review 88c). Cause: api/rest.go messageTexts (now proseTexts) reads
// prose for codes only for message types.
func TestReview112cHIVCodeInTaskWordsLabelled(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	text := "Hospital discharge summary (LTH): HIV 86406008, started antiretrovirals; follow-up clinic."
	e.putAll(t, e.token("system", "council", council112c),
		dsTask112c("dsattach", `,"input":[{"type":{"text":"discharge summary"},"valueAttachment":{"contentType":"text/plain","data":"`+b64112c(text)+`"}}]`),
		dsTask112c("dsdesc", `,"description":"`+text+`"`),
		dsTask112c("dsnote", `,"note":[{"text":"`+text+`"}]`),
		dsTask112c("dsvstr", `,"input":[{"type":{"text":"discharge summary"},"valueString":"`+text+`"}]`))
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Task/dsattach", gp, ""); r.status != 404 {
		t.Fatalf("control: GP GET Task/dsattach: %d, want 404 (HIV, the council's alone)", r.status)
	}
	for _, id := range []string{"dsdesc", "dsnote", "dsvstr"} {
		for name, tok := range map[string]string{"GP": gp, "district nurse": nurse} {
			if r := e.do("GET", "/fhir/Task/"+id, tok, ""); r.status != 404 {
				t.Errorf("%s GET the council's Task/%s quoting HIV 86406008: %d, want 404", name, id, r.status)
			}
		}
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); strings.Contains(r.body, "86406008") {
		t.Errorf("GP $everything carries the council's Task quoting HIV 86406008")
	}
	// Not the council's alone: the hospital's own care plan so worded
	// reaches the GP too.
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CarePlan/hcp", `{"resourceType":"CarePlan","id":"hcp","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"description":"` + text + `"}`})
	if r := e.do("GET", "/fhir/CarePlan/hcp", gp, ""); r.status != 404 {
		t.Errorf("GP GET the hospital's CarePlan quoting HIV 86406008: %d, want 404", r.status)
	}
}

// A safeguarding concern the council records in other shapes stays
// safeguarding for the district nurse: a Flag contained in the care
// package or attached to an assessment as FHIR JSON, an assessment or an
// alleged perpetrator's RelatedPerson tagged safeguarding; a Task whose
// focus is the Flag reaches her with the reference masked and no Flag
// included; an SDV-labelled Flag stays with the council; break-glass does
// not give her safeguarding; counts and _summary give 0 with the notice.
func TestReview112cSoundSafeguardingOtherShapes(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	council := e.token("system", "council", council112c)
	flagJSON := `{"resourceType":"Flag","id":"f","status":"active","subject":{"reference":"Patient/jane"},"code":{"text":"EMB-S42-FINANCIAL-ABUSE-BY-SON"}}`
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/pkgflag", `{"resourceType":"EpisodeOfCare","id":"pkgflag","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/` + council112c + `"},
 "contained":[` + flagJSON + `],"type":[{"text":"PKG"}],"extension":[{"url":"https://council.example/risk","valueReference":{"reference":"#f"}}]}`},
		dsTask112c("flagjson", `,"input":[{"type":{"text":"concern"},"valueAttachment":{"contentType":"application/fhir+json","data":"`+b64112c(flagJSON)+`"}}]`),
		dsTask112c("focusflag", `,"focus":{"reference":"Flag/adultsafe"}`),
		dsTask112c("sgtag", `,"meta":{"tag":[{"system":"https://carex.example/data-class","code":"safeguarding"}]},"description":"EMB-S42-ENQUIRY-TASK"`),
		[2]string{"/fhir/RelatedPerson/perp", `{"resourceType":"RelatedPerson","id":"perp","patient":{"reference":"Patient/jane"},"meta":{"tag":[{"system":"https://carex.example/data-class","code":"safeguarding"}]},
 "relationship":[{"text":"EMB-ALLEGED-PERPETRATOR son"}],"name":[{"family":"Smith","given":["Mark"]}]}`},
		[2]string{"/fhir/Flag/sdv", `{"resourceType":"Flag","id":"sdv","status":"active","subject":{"reference":"Patient/jane"},"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"SDV"}]},"code":{"text":"EMB-DV-MARAC"}}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", council112c)
	for _, p := range []string{"EpisodeOfCare/pkgflag", "Task/flagjson", "Task/sgtag", "RelatedPerson/perp", "Flag/sdv"} {
		if r := e.do("GET", "/fhir/"+p, nurse, ""); r.status != 404 {
			t.Errorf("nurse GET %s: %d, want 404", p, r.status)
		}
		if r := e.do("GET", "/fhir/"+p, sw, ""); r.status != 200 {
			t.Errorf("social worker GET %s: %d, want 200", p, r.status)
		}
	}
	if r := e.do("GET", "/fhir/Flag/sdv", e.token("gp", "nhs", "A81001"), ""); r.status != 404 {
		t.Errorf("GP GET the council's SDV-labelled Flag: %d, want 404", r.status)
	}
	r := e.do("GET", "/fhir/Task?_id=focusflag&_include=Task:focus", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "focusflag") || strings.Contains(r.body, "Flag/adultsafe") || strings.Contains(r.body, "S42") || !strings.Contains(r.body, "confidential-items") {
		t.Errorf("nurse Task?_id=focusflag&_include=Task:focus: %d %s", r.status, trunc112c(r.body, 800))
	}
	for _, q := range []string{"Patient/jane/$everything", "Flag?patient=jane&_summary=count", "Flag?patient=jane&_total=accurate&_count=0", "Patient/jane/$everything?_type=Flag", "Flag?subject=Patient/jane&_elements=id", "RelatedPerson?patient=jane", "EpisodeOfCare?patient=jane", "Task?patient=jane"} {
		r := e.do("GET", "/fhir/"+q, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "EMB-") || strings.Contains(r.body, `"resourceType":"Flag"`) || strings.Contains(r.body, "S42") || !strings.Contains(r.body, "confidential-items") {
			t.Errorf("nurse %s: %d %s", q, r.status, trunc112c(r.body, 600))
		}
	}
	for _, p := range []string{"Flag/adultsafe", "Flag/gpsafe", "Patient/jane/$everything"} {
		r := e.do("GET", "/fhir/"+p, nurse, "", "X-Break-Glass", "EMERGENCY: collapsed at home, need full history")
		if strings.Contains(r.body, "S42") || strings.Contains(r.body, "CHILD-PROTECTION") {
			t.Errorf("nurse break-glass %s released safeguarding: %d", p, r.status)
		}
	}
}

// _history per version: the council's assessment whose first version
// carried a contained safeguarding Flag and whose second does not: the
// nurse gets the second, not the first, and the list carries the notice.
// Items naming Jane by NHS number alone hold her objection to the NHS.
func TestReview112cSoundHistoryAndByNumber(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	council := e.token("system", "council", council112c)
	nhsRef := `{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`
	e.putAll(t, council,
		dsTask112c("hist", `,"contained":[{"resourceType":"Flag","id":"f","status":"active","subject":{"reference":"Patient/jane"},"code":{"text":"HIST-V1-S42"}}],"input":[{"type":{"text":"risk"},"valueReference":{"reference":"#f"}}]`),
		dsTask112c("hist", `,"description":"HIST-V2-CLEAN"`),
		[2]string{"/fhir/Task/bynum", `{"resourceType":"Task","id":"bynum","status":"completed","intent":"order","for":` + nhsRef + `,"code":{"text":"BYNUM-CARE-ACT"}}`},
		[2]string{"/fhir/RelatedPerson/carernum", `{"resourceType":"RelatedPerson","id":"carernum","patient":` + nhsRef + `,"relationship":[{"text":"BYNUM-CARER"}],"name":[{"family":"Smith","given":["Anne"]}]}`},
		[2]string{"/fhir/Communication/msg", `{"resourceType":"Communication","id":"msg","status":"completed","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentString":"MSG-COUNCIL key safe 1234"}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Task/hist/_history", nurse, ""); r.status != 200 || strings.Contains(r.body, "HIST-V1") || !strings.Contains(r.body, "HIST-V2") || !strings.Contains(r.body, "confidential-items") {
		t.Errorf("nurse Task/hist/_history: %d %s", r.status, trunc112c(r.body, 600))
	}
	if r := e.do("GET", "/fhir/Task/hist/_history/1", nurse, ""); r.status != 404 {
		t.Errorf("nurse Task/hist/_history/1: %d, want 404", r.status)
	}
	for _, p := range []string{"Task/bynum", "RelatedPerson/carernum", "Communication/msg"} {
		if r := e.do("GET", "/fhir/"+p, nurse, ""); r.status != 200 {
			t.Fatalf("control: nurse GET %s before the deny: %d", p, r.status)
		}
	}
	if r := e.do("PUT", "/fhir/Consent/jane-no-nhs", council, denyNHS112c); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	for _, tok := range []string{gp, nurse} {
		for _, p := range []string{"Task/bynum", "RelatedPerson/carernum", "Communication/msg"} {
			if r := e.do("GET", "/fhir/"+p, tok, ""); r.status != 404 {
				t.Errorf("NHS GET %s after the deny: %d", p, r.status)
			}
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); strings.Contains(r.body, "BYNUM") || strings.Contains(r.body, "MSG-COUNCIL") {
			t.Errorf("NHS $everything after the deny carries a council item")
		}
	}
}
