package api_test

import (
	"strings"
	"testing"
	"time"
)

// Review 89a: re-read of 42eb4e9 and d95c677 (an access-log entry's
// people, the item's subject first).

const r89aTeam = `{"resourceType":"CareTeam","id":"rsw-team","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}]}`

// r89aSetup: Jane (seedShared), Bob with an NHS number at Jane's GP
// practice, and Jane's care team naming Bob as a member, written by the
// community trust (RCX).
func r89aSetup(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	bobNum := nhsNumber(889)
	e.putAll(t, gp, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + bobNum + `"}],"name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	trust := e.token("system", "nhs", "RCX")
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/rsw-team", r89aTeam})
	return e, bobNum
}

// TestReview89aVreadOfHerCareTeamSaysAnotherPerson: the brief (and
// d95c677's sharedItem comment: "a single-item request (read, version
// read, instance history)") says a read, vread or instance history of
// Jane's care team naming Bob lists Jane first. But vread and
// history-instance call sharedItem only under break-glass (rest.go
// vread, history: `if x.BreakGlass != ""`), so without it itemSubject
// stays "" and the entry's people are in id order: "bob" first. Jane's
// printable $who-accessed then says "another-person" of her GP's vread
// of her own care team, exactly what 42eb4e9/d95c677 fixed for read,
// and Bob's report says "several-people" (his own record's request).
// README review 88d / the commit messages: her own care team naming
// her husband is her record's. Severity: wrong log facts in a subject
// access report (no leak: read stays in severalPeopleOps). Parent: the
// same (not a regression; an incomplete fix).
func TestReview89aVreadOfHerCareTeamSaysAnotherPerson(t *testing.T) {
	e, _ := r89aSetup(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, p := range []string{"/fhir/CareTeam/rsw-team", "/fhir/CareTeam/rsw-team/_history/1", "/fhir/CareTeam/rsw-team/_history"} {
		if r := e.do("GET", p, gp, ""); r.status != 200 {
			t.Fatalf("premise: GET %s: %d %.300s", p, r.status, r.body)
		}
	}
	for who, want := range map[string]string{"jane": "several-people", "bob": "another-person"} {
		for _, op := range []string{" read GET", "vread GET", "history-instance GET"} {
			lines := r88bLines(t, e, who, "rsw-team", op, "gp")
			if len(lines) != 1 {
				t.Errorf("%s's report: %d lines for %s of the care team, want 1", who, len(lines), op)
				continue
			}
			t.Logf("%s: %s", who, lines[0])
			if !strings.Contains(lines[0], want) {
				t.Errorf("%s's report says of the GP's %s of Jane's care team naming Bob: want %s; got %s", who, op, want, lines[0])
			}
		}
	}
}

// TestReview89aMatchedConditionalCreateNamesPostedSubject: Bob's care
// team (subject Bob, member Jane, identifier T1) exists. The trust POSTs
// a CareTeam with If-None-Exist: identifier=T1 whose body says subject
// Jane: it matches Bob's team and stores nothing (answered with Bob's
// item). decideWrites sets itemSubject from the posted body (ws[0] is
// there though matches[0] is true), so the entry names Jane first: Jane's
// report says the request was her record's ("several-people") and Bob's
// says "another-person", with the break-glass reason, path and NHS number
// rules of another person's record, though the only item the request
// touched is Bob's. README: the first person is "the one the request was
// about". Severity: wrong log facts (the request attributed to a person
// whose record it did not touch). Parent: id order, bob first (right by
// chance); a regression for these ids.
func TestReview89aMatchedConditionalCreateNamesPostedSubject(t *testing.T) {
	e, _ := r89aSetup(t)
	trust := e.token("system", "nhs", "RCX")
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/bob-team", `{"resourceType":"CareTeam","id":"bob-team","identifier":[{"system":"https://r89a.example/team","value":"T1"}],"status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/jane"}}]}`})
	body := `{"resourceType":"CareTeam","identifier":[{"system":"https://r89a.example/team","value":"T1"}],"status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}],"note":[{"text":"R89A-POSTED"}]}`
	r := e.do("POST", "/fhir/CareTeam", trust, body, "If-None-Exist", "identifier=https://r89a.example/team|T1")
	if r.status != 200 {
		t.Fatalf("premise: the conditional create matches bob-team: %d %.300s", r.status, r.body)
	}
	if n := e.do("GET", "/fhir/CareTeam?identifier=https://r89a.example/team|T1", trust, ""); strings.Contains(n.body, "R89A-POSTED") {
		t.Fatalf("premise: the posted body was stored")
	}
	for who, want := range map[string]string{"bob": "several-people", "jane": "another-person"} {
		lines := r88bLines(t, e, who, "create POST /fhir/CareTeam")
		if len(lines) != 1 {
			t.Fatalf("%s's report: %d lines for the conditional create, want 1:\n%s", who, len(lines), strings.Join(lines, "\n"))
		}
		t.Logf("%s: %s", who, lines[0])
		if !strings.Contains(lines[0], want) {
			t.Errorf("%s's report of a conditional create answered with Bob's care team: want %s; got %s", who, want, lines[0])
		}
	}
}

