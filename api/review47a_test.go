package api_test

// Review 47a: re-read of 1e60b61 (eachDataURL: any case, a url runs to a
// quote, '<' or '>' with tab/CR/LF removed, and a second reading up to the
// first white space; the scan resumes at the url's end) and 2ca3ed9
// (numbersIn: numbers past the cap counted once).

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

const r47aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// r47aPNG is a 1x1 PNG header in base64 (short: no base64 run of 64).
var r47aPNG = b64r31a("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

// TestReview47aSecondDataURLAfterBase64URLInProse: Jane's letter (plain
// text or HTML element text) with two data: urls in prose, separated by a
// space or a line break, no quotes: a small base64 image, then an HIV
// Condition percent-encoded. The first url's whole reading runs to the end
// of the text (no quote, '<' or '>'), does not decode (':' is no base64),
// its short reading ends at the space; the scan resumes at the whole
// url's end, so the second url is never read. At 1e60b61^ a url ended at
// white space and the scan went on: the second was read (404).
func TestReview47aSecondDataURLAfterBase64URLInProse(t *testing.T) {
	hiv := "data:application/fhir+json," + pctAll(r47aHIVCond)
	img := "data:image/png;base64," + r47aPNG
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r47a-2nd-space", "text/plain", "Scan: " + img + " record: " + hiv + " Regards", 404},
		{"r47a-2nd-lf", "text/plain", "Scan:\n" + img + "\n" + hiv + "\nRegards", 404},
		{"r47a-2nd-html", "text/html", "<html><body><p>Scan " + img + " and " + hiv + " seen</p></body></html>", 404},
		{"r47a-2nd-srcset", "text/html", `<html><body><img srcset="` + img + ` 1x, ` + hiv + ` 2x"/></body></html>`, 404},
		{"r47a-2nd-csv", "text/csv", "id,scan,record\n1," + img + " ," + hiv + "\n", 404},
		// premise: the second alone is read
		{"r47a-alone", "text/plain", "record: " + hiv + " Regards", 404},
	})
}

