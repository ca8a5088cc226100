package api_test

import (
	"encoding/asn1"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 108a: a re-read of 984e6bf (revision 2026-12-07t: any unit a
// measurement but a care plan's words, a yes/no under LOINC a result,
// base64 blocks by their body, a narrative's images and character
// references, time-stamp tokens and XML signatures bounded) for
// regressions against d46ddcf and leaks left. Jane's shared record
// (r98bSeed); real server, real SQLite file, real tokens. SPEC §1: the
// social worker sees care plans and care assessments, no lab results or
// clinical notes; the IG officer no clinical content. Each probe that
// failed passes since revision 2026-12-07u (the SVG logo by the README's
// choice: only a whole PNG, JPEG or GIF is a picture).

// r108aLines cuts s into lines of the widths given, in turn.
func r108aLines(s string, widths ...int) []string {
	var out []string
	for i := 0; len(s) > 0; i++ {
		w := widths[i%len(widths)]
		if w > len(s) {
			w = len(s)
		}
		out, s = append(out, s[:w]), s[w:]
	}
	return out
}

// r108aB64Letter is the letter in padded base64.
func r108aB64Letter() string {
	letter := r106aLetter + "."
	if len(letter)%3 == 0 {
		letter += "."
	}
	return base64.StdEncoding.EncodeToString([]byte(letter))
}

func r108aPlan(id, desc string) [2]string {
	return [2]string{"/fhir/CarePlan/" + id, `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
	 "title":"R108A-PLAN","description":"` + desc + `"}`}
}

// TestReview108aTaskCarePlanCountsWithheld: the district nursing
// team's Task for the council records care-plan numbers in units a care
// plan writes but careWord does not list: tablets prompted, inhaler
// puffs, insulin units given, stairs/steps at home, falls in six months,
// respite nights, "x per day", miles to the shop. 984e6bf reads any unit not made of care
// words as a measurement, so each Task is of the observations class and
// is withheld from the social worker (care assessments, no lab results);
// at d46ddcf (a list of units of measure) each reached her. "calls per
// day" reaches her now. (Judgement: none of these is a lab result.)
func TestReview108aTaskCarePlanCountsWithheld(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	in := func(id, typ, unit string) [2]string {
		return r103aNHSTask(id, `"input":[{"type":{"text":"`+typ+`"},"valueQuantity":{"value":2,"unit":"`+unit+`"}}]`)
	}
	cases := map[string][2]string{
		"r108a-c-tablets": {"medication prompt", "tablets"},
		"r108a-c-puffs":   {"inhaler support", "puffs"},
		"r108a-c-units":   {"insulin given by carer", "units"},
		"r108a-c-steps":   {"steps to front door", "steps"},
		"r108a-c-falls":   {"falls in last 6 months", "falls"},
		"r108a-c-nights":  {"respite", "nights"},
		"r108a-c-xday":    {"pressure area care", "x per day"},
		"r108a-c-miles":   {"distance to nearest shop", "miles"},
	}
	writes := [][2]string{in("r108a-c-calls", "home care", "calls per day")}
	for id, c := range cases {
		writes = append(writes, in(id, c[0], c[1]))
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r108a-c-calls", sw, ""); r.status != 200 {
		t.Fatalf("premise: the Task with 'calls per day' is withheld from the social worker: %d", r.status)
	}
	for id, c := range cases {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status != 200 {
			t.Errorf("WRONG: %s: the nursing team's Task recording %q in %q (a care plan's number) is withheld from the social worker: %d", id, c[0], c[1], r.status)
		}
	}
}

// TestReview108aSoundTaskCareFrequenciesReleased: the nursing team's
// Task for the council recording hours per week, £/week, "per week",
// times/day, mins, GBP/wk reaches the social worker; one recording a
// measurement in "mmol/L per day" does not.
func TestReview108aSoundTaskCareFrequenciesReleased(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	in := func(id, unit string) [2]string {
		return r103aNHSTask(id, `"input":[{"type":{"text":"home care"},"valueQuantity":{"value":2,"unit":"`+unit+`"}}]`)
	}
	units := map[string]string{"r108a-f-hpw": "hours per week", "r108a-f-gbp": "£/week", "r108a-f-pw": "per week",
		"r108a-f-td": "times/day", "r108a-f-mins": "mins", "r108a-f-gbpwk": "GBP/wk"}
	writes := [][2]string{in("r108a-f-mmol", "mmol/L per day")}
	for id, u := range units {
		writes = append(writes, in(id, u))
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r108a-f-mmol", sw, ""); r.status == 200 {
		t.Errorf("a Task holding mmol/L per day reached the social worker")
	}
	for id, u := range units {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status != 200 {
			t.Errorf("%s: a Task recording home care in %q is withheld from the social worker: %d", id, u, r.status)
		}
	}
}

// TestReview108aTaskMeasurementInCareWords: the GP's Task for the
// council holds, under SNOMED CT, a body weight in "pounds" (careWord
// lists "pounds" as money) and a pulse in "beats"-less "per minute" (a
// rate per minute is a measurement only after "/"). Both reach the social
// worker, while the same weight in [lb_av] and the pulse in "/min" are
// withheld (review 107a's probe withheld a weight in [lb_av]).
func TestReview108aTaskMeasurementInCareWords(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	res := func(id, code, text, q string) [2]string {
		return r103aNHSTask(id, `"output":[{"type":{"coding":[{"system":"http://snomed.info/sct","code":"`+code+`"}],"text":"`+text+`"},"valueQuantity":`+q+`}]`)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		res("r108a-m-lb", "27113001", "Body weight", `{"value":182,"unit":"[lb_av]"}`),
		res("r108a-m-slash", "364075005", "Heart rate", `{"value":128,"unit":"/min"}`),
		res("r108a-m-mmol", "1022791000000101", "Serum result", `{"value":9.1,"unit":"mmol/L per day"}`),
		res("r108a-m-pounds", "27113001", "Body weight", `{"value":182,"unit":"pounds"}`),
		res("r108a-m-permin", "364075005", "Heart rate", `{"value":128,"unit":"per minute"}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r108a-m-lb", "r108a-m-slash", "r108a-m-mmol"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Fatalf("premise: %s (a measurement) reached the social worker", id)
		}
	}
	for _, id := range []string{"r108a-m-pounds", "r108a-m-permin"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Errorf("LEAK: %s: the GP's Task holding a measurement in care words reached the social worker (200)", id)
		}
	}
}

// TestReview108aNarrativePNGHeadedLetter: the GP's Condition's
// narrative shows an "image" data:image/png url whose bytes are PNG's
// 8-byte signature and then the letter in plain text (no PDF, no HTML),
// or the practice's real PNG logo with the letter appended after its end
// (what "cat logo.png letter.txt" gives).
// carriesDocument skips a narrative's image when pictureBytes says its
// bytes open as a picture (a signature, no PDF or HTML in them), so the
// letter reaches the social worker; the same bytes typed text/plain are
// withheld. (A picture's bytes are not read past its signature.)
func TestReview108aNarrativePNGHeadedLetter(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n" + r106aLetter))
	logo, err := base64.StdEncoding.DecodeString(r107aLogo(t))
	if err != nil {
		t.Fatal(err)
	}
	appended := base64.StdEncoding.EncodeToString(append(logo, []byte(r106aLetter)...))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r107aCond("r108a-png-text", r107aDiv+`<img src=\"data:text/plain;base64,`+b64+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`),
		r107aCond("r108a-png-logo", r107aDiv+`<img src=\"data:image/png;base64,`+r107aLogo(t)+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`),
		r107aCond("r108a-png-appended", r107aDiv+`<img src=\"data:image/png;base64,`+appended+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`),
		r107aCond("r108a-png-letter", r107aDiv+`<img src=\"data:image/png;base64,`+b64+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Condition/r108a-png-text", sw, ""); r.status == 200 {
		t.Fatalf("premise: the same bytes typed text/plain reached the social worker")
	}
	if r := e.do("GET", "/fhir/Condition/r108a-png-logo", sw, ""); r.status != 200 {
		t.Fatalf("premise: the Condition with a real PNG logo is withheld from the social worker: %d", r.status)
	}
	for id, data := range map[string]string{"r108a-png-letter": b64, "r108a-png-appended": appended} {
		if r := e.do("GET", "/fhir/Condition/"+id, sw, ""); r.status == 200 && strings.Contains(r.body, data) {
			t.Errorf("LEAK: %s: the GP's letter in a narrative's data:image/png (behind PNG's signature, or after a real logo's end) reached the social worker (200)", id)
		}
	}
}

// TestReview108aNarrativeSVGLogoWithholds: the GP's Condition's
// narrative shows the NHS logo as an SVG data: url (the NHS identity's
// logo is published as SVG). pictureBytes knows no SVG, so the logo is a
// document and the diabetes problem is withheld from the social worker;
// the same narrative with a PNG logo reaches her. (Judgement: an SVG logo
// is an image the narrative shows, as README's "an image it shows, a
// logo" says; an SVG holding <text> of a letter's length would not be.)
func TestReview108aNarrativeSVGLogoWithholds(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 16"><rect width="40" height="16" fill="#005eb8"/><path d="M3 2h5l3 9 2-9h4l-3 12h-5l-3-9-2 9H0z" fill="#fff"/></svg>`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r107aCond("r108a-svg", r107aDiv+`<img src=\"data:image/svg+xml;base64,`+base64.StdEncoding.EncodeToString([]byte(svg))+`\" alt=\"NHS\"/><p>Type 2 diabetes</p></div>`))
	sw := e.token("social-worker", "council", r98bCouncil)
	// (choice, in the README: an SVG is text, and its <text> can hold a
	// letter; carex takes PNG, JPEG and GIF images whole as pictures,
	// nothing else, so this item is withheld from her)
	if r := e.do("GET", "/fhir/Condition/r108a-svg", sw, ""); r.status != 404 {
		t.Errorf("the GP's problem whose narrative shows an SVG reached the social worker (%d): an SVG is not taken as a picture", r.status)
	}
}

// TestReview108aNarrativeDataURLWithTabOrNewline: the letter as a
// narrative link whose scheme holds a tab or a line break ("da\tta:",
// "da&#10;ta:"). The URL standard removes tabs and newlines from a url
// before parsing it, so a browser opens it as data: and shows the
// letter; narrativeDataURLs looks for "data:" and the tag is removed
// before its text is read, so the letter reaches the social worker.
// Written "DATA:" or with leading spaces it is withheld.
func TestReview108aNarrativeDataURLWithTabOrNewline(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := base64.StdEncoding.EncodeToString([]byte(r106aLetter))
	link := func(scheme string) string {
		return r107aDiv + `<p>Letter: <a href=\"` + scheme + `text/plain;base64,` + b64 + `\">open</a></p></div>`
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r107aCond("r108a-d-upper", link("DATA:")),
		r107aCond("r108a-d-lead", link(`  data:`)),
		r107aCond("r108a-d-tab", link(`da\tta:`)),
		r107aCond("r108a-d-nl", link(`da&#10;ta:`)))
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r108a-d-upper", "r108a-d-lead"} {
		if r := e.do("GET", "/fhir/Condition/"+id, sw, ""); r.status == 200 {
			t.Fatalf("premise: %s: the letter as a data: link reached the social worker", id)
		}
	}
	for _, id := range []string{"r108a-d-tab", "r108a-d-nl"} {
		if r := e.do("GET", "/fhir/Condition/"+id, sw, ""); r.status == 200 && strings.Contains(r.body, b64) {
			t.Errorf("LEAK: %s: the GP's letter as a data: link with a tab or line break in its scheme reached the social worker (200)", id)
		}
	}
}

// TestReview108aBase64LetterUnder64ColumnShapes: the GP's care
// plan description holds the letter in base64 (a) in lines of two
// alternating widths, 60 and 56, above "Regards"; (b) in 60-character
// blocks separated by blank lines (double-spaced). `base64 -d` decodes
// both. (a): the whole block does not decode (the word line), no run of
// one width is longer than one line, and the longest line is under 64;
// (b): each block is under 64. The letter reaches the social worker; in
// 60-column lines above "Regards", or blocks of 76, it is withheld.
func TestReview108aBase64LetterUnder64ColumnShapes(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := r108aB64Letter()
	l60 := r108aLines(b64, 60)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r108aPlan("r108a-s-60", strings.Join(l60, `\n`)+`\nRegards`),
		r108aPlan("r108a-s-76blocks", strings.Join(r108aLines(b64, 76), `\n\n`)),
		r108aPlan("r108a-s-7672", strings.Join(r108aLines(b64, 76, 72), `\n`)+`\nRegards\nAnn`),
		r108aPlan("r108a-s-6056", strings.Join(r108aLines(b64, 60, 56), `\n`)+`\nRegards`),
		r108aPlan("r108a-s-60blocks", strings.Join(l60, `\n\n`)))
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r108a-s-60", "r108a-s-76blocks", "r108a-s-7672"} {
		if r := e.do("GET", "/fhir/CarePlan/"+id, sw, ""); r.status == 200 {
			t.Fatalf("premise: %s: the base64 letter reached the social worker", id)
		}
	}
	for _, id := range []string{"r108a-s-6056", "r108a-s-60blocks"} {
		if r := e.do("GET", "/fhir/CarePlan/"+id, sw, ""); r.status == 200 && strings.Contains(r.body, l60[0][:40]) {
			t.Errorf("LEAK: %s: the GP's base64 letter (lines under 64 columns) reached the social worker (200)", id)
		}
	}
}

// TestReview108aSoundNarrativeTablesAndLists: ordinary narratives whose
// text is many one-word lines (a medication table, a list of codes, of
// NHS numbers, of SHA-256 digests in hex) are not read as a document:
// the GP's problem reaches the social worker.
func TestReview108aSoundNarrativeTablesAndLists(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	var cells []string
	for _, w := range []string{"Metformin", "500mg", "Oral", "Twice", "Ramipril", "5mg", "Oral", "Daily", "Atorvastatin", "20mg", "Oral", "Night", "Sertraline", "50mg", "Oral", "Morning", "Insulin", "Glargine", "Subcutaneous", "Night"} {
		cells = append(cells, `<td>`+w+`</td>`)
	}
	var writes [][2]string
	for k := 4; k <= 20; k++ { // vary the length, so some join to a multiple of 4
		writes = append(writes, r107aCond("r108a-t-"+string(rune('a'+k)), r107aDiv+`<table><tr>`+strings.Join(cells[:k], `</tr><tr>`)+`</tr></table></div>`))
	}
	codes := `<ul><li>44054006</li><li>38341003</li><li>195967001</li><li>73211009</li><li>22298006</li><li>35489007</li><li>13645005</li><li>49436004</li><li>84114007</li></ul>`
	nhs := strings.Repeat(`<li>9434765919</li><li>9434765870</li>`, 6)
	hex := strings.Repeat(`<li>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</li><li>60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752</li>`, 4)
	writes = append(writes,
		r107aCond("r108a-t-codes", r107aDiv+codes+`</div>`),
		r107aCond("r108a-t-nhs", r107aDiv+`<ul>`+nhs+`</ul></div>`),
		r107aCond("r108a-t-hex", r107aDiv+`<p>Documents received</p><ul>`+hex+`</ul></div>`))
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, w := range writes {
		if r := e.do("GET", w[0], sw, ""); r.status != 200 {
			t.Errorf("%s: a narrative of one-word lines withheld the problem from the social worker: %d", w[0], r.status)
		}
	}
}

// r108aSeq is a DER SEQUENCE of the DER elements given.
func r108aSeq(t *testing.T, tag int, parts ...[]byte) []byte {
	t.Helper()
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	b, err := asn1.Marshal(asn1.RawValue{Class: 0, Tag: tag, IsCompound: tag == 16, Bytes: body})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func r108aDER(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReview108aTSTInfoLetterInUnboundedFields: a time-stamp
// token whose TSTInfo holds the GP's letter in a field tstInfo does not
// bound: its genTime (a GeneralizedTime is 15-ish bytes), its version
// INTEGER, or the hash algorithm's parameters inside the message imprint.
// Each is a signature to tstInfo, so the letter reaches the IG officer;
// a real-looking token reaches her as it should.
func TestReview108aTSTInfoLetterInUnboundedFields(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	oidTST := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	sha := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	letter := []byte(r106aLetter)
	hash := []byte(strings.Repeat("\x5c\xa1\x07\xe3", 8))
	build := func(version, genTime, algParams []byte) string {
		alg := r108aSeq(t, 16, r108aDER(t, sha), algParams)
		imprint := r108aSeq(t, 16, alg, r108aDER(t, hash))
		tst := r108aSeq(t, 16, r108aSeq(t, 2, version), r108aDER(t, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 4146, 2, 3}),
			imprint, r108aSeq(t, 2, []byte{7}), r108aSeq(t, 24, genTime))
		return base64.StdEncoding.EncodeToString(r106aCMSOfType(t, oidTST, tst))
	}
	null := []byte{0x05, 0x00}
	gen := []byte("20250601100000Z")
	tokens := map[string]string{
		"r108a-tst-real":    build([]byte{1}, gen, null),
		"r108a-tst-gentime": build([]byte{1}, letter, null),
		"r108a-tst-version": build(letter, gen, null),
		"r108a-tst-alg":     build([]byte{1}, gen, r108aSeq(t, 4, letter)),
	}
	var writes [][2]string
	for id, tok := range tokens {
		writes = append(writes, r102aProv(id, r102aSig("application/timestamp-reply", tok)))
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r108a-tst-real", ig, ""); r.status != 200 {
		t.Fatalf("premise: a real-looking time-stamp token is withheld from the IG officer: %d", r.status)
	}
	for _, id := range []string{"r108a-tst-gentime", "r108a-tst-version", "r108a-tst-alg"} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status == 200 && strings.Contains(r.body, tokens[id]) {
			t.Errorf("LEAK: %s: the GP's letter inside a time-stamp token's TSTInfo reached the IG officer (200)", id)
		}
	}
}

// TestReview108aSoundTSTInfoNoteUnder256IsStatedLimit: a note of under
// 256 bytes in the TSA name rides in a token to the IG officer, as the
// README's limit says ("a note of up to 256 bytes could ride in them").
func TestReview108aSoundTSTInfoNoteUnder256IsStatedLimit(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), "a note of up to 256 bytes could ride in them") {
		t.Errorf("README does not state the TSTInfo limit")
	}
}

