package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/sqlite"
)

// TestReview19aObjectionSurvivesDeleteByAnotherProcess: review 18a keeps a
// deleted Patient's last NHS numbers so that Jane's opt-out, recorded on
// the GP's Patient/jane, still reaches the hospital's Patient/hosp-jane
// after the GP's record is deleted. 21d5d64 then skipped the query of
// those numbers until this process had itself deleted a Patient (DB.retired,
// read at open). A delete by another process on the same file (carex import
// of a transaction beside the running server) never set it: the server
// went on answering "no deleted Patient carries her number", and the
// district nurse read the hospital's diagnosis of Jane by read, search and
// $everything despite her opt-out.
func TestReview19aObjectionSurvivesDeleteByAnotherProcess(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	seedHospitalJane(t, e, hosp, "943 476 5919")
	if r := e.do("PUT", "/fhir/Consent/jane-optout", gp, janeConsent("jane-optout", "2026-11-01", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	reads := []string{"/fhir/Condition/hosp-fracture", "/fhir/Condition?patient=hosp-jane", "/fhir/Patient/hosp-jane/$everything"}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Fatalf("the premise: Jane's opt-out withholds the hospital's record of her (%s): %d %.300s", path, r.status, r.body)
		}
	}
	other, err := sqlite.Open(context.Background(), e.db.Path(), sqlite.Options{}) // carex import, another process
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Commit(context.Background(), []*store.Write{{Op: store.OpDelete, Type: "Patient", ID: "jane", SourceOrg: "A81001"}}, nil); err != nil {
		t.Fatalf("another process deletes the GP's Patient/jane: %v", err)
	}
	if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 410 && r.status != 404 {
		t.Fatalf("the premise: the server sees the delete: %d %.200s", r.status, r.body)
	}
	for _, path := range reads {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "HOSP-FRACTURE") {
			t.Errorf("%s: with the GP's Patient deleted by another process, Jane's opt-out no longer reaches the hospital's record of her: %d %.300s", path, r.status, r.body)
		}
	}
}
