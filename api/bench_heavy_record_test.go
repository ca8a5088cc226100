package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// A heavy record: a person with thousands of home glucose readings (a
// continuous monitor's, sent by the GP practice's system) beside an
// ordinary record of 300 problems. Her district nurse may see none of the
// readings (the role sees no observations); her GP sees them all.
//
//	go test ./api -run '^$' -bench HeavyRecord -benchtime 200x
//
// Compare each with BenchmarkHeavyRecord*/readings=0: the same person
// without the readings.

// heavyReadings is how many readings the heavy person has: about ten weeks
// of a monitor reading every five minutes.
const heavyReadings = 20000

func heavyRecordEnv(b *testing.B, readings int) (*env, map[string]string) {
	b.Helper()
	e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 }) // serve's default
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	var writes [][2]string
	writes = append(writes,
		[2]string{"Patient/h", `{"resourceType":"Patient","id":"h","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhsNumber(1) + `"}],"name":[{"family":"Heavy","given":["Ann"]}],"gender":"female","birthDate":"1941-02-03","generalPractitioner":[{"reference":"Organization/A81001"}]}`},
	)
	for i := 0; i < 300; i++ {
		writes = append(writes, [2]string{fmt.Sprintf("Condition/h-c%d", i), fmt.Sprintf(`{"resourceType":"Condition","id":"h-c%d","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"subject":{"reference":"Patient/h"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2019-01-%02d"}`, i, 1+i%28)})
	}
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < readings; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute).Format(time.RFC3339)
		writes = append(writes, [2]string{fmt.Sprintf("Observation/h-g%d", i), fmt.Sprintf(`{"resourceType":"Observation","id":"h-g%d","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"434912009","display":"Blood glucose concentration"}]},"subject":{"reference":"Patient/h"},"effectiveDateTime":"%s","valueQuantity":{"value":%d.%d,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}`, i, at, 4+i%7, i%10)})
	}
	for len(writes) > 0 {
		n := min(200, len(writes))
		var sb strings.Builder
		sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
		for i, w := range writes[:n] {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"resource":%s,"request":{"method":"PUT","url":"%s"}}`, w[1], w[0])
		}
		sb.WriteString(`]}`)
		if r := e.do("POST", "/fhir", gp, sb.String()); r.status != 200 {
			b.Fatalf("seed: %d %.300s", r.status, r.body)
		}
		writes = writes[n:]
	}
	if r := e.do("PUT", "/fhir/CareTeam/h-nursing", trust, `{"resourceType":"CareTeam","id":"h-nursing","status":"active","subject":{"reference":"Patient/h"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`); r.status != 201 {
		b.Fatalf("care team: %d %.300s", r.status, r.body)
	}
	return e, map[string]string{
		"nurse": e.token("district-nurse", "nhs", "RCX"),
		"gp":    e.token("gp", "nhs", "A81001"),
	}
}

func benchHeavy(b *testing.B, who, path string) {
	for _, n := range []int{0, heavyReadings} {
		b.Run(fmt.Sprintf("readings=%d", n), func(b *testing.B) {
			e, toks := heavyRecordEnv(b, n)
			c := newClient()
			if s := get(b, c, e.base+path, toks[who]); s != 200 {
				b.Fatalf("GET %s: %d", path, s)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if s := get(b, c, e.base+path, toks[who]); s != http.StatusOK {
					b.Fatalf("GET %s: %d", path, s)
				}
			}
		})
	}
}

// The nurse opens the whole record: 300 problems released, every reading
// withheld.
func BenchmarkHeavyRecordNurseEverything(b *testing.B) {
	benchHeavy(b, "nurse", "/fhir/Patient/h/$everything")
}

// The GP reads the first page of her observations.
func BenchmarkHeavyRecordGPObservationPage(b *testing.B) {
	benchHeavy(b, "gp", "/fhir/Observation?patient=h&_count=50")
}

// The GP reads one day of her observations.
func BenchmarkHeavyRecordGPObservationDay(b *testing.B) {
	benchHeavy(b, "gp", "/fhir/Observation?patient=h&date=2026-09-02")
}
