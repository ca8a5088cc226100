package synth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
)

// ManifestFormat is Manifest.Format; it changes only if a field changes meaning.
const ManifestFormat = "carex-synth/1"

// Manifest describes a generated population, for tools (such as a load
// benchmark) that need to pick people and users. carex gen writes it as
// DIR/manifest.json (--out) or FILE.manifest.json (--db). Field names are
// stable.
type Manifest struct {
	Format   string `json:"format"` // ManifestFormat
	People   int    `json:"people"` // number of people
	Seed     uint64 `json:"seed"`
	AsOf     string `json:"asOf"`     // YYYY-MM-DD: clinical dates count back from this day
	BigEvery int    `json:"bigEvery"` // person i has a big record when bigEvery > 0 and i % bigEvery == bigEvery-1
	BigItems int    `json:"bigItems"` // resources in a big record
	// IDFormat is the fmt format of person i's Patient id (PatientID);
	// person i's NHS number is NHSNumber(i), whatever the seed.
	IDFormat  string         `json:"idFormat"`
	Resources int            `json:"resources"` // every resource written, the directory included
	Counts    map[string]int `json:"counts"`    // resources per resource type
	// Orgs are the organisations in import order: load each one's file with
	// carex import --org CODE --sector SECTOR FILE, in this order.
	Orgs   []OrgSummary `json:"orgs"`
	Items  ItemStats    `json:"items"`  // resources per person
	Totals Totals       `json:"totals"` // people in each situation
	// Patients is a sample: every fixed case, then up to Config.Sample
	// people of each kind (small, typical and big records, opted out, no
	// council, sensitive, restricted, with a permit, known to each
	// organisation), in person order.
	Patients []Patient `json:"patients"`
}

// OrgSummary is one organisation of the population and what it wrote.
type OrgSummary struct {
	Org
	File      string `json:"file,omitempty"` // its NDJSON file, relative to the manifest (--out only)
	Resources int    `json:"resources"`      // resources it wrote
	People    int    `json:"people"`         // people it holds data about
}

// ItemStats summarise resources per person (the Patient and Consent included).
type ItemStats struct {
	Min  int     `json:"min"`
	Mean float64 `json:"mean"`
	P50  int     `json:"p50"`
	P90  int     `json:"p90"`
	P99  int     `json:"p99"`
	Max  int     `json:"max"`
}

// Totals count people per situation.
type Totals struct {
	OptedOut           int            `json:"optedOut"`           // OPTOUT consent
	NoCouncil          int            `json:"noCouncil"`          // deny to the council sector
	ExpiredRestriction int            `json:"expiredRestriction"` // a council deny whose period has ended
	Permits            int            `json:"permits"`            // a permit releasing labelled data to a named organisation
	Restricted         int            `json:"restricted"`         // demographics labelled R
	Sensitive          int            `json:"sensitive"`          // at least one item with a sensitivity label (R excluded)
	Big                int            `json:"big"`                // big records
	Labels             map[string]int `json:"labels"`             // people with at least one item carrying each label
}

// Patient is one person of the population.
type Patient struct {
	ID        string `json:"id"`        // Patient id
	NHS       string `json:"nhs"`       // NHS number, 10 digits
	Items     int    `json:"items"`     // resources in the person's record, from every organisation
	OptedOut  bool   `json:"optedOut"`  // opted out: nothing is shared beyond each source organisation
	NoCouncil bool   `json:"noCouncil"` // objects to the council seeing their NHS record
	Sensitive bool   `json:"sensitive"` // has items with sensitivity labels (HIV, STD, SEX, PSY, ETH)
	// Labels are the sensitivity labels on the person's items (R: restricted demographics).
	Labels             []string `json:"labels,omitempty"`
	Permits            []string `json:"permits,omitempty"` // organisations the person's consent lets see their labelled data
	Restricted         bool     `json:"restricted,omitempty"`
	ExpiredRestriction bool     `json:"expiredRestriction,omitempty"`
	GP                 string   `json:"gp"`   // registered GP practice
	Orgs               []string `json:"orgs"` // organisations holding data about the person, the GP practice first
	Age                int      `json:"age"`
	Size               string   `json:"size"`           // small (≤ 6 resources), typical, or big
	Case               string   `json:"case,omitempty"` // the fixed case this person is (see Cases)
}

// LoadManifest reads a manifest written by carex gen.
func LoadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", path, m.Format, ManifestFormat)
	}
	return &m, nil
}

