package api

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store"
)

// A store carries a context over a write that only moved a source's time
// (store/sqlite's withSources): the successor shares Stable. The records
// must be decoded once, and each context must decide with its own sources:
// the successor's new times, the predecessor's old ones untouched.
func TestDeriveContextSharesRecordsNotSources(t *testing.T) {
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	patient := &store.Version{Meta: store.Meta{Type: "Patient", ID: "p1", SourceOrg: "A81001"},
		Raw: []byte(`{"resourceType":"Patient","id":"p1","generalPractitioner":[{"reference":"Organization/A81001"}]}`)}
	team := &store.Version{Meta: store.Meta{Type: "CareTeam", ID: "ct1", SourceOrg: "RX1"},
		Raw: []byte(`{"resourceType":"CareTeam","id":"ct1","status":"active","participant":[{"member":{"reference":"Organization/C00001"}},{"member":{"reference":"Organization/RX1"}}]}`)}
	first := &store.PatientContext{Patient: patient, Links: []*store.Version{team},
		Sources: map[string]time.Time{"A81001": t1}, Stable: new(atomic.Value)}
	next := &store.PatientContext{Patient: patient, Links: first.Links,
		Sources: map[string]time.Time{"A81001": t2}, Stable: first.Stable}

	// Three relationships from the records (a list with room for a fourth):
	// the sources must not be appended into the shared list.
	d1 := deriveContext("p1", first)
	before := relationships(d1.pat)
	d2 := deriveContext("p1", next)

	if deriveRecords("p1", first) != deriveRecords("p1", next) {
		t.Error("the successor decoded the shared records again")
	}
	for _, c := range []struct {
		name string
		pc   *store.PatientContext
		d    *derived
	}{{"predecessor", first, d1}, {"successor", next, d2}} {
		if got, want := relationships(c.d.pat), relationships(patientFromContext("p1", c.pc)); !slices.Equal(got, want) {
			t.Errorf("%s: relationships\n got %v\nwant %v", c.name, got, want)
		}
	}
	if after := relationships(d1.pat); !slices.Equal(after, before) {
		t.Errorf("deriving the successor changed the predecessor's relationships:\n got %v\nwant %v", after, before)
	}
	if deriveContext("p1", next) != d2 {
		t.Error("the successor's derived values were not kept in its Memo")
	}

	// A context without Stable (another store) still derives correctly.
	alone := &store.PatientContext{Patient: patient, Links: first.Links, Sources: next.Sources}
	if got, want := relationships(deriveContext("p1", alone).pat), relationships(d2.pat); !slices.Equal(got, want) {
		t.Errorf("without Stable: relationships\n got %v\nwant %v", got, want)
	}
}

func relationships(p consent.Patient) []string {
	var out []string
	for _, r := range p.Relationships {
		out = append(out, fmt.Sprintf("%s %v %s %s", r.Org, r.Kind, r.Until.Format(time.RFC3339), r.LastRecorded.Format(time.RFC3339)))
	}
	slices.Sort(out)
	return out
}

// BenchmarkDeriveContext: what deriving a person's sharing context costs
// the first request after a load (every resource decoded) and after a
// write that only moved a source's time (records shared through Stable).
func BenchmarkDeriveContext(b *testing.B) {
	v := func(typ, id, src, raw string) *store.Version {
		return &store.Version{Meta: store.Meta{Type: typ, ID: id, SourceOrg: src}, Raw: []byte(raw)}
	}
	patient := v("Patient", "p1", "A81001", `{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2026-01-01T00:00:00Z"},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Example","given":["Alex"]}],"gender":"female","birthDate":"1941-03-02","address":[{"line":["1 High Street"],"city":"Leeds","postalCode":"LS1 1AA"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	links := []*store.Version{
		v("CareTeam", "ct1", "RX1", `{"resourceType":"CareTeam","id":"ct1","status":"active","subject":{"reference":"Patient/p1"},"participant":[{"member":{"reference":"Organization/RX1"}},{"member":{"reference":"Organization/E06000999"}}],"managingOrganization":[{"reference":"Organization/RX1"}]}`),
		v("EpisodeOfCare", "eoc1", "E06000999", `{"resourceType":"EpisodeOfCare","id":"eoc1","status":"active","patient":{"reference":"Patient/p1"},"managingOrganization":{"reference":"Organization/E06000999"},"period":{"start":"2025-06-01"}}`),
		v("Consent", "c1", "A81001", `{"resourceType":"Consent","id":"c1","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p1"},"dateTime":"2026-01-01","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}],"provision":[{"type":"permit","class":[{"system":"http://hl7.org/fhir/resource-types","code":"CarePlan"}]}]}}`),
	}
	sources := map[string]time.Time{"A81001": time.Now(), "RX1": time.Now(), "E06000999": time.Now()}
	shared := new(atomic.Value)
	deriveContext("p1", &store.PatientContext{Patient: patient, Links: links, Sources: sources, Stable: shared})
	for _, c := range []struct {
		name   string
		stable *atomic.Value
	}{{"after-load", nil}, {"successor", shared}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				deriveContext("p1", &store.PatientContext{Patient: patient, Links: links, Sources: sources, Stable: c.stable})
			}
		})
	}
}

// patientFromContext is deriveContext's patient worked out directly, the
// oracle the memoised derivation is checked against.
func patientFromContext(id string, pc *store.PatientContext) consent.Patient {
	p := patientFromRecords(id, pc, nil)
	p.Relationships = append(p.Relationships, sourceRelationships(pc)...)
	return p
}
