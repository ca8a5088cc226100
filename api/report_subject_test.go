package api_test

import (
	"strings"
	"testing"
)

// TestReportNamesWriteBySubject: a write of Jane's own care team that
// names her husband Bob as a member is, in Jane's printable report, a
// write of hers naming others (several-people), not another person's
// record; in Bob's, another person's. Before, the entry's people were
// in id order, so "bob" came first and Jane's report said
// "another-person" (review 88d).
func TestReportNamesWriteBySubject(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	trust := e.token("system", "nhs", "RCX")
	for _, method := range []string{"PUT", "DELETE"} {
		body := ""
		if method == "PUT" {
			body = `{"resourceType":"CareTeam","id":"rsw-team","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}]}`
		}
		if r := e.do(method, "/fhir/CareTeam/rsw-team", trust, body); r.status >= 300 {
			t.Fatalf("premise: %s CareTeam: %d %.300s", method, r.status, r.body)
		}
	}
	for who, want := range map[string]string{"jane": "several-people", "bob": "another-person"} {
		lines := r88bLines(t, e, who, "rsw-team")
		if len(lines) != 2 {
			t.Fatalf("%s's report has %d lines naming the care team, want 2 (its write and its delete):\n%s", who, len(lines), strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			t.Logf("%s: %s", who, l)
			if !strings.Contains(l, want) {
				t.Errorf("%s's report says of a write of Jane's care team naming Bob: %s; want %s", who, l, want)
			}
		}
	}
}
