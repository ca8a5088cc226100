package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"strings"
	"testing"
)

// Review 98a: a re-read of 7a93858 and a483c5b (a transaction's matched
// conditional create decided again after the commit; LabelUnread; the
// dates of revisions 2026-12-07h/i; a Patient search by NHS number naming
// whoever carries it; a Consent actor's codes). Real server, real SQLite
// file, real tokens (newEnv). Its findings are fixed: a withheld match is
// counted once and masked in the other entries; bare and several NHS
// numbers are named; a Consent naming CAREX-UNREAD is refused.

const r98aNHS = "https://fhir.nhs.uk/Id/nhs-number"

// r98aSearches counts the searches in the person's $who-accessed report
// (asked by the GP practice's IG officer), by status.
func r98aSearches(t *testing.T, e *env, patient string) map[int]int {
	t.Helper()
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient="+patient, ig, "")
	if r.status != 200 {
		t.Fatalf("$who-accessed?patient=%s: %d %.300s", patient, r.status, r.body)
	}
	var rep struct {
		Entries []struct {
			Operation string `json:"operation"`
			Status    int    `json:"status"`
			Path      string `json:"path"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil {
		t.Fatalf("$who-accessed: %v %.300s", err, r.body)
	}
	out := map[int]int{}
	for _, en := range rep.Entries {
		if en.Operation == "search" {
			out[en.Status]++
		}
	}
	return out
}

// TestReview98aSoundNHSNumberSearchForms: the GP's Patient search by
// Jane's NHS number narrowed to nothing (family=Quimby) is in her
// $who-accessed whether the number is given with its system, with spaces
// (SPEC §5: NHS numbers are accepted with or without spaces); a number no
// one carries names no one; a search with :not names no one (it is not a
// search for her).
func TestReview98aSoundNHSNumberSearchForms(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, q := range []string{
		"identifier=" + r98aNHS + "|9434765919&family=Quimby",
		"identifier=" + r98aNHS + "|943%20476%205919&family=Quimby",
	} {
		before := r98aSearches(t, e, "jane")[200]
		if r := e.do("GET", "/fhir/Patient?"+q, gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":0`) {
			t.Fatalf("%s: %d %.300s", q, r.status, r.body)
		}
		if after := r98aSearches(t, e, "jane")[200]; after != before+1 {
			t.Errorf("%s: Jane's $who-accessed lists %d searches after it, %d before", q, after, before)
		}
	}
	// :not is no search for her.
	before := r98aSearches(t, e, "jane")[200]
	if r := e.do("GET", "/fhir/Patient?identifier:not="+r98aNHS+"|9434765919&family=Quimby", gp, ""); r.status != 200 {
		t.Fatalf(":not: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "jane")[200]; after != before {
		t.Errorf("identifier:not=her number is listed in Jane's report: %d -> %d", before, after)
	}
}

// TestReview98aBareNHSNumberSearchMissingFromHerReport: the
// search a483c5b puts in her report, with the number given bare
// (Patient?identifier=9434765919&family=Quimby): carex reads a bare value
// that is an NHS number as one (review 21c; a refused search so names
// her: access.go), and such a search finds Jane when it is not narrowed.
// Narrowed to nothing, it is a probe of her record as the same search with
// the system is, and must be in her $who-accessed as that one is (review
// 97b). nhsSearched reads only a value with the NHS number system.
func TestReview98aBareNHSNumberSearchMissingFromHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient?identifier=9434765919", gp, ""); r.status != 200 || !strings.Contains(r.body, `"id":"jane"`) {
		t.Fatalf("premise: a bare number finds Jane: %d %.300s", r.status, r.body)
	}
	before := r98aSearches(t, e, "jane")[200]
	if r := e.do("GET", "/fhir/Patient?identifier=9434765919&family=Quimby", gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":0`) {
		t.Fatalf("narrowed: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "jane")[200]; after != before+1 {
		t.Errorf("Patient?identifier=9434765919&family=Quimby (200, nothing found) is not in Jane's $who-accessed (searches %d before, %d after); the same search with the NHS number system is", before, after)
	}
}

