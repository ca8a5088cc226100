package api_test

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestReview10cSearchStartsAfterEndsBefore: FHIR's `sa` (starts after) and
// `eb` (ends before) date prefixes select items whose whole range lies
// after, or before, the value's; carex read them as `gt` and `lt` (the
// item's range merely reaching beyond the value), so a stay from January
// to December 2026 was returned for both `date=sa2026-06-01` and
// `date=eb2026-06-01`, as was an ongoing one for `sa`, and a condition
// dated only "2026" for both.
func TestReview10cSearchStartsAfterEndsBefore(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	enc := func(id, period string) [2]string {
		return [2]string{"/fhir/Encounter/" + id, `{"resourceType":"Encounter","id":"` + id + `","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"period":` + period + `}`}
	}
	e.putAll(t, hosp,
		enc("all-year", `{"start":"2026-01-01","end":"2026-12-31"}`),
		enc("ongoing", `{"start":"2026-01-01"}`),
		enc("spring", `{"start":"2026-03-01","end":"2026-03-09"}`),
		enc("autumn", `{"start":"2026-09-01T10:00:00Z","end":"2026-09-09T10:00:00Z"}`),
		enc("year-only", `{"start":"2026","end":"2026"}`),
	)
	ids := func(q string) []string {
		t.Helper()
		r := e.do("GET", "/fhir/Encounter?patient=jane&_count=50&"+q, hosp, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var b struct {
			Entry []struct {
				Resource struct{ ID string } `json:"resource"`
			} `json:"entry"`
		}
		json.Unmarshal([]byte(r.body), &b)
		var out []string
		for _, en := range b.Entry {
			out = append(out, en.Resource.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"date=sa2026-06-01", []string{"autumn"}},
		{"date=eb2026-06-01", []string{"admission", "spring"}},
		{"date=gt2026-06-01", []string{"all-year", "autumn", "ongoing", "year-only"}},
		{"date=lt2026-06-01", []string{"admission", "all-year", "ongoing", "spring", "year-only"}},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("Encounter?%s: %v, want %v", tc.q, got, tc.want)
		}
	}
}
