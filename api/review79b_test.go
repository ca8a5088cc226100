package api_test

// Review 79b: break-glass as an emergency clinician uses it. An A&E doctor
// of a hospital with no relationship to the person (hospital-clinician,
// org RZZ) follows the README's words: `X-Break-Glass: EMERGENCY: reason`
// (categories CONSENT, LEGAL, EMERGENCY, PUBLIC-INTEREST; at least 10
// characters of free text), a grant for that user and person for 4 hours
// while working for the same organisation, stored in the database.

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store/auditlog"
)

const r79bReason = "EMERGENCY: unconscious in A&E, no history available"

const r79bNHSAnn = "9000000009"

func r79bConsent(id, patient, rule string) string {
	return `{"resourceType":"Consent","id":"` + id + `","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
 "patient":{"reference":"Patient/` + patient + `"},"dateTime":"2026-01-10",
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + rule + `"}]}}`
}

// seed79b: Ann (registered at A81001, on the community trust RCX's care
// team) has an ordinary diagnosis, an HIV diagnosis (labelled HIV from its
// code), an IVF procedure (labelled HFEA, legally restricted), the trust's
// care plan, and has opted out of sharing (her GP recorded an OPTOUT). Bob,
// same practice, no objection. Rita's demographics are restricted (R).
func seed79b(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	rcx := e.token("system", "nhs", "RCX")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/ann", `{"resourceType":"Patient","id":"ann","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + r79bNHSAnn + `"}],
 "name":[{"family":"Probe","given":["Ann"]}],"birthDate":"1961-02-03","address":[{"line":["ANN-HOME-ADDRESS"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}],
 "name":[{"family":"Probe","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Patient/rita", `{"resourceType":"Patient","id":"rita","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Refuge","given":["Rita"]}],"birthDate":"1980-05-06",
 "address":[{"line":["RITA-SECRET-ADDRESS"]}],"telecom":[{"system":"phone","value":"07700900999"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/ann-dm", `{"resourceType":"Condition","id":"ann-dm","subject":{"reference":"Patient/ann"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"ANN-DIABETES"}}`},
		[2]string{"/fhir/Condition/ann-hiv", `{"resourceType":"Condition","id":"ann-hiv","subject":{"reference":"Patient/ann"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ANN-HIV"}}`},
		[2]string{"/fhir/Procedure/ann-ivf", `{"resourceType":"Procedure","id":"ann-ivf","status":"completed","subject":{"reference":"Patient/ann"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"ANN-IVF"}}`},
		[2]string{"/fhir/Condition/bob-dm", `{"resourceType":"Condition","id":"bob-dm","subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"BOB-DIABETES"}}`},
		[2]string{"/fhir/Condition/rita-asthma", `{"resourceType":"Condition","id":"rita-asthma","subject":{"reference":"Patient/rita"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}],"text":"RITA-ASTHMA"}}`},
		[2]string{"/fhir/Consent/ann-optout", r79bConsent("ann-optout", "ann", "OPTOUT")},
	)
	e.putAll(t, rcx,
		[2]string{"/fhir/CareTeam/ann-team", `{"resourceType":"CareTeam","id":"ann-team","status":"active","subject":{"reference":"Patient/ann"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`},
		[2]string{"/fhir/CarePlan/ann-plan", `{"resourceType":"CarePlan","id":"ann-plan","status":"active","intent":"plan","subject":{"reference":"Patient/ann"},"title":"ANN-TRUST-PLAN"}`},
	)
}

func r79bAE(e *env, sub string, mod ...func(*auth.DevClaims)) string {
	return e.token("hospital-clinician", "nhs", "RZZ", append([]func(*auth.DevClaims){func(c *auth.DevClaims) { c.Sub = sub; c.Name = "Dr " + sub }}, mod...)...)
}

func r79bHas(t *testing.T, what string, r resp, want int, has, hasNot []string) {
	t.Helper()
	if r.status != want {
		t.Errorf("%s: status %d, want %d: %.300s", what, r.status, want, r.body)
		return
	}
	for _, s := range has {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s: lacks %s: %.400s", what, s, r.body)
		}
	}
	for _, s := range hasNot {
		if strings.Contains(r.body, s) {
			t.Errorf("%s: released %s (LEAK)", what, s)
		}
	}
}

