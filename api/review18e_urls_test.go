package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestReview18eAppURLFragmentsNamingWithheldItemsAreMasked: review 18b
// decides an app's url routing by its fragment (https://app.example/#/Condition/hiv)
// as the item its route names, but other routes an app reads the same way
// went out as stored, in an identifier's value, a valueUri and an
// attachment's url with the withheld letter's title, telling the hospital
// clinician the ids of Jane's withheld HIV diagnosis and letter: a fragment
// percent-encoded (#Condition%2Fhiv, #%2FCondition%2Fhiv, which routers
// decode), a hashbang without a slash (#!Condition/hiv), a search in the
// fragment (#/Condition?_id=hiv) and a route given as a parameter
// (#route=Condition/hiv). Now each is decided as the item it names: masked
// where withheld; the same forms naming items she sees, and fragments
// naming nothing (#page=2, #section%202), stay as written.
func TestReview18eAppURLFragmentsNamingWithheldItemsAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	withheld := []string{"https://app.example/#Condition%2Fhiv", "https://app.example/#%2FCondition%2Fhiv", "https://app.example/#!Condition/hiv",
		"https://app.example/#/Condition?_id=hiv", "https://app.example/#route=Condition/hiv", "https://app.example/view#!DocumentReference%2Fhivdoc"}
	seen := []string{"https://app.example/#Condition%2Fdiabetes", "https://app.example/#!Condition/diabetes", "https://app.example/#/Condition?_id=diabetes",
		"https://app.example/#route=Condition/diabetes", "https://e.example/letters/1.pdf#page=2", "https://e.example/letters/1.html#section%202"}
	for i, u := range append(append([]string{}, withheld...), seen...) {
		id := fmt.Sprintf("url18e-%d", i)
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOC18E","identifier":[{"system":"https://e.example/ids","value":"` + u + `"}],
			"extension":[{"url":"http://e.example/x","valueUri":"` + u + `"}],
			"content":[{"attachment":{"url":"` + u + `","contentType":"text/plain","title":"LETTER18E-TITLE"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "DOC18E") {
			t.Fatalf("%s: the premise: the hospital reads the GP's document: %d %.300s", u, r.status, r.body)
		}
		if i < len(withheld) {
			for _, leak := range []string{"hiv", "LETTER18E-TITLE"} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s: a url naming a withheld item goes to the hospital with %q", u, leak)
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
