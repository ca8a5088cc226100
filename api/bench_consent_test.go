package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// seedRecord writes a 500-item record for Patient/p0: the GP's problems,
// medications and observations, a community-trust care team.
func seedRecord(b *testing.B, e *env, items int) {
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	sb.WriteString(`{"resource":{"resourceType":"Patient","id":"p0","generalPractitioner":[{"reference":"Organization/A81001"}],"name":[{"family":"Bench"}]},"request":{"method":"PUT","url":"Patient/p0"}}`)
	for i := 0; i < items-1; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&sb, `,{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/p0"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"%d"}]},"onsetDateTime":"20%02d-01-01"},"request":{"method":"POST","url":"Condition"}}`, 44054006+i, 10+i%15)
		case 1:
			fmt.Fprintf(&sb, `,{"resource":{"resourceType":"MedicationStatement","status":"active","subject":{"reference":"Patient/p0"},"medicationCodeableConcept":{"text":"med %d"},"effectiveDateTime":"2024-02-0%d"},"request":{"method":"POST","url":"MedicationStatement"}}`, i, 1+i%9)
		default:
			fmt.Fprintf(&sb, `,{"resource":{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p0"},"code":{"text":"allergen %d"},"recordedDate":"2023-05-0%d"},"request":{"method":"POST","url":"AllergyIntolerance"}}`, i, 1+i%9)
		}
	}
	sb.WriteString(`]}`)
	if r := e.do("POST", "/fhir", gp, sb.String()); r.status != 200 {
		b.Fatalf("seed: %d %.300s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/CareTeam/ct", trust, `{"resourceType":"CareTeam","id":"ct","status":"active","subject":{"reference":"Patient/p0"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`); r.status != 201 {
		b.Fatalf("care team: %d %s", r.status, r.body)
	}
}

// Two consents in force: an objection to council sharing with a permit
// back for care plans, and a dated restriction on old problems.
const benchConsents = `{"resourceType":"Bundle","type":"transaction","entry":[
{"resource":{"resourceType":"Consent","id":"c1","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p0"},"dateTime":"2026-01-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}],
   "provision":[{"type":"permit","class":[{"system":"http://hl7.org/fhir/resource-types","code":"CarePlan"}]}]}},"request":{"method":"PUT","url":"Consent/c1"}}]}`

func benchEverything(b *testing.B, opts ...func(*api.Config)) (*env, string) {
	e := newEnv(b, append([]func(*api.Config){func(c *api.Config) { c.MaxBody = 8 << 20 }}, opts...)...)
	seedRecord(b, e, 500)
	return e, e.token("district-nurse", "nhs", "RCX")
}

func runEverything(b *testing.B, e *env, tok string) {
	c := newClient()
	url := e.base + "/fhir/Patient/p0/$everything?_count=500"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := get(b, c, url, tok); s != 200 {
			b.Fatalf("status %d", s)
		}
	}
}

// BenchmarkEverything500 compares $everything on a 500-item record as a
// district nurse: with consents in force, with none, and with the sharing
// decision switched off (OpenPolicy).
func BenchmarkEverything500(b *testing.B) {
	b.Run("consents", func(b *testing.B) {
		e, tok := benchEverything(b)
		if r := e.do("POST", "/fhir", e.token("gp", "nhs", "A81001"), benchConsents); r.status != 200 {
			b.Fatalf("consents: %d %s", r.status, r.body)
		}
		runEverything(b, e, tok)
	})
	b.Run("no-consent", func(b *testing.B) {
		e, tok := benchEverything(b)
		runEverything(b, e, tok)
	})
	b.Run("decision-off", func(b *testing.B) {
		e, tok := benchEverything(b, func(c *api.Config) { c.Policy = api.OpenPolicy{} })
		runEverything(b, e, tok)
	})
}
