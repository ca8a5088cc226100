package api

import (
	"encoding/base64"
	"github.com/carex-project/carex/consent"
	"strings"
	"testing"
	"time"
)

// review39bDupNest is a DocumentReference whose attachment carries FHIR
// JSON nested depth levels deep, each level a Binary that repeats a key
// ("note" twice), so that it is also read a second time keeping the first
// value (firstKeptDocs), and whose data is base64 of the level inside.
func review39bDupNest(depth int, dup bool) (map[string]any, int) {
	doc := `{"resourceType":"Basic","note":"a","note":"b"}`
	if !dup {
		doc = `{"resourceType":"Basic","note":"a","other":"b"}`
	}
	for i := 0; i < depth; i++ {
		second := `,"note":"a","note":"b"}`
		if !dup {
			second = `,"note":"a","other":"b"}`
		}
		doc = `{"resourceType":"Binary","contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(doc)) + `"` + second
	}
	data := base64.StdEncoding.EncodeToString([]byte(doc))
	m := map[string]any{"resourceType": "DocumentReference", "status": "current",
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": "application/fhir+json", "data": data}}}}
	return m, len(data)
}

func TestReview39bAttachedContentDupKeyNesting(t *testing.T) {
	var prev time.Duration
	for _, d := range []int{8, 10, 12, 14} {
		for _, dup := range []bool{false, true} {
			m, n := review39bDupNest(d, dup)
			c0, w0 := cpuTime(), time.Now()
			docs, _ := attachedContent(m, true)
			c := cpuTime() - c0
			t.Logf("depth %d dup %v: top data %d bytes, %d docs, cpu %v wall %v", d, dup, n, len(docs), c, time.Since(w0))
			if dup {
				prev = c
			}
		}
	}
	_ = prev
	_ = strings.Repeat
}

// TestReview39bTextLabelsQuadratic: TextLabels ("Linear in the text") on
// texts whose every digit run starts with 0 and so asks wholeValue: after
// "-->" codeElement searches back for "<!--" (bytes.LastIndex over all the
// text before it); after '^' wholeValue searches forward for the end of
// the v2 field (bytes.IndexAny "|~\r\n" over all the text after it). Time
// at n, 2n, 4n.
func TestReview39bTextLabelsQuadratic(t *testing.T) {
	pol := consent.DefaultPolicy()
	for _, c := range []struct{ name, unit string }{{"comment", "-->0<"}, {"v2", "^0"}, {"plain", "x 0 y"}} {
		var times []time.Duration
		for _, kib := range []int{32, 64, 128} {
			text := []byte(strings.Repeat(c.unit, kib<<10/len(c.unit)))
			c0 := cpuTime()
			pol.TextLabels(text)
			d := cpuTime() - c0
			times = append(times, d)
			t.Logf("%s %d KiB: cpu %v", c.name, kib, d)
		}
		if times[2] > 10*times[0]+raceSlowdown*200*time.Millisecond {
			t.Errorf("TextLabels on %q repeated: 32 KiB %v, 128 KiB %v (x%.1f for x4 the text: quadratic)", c.unit, times[0], times[2], float64(times[2])/float64(times[0]))
		}
	}
}

// TestReview39bAttachedContentReadOnce: each payload is read once, so the
// documents found grow with the nesting, not doubled at each level (a
// count, not a time: two readings a level, jsonDocs and firstKeptDocs).
func TestReview39bAttachedContentReadOnce(t *testing.T) {
	for _, d := range []int{4, 8, 16} {
		m, _ := review39bDupNest(d, true)
		docs, _, over := attachedContentCapped(m, true)
		if over || len(docs) > 2*(d+1) {
			t.Errorf("depth %d: %d documents read (over %v), want at most %d", d, len(docs), over, 2*(d+1))
		}
	}
}

// TestReview39bAttachedContentCapFailsClosed: past the cap on what is
// decoded, attachedContentCapped says so (derive then labels the item R).
func TestReview39bAttachedContentCapFailsClosed(t *testing.T) {
	f, mn := maxDecodedFactor, minDecodedCap
	t.Cleanup(func() { maxDecodedFactor, minDecodedCap = f, mn })
	maxDecodedFactor, minDecodedCap = 1, 0
	m, _ := review39bDupNest(6, false)
	if _, _, over := attachedContentCapped(m, true); !over {
		t.Errorf("nested payloads of about three times the strings held, cap once: not over")
	}
	maxDecodedFactor = 8
	if _, _, over := attachedContentCapped(m, true); over {
		t.Errorf("nested payloads under eight times the strings held: over")
	}
}
