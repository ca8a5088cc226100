// Package synth generates a deterministic synthetic population for carex:
// people whose records come from a GP practice (or several), the community
// trust's district nurses, the hospital and the council's adult social care
// service, in the shapes of the demo population (testdata/demo), with
// sensitive items and Consents in realistic proportions.
//
// The package is pure: it hands resources to a callback and knows nothing
// of storage. Person i's record depends only on (Config, i): every person
// has a random stream of its own (math/rand/v2 PCG seeded with the seed and
// i), so people can be generated in parallel and the output is
// byte-identical for the same seed and size. No map is iterated into the
// output and no clock is read: dates count back from Config.AsOf.
//
// # What a population looks like
//
// Ages follow an England-like pyramid (20% 0–17, 28% 18–39, 32% 40–64,
// 13% 65–79, 7% 80+). Everyone has a GP record: the Patient (valid NHS
// number in the 999 test range, see NHSNumber), problems drawn from a
// catalogue by age-specific prevalence (hypertension, diabetes, COPD,
// depression, dementia…), their medicines (MedicationStatement, plus a
// repeat MedicationRequest for long-term ones), allergies (12%, and a "no
// known drug allergy" entry for a further 30%), consultations, observations
// (blood pressure, weight, BMI, smoking status, HbA1c for diabetes, eGFR for
// kidney disease), flu and COVID immunisations for older people and some
// clinic letters. By age band (0–17, 18–39, 40–64, 65–79, 80+):
//
//   - district nursing (RCX) for 0.4%, 1%, 3%, 12%, 35%: a CareTeam, a
//     CarePlan, home-visit Encounters, wound assessments and a booked visit;
//   - hospital (RHX) for 5%, 7%, 10%, 18%, 28%: an admission or day case
//     with its diagnosis, procedure, discharge medication and summary;
//   - council adult social care (E06000999) for 0%, 1.5%, 3%, 10%, 30%
//     (plus 30% of people with dementia): a social care CareTeam, a care
//     package (EpisodeOfCare type care-package), needs assessment Tasks,
//     service referrals, carers and lasting powers of attorney
//     (RelatedPerson) and, for 5% of them, a safeguarding Flag.
//
// Sensitive items: mental health problems (depression, schizophrenia,
// bipolar disorder: PSY; alcohol dependence: ETH) are labelled by the
// default policy from their SNOMED CT codes; sexual health (chlamydia,
// gonorrhoea, genital herpes: 2% of 18–39s, 0.5% of 40–64s) is diagnosed at
// the hospital's sexual health clinic (STD, from the national refset); HIV
// (0.2% of adults) is on the GP record and seen at the hospital's HIV clinic
// (HIV and STD); termination of pregnancy (0.4% of women 18–39) is a
// hospital procedure (SEX). Where the code alone would not be labelled
// (medicines, clinic encounters and teams), the item carries the label in
// meta.security as the demo's HIV medicine does.
//
// Consents (written by the person's GP practice, in exactly the demo's
// shapes): 3% opt out (OPTOUT); 5% object to the council seeing their NHS
// record (deny, actor sector council); 1% had a council restriction that
// has ended (deny with a period in the past); among the rest, 50% of people
// with HIV permit the hospital (labels HIV and STD), 30% of people with a
// sexual health diagnosis permit their GP practice (STD), 10% of people
// with a mental health label permit the community trust (PSY). 0.5% of
// people have restricted demographics (meta.security R on the Patient).
//
// Big records: with BigEvery = k, every k-th person (i % k == k-1) is an
// older person with several long-term conditions, known to every
// organisation, whose record is padded with years of history (monthly GP
// reviews and repeat prescriptions, blood pressure and HbA1c series,
// weekly district nursing visits) to exactly BigItems resources.
//
// The first people are fixed cases (see Cases) so that a small population
// still has one of each consent situation.
package synth

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Config says what to generate. Zero fields take the defaults.
type Config struct {
	People    int       // number of people; default 10,000
	Seed      uint64    // random seed; default 1
	AsOf      time.Time // records are as of this day; default 2026-01-01
	BigEvery  int       // every BigEvery-th person has a big record; 0: default 1000, <0: none
	BigItems  int       // resources in a big record; default 300
	Practices int       // GP practices (A81001, A81002, …); default 1
	Sample    int       // manifest: patients listed per category; default 50
}

// Defaults.
const (
	DefaultPeople   = 10000
	DefaultSeed     = 1
	DefaultBigEvery = 1000
	DefaultBigItems = 300
	DefaultSample   = 50
)

// DefaultAsOf is the default Config.AsOf.
var DefaultAsOf = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	if c.People <= 0 {
		c.People = DefaultPeople
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.AsOf.IsZero() {
		c.AsOf = DefaultAsOf
	}
	c.AsOf = time.Date(c.AsOf.Year(), c.AsOf.Month(), c.AsOf.Day(), 0, 0, 0, 0, time.UTC)
	if c.BigEvery == 0 {
		c.BigEvery = DefaultBigEvery
	}
	if c.BigEvery < 0 {
		c.BigEvery = 0
	}
	if c.BigItems <= 0 {
		c.BigItems = DefaultBigItems
	}
	if c.Practices <= 0 {
		c.Practices = 1
	}
	if c.Sample <= 0 {
		c.Sample = DefaultSample
	}
	return c
}

// Validate reports a Config that cannot be generated.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.Practices > 999 {
		return fmt.Errorf("at most 999 GP practices (A81001…A81999), not %d", c.Practices)
	}
	if c.BigItems > 100000 {
		return fmt.Errorf("big records of at most 100,000 resources, not %d", c.BigItems)
	}
	if c.People > 50_000_000 {
		return fmt.Errorf("at most 50,000,000 people, not %d", c.People)
	}
	return nil
}

// Org is one organisation of the population.
type Org struct {
	Code   string `json:"code"`   // ODS code, or the council code; also the Organization id
	Name   string `json:"name"`   //
	Sector string `json:"sector"` // nhs or council
	Kind   string `json:"kind"`   // gp, community, hospital or council
	Role   string `json:"role"`   // the carex role of its front-line users: gp, district-nurse, hospital-clinician, social-worker
}

// The demo's organisations.
const (
	OrgGP        = "A81001"
	OrgCommunity = "RCX"
	OrgHospital  = "RHX"
	OrgCouncil   = "E06000999"
)

var practiceNames = []string{"Riverside Surgery", "Castle Street Medical Centre", "Northgate Health Centre", "Abbey Lane Surgery", "Moorside Medical Practice", "Harbour View Surgery", "Elm Tree Practice", "Valley Road Health Centre"}

func practice(k int) Org {
	name := fmt.Sprintf("Northshire Practice %d", k+1)
	if k < len(practiceNames) {
		name = practiceNames[k]
	}
	return Org{Code: fmt.Sprintf("A81%03d", k+1), Name: name, Sector: "nhs", Kind: "gp", Role: "gp"}
}

var (
	orgCommunity = Org{Code: OrgCommunity, Name: "Northshire Community Health NHS Trust", Sector: "nhs", Kind: "community", Role: "district-nurse"}
	orgHospital  = Org{Code: OrgHospital, Name: "Northshire Hospitals NHS Foundation Trust", Sector: "nhs", Kind: "hospital", Role: "hospital-clinician"}
	orgCouncil   = Org{Code: OrgCouncil, Name: "Northshire Council Adult Social Care", Sector: "council", Kind: "council", Role: "social-worker"}
)