// TestReview108aXMLSignatureLetterInPIOrNBSPAttribute: a detached
// XML Signature holding the GP's letter in a processing instruction
// (<?note …?>, which xmlSignatureOnly does not count), or in an
// attribute whose words are joined by no-break spaces (&#160;: counted
// only when it holds an ASCII space, tab or line break), or as base64 in
// 64-column lines in an X509Certificate (a base64 value is never
// decoded: it counts as no text). Each is a signature alone, so the
// letter reaches the IG officer.
func TestReview108aXMLSignatureLetterInPIOrNBSPAttribute(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	plain := r107aXMLSig(`<KeyInfo><KeyName>gp-a81001-2025</KeyName></KeyInfo>`)
	pi := r107aXMLSig(`<?note ` + r106aLetter + ` ?><KeyInfo><KeyName>gp-a81001-2025</KeyName></KeyInfo>`)
	cert := r107aXMLSig(`<KeyInfo><X509Data><X509Certificate>` + strings.Join(r108aLines(r108aB64Letter(), 64), "\n") + `</X509Certificate></X509Data></KeyInfo>`)
	nbsp := r107aXMLSig(`<KeyInfo Id="` + strings.ReplaceAll(r106aLetter, " ", "&#160;") + `"><KeyName>gp-a81001-2025</KeyName></KeyInfo>`)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r108a-xml-plain", r102aSig("application/signature+xml", plain)),
		r102aProv("r108a-xml-pi", r102aSig("application/signature+xml", pi)),
		r102aProv("r108a-xml-nbsp", r102aSig("application/signature+xml", nbsp)),
		r102aProv("r108a-xml-cert", r102aSig("application/signature+xml", cert)))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r108a-xml-plain", ig, ""); r.status != 200 {
		t.Fatalf("premise: a detached XML signature is withheld from the IG officer: %d", r.status)
	}
	for id, data := range map[string]string{"r108a-xml-pi": pi, "r108a-xml-nbsp": nbsp, "r108a-xml-cert": cert} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status == 200 && strings.Contains(r.body, data) {
			t.Errorf("LEAK: %s: the GP's letter inside an XML Signature reached the IG officer (200)", id)
		}
	}
}

