package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 96a: stale sharing decisions — caches, time and concurrent
// changes (SPEC §5). Every probe runs a real server on a real SQLite file
// with real tokens. Its one finding, a transaction's matched conditional
// create answered as decided before the objection the transaction
// commits, is fixed (transaction decides such a match again).

// r96aStamp is t as a FHIR dateTime to the second, in UTC.
func r96aStamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// r96aDenyRCX is Jane's objection to sharing with the community trust RCX
// (the district nurse's organisation), recorded by her GP system, dated
// date, with the root provision's period extra (`,"period":{…}` or "").
func r96aDenyRCX(id, date, period string) string {
	return janeConsent(id, date, "OPTIN", `,
 "provision":{"type":"deny"`+period+`,"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Organization/RCX"}}]}`)
}

// r96aNurseSees reports whether the district nurse at RCX is given the
// GP's diabetes Condition by a read, a search and $everything (each).
func r96aNurseSees(e *env) (read, search, everything bool) {
	nurse := e.token("district-nurse", "nhs", "RCX")
	read = e.do("GET", "/fhir/Condition/diabetes", nurse, "").status == 200
	search = strings.Contains(e.do("GET", "/fhir/Condition?patient=jane", nurse, "").body, "GP-DIABETES")
	everything = strings.Contains(e.do("GET", "/fhir/Patient/jane/$everything", nurse, "").body, "GP-DIABETES")
	return
}

func r96aWaitUntil(t *testing.T, at time.Time) {
	t.Helper()
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
}

// TestReview96aSoundConsentDenyConcurrentReads: the GP system writes
// Jane's objection to the community trust while the district nurse reads,
// searches and asks for $everything on other connections, as fast as they
// can. No request the nurse starts after the write's 201 returned releases
// the GP's diabetes Condition (SPEC §5 layer 3). Repeated over several
// people, each in a fresh race.
func TestReview96aSoundConsentDenyConcurrentReads(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	get := func(path string) (int, string, error) {
		req, _ := http.NewRequest("GET", e.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+nurse)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), nil
	}
	const rounds = 8
	var after, released, total atomic.Int64
	for i := range rounds {
		// a fresh item in Jane's record per round, the consent rewritten
		// between rounds (withdrawn, then objected again)
		cid := fmt.Sprintf("dx96-%d", i)
		text := fmt.Sprintf("GP-DX96-%d", i)
		e.putAll(t, gpSys, [2]string{"/fhir/Condition/" + cid, `{"resourceType":"Condition","id":"` + cid + `","subject":{"reference":"Patient/jane"},"code":{"text":"` + text + `"}}`})
		if r := e.do("DELETE", "/fhir/Consent/c96-deny", gpSys, ""); r.status >= 300 && r.status != 404 {
			t.Fatalf("round %d: deleting the objection: %d %s", i, r.status, r.body)
		}
		if st, body, _ := get("/fhir/Condition/" + cid); st != 200 {
			t.Fatalf("premise round %d: the nurse is not given %s before the objection: %d %.200s", i, cid, st, body)
		}
		var written atomic.Bool
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, p := range []string{"/fhir/Condition/" + cid, "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					started := written.Load()
					_, body, err := get(p)
					if err != nil || !started {
						continue
					}
					total.Add(1)
					after.Add(1)
					if strings.Contains(body, text) {
						released.Add(1)
						t.Errorf("round %d: GET %s started after the objection's 201 released %s", i, p, text)
					}
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		if r := e.do("PUT", "/fhir/Consent/c96-deny", gpSys, r96aDenyRCX("c96-deny", r96aStamp(time.Now()), "")); r.status != 200 && r.status != 201 {
			close(stop)
			wg.Wait()
			t.Fatalf("round %d: the objection: %d %s", i, r.status, r.body)
		}
		written.Store(true)
		time.Sleep(60 * time.Millisecond)
		close(stop)
		wg.Wait()
	}
	if after.Load() == 0 {
		t.Fatalf("no read started after any objection's 201")
	}
	t.Logf("%d reads after the objections' 201s, %d released the withdrawn item", after.Load(), released.Load())
}

