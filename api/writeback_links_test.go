package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestMaskedLinksInsideAttachmentAreNotWrittenBack: a narrative or
// markdown link naming a withheld item is masked inside the FHIR JSON an
// attachment carries too, but the 409 that stops a masked copy being
// written back counted such links only in the resource itself. The
// hospital clinician's copy of her organisation's document, carrying a
// care plan whose narrative links to the GP's HIV diagnosis, or whose note
// does, was stored with the link masked, losing it for everyone.
func TestMaskedLinksInsideAttachmentAreNotWrittenBack(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for name, plan := range map[string]string{
		"narrative": `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Plan for <a href=\"Condition/hiv\">the diagnosis</a></div>"}}`,
		"markdown":  `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"note":[{"text":"Plan for [the diagnosis](Condition/hiv)"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			id := "wb-links-" + name
			doc := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","description":"HOSP-DOC","subject":{"reference":"Patient/jane"},
				"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(plan)) + `"}}]}`
			e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/" + id, doc})
			r := e.do("GET", "/fhir/DocumentReference/"+id, clin, "")
			data := attachedData14c(t, r.body)
			if r.status != 200 || !strings.Contains(data, "#(masked)") || strings.Contains(data, "Condition/hiv") {
				t.Fatalf("the premise: her copy masks the link inside the data: %d %s", r.status, data)
			}
			edited := strings.Replace(r.body, "HOSP-DOC", "HOSP-DOC-EDITED", 1)
			if w := e.do("PUT", "/fhir/DocumentReference/"+id, clin, edited); w.status != 409 {
				t.Errorf("writing back a link masked inside the data: %d %.300s, want 409", w.status, w.body)
			}
			if r := e.do("GET", "/fhir/DocumentReference/"+id, hospSys, ""); !strings.Contains(attachedData14c(t, r.body), "Condition/hiv") || strings.Contains(r.body, "EDITED") {
				t.Errorf("the stored document changed: %s", r.body)
			}
			if w := e.do("PUT", "/fhir/DocumentReference/"+id, hospSys, strings.Replace(doc, "HOSP-DOC", "HOSP-DOC-2", 1)); w.status != 200 {
				t.Errorf("the system's update: %d %s", w.status, w.body)
			}
		})
	}
}
