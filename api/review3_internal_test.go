package api

// Cases found in a review of 5a74fac (merged records, the reference
// lookup budget, labels, relabel's lock). Each test's comment says what
// went wrong before its fix; the test asserts what must hold now.

import (
	"encoding/base64"
	"fmt"
	"slices"
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
	// CPU time, not the clock: a busy CI machine stretched the clock
	// (review 7 flake hunt).
	start, cpu0 := time.Now(), cpuTime()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, inner := range fhirAttachments(m) {
			securityLabels(inner)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("labelling one %d-byte write (%d security codes) did not end within %v", len(doc), n, time.Since(start))
	}
	if d := cpuTime() - cpu0; d > 2*time.Second {
		t.Errorf("labelling one %d-byte write (%d security codes) took %v of CPU", len(doc), n, d)
	}
}

// TestAttachmentValuesAreAllRead: every value in an attachment is read: an
// HIV Condition after many values, after many resources, or in an object
// that is not a resource labels the carrier (caps that skipped them were
// found in review). An attachment of 3 million empty objects is read and
// walked once (logged: about 3 s of CPU on the 2-core benchmark machine,
// against 0.8 s for the same JSON inline, which validation refuses).
func TestAttachmentValuesAreAllRead(t *testing.T) {
	data := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("{}", 3_000_000)))
	m := decodeMap([]byte(`{"resourceType":"DocumentReference","content":[{"attachment":{"contentType":"application/fhir+json","data":"` + data + `"}}]}`))
	start := time.Now()
	if codes := otherCodings(fhirAttachments(m), nil); len(codes) != 0 {
		t.Errorf("codes %v from empty objects", codes)
	}
	t.Logf("3,000,000 values read and walked in %v", time.Since(start))
	hiv := `{"resourceType":"Condition","code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	for name, doc := range map[string]string{
		"after 100 values":        strings.Repeat("{}", 100) + hiv,
		"after 1,000 resources":   "[" + strings.Repeat(`{"resourceType":"Basic"},`, 1000) + hiv + "]",
		"in an object, no type":   `{"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`,
		"in a Bundle in a Bundle": `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + hiv + `}]}`,
	} {
		m := decodeMap([]byte(`{"resourceType":"DocumentReference","content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(doc)) + `"}}]}`))
		if codes := otherCodings(fhirAttachments(m), nil); !slices.Contains(codes, "http://snomed.info/sct|86406008") {
			t.Errorf("%s: the HIV code is not found (%d codes)", name, len(codes))
		}
	}
	// A label on an object that leaves out its resourceType.
	m = decodeMap([]byte(`{"resourceType":"DocumentReference","content":[{"attachment":{"contentType":"application/fhir+json","data":"` +
		base64.StdEncoding.EncodeToString([]byte(`{"meta":{"security":[{"code":"PSY"}]},"code":{"text":"x"}}`)) + `"}}]}`))
	if labels := securityLabels(fhirAttachments(m)); !slices.Contains(labels, "PSY") {
		t.Errorf("a label in an attachment object without resourceType: %v", labels)
	}
}
