package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestRefusedBreakGlassIsToldApartInAlerts: IG's break-glass alert read
// the same whether the user's break-glass was granted or refused. A social
// worker (a role that may not break glass) asking for Jane's record with
// a reason, and a district nurse giving a reason too short to be one, were
// reported as "break-glass: <reason>", like the nurse whose grant opened
// the record: IG could not tell an attempt from an access. A refused one
// is still an alert (an attempt is what IG must hear of), and says so.
func TestRefusedBreakGlassIsToldApartInAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	const granted, byRole, tooShort = "EMERGENCY: found collapsed at home", "SAFEGUARDING: urgent concern raised", "urgent"
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "", "X-Break-Glass", byRole); r.status < 400 {
		t.Fatalf("a social worker's break-glass: %d (want it refused) %.300s", r.status, r.body)
	}
	stranger := e.token("district-nurse", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "nurse-brief" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", tooShort); r.status < 400 {
		t.Fatalf("a break-glass reason of %q: %d (want it refused) %.300s", tooShort, r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Break-Glass", granted); r.status != 200 {
		t.Fatalf("the nurse's break-glass: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001"), "")
	var rep alerts12d
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
	}
	details := map[string]string{}
	for _, al := range rep.Alerts {
		if al.Kind == "break-glass" {
			details[al.Detail] = al.Sub
		}
	}
	found := 0
	for d := range details {
		switch {
		case strings.Contains(d, granted):
			found++
			if strings.Contains(d, "refused") {
				t.Errorf("the granted break-glass is reported as refused: %q", d)
			}
		case strings.Contains(d, byRole), strings.Contains(d, tooShort):
			found++
			if !strings.Contains(d, "refused") {
				t.Errorf("a refused break-glass reads like a granted one: %q", d)
			}
		}
	}
	if found != 3 {
		t.Fatalf("want three break-glass alerts (one granted, two refused), found %d: %v", found, details)
	}
}
