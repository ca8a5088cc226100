package api_test

import (
	"io"

	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Review 60a: resource types that collide with carex's own functions
// (the access log, Provenance, Linkage, Subscription, Parameters,
// OperationOutcome, CapabilityStatement, stored Bundles, Consents of other
// scopes).

const forged60a = "FORGED-60A-MARKER"

// forgedAuditEvent60a claims that the GP read Jane's record.
const forgedAuditEvent60a = `{"resourceType":"AuditEvent","id":"forged60a",
 "type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest"},
 "recorded":"2026-01-01T10:00:00Z","outcome":"0","outcomeDesc":"` + forged60a + `",
 "agent":[{"requestor":true,"who":{"reference":"Patient/jane","display":"` + forged60a + `"},"name":"` + forged60a + `"}],
 "source":{"observer":{"display":"` + forged60a + `"}},
 "entity":[{"what":{"reference":"Patient/jane"}}]}`

// TestReview60aSoundAuditEventWritesRefused: no route writes an AuditEvent:
// POST, PUT, DELETE, a transaction's or a batch's entry, a conditional
// update; nothing forged shows in IG's views of Jane; a GP's batch GET of
// the log and its reports is refused as the direct request is.
func TestReview60aSoundAuditEventWritesRefused(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/fhir/AuditEvent", forgedAuditEvent60a},
		{"PUT", "/fhir/AuditEvent/forged60a", forgedAuditEvent60a},
		{"PUT", "/fhir/AuditEvent/1", strings.Replace(forgedAuditEvent60a, `"id":"forged60a"`, `"id":"1"`, 1)},
		{"DELETE", "/fhir/AuditEvent/1", ""},
		{"PUT", "/fhir/AuditEvent?_id=forged60a", forgedAuditEvent60a},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + forgedAuditEvent60a + `,"request":{"method":"POST","url":"AuditEvent"}}]}`},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + forgedAuditEvent60a + `,"request":{"method":"PUT","url":"AuditEvent/forged60a"}}]}`},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"AuditEvent/1"}}]}`},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + forgedAuditEvent60a + `,"request":{"method":"PUT","url":"AuditEvent?_id=forged60a"}}]}`},
	} {
		for _, tok := range []string{sys, gp, ig} {
			r := e.do(c.method, c.path, tok, c.body)
			if r.status < 400 && !strings.Contains(r.body, `"status":"405`) && !strings.Contains(r.body, `"status":"4`) {
				t.Errorf("%s %s: %d %.400s", c.method, c.path, r.status, r.body)
			}
		}
	}
	for _, p := range []string{"/fhir/AuditEvent?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$alerts", "/fhir/AuditEvent/$break-glass"} {
		r := e.do("GET", p, ig, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, forged60a) {
			t.Errorf("%s shows the forged entry: %.600s", p, r.body)
		}
	}
	if r := e.do("GET", "/fhir/AuditEvent/forged60a", ig, ""); r.status != 404 && r.status != 400 {
		t.Errorf("AuditEvent/forged60a: %d %.300s", r.status, r.body)
	}
	// A GP asks for the log through a batch's GET entries, and through the
	// patient compartment.
	r := e.do("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[
		{"request":{"method":"GET","url":"AuditEvent?patient=jane"}},
		{"request":{"method":"GET","url":"AuditEvent/$who-accessed?patient=jane"}},
		{"request":{"method":"GET","url":"AuditEvent/$alerts"}},
		{"request":{"method":"GET","url":"AuditEvent/1"}}]}`)
	if strings.Contains(r.body, "system-user") || strings.Contains(r.body, `"resourceType":"AuditEvent"`) || strings.Count(r.body, `"status":"403`) < 4 {
		t.Errorf("a GP's batch reads the access log: %d %.1200s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Patient/jane/AuditEvent", "/fhir/AuditEvent/_history", "/fhir/_history?_type=AuditEvent", "/fhir?_type=AuditEvent"} {
		r := e.do("GET", p, gp, "")
		if strings.Contains(r.body, `"resourceType":"AuditEvent"`) || strings.Contains(r.body, "system-user") {
			t.Errorf("GP %s reads the access log: %d %.600s", p, r.status, r.body)
		}
	}
}

