package api_test

// Review 62d: transactions and batches — atomicity, references between
// entries, and what a refusal tells.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

const r62dNHS = "https://fhir.nhs.uk/Id/nhs-number"

// r62dSeed is seedShared plus Bob (registered with B82002, whose
// diagnosis only his practice recorded) and Margaret (restricted,
// registered with A81001).
func r62dSeed(t *testing.T, e *env) (bobNum, margNum string) {
	t.Helper()
	seedShared(t, e)
	bobNum, margNum = nhsNumber(621), nhsNumber(622)
	other := e.token("system", "nhs", "B82002")
	e.putAll(t, other,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"` + r62dNHS + `","value":"` + bobNum + `"}],"name":[{"family":"Brown","given":["Bob"]}],"birthDate":"1960-01-01","generalPractitioner":[{"reference":"Organization/B82002"}]}`},
		[2]string{"/fhir/Condition/bob-dx", `{"resourceType":"Condition","id":"bob-dx","subject":{"reference":"Patient/bob"},"code":{"text":"BOB-SECRET-DX"}}`})
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"identifier":[{"system":"` + r62dNHS + `","value":"` + margNum + `"}],"name":[{"family":"Hidden","given":["Margaret"]}],"birthDate":"1970-01-01","generalPractitioner":[{"reference":"Organization/A81001"}],"address":[{"line":["R62D-SECRET-ADDRESS"]}]}`})
	return bobNum, margNum
}

// r62dPosts is n Observations of Jane's, each with a urn:uuid fullUrl,
// each after the first derived from the one before (a reference to an
// earlier entry), the first derived from the last (a later entry:
// circular), all marked with tag.
func r62dPosts(n int, tag string) []string {
	var out []string
	for i := 0; i < n; i++ {
		prev := (i + n - 1) % n
		out = append(out, fmt.Sprintf(`{"fullUrl":"urn:uuid:62d00000-0000-4000-8000-%012d","resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"%s-%d"},"derivedFrom":[{"reference":"urn:uuid:62d00000-0000-4000-8000-%012d"}]},"request":{"method":"POST","url":"Observation"}}`, i, tag, i, prev))
	}
	return out
}

func r62dTx(entries ...string) string {
	return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
}

// r62dLogOf returns the log entries recorded from index before on.
func r62dLogOf(e *env, before int) []string {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	var got []string
	for _, x := range e.rec.xs[before:] {
		got = append(got, fmt.Sprintf("%s %s op=%s status=%d decision=%s patient=%s patients=%v released=%v reasons=%v", x.Method, x.Path, x.Operation, x.Status, x.Decision, x.Patient, x.Patients, x.Released, x.Reasons))
	}
	return got
}

