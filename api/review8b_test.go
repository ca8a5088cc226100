package api_test

// Review 8b: the access log and its users (IG officers' queries). Each
// test failed on the code before its fix and says, in its comment, what an
// IG officer saw; all but TestReview8bWhoAccessedAnIdNoPatientCanHave (a
// regression of this review's own fix) fail on the code as reviewed
// (8c2290c).

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// janeOldRecord is Jane's duplicate record, merged into Patient/jane
// (Patient.link replaced-by), with a diagnosis still filed under it.
func seedJaneOldRecord(t *testing.T, e *env) {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/jane-old", `{"resourceType":"Patient","id":"jane-old","active":false,"name":[{"family":"Smith","given":["Jane"]}],"birthDate":"1950-03-04","generalPractitioner":[{"reference":"Organization/A81001"}],"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`},
		[2]string{"/fhir/Condition/old-asthma", `{"resourceType":"Condition","id":"old-asthma","subject":{"reference":"Patient/jane-old"},"code":{"text":"OLD-RECORD-ASTHMA"}}`},
	)
}

// TestReview8bWhoAccessedFollowsMergedRecord: Jane's duplicate record
// (jane-old, merged into Patient/jane by a replaced-by link) still holds a
// diagnosis. The sharing decision treats it as Jane's (README: "an
// objection recorded on the surviving record reaches items still filed
// under the old one"), but the access log names only the record an item
// is filed under, and $who-accessed?patient=jane looks for that id alone:
// a GP at another practice reads Jane's old diagnosis and Jane's subject
// access report ("who accessed the record of patient jane") does not list
// it. Asked for the old record, the report left out every access to the
// surviving one just the same.
func TestReview8bWhoAccessedFollowsMergedRecord(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedJaneOldRecord(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-8b-old" })
	if r := e.do("GET", "/fhir/Condition/old-asthma", gp, ""); r.status != 200 {
		t.Fatalf("read of the old record's diagnosis: %d %s", r.status, r.body)
	}
	gp2 := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-8b-new" })
	if r := e.do("GET", "/fhir/Condition/diabetes", gp2, ""); r.status != 200 {
		t.Fatalf("read of Jane's diagnosis: %d %s", r.status, r.body)
	}
	if len(bySub(whoAccessed4e(t, e, "jane"), "gp-8b-old")) == 0 {
		t.Errorf("$who-accessed?patient=jane does not list the GP's read of Condition/old-asthma, filed under Jane's merged record Patient/jane-old")
	}
	if len(bySub(whoAccessed4e(t, e, "jane-old"), "gp-8b-new")) == 0 {
		t.Errorf("$who-accessed?patient=jane-old does not list the GP's read of Condition/diabetes, filed under the record jane-old was merged into")
	}
}

// TestReview8bIGSearchNamesThePeopleItShows: an IG officer who reads one
// entry (AuditEvent/{seq}) is logged against the people it is about, so
// that Jane's $who-accessed shows who looked at her entries. The same
// entries read through a search (AuditEvent?agent=, ?outcome=, ?date=) or
// a report ($user-activity, $break-glass without patient=, $alerts,
// which names the patient of each alert) were logged
// against no one, though they send the same thing: that the nurse opened
// Jane's record, when, and her NHS number. Jane's $who-accessed listed
// the read and missed the searches and reports.
func TestReview8bIGSearchNamesThePeopleItShows(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-8b" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Break-Glass", "EMERGENCY: found collapsed at home, unresponsive"); r.status != 200 {
		t.Fatalf("$everything: %d %.300s", r.status, r.body)
	}
	for i, path := range []string{
		"/fhir/AuditEvent?agent=nurse-8b",
		"/fhir/AuditEvent?outcome=0&_count=1000",
		"/fhir/AuditEvent/$user-activity?agent=nurse-8b",
		"/fhir/AuditEvent/$break-glass",
		"/fhir/AuditEvent/$alerts",
		"/fhir/AuditEvent/$user-activity?agent=nurse-8b&_format=text",
	} {
		sub := "ig-8b-" + string(rune('a'+i))
		ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
		if r := e.do("GET", path, ig, ""); r.status != 200 || !strings.Contains(r.body, "nurse-8b") {
			t.Fatalf("%s: %d %.300s", path, r.status, r.body)
		}
		who := whoAccessed4e(t, e, "jane")
		if len(bySub(who, sub)) == 0 {
			t.Errorf("GET %s sent the nurse's entry about Jane, but Jane's $who-accessed does not list it", path)
		}
	}
}

// TestReview8bAuditEventOfSeveralPeopleKeepsTheNHSNumber: the GP opens
// Jane's record ($everything); it holds an appointment Jane shares with
// her husband, so the entry names both (patients) and carries Jane's NHS
// number. The AuditEvent made of it — what AuditEvent? search and carex
// audit export give IG — attached the NHS number only to an entry naming
// one person, so for this one, the commonest kind of access to a person
// with a carer or a joint appointment, it carried no NHS number at all;
// the printable $who-accessed row showed "jane, bob" without it either.
func TestReview8bAuditEventOfSeveralPeopleKeepsTheNHSNumber(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-8b-nhs" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); r.status != 200 || !strings.Contains(r.body, "JOINT-MEMORY-CLINIC") {
		t.Fatalf("$everything: %d %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-8b-nhs" })
	r := e.do("GET", "/fhir/AuditEvent?agent=gp-8b-nhs", ig, "")
	b := parseBundle(t, r.body)
	if r.status != 200 || len(b.Entry) != 1 {
		t.Fatalf("AuditEvent?agent=: %d %.300s", r.status, r.body)
	}
	ev := string(b.Entry[0].Resource)
	if !strings.Contains(ev, `"Patient/bob"`) {
		t.Fatalf("the entry does not name Bob: %s", ev)
	}
	if !strings.Contains(ev, `{"reference":"Patient/jane","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`) {
		t.Errorf("the AuditEvent of Jane's $everything (which touched Bob too) does not carry Jane's NHS number on her entity: %s", ev)
	}
	txt := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", ig, "")
	for _, line := range strings.Split(txt.body, "\n") {
		if strings.Contains(line, "gp-8b-nhs") && !strings.Contains(line, "9434765919") {
			t.Errorf("the printable $who-accessed row of the GP's access has no NHS number: %q", line)
		}
	}
}

