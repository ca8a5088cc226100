package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview61eClaimedRelationshipAlertNamesOnlyThatPerson: a nurse of
// RYY, whose only relationship with Bob is a care team RYY itself wrote,
// opens Bob's record, which names Jane through a joint appointment. The
// claimed-relationship alert is about Bob; RYY claimed nothing about
// Jane, and an alert naming her tells IG (and her subject access
// report) of a claim that was never made.
func TestReview61eClaimedRelationshipAlertNamesOnlyThatPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	ryy := e.token("system", "nhs", "RYY")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Jones","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","participant":[{"actor":{"reference":"Patient/bob"},"status":"accepted"},{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`},
	)
	e.putAll(t, ryy, [2]string{"/fhir/CareTeam/bob-ryy", `{"resourceType":"CareTeam","id":"bob-ryy","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "r61e-nurse-y" })
	r := e.do("GET", "/fhir/Patient/bob/$everything", nurse, "")
	t.Logf("nurse's $everything of Bob: %d, joint appointment released: %v", r.status, strings.Contains(r.body, `"joint"`))
	ig := e.token("ig-officer", "nhs", "A81001")
	r = e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	var rep struct {
		Alerts []struct{ Kind, Sub, Patient, Code, Detail string } `json:"alerts"`
	}
	json.Unmarshal([]byte(r.body), &rep)
	bob := false
	for _, a := range rep.Alerts {
		if a.Sub != "r61e-nurse-y" {
			continue
		}
		t.Logf("alert %s %s patient %s: %s", a.Kind, a.Code, a.Patient, a.Detail)
		if a.Code == "claimed-relationship" && a.Patient == "bob" {
			bob = true
		}
		if a.Code == "claimed-relationship" && a.Patient == "jane" {
			t.Errorf("claimed-relationship alert names Jane, with whom RYY claimed no relationship: %+v", a)
		}
	}
	if !bob {
		t.Errorf("no claimed-relationship alert for Bob: %.500s", r.body)
	}
}
