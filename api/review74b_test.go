package api_test

// Review 74b: finding a person as a district nurse or social worker does —
// Patient search by demographics (SPEC §3, §5, §7; FHIR R4 search.html
// #string, #token, #date).
//
// Probes only. The population (seed74b): GP practice A81001 registers
// everyone below but Zedd; the community trust RCX (the district nurse)
// has an active CareTeam for each of them; the council E06000999 (the
// social worker) has a care package (EpisodeOfCare) for Smith only.
//
//	s74-smith     Jane Smith, F, 1948-07-05, 1 Park Row LS1 4AB, 07700 900731
//	s74-smithson  Albert Smithson, M, 1948-07-06, LS1 4AB
//	s74-sjones    Peter Smith-Jones, M, 1950-01-01
//	s74-obrien    Mary O'Brien, F, 1952-02-02
//	s74-chloe     Chloé Dubois (precomposed é), F, 1960-06-06, prefix Dr
//	s74-nfd       Zoë Nfdperson written with a combining diaeresis (NFD)
//	s74-zedd      Smith Zedd, registered at B99999, no care team with RCX:
//	              no relationship with the nurse
//	s74-moss      Edith Moss, labelled R (restricted), 9 Quiet Close LS8 2QQ,
//	              01134 960874
//	s74-hmoss     the hospital's (RHX) own unlabelled record of Edith Moss,
//	              same NHS number, same refuge address and phone
//	s74-out       Olive Optout, OPTOUT consent recorded by her GP,
//	              2 Exit Way LS7 1XX

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// nhs74b makes a valid NHS number (modulus 11) from a 9-digit stem.
func nhs74b(t *testing.T, stem string) string {
	t.Helper()
	for i := 0; i < 50; i++ {
		s := fmt.Sprintf("%09d", mustAtoi74b(stem)+i)
		sum := 0
		for j := 0; j < 9; j++ {
			sum += int(s[j]-'0') * (10 - j)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c == 10 {
			continue
		}
		return s + fmt.Sprint(c)
	}
	t.Fatal("no check digit")
	return ""
}

func mustAtoi74b(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

type person74b struct {
	id, nhs, family, given, prefix, gender, birth, line, post, phone, gp string
	label                                                                bool
}

func (p person74b) json() string {
	meta := ""
	if p.label {
		meta = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
	}
	name := `"family":` + q74b(p.family) + `,"given":[` + q74b(p.given) + `]`
	if p.prefix != "" {
		name += `,"prefix":[` + q74b(p.prefix) + `]`
	}
	s := `{"resourceType":"Patient","id":"` + p.id + `",` + meta +
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + p.nhs + `"}],` +
		`"name":[{` + name + `}],"gender":"` + p.gender + `","birthDate":"` + p.birth + `"`
	if p.line != "" || p.post != "" {
		s += `,"address":[{"line":[` + q74b(p.line) + `],"city":"Leeds","postalCode":` + q74b(p.post) + `}]`
	}
	if p.phone != "" {
		s += `,"telecom":[{"system":"phone","value":` + q74b(p.phone) + `,"use":"home"}]`
	}
	s += `,"generalPractitioner":[{"reference":"Organization/` + p.gp + `"}]}`
	return s
}

func q74b(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var mossNHS74b string

func seed74b(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	other := e.token("system", "nhs", "B99999")
	trust := e.token("system", "nhs", "RCX")
	hosp := e.token("system", "nhs", "RHX")
	council := e.token("system", "council", "E06000999")
	mossNHS74b = nhs74b(t, "999000074")
	people := []person74b{
		{id: "s74-smith", nhs: nhs74b(t, "999000100"), family: "Smith", given: "Jane", gender: "female", birth: "1948-07-05", line: "1 Park Row", post: "LS1 4AB", phone: "07700 900731", gp: "A81001"},
		{id: "s74-smithson", nhs: nhs74b(t, "999000110"), family: "Smithson", given: "Albert", gender: "male", birth: "1948-07-06", line: "3 Park Row", post: "LS1 4AB", gp: "A81001"},
		{id: "s74-sjones", nhs: nhs74b(t, "999000120"), family: "Smith-Jones", given: "Peter", gender: "male", birth: "1950-01-01", gp: "A81001"},
		{id: "s74-obrien", nhs: nhs74b(t, "999000130"), family: "O'Brien", given: "Mary", gender: "female", birth: "1952-02-02", gp: "A81001"},
		{id: "s74-chloe", nhs: nhs74b(t, "999000140"), family: "Dubois", given: "Chloé", prefix: "Dr", gender: "female", birth: "1960-06-06", gp: "A81001"},
		{id: "s74-nfd", nhs: nhs74b(t, "999000150"), family: "Nfdperson", given: "Zo\u0065\u0308", gender: "female", birth: "1961-01-01", gp: "A81001"},
		{id: "s74-moss", nhs: mossNHS74b, family: "Moss", given: "Edith", gender: "female", birth: "1948-07-05", line: "9 Quiet Close", post: "LS8 2QQ", phone: "01134 960874", gp: "A81001", label: true},
		{id: "s74-out", nhs: nhs74b(t, "999000160"), family: "Optout", given: "Olive", gender: "female", birth: "1949-09-09", line: "2 Exit Way", post: "LS7 1XX", phone: "07700 900999", gp: "A81001"},
	}
	for _, p := range people {
		e.putAll(t, gp, [2]string{"/fhir/Patient/" + p.id, p.json()})
		e.putAll(t, trust, [2]string{"/fhir/CareTeam/ct-" + p.id, `{"resourceType":"CareTeam","id":"ct-` + p.id + `","status":"active","subject":{"reference":"Patient/` + p.id + `"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	}
	zedd := person74b{id: "s74-zedd", nhs: nhs74b(t, "999000170"), family: "Zedd", given: "Smith", gender: "male", birth: "1948-07-05", line: "5 Far Lane", post: "LS5 5ZZ", phone: "07700 900555", gp: "B99999"}
	e.putAll(t, other, [2]string{"/fhir/Patient/s74-zedd", zedd.json()})
	hmoss := person74b{id: "s74-hmoss", nhs: mossNHS74b, family: "Moss", given: "Edith", gender: "female", birth: "1948-07-05", line: "9 Quiet Close", post: "LS8 2QQ", phone: "01134 960874", gp: "A81001"}
	e.putAll(t, hosp, [2]string{"/fhir/Patient/s74-hmoss", hmoss.json()})
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/ct-s74-hmoss", `{"resourceType":"CareTeam","id":"ct-s74-hmoss","status":"active","subject":{"reference":"Patient/s74-hmoss"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/s74-pkg", `{"resourceType":"EpisodeOfCare","id":"s74-pkg","status":"active","patient":{"reference":"Patient/s74-smith"},"managingOrganization":{"reference":"Organization/E06000999"},"type":[{"text":"PKG"}]}`})
	e.putAll(t, gp, [2]string{"/fhir/Consent/s74-out-optout", `{"resourceType":"Consent","id":"s74-out-optout","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/s74-out"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`})
}

type bundle74b struct {
	status int
	total  int
	ids    []string
	rels   []string
	body   string
}

func search74b(t *testing.T, e *env, tok, query string) bundle74b {
	t.Helper()
	r := e.do("GET", "/fhir/Patient?"+query, tok, "")
	out := bundle74b{status: r.status, body: r.body}
	if r.status != 200 {
		return out
	}
	var b struct {
		Total int `json:"total"`
		Link  []struct {
			Relation string `json:"relation"`
		} `json:"link"`
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out.total = b.Total
	for _, en := range b.Entry {
		if en.Resource.ResourceType == "Patient" {
			out.ids = append(out.ids, en.Resource.ID)
		}
	}
	for _, l := range b.Link {
		out.rels = append(out.rels, l.Relation)
	}
	return out
}

var volatile74b = regexp.MustCompile(`"(id|lastUpdated|url)":"[^"]*"`)

// shape74b is an answer without what differs between any two requests
// (the Bundle's id and time, the links' urls, which repeat the query).
func shape74b(r bundle74b) string {
	return fmt.Sprintf("%d %s", r.status, volatile74b.ReplaceAllString(r.body, `"$1":"…"`))
}

func nurse74b(e *env) string { return e.token("district-nurse", "nhs", "RCX") }

// TestReview74bSoundStringSearch: R4 string search as a nurse uses it
// (search.html#string: "a field matches a string query if the value of
// the field equals or starts with the supplied parameter value, after both
// have been normalized by case and accent"; ":exact" the whole value;
// "name" any part of HumanName), with totals counting only people she may
// see (SPEC §3: "Bundle.total counts only what the caller may see") —
// Zedd (no relationship) is never among them.
func TestReview74bSoundStringSearch(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	nurse := nurse74b(e)
	cases := []struct {
		q    string
		want []string
	}{
		{"family=smi", []string{"s74-smith", "s74-smithson", "s74-sjones"}},
		{"family=SMI", []string{"s74-smith", "s74-smithson", "s74-sjones"}},
		{"family:exact=Smith", []string{"s74-smith"}},
		{"family:exact=smith", []string{"s74-smith"}},
		{"family:contains=mith", []string{"s74-smith", "s74-smithson", "s74-sjones"}},
		{"family=Smith-Jones", []string{"s74-sjones"}},
		{"family=o'brien", []string{"s74-obrien"}},
		{"family=" + url.QueryEscape("O'Brien"), []string{"s74-obrien"}},
		{"given=chloe", []string{"s74-chloe"}},
		{"given=CHLOÉ", []string{"s74-chloe"}},
		{"given:exact=chloe", []string{"s74-chloe"}},
		{"name=dr", []string{"s74-chloe"}},
		{"name=jane", []string{"s74-smith"}},
		{"name=smith", []string{"s74-smith", "s74-smithson", "s74-sjones"}}, // not Zedd, whose given name is Smith
		{"given=smith", nil},
		{"birthdate=1948-07-05", []string{"s74-smith", "s74-moss", "s74-hmoss"}},
		{"birthdate=ge1948-07-06&birthdate=le1950-01-01", []string{"s74-smithson", "s74-sjones"}},
		{"birthdate=le1948-07-05", []string{"s74-smith", "s74-moss", "s74-hmoss"}},
		{"family=smi&gender=male", []string{"s74-smithson", "s74-sjones"}},
		{"family=smi&birthdate=1948-07-05", []string{"s74-smith"}},
		{"general-practitioner=Organization/A81001&family=smith", []string{"s74-smith", "s74-smithson", "s74-sjones"}},
		{"family=moss", []string{"s74-moss", "s74-hmoss"}},
		{"identifier=https://fhir.nhs.uk/Id/nhs-number|" + mossNHS74b, []string{"s74-moss", "s74-hmoss"}},
		{"family=zedd", nil},
	}
	for _, c := range cases {
		r := search74b(t, e, nurse, c.q)
		got := slices.Clone(r.ids)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if r.status != 200 || !slices.Equal(got, want) || r.total != len(want) {
			t.Errorf("%s: %d total %d %v, want %v", c.q, r.status, r.total, r.ids, c.want)
		}
	}
	// _sort=family,given and _count paging.
	r := search74b(t, e, nurse, "family=smi&_sort=family,given&_count=2")
	if r.total != 3 || !slices.Equal(r.ids, []string{"s74-smith", "s74-sjones"}) || !slices.Contains(r.rels, "next") {
		t.Errorf("_sort=family,given&_count=2: total %d %v %v", r.total, r.ids, r.rels)
	}
	r = search74b(t, e, nurse, "family=smi&_sort=-family&_count=1")
	if r.total != 3 || !slices.Equal(r.ids, []string{"s74-smithson"}) {
		t.Errorf("_sort=-family&_count=1: total %d %v", r.total, r.ids)
	}
}

// TestReview74bSoundSocialWorker: the social worker (council E06000999)
// has a care package for Jane Smith only: family=smi finds her alone, and
// the total is 1.
func TestReview74bSoundSocialWorker(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	r := search74b(t, e, sw, "family=smi")
	if r.status != 200 || r.total != 1 || !slices.Equal(r.ids, []string{"s74-smith"}) {
		t.Errorf("family=smi: %d total %d %v %s", r.status, r.total, r.ids, r.body)
	}
}

// TestReview74bSoundPostcodePhone: what carex does with a postcode and a
// phone number as a nurse types them. R4: address-postalcode is a string
// (starts-with after case and accent normalisation; nothing about
// spaces), phone a token ("exact match" of ContactPoint.value). README is
// silent on both. Recorded as found.
func TestReview74bSoundPostcodePhone(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	nurse := nurse74b(e)
	for q, want := range map[string]int{
		"address-postalcode=" + url.QueryEscape("LS1 4AB"): 2,
		"address-postalcode=" + url.QueryEscape("ls1 4ab"): 2,
		"address-postalcode=LS1":                           2,
		"address=park":                                     0, // R4: starts-with on each part; the line is "1 Park Row"
		"address:contains=park":                            2,
		"address=" + url.QueryEscape("1 park row"):         1,
		"phone=" + url.QueryEscape("07700 900731"):         1,
	} {
		if r := search74b(t, e, nurse, q); r.status != 200 || r.total != want {
			t.Errorf("%s: %d total %d %v", q, r.status, r.total, r.ids)
		}
	}
	for _, q := range []string{"address-postalcode=ls14ab", "address-postalcode=LS14AB", "phone=07700900731", "phone=%2B447700900731"} {
		r := search74b(t, e, nurse, q)
		t.Logf("observed: %s -> %d total %d %v", q, r.status, r.total, r.ids)
	}
}

// TestReview74bSoundNoRelationship: Zedd (registered elsewhere, no care
// team with the nurse) is not found, and the answer to a search matching
// only him is the answer to one matching no one, byte for byte but for
// the Bundle's id, time and link urls. SPEC §5: "Withheld items are
// simply absent — from … searches … and totals".
func TestReview74bSoundNoRelationship(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	nurse := nurse74b(e)
	for _, pair := range [][2]string{
		{"family=zedd", "family=zeddx"},
		{"address-postalcode=LS5", "address-postalcode=LS4"},
		{"phone=" + url.QueryEscape("07700 900555"), "phone=" + url.QueryEscape("07700 900556")},
		{"family=zedd&_summary=count", "family=zeddx&_summary=count"},
		{"identifier=https://fhir.nhs.uk/Id/nhs-number|" + nhs74b(t, "999000170"), "identifier=https://fhir.nhs.uk/Id/nhs-number|" + nhs74b(t, "999000180")},
	} {
		a, b := search74b(t, e, nurse, pair[0]), search74b(t, e, nurse, pair[1])
		if shape74b(a) != shape74b(b) {
			t.Errorf("match %s and miss %s differ:\n%s\n%s", pair[0], pair[1], shape74b(a), shape74b(b))
		}
	}
}

// TestReview74bSoundRestrictedByAddress: Edith Moss is restricted (R). Outside
// her source (GP A81001) a search by her postcode, address or phone must
// not see her (README: "a search that matches, sorts or includes by those
// elements — address*, phone, email, telecom, general-practitioner,
// organization — does not see the person … at all"); SPEC §5 "never has
// address, telephone or GP released outside the source organisation".
// The hospital's own unlabelled copy of her (same NHS number) is "a
// restricted person's also" (README, review 12b). Compared byte for byte
// with a miss. Severity: leak (where a restricted person lives).
func TestReview74bSoundRestrictedByAddress(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	nurse := nurse74b(e)
	sw := e.token("social-worker", "council", "E06000999")
	hospital := e.token("hospital-clinician", "nhs", "RHX")
	for ti, tok := range []string{nurse, sw, hospital} {
		for _, pair := range [][2]string{
			{"address-postalcode=" + url.QueryEscape("LS8 2QQ"), "address-postalcode=" + url.QueryEscape("LS8 2QZ")},
			{"address-postalcode=LS8", "address-postalcode=LS9"},
			{"address=quiet", "address=quier"},
			{"address:contains=" + url.QueryEscape("Quiet Close"), "address:contains=" + url.QueryEscape("Quiet Closf")},
			{"phone=" + url.QueryEscape("01134 960874"), "phone=" + url.QueryEscape("01134 960875")},
			{"telecom=" + url.QueryEscape("01134 960874"), "telecom=" + url.QueryEscape("01134 960875")},
			{"family=moss&address-postalcode=LS8", "family=moss&address-postalcode=LS9"},
			{"family=moss&phone:missing=false", "family=mossx&phone:missing=false"},
			{"family=moss&address-postalcode=LS8&_summary=count", "family=moss&address-postalcode=LS9&_summary=count"},
			{"birthdate=1948-07-05&address-postalcode=LS8", "birthdate=1948-07-05&address-postalcode=LS9"},
		} {
			a, b := search74b(t, e, tok, pair[0]), search74b(t, e, tok, pair[1])
			if tok == hospital {
				// The hospital is the source of hmoss: it sees its own,
				// and her GP record must not be among them.
				if slices.Contains(a.ids, "s74-moss") {
					t.Errorf("hospital %s: found the GP's restricted record: %v", pair[0], a.ids)
				}
				continue
			}
			if shape74b(a) != shape74b(b) || slices.ContainsFunc(a.ids, func(s string) bool { return strings.Contains(s, "moss") }) {
				t.Errorf("%s: match %s and miss %s differ:\n%s\n%s", []string{"nurse", "social worker", "hospital"}[ti], pair[0], pair[1], shape74b(a), shape74b(b))
			}
		}
	}
	// The same through POST _search (form body) and a batch's GET entry.
	post := func(body string) string {
		r := e.do("POST", "/fhir/Patient/_search", nurse, body, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 200 {
			t.Errorf("POST _search %s: %d %s", body, r.status, r.body)
		}
		return shape74b(bundle74b{status: r.status, body: r.body})
	}
	if a, b := post("address-postalcode=LS8"), post("address-postalcode=LS9"); a != b {
		t.Errorf("POST _search by her postcode differs from a miss:\n%s\n%s", a, b)
	}
	batch := func(q string) string {
		r := e.do("POST", "/fhir", nurse, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?`+q+`"}}]}`)
		if r.status != 200 || !strings.Contains(r.body, `"searchset"`) {
			t.Errorf("batch %s: %d %s", q, r.status, r.body)
		}
		return shape74b(bundle74b{status: r.status, body: r.body})
	}
	if a, b := batch("address-postalcode=LS8"), batch("address-postalcode=LS9"); a != b {
		t.Errorf("batch GET by her postcode differs from a miss:\n%s\n%s", a, b)
	}
	if a := search74b(t, e, nurse, "family=moss&_elements=address,telecom"); strings.Contains(a.body, "Quiet") || strings.Contains(a.body, "960874") || strings.Contains(a.body, "LS8") {
		t.Errorf("_elements=address: her address released: %s", a.body)
	}
	// She is still found by name and NHS number (premise).
	if r := search74b(t, e, nurse, "family=moss"); !slices.Contains(r.ids, "s74-moss") {
		t.Errorf("family=moss: %v", r.ids)
	}
}

// TestReview74bSoundOptedOut: Olive Optout has opted out (OPTOUT, no
// exceptions: "nothing is shared beyond the source organisation"). Her
// GP's Patient resource is withheld from the nurse; is a search by her
// postcode answered as a miss?
func TestReview74bSoundOptedOut(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	nurse := nurse74b(e)
	for _, pair := range [][2]string{
		{"family=optout", "family=optoux"},
		{"address-postalcode=LS7", "address-postalcode=LS6"},
		{"phone=" + url.QueryEscape("07700 900999"), "phone=" + url.QueryEscape("07700 900998")},
	} {
		a, b := search74b(t, e, nurse, pair[0]), search74b(t, e, nurse, pair[1])
		if slices.Contains(a.ids, "s74-out") {
			t.Errorf("%s: opted-out Olive released: %s", pair[0], a.body)
		}
		if shape74b(a) != shape74b(b) {
			t.Errorf("match %s and miss %s differ:\n%s\n%s", pair[0], pair[1], shape74b(a), shape74b(b))
		}
	}
}

// TestReview74bAccentsMissed: R4 search.html#string — "a field matches a
// string query if the value of the field equals or starts with the
// supplied parameter value, after both have been normalized by case and
// accent"; README: "compared, as every string search is, without case and
// common Latin accents". NormString (fhir/search/extract.go) folds a
// fixed table of precomposed letters only: Romanian ș/ț (comma below,
// U+0219/U+021B: the table has the cedilla forms ş/ţ) and any accent
// typed as a combining mark (NFD, as macOS and some browsers send
// it) are kept — on either side: a name stored decomposed (Kova\u0301cs,
// Zoe\u0308, as a feed from such a client writes it) is missed by
// family=kovacs and given:exact=Zoë — so the nurse who types the name
// without its accent, or with it decomposed, does not find the person.
// Same on the parent (HEAD~1): not a regression. Severity: a person
// missing from a nurse's search (safety at a visit), not a leak.
func TestReview74bAccentsMissed(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	for _, p := range []person74b{
		{id: "a74-stefan", nhs: nhs74b(t, "999000200"), family: "\u021aurcanu", given: "\u0218tefan", gender: "male", birth: "1970-01-01", gp: "A81001"},
		{id: "a74-ibrahim", nhs: nhs74b(t, "999000210"), family: "Y\u0131lmaz", given: "\u0130brahim", gender: "male", birth: "1971-01-01", gp: "A81001"},
		{id: "a74-zoe", nhs: nhs74b(t, "999000230"), family: "Kov\u0061\u0301cs", given: "Zo\u0065\u0308", gender: "female", birth: "1973-01-01", gp: "A81001"}, // stored decomposed (NFD)
		{id: "a74-chloe", nhs: nhs74b(t, "999000220"), family: "Dubois", given: "Chlo\u00e9", gender: "female", birth: "1972-01-01", gp: "A81001"},
	} {
		e.putAll(t, gp, [2]string{"/fhir/Patient/" + p.id, p.json()})
		e.putAll(t, trust, [2]string{"/fhir/CareTeam/ct-" + p.id, `{"resourceType":"CareTeam","id":"ct-` + p.id + `","status":"active","subject":{"reference":"Patient/` + p.id + `"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	}
	nurse := nurse74b(e)
	for q, want := range map[string]string{
		"given=stefan":   "a74-stefan",
		"family=turcanu": "a74-stefan",
		"given=" + url.QueryEscape("\u0218tefan"): "a74-stefan", // premise: as stored
		"given=ibrahim": "a74-ibrahim",
		"given=" + url.QueryEscape("\u0130brahim"): "a74-ibrahim", // premise: as stored
		"family=yilmaz": "a74-ibrahim",
		"given=chloe":   "a74-chloe", // premise
		"given=zoe":     "a74-zoe",   // premise: a prefix of "zoe\u0308"
		"family=kovacs": "a74-zoe",   // stored NFD: "kova\u0301cs"
		"given:exact=" + url.QueryEscape("Zo\u00eb"): "a74-zoe",   // NFC query, NFD stored
		"given=" + url.QueryEscape("Chloe\u0301"):    "a74-chloe", // NFD query, NFC stored
	} {
		r := search74b(t, e, nurse, q)
		if r.status != 200 || !slices.Contains(r.ids, want) {
			t.Errorf("%s: %d total %d %v, want %s", q, r.status, r.total, r.ids, want)
		}
	}
}

// TestReview74bSoundBreakGlassTrace: a GP with no relationship traces by
// birth date and postcode under break-glass (README: "trace them by an
// exact birthdate= with family=, given=, name= or address-postalcode=");
// the restricted Edith Moss must not answer for her postcode: the
// trace's answer for LS8 is the answer for LS9.
func TestReview74bSoundBreakGlassTrace(t *testing.T) {
	e := newEnv(t)
	seed74b(t, e)
	stranger := e.token("gp", "nhs", "Z99999")
	hdr := []string{"X-Break-Glass", "emergency: patient collapsed at home, unable to consent"}
	get := func(q string) string {
		r := e.do("GET", "/fhir/Patient?"+q, stranger, "", hdr...)
		return shape74b(bundle74b{status: r.status, body: r.body})
	}
	a, b := get("birthdate=1948-07-05&address-postalcode=LS8"), get("birthdate=1948-07-05&address-postalcode=LS9")
	if a != b {
		t.Errorf("break-glass trace by her postcode differs from a miss:\n%s\n%s", a, b)
	}
	if c := get("birthdate=1948-07-05&family=moss"); !strings.Contains(c, "s74-moss") {
		t.Logf("trace by name: %s", c)
	}
}
