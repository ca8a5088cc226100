package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

func nhs47b(i int) string {
	for k := i * 10; ; k++ {
		base := fmt.Sprintf("998%06d", k%1000000)
		s := 0
		for j := 0; j < 9; j++ {
			s += int(base[j]-'0') * (10 - j)
		}
		c := 11 - s%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return base + fmt.Sprint(c)
		}
	}
}

// TestReview47bSoundCarriesNumbersCost: 400 restricted Patients (the most
// one search's values can name) in the nurse's care; a search by their
// bare NHS numbers (a VRead each in carriesNumbers) costs a small
// multiple of the same search with the system.
func TestReview47bSoundCarriesNumbersCost(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("system", "nhs", "RCX")
	var nums []string
	for b := 0; b < 2; b++ {
		var pe, ce []string
		for i := 0; i < 200; i++ {
			n := b*200 + i
			num := nhs47b(n)
			nums = append(nums, num)
			pe = append(pe, fmt.Sprintf(`{"resource":{"resourceType":"Patient","id":"c47b-%d",`+rLabel46c+`,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"F%d"}],"address":[{"line":["SECRET"]}]},"request":{"method":"PUT","url":"Patient/c47b-%d"}}`, n, num, n, n))
			ce = append(ce, fmt.Sprintf(`{"resource":{"resourceType":"CareTeam","status":"active","subject":{"reference":"Patient/c47b-%d"},"participant":[{"member":{"reference":"Organization/RCX"}}]},"request":{"method":"POST","url":"CareTeam"}}`, n))
		}
		if r := e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(pe, ",")+`]}`); r.status != 200 {
			t.Fatalf("patients: %d %.300s", r.status, r.body)
		}
		if r := e.do("POST", "/fhir", rcx, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(ce, ",")+`]}`); r.status != 200 {
			t.Fatalf("care teams: %d %.300s", r.status, r.body)
		}
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	var sys []string
	for _, n := range nums {
		sys = append(sys, "https://fhir.nhs.uk/Id/nhs-number|"+n)
	}
	took := map[string]time.Duration{}
	for _, c := range []struct{ name, q string }{
		{"system", "identifier=" + url.QueryEscape(strings.Join(sys, ",")) + "&_count=1000"},
		{"bare", "identifier=" + strings.Join(nums, ",") + "&_count=1000"},
		{"bare-count", "identifier=" + strings.Join(nums, ",") + "&_summary=count"},
	} {
		for k := 0; k < 2; k++ {
			t0 := time.Now()
			r := e.do("GET", "/fhir/Patient?"+c.q, nurse, "")
			d := time.Since(t0)
			if r.status != 200 || !strings.Contains(r.body, `"total":400`) {
				t.Errorf("%s: %d %.300s", c.name, r.status, r.body)
			}
			if k == 1 {
				took[c.name] = d
			}
		}
		t.Logf("%s: %v", c.name, took[c.name])
	}
	if took["bare"] > 3*took["system"]+raceSlowdown*200*time.Millisecond {
		t.Errorf("bare %v against system %v", took["bare"], took["system"])
	}
}
