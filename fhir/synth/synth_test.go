package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
)

// population is a generated population kept for several tests.
type population struct {
	m      *Manifest
	items  []Item
	parsed []*fhir.Resource // items[i] parsed; nil where it does not parse
	errs   []error
}

var (
	pop2000Once sync.Once
	pop2000     population
	pop600Once  sync.Once
	pop600      population
)

func generate(t testing.TB, cfg Config) population {
	t.Helper()
	var p population
	m, err := Generate(context.Background(), cfg, func(it *Item) error {
		p.items = append(p.items, *it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.m = m
	return p
}

// shared2000 is 2,000 people with the defaults and big records every 250:
// enough for the proportions.
func shared2000(t *testing.T) population {
	pop2000Once.Do(func() { pop2000 = generate(t, Config{People: 2000, Seed: 7, BigEvery: 250}) })
	return pop2000
}

// parsed600 is 600 people (every fixed case, big records every 200), each
// resource parsed by the strict validator, for the tests that look inside.
func parsed600(t *testing.T) population {
	pop600Once.Do(func() {
		p := generate(t, Config{People: 600, Seed: 9, BigEvery: 200})
		p.parsed = make([]*fhir.Resource, len(p.items))
		p.errs = make([]error, len(p.items))
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < len(p.items); k += workers {
					p.parsed[k], p.errs[k] = fhir.Parse(p.items[k].JSON)
				}
			}()
		}
		wg.Wait()
		pop600 = p
	})
	return pop600
}

func digest(t *testing.T, cfg Config) [32]byte {
	t.Helper()
	h := sha256.New()
	m, err := Generate(context.Background(), cfg, func(it *Item) error {
		h.Write([]byte(it.Org + "\t"))
		h.Write(it.JSON)
		h.Write([]byte("\n"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	h.Write(b)
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

func TestDeterministic(t *testing.T) {
	base := Config{People: 300, Seed: 42, BigEvery: 100, BigItems: 120}
	cases := []struct {
		name  string
		other Config
		same  bool
	}{
		{"same seed and size", base, true},
		{"different seed", Config{People: 300, Seed: 43, BigEvery: 100, BigItems: 120}, false},
		{"different as-of", Config{People: 300, Seed: 42, BigEvery: 100, BigItems: 120, AsOf: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}, false},
		{"more practices", Config{People: 300, Seed: 42, BigEvery: 100, BigItems: 120, Practices: 3}, false},
	}
	want := digest(t, base)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := digest(t, c.other)
			if (got == want) != c.same {
				t.Errorf("output equal = %v, want %v", got == want, c.same)
			}
		})
	}
	// A person does not depend on the population around them.
	a, b := Person(base, 123), Person(Config{People: 5000, Seed: 42, BigEvery: 100, BigItems: 120}, 123)
	if len(a.Items) != len(b.Items) || !bytes.Equal(a.Items[0].JSON, b.Items[0].JSON) {
		t.Errorf("person 123 differs between populations of 300 and 5000")
	}
}

// TestEveryResourceValid: every resource passes the strict R4 validator, ids
// are unique, and every reference resolves inside the population.
func TestEveryResourceValid(t *testing.T) {
	p := parsed600(t)
	orgs := map[string]bool{}
	for _, o := range (Config{}).Orgs() {
		orgs[o.Code] = true
	}
	ids := map[string]bool{}
	for _, it := range p.items {
		key := it.Type + "/" + it.ID
		if ids[key] {
			t.Fatalf("%s generated twice", key)
		}
		ids[key] = true
	}
	bad := 0
	for k, it := range p.items {
		r, err := p.parsed[k], p.errs[k]
		if err != nil {
			if bad++; bad < 5 {
				t.Errorf("%s/%s: %v\n%s", it.Type, it.ID, err, it.JSON)
			}
			continue
		}
		if r.Type != it.Type || r.ID != it.ID || !fhir.ValidID(it.ID) {
			t.Errorf("%s/%s parses as %s/%s", it.Type, it.ID, r.Type, r.ID)
		}
		if !orgs[it.Org] {
			t.Errorf("%s/%s written by unknown organisation %q", it.Type, it.ID, it.Org)
		}
		walkRefs(r.Map, func(ref string) {
			if !ids[ref] {
				if bad++; bad < 5 {
					t.Errorf("%s/%s refers to %s, which the population does not have", it.Type, it.ID, ref)
				}
			}
		})
	}
	if bad > 0 {
		t.Fatalf("%d problems", bad)
	}
}

func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" {
				fn(s)
				continue
			}
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	seen := map[string]int{}
	check := func(i int) {
		n := NHSNumber(i)
		if !fhir.ValidNHSNumber(n) {
			t.Fatalf("person %d: NHS number %s fails the modulus-11 check", i, n)
		}
		if j, dup := seen[n]; dup {
			t.Fatalf("persons %d and %d share NHS number %s", j, i, n)
		}
		seen[n] = i
		if in999 := strings.HasPrefix(n, "999"); in999 != (i < NHS999Capacity) {
			t.Fatalf("person %d: %s (999 capacity %d)", i, n, NHS999Capacity)
		}
		if i < NHS999Capacity && n < "9990100000" {
			t.Fatalf("person %d: %s is in the range left to hand-written test data", i, n)
		}
	}
	for i := 0; i < 50000; i++ {
		check(i)
	}
	for i := NHS999Capacity - 20000; i < NHS999Capacity+20000; i++ {
		check(i)
	}
	for _, i := range []int{2_000_000, 5_000_000, 20_000_000} {
		check(i)
	}
	// The Patient carries the number.
	p := shared2000(t)
	for _, it := range p.items[:50] {
		if it.Type == "Patient" && !bytes.Contains(it.JSON, []byte(`"value":"`+NHSNumber(indexOf(it.ID))+`"`)) {
			t.Errorf("%s lacks its NHS number", it.ID)
		}
	}
}

func indexOf(id string) int {
	n := 0
	for _, c := range strings.TrimPrefix(id, "syn-") {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestLabels: the labels each item is said to carry are exactly the ones
// carex gives it on write — meta.security plus what the default policy
// derives from its codes (as api.Server.derive does).
func TestLabels(t *testing.T) {
	p := parsed600(t)
	pol := consent.DefaultPolicy()
	perLabel := map[string]int{}
	for k, it := range p.items {
		r, err := p.parsed[k], p.errs[k]
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		if meta, ok := r.Map["meta"].(map[string]any); ok {
			for _, s := range asSlice(meta["security"]) {
				if c, _ := s.(map[string]any)["code"].(string); c != "" {
					got[c] = true
				}
			}
		}
		var codes []consent.Coding
		for _, e := range search.Extract(r.Type, r.Map) {
			if e.Type == search.Token && (e.Param == "code" || e.Param == "vaccine-code") {
				codes = append(codes, consent.Coding{System: e.System, Code: e.Code})
			}
		}
		for _, l := range pol.Labels(codes) {
			got[l] = true
		}
		var list []string
		for l := range got {
			list = append(list, l)
			if !pol.IsSensitive(l) {
				t.Errorf("%s/%s: label %s is not sensitive in the default policy", it.Type, it.ID, l)
			}
		}
		sort.Strings(list)
		if !slices.Equal(list, it.Labels) {
			t.Errorf("%s/%s: carex labels it %v, the generator says %v", it.Type, it.ID, list, it.Labels)
		}
		for _, l := range list {
			perLabel[it.Type+":"+l]++
		}
	}
	for _, want := range []string{"Condition:HIV", "Condition:STD", "Condition:PSY", "MedicationStatement:HIV", "MedicationRequest:STD", "Patient:R"} {
		if perLabel[want] == 0 {
			t.Errorf("no %s in 600 people: %v", want, perLabel)
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestProportions checks the documented rates within a tolerance.
func TestProportions(t *testing.T) {
	p := shared2000(t)
	m := p.m
	n := float64(m.People)
	rate := func(k int) float64 { return float64(k) / n }
	people := map[string]int{}
	for _, o := range m.Orgs {
		people[o.Code] = o.People
	}
	cases := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"opted out (3%)", rate(m.Totals.OptedOut), 0.02, 0.045},
		{"no council (5%)", rate(m.Totals.NoCouncil), 0.035, 0.07},
		{"expired restriction (1%)", rate(m.Totals.ExpiredRestriction), 0.003, 0.02},
		{"restricted demographics (0.5%)", rate(m.Totals.Restricted), 0.001, 0.012},
		{"sensitive", rate(m.Totals.Sensitive), 0.05, 0.13},
		{"district nursing", rate(people[OrgCommunity]), 0.035, 0.08},
		{"hospital", rate(people[OrgHospital]), 0.08, 0.15},
		{"council", rate(people[OrgCouncil]), 0.03, 0.07},
		{"mean resources per person (~15)", m.Items.Mean, 13.5, 17.5},
		{"GP practice holds everyone", rate(people[OrgGP]), 1, 1},
	}
	for _, c := range cases {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: %.4f, want %.3f–%.3f", c.name, c.got, c.min, c.max)
		}
	}
	consents := m.Counts["Consent"]
	if want := m.Totals.OptedOut + m.Totals.NoCouncil + m.Totals.ExpiredRestriction + m.Totals.Permits; consents != want {
		t.Errorf("%d Consents, want one per opt-out, objection, restriction and permit (%d)", consents, want)
	}
	if m.Totals.Permits == 0 {
		t.Errorf("no sensitive permits")
	}
}

// TestBigRecords: every BigEvery-th person has exactly BigItems resources.
func TestBigRecords(t *testing.T) {
	cfg := Config{People: 100, Seed: 3, BigEvery: 25, BigItems: 150}
	for i := 0; i < cfg.People; i++ {
		r := Person(cfg, i)
		big := i%25 == 24
		if big && len(r.Items) != 150 {
			t.Errorf("person %d: %d resources, want 150", i, len(r.Items))
		}
		if big != (r.Patient.Size == "big") {
			t.Errorf("person %d: size %s", i, r.Patient.Size)
		}
		if !big && len(r.Items) >= 150 {
			t.Errorf("person %d: %d resources but not big", i, len(r.Items))
		}
	}
	if r := Person(Config{People: 10, BigEvery: -1}, 9); r.Patient.Size == "big" {
		t.Errorf("BigEvery < 0 still makes big records")
	}
}

// TestConsentShapes: every Consent is one of the demo's shapes, and the
// consent engine reads it.
func TestConsentShapes(t *testing.T) {
	demo, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "gp-riverside-surgery-consents.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct{ Resource json.RawMessage }
	}
	if err := json.Unmarshal(demo, &bundle); err != nil {
		t.Fatal(err)
	}
	shapes := map[string]bool{}
	for _, e := range bundle.Entry {
		shapes[skeleton(t, e.Resource)] = true
	}
	p := shared2000(t)
	used := map[string]int{}
	for _, it := range p.items {
		if it.Type != "Consent" {
			continue
		}
		if _, err := consent.ParseConsent(it.JSON); err != nil {
			t.Errorf("%s: %v", it.ID, err)
		}
		s := skeleton(t, it.JSON)
		if !shapes[s] {
			t.Errorf("%s is not a demo shape:\n%s\n%s", it.ID, it.JSON, s)
		}
		used[s]++
	}
	if len(used) != len(shapes) {
		t.Errorf("%d of the demo's %d consent shapes generated", len(used), len(shapes))
	}
}

// skeleton is a resource's structure: member names, the systems, types,
// statuses and codes, with every other value (ids, dates, references,
// which labels and organisations) replaced by "*" and arrays reduced to
// their distinct members.
func skeleton(t *testing.T, raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var sk func(v any, key string, under string) any
	sk = func(v any, key, under string) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				u := under
				if k == "securityLabel" || k == "reference" {
					u = k
				}
				out[k] = sk(e, k, u)
			}
			return out
		case []any:
			set := map[string]any{}
			for _, e := range x {
				s := sk(e, key, under)
				b, _ := json.Marshal(s)
				set[string(b)] = s
			}
			keys := make([]string, 0, len(set))
			for k := range set {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := []any{}
			for _, k := range keys {
				out = append(out, set[k])
			}
			return out
		case string:
			switch {
			case under == "reference" || under == "securityLabel" && key == "code":
				return "*"
			case key == "system" || key == "code" || key == "type" || key == "status" || key == "resourceType" || key == "display":
				return x
			}
			return "*"
		}
		return v
	}
	b, _ := json.Marshal(sk(v, "", ""))
	return string(b)
}

