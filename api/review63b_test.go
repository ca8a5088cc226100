package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 63b: caches and staleness. Does any cached decision (the store's
// per-person context cache and its successors, the NHS-number answers,
// the labelled-directory cache, the claimed-relationship memo) outlive
// the data it was made from? SPEC §5: a newer Consent supersedes at once,
// a withdrawn relationship stops sharing, a label applies from when it is
// written.

const (
	consentActive63b = `"status":"active"`
	otherNumber63b   = "9876543210" // valid modulus 11, not Jane's
)

func put63b(t *testing.T, e *env, tok, path, body string) {
	t.Helper()
	if s, b, err := e.get16c("PUT", path, tok, body); err != nil || (s != 200 && s != 201) {
		t.Fatalf("PUT %s: %d %v %.300s", path, s, err, b)
	}
}

func del63b(t *testing.T, e *env, tok, path string) {
	t.Helper()
	if s, b, err := e.get16c("DELETE", path, tok, ""); err != nil || (s != 200 && s != 204) {
		t.Fatalf("DELETE %s: %d %v %.300s", path, s, err, b)
	}
}

// TestReview63bSoundObjectionAtOnce200: 200 times, Jane's GP records her
// objection (OPTOUT, newer than her standing OPTIN Consent) and, at once
// after its answer, the nurse reads the GP's diagnosis in three ways:
// every read must withhold it. The objection is then taken away in turn
// by status inactive, by entered-in-error and by DELETE, and the next
// read must release again. Background feeds and readers run throughout
// (reads in flight during each write).
func TestReview63bSoundObjectionAtOnce200(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	put63b(t, e, gpSys, "/fhir/Consent/jane-optin63", janeConsent("jane-optin63", "2026-01-01", "OPTIN", ""))
	l := startLoad16c(t, e)
	paths := []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"}
	for i := range 200 {
		put63b(t, e, gpSys, "/fhir/Consent/jane-obj63", janeConsent("jane-obj63", "2026-02-01", "OPTOUT", ""))
		p := paths[i%len(paths)]
		if s, b, err := e.get16c("GET", p, nurse, ""); err != nil || strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("round %d: at once after the objection's answer, the nurse's GET %s released the GP's diagnosis: %d %v %.300s", i, p, s, err, b)
		}
		switch i % 3 {
		case 0:
			put63b(t, e, gpSys, "/fhir/Consent/jane-obj63", strings.Replace(janeConsent("jane-obj63", "2026-02-01", "OPTOUT", ""), consentActive63b, `"status":"inactive"`, 1))
		case 1:
			put63b(t, e, gpSys, "/fhir/Consent/jane-obj63", strings.Replace(janeConsent("jane-obj63", "2026-02-01", "OPTOUT", ""), consentActive63b, `"status":"entered-in-error"`, 1))
		case 2:
			del63b(t, e, gpSys, "/fhir/Consent/jane-obj63")
		}
		if s, b, err := e.get16c("GET", "/fhir/Condition/diabetes", nurse, ""); err != nil || !strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("round %d: after the objection was taken away (mode %d), the diagnosis stayed withheld: %d %v %.300s", i, i%3, s, err, b)
		}
	}
	l.finish(t)
}

// TestReview63bSoundReadersDuringObjectionDeleted: as review 16c's
// readers test, but the objection goes by DELETE and by entered-in-error
// (not by status inactive), and comes back as a new Consent each time.
func TestReview63bSoundReadersDuringObjectionDeleted(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	l := startLoad16c(t, e)
	n := 0
	togglesUnderReaders(t, e, l, e.token("district-nurse", "nhs", "RCX"), everyWay16c, "GP-DIABETES", func(on bool) {
		if on {
			n++
			put63b(t, e, gpSys, fmt.Sprintf("/fhir/Consent/obj63-%d", n), janeConsent(fmt.Sprintf("obj63-%d", n), "2026-02-01", "OPTOUT", ""))
			return
		}
		if n%2 == 0 {
			del63b(t, e, gpSys, fmt.Sprintf("/fhir/Consent/obj63-%d", n))
		} else {
			put63b(t, e, gpSys, fmt.Sprintf("/fhir/Consent/obj63-%d", n),
				strings.Replace(janeConsent(fmt.Sprintf("obj63-%d", n), "2026-02-01", "OPTOUT", ""), consentActive63b, `"status":"entered-in-error"`, 1))
		}
	})
	l.finish(t)
}

