package consent

// Review 104b: a monotonicity property FuzzDecide does not check. SPEC §5:
// nested provisions are exceptions to the base and the deepest matching
// one decides; a deny to an organisation, a sector, a role, a class or a
// label withholds. So adding a deny exception beside the person's existing
// rules (a child of the Consent's top provision) may withhold more, and
// must never release anything that was withheld before.

import (
	"math/rand/v2"
	"testing"
)

// r104bDeny is a deny provision, child of root, narrowed as s says (an
// organisation, a sector, a role, a data class, a resource type, a label,
// or two of them).
func r104bDeny(s *byteSrc, root *Provision) *Provision {
	d := &Provision{Path: root.Path + ".provision[r104b]", Type: Withhold, Typed: true, depth: root.depth + 1}
	for n := 1 + int(s.next()%2); n > 0; n-- {
		switch s.next() % 6 {
		case 0:
			d.Recipients = append(d.Recipients, Actor{Kind: ActorOrg, Value: s.pick(fzOrgs)})
		case 1:
			d.Recipients = append(d.Recipients, Actor{Kind: ActorSector, Value: s.pick([]string{"nhs", "council"})})
		case 2:
			d.Recipients = append(d.Recipients, Actor{Kind: ActorRole, Value: s.pick(fzRoles)})
		case 3:
			d.Classes = append(d.Classes, s.pick(fzClasses))
		case 4:
			d.Types = append(d.Types, s.pick(fzTypes))
		case 5:
			d.SecurityLabels = append(d.SecurityLabels, s.pick(fzLabels))
		}
	}
	d.pathLabels = append(append([]string(nil), root.pathLabels...), d.SecurityLabels...)
	return d
}

// FuzzReview104bAddedDenyNeverReleasesMore: the same person's consents,
// once as they are and once with a deny exception added under one
// Consent's top provision: every item withheld from a user before is
// withheld after, for every user, purpose and break-glass.
func FuzzReview104bAddedDenyNeverReleasesMore(f *testing.F) {
	f.Add([]byte{0}, []byte{1, 2, 3}, []byte{0, 0}, uint8(0), false)
	f.Add([]byte{1, 1, 255, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 0, 1}, []byte{2, 2, 3, 2, 2, 3}, []byte{1, 3, 2}, uint8(4), true)
	f.Add([]byte{2, 0, 1, 5, 0, 2, 2, 2, 1, 0, 7, 2, 4, 4}, []byte{1, 1, 3, 2, 2, 2, 0, 0}, []byte{0, 1, 0, 2}, uint8(7), false)
	f.Fuzz(r104bAddedDeny)
}

// TestReview104bSoundAddedDenyNeverReleasesMore: the property of
// FuzzReview104bAddedDenyNeverReleasesMore over 20,000 pseudo-random
// inputs (a fixed seed), as a plain test.
func TestReview104bSoundAddedDenyNeverReleasesMore(t *testing.T) {
	r := rand.New(rand.NewPCG(104, 2))
	bytesN := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	for i := 0; i < 20000; i++ {
		r104bAddedDeny(t, bytesN(8+r.IntN(40)), bytesN(4+r.IntN(30)), bytesN(1+r.IntN(6)), uint8(r.IntN(256)), r.IntN(2) == 0)
	}
}

var r104bNames = []string{"gp", "hosp", "nurse", "sw", "clinic", "stranger", "ig", "sys"}

// r104bAddedDeny checks the property for one input.
func r104bAddedDeny(t *testing.T, consentBytes, itemBytes, denyBytes []byte, who uint8, bg bool) {
	t.Helper()
	pol := DefaultPolicy()
	us := users()
	names := r104bNames
	{
		gen := func() []*Consent {
			s := &byteSrc{b: consentBytes}
			var list []*Consent
			for n := int(s.next() % 3); n > 0; n-- {
				c := genConsent(s, "g"+string(rune('0'+n)))
				// as ParseConsent sets it: genConsent leaves dateAfter
				// zero, and prepareConsents then counts no dated
				// Consent (FuzzDecide's consents never take part)
				c.dateAfter = c.DateTime.AddDate(0, 0, 1)
				list = append(list, c)
			}
			return list
		}
		before, after := gen(), gen()
		ds := &byteSrc{b: denyBytes}
		var withRoot []int
		for i, c := range after {
			if c.Root != nil {
				withRoot = append(withRoot, i)
			}
		}
		if len(withRoot) == 0 {
			return
		}
		c := after[withRoot[int(ds.next())%len(withRoot)]]
		deny := r104bDeny(ds, c.Root)
		c.Root.Provisions = append(c.Root.Provisions, deny)
		u := us[names[int(who)%len(names)]]
		u.Purpose = []string{"TREAT", "ETREAT", "COC"}[int(who/8)%3]
		if bg {
			u.BreakGlassReason = emergency
		}
		pb, pa := patient(before...), patient(after...)
		pb.Restricted, pa.Restricted = who&128 != 0, who&128 != 0
		ppb, ppa := Prepare(pol, u, pb, now), Prepare(pol, u, pa, now)
		is := &byteSrc{b: itemBytes}
		for k := 0; k < 4; k++ {
			it := genItem(is)
			db, da := ppb.Decide(it), ppa.Decide(it)
			if da.Effect == Permit && db.Effect != Permit {
				t.Fatalf("adding deny %+v released %+v to %s: before %s, after %s", *deny, *it, u.Role, db.Explain(), da.Explain())
			}
		}
	}
}
