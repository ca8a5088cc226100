package api_test

// Review 4e: is every release of a person's data attributed to that person
// in the access log (SPEC §6: IG must answer "who saw this person's data,
// and why" with $who-accessed / AuditEvent?patient=)? Each test below
// makes a request that sends (or changes) data of a person, Bob, and then
// asks $who-accessed?patient=bob whether the request is there. It is not:
// the entry names only the person the request was about (Jane), or no one.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// logEntry is one entry of an IG report.
type logEntry struct {
	Seq      int64    `json:"seq"`
	Sub      string   `json:"sub"`
	Op       string   `json:"op"`
	Method   string   `json:"method"`
	Path     string   `json:"path"`
	Patient  string   `json:"patient"`
	Patients []string `json:"patients"`
	Released []string `json:"released"`
}

// whoAccessed4e is IG's $who-accessed report for a person.
func whoAccessed4e(t *testing.T, e *env, patient string) []logEntry {
	t.Helper()
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-4e" })
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient="+patient, ig, "")
	var rep struct {
		Entries []logEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$who-accessed %s: %d %v %.300s", patient, r.status, err, r.body)
	}
	return rep.Entries
}

// bySub: the entries of one user.
func bySub(es []logEntry, sub string) []logEntry {
	var out []logEntry
	for _, en := range es {
		if en.Sub == sub {
			out = append(out, en)
		}
	}
	return out
}

// seed4e adds Bob (Jane's husband, same GP practice) and items that are
// Bob's as well as Jane's: a joint appointment (both are participants, so
// it is in both compartments), a care team for Jane with Bob as a member
// (her carer), and a stored collection Bundle holding one item of each.
func seed4e(t *testing.T, e *env) {
	t.Helper()
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Smith","given":["Bob"]}],"birthDate":"1948-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","description":"JOINT-MEMORY-CLINIC","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"Patient/bob"},"status":"accepted"}]}`},
		[2]string{"/fhir/CareTeam/couple", `{"resourceType":"CareTeam","id":"couple","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Patient/bob"}}]}`},
		[2]string{"/fhir/Bundle/doc", `{"resourceType":"Bundle","id":"doc","type":"collection","entry":[
 {"resource":{"resourceType":"Condition","id":"j1","subject":{"reference":"Patient/jane"},"code":{"text":"JANE-IN-DOC"}}},
 {"resource":{"resourceType":"Condition","id":"b1","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-DEMENTIA-IN-DOC"}}}]}`},
	)
	// Control: read by id, each of these is logged under both people.
	ctl := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-4e-control" })
	for _, p := range []string{"/fhir/Appointment/joint", "/fhir/Bundle/doc", "/fhir/CareTeam/couple"} {
		if r := e.do("GET", p, ctl, ""); r.status != 200 {
			t.Fatalf("control read %s: %d %s", p, r.status, r.body)
		}
	}
	if n := len(bySub(whoAccessed4e(t, e, "bob"), "gp-4e-control")); n != 3 {
		t.Fatalf("control: reads by id of Bob's shared items: %d of 3 in Bob's $who-accessed", n)
	}
}

// TestReview4eSearchByPatientNamesEveryoneItReleases: a search naming
// Jane (patient=jane) releases items that are Bob's too — the joint
// appointment, the care team naming him — but its entry names Jane only
// (search sets Exchange.Patient from patient=, and gate.decide then stops
// noting the people of the items it decides), so Bob's $who-accessed
// misses it. The same items read by id are logged under both (control in
// seed4e). Break-glass makes no difference: bob "comes along" unlogged.
func TestReview4eSearchByPatientNamesEveryoneItReleases(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	for i, c := range []struct {
		path, item string
		hdr        []string
	}{
		{"/fhir/Appointment?patient=jane", "Appointment/joint/_history/1", nil},
		{"/fhir/CareTeam?patient=jane", "CareTeam/couple/_history/1", nil},
		{"/fhir/Appointment?patient=jane", "Appointment/joint/_history/1", []string{"X-Break-Glass", "EMERGENCY: collapsed at home, unresponsive"}},
	} {
		sub := "gp-4e-search-" + string(rune('a'+i))
		tok := e.token("gp", "nhs", "A81001", func(cl *auth.DevClaims) { cl.Sub = sub })
		if r := e.do("GET", c.path, tok, "", c.hdr...); r.status != 200 || !strings.Contains(r.body, strings.Split(c.item, "/_history")[0][strings.Index(c.item, "/")+1:]) {
			t.Fatalf("%s: %d %.300s", c.path, r.status, r.body)
		}
		if len(bySub(whoAccessed4e(t, e, "bob"), sub)) == 0 {
			t.Errorf("GET %s (break-glass %v) released %s, an item of Bob's, but Bob's $who-accessed does not list it (the entry names Jane only)", c.path, c.hdr != nil, c.item)
		}
	}
}

// TestReview4eIncludeOfAnotherPersonNamesThem: _include pulls in another
// person's data — here Bob's own Patient resource (name, NHS number, date
// of birth) through Jane's care team — and the entry names Jane only.
func TestReview4eIncludeOfAnotherPersonNamesThem(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-4e-include" })
	r := e.do("GET", "/fhir/CareTeam?patient=jane&_include=CareTeam:participant", tok, "")
	if r.status != 200 || !strings.Contains(r.body, `"id":"bob"`) {
		t.Fatalf("include: %d %.400s", r.status, r.body)
	}
	if len(bySub(whoAccessed4e(t, e, "bob"), "gp-4e-include")) == 0 {
		t.Errorf("CareTeam?patient=jane&_include=CareTeam:participant released Patient/bob, but Bob's $who-accessed does not list it")
	}
}

// TestReview4eEverythingNamesEveryoneItReleases: Jane's $everything
// releases her compartment, which holds items that are Bob's too: the
// joint appointment and a stored Bundle whose entries include Bob's
// condition ("a stored Bundle belongs to everyone its entries belong
// to"). The entry names Jane only.
func TestReview4eEverythingNamesEveryoneItReleases(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-4e-everything" })
	r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
	if r.status != 200 || !strings.Contains(r.body, "BOB-DEMENTIA-IN-DOC") || !strings.Contains(r.body, "JOINT-MEMORY-CLINIC") {
		t.Fatalf("$everything: %d %.300s", r.status, r.body)
	}
	if len(bySub(whoAccessed4e(t, e, "bob"), "gp-4e-everything")) == 0 {
		t.Errorf("Jane's $everything released Bob's condition (in Bundle/doc) and the joint appointment, but Bob's $who-accessed does not list it")
	}
}

// TestReview4eItemNamingPersonOutsideCompartmentIsAttributed: an item that
// names its person but is in no compartment — a Device (Device.patient:
// an insulin pump), or a Condition whose subject names Jane only by NHS
// number — is released with an entry that names no one, so Jane's
// $who-accessed misses every read of it (and its writes).
func TestReview4eItemNamingPersonOutsideCompartmentIsAttributed(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Device/pump", `{"resourceType":"Device","id":"pump","patient":{"reference":"Patient/jane"},"type":{"text":"INSULIN-PUMP"}}`},
		[2]string{"/fhir/Condition/byid", `{"resourceType":"Condition","id":"byid","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"code":{"text":"BY-NHS-NUMBER"}}`},
	)
	for i, p := range []string{"/fhir/Device/pump", "/fhir/Condition/byid"} {
		sub := "gp-4e-outside-" + string(rune('a'+i))
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
		if r := e.do("GET", p, tok, ""); r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
		if len(bySub(whoAccessed4e(t, e, "jane"), sub)) == 0 {
			t.Errorf("GET %s released an item naming Jane, but Jane's $who-accessed does not list it (the entry names no one)", p)
		}
	}
}

