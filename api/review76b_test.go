package api_test

// Review 76b: the relationship layer (SPEC §5 layer 2) as a council
// integrator and a community trust set up care: who counts as a member of
// a care team or episode of care, when a relationship holds, and whether
// its end is seen on the very next request. Ordinary (unlabelled) data
// only, and no seedShared (it makes RCX and the council sources), so that
// only layer 2 decides.

import (
	"context"
	"encoding/json"
	"github.com/carex-project/carex/store/sqlite"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

const (
	r76bJane = `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04","generalPractitioner":[{"reference":"Organization/A81001"}]}`
	r76bBob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
"name":[{"family":"Jones","given":["Bob"]}],"gender":"male","birthDate":"1948-01-02","generalPractitioner":[{"reference":"Organization/A81001"}]}`
	r76bDiabetes = `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`
)

// r76bSeed: Jane and Bob, registered with A81001, which recorded Jane's
// diabetes. Nobody else has written anything.
func r76bSeed(t *testing.T, e *env) string {
	t.Helper()
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/jane", r76bJane},
		[2]string{"/fhir/Patient/bob", r76bBob},
		[2]string{"/fhir/Condition/diabetes", r76bDiabetes})
	return gpSys
}

func r76bTeam(id, subject, extra, participants string) string {
	return `{"resourceType":"CareTeam","id":"` + id + `","status":"active","subject":{"reference":"Patient/` + subject + `"}` + extra + `,"participant":[` + participants + `]}`
}

func r76bEpisode(id, patient, status, managing, extra string) string {
	return `{"resourceType":"EpisodeOfCare","id":"` + id + `","status":"` + status + `","patient":{"reference":"Patient/` + patient + `"},"managingOrganization":` + managing + extra + `}`
}

func r76bShort(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

// londonDay is a day in England, offset by d days from today.
func londonDay(d int) string {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	return time.Now().In(loc).AddDate(0, 0, d).Format("2006-01-02")
}

// ---------------------------------------------------------------------
// Findings (fail against the current code)
// ---------------------------------------------------------------------

// TestReview76bCareTeamMemberOrganizationByServerIDLocksNurseOut: the GP
// practice's system records Jane's district-nursing care team the way
// every FHIR client does: it POSTs the trust's Organization (carrying its
// ODS code RCX, the id chosen by carex) and names that Organization as the
// team's member (or its managing organisation, or a participant's
// onBehalfOf). carex takes the write (201) and the team relates no one: the
// nurse at RCX gets 403 on the person she is visiting. SPEC §5: "a member
// of an active CareTeam ... for the patient"; README: "active CareTeam and
// EpisodeOfCare organisations" — and for a Consent the README refuses
// exactly this form, "one naming an Organization or Practitioner stored here
// under another id (`Organization/5f0c…`, its ODS code an identifier) ...
// would match no one and is refused (422 naming the element and the code to
// send; review 9c: a deny so written was stored and ignored)". For a care
// team it is stored and ignored, silently. Severity: over-withholding with
// a safety edge (a nurse locked out at a visit, nothing telling the
// integrator why). Either answer passes: a 422 on the write, or the nurse
// let in.
func TestReview76bCareTeamMemberOrganizationByServerIDLocksNurseOut(t *testing.T) {
	for name, form := range map[string]func(id string) string{
		"participant.member": func(id string) string {
			return r76bTeam("dn76b", "jane", "", `{"member":{"reference":"Organization/`+id+`"}}`)
		},
		"participant.onBehalfOf": func(id string) string {
			return r76bTeam("dn76b", "jane", "", `{"member":{"reference":"Practitioner/dn1"},"onBehalfOf":{"reference":"Organization/`+id+`"}}`)
		},
		"managingOrganization": func(id string) string {
			return r76bTeam("dn76b", "jane", `,"managingOrganization":[{"reference":"Organization/`+id+`"}]`, `{"member":{"reference":"Practitioner/dn1"}}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			gpSys := r76bSeed(t, e)
			r := e.do("POST", "/fhir/Organization", gpSys, `{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RCX"}],"name":"Community Trust (district nursing)"}`)
			if r.status != 201 {
				t.Fatalf("premise: POST Organization: %d %s", r.status, r.body)
			}
			var org struct{ ID string }
			if err := json.Unmarshal([]byte(r.body), &org); err != nil || org.ID == "" || org.ID == "RCX" {
				t.Fatalf("premise: server-chosen id: %q %v", org.ID, err)
			}
			w := e.do("PUT", "/fhir/CareTeam/dn76b", gpSys, form(org.ID))
			if w.status == 422 {
				return // refused, telling the integrator what to send: fine
			}
			if w.status != 201 && w.status != 200 {
				t.Fatalf("care team write: %d %s", w.status, r76bShort(w.body))
			}
			nurse := e.token("district-nurse", "nhs", "RCX")
			if g := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); g.status != 200 {
				t.Errorf("care team naming Organization/%s (ODS RCX) taken (%d) yet the RCX nurse gets %d on Jane's record: stored and ignored",
					org.ID, w.status, g.status)
			}
		})
	}
}