// TestReview60aSoundNonPrivacyConsentGrantsNothing: Jane objects to the
// council seeing her NHS record (recorded by her GP). The council, which
// has her care package, records later Consents of other scopes (treatment,
// research) permitting itself: they grant nothing.
func TestReview60aSoundNonPrivacyConsentGrantsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
		t.Fatalf("premise: withheld from the council: %d", r.status)
	}
	council := e.token("system", "council", "E06000999")
	for _, scope := range []string{"treatment", "research", "adr"} {
		body := strings.Replace(janeConsent("council-"+scope, "2026-03-01", "OPTIN",
			`,"provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}]}`),
			`"code":"patient-privacy"`, `"code":"`+scope+`"`, 1)
		w := e.do("PUT", "/fhir/Consent/council-"+scope, council, body)
		if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status == 200 {
			t.Errorf("a %s Consent the council recorded (%d) releases Jane's diagnosis to it: %.300s", scope, w.status, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", sw, ""); strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("a %s Consent the council recorded releases Jane's diagnosis in $everything: %.300s", scope, r.body)
		}
	}
	// A scope coding under another system beside treatment: not read as
	// patient-privacy by the engine; it must not be read as such anywhere
	// to grant.
	body := strings.Replace(janeConsent("council-mixed", "2026-03-02", "OPTIN",
		`,"provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}]}`),
		`"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]}`,
		`"scope":{"coding":[{"system":"https://example.org/local","code":"patient-privacy"},{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"treatment"}]}`, 1)
	w := e.do("PUT", "/fhir/Consent/council-mixed", council, body)
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status == 200 {
		t.Errorf("a mixed-scope Consent the council recorded (%d) releases Jane's diagnosis: %.300s", w.status, r.body)
	}
}

// TestReview60aWriteNamingWithheldItemIsNoOracle: the hospital, from which
// Jane's HIV diagnosis is withheld, writes a Provenance, a Linkage, a List
// and a Basic naming Condition/hiv, and the same naming an id that does
// not exist: the answers must not differ (status), or the write tells the
// hospital the withheld item exists.
func TestReview60aWriteNamingWithheldItemIsNoOracle(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
		t.Fatalf("premise: withheld from the hospital: %d", r.status)
	}
	sys := e.token("system", "nhs", "RHX")
	bodies := map[string]string{
		"Provenance": `{"resourceType":"Provenance","target":[{"reference":"REF"}],"recorded":"2026-01-01T10:00:00Z","agent":[{"who":{"reference":"Organization/RHX"}}]}`,
		"Linkage":    `{"resourceType":"Linkage","item":[{"type":"source","resource":{"reference":"REF"}},{"type":"alternate","resource":{"reference":"Condition/diabetes"}}]}`,
		"List":       `{"resourceType":"List","status":"current","mode":"working","subject":{"reference":"Patient/jane"},"entry":[{"item":{"reference":"REF"}}]}`,
		"Basic":      `{"resourceType":"Basic","code":{"text":"x"},"subject":{"reference":"Patient/jane"},"extension":[{"url":"https://example.org/x","valueReference":{"reference":"REF"}}]}`,
		"Binary":     `{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"REF"},"data":"eA=="}`,
	}
	for typ, b := range bodies {
		a := e.do("POST", "/fhir/"+typ, sys, strings.ReplaceAll(b, "REF", "Condition/hiv"))
		n := e.do("POST", "/fhir/"+typ, sys, strings.ReplaceAll(b, "REF", "Condition/nosuch60a"))
		if a.status != n.status {
			t.Errorf("%s naming the withheld Condition/hiv: %d %.300s; naming one that does not exist: %d %.300s", typ, a.status, a.body, n.status, n.body)
		}
	}
}

// TestReview60aSoundSubscriptionNotifiesNoOne: a Subscription is stored as
// a resource, and carex calls no endpoint when a matching item is written
// (the CapabilityStatement claims no notification).
func TestReview60aSoundSubscriptionNotifiesNoOne(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hits.Add(1)
	}))
	defer hook.Close()
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "RHX")
	w := e.do("PUT", "/fhir/Subscription/s60a", sys, `{"resourceType":"Subscription","id":"s60a","status":"requested","reason":"x","criteria":"Condition?patient=jane","channel":{"type":"rest-hook","endpoint":"`+hook.URL+`","payload":"application/fhir+json"}}`)
	t.Logf("Subscription: %d %.200s", w.status, w.body)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Condition/hiv2", `{"resourceType":"Condition","id":"hiv2","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-HIV-2"}}`})
	time.Sleep(300 * time.Millisecond)
	if hits.Load() != 0 {
		t.Errorf("the hook was called %d times", hits.Load())
	}
	if r := e.do("GET", "/fhir/metadata", "", ""); strings.Contains(r.body, `"subscription"`) || strings.Contains(r.body, "rest-hook") {
		t.Errorf("metadata claims subscriptions: %.300s", r.body)
	}
}

