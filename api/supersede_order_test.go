package api_test

import (
	"strings"
	"testing"
)

// TestSupersedeOnlyWhenNewer: a write marks the recorder's older Consent
// inactive unless the older is dated after it, and only when it is in
// force without end (review 4c): a permission limited to February leaves
// the other active. Dates that cannot be ordered at their precision (a
// date-only objection beside that morning's consent) are ordered by
// recording (review 4f: a same-day withdrawal of an objection otherwise
// never took effect).
func TestSupersedeOnlyWhenNewer(t *testing.T) {
	cases := []struct {
		name             string
		olderDate, rule  string
		newerDate, extra string
		inactive         bool // the older is marked inactive
	}{
		{"a later day", "2025-03-09", "OPTOUT", "2025-03-10", "", true},
		{"a later instant", "2025-03-10T08:00:00Z", "OPTOUT", "2025-03-10T09:00:00Z", "", true},
		{"the same day, one date-only: recorded later", "2025-03-10T09:00:00Z", "OPTIN", "2025-03-10", "", true},
		{"the same day, the older date-only: recorded later", "2025-03-10", "OPTOUT", "2025-03-10T09:00:00Z", "", true},
		{"the same instant: recorded later", "2025-03-10T09:00:00Z", "OPTIN", "2025-03-10T09:00:00Z", "", true},
		{"an older dateTime", "2025-03-11", "OPTOUT", "2025-03-10", "", false},
		{"a newer one limited to a period", "2025-01-01", "OPTOUT", "2025-02-01", `,"provision":{"period":{"start":"2025-02-01","end":"2025-02-28"}}`, false},
		{"a newer one from a date on", "2025-01-01", "OPTOUT", "2025-02-01", `,"provision":{"period":{"start":"2025-02-01"}}`, false},
		{"a newer one about corrections only", "2025-01-01", "OPTOUT", "2025-02-01", `,"provision":{"action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"correct"}]}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/older", janeConsent("older", tc.olderDate, tc.rule, "")})
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/newer", janeConsent("newer", tc.newerDate, "OPTIN", tc.extra)})
			r := e.do("GET", "/fhir/Consent/older", gpSys, "")
			if r.status != 200 {
				t.Fatalf("older: %d %s", r.status, r.body)
			}
			if got := strings.Contains(r.body, `"status":"inactive"`); got != tc.inactive {
				t.Fatalf("older marked inactive: %v, want %v (%s)", got, tc.inactive, r.body)
			}
		})
	}
}
