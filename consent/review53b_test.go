package consent

import (
	"errors"
	"strings"
	"testing"
)

// Review 53b: 4ae7683's policy checks (review 52d).

// lineOf53b: the 1-based line numbers of the default policy's lines
// starting with prefix.
func linesOf53b(text, prefix string) []int {
	var out []int
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, i+1)
		}
	}
	return out
}

// TestReview53bSoundDefaultPolicyLoads: the built-in policy (what
// `carex policy` prints and README tells deployments to copy) loads.
func TestReview53bSoundDefaultPolicyLoads(t *testing.T) {
	if _, err := LoadPolicy(strings.NewReader(DefaultPolicyText())); err != nil {
		t.Fatalf("the built-in policy: %v", err)
	}
}

// TestReview53bPolicyErrorsNameTheLine: README "An invalid policy stops
// the server with the failing line named". Each of the new refusals,
// made from the built-in policy by one edit, should name a line that
// concerns it (the role's own line or the list it is missing from; the
// label's sensitive / legally-restricted / deriving lines), and say the
// fix.
func TestReview53bPolicyErrorsNameTheLine(t *testing.T) {
	def := DefaultPolicyText()
	for _, c := range []struct {
		name, from, to string
		ok             []string // line prefixes an error may name
		fix            string
	}{
		{"HFEA not legally restricted", "\nlegally-restricted HFEA GRA", "\nlegally-restricted GRA", []string{"legally-restricted", "sensitive", "codeset HFEA", "code HFEA"}, "legally-restricted"},
		{"ig-officer not audit", "\naudit-role ig-officer", "\n# audit-role removed", []string{"role ig-officer", "audit-role"}, "audit-role"},
		{"system not own-org-only", "\nown-org-only system", "\n# own-org-only removed", []string{"role system", "own-org-only"}, "own-org-only"},
		{"alert-working-hours twice", "\nalert-working-hours", "\nalert-working-hours 00:00 23:59\nalert-working-hours", []string{"alert-working-hours"}, "already given"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(def, c.from) {
				t.Fatalf("the premise: the built-in policy has %q", c.from)
			}
			text := strings.Replace(def, c.from, c.to, 1)
			_, err := LoadPolicy(strings.NewReader(text))
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("not refused with a PolicyError: %v", err)
			}
			var want []int
			for _, p := range c.ok {
				want = append(want, linesOf53b(text, p)...)
			}
			named := false
			for _, l := range want {
				named = named || l == pe.Line
			}
			lines := strings.Split(text, "\n")
			got := ""
			if pe.Line >= 1 && pe.Line <= len(lines) {
				got = lines[pe.Line-1]
			}
			if !named {
				t.Errorf("%v: names line %d (%q), not one about it (lines %v)", err, pe.Line, got, want)
			}
			if !strings.Contains(pe.Msg, c.fix) {
				t.Errorf("%v: does not say the fix (%s)", err, c.fix)
			}
		})
	}
}
