package api_test

// Review 85b: re-read of commit f465a7c (a council's messages and messages
// to a council are social care; an NHS EpisodeOfCare carries documents;
// Person:organization includes cut for a restricted person; reindexRows by
// type). Parent for differentials: cca1b6f.

import (
	"encoding/base64"
	"strings"
	"testing"
)

// r85bPut: PUT each [path, body] as tok, 200 or 201.
func r85bPut(t *testing.T, e *env, tok string, items ...[2]string) {
	t.Helper()
	for _, it := range items {
		if r := e.do("PUT", it[0], tok, it[1]); r.status != 200 && r.status != 201 {
			t.Fatalf("seed %s: %d %s", it[0], r.status, r.body)
		}
	}
}

// r85bMsg: a Communication about Jane from the hospital RHX with the given
// recipients (JSON array items) and payload (JSON array items).
func r85bMsg(id, recipients, payload string) string {
	return `{"resourceType":"Communication","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},"sender":{"reference":"Organization/RHX"},"recipient":[` + recipients + `],"sent":"2026-11-20T09:00:00Z","payload":[` + payload + `]}`
}

// FINDING (leak of an NHS message to the social worker and the district
// nurse). toCouncil reads any recipient's identifier whose value is shaped
// like a GSS code as naming a council, whatever its system and whatever
// type the reference names. A hospital letter to the GP practice whose
// other recipient is a consultant named by the trust's own staff number
// (`{"type":"Practitioner","identifier":{"system":"https://rhx.example/Id/
// staff-number","value":"E08000123"}}`) is classed social-care, so it
// reaches the council's social worker and the district nurse; the same
// letter with the staff number "S08000123" stays `other` and reaches
// neither (control). README (relationships): "an organisation given by
// identifier … is one only by an ODS or council code
// (`https://fhir.nhs.uk/Id/ods-organization-code`,
// `https://carex.example/Id/council-code`) … any identifier was taken for
// one, a practitioner's user id among them"; README (classes): messages
// "between NHS organisations, stay `other`: only their source and the
// roles that see every class (GP, hospital clinician) read them".
// Severity: leak of a withheld item (a GP letter with its clinical text).
// Parent cca1b6f: `other`, 404 for both (regression of this commit).
func TestReview85bMessageToStaffNumberShapedLikeCouncilCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gpRecip := `{"reference":"Organization/A81001"}`
	staff := func(v string) string {
		return `{"type":"Practitioner","identifier":{"system":"https://rhx.example/Id/staff-number","value":"` + v + `"}}`
	}
	r85bPut(t, e, hosp,
		[2]string{"/fhir/Communication/letter-e", r85bMsg("letter-e", gpRecip+","+staff("E08000123"), `{"contentString":"R85B-LETTER-E new diagnosis of bipolar disorder, lithium started"}`)},
		[2]string{"/fhir/Communication/letter-s", r85bMsg("letter-s", gpRecip+","+staff("S08000123"), `{"contentString":"R85B-LETTER-S new diagnosis of bipolar disorder, lithium started"}`)},
	)
	sw := e.token("social-worker", "council", "E06000999")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Communication/letter-e", gp, ""); r.status != 200 {
		t.Fatalf("premise: the GP, its addressee, reads the letter: %d", r.status)
	}
	for _, who := range []struct {
		name, tok string
	}{{"social worker", sw}, {"district nurse", nurse}} {
		if r := e.do("GET", "/fhir/Communication/letter-s", who.tok, ""); r.status != 404 {
			t.Fatalf("control: the %s reads the S-numbered letter: %d", who.name, r.status)
		}
		r := e.do("GET", "/fhir/Communication/letter-e", who.tok, "")
		if r.status != 404 || strings.Contains(r.body, "R85B-LETTER-E") {
			t.Errorf("GET Communication/letter-e (hospital to GP, cc a consultant by staff number E08000123) by the %s: %d, want 404 (an NHS-to-NHS message, class other)", who.name, r.status)
		}
		ev := e.do("GET", "/fhir/Patient/jane/$everything", who.tok, "")
		if strings.Contains(ev.body, "R85B-LETTER-E") {
			t.Errorf("$everything by the %s carries the hospital's letter to the GP", who.name)
		}
	}
}

