package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview14cMaskedInsideAttachmentIsNotWrittenBack: since references
// inside FHIR JSON an attachment carries are masked (review 14c), a
// hospital clinician's copy of her organisation's document carrying a care
// plan that addresses the GP's HIV diagnosis holds the mask inside its
// data. An update carrying more masked references than the version it
// replaces is refused (409), but the masks inside an attachment's data
// were not counted: writing her copy back stored the mask in place of the
// reference and lost the link for everyone, with no one told. It is now
// refused as a masked reference elsewhere is; her organisation's system,
// which reads the document whole, updates it.
func TestReview14cMaskedInsideAttachmentIsNotWrittenBack(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	plan := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv","display":"HIV"}]}`
	doc := `{"resourceType":"DocumentReference","id":"clinic-doc","status":"current","description":"HOSP-DOC","subject":{"reference":"Patient/jane"},
		"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(plan)) + `"}}]}`
	hospSys := e.token("system", "nhs", "RHX")
	e.putAll(t, hospSys, [2]string{"/fhir/DocumentReference/clinic-doc", doc})
	clin := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/DocumentReference/clinic-doc", clin, "")
	if r.status != 200 || !strings.Contains(attachedData14c(t, r.body), `"masked"`) {
		t.Fatalf("the premise: her copy masks the reference inside the data: %d %s", r.status, r.body)
	}
	edited := strings.Replace(r.body, "HOSP-DOC", "HOSP-DOC-EDITED", 1)
	if w := e.do("PUT", "/fhir/DocumentReference/clinic-doc", clin, edited); w.status != 409 {
		t.Errorf("writing back a reference masked inside the data: %d %.300s, want 409", w.status, w.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference/clinic-doc", hospSys, ""); !strings.Contains(attachedData14c(t, r.body), "Condition/hiv") || strings.Contains(r.body, "EDITED") {
		t.Errorf("the stored document changed: %s", r.body)
	}
	if w := e.do("PUT", "/fhir/DocumentReference/clinic-doc", hospSys, strings.Replace(doc, "HOSP-DOC", "HOSP-DOC-2", 1)); w.status != 200 {
		t.Errorf("the system's update: %d %s", w.status, w.body)
	}
}
