package api_test

import (
	"strings"
	"testing"
	"time"
)

// TestSupersedeOnlyWhenNewer: a recorder's newer Consent lifts its older
// objection unless the objection is dated after it, and only while it is
// in force and about reads (review 4c). Dates that cannot be ordered at
// their precision (a date-only Consent beside one timed that day) are
// ordered by recording (review 4f: a same-day withdrawal of an objection
// otherwise never took effect). The objection itself stays stored as
// recorded (review 4i1).
func TestSupersedeOnlyWhenNewer(t *testing.T) {
	cases := []struct {
		name             string
		olderDate        string
		newerDate, extra string
		lifted           bool // the newer permit decides: the nurse reads Jane's GP record
	}{
		{"a later day", "2025-03-09", "2025-03-10", "", true},
		{"a later instant", "2025-03-10T08:00:00Z", "2025-03-10T09:00:00Z", "", true},
		{"the same day, one date-only: recorded later", "2025-03-10T09:00:00Z", "2025-03-10", "", true},
		{"the same day, the older date-only: recorded later", "2025-03-10", "2025-03-10T09:00:00Z", "", true},
		{"the same instant: recorded later", "2025-03-10T09:00:00Z", "2025-03-10T09:00:00Z", "", true},
		{"an older dateTime", "2025-03-11", "2025-03-10", "", false},
		{"a newer one limited to a period now over", "2025-01-01", "2025-02-01", `,"provision":{"period":{"start":"2025-02-01","end":"2025-02-28"}}`, false},
		{"a newer one from a date on", "2025-01-01", "2025-02-01", `,"provision":{"period":{"start":"2025-02-01"}}`, true},
		{"a newer one about corrections only", "2025-01-01", "2025-02-01", `,"provision":{"action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"correct"}]}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/older", janeConsent("older", tc.olderDate, "OPTOUT", "")})
			// Stored in a later millisecond: two stored in the same one
			// cannot be ordered by it, and both count (withhold wins).
			time.Sleep(2 * time.Millisecond)
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/newer", janeConsent("newer", tc.newerDate, "OPTIN", tc.extra)})
			nurse := e.token("district-nurse", "nhs", "RCX")
			r := e.do("GET", "/fhir/Condition/diabetes", nurse, "")
			if got := r.status == 200; got != tc.lifted {
				t.Fatalf("the newer Consent lifts the objection: %v, want %v (%d)", got, tc.lifted, r.status)
			}
			if o := e.do("GET", "/fhir/Consent/older", gpSys, ""); !strings.Contains(o.body, `"status":"active"`) {
				t.Errorf("the objection was rewritten: %s", o.body)
			}
		})
	}
}
