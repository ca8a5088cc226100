package api_test

import (
	"strings"
	"testing"
)

// TestReportNamesWriteBySubject: a write of Jane's own care team that
// names her husband Bob as a member, and reads of it (one under
// break-glass), are, in Jane's printable report, requests about her
// record naming others (several-people), not about another person's; in
// Bob's, another person's. Before, the entry's people were in id order,
// so "bob" came first and Jane's report said "another-person" (review
// 88d; the break-glass read was stop 46's left-alone item).
func TestReportNamesWriteBySubject(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	bobNum := nhsNumber(881)
	e.putAll(t, gp, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + bobNum + `"}],"name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	number := map[string]string{"jane": "9434765919", "bob": bobNum}
	trust := e.token("system", "nhs", "RCX")
	team := `{"resourceType":"CareTeam","id":"rsw-team","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}]}`
	for _, r := range []struct {
		method, tok, body string
		hdr               []string
	}{
		{"PUT", trust, team, nil},
		{"GET", e.token("gp", "nhs", "A81001"), "", nil},
		{"GET", e.token("hospital-clinician", "nhs", "RZZ"), "", []string{"X-Break-Glass", "EMERGENCY: collapsed at home"}},
		{"DELETE", trust, "", nil},
	} {
		if got := e.do(r.method, "/fhir/CareTeam/rsw-team", r.tok, r.body, r.hdr...); got.status >= 300 {
			t.Fatalf("premise: %s CareTeam: %d %.300s", r.method, got.status, got.body)
		}
	}
	for who, want := range map[string]string{"jane": "several-people", "bob": "another-person"} {
		lines := r88bLines(t, e, who, "rsw-team")
		if len(lines) != 4 {
			t.Fatalf("%s's report has %d lines naming the care team, want 4 (its write, two reads, its delete):\n%s", who, len(lines), strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			t.Logf("%s: %s", who, l)
			if !strings.Contains(l, want) {
				t.Errorf("%s's report says of a request for Jane's care team naming Bob: %s; want %s", who, l, want)
			}
			for other, n := range number {
				if other != who && strings.Contains(l, n) {
					t.Errorf("%s's report holds %s's NHS number: %s", who, other, l)
				}
			}
			if strings.Contains(l, "RZZ") && (who == "bob") != strings.Contains(l, "(given for another person's record)") {
				t.Errorf("%s's report gives the break-glass reason wrongly: %s", who, l)
			}
		}
	}
}
