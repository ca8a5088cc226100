package api_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// TestAnyStringNamingAWithheldItemIsMasked: six review rounds each found
// another element in which a withheld item's id (a client-chosen id may
// say what the item is: "hivdoc") left inside a released item, with the
// attachment's title and content where the element was an attachment's
// url. Those left open at the last stop:
//   - a search url naming the item by _id (DocumentReference?_id=hivdoc,
//     absolute or relative) as an attachment's url: it went to the
//     hospital clinician with the title and the letter inline in data;
//   - an absolute url whose type is written in another case
//     (…/fhir/DOCUMENTREFERENCE/hivdoc, …/fhir/condition/hiv);
//   - a string in any element not already decided (an extension's
//     valueString, an identifier's value) that names the item exactly;
//   - a masked attachment's size, which measures the withheld content.
//
// Now every string value naming an item stored here, whatever its element,
// is decided as a reference: masked where the item is withheld. Free text
// that merely mentions a reference ("Patient/carer discussed") is not a
// reference and stays, as do urls naming items the user sees and urls of
// other servers naming nothing stored here. The practice, the source,
// reads everything as stored.
func TestAnyStringNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	gpSystem := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/hivdoc", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV letter is withheld from the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	attachment := func(u string) string {
		return `"content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"HIVX-TITLE","size":25,"data":"` + secret + `"}}]`
	}
	plain := `"content":[{"attachment":{"url":"https://e.example/letters/1.pdf","contentType":"application/pdf"}}]`
	type doc struct {
		body    string // the covering document's elements
		named   string // the string that must not reach the hospital
		content bool   // its attachment's title, data and size must not either
	}
	docs := []doc{
		{attachment("DocumentReference?_id=hivdoc"), "DocumentReference?_id=hivdoc", true},
		{attachment(e.base + "/fhir/DocumentReference?_id=hivdoc&_format=json"), e.base + "/fhir/DocumentReference?_id=hivdoc&_format=json", true},
		{attachment("Condition?_id=diabetes,hiv"), "Condition?_id=diabetes,hiv", true},
		{attachment(e.base + "/fhir/DOCUMENTREFERENCE/hivdoc"), e.base + "/fhir/DOCUMENTREFERENCE/hivdoc", true},
		{attachment(e.base + "/fhir/condition/hiv/_history/1"), e.base + "/fhir/condition/hiv/_history/1", true},
		{attachment("Binary/hivbin"), "Binary/hivbin", true}, // the size, as before its title and data
		{`"extension":[{"url":"http://e.example/x","valueString":"Condition/hiv"}],` + plain, `"Condition/hiv"`, false},
		{`"identifier":[{"system":"https://e.example/ids","value":"DocumentReference/hivdoc"}],` + plain, `"DocumentReference/hivdoc"`, false},
		{`"extension":[{"url":"http://e.example/x","valueString":"Condition?_id=hiv"}],` + plain, `"Condition?_id=hiv"`, false},
		{`"securityLabel":[{"text":"` + e.base + `/fhir/Binary/hivbin"}],` + plain, e.base + `/fhir/Binary/hivbin`, false},
	}
	for i, d := range docs {
		id := "idstr-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOCIDSTR",` + d.body + `}`})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, `"`+id+`"`) {
				t.Fatalf("%s %s: the premise: the hospital reads the GP's covering document: %d %.300s", id, path, r.status, r.body)
			}
			leaks := []string{d.named}
			if d.content {
				leaks = append(leaks, secret, "HIVX-TITLE", `"size":25`)
			}
			for _, leak := range leaks {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s %s: a string naming a withheld item goes to the hospital with %q", id, path, leak)
				}
			}
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, gp, ""); !strings.Contains(r.body, d.named) || d.content && !strings.Contains(r.body, "HIVX-TITLE") {
			t.Errorf("%s: the practice reads its own document as stored: %.500s", id, r.body)
		}
	}
	// Nor does a search by such a url find the document naming it.
	for _, u := range []string{e.base + "/fhir/DOCUMENTREFERENCE/hivdoc", "DocumentReference?_id=hivdoc"} {
		if r := e.do("GET", "/fhir/DocumentReference?location="+url.QueryEscape(u), hosp, ""); r.status != 200 || strings.Contains(r.body, "idstr-") {
			t.Errorf("location=%s: the hospital finds the document whose masked url names the withheld item: %d %.400s", u, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference?location="+url.QueryEscape(u), gpSystem, ""); !strings.Contains(r.body, "idstr-") {
			t.Errorf("location=%s: the practice finds its own document by its url: %.400s", u, r.body)
		}
	}

	// What names nothing withheld goes out as stored.
	kept := []string{"Condition?_id=diabetes", e.base + "/fhir/condition/diabetes", "https://cdn.example.org/media/12345.jpg", "https://cdn.example.org/Media/hivdoc"}
	for i, u := range kept {
		id := "idkeep-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"extension":[{"url":"http://e.example/x","valueString":"Patient/carer discussed"},{"url":"http://e.example/y","valueString":"Condition/diabetes"}],
			"content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"KEEP-TITLE","size":4}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		for _, want := range []string{`"` + u + `"`, "KEEP-TITLE", `"size":4`, `"Patient/carer discussed"`, `"Condition/diabetes"`} {
			if r.status != 200 || !strings.Contains(r.body, want) {
				t.Errorf("%s: what names nothing withheld goes out as stored: %q missing from %d %.500s", u, want, r.status, r.body)
			}
		}
	}
}