// TestReview89aSoundConditionalMovePathNamesNoOne: Bob's care team
// (subject Bob, member Jane) is moved to Jane by a conditional update
// whose query names Bob (PUT /fhir/CareTeam?subject=Patient/bob, and by
// his NHS number, ?subject.identifier=…|BOBNUM). The new version's
// subject is Jane, so writeSubject puts her first: concerning (ig.go)
// keeps the path whole where the entry is "hers" (the path rule hides a
// path naming others only where !hers), and Jane's printable
// $who-accessed shows a request path naming Bob — his id, or his NHS
// number. README/ig.go concerning: where the request was about someone
// else, "their NHS number, path and resource go"; review 61e: one
// person's report says nothing of others. Severity: personal data of
// another person (his id or NHS number) in her subject access report, if
// it fails. Parent: id order, bob first, so Jane's entry was
// another-person and the path naming "bob" was hidden.
func TestReview89aSoundConditionalMovePathNamesNoOne(t *testing.T) {
	e, bobNum := r89aSetup(t)
	trust := e.token("system", "nhs", "RCX")
	for i, q := range []string{"subject=Patient/bob", "subject.identifier=https://fhir.nhs.uk/Id/nhs-number|" + bobNum, "subject:identifier=https://fhir.nhs.uk/Id/nhs-number|" + bobNum} {
		id := []string{"r89a-c1", "r89a-c2", "r89a-c3"}[i]
		e.putAll(t, trust, [2]string{"/fhir/CareTeam/" + id, `{"resourceType":"CareTeam","id":"` + id + `","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/jane"}}]}`})
		// Only this one of Bob's care teams matches: the others moved already.
		moved := `{"resourceType":"CareTeam","id":"` + id + `","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}]}`
		r := e.do("PUT", "/fhir/CareTeam?"+strings.ReplaceAll(q, "|", "%7C"), trust, moved)
		t.Logf("PUT CareTeam?%s: %d %.200s", q, r.status, r.body)
		if r.status != 200 {
			continue
		}
		for _, who := range []string{"jane", "bob"} {
			for _, l := range r88bLines(t, e, who, "update PUT /fhir/CareTeam ", "RCX") {
				t.Logf("%s: %s", who, l)
				if who == "jane" && (strings.Contains(l, "Patient/bob") || strings.Contains(l, bobNum)) {
					t.Errorf("Jane's report shows a request path naming Bob: %s", l)
				}
			}
		}
	}
}

// TestReview89aSubjectByNHSNumberNotFirst: a feed names the person by
// her NHS number as the reference's identifier (README, POST /fhir: "such
// a feed names the person by her NHS number as the reference's
// identifier and writes no Patient"). The trust writes Jane's care team
// so, subject {identifier: nhs-number|9434765919}, naming Bob (by
// reference) as a member; Jane's GP reads and updates it. subjectIn
// reads only subject.reference "Patient/…", so itemSubject is "" and the
// entry's people stay in id order: Bob first. Jane's report says
// "another-person" of reads and writes of her own care team, Bob's
// "several-people" (his own record's request), with the path and
// break-glass reason rules the wrong way round. Same README/commit words
// as above. Severity: wrong log facts. Parent: the same (incomplete fix,
// not a regression).
func TestReview89aSubjectByNHSNumberNotFirst(t *testing.T) {
	e, _ := r89aSetup(t)
	trust := e.token("system", "nhs", "RCX")
	team := `{"resourceType":"CareTeam","id":"r89a-byno","status":"active","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}]}`
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/r89a-byno", team})
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/CareTeam/r89a-byno", gp, "")
	if r.status != 200 {
		t.Fatalf("premise: GP reads the care team: %d %.300s", r.status, r.body)
	}
	// Premise: the care team is in both people's records.
	for _, who := range []string{"jane", "bob"} {
		if ev := e.do("GET", "/fhir/Patient/"+who+"/$everything?_type=CareTeam", gp, ""); !strings.Contains(ev.body, "r89a-byno") {
			t.Fatalf("premise: the care team is not in %s's record: %.300s", who, ev.body)
		}
	}
	for who, want := range map[string]string{"jane": "several-people", "bob": "another-person"} {
		lines := r88bLines(t, e, who, "r89a-byno", "gp")
		if len(lines) == 0 {
			t.Errorf("%s's report has no line for the GP's read", who)
		}
		for _, l := range lines {
			t.Logf("%s: %s", who, l)
			if !strings.Contains(l, want) {
				t.Errorf("%s's report of the GP's read of Jane's care team (subject by her NHS number) naming Bob: want %s; got %s", who, want, l)
			}
		}
	}
}

