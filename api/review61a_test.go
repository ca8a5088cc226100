package api_test

// Review 61a: a re-read of commits 2c31840 (a stored Bundle's
// entry.response.outcome; a client system's reads count for the volume
// alert, its writes do not) and b28ee0a (masksConsentCodes, the clinical
// Identifier branch of maskClinicalCodes, the journal's lockFile),
// regressions only.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const hivCopy61a = `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"COPY-HIV-61A"}}`

// ooHIV61a: an OperationOutcome (nothing contained) whose issue's details,
// diagnostics, expression and extension say what Jane's withheld HIV
// diagnosis is.
const ooHIV61a = `{"resourceType":"OperationOutcome",
 "extension":[{"url":"https://example.org/fhir/StructureDefinition/about-condition","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"OO-EXT-HIV-61A"}}],
 "issue":[{"severity":"information","code":"informational",
   "details":{"coding":[{"system":"http://snomed.info/sct","code":"86406008","display":"Human immunodeficiency virus infection"}],"text":"OO-HIV-61A"},
   "diagnostics":"OO-DIAG-61A Condition/hiv for Patient/jane: HIV infection 86406008 stored",
   "expression":["Condition.code.coding[0]"]}]}`

// TestReview61aBundleOutcomeOperationOutcomeCarriesHIVCode: the GP's
// system stores a batch-response Bundle (Jane's HbA1c as the entry's
// resource, and as its response.outcome an OperationOutcome whose
// issue.details, extension and diagnostics carry her HIV diagnosis, coded)
// and a transaction-response Bundle naming no one with the same outcome.
// 2c31840 lets an OperationOutcome with nothing contained through; its
// codes are not read for labels (only entry.resource is), so the hospital
// RHX, from which the HIV diagnosis is withheld, and R1A, with no
// relationship, must still not be given the code.
func TestReview61aBundleOutcomeOperationOutcomeCarriesHIVCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hba1c := `{"resourceType":"Observation","id":"hba1c","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"GP-HBA1C"},"effectiveDateTime":"2025-05-01"}`
	writes := [][2]string{
		{"/fhir/Bundle/br61a", `{"resourceType":"Bundle","id":"br61a","type":"batch-response","entry":[{"resource":` + hba1c + `,"response":{"status":"200 OK","outcome":` + ooHIV61a + `}}]}`},
		{"/fhir/Bundle/tr61a", `{"resourceType":"Bundle","id":"tr61a","type":"transaction-response","entry":[{"response":{"status":"201 Created","location":"Condition/hiv/_history/1","outcome":` + ooHIV61a + `}}]}`},
		// the same OperationOutcome as an entry's resource
		{"/fhir/Bundle/co61a", `{"resourceType":"Bundle","id":"co61a","type":"collection","entry":[{"fullUrl":"urn:uuid:8c3a3f4e-0000-4000-8000-000000000061","resource":` + hba1c + `},{"fullUrl":"urn:uuid:8c3a3f4e-0000-4000-8000-000000000062","resource":` + ooHIV61a + `}]}`},
	}
	stored := map[string]bool{}
	for _, w := range writes {
		r := e.do("PUT", w[0], gpSys, w[1])
		t.Logf("PUT %s: %d %.200s", w[0], r.status, r.body)
		stored[w[0]] = r.status == 200 || r.status == 201
	}
	for _, who := range [][3]string{{"hospital-clinician", "nhs", "RHX"}, {"hospital-clinician", "nhs", "R1A"}, {"social-worker", "council", "E06000999"}, {"district-nurse", "nhs", "RCX"}} {
		tok := e.token(who[0], who[1], who[2])
		if who[2] == "RHX" {
			if r := e.do("GET", "/fhir/Condition/hiv", tok, ""); r.status != 404 {
				t.Fatalf("premise: HIV withheld from RHX: %d", r.status)
			}
		}
		for _, p := range []string{"/fhir/Bundle/br61a", "/fhir/Bundle/tr61a", "/fhir/Bundle/co61a", "/fhir/Bundle", "/fhir/_history", "/fhir/Bundle/br61a/_history/1", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, tok, "")
			if strings.Contains(r.body, "86406008") {
				t.Errorf("%v GET %s: %d, Jane's withheld HIV diagnosis code released (in a Bundle's OperationOutcome): %.700s", who, p, r.status, snippet61a(r.body, "86406008"))
			} else if strings.Contains(r.body, "OO-HIV-61A") || strings.Contains(r.body, "OO-DIAG-61A") {
				t.Logf("%v GET %s: %d, the outcome's text (no code) released: %.300s", who, p, r.status, snippet61a(r.body, "OO-"))
			}
		}
	}
}

