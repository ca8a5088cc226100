package api_test

// Review 45a: regressions only, in dd2f3e5 (codeName: odd casing that
// splits "code" itself; otherCodeWords gained phone, telephone, tel,
// mobile, std, calling, ext, door, safe, booking) and f6ca081 (readOnce
// shared type for attachedContentCapped and textWithholds; numbersSeen
// replacing the '+'-prefixed answers map). Each probe was also run at the
// commit's parent (git archive <commit>^) for a differential.

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// TestReview45aClinicalCodeKeyNowOtherCode: dd2f3e5 put "std" and "ext"
// in otherCodeWords. A sexual-health export's "stdCode"/"STD_code" (the
// code of the sexually transmitted disease) or an "extCode" (external
// code, a mapped terminology code) holding the HIV SNOMED id 086406008 or
// IVF 52637005 no longer labels Jane's letter: it goes to RHX (200,
// want 404). At dd2f3e5^ each was 404.
func TestReview45aClinicalCodeKeyNowOtherCode(t *testing.T) {
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r45a-stdCode-hiv", "text/plain", `{"stdCode":"086406008","display":"HIV infection"}`, 404},
		{"r45a-STD-underscore-code-hiv", "text/plain", `{"clinic":"GUM","STD_code":"86406008"}`, 404},
		{"r45a-xml-stdCode", "application/xml", `<diagnosis stdCode="086406008"/>`, 404},
		{"r45a-extCode-ivf", "text/plain", `{"extCode":"52637005","extSystem":"SNOMED CT"}`, 404},
		{"r45a-extCode-ivf-zeroled", "text/plain", `{"extCode":"052637005"}`, 404},
		{"r45a-extCode-hiv", "text/plain", `{"extCode":"086406008","display":"HIV infection"}`, 404},
		{"r45a-xml-extCode", "application/xml", `<procedure extCode="052637005"/>`, 404},
	})
}

// TestReview45aCodeSplitThreeWays: not a regression (dd2f3e5's fix is
// partial): "cOdE" and "COdE" split c|od|e, so before+last is "ode" and
// the key is no code's name; HIV under them goes to RHX. Also failing at
// dd2f3e5^ (the element cases too).
func TestReview45aCodeSplitThreeWays(t *testing.T) {
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r45a-cOdE", "text/plain", `{"cOdE":"086406008"}`, 404},
		{"r45a-snomedCOdE", "text/plain", `{"snomedCOdE":"052637005"}`, 404},
		// (also at dd2f3e5^: an element's text counts only under code,
		// value, conceptId, sctid; a zero-led id in <stdCode> or
		// <snomedCode> text goes unread)
		{"r45a-xml-elem-stdCode", "application/xml", "<diagnosis>\n  <stdCode>086406008</stdCode>\n</diagnosis>", 404},
		{"r45a-xml-elem-snomedCode", "application/xml", "<diagnosis>\n  <snomedCode>086406008</snomedCode>\n</diagnosis>", 404},
	})
}

// TestReview45aSoundCodeNamesAroundDenyList: the names dd2f3e5 meant
// (telephone/phone/door/key-safe/booking codes holding ordinary numbers)
// go out; clinical names near them still label: bookingReasonCode,
// stdDiagnosisCode, the odd casings COde/CODe/CoDe/CodE, a deny word
// before an odd casing (the n>=3 branch) and stdCodeValue.
func TestReview45aSoundCodeNamesAroundDenyList(t *testing.T) {
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r45a-phoneCode", "text/plain", `{"phoneCode":"01134960741"}`, 200},
		{"r45a-doorCode", "text/plain", `{"doorCode":"4721"}`, 200},
		{"r45a-keySafeCOde", "text/plain", `{"keySafeCOde":"4721"}`, 200},
		{"r45a-bookingCode", "text/plain", `{"bookingCode":"ABC123"}`, 200},
		{"r45a-bookingReasonCode", "text/plain", `{"bookingReasonCode":"086406008"}`, 404},
		{"r45a-stdDiagnosisCode", "text/plain", `{"stdDiagnosisCode":"086406008"}`, 404},
		{"r45a-CoDe", "text/plain", `{"CoDe":"086406008"}`, 404},
		{"r45a-CodE", "text/plain", `{"CodE":"052637005"}`, 404},
		{"r45a-hivCODe", "text/plain", `{"hivCODe":"086406008"}`, 404},
		{"r45a-stdCodeValue", "text/plain", `{"stdCodeValue":"086406008"}`, 404},
		{"r45a-v2", "text/plain", r39aMSH + "OBX|1|CE|DX^Diagnosis^L||086406008^HIV infection^SCT||\r", 404},
	})
}

// r45aNumbersLetter: Jane's letter (A81001) with one XML attachment
// listing 100 ordinary numbers, then past more, then r21's 9990000069.
func r45aNumbersLetter(t *testing.T, e *env, id string, past int) string {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	nums := r39bNHSNumbers(100000000, 100+past)
	nums = append(nums, "9990000069")
	text := "<list><p>" + strings.Join(nums, "</p><p>") + "</p></list>"
	body, data := r39bXMLAttachments(id, text)
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, body})
	return data[0]
}

