package api_test

import (
	"strings"
	"testing"
)

// TestReview41aSoundPermitOnLinkingRecordOpensNothing: Jane has opted out
// (on Patient/jane). The hospital writes its own Patient of her linking
// to Patient/jane (by reference, and another by her number under the
// http form), and records on each an opt-in permitting everything, newer
// than her opt-out, plus a care team of RYY. Her GP items stay withheld
// from the district nurses RCX and RYY (a linking record's Consents only
// withhold; its relationships are its own).
func TestReview41aSoundPermitOnLinkingRecordOpensNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")})
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/hl41", `{"resourceType":"Patient","id":"hl41","name":[{"family":"Smith"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		[2]string{"/fhir/Patient/hl41n", `{"resourceType":"Patient","id":"hl41n","name":[{"family":"Smith"}],"link":[{"other":{"identifier":{"system":"http://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"type":"replaced-by"}]}`},
		[2]string{"/fhir/Consent/hl41-optin", strings.Replace(janeConsent("hl41-optin", "2026-11-20", "OPTIN", ""), "Patient/jane", "Patient/hl41", 1)},
		[2]string{"/fhir/Consent/hl41n-optin", strings.Replace(janeConsent("hl41n-optin", "2026-11-20", "OPTIN", ""), "Patient/jane", "Patient/hl41n", 1)},
		[2]string{"/fhir/CareTeam/hl41-ryy", `{"resourceType":"CareTeam","id":"hl41-ryy","status":"active","subject":{"reference":"Patient/hl41"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`},
		[2]string{"/fhir/CareTeam/hl41n-ryy", `{"resourceType":"CareTeam","id":"hl41n-ryy","status":"active","subject":{"reference":"Patient/hl41n"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`})
	for _, who := range []string{"RCX", "RYY"} {
		nurse := e.token("district-nurse", "nhs", who)
		for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane", "/fhir/Patient/hl41/$everything", "/fhir/Patient/hl41n/$everything",
			"/fhir/Patient?_id=hl41&_include=Patient:link", "/fhir/Patient?identifier=9434765919&_revinclude=Condition:subject"} {
			r := e.do("GET", p, nurse, "")
			for _, s := range []string{"GP-DIABETES", "GP-HBA1C"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s GET %s: %s despite her opt-out: %d", who, p, s, r.status)
				}
			}
		}
	}
}