// TestReview60aSoundStoredBundleAndParametersCarryingWithheldCopy: the GP's
// system stores a searchset Bundle and a Parameters, each carrying a copy
// of Jane's HIV diagnosis (in an entry's resource, in a parameter's
// resource and part): none goes to the hospital.
func TestReview60aSoundStoredBundleAndParametersCarryingWithheldCopy(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Bundle/ss60a", `{"resourceType":"Bundle","id":"ss60a","type":"searchset","total":1,"entry":[{"fullUrl":"https://x/fhir/Condition/hiv","resource":` + hivCopy60a + `,"search":{"mode":"match"}}]}`},
		[2]string{"/fhir/Parameters/pa60a", `{"resourceType":"Parameters","id":"pa60a","parameter":[{"name":"a","resource":` + hivCopy60a + `},{"name":"b","part":[{"name":"c","resource":` + hivCopy60a + `}]}]}`},
	)
	for _, who := range [][3]string{{"hospital-clinician", "nhs", "RHX"}, {"hospital-clinician", "nhs", "R1A"}} {
		tok := e.token(who[0], who[1], who[2])
		for _, p := range []string{"/fhir/Bundle/ss60a", "/fhir/Parameters/pa60a", "/fhir/Bundle", "/fhir/Parameters",
			"/fhir/Patient/jane/$everything", "/fhir/Bundle?_id=ss60a", "/fhir/_history", "/fhir/Bundle/_history", "/fhir/Parameters/pa60a/_history"} {
			r := e.do("GET", p, tok, "")
			if strings.Contains(r.body, "COPY-HIV-60A") || strings.Contains(r.body, "86406008") {
				t.Errorf("%v %s gives the HIV copy: %d %.500s", who, p, r.status, r.body)
			}
		}
	}
}

const hivCopy60a = `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"COPY-HIV-60A"}}`

// TestReview60aBundleResponseOutcomeCarriesWithheldItem: a stored Bundle
// of type history (or transaction-response, batch-response) holds, in an
// entry's response.outcome — a Resource element of Bundle.entry in R4 —
// a copy of Jane's HIV diagnosis. carex reads a stored Bundle's people and
// codes from entry.resource only, so the Bundle names no one and carries
// no label: it goes to a hospital clinician of an organisation with no
// relationship with Jane (R1A, 403 on her $everything: her reference is
// masked, the diagnosis is not), and, whole, to the hospital RHX, from
// which her HIV diagnosis is withheld — by read, vread, type search and
// the system's _history.
func TestReview60aBundleResponseOutcomeCarriesWithheldItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	// (The fix chose to refuse such a Bundle: 422, nothing stored; the
	// reads below then find nothing of it.)
	for _, w := range [][2]string{
		{"/fhir/Bundle/hi60a", `{"resourceType":"Bundle","id":"hi60a","type":"history","entry":[{"fullUrl":"https://x/fhir/Condition/diabetes","request":{"method":"PUT","url":"Condition/diabetes"},"response":{"status":"200","outcome":` + hivCopy60a + `}}]}`},
		{"/fhir/Bundle/tr60a", `{"resourceType":"Bundle","id":"tr60a","type":"transaction-response","entry":[{"response":{"status":"201","location":"Condition/hiv/_history/1","outcome":` + hivCopy60a + `}}]}`},
		{"/fhir/Bundle/nest60a", `{"resourceType":"Bundle","id":"nest60a","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"200","outcome":` + hivCopy60a + `}}]}}]}`},
	} {
		if r := e.do("PUT", w[0], gpSys, w[1]); r.status != 422 {
			t.Errorf("PUT %s with a Condition as an entry's response.outcome: %d, want 422 %.300s", w[0], r.status, r.body)
		}
	}
	for _, who := range [][3]string{{"hospital-clinician", "nhs", "R1A"}, {"hospital-clinician", "nhs", "RHX"}} {
		tok := e.token(who[0], who[1], who[2])
		if who[2] == "R1A" {
			if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); r.status != 403 {
				t.Fatalf("premise: R1A has no relationship with Jane: %d", r.status)
			}
		} else if r := e.do("GET", "/fhir/Condition/hiv", tok, ""); r.status != 404 {
			t.Fatalf("premise: Jane's HIV diagnosis is withheld from RHX: %d", r.status)
		}
		for _, p := range []string{"/fhir/Bundle/hi60a", "/fhir/Bundle/tr60a", "/fhir/Bundle", "/fhir/Bundle?type=history", "/fhir/_history", "/fhir/Bundle/hi60a/_history/1"} {
			r := e.do("GET", p, tok, "")
			if strings.Contains(r.body, "COPY-HIV-60A") || strings.Contains(r.body, "86406008") {
				t.Errorf("%v GET %s: %d, Jane's HIV diagnosis released: %.400s", who, p, r.status, r.body)
			}
		}
	}
}

