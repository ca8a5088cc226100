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