// TestReview96aSoundConsentPeriodEndsWithTime: an objection limited by its
// period to the next few seconds withholds the GP's data from the nurse
// while in force, and releases it again once the period has passed, with
// no write in between (SPEC §5: `period` is when the consent applies).
func TestReview96aSoundConsentPeriodEndsWithTime(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	end := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/c96-until",
		r96aDenyRCX("c96-until", r96aStamp(time.Now().Add(-time.Minute)), `,"period":{"start":"`+r96aStamp(time.Now().Add(-time.Hour))+`","end":"`+r96aStamp(end)+`"}`)})
	if r, s, ev := r96aNurseSees(e); (r || s || ev) && time.Now().Before(end) {
		t.Fatalf("premise: within the objection's period the nurse is given the diabetes (read %v search %v $everything %v)", r, s, ev)
	}
	r96aWaitUntil(t, end.Add(1500*time.Millisecond))
	if r, s, ev := r96aNurseSees(e); !r || !s || !ev {
		t.Errorf("the objection's period ended at %s, now %s: the nurse is still refused the diabetes (read %v search %v $everything %v)", r96aStamp(end), r96aStamp(time.Now()), r, s, ev)
	}
}

// TestReview96aSoundConsentPeriodStartsWithTime: an objection whose period
// starts a few seconds from now (recorded now) withholds from its start,
// with no write in between: a decision made before its start is not kept.
func TestReview96aSoundConsentPeriodStartsWithTime(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	start := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/c96-from",
		r96aDenyRCX("c96-from", r96aStamp(time.Now().Add(-time.Minute)), `,"period":{"start":"`+r96aStamp(start)+`"}`)})
	if r, s, ev := r96aNurseSees(e); (!r || !s || !ev) && time.Now().Before(start) {
		t.Fatalf("premise: before the objection's period the nurse is refused (read %v search %v $everything %v)", r, s, ev)
	}
	r96aWaitUntil(t, start.Add(1500*time.Millisecond))
	if r, s, ev := r96aNurseSees(e); r || s || ev {
		t.Errorf("the objection's period started at %s, now %s: the nurse is still given the diabetes (read %v search %v $everything %v)", r96aStamp(start), r96aStamp(time.Now()), r, s, ev)
	}
}

// TestReview96aSoundNewerBoundedConsentPausesOlderOnlyWhileInForce:
// Jane's GP recorded her objection to the community trust; a newer Consent
// of the same recorder (an OPTIN with no exceptions: share) limited to the
// next few seconds supersedes it while in force. Once that period has
// passed, with no write in between, the older objection applies again
// (engine.go prepareConsents: "a Consent limited to a period pauses the
// older ones only while it is in force").
func TestReview96aSoundNewerBoundedConsentPausesOlderOnlyWhileInForce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	end := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	e.putAll(t, gpSys,
		[2]string{"/fhir/Consent/c96-old", r96aDenyRCX("c96-old", "2026-01-10", "")},
		[2]string{"/fhir/Consent/c96-pause", janeConsent("c96-pause", r96aStamp(time.Now().Add(-time.Minute)), "OPTIN",
			`,"provision":{"type":"permit","period":{"start":"`+r96aStamp(time.Now().Add(-time.Hour))+`","end":"`+r96aStamp(end)+`"}}`)})
	if r, s, ev := r96aNurseSees(e); (!r || !s || !ev) && time.Now().Before(end) {
		t.Fatalf("premise: while the newer share is in force the nurse is refused (read %v search %v $everything %v)", r, s, ev)
	}
	r96aWaitUntil(t, end.Add(1500*time.Millisecond))
	if r, s, ev := r96aNurseSees(e); r || s || ev {
		t.Errorf("the newer share ended at %s, now %s: the older objection does not apply again (read %v search %v $everything %v)", r96aStamp(end), r96aStamp(time.Now()), r, s, ev)
	}
}