// TestReview62dSoundTenthEntryRefusedStoresNothing: a transaction of nine
// Observations of Jane's (urn:uuid fullUrls referencing each other,
// circularly) whose tenth entry is refused — 409 (an id another
// organisation holds), 412 (a stale If-Match on the writer's own care
// plan), 422 (an invalid resource), 403 (a role writing a class it may
// not) — stores none of the nine: not in a search, not in $everything,
// not in the type's history; the log holds one entry for the request,
// with the refusal's status and nothing released.
func TestReview62dSoundTenthEntryRefusedStoresNothing(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	cases := []struct {
		name, tok, tenth string
		want             int
	}{
		{"409", trust, `{"resource":{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-OVERWRITE"}},"request":{"method":"PUT","url":"Condition/hiv"}}`, 409},
		{"412", trust, `{"resource":{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-STALE"},"request":{"method":"PUT","url":"CarePlan/wound","ifMatch":"W/\"7\""}}`, 412},
		{"422", trust, `{"resource":{"resourceType":"Observation","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-NO-STATUS"}},"request":{"method":"POST","url":"Observation"}}`, 422},
		{"403", e.token("district-nurse", "nhs", "RCX"), `{"resource":{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-OVER-GP"}},"request":{"method":"PUT","url":"Condition/diabetes"}}`, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tag := "R62D-TX" + c.name
			entries := r62dPosts(9, tag)
			if c.name == "403" {
				// the nurse's nine are care plans, a class she may write
				entries = nil
				for i := 0; i < 9; i++ {
					entries = append(entries, fmt.Sprintf(`{"fullUrl":"urn:uuid:62d10000-0000-4000-8000-%012d","resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"%s-%d"},"request":{"method":"POST","url":"CarePlan"}}`, i, tag, i))
				}
			}
			before := len(e.rec.xs)
			r := e.do("POST", "/fhir", c.tok, r62dTx(append(entries, c.tenth)...))
			t.Logf("answer: %d %.400s", r.status, r.body)
			if r.status != c.want {
				t.Errorf("tenth entry refused: status %d, want %d", r.status, c.want)
			}
			if !strings.Contains(r.body, "OperationOutcome") {
				t.Errorf("refusal is not an OperationOutcome: %.300s", r.body)
			}
			gp := e.token("system", "nhs", "A81001") // sees nothing of RCX's? use the writer itself too
			for _, tok := range []string{c.tok, trust, gp} {
				for _, p := range []string{"/fhir/Observation?patient=jane&_count=200", "/fhir/CarePlan?patient=jane&_count=200", "/fhir/Patient/jane/$everything", "/fhir/Observation/_history", "/fhir/CarePlan/_history", "/fhir/_history"} {
					s := e.do("GET", p, tok, "")
					if strings.Contains(s.body, tag) {
						t.Errorf("GET %s after a refused transaction shows one of its entries: %d %.300s", p, s.status, s.body)
					}
				}
			}
			if s := e.do("GET", "/fhir/CarePlan/wound", trust, ""); !strings.Contains(s.body, `"versionId":"1"`) || strings.Contains(s.body, "R62D") {
				t.Errorf("the care plan changed: %.300s", s.body)
			}
			log := r62dLogOf(e, before)
			var tx []string
			for _, l := range log {
				if strings.HasPrefix(l, "POST /fhir ") {
					tx = append(tx, l)
				}
			}
			if len(tx) != 1 || !strings.Contains(tx[0], fmt.Sprintf("status=%d", c.want)) || !strings.Contains(tx[0], "released=[]") {
				t.Errorf("log of the refused transaction: %v", tx)
			}
			t.Logf("log: %v", log)
		})
	}
}

