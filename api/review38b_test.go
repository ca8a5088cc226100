package api_test

// Review 38b: a re-read of the labelled-directory copy fixes 6a61033,
// 00411fe, 34d3df6 (maybeCopiedByID, nestedCopy in attachedRefs,
// attachedCopy, copiesWriteBack). Seeds: seed31b (RHX's refuge
// Organization refuge31b, ODS NSREF31, and Location refugeloc31b,
// labelled R). SPEC §5: labelled data is released only to its source
// organisation; withheld items are absent; a response never says what or
// how much was withheld.

import (
	"encoding/base64"
	"strings"
	"testing"
)

// decoded38b is body plus every base64 payload in it (attachment data,
// valueBase64Binary, data: urls), decoded.
func decoded38b(body string) string {
	out := body
	for _, key := range []string{`"data":"`, `"valueBase64Binary":"`, `;base64,`} {
		for _, part := range strings.Split(body, key)[1:] {
			end := strings.IndexByte(part, '"')
			if end < 0 {
				continue
			}
			if b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(part[:end], `\/`, `/`)); err == nil {
				out += "\n" + string(b)
			}
		}
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// docRef38b: Jane's DocumentReference whose one attachment carries json
// as att ("data", "url" for a data: url).
func docRef38b(id, att, json string) string {
	a := `"contentType":"application/fhir+json","data":"` + b64(json) + `"`
	if att == "url" {
		a = `"contentType":"application/fhir+json","url":"data:application/fhir+json;base64,` + b64(json) + `"`
	}
	return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `","content":[{"attachment":{` + a + `}}]}`
}

func readers38b(e *env) map[string]string {
	return map[string]string{
		"hospital-clinician RCX": e.token("hospital-clinician", "nhs", "RCX"),
		"district-nurse RCX":     e.token("district-nurse", "nhs", "RCX"),
	}
}

func leaks38b(body string) string {
	dec := decoded38b(body)
	for _, s := range []string{refugeName31b, refugeAddr31b, "NSREF31"} {
		if strings.Contains(dec, s) {
			return snippet32b(dec, s)
		}
	}
	return ""
}

// TestReview38bDataURLAttachmentCopies: the copies 00411fe and 6a61033
// take out of an attachment's "data" (the attachment IS the refuge, by
// its ODS code or its id; a Bundle with the refuge as an id-only entry),
// carried instead as the attachment's data: url, or an extension's
// valueBase64Binary.
func TestReview38bDataURLAttachmentCopies(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b01","resource":` + enc32b("enc38b-in", "") + `},{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b02","resource":` + refugeNoIdent36b("refuge31b") + `}]}`
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/d38b-url-ods", docRef38b("d38b-url-ods", "url", refugeCopy34b("x38b"))},
		[2]string{"/fhir/DocumentReference/d38b-url-id", docRef38b("d38b-url-id", "url", refugeNoIdent36b("refuge31b"))},
		[2]string{"/fhir/DocumentReference/d38b-url-bundle", docRef38b("d38b-url-bundle", "url", bundle)},
		[2]string{"/fhir/Encounter/enc38b-b64", enc32b("enc38b-b64", `,"extension":[{"url":"https://example.org/attached","valueBase64Binary":"`+b64(refugeCopy34b("x38b"))+`"}]`)},
		[2]string{"/fhir/Encounter/enc38b-b64id", enc32b("enc38b-b64id", `,"extension":[{"url":"https://example.org/attached","valueBase64Binary":"`+b64(bundle)+`"}]`)},
	)
	for who, tok := range readers38b(e) {
		for _, p := range []string{"/fhir/DocumentReference/d38b-url-ods", "/fhir/DocumentReference/d38b-url-id", "/fhir/DocumentReference/d38b-url-bundle",
			"/fhir/Encounter/enc38b-b64", "/fhir/Encounter/enc38b-b64id", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, tok, "")
			t.Logf("%s GET %s -> %d", who, p, r.status)
			if s := leaks38b(r.body); s != "" {
				t.Errorf("%s: GET %s -> %d releases the labelled refuge (404 to her) through a data: url / valueBase64Binary payload: …%s…", who, p, r.status, s)
			}
		}
	}
}

// TestReview38bSoundDataAttachmentCopies: the same payloads as "data"
// (the form the fixes cover).
func TestReview38bSoundDataAttachmentCopies(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b03","resource":` + enc32b("enc38b-in2", "") + `},{"resource":{"resourceType":"Parameters","parameter":[{"name":"p","part":[{"name":"q","resource":` + refugeNoIdent36b("refuge31b") + `}]}]}}]}`
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/d38b-data-id", docRef38b("d38b-data-id", "data", refugeNoIdent36b("refuge31b"))},
		[2]string{"/fhir/DocumentReference/d38b-data-loc", docRef38b("d38b-data-loc", "data", `{"resourceType":"Location","id":"refugeloc31b","name":"`+refugeName31b+` LOC"}`)},
		[2]string{"/fhir/DocumentReference/d38b-data-part", docRef38b("d38b-data-part", "data", bundle)},
		[2]string{"/fhir/Parameters/p38b", `{"resourceType":"Parameters","id":"p38b","parameter":[{"name":"subject","valueReference":{"reference":"Patient/jane"}},{"name":"x","valueString":"PARAM38B"},{"name":"p","part":[{"name":"q","resource":` + refugeNoIdent36b("refuge31b") + `}]}]}`},
	)
	for who, tok := range readers38b(e) {
		for _, p := range []string{"/fhir/DocumentReference/d38b-data-id", "/fhir/DocumentReference/d38b-data-loc", "/fhir/DocumentReference/d38b-data-part", "/fhir/Parameters/p38b",
			"/fhir/DocumentReference/d38b-data-id/_history/1", "/fhir/DocumentReference/d38b-data-id/_history", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, tok, "")
			t.Logf("%s GET %s -> %d", who, p, r.status)
			if s := leaks38b(r.body); s != "" {
				t.Errorf("%s: GET %s -> %d releases the labelled refuge: …%s…", who, p, r.status, s)
			}
		}
	}
}

