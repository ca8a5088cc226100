package api_test

// Review 39b: the cost of one write, and of later reads, of an item whose
// attachment is crafted within the body limit. Measured by the process's
// CPU time (cpuTime, bench_audit_test.go) with generous bounds.

import (
	"encoding/base64"
	"fmt"
	"github.com/carex-project/carex/api"
	"strconv"
	"strings"
	"testing"
	"time"
)

// r39bDupNest is FHIR JSON nested depth levels deep: each level a Binary
// that repeats a key ("note" twice) and whose data is base64 of the level
// inside; dup false writes the second key under another name.
func r39bDupNest(depth int, dup bool) string {
	second := `,"note":"a","note":"b"}`
	if !dup {
		second = `,"note":"a","other":"b"}`
	}
	doc := `{"resourceType":"Basic"` + second
	for i := 0; i < depth; i++ {
		doc = `{"resourceType":"Binary","contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(doc)) + `"` + second
	}
	return doc
}

func r39bDocRef(id, ct, data string) string {
	return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R39B-LETTER"},"content":[{"attachment":{"contentType":"` + ct + `","data":"` + data + `"}}]}`
}

// r39bTimed runs one request and reports its status and the CPU time the
// process spent meanwhile.
func r39bTimed(e *env, method, path, tok, body string) (resp, time.Duration, time.Duration) {
	c0, w0 := cpuTime(), time.Now()
	r := e.do(method, path, tok, body)
	return r, cpuTime() - c0, time.Since(w0)
}

// TestReview39bNestedDuplicateKeyAttachmentWriteExponential: a GP feed
// writes a DocumentReference whose attachment is FHIR JSON nested 16
// levels deep (about 44 KB of body), each level repeating one key. The
// write's derive (attachedContent, texts true) reads each level twice
// (jsonDocs and firstKeptDocs, both walked for the level inside), so the
// innermost is read 2^16 times: the cost doubles with each level while the
// body grows by 4/3. An ordinary attachment of the same size, and the same
// nesting without the repeated key, take milliseconds.
func TestReview39bNestedDuplicateKeyAttachmentWriteExponential(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	// warm up
	e.do("PUT", "/fhir/DocumentReference/r39b-warm", gp, r39bDocRef("r39b-warm", "text/plain", base64.StdEncoding.EncodeToString([]byte("hello"))))
	plain := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("Seen today, all well. ", 2000)))
	r, c, w := r39bTimed(e, "PUT", "/fhir/DocumentReference/r39b-plain", gp, r39bDocRef("r39b-plain", "text/plain", plain))
	t.Logf("plain text attachment, body %d bytes: %d, cpu %v wall %v", len(plain), r.status, c, w)
	base := c
	var worst time.Duration
	for _, d := range []int{12, 14, 16} {
		for _, dup := range []bool{false, true} {
			data := base64.StdEncoding.EncodeToString([]byte(r39bDupNest(d, dup)))
			id := "r39b-nest"
			if dup {
				id += "-dup"
			}
			id += strings.Repeat("x", d)
			body := r39bDocRef(id, "application/fhir+json", data)
			r, c, w := r39bTimed(e, "PUT", "/fhir/DocumentReference/"+id, gp, body)
			t.Logf("depth %d dup %v, body %d bytes: %d, cpu %v wall %v", d, dup, len(body), r.status, c, w)
			if dup && c > worst {
				worst = c
			}
			if d == 16 {
				g, gc, gw := r39bTimed(e, "GET", "/fhir/DocumentReference/"+id, gp, "")
				t.Logf("  later GET %d, cpu %v wall %v", g.status, gc, gw)
			}
			if r.status != 201 && r.status != 200 {
				t.Logf("  %.200s", r.body)
			}
		}
	}
	if worst > raceSlowdown*time.Second && worst > 10*base+raceSlowdown*time.Second {
		t.Errorf("one PUT of a ~44 KB DocumentReference (attachment: FHIR JSON nested 16 deep, each level repeating a key) took %v CPU; an ordinary attachment of the same size %v", worst, base)
	}
}

