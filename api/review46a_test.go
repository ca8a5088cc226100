package api_test

// Review 46a: re-read of f1f4885 (eachEmbeddedPayload: data: urls inside
// attachment text feed the label net, the restricted person's check and
// the refuge check), ceba09d (codeName / codeElement) and 29e046f
// (mayReplace: a deleted item withheld from the role is a taken id).

import (
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

const r46aHIVCond = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

// r46aXMLURL: a FHIR XML DocumentReference whose attachment url is u.
func r46aXMLURL(u string) string {
	return `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><url value="` + u + `"/></attachment></content></DocumentReference>`
}

// pctSplit percent-encodes every byte of s, with ins inserted after the
// k-th encoded byte.
func r46aPctSplit(s string, k int, ins string) string {
	p := pctAll(s)
	return p[:3*k] + ins + p[3*k:]
}

// TestReview46aDataURLSchemeUpperCase: a data: url's scheme written
// "DATA:" (schemes are case-insensitive; dataURL itself takes any case)
// inside Jane's XML letter, carrying an HIV Condition percent-encoded:
// eachDataURL looks for "ata:" in lower case only, so the Condition goes
// unread and the letter goes to RHX (want 404, as with "data:").
func TestReview46aDataURLSchemeUpperCase(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ id, scheme string }{
		{"r46a-du-lower", "data:"}, {"r46a-du-DATA", "DATA:"}, {"r46a-du-dATA", "dATA:"}, {"r46a-du-DaTa", "DaTa:"},
	} {
		u := c.scheme + "application/fhir+json," + pctAll(r46aHIVCond)
		st := r26aLetter(t, e, c.id, `{"contentType":"application/fhir+xml","data":"`+b64r31a(r46aXMLURL(u))+`"}`, "")
		t.Logf("%s (%s): RHX GET -> %d", c.id, c.scheme, st)
		if st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (HIV Condition percent-encoded in a %q url inside XML) -> %d, want 404", c.id, c.scheme, st)
		}
	}
}

// TestReview46aDataURLSplitByNewlineReference: the same url with "&#10;"
// or "&#9;" inside its percent-encoded data (an XML parser gives a line
// feed or tab, which the URL parser removes: WHATWG URL "remove all ASCII
// tab or newline"), so the reader's payload is the HIV Condition whole;
// eachDataURL stops at the newline, or reads "&#10;" literally.
func TestReview46aDataURLSplitByNewlineReference(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	k := strings.Index(r46aHIVCond, "86406008") + 3
	for _, c := range []struct{ id, ins string }{
		{"r46a-du-lf", "&#10;"}, {"r46a-du-tab", "&#9;"}, {"r46a-du-hexlf", "&#xA;"},
	} {
		u := "data:application/fhir+json," + r46aPctSplit(r46aHIVCond, k, c.ins)
		st := r26aLetter(t, e, c.id, `{"contentType":"application/fhir+xml","data":"`+b64r31a(r46aXMLURL(u))+`"}`, "")
		t.Logf("%s: RHX GET -> %d", c.id, st)
		if st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (HIV Condition percent-encoded in a data: url split by %q) -> %d, want 404", c.id, c.ins, st)
		}
	}
}