// TestReview38bSoundCoincidentIdsKept: entries that merely share the
// refuge's id (an Observation, a Location, a Practitioner "refuge31b"; an
// Encounter whose fullUrl ends /refuge31b) and a searchset total are left
// alone for RCX.
func TestReview38bSoundCoincidentIdsKept(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b38b-coinc", `{"resourceType":"Bundle","id":"b38b-coinc","type":"searchset","total":5,"entry":[
	  {"fullUrl":"https://gp.example/fhir/Observation/refuge31b","resource":{"resourceType":"Observation","id":"refuge31b","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"OBS38B"}},"search":{"mode":"match"}},
	  {"fullUrl":"https://gp.example/fhir/Location/refuge31b","resource":{"resourceType":"Location","id":"refuge31b","name":"LOC38B"},"search":{"mode":"match"}},
	  {"fullUrl":"https://gp.example/fhir/Practitioner/refuge31b","resource":{"resourceType":"Practitioner","id":"refuge31b","name":[{"text":"PRAC38B"}]},"search":{"mode":"match"}},
	  {"fullUrl":"https://gp.example/fhir/Organization/refugeloc31b","resource":{"resourceType":"Organization","id":"refugeloc31b","name":"ORG38B"},"search":{"mode":"match"}},
	  {"fullUrl":"https://gp.example/fhir/Encounter/refuge31b","resource":` + enc32b("refuge31b", "") + `,"search":{"mode":"match"}}]}`})
	for who, tok := range map[string]string{"hospital-clinician RCX": e.token("hospital-clinician", "nhs", "RCX"), "gp A81001": e.token("gp", "nhs", "A81001")} {
		r := e.do("GET", "/fhir/Bundle/b38b-coinc", tok, "")
		if r.status != 200 {
			t.Fatalf("premise %s: %d %.300s", who, r.status, r.body)
		}
		for _, s := range []string{"OBS38B", "LOC38B", "PRAC38B", "ORG38B", "REFUGE31B", `"total":5`} {
			if !strings.Contains(r.body, s) {
				t.Errorf("%s: GET /fhir/Bundle/b38b-coinc: %q removed (over-withholding: only its id equals a labelled item's id): %.1500s", who, s, r.body)
			}
		}
		if strings.Contains(r.body, "masked") {
			t.Errorf("%s: masked something: %.1500s", who, r.body)
		}
	}
}

// TestReview38bSoundAttachmentWriteBackRefused: the GP person reads a
// DocumentReference whose attachment ("data"; and a data: url) carries a
// Bundle with the refuge as an entry and PUTs back what she read: 409 for
// "data" (the data: url form reaches her whole: see
// TestReview38bDataURLAttachmentCopies, nothing to lose).
func TestReview38bSoundAttachmentWriteBackRefused(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b04","resource":` + enc32b("enc38b-wb", "") + `},{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b05","resource":` + refugeCopy34b("x38b") + `}]}`
	for _, att := range []string{"data", "url"} {
		id := "d38b-wb-" + att
		e.putAll(t, sys, [2]string{"/fhir/DocumentReference/" + id, docRef38b(id, att, bundle)})
		gpu := e.token("gp", "nhs", "A81001")
		r := e.do("GET", "/fhir/DocumentReference/"+id, gpu, "")
		if r.status != 200 {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if leaks38b(r.body) != "" {
			t.Logf("%s: the GP person sees the refuge copy: nothing removed for her", att)
			continue
		}
		w := e.do("PUT", "/fhir/DocumentReference/"+id, gpu, r.body)
		t.Logf("%s: PUT back: %d %.300s", att, w.status, w.body)
		after := e.do("GET", "/fhir/DocumentReference/"+id, sys, "")
		if !strings.Contains(decoded38b(after.body), refugeName31b) {
			t.Errorf("gp A81001: GET then PUT /fhir/DocumentReference/%s (%s) -> %d: the refuge entry is silently lost from the stored attachment: %.300s", id, att, w.status, after.body)
		}
	}
}

// bundleWithCopy38b: the practice's Bundle id with an Encounter and a
// refuge copy entry nothing references.
func bundleWithCopy38b(id string) string {
	return `{"resourceType":"Bundle","id":"` + id + `","type":"collection","identifier":{"system":"https://gp.example/b","value":"` + strings.ToUpper(id) + `"},"entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b06","resource":` + enc32b("enc"+id, "") + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b07","resource":` + refugeNoIdent36b("refuge31b") + `}]}`
}

// TestReview38bSoundWriteBackOtherRoutesRefused: the GP person's GET-then-write-back
// of a Bundle whose id-only copy entry was taken out, by a transaction
// PUT, a batch PUT, and a conditional update: each must be refused (409)
// or keep the entry; the refusal names no count or kind.
func TestReview38bSoundWriteBackOtherRoutesRefused(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	gpu := e.token("gp", "nhs", "A81001")
	for _, route := range []string{"put", "transaction", "batch", "conditional"} {
		id := "b38b-" + route
		e.putAll(t, sys, [2]string{"/fhir/Bundle/" + id, bundleWithCopy38b(id)})
		r := e.do("GET", "/fhir/Bundle/"+id, gpu, "")
		if r.status != 200 || !strings.Contains(r.body, strings.ToUpper("enc"+id)) {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if strings.Contains(r.body, refugeName31b) {
			t.Skipf("the GP person sees the copy")
		}
		var w resp
		switch route {
		case "put":
			w = e.do("PUT", "/fhir/Bundle/"+id, gpu, r.body)
		case "transaction", "batch":
			w = e.do("POST", "/fhir", gpu, `{"resourceType":"Bundle","type":"`+route+`","entry":[{"fullUrl":"https://carex.example/fhir/Bundle/`+id+`","resource":`+r.body+`,"request":{"method":"PUT","url":"Bundle/`+id+`"}}]}`)
		case "conditional":
			w = e.do("PUT", "/fhir/Bundle?_id="+id, gpu, r.body)
		}
		t.Logf("%s: %d %.400s", route, w.status, w.body)
		after := e.do("GET", "/fhir/Bundle/"+id, sys, "")
		if !strings.Contains(after.body, refugeName31b) {
			t.Errorf("gp A81001: GET /fhir/Bundle/%s then write back by %s -> %d %.200s: the refuge entry is silently lost from the stored Bundle", id, route, w.status, w.body)
		}
		if w.status == 409 && (strings.Contains(w.body, "1 ") || strings.Contains(strings.ToLower(w.body), "one ")) {
			t.Errorf("%s: the 409 says how many were withheld: %.400s", route, w.body)
		}
	}
}

// TestReview38bSoundWriteBackLegitimateAccepted: writes that lose nothing for the
// writer are not refused: the practice's own system (which reads its
// Bundle as stored) takes the copy entry out on purpose; the GP person
// edits a Bundle that carries no copy.
func TestReview38bSoundWriteBackLegitimateAccepted(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	gpu := e.token("gp", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Bundle/b38b-own", bundleWithCopy38b("b38b-own")},
		[2]string{"/fhir/Bundle/b38b-plain", `{"resourceType":"Bundle","id":"b38b-plain","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b08","resource":` + enc32b("enc38b-plain", "") + `},{"fullUrl":"https://gp.example/fhir/Organization/A81001","resource":{"resourceType":"Organization","id":"A81001","name":"RIVERSIDE38B"}}]}`})
	r := e.do("GET", "/fhir/Bundle/b38b-own", sys, "")
	t.Logf("system reads own Bundle: %d has copy=%v", r.status, strings.Contains(r.body, refugeName31b))
	if strings.Contains(r.body, refugeName31b) {
		// the system sees it as stored: removing the copy is its edit
		edited := `{"resourceType":"Bundle","id":"b38b-own","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000038b06","resource":` + enc32b("encb38b-own", "") + `}]}`
		if w := e.do("PUT", "/fhir/Bundle/b38b-own", sys, edited); w.status != 200 && w.status != 201 {
			t.Errorf("system A81001: PUT /fhir/Bundle/b38b-own taking out the entry it reads -> %d, want 200 (nothing was masked for it): %.300s", w.status, w.body)
		}
	}
	p := e.do("GET", "/fhir/Bundle/b38b-plain", gpu, "")
	if p.status != 200 || strings.Contains(p.body, "masked") {
		t.Fatalf("premise: %d %.300s", p.status, p.body)
	}
	edited := strings.Replace(p.body, "RIVERSIDE38B", "RIVERSIDE38B EDITED", 1)
	if w := e.do("PUT", "/fhir/Bundle/b38b-plain", gpu, edited); w.status != 200 && w.status != 201 {
		t.Errorf("gp A81001: PUT /fhir/Bundle/b38b-plain (nothing masked for her) -> %d, want 200: %.300s", w.status, w.body)
	}
}

// TestReview38bResponseOutcomeCopy: a stored batch-response Bundle whose
// entry.response.outcome (a Resource-typed element, as entry.resource
// is) is the refuge's Organization, by its ODS code or by its id alone.
func TestReview38bResponseOutcomeCopy(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	// (Review 60a chose otherwise: a resource other than an
	// OperationOutcome as an entry's response.outcome is refused, 422, so
	// the refuge's copies there are never stored.)
	if r := e.do("PUT", "/fhir/Bundle/b38b-resp", gp, `{"resourceType":"Bundle","id":"b38b-resp","type":"batch-response","entry":[
	  {"resource":`+enc32b("enc38b-resp", "")+`,"response":{"status":"200 OK"}},
	  {"response":{"status":"200 OK","outcome":`+refugeCopy34b("x38b")+`}},
	  {"response":{"status":"200 OK","outcome":`+strings.Replace(refugeNoIdent36b("refuge31b"), refugeAddr31b, refugeAddr31b+" IDONLY", 1)+`}}]}`); r.status != 422 {
		t.Errorf("a Bundle carrying the refuge as entries' response.outcome: %d, want 422", r.status)
	}
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b38b-resp", `{"resourceType":"Bundle","id":"b38b-resp","type":"batch-response","entry":[
	  {"resource":` + enc32b("enc38b-resp", "") + `,"response":{"status":"200 OK"}}]}`})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, p := range []string{"/fhir/Bundle/b38b-resp", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, rcx, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC38B-RESP") {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		if s := leaks38b(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET %s -> %d releases the labelled refuge as a Bundle entry's response.outcome: …%s…", p, r.status, s)
		}
	}
}

// TestReview38bXMLAttachmentIsTheOrganisation: an application/fhir+xml
// attachment whose XML is the refuge's Organization (by id alone, and
// with its ODS code).
func TestReview38bXMLAttachmentIsTheOrganisation(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	xmlDoc := func(id, ident string) string {
		return `<Organization xmlns="http://hl7.org/fhir"><id value="` + id + `"/>` + ident + `<name value="` + refugeName31b + `"/><address><line value="` + refugeAddr31b + `"/></address></Organization>`
	}
	doc := func(id, x string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `","content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + b64(x) + `"}}]}`
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d38b-xml-id", doc("d38b-xml-id", xmlDoc("refuge31b", ""))},
		[2]string{"/fhir/DocumentReference/d38b-xml-ods", doc("d38b-xml-ods", xmlDoc("x38b", `<identifier><system value="`+odsOrg34b+`"/><value value="NSREF31"/></identifier>`))})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, id := range []string{"d38b-xml-id", "d38b-xml-ods"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		t.Logf("GET %s -> %d", id, r.status)
		if s := leaks38b(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the labelled refuge as an XML attachment: …%s…", id, r.status, s)
		}
	}
}