// TestReview96aSoundCareTeamEndsWithTime: a hospice (RYY, no data of its
// own in Jane's record) is on her care team until a few seconds from now;
// once the team's period has passed, with no write in between, the
// hospice nurse is refused (SPEC §5 layer 2: an active CareTeam).
func TestReview96aSoundCareTeamEndsWithTime(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	end := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/CareTeam/c96-hospice",
		`{"resourceType":"CareTeam","id":"c96-hospice","status":"active","subject":{"reference":"Patient/jane"},"period":{"start":"2026-01-01","end":"` + r96aStamp(end) + `"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`})
	hospice := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Condition/diabetes", hospice, ""); r.status != 200 && time.Now().Before(end) {
		t.Fatalf("premise: on the team the hospice nurse is refused: %d %.200s", r.status, r.body)
	}
	e.do("GET", "/fhir/Patient/jane/$everything", hospice, "") // warm whatever is kept
	r96aWaitUntil(t, end.Add(1500*time.Millisecond))
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, hospice, ""); strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("the care team ended at %s, now %s: GET %s still gives the hospice the diabetes (%d)", r96aStamp(end), r96aStamp(time.Now()), p, r.status)
		}
	}
}

// TestReview96aSoundNewerConsentDeletedOlderAppliesAgain: Jane's GP
// recorded her objection to the community trust, then a newer share
// (OPTIN, no exceptions) superseding it, then deleted the newer one:
// the older, "kept in history" (SPEC §5), applies again at once. The same
// when the newer is set inactive, then entered-in-error, and back to
// active (it supersedes again).
func TestReview96aSoundNewerConsentDeletedOlderAppliesAgain(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	newer := janeConsent("c96-new", "2026-06-01", "OPTIN", "")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c96-old", r96aDenyRCX("c96-old", "2026-01-10", "")})
	check := func(step string, want bool) {
		t.Helper()
		if r, s, ev := r96aNurseSees(e); r != want || s != want || ev != want {
			t.Errorf("%s: the nurse given the diabetes: read %v search %v $everything %v, want %v", step, r, s, ev, want)
		}
	}
	check("the objection alone", false)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c96-new", newer})
	check("a newer share supersedes the objection", true)
	for _, status := range []string{"inactive", "entered-in-error"} {
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/c96-new", strings.Replace(newer, `"status":"active"`, `"status":"`+status+`"`, 1)})
		check("the newer share "+status, false)
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/c96-new", newer})
		check("the newer share active again after "+status, true)
	}
	if r := e.do("DELETE", "/fhir/Consent/c96-new", gpSys, ""); r.status >= 300 {
		t.Fatalf("deleting the newer share: %d %s", r.status, r.body)
	}
	check("the newer share deleted", false)
}

// TestReview96aSoundConsentWrittenByAnotherProcess: the server has
// answered the nurse about Jane (her context cached); another process on
// the same database file (carex import's handle and write path) stores
// her objection to the community trust. The server's next answers
// withhold the GP's data at once.
func TestReview96aSoundConsentWrittenByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carex.db")
	open := func() *sqlite.DB {
		db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 := open(), open()
	srv := newEnv(t, func(c *api.Config) { c.Store = db1 })
	imp := newEnv(t, func(c *api.Config) { c.Store = db2 })
	seedShared(t, srv)
	for range 3 {
		if r, s, ev := r96aNurseSees(srv); !r || !s || !ev {
			t.Fatalf("premise: the nurse is refused before the objection (read %v search %v $everything %v)", r, s, ev)
		}
	}
	imp.putAll(t, imp.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/c96-imp", r96aDenyRCX("c96-imp", "2026-06-01", "")})
	if r, s, ev := r96aNurseSees(srv); r || s || ev {
		t.Errorf("an objection stored by another process: the server still gives the nurse the diabetes (read %v search %v $everything %v)", r, s, ev)
	}
	// and withdrawn by it again: released again
	if r := imp.do("DELETE", "/fhir/Consent/c96-imp", imp.token("system", "nhs", "A81001"), ""); r.status >= 300 {
		t.Fatalf("the other process's delete: %d %s", r.status, r.body)
	}
	if r, s, ev := r96aNurseSees(srv); !r || !s || !ev {
		t.Errorf("the objection deleted by another process: the server still refuses (read %v search %v $everything %v)", r, s, ev)
	}
}

// TestReview96aSoundCareTeamStartsWithTime: a hospice put on Jane's care
// team from a few seconds from now is refused before then and given her
// record from then, with no write in between (SPEC §5 layer 2).
func TestReview96aSoundCareTeamStartsWithTime(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	start := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/CareTeam/c96-later",
		`{"resourceType":"CareTeam","id":"c96-later","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RYY"},"period":{"start":"` + r96aStamp(start) + `"}}]}`})
	hospice := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Condition/diabetes", hospice, ""); r.status == 200 && time.Now().Before(start) {
		t.Fatalf("premise: before the membership starts the hospice nurse is given the diabetes")
	}
	r96aWaitUntil(t, start.Add(1500*time.Millisecond))
	if r := e.do("GET", "/fhir/Condition/diabetes", hospice, ""); r.status != 200 {
		t.Errorf("the membership started at %s, now %s: the hospice nurse is refused: %d %.200s", r96aStamp(start), r96aStamp(time.Now()), r.status, r.body)
	}
}

