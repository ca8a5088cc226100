package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// Review 119a: re-read of 7f93ed2 (If-Match: versionETag), 735e747 (the
// narrowed quoted-letter rule, revision 2026-12-08f: noteHeading,
// headingEnd, noteWords) and e2723fb (--max-entries; 415 on a charset or
// Content-Encoding). Real servers (newEnv: SQLite file, real tokens).

// ---- the quoted-letter rule (fhir/search/dataclass.go noteHeading) ----

// README (revision 2026-12-08f): a heading — "its words up to the first
// colon, dash, full stop or line break after the name" — that holds a
// social care word is the council's own ("Discharge summary, reablement
// team -"). noteHeading reads only the text's first 12 words
// (noteWords(s, 12)), so a social word further on in the heading is not
// seen: the council's own note below (its heading ends at the colon and
// names the community reablement team, word 18) is withheld from the
// district nurse as a quoted hospital letter. Control: the same with a
// short heading reaches her. (Not a regression: at 3bf82c4, where only a
// social word before the name counted, it was withheld too; DOC/WRONG.)
func TestReview119aHeadingSocialWordPastTwelfthWord(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	const body = " package of care restarts Monday, four calls a day, key safe 1234; district nurse to visit for pressure areas and medicines."
	got := r115aNurseGets(t, e,
		r115aMsg("r119a-swctrl", "Discharge summary, agreed with the reablement team:"+body),
		r115aMsg("r119a-swlong", "Discharge summary, agreed at the ward meeting on Monday with Mrs Smith, her daughter and the community reablement team:"+body))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r119a-swctrl"] != 200 {
		t.Fatalf("control (social word early in the heading): %d, want 200", got["/fhir/Communication/r119a-swctrl"])
	}
	r116aWant(t, got, 200, "council's own note whose heading names the reablement team after its 12th word (README: a heading's social word makes it the council's own)",
		"/fhir/Communication/r119a-swlong")
}

// README: "Hospice respite discharge summary:" is a hospice's letter (a
// quote, withheld from the nurse); a heading ends at its first full stop.
// A hospice's summary whose heading names the hospice after an
// abbreviation's stop ("St. Gemma's Hospice") has a heading ending at
// "St", holding "respite" but not "hospice", so it is read as the
// council's own and the 120+ character quote of the hospice's letter
// (diagnoses, medicines) reaches the district nurse. The name is the
// first word; no social word comes before it. (Judgement: the code does
// what README's words say of the full stop, but README says a hospice's
// respite summary is the hospice's.) Control: the same without the stop
// is withheld. A regression of 735e747: at 3bf82c4 (probed in a worktree
// there) both were withheld (404, 404).
func TestReview119aHospiceAfterAbbreviationLeaks(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r119a-hsctrl", "Discharge summary, respite admission at St Gemma's Hospice: "+r118aClin),
		r115aMsg("r119a-hsstop", "Discharge summary, respite admission at St. Gemma's Hospice: "+r118aClin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r119a-hsctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r119a-hsctrl"])
	}
	r116aWant(t, got, 404, "hospice's respite discharge summary quoted under 'St. Gemma's Hospice'", "/fhir/Communication/r119a-hsstop")
}

// Hostile text: a council Task whose note is ~3 MiB of letter names,
// non-breaking spaces, dashes and U+FFFD (what invalid UTF-8 decodes to)
// is stored without a panic and in bounded time; the quoted control is
// still withheld from the nurse.
func TestReview119aSoundHostileTextBounded(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seed112c(t, e)
	council := e.token("system", "council", council112c)
	unit := "Discharge\u00a0summary -\ufffd reablement\u2014IDL/ "
	huge := "Discharge summary, " + strings.Repeat(unit, 3<<20/len(unit))
	notes, _ := json.Marshal([]map[string]string{{"text": huge}})
	w := dsTask112c("r119a-huge", `,"note":`+string(notes))
	t0 := time.Now()
	r := e.do("PUT", w[0], council, w[1])
	d := time.Since(t0)
	t.Logf("PUT %d bytes: %d in %v", len(w[1]), r.status, d)
	if r.status != 201 && r.status != 200 {
		t.Fatalf("hostile note: %d %.300s", r.status, r.body)
	}
	if d > 60*time.Second {
		t.Errorf("hostile note took %v", d)
	}
	if g := e.do("GET", w[0], e.token("district-nurse", "nhs", "RCX"), ""); g.status == 500 {
		t.Errorf("nurse read: %d %.200s", g.status, g.body)
	}
}

