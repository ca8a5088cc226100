package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/auditlog"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 117b: writes from client systems (SPEC §1 role system, §3):
// ownership, versions, deletes, transactions, and what each write does to
// what others are released. Each probe runs a real server (newEnv: real
// SQLite, real tokens) seeded by seedShared (Jane: the GP practice A81001's
// Patient, diabetes, HIV, HbA1c; the trust RCX's care team and care plan;
// the hospital RHX's admission; the council E06000999's care package).

// r117bVersion is meta.versionId of a stored resource as its source reads it.
func r117bVersion(t *testing.T, e *env, tok, path string) string {
	t.Helper()
	r := e.do("GET", path, tok, "")
	var m struct {
		Meta struct {
			VersionID   string `json:"versionId"`
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
	}
	json.Unmarshal([]byte(r.body), &m)
	return fmt.Sprintf("%d %s", r.status, m.Meta.VersionID)
}

// TestReview117bSoundCrossOrgWritesRefused: the council's client system
// cannot PUT, DELETE, conditionally update or transact over an item the
// GP practice recorded, nor over Jane's Patient; each is refused and the
// item keeps its version; the GP's users are released it as before.
func TestReview117bSoundCrossOrgWritesRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	gpSys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	before := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes")
	overwrite := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"COUNCIL-OVERWRITE"}}`
	for _, c := range []struct{ name, method, path, body string }{
		{"PUT over GP item", "PUT", "/fhir/Condition/diabetes", overwrite},
		{"PUT over GP item, If-Match", "PUT", "/fhir/Condition/diabetes", overwrite},
		{"DELETE GP item", "DELETE", "/fhir/Condition/diabetes", ""},
		{"PUT over Jane's Patient", "PUT", "/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","name":[{"family":"COUNCIL"}]}`},
		{"DELETE Jane's Patient", "DELETE", "/fhir/Patient/jane", ""},
		{"conditional PUT by _id", "PUT", "/fhir/Condition?_id=diabetes", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"COUNCIL-OVERWRITE"}}`},
		{"transaction PUT", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"https://x.example/fhir/Condition/diabetes","resource":` + overwrite + `,"request":{"method":"PUT","url":"Condition/diabetes"}}]}`},
		{"transaction DELETE", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition/diabetes"}}]}`},
		{"batch DELETE", "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"Condition/diabetes"}}]}`},
	} {
		hdr := []string{}
		if strings.Contains(c.name, "If-Match") {
			hdr = []string{"If-Match", `W/"1"`}
		}
		r := e.do(c.method, c.path, council, c.body, hdr...)
		// (a conditional PUT by _id matches nothing the council sees, so
		// it creates an item of the council's own under a new id, as
		// README says: that is not the GP's)
		if strings.HasPrefix(c.path, "/fhir/Condition?") {
			if r.status != 201 || strings.Contains(r.body, `"id":"diabetes"`) {
				t.Errorf("%s: %d %.300s", c.name, r.status, r.body)
			}
			continue
		}
		if r.status/100 == 2 && c.path != "/fhir" || strings.Contains(r.body, `"status":"20`) {
			t.Errorf("%s: %d %.300s", c.name, r.status, r.body)
		}
	}
	if after := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes"); after != before {
		t.Errorf("GP's diabetes changed: %s -> %s", before, after)
	}
	if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 200 || strings.Contains(r.body, "COUNCIL") {
		t.Errorf("Jane's Patient after council's writes: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", gp, ""); r.status != 200 || strings.Contains(r.body, "COUNCIL-OVERWRITE") {
		t.Errorf("GP's diabetes to the GP: %d %.200s", r.status, r.body)
	}
}