// TestReview38bConflictBodySaysWhat: the 409 on a write-back of a Bundle
// whose refuge entry was taken out tells the GP person what kind of item
// was withheld ("copies of directory items withheld from you"): SPEC §5,
// a response says only that some items were excluded, never what.
func TestReview38bConflictBodySaysWhat(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sys := e.token("system", "nhs", "A81001")
	gpu := e.token("gp", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Bundle/b38b-what", bundleWithCopy38b("b38b-what")})
	r := e.do("GET", "/fhir/Bundle/b38b-what", gpu, "")
	if r.status != 200 || strings.Contains(r.body, refugeName31b) {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	w := e.do("PUT", "/fhir/Bundle/b38b-what", gpu, r.body)
	if w.status != 409 {
		t.Fatalf("premise: 409: %d %.300s", w.status, w.body)
	}
	if strings.Contains(strings.ToLower(w.body), "directory") {
		t.Errorf("gp A81001: PUT back /fhir/Bundle/b38b-what -> 409 names the kind of item withheld from her: %.400s", w.body)
	}
}

// TestReview38bDataURLReferenceToRefuge: the FHIR JSON of a data: url
// attachment references the refuge literally and by its ODS code, with
// its name as display; as "data" the same JSON goes out masked.
func TestReview38bDataURLReferenceToRefuge(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	inner := enc32b("enc38b-ref", `,"serviceProvider":{"reference":"Organization/refuge31b","display":"`+refugeName31b+`"},"location":[{"location":{"identifier":{"system":"`+odsOrg34b+`","value":"NSREF31"},"display":"`+refugeName31b+` LOC"}}]`)
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d38b-ref-data", docRef38b("d38b-ref-data", "data", inner)},
		[2]string{"/fhir/DocumentReference/d38b-ref-url", docRef38b("d38b-ref-url", "url", inner)})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, id := range []string{"d38b-ref-data", "d38b-ref-url"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		t.Logf("GET %s -> %d", id, r.status)
		if s := leaks38b(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> %d releases the refuge's name and code in a reference inside the attachment's FHIR JSON: …%s…", id, r.status, s)
		}
	}
}

// TestReview38bSoundBundleCopyOtherRoutes: the GP's Bundle with the
// refuge as an id-only entry (and as a nested Parameters part) reaches
// RCX by no other route: vread, _history, search by _id, _elements,
// _summary, $everything.
func TestReview38bSoundBundleCopyOtherRoutes(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b38b-routes", bundleWithCopy38b("b38b-routes")})
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b38b-routes", strings.Replace(bundleWithCopy38b("b38b-routes"), `"type":"collection"`, `"type":"collection","timestamp":"2026-01-02T00:00:00Z"`, 1)})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, p := range []string{"/fhir/Bundle/b38b-routes", "/fhir/Bundle/b38b-routes/_history/1", "/fhir/Bundle/b38b-routes/_history", "/fhir/Bundle?_id=b38b-routes",
		"/fhir/Bundle/b38b-routes?_elements=entry", "/fhir/Bundle?_id=b38b-routes&_summary=data", "/fhir/Patient/jane/$everything", "/fhir/Organization?name=LEEDS", "/fhir/Organization?_id=refuge31b"} {
		r := e.do("GET", p, rcx, "")
		t.Logf("GET %s -> %d", p, r.status)
		if s := leaks38b(r.body); s != "" {
			t.Errorf("hospital-clinician RCX: GET %s -> %d releases the refuge copy: …%s…", p, r.status, s)
		}
	}
}

