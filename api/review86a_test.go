package api_test

// Review 86a: probes of f443cc7 (withheld reasons in the access log,
// message and episode classes). Real HTTP, real SQLite, real tokens.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

type r86aEvent struct {
	OutcomeDesc string `json:"outcomeDesc"`
	Entity      []struct {
		Detail []struct {
			Type        string `json:"type"`
			ValueString string `json:"valueString"`
		} `json:"detail"`
	} `json:"entity"`
	raw string
}

// r86aEvents reads IG's AuditEvent search (q: its query) as events.
func r86aEvents(t *testing.T, e *env, ig, q string) []r86aEvent {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent?_count=500"+q, ig, "")
	if r.status != 200 {
		t.Fatalf("AuditEvent%s: %d %.300s", q, r.status, r.body)
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatal(err)
	}
	var out []r86aEvent
	for _, en := range b.Entry {
		var ev r86aEvent
		json.Unmarshal(en.Resource, &ev)
		ev.raw = string(en.Resource)
		out = append(out, ev)
	}
	return out
}

func (ev r86aEvent) path() string {
	for _, ent := range ev.Entity {
		for _, d := range ent.Detail {
			if d.Type == "path" {
				return d.ValueString
			}
		}
	}
	return ""
}

// TestReview86aHistorySinceLogsPermitWithWithheldReason: the GP practice's
// Condition was first coded HIV (labelled), then recoded (unlabelled). The
// district nurse polls its history since after the recoding: nothing
// changed, 200 with an empty history. Server.history decides every
// version "to tell, not released" (whether she may know the item at all)
// and restores x.Withheld afterwards ("a withheld one counts only for the
// 404") — but noteWithheld has already put sensitive-label into the entry,
// which is not restored. The log says "permit: sensitive-label" with 0
// withheld: a request that withheld nothing carries a withheld reason, and
// tells the IG officer (who sees no clinical data, SPEC §1) that this
// Condition once carried a sensitive label. SPEC §6: the entry records
// "how many items were withheld, decision and reason codes" — here they
// contradict each other. Severity: a wrong log entry (and a small hint to
// IG). Parent: "permit" with no reason.
func TestReview86aHistorySinceLogsPermitWithWithheldReason(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	body := func(code, text string) string {
		return `{"resourceType":"Condition","id":"hx1","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}],"text":"` + text + `"}}`
	}
	for _, b := range []string{body("86406008", "R86A-FIRST"), body("44054006", "R86A-RECODED")} {
		if r := e.do("PUT", "/fhir/Condition/hx1", gp, b); r.status != 200 && r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	since := time.Now().UTC().Format(time.RFC3339)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Condition/hx1/_history?_since="+url.QueryEscape(since), nurse, "")
	if r.status != 200 || strings.Contains(r.body, "R86A-FIRST") {
		t.Fatalf("premise: the nurse's poll: %d %.400s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	found := false
	for _, ev := range r86aEvents(t, e, ig, "") {
		if !strings.HasPrefix(ev.path(), "/fhir/Condition/hx1/_history") {
			continue
		}
		found = true
		t.Logf("entry: %s", ev.OutcomeDesc)
		if strings.HasPrefix(ev.OutcomeDesc, "permit") && strings.Contains(ev.OutcomeDesc, "sensitive-label") {
			t.Errorf("the nurse's empty history poll is logged %q: a permit that withheld nothing, with a withheld item's reason", ev.OutcomeDesc)
		}
	}
	if !found {
		t.Fatal("premise: no entry for the poll")
	}
}

// TestReview86aJointItemOtherPersonsConsentInHerReport: a hospital
// appointment for Jane and Bob together; Bob objects to sharing with the
// district nurses (RCX), Jane does not. The nurse opens Jane's record
// ($everything): the joint appointment is withheld for Bob's consent, and
// noteWithheld logs consent-deny in the entry about Jane. Jane's
// $who-accessed report (printable for her subject access request, README
// review 61e) now reads "partial: consent-deny": she has no Consent, so it
// tells her that someone in her record objected to sharing with the
// nurses — another person's consent decision. The count alone was told
// before (her own record holding others); the reason is Bob's. Severity:
// third-party information in one person's report (low). Parent: "partial"
// with no reason code.
func TestReview86aJointItemOtherPersonsConsentInHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	hosp := e.token("system", "nhs", "RHX")
	put := func(tok, path, b string) { e.putAll(t, tok, [2]string{path, b}) }
	put(gp, "/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	put(trust, "/fhir/CareTeam/bobteam", `{"resourceType":"CareTeam","id":"bobteam","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`)
	put(gp, "/fhir/Consent/bob-no-rcx", denyOrgConsent("bob-no-rcx", "bob", "RCX"))
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/jane/$everything?_type=Condition", nurse, ""); r.status != 200 {
		t.Fatalf("control: %d", r.status)
	}
	put(hosp, "/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","description":"R86A-JOINT",
 "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"Patient/bob"},"status":"accepted"}]}`)
	r := e.do("GET", "/fhir/Patient/jane/$everything?_type=Appointment", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "R86A-JOINT") {
		t.Fatalf("premise: %d, joint appointment released: %v", r.status, strings.Contains(r.body, "R86A-JOINT"))
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	rep := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", ig, "")
	if rep.status != 200 {
		t.Fatalf("who-accessed: %d", rep.status)
	}
	var lines []string
	for _, line := range strings.Split(rep.body, "\n") {
		if strings.Contains(line, "$everything") && strings.Contains(line, "district-nurse") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 2 || strings.Contains(lines[0], "consent-deny") {
		t.Fatalf("premise: the control (before the joint appointment) and the probe: %q", lines)
	}
	t.Logf("control: %s", lines[0])
	t.Logf("probe:   %s", lines[1])
	if strings.Contains(lines[1], "consent-deny") {
		t.Errorf("Jane (no Consent of hers) has in her report another person's consent's refusal: %s", lines[1])
	}
}

// TestReview86aSoundLegallyRestrictedNeverLogged: an assisted-fertilisation
// Condition (HFEA, legally restricted) of Jane's GP practice, opened under
// break-glass by a hospital clinician, by the nurse, and searched by a
// client system: no log entry, by AuditEvent search or $who-accessed, says
// legally-restricted, HFEA, the code or the item's id; the withheld reason
// is logged as sensitive-label.
func TestReview86aSoundLegallyRestrictedNeverLogged(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/r86a-ivf", gp, `{"resourceType":"Condition","id":"r86a-ivf","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"R86A-IVF"}}`); r.status != 201 && r.status != 200 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	hc := e.token("hospital-clinician", "nhs", "RZZ")
	for _, q := range []struct{ tok, path, bg string }{
		{hc, "/fhir/Patient/jane/$everything", "EMERGENCY: unconscious in A&E, no next of kin"},
		{hc, "/fhir/Condition?patient=jane", "EMERGENCY: unconscious in A&E, no next of kin"},
		{e.token("district-nurse", "nhs", "RCX"), "/fhir/Patient/jane/$everything", ""},
		{e.token("social-worker", "council", "E06000999"), "/fhir/Condition?patient=jane", ""},
		{e.token("system", "nhs", "RCX"), "/fhir/Condition?patient=jane", ""},
	} {
		hdr := []string{}
		if q.bg != "" {
			hdr = append(hdr, "X-Break-Glass", q.bg)
		}
		if r := e.do("GET", q.path, q.tok, "", hdr...); r.status != 200 || strings.Contains(r.body, "R86A-IVF") {
			t.Fatalf("premise %s: %d %.300s", q.path, r.status, r.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	sens := 0
	for _, ev := range r86aEvents(t, e, ig, "") {
		if ev.path() == "/fhir/Condition/r86a-ivf" {
			continue // the GP system's own write names it
		}
		for _, bad := range []string{"legally-restricted", "HFEA", "52637005", "r86a-ivf", "R86A-IVF"} {
			if strings.Contains(ev.raw, bad) {
				t.Errorf("entry %s carries %q: %.500s", ev.path(), bad, ev.raw)
			}
		}
		if strings.Contains(ev.OutcomeDesc, "sensitive-label") {
			sens++
		}
	}
	if sens == 0 {
		t.Errorf("no entry logs sensitive-label for the withheld item")
	}
	for _, f := range []string{"&_format=text"} {
		rep := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane"+f, ig, "")
		for _, bad := range []string{"legally-restricted", "HFEA", "52637005", "r86a-ivf"} {
			for _, line := range strings.Split(rep.body, "\n") {
				if strings.Contains(line, bad) && !strings.Contains(line, "update") && !strings.Contains(line, "PUT") {
					t.Errorf("$who-accessed%s carries %q: %.400s", f, bad, line)
				}
			}
		}
	}
}

// TestReview86aNHSEpisodeManagedByCouncilReleasesClinicalNarrative: a
// community mental health team's episode, recorded by the hospital trust
// (RHX), names the council as managingOrganization (a jointly run
// section 75 team, or a mistyped reference). DataClassFrom now makes it
// social care whoever recorded it, and ContentClassesFrom then drops the
// documents class review 84b gave an NHS episode, so its narrative and
// type ("low mood, counselling") go to the social worker — SPEC §1: the
// social worker needs "care assessments and packages ... not lab results
// or clinical notes". The NHS writer's clinical narrative is released by
// a reference the writer controls; a council-recorded episode is the
// council's own package. Severity: clinical content to a role SPEC keeps
// it from (judgement: the commit means a reablement package to reach her;
// keeping the documents content class for an NHS writer's episode would
// keep both). Parent: 404 (an NHS episode, encounters + documents).
func TestReview86aNHSEpisodeManagedByCouncilReleasesClinicalNarrative(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	if r := e.do("PUT", "/fhir/EpisodeOfCare/cmht", hosp, `{"resourceType":"EpisodeOfCare","id":"cmht","status":"active",
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">R86A-CMHT low mood, counselling, sertraline review</div>"},
 "type":[{"text":"R86A-COMMUNITY-MENTAL-HEALTH-TEAM"}],"patient":{"reference":"Patient/jane"},
 "managingOrganization":{"reference":"Organization/E06000999"},"period":{"start":"2026-11-01"}}`); r.status != 201 && r.status != 200 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/EpisodeOfCare/cmht", sw, ""); r.status == 200 && strings.Contains(r.body, "R86A-CMHT") {
		t.Errorf("the social worker reads the hospital's mental health episode narrative: %d %.300s", r.status, r.body)
	}
}

// TestReview86aSoundCouncilManagedEpisodeKeepsCarriedClasses: the
// hospital's episode managed by the council, tagged social care by the
// hospital (since review 86a the managing organisation does not make it
// one), carrying a
// contained lab Observation, or a contained HIV Condition, is still
// withheld from the social worker (withInnerClasses adds observations;
// the HIV code labels it); the same episode without them is released as
// the council's package (review 85b's intent).
func TestReview86aSoundCouncilManagedEpisodeKeepsCarriedClasses(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	ep := func(id, contained string) string {
		return `{"resourceType":"EpisodeOfCare","id":"` + id + `","meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"status":"active",` + contained + `"type":[{"text":"R86A-REABLEMENT"}],"patient":{"reference":"Patient/jane"},"managingOrganization":{"reference":"Organization/E06000999"}}`
	}
	lab := `"contained":[{"resourceType":"Observation","id":"o","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"R86A-LAB"},"subject":{"reference":"Patient/jane"}}],"diagnosis":[{"condition":{"reference":"#o"}}],`
	hiv := `"contained":[{"resourceType":"Condition","id":"c","code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},"subject":{"reference":"Patient/jane"}}],"diagnosis":[{"condition":{"reference":"#c"}}],`
	for id, c := range map[string]string{"r86a-plain": "", "r86a-lab": lab, "r86a-hiv": hiv} {
		if r := e.do("PUT", "/fhir/EpisodeOfCare/"+id, hosp, ep(id, c)); r.status != 201 && r.status != 200 {
			t.Fatalf("seed %s: %d %s", id, r.status, r.body)
		}
	}
	sw := e.token("social-worker", "council", "E06000999")
	for id, want := range map[string]int{"r86a-plain": 200, "r86a-lab": 404, "r86a-hiv": 404} {
		if r := e.do("GET", "/fhir/EpisodeOfCare/"+id, sw, ""); r.status != want {
			t.Errorf("social worker reads EpisodeOfCare/%s: %d, want %d", id, r.status, want)
		}
	}
}

// TestReview86aSoundReadmeReferralAcceptanceFoundByPartOf: README "A referral
// relates no one": "the council accepts a Task by writing its own
// (partOf the hospital's, found with Task?part-of=)". The hospital's feed
// (role system, RHX) asks Task?part-of=Task/d2a for the acceptance; SPEC
// §1: a client system "reads back only what its organisation recorded",
// so it cannot find the council's Task. Does the hospital clinician? Logs
// both; fails if neither finds it (README's route then does not work).
func TestReview86aSoundReadmeReferralAcceptanceFoundByPartOf(t *testing.T) {
	e := newEnv(t)
	k := r85cTokens(e)
	r85cSeedReferral(t, e, k)
	r85cPut(t, e, k.hosp, "/fhir/CareTeam/d2a-team", r85cCareTeam)
	if r := e.do("GET", "/fhir/Task?owner=Organization/E06000999", k.sw, ""); r.status != 200 || !strings.Contains(r.body, "R85C-TASK") {
		t.Errorf("the social worker's Task?owner= after the care team: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/ServiceRequest?performer=Organization/E06000999", k.sw, ""); r.status != 200 || !strings.Contains(r.body, "R85C-REFERRAL") {
		t.Errorf("the social worker's ServiceRequest?performer= after the care team: %d %.300s", r.status, r.body)
	}
	r85cAccept(t, e, k)
	found := 0
	for name, tok := range map[string]string{"hospital system": k.hosp, "hospital clinician": k.hc} {
		r := e.do("GET", "/fhir/Task?part-of=Task/d2a", tok, "")
		ok := r.status == 200 && strings.Contains(r.body, "R85C-COUNCIL-ACCEPT")
		t.Logf("%s Task?part-of=Task/d2a: %d, finds the acceptance: %v", name, r.status, ok)
		if ok {
			found++
		}
	}
	if found == 0 {
		t.Errorf("no one at the hospital finds the council's acceptance by Task?part-of=")
	}
}

// TestReview86aSoundSeveralPeopleSearchShowsNoReasonInHerReport: the
// nurse's search of every Condition touches Jane (her HIV Condition
// withheld: sensitive-label) and Bob (his diabetes released). Bob's
// report, by $who-accessed and by AuditEvent?patient=bob, carries neither
// the reasons nor the count (review 61e), with the new codes too.
func TestReview86aSoundSeveralPeopleSearchShowsNoReasonInHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	for path, b := range map[string]string{
		"/fhir/Patient/bob":      `{"resourceType":"Patient","id":"bob","name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`,
		"/fhir/Condition/bobdm":  `{"resourceType":"Condition","id":"bobdm","subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`,
		"/fhir/CareTeam/bobteam": `{"resourceType":"CareTeam","id":"bobteam","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`,
	} {
		tok := gp
		if strings.Contains(path, "CareTeam") {
			tok = trust
		}
		if r := e.do("PUT", path, tok, b); r.status != 201 && r.status != 200 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition?code=http://snomed.info/sct|44054006,http://snomed.info/sct|86406008", nurse, ""); r.status != 200 {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	seen := false
	for _, ev := range r86aEvents(t, e, ig, "&patient=bob") {
		if ev.path() == "/fhir/Condition" {
			seen = true
			if strings.Contains(ev.OutcomeDesc, "sensitive-label") || strings.Contains(ev.OutcomeDesc, "withheld") {
				t.Errorf("Bob's AuditEvent: %s", ev.OutcomeDesc)
			}
		}
	}
	rep := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=bob&_format=text", ig, "")
	if strings.Contains(rep.body, "sensitive-label") {
		t.Errorf("Bob's report carries Jane's withheld reason:\n%s", rep.body)
	}
	if !seen {
		t.Errorf("premise: the search is not in Bob's log")
	}
}

// TestReview86aJointItemRestrictedPersonInHerReport: Jane and Bob share a
// hospital appointment; Bob's demographics are restricted (confidentiality
// R: in a refuge) and the district nurses have no relationship with him.
// The nurse opens Jane's record: the joint appointment is withheld for
// Bob, whose record does not open — pp.open's reasons, restricted-patient
// first, then no-relationship — and noteWithheld writes both into the
// entry about Jane. ig.concerning deliberately drops other people from
// her report's restricted list (c.Restricted keeps only hers), but the
// reasons now carry "restricted-patient": Jane's $who-accessed (printable
// for her subject access request) tells her that someone she shares an
// appointment with is a restricted person. SPEC §5: a restricted
// person's details are never released outside the source; README 61e:
// one person's report says nothing of others. Severity: personal data of
// a third party (restricted status of a refuge resident) — a leak.
// Parent: "deny: claimed-relationship" only.
func TestReview86aJointItemRestrictedPersonInHerReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	put := func(tok, path, b string) { e.putAll(t, tok, [2]string{path, b}) }
	put(gp, "/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"name":[{"family":"Bobson"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	put(hosp, "/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","description":"R86A-JOINT",
 "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"Patient/bob"},"status":"accepted"}]}`)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient/jane/$everything?_type=Appointment", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "R86A-JOINT") {
		t.Fatalf("premise: %d, joint appointment released: %v", r.status, strings.Contains(r.body, "R86A-JOINT"))
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, f := range []string{"&_format=text", ""} {
		rep := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane"+f, ig, "")
		if rep.status != 200 {
			t.Fatalf("who-accessed: %d", rep.status)
		}
		for _, line := range strings.Split(rep.body, "\n") {
			if strings.Contains(line, "$everything") && strings.Contains(line, "district-nurse") {
				t.Logf("Jane's report: %s", line)
			}
		}
		if strings.Contains(rep.body, "restricted-patient") {
			t.Errorf("Jane's $who-accessed%s says restricted-patient (Bob's status; Jane is not restricted)", f)
		}
	}
	for _, ev := range r86aEvents(t, e, ig, "&patient=jane") {
		if strings.Contains(ev.path(), "$everything") {
			t.Logf("AuditEvent?patient=jane: %s", ev.OutcomeDesc)
			if strings.Contains(ev.OutcomeDesc, "restricted-patient") {
				t.Errorf("Jane's AuditEvent search says %q (Bob's status)", ev.OutcomeDesc)
			}
		}
	}
}
