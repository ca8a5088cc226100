package api_test

// Review 5c (protocol and CapabilityStatement): copied from branch review-5c's
// api/review5c_test.go — the tests for items 1-5 of the fix-5c-b brief.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// capStatement is the part of /fhir/metadata these tests read.
type capStatement struct {
	Rest []struct {
		Interaction []struct {
			Code string `json:"code"`
		} `json:"interaction"`
		Operation []struct {
			Name string `json:"name"`
		} `json:"operation"`
		Resource []struct {
			Type        string `json:"type"`
			Interaction []struct {
				Code string `json:"code"`
			} `json:"interaction"`
			ConditionalCreate bool     `json:"conditionalCreate"`
			ConditionalUpdate bool     `json:"conditionalUpdate"`
			UpdateCreate      bool     `json:"updateCreate"`
			SearchInclude     []string `json:"searchInclude"`
			SearchRevInclude  []string `json:"searchRevInclude"`
			SearchParam       []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"searchParam"`
			Operation []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"operation"`
		} `json:"resource"`
	} `json:"rest"`
}

func readCapabilities(t *testing.T, e *env) capStatement {
	t.Helper()
	r := e.do("GET", "/fhir/metadata", "", "")
	if r.status != 200 {
		t.Fatalf("metadata: %d %s", r.status, r.body)
	}
	var cs capStatement
	if err := json.Unmarshal([]byte(r.body), &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestReview5cCapabilityAuditEventTellsTheTruth: SPEC §3 "GET /fhir/metadata
// — a CapabilityStatement that tells the truth about what is supported".
// For AuditEvent it advertises what every stored type has — create, update,
// delete, vread, history-instance, history-type, updateCreate, conditional
// create and update, 24 R4 search parameters and 4 _include targets — but
// the access log answers only patient, agent, date and outcome (every other
// parameter is a 400), refuses every write with 405 and every history with
// 400. A client system or an IG tool built from the CapabilityStatement
// fails on each of them.
func TestReview5cCapabilityAuditEventTellsTheTruth(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.do("GET", "/fhir/Patient/jane", gp, "")
	ig := e.token("ig-officer", "nhs", "A81001")
	cs := readCapabilities(t, e)
	sample := map[string]string{"token": "x", "string": "x", "date": "ge2020-01-01", "reference": "Patient/jane", "uri": "http://x", "number": "1", "quantity": "1"}
	found := false
	for _, res := range cs.Rest[0].Resource {
		if res.Type != "AuditEvent" {
			continue
		}
		found = true
		for _, p := range res.SearchParam {
			v := sample[p.Type]
			if p.Name == "outcome" {
				v = "0"
			}
			if p.Name == "agent" {
				v = "gp-user"
			}
			r := e.do("GET", "/fhir/AuditEvent?"+url.Values{p.Name: {v}}.Encode(), ig, "")
			if r.status != 200 {
				t.Errorf("advertised AuditEvent search parameter %s (%s): %d %.160s", p.Name, p.Type, r.status, r.body)
			}
		}
		for _, inc := range res.SearchInclude {
			if r := e.do("GET", "/fhir/AuditEvent?_include="+url.QueryEscape(inc), ig, ""); r.status != 200 {
				t.Errorf("advertised _include=%s: %d %.160s", inc, r.status, r.body)
			}
		}
		for _, in := range res.Interaction {
			var r resp
			switch in.Code {
			case "create":
				r = e.do("POST", "/fhir/AuditEvent", ig, `{"resourceType":"AuditEvent"}`)
			case "update":
				r = e.do("PUT", "/fhir/AuditEvent/1", ig, `{"resourceType":"AuditEvent","id":"1"}`)
			case "delete":
				r = e.do("DELETE", "/fhir/AuditEvent/1", ig, "")
			case "vread":
				r = e.do("GET", "/fhir/AuditEvent/1/_history/1", ig, "")
			case "history-instance":
				r = e.do("GET", "/fhir/AuditEvent/1/_history", ig, "")
			case "history-type":
				r = e.do("GET", "/fhir/AuditEvent/_history", ig, "")
			default:
				continue
			}
			// A write may fail validation (422) but must not be a method
			// the server does not have; a read must answer.
			if r.status == 405 || r.status == 400 || r.status == 501 {
				t.Errorf("advertised AuditEvent interaction %s: %d %.160s", in.Code, r.status, r.body)
			}
		}
		if res.ConditionalCreate || res.ConditionalUpdate || res.UpdateCreate {
			t.Errorf("AuditEvent advertises conditionalCreate=%v conditionalUpdate=%v updateCreate=%v; the access log is read-only",
				res.ConditionalCreate, res.ConditionalUpdate, res.UpdateCreate)
		}
	}
	if !found {
		t.Fatal("no AuditEvent in the CapabilityStatement")
	}
}

// TestReview5cCapabilityAdvertisesWhatWorks: the other half of "tells the
// truth" (and README: "listing every type, interaction and search parameter
// actually supported"): what works is advertised. _revinclude works
// (Patient?_id=jane&_revinclude=Condition:subject) but no resource has a
// searchRevInclude; the operations carex answers — Patient $explain and the
// IG officers' AuditEvent $who-accessed, $user-activity, $break-glass and
// $alerts — appear nowhere (only Patient $everything does).
func TestReview5cCapabilityAdvertisesWhatWorks(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	// They work:
	if r := e.do("GET", "/fhir/Patient?_id=jane&_revinclude=Condition:subject", gp, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("_revinclude: %d %.200s", r.status, r.body)
	}
	works := map[string]string{
		"Patient $explain":          "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs",
		"AuditEvent $who-accessed":  "/fhir/AuditEvent/$who-accessed?patient=jane",
		"AuditEvent $user-activity": "/fhir/AuditEvent/$user-activity?agent=gp-user",
		"AuditEvent $break-glass":   "/fhir/AuditEvent/$break-glass",
		"AuditEvent $alerts":        "/fhir/AuditEvent/$alerts",
	}
	for name, p := range works {
		if r := e.do("GET", p, ig, ""); r.status != 200 {
			t.Fatalf("%s: %d %.200s", name, r.status, r.body)
		}
	}
	// ... and are advertised:
	cs := readCapabilities(t, e)
	ops := map[string]bool{}
	for _, o := range cs.Rest[0].Operation {
		ops["system $"+o.Name] = true
	}
	revinc := map[string][]string{}
	for _, res := range cs.Rest[0].Resource {
		for _, o := range res.Operation {
			ops[res.Type+" $"+o.Name] = true
		}
		revinc[res.Type] = res.SearchRevInclude
	}
	for name := range works {
		if !ops[name] {
			t.Errorf("%s works but the CapabilityStatement does not list it", name)
		}
	}
	hasCond := false
	for _, ri := range revinc["Patient"] {
		if ri == "Condition:subject" || ri == "Condition:patient" {
			hasCond = true
		}
	}
	if !hasCond {
		t.Errorf("Patient?_revinclude=Condition:subject works but Patient.searchRevInclude is %v", revinc["Patient"])
	}
}

// TestReview5cEverythingHonoursItsAdvertisedDefinition: the CapabilityStatement
// advertises Patient $everything as the standard
// http://hl7.org/fhir/OperationDefinition/Patient-everything, whose
// parameters are start, end, _since, _type and _count, invoked by GET or
// POST. carex answers start, end and _since with 400 ("does not support")
// and POST with 405: a GP system asking for "everything since my last
// sync", as the definition it was pointed to allows, is refused.
func TestReview5cEverythingHonoursItsAdvertisedDefinition(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	cs := readCapabilities(t, e)
	def := ""
	for _, res := range cs.Rest[0].Resource {
		if res.Type == "Patient" {
			for _, o := range res.Operation {
				if o.Name == "everything" {
					def = o.Definition
				}
			}
		}
	}
	if def != "http://hl7.org/fhir/OperationDefinition/Patient-everything" {
		t.Skipf("$everything is advertised with definition %q", def)
	}
	for _, q := range []string{"start=2020-01-01", "end=2030-12-31", "_since=2020-01-01T00:00:00Z"} {
		if r := e.do("GET", "/fhir/Patient/jane/$everything?"+q, gp, ""); r.status != 200 {
			t.Errorf("$everything?%s (a parameter of the advertised definition): %d %.200s", q, r.status, r.body)
		}
	}
	if r := e.do("POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters"}`); r.status != 200 {
		t.Errorf("POST $everything (the advertised definition allows it): %d %.200s", r.status, r.body)
	}
}

// TestReview5cWrongMethodIs405: SPEC §3 "Every error is an
// OperationOutcome with the right status". POST or PUT to /fhir/metadata is
// a method the path does not answer (405, with Allow: GET, as DELETE
// /fhir/metadata is), not a 404 saying "metadata" is not a resource type.
func TestReview5cWrongMethodIs405(t *testing.T) {
	e := newEnv(t)
	tok := e.token("system", "nhs", "A81001")
	for _, m := range []string{"POST", "PUT"} {
		if r := e.do(m, "/fhir/metadata", tok, `{"resourceType":"Parameters"}`); r.status != 405 {
			t.Errorf("%s /fhir/metadata: %d %.200s; want 405", m, r.status, r.body)
		}
	}
	// A body-less POST or PUT to a path that does not take the method is a
	// 415 "send application/fhir+json" today, sending the client to fix a
	// media type when the method is what is wrong.
	for _, c := range [][2]string{{"POST", "/fhir/Patient/jane"}, {"PUT", "/fhir/Patient/jane/_history"}, {"POST", "/fhir/AuditEvent/$alerts"}} {
		if r := e.do(c[0], c[1], tok, ""); r.status != 405 {
			t.Errorf("%s %s without a body: %d %.200s; want 405", c[0], c[1], r.status, r.body)
		}
	}
}

// TestReview5cUnsupportedFormatIsRefused: SPEC §3 "media type
// application/fhir+json"; the CapabilityStatement's format lists JSON only.
// A client asking for XML (_format=xml, or Accept: application/fhir+xml and
// nothing else) gets JSON with 200, where FHIR's REST rules answer 406 Not
// Acceptable (or 415) for a format the server does not produce.
func TestReview5cUnsupportedFormatIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane?_format=xml", gp, ""); r.status == 200 {
		t.Errorf("_format=xml: 200 %s with a JSON body; want 406 (or 415)", r.header.Get("Content-Type"))
	}
	if r := e.do("GET", "/fhir/Patient/jane", gp, "", "Accept", "application/fhir+xml"); r.status == 200 {
		t.Errorf("Accept: application/fhir+xml: 200 %s with a JSON body; want 406", r.header.Get("Content-Type"))
	}
}
