package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
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

// TestReview19aMovedItemsVersionsStayWithTheirPerson: a Condition filed
// under Bob and later moved to Jane (its subject corrected) is both
// people's: its history and a vread of its first version name them both.
// 31670c2 keeps, of an entry about several people, only the items that
// were in one of her records at the version released, but only for
// searches, histories of a type or the server, and bundles: an instance
// history (logged as history-instance) and a vread, named after Jane (the
// current subject) first, went into her $who-accessed and
// AuditEvent?patient= whole, listing Bob's version (Condition/moved/
// _history/1) as released of hers. Her versions stay in her report, and
// his in his.
func TestReview19aMovedItemsVersionsStayWithTheirPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	seedBobAtTheGP(t, e, gpSys)
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/moved", `{"resourceType":"Condition","id":"moved","subject":{"reference":"Patient/bob"},"code":{"text":"MOVED-V1"}}`},
		[2]string{"/fhir/Condition/moved", `{"resourceType":"Condition","id":"moved","subject":{"reference":"Patient/jane"},"code":{"text":"MOVED-V2"}}`})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-19a-sub" })
	for _, p := range []string{"/fhir/Condition/moved/_history", "/fhir/Condition/moved/_history/1"} {
		if r := e.do("GET", p, gp, ""); r.status != 200 || !strings.Contains(r.body, "MOVED-V1") {
			t.Fatalf("the premise: the GP reads Bob's first version (%s): %d %.300s", p, r.status, r.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct {
		person, mine, theirs string
		requests             int
	}{
		{"jane", "Condition/moved/_history/2", "Condition/moved/_history/1", 1},
		{"bob", "Condition/moved/_history/1", "Condition/moved/_history/2", 2},
	} {
		for _, path := range []string{"/fhir/AuditEvent/$who-accessed?patient=" + c.person, "/fhir/AuditEvent?patient=" + c.person + "&_count=1000"} {
			r := e.do("GET", path, ig, "")
			if r.status != 200 || !strings.Contains(r.body, "gp-19a-sub") {
				t.Fatalf("%s: the premise: the GP's reads are listed: %d %.300s", path, r.status, r.body)
			}
			// Quoted: released items (and AuditEvent entity references)
			// as a whole string; the vread's own path names the item, now hers.
			if strings.Contains(r.body, `"`+c.theirs+`"`) {
				t.Errorf("%s: %s's report lists the other person's version %s as released of theirs: %.1500s", path, c.person, c.theirs, r.body)
			}
			if n := strings.Count(r.body, `"`+c.mine+`"`); n < c.requests {
				t.Errorf("%s: %s's report lists their version %s %d times, want %d: %.1500s", path, c.person, c.mine, n, c.requests, r.body)
			}
		}
	}
}

// TestReview19aMovedLetterContentStaysWithItsPerson: a letter
// (DocumentReference/letter, its content Binary/b by securityContext)
// filed under Bob and then moved to Jane is released, content and all, as
// Jane's: the Binary is decided by the letter's current version. But a
// request about both people (a search Binary?_id=b,bobbin matching Jane's
// letter's content and Bob's) was shown in Jane's report without
// Binary/b, and in Bob's with it, as 31670c2 looked the Binary up by the
// people its version took when written (Bob). Now a Binary's people are
// those the sharing decision follows (the letter's): her report lists her
// letter's content, and his does not.
func TestReview19aMovedLetterContentStaysWithItsPerson(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	seedBobAtTheGP(t, e, gpSys)
	letter := func(id, who, bin string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/` + who + `"},"content":[{"attachment":{"contentType":"text/plain","url":"Binary/` + bin + `"}}]}`
	}
	binary := func(id, doc string) string {
		return `{"resourceType":"Binary","id":"` + id + `","contentType":"text/plain","securityContext":{"reference":"DocumentReference/` + doc + `"},"data":"TEVUVEVS"}`
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/DocumentReference/letter", letter("letter", "bob", "b")},
		[2]string{"/fhir/Binary/b", binary("b", "letter")},
		[2]string{"/fhir/DocumentReference/letter", letter("letter", "jane", "b")}, // moved to Jane
		[2]string{"/fhir/DocumentReference/bobdoc", letter("bobdoc", "bob", "bobbin")},
		[2]string{"/fhir/Binary/bobbin", binary("bobbin", "bobdoc")})
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-19a-sub" })
	if r := e.do("GET", "/fhir/Binary?_id=b,bobbin", gp, ""); r.status != 200 || !strings.Contains(r.body, `"id":"b"`) || !strings.Contains(r.body, `"id":"bobbin"`) {
		t.Fatalf("the premise: the GP's search releases both letters' content: %d %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct{ person, mine, theirs string }{
		{"jane", "Binary/b/_history/1", "Binary/bobbin/_history/1"},
		{"bob", "Binary/bobbin/_history/1", "Binary/b/_history/1"},
	} {
		for _, path := range []string{"/fhir/AuditEvent/$who-accessed?patient=" + c.person, "/fhir/AuditEvent?patient=" + c.person + "&_count=1000"} {
			r := e.do("GET", path, ig, "")
			found := false
			for _, entry := range reportEntries(t, r.body) {
				if !strings.Contains(entry, "gp-19a-sub") {
					continue
				}
				found = true
				if !strings.Contains(entry, `"`+c.mine+`"`) {
					t.Errorf("%s: %s's report does not say the search released %s: %s", path, c.person, c.mine, entry)
				}
				if strings.Contains(entry, `"`+c.theirs+`"`) {
					t.Errorf("%s: %s's report lists the other person's %s as released of theirs: %s", path, c.person, c.theirs, entry)
				}
			}
			if !found {
				t.Errorf("%s: the premise: the GP's search is in %s's report: %.600s", path, c.person, r.body)
			}
		}
	}
}