// TestReview89aSoundBatchEntriesEachLogged: a batch of two PUTs (Bob's
// Condition, then Jane's care team naming Bob) is logged; the batch's
// entry or entries and their first person are logged for the report.
func TestReview89aSoundBatchEntriesEachLogged(t *testing.T) {
	e, _ := r89aSetup(t)
	trust := e.token("system", "nhs", "RCX")
	b := `{"resourceType":"Bundle","type":"batch","entry":[
 {"resource":{"resourceType":"Condition","id":"r89a-bc","subject":{"reference":"Patient/bob"},"code":{"text":"R89A-BOB"}},"request":{"method":"PUT","url":"Condition/r89a-bc"}},
 {"resource":{"resourceType":"CareTeam","id":"r89a-bt","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCX"}},{"member":{"reference":"Patient/bob"}}]},"request":{"method":"PUT","url":"CareTeam/r89a-bt"}}]}`
	r := e.do("POST", "/fhir", trust, b)
	if r.status != 200 {
		t.Fatalf("batch: %d %.300s", r.status, r.body)
	}
	for _, who := range []string{"jane", "bob"} {
		for _, l := range r88bLines(t, e, who, "RCX", "batch") {
			t.Logf("%s: %s", who, l)
		}
		for _, l := range r88bLines(t, e, who, "RCX", "r89a-b") {
			t.Logf("%s: %s", who, l)
		}
	}
}

// TestReview89aBinaryOfJointItemWriteNotBySubject: a Binary whose
// securityContext is Jane's care team naming Bob. Its read names Jane
// first (asDecided hands sharedItem the care team's JSON), but its write
// and delete do not: writeSubject reads subjectIn of the Binary itself
// (no subject element), and for the delete subjectOf of the stored
// Binary, so itemSubject is "" and the entry is in id order, Bob first.
// Jane's report says "several-people" of the read of the letter and
// "another-person" of its update and delete; Bob's the reverse. Same
// README/commit words (her own care team naming her husband is her
// record's); asDecided's comment: a Binary is decided "as the item its
// securityContext names now … with that item's people and subject".
// Severity: wrong log facts. Parent: id order for all three (Bob first),
// so the write lines are unchanged and the read line changed.
func TestReview89aBinaryOfJointItemWriteNotBySubject(t *testing.T) {
	e, _ := r89aSetup(t)
	trust := e.token("system", "nhs", "RCX")
	bin := func(data string) string {
		return `{"resourceType":"Binary","id":"r89a-bin","contentType":"text/plain","securityContext":{"reference":"CareTeam/rsw-team"},"data":"` + data + `"}`
	}
	e.putAll(t, trust, [2]string{"/fhir/Binary/r89a-bin", bin("Ujg5QQ==")})
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Binary/r89a-bin", gp, "", "Accept", "application/fhir+json"); r.status != 200 {
		t.Fatalf("premise: GP reads the Binary: %d %.300s", r.status, r.body)
	}
	e.putAll(t, trust, [2]string{"/fhir/Binary/r89a-bin", bin("Ujg5Qg==")})
	if r := e.do("DELETE", "/fhir/Binary/r89a-bin", trust, ""); r.status >= 300 {
		t.Fatalf("premise: delete: %d %.300s", r.status, r.body)
	}
	for who, want := range map[string]string{"jane": "several-people", "bob": "another-person"} {
		lines := r88bLines(t, e, who, "/fhir/Binary/r89a-bin")
		if len(lines) != 4 {
			t.Errorf("%s's report: %d lines for the Binary, want 4 (write, read, update, delete)", who, len(lines))
		}
		for _, l := range lines {
			t.Logf("%s: %s", who, l)
			if !strings.Contains(l, want) {
				t.Errorf("%s's report of a request for the letter of Jane's care team naming Bob: want %s; got %s", who, want, l)
			}
		}
	}
}

