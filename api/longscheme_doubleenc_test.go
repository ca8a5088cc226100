package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestWholeStringWithLongSchemeOrDoubleEncodingIsMasked: a whole string
// or an attachment's url naming Jane's withheld HIV diagnosis went to the
// hospital clinician as written when its scheme was longer than the 32
// characters CommonMark allows an autolink's (an app's protocol handler
// takes any length), or when its slash was encoded twice
// ("Condition%252Fhiv": a proxy and the app behind it each decode once).
// Both forms are read as those readers read them, and masked where they
// name what she may not see; one naming the diabetes diagnosis she may see
// stays as written.
func TestWholeStringWithLongSchemeOrDoubleEncodingIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	long := "web+" + strings.Repeat("a", 40)
	for i, s := range []string{
		long + ":Condition/hiv",
		"web+app:Condition%252Fhiv",
		"urn:x:Condition%25252Fhiv",
		"https://h.example/fhir/Condition%252Fhiv",
		"https://app.example/#/Condition%252Fhiv",
		"https://h.example/fhir/Condition/diabetes/%252e%252e/hiv",
	} {
		id := "lsde-" + string(rune('a'+i))
		body := urlDocReadByHospital(t, e, gpSystem, hosp, id, s, "LSDE "+s, true)
		if strings.Contains(body, `"`+s+`"`) {
			t.Errorf("%s names the withheld diagnosis to the hospital: %.800s", s, body)
		}
		if !strings.Contains(body, `"_valueString"`) || !strings.Contains(body, `"_url"`) {
			t.Errorf("%s: want the valueString and the attachment's url masked: %.800s", s, body)
		}
		searchHidesDocument(t, e, hosp, gpSystem, id, "location="+url.QueryEscape(s))
	}
	for i, s := range []string{long + ":Condition/diabetes", "web+app:Condition%252Fdiabetes"} {
		id := "lsde-ok" + string(rune('a'+i))
		if body := urlDocReadByHospital(t, e, gpSystem, hosp, id, s, "LSDEOK "+s, true); !strings.Contains(body, `"url":"`+s+`"`) {
			t.Errorf("%s names a diagnosis the hospital sees, and is masked: %.600s", s, body)
		}
	}
}
