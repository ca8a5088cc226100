package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview53cSoundNamedPeopleInLog: 11380bc and 38e3686 changed how the
// people an item names are gathered (noteNamed's set; append then
// deduplicate once). For items naming people twice, by reference and by
// NHS number, and many people, the access log entry of each write and
// read names each person once, in the order the parent logs them. The listing is
// logged (go test -v) to diff against the parents a896f68 / 11380bc.
func TestReview53cSoundNamedPeopleInLog(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	reader := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/r53c-bob", `{"resourceType":"Patient","id":"r53c-bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],"name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Patient/r53c-cat", `{"resourceType":"Patient","id":"r53c-cat","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001006"}],"name":[{"family":"Cat"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
	)
	member := func(ref string) string { return `{"entity":{"reference":"` + ref + `"}}` }
	byNum := func(n string) string {
		return `{"entity":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}}}`
	}
	var many []string
	for i := 0; i < 50; i++ {
		many = append(many, member("Patient/r53c-cat"), byNum("9434765870"), member("Patient/jane"))
	}
	groups := map[string][]string{
		"r53c-g1": {member("Patient/r53c-cat"), member("Patient/jane"), member("Patient/r53c-cat"), byNum("9434765919"), byNum("943 476 5870"), member("Patient/r53c-bob")},
		"r53c-g2": many,
		"r53c-g3": {byNum("9990001006"), member("Patient/jane"), byNum("9990001006")},
	}
	// As the parent a896f68 logs them (run there three times, the same):
	// each person once; the log's order is its own, not the members'.
	wantWrite := map[string][]string{
		"r53c-g1": {"jane", "r53c-bob", "r53c-cat"},
		"r53c-g2": {"r53c-bob", "jane", "r53c-cat"},
		"r53c-g3": {"r53c-cat", "jane"},
	}
	wantRead := map[string][]string{
		"r53c-g1": {"jane", "r53c-bob", "r53c-cat"},
		"r53c-g2": {"jane", "r53c-cat", "r53c-bob"},
		"r53c-g3": {"jane", "r53c-cat"},
	}
	for _, id := range []string{"r53c-g1", "r53c-g2", "r53c-g3"} {
		body := `{"resourceType":"Group","id":"` + id + `","type":"person","actual":true,"member":[` + strings.Join(groups[id], ",") + `]}`
		if w := e.do("PUT", "/fhir/Group/"+id, gp, body); w.status != 201 {
			t.Fatalf("%s: %d %s", id, w.status, w.body)
		}
		e.do("GET", "/fhir/Group/"+id, reader, "")
	}
	// A refused batch of searches by NHS number, one number twice.
	batch := `{"resourceType":"Bundle","type":"batch","entry":[` +
		`{"request":{"method":"GET","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990001006"}},` +
		`{"request":{"method":"GET","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}},` +
		`{"request":{"method":"GET","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|999%20000%201006"}}]}`
	mkt := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	rb := e.do("POST", "/fhir", mkt, batch)
	t.Logf("refused batch: %d", rb.status)
	e.rec.mu.Lock()
	xs := slices.Clone(e.rec.xs)
	e.rec.mu.Unlock()
	for _, x := range xs {
		line := fmt.Sprintf("%s %s/%s %d patient=%q patients=%v", x.Operation, x.Type, x.ID, x.Status, x.Patient, x.Patients)
		t.Log(line)
		want := wantRead
		if x.Operation != "read" {
			want = wantWrite
		}
		if id := x.ID; want[id] != nil && x.Type == "Group" {
			if !slices.Equal(x.Patients, want[id]) {
				t.Errorf("%s %s: the log names %v, want %v", x.Operation, id, x.Patients, want[id])
			}
		}
		seen := map[string]bool{}
		for _, p := range x.Patients {
			if seen[p] {
				t.Errorf("%s %s/%s: %q named twice: %v", x.Operation, x.Type, x.ID, p, x.Patients)
			}
			seen[p] = true
		}
	}
	last := xs[len(xs)-1]
	for _, p := range []string{"r53c-cat", "jane"} {
		if !slices.Contains(last.Patients, p) && last.Patient != p {
			t.Errorf("the refused batch's entry does not name %s: %q %v", p, last.Patient, last.Patients)
		}
	}
}
