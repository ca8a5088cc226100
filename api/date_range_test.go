package api_test

import (
	"strings"
	"testing"
)

// TestDataPeriodMeetsAnItemsWholeDateRange: an item's clinical date was its
// first instant only, so an item dated to a year or a month, or over a
// period, met a Consent's dataPeriod only if its start did. Under "not my
// records from June 2015" the hospital clinician read a problem the GP
// system dated only "2015" and an admission from 28 May to 5 June 2015;
// under "opted out, except my records from January 2015" it read the same
// "2015" problem, which may be from any month of that year. A deny now covers an item whose dates
// overlap its period; a permit releases only an item whose dates lie
// wholly inside it.
func TestDataPeriodMeetsAnItemsWholeDateRange(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	cond := func(id, onset string) [2]string {
		return [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"low mood"},"onsetDateTime":"` + onset + `"}`}
	}
	enc := func(id, start, end string) [2]string {
		return [2]string{"/fhir/Encounter/" + id, `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"period":{"start":"` + start + `","end":"` + end + `"}}`}
	}
	e.putAll(t, gp,
		cond("year-2015", "2015"), cond("year-2014", "2014"), cond("may-2015", "2015-05"), cond("jan-15-2015", "2015-01-15"),
		enc("over-june", "2015-05-28", "2015-06-05"), enc("in-july", "2015-07-01", "2015-07-03"))
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	expect := func(label string, want map[string]int) {
		t.Helper()
		for path, status := range want {
			if r := e.do("GET", path, hosp, ""); r.status != status {
				t.Errorf("%s: GET %s: %d, want %d", label, path, r.status, status)
			}
		}
	}

	e.putAll(t, gp, [2]string{"/fhir/Consent/no-june-2015", janeConsent("no-june-2015", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2015-06-01","end":"2015-06-30"}}`)})
	expect("deny of June 2015", map[string]int{
		"/fhir/Condition/year-2015":   404, // some time in 2015: maybe June
		"/fhir/Encounter/over-june":   404, // 28 May to 5 June
		"/fhir/Condition/year-2014":   200,
		"/fhir/Condition/may-2015":    200,
		"/fhir/Encounter/in-july":     200,
		"/fhir/Condition/jan-15-2015": 200,
	})

	// She now opts out, except for her records from January 2015.
	e.putAll(t, gp, [2]string{"/fhir/Consent/no-june-2015", janeConsent("no-june-2015", "2026-01-11", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01","end":"2015-01-31"}}]}`)})
	expect("opt-out except January 2015", map[string]int{
		"/fhir/Condition/jan-15-2015": 200,
		"/fhir/Condition/year-2015":   404, // any month of 2015, not January only
		"/fhir/Condition/may-2015":    404,
		"/fhir/Encounter/over-june":   404,
	})
}

// TestEverythingDatesAreDaysInEngland: $everything's start and end were
// UTC days, so in British Summer Time start=2026-06-01 left out an
// observation taken at 00:30 on 1 June (2026-06-01T00:30:00+01:00), and
// end=2026-05-31 kept it. They are days in England, as an item's dates
// and a Consent's are; an item dated "2026-06-01" (no time) is of 1 June.
func TestEverythingDatesAreDaysInEngland(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	obs := func(id, when string) [2]string {
		return [2]string{"/fhir/Observation/" + id, `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BP"},"effectiveDateTime":"` + when + `"}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), obs("half-past-midnight", "2026-06-01T00:30:00+01:00"), obs("first-of-june", "2026-06-01"), obs("may", "2026-05-31T22:30:00+01:00"))
	for _, c := range []struct {
		query       string
		want, leave []string
	}{
		{"start=2026-06-01", []string{"Observation/half-past-midnight", "Observation/first-of-june"}, []string{"Observation/may"}},
		{"end=2026-05-31", []string{"Observation/may"}, []string{"Observation/half-past-midnight", "Observation/first-of-june"}},
	} {
		r := e.do("GET", "/fhir/Patient/jane/$everything?_type=Observation&"+c.query, gp, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", c.query, r.status, r.body)
		}
		for _, id := range c.want {
			if !strings.Contains(r.body, `"`+id+`"`) && !strings.Contains(r.body, "/"+id+`"`) {
				t.Errorf("%s: %s left out", c.query, id)
			}
		}
		for _, id := range c.leave {
			if strings.Contains(r.body, "/"+id+`"`) {
				t.Errorf("%s: %s kept", c.query, id)
			}
		}
	}
}
