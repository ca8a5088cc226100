package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestReview14aWithheldItemWriteAnswersIgnoreIfMatch: a probe that a write
// over an item withheld from the writer (the GP's HIV diagnosis of Jane,
// written by the hospital's clinician and its client system) answers the
// same whatever If-Match it carries — right version, wrong version or
// none — by PUT, DELETE and as a transaction entry, so that a 412 naming
// the current version cannot tell the writer the item exists or how often
// it changed; and that conditional creates and updates whose condition
// matches only the withheld item create a new one. Passed when first
// written (review 14a).
func TestReview14aWithheldItemWriteAnswersIgnoreIfMatch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	body := `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`
	for _, tok := range []string{e.token("hospital-clinician", "nhs", "RHX"), e.token("system", "nhs", "RHX")} {
		answers := map[string]string{}
		for _, m := range []string{"", `W/"1"`, `W/"9"`} {
			var h []string
			im := ""
			if m != "" {
				h = []string{"If-Match", m}
				im = `,"ifMatch":"` + strings.ReplaceAll(m, `"`, `\"`) + `"`
			}
			got := []string{}
			r := e.do("PUT", "/fhir/Condition/hiv", tok, body, h...)
			got = append(got, fmt.Sprintf("PUT %d %s", r.status, r.body))
			r = e.do("DELETE", "/fhir/Condition/hiv", tok, "", h...)
			got = append(got, fmt.Sprintf("DELETE %d %s", r.status, r.body))
			r = e.do("POST", "/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Condition/hiv"`+im+`},"resource":`+body+`}]}`)
			got = append(got, fmt.Sprintf("TX PUT %d %s", r.status, r.body))
			r = e.do("POST", "/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition/hiv"`+im+`}}]}`)
			got = append(got, fmt.Sprintf("TX DELETE %d %s", r.status, r.body))
			for _, g := range got {
				if strings.Contains(g, " 412 ") || strings.Contains(g, "version") {
					t.Errorf("If-Match %q over a withheld item: %s", m, g)
				}
			}
			answers[m] = strings.Join(got, "\n")
		}
		if answers[""] != answers[`W/"1"`] || answers[""] != answers[`W/"9"`] {
			t.Errorf("answers over a withheld item differ by If-Match:\nnone:\n%s\nW/\"1\":\n%s\nW/\"9\":\n%s", answers[""], answers[`W/"1"`], answers[`W/"9"`])
		}
		noID := strings.Replace(body, `"id":"hiv",`, "", 1)
		for _, c := range []struct{ method, path, cond string }{
			{"POST", "/fhir/Condition", "_id=hiv"},
			{"POST", "/fhir/Condition", "patient=jane&code=86406008"},
			{"PUT", "/fhir/Condition?patient=jane&code=86406008", ""},
		} {
			var h []string
			if c.cond != "" {
				h = []string{"If-None-Exist", c.cond}
			}
			if r := e.do(c.method, c.path, tok, noID, h...); r.status != 201 || strings.Contains(r.body, `"hiv"`) || strings.Contains(r.body, "86406008") {
				t.Errorf("%s %s %s matching only the withheld item: %d %s, want 201 and a new item", c.method, c.path, c.cond, r.status, r.body)
			}
		}
	}
	// Nothing changed the withheld item.
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("system", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, `"versionId":"1"`) {
		t.Errorf("the GP's item after the refused writes: %d %s", r.status, r.body)
	}
}

// TestReview14aConcurrentIfMatchOneWins: a probe that of concurrent PUTs
// and DELETEs of one item each carrying If-Match W/"1", exactly one is
// stored and every other is a 412, and that versions after a delete go
// on from the delete marker (a re-creation is 201 with the next version,
// its deleted version a 410). Passed when first written (review 14a).
func TestReview14aConcurrentIfMatchOneWins(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r resp
			if i%2 == 0 {
				r = e.do("PUT", "/fhir/Observation/hba1c", gp, fmt.Sprintf(`{"resourceType":"Observation","id":"hba1c","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"v%d"}}`, i), "If-Match", `W/"1"`)
			} else {
				r = e.do("DELETE", "/fhir/Observation/hba1c", gp, "", "If-Match", `W/"1"`)
			}
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	// The others are 412, except that once a DELETE has won, a write that
	// finds the item deleted may be told so (404) before its version is
	// compared: which comes first is the scheduler's choice.
	if codes[200]+codes[204] != 1 || codes[412]+codes[404] != 7 || codes[404] > 0 && codes[204] != 1 {
		t.Errorf("concurrent writes on W/\"1\": %v, want one stored and seven refused (412, or 404 after a delete won)", codes)
	}
	if r := e.do("GET", "/fhir/Observation/hba1c/_history", gp, ""); !strings.Contains(r.body, `"total":2`) {
		t.Errorf("history after the race: %s", r.body)
	}
	if r := e.do("DELETE", "/fhir/Condition/diabetes", gp, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes/_history/2", gp, ""); r.status != 410 {
		t.Errorf("vread of the delete marker: %d, want 410", r.status)
	}
	r := e.do("PUT", "/fhir/Condition/diabetes", gp, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"again"}}`, "If-Match", `W/"2"`)
	if r.status != 201 || r.header.Get("ETag") != `W/"3"` || !strings.HasSuffix(r.header.Get("Location"), "/Condition/diabetes/_history/3") {
		t.Errorf("re-creation after delete: %d %s %s", r.status, r.header.Get("ETag"), r.header.Get("Location"))
	}
}