// TestManifest: the sample covers every kind and round-trips through LoadManifest.
func TestManifest(t *testing.T) {
	p := shared2000(t)
	m := p.m
	if m.People != 2000 || m.Seed != 7 || m.Format != ManifestFormat || m.AsOf != "2026-01-01" {
		t.Errorf("manifest header: %+v", m)
	}
	total := 0
	for _, o := range m.Orgs {
		total += o.Resources
	}
	if total != m.Resources || m.Resources != len(p.items) {
		t.Errorf("resources: orgs %d, total %d, items %d", total, m.Resources, len(p.items))
	}
	kinds := map[string]bool{}
	cases := map[string]bool{}
	for _, pt := range m.Patients {
		i := indexOf(pt.ID)
		if pt.ID != PatientID(i) || pt.NHS != NHSNumber(i) {
			t.Errorf("sample patient %s / %s", pt.ID, pt.NHS)
		}
		r := Person(Config{People: 2000, Seed: 7, BigEvery: 250}, i)
		if r.Patient.Items != pt.Items || len(r.Items) != pt.Items {
			t.Errorf("%s: manifest says %d items, the record has %d", pt.ID, pt.Items, len(r.Items))
		}
		kinds[pt.Size] = true
		for k, b := range map[string]bool{"optedOut": pt.OptedOut, "noCouncil": pt.NoCouncil, "sensitive": pt.Sensitive, "restricted": pt.Restricted, "permit": len(pt.Permits) > 0} {
			if b {
				kinds[k] = true
			}
		}
		if pt.Case != "" {
			cases[pt.Case] = true
		}
	}
	for _, k := range []string{"small", "typical", "big", "optedOut", "noCouncil", "sensitive", "restricted", "permit"} {
		if !kinds[k] {
			t.Errorf("the sample has no %s patient", k)
		}
	}
	for _, c := range Cases {
		if !cases[c.Name] {
			t.Errorf("the sample lacks case %s", c.Name)
		}
	}
	if len(m.Patients) > 20*DefaultSample {
		t.Errorf("sample of %d patients", len(m.Patients))
	}
	path := filepath.Join(t.TempDir(), "manifest.json")
	b, _ := json.MarshalIndent(m, "", "  ")
	os.WriteFile(path, b, 0o644)
	back, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.MarshalIndent(back, "", "  ")
	if !bytes.Equal(b, b2) {
		t.Errorf("manifest does not round-trip")
	}
}