// TestReview46aDataURLUpperCaseRestrictedPerson: r21's (restricted)
// Patient as XML percent-encoded in a "DATA:" url inside her letter goes
// whole to RHX in her care team (with "data:" it is masked).
func TestReview46aDataURLUpperCaseRestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, c := range []struct{ id, scheme string }{{"r46a-rp-lower", "data:"}, {"r46a-rp-DATA", "DATA:"}} {
		data := b64r31a(r46aXMLURL(c.scheme + "application/fhir+xml," + pctAll(r32aHerPatientXML)))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, `{"resourceType":"DocumentReference","id":"` + c.id + `","status":"current","subject":{"reference":"Patient/r21"},
		"type":{"text":"R46A-LETTER"},"content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		whole := strings.Contains(r.body, data)
		t.Logf("%s: %d whole=%v", c.id, r.status, whole)
		if whole {
			i := strings.Index(r.body, data)
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s -> %d releases r21's letter whole, her Patient in a %q url: …%s…", c.id, r.status, c.scheme, r.body[max(0, i-80):min(len(r.body), i+60)])
		}
	}
}

// TestReview46aDataURLNoCommaCost: a letter whose text is "data:" repeated
// with no comma: eachDataURL scans from each "data:" to the end of the
// text (no quote, '<', '>' or space) to find no comma, the square of the
// size, now on every write (the label net) where it was the refuge
// check's alone at f1f4885^.
func TestReview46aDataURLNoCommaCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	const n = 40000 // 200 KB of text
	put := func(id, text string) time.Duration {
		c0 := cpuTime()
		r := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/jane"},
		"type":{"text":"R46A-LETTER"},"content":[{"attachment":{"contentType":"text/plain","data":"`+b64r31a(text)+`"}}]}`)
		d := cpuTime() - c0
		t.Logf("PUT %s: %d in %v CPU", id, r.status, d)
		return d
	}
	base := put("r46a-plain", strings.Repeat("seen: ", n))
	nest := put("r46a-nocomma", strings.Repeat("data:", n))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	c0 := cpuTime()
	r := e.do("GET", "/fhir/DocumentReference/r46a-nocomma", hosp, "")
	read := cpuTime() - c0
	t.Logf("RHX GET r46a-nocomma: %d in %v CPU", r.status, read)
	if nest > 10*base+time.Second {
		t.Errorf("system A81001: PUT a 200 KB letter of \"data:\" repeated took %v CPU; an ordinary one %v", nest, base)
	}
}

// TestReview46aSoundOrdinaryDataURLsReleased: ordinary letters with data:
// urls go to RHX whole: an image in HTML, a data: url in prose, 200 small
// distinct text data: urls, "data:" in prose without a payload.
func TestReview46aSoundOrdinaryDataURLsReleased(t *testing.T) {
	png := b64r31a("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	var many strings.Builder
	for i := 0; i < 200; i++ {
		many.WriteString(`<p><a href="data:text/plain,Note%20` + strings.Repeat("x", i%17) + `%20seen%20in%20clinic%20` + string(rune('a'+i%26)) + `">n</a></p>`)
	}
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r46a-html-img", "text/html", `<html><body><p>Seen in clinic.</p><img src="data:image/png;base64,` + png + `"/></body></html>`, 200},
		{"r46a-prose", "text/plain", "Dear Dr, the form is at data:text/plain,Please%20call%20the%20clinic%20on%20Tuesday. Regards", 200},
		{"r46a-many", "text/html", "<html><body>" + many.String() + "</body></html>", 200},
		{"r46a-word", "text/plain", "Clinic data: blood pressure normal, weight stable. Metadata: none.", 200},
	})
}

// TestReview46aSoundCodeElementNames: ceba09d's codeElement takes any
// name codeName takes. Ordinary numbers under other kinds of code
// elements (area, post, country, phone, access, std dialling) go out;
// the names codeElement took before (code, value, conceptId, sctid, any
// case and prefix) still label an HIV id.
func TestReview46aSoundCodeElementNames(t *testing.T) {
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r46a-contact", "application/xml", "<contact>\n <areaCode>0114</areaCode>\n <postcode>S10 2JF</postcode>\n <countryCode>44</countryCode>\n <phoneCode>0114</phoneCode>\n <accessCode>4721</accessCode>\n <extension>2231</extension>\n <stdCode>0114</stdCode>\n <phone>2496074</phone>\n</contact>", 200},
		{"r46a-stdcode-phone", "application/xml", "<tel><stdCode>01632</stdCode><number>960741</number></tel>", 200},
		{"r46a-CODE", "application/xml", "<x><CODE>086406008</CODE></x>", 404},
		{"r46a-cda-code", "application/xml", "<x><cda:code>086406008</cda:code></x>", 404},
		{"r46a-CONCEPTID", "application/xml", "<x><CONCEPTID>086406008</CONCEPTID></x>", 404},
		{"r46a-conceptid", "application/xml", "<x><conceptid>086406008</conceptid></x>", 404},
		{"r46a-SCTID", "application/xml", "<x><SCTID>086406008</SCTID></x>", 404},
		{"r46a-Value", "application/xml", "<x><Value>086406008</Value></x>", 404},
		{"r46a-ConceptID", "application/xml", "<x><ConceptID>052637005</ConceptID></x>", 404},
	})
}

