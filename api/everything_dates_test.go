package api_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// seedDated is seedShared's Jane with items of known clinical dates, and
// two changes made after the instant it returns (the diabetes updated,
// NEW-DX created), for _since. Jane's items then are:
//
//	no clinical date: Patient/jane, Condition/diabetes, CareTeam/nursing, CarePlan/wound, EpisodeOfCare/package
//	Condition/hiv       2024-06-01  HIV-labelled: withheld from the nurse
//	Encounter/admission 2025-03-01
//	Observation/hba1c   2025-05-01
//	Condition/new-dx    2025-12-01  (written after since)
//	Condition/ulcer     2026-01-15
//	Condition/fall      2026-03-01T22:00:00Z
//	Condition/hiv-march 2026-03-10  HIV-labelled: withheld from the nurse
//	Condition/uti       2026-04-02
func seedDated(t *testing.T, e *env) (since string) {
	t.Helper()
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := func(id, text, code, onset string) [2]string {
		c := `{"system":"http://snomed.info/sct","code":"` + code + `"}`
		return [2]string{"/fhir/Condition/" + id, `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},` +
			`"code":{"coding":[` + c + `],"text":"` + text + `"},"onsetDateTime":"` + onset + `"}`}
	}
	e.putAll(t, gpSys,
		cond("hiv", "GP-HIV-UNLABELLED", "86406008", "2024-06-01"), // seedShared's, given a date
		cond("ulcer", "ULCER-JAN", "95344007", "2026-01-15"),
		cond("fall", "FALL-1-MARCH", "1912002", "2026-03-01T22:00:00Z"),
		cond("hiv-march", "HIV-MARCH", "86406008", "2026-03-10"),
		cond("uti", "UTI-APRIL", "68566005", "2026-04-02"),
	)
	time.Sleep(20 * time.Millisecond) // lastUpdated is kept to the millisecond
	r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES-V2"}}`)
	if r.status != 200 {
		t.Fatalf("update diabetes: %d %s", r.status, r.body)
	}
	var v struct {
		Meta struct {
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil || v.Meta.LastUpdated == "" {
		t.Fatalf("update diabetes: no meta.lastUpdated: %v %s", err, r.body)
	}
	e.putAll(t, gpSys, cond("new-dx", "NEW-DX", "38341003", "2025-12-01"))
	return v.Meta.LastUpdated
}

var undated = []string{"Patient/jane", "Condition/diabetes", "CareTeam/nursing", "CarePlan/wound", "EpisodeOfCare/package"}

// everythingPage is one page of a $everything Bundle.
type everythingPage struct {
	Total int `json:"total"`
	Link  []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		} `json:"resource"`
		Search struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

func (p *everythingPage) link(rel string) string {
	for _, l := range p.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// everythingAll follows path's next links to the end and returns the
// items of every page, sorted, checking that every page has total want
// and that every link carries the query's start, end and _since.
func (e *env) everythingAll(t *testing.T, method, path, token, body string, want int) []string {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	carried := url.Values{}
	for _, k := range []string{"start", "end", "_since"} {
		if v := u.Query().Get(k); v != "" {
			carried.Set(k, v)
		}
	}
	var items []string
	for pages := 0; path != ""; pages++ {
		if pages > 50 {
			t.Fatalf("%s: more than 50 pages", path)
		}
		r := e.do(method, path, token, body)
		if r.status != 200 {
			t.Fatalf("%s %s: %d %.300s", method, path, r.status, r.body)
		}
		var p everythingPage
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatal(err)
		}
		if p.Total != want {
			t.Errorf("%s: total %d; want %d", path, p.Total, want)
		}
		for _, en := range p.Entry {
			if en.Search.Mode != "outcome" {
				items = append(items, en.Resource.ResourceType+"/"+en.Resource.ID)
			}
		}
		path = ""
		for _, l := range p.Link {
			lu, err := url.Parse(l.URL)
			if err != nil {
				t.Fatal(err)
			}
			for k := range carried {
				if lu.Query().Get(k) != carried.Get(k) {
					t.Errorf("%s link %s: %s=%q; want %q", l.Relation, l.URL, k, lu.Query().Get(k), carried.Get(k))
				}
			}
			if l.Relation == "next" {
				path = strings.TrimPrefix(l.URL, e.base)
			}
		}
		method, body = "GET", ""
	}
	sort.Strings(items)
	return items
}

func sorted(l ...[]string) []string {
	var out []string
	for _, x := range l {
		out = append(out, x...)
	}
	sort.Strings(out)
	return out
}

// TestEverythingDates: $everything's start and end keep the items whose
// clinical date falls in the days between them (end's whole day
// included; a month or year as the whole month or year), _since the items
// changed at or after an instant; items with no clinical date stay in
// (start, end), and so does the Patient (all three). Bundle.total counts
// the filtered set, and every page's links carry the filters.
func TestEverythingDates(t *testing.T) {
	e := newEnv(t)
	since := seedDated(t, e)
	gp := e.token("gp", "nhs", "A81001")
	qs := url.QueryEscape(since)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"start=2026-03-01&end=2026-03-01", sorted(undated, []string{"Condition/fall"})},
		{"start=2026-03-01", sorted(undated, []string{"Condition/fall", "Condition/hiv-march", "Condition/uti"})},
		{"end=2026-01-15", sorted(undated, []string{"Condition/hiv", "Encounter/admission", "Observation/hba1c", "Condition/new-dx", "Condition/ulcer"})},
		{"start=2026-02&end=2026-03", sorted(undated, []string{"Condition/fall", "Condition/hiv-march"})},
		{"start=2025&end=2025", sorted(undated, []string{"Encounter/admission", "Observation/hba1c", "Condition/new-dx"})},
		{"_since=" + qs, sorted([]string{"Patient/jane", "Condition/diabetes", "Condition/new-dx"})},
		{"_since=" + qs + "&start=2026-01-01", sorted([]string{"Patient/jane", "Condition/diabetes"})},
		{"_since=" + qs + "&start=2025-12-01&end=2025-12-01&_type=Condition", sorted([]string{"Condition/diabetes", "Condition/new-dx"})},
		{"_since=2999-01-01T00:00:00%2B01:00", []string{"Patient/jane"}},
	} {
		t.Run(c.query, func(t *testing.T) {
			path := "/fhir/Patient/jane/$everything?" + c.query
			if got := e.everythingAll(t, "GET", path, gp, "", len(c.want)); !slices.Equal(got, c.want) {
				t.Errorf("items %v\nwant  %v", got, c.want)
			}
			// Page by page, one item a page: the next links carry the
			// filters, the total stays that of the filtered set.
			if got := e.everythingAll(t, "GET", path+"&_count=1", gp, "", len(c.want)); !slices.Equal(got, c.want) {
				t.Errorf("paged by one: items %v\nwant  %v", got, c.want)
			}
		})
	}
	// Unfiltered, for contrast: every item.
	if got := e.everythingAll(t, "GET", "/fhir/Patient/jane/$everything", gp, "", 13); len(got) != 13 {
		t.Errorf("unfiltered: %v", got)
	}
}