// TestReview79bSoundEmergencyOpensWhatItMust: SPEC §5 layer 5 — break-glass
// overrides layers 2 (no relationship) and 3 (her opt-out) for one patient;
// layer 4 (HIV: README's default policy "break-glass-releases" is empty, a
// documented choice consistent with SPEC) and legally restricted items
// (HFEA: "never") stay withheld, with the confidential-items notice. The
// grant then serves her read, NHS-number search, $everything, _history,
// _include without the header.
func TestReview79bSoundEmergencyOpensWhatItMust(t *testing.T) {
	e := newEnv(t)
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	nurse := e.token("district-nurse", "nhs", "RCX")
	// Controls: layer 2 and layer 3 are in force.
	r79bHas(t, "A&E no header $everything", e.do("GET", "/fhir/Patient/ann/$everything", ae, ""), 403, nil, []string{"ANN-"})
	r79bHas(t, "nurse (relationship) under her opt-out", e.do("GET", "/fhir/Patient/ann/$everything", nurse, ""), 200, []string{"ANN-TRUST-PLAN"}, []string{"ANN-DIABETES", "ANN-HIV", "ANN-IVF"})

	withheld := []string{"ANN-HIV", "ANN-IVF"}
	r79bHas(t, "A&E break-glass $everything", e.do("GET", "/fhir/Patient/ann/$everything", ae, "", "X-Break-Glass", r79bReason), 200,
		[]string{"ANN-DIABETES", "ANN-TRUST-PLAN", "confidential-items"}, withheld)
	// The grant, without the header.
	for _, c := range []struct{ what, path string }{
		{"read", "/fhir/Patient/ann"},
		{"NHS-number search", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + r79bNHSAnn},
		{"NHS-number search with spaces", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|900%20000%200009"},
		{"condition search", "/fhir/Condition?patient=ann"},
		{"$everything", "/fhir/Patient/ann/$everything"},
		{"_history of opted-out item", "/fhir/Condition/ann-dm/_history"},
		{"_revinclude", "/fhir/Patient?_id=ann&_revinclude=Condition:subject&_revinclude=Procedure:subject"},
	} {
		want := []string{"Probe"}
		if strings.Contains(c.path, "Condition") || strings.Contains(c.path, "everything") {
			want = []string{"ANN-DIABETES"}
		}
		r79bHas(t, "grant, no header: "+c.what, e.do("GET", c.path, ae, ""), 200, want, withheld)
	}
	for _, p := range []string{"/fhir/Condition/ann-hiv", "/fhir/Procedure/ann-ivf", "/fhir/Procedure/ann-ivf/_history"} {
		r79bHas(t, "sensitive/legal item read under the grant "+p, e.do("GET", p, ae, "", "X-Break-Glass", r79bReason), 404, nil, withheld)
	}
	// A lookup by NHS number is how an A&E doctor starts: another doctor.
	ae2 := r79bAE(e, "ae-doctor-2")
	r79bHas(t, "break-glass NHS-number lookup", e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+r79bNHSAnn, ae2, "", "X-Break-Glass", r79bReason), 200, []string{`"total":1`, "Probe"}, nil)
	r79bHas(t, "after the lookup, $everything without the header", e.do("GET", "/fhir/Patient/ann/$everything", ae2, ""), 200, []string{"ANN-DIABETES"}, withheld)
}