// TestReview47aApostropheInsideQuotedURL: the HIV Condition percent-encoded
// in an XML attachment's <url value="..."> (double quotes), with one
// literal apostrophe in the url before the code (legal in a
// double-quoted attribute; the XML reader and the URL parser keep it):
// eachDataURL ends the url at the apostrophe and the rest, the code, is
// never read.
func TestReview47aApostropheInsideQuotedURL(t *testing.T) {
	cond := `{"resourceType":"Condition","note":[{"text":"patient's own words"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	k := strings.Index(cond, "'")
	u := "data:application/fhir+json," + pctAll(cond[:k]) + "'" + pctAll(cond[k+1:])
	st := r26aLetter(t, new47aEnv(t), "r47a-apos", `{"contentType":"application/fhir+xml","data":"`+b64r31a(xmlAttachmentURL(u))+`"}`, "")
	t.Logf("r47a-apos: RHX GET -> %d", st)
	if st != 404 {
		t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/r47a-apos (HIV Condition percent-encoded in a url value=\"...'...\") -> %d, want 404", st)
	}
}

func new47aEnv(t *testing.T) *env {
	e := newEnv(t)
	seedShared(t, e)
	return e
}

// TestReview47aSecondURLRestrictedPerson: r21's Patient as XML
// percent-encoded in the second of two data: urls in prose in her letter
// element text of her XML letter (the first a small base64 image): the
// letter goes whole to RHX in her care team (alone, it is masked).
func TestReview47aSecondURLRestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	her := "data:application/fhir+xml," + pctAll(r32aHerPatientXML)
	for _, c := range []struct{ id, text string }{
		{"r47a-rp-alone", "<letter><p>Her record: " + her + " Regards</p></letter>"},
		{"r47a-rp-second", "<letter><p>Scan: data:image/png;base64," + r47aPNG + " record: " + her + " Regards</p></letter>"},
	} {
		data := b64r31a(c.text)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/r21"},
		"type":{"text":"R47A-LETTER"},"content":[{"attachment":{"contentType":"application/xml","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		whole := strings.Contains(r.body, data)
		t.Logf("%s: %d whole=%v", c.id, r.status, whole)
		if whole {
			i := strings.Index(r.body, data)
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s -> %d releases r21's letter whole (her Patient in the second data: url): …%s…", c.id, r.status, r.body[max(0, i-60):min(len(r.body), i+60)])
		}
	}
}

// r47aLabLetter: an ordinary plain-text lab letter of n lines, each
// "<test> data: <value>, <value>" (no quotes).
func r47aLabLetter(n int) string {
	var b strings.Builder
	b.WriteString("Dear Dr Smith,\nResults from clinic follow.\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Visit %d lab data: Hb %d g/L, WCC %d.%d, platelets normal.\n", i+1, 120+i%30, 4+i%5, i%10)
	}
	b.WriteString("Regards\n")
	return b.String()
}

// TestReview47aOrdinaryProseManyDataWords: an ordinary lab letter, plain
// text or CSV, whose lines say "lab data: Hb 135 g/L, ..." (no quotes):
// each "data:" with a comma after it is now a url running to the end of
// the text, and its data holds the next one: the payloads decoded come to
// the square of the letter's size, past the decode cap, and the letter is
// labelled R (fail closed) and withheld from RHX. At 1e60b61^ "data:" then
// a space was no url: released.
func TestReview47aOrdinaryProseManyDataWords(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("visit,summary\n")
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&csv, "%d,lab data: Hb %d g/L; WCC normal\n", i, 120+i%30)
	}
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r47a-lab-50", "text/plain", r47aLabLetter(50), 200},
		{"r47a-lab-600", "text/plain", r47aLabLetter(600), 200},
		{"r47a-lab-csv", "text/csv", csv.String(), 200},
	})
}

// TestReview47aSoundOrdinaryLetters: ordinary letters with data: urls go
// to RHX whole: HTML with several images and text between them, JSON with
// data: urls in many string values, prose with "data:" words, an image
// then prose.
func TestReview47aSoundOrdinaryLetters(t *testing.T) {
	var html, js strings.Builder
	html.WriteString("<html><body>")
	js.WriteString(`{"images":[`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&html, `<p>Image %d seen in clinic, lesion stable.</p><img src="data:image/png;base64,%s"/> text between %d `, i, b64r31a(fmt.Sprintf("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR%04d", i)), i)
		if i > 0 {
			js.WriteString(",")
		}
		fmt.Fprintf(&js, `{"caption":"image %d, seen","src":"data:image/png;base64,%s","note":"data: ok, fine"}`, i, b64r31a(fmt.Sprintf("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR%04d", i)))
	}
	html.WriteString("</body></html>")
	js.WriteString("]}")
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r47a-html-imgs", "text/html", html.String(), 200},
		{"r47a-json-urls", "application/json", js.String(), 200},
		{"r47a-prose-words", "text/plain", "Clinic data: BP normal, weight stable. DATA: none, nil. Metadata: x, y.", 200},
		{"r47a-img-then-prose", "text/plain", "Scan data:image/png;base64," + r47aPNG + " attached, all well, see you in May.", 200},
	})
}

// TestReview47aSoundSecondURLAfterTextURL: two urls in prose, the first
// percent-encoded text: the first's whole reading decodes and holds the
// second, decoded once, so the code is read (404).
func TestReview47aSoundSecondURLAfterTextURL(t *testing.T) {
	hiv := "data:application/fhir+json," + pctAll(r47aHIVCond)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r47a-2nd-after-text", "text/plain", "Note: data:text/plain,Seen%20in%20clinic then " + hiv + " Regards", 404},
		{"r47a-DATA-upper", "text/plain", "record: DATA:application/fhir+json," + pctAll(r47aHIVCond) + " Regards", 404},
	})
}

// TestReview47aCostAdversarialShapes: 1 MiB letters of "data:,",
// "DATA:" without commas, a long run without quotes, against an ordinary
// 1 MiB letter: PUT CPU.
func TestReview47aCostAdversarialShapes(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	const size = 1 << 20
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	put := func(id, text string) (time.Duration, int) {
		ct := "text/plain"
		if strings.HasPrefix(text, "<") {
			ct = "application/xml"
		}
		text = text[:min(len(text), size)]
		c0 := cpuTime()
		r := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R47A-LETTER"},"content":[{"attachment":{"contentType":"`+ct+`","data":"`+b64r31a(text)+`"}}]}`)
		d := cpuTime() - c0
		c1 := cpuTime()
		g := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		dg := cpuTime() - c1
		t.Logf("PUT %s (%s, %d bytes): %d in %v CPU; RHX GET %d in %v CPU", id, ct, len(text), r.status, d, g.status, dg)
		return max(d, dg), r.status
	}
	rep := func(s string) string { return strings.Repeat(s, size/len(s)+1) }
	base, _ := put("r47a-c-plain", rep("Seen in clinic, well. "))
	bx, _ := put("r47a-c-xml-plain", "<x>"+rep("Seen in clinic, well. "))
	base = max(base, bx)
	for _, c := range []struct{ id, text string }{
		{"r47a-c-datacomma", rep("data:,")},
		{"r47a-c-DATA", rep("DATA:")},
		{"r47a-c-datasp", rep("data:, ")},
		{"r47a-c-labdata", rep("lab data: Hb 135, ok\n")},
		{"r47a-c-b64comma", rep("data:;base64,")},
		{"r47a-c-pct", rep("data:,%25")},
		{"r47a-c-xml-datacomma", "<x>" + rep("data:,")},
		{"r47a-c-xml-datasp", "<x>" + rep("data:,a ")},
		{"r47a-c-xml-pctnest", "<x>" + rep("data:,%2564%2561")},
	} {
		d, st := put(c.id, c.text)
		if d > 10*base+2*time.Second {
			t.Errorf("system A81001: PUT a 1 MiB letter %s took %v CPU (status %d); an ordinary one %v", c.id, d, st, base)
		}
	}
}