// ---- If-Match (api/rest.go versionETag) ----

// README: PUT "If-Match: W/"n" (or "n") ... 412 on a stale version, and
// on digits carex never writes, W/"01" ...; 400 on what is no version
// ETag". W/"0" and W/"99999999999999999999" are digits carex never
// writes: versionETag answers 400 (n < 1; ParseInt overflows) where
// README promises 412. (DOC/WRONG, minor: both refuse.)
func TestReview119aIfMatchUnissuedDigitsNot412(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES-2"}}`
	for _, tag := range []string{`W/"01"`, `W/"0"`, `W/"99999999999999999999"`} {
		r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, body, "If-Match", tag)
		if r.status != 412 {
			t.Errorf("If-Match %s: %d %.200s; README: 412 on digits carex never writes", tag, r.status, r.body)
		}
	}
}

// RFC 9110 §13.1.1: If-Match is a list of entity-tags, and the condition
// holds when any matches the current one. A client holding two versions
// it accepts (W/"1", W/"2") with version 1 current gets a 400 "expected
// an ETag such as W/"3"", not the update. (Judgement: README speaks of
// W/"n" alone and 400 on "what is no version ETag"; a careful client
// library may send a list. Not new: the old parser refused it too.)
//
// A README choice since review 119a: one ETag; a list is refused 400,
// nothing stored.
func TestReview119aIfMatchListRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	body := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES-2"}}`
	if r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, body, "If-Match", `W/"1", W/"2"`); r.status != 400 {
		t.Errorf(`If-Match W/"1", W/"2" with version 1 current: %d %.200s; want 400 as README says`, r.status, r.body)
	}
	if v := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes"); v != "200 1" {
		t.Errorf("after the refused list: %s, want version 1", v)
	}
}

// The forms a client legitimately sends, and transaction and batch
// entries' ifMatch: strong "1" and spaced W/"1" match; a stale or
// unissued ifMatch in a transaction is a 412 that stores nothing; in a
// batch the entry alone answers 412; an empty-quoted ifMatch is a 400;
// DELETE and conditional update with a stale If-Match are 412.
func TestReview119aSoundIfMatchForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := func(v string) string {
		return `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES-` + v + `"}}`
	}
	if r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, cond("a"), "If-Match", ` W/"1" `); r.status != 200 {
		t.Errorf("spaced W/1: %d %.200s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition/diabetes", gpSys, cond("b"), "If-Match", `"2"`); r.status != 200 {
		t.Errorf("strong 2: %d %.200s", r.status, r.body)
	}
	tx := func(typ, ifm string) resp {
		b := `{"resourceType":"Bundle","type":"` + typ + `","entry":[{"fullUrl":"Condition/diabetes","resource":` + cond("tx") +
			`,"request":{"method":"PUT","url":"Condition/diabetes","ifMatch":` + fmt.Sprintf("%q", ifm) + `}}]}`
		return e.do("POST", "/fhir", gpSys, b)
	}
	for _, c := range []struct {
		ifm  string
		want int
	}{{`W/"1"`, 412}, {`W/"03"`, 412}, {`W/""`, 400}, {`W/"x"`, 400}} {
		if r := tx("transaction", c.ifm); r.status != c.want {
			t.Errorf("transaction ifMatch %s: %d %.300s; want %d", c.ifm, r.status, r.body, c.want)
		}
		r := tx("batch", c.ifm)
		if r.status != 200 || !strings.Contains(r.body, fmt.Sprintf(`"status":"%d`, c.want)) {
			t.Errorf("batch ifMatch %s: %d %.300s; want its entry %d", c.ifm, r.status, r.body, c.want)
		}
	}
	if v := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes"); v != "200 3" {
		t.Errorf("after refused transaction/batch entries: %s, want 200 3", v)
	}
	if r := tx("transaction", `W/"3"`); r.status != 200 {
		t.Errorf("transaction current ifMatch: %d %.300s", r.status, r.body)
	}
	if r := e.do("DELETE", "/fhir/Condition/diabetes", gpSys, "", "If-Match", `W/"1"`); r.status != 412 {
		t.Errorf("DELETE stale: %d %.200s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Condition?_id=diabetes", gpSys, cond("c"), "If-Match", `W/"01"`); r.status != 412 {
		t.Errorf("conditional update W/01: %d %.200s", r.status, r.body)
	}
	if v := r117bVersion(t, e, gpSys, "/fhir/Condition/diabetes"); v != "200 4" {
		t.Errorf("end: %s, want 200 4", v)
	}
}

