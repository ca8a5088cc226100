package api_test

// Review 29a: attachedDocs at 4293bcd against 9559ee6. SPEC §5: Jane's HIV
// diagnosis (SNOMED 86406008) in an NDJSON attachment of the GP's letter
// (A81001) labels the letter; the hospital clinician at RHX gets 404 (-1:
// refused on write, also no leak). Helpers of review26a_test.go.

import (
	"strings"
	"testing"
)

// TestReview29aHIVAfterDeepWrapperLinesBudgetSpent: after a broken line,
// 10100 "[" each on its own line, closed on one line, then Jane's HIV
// diagnosis (after the wrapper, or inside it). Since 4293bcd a depth error
// is not recorded in failedAt, so each of the ~100 wrappers deeper than
// encoding/json's 10000 is decoded on its own and charged ~20 KB up to its
// depth error; the budget (16 x data + 64 KiB, ~550 KB) is spent and no
// later value is decoded. 9559ee6 read the diagnosis (404).
func TestReview29aHIVAfterDeepWrapperLinesBudgetSpent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	n := 10100
	for i, data := range []string{
		"{bad\n" + strings.Repeat("[\n", n) + "0\n" + strings.Repeat("]", n) + "\n" + r26aCond + "\n",
		"{bad\n" + strings.Repeat("[\n", n) + r26aCond + "\n" + strings.Repeat("]", n) + "\n",
	} {
		id := "r29a-deeplines-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			w := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
			t.Errorf("case %d: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis after %d \"[\" lines: %d %.160s", i, n, st, w.body)
		}
	}
}

// TestReview29aSoundHIVShapes: shapes of 4293bcd's change that are read:
// after scalars, strings with brackets, CR ends, a blank line, a closed
// value, a failed value, a wrapper of fewer than 10000 lines.
func TestReview29aSoundHIVShapes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for i, data := range []string{
		"{bad\n1 \"x\" null " + r26aCond + "\n",
		"{bad\n\"{\" " + r26aCond + "\n",
		"{bad\r\n-2 " + r26aCond + "\r\n",
		"{bad\n\n" + r26aCond + "\n",
		"{bad\n[x] 1 " + r26aCond + "\n",
		"{bad\n" + strings.Repeat("[\n", 9000) + "0\n" + strings.Repeat("]", 9000) + "\n" + r26aCond + "\n",
	} {
		id := "r29a-sound-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("%.60q: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}
