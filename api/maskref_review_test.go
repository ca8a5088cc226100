package api_test

// Cases found in a review of reference masking and of the labelling of
// containers (commits 1c21395 and 8eff00a). Each test's comment says what
// went wrong before its fix; the test asserts what must hold now.

import (
	"strings"
	"testing"
)

const bgHeader = "EMERGENCY: unconscious in resus, no history available"

// A "reference" key written with a JSON escape is the same key to every
// JSON reader, but the byte scanner misses it: the reference and its display
// go out unmasked.
func TestMaskEscapedReferenceKeyNotMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"CarePlan","id":"esc","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-ESC",
	 "addresses":[{"re\u0066erence":"Condition/hiv","display":"REF-DISPLAY-HIV"}]}`
	if r := e.do("PUT", "/fhir/CarePlan/esc", hospSys, body); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/hiv", nurse, ""); r.status != 404 {
		t.Fatalf("premise: %d", r.status)
	}
	for _, p := range []string{"/fhir/CarePlan/esc", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "HOSP-ESC") {
			t.Fatalf("%s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "REF-DISPLAY-HIV") || strings.Contains(r.body, "Condition/hiv") {
			t.Errorf("nurse GET %s releases the withheld HIV condition's reference: %.400s", p, r.body)
		}
	}
}

// seedBob: a second person, registered with Jane's GP, whose diagnosis is
// referenced from an Observation about Jane that Bob performed.
func seedBob(t *testing.T, e *env) {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	for _, s := range []struct{ tok, path, body string }{
		{gpSys, "/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Brown"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		{gpSys, "/fhir/Condition/bob-dx", `{"resourceType":"Condition","id":"bob-dx","subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"BOB-DIAGNOSIS"}}`},
		{hosp, "/fhir/Observation/shared", `{"resourceType":"Observation","id":"shared","status":"final","subject":{"reference":"Patient/jane"},
		  "performer":[{"reference":"Patient/bob"}],"code":{"text":"SHARED-OBS"},
		  "focus":[{"reference":"Condition/bob-dx","display":"BOB-SECRET-DX"}]}`},
		{hosp, "/fhir/CarePlan/jane-plan", `{"resourceType":"CarePlan","id":"jane-plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"JANE-PLAN",
		  "supportingInfo":[{"reference":"Condition/bob-dx","display":"BOB-SECRET-DX"}]}`},
	} {
		if r := e.do("PUT", s.path, s.tok, s.body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", s.path, r.status, r.body)
		}
	}
}

// Break-glass opens one person. A person who only "comes along" on an item
// shared with the break-glass person (bgAlong) is prepared with the reason;
// preparedOf hands that preparation to refSees for the person's OTHER items,
// so references to them are released although the same request withholds
// those items themselves.
func TestMaskBreakGlassAlongPersonReferencesUnmasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	stranger := e.token("gp", "nhs", "Z99999")
	if r := e.do("GET", "/fhir/Condition/bob-dx", stranger, ""); r.status != 404 {
		t.Fatalf("premise: a stranger reads Bob's diagnosis: %d", r.status)
	}
	// In a request breaking glass for Jane, Bob's own items are withheld:
	if r := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", bgHeader); r.status != 200 || strings.Contains(r.body, "BOB-DIAGNOSIS") {
		t.Fatalf("premise: $everything for Jane under break-glass: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Observation/shared", "/fhir/CarePlan/jane-plan", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, stranger, "", "X-Break-Glass", bgHeader)
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "BOB-SECRET-DX") || strings.Contains(r.body, "Condition/bob-dx") {
			t.Errorf("break-glass for Jane: GET %s releases a reference to Bob's diagnosis: %.600s", p, r.body)
		}
	}
}

