package api_test

// Review 16b: ways around the last session's fixes (naming people in the
// access log for refused requests, break-glass in $alerts, masked
// attachments, the restricted-by-NHS-number cache).

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview16bMaskedAttachmentUrlTakesItsDataToo: an attachment may give
// its content both inline (data) and by url; FHIR says the url then points
// at the same content. Where the url names a Binary withheld from the user
// (Jane's HIV clinic letter, withheld from the hospital clinician), the url
// was masked but the same content went out inline in data, to the letter's
// last byte, by read, search and $everything. The data goes with the url
// now, as its title and hash do (6ce639a); content type and size stay. The
// practice, the source, reads it as stored.
func TestReview16bMaskedAttachmentUrlTakesItsDataToo(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/DocumentReference/both", `{"resourceType":"DocumentReference","id":"both","status":"current","subject":{"reference":"Patient/jane"},"content":[
			{"attachment":{"url":"Binary/hivbin","contentType":"text/plain","data":"` + secret + `","_data":{"extension":[{"url":"http://example.org/x","valueString":"SECRET-DATA-EXT"}]},"size":25}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Binary/hivbin", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the letter's content is withheld from the hospital: %d", r.status)
	}
	for _, path := range []string{"/fhir/DocumentReference/both", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, `"valueCode":"masked"`) || !strings.Contains(r.body, `"both"`) {
			t.Fatalf("%s: %d, want the letter with its url masked: %.400s", path, r.status, r.body)
		}
		for _, leak := range []string{secret, "SECRET-DATA-EXT"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: the hospital clinician is shown the withheld letter's content inline (%q) beside its masked url: %.500s", path, leak, r.body)
			}
		}
		if !strings.Contains(r.body, "text/plain") {
			t.Errorf("%s: the attachment's content type should stay: %.500s", path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/both", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, secret) {
		t.Errorf("the practice reads its own letter as stored: %.400s", r.body)
	}
}

// TestReview16bFormSearchRefusedForItsPurposeNamesThePerson: a POST
// _search whose parameters are in its form body (patient=jane, as FHIR's
// POST search sends them) by a token claiming the purpose "marketing"
// (403, refused before the search read its body) was logged naming no one,
// though the same search with patient=jane in its URL (review 15b), or the
// same body with a working token (even one refused for an unknown
// parameter, 400), is logged under Jane: her $who-accessed missed an
// attempt to read her record for marketing. The entry should name the
// person the body names; the answer is unchanged. (At 401 the body of a
// request without a valid token is still not read.)
func TestReview16bFormSearchRefusedForItsPurposeNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	for _, body := range []string{"patient=jane", "subject=Patient%2Fjane&code=44054006"} {
		r := e.do("POST", "/fhir/Condition/_search", mk, body, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 403 || strings.Contains(r.body, "GP-DIABETES") {
			t.Fatalf("POST _search %s for marketing: %d, want 403: %s", body, r.status, r.body)
		}
		if got := e.loggedPeople(t, "POST", "/fhir/Condition/_search"); !slices.Contains(got, "jane") {
			t.Errorf("POST _search with body %q refused for its purpose is logged naming %v: not Jane, whom its body names", body, got)
		}
	}
	r := e.do("POST", "/fhir/Patient/_search", mk, "_id=jane", "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 403 {
		t.Fatalf("POST Patient/_search for marketing: %d", r.status)
	}
	if got := e.loggedPeople(t, "POST", "/fhir/Patient/_search"); !slices.Contains(got, "jane") {
		t.Errorf("POST Patient/_search with _id=jane in its body refused for its purpose is logged naming %v", got)
	}
}
