package api_test

// Review 56a: re-read of commit 4c40ff7 for regressions (consent code
// masking, Consent search refusals, the search notice, DELETE of an id
// never stored, claimed relationships).

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func r56aTotal(body string) string {
	m := regexp.MustCompile(`"total":(\d+)`).FindStringSubmatch(body)
	if m == nil {
		return "?"
	}
	return m[1]
}

func r56aSnip(body, at string) string {
	i := strings.Index(body, at)
	if i < 0 {
		if len(body) > 400 {
			return body[:400]
		}
		return body
	}
	lo, hi := max(0, i-200), min(len(body), i+200)
	return body[lo:hi]
}

const r56aPrivacyScope = `{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}`

// r56aConsent: Jane's GP records her deny of her diabetes (SNOMED
// 44054006) to the council, the code written also where a clinical system
// may put it and the fix did not list: the scope (beside patient-privacy),
// meta.security and the Consent's identifier (under SNOMED CT's system).
const r56aConsent = `{"resourceType":"Consent","id":"c56","status":"active",
 "meta":{"security":[{"system":"http://snomed.info/sct","code":"44054006"}]},
 "identifier":[{"system":"http://snomed.info/sct","value":"44054006"}],
 "scope":{"coding":[` + r56aPrivacyScope + `,{"system":"http://snomed.info/sct","code":"44054006"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}],
   "code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}}`