// FINDING (leak, disputable: follows from README's new choice, but
// applied to readers who are not addressees). A hospital's letter to the
// GP practice, copied to the council, carrying the discharge summary as a
// plain-text attachment and lab values in its text, is now social care as
// a whole: the district nurse of RCX — not an addressee — reads it, and so
// does the social worker, attachment and lab results included. The same
// discharge summary as a DocumentReference is withheld from both
// (documents; control). SPEC §1: the social worker needs "… — not lab
// results or clinical notes"; the nurse's list has no clinical notes
// either. README: a message "addressed to a council … is social care, so a
// discharge notice sent to the council reaches its social worker" — the
// class follows the addressee, but the release goes to every reader of
// social care (any district nurse with a relationship, any council). A
// contained or attached FHIR copy adds its class (withInnerClasses; see
// TestReview85bSoundCarriedLabAndLabelsStillWithhold), a plain attachment
// adds none. Severity: leak of a clinical note (the documents class) to
// roles the policy denies it. Parent cca1b6f: `other`, 404 for both.
func TestReview85bClinicalLetterCopiedToCouncilReachesNurse(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	att := base64.StdEncoding.EncodeToString([]byte("R85B-ATTACHED-DISCHARGE-SUMMARY: Dx pyelonephritis; eGFR 28; CRP 180"))
	r85bPut(t, e, hosp,
		[2]string{"/fhir/Communication/cc", r85bMsg("cc", `{"reference":"Organization/A81001"},{"reference":"Organization/E06000999"}`,
			`{"contentString":"R85B-CC-LETTER discharged home 19 Nov; HbA1c 91 mmol/mol, eGFR 28"},{"contentAttachment":{"contentType":"text/plain","title":"Discharge summary","data":"`+att+`"}}`)},
		[2]string{"/fhir/DocumentReference/ds", `{"resourceType":"DocumentReference","id":"ds","status":"current","type":{"coding":[{"system":"http://loinc.org","code":"18842-5"}]},"subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"` + att + `"}}]}`},
	)
	sw := e.token("social-worker", "council", "E06000999")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, who := range []struct {
		name, tok string
	}{{"district nurse (RCX, not an addressee)", nurse}, {"social worker", sw}} {
		if r := e.do("GET", "/fhir/DocumentReference/ds", who.tok, ""); r.status != 404 {
			t.Fatalf("control: the %s reads the discharge summary as a DocumentReference: %d", who.name, r.status)
		}
		r := e.do("GET", "/fhir/Communication/cc", who.tok, "")
		if r.status == 200 && (strings.Contains(r.body, att) || strings.Contains(r.body, "HbA1c 91")) {
			t.Errorf("GET Communication/cc (hospital letter to GP cc council, discharge summary attached) by the %s: 200 with the attached summary and lab values; the same summary as a DocumentReference is 404", who.name)
		}
	}
}

// Review 85b found the hospital's record of the council's reablement
// package (an EpisodeOfCare managed by the council, typed "Reablement",
// no social-care coding) withheld from the council's social worker as an
// NHS episode. Read as a care package from its managing organisation, a
// hospital's mental health episode naming the council went to her with its
// narrative (review 86a), so an NHS episode is the NHS's clinical record
// unless its source marks it social care: untagged, 404 (README's choice);
// tagged social-care, or typed with a social-care coding, 200.
func TestReview85bCouncilManagedEpisodeRecordedByHospital(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := func(id, extra string) string {
		return `{"resourceType":"EpisodeOfCare","id":"` + id + `",` + extra + `"status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"},"type":[{"text":"R85B-REABLEMENT-` + id + `"}],"period":{"start":"2026-11-19"}}`
	}
	r85bPut(t, e, hosp,
		[2]string{"/fhir/EpisodeOfCare/d2a", body("d2a", "")},
		[2]string{"/fhir/EpisodeOfCare/d2a-tagged", body("d2a-tagged", `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`)},
		[2]string{"/fhir/EpisodeOfCare/d2a-coded", strings.Replace(body("d2a-coded", ""), `"type":[{"text"`, `"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/episodeofcare-type","code":"hacc"}],"text"`, 1)})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/EpisodeOfCare/d2a", sw, ""); r.status != 404 {
		t.Errorf("GET EpisodeOfCare/d2a (the hospital's, untagged) by the social worker: %d, want 404", r.status)
	}
	for _, id := range []string{"d2a-tagged", "d2a-coded"} {
		if r := e.do("GET", "/fhir/EpisodeOfCare/"+id, sw, ""); r.status != 200 || !strings.Contains(r.body, "R85B-REABLEMENT-"+id) {
			t.Errorf("GET EpisodeOfCare/%s (the hospital's, marked social care) by the council's social worker: %d, want 200", id, r.status)
		}
	}
}

