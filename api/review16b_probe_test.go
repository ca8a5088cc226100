package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/sqlite"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview16bRestrictedByAnotherProcessIsSeenAtOnce: a probe (passed
// when first written) of the restricted-by-NHS-number answer kept while no
// Patient is written (80f0775): the district nurse reads Jane's GP record
// with her address (the answer "not restricted" is kept); then another
// process on the same file (carex import beside the server) stores the
// hospital's record of Jane, carrying her NHS number and labelled R, and
// then this server commits clinical data (its own versions key now the
// largest). Her next read must go without her address.
func TestReview16bRestrictedByAnotherProcessIsSeenAtOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["1 REFUGE-STREET"]}],"gender"`, 1)})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/jane", nurse, ""); r.status != 200 || !strings.Contains(r.body, "REFUGE-STREET") {
		t.Fatalf("the premise: Jane's address is shared before the restriction: %d %.300s", r.status, r.body)
	}
	other, err := sqlite.Open(context.Background(), e.db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	w := storetest.W(t, store.OpUpdate, "RHX", `{"resourceType":"Patient","id":"jane-hosp","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"name":[{"family":"Smith"}]}`)
	w.Labels = []string{"R"}
	if _, err := other.Commit(context.Background(), []*store.Write{w}, nil); err != nil {
		t.Fatal(err)
	}
	e.putAll(t, gp, [2]string{"/fhir/Observation/after", `{"resourceType":"Observation","id":"after","status":"final","code":{"text":"BP"},"subject":{"reference":"Patient/jane"}}`})
	if r := e.do("GET", "/fhir/Patient/jane", nurse, ""); r.status != 200 || strings.Contains(r.body, "REFUGE-STREET") {
		t.Errorf("after another process stored a restricted record carrying Jane's NHS number, the nurse reads: %d %.400s", r.status, r.body)
	}
}

// TestReview16bMaskedAttachmentsAndReferencesEverywhere: a probe (passed
// when first written) that 6ce639a's masking of an attachment naming
// withheld content, and the masking of a reference to a withheld item,
// hold wherever they sit and take everything describing what they name:
// a Communication's payload, an extension's valueAttachment, a contained
// DocumentReference's content, and a reference carrying identifier, type
// and an extension beside it.
func TestReview16bMaskedAttachmentsAndReferencesEverywhere(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Communication/comm", `{"resourceType":"Communication","id":"comm","status":"completed","subject":{"reference":"Patient/jane"},"payload":[
			{"contentAttachment":{"url":"Binary/hivbin","contentType":"text/plain","title":"SECRET-TITLE-COMM"}}],
			"extension":[{"url":"http://example.org/att","valueAttachment":{"url":"Binary/hivbin","title":"SECRET-TITLE-EXT"}}]}`},
		[2]string{"/fhir/CarePlan/cp", `{"resourceType":"CarePlan","id":"cp","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
			"contained":[{"resourceType":"DocumentReference","id":"d","status":"current","content":[{"attachment":{"url":"Binary/hivbin","title":"SECRET-TITLE-CONTAINED"}}]}],
			"supportingInfo":[{"reference":"#d"},{"reference":"Condition/hiv","identifier":{"value":"SECRET-ID"},"type":"Condition","display":"SECRET-DISPLAY","extension":[{"url":"http://example.org/x","valueString":"SECRET-REF-EXT"}]}]}`},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Communication/comm", "/fhir/CarePlan/cp", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, `"valueCode":"masked"`) {
			t.Fatalf("%s: %d, want it released with masks: %.300s", p, r.status, r.body)
		}
		for _, leak := range []string{"SECRET-", "hivbin", "Condition/hiv"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: the hospital clinician is shown %q: %.600s", p, leak, r.body)
			}
		}
	}
}
