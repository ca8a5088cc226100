package api_test

import (
	"testing"
)

// review13aDenyJune2015 is Jane's "not my records from June 2015".
func review13aDenyJune2015(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/no-june-2015",
		janeConsent("no-june-2015", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2015-06-01","end":"2015-06-30"}}`)})
}

// review13aExpect checks the hospital clinician's reads.
func review13aExpect(t *testing.T, e *env, label string, want map[string]int) {
	t.Helper()
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for path, status := range want {
		if r := e.do("GET", path, hosp, ""); r.status != status {
			t.Errorf("%s: GET %s: %d, want %d", label, path, r.status, status)
		}
	}
}

// TestReview13aEveryValueOfTheClinicalDateCounts: an item's clinical date
// was the first value of its date element only, so under Jane's "not my
// records from June 2015" the hospital clinician read an Observation whose
// effectiveTiming had events in January and in June 2015, and a
// Composition whose second event period was June 2015 (its first was
// 2014). A deny covers an item any of whose dates overlaps its period; a
// permit releases one only when all of them lie inside it.
func TestReview13aEveryValueOfTheClinicalDateCounts(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Observation/timed", `{"resourceType":"Observation","id":"timed","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BP"},"effectiveTiming":{"event":["2015-01-10T10:00:00Z","2015-06-10T10:00:00Z"]}}`},
		[2]string{"/fhir/Composition/events", `{"resourceType":"Composition","id":"events","status":"final","type":{"text":"letter"},"subject":{"reference":"Patient/jane"},"date":"2024-03-01","title":"letter","author":[{"display":"Dr A"}],"event":[{"period":{"start":"2014-02-01","end":"2014-02-03"}},{"period":{"start":"2015-06-10","end":"2015-06-12"}}]}`},
		[2]string{"/fhir/Observation/timed-jan", `{"resourceType":"Observation","id":"timed-jan","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BP"},"effectiveTiming":{"event":["2015-01-10T10:00:00Z","2015-01-20T10:00:00Z"]}}`},
	)
	review13aDenyJune2015(t, e)
	review13aExpect(t, e, "deny of June 2015", map[string]int{
		"/fhir/Observation/timed":     404,
		"/fhir/Composition/events":    404,
		"/fhir/Observation/timed-jan": 200,
	})
	// She now opts out, except for her records from January 2015.
	e.putAll(t, gp, [2]string{"/fhir/Consent/no-june-2015", janeConsent("no-june-2015", "2026-01-11", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01","end":"2015-01-31"}}]}`)})
	review13aExpect(t, e, "opt-out except January 2015", map[string]int{
		"/fhir/Observation/timed":     404, // June too
		"/fhir/Observation/timed-jan": 200,
	})
}