// ---- --max-entries and the 415s (api/bundle.go, api/server.go) ----

func r119aBundle(typ string, n int) string {
	var es []string
	for i := 0; i < n; i++ {
		es = append(es, fmt.Sprintf(`{"resource":{"resourceType":"Observation","id":"r119a-o%d","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"r119a"}},"request":{"method":"PUT","url":"Observation/r119a-o%d"}}`, i, i))
	}
	return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(es, ",") + `]}`
}

// The cap holds for batch as for transaction, at /fhir and /fhir/; the
// refusal is a 413 OperationOutcome, one access-log entry naming Jane,
// nothing stored; exactly the cap is taken.
func TestReview119aSoundMaxEntries(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxEntries = 3 })
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	for _, c := range []struct{ typ, path string }{{"batch", "/fhir"}, {"transaction", "/fhir"}, {"batch", "/fhir/"}, {"transaction", "/fhir/"}} {
		before := review118bEntries(e)
		r := e.do("POST", c.path, sys, r119aBundle(c.typ, 4))
		e.rec.mu.Lock()
		x := e.rec.xs[len(e.rec.xs)-1]
		e.rec.mu.Unlock()
		review118bRefused(t, e, c.typ+" "+c.path, []int{413}, r, before, "/fhir/Observation/r119a-o0", sys)
		if x.Status != 413 || x.Patient != "jane" && !strings.Contains(strings.Join(x.Patients, ","), "jane") {
			t.Errorf("%s %s: log entry status %d patient %q %v", c.typ, c.path, x.Status, x.Patient, x.Patients)
		}
	}
	if r := e.do("POST", "/fhir", sys, r119aBundle("batch", 3)); r.status != 200 {
		t.Errorf("batch of 3: %d %.200s", r.status, r.body)
	}
}

// Legitimate clients: charset UTF-8 in any spelling, quoted, and
// Content-Encoding: identity are taken; POST _search with a form body
// (even one declaring Latin-1, which _search does not read as JSON) works.
func TestReview119aSoundCharsetAndEncoding(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	for i, h := range [][]string{
		{"Content-Type", "application/fhir+json; charset=UTF-8"},
		{"Content-Type", `application/fhir+json;charset="utf-8"`},
		{"Content-Type", "application/json; charset=utf8; fhirVersion=4.0"},
		{"Content-Type", "application/fhir+json", "Content-Encoding", "identity"},
	} {
		body := fmt.Sprintf(`{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"r119a-cs%d"}}`, i)
		if r := review118bRaw(t, e, "POST", "/fhir/Observation", sys, []byte(body), h...); r.status != 201 {
			t.Errorf("%v: %d %.200s", h, r.status, r.body)
		}
	}
	r := review118bRaw(t, e, "POST", "/fhir/Observation/_search", sys, []byte("patient=jane"), "Content-Type", "application/x-www-form-urlencoded; charset=ISO-8859-1")
	if r.status != 200 || !strings.Contains(r.body, `r119a-cs0`) {
		t.Errorf("_search form: %d %.300s", r.status, r.body)
	}
}

