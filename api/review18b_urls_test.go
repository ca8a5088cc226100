package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReview18bURNAndAppURLsNamingWithheldItemsAreMasked: a string naming
// a withheld item went out as stored when written as a urn with a path
// (urn:x/Condition/hiv: any "urn:" was taken for a bundle-local id naming
// nothing stored) or as an app's url routing by its fragment
// (https://app.example/#/Condition/hiv: the fragment was dropped before
// reading what the url names), in an identifier's value, an extension's
// valueUri and an attachment's url, the last with the withheld letter's
// title and content: the hospital clinician got the withheld items' ids,
// and the letter. Now they are decided as the item they name: masked where
// it is withheld; the same forms naming items she sees, a plain urn:uuid,
// a urn:oid and a url whose fragment names nothing stay as written, and
// the practice, the source, reads all as stored.
func TestReview18bURNAndAppURLsNamingWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the HIV diagnosis is withheld from the hospital: %d", r.status)
	}
	withheld := []string{"urn:x/Condition/hiv", "https://app.example/#/Condition/hiv", "https://app.example/view#DocumentReference/hivdoc",
		"urn:carex:Binary/hivbin"}
	seen := []string{"urn:x/Condition/diabetes", "https://app.example/#/Condition/diabetes", "urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1c01",
		"urn:oid:2.16.840.1.113883.2.1.4.1", "https://e.example/letters/1.pdf#page=2"}
	for i, u := range append(append([]string{}, withheld...), seen...) {
		id := "urn18b-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOC18B","identifier":[{"system":"https://e.example/ids","value":"` + u + `"}],
			"extension":[{"url":"http://e.example/x","valueUri":"` + u + `"}],
			"content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"HIVX-TITLE","data":"` + secret + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "DOC18B") {
			t.Fatalf("%s: the premise: the hospital reads the GP's document: %d %.300s", u, r.status, r.body)
		}
		if i < len(withheld) {
			for _, leak := range []string{u, "HIVX-TITLE", secret} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s: a string naming a withheld item goes to the hospital with %q", u, leak)
				}
			}
		} else if strings.Count(r.body, `"`+u+`"`) != 3 || strings.Contains(r.body, "masked") {
			t.Errorf("%s: names nothing withheld, and goes out as stored: %s", u, r.body)
		}
		if r := e.do("GET", "/fhir/DocumentReference/"+id, gpSystem, ""); strings.Count(r.body, `"`+u+`"`) != 3 {
			t.Errorf("%s: the practice reads it as stored: %s", u, r.body)
		}
	}
}
