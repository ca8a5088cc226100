package api

// Review 27a: internal probes of 0696118's attachedDocs (failedAt, resume,
// budget by what a decoder read): no hang or panic on shapes aimed at the
// resume queue and failure points; timings from the benchmark only.

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

func review27aShapes(kib int) map[string]string {
	n := kib << 10
	return map[string]string{
		// N failed multi-line values nested, each followed on the one
		// closing line by a value: N resume entries on one long line.
		"resume-one-line": "{bad\n" + strings.Repeat("[\nx\n", n/9) + strings.Repeat("] [0]", n/9),
		// the same with failed values after each
		"resume-failed": "{bad\n" + strings.Repeat("[\nx\n", n/9) + strings.Repeat("] [x]", n/9),
		// CR-only lines
		"resume-cr": "{bad\r" + strings.Repeat("[\rx\r", n/9) + strings.Repeat("] [0]", n/9),
		// missing commas: each value starts where its enclosing failed
		"missing-commas": "{bad\n" + strings.Repeat("[\n{}\n", n/5) + strings.Repeat("]", n/5),
		// keys expected: each { at a key position
		"key-position": "{bad\n" + strings.Repeat("{\n", n/3) + strings.Repeat("}", n/3),
		// a long line of failed values after a failed multi-line one
		"chain-after": "{bad\n[\nx\n] " + strings.Repeat("[x] ", n/4),
	}
}

func TestReview27aSoundAttachedDocsTerminates(t *testing.T) {
	for name, raw := range review27aShapes(48) {
		data := base64.StdEncoding.EncodeToString([]byte(raw))
		x := map[string]any{"contentType": "application/fhir+ndjson", "data": data}
		start := time.Now()
		done := make(chan struct{})
		go func() { defer close(done); attachedDocs(x) }()
		select {
		case <-done:
			t.Logf("%s: %v (not a benchmark)", name, time.Since(start))
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: attachedDocs still running after 60 s", name)
		}
	}
	// random soup of lines, brackets, failures and CRs
	alphabet := []string{"[", "]", "{", "}", "\n", "\r", " ", "x", "0", ",", ":", "\"a\"", "] [0]", "[\n", "\r\n"}
	r := rand.New(rand.NewSource(27))
	for k := 0; k < 20000; k++ {
		var b strings.Builder
		b.WriteString("{bad\n")
		for m := r.Intn(80); m > 0; m-- {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		raw := b.String()
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic on %q: %v", raw, p)
				}
			}()
			attachedDocs(map[string]any{"contentType": "application/fhir+ndjson", "data": base64.StdEncoding.EncodeToString([]byte(raw))})
		}()
	}
}

func BenchmarkReview27aAttachedDocs(b *testing.B) {
	for _, kib := range []int{12, 48} {
		for name, raw := range review27aShapes(kib) {
			x := map[string]any{"contentType": "application/fhir+ndjson", "data": base64.StdEncoding.EncodeToString([]byte(raw))}
			b.Run(fmt.Sprintf("%s/%dKiB", name, kib), func(b *testing.B) {
				for b.Loop() {
					attachedDocs(x)
				}
			})
		}
	}
}
