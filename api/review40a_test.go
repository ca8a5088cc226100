package api_test

// Review 40a: a re-read of the fix 38b merge (6643cd3, 9555996):
// editPayloads, maskAttachedRefs, xmlDirCopies/textWithholds, xmlItems.
// Seeds: seed31b (RHX's refuge Organization refuge31b, ODS NSREF31,
// labelled R) and seedShared (Jane's Condition/hiv). SPEC §5: labelled
// data is released only to its source organisation; withheld items are
// absent; a response never says what was withheld.

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"
)

const refugeXML40a = `<Organization xmlns="http://hl7.org/fhir"><id value="refuge31b"/><identifier><system value="https://fhir.nhs.uk/Id/ods-organization-code"/><value value="NSREF31"/></identifier><name value="` + refugeName31b + `"/><address><line value="` + refugeAddr31b + `"/></address></Organization>`

// docXML40a: Jane's DocumentReference whose one attachment is att (the
// attachment's members, without braces).
func docXML40a(id, att string) string {
	return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `","content":[{"attachment":{` + att + `}}]}`
}

// wrap40a is base64 of s in lines of n characters, each indented as a
// pretty-printed XML document's would be.
func wrap40a(s string, n int) string {
	enc := b64(s)
	var b strings.Builder
	for len(enc) > 0 {
		k := min(n, len(enc))
		b.WriteString("\n        " + enc[:k])
		enc = enc[k:]
	}
	return b.String() + "\n      "
}

// decodedDeep40a: body with its payloads decoded, twice over, and any
// base64 with whitespace in an XML <data value> decoded too.
func decodedDeep40a(body string) string {
	out := body
	for i := 0; i < 4; i++ {
		out = decoded38b(out)
	}
	for _, part := range strings.Split(out, `<data value="`)[1:] {
		end := strings.IndexByte(part, '"')
		if end < 0 {
			continue
		}
		clean := strings.Join(strings.Fields(part[:end]), "")
		if b, err := base64.StdEncoding.DecodeString(clean); err == nil {
			out += "\n" + string(b)
		}
	}
	return out
}

func leaks40a(body string) string {
	dec := decodedDeep40a(body)
	for _, s := range []string{refugeName31b, refugeAddr31b, "NSREF31"} {
		if strings.Contains(dec, s) {
			return snippet32b(dec, s)
		}
	}
	return ""
}

// TestReview40aWrappedBase64XMLInsideXML: an application/fhir+xml
// attachment (a FHIR XML DocumentReference) whose own Attachment carries
// the refuge's Organization as XML in <data value>, its base64 wrapped
// at 60 characters a line and indented, as a pretty-printed document
// has it (XML Schema's base64Binary allows the whitespace).
func TestReview40aWrappedBase64XMLInsideXML(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	outer := func(data string) string {
		return `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><contentType value="application/fhir+xml"/><data value="` + data + `"/></attachment></content></DocumentReference>`
	}
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/d40a-wrap60", docXML40a("d40a-wrap60", `"contentType":"application/fhir+xml","data":"`+b64(outer(wrap40a(refugeXML40a, 60)))+`"`)},
		[2]string{"/fhir/DocumentReference/d40a-wrap76", docXML40a("d40a-wrap76", `"contentType":"application/fhir+xml","data":"`+b64(outer(wrap40a(refugeXML40a, 76)))+`"`)},
	)
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, id := range []string{"d40a-wrap60", "d40a-wrap76"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		t.Logf("GET %s -> %d", id, r.status)
		if s := leaks40a(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the labelled refuge (XML, wrapped base64 inside an XML attachment): …%s…", id, r.status, s)
		}
	}
}