// hospiceTeam63b is the trust's CareTeam naming the hospice (RYY), whose
// only relationship with Jane it is; extra replaces the default fields.
func hospiceTeam63b(status, subject, period, partPeriod string) string {
	return `{"resourceType":"CareTeam","id":"hospice63","status":"` + status + `","subject":` + subject + period +
		`,"participant":[{"member":{"reference":"Organization/RYY"}` + partPeriod + `}]}`
}

// TestReview63bSoundReadersDuringCareTeamEndedOtherWays: the hospice's
// only relationship with Jane, a CareTeam the trust recorded, ends in
// turn by a period.end in the past, by the participant's own period.end,
// by DELETE, and by the team's subject moving to another person; each
// answered end must stop the hospice nurse's reads at once, under load.
func TestReview63bSoundReadersDuringCareTeamEndedOtherWays(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	trustSys := e.token("system", "nhs", "RCX")
	hospice := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "hospice-nurse63" })
	jane := `{"reference":"Patient/jane"}`
	put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", hospiceTeam63b("active", jane, "", ""))
	if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", hospice, ""); !strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: the hospice on an active team reads the diagnosis: %d %.300s", s, b)
	}
	l := startLoad16c(t, e)
	k := 0
	togglesUnderReaders(t, e, l, hospice, everyWay16c, "GP-DIABETES", func(on bool) {
		if !on {
			put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", hospiceTeam63b("active", jane, "", ""))
			return
		}
		k++
		switch k % 4 {
		case 0:
			put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", hospiceTeam63b("active", jane, `,"period":{"start":"2025-01-01","end":"2026-01-01"}`, ""))
		case 1:
			put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", hospiceTeam63b("active", jane, "", `,"period":{"end":"2026-01-01T10:00:00Z"}`))
		case 2:
			del63b(t, e, trustSys, "/fhir/CareTeam/hospice63")
		case 3:
			put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", hospiceTeam63b("active", `{"reference":"Patient/other-1"}`, "", ""))
		}
	})
	l.finish(t)
}

// TestReview63bSoundReadersDuringGPChange: a person's registration moves
// from practice A81001 to B82001 and back (the hospital writes her
// Patient; A81001 recorded nothing of hers): after each answered move
// away, the old practice's reads of the hospital's encounter must stop.
func TestReview63bSoundReadersDuringGPChange(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	pat := func(gp string) string {
		return `{"resourceType":"Patient","id":"p63g","name":[{"family":"Moved63"}],"generalPractitioner":[{"reference":"Organization/` + gp + `"}]}`
	}
	put63b(t, e, hospSys, "/fhir/Patient/p63g", pat("A81001"))
	put63b(t, e, hospSys, "/fhir/Encounter/enc63g", `{"resourceType":"Encounter","id":"enc63g","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
	  "subject":{"reference":"Patient/p63g"},"serviceType":{"text":"HOSP-ENC63G"}}`)
	oldGP := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "oldgp63" })
	if s, b, _ := e.get16c("GET", "/fhir/Encounter/enc63g", oldGP, ""); !strings.Contains(b, "HOSP-ENC63G") {
		t.Fatalf("premise: the registered practice reads the hospital's encounter: %d %.300s", s, b)
	}
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, oldGP, []string{"/fhir/Encounter/enc63g", "/fhir/Encounter?patient=p63g", "/fhir/Patient/p63g/$everything"}, "HOSP-ENC63G", func(on bool) {
		gp := "A81001"
		if on {
			gp = "B82001"
		}
		put63b(t, e, hospSys, "/fhir/Patient/p63g", pat(gp))
	})
	l.finish(t)
}

