package api_test

// Items that name their person outside the patient compartment — by NHS
// number alone, by a contained Patient, or by an element the R4 compartment
// leaves out (Device.patient, Observation.focus…) — are that person's:
// decided under their sharing decision and joined to their record
// (api/named.go, search.NamedPeople).

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const (
	hospByNHS = `{"resourceType":"Condition","id":"by-nhs","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}},
	 "code":{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}],"text":"HOSP-BY-NHS-NUMBER"}}`
	hospDevice = `{"resourceType":"Device","id":"pacemaker","patient":{"reference":"Patient/jane"},"deviceName":[{"name":"HOSP-PACEMAKER","type":"user-friendly-name"}]}`
)

// Without an objection, Jane's registered GP gets the hospital's items that
// name her by NHS number or as a Device's patient in her $everything and by
// patient=, the reference to her released as it is to anyone who may open
// her record; a GP with no relationship gets none of them.
func TestNamedByNHSNumberJoinsTheRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Condition/by-nhs", hospByNHS}, [2]string{"/fhir/Device/pacemaker", hospDevice})
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	for _, s := range []string{"HOSP-BY-NHS-NUMBER", "HOSP-PACEMAKER", "GP-DIABETES"} {
		if !strings.Contains(r.body, s) {
			t.Errorf("Jane's GP: her $everything lacks %s: %.300s", s, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", gp, ""); !strings.Contains(r.body, "HOSP-BY-NHS-NUMBER") {
		t.Errorf("Condition?patient=jane for her GP lacks the diagnosis naming her by NHS number: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Device?patient=jane", gp, ""); !strings.Contains(r.body, "HOSP-PACEMAKER") {
		t.Errorf("Device?patient=jane for her GP: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Device/pacemaker", gp, ""); r.status != 200 || !strings.Contains(r.body, `"reference":"Patient/jane"`) {
		t.Errorf("her GP reads the Device, its patient unmasked: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient?_id=jane&_revinclude=Device:patient", gp, ""); !strings.Contains(r.body, "HOSP-PACEMAKER") {
		t.Errorf("_revinclude=Device:patient for her GP: %.300s", r.body)
	}
	stranger := e.token("gp", "nhs", "Z99999")
	for _, p := range []string{"/fhir/Condition/by-nhs", "/fhir/Device/pacemaker"} {
		if r := e.do("GET", p, stranger, ""); r.status != 404 {
			t.Errorf("a GP with no relationship to Jane reads %s: %d %.200s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Device?patient=jane", stranger, ""); r.status != 403 {
		t.Errorf("Device?patient=jane for a GP with no relationship: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Organization?_id=RHX&_revinclude=Device:owner", stranger, ""); strings.Contains(r.body, "HOSP-PACEMAKER") {
		t.Errorf("_revinclude brings in Jane's Device: %.300s", r.body)
	}
}

// A person named by an NHS number no Patient carries is someone carex does
// not know: their item stays with its source organisation (no release by
// role class), even once their Patient arrives, until `carex relabel`
// resolves it; then it follows their decision and joins their record.
func TestNamedByUnknownNHSNumberFailsClosedUntilRelabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const nhs = "4010232137" // valid; no Patient carries it yet
	hosp := e.token("system", "nhs", "RHX")
	item := `{"resourceType":"Condition","id":"unknown","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}],"text":"HOSP-UNKNOWN-PERSON"}}`
	contained := `{"resourceType":"Observation","id":"unknown-c","status":"final","contained":[{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}]}],
	 "subject":{"reference":"#p"},"code":{"text":"HOSP-UNKNOWN-CONTAINED"}}`
	e.putAll(t, hosp, [2]string{"/fhir/Condition/unknown", item}, [2]string{"/fhir/Observation/unknown-c", contained})
	gp := e.token("gp", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	ig := e.token("ig-officer", "nhs", "A81001")
	clin := e.token("hospital-clinician", "nhs", "RHX")
	withheld := func(when string) {
		t.Helper()
		for _, tok := range []string{gp, sw, ig} {
			for _, p := range []string{"/fhir/Condition/unknown", "/fhir/Observation/unknown-c"} {
				if r := e.do("GET", p, tok, ""); r.status != 404 {
					t.Errorf("%s: %s released to another organisation: %d %.200s", when, p, r.status, r.body)
				}
			}
			if r := e.do("GET", "/fhir/Condition?code=http://snomed.info/sct|38341003", tok, ""); strings.Contains(r.body, "HOSP-UNKNOWN") {
				t.Errorf("%s: found by search: %.200s", when, r.body)
			}
		}
		// Its source still reads what it wrote, and may change it.
		for _, tok := range []string{hosp, clin} {
			if r := e.do("GET", "/fhir/Condition/unknown", tok, ""); r.status != 200 {
				t.Errorf("%s: the source organisation reads its own item: %d %.200s", when, r.status, r.body)
			}
		}
	}
	withheld("unknown person")
	if r := e.do("PUT", "/fhir/Condition/unknown", hosp, strings.Replace(item, "HOSP-UNKNOWN-PERSON", "HOSP-UNKNOWN-PERSON-2", 1)); r.status != 200 {
		t.Fatalf("the source updates its item: %d %s", r.status, r.body)
	}
	// The person arrives, registered with the GP practice.
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/newcomer", `{"resourceType":"Patient","id":"newcomer","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"New"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	// The hospital takes them into its care: an NHS number alone does not
	// tie its items to a Patient another organisation wrote (review 5e: a
	// practice naming itself as GP on someone's number captured them).
	e.putAll(t, hosp, [2]string{"/fhir/CareTeam/newcomer-ward", `{"resourceType":"CareTeam","id":"newcomer-ward","status":"active","subject":{"reference":"Patient/newcomer"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	withheld("the person arrived, not relabelled")
	if _, err := e.api.Relabel(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/fhir/Condition/unknown", "/fhir/Observation/unknown-c"} {
		if r := e.do("GET", p, gp, ""); r.status != 200 {
			t.Errorf("after relabel, the person's GP reads %s: %d %.200s", p, r.status, r.body)
		}
		if r := e.do("GET", p, sw, ""); r.status != 404 {
			t.Errorf("after relabel, a social worker with no relationship reads %s: %d", p, r.status)
		}
	}
	if r := e.do("GET", "/fhir/Patient/newcomer/$everything", gp, ""); !strings.Contains(r.body, "HOSP-UNKNOWN-PERSON-2") || !strings.Contains(r.body, "HOSP-UNKNOWN-CONTAINED") {
		t.Errorf("after relabel, the items are not in the person's $everything: %.300s", r.body)
	}
	// A new item naming them by number is theirs as it is written.
	e.putAll(t, hosp, [2]string{"/fhir/Condition/known", strings.NewReplacer(`"unknown"`, `"known"`, "HOSP-UNKNOWN-PERSON", "HOSP-NOW-KNOWN").Replace(item)})
	if r := e.do("GET", "/fhir/Patient/newcomer/$everything", gp, ""); !strings.Contains(r.body, "HOSP-NOW-KNOWN") {
		t.Errorf("an item written once the person is known is not in their $everything: %.300s", r.body)
	}
}

// A feed's transaction that brings a new person and their items naming
// them by NHS number joins the items to the Patient it writes.
func TestNamedByNHSNumberInTheSameTransaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const nhs = "4010232137"
	bundle := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Feed"}],"generalPractitioner":[{"reference":"Organization/A81001"}]},"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}],"text":"FEED-BY-NHS"}},"request":{"method":"POST","url":"Condition"}}]}`
	r := e.do("POST", "/fhir", e.token("system", "nhs", "RHX"), bundle)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	s := e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhs, gp, "")
	i := strings.Index(s.body, `"resourceType":"Patient"`)
	j := strings.Index(s.body[i:], `"id":"`)
	if i < 0 || j < 0 {
		t.Fatalf("the new person: %.300s", s.body)
	}
	id := s.body[i+j+6:]
	id = id[:strings.IndexByte(id, '"')]
	if r := e.do("GET", "/fhir/Patient/"+id+"/$everything", gp, ""); !strings.Contains(r.body, "FEED-BY-NHS") {
		t.Errorf("the item is not in the new person's $everything: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Condition?code=http://snomed.info/sct|38341003", e.token("social-worker", "council", "E06000999"), ""); r.status != 200 || strings.Contains(r.body, "FEED-BY-NHS") {
		t.Errorf("released by role class: %.300s", r.body)
	}
}

// Two Patients carrying one NHS number: the item names neither for sure,
// and stays with its source.
func TestNamedByAmbiguousNHSNumberFailsClosed(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/jane-dup", `{"resourceType":"Patient","id":"jane-dup","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	hosp := e.token("system", "nhs", "RHX")
	// Both carriers are the hospital's to trust (it has a relationship with
	// each), so the number cannot tell them apart.
	e.putAll(t, hosp, [2]string{"/fhir/CareTeam/dup-ward", `{"resourceType":"CareTeam","id":"dup-ward","status":"active","subject":{"reference":"Patient/jane-dup"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	e.putAll(t, hosp, [2]string{"/fhir/Condition/by-nhs", hospByNHS})
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/by-nhs", gp, ""); r.status != 404 {
		t.Errorf("an item naming an NHS number two Patients carry is released: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/by-nhs", hosp, ""); r.status != 200 {
		t.Errorf("its source: %d", r.status)
	}
}

// A person named by neither a reference nor an NHS number (a contained
// Patient with a name only, a Patient by hospital number) cannot be told:
// the item stays with its source.
func TestNamedUnidentifiedPersonStaysWithSource(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Condition/by-name", `{"resourceType":"Condition","id":"by-name","contained":[{"resourceType":"Patient","id":"p","name":[{"family":"Smith","given":["Jane"]}],"birthDate":"1950-03-04"}],
		 "subject":{"reference":"#p"},"code":{"text":"HOSP-BY-NAME"}}`},
		[2]string{"/fhir/Condition/by-mrn", `{"resourceType":"Condition","id":"by-mrn","subject":{"type":"Patient","identifier":{"system":"https://rhx.example/mrn","value":"RHX123"}},"code":{"text":"HOSP-BY-MRN"}}`},
		[2]string{"/fhir/Device/by-name", `{"resourceType":"Device","id":"by-name","contained":[{"resourceType":"Patient","id":"p","name":[{"family":"Smith"}]}],"patient":{"reference":"#p"},"deviceName":[{"name":"HOSP-DEVICE-BY-NAME","type":"user-friendly-name"}]}`},
		// Jane's, and about someone carex does not know (a baby not yet registered).
		[2]string{"/fhir/Observation/also-unknown", `{"resourceType":"Observation","id":"also-unknown","status":"final","subject":{"reference":"Patient/jane"},"focus":[{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}}],"code":{"text":"HOSP-ALSO-UNKNOWN"}}`})
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("social-worker", "council", "E06000999")} {
		for _, p := range []string{"/fhir/Condition/by-name", "/fhir/Condition/by-mrn", "/fhir/Device/by-name", "/fhir/Observation/also-unknown"} {
			if r := e.do("GET", p, tok, ""); r.status != 404 {
				t.Errorf("%s released to another organisation: %d %.200s", p, r.status, r.body)
			}
		}
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "A81001"), ""); strings.Contains(r.body, "HOSP-ALSO-UNKNOWN") {
		t.Errorf("Jane's GP gets an item about her and someone carex does not know: %.300s", r.body)
	}
	for _, p := range []string{"/fhir/Condition/by-name", "/fhir/Condition/by-mrn", "/fhir/Device/by-name", "/fhir/Observation/also-unknown"} {
		if r := e.do("GET", p, e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
			t.Errorf("%s: its source: %d", p, r.status)
		}
	}
}

// The access log names the person an item names by NHS number, when its
// source reads it, and when another organisation's read is refused.
func TestNamedByNHSNumberLogged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Condition/by-nhs", hospByNHS},
		[2]string{"/fhir/Condition/unknown", `{"resourceType":"Condition","id":"unknown","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}},"code":{"text":"X"}}`})
	for _, tok := range []string{
		e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "named-log-own" }),
		e.token("gp", "nhs", "Z99999", func(c *auth.DevClaims) { c.Sub = "named-log-stranger" }),
	} {
		e.do("GET", "/fhir/Condition/by-nhs", tok, "")
	}
	e.do("GET", "/fhir/Condition/unknown", e.token("hospital-clinician", "nhs", "RHX"), "")
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	found := 0
	for _, x := range e.rec.xs {
		if strings.HasPrefix(x.Patient, "nhs|") || slices.ContainsFunc(x.Patients, func(p string) bool { return strings.HasPrefix(p, "nhs|") }) {
			t.Errorf("%s %s/%s: the entry names %q %v (a marker, not a person)", x.Operation, x.Type, x.ID, x.Patient, x.Patients)
		}
		if x.Principal != nil && strings.HasPrefix(x.Principal.Sub, "named-log-") && x.Operation == "read" {
			found++
			if x.Patient != "jane" && !slices.Contains(x.Patients, "jane") {
				t.Errorf("%s: the entry names %q %v, not Jane", x.Principal.Sub, x.Patient, x.Patients)
			}
		}
	}
	if found != 2 {
		t.Errorf("%d entries", found)
	}
}

// Under break-glass a condition on a type with no compartment must name the
// person too: a Device (or a ward list) is decided under its person's, and
// the lookup would open whoever matched first.
func TestBreakGlassConditionOnDeviceNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Device/pacemaker", hospDevice})
	clin := e.token("hospital-clinician", "nhs", "RZZ")
	body := `{"resourceType":"Device","deviceName":[{"name":"RZZ-DEVICE","type":"user-friendly-name"}]}`
	r := e.do("POST", "/fhir/Device", clin, body, "If-None-Exist", "deviceName=HOSP-PACEMAKER", "X-Break-Glass", bgHeader)
	if r.status != 400 {
		t.Errorf("a break-glass condition on Device naming no one: %d %.300s", r.status, r.body)
	}
}

// BenchmarkCreateByNHSNumber: BenchmarkCreate with the subject given by NHS
// number alone, which the write resolves inside its transaction (a Patient
// search) and which commits alone, not in a group commit.
func BenchmarkCreateByNHSNumber(b *testing.B) {
	e, tok := benchEnv(b)
	seedPatients(b, e, e.token("system", "nhs", "A81001"), 2)
	c := newClient()
	body := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhsNumber(1) + `"}},"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if s := post(b, c, e.base+"/fhir/Observation", tok, body); s != 201 {
				b.Fatalf("status %d", s)
			}
		}
	})
}
