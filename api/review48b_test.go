package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Review 48b: re-read of b7488ae (review 47c): restfulBase/resolveIn,
// the once check after conditional matches, strict import decoding, the
// bundle's writes looked up in a map, noteWritten as a set.

// r48bLocations are the response.location values of a transaction-response.
func r48bLocations(t *testing.T, body string) []string {
	t.Helper()
	var b struct {
		Entry []struct {
			Response struct {
				Location string `json:"location"`
				Status   string `json:"status"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("transaction-response: %v: %.300s", err, body)
	}
	var out []string
	for _, e := range b.Entry {
		out = append(out, e.Response.Location)
	}
	return out
}

// r48bID is "id" of a location "Type/id/_history/n" (or a full URL).
func r48bID(loc string) string {
	parts := strings.Split(loc, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "Patient" || parts[i] == "Observation" || parts[i] == "Binary" || parts[i] == "DocumentReference" {
			return parts[i+1]
		}
	}
	return ""
}

const r48bFeedPatient = `{"fullUrl":"%FULL%","resource":{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}],"name":[{"family":"Other","given":["Person"]}]},"request":{"method":"POST","url":"Patient"}}`

func r48bFeedObs(full, subject, marker string) string {
	return `{"fullUrl":"` + full + `","resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"` + marker + `"},"subject":{"reference":"` + subject + `"}},"request":{"method":"POST","url":"Observation"}}`
}

// r48bFiledUnderJane: the hospital's feed POSTs its own Patient (fullUrl
// patFull, created under a new id) and an Observation (fullUrl obsFull)
// naming it by subject; reports whether the GP's $everything of carex's
// Jane holds the Observation.
func r48bFiledUnderJane(t *testing.T, e *env, patFull, obsFull, subject, marker string) (int, string, bool) {
	t.Helper()
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Replace(r48bFeedPatient, "%FULL%", patFull, 1) + `,` + r48bFeedObs(obsFull, subject, marker) + `]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		return r.status, r.body, false
	}
	ev := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "A81001"), "")
	if i := strings.Index(ev.body, marker); i >= 0 {
		t.Logf("GP $everything of jane %d: ...%s...", ev.status, ev.body[max(0, i-250):min(len(ev.body), i+150)])
	}
	return r.status, r.body, strings.Contains(ev.body, marker)
}

// TestReview48bVersionedRelativeReferenceFollowsEntry: FHIR R4 (Bundle,
// "Resolving references in Bundles"): "If the reference is version
// specific (either relative or absolute), then remove the version from
// the URL before matching fullUrl". A feed's Observation (fullUrl
// http://feed.example/fhir/Observation/o1) naming its own Patient as
// Patient/jane/_history/1 names the feed's Patient entry, created under a
// new id: it must not be filed under carex's Jane (another person).
func TestReview48bVersionedRelativeReferenceFollowsEntry(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	st, body, under := r48bFiledUnderJane(t, e, "http://feed.example/fhir/Patient/jane", "http://feed.example/fhir/Observation/o1", "Patient/jane/_history/1", "R48B-VERSIONED-REL")
	if under {
		t.Errorf("transaction %d: the feed's Observation naming its own Patient entry as Patient/jane/_history/1 was filed under carex's Jane (GP's $everything holds it)\nresponse: %.600s", st, body)
	}
}

// TestReview48bAbsoluteVersionedReferenceFollowsEntry: the same with the
// absolute version-specific reference
// http://feed.example/fhir/Patient/jane/_history/1.
func TestReview48bAbsoluteVersionedReferenceFollowsEntry(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	st, body, under := r48bFiledUnderJane(t, e, "http://feed.example/fhir/Patient/jane", "http://feed.example/fhir/Observation/o1", "http://feed.example/fhir/Patient/jane/_history/1", "R48B-VERSIONED-ABS")
	if under {
		t.Errorf("transaction %d: Observation naming http://feed.example/fhir/Patient/jane/_history/1 filed under carex's Jane\nresponse: %.600s", st, body)
	}
	t.Logf("status %d: %.400s", st, body)
}

// TestReview48bVersionedFullUrlOfPatientEntry: the feed's Patient entry
// has a version-specific fullUrl (.../Patient/jane/_history/2), which R4
// forbids (bdl-8: "fullUrl cannot be a version specific reference"). The
// transaction must be refused, or its Observation (subject Patient/jane,
// fullUrl .../Observation/o1) must not be filed under carex's Jane.
func TestReview48bVersionedFullUrlOfPatientEntry(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	st, body, under := r48bFiledUnderJane(t, e, "http://feed.example/fhir/Patient/jane/_history/2", "http://feed.example/fhir/Observation/o1", "Patient/jane", "R48B-VERSIONED-FULLURL")
	if under {
		t.Errorf("transaction %d: accepted a version-specific fullUrl (bdl-8), and the Observation naming Patient/jane was filed under carex's Jane\nresponse: %.600s", st, body)
	}
}

// TestReview48bSoundRestfulFullUrlWithPort: a port in the feed's base
// (http://feed.example:8443/fhir) still resolves Patient/jane to the entry.
func TestReview48bSoundRestfulFullUrlWithPort(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	st, body, under := r48bFiledUnderJane(t, e, "http://feed.example:8443/fhir/Patient/jane", "http://feed.example:8443/fhir/Observation/o1", "Patient/jane", "R48B-PORT")
	if st != 200 || under {
		t.Errorf("transaction %d (under Jane %v): %.600s", st, under, body)
	}
}

// TestReview48bSoundPutWithOwnRestfulFullUrls: a feed's transaction whose
// entries PUT under their own ids with RESTful fullUrls matching them (the
// common shape): accepted, the Observation filed under the feed's Patient.
func TestReview48bSoundPutWithOwnRestfulFullUrls(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Bundle","type":"transaction","timestamp":"2026-12-05T10:00:00Z","entry":[
 {"fullUrl":"http://feed.example/fhir/Patient/r48b-p1","resource":{"resourceType":"Patient","id":"r48b-p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"Feed"}]},"request":{"method":"PUT","url":"Patient/r48b-p1"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r48b-o1","resource":{"resourceType":"Observation","id":"r48b-o1","status":"final","code":{"text":"R48B-PUT-OWN"},"subject":{"reference":"Patient/r48b-p1"},
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"Patient/r48b-p1\">patient</a></div>"}},"request":{"method":"PUT","url":"Observation/r48b-o1"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	o := e.do("GET", "/fhir/Observation/r48b-o1", hosp, "")
	if o.status != 200 || !strings.Contains(o.body, `"Patient/r48b-p1"`) {
		t.Errorf("Observation: %d %.500s", o.status, o.body)
	}
	people := e.loggedPeople(t, "POST", "/fhir")
	if !strings.Contains(strings.Join(people, ","), "r48b-p1") || strings.Contains(","+strings.Join(people, ",")+",", ",jane,") {
		t.Errorf("access log people %v", people)
	}
}

// TestReview48bSoundFeedPatientResolvedAndLogged: the 47c shape
// (POST Patient fullUrl .../Patient/jane, Observation subject Patient/jane,
// plus a narrative link <a href="Patient/jane">): the Observation and its
// link go to the new Patient, and the access log names the new Patient,
// not carex's Jane.
func TestReview48bSoundFeedPatientResolvedAndLogged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Replace(r48bFeedPatient, "%FULL%", "http://feed.example/fhir/Patient/jane", 1) + `,
 {"fullUrl":"http://feed.example/fhir/Observation/o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R48B-LOGGED"},"subject":{"reference":"Patient/jane"},
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"Patient/jane\">the patient</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	locs := r48bLocations(t, r.body)
	pid, oid := r48bID(locs[0]), r48bID(locs[1])
	if pid == "" || pid == "jane" || oid == "" {
		t.Fatalf("locations %v", locs)
	}
	o := e.do("GET", "/fhir/Observation/"+oid, hosp, "")
	if !strings.Contains(o.body, `"Patient/`+pid+`"`) || strings.Contains(o.body, `"Patient/jane"`) || strings.Contains(o.body, `href=\"Patient/jane\"`) {
		t.Errorf("Observation stored: %.700s", o.body)
	}
	people := e.loggedPeople(t, "POST", "/fhir")
	joined := "," + strings.Join(people, ",") + ","
	if !strings.Contains(joined, ","+pid+",") || strings.Contains(joined, ",jane,") {
		t.Errorf("access log people %v (new Patient %s)", people, pid)
	}
}

// r48bOwnPatient is a Patient of the hospital's, which it may see (source).
const r48bOwnPatient = `{"resourceType":"Patient","id":"r48b-own","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"Own"}]}`

// TestReview48bTwoConditionalCreatesMatchingOneItem: two entries of a
// feed's transaction each POST the same person with ifNoneExist (its NHS
// number), each with its own fullUrl and an Observation naming it. Neither
// changes anything when the person is stored: FHIR's overlap rule names
// "resolved identities from conditional update/delete", and a matched
// conditional create is ignored ("the server ignores the post and returns
// 200 OK"). The same bundle is accepted when the person is not stored yet
// (two creates). b7488ae's once check counts a matched conditional create
// as a change: expected 200 (it was before b7488ae).
func TestReview48bTwoConditionalCreatesMatchingOneItem(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/r48b-own", r48bOwnPatient})
	pat := func(n string) string {
		return `{"fullUrl":"urn:uuid:00000000-0000-4000-8000-00000000000` + n + `","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"Own"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9000000033"}}`
	}
	obs := func(n string) string {
		return `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"R48B-TWO-COND-` + n + `"},"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-00000000000` + n + `"}},"request":{"method":"POST","url":"Observation"}}`
	}
	body := `{"resourceType":"Bundle","type":"transaction","entry":[` + pat("1") + `,` + obs("1") + `,` + pat("2") + `,` + obs("2") + `]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Errorf("two conditional creates matching stored Patient/r48b-own: %d %.500s", r.status, r.body)
	}
}

// TestReview48bConditionalCreateBesidePutOfMatchedItem: a conditional
// create matching stored Patient/r48b-own beside a PUT Patient/r48b-own.
// Only the PUT changes the Patient (the matched create is ignored), so
// FHIR's overlap rule ("conditional update/delete") does not apply.
// Logged; asserted accepted.
func TestReview48bConditionalCreateBesidePutOfMatchedItem(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/r48b-own", r48bOwnPatient})
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"Own"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9000000033"}},
 {"resource":{"resourceType":"Patient","id":"r48b-own","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"Own-Updated"}]},"request":{"method":"PUT","url":"Patient/r48b-own"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Errorf("conditional create matching Patient/r48b-own beside PUT Patient/r48b-own: %d %.500s", r.status, r.body)
	}
}

// TestReview48bSoundDeleteAndPostOfOneType: a DELETE of the hospital's
// Observation and a POST of a new Observation in one transaction.
func TestReview48bSoundDeleteAndPostOfOneType(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Observation/r48b-old", `{"resourceType":"Observation","id":"r48b-old","status":"final","code":{"text":"old"},"subject":{"reference":"Patient/jane"}}`})
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"DELETE","url":"Observation/r48b-old"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r48b-old","resource":{"resourceType":"Observation","status":"final","code":{"text":"R48B-NEW"},"subject":{"reference":"Patient/jane"}},"request":{"method":"POST","url":"Observation"}}]}`
	if r := e.do("POST", "/fhir", hosp, body); r.status != 200 {
		t.Errorf("DELETE + POST of one type: %d %.500s", r.status, r.body)
	}
}

// TestReview48bSoundBinarySecurityContextRelativeToEntry: a hospital
// letter (DocumentReference labelled HIV by its source, for Jane) POSTed
// with fullUrl http://feed.example/fhir/DocumentReference/d1, and its
// Binary (fullUrl .../Binary/b1) whose securityContext is the relative
// DocumentReference/d1: the Binary takes the new letter's people and
// labels, and the nurse who shares Jane's record cannot read it.
func TestReview48bSoundBinarySecurityContextRelativeToEntry(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"http://feed.example/fhir/DocumentReference/d1","resource":{"resourceType":"DocumentReference","status":"current","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"type":{"text":"letter"},"content":[{"attachment":{"contentType":"text/plain","url":"Binary/b1"}}]},"request":{"method":"POST","url":"DocumentReference"}},
 {"fullUrl":"http://feed.example/fhir/Binary/b1","resource":{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"DocumentReference/d1"},"data":"UjQ4Qi1ISVYtTEVUVEVS"},"request":{"method":"POST","url":"Binary"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	locs := r48bLocations(t, r.body)
	did, bid := r48bID(locs[0]), r48bID(locs[1])
	b := e.do("GET", "/fhir/Binary/"+bid, hosp, "")
	if b.status != 200 || !strings.Contains(b.body, "DocumentReference/"+did) {
		t.Errorf("hospital reads its Binary: %d %.400s", b.status, b.body)
	}
	d := e.do("GET", "/fhir/DocumentReference/"+did, hosp, "")
	if !strings.Contains(d.body, "Binary/"+bid) {
		t.Errorf("letter's attachment url not rewritten: %.400s", d.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Binary/" + bid, "/fhir/DocumentReference/" + did, "/fhir/Patient/jane/$everything"} {
		if x := e.do("GET", p, nurse, ""); strings.Contains(x.body, "UjQ4Qi1ISVYtTEVUVEVS") || strings.Contains(x.body, `"`+did+`"`) {
			t.Errorf("nurse %s: %d released the HIV letter or its content: %.400s", p, x.status, x.body)
		}
	}
}

// TestReview48bSoundConditionalCreateCannotReachUnseenPerson: the
// hospital, with no relationship to the GP's restricted person, sends a
// Patient entry (fullUrl http://feed.example/fhir/Patient/x) with
// ifNoneExist naming her NHS number, and an Observation (fullUrl
// .../Observation/o1) naming Patient/x. Her record is not the hospital's
// to see: the condition matches nothing and the Observation is filed under
// a new Patient, not hers; nothing of her is released.
func TestReview48bSoundConditionalCreateCannotReachUnseenPerson(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/r48b-restricted", `{"resourceType":"Patient","id":"r48b-restricted","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000041"}],"name":[{"family":"Hidden"}],"address":[{"line":["R48B-REFUGE"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	hosp := e.token("system", "nhs", "RHX")
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"http://feed.example/fhir/Patient/x","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000041"}],"name":[{"family":"Probe"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9000000041"}},
 {"fullUrl":"http://feed.example/fhir/Observation/o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R48B-PROBE-OBS"},"subject":{"reference":"Patient/x"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if strings.Contains(r.body, "r48b-restricted") || strings.Contains(r.body, "R48B-REFUGE") || strings.Contains(r.body, "Hidden") {
		t.Errorf("transaction %d released the restricted person: %.600s", r.status, r.body)
	}
	ev := e.do("GET", "/fhir/Patient/r48b-restricted/$everything", e.token("gp", "nhs", "A81001"), "")
	if strings.Contains(ev.body, "R48B-PROBE-OBS") {
		t.Errorf("hospital's Observation filed under the restricted person (transaction %d %.300s)", r.status, r.body)
	}
}

// TestReview48bSoundImportSearchsetAndDocument: a searchset exported from
// another FHIR server (total, link, timestamp, entry.search, RESTful
// fullUrls, one with _history) and a document Bundle (identifier,
// timestamp) import through the strict decoder, the Observation under the
// exported Patient.
func TestReview48bSoundImportSearchsetAndDocument(t *testing.T) {
	e := newEnv(t)
	imp := r47cImporter("RHX", "nhs")
	ss := `{"resourceType":"Bundle","id":"b1","meta":{"lastUpdated":"2026-12-01T00:00:00Z"},"type":"searchset","timestamp":"2026-12-01T00:00:00Z","total":2,
 "link":[{"relation":"self","url":"http://other.example/fhir/Patient?_id=r48b-s1&_revinclude=Observation:subject"}],
 "entry":[
 {"fullUrl":"http://other.example/fhir/Patient/r48b-s1","resource":{"resourceType":"Patient","id":"r48b-s1","meta":{"versionId":"3"},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000068"}],"name":[{"family":"Exported"}]},"search":{"mode":"match","score":1}},
 {"fullUrl":"http://other.example/fhir/Observation/r48b-so1/_history/2","resource":{"resourceType":"Observation","id":"r48b-so1","status":"final","code":{"text":"R48B-SEARCHSET"},"subject":{"reference":"Patient/r48b-s1"}},"search":{"mode":"include"}}]}`
	if _, err := e.api.Import(context.Background(), imp, []byte(ss)); err != nil {
		t.Fatalf("searchset import: %v", err)
	}
	doc := `{"resourceType":"Bundle","type":"document","identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},"timestamp":"2026-12-01T00:00:00Z",
 "entry":[
 {"fullUrl":"http://other.example/fhir/Composition/r48b-c1","resource":{"resourceType":"Composition","id":"r48b-c1","status":"final","type":{"text":"discharge"},"subject":{"reference":"Patient/r48b-s1"},"date":"2026-12-01","author":[{"reference":"Organization/RHX"}],"title":"R48B-DOC"}},
 {"fullUrl":"http://other.example/fhir/Patient/r48b-s1","resource":{"resourceType":"Patient","id":"r48b-s1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000068"}],"name":[{"family":"Exported"}]}}]}`
	if _, err := e.api.Import(context.Background(), imp, []byte(doc)); err != nil {
		t.Fatalf("document import: %v", err)
	}
	hosp := e.token("system", "nhs", "RHX")
	if o := e.do("GET", "/fhir/Observation/r48b-so1", hosp, ""); o.status != 200 || !strings.Contains(o.body, `"Patient/r48b-s1"`) {
		t.Errorf("imported Observation: %d %.400s", o.status, o.body)
	}
	if c := e.do("GET", "/fhir/Composition/r48b-c1", hosp, ""); c.status != 200 {
		t.Errorf("imported Composition: %d %.400s", c.status, c.body)
	}
}

// TestReview48bSoundBinaryContextOfMatchedConditionalCreate: the hospital's
// stored letter DocumentReference/r48b-hivdoc for Jane carries the HIV
// label. A transaction sends a DocumentReference entry (urn:uuid:…d) with
// ifNoneExist matching that letter (by its identifier) and without the
// label, and a Binary whose securityContext is urn:uuid:…d, so resolved to
// DocumentReference/r48b-hivdoc. The matched create stores nothing (the
// stored letter stays HIV-labelled), so the Binary must carry the stored
// letter's labels, as a Binary naming DocumentReference/r48b-hivdoc
// directly does: the nurse who shares Jane's record must not read it.
func TestReview48bSoundBinaryContextOfMatchedConditionalCreate(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/DocumentReference/r48b-hivdoc", `{"resourceType":"DocumentReference","id":"r48b-hivdoc","status":"current","identifier":[{"system":"https://rhx.example/letters","value":"L48B"}],"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"type":{"text":"letter"},"content":[{"attachment":{"contentType":"text/plain","title":"letter"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/DocumentReference/r48b-hivdoc", nurse, ""); r.status == 200 {
		t.Fatalf("premise: nurse reads the HIV letter: %.300s", r.body)
	}
	// Control: a Binary naming the stored letter directly.
	ctl := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"DocumentReference/r48b-hivdoc"},"data":"UjQ4Qi1DT05UUk9M"},"request":{"method":"POST","url":"Binary"}}]}`
	rc := e.do("POST", "/fhir", hosp, ctl)
	if rc.status != 200 {
		t.Fatalf("control: %d %.400s", rc.status, rc.body)
	}
	cid := r48bID(r48bLocations(t, rc.body)[0])
	if r := e.do("GET", "/fhir/Binary/"+cid, nurse, ""); strings.Contains(r.body, "UjQ4Qi1DT05UUk9M") {
		t.Fatalf("control: nurse reads the Binary of the HIV letter: %.300s", r.body)
	}
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-0000000000d1","resource":{"resourceType":"DocumentReference","status":"current","identifier":[{"system":"https://rhx.example/letters","value":"L48B"}],"subject":{"reference":"Patient/jane"},"type":{"text":"letter"},"content":[{"attachment":{"contentType":"text/plain","title":"letter"}}]},"request":{"method":"POST","url":"DocumentReference","ifNoneExist":"identifier=https://rhx.example/letters|L48B"}},
 {"resource":{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"urn:uuid:00000000-0000-4000-8000-0000000000d1"},"data":"UjQ4Qi1NQVRDSEVE"},"request":{"method":"POST","url":"Binary"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.500s", r.status, r.body)
	}
	locs := r48bLocations(t, r.body)
	bid := r48bID(locs[1])
	t.Logf("locations %v", locs)
	if d := e.do("GET", "/fhir/DocumentReference/r48b-hivdoc", hosp, ""); !strings.Contains(d.body, `"HIV"`) {
		t.Fatalf("premise: stored letter changed: %.300s", d.body)
	}
	if b := e.do("GET", "/fhir/Binary/"+bid, nurse, ""); strings.Contains(b.body, "UjQ4Qi1NQVRDSEVE") {
		t.Errorf("nurse GET /fhir/Binary/%s: %d released the content of the HIV letter's Binary (its securityContext, resolved to DocumentReference/r48b-hivdoc, took the unstored matched entry's labels): %.400s", bid, b.status, b.body)
	}
}

// TestReview48bSoundMatchedConditionalCreateResolvesRestfulRelative: a
// Patient entry with a RESTful fullUrl and ifNoneExist matching the
// hospital's own stored Patient; the Observation's relative Patient/x
// follows the entry to the matched Patient.
func TestReview48bSoundMatchedConditionalCreateResolvesRestfulRelative(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/r48b-own", r48bOwnPatient})
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"http://feed.example/fhir/Patient/x","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"Own"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9000000033"}},
 {"fullUrl":"http://feed.example/fhir/Observation/o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R48B-MATCHED"},"subject":{"reference":"Patient/x"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", hosp, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.500s", r.status, r.body)
	}
	oid := r48bID(r48bLocations(t, r.body)[1])
	if o := e.do("GET", "/fhir/Observation/"+oid, hosp, ""); !strings.Contains(o.body, `"Patient/r48b-own"`) {
		t.Errorf("Observation: %.400s", o.body)
	}
}

// TestReview48bImportBatchTwoConditionalCreatesMatchingOneItem: carex
// import of a batch Bundle (run as a transaction) with two conditional
// creates of the hospital's stored Patient: refused since b7488ae.
func TestReview48bImportBatchTwoConditionalCreatesMatchingOneItem(t *testing.T) {
	e := newEnv(t)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Patient/r48b-own", r48bOwnPatient})
	pat := `{"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"Own"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9000000033"}}`
	raw := `{"resourceType":"Bundle","type":"batch","entry":[` + pat + `,` + pat + `]}`
	if _, err := e.api.Import(context.Background(), r47cImporter("RHX", "nhs"), []byte(raw)); err != nil {
		t.Errorf("import of a batch with two conditional creates matching stored Patient/r48b-own: %v", err)
	}
}
