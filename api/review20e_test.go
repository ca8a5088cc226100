package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReview20eEncodedSlashAfterSchemeIsMasked: "Condition%2Fhiv" and
// "https://h.example/fhir/Condition%2Fhiv" were masked (review 16d: a
// viewer decodes the slash), but the same after a custom scheme or a urn
// ("web+app:Condition%2Fhiv", "urn:x:Condition%2Fhiv", and the autolink
// "<web+app:Condition%2Fhiv>") went to the hospital clinician as written,
// naming the withheld diagnosis, and she found the document by it: the reader of such a url's path looked
// for a literal slash (review 20e found it). Now the path is read
// percent-decoded, as a fragment's is.
func TestReview20eEncodedSlashAfterSchemeIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, s := range []string{"web+app:Condition%2Fhiv", "urn:x:Condition%2Fhiv", "x-carex:Condition%2fhiv", "urn:x:Condition%2F%68iv"} {
		id := "enc20e-" + string(rune('a'+i))
		body := urlDocReadByHospital(t, e, gpSystem, hosp, id, s, "ENC20E see <"+s+"> end", false)
		if strings.Contains(body, s) {
			t.Errorf("%s names the withheld diagnosis to the hospital: %.800s", s, body)
		}
		if !strings.Contains(body, "ENC20E see <#(masked)> end") || !strings.Contains(body, `"_valueString"`) {
			t.Errorf("%s: want the text's url and the valueString masked: %.800s", s, body)
		}
		searchHidesDocument(t, e, hosp, gpSystem, id, "description:contains="+url.QueryEscape(s))
	}
	// One naming an item she may see stays as written.
	e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/enc20e-ok", `{"resourceType":"DocumentReference","id":"enc20e-ok","status":"current","subject":{"reference":"Patient/jane"},
		"description":"ENC20E sugar <web+app:Condition%2Fdiabetes> end","content":[{"attachment":{"contentType":"text/plain","title":"t"}}]}`})
	if r := e.do("GET", "/fhir/DocumentReference/enc20e-ok", hosp, ""); !strings.Contains(r.body, "<web+app:Condition%2Fdiabetes>") {
		t.Errorf("a url naming a diagnosis the hospital sees is masked: %.500s", r.body)
	}
}

// TestReview20gStrayPercentDoesNotStopDecoding: a url's percent-encoded
// slash was read decoded, but one stray '%' anywhere in it (a trailing
// "%", "%zz", "?p=5%") made the strict decoder give up, and the url was
// read as written, naming no type: "web+app:Condition%2Fhiv%" and
// "https://h.example/fhir/Condition%2Fhiv%" went to the hospital
// clinician, though a lenient decoder (routers, Python's unquote) reads
// them as Condition/hiv% (review 20g). Each valid escape is now decoded
// and a stray '%' left as written.
func TestReview20gStrayPercentDoesNotStopDecoding(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, s := range []string{"Condition%2Fhiv%", "web+app:Condition%2Fhiv%", "web+app:Condition%2Fhiv?p=5%", "web+app:Condition%2Fhiv#5%",
		"urn:x:Condition%2Fhiv%zz", "https://h.example/fhir/Condition%2Fhiv%", "https://h.example/app#/Condition%2Fhiv%"} {
		text := "PCT20G see <" + s + "> end"
		if !strings.Contains(s, ":") {
			text = "PCT20G" // in free text without a scheme, a mention, not a link: it stays as written
		}
		if n := strings.Count(urlDocReadByHospital(t, e, gpSystem, hosp, "pct20g-"+string(rune('a'+i)), s, text, false), s); n != 0 {
			t.Errorf("%s goes to the hospital %d times, naming the withheld diagnosis", s, n)
		}
	}
}

// TestReview20hDecodedQuestionMarkDoesNotCutThePath: a url's path read
// decoded took an encoded '?' (%3F) for the start of a query and cut the
// path there, so "web+app:Condition/diabetes%3F/Condition/hiv" was read
// as naming the diabetes diagnosis the hospital clinician may see, and
// went to her as written, naming the withheld HIV diagnosis (a router
// splits the path first and decodes each segment; review 20h found it,
// and that c114f37's loose decoding let the same through with a stray
// '%'). Such a path is now read both ways, decoded whole and split
// first, and each reading is decided; so are a urn's path and its
// fragment.
func TestReview20hDecodedQuestionMarkDoesNotCutThePath(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, s := range []string{"web+app:Condition/diabetes%3F/Condition/hiv%", "web+app:Condition/diabetes%3F/Condition/hiv",
		"web+app:Condition/diabetes%3f%/Condition/hiv", "urn:x:Condition/diabetes%3F/Condition/hiv%", "urn:x:Condition/diabetes%3F/Condition/hiv",
		"https://h.example/app#/Condition/diabetes%3F/Condition/hiv%", "https://h.example/app#/Condition/diabetes%3F/Condition/hiv",
		"web+app:Condition/diabetes%23/Condition/hiv", "web+app:Condition/diabetes#/Condition/hiv",
		// Decoded whole, these are searches for the withheld letter: both
		// readings are decided.
		"https://h.example/app#/DocumentReference%3F_id=hivdoc", "https://h.example/app#DocumentReference%3F_id%3Dhivdoc",
		"web+app:DocumentReference%3F_id=hivdoc", "urn:x:DocumentReference%3F_id=hivdoc"} {
		if n := strings.Count(urlDocReadByHospital(t, e, gpSystem, hosp, "q20h-"+string(rune('a'+i)), s, "Q20H see <"+s+"> end", false), s); n != 0 {
			t.Errorf("%s goes to the hospital %d times, naming the withheld diagnosis", s, n)
		}
	}
}

// TestReview20hDotSegmentsAreResolved: every browser (and curl) resolves
// "Condition/diabetes/../hiv" and ".../Condition/x/%2e%2e/hiv" to
// Condition/hiv, but carex's url reader kept the ".." segment, read the
// url as naming no type, and sent it to the hospital clinician as written,
// naming the withheld HIV diagnosis, in an attachment's url and in a
// string (review 20h). Dot segments are now resolved first.
func TestReview20hDotSegmentsAreResolved(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, s := range []string{"https://h.example/fhir/Condition/x/../hiv", "https://h.example/fhir/Condition/diabetes/%2e%2e/hiv",
		"Condition/diabetes/../hiv", "https://h.example/fhir/Observation/../Condition/hiv", "https://h.example/fhir/Condition/x/%2E./hiv"} {
		if n := strings.Count(urlDocReadByHospital(t, e, gpSystem, hosp, "dot20h-"+string(rune('a'+i)), s, "DOT20H", true), s); n != 0 {
			t.Errorf("%s goes to the hospital %d times, naming the withheld diagnosis", s, n)
		}
	}
}

// urlDocReadByHospital stores the GP's DocumentReference id carrying s as
// an extension's valueString (and as its attachment's url when asURL),
// described by text, and returns the hospital clinician's read of it.
func urlDocReadByHospital(t *testing.T, e *env, gp, hosp, id, s, text string, asURL bool) string {
	t.Helper()
	url := ""
	if asURL {
		url = `"url":"` + s + `",`
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
		"extension":[{"url":"https://example.org/app-link","valueString":"` + s + `"}],
		"description":"` + text + `","content":[{"attachment":{"contentType":"text/plain",` + url + `"title":"t"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
	if marker := strings.Fields(text)[0]; r.status != 200 || !strings.Contains(r.body, marker) {
		t.Fatalf("%s: the premise: the hospital reads the document: %d %.300s", s, r.status, r.body)
	}
	return r.body
}