// TestReview63bSoundReadersDuringNumberMovedOntoObjector: the hospital's
// Patient/hx63 has an objection (OPTOUT) of its own. When the hospital
// corrects its NHS number to Jane's, her records join the objection
// (review 18a's joining by number): from the answer on, the nurse's reads
// of the GP's diagnosis must withhold it; when the number is moved back,
// release it again.
func TestReview63bSoundReadersDuringNumberMovedOntoObjector(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	pat := func(n string) string {
		return `{"resourceType":"Patient","id":"hx63","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}],"name":[{"family":"Smith"}]}`
	}
	put63b(t, e, hospSys, "/fhir/Patient/hx63", pat(otherNumber63b))
	put63b(t, e, hospSys, "/fhir/Consent/hx63-obj", strings.Replace(janeConsent("hx63-obj", "2026-02-01", "OPTOUT", ""), "Patient/jane", "Patient/hx63", 1))
	nurse := e.token("district-nurse", "nhs", "RCX")
	// premise: with the same number, the objection reaches Jane's GP record
	put63b(t, e, hospSys, "/fhir/Patient/hx63", pat("9434765919"))
	if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", nurse, ""); strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: an objection on a record carrying Jane's number withholds her GP's diagnosis: %d %.300s", s, b)
	}
	put63b(t, e, hospSys, "/fhir/Patient/hx63", pat(otherNumber63b))
	if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", nurse, ""); !strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: with another number, it does not: %d %.300s", s, b)
	}
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, nurse, everyWay16c, "GP-DIABETES", func(on bool) {
		n := otherNumber63b
		if on {
			n = "9434765919"
		}
		put63b(t, e, hospSys, "/fhir/Patient/hx63", pat(n))
	})
	l.finish(t)
}

// TestReview63bSoundReadersDuringDirectoryLabel: an Organization named by
// Jane's encounter is labelled R and unlabelled again while the social
// worker's readers read the encounter: after each answered label, no read
// names it.
func TestReview63bSoundReadersDuringDirectoryLabel(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	org := func(label string) string {
		return `{"resourceType":"Organization","id":"later63",` + label + `"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSLATE63"}],"name":"LATER63B"}`
	}
	put63b(t, e, hosp, "/fhir/Organization/later63", org(""))
	put63b(t, e, hosp, "/fhir/Encounter/enc63-later", `{"resourceType":"Encounter","id":"enc63-later","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC63-LATER"},"serviceProvider":{"reference":"Organization/later63","display":"LATER63B"},
		  "participant":[{"individual":{"type":"Organization","identifier":{"value":"NSLATE63"},"display":"LATER63B LOGICAL"}}]}`)
	sw := e.token("social-worker", "council", "E06000999")
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, sw, []string{"/fhir/Encounter/enc63-later", "/fhir/Encounter?patient=jane&_id=enc63-later", "/fhir/Patient/jane/$everything"}, "later63", func(on bool) {
		label := ""
		if on {
			label = rLabel31b + ","
		}
		put63b(t, e, hosp, "/fhir/Organization/later63", org(label))
	})
	l.finish(t)
}

// newSmallCacheEnv is newEnv with a person-context cache of n entries, so
// that eviction runs.
func newSmallCacheEnv(t *testing.T, n int) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "carex.db"), sqlite.Options{PatientCache: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: key})
	if err != nil {
		t.Fatal(err)
	}
	rec := &memRecorder{}
	s := api.New(api.Config{Store: db, Verifier: v, Dev: true, MaxBody: 64 << 10, Recorder: rec})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, srv: hs, key: key, api: s, base: hs.URL, rec: rec, db: db}
}