// TestReview56aConsentOtherElementsSearchMaskedCode: the fix refuses
// Consent searches by category, _tag, action and purpose; do scope,
// _security or identifier, which index elements the masking may also
// mask, still answer by the masked code?
func TestReview56aConsentOtherElementsSearchMaskedCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	w := e.do("PUT", "/fhir/Consent/c56", gpSys, r56aConsent)
	if w.status != 200 && w.status != 201 {
		t.Skipf("the Consent is refused at write: %d %s", w.status, w.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Consent/c56", sw, "")
	t.Logf("social worker reads c56: %d %s", r.status, r.body)
	if r.status != 200 {
		t.Fatalf("premise: the Consent goes to the social worker: %d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "44054006") {
		t.Errorf("the social worker's copy of c56 holds the masked code: %s", r56aSnip(r.body, "44054006"))
	}
	for _, param := range []string{"scope", "_security", "identifier", "security-label"} {
		hit := e.do("GET", "/fhir/Consent?patient=jane&"+param+"=http://snomed.info/sct|44054006", sw, "")
		miss := e.do("GET", "/fhir/Consent?patient=jane&"+param+"=http://snomed.info/sct|73211009", sw, "")
		t.Logf("%s: hit %d total %s; miss %d total %s", param, hit.status, r56aTotal(hit.body), miss.status, r56aTotal(miss.body))
		if hit.status != miss.status || r56aTotal(hit.body) != r56aTotal(miss.body) {
			t.Errorf("%s=<masked code> answers %d total %s, another code %d total %s: the social worker learns the code her copy masks",
				param, hit.status, r56aTotal(hit.body), miss.status, r56aTotal(miss.body))
		}
	}
}

// r56aExtConsent: a Consent whose extensions carry non-clinical values of
// six or more digits (a phone number, a case reference, a date written as
// digits) and a deny with a code.
const r56aExtConsent = `{"resourceType":"Consent","id":"c56x","status":"active",
 "extension":[{"url":"https://example.org/fhir/StructureDefinition/contact-phone","valueString":"07700900123"},
  {"url":"https://example.org/fhir/StructureDefinition/case-reference","valueString":"20261206"},
  {"url":"https://example.org/fhir/StructureDefinition/postcode","valueString":"NS1 1AA"}],
 "identifier":[{"system":"https://example.org/consent-forms","value":"123456789"}],
 "scope":{"coding":[` + r56aPrivacyScope + `]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}],
   "action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"access"}]}],
   "purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}],
   "code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}}`

// TestReview56aOverMaskNonClinicalExtensionValues: the fix masks an
// extension's value of 6 to 18 digits as a concept id whatever its
// extension's url: a phone number or a case reference in a Consent's
// extension goes to other organisations' readers masked, though it names
// no concept.
func TestReview56aOverMaskNonClinicalExtensionValues(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c56x", r56aExtConsent})
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Consent/c56x", sw, "")
	t.Logf("social worker reads c56x: %d %s", r.status, r.body)
	if r.status != 200 {
		t.Fatalf("premise: %d %s", r.status, r.body)
	}
	for _, v := range []string{"07700900123", "20261206", "NS1 1AA", "123456789"} {
		if !strings.Contains(r.body, v) {
			t.Errorf("non-clinical value %q is masked for the social worker (it names no concept)", v)
		}
	}
}

// TestReview56aSoundMaskedConsentStaysReadableAndValid: the elements the
// fix must leave alone stay readable for another organisation (scope,
// policyRule, action, purpose, actor role), the recorder's
// clinical users and client system see the codes, its IG officer does
// not, and the masked copy is still a valid Consent (stored again, as a
// new Consent, by the GP's system).
func TestReview56aSoundMaskedConsentStaysReadableAndValid(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c56x", r56aExtConsent})
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Consent/c56x", sw, "")
	if r.status != 200 || strings.Contains(r.body, "44054006") {
		t.Fatalf("premise: masked for the social worker: %d %s", r.status, r56aSnip(r.body, "44054006"))
	}
	for _, v := range []string{"patient-privacy", `"OPTIN"`, `"access"`, `"TREAT"`, `"IRCP"`, "Organization/E06000999"} {
		if !strings.Contains(r.body, v) {
			t.Errorf("%s is not readable in the masked copy: %s", v, r.body)
		}
	}
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), gpSys} {
		if g := e.do("GET", "/fhir/Consent/c56x", tok, ""); g.status != 200 || !strings.Contains(g.body, "44054006") {
			t.Errorf("the recorder's own user reads its Consent masked: %d %s", g.status, g.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	if g := e.do("GET", "/fhir/Consent/c56x", ig, ""); strings.Contains(g.body, "44054006") {
		t.Errorf("the recorder's IG officer reads the code: %d %s", g.status, r56aSnip(g.body, "44054006"))
	} else {
		t.Logf("recorder's IG officer: %d", g.status)
	}
	copyBody := strings.Replace(r.body, `"id":"c56x"`, `"id":"c56copy"`, 1)
	copyBody = regexp.MustCompile(`,?"meta":\{[^{}]*(\{[^{}]*\}[^{}]*)*\}`).ReplaceAllString(copyBody, "")
	copyBody = strings.Replace(copyBody, `"status":"active"`, `"status":"inactive"`, 1)
	w := e.do("PUT", "/fhir/Consent/c56copy", gpSys, copyBody)
	// (carex's validator wants a coding in a provision's code, as at the
	// parent commit for a masked SNOMED CT code: logged, not asserted)
	t.Logf("the masked copy stored again as a new Consent: %d %.300s", w.status, w.body)
}

// TestReview56aBatchDeleteNeverStored: in a batch, each entry succeeds or
// fails on its own: a DELETE of an id never stored (now answered 404 by
// decideWrites) must not fail the batch's other entries.
func TestReview56aBatchDeleteNeverStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
 {"request":{"method":"DELETE","url":"Observation/never56a"}},
 {"resource":{"resourceType":"Observation","id":"ok56a","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"effectiveDateTime":"2025-05-01"},
  "request":{"method":"PUT","url":"Observation/ok56a"}},
 {"request":{"method":"GET","url":"Observation/hba1c"}}]}`
	r := e.do("POST", "/fhir", gpSys, batch)
	t.Logf("batch: %d %s", r.status, r.body)
	if r.status != 200 {
		t.Fatalf("a batch with a DELETE of an id never stored: %d %s", r.status, r.body)
	}
	st := regexp.MustCompile(`"status":"(\d{3})[^"]*"`).FindAllStringSubmatch(r.body, -1)
	if len(st) < 3 || !strings.HasPrefix(st[1][1], "20") || st[2][1] != "200" {
		t.Errorf("the other entries of the batch did not succeed: %v", st)
	}
	if g := e.do("GET", "/fhir/Observation/ok56a", gpSys, ""); g.status != 200 {
		t.Errorf("the batch's PUT was not stored: %d", g.status)
	}
	// Single DELETEs: never stored, deleted already, with If-Match.
	d1 := e.do("DELETE", "/fhir/Observation/never56b", gpSys, "")
	e.do("DELETE", "/fhir/Observation/ok56a", gpSys, "")
	d2 := e.do("DELETE", "/fhir/Observation/ok56a", gpSys, "")
	d3 := e.do("DELETE", "/fhir/Observation/never56c", gpSys, "", "If-Match", `W/"1"`)
	t.Logf("DELETE never stored: %d %.200s", d1.status, d1.body)
	t.Logf("DELETE deleted again: %d %.200s", d2.status, d2.body)
	t.Logf("DELETE never stored, If-Match: %d %.200s", d3.status, d3.body)
	// A transaction: the DELETE of an id never stored with a PUT.
	tx := strings.Replace(strings.Replace(batch, `"batch"`, `"transaction"`, 1), `,
 {"request":{"method":"GET","url":"Observation/hba1c"}}`, "", 1)
	tx = strings.ReplaceAll(tx, "ok56a", "ok56t")
	x := e.do("POST", "/fhir", gpSys, tx)
	t.Logf("transaction: %d %.300s", x.status, x.body)
}

