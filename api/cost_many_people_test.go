package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// TestCostItemNamingManyPeople: an item naming many people (a ward list, a
// group) costs time linear in the people it names, on its write and on
// its read.
func TestCostItemNamingManyPeople(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 }) // serve's default
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ name, entry string }{
		{"by reference", `{"entity":{"reference":"Patient/p%d"}}`},
		{"by NHS number", `{"entity":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(`{"resourceType":"Group","type":"person","actual":true,"member":[`)
			const n = 30000
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if strings.Contains(c.entry, "%d") {
					fmt.Fprintf(&b, c.entry, i)
				} else {
					fmt.Fprintf(&b, c.entry, validNHS(i))
				}
			}
			b.WriteString(`]}`)
			start := time.Now()
			r := e.do("POST", "/fhir/Group", gp, b.String())
			took := time.Since(start)
			t.Logf("write of %d members, %d bytes: %d in %v", n, b.Len(), r.status, took)
			if took > 10*time.Second {
				t.Errorf("a Group of %d members took %v to write", n, took)
			}
			loc := r.header.Get("Location")
			if r.status != 201 || loc == "" {
				return
			}
			path := "/fhir/Group/" + strings.Split(strings.SplitN(loc, "/Group/", 2)[1], "/")[0]
			start = time.Now()
			r = e.do("GET", path, gp, "")
			t.Logf("read: %d in %v", r.status, time.Since(start))
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("a Group of %d members took %v to read", n, d)
			}
		})
	}
}
