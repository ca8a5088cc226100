package api_test

// Review 15b: the access log's naming of people (refused requests of
// every form) and IG's reports of them.

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
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

// TestReview15bBreakGlassOfARefusedRequestIsNotReportedAsGranted: IG's
// break-glass alert told a refused break-glass from a granted one only by
// the break-glass refusal codes (a role that may not, a reason that is no
// reason: fcf1916). A district nurse whose token claims the purpose
// "marketing" (refused, 403, before any decision: nothing opened, no grant
// stored) asking for Jane's record with a proper reason was reported as
// "break-glass: <reason>", exactly like a nurse whose grant opened it.
// A break-glass whose request was refused (401, 403) should be listed
// apart as refused; a granted one, after it, by the same user, as
// granted.
func TestReview15bBreakGlassOfARefusedRequestIsNotReportedAsGranted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	const refused, granted = "EMERGENCY: collapsed at home, first try", "EMERGENCY: collapsed at home, second try"
	mk := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Purpose = "HMARKT"; c.Sub = "nurse-15b" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", mk, "", "X-Break-Glass", refused); r.status != 403 {
		t.Fatalf("break-glass with a marketing purpose: %d, want 403: %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	detail := func() string {
		t.Helper()
		r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
		var rep alerts12d
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
			t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
		}
		for _, al := range rep.Alerts {
			if al.Kind == "break-glass" && al.Sub == "nurse-15b" {
				return al.Detail
			}
		}
		t.Fatalf("no break-glass alert for the nurse: %s", r.body)
		return ""
	}
	if d := detail(); !strings.Contains(d, "break-glass refused: "+refused) || strings.Contains(d, "break-glass: "+refused) {
		t.Errorf("a break-glass refused with the request (purpose not served) reads %q: want it listed as refused", d)
	}
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "nurse-15b" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Break-Glass", granted); r.status != 200 {
		t.Fatalf("the nurse's break-glass: %d %.300s", r.status, r.body)
	}
	if d := detail(); !strings.Contains(d, "break-glass refused: "+refused) || !strings.Contains(d, "break-glass: "+granted) || strings.Contains(d, "refused: "+granted) {
		t.Errorf("after a refused and a granted break-glass the alert reads %q", d)
	}
}
