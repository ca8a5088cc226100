package consent

import "testing"

// TestReview82aSoundICD10StemMatches: 99a550f's icd10Stem (a subcategory
// covers the codes under it) on the code shapes the brief names: a dot
// subcategory (S72.0, U07.1), one without its dot (F320), ICD-10-UK and
// ICD-10-CM letters after the dot (S72.0X, S72.0XA), codes of five
// characters without a dot (S720X), in either case, and empty stems
// ("*", "-", ".") matching nothing. A sibling or a parent is never
// matched. The ICD-10-UK edition's system counts as ICD-10.
func TestReview82aSoundICD10StemMatches(t *testing.T) {
	const uk = "http://hl7.org/fhir/sid/icd-10-uk"
	for _, c := range []struct {
		want, have string
		ok         bool
	}{
		{"S72.0", "S72.00", true}, {"S72.0", "S720X", true}, {"S72.0", "s72.0xa", true},
		{"S72.0X", "S72.0XA", true}, {"S72.0X", "S72.0", false}, {"S72.0", "S72.1", false},
		{"S72.0", "S72", false}, {"F320", "F32.01", true}, {"F320", "F3", false},
		{"U07.1", "U07.1", true}, {"U07.1", "U071", true}, {"U07.1", "U07.10", true}, {"U07.1", "U07.2", false},
		{"*", "...", false}, {"-", ".", false}, {"*", "F32", false}, {".", "F32", false},
		{"F32.-", "F32.9", true}, {"F3", "F32", false}, {"F32", "F320", true},
	} {
		for _, sys := range []string{r81cICD, uk} {
			if got := codeMatch(Coding{r81cICD, c.want}, Coding{sys, c.have}); got != c.ok {
				t.Errorf("consent code %q, item %s %q: match %v, want %v", c.want, sys, c.have, got, c.ok)
			}
		}
	}
}
