package api_test

import (
	"strings"
	"testing"
)

// clinicPlan is a hospital care plan for Jane that addresses her HIV
// diagnosis (withheld from the district nurse) and her diabetes (which
// the nurse sees).
const clinicPlan = `{"resourceType":"CarePlan","id":"clinic","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-CLINIC",
 "addresses":[{"reference":"Condition/hiv","display":"REF-DISPLAY-HIV"},{"reference":"Condition/diabetes","display":"Diabetes"}]}`

// TestSearchByMaskedReferenceFindsNothing: a released item's reference to
// a withheld item goes out masked, so a search on that reference must not
// answer for it: CarePlan?condition=Condition/hiv found the plan (and
// condition=Condition/nowhere did not), telling the nurse that the plan
// addresses Condition/hiv, the id the masking hides.
func TestSearchByMaskedReferenceFindsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/CarePlan/clinic", clinicPlan})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/hiv", nurse, ""); r.status != 404 {
		t.Fatalf("the premise: the nurse may not see Condition/hiv (%d)", r.status)
	}
	// The control: a reference the nurse sees finds the plan.
	if r := e.do("GET", "/fhir/CarePlan?patient=jane&condition=Condition/diabetes", nurse, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-CLINIC") {
		t.Fatalf("search by a visible reference: %d %s", r.status, r.body)
	}
	for _, p := range []string{
		"/fhir/CarePlan?patient=jane&condition=Condition/hiv",
		"/fhir/CarePlan?patient=jane&condition=Condition/hiv,Condition/nowhere",
		"/fhir/CarePlan?condition=Condition/hiv",
		"/fhir/CarePlan?patient=jane&condition=hiv",
		"/fhir/CarePlan?patient=jane&condition:Condition=hiv",
		"/fhir/CarePlan?patient=jane&condition=Condition/hiv&_summary=count",
	} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 && r.status != 400 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "HOSP-CLINIC") || strings.Contains(r.body, `"total":1`) {
			t.Errorf("%s finds the plan whose reference to Condition/hiv is masked: %.400s", p, r.body)
		}
		miss := e.do("GET", strings.ReplaceAll(p, "hiv", "nowhere"), nurse, "")
		if r.status == 200 && strings.Contains(miss.body, "confidential-items") != strings.Contains(r.body, "confidential-items") {
			t.Errorf("%s answers unlike a search for a missing id: %.400s", p, r.body)
		}
	}
	// :not must not tell either: the plan's released reference is not Condition/hiv.
	if r := e.do("GET", "/fhir/CarePlan?patient=jane&condition:not=Condition/hiv", nurse, ""); r.status == 200 && !strings.Contains(r.body, "HOSP-CLINIC") {
		t.Errorf("condition:not=Condition/hiv leaves out the plan: %.400s", r.body)
	}
}

// TestConditionalWriteByMaskedReferenceMatchesNothing: a conditional
// create, conditional update or transaction condition on a reference the
// user sees masked matches nothing, as the search does: a nurse's create
// of a plan with If-None-Exist: condition=Condition/hiv answered 200 with
// the hospital's plan (found) where Condition/nowhere answered 201.
func TestConditionalWriteByMaskedReferenceMatchesNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/CarePlan/clinic", clinicPlan})
	nurse := e.token("district-nurse", "nhs", "RCX")
	plan := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"NURSE-PROBE"}`
	// The control: a condition on a reference she sees finds the plan.
	if r := e.do("POST", "/fhir/CarePlan", nurse, plan, "If-None-Exist", "patient=Patient/jane&condition=Condition/diabetes"); r.status != 200 || !strings.Contains(r.body, "HOSP-CLINIC") {
		t.Fatalf("condition on a visible reference: %d %.300s", r.status, r.body)
	}
	r := e.do("POST", "/fhir/CarePlan", nurse, plan, "If-None-Exist", "patient=Patient/jane&condition=Condition/hiv")
	if r.status != 201 || strings.Contains(r.body, "HOSP-CLINIC") {
		t.Errorf("If-None-Exist on the masked reference: %d %.300s (want 201, as for an id nothing is stored under)", r.status, r.body)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + plan + `,"request":{"method":"POST","url":"CarePlan","ifNoneExist":"patient=Patient/jane&condition=Condition/hiv"}}]}`
	if r := e.do("POST", "/fhir", nurse, tx); r.status != 200 || strings.Contains(r.body, "HOSP-CLINIC") || !strings.Contains(r.body, "201 Created") {
		t.Errorf("a transaction's ifNoneExist on the masked reference: %d %.400s", r.status, r.body)
	}
	// A conditional update on it creates rather than meeting the plan (a
	// 403 'another organisation's item' would say it matched).
	up := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"NURSE-PUT"}`
	if r := e.do("PUT", "/fhir/CarePlan?patient=Patient/jane&condition=Condition/hiv", nurse, up); r.status != 201 {
		t.Errorf("PUT CarePlan?condition=Condition/hiv: %d %.300s (want 201)", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/CarePlan?patient=Patient/jane&condition=Condition/diabetes", nurse, up); r.status != 403 {
		t.Errorf("the control, PUT CarePlan?condition=Condition/diabetes over the hospital's plan: %d %.300s (want 403)", r.status, r.body)
	}
}

