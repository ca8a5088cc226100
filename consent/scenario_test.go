package consent

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// scenarioFile is testdata/consent/scenarios.json: Cerbos-style policy
// tests — principals, patients (relationships and FHIR Consents), items,
// and for each test the expected Open and Decide outcome.
type scenarioFile struct {
	Now        time.Time `json:"now"`
	Principals map[string]struct {
		Sub, Role, Org, Sector, Purpose string
		BreakGlass                      string `json:"breakGlass"`
	} `json:"principals"`
	Relationships []struct {
		Org          string    `json:"org"`
		Kind         string    `json:"kind"`
		Until        time.Time `json:"until"`
		LastRecorded time.Time `json:"lastRecorded"`
	} `json:"relationships"`
	Patients map[string]struct {
		Restricted bool              `json:"restricted"`
		RecordedBy string            `json:"recordedBy"` // the Consents' recorder; "" = the GP practice
		Consents   []json.RawMessage `json:"consents"`
	} `json:"patients"`
	Items map[string]struct {
		Type      string    `json:"type"`
		ID        string    `json:"id"`
		DataClass string    `json:"dataClass"`
		SourceOrg string    `json:"sourceOrg"`
		Labels    []string  `json:"labels"`
		Date      time.Time `json:"date"`
		Refs      []string  `json:"refs"`
	} `json:"items"`
	Tests []struct {
		Name      string `json:"name"`
		Principal string `json:"principal"`
		Patient   string `json:"patient"`
		Item      string `json:"item"`
		Expect    struct {
			Open      string   `json:"open"`
			Effect    string   `json:"effect"`
			Reason    string   `json:"reason"`
			Consent   string   `json:"consent"`
			Path      string   `json:"path"`
			Flags     []string `json:"flags"`
			OpenFlags []string `json:"openFlags"`
		} `json:"expect"`
	} `json:"tests"`
}

func flagNames(f Flags) []string {
	var out []string
	if f&FlagBreakGlass != 0 {
		out = append(out, "break-glass")
	}
	if f&FlagRedact != 0 {
		out = append(out, "redact")
	}
	if f&FlagIGAlert != 0 {
		out = append(out, "ig-alert")
	}
	return out
}

func TestScenarios(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "consent", "scenarios.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sf scenarioFile
	if err := json.Unmarshal(raw, &sf); err != nil {
		t.Fatal(err)
	}
	var rels []Relationship
	for _, r := range sf.Relationships {
		rels = append(rels, Relationship{Org: r.Org, Kind: r.Kind, Until: r.Until, LastRecorded: r.LastRecorded})
	}
	patients := map[string]Patient{}
	for name, p := range sf.Patients {
		pat := Patient{ID: "p1", Restricted: p.Restricted, Relationships: rels}
		for i, c := range p.Consents {
			parsed, err := ParseConsent(c)
			if err != nil {
				t.Fatalf("patient %s consent %d: %v", name, i, err)
			}
			parsed.Recorder = cmp.Or(p.RecordedBy, "A81001")
			pat.Consents = append(pat.Consents, parsed)
		}
		patients[name] = pat
	}
	if len(sf.Tests) == 0 {
		t.Fatal("no tests")
	}
	for _, tc := range sf.Tests {
		t.Run(tc.Name, func(t *testing.T) {
			pr, ok := sf.Principals[tc.Principal]
			if !ok {
				t.Fatalf("unknown principal %q", tc.Principal)
			}
			pat, ok := patients[tc.Patient]
			if !ok {
				t.Fatalf("unknown patient %q", tc.Patient)
			}
			si, ok := sf.Items[tc.Item]
			if !ok {
				t.Fatalf("unknown item %q", tc.Item)
			}
			u := User{Sub: pr.Sub, Role: pr.Role, Org: pr.Org, Sector: pr.Sector, Purpose: pr.Purpose, BreakGlassReason: pr.BreakGlass}
			it := &Item{Type: si.Type, ID: si.ID, DataClass: si.DataClass, SourceOrg: si.SourceOrg, Labels: si.Labels, Date: si.Date, Refs: si.Refs}
			pp := Prepare(DefaultPolicy(), u, pat, sf.Now)
			e := tc.Expect
			open := pp.Open()
			if e.Open != "" && open.Effect.String() != e.Open {
				t.Errorf("open: %s, want %s", open.Explain(), e.Open)
			}
			if !slices.Equal(flagNames(open.Flags), e.OpenFlags) && e.OpenFlags != nil {
				t.Errorf("open flags %v, want %v", flagNames(open.Flags), e.OpenFlags)
			}
			d := pp.Decide(it)
			if d.Effect.String() != e.Effect || firstCode(d) != e.Reason {
				t.Fatalf("got %s, want %s %s", d.Explain(), e.Effect, e.Reason)
			}
			if e.Consent != "" && d.Reasons[0].ConsentID != e.Consent {
				t.Errorf("consent %q, want %q", d.Reasons[0].ConsentID, e.Consent)
			}
			if e.Path != "" && d.Reasons[0].ProvisionPath != e.Path {
				t.Errorf("path %q, want %q", d.Reasons[0].ProvisionPath, e.Path)
			}
			if !slices.Equal(flagNames(d.Flags), e.Flags) {
				t.Errorf("flags %v, want %v", flagNames(d.Flags), e.Flags)
			}
		})
	}
}