// TestReview108aSoundCostBlocksAndNarrative: an 8 MB care plan description of
// many blocks of equal-width base64 lines (random bytes, each block with a
// word line above and a shorter line below, so every block is decoded
// whole, as its body with and without its last line, and as its longest
// line), and an 8 MB narrative of tags and blank lines, against 8 MB of
// prose: each within 20x (plus 2 s).
func TestReview108aSoundCostBlocksAndNarrative(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 24 << 20 })
	r98bSeed(t, e)
	sys := e.token("system", "nhs", "A81001")
	put := func(path, body string) time.Duration {
		start := time.Now()
		if r := e.do("PUT", path, sys, body); r.status != 200 && r.status != 201 {
			t.Fatalf("%s: %d %.200s", path, r.status, r.body)
		}
		return time.Since(start)
	}
	n := 8 << 20
	raw := make([]byte, 57*20)
	for i := range raw {
		raw[i] = byte(i*131 + i/7)
	}
	blockB64 := base64.StdEncoding.EncodeToString(raw) + "QUJD"
	block := `Regards\n` + strings.Join(r108aLines(blockB64, 76), `\n`) + `\n\n`
	blocks := strings.Repeat(block, n/len(block))
	prose := strings.Repeat(`Paracetamol, ibuprofen, amoxicillin and metformin. `, n/51)
	narr := strings.Repeat(`<p>x</p>\n \n\n<br/>\n\n`, n/22)
	plan := func(id, desc string) string {
		return `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"description":"` + desc + `"}`
	}
	put("/fhir/CarePlan/r108a-warm", plan("r108a-warm", "warm up"))
	tp := put("/fhir/CarePlan/r108a-prose", plan("r108a-prose", prose))
	tb := put("/fhir/CarePlan/r108a-blocks", plan("r108a-blocks", blocks))
	tn := put("/fhir/CarePlan/r108a-narr", `{"resourceType":"CarePlan","id":"r108a-narr","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"text":{"status":"generated","div":"`+r107aDiv+narr+`</div>"}}`)
	t.Logf("prose %v, blocks %v, narrative of tags and blank lines %v", tp, tb, tn)
	// premise: each is read to its end (the letter after them is found)
	letter := strings.Join(r108aLines(r108aB64Letter(), 76), `\n`)
	put("/fhir/CarePlan/r108a-blocks-l", plan("r108a-blocks-l", blocks+letter))
	put("/fhir/CarePlan/r108a-narr-l", `{"resourceType":"CarePlan","id":"r108a-narr-l","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"text":{"status":"generated","div":"`+r107aDiv+narr+`<pre>`+letter+`</pre></div>"}}`)
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r108a-blocks-l", "r108a-narr-l"} {
		if r := e.do("GET", "/fhir/CarePlan/"+id, sw, ""); r.status == 200 {
			t.Fatalf("premise: %s: the letter after 8 MB reached the social worker", id)
		}
	}
	if tb > 20*tp+2*time.Second {
		t.Errorf("COST: 8 MB of base64 blocks took %v, prose of the same size %v", tb, tp)
	}
	if tn > 20*tp+2*time.Second {
		t.Errorf("COST: an 8 MB narrative of tags and blank lines took %v, prose of the same size %v", tn, tp)
	}
}

