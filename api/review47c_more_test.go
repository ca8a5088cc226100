package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestReview47cImportCollectionRelativeReferenceToAnEntrysRestfulFullUrl:
// the same through carex import: a hospital's collection (as exported by
// another FHIR server: entries with RESTful fullUrls, resources without an
// id) whose Observation names its Patient entry relatively, "Patient/jane".
// The Patient entry is created under a new id; the Observation stays
// filed under carex's Patient/jane, the GP's patient, another person.
func TestReview47cImportCollectionRelativeReferenceToAnEntrysRestfulFullUrl(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	raw := `{"resourceType":"Bundle","type":"collection","entry":[
 {"fullUrl":"http://pas.example/fhir/Patient/jane","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Other"}]}},
 {"fullUrl":"http://pas.example/fhir/Observation/o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R47C-IMPORTED-OTHER-PERSON"},"subject":{"reference":"Patient/jane"}}}]}`
	if _, err := e.api.Import(context.Background(), r47cImporter("RHX", "nhs"), []byte(raw)); err != nil {
		t.Skipf("import refused: %v", err)
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); strings.Contains(r.body, "R47C-IMPORTED-OTHER-PERSON") {
		t.Errorf("imported Observation of the collection's own Patient (fullUrl http://pas.example/fhir/Patient/jane) filed under carex's Patient/jane: GP $everything %d holds it", r.status)
	}
}

// TestReview47cTransactionDeleteAndConditionalUpdateOfOneItem: a DELETE of
// Patient/p47 and a conditional update whose query matches Patient/p47 in
// one transaction: resolved identities overlap, which FHIR (transaction
// rules) says fails the transaction, as carex's own once() does for plain
// entries. Seen: 200, p47 deleted (v2) and written again (v3, "201
// Created") by one transaction.
func TestReview47cTransactionDeleteAndConditionalUpdateOfOneItem(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/p47", r47cPatient})
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"DELETE","url":"Patient/p47"}},
 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R47C-COND"}]},
  "request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"}}]}`
	r := e.do("POST", "/fhir", gp, body)
	t.Logf("%d %.600s", r.status, r.body)
	if r.status < 400 {
		t.Errorf("a transaction deleting Patient/p47 and conditionally updating the Patient its query matches (p47): %d, want a refusal", r.status)
	}
}

// TestReview47cSoundBundleReadsOfWithheldItems: the nurse's batch and
// transaction GET entries for Jane's HIV diagnosis (withheld) answer 404,
// without its content; a search entry leaves it out.
func TestReview47cSoundBundleReadsOfWithheldItems(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, typ := range []string{"batch", "transaction"} {
		body := `{"resourceType":"Bundle","type":"` + typ + `","entry":[{"request":{"method":"GET","url":"Condition/hiv"}},{"request":{"method":"GET","url":"Condition?patient=jane&code=86406008"}},{"request":{"method":"GET","url":"Condition/hiv/_history/1"}}]}`
		r := e.do("POST", "/fhir", nurse, body)
		if r.status != 200 || strings.Contains(r.body, "GP-HIV") || strings.Contains(r.body, "86406008\"") || !strings.Contains(r.body, "404") {
			t.Errorf("%s: %d %.800s", typ, r.status, r.body)
		}
	}
}

// TestReview47cSoundImportLabelsFromAttachmentAndBinaryContext: an import
// (transaction) of a DocumentReference whose attached text names an HIV
// code, with its Binary (securityContext by urn:uuid): both withheld from
// the nurse, released to the source.
func TestReview47cSoundImportLabelsFromAttachmentAndBinaryContext(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	text := base64.StdEncoding.EncodeToString([]byte("Diagnosis: HIV infection (SNOMED CT 86406008). R47C-LETTER"))
	raw := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:6a4f2a40-0000-4000-8000-000000000001","resource":{"resourceType":"DocumentReference","id":"r47c-doc","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"Letter"},"content":[{"attachment":{"contentType":"text/plain","data":"` + text + `"}}]},"request":{"method":"PUT","url":"DocumentReference/r47c-doc"}},
 {"resource":{"resourceType":"Binary","id":"r47c-bin","contentType":"text/plain","securityContext":{"reference":"urn:uuid:6a4f2a40-0000-4000-8000-000000000001"},"data":"` + text + `"},"request":{"method":"PUT","url":"Binary/r47c-bin"}}]}`
	if _, err := e.api.Import(context.Background(), r47cImporter("RHX", "nhs"), []byte(raw)); err != nil {
		t.Fatal(err)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/DocumentReference/r47c-doc", "/fhir/Binary/r47c-bin", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, text[:20]) || strings.Contains(r.body, "R47C-LETTER") {
			t.Errorf("nurse %s: %d released the HIV letter: %.300s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Binary/r47c-bin", e.token("system", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("source's Binary: %d", r.status)
	}
}

// TestReview47cSoundOversizedTransactionStoresNothing: a transaction over
// the body limit is a 413 and stores nothing.
func TestReview47cSoundOversizedTransactionStoresNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	big := strings.Repeat("x", 70<<10)
	body := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","id":"r47c-big","status":"final","code":{"text":"` + big + `"},"subject":{"reference":"Patient/jane"}},"request":{"method":"PUT","url":"Observation/r47c-big"}}]}`
	if r := e.do("POST", "/fhir", hosp, body); r.status != 413 {
		t.Errorf("oversized transaction: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Observation/r47c-big", hosp, ""); r.status != 404 {
		t.Errorf("stored: %d", r.status)
	}
}

// TestReview47cImportRefusesModifierExtensionAsPOSTDoes: POST /fhir refuses
// a transaction whose entry request carries a modifierExtension ("carex
// cannot act on what it does not understand"); carex import of the same
// Bundle file decodes it leniently and applies the entry regardless.
func TestReview47cImportRefusesModifierExtensionAsPOSTDoes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	raw := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","id":"r47c-mod","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"}},
 "request":{"method":"PUT","url":"Observation/r47c-mod","modifierExtension":[{"url":"http://example.org/do-not-apply","valueBoolean":true}]}}]}`
	hosp := e.token("system", "nhs", "RHX")
	if r := e.do("POST", "/fhir", hosp, raw); r.status != 400 {
		t.Fatalf("POST /fhir: %d %.300s", r.status, r.body)
	}
	_, err := e.api.Import(context.Background(), r47cImporter("RHX", "nhs"), []byte(raw))
	if r := e.do("GET", "/fhir/Observation/r47c-mod", hosp, ""); err == nil || r.status != 404 {
		t.Errorf("import of the Bundle POST /fhir refuses (request.modifierExtension): err %v, Observation stored: %d", err, r.status)
	}
}

// TestReview47cSoundTransactionIfMatchOnWithheldItemTellsNoVersion: the
// community trust's system, in a transaction, updates and deletes the GP's
// Condition/hiv (withheld from it) with ifMatch at its true version and at
// a wrong one: the answers are the same (status and outcome), so they do
// not tell its version or that it exists beyond what a taken id does.
func TestReview47cSoundTransactionIfMatchOnWithheldItemTellsNoVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trust := e.token("system", "nhs", "RCX")
	for _, m := range []string{"PUT", "DELETE"} {
		var got [2]string
		for i, v := range []string{`W/\"1\"`, `W/\"7\"`} {
			entry := `{"request":{"method":"DELETE","url":"Condition/hiv","ifMatch":"` + v + `"}}`
			if m == "PUT" {
				entry = `{"resource":{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"x"}},"request":{"method":"PUT","url":"Condition/hiv","ifMatch":"` + v + `"}}`
			}
			r := e.do("POST", "/fhir", trust, `{"resourceType":"Bundle","type":"transaction","entry":[`+entry+`]}`)
			got[i] = fmt.Sprint(r.status) + " " + r.body
		}
		if got[0] != got[1] {
			t.Errorf("%s with ifMatch at the withheld item's version vs another: %q vs %q", m, got[0], got[1])
		}
	}
}

