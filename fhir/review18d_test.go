package fhir

import (
	"strings"
	"testing"
)

// TestReview18dWithLinksInURILists: a transaction replaced an entry's
// fullUrl in references, uri values and narratives, but not in a list of
// canonicals or uris (CarePlan.instantiatesCanonical), in
// QuestionnaireResponse.questionnaire nor in meta.source. Each string of
// such a list is a link; a string list of another element (a name's
// given) is not, nor is a reference when only links are replaced.
func TestReview18dWithLinksInURILists(t *testing.T) {
	raw := []byte(`{"resourceType":"CarePlan","meta":{"source":"urn:uuid:b"},"instantiatesCanonical":[ "urn:uuid:b" ,"urn:uuid:c"],` +
		`"instantiatesUri":["urn:uuid:c","urn:uuid:b"],"status":"active","intent":"plan","contained":[{"resourceType":"Patient","id":"p","name":[{"given":["urn:uuid:b"]}]}],` +
		`"subject":{"reference":"urn:uuid:b"}}`)
	r, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := string(r.WithLinks(nil, map[string]string{"urn:uuid:b": "CarePlan/2"}))
	want := strings.NewReplacer(`"source":"urn:uuid:b"`, `"source":"CarePlan/2"`, `[ "urn:uuid:b" ,`, `[ "CarePlan/2" ,`,
		`"urn:uuid:c","urn:uuid:b"]`, `"urn:uuid:c","CarePlan/2"]`).Replace(string(raw))
	if got != want {
		t.Errorf("WithLinks:\n got %s\nwant %s", got, want)
	}
}
