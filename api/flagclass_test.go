package api_test

import (
	"strings"
	"testing"
)

// TestFlagAlertClassedByCategory: every Flag is safeguarding (SPEC §5: a
// safeguarding concern is a Flag), a drug, lab or clinical one carrying
// that class beside it (review 10b), so none reaches the district nurse,
// who sees no safeguarding, and the social worker sees each her other
// classes allow. (choice, README) Review 39c asked that a GP's penicillin
// alert and a diet alert reach the nurse; classing an NHS organisation's
// drug, diet or lab Flag as that alert alone (c12407f) let a council's
// Flag under a code not shaped as a GSS one, and a "safeguarding concern"
// of category drug, reach her (reviews 41b, 42b), as carex does not record
// the writer's sector with an item: reverted.
func TestFlagAlertClassedByCategory(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	flag := func(id, cat, extra string) [2]string {
		c := ""
		if cat != "" {
			c = `"category":[` + cat + `],`
		}
		return [2]string{"/fhir/Flag/" + id, `{"resourceType":"Flag","id":"` + id + `","status":"active",` + c + extra +
			`"code":{"text":"FLAG-` + id + `"},"subject":{"reference":"Patient/jane"}}`}
	}
	fc := func(code string) string {
		return `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"` + code + `"}]}`
	}
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		flag("drug", fc("drug"), ""),
		flag("diet", fc("diet"), ""),
		flag("lab", fc("lab"), ""),
		flag("safety", fc("safety"), ""),
		flag("clinical", fc("clinical"), ""),
		flag("none", "", ""),
		flag("drugsafety", fc("drug")+","+fc("safety"), ""),
		flag("local", `{"coding":[{"system":"http://example.org/local","code":"drug"}]}`, ""),
		flag("tagged", fc("drug"), `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"safeguarding"}]},`))
	e.putAll(t, e.token("system", "council", "E06000999"), flag("council", fc("drug"), ""))
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	for _, c := range []struct {
		id        string
		nurse, sw int
	}{
		{"drug", 404, 200}, {"diet", 404, 200}, {"lab", 404, 404},
		{"safety", 404, 200}, {"clinical", 404, 200}, {"none", 404, 200}, {"drugsafety", 404, 200},
		{"local", 404, 200}, {"tagged", 404, 200}, {"council", 404, 200},
	} {
		if r := e.do("GET", "/fhir/Flag/"+c.id, nurse, ""); r.status != c.nurse {
			t.Errorf("district nurse GET Flag/%s: %d, want %d", c.id, r.status, c.nurse)
		}
		if r := e.do("GET", "/fhir/Flag/"+c.id, sw, ""); r.status != c.sw {
			t.Errorf("social worker GET Flag/%s: %d, want %d", c.id, r.status, c.sw)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if strings.Contains(r.body, "FLAG-") {
		t.Errorf("the nurse's $everything holds a Flag: %.300s", r.body)
	}
}