// TestReview79bSoundGrantScope: the grant is for that user, that person,
// that organisation; another person in the same request is not opened.
func TestReview79bSoundGrantScope(t *testing.T) {
	e := newEnv(t)
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	if r := e.do("GET", "/fhir/Patient/ann/$everything", ae, "", "X-Break-Glass", r79bReason); r.status != 200 {
		t.Fatalf("break-glass: %d %s", r.status, r.body)
	}
	r79bHas(t, "colleague, same org, no header", e.do("GET", "/fhir/Patient/ann", r79bAE(e, "ae-colleague"), ""), 403, nil, []string{"Probe"})
	r79bHas(t, "same sub, other org", e.do("GET", "/fhir/Patient/ann", e.token("hospital-clinician", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "ae-doctor" }), ""), 403, nil, []string{"Probe"})
	r79bHas(t, "same user, Bob, no header", e.do("GET", "/fhir/Patient/bob", ae, ""), 403, nil, nil)
	// A search naming two people with the header.
	r := e.do("GET", "/fhir/Condition?patient=ann,bob", ae, "", "X-Break-Glass", r79bReason)
	if strings.Contains(r.body, "BOB-DIABETES") {
		t.Errorf("a break-glass search naming Ann and Bob released Bob's item (LEAK): %d", r.status)
	}
	r = e.do("GET", "/fhir/Condition?subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000017&patient=ann", ae, "", "X-Break-Glass", r79bReason)
	if strings.Contains(r.body, "BOB-DIABETES") {
		t.Errorf("chained identifier released Bob's item: %d", r.status)
	}
	for _, q := range []string{"/fhir/Patient?_id=ann,bob", "/fhir/Condition?_id=ann-dm,bob-dm", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009,https://fhir.nhs.uk/Id/nhs-number|9000000017",
		"/fhir/Condition?subject=Patient/ann,Patient/bob", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000017&_id=ann", "/fhir/Patient/ann/$everything?_include=*"} {
		r := e.do("GET", q, ae, "", "X-Break-Glass", r79bReason)
		t.Logf("%s: %d", q, r.status)
		if strings.Contains(r.body, "BOB-DIABETES") || strings.Contains(r.body, `"Bob"`) {
			t.Errorf("break-glass %s released Bob (LEAK): %d %.300s", q, r.status, r.body)
		}
	}
	r79bHas(t, "Bob after the two-person searches", e.do("GET", "/fhir/Condition?patient=bob", ae, ""), 403, nil, []string{"BOB-DIABETES"})
}

// TestReview79bSoundGrantSurvivesRestart: README "the grant is stored in
// the database, so it survives a restart".
func TestReview79bSoundGrantSurvivesRestart(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	if r := e.do("GET", "/fhir/Patient/ann/$everything", ae, "", "X-Break-Glass", r79bReason); r.status != 200 {
		t.Fatalf("break-glass: %d", r.status)
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: e.key})
	if err != nil {
		t.Fatal(err)
	}
	s2 := api.New(api.Config{Store: e.db, Verifier: v, Dev: true, MaxBody: 64 << 10, Recorder: api.LogRecorder{Log: l}, AuditLog: l})
	hs := httptest.NewServer(s2.Handler())
	defer hs.Close()
	old := e.base
	e.base = hs.URL
	defer func() { e.base = old }()
	r79bHas(t, "after restart, no header", e.do("GET", "/fhir/Condition?patient=ann", ae, ""), 200, []string{"ANN-DIABETES"}, []string{"ANN-HIV", "ANN-IVF"})
}

// TestReview79bSoundRefusals: what break-glass refuses, and that a refusal
// stores no grant.
func TestReview79bSoundRefusals(t *testing.T) {
	e := newEnv(t)
	seed79b(t, e)
	cases := []struct {
		what, tok, reason string
	}{
		{"social worker (not in break-glass-roles)", e.token("social-worker", "council", "E06000111"), r79bReason},
		{"IG officer", e.token("ig-officer", "nhs", "RZZ"), r79bReason},
		{"system", e.token("system", "nhs", "RZZ"), r79bReason},
		{"category outside the four", r79bAE(e, "a1"), "URGENT: unconscious in A&E, no history available"},
		{"no free text", r79bAE(e, "a2"), "EMERGENCY:"},
		{"short free text", r79bAE(e, "a3"), "EMERGENCY: collapse"},
		{"free text only", r79bAE(e, "a4"), "unconscious in A&E, no history available"},
		{"BTG as category", r79bAE(e, "a5"), "BTG: unconscious in A&E, no history available"},
		{"purpose marketing", r79bAE(e, "a6", func(c *auth.DevClaims) { c.Purpose = "HMARKT" }), r79bReason},
		{"purpose research", r79bAE(e, "a7", func(c *auth.DevClaims) { c.Purpose = "HRESCH" }), r79bReason},
	}
	for _, c := range cases {
		r := e.do("GET", "/fhir/Patient/ann/$everything", c.tok, "", "X-Break-Glass", c.reason)
		if r.status == 200 || strings.Contains(r.body, "ANN-DIABETES") {
			t.Errorf("%s: %d released %v", c.what, r.status, strings.Contains(r.body, "ANN-DIABETES"))
		}
		if r := e.do("GET", "/fhir/Condition?patient=ann", c.tok, ""); strings.Contains(r.body, "ANN-DIABETES") {
			t.Errorf("%s: a refused break-glass stored a grant", c.what)
		}
	}
	// Accepted: every category SPEC names, ETREAT, a district nurse, lower case.
	for i, c := range []struct{ what, tok, reason string }{
		{"CONSENT", r79bAE(e, "b1"), "CONSENT: patient asked me to look, verbally"},
		{"LEGAL", r79bAE(e, "b2"), "LEGAL: coroner's request ref 123"},
		{"PUBLIC-INTEREST", r79bAE(e, "b3"), "PUBLIC-INTEREST: serious risk to others"},
		{"ETREAT purpose", r79bAE(e, "b4", func(c *auth.DevClaims) { c.Purpose = "ETREAT" }), r79bReason},
		{"lower-case category", r79bAE(e, "b5"), "emergency: unconscious in A&E, no history available"},
		{"out-of-hours GP", e.token("gp", "nhs", "Y01234", func(c *auth.DevClaims) { c.Sub = "ooh-gp" }), "EMERGENCY: home visit, chest pain, no records"},
	} {
		r79bHas(t, c.what, e.do("GET", "/fhir/Patient/ann/$everything", c.tok, "", "X-Break-Glass", c.reason), 200, []string{"ANN-DIABETES"}, []string{"ANN-HIV", "ANN-IVF"})
		_ = i
	}
}