// TestReview4eRefiledItemNamesFormerPerson: a PUT that moves an item from
// Bob's record to Jane's (a diagnosis filed against the wrong spouse) is
// logged under Jane only: commit sets Exchange.Patient from the new
// version, which hides Exchange.written (which did note Bob's replaced
// version). Bob's $who-accessed never shows who changed his record.
func TestReview4eRefiledItemNamesFormerPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	gpSys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-feed-4e" })
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/moved", `{"resourceType":"Condition","id":"moved","subject":{"reference":"Patient/bob"},"code":{"text":"FILED-ON-BOB"}}`})
	before := len(bySub(whoAccessed4e(t, e, "bob"), "gp-feed-4e"))
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/moved", `{"resourceType":"Condition","id":"moved","subject":{"reference":"Patient/jane"},"code":{"text":"REFILED-ON-JANE"}}`})
	if after := len(bySub(whoAccessed4e(t, e, "bob"), "gp-feed-4e")); after == before {
		t.Errorf("PUT Condition/moved took the item out of Bob's record, but Bob's $who-accessed does not list it (the entry names Jane only)")
	}
}

// TestReview4eAuditEventReadNamesEntryPeople: an IG officer's read of one
// AuditEvent is logged under the entry's patient when it names one person
// (auditRead copies Entry.Patient), but under no one when the entry names
// several (Entry.Patients is not copied) — although the AuditEvent
// released names both people, their NHS numbers and what they had
// released. Low severity (IG only), but inconsistent.
func TestReview4eAuditEventReadNamesEntryPeople(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	// Bob's report shows the entry as it concerns him (without Jane): the
	// entry itself, read by its id, names both.
	var seq int64 = -1
	finder := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-4e-finder" })
	for _, en := range bySub(whoAccessed4e(t, e, "bob"), "gp-4e-control") {
		if r := e.do("GET", "/fhir/AuditEvent/"+jsonNum(en.Seq), finder, ""); strings.Contains(r.body, "Patient/jane") && strings.Contains(r.body, "Patient/bob") {
			seq = en.Seq
		}
	}
	if seq < 0 {
		t.Fatal("no entry naming Jane and Bob")
	}
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-4e-reader" })
	if r := e.do("GET", "/fhir/AuditEvent/"+jsonNum(seq), ig, ""); r.status != 200 || !strings.Contains(r.body, "Patient/bob") {
		t.Fatalf("AuditEvent read: %d %.300s", r.status, r.body)
	}
	for _, who := range []string{"jane", "bob"} {
		if len(bySub(whoAccessed4e(t, e, who), "ig-4e-reader")) == 0 {
			t.Errorf("IG read AuditEvent/%d, which names %s, but %s's $who-accessed does not list the read (a one-person entry's read would be)", seq, who, who)
		}
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }
