package api_test

// Review 15b: the access log's naming of people (refused requests of
// every form) and IG's reports of them.

import (
	"slices"
	"strings"
	"testing"
)

// TestReview15bMalformedTransactionNamesItsPeople: a transaction refused
// as a whole before any of its entries was decided — an entry whose
// resource is invalid (422), a method a transaction does not take (400),
// an entry changing the same item twice (400), an envelope with an
// unknown key (422) — was logged naming no one, though its entries would
// have deleted Jane's diagnosis and written Bob's record: Jane's and Bob's
// $who-accessed did not list the attempt, while the same transaction
// refused one step later (by the write decision) was listed under both
// (review 14a). The entry should name the people of every item its
// entries would replace and of every resource its entries carry, as a
// single write refused as invalid does (review 14b). Nothing is stored
// and the answer is unchanged.
func TestReview15bMalformedTransactionNamesItsPeople(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hc := e.token("hospital-clinician", "nhs", "RHX")
	del := `{"request":{"method":"DELETE","url":"Condition/diabetes"}}`
	bob := `{"resourceType":"Condition","id":"bob-c","subject":{"reference":"Patient/bob"},"code":{"text":"X"}}`
	bobBad := `{"resourceType":"Condition","id":"bob-c","subject":{"reference":"Patient/bob"},"code":{"text":"X"},"colour":"red"}`
	for _, c := range []struct {
		name, tx string
		status   int
	}{
		{"an invalid resource", `{"resourceType":"Bundle","type":"transaction","entry":[` + del + `,{"request":{"method":"PUT","url":"Condition/bob-c"},"resource":` + bobBad + `}]}`, 422},
		{"a method a transaction does not take", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Condition/bob-c"},"resource":` + bob + `},` + del + `,{"request":{"method":"PATCH","url":"Condition/hiv"}}]}`, 400},
		{"the same item twice", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Condition/bob-c"},"resource":` + bob + `},` + del + `,` + del + `]}`, 400},
		{"an unknown key in the envelope", `{"resourceType":"Bundle","type":"transaction","colour":"red","entry":[{"request":{"method":"PUT","url":"Condition/bob-c"},"resource":` + bob + `},` + del + `]}`, 422},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/fhir", hc, c.tx)
			if r.status != c.status {
				t.Fatalf("transaction: %d, want %d: %s", r.status, c.status, r.body)
			}
			got := e.loggedPeople(t, "POST", "/fhir")
			if !slices.Contains(got, "jane") || !slices.Contains(got, "bob") {
				t.Errorf("the transaction refused with %d is logged naming %v: want Jane (whose diagnosis it deletes) and Bob (whose record it writes)", r.status, got)
			}
		})
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", e.token("system", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("diabetes after the refused transactions: %d %s", r.status, r.body)
	}
}
