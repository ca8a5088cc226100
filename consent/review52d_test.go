package consent

import (
	"strings"
	"testing"
)

// Review 52d: the policy file and role mapping (SPEC §4 role claim, §5
// layer 1 and 5).

// r52dWithout returns the built-in policy with every line starting with
// one of prefixes removed, and extra appended.
func r52dWithout(t *testing.T, extra string, prefixes ...string) string {
	t.Helper()
	var out []string
	removed := 0
	for _, l := range strings.Split(DefaultPolicyText(), "\n") {
		drop := false
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				drop = true
			}
		}
		if drop {
			removed++
			continue
		}
		out = append(out, l)
	}
	if removed != len(prefixes) {
		t.Fatalf("premise: removed %d lines for %d prefixes", removed, len(prefixes))
	}
	return strings.Join(out, "\n") + "\n" + extra + "\n"
}

// TestReview52dPolicyGivingIGOfficerClinicalClassesIsRefused: SPEC §5
// layer 1 "The IG officer sees no clinical data". A policy whose
// ig-officer line lists clinical classes is refused only when the same
// file also says `audit-role ig-officer`; drop that line and the IG
// officer becomes an ordinary clinical role that sees every class.
func TestReview52dPolicyGivingIGOfficerClinicalClassesIsRefused(t *testing.T) {
	// premise: with the audit-role line, it is refused
	withAudit := r52dWithout(t, "role ig-officer *", "role ig-officer ")
	if _, err := LoadPolicy(strings.NewReader(withAudit)); err == nil {
		t.Fatal("premise: ig-officer * with audit-role ig-officer is loaded")
	}
	for _, tc := range []struct{ name, text string }{
		{"ig-officer * (no audit-role line)", r52dWithout(t, "role ig-officer *", "role ig-officer ", "audit-role ")},
		{"ig-officer problems medications (no audit-role line)", r52dWithout(t, "role ig-officer demographics consent problems medications observations", "role ig-officer ", "audit-role ")},
		{"ig-officer * as audit role of another name only", r52dWithout(t, "role ig-officer *\nrole auditor demographics consent\naudit-role auditor", "role ig-officer ", "audit-role ")},
	} {
		p, err := LoadPolicy(strings.NewReader(tc.text))
		if err == nil {
			r := p.Role("ig-officer")
			t.Errorf("%s: loaded; ig-officer audit=%v sees problems=%v observations=%v (SPEC §5: the IG officer sees no clinical data)",
				tc.name, r.Audit, r.Sees("problems"), r.Sees("observations"))
			u := User{Sub: "ig", Role: "ig-officer", Org: "X", Sector: "nhs", Purpose: "TREAT"}
			pat := Patient{ID: "p", Relationships: []Relationship{{Org: "X", Kind: RelRegisteredGP}}}
			pp := Prepare(p, u, pat, now)
			if d := pp.Open(); d.Effect == Permit {
				it := &Item{ID: "c1", Type: "Condition", DataClass: "problems", SourceOrg: "OTHER"}
				t.Logf("  %s: decision on another organisation's Condition: %v", tc.name, pp.Decide(it).Effect)
			}
		}
	}
}

// TestReview52dPolicyLettingSystemBreakGlassOrReadOthersIsRefused: SPEC §1
// "role system: writes on behalf of its own organisation, reads back only
// what its organisation recorded". A policy without `own-org-only system`
// loads, and then lets system read every organisation's data and (with
// `break-glass-roles system`) break glass.
func TestReview52dPolicyLettingSystemBreakGlassOrReadOthersIsRefused(t *testing.T) {
	text := r52dWithout(t, "break-glass-roles gp hospital-clinician district-nurse system", "own-org-only ", "break-glass-roles ")
	p, err := LoadPolicy(strings.NewReader(text))
	if err == nil {
		r := p.Role("system")
		t.Errorf("a policy without own-org-only system and with system in break-glass-roles is loaded: system OwnOrgOnly=%v BreakGlass=%v (SPEC §1: a client system reads back only what its organisation recorded)", r.OwnOrgOnly, r.BreakGlass)
		u := User{Sub: "sys", Role: "system", Org: "X", Sector: "nhs", Purpose: "TREAT"}
		pat := Patient{ID: "p", Relationships: []Relationship{{Org: "X", Kind: RelRegisteredGP}}}
		pp := Prepare(p, u, pat, now)
		if d := pp.Open(); d.Effect == Permit {
			it := &Item{ID: "c1", Type: "Condition", DataClass: "problems", SourceOrg: "OTHER"}
			if pp.Decide(it).Effect == Permit {
				t.Errorf("  and system of X is released OTHER's Condition")
			}
		}
	}
}

