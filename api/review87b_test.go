package api_test

// Review 87b: stale decisions. Each probe warms whatever the request path
// caches (the PatientContext cache, the restricted-number cache, the
// prepared decisions, break-glass grants), changes what a user may see
// through the API, and reads again at once: README (Storage) "Each
// person's sharing context ... is cached between requests and invalidated
// by version whenever a write could change it"; SPEC §5 "Withheld items
// are simply absent — from reads (404), searches, $everything, ...
// _include/_revinclude and totals".

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store/sqlite"
)

const r87bBob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
"name":[{"family":"Jones","given":["Bob"]}],"gender":"male","birthDate":"1948-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]}`

// r87bViews checks, for tok, that marker is visible (want true) or absent
// (want false) by read, search, $everything and _revinclude of Jane's
// Condition/diabetes.
func (e *env) r87bViews(t *testing.T, step, tok string, want bool) {
	t.Helper()
	r := e.do("GET", "/fhir/Condition/diabetes", tok, "")
	if got := r.status == 200; got != want {
		t.Errorf("%s: read Condition/diabetes: %d (want visible=%v)", step, r.status, want)
	}
	for _, p := range []string{"/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything",
		"/fhir/Patient?_id=jane&_revinclude=Condition:subject", "/fhir/Condition?_id=diabetes&_include=Condition:subject"} {
		r := e.do("GET", p, tok, "")
		if r.status != 200 && r.status != 403 && r.status != 404 {
			t.Errorf("%s: %s: %d %s", step, p, r.status, r.body)
			continue
		}
		if got := strings.Contains(r.body, "GP-DIABETES"); got != want {
			t.Errorf("%s: %s: GP-DIABETES present=%v (want %v), status %d", step, p, got, want, r.status)
		}
	}
}

