package api_test

// Review 5d (branch review-5d, api/review5d_test.go): the findings on
// e34d36c's named-people fix, copied as the reviewer wrote them (their
// helpers janeOptsOut and bobAtZ are in review5d_test.go), and tests of
// the fixes.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestReview5dStoredBundleEntriesNamingSomeoneOutsideTheCompartment: fix
// e34d36c makes an item that names a person by Device.patient,
// Observation.focus or NHS number that person's (search.NamedPeople). A
// stored Bundle (README: "a stored Bundle — a document, a collection a feed
// keeps — belongs to everyone its entries belong to") takes its people
// from search.PatientCompartment of each entry, which knows none of that:
// a hospital feed's collection holding an item of Bob's (by reference) and
// Jane's pacemaker (Device.patient) and diagnosis (by NHS number) is Bob's
// alone. Jane has opted out; Bob's GP, who has no relationship with her,
// reads her pacemaker and her diagnosis, NHS number and all.
func TestReview5dStoredBundleEntriesNamingSomeoneOutsideTheCompartment(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	janeOptsOut(t, e)
	bobAtZ(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Bundle/feed", `{"resourceType":"Bundle","id":"feed","type":"collection","entry":[
	 {"resource":{"resourceType":"Condition","id":"b1","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-ITEM"}}},
	 {"resource":{"resourceType":"Device","id":"d1","patient":{"reference":"Patient/jane"},"deviceName":[{"name":"JANE-PACEMAKER-IN-BUNDLE","type":"user-friendly-name"}]}},
	 {"resource":{"resourceType":"Condition","id":"j1","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"code":{"text":"JANE-DIAGNOSIS-BY-NHS-IN-BUNDLE"}}}]}`})
	bobsGP := e.token("gp", "nhs", "Z99999")
	r := e.do("GET", "/fhir/Bundle/feed", bobsGP, "")
	for _, s := range []string{"JANE-PACEMAKER-IN-BUNDLE", "JANE-DIAGNOSIS-BY-NHS-IN-BUNDLE"} {
		if strings.Contains(r.body, s) {
			t.Errorf("Jane opted out, yet Bob's GP (no relationship with her) reads %s in a stored Bundle: %d %.400s", s, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/bob/$everything", bobsGP, ""); strings.Contains(r.body, "JANE-DIAGNOSIS-BY-NHS-IN-BUNDLE") {
		t.Errorf("Jane's diagnosis arrives in Bob's $everything: %.300s", r.body)
	}
}

// TestReview5dConditionalReferenceOutsideATransaction: a direct create or
// update stores a conditional reference (Patient?identifier=nhs-number|N)
// verbatim — it is resolved only inside a transaction — and
// search.NamedPeople takes it for no one: a hospital item naming Jane so is
// decided by role class alone (seesOutsideCompartments), the gap e34d36c
// closed for subject.identifier. Jane has opted out; a GP with no
// relationship and the council's social worker read the diagnosis.
func TestReview5dConditionalReferenceOutsideATransaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	janeOptsOut(t, e)
	hosp := e.token("system", "nhs", "RHX")
	r := e.do("PUT", "/fhir/Condition/condref", hosp, `{"resourceType":"Condition","id":"condref","subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"},"code":{"text":"HOSP-CONDREF-DIAGNOSIS"}}`)
	if r.status >= 400 {
		return // refused: nothing stored, nothing to leak
	}
	for _, c := range []struct{ who, tok string }{{"a GP with no relationship", e.token("gp", "nhs", "Z99999")}, {"the council's social worker", e.token("social-worker", "council", "E06000999")}} {
		if r := e.do("GET", "/fhir/Condition/condref", c.tok, ""); r.status == 200 || strings.Contains(r.body, "HOSP-CONDREF-DIAGNOSIS") {
			t.Errorf("Jane opted out, yet %s reads the hospital's diagnosis naming her by a conditional reference: %d %.300s", c.who, r.status, r.body)
		}
	}
}

// TestReview5dSubjectNamedByOtherIdentifierOrDisplay: e34d36c keeps with its
// source an item whose compartment element names a person carex cannot
// tell — "a reference of type Patient by another identifier (a hospital
// number)" — but only when the reference says type Patient. The same
// reference without type (FHIR makes it optional), or a subject given by
// display alone, names no one, and the item is released by role class to
// everyone: the GP with no relationship and the social worker read a
// hospital diagnosis whose subject is a hospital number / "Jane Smith,
// NHS 943 476 5919". A Condition's subject is always a person (or a
// group); it is unidentified, not no one's.
func TestReview5dSubjectNamedByOtherIdentifierOrDisplay(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Condition/mrn", `{"resourceType":"Condition","id":"mrn","subject":{"identifier":{"system":"https://rhx.example/Id/mrn","value":"RHX123456"}},"code":{"text":"HOSP-BY-HOSPITAL-NUMBER"}}`},
		[2]string{"/fhir/Condition/display", `{"resourceType":"Condition","id":"display","subject":{"display":"Jane Smith, NHS 943 476 5919"},"code":{"text":"HOSP-BY-DISPLAY"}}`},
	)
	for _, c := range []struct{ who, tok string }{{"a GP with no relationship", e.token("gp", "nhs", "Z99999")}, {"the council's social worker", e.token("social-worker", "council", "E06000999")}} {
		for _, p := range []string{"/fhir/Condition/mrn", "/fhir/Condition/display"} {
			if r := e.do("GET", p, c.tok, ""); r.status == 200 {
				t.Errorf("%s reads %s, a hospital diagnosis of a person carex cannot identify (it should stay with its source, as for type Patient): %d %.200s", c.who, p, r.status, r.body)
			}
		}
	}
}

// TestReview5dDuplicatePatientCapturesItemsNamedByNHSNumber: a person named
// by NHS number is "the one current Patient carrying that number"
// (resolvePeople), whoever recorded that Patient. Any organisation's system
// can write a Patient carrying a number before the person's GP record
// arrives: every item another organisation then names by that number joins
// that Patient, whose source is the writer (a relationship), and its users
// read the hospital's diagnosis — the item e34d36c keeps with its source
// ("an unresolved number keeps a marker that only the source sees").
// carex relabel does the same to items already stored. (A conditional
// reference Patient?identifier= resolves only among Patients the writer
// sees; this does not.)
func TestReview5dDuplicatePatientCapturesItemsNamedByNHSNumber(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const nhs = "4010232137" // the person is not in carex yet
	hosp := e.token("system", "nhs", "RHX")
	item := `{"resourceType":"Condition","id":"early","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},"code":{"text":"HOSP-EARLY-DIAGNOSIS"}}`
	e.putAll(t, hosp, [2]string{"/fhir/Condition/early", item})
	z := e.token("system", "nhs", "Z99999")
	e.putAll(t, z, [2]string{"/fhir/Patient/claimed", `{"resourceType":"Patient","id":"claimed","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Claimed"}]}`})
	e.putAll(t, hosp, [2]string{"/fhir/Condition/late", strings.NewReplacer(`"early"`, `"late"`, "HOSP-EARLY", "HOSP-LATE").Replace(item)})
	zgp := e.token("gp", "nhs", "Z99999")
	if r := e.do("GET", "/fhir/Condition/late", zgp, ""); r.status == 200 {
		t.Errorf("an organisation that wrote a Patient carrying the number reads the hospital's diagnosis written after: %d %.200s", r.status, r.body)
	}
	if _, err := e.api.Relabel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/fhir/Patient/claimed/$everything", zgp, ""); strings.Contains(r.body, "HOSP-EARLY-DIAGNOSIS") {
		t.Errorf("after relabel, the diagnosis written before the Patient is in its $everything for the organisation that wrote it: %.300s", r.body)
	}
}

// TestReview5dSourceUnderBreakGlassLosesItsUnresolvedItem: e34d36c says an
// unresolved number "keeps a marker that only the source organisation sees
// (with or without break-glass)". gate.ownData is skipped under
// break-glass, and gate.decide then withholds any item with a marker: the
// hospital clinician who reads her trust's diagnosis (200) gets 404 for it
// once she sends X-Break-Glass in an emergency. (Not a leak: the source
// losing its own data when it needs it most.)
func TestReview5dSourceUnderBreakGlassLosesItsUnresolvedItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Condition/unres", `{"resourceType":"Condition","id":"unres","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}},"code":{"text":"HOSP-UNRESOLVED"}}`})
	clin := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/unres", clin, ""); r.status != 200 {
		t.Fatalf("without break-glass: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/unres", clin, "", "X-Break-Glass", "EMERGENCY: unconscious on arrival"); r.status != 200 {
		t.Errorf("with break-glass the source loses its own item: %d %.200s", r.status, r.body)
	}
}

// TestReview5dProvenanceOfAPersonsItemIsNoOnes: e34d36c makes an item
// that names its person outside the compartment theirs, but only by a
// Patient reference or an NHS number. A Provenance names its person
// through the item it is about (target: Condition/diabetes, Jane's): it is
// in no one's compartment, decided by role class alone, and a GP and a
// hospital clinician with no relationship read the provenance of Jane's GP
// diagnosis — who recorded it, when, and its reason text — although she
// has opted out (the target reference is masked; the rest is not).
func TestReview5dProvenanceOfAPersonsItemIsNoOnes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	janeOptsOut(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Provenance/prov", `{"resourceType":"Provenance","id":"prov","target":[{"reference":"Condition/diabetes"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"display":"Dr Adams, Riverside Surgery"}}],"reason":[{"text":"PROV-REASON diabetes review"}]}`})
	for _, c := range []struct{ who, tok string }{{"a GP with no relationship", e.token("gp", "nhs", "Z99999")}, {"a hospital clinician with no relationship", e.token("hospital-clinician", "nhs", "RYY")}} {
		if r := e.do("GET", "/fhir/Provenance/prov", c.tok, ""); r.status == 200 {
			t.Errorf("Jane opted out, yet %s reads the provenance of her GP diagnosis: %.200s", c.who, r.body)
		}
	}
}

// A conditional reference outside a transaction is refused (400, saying
// to send a transaction), by create, update, conditional update and a
// batch entry alike; inside a transaction it is resolved, as before.
func TestConditionalReferenceOnlyInATransaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001") // Jane's GP, who sees her
	body := `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"},"code":{"text":"X"}}`
	for _, c := range []struct{ method, path string }{{"PUT", "/fhir/Condition/c1"}, {"POST", "/fhir/Condition"}, {"PUT", "/fhir/Condition?identifier=x|1"}} {
		if r := e.do(c.method, c.path, gp, body); r.status != 400 || !strings.Contains(r.body, "transaction") {
			t.Errorf("%s %s: %d %.300s", c.method, c.path, r.status, r.body)
		}
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + body + `,"request":{"method":"PUT","url":"Condition/c1"}}]}`
	if r := e.do("POST", "/fhir", gp, batch); !strings.Contains(r.body, `"status":"400`) {
		t.Errorf("batch: %d %.400s", r.status, r.body)
	}
	tx := strings.Replace(batch, `"batch"`, `"transaction"`, 1)
	if r := e.do("POST", "/fhir", gp, tx); r.status != 200 {
		t.Fatalf("transaction: %d %.400s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/c1", gp, ""); !strings.Contains(r.body, `"Patient/jane"`) {
		t.Errorf("the transaction resolved the reference to Jane: %d %.300s", r.status, r.body)
	}
}

// A Patient another organisation recorded for someone the writer has
// nothing to do with does not capture the writer's item, nor stop the
// record of the person the writer cares for from being them, at write and
// at relabel.
func TestNHSNumberResolvesToTheRegistrationRecordNotADuplicate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const nhs = "4010232137"
	hosp := e.token("system", "nhs", "RHX")
	item := `{"resourceType":"Condition","id":"early","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},"code":{"text":"HOSP-EARLY"}}`
	e.putAll(t, hosp, [2]string{"/fhir/Condition/early", item})
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Patient/claimed", `{"resourceType":"Patient","id":"claimed","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}]}`})
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/real", `{"resourceType":"Patient","id":"real","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	// The hospital takes the person into its care: the relationship is what
	// makes the record its to trust (a Patient's own say that its writer is
	// the GP is not, review 5e).
	e.putAll(t, hosp, [2]string{"/fhir/CareTeam/real-ward", `{"resourceType":"CareTeam","id":"real-ward","status":"active","subject":{"reference":"Patient/real"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
	e.putAll(t, hosp, [2]string{"/fhir/Condition/late", strings.NewReplacer(`"early"`, `"late"`, "HOSP-EARLY", "HOSP-LATE").Replace(item)})
	if _, err := e.api.Relabel(context.Background()); err != nil {
		t.Fatal(err)
	}
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Patient/real/$everything", gp, "")
	for _, s := range []string{"HOSP-EARLY", "HOSP-LATE"} {
		if !strings.Contains(r.body, s) {
			t.Errorf("the registration record's $everything lacks %s: %.300s", s, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/claimed/$everything", e.token("gp", "nhs", "Z99999"), ""); strings.Contains(r.body, "HOSP-") {
		t.Errorf("the duplicate captured the hospital's items: %.300s", r.body)
	}
}

// An item naming Jane and someone carex could not identify: its source
// reads it with or without break-glass, and $explain says so.
func TestSourceKeepsItsPartlyUnresolvedItemUnderBreakGlass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/List/ward", `{"resourceType":"List","id":"ward","status":"current","mode":"working","entry":[{"item":{"reference":"Patient/jane"}},{"item":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}}}],"title":"HOSP-WARD-LIST"}`})
	clin := e.token("hospital-clinician", "nhs", "RHX")
	for _, bg := range []string{"", "EMERGENCY: unconscious on arrival"} {
		var h []string
		q := "/fhir/Patient/jane/$explain?role=hospital-clinician&org=RHX&sector=nhs"
		if bg != "" {
			h = []string{"X-Break-Glass", bg}
			q += "&break-glass=EMERGENCY:%20unconscious%20on%20arrival"
		}
		if r := e.do("GET", "/fhir/List/ward", clin, "", h...); r.status != 200 {
			t.Errorf("break-glass %q: the source reads its own list: %d %.200s", bg, r.status, r.body)
		}
		r := e.do("GET", q, e.token("ig-officer", "nhs", "A81001"), "")
		var out struct {
			Parameter []struct {
				Name string `json:"name"`
				Part []struct {
					Name           string         `json:"name"`
					ValueCode      string         `json:"valueCode"`
					ValueReference map[string]any `json:"valueReference"`
				} `json:"part"`
			} `json:"parameter"`
		}
		json.Unmarshal([]byte(r.body), &out)
		found := false
		for _, p := range out.Parameter {
			if p.Name != "item" || len(p.Part) == 0 || p.Part[0].ValueReference["reference"] != "List/ward" {
				continue
			}
			found = true
			for _, pp := range p.Part {
				if pp.Name == "effect" && pp.ValueCode != "permit" {
					t.Errorf("break-glass %q: $explain says %s: %.400s", bg, pp.ValueCode, r.body)
				}
			}
		}
		if !found {
			t.Errorf("break-glass %q: $explain does not list the ward list: %d %.600s", bg, r.status, r.body)
		}
	}
}

// A Provenance is the people's of the items it targets: in her record for
// those who may open it, as written in one transaction with its target;
// one whose target is not stored, or another organisation's item the
// writer may not see, stays with its source; one about directory data is
// no one's.
func TestProvenanceIsItsTargetsPeoples(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	prov := func(id, target string) string {
		return `{"resourceType":"Provenance","id":"` + id + `","target":[{"reference":"` + target + `"}],"recorded":"2025-01-01T00:00:00Z","agent":[{"who":{"display":"Dr Adams"}}],"reason":[{"text":"PROV-` + id + `"}]}`
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Provenance/p1", prov("p1", "Condition/diabetes")}, [2]string{"/fhir/Provenance/p2", prov("p2", "Condition/nowhere")}, [2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside"}`}, [2]string{"/fhir/Provenance/p3", prov("p3", "Organization/A81001")})
	// The hospital's client system may not see the GP's diagnosis.
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Provenance/p4", prov("p4", "Condition/diabetes")})
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:6f1e1a4e-1f0b-4c3e-9a51-1c1d2b3e4f50","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"GP-TX"}},"request":{"method":"POST","url":"Condition"}},
	 {"resource":` + prov("p5", "urn:uuid:6f1e1a4e-1f0b-4c3e-9a51-1c1d2b3e4f50") + `,"request":{"method":"PUT","url":"Provenance/p5"}}]}`
	if r := e.do("POST", "/fhir", gpSys, tx); r.status != 200 {
		t.Fatalf("transaction: %d %.300s", r.status, r.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	for _, s := range []string{"PROV-p1", "PROV-p5"} {
		if !strings.Contains(r.body, s) {
			t.Errorf("Jane's GP: her $everything lacks %s: %.300s", s, r.body)
		}
	}
	stranger := e.token("gp", "nhs", "Z99999")
	for _, c := range []struct {
		path string
		want int
	}{{"/fhir/Provenance/p1", 404}, {"/fhir/Provenance/p2", 404}, {"/fhir/Provenance/p3", 200}, {"/fhir/Provenance/p4", 404}, {"/fhir/Provenance/p5", 404}} {
		if r := e.do("GET", c.path, stranger, ""); r.status != c.want {
			t.Errorf("a GP with no relationship, %s: %d, want %d", c.path, r.status, c.want)
		}
	}
	if r := e.do("GET", "/fhir/Provenance/p2", gp, ""); r.status != 200 {
		t.Errorf("its source reads the provenance of an item not stored: %d", r.status)
	}
}