// TestReview52dPolicyWithoutLegallyRestrictedLetsBreakGlassReleaseHFEA:
// SPEC §5 break-glass "never releases what the policy marks as legally
// restricted (for example assisted-fertilisation and gender-recognition
// records)". README says HFEA (HFE Act 1990 s.33A) and GRA (GRA 2004 s.22)
// are statutory. A policy that drops the legally-restricted line (or
// lists HFEA in break-glass-releases after dropping it) loads, and
// break-glass then releases assisted-fertilisation records.
func TestReview52dPolicyWithoutLegallyRestrictedLetsBreakGlassReleaseHFEA(t *testing.T) {
	text := r52dWithout(t, "break-glass-releases HFEA GRA", "legally-restricted ", "break-glass-releases")
	p, err := LoadPolicy(strings.NewReader(text))
	if err != nil {
		return // refused: sound
	}
	t.Errorf("a policy with no legally-restricted line and break-glass-releases HFEA GRA is loaded: IsLegallyRestricted(HFEA)=%v (GRA)=%v",
		p.IsLegallyRestricted("HFEA"), p.IsLegallyRestricted("GRA"))
	u := User{Sub: "gp", Role: "gp", Org: "STRANGER", Sector: "nhs", Purpose: "TREAT", BreakGlassReason: "EMERGENCY: unconscious in A&E, no history"}
	pat := Patient{ID: "p", Relationships: []Relationship{{Org: "CLINIC", Kind: RelRegisteredGP}}}
	pp := Prepare(p, u, pat, now)
	if d := pp.Open(); d.Effect != Permit {
		t.Logf("open under break-glass: %v", d.Explain())
		return
	}
	it := &Item{ID: "ivf", Type: "Procedure", DataClass: "procedures", SourceOrg: "CLINIC", Labels: []string{"HFEA"}}
	t.Logf("break-glass decision on an HFEA-labelled procedure: %v", pp.Decide(it).Effect)
	if pp.Decide(it).Effect == Permit {
		t.Errorf("  break-glass released an assisted-fertilisation (HFEA) item")
	}
}

// TestReview52dSoundPolicyRefusals: what the loader refuses, as README
// says it does.
func TestReview52dSoundPolicyRefusals(t *testing.T) {
	def := DefaultPolicyText()
	for _, tc := range []struct{ name, text string }{
		{"role with no classes", def + "role receptionist\n"},
		{"role defined twice", def + "role gp demographics\n"},
		{"role named like a built-in in another case", def + "role GP *\n"},
		{"unknown data class", def + "role receptionist demographics lab-results\n"},
		{"job-role mapped twice", def + "job-role R8000 district-nurse\n"},
		{"job-role in lower case", def + "job-role r8002 gp\n"},
		{"job-role in full national form", def + "job-role S8000:G8000:R8002 gp\n"},
		{"job-role mapped to an undefined role", def + "job-role R8002 surgeon\n"},
		{"ig-officer may break glass", strings.Replace(def, "break-glass-roles gp hospital-clinician district-nurse", "break-glass-roles gp hospital-clinician district-nurse ig-officer", 1)},
		{"system may break glass", strings.Replace(def, "break-glass-roles gp hospital-clinician district-nurse", "break-glass-roles gp hospital-clinician district-nurse system", 1)},
		{"break-glass releases legally restricted", strings.Replace(def, "\nbreak-glass-releases\n", "\nbreak-glass-releases HFEA\n", 1)},
		{"ig-officer sees own records", def + "sees-own-records ig-officer\n"},
		{"YAML syntax", "roles:\n  gp: ['*']\n"},
		{"JSON syntax", `{"role":{"gp":["*"]}}` + "\n"},
		{"unknown directive", def + "rol gp *\n"},
		{"purpose research", def + "purposes HRESCH\n"},
		{"legally restricted label that is not sensitive", def + "legally-restricted XYZ\n"},
	} {
		if _, err := LoadPolicy(strings.NewReader(tc.text)); err == nil {
			t.Errorf("%s: loaded", tc.name)
		}
	}
}

