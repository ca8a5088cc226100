package api_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/consent"
)

// Review 61c: time — Consent period/dataPeriod, item dates, clocks.

// r61cDenyJune2015ToHospital is Jane's GP-recorded objection: her records
// of June 2015 are not shared with the hospital (RHX).
func r61cDenyJune2015ToHospital() [2]string {
	return [2]string{"/fhir/Consent/c61c", janeConsent("c61c", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","dataPeriod":{"start":"2015-06-01","end":"2015-06-30"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`)}
}

func r61cSnip(body, at string) string {
	i := strings.Index(body, at)
	if i < 0 {
		if len(body) > 300 {
			return body[:300]
		}
		return body
	}
	lo, hi := max(0, i-160), min(len(body), i+120)
	return body[lo:hi]
}

// r61cCheckWithheld asserts that the hospital sees none of the markers, by
// $everything and by each item's read.
func r61cCheckWithheld(t *testing.T, e *env, items map[string]string) {
	t.Helper()
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	if r.status != 200 {
		t.Fatalf("$everything: %d %s", r.status, r.body)
	}
	for path, marker := range items {
		if strings.Contains(r.body, marker) {
			t.Errorf("$everything released %s (%s) to the hospital under Jane's deny of her June 2015 records: %s", path, marker, r61cSnip(r.body, marker))
		}
		if rr := e.do("GET", path, hosp, ""); rr.status == 200 || strings.Contains(rr.body, marker) {
			t.Errorf("GET %s: %d released to the hospital under the deny of June 2015: %s", path, rr.status, r61cSnip(rr.body, marker))
		}
	}
}

// TestReview61cAllergyOnsetJune2015RecordedLater: an allergy that began in
// June 2015 (onsetDateTime, or its reaction's onset) and was entered in 2024
// is data of June 2015, as a diagnosis with an onset is (Condition.onset is
// preferred to recordedDate) and a letter about 2015 scanned in 2024 is
// (review 9c). Jane's deny of her June 2015 records must cover it.
func TestReview61cAllergyOnsetJune2015RecordedLater(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/AllergyIntolerance/a-onset", `{"resourceType":"AllergyIntolerance","id":"a-onset","patient":{"reference":"Patient/jane"},"code":{"text":"GP-ALLERGY-ONSET-JUNE-2015"},"onsetDateTime":"2015-06-10","recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/AllergyIntolerance/a-reaction", `{"resourceType":"AllergyIntolerance","id":"a-reaction","patient":{"reference":"Patient/jane"},"code":{"text":"GP-ALLERGY-REACTION-JUNE-2015"},"recordedDate":"2024-02-02","reaction":[{"manifestation":[{"text":"anaphylaxis"}],"onset":"2015-06-10T14:00:00+01:00"}]}`},
		r61cDenyJune2015ToHospital(),
	)
	r61cCheckWithheld(t, e, map[string]string{
		"/fhir/AllergyIntolerance/a-onset":    "GP-ALLERGY-ONSET-JUNE-2015",
		"/fhir/AllergyIntolerance/a-reaction": "GP-ALLERGY-REACTION-JUNE-2015",
	})
}

// TestReview61cConditionOnsetNotADateJudgedByRecordedDate: a diagnosis
// whose onset is given as a string ("June 2015"), an age or a range — not a
// dateTime — and which was entered in 2024 may be data of June 2015: the
// engine fails closed for an item whose date it cannot tell (README: "an
// item with no clinical date may be of that period, so a deny's covers it").
// carex falls back to recordedDate and releases it.
func TestReview61cConditionOnsetNotADateJudgedByRecordedDate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/on-string", `{"resourceType":"Condition","id":"on-string","subject":{"reference":"Patient/jane"},"code":{"text":"GP-ONSET-STRING-JUNE-2015"},"onsetString":"June 2015","recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/Condition/on-age", `{"resourceType":"Condition","id":"on-age","subject":{"reference":"Patient/jane"},"code":{"text":"GP-ONSET-AGE"},"onsetAge":{"value":65,"unit":"a","system":"http://unitsofmeasure.org","code":"a"},"recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/Condition/on-range", `{"resourceType":"Condition","id":"on-range","subject":{"reference":"Patient/jane"},"code":{"text":"GP-ONSET-RANGE"},"onsetRange":{"low":{"value":64,"unit":"a","system":"http://unitsofmeasure.org","code":"a"},"high":{"value":66,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}},"recordedDate":"2024-02-02"}`},
		r61cDenyJune2015ToHospital(),
	)
	r61cCheckWithheld(t, e, map[string]string{
		"/fhir/Condition/on-string": "GP-ONSET-STRING-JUNE-2015",
		"/fhir/Condition/on-age":    "GP-ONSET-AGE",
		"/fhir/Condition/on-range":  "GP-ONSET-RANGE",
	})
}

