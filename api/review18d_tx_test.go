package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReview18dTransactionRewritesCanonicalLists: FHIR's transaction rules
// (http.html#trules) have a server replace an entry's fullUrl wherever the
// bundle names it in a reference or an element of type uri (canonical and
// url among them). carex replaced it in references, attachment urls, uri
// values and narratives, but not in uri and canonical lists (a care plan's
// or a task's instantiatesCanonical and instantiatesUri), in
// QuestionnaireResponse.questionnaire, nor in meta.source: a council
// system's assessment sent in one transaction with what it instantiates
// was stored naming urn:uuid:…, which names nothing after the commit.
func TestReview18dTransactionRewritesCanonicalLists(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	const plan = "urn:uuid:5d1f8f0e-2c4b-4f6a-9a51-18d000000001"
	const quest = "urn:uuid:5d1f8f0e-2c4b-4f6a-9a51-18d000000002"
	const src = "urn:uuid:5d1f8f0e-2c4b-4f6a-9a51-18d000000003"
	const none = "urn:uuid:5d1f8f0e-2c4b-4f6a-9a51-18d0000000ff"
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"` + plan + `","resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"PLAN18D"},"request":{"method":"POST","url":"CarePlan"}},
	 {"fullUrl":"` + quest + `","resource":{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"description":"FORM18D",
	   "content":[{"attachment":{"contentType":"text/plain","data":"Rk9STQ=="}}]},"request":{"method":"POST","url":"DocumentReference"}},
	 {"fullUrl":"` + src + `","resource":{"resourceType":"Observation","status":"final","code":{"text":"SRC18D"},"subject":{"reference":"Patient/jane"}},"request":{"method":"POST","url":"Observation"}},
	 {"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"CHILD18D",
	   "meta":{"source":"` + src + `"},
	   "instantiatesCanonical":["` + plan + `","` + none + `"],"instantiatesUri":["` + none + `","` + plan + `"]},"request":{"method":"POST","url":"CarePlan"}},
	 {"resource":{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"description":"TASK18D",
	   "instantiatesCanonical":"` + plan + `","instantiatesUri":"` + plan + `"},"request":{"method":"POST","url":"Task"}},
	 {"resource":{"resourceType":"QuestionnaireResponse","status":"completed","subject":{"reference":"Patient/jane"},"questionnaire":"` + quest + `"},"request":{"method":"POST","url":"QuestionnaireResponse"}}]}`
	r := e.do("POST", "/fhir", sys, tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	var out struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out.Entry) != 6 {
		t.Fatalf("transaction response: %v %s", err, r.body)
	}
	id := func(i int) string { s, _ := out.Entry[i].Resource["id"].(string); return s }
	planRef, questRef, srcRef := "CarePlan/"+id(0), "DocumentReference/"+id(1), "Observation/"+id(2)
	stored := map[string][]string{
		"/fhir/CarePlan/" + id(3):              {`"instantiatesCanonical":["` + planRef + `","` + none + `"]`, `"instantiatesUri":["` + none + `","` + planRef + `"]`, `"source":"` + srcRef + `"`},
		"/fhir/Task/" + id(4):                  {`"instantiatesCanonical":"` + planRef + `"`, `"instantiatesUri":"` + planRef + `"`},
		"/fhir/QuestionnaireResponse/" + id(5): {`"questionnaire":"` + questRef + `"`},
	}
	for path, wants := range stored {
		body := e.do("GET", path, sys, "").body
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("%s as stored lacks %s: %s", path, want, body)
			}
		}
		for _, urn := range []string{plan, quest, src} {
			if strings.Contains(body, urn) {
				t.Errorf("%s as stored still names the bundle-local %s", path, urn)
			}
		}
	}
	// The echoed copies are those stored.
	for i, wants := range map[int][]string{3: stored["/fhir/CarePlan/"+id(3)], 5: stored["/fhir/QuestionnaireResponse/"+id(5)]} {
		b, _ := json.Marshal(out.Entry[i].Resource)
		for _, want := range wants {
			if !strings.Contains(string(b), want) {
				t.Errorf("entry %d as echoed lacks %s: %s", i, want, b)
			}
		}
	}
}
