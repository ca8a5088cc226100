package api_test

// Review 48a: re-read of b591528 (eachDataURL) and a093d6c (bareNumbers
// cleared before _include/_revinclude), end to end: Jane's GP letter read
// by the hospital clinician RHX (withheld, 404, when it carries her HIV
// Condition; released, 200, when ordinary).

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const r48aCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// r48aSpaced is s in base64, a space every 40 characters (no run of 64).
func r48aSpaced(s string) string {
	b := base64.StdEncoding.EncodeToString([]byte(s))
	var out []string
	for len(b) > 40 {
		out = append(out, b[:40])
		b = b[40:]
	}
	return strings.Join(append(out, b), " ")
}

// TestReview48aHeaderBrokenByLiteralLineBreak: an HTML letter whose <a
// href> data: url has a literal line break in its header (an HTML
// attribute keeps it, the URL parser drops it): the header ends at the
// white space and the url is not read; the HIV Condition goes to RHX.
func TestReview48aHeaderBrokenByLiteralLineBreak(t *testing.T) {
	p := pctAll(r48aCond)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-hdr-premise", "text/html", `<html><body><a href="data:application/fhir+json,` + p + `">record</a></body></html>`, 404},
		{"r48a-hdr-lf", "text/html", "<html><body><a href=\"data:application/fhir+json\n," + p + "\">record</a></body></html>", 404},
		{"r48a-hdr-crlf-b64", "text/html", "<html><body><a href=\"data:application/fhir+json\r\n;base64," + r48aSpaced(r48aCond) + "\">record</a></body></html>", 404},
		{"r48a-hdr-tab", "text/html", "<html><body><a href=\"data:application/fhir\t+json," + p + "\">record</a></body></html>", 404},
		{"r48a-hdr-lf-after-colon", "text/html", "<html><body><a href=\"data:\napplication/fhir+json," + p + "\">record</a></body></html>", 404},
	})
}

// TestReview48aJSONEscapedQuoteInURL: a JSON (not FHIR) letter whose
// string holds a data: url with an escaped quote (\") in its data, the
// HIV Condition percent-encoded after it (one of its %22 written as a
// literal quote): a JSON reader takes the string with the quote in it.
func TestReview48aJSONEscapedQuoteInURL(t *testing.T) {
	p := pctAll(r48aCond)
	q := strings.Replace(p, "%22", `\"`, 1) // {"resourceType"... its first quote literal
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-jq-premise", "application/json", `{"letter":"see data:application/fhir+json,` + p + ` ok"}`, 404},
		{"r48a-jq-prose", "application/json", `{"letter":"see data:application/fhir+json,` + q + ` ok"}`, 404},
		{"r48a-jq-value", "application/json", `{"letter":"data:application/fhir+json,` + q + `"}`, 404},
		{"r48a-jq-plain-premise", "text/plain", `{"letter":"see data:application/fhir+json,` + p + ` ok"}`, 404},
		{"r48a-jq-plain", "text/plain", `{"letter":"see data:application/fhir+json,` + q + ` ok"}`, 404},
	})
}

// TestReview48aBase64URLThenProse: a base64 data: url in a plain-text
// letter, wrapped with spaces (no run of 64), its last word genuine base64
// ending in '=' padding, then prose of two or more words (all base64
// letters): read "with" the prose and "without its last word", neither
// decodes; the HIV Condition goes to RHX.
func TestReview48aBase64URLThenProse(t *testing.T) {
	b := r48aSpaced(r48aCond + " ")
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-bp-premise-end", "text/plain", "Record: data:application/fhir+json;base64," + b, 404},
		{"r48a-bp-premise-word", "text/plain", "Record: data:application/fhir+json;base64," + b + " Regards", 404},
		{"r48a-bp-two-words", "text/plain", "Record: data:application/fhir+json;base64," + b + " Kind regards", 404},
		{"r48a-bp-lines", "text/plain", "Record: data:application/fhir+json;base64," + b + "\nKind regards\nDr Smith", 404},
		{"r48a-bp-html", "text/html", "<p>Record: data:application/fhir+json;base64," + b + " please file</p>", 404},
	})
}

