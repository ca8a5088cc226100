package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview61eWhoAccessedTellsOfBobsWithheldItems: Jane's $who-accessed
// (printable for her subject access request, "so it tells of no one
// else") and AuditEvent?patient=jane list a nurse's opening of Bob's
// record, which named Jane through their joint appointment; that entry
// must not tell Jane what was withheld from Bob's record (how many of
// Bob's items, and why). Seen: the entry is shown as patient jane,
// operation everything, decision partial, reason claimed-relationship,
// withheld 2 — Bob's HIV and PSY diagnoses, withheld from the nurse.
func TestReview61eWhoAccessedTellsOfBobsWithheldItems(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Jones","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/bob-hiv", `{"resourceType":"Condition","id":"bob-hiv","subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"BOB-HIV"}}`},
		[2]string{"/fhir/Condition/bob-psy", `{"resourceType":"Condition","id":"bob-psy","subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}],"text":"BOB-PSY"}}`},
		[2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","participant":[{"actor":{"reference":"Patient/bob"},"status":"accepted"},{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
	)
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/bob-nursing", `{"resourceType":"CareTeam","id":"bob-nursing","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r61e-nurse-x" })
	r := e.do("GET", "/fhir/Patient/bob/$everything", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "BOB-HIV") || !strings.Contains(r.body, "Appointment/joint") && !strings.Contains(r.body, `"joint"`) {
		t.Fatalf("nurse's $everything of Bob: %d %.600s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, p := range []string{"/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", "/fhir/AuditEvent?patient=jane&agent=r61e-nurse-x"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", p, r.status, r.body)
		}
		if !strings.Contains(r.body, "r61e-nurse-x") {
			t.Errorf("%s: the nurse's opening of Bob's record (naming Jane) is not listed", p)
			continue
		}
		i := strings.Index(r.body, "r61e-nurse-x")
		t.Logf("%s: …%s…", p, r.body[max(0, i-300):min(len(r.body), i+700)])
		for _, m := range []string{"bob", "9000000009", "item(s) withheld", `"withheld"`, "sensitive", "consent-"} {
			if strings.Contains(r.body, m) {
				j := strings.Index(r.body, m)
				t.Errorf("%s tells of Bob's record: %q …%s…", p, m, r.body[max(0, j-200):min(len(r.body), j+200)])
			}
		}
	}
}