// TestReview38bAttachedRefToWithheldItemMasked (fix 38b, the review's
// note): the gate that missed the refuge's copies decides every
// reference inside attached FHIR JSON (review 14c). A care plan
// addressing Jane's Condition/hiv (labelled HIV by derive), with a
// display, carried as a data: url and as an extension's
// valueBase64Binary, goes out masked to the district nurse and the
// social worker, as it does in an attachment's data.
func TestReview38bAttachedRefToWithheldItemMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	plan := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv","display":"HIVDISPLAY38B"},{"reference":"Condition/diabetes","display":"DIABETES38B"}]}`
	// (carried by a care plan: the district nurse and the social worker
	// read care plans, not documents)
	carrier := func(id, ext string) string {
		return `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"` + strings.ToUpper(id) + `","extension":[` + ext + `]}`
	}
	e.putAll(t, gp,
		[2]string{"/fhir/CarePlan/p38b-hiv-data", carrier("p38b-hiv-data", `{"url":"https://example.org/attached","valueAttachment":{"contentType":"application/fhir+json","data":"`+b64(plan)+`"}}`)},
		[2]string{"/fhir/CarePlan/p38b-hiv-url", carrier("p38b-hiv-url", `{"url":"https://example.org/attached","valueAttachment":{"contentType":"application/fhir+json","url":"data:application/fhir+json;base64,`+b64(plan)+`"}}`)},
		[2]string{"/fhir/CarePlan/p38b-hiv-b64", carrier("p38b-hiv-b64", `{"url":"https://example.org/attached","valueBase64Binary":"`+b64(plan)+`"}`)},
	)
	readers := map[string]string{"district-nurse RCX": e.token("district-nurse", "nhs", "RCX"), "social-worker E06000999": e.token("social-worker", "council", "E06000999")}
	for who, tok := range readers {
		if r := e.do("GET", "/fhir/Condition/hiv", tok, ""); r.status != 404 {
			t.Fatalf("premise: %s reads Condition/hiv: %d", who, r.status)
		}
		for _, id := range []string{"p38b-hiv-data", "p38b-hiv-url", "p38b-hiv-b64"} {
			r := e.do("GET", "/fhir/CarePlan/"+id, tok, "")
			if r.status != 200 {
				t.Fatalf("premise: %s: GET %s -> %d %.300s", who, id, r.status, r.body)
			}
			dec := decoded38b(r.body)
			if strings.Contains(dec, "HIVDISPLAY38B") || strings.Contains(dec, "Condition/hiv") {
				t.Errorf("%s: GET /fhir/CarePlan/%s releases the reference to the withheld diagnosis inside the attached care plan: …%s…", who, id, snippet32b(dec, "Condition/hiv"))
			}
			if !strings.Contains(dec, "DIABETES38B") || !strings.Contains(dec, `"masked"`) {
				t.Errorf("%s: GET /fhir/CarePlan/%s: want the reference to what she sees kept and the other masked: %.1500s", who, id, dec)
			}
		}
	}
}