// A Binary naming no one "stays with its source" — except under
// break-glass, where decide takes the consent engine's path for the empty
// patient (Open is permitted by the reason) instead of
// seesOutsideCompartments, and the Binary goes to any break-glass user.
func TestMaskBinaryNamingNoOneUnderBreakGlass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	if r := e.do("PUT", "/fhir/Binary/nobody", hosp, `{"resourceType":"Binary","id":"nobody","contentType":"text/plain","data":"Tk9CT0RZ"}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	stranger := e.token("gp", "nhs", "Z99999")
	if r := e.do("GET", "/fhir/Binary/nobody", stranger, ""); r.status != 404 {
		t.Fatalf("premise: %d", r.status)
	}
	for _, p := range []string{"/fhir/Binary/nobody", "/fhir/Binary?_id=nobody"} {
		r := e.do("GET", p, stranger, "", "X-Break-Glass", bgHeader)
		if strings.Contains(r.body, "Tk9CT0RZ") {
			t.Errorf("break-glass GP: GET %s: %d releases a Binary naming no one: %.300s", p, r.status, r.body)
		}
	}
	x := e.lastEntry(t)
	t.Logf("log: patient=%q patients=%v reasons=%v released=%v", x.Patient, x.Patients, x.Reasons, x.Released)
}

// A Medication labelled HIV by its source is withheld outside the source
// (seesOutsideCompartments), but maskedRefs never decides types outside the
// patient compartment, so a prescription naming it carries its id and
// display.
func TestMaskReferenceToWithheldMedicationNotMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Medication/arv", gpSys, `{"resourceType":"Medication","id":"arv","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"code":{"text":"MED-BIKTARVY"}}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/MedicationStatement/ms", e.token("system", "nhs", "RHX"), `{"resourceType":"MedicationStatement","id":"ms","status":"active","subject":{"reference":"Patient/jane"},
	  "medicationReference":{"reference":"Medication/arv","display":"REF-BIKTARVY"},"note":[{"text":"HOSP-MS"}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Medication/arv", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the nurse reads the HIV-labelled Medication: %d", r.status)
	}
	r := e.do("GET", "/fhir/MedicationStatement/ms", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "HOSP-MS") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "REF-BIKTARVY") || strings.Contains(r.body, "Medication/arv") {
		t.Errorf("the nurse gets the reference to a Medication she may not see: %s", r.body)
	}
}

// A client system reads back its own CarePlan: every reference to another
// organisation's item is masked (a system reads only its own data), so a
// read-modify-write cycle destroys the references it wrote itself.
func TestMaskSystemReadBackOfOwnItemMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	plan := `{"resourceType":"CarePlan","id":"own","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-PLAN",
	 "addresses":[{"reference":"Condition/diabetes","display":"Diabetes"}]}`
	if r := e.do("PUT", "/fhir/CarePlan/own", hospSys, plan); r.status != 201 || !strings.Contains(r.body, "Condition/diabetes") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/CarePlan/own", hospSys, "")
	if r.status != 200 || !strings.Contains(r.body, "Condition/diabetes") {
		t.Errorf("the writing system reads back its own plan without the reference it wrote: %d %s", r.status, r.body)
	}
}

// A Binary whose securityContext is the DocumentReference that carries it
// (the usual R4 shape) now names no one and stays with its source: the
// registered GP, who reads the DocumentReference, no longer gets the letter.
func TestMaskBinaryOfDocumentReferenceWithheldFromGP(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	// The document first: a Binary takes the people of the resource its
	// securityContext names as stored when the Binary is written (written
	// before it, the Binary stays with its source until carex relabel).
	for _, w := range [][2]string{
		{"/fhir/DocumentReference/letter", `{"resourceType":"DocumentReference","id":"letter","status":"current","subject":{"reference":"Patient/jane"},
		  "content":[{"attachment":{"contentType":"text/plain","url":"Binary/letter-body"}}],"description":"HOSP-LETTER"}`},
		{"/fhir/Binary/letter-body", `{"resourceType":"Binary","id":"letter-body","contentType":"text/plain","securityContext":{"reference":"DocumentReference/letter"},"data":"RElTQ0hBUkdF"}`},
	} {
		if r := e.do("PUT", w[0], hosp, w[1]); r.status != 201 {
			t.Fatalf("%s: %d %s", w[0], r.status, r.body)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/DocumentReference/letter", gp, ""); r.status != 200 {
		t.Fatalf("premise: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Binary/letter-body", gp, ""); r.status != 200 {
		t.Errorf("Jane's GP reads her discharge letter's DocumentReference but not its content: %d", r.status)
	}
}

// A stored collection Bundle of terminology (no person in it) is now
// labelled from every coding inside it: a ValueSet listing the HIV codes
// goes to its source only.
func TestMaskTerminologyBundleLabelled(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	b := `{"resourceType":"Bundle","id":"vsets","type":"collection","entry":[{"fullUrl":"https://rhx.example/fhir/ValueSet/hiv","resource":{"resourceType":"ValueSet","id":"hiv","status":"active","name":"TERM-HIV",
	  "compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"86406008"}]}]},
	  "expansion":{"timestamp":"2026-01-01","contains":[{"system":"http://snomed.info/sct","code":"86406008","display":"HIV"}]}}}]}`
	if r := e.do("PUT", "/fhir/Bundle/vsets", hosp, b); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	vs := `{"resourceType":"ValueSet","id":"hiv-alone","status":"active","name":"TERM-HIV",
	  "expansion":{"timestamp":"2026-01-01","contains":[{"system":"http://snomed.info/sct","code":"86406008","display":"HIV"}]}}`
	if r := e.do("PUT", "/fhir/ValueSet/hiv-alone", hosp, vs); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/ValueSet/hiv-alone", gp, ""); r.status != 200 {
		t.Fatalf("premise: the ValueSet alone is released: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Bundle/vsets", gp, ""); r.status != 200 {
		t.Errorf("the same ValueSet in a collection Bundle is withheld: %d %s", r.status, r.body)
	}
}

// A versioned reference to a version the user may not read goes out
// unmasked, with its display, when the current version is visible.
func TestMaskVersionedReferenceToWithheldVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/x", gpSys, `{"resourceType":"Condition","id":"x","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"V1-HIV"}}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/x", gpSys, `{"resourceType":"Condition","id":"x","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"V2-DM"}}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/CarePlan/vref", e.token("system", "nhs", "RHX"), `{"resourceType":"CarePlan","id":"vref","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-VREF",
	  "addresses":[{"reference":"Condition/x/_history/1","display":"REF-V1-HIV"}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/x/_history/1", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the nurse reads version 1: %d", r.status)
	}
	if r := e.do("GET", "/fhir/CarePlan/vref", nurse, ""); strings.Contains(r.body, "REF-V1-HIV") {
		t.Errorf("reference to a withheld version released: %s", r.body)
	}
}

// _history across types: an item whose earlier version was withheld but
// whose current version the user sees is in the response, and references to
// it from other items in the same response are masked ("withheld wins").
func TestMaskHistoryOverMasksVisibleItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/y", gpSys, `{"resourceType":"Condition","id":"y","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"Y1"}}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/y", gpSys, `{"resourceType":"Condition","id":"y","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"Y2-DM"}}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/CarePlan/yref", e.token("system", "nhs", "RHX"), `{"resourceType":"CarePlan","id":"yref","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-YREF",
	  "addresses":[{"reference":"Condition/y"}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/CarePlan/yref", nurse, ""); !strings.Contains(r.body, `"Condition/y"`) {
		t.Fatalf("premise: %s", r.body)
	}
	r := e.do("GET", "/fhir/_history", nurse, "")
	if !strings.Contains(r.body, "Y2-DM") || !strings.Contains(r.body, "HOSP-YREF") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if !strings.Contains(r.body, `"reference":"Condition/y"`) {
		t.Errorf("_history masks the reference to Condition/y, whose current version it releases")
	}
}