// TestReview98aTwoNHSNumbersSearchMissingFromReports: a search by
// two NHS numbers (identifier=…|Jane's,…|Marg's&family=Quimby, R4 "or")
// narrowed to nothing is a probe of each record, as one by either number
// alone is (a483c5b); neither person's $who-accessed lists it.
func TestReview98aTwoNHSNumbersSearchMissingFromReports(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedRestricted(t, e)
	gp := e.token("gp", "nhs", "A81001")
	beforeJ, beforeM := r98aSearches(t, e, "jane")[200], r98aSearches(t, e, "marg")[200]
	q := "/fhir/Patient?identifier=" + r98aNHS + "|9434765919," + r98aNHS + "|9990000069&family=Quimby"
	if r := e.do("GET", q, gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":0`) {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	afterJ, afterM := r98aSearches(t, e, "jane")[200], r98aSearches(t, e, "marg")[200]
	if afterJ != beforeJ+1 || afterM != beforeM+1 {
		t.Errorf("a search by Jane's and Marg's NHS numbers (nothing found) is in Jane's report %v and Marg's %v (want each)", afterJ > beforeJ, afterM > beforeM)
	}
}

// TestReview98aSoundRestrictedNumberSearchNothingFound: the district
// nurse (a care team member) searching Marg's number narrowed to nothing:
// the entry names Marg, and whether it raises the restricted-patient
// alert is not asserted (SPEC §5: "every access to them raises an IG
// alert"; seen: none is raised for this search, which released nothing of
// her — judged no access here).
func TestReview98aSoundRestrictedNumberSearchNothingFound(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	before := r98aSearches(t, e, "marg")[200]
	r := e.do("GET", "/fhir/Patient?identifier="+r98aNHS+"|9990000069&family=Quimby", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "SECRET") {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	if after := r98aSearches(t, e, "marg")[200]; after != before+1 {
		t.Errorf("Marg's report lacks the nurse's search by her number: %d -> %d", before, after)
	}
}

// TestReview98aSoundTransactionOwnItemMatchedBesideObjection: the GP
// system's transaction records Jane's objection to sharing with A81001
// itself and conditionally creates a Condition matching the practice's
// own diabetes: a source always sees what it recorded (SPEC §5), so the
// entry carries it and nothing is counted withheld.
func TestReview98aSoundTransactionOwnItemMatchedBesideObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + cond + `,"request":{"method":"POST","url":"Condition","ifNoneExist":"_id=diabetes"}},
	 {"resource":` + denyOrgConsent("c98-own", "jane", "A81001") + `,"request":{"method":"PUT","url":"Consent/c98-own"}}]}`
	r := e.do("POST", "/fhir", gpSys, tx, "Prefer", "return=representation")
	if r.status != 200 {
		t.Fatalf("transaction: %d %.400s", r.status, r.body)
	}
	x := e.lastEntry(t)
	if !strings.Contains(r.body, "GP-DIABETES") || x.Withheld != 0 {
		t.Errorf("the practice's own diabetes, matched: in the answer %v, withheld %d, reasons %v: %.500s", strings.Contains(r.body, "GP-DIABETES"), x.Withheld, x.Reasons, r.body)
	}
}

// TestReview98aTwoMatchesOfOneWithheldItemCountedTwice: a
// transaction with two conditional creates matching the hospital's
// admission, beside Jane's objection to A81001 (the GP's practice). The
// admission is one item, withheld from the answer of both entries; the
// access log must say how many items were withheld (SPEC §6), and with
// one such entry it says 1. With two it says 2: transaction decides the
// match again for each entry (7a93858, api/bundle.go), and each decision
// counts (gate.withheld).
func TestReview98aTwoMatchesOfOneWithheldItemCountedTwice(t *testing.T) {
	enc := `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`
	match := func(cond string) string {
		return `{"resource":` + enc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"` + cond + `"}},`
	}
	for _, c := range []struct {
		name, entries string
	}{
		{"one match", match("_id=admission")},
		{"two matches", match("_id=admission") + match("identifier:missing=true&_id=admission")},
	} {
		e := newEnv(t)
		seedShared(t, e)
		gp := e.token("gp", "nhs", "A81001")
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[` + c.entries + `
		 {"resource":` + denyOrgConsent("c98-two", "jane", "A81001") + `,"request":{"method":"PUT","url":"Consent/c98-two"}}]}`
		r := e.do("POST", "/fhir", gp, tx, "Prefer", "return=representation")
		if r.status != 200 || strings.Contains(r.body, "HOSP-ADMISSION") {
			t.Fatalf("%s: %d %.500s", c.name, r.status, r.body)
		}
		x := e.lastEntry(t)
		if x.Withheld != 1 {
			t.Errorf("%s: the one admission withheld is logged as %d items withheld (released %v, reasons %v)", c.name, x.Withheld, x.Released, x.Reasons)
		}
	}
}