// TestReview56aSoundConsentScopeConditionalCreate: conditions on category etc.
// are refused for everyone; one on scope or _security is not, and a
// conditional create by the council answers by the masked code.
func TestReview56aSoundConsentScopeConditionalCreate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if w := e.do("PUT", "/fhir/Consent/c56", gpSys, r56aConsent); w.status != 200 && w.status != 201 {
		t.Skipf("refused: %d %s", w.status, w.body)
	}
	council := e.token("system", "council", "E06000999")
	body := `{"resourceType":"Consent","status":"inactive","scope":{"coding":[` + r56aPrivacyScope + `]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"2026-02-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]}}`
	for _, param := range []string{"scope", "_security"} {
		hit := e.do("POST", "/fhir/Consent", council, body, "If-None-Exist", "patient=jane&"+param+"=http://snomed.info/sct|44054006")
		miss := e.do("POST", "/fhir/Consent", council, body, "If-None-Exist", "patient=jane&"+param+"=http://snomed.info/sct|73211009")
		t.Logf("%s: hit %d %.200s; miss %d", param, hit.status, hit.body, miss.status)
		if hit.status != miss.status {
			t.Errorf("If-None-Exist %s=<masked code>: %d, another code: %d — the council learns the GP's Consent's masked code", param, hit.status, miss.status)
		}
	}
}

// TestReview56aNoticeOwnOrgSystemUnfilteredInclude: the GP's client
// system reads only its own organisation's items, and every item here is
// the GP's: an unfiltered search with _include withholds nothing from it,
// yet since 4c40ff7 it says items were excluded (the parent said nothing).
func TestReview56aNoticeOwnOrgSystemUnfilteredInclude(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	plain := e.do("GET", "/fhir/Observation", gpSys, "")
	inc := e.do("GET", "/fhir/Observation?_include=Observation:subject", gpSys, "")
	if plain.status != 200 || inc.status != 200 || strings.Contains(plain.body, "confidential-items") {
		t.Fatalf("premise: %d %d %s", plain.status, inc.status, plain.body)
	}
	if strings.Contains(inc.body, "confidential-items") {
		t.Errorf("the GP system's own Observation with its own Patient included carries the confidential-items notice, nothing withheld: %s", r56aSnip(inc.body, "confidential-items"))
	}
}

