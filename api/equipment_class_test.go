package api_test

import (
	"strings"
	"testing"
)

// TestEquipmentAndFeedingReachVisitors: another organisation's equipment
// and feeding regime (a DeviceUseStatement of home oxygen, a DeviceRequest
// for a hoist, a NutritionOrder for thickened fluids) are care-plans, read
// by the district nurse and the social worker on a home visit; they were
// class other, which only roles seeing every class read (revision
// 2026-12-07a). A family history stays other: withheld from both, as
// from the IG officer, who sees no clinical data. A search by her finds
// exactly what the reads release.
func TestEquipmentAndFeedingReachVisitors(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/DeviceUseStatement/oxygen", `{"resourceType":"DeviceUseStatement","id":"oxygen","status":"active","subject":{"reference":"Patient/jane"},"device":{"display":"HOME-OXYGEN concentrator"}}`},
		[2]string{"/fhir/DeviceRequest/hoist", `{"resourceType":"DeviceRequest","id":"hoist","status":"active","intent":"order","subject":{"reference":"Patient/jane"},"codeCodeableConcept":{"text":"CEILING-HOIST"}}`},
		[2]string{"/fhir/NutritionOrder/fluids", `{"resourceType":"NutritionOrder","id":"fluids","status":"active","intent":"order","patient":{"reference":"Patient/jane"},"dateTime":"2026-04-21","oralDiet":{"texture":[{"modifier":{"text":"THICKENED-FLUIDS"}}]}}`},
		[2]string{"/fhir/FamilyMemberHistory/fh", `{"resourceType":"FamilyMemberHistory","id":"fh","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"father"},"condition":[{"code":{"text":"FH-HUNTINGTON"}}]}`},
	)
	// (the hospital's relationship: a source of her data; the IG officer
	// audits without one)
	for _, c := range []struct {
		who, token string
		sees       map[string]bool
	}{
		{"district nurse", e.token("district-nurse", "nhs", "RCX"), map[string]bool{"DeviceUseStatement/oxygen": true, "DeviceRequest/hoist": true, "NutritionOrder/fluids": true}},
		{"social worker", e.token("social-worker", "council", "E06000999"), map[string]bool{"DeviceUseStatement/oxygen": true, "DeviceRequest/hoist": true, "NutritionOrder/fluids": true}},
		{"GP", e.token("gp", "nhs", "A81001"), map[string]bool{"DeviceUseStatement/oxygen": true, "DeviceRequest/hoist": true, "NutritionOrder/fluids": true, "FamilyMemberHistory/fh": true}},
		{"IG officer", e.token("ig-officer", "nhs", "A81001"), map[string]bool{}},
	} {
		for _, item := range []string{"DeviceUseStatement/oxygen", "DeviceRequest/hoist", "NutritionOrder/fluids", "FamilyMemberHistory/fh"} {
			want := 404
			if c.sees[item] {
				want = 200
			}
			if r := e.do("GET", "/fhir/"+item, c.token, ""); r.status != want {
				t.Errorf("%s reads %s: %d, want %d", c.who, item, r.status, want)
			}
			typ, _, _ := strings.Cut(item, "/")
			r := e.do("GET", "/fhir/"+typ+"?patient=jane", c.token, "")
			if found := strings.Contains(r.body, `"id":"`+strings.SplitN(item, "/", 2)[1]+`"`); found != c.sees[item] {
				t.Errorf("%s searches %s?patient=jane: found %v, want %v (%d)", c.who, typ, found, c.sees[item], r.status)
			}
		}
		r := e.do("GET", "/fhir/Patient/jane/$everything", c.token, "")
		if strings.Contains(r.body, "FH-HUNTINGTON") != c.sees["FamilyMemberHistory/fh"] || strings.Contains(r.body, "HOME-OXYGEN") != c.sees["DeviceUseStatement/oxygen"] {
			t.Errorf("%s's $everything (%d) does not release what reads do", c.who, r.status)
		}
	}
}
