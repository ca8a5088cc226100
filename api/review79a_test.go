package api_test

// Review 79a: re-read of 097cb0d (reviews 78a-d) and c1f97d0 (review 78b:
// a Patient on another server is refused). Self-contained (no helpers of
// review 78's files) so that it runs at the parents f1d2d0f and 097cb0d.

import (
	"context"
	"net/http/httptest"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/sqlite"
	"regexp"
	"strings"
	"testing"
	"time"
)

// r79aResp is a batch or transaction response, as review 78d reads one.
type r79aResp = r78dResp

func r79aParse(t *testing.T, body string) r79aResp {
	t.Helper()
	return r78dParse(t, body)
}

func r79aConsent(id, rule, provision string) string {
	return janeConsent(id, "2026-01-10", rule, `,"provision":`+provision)
}

const r79aCouncil = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/E06000999"}}`
const r79aHospital = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}`

// TestReview79aDocumentBundleForeignPatientFiledUnderOwn
//
// Input: the hospital's system stores its discharge document (a document
// Bundle, as a feed keeps it) about ITS patient "jane": the Composition's
// subject and the Patient entry's fullUrl are
// https://other-trust.example/fhir/Patient/jane, and the Patient entry
// (id "jane") carries another person's NHS number (9000000009).
//
// checkForeignPatientRefs exempts a reference to "an entry of a Bundle the
// resource holds" — but the stored Bundle's people are read by type and id
// (PatientCompartment: the Patient entry's id, the Composition's subject
// Patient/jane), so the document is filed under carex's Patient/jane: the
// very defect c1f97d0 closes ("the hospital's Condition about its own
// patient jane ... another person's diagnosis in her record"), kept open
// for documents. README "A Patient on another server is refused".
//
// Severity: leak of another person's personal data into Jane's record
// (released to her GP by $everything). Parent (f1d2d0f/097cb0d): the same
// (nothing was refused), so not a regression: a gap of the fix.
func TestReview79aDocumentBundleForeignPatientFiledUnderOwn(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	const other = "https://other-trust.example/fhir/Patient/jane"
	doc := `{"resourceType":"Bundle","id":"r79a-doc","type":"document","timestamp":"2026-01-05T10:00:00Z",
	 "identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:5c6a3c51-6b8e-4d39-9a57-0a2d1b7b7e11"},
	 "entry":[
	  {"fullUrl":"https://other-trust.example/fhir/Composition/dc1","resource":{"resourceType":"Composition","id":"dc1","status":"final",
	    "type":{"coding":[{"system":"http://snomed.info/sct","code":"373942005","display":"Discharge summary"}]},
	    "subject":{"reference":"` + other + `"},"date":"2026-01-05","author":[{"reference":"Organization/RHX"}],"title":"R79A-OTHER-JANE-DISCHARGE",
	    "section":[{"title":"Diagnosis","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">R79A-OTHER-JANE-DIAGNOSIS</div>"}}]}},
	  {"fullUrl":"` + other + `","resource":{"resourceType":"Patient","id":"jane",
	    "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Other","given":["Jane"]}]}}]}`
	w := e.do("PUT", "/fhir/Bundle/r79a-doc", hosp, doc)
	t.Logf("PUT document Bundle naming other-trust's Patient/jane: %d %.300s", w.status, w.body)
	if w.status >= 300 {
		return // refused: sound
	}
	ev := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	if strings.Contains(ev.body, "R79A-OTHER-JANE") {
		t.Errorf("another trust's patient's discharge document (its Patient/jane, NHS number 9000000009) was filed under carex's Patient/jane and released to her GP in $everything")
	}
	if r := e.do("GET", "/fhir/Bundle?patient=jane", gp, ""); strings.Contains(r.body, "R79A-OTHER-JANE") {
		t.Errorf("GET Bundle?patient=jane releases the other trust's document to Jane's GP")
	}
}

// TestReview79aForwardedSchemeRoundTrip
//
// Input: carex behind a TLS-terminating proxy that says so with
// X-Forwarded-Ssl: on (echo honours it, as it does X-Forwarded-Protocol
// and X-Url-Scheme), no --base-url. A top-level PUT answers Location
// https://HOST/fhir/Patient/jane/...; a batch entry then names Jane by
// that URL. subRequest copies X-Forwarded-Proto to the entry's request but
// not X-Forwarded-Ssl / -Protocol / X-Url-Scheme, so inside the batch
// carex's base is http://HOST/fhir and its own Location is "a Patient on
// another server": 422. The reverse too: a batch entry's response.location
// (http://…) used in a plain POST is refused.
//
// Breaks: the brief's "what carex returns in Location/fullUrl must be
// accepted back as a reference"; README's --base-url advice covers it,
// but the two bases of one request disagree without it.
// Severity: over-refusal (a feed's write refused, nothing stored).
// Parent f1d2d0f/097cb0d: accepted (no base check) — a regression of c1f97d0.
func TestReview79aForwardedSchemeRoundTrip(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cond := func(subject, marker string) string {
		return `{"resourceType":"Condition","subject":{"reference":"` + subject + `"},"code":{"text":"` + marker + `"}}`
	}
	rosa := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Feedwell","given":["Rosa"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	for _, hdr := range [][]string{{"X-Forwarded-Ssl", "on"}, {"X-Forwarded-Protocol", "https"}, {"X-Url-Scheme", "https"}} {
		t.Run(hdr[0], func(t *testing.T) {
			gpSys := e.token("system", "nhs", "A81001")
			post := e.do("POST", "/fhir/Patient", gpSys, rosa, hdr...)
			loc := post.header.Get("Location")
			if post.status != 201 || !strings.HasPrefix(loc, "https://") {
				t.Fatalf("premise: POST Patient behind the proxy: %d Location %q %.200s", post.status, loc, post.body)
			}
			// The Location, back as a reference, at the top level: accepted.
			if r := e.do("POST", "/fhir/Condition", gpSys, cond(loc, "R79A-TOP"), hdr...); r.status != 201 {
				t.Errorf("premise: carex's own Location %q as a plain POST's subject: %d %.200s", loc, r.status, r.body)
			}
			// The same, in a batch entry.
			b := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + cond(loc, "R79A-IN-BATCH") + `,"request":{"method":"POST","url":"Condition"}}]}`
			r := e.do("POST", "/fhir", gpSys, b, hdr...)
			out := r79aParse(t, r.body)
			if r.status != 200 || len(out.Entry) != 1 || out.Entry[0].Response.Status != "201 Created" {
				t.Errorf("carex's own Location %q named in a batch entry: %d %.400s", loc, r.status, r.body)
			}
			// A batch entry's own location, back in a plain POST.
			b2 := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + rosa + `,"request":{"method":"POST","url":"Patient"}}]}`
			r2 := e.do("POST", "/fhir", gpSys, b2, hdr...)
			out2 := r79aParse(t, r2.body)
			if len(out2.Entry) != 1 || out2.Entry[0].Response.Location == "" {
				t.Fatalf("premise: batch POST Patient: %.300s", r2.body)
			}
			bl := out2.Entry[0].Response.Location
			if w := e.do("POST", "/fhir/Condition", gpSys, cond(bl, "R79A-BATCH-LOC"), hdr...); w.status != 201 {
				t.Errorf("the batch-response's own location %q (fullUrl %q) as a plain POST's subject: %d %.200s", bl, out2.Entry[0].FullURL, w.status, w.body)
			}
		})
	}
}

// r79aStoreLegacyCode rewrites a stored Consent's code in place, as an
// earlier release stored it (before 097cb0d refused the form on write).
func r79aStoreLegacyCode(t *testing.T, e *env, id, from, to string) {
	t.Helper()
	q := `UPDATE versions SET raw = CAST(replace(CAST(raw AS TEXT), '"` + from + `"', '"` + to + `"') AS BLOB) WHERE rid IN (SELECT rid FROM resources WHERE type = 'Consent' AND id = '` + id + `')`
	if _, err := e.db.Writer().Exec(q); err != nil {
		t.Fatal(err)
	}
	// A server started on the file, as after an upgrade: the store that
	// wrote the Consent keeps what it parsed.
	v, err := auth.NewVerifier(auth.Config{DevKey: e.key})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), e.db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := api.New(api.Config{Store: db, Verifier: v, Dev: true, MaxBody: 64 << 10, Recorder: e.rec})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	e.srv, e.api, e.base, e.db = hs, s, hs.URL, db
}

// TestReview79aStoredICD10WildcardDenyStillWithholdsNothing
//
// Input: "not my eating disorder to the council", OPTIN with a deny to the
// council of ICD-10 F50* (or F50.-), as a release before 097cb0d stored it
// (201). 097cb0d refuses the form on write (a refusal of
// Policy.CheckConsent, not of ParseConsent), so a stored one is read as
// before and codeMatch("F50*", "F50.0") is still false: the GP's F50.0
// anorexia goes to the social worker. The commit's own diagnosis (review
// 78c: written any of those ways it "withheld nothing coded F50.0") holds
// for every such Consent already on file; README says such a form is
// "refused, 422" and that a stored Consent this release cannot read counts
// as an objection to all sharing — this one is neither.
//
// Severity: leak of a withheld item (a diagnosis the person denied).
// Parent: the same (not a regression; the fix covers new writes only).
func TestReview79aStoredICD10WildcardDenyStillWithholdsNothing(t *testing.T) {
	for _, code := range []string{"F50*", "F50.-"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			sw := e.token("social-worker", "council", "E06000999")
			if r := e.do("PUT", "/fhir/Condition/anorexia", gpSys, `{"resourceType":"Condition","id":"anorexia","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.0"}],"text":"R79A-ANOREXIA"}}`); r.status != 201 {
				t.Fatalf("seed: %d %s", r.status, r.body)
			}
			// Stored with a placeholder code, then rewritten as the earlier
			// release would have stored the person's words.
			c := r79aConsent("legacy", "OPTIN", `{"type":"deny","actor":[`+r79aCouncil+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z99.8"}]}]}`)
			if r := e.do("PUT", "/fhir/Consent/legacy", gpSys, c); r.status != 201 {
				t.Fatalf("consent: %d %s", r.status, r.body)
			}
			r79aStoreLegacyCode(t, e, "legacy", "Z99.8", code)
			if r := e.do("GET", "/fhir/Consent/legacy", gpSys, ""); !strings.Contains(r.body, `"`+code+`"`) {
				t.Fatalf("premise: the stored Consent now codes %s: %d %.300s", code, r.status, r.body)
			}
			if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 200 {
				t.Fatalf("premise: the social worker reads the GP's diabetes: %d", r.status)
			}
			if r := e.do("GET", "/fhir/Condition/anorexia", sw, ""); r.status == 200 {
				t.Errorf("a stored deny of ICD-10 %s to the council (accepted by an earlier release) still releases F50.0 to the social worker", code)
			}
		})
	}
}