// TestReview98aSoundTransactionBreakGlassMatch: a hospital clinician of
// an organisation with no relationship with Jane, under break-glass,
// reads the hospital's admission (200); the same user's transaction whose
// conditional create matches it answers it as that read does, logged
// under break-glass (decided again after the commit on the request's own
// break-glass person).
func TestReview98aSoundTransactionBreakGlassMatch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	st := e.token("hospital-clinician", "nhs", "RZZ")
	const reason = "EMERGENCY: unconscious, history needed"
	if r := e.do("GET", "/fhir/Encounter/admission", st, "", "X-Break-Glass", reason); r.status != 200 {
		t.Fatalf("premise: break-glass read %d %.300s", r.status, r.body)
	}
	enc := `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + enc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"_id=admission"}}]}`
	r := e.do("POST", "/fhir", st, tx, "Prefer", "return=representation", "X-Break-Glass", reason)
	x := e.lastEntry(t)
	if r.status != 200 || !strings.Contains(r.body, "HOSP-ADMISSION") || x.Withheld != 0 || !slices.Contains(x.Reasons, "break-glass") {
		t.Errorf("%d withheld %d released %v reasons %v: %.600s", r.status, x.Withheld, x.Released, x.Reasons, r.body)
	}
}

// TestReview98aTransactionAnswerNamesWithheldMatch: the GP's
// transaction records Jane's objection to A81001, conditionally creates an
// Encounter by the hospital's visit number (matching the hospital's
// admission, whose carex id the GP does not know), and writes an
// Observation naming that entry (urn:uuid). 7a93858 answers the matched
// entry with "200 OK" alone, as the admission is withheld now; but the
// Observation's entry in the same answer names it, "Encounter/adm-7731",
// where a read of the same Observation a moment later masks the reference
// (data-absent-reason masked), as withheld items are "simply absent"
// (SPEC §5). The transaction's answer must not say more than the read.
func TestReview98aTransactionAnswerNamesWithheldMatch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Encounter/adm-7731", `{"resourceType":"Encounter","id":"adm-7731","identifier":[{"system":"https://hosp.example/visit","value":"V123"}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"serviceType":{"text":"HOSP-V123"}}`})
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Encounter/adm-7731", gp, ""); r.status != 200 {
		t.Fatalf("premise: the GP reads the admission before the objection: %d", r.status)
	}
	const urn = "urn:uuid:0b6c3f4e-5a0e-4b8e-9a53-0c1d2e3f4a5b"
	enc := `{"resourceType":"Encounter","identifier":[{"system":"https://hosp.example/visit","value":"V123"}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`
	obs := `{"resourceType":"Observation","id":"o98","status":"final","code":{"text":"GP-OBS98"},"subject":{"reference":"Patient/jane"},"encounter":{"reference":"` + urn + `"}}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"` + urn + `","resource":` + enc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"identifier=https://hosp.example/visit|V123"}},
	 {"resource":` + obs + `,"request":{"method":"PUT","url":"Observation/o98"}},
	 {"resource":` + denyOrgConsent("c98-ref", "jane", "A81001") + `,"request":{"method":"PUT","url":"Consent/c98-ref"}}]}`
	r := e.do("POST", "/fhir", gp, tx, "Prefer", "return=representation")
	if r.status != 200 || strings.Contains(r.body, "HOSP-V123") {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	rr := e.do("GET", "/fhir/Observation/o98", gp, "")
	if rr.status != 200 || strings.Contains(rr.body, "adm-7731") {
		t.Fatalf("premise: the read of the Observation masks the withheld admission: %d %.400s", rr.status, rr.body)
	}
	if strings.Contains(r.body, "Encounter/adm-7731") {
		t.Errorf("the transaction's answer names the admission the objection withholds from the GP (a read of the same Observation masks it: %.300s): …%s…", rr.body, around21a(r.body, "adm-7731"))
	}
}

// TestReview98aPermitOfUnreadLabelStoredReleasingNothing: Jane's
// permit to the hospital of securityLabel CAREX-UNREAD — carex's own
// marker of an item it could not read (7a93858), which README says no
// permit releases — is stored 201 and releases nothing it names: the
// GP's gzip letter so labelled stays withheld from the hospital. carex
// refuses, 422, a provision that would apply to nothing it names rather
// than store it (checkLabelledPermits, review 79a: a permit that
// "released nothing labelled"; refActor, review 96b: a deny that
// "matched no one"); a person or her GP reading "permitted" in her
// record is misled. Expected (judgement): refused 422 saying no permit
// releases it.
func TestReview98aPermitOfUnreadLabelStoredReleasingNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	letter := `{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"text":"wound review"}}`
	e.putAll(t, gpSys, [2]string{"/fhir/DocumentReference/gz98", `{"resourceType":"DocumentReference","id":"gz98","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"GP-LETTER-GZ98"},"content":[{"attachment":{"contentType":"application/gzip","data":"` + b64(gzipped(t, letter)) + `"}}]}`})
	c := janeConsent("c98-unread", "2026-01-10", "OPTIN", `,"provision":{"securityLabel":[{"system":"https://carex.example/label","code":"CAREX-UNREAD"}],
	  "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`)
	r := e.do("PUT", "/fhir/Consent/c98-unread", gpSys, c)
	if r.status == 422 {
		return // refused: sound
	}
	if r.status != 201 && r.status != 200 {
		t.Fatalf("PUT: %d %.300s", r.status, r.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	rr := e.do("GET", "/fhir/DocumentReference/gz98", hosp, "")
	t.Errorf("a permit to RHX of CAREX-UNREAD was stored (%d) and releases nothing it names: the hospital's read of the GP's unread letter is %d", r.status, rr.status)
}

// TestReview98aSoundSourceWrittenUnreadLabel: a source writing carex's
// marker CAREX-UNREAD in meta.security itself (another system) keeps its
// item from everyone else, as its own label would; nothing is released by
// it, and $explain gives the IG officer the generic sensitivity reason,
// not "content carex could not read" (which would be false of it).
func TestReview98aSoundSourceWrittenUnreadLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Condition/c98-ul", `{"resourceType":"Condition","id":"c98-ul","meta":{"security":[{"system":"https://feed.example/x","code":"CAREX-UNREAD"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"HOSP-UL"}}`})
	if r := e.do("GET", "/fhir/Condition/c98-ul", e.token("gp", "nhs", "A81001"), ""); r.status != 404 {
		t.Errorf("the GP reads the hospital's item labelled CAREX-UNREAD: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/c98-ul", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Errorf("its source is refused its own item: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	ex := e.do("GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs", ig, "")
	if ex.status != 200 || !strings.Contains(ex.body, "Condition/c98-ul") || strings.Contains(ex.body, "could not read") {
		t.Errorf("$explain: %d %.600s", ex.status, ex.body)
	}
}

// TestReview98aSoundRevisionIDatesEdges: the dates revisions h and i read,
// at further edges, each entered in 2024 and withheld from the hospital
// under Jane's deny of June 2015: an order whose Timing gives only
// repeat.boundsPeriod (June 2015), one whose Timing has events in June
// 2015 and 2024, an assessment with both effectivePeriod (June 2015) and
// date (2024), and a 2024 care plan containing an equipment order
// delivered in June 2015 by Timing (a carried item's dates are the
// carrier's: review 13a).
func TestReview98aSoundRevisionIDatesEdges(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"DR98-BOUNDS": {"/fhir/DeviceRequest/dr98-bounds", `{"resourceType":"DeviceRequest","id":"dr98-bounds","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"DR98-BOUNDS"},"occurrenceTiming":{"repeat":{"boundsPeriod":{"start":"2015-06-10","end":"2015-06-20"},"frequency":1,"period":1,"periodUnit":"d"}},"authoredOn":"2024-02-02"}`},
		"DR98-EVENTS": {"/fhir/DeviceRequest/dr98-events", `{"resourceType":"DeviceRequest","id":"dr98-events","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"DR98-EVENTS"},"occurrenceTiming":{"event":["2024-01-01","2015-06-10T09:00:00+01:00"]},"authoredOn":"2024-02-02"}`},
		"CI98-BOTH":   {"/fhir/ClinicalImpression/ci98-both", `{"resourceType":"ClinicalImpression","id":"ci98-both","status":"completed","subject":{"reference":"Patient/jane"},"description":"CI98-BOTH","effectivePeriod":{"start":"2015-06-29","end":"2015-07-02"},"date":"2024-02-02T10:00:00Z"}`},
		"CP98-CARRIES": {"/fhir/CarePlan/cp98", `{"resourceType":"CarePlan","id":"cp98","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"CP98-CARRIES","period":{"start":"2024-01-01"},
		  "contained":[{"resourceType":"DeviceRequest","id":"d","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"bed"},"occurrenceTiming":{"event":["2015-06-10"]},"authoredOn":"2024-02-02"}],
		  "activity":[{"reference":{"reference":"#d"}}]}`},
	})
}

// TestReview98aSoundEverythingDatedByRevisionI: the GP's dated
// $everything (June 2015) holds the order by repeat.boundsPeriod and the
// assessment by its effective date, and leaves out an order whose Timing
// gives no date (dated by its authoredOn, 2024).
func TestReview98aSoundEverythingDatedByRevisionI(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/DeviceRequest/dr98-b", `{"resourceType":"DeviceRequest","id":"dr98-b","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"EQ-BOUNDS"},"occurrenceTiming":{"repeat":{"boundsPeriod":{"start":"2015-06-10"}}},"authoredOn":"2024-02-02"}`},
		[2]string{"/fhir/DeviceRequest/dr98-n", `{"resourceType":"DeviceRequest","id":"dr98-n","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"EQ-NODATE"},"occurrenceTiming":{"repeat":{"boundsDuration":{"value":2,"unit":"wk","system":"http://unitsofmeasure.org","code":"wk"},"frequency":1,"period":1,"periodUnit":"d"}},"authoredOn":"2024-02-02"}`},
		[2]string{"/fhir/ClinicalImpression/ci98-e", `{"resourceType":"ClinicalImpression","id":"ci98-e","status":"completed","subject":{"reference":"Patient/jane"},"description":"CI-EFFECTIVE","effectiveDateTime":"2015-06-15","date":"2024-02-02"}`})
	r := e.do("GET", "/fhir/Patient/jane/$everything?start=2015-06-01&end=2015-06-30", gp, "")
	if r.status != 200 {
		t.Fatalf("$everything: %d %.300s", r.status, r.body)
	}
	for marker, want := range map[string]bool{"EQ-BOUNDS": true, "CI-EFFECTIVE": true, "EQ-NODATE": false} {
		if got := strings.Contains(r.body, marker); got != want {
			t.Errorf("$everything of June 2015 holds %s: %v, want %v", marker, got, want)
		}
	}
}

