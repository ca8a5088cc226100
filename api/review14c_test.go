package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// seedHIVLetter14c: the GP practice's letter about Jane's HIV care
// (labelled from its type's code) and its content, a Binary whose
// securityContext is the letter: both withheld from the hospital.
func seedHIVLetter14c(t *testing.T, e *env) {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/DocumentReference/hivdoc", `{"resourceType":"DocumentReference","id":"hivdoc","status":"current","subject":{"reference":"Patient/jane"},
			"type":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},"content":[{"attachment":{"contentType":"text/plain","url":"Binary/hivbin"}}]}`},
		[2]string{"/fhir/Binary/hivbin", `{"resourceType":"Binary","id":"hivbin","contentType":"text/plain","securityContext":{"reference":"DocumentReference/hivdoc"},"data":"` + b64 + `"}`})
}

// TestReview14cFragmentAndSlashDoNotUnmask: a released item's reference to
// a withheld one goes out masked, and so does an attachment url naming
// withheld content (Binary/ID) — but a reference written with a fragment
// (Condition/hiv#x, which names Condition/hiv: the fragment is not part of
// what a client fetches, and carex's own search index reads it as
// Condition/hiv) went out as stored, with its display ("HIV infection") to
// the hospital clinician, from whom Jane's HIV diagnosis is withheld; an
// attachment url with a fragment or a trailing slash (Binary/hivbin#x,
// Binary/hivbin/, which the server answers as Binary/hivbin) went out too,
// and a location= search by the slashed url found the letter pointing at
// it. They are now masked and match nothing, as the plain forms are; the
// practice, their source, reads them as stored.
func TestReview14cFragmentAndSlashDoNotUnmask(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/CarePlan/hiv-plan", `{"resourceType":"CarePlan","id":"hiv-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
			"addresses":[{"reference":"Condition/hiv#frag","display":"SECRET-HIV-DISPLAY"},{"reference":"Condition/hiv/#x","display":"SECRET-HIV-DISPLAY2"}]}`},
		[2]string{"/fhir/DocumentReference/covering", `{"resourceType":"DocumentReference","id":"covering","status":"current","subject":{"reference":"Patient/jane"},"content":[
			{"attachment":{"url":"Binary/hivbin#page=2","title":"first"}},
			{"attachment":{"url":"Binary/hivbin/","title":"second"}},
			{"attachment":{"url":"https://carex.example/fhir/Binary/hivbin/#x","title":"third"}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: Jane's HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Binary/hivbin", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the letter's content is withheld from the hospital: %d", r.status)
	}
	for _, path := range []string{"/fhir/CarePlan/hiv-plan", "/fhir/CarePlan?patient=jane", "/fhir/Patient/jane/$everything",
		"/fhir/CarePlan/hiv-plan/_history/1", "/fhir/DocumentReference/covering", "/fhir/DocumentReference?patient=jane"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", path, r.status, r.body)
		}
		for _, leak := range []string{"SECRET-HIV-DISPLAY", "Condition/hiv", "hivbin"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: the hospital clinician is shown %q: %.600s", path, leak, r.body)
			}
		}
		if strings.Contains(path, "covering") && strings.Count(r.body, `"valueCode":"masked"`) != 3 {
			t.Errorf("%s: want its three attachment urls masked: %.600s", path, r.body)
		}
	}
	for _, q := range []string{"location=Binary/hivbin/", "location=Binary/hivbin%23page=2"} {
		if r := e.do("GET", "/fhir/DocumentReference?"+q, hosp, ""); r.status != 200 || strings.Contains(r.body, "covering") {
			t.Errorf("%s finds the letter whose url it masks: %d %.400s", q, r.status, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/CarePlan/hiv-plan", gp, ""); !strings.Contains(r.body, "SECRET-HIV-DISPLAY") {
		t.Errorf("the practice reads its own plan as stored: %.400s", r.body)
	}
	if r := e.do("GET", "/fhir/DocumentReference/covering", gp, ""); !strings.Contains(r.body, "Binary/hivbin/") {
		t.Errorf("the practice reads its own letter as stored: %.400s", r.body)
	}
}
