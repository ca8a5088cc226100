package consent

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func FuzzParseConsent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "fhir", "hl7-r4", "consent", "*.json"))
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b)
		}
	}
	f.Add(consentJSON("a", "2024", "OPTOUT", `{"provision":[{"type":"permit","actor":[`+org("X")+`],"provision":[{"type":"deny","securityLabel":[`+label("HIV")+`]}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseConsent(raw)
		if err != nil {
			if c != nil {
				t.Fatal("consent returned with error")
			}
			return
		}
		// Whatever parses must be decidable without panicking.
		c.Status, c.Patient = "active", "Patient/p1"
		for _, u := range users() {
			pp := Prepare(DefaultPolicy(), u, patient(c), now)
			for _, it := range []*Item{med(orgGP), obs(orgOther), cond(orgClinic, "HIV", "HFEA"), {}} {
				pp.Decide(it)
			}
		}
	})
}

// byteSrc turns fuzz input into choices.
type byteSrc struct {
	b []byte
	i int
}

func (s *byteSrc) next() byte {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return s.b[s.i-1]
}

func (s *byteSrc) pick(list []string) string { return list[int(s.next())%len(list)] }

var (
	fzOrgs    = []string{orgGP, orgHosp, orgCouncil, orgClinic, orgOther, orgNurse}
	fzLabels  = []string{"HIV", "PSY", "HFEA", "GRA", "N", "R", "STD", "XYZ"}
	fzTypes   = []string{"Observation", "Condition", "MedicationStatement", "Patient", "Flag", "CarePlan"}
	fzClasses = []string{"observations", "problems", "medications", "demographics", "safeguarding", "care-plans", "consent"}
	fzPurpose = []string{"TREAT", "ETREAT", "COC", "HRESCH"}
	fzActions = []string{"access", "correct", "use", "collect"}
	fzAuthors = []string{"Practitioner/dr-x", "Practitioner/dr-y"}
	fzRoles   = []string{"gp", "hospital-clinician", "district-nurse", "social-worker", "ig-officer", "system"}
)

func (s *byteSrc) period() Period {
	var p Period
	switch s.next() % 4 {
	case 1:
		p.Start = now.AddDate(0, 0, -int(s.next()))
	case 2:
		p.End = now.AddDate(0, 0, int(s.next())-128)
	case 3:
		p.Start = now.AddDate(-int(s.next()%20), 0, 0)
		p.End = p.Start.AddDate(0, int(s.next()%24)+1, 0)
	}
	return p
}

// genProvision builds a normalised provision tree directly (bypassing
// ParseConsent's refusals, so the engine sees shapes the parser would
// refuse too).
func genProvision(s *byteSrc, path string, depth int, parent *Provision, budget *int) *Provision {
	p := &Provision{Path: path, depth: depth}
	p.Type = Effect(s.next() % 2)
	flags := s.next()
	if flags&1 != 0 {
		switch s.next() % 4 {
		case 0:
			p.Recipients = append(p.Recipients, Actor{Kind: ActorOrg, Value: s.pick(fzOrgs)})
		case 1:
			p.Recipients = append(p.Recipients, Actor{Kind: ActorRole, Value: s.pick(fzRoles)})
		case 2:
			p.Recipients = append(p.Recipients, Actor{Kind: ActorSector, Value: s.pick([]string{"nhs", "council"})})
		case 3:
			p.Recipients = append(p.Recipients, Actor{Kind: ActorPerson, Value: "Practitioner/u-" + s.pick([]string{"gp", "hosp", "x"})})
		}
	}
	if flags&2 != 0 {
		if s.next()%3 == 0 {
			p.DataActors = append(p.DataActors, Actor{Kind: ActorAuthor, Value: s.pick(fzAuthors)})
		} else {
			p.DataActors = append(p.DataActors, Actor{Kind: ActorSourceOrg, Value: s.pick(fzOrgs)})
		}
	}
	if flags&4 != 0 {
		p.SecurityLabels = append(p.SecurityLabels, s.pick(fzLabels))
	}
	if flags&8 != 0 {
		p.Types = append(p.Types, s.pick(fzTypes))
	}
	if flags&16 != 0 {
		p.Classes = append(p.Classes, s.pick(fzClasses))
	}
	if flags&32 != 0 {
		p.Purposes = append(p.Purposes, s.pick(fzPurpose))
	}
	if flags&64 != 0 {
		p.Actions = append(p.Actions, s.pick(fzActions))
	}
	if flags&128 != 0 {
		p.Period, p.DataPeriod = s.period(), s.period()
		p.Data = append(p.Data, DataRef{s.pick([]string{MeaningInstance, MeaningRelated, MeaningAuthoredBy}), s.pick([]string{"Observation/o1", "Condition/c1", "Organization/" + orgClinic, "Practitioner/dr-x", "ServiceRequest/s1"})})
		p.Codes = append(p.Codes, Coding{"http://snomed.info/sct", s.pick([]string{"1", "2"})})
	}
	if parent != nil {
		p.pathLabels = append(append([]string(nil), parent.pathLabels...), p.SecurityLabels...)
	} else {
		p.pathLabels = p.SecurityLabels
	}
	n := int(s.next() % 4)
	for i := 0; i < n && *budget > 0 && depth < 6; i++ {
		*budget--
		p.Provisions = append(p.Provisions, genProvision(s, path+".provision["+string(rune('0'+i))+"]", depth+1, p, budget))
	}
	return p
}

func genConsent(s *byteSrc, id string) *Consent {
	c := &Consent{ID: id, Status: "active", Scope: ScopePatientPrivacy, Patient: "Patient/p1", Base: Effect(s.next() % 2),
		DateTime: now.AddDate(0, 0, -int(s.next()%3))}
	// (as ParseConsent sets it: without it prepareConsents drops every
	// generated Consent, and FuzzDecide never reached the consent layer —
	// review 104b)
	c.dateAfter = c.DateTime.Add(time.Millisecond)
	if s.next()%5 != 0 {
		budget := 12
		c.Root = genProvision(s, "provision", 0, nil, &budget)
		c.RootIsScope = c.Root.Type == c.Base
	}
	return c
}

func genItem(s *byteSrc) *Item {
	it := &Item{Type: s.pick(fzTypes), ID: s.pick([]string{"o1", "c1"}), DataClass: s.pick(fzClasses), SourceOrg: s.pick(fzOrgs)}
	for n := s.next() % 3; n > 0; n-- {
		it.Labels = append(it.Labels, s.pick(fzLabels))
	}
	if s.next()%2 == 0 {
		it.Date = now.AddDate(0, 0, -int(s.next())*10)
		if s.next()%2 == 0 { // a range: a year, a month, a period
			it.DateEnd = it.Date.AddDate(0, 0, int(s.next()))
		}
	}
	if s.next()%2 == 0 {
		it.Codes = []Coding{{"http://snomed.info/sct", s.pick([]string{"1", "2"})}}
	}
	if s.next()%2 == 0 {
		it.OtherCodes = []Coding{{"http://snomed.info/sct", s.pick([]string{"1", "2"})}}
	}
	return it
}

func FuzzDecide(f *testing.F) {
	f.Add([]byte{0}, []byte{1, 2, 3}, uint8(0), false)
	f.Add([]byte{1, 1, 255, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 0, 1}, []byte{2, 2, 3, 2, 2, 3}, uint8(4), true)
	f.Add([]byte{0, 0, 1, 5, 0, 2, 2, 2, 1, 0, 7, 2, 4, 4}, []byte{1, 1, 3, 2, 2, 2, 0, 0}, uint8(7), true)
	pol := DefaultPolicy()
	users := users()
	names := []string{"gp", "hosp", "nurse", "sw", "clinic", "stranger", "ig", "sys"}
	f.Fuzz(func(t *testing.T, consentBytes, itemBytes []byte, who uint8, bg bool) {
		s := &byteSrc{b: consentBytes}
		var list []*Consent
		for n := int(s.next() % 3); n > 0; n-- {
			list = append(list, genConsent(s, "g"+string(rune('0'+n))))
		}
		u := users[names[int(who)%len(names)]]
		u.Purpose = []string{"TREAT", "ETREAT", "COC"}[int(who/8)%3]
		if bg {
			u.BreakGlassReason = emergency
		}
		p := patient(list...)
		p.Restricted = who&128 != 0
		pp := Prepare(pol, u, p, now)
		is := &byteSrc{b: itemBytes}
		for k := 0; k < 4; k++ {
			it := genItem(is)
			d := pp.Decide(it)
			role := pol.Role(u.Role)
			// Invariant 1: the source organisation always sees what it recorded,
			// unless its role excludes the class (or the request cannot open).
			if it.SourceOrg == u.Org && role.Sees(it.DataClass) && pp.Open().Effect == Permit && d.Effect != Permit {
				t.Fatalf("own data withheld: %s (%+v)", d.Explain(), it)
			}
			// Invariant 2: break-glass never releases a legally restricted label:
			// whatever is released with one must also be released to the same
			// user without break-glass once a relationship exists.
			legal := slices.ContainsFunc(it.Labels, pol.IsLegallyRestricted)
			if d.Effect == Permit && legal && it.SourceOrg != u.Org {
				u2 := u
				u2.BreakGlassReason, u2.BreakGlassGranted = "", false
				p2 := p
				p2.Relationships = append(slices.Clone(p.Relationships), Relationship{Org: u.Org, Kind: RelCareTeam})
				if d2 := Prepare(pol, u2, p2, now).Decide(it); d2.Effect != Permit && !role.Audit {
					t.Fatalf("legally restricted item released only by break-glass: %s vs %s (%+v)", d.Explain(), d2.Explain(), it)
				}
			}
			// Invariant 3: withheld decisions always say why.
			if d.Effect == Withhold && len(d.Reasons) == 0 {
				t.Fatal("withhold without reason")
			}
			// Invariant 4: flags and reasons agree.
			if d.Flags&FlagBreakGlass != 0 && !pp.BreakGlass() {
				t.Fatal("break-glass flag without break-glass")
			}
			// Invariant 5: fail closed. An item whose author and references
			// the caller does not know is released only if it would be
			// released whatever they are (review 4e).
			if d.Effect == Permit {
				for _, author := range []string{"", "Practitioner/dr-x", "Practitioner/dr-y"} {
					for _, refs := range [][]string{nil, {"ServiceRequest/s1"}, {"Observation/o1", "Condition/c1"}} {
						k := *it
						k.Author, k.AuthorKnown, k.Refs, k.RefsKnown = author, true, refs, true
						if dk := pp.Decide(&k); dk.Effect != Permit {
							t.Fatalf("released with author and refs unknown (%s) but withheld with author %q refs %v (%s)", d.Explain(), author, refs, dk.Explain())
						}
					}
				}
			}
		}
	})
}

// The seed corpus in testdata/fuzz must stay readable by the fuzz targets.
func TestFuzzCorpusPresent(t *testing.T) {
	for _, target := range []string{"FuzzParseConsent", "FuzzDecide"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if len(files) == 0 {
			t.Errorf("no seed corpus for %s", target)
		}
	}
	_ = time.Now
}

// FuzzTextLabels: the text net never panics, gives the same labels for the
// same text, and labels a text holding a listed id in quotes whatever
// surrounds it.
func FuzzTextLabels(f *testing.F) {
	for _, s := range []string{`<code value="086406008"/>`, "OBX|1|CE|||086406008^HIV^SCT~x||", "<code><!-- x -->0086406008</code>", "<![CDATA[086406008]]>", "tel 01142043006", "\xff\xfe8\x006\x00"} {
		f.Add([]byte(s))
	}
	p := DefaultPolicy()
	f.Fuzz(func(t *testing.T, b []byte) {
		a := p.TextLabels(b)
		if c := p.TextLabels(b); !slices.Equal(a, c) {
			t.Fatalf("labels differ: %v, %v", a, c)
		}
		with := append(append(slices.Clone(b), ` "86406008" `...), b...)
		if !slices.Contains(p.TextLabels(with), "HIV") {
			t.Fatalf("a quoted HIV id among %q is not labelled", b)
		}
	})
}