// TestReview47cSoundImportedCopyOfRestrictedPerson: the GP's Jane is
// restricted (R). The hospital's import of its own record of her — by her
// NHS number written with spaces, or linked to Patient/jane — does not
// release her address or telephone to the nurse.
func TestReview47cSoundImportedCopyOfRestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	restricted := strings.Replace(janeJSON, `"id":"jane",`, `"id":"jane","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"address":[{"line":["GP-SECRET-ADDRESS"]}],`, 1)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/jane", restricted})
	raw := `{"resourceType":"Bundle","type":"collection","entry":[
 {"resource":{"resourceType":"Patient","id":"hosp-j1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Smith"}],"address":[{"line":["R47C-HOSP-ADDRESS-1"]}],"telecom":[{"system":"phone","value":"R47C-PHONE-1"}]}},
 {"resource":{"resourceType":"Patient","id":"hosp-j2","link":[{"other":{"reference":"Patient/jane"},"type":"seealso"}],"name":[{"family":"Smith"}],"address":[{"line":["R47C-HOSP-ADDRESS-2"]}]}},
 {"resource":{"resourceType":"CareTeam","id":"hosp-j-team","status":"active","subject":{"reference":"Patient/hosp-j1"},"participant":[{"member":{"reference":"Organization/RCX"}}]}},
 {"resource":{"resourceType":"CareTeam","id":"hosp-j-team2","status":"active","subject":{"reference":"Patient/hosp-j2"},"participant":[{"member":{"reference":"Organization/RCX"}}]}}]}`
	if _, err := e.api.Import(context.Background(), r47cImporter("RHX", "nhs"), []byte(raw)); err != nil {
		t.Fatal(err)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/hosp-j1", "/fhir/Patient/hosp-j2", "/fhir/Patient?identifier=9434765919", "/fhir/Patient/jane/$everything", "/fhir/Patient/hosp-j1/$everything"} {
		r := e.do("GET", p, nurse, "")
		if strings.Contains(r.body, "R47C-HOSP-ADDRESS") || strings.Contains(r.body, "R47C-PHONE") || strings.Contains(r.body, "GP-SECRET-ADDRESS") {
			t.Errorf("nurse %s: %d released the restricted person's address/phone: %.500s", p, r.status, r.body)
		}
	}
}
