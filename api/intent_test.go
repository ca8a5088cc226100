package api_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// dropping is the access log with the entries of chosen requests lost
// after their changes were committed: what a server stopped (kill -9, the
// power) between the commit and the log write leaves.
type dropping struct {
	api.LogRecorder
	lose func(x *api.Exchange) bool
}

func (d dropping) Record(ctx context.Context, x *api.Exchange) error {
	if d.lose(x) {
		return errors.New("the server stopped before the entry was written")
	}
	return d.LogRecorder.Record(ctx, x)
}

// reopenableLog opens the access log beside db with one key, so a test
// can close it and open it again as a restarted server does.
func reopenableLog(t testing.TB, db *sqlite.DB) func() *auditlog.Log {
	skey, _, err := auditlog.GenerateKey("carex-test-log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return func() *auditlog.Log {
		w, r, err := sqlite.OpenConns(strings.TrimSuffix(db.Path(), ".db")+"-access.db", 0)
		if err != nil {
			t.Fatal(err)
		}
		l, err := auditlog.Open(context.Background(), w, r, auditlog.Options{Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(); r.Close(); w.Close() })
		return l
	}
}

// TestChangeStoredWithoutItsEntryIsLoggedAtStart: every change carex
// stores has an access-log entry, even when the server stops between the
// commit and the log write. The entry kept with the change is added at the
// next start, marked entry-recovered, once; changes whose entries were
// logged are not logged twice.
func TestChangeStoredWithoutItsEntryIsLoggedAtStart(t *testing.T) {
	var db *sqlite.DB
	var open func() *auditlog.Log
	var l *auditlog.Log
	lost := map[string]bool{"PUT /fhir/Patient/w2": true, "POST /fhir": true, "PUT /fhir/Observation/o1": true}
	e := newEnv(t, func(cfg *api.Config) {
		db = cfg.Store.(*sqlite.DB)
		open = reopenableLog(t, db)
		l = open()
		cfg.Recorder = dropping{api.LogRecorder{Log: l}, func(x *api.Exchange) bool { return lost[x.Method+" "+x.Path] }}
		cfg.AuditLog = l
	})
	sys := e.token("system", "nhs", "A81001")
	patient := func(id string) string {
		return `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"Kept"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	}
	for i := range 4 {
		id := fmt.Sprintf("w%d", i)
		r := e.do("PUT", "/fhir/Patient/"+id, sys, patient(id))
		if want := 201; id == "w2" {
			want = 500 // its entry was lost: nothing released
		} else if r.status != want {
			t.Fatalf("PUT %s: %d %s", id, r.status, r.body)
		}
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + patient("t1") + `,"request":{"method":"PUT","url":"Patient/t1"}},
	 {"resource":{"resourceType":"Observation","id":"t1-o","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/t1"}},"request":{"method":"PUT","url":"Observation/t1-o"}}]}`
	if r := e.do("POST", "/fhir", sys, tx); r.status != 500 {
		t.Fatalf("transaction whose entry was lost: %d %s", r.status, r.body)
	}
	// A batch entry logs as its own request: its entry lost alone.
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/w0"}},"request":{"method":"PUT","url":"Observation/o1"}},
	 {"resource":{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/w0"}},"request":{"method":"PUT","url":"Observation/o2"}}]}`
	delete(lost, "POST /fhir")
	if r := e.do("POST", "/fhir", sys, batch); r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	// Restart: the log and the server.
	l.Close()
	l = open()
	srv := api.New(api.Config{Store: db, Recorder: api.LogRecorder{Log: l}, AuditLog: l, Verifier: nil, Dev: true})
	added, err := srv.RecoverIntents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if added != 3 {
		t.Errorf("added %d entries at start, want 3 (w2, the transaction, o1)", added)
	}
	// Each written version is in exactly one write entry of the log.
	count := map[string]int{}
	recovered := map[string]*auditlog.Entry{}
	var all []*auditlog.Entry
	if err := l.Scan(context.Background(), auditlog.Query{}, func(en *auditlog.Entry) error {
		all = append(all, en)
		for _, v := range en.Released {
			count[v]++
			if slices.Contains(en.Reasons, api.ReasonEntryRecovered) {
				recovered[v] = en
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"Patient/w0/_history/1", "Patient/w1/_history/1", "Patient/w2/_history/1", "Patient/w3/_history/1",
		"Patient/t1/_history/1", "Observation/t1-o/_history/1", "Observation/o1/_history/1", "Observation/o2/_history/1"} {
		if count[v] != 1 {
			t.Errorf("%s is in %d entries, want 1", v, count[v])
		}
	}
	for v, op := range map[string]string{"Patient/w2/_history/1": "update", "Patient/t1/_history/1": "transaction", "Observation/o1/_history/1": "update"} {
		en := recovered[v]
		if en == nil {
			t.Errorf("%s: no entry-recovered entry", v)
			continue
		}
		if en.Operation != op || en.Sub != "system-user" || en.Org != "A81001" || en.Decision != "permit" || en.Status/100 != 2 {
			t.Errorf("%s: recovered entry %+v, want %s by system-user of A81001, permit, 2xx", v, en, op)
		}
	}
	if en := recovered["Patient/t1/_history/1"]; en != nil && (en.Patient != "t1" || !slices.Contains(en.Released, "Observation/t1-o/_history/1")) {
		t.Errorf("the transaction's recovered entry: patient %q, released %v", en.Patient, en.Released)
	}
	if len(recovered) != 4 {
		t.Errorf("entry-recovered entries release %d versions, want 4: %v", len(recovered), recovered)
	}
	// IG is told.
	alerted := 0
	for _, a := range auditlog.Alerts(all, auditlog.DefaultThresholds()) {
		if a.Code == api.ReasonEntryRecovered {
			alerted++
		}
	}
	if alerted == 0 {
		t.Error("no IG alert for the entries added at start")
	}
	// Nothing left to add: a second start adds nothing.
	if ins, err := db.Intents(context.Background()); err != nil || len(ins) != 0 {
		t.Errorf("kept entries after recovery: %d (%v)", len(ins), err)
	}
	if added, err := srv.RecoverIntents(context.Background()); added != 0 || err != nil {
		t.Errorf("second recovery added %d (%v)", added, err)
	}
}

// TestKeptEntriesAreForgotten: in normal running a write's kept entry is
// dropped with the next write transaction after its own entry is logged,
// so the table holds at most the last writes' entries.
func TestKeptEntriesAreForgotten(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	sys := e.token("system", "nhs", "A81001")
	for i := range 20 {
		id := fmt.Sprintf("f%d", i)
		e.putAll(t, sys, [2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"F"}]}`})
	}
	ins, err := e.db.Intents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || !strings.Contains(string(ins[0].Entry), "Patient/f19/_history/1") {
		t.Fatalf("kept after 20 logged writes: %d entries, want the last one alone", len(ins))
	}
	// A read keeps nothing; a refused write keeps nothing.
	e.do("GET", "/fhir/Patient/f1", sys, "")
	e.do("PUT", "/fhir/Patient/f1", sys, `{"resourceType":"Patient","id":"f1","birthDate":"1950-02-30"}`)
	if ins, _ := e.db.Intents(context.Background()); len(ins) != 1 {
		t.Fatalf("kept %d after a read and a refused write, want 1", len(ins))
	}
}

// panicsAfterCommit is a store whose Commit stores the change and then
// panics: a bug in what runs after the commit.
type panicsAfterCommit struct{ *sqlite.DB }

func (p panicsAfterCommit) Commit(ctx context.Context, ws []*store.Write, prepare func(store.Lookup) error) ([]*store.WriteResult, error) {
	if _, err := p.DB.Commit(ctx, ws, prepare); err != nil {
		return nil, err
	}
	panic("after the commit")
}

// TestChangeAnsweredAnErrorKeepsItsEntry: a change stored but answered
// 500 (a panic after the commit) is logged as an error with nothing
// released; what was stored reaches the log at the next start, from the
// entry kept with it.
func TestChangeAnsweredAnErrorKeepsItsEntry(t *testing.T) {
	var db *sqlite.DB
	var open func() *auditlog.Log
	var l *auditlog.Log
	e := newEnv(t, func(cfg *api.Config) {
		db = cfg.Store.(*sqlite.DB)
		cfg.Store = panicsAfterCommit{db}
		open = reopenableLog(t, db)
		l = open()
		cfg.Recorder, cfg.AuditLog = api.LogRecorder{Log: l}, l
	})
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/pa", sys, `{"resourceType":"Patient","id":"pa","name":[{"family":"Panic"}]}`); r.status != 500 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	// What ForgetIntents queued is applied with the next write; now here.
	if err := db.DropIntents(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ins, _ := db.Intents(context.Background()); len(ins) != 1 {
		t.Fatalf("kept entries after the 500: %d, want 1", len(ins))
	}
	l.Close()
	l = open()
	srv := api.New(api.Config{Store: db, Recorder: api.LogRecorder{Log: l}, AuditLog: l, Dev: true})
	if added, err := srv.RecoverIntents(context.Background()); added != 1 || err != nil {
		t.Fatalf("recovery added %d (%v), want 1", added, err)
	}
	var statuses []int
	if err := l.Scan(context.Background(), auditlog.Query{}, func(en *auditlog.Entry) error {
		if en.Path == "/fhir/Patient/pa" {
			statuses = append(statuses, en.Status)
			if en.Status == 201 && !slices.Contains(en.Released, "Patient/pa/_history/1") {
				t.Errorf("the recovered entry releases %v", en.Released)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(statuses, []int{500, 201}) {
		t.Errorf("entries of the request: statuses %v, want the 500 and the recovered 201", statuses)
	}
}