// TestReview62dSoundTransactionReferencesBetweenEntries: later and
// circular urn:uuid references, an extension's valueReference and a
// narrative link are all rewritten to the entries' ids; a urn:uuid naming
// no entry refuses the transaction (400) and stores nothing.
func TestReview62dSoundTransactionReferencesBetweenEntries(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	extra := `{"fullUrl":"urn:uuid:62d20000-0000-4000-8000-000000000001","resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-LINKS",
"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"urn:uuid:62d00000-0000-4000-8000-000000000003\">obs</a></div>"},
"extension":[{"url":"https://example.org/ext","valueReference":{"reference":"urn:uuid:62d00000-0000-4000-8000-000000000004"}}],
"supportingInfo":[{"reference":"urn:uuid:62d00000-0000-4000-8000-000000000002"}]},"request":{"method":"POST","url":"CarePlan"}}`
	r := e.do("POST", "/fhir", trust, r62dTx(append([]string{extra}, r62dPosts(5, "R62D-REFS")...)...))
	if r.status != 200 {
		t.Fatalf("transaction: %d %.500s", r.status, r.body)
	}
	if strings.Contains(r.body, "urn:uuid") {
		t.Errorf("response keeps a urn:uuid: %.800s", r.body)
	}
	s := e.do("GET", "/fhir/CarePlan?patient=jane&_count=50", trust, "")
	if !strings.Contains(s.body, "R62D-LINKS") || strings.Contains(s.body, "urn:uuid") {
		t.Errorf("stored care plan keeps a urn:uuid: %.1500s", s.body)
	}
	o := e.do("GET", "/fhir/Observation?patient=jane&_count=50", trust, "")
	if strings.Contains(o.body, "urn:uuid") {
		t.Errorf("stored observations keep a urn:uuid: %.1500s", o.body)
	}
	// a urn:uuid naming no entry
	bad := strings.Replace(extra, "62d00000-0000-4000-8000-000000000002", "62dfffff-0000-4000-8000-000000000002", 1)
	bad = strings.Replace(bad, "R62D-LINKS", "R62D-DANGLING", 1)
	r = e.do("POST", "/fhir", trust, r62dTx(append([]string{bad}, r62dPosts(2, "R62D-DANGLING-OBS")...)...))
	if r.status != 400 && r.status != 422 {
		t.Errorf("dangling urn:uuid: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/fhir/CarePlan?patient=jane&_count=50", "/fhir/Observation?patient=jane&_count=50"} {
		if s := e.do("GET", p, trust, ""); strings.Contains(s.body, "R62D-DANGLING") {
			t.Errorf("a refused transaction stored: %.300s", s.body)
		}
	}
}

// r62dNorm removes from a refusal what the writer sent (the number it
// asked for) and what differs by request (ids, times), so two answers can
// be compared for what they tell.
var r62dNoise = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{10}|"lastUpdated":"[^"]*"|"id":"[^"]*"`)

func r62dNorm(s string) string { return r62dNoise.ReplaceAllString(s, "#") }

// TestReview62dConditionalReferenceTellsNothingOfUnseenPeople: an
// organisation with no relationship with Bob (registered elsewhere), or
// with Margaret (restricted), sends a transaction whose Observation names
// its subject by NHS number. The answer must be the same as for a number
// no one carries: neither status nor words may tell that the person
// exists (SPEC §5: 404/absent, "not yours to know about").
func TestReview62dConditionalReferenceTellsNothingOfUnseenPeople(t *testing.T) {
	e := newEnv(t)
	bobNum, margNum := r62dSeed(t, e)
	nobody := nhsNumber(623)
	for _, w := range []struct{ name, tok string }{
		{"unrelated-system", e.token("system", "nhs", "Y99999")},
		{"unrelated-nurse", e.token("district-nurse", "nhs", "Y99999")},
		{"council", e.token("system", "council", "E06000999")},
	} {
		ans := map[string]resp{}
		for who, num := range map[string]string{"bob": bobNum, "marg": margNum, "nobody": nobody} {
			body := r62dTx(`{"fullUrl":"urn:uuid:62d30000-0000-4000-8000-000000000001","resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient?identifier=`+r62dNHS+`|`+num+`"},"code":{"text":"R62D-CONDREF"}},"request":{"method":"POST","url":"Observation"}}`,
				`{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-CONDREF-JANE"}},"request":{"method":"POST","url":"Observation"}}`)
			ans[who] = e.do("POST", "/fhir", w.tok, body)
			t.Logf("%s, %s: %d %.300s", w.name, who, ans[who].status, ans[who].body)
		}
		for _, who := range []string{"bob", "marg"} {
			if ans[who].status != ans["nobody"].status || r62dNorm(ans[who].body) != r62dNorm(ans["nobody"].body) {
				t.Errorf("%s: a conditional reference to %s answers unlike one to a number no one carries:\n %d %.300s\n %d %.300s", w.name, who, ans[who].status, ans[who].body, ans["nobody"].status, ans["nobody"].body)
			}
			if strings.Contains(ans[who].body, "BOB-SECRET") || strings.Contains(ans[who].body, "R62D-SECRET") || strings.Contains(ans[who].body, "Brown") || strings.Contains(ans[who].body, "Hidden") {
				t.Errorf("%s: answer releases %s's data: %.300s", w.name, who, ans[who].body)
			}
		}
	}
}