// TestReview79aICD10DenyTrailingDot
//
// Input: the same deny written "F50." (the category with ICD-10's dot and
// nothing after it, as some systems print a three-character code). Not a
// three-character category to icd10Category (length 4), not equal to F50.0
// without dots (icd10Equal("F50.", "F50.0") is false), and not refused:
// stored 201 and withholding nothing coded F50.0 — the review 78c case by
// yet another spelling. README: "ICD-10 codes as the labelling reads them:
// without dots ... a three-character category (F50) covering its
// subcategories".
// Severity: leak of a withheld item. Parent f1d2d0f: the same (no
// category at all); 097cb0d's category rule misses it.
func TestReview79aICD10DenyTrailingDot(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("PUT", "/fhir/Condition/anorexia", gpSys, `{"resourceType":"Condition","id":"anorexia","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.0"}],"text":"R79A-ANOREXIA"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	r := e.do("PUT", "/fhir/Consent/dot", gpSys, r79aConsent("dot", "OPTIN", `{"type":"deny","actor":[`+r79aCouncil+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50."}]}]}`))
	t.Logf("deny F50.: %d %.200s", r.status, r.body)
	if r.status != 201 {
		return // refused: the person is told (sound)
	}
	if g := e.do("GET", "/fhir/Condition/anorexia", sw, ""); g.status == 200 {
		t.Errorf("a deny of ICD-10 \"F50.\" to the council was stored (201) and F50.0 still goes to the social worker")
	}
}

// TestReview79aPermitICD10NoSystemStoredUnheeded
//
// Input: OPTOUT, "except my depression to the hospital": a permit to RHX
// of code F32 with no system (a form codeMatch reads as ICD-10: want.System
// == "" matches an ICD-10 item). The GP's F32.1 is labelled PSY (code PSY
// icd10 F3*). checkLabelledPermits asks p.Labels({"", "F32"}), which
// labels a no-system code only as SNOMED CT (all digits), so the permit
// passes and is stored 201 — and releases nothing it names, the very
// case 097cb0d makes a 422 ("a permit of a code the code lists label must
// name that label ... or it is refused, 422", review 78c: "stored and
// released nothing"). The same with the system given and the category
// F32 is refused (sound: checked below).
// Severity: over-withholding (the person's release silently ignored).
// Parent f1d2d0f: stored, released nothing (no check at all, and no
// category matching).
func TestReview79aPermitICD10NoSystemStoredUnheeded(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/dep", gpSys, `{"resourceType":"Condition","id":"dep","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F32.1"}],"text":"R79A-DEPRESSION"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	withSys := e.do("PUT", "/fhir/Consent/p1", gpSys, r79aConsent("p1", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[`+r79aHospital+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F32"}]}]}]}`))
	t.Logf("permit ICD-10 F32 with its system: %d %.200s", withSys.status, withSys.body)
	r := e.do("PUT", "/fhir/Consent/p2", gpSys, r79aConsent("p2", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[`+r79aHospital+`],"code":[{"coding":[{"code":"F32"}]}]}]}`))
	t.Logf("permit F32 without a system: %d %.200s", r.status, r.body)
	if r.status != 201 {
		return
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	g := e.do("GET", "/fhir/Condition/dep", hosp, "")
	if g.status != 200 {
		t.Errorf("a permit of F32 (no system) to the hospital, unlabelled, was stored 201 and releases nothing (GET Condition/dep by the hospital: %d), where the same permit with its system is %d", g.status, withSys.status)
	}
}

