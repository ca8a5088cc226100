package search

import (
	"strings"
	"testing"
	"time"
)

// Review 120a: cost of noteHeading on hostile text since 67f7fc7 reads
// every word of a heading (noteWords(s[:headingEnd], 0)) where it read the
// text's first twelve. A 5 MB note with no colon, dash, full stop or line
// break is one heading; each letter name among the first five words
// followed by punctuation reads all of it again.
func TestReview120aSoundHostileHeadingCost(t *testing.T) {
	for _, c := range []struct{ name, head string }{
		{"one name", "Discharge summary, "},
		{"three names", "Discharge summary, discharge summary, IDL, "},
		{"five names, a social word last", "IDL, IDL, IDL, IDL, IDL, "},
	} {
		s := c.head + strings.Repeat("ward ", 5<<20/5)
		if strings.HasPrefix(c.name, "five") {
			s += "social"
		}
		t0 := time.Now()
		got := noteHeading(s)
		d := time.Since(t0)
		t.Logf("%s: %d bytes: noteHeading=%v in %v", c.name, len(s), got, d)
		if d > 20*time.Second {
			t.Errorf("%s: noteHeading on %d bytes took %v", c.name, len(s), d)
		}
	}
}
