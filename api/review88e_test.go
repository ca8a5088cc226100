package api_test

import (
	"strings"
	"testing"
)

// Review 88e: re-read of 453aaa5 and 6e3f036 (an addressed message is read
// by its addressee only when it is words alone: plainMessage, plainWords,
// messageTexts). Parents for differentials: c4e145b (before 6e3f036 and
// 453aaa5) and 78ccab2 (before the addressee rule). Helpers r88eMsg,
// r88eB64, r88eJSONStr, r88eXMLLabNoID, r88eV2Lab: review88d_test.go.

// (r88cMsg: review88c_test.go; r88dB64, r88dJSONStr: review88d_test.go)

// a laboratory result as FHIR XML with no <id>
const r88eXMLLabNoID = `<Observation xmlns="http://hl7.org/fhir"><status value="final"/>` +
	`<category><coding><system value="http://terminology.hl7.org/CodeSystem/observation-category"/><code value="laboratory"/></coding></category>` +
	`<code><coding><system value="http://loinc.org"/><code value="2823-3"/></coding><text value="XML88E-LAB-POTASSIUM"/></code>` +
	`<subject><reference value="Patient/jane"/></subject><valueQuantity><value value="6.8"/><unit value="mmol/L"/></valueQuantity></Observation>`

// a laboratory result as an HL7 v2 ORU^R01 message
const r88eV2Lab = "MSH|^~\\&|LAB|RHX|EPR|RCX|202603011000||ORU^R01|88E1|P|2.4\r" +
	"PID|1||9434765919^^^NHS||SMITH^JANE\r" +
	"OBR|1|||U&E^Urea and electrolytes\r" +
	"OBX|1|NM|2823-3^V2-88E-POTASSIUM^LN||6.8|mmol/L|3.5-5.3|HH|||F\r"

// r88eLabJSON is a laboratory result as FHIR JSON with no id.
const r88eLabJSON = `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2823-3"}],"text":"LAB88E-POTASSIUM"},"valueQuantity":{"value":6.8,"unit":"mmol/L"}}`

func r88eStatus(t *testing.T, e *env, tok string, ids map[string]int, typ string) {
	t.Helper()
	for id, want := range ids {
		if r := e.do("GET", "/fhir/"+typ+"/"+id, tok, ""); r.status != want {
			t.Errorf("district nurse (RCX) reads %s/%s: %d, want %d; body %.600s", typ, id, r.status, want, r.body)
		}
	}
}

