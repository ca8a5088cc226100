package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestFewMatchesAsWindow: a search that reads its bodies with the metadata
// (fewMatches) answers exactly as the two-statement window does, for every
// release filter and page: the same resources, versions, bodies and total,
// and no body of a row the filter withholds.
func TestFewMatchesAsWindow(t *testing.T) {
	db := openAt(t, "")
	ctx := context.Background()
	const nhs = "https://fhir.nhs.uk/Id/nhs-number"
	// p1 and p2 share an NHS number (a duplicate record); p3 has two numbers.
	for _, p := range []struct{ id, idents string }{
		{"p1", `{"system":"` + nhs + `","value":"9000000009"}`},
		{"p2", `{"system":"` + nhs + `","value":"9000000009"}`},
		{"p3", `{"system":"` + nhs + `","value":"9000000017"},{"system":"https://carex.example/mrn","value":"M1"}`},
		{"p4", `{"system":"https://carex.example/mrn","value":"M1"}`},
	} {
		body := fmt.Sprintf(`{"resourceType":"Patient","id":"%s","identifier":[%s],"name":[{"family":"Fam-%s"}]}`, p.id, p.idents, p.id)
		if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", body)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// p2 updated: its current version is 2.
	up := `{"resourceType":"Patient","id":"p2","identifier":[{"system":"` + nhs + `","value":"9000000009"}],"name":[{"family":"Fam-p2-v2"}]}`
	if _, err := db.Commit(ctx, []*store.Write{storetest.W(t, store.OpUpdate, "A81001", up)}, nil); err != nil {
		t.Fatal(err)
	}
	hide := func(ids ...string) store.Visible {
		return func(m *store.Meta) bool {
			for _, id := range ids {
				if m.ID == id {
					return false
				}
			}
			return true
		}
	}
	filters := map[string]store.Visible{"all": nil, "not p1": hide("p1"), "not p2": hide("p2"), "none": hide("p1", "p2", "p3", "p4")}
	pages := []store.Page{{Count: 10}, {Count: 1}, {Count: 1, Offset: 1}, {Count: 0}, {Count: 5, Offset: 3}}
	for _, tc := range []struct {
		q     string
		few   bool
		total int // with no filter
	}{
		{"identifier=" + nhs + "|9000000009", true, 2},
		{"identifier=" + nhs + "|9000000017", true, 1},
		{"identifier=" + nhs + "|9000000009," + nhs + "|9000000017", true, 3},
		{"identifier=https://carex.example/mrn|M1", true, 2},
		{"identifier=" + nhs + "|1111111111", true, 0},
		{"_id=p2", true, 1},
		{"_id=p1,p3,p9", true, 2},
		{"identifier=9000000009", false, 2}, // no system: any system's value
		{"identifier=" + nhs + "|", false, 3},
		{"family=Fam", false, 4},
		{"identifier:not=" + nhs + "|9000000009", false, 2},
	} {
		q := storetest.Query(t, "Patient", tc.q)
		if got := fewMatches(q); got != tc.few {
			t.Errorf("fewMatches(%s) = %v, want %v", tc.q, got, tc.few)
		}
		withBody, wargs, err := buildSearchCols(q, true)
		if err != nil {
			t.Fatal(err)
		}
		plain, pargs, err := buildSearchCols(q, false)
		if err != nil {
			t.Fatal(err)
		}
		for name, vis := range filters {
			for _, p := range pages {
				got, err := db.window(ctx, withBody, wargs, vis, p, true)
				if err != nil {
					t.Fatalf("%s, %s, %+v: %v", tc.q, name, p, err)
				}
				want, err := db.window(ctx, plain, pargs, vis, p, false)
				if err != nil {
					t.Fatal(err)
				}
				if name == "all" && p.Offset == 0 && got.Total != tc.total {
					t.Errorf("%s: total %d, want %d", tc.q, got.Total, tc.total)
				}
				if got.Total != want.Total || len(got.Items) != len(want.Items) {
					t.Fatalf("%s, %s, %+v: total %d, %d items; the window gives %d, %d", tc.q, name, p, got.Total, len(got.Items), want.Total, len(want.Items))
				}
				for i, g := range got.Items {
					w := want.Items[i]
					if g.Type != w.Type || g.ID != w.ID || g.VersionID != w.VersionID || string(g.Raw) != string(w.Raw) || len(g.Raw) == 0 {
						t.Fatalf("%s, %s, %+v: item %d is %s/%s/%d %q; the window gives %s/%s/%d %q", tc.q, name, p, i, g.Type, g.ID, g.VersionID, g.Raw, w.Type, w.ID, w.VersionID, w.Raw)
					}
					if vis != nil && !vis(&g.Meta) {
						t.Fatalf("%s, %s: %s/%s released although withheld", tc.q, name, g.Type, g.ID)
					}
				}
			}
		}
		// And through Search, which picks the path.
		res, err := db.Search(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != tc.total {
			t.Errorf("Search(%s): total %d, want %d", tc.q, res.Total, tc.total)
		}
		for _, v := range res.Items {
			one, err := db.Read(ctx, v.Type, v.ID)
			if err != nil || string(one.Raw) != string(v.Raw) {
				t.Fatalf("Search(%s): %s/%s body %q, a read gives %q (%v)", tc.q, v.Type, v.ID, v.Raw, one.Raw, err)
			}
		}
	}
}

// BenchmarkLoadPatientContext: loading one person's sharing context from
// SQLite (a cache miss: after a write to their record, or a first visit),
// for a record of a Patient, a care team, a care package, two consents and
// 20 observations.
func BenchmarkLoadPatientContext(b *testing.B) {
	db := openAt(b, "")
	ctx := context.Background()
	const pat = `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1940-02-03","generalPractitioner":[{"reference":"Organization/A81001"}]}`
	ws := []*store.Write{
		storetest.W(b, store.OpUpdate, "A81001", pat),
		storetest.W(b, store.OpUpdate, "RCX", `{"resourceType":"CareTeam","id":"ct1","status":"active","subject":{"reference":"Patient/p1"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`),
		storetest.W(b, store.OpUpdate, "E06000999", `{"resourceType":"EpisodeOfCare","id":"eoc1","status":"active","patient":{"reference":"Patient/p1"},"managingOrganization":{"reference":"Organization/E06000999"}}`),
	}
	for i := range 2 {
		ws = append(ws, storetest.W(b, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"Consent","id":"c%d","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p1"},"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"provision":{"type":"permit"}}`, i)))
	}
	for i := range 20 {
		ws = append(ws, storetest.W(b, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":%d,"unit":"/min"}}`, i, 60+i)))
	}
	if _, err := db.Commit(ctx, ws, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		pc, err := db.loadPatientContext(ctx, "p1")
		if err != nil || pc.Patient == nil || len(pc.Links) != 4 {
			b.Fatalf("%v: %+v", err, pc)
		}
	}
}

// TestReaderCacheSize: the record readers get their share of the larger
// page cache (a pragma in the readers' DSN), the writer keeps SQLite's
// default.
func TestReaderCacheSize(t *testing.T) {
	db := openAt(t, "")
	var r, w int
	if err := db.reader.QueryRow(`PRAGMA cache_size`).Scan(&r); err != nil {
		t.Fatal(err)
	}
	if err := db.writer.QueryRow(`PRAGMA cache_size`).Scan(&w); err != nil {
		t.Fatal(err)
	}
	if want := -readerCache(defaultReaders()); r != want || w != -2000 {
		t.Fatalf("cache_size: readers %d, writer %d; want %d and -2000", r, w, want)
	}
	// Shared out: 8 MiB each for four readers, never below SQLite's default.
	if readerCache(4) != 8192 || readerCache(32) != 2000 {
		t.Fatalf("reader cache: %d KiB each for 4 readers, %d for 32", readerCache(4), readerCache(32))
	}
}