// ---------------------------------------------------------------------
// Cache and stale decisions
// ---------------------------------------------------------------------

// TestReview76bSoundTeamMovedToAnotherPersonEndsRelationship: the GP recorded
// the district-nursing team on Jane's record by mistake and corrects its
// subject to Bob (or the council its episode). Jane's sharing context must
// drop it on the very next request (README: "cached between requests and
// invalidated by version whenever a write could change it (a consent,
// care team, episode of care ...)"): else the nurse keeps Jane's whole
// record. Severity: leak (stale decision). Covered by PUT, by a
// transaction, and for an EpisodeOfCare.
func TestReview76bSoundTeamMovedToAnotherPersonEndsRelationship(t *testing.T) {
	cases := []struct {
		name, typ, org, role, sector string
		body                         func(subject string) string
		viaTransaction               bool
	}{
		{"careteam-put", "CareTeam", "RCX", "district-nurse", "nhs", func(s string) string {
			return r76bTeam("mv76b", s, "", `{"member":{"reference":"Organization/RCX"}}`)
		}, false},
		{"careteam-transaction", "CareTeam", "RCX", "district-nurse", "nhs", func(s string) string {
			return r76bTeam("mv76b", s, "", `{"member":{"reference":"Organization/RCX"}}`)
		}, true},
		{"episode-put", "EpisodeOfCare", "E06000999", "social-worker", "council", func(s string) string {
			return r76bEpisode("mv76b", s, "active", `{"reference":"Organization/E06000999"}`, "")
		}, false},
		{"episode-transaction", "EpisodeOfCare", "E06000999", "social-worker", "council", func(s string) string {
			return r76bEpisode("mv76b", s, "active", `{"reference":"Organization/E06000999"}`, "")
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			gpSys := r76bSeed(t, e)
			path := "/fhir/" + c.typ + "/mv76b"
			e.putAll(t, gpSys, [2]string{path, c.body("jane")})
			user := e.token(c.role, c.sector, c.org)
			if r := e.do("GET", "/fhir/Patient/jane/$everything", user, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
				t.Fatalf("premise: %s on Jane's %s: %d", c.org, c.typ, r.status)
			}
			if c.viaTransaction {
				bundle := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + c.body("bob") + `,"request":{"method":"PUT","url":"` + c.typ + `/mv76b"}}]}`
				if r := e.do("POST", "/fhir", gpSys, bundle); r.status != 200 {
					t.Fatalf("transaction: %d %s", r.status, r76bShort(r.body))
				}
			} else {
				e.putAll(t, gpSys, [2]string{path, c.body("bob")})
			}
			for _, p := range []string{"/fhir/Patient/jane/$everything", "/fhir/Patient/jane", "/fhir/Condition?patient=jane"} {
				if r := e.do("GET", p, user, ""); r.status != 403 {
					t.Errorf("%s after the %s moved to Bob: %d, want 403 (%s)", p, c.typ, r.status, r76bShort(r.body))
				}
			}
			if r := e.do("GET", "/fhir/Patient/bob", user, ""); r.status != 200 {
				t.Errorf("Bob after the %s moved to him: %d, want 200", c.typ, r.status)
			}
		})
	}
}

// ---------------------------------------------------------------------
// Sound: checked and holding
// ---------------------------------------------------------------------

