package api_test

import (
	"crypto/ed25519"
	"crypto/rand"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"

	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Review 21b: existence and metadata leaks of withheld items. Each probe
// asks the same question of an item the caller may not see and of an id
// that never existed; SPEC §5: a withheld item is simply absent (404 on
// read), and a response "says only that some items were excluded, never
// what or how much". Any difference the caller can observe (status,
// body, headers) between the two tells the caller that the item exists.

var (
	r21bUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	r21bTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	r21bHTTP = regexp.MustCompile(`[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT`)
)

// r21bNorm makes two answers comparable: the ids asked about, server
// uuids and times replaced.
func r21bNorm(s, id string) string {
	s = strings.ReplaceAll(s, id, "{ID}")
	s = r21bUUID.ReplaceAllString(s, "{UUID}")
	s = r21bTime.ReplaceAllString(s, "{TIME}")
	s = r21bHTTP.ReplaceAllString(s, "{HTTPTIME}")
	return s
}

type r21bReq struct {
	name, method, path, body string
	hdr                      []string
}

// r21bCompare runs each request with {ID} as the withheld id and as an id
// never stored, and reports every observable difference.
func r21bCompare(t *testing.T, e *env, tok, withheld, missing string, reqs []r21bReq) {
	t.Helper()
	for _, rq := range reqs {
		do := func(id string) resp {
			path := strings.ReplaceAll(rq.path, "{ID}", id)
			body := strings.ReplaceAll(rq.body, "{ID}", id)
			hdr := make([]string, len(rq.hdr))
			for i, h := range rq.hdr {
				hdr[i] = strings.ReplaceAll(h, "{ID}", id)
			}
			return e.do(rq.method, path, tok, body, hdr...)
		}
		a, b := do(withheld), do(missing)
		na, nb := r21bNorm(a.body, withheld), r21bNorm(b.body, missing)
		if a.status != b.status || na != nb {
			t.Errorf("%s (%s %s): withheld %s answers %d %.600s\n  never-stored %s answers %d %.600s",
				rq.name, rq.method, rq.path, withheld, a.status, a.body, missing, b.status, b.body)
			continue
		}
		for _, h := range []string{"ETag", "Last-Modified", "Location", "Allow", "Content-Location", "Content-Type"} {
			if x, y := r21bNorm(a.header.Get(h), withheld), r21bNorm(b.header.Get(h), missing); x != y {
				t.Errorf("%s (%s %s): header %s: withheld %q, never-stored %q", rq.name, rq.method, rq.path, h, a.header.Get(h), b.header.Get(h))
			}
		}
	}
}

const r21bCond = `{"resourceType":"Condition","id":"{ID}","subject":{"reference":"Patient/jane"},"code":{"text":"NURSE-NOTE"}}`

// r21bItemRequests are the single-item requests a user may make about an
// id of type typ.
func r21bItemRequests(typ string) []r21bReq {
	p := "/fhir/" + typ + "/{ID}"
	return []r21bReq{
		{name: "read", method: "GET", path: p},
		{name: "head", method: "HEAD", path: p},
		{name: "read _elements", method: "GET", path: p + "?_elements=code"},
		{name: "read _summary=data", method: "GET", path: p + "?_summary=data"},
		{name: "read unknown param", method: "GET", path: p + "?_count=1"},
		{name: "history", method: "GET", path: p + "/_history"},
		{name: "history _count=0", method: "GET", path: p + "/_history?_count=0"},
		{name: "history _since", method: "GET", path: p + "/_history?_since=2000-01-01T00:00:00Z"},
		{name: "history _since future", method: "GET", path: p + "/_history?_since=2100-01-01T00:00:00Z"},
		{name: "history _offset", method: "GET", path: p + "/_history?_offset=5"},
		{name: "vread 1", method: "GET", path: p + "/_history/1"},
		{name: "vread 2", method: "GET", path: p + "/_history/2"},
		{name: "vread 3", method: "GET", path: p + "/_history/3"},
		{name: "vread 9", method: "GET", path: p + "/_history/9"},
		{name: "vread 0", method: "GET", path: p + "/_history/0"},
		{name: "vread 1 _elements", method: "GET", path: p + "/_history/1?_elements=code"},
		{name: "head vread 1", method: "HEAD", path: p + "/_history/1"},
		{name: "delete", method: "DELETE", path: p},
		{name: "delete If-Match 1", method: "DELETE", path: p, hdr: []string{"If-Match", `W/"1"`}},
		{name: "delete If-Match 2", method: "DELETE", path: p, hdr: []string{"If-Match", `W/"2"`}},
		{name: "delete If-Match 7", method: "DELETE", path: p, hdr: []string{"If-Match", `W/"7"`}},
		{name: "delete bad If-Match", method: "DELETE", path: p, hdr: []string{"If-Match", `xx`}},
		{name: "patch", method: "PATCH", path: p, body: `[]`, hdr: []string{"Content-Type", "application/json-patch+json"}},
		{name: "search _id", method: "GET", path: "/fhir/" + typ + "?_id={ID}"},
		{name: "search _id count", method: "GET", path: "/fhir/" + typ + "?_id={ID}&_summary=count"},
		{name: "search _id,x", method: "GET", path: "/fhir/" + typ + "?_id={ID},zz-none"},
		{name: "search _id:not", method: "GET", path: "/fhir/" + typ + "?_id:not={ID}&_summary=count"},
		{name: "search patient+_id", method: "GET", path: "/fhir/" + typ + "?patient=Patient/jane&_id={ID}"},
		{name: "search _id _include", method: "GET", path: "/fhir/" + typ + "?_id={ID}&_include=*"},
		{name: "_search _id", method: "POST", path: "/fhir/" + typ + "/_search", body: "_id={ID}", hdr: []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{name: "_has", method: "GET", path: "/fhir/Patient?_has:" + typ + ":subject:_id={ID}"},
		{name: "_include:iterate", method: "GET", path: "/fhir/" + typ + "?_id={ID}&_include:iterate=" + typ + ":subject"},
		{name: "reference search bare id", method: "GET", path: "/fhir/Encounter?diagnosis={ID}"},
		{name: "reference search", method: "GET", path: "/fhir/CarePlan?addresses=" + typ + "/{ID}&_summary=count"},
		{name: "reference search versioned", method: "GET", path: "/fhir/CarePlan?addresses=" + typ + "/{ID}/_history/1"},
		{name: "provenance target search", method: "GET", path: "/fhir/Provenance?target=" + typ + "/{ID}"},
		{name: "_revinclude provenance", method: "GET", path: "/fhir/" + typ + "?_id={ID}&_revinclude=Provenance:target"},
		{name: "options", method: "OPTIONS", path: p},
		{name: "operation on item", method: "GET", path: p + "/$meta"},
		{name: "batch GET/DELETE", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"` + typ + `/{ID}"}},
			{"request":{"method":"GET","url":"` + typ + `/{ID}/_history/1"}},
			{"request":{"method":"GET","url":"` + typ + `/{ID}/_history"}},
			{"request":{"method":"DELETE","url":"` + typ + `/{ID}"}},
			{"request":{"method":"GET","url":"` + typ + `?_id={ID}"}}]}`},
		{name: "transaction DELETE", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"` + typ + `/{ID}"}}]}`},
		{name: "transaction DELETE ifMatch", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"` + typ + `/{ID}","ifMatch":"W/\"1\""}}]}`},
		{name: "transaction GET", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"GET","url":"` + typ + `/{ID}"}}]}`},
		{name: "transaction conditional reference by _id", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"fullUrl":"urn:uuid:11111111-2222-3333-4444-555555555555","resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
			"addresses":[{"reference":"` + typ + `?_id={ID}"}]},"request":{"method":"POST","url":"CarePlan"}}]}`},
		{name: "If-None-Exist _id", method: "POST", path: "/fhir/" + typ, body: strings.Replace(r21bCond, `"id":"{ID}",`, "", 1), hdr: []string{"If-None-Exist", "_id={ID}"}},
		{name: "conditional update _id, no body id", method: "PUT", path: "/fhir/" + typ + "?_id={ID}", body: strings.Replace(r21bCond, `"id":"{ID}",`, "", 1)},
	}
}

// TestReview21bSoundWithheldItemLooksNeverStored: the district nurse (RCX) may
// not see the GP's HIV diagnosis (labelled from its code). Every
// single-item request about it must answer as for an id never stored.
func TestReview21bSoundWithheldItemLooksNeverStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	// A second version, so that version numbers could tell.
	e.putAll(t, gp, [2]string{"/fhir/Condition/hiv", `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"GP-HIV-V2"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/hiv", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the nurse does not see Condition/hiv: %d %.300s", r.status, r.body)
	}
	r21bCompare(t, e, nurse, "hiv", "zz-never", r21bItemRequests("Condition"))
}

