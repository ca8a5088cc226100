package api_test

// Review 31c: break-glass, IG alerts and the IG officer's view (SPEC §5.5,
// §6). Probes only: each asserts what SPEC requires.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

const r31cBG = "EMERGENCY: collapsed in ED, no history available"

type alerts31c struct {
	Alerts []struct {
		Kind    string   `json:"kind"`
		Sub     string   `json:"sub"`
		Patient string   `json:"patient"`
		Code    string   `json:"code"`
		Detail  string   `json:"detail"`
		Seqs    []int64  `json:"seqs"`
		People  []string `json:"people"`
	} `json:"alerts"`
}

func r31cAlerts(t *testing.T, e *env) alerts31c {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r31c-ig-alerts" }), "")
	var rep alerts31c
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
	}
	return rep
}

func r31cAround(body, m string) string {
	i := strings.Index(body, m)
	if i < 0 {
		return ""
	}
	return body[max(0, i-150):min(len(body), i+len(m)+150)]
}

// TestReview31cSoundBreakGlassOnJaneKeepsAPatientLinkingToHer: Bob's own
// Patient (written by his GP) carries a Patient.link to Jane (seealso). A
// hospital clinician with no relationship with either breaks glass for
// Jane. Break-glass opens one person's record (SPEC §5.5); a link "never
// releases anything" (README). Bob's demographics and his diagnosis must
// not go out through Jane's $everything or a _revinclude of the link.
func TestReview31cSoundBreakGlassOnJaneKeepsAPatientLinkingToHer(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/r31c-bob", `{"resourceType":"Patient","id":"r31c-bob","name":[{"family":"R31C-BOB-NAME"}],
		  "address":[{"line":["R31C-BOB-ADDR 9 Elm Road"],"postalCode":"NS1 1AA"}],"telecom":[{"system":"phone","value":"01632960777"}],
		  "generalPractitioner":[{"reference":"Organization/A81001"}],"link":[{"other":{"reference":"Patient/jane"},"type":"seealso"}]}`},
		[2]string{"/fhir/Condition/r31c-bob-dx", `{"resourceType":"Condition","id":"r31c-bob-dx","subject":{"reference":"Patient/r31c-bob"},"code":{"text":"R31C-BOB-DX"}}`},
	)
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ae-link" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", ae, "", "X-Break-Glass", r31cBG); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("premise: break-glass $everything of Jane: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{
		"/fhir/Patient/jane/$everything",
		"/fhir/Patient?_id=jane&_revinclude=Patient:link",
		"/fhir/Patient?_id=jane&_revinclude=Patient:link&_revinclude:iterate=Condition:subject",
		"/fhir/Patient?link=Patient/jane",
		"/fhir/Patient?link=jane",
	} {
		for _, hdr := range [][]string{{"X-Break-Glass", r31cBG}, nil} {
			r := e.do("GET", p, ae, "", hdr...)
			for _, m := range []string{"R31C-BOB-NAME", "R31C-BOB-ADDR", "01632960777", "R31C-BOB-DX"} {
				if strings.Contains(r.body, m) {
					t.Errorf("GET %s (break-glass header %v) with break-glass for Jane releases Bob's %q: %d …%s…", p, hdr != nil, m, r.status, r31cAround(r.body, m))
				}
			}
		}
	}
}

// TestReview31cSoundBreakGlassOnJaneDoesNotFollowHerLink: Jane's
// Patient links (seealso) to Carl's Patient. Break-glass for Jane opens
// Jane's record; Carl's own record (his diagnosis, his demographics) is
// another person's, which break-glass for Jane does not open.
func TestReview31cSoundBreakGlassOnJaneDoesNotFollowHerLink(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	jane := strings.Replace(janeJSON, `"resourceType":"Patient",`, `"resourceType":"Patient","link":[{"other":{"reference":"Patient/r31c-carl"},"type":"seealso"}],`, 1)
	if jane == janeJSON {
		t.Fatalf("premise: janeJSON shape changed: %s", janeJSON)
	}
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/r31c-carl", `{"resourceType":"Patient","id":"r31c-carl","name":[{"family":"R31C-CARL-NAME"}],
		  "address":[{"line":["R31C-CARL-ADDR 3 Oak Road"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/r31c-carl-dx", `{"resourceType":"Condition","id":"r31c-carl-dx","subject":{"reference":"Patient/r31c-carl"},"code":{"text":"R31C-CARL-DX"}}`},
		[2]string{"/fhir/Patient/jane", jane},
	)
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ae-link2" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", ae, "", "X-Break-Glass", r31cBG); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("premise: break-glass $everything of Jane: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{
		"/fhir/Patient/jane/$everything",
		"/fhir/Patient?_id=jane&_include=Patient:link",
		"/fhir/Patient?_id=jane&_include=Patient:link&_revinclude:iterate=Condition:subject",
		"/fhir/Condition?patient=jane",
	} {
		for _, hdr := range [][]string{{"X-Break-Glass", r31cBG}, nil} {
			r := e.do("GET", p, ae, "", hdr...)
			for _, m := range []string{"R31C-CARL-NAME", "R31C-CARL-ADDR", "R31C-CARL-DX"} {
				if strings.Contains(r.body, m) {
					t.Errorf("GET %s (break-glass header %v) with break-glass for Jane releases Carl's %q: %d …%s…", p, hdr != nil, m, r.status, r31cAround(r.body, m))
				}
			}
		}
	}
	if r := e.do("GET", "/fhir/Patient/r31c-carl/$everything", ae, ""); r.status != 403 {
		t.Errorf("Carl's record opens with the grant for Jane: %d %.300s", r.status, r.body)
	}
}

// TestReview31cSoundGenderRecognitionVersionOfAPatient: Jane's GP recorded her
// Patient first under her former identity, labelled GRA (gender
// recognition: legally restricted), then as she is now, unlabelled. The
// earlier version is legally restricted: break-glass never releases it,
// the IG officer never sees it, a nurse with a relationship does not see
// it (sensitive, no permit) — by _history, a version read, or a history
// with _since.
func TestReview31cSoundGenderRecognitionVersionOfAPatient(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	const lbl = `{"system":"https://carex.example/label","code":"GRA"}`
	old := `{"resourceType":"Patient","id":"r31c-gra","meta":{"security":[` + lbl + `]},"gender":"male","name":[{"family":"R31C-FORMER-NAME","given":["R31C-FORMER-GIVEN"]}],
	  "generalPractitioner":[{"reference":"Organization/A81001"}]}`
	now := `{"resourceType":"Patient","id":"r31c-gra","gender":"female","name":[{"family":"R31C-NOW-NAME"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	e.putAll(t, gp, [2]string{"/fhir/Patient/r31c-gra", old}, [2]string{"/fhir/Patient/r31c-gra", now},
		[2]string{"/fhir/Condition/r31c-gra-dx", `{"resourceType":"Condition","id":"r31c-gra-dx","subject":{"reference":"Patient/r31c-gra"},"code":{"text":"R31C-GRA-ASTHMA"}}`})
	// The community trust's care team gives the nurse a relationship.
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/r31c-gra-ct", `{"resourceType":"CareTeam","id":"r31c-gra-ct","status":"active","subject":{"reference":"Patient/r31c-gra"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	if r := e.do("GET", "/fhir/Patient/r31c-gra/_history/1", e.token("gp", "nhs", "A81001"), ""); r.status != 200 || !strings.Contains(r.body, "R31C-FORMER-NAME") {
		t.Fatalf("premise: the source reads the first version: %d %.300s", r.status, r.body)
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ae-gra" })
	if r := e.do("GET", "/fhir/Patient/r31c-gra/$everything", ae, "", "X-Break-Glass", r31cBG); r.status != 200 || !strings.Contains(r.body, "R31C-GRA-ASTHMA") {
		t.Fatalf("premise: break-glass $everything: %d %.300s", r.status, r.body)
	}
	users := map[string]string{
		"break-glass clinician": ae,
		"IG officer":            e.token("ig-officer", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r31c-ig-gra" }),
		"district nurse":        e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r31c-dn-gra" }),
	}
	for who, tok := range users {
		for _, p := range []string{
			"/fhir/Patient/r31c-gra/_history",
			"/fhir/Patient/r31c-gra/_history/1",
			"/fhir/Patient/r31c-gra/_history?_since=2000-01-01T00:00:00Z",
			"/fhir/Patient/r31c-gra/$everything",
		} {
			for _, hdr := range [][]string{{"X-Break-Glass", r31cBG}, nil} {
				if who != "break-glass clinician" && hdr != nil {
					continue
				}
				r := e.do("GET", p, tok, "", hdr...)
				for _, m := range []string{"R31C-FORMER-NAME", "R31C-FORMER-GIVEN", `"GRA"`} {
					if strings.Contains(r.body, m) {
						t.Errorf("%s: GET %s (header %v) releases the gender-recognition version's %q: %d …%s…", who, p, hdr != nil, m, r.status, r31cAround(r.body, m))
					}
				}
			}
		}
	}
}

// TestReview31cSoundConsentVersionNamingALegallyRestrictedLabel: a Consent of
// Jane's first permitted her assisted-fertilisation records (HFEA) to the
// hospital, then was replaced by one naming no label. The first version
// tells that she has such records: neither the IG officer (README rule 4)
// nor a break-glass user may read it by _history or a version read.
func TestReview31cSoundConsentVersionNamingALegallyRestrictedLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	const lbl = `{"system":"https://carex.example/label","code":"HFEA"}`
	v1 := janeConsent("r31c-hfea", "2026-01-10", "OPTIN", `,"provision":{"type":"permit",
	 "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Organization/RHX"}}],
	 "securityLabel":[`+lbl+`]}`)
	v2 := janeConsent("r31c-hfea", "2026-01-11", "OPTIN", `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}]}`)
	e.putAll(t, gp, [2]string{"/fhir/Consent/r31c-hfea", v1}, [2]string{"/fhir/Consent/r31c-hfea", v2})
	ig := e.token("ig-officer", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r31c-ig-hfea" })
	if r := e.do("GET", "/fhir/Consent/r31c-hfea", ig, ""); r.status != 200 {
		t.Fatalf("premise: the IG officer reads the current Consent: %d %.300s", r.status, r.body)
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ae-hfea" })
	for who, hdr := range map[string][]string{"IG officer": nil, "break-glass clinician": {"X-Break-Glass", r31cBG}} {
		tok := ig
		if hdr != nil {
			tok = ae
		}
		for _, p := range []string{"/fhir/Consent/r31c-hfea/_history", "/fhir/Consent/r31c-hfea/_history/1", "/fhir/Consent/r31c-hfea/_history?_since=2000-01-01T00:00:00Z"} {
			r := e.do("GET", p, tok, "", hdr...)
			if strings.Contains(r.body, "HFEA") {
				t.Errorf("%s: GET %s releases the version naming HFEA: %d …%s…", who, p, r.status, r31cAround(r.body, "HFEA"))
			}
		}
	}
}

// TestReview31cSoundIGOfficerReadsARestrictedPatient: an IG officer at the
// hospital reads Marg's Patient (restricted, R; her GP is the source). SPEC
// §5: a restricted person's address, telephone and GP are never released
// outside the source organisation, and every access to her raises an IG
// alert.
func TestReview31cSoundIGOfficerReadsARestrictedPatient(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedRestricted(t, e)
	ig := e.token("ig-officer", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r31c-ig-marg" })
	for _, p := range []string{"/fhir/Patient/marg", "/fhir/Patient/marg/_history/1", "/fhir/Patient?_id=marg", "/fhir/Patient/marg/$everything"} {
		r := e.do("GET", p, ig, "")
		for _, m := range []string{"SECRET-ADDR", "01134960999", "dr-secret", "SECRET-NARRATIVE"} {
			if strings.Contains(r.body, m) {
				t.Errorf("IG officer GET %s releases the restricted person's %q: %d …%s…", p, m, r.status, r31cAround(r.body, m))
			}
		}
	}
	found := false
	for _, a := range r31cAlerts(t, e).Alerts {
		if a.Sub == "r31c-ig-marg" && a.Code == "restricted-patient" && a.Patient == "marg" {
			found = true
		}
	}
	if !found {
		t.Errorf("the IG officer's reads of the restricted person raise no restricted-patient alert")
	}
}

// TestReview31cSoundBreakGlassByEveryMethodIsAlerted: break-glass sent
// with HEAD, _format=xml (406), a PATCH (405) and inside a batch
// is each an alert naming the person (granted or refused), and each
// request is logged with its reason.
func TestReview31cSoundBreakGlassByEveryMethodIsAlerted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedCouple(t, e)
	type rq struct{ sub, method, path, body string }
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/margaret"}}]}`
	for _, q := range []rq{
		{"r31c-head", "HEAD", "/fhir/Patient/margaret", ""},
		{"r31c-xml", "GET", "/fhir/Patient/margaret?_format=xml", ""},
		{"r31c-patch", "PATCH", "/fhir/Patient/margaret", `[]`},
		{"r31c-batch", "POST", "/fhir", batch},
	} {
		tok := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = q.sub })
		r := e.do(q.method, q.path, tok, q.body, "X-Break-Glass", r31cBG)
		t.Logf("%s %s: %d", q.method, q.path, r.status)
	}
	rep := r31cAlerts(t, e)
	// (OPTIONS: TestReview31cBreakGlassThatOpenedNothingReadsAsGranted.)
	for _, sub := range []string{"r31c-head", "r31c-xml", "r31c-patch", "r31c-batch"} {
		ok := false
		for _, a := range rep.Alerts {
			if a.Kind == "break-glass" && a.Sub == sub && a.Patient == "margaret" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no break-glass alert naming margaret for %s", sub)
		}
	}
}

// TestReview31cSoundIGViewHoldsNoQueryText: clinical search text — a code
// (86406008, HIV), a name searched for, a form body of POST _search, a
// batch entry's query — reaches no AuditEvent, IG report or printable
// copy.
func TestReview31cSoundIGViewHoldsNoQueryText(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r31c-gp-q" })
	e.do("GET", "/fhir/Condition?patient=jane&code=86406008", gp, "")
	e.do("GET", "/fhir/Condition?code=http://snomed.info/sct|86406008", gp, "")
	e.do("GET", "/fhir/Patient?name=R31CSEARCHNAME", gp, "")
	e.do("GET", "/fhir/Condition?code=86406008&r31cbogus=R31CBOGUS", gp, "")
	req := url.Values{"code": {"86406008"}, "patient": {"jane"}}
	e.do("POST", "/fhir/Condition/_search", gp, "", "Content-Type", "application/x-www-form-urlencoded")
	r := e.doForm31c(t, "/fhir/Condition/_search", gp, req.Encode())
	_ = r
	e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition?patient=jane&code=86406008"}},{"request":{"method":"GET","url":"Patient?name=R31CSEARCHNAME"}}]}`)
	e.do("GET", "/fhir/Condition?patient=jane&code=86406008", "bad.token.x", "")
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r31c-ig-q" })
	for _, p := range []string{"/fhir/AuditEvent?agent=r31c-gp-q", "/fhir/AuditEvent?patient=jane", "/fhir/AuditEvent/$user-activity?agent=r31c-gp-q",
		"/fhir/AuditEvent/$user-activity?agent=r31c-gp-q&_format=text", "/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=html",
		"/fhir/AuditEvent", "/fhir/AuditEvent/$alerts"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 {
			t.Errorf("GET %s: %d %.200s", p, r.status, r.body)
		}
		for _, m := range []string{"86406008", "R31CSEARCHNAME", "R31CBOGUS", "r31cbogus"} {
			if strings.Contains(r.body, m) {
				t.Errorf("IG GET %s shows %q: …%s…", p, m, r31cAround(r.body, m))
			}
		}
	}
}

func (e *env) doForm31c(t *testing.T, path, token, form string) resp {
	t.Helper()
	return e.doRaw31c(t, "POST", path, token, form, "application/x-www-form-urlencoded")
}

func (e *env) doRaw31c(t *testing.T, method, path, token, body, ctype string) resp {
	t.Helper()
	return e.do(method, path, token, body, "Content-Type", ctype)
}

// TestReview31cSoundIGOfficerReadsConsentsNotClinicalAndIsLogged: the IG
// officer reads Jane's Consent, not her diagnoses, and each of her reads
// (of records and of the log) is itself an entry.
func TestReview31cSoundIGOfficerReadsConsentsNotClinicalAndIsLogged(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	ig := e.token("ig-officer", "council", "E06000999", func(c *auth.DevClaims) { c.Sub = "r31c-ig-c" })
	if r := e.do("GET", "/fhir/Consent?patient=jane", ig, ""); r.status != 200 || !strings.Contains(r.body, "jane-no-council") {
		t.Errorf("IG officer's Consent search: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Consent/jane-no-council/_history", ig, ""); r.status != 200 || !strings.Contains(r.body, "jane-no-council") {
		t.Errorf("IG officer's Consent history: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Observation/hba1c", "/fhir/EpisodeOfCare/package", "/fhir/Patient/jane/$everything?_type=Condition"} {
		r := e.do("GET", p, ig, "")
		for _, m := range []string{"GP-DIABETES", "GP-HIV", "GP-HBA1C", "COUNCIL-CARE-PACKAGE", "HOSP-ADMISSION", "TRUST-WOUND"} {
			if strings.Contains(r.body, m) {
				t.Errorf("IG GET %s releases %q", p, m)
			}
		}
	}
	e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	e.do("GET", "/fhir/AuditEvent?patient=jane", ig, "")
	r := e.do("GET", "/fhir/AuditEvent/$user-activity?agent=r31c-ig-c", e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r31c-ig-d" }), "")
	for _, op := range []string{"audit-who-accessed", "audit-search", "search", "history-instance"} {
		if !strings.Contains(r.body, fmt.Sprintf("%q", op)) {
			t.Errorf("the IG officer's own %s is not in her activity: %.600s", op, r.body)
		}
	}
}

// TestReview31cAnonymousRequestsFloodTheAlerts: requests with no working
// token (401) and an X-Break-Glass header, each naming another id that no
// Patient has, each raise an IG alert naming that id as a patient: a
// client with no account fills IG's alert list with made-up people.
// Measured here; see the report.
func TestReview31cAnonymousRequestsFloodTheAlerts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	for i := range 60 {
		r := e.do("GET", fmt.Sprintf("/fhir/Patient/r31c-made-up-%d/$everything", i), "", "", "X-Break-Glass", r31cBG)
		if r.status != 401 {
			t.Fatalf("premise: %d", r.status)
		}
	}
	rep := r31cAlerts(t, e)
	kinds := map[string]int{}
	madeUp := 0
	for _, a := range rep.Alerts {
		kinds[a.Kind]++
		if strings.HasPrefix(a.Patient, "r31c-made-up-") {
			madeUp++
		}
	}
	t.Logf("alerts by kind after 60 anonymous requests: %v; naming made-up ids: %d", kinds, madeUp)
	// No user opened anything: every request was refused at login, for
	// ids no record has. An unusual-volume alert ("opened up to N
	// distinct patients") says a user opened records.
	for _, a := range rep.Alerts {
		if a.Kind == "volume" && a.Sub == "" {
			t.Errorf("60 requests refused at login (401), naming ids no Patient has, raise an unusual-volume alert for no user: %q, entries %d", a.Detail, len(a.Seqs))
		}
	}
	if madeUp == 60 {
		t.Errorf("60 requests refused at login each raise an alert of their own naming a made-up id as a patient (%d alerts): anyone without an account can fill IG's alert list", madeUp)
	}
	// The design review 31c settled on (README, "The access log"): one
	// break-glass alert per client address and hour for requests with no
	// user, counting them and naming the first 5 people; no out-of-hours
	// alert for them (nothing was accessed).
	// (Two if the requests straddle a clock hour.)
	grouped, entries := 0, 0
	for _, a := range rep.Alerts {
		switch {
		case a.Kind == "out-of-hours" && a.Sub == "":
			t.Errorf("requests refused at login raise an out-of-hours alert: %q", a.Detail)
		case a.Kind == "break-glass" && a.Sub == "":
			grouped++
			entries += len(a.Seqs)
			if len(a.People) > 5 || !strings.Contains(a.Detail, fmt.Sprintf("%d request(s) refused at login", len(a.Seqs))) {
				t.Errorf("the grouped alert: %+v", a)
			}
		}
	}
	if grouped < 1 || grouped > 2 || entries != 60 {
		t.Errorf("60 requests from one client: %d break-glass alerts with %d entries, want 1 (2 across an hour) with 60", grouped, entries)
	}
}

// r31cBGAlerts are the break-glass alerts of user sub: patient → detail.
func r31cBGAlerts(t *testing.T, e *env, sub string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range r31cAlerts(t, e).Alerts {
		if a.Kind == "break-glass" && a.Sub == sub {
			out[a.Patient] = a.Detail
		}
	}
	return out
}

// TestReview31cBreakGlassThatOpenedNothingReadsAsGranted: a user sends
// X-Break-Glass with a request that opens no one's record under it and
// stores no grant — an IG officer (a role that may not break glass) asking
// for Jane's $who-accessed, a social worker (may not either) reading an
// Organization, a clinician's OPTIONS on Margaret's Patient. Each is an
// alert (an attempt), but README: a break-glass that stored no grant, by
// a role that may not, is listed apart as "break-glass refused:", not
// like a grant that opened the record ("break-glass: <reason>").
func TestReview31cBreakGlassThatOpenedNothingReadsAsGranted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedCouple(t, e)
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r31c-ig-bg" })
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "", "X-Break-Glass", r31cBG); true {
		t.Logf("IG officer's $who-accessed with the header: %d", r.status) // 403: may not break glass
	}
	sw := e.token("social-worker", "council", "E06000999", func(c *auth.DevClaims) { c.Sub = "r31c-sw-bg" })
	if r := e.do("GET", "/fhir/Organization?_count=1", sw, "", "X-Break-Glass", r31cBG); r.status != 200 {
		t.Logf("social worker's Organization search: %d", r.status)
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/package", sw, "", "X-Break-Glass", r31cBG); true {
		t.Logf("social worker's read of the council's own care package with the header: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "", "X-Break-Glass", r31cBG); true {
		t.Logf("social worker's $everything of Jane with the header: %d", r.status)
	}
	hc := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-opt-bg" })
	if r := e.do("OPTIONS", "/fhir/Patient/margaret", hc, "", "X-Break-Glass", r31cBG); r.status != 204 {
		t.Logf("OPTIONS: %d", r.status)
	}
	hc2 := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-org-bg" })
	if r := e.do("GET", "/fhir/Organization/A81001", hc2, "", "X-Break-Glass", r31cBG); true {
		t.Logf("clinician's Organization read with the header: %d", r.status)
	}
	for _, sub := range []string{"r31c-ig-bg", "r31c-sw-bg", "r31c-opt-bg", "r31c-org-bg"} {
		als := r31cBGAlerts(t, e, sub)
		t.Logf("%s: break-glass alerts %v", sub, als)
		if len(als) == 0 {
			t.Errorf("%s: no break-glass alert", sub)
		}
		for p, d := range als {
			if strings.HasPrefix(d, "break-glass: ") {
				t.Errorf("%s: a break-glass that opened no record and stored no grant reads as granted in IG's alert (patient %q): %q", sub, p, d)
			}
		}
	}
	// The OPTIONS names the person its path names, as a 405 on it does.
	if als := r31cBGAlerts(t, e, "r31c-opt-bg"); als["margaret"] == "" {
		t.Errorf("the OPTIONS on Patient/margaret with X-Break-Glass: its alert names no patient: %v", als)
	}
}

// TestReview31cSoundVolumeAlertForOneSearchAndOneBatch: a GP opening 55
// patients in one search, or in one batch of reads, raises the unusual-
// volume alert.
func TestReview31cSoundVolumeAlertForOneSearchAndOneBatch(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	gpSys := e.token("system", "nhs", "A81001")
	var entries, reads, ids []string
	for i := range 55 {
		id := fmt.Sprintf("r31c-v%02d", i)
		ids = append(ids, id)
		entries = append(entries, `{"resource":{"resourceType":"Patient","id":"`+id+`","name":[{"family":"R31CVOL"}],"generalPractitioner":[{"reference":"Organization/A81001"}]},"request":{"method":"PUT","url":"Patient/`+id+`"}}`)
		reads = append(reads, `{"request":{"method":"GET","url":"Patient/`+id+`"}}`)
	}
	if r := e.do("POST", "/fhir", gpSys, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
		t.Fatalf("seed: %d %.300s", r.status, r.body)
	}
	for name, run := range map[string]func(tok string) resp{
		"search": func(tok string) resp { return e.do("GET", "/fhir/Patient?family=R31CVOL&_count=100", tok, "") },
		"batch": func(tok string) resp {
			return e.do("POST", "/fhir", tok, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(reads, ",")+`]}`)
		},
		"_id list": func(tok string) resp { return e.do("GET", "/fhir/Patient?_id="+strings.Join(ids, ","), tok, "") },
		"elements": func(tok string) resp {
			return e.do("GET", "/fhir/Patient?family=R31CVOL&_count=100&_elements=id", tok, "")
		},
	} {
		sub := "r31c-vol-" + strings.ReplaceAll(name, " ", "")
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
		if r := run(tok); r.status != 200 {
			t.Errorf("%s: %d %.200s", name, r.status, r.body)
			continue
		}
		found := false
		for _, a := range r31cAlerts(t, e).Alerts {
			if a.Kind == "volume" && a.Sub == sub {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: a GP opening 55 patients in one request raises no volume alert", name)
		}
	}
}

// TestReview31cIGExplainOfARestrictedPersonRaisesNoAlert: the IG officer's
// $explain of Marg (restricted) lists each item of her record (type, id,
// class, source). SPEC §5: every access to a restricted person raises an
// IG alert; her Patient read by the same officer does (probe above).
func TestReview31cIGExplainOfARestrictedPersonRaisesNoAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedRestricted(t, e)
	ig := e.token("ig-officer", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r31c-ig-explain" })
	r := e.do("GET", "/fhir/Patient/marg/$explain?role=district-nurse&org=RCX&sector=nhs", ig, "")
	if r.status != 200 || !strings.Contains(r.body, "CareTeam/marg-nursing") {
		t.Fatalf("premise: $explain: %d %.300s", r.status, r.body)
	}
	for _, m := range []string{"SECRET-ADDR", "01134960999", "SECRET-NARRATIVE"} {
		if strings.Contains(r.body, m) {
			t.Errorf("$explain shows %q", m)
		}
	}
	found := false
	for _, a := range r31cAlerts(t, e).Alerts {
		if a.Sub == "r31c-ig-explain" && a.Code == "restricted-patient" && a.Patient == "marg" {
			found = true
		}
	}
	if r := e.do("GET", "/fhir/AuditEvent?agent=r31c-ig-explain", e.token("ig-officer", "nhs", "A81001"), ""); true {
		t.Logf("the $explain's entry: %s", r31cAround(r.body, `"outcomeDesc"`))
	}
	if !found {
		t.Errorf("the IG officer's $explain of a restricted person (listing %d items of her record) raises no restricted-patient alert", strings.Count(r.body, `"name":"item"`))
	}
}

// TestReview31cSoundRestrictedAlertByEveryRoute: the district nurse (care
// team) reaches Marg (restricted) by HEAD, a count-only search, _count=0,
// a batch, an include from another person's item, and a break-glass
// clinician by a trace: each is a restricted-patient alert naming Marg.
func TestReview31cSoundRestrictedAlertByEveryRoute(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	seedRestricted(t, e)
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/Condition/r31c-jane-ev", `{"resourceType":"Condition","id":"r31c-jane-ev","subject":{"reference":"Patient/jane"},"code":{"text":"R31C-EV"},"evidence":[{"detail":[{"reference":"Patient/marg"}]}]}`})
	type rq struct{ sub, method, path, body string }
	for _, q := range []rq{
		{"r31c-ra-head", "HEAD", "/fhir/Patient/marg", ""},
		{"r31c-ra-count", "GET", "/fhir/Patient?_id=marg&_summary=count", ""},
		{"r31c-ra-count0", "GET", "/fhir/CareTeam?patient=marg&_count=0", ""},
		{"r31c-ra-batch", "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/marg"}}]}`},
		{"r31c-ra-incl", "GET", "/fhir/Condition?patient=jane&_include=Condition:evidence-detail", ""},
		{"r31c-ra-family", "GET", "/fhir/Patient?family=Doyle", ""},
	} {
		tok := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = q.sub })
		r := e.do(q.method, q.path, tok, q.body)
		t.Logf("%s %s: %d", q.method, q.path, r.status)
	}
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ra-trace" })
	if r := e.do("GET", "/fhir/Patient?family=Doyle&birthdate=1962-01-01", ae, "", "X-Break-Glass", r31cBG); true {
		t.Logf("trace: %d", r.status)
	}
	rep := r31cAlerts(t, e)
	for _, sub := range []string{"r31c-ra-head", "r31c-ra-count", "r31c-ra-count0", "r31c-ra-batch", "r31c-ra-incl", "r31c-ra-family"} {
		ok := false
		for _, a := range rep.Alerts {
			if a.Sub == sub && a.Code == "restricted-patient" && a.Patient == "marg" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no restricted-patient alert naming marg", sub)
		}
	}
}

// TestReview31cSoundLogDoesNotTellLegallyRestricted: a break-glass read of
// Jane's IVF procedure (withheld) and a search of her procedures leave no
// "legally-restricted" reason nor label in what the IG officer reads.
func TestReview31cSoundLogDoesNotTellLegallyRestricted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed22bIVF(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = "r31c-ae-lr" })
	e.do("GET", "/fhir/Procedure/r22b-ivf", ae, "", "X-Break-Glass", r31cBG)
	e.do("GET", "/fhir/Procedure?patient=jane", ae, "")
	e.do("GET", "/fhir/Patient/jane/$everything", ae, "")
	hosp := e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = "r31c-hosp-lr" })
	e.do("GET", "/fhir/Procedure/r22b-ivf", hosp, "")
	ig := e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "r31c-ig-lr" })
	for _, p := range []string{"/fhir/AuditEvent?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$break-glass", "/fhir/AuditEvent/$alerts",
		"/fhir/Patient/jane/$explain?role=hospital-clinician&org=RZZ&sector=nhs&break-glass=EMERGENCY:%20collapsed%20in%20ED%20today"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 {
			t.Errorf("GET %s: %d %.200s", p, r.status, r.body)
		}
		for _, m := range []string{"legally-restricted", "HFEA", "R22B-IVF"} {
			if strings.Contains(r.body, m) {
				t.Errorf("IG GET %s shows %q: …%s…", p, m, r31cAround(r.body, m))
			}
		}
	}
}