// TestReview56aClaimedConsentInOneTransaction: X99001, with no
// relationship with Jane, may not record her Consent alone (403). Written
// in one transaction with the care team naming itself (or with an item of
// hers it writes), the Consent is stored as MayWrite counts the
// transaction's own writes, but noteClaimedConsent asks the stored record,
// where X99001 has no relationship yet: the objection that withdraws
// everyone's data is not flagged claimed-relationship for IG, as the same
// two writes sent one after the other are.
func TestReview56aClaimedConsentInOneTransaction(t *testing.T) {
	for _, mk := range []struct{ name, entry string }{
		{"care team", `{"resource":{"resourceType":"CareTeam","id":"x56-self","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/X99001"}}]},"request":{"method":"PUT","url":"CareTeam/x56-self"}}`},
		{"own data", `{"resource":{"resourceType":"Encounter","id":"x56-enc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"}},"request":{"method":"PUT","url":"Encounter/x56-enc"}}`},
	} {
		t.Run(mk.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			x := e.token("system", "nhs", "X99001")
			optout := janeConsent("x56-optout", "2026-02-01", "OPTOUT", "")
			if r := e.do("PUT", "/fhir/Consent/x56-optout", x, optout); r.status != 403 {
				t.Fatalf("premise: X99001 without a relationship cannot record her consent: %d %.300s", r.status, r.body)
			}
			tx := `{"resourceType":"Bundle","type":"transaction","entry":[` + mk.entry + `,
 {"resource":` + optout + `,"request":{"method":"PUT","url":"Consent/x56-optout"}}]}`
			r := e.do("POST", "/fhir", x, tx)
			nurse := e.token("district-nurse", "nhs", "RCX")
			n := e.do("GET", "/fhir/Condition/diabetes", nurse, "")
			e.rec.mu.Lock()
			for _, xx := range e.rec.xs {
				if xx.Principal != nil && xx.Principal.Org == "X99001" {
					t.Logf("logged: %s %s status %d decision %s reasons %v", xx.Method, xx.Path, xx.Status, xx.Decision, xx.Reasons)
				}
			}
			e.rec.mu.Unlock()
			t.Logf("transaction: %d %.200s; the nurse then reads the GP's diabetes: %d", r.status, r.body, n.status)
			if r.status == 200 && !e.accessLogged(t, "system-user", "claimed-relationship") {
				t.Errorf("X99001 recorded Jane's opt-out (transaction %d; the nurse's read of the GP's diabetes now %d) in one transaction with its %s, and the write is not flagged claimed-relationship for IG", r.status, n.status, mk.name)
			}
		})
	}
}

// TestReview56aClaimedChainCost: a person with 300 care teams, each
// recorded by the organisation the one before named, written last to
// first (the reach then grows one organisation a pass). Time per read of
// the last organisation's clinician, against a GP's read before the
// chain: 4c40ff7's rescans cost 6× the parent's at 300 teams, 59× at
// 1,000; the reach is now kept per stored record.
func TestReview56aClaimedChainCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.do("GET", "/fhir/Condition?patient=jane", gp, "")
	start := time.Now()
	for k := 0; k < 50; k++ {
		e.do("GET", "/fhir/Condition?patient=jane", gp, "")
	}
	before := time.Since(start) / 50
	n := 300
	if v, err := strconv.Atoi(os.Getenv("R56A_N")); err == nil && v > 0 {
		n = v
	}
	org := func(i int) string {
		if i < 0 {
			return "A81001"
		}
		return "Q" + strconv.Itoa(10000+i)
	}
	for i := n - 1; i >= 0; i-- {
		tok := e.token("system", "nhs", org(i-1))
		id := "chain" + strconv.Itoa(i)
		body := `{"resourceType":"CareTeam","id":"` + id + `","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/` + org(i) + `"}}]}`
		if r := e.do("PUT", "/fhir/CareTeam/"+id, tok, body); r.status != 201 && r.status != 200 {
			t.Fatalf("team %d: %d %.200s", i, r.status, r.body)
		}
	}
	clin := e.token("hospital-clinician", "nhs", org(n-1))
	e.do("GET", "/fhir/Condition?patient=jane", clin, "")
	start = time.Now()
	var last resp
	for k := 0; k < 50; k++ {
		last = e.do("GET", "/fhir/Condition?patient=jane", clin, "")
	}
	each := time.Since(start) / 50
	t.Logf("50 reads by %s: %v each (before the chain, the GP's: %v), last %d total %s, flagged %v", org(n-1), each, before, last.status, r56aTotal(last.body), e.accessLogged(t, "hospital-clinician-user", "claimed-relationship"))
	if last.status != 200 || each > 4*before+time.Millisecond {
		t.Errorf("a read through a chain of %d care teams: %d, %v each against %v before the chain", n, last.status, each, before)
	}
}

