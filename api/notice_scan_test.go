package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// The notice of a search naming a person that filters is worked out from
// the whole of their record (of the search's types), without reading the
// user's own organisation's items, which it always sees: the hospital's
// item withheld from the GP among many of the practice's own still brings
// it, wherever it falls in the record, and under break-glass (when the
// practice's items are decided as anyone's) too.
func TestSearchNoticeFindsAWithheldItemAmongOwnItems(t *testing.T) {
	e := newEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	cond := func(pid, id, onset, sec string) [2]string {
		return [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `",` + sec + `"subject":{"reference":"Patient/` + pid + `"},` +
			`"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"` + strings.ToUpper(id) + `"},"onsetDateTime":"` + onset + `"}`}
	}
	hiv := `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},`
	for i, where := range []int{-1, 0, 20, 40} { // where the hospital's item falls among 40 of the practice's (-1: none)
		pid := fmt.Sprintf("ns%d", i)
		e.putAll(t, gpSys, [2]string{"/fhir/Patient/" + pid, `{"resourceType":"Patient","id":"` + pid + `","generalPractitioner":[{"reference":"Organization/A81001"}]}`})
		for k := 0; k <= 40; k++ {
			if k == where {
				e.putAll(t, hosp, cond(pid, pid+"-hosp", "2020-01-01", hiv))
			}
			if k < 40 {
				e.putAll(t, gpSys, cond(pid, fmt.Sprintf("%s-own%d", pid, k), fmt.Sprintf("2021-01-%02d", 1+k%28), ""))
			}
		}
		for _, bg := range []bool{false, true} {
			var hdr []string
			if bg {
				hdr = []string{"X-Break-Glass", "emergency: collapsed at home, no history available"}
			}
			r := e.do("GET", "/fhir/Condition?patient="+pid+"&onset-date=2021-01-01", gp, "", hdr...)
			if r.status != 200 {
				t.Fatalf("%s (break-glass %v): %d %.300s", pid, bg, r.status, r.body)
			}
			if strings.Contains(r.body, strings.ToUpper(pid+"-hosp")) {
				t.Fatalf("%s (break-glass %v): the hospital's HIV-labelled item released: %.300s", pid, bg, r.body)
			}
			if !strings.Contains(r.body, strings.ToUpper(pid+"-own0")) {
				t.Fatalf("%s (break-glass %v): the practice's own item of that day is missing: %.600s", pid, bg, r.body)
			}
			if got, want := strings.Contains(r.body, "confidential-items"), where >= 0; got != want {
				t.Errorf("%s (break-glass %v, the hospital's item at %d): notice %v, want %v", pid, bg, where, got, want)
			}
		}
	}
}
