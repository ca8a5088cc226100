package api_test

import (
	"testing"
)

// Clinical concepts coded inside items the IG officer sees (a Provenance's
// reason/activity, a RelatedPerson's extension): SPEC §1/§5 layer 1, the IG
// officer never sees clinical content. Review 55a masked such codes in a
// Consent's provisions; these go out as written.
func TestReview56cIGGetsClinicalCodesInProvenanceAndRelatedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Provenance/prov-r", `{"resourceType":"Provenance","id":"prov-r","target":[{"reference":"Patient/jane"}],"recorded":"2025-05-01T10:00:00Z",
		 "agent":[{"who":{"reference":"Organization/A81001"}}],
		 "reason":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"IGC-PROV-REASON Diabetes mellitus type 2"}]}],
		 "activity":{"coding":[{"system":"http://snomed.info/sct","code":"386639001","display":"IGC-PROV-ACTIVITY termination of pregnancy"}]}}`},
		[2]string{"/fhir/RelatedPerson/rp-x", `{"resourceType":"RelatedPerson","id":"rp-x","patient":{"reference":"Patient/jane"},"name":[{"family":"Carer"}],
		 "extension":[{"url":"https://example.org/carer-condition","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"86406008","display":"IGC-RP-EXT HIV"}]}}]}`},
	)
	r := e.do("GET", "/fhir/RelatedPerson/rp-x", e.token("ig-officer", "council", "E06000999"), "")
	t.Logf("council IG officer GET /fhir/RelatedPerson/rp-x: %d %s", r.status, r.body)
	r = e.do("GET", "/fhir/Provenance/prov-r", e.token("ig-officer", "council", "E06000999"), "")
	t.Logf("council IG officer GET /fhir/Provenance/prov-r: %d %s", r.status, r.body)
	r = e.do("GET", "/fhir/RelatedPerson/rp-x", e.token("social-worker", "council", "E06000999"), "")
	t.Logf("premise: the social worker (demographics class, HIV code labels it) GET /fhir/RelatedPerson/rp-x: %d", r.status)
	for _, ig := range []struct{ who, tok string }{
		{"recorder's IG officer", e.token("ig-officer", "nhs", "A81001")},
		{"council IG officer", e.token("ig-officer", "council", "E06000999")},
	} {
		review56cReads(t, e, ig.tok, ig.who, "IGC-", "/fhir/Provenance/prov-r", "/fhir/RelatedPerson/rp-x",
			"/fhir/Provenance?target=Patient/jane", "/fhir/RelatedPerson?patient=jane", "/fhir/Patient/jane/$everything")
		review56cReads(t, e, ig.tok, ig.who, "86406008", "/fhir/RelatedPerson/rp-x")
		review56cReads(t, e, ig.tok, ig.who, "386639001", "/fhir/Provenance/prov-r")
	}
}
