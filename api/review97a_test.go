package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Review 97a: a re-read of 6950457, ece5253 and 7a93858 (the notice's
// ScanCompartment, a transaction's matched conditional create decided
// again after the commit). Real server, real SQLite file, real tokens.
// Its findings (an equipment order dated by occurrenceTiming) are fixed in
// revision 2026-12-07i.

const r97aEnc = `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`

// TestReview97aSoundTransactionWithheldMatchLogged: the 96a transaction
// (Jane's objection to A81001 and a conditional create matching the
// hospital's admission) answers the match withheld; its access-log entry
// must say so (SPEC §6: what was released and how many items were
// withheld) and must not list the admission as released.
func TestReview97aSoundTransactionWithheldMatchLogged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	obj := denyOrgConsent("c97-tx", "jane", "A81001")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + r97aEnc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"_id=admission"}},
	 {"resource":` + obj + `,"request":{"method":"PUT","url":"Consent/c97-tx"}}]}`
	r := e.do("POST", "/fhir", gp, tx, "Prefer", "return=representation")
	if r.status != 200 || strings.Contains(r.body, "HOSP-ADMISSION") {
		t.Fatalf("premise (96a fix): %d %.400s", r.status, r.body)
	}
	x := e.lastEntry(t)
	t.Logf("logged: released %v, withheld %d, decision %s, reasons %v", x.Released, x.Withheld, x.Decision, x.Reasons)
	for _, rel := range x.Released {
		if strings.HasPrefix(rel, "Encounter/admission") {
			t.Errorf("the access log lists %s as released; the response withheld it", rel)
		}
	}
	if x.Withheld < 1 {
		t.Errorf("the access log says %d items withheld; the transaction's answer withheld the admission it matched", x.Withheld)
	}
}

// TestReview97aSoundBatchObjectionThenMatch: a batch (not a transaction)
// whose first entry records the objection and whose second is a
// conditional create matching the hospital's admission does not carry
// the admission in its answer.
func TestReview97aSoundBatchObjectionThenMatch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Encounter/admission", gp, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	obj := denyOrgConsent("c97-b", "jane", "A81001")
	b := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"resource":` + obj + `,"request":{"method":"PUT","url":"Consent/c97-b"}},
	 {"resource":` + r97aEnc + `,"request":{"method":"POST","url":"Encounter","ifNoneExist":"_id=admission"}}]}`
	r := e.do("POST", "/fhir", gp, b, "Prefer", "return=representation")
	if r.status != 200 {
		t.Fatalf("batch: %d %.400s", r.status, r.body)
	}
	if strings.Contains(r.body, "HOSP-ADMISSION") {
		t.Errorf("the batch recording the objection released the admission in its answer: %.600s", r.body)
	}
}

// TestReview97aSoundTransactionMatchRestrictedPatient: the district
// nurse's transaction conditionally creates Marg's Patient (restricted,
// R, recorded by her GP) by NHS number, matching the GP's record. The
// matched Patient in the answer must be redacted as a read of it is (no
// address), and the access must raise the restricted-patient alert
// (SPEC §5).
func TestReview97aSoundTransactionMatchRestrictedPatient(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/marg", nurse, ""); r.status != 200 || strings.Contains(r.body, "SECRET-ADDR") {
		t.Fatalf("premise: the nurse's read of Marg: %d %.300s", r.status, r.body)
	}
	for _, prefer := range []string{"return=representation", "return=minimal", "return=OperationOutcome"} {
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}]},
		  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"}}]}`
		r := e.do("POST", "/fhir", nurse, tx, "Prefer", prefer)
		if r.status != 200 {
			t.Fatalf("%s: %d %.400s", prefer, r.status, r.body)
		}
		x := e.lastEntry(t)
		t.Logf("%s: %.300s; logged released %v reasons %v", prefer, r.body, x.Released, x.Reasons)
		for _, secret := range []string{"SECRET-ADDR", "01134960999", "dr-secret", "SECRET-NARRATIVE"} {
			if strings.Contains(r.body, secret) {
				t.Errorf("%s: the matched restricted Patient carries %s: %.600s", prefer, secret, r.body)
			}
		}
		if !slices.Contains(x.Reasons, "restricted-patient") {
			t.Errorf("%s: no restricted-patient alert in the log entry: %v", prefer, x.Reasons)
		}
	}
}

