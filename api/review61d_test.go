package api_test

// Review 61d: the consent lifecycle — who may write, supersede and
// withdraw a Consent (SPEC §3 "Consents are ordinary FHIR Consent
// resources (create, supersede, history)"; §5 "A newer consent of the same
// scope supersedes the older, which is kept in history"; §6 the log).

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func r61dSnippet(body, at string) string {
	i := strings.Index(body, at)
	if i < 0 {
		if len(body) > 300 {
			return body[:300]
		}
		return body
	}
	lo, hi := max(0, i-200), min(len(body), i+150)
	return body[lo:hi]
}

// r61dBob: Bob, registered at the same practice as Jane (A81001), and a
// hospital RYY whose only relationship is with Bob (it recorded his
// admission). RYY has no relationship with Jane.
func r61dBob(t *testing.T, e *env) {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Jones","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, e.token("system", "nhs", "RYY"), [2]string{"/fhir/Encounter/bob-adm", `{"resourceType":"Encounter","id":"bob-adm","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/bob"},"period":{"start":"2025-04-01","end":"2025-04-03"}}`})
}

// TestReview61dSoundMovedConsentHistoryKeptFromOtherPersonsOrg: the GP practice
// files Jane's objection (with her reason in the note-like text) and then
// corrects the record: the Consent was meant for Bob, so it updates its
// patient to Bob. Hospital RYY, related to Bob only, may read Bob's
// Consent. Its version 1 is Jane's Consent: the hospital has no
// relationship with Jane (SPEC §5 layer 2), so that version must be
// absent from its _history and a vread of it must be 404.
func TestReview61dSoundMovedConsentHistoryKeptFromOtherPersonsOrg(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r61dBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	janes := strings.Replace(janeConsent("filed", "2025-03-01", "OPTOUT", ""), `"status":"active",`,
		`"status":"active","identifier":[{"system":"https://carex.example/Id/r61d","value":"R61D-JANE-OBJECTION"}],`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/filed", janes})
	moved := strings.Replace(janeConsent("filed", "2025-03-01", "OPTIN", ""), `"Patient/jane"`, `"Patient/bob"`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/filed", moved})
	ryy := e.token("hospital-clinician", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Patient/jane", ryy, ""); r.status == 200 {
		t.Fatalf("premise: RYY reads Jane's record: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Consent/filed", ryy, ""); r.status != 200 {
		t.Fatalf("RYY reads Bob's (moved) Consent: %d %s", r.status, r61dSnippet(r.body, ""))
	}
	for _, p := range []string{"/fhir/Consent/filed/_history", "/fhir/Consent/filed/_history/1", "/fhir/Consent?patient=bob", "/fhir/Patient/bob/$everything", "/fhir/Consent/_history", "/fhir/_history"} {
		r := e.do("GET", p, ryy, "")
		if strings.Contains(r.body, "Patient/jane") || strings.Contains(r.body, "R61D-JANE-OBJECTION") {
			t.Errorf("GET %s as RYY (related to Bob only): %d, Jane's version of the Consent is released: %s", p, r.status, r61dSnippet(r.body, "Patient/jane"))
		}
		if p == "/fhir/Consent/filed/_history/1" && r.status != 404 {
			t.Errorf("vread of Jane's version as RYY: %d, want 404", r.status)
		}
	}
}

// TestReview61dSoundObjectionMovedToJaneAppliesAtOnce: an objection filed
// under Bob and moved to Jane applies to Jane at once (no stale cached
// decision of hers), and one moved away from her stops applying.
func TestReview61dSoundObjectionMovedToJaneAppliesAtOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r61dBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	onBob := strings.Replace(janeConsent("obj", "2025-03-01", "OPTOUT", ""), `"Patient/jane"`, `"Patient/bob"`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/obj", onBob})
	if !nurseReadsDiabetes(t, e) {
		t.Fatal("premise: Bob's objection withholds Jane's diabetes")
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/obj", janeConsent("obj", "2025-03-01", "OPTOUT", "")})
	if nurseReadsDiabetes(t, e) {
		t.Error("the objection moved to Jane's record does not apply to her at once")
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Error("$everything: the moved objection does not apply")
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/obj", onBob})
	if !nurseReadsDiabetes(t, e) {
		t.Error("the objection moved back to Bob still withholds Jane's diabetes")
	}
}

// TestReview61dSoundMoveToUnrelatedPersonRefused: the practice may not
// move its Consent to a person it has no relationship with (that would
// record a choice for someone it does not care for).
func TestReview61dSoundMoveToUnrelatedPersonRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "Z99999"), [2]string{"/fhir/Patient/zed", `{"resourceType":"Patient","id":"zed","generalPractitioner":[{"reference":"Organization/Z99999"}]}`})
	gpSys := e.token("system", "nhs", "A81001")
	janeObjects(t, e, gpSys)
	moved := strings.Replace(janeConsent("objection", "2025-03-01", "OPTOUT", ""), `"Patient/jane"`, `"Patient/zed"`, 1)
	r := e.do("PUT", "/fhir/Consent/objection", gpSys, moved)
	if r.status != 403 {
		t.Errorf("moving Jane's objection to Zed (no relationship): %d %s", r.status, r61dSnippet(r.body, ""))
	}
	if nurseReadsDiabetes(t, e) {
		t.Error("the refused move lifted Jane's objection")
	}
	// Zed's own practice cannot take it over either.
	if r := e.do("PUT", "/fhir/Consent/objection", e.token("system", "nhs", "Z99999"), moved); r.status < 400 {
		t.Errorf("Zed's practice overwrote Jane's objection: %d", r.status)
	}
	if nurseReadsDiabetes(t, e) {
		t.Error("Jane's objection lifted by another practice's write")
	}
}

// TestReview61dSoundStaleIfMatchOnConsent: two writers of the practice
// race on the objection; the loser's If-Match is refused (412) and
// stores nothing, and each attempt is logged against Jane.
func TestReview61dSoundStaleIfMatchOnConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	janeObjects(t, e, gpSys)
	withdraw := strings.Replace(janeConsent("objection", "2025-03-01", "OPTOUT", ""), `"status":"active"`, `"status":"inactive"`, 1)
	keep := janeConsent("objection", "2025-03-01", "OPTOUT", `,"provision":{"type":"deny"}`)
	var wg sync.WaitGroup
	res := make([]resp, 2)
	for i, b := range []string{withdraw, keep} {
		wg.Add(1)
		go func(i int, b string) {
			defer wg.Done()
			tok := gp
			if i == 1 {
				tok = gpSys
			}
			res[i] = e.do("PUT", "/fhir/Consent/objection", tok, b, "If-Match", `W/"1"`)
		}(i, b)
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, r := range res {
		switch r.status {
		case 200:
			ok++
		case 409, 412:
			conflict++
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("two writers with If-Match W/\"1\": %d and %d", res[0].status, res[1].status)
	}
	r := e.do("GET", "/fhir/Consent/objection", gp, "")
	if !strings.Contains(r.body, `"versionId":"2"`) {
		t.Errorf("after the race: %s", r61dSnippet(r.body, "versionId"))
	}
	if !e.loggedAgainst("PUT", "/fhir/Consent/objection", "jane") {
		t.Error("the race's writes are not logged against Jane")
	}
}

// TestReview61dSoundOtherScopesNeitherWithholdNorLift: a research or
// treatment Consent (not patient-privacy) with deny provisions does not
// withhold Jane's record from her nurse, and a newer one of the practice
// does not lift her objection (SPEC §5: only patient-privacy Consents
// are the sharing rule; research opt-outs are not this engine's business).
func TestReview61dSoundOtherScopesNeitherWithholdNorLift(t *testing.T) {
	for _, scope := range []string{"research", "treatment", "adr"} {
		t.Run(scope, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			deny := strings.Replace(janeConsent("other", "2026-01-10", "OPTOUT", `,"provision":{"type":"deny"}`), `"code":"patient-privacy"`, `"code":"`+scope+`"`, 1)
			if r := e.do("PUT", "/fhir/Consent/other", gpSys, deny); r.status != 201 {
				t.Logf("%s deny: %d %s", scope, r.status, r61dSnippet(r.body, ""))
			}
			if !nurseReadsDiabetes(t, e) {
				t.Errorf("a %s Consent's deny withholds the shared care record", scope)
			}
			janeObjects(t, e, gpSys)
			permit := strings.Replace(janeConsent("other2", "2026-01-11", "OPTIN", ""), `"code":"patient-privacy"`, `"code":"`+scope+`"`, 1)
			if r := e.do("PUT", "/fhir/Consent/other2", gpSys, permit); r.status != 201 {
				t.Logf("%s permit: %d %s", scope, r.status, r61dSnippet(r.body, ""))
			}
			if nurseReadsDiabetes(t, e) {
				t.Errorf("a newer %s Consent lifted the patient-privacy objection", scope)
			}
		})
	}
}

// TestReview61dReceptionistConsentLiftsPracticeObjection: a role a
// deployment adds (receptionist: demographics, appointments, directory;
// not the consent class) may not read Jane's Consents (404) and may not
// change the practice's objection (review 21b), yet it may record a new
// Consent of the practice, which, being newer and of the same recorder,
// supersedes the objection and releases Jane's record to the nurse.
func TestReview61dReceptionistConsentLiftsPracticeObjection(t *testing.T) {
	e := r21bReceptionistEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	janeObjects(t, e, gpSys)
	rec := e.token("receptionist", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Consent/objection", rec, ""); r.status != 404 {
		t.Logf("premise: the receptionist reads the objection: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Consent/objection", rec, strings.Replace(janeConsent("objection", "2025-03-01", "OPTOUT", ""), `"status":"active"`, `"status":"inactive"`, 1)); r.status < 400 {
		t.Errorf("the receptionist withdrew the objection by update: %d", r.status)
	}
	r := e.do("POST", "/fhir/Consent", rec, strings.Replace(janeConsent("", "2026-01-10", "OPTIN", ""), `"id":"",`, "", 1))
	if r.status < 400 {
		t.Errorf("the receptionist (no consent class) recorded a Consent of Jane's: %d %s", r.status, r61dSnippet(r.body, ""))
	}
	if nurseReadsDiabetes(t, e) {
		t.Error("the receptionist's permit lifted the practice's objection: the nurse reads Jane's diabetes")
	}
}

// r61dAuditTotal: how many access-log entries IG finds for a person.
func r61dAuditTotal(t *testing.T, e *env, patient string) int {
	t.Helper()
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent?patient="+patient+"&_count=1", ig, "")
	if r.status != 200 {
		t.Fatalf("IG AuditEvent?patient=%s: %d %s", patient, r.status, r.body)
	}
	var b bundle
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatal(err)
	}
	return b.Total
}

// TestReview61dSoundConsentLifecycleInAuditEvents: each change to Jane's
// sharing, allowed or refused, by whoever, is an AuditEvent IG finds
// under her (SPEC §6: one entry per request, naming the patient); a move
// of her Consent to Bob is found under both.
func TestReview61dSoundConsentLifecycleInAuditEvents(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	r61dBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	council := e.token("social-worker", "council", "E06000999")
	obj := janeConsent("c61", "2025-03-01", "OPTOUT", "")
	steps := []struct {
		name, method, path, token, body string
		people                          []string
	}{
		{"GP system records the objection", "PUT", "/fhir/Consent/c61", gpSys, obj, []string{"jane"}},
		{"council overwrites it (refused)", "PUT", "/fhir/Consent/c61", council, janeConsent("c61", "2026-01-01", "OPTIN", ""), []string{"jane"}},
		{"council deletes it (refused)", "DELETE", "/fhir/Consent/c61", council, "", []string{"jane"}},
		{"council records its own permit", "POST", "/fhir/Consent", council, strings.Replace(janeConsent("", "2026-01-01", "OPTIN", ""), `"id":"",`, "", 1), []string{"jane"}},
		{"stranger records a deny (refused)", "POST", "/fhir/Consent", e.token("gp", "nhs", "Z99999"), strings.Replace(janeConsent("", "2026-01-01", "OPTOUT", ""), `"id":"",`, "", 1), []string{"jane"}},
		{"GP withdraws (inactive)", "PUT", "/fhir/Consent/c61", gp, strings.Replace(obj, `"status":"active"`, `"status":"inactive"`, 1), []string{"jane"}},
		{"GP moves it to Bob", "PUT", "/fhir/Consent/c61", gp, strings.Replace(obj, `"Patient/jane"`, `"Patient/bob"`, 1), []string{"jane", "bob"}},
		{"GP deletes it", "DELETE", "/fhir/Consent/c61", gp, "", []string{"bob"}},
	}
	for _, s := range steps {
		before := map[string]int{}
		for _, p := range s.people {
			before[p] = r61dAuditTotal(t, e, p)
		}
		r := e.do(s.method, s.path, s.token, s.body)
		t.Logf("%s: %d", s.name, r.status)
		for _, p := range s.people {
			// +1 for the step; IG's own search above is logged too, under p.
			if after := r61dAuditTotal(t, e, p); after < before[p]+2 {
				t.Errorf("%s (%d): IG finds no AuditEvent of it under %s (%d → %d)", s.name, r.status, p, before[p], after)
			}
		}
	}
}

// TestReview61dSoundMovedObjectionOrderedByItsMove: the practice
// filed an objection (10:00, 1 March 2025) under Bob by mistake, then
// recorded Jane's same-day permit (date-only 1 March, lifting her
// February objection), then moved the objection to Jane's record. About
// Jane, the objection is recorded last; README: at equal dates "the order
// of recording decides". The engine orders it by when it was first stored
// under Bob, so the permit decides and the nurse reads Jane's diabetes.
// (Borderline: README also says "only a first version's storing time
// orders it".)
func TestReview61dSoundMovedObjectionOrderedByItsMove(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r61dBob(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	onBob := strings.Replace(janeConsent("o2", "2025-03-01T10:00:00Z", "OPTOUT", ""), `"Patient/jane"`, `"Patient/bob"`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/o2", onBob})
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/o1", janeConsent("o1", "2025-02-01", "OPTOUT", "")})
	if nurseReadsDiabetes(t, e) {
		t.Fatal("premise: Jane's February objection not applied")
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/p", janeConsent("p", "2025-03-01", "OPTIN", "")})
	if !nurseReadsDiabetes(t, e) {
		t.Fatal("premise: Jane's permit does not lift her February objection")
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/o2", janeConsent("o2", "2025-03-01T10:00:00Z", "OPTOUT", "")})
	if nurseReadsDiabetes(t, e) {
		t.Error("the objection moved to Jane's record after her same-day permit does not decide: the nurse reads her diabetes")
	}
}

// TestReview61dReceptionistConsentOtherRoutes: the same write by the
// receptionist through a conditional update, a transaction, and an
// objection (OPTOUT) that withdraws the practice's data from everyone
// else — none of them should be hers to record.
func TestReview61dReceptionistConsentOtherRoutes(t *testing.T) {
	t.Run("conditional update lifts the objection", func(t *testing.T) {
		e := r21bReceptionistEnv(t)
		janeObjects(t, e, e.token("system", "nhs", "A81001"))
		rec := e.token("receptionist", "nhs", "A81001")
		r := e.do("PUT", "/fhir/Consent?identifier=https://carex.example/Id/r61d|R61D-REC", rec,
			strings.Replace(strings.Replace(janeConsent("", "2026-01-10", "OPTIN", ""), `"id":"",`, "", 1), `"status":"active",`, `"status":"active","identifier":[{"system":"https://carex.example/Id/r61d","value":"R61D-REC"}],`, 1))
		if r.status < 400 {
			t.Errorf("receptionist conditional update of a Consent: %d", r.status)
		}
		if nurseReadsDiabetes(t, e) {
			t.Error("the receptionist's conditional permit lifted the practice's objection")
		}
	})
	t.Run("transaction lifts the objection", func(t *testing.T) {
		e := r21bReceptionistEnv(t)
		janeObjects(t, e, e.token("system", "nhs", "A81001"))
		rec := e.token("receptionist", "nhs", "A81001")
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + strings.Replace(janeConsent("", "2026-01-10", "OPTIN", ""), `"id":"",`, "", 1) +
			`,"request":{"method":"POST","url":"Consent"}}]}`
		r := e.do("POST", "/fhir", rec, tx)
		if r.status < 400 {
			t.Errorf("receptionist transaction recording a Consent: %d", r.status)
		}
		if nurseReadsDiabetes(t, e) {
			t.Error("the receptionist's transaction permit lifted the practice's objection")
		}
	})
	t.Run("objection withdraws the record from the nurse", func(t *testing.T) {
		e := r21bReceptionistEnv(t)
		rec := e.token("receptionist", "nhs", "A81001")
		r := e.do("POST", "/fhir/Consent", rec, strings.Replace(janeConsent("", "2026-01-10", "OPTOUT", ""), `"id":"",`, "", 1))
		if r.status < 400 {
			t.Errorf("receptionist recorded an objection: %d", r.status)
		}
		if !nurseReadsDiabetes(t, e) {
			t.Error("the receptionist's objection withdrew Jane's record from her nurse")
		}
		if r.status == 201 {
			var m map[string]any
			_ = json.Unmarshal([]byte(r.body), &m)
			if g := e.do("GET", "/fhir/Consent/"+m["id"].(string), rec, ""); g.status == 200 {
				t.Logf("she reads it back: %d", g.status)
			} else {
				t.Logf("she cannot read back the Consent she recorded: %d", g.status)
			}
		}
	})
}

// TestReview61dSoundEarlierVersionCodesMaskedToCouncil: the practice's
// deny of Jane's diabetes code to the council (version 1), replaced by a
// plain permit (version 2): the council's social worker reads the
// Consent's history without the code of version 1.
func TestReview61dSoundEarlierVersionCodesMaskedToCouncil(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/nd", janeConsent("nd", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"R61D-DIAB"}]}]}`)})
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/nd", janeConsent("nd", "2026-01-11", "OPTIN", "")})
	// (The diagnosis itself is the council's to read once permitted, so
	// the server-wide history is checked for the Consent's term only.)
	for _, p := range []string{"/fhir/Consent/nd/_history", "/fhir/Consent/nd/_history/1", "/fhir/Consent/_history", "/fhir/_history", "/fhir/Consent?patient=jane"} {
		r := e.do("GET", p, sw, "")
		if p != "/fhir/_history" && strings.Contains(r.body, "44054006") || strings.Contains(r.body, "R61D-DIAB") {
			t.Errorf("GET %s as the social worker: %d names the code of the earlier deny: %s", p, r.status, r61dSnippet(r.body, "44054006"))
		}
	}
}

// TestReview61dSoundClientSystemsReadOnlyTheirOwnConsents: a client
// system reads back only its own organisation's Consents (SPEC §1).
func TestReview61dSoundClientSystemsReadOnlyTheirOwnConsents(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cSys := e.token("system", "council", "E06000999")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/gpc", janeConsent("gpc", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","actor":[`+r51cCouncilIRCP+`]}`)})
	e.putAll(t, cSys, [2]string{"/fhir/Consent/cc", janeConsent("cc", "2026-01-10", "OPTIN", "")})
	for _, c := range []struct{ tok, mine, other string }{{gpSys, "gpc", "cc"}, {cSys, "cc", "gpc"}} {
		if r := e.do("GET", "/fhir/Consent/"+c.mine, c.tok, ""); r.status != 200 {
			t.Errorf("own Consent %s: %d", c.mine, r.status)
		}
		for _, p := range []string{"/fhir/Consent/" + c.other, "/fhir/Consent/" + c.other + "/_history", "/fhir/Consent?patient=jane", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, c.tok, "")
			if strings.Contains(r.body, `"id":"`+c.other+`"`) {
				t.Errorf("GET %s by the system that recorded %s: %d releases %s", p, c.mine, r.status, c.other)
			}
		}
	}
}