// TestReview62dConditionalUpdateTellsNothingOfUnseenPeople: the same for
// a transaction's conditional update and a conditional create
// (ifNoneExist) of a Patient by Bob's NHS number, from an organisation
// with no relationship with him: whatever it does, the answer must be as
// for a number no one carries, and must release none of Bob's record.
func TestReview62dConditionalUpdateTellsNothingOfUnseenPeople(t *testing.T) {
	e := newEnv(t)
	bobNum, _ := r62dSeed(t, e)
	nobody := nhsNumber(624)
	tok := e.token("system", "nhs", "Y99999")
	for _, form := range []string{"put", "ifnoneexist"} {
		ans := map[string]resp{}
		for who, num := range map[string]string{"bob": bobNum, "nobody": nobody} {
			pat := `{"resourceType":"Patient","identifier":[{"system":"` + r62dNHS + `","value":"` + num + `"}],"name":[{"family":"Probe"}]}`
			req := `"request":{"method":"PUT","url":"Patient?identifier=` + r62dNHS + `|` + num + `"}`
			if form == "ifnoneexist" {
				req = `"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=` + r62dNHS + `|` + num + `"}`
			}
			ans[who] = e.do("POST", "/fhir", tok, r62dTx(`{"fullUrl":"urn:uuid:62d40000-0000-4000-8000-00000000000`+fmt.Sprint(len(ans))+`","resource":`+pat+`,`+req+`}`))
			t.Logf("%s %s: %d %.400s", form, who, ans[who].status, ans[who].body)
		}
		if ans["bob"].status != ans["nobody"].status || strings.Contains(ans["bob"].body, "Brown") || strings.Contains(ans["bob"].body, "1960") {
			t.Errorf("%s: Bob's number answers unlike a free one: %d %.300s / %d %.300s", form, ans["bob"].status, ans["bob"].body, ans["nobody"].status, ans["nobody"].body)
		}
		if strings.Contains(ans["bob"].body, `"versionId":"2"`) {
			t.Errorf("%s: a stranger's conditional update stored a second version of Bob's Patient: %.300s", form, ans["bob"].body)
		}
	}
	// Bob's own record is unchanged
	other := e.token("system", "nhs", "B82002")
	if s := e.do("GET", "/fhir/Patient/bob", other, ""); !strings.Contains(s.body, `"versionId":"1"`) || strings.Contains(s.body, "Probe") {
		t.Errorf("Bob's Patient changed: %.300s", s.body)
	}
	// and the stranger cannot now read Bob's diagnosis through the Patient it made
	for _, p := range []string{"/fhir/Condition?identifier=x&_count=10", "/fhir/Condition?patient.identifier=" + r62dNHS + "|" + bobNum} {
		if s := e.do("GET", p, tok, ""); strings.Contains(s.body, "BOB-SECRET") {
			t.Errorf("GET %s released Bob's diagnosis: %.300s", p, s.body)
		}
	}
	if s := e.do("GET", "/fhir/Condition?patient=bob", tok, ""); strings.Contains(s.body, "BOB-SECRET") {
		t.Errorf("released Bob's diagnosis: %.300s", s.body)
	}
}

