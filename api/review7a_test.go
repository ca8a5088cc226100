package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// lastUpdatedOf is meta.lastUpdated of a resource body.
func lastUpdatedOf(t *testing.T, body string) time.Time {
	t.Helper()
	var r struct {
		Meta struct {
			LastUpdated time.Time `json:"lastUpdated"`
		} `json:"meta"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Meta.LastUpdated.IsZero() {
		t.Fatalf("no meta.lastUpdated in %.300s (%v)", body, err)
	}
	return r.Meta.LastUpdated
}

// TestReview7aEverythingSinceNoticeBinaryOfRelabelledLetter: the notice of
// a filtered $everything must not follow the filters. A letter's content
// (a Binary whose securityContext is the letter) is withheld once the
// letter is labelled PSY; $everything?_type=Binary tells so. Asked with
// _since after the Binary was written, the notice must still be there,
// or bisecting _since tells when the withheld content was written.
func TestReview7aEverythingSinceNoticeBinaryOfRelabelledLetter(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")})
	r := e.do("PUT", "/fhir/Binary/letter-txt", gp, letterText("TEVUVEVS"))
	if r.status != 201 {
		t.Fatalf("binary: %d %s", r.status, r.body)
	}
	since := lastUpdatedOf(t, r.body).Add(time.Millisecond).UTC().Format("2006-01-02T15:04:05.000Z")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	for _, q := range []string{"?_type=Binary", "?_type=Binary&_since=" + url.QueryEscape(since)} {
		r := e.do("GET", "/fhir/Patient/jane/$everything"+q, clinician, "")
		if r.status != 200 || strings.Contains(r.body, "TEVUVEVS") {
			t.Fatalf("$everything%s: %d %.300s", q, r.status, r.body)
		}
		if !strings.Contains(r.body, "confidential-items") {
			t.Errorf("$everything%s: no confidential-items notice, though the letter's content is withheld from the clinician: %.400s", q, r.body)
		}
	}
}

// TestReview7aReferenceToWithheldBinaryMasked: a released item that points
// at a withheld one carries the reference masked. The content of a letter
// labelled PSY (a Binary whose securityContext is the letter) is withheld
// from the clinician; a list of Jane's letters that names it must not
// name it to him.
func TestReview7aReferenceToWithheldBinaryMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Binary/letter-txt", letterText("TEVUVEVS")},
		[2]string{"/fhir/List/letters", `{"resourceType":"List","id":"letters","status":"current","mode":"working","title":"LETTERS-LIST","subject":{"reference":"Patient/jane"},"entry":[{"item":{"reference":"Binary/letter-txt"}}]}`})
	if r := e.do("GET", "/fhir/List/letters", clinician, ""); r.status != 200 || !strings.Contains(r.body, "Binary/letter-txt") {
		t.Fatalf("baseline: the clinician reads the list naming the letter's content: %d %.300s", r.status, r.body)
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	if r := e.do("GET", "/fhir/Binary/letter-txt", clinician, ""); r.status != 404 {
		t.Fatalf("the relabelled letter's content: %d", r.status)
	}
	for _, path := range []string{"/fhir/List/letters", "/fhir/List?_id=letters", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, clinician, "")
		if r.status != 200 || !strings.Contains(r.body, "LETTERS-LIST") {
			t.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "Binary/letter-txt") {
			t.Errorf("GET %s: the list names the withheld content Binary/letter-txt unmasked: %.500s", path, r.body)
		}
	}
}

// TestReview7aConditionalCreateCountsWithheldMatchOnce: a conditional
// create whose condition matches one item withheld from the writer creates
// its own (the withheld item must not answer), and its access-log entry
// says one item was withheld, not one per time the condition was matched
// (the handler, the write decision and the store each match it again).
func TestReview7aConditionalCreateCountsWithheldMatchOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, gp, [2]string{"/fhir/Condition/asthma", `{"resourceType":"Condition","id":"asthma","identifier":[{"system":"https://example.org/problems","value":"P-1"}],"subject":{"reference":"Patient/jane"},"code":{"text":"GP-ASTHMA"}}`})
	body := `{"resourceType":"Condition","identifier":[{"system":"https://example.org/problems","value":"P-1"}],"subject":{"reference":"Patient/jane"},"code":{"text":"HOSP-ASTHMA"}}`
	r := e.do("POST", "/fhir/Condition", hosp, body, "If-None-Exist", "identifier=https://example.org/problems|P-1")
	if r.status != 201 || strings.Contains(r.body, "GP-ASTHMA") {
		t.Fatalf("conditional create matching another organisation's item: %d %.300s", r.status, r.body)
	}
	if x := e.lastEntry(t); x.Withheld != 1 || x.Patient != "jane" {
		t.Errorf("conditional create: logged withheld=%d patient=%q people=%v, want 1 withheld item of jane's", x.Withheld, x.Patient, x.Patients)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + strings.Replace(body, "HOSP-ASTHMA", "HOSP-ASTHMA-2", 1) + `,"request":{"method":"POST","url":"Condition","ifNoneExist":"identifier=https://example.org/problems|P-1"}}]}`
	r = e.do("POST", "/fhir", hosp, tx)
	if r.status != 200 || strings.Contains(r.body, "GP-ASTHMA") {
		t.Fatalf("transaction with a conditional create: %d %.300s", r.status, r.body)
	}
	if x := e.lastEntry(t); x.Withheld != 1 {
		t.Errorf("transaction with a conditional create: logged withheld=%d, want 1", x.Withheld)
	}
}

// TestReview7aEverythingOfDeletedWithheldPatient: Jane's Patient resource
// is withheld from the hospital (her Consent denies it her demographics),
// which still opens her record as a source of her data: its read is a 404
// and her $everything a 200 without it. Once the practice deletes the
// Patient, the read is the same 404, and so must $everything be the same
// answer as before: a 410 "resource deleted" told the hospital what
// became of an item withheld from it.
func TestReview7aEverythingOfDeletedWithheldPatient(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/no-demo", janeConsent("no-demo", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],"class":[{"system":"http://hl7.org/fhir/resource-types","code":"Patient"}]}`)})
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	paths := []string{"/fhir/Patient/jane/$everything", "/fhir/Patient/jane/$everything?_type=Encounter", "/fhir/Patient/jane/$everything?_since=2000-01-01T00:00:00Z"}
	before := map[string]resp{}
	for _, p := range paths {
		r := e.do("GET", p, clinician, "")
		if r.status != 200 || !strings.Contains(r.body, "HOSP-ADMISSION") || strings.Contains(r.body, `"resourceType":"Patient"`) {
			t.Fatalf("baseline %s: %d %.300s", p, r.status, r.body)
		}
		before[p] = r
	}
	if r := e.do("GET", "/fhir/Patient/jane", clinician, ""); r.status != 404 {
		t.Fatalf("baseline: the withheld Patient read: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Patient/jane", gp, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane", clinician, ""); r.status != 404 {
		t.Errorf("the withheld Patient read after its delete: %d", r.status)
	}
	for _, p := range paths {
		r := e.do("GET", p, clinician, "")
		if r.status != 200 || !strings.Contains(r.body, "HOSP-ADMISSION") {
			t.Errorf("%s after the withheld Patient was deleted: %d (before: 200) %.300s", p, r.status, r.body)
			continue
		}
		if got, want := strings.Contains(r.body, "confidential-items"), strings.Contains(before[p].body, "confidential-items"); got != want {
			t.Errorf("%s after the withheld Patient was deleted: notice %v, before %v", p, got, want)
		}
		if x := e.lastEntry(t); x.Withheld == 0 && strings.Contains(before[p].body, "confidential-items") {
			t.Errorf("%s: logged nothing withheld", p)
		}
	}
	// Whoever sees the Patient is told it was deleted, as a read tells them.
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "A81001"), ""); r.status != 410 {
		t.Errorf("the GP's $everything of the deleted Patient: %d", r.status)
	}
}