// TestReview8bBreakGlassAndSearchFollowMergedRecord: as
// TestReview8bWhoAccessedFollowsMergedRecord, for the other IG queries by
// person: a hospital clinician with no relationship with Jane breaks
// glass to read the diagnosis still filed under her merged duplicate
// record; $break-glass?patient=jane and AuditEvent?patient=jane did not
// list it.
func TestReview8bBreakGlassAndSearchFollowMergedRecord(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedJaneOldRecord(t, e)
	hosp := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "hosp-8b-old" })
	if r := e.do("GET", "/fhir/Condition/old-asthma", hosp, "", "X-Break-Glass", "EMERGENCY: severe breathing difficulty in A&E"); r.status != 200 {
		t.Fatalf("break-glass read of the old record's diagnosis: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-8b-bg" })
	for _, path := range []string{"/fhir/AuditEvent/$break-glass?patient=jane", "/fhir/AuditEvent?patient=jane"} {
		r := e.do("GET", path, ig, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		if !strings.Contains(r.body, "hosp-8b-old") {
			t.Errorf("%s does not list the break-glass read of Condition/old-asthma, filed under Jane's merged record Patient/jane-old", path)
		}
	}
}

// TestReview8bWhoAccessedAnIdNoPatientCanHave: a client may ask for any
// id — a GP system that uses the NHS number as typed, with spaces — and
// the entry names the person by that id. Following a person's other
// records (1f06293, 227cbb4) looked it up as a link=Patient/<id> search,
// which refuses such an id: $who-accessed, AuditEvent? and $break-glass
// answered 400 for it where they had listed its entries.
func TestReview8bWhoAccessedAnIdNoPatientCanHave(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-8b-spaces" })
	if r := e.do("GET", "/fhir/Patient/943%20476%205919", gp, ""); r.status != 404 {
		t.Fatalf("read of Patient/943 476 5919: %d %s", r.status, r.body)
	}
	if len(bySub(whoAccessed4e(t, e, "943%20476%205919"), "gp-8b-spaces")) == 0 {
		t.Errorf("$who-accessed?patient=943 476 5919 does not list the read of Patient/943 476 5919")
	}
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-8b-spaces" })
	for _, path := range []string{"/fhir/AuditEvent?patient=943%20476%205919", "/fhir/AuditEvent/$break-glass?patient=943%20476%205919"} {
		if r := e.do("GET", path, ig, ""); r.status != 200 {
			t.Errorf("%s: %d %.300s", path, r.status, r.body)
		}
	}
}

