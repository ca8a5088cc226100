package api_test

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// Review 88c: second re-read of 837008d (messages dated by sent/received)
// and 01bd365 (an addressed message is read by its addressee only when its
// own class is other and it carries no one's data; urn:carex: codings
// never taken from a writer). Parents for differentials: cbe0c51 (the
// addressee rule before 88a's fixes) and 78ccab2 (before the rule).

func r88cMsg(id, body string) [2]string {
	return [2]string{"/fhir/Communication/" + id, `{"resourceType":"Communication","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},` +
		`"recipient":[{"reference":"Organization/RCX"}]` + body + `}`}
}

const r88cXMLLab = `<Observation xmlns="http://hl7.org/fhir"><id value="xlab"/><status value="final"/>` +
	`<category><coding><system value="http://terminology.hl7.org/CodeSystem/observation-category"/><code value="laboratory"/></coding></category>` +
	`<code><coding><system value="http://loinc.org"/><code value="2823-3"/></coding><text value="XML-LAB-POTASSIUM"/></code>` +
	`<subject><reference value="Patient/jane"/></subject><valueQuantity><value value="6.8"/><unit value="mmol/L"/></valueQuantity></Observation>`

// TestReview88cXMLCarriedLabReachesNurse: the hospital's message to the
// district nurses' trust (RCX) carrying a laboratory Observation written
// as FHIR XML — in a contentAttachment (application/fhir+xml), and as the
// contentString itself. carriesData (api/rest.go) looks only at the
// resources innerResources found (contained, or FHIR JSON in an
// attachment or a string); FHIR XML is read for codes and carried-item ids
// (xmlCarriedItems) but not as a resource, so the message "carries no
// one's data", gets the addressee code, and its class (other) is waived:
// the nurse reads the lab result. README: "only when it carries no one's
// data (a contained resource or FHIR JSON in an attachment that is
// someone's data ...: a message that carries any is decided by its
// classes"), and README's reading of attachments: "FHIR XML whose root
// element is in FHIR's namespace ... is read as attached content is";
// SPEC §1 (the nurse's needs exclude lab results), §5 layer 1. The same
// lab result as FHIR JSON is withheld (88a's fhattached), so the form of
// the carried copy decides. Severity: leak of a withheld item (a lab
// result) to a role that may not see it. Parents: 78ccab2 404 (no
// addressee rule), cbe0c51 200 (same leak).
func TestReview88cXMLCarriedLabReachesNurse(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		r88cMsg("xmlatt", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+xml","data":"`+b64(r88cXMLLab)+`"}}]`),
		r88cMsg("xmlstr", `,"payload":[{"contentString":"`+strings.ReplaceAll(r88cXMLLab, `"`, `\"`)+`"}]`),
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, id := range []string{"xmlatt", "xmlstr"} {
		if r := e.do("GET", "/fhir/Communication/"+id, nurse, ""); r.status != 404 {
			t.Errorf("district nurse reads Communication/%s carrying a lab result as FHIR XML: %d %.200s (want 404)", id, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if strings.Contains(r.body, "XML-LAB-POTASSIUM") || strings.Contains(r.body, b64(r88cXMLLab)) {
		t.Errorf("district nurse's $everything holds the XML lab result")
	}
	// The social worker is not a reads-addressed role: control.
	if r := e.do("GET", "/fhir/Communication/xmlatt", e.token("social-worker", "council", "E06000999"), ""); r.status != 404 {
		t.Errorf("social worker reads xmlatt: %d", r.status)
	}
}

// TestReview88cXMLCarriedOtherPatient: the message about Jane to RCX
// carries, as FHIR XML, another person's record (a Patient with an NHS
// number and a Condition of hers). As FHIR JSON it carries data (a Patient
// is demographics, a Condition problems: carriesData is true and the
// message is decided by its classes and its people); as XML neither is
// read: no class, no person, so the nurse reads another person's
// identity and diagnosis through Jane's relationship. SPEC §5 layer 2
// (relationship with each person whose data it is). Severity: leak of
// personal data of a person RCX has no relationship with. Parents:
// 78ccab2 404, cbe0c51 200.
func TestReview88cXMLCarriedOtherPatient(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	other := `<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>` +
		`<entry><resource><Patient><id value="other88c"/><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></identifier><name><family value="OTHERPERSON88C"/></name></Patient></resource></entry>` +
		`<entry><resource><Condition><id value="oc"/><subject><reference value="Patient/other88c"/></subject><code><text value="OTHER-PERSON-DIAGNOSIS"/></code></Condition></resource></entry></Bundle>`
	e.putAll(t, hosp, r88cMsg("xmlother", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+xml","data":"`+b64(other)+`"}}]`))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Communication/xmlother", nurse, ""); r.status != 404 {
		t.Errorf("district nurse reads a message carrying another person's record as FHIR XML: %d (want 404)", r.status)
	}
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, hosp, r88cMsg("jsonother", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+json","data":"`+b64(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"other88c","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}},{"resource":{"resourceType":"Condition","id":"oc","subject":{"reference":"Patient/other88c"},"code":{"text":"OTHER-PERSON-DIAGNOSIS"}}}]}`)+`"}}]`))
	t.Logf("Jane's GP reads the XML form: %d, the JSON form: %d (pre-existing for her if they differ)",
		e.do("GET", "/fhir/Communication/xmlother", gp, "").status, e.do("GET", "/fhir/Communication/jsonother", gp, "").status)
}

// TestReview88cSoundCarriedForms: forms of carried data that carriesData
// does catch (each withheld from the nurse it is sent to), and forms that
// carry none (read by her):
//   - a nested Communication (FHIR JSON in an attachment: contained in
//     contained is refused, dom-2) that itself contains a lab result;
//   - a Bundle (collection) in an application/json attachment whose entry
//     is a lab result; FHIR JSON in a text/plain attachment; FHIR JSON in
//     an attachment's data: url;
//   - a contained Patient of another person (demographics);
//   - a contained Organization typed with the HIV SNOMED code (labelled);
//   - a contained Questionnaire with no codes (a definition: read, 200);
//   - a contentAttachment.url naming Binary/x, whose content is an HIV
//     letter: the message is read and the url does not leak the letter.
func TestReview88cSoundCarriedForms(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	lab := `{"resourceType":"Observation","id":"lab","status":"final","subject":{"reference":"Patient/jane"},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"CARRIED-LAB-88C"},"valueQuantity":{"value":6.8}}`
	nested := `{"resourceType":"Communication","id":"inner","status":"completed","subject":{"reference":"Patient/jane"},"contained":[` + lab + `],"payload":[{"contentReference":{"reference":"#lab"}}]}`
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + lab + `}]}`
	e.putAll(t, hosp,
		[2]string{"/fhir/Binary/x", `{"resourceType":"Binary","id":"x","contentType":"text/plain","securityContext":{"reference":"Patient/jane"},"data":"` + b64("HIV-LETTER-88C SNOMED 86406008") + `"}`},
		r88cMsg("nested", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+json","data":"`+b64(nested)+`"}}]`),
		r88cMsg("bundleatt", `,"payload":[{"contentAttachment":{"contentType":"application/json","data":"`+b64(bundle)+`"}}]`),
		r88cMsg("plainjson", `,"payload":[{"contentAttachment":{"contentType":"text/plain","data":"`+b64(lab)+`"}}]`),
		r88cMsg("dataurl", `,"payload":[{"contentAttachment":{"url":"data:application/fhir+json;base64,`+b64(lab)+`"}}]`),
		r88cMsg("otherpt", `,"contained":[{"resourceType":"Patient","id":"p","name":[{"family":"OTHERPT88C"}]}],"payload":[{"contentString":"see #p"}]`),
		r88cMsg("hivorg", `,"contained":[{"resourceType":"Organization","id":"o","name":"Clinic","type":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]}],"sender":{"reference":"#o"},"payload":[{"contentString":"MSG-HIVORG"}]`),
		r88cMsg("quest", `,"contained":[{"resourceType":"Questionnaire","id":"q","status":"active","item":[{"linkId":"1","text":"How are you?","type":"string"}]}],"payload":[{"contentString":"MSG-QUEST"}]`),
		r88cMsg("binurl", `,"payload":[{"contentString":"MSG-BINURL"},{"contentAttachment":{"contentType":"text/plain","url":"Binary/x"}}]`),
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	want := map[string]int{"nested": 404, "bundleatt": 404, "plainjson": 404, "dataurl": 404, "otherpt": 404, "hivorg": 404, "quest": 200, "binurl": 404} // (binurl: an attachment by url alone is not read, so the message is decided by its class, other, since the fix of review 88c)
	for id, w := range want {
		r := e.do("GET", "/fhir/Communication/"+id, nurse, "")
		if r.status != w {
			t.Errorf("nurse reads %s: %d, want %d", id, r.status, w)
		}
		if strings.Contains(r.body, "HIV-LETTER-88C") || strings.Contains(r.body, "CARRIED-LAB-88C") {
			t.Errorf("nurse's read of %s holds withheld content: %.300s", id, r.body)
		}
		if id == "binurl" {
			t.Logf("binurl as the nurse reads it: %.400s", r.body)
		}
	}
	if r := e.do("GET", "/fhir/Binary/x", nurse, ""); r.status != 404 {
		t.Errorf("nurse reads Binary/x: %d", r.status)
	}
}

// TestReview88cSoundDatesAndOthers: dating by sent/received and who else
// reads an addressed message:
//   - OPTOUT with a permit of 2020's data: the nurse reads the message
//     sent in 2020, not the one sent in 2016, nor one sent 2016 and
//     received 2020 (partly outside the permit), nor an undated one; the
//     social worker (not a reads-addressed role) reads none, the permit
//     notwithstanding;
//   - a sent without a zone is refused or read so that the deny/permit
//     still decides (never released as undated by a permit);
//   - RCX's client system and IG officer read none;
//   - Communication?sent= finds by date only what she may read.
func TestReview88cSoundDatesAndOthers(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	msg := func(id, dates string) [2]string {
		return r88cMsg(id, dates+`,"payload":[{"contentString":"MSG-`+strings.ToUpper(id)+`"}]`)
	}
	e.putAll(t, hosp,
		msg("s2020", `,"sent":"2020-03-01T10:00:00Z"`),
		msg("s2016", `,"sent":"2016-03-01T10:00:00Z"`),
		msg("span", `,"sent":"2016-03-01T10:00:00Z","received":"2020-03-01T10:00:00Z"`),
		msg("rcv2020", `,"received":"2020-03-02T10:00:00Z"`),
		msg("undated", ``),
		msg("future", `,"sent":"2099-03-01T10:00:00Z"`),
	)
	nozone := e.do("PUT", "/fhir/Communication/nozone", hosp, msg("nozone", `,"sent":"2016-03-01T10:00:00"`)[1])
	t.Logf("sent without zone: %d", nozone.status)
	permit := janeConsent("jane-2020", "2026-01-10", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"start":"2020-01-01","end":"2020-12-31"}}]}`)
	if r := e.do("PUT", "/fhir/Consent/jane-2020", e.token("system", "nhs", "A81001"), permit); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	want := map[string]int{"s2020": 200, "s2016": 404, "span": 404, "rcv2020": 200, "undated": 404, "future": 404}
	if nozone.status < 300 {
		want["nozone"] = 404
	}
	for id, w := range want {
		if r := e.do("GET", "/fhir/Communication/"+id, nurse, ""); r.status != w {
			t.Errorf("nurse reads %s under a permit of 2020: %d, want %d", id, r.status, w)
		}
	}
	for who, tok := range map[string]string{"social worker": e.token("social-worker", "council", "E06000999"), "RCX system": e.token("system", "nhs", "RCX"), "RCX IG officer": e.token("ig-officer", "nhs", "RCX")} {
		if r := e.do("GET", "/fhir/Communication/s2020", tok, ""); r.status != 404 && r.status != 403 {
			t.Errorf("%s reads s2020: %d", who, r.status)
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); strings.Contains(r.body, "MSG-S2020") {
			t.Errorf("%s's $everything holds s2020", who)
		}
	}
	r := e.do("GET", "/fhir/Communication?patient=jane&sent=ge2016-01-01", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "MSG-S2020") || strings.Contains(r.body, "MSG-S2016") || strings.Contains(r.body, "MSG-SPAN") {
		t.Errorf("search by sent: %d %.400s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything?start=2016-01-01&end=2016-12-31", nurse, "")
	if strings.Contains(r.body, "MSG-S2016") || strings.Contains(r.body, "MSG-SPAN") {
		t.Errorf("$everything of 2016 holds a denied message: %.400s", r.body)
	}
}

// TestReview88cGzipCarriedLab: the message to RCX carries the lab result
// as FHIR JSON declared application/fhir+json but gzip-compressed (a
// Content-Encoding a feed may keep). attachmentText does not inflate it
// and binaryFormat passes it over, so no resource is found: carriesData is
// false and the nurse reads the (compressed) lab result. README: a message
// "that carries any [someone's data] is decided by its classes"; an
// attachment carex cannot read is not shown to carry nothing. Severity:
// leak of a withheld item (any client inflates it). Parents: 78ccab2 404,
// cbe0c51 200. Logged: whether the GP (who reads every class) gets it, a
// carried HIV code unread (pre-existing for her).
func TestReview88cGzipCarriedLab(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"resourceType":"Observation","id":"lab","status":"final","subject":{"reference":"Patient/jane"},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GZ-LAB"}}`))
	zw.Close()
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, r88cMsg("gz", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+json","data":"`+b64(buf.String())+`"}}]`))
	if r := e.do("GET", "/fhir/Communication/gz", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("district nurse reads a message carrying gzip-compressed FHIR JSON (a lab result, HIV-coded): %d (want 404)", r.status)
	}
	t.Logf("GP reads it: %d", e.do("GET", "/fhir/Communication/gz", e.token("gp", "nhs", "A81001"), "").status)
}

// TestReview88cSoundLogCarriedStoredPerson: as TestReview88cXMLCarriedOtherPatient
// with a person carex holds (Bob, registered at another practice, no
// relationship with A81001 or RCX): the message about Jane carries Bob's
// Condition as FHIR JSON (jsonbob) and as FHIR XML (xmlbob). Logged only:
// who reads each (the XML form's people are not read, for any reader).
func TestReview88cSoundLogCarriedStoredPerson(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`})
	cj := `{"resourceType":"Condition","id":"bc","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-DIAGNOSIS"}}`
	cx := `<Condition xmlns="http://hl7.org/fhir"><id value="bc"/><subject><reference value="Patient/bob"/></subject><code><text value="BOB-DIAGNOSIS"/></code></Condition>`
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		r88cMsg("jsonbob", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+json","data":"`+b64(cj)+`"}}]`),
		r88cMsg("xmlbob", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+xml","data":"`+b64(cx)+`"}}]`),
	)
	for who, tok := range map[string]string{"Jane's GP": e.token("gp", "nhs", "A81001"), "RCX nurse": e.token("district-nurse", "nhs", "RCX")} {
		t.Logf("%s reads jsonbob: %d, xmlbob: %d", who, e.do("GET", "/fhir/Communication/jsonbob", tok, "").status, e.do("GET", "/fhir/Communication/xmlbob", tok, "").status)
	}
}