// TestCases: the fixed cases are what their names say.
func TestCases(t *testing.T) {
	cfg := Config{People: 100, Seed: 11}
	for i, c := range Cases {
		p := Person(cfg, i).Patient
		orgs := strings.Join(p.Orgs, " ")
		var ok bool
		switch c.Name {
		case "opted-out":
			ok = p.OptedOut && strings.Contains(orgs, OrgCouncil)
		case "no-council":
			ok = p.NoCouncil && strings.Contains(orgs, OrgCouncil)
		case "hiv-permit-hospital":
			ok = slices.Contains(p.Labels, "HIV") && slices.Equal(p.Permits, []string{OrgHospital}) && strings.Contains(orgs, OrgCommunity)
		case "hiv-no-permit":
			ok = slices.Contains(p.Labels, "HIV") && len(p.Permits) == 0 && strings.Contains(orgs, OrgCommunity) && !p.OptedOut && !p.NoCouncil
		case "restricted":
			ok = p.Restricted && slices.Contains(p.Labels, "R")
		case "expired-council-restriction":
			ok = p.ExpiredRestriction && strings.Contains(orgs, OrgCouncil)
		case "sexual-health-permit-gp":
			ok = slices.Contains(p.Labels, "STD") && slices.Equal(p.Permits, []string{OrgGP})
		case "mental-health":
			ok = slices.Contains(p.Labels, "PSY") && strings.Contains(orgs, OrgCommunity)
		default:
			t.Errorf("case %s untested", c.Name)
			continue
		}
		if !ok || p.Case != c.Name {
			t.Errorf("person %d (%s): %+v", i, c.Name, p)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := Config{People: 1000, Seed: 1}
	var resources, size int
	for b.Loop() {
		_, err := Generate(context.Background(), cfg, func(it *Item) error {
			resources++
			size += len(it.JSON) + 1
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(size)/float64(resources), "bytes/resource")
}