// TestReview97aSoundNoticeLowerCaseOrgAcrossChunks: the GP (token org in
// lower case, "a81001") searches Jane's Conditions by onset; 100 of the
// hospital's Conditions released to the GP come first (past the scan's
// 16 and 64 row chunks), with 30 of the practice's own (passed over),
// then one HIV-labelled hospital Condition withheld: the notice is there;
// without that last item it is not.
func TestReview97aSoundNoticeLowerCaseOrgAcrossChunks(t *testing.T) {
	e := newEnv(t)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "a81001")
	cond := func(pid, id, onset, sec string) [2]string {
		return [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `",` + sec + `"subject":{"reference":"Patient/` + pid + `"},` +
			`"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"` + strings.ToUpper(id) + `"},"onsetDateTime":"` + onset + `"}`}
	}
	hiv := `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},`
	for _, withheld := range []bool{false, true} {
		pid := fmt.Sprintf("nc%v", withheld)
		e.putAll(t, gpSys, [2]string{"/fhir/Patient/" + pid, `{"resourceType":"Patient","id":"` + pid + `","generalPractitioner":[{"reference":"Organization/A81001"}]}`})
		var ws [][2]string
		for k := range 100 {
			ws = append(ws, cond(pid, fmt.Sprintf("%s-h%d", pid, k), "2020-02-02", ""))
		}
		e.putAll(t, hosp, ws...)
		ws = nil
		for k := range 30 {
			ws = append(ws, cond(pid, fmt.Sprintf("%s-own%d", pid, k), "2021-01-01", ""))
		}
		e.putAll(t, gpSys, ws...)
		if withheld {
			e.putAll(t, hosp, cond(pid, pid+"-hiv", "2020-01-01", hiv))
		}
		r := e.do("GET", "/fhir/Condition?patient="+pid+"&onset-date=2021-01-01", gp, "")
		if r.status != 200 || !strings.Contains(r.body, strings.ToUpper(pid+"-own0")) {
			t.Fatalf("%s: %d %.300s", pid, r.status, r.body)
		}
		if got := strings.Contains(r.body, "confidential-items"); got != withheld {
			t.Errorf("%s: notice %v, want %v", pid, got, withheld)
		}
	}
}

// TestReview97aDeviceRequestOccurrenceTimingJune2015: an equipment
// order whose occurrence is a Timing (R4 DeviceRequest.occurrence[x]:
// dateTime, Period or Timing; a delivery on 10 June 2015) entered in 2024
// is June 2015's care as its occurrenceDateTime twin is (revision
// 2026-12-07h). carex's "event-date" reads occurrenceDateTime and
// occurrencePeriod alone, so the Timing order is dated by its authoredOn
// and released under Jane's deny of June 2015 to the hospital.
func TestReview97aDeviceRequestOccurrenceTimingJune2015(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"GP-EQUIPMENT-TIMING-JUNE-2015": {"/fhir/DeviceRequest/dr97a-timing", `{"resourceType":"DeviceRequest","id":"dr97a-timing","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"GP-EQUIPMENT-TIMING-JUNE-2015"},"occurrenceTiming":{"event":["2015-06-10"]},"authoredOn":"2024-02-02"}`},
	})
}