// TestReview62dBatchEntryFailuresTellNothing: a batch where some entries
// fail. Each entry gets its own response and log entry; an entry writing
// at the id of Bob's diagnosis (which the writer may not see) answers as
// an entry writing at an id that is another organisation's but visible
// would not tell more than a read (404 or 409 — never Bob's data), and
// the good entries are stored.
func TestReview62dBatchEntryFailuresTellNothing(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	before := len(e.rec.xs)
	r := e.do("POST", "/fhir", trust, `{"resourceType":"Bundle","type":"batch","entry":[
{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-BATCH-OK"}},"request":{"method":"POST","url":"Observation"}},
{"resource":{"resourceType":"Condition","id":"bob-dx","subject":{"reference":"Patient/bob"},"code":{"text":"R62D-OVER-BOB"}},"request":{"method":"PUT","url":"Condition/bob-dx"}},
{"resource":{"resourceType":"Condition","id":"never-62d","subject":{"reference":"Patient/bob"},"code":{"text":"R62D-NEW-BOB"}},"request":{"method":"PUT","url":"Condition/never-62d","ifMatch":"W/\"1\""}},
{"resource":{"resourceType":"Condition","id":"bob-dx","subject":{"reference":"Patient/bob"},"code":{"text":"R62D-OVER-BOB2"}},"request":{"method":"PUT","url":"Condition/bob-dx","ifMatch":"W/\"1\""}},
{"request":{"method":"DELETE","url":"Condition/bob-dx"}},
{"request":{"method":"DELETE","url":"Condition/never-62d-b"}},
{"request":{"method":"GET","url":"Condition/bob-dx"}},
{"request":{"method":"GET","url":"Condition/never-62d-c"}},
{"request":{"method":"GET","url":"Condition/bob-dx/_history"}},
{"request":{"method":"GET","url":"Condition/never-62d-c/_history"}}
]}`)
	t.Logf("batch: %d %.4000s", r.status, r.body)
	if r.status != 200 {
		t.Fatalf("batch: %d", r.status)
	}
	for _, bad := range []string{"BOB-SECRET", "Brown", "version 1", `"versionId":"1"`} {
		if strings.Contains(strings.SplitN(r.body, "R62D-BATCH-OK", 2)[len(strings.SplitN(r.body, "R62D-BATCH-OK", 2))-1], bad) {
			t.Errorf("batch answer tells %q of Bob's diagnosis", bad)
		}
	}
	st := regexp.MustCompile(`"status":"(\d{3})`).FindAllStringSubmatch(r.body, -1)
	var codes []string
	for _, m := range st {
		codes = append(codes, m[1])
	}
	t.Logf("entry statuses: %v", codes)
	if len(codes) == 10 {
		// bob-dx vs never stored: the pairs must answer alike
		if codes[6] != codes[7] || codes[8] != codes[9] || codes[4] != codes[5] {
			t.Errorf("entries on Bob's diagnosis answer unlike those on an id never stored: %v", codes)
		}
		// (409 against 412: the id is taken, README's documented choice
		// for a PUT at another's id, review 45c; no version told)
		if codes[3] != "409" && codes[3] != codes[2] {
			t.Errorf("If-Match on Bob's diagnosis: %v", codes)
		}
	}
	other := e.token("system", "nhs", "B82002")
	if s := e.do("GET", "/fhir/Condition/bob-dx", other, ""); !strings.Contains(s.body, "BOB-SECRET") || !strings.Contains(s.body, `"versionId":"1"`) {
		t.Errorf("Bob's diagnosis changed: %d %.300s", s.status, s.body)
	}
	if s := e.do("GET", "/fhir/Observation?patient=jane&_count=100", trust, ""); !strings.Contains(s.body, "R62D-BATCH-OK") {
		t.Errorf("the batch's good entry was not stored")
	}
	for _, l := range r62dLogOf(e, before) {
		t.Logf("log: %s", l)
	}
}

// TestReview62dSoundTransactionGETSeesItsWrites: processing order DELETE,
// POST, PUT, GET — a GET entry written first sees the transaction's own
// writes.
func TestReview62dSoundTransactionGETSeesItsWrites(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	r := e.do("POST", "/fhir", trust, r62dTx(
		`{"request":{"method":"GET","url":"CarePlan/wound"}}`,
		`{"resource":{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-V2"},"request":{"method":"PUT","url":"CarePlan/wound","ifMatch":"W/\"1\""}}`))
	t.Logf("%d %.800s", r.status, r.body)
	if r.status != 200 || strings.Count(r.body, "R62D-V2") < 1 || strings.Contains(r.body, "TRUST-WOUND-CARE") {
		t.Errorf("GET entry did not see the transaction's PUT: %d %.500s", r.status, r.body)
	}
}
func TestReview62dSoundIGOfficerAndPurposeTransactionsRefused(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	for name, tok := range map[string]string{
		"ig":   e.token("ig-officer", "nhs", "RCX"),
		"hmkt": e.token("system", "nhs", "RCX", func(c *auth.DevClaims) { c.Purpose = "HMARKT" }),
	} {
		before := len(e.rec.xs)
		r := e.do("POST", "/fhir", tok, r62dTx(r62dPosts(3, "R62D-"+name)...))
		t.Logf("%s: %d %.300s", name, r.status, r.body)
		if r.status != 403 {
			t.Errorf("%s transaction: %d", name, r.status)
		}
		trust := e.token("system", "nhs", "RCX")
		if s := e.do("GET", "/fhir/Observation?patient=jane&_count=100", trust, ""); strings.Contains(s.body, "R62D-"+name) {
			t.Errorf("%s transaction stored: %.300s", name, s.body)
		}
		var log []string
		for _, l := range r62dLogOf(e, before) {
			if strings.HasPrefix(l, "POST /fhir ") {
				log = append(log, l)
			}
		}
		if len(log) != 1 || !strings.Contains(log[0], "status=403") || !strings.Contains(log[0], "jane") || !strings.Contains(log[0], "released=[]") {
			t.Errorf("%s log: %v", name, log)
		}
	}
}