// TestReview52dSoundDefaultPolicyMatchesReadme: the embedded default is
// what README's sharing-decision section and SPEC §1 say.
func TestReview52dSoundDefaultPolicyMatchesReadme(t *testing.T) {
	p := DefaultPolicy()
	want := map[string][2][]string{ // sees, does not see
		"gp":                 {{"observations", "documents", "safeguarding", "problems"}, nil},
		"hospital-clinician": {{"observations", "documents", "encounters"}, nil},
		"district-nurse":     {{"demographics", "problems", "medications", "allergies", "care-plans", "social-care", "appointments", "consent", "directory"}, {"observations", "encounters", "documents"}},
		"social-worker":      {{"allergies", "medications", "problems", "care-plans", "encounters", "safeguarding", "social-care"}, {"observations", "documents", "procedures"}},
		"ig-officer":         {{"demographics", "consent"}, {"problems", "observations", "medications", "allergies", "documents", "encounters", "safeguarding", "social-care", "care-plans"}},
	}
	for role, w := range want {
		r := p.Role(role)
		if r == nil {
			t.Errorf("%s: not defined", role)
			continue
		}
		for _, c := range w[0] {
			if !r.Sees(c) {
				t.Errorf("%s does not see %s", role, c)
			}
		}
		for _, c := range w[1] {
			if r.Sees(c) {
				t.Errorf("%s sees %s", role, c)
			}
		}
	}
	if !p.Role("ig-officer").Audit || !p.Role("system").OwnOrgOnly || p.Role("system").BreakGlass || p.Role("ig-officer").BreakGlass {
		t.Errorf("ig-officer audit / system own-org-only / break-glass wrong")
	}
	for code, role := range map[string]string{"R8000": "gp", "R8001": "district-nurse", "R8014": "social-worker", "R0001": "ig-officer", "R5105": "ig-officer"} {
		if p.JobRoles[code] != role {
			t.Errorf("job-role %s -> %q, want %s", code, p.JobRoles[code], role)
		}
	}
	for _, l := range []string{"HFEA", "GRA"} {
		if !p.IsLegallyRestricted(l) {
			t.Errorf("%s not legally restricted by default", l)
		}
	}
	for _, code := range []string{"R8000", "r8000", "S8000:G8000:R8000", "urn:nhs:role:R8000"} {
		if got := p.roleOf(code); got != "gp" {
			t.Errorf("Consent actor role %q -> %q, want gp", code, got)
		}
	}
}

// FuzzReview52dLoadPolicy: whatever loads, loads again from the same text
// with the same roles, and the built-in role invariants the loader
// checks hold.
func FuzzReview52dLoadPolicy(f *testing.F) {
	f.Add(DefaultPolicyText())
	f.Add("role gp *\nrole ig-officer demographics\naudit-role ig-officer\njob-role R8000 gp\n")
	f.Add("role x *\nbreak-glass-roles x\nsensitive A B\nlegally-restricted A\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := LoadPolicy(strings.NewReader(text))
		if err != nil {
			return
		}
		for name, r := range p.Roles {
			if r.Audit {
				for _, c := range dataClasses {
					if r.Sees(c) && !nonClinical[c] {
						t.Fatalf("audit role %s sees %s", name, c)
					}
				}
				if r.BreakGlass || r.SeesOwn {
					t.Fatalf("audit role %s breaks glass or sees own", name)
				}
			}
		}
		for _, l := range p.BreakGlassReleases {
			if p.IsLegallyRestricted(l) {
				t.Fatalf("break-glass releases legally restricted %s", l)
			}
		}
		for code, role := range p.JobRoles {
			if p.Role(role) == nil {
				t.Fatalf("job role %s maps to undefined %s", code, role)
			}
		}
	})
}

// TestReview52dPolicyWithoutAnyAuditRoleIsRefused: SPEC §4 lists the six
// roles and says the policy file "may add more"; §6: "IG officers can
// list…". A policy that drops the ig-officer role (and so every audit
// role) loads, and then no one can read the access log (the API admits
// only roles the policy marks audit-role).
func TestReview52dPolicyWithoutAnyAuditRoleIsRefused(t *testing.T) {
	text := r52dWithout(t, "", "role ig-officer ", "audit-role ", "job-role R0001 ", "job-role R5105 ")
	p, err := LoadPolicy(strings.NewReader(text))
	if err == nil {
		audit := 0
		for _, r := range p.Roles {
			if r.Audit {
				audit++
			}
		}
		t.Errorf("a policy with no ig-officer role is loaded: %d audit roles, ig-officer defined: %v", audit, p.Role("ig-officer") != nil)
	}
}

// TestReview52dPolicySingleValuedDirectiveGivenTwiceIsRefused: README
// "An invalid policy stops the server with the failing line named";
// break-glass-grant, source-lifetime, break-glass-min-reason and
// alert-patients-per-hour refuse a second line ("already given on line
// N"), but alert-working-hours given twice is taken silently, the last
// line winning.
func TestReview52dPolicySingleValuedDirectiveGivenTwiceIsRefused(t *testing.T) {
	for _, dup := range []string{
		"break-glass-grant 8h", "source-lifetime 0", "break-glass-min-reason 1", "alert-patients-per-hour 5000",
		"alert-working-hours 00:00 23:59 UTC",
	} {
		p, err := LoadPolicy(strings.NewReader(DefaultPolicyText() + "\n" + dup + "\n"))
		if err == nil {
			t.Errorf("second %q line after the built-in one is loaded silently (alert hours now %v-%v %s, grant %v)", dup, p.AlertDayStart, p.AlertDayEnd, p.AlertZone, p.BreakGlassGrant)
		}
	}
}