// TestReview63bSoundSmallCacheEviction: with room for 2 people's contexts
// and many people read and written between, Jane's objection, its
// withdrawal, the hospice team's end and neutral feeds for her (the
// successor path) are each decided with at once.
func TestReview63bSoundSmallCacheEviction(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newSmallCacheEnv(t, 2)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	trustSys := e.token("system", "nhs", "RCX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	hospice := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "hospice-nurse63" })
	for i := range 8 {
		put63b(t, e, hospSys, fmt.Sprintf("/fhir/Patient/ev63-%d", i), fmt.Sprintf(`{"resourceType":"Patient","id":"ev63-%d","name":[{"family":"Ev%d"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`, i, i))
		put63b(t, e, hospSys, fmt.Sprintf("/fhir/CareTeam/ev63-%d", i), fmt.Sprintf(`{"resourceType":"CareTeam","id":"ev63-%d","status":"active","subject":{"reference":"Patient/ev63-%d"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`, i, i))
	}
	churn := func(r int) {
		for i := range 8 {
			j := (i + r) % 8
			e.get16c("GET", fmt.Sprintf("/fhir/Patient/ev63-%d", j), nurse, "")
			if i%3 == 0 {
				put63b(t, e, hospSys, fmt.Sprintf("/fhir/Observation/ev63-%d", j), fmt.Sprintf(`{"resourceType":"Observation","id":"ev63-%d","status":"final","code":{"text":"EV"},"subject":{"reference":"Patient/ev63-%d"},"valueQuantity":{"value":%d}}`, j, j, r))
			}
		}
	}
	read := func(tok string) string {
		_, b, _ := e.get16c("GET", "/fhir/Patient/jane/$everything", tok, "")
		return b
	}
	team := func(status string) string {
		return `{"resourceType":"CareTeam","id":"hospice63","status":"` + status + `","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`
	}
	for r := range 40 {
		// Jane cached, then a neutral feed for her (successor), then churn.
		read(nurse)
		put63b(t, e, gpSys, "/fhir/Observation/ev63-jane", fmt.Sprintf(`{"resourceType":"Observation","id":"ev63-jane","status":"final","code":{"text":"GP-EV"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":%d}}`, r))
		if r%2 == 0 {
			churn(r)
		}
		put63b(t, e, gpSys, "/fhir/Consent/jane-obj63", janeConsent("jane-obj63", "2026-02-01", "OPTOUT", ""))
		if r%3 == 0 {
			churn(r)
		}
		if b := read(nurse); strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("round %d: after her objection, the nurse's read released the GP's diagnosis: %.300s", r, b)
		}
		put63b(t, e, gpSys, "/fhir/Consent/jane-obj63", strings.Replace(janeConsent("jane-obj63", "2026-02-01", "OPTOUT", ""), consentActive63b, `"status":"inactive"`, 1))
		if r%2 == 1 {
			churn(r)
		}
		if b := read(nurse); !strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("round %d: after the objection was withdrawn, the diagnosis stayed withheld: %.300s", r, b)
		}
		put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", team("active"))
		if b := read(hospice); !strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("round %d: the hospice on an active team was refused: %.300s", r, b)
		}
		churn(r + 1)
		put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", team("inactive"))
		if b := read(hospice); strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("round %d: after the hospice's team ended, its read released the diagnosis: %.300s", r, b)
		}
	}
}

