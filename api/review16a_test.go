package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// storeAsIs16a stores raw as org's, bypassing the API's validation: data
// written before carex refused it (or by an older version).
func storeAsIs16a(t *testing.T, e *env, org, clean, raw string) {
	t.Helper()
	w := storetest.W(t, store.OpUpdate, org, clean)
	w.Raw = []byte(raw)
	w.Resource = nil
	if err := json.Unmarshal(w.Raw, &w.Resource); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Commit(context.Background(), []*store.Write{w}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestReview16aPercentEncodedReferencesAreRefused: FHIR ids are
// [A-Za-z0-9-.]{1,64}, so no id ever needs percent-encoding, yet a
// reference written Condition/h%69v names Condition/hiv (a client
// fetching it gets Condition/hiv: the server decodes the path). Carex
// stored such references and read them as naming nothing here: the
// masking let the district nurse see a care plan's reference to Jane's
// withheld HIV diagnosis, display text and all, the search index ignored
// it, a Condition whose subject was Patient/ja%6ee was attributed to no
// one (its reads logged against no one), and a Consent whose patient was
// Patient/ja%6ee applied to no one. Such a reference (or an attachment url
// naming Binary/<encoded id>) is now refused on write, 422, and nothing
// is stored; an attachment url elsewhere with an escape in it (a file
// name with a space) is still accepted.
func TestReview16aPercentEncodedReferencesAreRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for i, body := range []string{
		`{"resourceType":"CarePlan","id":"ID","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/h%69v","display":"HIV"}]}`,
		`{"resourceType":"CarePlan","id":"ID","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/%68%69%76|1"}]}`,
		`{"resourceType":"CarePlan","id":"ID","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"` + e.base + `/fhir/Condition/h%69v/_history/1"}]}`,
		`{"resourceType":"CarePlan","id":"ID","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition%2Fhiv"}]}`,
		`{"resourceType":"CarePlan","id":"ID","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv%2F"}]}`,
		`{"resourceType":"Condition","id":"ID","subject":{"reference":"Patient/ja%6ee"},"code":{"text":"x"}}`,
		`{"resourceType":"DocumentReference","id":"ID","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"url":"Binary/hivb%69n","title":"HIV letter"}}]}`,
		`{"resourceType":"Consent","id":"ID","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
		  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/ja%6ee"},"dateTime":"2024-01-01",
		  "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`,
	} {
		id := "enc16a-" + string(rune('a'+i))
		body = strings.Replace(body, `"ID"`, `"`+id+`"`, 1)
		typ := body[len(`{"resourceType":"`):strings.Index(body, `","id"`)]
		if r := e.do("PUT", "/fhir/"+typ+"/"+id, gp, body); r.status != 422 || !strings.Contains(r.body, "percent-encoded") {
			t.Errorf("%s/%s: want 422 for a percent-encoded reference, got %d %.300s", typ, id, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/"+typ+"/"+id, gp, ""); r.status != 404 {
			t.Errorf("%s/%s: the refused write stored something: %d", typ, id, r.status)
		}
		bundle := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + body + `,"request":{"method":"PUT","url":"` + typ + "/" + id + `"}}]}`
		if r := e.do("POST", "/fhir", gp, bundle); r.status < 400 {
			t.Errorf("%s/%s: a transaction carrying it is accepted: %d %.300s", typ, id, r.status, r.body)
		}
	}
	ok := `{"resourceType":"DocumentReference","id":"file16a","status":"current","subject":{"reference":"Patient/jane"},
	  "content":[{"attachment":{"url":"https://docs.example.org/letters/My%20Letter.pdf"}}],"context":{"related":[{"reference":"https://other.example.org/fhir/Encounter/e1?x=%20"}]}}`
	if r := e.do("PUT", "/fhir/DocumentReference/file16a", gp, ok); r.status != 201 {
		t.Errorf("an escape outside a Type/id is refused: %d %.300s", r.status, r.body)
	}
}

// TestReview16aOddlyWrittenStoredReferencesAreMasked: references stored
// before carex refused percent-encoded ones (Condition/h%69v, an
// attachment url Binary/hivb%69n) went out as stored to users from whom
// the item they name is withheld, display text or title and all: the
// masking read them as naming something not stored here. A reference
// whose id is not a FHIR id now names nothing readable and goes out
// masked. So does an attachment url that names a Binary however written
// (Binary//hivbin, binary/hivbin, Binary%2Fhivbin), which went out as free
// text, title and all. The other odd references — condition/hiv, Condition//hiv,
// ./Condition/hiv, the server's address with its scheme in capitals or a
// doubled slash, Condition%2Fhiv — were masked already (passed when first
// written); kept as a probe.
func TestReview16aOddlyWrittenStoredReferencesAreMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	refs := []string{"Condition/h%69v", "Condition/%68%69%76", e.base + "/fhir/Condition/h%69v", "Condition/hiv%2F",
		"condition/hiv", "Condition//hiv", "./Condition/hiv", strings.ToUpper(e.base[:4]) + e.base[4:] + "/fhir/Condition/hiv",
		e.base + "//fhir/Condition/hiv", "Condition%2Fhiv"}
	for i, ref := range refs {
		id := "plan16a-" + string(rune('a'+i))
		clean := `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan",
		  "subject":{"reference":"Patient/jane"},"title":"PLAN16A","addresses":[{"reference":"Condition/hiv","display":"HIV16A-DISPLAY"}]}`
		storeAsIs16a(t, e, "A81001", clean, strings.Replace(clean, `"Condition/hiv"`, `"`+ref+`"`, 1))
		for _, path := range []string{"/fhir/CarePlan/" + id, "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", path, nurse, "")
			if r.status != 200 || !strings.Contains(r.body, "PLAN16A") {
				t.Fatalf("%s %s: the premise: the nurse reads the GP's care plan: %d %.300s", ref, path, r.status, r.body)
			}
			if strings.Contains(r.body, "HIV16A-DISPLAY") {
				t.Errorf("%s %s: the reference to the withheld HIV diagnosis goes to the nurse unmasked", ref, path)
			}
		}
	}
	urls := []string{"Binary/hivb%69n", "Binary/%68ivbin", e.base + "/fhir/Binary/hivb%69n", "Binary//hivbin", "./Binary/hivbin",
		"binary/hivbin", "Binary%2Fhivbin", e.base + "/fhir/Binary//hivbin"}
	for i, u := range urls {
		id := "doc16a-" + string(rune('a'+i))
		clean := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"description":"DOC16A","content":[{"attachment":{"url":"Binary/hivbin","title":"HIV16A-TITLE"}}]}`
		storeAsIs16a(t, e, "A81001", clean, strings.Replace(clean, `"Binary/hivbin"`, `"`+u+`"`, 1))
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "DOC16A") {
			t.Fatalf("%s: the premise: the hospital reads the GP's document: %d %.300s", u, r.status, r.body)
		}
		if strings.Contains(r.body, "HIV16A-TITLE") {
			t.Errorf("%s: the url of the withheld letter's content goes to the hospital with its title: %.400s", u, r.body)
		}
	}
}
