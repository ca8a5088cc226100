package consent

// Review 4f: engine-level findings. Each test fails on the code as
// reviewed and says, in its comment, what goes wrong.

import "testing"

// TestReview4fDenyBySNOMEDCodeMissesExpression: 3e78c7b made a Consent's
// provision.code compare codes "as the labelling does", but only for
// ICD-10. b8c0d85 taught the labelling that a SNOMED CT code may be an
// expression ("414916001 |Obesity|"), labelled as each concept it names; codeMatch still compares
// SNOMED codes verbatim. Jane denies sharing her obesity (SNOMED CT
// 414916001); the GP system sends the diagnosis coded with its term, as
// many GP systems do, and the deny misses: the district nurse reads it.
// Fix: consent/engine.go codeMatch — for http://snomed.info/sct match
// when the wanted concept is one of sctIDs(have.Code) (as Policy.Labels).
func TestReview4fDenyBySNOMEDCodeMissesExpression(t *testing.T) {
	c := cons(t, "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"414916001"}]}]}`)
	plain := cond(orgGP)
	plain.Codes = []Coding{{"http://snomed.info/sct", "414916001"}}
	if d := decide(t, users()["nurse"], patient(c), plain); d.Permitted() {
		t.Fatalf("the premise: the deny covers the plainly coded item: %s", d.Explain())
	}
	for _, have := range []string{"414916001 |Obesity|", "414916001|Obesity (disorder)|"} {
		it := cond(orgGP)
		it.Codes = []Coding{{"http://snomed.info/sct", have}}
		if d := decide(t, users()["nurse"], patient(c), it); d.Permitted() {
			t.Errorf("deny of SNOMED CT 414916001 does not cover the item coded %q: released to the nurse (%s)", have, d.Explain())
		}
	}
}