// TestReview76bSoundRegistrationMovedByAnotherWriter: a demographics feed
// (X26, not the practice) writes Jane's Patient registered with A81001,
// then with A81002: the old practice, which recorded nothing of hers, is
// refused on the next request; the new one is let in.
func TestReview76bSoundRegistrationMovedByAnotherWriter(t *testing.T) {
	e := newEnv(t)
	feed := e.token("system", "nhs", "X26")
	e.putAll(t, feed, [2]string{"/fhir/Patient/jane", r76bJane})
	old := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane", old, ""); r.status != 200 {
		t.Fatalf("premise: registered practice: %d", r.status)
	}
	e.putAll(t, feed, [2]string{"/fhir/Patient/jane", strings.Replace(r76bJane, "A81001", "A81002", 1)})
	if r := e.do("GET", "/fhir/Patient/jane", old, ""); r.status != 403 {
		t.Errorf("old practice after re-registration: %d, want 403", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane", e.token("gp", "nhs", "A81002"), ""); r.status != 200 {
		t.Errorf("new practice: %d, want 200", r.status)
	}
}

// TestReview76bSoundLifecycleNurseAndSocialWorker: 403 before, 200 while
// the team or episode is active, 403 on the next request after it ends
// (status, period end yesterday, participant period end yesterday, a
// delete), by every route: read, $everything, search by NHS
// number, _include, _revinclude.
func TestReview76bSoundLifecycleNurseAndSocialWorker(t *testing.T) {
	type step struct {
		name string
		do   func(e *env, tok string) int
	}
	put := func(path, body string) step {
		return step{"put " + body[:40], func(e *env, tok string) int { return e.do("PUT", path, tok, body).status }}
	}
	team := func(status, extra, part string) string {
		return strings.Replace(r76bTeam("ct76b", "jane", extra, part), `"status":"active"`, `"status":"`+status+`"`, 1)
	}
	cases := []struct {
		name, org, role, sector string
		open, close             step
	}{
		{"team-inactive", "RCX", "district-nurse", "nhs",
			put("/fhir/CareTeam/ct76b", team("active", "", `{"member":{"reference":"Organization/RCX"}}`)),
			put("/fhir/CareTeam/ct76b", team("inactive", "", `{"member":{"reference":"Organization/RCX"}}`))},
		{"team-period-ended-yesterday", "RCX", "district-nurse", "nhs",
			put("/fhir/CareTeam/ct76b", team("active", `,"period":{"start":"2020-01-01","end":"`+londonDay(0)+`"}`, `{"member":{"reference":"Organization/RCX"}}`)),
			put("/fhir/CareTeam/ct76b", team("active", `,"period":{"start":"2020-01-01","end":"`+londonDay(-1)+`"}`, `{"member":{"reference":"Organization/RCX"}}`))},
		{"participant-period-ended-yesterday", "RCX", "district-nurse", "nhs",
			put("/fhir/CareTeam/ct76b", team("active", "", `{"member":{"reference":"Organization/RCX"},"period":{"end":"`+londonDay(0)+`"}}`)),
			put("/fhir/CareTeam/ct76b", team("active", "", `{"member":{"reference":"Organization/RCX"},"period":{"end":"`+londonDay(-1)+`"}}`))},
		{"team-entered-in-error-by-identifier-ods", "RCX", "district-nurse", "nhs",
			put("/fhir/CareTeam/ct76b", team("active", "", `{"member":{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RCX"}}}`)),
			put("/fhir/CareTeam/ct76b", team("entered-in-error", "", `{"member":{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RCX"}}}`))},
		{"team-conditional-delete", "RCX", "district-nurse", "nhs",
			put("/fhir/CareTeam/ct76b", team("active", "", `{"member":{"reference":"Organization/RCX"}}`)),
			step{"delete", func(e *env, tok string) int {
				return e.do("DELETE", "/fhir/CareTeam/ct76b", tok, "").status
			}}},
		{"episode-finished", "E06000999", "social-worker", "council",
			put("/fhir/EpisodeOfCare/ep76b", r76bEpisode("ep76b", "jane", "active", `{"reference":"Organization/E06000999"}`, `,"period":{"start":"2025-01-01"}`)),
			put("/fhir/EpisodeOfCare/ep76b", r76bEpisode("ep76b", "jane", "finished", `{"reference":"Organization/E06000999"}`, `,"period":{"start":"2025-01-01","end":"`+londonDay(0)+`"}`))},
		{"episode-onhold", "E06000999", "social-worker", "council",
			put("/fhir/EpisodeOfCare/ep76b", r76bEpisode("ep76b", "jane", "active", `{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}}`, "")),
			put("/fhir/EpisodeOfCare/ep76b", r76bEpisode("ep76b", "jane", "onhold", `{"identifier":{"system":"https://carex.example/Id/council-code","value":"E06000999"}}`, ""))},
	}
	routes := []string{
		"/fhir/Patient/jane",
		"/fhir/Patient/jane/$everything",
		"/fhir/Condition/diabetes",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919",
		"/fhir/Condition?subject=Patient/jane&_include=Condition:subject",
		"/fhir/Patient?_id=jane&_revinclude=Condition:subject",
		"/fhir/Condition/diabetes/_history",
		"/fhir/Patient/jane/_history",
		"/fhir/CareTeam?participant=Organization/RCX&_include=CareTeam:subject",
		"/fhir/EpisodeOfCare?organization=Organization/E06000999&_include=EpisodeOfCare:patient",
		"/fhir/Condition?code=44054006",
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			gpSys := r76bSeed(t, e)
			user := e.token(c.role, c.sector, c.org)
			sees := func(route string) (int, bool) {
				r := e.do("GET", route, user, "")
				return r.status, strings.Contains(r.body, "Smith") || strings.Contains(r.body, "GP-DIABETES")
			}
			for _, rt := range routes {
				if st, leak := sees(rt); leak {
					t.Errorf("before: %s released (%d)", rt, st)
				}
			}
			if st := c.open.do(e, gpSys); st != 200 && st != 201 {
				t.Fatalf("open: %d", st)
			}
			for _, rt := range routes[:8] { // the routes naming Jane (the last three find her by team, episode or code)
				if st, ok := sees(rt); st != 200 || !ok {
					t.Errorf("while related: %s: %d released=%v", rt, st, ok)
				}
			}
			if st := c.close.do(e, gpSys); st != 200 && st != 201 && st != 204 {
				t.Fatalf("close (%s): %d", c.close.name, st)
			}
			for _, rt := range routes {
				if st, leak := sees(rt); leak {
					t.Errorf("after it ended: %s released (%d)", rt, st)
				}
			}
			if r := e.do("GET", "/fhir/Patient/jane/$everything", user, ""); r.status != 403 {
				t.Errorf("after it ended: $everything %d, want 403", r.status)
			}
		})
	}
}

