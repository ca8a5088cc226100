package api_test

// Review 32c: re-read of the item date changes (6d72c62, ff8176d): an
// item's clinical date against a Consent's dataPeriod (SPEC §5 layer 3).
// Dates without a time are days in England, each end on its own; a time
// keeps its zone; a deny covers an item whose dates it holds in part.

import (
	"fmt"
	"strings"
	"testing"
)

type r32cDateCase struct {
	name   string // item id suffix
	typ    string // resource type
	date   string // the item's date elements (JSON members)
	deny   string // the deny's dataPeriod (JSON object)
	denied bool   // want: withheld from the hospital
}

func r32cItem(c r32cDateCase) (string, string) {
	id := "r32c-d-" + c.name
	var body string
	switch c.typ {
	case "Observation":
		body = `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R32C-` + c.name + `"},` + c.date + `}`
	case "Encounter":
		body = `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"serviceType":{"text":"R32C-` + c.name + `"},` + c.date + `}`
	case "Task":
		body = `{"resourceType":"Task","id":"` + id + `","status":"completed","intent":"order","for":{"reference":"Patient/jane"},"description":"R32C-` + c.name + `",` + c.date + `}`
	case "Condition":
		body = `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"R32C-` + c.name + `"},` + c.date + `}`
	}
	return "/fhir/" + c.typ + "/" + id, body
}