// TestReview39bTextLabelsQuadraticOnWrite: a GP feed writes a
// DocumentReference whose text/plain attachment (128 KiB of text, about
// 171 KiB of body, under the default 8 MiB limit) repeats "-->0<" or
// "^0": every digit run starts with 0, so TextLabels asks wholeValue
// whether it is a whole value, and that searches back to the text's start
// for "<!--" (codeElement) or forward to its end for the end of a v2 field.
// Each run costs the whole text: quadratic. An ordinary letter of the same
// size, and a later read of the item, are measured for comparison.
func TestReview39bTextLabelsQuadraticOnWrite(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.do("PUT", "/fhir/DocumentReference/r39b-warm", gp, r39bDocRef("r39b-warm", "text/plain", base64.StdEncoding.EncodeToString([]byte("hello"))))
	size := 128 << 10
	var base time.Duration
	for _, c := range []struct{ id, unit string }{{"r39b-letter", "Seen today 0, all well. "}, {"r39b-comment", "-->0<"}, {"r39b-v2", "^0"}} {
		text := strings.Repeat(c.unit, size/len(c.unit))
		body := r39bDocRef(c.id, "text/plain", base64.StdEncoding.EncodeToString([]byte(text)))
		r, cpu, wall := r39bTimed(e, "PUT", "/fhir/DocumentReference/"+c.id, gp, body)
		t.Logf("%s: text %d bytes, body %d bytes: PUT %d, cpu %v wall %v", c.id, len(text), len(body), r.status, cpu, wall)
		g, gcpu, gwall := r39bTimed(e, "GET", "/fhir/DocumentReference/"+c.id, gp, "")
		t.Logf("%s: later GET %d, cpu %v wall %v", c.id, g.status, gcpu, gwall)
		if c.id == "r39b-letter" {
			base = cpu
			continue
		}
		if cpu > raceSlowdown*time.Second && cpu > 10*base {
			t.Errorf("%s: one PUT of a %d-byte body (text/plain attachment repeating %q) took %v CPU; an ordinary letter of the same size %v", c.id, len(body), c.unit, cpu, base)
		}
	}
}