// TestReview117bSoundTransactionWithRefusedEntryStoresNothing: a
// transaction whose last entry is a PUT over another organisation's item
// stores none of its creates (SPEC §3: all-or-nothing; a refused write
// stores nothing), and is logged as refused (not permit, status 409); a batch
// of the same entries stores the create and refuses the PUT in its entry.
func TestReview117bSoundTransactionWithRefusedEntryStoresNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
		{"fullUrl":"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001","resource":{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"description":"R117B-TX-TASK"},"request":{"method":"POST","url":"Task"}},
		{"resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"COUNCIL-OVERWRITE"}},"request":{"method":"PUT","url":"Condition/diabetes"}}]}`
	r := e.do("POST", "/fhir", council, tx)
	x := e.lastEntry(t)
	// (the GP's item is withheld from the council's system: its id is
	// answered as a taken one, 409, as README's PUT-as-create says)
	if r.status != 409 || x.Status != 409 || x.Decision == "permit" {
		t.Errorf("transaction with a refused entry: %d %.300s; logged %s %d %v", r.status, r.body, x.Decision, x.Status, x.Reasons)
	}
	if s := e.do("GET", "/fhir/Task?patient=jane", council, ""); strings.Contains(s.body, "R117B-TX-TASK") {
		t.Errorf("the refused transaction's Task was stored: %.300s", s.body)
	}
	batch := strings.Replace(strings.Replace(tx, `"transaction"`, `"batch"`, 1), "R117B-TX-TASK", "R117B-BATCH-TASK", 1)
	batch = strings.Replace(batch, `"fullUrl":"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001",`, "", 1)
	r = e.do("POST", "/fhir", council, batch)
	if r.status != 200 || !strings.Contains(r.body, `"201 Created"`) || !strings.Contains(r.body, `"409`) {
		t.Errorf("batch: %d %.500s", r.status, r.body)
	}
	if s := e.do("GET", "/fhir/Task?patient=jane", council, ""); !strings.Contains(s.body, "R117B-BATCH-TASK") {
		t.Errorf("the batch's allowed Task was not stored: %.300s", s.body)
	}
}

// TestReview117bSoundIfMatch: If-Match with a stale, garbage or strong
// ETag; versionId monotone through delete and re-create; a PUT creating at
// a new id is version 1.
func TestReview117bSoundIfMatch(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES-2"}}`
	for _, c := range []struct {
		etag string
		want int
	}{
		{`W/"7"`, 412},
		{`garbage`, 0},
		{`W/"x"`, 0},
		{`*`, 0},
	} {
		r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, body, "If-Match", c.etag)
		if c.want != 0 && r.status != c.want || c.want == 0 && r.status/100 == 2 {
			t.Errorf("If-Match %s: %d %.200s", c.etag, r.status, r.body)
		}
	}
	if v := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes"); v != "200 1" {
		t.Errorf("after refused If-Match updates: %s", v)
	}
	// a strong ETag of the current version is the same version
	if r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, body, "If-Match", `"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
		t.Errorf("If-Match strong current: %d %s %.200s", r.status, r.header.Get("ETag"), r.body)
	}
	if r := e.do("DELETE", "/fhir/Condition/diabetes", gpSys, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, body); r.status/100 != 2 || r.header.Get("ETag") != `W/"4"` {
		t.Errorf("re-create after delete: %d %s", r.status, r.header.Get("ETag"))
	}
	r := e.do("GET", "/fhir/Condition/diabetes/_history", gpSys, "")
	var h struct {
		Entry []struct {
			Resource struct {
				Meta struct {
					VersionID   string `json:"versionId"`
					LastUpdated string `json:"lastUpdated"`
				} `json:"meta"`
			} `json:"resource"`
			Request struct{ Method string } `json:"request"`
		} `json:"entry"`
	}
	json.Unmarshal([]byte(r.body), &h)
	prev := ""
	for i := len(h.Entry) - 1; i >= 0; i-- {
		lu := h.Entry[i].Resource.Meta.LastUpdated
		if lu != "" && prev != "" && lu < prev {
			t.Errorf("lastUpdated goes back: %s after %s", lu, prev)
		}
		if lu != "" {
			prev = lu
		}
	}
	if len(h.Entry) != 4 {
		t.Errorf("history of re-created item: %d entries %.600s", len(h.Entry), r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/r117b-new", gpSys, `{"resourceType":"Condition","id":"r117b-new","subject":{"reference":"Patient/jane"},"code":{"text":"n"}}`); r.status != 201 || r.header.Get("ETag") != `W/"1"` {
		t.Errorf("PUT create: %d %s", r.status, r.header.Get("ETag"))
	}
}

// TestReview117bSoundDeletedHistory: a deleted item's history goes to
// whom the item goes (the GP reads the trust's deleted care plan's
// versions), not to whom it is withheld (the social worker does not see
// the GP's lab result, before or after its delete); a vread of another
// organisation's withheld item is the 404 of a missing one, and a DELETE
// of it by a third organisation is a 404.
func TestReview117bSoundDeletedHistory(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	council := e.token("system", "council", "E06000999")
	if r := e.do("DELETE", "/fhir/CarePlan/wound", trust, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do("GET", "/fhir/CarePlan/wound/_history", gp, ""); r.status != 200 || !strings.Contains(r.body, "TRUST-WOUND-CARE") || !strings.Contains(r.body, `"DELETE"`) {
		t.Errorf("GP's history of deleted care plan: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CarePlan/wound", gp, ""); r.status != 410 {
		t.Errorf("GP's read of deleted care plan: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Observation/hba1c", gpSys, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	for _, p := range []string{"/fhir/Observation/hba1c", "/fhir/Observation/hba1c/_history", "/fhir/Observation/hba1c/_history/1", "/fhir/Observation/hba1c/_history/2"} {
		if r := e.do("GET", p, sw, ""); r.status != 404 || strings.Contains(r.body, "GP-HBA1C") {
			t.Errorf("social worker %s: %d %.200s", p, r.status, r.body)
		}
		if r := e.do("GET", p, council, ""); r.status != 404 || strings.Contains(r.body, "GP-HBA1C") {
			t.Errorf("council system %s: %d %.200s", p, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/fhir/Observation/hba1c", council, ""); r.status != 404 {
		t.Errorf("council deleting the GP's deleted item: %d", r.status)
	}
	if r := e.do("DELETE", "/fhir/Observation/hba1c", gpSys, ""); r.status != 204 {
		t.Errorf("GP deleting again: %d", r.status)
	}
}

// TestReview117bSoundHumanWriters: the IG officer changes nothing; a
// district nurse may record and correct her trust's own items but not the
// GP's; a Consent the nurse records does not lift the GP's record of
// Jane's objection (different organisations' consents count together).
func TestReview117bSoundHumanWriters(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("POST", "/fhir/Condition", ig, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IG-WRITES"}}`); r.status != 403 {
		t.Errorf("IG officer writing a Condition: %d", r.status)
	}
	if r := e.do("POST", "/fhir/Consent", ig, janeConsent("ig-c", "2026-01-11", "OPTIN", "")); r.status != 403 {
		t.Errorf("IG officer writing a Consent: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/diabetes", nurse, `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"NURSE"}}`); r.status != 403 {
		t.Errorf("nurse over the GP's diabetes: %d %.200s", r.status, r.body)
	}
	// Jane objects at her GP: nothing beyond the source.
	if r := e.do("PUT", "/fhir/Consent/jane-out", gpSys, janeConsent("jane-out", "2026-01-10", "OPTOUT", "")); r.status != 201 {
		t.Fatalf("opt-out: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 404 {
		t.Fatalf("nurse after opt-out: %d", r.status)
	}
	r := e.do("PUT", "/fhir/Consent/nurse-in", nurse, janeConsent("nurse-in", "2026-02-01", "OPTIN", ""))
	if g := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); g.status != 404 {
		t.Errorf("nurse's own OPTIN (%d) lifted the GP-recorded opt-out: %d %.200s", r.status, g.status, g.body)
	}
}

