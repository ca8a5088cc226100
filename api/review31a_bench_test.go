package api_test

// Review 31a: cost of reading an item of one person that carries, in an
// attachment carex does not read as FHIR JSON (an XML letter), many
// distinct NHS numbers. maskUnreadPeople asks, for each, whether it is a
// restricted person's (numberInfo: two store searches for each number not
// in the cache, which any Patient write empties). A benchmark, not a timed
// test: go test ./api -run '^$' -bench Review31a -benchtime 5x

import (
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// r31aNHS is the i-th valid NHS number in the 999 test range.
func r31aNHS(i int) string {
	for ; ; i++ {
		d := fmt.Sprintf("999%06d", i%1000000)
		sum := 0
		for k := 0; k < 9; k++ {
			sum += int(d[k]-'0') * (10 - k)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return d + fmt.Sprint(c)
		}
	}
}

// r31aXMLNumbers is an XML letter of about kib KiB listing distinct NHS
// numbers (a clinic list, a mail merge).
func r31aXMLNumbers(kib int) (string, int) {
	var b strings.Builder
	b.WriteString("<list>")
	n := 0
	for i := 0; b.Len() < kib<<10; i++ {
		b.WriteString("<id>" + r31aNHS(i*11) + "</id>")
		n++
	}
	b.WriteString("</list>")
	return b.String(), n
}

func benchmarkReview31aManyNumbers(b *testing.B, kib int, xml, cold bool) {
	e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 }) // the server's default
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	must := func(r resp) {
		if r.status != 200 && r.status != 201 {
			b.Fatalf("%d %.300s", r.status, r.body)
		}
	}
	must(e.do("PUT", "/fhir/Patient/jane", gp, janeJSON))
	must(e.do("PUT", "/fhir/Encounter/admission", hosp, `{"resourceType":"Encounter","id":"admission","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`))
	data, n := r31aXMLNumbers(kib)
	ct := "application/xml"
	if !xml {
		data = strings.NewReplacer("<", "(", ">", ")").Replace(data) // plain text: not sniffed as structured
		ct = "text/plain"
	}
	must(e.do("PUT", "/fhir/DocumentReference/r31a-list", gp, `{"resourceType":"DocumentReference","id":"r31a-list","status":"current","subject":{"reference":"Patient/jane"},
		"content":[{"attachment":{"contentType":"`+ct+`","data":"`+b64r31a(data)+`"}}]}`))
	clin := e.token("hospital-clinician", "nhs", "RHX")
	if !cold {
		must(e.do("GET", "/fhir/DocumentReference/r31a-list", clin, "")) // fills the cache
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cold {
			b.StopTimer()
			// any Patient written empties the number cache (a busy feed writes many)
			must(e.do("PUT", "/fhir/Patient/other", gp, `{"resourceType":"Patient","id":"other","name":[{"family":"X`+fmt.Sprint(i)+`"}]}`))
			b.StartTimer()
		}
		if r := e.do("GET", "/fhir/DocumentReference/r31a-list", clin, ""); r.status != 200 {
			b.Fatalf("%d %.300s", r.status, r.body)
		}
	}
	b.ReportMetric(float64(n), "numbers")
}

// BenchmarkReview31aReadLetterManyNHSNumbers: the XML letter (checked for
// restricted people's numbers on each read) against the same bytes as
// plain text (not checked).
func BenchmarkReview31aReadLetterManyNHSNumbers(b *testing.B) {
	for _, kib := range []int{64, 256, 512} {
		b.Run(fmt.Sprintf("xml-%dKiB", kib), func(b *testing.B) { benchmarkReview31aManyNumbers(b, kib, true, true) })
		b.Run(fmt.Sprintf("xml-cache-warm-%dKiB", kib), func(b *testing.B) { benchmarkReview31aManyNumbers(b, kib, true, false) })
		b.Run(fmt.Sprintf("text-%dKiB", kib), func(b *testing.B) { benchmarkReview31aManyNumbers(b, kib, false, true) })
	}
}