// TestReview62dSoundThousandEntryTransaction: 1,000 entries within the
// body limit are processed (or refused 413 as a whole), never partly.
func TestReview62dSoundThousandEntryTransaction(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	r62dSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	entries := r62dPosts(1000, "R62D-BIG")
	r := e.do("POST", "/fhir", trust, r62dTx(entries...))
	if r.status != 200 && r.status != 413 {
		t.Fatalf("1,000 entries: %d %.300s", r.status, r.body)
	}
	s := e.do("GET", "/fhir/Observation?patient=jane&_summary=count", trust, "")
	t.Logf("1,000 entries: %d; count: %d %.200s", r.status, s.status, s.body)
	// the tenth-from-last refused: nothing of it stored
	entries = append(entries, `{"resource":{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-OVERWRITE"}},"request":{"method":"PUT","url":"Condition/hiv"}}`)
	for i := range entries {
		entries[i] = strings.ReplaceAll(entries[i], "R62D-BIG", "R62D-BIG2")
	}
	r = e.do("POST", "/fhir", trust, r62dTx(entries...))
	if r.status < 400 {
		t.Errorf("1,000 entries, one refused: %d", r.status)
	}
	if s := e.do("GET", "/fhir/Observation?patient=jane&_count=5", trust, ""); strings.Contains(s.body, "R62D-BIG2") {
		t.Errorf("a refused 1,000-entry transaction stored some: %.300s", s.body)
	}
}

// TestReview62dSoundTransactionGETAnswersAsAlone: a transaction's GET
// entry answers as the same request sent alone (status and body, but for
// ids and times): a search of Bob's conditions by an organisation with no
// relationship with him, and one of a person never stored.
func TestReview62dSoundTransactionGETAnswersAsAlone(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	for _, tok := range []string{e.token("system", "nhs", "RCX"), e.token("district-nurse", "nhs", "RCX")} {
		for _, q := range []string{"Condition?patient=bob", "Condition?patient=nobody62d", "Condition/bob-dx", "Condition/never62d"} {
			a := e.do("GET", "/fhir/"+q, tok, "")
			ta := e.do("POST", "/fhir", tok, r62dTx(`{"request":{"method":"GET","url":"`+q+`"}}`))
			inner := r62dNorm(ta.body)
			if ta.status != 200 || !strings.Contains(inner, fmt.Sprintf(`"status":"%d`, a.status)) {
				t.Errorf("%s: alone %d, in a transaction %d %.400s", q, a.status, ta.status, ta.body)
			}
			want := r62dNorm(a.body)
			if a.status >= 400 {
				want = strings.TrimSuffix(strings.TrimPrefix(want, "{"), "}")
			} else {
				want = want[strings.Index(want, `"type":"searchset"`):]
				want = strings.TrimSuffix(want, "}")
			}
			if !strings.Contains(inner, want) {
				t.Errorf("%s: the transaction's GET answers unlike the request alone:\n %.500s\n %.500s", q, a.body, ta.body)
			}
		}
	}
}