// TestReview117bSoundWritesLoggedAndVerify: allowed and refused writes
// each leave an entry with their outcome; the log verifies.
func TestReview117bSoundWritesLoggedAndVerify(t *testing.T) {
	var l *auditlog.Log
	e := newEnv(t, withAccessLog(t, &l))
	seedShared(t, e)
	council := e.token("system", "council", "E06000999", func(c *auth.DevClaims) { c.Sub = "r117b-council" })
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/fhir/Task", `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"}}`, 201},
		{"PUT", "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`, 0},
		{"DELETE", "/fhir/Condition/diabetes", "", 404},
		{"POST", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"favourite":1}`, 422},
	}
	for _, s := range steps {
		r := e.do(s.method, s.path, council, s.body)
		if s.status != 0 && r.status != s.status || s.status == 0 && r.status/100 == 2 {
			t.Errorf("%s %s: %d %.200s", s.method, s.path, r.status, r.body)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []auditlog.Entry
	l.Scan(context.Background(), auditlog.Query{Sub: "r117b-council"}, func(en *auditlog.Entry) error {
		got = append(got, *en)
		return nil
	})
	if len(got) != len(steps) {
		t.Fatalf("%d entries for %d writes", len(got), len(steps))
	}
	for i, en := range got {
		if en.Patient != "jane" || en.Status == 0 || (en.Status/100 == 2) != (en.Decision == "permit") {
			t.Errorf("entry %d: %s %s status=%d decision=%s patient=%q reasons=%v", i, en.Method, en.Path, en.Status, en.Decision, en.Patient, en.Reasons)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, rdb, err := sqlite.OpenConns(strings.TrimSuffix(e.db.Path(), ".db")+"-access.db", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	rep, err := auditlog.Verify(context.Background(), rdb, nil)
	if err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// TestReview117bSoundHugeBundle413: a transaction over the body limit is
// a 413 that stores nothing.
func TestReview117bSoundHugeBundle413(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	council := e.token("system", "council", "E06000999")
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < 2000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"resource":{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},"description":"R117B-HUGE-%d"},"request":{"method":"POST","url":"Task"}}`, i)
	}
	b.WriteString("]}")
	r := e.do("POST", "/fhir", council, b.String())
	if r.status != 413 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("huge bundle: %d %.200s", r.status, r.body)
	}
	if s := e.do("GET", "/fhir/Task?patient=jane", council, ""); strings.Contains(s.body, "R117B-HUGE") {
		t.Errorf("a 413 stored entries")
	}
}