// TestReview79bSoundWriteWithHeaderIsFlagged: the header on a write.
// README: a break-glass request "answered without an error that decided no
// one under it, so stored no grant — … a write —" is an alert listed apart;
// and (README, "its source becomes a source of their data … gains the
// relationship a source has, its accesses flagged claimed-relationship for
// IG") a write about Bob makes RZZ a source: a documented choice, not a
// finding. Checked: the write stores no grant for Ann (her opt-out still
// withholds), and IG is told of the write's break-glass and of every later
// access through the relationship the write claimed.
func TestReview79bSoundWriteWithHeaderIsFlagged(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	colleague := r79bAE(e, "ae-colleague")
	for _, who := range []string{"ann", "bob"} {
		w := e.do("POST", "/fhir/Condition", ae, `{"resourceType":"Condition","subject":{"reference":"Patient/`+who+`"},"code":{"text":"AE-NOTE"}}`, "X-Break-Glass", r79bReason)
		if w.status != 201 {
			t.Fatalf("break-glass write about %s: %d %.200s", who, w.status, w.body)
		}
	}
	r79bHas(t, "writer, Ann, no header", e.do("GET", "/fhir/Condition?patient=ann", ae, ""), 200, []string{"AE-NOTE"}, []string{"ANN-DIABETES"})
	r79bHas(t, "colleague, Bob, no header (documented: RZZ is now a source)", e.do("GET", "/fhir/Condition?patient=bob", colleague, ""), 200, []string{"BOB-DIABETES"}, nil)
	ig := e.token("ig-officer", "nhs", "A81001")
	var rep r79bReport
	r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	json.Unmarshal([]byte(r.body), &rep)
	bgWrite, claimed := false, false
	for _, a := range rep.Alerts {
		if a.Sub == "ae-doctor" && a.Kind == "break-glass" {
			bgWrite = true
		}
		if a.Sub == "ae-colleague" && a.Patient == "bob" && a.Kind != "out-of-hours" {
			claimed = true
		}
	}
	if !bgWrite || !claimed {
		t.Errorf("IG alerts: break-glass write alert %v, claimed-relationship alert for the colleague's read of Bob %v: %.1500s", bgWrite, claimed, r.body)
	}
}

// TestReview79bRestrictedDemographicsUnderBreakGlass: SPEC §5 "A patient
// whose demographics are marked restricted ... never has address,
// telephone or GP released outside the source organisation, and every
// access to them raises an IG alert." Break-glass included.
func TestReview79bRestrictedDemographicsUnderBreakGlass(t *testing.T) {
	e := newEnv(t)
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	secret := []string{"RITA-SECRET-ADDRESS", "07700900999", "A81001"}
	r79bHas(t, "break-glass $everything of Rita", e.do("GET", "/fhir/Patient/rita/$everything", ae, "", "X-Break-Glass", r79bReason), 200, []string{"RITA-ASTHMA", "Refuge"}, secret)
	for _, p := range []string{"/fhir/Patient/rita", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", "/fhir/Patient/rita/_history", "/fhir/Patient/rita/_history/1",
		"/fhir/Condition?patient=rita&_include=Condition:subject", "/fhir/Patient?_id=rita&_include=Patient:general-practitioner"} {
		r79bHas(t, "under the grant "+p, e.do("GET", p, ae, ""), 200, []string{"Refuge"}, secret)
	}
}

