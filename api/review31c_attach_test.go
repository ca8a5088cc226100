package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview31cAssistedFertilisationInANonJSONAttachment: the GP's letter
// (DocumentReference) carries, as its attachment, the IVF procedure
// (SNOMED 52637005, in the policy's assisted-fertilisation list: HFEA,
// legally restricted) written as FHIR XML, as FHIR JSON sent as
// text/plain, and as a CDA entry. SPEC §5.5: break-glass never releases
// what the policy marks as legally restricted; §5.4: labelled data goes to
// its source alone. Neither a break-glass clinician nor the hospital
// clinician with a relationship may read the procedure by the letter.
func TestReview31cAssistedFertilisationInANonJSONAttachment(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	forms := map[string][2]string{
		"fhir-xml":     {"application/fhir+xml", `<Procedure xmlns="http://hl7.org/fhir"><status value="completed"/><code><coding><system value="http://snomed.info/sct"/><code value="52637005"/></coding><text value="R31C-IVF-XML"/></code><subject><reference value="Patient/jane"/></subject></Procedure>`},
		"json-as-text": {"text/plain", `{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"R31C-IVF-TEXT"}}`},
		"cda":          {"application/xml", `<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section><entry><procedure classCode="PROC" moodCode="EVN"><code code="52637005" codeSystem="2.16.840.1.113883.6.96" displayName="R31C-IVF-CDA"/></procedure></entry></section></component></structuredBody></component></ClinicalDocument>`},
	}
	for name, f := range forms {
		body := `{"resourceType":"DocumentReference","id":"r31c-doc-` + name + `","status":"current","subject":{"reference":"Patient/jane"},"description":"R31C-LETTER",
		  "content":[{"attachment":{"contentType":"` + f[0] + `","data":"` + base64Std21a(f[1]) + `"}}]}`
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r31c-doc-" + name, body})
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ae-xml" })
	hosp := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r31c-hosp-xml" })
	for who, q := range map[string][]string{"break-glass clinician": {"X-Break-Glass", "EMERGENCY: collapsed in ED, no history available"}, "hospital clinician (relationship)": nil} {
		tok := hosp
		if q != nil {
			tok = ae
		}
		for _, p := range []string{"/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, tok, "", q...)
			if r.status != 200 {
				t.Errorf("%s GET %s: %d %.200s", who, p, r.status, r.body)
				continue
			}
			for name, f := range forms {
				if strings.Contains(r.body, base64Std21a(f[1])) {
					t.Errorf("%s GET %s releases the IVF procedure (%s, HFEA: legally restricted) in the letter's attachment", who, p, name)
				}
			}
		}
	}
}

// TestReview31cSoundOrdinaryXMLLetterStillShared: an XML letter whose
// numbers name no listed concept (an NHS number, a date, a SNOMED id
// not on the lists) is not labelled by them: the hospital clinician with a
// relationship reads it, and the practice reads its own IVF letters.
func TestReview31cSoundOrdinaryXMLLetterStillShared(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	xml := `<Procedure xmlns="http://hl7.org/fhir"><code><coding><system value="http://snomed.info/sct"/><code value="80146002"/></coding></code><note><text value="NHS 9434765919 on 20150601"/></note></Procedure>`
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r31c-plain", `{"resourceType":"DocumentReference","id":"r31c-plain","status":"current","subject":{"reference":"Patient/jane"},
	  "content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + base64Std21a(xml) + `"}}]}`},
		[2]string{"/fhir/DocumentReference/r31c-ivf", `{"resourceType":"DocumentReference","id":"r31c-ivf","status":"current","subject":{"reference":"Patient/jane"},
	  "content":[{"attachment":{"contentType":"application/xml","data":"` + base64Std21a(`<code code="52637005"/>`) + `"}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r31c-hosp-plain" })
	if r := e.do("GET", "/fhir/DocumentReference/r31c-plain", hosp, ""); r.status != 200 || !strings.Contains(r.body, base64Std21a(xml)) {
		t.Errorf("an ordinary XML letter: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference/r31c-ivf", hosp, ""); r.status != 404 {
		t.Errorf("the IVF letter to another organisation: %d", r.status)
	}
	if r := e.do("GET", "/fhir/DocumentReference/r31c-ivf", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Errorf("the practice reads its own IVF letter: %d", r.status)
	}
}
