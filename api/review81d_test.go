package api_test

// Review 81d: search as a GP's and a district nurse's system uses it —
// FHIR R4 search semantics for the everyday queries, on a small hand-made
// record whose answers are known.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const r81dSN = "http://snomed.info/sct"

// r81dSeed: Zoë Müller (p81, NHS 9000000009), registered with A81001,
// a district-nursing care team (RCX), and her record.
func r81dSeed(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/p81", `{"resourceType":"Patient","id":"p81","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Müller","given":["Zoë"]}],"gender":"female","birthDate":"1960-05-10","communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"de"}]}}],"address":[{"use":"home","line":["1 High St"],"city":"Leeds","postalCode":"LS1 4AB"}],"telecom":[{"system":"phone","value":"07700900731"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Patient/q81", `{"resourceType":"Patient","id":"q81","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Muller","given":["Anna"]}],"gender":"female","birthDate":"1971-01-02","generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		// Observations: systolic BP 271649006
		[2]string{"/fhir/Observation/o-in", r81dObs("o-in", r81dSN, "271649006", `"effectiveDateTime":"2026-01-01T00:30:00Z"`)},
		[2]string{"/fhir/Observation/o-out", r81dObs("o-out", r81dSN, "271649006", `"effectiveDateTime":"2025-12-31T23:59:00Z"`)},
		[2]string{"/fhir/Observation/o-mar", r81dObs("o-mar", r81dSN, "271649006", `"effectiveDateTime":"2026-03-14"`)},
		[2]string{"/fhir/Observation/o-per", r81dObs("o-per", r81dSN, "271649006", `"effectivePeriod":{"start":"2025-12-20","end":"2026-01-05"}`)},
		[2]string{"/fhir/Observation/o-loinc", r81dObs("o-loinc", "http://loinc.org", "271649006", `"effectiveDateTime":"2026-02-01"`)},
		[2]string{"/fhir/Observation/o-nodate", r81dObs("o-nodate", r81dSN, "271649006", `"status":"final"`)},
		[2]string{"/fhir/Observation/o-mar2", r81dObs("o-mar2", r81dSN, "271649006", `"effectiveDateTime":"2026-03-14"`)},
		[2]string{"/fhir/Observation/o-dia", r81dObs("o-dia", r81dSN, "271650006", `"effectiveDateTime":"2026-02-10","valueQuantity":{"value":85,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}`)},
		[2]string{"/fhir/Observation/o-comp", r81dObs("o-comp", "http://loinc.org", "85354-9", `"effectiveInstant":"2026-02-11T10:00:00Z","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":150,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]`)},
		// Conditions
		[2]string{"/fhir/Condition/c-act", r81dCond("c-act", "active", "44054006")},
		[2]string{"/fhir/Condition/c-res", r81dCond("c-res", "resolved", "195967001")},
		[2]string{"/fhir/Condition/c-none", r81dCond("c-none", "", "38341003")},
		[2]string{"/fhir/Condition/c-age", `{"resourceType":"Condition","id":"c-age","subject":{"reference":"Patient/p81"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]},"onsetAge":{"value":50,"unit":"years","system":"http://unitsofmeasure.org","code":"a"},"abatementDateTime":"2025-01-01","stage":[{"summary":{"coding":[{"system":"http://snomed.info/sct","code":"14803004"}]}}],"severity":{"coding":[{"system":"http://snomed.info/sct","code":"24484000"}]}}`},
		// MedicationRequests
		[2]string{"/fhir/MedicationRequest/m-act", r81dMed("m-act", "active", "2026-01-10")},
		[2]string{"/fhir/MedicationRequest/m-stop", r81dMed("m-stop", "stopped", "2025-06-01")},
		[2]string{"/fhir/MedicationRequest/m-done", r81dMed("m-done", "completed", "2025-09-01")},
		// Allergies
		[2]string{"/fhir/AllergyIntolerance/a-pen", `{"resourceType":"AllergyIntolerance","id":"a-pen","patient":{"reference":"Patient/p81"},"code":{"coding":[{"system":"` + r81dSN + `","code":"91936005"}]},"recordedDate":"2019-04-01","lastOccurrence":"2024-05-01","criticality":"high","reaction":[{"onset":"2019-03-30","severity":"severe","manifestation":[{"coding":[{"system":"http://snomed.info/sct","code":"271807003"}]}]}]}`},
		// Encounters
		[2]string{"/fhir/Encounter/e-in", r81dEnc("e-in", `{"start":"2026-03-10T10:00:00Z","end":"2026-03-12T11:00:00Z"},"length":{"value":2,"unit":"days","system":"http://unitsofmeasure.org","code":"d"}`)},
		[2]string{"/fhir/Encounter/e-span", r81dEnc("e-span", `{"start":"2026-02-25","end":"2026-03-02"}`)},
		[2]string{"/fhir/Encounter/e-feb", r81dEnc("e-feb", `{"start":"2026-02-01","end":"2026-02-03"}`)},
		[2]string{"/fhir/Encounter/e-open", r81dEnc("e-open", `{"start":"2026-03-20"}`)},
		// Appointments
		[2]string{"/fhir/Appointment/ap-new", r81dAppt("ap-new", "2026-04-01T09:00:00Z")},
		[2]string{"/fhir/Appointment/ap-old", r81dAppt("ap-old", "2025-12-01T09:00:00Z")},
	)
	e.putAll(t, trust,
		[2]string{"/fhir/CareTeam/nursing81", `{"resourceType":"CareTeam","id":"nursing81","status":"active","subject":{"reference":"Patient/p81"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/AllergyIntolerance/a-latex", `{"resourceType":"AllergyIntolerance","id":"a-latex","patient":{"reference":"Patient/p81"},"code":{"coding":[{"system":"` + r81dSN + `","code":"300916003"}]},"recordedDate":"2026-02-01"}`},
	)
	return e
}

func r81dObs(id, sys, code, extra string) string {
	s := `{"resourceType":"Observation","id":"` + id + `","subject":{"reference":"Patient/p81"},"code":{"coding":[{"system":"` + sys + `","code":"` + code + `"}]}`
	if !strings.Contains(extra, `"status"`) {
		s += `,"status":"final"`
	}
	return s + `,` + extra + `}`
}

func r81dCond(id, status, code string) string {
	s := `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/p81"},"code":{"coding":[{"system":"` + r81dSN + `","code":"` + code + `"}]}`
	if status != "" {
		s += `,"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"` + status + `"}]}`
	}
	return s + `}`
}

func r81dMed(id, status, authored string) string {
	return `{"resourceType":"MedicationRequest","id":"` + id + `","status":"` + status + `","intent":"order","subject":{"reference":"Patient/p81"},"medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"322236009"}]},"authoredOn":"` + authored + `","dosageInstruction":[{"timing":{"event":["` + authored + `T08:00:00Z"]}}]}`
}

func r81dEnc(id, period string) string {
	return `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},"subject":{"reference":"Patient/p81"},"period":` + period + `}`
}

func r81dAppt(id, start string) string {
	return `{"resourceType":"Appointment","id":"` + id + `","status":"booked","start":"` + start + `","end":"` + strings.Replace(start, "09:00", "09:15", 1) + `","participant":[{"actor":{"reference":"Patient/p81"},"status":"accepted"},{"actor":{"reference":"Organization/RCX"},"status":"accepted"}]}`
}

type r81dBundle = bundlePage

// r81dIDs runs a search and gives the ids of its matches in order, and total.
func (e *env) r81dIDs(t *testing.T, path, tok string, hdr ...string) (int, []string, int, r81dBundle, string) {
	t.Helper()
	r := e.do("GET", path, tok, "", hdr...)
	var b r81dBundle
	var ids []string
	if r.status == 200 {
		if err := json.Unmarshal([]byte(r.body), &b); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, en := range b.Entry {
			if en.Search.Mode == "" || en.Search.Mode == "match" {
				if en.Resource.ResourceType != "OperationOutcome" {
					ids = append(ids, en.Resource.ID)
				}
			}
		}
	}
	tot := -1
	if b.Total != nil {
		tot = *b.Total
	}
	return r.status, ids, tot, b, r.body
}

// r81dWalk follows next links from path, gathering match ids, and checks
// each page's total and the previous links.
func (e *env) r81dWalk(t *testing.T, path, tok string) (ids []string, totals []int, pages int) {
	t.Helper()
	for p := path; p != "" && pages < 50; pages++ {
		st, got, tot, b, body := e.r81dIDs(t, p, tok)
		if st != 200 {
			t.Fatalf("%s: %d %.300s", p, st, body)
		}
		ids = append(ids, got...)
		totals = append(totals, tot)
		p = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				u, _ := url.Parse(l.URL)
				p = u.RequestURI()
			}
		}
	}
	return
}

