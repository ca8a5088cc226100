package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// review 6a: the entry kept with a change (commit 5e7793f).

// lossyEnv is a server whose access log loses the entries lose picks (as
// a server stopped between the commit and the log write does), and
// restart, which closes the log, opens it again and runs the recovery a
// restarted carex serve runs; it returns every entry of the log.
func lossyEnv(t *testing.T, lose func(x *api.Exchange) bool, opts ...func(*api.Config)) (e *env, restart func() ([]*auditlog.Entry, *auditlog.Log)) {
	t.Helper()
	var db *sqlite.DB
	var open func() *auditlog.Log
	var l *auditlog.Log
	e = newEnv(t, append([]func(*api.Config){func(cfg *api.Config) {
		db = cfg.Store.(*sqlite.DB)
		open = reopenableLog(t, db)
		l = open()
		cfg.Recorder = dropping{api.LogRecorder{Log: l}, lose}
		cfg.AuditLog = l
	}}, opts...)...)
	restart = func() ([]*auditlog.Entry, *auditlog.Log) {
		t.Helper()
		l.Close()
		l = open()
		srv := api.New(api.Config{Store: db, Recorder: api.LogRecorder{Log: l}, AuditLog: l, Dev: true})
		if _, err := srv.RecoverIntents(context.Background()); err != nil {
			t.Fatalf("recovery at start: %v", err)
		}
		var all []*auditlog.Entry
		if err := l.Scan(context.Background(), auditlog.Query{}, func(en *auditlog.Entry) error {
			all = append(all, en)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return all, l
	}
	return e, restart
}

// entriesReleasing are the write entries (not reads) that release v.
func entriesReleasing(all []*auditlog.Entry, v string) []*auditlog.Entry {
	var out []*auditlog.Entry
	for _, en := range all {
		switch en.Operation {
		case "create", "update", "delete", "transaction":
			if slices.Contains(en.Released, v) {
				out = append(out, en)
			}
		}
	}
	return out
}

// TestRecoveryMissesAChangeWhenARequestIDIsReused: X-Request-ID is the
// client's to choose (a feed that retries, or one that sends the same id
// every time), and a transaction's entry releases the versions it matched
// (a conditional create that found the Patient) as well as those it
// wrote. Recovery took a kept entry as logged when any one of its
// versions was in an entry of the same request id and operation, from the
// smallest Since of all kept entries: an earlier transaction of the same
// id that matched the same Patient hid the later one, whose Observation
// was then stored with no entry at all.
func TestRecoveryMissesAChangeWhenARequestIDIsReused(t *testing.T) {
	var lost map[string]bool
	e, restart := lossyEnv(t, func(x *api.Exchange) bool { return lost[x.Method+" "+x.Path] })
	sys := e.token("system", "nhs", "A81001")
	const janeNHS = `{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}`
	jane := `{"resourceType":"Patient","id":"jane","identifier":[` + janeNHS + `],"name":[{"family":"Smith"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	if r := e.do("PUT", "/fhir/Patient/jane", sys, jane); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	// Some other change whose entry was lost (the log failed for a moment).
	lost = map[string]bool{"PUT /fhir/Patient/other": true}
	if r := e.do("PUT", "/fhir/Patient/other", sys, `{"resourceType":"Patient","id":"other","name":[{"family":"Other"}]}`); r.status != 500 {
		t.Fatalf("a write whose entry was lost: %d %s", r.status, r.body)
	}
	// The feed's transactions, both with its request id: the Patient by
	// conditional create (it matches Jane), then an Observation.
	tx := func(obs string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":` + strings.Replace(jane, `"id":"jane",`, "", 1) + `,
		  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}},
		 {"resource":{"resourceType":"Observation","id":"` + obs + `","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
		  "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},"request":{"method":"PUT","url":"Observation/` + obs + `"}}]}`
	}
	lost = nil
	if r := e.do("POST", "/fhir", sys, tx("pulse-1"), "X-Request-ID", "feed-7"); r.status != 200 {
		t.Fatalf("first transaction: %d %s", r.status, r.body)
	}
	lost = map[string]bool{"POST /fhir": true}
	if r := e.do("POST", "/fhir", sys, tx("pulse-2"), "X-Request-ID", "feed-7"); r.status != 500 {
		t.Fatalf("second transaction, whose entry is lost: %d %s", r.status, r.body)
	}
	all, _ := restart()
	for _, v := range []string{"Patient/other/_history/1", "Observation/pulse-1/_history/1", "Observation/pulse-2/_history/1"} {
		if n := len(entriesReleasing(all, v)); n != 1 {
			t.Errorf("%s is in %d write entries of the log after recovery, want 1", v, n)
		}
	}
}

// TestRecoveredEntryNamesNoMarker: an item naming a person by an NHS
// number no Patient carries notes the marker "nhs|<number>" for the log
// entry, which the access stage resolves (resolveNamed) to the Patients
// carrying it, or to no one. The entry kept with the change is made before
// that, from the raw markers: the recovered entry names "nhs|4010232137"
// as a patient id, which no entry may (TestNamedByNHSNumberLogged).
func TestRecoveredEntryNamesNoMarker(t *testing.T) {
	lose := false
	e, restart := lossyEnv(t, func(x *api.Exchange) bool { return lose })
	hosp := e.token("system", "nhs", "RHX")
	lose = true
	if r := e.do("PUT", "/fhir/Condition/unknown", hosp, `{"resourceType":"Condition","id":"unknown","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}},"code":{"text":"X"}}`); r.status != 500 {
		t.Fatalf("a write whose entry was lost: %d %s", r.status, r.body)
	}
	all, _ := restart()
	got := entriesReleasing(all, "Condition/unknown/_history/1")
	if len(got) != 1 {
		t.Fatalf("the write is in %d entries after recovery", len(got))
	}
	if en := got[0]; strings.HasPrefix(en.Patient, "nhs|") || slices.ContainsFunc(en.Patients, func(p string) bool { return strings.HasPrefix(p, "nhs|") }) {
		t.Errorf("the recovered entry names %q %v (a marker, not a person)", en.Patient, en.Patients)
	}
}