func snippet61a(body, mark string) string {
	i := strings.Index(body, mark)
	if i < 0 {
		return body
	}
	return body[max(0, i-300):min(len(body), i+200)]
}

// TestReview61aSoundLegitimateBundlesStored: Bundles a client system keeps
// as a record of what it sent or received are stored (no false 422):
// batch- and transaction-responses with and without an OperationOutcome
// (issue details, extensions, expression), history, collection, entries
// with resource and response, and carex's own batch-response as it came.
func TestReview61aSoundLegitimateBundlesStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	oo := `{"resourceType":"OperationOutcome","extension":[{"url":"https://example.org/ext/note","valueString":"retry later"}],"issue":[{"severity":"warning","code":"processing","details":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/operation-outcome","code":"MSG_UPDATED"}],"text":"updated"},"diagnostics":"x","expression":["Patient.name"],"extension":[{"url":"https://example.org/ext/issue","valueCode":"a"}]}]}`
	pat := `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	cases := [][2]string{
		{"br1", `{"resourceType":"Bundle","id":"br1","type":"batch-response","entry":[{"response":{"status":"200 OK","outcome":` + oo + `}},{"response":{"status":"404 Not Found"}}]}`},
		{"tr1", `{"resourceType":"Bundle","id":"tr1","type":"transaction-response","entry":[{"response":{"status":"201 Created","location":"Patient/jane/_history/2","etag":"W/\"2\"","lastModified":"2026-01-01T10:00:00Z"}}]}`},
		{"tr2", `{"resourceType":"Bundle","id":"tr2","type":"transaction-response","entry":[{"resource":` + pat + `,"response":{"status":"200 OK","location":"Patient/jane/_history/2","outcome":` + oo + `}}]}`},
		{"hi1", `{"resourceType":"Bundle","id":"hi1","type":"history","entry":[{"fullUrl":"https://x/fhir/Patient/jane","resource":` + pat + `,"request":{"method":"PUT","url":"Patient/jane"},"response":{"status":"200 OK","lastModified":"2026-01-01T10:00:00Z"}},{"fullUrl":"https://x/fhir/Patient/jane","request":{"method":"DELETE","url":"Patient/jane"},"response":{"status":"204 No Content","outcome":` + oo + `}}]}`},
		{"co1", `{"resourceType":"Bundle","id":"co1","type":"collection","entry":[{"resource":` + pat + `}]}`},
		{"empty", `{"resourceType":"Bundle","id":"empty","type":"batch-response"}`},
	}
	// carex's own batch-response: a read, a 404 and a refused entry
	live := e.do("POST", "/fhir", gpSys, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Observation/hba1c"}},{"request":{"method":"GET","url":"Observation/nothing61a"}},{"request":{"method":"GET","url":"Observation?bogus61a=1"}}]}`)
	if live.status == 200 {
		var m map[string]any
		if err := json.Unmarshal([]byte(live.body), &m); err == nil {
			m["id"] = "live1"
			delete(m, "meta")
			b, _ := json.Marshal(m)
			cases = append(cases, [2]string{"live1", string(b)})
		}
	}
	for _, c := range cases {
		r := e.do("PUT", "/fhir/Bundle/"+c[0], gpSys, c[1])
		if r.status != 200 && r.status != 201 {
			t.Errorf("PUT Bundle/%s (a legitimate Bundle): %d %.500s", c[0], r.status, r.body)
		}
	}
	// POST (create) and a conditional update too
	if r := e.do("POST", "/fhir/Bundle", gpSys, strings.Replace(cases[0][1], `"id":"br1",`, "", 1)); r.status != 201 {
		t.Errorf("POST batch-response: %d %.300s", r.status, r.body)
	}
}

