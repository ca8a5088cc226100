package fhir

import "testing"

// TestReview18bWithLinksInNarrative: WithLinks replaces an entry's fullUrl
// in a narrative's href and src attributes too (FHIR's transaction rules),
// however quoted, and nothing else of the narrative: its text naming the
// urn, a data-src attribute and another urn stay. It failed when first
// written (the narrative was left as written).
func TestReview18bWithLinksInNarrative(t *testing.T) {
	raw := []byte(`{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">urn:uuid:b <a href=\"urn:uuid:b\">x</a><img SRC='urn:uuid:b' data-src=\"urn:uuid:b\"/><a href=urn:uuid:b>y</a><a href=\"urn:uuid:c\">&amp;</a></div>"},"status":"final","code":{"text":"x"}}`)
	r, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := string(r.WithLinks(nil, map[string]string{"urn:uuid:b": "Binary/2"}))
	want := `{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">urn:uuid:b <a href=\"Binary/2\">x</a><img SRC='Binary/2' data-src=\"urn:uuid:b\"/><a href=Binary/2>y</a><a href=\"urn:uuid:c\">&amp;</a></div>"},"status":"final","code":{"text":"x"}}`
	if got != want {
		t.Errorf("WithLinks:\n got %s\nwant %s", got, want)
	}
}
