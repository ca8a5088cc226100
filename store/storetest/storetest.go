// Package storetest is the conformance suite every store backend must
// pass, so a new backend (PostgreSQL) joins without new tests.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// Opener returns a fresh, empty store for one test.
type Opener func(t *testing.T) store.Store

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateReadKeepsJSON", testCreateRead},
		{"MetaRoundTrips", testMetaRoundTrips},
		{"UpdateVersionsAndHistory", testUpdateHistory},
		{"IfMatch", testIfMatch},
		{"DeleteIsSoft", testDelete},
		{"ConditionalCreate", testConditionalCreate},
		{"CommitIsAtomic", testAtomic},
		{"LookupThenWriteTwice", testLookupThenWriteTwice},
		{"SearchIndexes", testSearch},
		{"CombinedParameters", testCombinedParams},
		{"NarrowedReferences", testNarrowedRefs},
		{"SortedByEachResourcesValues", testSortMultiValued},
		{"IndexRowsFollowUpdates", testIndexFollowsUpdates},
		{"SearchVisibilityAndPaging", testVisibility},
		{"Compartment", testCompartment},
		{"ScanCompartment", testScanCompartment},
		{"LargePageBodies", testLargePageBodies},
		{"Included", testIncluded},
		{"BreakGlassGrants", testGrants},
		{"BreakGlassGrantsPerOrganisation", testGrantsPerOrganisation},
		{"VisibleMayQueryTheStore", testReentrantVisible},
		{"PatientContextFollowsWrites", testPatientContextFresh},
		{"ChangesMoveBeforeCommitsShow", testChanges},
		{"PatientChangesMoveBeforePatientCommitsShow", testPatientChanges},
		{"LabelledDirectoryFollowsDirectoryWrites", testLabelledDirectory},
		{"RelabelInPlace", testRelabel},
		{"IntentsKeptWithTheirChanges", testIntents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// W builds a write from JSON the way the API does.
func W(t testing.TB, op store.Op, org, raw string) *store.Write {
	t.Helper()
	r, err := fhir.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("fixture does not parse: %v\n%s", err, raw)
	}
	w := &store.Write{Op: op, Type: r.Type, ID: r.ID, Raw: r.Raw, Resource: r.Map, SourceOrg: org}
	w.DataClass = search.DataClass(r.Type, r.Map)
	w.Patients = search.PatientCompartment(r.Type, r.Map)
	return w
}

func commit(t testing.TB, s store.Store, ws ...*store.Write) []*store.WriteResult {
	t.Helper()
	res, err := s.Commit(ctx, ws, nil)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return res
}

func decode(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("stored JSON does not decode: %v", err)
	}
	return m
}

const patientJSON = `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],
"name":[{"family":"Smith","given":["Jane"]}],"birthDate":"1950-03-04","_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"kept"}]},
"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory","code":"A"}]}}]}`

const obsJSON = `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":72.50,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`

func testCreateRead(t *testing.T, s store.Store) {
	res := commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON))
	if !res[0].Created || res[0].Version.VersionID != 1 {
		t.Fatalf("first PUT: created=%v version=%d, want created version 1", res[0].Created, res[0].Version.VersionID)
	}
	v, err := s.Read(ctx, "Patient", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if v.SourceOrg != "A81001" || v.DataClass != "demographics" || !reflect.DeepEqual(v.Patients, []string{"p1"}) {
		t.Errorf("meta = %+v", v.Meta)
	}
	got, want := decode(t, v.Raw), decode(t, []byte(patientJSON))
	meta := got["meta"].(map[string]any)
	if meta["versionId"] != "1" || meta["lastUpdated"] == nil {
		t.Errorf("meta not set by the server: %v", meta)
	}
	delete(got, "meta")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored JSON differs from what was written:\n got %v\nwant %v", got, want)
	}
	commit(t, s, W(t, store.OpUpdate, "A81001", obsJSON))
	o, err := s.Read(ctx, "Observation", "o1")
	if err != nil {
		t.Fatal(err)
	}
	if !containsBytes(o.Raw, `72.50`) {
		t.Errorf("number not kept as written: %s", o.Raw)
	}
	if _, err := s.Read(ctx, "Patient", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing resource: err = %v, want ErrNotFound", err)
	}
}

// testMetaRoundTrips: every field the sharing decision reads comes back as
// written from each way of reading a resource (the decision of a
// $everything, a search and a history rests on the same Meta as a read).
func testMetaRoundTrips(t *testing.T, s store.Store) {
	w := W(t, store.OpUpdate, "RCX", `{"resourceType":"Observation","id":"o.meta-1","status":"final","code":{"text":"x"},
		"subject":{"reference":"Patient/p1"},"performer":[{"reference":"Patient/p-2"}]}`)
	// Labels and codes come from the resource's content: any character.
	w.Labels = []string{"http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", "odd|\x1f\x00é"}
	w.Codes = []string{"http://snomed.info/sct|86406008", "http://loinc.org|8867-4", "x|\x1f"}
	// Other codes apart from the main ones (a deny by code matches both).
	w.OtherCodes = []string{"http://snomed.info/sct|44054006", "|~", "y|z"}
	w.Date = time.Date(2025, 6, 1, 10, 0, 0, 123e6, time.UTC)
	w.DateEnd = time.Date(2025, 6, 30, 22, 59, 59, 999e6, time.UTC) // a month (in England)
	w.DataClass = "clinical"
	commit(t, s, w)
	want := store.Meta{Type: "Observation", ID: "o.meta-1", VersionID: 1, SourceOrg: "RCX", DataClass: "clinical",
		Labels: w.Labels, Patients: []string{"p-2", "p1"}, Codes: w.Codes, OtherCodes: w.OtherCodes, Date: w.Date, DateEnd: w.DateEnd}
	check := func(how string, got store.Meta) {
		t.Helper()
		if got.LastUpdated.IsZero() {
			t.Errorf("%s: LastUpdated not set", how)
		}
		got.LastUpdated = time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: meta\n got %+v\nwant %+v", how, got, want)
		}
	}
	v, err := s.Read(ctx, "Observation", "o.meta-1")
	if err != nil {
		t.Fatal(err)
	}
	check("read", v.Meta)
	if v, err = s.VRead(ctx, "Observation", "o.meta-1", 1); err != nil {
		t.Fatal(err)
	}
	check("vread", v.Meta)
	for how, list := range map[string]func() (*store.Result, error){
		"history": func() (*store.Result, error) {
			return s.History(ctx, "Observation", "o.meta-1", time.Time{}, nil, store.Page{Count: 10})
		},
		"compartment": func() (*store.Result, error) { return s.Compartment(ctx, "p-2", nil, nil, store.Page{Count: 10}) },
		"search": func() (*store.Result, error) {
			q, err := search.ParseQuery("Observation", url.Values{"_id": {"o.meta-1"}})
			if err != nil {
				return nil, err
			}
			return s.Search(ctx, q, nil)
		},
	} {
		res, err := list()
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if len(res.Items) != 1 {
			t.Fatalf("%s: %d items, want 1", how, len(res.Items))
		}
		check(how, res.Items[0].Meta)
	}
	// A delete keeps the metadata of the version it ends.
	commit(t, s, &store.Write{Op: store.OpDelete, Type: "Observation", ID: "o.meta-1", SourceOrg: "RCX"})
	if v, err = s.VRead(ctx, "Observation", "o.meta-1", 1); err != nil {
		t.Fatal(err)
	}
	check("vread after delete", v.Meta)
}

