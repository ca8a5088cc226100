package api_test

// Review 30a: f902526's budget-spent path. SPEC §5: Jane's HIV diagnosis
// (SNOMED 86406008) in an NDJSON attachment of the GP's letter (A81001)
// labels the letter; the hospital clinician at RHX gets 404 (-1: refused
// on write, also no leak). Helpers of review26a_test.go.

import (
	"strings"
	"testing"
)

const r30aPretty = "{\n  \"resourceType\": \"Condition\",\n  \"subject\": {\"reference\": \"Patient/jane\"},\n  \"code\": {\"coding\": [{\"system\": \"http://snomed.info/sct\", \"code\": \"86406008\"}], \"text\": \"ATT-HIV\"}\n}"

func r30aSpentData(tail string) string {
	n := 10100
	return "{bad\n" + strings.Repeat("[\n", n) + "0\n" + strings.Repeat("]", n) + "\n" + tail
}

// TestReview30aHIVAfterBudgetSpentNotOneLineObject: once the decode budget
// is spent (101 wrappers past depth 10000), f902526 decodes only lines that
// begin with "{", and only the first value on each; a diagnosis
// pretty-printed, after a scalar or string, inside a one-line array, or
// second on its line goes unlabelled. 9559ee6 read each (404).
func TestReview30aHIVAfterBudgetSpentNotOneLineObject(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, tail string }{
		{"pretty", r30aPretty + "\n"},
		{"after-scalar", "1 " + r26aCond + "\n"},
		{"after-string", `"x" ` + r26aCond + "\n"},
		{"array-one-line", "[" + r26aCond + "]\n"},
		{"second-on-line", `{"a":1} ` + r26aCond + "\n"},
	} {
		id := "r30a-spent-" + c.name
		if st := r26aLetter(t, e, id, r26aNDJSON(r30aSpentData(c.tail)), ""); st != 404 && st != -1 {
			w := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis after the budget is spent: %d %.160s", c.name, st, w.body)
		}
	}
}

// TestReview30aSoundHIVAfterBudgetSpentOneLine: a one-line diagnosis,
// indented or CRLF-ended, after the budget is spent, is labelled (404).
func TestReview30aSoundHIVAfterBudgetSpentOneLine(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, c := range []struct{ name, tail string }{
		{"one-line", r26aCond + "\n"},
		{"indented", "  \t" + r26aCond + "\n"},
		{"crlf", r26aCond + "\r\n"},
	} {
		id := "r30a-spent-sound-" + c.name
		if st := r26aLetter(t, e, id, r26aNDJSON(r30aSpentData(c.tail)), ""); st != 404 && st != -1 {
			t.Errorf("%s: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", c.name, st)
		}
	}
}