// TestReview61aSoundBundleOutcomeOtherRoutesRefused: a Condition (or an
// OperationOutcome with something contained) as response.outcome is
// refused by every route: nested in a Bundle entry, in a Parameters, in a
// contained Bundle, as an update of a stored Bundle, in a transaction's
// and a batch's entry, with outcome given twice, with contained null or
// empty, by import. None of the HIV copy reaches the hospital RHX.
func TestReview61aSoundBundleOutcomeOtherRoutesRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hiv := hivCopy61a
	bad := func(id, typ, outcome string) string {
		return `{"resourceType":"Bundle","id":"` + id + `","type":"` + typ + `","entry":[{"response":{"status":"200 OK","outcome":` + outcome + `}}]}`
	}
	ooContained := `{"resourceType":"OperationOutcome","contained":[` + hiv + `],"issue":[{"severity":"information","code":"informational"}]}`
	ooNull := `{"resourceType":"OperationOutcome","contained":null,"issue":[{"severity":"information","code":"informational","diagnostics":"COPY-HIV-61A"}]}`
	ooEmpty := `{"resourceType":"OperationOutcome","contained":[],"issue":[{"severity":"information","code":"informational","diagnostics":"COPY-HIV-61A"}]}`
	ooUnder := `{"resourceType":"OperationOutcome","_contained":[` + hiv + `],"issue":[{"severity":"information","code":"informational"}]}`
	if r := e.do("PUT", "/fhir/Bundle/upd61a", gpSys, `{"resourceType":"Bundle","id":"upd61a","type":"batch-response","entry":[{"response":{"status":"200 OK"}}]}`); r.status != 201 && r.status != 200 {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	cases := []struct{ name, method, path, body string }{
		{"nested in entry", "PUT", "/fhir/Bundle/n61a", `{"resourceType":"Bundle","id":"n61a","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"history","entry":[{"response":{"status":"200","outcome":` + hiv + `}}]}}]}}]}`},
		{"in Parameters", "PUT", "/fhir/Parameters/p61a", `{"resourceType":"Parameters","id":"p61a","parameter":[{"name":"b","resource":` + bad("x", "batch-response", hiv) + `},{"name":"c","part":[{"name":"d","resource":` + bad("y", "history", hiv) + `}]}]}`},
		{"contained Bundle", "PUT", "/fhir/Observation/cb61a", `{"resourceType":"Observation","id":"cb61a","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"x"},"contained":[` + bad("cb", "batch-response", hiv) + `]}`},
		{"update", "PUT", "/fhir/Bundle/upd61a", bad("upd61a", "batch-response", hiv)},
		{"OO contained", "PUT", "/fhir/Bundle/ooc61a", bad("ooc61a", "batch-response", ooContained)},
		{"OO contained null", "PUT", "/fhir/Bundle/oon61a", bad("oon61a", "batch-response", ooNull)},
		{"OO contained empty", "PUT", "/fhir/Bundle/ooe61a", bad("ooe61a", "batch-response", ooEmpty)},
		{"OO _contained", "PUT", "/fhir/Bundle/oou61a", bad("oou61a", "batch-response", ooUnder)},
		{"outcome twice", "PUT", "/fhir/Bundle/tw61a", `{"resourceType":"Bundle","id":"tw61a","type":"batch-response","entry":[{"response":{"status":"200 OK","outcome":` + hiv + `,"outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]}}}]}`},
		{"outcome twice reversed", "PUT", "/fhir/Bundle/tr61a", `{"resourceType":"Bundle","id":"tr61a","type":"batch-response","entry":[{"response":{"status":"200 OK","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]},"outcome":` + hiv + `}}]}`},
		{"outcome as array", "PUT", "/fhir/Bundle/ar61a", `{"resourceType":"Bundle","id":"ar61a","type":"batch-response","entry":[{"response":{"status":"200 OK","outcome":[` + hiv + `]}}]}`},
		{"transaction entry", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + bad("tx61a", "history", hiv) + `,"request":{"method":"PUT","url":"Bundle/tx61a"}}]}`},
		{"transaction entry POST", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + strings.Replace(bad("", "history", hiv), `"id":"",`, "", 1) + `,"request":{"method":"POST","url":"Bundle"}}]}`},
		{"batch entry", "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + bad("bt61a", "history", hiv) + `,"request":{"method":"PUT","url":"Bundle/bt61a"}}]}`},
		{"conditional update", "PUT", "/fhir/Bundle?_id=cu61a", bad("cu61a", "history", hiv)},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, gpSys, c.body)
		ok := r.status >= 400 || c.path == "/fhir" && r.status == 200 && strings.Count(r.body, `"status":"201`)+strings.Count(r.body, `"status":"200`) == 0
		if !ok {
			t.Errorf("%s: %s %s stored: %d %.400s", c.name, c.method, c.path, r.status, r.body)
		} else {
			t.Logf("%s: %d %.160s", c.name, r.status, r.body)
		}
	}
	// import
	imp := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	for _, raw := range []string{
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + bad("im61a", "batch-response", hiv) + `}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + bad("im61b", "history", ooContained) + `,"request":{"method":"PUT","url":"Bundle/im61b"}}]}`,
		bad("im61c", "collection", hiv),
	} {
		if n, err := e.api.Import(context.Background(), imp, []byte(raw)); err == nil {
			t.Errorf("import stored a Bundle with a Condition as response.outcome: %v", n)
		}
	}
	if n, err := e.api.ImportResources(context.Background(), imp, [][]byte{[]byte(bad("im61d", "history", hiv))}); err == nil {
		t.Errorf("import (NDJSON) stored a Bundle with a Condition as response.outcome: %v", n)
	}
	tok := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Bundle", "/fhir/_history", "/fhir/Parameters", "/fhir/Observation?_id=cb61a", "/fhir/Bundle/upd61a", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, tok, "")
		if strings.Contains(r.body, "COPY-HIV-61A") || strings.Contains(r.body, "86406008") {
			t.Errorf("RHX GET %s: %d, the HIV copy released: %.500s", p, r.status, snippet61a(r.body, "86406008"))
		}
	}
}

// ---- (2) the volume alert: a client system's reads count, its writes do not

// TestReview61aClientSystemConditionalCreateReadsUnseen: the practice's
// client system posts, for each of 60 people, a Condition with
// If-None-Exist naming the stored one: each matches, and the stored
// Condition is released (a read). Logged as "create", exempt: no volume
// alert. Also as 60 conditional creates in one transaction.
func TestReview61aClientSystemConditionalCreateReadsUnseen(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	body := func(i int) string {
		return fmt.Sprintf(`{"resourceType":"Condition","subject":{"reference":"Patient/p60b-a%02d"},"code":{"text":"R61A-PROBE"}}`, i)
	}
	// one request each
	sub := "r61a-sys-cc"
	tok := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
	var all strings.Builder
	for i := range r60bN {
		r := e.do("POST", "/fhir/Condition", tok, body(i), "If-None-Exist", fmt.Sprintf("_id=c60b-a%02d", i), "Prefer", "return=representation")
		if i == 0 {
			t.Logf("conditional create: %d %.300s", r.status, r.body)
		}
		all.WriteString(r.body)
	}
	a, _ := r60bPeople(all.String())
	n := strings.Count(all.String(), "R60B-COND-A")
	alert := r60bVolume(t, e, sub)
	t.Logf("60 conditional creates: %d people's stored Conditions released (%d R60B-COND-A); volume alert %q", a, n, alert)
	if n > 50 && alert == "" {
		t.Errorf("a client system read %d people's stored Conditions through matched conditional creates (threshold 50): no volume alert", n)
	}
	// one transaction
	sub2 := "r61a-sys-cc-tx"
	tok2 := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub2 })
	var entries []string
	for i := range r60bN {
		entries = append(entries, fmt.Sprintf(`{"resource":%s,"request":{"method":"POST","url":"Condition","ifNoneExist":"_id=c60b-a%02d"}}`, body(i), i))
	}
	r := e.do("POST", "/fhir", tok2, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
	n2 := strings.Count(r.body, "R60B-COND-A")
	alert2 := r60bVolume(t, e, sub2)
	t.Logf("transaction of 60 conditional creates: %d, %d stored Conditions released; volume alert %q", r.status, n2, alert2)
	if n2 > 50 && alert2 == "" {
		t.Errorf("a client system read %d people's stored Conditions through one transaction of matched conditional creates: no volume alert", n2)
	}
}

// TestReview61aSoundClientSystemWritesAndReads: a client system's writes
// (60 PUTs, one transaction of 60, one batch of 60 PUTs) raise no volume
// alert; its reads do (write then read each back by its Location; a
// transaction of 60 GET entries; a batch of 60 GETs); a GP's writes count
// as before.
func TestReview61aSoundClientSystemWritesAndReads(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	r60bSeed(t, e)
	cond := func(i int, tag string) string {
		return fmt.Sprintf(`{"resourceType":"Condition","subject":{"reference":"Patient/p60b-a%02d"},"code":{"text":"R61A-%s"}}`, i, tag)
	}
	tokOf := func(role, sub string) string {
		return e.token(role, "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
	}
	want := func(sub string, alert bool, what string) {
		t.Helper()
		got := r60bVolume(t, e, sub)
		t.Logf("%s: volume alert %q", what, got)
		if alert && got == "" {
			t.Errorf("%s: no volume alert", what)
		}
		if !alert && got != "" {
			t.Errorf("%s: a volume alert for writes (README: a client system's writes raise none): %q", what, got)
		}
	}
	// 60 separate writes, then their read-back by Location
	tok := tokOf("system", "r61a-w1")
	var locs []string
	for i := range r60bN {
		r := e.do("POST", "/fhir/Condition", tok, cond(i, "W1"))
		if r.status != 201 {
			t.Fatalf("write %d: %d %.300s", i, r.status, r.body)
		}
		var m map[string]any
		json.Unmarshal([]byte(r.body), &m)
		locs = append(locs, fmt.Sprintf("/fhir/Condition/%v", m["id"]))
	}
	want("r61a-w1", false, "system: 60 creates")
	tokRB := tokOf("system", "r61a-rb")
	for _, l := range locs {
		if r := e.do("GET", l, tokRB, ""); r.status != 200 {
			t.Fatalf("read back %s: %d", l, r.status)
		}
	}
	want("r61a-rb", true, "system: 60 reads back by Location")
	// a transaction of 60 writes
	var tx, batch, gets []string
	for i := range r60bN {
		tx = append(tx, fmt.Sprintf(`{"resource":%s,"request":{"method":"POST","url":"Condition"}}`, cond(i, "TX")))
		batch = append(batch, fmt.Sprintf(`{"resource":%s,"request":{"method":"PUT","url":"Condition/r61a-b%02d"}}`, strings.Replace(cond(i, "B"), `{"resourceType":"Condition",`, fmt.Sprintf(`{"resourceType":"Condition","id":"r61a-b%02d",`, i), 1), i))
		gets = append(gets, fmt.Sprintf(`{"request":{"method":"GET","url":"Condition/c60b-a%02d"}}`, i))
	}
	if r := e.do("POST", "/fhir", tokOf("system", "r61a-tx"), `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(tx, ",")+`]}`); r.status != 200 {
		t.Fatalf("transaction: %d %.300s", r.status, r.body)
	}
	want("r61a-tx", false, "system: a transaction of 60 creates")
	if r := e.do("POST", "/fhir", tokOf("system", "r61a-batch"), `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(batch, ",")+`]}`); r.status != 200 || strings.Count(r.body, `"status":"201`) != r60bN {
		t.Fatalf("batch: %d %.300s", r.status, r.body)
	}
	want("r61a-batch", false, "system: a batch of 60 PUTs")
	if r := e.do("POST", "/fhir", tokOf("system", "r61a-txget"), `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(gets, ",")+`]}`); r.status != 200 || strings.Count(r.body, "R60B-COND-A") < r60bN {
		t.Fatalf("transaction of GETs: %d %.300s", r.status, r.body)
	}
	want("r61a-txget", true, "system: a transaction of 60 GET entries")
	if r := e.do("POST", "/fhir", tokOf("system", "r61a-bget"), `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(gets, ",")+`]}`); r.status != 200 {
		t.Fatalf("batch of GETs: %d %.300s", r.status, r.body)
	}
	want("r61a-bget", true, "system: a batch of 60 GET entries")
	// a GP's 60 writes count as before
	gp := tokOf("gp", "r61a-gpw")
	for i := range r60bN {
		if r := e.do("POST", "/fhir/Condition", gp, cond(i, "GP")); r.status != 201 {
			t.Fatalf("GP write %d: %d %.300s", i, r.status, r.body)
		}
	}
	want("r61a-gpw", true, "GP: 60 creates")
}