// TestReview89aSoundMoveBobToJane: an update moving a Condition from Bob
// to Jane is logged under both; the new subject (Jane) first. Bob's
// report keeps the line (another-person), neither report holds the
// other's NHS number. Logged for the report.
func TestReview89aSoundMoveBobToJane(t *testing.T) {
	e, bobNum := r89aSetup(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Condition/r89a-move", `{"resourceType":"Condition","id":"r89a-move","subject":{"reference":"Patient/bob"},"code":{"text":"R89A-MOVE"}}`})
	e.putAll(t, gp, [2]string{"/fhir/Condition/r89a-move", `{"resourceType":"Condition","id":"r89a-move","subject":{"reference":"Patient/jane"},"code":{"text":"R89A-MOVE"}}`})
	number := map[string]string{"jane": "9434765919", "bob": bobNum}
	for _, who := range []string{"jane", "bob"} {
		lines := r88bLines(t, e, who, "update PUT /fhir/Condition/r89a-move")
		for _, l := range lines {
			t.Logf("%s: %s", who, l)
			for other, n := range number {
				if other != who && strings.Contains(l, n) {
					t.Errorf("%s's report holds %s's NHS number: %s", who, other, l)
				}
			}
		}
		if who == "bob" && len(lines) != 2 {
			t.Errorf("Bob's report: %d update lines, want 2 (the write of his and the move away)", len(lines))
		}
	}
}

// TestReview89aSoundRestrictedBobJointRead: Bob restricted (R); Jane's
// district nurse reads Jane's care team naming Bob. Jane's report carries
// no restricted-patient / ig-alert; the restricted-patient alert (if any)
// is raised for Bob alone; AuditEvent?patient=jane names no Bob and
// AuditEvent?patient=bob no Jane.
func TestReview89aSoundRestrictedBobJointRead(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	trust := e.token("system", "nhs", "RCX")
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/rsw-team", r89aTeam})
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/CareTeam/rsw-team", nurse, "")
	t.Logf("nurse read: %d", r.status)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, f := range []string{"&_format=text", ""} {
		rep := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane"+f, ig, "")
		for _, l := range strings.Split(rep.body, "\n") {
			if strings.Contains(l, "rsw-team") && strings.Contains(l, "district-nurse") {
				t.Logf("jane: %s", l)
			}
		}
		if strings.Contains(rep.body, "restricted-patient") {
			t.Errorf("Jane's $who-accessed%s says restricted-patient (Bob's status)", f)
		}
	}
	for _, l := range r88bLines(t, e, "bob", "rsw-team", "district-nurse") {
		t.Logf("bob: %s", l)
	}
	al := e.do("GET", "/fhir/AuditEvent/$alerts?_format=text", ig, "")
	for _, l := range strings.Split(al.body, "\n") {
		if strings.Contains(l, "restricted") {
			t.Logf("alert: %s", l)
			if strings.Contains(l, "jane") {
				t.Errorf("a restricted-person alert names Jane: %s", l)
			}
		}
	}
	for who, other := range map[string]string{"jane": "bob", "bob": "jane"} {
		s := e.do("GET", "/fhir/AuditEvent?patient="+who+"&_count=1000", ig, "")
		if s.status != 200 {
			t.Fatalf("AuditEvent?patient=%s: %d", who, s.status)
		}
		if strings.Contains(s.body, `"Patient/`+other+`"`) {
			t.Errorf("AuditEvent?patient=%s names Patient/%s", who, other)
		}
	}
}

// TestReview89aSoundCostJointRead: 2,000 reads of the joint care team by
// Jane's GP (sharedItem now decodes the item for each, not only under
// break-glass). Logs the time; run in both trees to compare.
func TestReview89aSoundCostJointRead(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e, _ := r89aSetup(t)
	gp := e.token("gp", "nhs", "A81001")
	for i := 0; i < 50; i++ {
		e.do("GET", "/fhir/CareTeam/rsw-team", gp, "")
	}
	const n = 2000
	start := time.Now()
	for i := 0; i < n; i++ {
		if r := e.do("GET", "/fhir/CareTeam/rsw-team", gp, ""); r.status != 200 {
			t.Fatalf("read: %d", r.status)
		}
	}
	d := time.Since(start)
	t.Logf("%d reads of a joint item: %v, %v/read", n, d, d/n)
}