type r79bReport struct {
	Total   int `json:"total"`
	Entries []struct {
		Seq        int64  `json:"seq"`
		Sub        string `json:"sub"`
		Operation  string `json:"operation"`
		Patient    string `json:"patient"`
		BreakGlass string `json:"breakGlass"`
	} `json:"entries"`
	Alerts []struct {
		Kind, Patient, Sub string
		Seqs               []int64
		Detail             string
	} `json:"alerts"`
}

// TestReview79bIGSeesEachBreakGlass: SPEC §5 "Each such access is flagged
// for IG review"; §6 IG lists "every break-glass access, and alerts
// (break-glass ...)". README $break-glass: "the request that broke glass,
// with its reason, and each later access by the same user to the same
// person that the grant let through"; $alerts: one per user and person.
func TestReview79bIGSeesEachBreakGlass(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/ann/$everything", ae, "", "X-Break-Glass", r79bReason); r.status != 200 {
		t.Fatalf("break-glass: %d", r.status)
	}
	for _, p := range []string{"/fhir/Patient/ann", "/fhir/Condition?patient=ann", "/fhir/Condition/ann-dm/_history"} {
		if r := e.do("GET", p, ae, ""); r.status != 200 {
			t.Fatalf("grant use %s: %d", p, r.status)
		}
	}
	// Rita, restricted, under break-glass too.
	e.do("GET", "/fhir/Patient/rita/$everything", ae, "", "X-Break-Glass", r79bReason)
	// A refused one: a social worker.
	e.do("GET", "/fhir/Patient/ann/$everything", e.token("social-worker", "council", "E06000111", func(c *auth.DevClaims) { c.Sub = "sw-x" }), "", "X-Break-Glass", r79bReason)

	var rep r79bReport
	r := e.do("GET", "/fhir/AuditEvent/$break-glass?patient=ann", ig, "")
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$break-glass: %d %v %.300s", r.status, err, r.body)
	}
	mine, withReason := 0, 0
	for _, en := range rep.Entries {
		if en.Sub == "ae-doctor" {
			mine++
			if en.BreakGlass == r79bReason {
				withReason++
			}
		}
	}
	if mine != 4 || withReason != 1 {
		t.Errorf("$break-glass?patient=ann: %d entries of the doctor (want 4: the act and 3 uses), %d with the reason (want 1): %.800s", mine, withReason, r.body)
	}
	rep = r79bReport{}
	r = e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	json.Unmarshal([]byte(r.body), &rep)
	got := map[string]bool{}
	for _, a := range rep.Alerts {
		got[a.Kind+"/"+a.Sub+"/"+a.Patient] = true
	}
	for _, k := range []string{"break-glass/ae-doctor/ann", "break-glass/ae-doctor/rita", "break-glass/sw-x/ann"} {
		if !got[k] {
			t.Errorf("$alerts lacks %s: have %v", k, got)
		}
	}
	if !strings.Contains(r.body, "unconscious in A") || !strings.Contains(r.body, "no history available") {
		t.Errorf("$alerts does not give the reason")
	}
	restricted := false
	for k := range got {
		if strings.HasSuffix(k, "/ae-doctor/rita") && !strings.HasPrefix(k, "break-glass/") {
			restricted = true
		}
	}
	if !restricted {
		t.Errorf("no restricted-patient alert for the doctor's break-glass access to Rita: %v", got)
	}
}