// TestReview62dSoundConditionalReferenceCountsOnlyWhatTheWriterSees: an
// organisation with no relationship with Bob stores its own Patient
// carrying his NHS number; its transaction's conditional reference by
// that number resolves to its own Patient alone (Bob's is not counted: no
// 412 "matched 2"), and Bob's record gains nothing.
func TestReview62dSoundConditionalReferenceCountsOnlyWhatTheWriterSees(t *testing.T) {
	e := newEnv(t)
	bobNum, _ := r62dSeed(t, e)
	tok := e.token("system", "nhs", "Y99999")
	e.putAll(t, tok, [2]string{"/fhir/Patient/y-bob", `{"resourceType":"Patient","id":"y-bob","identifier":[{"system":"` + r62dNHS + `","value":"` + bobNum + `"}],"name":[{"family":"Other"}]}`})
	r := e.do("POST", "/fhir", tok, r62dTx(`{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient?identifier=`+r62dNHS+`|`+bobNum+`"},"code":{"text":"R62D-Y-OBS"}},"request":{"method":"POST","url":"Observation"}}`))
	t.Logf("%d %.500s", r.status, r.body)
	if r.status != 200 || !strings.Contains(r.body, `"reference":"Patient/y-bob"`) {
		t.Errorf("conditional reference: %d %.400s", r.status, r.body)
	}
	// a second Patient of its own with the number: 412, counting its own two only
	e.putAll(t, tok, [2]string{"/fhir/Patient/y-bob2", `{"resourceType":"Patient","id":"y-bob2","identifier":[{"system":"` + r62dNHS + `","value":"` + bobNum + `"}],"name":[{"family":"Other2"}]}`})
	r = e.do("POST", "/fhir", tok, r62dTx(`{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient?identifier=`+r62dNHS+`|`+bobNum+`"},"code":{"text":"R62D-Y-OBS2"}},"request":{"method":"POST","url":"Observation"}}`))
	t.Logf("%d %.500s", r.status, r.body)
	if r.status != 412 || strings.Contains(r.body, "matched 3") {
		t.Errorf("ambiguous conditional reference: %d %.400s", r.status, r.body)
	}
}

// TestReview62dSoundDeleteThenPutOfOneItem: DELETE and PUT of one id in
// one transaction, a PUT whose url is a urn:uuid, and a POST whose url
// carries an id, are refused whole, storing nothing.
func TestReview62dSoundDeleteThenPutOfOneItem(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	trust := e.token("system", "nhs", "RCX")
	for name, entry := range map[string]string{
		"delete+put": `{"request":{"method":"DELETE","url":"CarePlan/wound"}},{"resource":{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-REPUT"},"request":{"method":"PUT","url":"CarePlan/wound"}}`,
		"put-urn":    `{"fullUrl":"urn:uuid:62d50000-0000-4000-8000-000000000001","resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-REPUT"},"request":{"method":"PUT","url":"urn:uuid:62d50000-0000-4000-8000-000000000001"}}`,
		"post-id":    `{"resource":{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-REPUT"},"request":{"method":"POST","url":"CarePlan/wound"}}`,
	} {
		r := e.do("POST", "/fhir", trust, r62dTx(append(r62dPosts(3, "R62D-DP-"+name), entry)...))
		t.Logf("%s: %d %.300s", name, r.status, r.body)
		if r.status < 400 {
			t.Errorf("%s: %d", name, r.status)
		}
		if s := e.do("GET", "/fhir/CarePlan/wound", trust, ""); s.status != 200 || !strings.Contains(s.body, "TRUST-WOUND-CARE") || !strings.Contains(s.body, `"versionId":"1"`) {
			t.Errorf("%s: the care plan changed: %d %.300s", name, s.status, s.body)
		}
		if s := e.do("GET", "/fhir/Observation?patient=jane&_count=100", trust, ""); strings.Contains(s.body, "R62D-DP-") {
			t.Errorf("%s: stored some entries", name)
		}
	}
}

