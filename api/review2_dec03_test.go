package api_test

import (
	"strings"
	"testing"
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