// TestReview7aSearchIncludeCountsWithheldOnce: a search whose _include
// reaches an item its own matching already withheld logs that item once.
// The trust's care plan is based on the practice's plan labelled PSY,
// withheld from the nurse: CarePlan?patient=jane&_include=CarePlan:based-on
// withholds one item, not two.
func TestReview7aSearchIncludeCountsWithheldOnce(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/CarePlan/mh", `{"resourceType":"CarePlan","id":"mh","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"GP-MH-PLAN"}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CarePlan/visits", `{"resourceType":"CarePlan","id":"visits","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"basedOn":[{"reference":"CarePlan/mh"}],"title":"TRUST-VISITS"}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{"/fhir/CarePlan?patient=jane", "/fhir/CarePlan?patient=jane&_include=CarePlan:based-on", "/fhir/CarePlan?patient=jane&_include=CarePlan:based-on&_count=1"} {
		r := e.do("GET", q, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "GP-MH-PLAN") || !strings.Contains(r.body, "confidential-items") {
			t.Fatalf("%s: %d %.300s", q, r.status, r.body)
		}
		if x := e.lastEntry(t); x.Withheld != 1 {
			t.Errorf("%s: logged %d withheld, want 1 (the PSY plan)", q, x.Withheld)
		}
	}
}

