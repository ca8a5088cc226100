package api

import (
	"encoding/base64"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"github.com/carex-project/carex/consent"
)

// Review 33a: the cost of 1bc4664's base64 runs and scanText on a write
// (attachedContent with texts, then TextLabels on each text). Measured,
// not asserted. Rows: text that is all base64 characters with line
// breaks (random bytes, MIME-wrapped); base64 inside XML nested ten levels
// (each level's <data value> the base64 of the XML below); 100k short
// runs of 64 characters each; a text of entities and non-ASCII for
// scanText; a run that decodes to base64 of itself minus a quarter, as
// deep as it goes.
func BenchmarkReview33aBase64Runs(b *testing.B) {
	pol := consent.DefaultPolicy()
	rnd := rand.New(rand.NewSource(33))
	wrap := func(s string) string {
		var sb strings.Builder
		for len(s) > 76 {
			sb.WriteString(s[:76])
			sb.WriteString("\r\n")
			s = s[76:]
		}
		sb.WriteString(s)
		return sb.String()
	}
	enc := base64.StdEncoding.EncodeToString
	rows := map[string]string{}
	{
		raw := make([]byte, 4<<20)
		rnd.Read(raw)
		rows["all-b64-random-4MiB-wrapped"] = wrap(enc(raw))
	}
	{
		x := strings.Repeat("Seen in clinic 05/12/2026, BP 120/80, review in 6 weeks.\n", 2000)
		for i := 0; i < 10; i++ {
			x = `<Binary xmlns="http://hl7.org/fhir"><contentType value="application/xml"/><data value="` + enc([]byte(x)) + `"/></Binary>`
		}
		rows["b64-in-xml-nested-10"] = x
	}
	{
		var sb strings.Builder
		for sb.Len() < 6<<20 {
			p := make([]byte, 48)
			rnd.Read(p)
			sb.WriteString(enc(p))
			sb.WriteString(" ")
		}
		rows["short-runs-6MiB"] = sb.String()
	}
	rows["entities-6MiB"] = strings.Repeat("Smith &amp; Jones &#169; caf\u00e9 \u00ad &lt;p&gt; 0113&#160;496 \\u0041 ", 6<<20/60)
	{
		x := strings.Repeat("A", 64)
		for len(x) < 4<<20 {
			x = enc([]byte(x))
		}
		rows["b64-of-b64-4MiB"] = x
	}
	for _, name := range []string{"all-b64-random-4MiB-wrapped", "b64-in-xml-nested-10", "short-runs-6MiB", "entities-6MiB", "b64-of-b64-4MiB"} {
		text := rows[name]
		for _, ct := range []string{"text/plain", "application/xml"} {
			m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "data": enc([]byte(text))}}}}
			b.Run(name+"/"+strings.ReplaceAll(ct, "/", "-"), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				b.ReportMetric(float64(len(text)), "textbytes")
				for b.Loop() {
					_, texts := attachedContent(m, true)
					n := 0
					for _, t := range texts {
						n += len(t)
						pol.TextLabels(t)
					}
					b.ReportMetric(float64(len(texts)), "texts")
					b.ReportMetric(float64(n), "scannedbytes")
				}
			})
		}
	}
}

// TestReview33aSoundMaskedListCountedAsMask: the list form 1bc4664 writes
// (a null in instantiatesUri, its "masked" extension in the
// _instantiatesUri list beside it) counts as a mask for maskedWriteBack
// (maskedMarks), as a masked single value does. (Over HTTP the
// write-back is refused first as another organisation's item: 403.)
func TestReview33aSoundMaskedListCountedAsMask(t *testing.T) {
	m := map[string]any{"resourceType": "CarePlan", "instantiatesUri": []any{"https://example.org/pathway", "data:application/fhir+xml;base64,PFBhdGllbnQvPg=="}}
	raw := []byte(`{"resourceType":"CarePlan"}`)
	if n := maskedMarks(raw, m); n != 0 {
		t.Fatalf("premise: unmasked: %d", n)
	}
	if !maskUnreadPeople(m, nil) {
		t.Fatalf("premise: the data: url in the list is not masked: %v", m)
	}
	b, _ := json.Marshal(m)
	if n := maskedMarks(b, decodeMap(b)); n != 1 {
		t.Errorf("the masked list %s counts %d masks, want 1", b, n)
	}
}
