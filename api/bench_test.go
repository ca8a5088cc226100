package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks go through the real HTTP stack: token check, SQLite, JSON out.
// Run: go test ./api -run '^$' -bench . -benchtime 2s

func benchEnv(b *testing.B) (*env, string) {
	e := newEnv(b)
	return e, e.token("gp", "nhs", "A81001")
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

func get(b *testing.B, c *http.Client, url, token string) int {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func post(b *testing.B, c *http.Client, url, token, body string) int {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func seedPatients(b *testing.B, e *env, token string, n int) {
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"resource":{"resourceType":"Patient","id":"p%d","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"Fam%d","given":["G"]}],"birthDate":"1950-01-01"},"request":{"method":"PUT","url":"Patient/p%d"}}`,
			i, nhsNumber(i), i, i)
	}
	sb.WriteString(`]}`)
	if r := e.do("POST", "/fhir", token, sb.String()); r.status != 200 {
		b.Fatalf("seed: %d %.300s", r.status, r.body)
	}
}

// nhsNumber makes the i-th valid number in the 999 test range.
func nhsNumber(i int) string {
	for n := 999000000 + i*7; ; n++ {
		s := fmt.Sprintf("%09d", n)
		sum := 0
		for k := 0; k < 9; k++ {
			sum += int(s[k]-'0') * (10 - k)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return s + fmt.Sprint(c)
		}
	}
}

func BenchmarkReadByID(b *testing.B) {
	e, tok := benchEnv(b)
	seedPatients(b, e, tok, 200)
	b.ResetTimer()
	readSeeded(b, e, tok)
}

// reportCPU adds the process's CPU time per operation since cpu0 (client
// and server together): on a machine other work shares, ns/op follows
// that work, CPU per operation much less.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
}

// readSeeded reads the 200 patients seedPatients wrote, round robin, on
// b.RunParallel's goroutines.
func readSeeded(b *testing.B, e *env, tok string) {
	c := newClient()
	var i atomic.Int64
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := i.Add(1) % 200
			if s := get(b, c, fmt.Sprintf("%s/fhir/Patient/p%d", e.base, n), tok); s != 200 {
				b.Fatalf("status %d", s)
			}
		}
	})
}

func BenchmarkSearchByNHSNumber(b *testing.B) {
	e, tok := benchEnv(b)
	seedPatients(b, e, tok, 200)
	c := newClient()
	var i atomic.Int64
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(i.Add(1) % 200)
			if s := get(b, c, e.base+"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhsNumber(n), tok); s != 200 {
				b.Fatalf("status %d", s)
			}
		}
	})
}

func BenchmarkCreate(b *testing.B) {
	e, tok := benchEnv(b)
	c := newClient()
	body := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if s := post(b, c, e.base+"/fhir/Observation", tok, body); s != 201 {
				b.Fatalf("status %d", s)
			}
		}
	})
}

// BenchmarkTransactionImport posts 15-entry transaction bundles (a patient
// and 14 observations, linked by urn:uuid) and reports resources/s.
func BenchmarkTransactionImport(b *testing.B) {
	e, tok := benchEnv(b)
	c := newClient()
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := n.Add(1)
			var sb strings.Builder
			fmt.Fprintf(&sb, `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:00000000-0000-0000-0000-%012d","resource":{"resourceType":"Patient","name":[{"family":"Bench"}]},"request":{"method":"POST","url":"Patient"}}`, k)
			for j := 0; j < 14; j++ {
				fmt.Fprintf(&sb, `,{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"urn:uuid:00000000-0000-0000-0000-%012d"},"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":%d,"unit":"/min"}},"request":{"method":"POST","url":"Observation"}}`, k, 60+j)
			}
			sb.WriteString(`]}`)
			if s := post(b, c, e.base+"/fhir", tok, sb.String()); s != 200 {
				b.Fatalf("status %d", s)
			}
		}
	})
	b.ReportMetric(float64(b.N*15)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkReadCrossOrg: a district nurse reads Patient records the GP
// practice wrote, for people on the community trust's caseload (a CareTeam
// it recorded): every read needs the person's relationships and consents
// (PatientContext) and a decision, which the GP's own reads skip.
func BenchmarkReadCrossOrg(b *testing.B) {
	e, gp := benchEnv(b)
	seedPatients(b, e, gp, 200)
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"resource":{"resourceType":"CareTeam","id":"ct%d","status":"active","subject":{"reference":"Patient/p%d"},"managingOrganization":[{"reference":"Organization/RCX"}]},"request":{"method":"PUT","url":"CareTeam/ct%d"}}`, i, i, i)
	}
	sb.WriteString(`]}`)
	if r := e.do("POST", "/fhir", e.token("system", "nhs", "RCX"), sb.String()); r.status != 200 {
		b.Fatalf("care teams: %d %.300s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	b.ResetTimer()
	readSeeded(b, e, nurse)
}
