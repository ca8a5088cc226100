package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 47c: import and bundles, fresh eyes (SPEC §2 carex import, §3
// POST /fhir transaction and batch, §5, §6, §7).

func r47cImporter(org, sector string) *auth.Principal {
	return &auth.Principal{Sub: "carex-import", Name: "carex import", Org: org, Sector: sector, Role: "system", Purpose: "TREAT"}
}

const r47cPatient = `{"resourceType":"Patient","id":"p47","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R47C","given":["Pat"]}],"gender":"male","birthDate":"1960-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`

// TestReview47cTransactionTwoConditionalUpdatesOfOneItem: two entries of one
// transaction, both a conditional update whose query matches the same stored
// Patient, change one resource twice. FHIR (transaction processing) and
// carex's own rule for plain PUTs (once: "entry[i] and entry[j] both change
// Type/id") refuse it as a whole: a transaction is all or nothing and
// which entry wins must not depend on order. Expected: 400/409/412/422 and
// the Patient unchanged.
func TestReview47cTransactionTwoConditionalUpdatesOfOneItem(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/p47", r47cPatient})
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R47C-FIRST"}],"generalPractitioner":[{"reference":"Organization/A81001"}]},
  "request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"}},
 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R47C-SECOND"}],"generalPractitioner":[{"reference":"Organization/A81001"}]},
  "request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"}}]}`
	r := e.do("POST", "/fhir", gp, body)
	after := e.do("GET", "/fhir/Patient/p47/_history", gp, "")
	if r.status < 400 {
		t.Errorf("transaction with two conditional updates matching Patient/p47: %d (want a refusal, nothing stored)\nresponse: %.700s\nhistory: %.900s", r.status, r.body, after.body)
	}
	if strings.Contains(after.body, "R47C-FIRST") || strings.Contains(after.body, "R47C-SECOND") {
		t.Errorf("history after: %.900s", after.body)
	}
}

// TestReview47cTransactionConditionalAndPlainUpdateOfOneItem: a conditional
// update matching Patient/p47 and a plain PUT Patient/p47 in one transaction.
func TestReview47cTransactionConditionalAndPlainUpdateOfOneItem(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/p47", r47cPatient})
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R47C-COND"}],"generalPractitioner":[{"reference":"Organization/A81001"}]},
  "request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"}},
 {"resource":{"resourceType":"Patient","id":"p47","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R47C-PLAIN"}],"generalPractitioner":[{"reference":"Organization/A81001"}]},
  "request":{"method":"PUT","url":"Patient/p47"}}]}`
	r := e.do("POST", "/fhir", gp, body)
	after := e.do("GET", "/fhir/Patient/p47/_history", gp, "")
	if r.status < 400 {
		t.Errorf("transaction with a conditional and a plain update of Patient/p47: %d (want a refusal)\nresponse: %.700s\nhistory: %.900s", r.status, r.body, after.body)
	}
}

// TestReview47cTransactionRelativeReferenceToAnEntrysRestfulFullUrl: a
// feed's transaction POSTs its Patient with fullUrl
// http://feed.example/fhir/Patient/jane and an Observation whose subject
// is the relative "Patient/jane". FHIR R4 (Bundle, resolving references):
// a relative reference in an entry whose fullUrl is RESTful is resolved
// against that base, and so names the Patient entry, which the server
// creates under a new id; the Observation must follow it. Left as it is,
// it is filed under carex's Patient/jane — another person, the GP's —
// and released to everyone who shares her record.
func TestReview47cTransactionRelativeReferenceToAnEntrysRestfulFullUrl(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"http://feed.example/fhir/Patient/jane","resource":{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Other","given":["Person"]}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Observation/o1","resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"R47C-OTHER-PERSONS-RESULT"},"subject":{"reference":"Patient/jane"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Skipf("transaction refused: %d %.500s", r.status, r.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	ev := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	if strings.Contains(ev.body, "R47C-OTHER-PERSONS-RESULT") {
		t.Errorf("the feed's Observation for the person it POSTed (fullUrl http://feed.example/fhir/Patient/jane) was filed under carex's Patient/jane: GP $everything %d holds it\ntransaction response: %.900s", ev.status, r.body)
	}
}