// TestReview76bSoundClaimedFlagFollowsWhoRecorded: a team the registered
// practice recorded naming RCX is no claimed relationship; one RCX's own
// system recorded naming itself is (README: "access through a relationship
// only the user's own organisation recorded"), and so is a team the
// council, itself reached only through its own episode, recorded naming a
// third trust.
func TestReview76bSoundClaimedFlagFollowsWhoRecorded(t *testing.T) {
	e := newEnv(t)
	gpSys := r76bSeed(t, e)
	e.putAll(t, gpSys, [2]string{"/fhir/CareTeam/gp76b", r76bTeam("gp76b", "jane", "", `{"member":{"reference":"Organization/RCX"}}`)})
	e.putAll(t, e.token("system", "nhs", "RYY"), [2]string{"/fhir/CareTeam/own76b", r76bTeam("own76b", "jane", "", `{"member":{"reference":"Organization/RYY"}}`)})
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/c76b", r76bEpisode("c76b", "jane", "active", `{"reference":"Organization/E06000999"}`, "")},
		[2]string{"/fhir/CareTeam/c76b", r76bTeam("c76b", "jane", "", `{"member":{"reference":"Organization/RZZ"}}`)})
	for org, want := range map[string]bool{"RCX": false, "RYY": true, "RZZ": true, "E06000999": true} {
		sub := "u76b-" + org
		role, sector := "district-nurse", "nhs"
		if strings.HasPrefix(org, "E") {
			role, sector = "social-worker", "council"
		}
		tok := e.token(role, sector, org, func(c *authClaims) { c.Sub = sub })
		if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); r.status != 200 {
			t.Fatalf("%s: %d", org, r.status)
		}
		if got := e.accessLogged(t, sub, api.CodeClaimedRelationship); got != want {
			t.Errorf("%s: claimed-relationship %v, want %v", org, got, want)
		}
	}
}