// Sound: carried items and labels still withhold a message to the council.
// A hospital message to the council containing a lab Observation is
// withheld from the social worker and the nurse (observations, carried);
// one with an HIV reason code is withheld from both (label HIV); a
// Consent deny of class social-care, and one of type Communication,
// withholds the plain discharge notice from the social worker, while with
// no such Consent she reads it. Parent: all 404 (class other).
func TestReview85bSoundCarriedLabAndLabelsStillWithhold(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	council := `{"reference":"Organization/E06000999"}`
	// (tagged social care by the hospital: since review 85b a message to
	// a council is not read as social care from its recipients)
	tag := func(raw string) string {
		return strings.Replace(raw, `{"resourceType":"Communication",`, `{"resourceType":"Communication","meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`, 1)
	}
	r85bPut(t, e, hosp,
		[2]string{"/fhir/Communication/plain", tag(r85bMsg("plain", council, `{"contentString":"R85B-PLAIN discharged home"}`))},
		[2]string{"/fhir/Communication/withlab", tag(strings.Replace(r85bMsg("withlab", council, `{"contentReference":{"reference":"#lab"}}`), `"status":"completed"`,
			`"status":"completed","contained":[{"resourceType":"Observation","id":"lab","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"R85B-CONTAINED-LAB"}}]`, 1))},
		[2]string{"/fhir/Communication/hiv", tag(strings.Replace(r85bMsg("hiv", council, `{"contentString":"R85B-HIV-MSG"}`), `"status":"completed"`,
			`"status":"completed","reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]`, 1))},
	)
	sw := e.token("social-worker", "council", "E06000999")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Communication/plain", sw, ""); r.status != 200 {
		t.Fatalf("premise: the social worker reads the notice to her council: %d", r.status)
	}
	for _, tok := range []string{sw, nurse} {
		for _, id := range []string{"withlab", "hiv"} {
			if r := e.do("GET", "/fhir/Communication/"+id, tok, ""); r.status != 404 {
				t.Errorf("GET Communication/%s: %d, want 404", id, r.status)
			}
		}
		ev := e.do("GET", "/fhir/Communication?patient=jane", tok, "")
		if strings.Contains(ev.body, "R85B-CONTAINED-LAB") || strings.Contains(ev.body, "R85B-HIV-MSG") {
			t.Errorf("search carries the lab or HIV message: %.300s", ev.body)
		}
	}
	gpSys := e.token("system", "nhs", "A81001")
	for i, prov := range []string{
		`,"provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"social-care"}]}`,
		`,"provision":{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Communication"}]}`,
	} {
		id := []string{"r85b-c1", "r85b-c2"}[i]
		r85bPut(t, e, gpSys, [2]string{"/fhir/Consent/" + id, janeConsent(id, "2026-11-2"+string(rune('1'+i)), "OPTIN", prov)})
		if r := e.do("GET", "/fhir/Communication/plain", sw, ""); r.status != 404 {
			t.Errorf("consent %d (%s): GET Communication/plain by the social worker: %d, want 404", i, prov, r.status)
		}
	}
}

