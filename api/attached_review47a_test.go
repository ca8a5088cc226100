package api

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestReview47aProseDataWordsOverCap: why an ordinary lab letter of 600
// lines "N,lab data: Hb 1xx g/L; WCC normal" (22 KB) is labelled R: each
// "data:" now starts a url running to the end of the text, whose
// percent-decoded data holds the next, so the payloads decoded come to
// about the square of the letter (eachDataURL), past the cap
// (attachedContentCapped over). Counts the payloads given by
// eachEmbeddedPayload at the first level and the bytes, and asks over.
func TestReview47aProseDataWordsOverCap(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("visit,summary\n")
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&csv, "%d,lab data: Hb %d g/L; WCC normal\n", i, 120+i%30)
	}
	text := csv.String()
	n, bytes := 0, 0
	eachEmbeddedPayload([]byte(text), func(_ string, raw []byte) bool { n++; bytes += len(raw); return true })
	m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/csv", "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
	_, _, over := attachedContentCapped(m, true)
	t.Logf("letter %d bytes: %d payloads at the first level, %d bytes; over %v", len(text), n, bytes, over)
	if over {
		t.Errorf("an ordinary 22 KB CSV lab letter passes the decode cap (labelled R, withheld outside the source)")
	}
}