// TestReview76bSoundTeamEndedByAnotherProcessSeenAtOnce: the server has
// answered the nurse through the practice's care team; another process on
// the same database (an import: its own store handle and cache) stores
// the team's new version, inactive. The server's next answer is 403.
func TestReview76bSoundTeamEndedByAnotherProcessSeenAtOnce(t *testing.T) {
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
	r76bSeed(t, srv)
	srv.putAll(t, srv.token("system", "nhs", "A81001"), [2]string{"/fhir/CareTeam/x76b", r76bTeam("x76b", "jane", "", `{"member":{"reference":"Organization/RCX"}}`)})
	nurse := srv.token("district-nurse", "nhs", "RCX")
	if r := srv.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	imp.putAll(t, imp.token("system", "nhs", "A81001"), [2]string{"/fhir/CareTeam/x76b",
		strings.Replace(r76bTeam("x76b", "jane", "", `{"member":{"reference":"Organization/RCX"}}`), `"active"`, `"inactive"`, 1)})
	for _, p := range []string{"/fhir/Patient/jane/$everything", "/fhir/Patient/jane", "/fhir/Condition/diabetes"} {
		if r := srv.do("GET", p, nurse, ""); r.status == 200 {
			t.Errorf("team ended by another process: %s still %d", p, r.status)
		}
	}
}

// TestReview76bSoundItemMovedAwayEndsSourceRelationship: RZZ recorded a
// care plan on Jane's record by mistake (its only item about her: a source
// relationship, flagged claimed), then corrects its subject to Bob. The
// next read of Jane's record by RZZ is refused.
func TestReview76bSoundItemMovedAwayEndsSourceRelationship(t *testing.T) {
	e := newEnv(t)
	r76bSeed(t, e)
	rzz := e.token("system", "nhs", "RZZ")
	plan := func(who string) string {
		return `{"resourceType":"CarePlan","id":"p76b","status":"active","intent":"plan","subject":{"reference":"Patient/` + who + `"},"title":"RZZ-PLAN"}`
	}
	e.putAll(t, rzz, [2]string{"/fhir/CarePlan/p76b", plan("jane")})
	clin := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", clin, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	e.putAll(t, rzz, [2]string{"/fhir/CarePlan/p76b", plan("bob")})
	if r := e.do("GET", "/fhir/Patient/jane/$everything", clin, ""); r.status != 403 {
		t.Errorf("RZZ after moving its only item to Bob: %d, want 403", r.status)
	}
}

// TestReview76bSoundCouncilFinishedPackageKeepsSourceFlagged: the
// council's own care package, finished, no longer relates it as an
// episode of care, but the council recorded it, so it stays a source
// (SPEC "a source of the patient's data"; README: the policy's
// source-lifetime, 730 days by default) and each read is flagged
// claimed-relationship, and listed in IG's alerts.
func TestReview76bSoundCouncilFinishedPackageKeepsSourceFlagged(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r76bSeed(t, e)
	council := e.token("system", "council", "E06000999")
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/pk76b", r76bEpisode("pk76b", "jane", "finished", `{"reference":"Organization/E06000999"}`, `,"period":{"start":"2025-01-01","end":"2025-06-01"}`)})
	sw := e.token("social-worker", "council", "E06000999", func(c *authClaims) { c.Sub = "sw76b" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("source: %d", r.status)
	}
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "council", "E06000999"), "")
	if r.status != 200 || !strings.Contains(r.body, "sw76b") || !strings.Contains(r.body, "claimed") {
		t.Errorf("IG alerts do not list the claimed access: %d %s", r.status, r76bShort(r.body))
	}
}

