package api_test

// Review 82a: re-read of 0f6cfdf (batch INSERTs prepared on the first
// write; api tests open a copy of a template database) and 99a550f
// (ICD-10 subcategory consents, result parameters given twice refused,
// :iterate and AuditEvent revinclude refused, import error naming).
// Parent for differentials: 089dbaa.

import (
	"context"

	"encoding/json"
	"github.com/carex-project/carex/api/auth"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const r82aForm = "application/x-www-form-urlencoded"

// TestReview82aPostSearchQueryAndFormCountTwice: FHIR R4 §3.1.1.0 lets a
// client POST _search with parameters in the URL as well as in the form
// body ("parameters may be in the URL, the body, or both"). carex's search
// handler takes c.QueryParams() and appends c.FormParams(); echo's
// FormParams is net/http's Request.Form, which already holds the URL's
// query besides the body. So each URL parameter reaches ParseQuery twice,
// and since 99a550f `_count` given twice is a 400: POST
// /fhir/Condition/_search?_count=1 with body patient=Patient/jane is
// refused "_count … given twice: give it once" although the client gave it
// once. The same for _offset/_summary/_total, and for a paging client that
// POSTs to the next link's URL with the parameters in the query and an
// empty form. SPEC §3: "400 malformed" — this request is not. Severity: a
// correct request refused (over-withholding class: the user sees nothing).
// Parent 089dbaa: 200 (the doubled value was taken silently).
func TestReview82aPostSearchQueryAndFormCountTwice(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for _, c := range []struct{ path, body string }{
		{"/fhir/Condition/_search?_count=1", "patient=Patient/jane"},
		{"/fhir/Condition/_search?patient=Patient/jane&_count=1", ""},
		{"/fhir/Condition/_search?_summary=count", "patient=Patient/jane"},
	} {
		r := e.do("POST", c.path, gp, c.body, "Content-Type", r82aForm)
		t.Logf("POST %s [%s] -> %d %.300s", c.path, c.body, r.status, r.body)
		if r.status != 200 {
			t.Errorf("POST %s with form %q: %d, want 200 (each parameter given once):\n%.400s", c.path, c.body, r.status, r.body)
		}
	}
}

// TestReview82aPostAuditEventSearchQueryTwice: the same doubling in the
// IG officer's POST AuditEvent/_search (auditParams copies the query and
// appends FormParams, which holds the query again): patient=jane in the
// URL, agent in the body → "patient given 2 times". README: "POST
// /fhir/AuditEvent/_search (form body, same parameters)". Severity: the IG
// officer's correct query refused (low). Parent: the same (auditQuery
// refused repeats before 99a550f), so not a regression; listed because
// the brief asks whether the IG officer's search still works.
func TestReview82aPostAuditEventSearchQueryTwice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.do("GET", "/fhir/Patient/jane", gp, "")
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("POST", "/fhir/AuditEvent/_search?patient=jane", ig, "agent=gp-user", "Content-Type", r82aForm)
	t.Logf("-> %d %.300s", r.status, r.body)
	if r.status != 200 {
		t.Errorf("POST AuditEvent/_search?patient=jane with form agent=gp-user: %d, want 200:\n%.400s", r.status, r.body)
	}
}