// TestReview61cPrescriptionAuthoredJune2015JudgedByDosageEvent: a
// prescription written on 10 June 2015 (authoredOn) whose dosage timing
// names a dose in 2016 is judged by the dose alone ("date" before
// "authoredon"), and released under the deny of June 2015.
func TestReview61cPrescriptionAuthoredJune2015JudgedByDosageEvent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/MedicationRequest/rx2015", `{"resourceType":"MedicationRequest","id":"rx2015","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"medicationCodeableConcept":{"text":"GP-RX-AUTHORED-JUNE-2015"},"authoredOn":"2015-06-10","dosageInstruction":[{"timing":{"event":["2016-01-05T09:00:00Z"]}}]}`},
		r61cDenyJune2015ToHospital(),
	)
	r61cCheckWithheld(t, e, map[string]string{"/fhir/MedicationRequest/rx2015": "GP-RX-AUTHORED-JUNE-2015"})
}

// TestReview61cSoundOtherItemDatesUnderDataPeriod: items dated by an
// element carex reads (onsetPeriod, effective, issued, occurrence), or
// carrying only dates it does not read (an administration's
// effectiveDateTime, a procedure's performedString, an immunisation's
// occurrenceString), are withheld under the deny of June 2015.
func TestReview61cSoundOtherItemDatesUnderDataPeriod(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/on-period", `{"resourceType":"Condition","id":"on-period","subject":{"reference":"Patient/jane"},"code":{"text":"GP-ONSET-PERIOD"},"onsetPeriod":{"start":"2015-05-20","end":"2015-06-02"},"recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/Observation/eff-minus5", `{"resourceType":"Observation","id":"eff-minus5","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS-MINUS5"},"effectiveDateTime":"2015-05-31T20:30:00-05:00"}`},
		[2]string{"/fhir/Observation/eff-bst", `{"resourceType":"Observation","id":"eff-bst","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS-BST-MIDNIGHT"},"effectiveDateTime":"2015-06-01T00:15:00+01:00"}`},
		[2]string{"/fhir/Observation/issued-only", `{"resourceType":"Observation","id":"issued-only","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS-ISSUED-ONLY"},"issued":"2015-06-15T10:00:00Z"}`},
		[2]string{"/fhir/DiagnosticReport/dr", `{"resourceType":"DiagnosticReport","id":"dr","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DR-EFFECTIVE-JUNE"},"effectivePeriod":{"start":"2015-06-29T23:30:00Z"},"issued":"2024-01-01T10:00:00Z"}`},
		[2]string{"/fhir/MedicationAdministration/ma", `{"resourceType":"MedicationAdministration","id":"ma","status":"completed","subject":{"reference":"Patient/jane"},"medicationCodeableConcept":{"text":"GP-MA-JUNE-2015"},"effectiveDateTime":"2015-06-10T10:00:00Z"}`},
		[2]string{"/fhir/Procedure/pr", `{"resourceType":"Procedure","id":"pr","status":"completed","subject":{"reference":"Patient/jane"},"code":{"text":"GP-PROC-STRING"},"performedString":"June 2015"}`},
		[2]string{"/fhir/Immunization/imm", `{"resourceType":"Immunization","id":"imm","status":"completed","patient":{"reference":"Patient/jane"},"vaccineCode":{"text":"GP-IMM-STRING"},"occurrenceString":"June 2015","recorded":"2024-02-02"}`},
	)
	// Control: before the deny, the hospital reads each of them.
	for _, p := range []string{"/fhir/Condition/on-period", "/fhir/Observation/eff-minus5", "/fhir/Observation/eff-bst", "/fhir/Observation/issued-only",
		"/fhir/DiagnosticReport/dr", "/fhir/MedicationAdministration/ma", "/fhir/Procedure/pr", "/fhir/Immunization/imm"} {
		if r := e.do("GET", p, e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
			t.Fatalf("control: GET %s before the deny: %d", p, r.status)
		}
	}
	e.putAll(t, gpSys, r61cDenyJune2015ToHospital())
	r61cCheckWithheld(t, e, map[string]string{
		"/fhir/Condition/on-period":         "GP-ONSET-PERIOD",
		"/fhir/Observation/eff-minus5":      "GP-OBS-MINUS5",
		"/fhir/Observation/eff-bst":         "GP-OBS-BST-MIDNIGHT",
		"/fhir/Observation/issued-only":     "GP-OBS-ISSUED-ONLY",
		"/fhir/DiagnosticReport/dr":         "GP-DR-EFFECTIVE-JUNE",
		"/fhir/MedicationAdministration/ma": "GP-MA-JUNE-2015",
		"/fhir/Procedure/pr":                "GP-PROC-STRING",
		"/fhir/Immunization/imm":            "GP-IMM-STRING",
	})
	// Items just outside June 2015 in England stay released.
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/out-bst", `{"resourceType":"Observation","id":"out-bst","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS-JULY-BST"},"effectiveDateTime":"2015-06-30T23:30:00Z"}`},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Observation/out-bst", hosp, ""); r.status != 200 {
		t.Errorf("an observation at 00:30 BST on 1 July 2015 was withheld: %d %s", r.status, r61cSnip(r.body, ""))
	}
}