// TestReview117bIfMatchLeadingZeroMatches: an ETag is compared as
// its opaque tag (RFC 7232 §2.3.2: weak comparison is character by
// character), so If-Match W/"01" names no version carex ever issued
// (carex issues W/"1") and should be a 412, as any other ETag that is not
// the current one. carex reads the digits as a number and stores the
// update. (Judgement by HTTP's rule: SPEC §3 says only "If-Match for safe
// updates"; the README's examples are W/"n".)
func TestReview117bIfMatchLeadingZeroMatches(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES-2"}}`
	r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, body, "If-Match", `W/"01"`)
	if r.status != 412 {
		t.Errorf(`If-Match W/"01" against version 1: %d ETag %s, want 412 (no such ETag was issued)`, r.status, r.header.Get("ETag"))
	}
}

// TestReview117bSoundConcurrentWritesVersions: 16 concurrent PUTs with
// If-Match W/"1" store exactly one (the others 412); 16 concurrent plain
// PUTs get 16 distinct versions, all in the history; two organisations
// racing to PUT-create one id: the first wins, the other is refused every
// time (never a version of the other's item), whichever wins.
func TestReview117bSoundConcurrentWritesVersions(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	council := e.token("system", "council", "E06000999")
	run := func(n int, f func(i int) resp) []resp {
		var wg sync.WaitGroup
		out := make([]resp, n)
		for i := range out {
			wg.Add(1)
			go func(i int) { defer wg.Done(); out[i] = f(i) }(i)
		}
		wg.Wait()
		return out
	}
	counts := map[int]int{}
	for _, r := range run(16, func(i int) resp {
		return e.do("PUT", "/fhir/Condition/diabetes", gpSys, fmt.Sprintf(`{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"v-%d"}}`, i), "If-Match", `W/"1"`)
	}) {
		counts[r.status]++
	}
	if counts[200] != 1 || counts[412] != 15 {
		t.Errorf("16 concurrent If-Match W/\"1\": %v", counts)
	}
	etags := map[string]bool{}
	for _, r := range run(16, func(i int) resp {
		return e.do("PUT", "/fhir/Condition/diabetes", gpSys, fmt.Sprintf(`{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"w-%d"}}`, i))
	}) {
		if r.status != 200 {
			t.Errorf("plain PUT: %d", r.status)
		}
		etags[r.header.Get("ETag")] = true
	}
	if len(etags) != 16 {
		t.Errorf("16 concurrent PUTs got %d distinct ETags", len(etags))
	}
	if h := e.do("GET", "/fhir/Condition/diabetes/_history?_count=100", gpSys, ""); !strings.Contains(h.body, `"total":18`) {
		t.Errorf("history: %.200s", h.body)
	}
	race := run(8, func(i int) resp {
		tok := gpSys
		if i%2 == 1 {
			tok = council
		}
		return e.do("PUT", "/fhir/Task/r117b-race", tok, `{"resourceType":"Task","id":"r117b-race","status":"requested","intent":"order","for":{"reference":"Patient/jane"}}`)
	})
	winners := map[int]int{} // i%2 (0 the GP, 1 the council) -> stored writes
	for i, r := range race {
		if r.status/100 == 2 {
			winners[i%2]++
		} else if r.status != 409 {
			t.Errorf("race write %d: %d %.200s", i, r.status, r.body)
		}
	}
	if len(winners) != 1 {
		t.Errorf("both organisations stored versions of one id: %v", winners)
	}
}

