package api_test

// Review 81a: _include and _revinclude as a GP system coordinating care
// uses them — FHIR R4 search §3.1.1.5.5 semantics (search.mode include,
// each resource once, not in Bundle.total, paging keeps the includes) and
// SPEC §5 ("Withheld items are simply absent — from … _include/_revinclude
// and totals").

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

type r81aEntry struct {
	FullURL  string         `json:"fullUrl"`
	Resource map[string]any `json:"resource"`
	Search   struct {
		Mode string `json:"mode"`
	} `json:"search"`
}

type r81aBundle struct {
	Total *int `json:"total"`
	Link  []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []r81aEntry `json:"entry"`
}

func r81aParse(t *testing.T, r resp) r81aBundle {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %.600s", r.status, r.body)
	}
	var b r81aBundle
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatalf("bundle: %v: %.300s", err, r.body)
	}
	return b
}

// r81aKeys: "Type/id mode" of each entry, in order.
func r81aKeys(b r81aBundle) []string {
	var out []string
	for _, e := range b.Entry {
		if e.Resource == nil {
			continue
		}
		rt, _ := e.Resource["resourceType"].(string)
		if rt == "OperationOutcome" {
			continue
		}
		id, _ := e.Resource["id"].(string)
		out = append(out, rt+"/"+id+" "+e.Search.Mode)
	}
	return out
}

func r81aCount(keys []string, prefix string) int {
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

func (b r81aBundle) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// r81aSeedMeds: Jane's GP practice prescribes twice from one Medication and
// once from another; an observation panel holds a member observation.
func r81aSeedMeds(t *testing.T, e *env) {
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Medication/metformin", `{"resourceType":"Medication","id":"metformin","code":{"text":"R81A-METFORMIN"}}`},
		[2]string{"/fhir/Medication/gliclazide", `{"resourceType":"Medication","id":"gliclazide","code":{"text":"R81A-GLICLAZIDE"}}`},
		[2]string{"/fhir/MedicationRequest/mr1", `{"resourceType":"MedicationRequest","id":"mr1","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/metformin"},"authoredOn":"2025-01-01"}`},
		[2]string{"/fhir/MedicationRequest/mr2", `{"resourceType":"MedicationRequest","id":"mr2","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/metformin"},"authoredOn":"2025-02-01"}`},
		[2]string{"/fhir/MedicationRequest/mr3", `{"resourceType":"MedicationRequest","id":"mr3","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"medicationReference":{"reference":"Medication/gliclazide"},"authoredOn":"2025-03-01"}`},
		[2]string{"/fhir/Observation/child", `{"resourceType":"Observation","id":"child","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R81A-CHILD"},"effectiveDateTime":"2025-05-01"}`},
		[2]string{"/fhir/Observation/panel", `{"resourceType":"Observation","id":"panel","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R81A-PANEL"},"effectiveDateTime":"2025-05-01","hasMember":[{"reference":"Observation/child"}]}`},
	)
}

// TestReview81aSoundIncludeSemantics: a Medication named by two matching
// prescriptions is included once, with search.mode include; Bundle.total
// counts the matches only; an item that is a match and also the target of
// another match's reference appears once, as a match (R4 §3.1.1.5.5);
// a type-qualified include takes only that type.
func TestReview81aSoundIncludeSemantics(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r81aSeedMeds(t, e)
	gp := e.token("gp", "nhs", "A81001")

	b := r81aParse(t, e.do("GET", "/fhir/MedicationRequest?patient=jane&_include=MedicationRequest:medication", gp, ""))
	k := r81aKeys(b)
	if b.Total == nil || *b.Total != 3 {
		t.Errorf("total counts includes or misses matches: %v; entries %v", b.Total, k)
	}
	if r81aCount(k, "Medication/metformin include") != 1 || r81aCount(k, "Medication/gliclazide include") != 1 || r81aCount(k, "Medication/") != 2 || r81aCount(k, "MedicationRequest/") != 3 {
		t.Errorf("includes not once each with mode include: %v", k)
	}

	b = r81aParse(t, e.do("GET", "/fhir/Observation?patient=jane&_include=Observation:has-member", gp, ""))
	k = r81aKeys(b)
	if r81aCount(k, "Observation/child ") != 1 || r81aCount(k, "Observation/child match") != 1 {
		t.Errorf("a match also included is not there once as match: %v", k)
	}

	b = r81aParse(t, e.do("GET", "/fhir/Observation?patient=jane&_include=Observation:subject:Patient", gp, ""))
	if k = r81aKeys(b); r81aCount(k, "Patient/jane include") != 1 {
		t.Errorf("Observation:subject:Patient: %v", k)
	}
	b = r81aParse(t, e.do("GET", "/fhir/Observation?patient=jane&_include=Observation:subject:Group", gp, ""))
	if k = r81aKeys(b); r81aCount(k, "Patient/") != 0 {
		t.Errorf("Observation:subject:Group included a Patient: %v", k)
	}

	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Location/ward", `{"resourceType":"Location","id":"ward","name":"R81A-WARD-7","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]}}`},
		[2]string{"/fhir/Encounter/stay", `{"resourceType":"Encounter","id":"stay","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"period":{"start":"2025-04-01"},"location":[{"location":{"reference":"Location/ward"}}]}`})
	b = r81aParse(t, e.do("GET", "/fhir/Encounter?patient=jane&_include=Encounter:location", gp, ""))
	if k = r81aKeys(b); r81aCount(k, "Location/ward include") != 1 || b.Total == nil || *b.Total != 2 {
		t.Errorf("Encounter:location: total %v %v", b.Total, k)
	}

	b = r81aParse(t, e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_revinclude=Condition:subject&_revinclude=Condition:patient", gp, ""))
	k = r81aKeys(b)
	if b.Total == nil || *b.Total != 1 || r81aCount(k, "Condition/diabetes include") != 1 || r81aCount(k, "Condition/hiv include") != 1 || r81aCount(k, "Patient/jane match") != 1 {
		t.Errorf("revinclude by two params: total %v, %v", b.Total, k)
	}
}

// TestReview81aSoundPagingKeepsIncludes: with _count=1 each page carries
// the includes of its own match, and the next link keeps _include.
func TestReview81aSoundPagingKeepsIncludes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r81aSeedMeds(t, e)
	gp := e.token("gp", "nhs", "A81001")
	path := "/fhir/MedicationRequest?patient=jane&_sort=authoredon&_count=1&_include=MedicationRequest:medication"
	want := []string{"Medication/metformin", "Medication/metformin", "Medication/gliclazide"}
	for i := 0; i < 3; i++ {
		b := r81aParse(t, e.do("GET", path, gp, ""))
		k := r81aKeys(b)
		if b.Total == nil || *b.Total != 3 || len(k) != 2 || k[1] != want[i]+" include" {
			t.Errorf("page %d (%s): total %v, %v", i+1, path, b.Total, k)
		}
		next := b.link("next")
		if i < 2 {
			if !strings.Contains(next, "_include=MedicationRequest") && !strings.Contains(next, "_include=MedicationRequest%3Amedication") {
				t.Fatalf("page %d: next link drops _include: %q", i+1, next)
			}
			u, err := url.Parse(next)
			if err != nil {
				t.Fatal(err)
			}
			path = strings.TrimPrefix(u.Path, "") + "?" + u.RawQuery
		} else if next != "" {
			t.Errorf("last page has a next link %q", next)
		}
	}
}