// README: 405 "listing only methods the path answers, whatever the body
// or its media type — POST /fhir/metadata too"; a Subscription write is a
// 405. e2723fb's Content-Encoding check runs before refusedMethod, so a
// POST /fhir/metadata or POST /fhir/Subscription sent gzip is a 415.
// (WRONG, minor: still refused and logged, but with the wrong status and
// no Allow.)
func TestReview119aEncodingBeats405(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	// (a Subscription is refused by what its body is, after its media
	// type is checked: a text/plain one is a 415 too, so only the path
	// that answers no POST is asserted)
	for _, p := range []string{"/fhir/metadata"} {
		r := review118bRaw(t, e, "POST", p, sys, []byte(`{"resourceType":"Subscription"}`), "Content-Type", "application/fhir+json", "Content-Encoding", "gzip")
		if r.status != 405 {
			t.Errorf("POST %s gzip: %d %.200s (Allow %q); README: 405", p, r.status, r.body, r.header.Get("Allow"))
		}
	}
}

// carex import takes any size (README): api.Server.Import of a transaction
// of 6 entries on a server whose --max-entries is 3 stores all 6.
func TestReview119aSoundImportIgnoresMaxEntries(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxEntries = 3 })
	seedShared(t, e)
	p := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	if _, err := e.api.Import(t.Context(), p, []byte(r119aBundle("transaction", 6))); err != nil {
		t.Fatalf("import of 6 entries: %v", err)
	}
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Observation/r119a-o5", sys, ""); r.status != 200 {
		t.Errorf("6th imported entry: %d", r.status)
	}
}

// A refused over-cap batch near --max-body (about 100,000 DELETE entries
// naming Jane's items, 8 MiB) is answered 413 in bounded time, logged
// once, naming Jane (refusedBundleNames reads every entry); other
// organisations' writes are not held.
func TestReview119aSoundOverCapRefusalCost(t *testing.T) {
	e := review118bEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
	for i := 0; b.Len() < 8<<20-200; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"request":{"method":"DELETE","url":"Condition/diabetes%d"}}`, i%3)
	}
	b.WriteString(`,{"request":{"method":"DELETE","url":"Condition/diabetes"}}]}`)
	before := review118bEntries(e)
	t0 := time.Now()
	r := e.do("POST", "/fhir", sys, b.String())
	d := time.Since(t0)
	e.rec.mu.Lock()
	x := e.rec.xs[len(e.rec.xs)-1]
	e.rec.mu.Unlock()
	t.Logf("%d bytes: %d in %v; log patient %q %v", b.Len(), r.status, d, x.Patient, x.Patients)
	review118bRefused(t, e, "over-cap batch", []int{413}, r, before, "", sys)
	if d > 60*time.Second {
		t.Errorf("over-cap refusal took %v", d)
	}
	if x.Patient != "jane" && !strings.Contains(strings.Join(x.Patients, ","), "jane") {
		t.Errorf("refused batch deleting Jane's diagnosis names %q %v", x.Patient, x.Patients)
	}
	if v := r117bVersion(t, e, sys, "/fhir/Condition/diabetes"); v != "200 1" {
		t.Errorf("diabetes after refusal: %s", v)
	}
}

// Regression of 735e747 (the "no"/"not" rule): a council's own note of
// 120+ characters saying the letter is not here — "Discharge summary:
// not on the system yet, …", "Discharge summary - no copy on file; …" —
// now heads a quote, since "no"/"not" counts only before another status
// word, and is withheld from the district nurse it is written for. At
// 3bf82c4 (and 8afe317) both reached her (probed in a worktree at
// 3bf82c4: 200, 200; here 404, 404). README's rule names the "no"/"not"
// narrowing ("Discharge summary: No known drug allergies" is the
// letter's), so the code does what README says; the fault is that the
// narrowing withholds the council's own words (brief's case (b)).
func TestReview119aNotOnSystemNoteWithheld(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r119a-not", "Discharge summary: not on the system yet, ward 12 to email it to the GP and to the district nurses today; I will ring the ward again on Monday."),
		r115aMsg("r119a-no", "Discharge summary - no copy on file; the ward says it went to the GP practice only, so the district nurse should ask the surgery for the medication list."))
	t.Logf("nurse: %v", got)
	r116aWant(t, got, 200, "council's own note saying the summary is not here", "/fhir/Communication/r119a-not", "/fhir/Communication/r119a-no")
}