// TestReview21bSoundWithheldDeletedItemLooksNeverStored: the same once the GP
// has deleted it (a delete marker's version and 410 must not show).
func TestReview21bSoundWithheldDeletedItemLooksNeverStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	if r := e.do("DELETE", "/fhir/Condition/hiv", gp, ""); r.status != 204 && r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	r21bCompare(t, e, nurse, "hiv", "zz-never", r21bItemRequests("Condition"))
}

// TestReview21bSoundCouncilDeniedItemLooksNeverStored: Jane objects to the
// council seeing her NHS record; the social worker asks about the GP's
// diabetes diagnosis.
func TestReview21bSoundCouncilDeniedItemLooksNeverStored(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 404 {
		t.Fatalf("premise: the social worker does not see Condition/diabetes: %d %.300s", r.status, r.body)
	}
	r21bCompare(t, e, sw, "diabetes", "zz-never", r21bItemRequests("Condition"))
}

// r21bMargaret seeds a GP-registered person whose demographics are
// restricted (R) and who has opted out (OPTOUT, no provisions), with a
// diagnosis from the GP.
func r21bMargaret(t *testing.T, e *env) {
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/marg21b", `{"resourceType":"Patient","id":"marg21b","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"name":[{"family":"Doyle"}],
			"address":[{"line":["1 REFUGE ROAD"],"postalCode":"NS1 1AA"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/marg-dep", `{"resourceType":"Condition","id":"marg-dep","subject":{"reference":"Patient/marg21b"},"code":{"text":"GP-DEPRESSION"}}`},
		[2]string{"/fhir/Consent/marg-optout", `{"resourceType":"Consent","id":"marg-optout","status":"active",
			"scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
			"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
			"patient":{"reference":"Patient/marg21b"},"dateTime":"2026-01-10",
			"policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]}}`})
}

// TestReview21bSoundOwnPatientByNumberTellsNothingOfAnother: a hospital
// clinician at an organisation with no relationship with Margaret records
// its own Patient carrying an NHS number, and reads it back, searches it
// and writes an item naming the person by the number. Whether the number
// is that of a restricted, opted-out person stored here or of no one,
// every answer must be the same (SPEC §5: a withheld item is simply
// absent; the restricted person's existence is not the writer's to know).
func TestReview21bSoundOwnPatientByNumberTellsNothingOfAnother(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	r21bMargaret(t, e)
	hosp := e.token("hospital-clinician", "nhs", "Z21B01")
	hospSys := e.token("system", "nhs", "Z21B01")
	for _, tok := range []struct{ name, tok string }{{"clinician", hosp}, {"system", hospSys}} {
		ans := map[string][]string{}
		for _, n := range []string{"9990000034", "9990000042"} {
			id := "own21b-" + tok.name + "-" + n
			pat := `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}],"name":[{"family":"Doyle"}],"address":[{"line":["9 HOSPITAL WAY"]}],"telecom":[{"system":"phone","value":"01632960000"}]}`
			var out []string
			add := func(what string, r resp) {
				out = append(out, what+fmt.Sprintf(" %d ", r.status)+r21bNorm(r21bNorm(r.body, id), n))
			}
			add("put", e.do("PUT", "/fhir/Patient/"+id, tok.tok, pat))
			add("read", e.do("GET", "/fhir/Patient/"+id, tok.tok, ""))
			add("everything", e.do("GET", "/fhir/Patient/"+id+"/$everything", tok.tok, ""))
			add("search number", e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+n, tok.tok, ""))
			add("search number count", e.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+n+"&_summary=count", tok.tok, ""))
			add("ifnoneexist", e.do("POST", "/fhir/Patient", tok.tok, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"`+n+`"}]}`,
				"If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|"+n))
			oid := "obs21b-" + tok.name + "-" + n
			obs := `{"resourceType":"Observation","id":"` + oid + `","status":"final","code":{"text":"HOSP-OBS"},"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}}}`
			add("obs by number", e.do("PUT", "/fhir/Observation/"+oid, tok.tok, obs))
			add("obs read", e.do("GET", "/fhir/Observation/"+oid, tok.tok, ""))
			ans[n] = out
		}
		a, b := ans["9990000034"], ans["9990000042"]
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s: answers differ between a restricted opted-out person's number and no one's:\n restricted: %.700s\n no one:     %.700s", tok.name, a[i], b[i])
			}
		}
	}
}