// TestReview81aSoundIterateAndStarRefused: :iterate and * are not
// supported; each is a 400 OperationOutcome naming what was asked (README
// does not list :iterate among the unsupported features — doc gap only).
func TestReview81aSoundIterateAndStarRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, p := range []string{
		"/fhir/CarePlan?patient=jane&_include=CarePlan:condition&_include:iterate=Condition:asserter",
		"/fhir/CarePlan?patient=jane&_include=*",
		"/fhir/Patient?_id=jane&_revinclude=*",
		"/fhir/Patient?_id=jane&_revinclude:iterate=Condition:subject",
	} {
		r := e.do("GET", p, gp, "")
		t.Logf("%s -> %d %.250s", p, r.status, r.body)
		if r.status != 400 || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("%s: %d %.300s", p, r.status, r.body)
		}
		// (fixed with review 81a: it said the type had no parameter _include)
		if strings.Contains(p, "iterate") && !strings.Contains(r.body, ":iterate is not supported") {
			t.Errorf("%s: the refusal does not name :iterate: %.300s", p, r.body)
		}
	}
	// metadata does not claim * as an include
	r := e.do("GET", "/fhir/metadata", "", "")
	if strings.Contains(r.body, `Include":["*"`) || strings.Contains(r.body, `,"*"]`) && strings.Contains(r.body, `Include":[`) && strings.Contains(r.body, `Include":["*`) {
		t.Errorf("metadata lists a * include")
	}
}

// r81aExchange: the last recorded exchange whose query holds s.
func r81aLast(e *env) api.Exchange {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	return e.rec.xs[len(e.rec.xs)-1]
}

// TestReview81aSoundCarePlanConditionSensitive: the nurse's CarePlan
// addresses Jane's HIV diagnosis (labelled from its code, GP's) and her
// diabetes: the include brings diabetes, not HIV; the CarePlan's reference
// to HIV goes out masked; the log releases diabetes and counts one
// withheld.
func TestReview81aSoundCarePlanConditionSensitive(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CarePlan/both", `{"resourceType":"CarePlan","id":"both","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R81A-BOTH","addresses":[{"reference":"Condition/hiv"},{"reference":"Condition/diabetes"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/CarePlan?patient=jane&_include=CarePlan:condition", nurse, "")
	b := r81aParse(t, r)
	k := r81aKeys(b)
	if strings.Contains(r.body, "GP-HIV") || strings.Contains(r.body, "Condition/hiv") || r81aCount(k, "Condition/diabetes include") != 1 {
		t.Errorf("entries %v; body %.900s", k, r.body)
	}
	x := r81aLast(e)
	rel := strings.Join(x.Released, ",")
	if !strings.Contains(rel, "Condition/diabetes/") || strings.Contains(rel, "Condition/hiv") || x.Withheld < 1 {
		t.Errorf("log: released %v withheld %d", x.Released, x.Withheld)
	}
}

// TestReview81aRevincludeWithheldLeavesNoTrace: the hospital clinician's
// Patient?identifier=<NHS>&_revinclude=Condition:subject answers the same
// whether or not Jane's HIV diagnosis (withheld from the hospital) is
// stored — same total, same entries — and its log counts it withheld.
func TestReview81aRevincludeWithheldLeavesNoTrace(t *testing.T) {
	run := func(withHIV bool) (r81aBundle, string, api.Exchange) {
		e := newEnv(t)
		seedShared(t, e)
		if !withHIV {
			if r := e.do("DELETE", "/fhir/Condition/hiv", e.token("system", "nhs", "A81001"), ""); r.status != 200 && r.status != 204 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
		}
		hosp := e.token("hospital-clinician", "nhs", "RHX")
		r := e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_revinclude=Condition:subject", hosp, "")
		return r81aParse(t, r), r.body, r81aLast(e)
	}
	with, wbody, wx := run(true)
	without, _, _ := run(false)
	wk, nk := r81aKeys(with), r81aKeys(without)
	if strings.Join(wk, ",") != strings.Join(nk, ",") || *with.Total != *without.Total || strings.Contains(wbody, "GP-HIV") {
		t.Errorf("with HIV stored: %v total %d; without: %v total %d", wk, *with.Total, nk, *without.Total)
	}
	if wx.Withheld < 1 || strings.Contains(strings.Join(wx.Released, ","), "Condition/hiv") {
		t.Errorf("log: released %v withheld %d", wx.Released, wx.Withheld)
	}
}

