package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTransactionRewritesAttachmentURLs: FHIR's transaction rules replace
// a bundle entry's fullUrl wherever the bundle links to it, in
// references and in uri and url elements alike. carex replaced it only in
// references, so the common way a GP or hospital system sends a letter (a
// Binary with fullUrl urn:uuid:…, and a DocumentReference whose
// attachment url is that urn) stored the letter's link as the urn, which
// names nothing: the district nurse opening the document could not fetch
// the letter, and carex could not tell that the url named it. Now an
// attachment's url and an extension's uri values naming an entry of the
// transaction are stored as Type/id; a string that is not a uri (an
// identifier's value) and a urn naming no entry are kept as written.
func TestTransactionRewritesAttachmentURLs(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	const bin = "urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1a01"
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"` + bin + `","resource":{"resourceType":"Binary","contentType":"text/plain","data":"TEVUVEVS"},"request":{"method":"POST","url":"Binary"}},
	 {"fullUrl":"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1a02","resource":{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},
	   "masterIdentifier":{"system":"urn:ietf:rfc:3986","value":"` + bin + `"},
	   "extension":[{"url":"http://e.example/letter","valueUri":"` + bin + `"},{"url":"http://e.example/other","valueUri":"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1aff"}],
	   "content":[{"attachment":{"contentType":"text/plain","url":"` + bin + `","title":"Discharge letter"}}]},"request":{"method":"POST","url":"DocumentReference"}}]}`
	r := e.do("POST", "/fhir", sys, tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	var out struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out.Entry) != 2 {
		t.Fatalf("transaction response: %v %s", err, r.body)
	}
	binID, _ := out.Entry[0].Resource["id"].(string)
	docID, _ := out.Entry[1].Resource["id"].(string)
	stored := e.do("GET", "/fhir/DocumentReference/"+docID, sys, "")
	for _, want := range []string{`"url":"Binary/` + binID + `"`, `"valueUri":"Binary/` + binID + `"`,
		`"value":"` + bin + `"`, `"valueUri":"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1aff"`} {
		if !strings.Contains(stored.body, want) {
			t.Errorf("stored document lacks %s: %s", want, stored.body)
		}
	}
	if strings.Count(stored.body, bin) != 1 {
		t.Errorf("the bundle-local urn is stored where it names the letter (only the identifier keeps it): %s", stored.body)
	}
	if r := e.do("GET", "/fhir/Binary/"+binID, sys, ""); r.status != 200 {
		t.Errorf("the letter the url names: %d %s", r.status, r.body)
	}
}