// r39bNHSNumbers is n distinct valid NHS numbers (modulus 11) from start.
func r39bNHSNumbers(start, n int) []string {
	var out []string
	for x := start; len(out) < n; x++ {
		d := fmt.Sprintf("%09d", x)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(d[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c == 10 {
			continue
		}
		out = append(out, d+strconv.Itoa(c))
	}
	return out
}

// TestReview39bManyNumbersPerAttachmentEveryRead: a GP feed writes one
// DocumentReference of Jane's with k small XML attachments (application/
// xml), each listing 100 distinct NHS numbers (maxUnreadNumbers is per
// attachment). Every read by another organisation (RHX) runs
// maskUnreadPeople on each attachment, and each number is asked of the
// store (restrictedNumbers, restrictedLinks): k*100 lookups per read,
// again after any Patient is written (the number cache is dropped). The
// item releases fine; the cost is every later read of Jane's record.
func TestReview39bManyNumbersPerAttachmentEveryRead(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	k := 500
	nums := r39bNHSNumbers(100000000, k*100)
	var content []string
	for i := 0; i < k; i++ {
		text := "<p>" + strings.Join(nums[i*100:(i+1)*100], " ") + "</p>"
		content = append(content, `{"attachment":{"contentType":"application/xml","data":"`+base64.StdEncoding.EncodeToString([]byte(text))+`"}}`)
	}
	body := `{"resourceType":"DocumentReference","id":"r39b-list","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R39B-LIST"},"content":[` + strings.Join(content, ",") + `]}`
	r, c, w := r39bTimed(e, "PUT", "/fhir/DocumentReference/r39b-list", gp, body)
	t.Logf("PUT body %d bytes (%d attachments x 100 numbers): %d, cpu %v wall %v", len(body), k, r.status, c, w)
	if r.status != 201 && r.status != 200 {
		t.Fatalf("%.300s", r.body)
	}
	ctl := `{"resourceType":"DocumentReference","id":"r39b-ctl","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R39B-LIST"},"content":[{"attachment":{"contentType":"text/plain","data":"` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", len(body)*3/4))) + `"}}]}`
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r39b-ctl", ctl})
	g, gc, gw := r39bTimed(e, "GET", "/fhir/DocumentReference/r39b-ctl", hosp, "")
	t.Logf("control: RHX GET of a plain attachment of the same size: %d, cpu %v wall %v", g.status, gc, gw)
	var worst time.Duration
	for i := 0; i < 3; i++ {
		if i == 2 {
			// any Patient written drops the number cache
			e.putAll(t, gp, [2]string{"/fhir/Patient/r39b-other", `{"resourceType":"Patient","id":"r39b-other","name":[{"family":"Other"}]}`})
		}
		g, gc, gw := r39bTimed(e, "GET", "/fhir/DocumentReference/r39b-list", hosp, "")
		t.Logf("RHX GET %d: %d (%d bytes), cpu %v wall %v", i, g.status, len(g.body), gc, gw)
		worst = max(worst, gc)
	}
	ev, ec, ew := r39bTimed(e, "GET", "/fhir/Patient/jane/$everything", hosp, "")
	t.Logf("RHX $everything: %d, cpu %v wall %v", ev.status, ec, ew)
	if worst > raceSlowdown*time.Second {
		t.Errorf("RHX GET /fhir/DocumentReference/r39b-list (a %d-byte item, %d XML attachments of 100 NHS numbers each) took up to %v CPU per read", len(body), k, worst)
	}
}

// TestReview39bSoundRestrictedOwnLargeXMLReadCost: the restricted person
// r21's own letter, a 2 MiB XML attachment naming no one, read by RHX (her
// care team): each read decodes and scans it (maskUnreadPeople,
// peopleIn). Measured against a plain-text letter of the same size; linear
// (bounded generously at 1 s), reported, not a finding unless it fails.
func TestReview39bSoundRestrictedOwnLargeXMLReadCost(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	text := "<letter>" + strings.Repeat("<p>Seen in clinic today, well; review 3 months.</p>\n", (2<<20)/52) + "</letter>"
	for _, c := range []struct{ id, ct string }{{"r39b-r21-plain", "text/plain"}, {"r39b-r21-xml", "application/xml"}} {
		body := `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/r21"},"type":{"text":"R39B"},"content":[{"attachment":{"contentType":"` + c.ct + `","data":"` + base64.StdEncoding.EncodeToString([]byte(text)) + `"}}]}`
		r, pc, _ := r39bTimed(e, "PUT", "/fhir/DocumentReference/"+c.id, gp, body)
		g, gc, gw := r39bTimed(e, "GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		t.Logf("%s: body %d bytes, PUT %d cpu %v; RHX GET %d cpu %v wall %v", c.id, len(body), r.status, pc, g.status, gc, gw)
		if gc > raceSlowdown*time.Second {
			t.Errorf("%s: one RHX read took %v CPU", c.id, gc)
		}
	}
}

// r39bXMLAttachments is a DocumentReference of Jane's whose application/xml
// attachments hold texts, and the base64 of each.
func r39bXMLAttachments(id string, texts ...string) (string, []string) {
	var content, data []string
	for _, text := range texts {
		d := base64.StdEncoding.EncodeToString([]byte(text))
		data = append(data, d)
		content = append(content, `{"attachment":{"contentType":"application/xml","data":"`+d+`"}}`)
	}
	return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R39B-LIST"},"content":[` + strings.Join(content, ",") + `]}`, data
}

