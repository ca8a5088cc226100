package api_test

// Review 27a: a re-read of 0696118 (attachedDocs after a broken line:
// failedAt, resume, budget charged by what a decoder read; unreadPeople's
// resolveUEscapes). SPEC §5: labelled data "is released only to its source
// organisation, or where the person has explicitly permitted it"; "A
// patient whose demographics are marked restricted ... never has address,
// telephone or GP released outside the source organisation".
//
// Only helpers of review26a_test.go (r26aLetter, r26aNDJSON, r26aCond) and
// review21a_test.go (seed21a, nurse21a, base64Std21a) are used, so the file
// runs at a8b8077 too.

import (
	"strings"
	"testing"
)

// TestReview27aHIVAtPointWhereEnclosingValueFailed: after a broken line, a
// value that starts exactly where the value around it failed to decode (a
// pretty-printed array missing a comma before Jane's HIV diagnosis; the
// diagnosis where an object expects a key, or after a key with no colon)
// is skipped by 0696118's failedAt check ("holds a point where a value
// around it failed"), though on its own it decodes. At a8b8077 the lines
// inside the failed value were read and the diagnosis was labelled: 404.
func TestReview27aHIVAtPointWhereEnclosingValueFailed(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	basic := `{"resourceType":"Basic","code":{"text":"R27A-OTHER"}}`
	for i, data := range []string{
		"{bad\n[\n" + basic + "\n" + r26aCond + "\n]\n",                       // missing comma
		"{bad\n{\n" + r26aCond + "\n}\n",                                      // where a key is expected
		"{bad\n{\"resourceType\":\"Bundle\",\"entry\"\n" + r26aCond + "\n}\n", // missing colon
		"{bad\n[\n" + basic + "\n" + r26aCond + "\n]\n" + basic + "\n",        // more after
	} {
		id := "r27a-failat-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("%q: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}

// TestReview27aSoundHIVInsideAndAfterFailedValues: variants of the shapes
// 0696118 handles: the diagnosis inside a failed value with a value after
// it on its closing line (resume), after a chain of failed multi-line
// values, after nested junk, with CR-only lines, and queued in resume after
// a failed value inside another failed value.
func TestReview27aSoundHIVInsideAndAfterFailedValues(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for i, data := range []string{
		"{bad\n[\nx\n] " + r26aCond + "\n",
		"{bad\n[\nx\n[\nx\n] " + r26aCond + "] [0]\n",
		"{bad\r[\rx\r] [0]\r" + r26aCond + "\r",
		"{bad\r[\r" + r26aCond + "\rx\r] [0]\r",
		"{bad\n" + strings.Repeat("[\n", 2000) + "x" + strings.Repeat("]", 2000) + "\n" + r26aCond + "\n",
		"{bad\n" + strings.Repeat("[\nx\n] ", 500) + r26aCond + "\n",
		"{bad\n[\nx\n[\n" + r26aCond + "\nx\n] [0]\n] [1]\n",
		"{bad\n[\n[\nx\n] [0]\n" + r26aCond + "\n] [1]\n",
	} {
		id := "r27a-sound-" + string(rune('a'+i))
		if st := r26aLetter(t, e, id, r26aNDJSON(data), ""); st != 404 && st != -1 {
			t.Errorf("%.120q: the hospital clinician RHX reads the GP's letter carrying Jane's HIV diagnosis: %d", data, st)
		}
	}
}

// TestReview27aSoundRestrictedAddressEscapes: r21's Patient (restricted at
// A81001) as JSON that carex does not read whole (truncated), its words or
// NHS number written with \u escapes in forms 0696118 reads: upper-case hex
// digits, escapes next to surrogate pairs, a double-escaped backslash
// before one; the hospital clinician RHX (in her care team) is not to see SECRET-ADDR.
func TestReview27aSoundRestrictedAddressEscapes(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r26aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	for i, body := range []string{
		`{"resourceType":"\u0050ATIENT","\u0061ddress":[{"line":["SECRET-ADDR 1 Hidden Lane"]}]`,
		`{"resourceType":"\u0050\u0041\u0054\u0049\u0045\u004E\u0054","x":[{"line":["SECRET-ADDR 1 Hidden Lane"]}]`,
		`{"\ud83d\ude00":"\u0070atient","x":[{"line":["SECRET-ADDR 1 Hidden Lane"]}]`,
		`{"a":"\\","\u0070atient":"\ud83d","x":[{"line":["SECRET-ADDR 1 Hidden Lane"]}]`,
		`{"id":"\u0039\u0039\u0039\u0030\u0030\u0030\u0030\u0030\u0036\u0039","x":[{"line":["SECRET-ADDR 1 Hidden Lane"]}]`,
	} {
		id := "r27a-esc-" + string(rune('a'+i))
		w := e.do("PUT", "/fhir/DocumentReference/"+id, gp, `{"resourceType":"DocumentReference","id":"`+id+`","status":"current","subject":{"reference":"Patient/r21"},
			"type":{"text":"R27A-LETTER"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"`+base64Std21a(body)+`"}}]}`)
		if w.status != 201 && w.status != 200 {
			t.Logf("%s refused on write: %d %.200s", id, w.status, w.body)
			continue
		}
		r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
		if r.status != 200 || !strings.Contains(r.body, "R27A-LETTER") {
			t.Errorf("premise %s: %d %.300s", id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, base64Std21a(body)) {
			t.Errorf("%s: the hospital clinician RHX reads r21's address in the GP's letter (%q): %d", id, body, r.status)
		}
	}
}