// r21bSnapshot runs each GET as tok and returns status, the headers a
// client sees and the normalised body.
func r21bSnapshot(e *env, tok string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		r := e.do("GET", p, tok, "")
		// The notice says that something of the record (of the types
		// asked for) is withheld, as SPEC asks: left out here, so that
		// the rest of the answer is compared.
		body := r21bNorm(strings.ReplaceAll(r.body, r21bNotice, ""), "\x00")
		body = strings.NewReplacer(`,]`, `]`, `[,`, `[`, `,"entry":[]`, ``).Replace(body)
		out[i] = fmt.Sprintf("%d etag=%s lm=%s len=%d %s", r.status, r.header.Get("ETag"), r21bNorm(r.header.Get("Last-Modified"), "\x00"), len(body), body)
	}
	return out
}

const r21bNotice = `{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"suppressed","details":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-ListWarningCode","code":"confidential-items","display":"Items excluded due to confidentiality and/or patient preferences"}]}}]},"search":{"mode":"outcome"}}`

// r21bJanePaths are the reads, searches, histories and $everything of
// Jane's record a user may make.
var r21bJanePaths = []string{
	"/fhir/Patient/jane",
	"/fhir/Patient/jane/_history",
	"/fhir/Condition/diabetes",
	"/fhir/Condition?patient=jane",
	"/fhir/Condition?patient=Patient/jane&_count=1",
	"/fhir/Condition?patient=Patient/jane&_count=1&_offset=1",
	"/fhir/Condition?patient=Patient/jane&_count=1&_offset=2",
	"/fhir/Condition?patient=Patient/jane&_summary=count",
	"/fhir/Condition?subject=jane&_sort=-_lastUpdated",
	"/fhir/Condition?patient=Patient/jane&_lastUpdated=ge2000-01-01",
	"/fhir/Condition?patient=Patient/jane&code=http://snomed.info/sct|86406008",
	"/fhir/Condition?_summary=count",
	"/fhir/Condition",
	"/fhir/Condition?_sort=-_lastUpdated&_count=1",
	"/fhir/Condition?code=http://snomed.info/sct|86406008&_summary=count",
	"/fhir/Condition/_history",
	"/fhir/Condition/_history?_count=1",
	"/fhir/Condition/_history?_since=2000-01-01T00:00:00Z",
	"/fhir/_history?_count=100",
	"/fhir/_history?_count=0",
	"/fhir/Patient/jane/$everything",
	"/fhir/Patient/jane/$everything?_count=1",
	"/fhir/Patient/jane/$everything?_count=2&_offset=2",
	"/fhir/Patient/jane/$everything?_type=Condition",
	"/fhir/Patient/jane/$everything?_since=2000-01-01T00:00:00Z",
	"/fhir/Patient/jane/$everything?start=2000-01-01",
	"/fhir/Patient?_id=jane&_revinclude=Condition:subject",
	"/fhir/Patient?_id=jane&_revinclude=Provenance:target",
	"/fhir/Patient?_id=jane&_revinclude=DocumentReference:subject",
	"/fhir/CarePlan?patient=jane&_include=CarePlan:addresses",
	"/fhir/Provenance?patient=jane",
	"/fhir/Provenance",
	"/fhir/DocumentReference?patient=jane",
	"/fhir/DocumentReference?patient=jane&_summary=count",
	"/fhir/Observation?patient=jane&_summary=count",
	"/fhir/Consent?patient=jane",
	"/fhir/CareTeam?patient=jane",
}