// TestReview47aSoundNumbersCapPositions: 2ca3ed9. r21's (restricted) NHS
// number in Jane's XML list behind 100 + 9,999 others (space separated,
// and each written "999 000 0069"-style with spaces), and behind 100 +
// 9,999 with every number before it repeated once (repeats are not
// counted): masked and an IG restricted-patient alert naming r21; behind
// 100 + 10,000: masked (the documented cap: no alert, logged). Also the
// CPU of RHX reading a 1 MiB list of NHS numbers against a 1 MiB ordinary
// XML letter.
func TestReview47aSoundNumbersCapPositions(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("cost probe: run without -race")
	}
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	seed21a(t, e, "")
	gp := e.token("system", "nhs", "A81001")
	spaced := func(ns []string) []string {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = n[:3] + " " + n[3:6] + " " + n[6:]
		}
		return out
	}
	mk := func(past int, sep string, f func([]string) []string) string {
		nums := r39bNHSNumbers(100000000, 100+past)
		nums = append(f(nums), f([]string{"9990000069"})...)
		return "<list><p>" + strings.Join(nums, sep) + "</p></list>"
	}
	same := func(ns []string) []string { return ns }
	twice := func(ns []string) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n, n)
		}
		return out
	}
	big := r39bNHSNumbers(200000000, 1<<20/11)
	for _, c := range []struct {
		id        string
		text      string
		wantAlert bool
	}{
		{"r47a-n9999-sp", mk(9999, " ", same), true},
		{"r47a-n9999-spaced", mk(9999, "</p><p>", spaced), true},
		{"r47a-n9999-twice", mk(9999, "</p><p>", twice), true},
		{"r47a-n10000", mk(10000, " ", same), false},
		{"r47a-n-1mib-first", "<list><p>9990000069 " + strings.Join(big, " ") + "</p></list>", true},
		{"r47a-n-1mib-last", "<list><p>" + strings.Join(big, " ") + " 9990000069</p></list>", false},
		{"r47a-plain-1mib", "<letter><p>" + strings.Repeat("Seen in clinic, well. ", 1<<20/22) + "</p></letter>", false},
	} {
		body, data := r39bXMLAttachments(c.id, c.text)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, body})
		sub := "hosp-" + c.id
		hosp := e.token("hospital-clinician", "nhs", "RHX", func(d *auth.DevClaims) { d.Sub = sub })
		c0 := cpuTime()
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		d := cpuTime() - c0
		whole := strings.Contains(r.body, data[0])
		al := restrictedAlerts9b(t, e, "r21")[sub]
		t.Logf("%s (%d bytes): GET %d in %v CPU, whole %v, alert naming r21 %v", c.id, len(c.text), r.status, d, whole, al)
		if strings.Contains(c.text, "9990000069") || strings.Contains(c.text, "999 000 0069") {
			if whole {
				t.Errorf("%s: hospital-clinician RHX GET: the list carrying r21's number went whole", c.id)
			}
		} else if !whole {
			t.Errorf("%s: the ordinary letter was masked", c.id)
		}
		if c.wantAlert && !al {
			t.Errorf("%s: hospital-clinician RHX GET: no restricted-patient alert naming r21", c.id)
		}
		if d > 5*time.Second {
			t.Errorf("%s: RHX GET took %v CPU", c.id, d)
		}
	}
}

