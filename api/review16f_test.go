package api_test

// Review 16f: ways around the last hour's changes (review 16d's attachment
// urls and uri values naming withheld items; review 16e's query strings).

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview16fHistoryUrlNamingAWithheldItemIsMasked: an attachment url or
// a uri value naming a withheld item goes out masked (review 16d), but one
// naming the item's history — DocumentReference/hivdoc/_history (Jane's
// HIV clinic letter), absolute or relative, or Condition/hiv/_history/ —
// was read as naming nothing here (its last but one segment is the id,
// not a type) and went to the hospital clinician as stored: the url
// telling the withheld letter's id, which GET answers as that item's
// history, with the attachment's title "HIV clinic letter" and the letter
// inline in data; so did DocumentReference/hivdoc/$meta (an operation on
// it). A reference so written was masked already. Now they are decided as
// the item they name: masked for the hospital, as stored for the practice.
func TestReview16fHistoryUrlNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/DocumentReference/hivdoc", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV letter is withheld from the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/DocumentReference/hivdoc/_history", gp, ""); r.status != 200 || !strings.Contains(r.body, `"hivdoc"`) {
		t.Fatalf("the premise: the url names the letter (its history): %d %.300s", r.status, r.body)
	}
	forms := []string{"DocumentReference/hivdoc/_history", e.base + "/fhir/DocumentReference/hivdoc/_history", "Condition/hiv/_history/",
		"Binary/hivbin/_history", e.base + "/fhir/DocumentReference/hivdoc/_history/1#x", "DocumentReference/hivdoc/$meta"}
	for i, u := range forms {
		id := "att16f-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOC16F","extension":[{"url":"http://e.example/a","valueUri":"` + u + `"}],
			"content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"HIV16F-TITLE","data":"` + secret + `"}}]}`})
		for _, path := range []string{"/fhir/DocumentReference/" + id, "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, hosp, "")
			if r.status != 200 || !strings.Contains(r.body, "DOC16F") {
				t.Fatalf("%s %s: the premise: the hospital reads the GP's covering document: %d %.300s", u, path, r.status, r.body)
			}
			for _, leak := range []string{secret, "HIV16F-TITLE", `"` + u + `"`} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s %s: a url naming a withheld item's history goes to the hospital with %q", u, path, leak)
				}
			}
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, `"`+u+`"`) || !strings.Contains(r.body, "HIV16F-TITLE") {
			t.Errorf("%s: the practice reads its own document as stored: %.400s", u, r.body)
		}
	}
	// Nor does a search by such a url find the documents pointing at it.
	for _, u := range []string{"DocumentReference/hivdoc/_history", "Binary/hivbin/_history"} {
		if r := e.do("GET", "/fhir/DocumentReference?location="+u, hosp, ""); r.status != 200 || strings.Contains(r.body, "att16f-") {
			t.Errorf("location=%s: the hospital finds the document whose masked url names the withheld item: %d %.400s", u, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference?location="+u, gp, ""); !strings.Contains(r.body, "att16f-") {
			t.Errorf("location=%s: the practice finds its own document by its url: %.400s", u, r.body)
		}
	}
}

// TestReview16fBackslashUrlNamingAWithheldItemIsMasked: an attachment url
// or a uri value naming a withheld item however written goes out masked
// (review 16d: Condition//hiv, ./Binary/hivbin, which many a client
// resolves to the item) — but one written with backslashes
// (Condition\hiv, DocumentReference\hivdoc, Binary\hivbin, or absolute
// https://…/fhir/Condition\hiv), which a WHATWG URL parser (every browser,
// and the web viewers of many a GP and council system) reads as
// Condition/hiv, went to the hospital clinician as stored, telling the
// ids of Jane's withheld HIV diagnosis and letter, with the attachment's
// title. Such a url names nothing readable here: masked, as Condition//hiv.
func TestReview16fBackslashUrlNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	forms := []string{`Condition\\hiv`, `DocumentReference\\hivdoc`, `Binary\\hivbin`, e.base + `/fhir/Condition\\hiv`, `.\\Condition\\hiv\\`}
	for i, u := range forms {
		id := "bs16f-" + string(rune('a'+i))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOC16F","extension":[{"url":"http://e.example/a","valueUrl":"` + u + `"}],
			"content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"HIV16F-TITLE"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "DOC16F") {
			t.Fatalf("%s: the premise: the hospital reads the GP's covering document: %d %.300s", u, r.status, r.body)
		}
		if strings.Contains(r.body, "HIV16F-TITLE") || strings.Contains(r.body, `"`+u+`"`) || strings.Count(r.body, `"valueCode":"masked"`) != 2 {
			t.Errorf("%s: a url naming a withheld item written with backslashes goes to the hospital as stored: %.500s", u, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, gp, ""); !strings.Contains(r.body, `"`+u+`"`) {
			t.Errorf("%s: the practice's system reads its own document as stored: %.400s", u, r.body)
		}
	}
	if r := e.do("GET", `/fhir/DocumentReference?location=DocumentReference%5Chivdoc`, hosp, ""); r.status != 200 || strings.Contains(r.body, "bs16f-") {
		t.Errorf("location=DocumentReference\\hivdoc: the hospital finds the document whose masked url names the withheld item: %d %.400s", r.status, r.body)
	}
}

// TestReview16fInstantiatesNamingAWithheldItemIsMasked: a uri value naming
// a withheld item goes out masked (review 16a, 16d), but the lists of them
// a CarePlan, ServiceRequest or Procedure carries (instantiatesCanonical
// "Condition/hiv", instantiatesUri "DocumentReference/hivdoc") went to the
// hospital clinician as stored, telling the ids of Jane's withheld HIV
// diagnosis and letter. Each such value now goes out as null with the
// masked mark in _instantiatesCanonical (etc.) at its place; others, and
// the practice's system, see them as stored.
func TestReview16fInstantiatesNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/CarePlan/p16f", `{"resourceType":"CarePlan","id":"p16f","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"description":"CP16F",
		"instantiatesCanonical":["http://e.example/PlanDefinition/kept16f","Condition/hiv"],"instantiatesUri":["DocumentReference/hivdoc"]}`})
	r := e.do("GET", "/fhir/CarePlan/p16f", hosp, "")
	if r.status != 200 || !strings.Contains(r.body, "CP16F") {
		t.Fatalf("the premise: the hospital reads the GP's care plan: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "hivdoc") || !strings.Contains(r.body, "kept16f") ||
		strings.Count(r.body, `"valueCode":"masked"`) != 2 {
		t.Errorf("instantiates values naming withheld items go to the hospital: %.600s", r.body)
	}
	if r := e.do("GET", "/fhir/CarePlan/p16f", gp, ""); !strings.Contains(r.body, `"Condition/hiv"`) || !strings.Contains(r.body, `"DocumentReference/hivdoc"`) {
		t.Errorf("the practice's system reads its own plan as stored: %.400s", r.body)
	}
	if r := e.do("GET", "/fhir/CarePlan?instantiates-canonical=Condition/hiv", hosp, ""); r.status != 200 || strings.Contains(r.body, "p16f") {
		t.Errorf("instantiates-canonical=Condition/hiv: the hospital finds the plan whose masked value names the withheld item: %d %.400s", r.status, r.body)
	}
}