// TestReview81aRestrictedPatientThroughInclude: Margaret's demographics
// are restricted (R). The district nurse (care team) includes her Patient
// through Encounter:patient / Observation:subject:Patient / CareTeam:
// subject: no address, phone, GP; the restricted-patient alert is raised.
func TestReview81aRestrictedPatientThroughInclude(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/Encounter/mvisit", `{"resourceType":"Encounter","id":"mvisit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},"subject":{"reference":"Patient/marg"},"period":{"start":"2025-03-01"}}`})
	for i, p := range []string{
		"/fhir/Encounter?patient=marg&_include=Encounter:patient",
		"/fhir/Encounter?subject=Patient/marg&_include=Encounter:subject:Patient",
		"/fhir/CareTeam?patient=marg&_include=CareTeam:subject",
		"/fhir/Encounter?_id=mvisit&_include=Encounter:patient",
	} {
		sub := "nurse-81a-" + string(rune('a'+i))
		nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub })
		r := e.do("GET", p, nurse, "")
		k := r81aKeys(r81aParse(t, r))
		if r81aCount(k, "Patient/marg include") != 1 {
			t.Errorf("%s: premise, Margaret not included: %v", p, k)
		}
		for _, s := range []string{"SECRET-ADDR", "LS9 7TF", "01134960999", "dr-secret", "SECRET-NARRATIVE"} {
			if strings.Contains(r.body, s) {
				t.Errorf("%s releases %q of a restricted person: %.600s", p, s, r.body)
			}
		}
		if !e.accessLogged(t, sub, "restricted-patient") {
			t.Errorf("%s: no restricted-patient alert", p)
		}
	}
}

const r81aBob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"R81A-BOBFAMILY"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`

// TestReview81aOtherPersonThroughInclude: Bob, registered elsewhere
// (Z99999), with whom the district nurse has no relationship (his record
// is a 403 to her). Jane's Condition names Bob as asserter; Bob's own
// Condition names Jane as asserter (so it is in Jane's R4 compartment).
// Neither Bob's Patient nor Bob's diagnosis reaches the nurse through
// _include / _revinclude when her direct read of them is refused.
func TestReview81aOtherPersonThroughInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	z := e.token("system", "nhs", "Z99999")
	e.putAll(t, z,
		[2]string{"/fhir/Patient/bob", r81aBob},
		[2]string{"/fhir/Condition/bobcond", `{"resourceType":"Condition","id":"bobcond","subject":{"reference":"Patient/bob"},"asserter":{"reference":"Patient/jane"},"code":{"text":"R81A-BOB-DIAGNOSIS"}}`})
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Condition/jcond", `{"resourceType":"Condition","id":"jcond","subject":{"reference":"Patient/jane"},"asserter":{"reference":"Patient/bob"},"code":{"text":"R81A-JANE-BY-BOB"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/bob", "/fhir/Condition/bobcond"} {
		r := e.do("GET", p, nurse, "")
		t.Logf("premise %s -> %d", p, r.status)
	}
	readBob := e.do("GET", "/fhir/Patient/bob", nurse, "").status == 200
	readBobCond := e.do("GET", "/fhir/Condition/bobcond", nurse, "").status == 200
	for _, c := range []struct{ path, secret string }{
		{"/fhir/Condition?patient=jane&_include=Condition:asserter", "R81A-BOBFAMILY"},
		{"/fhir/Condition?patient=jane&_include=Condition:asserter:Patient", "R81A-BOBFAMILY"},
		{"/fhir/Patient?_id=jane&_revinclude=Condition:asserter", "R81A-BOB-DIAGNOSIS"},
		{"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_revinclude=Condition:asserter", "R81A-BOB-DIAGNOSIS"},
	} {
		r := e.do("GET", c.path, nurse, "")
		b := r81aParse(t, r)
		t.Logf("%s -> %v", c.path, r81aKeys(b))
		released := strings.Contains(r.body, c.secret)
		if released && ((c.secret == "R81A-BOBFAMILY" && !readBob) || (c.secret == "R81A-BOB-DIAGNOSIS" && !readBobCond)) {
			t.Errorf("LEAK: %s releases %s, which a read refuses her: %.700s", c.path, c.secret, r.body)
		}
	}
}

