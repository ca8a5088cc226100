package api_test

// Review 4b: authorisation of writes and the access log. Each test fails on
// the code as reviewed and says, in its comment, what goes wrong.

import (
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview4bStrangerConsentReleasesHIVToThirdOrg: a Consent recorded by
// an organisation that is neither the data's source nor the person's GP
// (nor related to the person at all) releases the GP's HIV diagnosis to a
// third organisation. Only the recorder itself is excluded from a permit
// (TestNoOneGrantsThemselvesSensitiveData), and the "needs a legitimate
// relationship" check in ConsentPolicy.MayWrite is (a) skipped for client
// systems (role system, OwnOrgOnly), (b) met by any organisation that has
// just written one throwaway item about the person (it is then a
// "source"), and (c) met by a break-glass grant. So anyone can record
// "Jane permits her HIV data to the hospital" and the hospital clinician
// then reads Jane's HIV diagnosis, which neither Jane, her GP nor the
// data's source ever permitted. The README's own words: "the data's source
// or the person's GP records such a permit".
func TestReview4bStrangerConsentReleasesHIVToThirdOrg(t *testing.T) {
	sub := func(s string) func(*auth.DevClaims) { return func(c *auth.DevClaims) { c.Sub = s } }
	routes := []struct {
		name  string
		write func(e *env) resp
	}{
		{"client system with no relationship", func(e *env) resp {
			return e.do("PUT", "/fhir/Consent/z-permit", e.token("system", "nhs", "Z99999"), janeHIVPermit("z-permit"))
		}},
		{"nurse of an unrelated trust after writing one allergy", func(e *env) resp {
			z := e.token("district-nurse", "nhs", "Z99995")
			if r := e.do("PUT", "/fhir/AllergyIntolerance/z-a", z, `{"resourceType":"AllergyIntolerance","id":"z-a","patient":{"reference":"Patient/jane"},"code":{"text":"x"}}`); r.status != 201 {
				t.Fatalf("allergy: %d %s", r.status, r.body)
			}
			return e.do("PUT", "/fhir/Consent/z-permit", z, janeHIVPermit("z-permit"))
		}},
		{"unrelated GP holding a break-glass grant", func(e *env) resp {
			z := e.token("gp", "nhs", "Z99998", sub("z-gp"))
			if r := e.do("GET", "/fhir/Patient/jane/$everything", z, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E"); r.status != 200 {
				t.Fatalf("break-glass: %d %s", r.status, r.body)
			}
			return e.do("PUT", "/fhir/Consent/z-permit", z, janeHIVPermit("z-permit"))
		}},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("hospital-clinician", "nhs", "RHX")
			if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
				t.Fatalf("before: the hospital reads Jane's HIV diagnosis: %d", r.status)
			}
			w := rt.write(e)
			if r := e.do("GET", "/fhir/Condition/hiv", hosp, ""); r.status != 404 {
				t.Errorf("a permit recorded by an organisation that is neither the source nor Jane's GP (write: %d) released Jane's HIV diagnosis to the hospital: %d %.120s", w.status, r.status, r.body)
			}
		})
	}
}

// janeHIVPermit is janeHIVToHospital with another id.
func janeHIVPermit(id string) string {
	return strings.NewReplacer("jane-hiv-hosp", id).Replace(janeHIVToHospital)
}