// TestReview48aSoundQuotedURLHoldingOtherQuote: urls opened by one quote
// holding the other.
func TestReview48aSoundQuotedURLHoldingOtherQuote(t *testing.T) {
	p := pctAll(r48aCond)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-q-single-holds-double", "text/html", `<a href='data:application/fhir+json,` + strings.Replace(p, "%22", `"`, 3) + `'>x</a>`, 404},
		{"r48a-q-double-holds-single", "text/html", `<a href="data:application/fhir+json,` + strings.Replace(p, "%20", `'`, 0) + "'" + `">x</a>`, 404},
	})
}

// TestReview48aSoundOrdinaryLettersReleased: ordinary letters with
// "data:", commas and percent signs in prose, CSV exports with "data:,"
// fields, HTML with many small images: released to RHX (200).
func TestReview48aSoundOrdinaryLettersReleased(t *testing.T) {
	var prose, csv, html strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&prose, "Visit %d: lab data: Hb %d g/L, sats 9%d%%, data:%d%% complete, 50%% reduction, see data: above, ok.\n", i, 120+i%30, i%10, i%100)
		fmt.Fprintf(&csv, "%d,data:,%d%%,data:,x,\"data:,%d\"\n", i, i%100, i)
		fmt.Fprintf(&html, `<img src="data:image/png;base64,%s" alt="scan %d"/> <p>Hb %d, 5%% up</p>`+"\n", b64r31a(fmt.Sprintf("\x89PNG\r\n\x1a\n%04d", i)), i, 120+i%30)
	}
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-ok-short", "text/plain", "Dear Dr, seen today. Regards", 200},
		{"r48a-ok-prose", "text/plain", prose.String(), 200},
		{"r48a-ok-csv", "text/csv", "id,a,b,c,d,e\n" + csv.String(), 200},
		{"r48a-ok-html", "text/html", "<html><body>" + html.String() + "</body></html>", 200},
	})
}

// TestReview48aIncludeAfterBareNumbers: the restricted r46 carries the
// practice number 9990001022 (passing the NHS check) as a local number.
// A bare-number search that her practice number alone would match, with
// another match bringing her in by _include/_revinclude, must answer as
// the same search with a number matching no one (9990001030): her
// presence or the entries must not tell the practice number matched.
func TestReview48aIncludeAfterBareNumbers(t *testing.T) {
	e := newEnv(t)
	seed47bCarer(t, e, "9990001022")
	nurse := e.token("district-nurse", "nhs", "RCX")
	type bundle struct {
		Total *int `json:"total"`
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			} `json:"resource"`
			Search struct {
				Mode string `json:"mode"`
			} `json:"search"`
		} `json:"entry"`
	}
	shape := func(body string) string {
		var b bundle
		if err := jsonUnmarshal48a(body, &b); err != nil {
			return "unparsed: " + body[:min(200, len(body))]
		}
		var parts []string
		for _, en := range b.Entry {
			parts = append(parts, en.Resource.ResourceType+"/"+en.Resource.ID+":"+en.Search.Mode)
		}
		tot := -1
		if b.Total != nil {
			tot = *b.Total
		}
		return fmt.Sprintf("total=%d %v", tot, parts)
	}
	for _, q := range []string{
		"/fhir/RelatedPerson?identifier=9990001057,%s&_include=RelatedPerson:patient&_total=accurate",
		"/fhir/Patient?identifier=9990001014,%s&_revinclude=RelatedPerson:patient&_total=accurate",
		"/fhir/Patient?identifier=%s,9990001014&_revinclude=CareTeam:subject&_total=accurate",
		"/fhir/RelatedPerson?patient.identifier=%s&_include=RelatedPerson:patient&_total=accurate",
		"/fhir/RelatedPerson?patient.identifier=%s,9990001014&_include=RelatedPerson:patient&_total=accurate",
		"/fhir/CareTeam?subject.identifier=%s,9990001014&_include=CareTeam:subject&_total=accurate",
		"/fhir/Condition?subject.identifier=%s&_include=Condition:subject&_total=accurate",
		"/fhir/Patient?identifier=%s&_revinclude=RelatedPerson:patient&_include:iterate=RelatedPerson:patient&_total=accurate",
		"/fhir/Patient?identifier=%s,9990001006&_revinclude=RelatedPerson:patient&_total=accurate",
		"/fhir/Patient?identifier=%s,9990001014&_sort=identifier&_revinclude=RelatedPerson:patient&_total=accurate",
	} {
		hit := e.do("GET", fmt.Sprintf(q, "9990001022"), nurse, "")
		ctl := e.do("GET", fmt.Sprintf(q, "9990001030"), nurse, "")
		hs, cs := shape(hit.body), shape(ctl.body)
		t.Logf("%s\n  practice#: %d %s\n  control:   %d %s", q, hit.status, hs, ctl.status, cs)
		if hit.status != ctl.status || hs != cs {
			t.Errorf("district-nurse RCX: GET %s answers differently for r46's redacted practice number (%d %s) than for a number matching no one (%d %s)", q, hit.status, hs, ctl.status, cs)
		}
	}
	_ = url.QueryEscape
}