// TestReview61cSoundDateSearchDoesNotCountWithheld: a date search by the
// hospital over June 2015 neither lists nor counts the withheld items.
func TestReview61cSoundDateSearchDoesNotCountWithheld(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/o1", `{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS-JUNE"},"effectiveDateTime":"2015-06-10T10:00:00+01:00"}`},
		[2]string{"/fhir/Condition/c1", `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"text":"GP-COND-JUNE"},"onsetDateTime":"2015-06-10"}`},
		r61cDenyJune2015ToHospital(),
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	// want: the total the hospital may see (seedShared's HbA1c of 2025 is
	// the one observation it sees; -1: not checked).
	for p, want := range map[string]int{
		"/fhir/Observation?patient=jane&date=2015-06":                                         0,
		"/fhir/Observation?patient=jane&date=ge2015-06-01T00:00:00%2B01:00&date=lt2015-07-01": 0,
		"/fhir/Observation?patient=jane&date=ap2015-06-10":                                    0,
		"/fhir/Observation?patient=jane&date=sa2015-05-31":                                    1,
		"/fhir/Observation?patient=jane&date=eb2015-07-01":                                    0,
		"/fhir/Observation?patient=jane&date=2015&_summary=count":                             0,
		"/fhir/Observation?patient=jane&_lastUpdated=gt2000-01-01&_summary=count":             1,
		"/fhir/Observation?patient=jane&_lastUpdated=ge2000&_count=1":                         1,
		"/fhir/Condition?patient=jane&onset-date=2015-06-10":                                  0,
		"/fhir/Condition?patient=jane&onset-date=le2015-06-30&_summary=count":                 0,
		"/fhir/Condition?patient=jane&_lastUpdated=ge2000&_count=1":                           -1,
	} {
		r := e.do("GET", p, hosp, "")
		if r.status >= 500 {
			t.Errorf("GET %s: %d", p, r.status)
			continue
		}
		for _, m := range []string{"GP-OBS-JUNE", "GP-COND-JUNE", `"id":"o1"`, `"id":"c1"`} {
			if strings.Contains(r.body, m) {
				t.Errorf("GET %s: %d released %s: %s", p, r.status, m, r61cSnip(r.body, m))
			}
		}
		if want >= 0 && r.status == 200 && !strings.Contains(r.body, `"total":`+strconv.Itoa(want)+`,`) {
			t.Errorf("GET %s: want total %d (the withheld item not counted): %s", p, want, r61cSnip(r.body, `"total"`))
		}
	}
}

// TestReview61cSoundConsentPeriodEndsAtTheEndOfItsDay: a deny ending
// today (England's date) is in force now, one ending yesterday is not; a
// period written with offsets holds the instant it names.
func TestReview61cSoundConsentPeriodEndsAtTheEndOfItsDay(t *testing.T) {
	now := time.Now().In(consent.England())
	today := now.Format("2006-01-02")
	yesterday := now.AddDate(0, 0, -1).Format("2006-01-02")
	minus5 := time.FixedZone("", -5*3600)
	plus1 := time.FixedZone("", 3600)
	cases := []struct {
		name, period string
		inForce      bool
	}{
		{"ends today", `{"start":"2026-01-01","end":"` + today + `"}`, true},
		{"ends this year", `{"end":"` + now.Format("2006") + `"}`, true},
		{"ends this month", `{"end":"` + now.Format("2006-01") + `"}`, true},
		{"ends yesterday", `{"start":"2026-01-01","end":"` + yesterday + `"}`, false},
		{"ends in an hour, -05:00", `{"end":"` + now.Add(time.Hour).In(minus5).Format(time.RFC3339) + `"}`, true},
		{"ended an hour ago, +01:00", `{"end":"` + now.Add(-time.Hour).In(plus1).Format(time.RFC3339) + `"}`, false},
		{"starts in an hour, Z", `{"start":"` + now.Add(time.Hour).UTC().Format(time.RFC3339) + `"}`, false},
		{"started a minute ago, -05:00", `{"start":"` + now.Add(-time.Minute).In(minus5).Format(time.RFC3339) + `"}`, true},
		{"starts tomorrow", `{"start":"` + now.AddDate(0, 0, 1).Format("2006-01-02") + `"}`, false},
		{"started today", `{"start":"` + today + `"}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/p", gpSys, janeConsent("p", "2026-01-10", "OPTIN",
				`,"provision":{"type":"deny","period":`+c.period+`,"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`))
			if r.status != 200 && r.status != 201 {
				t.Fatalf("consent: %d %s", r.status, r61cSnip(r.body, ""))
			}
			hosp := e.token("hospital-clinician", "nhs", "RHX")
			rr := e.do("GET", "/fhir/Condition/diabetes", hosp, "")
			if c.inForce && rr.status == 200 {
				t.Errorf("deny with period %s not applied at %s: %d", c.period, now.Format(time.RFC3339), rr.status)
			}
			if !c.inForce && rr.status != 200 {
				t.Errorf("deny with period %s applied at %s: %d", c.period, now.Format(time.RFC3339), rr.status)
			}
		})
	}
}