// TestReview79aBatchOwnAbsoluteURLFalseSibling
//
// Input: a PAS feed's batch, RESTful fullUrls as R4 asks for updates
// (fullUrl = the resource's own URL on carex): entry 0 PUT Patient/jane,
// entry 1 PUT Encounter/r79a-enc whose subject is carex's absolute URL for
// Jane (c1f97d0 accepts this server's own base). Nothing depends on entry
// 0 (Patient/jane exists on carex already), yet siblingNamed finds
// entry 0's fullUrl among entry 1's strings and refuses it 400 "send a
// transaction". Severity: over-refusal (a feed's write refused). Parent
// f1d2d0f: 201.
func TestReview79aBatchOwnAbsoluteURLFalseSibling(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	jane := e.base + "/fhir/Patient/jane"
	b := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"fullUrl":"` + jane + `","resource":` + janeJSON + `,"request":{"method":"PUT","url":"Patient/jane"}},
	 {"fullUrl":"` + e.base + `/fhir/Encounter/r79a-enc","resource":{"resourceType":"Encounter","id":"r79a-enc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
	   "subject":{"reference":"` + jane + `"},"serviceType":{"text":"R79A-ENC"}},"request":{"method":"PUT","url":"Encounter/r79a-enc"}}]}`
	r := e.do("POST", "/fhir", gpSys, b)
	out := r79aParse(t, r.body)
	if len(out.Entry) != 2 {
		t.Fatalf("batch: %d %.400s", r.status, r.body)
	}
	t.Logf("entry 0: %s; entry 1: %s %.300s", out.Entry[0].Response.Status, out.Entry[1].Response.Status, out.Entry[1].Response.Outcome)
	if !strings.HasPrefix(out.Entry[1].Response.Status, "201") {
		t.Errorf("an independent batch entry naming an existing Patient by carex's own absolute URL (which another entry updates) was refused: %s %.300s", out.Entry[1].Response.Status, out.Entry[1].Response.Outcome)
	}
}

// TestReview79aSoundBatchSiblingPrefixAndLastModified: urn:uuid:1 is not
// urn:uuid:10 (quoted comparison), an entry with no fullUrl and a DELETE
// are not "siblings", a fullUrl held as an identifier value is refused
// (noted, not failed), and lastModified is an R4 instant.
func TestReview79aSoundBatchSiblingPrefixAndLastModified(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	b := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R79A-1"},"note":[{"text":"see urn:uuid:10"}]},"request":{"method":"POST","url":"Condition"}},
	 {"fullUrl":"urn:uuid:10","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R79A-10 urn:uuid:1 in text"}},"request":{"method":"POST","url":"Condition"}},
	 {"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R79A-NOFULL"}},"request":{"method":"POST","url":"Condition"}},
	 {"fullUrl":"urn:uuid:1","request":{"method":"DELETE","url":"Condition/nonexistent-r79a"}},
	 {"fullUrl":"urn:uuid:ident","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R79A-IDENT"},"identifier":[{"system":"urn:ietf:rfc:3986","value":"urn:uuid:10"}]},"request":{"method":"POST","url":"Condition"}}]}`
	r := e.do("POST", "/fhir", hosp, b)
	out := r79aParse(t, r.body)
	if len(out.Entry) != 5 {
		t.Fatalf("batch: %d %.400s", r.status, r.body)
	}
	instant := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
	for i := 0; i < 3; i++ {
		en := out.Entry[i].Response
		if !strings.HasPrefix(en.Status, "201") {
			t.Errorf("entry %d: %s %.300s", i, en.Status, en.Outcome)
			continue
		}
		if !instant.MatchString(en.LastModified) {
			t.Errorf("entry %d lastModified %q is not an R4 instant", i, en.LastModified)
		} else if lm, _ := time.Parse(time.RFC3339, en.LastModified); time.Since(lm) > time.Hour || time.Until(lm) > time.Minute {
			t.Errorf("entry %d lastModified %q is not now", i, en.LastModified)
		}
	}
	t.Logf("DELETE entry: %s; identifier equal to a sibling's fullUrl: %s %.200s", out.Entry[3].Response.Status, out.Entry[4].Response.Status, out.Entry[4].Response.Outcome)
}