// TestReview39bUnreadNumbersCappedPerItem: maxUnreadNumbers (100) counts
// the distinct NHS numbers looked up across an item's attachments, not in
// each (the fix of TestReview39bManyNumbersPerAttachmentEveryRead, shown
// by what is released rather than by time): two XML attachments of 60
// numbers each, read by RHX, the first goes whole and the second, past
// the cap, is masked. Control: one attachment of 60 goes whole.
func TestReview39bUnreadNumbersCappedPerItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	nums := r39bNHSNumbers(100000000, 120)
	a, b := "<p>"+strings.Join(nums[:60], " ")+"</p>", "<p>"+strings.Join(nums[60:], " ")+"</p>"
	one, oneData := r39bXMLAttachments("r39b-cap-one", a)
	two, twoData := r39bXMLAttachments("r39b-cap-two", a, b)
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r39b-cap-one", one}, [2]string{"/fhir/DocumentReference/r39b-cap-two", two})
	r := e.do("GET", "/fhir/DocumentReference/r39b-cap-one", hosp, "")
	if r.status != 200 || !strings.Contains(r.body, oneData[0]) {
		t.Errorf("control: one attachment of 60 numbers: %d, whole %v", r.status, strings.Contains(r.body, oneData[0]))
	}
	r = e.do("GET", "/fhir/DocumentReference/r39b-cap-two", hosp, "")
	if r.status != 200 {
		t.Fatalf("premise: RHX reads Jane's list: %d %.200s", r.status, r.body)
	}
	if !strings.Contains(r.body, twoData[0]) {
		t.Errorf("the first attachment (60 numbers, under the cap) was masked")
	}
	if strings.Contains(r.body, twoData[1]) {
		t.Errorf("the second attachment (numbers 61 to 120 of the item, past the cap of 100 per item) went whole")
	}
}

// TestReview39bRestrictedNumberInEachAttachmentMasked: numbers are looked
// up once per item, and a number's answer holds for every attachment that
// carries it: r21's (restricted) NHS number in both of Jane's XML
// attachments masks both, the second too though her number was looked up
// for the first.
func TestReview39bRestrictedNumberInEachAttachmentMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	body, data := r39bXMLAttachments("r39b-twice", "<p>Carer: 9990000069</p>", "<p>Next of kin 999 000 0069, see above</p>")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/r39b-twice", body})
	r := e.do("GET", "/fhir/DocumentReference/r39b-twice", hosp, "")
	if r.status != 200 {
		t.Fatalf("premise: RHX reads Jane's letter: %d %.200s", r.status, r.body)
	}
	for i, d := range data {
		if strings.Contains(r.body, d) {
			t.Errorf("attachment %d carrying r21's (restricted) NHS number went whole to RHX", i)
		}
	}
}

// BenchmarkReview39bLabelledDirXMLRead measures what review 38b's
// xmlDirCopies (maybeInText, textWithholds) adds to a read: RCX reads a
// letter of Jane's with a 1 MiB attachment (XML or plain text) naming no
// directory item, with a labelled directory item stored (the refuge, as
// seed31b) or none. Reported, not fixed (review 39b):
//
//	go test ./api -run '^$' -bench Review39bLabelledDirXMLRead -benchtime 20x
func BenchmarkReview39bLabelledDirXMLRead(b *testing.B) {
	text := "<letter>" + strings.Repeat("<p>Seen in clinic today, well; review 3 months.</p>\n", (1<<20)/52) + "</letter>"
	for _, labelled := range []bool{false, true} {
		for _, ct := range []string{"text/plain", "application/xml"} {
			b.Run(fmt.Sprintf("labelled=%v/ct=%s", labelled, ct), func(b *testing.B) {
				e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 })
				gp := e.token("system", "nhs", "A81001")
				must := func(r resp) {
					if r.status != 200 && r.status != 201 {
						b.Fatalf("%d %.300s", r.status, r.body)
					}
				}
				must(e.do("PUT", "/fhir/Patient/jane", gp, janeJSON))
				must(e.do("PUT", "/fhir/Encounter/admission", e.token("system", "nhs", "RHX"), `{"resourceType":"Encounter","id":"admission","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`))
				if labelled {
					must(e.do("PUT", "/fhir/Organization/refuge39b", e.token("system", "nhs", "RHX"), `{"resourceType":"Organization","id":"refuge39b",`+rLabel31b+`,
					  "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSREF39"}],"name":"Refuge 39b"}`))
				}
				must(e.do("PUT", "/fhir/DocumentReference/r39b-dir", gp, r39bDocRef("r39b-dir", ct, base64.StdEncoding.EncodeToString([]byte(text)))))
				hosp := e.token("hospital-clinician", "nhs", "RHX")
				must(e.do("GET", "/fhir/DocumentReference/r39b-dir", hosp, ""))
				b.ResetTimer()
				c0 := cpuTime()
				for i := 0; i < b.N; i++ {
					must(e.do("GET", "/fhir/DocumentReference/r39b-dir", hosp, ""))
				}
				b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N), "cpu-us/read")
			})
		}
	}
}
