package api

// Review 26a: internal probes of attachedDocs, jsonValueEnds, readWhole,
// unreadPeople, structuredText, inlineAttachments (a8b8077): no panic on
// random bracket soup; and benchmarks of shapes that might still be slow
// (measured, not asserted). The server takes bodies of at most 64 KiB
// (--max-body), so 48 KiB of raw data (64 KiB as base64) is about the
// largest an attachment can be.

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

func TestReview26aSoundNoPanicOnBracketSoup(t *testing.T) {
	alphabet := []string{"[", "]", "{", "}", "\"", "\\", "\n", "\r", " ", "\t", ":", ",", "x", "1", "\"resourceType\":\"Patient\"", "\"address\":[{}]", "\x00", "\xff\xfe", "\xef\xbb\xbf", "MSH|", "\x0b", "\x1c", "data:,"}
	r := rand.New(rand.NewSource(26))
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := r.Intn(60); k > 0; k-- {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		raw := b.String()
		data := base64.StdEncoding.EncodeToString([]byte(raw))
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic on %q: %v", raw, p)
				}
			}()
			for _, ct := range []string{"", "application/fhir+ndjson", "text/plain"} {
				x := map[string]any{"contentType": ct, "data": data, "url": "data:" + ct + "," + raw, "valueBase64Binary": data}
				attachedDocs(x)
				readWhole(x)
				if ct, raw, ok := attachedJSONBytes(x); ok {
					jsonDocsBoth(ct, raw)
				}
				attachedContent(x, true)
				unreadPeople(data, ct, true, nil)
				unreadPeople(raw, ct, false, nil)
				structuredText([]byte(raw))
				jsonValueEnds([]byte(raw))
				redactCarriedPeople(x, nil)
			}
		}()
	}
}

func review26aShapes(kib int) map[string]string {
	n := kib << 10
	return map[string]string{
		"nested-lines":      "{bad\n" + strings.Repeat("[\n", n/3) + "x" + strings.Repeat("]", n/3),
		"nested-lines-each": "{bad\n" + strings.Repeat("[\n", n/4) + "x\n" + strings.Repeat("]\n", n/4),
		"nested-one-line":   "{bad\n" + strings.Repeat("[", n/2) + "x" + strings.Repeat("]", n/2),
		"failed-chain":      "{bad\n" + strings.Repeat("[x] ", n/4),
		"nested-chain":      "{bad\n" + strings.Repeat("[\n", n/6) + "x\n" + strings.Repeat("] [x]", n/6/5),
		"open-objects":      strings.Repeat("{\"a\":\n", n/6),
		"cr-lines":          "{bad\r" + strings.Repeat("[\r", n/3) + "x" + strings.Repeat("]", n/3),
		"deep-ok":           strings.Repeat("[", n/2) + strings.Repeat("]", n/2),
		"dup-keys-ndjson":   "{bad\n" + strings.Repeat("{\"a\":1,\"a\":2}\n", n/14),
	}
}

func BenchmarkReview26aAttachedDocs(b *testing.B) {
	for _, kib := range []int{12, 48} {
		for name, raw := range review26aShapes(kib) {
			data := base64.StdEncoding.EncodeToString([]byte(raw))
			x := map[string]any{"contentType": "application/fhir+ndjson", "data": data}
			b.Run(fmt.Sprintf("%s/%dKiB", name, kib), func(b *testing.B) {
				for b.Loop() {
					attachedDocs(x)
					readWhole(x)
					if ct, raw, ok := attachedJSONBytes(x); ok {
						jsonDocsBoth(ct, raw)
					}
					unreadPeople(data, "application/fhir+ndjson", true, nil)
				}
			})
		}
	}
}