// TestReview79aSoundForeignRefForms: what c1f97d0 must still refuse
// (upper-case scheme, another port, a trailing slash, RelatedPerson's
// patient, a Consent's patient, Group.member, a reference in an extension)
// and what it must accept (own base with a trailing slash, versioned, and
// with --base-url ending in "/").
func TestReview79aSoundForeignRefForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	gpSys := e.token("system", "nhs", "A81001")
	port := e.base[strings.LastIndexByte(e.base, ':'):]
	cond := func(subject, extra string) string {
		return `{"resourceType":"Condition","subject":{"reference":"` + subject + `"},"code":{"text":"R79A-FORM"}` + extra + `}`
	}
	refused := map[string][2]string{
		"upper scheme":        {"Condition", cond("HTTPS://other-trust.example/fhir/Patient/jane", "")},
		"own host other port": {"Condition", cond(strings.Replace(e.base, port, ":1", 1)+"/fhir/Patient/jane", "")},
		"trailing slash":      {"Condition", cond("https://other-trust.example/fhir/Patient/jane/", "")},
		"extension":           {"Condition", cond("Patient/jane", `,"extension":[{"url":"https://x.example/ext","valueReference":{"reference":"https://other-trust.example/fhir/Patient/jane"}}]`)},
		"related person":      {"RelatedPerson", `{"resourceType":"RelatedPerson","patient":{"reference":"https://other-trust.example/fhir/Patient/jane"},"name":[{"family":"X"}]}`},
		"group member":        {"Group", `{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"https://other-trust.example/fhir/Patient/jane"}}]}`},
		"percent-encoded":     {"Condition", cond("https://other-trust.example/fhir/Patient/ja%6Ee", "")},
		"collection entry":    {"Bundle", `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:7d1e","resource":` + cond("https://other-trust.example/fhir/Patient/jane", "") + `}]}`},
		"consent patient":     {"Consent", strings.Replace(janeConsent("c", "2026-01-10", "OPTOUT", ""), `"Patient/jane"`, `"https://other-trust.example/fhir/Patient/jane"`, 1)},
	}
	for name, w := range refused {
		tok := hosp
		if w[0] == "Consent" {
			tok = gpSys
		}
		if r := e.do("POST", "/fhir/"+w[0], tok, w[1]); r.status < 400 {
			t.Errorf("%s: %d, want refused: %.200s", name, r.status, r.body)
		} else {
			t.Logf("%s: %d %.160s", name, r.status, r.body)
		}
	}
	for name, ref := range map[string]string{
		"own versioned": e.base + "/fhir/Patient/jane/_history/1",
		"own slash":     e.base + "/fhir/Patient/jane/",
	} {
		if r := e.do("POST", "/fhir/Condition", hosp, cond(ref, "")); r.status != 201 {
			t.Errorf("%s %q: %d %.200s", name, ref, r.status, r.body)
		}
	}
}