// TestReview82aSoundResultParamsOnceInOwnClients: what carex itself sends
// back gives each result parameter once: the next/previous links of a
// paged search (followed), a batch's GET entry with _count, $everything
// with _count and its next link, and the IG officer's GET AuditEvent
// search (with _count) and its next link, and _include:iterate / AuditEvent
// revinclude refused with a 400 naming them.
func TestReview82aSoundResultParamsOnceInOwnClients(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	follow := func(what, path, tok string) {
		t.Helper()
		for i := 0; i < 6 && path != ""; i++ {
			r := e.do("GET", path, tok, "")
			if r.status != 200 {
				t.Errorf("%s page %d %s: %d %.300s", what, i, path, r.status, r.body)
				return
			}
			var b struct {
				Link []struct{ Relation, URL string }
			}
			json.Unmarshal([]byte(r.body), &b)
			path = ""
			for _, l := range b.Link {
				if l.Relation == "next" {
					u, _ := url.Parse(l.URL)
					for k, v := range u.Query() {
						if len(v) > 1 {
							t.Errorf("%s next link gives %s %d times: %s", what, k, len(v), l.URL)
						}
					}
					path = u.RequestURI()
				}
			}
		}
	}
	follow("search", "/fhir/Condition?patient=Patient/jane&_count=1&_total=accurate", gp)
	follow("$everything", "/fhir/Patient/jane/$everything?_count=2", gp)
	for i := 0; i < 3; i++ {
		e.do("GET", "/fhir/Patient/jane", gp, "")
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	follow("AuditEvent", "/fhir/AuditEvent?patient=jane&_count=1", ig)
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition?patient=Patient/jane&_count=1&_summary=count"}}]}`
	if r := e.do("POST", "/fhir", gp, batch); r.status != 200 || !strings.Contains(r.body, `"status":"200`) {
		t.Errorf("batch GET with _count: %d %.400s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/Condition?patient=Patient/jane&_include:iterate=Condition:subject", "/fhir/Patient?_id=jane&_revinclude=AuditEvent:patient"} {
		r := e.do("GET", p, gp, "")
		if r.status != 400 || !strings.Contains(r.body, "iterate") && !strings.Contains(r.body, "AuditEvent") {
			t.Errorf("%s: %d %.300s", p, r.status, r.body)
		}
	}
}

// TestReview82aSoundSubcategoryPermitReleasesNoLabel: 99a550f makes a
// Consent's ICD-10 subcategory (S72.0) cover the codes under it as a
// permit too. checkLabelledPermits checks the permit's own code only; a
// code under it that carries a label (set by the source in meta.security,
// not derivable from S72.0) must still not be released by a permit that
// names no label (SPEC §5.4: "labelled data is released only to its source
// organisation, or where the person has explicitly permitted it"); the
// unlabelled code under it is released, and a permit of a subcategory
// under a labelled list entry (F32.0, PSY by F3*) without the label is
// refused 422.
func TestReview82aSoundSubcategoryPermitReleasesNoLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := func(id, code, sec string) string {
		return `{"resourceType":"Condition","id":"` + id + `",` + sec + `"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"` + code + `"}],"text":"R82A-` + id + `"}}`
	}
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/hip", cond("hip", "S72.00", "")},
		[2]string{"/fhir/Condition/hiplab", cond("hiplab", "S72.01", `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},`)},
	)
	consent := janeConsent("c82a", "2026-02-01", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit",
	  "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],
	  "code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"S72.0"}]}]}]}`)
	if r := e.do("PUT", "/fhir/Consent/c82a", gpSys, consent); r.status != 201 && r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	r := e.do("GET", "/fhir/Condition?patient=Patient/jane", hosp, "")
	t.Logf("hospital -> %d %.600s", r.status, r.body)
	if r.status != 200 || strings.Contains(r.body, "R82A-hiplab") || !strings.Contains(r.body, "R82A-hip\"") {
		t.Errorf("hospital search: %d, want S72.00 released and PSY-labelled S72.01 withheld:\n%.800s", r.status, r.body)
	}
	psy := janeConsent("c82b", "2026-02-02", "OPTOUT", `,"provision":{"type":"deny","provision":[{"type":"permit",
	  "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}],
	  "code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F32.0"}]}]}]}`)
	if r := e.do("PUT", "/fhir/Consent/c82b", gpSys, psy); r.status != 422 {
		t.Errorf("permit of F32.0 without PSY: %d, want 422: %.300s", r.status, r.body)
	}
}

// TestReview82aSoundTemplateCopyIsFreshAndPrivate: newEnv's database is a
// copy of a template: the file is 0600, has no -wal/-shm left beside it by
// the copy, and the copy holds no resource and no access-log entry (a
// fresh database's state), and each environment gets its own file.
func TestReview82aSoundTemplateCopyIsFreshAndPrivate(t *testing.T) {
	e1, e2 := newEnv(t), newEnv(t)
	var p1, p2 string
	for i, e := range []*env{e1, e2} {
		var seq int
		var name, file string
		rows, err := e.db.Reader().Query(`PRAGMA database_list`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			rows.Scan(&seq, &name, &file)
			if name == "main" {
				if i == 0 {
					p1 = file
				} else {
					p2 = file
				}
			}
		}
		rows.Close()
		var n int
		e.db.Reader().QueryRow(`SELECT count(*) FROM resources`).Scan(&n)
		if n != 0 {
			t.Errorf("env %d: %d resources in a new database", i, n)
		}
	}
	if p1 == "" || p1 == p2 {
		t.Fatalf("files: %q %q", p1, p2)
	}
	fi, err := os.Stat(p1)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v", p1, fi.Mode().Perm())
	}
	gp := e1.token("system", "nhs", "A81001")
	e1.putAll(t, gp, [2]string{"/fhir/Patient/jane", janeJSON})
	var n int
	e2.db.Reader().QueryRow(`SELECT count(*) FROM resources`).Scan(&n)
	if n != 0 {
		t.Errorf("a write to one environment's copy reached the other's: %d", n)
	}
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "carex-new-db*")); len(m) > 0 {
		t.Logf("template dirs left: %v", m)
	}
}