// TestReview8bCountOnlySearchIsNotADenial: a district nurse asks how many
// of Jane's conditions there are (_summary=count, or _count=0): she is
// told 1 (her diabetes, which she may see; the HIV diagnosis is withheld).
// The entry said decision "deny", as for a search whose every match was
// withheld (README: "a search whose every match was withheld is a deny
// too, one that released some of them a partial"), because no resource
// was sent: IG, looking for what the nurse learnt of Jane's record, read
// that she was refused, though she was told of an item she may see.
func TestReview8bCountOnlySearchIsNotADenial(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-8b-count" })
	for i, c := range []struct{ path, total, decision string }{
		{"/fhir/Condition?patient=jane&_summary=count", `"total":1`, "partial"},
		{"/fhir/Condition?patient=jane&_count=0", `"total":1`, "partial"},
		{"/fhir/Condition?patient=jane&code=http://snomed.info/sct|86406008&_summary=count", `"total":0`, "deny"}, // control: the only match withheld
	} {
		sub := "nurse-8b-count-" + string(rune('a'+i))
		nurse := e.token("district-nurse", "nhs", "RCX", func(cl *auth.DevClaims) { cl.Sub = sub })
		if r := e.do("GET", c.path, nurse, ""); r.status != 200 || !strings.Contains(r.body, c.total) {
			t.Fatalf("%s: %d %.300s", c.path, r.status, r.body)
		}
		r := e.do("GET", "/fhir/AuditEvent/$user-activity?agent="+sub, ig, "")
		var rep struct {
			Entries []struct {
				Decision string `json:"decision"`
				Withheld int    `json:"withheld"`
			} `json:"entries"`
		}
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil || len(rep.Entries) != 1 {
			t.Fatalf("$user-activity %s: %v %.300s", sub, err, r.body)
		}
		if en := rep.Entries[0]; en.Decision != c.decision || en.Withheld != 1 {
			t.Errorf("GET %s (%s): entry decision %q, withheld %d; want %q, 1", c.path, c.total, en.Decision, en.Withheld, c.decision)
		}
	}
}

// TestSearchByPatientIDNamesThatPersonsNHSNumber: a search for Jane by id
// whose _revinclude reaches an appointment she shares with Bob touches
// them both; its entry carried no NHS number, as the handler did not mark
// Jane as the person the request named (review 8b's left-over). A search
// by patient= does.
func TestSearchByPatientIDNamesThatPersonsNHSNumber(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed4e(t, e)
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-8b-id" })
	for i, path := range []string{"/fhir/Appointment?patient=jane", "/fhir/Patient?_id=jane&_revinclude=Appointment:patient"} {
		sub := "gp-8b-id-" + strconv.Itoa(i)
		gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
		if r := e.do("GET", path, gp, ""); r.status != 200 || !strings.Contains(r.body, "JOINT-MEMORY-CLINIC") {
			t.Fatalf("%s: %d %.300s", path, r.status, r.body)
		}
		r := e.do("GET", "/fhir/AuditEvent?agent="+sub, ig, "")
		b := parseBundle(t, r.body)
		if r.status != 200 || len(b.Entry) != 1 {
			t.Fatalf("AuditEvent?agent=%s: %d %.300s", sub, r.status, r.body)
		}
		ev := string(b.Entry[0].Resource)
		if !strings.Contains(ev, `"Patient/bob"`) {
			t.Fatalf("%s: the entry does not name Bob: %s", path, ev)
		}
		if !strings.Contains(ev, `{"reference":"Patient/jane","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`) {
			t.Errorf("%s named Jane and touched Bob: its AuditEvent carries no NHS number on Jane's entity: %s", path, ev)
		}
	}
}