// TestReview97aSoundRevisionHDatesBSTAndOpenPeriods: the dates revision h
// reads, at the edges: an assessment at 00:30 BST on 1 June 2015 (23:30Z
// on 31 May), an equipment order from June 2015 with no end, a request to
// communicate over a period starting 30 June 2015 23:30 BST, each entered
// in 2024: each withheld under Jane's deny of June 2015.
func TestReview97aSoundRevisionHDatesBSTAndOpenPeriods(t *testing.T) {
	r96bControlThenDeny(t, map[string][2]string{
		"GP-CI-BST":      {"/fhir/ClinicalImpression/ci97a", `{"resourceType":"ClinicalImpression","id":"ci97a","status":"completed","subject":{"reference":"Patient/jane"},"description":"GP-CI-BST","effectiveDateTime":"2015-05-31T23:30:00Z","date":"2024-02-02"}`},
		"GP-DR-OPEN":     {"/fhir/DeviceRequest/dr97a-open", `{"resourceType":"DeviceRequest","id":"dr97a-open","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"GP-DR-OPEN"},"occurrencePeriod":{"start":"2015-06-10"},"authoredOn":"2024-02-02"}`},
		"GP-CR-BST-OPEN": {"/fhir/CommunicationRequest/cr97a", `{"resourceType":"CommunicationRequest","id":"cr97a","status":"active","subject":{"reference":"Patient/jane"},"payload":[{"contentString":"GP-CR-BST-OPEN"}],"occurrencePeriod":{"start":"2015-06-30T23:30:00+01:00"},"authoredOn":"2024-02-02"}`},
	})
}

// TestReview97aSoundConsentActorCodes: real codes are taken (an ODS site
// code "RHX01", a council code "E06000999", a 12-digit SDS user id, and
// " rhx " read as RHX, which then applies to the hospital); a code with a
// hyphen is refused 422, not stored to match no one.
func TestReview97aSoundConsentActorCodes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, c := range []struct{ system, value string }{
		{"https://fhir.nhs.uk/Id/ods-organization-code", "RHX01"},
		{"https://fhir.nhs.uk/Id/sds-user-id", "123456789012"},
	} {
		w := r96bDenyHospital(fmt.Sprintf("c97a-%d", i), `{"identifier":{"system":"`+c.system+`","value":"`+c.value+`"}}`, "")
		if r := e.do("PUT", w[0], gpSys, w[1]); r.status != 201 && r.status != 200 {
			t.Errorf("%s %q refused: %d %.300s", c.system, c.value, r.status, r.body)
		}
	}
	bad := r96bDenyHospital("c97a-bad", `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RHX-01"}}`, "")
	if r := e.do("PUT", bad[0], gpSys, bad[1]); r.status != 422 {
		t.Errorf("RHX-01: %d, want 422", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 200 {
		t.Fatalf("premise: the hospital is refused the diabetes before its deny: %d", r.status)
	}
	w := r96bDenyHospital("c97a-rhx", `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":" rhx "}}`, "")
	if r := e.do("PUT", w[0], gpSys, w[1]); r.status != 201 && r.status != 200 {
		t.Fatalf("' rhx ': %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", hosp, ""); r.status != 404 && r.status != 403 {
		t.Errorf("after Jane's deny to ' rhx ' the hospital reads her diabetes: %d", r.status)
	}
}

// TestReview97aEverythingDatedMissesTimingOrder: the GP's
// $everything?start=2015-06-01&end=2015-06-30 of Jane's record holds the
// equipment order delivered 10 June 2015 (occurrenceTiming), as it holds
// its occurrenceDateTime twin (revision 2026-12-07h dates both by their
// occurrence).
func TestReview97aEverythingDatedMissesTimingOrder(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/DeviceRequest/dr97a-t", `{"resourceType":"DeviceRequest","id":"dr97a-t","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"EQ-TIMING"},"occurrenceTiming":{"event":["2015-06-10"]},"authoredOn":"2024-02-02"}`},
		[2]string{"/fhir/DeviceRequest/dr97a-d", `{"resourceType":"DeviceRequest","id":"dr97a-d","status":"completed","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"EQ-DATETIME"},"occurrenceDateTime":"2015-06-10","authoredOn":"2024-02-02"}`})
	r := e.do("GET", "/fhir/Patient/jane/$everything?start=2015-06-01&end=2015-06-30", gp, "")
	if r.status != 200 || !strings.Contains(r.body, "EQ-DATETIME") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if !strings.Contains(r.body, "EQ-TIMING") {
		t.Errorf("$everything of June 2015 holds the order delivered then by occurrenceDateTime but not the one by occurrenceTiming")
	}
}