// TestReview61cSoundConsentPeriodForms: unreadable or inverted periods are
// refused (422 or 400) and store nothing; a leap second and the forms R4
// allows are accepted.
func TestReview61cSoundConsentPeriodForms(t *testing.T) {
	bad := map[string]string{
		"end before start":        `"period":{"start":"2026-06-02","end":"2026-06-01"}`,
		"24:00":                   `"period":{"end":"2026-12-06T24:00:00Z"}`,
		"no zone":                 `"period":{"end":"2026-12-06T23:00:00"}`,
		"no seconds":              `"period":{"end":"2026-12-06T23:00Z"}`,
		"dataPeriod inverted":     `"dataPeriod":{"start":"2015-07","end":"2015-06"}`,
		"dataPeriod same instant": `"dataPeriod":{"start":"2015-06-01T00:00:00Z","end":"2015-05-31T23:59:59Z"}`,
		"lower-case z":            `"period":{"end":"2026-12-06T23:00:00z"}`,
		"30 February":             `"dataPeriod":{"start":"2015-02-30"}`,
		"offset +24:00":           `"period":{"end":"2026-12-06T10:00:00+24:00"}`,
	}
	for name, p := range bad {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/p", gpSys, janeConsent("p", "2026-01-10", "OPTIN",
				`,"provision":{"type":"deny",`+p+`}`))
			if r.status != 400 && r.status != 422 {
				t.Errorf("%s: %d %s", p, r.status, r61cSnip(r.body, ""))
			}
			if rr := e.do("GET", "/fhir/Consent/p", gpSys, ""); rr.status == 200 {
				t.Errorf("%s: stored", p)
			}
		})
	}
	good := map[string]string{
		"leap second end": `"dataPeriod":{"start":"2016-12-31T23:59:59Z","end":"2016-12-31T23:59:60Z"}`,
		"year":            `"dataPeriod":{"start":"2015","end":"2015"}`,
		"month":           `"dataPeriod":{"start":"2015-06","end":"2015-06"}`,
		"fractional":      `"dataPeriod":{"start":"2015-06-01T00:00:00.5+01:00","end":"2015-06-30T23:59:59.999-05:00"}`,
	}
	for name, p := range good {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			r := e.do("PUT", "/fhir/Consent/p", gpSys, janeConsent("p", "2026-01-10", "OPTIN",
				`,"provision":{"type":"deny",`+p+`}`))
			if r.status != 200 && r.status != 201 {
				t.Errorf("%s refused: %d %s", p, r.status, r61cSnip(r.body, ""))
			}
		})
	}
}