// TestReview46aSoundRecreateDeleted: 29e046f. The practice's system and
// GP re-create its deleted HIV diagnosis (PUT, transaction, conditional
// update naming the id); the receptionist re-creates a deleted item she
// could see (an Appointment); the receptionist is still refused at the
// deleted HIV id.
func TestReview46aSoundRecreateDeleted(t *testing.T) {
	e := r21bReceptionistEnv(t)
	gp := e.token("system", "nhs", "A81001")
	doc := e.token("gp", "nhs", "A81001")
	hiv := func(id, txt string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"` + txt + `"}}`
	}
	del := func(p string) {
		if r := e.do("DELETE", p, gp, ""); r.status != 204 && r.status != 200 {
			t.Fatalf("delete %s: %d %s", p, r.status, r.body)
		}
	}
	for _, id := range []string{"r46a-h1", "r46a-h2", "r46a-h3", "r46a-h4"} {
		e.putAll(t, gp, [2]string{"/fhir/Condition/" + id, hiv(id, "V1")})
		del("/fhir/Condition/" + id)
	}
	if r := e.do("PUT", "/fhir/Condition/r46a-h1", gp, hiv("r46a-h1", "AGAIN")); r.status != 201 && r.status != 200 {
		t.Errorf("system A81001 PUT at its deleted HIV id: %d %.300s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/r46a-h2", doc, hiv("r46a-h2", "AGAIN")); r.status != 201 && r.status != 200 {
		t.Errorf("gp A81001 PUT at its deleted HIV id: %d %.300s", r.status, r.body)
	}
	tx := e.do("POST", "/fhir", doc, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":`+hiv("r46a-h3", "TX")+`,"request":{"method":"PUT","url":"Condition/r46a-h3"}}]}`)
	if tx.status != 200 || !strings.Contains(tx.body, "201") {
		t.Errorf("gp A81001 transaction PUT at its deleted HIV id: %d %.400s", tx.status, tx.body)
	}
	c := e.do("PUT", "/fhir/Condition?identifier=urn:r46a|none", doc, hiv("r46a-h4", "COND"))
	if c.status != 201 && c.status != 200 {
		t.Errorf("gp A81001 conditional update naming its deleted HIV id: %d %.300s", c.status, c.body)
	}
	rec := e.token("receptionist", "nhs", "A81001")
	appt := `{"resourceType":"Appointment","id":"r46a-appt","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`
	e.putAll(t, gp, [2]string{"/fhir/Appointment/r46a-appt", appt})
	if r := e.do("GET", "/fhir/Appointment/r46a-appt", rec, ""); r.status != 200 {
		t.Logf("premise: receptionist reads the appointment: %d %.200s", r.status, r.body)
	}
	del("/fhir/Appointment/r46a-appt")
	if r := e.do("PUT", "/fhir/Appointment/r46a-appt", rec, appt); r.status != 201 && r.status != 200 {
		t.Errorf("receptionist A81001 PUT at the practice's deleted appointment (visible to her): %d %.300s", r.status, r.body)
	}
	e.putAll(t, gp, [2]string{"/fhir/Condition/r46a-h5", hiv("r46a-h5", "V1")})
	del("/fhir/Condition/r46a-h5")
	if r := e.do("PUT", "/fhir/Condition/r46a-h5", rec, `{"resourceType":"Condition","id":"r46a-h5","subject":{"reference":"Patient/jane"},"code":{"text":"REC"}}`); r.status != 409 {
		t.Errorf("receptionist PUT at the deleted HIV id: %d, want 409 %.300s", r.status, r.body)
	}
	if r45cLogged(e, "PUT", "/fhir/Condition/r46a-h5") < 1 || r45cLogged(e, "PUT", "/fhir/Appointment/r46a-appt") < 1 {
		t.Errorf("the writes were not logged")
	}
}