func jsonUnmarshal48a(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// r48aCondCD4: the HIV Condition with a note "CD4 < 200" (its '<' at r48aCD4At).
const r48aCondCD4 = `{"resourceType":"Condition","note":[{"text":"CD4 < 200"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

var r48aCD4At = strings.Index(r48aCondCD4, "<")

// TestReview48aQuotedURLHoldingLtOrEntityQuote: an HTML letter whose
// double-quoted href holds a literal '<' (legal in an HTML attribute
// value) or a &quot; / &#34; character reference (the HTML reader gives
// '"' inside the value) before the HIV Condition, percent-encoded.
func TestReview48aQuotedURLHoldingLtOrEntityQuote(t *testing.T) {
	p := pctAll(r48aCond)
	ent := strings.Replace(p, "%22", "&quot;", 1)
	ent34 := strings.Replace(p, "%22", "&#34;", 1)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-lt-premise", "text/html", `<html><body><a href="data:text/plain,b>` + p + `</b>">record</a></body></html>`, 404},
		{"r48a-lt-cd4-premise", "text/html", `<html><body><a href="data:application/fhir+json,` + pctAll(r48aCondCD4[:r48aCD4At]) + "%3C" + pctAll(r48aCondCD4[r48aCD4At+1:]) + `">record</a></body></html>`, 404},
		{"r48a-lt-cd4", "text/html", `<html><body><a href="data:application/fhir+json,` + pctAll(r48aCondCD4[:r48aCD4At]) + "<" + pctAll(r48aCondCD4[r48aCD4At+1:]) + `">record</a></body></html>`, 404},
		{"r48a-lt-in-attr", "text/html", `<html><body><a href="data:text/plain,<b>` + p + `</b>">record</a></body></html>`, 404},
		{"r48a-lt-in-attr-json", "text/html", `<html><body><a href="data:application/fhir+json,` + p + `%20<!-- -->">record</a></body></html>`, 404},
		{"r48a-quot-entity", "text/html", `<html><body><a href="data:application/fhir+json,` + ent + `">record</a></body></html>`, 404},
		{"r48a-quot-entity34", "text/html", `<html><body><a href="data:application/fhir+json,` + ent34 + `">record</a></body></html>`, 404},
		{"r48a-apos-entity-sq", "text/html", `<html><body><a href='data:application/fhir+json,` + strings.Replace(p, "%22", "&#39;", 0) + `&#39;'>record</a></body></html>`, 404},
	})
}

// TestReview48aPlainURLWrappedWithoutPercent: an HTML letter whose href is
// a data: url written without any '%' (legal: a URL parser keeps the
// characters), its data the HIV Condition as plain JSON-free text, broken
// by a line break or tab the URL parser drops: "data:text/plain,HIV
// 86406<LF>008" reads "…86406008". The extended reading is taken only
// when a '%' follows.
func TestReview48aPlainURLWrappedWithoutPercent(t *testing.T) {
	cond := strings.ReplaceAll(r48aCond, `"`, "%22") // (quotes must be encoded in the attribute; no other '%')
	at := strings.Index(cond, "86406008") + 5
	noPct := "data:text/plain,SNOMED-CT-86406" // the code alone, no '%'
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r48a-wrap-premise-json", "text/html", `<a href="data:application/fhir+json,` + cond + `">record</a>`, 404},
		{"r48a-wrap-json-lf", "text/html", "<a href=\"data:application/fhir+json," + cond[:at] + "\n" + cond[at:] + "\">record</a>", 404},
		{"r48a-wrap-premise-code", "text/html", `<a href="data:application/fhir+json,` + pctAll(r48aCond[:strings.Index(r48aCond, "86406008")+5]) + "008" + pctAll(r48aCond[strings.Index(r48aCond, "86406008")+8:]) + `">record</a>`, 404},
		{"r48a-wrap-code-lf-entity", "text/html", `<a href="data:application/fhir+json,` + pctAll(r48aCond[:strings.Index(r48aCond, "86406008")+5]) + "&#10;008" + pctAll(r48aCond[strings.Index(r48aCond, "86406008")+8:]) + `">record</a>`, 404},
		{"r48a-wrap-nopct-premise", "text/html", "<a href=\"" + noPct + "008\">record</a>", 404},
		{"r48a-wrap-nopct-lf", "text/html", "<a href=\"" + noPct + "\n008\">record</a>", 404},
		{"r48a-wrap-nopct-tab", "text/html", "<a href=\"" + noPct + "\t008\">record</a>", 404},
	})
}