// TestReview117bSoundImportOverOtherOrg: carex import as the council's
// system (collection, transaction, batch, NDJSON) cannot store over or
// delete the GP's items.
func TestReview117bSoundImportOverOtherOrg(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	p := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "E06000999", Sector: "council", Role: "system", Purpose: "TREAT"}
	cond := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"IMPORT-OVERWRITE"}}`
	for _, raw := range []string{
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + cond + `}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Condition/diabetes"},"resource":` + cond + `},{"request":{"method":"DELETE","url":"Observation/hba1c"}}]}`,
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"Observation/hba1c"}}]}`,
	} {
		if _, err := e.api.Import(context.Background(), p, []byte(raw)); err == nil {
			t.Errorf("import stored over the GP's items: %.80s", raw)
		}
	}
	if _, err := e.api.ImportResources(context.Background(), p, [][]byte{[]byte(cond)}); err == nil {
		t.Errorf("NDJSON import stored over the GP's diabetes")
	}
	if d, h := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes"), r117bVersion(t, e, gpSys, "/fhir/Observation/hba1c"); d != "200 1" || h != "200 1" {
		t.Errorf("after imports: diabetes %s, hba1c %s", d, h)
	}
}

// TestReview117bSoundVersionsDecidedEach: after the GP corrects its HIV
// diagnosis to an unlabelled text, the social worker and nurse read the
// new version but not version 1 (vread 404, history of 1); after the
// hospital labels its admission PSY, the GP reads neither version; a
// nurse cannot delete the GP's record of Jane's opt-out.
func TestReview117bSoundVersionsDecidedEach(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/hiv", `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"entered on the wrong record"}}`})
	for _, tok := range []string{sw, nurse} {
		if r := e.do("GET", "/fhir/Condition/hiv/_history/1", tok, ""); r.status != 404 || strings.Contains(r.body, "86406008") {
			t.Errorf("vread of the HIV version: %d %.200s", r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/hiv/_history", tok, ""); strings.Contains(r.body, "86406008") || !strings.Contains(r.body, `"total":1`) {
			t.Errorf("history: %.300s", r.body)
		}
	}
	e.putAll(t, hosp, [2]string{"/fhir/Encounter/admission", `{"resourceType":"Encounter","id":"admission","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},"period":{"start":"2025-03-01","end":"2025-03-09"},"serviceType":{"text":"HOSP-ADMISSION"}}`})
	for _, p := range []string{"/fhir/Encounter/admission", "/fhir/Encounter/admission/_history/1", "/fhir/Encounter/admission/_history"} {
		if r := e.do("GET", p, gp, ""); r.status != 404 {
			t.Errorf("GP %s after PSY: %d", p, r.status)
		}
	}
	e.putAll(t, gpSys, [2]string{"/fhir/Consent/jane-out", janeConsent("jane-out", "2026-01-10", "OPTOUT", "")})
	if r := e.do("DELETE", "/fhir/Consent/jane-out", nurse, ""); r.status/100 == 2 {
		t.Errorf("nurse deleted the GP's opt-out: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Consent/jane-out", gpSys, ""); r.status != 200 {
		t.Errorf("opt-out after nurse's delete: %d", r.status)
	}
}

// TestReview117bSoundWriteMakesSourceFlagged: a district nurse whose trust
// has no relationship with Bob writes one observation about him; her
// trust is then a source of his data (SPEC §5 layer 2) and reads his
// record, and that read is flagged claimed-relationship for IG, as README
// says ("writing one naming them by id does").
func TestReview117bSoundWriteMakesSourceFlagged(t *testing.T) {
	e := newEnv(t)
	other := e.token("system", "nhs", "Z99999")
	e.putAll(t, other,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/Z99999"}]}`},
		[2]string{"/fhir/Condition/bobdx", `{"resourceType":"Condition","id":"bobdx","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-DX"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/bobdx", nurse, ""); r.status/100 == 2 {
		t.Fatalf("nurse read Bob's record before any relationship: %d", r.status)
	}
	if r := e.do("POST", "/fhir/Observation", nurse, `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/bob"},"code":{"text":"bp"}}`); r.status != 201 {
		t.Fatalf("nurse's write: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Condition/bobdx", nurse, "")
	x := e.lastEntry(t)
	if r.status == 200 && !slices.Contains(x.Reasons, "claimed-relationship") {
		t.Errorf("read through a relationship made by the reader's own write, not flagged: %v", x.Reasons)
	}
}