// TestReview96aSoundCareTeamEndedAtOnce: the hospital's discharge-to-assess
// care team names a second council (E08000035, with no data of its own in
// Jane's record) as a participant; its social worker reads Jane's record
// (twice: the decision's inputs cached). When the hospital ends the team
// (status inactive, or its period's end in the past, or the council's
// participation ended), the social worker is refused at once.
func TestReview96aSoundCareTeamEndedAtOnce(t *testing.T) {
	team := func(extra string) string {
		return `{"resourceType":"CareTeam","id":"c96-d2a",` + extra + `,"subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/E08000035"}%s}]}`
	}
	for _, change := range []string{
		fmt.Sprintf(team(`"status":"inactive"`), ""),
		fmt.Sprintf(team(`"status":"active","period":{"start":"2025-01-01","end":"2026-01-01"}`), ""),
		fmt.Sprintf(team(`"status":"active"`), `,"period":{"start":"2025-01-01","end":"2026-01-01"}`),
	} {
		t.Run("", func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			e.putAll(t, hosp, [2]string{"/fhir/CareTeam/c96-d2a", fmt.Sprintf(team(`"status":"active"`), "")})
			sw := e.token("social-worker", "council", "E08000035")
			for range 2 {
				if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); !strings.Contains(r.body, "GP-DIABETES") {
					t.Fatalf("premise: on the team the social worker is not given the diabetes: %d %.200s", r.status, r.body)
				}
			}
			e.putAll(t, hosp, [2]string{"/fhir/CareTeam/c96-d2a", change})
			for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
				if r := e.do("GET", p, sw, ""); strings.Contains(r.body, "GP-DIABETES") {
					t.Errorf("the care team ended (%s): GET %s still gives the council the diabetes (%d)", change, p, r.status)
				}
			}
		})
	}
}

// TestReview96aSoundOldGPPermitStopsWhenGPChanges: README "a permit
// releases sensitive data only when the organisation that recorded it is
// that data's source or the person's registered GP practice". Jane's GP
// (A81001) recorded her permit of HIV-labelled data to the community
// trust; the hospital's HIV diagnosis goes to the nurse. Jane then
// registers with another practice (Patient.generalPractitioner changed):
// the old practice's permit no longer releases the hospital's HIV
// diagnosis, at once.
func TestReview96aSoundOldGPPermitStopsWhenGPChanges(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Condition/c96-hosp-hiv",
		`{"resourceType":"Condition","id":"c96-hosp-hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"HOSP96-HIV"}}`})
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c96-hiv-rcx", janeConsent("c96-hiv-rcx", "2026-06-01", "OPTIN", `,
 "provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},
   "reference":{"reference":"Organization/RCX"}}],
   "securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}]}`)})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for range 2 {
		if r := e.do("GET", "/fhir/Condition/c96-hosp-hiv", nurse, ""); r.status != 200 {
			t.Fatalf("premise: the registered GP's permit does not release the hospital's HIV diagnosis to the nurse: %d %.200s", r.status, r.body)
		}
	}
	moved := strings.Replace(janeJSON, "Organization/A81001", "Organization/B82002", 1)
	if r := e.do("PUT", "/fhir/Patient/jane", gpSys, moved); r.status != 200 {
		t.Fatalf("the practice change: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/c96-hosp-hiv", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP96-HIV") {
			t.Errorf("Jane left practice A81001: its permit still releases the hospital's HIV diagnosis by GET %s (%d)", p, r.status)
		}
	}
}

