package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview18dDeletedDuplicateLinkInWhoAccessed: a merged duplicate
// (Patient/jane-old, linking replaced-by Patient/jane) keeps the items
// filed under it decided with Jane's objections, deleted or not (its last
// links count). IG's reports on Jane's record ($who-accessed,
// AuditEvent?patient=, $break-glass) list accesses to the duplicate's
// items; they found the duplicate by a search for Patients linking to
// her, which skips deleted Patients, so once the GP deleted
// Patient/jane-old a read (and a break-glass read) of what remained filed
// under it left every report on Jane's record, and otherRecords no
// longer named jane-old. (Found by review 18a's probe.)
func TestReview18dDeletedDuplicateLinkInWhoAccessed(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","name":[{"family":"Smith","given":["Jane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}],
			"link":[{"other":{"reference":"` + e.base + `/fhir/Patient/jane/_history/3"},"type":"replaced-by"}]}`},
		[2]string{"/fhir/Condition/old-dx", `{"resourceType":"Condition","id":"old-dx","subject":{"reference":"Patient/jane-old"},"code":{"text":"OLD-DX"}}`})
	doc := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-18d-sub" })
	if r := e.do("GET", "/fhir/Condition/old-dx", doc, ""); r.status != 200 {
		t.Fatalf("the premise: the GP reads the duplicate's item: %d %s", r.status, r.body)
	}
	// A hospital clinician with no relationship breaks glass for it.
	bg := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "bg-18d-sub" })
	if r := e.do("GET", "/fhir/Condition/old-dx", bg, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, no next of kin"); r.status != 200 {
		t.Fatalf("the premise: break-glass read of the duplicate's item: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	paths := map[string]string{
		"/fhir/AuditEvent/$who-accessed?patient=jane":  "gp-18d-sub",
		"/fhir/AuditEvent?patient=jane&_count=1000":    "gp-18d-sub",
		"/fhir/AuditEvent/$break-glass?patient=jane":   "bg-18d-sub",
		"/fhir/AuditEvent/$who-accessed?patient=jane&": "bg-18d-sub",
	}
	for path, sub := range paths {
		if r := e.do("GET", path, ig, ""); r.status != 200 || !strings.Contains(r.body, sub) {
			t.Fatalf("the premise: %s lists %s's read of the duplicate's item: %d %.300s", path, sub, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient/jane-old", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete the duplicate: %d %s", r.status, r.body)
	}
	for path, sub := range paths {
		if r := e.do("GET", path, ig, ""); r.status != 200 || !strings.Contains(r.body, sub) {
			t.Errorf("%s: with the duplicate deleted, %s's read of its item left Jane's report: %d %.300s", path, sub, r.status, r.body)
		}
	}
	var rep struct {
		OtherRecords []string `json:"otherRecords"`
	}
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, ""); json.Unmarshal([]byte(r.body), &rep) != nil || !slices.Contains(rep.OtherRecords, "jane-old") {
		t.Errorf("the report does not name the deleted duplicate: %v %.300s", rep.OtherRecords, r.body)
	}
	// Stored again without the link, it is no longer hers.
	if r := e.do("PUT", "/fhir/Patient/jane-old", gp, `{"resourceType":"Patient","id":"jane-old","name":[{"family":"Smith","given":["Jane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`); r.status != 200 && r.status != 201 {
		t.Fatalf("jane-old stored again: %d %s", r.status, r.body)
	}
	rep.OtherRecords = nil
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, ""); json.Unmarshal([]byte(r.body), &rep) != nil || slices.Contains(rep.OtherRecords, "jane-old") {
		t.Errorf("stored again with no link, jane-old is still named as Jane's: %v %.300s", rep.OtherRecords, r.body)
	}
}