// TestReview40aJSONCopyUnderOtherMediaType: the refuge's Organization
// as FHIR JSON in an attachment typed text/plain or
// application/octet-stream (or application/fhir+xml): a reader decodes
// the same JSON that, typed application/fhir+json, goes out masked.
func TestReview40aJSONCopyUnderOtherMediaType(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	ids := map[string]string{"d40a-json-plain": "text/plain", "d40a-json-octet": "application/octet-stream", "d40a-json-xmltyped": "application/fhir+xml"}
	for id, ct := range ids {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, `"contentType":"`+ct+`","data":"`+b64(refugeCopy34b("x40a"))+`"`)})
	}
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for id, ct := range ids {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		t.Logf("GET %s (%s) -> %d", id, ct, r.status)
		if s := leaks40a(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the labelled refuge as FHIR JSON typed %s: …%s…", id, r.status, ct, s)
		}
	}
}

// TestReview40aDataURLRewriteKeepsHashAndSize: a care plan addressing
// Jane's Condition/hiv carried as an attachment's data: url with the
// attachment's size and hash (of that content, as FHIR has them for a
// url too). The district nurse gets the reference masked in the data:
// url; the hash of the original (which confirms a guess at it: review
// 36b, why maskPayload and setAttachmentData drop it) must not go out,
// and a size, if kept, must be the rewritten content's.
func TestReview40aDataURLRewriteKeepsHashAndSize(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	plan := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv","display":"HIVDISPLAY40A"},{"reference":"Condition/diabetes","display":"DIABETES40A"}]}`
	sum := sha1.Sum([]byte(plan))
	hash := base64.StdEncoding.EncodeToString(sum[:])
	att := func(route string) string {
		a := `"contentType":"application/fhir+json","size":` + itoa40a(len(plan)) + `,"hash":"` + hash + `"`
		if route == "url" {
			return a + `,"url":"data:application/fhir+json;base64,` + b64(plan) + `"`
		}
		return a + `,"data":"` + b64(plan) + `"`
	}
	carrier := func(id, route string) string {
		return `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"` + strings.ToUpper(id) + `","extension":[{"url":"https://example.org/attached","valueAttachment":{` + att(route) + `}}]}`
	}
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/p40a-url", carrier("p40a-url", "url")}, [2]string{"/fhir/CarePlan/p40a-data", carrier("p40a-data", "data")})
	dn := e.token("district-nurse", "nhs", "RCX")
	for _, id := range []string{"p40a-data", "p40a-url"} {
		r := e.do("GET", "/fhir/CarePlan/"+id, dn, "")
		if r.status != 200 {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		dec := decoded38b(r.body)
		if strings.Contains(dec, "HIVDISPLAY40A") || !strings.Contains(dec, "DIABETES40A") {
			t.Fatalf("premise: %s: the reference to Condition/hiv masked, the other kept: %.1200s", id, dec)
		}
		var res struct {
			Extension []struct {
				ValueAttachment map[string]any `json:"valueAttachment"`
			} `json:"extension"`
		}
		if err := json.Unmarshal([]byte(r.body), &res); err != nil || len(res.Extension) == 0 {
			t.Fatalf("decode: %v %.300s", err, r.body)
		}
		a := res.Extension[0].ValueAttachment
		if h, _ := a["hash"].(string); h == hash {
			t.Errorf("district-nurse RCX: GET /fhir/CarePlan/%s -> 200: the attachment's content was rewritten (Condition/hiv masked) but the hash of the original goes out with it (%q = sha1 of the plan addressing Condition/hiv): %.600s", id, h, r.body)
		}
		var content []byte
		if u, _ := a["url"].(string); strings.HasPrefix(u, "data:") {
			_, enc, _ := strings.Cut(u, ",")
			content, _ = base64.StdEncoding.DecodeString(enc)
		} else if d, _ := a["data"].(string); d != "" {
			content, _ = base64.StdEncoding.DecodeString(d)
		}
		if sz, ok := a["size"].(float64); ok && int(sz) != len(content) {
			t.Errorf("district-nurse RCX: GET /fhir/CarePlan/%s: size %v is the original's (%d), not the %d bytes released: %.600s", id, sz, len(plan), len(content), r.body)
		}
	}
}

func itoa40a(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func utf16le40a(s string, bom bool) []byte {
	var out []byte
	if bom {
		out = append(out, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// TestReview40aSoundXMLCopyRoutes: the refuge's XML copy is masked for
// RCX when carried as a data: url (base64, and percent-encoded), as
// text/html holding the XML escaped, in UTF-16 (with a byte order mark;
// by charset alone), typed text/plain, as one-line base64 in a nested <data value>, and
// inside a JSON attachment's own XML attachment; the source (RHX) reads
// each as stored.
func TestReview40aSoundXMLCopyRoutes(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	u16 := utf16le40a(`<?xml version="1.0" encoding="UTF-16"?>`+refugeXML40a, true)
	u16nb := utf16le40a(refugeXML40a, false)
	nested := `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><contentType value="application/fhir+xml"/><data value="` + b64(refugeXML40a) + `"/></attachment></content></DocumentReference>`
	inJSON := `{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + b64(refugeXML40a) + `"}}]}`
	docs := map[string]string{
		"d40a-xml-url":     `"contentType":"application/fhir+xml","url":"data:application/fhir+xml;base64,` + b64(refugeXML40a) + `"`,
		"d40a-xml-urlpct":  `"contentType":"application/fhir+xml","url":"data:application/fhir+xml,` + url.PathEscape(refugeXML40a) + `"`,
		"d40a-xml-html":    `"contentType":"text/html","data":"` + b64(`<html><body><pre>`+strings.NewReplacer("<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(refugeXML40a)+`</pre></body></html>`) + `"`,
		"d40a-xml-u16bom":  `"contentType":"application/fhir+xml","data":"` + base64.StdEncoding.EncodeToString(u16) + `"`,
		"d40a-xml-u16cs":   `"contentType":"application/fhir+xml;charset=utf-16le","data":"` + base64.StdEncoding.EncodeToString(u16nb) + `"`,
		"d40a-xml-nested":  `"contentType":"application/fhir+xml","data":"` + b64(nested) + `"`,
		"d40a-xml-plain":   `"contentType":"text/plain","data":"` + b64(refugeXML40a) + `"`,
		"d40a-xml-in-json": `"contentType":"application/fhir+json","data":"` + b64(inJSON) + `"`,
	}
	for id, a := range docs {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, a)})
	}
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	rhx := e.token("hospital-clinician", "nhs", "RHX")
	for id := range docs {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		t.Logf("RCX GET %s -> %d", id, r.status)
		if s := leaks40a(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the labelled refuge: …%s…", id, r.status, s)
		}
		if !strings.Contains(r.body, strings.ToUpper(id)) {
			t.Errorf("RCX: GET %s: the document itself withheld (%d)", id, r.status)
		}
		if id == "d40a-xml-u16bom" || id == "d40a-xml-u16cs" {
			continue // (decoded38b reads UTF-8 only; the source read is checked on the others)
		}
		s := e.do("GET", "/fhir/DocumentReference/"+id, rhx, "")
		if s.status != 200 || leaks40a(s.body) == "" {
			t.Errorf("hospital-clinician RHX (the refuge's source): GET /fhir/DocumentReference/%s -> %d: the copy not released as stored: %.500s", id, s.status, s.body)
		}
	}
}

// TestReview40aSoundCoincidentWordsKept: where RHX labels an
// Organization whose id is an ordinary word ("clinic") and whose ODS
// code is "12", an XML letter that says "clinic" and "12" in its text,
// has a Practitioner with id "clinic" and an <identifier> valued "12"
// under another system goes out whole to RCX; so does a CDA naming
// "clinic" in an element name-like position.
func TestReview40aSoundCoincidentWordsKept(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Organization/clinic", `{"resourceType":"Organization","id":"clinic",` + rLabel31b + `,"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"12"}],"name":"CLINICNAME40A"}`})
	gp := e.token("system", "nhs", "A81001")
	letter := `<Bundle xmlns="http://hl7.org/fhir"><type value="document"/><entry><fullUrl value="urn:uuid:40a00000-0000-4000-8000-000000000001"/><resource><Composition><status value="final"/><title value="LETTER40A"/><section><text><div xmlns="http://www.w3.org/1999/xhtml">Seen in clinic on 12 May, room 12; the clinic will write.</div></text></section></Composition></resource></entry>` +
		`<entry><fullUrl value="https://gp.example/fhir/Practitioner/clinic"/><resource><Practitioner><id value="clinic"/><identifier><system value="https://gp.example/staff"/><value value="12"/></identifier><name><text value="DR CLINIC40A"/></name></Practitioner></resource></entry></Bundle>`
	cda := `<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="2.16.840.1.113883.19" extension="12"/><title>CDA40A clinic letter</title><component><nonXMLBody><text mediaType="text/plain">Reviewed in clinic, bed 12.</text></nonXMLBody></component></ClinicalDocument>`
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/d40a-letter", docXML40a("d40a-letter", `"contentType":"application/fhir+xml","data":"`+b64(letter)+`"`)},
		[2]string{"/fhir/DocumentReference/d40a-cda", docXML40a("d40a-cda", `"contentType":"application/xml","data":"`+b64(cda)+`"`)},
	)
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Organization/clinic", rcx, ""); r.status != 404 {
		t.Fatalf("premise: RCX reads the labelled Organization/clinic: %d", r.status)
	}
	for id, want := range map[string]string{"d40a-letter": "DR CLINIC40A", "d40a-cda": "CDA40A"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		if r.status != 200 || !strings.Contains(decoded38b(r.body), want) || strings.Contains(r.body, "masked") {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d: masked whole though it only shares words with the labelled item (over-withholding): %.600s", id, r.status, r.body)
		}
	}
}

// TestReview40aSoundOrdinaryWriteBack: the GP person reads documents
// carrying nothing withheld from her (FHIR JSON in a data: url and in a
// valueBase64Binary, an XML letter, a UTF-16 JSON attachment) and PUTs
// each back as read: accepted, and the payload she read is valid base64
// of what was stored.
func TestReview40aSoundOrdinaryWriteBack(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	gpu := e.token("gp", "nhs", "A81001")
	inner := enc32b("enc40a-wb", `,"serviceProvider":{"reference":"Organization/A81001","display":"RIVERSIDE40A"}`)
	docs := map[string]string{
		"d40a-wb-url":  docXML40a("d40a-wb-url", `"contentType":"application/fhir+json","url":"data:application/fhir+json;base64,`+b64(inner)+`"`),
		"d40a-wb-xml":  docXML40a("d40a-wb-xml", `"contentType":"application/fhir+xml","data":"`+b64(`<Encounter xmlns="http://hl7.org/fhir"><id value="x"/><status value="finished"/><serviceProvider><reference value="Organization/A81001"/></serviceProvider></Encounter>`)+`"`),
		"d40a-wb-u16":  docXML40a("d40a-wb-u16", `"contentType":"application/fhir+json;charset=utf-16","data":"`+base64.StdEncoding.EncodeToString(utf16le40a(inner, true))+`"`),
		"d40a-wb-b64x": strings.Replace(docXML40a("d40a-wb-b64x", `"contentType":"text/plain","data":"`+b64("LETTER40A")+`"`), `"status":"current"`, `"status":"current","extension":[{"url":"https://example.org/attached","valueBase64Binary":"`+b64(inner)+`"}]`, 1),
	}
	for id, d := range docs {
		e.putAll(t, sys, [2]string{"/fhir/DocumentReference/" + id, d})
	}
	for id := range docs {
		r := e.do("GET", "/fhir/DocumentReference/"+id, gpu, "")
		if r.status != 200 || strings.Contains(r.body, "masked") {
			t.Errorf("gp A81001: GET %s -> %d, something masked: %.500s", id, r.status, r.body)
			continue
		}
		w := e.do("PUT", "/fhir/DocumentReference/"+id, gpu, r.body)
		if w.status != 200 && w.status != 201 {
			t.Errorf("gp A81001: PUT back /fhir/DocumentReference/%s as read (nothing withheld from her) -> %d, want 200: %.400s", id, w.status, w.body)
		}
	}
}

// TestReview40aPercentEncodedDataURLInsideXML: an application/fhir+xml
// attachment (a FHIR XML DocumentReference) whose own Attachment's
// <url value> is a data: url holding the refuge's Organization as XML
// percent-encoded (RFC 2397's form without ";base64"). The same data:
// url as a JSON attachment's url is masked (TestReview40aSoundXMLCopyRoutes,
// d40a-xml-urlpct).
func TestReview40aPercentEncodedDataURLInsideXML(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	outer := `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><contentType value="application/fhir+xml"/><url value="data:application/fhir+xml,` + url.PathEscape(refugeXML40a) + `"/></attachment></content></DocumentReference>`
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d40a-xml-pct-in-xml", docXML40a("d40a-xml-pct-in-xml", `"contentType":"application/fhir+xml","data":"`+b64(outer)+`"`)})
	r := e.do("GET", "/fhir/DocumentReference/d40a-xml-pct-in-xml", e.token("hospital-clinician", "nhs", "RCX"), "")
	dec := decodedDeep40a(r.body)
	if u, err := url.PathUnescape(dec); err == nil {
		dec = u
	}
	for _, s := range []string{refugeName31b, refugeAddr31b, "NSREF31"} {
		if strings.Contains(dec, s) {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/d40a-xml-pct-in-xml -> %d releases the labelled refuge (XML in a percent-encoded data: url inside an XML attachment): …%s…", r.status, snippet32b(dec, s))
			break
		}
	}
}

// TestReview40aSoundXMLMoreForms: a CDA naming the refuge by the ODS
// OID root and its code as extension; a FHIR XML Location copy by its
// site code in lower case; an XML Encounter referencing the refuge with
// its name as display; the refuge's XML in UTF-16 (with a mark) as
// one-line base64 in a nested <data value>: each masked for RCX.
func TestReview40aSoundXMLMoreForms(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	cda := `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>CDA40A</title><custodian><assignedCustodian><representedCustodianOrganization><id root="2.16.840.1.113883.2.1.4.3" extension="NSREF31"/><name>` + refugeName31b + `</name><addr><streetAddressLine>` + refugeAddr31b + `</streetAddressLine></addr></representedCustodianOrganization></assignedCustodian></custodian></ClinicalDocument>`
	loc := `<Location xmlns="http://hl7.org/fhir"><id value="l40a"/><identifier><system value="https://fhir.nhs.uk/Id/ods-site-code"/><value value="nsref31l"/></identifier><name value="` + refugeName31b + ` LOC"/><address><line value="` + refugeAddr31b + `"/></address></Location>`
	enc := `<Encounter xmlns="http://hl7.org/fhir"><id value="e40a"/><status value="finished"/><serviceProvider><reference value="Organization/refuge31b"/><display value="` + refugeName31b + `"/></serviceProvider></Encounter>`
	nested := `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><contentType value="application/fhir+xml"/><data value="` + base64.StdEncoding.EncodeToString(utf16le40a(refugeXML40a, true)) + `"/></attachment></content></DocumentReference>`
	docs := map[string]string{
		"d40a-cda-oid":    `"contentType":"application/xml","data":"` + b64(cda) + `"`,
		"d40a-loc-lower":  `"contentType":"application/fhir+xml","data":"` + b64(loc) + `"`,
		"d40a-enc-ref":    `"contentType":"application/fhir+xml","data":"` + b64(enc) + `"`,
		"d40a-nested-u16": `"contentType":"application/fhir+xml","data":"` + b64(nested) + `"`,
	}
	for id, a := range docs {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, docXML40a(id, a)})
	}
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for id := range docs {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		body := r.body
		if !strings.Contains(body, `"masked"`) {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d: the XML naming the refuge is not masked: %.400s", id, r.status, decodedDeep40a(body))
		}
		if s := leaks40a(body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the refuge: …%s…", id, r.status, s)
		}
	}
}