// TestReview87bSoundConsentChangesTakeEffectAtOnce: a new deny to the
// nurse's organisation, a PUT of it narrowing to a class, a PUT widening
// to none, an OPTOUT, a label deny, and a DELETE of the newer Consent
// (README: "a correction of the newer (entered-in-error, a delete ...)
// brings them back into force"), each read at once after its 2xx by
// read, search, $everything and _include/_revinclude.
func TestReview87bSoundConsentChangesTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.r87bViews(t, "before", nurse, true)

	// 1a: deny to the nurse's organisation.
	if r := e.do("PUT", "/fhir/Consent/c1", gpSys, denyOrgConsent("c1", "jane", "RCX")); r.status != 201 {
		t.Fatalf("consent c1: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after deny RCX", nurse, false)

	// 1b: PUT of c1 allowing all but observations (widening).
	if r := e.do("PUT", "/fhir/Consent/c1", gpSys, janeConsent("c1", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"observations"}]}`)); r.status != 200 {
		t.Fatalf("consent c1 v2: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after PUT widening", nurse, true)

	// 1c: PUT of c1 denying problems (narrowing by class).
	if r := e.do("PUT", "/fhir/Consent/c1", gpSys, janeConsent("c1", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"problems"}]}`)); r.status != 200 {
		t.Fatalf("consent c1 v3: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after PUT deny problems", nurse, false)

	// 1d: a newer OPTIN with nothing denied supersedes it (widening).
	if r := e.do("PUT", "/fhir/Consent/c2", gpSys, janeConsent("c2", "2026-02-10", "OPTIN", "")); r.status != 201 {
		t.Fatalf("consent c2: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after newer OPTIN", nurse, true)

	// 1e: DELETE of the newer: the older deny of problems is in force again.
	if r := e.do("DELETE", "/fhir/Consent/c2", gpSys, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete c2: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after DELETE of newer", nurse, false)

	// 1f: an OPTOUT newer still.
	if r := e.do("PUT", "/fhir/Consent/c3", gpSys, janeConsent("c3", "2026-03-10", "OPTIN", "")); r.status != 201 {
		t.Fatalf("consent c3: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after OPTIN c3", nurse, true)
	if r := e.do("PUT", "/fhir/Consent/c4", gpSys, janeConsent("c4", "2026-04-10", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("consent c4: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after OPTOUT", nurse, false)
}

// TestReview87bSoundLabelledByUpdate: a PUT of the GP's Condition adding
// an HIV code labels it; the nurse's next read, search, $everything and
// includes withhold it (SPEC §5 Sensitivity).
func TestReview87bSoundLabelledByUpdate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.r87bViews(t, "before", nurse, true)
	if r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"},{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-DIABETES"}}`); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "after HIV code added", nurse, false)
}

// r87bRelationship seeds Jane registered with A81001 and a member org
// RCY (which writes nothing) on a CareTeam or EpisodeOfCare the GP
// practice records, checks RCY's nurse reads, then writes the ending
// body and checks the nurse is refused at once.
func r87bRelationship(t *testing.T, path, active, ended string) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCY")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Fatalf("before any relationship: %d", r.status)
	}
	if r := e.do("PUT", path, gpSys, active); r.status != 201 {
		t.Fatalf("seed %s: %d %s", path, r.status, r.body)
	}
	e.r87bViews(t, "relationship in force", nurse, true)
	if r := e.do("PUT", path, gpSys, ended); r.status != 200 {
		t.Fatalf("end %s: %d %s", path, r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Errorf("after the relationship ended: read %d, want 403/404: %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); r.status != 403 || strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("after the relationship ended: $everything %d, want 403", r.status)
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", nurse, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("after the relationship ended: search %d released it", r.status)
	}
}

// TestReview87bSoundRelationshipEnds: SPEC §5 layer 2 "a member of an
// active CareTeam or EpisodeOfCare"; once it is inactive, ended or
// finished, the member's next request is a 403.
func TestReview87bSoundRelationshipEnds(t *testing.T) {
	team := func(status, period string) string {
		return `{"resourceType":"CareTeam","id":"rcy","status":"` + status + `"` + period + `,"subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCY"}}]}`
	}
	episode := func(status, period string) string {
		return `{"resourceType":"EpisodeOfCare","id":"rcy","status":"` + status + `"` + period + `,"patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/RCY"}}`
	}
	t.Run("careteam-inactive", func(t *testing.T) {
		r87bRelationship(t, "/fhir/CareTeam/rcy", team("active", ""), team("inactive", ""))
	})
	t.Run("careteam-period-ended", func(t *testing.T) {
		r87bRelationship(t, "/fhir/CareTeam/rcy", team("active", `,"period":{"start":"2025-01-01"}`), team("active", `,"period":{"start":"2025-01-01","end":"2026-01-01"}`))
	})
	t.Run("episode-finished", func(t *testing.T) {
		r87bRelationship(t, "/fhir/EpisodeOfCare/rcy", episode("active", ""), episode("finished", `,"period":{"start":"2025-01-01","end":"2026-01-01"}`))
	})
	t.Run("gp-moved", func(t *testing.T) {
		// Jane's Patient, recorded by the hospital RHX, names practice
		// A81002 (which records nothing); it moves to A81003.
		e := newEnv(t)
		hosp := e.token("system", "nhs", "RHX")
		pat := func(gp string) string {
			return strings.Replace(janeJSON, "Organization/A81001", "Organization/"+gp, 1)
		}
		if r := e.do("PUT", "/fhir/Patient/jane", hosp, pat("A81002")); r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
		if r := e.do("PUT", "/fhir/Condition/diabetes", hosp, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES"}}`); r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
		oldGP := e.token("gp", "nhs", "A81002")
		e.r87bViews(t, "registered", oldGP, true)
		if r := e.do("PUT", "/fhir/Patient/jane", hosp, pat("A81003")); r.status != 200 {
			t.Fatalf("move: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/diabetes", oldGP, ""); r.status == 200 {
			t.Errorf("old practice after the move: %d, want 403/404", r.status)
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", oldGP, ""); r.status != 403 || strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("old practice $everything after the move: %d, want 403", r.status)
		}
		newGP := e.token("gp", "nhs", "A81003")
		if r := e.do("GET", "/fhir/Condition/diabetes", newGP, ""); r.status != 200 {
			t.Errorf("new practice after the move: %d, want 200", r.status)
		}
	})
}