// TestReview88eProseSkippedByLeadingMark: 453aaa5 reads a message's string
// for codes only when its first character is not '{', '[' or '<' (taking
// such a string for JSON or XML); 6e3f036's plainWords takes "[URGENT] …",
// "<5 ml …" and "{as before} …" for words (no quote, brace or bracket
// after the '{' or '[', no letter after the '<'). So a message to RCX whose
// words begin so and write Jane's HIV code ("SNOMED 86406008", the form
// review 88c showed is labelled) is neither read for codes nor withheld as
// structured: unlabelled and addressed, the district nurse reads it.
// Control "ctl": the same words without the leading mark: 404 (88c).
// README: "A message's own words — its payload strings, notes and
// narrative — are read for codes as a plain-text attachment is (review
// 88c …)"; SPEC §5 layer 4 (labelled data only to its source). Severity:
// leak of an HIV diagnosis (sensitive-labelled) to a role/organisation
// not permitted. Parents: c4e145b 404 (every string read), 78ccab2 404.
func TestReview88eProseSkippedByLeadingMark(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	words := " HIV result confirmed today, SNOMED 86406008; please visit Tuesday."
	e.putAll(t, hosp,
		r88cMsg("ctl", `,"payload":[{"contentString":"Urgent:`+words+`"}]`),
		r88cMsg("bracket", `,"payload":[{"contentString":"[URGENT]`+words+`"}]`),
		r88cMsg("lt", `,"payload":[{"contentString":"<5 ml urine output;`+words+`"}]`),
		r88cMsg("brace", `,"payload":[{"contentString":"{as discussed}`+words+`"}]`),
		r88cMsg("note", `,"payload":[{"contentString":"see note"}],"note":[{"text":"[URGENT]`+words+`"}]`),
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r88eStatus(t, e, nurse, map[string]int{"ctl": 404, "bracket": 404, "lt": 404, "brace": 404, "note": 404}, "Communication")
}

// TestReview88eSoundOrdinaryNursing: ordinary messages the brief names
// still reach the nurse: "BP 150/90, temp 37.8, dressing {as before}",
// "<5 ml", a bullet list, a CommunicationRequest with a plain note; and
// forms that are caught: JSON whose first '{' is followed by a space, a
// newline and then a quote; a CommunicationRequest with a contentAttachment
// (text/plain); reasonCode coded HIV (labelled from its code).
func TestReview88eSoundOrdinaryNursing(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	spaced := strings.Replace(r88eLabJSON, `{"resourceType"`, "{ \n\"resourceType\"", 1)
	e.putAll(t, hosp,
		r88cMsg("visit", `,"payload":[{"contentString":"Please visit: BP 150/90, temp 37.8, dressing {as before}"}]`),
		r88cMsg("lt5", `,"payload":[{"contentString":"Output <5 ml/hr overnight, please review catheter."}]`),
		r88cMsg("bullets", `,"payload":[{"contentString":"Plan:\n- dressing change Mon/Thu\n* check pressure areas\n• BP weekly"}]`),
		r88cMsg("spaced", `,"payload":[{"contentString":"`+r88dJSONStr(spaced)+`"}]`),
		r88cMsg("reasonhiv", `,"reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}],"payload":[{"contentString":"please visit"}]`),
	)
	e.putAll(t, hosp,
		[2]string{"/fhir/CommunicationRequest/plainreq", `{"resourceType":"CommunicationRequest","id":"plainreq","status":"active","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentString":"Please visit Jane on Tuesday."}],"note":[{"text":"Key safe 1234"}]}`},
		[2]string{"/fhir/CommunicationRequest/attreq", `{"resourceType":"CommunicationRequest","id":"attreq","status":"active","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentAttachment":{"contentType":"text/plain","data":"` + r88dB64("Please visit Jane") + `"}}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r88eStatus(t, e, nurse, map[string]int{"visit": 200, "lt5": 200, "bullets": 200, "spaced": 404, "reasonhiv": 404}, "Communication")
	r88eStatus(t, e, nurse, map[string]int{"plainreq": 200, "attreq": 404}, "CommunicationRequest")
}

// TestReview88eLoggedWordsForms: forms that are words to plainWords and
// carry a result or a diagnosis without a code; logged, not asserted (the
// rule's premise is that a sender's words are the message's own): YAML,
// CSV of results, a FHIR url to an
// Observation, "Observation/x" in text, Unicode look-alike brackets,
// "HIV positive" in words with no code.
func TestReview88eLoggedWordsForms(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		r88cMsg("yaml", `,"payload":[{"contentString":"resourceType: Observation\nstatus: final\ncode:\n  coding:\n  - system: http://loinc.org\n    code: 2823-3\nvalueQuantity:\n  value: 6.8\n  unit: mmol/L"}]`),
		r88cMsg("csv", `,"payload":[{"contentString":"test,value,unit\nPotassium,6.8,mmol/L\nSodium,131,mmol/L"}]`),
		r88cMsg("url", `,"payload":[{"contentString":"see https://lab.example.org/fhir/Observation/hba1c"}]`),
		r88cMsg("ref", `,"payload":[{"contentString":"see Observation/hba1c"}]`),
		r88cMsg("lookalike", `,"payload":[{"contentString":"‹Observation›‹code value＝2823-3/›‹value value＝6.8/›"}]`),
		r88cMsg("hivwords", `,"payload":[{"contentString":"Jane is HIV positive, on antiretrovirals."}]`),
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, id := range []string{"yaml", "csv", "url", "ref", "lookalike", "hivwords"} {
		r := e.do("GET", "/fhir/Communication/"+id, nurse, "")
		t.Logf("nurse reads %s: %d %.700s", id, r.status, r.body)
	}
}