// Orgs lists the organisations in import order: the GP practices first
// (A81001 also writes the Organization directory), then the community
// trust, the hospital and the council.
func (c Config) Orgs() []Org {
	c = c.WithDefaults()
	var out []Org
	for k := 0; k < c.Practices; k++ {
		out = append(out, practice(k))
	}
	return append(out, orgCommunity, orgHospital, orgCouncil)
}

// Item is one generated resource.
type Item struct {
	Org  string // the organisation whose system writes it: carex import --org
	Type string
	ID   string
	JSON []byte // compact JSON, one NDJSON line without the newline
	// Labels are the sensitivity labels the item carries in meta.security or
	// that the default policy derives from its codes, sorted.
	Labels []string
}

// Record is one person's generated resources, in write order per
// organisation (the Patient first), and the facts about them.
type Record struct {
	Patient Patient
	Items   []Item
}

// Case is a fixed situation given to one of the first people.
type Case struct {
	Name string
	f    force
}

type force struct {
	band                                   int // -1: drawn
	optOut, noCouncil, expired, restricted bool
	hiv, hivPermit, std, stdPermit, psy    bool
	community, hospital, council           bool
	noHIV                                  bool
}

// Cases are given, in order, to people 0, 1, 2, …
var Cases = []Case{
	{"opted-out", force{band: bandVeryOld, optOut: true, community: true, council: true}},
	{"no-council", force{band: bandVeryOld, noCouncil: true, community: true, council: true}},
	{"hiv-permit-hospital", force{band: bandMiddle, hiv: true, hivPermit: true, community: true}},
	{"hiv-no-permit", force{band: bandMiddle, hiv: true, community: true, council: true}},
	{"restricted", force{band: bandOld, restricted: true, council: true}},
	{"expired-council-restriction", force{band: bandVeryOld, expired: true, council: true, community: true}},
	{"sexual-health-permit-gp", force{band: bandYoung, std: true, stdPermit: true}},
	{"mental-health", force{band: bandMiddle, psy: true, community: true, council: true}},
}

// gen builds one person's record.
type gen struct {
	cfg  Config
	r    *rand.Rand
	i    int
	id   string
	ref  string // "Patient/<id>"
	big  bool
	f    force
	gp   Org
	band int
	age  int
	sex  string
	name string // display name

	rec       *Record
	seq       int
	conds     []condRef
	hasLabel  map[string]bool
	permits   []string
	orgs      map[string]bool
	community bool
	hospital  bool
	council   bool
	nurseTeam string // CareTeam id of the district nurses
	woundPlan bool
	meds      []med
}

type condRef struct {
	c     condition
	id    string
	onset time.Time
}

// Person generates person i (0 ≤ i < cfg.People) of the population.
func Person(cfg Config, i int) *Record {
	cfg = cfg.WithDefaults()
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, uint64(i)^0x9e3779b97f4a7c15)), i: i, id: PatientID(i),
		rec: &Record{}, hasLabel: map[string]bool{}, orgs: map[string]bool{}}
	g.ref = "Patient/" + g.id
	g.f.band = -1
	if i < len(Cases) {
		g.f = Cases[i].f
		g.rec.Patient.Case = Cases[i].Name
	}
	g.big = cfg.BigEvery > 0 && i%cfg.BigEvery == cfg.BigEvery-1
	g.gp = practice(i % cfg.Practices)
	g.person()
	return g.rec
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }
func (g *gen) pick(n int) int        { return g.r.IntN(n) }

func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (g *gen) poisson(mean float64) int { return poisson(g.r, mean) }

// ago is a time n days before AsOf at a working-hours time of day.
func (g *gen) ago(days int) time.Time {
	return g.cfg.AsOf.AddDate(0, 0, -days).Add(time.Duration(8*60+g.pick(9*60)) * time.Minute).Truncate(5 * time.Minute)
}