// TestReview81aOptOutThroughInclude: Jane opts out (GP records OPTOUT):
// nothing beyond each source. The nurse's own CarePlan comes; the GP's
// Patient and diagnosis, named by it, do not come through _include, and
// the council's package does not come through _revinclude.
func TestReview81aOptOutThroughInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CarePlan/both", `{"resourceType":"CarePlan","id":"both","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R81A-BOTH","addresses":[{"reference":"Condition/diabetes"}]}`})
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Consent/optout", janeConsent("optout", "2026-01-10", "OPTOUT", "")})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{
		"/fhir/CarePlan?patient=jane&_include=CarePlan:condition&_include=CarePlan:subject&_include=CarePlan:patient",
		"/fhir/CareTeam?patient=jane&_include=CareTeam:subject&_include=CareTeam:patient",
		"/fhir/CarePlan?patient=jane&_include=CarePlan:subject&_revinclude=Condition:evidence-detail",
		"/fhir/CarePlan?_id=both&_include=CarePlan:condition&_include=CarePlan:subject",
		"/fhir/CareTeam?_id=nursing&_include=CareTeam:patient",
	} {
		r := e.do("GET", p, nurse, "")
		b := r81aParse(t, r)
		t.Logf("%s -> %v", p, r81aKeys(b))
		for _, s := range []string{"GP-DIABETES", "Smith", "COUNCIL-CARE-PACKAGE", "9434765919"} {
			if strings.Contains(r.body, s) {
				t.Errorf("LEAK under opt-out: %s releases %q: %.700s", p, s, r.body)
			}
		}
	}
}

// TestReview81aLegallyRestrictedThroughInclude: break-glass never
// releases assisted-fertilisation / gender-recognition records, also
// through _include and _revinclude.
func TestReview81aLegallyRestrictedThroughInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Condition/ivf", `{"resourceType":"Condition","id":"ivf","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"R81A-IVF"}}`},
		[2]string{"/fhir/Condition/gra", `{"resourceType":"Condition","id":"gra","subject":{"reference":"Patient/jane"},"meta":{"security":[{"system":"https://carex.example/label","code":"GRA"}]},"code":{"text":"R81A-GENDER"}}`},
		[2]string{"/fhir/CarePlan/after", `{"resourceType":"CarePlan","id":"after","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/ivf"},{"reference":"Condition/gra"}],"title":"R81A-AFTER"}`},
		[2]string{"/fhir/Provenance/pivf", `{"resourceType":"Provenance","id":"pivf","target":[{"reference":"Condition/ivf"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"reference":"Organization/RHX"}}],"reason":[{"text":"R81A-PROV-IVF"}]}`})
	const bg = "EMERGENCY: collapsed at home, no history"
	for _, tok := range []string{e.token("hospital-clinician", "nhs", "RYY"), e.token("gp", "nhs", "A81001")} {
		for _, p := range []string{
			"/fhir/CarePlan?patient=jane&_include=CarePlan:condition",
			"/fhir/Patient?_id=jane&_revinclude=Condition:subject&_revinclude=Provenance:patient",
			"/fhir/CarePlan?patient=jane&_include=CarePlan:condition&_revinclude=Provenance:target",
		} {
			r := e.do("GET", p, tok, "", "X-Break-Glass", bg)
			if r.status != 200 {
				t.Logf("%s -> %d %.200s", p, r.status, r.body)
				continue
			}
			t.Logf("%s -> %v", p, r81aKeys(r81aParse(t, r)))
			for _, s := range []string{"R81A-IVF", "R81A-GENDER", "R81A-PROV-IVF", "Condition/ivf", "Condition/gra"} {
				if strings.Contains(r.body, s) {
					t.Errorf("LEAK: break-glass %s releases %q", p, s)
				}
			}
		}
	}
}

// TestReview81aProvenanceAndAuditRevinclude: a Provenance naming both a
// withheld and a released diagnosis is released only where every target is
// seen (README); one naming the released one comes. The access log is not
// reachable by _revinclude=AuditEvent:… (400) for a clinician.
func TestReview81aProvenanceAndAuditRevinclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Provenance/pboth", `{"resourceType":"Provenance","id":"pboth","target":[{"reference":"Condition/diabetes"},{"reference":"Condition/hiv"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}],"reason":[{"text":"R81A-PBOTH"}]}`},
		[2]string{"/fhir/Provenance/pdiab", `{"resourceType":"Provenance","id":"pdiab","target":[{"reference":"Condition/diabetes"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}],"reason":[{"text":"R81A-PDIAB"}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{
		"/fhir/Condition?patient=jane&_revinclude=Provenance:target",
		"/fhir/Patient?_id=jane&_revinclude=Provenance:patient",
		"/fhir/Condition?_id=diabetes&_revinclude=Provenance:target",
	} {
		r := e.do("GET", p, hosp, "")
		k := r81aKeys(r81aParse(t, r))
		t.Logf("%s -> %v", p, k)
		if strings.Contains(r.body, "R81A-PBOTH") || strings.Contains(r.body, "Condition/hiv") {
			t.Errorf("LEAK: %s releases the provenance of a withheld diagnosis: %.600s", p, r.body)
		}
		if r81aCount(k, "Provenance/pdiab include") != 1 {
			t.Logf("note: %s does not include pdiab", p)
		}
	}
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("ig-officer", "nhs", "A81001")} {
		for _, p := range []string{"/fhir/Patient?_id=jane&_revinclude=AuditEvent:patient", "/fhir/Patient?_id=jane&_revinclude=AuditEvent:entity"} {
			r := e.do("GET", p, tok, "")
			t.Logf("%s -> %d %.200s", p, r.status, r.body)
			if r.status == 200 && strings.Contains(r.body, `"AuditEvent"`) {
				t.Errorf("%s releases the access log through _revinclude: %.400s", p, r.body)
			}
			// Refused, as metadata lists no AuditEvent revinclude (fixed
			// with review 81a: 200, including nothing).
			if r.status != 400 || !strings.Contains(r.body, "access log") {
				t.Errorf("%s: %d %.300s, want 400 naming the access log", p, r.status, r.body)
			}
		}
	}
}

