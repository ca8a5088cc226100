package api

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/consent"
)

// Review 22e: work that grew faster than the input. Measured here, not
// asserted in a test (a timed assertion is flaky on a loaded machine):
// compare ns/op between sizes, which should grow about as the size does.

// BenchmarkAttachedDocsBrokenLines: an attachment of lines that each open
// an object and never close it. Resuming the stream after each bad line
// read every later line as the rest of one unfinished object: 128 KiB took
// seconds.
func BenchmarkAttachedDocsBrokenLines(b *testing.B) {
	for _, kib := range []int{32, 128} {
		data := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("{\"a\":\n", kib<<10/6)))
		b.Run(fmt.Sprintf("%dKiB", kib), func(b *testing.B) {
			for b.Loop() {
				attachedDocs(map[string]any{"contentType": "application/json", "data": data})
			}
		})
	}
}

// BenchmarkAttachedDocsNestedBrackets: after a broken line, "[" on each
// of N lines and one closing run: each nested value was decoded to the
// same error, N squared (review 25a: 64 KiB took 10 s). The decoder now
// reads at most a budget of 16 times the data.
func BenchmarkAttachedDocsNestedBrackets(b *testing.B) {
	for _, kib := range []int{16, 64} {
		n := kib << 10 / 3
		data := base64.StdEncoding.EncodeToString([]byte("{bad\n" + strings.Repeat("[\n", n) + "x" + strings.Repeat("]", n)))
		b.Run(fmt.Sprintf("%dKiB", kib), func(b *testing.B) {
			for b.Loop() {
				attachedDocs(map[string]any{"contentType": "application/json", "data": data})
			}
		})
	}
}

// BenchmarkCanonicalCodes: an item with thousands of codings; each kept
// code rebuilt a set of those before it (appendNew), so 1 MiB of codings
// took seconds to write.
func BenchmarkCanonicalCodes(b *testing.B) {
	for _, n := range []int{2000, 8000} {
		codes := make([]string, n)
		for i := range codes {
			codes[i] = fmt.Sprintf("urn:oid:2.16.840.1.113883.6.96|%d", 100000+i)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				canonicalCodes(codes)
			}
		})
	}
}

// BenchmarkAttachedContentLetter: what a write pays for reading a
// letter's attachment (review 31a/31c): every payload is decoded and its
// text scanned for the policy's concept ids but a PDF's (1 MiB of
// pseudo-random bytes, decoded only), bytes of no known format (scanned),
// against FHIR JSON of the same size.
func BenchmarkAttachedContentLetter(b *testing.B) {
	pol := consent.DefaultPolicy()
	pdf := make([]byte, 1<<20)
	x := uint32(1)
	for i := range pdf {
		x = x*1664525 + 1013904223
		pdf[i] = byte(x >> 24)
	}
	raw := slices.Clone(pdf) // bytes of no known format: scanned as text
	copy(pdf, "%PDF-1.7\n")
	obs := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"271649006"}]},"valueQuantity":{"value":120}}` + "\n"
	js := []byte(strings.Repeat(obs, 1<<20/len(obs)))
	for _, c := range []struct {
		name, ct string
		data     []byte
	}{{"pdf-1MiB", "application/pdf", pdf}, {"unknown-binary-1MiB", "application/octet-stream", raw}, {"ndjson-1MiB", "application/fhir+ndjson", js}} {
		m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{
			"contentType": c.ct, "data": base64.StdEncoding.EncodeToString(c.data)}}}}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				_, texts := attachedContent(m, true)
				for _, t := range texts {
					pol.TextLabels(t)
				}
			}
		})
	}
}