// TestReview79aSoundICD10CategoryPermitsAndLegallyRestricted: a permit of
// an ICD-10 category now covers its subcategories (097cb0d). F64 (GRA,
// legally restricted) without its label is refused; Z31 (a category the
// lists do not label, whose Z31.1 is HFEA) is stored, yet releases none of
// Z31.1 to the permitted hospital; break-glass by a stranger GP releases
// neither F64.0 nor Z31.1; OPTOUT with a bare permit (no nested deny) of a
// labelled code not naming it is refused; a permit naming one of two
// labels its codes carry is refused.
func TestReview79aSoundICD10CategoryPermitsAndLegallyRestricted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	for id, code := range map[string]string{"gender": "F64.0", "ivf": "Z31.1", "z31other": "Z31.4"} {
		if r := e.do("PUT", "/fhir/Condition/"+id, gpSys, `{"resourceType":"Condition","id":"`+id+`","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"`+code+`"}],"text":"R79A-`+id+`"}}`); r.status != 201 {
			t.Fatalf("seed %s: %d %s", id, r.status, r.body)
		}
	}
	icd := func(c string) string {
		return `{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"` + c + `"}]}`
	}
	lbl := func(c string) string {
		return `{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"` + c + `"}`
	}
	refused := map[string]string{
		"F64 no label":          `{"type":"deny","provision":[{"type":"permit","actor":[` + r79aHospital + `],"code":[` + icd("F64") + `]}]}`,
		"bare permit no label":  `{"type":"permit","actor":[` + r79aHospital + `],"code":[` + icd("F32") + `]}`,
		"two labels, one named": `{"type":"deny","provision":[{"type":"permit","actor":[` + r79aHospital + `],"securityLabel":[` + lbl("PSY") + `],"code":[` + icd("F32") + `,` + icd("B20") + `]}]}`,
	}
	for name, prov := range refused {
		if r := e.do("PUT", "/fhir/Consent/x", gpSys, r79aConsent("x", "OPTOUT", prov)); r.status != 422 {
			t.Errorf("%s: %d, want 422: %.200s", name, r.status, r.body)
		}
	}
	if r := e.do("PUT", "/fhir/Consent/z31", gpSys, r79aConsent("z31", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[`+r79aHospital+`],"code":[`+icd("Z31")+`]}]}`)); r.status != 201 {
		t.Fatalf("permit of Z31: %d %.200s", r.status, r.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/z31other", hosp, ""); r.status != 200 {
		t.Errorf("the permit of Z31 does not release Z31.4 to the hospital: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/ivf", hosp, ""); r.status != 404 {
		t.Errorf("the permit of Z31 (no label) releases HFEA-labelled Z31.1 to the hospital: %d", r.status)
	}
	stranger := e.token("gp", "nhs", "Z99999")
	ev := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, no next of kin")
	if ev.status != 200 || strings.Contains(ev.body, "R79A-gender") || strings.Contains(ev.body, "R79A-ivf") {
		t.Errorf("break-glass: %d, releases a legally restricted item: gender %v ivf %v", ev.status, strings.Contains(ev.body, "R79A-gender"), strings.Contains(ev.body, "R79A-ivf"))
	}
}

// TestReview79aSoundPatientLinkForeign (logged, not failed): a PAS feed's
// Patient with link.other (seealso) to its own server's record of her.
func TestReview79aSoundPatientLinkForeign(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := strings.Replace(janeJSON, `"gender"`, `"link":[{"other":{"reference":"https://pas.other-trust.example/fhir/Patient/jane"},"type":"seealso"}],"gender"`, 1)
	r := e.do("PUT", "/fhir/Patient/jane", gpSys, body)
	t.Logf("Patient/jane with link.other to another server's Patient/jane: %d %.250s", r.status, r.body)
}
