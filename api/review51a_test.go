package api_test

import (
	"strings"
	"testing"
)

// Review 51a: a896f68 (entryAt shared by resolveIn and the narrative link
// closure) claimed behaviour unchanged. The closure looked up refs[v] as
// written first; entryAt only refs[unversioned(v)]. refs is keyed by
// unversioned(fullUrl), which strips one "/_history/n": a fullUrl written
// with two is keyed with one, and a link naming that key exactly was
// rewritten before and is not now.

func r51aTx(t *testing.T, e *env, tok, body string) resp {
	t.Helper()
	r := e.do("POST", "/fhir", tok, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	return r
}

func r51aLocation(body, typ string) string {
	k := strings.Index(body, `"location":"`+typ+`/`)
	if k < 0 {
		return ""
	}
	rest := body[k+len(`"location":"`+typ+`/`):]
	return rest[:strings.IndexAny(rest, `/"`)]
}

// TestReview51aUnitNarrativeLinkToKeyAsWritten: a link naming an entry's
// fullUrl key exactly (the fullUrl written with two history segments).
func TestReview51aUnitNarrativeLinkToKeyAsWritten(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	u := "urn:uuid:51a00000-0000-4000-8000-000000000001"
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + u + `/_history/1/_history/2","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"R51a"}]},"request":{"method":"POST","url":"Patient"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"R51A-LINK"},"subject":{"reference":"` + u + `/_history/1/_history/2"},
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"` + u + `/_history/1\">the patient</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := r51aTx(t, e, hosp, body)
	pid, oid := r51aLocation(r.body, "Patient"), r51aLocation(r.body, "Observation")
	if pid == "" || oid == "" {
		t.Fatalf("locations: %.600s", r.body)
	}
	o := e.do("GET", "/fhir/Observation/"+oid, hosp, "")
	t.Logf("Observation: %d %.700s", o.status, o.body)
	if !strings.Contains(o.body, `"Patient/`+pid+`"`) {
		t.Errorf("subject not resolved to Patient/%s", pid)
	}
	if strings.Contains(o.body, u) {
		t.Errorf("narrative link naming the entry's fullUrl key %s/_history/1 left unresolved (rewritten to Patient/%s before a896f68)", u, pid)
	}
}

// TestReview51aSoundTransactionLinks: urn:uuid, RESTful and versioned
// fullUrls and links, relative links from RESTful entries, a batch beside.
func TestReview51aSoundTransactionLinks(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	u := "urn:uuid:51a00000-0000-4000-8000-000000000002"
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + u + `","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"R51a"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Patient/r51a-p2/_history/3","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"R51b"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r51a-o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R51A-LINKS"},"subject":{"reference":"` + u + `/_history/7"},
   "performer":[{"reference":"Patient/r51a-p2/_history/1"}],
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"` + u + `\">a</a><a href=\"` + u + `/_history/2\">b</a><a href=\"Patient/r51a-p2\">c</a><a href=\"http://feed.example/fhir/Patient/r51a-p2/_history/9\">d</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := r51aTx(t, e, hosp, body)
	oid := r51aLocation(r.body, "Observation")
	o := e.do("GET", "/fhir/Observation/"+oid, hosp, "")
	t.Logf("Observation: %d %.900s", o.status, o.body)
	if o.status != 200 || strings.Contains(o.body, "urn:uuid") || strings.Contains(o.body, "r51a-p2") {
		t.Errorf("links not all resolved: %.900s", o.body)
	}
	b := e.do("POST", "/fhir", hosp, `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"R51A-BATCH"},"subject":{"reference":"Patient/jane"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"Patient/jane\">j</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`)
	t.Logf("batch: %d %.400s", b.status, b.body)
	if b.status != 200 {
		t.Errorf("batch: %d", b.status)
	}
}