// Sound: an NHS EpisodeOfCare still relates its managing organisation to
// the person (SPEC §5.2) though its class is now encounters+documents: the
// district nurse of a trust whose only tie to Bob is its active episode
// reads his GP-recorded allergy (and not the episode itself: she sees
// neither class). $explain names encounters+documents for the social
// worker. Parent: the same relationship; the episode encounters only.
func TestReview85bSoundNHSEpisodeStillRelates(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	r85bPut(t, e, gp,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Smith"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/AllergyIntolerance/bob-pen", `{"resourceType":"AllergyIntolerance","id":"bob-pen","patient":{"reference":"Patient/bob"},"code":{"text":"R85B-BOB-PENICILLIN"}}`},
	)
	ryy := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/AllergyIntolerance/bob-pen", ryy, ""); r.status == 200 {
		t.Fatalf("premise: RYY has no relationship yet: %d", r.status)
	}
	r85bPut(t, e, e.token("system", "nhs", "RYY"), [2]string{"/fhir/EpisodeOfCare/bob-dn", `{"resourceType":"EpisodeOfCare","id":"bob-dn","status":"active","patient":{"reference":"Patient/bob"},"managingOrganization":{"reference":"Organization/RYY"},"type":[{"text":"R85B-DN-EPISODE"}]}`})
	if r := e.do("GET", "/fhir/AllergyIntolerance/bob-pen", ryy, ""); r.status != 200 {
		t.Errorf("RYY's nurse, on Bob's active episode: allergy %d, want 200", r.status)
	}
	// The episode itself: her own organisation's (source): she sees it.
	if r := e.do("GET", "/fhir/EpisodeOfCare/bob-dn", ryy, ""); r.status != 200 {
		t.Errorf("RYY's nurse reads RYY's own episode: %d", r.status)
	}
	// The trust RCX's episode for Jane, explained for the social worker.
	r85bPut(t, e, e.token("system", "nhs", "RCX"), [2]string{"/fhir/EpisodeOfCare/cmht", `{"resourceType":"EpisodeOfCare","id":"cmht","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/RCX"},"type":[{"text":"R85B-CMHT"}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/EpisodeOfCare/cmht", sw, ""); r.status != 404 {
		t.Errorf("GET the trust's CMHT episode by the social worker: %d, want 404", r.status)
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/package", sw, ""); r.status != 200 {
		t.Errorf("the council's own care package by its social worker: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	x := e.do("GET", "/fhir/Patient/jane/$explain?role=social-worker&org=E06000999&sector=council", ig, "")
	i := strings.Index(x.body, `"EpisodeOfCare/cmht"`)
	if x.status != 200 || i < 0 || !strings.Contains(x.body[i:min(len(x.body), i+800)], "encounters+documents") {
		t.Errorf("$explain for the CMHT episode: %d %.400s", x.status, x.body[max(0, i):min(len(x.body), max(0, i)+800)])
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/cmht", ig, ""); r.status != 404 && r.status != 403 {
		t.Errorf("the IG officer reads a clinical episode: %d", r.status)
	}
}

// Sound: includes of and through a restricted person's Person,
// RelatedPerson and Patient release no redacted detail (address, phone,
// practice, GP) to the district nurse: Person:link, Person:patient,
// Patient←Person:link/patient revincludes, RelatedPerson:patient,
// Patient:link (another record of hers linking to her restricted one),
// Person:organization and Patient:general-practitioner. Parent: Person had
// no organization/patient/link parameters (400) for most of these.
func TestReview85bSoundPersonIncludesRedacted(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	gp := e.token("system", "nhs", "A81001")
	r85bPut(t, e, gp,
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"SECRET-PRACTICE-NAME"}`},
		[2]string{"/fhir/Person/mp", `{"resourceType":"Person","id":"mp","name":[{"family":"Doyle"}],"address":[{"line":["SECRET-PADDR"]}],"telecom":[{"system":"phone","value":"01134960777"}],"managingOrganization":{"reference":"Organization/A81001"},"link":[{"target":{"reference":"Patient/marg"}}]}`},
		[2]string{"/fhir/RelatedPerson/mrp", `{"resourceType":"RelatedPerson","id":"mrp","patient":{"reference":"Patient/marg"},"name":[{"family":"Kin"}],"address":[{"line":["SECRET-RPADDR"]}]}`},
	)
	r85bPut(t, e, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/Patient/marg-rcx", `{"resourceType":"Patient","id":"marg-rcx","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],"link":[{"other":{"reference":"Patient/marg"},"type":"seealso"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	secrets := []string{"SECRET-ADDR", "SECRET-PADDR", "SECRET-RPADDR", "01134960999", "01134960777", "SECRET-PRACTICE-NAME", "SECRET-GP-NAME", "Organization/A81001", "Practitioner/dr-secret", "LS9"}
	for _, p := range []string{
		"/fhir/Person?_id=mp&_include=Person:link",
		"/fhir/Person?_id=mp&_include=Person:patient",
		"/fhir/Person?_id=mp&_include=Person:organization",
		"/fhir/Person?link=Patient/marg",
		"/fhir/Patient?_id=marg&_revinclude=Person:link",
		"/fhir/Patient?_id=marg&_revinclude=Person:patient",
		"/fhir/Patient?_id=marg&_revinclude=RelatedPerson:patient",
		"/fhir/RelatedPerson?patient=marg&_include=RelatedPerson:patient",
		"/fhir/Patient?_id=marg-rcx&_include=Patient:link",
		"/fhir/Patient?_id=marg&_revinclude=Patient:link&_include=Patient:general-practitioner",
		"/fhir/Patient/marg-rcx/$everything",
	} {
		r := e.do("GET", p, nurse, "")
		for _, s := range secrets {
			if strings.Contains(r.body, s) {
				t.Errorf("%s: %d carries %q: %.400s", p, r.status, s, r.body)
			}
		}
	}
	// Revincludes from her practice or her GP bring her in by the redacted
	// element (the directory item itself is released, as a match).
	for _, p := range []string{
		"/fhir/Organization?_id=A81001&_revinclude=Person:organization&_revinclude=Patient:organization",
		"/fhir/Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner",
	} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || strings.Contains(r.body, `"id":"mp"`) || strings.Contains(r.body, `"id":"marg"`) {
			t.Errorf("%s: %d brings her in: %.600s", p, r.status, r.body)
		}
	}
}