// TestReview87bSoundRestrictedByUpdate: SPEC §5 "A patient whose
// demographics are marked restricted (confidentiality R) never has
// address, telephone or GP released outside the source organisation, and
// every access to them raises an IG alert" — from the request after the
// PUT that marks her, by read, search, $everything and _include.
func TestReview87bSoundRestrictedByUpdate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	full := strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["R87B-ADDRESS 1 Lane"],"postalCode":"LS1 1AA"}],"telecom":[{"system":"phone","value":"0113 496 0087"}],"gender"`, 1)
	if r := e.do("PUT", "/fhir/Patient/jane", gpSys, full); r.status != 200 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	paths := []string{"/fhir/Patient/jane", "/fhir/Patient?_id=jane", "/fhir/Patient/jane/$everything", "/fhir/Condition?_id=diabetes&_include=Condition:subject",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}
	for _, p := range paths {
		if r := e.do("GET", p, nurse, ""); !strings.Contains(r.body, "R87B-ADDRESS") {
			t.Fatalf("before: %s: no address: %d %s", p, r.status, r.body)
		}
	}
	restricted := strings.Replace(full, `"id":"jane",`, `"id":"jane","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`, 1)
	if r := e.do("PUT", "/fhir/Patient/jane", gpSys, restricted); r.status != 200 {
		t.Fatalf("restrict: %d %s", r.status, r.body)
	}
	for _, p := range paths {
		r := e.do("GET", p, nurse, "")
		for _, s := range []string{"R87B-ADDRESS", "0113 496 0087", "A81001"} {
			if strings.Contains(r.body, s) {
				t.Errorf("after R: %s released %q (%d)", p, s, r.status)
			}
		}
	}
	if !e.accessLogged(t, "district-nurse-user", consent.CodeRestrictedPatient) {
		t.Errorf("no restricted-patient alert for the nurse's reads after R")
	}
}

// TestReview87bSoundBreakGlassGrantExpires: README "grants that user access to
// that person for 4 hours" (the policy's break-glass-grant, here 2s): a
// grant for Jane is not one for Bob, and once it has expired the user is
// refused again (403) with no X-Break-Glass.
func TestReview87bSoundBreakGlassGrantExpires(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "break-glass-grant 4h", "break-glass-grant 2s", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/bob", r87bBob},
		[2]string{"/fhir/Condition/bob-dx", `{"resourceType":"Condition","id":"bob-dx","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-DX"}}`})
	stranger := e.token("gp", "nhs", "Z99999")
	if r := e.do("GET", "/fhir/Condition/diabetes", stranger, ""); r.status == 200 {
		t.Fatalf("before: %d", r.status)
	}
	start := time.Now()
	if r := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, no history"); r.status != 200 {
		t.Fatalf("break glass: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", stranger, ""); r.status != 200 && time.Since(start) < time.Second {
		t.Errorf("within the grant: %d, want 200", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/bob-dx", stranger, ""); r.status == 200 {
		t.Errorf("Bob with Jane's grant: %d, want 403/404", r.status)
	}
	if r := e.do("GET", "/fhir/Condition?patient=bob", stranger, ""); strings.Contains(r.body, "BOB-DX") {
		t.Errorf("Bob's search with Jane's grant released BOB-DX (%d)", r.status)
	}
	time.Sleep(2500 * time.Millisecond)
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", p, stranger, ""); r.status == 200 {
			t.Errorf("after the grant expired: %s: %d, want 403/404", p, r.status)
		}
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane", stranger, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("after the grant expired: search released GP-DIABETES (%d)", r.status)
	}
}

// TestReview87bSoundTimedConsentStarts: README "a consent whose root
// provision.period does not contain the present is not in force ... they
// decide again when it ends or before it begins". A deny of the nurse's
// organisation starting 3 s from now: once the present is inside its
// period, the nurse's next read is withheld, with no write in between
// (a context cached with the consent judged out of force would leak).
func TestReview87bSoundTimedConsentStarts(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("timed to the second: a request slowed by the race detector may cross the boundary it reads on either side")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	from := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second)
	body := janeConsent("timed", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","period":{"start":"`+from.Format(time.RFC3339)+`"},
 "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}`)
	if r := e.do("PUT", "/fhir/Consent/timed", gpSys, body); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if time.Now().Before(from) {
		e.r87bViews(t, "before the period", nurse, true)
	}
	time.Sleep(time.Until(from) + 300*time.Millisecond)
	e.r87bViews(t, "inside the period", nurse, false)
}