// TestReview62dSoundRefusedTransactionLeavesNoRelationship: a transaction
// that writes a CareTeam naming the nurse's trust for Bob (with whom it
// has no relationship) and is refused at a later entry leaves nothing
// behind — not in the store, nor in what the server decided while the
// transaction ran: the nurse's reads of Bob afterwards are refused as
// before. With and without a conditional reference (which makes the
// bundle decide its conditions inside the write transaction).
func TestReview62dSoundRefusedTransactionLeavesNoRelationship(t *testing.T) {
	e := newEnv(t)
	bobNum, _ := r62dSeed(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	trust := e.token("system", "nhs", "RCX")
	reads := []string{"/fhir/Condition?patient=bob", "/fhir/Patient/bob/$everything", "/fhir/Condition/bob-dx", "/fhir/Patient/bob"}
	before := map[string]int{}
	for _, p := range reads {
		before[p] = e.do("GET", p, nurse, "").status
	}
	_ = bobNum
	for name, subj := range map[string]string{"plain": "Patient/jane", "conditional": "Patient?identifier=" + r62dNHS + "|9434765919"} {
		for _, tok := range []string{trust, nurse} {
			// warm any cache first
			for _, p := range reads {
				e.do("GET", p, nurse, "")
			}
			r := e.do("POST", "/fhir", tok, r62dTx(
				`{"resource":{"resourceType":"CareTeam","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]},"request":{"method":"POST","url":"CareTeam"}}`,
				`{"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"`+subj+`"},"title":"R62D-CT"},"request":{"method":"POST","url":"CarePlan"}}`,
				`{"request":{"method":"GET","url":"Condition?patient=bob"}}`,
				`{"resource":{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"R62D-OVERWRITE"}},"request":{"method":"PUT","url":"Condition/hiv"}}`))
			t.Logf("%s: %d %.300s", name, r.status, r.body)
			if r.status < 400 || strings.Contains(r.body, "BOB-SECRET") {
				t.Errorf("%s: transaction %d %.300s", name, r.status, r.body)
			}
			for _, p := range reads {
				s := e.do("GET", p, nurse, "")
				if s.status != before[p] || strings.Contains(s.body, "BOB-SECRET") || strings.Contains(s.body, "Brown") {
					t.Errorf("%s: after a refused transaction naming the trust on Bob's care team, GET %s: %d (was %d) %.300s", name, p, s.status, before[p], s.body)
				}
			}
		}
	}
}

// TestReview62dSoundRefusedTransactionKeepsTheObjection: the practice's
// transaction withdrawing Jane's objection to sharing with the council
// (and deciding a conditional reference inside the write transaction) is
// refused at a later entry; the council still sees none of the GP's data.
func TestReview62dSoundRefusedTransactionKeepsTheObjection(t *testing.T) {
	e := newEnv(t)
	r62dSeed(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	sw := e.token("social-worker", "council", "E06000999")
	if s := e.do("GET", "/fhir/Condition/diabetes", sw, ""); s.status != 404 {
		t.Fatalf("objection not in force: %d", s.status)
	}
	withdrawn := strings.Replace(janeNotSharedWithCouncil, `"status":"active"`, `"status":"inactive"`, 1)
	optin := janeConsent("jane-optin-62d", "2026-02-01", "OPTIN", "")
	for name, entry := range map[string]string{
		"withdraw": `{"resource":` + withdrawn + `,"request":{"method":"PUT","url":"Consent/jane-no-council"}}`,
		"newer":    `{"resource":` + optin + `,"request":{"method":"PUT","url":"Consent/jane-optin-62d"}}`,
	} {
		r := e.do("POST", "/fhir", gp, r62dTx(entry,
			`{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient?identifier=`+r62dNHS+`|9434765919"},"code":{"text":"R62D-CONSENT-TX"}},"request":{"method":"POST","url":"Observation"}}`,
			`{"request":{"method":"GET","url":"Condition/diabetes"}}`,
			`{"resource":{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R62D-NOT-MINE"},"request":{"method":"PUT","url":"CarePlan/wound"}}`))
		t.Logf("%s: %d %.300s", name, r.status, r.body)
		if r.status < 400 {
			t.Errorf("%s: %d", name, r.status)
		}
		for _, p := range []string{"/fhir/Condition/diabetes", "/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything"} {
			if s := e.do("GET", p, sw, ""); strings.Contains(s.body, "GP-DIABETES") {
				t.Errorf("%s: after a refused withdrawal, the council's GET %s released the GP's diagnosis: %d", name, p, s.status)
			}
		}
	}
}