// ---- (3) b28ee0a: Consent masking, the clinical Identifier

const consent61a = `{"resourceType":"Consent","id":"c61a","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/jane"},"dateTime":"2026-02-01",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"permit","provision":[{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Organization/E06000999"}}],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]}]}}`

// TestReview61aSoundConsentCodesMasked: Jane's Consent denying her HIV
// diagnosis (86406008) to the council, recorded by her GP, read by
// others: the hospital's clinician and client system, the recording
// GP's IG officer, the council's social worker, the district nurse — by
// read, search, vread, _history, $everything and _revinclude. None sees
// the code; the GP does (the probe can see it).
func TestReview61aSoundConsentCodesMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/c61a", consent61a})
	paths := []string{"/fhir/Consent/c61a", "/fhir/Consent?patient=jane", "/fhir/Consent/c61a/_history/1", "/fhir/Consent/c61a/_history",
		"/fhir/Consent/_history", "/fhir/_history", "/fhir/Patient/jane/$everything", "/fhir/Patient?_id=jane&_revinclude=Consent:patient", "/fhir/Consent?patient=jane&_include=Consent:patient"}
	if r := e.do("GET", "/fhir/Consent/c61a", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "86406008") {
		t.Fatalf("premise: the recording GP sees the code: %d %.300s", r.status, r.body)
	}
	for _, who := range [][3]string{{"hospital-clinician", "nhs", "RHX"}, {"system", "nhs", "RHX"}, {"ig-officer", "nhs", "A81001"}, {"ig-officer", "nhs", "RHX"},
		{"social-worker", "council", "E06000999"}, {"district-nurse", "nhs", "RCX"}, {"system", "council", "E06000999"}} {
		tok := e.token(who[0], who[1], who[2])
		for _, p := range paths {
			r := e.do("GET", p, tok, "")
			if strings.Contains(r.body, "86406008") {
				t.Errorf("%v GET %s: %d, the Consent's code released: %.500s", who, p, r.status, snippet61a(r.body, "86406008"))
			}
		}
	}
}