// TestReview88cSoundInstanceDenyOfCarriedCopy: urn:carex:carried-item is
// still derived after 01bd365 strips writers' urn:carex: codings: Jane's
// deny of Condition/diabetes to RCX withholds the hospital's message to
// RCX carrying a copy of it as FHIR JSON (in a Bundle) and as FHIR XML;
// a writer's own urn:carex:carried-item coding naming another item is
// ignored (the message naming none is read).
func TestReview88cSoundInstanceDenyOfCarriedCopy(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	deny := janeConsent("jane-no-diab", "2026-01-10", "OPTIN", `,"provision":{"type":"permit","provision":[{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}],"data":[{"meaning":"instance","reference":{"reference":"Condition/diabetes"}}]}]}`)
	if r := e.do("PUT", "/fhir/Consent/jane-no-diab", e.token("system", "nhs", "A81001"), deny); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	cj := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"Condition/diabetes","resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"DIAB-COPY"}}}]}`
	cx := `<Condition xmlns="http://hl7.org/fhir"><id value="diabetes"/><subject><reference value="Patient/jane"/></subject><code><text value="DIAB-COPY"/></code></Condition>`
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		r88cMsg("jsoncopy", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+json","data":"`+b64(cj)+`"}}]`),
		r88cMsg("xmlcopy", `,"payload":[{"contentAttachment":{"contentType":"application/fhir+xml","data":"`+b64(cx)+`"}}]`),
		r88cMsg("spoofcarried", `,"meta":{"tag":[{"system":"urn:carex:carried-item","code":"Condition/diabetes"}]},"payload":[{"contentString":"MSG-SPOOFCARRIED"}]`),
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for id, w := range map[string]int{"jsoncopy": 404, "xmlcopy": 404, "spoofcarried": 200} {
		if r := e.do("GET", "/fhir/Communication/"+id, nurse, ""); r.status != w {
			t.Errorf("nurse reads %s: %d, want %d", id, r.status, w)
		}
	}
}

// TestReview88cFreeTextHIVCodeReachesNurse: an HIV SNOMED CT concept id
// (86406008) written in a message's contentString, its note and its
// narrative (text.div), each message sent to RCX. The same words in a
// text/plain attachment are labelled HIV (TextLabels; 88a's hivtext:
// 404), but strings in the resource are not scanned, so each reaches the
// district nurse unlabelled. Before the addressee rule only the roles that
// see every class (and the source) read an NHS message; now the nurse
// does. SPEC §5 layer 4: labels "derived by carex on the way in from
// configured code lists"; README (TextLabels): for data carex cannot read
// as FHIR, "the ids it holds are the codes it may carry". Severity:
// leak of sensitive (HIV) content to a role newly reached — judgement
// call: README leaves free text "as written" and chose that an NHS
// message's text may hold anything a message says (why the social worker
// is not listed). A link in the narrative to Condition/hiv is masked
// (sound); another person's NHS number in the text is logged (no rule
// names it). Parents: 78ccab2 404 (the nurse read no NHS message),
// cbe0c51 200.
func TestReview88cFreeTextHIVCodeReachesNurse(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		r88cMsg("hivstr", `,"payload":[{"contentString":"Diagnosis: SNOMED 86406008 confirmed"}]`),
		r88cMsg("hivnote", `,"payload":[{"contentString":"MSG-HIVNOTE"}],"note":[{"text":"Diagnosis: SNOMED 86406008 confirmed"}]`),
		r88cMsg("hivdiv", `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Diagnosis: SNOMED 86406008</div>"},"payload":[{"contentString":"MSG-HIVDIV"}]`),
		r88cMsg("hivlink", `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"Condition/hiv\">see</a></div>"},"payload":[{"contentString":"MSG-HIVLINK"}]`),
		r88cMsg("nhsno", `,"payload":[{"contentString":"MSG-NHSNO neighbour 943 476 5919 also seen"}]`),
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, id := range []string{"hivstr", "hivnote", "hivdiv"} {
		if r := e.do("GET", "/fhir/Communication/"+id, nurse, ""); r.status != 404 {
			t.Errorf("nurse reads %s (HIV code in its text): %d, want 404", id, r.status)
		}
	}
	r := e.do("GET", "/fhir/Communication/hivlink", nurse, "")
	if r.status == 200 && strings.Contains(r.body, "Condition/hiv") {
		t.Errorf("nurse sees the narrative link to Condition/hiv: %.400s", r.body)
	}
	t.Logf("hivlink: %d; nhsno: %d", r.status, e.do("GET", "/fhir/Communication/nhsno", nurse, "").status)
}