// TestReview46aDataURLUpperCaseRefuge: the refuge's Organization as XML
// percent-encoded in a "DATA:" url inside Jane's XML letter goes whole to
// the hospital clinician RCX (the refuge check's eachDataURL, since review
// 40a, looks for "ata:" in lower case); with "data:" it is withheld.
func TestReview46aDataURLUpperCaseRefuge(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, c := range []struct{ id, scheme string }{{"r46a-ref-lower", "data:"}, {"r46a-ref-DATA", "DATA:"}} {
		data := b64r31a(r46aXMLURL(c.scheme + "application/fhir+xml," + pctAll(refugeXML40a)))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + c.id, docXML40a(c.id, `"contentType":"application/fhir+xml","data":"`+data+`"`)})
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, rcx, "")
		whole := strings.Contains(r.body, data)
		t.Logf("%s: %d whole=%v", c.id, r.status, whole)
		if whole {
			i := strings.Index(r.body, data)
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases Jane's letter carrying the refuge's Organization in a %q url whole: …%s…", c.id, r.status, c.scheme, r.body[max(0, i-80):min(len(r.body), i+60)])
		}
	}
}

// TestReview46aDataURLNoCommaReadCost: 50 KB of "data:" repeated, in
// Jane's letter read by RCX (the refuge check) and in r21's (restricted)
// letter read by RHX in her care team (the restricted person's check):
// each read, and each write, against an ordinary letter of the same size.
func TestReview46aDataURLNoCommaReadCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seed31b(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	const n = 10000
	cost := func(f func() resp) (time.Duration, resp) {
		c0 := cpuTime()
		r := f()
		return cpuTime() - c0, r
	}
	for _, c := range []struct{ person, reader string }{{"jane", "RCX"}, {"r21", "RHX"}} {
		rd := e.token("hospital-clinician", "nhs", c.reader)
		var times [2][2]time.Duration
		for k, text := range []string{strings.Repeat("seen: ", n), strings.Repeat("data:", n)} {
			id := "r46a-rc-" + c.person + []string{"-plain", "-nocomma"}[k]
			w, wr := cost(func() resp {
				return e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/`+c.person+`"},
		"type":{"text":"R46A-LETTER"},"content":[{"attachment":{"contentType":"text/plain","data":"`+b64r31a(text)+`"}}]}`)
			})
			e.do("GET", "/fhir/DocumentReference/"+id, rd, "")
			r, rr := cost(func() resp { return e.do("GET", "/fhir/DocumentReference/"+id, rd, "") })
			times[k] = [2]time.Duration{w, r}
			t.Logf("%s: PUT %d in %v; %s GET %d in %v", id, wr.status, w, c.reader, rr.status, r)
		}
		if times[1][0] > 10*times[0][0]+500*time.Millisecond {
			t.Errorf("PUT %s's 50 KB letter of \"data:\" repeated: %v CPU; an ordinary one %v", c.person, times[1][0], times[0][0])
		}
		if times[1][1] > 10*times[0][1]+500*time.Millisecond {
			t.Errorf("hospital-clinician %s GET %s's 50 KB letter of \"data:\" repeated: %v CPU; an ordinary one %v", c.reader, c.person, times[1][1], times[0][1])
		}
	}
}

// TestReview46aDataURLBase64SplitByNewlineReference: the HIV Condition as
// a base64 data: url inside XML, its base64 broken by "&#10;" (a line
// feed to an XML reader; base64 and the URL parser skip it) in the middle
// of the code's digits: neither half's base64 run holds the code whole.
func TestReview46aDataURLBase64SplitByNewlineReference(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	b := b64r31a(r46aHIVCond)
	k := (strings.Index(r46aHIVCond, "86406008") + 4) / 3 * 4 // a base64 quantum inside the digits
	for _, c := range []struct{ id, ins string }{{"r46a-b64-lf", "&#10;"}, {"r46a-b64-lf2", "&#10;  "}} {
		u := "data:application/fhir+json;base64," + b[:k] + c.ins + b[k:]
		st := r26aLetter(t, e, c.id, `{"contentType":"application/fhir+xml","data":"`+b64r31a(r46aXMLURL(u))+`"}`, "")
		t.Logf("%s: RHX GET -> %d", c.id, st)
		if st != 404 {
			t.Errorf("hospital-clinician RHX: GET /fhir/DocumentReference/%s (HIV Condition in a base64 data: url split by %q) -> %d, want 404", c.id, c.ins, st)
		}
	}
}

// TestReview46aSoundDataURLVariants: variants the finder reads: "&#37;"
// for each '%', the scheme's letters as references, CDATA, element text,
// "Data:".
func TestReview46aSoundDataURLVariants(t *testing.T) {
	p := pctAll(r46aHIVCond)
	r39aLetterCases(t, []struct {
		name, ct, text string
		want           int
	}{
		{"r46a-v-pct37", "application/fhir+xml", r46aXMLURL("data:application/fhir+json," + strings.ReplaceAll(p, "%", "&#37;")), 404},
		{"r46a-v-schemeref", "application/fhir+xml", r46aXMLURL("&#100;&#97;&#116;&#97;&#58;application/fhir+json," + p), 404},
		{"r46a-v-cdata", "application/xml", "<a><url><![CDATA[data:application/fhir+json," + p + "]]></url></a>", 404},
		{"r46a-v-elem", "application/xml", "<a><url>data:application/fhir+json," + p + "</url></a>", 404},
		{"r46a-v-Data", "application/fhir+xml", r46aXMLURL("Data:application/fhir+json," + p), 404},
	})
}

// TestReview46aSoundRecreateDeletedLogged: the access log of 29e046f's
// writes: the receptionist's refused PUT at the practice's deleted HIV id
// is logged against Jane, 409, a denial with an item withheld; the GP's
// re-creation of it is logged against Jane, 201, permit, releasing its
// new version; the receptionist's re-creation of a deleted appointment
// she could see, 201, permit.
func TestReview46aSoundRecreateDeletedLogged(t *testing.T) {
	e := r21bReceptionistEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/r46a-l1", `{"resourceType":"Condition","id":"r46a-l1","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`})
	appt := `{"resourceType":"Appointment","id":"r46a-lappt","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`
	e.putAll(t, gp, [2]string{"/fhir/Appointment/r46a-lappt", appt})
	for _, p := range []string{"/fhir/Condition/r46a-l1", "/fhir/Appointment/r46a-lappt"} {
		if r := e.do("DELETE", p, gp, ""); r.status != 204 {
			t.Fatalf("delete %s: %d", p, r.status)
		}
	}
	rec := e.token("receptionist", "nhs", "A81001")
	a := e.do("PUT", "/fhir/Condition/r46a-l1", rec, `{"resourceType":"Condition","id":"r46a-l1","subject":{"reference":"Patient/jane"},"code":{"text":"REC"}}`)
	b := e.do("PUT", "/fhir/Appointment/r46a-lappt", rec, appt)
	c := e.do("PUT", "/fhir/Condition/r46a-l1", e.token("gp", "nhs", "A81001"), `{"resourceType":"Condition","id":"r46a-l1","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"AGAIN"}}`)
	t.Logf("receptionist PUT deleted HIV id %d; receptionist PUT deleted appointment %d; GP PUT deleted HIV id %d", a.status, b.status, c.status)
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	var got []string
	for _, x := range e.rec.xs {
		if x.Method != "PUT" || !strings.Contains(x.Path, "r46a-l") || x.Principal == nil || x.Principal.Role == "system" {
			continue
		}
		got = append(got, x.Principal.Role+" "+x.Path)
		t.Logf("log: %s %s %s patient=%q status=%d decision=%s withheld=%d reasons=%v released=%v", x.Principal.Role, x.Method, x.Path, x.Patient, x.Status, x.Decision, x.Withheld, x.Reasons, x.Released)
		switch {
		case x.Principal.Role == "receptionist" && strings.Contains(x.Path, "Condition"):
			if x.Status != 409 || x.Patient != "jane" || x.Withheld < 1 || x.Decision == "permit" || len(x.Released) != 0 {
				t.Errorf("receptionist's refused write at the deleted HIV id logged as %d %s withheld %d patient %q released %v", x.Status, x.Decision, x.Withheld, x.Patient, x.Released)
			}
		case x.Principal.Role == "gp":
			if x.Status != 201 && x.Status != 200 || x.Patient != "jane" || x.Decision != "permit" {
				t.Errorf("GP's re-creation logged as %d %s patient %q", x.Status, x.Decision, x.Patient)
			}
		case x.Principal.Role == "receptionist":
			if x.Status != 201 && x.Status != 200 || x.Patient != "jane" {
				t.Errorf("receptionist's re-creation of the appointment logged as %d %s patient %q", x.Status, x.Decision, x.Patient)
			}
		}
	}
	if len(got) != 3 {
		t.Errorf("want 3 PUT entries, got %v", got)
	}
}