// TestReview98aSoundLegacyActorCodeReadAsObjection: a Consent an earlier
// release stored with an ODS actor code 7a93858 refuses ("RHX-01", which
// matched no organisation then) is read as an objection to all sharing
// (README: "a stored one that this release cannot read … counts as an
// objection to all sharing until its recorder corrects or deletes it"):
// the district nurse no longer reads the GP's diabetes.
func TestReview98aSoundLegacyActorCodeReadAsObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r96bDenyHospital("c98-legacy", `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHXZZ1"}}`, ""))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	r79aStoreLegacyCode(t, e, "c98-legacy", "RHXZZ1", "RHX-01")
	if r := e.do("GET", "/fhir/Consent/c98-legacy", gpSys, ""); !strings.Contains(r.body, "RHX-01") {
		t.Fatalf("premise: the legacy value: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
		t.Errorf("a stored Consent this release cannot read is not an objection to all sharing: the nurse reads the diabetes")
	}
}

// TestReview98aSoundRelabelGivesRevisionIDates: an equipment order
// delivered in June 2015 (occurrenceTiming) entered in 2024, as revision
// 2026-12-07g stored it (dated by its authoredOn, 2 February 2024), is
// released to the hospital under Jane's deny of June 2015; carex relabel
// dates it as a fresh write does, and it is then withheld.
func TestReview98aSoundRelabelGivesRevisionIDates(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gpSys, [2]string{"/fhir/DeviceRequest/dr98-rl", `{"resourceType":"DeviceRequest","id":"dr98-rl","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"DR98-RL"},"occurrenceTiming":{"event":["2015-06-10"]},"authoredOn":"2024-02-02"}`},
		r61cDenyJune2015ToHospital())
	if r := e.do("GET", "/fhir/DeviceRequest/dr98-rl", hosp, ""); r.status != 404 {
		t.Fatalf("premise: a fresh write is withheld: %d", r.status)
	}
	const lo, hi = 1706832000000, 1706832000000 + 86400000 - 1 // 2 February 2024, GMT
	for _, q := range []string{
		fmt.Sprintf(`UPDATE versions SET clinical = %d, clinical_end = %d WHERE rid IN (SELECT rid FROM resources WHERE type = 'DeviceRequest')`, lo, hi),
		fmt.Sprintf(`UPDATE resources SET clinical = %d, clinical_end = %d WHERE type = 'DeviceRequest'`, lo, hi),
	} {
		if _, err := e.db.Writer().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.do("GET", "/fhir/DeviceRequest/dr98-rl", hosp, ""); r.status != 200 {
		t.Fatalf("premise: as 07g dated it, the order is released: %d", r.status)
	}
	if _, err := e.api.Relabel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/fhir/DeviceRequest/dr98-rl", hosp, ""); r.status != 404 {
		t.Errorf("after relabel the order delivered in June 2015 is released under the deny of June 2015: %d", r.status)
	}
}
