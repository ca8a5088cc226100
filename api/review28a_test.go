package api_test

// Review 28a: a re-read of attachedDocs and jsonValueEnds at baceae9,
// against 9559ee6 (before 573c76e), which restarted a json.Decoder stream on
// the line after a broken one and so read every value on it. SPEC §5:
// labelled data "is released only to its source organisation, or where the
// person has explicitly permitted it". Jane's HIV diagnosis (SNOMED
// 86406008) in an NDJSON attachment of the GP's letter (A81001) is to
// label the letter: the hospital clinician at RHX gets 404 (-1: refused on
// write, also no leak). Helpers of review26a_test.go (r26aLetter,
// r26aNDJSON, r26aCond).

import (
	"strings"
	"testing"
)

// r28aPretty is r26aCond pretty-printed (its coding on the "code" line, so
// no line inside it begins a value carrying the code).
const r28aPretty = "{\n \"resourceType\": \"Condition\",\n \"subject\": {\"reference\": \"Patient/jane\"},\n \"code\": {\"coding\": [{\"system\": \"http://snomed.info/sct\", \"code\": \"86406008\"}], \"text\": \"ATT-HIV\"}\n}"

// TestReview28aHIVAfterScalarOnLineAfterBrokenLine: after a broken line, a
// line holding a number, string or literal and then Jane's HIV diagnosis
// (one line or pretty-printed). jsonValueEnds records a '{' only at a
// line's start or after a closed bracket value, so the diagnosis is never
// decoded; at 9559ee6 the stream decoder read the scalar and then the
// diagnosis, and the letter was labelled (404).
func TestReview28aHIVAfterScalarOnLineAfterBrokenLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for i, data := range []string{
		"{bad\n1 " + r26aCond + "\n",
		"{bad\n\"note\" " + r26aCond + "\n",
		"{bad\nnull " + r26aCond + "\n",
		"{bad\ntrue " + r28aPretty + "\n",
		"{bad\n[0] \"a\" " + r26aCond + "\n",
	} {
		id := "r28a-scalar-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("%.60q: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}

// TestReview28aHIVInsideWrapperPastMaxDepth: after a broken line, a value
// of 9998 nested "[" on one line, Jane's HIV diagnosis on the next, the
// closing brackets on the third. The wrapper fails with encoding/json's
// "exceeded max depth" at a point inside the diagnosis (its depth adds to
// the wrapper's), so failedAt marks the diagnosis as failed and it is
// never decoded on its own, though on its own it decodes. At 9559ee6 the
// line after the failed wrapper was read and the letter labelled (404).
func TestReview28aHIVInsideWrapperPastMaxDepth(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	data := "{bad\n" + strings.Repeat("[", 9998) + "\n" + r26aCond + "\n" + strings.Repeat("]", 9998) + "\n"
	if st := r26aLetter(t, e, "r28a-deep", r26aNDJSON(data), ""); st != 404 && st != -1 {
		t.Errorf("the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis inside a too-deep wrapper: %d", st)
	}
}

// TestReview28aSoundHIVAfterBrokenLineShapes: shapes handled: on its own
// line, pretty-printed, after a closed value on its line, inside a failed
// value, after a failed value on its closing line, CR line ends, a
// moderately deep wrapper.
func TestReview28aSoundHIVAfterBrokenLineShapes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for i, data := range []string{
		"{bad\n" + r26aCond + "\n",
		"{bad\n" + r28aPretty + "\n",
		"{bad\n{} " + r28aPretty + "\n",
		"{bad\n[0][x] " + r26aCond + "\n",
		"{bad\n[\nx,\n" + r28aPretty + "\n]\n",
		"{bad\n[\n" + r28aPretty + ",\nx\n] {}\n",
		"{bad\r" + r26aCond + "\r",
		"{bad\n" + strings.Repeat("[", 5000) + "\n" + r26aCond + "\n" + strings.Repeat("]", 5000) + "\n",
		"{bad\n\"a\"\n" + r26aCond + "\n",
	} {
		id := "r28a-sound-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("%.60q: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}