// TestReview56aConsentSortByMaskedScope: two Consents of Jane's whose
// scope carries a SNOMED CT coding beside patient-privacy, masked for the
// social worker; _sort=scope (and _sort=_security) orders them by the
// masked codes whichever is written first (the fix refuses _sort=category).
func TestReview56aConsentSortByMaskedScope(t *testing.T) {
	for _, key := range []string{"scope", "_security"} {
		t.Run(key, func(t *testing.T) {
			order := func(first, second string) string {
				e := newEnv(t)
				seedShared(t, e)
				gpSys := e.token("system", "nhs", "A81001")
				mk := func(id, date, code string) string {
					return `{"resourceType":"Consent","id":"` + id + `","status":"inactive",
 "meta":{"security":[{"system":"http://snomed.info/sct","code":"` + code + `"}]},
 "scope":{"coding":[` + r56aPrivacyScope + `,{"system":"http://snomed.info/sct","code":"` + code + `"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"` + date + `",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]}}`
				}
				e.putAll(t, gpSys, [2]string{"/fhir/Consent/ca", mk("ca", "2025-01-10", first)}, [2]string{"/fhir/Consent/cb", mk("cb", "2025-02-10", second)})
				sw := e.token("social-worker", "council", "E06000999")
				r := e.do("GET", "/fhir/Consent?patient=jane&_sort="+key, sw, "")
				if strings.Contains(r.body, first) || strings.Contains(r.body, second) {
					t.Fatalf("premise: codes masked: %s", r.body)
				}
				ia, ib := strings.Index(r.body, `"id":"ca"`), strings.Index(r.body, `"id":"cb"`)
				if r.status != 200 || ia < 0 || ib < 0 {
					return "status " + strconv.Itoa(r.status) + " " + r.body[:min(200, len(r.body))]
				}
				if ia < ib {
					return "ca,cb"
				}
				return "cb,ca"
			}
			o1 := order("111111111", "999999999")
			o2 := order("999999999", "111111111")
			t.Logf("_sort=%s: %s / %s", key, o1, o2)
			if strings.HasPrefix(o1, "c") && o1 != o2 {
				t.Errorf("_sort=%s orders the Consents by their masked codes: %s when ca holds the lower code, %s when cb does", key, o1, o2)
			}
		})
	}
}

// TestReview56aSoundRecorderIGWriteBack: the recording organisation's IG
// officer now reads its Consent masked. Can the IG officer still
// withdraw it by writing back what was read with status inactive (logged;
// compare with the parent)?
func TestReview56aSoundRecorderIGWriteBack(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c56x", r56aExtConsent})
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/Consent/c56x", ig, "")
	t.Logf("IG reads: %d masked=%v", r.status, !strings.Contains(r.body, "44054006"))
	body := strings.Replace(r.body, `"status":"active"`, `"status":"inactive"`, 1)
	w := e.do("PUT", "/fhir/Consent/c56x", ig, body)
	t.Logf("IG writes back inactive: %d %.300s", w.status, w.body)
	g := e.do("GET", "/fhir/Consent/c56x", gpSys, "")
	t.Logf("stored after: code kept=%v phone kept=%v status inactive=%v", strings.Contains(g.body, "44054006"), strings.Contains(g.body, "07700900123"), strings.Contains(g.body, `"inactive"`))
	if w.status < 300 && (!strings.Contains(g.body, "44054006") || !strings.Contains(g.body, "07700900123")) {
		t.Errorf("the IG officer's write-back of a masked copy stored it masked: %s", g.body)
	}
}