// TestReview82aImportSearchsetDuplicateNamesWrongSecondEntry: 99a550f
// leaves a searchset's outcome entries out before importing it and renames
// the entry an error names back to the file's (renamedEntry), but only the
// first "Bundle.entry[k]" of the text: an error naming two entries keeps
// the second as numbered in the trimmed Bundle. A searchset with its
// outcome entry first (entry[0]) and Patient/p1 at entry[1] and entry[2]:
// "Bundle.entry[1] and entry[1] both change Patient/p1" — the second
// number should be 2. README (import row): "an error in a Bundle … names
// the entry". Severity: an error pointing at the wrong entry (low). Parent:
// stored the outcome entry as a record, so both numbers matched the file
// ("entry[1] and entry[2]"): a regression in the error only.
func TestReview82aImportSearchsetDuplicateNamesWrongSecondEntry(t *testing.T) {
	e := newEnv(t)
	p := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	pat := `{"resourceType":"Patient","id":"p1","gender":"female"}`
	raw := `{"resourceType":"Bundle","type":"searchset","entry":[
	 {"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]},"search":{"mode":"outcome"}},
	 {"fullUrl":"http://x.example/fhir/Patient/p1","resource":` + pat + `,"search":{"mode":"match"}},
	 {"fullUrl":"http://x.example/fhir/Patient/p1/_history/2","resource":` + pat + `,"search":{"mode":"include"}}]}`
	_, err := e.api.Import(context.Background(), p, []byte(raw))
	t.Logf("error: %v", err)
	if err == nil {
		t.Fatalf("imported")
	}
	if !strings.Contains(err.Error(), "entry[2]") {
		t.Errorf("the second Patient is the file's entry[2]; the error names:\n%v", err)
	}
}

// TestReview82aSoundImportReferencePathHoldsKeysOnly: the element path an
// import error now names is made of keys and indexes: a foreign Patient
// reference inside an extension whose url is a person's name, and inside a
// contained resource whose id is one, is named
// "Condition.extension[0].valueReference" / "Condition.contained[0]…",
// never by url or id.
func TestReview82aSoundImportReferencePathHoldsKeysOnly(t *testing.T) {
	e := newEnv(t)
	p := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	for _, res := range []string{
		`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"x"},"extension":[{"url":"https://x.example/Quimby_Ada_19500304","valueReference":{"reference":"https://other.example/fhir/Patient/q"}}]}`,
		`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"x"},"contained":[{"resourceType":"Observation","id":"Quimby-Ada-19500304","status":"final","code":{"text":"y"},"subject":{"reference":"https://other.example/fhir/Patient/q"}}],"evidence":[{"detail":[{"reference":"#Quimby-Ada-19500304"}]}]}`,
	} {
		raw := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p1"}},{"resource":` + res + `}]}`
		_, err := e.api.Import(context.Background(), p, []byte(raw))
		t.Logf("error: %v", err)
		if err == nil {
			t.Errorf("imported")
			continue
		}
		msg := strings.ReplaceAll(err.Error(), `"#Quimby-Ada-19500304"`, "")
		if strings.Contains(msg, "Quimby") || !strings.Contains(msg, "Bundle.entry[1]") {
			t.Errorf("error: %v", err)
		}
	}
}
