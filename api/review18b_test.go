package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReview18bTransactionRewritesNarrativeLinks: FHIR's transaction rules
// (http.html#trules) have a server replace an entry's fullUrl wherever the
// bundle links to it, "and <a href="" & <img src="" in the narrative" as
// well as in references and uri elements. carex replaced it in references
// and uri/url elements only, so a GP system's letter sent the usual way (a
// Binary as urn:uuid:…, a DocumentReference whose narrative links and shows
// it) was stored with narrative links naming the urn, which names nothing
// after the commit: the nurse's viewer could not follow them. Now href and
// src attributes naming an entry of the transaction are stored as Type/id,
// in the narrative of any entry (one with no other link to it too); a urn naming no entry, and text, are kept
// as written.
func TestReview18bTransactionRewritesNarrativeLinks(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	const bin = "urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1b01"
	const none = "urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1bff"
	div := `<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Letter <a href=\"` + bin + `\">` + bin + `</a>` +
		`<img src='` + bin + `' alt=\"scan\"/> <a href = \"` + none + `\">other</a></p></div>`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"` + bin + `","resource":{"resourceType":"Binary","contentType":"text/plain","data":"TEVUVEVS"},"request":{"method":"POST","url":"Binary"}},
	 {"fullUrl":"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1b02","resource":{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},
	   "text":{"status":"generated","div":"` + div + `"},
	   "content":[{"attachment":{"contentType":"text/plain","url":"` + bin + `","title":"Discharge letter"}}]},"request":{"method":"POST","url":"DocumentReference"}},
	 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"note"},"subject":{"reference":"Patient/jane"},
	   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">See <a href=\"` + bin + `\">the letter</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", sys, tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	var out struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out.Entry) != 3 {
		t.Fatalf("transaction response: %v %s", err, r.body)
	}
	binID, _ := out.Entry[0].Resource["id"].(string)
	docID, _ := out.Entry[1].Resource["id"].(string)
	obsID, _ := out.Entry[2].Resource["id"].(string)
	// An item whose only link to the entry is in its narrative.
	if obs := e.do("GET", "/fhir/Observation/"+obsID, sys, "").body; !strings.Contains(obs, `<a href=\"Binary/`+binID+`\">the letter</a>`) {
		t.Errorf("stored observation's narrative does not link the letter as stored: %s", obs)
	}
	for name, body := range map[string]string{"echoed": r.body, "stored": e.do("GET", "/fhir/DocumentReference/"+docID, sys, "").body} {
		for _, want := range []string{`href=\"Binary/` + binID + `\"`, `src='Binary/` + binID + `'`, `href = \"` + none + `\"`, `\">` + bin + `</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s document's narrative lacks %s: %s", name, want, body)
			}
		}
		if strings.Contains(body, `href=\"`+bin) || strings.Contains(body, `src='`+bin) {
			t.Errorf("%s document's narrative still links the bundle-local urn: %s", name, body)
		}
	}
}
