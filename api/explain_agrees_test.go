package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

// explainEffects is $explain's effect ("permit" or "withhold") for each
// item of Jane's record, by "Type/id", as the IG officer asks it with q
// (role, org, sector, …).
func explainEffects(t *testing.T, e *env, q url.Values) map[string]string {
	t.Helper()
	r := e.do("GET", "/fhir/Patient/jane/$explain?"+q.Encode(), e.token("ig-officer", "nhs", "A81001"), "")
	if r.status != 200 {
		t.Fatalf("$explain?%s: %d %.300s", q.Encode(), r.status, r.body)
	}
	var out struct {
		Parameter []struct {
			Name string `json:"name"`
			Part []struct {
				Name           string         `json:"name"`
				ValueCode      string         `json:"valueCode"`
				ValueReference map[string]any `json:"valueReference"`
			} `json:"part"`
		} `json:"parameter"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	effects := map[string]string{}
	for _, p := range out.Parameter {
		if p.Name != "item" {
			continue
		}
		var ref, effect string
		for _, pp := range p.Part {
			switch pp.Name {
			case "resource":
				ref, _ = pp.ValueReference["reference"].(string)
			case "effect":
				effect = pp.ValueCode
			}
		}
		effects[ref] = effect
	}
	return effects
}

// explainAgrees: for each item (by "Type/id", with the text only it
// carries), $explain of Jane's record for the user says "permit" exactly
// when the user's own $everything of her (with the same break-glass
// reason, if any) releases it.
func explainAgrees(t *testing.T, e *env, tok, role, org, sector, sub, bg string, items map[string]string) {
	t.Helper()
	var h []string
	q := url.Values{"role": {role}, "org": {org}, "sector": {sector}}
	if sub != "" {
		q.Set("sub", sub)
	}
	if bg != "" {
		h = []string{"X-Break-Glass", bg}
		q.Set("break-glass", bg)
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "", h...)
	if r.status != 200 {
		t.Fatalf("%s at %s, break-glass %q: $everything: %d %.300s", role, org, bg, r.status, r.body)
	}
	effects := explainEffects(t, e, q)
	for ref, text := range items {
		released := strings.Contains(r.body, text)
		said, ok := effects[ref]
		if !ok {
			t.Errorf("%s at %s, break-glass %q: $explain does not list %s", role, org, bg, ref)
			continue
		}
		if (said == "permit") != released {
			t.Errorf("%s at %s, break-glass %q: $explain says %s for %s, but $everything releases it: %v", role, org, bg, said, ref, released)
		}
	}
}

// TestExplainAgreesWithTheReadForUnresolvedPeople: an item that names
// Jane and someone carex could not identify (by an NHS number no Patient
// carries, or by nothing it can follow) stays with its source organisation
// (gate.decide, sourceKeeps), with or without break-glass, and $explain
// says the same — also once the source's relationship through the data it
// recorded has lapsed (source-lifetime), which the marker, were it looked
// up as a Patient id, would decide by.
func TestExplainAgreesWithTheReadForUnresolvedPeople(t *testing.T) {
	pol, err := consent.LoadPolicy(strings.NewReader(strings.Replace(consent.DefaultPolicyText(), "source-lifetime 730d", "source-lifetime 1s", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		// The hospital's lasting relationship with Jane: its ward team.
		[2]string{"/fhir/CareTeam/ward-team", `{"resourceType":"CareTeam","id":"ward-team","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`},
		[2]string{"/fhir/List/ward", `{"resourceType":"List","id":"ward","status":"current","mode":"working","entry":[{"item":{"reference":"Patient/jane"}},{"item":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}}}],"title":"HOSP-WARD-LIST"}`},
		[2]string{"/fhir/Observation/husband", `{"resourceType":"Observation","id":"husband","status":"final","subject":{"reference":"Patient/jane"},"focus":[{"type":"Patient","display":"her husband"}],"code":{"text":"HOSP-HUSBAND-NOTE"}}`})
	items := map[string]string{"List/ward": "HOSP-WARD-LIST", "Observation/husband": "HOSP-HUSBAND-NOTE", "Encounter/admission": "HOSP-ADMISSION"}
	clin := e.token("hospital-clinician", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	const bg = "EMERGENCY: unconscious on arrival"
	check := func() {
		t.Helper()
		for _, b := range []string{"", bg} {
			explainAgrees(t, e, clin, "hospital-clinician", "RHX", "nhs", "", b, items)
			explainAgrees(t, e, gp, "gp", "A81001", "nhs", "", b, items)
		}
	}
	check()
	time.Sleep(1100 * time.Millisecond) // the relationships through recorded data lapse
	check()
}

// TestExplainAgreesWithTheReadUnderBreakGlass: break-glass for Jane brings
// the items she shares with others along only where their own Consents do
// not withhold them (bgAlong), and a break-glass grant the user holds for
// Jane opens no one else's record: $explain says what the read releases.
func TestExplainAgreesWithTheReadUnderBreakGlass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	bobAtZ(t, e)
	zgp := e.token("system", "nhs", "Z99999")
	bobOut := strings.NewReplacer(`"id":"jane-opt-out"`, `"id":"bob-opt-out"`, "Patient/jane", "Patient/bob").Replace(janeConsent("jane-opt-out", "2026-01-10", "OPTOUT", ""))
	e.putAll(t, zgp, [2]string{"/fhir/Consent/bob-opt-out", bobOut},
		[2]string{"/fhir/Patient/carol", `{"resourceType":"Patient","id":"carol","name":[{"family":"Carol"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`})
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Observation/bob-carer", `{"resourceType":"Observation","id":"bob-carer","status":"final","subject":{"reference":"Patient/bob"},"focus":[{"reference":"Patient/jane"}],"code":{"text":"BOB-CARER-STRAIN"}}`},
		[2]string{"/fhir/Observation/carol-carer", `{"resourceType":"Observation","id":"carol-carer","status":"final","subject":{"reference":"Patient/carol"},"focus":[{"reference":"Patient/jane"}],"code":{"text":"CAROL-CARER-STRAIN"}}`})
	items := map[string]string{"Observation/bob-carer": "BOB-CARER-STRAIN", "Observation/carol-carer": "CAROL-CARER-STRAIN", "Condition/diabetes": "GP-DIABETES"}
	const bg = "EMERGENCY: collapsed at home, no history"
	clin := e.token("hospital-clinician", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "clin-bg" })
	// With the reason: Bob's opt-out keeps his item back, Carol's comes along.
	explainAgrees(t, e, clin, "hospital-clinician", "RYY", "nhs", "clin-bg", bg, items)
	// Then without it, under the grant that request left for Jane: Jane's
	// record is open, Bob's and Carol's are not.
	explainAgrees(t, e, clin, "hospital-clinician", "RYY", "nhs", "clin-bg", "", items)
}