// Sound (README, review 83a's rule: a provision naming an item's type or
// class names its own content's classes too): the hospital's CMHT
// episode (encounters+documents) is withheld from Jane's GP under an
// opt-out and released by a nested permit of class encounters, or of
// type EpisodeOfCare; under an opt-in a deny of documents withholds it
// (it is a clinical note now) while the council's care package (social
// care) stays released to the GP. Parent: the episode encounters only, so
// the documents deny did not reach it.
func TestReview85bSoundConsentOnNHSEpisode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r85bPut(t, e, e.token("system", "nhs", "RHX"), [2]string{"/fhir/EpisodeOfCare/cmht", `{"resourceType":"EpisodeOfCare","id":"cmht","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/RHX"},"type":[{"text":"R85B-CMHT"}]}`})
	gpSys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/EpisodeOfCare/cmht", gp, ""); r.status != 200 {
		t.Fatalf("premise: the GP reads the episode: %d", r.status)
	}
	for i, c := range []struct {
		rule, prov string
		want       int
	}{
		{"OPTOUT", ``, 404},
		{"OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","class":[{"system":"https://carex.example/data-class","code":"encounters"}]}]}`, 200},
		{"OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","class":[{"system":"http://hl7.org/fhir/resource-types","code":"EpisodeOfCare"}]}]}`, 200},
		{"OPTIN", `,"provision":{"type":"permit","provision":[{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"documents"}]}]}`, 404},
	} {
		id := "r85b-e" + string(rune('1'+i))
		r85bPut(t, e, gpSys, [2]string{"/fhir/Consent/" + id, janeConsent(id, "2026-11-0"+string(rune('1'+i)), c.rule, c.prov)})
		if r := e.do("GET", "/fhir/EpisodeOfCare/cmht", gp, ""); r.status != c.want {
			t.Errorf("consent %d %s%s: GET EpisodeOfCare/cmht by the GP: %d, want %d", i, c.rule, c.prov, r.status, c.want)
		}
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/package", gp, ""); r.status != 200 {
		t.Errorf("under the documents deny, the council's care package by the GP: %d, want 200", r.status)
	}
}

// Sound: a council whose org code is not GSS-shaped ("LEEDSCC") still
// reads its own care package (source: SPEC §5 "A source organisation
// always sees the data it recorded") though it is classed as an NHS
// episode (encounters+documents) — which is why the district nurse, who
// sees neither class, gets 404 (as with the parent, where it was
// encounters). README (Flag paragraph) states carex knows a council by
// its GSS code.
func TestReview85bSoundNonGSSCouncilOwnPackage(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r85bPut(t, e, e.token("system", "council", "LEEDSCC"), [2]string{"/fhir/EpisodeOfCare/lpkg", `{"resourceType":"EpisodeOfCare","id":"lpkg","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/LEEDSCC"},"type":[{"text":"R85B-LEEDS-PACKAGE"}]}`})
	if r := e.do("GET", "/fhir/EpisodeOfCare/lpkg", e.token("social-worker", "council", "LEEDSCC"), ""); r.status != 200 {
		t.Errorf("LEEDSCC's social worker reads its own package: %d", r.status)
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/lpkg", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("the nurse reads LEEDSCC's package: %d (parent: 404)", r.status)
	}
}