// TestReview87bSoundTimedCareTeamEnds: a CareTeam naming RCY whose period ends
// 3 s from now: after the end, RCY's next request is a 403 with no write
// in between.
func TestReview87bSoundTimedCareTeamEnds(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("timed to the second: a request slowed by the race detector may cross the boundary it reads on either side")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCY")
	until := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second)
	if r := e.do("PUT", "/fhir/CareTeam/rcy", gpSys, `{"resourceType":"CareTeam","id":"rcy","status":"active","period":{"start":"2025-01-01","end":"`+until.Format(time.RFC3339)+`"},"subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RCY"}}]}`); r.status != 201 {
		t.Fatalf("careteam: %d %s", r.status, r.body)
	}
	if time.Now().Before(until) {
		e.r87bViews(t, "in the team", nurse, true)
	}
	// README: "each end's whole day, month or year included": an end
	// given to the second ends when that second does.
	time.Sleep(time.Until(until) + 1300*time.Millisecond)
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Errorf("after the team's end: %d, want 403/404", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); r.status != 403 {
		t.Errorf("after the team's end: $everything %d, want 403", r.status)
	}
}

// TestReview87bSoundConcurrentWithdrawal: readers loop on the nurse's read of
// Condition/diabetes while the GP practice records a deny of the nurse's
// organisation; no read that started after the write's 201 was received
// may release it.
func TestReview87bSoundConcurrentWithdrawal(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for round := 0; round < 5; round++ {
		id := fmt.Sprintf("w%d", round)
		// reopen: a newer OPTIN (each round dated later).
		if round > 0 {
			open := janeConsent("o"+id, fmt.Sprintf("2026-0%d-11", round+1), "OPTIN", "")
			if r := e.do("PUT", "/fhir/Consent/o"+id, gpSys, open); r.status != 201 {
				t.Fatalf("reopen: %d %s", r.status, r.body)
			}
		}
		if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
			t.Fatalf("round %d before: %d", round, r.status)
		}
		type obs struct {
			start time.Time
			found bool
			id    string
		}
		var mu sync.Mutex
		var seen []obs
		pending := map[string]bool{}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					id := fmt.Sprintf("r87b-%d-%d", round, len(seen)+len(pending))
					pending[id] = true
					mu.Unlock()
					s := time.Now()
					r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Request-Id", id)
					mu.Lock()
					seen = append(seen, obs{s, strings.Contains(r.body, "GP-DIABETES"), id})
					mu.Unlock()
				}
			}()
		}
		time.Sleep(30 * time.Millisecond)
		deny := janeConsent(id, fmt.Sprintf("2026-0%d-12", round+1), "OPTIN", `,
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}`)
		if r := e.do("PUT", "/fhir/Consent/"+id, gpSys, deny); r.status != 201 {
			t.Fatalf("deny: %d %s", r.status, r.body)
		}
		done := time.Now()
		time.Sleep(60 * time.Millisecond)
		close(stop)
		wg.Wait()
		n := 0
		for _, o := range seen {
			if o.start.After(done) {
				n++
				if o.found {
					t.Errorf("round %d: a read started %v after the 201 released GP-DIABETES", round, o.start.Sub(done))
				}
			}
		}
		if n == 0 {
			t.Errorf("round %d: no read started after the write", round)
		}
		// The log records the decision each read made (SPEC §6 "what was
		// released and how many items were withheld").
		logged := map[string]api.Exchange{}
		e.rec.mu.Lock()
		for _, x := range e.rec.xs {
			logged[x.RequestID] = x
		}
		e.rec.mu.Unlock()
		for _, o := range seen {
			x, ok := logged[o.id]
			if !ok {
				t.Errorf("round %d: read %s not logged", round, o.id)
				continue
			}
			rel := false
			for _, v := range x.Released {
				rel = rel || strings.HasPrefix(v, "Condition/diabetes/")
			}
			if rel != o.found {
				t.Errorf("round %d: read %s answered diabetes=%v but logged released=%v (%v)", round, o.id, o.found, rel, x.Released)
			}
			if !o.found && (x.Withheld == 0 || !slices.Contains(x.Reasons, consent.CodeConsentDeny)) {
				t.Errorf("round %d: read %s withheld diabetes but logged withheld=%d reasons=%v", round, o.id, x.Withheld, x.Reasons)
			}
		}
	}
}

