package api_test

import (
	"strings"
	"testing"
)

// TestAccessLogNeverTellsLegallyRestricted: $explain reports a legally
// restricted item's reason as sensitive-label, since naming it would tell
// the IG officer that the person has assisted-fertilisation or
// gender-history records (HFEA, GRA). The access log, which IG officers
// read through AuditEvent and the IG reports, must not tell it either:
// whatever reads of such items are refused, with or without break-glass
// (which never releases them), no entry carries legally-restricted.
func TestAccessLogNeverTellsLegallyRestricted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Procedure/ivf", `{"resourceType":"Procedure","id":"ivf","status":"completed","subject":{"reference":"Patient/jane"},
		 "meta":{"security":[{"system":"https://carex.example/label","code":"HFEA"}]},"code":{"text":"IVF-CYCLE"}}`},
		[2]string{"/fhir/Condition/gra", `{"resourceType":"Condition","id":"gra","subject":{"reference":"Patient/jane"},
		 "meta":{"security":[{"system":"https://carex.example/label","code":"GRA"}]},"code":{"text":"GENDER-HISTORY"}}`},
		[2]string{"/fhir/CarePlan/after", `{"resourceType":"CarePlan","id":"after","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Procedure/ivf"}],"title":"AFTER-IVF"}`})
	const bg = "EMERGENCY: collapsed at home, no history"
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("hospital-clinician", "nhs", "RYY"), e.token("district-nurse", "nhs", "RCX")} {
		for _, h := range [][]string{nil, {"X-Break-Glass", bg}} {
			for _, p := range []string{"/fhir/Procedure/ivf", "/fhir/Condition/gra", "/fhir/Procedure?patient=jane", "/fhir/Condition?patient=jane",
				"/fhir/Patient/jane/$everything", "/fhir/Procedure/ivf/_history", "/fhir/CarePlan/after"} {
				if r := e.do("GET", p, tok, "", h...); strings.Contains(r.body, "IVF-CYCLE") || strings.Contains(r.body, "GENDER-HISTORY") {
					t.Fatalf("premise: GET %s (break-glass %v) releases a legally restricted item: %.300s", p, h != nil, r.body)
				}
			}
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, q := range []string{"role=gp&org=A81001&sector=nhs", "role=hospital-clinician&org=RYY&sector=nhs&break-glass=" + strings.ReplaceAll(bg, " ", "%20")} {
		if r := e.do("GET", "/fhir/Patient/jane/$explain?"+q, ig, ""); r.status != 200 || strings.Contains(r.body, "legally-restricted") {
			t.Errorf("$explain?%s: %d %.300s", q, r.status, r.body)
		}
	}
	for _, p := range []string{"/fhir/AuditEvent?patient=jane&_count=1000", "/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$break-glass", "/fhir/AuditEvent/$alerts",
		"/fhir/AuditEvent/$user-activity?agent=gp-user", "/fhir/AuditEvent/$user-activity?agent=hospital-clinician-user"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "legally-restricted") {
			t.Errorf("%s tells the IG officer an item is legally restricted: %.600s", p, r.body)
		}
	}
}
