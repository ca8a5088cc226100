package api_test

// Fix 40a: the other readers of eachBase64Run (the label text net, the
// restricted person's unread data) get base64 wrapped and indented, as a
// pretty-printed XML document has it (review 40a F1).

import (
	"strings"
	"testing"
)

// xmlBinaryWrapped40a is a FHIR XML Binary whose <data value> is doc in
// base64 wrapped at n characters a line and indented (wrap40a).
func xmlBinaryWrapped40a(ct, doc string, n int) string {
	return `<Binary xmlns="http://hl7.org/fhir">
  <contentType value="` + ct + `"/>
  <data value="` + wrap40a(doc, n) + `"/>
</Binary>`
}

// TestFix40aHIVCodeInWrappedBase64InsideXML: Jane's letter, FHIR XML,
// whose Binary's <data value> is a Condition coding HIV (86406008) as
// FHIR XML, its base64 wrapped and indented: labelled as the same
// Condition on one line is, so withheld from the hospital clinician RHX.
func TestFix40aHIVCodeInWrappedBase64InsideXML(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cond := `<Condition xmlns="http://hl7.org/fhir"><clinicalStatus><coding><system value="http://terminology.hl7.org/CodeSystem/condition-clinical"/><code value="active"/></coding></clinicalStatus><code><coding><system value="http://snomed.info/sct"/><code value="86406008"/></coding></code><subject><reference value="Patient/jane"/></subject></Condition>`
	if st := r26aLetter(t, e, "f40a-hiv-oneline", `{"contentType":"application/fhir+xml","data":"`+b64r31a(r33aXMLBinary("application/fhir+xml", cond))+`"}`, ""); st != 404 {
		t.Fatalf("premise: one line: RHX reads the letter: %d, want 404", st)
	}
	for _, n := range []int{60, 64, 76} {
		id := "f40a-hiv-wrap" + itoa40a(n)
		if st := r26aLetter(t, e, id, `{"contentType":"application/fhir+xml","data":"`+b64r31a(xmlBinaryWrapped40a("application/fhir+xml", cond, n))+`"}`, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET %s (HIV Condition in base64 wrapped at %d and indented inside XML) -> %d, want 404 (labelled)", id, n, st)
		}
	}
}

// TestFix40aHerPatientInWrappedBase64InsideXML: r21's (restricted)
// Patient as FHIR XML in a Binary's <data value>, its base64 wrapped and
// indented, in her own letter and in Jane's (with her NHS number): not
// released whole to the hospital clinician RHX, as on one line
// (TestReview33aHerPatientInBase64InsideXML).
func TestFix40aHerPatientInWrappedBase64InsideXML(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, c := range []struct{ name, person, doc string }{
		{"her-own", "r21", r32aHerPatientXML},
		{"janes", "jane", r33aHerPatientXMLNHS},
	} {
		for _, n := range []int{60, 76} {
			id := "f40a-wrap-" + c.name + "-" + itoa40a(n)
			data := b64r31a(xmlBinaryWrapped40a("application/fhir+xml", c.doc, n))
			e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/` + c.person + `"},
		"type":{"text":"F40A-LETTER"},"content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + data + `"}}]}`})
			r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
			if r.status != 200 {
				t.Errorf("%s: premise: RHX reads the letter: %d %.200s", id, r.status, r.body)
				continue
			}
			if strings.Contains(r.body, data) {
				t.Errorf("%s: the hospital clinician RHX reads %s's letter carrying r21's (restricted) Patient in base64 wrapped at %d and indented, whole", id, c.person, n)
			}
		}
	}
}

// TestFix40aLabelFromJSONUnderOtherMediaType: Jane's letter whose
// attachment, typed text/plain or application/octet-stream, is a
// Condition as FHIR JSON labelled HIV in its meta.security (no code the
// text net reads): labelled as typed application/fhir+json, so withheld
// from the hospital clinician RHX (review 40a F3, the labels' reading).
func TestFix40aLabelFromJSONUnderOtherMediaType(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cond := `{"resourceType":"Condition","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"F40A-CONDITION"}}`
	if st := r26aLetter(t, e, "f40a-lab-json", `{"contentType":"application/fhir+json","data":"`+b64r31a(cond)+`"}`, ""); st != 404 {
		t.Fatalf("premise: typed application/fhir+json: RHX reads the letter: %d, want 404", st)
	}
	for i, ct := range []string{"text/plain", "application/octet-stream"} {
		id := "f40a-lab-" + itoa40a(i)
		if st := r26aLetter(t, e, id, `{"contentType":"`+ct+`","data":"`+b64r31a(cond)+`"}`, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET %s (an HIV-labelled Condition as FHIR JSON typed %s) -> %d, want 404 (labelled)", id, ct, st)
		}
	}
}
