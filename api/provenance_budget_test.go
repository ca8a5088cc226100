package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store"
)

// countingReads counts the items a request reads one by one.
type countingReads struct {
	store.Store
	reads atomic.Int64
}

func (s *countingReads) Read(ctx context.Context, typ, id string) (*store.Version, error) {
	s.reads.Add(1)
	return s.Store.Read(ctx, typ, id)
}

func (s *countingReads) VRead(ctx context.Context, typ, id string, ver int64) (*store.Version, error) {
	s.reads.Add(1)
	return s.Store.VRead(ctx, typ, id, ver)
}

// TestProvenanceOfManyTargetsCostsABoundedRequest: a Provenance may name
// any number of targets, and every request that decided it read each of
// them: one write of 1.6 MiB (50,001 targets) made every later opening of
// Jane's record read 50,001 items (about 1.3 s on this machine, each
// time), and $explain too. Now one naming more than 100 is withheld
// outside its source, none of its targets read, in $explain too; one of
// 100 targets is decided by them, and one of a single target is released
// beside them.
func TestProvenanceOfManyTargetsCostsABoundedRequest(t *testing.T) {
	var cs *countingReads
	e := newEnv(t, func(c *api.Config) {
		c.MaxBody = 8 << 20
		cs = &countingReads{Store: c.Store}
		c.Store = cs
	})
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	const n = 50000
	var b strings.Builder
	b.WriteString(`{"resourceType":"Provenance","id":"many","target":[{"reference":"Condition/diabetes"}`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `,{"reference":"Condition/c%d"}`, i)
	}
	b.WriteString(`],"recorded":"2026-03-01T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}],"activity":{"text":"PROV-MANY"}}`)
	if r := e.do("PUT", "/fhir/Provenance/many", gp, b.String()); r.status != 201 {
		t.Fatalf("%d %.300s", r.status, r.body)
	}
	few := `{"resourceType":"Provenance","id":"few","target":[{"reference":"Condition/diabetes"}],"recorded":"2026-03-01T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}],"activity":{"text":"PROV-FEW"}}`
	bound := func(id string, targets int) string {
		refs := []string{`{"reference":"Condition/diabetes"}`}
		for i := 1; i < targets; i++ {
			// The same item again: a target not stored would keep it
			// with its source anyway.
			refs = append(refs, `{"reference":"Condition/diabetes"}`)
		}
		return strings.NewReplacer(`"id":"few"`, `"id":"`+id+`"`, `[{"reference":"Condition/diabetes"}]`, "["+strings.Join(refs, ",")+"]", "PROV-FEW", "PROV-"+strings.ToUpper(id)).Replace(few)
	}
	e.putAll(t, gp, [2]string{"/fhir/Provenance/few", few},
		[2]string{"/fhir/Provenance/hundred", bound("hundred", 100)},
		[2]string{"/fhir/Provenance/hundred1", bound("hundred1", 101)})
	if r := e.do("GET", "/fhir/Provenance/hundred", clinician, ""); r.status != 200 {
		t.Errorf("a provenance of 100 targets: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Provenance/hundred1", clinician, ""); r.status != 404 {
		t.Errorf("a provenance of 101 targets: %d", r.status)
	}
	for _, path := range []string{"/fhir/Patient/jane/$everything", "/fhir/Provenance/many", "/fhir/Provenance?target=Condition/diabetes"} {
		before := cs.reads.Load()
		r := e.do("GET", path, clinician, "")
		if reads := cs.reads.Load() - before; reads > 5000 {
			t.Errorf("%s read %d items one by one for a provenance of %d targets", path, reads, n+1)
		}
		if strings.Contains(r.body, "PROV-MANY") {
			t.Errorf("%s released a provenance whose targets were not all decided: %d", path, r.status)
		}
		if path != "/fhir/Provenance/many" && !strings.Contains(r.body, "PROV-FEW") {
			t.Errorf("%s left out the provenance of the diabetes alone: %d %.300s", path, r.status, r.body)
		}
		if path == "/fhir/Patient/jane/$everything" && (r.status != 200 || !strings.Contains(r.body, "GP-DIABETES")) {
			t.Errorf("%s: %d %.300s", path, r.status, r.body)
		}
	}
	before := cs.reads.Load()
	got := explainEffects(t, e, url.Values{"role": {"hospital-clinician"}, "org": {"RHX"}, "sector": {"nhs"}})
	if got["Provenance/many"] == "permit" || got["Provenance/hundred1"] == "permit" || got["Provenance/few"] != "permit" || got["Provenance/hundred"] != "permit" {
		t.Errorf("$explain: many %q, 101 targets %q, few %q, 100 targets %q", got["Provenance/many"], got["Provenance/hundred1"], got["Provenance/few"], got["Provenance/hundred"])
	}
	if reads := cs.reads.Load() - before; reads > 5000 {
		t.Errorf("$explain read %d items one by one", reads)
	}
	// Its source reads it as its own.
	if r := e.do("GET", "/fhir/Provenance/many", gp, ""); r.status != 200 {
		t.Errorf("the source's read: %d", r.status)
	}
}