// TestReview32cSoundDataPeriodEdges: each item against a deny of its
// own (Jane's Consent replaced each time), read by the hospital (RHX,
// her hospital), which sees it without the deny.
func TestReview32cSoundDataPeriodEdges(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	june := `{"start":"2015-06-01","end":"2015-06-30"}`
	cases := []r32cDateCase{
		// Instants near the BST day boundary.
		{"inst-jul", "Observation", `"effectiveInstant":"2015-06-30T23:30:00Z"`, june, false},    // 00:30 BST 1 July
		{"inst-jun", "Observation", `"effectiveInstant":"2015-06-30T22:30:00Z"`, june, true},     // 23:30 BST 30 June
		{"dt-jun1", "Observation", `"effectiveDateTime":"2015-05-31T23:30:00Z"`, june, true},     // 00:30 BST 1 June
		{"dt-may", "Observation", `"effectiveDateTime":"2015-05-31T22:59:59Z"`, june, false},     // 23:59:59 BST 31 May
		{"dt-frac", "Observation", `"effectiveDateTime":"2015-06-30T22:59:59.999Z"`, june, true}, // last ms of June
		{"leap-jul", "Observation", `"effectiveDateTime":"2015-06-30T23:59:60Z"`, june, false},   // the leap second: 00:59:60 BST 1 July
		{"leap-jun", "Observation", `"effectiveDateTime":"2015-06-30T23:59:60+01:00"`, june, true},
		// Partial dates at each end.
		{"year", "Observation", `"effectiveDateTime":"2015"`, june, true},
		{"month-jul", "Observation", `"effectiveDateTime":"2015-07"`, june, false},
		{"month-may", "Observation", `"effectiveDateTime":"2015-05"`, june, false},
		{"p-start-may", "Encounter", `"period":{"start":"2015-05"}`, june, true},                             // ongoing
		{"p-end-may", "Encounter", `"period":{"end":"2015-05"}`, june, false},                                // until the end of May (England)
		{"p-end-jun1", "Encounter", `"period":{"end":"2015-06-01"}`, june, true},                             // until 1 June
		{"p-end-may31", "Encounter", `"period":{"end":"2015-05-31"}`, june, false},                           // until 31 May
		{"p-start-jul1", "Encounter", `"period":{"start":"2015-07-01"}`, june, false},                        // from 1 July, ongoing
		{"p-start-jun30", "Encounter", `"period":{"start":"2015-06-30"}`, june, true},                        // from 30 June
		{"p-mixed", "Encounter", `"period":{"start":"2015-05-20","end":"2015-05-31T23:30:00Z"}`, june, true}, // ends 00:30 BST 1 June
		{"p-mixed-ok", "Encounter", `"period":{"start":"2015-05-20","end":"2015-05-31T22:30:00Z"}`, june, false},
		// Timing: events and bounds.
		{"timing-around", "Observation", `"effectiveTiming":{"event":["2015-05-30","2015-07-02"]}`, june, true},
		{"timing-bounds", "Observation", `"effectiveTiming":{"repeat":{"boundsPeriod":{"start":"2015-07-01"}}}`, june, false},
		{"timing-bounds-jun", "Observation", `"effectiveTiming":{"repeat":{"boundsPeriod":{"start":"2015-06-30T23:30:00+01:00"}}}`, june, true},
		// Task: executionPeriod with one end only, before authoredOn.
		{"task-start", "Task", `"authoredOn":"2024-01-10","executionPeriod":{"start":"2015-06-10"}`, june, true},
		{"task-end", "Task", `"authoredOn":"2024-01-10","executionPeriod":{"end":"2015-06-10"}`, june, true},
		{"task-later", "Task", `"authoredOn":"2015-06-10","executionPeriod":{"start":"2015-07-01","end":"2015-07-02"}`, june, false},
		// DST changeover days (23 and 25 hours in England).
		{"spring-day", "Observation", `"effectiveDateTime":"2015-03-29T22:30:00Z"`, `{"start":"2015-03-29","end":"2015-03-29"}`, true}, // 23:30 BST 29 March
		{"spring-next", "Observation", `"effectiveDateTime":"2015-03-29T23:30:00Z"`, `{"start":"2015-03-29","end":"2015-03-29"}`, false},
		{"autumn-day", "Observation", `"effectiveDateTime":"2015-10-25T23:30:00Z"`, `{"start":"2015-10-25","end":"2015-10-25"}`, true},   // 23:30 GMT, still 25 October (a 25-hour day)
		{"autumn-early", "Observation", `"effectiveDateTime":"2015-10-24T23:30:00Z"`, `{"start":"2015-10-25","end":"2015-10-25"}`, true}, // 00:30 BST 25 Oct
		{"autumn-date", "Condition", `"onsetDateTime":"2015-10-25"`, `{"start":"2015-10-24T23:00:00Z","end":"2015-10-24T23:30:00Z"}`, true},
		// Before 1970 (British Standard Time, UTC+1 all year 1968-71) and after 2100.
		{"bst-1969", "Observation", `"effectiveDateTime":"1969-12-31T23:30:00Z"`, `{"start":"1970-01-01","end":"1970-01-31"}`, true}, // 00:30 BST 1 Jan 1970
		{"pre-1900", "Condition", `"onsetDateTime":"1899-12-31T23:59:00Z"`, `{"start":"1900","end":"1900"}`, false},
		{"y2101", "Observation", `"effectiveDateTime":"2101-05-31T23:30:00Z"`, `{"start":"2101-06","end":"2101-06"}`, true}, // 00:30 BST 1 June 2101
		{"y9999", "Condition", `"onsetDateTime":"9999-12-31"`, `{"start":"9999-12-31"}`, true},
		{"y0001", "Condition", `"onsetPeriod":{"end":"0001-01-01"}`, `{"end":"0001-12-31"}`, true},
	}
	var writes [][2]string
	for _, c := range cases {
		p, b := r32cItem(c)
		writes = append(writes, [2]string{p, b})
	}
	e.putAll(t, gpSys, writes...)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, c := range cases {
		p, _ := r32cItem(c)
		if r := e.do("GET", p, hosp, ""); r.status != 200 {
			t.Errorf("premise: %s without a deny: %d %.200s", c.name, r.status, r.body)
		}
	}
	for i, c := range cases {
		consentBody := janeConsent("r32c-dp", fmt.Sprintf("2026-01-%02d", 1+i%28), "OPTIN", `,"provision":{"type":"deny","dataPeriod":`+c.deny+`}`)
		if r := e.do("PUT", "/fhir/Consent/r32c-dp", gpSys, consentBody); r.status != 200 && r.status != 201 {
			t.Fatalf("%s: consent: %d %.300s", c.name, r.status, r.body)
		}
		p, _ := r32cItem(c)
		r := e.do("GET", p, hosp, "")
		want := 200
		if c.denied {
			want = 404
		}
		if r.status != want {
			t.Errorf("%s %s (%s) under a deny of dataPeriod %s: %d, want %d", c.typ, c.name, c.date, c.deny, r.status, want)
		}
		ev := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
		if got := strings.Contains(ev.body, "R32C-"+c.name+`"`); got == c.denied {
			t.Errorf("%s: $everything contains it %v, want %v", c.name, got, !c.denied)
		}
	}
}