// TestEverythingDatesWithheld: the filters run before the sharing decision,
// so an item outside them is not withheld (the access log's Withheld count
// and decision are what the filtered set alone gives), while one inside
// them that is withheld still counts. The confidential-items notice does
// not follow the filters (it would tell when a withheld item is dated): it
// is there whenever anything of the record is withheld from the user.
func TestEverythingDatesWithheld(t *testing.T) {
	e := newEnv(t)
	since := seedDated(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct {
		name, query string
		items       []string
		withheld    int
		decision    string
	}{
		{"April: the withheld items are outside it", "start=2026-04-01&end=2026-04-30",
			sorted(undated, []string{"Condition/uti"}), 0, "permit"},
		{"March: one withheld inside it", "start=2026-03-01&end=2026-03-31",
			sorted(undated, []string{"Condition/fall"}), 1, "partial"},
		{"since: the withheld items are older", "_since=" + url.QueryEscape(since),
			sorted([]string{"Patient/jane", "Condition/diabetes", "Condition/new-dx"}), 0, "permit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("GET", "/fhir/Patient/jane/$everything?"+c.query, nurse, "")
			if r.status != 200 {
				t.Fatalf("%d %.300s", r.status, r.body)
			}
			x := e.lastEntry(t)
			if x.Operation != "everything" || x.Patient != "jane" {
				t.Fatalf("last entry %s of %q", x.Operation, x.Patient)
			}
			if x.Withheld != c.withheld || x.Decision != c.decision {
				t.Errorf("access log: withheld %d, decision %s; want %d, %s", x.Withheld, x.Decision, c.withheld, c.decision)
			}
			var released []string
			for _, v := range x.Released {
				released = append(released, v[:strings.Index(v, "/_history/")])
			}
			sort.Strings(released)
			if !slices.Equal(released, c.items) {
				t.Errorf("access log: released %v\nwant %v", released, c.items)
			}
			if got := sorted(keys(bundleIDs(t, r.body))); !slices.Equal(got, c.items) {
				t.Errorf("items %v\nwant  %v", got, c.items)
			}
			if !strings.Contains(r.body, `"total":`+strconv.Itoa(len(c.items))) {
				t.Errorf("total: want %d: %.300s", len(c.items), r.body)
			}
			if strings.Contains(r.body, "HIV") {
				t.Errorf("a withheld HIV diagnosis released: %.300s", r.body)
			}
			// Jane's HIV diagnoses are withheld from the nurse: the notice
			// says so whatever the dates asked for.
			if !strings.Contains(r.body, "confidential-items") {
				t.Errorf("no confidential-items notice: %.300s", r.body)
			}
		})
	}
	// Unfiltered, both HIV diagnoses count (and whatever else the nurse
	// may not see).
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); r.status != 200 {
		t.Fatalf("%d %.300s", r.status, r.body)
	} else if x := e.lastEntry(t); x.Withheld < 2 || x.Decision != "partial" {
		t.Errorf("unfiltered: withheld %d, decision %s; want at least 2, partial", x.Withheld, x.Decision)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEverythingDatesRefused: start and end take a date (YYYY, YYYY-MM or
// YYYY-MM-DD), _since an instant with its time zone; anything else, a
// start after the end, or a filter given twice is a 400 OperationOutcome
// saying what is expected, logged as an $everything of the person.
func TestEverythingDatesRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ query, says string }{
		{"_since=2026-01-01", "instant"},
		{"_since=2026-01-01T00:00:00", "instant"},
		{"_since=2026-01-01T00:00Z", "instant"},
		{"_since=yesterday", "instant"},
		{"_since=2026-02-30T00:00:00Z", "instant"},
		{"start=2026-13-01", "date"},
		{"start=2026-03-01T00:00:00Z", "date"},
		{"end=March", "date"},
		{"end=", "date"},
		{"start=2026-04-01&end=2026-03-31", "after"},
		{"start=2026-03-01&start=2026-04-01", "once"},
	} {
		e.rec.mu.Lock()
		e.rec.xs = nil
		e.rec.mu.Unlock()
		r := e.do("GET", "/fhir/Patient/jane/$everything?"+c.query, gp, "")
		if r.status != 400 || !strings.Contains(r.body, `"OperationOutcome"`) || !strings.Contains(r.body, c.says) {
			t.Errorf("$everything?%s: %d %.300s; want a 400 OperationOutcome saying %q", c.query, r.status, r.body, c.says)
			continue
		}
		if x := e.lastEntry(t); x.Operation != "everything" || x.Patient != "jane" || x.Status != 400 || len(x.Released) != 0 {
			t.Errorf("$everything?%s logged as %s of %q, status %d, released %v", c.query, x.Operation, x.Patient, x.Status, x.Released)
		}
	}
}