// TestReview38bSoundXMLCopyKeptForSourceAndCoincidentIds (fix 38b): the
// hospital that labelled the refuge reads the XML copy as stored; an XML
// attachment whose Observation merely shares the refuge's id, or names
// an identifier value under another system, goes out whole to RCX; the
// GP person's write-back of a document whose XML copy was masked for her
// is refused (409), the copy kept.
func TestReview38bSoundXMLCopyKeptForSourceAndCoincidentIds(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	doc := func(id, x string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `","content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + b64(x) + `"}}]}`
	}
	refuge := `<Organization xmlns="http://hl7.org/fhir"><id value="refuge31b"/><name value="` + refugeName31b + `"/></Organization>`
	e.putAll(t, gp,
		[2]string{"/fhir/DocumentReference/d38b-xml-src", doc("d38b-xml-src", refuge)},
		[2]string{"/fhir/DocumentReference/d38b-xml-obs", doc("d38b-xml-obs", `<Observation xmlns="http://hl7.org/fhir"><id value="refuge31b"/><status value="final"/><code><text value="OBSXML38B"/></code><identifier><system value="https://example.org/lab"/><value value="NSREF31"/></identifier></Observation>`)},
	)
	if r := e.do("GET", "/fhir/DocumentReference/d38b-xml-src", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 || !strings.Contains(decoded38b(r.body), refugeName31b) {
		t.Errorf("hospital-clinician RHX (the refuge's source): the XML copy is not released as stored: %d %.600s", r.status, r.body)
	}
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	if r := e.do("GET", "/fhir/DocumentReference/d38b-xml-obs", rcx, ""); r.status != 200 || !strings.Contains(decoded38b(r.body), "OBSXML38B") {
		t.Errorf("hospital-clinician RCX: an XML Observation sharing the refuge's id is masked (over-withholding): %d %.600s", r.status, r.body)
	}
	gpu := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/DocumentReference/d38b-xml-src", gpu, "")
	if r.status != 200 || strings.Contains(decoded38b(r.body), refugeName31b) {
		t.Fatalf("premise: the GP person reads the document with the copy masked: %d %.600s", r.status, r.body)
	}
	if w := e.do("PUT", "/fhir/DocumentReference/d38b-xml-src", gpu, r.body); w.status != 409 || strings.Contains(strings.ToLower(w.body), "directory") {
		t.Errorf("gp A81001: PUT back the document whose XML copy was masked -> %d, want 409 saying nothing of what: %.400s", w.status, w.body)
	}
	if after := e.do("GET", "/fhir/DocumentReference/d38b-xml-src", gp, ""); !strings.Contains(decoded38b(after.body), refugeName31b) {
		t.Errorf("the XML copy is lost from the stored document: %.400s", after.body)
	}
}
