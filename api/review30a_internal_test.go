package api

// Review 30a: f902526's budget-spent path of attachedDocs (once the decode
// budget is spent, only lines beginning with "{" are decoded, each on its
// own, first value only). Differential against 9559ee6's loop (review 29a's
// r29aOldDocs): Jane's HIV Condition (SNOMED 86406008) read at 9559ee6 and
// not at HEAD.

import (
	"encoding/base64"
	"strings"
	"testing"
)

// r30aSpent: after a broken line, 10100 "[" lines closed on one line (each
// wrapper deeper than 10000 charged ~20 KB to its depth error: budget spent),
// then tail.
func r30aSpent(tail string) []byte { return r30aSpentN(10100, tail) }

func r30aSpentN(n int, tail string) []byte {
	return []byte("{bad\n" + strings.Repeat("[\n", n) + "0\n" + strings.Repeat("]", n) + "\n" + tail)
}

func r30aTails() map[string]string {
	return map[string]string{
		"pretty":            r29aPretty + "\n",
		"after-scalar":      "1 " + r29aCond + "\n",
		"after-string":      `"x" ` + r29aCond + "\n",
		"array-one-line":    "[" + r29aCond + "]\n",
		"second-on-line":    `{"a":1} ` + r29aCond + "\n",
		"after-broken-same": "x " + r29aCond + "\n",
		"inside-pretty":     "",
	}
}

// TestReview30aBudgetSpentShapesDifferential: HEAD against 9559ee6.
func TestReview30aBudgetSpentShapesDifferential(t *testing.T) {
	for name, tail := range r30aTails() {
		raw := r30aSpent(tail)
		if name == "inside-pretty" {
			raw = []byte("{bad\n" + strings.Repeat("[\n", 10100) + r29aPretty + "\n" + strings.Repeat("]", 10100) + "\n")
		}
		old, head := r29aHasHIV(r29aOldDocs(raw)), r29aHasHIV(r29aHead(raw))
		t.Logf("%s: 9559ee6 %v, HEAD %v", name, old, head)
		if old && !head {
			t.Errorf("%s: HIV Condition read at 9559ee6, not at HEAD (budget spent)", name)
		}
	}
}

// TestReview30aSoundBudgetSpentOneLineShapes: one-line objects, indented,
// CRLF, after a blank line, are read on the budget-spent path.
func TestReview30aSoundBudgetSpentOneLineShapes(t *testing.T) {
	for name, tail := range map[string]string{
		"one-line":  r29aCond + "\n",
		"indented":  "   \t" + r29aCond + "\n",
		"crlf":      r29aCond + "\r\n",
		"blank":     "\n\n" + r29aCond,
		"after-bad": "{bad\n" + r29aCond + "\n",
	} {
		raw := r30aSpent(tail)
		if !r29aHasHIV(r29aHead(raw)) {
			t.Errorf("%s: HEAD does not read the HIV Condition", name)
		}
	}
}

func r30aTimingShapes(size int) map[string]string {
	// enough wrappers past depth 10000 (~20 KB each) to spend 16 x size + 64 KiB
	pre := string(r30aSpentN(10000+(16*size+64<<10)/20000+20, ""))
	left := size - len(pre)
	if left < 64 {
		left = 64
	}
	return map[string]string{
		"baseline-spent":   pre,
		"open-lines":       pre + strings.Repeat("{\n", left/2),
		"deep-one-line":    pre + "{" + strings.Repeat(`"a":[`, left/5),
		"many-values-line": pre + strings.Repeat("{} ", left/3),
		"objs-lines":       pre + strings.Repeat("{\"a\":1}\n", left/8),
		"cr-lines":         pre + strings.Repeat("{\r", left/2),
		"bracket-lines":    pre + strings.Repeat("{[\n", left/3),
		"long-str-lines":   pre + strings.Repeat("{\""+strings.Repeat("a", 1000)+"\n", left/1002),
	}
}

func BenchmarkReview30aBudgetSpent(b *testing.B) {
	for name, raw := range r30aTimingShapes(48 << 10) {
		x := map[string]any{"contentType": "application/fhir+ndjson", "data": base64.StdEncoding.EncodeToString([]byte(raw))}
		b.Run(name+"/48KiB", func(b *testing.B) {
			for b.Loop() {
				attachedDocs(x)
			}
		})
	}
}