// TestReview61cPermitOf2024ReleasesAllergyOf2015: Jane has opted out,
// except that her records of 2024 may go to the hospital. An allergy that
// began in June 2015 but was entered in 2024, and a diagnosis whose onset
// is "June 2015" (a string) entered in 2024, are released by the 2024
// permit, which releases only what its period holds whole (README). The
// control, an allergy that began and was entered in 2024, is released.
func TestReview61cPermitOf2024ReleasesAllergyOf2015(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/AllergyIntolerance/a2015", `{"resourceType":"AllergyIntolerance","id":"a2015","patient":{"reference":"Patient/jane"},"code":{"text":"GP-ALLERGY-ONSET-2015"},"onsetDateTime":"2015-06-10","recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/Condition/s2015", `{"resourceType":"Condition","id":"s2015","subject":{"reference":"Patient/jane"},"code":{"text":"GP-COND-ONSET-STRING-2015"},"onsetString":"June 2015","recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/AllergyIntolerance/a2024", `{"resourceType":"AllergyIntolerance","id":"a2024","patient":{"reference":"Patient/jane"},"code":{"text":"GP-ALLERGY-2024"},"onsetDateTime":"2024-01-10","recordedDate":"2024-02-02"}`},
		[2]string{"/fhir/Consent/c61c", janeConsent("c61c", "2026-01-10", "OPTOUT",
			`,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"start":"2024-01-01","end":"2024-12-31"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}]}`)},
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/AllergyIntolerance/a2024", hosp, ""); r.status != 200 {
		t.Fatalf("control: the 2024 allergy under the 2024 permit: %d %s", r.status, r61cSnip(r.body, ""))
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	for path, m := range map[string]string{"/fhir/AllergyIntolerance/a2015": "GP-ALLERGY-ONSET-2015", "/fhir/Condition/s2015": "GP-COND-ONSET-STRING-2015"} {
		if strings.Contains(r.body, m) {
			t.Errorf("$everything released %s under a permit of 2024 only: %s", m, r61cSnip(r.body, m))
		}
		if rr := e.do("GET", path, hosp, ""); rr.status == 200 {
			t.Errorf("GET %s: 200 under a permit of 2024 only: %s", path, r61cSnip(rr.body, m))
		}
	}
}

// TestReview61cSoundDateOnlyConsentDateTimeIsAnEnglishDay: Jane's GP
// records, in this order, an unrestricted permit dated "2026-06-06" and
// then her objection to the council timed 2026-06-05T23:30:00Z (00:30 on 6
// June in England). The permit's date cannot be ordered against the
// objection (both on 6 June in England), so the one recorded last — the
// objection — decides. Read as a UTC day, the permit would be the newer and
// lift the objection.
func TestReview61cSoundDateOnlyConsentDateTimeIsAnEnglishDay(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Consent/permit", janeConsent("permit", "2026-06-06", "OPTIN", "")},
		[2]string{"/fhir/Consent/deny", janeConsent("deny", "2026-06-05T23:30:00Z", "OPTIN",
			`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}]}`)},
	)
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status == 200 {
		t.Errorf("the objection recorded at 00:30 BST on 6 June was lifted by a permit dated 6 June recorded before it: %d %s", r.status, r61cSnip(r.body, "GP-DIABETES"))
	}
}