// Generate generates the population: the Directory, then each person's
// resources in person order, handed one by one to emit (which must not
// keep the Item's JSON beyond the call unless it copies it — it is not
// reused, so keeping it is fine too). People are generated in parallel;
// the order of emit calls is fixed. It returns the manifest.
func Generate(ctx context.Context, cfg Config, emit func(*Item) error) (*Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	col := newCollector(cfg)
	for _, it := range Directory(cfg) {
		col.item(&it)
		if err := emit(&it); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const chunk = 64
	type job struct {
		start int
		out   chan []*Record
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job)
	futures := make(chan chan []*Record, 2*workers)
	go func() {
		defer close(futures)
		defer close(jobs)
		for start := 0; start < cfg.People; start += chunk {
			f := make(chan []*Record, 1)
			select {
			case futures <- f:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{start, f}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			for j := range jobs {
				end := min(j.start+chunk, cfg.People)
				recs := make([]*Record, 0, end-j.start)
				for i := j.start; i < end; i++ {
					recs = append(recs, Person(cfg, i))
				}
				j.out <- recs
			}
		}()
	}
	for f := range futures {
		var recs []*Record
		select {
		case recs = <-f:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for _, rec := range recs {
			col.record(rec)
			for k := range rec.Items {
				if err := emit(&rec.Items[k]); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return col.manifest(), nil
}

// collector builds the manifest as records go by.
type collector struct {
	cfg    Config
	m      *Manifest
	orgIdx map[string]int
	hist   []int // people by number of items
	sum    int
	quota  map[string]int
}

func newCollector(cfg Config) *collector {
	c := &collector{cfg: cfg, orgIdx: map[string]int{}, quota: map[string]int{}}
	c.m = &Manifest{Format: ManifestFormat, People: cfg.People, Seed: cfg.Seed, AsOf: date(cfg.AsOf),
		BigEvery: cfg.BigEvery, BigItems: cfg.BigItems, IDFormat: "syn-%07d", Counts: map[string]int{},
		Totals: Totals{Labels: map[string]int{}}, Patients: []Patient{}}
	for i, o := range cfg.Orgs() {
		c.orgIdx[o.Code] = i
		c.m.Orgs = append(c.m.Orgs, OrgSummary{Org: o})
	}
	return c
}

func (c *collector) item(it *Item) {
	c.m.Resources++
	c.m.Counts[it.Type]++
	c.m.Orgs[c.orgIdx[it.Org]].Resources++
}

func (c *collector) record(rec *Record) {
	p := &rec.Patient
	for k := range rec.Items {
		c.item(&rec.Items[k])
	}
	for _, o := range p.Orgs {
		c.m.Orgs[c.orgIdx[o]].People++
	}
	for len(c.hist) <= p.Items {
		c.hist = append(c.hist, 0)
	}
	c.hist[p.Items]++
	c.sum += p.Items
	t := &c.m.Totals
	count := func(b bool, n *int) {
		if b {
			*n++
		}
	}
	count(p.OptedOut, &t.OptedOut)
	count(p.NoCouncil, &t.NoCouncil)
	count(p.ExpiredRestriction, &t.ExpiredRestriction)
	count(len(p.Permits) > 0, &t.Permits)
	count(p.Restricted, &t.Restricted)
	count(p.Sensitive, &t.Sensitive)
	count(p.Size == "big", &t.Big)
	for _, l := range p.Labels {
		t.Labels[l]++
	}
	// The sample.
	kinds := []string{"size:" + p.Size}
	add := func(b bool, k string) {
		if b {
			kinds = append(kinds, k)
		}
	}
	add(p.OptedOut, "optedOut")
	add(p.NoCouncil, "noCouncil")
	add(p.ExpiredRestriction, "expired")
	add(p.Sensitive, "sensitive")
	add(p.Restricted, "restricted")
	add(len(p.Permits) > 0, "permit")
	for _, l := range p.Labels {
		kinds = append(kinds, "label:"+l)
	}
	for _, o := range p.Orgs[1:] {
		kinds = append(kinds, "org:"+o)
	}
	take := p.Case != ""
	for _, k := range kinds {
		if c.quota[k] < c.cfg.Sample {
			take = true
		}
	}
	if take {
		for _, k := range kinds {
			c.quota[k]++
		}
		q := *p
		q.Labels = slices.Clone(p.Labels)
		q.Orgs = slices.Clone(p.Orgs)
		q.Permits = slices.Clone(p.Permits)
		c.m.Patients = append(c.m.Patients, q)
	}
}

func (c *collector) manifest() *Manifest {
	s := &c.m.Items
	if c.cfg.People > 0 {
		s.Mean = float64(int(float64(c.sum)/float64(c.cfg.People)*100+0.5)) / 100
	}
	pct := func(q float64) int {
		want := int(q*float64(c.cfg.People)+0.5) - 1
		seen := 0
		for n, k := range c.hist {
			seen += k
			if seen > want {
				return n
			}
		}
		return len(c.hist) - 1
	}
	s.Min, s.P50, s.P90, s.P99, s.Max = pct(0), pct(0.5), pct(0.9), pct(0.99), len(c.hist)-1
	for n, k := range c.hist {
		if k > 0 {
			s.Min = n
			break
		}
	}
	return c.m
}