// TestSortByMaskedReferenceTellsNothing: _sort on a reference parameter
// ordered items by the stored reference, masked or not: with plans of her
// own pointing at ids that sort either side of a guess, the nurse read
// where the hospital plan's masked reference sorts, and so the withheld
// diagnosis' id, letter by letter.
func TestSortByMaskedReferenceTellsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/CarePlan/clinic2",
		`{"resourceType":"CarePlan","id":"clinic2","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-ONLY-HIV","addresses":[{"reference":"Condition/hiv"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	probe := func(id, title string) string {
		return `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"` + title + `","addresses":[{"reference":"Condition/` + id + `"}]}`
	}
	// Condition/h and Condition/hz are stored under no id: their
	// references go out as written.
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CarePlan/h", probe("h", "PROBE-H")}, [2]string{"/fhir/CarePlan/hz", probe("hz", "PROBE-HZ")})
	for _, sort := range []string{"condition", "-condition"} {
		r := e.do("GET", "/fhir/CarePlan?patient=jane&_sort="+sort, nurse, "")
		if r.status == 400 {
			continue // refused: nothing told
		}
		h, hiv, hz := strings.Index(r.body, "PROBE-H\""), strings.Index(r.body, "HOSP-ONLY-HIV"), strings.Index(r.body, "PROBE-HZ")
		if r.status != 200 || h < 0 || hiv < 0 || hz < 0 {
			t.Fatalf("_sort=%s: %d %.500s", sort, r.status, r.body)
		}
		if h < hiv && hiv < hz || hz < hiv && hiv < h {
			t.Errorf("_sort=%s places the plan whose reference is masked between Condition/h and Condition/hz: its target's id sorts there", sort)
		}
	}
}

// TestNoticeDoesNotTellWhatWasWithheld: the confidential-items notice says
// that something was withheld, never what. It appeared when a search's
// filters matched a withheld item and not otherwise, so that the district
// nurse learned that Jane has an HIV diagnosis from
// Condition?patient=jane&code=86406008 (notice) against code=12345 (none),
// and a GP with no relationship with Jane her date of birth from
// Patient?identifier=…&birthdate=. Each pair must answer alike.
func TestNoticeDoesNotTellWhatWasWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	stranger := e.token("gp", "nhs", "Z99999")
	nhs := "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"
	notice := func(tok, path string) bool {
		t.Helper()
		r := e.do("GET", path, tok, "")
		if r.status != 200 || !strings.Contains(r.body, `"total":0`) {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		return strings.Contains(r.body, "confidential-items")
	}
	for _, c := range []struct {
		tok, what, hit, miss string
	}{
		{nurse, "Jane has an HIV diagnosis", "/fhir/Condition?patient=jane&code=86406008", "/fhir/Condition?patient=jane&code=12345"},
		{nurse, "Jane has an HIV diagnosis (_summary=count)", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|86406008&_summary=count", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|12345&_summary=count"},
		{nurse, "someone has an HIV diagnosis", "/fhir/Condition?code=86406008&_lastUpdated=gt2000-01-01", "/fhir/Condition?code=12345&_lastUpdated=gt2000-01-01"},
		{stranger, "Jane's date of birth", "/fhir/Patient?" + nhs + "&birthdate=1950-03-04", "/fhir/Patient?" + nhs + "&birthdate=1960-01-01"},
		{stranger, "Jane's sex", "/fhir/Patient?" + nhs + "&gender=female", "/fhir/Patient?" + nhs + "&gender=male"},
	} {
		if hit, miss := notice(c.tok, c.hit), notice(c.tok, c.miss); hit != miss {
			t.Errorf("the notice tells %s: %s notice=%v, %s notice=%v", c.what, c.hit, hit, c.miss, miss)
		}
	}
	// What the notice is for still holds: a search that withheld
	// something says so.
	if !notice(nurse, "/fhir/Condition?patient=jane&code=86406008") {
		t.Errorf("a search that withheld Jane's HIV diagnosis carries no notice")
	}
}

// TestMaskedReferenceIsNotWrittenBack: a hospital clinician's copy of her
// organisation's care plan has its reference to the GP's HIV diagnosis
// masked (her role does not see it). Writing that copy back would store
// the mask in place of the reference and lose the link for everyone, with
// no one told: the update is refused (409) and the stored plan keeps its
// reference. Changes that keep the masked count are not affected: her
// organisation's system, which reads the plan whole, updates it.
func TestMaskedReferenceIsNotWrittenBack(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	e.putAll(t, hospSys, [2]string{"/fhir/CarePlan/clinic", clinicPlan})
	clin := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/CarePlan/clinic", clin, "")
	if r.status != 200 || strings.Contains(r.body, "Condition/hiv") || !strings.Contains(r.body, `"masked"`) {
		t.Fatalf("the premise: her copy masks the reference: %d %s", r.status, r.body)
	}
	edited := strings.Replace(r.body, "HOSP-CLINIC", "HOSP-CLINIC-EDITED", 1)
	w := e.do("PUT", "/fhir/CarePlan/clinic", clin, edited)
	if w.status != 409 || !strings.Contains(w.body, "masked") {
		t.Fatalf("writing back a masked reference: %d %s, want 409", w.status, w.body)
	}
	if r := e.do("GET", "/fhir/CarePlan/clinic", hospSys, ""); !strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "EDITED") {
		t.Errorf("the stored plan changed: %s", r.body)
	}
	// In a transaction too.
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + edited + `,"request":{"method":"PUT","url":"CarePlan/clinic"}}]}`
	if w := e.do("POST", "/fhir", clin, tx); w.status != 409 {
		t.Errorf("a transaction writing back a masked reference: %d %s, want 409", w.status, w.body)
	}
	if w := e.do("PUT", "/fhir/CarePlan/clinic", hospSys, strings.Replace(clinicPlan, "HOSP-CLINIC", "HOSP-CLINIC-2", 1)); w.status != 200 {
		t.Errorf("the system's update: %d %s", w.status, w.body)
	}
}