func date(t time.Time) string { return t.Format("2006-01-02") }
func dt(t time.Time) string   { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (g *gen) nextID(short string) string {
	g.seq++
	return fmt.Sprintf("%s-%s%d", g.id, short, g.seq)
}

// add records one resource of org. body holds the members after
// resourceType, id and meta; labels are the meta.security codes (v3 ActCode
// or, for R, v3 Confidentiality); derived are labels the policy derives from
// its codes; tag is a data-class meta.tag.
func (g *gen) add(org, typ, short string, explicit []string, derived []string, tag string, body O) string {
	id := g.nextID(short)
	var meta O
	var sec A
	for _, l := range explicit {
		sys, disp := sysActCode, labelDisplay[l]
		if l == "R" {
			sys = sysConf
		}
		sec = append(sec, O{"system", sys, "code", l, "display", disp})
	}
	if len(sec) > 0 || tag != "" {
		var tags A
		if tag != "" {
			tags = A{O{"system", sysDataClass, "code", tag}}
		}
		meta = O{"security", sec, "tag", tags}
	}
	obj := append(O{"resourceType", typ, "id", id, "meta", meta}, body...)
	var labels []string
	for _, l := range append(append([]string(nil), explicit...), derived...) {
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	slices.Sort(labels)
	for _, l := range labels {
		g.hasLabel[l] = true
	}
	g.orgs[org] = true
	g.rec.Items = append(g.rec.Items, Item{Org: org, Type: typ, ID: id, JSON: encode(nil, obj), Labels: labels})
	return id
}

var labelDisplay = map[string]string{
	"HIV": "HIV/AIDS information sensitivity",
	"STD": "sexually transmitted disease information sensitivity",
	"PSY": "psychiatry disorder information sensitivity",
	"ETH": "substance abuse information sensitivity",
	"SEX": "sexuality and reproductive health information sensitivity",
	"R":   "restricted",
}

func cc(system, code, display string) O {
	return O{"coding", A{O{"system", system, "code", code, "display", display}}}
}

func ccText(system, code, display, text string) O {
	return O{"coding", A{O{"system", system, "code", code, "display", display}}, "text", text}
}

func ref(r, display string) O { return O{"reference", r, "display", display} }

func orgRef(o Org) O { return ref("Organization/"+o.Code, o.Name) }

func qty(v float64, unit, code string) O {
	return O{"value", v, "unit", unit, "system", sysUCUM, "code", code}
}

// practitioner k (0–2) of an organisation.
func practitionerRef(o Org, k int) O {
	n := staff[o.Kind][k%3]
	return ref("Practitioner/"+practitionerID(o.Code, k%3), n.display)
}

func practitionerID(code string, k int) string {
	return fmt.Sprintf("syn-%s-pr%d", strings.ToLower(code), k+1)
}

type staffMember struct {
	prefix, given, family, display, idSystem, idValue string
}

var staff = map[string][3]staffMember{
	"gp": {
		{"Dr", "Asha", "Patel", "Dr Asha Patel", "https://fhir.hl7.org.uk/Id/gmc-number", "C1234567"},
		{"Dr", "Tom", "Reid", "Dr Tom Reid", "https://fhir.hl7.org.uk/Id/gmc-number", "C2345678"},
		{"Nurse", "Lucy", "Hale", "Lucy Hale, practice nurse", "https://fhir.hl7.org.uk/Id/nmc-number", "09B1234E"},
	},
	"community": {
		{"Nurse", "Grace", "Okafor", "Grace Okafor, district nurse", "https://fhir.hl7.org.uk/Id/nmc-number", "12A3456E"},
		{"Nurse", "Ben", "Cartwright", "Ben Cartwright, district nurse", "https://fhir.hl7.org.uk/Id/nmc-number", "14C5678E"},
		{"Nurse", "Maria", "Santos", "Maria Santos, district nurse", "https://fhir.hl7.org.uk/Id/nmc-number", "16D7890E"},
	},
	"hospital": {
		{"Dr", "Rhys", "Evans", "Dr Rhys Evans, consultant", "https://fhir.hl7.org.uk/Id/gmc-number", "C7654321"},
		{"Dr", "Nadia", "Hussain", "Dr Nadia Hussain, consultant", "https://fhir.hl7.org.uk/Id/gmc-number", "C8765432"},
		{"Dr", "Claire", "Morgan", "Dr Claire Morgan, sexual health consultant", "https://fhir.hl7.org.uk/Id/gmc-number", "C9876543"},
	},
	"council": {
		{"", "Sian", "Hughes", "Sian Hughes, social worker", "https://carex.example/Id/swe-registration", "SW123456"},
		{"", "Mark", "Lowe", "Mark Lowe, social worker", "https://carex.example/Id/swe-registration", "SW234567"},
		{"", "Jo", "Barker", "Jo Barker, occupational therapist", "https://carex.example/Id/swe-registration", "SW345678"},
	},
}

var orgTypes = map[string]O{
	"gp":        cc(sysSNOMED, "788007007", "General practice service"),
	"community": cc("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider"),
	"hospital":  cc("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider"),
	"council":   cc("http://terminology.hl7.org/CodeSystem/organization-type", "govt", "Government"),
}

// Directory is the shared directory: every Organization (written by the
// first practice, as the demo does) and each organisation's practitioners
// (written by that organisation). It comes before everyone's records.
func Directory(cfg Config) []Item {
	cfg = cfg.WithDefaults()
	var out []Item
	orgs := cfg.Orgs()
	for k, o := range orgs {
		sys := sysODS
		if o.Sector == "council" {
			sys = sysCouncilCode
		}
		obj := O{"resourceType", "Organization", "id", o.Code,
			"identifier", A{O{"system", sys, "value", o.Code}},
			"active", true,
			"type", A{orgTypes[o.Kind]},
			"name", o.Name,
			"telecom", A{O{"system", "phone", "value", fmt.Sprintf("01632 96%04d", k+1), "use", "work"}},
			"address", A{O{"use", "work", "line", A{fmt.Sprintf("%d Northshire Way", k+1)}, "city", "Northshire", "postalCode", fmt.Sprintf("NS%d %dAA", k%9+1, k%10), "country", "GB"}},
		}
		out = append(out, Item{Org: orgs[0].Code, Type: "Organization", ID: o.Code, JSON: encode(nil, obj)})
	}
	for _, o := range orgs {
		for k, s := range staff[o.Kind] {
			id := practitionerID(o.Code, k)
			obj := O{"resourceType", "Practitioner", "id", id,
				"identifier", A{O{"system", s.idSystem, "value", s.idValue}},
				"name", A{O{"family", s.family, "given", A{s.given}, "prefix", A{s.prefix}}},
			}
			out = append(out, Item{Org: o.Code, Type: "Practitioner", ID: id, JSON: encode(nil, obj)})
		}
	}
	return out
}

func (g *gen) person() {
	p := &g.rec.Patient
	p.ID, p.NHS, p.GP = g.id, NHSNumber(g.i), g.gp.Code
	// Age band and age.
	g.band = g.f.band
	if g.big {
		g.band = bandVeryOld
	}
	u := g.r.Float64()
	if g.band < 0 {
		g.band = nBands - 1
		for b, s := range bandShare {
			if u < s {
				g.band = b
				break
			}
			u -= s
		}
	}
	g.age = bandAges[g.band][0] + g.pick(bandAges[g.band][1]-bandAges[g.band][0]+1)
	g.sex = "female"
	if g.chance(0.49) {
		g.sex = "male"
	}
	if g.f.hiv || g.f.std {
		g.sex = "male"
	}
	p.Age = g.age

	// Who is involved, drawn up front so the draws do not depend on the
	// size of the record.
	comm := [nBands]float64{0.004, 0.01, 0.03, 0.12, 0.35}
	hosp := [nBands]float64{0.05, 0.07, 0.10, 0.18, 0.28}
	counc := [nBands]float64{0, 0.015, 0.03, 0.10, 0.30}
	g.community = g.chance(comm[g.band]) || g.f.community || g.big
	g.hospital = g.chance(hosp[g.band]) || g.f.hospital || g.big
	g.council = g.chance(counc[g.band]) || g.f.council || g.big
	adult := g.band != bandChild
	hiv := (adult && g.band != bandVeryOld && g.chance(0.002) && !g.f.noHIV) || g.f.hiv
	stdP := [nBands]float64{0, 0.02, 0.005, 0, 0}
	std := g.chance(stdP[g.band]) || g.f.std
	top := g.band == bandYoung && g.sex == "female" && g.chance(0.004)
	restricted := g.chance(0.005) || g.f.restricted
	cu := g.r.Float64()
	optOut, noCouncil, expired := cu < 0.03, cu >= 0.03 && cu < 0.08, cu >= 0.08 && cu < 0.09
	if g.f.optOut || g.f.noCouncil || g.f.expired {
		optOut, noCouncil, expired = g.f.optOut, g.f.noCouncil, g.f.expired
	}
	permitDraw := g.r.Float64()

	g.patient(restricted)
	g.problems()
	if hiv {
		g.hiv()
	}
	if g.f.psy && !g.hasLabel["PSY"] {
		g.condition(conditions[4], g.pick(700)+30)
	}
	g.allergies()
	g.gpContacts()
	if g.community {
		g.nursing()
	}
	if g.hospital {
		g.admission()
	}
	if std {
		g.sexualHealth()
	}
	if top {
		g.termination()
	}
	if g.council {
		g.socialCare()
	}
	// Consent: at most one per person, newest wins anyway.
	switch {
	case optOut:
		g.consentOptOut()
	case noCouncil:
		g.consentNoCouncil(nil)
	case expired:
		g.consentExpired()
	case g.hasLabel["HIV"] && (g.f.hivPermit || g.f.band < 0 && permitDraw < 0.5):
		g.consentPermit(orgHospital, "HIV", "STD")
	case g.hasLabel["STD"] && (g.f.stdPermit || g.f.band < 0 && permitDraw < 0.3):
		g.consentPermit(g.gp, "STD")
	case g.hasLabel["PSY"] && g.f.band < 0 && permitDraw < 0.1:
		g.consentPermit(orgCommunity, "PSY")
	}
	if g.big {
		g.pad()
	}

	p.OptedOut, p.NoCouncil, p.ExpiredRestriction, p.Restricted = optOut, noCouncil, expired, restricted
	p.Items = len(g.rec.Items)
	for l := range g.hasLabel {
		p.Labels = append(p.Labels, l)
		if l != "R" && l != "V" {
			p.Sensitive = true
		}
	}
	slices.Sort(p.Labels)
	p.Permits = g.permits
	p.Orgs = append(p.Orgs, g.gp.Code)
	for _, o := range []string{OrgCommunity, OrgHospital, OrgCouncil} {
		if g.orgs[o] {
			p.Orgs = append(p.Orgs, o)
		}
	}
	switch {
	case g.big:
		p.Size = "big"
	case p.Items <= 6:
		p.Size = "small"
	default:
		p.Size = "typical"
	}
}

func (g *gen) patient(restricted bool) {
	given := givenFemale
	if g.sex == "male" {
		given = givenMale
	}
	first, middle := given[g.pick(len(given))], given[g.pick(len(given))]
	family := families[g.pick(len(families))]
	var prefix string
	if g.age >= 18 {
		switch {
		case g.sex == "male":
			prefix = "Mr"
		case g.chance(0.5):
			prefix = "Mrs"
		default:
			prefix = "Ms"
		}
	}
	g.name = strings.TrimSpace(prefix + " " + first + " " + family)
	givenNames := A{first}
	if middle != first && g.chance(0.4) {
		givenNames = append(givenNames, middle)
	}
	birth := g.cfg.AsOf.AddDate(-g.age, 0, -1-g.pick(364))
	tel := O{"system", "phone", "value", fmt.Sprintf("01632 960%03d", g.pick(1000)), "use", "home"}
	if g.chance(0.5) {
		tel = O{"system", "phone", "value", fmt.Sprintf("07700 900%03d", g.pick(1000)), "use", "mobile"}
	}
	line := A{fmt.Sprintf("%d %s", 1+g.pick(180), streets[g.pick(len(streets))])}
	if g.chance(0.15) {
		line = A{fmt.Sprintf("Flat %d", 1+g.pick(12)), line[0]}
	}
	post := fmt.Sprintf("NS%d %d%c%c", 1+g.pick(9), g.pick(10), letters[g.pick(len(letters))], letters[g.pick(len(letters))])
	var sec []string
	if restricted {
		sec = []string{"R"}
	}
	obj := O{"resourceType", "Patient", "id", g.id}
	if restricted {
		obj = append(obj, "meta", O{"security", A{O{"system", sysConf, "code", "R", "display", "restricted"}}})
		g.hasLabel["R"] = true
	}
	obj = append(obj,
		"identifier", A{O{"system", "https://fhir.nhs.uk/Id/nhs-number", "value", g.rec.Patient.NHS}},
		"active", true,
		"name", A{O{"use", "official", "family", family, "given", givenNames, "prefix", A{prefix}}},
		"telecom", A{tel},
		"gender", g.sex,
		"birthDate", date(birth),
		"address", A{O{"use", "home", "line", line, "city", "Northshire", "postalCode", post, "country", "GB"}},
		"generalPractitioner", A{orgRef(g.gp)},
		"managingOrganization", orgRef(g.gp),
	)
	g.orgs[g.gp.Code] = true
	g.rec.Items = append(g.rec.Items, Item{Org: g.gp.Code, Type: "Patient", ID: g.id, JSON: encode(nil, obj), Labels: sec})
}

func (g *gen) problems() {
	force := map[string]bool{}
	if g.big {
		for _, c := range []string{"38341003", "44054006", "709044004", "49436004", "396275006", "55822004"} {
			force[c] = true
		}
	}
	for _, c := range conditions {
		if g.chance(c.prev[g.band]) || force[c.code] {
			g.condition(c, 60+g.pick(3000))
		}
	}
}

func condBody(c condition, subject string, onset time.Time, recorder O, category string) O {
	catDisplay := map[string]string{"problem-list-item": "Problem List Item", "encounter-diagnosis": "Encounter Diagnosis"}[category]
	return O{
		"clinicalStatus", cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
		"verificationStatus", cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
		"category", A{cc("http://terminology.hl7.org/CodeSystem/condition-category", category, catDisplay)},
		"code", cc(sysSNOMED, c.code, c.display),
		"subject", O{"reference", subject},
		"onsetDateTime", date(onset),
		"recordedDate", date(onset),
		"recorder", recorder,
	}
}

func derivedLabels(c condition) []string {
	switch c.label {
	case "":
		return nil
	case "HIV":
		return []string{"HIV", "STD"} // 86406008 is also in the national STD refset
	}
	return []string{c.label}
}

// condition adds a GP problem and its medicines.
func (g *gen) condition(c condition, daysAgo int) {
	onset := g.ago(daysAgo)
	var explicit []string
	if c.label == "HIV" {
		explicit = []string{"HIV"}
	}
	id := g.add(g.gp.Code, "Condition", "cond", explicit, derivedLabels(c), "", condBody(c, g.ref, onset, practitionerRef(g.gp, g.pick(2)), "problem-list-item"))
	g.conds = append(g.conds, condRef{c, id, onset})
	for k, m := range c.meds {
		if k > 0 && !g.chance(0.4) {
			continue
		}
		g.medicine(m, id, onset, explicit)
	}
}

func medCode(m med) O {
	if m.code == "" {
		return O{"text", m.display}
	}
	return cc(sysDMD, m.code, m.display)
}

func (g *gen) medicine(m med, reason string, start time.Time, labels []string) {
	g.add(g.gp.Code, "MedicationStatement", "ms", labels, nil, "", O{
		"status", "active",
		"medicationCodeableConcept", medCode(m),
		"subject", O{"reference", g.ref},
		"effectivePeriod", O{"start", date(start)},
		"dateAsserted", date(start),
		"informationSource", orgRef(g.gp),
		"dosage", A{O{"text", m.dose}},
		"reasonReference", A{O{"reference", "Condition/" + reason}},
	})
	if m.chronic && g.chance(0.85) {
		g.prescription(m, g.ago(1+g.pick(90)), labels)
	}
	g.meds = append(g.meds, m)
}

func (g *gen) prescription(m med, when time.Time, labels []string) {
	g.add(g.gp.Code, "MedicationRequest", "mr", labels, nil, "", O{
		"status", "active",
		"intent", "order",
		"category", A{cc("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "community", "Community")},
		"medicationCodeableConcept", medCode(m),
		"subject", O{"reference", g.ref},
		"authoredOn", date(when),
		"requester", practitionerRef(g.gp, g.pick(2)),
		"courseOfTherapyType", cc("http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "continuous", "Continuous long term therapy"),
		"dosageInstruction", A{O{"text", m.dose}},
		"dispenseRequest", O{"numberOfRepeatsAllowed", 5, "quantity", qty(float64(m.qty), "dose", "1")},
	})
}

func (g *gen) hiv() {
	onset := 200 + g.pick(2500)
	g.condition(condHIV, onset)
	start := g.ago(onset - 14)
	g.add(g.gp.Code, "MedicationStatement", "ms", []string{"HIV"}, nil, "", O{
		"status", "active",
		"medicationCodeableConcept", medCode(medHIV),
		"subject", O{"reference", g.ref},
		"effectivePeriod", O{"start", date(start)},
		"dateAsserted", date(start),
		"informationSource", orgRef(g.gp),
		"dosage", A{O{"text", medHIV.dose}},
		"reasonReference", A{O{"reference", "Condition/" + g.conds[len(g.conds)-1].id}},
	})
	// The hospital's HIV clinic: a team (a relationship) and a visit.
	g.add(OrgHospital, "CareTeam", "ct", []string{"HIV"}, nil, "", O{
		"status", "active",
		"name", "HIV clinic team",
		"subject", O{"reference", g.ref},
		"participant", A{O{"member", orgRef(orgHospital)}},
	})
	visit := g.ago(10 + g.pick(150))
	g.hospitalVisit([]string{"HIV"}, "AMB", "ambulatory", "Sexual health and HIV clinic review", practitionerRef(orgHospital, 2), visit, 40*time.Minute)
}

// hospitalVisit records a finished hospital Encounter with one clinician and
// returns its id.
func (g *gen) hospitalVisit(labels []string, class, classDisplay, typ string, dr O, start time.Time, d time.Duration) string {
	return g.add(OrgHospital, "Encounter", "enc", labels, nil, "", O{
		"status", "finished",
		"class", O{"system", sysActCode, "code", class, "display", classDisplay},
		"type", A{O{"text", typ}},
		"subject", O{"reference", g.ref},
		"participant", A{O{"individual", dr}},
		"period", O{"start", dt(start), "end", dt(start.Add(d))},
		"serviceProvider", orgRef(orgHospital),
	})
}

func (g *gen) allergies() {
	switch u := g.r.Float64(); {
	case u < 0.12:
		n := 1
		if g.chance(0.2) {
			n = 2
		}
		for k := 0; k < n; k++ {
			g.allergy(allergies[g.pick(len(allergies))])
		}
	case u < 0.42:
		g.allergy(nkda)
	}
}

func (g *gen) allergy(a allergy) {
	var reaction A
	if a.substance[0] != "" {
		reaction = A{O{"substance", cc(sysSNOMED, a.substance[0], a.substance[1]), "manifestation", A{cc(sysSNOMED, a.reaction[0], a.reaction[1])}, "severity", "moderate"}}
	}
	when := g.ago(30 + g.pick(3000))
	g.add(g.gp.Code, "AllergyIntolerance", "al", nil, nil, "", O{
		"clinicalStatus", cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
		"verificationStatus", cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
		"type", "allergy",
		"category", A{a.category},
		"criticality", a.criticality,
		"code", cc(sysSNOMED, a.code, a.display),
		"patient", O{"reference", g.ref},
		"recordedDate", date(when),
		"recorder", practitionerRef(g.gp, g.pick(2)),
		"reaction", reaction,
	})
}

func (g *gen) hasCond(code string) bool {
	for _, c := range g.conds {
		if c.c.code == code {
			return true
		}
	}
	return false
}

// gpContacts: consultations with their observations, immunisations, letters.
func (g *gen) gpContacts() {
	visits := [nBands]float64{2.2, 2.5, 3.3, 4.4, 5.5}
	n := g.poisson(visits[g.band] + 0.6*float64(len(g.conds)))
	if n == 0 && g.chance(0.7) {
		n = 1
	}
	for k := 0; k < n; k++ {
		g.gpVisit(g.ago(1 + g.pick(700)))
	}
	if g.band > bandChild {
		g.weight(g.ago(1 + g.pick(500)))
		g.smoking(g.ago(1 + g.pick(900)))
	}
	if g.hasCond("44054006") {
		for k := 0; k < 2; k++ {
			g.hba1c(g.ago(20 + k*180 + g.pick(60)))
		}
	}
	if g.hasCond("709044004") {
		g.egfr(g.ago(20 + g.pick(300)))
	}
	if g.band >= bandOld && g.chance(0.75) || len(g.conds) >= 2 && g.chance(0.4) {
		g.immunisation(fluVaccine, g.cfg.AsOf.AddDate(0, 0, -60-g.pick(60)))
	}
	if g.band == bandVeryOld && g.chance(0.5) {
		g.immunisation(covidVaccine, g.cfg.AsOf.AddDate(0, 0, -70-g.pick(90)))
	}
	if g.chance(0.08 + 0.05*float64(len(g.conds))) {
		g.letter(g.gp, practitionerRef(g.gp, 0), g.ago(5+g.pick(300)), "Clinical letter", "371531000", "Report of clinical encounter",
			fmt.Sprintf("%s, %s\n\nReview of %s (NHS %s).\n\n%s\n", g.gp.Name, "Northshire", g.name, FormatNHS(g.rec.Patient.NHS), "Reviewed long-term conditions and medicines; no changes."))
	}
}

func (g *gen) gpVisit(when time.Time) string {
	reason := "Review"
	if len(g.conds) > 0 {
		reason = "Review: " + strings.ToLower(g.conds[g.pick(len(g.conds))].c.display)
	}
	class, typ := O{"system", sysActCode, "code", "AMB", "display", "ambulatory"}, cc(sysSNOMED, "11429006", "Consultation")
	if g.chance(0.3) {
		class, typ = O{"system", sysActCode, "code", "VR", "display", "virtual"}, cc(sysSNOMED, "185317003", "Telephone encounter")
	}
	id := g.add(g.gp.Code, "Encounter", "enc", nil, nil, "", O{
		"status", "finished",
		"class", class,
		"type", A{typ},
		"subject", O{"reference", g.ref},
		"participant", A{O{"individual", practitionerRef(g.gp, g.pick(3))}},
		"period", O{"start", dt(when), "end", dt(when.Add(10 * time.Minute))},
		"reasonCode", A{O{"text", reason}},
		"serviceProvider", orgRef(g.gp),
	})
	if g.band >= bandMiddle || g.hasCond("38341003") || g.band == bandYoung && g.chance(0.4) {
		g.bp(when.Add(5*time.Minute), id)
	}
	return id
}

func (g *gen) obs(category, catDisplay string, code O, when time.Time, encounter string, value ...any) {
	body := O{
		"status", "final",
		"category", A{cc("http://terminology.hl7.org/CodeSystem/observation-category", category, catDisplay)},
		"code", code,
		"subject", O{"reference", g.ref},
	}
	if encounter != "" {
		body = append(body, "encounter", O{"reference", "Encounter/" + encounter})
	}
	body = append(body, "effectiveDateTime", dt(when), "performer", A{orgRef(g.gp)})
	body = append(body, value...)
	g.add(g.gp.Code, "Observation", "obs", nil, nil, "", body)
}

func (g *gen) bp(when time.Time, encounter string) {
	sys := 115 + g.pick(40)
	if g.hasCond("38341003") {
		sys += 10
	}
	dia := 65 + g.pick(25)
	g.obs("vital-signs", "Vital Signs", O{"coding", A{
		O{"system", sysLOINC, "code", "85354-9", "display", "Blood pressure panel with all children optional"},
		O{"system", sysSNOMED, "code", "75367002", "display", "Blood pressure"}}}, when, encounter,
		"component", A{
			O{"code", O{"coding", A{O{"system", sysLOINC, "code", "8480-6", "display", "Systolic blood pressure"}}}, "valueQuantity", qty(float64(sys), "mm[Hg]", "mm[Hg]")},
			O{"code", O{"coding", A{O{"system", sysLOINC, "code", "8462-4", "display", "Diastolic blood pressure"}}}, "valueQuantity", qty(float64(dia), "mm[Hg]", "mm[Hg]")},
		})
}

func (g *gen) weight(when time.Time) {
	kg := 45 + float64(g.pick(700))/10
	if g.band == bandChild {
		kg = 8 + float64(g.age)*3 + float64(g.pick(80))/10
	}
	g.obs("vital-signs", "Vital Signs", O{"coding", A{
		O{"system", sysLOINC, "code", "29463-7", "display", "Body weight"},
		O{"system", sysSNOMED, "code", "27113001", "display", "Body weight"}}}, when, "",
		"valueQuantity", qty(kg, "kg", "kg"))
	if g.band > bandChild {
		bmi := 19 + float64(g.pick(180))/10
		g.obs("vital-signs", "Vital Signs", O{"coding", A{O{"system", sysLOINC, "code", "39156-5", "display", "Body mass index (BMI) [Ratio]"}}}, when, "",
			"valueQuantity", qty(bmi, "kg/m2", "kg/m2"))
	}
}

func (g *gen) smoking(when time.Time) {
	v := [][2]string{{"266919005", "Never smoked tobacco"}, {"8517006", "Ex-smoker"}, {"77176002", "Smoker"}}[min(g.pick(5), 2)]
	g.obs("social-history", "Social History", O{"coding", A{O{"system", sysLOINC, "code", "72166-2", "display", "Tobacco smoking status"}}}, when, "",
		"valueCodeableConcept", cc(sysSNOMED, v[0], v[1]))
}

func (g *gen) hba1c(when time.Time) {
	g.obs("laboratory", "Laboratory", O{"coding", A{
		O{"system", sysSNOMED, "code", "999791000000106", "display", "Haemoglobin A1c level - International Federation of Clinical Chemistry and Laboratory Medicine standardised"},
		O{"system", sysLOINC, "code", "59261-8", "display", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol"}}, "text", "HbA1c (IFCC)"}, when, "",
		"valueQuantity", qty(float64(42+g.pick(40)), "mmol/mol", "mmol/mol"))
}

func (g *gen) egfr(when time.Time) {
	g.obs("laboratory", "Laboratory", O{"coding", A{O{"system", sysLOINC, "code", "33914-3", "display", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)"}}, "text", "eGFR"}, when, "",
		"valueQuantity", qty(float64(25+g.pick(45)), "mL/min/{1.73_m2}", "mL/min/{1.73_m2}"))
}

var (
	fluVaccine   = [2]string{"11278411000001109", "Influenza vaccine (split virion, inactivated) suspension for injection 0.5ml pre-filled syringes (Pfizer Ltd)"}
	covidVaccine = [2]string{"39115611000001103", "Comirnaty COVID-19 mRNA Vaccine 30micrograms/0.3ml dose concentrate for dispersion for injection multidose vials (Pfizer Ltd)"}
)

func (g *gen) immunisation(v [2]string, when time.Time) {
	g.add(g.gp.Code, "Immunization", "imm", nil, nil, "", O{
		"status", "completed",
		"vaccineCode", cc(sysDMD, v[0], v[1]),
		"patient", O{"reference", g.ref},
		"occurrenceDateTime", date(when),
		"recorded", date(when),
		"primarySource", true,
		"lotNumber", fmt.Sprintf("LOT%d-%04d", when.Year()%100, g.pick(10000)),
		"route", cc(sysSNOMED, "78421000", "Intramuscular route"),
		"performer", A{O{"actor", orgRef(g.gp)}},
	})
}

func (g *gen) letter(o Org, author O, when time.Time, title, code, display, text string) {
	g.add(o.Code, "DocumentReference", "doc", nil, nil, "", O{
		"status", "current",
		"docStatus", "final",
		"type", ccText(sysSNOMED, code, display, title),
		"subject", O{"reference", g.ref},
		"date", dt(when),
		"author", A{author, orgRef(o)},
		"custodian", orgRef(o),
		"description", title,
		"content", A{O{"attachment", O{"contentType", "text/plain; charset=utf-8", "language", "en-GB",
			"data", base64.StdEncoding.EncodeToString([]byte(text)), "title", title, "creation", dt(when)}}},
	})
}

// nursing: the district nursing team's record.
func (g *gen) nursing() {
	start := g.ago(14 + g.pick(300))
	nurse := practitionerRef(orgCommunity, g.pick(3))
	g.nurseTeam = g.add(OrgCommunity, "CareTeam", "ct", nil, nil, "", O{
		"status", "active",
		"name", "Northshire district nursing team",
		"subject", O{"reference", g.ref},
		"period", O{"start", date(start)},
		"participant", A{
			O{"role", A{ccText(sysSNOMED, "224535009", "Registered nurse", "District nurse")}, "member", nurse, "onBehalfOf", orgRef(orgCommunity)},
			O{"role", A{O{"text", "District nursing team"}}, "member", orgRef(orgCommunity)},
		},
		"managingOrganization", A{orgRef(orgCommunity)},
	})
	plan := nursingPlans[g.pick(len(nursingPlans))]
	if g.big {
		plan = nursingPlans[1]
	}
	g.woundPlan = plan.wound
	var acts A
	for _, a := range plan.activities {
		acts = append(acts, O{"detail", O{"kind", "Task", "status", "in-progress", "description", a}})
	}
	g.add(OrgCommunity, "CarePlan", "cp", nil, nil, "", O{
		"status", "active",
		"intent", "plan",
		"category", A{cc(sysSNOMED, "734163000", "Care plan")},
		"title", plan.title,
		"description", plan.description,
		"subject", O{"reference", g.ref},
		"period", O{"start", date(start)},
		"created", date(start),
		"author", nurse,
		"careTeam", A{O{"reference", "CareTeam/" + g.nurseTeam}},
		"activity", acts,
	})
	visits := 1 + g.poisson(2)
	for k := 0; k < visits; k++ {
		g.homeVisit(start.AddDate(0, 0, k*7), plan.title)
	}
	next := g.cfg.AsOf.AddDate(0, 0, 3+g.pick(30)).Add(10 * time.Hour)
	g.add(OrgCommunity, "Appointment", "ap", nil, nil, "", O{
		"status", "booked",
		"serviceType", A{O{"text", "District nursing"}},
		"description", "Home visit: " + strings.ToLower(plan.title),
		"start", dt(next),
		"end", dt(next.Add(30 * time.Minute)),
		"created", date(g.cfg.AsOf.AddDate(0, 0, -1-g.pick(20))),
		"participant", A{
			O{"actor", O{"reference", g.ref}, "required", "required", "status", "accepted"},
			O{"actor", nurse, "required", "required", "status", "accepted"},
		},
	})
}

func (g *gen) homeVisit(when time.Time, reason string) {
	if when.After(g.cfg.AsOf) {
		when = g.ago(1 + g.pick(7))
	}
	when = time.Date(when.Year(), when.Month(), when.Day(), 9+g.pick(7), 0, 0, 0, time.UTC)
	id := g.add(OrgCommunity, "Encounter", "enc", nil, nil, "", O{
		"status", "finished",
		"class", O{"system", sysActCode, "code", "HH", "display", "home health"},
		"type", A{cc(sysSNOMED, "439708006", "Home visit")},
		"serviceType", O{"text", "District nursing"},
		"subject", O{"reference", g.ref},
		"participant", A{O{"individual", practitionerRef(orgCommunity, g.pick(3))}},
		"period", O{"start", dt(when), "end", dt(when.Add(30 * time.Minute))},
		"reasonCode", A{O{"text", reason}},
		"serviceProvider", orgRef(orgCommunity),
	})
	if g.woundPlan {
		l := 1 + float64(g.pick(120))/10
		g.add(OrgCommunity, "Observation", "obs", nil, nil, "", O{
			"status", "final",
			"category", A{cc("http://terminology.hl7.org/CodeSystem/observation-category", "exam", "Exam")},
			"code", ccText(sysNursing, "wound-assessment", "Wound assessment", "Wound assessment"),
			"subject", O{"reference", g.ref},
			"encounter", O{"reference", "Encounter/" + id},
			"effectiveDateTime", dt(when.Add(15 * time.Minute)),
			"performer", A{practitionerRef(orgCommunity, 0)},
			"valueString", []string{"Healing well, no signs of infection", "Moderate exudate, granulating wound bed", "Mild erythema at the edges, no exudate"}[g.pick(3)],
			"component", A{
				O{"code", cc(sysLOINC, "39126-8", "Length of Wound"), "valueQuantity", qty(l, "cm", "cm")},
				O{"code", cc(sysLOINC, "39125-0", "Width of Wound"), "valueQuantity", qty(math.Round(l*4)/10, "cm", "cm")},
			},
		})
	}
}

// admission: one hospital admission or day case.
func (g *gen) admission() {
	var choices []admission
	for _, a := range admissions {
		if g.band >= a.minBand {
			choices = append(choices, a)
		}
	}
	a := choices[g.pick(len(choices))]
	admit := g.ago(20 + g.pick(600))
	discharge := admit.AddDate(0, 0, a.days).Add(6 * time.Hour)
	encID := g.seq + 2 // the Condition comes first, the Encounter refers to it
	dr := practitionerRef(orgHospital, g.pick(2))
	condID := g.add(OrgHospital, "Condition", "cond", nil, nil, "", append(condBody(condition{code: a.code, display: a.display}, g.ref, admit, dr, "encounter-diagnosis"),
		"encounter", O{"reference", fmt.Sprintf("Encounter/%s-enc%d", g.id, encID)}))
	g.add(OrgHospital, "Encounter", "enc", nil, nil, "", O{
		"status", "finished",
		"class", O{"system", sysActCode, "code", "IMP", "display", "inpatient encounter"},
		"type", A{cc(sysSNOMED, "32485007", "Hospital admission")},
		"serviceType", cc(sysSNOMED, a.service[0], a.service[1]),
		"subject", O{"reference", g.ref},
		"participant", A{O{"type", A{cc("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND", "attender")}, "individual", dr}},
		"period", O{"start", dt(admit), "end", dt(discharge)},
		"reasonReference", A{O{"reference", "Condition/" + condID}},
		"diagnosis", A{O{"condition", O{"reference", "Condition/" + condID}, "rank", 1}},
		"hospitalization", O{"admitSource", O{"text", "Emergency department"}, "dischargeDisposition", cc(sysSNOMED, "306689006", "Discharge to home")},
		"serviceProvider", orgRef(orgHospital),
	})
	enc := fmt.Sprintf("%s-enc%d", g.id, encID)
	if a.proc[0] != "" {
		g.add(OrgHospital, "Procedure", "proc", nil, nil, "", O{
			"status", "completed",
			"code", cc(sysSNOMED, a.proc[0], a.proc[1]),
			"subject", O{"reference", g.ref},
			"encounter", O{"reference", "Encounter/" + enc},
			"performedDateTime", dt(admit.AddDate(0, 0, 1)),
			"performer", A{O{"actor", dr, "onBehalfOf", orgRef(orgHospital)}},
			"reasonReference", A{O{"reference", "Condition/" + condID}},
		})
	}
	g.add(OrgHospital, "MedicationRequest", "mr", nil, nil, "", O{
		"status", "active",
		"intent", "order",
		"category", A{cc("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "discharge", "Discharge")},
		"medicationCodeableConcept", medCode(a.med),
		"subject", O{"reference", g.ref},
		"encounter", O{"reference", "Encounter/" + enc},
		"authoredOn", dt(discharge.Add(-2 * time.Hour)),
		"requester", dr,
		"courseOfTherapyType", cc("http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "acute", "Short course (acute) therapy"),
		"dosageInstruction", A{O{"text", a.med.dose}},
		"dispenseRequest", O{"quantity", qty(float64(a.med.qty), "dose", "1")},
	})
	if g.chance(0.8) {
		g.letter(orgHospital, dr, discharge, "Discharge summary", "373942005", "Discharge summary",
			fmt.Sprintf("Northshire General Hospital - Discharge summary\n\nPatient: %s, NHS %s\nAdmitted %s: %s.\nDischarged %s home.\n", g.name, FormatNHS(g.rec.Patient.NHS), date(admit), strings.ToLower(a.display), date(discharge)))
	}
}

// sexualHealth: a diagnosis and treatment at the hospital's sexual health clinic.
func (g *gen) sexualHealth() {
	c := condSTD[g.pick(len(condSTD))]
	when := g.ago(20 + g.pick(500))
	dr := practitionerRef(orgHospital, 2)
	enc := g.hospitalVisit([]string{"STD"}, "AMB", "ambulatory", "Sexual health clinic", dr, when, 20*time.Minute)
	cond := g.add(OrgHospital, "Condition", "cond", nil, derivedLabels(c), "", append(condBody(c, g.ref, when, dr, "encounter-diagnosis"),
		"encounter", O{"reference", "Encounter/" + enc}))
	m := c.meds[0]
	g.add(OrgHospital, "MedicationRequest", "mr", []string{"STD"}, nil, "", O{
		"status", "completed",
		"intent", "order",
		"medicationCodeableConcept", medCode(m),
		"subject", O{"reference", g.ref},
		"encounter", O{"reference", "Encounter/" + enc},
		"authoredOn", dt(when.Add(15 * time.Minute)),
		"requester", dr,
		"reasonReference", A{O{"reference", "Condition/" + cond}},
		"dosageInstruction", A{O{"text", m.dose}},
	})
}

func (g *gen) termination() {
	when := g.ago(30 + g.pick(700))
	dr := practitionerRef(orgHospital, 1)
	enc := g.hospitalVisit([]string{"SEX"}, "SS", "short stay", "Day case", dr, when, 6*time.Hour)
	g.add(OrgHospital, "Procedure", "proc", nil, []string{"SEX"}, "", O{
		"status", "completed",
		"code", cc(sysSNOMED, procTOP[0], procTOP[1]),
		"subject", O{"reference", g.ref},
		"encounter", O{"reference", "Encounter/" + enc},
		"performedDateTime", dt(when.Add(time.Hour)),
		"performer", A{O{"actor", dr, "onBehalfOf", orgRef(orgHospital)}},
	})
}

// socialCare: the council's record, tagged social-care as the demo's is.
func (g *gen) socialCare() {
	sw := practitionerRef(orgCouncil, g.pick(2))
	start := g.ago(20 + g.pick(500))
	team := g.add(OrgCouncil, "CareTeam", "ct", nil, nil, "social-care", O{
		"status", "active",
		"category", A{cc(sysSocialCare, "social-care", "Social care")},
		"name", "Northshire adult social care locality team",
		"subject", O{"reference", g.ref},
		"period", O{"start", date(start)},
		"participant", A{
			O{"role", A{O{"text", "Allocated social worker"}}, "member", sw, "onBehalfOf", orgRef(orgCouncil)},
			O{"role", A{O{"text", "Adult social care team"}}, "member", orgRef(orgCouncil)},
		},
		"managingOrganization", A{orgRef(orgCouncil)},
	})
	g.add(OrgCouncil, "Task", "task", nil, nil, "social-care", O{
		"status", "completed",
		"intent", "order",
		"code", ccText(sysSocialCare, "care-needs-assessment", "Care needs assessment", "Care Act 2014 needs assessment"),
		"description", "Care Act needs assessment at home",
		"for", O{"reference", g.ref},
		"authoredOn", dt(start),
		"lastModified", dt(start),
		"requester", orgRef(orgCouncil),
		"owner", sw,
		"output", A{O{"type", O{"text", "Outcome"}, "valueString", "Eligible needs: personal care, nutrition, social contact"}},
		"executionPeriod", O{"start", dt(start), "end", dt(start)},
	})
	pkgStart := start.AddDate(0, 0, 4+g.pick(20))
	if pkgStart.After(g.cfg.AsOf) {
		pkgStart = g.ago(1)
	}
	g.add(OrgCouncil, "EpisodeOfCare", "eoc", nil, nil, "social-care", O{
		"status", "active",
		"type", A{O{"coding", A{
			O{"system", sysSocialCare, "code", "care-package", "display", "Care package"},
			O{"system", sysDataClass, "code", "social-care", "display", "Social care"}},
			"text", carePackages[g.pick(len(carePackages))]}},
		"patient", O{"reference", g.ref},
		"managingOrganization", orgRef(orgCouncil),
		"period", O{"start", date(pkgStart)},
		"careManager", sw,
		"team", A{O{"reference", "CareTeam/" + team}},
	})
	if g.chance(0.5) {
		code := [][2]string{{"reablement", "Reablement service"}, {"day-centre", "Day centre placement"}}[g.pick(2)]
		g.add(OrgCouncil, "ServiceRequest", "sr", nil, nil, "social-care", O{
			"status", "active",
			"intent", "order",
			"category", A{cc(sysSocialCare, "social-care", "Social care")},
			"code", cc(sysSocialCare, code[0], code[1]),
			"subject", O{"reference", g.ref},
			"authoredOn", dt(pkgStart),
			"requester", sw,
			"performer", A{orgRef(orgCouncil)},
		})
	}
	if g.chance(0.4) {
		review := g.ago(1 + g.pick(60))
		g.add(OrgCouncil, "Task", "task", nil, nil, "social-care", O{
			"status", "requested",
			"intent", "order",
			"code", ccText(sysSocialCare, "care-needs-assessment", "Care needs assessment", "Care Act 2014 needs assessment"),
			"description", "Review of care and support plan",
			"for", O{"reference", g.ref},
			"authoredOn", dt(review),
			"lastModified", dt(review),
			"requester", orgRef(orgCouncil),
			"owner", sw,
		})
	}
	if g.chance(0.45) {
		g.relatedPerson(ccText(sysSocialCare, "unpaid-carer", "Unpaid carer", "Unpaid carer"), start)
	}
	if g.chance(0.15) {
		g.relatedPerson(ccText("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HPOWATT", "healthcare power of attorney", "Lasting power of attorney for health and welfare"), start)
	}
	if g.chance(0.05) {
		g.add(OrgCouncil, "Flag", "flag", nil, nil, "safeguarding", O{
			"status", "active",
			"category", A{cc("http://terminology.hl7.org/CodeSystem/flag-category", "safety", "Safety"), cc(sysSocialCare, "safeguarding", "Adult safeguarding")},
			"code", ccText(sysSocialCare, "safeguarding-concern", "Adult safeguarding concern", "Safeguarding concern"),
			"subject", O{"reference", g.ref},
			"period", O{"start", date(g.ago(1 + g.pick(200)))},
			"author", orgRef(orgCouncil),
		})
	}
}

func (g *gen) relatedPerson(rel O, since time.Time) {
	given := append(append([]string(nil), givenFemale...), givenMale...)
	g.add(OrgCouncil, "RelatedPerson", "rp", nil, nil, "social-care", O{
		"active", true,
		"patient", O{"reference", g.ref},
		"relationship", A{rel},
		"name", A{O{"use", "official", "family", families[g.pick(len(families))], "given", A{given[g.pick(len(given))]}}},
		"telecom", A{O{"system", "phone", "value", fmt.Sprintf("07700 900%03d", g.pick(1000)), "use", "mobile"}},
		"period", O{"start", date(since)},
	})
}

// Consents, in the demo's shapes (testdata/demo/gp-riverside-surgery-consents.json).

func (g *gen) consent(dateTime time.Time, policyRule string, provision O) {
	g.consentBy(g.gp, dateTime, policyRule, provision)
}

// consentBy: a Consent recorded by org (the GP practice, unless the choice
// concerns data another organisation holds and is to go to the GP).
func (g *gen) consentBy(by Org, dateTime time.Time, policyRule string, provision O) {
	g.add(by.Code, "Consent", "consent", nil, nil, "", O{
		"status", "active",
		"scope", O{"coding", A{O{"system", "http://terminology.hl7.org/CodeSystem/consentscope", "code", "patient-privacy"}}},
		"category", A{cc(sysLOINC, "59284-0", "Patient Consent")},
		"patient", O{"reference", g.ref},
		"dateTime", date(dateTime),
		"organization", A{O{"reference", "Organization/" + by.Code}},
		"policyRule", O{"coding", A{O{"system", sysActCode, "code", policyRule}}},
		"provision", provision,
	})
}

func councilActor() A {
	return A{O{"role", O{"coding", A{O{"system", sysSector, "code", "council"}}}, "reference", O{"display", "any council organisation"}}}
}

func (g *gen) consentOptOut() { g.consent(g.ago(10+g.pick(700)), "OPTOUT", nil) }

func (g *gen) consentNoCouncil(period O) {
	g.consent(g.ago(10+g.pick(700)), "OPTIN", O{"type", "deny", "actor", councilActor(), "period", period})
}

func (g *gen) consentExpired() {
	start := g.ago(400 + g.pick(400))
	end := start.AddDate(0, 0, 120+g.pick(150))
	g.consent(start, "OPTIN", O{"type", "deny", "actor", councilActor(), "period", O{"start", date(start), "end", date(end)}})
}

// consentPermit records the person's permit of labels to org to, by the
// GP practice, or by the hospital when the permit is to the GP practice
// itself: no organisation records a permit to itself (carex does not honour
// one), and the sexual health clinic holds that data.
func (g *gen) consentPermit(to Org, labels ...string) {
	by := g.gp
	if to.Code == g.gp.Code {
		by = orgHospital
	}
	var sec A
	for _, l := range labels {
		sec = append(sec, O{"system", sysActCode, "code", l})
	}
	g.permits = append(g.permits, to.Code)
	g.consentBy(by, g.ago(5+g.pick(300)), "OPTIN", O{"type", "permit",
		"actor", A{O{"role", O{"coding", A{O{"system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code", "PRCP"}}},
			"reference", O{"identifier", O{"system", sysODS, "value", to.Code}}}},
		"securityLabel", sec})
}

// pad grows a big record to exactly BigItems resources with years of
// history, one resource at a time in rotation.
func (g *gen) pad() {
	target := g.cfg.BigItems
	day := 30
	var lastVisit string
	steps := []func(){
		func() { lastVisit = g.gpVisitNoBP(g.ago(day)) },
		func() { g.bp(g.ago(day).Add(5*time.Minute), lastVisit) },
		func() {
			if len(g.meds) > 0 {
				g.prescription(g.meds[(day/30)%len(g.meds)], g.ago(day), nil)
			} else {
				g.weight(g.ago(day))
			}
		},
		func() { g.hba1c(g.ago(day + 3)) },
		func() { g.homeVisit(g.ago(day-7), "Leg ulcer care: lower leg") },
	}
	for k := 0; len(g.rec.Items) < target; k++ {
		step := k % len(steps)
		if step == 0 {
			day += 30
		}
		before := len(g.rec.Items)
		steps[step]()
		// A step may add two resources (a visit and its wound assessment):
		// drop what overshoots the target.
		if len(g.rec.Items) > target {
			g.rec.Items = g.rec.Items[:max(before, target)]
		}
	}
}

// gpVisitNoBP is a consultation without its blood pressure (pad adds that).
func (g *gen) gpVisitNoBP(when time.Time) string {
	return g.add(g.gp.Code, "Encounter", "enc", nil, nil, "", O{
		"status", "finished",
		"class", O{"system", sysActCode, "code", "AMB", "display", "ambulatory"},
		"type", A{cc(sysSNOMED, "11429006", "Consultation")},
		"subject", O{"reference", g.ref},
		"participant", A{O{"individual", practitionerRef(g.gp, g.pick(3))}},
		"period", O{"start", dt(when), "end", dt(when.Add(10 * time.Minute))},
		"reasonCode", A{O{"text", "Long-term conditions review"}},
		"serviceProvider", orgRef(g.gp),
	})
}
