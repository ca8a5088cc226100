package api_test

import (
	"strings"
	"testing"
)

// Review 38c, beside the reviewer's probes (review38c_test.go).

// TestReview38cNHSNumberUnderOtherSystemFormIsChecked: an NHS number
// under another form of its system (http, a trailing slash, another case,
// the OID) is checked as one on write (SPEC §7: 422 when it fails the
// modulus-11 check), and a valid one is found by search under any form of
// the system; the body keeps the system as written.
func TestReview38cNHSNumberUnderOtherSystemFormIsChecked(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	for i, sys := range []string{"http://fhir.nhs.uk/Id/nhs-number", "https://fhir.nhs.uk/Id/nhs-number/", "HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER", "urn:oid:2.16.840.1.113883.2.1.4.1"} {
		id := "form38-" + string(rune('a'+i))
		bad := `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"` + sys + `","value":"9434765918"}]}`
		if r := e.do("PUT", "/fhir/Patient/"+id, hosp, bad); r.status != 422 {
			t.Errorf("PUT a Patient whose NHS number under %s fails its check: %d %.300s", sys, r.status, r.body)
		}
		good := strings.Replace(bad, "9434765918", "943 476 5919", 1)
		if r := e.do("PUT", "/fhir/Patient/"+id, hosp, good); r.status != 201 {
			t.Fatalf("PUT under %s: %d %.300s", sys, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Patient/"+id, hosp, ""); !strings.Contains(r.body, `"system":"`+sys+`"`) {
			t.Errorf("the stored body's system is not as written (%s): %.300s", sys, r.body)
		}
	}
	for _, q := range []string{"identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", "identifier=http://fhir.nhs.uk/Id/nhs-number|943%20476%205919", "identifier=9434765919"} {
		r := e.do("GET", "/fhir/Patient?"+q, hosp, "")
		if n := strings.Count(r.body, `"id":"form38-`); n != 4 {
			t.Errorf("GET Patient?%s: %d of the 4 Patients carrying it: %d %.300s", q, n, r.status, r.body)
		}
	}
}

// TestReview38cLinkedToByNumberTakesLinkersRestriction: the council's
// restricted Patient of Jane carries no NHS number but links to her by
// it (link.other.identifier); her GP record, carrying the number, is then
// released to the district nurse without her address (the link by
// identifier joins both ways, as the number itself does).
func TestReview38cLinkedToByNumberTakesLinkersRestriction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"gender"`, `"address":[{"line":["SECRET-ADDR 38 Council Close"],"postalCode":"LS9 7TF"}],"gender"`, 1)})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient/jane", nurse, ""); !leaks38c(r.body) {
		t.Fatalf("the premise: the nurse reads her address: %d %.300s", r.status, r.body)
	}
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Patient/council-l38", `{"resourceType":"Patient","id":"council-l38",` + rLabel21a + `,"name":[{"family":"Smith"}],
			"link":[{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}},"type":"seealso"}]}`})
	for _, p := range []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything", "/fhir/Patient?identifier=9434765919"} {
		if r := e.do("GET", p, nurse, ""); r.status != 200 || leaks38c(r.body) {
			t.Errorf("GET %s: her address though a restricted record links to her number: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
		}
	}
}

// TestReview38cIncomingLinkSeenAtOnceAndAfterDelete: the nurse reads the
// GP's old record of Jane while nothing links to it; once Patient/jane
// (with her opt-out) links replaces to it, the next read withholds it
// (no cached answer from before the link), and still does once the GP
// deletes Patient/jane (its last links count, as its Consents do).
func TestReview38cIncomingLinkSeenAtOnceAndAfterDelete(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/jane-old38", `{"resourceType":"Patient","id":"jane-old38","active":false,"name":[{"family":"Smith","given":["Jane"]}]}`},
		[2]string{"/fhir/Condition/jane-old38-dx", `{"resourceType":"Condition","id":"jane-old38-dx","subject":{"reference":"Patient/jane-old38"},"code":{"text":"OLD38-ASTHMA"}}`},
		[2]string{"/fhir/Consent/jane-optout", janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/old38-team", `{"resourceType":"CareTeam","id":"old38-team","status":"active","subject":{"reference":"Patient/jane-old38"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/jane-old38-dx", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: no one links to the old record yet, the nurse reads it: %d", r.status)
	}
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", strings.Replace(janeJSON, `"gender"`, `"link":[{"other":{"reference":"Patient/jane-old38"},"type":"replaces"}],"gender"`, 1)})
	if r := e.do("GET", "/fhir/Condition/jane-old38-dx", nurse, ""); strings.Contains(r.body, "OLD38-ASTHMA") {
		t.Errorf("once her record links to the old one: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Patient/jane", gp, ""); r.status != 200 && r.status != 204 {
		t.Fatalf("delete Patient/jane: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition/jane-old38-dx", "/fhir/Patient/jane-old38/$everything"} {
		if r := e.do("GET", p, nurse, ""); strings.Contains(r.body, "OLD38-ASTHMA") {
			t.Errorf("GET %s once the linking record is deleted: %d", p, r.status)
		}
	}
}

// TestReview38cIncomingLinkOpensNothing: a link reaches the record it
// names with what the linking record withholds, never with its
// relationships. The hospital's Patient/hosp-l38, on whose care team the
// community trust RYY is, links to Patient/jane-rel38: RYY reads
// hosp-l38's items, and none of jane-rel38's.
func TestReview38cIncomingLinkOpensNothing(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Patient/jane-rel38", `{"resourceType":"Patient","id":"jane-rel38","name":[{"family":"Smith"}]}`},
		[2]string{"/fhir/Condition/jane-rel38-dx", `{"resourceType":"Condition","id":"jane-rel38-dx","subject":{"reference":"Patient/jane-rel38"},"code":{"text":"REL38-DX"}}`},
		[2]string{"/fhir/Patient/hosp-l38", `{"resourceType":"Patient","id":"hosp-l38","name":[{"family":"Smith"}],"link":[{"other":{"reference":"Patient/jane-rel38"},"type":"seealso"}]}`},
		[2]string{"/fhir/Condition/hosp-l38-dx", `{"resourceType":"Condition","id":"hosp-l38-dx","subject":{"reference":"Patient/hosp-l38"},"code":{"text":"L38-DX"}}`},
		[2]string{"/fhir/CareTeam/hosp-l38-ryy", `{"resourceType":"CareTeam","id":"hosp-l38-ryy","status":"active","subject":{"reference":"Patient/hosp-l38"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`})
	ryy := e.token("district-nurse", "nhs", "RYY")
	if r := e.do("GET", "/fhir/Condition/hosp-l38-dx", ryy, ""); r.status != 200 {
		t.Fatalf("the premise: RYY reads the record it is related to: %d", r.status)
	}
	for _, p := range []string{"/fhir/Condition/jane-rel38-dx", "/fhir/Patient/jane-rel38/$everything", "/fhir/Condition?patient=jane-rel38"} {
		if r := e.do("GET", p, ryy, ""); strings.Contains(r.body, "REL38-DX") {
			t.Errorf("GET %s (RYY, related to the linking record only): %d", p, r.status)
		}
	}
}