const r81dHIV = `{"resourceType":"Condition","id":"c-hiv","subject":{"reference":"Patient/p81"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"onsetDateTime":"2026-02-01","recordedDate":"2026-02-02"}`

func r81dCheck(t *testing.T, e *env, tok string, cases [][3]string) {
	t.Helper()
	for _, c := range cases {
		st, ids, tot, _, body := e.r81dIDs(t, c[0], tok)
		want := []string{}
		if c[1] != "" {
			want = strings.Split(c[1], " ")
		}
		if st != 200 {
			t.Errorf("%s: %d %.300s", c[0], st, body)
			continue
		}
		got := slices.Clone(ids)
		if c[2] != "ordered" {
			slices.Sort(got)
			slices.Sort(want)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || tot != len(want) && !strings.Contains(c[0], "_count=") {
			t.Errorf("%s: got %v total %d, want %v", c[0], ids, tot, want)
		}
	}
}

// TestReview81dSoundGPEverydayQueries: the GP's everyday queries on a
// hand-made record answer what R4 says: token system|code, |code,
// system|, :not, :missing; date prefixes at a boundary (00:30 on 1 January
// in, 23:59 on 31 December out), a period overlapping for ge/gt/le but not
// eq (R4: eq = the search range contains the target's), an open period;
// comma OR, repeated AND; _sort by date with no-date last descending and
// first ascending (README), ties in stored order; patient=, Patient/,
// subject:Patient=; names without accents or case; NHS number with spaces.
func TestReview81dSoundGPEverydayQueries(t *testing.T) {
	e := r81dSeed(t)
	gp := e.token("gp", "nhs", "A81001")
	r81dCheck(t, e, gp, [][3]string{
		{"/fhir/Observation?patient=p81&code=http://snomed.info/sct|271649006&date=ge2026-01-01&_sort=-date", "o-mar o-mar2 o-per o-in", "ordered"},
		{"/fhir/Observation?patient=p81&code=http://snomed.info/sct|271649006&_sort=-date", "o-mar o-mar2 o-per o-in o-out o-nodate", "ordered"},
		{"/fhir/Observation?patient=p81&code=http://snomed.info/sct|271649006&_sort=date", "o-nodate o-per o-out o-in o-mar o-mar2", "ordered"},
		{"/fhir/Observation?patient=p81&code=|271649006", "", ""},
		{"/fhir/Observation?patient=p81&code=http://loinc.org|", "o-loinc o-comp", ""},
		{"/fhir/Observation?patient=p81&code:not=http://snomed.info/sct|271649006", "o-loinc o-dia o-comp", ""},
		{"/fhir/Observation?patient=p81&date=lt2026-01-01", "o-out o-per", ""},
		{"/fhir/Observation?patient=p81&date=gt2026-01-01", "o-mar o-per o-loinc o-mar2 o-dia o-comp", ""},
		{"/fhir/Observation?patient=p81&date=2026-03", "o-mar o-mar2", ""},
		{"/fhir/Observation?patient=p81&date=sa2025-12-31", "o-in o-mar o-loinc o-mar2 o-dia o-comp", ""},
		{"/fhir/Observation?patient=p81&date=eb2026-01-01", "o-out", ""},
		{"/fhir/Observation?patient=p81&date:missing=true", "o-nodate", ""},
		{"/fhir/Observation?patient=p81&date=ge2026-01-01&date=lt2026-03-01", "o-in o-per o-loinc o-dia o-comp", ""},
		{"/fhir/Observation?patient=p81&code=271649006,271650006&date=2026-02", "o-loinc o-dia", ""},
		{"/fhir/Observation?subject:Patient=p81&date=2026-02", "o-loinc o-dia o-comp", ""},
		{"/fhir/Observation?subject=Patient/p81&date=2026-02", "o-loinc o-dia o-comp", ""},
		{"/fhir/Observation?patient=Patient/p81&date=2026-02", "o-loinc o-dia o-comp", ""},
		{"/fhir/Condition?patient=p81&clinical-status=active", "c-act", ""},
		{"/fhir/Condition?patient=p81&clinical-status:missing=true", "c-none c-age", ""},
		{"/fhir/MedicationRequest?patient=p81&status=active", "m-act", ""},
		{"/fhir/MedicationRequest?patient=p81&status=active,completed", "m-act m-done", ""},
		{"/fhir/MedicationRequest?patient=p81&status=active&status=completed", "", ""},
		{"/fhir/Encounter?patient=p81&date=2026-03", "e-in", ""},
		{"/fhir/Encounter?patient=p81&date=ge2026-03-01", "e-in e-span e-open", ""},
		{"/fhir/Encounter?patient=p81&date=le2026-02-28", "e-span e-feb", ""},
		{"/fhir/AllergyIntolerance?patient=p81", "a-pen a-latex", ""},
		{"/fhir/Appointment?patient=p81&date=ge2026-01-01", "ap-new", ""},
		{"/fhir/Appointment?actor=Patient/p81&date=ge2026-01-01", "ap-new", ""},
		{"/fhir/Patient?family=muller&birthdate=1960-05-10", "p81", ""},
		{"/fhir/Patient?family=MÜLLER", "p81 q81", ""},
		{"/fhir/Patient?name=zoe", "p81", ""},
		{"/fhir/Patient?name=zo%CC%88", "p81", ""},
		{"/fhir/Patient?given:exact=zoe", "p81", ""},
		{"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "p81", ""},
		{"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|900%20000%200009", "p81", ""},
	})
}

// TestReview81dSoundWithheldNeitherCountedSortedNorPaged: the nurse's
// searches of a record holding a labelled diagnosis (HIV, the GP's) never
// count it, match it, sort it or leave a hole in a page; the GP's do.
func TestReview81dSoundWithheldNeitherCountedSortedNorPaged(t *testing.T) {
	e := r81dSeed(t)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Condition/c-hiv", r81dHIV})
	nurse := e.token("district-nurse", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	for _, q := range []string{"/fhir/Condition?patient=p81&_count=1", "/fhir/Condition?patient=p81&_count=1&_sort=-onset-date", "/fhir/Condition?patient=p81&_count=2&_sort=-recorded-date"} {
		ids, totals, _ := e.r81dWalk(t, q, nurse)
		if slices.Contains(ids, "c-hiv") || len(ids) != 4 {
			t.Errorf("nurse %s: %v", q, ids)
		}
		for _, n := range totals {
			if n != 4 {
				t.Errorf("nurse %s: totals %v, want 4 on every page", q, totals)
				break
			}
		}
		gids, _, _ := e.r81dWalk(t, q, gp)
		if len(gids) != 5 {
			t.Errorf("gp %s: %v", q, gids)
		}
	}
	r81dCheck(t, e, nurse, [][3]string{
		{"/fhir/Condition?patient=p81&code=86406008", "", ""},
		{"/fhir/Condition?patient=p81&onset-date:missing=false", "", ""},
		{"/fhir/Condition?patient=p81&clinical-status=active", "c-act", ""},
	})
	if _, _, tot, _, _ := e.r81dIDs(t, "/fhir/Condition?patient=p81&_summary=count", nurse); tot != 4 {
		t.Errorf("nurse _summary=count: %d, want 4", tot)
	}
}

// TestReview81dSoundPagingAgreesWithTotal: following next links with
// _count=3 over nine observations gives each once, in the sorted order,
// with total 9 on every page.
func TestReview81dSoundPagingAgreesWithTotal(t *testing.T) {
	e := r81dSeed(t)
	gp := e.token("gp", "nhs", "A81001")
	ids, totals, pages := e.r81dWalk(t, "/fhir/Observation?patient=p81&_count=3&_sort=-date", gp)
	want := "[o-mar o-mar2 o-comp o-dia o-loinc o-per o-in o-out o-nodate]"
	if fmt.Sprint(ids) != want || pages != 3 || fmt.Sprint(totals) != "[9 9 9]" {
		t.Errorf("got %v in %d pages, totals %v; want %s", ids, pages, totals, want)
	}
}

// TestReview81dSoundUnsupportedRefused: what carex does not support is a
// 400, never silently ignored (README "Search. Strict"), with or without
// Prefer: handling=strict.
func TestReview81dSoundUnsupportedRefused(t *testing.T) {
	e := r81dSeed(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, q := range []string{
		"/fhir/Patient?family=muller&_text=foo", "/fhir/Patient?family=muller&_content=foo", "/fhir/Patient?_filter=foo",
		"/fhir/Patient?family:text=foo", "/fhir/Patient?phonetic=muler", "/fhir/Observation?patient=p81&code:text=blood",
		"/fhir/Observation?patient=p81&code:in=http://x", "/fhir/Observation?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009",
		"/fhir/Observation?patient=p81&date=2026-13", "/fhir/Observation?patient.name=zoe", "/fhir/Patient?_has:Observation:patient:code=1",
	} {
		for _, h := range [][]string{nil, {"Prefer", "handling=strict"}, {"Prefer", "handling=lenient"}} {
			if r := e.do("GET", q, gp, "", h...); r.status != 400 || !strings.Contains(r.body, "OperationOutcome") {
				t.Errorf("%s %v: %d %.200s", q, h, r.status, r.body)
			}
		}
	}
}

// TestReview81dSoundCapabilityParamsWork: parameters the CapabilityStatement
// lists, beyond the everyday ones, each found by one value.
func TestReview81dSoundCapabilityParamsWork(t *testing.T) {
	e := r81dSeed(t)
	gp := e.token("gp", "nhs", "A81001")
	cs := e.do("GET", "/fhir/metadata", "", "").body
	for _, p := range []string{`"combo-value-quantity"`, `"onset-age"`, `"manifestation"`, `"length"`, `"address-use"`, `"last-date"`, `"stage"`, `"part-status"`} {
		if !strings.Contains(cs, p) {
			t.Errorf("metadata does not list %s", p)
		}
	}
	r81dCheck(t, e, gp, [][3]string{
		{"/fhir/Observation?patient=p81&combo-value-quantity=150", "o-comp", ""},
		{"/fhir/Observation?patient=p81&value-quantity=gt80|http://unitsofmeasure.org|mm[Hg]", "o-dia", ""},
		{"/fhir/Condition?patient=p81&onset-age=50||a", "c-age", ""},
		{"/fhir/Condition?patient=p81&stage=14803004", "c-age", ""},
		{"/fhir/AllergyIntolerance?patient=p81&manifestation=271807003", "a-pen", ""},
		{"/fhir/AllergyIntolerance?patient=p81&last-date=2024", "a-pen", ""},
		{"/fhir/Encounter?patient=p81&length=2|http://unitsofmeasure.org|d", "e-in", ""},
		{"/fhir/Patient?address-use=home", "p81", ""},
		{"/fhir/Patient?language=de", "p81", ""},
		{"/fhir/Appointment?patient=p81&part-status=accepted", "ap-new ap-old", ""},
		{"/fhir/MedicationRequest?patient=p81&date=2026-01-10", "m-act", ""},
	})
}

// TestReview81dRepeatedResultParameterSilentlyDropped: a search given
// _count, _offset or _summary twice answers by the last and drops the
// first without a word (a client paging with _count=1&_count=5 gets five,
// one whose framework appends _summary=count to a query holding
// _summary=data gets entries). README "Search. Strict: … never silently
// ignored", and the same README row for $everything: "any parameter given
// twice (_type, _count and _offset too …) is a 400 (review 51b)". R4 gives
// these result parameters one value; a server that cannot honour two
// should refuse, not pick one. Severity: low (a wrong page size or shape;
// nothing withheld is released — the sharing decision runs after).
func TestReview81dRepeatedResultParameterSilentlyDropped(t *testing.T) {
	e := r81dSeed(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, q := range []string{
		"/fhir/Observation?patient=p81&_count=1&_count=5",
		"/fhir/Observation?patient=p81&_count=2&_offset=0&_offset=4",
		"/fhir/Observation?patient=p81&_summary=count&_summary=data",
	} {
		st, ids, tot, _, body := e.r81dIDs(t, q, gp)
		if st != 400 {
			t.Errorf("%s: %d (total %d, %d entries), want 400 naming the repeated parameter: %.150s", q, st, tot, len(ids), body)
		}
	}
	// control: $everything refuses the same (README, review 51b)
	if r := e.do("GET", "/fhir/Patient/p81/$everything?_count=1&_count=5", gp, ""); r.status != 400 {
		t.Errorf("$everything _count twice: %d", r.status)
	}
}
