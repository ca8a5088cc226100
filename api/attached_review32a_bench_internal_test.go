package api

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/consent"
)

// Review 32a: the cost of the one walk (attachedContent) and of TextLabels
// on a write. Measured, not asserted: compare ns/op and MB/s between the
// rows. A letter of several MiB in one attachment, and the same bytes
// nested in attached documents to 8 levels (each level base64 of the one
// inside), against one level of the same top size.
func BenchmarkReview32aAttachedContentNested(b *testing.B) {
	pol := consent.DefaultPolicy()
	line := "Seen 05/12/2026 NHS 943 476 5919 tel 01134960999 ref 000123456 BP 120/80 lab 20261205-1234\n"
	for _, c := range []struct {
		name  string
		kib   int
		depth int
	}{{"text-1MiB-depth1", 1 << 10, 1}, {"text-6MiB-depth1", 6 << 10, 1}, {"text-256KiB-depth8", 256, 8}, {"text-1MiB-depth8", 1 << 10, 8}} {
		text := strings.Repeat(line, c.kib<<10/len(line))
		att := map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte(text))}
		for i := 1; i < c.depth; i++ {
			doc := `{"resourceType":"DocumentReference","status":"current","content":[{"attachment":` + mustJSON(att) + `}]}`
			att = map[string]any{"contentType": "application/fhir+json", "data": base64.StdEncoding.EncodeToString([]byte(doc))}
		}
		m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": att}}}
		top := len(att["data"].(string))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(top))
			b.ReportMetric(float64(top), "topbytes")
			for b.Loop() {
				_, texts := attachedContent(m, true)
				n := 0
				for _, t := range texts {
					n += len(t)
					pol.TextLabels(t)
				}
				if n == 0 {
					b.Fatal("no text")
				}
			}
		})
	}
	_ = fmt.Sprint
}

func mustJSON(v any) string {
	var sb strings.Builder
	sb.WriteString(`{"contentType":"` + v.(map[string]any)["contentType"].(string) + `","data":"` + v.(map[string]any)["data"].(string) + `"}`)
	return sb.String()
}
