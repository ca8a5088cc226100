package api

// Review 28a: timing of attachedDocs at 48 KiB on shapes aimed at
// jsonValueEnds and the loop after a broken line (benchmark only), and a
// no-hang check.

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

func review28aShapes(kib int) map[string]string {
	n := kib << 10
	return map[string]string{
		"scalar-lines":       "{bad\n" + strings.Repeat("1 {}\n", n/5),
		"scalars-one-line":   "{bad\n" + strings.Repeat("1 ", n/2),
		"deep-wrapper":       "{bad\n" + strings.Repeat("[", n/2) + "\n" + strings.Repeat("]", n/2),
		"deep-wrapper-lines": "{bad\n" + strings.Repeat("[\n", n/4) + strings.Repeat("]", n/4),
		"deep-failing-lines": "{bad\n" + strings.Repeat("[[[[[[[[\n", n/16) + strings.Repeat("]]]]]]]]", n/16),
		"unclosed-strings":   "{bad\n" + strings.Repeat("{\"a\n", n/4),
		"closed-chain":       "{bad\n" + strings.Repeat("{}", n/2),
		"failed-chain-lines": "{bad\n" + strings.Repeat("[x]{}[\n", n/7) + strings.Repeat("]", n/7),
		"empty-array-chain":  "{bad\n" + strings.Repeat("[]", n/2),
		"failed-one-line":    "{bad\n" + strings.Repeat("[x]", n/3),
		"closed-chain-lines": "{bad\n" + strings.Repeat("{}{}{}{}{}{}{}\n", n/15),
		"mismatched":         "{bad\n" + strings.Repeat("[\n}\n", n/4),
	}
}

func TestReview28aSoundAttachedDocsTerminates(t *testing.T) {
	for name, raw := range review28aShapes(48) {
		x := map[string]any{"contentType": "application/fhir+ndjson", "data": base64.StdEncoding.EncodeToString([]byte(raw))}
		done := make(chan struct{})
		go func() { defer close(done); attachedDocs(x) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: attachedDocs still running after 60 s", name)
		}
	}
}

func BenchmarkReview28aAttachedDocs(b *testing.B) {
	for name, raw := range review28aShapes(48) {
		x := map[string]any{"contentType": "application/fhir+ndjson", "data": base64.StdEncoding.EncodeToString([]byte(raw))}
		b.Run(fmt.Sprintf("%s/48KiB", name), func(b *testing.B) {
			for b.Loop() {
				attachedDocs(x)
			}
		})
	}
}