// TestReview47cSoundImportLabelsAsAPut: a hospital's import (collection)
// of an HIV-coded Condition for Jane is labelled on the way in and withheld
// from the nurse, who shares Jane's record; a restricted (R) Patient
// imported by the hospital keeps her address from the nurse.
func TestReview47cSoundImportLabelsAsAPut(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	raw := `{"resourceType":"Bundle","type":"collection","entry":[
 {"resource":{"resourceType":"Condition","id":"r47c-hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"R47C-IMPORTED-HIV"}}},
 {"resource":{"resourceType":"Condition","id":"r47c-plain","subject":{"reference":"Patient/jane"},"code":{"text":"R47C-IMPORTED-PLAIN"}}}]}`
	if _, err := e.api.Import(context.Background(), r47cImporter("RHX", "nhs"), []byte(raw)); err != nil {
		t.Fatal(err)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/r47c-plain", nurse, ""); r.status != 200 {
		t.Fatalf("plain imported condition: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/r47c-hiv", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Condition/r47c-hiv/_history"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "R47C-IMPORTED-HIV") {
			t.Errorf("nurse %s: %d released the imported HIV diagnosis: %.400s", p, r.status, r.body)
		}
	}
	hospSys := e.token("system", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/r47c-hiv", hospSys, ""); r.status != 200 || !strings.Contains(r.body, "HIV") {
		t.Errorf("source reads its imported item: %d %.300s", r.status, r.body)
	}
}

// TestReview47cSoundImportCannotChangeAnotherOrganisationsItem: an import
// as the hospital of a collection carrying the GP's Condition/diabetes (by
// its id), a transaction deleting the GP's Condition/hiv, and a batch with
// a conditional update matching the GP's Patient: each refused as a whole,
// the bundle's other, new entry not stored.
func TestReview47cSoundImportCannotChangeAnotherOrganisationsItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	imp := r47cImporter("RHX", "nhs")
	newObs := func(id string) string {
		return `{"resource":{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"R47C-NEW"},"subject":{"reference":"Patient/jane"}},"request":{"method":"PUT","url":"Observation/` + id + `"}}`
	}
	cases := map[string]string{
		"overwrite": `{"resourceType":"Bundle","type":"collection","entry":[` + newObs("r47c-n1") + `,{"resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"R47C-OVERWRITTEN"}}}]}`,
		"delete":    `{"resourceType":"Bundle","type":"transaction","entry":[` + newObs("r47c-n2") + `,{"request":{"method":"DELETE","url":"Condition/hiv"}}]}`,
		"condput":   `{"resourceType":"Bundle","type":"batch","entry":[` + newObs("r47c-n3") + `,{"resource":{"resourceType":"Patient","name":[{"family":"R47C-OVER"}]},"request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}}]}`,
		"read":      `{"resourceType":"Bundle","type":"batch","entry":[` + newObs("r47c-n4") + `,{"request":{"method":"GET","url":"Condition/hiv"}}]}`,
	}
	for name, raw := range cases {
		_, err := e.api.Import(context.Background(), imp, []byte(raw))
		t.Logf("%s: %v", name, err)
		if name == "condput" {
			// The GP's Patient is not the hospital's to see: its condition
			// matches nothing, and a new Patient of the hospital is made.
			if r := e.do("GET", "/fhir/Patient/jane", e.token("gp", "nhs", "A81001"), ""); strings.Contains(r.body, "R47C-OVER") {
				t.Errorf("%s: the GP's Patient was overwritten: %.300s", name, r.body)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: imported", name)
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/diabetes", gp, ""); strings.Contains(r.body, "R47C-OVERWRITTEN") {
		t.Errorf("diabetes overwritten: %s", r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", gp, ""); r.status != 200 {
		t.Errorf("hiv deleted: %d", r.status)
	}
	for _, id := range []string{"r47c-n1", "r47c-n2", "r47c-n4"} {
		if r := e.do("GET", "/fhir/Observation/"+id, e.token("system", "nhs", "RHX"), ""); r.status != 404 {
			t.Errorf("Observation/%s stored by a refused import: %d", id, r.status)
		}
	}
}

// TestReview47cSoundCancelledImportStoresNothing: an import whose context
// is cancelled (Ctrl-C) stores nothing of its bundle.
func TestReview47cSoundCancelledImportStoresNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","id":"r47c-c1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"}}}]}`
	_, err := e.api.Import(ctx, r47cImporter("RHX", "nhs"), []byte(raw))
	if r := e.do("GET", "/fhir/Observation/r47c-c1", e.token("system", "nhs", "RHX"), ""); r.status != 404 {
		t.Errorf("cancelled import (err %v) stored: %d", err, r.status)
	}
}
