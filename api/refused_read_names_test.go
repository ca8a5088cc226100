package api_test

import (
	"slices"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestRefusedReadNamesThePersonOfTheItem: a read of Type/id refused before
// the read looked the item up (a token claiming a purpose that is not
// direct care, an expired or missing token) was logged naming no one
// (review 14a's left-over, as its writes were): a stolen token tried on
// Jane's diagnosis, or on one version of it, did not appear in her
// $who-accessed. The entry now names the people of the item stored there;
// the answer is unchanged.
func TestRefusedReadNamesThePersonOfTheItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	expired := e.expiredToken()
	for _, c := range []struct {
		name, path, tok string
		status          int
	}{
		{"marketing purpose", "/fhir/Condition/diabetes", mk, 403},
		{"expired token", "/fhir/Condition/diabetes", expired, 401},
		{"no token", "/fhir/Condition/hiv", "", 401},
		{"expired token, a version", "/fhir/Condition/diabetes/_history/1", expired, 401},
		{"expired token, its history", "/fhir/Condition/diabetes/_history", expired, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("GET", c.path, c.tok, "")
			if r.status != c.status {
				t.Fatalf("GET %s: %d, want %d: %s", c.path, r.status, c.status, r.body)
			}
			if got := e.loggedPeople(t, "GET", c.path); !slices.Contains(got, "jane") {
				t.Errorf("GET %s refused with %d is logged naming %v: not Jane, whose item it asked for", c.path, r.status, got)
			}
		})
	}
}
