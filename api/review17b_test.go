package api_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// TestReview17bSearchURLByOtherParamsIsMasked: 7ebaa06 read a search url
// as naming items only through _id written plainly. A search url naming a
// withheld item through another parameter (a reference parameter's value,
// Encounter?diagnosis=Condition/hiv, or Condition%2Fhiv; a _has whose last
// parameter is _id, Patient?_has:Condition:subject:_id=hiv; an _id whose
// '=' is percent-encoded, Condition?_id%3Dhiv) went to the hospital
// clinician as stored: as an extension's valueString, and as an
// attachment's url with the attachment's title and the data beside it, and
// a location= search by it found the covering document. Each tells the
// withheld item's id (a client-chosen id may say what it is). Now each is
// decided as the items it names; urls naming only items the user sees, or
// no item, go out as stored.
func TestReview17bSearchURLByOtherParamsIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-17B-CONTENT"))
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	doc := func(id, s string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"extension":[{"url":"http://e.example/x","valueString":"` + s + `"}],
			"content":[{"attachment":{"url":"` + s + `","title":"TITLE17B","contentType":"text/plain","data":"` + secret + `"}}]}`
	}
	for i, s := range []string{
		"Encounter?diagnosis=Condition/hiv",
		"Encounter?diagnosis=Condition%2Fhiv",
		e.base + "/fhir/Encounter?patient=jane&diagnosis=Condition/diabetes,Condition/hiv",
		"Patient?_has:Condition:subject:_id=hiv",
		"Condition?_id%3Dhiv",
		"DocumentReference?related=DocumentReference/hivdoc",
	} {
		id := "s17b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, s)})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, `"`+id+`"`) {
				t.Fatalf("%s: the premise: the hospital reads the GP's covering document: %d %.300s", path, r.status, r.body)
			}
			for _, leak := range []string{s, secret} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s %s: a search url naming a withheld item goes to the hospital with %q", id, path, leak)
				}
			}
		}
		if r := e.do("GET", "/fhir/DocumentReference?location="+url.QueryEscape(s), hosp, ""); r.status != 200 || strings.Contains(r.body, id) {
			t.Errorf("location=%s: the hospital finds the document whose masked url names the withheld item: %d %.300s", s, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, gpSystem, ""); !strings.Contains(r.body, s) || !strings.Contains(r.body, secret) {
			t.Errorf("%s: the practice reads its own document as stored: %.400s", id, r.body)
		}
	}
	for i, s := range []string{
		"Encounter?diagnosis=Condition/diabetes",
		"Patient?_has:Condition:subject:_id=diabetes",
		"Condition?code=http://snomed.info/sct|44054006",
		"https://e.example/search?q=Condition/nothing-here",
	} {
		id := "k17b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, s)})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || strings.Count(r.body, `"`+s+`"`) != 2 || !strings.Contains(r.body, secret) {
			t.Errorf("%s: a url naming nothing withheld goes out as stored: %d %.500s", s, r.status, r.body)
		}
	}
}

// TestReview17bSearchURLByBareIDIsMasked: a search url naming a withheld
// item by a reference parameter's bare id (Encounter?diagnosis=hiv,
// CarePlan?condition=hiv, with a type modifier diagnosis:Condition=hiv) or
// by a chain ending in _id without a type (Encounter?diagnosis._id=hiv),
// which the server reads as naming Condition/hiv (the parameter's target),
// went to the hospital clinician as stored after 396590d, as an attachment's
// url with the withheld letter's data beside it. Now a bare id is read as
// naming each type the parameter may point at; ids the user sees stay.
func TestReview17bSearchURLByBareIDIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-17B-BARE"))
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	doc := func(id, s string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"extension":[{"url":"http://e.example/x","valueString":"` + s + `"}],
			"content":[{"attachment":{"url":"` + s + `","title":"TITLE17B","contentType":"text/plain","data":"` + secret + `"}}]}`
	}
	for i, s := range []string{"Encounter?diagnosis=hiv", "CarePlan?condition=diabetes,hiv", "Encounter?diagnosis:Condition=hiv", "Encounter?diagnosis._id=hiv"} {
		id := "b17b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, s)})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, `"`+id+`"`) {
				t.Fatalf("%s: the premise: the hospital reads the GP's covering document: %d %.300s", path, r.status, r.body)
			}
			for _, leak := range []string{s, secret} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s %s: a search url naming a withheld item by its bare id goes to the hospital with %q", id, path, leak)
				}
			}
		}
	}
	for i, s := range []string{"Encounter?diagnosis=diabetes", "Condition?patient=jane", "Condition?code=hiv"} {
		id := "bk17b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, doc(id, s)})
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, ""); r.status != 200 || strings.Count(r.body, `"`+s+`"`) != 2 || !strings.Contains(r.body, secret) {
			t.Errorf("%s: a url naming nothing withheld goes out as stored: %d %.500s", s, r.status, r.body)
		}
	}
}