// TestReview61aConsentInStoredBundleCodesUnmasked: the same Consent kept
// in a stored Bundle (a GP system's copy of what it sent) with Jane's HbA1c:
// the Bundle is Jane's, unlabelled, and goes to the hospital RHX; the
// Consent entry's provision code — which names the HIV diagnosis withheld
// from RHX, and is masked when the Consent is read alone — must be masked
// or the Bundle withheld.
func TestReview61aConsentInStoredBundleCodesUnmasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hba1c := `{"resourceType":"Observation","id":"hba1c","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"GP-HBA1C"},"effectiveDateTime":"2025-05-01"}`
	e.putAll(t, gpSys, [2]string{"/fhir/Bundle/cb61a", `{"resourceType":"Bundle","id":"cb61a","type":"collection","entry":[{"fullUrl":"https://x/fhir/Observation/hba1c","resource":` + hba1c + `},{"fullUrl":"https://x/fhir/Consent/c61a","resource":` + consent61a + `}]}`})
	for _, who := range [][3]string{{"hospital-clinician", "nhs", "RHX"}, {"system", "nhs", "RHX"}, {"district-nurse", "nhs", "RCX"}, {"ig-officer", "nhs", "A81001"}} {
		tok := e.token(who[0], who[1], who[2])
		for _, p := range []string{"/fhir/Bundle/cb61a", "/fhir/Bundle", "/fhir/_history", "/fhir/Patient/jane/$everything"} {
			r := e.do("GET", p, tok, "")
			if strings.Contains(r.body, "86406008") {
				t.Errorf("%v GET %s: %d, the Consent's HIV code released in a stored Bundle: %.500s", who, p, r.status, snippet61a(r.body, "86406008"))
			}
		}
	}
}