// TestReview60aSoundLinkageAndPersonJoinNoRecords: the GP's system links
// Jane's Patient with Bob's (registered elsewhere) by a Linkage and by a
// Person; the council, whose only relationship is Bob's care package,
// reads none of Jane's record through Bob.
func TestReview60aSoundLinkageAndPersonJoinNoRecords(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "B99999"),
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/B99999"}]}`})
	e.putAll(t, e.token("system", "council", "E06000777"),
		[2]string{"/fhir/EpisodeOfCare/bob-package", `{"resourceType":"EpisodeOfCare","id":"bob-package","status":"active","patient":{"reference":"Patient/bob"},"managingOrganization":{"reference":"Organization/E06000777"},"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]}}`})
	sw := e.token("social-worker", "council", "E06000777")
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status == 200 {
		t.Fatalf("premise: %d", r.status)
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Linkage/jb60a", `{"resourceType":"Linkage","id":"jb60a","item":[{"type":"source","resource":{"reference":"Patient/jane"}},{"type":"alternate","resource":{"reference":"Patient/bob"}}]}`},
		[2]string{"/fhir/Person/jb60a", `{"resourceType":"Person","id":"jb60a","link":[{"target":{"reference":"Patient/jane"},"assurance":"level4"},{"target":{"reference":"Patient/bob"},"assurance":"level4"}]}`})
	for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/bob/$everything", "/fhir/Patient/jane/$everything", "/fhir/Linkage/jb60a", "/fhir/Person/jb60a"} {
		r := e.do("GET", p, sw, "")
		if strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "COUNCIL-CARE-PACKAGE") {
			t.Errorf("%s: the council of Bob reads Jane's record: %d %.400s", p, r.status, r.body)
		}
	}
}

// TestReview60aSoundProvenanceDecidesNothingElse: a Provenance claiming
// that the council (denied by Jane's objection) or the hospital (from which
// her HIV diagnosis is withheld) wrote the GP's items changes no item's
// decision; nor does a stored CapabilityStatement change /fhir/metadata.
func TestReview60aSoundProvenanceDecidesNothingElse(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	prov := func(id, target, org string) string {
		return `{"resourceType":"Provenance","id":"` + id + `","target":[{"reference":"` + target + `"}],"recorded":"2026-01-01T10:00:00Z",
		"agent":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"author"}]},"who":{"reference":"Organization/` + org + `"}}],
		"entity":[{"role":"source","what":{"reference":"Organization/` + org + `"}}]}`
	}
	c := e.do("PUT", "/fhir/Provenance/pc60a", e.token("system", "council", "E06000999"), prov("pc60a", "Condition/diabetes", "E06000999"))
	h := e.do("PUT", "/fhir/Provenance/ph60a", e.token("system", "nhs", "RHX"), prov("ph60a", "Condition/hiv", "RHX"))
	t.Logf("council Provenance: %d; hospital Provenance: %d", c.status, h.status)
	if r := e.do("GET", "/fhir/Condition/diabetes", e.token("social-worker", "council", "E06000999"), ""); r.status == 200 {
		t.Errorf("the council's Provenance releases the GP's diagnosis to it: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status == 200 {
		t.Errorf("the hospital's Provenance releases the HIV diagnosis to it: %.300s", r.body)
	}
	w := e.do("PUT", "/fhir/CapabilityStatement/metadata", e.token("system", "nhs", "RHX"), `{"resourceType":"CapabilityStatement","id":"metadata","status":"active","date":"2026-01-01","kind":"instance","fhirVersion":"4.0.1","format":["json"],"publisher":"`+forged60a+`"}`)
	t.Logf("stored CapabilityStatement: %d", w.status)
	if r := e.do("GET", "/fhir/metadata", "", ""); r.status != 200 || strings.Contains(r.body, forged60a) {
		t.Errorf("/fhir/metadata shows the stored CapabilityStatement: %d %.300s", r.status, r.body)
	}
}