// TestReview108aSignatureImagePNGHeadedLetter: the GP's
// Provenance whose signature (sigFormat image/png, a handwritten
// signature's image as HL7's example has) is PNG's 8-byte signature and
// then the letter in plain text, or a real PNG with the letter appended
// after its end. signatureHolds calls whatever pictureBytes opens as a
// picture no document, so the letter reaches the IG officer (no clinical
// content); a real PNG reaches her as it should.
func TestReview108aSignatureImagePNGHeadedLetter(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	logo, err := base64.StdEncoding.DecodeString(r107aLogo(t))
	if err != nil {
		t.Fatal(err)
	}
	headed := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n" + r106aLetter))
	appended := base64.StdEncoding.EncodeToString(append(logo, []byte(r106aLetter)...))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r108a-sigimg-real", r102aSig("image/png", r107aLogo(t))),
		r102aProv("r108a-sigimg-headed", r102aSig("image/png", headed)),
		r102aProv("r108a-sigimg-appended", r102aSig("image/png", appended)))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r108a-sigimg-real", ig, ""); r.status != 200 {
		t.Fatalf("premise: a handwritten signature's PNG is withheld from the IG officer: %d", r.status)
	}
	for id, data := range map[string]string{"r108a-sigimg-headed": headed, "r108a-sigimg-appended": appended} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status == 200 && strings.Contains(r.body, data) {
			t.Errorf("LEAK: %s: the GP's letter in a signature's PNG reached the IG officer (200)", id)
		}
	}
}