// TestReview81aLogNamesIncludedPerson: the GP (registered practice of both
// Jane and Bob) includes Bob's Patient through Jane's Condition:asserter:
// the access log's entry releases Bob's Patient and names Bob (README:
// "another person brought in by _include").
func TestReview81aLogNamesIncludedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/bob", strings.Replace(r81aBob, "Z99999", "A81001", 1)},
		[2]string{"/fhir/Condition/jcond", `{"resourceType":"Condition","id":"jcond","subject":{"reference":"Patient/jane"},"asserter":{"reference":"Patient/bob"},"code":{"text":"R81A-JANE-BY-BOB"}}`})
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Condition?patient=jane&_include=Condition:asserter", gp, "")
	k := r81aKeys(r81aParse(t, r))
	if r81aCount(k, "Patient/bob include") != 1 {
		t.Fatalf("premise: %v", k)
	}
	x := r81aLast(e)
	if !strings.Contains(strings.Join(x.Released, ","), "Patient/bob/") || !strings.Contains(strings.Join(x.Patients, ",")+","+x.Patient, "bob") {
		t.Errorf("log entry: patient %q patients %v released %v", x.Patient, x.Patients, x.Released)
	}
}

// TestReview81aSecondPersonsConsentThroughInclude: the nurse's trust has
// care teams for Jane and for Bob; Bob (registered at Z99999) has opted
// out. Jane's GP diagnosis names Bob as asserter; Bob's GP diagnosis names
// Jane as asserter. An _include / _revinclude from Jane's search must
// decide Bob's items under Bob's consent (SPEC §5 layer 3; README: "break-
// glass overrides one person's objection, not a second person's").
func TestReview81aSecondPersonsConsentThroughInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	z := e.token("system", "nhs", "Z99999")
	bobOptOut := strings.ReplaceAll(janeConsent("bob-optout", "2026-01-10", "OPTOUT", ""), "Patient/jane", "Patient/bob")
	e.putAll(t, z,
		[2]string{"/fhir/Patient/bob", r81aBob},
		[2]string{"/fhir/Condition/bobcond", `{"resourceType":"Condition","id":"bobcond","subject":{"reference":"Patient/bob"},"asserter":{"reference":"Patient/jane"},"code":{"text":"R81A-BOB-DIAGNOSIS"}}`},
		[2]string{"/fhir/Consent/bob-optout", bobOptOut})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/bobteam", `{"resourceType":"CareTeam","id":"bobteam","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Condition/jcond", `{"resourceType":"Condition","id":"jcond","subject":{"reference":"Patient/jane"},"asserter":{"reference":"Patient/bob"},"code":{"text":"R81A-JANE-BY-BOB"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/bob", "/fhir/Condition/bobcond", "/fhir/Condition?patient=bob"} {
		r := e.do("GET", p, nurse, "")
		if strings.Contains(r.body, "R81A-BOB") {
			t.Fatalf("premise: Bob's opt-out does not withhold %s: %d %.300s", p, r.status, r.body)
		}
	}
	const bg = "EMERGENCY: collapsed at home, no history"
	for _, h := range [][]string{nil, {"X-Break-Glass", bg}} {
		for _, p := range []string{
			"/fhir/Condition?patient=jane&_include=Condition:asserter",
			"/fhir/Patient?_id=jane&_revinclude=Condition:asserter",
			"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_revinclude=Condition:asserter",
		} {
			r := e.do("GET", p, nurse, "", h...)
			if r.status != 200 {
				t.Logf("%s (bg %v) -> %d %.200s", p, h != nil, r.status, r.body)
				continue
			}
			t.Logf("%s (bg %v) -> %v", p, h != nil, r81aKeys(r81aParse(t, r)))
			for _, s := range []string{"R81A-BOB", "9000000009"} {
				if strings.Contains(r.body, s) {
					t.Errorf("LEAK: %s (break-glass %v) releases %q of Bob, who opted out: %.600s", p, h != nil, s, r.body)
				}
			}
		}
	}
}

