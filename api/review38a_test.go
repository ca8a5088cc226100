package api_test

// Review 38a: a re-read of 10436f5 (XML copies read as stored and as
// scanned; CarriedUnread after 10,000 restarts; wholeValue's '~', SNOMED CT
// names in any case, a code element's text after a comment) and 971ba4a
// (a refactor said to change nothing: redactedPayload, dataURLType /
// dataURLBytes, fromUTF16Order, afterLineBreak). Each probe was run here
// and against the parent (git archive 10436f5^ / 971ba4a^ into /tmp); the
// helpers used are those both parents have.
//
// Results (HEAD 971ba4a / 971ba4a^ / 10436f5^):
//   DenyOfInstanceXMLCopyWithoutLiteralId   FAIL / FAIL / FAIL (controls fail too at 10436f5^)
//   ZeroLedPhoneReadAsCodeBySnomedAnywhere  FAIL / FAIL / PASS (regression of 10436f5)
//   SoundDenyOfInstanceScannedCopies        PASS / PASS / FAIL (fixed by 10436f5)
//   SoundUnreadCopyOnlyForTheDeniedActor    PASS / PASS / FAIL (fixed by 10436f5)
//   SoundZeroLedCodesStillLabelled          PASS / PASS / FAIL (sctid-comment: fixed by 10436f5)
//   SoundRedactAttachedPeopleForms          PASS / PASS / PASS (971ba4a unchanged)

import (
	"encoding/base64"
	"strings"
	"testing"
)

