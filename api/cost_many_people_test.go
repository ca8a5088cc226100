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
// its read: five times the members take well under 25 times as long
// (each value once appended by a call building a set of those before it
// took 17 s to write 30,000 by reference, 118 s by NHS number). A ratio,
// not a time, so that a busy machine does not fail it.
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
			// write and read a Group of n members
			cost := func(n int) (write, read time.Duration) {
				var b strings.Builder
				b.WriteString(`{"resourceType":"Group","type":"person","actual":true,"member":[`)
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
				start := cpuTime() // (as the read below: the process's CPU time)
				r := e.do("POST", "/fhir/Group", gp, b.String())
				write = cpuTime() - start
				loc := r.header.Get("Location")
				if r.status != 201 || !strings.Contains(loc, "/Group/") {
					t.Fatalf("write of %d members: %d %.200s", n, r.status, r.body)
				}
				path := "/fhir/Group/" + strings.Split(strings.SplitN(loc, "/Group/", 2)[1], "/")[0]
				// the process's CPU time, not the wall clock: in a full run
				// the other packages' load probes made one read 13-19x as
				// slow by the clock (9-10x alone), and a write 14x
				cpu := cpuTime()
				if r = e.do("GET", path, gp, ""); r.status != 200 {
					t.Fatalf("read of %d members: %d", n, r.status)
				}
				return write, cpuTime() - cpu
			}
			// (both within the store's cache of 20,000 people's contexts,
			// which a larger group overflows: its reads then cost more each)
			w1, r1 := cost(3000)
			w2, r2 := cost(15000)
			t.Logf("3,000 members: write %v, read %v; 15,000: write %v, read %v", w1, r1, w2, r2)
			// (10x: the read compared each member's reference with every
			// member, 11-15x, until the item's people were a set)
			if w2 > 10*w1 || r2 > 10*r1 {
				t.Errorf("five times the members took %.0f× as long to write and %.0f× to read (linear: about 5×)", float64(w2)/float64(w1), float64(r2)/float64(r1))
			}
		})
	}
}