// TestReview81aBobsItemsReachedFromJane: references that do not put an
// item in the other person's compartment. The nurse's own CarePlan for
// Jane addresses Bob's diagnosis (CarePlan.addresses); Bob's GP's CarePlan
// for Bob addresses Jane's diabetes. Bob is either someone the nurse has no
// relationship with (a read of his items is refused), or on her caseload
// but opted out. Neither of Bob's items reaches her through
// CarePlan:condition / _revinclude=CarePlan:condition, with or without
// break-glass for Jane.
func TestReview81aBobsItemsReachedFromJane(t *testing.T) {
	for _, c := range []struct {
		name         string
		team, optOut bool
	}{{"no relationship", false, false}, {"caseload, opted out", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			z := e.token("system", "nhs", "Z99999")
			e.putAll(t, z,
				[2]string{"/fhir/Patient/bob", r81aBob},
				[2]string{"/fhir/Condition/bobcond", `{"resourceType":"Condition","id":"bobcond","subject":{"reference":"Patient/bob"},"code":{"text":"R81A-BOB-DIAGNOSIS"}}`},
				[2]string{"/fhir/CarePlan/bobplan", `{"resourceType":"CarePlan","id":"bobplan","status":"active","intent":"plan","subject":{"reference":"Patient/bob"},"title":"R81A-BOB-PLAN","addresses":[{"reference":"Condition/diabetes"}]}`})
			if c.optOut {
				e.putAll(t, z, [2]string{"/fhir/Consent/bob-optout", strings.ReplaceAll(janeConsent("bob-optout", "2026-01-10", "OPTOUT", ""), "Patient/jane", "Patient/bob")})
			}
			rcx := e.token("system", "nhs", "RCX")
			if c.team {
				e.putAll(t, rcx, [2]string{"/fhir/CareTeam/bobteam", `{"resourceType":"CareTeam","id":"bobteam","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
			}
			e.putAll(t, rcx, [2]string{"/fhir/CarePlan/jplan", `{"resourceType":"CarePlan","id":"jplan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R81A-JANE-PLAN","addresses":[{"reference":"Condition/bobcond"},{"reference":"Condition/diabetes"}]}`})
			nurse := e.token("district-nurse", "nhs", "RCX")
			for _, p := range []string{"/fhir/Condition/bobcond", "/fhir/CarePlan/bobplan"} {
				if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "R81A-BOB") {
					t.Fatalf("premise: %s released: %d", p, r.status)
				}
			}
			const bg = "EMERGENCY: collapsed at home, no history"
			for _, h := range [][]string{nil, {"X-Break-Glass", bg}} {
				for _, p := range []string{
					"/fhir/CarePlan?patient=jane&_include=CarePlan:condition",
					"/fhir/CarePlan?_id=jplan&_include=CarePlan:condition",
					"/fhir/Condition?patient=jane&_revinclude=CarePlan:condition",
					"/fhir/Condition?_id=diabetes&_revinclude=CarePlan:condition",
				} {
					r := e.do("GET", p, nurse, "", h...)
					if r.status != 200 {
						t.Logf("%s (bg %v) -> %d %.200s", p, h != nil, r.status, r.body)
						continue
					}
					k := r81aKeys(r81aParse(t, r))
					t.Logf("%s (bg %v) -> %v", p, h != nil, k)
					if strings.Contains(r.body, "R81A-BOB") || strings.Contains(r.body, "bobcond") {
						t.Errorf("LEAK: %s (break-glass %v) releases Bob's item: %v %.500s", p, h != nil, k, r.body)
					}
				}
			}
		})
	}
}

// TestReview81aSoundWithheldCountedOnce: a withheld observation (labelled
// HIV, GP's) that is both a match and the has-member target of a released
// panel is withheld, and counted once in the access log, with the include
// as without it; the panel's reference to it goes out masked.
func TestReview81aSoundWithheldCountedOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Observation/vl", `{"resourceType":"Observation","id":"vl","status":"final","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"R81A-VIRAL-LOAD"},"effectiveDateTime":"2025-05-01"}`},
		[2]string{"/fhir/Observation/panel", `{"resourceType":"Observation","id":"panel","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R81A-PANEL"},"effectiveDateTime":"2025-05-01","hasMember":[{"reference":"Observation/vl"}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	var w []int
	for _, p := range []string{"/fhir/Observation?patient=jane", "/fhir/Observation?patient=jane&_include=Observation:has-member", "/fhir/Observation?_id=panel&_include=Observation:has-member"} {
		r := e.do("GET", p, hosp, "")
		k := r81aKeys(r81aParse(t, r))
		x := r81aLast(e)
		t.Logf("%s -> %v withheld %d released %v", p, k, x.Withheld, x.Released)
		if strings.Contains(r.body, "R81A-VIRAL") || strings.Contains(r.body, "Observation/vl") || r81aCount(k, "Observation/panel match") != 1 {
			t.Errorf("%s: %v %.500s", p, k, r.body)
		}
		w = append(w, x.Withheld)
	}
	if w[0] != w[1] || w[2] != 1 {
		t.Errorf("withheld counts %v: want the include to add nothing, and 1 for the panel's include", w)
	}
}

// TestReview81aSoundIncludeFollowsCurrentVersion: the plan's first version
// addressed Jane's HIV diagnosis, its second her diabetes alone; a deleted
// target is not included. R4: _include follows the matches' references as
// returned.
func TestReview81aSoundIncludeFollowsCurrentVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/old", `{"resourceType":"Condition","id":"old","subject":{"reference":"Patient/jane"},"code":{"text":"R81A-OLD"}}`},
		[2]string{"/fhir/CarePlan/p", `{"resourceType":"CarePlan","id":"p","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv"},{"reference":"Condition/old"}]}`},
		[2]string{"/fhir/CarePlan/p", `{"resourceType":"CarePlan","id":"p","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/diabetes"},{"reference":"Condition/old"}]}`})
	if r := e.do("DELETE", "/fhir/Condition/old", gpSys, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	gp := e.token("gp", "nhs", "A81001")
	k := r81aKeys(r81aParse(t, e.do("GET", "/fhir/CarePlan?_id=p&_include=CarePlan:condition", gp, "")))
	if strings.Join(k, ",") != "CarePlan/p match,Condition/diabetes include" {
		t.Errorf("include: %v", k)
	}
	k = r81aKeys(r81aParse(t, e.do("GET", "/fhir/Condition?_id=hiv&_revinclude=CarePlan:condition", gp, "")))
	if strings.Join(k, ",") != "Condition/hiv match" {
		t.Errorf("revinclude: %v", k)
	}
}

// TestReview81aRestrictedRevincludeByGP: Margaret is restricted; her GP
// (Practitioner/dr-secret) is redacted outside her practice. The nurse's
// Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner must
// not bring her (README: a search that "includes by those elements —
// general-practitioner … — does not see the person").
func TestReview81aRestrictedRevincludeByGP(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{
		"/fhir/Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner",
		"/fhir/Practitioner?name=SECRET&_revinclude=Patient:general-practitioner",
		"/fhir/Practitioner?_id=dr-secret&_revinclude=Patient:general-practitioner:Practitioner",
	} {
		r := e.do("GET", p, nurse, "")
		k := r81aKeys(r81aParse(t, r))
		t.Logf("%s -> %v", p, k)
		if r81aCount(k, "Patient/marg") != 0 {
			t.Errorf("LEAK: %s names Margaret's GP: %v", p, k)
		}
	}
}

// TestReview81aLogOfIncludesInAuditEvent: in the real access log, the GP's
// search that revincludes Bob's plan (addressing Jane's diabetes) and
// includes Jane's Medication is found under Bob too, and lists the
// included items as released (README: "another person brought in by
// _include"; SPEC §6: "what was released").
func TestReview81aLogOfIncludesInAuditEvent(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	r81aSeedMeds(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/bob", strings.Replace(r81aBob, "Z99999", "A81001", 1)},
		[2]string{"/fhir/CarePlan/bobplan", `{"resourceType":"CarePlan","id":"bobplan","status":"active","intent":"plan","subject":{"reference":"Patient/bob"},"title":"R81A-BOB-PLAN","addresses":[{"reference":"Condition/diabetes"}]}`})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-81a" })
	k := r81aKeys(r81aParse(t, e.do("GET", "/fhir/Condition?patient=jane&_revinclude=CarePlan:condition", gp, "")))
	if r81aCount(k, "CarePlan/bobplan include") != 1 {
		t.Fatalf("premise: %v", k)
	}
	k = r81aKeys(r81aParse(t, e.do("GET", "/fhir/MedicationRequest?patient=jane&_include=MedicationRequest:medication", gp, "")))
	if r81aCount(k, "Medication/metformin include") != 1 {
		t.Fatalf("premise: %v", k)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent?patient=bob&_count=100", ig, "")
	if r.status != 200 || !strings.Contains(r.body, "CarePlan/bobplan") {
		t.Errorf("AuditEvent?patient=bob does not show the search that released Bob's plan through _revinclude: %d %.1500s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/AuditEvent?patient=jane&_count=100", ig, "")
	if r.status != 200 || !strings.Contains(r.body, "Medication/metformin") {
		t.Errorf("AuditEvent?patient=jane does not list the included Medication as released: %d", r.status)
	}
}

// TestReview81aBatchAndPostSearchIncludes: the same include through a
// batch GET entry and through POST _search withholds as the GET does.
func TestReview81aBatchAndPostSearchIncludes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CarePlan/both", `{"resourceType":"CarePlan","id":"both","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R81A-BOTH","addresses":[{"reference":"Condition/hiv"},{"reference":"Condition/diabetes"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"request":{"method":"GET","url":"CarePlan?patient=jane&_include=CarePlan:condition"}},
	 {"request":{"method":"GET","url":"Patient?_id=jane&_revinclude=Condition:subject"}},
	 {"request":{"method":"GET","url":"Condition?_id=diabetes&_revinclude=CarePlan:condition"}}]}`
	r := e.do("POST", "/fhir", nurse, batch)
	t.Logf("batch -> %d %.200s", r.status, r.body)
	if r.status != 200 || strings.Contains(r.body, "GP-HIV") || strings.Contains(r.body, "Condition/hiv") || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("batch: %d %.1500s", r.status, r.body)
	}
	e.rec.mu.Lock()
	var rel []string
	withheld := 0
	for _, x := range e.rec.xs {
		if x.Method == "GET" || x.Operation == "search" || x.Operation == "batch" {
			t.Logf("log: %s %s %s %s released %v withheld %d", x.RequestID, x.Operation, x.Type, x.Path, x.Released, x.Withheld)
		}
		if x.Principal != nil && x.Principal.Role == "district-nurse" {
			rel = append(rel, x.Released...)
			withheld += x.Withheld
		}
	}
	e.rec.mu.Unlock()
	if withheld < 1 || strings.Contains(strings.Join(rel, ","), "Condition/hiv") || !strings.Contains(strings.Join(rel, ","), "Condition/diabetes") {
		t.Errorf("batch log: released %v withheld %d", rel, withheld)
	}
	req := e.do("POST", "/fhir/CarePlan/_search", nurse, "")
	t.Logf("POST _search (empty) -> %d", req.status)
}

// TestReview81aNoteForeignAbsoluteReferenceIncluded (a NOTE, passes: README
// documents the choice, "Other types (an Organization, a Practitioner on
// the national directory) are read by type and id as before"): a care plan whose
// `addresses` names a Condition on another server by absolute URL
// (https://elsewhere.example/fhir/Condition/diabetes) does not address
// carex's Condition/diabetes: _include must not bring carex's item, nor
// _revinclude bring the plan from it (R4 §3.1.1.5.5: the include is the
// resource the reference resolves to). One naming carex's own base is
// carex's item.
func TestReview81aNoteForeignAbsoluteReferenceIncluded(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/CarePlan/foreign", `{"resourceType":"CarePlan","id":"foreign","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R81A-FOREIGN","addresses":[{"reference":"https://elsewhere.example/fhir/Condition/diabetes"}]}`},
		[2]string{"/fhir/CarePlan/own", `{"resourceType":"CarePlan","id":"own","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R81A-OWN","addresses":[{"reference":"` + e.base + `/fhir/Condition/diabetes"}]}`})
	gp := e.token("gp", "nhs", "A81001")
	k := r81aKeys(r81aParse(t, e.do("GET", "/fhir/CarePlan?_id=foreign&_include=CarePlan:condition", gp, "")))
	if strings.Join(k, ",") != "CarePlan/foreign match" {
		t.Logf("NOTE (documented): CarePlan naming another server's Condition/diabetes includes carex's: %v", k)
	}
	k = r81aKeys(r81aParse(t, e.do("GET", "/fhir/Condition?_id=diabetes&_revinclude=CarePlan:condition", gp, "")))
	if r81aCount(k, "CarePlan/foreign") != 0 {
		t.Logf("NOTE (documented): carex's Condition/diabetes revincludes a plan addressing another server's: %v", k)
	}
	k2 := r81aKeys(r81aParse(t, e.do("GET", "/fhir/CarePlan?_id=own&_include=CarePlan:condition", gp, "")))
	t.Logf("own base: %v; revinclude %v", k2, k)
}

// TestReview81aSoundNoticeIsOutcome: the confidential-items notice in an
// include search is an OperationOutcome entry with search.mode outcome,
// not counted in Bundle.total.
func TestReview81aSoundNoticeIsOutcome(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient?_id=jane&_revinclude=Condition:subject", nurse, "")
	b := r81aParse(t, r)
	found := false
	for _, en := range b.Entry {
		if rt, _ := en.Resource["resourceType"].(string); rt == "OperationOutcome" {
			found = true
			if en.Search.Mode != "outcome" {
				t.Errorf("notice mode %q", en.Search.Mode)
			}
		}
	}
	if !found || b.Total == nil || *b.Total != 1 {
		t.Errorf("notice %v total %v: %.600s", found, b.Total, r.body)
	}
}

// TestReview81aRestrictedCarerThroughInclude: Jane's carer recorded as a
// RelatedPerson carrying Margaret's (restricted) NHS number, named as a
// participant in Jane's encounter: included by Encounter:participant, it
// comes without address and phone, and raises the restricted-patient alert.
func TestReview81aRestrictedCarerThroughInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/RelatedPerson/carer", `{"resourceType":"RelatedPerson","id":"carer","patient":{"reference":"Patient/jane"},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"}]}`})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Encounter/visit", `{"resourceType":"Encounter","id":"visit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"period":{"start":"2025-04-01"},"participant":[{"individual":{"reference":"RelatedPerson/carer"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-81a-carer" })
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "nurse-81a-carer" })
	for _, p := range []string{"/fhir/Encounter?patient=jane&_include=Encounter:participant", "/fhir/Patient?_id=jane&_revinclude=RelatedPerson:patient"} {
		tok := nurse
		if strings.Contains(p, "Encounter") {
			tok = gp // the nurse's role does not see encounters
		}
		r := e.do("GET", p, tok, "")
		k := r81aKeys(r81aParse(t, r))
		t.Logf("%s -> %v", p, k)
		for _, s := range []string{"SECRET-ADDR", "LS9 7TF", "01134960999"} {
			if strings.Contains(r.body, s) {
				t.Errorf("LEAK: %s releases %q of a restricted carer", p, s)
			}
		}
		if r81aCount(k, "RelatedPerson/carer") == 1 && !e.accessLogged(t, "nurse-81a-carer", "restricted-patient") {
			t.Errorf("%s: no restricted-patient alert", p)
		}
	}
}

// TestReview81aSoundRevincludeAgreesWithSearch: for each user and type,
// what Patient?_id=jane&_revinclude=T:p releases is exactly what T?p=jane
// releases (SPEC §5: an included item is released only where the sharing
// decision allows it, like any other).
func TestReview81aSoundRevincludeAgreesWithSearch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil},
		[2]string{"/fhir/Flag/risk", `{"resourceType":"Flag","id":"risk","status":"active","subject":{"reference":"Patient/jane"},"code":{"text":"R81A-FLAG"}}`},
		[2]string{"/fhir/DocumentReference/letter", `{"resourceType":"DocumentReference","id":"letter","status":"current","subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"UjgxQQ=="}}]}`})
	users := map[string]string{
		"nurse":    e.token("district-nurse", "nhs", "RCX"),
		"social":   e.token("social-worker", "council", "E06000999"),
		"hospital": e.token("hospital-clinician", "nhs", "RHX"),
		"gp":       e.token("gp", "nhs", "A81001"),
	}
	for name, tok := range users {
		for _, tp := range [][2]string{{"Condition", "subject"}, {"Observation", "subject"}, {"CarePlan", "subject"}, {"EpisodeOfCare", "patient"},
			{"CareTeam", "subject"}, {"Encounter", "subject"}, {"Consent", "patient"}, {"Flag", "subject"}, {"DocumentReference", "subject"}} {
			direct := e.do("GET", "/fhir/"+tp[0]+"?"+tp[1]+"=Patient/jane&_count=100", tok, "")
			if direct.status != 200 {
				t.Logf("%s %s: direct %d", name, tp[0], direct.status)
				continue
			}
			var want []string
			for _, k := range r81aKeys(r81aParse(t, direct)) {
				want = append(want, strings.TrimSuffix(k, " match"))
			}
			rev := e.do("GET", "/fhir/Patient?_id=jane&_revinclude="+tp[0]+":"+tp[1], tok, "")
			var got []string
			rk := r81aKeys(r81aParse(t, rev))
			if r81aCount(rk, "Patient/jane match") == 0 {
				t.Logf("%s: Jane's Patient withheld, nothing to revinclude from (%s)", name, tp[0])
				continue
			}
			for _, k := range rk {
				if strings.HasSuffix(k, " include") {
					got = append(got, strings.TrimSuffix(k, " include"))
				}
			}
			if strings.Join(want, ",") != strings.Join(got, ",") {
				t.Errorf("%s %s: search releases %v, _revinclude %v", name, tp[0], want, got)
			}
		}
	}
}
