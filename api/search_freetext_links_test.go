package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestSearchByMaskedFreeTextLinkFindsNothing: a search does not match
// free text holding a markdown inline link that may name an item, since
// release masks the link's target inside the text. But release masks
// other links in free text too: an HTML link (review 18e), a markdown
// link definition ("[1]: Condition/hiv", review 18e) and a target written
// with a character reference a browser drops ("Condi&#x09;tion/hiv").
// The hospital clinician could find the GP's documents by those masked
// targets (description:contains=hiv) and read them letter by letter.
func TestSearchByMaskedFreeTextLinkFindsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	doc := func(id, desc string) [2]string {
		return [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
			"subject":{"reference":"Patient/jane"},"description":"` + desc + `",
			"content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`}
	}
	forms := map[string]string{
		"ft-html":       `See <a href=\"Condition/hiv\">the diagnosis</a> first`,
		"ft-definition": `See [the diagnosis][1] first\n\n[1]: Condition/hiv`,
		"ft-entity":     `See [the diagnosis](Condi&#x09;tion/hiv) first`,
	}
	for id, desc := range forms {
		e.putAll(t, gpSystem, doc(id, desc))
	}
	for id := range forms {
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || strings.Contains(r.body, "tion/hiv") || !strings.Contains(r.body, "#(masked)") {
			t.Fatalf("%s: the premise: the hospital reads the document with its link masked: %d %.400s", id, r.status, r.body)
		}
	}
	for _, q := range []string{"description:contains=hiv", "description:contains=" + url.QueryEscape("tion/h"), "description=see"} {
		rh := e.do("GET", "/fhir/DocumentReference?"+q, hosp, "")
		rg := e.do("GET", "/fhir/DocumentReference?"+q, gpSystem, "")
		if rh.status != 200 || rg.status != 200 {
			t.Fatalf("%s: %d %d", q, rh.status, rg.status)
		}
		for id := range forms {
			if strings.Contains(rh.body, `"`+id+`"`) {
				t.Errorf("DocumentReference?%s: the hospital finds %s by text it sees masked", q, id)
			}
			if !strings.Contains(rg.body, `"`+id+`"`) {
				t.Errorf("DocumentReference?%s: the practice no longer finds its own %s", q, id)
			}
		}
	}
}
