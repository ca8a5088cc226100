package api_test

import (
	"encoding/base64"
	"github.com/carex-project/carex/api"
	"strings"
	"testing"
)

// BenchmarkReview40aUnreadNumbersRead measures the read of Jane's letter
// with a 1 MiB XML attachment (clinic notes with dates, times, phone
// numbers and a few NHS numbers) by another organisation (RHX), where
// maskUnread looks for NHS numbers in it (numbersIn; review 40a F6: a
// regexp FindAll, ~32 ms a read, replaced by a hand-written scanner):
//
//	go test ./api -run '^$' -bench Review40aUnreadNumbersRead -benchtime 20x
func BenchmarkReview40aUnreadNumbersRead(b *testing.B) {
	line := "<p>Seen 12/03/2026 10:30 in clinic, tel 0113 243 3144; NHS 943 476 5919; BP 128/82, review in 3 months (ref 2026-0412).</p>\n"
	text := "<letter>" + strings.Repeat(line, (1<<20)/len(line)) + "</letter>"
	e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 })
	gp := e.token("system", "nhs", "A81001")
	must := func(r resp) {
		if r.status != 200 && r.status != 201 {
			b.Fatalf("%d %.300s", r.status, r.body)
		}
	}
	must(e.do("PUT", "/fhir/Patient/jane", gp, janeJSON))
	must(e.do("PUT", "/fhir/Encounter/admission", e.token("system", "nhs", "RHX"), `{"resourceType":"Encounter","id":"admission","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`))
	must(e.do("PUT", "/fhir/DocumentReference/r40a-num", gp, r39bDocRef("r40a-num", "application/xml", base64.StdEncoding.EncodeToString([]byte(text)))))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	must(e.do("GET", "/fhir/DocumentReference/r40a-num", hosp, ""))
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		must(e.do("GET", "/fhir/DocumentReference/r40a-num", hosp, ""))
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N), "cpu-us/read")
}