// r87bSecond is a second server process on e's database file (its own
// store handle, caches and policy), accepting e's tokens: as a second
// `carex serve` or a `carex import` beside the first would be.
func r87bSecond(t *testing.T, e *env) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), e.db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	v, err := auth.NewVerifier(auth.Config{DevKey: e.key})
	if err != nil {
		t.Fatal(err)
	}
	rec := &memRecorder{}
	s := api.New(api.Config{Store: db, Verifier: v, Dev: true, MaxBody: 64 << 10, Recorder: rec})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, srv: hs, key: e.key, api: s, base: hs.URL, rec: rec, db: db}
}

// TestReview87bSoundOtherProcessConsent: README (Storage) "another process
// writing the same file is noticed through the WAL-index header": the
// nurse's view on server 1 (warmed) narrows as soon as server 2 answers
// 201 to Jane's objection, widens when server 2 records a newer opt-in,
// and narrows again on its DELETE (the older in force again).
func TestReview87bSoundOtherProcessConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e2 := r87bSecond(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	e.r87bViews(t, "before", nurse, true)
	e2.r87bViews(t, "before, server 2", nurse, true)
	if r := e2.do("PUT", "/fhir/Consent/c1", gpSys, denyOrgConsent("c1", "jane", "RCX")); r.status != 201 {
		t.Fatalf("consent on server 2: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "server 1 after server 2's deny", nurse, false)
	if r := e2.do("PUT", "/fhir/Consent/c2", gpSys, janeConsent("c2", "2026-02-10", "OPTIN", "")); r.status != 201 {
		t.Fatalf("opt-in on server 2: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "server 1 after server 2's opt-in", nurse, true)
	if r := e2.do("DELETE", "/fhir/Consent/c2", gpSys, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete on server 2: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "server 1 after server 2's delete", nurse, false)
	// and the Patient marked R by server 2: server 1's next read of her
	// Patient releases no GP.
	r := e.do("GET", "/fhir/Patient/jane", e.token("social-worker", "council", "E06000999"), "")
	if r.status != 200 || !strings.Contains(r.body, "A81001") {
		t.Fatalf("social worker before R: %d %s", r.status, r.body)
	}
	restricted := strings.Replace(janeJSON, `"id":"jane",`, `"id":"jane","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`, 1)
	if r := e2.do("PUT", "/fhir/Patient/jane", gpSys, restricted); r.status != 200 {
		t.Fatalf("restrict on server 2: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane", e.token("social-worker", "council", "E06000999"), ""); strings.Contains(r.body, "A81001") {
		t.Errorf("server 1 after server 2 marked her R: GP released (%d)", r.status)
	}
}

// TestReview87bSoundBatchReadAfterConsent: within one batch, a read after the
// batch's own Consent entry (201) must be decided with it: SPEC §3 "a
// batch: entries succeed or fail on their own", each in order; README
// "Per request, carex prepares each patient once" must not carry the
// decision prepared for the first entry past the Consent entry.
func TestReview87bSoundBatchReadAfterConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	consentBody := strings.ReplaceAll(janeConsent("n1", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","class":[{"system":"https://carex.example/data-class","code":"problems"}]}`), "\n", " ")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"request":{"method":"GET","url":"Condition/diabetes"}},
	 {"resource":` + consentBody + `,"request":{"method":"PUT","url":"Consent/n1"}},
	 {"request":{"method":"GET","url":"Condition/diabetes"}},
	 {"request":{"method":"GET","url":"Condition?patient=jane"}},
	 {"request":{"method":"GET","url":"Patient/jane/$everything"}}]}`
	r := e.do("POST", "/fhir", nurse, batch)
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
			Response struct {
				Status string `json:"status"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || len(b.Entry) != 5 {
		t.Fatalf("batch answer: %v %s", err, r.body)
	}
	if !strings.HasPrefix(b.Entry[0].Response.Status, "200") || !strings.HasPrefix(b.Entry[1].Response.Status, "201") {
		t.Skipf("set-up: first read %s, consent %s: %s", b.Entry[0].Response.Status, b.Entry[1].Response.Status, r.body)
	}
	if !strings.HasPrefix(b.Entry[2].Response.Status, "404") || strings.Contains(string(b.Entry[2].Resource), "GP-DIABETES") {
		t.Errorf("read after the batch's consent: %s %s", b.Entry[2].Response.Status, b.Entry[2].Resource)
	}
	for i := 3; i < 5; i++ {
		if strings.Contains(string(b.Entry[i].Resource), "GP-DIABETES") {
			t.Errorf("entry %d after the batch's consent released GP-DIABETES", i)
		}
	}
	// And the next request.
	e.r87bViews(t, "after the batch", nurse, false)
}

// TestReview87bSoundLinkedRecordConsent: README "Its Consents keep reaching
// the Patients that carry its last numbers": the hospital's Patient
// hosp-jane carries Jane's NHS number; an opt-out the hospital records on
// hosp-jane withholds the GP's diagnosis under Patient/jane from the
// nurse at once, though no write touched jane's compartment. Checked
// against a cold second server on the same file so that the warm answer
// is compared with carex's own fresh decision.
func TestReview87bSoundLinkedRecordConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	hj := strings.Replace(strings.Replace(janeJSON, `"id":"jane"`, `"id":"hosp-jane"`, 1), `,"generalPractitioner":[{"reference":"Organization/A81001"}]`, "", 1)
	if r := e.do("PUT", "/fhir/Patient/hosp-jane", hosp, hj); r.status != 201 {
		t.Fatalf("hosp-jane: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "before", nurse, true)
	if r := e.do("PUT", "/fhir/Consent/hj-out", hosp, patientConsent("hj-out", "hosp-jane", "2026-01-10", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out on hosp-jane: %d %s", r.status, r.body)
	}
	cold := r87bSecond(t, e)
	coldRead := cold.do("GET", "/fhir/Condition/diabetes", nurse, "").status
	warmRead := e.do("GET", "/fhir/Condition/diabetes", nurse, "").status
	if coldRead != warmRead {
		t.Errorf("warm server %d, cold server %d for the same read", warmRead, coldRead)
	}
	if warmRead == 200 {
		t.Errorf("the opt-out recorded on hosp-jane did not reach Patient/jane's diagnosis (warm %d, cold %d)", warmRead, coldRead)
	}
}

// TestReview87bSoundPermitWithdrawn: README "a permit releases sensitive
// data only when ... it is the person's latest word: dated, and newer than
// every other Consent that counts, whoever recorded it". The GP practice's
// permit of HIV-labelled data to the hospital is put out of force by the
// community trust's newer Consent, back into force by its DELETE, and
// out again by the practice's newer deny of the label: each on the
// hospital clinician's next read, search, $everything and _revinclude.
func TestReview87bSoundPermitWithdrawn(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const hiv = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}`
	const std = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"STD"}`
	hospital := `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/RHX"}}`
	views := func(step string, want bool) {
		t.Helper()
		if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); (r.status == 200) != want {
			t.Errorf("%s: read Condition/hiv %d (want visible=%v)", step, r.status, want)
		}
		for _, p := range []string{"/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Patient?_id=jane&_revinclude=Condition:subject"} {
			if r := e.do("GET", p, hosp, ""); strings.Contains(r.body, "GP-HIV-UNLABELLED") != want {
				t.Errorf("%s: %s: HIV present=%v (want %v)", step, p, !want, want)
			}
		}
	}
	views("before", false)
	if r := e.do("PUT", "/fhir/Consent/permit", gpSys, janeConsent("permit", "2026-01-10", "OPTIN",
		`,"provision":{"type":"permit","actor":[`+hospital+`],"securityLabel":[`+hiv+`,`+std+`]}`)); r.status != 201 {
		t.Fatalf("permit: %d %s", r.status, r.body)
	}
	views("after the permit", true)
	if r := e.do("PUT", "/fhir/Consent/trust", trust, janeConsent("trust", "2026-02-10", "OPTIN", "")); r.status != 201 {
		t.Fatalf("trust's consent: %d %s", r.status, r.body)
	}
	views("after the trust's newer consent", false)
	if r := e.do("DELETE", "/fhir/Consent/trust", trust, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	views("after its delete", true)
	if r := e.do("PUT", "/fhir/Consent/nolabel", gpSys, janeConsent("nolabel", "2026-03-10", "OPTIN",
		`,"provision":{"type":"deny","securityLabel":[`+hiv+`]}`)); r.status != 201 {
		t.Fatalf("deny label: %d %s", r.status, r.body)
	}
	views("after the deny of the label", false)
}

// TestReview87bSoundRestrictedByOtherRecord: README "whether their
// demographics are restricted (their Patient labelled R or V, or a record
// of theirs it links to, or any other Patient carrying their NHS number)":
// the hospital marks its own record of Jane (same NHS number) R; the
// nurse's next read of the GP's Patient/jane (warmed) releases no
// address, telephone or GP.
func TestReview87bSoundRestrictedByOtherRecord(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	full := strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["R87B-ADDRESS 1 Lane"],"postalCode":"LS1 1AA"}],"telecom":[{"system":"phone","value":"0113 496 0087"}],"gender"`, 1)
	e.putAll(t, gpSys, [2]string{"/fhir/Patient/jane", full})
	hj := strings.Replace(strings.Replace(janeJSON, `"id":"jane"`, `"id":"hosp-jane"`, 1), `,"generalPractitioner":[{"reference":"Organization/A81001"}]`, "", 1)
	e.putAll(t, hosp, [2]string{"/fhir/Patient/hosp-jane", hj})
	paths := []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything", "/fhir/Condition?_id=diabetes&_include=Condition:subject"}
	for _, p := range paths {
		if r := e.do("GET", p, nurse, ""); !strings.Contains(r.body, "R87B-ADDRESS") {
			t.Fatalf("before: %s: %d %s", p, r.status, r.body)
		}
	}
	e.putAll(t, hosp, [2]string{"/fhir/Patient/hosp-jane", strings.Replace(hj, `"id":"hosp-jane",`, `"id":"hosp-jane","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`, 1)})
	for _, p := range paths {
		r := e.do("GET", p, nurse, "")
		for _, s := range []string{"R87B-ADDRESS", "0113 496 0087", "A81001"} {
			if strings.Contains(r.body, s) {
				t.Errorf("after hosp-jane marked R: %s released %q (%d)", p, s, r.status)
			}
		}
	}
}

// TestReview87bSoundCareTeamByNumber: README "a care team relating its
// members only to the person its subject names, by reference or by an
// NHS number her Patient carries". A team naming Jane by NHS number alone
// relates RCY; once its recorder sets it inactive, RCY's next requests
// are refused, as a cold server on the same file decides. (A Consent
// naming her by number alone is refused, 422, so cannot be probed so.)
func TestReview87bSoundCareTeamByNumber(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCY")
	team := func(status string) string {
		return `{"resourceType":"CareTeam","id":"num","status":"` + status + `","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"participant":[{"member":{"reference":"Organization/RCY"}}]}`
	}
	if r := e.do("PUT", "/fhir/CareTeam/num", gpSys, team("active")); r.status != 201 {
		t.Fatalf("team by number: %d %s", r.status, r.body)
	}
	e.r87bViews(t, "in the team", nurse, true)
	if r := e.do("PUT", "/fhir/CareTeam/num", gpSys, team("inactive")); r.status != 200 {
		t.Fatalf("inactive: %d %s", r.status, r.body)
	}
	cold := r87bSecond(t, e)
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane"} {
		w, c := e.do("GET", p, nurse, ""), cold.do("GET", p, nurse, "")
		if w.status != c.status || strings.Contains(w.body, "GP-DIABETES") != strings.Contains(c.body, "GP-DIABETES") {
			t.Errorf("%s: warm %d (diabetes %v), cold %d (diabetes %v)", p, w.status, strings.Contains(w.body, "GP-DIABETES"), c.status, strings.Contains(c.body, "GP-DIABETES"))
		}
		if strings.Contains(w.body, "GP-DIABETES") {
			t.Errorf("%s: the inactive team still released GP-DIABETES (%d)", p, w.status)
		}
	}
}
