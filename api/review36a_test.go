package api_test

// Review 36a: a re-read of a01c6b2 only (wholeValue's spaces, CDATA and
// HL7 v2 separators; attachmentText's Latin-1 branch only when not UTF-8;
// derive's second scanText; xmlCarriedItems restarting after errors).
// Each probe was run here and against a01c6b2^ (git archive into /tmp).

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// TestReview36aDoubleScanHidesCode: attachedContent already returns each
// text through scanText (api/attached.go, visit), and a01c6b2's derive
// runs scanText over it again before LabelText. The second pass resolves
// what the first produced: an XML letter showing a reader
// "SNOMED 86406008&#49;" (stored "86406008&amp;#49;") becomes
// "864060081" and the HIV id in it is gone; likewise "&amp;#x31;" and
// "&#92;u0031" (a reader sees "\u0031"). At a01c6b2^ each was labelled
// (one pass: "86406008&#49;", the run 86406008) and withheld from RHX.
func TestReview36aDoubleScanHidesCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, text string }{
		{"ctl-plain", "<letter><p>Diagnosis: HIV infection (SNOMED 86406008)</p></letter>"},
		{"amp-decimal", "<letter><p>Diagnosis: HIV infection, SNOMED 86406008&amp;#49; see note 1</p></letter>"},
		{"amp-hex", "<letter><p>Diagnosis: HIV infection, SNOMED 86406008&amp;#x31;</p></letter>"},
		{"backslash-u", "<letter><p>Diagnosis: HIV infection, SNOMED 86406008&#92;u0031</p></letter>"},
		{"ivf-amp-decimal", "<letter><p>Procedure: IVF, SNOMED 52637005&amp;#50;</p></letter>"},
	} {
		st := r26aLetter(t, e, "r36a-ds-"+c.name, `{"contentType":"application/xml","data":"`+b64r31a(c.text)+`"}`, "")
		if st != 404 && st != -1 {
			if strings.HasPrefix(c.name, "ctl") {
				t.Errorf("control %s: %d, want 404", c.name, st)
			} else {
				t.Errorf("%s: RHX GET /fhir/DocumentReference/r36a-ds-%s: %d — the GP's letter about Jane showing the reader %q released (label lost to the second scanText)", c.name, c.name, st, c.text)
			}
		}
	}
}

