package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview16dBundleRefusedForItsPurposeNamesItsPeopleHoweverItsUrlsAreWritten:
// a batch refused for its purpose (a token claiming "marketing") names, for
// the log, the people its GET entries would have read (review 16b) — but
// only for entry urls written relative. A batch runs an entry url given
// absolute, with this server's base (as FHIR allows), reading Jane's
// diagnosis; refused for its purpose, the same batch was logged naming no
// one, so Jane's $who-accessed missed the attempt on her record. Each must
// name Jane, as the relative url does. (An entry url percent-encoded,
// Condition/diab%65tes, reads nothing: 404, and names no one; probed.)
func TestReview16dBundleRefusedForItsPurposeNamesItsPeopleHoweverItsUrlsAreWritten(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	for _, u := range []string{e.base + "/fhir/Condition/diabetes", e.base + "/fhir/Condition?patient=jane",
		e.base + "/fhir/Condition/diabetes/_history/1", e.base + "/fhir/Patient/jane/$everything", "/Condition/diabetes"} {
		batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"` + u + `"}}]}`
		// The premise: with a working token the entry reads Jane's record.
		if r := e.do("POST", "/fhir", gp, batch); r.status != 200 || !strings.Contains(r.body, `"status":"200`) {
			t.Fatalf("%s: the premise: the batch entry reads Jane's record: %d %.400s", u, r.status, r.body)
		}
		if r := e.do("POST", "/fhir", mk, batch); r.status != 403 {
			t.Fatalf("%s: the batch for marketing: %d, want 403", u, r.status)
		}
		if got := e.loggedPeople(t, "POST", "/fhir"); !slices.Contains(got, "jane") {
			t.Errorf("%s: a batch refused for its purpose, reading Jane's record, is logged naming %v, not Jane", u, got)
		}
	}
	// A write entry so written (a batch runs it as the relative one).
	del := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"` + e.base + `/fhir/Condition/diabetes"}}]}`
	if r := e.do("POST", "/fhir", mk, del); r.status != 403 {
		t.Fatalf("the deleting batch for marketing: %d, want 403", r.status)
	}
	if got := e.loggedPeople(t, "POST", "/fhir"); !slices.Contains(got, "jane") {
		t.Errorf("a batch refused for its purpose, deleting Jane's diagnosis by its absolute url, is logged naming %v, not Jane", got)
	}
}
