package api_test

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
)

// withReadsAddressed runs the server with the built-in policy and
// reads-addressed on for the clinical roles, as a deployment opts in (the
// built-in policy lists no role).
func withReadsAddressed(t testing.TB) func(*api.Config) {
	pol := readsAddressedPolicy(t)
	return func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) }
}

// readsAddressedPolicy is the built-in policy with reads-addressed on for
// the clinical roles.
func readsAddressedPolicy(t testing.TB) *consent.Policy {
	t.Helper()
	pol, err := consent.LoadPolicy(strings.NewReader(consent.DefaultPolicyText() + "\nreads-addressed gp hospital-clinician district-nurse\n"))
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// TestAddressedMessages: a message is released to the users of the
// organisation it is sent to in the roles of reads-addressed (the
// built-in policy's clinical roles), as an NHS message is class other,
// which the district nurse does not see: the hospital's message to the
// nurses' trust reaches the nurse, not the social worker; its message to
// the council neither (the social worker is not listed: SPEC gives her no
// lab results or clinical notes, which a message's text may hold); one to
// a practitioner neither. The person's consent and the item's sensitivity
// still decide, a message carrying a lab result needs the observations
// class the nurse lacks, and a search finds exactly what reads release.
func TestAddressedMessages(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	msg := func(id, recipient, extra string) [2]string {
		return [2]string{"/fhir/Communication/" + id, `{"resourceType":"Communication","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},` +
			`"recipient":[` + recipient + `],"payload":[{"contentString":"MSG-` + strings.ToUpper(id) + `"}]` + extra + `}`}
	}
	e.putAll(t, hosp,
		msg("tonurses", `{"reference":"Organization/RCX"}`, ""),
		msg("tonursesbycode", `{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RCX"}}`, ""),
		msg("tocouncil", `{"reference":"Organization/E06000999"}`, ""),
		msg("todoctor", `{"reference":"Practitioner/dr-who"}`, ""),
		msg("tonurseshiv", `{"reference":"Organization/RCX"}`, `,"reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]`),
		msg("tonurseslab", `{"reference":"Organization/RCX"}`, `,"contained":[{"resourceType":"Observation","id":"lab","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"CONTAINED-LAB"}}]`),
		[2]string{"/fhir/CommunicationRequest/asknurses", `{"resourceType":"CommunicationRequest","id":"asknurses","status":"active","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentString":"MSG-ASK"}]}`},
	)
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	ig := e.token("ig-officer", "nhs", "RCX")
	check := func(who, tok string, sees map[string]bool) {
		t.Helper()
		for _, id := range []string{"Communication/tonurses", "Communication/tonursesbycode", "Communication/tocouncil", "Communication/todoctor", "Communication/tonurseshiv", "Communication/tonurseslab", "CommunicationRequest/asknurses"} {
			want := 404
			if sees[id] {
				want = 200
			}
			if r := e.do("GET", "/fhir/"+id, tok, ""); r.status != want {
				t.Errorf("%s reads %s: %d, want %d", who, id, r.status, want)
			}
		}
		r := e.do("GET", "/fhir/Communication?patient=jane", tok, "")
		for _, id := range []string{"tonurses", "tonursesbycode", "tocouncil", "todoctor", "tonurseshiv", "tonurseslab"} {
			if got := strings.Contains(r.body, "MSG-"+strings.ToUpper(id)+`"`); got != sees["Communication/"+id] {
				t.Errorf("%s's search (%d) finds %s: %v, want %v", who, r.status, id, got, !got)
			}
		}
		r = e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if got := strings.Contains(r.body, "MSG-TONURSES\""); got != sees["Communication/tonurses"] {
			t.Errorf("%s's $everything (%d) holds the message to the nurses: %v", who, r.status, got)
		}
	}
	check("district nurse", nurse, map[string]bool{"Communication/tonurses": true, "Communication/tonursesbycode": true, "CommunicationRequest/asknurses": true})
	// The built-in policy leaves the social worker out of reads-addressed
	// (SPEC: not lab results or clinical notes, which an NHS message's
	// text may hold): a notice for her is tagged social care.
	check("social worker", sw, map[string]bool{})
	check("IG officer", ig, map[string]bool{})

	// Her objection to sharing with the nurses' trust withholds it again.
	deny := `{"resourceType":"Consent","id":"jane-no-rcx","status":"active",
	 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
	 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
	 "patient":{"reference":"Patient/jane"},"dateTime":"2026-01-10",
	 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
	 "provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}}`
	if r := e.do("PUT", "/fhir/Consent/jane-no-rcx", e.token("system", "nhs", "A81001"), deny); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	check("district nurse after Jane's objection", nurse, map[string]bool{})
}

// TestMessagesDatedBySent: a message is dated by when it was sent, so a
// Consent's dataPeriod decides it as any dated item: Jane's deny of her
// 2015-2016 records withholds the hospital's message to her nurses sent
// in 2016 and not the one sent in 2020 (undated, a deny covered both and
// a permit released neither).
func TestMessagesDatedBySent(t *testing.T) {
	e := newEnv(t, withReadsAddressed(t))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	msg := func(id, sent string) [2]string {
		return [2]string{"/fhir/Communication/" + id, `{"resourceType":"Communication","id":"` + id + `","status":"completed","subject":{"reference":"Patient/jane"},` +
			`"recipient":[{"reference":"Organization/RCX"}],"sent":"` + sent + `","payload":[{"contentString":"MSG-` + id + `"}]}`}
	}
	e.putAll(t, hosp, msg("sent2016", "2016-03-01T10:00:00Z"), msg("sent2020", "2020-03-01T10:00:00Z"))
	deny := janeConsent("jane-no-2015", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2015-01-01","end":"2016-12-31"}}`)
	if r := e.do("PUT", "/fhir/Consent/jane-no-2015", e.token("system", "nhs", "A81001"), deny); r.status != 201 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for id, want := range map[string]int{"sent2016": 404, "sent2020": 200} {
		if r := e.do("GET", "/fhir/Communication/"+id, nurse, ""); r.status != want {
			t.Errorf("nurse reads Communication/%s: %d, want %d", id, r.status, want)
		}
	}
}

// TestAddressedMessagesOffByDefault: the built-in policy lists no role in
// reads-addressed, so the hospital's message to the nurses' trust is
// withheld from its nurse, as any item of class other is (README).
func TestAddressedMessagesOffByDefault(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Communication/tonurses", `{"resourceType":"Communication","id":"tonurses","status":"completed","subject":{"reference":"Patient/jane"},"recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentString":"please visit"}]}`})
	if r := e.do("GET", "/fhir/Communication/tonurses", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("nurse under the built-in policy: %d, want 404", r.status)
	}
	if r := e.do("GET", "/fhir/Communication/tonurses", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Errorf("GP (every class): %d, want 200", r.status)
	}
}