// r21bSincePaths are searches and histories of what changed since t0.
func r21bSincePaths(t0 time.Time) []string {
	ts := url.QueryEscape(t0.UTC().Format("2006-01-02T15:04:05.000Z"))
	return []string{
		"/fhir/Condition/_history?_since=" + ts,
		"/fhir/Condition/_history?_since=" + ts + "&_count=0",
		"/fhir/_history?_since=" + ts,
		"/fhir/Patient/jane/_history?_since=" + ts,
		"/fhir/Condition/diabetes/_history?_since=" + ts,
		"/fhir/Patient/jane/$everything?_since=" + ts,
		"/fhir/Patient/jane/$everything?_since=" + ts + "&_type=Condition",
		"/fhir/Condition?patient=Patient/jane&_lastUpdated=ge" + ts,
		"/fhir/Condition?_lastUpdated=ge" + ts,
		"/fhir/Condition?_lastUpdated=ge" + ts + "&_summary=count",
		"/fhir/Provenance?_lastUpdated=ge" + ts,
		"/fhir/Patient?_id=jane&_revinclude=Condition:subject&_lastUpdated=ge2000-01-01",
	}
}

// r21bCompareSnapshots reports each answer that changed.
func r21bCompareSnapshots(t *testing.T, who string, paths, before, after []string) {
	t.Helper()
	for i := range paths {
		if before[i] != after[i] {
			t.Errorf("%s: GET %s changed when only items withheld from them were written:\n before: %.900s\n after:  %.900s", who, paths[i], before[i], after[i])
		}
	}
}

