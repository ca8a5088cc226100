package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestPersonsAccessReportNamesNoOneElse: $who-accessed is printable for a
// subject access request, and AuditEvent?patient= answers the same
// question; but an entry naming Jane among others (a search whose matches
// were several people, an IG query about someone else) went out whole: the
// other people's ids, the NHS number and path of the one it was about, and
// the items released of theirs. Handed to Jane, her report told her about
// other people. And the IG request's own entry named every one of them, so
// each of their reports then listed an IG officer looking at "their"
// record, and each IG entry named more people than the one before (review
// 17a: after 100 IG queries one 20-entry page held 10,500 people). Now a
// report or search about a person shows each entry as it concerns her:
// other people, and what the entry released or read of theirs, are left
// out, and the IG request's own entry names her records alone.
func TestPersonsAccessReportNamesNoOneElse(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	seedBobAtTheGP(t, e, gpSys)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-17-sub" })
	// One search matching both people, one read of Bob's alone, and one
	// of Jane's alone.
	if r := e.do("GET", "/fhir/Condition?_count=100", gp, ""); r.status != 200 || !strings.Contains(r.body, "bob-gout") || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("the premise: the GP's search matches both people: %d %.300s", r.status, r.body)
	}
	e.do("GET", "/fhir/Patient/bob/$everything", gp, "")
	e.do("GET", "/fhir/Patient/jane", gp, "")
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-17-sub" })
	for _, path := range []string{"/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text",
		"/fhir/AuditEvent/$who-accessed?patient=jane&_format=html", "/fhir/AuditEvent?patient=jane&_count=1000"} {
		r := e.do("GET", path, ig, "")
		if r.status != 200 || !strings.Contains(r.body, "gp-17-sub") {
			t.Fatalf("%s: the premise: the GP's accesses to Jane are listed: %d %.300s", path, r.status, r.body)
		}
		if !strings.Contains(r.body, "diabetes") {
			t.Errorf("%s: what was released of Jane's own record is still shown: %.600s", path, r.body)
		}
		for _, other := range []string{"bob", "9990000018"} {
			if strings.Contains(r.body, other) {
				t.Errorf("%s: Jane's access report tells of another person (%q): %.800s", path, other, r.body)
			}
		}
	}
	// The IG officer looked at Jane's accesses, not Bob's.
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=bob", ig, "")
	if r.status != 200 || !strings.Contains(r.body, "gp-17-sub") {
		t.Fatalf("the premise: Bob's report lists the GP: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "ig-17-sub") {
		t.Errorf("Bob's report lists the IG officer who asked only about Jane: %.800s", r.body)
	}
	// Bob's own report still shows the shared search, as it concerns him.
	if !strings.Contains(r.body, "bob-gout") {
		t.Errorf("Bob's report lost what the shared search released of his: %.800s", r.body)
	}
}

// seedBobAtTheGP writes, as the GP practice's system (gpSys), a second
// person of the practice, Bob (NHS number 9990000018), with a diagnosis
// (BOB-GOUT).
func seedBobAtTheGP(t *testing.T, e *env, gpSys string) {
	t.Helper()
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
		"name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/bob-gout", `{"resourceType":"Condition","id":"bob-gout","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-GOUT"}}`})
}

// TestPersonsAccessReportKeepsHerItemsOfASharedRequest: a search matching
// Jane and Bob is shown in Jane's report without Bob (a9d0a16), but it
// also lost what it released of Jane's: her report told her that a GP had
// searched, not that her diabetes had gone to them, so it could not answer
// "what of mine was seen". Likewise a record of Bob's opened with an item
// of hers in it (a joint appointment). Now such an entry keeps the items
// released that were hers at the version released; Bob's stay out.
func TestPersonsAccessReportKeepsHerItemsOfASharedRequest(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	seedBobAtTheGP(t, e, gpSys)
	e.putAll(t, gpSys, [2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked",
		"participant":[{"actor":{"reference":"Patient/bob"},"status":"accepted"},{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-18-sub" })
	if r := e.do("GET", "/fhir/Condition?_count=100", gp, ""); r.status != 200 || !strings.Contains(r.body, "bob-gout") || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("the premise: the GP's search matches both people: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/bob/$everything", gp, ""); r.status != 200 || !strings.Contains(r.body, `"joint"`) {
		t.Fatalf("the premise: Bob's record holds the joint appointment: %d %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, path := range []string{"/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent?patient=jane&_count=1000"} {
		r := e.do("GET", path, ig, "")
		if r.status != 200 || !strings.Contains(r.body, "gp-18-sub") {
			t.Fatalf("%s: the premise: the GP's accesses are listed: %d %.300s", path, r.status, r.body)
		}
		for _, c := range []struct{ request, hers string }{
			{"search", "Condition/diabetes/_history/"},
			{"everything", "Appointment/joint/_history/"},
		} {
			found := false
			for _, entry := range reportEntries(t, r.body) {
				// (the $everything entry says "search" too since review 79c:
				// BALP's subtype of every query)
				if strings.Contains(entry, "gp-18-sub") && strings.Contains(entry, c.request) && (c.request != "search" || !strings.Contains(entry, "everything")) {
					found = true
					if !strings.Contains(entry, c.hers) {
						t.Errorf("%s: Jane's report does not say that the GP's %s released %s: %s", path, c.request, c.hers, entry)
					}
				}
			}
			if !found {
				t.Errorf("%s: the premise: the GP's %s is in Jane's report: %q", path, c.request, reportEntries(t, r.body))
			}
		}
		for _, other := range []string{"bob", "9990000018"} {
			if strings.Contains(r.body, other) {
				t.Errorf("%s: Jane's access report tells of another person (%q): %.900s", path, other, r.body)
			}
		}
	}
}

// reportEntries are the entries of an IG report ($who-accessed: entries)
// or of an AuditEvent search (its resources), each as JSON.
func reportEntries(t *testing.T, body string) []string {
	t.Helper()
	var doc struct {
		Entries []json.RawMessage `json:"entries"`
		Entry   []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("%v: %.300s", err, body)
	}
	var out []string
	for _, e := range doc.Entries {
		out = append(out, string(e))
	}
	for _, e := range doc.Entry {
		out = append(out, string(e.Resource))
	}
	return out
}