// TestReview32cDataPeriodReferralJudgedByAuthoredOn: the social-care
// referral (SPEC §5: "a referral a ServiceRequest", beside "an assessment
// a Task") for care in June 2015 (occurrencePeriod), entered in 2024
// (authoredOn), is 2015 data as the Task of review 31d is (ff8176d: a
// Task is dated by when it was carried out, executionPeriod, before when
// it was entered). Jane's deny of her 2015 data must withhold it from the
// district nurse; carex dates a ServiceRequest by authoredOn alone
// (api/rest.go clinicalDateParams has "authored" and no "occurrence"),
// so it goes out.
func TestReview32cDataPeriodReferralJudgedByAuthoredOn(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	sr := func(id, text, occ string) string {
		return `{"resourceType":"ServiceRequest","id":"` + id + `","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		 "code":{"text":"` + text + `"},"authoredOn":"2024-02-01","occurrencePeriod":` + occ + `}`
	}
	e.putAll(t, council,
		[2]string{"/fhir/ServiceRequest/r32c-ref", sr("r32c-ref", "R32C-REFERRAL-JUNE-2015", `{"start":"2015-06-02","end":"2015-06-20"}`)},
		[2]string{"/fhir/ServiceRequest/r32c-ref-ctl", sr("r32c-ref-ctl", "R32C-REFERRAL-2024", `{"start":"2024-01-10","end":"2024-01-20"}`)},
		[2]string{"/fhir/Task/r32c-assess", `{"resourceType":"Task","id":"r32c-assess","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},
		 "code":{"text":"R32C-ASSESSMENT-JUNE-2015"},"authoredOn":"2024-02-01","executionPeriod":{"start":"2015-06-02","end":"2015-06-20"}}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/ServiceRequest/r32c-ref", nurse, ""); r.status != 200 {
		t.Fatalf("premise: without a consent the nurse reads the referral: %d %.200s", r.status, r.body)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Consent/r32c-no-2015", janeConsent("r32c-no-2015", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","dataPeriod":{"start":"2015","end":"2015"}}`)})
	if r := e.do("GET", "/fhir/ServiceRequest/r32c-ref-ctl", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the nurse reads the 2024 referral: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Task/r32c-assess", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the June 2015 assessment (Task) is withheld: %d", r.status)
	}
	if r := e.do("GET", "/fhir/ServiceRequest/r32c-ref", nurse, ""); r.status != 404 {
		t.Errorf("GET ServiceRequest/r32c-ref (referral for care 2-20 June 2015, authoredOn 2024) released despite Jane's deny of her 2015 data: %d %.200s", r.status, r.body)
	}
	ev := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if strings.Contains(ev.body, "R32C-REFERRAL-JUNE-2015") {
		t.Errorf("$everything releases the June 2015 referral to the nurse: %d", ev.status)
	}
	if r := e.do("GET", "/fhir/ServiceRequest?patient=jane", nurse, ""); strings.Contains(r.body, "R32C-REFERRAL-JUNE-2015") {
		t.Errorf("ServiceRequest?patient=jane releases the June 2015 referral to the nurse: %d", r.status)
	}
}
