package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// TestReview46cSoundSearchCostAtScale: over 3,000 Patients, the costliest
// searches a user may send (390 :contains values, ten _sort keys with the
// item-name test, a deep page) cost a small multiple of counting every
// Patient (_summary=count), which any population-wide search does anyway.
func TestReview46cSoundSearchCostAtScale(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe of 1 MiB texts: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 4 << 20 })
	sys := e.token("system", "nhs", "A81001")
	n := 0
	for b := 0; b < 10; b++ {
		var entries []string
		for i := 0; i < 300; i++ {
			n++
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Patient","name":[{"family":"Fam%05dqwertyuiop","given":["Giv%05dasdfghjkl"]}],"address":[{"line":["%d Long Street Name Here"],"postalCode":"NS1 %dAB"}]},"request":{"method":"POST","url":"Patient"}}`, n, n, n, n%9))
		}
		r := e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`)
		if r.status != 200 {
			t.Fatalf("batch %d: %.300s", r.status, r.body)
		}
	}
	var vals []string
	for i := 0; i < 390; i++ {
		vals = append(vals, fmt.Sprintf("zz%03dq", i))
	}
	gp := e.token("gp", "nhs", "A81001")
	took := map[string]time.Duration{}
	for _, q := range []string{"name=Fam00001", "name:contains=zzq", "name:contains=" + strings.Join(vals, ","), "address:contains=" + strings.Join(vals, ","),
		"_sort=name,given,family,address,address-postalcode,birthdate,gender,_lastUpdated,identifier,telecom&_count=1000",
		"_count=1000&_offset=2000", "_summary=count"} {
		for _, who := range []string{"gp", "system"} {
			tok := gp
			if who == "system" {
				tok = sys
			}
			t0 := time.Now()
			r := e.do("GET", "/fhir/Patient?"+q, tok, "")
			d := time.Since(t0)
			if r.status != 200 {
				t.Errorf("%s Patient?%.60s: %d", who, q, r.status)
			}
			if d > took[q] {
				took[q] = d
			}
			t.Logf("%-8s %.60s: %d in %v", who, q, r.status, d)
		}
	}
	base := took["_summary=count"]
	for q, d := range took {
		if d > raceSlowdown*2*time.Second || d > 20*base+raceSlowdown*50*time.Millisecond {
			t.Errorf("Patient?%.60s took %v; counting every Patient %v", q, d, base)
		}
	}
}
