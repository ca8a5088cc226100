package api

// Cases found in a review of 5a74fac (merged records, the reference
// lookup budget, labels, relabel's lock). Each test's comment says what
// went wrong before its fix; the test asserts what must hold now.

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The codings fix of 5a74fac, for meta.security: an attachment's FHIR
// JSON (or a contained resource) carrying ~1 MiB of distinct security
// codes. securityLabels dedupes with slices.Contains (quadratic), and so
// does derive when adding them to w.Labels.
func TestReview3AttachmentSecurityLabelsQuadratic(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Condition","meta":{"security":[`)
	n := 0
	for b.Len() < 1<<20 {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"code":"L%d"}`, n)
		n++
	}
	b.WriteString(`]}}`)
	doc := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` +
		base64.StdEncoding.EncodeToString([]byte(b.String())) + `"}}]}`
	m := decodeMap([]byte(doc))
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, inner := range fhirAttachments(m) {
			securityLabels(inner)
		}
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("labelling one %d-byte write (%d security codes) took %v", len(doc), n, d)
	}
}

// TestAttachmentOfManyValuesIsCheap: an attachment of millions of JSON
// values (not resources) is not walked value by value (an 8 MB write of
// them took 2.3 s; found in review).
func TestAttachmentOfManyValuesIsCheap(t *testing.T) {
	data := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("{}", 3_000_000)))
	m := decodeMap([]byte(`{"resourceType":"DocumentReference","content":[{"attachment":{"contentType":"application/fhir+json","data":"` + data + `"}}]}`))
	start := time.Now()
	if docs := fhirAttachments(m); len(docs) != 0 {
		t.Errorf("%d documents from values that are not resources", len(docs))
	}
	if d := time.Since(start); d > 2*time.Second { // about 2 s before, over 3 million values
		t.Errorf("reading the attachment took %v", d)
	}
}