func containsBytes(b []byte, s string) bool { return strings.Contains(string(b), s) }

func testUpdateHistory(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON))
	upd := W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"p1","name":[{"family":"Smith-Jones"}]}`)
	res := commit(t, s, upd)
	if res[0].Created || res[0].Version.VersionID != 2 {
		t.Fatalf("update: created=%v version=%d", res[0].Created, res[0].Version.VersionID)
	}
	h, err := s.History(ctx, "Patient", "p1", time.Time{}, nil, store.Page{Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if h.Total != 2 || h.Items[0].VersionID != 2 || h.Items[1].VersionID != 1 {
		t.Fatalf("history total=%d items=%v, want versions 2,1", h.Total, versions(h.Items))
	}
	v1, err := s.VRead(ctx, "Patient", "p1", 1)
	if err != nil || !containsBytes(v1.Raw, `"Jane"`) {
		t.Fatalf("vread 1: %v %s", err, v1.Raw)
	}
	if _, err := s.VRead(ctx, "Patient", "p1", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("vread 3: %v, want ErrNotFound", err)
	}
	// The old name is no longer searchable; the new one is.
	if n := count(t, s, "Patient", "family=smith-jones"); n != 1 {
		t.Errorf("search new family: %d", n)
	}
	if n := count(t, s, "Patient", "given=jane"); n != 0 {
		t.Errorf("search old given after update: %d, want 0", n)
	}
}

func versions(vs []*store.Version) []int64 {
	var out []int64
	for _, v := range vs {
		out = append(out, v.VersionID)
	}
	return out
}

// Query parses q (a URL query string) as a search on typ, failing t if it
// does not parse.
func Query(t testing.TB, typ, q string) *search.Query {
	t.Helper()
	vals, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	sq, err := search.ParseQuery(typ, vals)
	if err != nil {
		t.Fatalf("ParseQuery(%s?%s): %v", typ, q, err)
	}
	return sq
}

func count(t testing.TB, s store.Store, typ, q string) int {
	t.Helper()
	res, err := s.Search(ctx, Query(t, typ, q), nil)
	if err != nil {
		t.Fatalf("search %s?%s: %v", typ, q, err)
	}
	return res.Total
}

// countCase is a query and how many resources it must match.
type countCase struct {
	q    string
	want int
}

// expectCounts checks how many typ resources each query matches.
func expectCounts(t testing.TB, s store.Store, typ string, cases []countCase) {
	t.Helper()
	for _, c := range cases {
		if n := count(t, s, typ, c.q); n != c.want {
			t.Errorf("%s?%s: %d, want %d", typ, c.q, n, c.want)
		}
	}
}

// expectOrder checks the matches of each query, in order (Type/id ...).
func expectOrder(t testing.TB, s store.Store, typ string, want map[string]string) {
	t.Helper()
	for q, w := range want {
		res, err := s.Search(ctx, Query(t, typ, q), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Items); got != w {
			t.Errorf("%s?%s: %s, want %s", typ, q, got, w)
		}
	}
}

// ids lists versions as Type/id, in order.
func ids(vs []*store.Version) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Type+"/"+v.ID)
	}
	return strings.Join(out, " ")
}

func testIfMatch(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON))
	w := W(t, store.OpUpdate, "A81001", patientJSON)
	w.IfMatch = 5
	if _, err := s.Commit(ctx, []*store.Write{w}, nil); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("stale If-Match: %v, want ErrVersionConflict", err)
	}
	w = W(t, store.OpUpdate, "A81001", patientJSON)
	w.IfMatch = 1
	if _, err := s.Commit(ctx, []*store.Write{w}, nil); err != nil {
		t.Fatalf("current If-Match: %v", err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), W(t, store.OpUpdate, "A81001", obsJSON))
	commit(t, s, &store.Write{Op: store.OpDelete, Type: "Observation", ID: "o1", SourceOrg: "A81001"})
	if _, err := s.Read(ctx, "Observation", "o1"); !errors.Is(err, store.ErrGone) {
		t.Fatalf("read deleted: %v, want ErrGone", err)
	}
	if n := count(t, s, "Observation", "patient=p1"); n != 0 {
		t.Errorf("deleted resource still found by search: %d", n)
	}
	h, err := s.History(ctx, "Observation", "o1", time.Time{}, nil, store.Page{Count: 10})
	if err != nil || h.Total != 2 || !h.Items[0].Deleted {
		t.Fatalf("history after delete: %v total=%d", err, h.Total)
	}
	if v, err := s.VRead(ctx, "Observation", "o1", 1); err != nil || v.Raw == nil {
		t.Errorf("earlier version must stay readable: %v", err)
	}
	res := commit(t, s, &store.Write{Op: store.OpDelete, Type: "Observation", ID: "o1", SourceOrg: "A81001"})
	if !res[0].NoOp {
		t.Errorf("second delete should be a no-op")
	}
	// Recreate after delete.
	res = commit(t, s, W(t, store.OpUpdate, "A81001", obsJSON))
	if res[0].Version.VersionID != 3 {
		t.Errorf("recreate after delete: version %d, want 3", res[0].Version.VersionID)
	}
}

func testConditionalCreate(t *testing.T, s store.Store) {
	mk := func() *store.Write {
		w := W(t, store.OpCreate, "A81001", patientJSON)
		w.ID = ""
		w.IfNoneExist = Query(t, "Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919")
		return w
	}
	first := commit(t, s, mk())
	if !first[0].Created {
		t.Fatal("first conditional create did not create")
	}
	again := commit(t, s, mk())
	if !again[0].NoOp || again[0].Version.ID != first[0].Version.ID {
		t.Fatalf("resend created a duplicate: %+v", again[0])
	}
	// A second, different resource with the same NHS number makes the condition ambiguous.
	dup := W(t, store.OpUpdate, "A81001", patientJSON)
	dup.ID = "p2"
	commit(t, s, dup)
	if _, err := s.Commit(ctx, []*store.Write{mk()}, nil); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("ambiguous If-None-Exist: %v, want ErrPrecondition", err)
	}
}

func testAtomic(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON))
	ok := W(t, store.OpUpdate, "A81001", obsJSON)
	clash := W(t, store.OpCreate, "A81001", patientJSON) // p1 exists: ErrExists
	if _, err := s.Commit(ctx, []*store.Write{ok, clash}, nil); !errors.Is(err, store.ErrExists) {
		t.Fatalf("commit with a failing write: %v, want ErrExists", err)
	}
	if _, err := s.Read(ctx, "Observation", "o1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the other write of a failed commit was stored: %v", err)
	}
	boom := errors.New("prepare refused")
	if _, err := s.Commit(ctx, []*store.Write{W(t, store.OpUpdate, "A81001", obsJSON)}, func(store.Lookup) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("prepare error not returned: %v", err)
	}
	if _, err := s.Read(ctx, "Observation", "o1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("write stored although prepare refused: %v", err)
	}
}

// testLookupThenWriteTwice: prepare finds a resource missing, then the
// commit writes it twice and prepare's Add once more; then prepare finds
// it, and the commit deletes it and writes it again: each write sees the
// one before (a backend may remember what prepare found, but not past a
// write).
func testLookupThenWriteTwice(t *testing.T, s store.Store) {
	obs := func(code string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"`+code+`"}]},"subject":{"reference":"Patient/p1"}}`)
	}
	res, err := s.Commit(ctx, []*store.Write{obs("1-1"), obs("2-2")}, func(l store.Lookup) error {
		for range 2 {
			if m, err := l.Current("Observation", "o1"); err != nil || m != nil {
				return fmt.Errorf("Current of a missing resource: %v, %v", m, err)
			}
		}
		l.Add(obs("3-3"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].Created || res[0].Version.VersionID != 1 || res[1].Created || res[1].Version.VersionID != 2 {
		t.Fatalf("results %+v %+v, want created at version 1, then version 2", res[0], res[1])
	}
	v, err := s.Read(ctx, "Observation", "o1")
	if err != nil || v.VersionID != 3 || !containsBytes(v.Raw, "3-3") {
		t.Fatalf("read after the commit: %v, %v; want version 3 from Add", v, err)
	}
	expectCounts(t, s, "Observation", []countCase{{"code=1-1", 0}, {"code=2-2", 0}, {"code=3-3", 1}})

	// Found, then deleted and written again.
	del := &store.Write{Op: store.OpDelete, Type: "Observation", ID: "o1", SourceOrg: "A81001"}
	res, err = s.Commit(ctx, []*store.Write{del, obs("4-4")}, func(l store.Lookup) error {
		if m, err := l.Current("Observation", "o1"); err != nil || m == nil || m.VersionID != 3 {
			return fmt.Errorf("Current of o1: %v, %v; want version 3", m, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Version.VersionID != 4 || !res[0].Version.Deleted || !res[1].Created || res[1].Version.VersionID != 5 {
		t.Fatalf("results %+v %+v, want a delete at version 4, then version 5 created", res[0], res[1])
	}
	expectCounts(t, s, "Observation", []countCase{{"code=3-3", 0}, {"code=4-4", 1}})
}

// testIndexFollowsUpdates: an update replaces a resource's index rows (in a
// later commit, later in the same commit, and after a delete in it), and a
// commit with many rows (more than one batch of any size) indexes them all.
func testIndexFollowsUpdates(t *testing.T, s store.Store) {
	obs := func(id, code, date string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"`+code+`"}]},
		"subject":{"reference":"Patient/p1"},"effectiveDateTime":"`+date+`"}`)
	}
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), obs("o1", "1-1", "2020-01-01"))
	// Later in the same commit the second version wins.
	commit(t, s, obs("o1", "2-2", "2021-01-01"), obs("o1", "3-3", "2022-01-01"))
	// Deleted and written again in one commit: indexed once, as the last write.
	commit(t, s, obs("o2", "4-4", "2023-01-01"))
	commit(t, s, &store.Write{Op: store.OpDelete, Type: "Observation", ID: "o2", SourceOrg: "A81001"}, obs("o2", "5-5", "2024-01-01"))
	var many []*store.Write
	for i := range 150 {
		many = append(many, obs(fmt.Sprintf("m%d", i), "6-6", "2025-01-01"))
	}
	commit(t, s, many...)
	expectCounts(t, s, "Observation", []countCase{
		{"code=1-1", 0}, {"code=2-2", 0}, {"code=3-3", 1}, {"date=2020", 0}, {"date=2021", 0}, {"date=2022", 1},
		{"code=4-4", 0}, {"code=5-5", 1}, {"date=2024", 1},
		{"code=6-6", 150}, {"date=2025", 150}, {"patient=p1", 152},
	})
	res, err := s.Compartment(ctx, "p1", nil, nil, store.Page{Count: 1000})
	if err != nil || res.Total != 153 {
		t.Fatalf("compartment of p1: %v, %d resources, want 153", err, res.Total)
	}
}

func testSearch(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), W(t, store.OpUpdate, "A81001", obsJSON),
		W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"o2","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-15","valueQuantity":{"value":130,"code":"mm[Hg]","system":"http://unitsofmeasure.org"}}`))
	cases := []struct {
		typ, q string
		want   int
	}{
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", 1},
		{"Patient", "identifier=9434765919", 1},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", 0},
		{"Patient", "family=smi", 1},
		{"Patient", "family:exact=smi", 0},
		{"Patient", "birthdate=1950", 1},
		{"Patient", "birthdate=lt1950-01-01", 0},
		{"Patient", "_id=p1", 1},
		{"Observation", "patient=p1", 2},
		{"Observation", "subject=Patient/p1", 2},
		{"Observation", "code=http://loinc.org|8867-4", 1},
		{"Observation", "code=8867-4,8480-6", 2},
		{"Observation", "code=8867-4&code=8480-6", 0},
		{"Observation", "category=vital-signs", 1},
		{"Observation", "date=2025", 1},
		{"Observation", "date=ge2024-01-01", 2},
		{"Observation", "date=lt2025-01-01", 1},
		{"Observation", "value-quantity=gt100", 1},
		{"Observation", "status=final", 2},
		{"Observation", "status:not=final", 0},
		{"Observation", "_lastUpdated=gt2000-01-01", 2},
	}
	for _, c := range cases {
		if got := count(t, s, c.typ, c.q); got != c.want {
			t.Errorf("%s?%s: %d matches, want %d", c.typ, c.q, got, c.want)
		}
	}
}

// testCombinedParams: Observation's combo-code and combo-value-quantity
// match the observation's own code and value and its components', with
// every modifier and sort that applies to them.
func testCombinedParams(t *testing.T, s store.Store) {
	obs := func(id, code, value, components string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"`+code+`"}]},"subject":{"reference":"Patient/p1"},
		"valueQuantity":{"value":`+value+`,"system":"http://unitsofmeasure.org","code":"kg"}`+components+`}`)
	}
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON),
		obs("oa", "2-2", "72", `,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"9-9"}]},
		"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]`),
		obs("ob", "1-1", "50", ""))
	expectCounts(t, s, "Observation", []countCase{
		{"combo-code=2-2", 1}, {"combo-code=9-9", 1}, {"combo-code=http://loinc.org|9-9", 1}, {"combo-code=1-1", 1},
		{"combo-code=2-2,1-1", 2}, {"combo-code=3-3", 0}, {"combo-code:not=9-9", 1}, {"combo-code:not=3-3", 2},
		{"combo-code:missing=false", 2}, {"combo-code:missing=true", 0},
		{"combo-code=9-9&code=2-2", 1}, {"combo-code=9-9&code=1-1", 0},
		{"combo-value-quantity=120", 1}, {"combo-value-quantity=gt100", 1}, {"combo-value-quantity=lt60", 1},
		{"combo-value-quantity=gt10", 2}, {"combo-value-quantity=120|http://unitsofmeasure.org|mm[Hg]", 1},
		{"combo-value-quantity=72|http://unitsofmeasure.org|mm[Hg]", 0},
		// A unit system without a code matches values in that system only.
		{"combo-value-quantity=120|http://unitsofmeasure.org|", 1}, {"combo-value-quantity=120|http://other.example/units|", 0},
		{"component-code=9-9", 1}, {"component-code=2-2", 0}, {"code=9-9", 0}, {"value-quantity=120", 0},
	})
	// Sorted by the smallest code or value of all it holds: ob's 1-1 before
	// oa's 2-2 (9-9 is oa's component), ob's 50 before oa's 72 (and 120);
	// descending by the largest, oa's 9-9 first.
	expectOrder(t, s, "Observation", map[string]string{"_sort=combo-code": "Observation/ob Observation/oa",
		"_sort=-combo-code": "Observation/oa Observation/ob", "_sort=combo-value-quantity": "Observation/ob Observation/oa"})
}