// TestReview45aSoundNumbersSeenCaps: numbersSeen (f6ca081) against the
// '+'-prefixed map: r21's number behind 100 others, and behind 100 + 4949
// unlooked (the last kept: size counts each unlooked number twice, so
// 100 + 2*4949 < 10,000), masks the list and alerts; behind 100 + 4950
// it masks the list and (at both commits) raises no alert (logged).
//
// Fixed: each number past the cap counts once, so the 10,000 kept for the
// alert are 10,000: behind 100 + 4950 and 100 + 9999 alerts; behind
// 100 + 10000 it masks and raises none (the cap: logged).
func TestReview45aSoundNumbersSeenCaps(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	seed21a(t, e, "")
	for _, c := range []struct {
		id        string
		past      int
		wantAlert bool
	}{{"r45a-n0", 0, true}, {"r45a-n4949", 4949, true}, {"r45a-n4950", 4950, true}, {"r45a-n9999", 9999, true}, {"r45a-n10000", 10000, false}} {
		data := r45aNumbersLetter(t, e, c.id, c.past)
		sub := "hosp-" + c.id
		hosp := e.token("hospital-clinician", "nhs", "RHX", func(d *auth.DevClaims) { d.Sub = sub })
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		if r.status != 200 {
			t.Fatalf("premise: %s: %d %.200s", c.id, r.status, r.body)
		}
		whole := strings.Contains(r.body, data)
		al := restrictedAlerts9b(t, e, "r21")[sub]
		t.Logf("%s (r21 behind 100+%d): list whole %v, alert naming r21 %v", c.id, c.past, whole, al)
		if whole {
			t.Errorf("%s: the list carrying r21's number went whole to RHX", c.id)
		}
		if c.wantAlert && !al {
			t.Errorf("%s: no restricted-patient alert naming r21", c.id)
		}
	}
}

// TestReview45aSoundRefugeReadOnceSharing: readOnce (f6ca081) is one
// instance per call (attachedContentCapped's and textWithholds' are not
// shared): the refuge's Organization as XML nested in an XML attachment
// after the same ordinary note repeated (read once), after the note's
// copy as a data: url, and as the same payload in two attachments, is
// withheld from RCX in each; an ordinary note repeated goes whole.
func TestReview45aSoundRefugeReadOnceSharing(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	note := `<note xmlns="http://hl7.org/fhir"><text value="Seen in clinic, well."/></note>`
	att := func(x string) string {
		return `<attachment><contentType value="application/fhir+xml"/><data value="` + b64(x) + `"/></attachment>`
	}
	outer := func(parts ...string) string {
		return `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content>` + strings.Join(parts, "") + `</content></DocumentReference>`
	}
	dataURL := `<attachment><url value="data:application/fhir+xml;base64,` + b64(note) + `"/></attachment>`
	cases := map[string]string{
		"d45a-notes-refuge":  docXML40a("d45a-notes-refuge", `"contentType":"application/fhir+xml","data":"`+b64(outer(att(note), att(note), att(note), att(refugeXML40a)))+`"`),
		"d45a-url-refuge":    docXML40a("d45a-url-refuge", `"contentType":"application/fhir+xml","data":"`+b64(outer(dataURL, att(note), att(refugeXML40a)))+`"`),
		"d45a-refuge-refuge": docXML40a("d45a-refuge-refuge", `"contentType":"application/fhir+xml","data":"`+b64(outer(att(refugeXML40a), att(refugeXML40a)))+`"`),
	}
	two := `{"resourceType":"DocumentReference","id":"d45a-two","status":"current","subject":{"reference":"Patient/jane"},"content":[` +
		`{"attachment":{"contentType":"application/fhir+xml","data":"` + b64(outer(att(note))) + `"}},` +
		`{"attachment":{"contentType":"application/fhir+xml","data":"` + b64(outer(att(note), att(refugeXML40a))) + `"}}]}`
	cases["d45a-two"] = two
	plain := docXML40a("d45a-plain", `"contentType":"application/fhir+xml","data":"`+b64(outer(att(note), att(note), dataURL))+`"`)
	for id, body := range cases {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, body})
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d45a-plain", plain})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for id := range cases {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		t.Logf("RCX GET %s -> %d", id, r.status)
		if s := leaks40a(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the refuge: …%s…", id, r.status, s)
		}
	}
	r := e.do("GET", "/fhir/DocumentReference/d45a-plain", rcx, "")
	t.Logf("RCX GET d45a-plain -> %d", r.status)
	if r.status != 200 || !strings.Contains(r.body, b64(outer(att(note), att(note), dataURL))) {
		t.Errorf("an ordinary letter of repeated notes was withheld or masked: %d %.300s", r.status, r.body)
	}
}

// TestReview45aStdCodeLetterBodyReleased: TestReview45aClinicalCodeKeyNowOtherCode's
// stdCode case with what RHX (hospital-clinician) is sent: Jane's letter
// whose attachment decodes to the HIV code, and the same letter's search
// and $everything. At dd2f3e5^: withheld (404, absent).
func TestReview45aStdCodeLetterBodyReleased(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	text := `{"stdCode":"086406008","display":"HIV infection"}`
	r26aLetter(t, e, "r45a-std-body", `{"contentType":"text/plain","data":"`+b64(text)+`"}`, "")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/DocumentReference/r45a-std-body", "/fhir/DocumentReference?patient=Patient/jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, hosp, "")
		in := strings.Contains(r.body, b64(text))
		t.Logf("RHX GET %s: %d, HIV letter in body %v", p, r.status, in)
		if in {
			i := strings.Index(r.body, b64(text))
			t.Errorf("hospital-clinician RHX GET %s: %d releases Jane's letter carrying the HIV code under \"stdCode\": …%s…", p, r.status, r.body[max(0, i-120):min(len(r.body), i+len(b64(text))+10)])
		}
	}
}