// TestReview61aSoundIGClinicalIdentifierMasked: a RelatedPerson (Jane's
// carer) with an identifier under SNOMED CT, one under the NHS number
// system, and an extension valueIdentifier under SNOMED CT: IG sees
// neither SNOMED value, and the NHS number is not masked as one.
func TestReview61aSoundIGClinicalIdentifierMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/RelatedPerson/rp61a", `{"resourceType":"RelatedPerson","id":"rp61a","patient":{"reference":"Patient/jane"},
	 "identifier":[{"system":"http://snomed.info/sct","value":"86406008"},{"system":"https://example.org/carer-ref","value":"CARER-REF-61A"}],
	 "extension":[{"url":"https://example.org/ext/x","valueIdentifier":{"system":"http://snomed.info/sct","value":"76498008"}}],
	 "name":[{"family":"CARER61A"}]}`})
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, p := range []string{"/fhir/RelatedPerson/rp61a", "/fhir/RelatedPerson?patient=jane", "/fhir/RelatedPerson/rp61a/_history/1", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, ig, "")
		t.Logf("IG GET %s: %d", p, r.status)
		if strings.Contains(r.body, "86406008") || strings.Contains(r.body, "76498008") {
			t.Errorf("IG GET %s: %d, a clinical identifier unmasked: %.400s", p, r.status, snippet61a(r.body, "sct"))
		}
		if r.status == 200 && strings.Contains(p, "rp61a") && !strings.Contains(r.body, "CARER-REF-61A") {
			t.Errorf("IG GET %s: the carer's own reference masked: %.400s", p, r.body)
		}
	}
}

// TestReview61aConsentCarriedElsewhereCodesUnmasked: the same Consent
// carried in a Parameters, contained in a CarePlan, and nested in a Bundle
// inside a stored Bundle: the hospital RHX must not be given its code
// (logged per container).
func TestReview61aConsentCarriedElsewhereCodesUnmasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	c := strings.Replace(consent61a, `"id":"c61a"`, `"id":"cx61a"`, 1)
	for _, w := range [][2]string{
		{"/fhir/Parameters/pc61a", `{"resourceType":"Parameters","id":"pc61a","parameter":[{"name":"consent","resource":` + c + `}]}`},
		{"/fhir/CarePlan/cp61a", `{"resourceType":"CarePlan","id":"cp61a","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"CP61A","contained":[` + c + `],"supportingInfo":[{"reference":"#cx61a"}]}`},
		{"/fhir/Bundle/nb61a", `{"resourceType":"Bundle","id":"nb61a","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"https://x/fhir/Consent/cx61a","resource":` + c + `}]}}]}`},
	} {
		r := e.do("PUT", w[0], gpSys, w[1])
		t.Logf("PUT %s: %d %.160s", w[0], r.status, r.body)
	}
	tok := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Parameters/pc61a", "/fhir/CarePlan/cp61a", "/fhir/Bundle/nb61a", "/fhir/_history"} {
		r := e.do("GET", p, tok, "")
		t.Logf("RHX GET %s: %d", p, r.status)
		if strings.Contains(r.body, "86406008") {
			t.Errorf("RHX GET %s: %d, the carried Consent's HIV code released: %.400s", p, r.status, snippet61a(r.body, "86406008"))
		}
	}
}
