package api_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Review 8: ways around 6368ce1 (a moved letter takes its content along)
// and 238609a (review 7a), and features no earlier review named. Each
// test failed on fae9658 and says, in its comment, what went wrong.

// review8John is John's Patient, registered with Jane's GP practice.
var review8John = strings.NewReplacer(`"id":"jane"`, `"id":"john"`, "9434765919", "9434765870", `"Jane"`, `"John"`).Replace(janeJSON)

// review8Moved writes John, the GP's letter about Jane and its content,
// then moves the letter to John (a wrong-patient correction): the content
// is John's (binaryNow) though the compartment index keeps it Jane's.
func review8Moved(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/john", review8John},
		[2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText("Sk9ITlMtTEVUVEVS")},
		[2]string{"/fhir/DocumentReference/letter", strings.Replace(clinicLetter(""), "Patient/jane", "Patient/john", 1)})
}

// TestReview8ChangeToContentOfMovedLetterLogsItsPerson: once the letter
// is moved to John, its content is John's: a read of it is logged as
// John's (review 6d), and it is decided as his. A change to it was not:
// the write named the people of the version it replaces as stored (the
// copy the Binary took from the letter when it was written: Jane), so the
// GP system's DELETE of John's letter text, or a PUT replacing it, was
// logged against Jane alone, and IG's "who changed John's record" never
// showed it.
func TestReview8ChangeToContentOfMovedLetterLogsItsPerson(t *testing.T) {
	other := `{"resourceType":"Binary","id":"letter-txt","contentType":"text/plain","data":"T1RIRVI="}`
	for _, c := range []struct{ method, body string }{{"PUT", other}, {"DELETE", ""}} {
		e := newEnv(t)
		seedShared(t, e)
		review8Moved(t, e)
		gp := e.token("system", "nhs", "A81001")
		if r := e.do("GET", "/fhir/Binary/letter-txt", gp, ""); r.status != 200 {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
		if got := e.loggedPeople(t, "GET", "/fhir/Binary/letter-txt"); !slices.Contains(got, "john") {
			t.Fatalf("premise: the read of the moved letter's content is logged as John's: %v", got)
		}
		if r := e.do(c.method, "/fhir/Binary/letter-txt", gp, c.body); r.status != 200 && r.status != 204 {
			t.Fatalf("%s: %d %s", c.method, r.status, r.body)
		}
		if got := e.loggedPeople(t, c.method, "/fhir/Binary/letter-txt"); !slices.Contains(got, "john") {
			t.Errorf("a %s of John's letter text is logged against %v, not John", c.method, got)
		}
	}
}

// TestReview8DeletedContentOfWithheldLetterLooksNeverStored: the content
// of a letter labelled PSY since it was written is withheld from the
// hospital clinician (a 404, as for an id never used). Once the practice
// deletes that Binary, it must answer the same: its delete marker was
// decided by the people and labels the Binary copied when it was written
// (binaryNow reads the securityContext of the version decided, and a
// delete marker has none), so the clinician was answered 410 Gone, and
// its _history listed the delete: what became of an item withheld from
// him (as the 410 of a withheld Patient's $everything did, review 7a).
func TestReview8DeletedContentOfWithheldLetterLooksNeverStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText("TEVUVEVS")},
		[2]string{"/fhir/DocumentReference/letter", psyLetter()})
	paths := []string{"/fhir/Binary/letter-txt", "/fhir/Binary/letter-txt/_history", "/fhir/Binary/letter-txt/_history/2"}
	for _, path := range paths[:2] {
		if r := e.do("GET", path, clinician, ""); r.status != 404 {
			t.Fatalf("premise: GET %s of the relabelled letter's content: %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Binary/letter-txt", gp, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, path := range paths {
		if r := e.do("GET", path, clinician, ""); r.status != 404 {
			t.Errorf("GET %s after the withheld content was deleted: %d, want the 404 of an id never used: %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Binary/_history", clinician, ""); r.status != 200 || strings.Contains(r.body, "letter-txt") {
		t.Errorf("GET /fhir/Binary/_history lists the deleted withheld content: %d %.400s", r.status, r.body)
	}
}

// TestReview8LongChainOfRenditionsFollowsTheLetter: a Binary whose
// securityContext is another Binary (a rendition of a letter's text) is
// decided as that Binary is decided now (review 6c), through at most
// maxBinaryChain Binaries, so that a cycle ends. Where the chain was cut,
// the Binary was decided by the labels the last Binary reached had copied
// when it was written: the tenth rendition of a letter labelled PSY since
// was released to the hospital clinician, content and all, though the
// letter and its first nine renditions are withheld from him. A Binary
// beyond the bound now stays with its source, as an item naming someone
// carex cannot identify does.
func TestReview8LongChainOfRenditionsFollowsTheLetter(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/r1", `{"resourceType":"Binary","id":"r1","contentType":"text/plain","securityContext":{"reference":"DocumentReference/letter"},"data":"UjEtVEVYVA=="}`})
	const n = 12
	for i := 2; i <= n; i++ {
		id, prev := "r"+strconv.Itoa(i), "r"+strconv.Itoa(i-1)
		e.putAll(t, gp, [2]string{"/fhir/Binary/" + id, `{"resourceType":"Binary","id":"` + id + `","contentType":"text/plain","securityContext":{"reference":"Binary/` + prev + `"},"data":"UkVORElUSU9O"}`})
	}
	for i := 1; i <= 9; i++ { // (further renditions stay with their source: the chain is cut)
		if r := e.do("GET", "/fhir/Binary/r"+strconv.Itoa(i), clinician, ""); r.status != 200 {
			t.Fatalf("baseline: rendition %d of the plain letter: %d", i, r.status)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	for i := 1; i <= n; i++ {
		if r := e.do("GET", "/fhir/Binary/r"+strconv.Itoa(i), clinician, ""); r.status != 404 {
			t.Errorf("rendition %d of the letter labelled PSY: %d, want 404 as the letter's", i, r.status)
		}
	}
	if r := e.do("GET", "/fhir/Binary/r"+strconv.Itoa(n), gp, ""); r.status != 200 {
		t.Errorf("its source reads the last rendition: %d", r.status)
	}
}

// TestReview8ProvenanceOfContentFollowsTheLetter: a Provenance takes the
// people and labels of the items it targets (review 5d), the provenance
// of a PSY letter being no less sensitive than the letter. Of the letter's
// content it took those the Binary copied when it was written, not those
// it is decided by now (binaryNow): once the letter was labelled PSY, the
// provenance of its text (who transcribed it, when, why) went on being
// released to the hospital clinician, and once the letter was moved to
// John, it was Jane's, shown in her record to whoever sees her.
func TestReview8ProvenanceOfContentFollowsTheLetter(t *testing.T) {
	prov := func(id, target string) string {
		return `{"resourceType":"Provenance","id":"` + id + `","target":[{"reference":"` + target + `"}],"recorded":"2026-03-01T10:00:00Z",
		 "agent":[{"who":{"reference":"Organization/A81001"}}],"activity":{"text":"PROV-` + id + `"}}`
	}
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText("TEVUVEVS")},
		[2]string{"/fhir/DocumentReference/letter", psyLetter()},
		[2]string{"/fhir/Provenance/of-letter", prov("of-letter", "DocumentReference/letter")},
		[2]string{"/fhir/Provenance/of-text", prov("of-text", "Binary/letter-txt")})
	if r := e.do("GET", "/fhir/Provenance/of-letter", clinician, ""); r.status != 404 {
		t.Fatalf("premise: the provenance of the PSY letter is withheld from the clinician: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Provenance/of-text", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", path, clinician, ""); strings.Contains(r.body, "PROV-of-text") {
			t.Errorf("GET %s: the provenance of the PSY letter's text is released to the clinician: %d %.300s", path, r.status, r.body)
		}
	}

	// Moved: the provenance of John's letter text is John's, not Jane's.
	e = newEnv(t)
	seedShared(t, e)
	review8Moved(t, e)
	gp = e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Provenance/of-text", prov("of-text", "Binary/letter-txt")})
	if got := e.loggedPeople(t, "PUT", "/fhir/Provenance/of-text"); !slices.Contains(got, "john") || slices.Contains(got, "jane") {
		t.Errorf("the provenance of John's letter text is written to the record of %v", got)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "A81001"), ""); strings.Contains(r.body, "PROV-of-text") {
		t.Errorf("Jane's record holds the provenance of John's letter text: %.300s", r.body)
	}
}

// TestReview8CountOfVisibleItemsIsNoDenial: a search asked for its count
// alone (_summary=count, or _count=0) tells the user how many items they
// may see: the district nurse learns that Jane has one problem she may
// see. Her GP's HIV diagnosis is withheld from her, and the access log
// said "deny" ("everything it touched withheld, as a read's"), as if she
// had been told nothing of Jane's record, since the count's page sends no
// resource. The answer told her something: it is a partial release.
func TestReview8CountOfVisibleItemsIsNoDenial(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, path := range []string{"/fhir/Condition?patient=jane&_summary=count", "/fhir/Condition?patient=jane&_count=0", "/fhir/Patient/jane/$everything?_type=Condition&_count=0"} {
		r := e.do("GET", path, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, `"total":1`) {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		if x := e.lastEntry(t); x.Decision != "partial" || x.Withheld != 1 {
			t.Errorf("GET %s told the nurse Jane has one problem she may see, logged decision=%s withheld=%d (want partial, 1)", path, x.Decision, x.Withheld)
		}
	}
}

// TestReview8ProvenanceFollowsItsTargetRelabelled: a Provenance takes the
// people and labels of the items it targets when it is written (review
// 5d), as a Binary takes its letter's. A letter labelled PSY after its
// provenance was written withholds the letter from the hospital
// clinician, and the provenance of the letter (who wrote it, when, why)
// must go with it, as a Binary does (binaryNow, review 6b): it was still
// released to him by id and in Jane's $everything, by the labels it
// copied when it was written.
func TestReview8ProvenanceFollowsItsTargetRelabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Provenance/of-letter", provenanceOfLetter})
	if r := e.do("GET", "/fhir/Provenance/of-letter", clinician, ""); r.status != 200 {
		t.Fatalf("baseline: the provenance of the plain letter: %d %.300s", r.status, r.body)
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	if r := e.do("GET", "/fhir/DocumentReference/letter", clinician, ""); r.status != 404 {
		t.Fatalf("premise: the letter labelled PSY is withheld: %d", r.status)
	}
	for _, path := range []string{"/fhir/Provenance/of-letter", "/fhir/Patient/jane/$everything"} {
		if r := e.do("GET", path, clinician, ""); strings.Contains(r.body, "PROV-OF-LETTER") {
			t.Errorf("GET %s: the provenance of the letter labelled PSY is released: %d %.300s", path, r.status, r.body)
		}
	}
}

// TestReview8SearchOfDeletedWithheldPatient: Jane's Consent withholds her
// Patient resource from the hospital (as in
// TestReview7aEverythingOfDeletedWithheldPatient). A search for her by id,
// or for her encounters including their subject, answers without it and
// with the notice that something was withheld. Once the practice deletes
// her Patient, the read stays the same 404 and her $everything the same
// 200 (review 7a), but these searches lost the notice (the deleted
// Patient no longer matched, nor was included, nor was in her compartment
// for the notice's scan): the clinician was told that the Patient withheld
// from him had been deleted.
func TestReview8SearchOfDeletedWithheldPatient(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/no-demo", janeConsent("no-demo", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],"class":[{"system":"http://hl7.org/fhir/resource-types","code":"Patient"}]}`)})
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	paths := []string{"/fhir/Patient?_id=jane", "/fhir/Patient?_id=jane&_revinclude=Encounter:subject", "/fhir/Patient?_id=jane&gender=male",
		"/fhir/Encounter?patient=jane&_include=Encounter:subject"}
	for _, p := range paths {
		if r := e.do("GET", p, clinician, ""); r.status != 200 || !strings.Contains(r.body, "confidential-items") || strings.Contains(r.body, `"resourceType":"Patient"`) {
			t.Fatalf("baseline %s: %d %.300s", p, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Patient/jane", gp, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, p := range paths {
		if r := e.do("GET", p, clinician, ""); r.status != 200 || !strings.Contains(r.body, "confidential-items") {
			t.Errorf("%s after the withheld Patient was deleted: %d, the notice gone (it was there before): %.300s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient?_id=jane", clinician, ""); r.status == 200 {
		if x := e.lastEntry(t); x.Withheld != 1 {
			t.Errorf("Patient?_id=jane after the withheld Patient was deleted: logged withheld=%d, want 1 as before", x.Withheld)
		}
	}
	// Whoever sees the Patient finds it gone, with no notice.
	gpUser := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient?_id=jane", gpUser, ""); r.status != 200 || strings.Contains(r.body, "confidential-items") {
		t.Errorf("the GP's search for the deleted Patient: %d %.300s", r.status, r.body)
	}
}

// TestReview8DeletedProvenanceOfWithheldLetterLooksNeverStored: the
// provenance of a letter labelled PSY since is withheld from the hospital
// clinician with the letter (targetsSeen); once the practice deletes the
// Provenance, it must still answer as an id never used. Its delete marker
// has no targets, so it was decided by the labels it copied when it was
// written: 410 Gone, and its _history listed the delete.
func TestReview8DeletedProvenanceOfWithheldLetterLooksNeverStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Provenance/of-letter", provenanceOfLetter},
		[2]string{"/fhir/DocumentReference/letter", psyLetter()})
	paths := []string{"/fhir/Provenance/of-letter", "/fhir/Provenance/of-letter/_history"}
	for _, path := range paths {
		if r := e.do("GET", path, clinician, ""); r.status != 404 {
			t.Fatalf("premise: GET %s: %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Provenance/of-letter", gp, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, path := range append(paths, "/fhir/Provenance/of-letter/_history/2") {
		if r := e.do("GET", path, clinician, ""); r.status != 404 {
			t.Errorf("GET %s after the withheld provenance was deleted: %d, want 404: %.300s", path, r.status, r.body)
		}
	}
}

// TestReview8ProvenanceOfMovedLetterLeavesOldRecord: a letter filed under
// Jane is moved to John, who has opted out; its provenance, written before
// the move, took Jane as its person and stays in her compartment. The
// provenance of John's letter is not Jane's: as the letter's content
// (6368ce1), it must be neither listed in her record nor withheld from it,
// or the hospital clinician, who sees Jane's record (the hospital admitted
// her) and nothing of John's, is told that Jane's record withholds
// something.
func TestReview8ProvenanceOfMovedLetterLeavesOldRecord(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	johnOptOut := strings.ReplaceAll(janeConsent("john-out", "2026-02-01", "OPTOUT", ""), "Patient/jane", "Patient/john")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON}, [2]string{"/fhir/Patient/john", review8John},
		[2]string{"/fhir/Consent/john-out", johnOptOut},
		[2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Provenance/of-letter", provenanceOfLetter})
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Encounter/admission", `{"resourceType":"Encounter","id":"admission","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"}}`})
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", clinician, ""); r.status != 200 || !strings.Contains(r.body, "PROV-OF-LETTER") {
		t.Fatalf("baseline: the clinician reads the provenance of Jane's letter: %d %.300s", r.status, r.body)
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", strings.Replace(clinicLetter(""), "Patient/jane", "Patient/john", 1)})
	for _, q := range []string{"", "?_since=2000-01-01T00:00:00Z", "?_type=Provenance"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything"+q, clinician, "")
		if r.status != 200 || strings.Contains(r.body, "PROV-OF-LETTER") || strings.Contains(r.body, "confidential-items") {
			t.Errorf("the clinician's $everything%s of Jane after the letter was moved to John: %d %.400s", q, r.status, r.body)
		}
	}
	if _, ok := explainEffects(t, e, url.Values{"role": {"hospital-clinician"}, "org": {"RHX"}, "sector": {"nhs"}})["Provenance/of-letter"]; ok {
		t.Error("$explain of Jane's record lists the provenance of John's letter")
	}
}

// TestReview8ReadOfProvenanceOfMovedLetterLogsItsPerson: after the letter
// is moved from Jane to John, its provenance (written before the move)
// is about John's letter, and is released only with it (targetsSeen). A
// read of it was logged against Jane alone, the person it copied when it
// was written: IG's "who accessed John's record" never showed it (as the
// read of the letter's content before review 6d).
func TestReview8ReadOfProvenanceOfMovedLetterLogsItsPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/john", review8John},
		[2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Provenance/of-letter", provenanceOfLetter},
		[2]string{"/fhir/DocumentReference/letter", strings.Replace(clinicLetter(""), "Patient/jane", "Patient/john", 1)})
	doctor := e.token("gp", "nhs", "A81001")
	for _, path := range []string{"/fhir/Provenance/of-letter", "/fhir/Provenance?_id=of-letter"} {
		if r := e.do("GET", path, doctor, ""); r.status != 200 || !strings.Contains(r.body, "PROV-OF-LETTER") {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		p, _, _ := strings.Cut(path, "?")
		if got := e.loggedPeople(t, "GET", p); !slices.Contains(got, "john") {
			t.Errorf("GET %s of the provenance of John's letter is logged against %v, not John", path, got)
		}
	}
}

// TestExplainWithholdsProvenanceOfWithheldItem: $explain decides a
// Provenance as a request does (gate.targetsSeen): with the items it
// targets. After the letter was labelled PSY, the hospital clinician's
// reads withhold its provenance, and $explain said permit.
func TestExplainWithholdsProvenanceOfWithheldItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Provenance/of-letter", provenanceOfLetter})
	q := url.Values{"role": {"hospital-clinician"}, "org": {"RHX"}, "sector": {"nhs"}}
	if got := explainEffects(t, e, q)["Provenance/of-letter"]; got != "permit" {
		t.Fatalf("baseline: $explain says %q for the provenance of the plain letter", got)
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	if r := e.do("GET", "/fhir/Provenance/of-letter", clinician, ""); r.status != 404 {
		t.Fatalf("premise: the provenance of the letter labelled PSY is withheld from the clinician: %d", r.status)
	}
	if got := explainEffects(t, e, q)["Provenance/of-letter"]; got == "permit" {
		t.Errorf("$explain says permit for the provenance of the letter labelled PSY, which the clinician's reads withhold")
	}
	// Its source's own provenance stays its own.
	if got := explainEffects(t, e, url.Values{"role": {"gp"}, "org": {"A81001"}, "sector": {"nhs"}})["Provenance/of-letter"]; got != "permit" {
		t.Errorf("$explain for the practice that recorded it: %q", got)
	}
}

// provenanceOfLetter is the practice's Provenance of the letter.
const provenanceOfLetter = `{"resourceType":"Provenance","id":"of-letter","target":[{"reference":"DocumentReference/letter"}],"recorded":"2026-03-01T10:00:00Z",
 "agent":[{"who":{"reference":"Organization/A81001"}}],"activity":{"text":"PROV-OF-LETTER"}}`