// TestReview79bSoundGrantExpires: README "grants that user access to that
// person for 4 hours" — the policy's break-glass-grant; with 2s, a request
// 3s later without the header is refused again.
func TestReview79bSoundGrantExpires(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "break-glass-grant 4h", "break-glass-grant 2s", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seed79b(t, e)
	ae := r79bAE(e, "ae-doctor")
	if r := e.do("GET", "/fhir/Patient/ann/$everything", ae, "", "X-Break-Glass", r79bReason); r.status != 200 {
		t.Fatalf("break-glass: %d", r.status)
	}
	r79bHas(t, "within the grant", e.do("GET", "/fhir/Condition?patient=ann", ae, ""), 200, []string{"ANN-DIABETES"}, nil)
	time.Sleep(3 * time.Second)
	r79bHas(t, "after the grant", e.do("GET", "/fhir/Condition?patient=ann", ae, ""), 403, nil, []string{"ANN-DIABETES"})
}

// TestReview79bLegallyRestrictedVersions: SPEC §5 layer 5 "It never
// releases what the policy marks as legally restricted". The IVF procedure
// was first recorded with its SNOMED code (labelled HFEA), then amended by
// its source to an uncoded text: its first version is still an
// assisted-fertilisation record. A gender-recognition item coded in
// ICD-10 (F64.0) is GRA. Under break-glass neither may go out by
// _history, vread, $everything or a search.
func TestReview79bLegallyRestrictedVersions(t *testing.T) {
	e := newEnv(t)
	seed79b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Procedure/ann-ivf2", `{"resourceType":"Procedure","id":"ann-ivf2","status":"completed","subject":{"reference":"Patient/ann"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"ANN-IVF2-V1"}}`},
		[2]string{"/fhir/Procedure/ann-ivf2", `{"resourceType":"Procedure","id":"ann-ivf2","status":"completed","subject":{"reference":"Patient/ann"},"code":{"text":"AMENDED-PROC gynaecology procedure"}}`},
		[2]string{"/fhir/Condition/ann-gra", `{"resourceType":"Condition","id":"ann-gra","subject":{"reference":"Patient/ann"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F64.0"}],"text":"ANN-GRA"}}`},
	)
	ae := r79bAE(e, "ae-doctor")
	legal := []string{`"ANN-IVF"`, "ANN-IVF2-V1", "ANN-GRA"}
	for _, p := range []string{"/fhir/Patient/ann/$everything", "/fhir/Procedure/ann-ivf2/_history", "/fhir/Procedure/ann-ivf2/_history/1",
		"/fhir/Procedure?patient=ann", "/fhir/Condition?patient=ann", "/fhir/Condition/ann-gra", "/fhir/Patient?_id=ann&_revinclude=Procedure:subject&_revinclude=Condition:subject"} {
		r := e.do("GET", p, ae, "", "X-Break-Glass", r79bReason)
		for _, s := range legal {
			if strings.Contains(r.body, s) {
				t.Errorf("break-glass GET %s released legally restricted %s (LEAK): %d", p, s, r.status)
			}
		}
	}
}

// TestReview79bSoundTraceAndClasses: an emergency trace (README: a Patient
// search by an exact birthdate with family, "at most 10 matches'
// demographics, no one's record opened") of a restricted person releases
// no address, phone or GP (SPEC §5 "never"); and break-glass overrides
// layers 2 and 3 only, not layer 1: a district nurse of another trust
// breaking glass sees no lab result or encounter.
func TestReview79bSoundTraceAndClasses(t *testing.T) {
	e := newEnv(t)
	seed79b(t, e)
	seedShared(t, e)
	ae := r79bAE(e, "ae-doctor")
	r79bHas(t, "trace of Rita", e.do("GET", "/fhir/Patient?family=Refuge&birthdate=1980-05-06", ae, "", "X-Break-Glass", r79bReason), 200,
		[]string{`"total":1`}, []string{"RITA-SECRET-ADDRESS", "07700900999", "A81001"})
	r79bHas(t, "after the trace, no grant", e.do("GET", "/fhir/Patient/rita", ae, ""), 403, nil, []string{"RITA-SECRET-ADDRESS"})
	nurse := e.token("district-nurse", "nhs", "RZY", func(c *auth.DevClaims) { c.Sub = "other-nurse" })
	r79bHas(t, "nurse break-glass $everything of Jane", e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Break-Glass", "EMERGENCY: found collapsed at home visit"), 200,
		[]string{"GP-DIABETES", "COUNCIL-CARE-PACKAGE"}, []string{"GP-HBA1C", "HOSP-ADMISSION", "GP-HIV-UNLABELLED"})
}