// Reference forms the parser accepts but refTarget does not resolve (or
// resolves to a missing id) are released as stored, display and all.
func TestMaskUnusualReferenceFormsNotMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"CarePlan","id":"forms","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-FORMS",
	 "addresses":[{"reference":"Condition/hiv/","display":"REF-SLASH-HIV"},{"reference":" Condition/hiv","display":"REF-SPACE-HIV"}]}`
	if r := e.do("PUT", "/fhir/CarePlan/forms", hospSys, body); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/CarePlan/forms", e.token("district-nurse", "nhs", "RCX"), "")
	for _, s := range []string{"REF-SLASH-HIV", "REF-SPACE-HIV"} {
		if strings.Contains(r.body, s) {
			t.Errorf("released %s: %s", s, r.body)
		}
	}
}

// A reference to a Patient the user may not open (403 on a read) is never
// decided: the person's id and the display (name) go out.
func TestMaskReferenceToUnopenablePatient(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedBob(t, e)
	if r := e.do("PUT", "/fhir/CarePlan/contact", e.token("system", "nhs", "RHX"), `{"resourceType":"CarePlan","id":"contact","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-CONTACT",
	  "supportingInfo":[{"reference":"Patient/bob","display":"BOB-BROWN-CONTACT"}]}`); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/bob", nurse, ""); r.status != 403 {
		t.Fatalf("premise: the nurse opens Bob: %d", r.status)
	}
	if r := e.do("GET", "/fhir/CarePlan/contact", nurse, ""); r.status != 200 || strings.Contains(r.body, "BOB-BROWN-CONTACT") {
		t.Errorf("reference to a person the nurse may not open: %d %s", r.status, r.body)
	}
}