// TestReview96aSoundMergedRecordTakesObjectionAtOnce: the hospital's own
// record of Jane (hosp-p96: no NHS number) is on the nurse's team and
// read by her (its context cached); Jane's GP record carries her
// objection to the community trust. When the hospital merges its record
// into hers (link replaced-by Patient/jane), the objection reaches the
// hospital record's data at once.
func TestReview96aSoundMergedRecordTakesObjectionAtOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/c96-obj", r96aDenyRCX("c96-obj", "2026-06-01", "")})
	hospPatient38c(t, e, "hosp-p96", "")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for range 2 {
		if r := e.do("GET", "/fhir/Condition/hosp-p96-dx", nurse, ""); r.status != 200 {
			t.Fatalf("premise: before the merge the nurse is refused the hospital's record: %d %.200s", r.status, r.body)
		}
	}
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Patient/hosp-p96", `{"resourceType":"Patient","id":"hosp-p96","active":false,"name":[{"family":"Smith","given":["Jane"]}],
			"link":[{"other":{"reference":"Patient/jane"},"type":"replaced-by"}]}`})
	for _, p := range []string{"/fhir/Condition/hosp-p96-dx", "/fhir/Condition?patient=hosp-p96", "/fhir/Patient/hosp-p96/$everything", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "HOSP38-FRACTURE") {
			t.Errorf("merged into Jane's record, which objects to the trust: GET %s still releases the hospital's diagnosis (%d)", p, r.status)
		}
	}
}

// TestReview96aTransactionMatchReleasesWhatItsObjectionWithholds:
// a GP user's transaction records Jane's objection to sharing with the
// GP's own practice (A81001 as recipient: the hospital's data withheld
// from it) and, in the same transaction, reads the hospital's admission:
// by a GET entry, or by a conditional create that matches it
// (If-None-Exist, Prefer return=representation). A transaction is one
// request: its GETs run after its writes (FHIR R4 3.1.0.11.2), and what it
// answers is decided with what it committed, the objection included; a
// read after it is refused, so its own response must not release the
// admission either (SPEC §5: withheld items are simply absent).
func TestReview96aTransactionMatchReleasesWhatItsObjectionWithholds(t *testing.T) {
	enc := `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`
	for name, read := range map[string]string{
		"GET":              `{"request":{"method":"GET","url":"Encounter/admission"}}`,
		"conditional POST": `{"resource":` + enc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"_id=admission"}}`,
		"conditional POST, the objection POSTed first": "POSTFIRST",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("gp", "nhs", "A81001")
			for range 2 { // the GP is given it before (decision inputs cached)
				if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status != 200 {
					t.Fatalf("premise: the GP is refused the hospital's admission: %d %.200s", r.status, r.body)
				}
			}
			obj := denyOrgConsent("c96-tx", "jane", "A81001")
			tx := `{"resourceType":"Bundle","type":"transaction","entry":[` + read + `,
			 {"resource":` + obj + `,"request":{"method":"PUT","url":"Consent/c96-tx"}}]}`
			if read == "POSTFIRST" {
				tx = `{"resourceType":"Bundle","type":"transaction","entry":[
				 {"resource":` + strings.Replace(obj, `"id":"c96-tx",`, "", 1) + `,"request":{"method":"POST","url":"Consent"}},
				 {"resource":` + enc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"_id=admission"}}]}`
			}
			r := e.do("POST", "/fhir", gp, tx, "Prefer", "return=representation")
			if r.status != 200 {
				t.Fatalf("the transaction: %d %.300s", r.status, r.body)
			}
			if strings.Contains(r.body, "HOSP-ADMISSION") {
				t.Errorf("%s: the transaction recording Jane's objection to A81001 released the hospital's admission to A81001's GP in its own response (%d): …%s…", name, r.status, around21a(r.body, "HOSP-ADMISSION"))
			}
			if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status == 200 {
				t.Errorf("after the objection the GP is given the hospital's admission: %d", r.status)
			}
		})
	}
}
