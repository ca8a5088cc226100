package api_test

// Review 15b: the access log's naming of people (refused requests of
// every form) and IG's reports of them.

import (
	"encoding/json"
	"fmt"
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

// TestReview15bRefusedConditionalWriteNamesTheQuerysPerson: a conditional
// update (PUT /fhir/Condition?patient=jane&identifier=…) refused before
// the write decision — no or an expired token (401), a token claiming the
// purpose "marketing" (403) — was logged naming no one, though its query
// names Jane as a search's does (a GET search with the same query and
// token is logged under her: review 13b), and so was a conditional delete
// (not supported, 405). The entry should name the one person the query
// names. Nothing is stored and the answer is unchanged.
func TestReview15bRefusedConditionalWriteNamesTheQuerysPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	exp := e.expiredToken()
	body := `{"resourceType":"Condition","identifier":[{"system":"urn:x","value":"v1"}],"subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`
	for _, c := range []struct {
		name, method, query, tok string
		status                   int
	}{
		{"conditional update, expired token", "PUT", "patient=jane&identifier=urn:x|v1", exp, 401},
		{"conditional update, no token", "PUT", "subject=Patient/jane&identifier=urn:x|v1", "", 401},
		{"conditional update, marketing purpose", "PUT", "patient=jane&identifier=urn:x|v1", mk, 403},
		{"conditional delete, expired token", "DELETE", "patient=jane", exp, 401},
		{"conditional delete, working token", "DELETE", "patient=jane", gp, 405},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := body
			if c.method == "DELETE" {
				b = ""
			}
			r := e.do(c.method, "/fhir/Condition?"+c.query, c.tok, b)
			if r.status != c.status {
				t.Fatalf("%s ?%s: %d, want %d: %s", c.method, c.query, r.status, c.status, r.body)
			}
			if got := e.loggedPeople(t, c.method, "/fhir/Condition"); !slices.Contains(got, "jane") {
				t.Errorf("%s /fhir/Condition?%s refused with %d is logged naming %v: not Jane, whom its query names", c.method, c.query, r.status, got)
			}
		})
	}
	if r := e.do("GET", "/fhir/Condition?identifier=urn:x|v1", gp, ""); !strings.Contains(r.body, `"total":0`) {
		t.Errorf("something was stored: %s", r.body)
	}
}

// TestReview15bRefusedAnswersDoNotTellWhatIsStored: a probe (passed when
// first written) that naming a refused request's people from the store
// (86c6124, review 14a, and this review's conditional writes and refused
// transactions) tells the requester nothing: the answer to a request
// refused before the handler — no token, an expired one, a purpose that is
// not direct care — has the same status, headers (but the request id) and
// body (but the Date) whether the item its URL names exists, was deleted, or never did.
func TestReview15bRefusedAnswersDoNotTellWhatIsStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("DELETE", "/fhir/Observation/hba1c", gp, ""); r.status != 204 {
		t.Fatalf("deleting hba1c: %d %s", r.status, r.body)
	}
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	exp := e.expiredToken()
	body := func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`
	}
	for _, tok := range []string{"", exp, mk} {
		for _, form := range []struct{ method, path, body string }{
			{"GET", "/fhir/Observation/%s", ""},
			{"HEAD", "/fhir/Observation/%s", ""},
			{"GET", "/fhir/Observation/%s/_history", ""},
			{"GET", "/fhir/Observation/%s/_history/1", ""},
			{"PUT", "/fhir/Observation/%s", "body"},
			{"DELETE", "/fhir/Observation/%s", ""},
			{"PATCH", "/fhir/Observation/%s", ""},
			{"PUT", "/fhir/Observation?_id=%s", "body"},
			{"POST", "/fhir", "tx"},
		} {
			var first resp
			for i, id := range []string{"hba1c", "never-was"} {
				b := ""
				switch form.body {
				case "body":
					b = body(id)
				case "tx":
					b = `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Observation/` + id + `"}}]}`
				}
				path := strings.Replace(form.path, "%s", id, 1)
				r := e.do(form.method, path, tok, b)
				if r.status < 400 {
					t.Fatalf("%s %s: %d, want it refused", form.method, path, r.status)
				}
				r.header.Del("X-Request-Id")
				r.header.Del("Date") // the server's clock, not the item
				if i == 0 {
					first = r
					continue
				}
				if r.status != first.status || r.body != first.body || fmt.Sprint(r.header) != fmt.Sprint(first.header) {
					t.Errorf("%s %s refused: %d %v %s; for the stored item: %d %v %s", form.method, path, r.status, r.header, r.body, first.status, first.header, first.body)
				}
			}
		}
	}
}

// TestReview15bSearchRefusedForItsPurposeNamesThePerson: a search naming
// Jane (Condition?patient=jane, subject=jane, a POST _search with it in
// its URL, Patient?_id=jane) by a token claiming the purpose "marketing"
// (403, refused before the search ran) was logged naming no one, though
// the same search with an expired token (401) is logged under her (review
// 13b) and one refused by the sharing decision is too: her $who-accessed
// missed an attempt to read her record for marketing. The entry should
// name the person the query names, refused or not.
func TestReview15bSearchRefusedForItsPurposeNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	for _, c := range []struct{ method, path, query string }{
		{"GET", "/fhir/Condition", "patient=jane"},
		{"GET", "/fhir/Condition", "subject=jane"},
		{"HEAD", "/fhir/Observation", "subject=Patient/jane&code=4548-4"},
		{"POST", "/fhir/Condition/_search", "patient=jane"},
		{"GET", "/fhir/Patient", "_id=jane"},
	} {
		t.Run(c.method+" "+c.path+"?"+c.query, func(t *testing.T) {
			r := e.do(c.method, c.path+"?"+c.query, mk, "")
			if r.status != 403 {
				t.Fatalf("%d, want 403: %s", r.status, r.body)
			}
			if got := e.loggedPeople(t, c.method, c.path); !slices.Contains(got, "jane") {
				t.Errorf("refused for its purpose, logged naming %v: not Jane, whom its query names", got)
			}
		})
	}
}
