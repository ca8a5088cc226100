package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/search"
)

// TestLeakRandomised writes a generated population through the API — each
// part by its source organisation — and checks, for every user and person,
// that the API releases exactly what the consent engine decides from the
// generator's own knowledge of relationships, consents and items: nothing
// withheld appears in $everything, searches, totals or reads, and nothing
// permitted is missing. CAREX_LEAK_SEED varies the seed.
func TestLeakRandomised(t *testing.T) {
	seed := uint64(20261124)
	if s := os.Getenv("CAREX_LEAK_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t.Logf("seed %d (set CAREX_LEAK_SEED to vary)", seed)
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	pol := consent.DefaultPolicy()

	type org struct{ code, sector string }
	orgs := []org{{"A81001", "nhs"}, {"A81002", "nhs"}, {"RCX", "nhs"}, {"RHX", "nhs"}, {"E06000999", "council"}}
	sysTok := map[string]string{}
	for _, o := range orgs {
		sysTok[o.code] = e.token("system", o.sector, o.code)
	}
	type item struct {
		typ, id, src string
		res          map[string]any
		raw          string
	}
	type person struct {
		id, gp           string
		restricted       bool
		careTeam, social bool
		consents         []*consent.Consent
		items            []*item
		sources          map[string]bool
	}
	put := func(src string, it *item) {
		t.Helper()
		if r := e.do("PUT", "/fhir/"+it.typ+"/"+it.id, sysTok[src], it.raw); r.status != 201 {
			t.Fatalf("seed %s/%s as %s: %d %s", it.typ, it.id, src, r.status, r.body)
		}
	}
	mk := func(typ, id, src, raw string) *item {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("generator wrote bad JSON: %v\n%s", err, raw)
		}
		return &item{typ: typ, id: id, src: src, res: m, raw: raw}
	}
	consentTemplates := []string{
		"", // no consent
		`"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}`,
		`"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"any council organisation"}}],"provision":[{"type":"permit","class":[{"system":"https://carex.example/data-class","code":"allergies"}]}]}`,
		`"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX"}}}],"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]}`,
		`"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"provision":{"type":"deny","class":[{"system":"http://hl7.org/fhir/resource-types","code":"Observation"}]}`,
		`"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]},"provision":{"period":{"start":"2024-01-01","end":"2024-12-31"}}`,
	}
	var people []*person
	n := 0
	next := func() string { n++; return "g" + strconv.Itoa(n) }
	for i := 0; i < 8; i++ {
		p := &person{id: "p" + strconv.Itoa(i), gp: orgs[rng.IntN(2)].code, restricted: rng.IntN(5) == 0,
			careTeam: rng.IntN(2) == 0, social: rng.IntN(2) == 0, sources: map[string]bool{}}
		sec := ""
		if p.restricted {
			sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
		}
		pat := mk("Patient", p.id, p.gp, fmt.Sprintf(`{"resourceType":"Patient","id":"%s",%s"name":[{"family":"LEAK-%s"}],"address":[{"postalCode":"LS1 %dAA"}],"generalPractitioner":[{"reference":"Organization/%s"}]}`, p.id, sec, p.id, i, p.gp))
		put(p.gp, pat)
		p.items = append(p.items, pat)
		p.sources[p.gp] = true
		if p.careTeam {
			ct := mk("CareTeam", next(), "RCX", fmt.Sprintf(`{"resourceType":"CareTeam","id":"g%d","status":"active","subject":{"reference":"Patient/%s"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`, n, p.id))
			put("RCX", ct)
			p.items = append(p.items, ct)
			p.sources["RCX"] = true
		}
		if p.social {
			ep := mk("EpisodeOfCare", next(), "E06000999", fmt.Sprintf(`{"resourceType":"EpisodeOfCare","id":"g%d","status":"active","patient":{"reference":"Patient/%s"},"managingOrganization":{"reference":"Organization/E06000999"},"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]}}`, n, p.id))
			put("E06000999", ep)
			p.items = append(p.items, ep)
			p.sources["E06000999"] = true
		}
		for k := 0; k < 8; k++ {
			src := orgs[rng.IntN(len(orgs))].code
			id := next()
			var it *item
			switch rng.IntN(5) {
			case 0:
				code := []string{"44054006", "86406008", "38341003"}[rng.IntN(3)]
				it = mk("Condition", id, src, fmt.Sprintf(`{"resourceType":"Condition","id":"%s","subject":{"reference":"Patient/%s"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"%s"}],"text":"LEAK-%s"}}`, id, p.id, code, id))
			case 1:
				it = mk("Observation", id, src, fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","subject":{"reference":"Patient/%s"},"code":{"text":"LEAK-%s"},"effectiveDateTime":"2025-0%d-01"}`, id, p.id, id, 1+rng.IntN(9)))
			case 2:
				sec := ""
				if rng.IntN(3) == 0 {
					sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},`
				}
				it = mk("MedicationStatement", id, src, fmt.Sprintf(`{"resourceType":"MedicationStatement","id":"%s",%s"status":"active","subject":{"reference":"Patient/%s"},"medicationCodeableConcept":{"text":"LEAK-%s"}}`, id, sec, p.id, id))
			case 3:
				it = mk("AllergyIntolerance", id, src, fmt.Sprintf(`{"resourceType":"AllergyIntolerance","id":"%s","patient":{"reference":"Patient/%s"},"code":{"text":"LEAK-%s"}}`, id, p.id, id))
			default:
				it = mk("Flag", id, src, fmt.Sprintf(`{"resourceType":"Flag","id":"%s","status":"active","subject":{"reference":"Patient/%s"},"code":{"text":"LEAK-%s"}}`, id, p.id, id))
			}
			put(src, it)
			p.items = append(p.items, it)
			p.sources[src] = true
		}
		if tpl := consentTemplates[rng.IntN(len(consentTemplates))]; tpl != "" {
			id := next()
			raw := fmt.Sprintf(`{"resourceType":"Consent","id":"%s","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/%s"},"dateTime":"2026-01-01",%s}`, id, p.id, tpl)
			c, err := consent.ParseConsent([]byte(raw))
			if err != nil {
				t.Fatalf("generator's consent does not parse: %v", err)
			}
			it := mk("Consent", id, p.gp, raw)
			if r := e.do("PUT", "/fhir/Consent/"+id, e.token("gp", "nhs", p.gp), raw); r.status != 201 {
				t.Fatalf("consent: %d %s", r.status, r.body)
			}
			c.Recorder = p.gp // as the server records it: the writer's organisation
			p.consents = append(p.consents, c)
			p.items = append(p.items, it)
		}
		people = append(people, p)
	}

	type user struct{ role, sector, org string }
	users := []user{{"gp", "nhs", "A81001"}, {"gp", "nhs", "A81002"}, {"district-nurse", "nhs", "RCX"},
		{"hospital-clinician", "nhs", "RHX"}, {"social-worker", "council", "E06000999"}, {"ig-officer", "nhs", "A81001"}, {"system", "nhs", "RHX"}}
	now := time.Now()
	checked := 0
	for _, u := range users {
		tok := e.token(u.role, u.sector, u.org)
		for _, p := range people {
			// The oracle: the engine fed from the generator's knowledge.
			cp := consent.Patient{ID: p.id, Restricted: p.restricted, Consents: p.consents}
			cp.Relationships = append(cp.Relationships, consent.Relationship{Org: p.gp, Kind: consent.RelRegisteredGP})
			if p.careTeam {
				cp.Relationships = append(cp.Relationships, consent.Relationship{Org: "RCX", Kind: consent.RelCareTeam})
			}
			if p.social {
				cp.Relationships = append(cp.Relationships, consent.Relationship{Org: "E06000999", Kind: consent.RelEpisodeOfCare})
			}
			for src := range p.sources {
				cp.Relationships = append(cp.Relationships, consent.Relationship{Org: src, Kind: consent.RelSource, LastRecorded: now})
			}
			pp := consent.Prepare(pol, consent.User{Sub: u.role + "-user", Role: u.role, Org: u.org, Sector: u.sector, Purpose: "TREAT"}, cp, now)
			want := map[string]bool{}
			byType := map[string]int{}
			for _, it := range p.items {
				labels := securityCodes(it.res)
				var codes []consent.Coding
				for _, x := range search.Extract(it.typ, it.res) {
					if x.Param == "code" && x.Type == search.Token {
						codes = append(codes, consent.Coding{System: x.System, Code: x.Code})
					}
				}
				labels = append(labels, pol.Labels(codes)...)
				if it.typ == "Consent" {
					if c, err := consent.ParseConsent([]byte(it.raw)); err == nil {
						labels = append(labels, pol.ConsentLabels(c)...)
					}
				}
				class := search.DataClass(it.typ, it.res)
				if class == "demographics" {
					labels = dropLabel(labels, "R")
				}
				d := pp.Decide(&consent.Item{Type: it.typ, ID: it.id, DataClass: class, SourceOrg: it.src, Labels: labels, Codes: codes})
				if d.Permitted() {
					want[it.typ+"/"+it.id] = true
					byType[it.typ]++
				}
			}
			who := fmt.Sprintf("%s@%s on %s", u.role, u.org, p.id)
			r := e.do("GET", "/fhir/Patient/"+p.id+"/$everything?_count=1000", tok, "")
			if !pp.Open().Permitted() {
				if r.status != 403 {
					t.Errorf("%s: $everything %d, want 403 (the engine refuses to open the record)", who, r.status)
				}
				for _, it := range p.items {
					if strings.Contains(r.body, "LEAK-"+it.id) {
						t.Errorf("%s: refused response names %s", who, it.id)
					}
				}
			} else {
				got := bundleIDs(t, r.body)
				if r.status != 200 || !sameSet(got, want) {
					t.Errorf("%s: $everything released %v, the engine permits %v", who, sortedKeys(got), sortedKeys(want))
				}
				if strings.Contains(r.body, `"total":`+strconv.Itoa(len(want))+`,`) == false {
					t.Errorf("%s: $everything total is not %d", who, len(want))
				}
				withheld := len(p.items) - len(want)
				if (withheld > 0) != strings.Contains(r.body, "confidential-items") {
					t.Errorf("%s: %d withheld but notice present=%v", who, withheld, !(withheld > 0))
				}
				for _, typ := range []string{"Condition", "Observation", "MedicationStatement", "AllergyIntolerance", "Flag", "Consent"} {
					r := e.do("GET", "/fhir/"+typ+"?patient="+p.id+"&_count=2&_summary=count", tok, "")
					if !strings.Contains(r.body, `"total":`+strconv.Itoa(byType[typ])) {
						t.Errorf("%s: %s search total wrong (want %d): %.200s", who, typ, byType[typ], r.body)
					}
				}
			}
			// The same reads as GET entries of a batch, and _revinclude.
			var entries []string
			for _, it := range p.items {
				entries = append(entries, `{"request":{"method":"GET","url":"`+it.typ+"/"+it.id+`"}}`)
			}
			br := e.do("POST", "/fhir", tok, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`)
			if got := strings.Count(br.body, `"status":"200 OK"`); got != len(want) {
				t.Errorf("%s: batch GETs released %d items, the engine permits %d", who, got, len(want))
			}
			if pp.Open().Permitted() {
				inc := e.do("GET", "/fhir/Patient?_id="+p.id+"&_revinclude=Condition:subject&_revinclude=Flag:subject", tok, "")
				for id := range bundleIDs(t, inc.body) {
					if !want[id] {
						t.Errorf("%s: _revinclude released %s, which the engine withholds", who, id)
					}
				}
			}
			for _, it := range p.items {
				r := e.do("GET", "/fhir/"+it.typ+"/"+it.id, tok, "")
				ok := r.status == 200
				if ok != want[it.typ+"/"+it.id] {
					t.Errorf("%s: read %s/%s: %d, engine permits=%v", who, it.typ, it.id, r.status, want[it.typ+"/"+it.id])
				}
				if !ok && strings.Contains(r.body, "LEAK-") {
					t.Errorf("%s: refused read of %s/%s shows content", who, it.typ, it.id)
				}
				h := e.do("GET", "/fhir/"+it.typ+"/"+it.id+"/_history", tok, "")
				if (h.status == 200) != want[it.typ+"/"+it.id] {
					t.Errorf("%s: history of %s/%s: %d, engine permits=%v", who, it.typ, it.id, h.status, want[it.typ+"/"+it.id])
				}
				checked++
			}
		}
	}
	t.Logf("%d people, %d users, %d item checks (read + history each), plus $everything and 6 searches per pair", len(people), len(users), checked)
}

func securityCodes(m map[string]any) []string {
	meta, _ := m["meta"].(map[string]any)
	var out []string
	for _, s := range asSlice(meta["security"]) {
		if c, ok := s.(map[string]any); ok {
			if code, _ := c["code"].(string); code != "" {
				out = append(out, code)
			}
		}
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func dropLabel(l []string, drop string) []string {
	var out []string
	for _, x := range l {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}

func bundleIDs(t *testing.T, body string) map[string]bool {
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			} `json:"resource"`
			Search struct {
				Mode string `json:"mode"`
			} `json:"search"`
		} `json:"entry"`
	}
	json.Unmarshal([]byte(body), &b)
	out := map[string]bool{}
	for _, e := range b.Entry {
		if e.Search.Mode == "outcome" {
			continue
		}
		out[e.Resource.ResourceType+"/"+e.Resource.ID] = true
	}
	return out
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