// r21bWithheldWrites writes, as the GP, updates and deletes items of
// Jane's that the callers of these tests may not see.
func r21bWithheldWrites(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	hivCond := func(id, text string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"` + text + `"},"recordedDate":"2026-01-02"}`
	}
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/hiv2", hivCond("hiv2", "GP-HIV-2")},
		[2]string{"/fhir/Condition/hiv", hivCond("hiv", "GP-HIV-V2")},
		[2]string{"/fhir/Observation/obs21b", `{"resourceType":"Observation","id":"obs21b","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"GP-OBS"},"effectiveDateTime":"2026-01-03"}`},
		[2]string{"/fhir/Provenance/prov21b", `{"resourceType":"Provenance","id":"prov21b","target":[{"reference":"Condition/hiv"}],"recorded":"2026-01-03T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}]}`},
		[2]string{"/fhir/DocumentReference/psy21b", `{"resourceType":"DocumentReference","id":"psy21b","status":"current","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
			"subject":{"reference":"Patient/jane"},"content":[{"attachment":{"contentType":"text/plain","data":"UFNZ"}}]}`},
	)
	if r := e.do("DELETE", "/fhir/Condition/hiv2", gp, ""); r.status != 204 && r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
}

// TestReview21bSoundWithheldWritesChangeNothingSeen: what the district nurse
// sees of Jane's record (answers, totals, paging, notices, versions and
// dates) must not change when the GP writes, updates and deletes only
// items withheld from her (SPEC §5: withheld items are absent from reads,
// searches, $everything, _history, _include/_revinclude and totals).
func TestReview21bSoundWithheldWritesChangeNothingSeen(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	time.Sleep(5 * time.Millisecond)
	paths := append(r21bSincePaths(time.Now()), r21bJanePaths...)
	before := r21bSnapshot(e, nurse, paths)
	time.Sleep(20 * time.Millisecond)
	r21bWithheldWrites(t, e)
	if r := e.do("GET", "/fhir/Condition/hiv", gp, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	after := r21bSnapshot(e, nurse, paths)
	r21bCompareSnapshots(t, "district nurse", paths, before, after)
}

// TestReview21bSoundWithheldWritesChangeNothingForOthers: the same for the
// social worker once Jane objects to the council seeing her NHS record,
// for the community trust's client system (its own organisation's data
// only) and for an IG officer (no clinical data).
func TestReview21bSoundWithheldWritesChangeNothingForOthers(t *testing.T) {
	for _, who := range []struct{ name, role, sector, org string }{
		{"social worker", "social-worker", "council", "E06000999"},
		{"trust system", "system", "nhs", "RCX"},
		{"ig officer", "ig-officer", "nhs", "RCX"},
	} {
		t.Run(who.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gp := e.token("system", "nhs", "A81001")
			e.putAll(t, gp, [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
			tok := e.token(who.role, who.sector, who.org)
			time.Sleep(5 * time.Millisecond)
			paths := append(r21bSincePaths(time.Now()), r21bJanePaths...)
			before := r21bSnapshot(e, tok, paths)
			time.Sleep(20 * time.Millisecond)
			r21bWithheldWrites(t, e)
			after := r21bSnapshot(e, tok, paths)
			r21bCompareSnapshots(t, who.name, paths, before, after)
		})
	}
}

// r21bReceptionistEnv is a server whose policy adds a front-desk role
// (demographics, appointments, directory), not listed in sees-own-records:
// README rule 1, "a role a deployment adds (a receptionist keeps her
// classes in her own practice too)".
func r21bReceptionistEnv(t *testing.T) *env {
	pol, err := consent.LoadPolicy(strings.NewReader(consent.DefaultPolicyText() + "\nrole receptionist demographics appointments directory\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: key, ExtraRoles: []string{"receptionist"}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Policy, c.Verifier = api.NewConsentPolicy(pol, c.Store), v })
	e.key = key
	seedShared(t, e)
	return e
}

// TestReview21bOwnPracticeItemWithheldFromRoleAnswersWritesAsNeverStored:
// the practice's receptionist may not see its HIV diagnosis (her role has
// no clinical class; GET is 404). README: "Writes do not reveal what the
// writer may not see: a DELETE of an item withheld from the caller … is a
// 404 in the words used for an id that never existed". Her DELETE,
// If-Match and conditional update must answer as for an id never stored.
func TestReview21bOwnPracticeItemWithheldFromRoleAnswersWritesAsNeverStored(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/hiv", rec, ""); r.status != 404 {
		t.Fatalf("premise: the receptionist does not see the HIV diagnosis: %d %.200s", r.status, r.body)
	}
	reqs := []r21bReq{
		{name: "delete If-Match 9", method: "DELETE", path: "/fhir/Condition/{ID}", hdr: []string{"If-Match", `W/"9"`}},
		{name: "transaction delete ifMatch 9", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"Condition/{ID}","ifMatch":"W/\"9\""}}]}`},
		{name: "delete", method: "DELETE", path: "/fhir/Condition/{ID}"},
	}
	r21bCompare(t, e, rec, "hiv", "zz-never", reqs)
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Errorf("the practice's HIV diagnosis, which the receptionist may not see, was deleted by her: GP reads %d %.200s", r.status, r.body)
	}
}

// TestReview21bOwnPracticeItemWithheldFromRoleIsNotOverwritten: the same
// receptionist's PUT over the HIV diagnosis she may not see must answer as
// over any id withheld from her (409 "the id is taken", whatever its
// version), not replace it; so must a conditional update naming it.
func TestReview21bOwnPracticeItemWithheldFromRoleIsNotOverwritten(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	body := `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"RECEPTION-OVERWRITE"}}`
	r1 := e.do("PUT", "/fhir/Condition/hiv", rec, body, "If-Match", `W/"9"`)
	if r1.status != 409 || strings.Contains(r1.body, "version 1") {
		t.Errorf("PUT If-Match W/\"9\" over the diagnosis withheld from her: %d %.300s (want 409 the id is taken, no version)", r1.status, r1.body)
	}
	r2 := e.do("PUT", "/fhir/Condition?_id=hiv", rec, body)
	r3 := e.do("PUT", "/fhir/Condition/hiv", rec, body)
	for _, r := range []resp{r2, r3} {
		if r.status != 409 {
			t.Errorf("PUT over the diagnosis withheld from her: %d %.300s (want 409 the id is taken)", r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("gp", "nhs", "A81001"), ""); strings.Contains(r.body, "RECEPTION-OVERWRITE") {
		t.Errorf("the receptionist overwrote the practice's HIV diagnosis she may not see: %.300s", r.body)
	}
}

// TestReview21bConsentActorCheckTellsWithheldDirectoryItem: an
// Organization and a Practitioner labelled restricted (R) by their source
// are withheld from the district nurse (GET is 404: README, a sensitive
// label keeps an item that names no person with its source). Naming them
// by id as a Consent's actor must not quote the identifier they are
// stored with. It is refused still, unlike an id never stored: stored, the
// deny would match no one (review 22a: a deny of the hospital so written
// was stored and never applied); that the id is taken is all it tells.
func TestReview21bConsentActorCheckTellsWithheldDirectoryItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Organization/refuge21b", `{"resourceType":"Organization","id":"refuge21b","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSREFUGE7"}],"name":"NORTHSHIRE WOMENS REFUGE"}`},
		[2]string{"/fhir/Practitioner/prac21b", `{"resourceType":"Practitioner","id":"prac21b","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"SDS777123"}],"name":[{"family":"HIDDEN"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Organization/refuge21b", "/fhir/Practitioner/prac21b"} {
		if r := e.do("GET", p, nurse, ""); r.status != 404 {
			t.Fatalf("premise: %s is withheld from the nurse: %d %.200s", p, r.status, r.body)
		}
	}
	for _, c := range []struct{ typ, withheld, never, secret string }{
		{"Organization", "refuge21b", "zzorg21b", "NSREFUGE7"},
		{"Practitioner", "prac21b", "zzprac21b", "SDS777123"},
	} {
		consentFor := func(id, ref string) string {
			return janeConsent(id, "2026-01-11", "OPTIN", `,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"`+ref+`"}}]}`)
		}
		a := e.do("PUT", "/fhir/Consent/c21b-"+c.withheld, nurse, consentFor("c21b-"+c.withheld, c.typ+"/"+c.withheld))
		b := e.do("PUT", "/fhir/Consent/c21b-"+c.never, nurse, consentFor("c21b-"+c.never, c.typ+"/"+c.never))
		if a.status != 422 || b.status != 201 || strings.Contains(a.body, c.secret) {
			t.Errorf("a Consent naming the withheld %s/%s: %d %.400s\n  naming %s/%s, never stored: %d %.200s", c.typ, c.withheld, a.status, a.body, c.typ, c.never, b.status, b.body)
		}
	}
}