// r38aDenyCases writes each case as a DocumentReference of Jane's (the
// GP's) with the text as its attachment, writes Jane's deny of
// Condition/diabetes to RHX, and reports each case RHX still reads
// (a "ctl-" case must be withheld too, a "rel-" case released).
func r38aDenyCases(t *testing.T, prefix string, cases []struct{ name, ct, text string }) {
	t.Helper()
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/diabetes", r33aDiabetes})
	for _, c := range cases {
		r35aDocRef(t, e, prefix+c.name, c.ct, []byte(c.text))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r33aDenyDiabetes(t, e, "Condition/diabetes")
	for _, c := range cases {
		s, b := r31dRead(e, hosp, "/fhir/DocumentReference/"+prefix+c.name)
		switch {
		case strings.HasPrefix(c.name, "rel-"):
			if s != 200 {
				t.Errorf("%s: want 200, got %d %.100s", c.name, s, b)
			}
		case s == 200 && strings.HasPrefix(c.name, "ctl"):
			t.Errorf("control %s: released", c.name)
		case s == 200:
			t.Errorf("%s: after Jane's deny of Condition/diabetes to RHX, RHX GET /fhir/DocumentReference/%s%s: 200 %.100s…", c.name, prefix, c.name, b)
		default:
			t.Logf("%s: %d", c.name, s)
		}
	}
}

// TestReview38aDenyOfInstanceXMLCopyWithoutLiteralId: 10436f5 reads an
// attachment's XML copies as scanned (escapes, entities and invisible
// characters resolved) too, but only for a text whose stored bytes hold
// "id" or "fullUrl" (carriedItems' gate is on texts[i], not scanned[i]).
// A copy of Condition/diabetes whose <id> (or a Bundle entry's <fullUrl>)
// a reader sees only once the text is read as scanText reads it — the
// element name with a zero-width space or soft hyphen, or a letter of it
// written as a character reference in an HTML page showing the XML —
// and no other "id" in the letter, goes to RHX after Jane's deny of it.
// Controls: the same with an "id" elsewhere in the letter ("valid") are
// withheld, so only the gate lets it through.
func TestReview38aDenyOfInstanceXMLCopyWithoutLiteralId(t *testing.T) {
	x := r35aDiabetesXML
	if strings.Contains(strings.Replace(x, "<id ", "", 1), "id") {
		t.Fatal("premise: the copy holds another id")
	}
	zw := strings.Replace(x, "<id ", "<i\u200bd ", 1)
	shy := strings.Replace(x, "<id ", "<i\u00add ", 1)
	esc := strings.NewReplacer("<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(x)
	escRef := strings.Replace(esc, "&lt;id ", "&lt;&#105;d ", 1)
	escShy := strings.Replace(esc, "&lt;id ", "&lt;i&shy;d ", 1)
	jsonEsc := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, `"`, `'`).Replace(x)
	jsonRef := strings.Replace(jsonEsc, `\u003cid `, `\u003c\u0069d `, 1)
	noID := strings.Replace(x, `<id value="diabetes"/>`, "", 1)
	bundle := `<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><fullUrl value="https://gp.example.org/fhir/Condition/diabetes"/><resource>` + noID + `</resource></entry></Bundle>`
	bundleZW := strings.Replace(bundle, "<fullUrl ", "<fullU\u200brl ", 1)
	bundleEsc := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(bundle)
	bundleEscRef := strings.Replace(bundleEsc, "&lt;fullUrl ", "&lt;full&#85;rl ", 1)
	page := func(body string) string {
		return "<html><body><p>Copy of the GP record:</p><pre>" + body + "</pre></body></html>"
	}
	r38aDenyCases(t, "r38a-gate-", []struct{ name, ct, text string }{
		{"ctl-plain", "application/fhir+xml", x},
		{"ctl-zwsp-with-valid", "application/fhir+xml", "<!-- valid copy -->" + zw},
		{"ctl-html-ref-with-valid", "text/html", page("A valid copy: " + escRef)},
		{"ctl-bundle-zwsp-with-valid", "application/fhir+xml", "<!-- valid copy -->" + bundleZW},
		{"id-name-zwsp", "application/fhir+xml", zw},
		{"id-name-soft-hyphen", "application/fhir+xml", shy},
		{"html-id-char-ref", "text/html", page(escRef)},
		{"html-id-shy-entity", "text/html", page(escShy)},
		{"json-u0069", "text/plain", `{"note":"` + jsonRef + `"}`},
		{"bundle-fullurl-zwsp", "application/fhir+xml", bundleZW},
		{"html-bundle-fullurl-char-ref", "text/html", page(bundleEscRef)},
	})
}

// TestReview38aSoundDenyOfInstanceScannedCopies: 10436f5's own cases and
// neighbours (an escaped copy in HTML, an id value with an invisible
// character, an escaped Bundle with its fullUrl, a copy past 10,001
// errors: CarriedUnread) are withheld from RHX after Jane's deny of
// Condition/diabetes; a letter with no copy and few errors is released.
func TestReview38aSoundDenyOfInstanceScannedCopies(t *testing.T) {
	x := r35aDiabetesXML
	esc := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(x)
	noID := strings.Replace(x, `<id value="diabetes"/>`, "", 1)
	bundle := `<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><fullUrl value="https://gp.example.org/fhir/Condition/diabetes"/><resource>` + noID + `</resource></entry></Bundle>`
	bundleEsc := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(bundle)
	r38aDenyCases(t, "r38a-sc-", []struct{ name, ct, text string }{
		{"ctl-plain", "application/fhir+xml", x},
		{"html-escaped", "text/html", "<html><body><pre>" + esc + "</pre></body></html>"},
		{"id-value-zwsp", "application/fhir+xml", strings.Replace(x, `value="diabetes"`, "value=\"dia\u200bbetes\"", 1)},
		{"bundle-escaped-fullurl", "text/html", "<html><body><pre>" + bundleEsc + "</pre></body></html>"},
		{"bundle-fullurl-value-shy", "application/fhir+xml", strings.Replace(bundle, "Condition/diabetes", "Condition/dia&#173;betes", 1)},
		{"past-10001-errors", "text/html", "<html><body>" + strings.Repeat("<b/ ", 10001) + x + "</body></html>"},
		{"rel-no-copy", "text/html", "<html><body><p>valid id " + strings.Repeat("<b/ ", 50) + "</p></body></html>"},
	})
}

// TestReview38aSoundUnreadCopyOnlyForTheDeniedActor: a letter of 10,001
// XML errors then a copy of Condition/diabetes (CarriedUnread) is
// withheld from RHX (Jane's deny) but still goes to the district nurse
// at RCX (her care team), whom the deny does not name.
func TestReview38aSoundUnreadCopyOnlyForTheDeniedActor(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/diabetes", r33aDiabetes})
	r35aDocRef(t, e, "r38a-ctl", "text/html", []byte("<html><body><p>x</p></body></html>"))
	r35aDocRef(t, e, "r38a-unread", "text/html", []byte("<html><body>"+strings.Repeat("<b/ ", 10001)+"<p>x</p>"+r35aDiabetesXML+"</body></html>"))
	r33aDenyDiabetes(t, e, "Condition/diabetes")
	if s, _ := r31dRead(e, e.token("hospital-clinician", "nhs", "RHX"), "/fhir/DocumentReference/r38a-unread"); s == 200 {
		t.Errorf("RHX reads the letter: %d", s)
	}
	for _, tok := range []struct{ who, tok string }{
		{"district nurse RCX", e.token("district-nurse", "nhs", "RCX")},
		{"GP A81001", e.token("gp", "nhs", "A81001")},
	} {
		s0, _ := r31dRead(e, tok.tok, "/fhir/DocumentReference/r38a-ctl")
		s, b := r31dRead(e, tok.tok, "/fhir/DocumentReference/r38a-unread")
		if s != s0 {
			t.Errorf("%s (not named by the deny): control letter %d, the 10,001-error letter %d %.200s", tok.who, s0, s, b)
		} else {
			t.Logf("%s: %d / %d", tok.who, s0, s)
		}
	}
}

// TestReview38aZeroLedPhoneReadAsCodeBySnomedAnywhere: 10436f5's
// wholeValue takes a zero-led run after '|', '^', '~' or '&' and before
// '^' as a SNOMED-coded v2 value when "snomed" (any case) appears
// anywhere later in that repetition — not only as its coding system
// component. A GP's letter about Jane whose HL7 v2 PID-13 / NK1-5 phone
// number 01142043006 (1142043006 is an STD refset member, "Regurgitation
// of pulmonary valve due to late syphilis") has an e-mail at snomed.org,
// or a free-text note naming SNOMED CT, in the same XTN repetition is
// labelled STD and withheld from every other organisation (RHX here)
// though it says nothing sensitive. At 10436f5^ (case-sensitive "^SCT",
// "^SNM" or the OID only) each was released.
func TestReview38aZeroLedPhoneReadAsCodeBySnomedAnywhere(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	msh := "MSH|^~\\&|GP|A81001|HOSP|RHX|202612050900||ADT^A08|1|P|2.5\r"
	pid := "PID|1||9434765919^^^NHS^NH||Doe^Jane||19800101|F|||1 High St^^Leeds^^LS1 1AA||"
	for _, c := range []struct{ name, text string }{
		{"ctl-pid13-plain", msh + pid + "01142043006^PRN^PH|\r"},
		{"ctl-pid13-email", msh + pid + "01142043006^PRN^PH^jane.doe@example.org|\r"},
		{"pid13-email-snomed", msh + pid + "01142043006^WPN^PH^jane.doe@snomed.org|\r"},
		{"pid13-repetition-email-snomed", msh + pid + "07700900123^PRN^CP~01142043006^WPN^PH^jane.doe@snomed.org|\r"},
		{"nk1-email-snomed", msh + pid + "|\rNK1|1|Doe^John|SPO^Spouse|1 High St^^Leeds^^LS1 1AA|01142043006^WPN^PH^john.doe@SNOMED.org|\r"},
		{"pid13-text-snomed-team", msh + pid + "01142043006^WPN^PH^^^^^^^SNOMED CT coding queries|\r"},
		// an arrow after a comment elsewhere: codeElement strips the last
		// "<!--"…"-->" it finds, and the tag before that comment names a value
		{"xml-arrow-after-value-comment", "<letter><contact><value><!-- phone --></value></contact><p>Call us --&gt; 01142043006</p></letter>"},
	} {
		st := r26aLetter(t, e, "r38a-ph-"+c.name, `{"contentType":"text/plain","data":"`+b64r31a(c.text)+`"}`, "")
		if st != 200 {
			t.Errorf("%s: RHX GET /fhir/DocumentReference/r38a-ph-%s: %d, want 200 — a letter whose only number of note is a phone number (%q) withheld as STD-labelled", c.name, c.name, st, c.text)
		} else {
			t.Logf("%s: %d", c.name, st)
		}
	}
}

// TestReview38aSoundZeroLedCodesStillLabelled: SNOMED-coded v2 values
// and code-element texts with leading zeros (HIV 086406008, IVF
// 052637005) labelled before 10436f5 are still labelled (withheld from
// RHX), and the README's non-code choices (a table cell, a v2 phone in
// PID-13, a date after '~') are still released.
func TestReview38aSoundZeroLedCodesStillLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	msh := "MSH|^~\\&|GP|A81001|HOSP|RHX|202612050900||ORU^R01|1|P|2.5\r"
	for _, c := range []struct {
		name, ct, text string
		want           int
	}{
		{"obx-sct", "text/plain", msh + "OBX|1|CE|DX^Diagnosis^L||086406008^HIV infection^SCT||\r", 404},
		{"obx-snm-ivf", "text/plain", msh + "PR1|1||052637005^IVF^SNM|\r", 404},
		{"obx-oid", "text/plain", msh + "OBX|1|CE|DX^Diagnosis^L||086406008^HIV^2.16.840.1.113883.6.96||\r", 404},
		{"obx-sct-subcomp", "text/plain", msh + "OBX|1|CE|DX^Diagnosis^L||086406008^HIV^SCT&SNOMED||\r", 404},
		{"obx-cwe-alt", "text/plain", msh + "OBX|1|CWE|DX^Diagnosis^L||B20^HIV disease^I10^086406008^HIV^SCT||\r", 404},
		{"code-el", "application/xml", "<letter><code>086406008</code></letter>", 404},
		{"value-el-pretty", "application/xml", "<letter>\n <value>\n  052637005\n </value>\n</letter>", 404},
		{"sctid-comment", "application/xml", "<x><sctid><!-- IVF -->052637005</sctid></x>", 404},
		{"quoted", "text/plain", `code="086406008"`, 404},
		{"rel-td-phone", "text/html", "<table><tr><td>Tel</td><td>\n 01142043006\n</td></tr></table>", 200},
		{"rel-td-comment-phone", "text/html", "<table><tr><td><!-- phone --> 01142043006</td></tr></table>", 200},
		{"rel-pid13", "text/plain", msh + "PID|1||123||Doe^Jane||19800101|F|||||01142043006^PRN^PH~07700900123^ORN^CP|\r", 200},
		{"rel-date-after-tilde", "text/plain", "Seen ~04082005^ by Dr Smith", 200},
		{"rel-value-after-comment-elsewhere", "application/xml", "<x><value><!-- see note --></value><p>Ring 01142043006</p></x>", 200},
	} {
		st := r26aLetter(t, e, "r38a-zl-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.text)+`"}`, "")
		if st != c.want {
			t.Errorf("%s: RHX GET /fhir/DocumentReference/r38a-zl-%s: %d, want %d (%q)", c.name, c.name, st, c.want, c.text)
		} else {
			t.Logf("%s: %d", c.name, st)
		}
	}
}

// TestReview38aSoundRedactAttachedPeopleForms: 971ba4a's redactedPayload
// and dataURLType/dataURLBytes. Her (restricted, r21) Patient as FHIR
// JSON in her letter's attachment data (UTF-8 and UTF-16LE with a mark),
// in an extension's valueBase64Binary, in the attachment's url as a
// data: url (base64, and percent-encoded without ;base64, with no media
// type), and in a list of data: urls: each goes to the hospital clinician
// RHX without her address, telephone or GP; the letter itself goes.
func TestReview38aSoundRedactAttachedPeopleForms(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	her := r31aHerPatient
	b := b64r31a(her)
	u16 := append([]byte{0xff, 0xfe}, []byte(r24aUTF16LE(her))...)
	pct := strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22", "{", "%7B", "}", "%7D").Replace(her)
	for _, c := range []struct{ name, att, extra string }{
		{"data", `{"contentType":"application/fhir+json","data":"` + b + `"}`, ""},
		{"data-no-ct", `{"data":"` + b + `"}`, ""},
		{"data-utf16-bom", `{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString(u16) + `"}`, ""},
		{"data-array", `{"contentType":"application/json","data":"` + b64r31a("["+her+"]") + `"}`, ""},
		{"value-base64", `{"contentType":"text/plain","data":"` + b64r31a("see extension") + `"}`, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b + `"}]`},
		{"url-data-b64", `{"contentType":"application/fhir+json","url":"data:application/fhir+json;base64,` + b + `"}`, ""},
		{"url-data-no-type", `{"url":"data:;base64,` + b + `"}`, ""},
		{"url-data-pct", `{"url":"data:application/fhir+json,` + pct + `"}`, ""},
		{"url-list", `{"contentType":"text/plain","data":"` + b64r31a("see related") + `"}`, `,"extension":[{"url":"https://example.org/x","valueUri":"data:application/fhir+json;base64,` + b + `"},{"url":"https://example.org/y","valueUri":"data:application/fhir+json;base64,` + b + `"}]`},
	} {
		r := r31aHerLetter(t, e, "r38a-red-"+c.name, c.att, c.extra)
		if r31aLeaks(r.body) || strings.Contains(r.body, b) {
			t.Errorf("%s: RHX reads her Patient (address/phone) in her letter: %d %.300s", c.name, r.status, r.body)
		} else {
			t.Logf("%s: %d masked", c.name, r.status)
		}
	}
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/r38a-her-plan", `{"resourceType":"CarePlan","id":"r38a-her-plan","status":"active","intent":"plan","subject":{"reference":"Patient/r21"},"title":"R38A-HER-PLAN",
	  "instantiatesUri":["https://example.org/pathway","data:application/fhir+json;base64,` + b + `","data:;base64,` + b + `"]}`})
	r := e.do("GET", "/fhir/CarePlan/r38a-her-plan", e.token("hospital-clinician", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, "R38A-HER-PLAN") || r31aLeaks(r.body) || strings.Contains(r.body, b) {
		t.Errorf("CarePlan with her Patient in a list of data: urls to RHX: %d %.300s", r.status, r.body)
	}
}
