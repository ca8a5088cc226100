package api_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// TestRestrictedNumberFollowsALaterLabel: whether a person is restricted
// because another Patient carrying her NHS number is (review 12b) is kept
// between requests while nothing is committed (ConsentPolicy.numbers). A
// label the GP adds later must take effect at the next read: the district
// nurse read the hospital's record of her whole before, and must not
// after.
func TestRestrictedNumberFollowsALaterLabel(t *testing.T) {
	e := newEnv(t)
	const number = "9990000026"
	gpPatient := func(security string) string {
		return `{"resourceType":"Patient","id":"gp-ann",` + security + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],"name":[{"family":"Ash"}]}`
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/gp-ann", gpPatient("")})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Patient/hosp-ann", `{"resourceType":"Patient","id":"hosp-ann","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + number + `"}],
			"name":[{"family":"Ash"}],"address":[{"line":["NEW-ADDRESS 2 Quiet Road"]}]}`},
		[2]string{"/fhir/CareTeam/hosp-ann-referral", `{"resourceType":"CareTeam","id":"hosp-ann-referral","status":"active","subject":{"reference":"Patient/hosp-ann"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for i := range 2 { // the second read finds the first's answer kept
		if r := e.do("GET", "/fhir/Patient/hosp-ann", nurse, ""); r.status != 200 || !strings.Contains(r.body, "NEW-ADDRESS") {
			t.Fatalf("read %d before the label: %d %.300s", i+1, r.status, r.body)
		}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/gp-ann",
		gpPatient(`"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`)})
	if r := e.do("GET", "/fhir/Patient/hosp-ann", nurse, ""); r.status != 200 || strings.Contains(r.body, "NEW-ADDRESS") {
		t.Errorf("after the GP marked her restricted, the nurse reads the hospital's record of her: %d %.300s", r.status, r.body)
	}
}

// TestRestrictedNumberKeptAcrossClinicalWrites: the answer is kept while no
// Patient is written (store.Store.PatientChanges), not merely while nothing
// is. Each write asks it of the person written about (the restricted-
// patient alert, noteRestricted): kept only while nothing at all was
// committed, a feed's every write searched the Patients carrying the
// person's NHS number again, its own previous commit having emptied the
// cache. A Patient written, even another person's, makes the next write ask
// again.
func TestRestrictedNumberKeptAcrossClinicalWrites(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, func(c *api.Config) {
		cs = &countingStore{Store: c.Store}
		c.Store = cs
	})
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/gp-ann", `{"resourceType":"Patient","id":"gp-ann","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Ash"}]}`})
	write := func(i int) int64 {
		t.Helper()
		before := cs.patientSearches.Load()
		e.putAll(t, gp, [2]string{fmt.Sprintf("/fhir/Observation/ann-bp-%d", i), `{"resourceType":"Observation","id":"ann-bp-` + strconv.Itoa(i) + `","status":"final","code":{"text":"BP"},"subject":{"reference":"Patient/gp-ann"}}`})
		return cs.patientSearches.Load() - before
	}
	write(0)
	for i := 1; i <= 3; i++ {
		if n := write(i); n != 0 {
			t.Fatalf("the GP's Observation %d, after the previous one, searched Patients %d times: the answer was not kept", i, n)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/Patient/someone-else", `{"resourceType":"Patient","id":"someone-else","name":[{"family":"Else"}]}`})
	if n := write(4); n == 0 {
		t.Fatal("after a Patient was written, the write used the kept answer: it must ask again")
	}
}