// TestReview36aHL7v2ZeroLedIdentifiersLabelled: wholeValue now takes an
// HL7 v2 field or component (| ^ ~ & either side) as a whole value and
// drops its leading zeros. A v2 message's phone number — the README's own
// example of running text that is no id, 01142043006 (a Sheffield number),
// is 1142043006 once its zero goes, a listed late-syphilis id — in PID-13
// now labels an ordinary letter STD, and it goes to its source alone: RHX
// (Jane's care team) gets 404. (NK1-5 as the segment's last field, before
// '\r', is not a whole value and is released: seen, 200.) Likewise a pretty-printed table
// cell and a Markdown table cell. At a01c6b2^ each was released (200).
// Availability, not confidentiality: over-labelling.
func TestReview36aHL7v2ZeroLedIdentifiersLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	msh := "MSH|^~\\&|GP|A81001|HOSP|RHX|202612050900||ADT^A08|1|P|2.4\r"
	for _, c := range []struct{ name, ct, text string }{
		{"ctl-running-text", "text/plain", "Seen in clinic. Tel 01142043006. Well."},
		{"v2-pid13", "text/plain", msh + "PID|1||9434765919^^^NHS||SMITH^JANE||19800101|F|||1 High St^^Sheffield^^S1 1AA||01142043006^PRN^PH\r"},
		{"v2-nk1-5", "text/plain", msh + "PID|1||9434765919^^^NHS||SMITH^JANE\rNK1|1|SMITH^JOHN|SPO||01142043006\r"},
		{"td-pretty", "application/xml", "<letter><table><tr><td>Telephone</td><td>\n  01142043006\n</td></tr></table></letter>"},
		{"markdown-cell", "text/markdown", "| Contact | Number |\n|---|---|\n| Home | 01142043006 |\n"},
	} {
		st := r26aLetter(t, e, "r36a-v2-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.text)+`"}`, "")
		if st != 200 {
			t.Errorf("%s: RHX GET /fhir/DocumentReference/r36a-v2-%s: %d, want 200 — an ordinary letter (%q) labelled by a phone number", c.name, c.name, st, c.text)
		}
	}
}

// TestReview36aDenyOfInstanceXMLCopyAfterErrorInEntry: xmlCarriedItems
// restarts at the next '<' after an error with an empty element stack, so
// a Bundle entry's <fullUrl> that follows an error inside the same entry
// (its <link> url holding "&lt;", a bare '<' after scanText) is read with
// no parent and not taken as the entry's: a copy of Condition/diabetes
// named by its fullUrl alone (review 33a's form) goes to RHX after Jane's
// deny of Condition/diabetes to RHX. (a01c6b2^ stopped at the error: not
// a regression, a gap in a01c6b2's "on past errors".) Control: the same
// entry without the '<'.
func TestReview36aDenyOfInstanceXMLCopyAfterErrorInEntry(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/diabetes", r33aDiabetes})
	noID := strings.Replace(r35aDiabetesXML, `<id value="diabetes"/>`, "", 1)
	bundle := func(url string) string {
		return `<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><link><relation value="alternate"/><url value="` + url + `"/></link><fullUrl value="https://gp.example.org/fhir/Condition/diabetes"/><resource>` + noID + `</resource></entry></Bundle>`
	}
	cases := []struct{ name, text string }{
		{"ctl-link", bundle("https://gp.example.org/fhir/Condition?code=44054006")},
		{"lt-in-link-url", bundle("https://gp.example.org/fhir/Observation?value-quantity=lt48&amp;note=HbA1c &lt; 48")},
	}
	for _, c := range cases {
		r35aDocRef(t, e, "r36a-x-"+c.name, "application/fhir+xml", []byte(c.text))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r33aDenyDiabetes(t, e, "Condition/diabetes")
	for _, c := range cases {
		s, b := r31dRead(e, hosp, "/fhir/DocumentReference/r36a-x-"+c.name)
		if s == 200 {
			if strings.HasPrefix(c.name, "ctl") {
				t.Errorf("control %s: released", c.name)
			} else {
				t.Errorf("%s: after Jane's deny of Condition/diabetes to RHX, RHX GET /fhir/DocumentReference/r36a-x-%s: 200 %.80s…", c.name, c.name, b)
			}
		}
	}
}

// TestReview36aSoundLatin1OnlyWhenNotUTF8: a text labelled ISO-8859-1 or
// windows-1252 is read as UTF-8 when it is valid UTF-8 and one byte a
// character otherwise; either way a code split by a soft hyphen (C2 AD
// in UTF-8, AD in Latin-1) or a zero-width space is read, and the
// Latin-1 reading drops only AD, whose lead byte stays between the
// digits, so no valid UTF-8 text loses an id the Latin-1 reading found.
func TestReview36aSoundLatin1OnlyWhenNotUTF8(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, text string }{
		{"utf8-shy", "Diagnosis: HIV (SNOMED 86406\u00ad008)"},
		{"utf8-zwsp", "Diagnosis: HIV (SNOMED 86406\u200b008)"},
		{"latin1-shy", "Diagnosis: HIV (SNOMED 86406\xad008) Zo\xeb"},
		{"latin1-zero-led-quoted", "code=\"086406008\" Zo\xeb"},
	} {
		for _, cs := range []string{"iso-8859-1", "windows-1252"} {
			st := r26aLetter(t, e, "r36a-l1-"+c.name+"-"+cs, `{"contentType":"text/plain; charset=`+cs+`","data":"`+b64r31a(c.text)+`"}`, "")
			if st != 404 && st != -1 {
				t.Errorf("%s charset=%s: %d, want 404", c.name, cs, st)
			}
		}
	}
}

// TestReview36aSoundWholeValueForms: a01c6b2's whole values are read
// (pretty-printed element text, CDATA, v2 field) and running text with
// spaces is not: a date of birth after "DOB", a JSON array without CDATA.
func TestReview36aSoundWholeValueForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct {
		name, ct, text string
		want           int
	}{
		{"pretty", "application/xml", "<letter><code>\n  086406008\n</code></letter>", 404},
		{"cdata-spaces", "application/xml", "<letter><code><![CDATA[ 086406008 ]]></code></letter>", 404},
		{"v2-obx", "text/plain", "OBX|1|CE|DX||086406008^HIV^SCT\r", 404},
		{"dob-running", "text/plain", "DOB 04082005 seen today", 200},
		{"bracket-no-cdata", "text/plain", "ids [ 01142043006 ] noted", 200},
	} {
		st := r26aLetter(t, e, "r36a-wv-"+c.name, `{"contentType":"`+c.ct+`","data":"`+b64r31a(c.text)+`"}`, "")
		if st != c.want {
			t.Errorf("%s: %d, want %d", c.name, st, c.want)
		}
	}
}

// BenchmarkReview36aPutHostileLetter: the GP's PUT of a letter whose
// attachment is 5.5 MiB of '<' (or "<a") ending "id" (7.3 MiB of body,
// under the 8 MiB limit): derive's xmlCarriedItems restarts at every
// '<'. Compare with a01c6b2^ (git archive). No timing asserted.
func BenchmarkReview36aPutHostileLetter(b *testing.B) {
	e := newEnv(b, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(b, e)
	gp := e.token("system", "nhs", "A81001")
	for _, c := range []struct{ name, unit string }{{"lt-run", "<"}, {"lt-a", "<a"}, {"plain", "a"}} {
		data := b64r31a(strings.Repeat(c.unit, (11<<19)/len(c.unit)) + " id")
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				w := e.do("PUT", "/fhir/DocumentReference/r36a-big-"+c.name, gp, `{"resourceType":"DocumentReference","id":"r36a-big-`+c.name+`","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"`+data+`"}}]}`)
				if w.status != 200 && w.status != 201 {
					b.Fatalf("%d %.200s", w.status, w.body)
				}
			}
		})
	}
}
