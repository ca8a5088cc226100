package api_test

import (
	"strings"
	"testing"
)

// TestEscapedStringNamingAWithheldItemIsMasked: the byte scan that finds
// strings naming an item (forEachItemString) read a string's JSON escapes
// as written: "\tBinary\\hivbin" (a tab, then Binary\hivbin, which names
// Binary/hivbin) held no type between separators in its bytes
// ("tBinary"), so it went to the hospital clinician as stored, telling the
// withheld letter's id, where the decoded walk masks it. A fuzz test found
// it. Now an escape's letter ends a segment as the character it stands
// for does.
func TestEscapedStringNamingAWithheldItemIsMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	gpSystem := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	// (\r, not a form feed, since review 75b: R4 strings hold no control
	// character but tab, CR and LF)
	for i, v := range []string{`\tBinary\\hivbin`, `\nDocumentReference\/hivdoc`, `\rCondition\\hiv`} {
		id := "esc-" + string(rune('a'+i))
		e.putAll(t, gpSystem, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
			"subject":{"reference":"Patient/jane"},"identifier":[{"system":"https://gp.example/letters","value":"` + v + `"}],
			"content":[{"attachment":{"contentType":"text/plain","title":"` + id + `-title"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, id+"-title") {
			t.Fatalf("the premise: the hospital reads the GP's document: %d %.300s", r.status, r.body)
		}
		for _, leak := range []string{"hivbin", "hivdoc", `Condition\\hiv`} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: an escaped string naming a withheld item goes to the hospital with %q: %.500s", v, leak, r.body)
			}
		}
	}
}