// TestReview61cSoundNestedPermitPeriod: under Jane's deny to the hospital,
// a nested permit whose period ended yesterday releases nothing; one
// ending today (England's date) releases.
func TestReview61cSoundNestedPermitPeriod(t *testing.T) {
	now := time.Now().In(consent.England())
	for _, c := range []struct {
		end      string
		released bool
	}{{now.AddDate(0, 0, -1).Format("2006-01-02"), false}, {now.Format("2006-01-02"), true}} {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		rhx := `"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]`
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/n", janeConsent("n", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny",`+rhx+`,"provision":[{"type":"permit","period":{"start":"2026-01-01","end":"`+c.end+`"},`+rhx+`}]}`)})
		hosp := e.token("hospital-clinician", "nhs", "RHX")
		r := e.do("GET", "/fhir/Condition/diabetes", hosp, "")
		if (r.status == 200) != c.released {
			t.Errorf("nested permit ending %s at %s: %d, want released %v", c.end, now.Format(time.RFC3339), r.status, c.released)
		}
	}
}

// TestReview61cSoundNoticeDoesNotFollowDates: the confidential-items
// notice is the same whatever dates a search or $everything asks for, so
// it does not tell the date of the withheld item (June 2015).
func TestReview61cSoundNoticeDoesNotFollowDates(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Observation/o1", `{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS-JUNE"},"effectiveDateTime":"2015-06-10T10:00:00+01:00"}`},
		r61cDenyJune2015ToHospital(),
	)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	pairs := [][2]string{
		{"/fhir/Observation?patient=jane&date=2015-06-10", "/fhir/Observation?patient=jane&date=2016-06-10"},
		{"/fhir/Observation?patient=jane&date=ge2015-06-10T00:00:00%2B01:00&date=le2015-06-10T23:59:59%2B01:00", "/fhir/Observation?patient=jane&date=ge2017-06-10T00:00:00%2B01:00&date=le2017-06-10T23:59:59%2B01:00"},
		{"/fhir/Observation?patient=jane&date=ap2015-06-10&_summary=count", "/fhir/Observation?patient=jane&date=ap2019-06-10&_summary=count"},
		{"/fhir/Patient/jane/$everything?start=2015-06-10&end=2015-06-10", "/fhir/Patient/jane/$everything?start=2018-06-10&end=2018-06-10"},
		{"/fhir/Observation?patient=jane&_lastUpdated=gt2000", "/fhir/Observation?patient=jane&_lastUpdated=gt2999"},
	}
	for _, p := range pairs {
		a, b := e.do("GET", p[0], hosp, ""), e.do("GET", p[1], hosp, "")
		if a.status != b.status || strings.Contains(a.body, "confidential-items") != strings.Contains(b.body, "confidential-items") {
			t.Errorf("%s: %d notice %v; %s: %d notice %v", p[0], a.status, strings.Contains(a.body, "confidential-items"), p[1], b.status, strings.Contains(b.body, "confidential-items"))
		}
		if strings.Contains(a.body, "GP-OBS-JUNE") {
			t.Errorf("%s released the withheld observation", p[0])
		}
	}
}

// TestReview61cConditionAbatedJune2015JudgedByRecordedDate: a diagnosis
// with no onset that resolved in June 2015 (abatementDateTime), entered in
// 2024, is care of June 2015 or before; carex judges it by recordedDate
// alone (abatement-date is not among the clinical date parameters) and
// releases it under the deny of June 2015.
func TestReview61cConditionAbatedJune2015JudgedByRecordedDate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/abated", `{"resourceType":"Condition","id":"abated","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"resolved"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"GP-ABATED-JUNE-2015"},"abatementDateTime":"2015-06-20","recordedDate":"2024-02-02"}`},
		r61cDenyJune2015ToHospital(),
	)
	r61cCheckWithheld(t, e, map[string]string{"/fhir/Condition/abated": "GP-ABATED-JUNE-2015"})
}
