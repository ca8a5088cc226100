package api

// Cases found in a review of merged records, attachment labelling, carex
// relabel and the reference-masking fixes (f425e30 to 846802d). Each
// test's comment says what went wrong before its fix; the test asserts
// what must hold now.

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// An 8 MiB write (the default body limit) whose attachment holds FHIR JSON
// with many distinct codings: deriving its labels is quadratic in them.
func TestReview2AttachmentCodingsQuadratic(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Observation","status":"final","code":{"coding":[`)
	n := 0
	for b.Len() < 2<<20 { // well within the 8 MiB default body limit once base64
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"system":"s","code":"%d"}`, n)
		n++
	}
	b.WriteString(`]}}`)
	doc := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` +
		base64.StdEncoding.EncodeToString([]byte(b.String())) + `"}}]}`
	t.Logf("%d codings, %d bytes", n, len(doc))
	m := decodeMap([]byte(doc))
	// Bounded in CPU time, not by the clock: it takes about 0.7 s of CPU
	// (with -race), and on a loaded CI machine over 2 s by the clock. The
	// bound is for quadratic work (70,000 codings squared: minutes), not
	// a measure: 2 s of CPU was passed under -race on a loaded machine.
	start, cpu := time.Now(), cpuTime()
	for _, inner := range fhirAttachments(m) {
		otherCodings(inner, nil)
		if time.Since(start) > 20*time.Second {
			break
		}
	}
	if d := cpuTime() - cpu; d > 10*time.Second {
		t.Errorf("labelling one %d-byte write took %v of CPU (%v by the clock)", len(doc), d, time.Since(start))
	}
}
