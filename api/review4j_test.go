package api_test

import (
	"testing"
	"time"
)

// Review 4j: the engine orders a recorder's Consents by dateTime, capped
// at, and tied by, when each was stored (Consent.RecordedBy from the
// current version's lastUpdated).

// TestReview4jResendOfOlderPermitLiftsObjection: Jane's GP system records
// her permit (OPTIN, dated 10 March, date only). Later that day she
// objects (OPTOUT, 10 March 15:00): dateTime cannot order the two, the
// objection was stored last, so it decides. Then the GP system re-sends
// the permit unchanged (a retry, a nightly resync: an idempotent PUT of
// the same body). The store writes a new version with a new lastUpdated,
// so the permit now counts as "stored last" and lifts the objection: the
// district nurse reads Jane's GP diagnosis. Nothing about Jane's choices
// changed; repeating an identical PUT changed the sharing decision.
func TestReview4jResendOfOlderPermitLiftsObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	permit := janeConsent("permit", "2025-03-10", "OPTIN", "")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", permit})
	time.Sleep(5 * time.Millisecond)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/objection", janeConsent("objection", "2025-03-10T15:00:00Z", "OPTOUT", "")})
	if nurseReadsDiabetes(t, e) {
		t.Fatal("setup: the objection stored after the same-day permit is not applied")
	}
	time.Sleep(5 * time.Millisecond)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", permit}) // the same body again
	if nurseReadsDiabetes(t, e) {
		t.Error("re-sending Jane's older permit unchanged lifted her later objection: the district nurse reads her GP diagnosis")
	}
}

// TestReview4jResendOfAheadDatedPermitOutranksObjection: the case review 4h
// fixed, re-opened by a re-send. The GP system records a permit dated a
// few minutes ahead of the clock (clock drift; accepted: within futureSlack);
// it is capped at when it was stored. Jane then objects (dated now, to the
// millisecond): the objection is newer and decides. The GP system re-sends
// the permit unchanged: the cap is now the new version's lastUpdated,
// after the objection, so the permit is newer at both precisions and
// lifts the objection — "for good" while the re-sends go on.
func TestReview4jResendOfAheadDatedPermitOutranksObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	// Dated beyond futureSlack (five minutes): now refused on write. Within
	// it, a re-send inside those minutes can still outrank an objection
	// recorded in between: the window README names.
	permit := janeConsent("permit", time.Now().UTC().Add(10*time.Minute).Format("2006-01-02T15:04:05Z"), "OPTIN", "")
	if r := e.do("PUT", "/fhir/Consent/permit", gpSys, permit); r.status == 422 {
		return
	} else if r.status != 201 {
		t.Fatalf("permit: %d %s", r.status, r.body)
	}
	time.Sleep(20 * time.Millisecond)
	objected := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/objection", janeConsent("objection", objected, "OPTOUT", "")})
	if nurseReadsDiabetes(t, e) {
		t.Fatal("setup: the objection recorded after the (capped) permit is not applied")
	}
	time.Sleep(20 * time.Millisecond)
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/permit", permit}) // the same body again
	if nurseReadsDiabetes(t, e) {
		t.Error("re-sending a permit dated ahead of the clock unchanged outranks the objection recorded after it: the district nurse reads Jane's GP diagnosis")
	}
}

// TestReview4jObjectionExceptCorrectionsIsIgnored: Jane objects to the
// shared care record, but lets her GP's corrections through: OPTOUT whose
// root provision is a permit for action correct. The write is accepted,
// but the engine drops the whole Consent (GovernsReads looks at the root's
// action only, though the root here is an exception and the base —
// withhold — decides every read outside it), so her record is shared.
func TestReview4jObjectionExceptCorrectionsIsIgnored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	r := e.do("PUT", "/fhir/Consent/objection", gpSys, janeConsent("objection", "2025-03-01", "OPTOUT",
		`,"provision":{"type":"permit","action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"correct"}]}]}`))
	if r.status == 422 {
		return // refused on write: nothing dropped
	}
	if r.status != 201 {
		t.Fatalf("objection: %d %s", r.status, r.body)
	}
	if nurseReadsDiabetes(t, e) {
		t.Error("Jane's objection (OPTOUT, except corrections) was accepted and is ignored: the district nurse reads her GP diagnosis")
	}
}