// TestReview47aSecondURLRefuge: the refuge's Organization as XML
// percent-encoded in the second of two data: urls in the element text of
// Jane's XML letter (the first a small base64 image), read by RCX (the
// refuge check, textWithholdsIn): the letter goes whole. Alone, the url is
// read and the letter withheld.
func TestReview47aSecondURLRefuge(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	ref := "data:application/fhir+xml," + pctAll(refugeXML40a)
	for _, c := range []struct{ id, text string }{
		{"r47a-ref-alone", "<letter><p>Her refuge: " + ref + " Regards</p></letter>"},
		{"r47a-ref-second", "<letter><p>Scan: data:image/png;base64," + r47aPNG + " refuge: " + ref + " Regards</p></letter>"},
	} {
		data := b64r31a(c.text)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, docXML40a(c.id, `"contentType":"application/xml","data":"`+data+`"`)})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, rcx, "")
		whole := strings.Contains(r.body, data)
		t.Logf("%s: %d whole=%v", c.id, r.status, whole)
		if whole {
			i := strings.Index(r.body, data)
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases Jane's letter carrying the refuge's Organization in the second data: url whole: …%s…", c.id, r.status, r.body[max(0, i-60):min(len(r.body), i+60)])
		}
	}
}

// TestReview47aQuoteInsideQuotedURLVariants: the HIV Condition
// percent-encoded in a url with a literal '"' inside a single-quoted XML
// attribute (<url value='...'>); and its base64 broken by spaces every 8
// characters in element text followed by a word (the whole reading takes
// the word and does not decode, the short one stops at the first space,
// no base64 run of 64).
func TestReview47aQuoteInsideQuotedURLVariants(t *testing.T) {
	cond := `{"resourceType":"Condition","note":[{"text":"x"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	k := strings.Index(cond, `"x"`)
	u := "data:application/fhir+json," + pctAll(cond[:k]) + `"` + pctAll(cond[k+1:])
	sq := `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><url value='` + u + `'/></attachment></content></DocumentReference>`
	b := b64r31a(r47aHIVCond)
	var sp strings.Builder
	for i := 0; i < len(b); i += 8 {
		sp.WriteString(b[i:min(len(b), i+8)] + " ")
	}
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r47a-dquote-in-squote", "application/fhir+xml", sq, 404},
		{"r47a-b64-spaced-then-word", "application/xml", "<letter><p>data:application/fhir+json;base64," + sp.String() + "seen.</p></letter>", 404},
		{"r47a-b64-spaced-then-lt", "application/xml", "<letter><p>data:application/fhir+json;base64," + sp.String() + "</p></letter>", 404},
	})
}