// TestEverythingDatesPost: the POST form takes the filters as Parameters
// of their own types (valueDate for start and end, valueInstant for
// _since; valueDateTime and valueString too) and answers as the GET does,
// its next links carrying them as query parameters; another type is a 400.
func TestEverythingDatesPost(t *testing.T) {
	e := newEnv(t)
	since := seedDated(t, e)
	gp := e.token("gp", "nhs", "A81001")
	post := func(params ...string) string {
		return `{"resourceType":"Parameters","parameter":[` + strings.Join(params, ",") + `]}`
	}
	for _, c := range []struct {
		body string
		want []string
	}{
		{post(`{"name":"start","valueDate":"2026-03-01"}`, `{"name":"end","valueDate":"2026-03-01"}`),
			sorted(undated, []string{"Condition/fall"})},
		{post(`{"name":"_since","valueInstant":"` + since + `"}`),
			sorted([]string{"Patient/jane", "Condition/diabetes", "Condition/new-dx"})},
		{post(`{"name":"_since","valueDateTime":"`+since+`"}`, `{"name":"start","valueDateTime":"2026-01-01"}`),
			sorted([]string{"Patient/jane", "Condition/diabetes"})},
		{post(`{"name":"end","valueString":"2025-03-01"}`, `{"name":"start","valueDate":"2025-03-01"}`),
			sorted(undated, []string{"Encounter/admission"})},
	} {
		if got := e.everythingAll(t, "POST", "/fhir/Patient/jane/$everything", gp, c.body, len(c.want)); !slices.Equal(got, c.want) {
			t.Errorf("POST %s: items %v\nwant  %v", c.body, got, c.want)
		}
		// One a page: the first page is the POST, the next ones GETs
		// whose links carry the Parameters as query parameters.
		paged := strings.Replace(c.body, `"parameter":[`, `"parameter":[{"name":"_count","valueInteger":1},`, 1)
		r := e.do("POST", "/fhir/Patient/jane/$everything", gp, paged)
		var p everythingPage
		if r.status != 200 || json.Unmarshal([]byte(r.body), &p) != nil || p.Total != len(c.want) {
			t.Fatalf("POST %s: %d %.300s", paged, r.status, r.body)
		}
		next := p.link("next")
		if next == "" {
			t.Fatalf("POST %s: no next link: %.300s", paged, r.body)
		}
		items := []string{}
		for _, en := range p.Entry {
			items = append(items, en.Resource.ResourceType+"/"+en.Resource.ID)
		}
		rest := e.everythingAll(t, "GET", strings.TrimPrefix(next, e.base), gp, "", len(c.want))
		if got := sorted(items, rest); !slices.Equal(got, c.want) {
			t.Errorf("POST %s, paged: items %v\nwant  %v", paged, got, c.want)
		}
	}
	for _, body := range []string{
		post(`{"name":"start","valueInteger":2026}`),
		post(`{"name":"_since","valueBoolean":true}`),
		post(`{"name":"end","valueCode":"2026-03-01"}`),
		post(`{"name":"_since","valueDate":"2026-01-01"}`),
	} {
		if r := e.do("POST", "/fhir/Patient/jane/$everything", gp, body); r.status != 400 || !strings.Contains(r.body, `"OperationOutcome"`) {
			t.Errorf("POST %s: %d %.300s; want 400", body, r.status, r.body)
		}
	}
}

// TestEverythingDatesOpenPolicy: with the sharing decision switched off
// (OpenPolicy: no Visible at all) the filters still apply.
func TestEverythingDatesOpenPolicy(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.Policy = api.OpenPolicy{} })
	since := seedDated(t, e)
	gp := e.token("gp", "nhs", "A81001")
	want := sorted(undated, []string{"Condition/fall", "Condition/hiv-march"})
	if got := e.everythingAll(t, "GET", "/fhir/Patient/jane/$everything?start=2026-03-01&end=2026-03-31&_count=2", gp, "", len(want)); !slices.Equal(got, want) {
		t.Errorf("items %v\nwant  %v", got, want)
	}
	want = sorted([]string{"Patient/jane", "Condition/diabetes", "Condition/new-dx"})
	if got := e.everythingAll(t, "GET", "/fhir/Patient/jane/$everything?_since="+url.QueryEscape(since), gp, "", len(want)); !slices.Equal(got, want) {
		t.Errorf("_since: items %v\nwant  %v", got, want)
	}
}
