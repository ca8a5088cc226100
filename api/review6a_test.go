package api_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
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

// TestBreakGlassGrantStoredWithoutItsEntry: a break-glass request stores
// a grant in the records database (gate.flush) before its entry is
// written, and that write keeps no entry with it. When the entry is lost
// (the log fails, or the server stops, between the two) the grant still
// lets the user into the person's record for hours without the header,
// and the log holds neither the stated reason nor the access that opened
// the record: IG's list of break-glass accesses finds the later accesses
// only through an entry that carried the reason, so it lists none of
// them.
func TestBreakGlassGrantStoredWithoutItsEntry(t *testing.T) {
	var lose bool
	e, restart := lossyEnv(t, func(x *api.Exchange) bool { return lose && x.BreakGlass != "" })
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	if r := e.do("GET", "/fhir/Patient/margaret", ae, ""); r.status != 403 {
		t.Fatalf("no relationship, no break-glass: %d %s", r.status, r.body)
	}
	lose = true
	if r := e.do("GET", "/fhir/Patient/margaret", ae, "", "X-Break-Glass", bgReason); r.status != 500 {
		t.Fatalf("a break-glass read whose entry was lost: %d %s", r.status, r.body)
	}
	lose = false
	r := e.do("GET", "/fhir/Patient/margaret", ae, "")
	all, l := restart()
	if r.status == 200 {
		// Let in by a grant whose opening the log does not hold.
		if !slices.ContainsFunc(all, func(en *auditlog.Entry) bool { return en.BreakGlass == bgReason }) {
			t.Errorf("Margaret's record was opened under a break-glass grant, but no entry of the log states the reason (the request that broke glass has no entry)")
		}
	}
	// Every access under break-glass is in IG's list of break-glass accesses.
	var marked, listed int
	for _, en := range all {
		if en.Sub == "hospital-clinician-user" && en.Patient == "margaret" && slices.Contains(en.Reasons, "break-glass") {
			marked++
		}
	}
	if err := l.Scan(context.Background(), auditlog.Query{BreakGlassAccesses: true, Patient: "margaret"}, func(*auditlog.Entry) error {
		listed++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if listed != marked {
		t.Errorf("IG's break-glass list for Margaret has %d entries; %d entries of the log are break-glass accesses to her record", listed, marked)
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

// failingGrants is the records database refusing to store break-glass
// grants (a full disk, a locked file): the write that stores a request's
// changes has already committed.
type failingGrants struct{ *sqlite.DB }

func (failingGrants) GrantBreakGlass(context.Context, store.Grantee, string, string, time.Time) error {
	return errors.New("disk I/O error")
}

// TestChangeAnsweredAnErrorAfterItsCommit: a change that was committed
// and then answered an error (here: the break-glass grant its conditional
// reference opened could not be stored, flush running after the handler
// and before Record) is logged by setError with nothing released, and its
// kept entry is forgotten once that entry is durable: the log then says
// the request failed and stored nothing, though its change is stored, and
// no entry releases what it wrote. Had the server stopped before the next
// write, the kept entry would have been added too: a second entry for the
// one request, contradicting the first. (Grants are now stored after the
// entry; a panic after the commit still takes this path.)
func TestChangeAnsweredAnErrorAfterItsCommit(t *testing.T) {
	e, restart := lossyEnv(t, func(*api.Exchange) bool { return false }, func(cfg *api.Config) {
		cfg.Store = failingGrants{cfg.Store.(*sqlite.DB)}
	})
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	// A transaction naming the person by a conditional reference, which
	// is matched under break-glass and opens their record.
	create := func(who, id string) {
		t.Helper()
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final",
		 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient?_id=` + who + `"}},"request":{"method":"POST","url":"Observation"}}]}`
		// Answered 500 (the grant failed after the commit), or 200.
		e.do("POST", "/fhir", ae, tx, "X-Break-Glass", bgReason, "X-Request-ID", id)
	}
	create("margaret", "bg-1")
	// The next write forgets bg-1's kept entry.
	if r := e.do("PUT", "/fhir/Patient/margaret", e.token("system", "nhs", "A81001"), `{"resourceType":"Patient","id":"margaret","name":[{"family":"Jones","given":["Margaret"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	create("arthur", "bg-2") // the server stops before another write
	all, _ := restart()
	found, err := e.db.Search(context.Background(), &search.Query{Type: "Observation", Count: 10}, nil)
	if err != nil || len(found.Items) != 2 {
		t.Fatalf("the Observations stored: %v %v", found, err)
	}
	for _, v := range found.Items {
		if n := len(entriesReleasing(all, v.Type+"/"+v.ID+"/_history/1")); n != 1 {
			t.Errorf("the stored Observation about %v is in %d write entries of the log, want 1", v.Patients, n)
		}
	}
	for _, id := range []string{"bg-1", "bg-2"} {
		var mine []string
		for _, en := range all {
			if en.RequestID == id {
				mine = append(mine, fmt.Sprintf("%d %s %v", en.Status, en.Decision, en.Released))
			}
		}
		if len(mine) != 1 {
			t.Errorf("request %s has %d entries, want 1: %v", id, len(mine), mine)
		}
	}
}

// TestRecoveredEntryNamesTheNHSNumber: the access stage adds to a write's
// entry the NHS number of the person whose record it touched (the
// $who-accessed report and the AuditEvent show it beside the patient id);
// the kept entry is made before that, so a recovered entry had none.
func TestRecoveredEntryNamesTheNHSNumber(t *testing.T) {
	lose := false
	e, restart := lossyEnv(t, func(*api.Exchange) bool { return lose })
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/jane", janeJSON})
	obs := func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/jane"}}`
	}
	e.putAll(t, sys, [2]string{"/fhir/Observation/logged", obs("logged")})
	lose = true
	e.do("PUT", "/fhir/Observation/recovered", sys, obs("recovered"))
	all, _ := restart()
	for _, id := range []string{"logged", "recovered"} {
		got := entriesReleasing(all, "Observation/"+id+"/_history/1")
		if len(got) != 1 {
			t.Fatalf("Observation/%s is in %d entries", id, len(got))
		}
		if en := got[0]; en.Patient != "jane" || en.NHSNumber != "9434765919" {
			t.Errorf("the entry of Observation/%s names patient %q, NHS number %q; want jane, 9434765919", id, en.Patient, en.NHSNumber)
		}
	}
}

// TestRecoveryAfterARetryThatMatchesEverything: a feed told "stored, do
// not send it again" sends the transaction again anyway, with the same
// request id; every entry is a conditional create, which now matches what
// the first one stored, so the retry releases exactly the versions the
// first wrote. The first's lost entry must still be added at the start
// (found by the kept copy's own id, not by request id and versions).
func TestRecoveryAfterARetryThatMatchesEverything(t *testing.T) {
	var lost map[string]bool
	e, restart := lossyEnv(t, func(x *api.Exchange) bool { return lost[x.Method+" "+x.Path] })
	sys := e.token("system", "nhs", "A81001")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith"}]},
	  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}}]}`
	lost = map[string]bool{"POST /fhir": true}
	if r := e.do("POST", "/fhir", sys, tx, "X-Request-ID", "feed-9"); r.status != 500 {
		t.Fatalf("the transaction whose entry is lost: %d %s", r.status, r.body)
	}
	lost = nil
	r := e.do("POST", "/fhir", sys, tx, "X-Request-ID", "feed-9")
	if r.status != 200 || !strings.Contains(r.body, `"200 OK"`) {
		t.Fatalf("the retry, matching what the first stored: %d %s", r.status, r.body)
	}
	all, _ := restart()
	recovered := 0
	for _, en := range all {
		if slices.Contains(en.Reasons, api.ReasonEntryRecovered) {
			recovered++
		}
	}
	if recovered != 1 {
		t.Errorf("entries added at the start: %d, want the first transaction's", recovered)
	}
}