// TestReview7aBinaryHistorySinceNotice: an item's _history?_since= carries
// the notice when any of its versions is withheld. The content's first
// version belonged to a letter labelled PSY since; its second to another
// letter: the history since the second version must still say that some
// version was withheld, as the whole history does.
func TestReview7aBinaryHistorySinceNotice(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	other := strings.NewReplacer(`"id":"letter"`, `"id":"letter2"`, "Binary/letter-txt", "Binary/other-txt").Replace(clinicLetter(""))
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", clinicLetter("")}, [2]string{"/fhir/DocumentReference/letter2", other},
		[2]string{"/fhir/Binary/letter-txt", letterText("VjEtVEVYVA==")})
	r := e.do("PUT", "/fhir/Binary/letter-txt", gp, `{"resourceType":"Binary","id":"letter-txt","contentType":"text/plain","securityContext":{"reference":"DocumentReference/letter2"},"data":"VjItVEVYVA=="}`)
	if r.status != 200 {
		t.Fatalf("second version: %d %s", r.status, r.body)
	}
	since := lastUpdatedOf(t, r.body).UTC().Format("2006-01-02T15:04:05.000Z")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()})
	for _, q := range []string{"", "?_since=" + url.QueryEscape(since)} {
		r := e.do("GET", "/fhir/Binary/letter-txt/_history"+q, clinician, "")
		if r.status != 200 || strings.Contains(r.body, "VjEtVEVYVA==") || !strings.Contains(r.body, "VjItVEVYVA==") {
			t.Fatalf("_history%s: %d %.400s", q, r.status, r.body)
		}
		if !strings.Contains(r.body, "confidential-items") {
			t.Errorf("_history%s: no notice, though the first version is withheld: %.400s", q, r.body)
		}
	}
}

// TestReview7aEverythingBeforeAWithheldPatientIsWritten: the hospital
// opens Jane's record as a source of her data before any Patient resource
// of hers is stored; the one the practice then writes is withheld from it
// (her Consent denies the hospital her demographics). $everything must
// answer the same before and after: a 404 that turned into a 200 told the
// hospital that a Patient withheld from it had been written.
func TestReview7aEverythingBeforeAWithheldPatientIsWritten(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Encounter/admission", `{"resourceType":"Encounter","id":"admission","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"period":{"start":"2025-03-01","end":"2025-03-09"},"serviceType":{"text":"HOSP-ADMISSION"}}`})
	e.putAll(t, gp, [2]string{"/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES"}}`},
		[2]string{"/fhir/Consent/no-demo", janeConsent("no-demo", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],"class":[{"system":"http://hl7.org/fhir/resource-types","code":"Patient"}]}`)})
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	before := e.do("GET", "/fhir/Patient/jane/$everything", clinician, "")
	e.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	if r := e.do("GET", "/fhir/Patient/jane", clinician, ""); r.status != 404 {
		t.Fatalf("the withheld Patient's read: %d", r.status)
	}
	after := e.do("GET", "/fhir/Patient/jane/$everything", clinician, "")
	if before.status != after.status {
		t.Errorf("$everything answered %d before the withheld Patient was written, %d after", before.status, after.status)
	}
	if after.status != 200 || !strings.Contains(after.body, "HOSP-ADMISSION") || strings.Contains(after.body, `"resourceType":"Patient"`) {
		t.Errorf("$everything after: %d %.300s", after.status, after.body)
	}
	// No one's record at all is still a 404.
	if r := e.do("GET", "/fhir/Patient/nobody/$everything", clinician, ""); r.status != 404 {
		t.Errorf("$everything of no one: %d", r.status)
	}
}