// TestReview63bSoundTimePassing: no write, only the clock: the hospice's
// team (and, separately, a community provider's participation and a
// council's episode of care) end a few seconds from now, and a deny to
// the trust's nurse starts then. Each relationship is read (and cached)
// before; after the moment passes, every read must decide with the clock
// as it is.
func TestReview63bSoundTimePassing(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	trustSys := e.token("system", "nhs", "RCX")
	gpSys := e.token("system", "nhs", "A81001")
	at := time.Now().UTC().Add(5 * time.Second).Truncate(time.Second)
	ts := at.Format(time.RFC3339)
	put63b(t, e, trustSys, "/fhir/CareTeam/hospice63", `{"resourceType":"CareTeam","id":"hospice63","status":"active","subject":{"reference":"Patient/jane"},"period":{"start":"2025-01-01","end":"`+ts+`"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`)
	put63b(t, e, trustSys, "/fhir/CareTeam/part63", `{"resourceType":"CareTeam","id":"part63","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RYZ"},"period":{"end":"`+ts+`"}}]}`)
	put63b(t, e, trustSys, "/fhir/EpisodeOfCare/eoc63", `{"resourceType":"EpisodeOfCare","id":"eoc63","status":"active","patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/RYX"},"period":{"start":"2025-01-01","end":"`+ts+`"}}`)
	// A second person for the deny starting later: Bob, registered with
	// the GP, on the trust's team.
	put63b(t, e, gpSys, "/fhir/Patient/bob63", `{"resourceType":"Patient","id":"bob63","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	put63b(t, e, gpSys, "/fhir/Condition/bob63-dx", `{"resourceType":"Condition","id":"bob63-dx","subject":{"reference":"Patient/bob63"},"code":{"text":"BOB63-DX"}}`)
	put63b(t, e, trustSys, "/fhir/CareTeam/bob63-team", `{"resourceType":"CareTeam","id":"bob63-team","status":"active","subject":{"reference":"Patient/bob63"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`)
	put63b(t, e, gpSys, "/fhir/Consent/bob63-later", `{"resourceType":"Consent","id":"bob63-later","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/bob63"},"dateTime":"2026-02-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"provision":[{"type":"deny","period":{"start":"`+ts+`"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}]}}`)
	readers := map[string]string{
		"hospice (team period)":         e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "ryy63" }),
		"provider (participant period)": e.token("district-nurse", "nhs", "RYZ", func(c *auth.DevClaims) { c.Sub = "ryz63" }),
		"provider (episode period)":     e.token("district-nurse", "nhs", "RYX", func(c *auth.DevClaims) { c.Sub = "ryx63" }),
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for who, tok := range readers {
		if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", tok, ""); !strings.Contains(b, "GP-DIABETES") {
			t.Fatalf("premise: %s reads before the end: %d %.300s", who, s, b)
		}
	}
	s, b, _ := e.get16c("GET", "/fhir/Condition/bob63-dx", nurse, "")
	t.Logf("before the deny's start, the nurse's read of Bob's diagnosis: %d released=%v", s, strings.Contains(b, "BOB63-DX"))
	// keep reading while the moment passes
	for time.Now().Before(at.Add(1500 * time.Millisecond)) {
		for _, tok := range readers {
			e.get16c("GET", "/fhir/Patient/jane/$everything", tok, "")
		}
		e.get16c("GET", "/fhir/Condition/bob63-dx", nurse, "")
		time.Sleep(200 * time.Millisecond)
	}
	for who, tok := range readers {
		for _, p := range everyWay16c {
			if s, b, _ := e.get16c("GET", p, tok, ""); strings.Contains(b, "GP-DIABETES") {
				t.Errorf("%s: after the relationship's end passed, GET %s released the GP's diagnosis: %d %.300s", who, p, s, b)
			}
		}
	}
	for _, p := range []string{"/fhir/Condition/bob63-dx", "/fhir/Condition?patient=bob63", "/fhir/Patient/bob63/$everything"} {
		if s, b, _ := e.get16c("GET", p, nurse, ""); strings.Contains(b, "BOB63-DX") {
			t.Errorf("after the deny to the trust began, the nurse's GET %s released Bob's diagnosis: %d %.300s", p, s, b)
		}
	}
}

// TestReview63bSoundPermitUnderObjectionEndsWithTime: Cara objects
// (OPTOUT) except to the trust, whose permit ends a few seconds from now.
// The trust's nurse reads (the context cached) before; once the permit's
// end passes, no write in between, every read must withhold.
func TestReview63bSoundPermitUnderObjectionEndsWithTime(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	trustSys := e.token("system", "nhs", "RCX")
	at := time.Now().UTC().Add(4 * time.Second).Truncate(time.Second)
	ts := at.Format(time.RFC3339)
	put63b(t, e, gpSys, "/fhir/Patient/cara63", `{"resourceType":"Patient","id":"cara63","name":[{"family":"Cara"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	put63b(t, e, gpSys, "/fhir/Condition/cara63-dx", `{"resourceType":"Condition","id":"cara63-dx","subject":{"reference":"Patient/cara63"},"code":{"text":"CARA63-DX"}}`)
	put63b(t, e, trustSys, "/fhir/CareTeam/cara63-team", `{"resourceType":"CareTeam","id":"cara63-team","status":"active","subject":{"reference":"Patient/cara63"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`)
	put63b(t, e, gpSys, "/fhir/Consent/cara63-obj", `{"resourceType":"Consent","id":"cara63-obj","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/cara63"},"dateTime":"2026-02-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]},
 "provision":{"type":"deny","provision":[{"type":"permit","period":{"end":"`+ts+`"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}]}}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	s, b, _ := e.get16c("GET", "/fhir/Condition/cara63-dx", nurse, "")
	t.Logf("before the permit's end: %d released=%v", s, strings.Contains(b, "CARA63-DX"))
	for time.Now().Before(at.Add(1500 * time.Millisecond)) {
		e.get16c("GET", "/fhir/Patient/cara63/$everything", nurse, "")
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range []string{"/fhir/Condition/cara63-dx", "/fhir/Condition?patient=cara63", "/fhir/Patient/cara63/$everything"} {
		if s, b, _ := e.get16c("GET", p, nurse, ""); strings.Contains(b, "CARA63-DX") {
			t.Errorf("after the trust's permit under her objection ended, GET %s released her diagnosis: %d %.300s", p, s, b)
		}
	}
}

// TestReview63bBatchJoinsRecordThenReads: the trust's nurse sends one
// batch: read Jane's diagnosis; store the trust's own record of her
// (Patient/rcx63, her NHS number) and her objection recorded on it; read
// the diagnosis again. Her objection, reaching her GP record through the
// number (review 18a), is answered 201 before the last entry runs: that
// read must withhold. Likewise for a restriction on the new record and
// her address.
func TestReview63bSoundBatchJoinsRecordThenReads(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	put63b(t, e, gpSys, "/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"address":[{"line":["GP-ADDR63 1 Hidden Lane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	obj := strings.ReplaceAll(janeConsent("rcx63-obj", "2026-02-01", "OPTOUT", ""), "Patient/jane", "Patient/rcx63")
	pat := `{"resourceType":"Patient","id":"rcx63","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]}`
	entry := func(method, url, res string) string {
		if res == "" {
			return `{"request":{"method":"` + method + `","url":"` + url + `"}}`
		}
		return `{"resource":` + res + `,"request":{"method":"` + method + `","url":"` + url + `"}}`
	}
	batch := `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join([]string{
		entry("GET", "Condition/diabetes", ""),
		entry("PUT", "Patient/rcx63", pat),
		entry("PUT", "Consent/rcx63-obj", obj),
		entry("GET", "Condition/diabetes", ""),
	}, ",") + `]}`
	r := e.do("POST", "/fhir", nurse, batch)
	_, tail, ok := strings.Cut(r.body, "Consent/rcx63-obj/_history/1")
	if r.status != 200 || !ok || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("premise: the batch's first read releases, its writes are stored: %d %.600s", r.status, r.body)
	}
	if strings.Contains(tail, "GP-DIABETES") {
		t.Errorf("the batch's read after her objection (on a record joined by number) was stored released the diagnosis: %.400s", tail)
	}
	// The same with a restriction on a new record carrying her number.
	pat2 := `{"resourceType":"Patient","id":"rcx63r","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]}`
	put63b(t, e, gpSys, "/fhir/Consent/rcx63-obj-gone", janeConsent("rcx63-obj-gone", "2026-01-01", "OPTIN", ""))
	del63b(t, e, nurse, "/fhir/Consent/rcx63-obj")
	batch = `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join([]string{
		entry("GET", "Patient/jane", ""),
		entry("PUT", "Patient/rcx63r", pat2),
		entry("GET", "Patient/jane", ""),
	}, ",") + `]}`
	r = e.do("POST", "/fhir", nurse, batch)
	_, tail, ok = strings.Cut(r.body, "Patient/rcx63r/_history/1")
	if r.status != 200 || !ok || !strings.Contains(r.body, "GP-ADDR63") {
		t.Fatalf("premise: the batch's first read releases her address, its write is stored: %d %.600s", r.status, r.body)
	}
	if strings.Contains(tail, "GP-ADDR63") {
		t.Errorf("the batch's read after a record carrying her number was stored restricted released her address: %.400s", tail)
	}
}

// lastReasons63b: the reason codes of sub's latest logged request.
func (e *env) lastReasons63b(sub string) []string {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for i := len(e.rec.xs) - 1; i >= 0; i-- {
		if x := e.rec.xs[i]; x.Principal != nil && x.Principal.Sub == sub {
			return x.Reasons
		}
	}
	return nil
}

// TestReview63bSoundSmallCacheReadersDuringObjection: review 16c's
// readers test with a person-context cache of one entry, other people
// read and written all the while (each evicting Jane's context).
func TestReview63bSoundSmallCacheReadersDuringObjection(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newSmallCacheEnv(t, 1)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	l := startLoad16c(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	l.loop(func(i int) {
		e.get16c("GET", fmt.Sprintf("/fhir/Patient/other-%d/$everything", i%3), nurse, "")
	})
	togglesUnderReaders(t, e, l, nurse, everyWay16c, "GP-DIABETES", func(on bool) {
		status := "inactive"
		if on {
			status = "active"
		}
		put63b(t, e, gpSys, "/fhir/Consent/jane-obj63", strings.Replace(janeConsent("jane-obj63", "2026-02-01", "OPTOUT", ""), consentActive63b, `"status":"`+status+`"`, 1))
	})
	l.finish(t)
}

// TestReview63bSoundClaimedMemoFollowsTime: the GP's care team names the
// hospice until a few seconds from now; the hospice also wrote its own
// team naming itself. While the GP's team is in force the hospice's reads
// are not flagged claimed-relationship; once it has ended (no write in
// between, the memo kept per context), they must be.
func TestReview63bSoundClaimedMemoFollowsTime(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	at := time.Now().UTC().Add(4 * time.Second).Truncate(time.Second)
	put63b(t, e, gpSys, "/fhir/CareTeam/gp-hospice63", `{"resourceType":"CareTeam","id":"gp-hospice63","status":"active","subject":{"reference":"Patient/jane"},"period":{"end":"`+at.Format(time.RFC3339)+`"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`)
	put63b(t, e, e.token("system", "nhs", "RYY"), "/fhir/CareTeam/own-hospice63", `{"resourceType":"CareTeam","id":"own-hospice63","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`)
	hospice := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "hospice63" })
	if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", hospice, ""); !strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: %d %.300s", s, b)
	}
	if rs := e.lastReasons63b("hospice63"); strings.Contains(strings.Join(rs, " "), api.CodeClaimedRelationship) {
		t.Fatalf("premise: on the GP's team, the hospice's read is not claimed: %v", rs)
	}
	for time.Now().Before(at.Add(1500 * time.Millisecond)) {
		e.get16c("GET", "/fhir/Condition/diabetes", hospice, "")
		time.Sleep(200 * time.Millisecond)
	}
	s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", hospice, "")
	if !strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: on its own team the hospice still reads: %d %.300s", s, b)
	}
	if rs := e.lastReasons63b("hospice63"); !strings.Contains(strings.Join(rs, " "), api.CodeClaimedRelationship) {
		t.Errorf("after the GP's team ended, the hospice's read on its own team alone was not flagged claimed: %d %v", s, rs)
	}
}

// TestReview63bSoundReadersDuringLinkerRestriction: the hospital's record
// of Jane links to her GP record (Patient.link, by reference, not by
// number) and is marked restricted and not, while the nurse's readers
// read her GP record's address (the linkers' answer kept between
// requests).
func TestReview63bSoundReadersDuringLinkerRestriction(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	put63b(t, e, gpSys, "/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"address":[{"line":["GP-ADDR63 1 Hidden Lane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	linker := func(on bool) string {
		sec := ""
		if on {
			sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
		}
		return `{"resourceType":"Patient","id":"hl63",` + sec + `"name":[{"family":"Smith"}],"link":[{"other":{"reference":"Patient/jane"},"type":"seealso"}]}`
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	put63b(t, e, hospSys, "/fhir/Patient/hl63", linker(true))
	if s, b, _ := e.get16c("GET", "/fhir/Patient/jane", nurse, ""); strings.Contains(b, "GP-ADDR63") {
		t.Skipf("premise: a restricted record linking to Jane does not restrict her GP record here: %d", s)
	}
	put63b(t, e, hospSys, "/fhir/Patient/hl63", linker(false))
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, nurse, []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything", "/fhir/Patient?identifier=9434765919"}, "GP-ADDR63", func(on bool) {
		put63b(t, e, hospSys, "/fhir/Patient/hl63", linker(on))
	})
	l.finish(t)
}

// TestReview63bSoundImportedDirectoryLabel: another process on the same
// file (carex import) labels an Organization that Jane's encounter names,
// after the server has cached its labelled-directory list; the social
// worker's next read must not name it. Then the server's own neutral
// writes run between (its keys, not the importer's).
func TestReview63bSoundImportedDirectoryLabel(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	org := func(label string) string {
		return `{"resourceType":"Organization","id":"imp63",` + label + `"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSIMP63"}],"name":"IMP63ORG"}`
	}
	put63b(t, e, hosp, "/fhir/Organization/imp63", org(""))
	put63b(t, e, hosp, "/fhir/Encounter/enc63-imp", `{"resourceType":"Encounter","id":"enc63-imp","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC63-IMP"},"serviceProvider":{"reference":"Organization/imp63","display":"IMP63ORG"}}`)
	sw := e.token("social-worker", "council", "E06000999")
	if s, b, _ := e.get16c("GET", "/fhir/Encounter/enc63-imp", sw, ""); !strings.Contains(b, "imp63") {
		t.Fatalf("premise: %d %.300s", s, b)
	}
	other, err := sqlite.Open(context.Background(), e.db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	importer := api.New(api.Config{Store: other})
	hospImport := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "RHX", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	for i := range 6 {
		label := ""
		if i%2 == 0 {
			label = rLabel31b + ","
		}
		if _, err := importer.Import(context.Background(), hospImport, []byte(org(label))); err != nil {
			t.Fatalf("import: %v", err)
		}
		// the server's own neutral write in between, on odd rounds
		if i%4 == 1 {
			put63b(t, e, e.token("system", "nhs", "A81001"), "/fhir/Observation/n63", fmt.Sprintf(`{"resourceType":"Observation","id":"n63","status":"final","code":{"text":"N"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":%d}}`, i))
		}
		for _, p := range []string{"/fhir/Encounter/enc63-imp", "/fhir/Patient/jane/$everything"} {
			s, b, _ := e.get16c("GET", p, sw, "")
			if label != "" && (strings.Contains(b, "imp63") || strings.Contains(b, "IMP63ORG")) {
				t.Errorf("round %d: after the import labelled the organisation, GET %s named it: %d %.300s", i, p, s, b)
			}
			if label == "" && !strings.Contains(b, "imp63") {
				t.Errorf("round %d: after the import took the label off, GET %s still hid it: %d", i, p, s)
			}
		}
	}
}

// TestReview63bSoundTransactionJoinsRecordThenReads: as the batch test,
// in a transaction (its GET entries run after its writes are committed):
// first a read of Jane's diagnosis, with the trust's record carrying her
// number and her objection on it.
func TestReview63bSoundTransactionJoinsRecordThenReads(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	obj := strings.ReplaceAll(janeConsent("rcx63-obj", "2026-02-01", "OPTOUT", ""), "Patient/jane", "Patient/rcx63")
	pat := `{"resourceType":"Patient","id":"rcx63","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]}`
	entry := func(method, url, res string) string {
		if res == "" {
			return `{"request":{"method":"` + method + `","url":"` + url + `"}}`
		}
		return `{"fullUrl":"` + "http://x.example/fhir/" + url + `","resource":` + res + `,"request":{"method":"` + method + `","url":"` + url + `"}}`
	}
	// The trust's record exists beforehand under another number (so it is
	// the trust's to record a Consent on); the transaction corrects it.
	put63b(t, e, nurse, "/fhir/Patient/rcx63", strings.Replace(pat, "9434765919", otherNumber63b, 1))
	// warm: the nurse's read caches Jane's person and number answers
	if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", nurse, ""); !strings.Contains(b, "GP-DIABETES") {
		t.Fatalf("premise: %d", s)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join([]string{
		entry("GET", "Condition/diabetes", ""),
		entry("GET", "Patient/jane/$everything", ""),
		entry("PUT", "Patient/rcx63", pat),
		entry("PUT", "Consent/rcx63-obj", obj),
	}, ",") + `]}`
	r := e.do("POST", "/fhir", nurse, tx)
	if r.status != 200 || !strings.Contains(r.body, "Consent/rcx63-obj/_history/1") {
		t.Fatalf("premise: the transaction's writes are stored: %d %.600s", r.status, r.body)
	}
	if strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("the transaction's reads, run after its writes stored her objection on a record joined by number, released the diagnosis: %.600s", r.body)
	}
}

// TestReview63bSoundReadersDuringItemLabel: the GP labels Jane's diagnosis
// PSY and takes the label off again, while the nurse's readers read it:
// from each answered label on, no read releases it.
func TestReview63bSoundReadersDuringItemLabel(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, e.token("district-nurse", "nhs", "RCX"), everyWay16c, "GP-DIABETES", func(on bool) {
		sec := ""
		if on {
			sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},`
		}
		put63b(t, e, gpSys, "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes",`+sec+`"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`)
	})
	l.finish(t)
}

// TestReview63bSoundReadersDuringSupersessionByDate: Jane's objection
// (OPTOUT, 2026-03-01) stands; her OPTIN Consent is redated after it
// (superseding it: released) and back before it (withheld), while the
// nurse's readers read: from each answered redating back, none releases.
func TestReview63bSoundReadersDuringSupersessionByDate(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("load and clock probes (review 63b, no findings): run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	put63b(t, e, gpSys, "/fhir/Consent/jane-out63", janeConsent("jane-out63", "2026-03-01", "OPTOUT", ""))
	put63b(t, e, gpSys, "/fhir/Consent/jane-in63", janeConsent("jane-in63", "2026-04-01", "OPTIN", ""))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if s, b, _ := e.get16c("GET", "/fhir/Condition/diabetes", nurse, ""); !strings.Contains(b, "GP-DIABETES") {
		t.Skipf("premise: a newer OPTIN supersedes the older objection: %d", s)
	}
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, nurse, everyWay16c, "GP-DIABETES", func(on bool) {
		date := "2026-04-01"
		if on {
			date = "2026-02-01"
		}
		put63b(t, e, gpSys, "/fhir/Consent/jane-in63", janeConsent("jane-in63", date, "OPTIN", ""))
	})
	l.finish(t)
}
