package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNoticeOnTypeOutsideCompartmentTellsNothing: a Device names its
// person (Device.patient) but is in no one's compartment (R4 lists none),
// so the compartment scan searchNotice runs for Device?patient=jane&…
// never sees it, while the search itself withholds it from the district
// nurse (her role does not see its class): the notice came exactly when
// the filter matched Jane's device, telling its status and identifier.
func TestNoticeOnTypeOutsideCompartmentTellsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Device/pump",
		`{"resourceType":"Device","id":"pump","status":"active","identifier":[{"system":"https://hosp.example/devices","value":"PUMP-77"}],"patient":{"reference":"Patient/jane"}}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Device?patient=jane&status=active", hosp, ""); r.status != 200 || !strings.Contains(r.body, "PUMP-77") {
		t.Fatalf("the premise: the source finds its device: %d %.300s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	notice := func(path string) bool {
		t.Helper()
		r := e.do("GET", path, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, `"total":0`) {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		return strings.Contains(r.body, "confidential-items")
	}
	for _, c := range []struct{ what, hit, miss string }{
		{"the device's status", "/fhir/Device?patient=jane&status=active", "/fhir/Device?patient=jane&status=inactive"},
		{"the device's identifier", "/fhir/Device?patient=jane&identifier=PUMP-77", "/fhir/Device?patient=jane&identifier=PUMP-78"},
		{"the device's status (with _lastUpdated)", "/fhir/Device?patient=jane&status=active&_lastUpdated=gt2000-01-01", "/fhir/Device?patient=jane&status=inactive&_lastUpdated=gt2000-01-01"},
	} {
		if hit, miss := notice(c.hit), notice(c.miss); hit != miss {
			t.Errorf("the notice tells %s: %s notice=%v, %s notice=%v", c.what, c.hit, hit, c.miss, miss)
		}
	}
}

// TestHistorySinceNoticeTellsNothing: _since is a filter like
// _lastUpdated, yet a history's notice came exactly when a withheld
// version was written since then: the nurse read when the GP wrote Jane's
// HIV diagnosis from Condition/_history?_since= (and /fhir/_history), and
// when an item's withheld earlier version was written.
func TestHistorySinceNoticeTellsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	// Condition/recoded: first written with an HIV code (withheld from the
	// nurse), then recoded (released).
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/recoded", `{"resourceType":"Condition","id":"recoded","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`})
	time.Sleep(5 * time.Millisecond)
	mid := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	time.Sleep(5 * time.Millisecond)
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/recoded", `{"resourceType":"Condition","id":"recoded","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"RECODED"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/recoded", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse sees the recoded condition: %d", r.status)
	}
	notice := func(path string) bool {
		t.Helper()
		r := e.do("GET", path, nurse, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		return strings.Contains(r.body, "confidential-items")
	}
	since := url.QueryEscape(mid)
	for _, c := range []struct{ what, before, after string }{
		{"when the withheld version of Condition/recoded was written", "/fhir/Condition/recoded/_history?_since=2000-01-01", "/fhir/Condition/recoded/_history?_since=" + since},
		{"when withheld conditions were written", "/fhir/Condition/_history?_since=2000-01-01", "/fhir/Condition/_history?_since=" + since},
		{"when withheld items were written", "/fhir/_history?_since=2000-01-01", "/fhir/_history?_since=" + since},
	} {
		if b, a := notice(c.before), notice(c.after); b != a {
			t.Errorf("the notice tells %s: %s notice=%v, %s notice=%v", c.what, c.before, b, c.after, a)
		}
	}
	// The notice still says that something was withheld.
	if !notice("/fhir/Condition/recoded/_history") {
		t.Errorf("the history that withheld a version carries no notice")
	}
}

// TestVersionedMaskedReferenceSearchFindsNothing: a reference to a
// withheld version of an item the user sees goes out masked (no id, no
// type), but the index keeps references without their version, so
// CarePlan?condition=Condition/recoded found the hospital plan whose
// masked reference names that withheld version: the id and the link the
// masking hides.
func TestVersionedMaskedReferenceSearchFindsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/recoded", `{"resourceType":"Condition","id":"recoded","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`},
		[2]string{"/fhir/Condition/recoded", `{"resourceType":"Condition","id":"recoded","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"RECODED"}}`})
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/CarePlan/v1plan",
		`{"resourceType":"CarePlan","id":"v1plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-V1-PLAN","addresses":[{"reference":"Condition/recoded/_history/1"}]}`},
		[2]string{"/fhir/CarePlan/clinicd", `{"resourceType":"CarePlan","id":"clinicd","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"HOSP-D-PLAN","addresses":[{"reference":"Condition/diabetes"}]}`})
	// The control: the GP practice, which recorded every version, finds
	// and includes as before.
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/CarePlan?patient=jane&condition=Condition/recoded", gp, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-V1-PLAN") {
		t.Fatalf("the GP's search by a reference it sees: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CarePlan?_id=v1plan&_include=CarePlan:condition", gp, ""); r.status != 200 || !strings.Contains(r.body, "RECODED") {
		t.Fatalf("the GP's _include of a reference it sees: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition?_id=recoded&_revinclude=CarePlan:condition", gp, ""); r.status != 200 || !strings.Contains(r.body, "HOSP-V1-PLAN") {
		t.Fatalf("the GP's _revinclude through a reference it sees: %d %.300s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	// The control for the nurse: an include through a reference she sees.
	if r := e.do("GET", "/fhir/CarePlan?_id=clinicd&_include=CarePlan:condition", nurse, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("the nurse's _include through a released reference: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/CarePlan/v1plan", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "Condition/recoded") || !strings.Contains(r.body, "masked") {
		t.Fatalf("the premise: the plan's reference to the withheld version goes out masked: %d %.400s", r.status, r.body)
	}
	probe := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"NURSE-PROBE"}`
	if r := e.do("POST", "/fhir/CarePlan", nurse, probe, "If-None-Exist", "patient=Patient/jane&condition=Condition/recoded"); r.status != 201 || strings.Contains(r.body, "HOSP-V1-PLAN") {
		t.Errorf("If-None-Exist on the item whose withheld version the plan names: %d %.300s (want 201)", r.status, r.body)
	}
	for _, p := range []string{
		"/fhir/CarePlan?patient=jane&condition=Condition/recoded",
		"/fhir/CarePlan?patient=jane&condition=Condition/recoded/_history/1",
		"/fhir/Condition?_id=recoded&_revinclude=CarePlan:condition",
		"/fhir/CarePlan?patient=jane&_include=CarePlan:condition",
	} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(p, "_include=") {
			if strings.Contains(r.body, "RECODED") {
				t.Errorf("%s includes Condition/recoded through the plan's masked reference: %.500s", p, r.body)
			}
			continue
		}
		if strings.Contains(r.body, "HOSP-V1-PLAN") {
			t.Errorf("%s finds the plan whose reference to Condition/recoded is masked: %.500s", p, r.body)
		}
	}
}