// TestReview76bGeneralPractitionerByServerIDLocksGPOut: the same form for
// the registered practice. A demographics feed (X26, not the practice)
// POSTs the practice's Organization (ODS A81001, id chosen by carex) and
// writes Jane's Patient with `generalPractitioner` naming it, as FHIR
// clients do. Taken (201); the GP, whose practice recorded nothing of hers
// yet, gets 403 on her registered patient. SPEC §5: "registered GP
// practice (`Patient.generalPractitioner`)"; README: "registered GP from
// `Patient.generalPractitioner`". Severity: over-withholding (a GP locked
// out of a registered patient), silently. A 422 or the GP let in pass.
func TestReview76bGeneralPractitionerByServerIDLocksGPOut(t *testing.T) {
	e := newEnv(t)
	feed := e.token("system", "nhs", "X26")
	r := e.do("POST", "/fhir/Organization", feed, `{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],"name":"The Surgery"}`)
	if r.status != 201 {
		t.Fatalf("premise: POST Organization: %d %s", r.status, r.body)
	}
	var org struct{ ID string }
	if err := json.Unmarshal([]byte(r.body), &org); err != nil || org.ID == "" || org.ID == "A81001" {
		t.Fatalf("premise: server-chosen id: %q %v", org.ID, err)
	}
	w := e.do("PUT", "/fhir/Patient/jane", feed, strings.Replace(r76bJane, "Organization/A81001", "Organization/"+org.ID, 1))
	if w.status == 422 {
		return
	}
	if w.status != 201 && w.status != 200 {
		t.Fatalf("Patient write: %d %s", w.status, r76bShort(w.body))
	}
	if g := e.do("GET", "/fhir/Patient/jane", e.token("gp", "nhs", "A81001"), ""); g.status != 200 {
		t.Errorf("Patient registered with Organization/%s (ODS A81001) taken (%d), yet the A81001 GP gets %d", org.ID, w.status, g.status)
	}
}

// TestReview76bEpisodeNamingTwoPeopleRelatesBoth: the practice's system
// records Jane's care package as feeds send a subject, a reference beside
// an NHS number, and the number is Bob's (a slip of the keyboard; Bob is
// registered at the same practice). README: "An NHS number given beside a
// reference ... names that person too ... the item is decided under both,
// and either one's withholding withholds it" — a rule that withholds more;
// but the episode then relates its managing organisation to Bob as well,
// and the council reads Bob's whole record, unflagged (the registered
// practice recorded it). For a CareTeam carex reads the reference alone
// ("a care team relating its members only to the person its `subject`
// names, by reference or by an NHS number her Patient carries": review
// 20i); an EpisodeOfCare has no such rule. SPEC §5: "a member of an active
// ... EpisodeOfCare for the patient". Severity: leak of a person's record
// to an organisation with no relationship with him.
func TestReview76bEpisodeNamingTwoPeopleRelatesBoth(t *testing.T) {
	for _, typ := range []string{"EpisodeOfCare", "CareTeam"} {
		t.Run(typ, func(t *testing.T) {
			e := newEnv(t)
			gpSys := r76bSeed(t, e)
			subj := `{"reference":"Patient/jane","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}}`
			body := `{"resourceType":"EpisodeOfCare","id":"two76b","status":"active","patient":` + subj + `,"managingOrganization":{"reference":"Organization/E06000999"}}`
			if typ == "CareTeam" {
				body = `{"resourceType":"CareTeam","id":"two76b","status":"active","subject":` + subj + `,"participant":[{"member":{"reference":"Organization/E06000999"}}]}`
			}
			e.putAll(t, gpSys, [2]string{"/fhir/" + typ + "/two76b", body})
			e.putAll(t, gpSys, [2]string{"/fhir/Condition/bobdx", `{"resourceType":"Condition","id":"bobdx","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-COPD"}}`})
			sw := e.token("social-worker", "council", "E06000999", func(c *authClaims) { c.Sub = "sw-two76b" })
			if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); r.status != 200 {
				t.Fatalf("premise: council on Jane's %s: %d", typ, r.status)
			}
			if r := e.do("GET", "/fhir/Patient/bob/$everything", sw, ""); r.status != 403 || strings.Contains(r.body, "BOB-COPD") {
				t.Errorf("%s for Jane carrying Bob's NHS number opens Bob's record to the council: %d (BOB-COPD released: %v; flagged claimed-relationship: %v)",
					typ, r.status, strings.Contains(r.body, "BOB-COPD"), e.accessLogged(t, "sw-two76b", api.CodeClaimedRelationship))
			}
		})
	}
}