// testSortMultiValued: a resource with several values of the sort
// parameter sorts by its smallest when ascending and by its largest when
// descending (as dates always did: a period by its start, or by its end);
// resources without a value come first ascending and last descending;
// ties fall to the next key, then to the order of writing.
func testSortMultiValued(t *testing.T, s store.Store) {
	pat := func(id, name, born string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"`+id+`"`+name+born+`}`)
	}
	enc := func(id, start, end string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Encounter","id":"`+id+`","status":"finished",
		"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},"period":{"start":"`+start+`","end":"`+end+`"}}`)
	}
	obs := func(id, codes, value, components string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final",
		"code":{"coding":[`+codes+`]},"valueQuantity":{"value":`+value+`,"system":"http://unitsofmeasure.org","code":"kg"}`+components+`}`)
	}
	loinc := func(code string) string { return `{"system":"http://loinc.org","code":"` + code + `"}` }
	commit(t, s,
		pat("pa", `,"name":[{"family":"Smith","given":["Ann","Zoe"]}]`, `,"birthDate":"1980-01-01"`),
		pat("pb", `,"name":[{"family":"Jones","given":["Mia"]}]`, `,"birthDate":"1990-06-01"`),
		pat("pc", `,"name":[{"family":"Brown"}]`, ""),
		pat("pd", `,"name":[{"family":"Smith","given":["Bob"]}]`, `,"birthDate":"1970-01-01"`),
		enc("e1", "2020-01-01", "2020-12-31"), enc("e2", "2020-06-01", "2020-06-02"),
		obs("oa", loinc("1-1")+","+loinc("9-9"), "72", `,"component":[{"code":{"coding":[`+loinc("7-7")+`]},
		"valueQuantity":{"value":200,"system":"http://unitsofmeasure.org","code":"kg"}}]`),
		obs("ob", loinc("5-5"), "150", ""), obs("oc", loinc("3-3"), "100", ""),
	)
	expectOrder(t, s, "Patient", map[string]string{
		"_sort=given":             "Patient/pc Patient/pa Patient/pd Patient/pb", // none, ann, bob, mia
		"_sort=-given":            "Patient/pa Patient/pb Patient/pd Patient/pc", // zoe, mia, bob, none
		"_sort=family,-birthdate": "Patient/pc Patient/pb Patient/pa Patient/pd",
		"_sort=family,birthdate":  "Patient/pc Patient/pb Patient/pd Patient/pa",
		"_sort=-birthdate":        "Patient/pb Patient/pa Patient/pd Patient/pc",
		"_sort=-_id":              "Patient/pd Patient/pc Patient/pb Patient/pa",
	})
	expectOrder(t, s, "Encounter", map[string]string{
		"_sort=date": "Encounter/e1 Encounter/e2", "_sort=-date": "Encounter/e1 Encounter/e2",
	})
	expectOrder(t, s, "Observation", map[string]string{
		"_sort=code":                  "Observation/oa Observation/oc Observation/ob", // 1-1, 3-3, 5-5
		"_sort=-code":                 "Observation/oa Observation/ob Observation/oc", // 9-9, 5-5, 3-3
		"_sort=combo-value-quantity":  "Observation/oa Observation/oc Observation/ob", // 72, 100, 150
		"_sort=-combo-value-quantity": "Observation/oa Observation/ob Observation/oc", // 200, 150, 100
		"_sort=-value-quantity":       "Observation/ob Observation/oc Observation/oa",
		"_sort=-combo-code":           "Observation/oa Observation/ob Observation/oc", // 9-9, 5-5, 3-3
	})
}

// testNarrowedRefs: Observation's patient is its subject when that is a
// Patient: searched, tested for presence, sorted and included as such,
// beside an observation about a Group and one about no one.
func testNarrowedRefs(t *testing.T, s store.Store) {
	obs := func(id, subject string) *store.Write {
		return W(t, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}`+subject+`}`)
	}
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON),
		W(t, store.OpUpdate, "A81001", `{"resourceType":"Group","id":"g1","type":"person","actual":true}`),
		obs("o1", `,"subject":{"reference":"Patient/p1"}`), obs("og", `,"subject":{"reference":"Group/g1"}`), obs("on", ""))
	expectCounts(t, s, "Observation", []countCase{
		{"patient=p1", 1}, {"patient=Patient/p1", 1}, {"patient:Patient=p1", 1}, {"patient=p2", 0},
		{"subject=Patient/p1", 1}, {"subject=Group/g1", 1}, {"subject:Group=g1", 1}, {"subject=p1", 1},
		{"patient:missing=true", 2}, {"patient:missing=false", 1},
		{"subject:missing=true", 1}, {"subject:missing=false", 2},
		{"patient=p1&subject=Patient/p1", 1}, {"patient:missing=true&subject:missing=false", 1},
	})
	// Sorted by patient, those without one come first (their key is NULL).
	expectOrder(t, s, "Observation", map[string]string{"_sort=patient": "Observation/og Observation/on Observation/o1",
		"_sort=subject": "Observation/on Observation/og Observation/o1"})
	all, err := s.Search(ctx, Query(t, "Observation", "_sort=_id"), nil)
	if err != nil || len(all.Items) != 3 {
		t.Fatalf("all observations: %v, %d", err, len(all.Items))
	}
	for param, want := range map[string]string{"patient": "Patient/p1", "subject": "Patient/p1 Group/g1"} {
		inc, err := s.Included(ctx, all.Items, []search.Include{{SourceType: "Observation", Param: param}}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(inc); got != want {
			t.Errorf("_include=Observation:%s: %s, want %s", param, got, want)
		}
	}
	pats, err := s.Search(ctx, Query(t, "Patient", "_id=p1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := s.Search(ctx, Query(t, "Group", "_id=g1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		matches     []*store.Version
		param, want string
	}{
		{pats.Items, "patient", "Observation/o1"}, {pats.Items, "subject", "Observation/o1"},
		{groups.Items, "subject", "Observation/og"}, {groups.Items, "patient", ""},
	} {
		rev, err := s.Included(ctx, c.matches, []search.Include{{SourceType: "Observation", Param: c.param, Rev: true}}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(rev); got != c.want {
			t.Errorf("_revinclude=Observation:%s of %s: %s, want %s", c.param, ids(c.matches), got, c.want)
		}
	}
}

func testVisibility(t *testing.T, s store.Store) {
	var ws []*store.Write
	for i := 0; i < 25; i++ {
		org := "A81001"
		if i%5 == 0 {
			org = "HIDDEN"
		}
		w := W(t, store.OpCreate, org, obsJSON)
		w.ID = "o-" + string(rune('a'+i))
		ws = append(ws, w)
	}
	commit(t, s, ws...)
	vis := func(m *store.Meta) bool { return m.SourceOrg != "HIDDEN" }
	q := Query(t, "Observation", "patient=p1&_count=7")
	seen := map[string]bool{}
	for off := 0; ; off += 7 {
		q.Offset = off
		res, err := s.Search(ctx, q, vis)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 20 {
			t.Fatalf("total = %d, want 20 visible of 25", res.Total)
		}
		for _, v := range res.Items {
			if v.SourceOrg == "HIDDEN" {
				t.Fatalf("invisible item released: %s", v.ID)
			}
			if v.Raw == nil {
				t.Fatalf("item %s has no body", v.ID)
			}
			seen[v.ID] = true
		}
		if len(res.Items) < 7 {
			break
		}
	}
	if len(seen) != 20 {
		t.Errorf("paging visited %d distinct items, want 20", len(seen))
	}
}

func testCompartment(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), W(t, store.OpUpdate, "RCX", obsJSON),
		W(t, store.OpUpdate, "A81001", `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"asthma"}}`),
		W(t, store.OpUpdate, "A81001", `{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/other"},"code":{"text":"asthma"}}`))
	res, err := s.Compartment(ctx, "p1", nil, nil, store.Page{Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 {
		t.Fatalf("compartment of p1: %d, want 3 (patient, observation, condition)", res.Total)
	}
	res, err = s.Compartment(ctx, "p1", []string{"Condition"}, nil, store.Page{Count: 100})
	if err != nil || res.Total != 1 {
		t.Fatalf("_type=Condition: %v %d", err, res.Total)
	}
	res, err = s.Compartment(ctx, "p1", nil, func(m *store.Meta) bool { return m.SourceOrg == "A81001" }, store.Page{Count: 100})
	if err != nil || res.Total != 2 {
		t.Fatalf("filtered compartment: %v %d, want 2", err, res.Total)
	}
}

// testScanCompartment: ScanCompartment visits what Compartment lists, in
// its order, but passOver's items (ignoring case; not its Binaries); stops
// when asked; and each may read the store while it runs.
func testScanCompartment(t *testing.T, s store.Store) {
	ws := []*store.Write{W(t, store.OpUpdate, "A81001", patientJSON)}
	for i := range 150 {
		org := "RCX"
		if i%3 == 0 {
			org = "a81001" // the case a token gave it once
		}
		ws = append(ws, W(t, store.OpUpdate, org, fmt.Sprintf(`{"resourceType":"Observation","id":"scan-%d","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`, i)))
	}
	bin := W(t, store.OpUpdate, "A81001", `{"resourceType":"Binary","id":"scan-bin","contentType":"text/plain","data":"eA=="}`)
	bin.Patients = []string{"p1"}
	ws = append(ws, bin, W(t, store.OpUpdate, "RCX", `{"resourceType":"Condition","id":"scan-other","subject":{"reference":"Patient/other"},"code":{"text":"x"}}`))
	commit(t, s, ws...)
	all, err := s.Compartment(ctx, "p1", nil, nil, store.Page{Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	scan := func(types []string, passOver string, stopAt int) []string {
		t.Helper()
		var got []string
		err := s.ScanCompartment(ctx, "p1", types, passOver, func(m *store.Meta) bool {
			if _, err := s.Read(ctx, m.Type, m.ID); err != nil {
				t.Errorf("a read inside the scan: %v", err)
			}
			got = append(got, m.Type+"/"+m.ID)
			return len(got) != stopAt
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	var want, wantPassed, wantObs []string
	for _, v := range all.Items {
		k := v.Type + "/" + v.ID
		want = append(want, k)
		if v.Type == "Binary" || !strings.EqualFold(v.SourceOrg, "A81001") {
			wantPassed = append(wantPassed, k)
		}
		if v.Type == "Observation" {
			wantObs = append(wantObs, k)
		}
	}
	if len(want) != 152 || len(wantPassed) != 101 {
		t.Fatalf("fixture: %d items, %d not A81001's or a Binary; want 152 and 101", len(want), len(wantPassed))
	}
	if got := scan(nil, "", 0); !slices.Equal(got, want) {
		t.Errorf("scan of the whole record:\n%v\nwant Compartment's\n%v", got, want)
	}
	if got := scan(nil, "A81001", 0); !slices.Equal(got, wantPassed) {
		t.Errorf("scan passing over A81001:\n%v\nwant\n%v", got, wantPassed)
	}
	if got := scan([]string{"Observation"}, "", 0); !slices.Equal(got, wantObs) {
		t.Errorf("scan of Observations:\n%v\nwant\n%v", got, wantObs)
	}
	for _, n := range []int{1, 16, 17, 100} {
		if got := scan(nil, "", n); !slices.Equal(got, want[:n]) {
			t.Errorf("scan stopped at %d: visited %d items (%v)", n, len(got), got)
		}
	}
}

// testLargePageBodies: every body of a large page ($everything) is the
// resource's own, whole, and independent of its neighbours (a store may
// copy a page's bodies into shared buffers).
func testLargePageBodies(t *testing.T, s store.Store) {
	ws := []*store.Write{W(t, store.OpUpdate, "A81001", patientJSON)}
	for i := range 300 {
		// Bodies of different lengths, so that buffers fill unevenly.
		note := strings.Repeat("x", 1+i*37%2000)
		ws = append(ws, W(t, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"Observation","id":"big-%d","status":"final","code":{"text":"%s"},"subject":{"reference":"Patient/p1"}}`, i, note)))
	}
	commit(t, s, ws...)
	res, err := s.Compartment(ctx, "p1", nil, nil, store.Page{Count: 500})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 301 || len(res.Items) != 301 {
		t.Fatalf("compartment: total %d, %d items; want 301", res.Total, len(res.Items))
	}
	for _, v := range res.Items {
		one, err := s.Read(ctx, v.Type, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(v.Raw) != string(one.Raw) {
			t.Fatalf("%s/%s: the page's body differs from a read:\n%s\n%s", v.Type, v.ID, v.Raw, one.Raw)
		}
	}
	next := string(res.Items[2].Raw)
	_ = append(res.Items[1].Raw, "overwritten"...)
	if string(res.Items[2].Raw) != next {
		t.Fatal("appending to one body changed the next")
	}
	// A page of one body (a search by identifier) and of a few.
	for _, n := range []int{1, 2, 5} {
		res, err := s.Compartment(ctx, "p1", nil, nil, store.Page{Count: n, Offset: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != n {
			t.Fatalf("page of %d: %d items", n, len(res.Items))
		}
		for _, v := range res.Items {
			one, err := s.Read(ctx, v.Type, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Raw) == 0 || string(v.Raw) != string(one.Raw) {
				t.Fatalf("page of %d, %s/%s: body %q, a read gives %q", n, v.Type, v.ID, v.Raw, one.Raw)
			}
		}
	}
}

// testReentrantVisible: the API's release filter loads each patient from
// the store while a search runs. Many such searches at once must not wait
// for each other (a reader held across vis deadlocked the pool).
func testReentrantVisible(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), W(t, store.OpUpdate, "RCX", obsJSON))
	vis := func(m *store.Meta) bool {
		_, err := s.PatientContext(ctx, "p1")
		return err == nil
	}
	const n = 64
	errs := make(chan error, n)
	for range n {
		go func() {
			res, err := s.Compartment(ctx, "p1", nil, vis, store.Page{Count: 100})
			if err == nil && res.Total != 2 {
				err = fmt.Errorf("compartment of p1: %d, want 2", res.Total)
			}
			if err == nil {
				_, err = s.Search(ctx, Query(t, "Observation", "patient=p1"), vis)
			}
			errs <- err
		}()
	}
	deadline := time.After(30 * time.Second)
	for range n {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("searches whose filter reads the store did not finish in 30 s: deadlocked")
		}
	}
}

// testPatientContextFresh: however a store keeps PatientContext between
// requests, it reflects every committed write at once: a consent or care
// team added, moved to another person, deleted; a new source.
func testPatientContextFresh(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON))
	links := func(pid string) (ids []string, sources int) {
		t.Helper()
		pc, err := s.PatientContext(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range pc.Links {
			ids = append(ids, v.Type+"/"+v.ID)
		}
		return ids, len(pc.Sources)
	}
	if ids, n := links("p1"); len(ids) != 0 || n != 1 {
		t.Fatalf("before: links %v, %d sources", ids, n)
	}
	team := func(subject string) string {
		return `{"resourceType":"CareTeam","id":"ct1","status":"active","subject":{"reference":"Patient/` + subject + `"},"managingOrganization":[{"reference":"Organization/RCX"}]}`
	}
	commit(t, s, W(t, store.OpUpdate, "RCX", team("p1")))
	if ids, n := links("p1"); len(ids) != 1 || ids[0] != "CareTeam/ct1" || n != 2 {
		t.Fatalf("after a care team: links %v, %d sources", ids, n)
	}
	links("p2")
	commit(t, s, W(t, store.OpUpdate, "RCX", team("p2"))) // moved to another person
	if ids, _ := links("p1"); len(ids) != 0 {
		t.Fatalf("the care team moved to p2 but p1 still has %v", ids)
	}
	if ids, _ := links("p2"); len(ids) != 1 {
		t.Fatalf("p2 after the move: %v", ids)
	}
	commit(t, s, W(t, store.OpDelete, "RCX", team("p2")))
	if ids, _ := links("p2"); len(ids) != 0 {
		t.Fatalf("p2 after the delete: %v", ids)
	}
	// A Consent is in the context but does not make its recorder a source.
	commit(t, s, W(t, store.OpUpdate, "Z99999", `{"resourceType":"Consent","id":"cz","status":"active","patient":{"reference":"Patient/p1"},
		"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
		"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}]}`))
	pc, err := s.PatientContext(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pc.Sources["Z99999"]; ok || len(pc.Links) != 1 {
		t.Fatalf("after another organisation's Consent: links %d, sources %v (a Consent's recorder is no source)", len(pc.Links), pc.Sources)
	}
}

// testChanges: Changes is even at rest and moves with every commit, before
// a read can see it: a reader that sees a commit's data and then reads
// Changes never gets the number from before the commit.
func testChanges(t *testing.T, s store.Store) {
	n0 := s.Changes()
	if n0%2 != 0 {
		t.Fatalf("Changes at rest = %d, odd", n0)
	}
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON))
	n1 := s.Changes()
	if n1 == n0 || n1%2 != 0 {
		t.Fatalf("Changes %d before a commit, %d after: want another even number", n0, n1)
	}
	if _, err := s.PatientContext(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if s.Changes() != n1 {
		t.Fatal("Changes moved with a read")
	}
	movesBeforeSeen(t, s, "Changes", s.Changes, func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`
	})
}

// testPatientChanges: PatientChanges is even at rest and moves with every
// commit that writes a Patient (a new one, a change, a deletion), before a
// read can see it; a read that saw such a commit's data and then reads
// PatientChanges never gets the number from before the commit.
func testPatientChanges(t *testing.T, s store.Store) {
	stamp := func() uint64 {
		t.Helper()
		n, err := s.PatientChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := stamp()
	if n0%2 != 0 {
		t.Fatalf("PatientChanges at rest = %d, odd", n0)
	}
	if again := stamp(); again != n0 {
		t.Fatalf("PatientChanges moved with nothing committed: %d then %d", n0, again)
	}
	for _, w := range []*store.Write{
		W(t, store.OpUpdate, "A81001", patientJSON),
		W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"p1","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}}`),
		{Op: store.OpDelete, Type: "Patient", ID: "p1", SourceOrg: "A81001"},
	} {
		before := stamp()
		commit(t, s, w)
		after := stamp()
		if after == before || after%2 != 0 {
			t.Fatalf("PatientChanges %d before a Patient write (op %d), %d after: want another even number", before, w.Op, after)
		}
	}
	movesBeforeSeen(t, s, "PatientChanges", stamp, func(id string) string {
		return `{"resourceType":"Patient","id":"` + id + `"}`
	})
}

// testLabelledDirectory: LabelledDirectory lists the labelled directory
// items as they are now, with their identifiers (not an unlabelled one,
// not a person's home; one deleted whose last version was labelled, with
// that version's identifiers: review 32b), and DirectoryChanges moves with
// every commit writing a labelled directory item or one that was
// labelled, not with a clinical one (review 31b) nor with an unlabelled
// directory item (review 32b: what LabelledDirectory lists is the same).
func testLabelledDirectory(t *testing.T, s store.Store) {
	stamp := func() uint64 {
		t.Helper()
		n, err := s.DirectoryChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	list := func() string {
		t.Helper()
		items, err := s.LabelledDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Type+"/"+it.ID+"="+strings.Join(it.Identifiers, ","))
		}
		return strings.Join(out, " ")
	}
	labelled := func(w *store.Write) *store.Write { w.Labels = []string{"R"}; return w }
	n0 := stamp()
	if n0%2 != 0 {
		t.Fatalf("DirectoryChanges at rest = %d, odd", n0)
	}
	commit(t, s, W(t, store.OpUpdate, "A81001", obsJSON))
	if n := stamp(); n != n0 {
		t.Fatalf("DirectoryChanges moved with an Observation: %d then %d", n0, n)
	}
	n0 = stamp()
	commit(t, s, W(t, store.OpUpdate, "RHX", `{"resourceType":"Organization","id":"plain","identifier":[{"system":"s","value":"PLAIN"}]}`))
	if n := stamp(); n != n0 {
		t.Fatalf("DirectoryChanges moved with an unlabelled Organization: %d then %d", n0, n)
	}
	for _, w := range []*store.Write{
		labelled(W(t, store.OpUpdate, "RHX", `{"resourceType":"Organization","id":"ref","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSREF"},{"value":"X1"}]}`)),
		labelled(W(t, store.OpUpdate, "RHX", `{"resourceType":"Practitioner","id":"pr"}`)),
		labelled(W(t, store.OpUpdate, "RHX", `{"resourceType":"HealthcareService","id":"gum","identifier":[{"system":"s","value":"GUM"}]}`)),
		labelled(W(t, store.OpUpdate, "RHX", `{"resourceType":"Location","id":"home","identifier":[{"system":"s","value":"HOME"}],
			"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"PTRES"}]}]}`)),
		labelled(W(t, store.OpUpdate, "RHX", `{"resourceType":"Location","id":"doomed","identifier":[{"system":"s","value":"GONE"}]}`)),
		{Op: store.OpDelete, Type: "Location", ID: "doomed", SourceOrg: "RHX"},
		// (deleted too, and still left out: a person's home)
		{Op: store.OpDelete, Type: "Location", ID: "home", SourceOrg: "RHX"},
	} {
		before := stamp()
		commit(t, s, w)
		if after := stamp(); after == before || after%2 != 0 {
			t.Fatalf("DirectoryChanges %d before a %s write (op %d), %d after: want another even number", before, w.Type, w.Op, after)
		}
	}
	n0 = stamp()
	commit(t, s, &store.Write{Op: store.OpDelete, Type: "Organization", ID: "plain", SourceOrg: "RHX"})
	if n := stamp(); n != n0 {
		t.Fatalf("DirectoryChanges moved with an unlabelled Organization deleted: %d then %d", n0, n)
	}
	want := "Organization/ref=https://fhir.nhs.uk/Id/ods-organization-code|NSREF,|X1 Practitioner/pr= HealthcareService/gum=s|GUM Location/doomed=s|GONE"
	if got := list(); got != want {
		t.Fatalf("LabelledDirectory = %q, want %q", got, want)
	}
	n0 = stamp()
	commit(t, s, W(t, store.OpUpdate, "RHX", `{"resourceType":"Organization","id":"ref"}`)) // the label taken off
	if got := list(); strings.Contains(got, "Organization/ref") {
		t.Fatalf("LabelledDirectory after the label was taken off: %q", got)
	}
	if n := stamp(); n == n0 || n%2 != 0 {
		t.Fatalf("DirectoryChanges %d before the label was taken off, %d after: want another even number", n0, n)
	}
	movesBeforeSeen(t, s, "DirectoryChanges", stamp, func(id string) string {
		return `{"resourceType":"Organization","id":"` + id + `"}`
	}, labelled)
}

// movesBeforeSeen commits 20 resources (body(id) gives each) while
// reading them, and fails when a read saw one and stamp, read after it,
// was still what it was before the commit.
func movesBeforeSeen(t *testing.T, s store.Store, name string, stamp func() uint64, body func(id string) string, mod ...func(*store.Write) *store.Write) {
	t.Helper()
	for i := range 20 {
		before := stamp()
		w := W(t, store.OpUpdate, "A81001", body(fmt.Sprintf("race%d", i)))
		for _, f := range mod {
			w = f(w)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			commit(t, s, w)
		}()
		for seen := false; !seen; {
			_, err := s.Read(ctx, w.Type, w.ID)
			after := stamp()
			if err == nil {
				seen = true
				if after == before {
					t.Fatalf("a read saw %s/%s, then %s was still %d, as before its commit", w.Type, w.ID, name, before)
				}
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
		}
		<-done
	}
}

func testIncluded(t *testing.T, s store.Store) {
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), W(t, store.OpUpdate, "A81001", obsJSON))
	obs, err := s.Search(ctx, Query(t, "Observation", "_id=o1"), nil)
	if err != nil || len(obs.Items) != 1 {
		t.Fatal(err)
	}
	inc, err := s.Included(ctx, obs.Items, []search.Include{{SourceType: "Observation", Param: "subject"}}, nil, 10)
	if err != nil || len(inc) != 1 || inc[0].ID != "p1" {
		t.Fatalf("_include=Observation:subject: %v %d", err, len(inc))
	}
	if inc, _ := s.Included(ctx, obs.Items, []search.Include{{SourceType: "Observation", Param: "subject"}}, func(*store.Meta) bool { return false }, 10); len(inc) != 0 {
		t.Fatalf("_include released an invisible resource")
	}
	pats, _ := s.Search(ctx, Query(t, "Patient", "_id=p1"), nil)
	rev, err := s.Included(ctx, pats.Items, []search.Include{{SourceType: "Observation", Param: "subject", Rev: true}}, nil, 10)
	if err != nil || len(rev) != 1 || rev[0].ID != "o1" {
		t.Fatalf("_revinclude=Observation:subject: %v %d", err, len(rev))
	}
}

func testGrants(t *testing.T, s store.Store) {
	drA := store.Grantee{Issuer: "carex", Sub: "dr-a", Org: "A81001"}
	until := time.Now().Add(4 * time.Hour).Truncate(time.Millisecond)
	if got, err := s.BreakGlassUntil(ctx, drA, "p1"); err != nil || !got.IsZero() {
		t.Fatalf("no grant yet: %v %v", got, err)
	}
	if err := s.GrantBreakGlass(ctx, drA, "p1", "EMERGENCY: test", until); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BreakGlassUntil(ctx, drA, "p1"); err != nil || !got.Equal(until) {
		t.Fatalf("grant: %v %v, want %v", got, err, until)
	}
	if got, _ := s.BreakGlassUntil(ctx, store.Grantee{Issuer: "carex", Sub: "dr-b", Org: "A81001"}, "p1"); !got.IsZero() {
		t.Fatal("a grant is for one user only")
	}
	if got, _ := s.BreakGlassUntil(ctx, drA, "p2"); !got.IsZero() {
		t.Fatal("a grant is for one patient only")
	}
	later := until.Add(time.Hour)
	if err := s.GrantBreakGlass(ctx, drA, "p1", "EMERGENCY: again", later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.BreakGlassUntil(ctx, drA, "p1"); !got.Equal(later) {
		t.Fatalf("renewed grant: %v", got)
	}
}

// testGrantsPerOrganisation: a grant made for (sub, organisation A) is no
// grant for the same sub working for organisation B, nor for the same sub
// named by another issuer; and a grant at B neither changes A's nor is
// changed by it.
func testGrantsPerOrganisation(t *testing.T, s store.Store) {
	atA := store.Grantee{Issuer: "carex", Sub: "locum-1", Org: "A81001"}
	atB := store.Grantee{Issuer: "carex", Sub: "locum-1", Org: "B82002"}
	otherIss := store.Grantee{Issuer: "carex-dev", Sub: "locum-1", Org: "A81001"}
	until := time.Now().Add(4 * time.Hour).Truncate(time.Millisecond)
	if err := s.GrantBreakGlass(ctx, atA, "p1", "EMERGENCY: at A", until); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BreakGlassUntil(ctx, atA, "p1"); err != nil || !got.Equal(until) {
		t.Fatalf("grant at A: %v %v, want %v", got, err, until)
	}
	if got, err := s.BreakGlassUntil(ctx, atB, "p1"); err != nil || !got.IsZero() {
		t.Fatalf("a grant for (sub, org A) held for (sub, org B): %v %v", got, err)
	}
	if got, err := s.BreakGlassUntil(ctx, otherIss, "p1"); err != nil || !got.IsZero() {
		t.Fatalf("a grant for a sub of one issuer held for the same sub of another: %v %v", got, err)
	}
	later := until.Add(time.Hour)
	if err := s.GrantBreakGlass(ctx, atB, "p1", "EMERGENCY: at B", later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.BreakGlassUntil(ctx, atB, "p1"); !got.Equal(later) {
		t.Fatalf("grant at B: %v, want %v", got, later)
	}
	if got, _ := s.BreakGlassUntil(ctx, atA, "p1"); !got.Equal(until) {
		t.Fatalf("grant at A after one at B: %v, want %v", got, until)
	}
}

// testRelabel: a store that can relabel (store.Relabeler) stores the new
// derived fields of every version, current and older, moves the current
// version between compartments, and leaves bodies, versions and history
// as they were.
func testRelabel(t *testing.T, s store.Store) {
	r, ok := s.(store.Relabeler)
	if !ok {
		t.Skip("the store does not implement store.Relabeler")
	}
	c1 := `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"asthma"}}`
	commit(t, s, W(t, store.OpUpdate, "A81001", patientJSON), W(t, store.OpUpdate, "A81001", c1))
	commit(t, s, W(t, store.OpUpdate, "A81001", strings.Replace(c1, "asthma", "asthma, severe", 1)))
	before, err := s.Read(ctx, "Condition", "c1")
	if err != nil {
		t.Fatal(err)
	}
	// The new rules: every Condition is labelled PSY and belongs to p2 too.
	st, err := r.Relabel(ctx, func(v *store.Version) (store.Derived, error) {
		d := store.Derived{DataClass: v.DataClass, Labels: v.Labels, Patients: v.Patients, Codes: v.Codes, OtherCodes: v.OtherCodes, Date: v.Date, DateEnd: v.DateEnd}
		if v.Type == "Condition" {
			d.Labels, d.Patients = []string{"PSY"}, []string{"p1", "p2"}
			d.OtherCodes = []string{"http://snomed.info/sct|44054006"}
			d.Date, d.DateEnd = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2015, 12, 31, 23, 59, 59, 999e6, time.UTC)
		}
		return d, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Versions != 3 || st.Changed != 2 || st.Current != 1 {
		t.Errorf("relabel: %+v; want 3 versions, both of c1's changed, one of them current", st)
	}
	after, err := s.Read(ctx, "Condition", "c1")
	if err != nil || after.VersionID != before.VersionID || string(after.Raw) != string(before.Raw) || !after.LastUpdated.Equal(before.LastUpdated) {
		t.Fatalf("relabel changed the resource: %v\n%+v\n%+v", err, before.Meta, after.Meta)
	}
	if !slices.Equal(after.Labels, []string{"PSY"}) || !slices.Equal(after.Patients, []string{"p1", "p2"}) ||
		after.Codes != nil || !slices.Equal(after.OtherCodes, []string{"http://snomed.info/sct|44054006"}) ||
		after.Date.Year() != 2015 || after.DateEnd.Year() != 2015 || after.DateEnd.Month() != 12 {
		t.Errorf("current version: labels %v patients %v codes %v other codes %v dates %v to %v", after.Labels, after.Patients, after.Codes, after.OtherCodes, after.Date, after.DateEnd)
	}
	v1, err := s.VRead(ctx, "Condition", "c1", 1)
	if err != nil || !slices.Equal(v1.Labels, []string{"PSY"}) {
		t.Errorf("older version: %v labels %v", err, v1.Labels)
	}
	for _, p := range []string{"p1", "p2"} {
		res, err := s.Compartment(ctx, p, []string{"Condition"}, nil, store.Page{Count: 10})
		if err != nil || res.Total != 1 {
			t.Errorf("compartment of %s after relabel: %v, %d conditions", p, err, res.Total)
		}
	}
	// A later update's own derived fields win, and its compartment rows
	// follow it.
	commit(t, s, W(t, store.OpUpdate, "A81001", c1))
	if res, err := s.Compartment(ctx, "p2", []string{"Condition"}, nil, store.Page{Count: 10}); err != nil || res.Total != 0 {
		t.Errorf("compartment of p2 after an update that leaves it: %v, %d", err, res.Total)
	}
	if st, err := r.Relabel(ctx, func(v *store.Version) (store.Derived, error) {
		return store.Derived{DataClass: v.DataClass, Labels: v.Labels, Patients: v.Patients, Codes: v.Codes, OtherCodes: v.OtherCodes, Date: v.Date, DateEnd: v.DateEnd}, nil
	}); err != nil || st.Changed != 0 {
		t.Errorf("relabel with nothing to change: %+v %v", st, err)
	}
}

// testIntents: an access-log entry kept with a request's writes is stored
// exactly when the writes are, and forgotten only when asked.
func testIntents(t *testing.T, s store.Store) {
	keep := func(id string) func(store.Lookup) error {
		return func(l store.Lookup) error {
			l.Intend(id, func(res []*store.WriteResult) []byte {
				return []byte("entry " + id + " " + res[0].Version.Type + "/" + res[0].Version.ID)
			})
			return nil
		}
	}
	kept := func() string {
		t.Helper()
		ins, err := s.Intents(ctx)
		if err != nil {
			t.Fatalf("Intents: %v", err)
		}
		var out []string
		for _, in := range ins {
			out = append(out, in.ID+"="+string(in.Entry))
		}
		return strings.Join(out, "; ")
	}
	if got := kept(); got != "" {
		t.Fatalf("a new store keeps %q", got)
	}
	if _, err := s.Commit(ctx, []*store.Write{W(t, store.OpUpdate, "A81001", patientJSON)}, keep("a")); err != nil {
		t.Fatal(err)
	}
	// Refused in prepare after Intend; failing when applied (If-Match);
	// make returning nil: nothing kept.
	refuse := func(l store.Lookup) error {
		keep("b")(l)
		return errors.New("refused")
	}
	if _, err := s.Commit(ctx, []*store.Write{W(t, store.OpUpdate, "A81001", obsJSON)}, refuse); err == nil {
		t.Fatal("a refused commit succeeded")
	}
	stale := W(t, store.OpUpdate, "A81001", patientJSON)
	stale.IfMatch = 9
	if _, err := s.Commit(ctx, []*store.Write{stale}, keep("c")); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("If-Match 9 on version 1: %v", err)
	}
	none := func(l store.Lookup) error {
		l.Intend("d", func([]*store.WriteResult) []byte { return nil })
		return nil
	}
	if _, err := s.Commit(ctx, []*store.Write{W(t, store.OpUpdate, "A81001", obsJSON)}, none); err != nil {
		t.Fatal(err)
	}
	if got, want := kept(), "a=entry a Patient/p1"; got != want {
		t.Fatalf("kept %q, want %q", got, want)
	}
	if _, err := s.Commit(ctx, []*store.Write{W(t, store.OpDelete, "A81001", obsJSON)}, keep("e")); err != nil {
		t.Fatal(err)
	}
	// Forgotten with the next write, not before.
	s.ForgetIntents("a", "never-kept")
	if got, want := kept(), "a=entry a Patient/p1; e=entry e Observation/o1"; got != want {
		t.Fatalf("before the next write: kept %q, want %q", got, want)
	}
	if _, err := s.Commit(ctx, []*store.Write{W(t, store.OpUpdate, "A81001", patientJSON)}, keep("f")); err != nil {
		t.Fatal(err)
	}
	if got, want := kept(), "e=entry e Observation/o1; f=entry f Patient/p1"; got != want {
		t.Fatalf("after the next write: kept %q, want %q", got, want)
	}
	s.ForgetIntents("f")
	if err := s.DropIntents(ctx, "e"); err != nil {
		t.Fatal(err)
	}
	if got := kept(); got != "" {
		t.Fatalf("after DropIntents: kept %q", got)
	}
}
