package api_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// TestReview6eRecoveryIntoANewLog (review 6e, a guard; it passes): the
// log is replaced by a new, empty one (serve --new-access-log), shorter
// than the Since the kept copies recorded. Every copy whose own entry is
// not in the new log is added to it, the lost change's among them.
func TestReview6eRecoveryIntoANewLog(t *testing.T) {
	var db *sqlite.DB
	var l *auditlog.Log
	e := newEnv(t, func(cfg *api.Config) {
		db = cfg.Store.(*sqlite.DB)
		l = reopenableLog(t, db)()
		cfg.Recorder = dropping{api.LogRecorder{Log: l}, func(x *api.Exchange) bool { return x.Path == "/fhir/Patient/n3" }}
		cfg.AuditLog = l
	})
	sys := e.token("system", "nhs", "A81001")
	for _, id := range []string{"n1", "n2", "n3"} {
		e.do("PUT", "/fhir/Patient/"+id, sys, `{"resourceType":"Patient","id":"`+id+`","generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	}
	l.Close()
	skey, _, _ := auditlog.GenerateKey("carex-test-new-log")
	signer, _ := note.NewSigner(skey)
	w, r, err := sqlite.OpenConns(filepath.Join(t.TempDir(), "new-access.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := auditlog.Open(context.Background(), w, r, auditlog.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nl.Close(); r.Close(); w.Close() })
	srv := api.New(api.Config{Store: db, Recorder: api.LogRecorder{Log: nl}, AuditLog: nl, Dev: true})
	if _, err := srv.RecoverIntents(context.Background()); err != nil {
		t.Fatal(err)
	}
	found := false
	nl.Scan(context.Background(), auditlog.Query{}, func(en *auditlog.Entry) error {
		if en.ResourceID == "n3" && slices.Contains(en.Reasons, api.ReasonEntryRecovered) && len(en.Kept) == 1 {
			found = true
		}
		return nil
	})
	if !found {
		t.Error("the lost change's kept entry is not in the new log")
	}
	if ins, _ := db.Intents(context.Background()); len(ins) != 0 {
		t.Errorf("%d kept entries left after recovery", len(ins))
	}
}