// TestReview48aHeaderLineBreakRestrictedPerson: r21's (restricted) Patient
// as FHIR XML percent-encoded in an HTML letter's href data: url whose
// header holds a literal line break: her letter goes whole to RHX in her
// care team (without the break it is masked).
func TestReview48aHeaderLineBreakRestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	her := pctAll(r32aHerPatientXML)
	for _, c := range []struct {
		id, text string
		premise  bool
	}{
		{"r48a-rp-premise", `<html><body><a href="data:application/fhir+xml,` + her + `">her record</a></body></html>`, true},
		{"r48a-rp-hdr-lf", "<html><body><a href=\"data:application/fhir+xml\n," + her + "\">her record</a></body></html>", false},
	} {
		data := b64r31a(c.text)
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/r21"},
		"type":{"text":"R48A-LETTER"},"content":[{"attachment":{"contentType":"text/html","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		whole := strings.Contains(r.body, data)
		t.Logf("%s: %d whole=%v", c.id, r.status, whole)
		if whole {
			i := strings.Index(r.body, data)
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s -> %d releases r21's letter whole (her Patient, address %s, in a data: url): …%s…", c.id, r.status, secretAddr22a, r.body[max(0, i-60):min(len(r.body), i+60)])
		}
	}
}

// TestReview48aSoundIncludePagingAfterBareNumbers: paging and _summary with
// _revinclude, her practice number against a number matching no one.
func TestReview48aSoundIncludePagingAfterBareNumbers(t *testing.T) {
	e := newEnv(t)
	seed47bCarer(t, e, "9990001022")
	nurse := e.token("district-nurse", "nhs", "RCX")
	strip := func(s, n string) string { return strings.ReplaceAll(s, n, "N") }
	for _, q := range []string{
		"/fhir/Patient?identifier=%s,9990001014&_count=1&_revinclude=RelatedPerson:patient",
		"/fhir/Patient?identifier=%s,9990001014&_summary=count&_revinclude=RelatedPerson:patient",
		"/fhir/Patient?identifier=9990001014,%s&_count=1&_revinclude=CareTeam:subject&_total=accurate",
		"/fhir/RelatedPerson?identifier=9990001057,%s&_include=RelatedPerson:patient&_count=1",
	} {
		hit := e.do("GET", fmt.Sprintf(q, "9990001022"), nurse, "")
		ctl := e.do("GET", fmt.Sprintf(q, "9990001030"), nurse, "")
		hb, cb := strip(hit.body, "9990001022"), strip(ctl.body, "9990001030")
		hb, cb = r48aNoVolatile(hb), r48aNoVolatile(cb)
		t.Logf("%s\n  practice#: %d %.400s\n  control:   %d %.400s", q, hit.status, hb, ctl.status, cb)
		if hit.status != ctl.status || hb != cb {
			t.Errorf("district-nurse RCX: GET %s differs for r46's practice number: %d %.600s\n vs %d %.600s", q, hit.status, hb, ctl.status, cb)
		}
	}
}

// r48aNoVolatile drops ids, timestamps and paging tokens from a bundle.
func r48aNoVolatile(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k := range x {
				switch k {
				case "id", "lastUpdated", "timestamp", "url", "fullUrl", "versionId":
					if _, ok := x[k].(string); ok && !(k == "id" && x["resourceType"] != nil && x["resourceType"] != "Bundle" && x["resourceType"] != "OperationOutcome") {
						x[k] = "~"
					}
				default:
					x[k] = walk(x[k])
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	b, _ := json.Marshal(walk(v))
	return string(b)
}
