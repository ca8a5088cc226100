package api_test

// Review 73b: the RESTful interactions as a GP practice's client system
// (role system, org A81001) and a GP of that practice use them, checked
// against the FHIR R4 RESTful API (http.html) and SPEC §3. Severity of every
// finding here is correctness (below leaks, lost log entries and
// over-withholding): no item is released that should not be.

import (
	"encoding/json"
	"strings"
	"testing"
)

const r73bSys = "https://gp.example/Id/problem"

// r73bCond is a Condition of Jane's recorded by the practice; id may be "".
func r73bCond(id, ident, text string) string {
	s := `{"resourceType":"Condition",`
	if id != "" {
		s += `"id":"` + id + `",`
	}
	return s + `"identifier":[{"system":"` + r73bSys + `","value":"` + ident + `"}],"subject":{"reference":"Patient/jane"},"code":{"text":"` + text + `"}}`
}

// r73bEntries decodes a Bundle's entries' response.status and resource.
func r73bEntries(t *testing.T, body string) (string, []struct {
	Resource json.RawMessage
	Response struct{ Status, Location, Etag string }
}) {
	t.Helper()
	var b struct {
		ResourceType, Type string
		Entry              []struct {
			Resource json.RawMessage
			Response struct{ Status, Location, Etag string }
		}
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil || b.ResourceType != "Bundle" {
		t.Fatalf("not a Bundle: %v %.400s", err, body)
	}
	return b.Type, b.Entry
}

// TestReview73bBatchEntryURLWithAURIInItsQuery: a batch entry whose url is
// a conditional update or a search keyed by an identifier — whose system is
// a URI, as every NHS and local identifier system is
// (`Condition?identifier=https://gp.example/Id/problem|P2`,
// `Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919`) — is
// refused 400 "is not a relative URL": subRequest (api/bundle.go) rejects
// any url containing "://" anywhere, query included.
//
// R4 (http.html, batch/transaction): each entry's request.url is "relative
// to the root" and batch entries are processed as the individual
// interactions; "PUT [base]/[type]?[search parameters]" is the conditional
// update, which the CapabilityStatement claims (conditionalUpdate: true,
// rest.interaction batch). README: `batch` is "each entry on its own,
// through the same handlers" — the same PUT sent alone is a 200/201, and in
// a transaction too (TestTransactionConditionalUpdateDerivesFromTheMatchedID).
// SPEC §3 names `identifier=https://fhir.nhs.uk/Id/nhs-number|…` as a search
// every client may use.
//
// Severity: correctness. A feed that sends its updates as a batch of
// conditional updates by its own identifiers (the usual way to upsert
// without knowing carex's ids) has every entry refused, each time it resends;
// nothing is stored (no wrong data) but nothing arrives either.
// Since 9f490a5 (2026-11-24); the parent behaves the same.
func TestReview73bBatchEntryURLWithAURIInItsQuery(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	r := e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"batch","entry":[
	 {"resource":`+r73bCond("", "P2", "R73B-P2")+`,"request":{"method":"PUT","url":"Condition?identifier=`+r73bSys+`|P2"}},
	 {"request":{"method":"GET","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}}]}`)
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	typ, es := r73bEntries(t, r.body)
	if typ != "batch-response" || len(es) != 2 {
		t.Fatalf("batch-response of 2 entries expected: %s", r.body)
	}
	if es[0].Response.Status != "201 Created" {
		t.Errorf("conditional update (no match) in a batch: %q, want 201 Created as the same PUT alone answers: %.300s", es[0].Response.Status, r.body)
	}
	if es[1].Response.Status != "200 OK" || !strings.Contains(string(es[1].Resource), `"searchset"`) {
		t.Errorf("search by NHS number in a batch: %q, want 200 OK and a searchset", es[1].Response.Status)
	}
	// Control: the same conditional update alone is taken.
	if r := e.do("PUT", "/fhir/Condition?identifier="+r73bSys+"|P3", sys, r73bCond("", "P3", "R73B-P3")); r.status != 201 {
		t.Fatalf("control: conditional update alone: %d %s", r.status, r.body)
	}
}

// TestReview73bHistorySinceNothingNewIs404: `GET Condition/x/_history?_since=T`
// of an existing (or deleted) resource of the caller's own with no version
// at or after T answers 404 "Condition/x: resource not found" instead of a
// history Bundle with total 0 (rest.go history: res.Total == 0 with an id
// is taken for "no such resource", after the _since filter).
//
// R4 (http.html, history): "_since: Only include resource versions that
// were created at or after the given instant in time"; the return content
// is "a Bundle with type set to history". An item that exists and has not
// changed has an empty history since T; 404 is "not found" (SPEC §3: "404
// not found or not yours to know about" — this one is the caller's own).
// The README lists `_since` on instance history with no exception.
//
// Severity: correctness. A feed or GP system polling an item's history
// "since my last poll" is told the item does not exist whenever nothing
// changed — the common case — and may drop or re-send it. Parent: the same.
func TestReview73bHistorySinceNothingNewIs404(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/r73b-h", sys, r73bCond("r73b-h", "H1", "R73B-H")); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Condition/r73b-h/_history?_since=2099-01-01T00:00:00Z", sys, "")
	if r.status != 200 || !strings.Contains(r.body, `"type":"history"`) || !strings.Contains(r.body, `"total":0`) {
		t.Errorf("history since a time after the last change: %d %.300s; want 200, an empty history Bundle (R4: only versions at or after _since)", r.status, r.body)
	}
	// Control: the type's history with the same _since is an empty Bundle.
	if r := e.do("GET", "/fhir/Condition/_history?_since=2099-01-01T00:00:00Z", sys, ""); r.status != 200 || !strings.Contains(r.body, `"total":0`) {
		t.Fatalf("control: type history: %d %.300s", r.status, r.body)
	}
}

// TestReview73bDeleteAgainOfOwnDeletedItem: the practice's system deletes
// its own Condition (204), then sends the same DELETE again — alone, and
// as a transaction, as a feed does when the first answer was lost. carex
// answers 404, and the transaction as a whole is refused 404 (nothing in it
// is stored). README (choice): "a DELETE of an item withheld from the
// caller, or of a deleted one, is a 404 in the words used for an id that
// never existed".
//
// R4 (http.html, delete): "Performing this interaction on a resource that
// is already deleted has no effect, and the server should return either a
// 200 OK if the response contains a payload, or a 204 No Content with no
// response payload." The caller here is the item's source organisation,
// which reads it as 410 Gone already, so answering 204 tells it nothing it
// does not know (the withheld and never-existed cases can keep their 404).
//
// Severity: correctness, documented as a choice. Delete is not idempotent
// for its own writer: a transaction re-sent after a lost response (a
// timeout) fails forever on its DELETE entry, and the feed either resends
// it forever or dead-letters the whole bundle with its other, new entries.
// Parent: the same.
func TestReview73bDeleteAgainOfOwnDeletedItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Condition/r73b-d", sys, r73bCond("r73b-d", "D1", "R73B-D")); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/fhir/Condition/r73b-d", sys, ""); r.status != 204 && r.status != 200 {
		t.Fatalf("first delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-d", sys, ""); r.status != 410 {
		t.Fatalf("read after delete: %d (want 410)", r.status)
	}
	if r := e.do("DELETE", "/fhir/Condition/r73b-d", sys, ""); r.status != 204 && r.status != 200 {
		t.Errorf("DELETE of the caller's own already-deleted item: %d %.200s; R4: no effect, 200 or 204", r.status, r.body)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"request":{"method":"DELETE","url":"Condition/r73b-d"}},
	 {"resource":` + r73bCond("", "D2", "R73B-D2") + `,"request":{"method":"POST","url":"Condition"}}]}`
	r := e.do("POST", "/fhir", sys, tx)
	if r.status != 200 {
		t.Errorf("transaction re-sending the delete: %d %.200s; want 200 transaction-response (the delete has no effect)", r.status, r.body)
	}
}

// TestReview73bSoundCreateUpdateConditional: create (201, Location with
// _history/1, ETag W/"1", Last-Modified, a POSTed id ignored), Prefer
// return=minimal and OperationOutcome, If-None-Exist 0/1/2 matches
// (201/200/412), PUT create 201 and update 200, id mismatch and missing id
// 400, If-Match right/stale/malformed (200/412/400), meta.versionId in a
// body ignored, conditional update 0/1/2 matches (201/200/412) and one match
// with a different body id (400). All as R4 has them.
func TestReview73bSoundCreateUpdateConditional(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	r := e.do("POST", "/fhir/Condition", sys, r73bCond("client-id", "C1", "R73B-C1"))
	if r.status != 201 || r.header.Get("ETag") != `W/"1"` || r.header.Get("Last-Modified") == "" ||
		!strings.HasSuffix(r.header.Get("Location"), "/_history/1") || strings.Contains(r.header.Get("Location"), "client-id") {
		t.Fatalf("create: %d %v", r.status, r.header)
	}
	if r := e.do("POST", "/fhir/Condition", sys, r73bCond("", "C2", "R73B-C2"), "Prefer", "return=minimal"); r.status != 201 || r.body != "" {
		t.Errorf("return=minimal: %d %q", r.status, r.body)
	}
	if r := e.do("POST", "/fhir/Condition", sys, r73bCond("", "C3", "R73B-C3"), "Prefer", "return=OperationOutcome"); r.status != 201 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("return=OperationOutcome: %d %q", r.status, r.body)
	}
	ine := func(v string) int {
		return e.do("POST", "/fhir/Condition", sys, r73bCond("", v, "R73B-"+v), "If-None-Exist", "identifier="+r73bSys+"|"+v).status
	}
	if a, b := ine("C4"), ine("C4"); a != 201 || b != 200 {
		t.Errorf("If-None-Exist 0 then 1 match: %d, %d", a, b)
	}
	e.do("POST", "/fhir/Condition", sys, r73bCond("", "C4", "R73B-C4b"))
	if s := ine("C4"); s != 412 {
		t.Errorf("If-None-Exist 2 matches: %d", s)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-u", sys, r73bCond("r73b-u", "U1", "R73B-U")); r.status != 201 || !strings.HasSuffix(r.header.Get("Location"), "/r73b-u/_history/1") {
		t.Errorf("PUT create: %d %q", r.status, r.header.Get("Location"))
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-x", sys, r73bCond("r73b-u", "U1", "R73B-U")); r.status != 400 {
		t.Errorf("PUT id mismatch: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-u", sys, r73bCond("", "U1", "R73B-U")); r.status != 400 {
		t.Errorf("PUT without id: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-u", sys, r73bCond("r73b-u", "U1", "R73B-U2"), "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
		t.Errorf("If-Match right: %d %q", r.status, r.header.Get("ETag"))
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-u", sys, r73bCond("r73b-u", "U1", "R73B-U3"), "If-Match", `W/"1"`); r.status != 412 {
		t.Errorf("If-Match stale: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-u", sys, r73bCond("r73b-u", "U1", "R73B-U3"), "If-Match", `v2`); r.status != 400 {
		t.Errorf("If-Match malformed: %d", r.status)
	}
	body := strings.Replace(r73bCond("r73b-u", "U1", "R73B-U4"), `"identifier"`, `"meta":{"versionId":"99"},"identifier"`, 1)
	if r := e.do("PUT", "/fhir/Condition/r73b-u", sys, body); r.status != 200 || r.header.Get("ETag") != `W/"3"` {
		t.Errorf("meta.versionId in the body not ignored: %d %q", r.status, r.header.Get("ETag"))
	}
	cu := func(v, id string) int {
		return e.do("PUT", "/fhir/Condition?identifier="+r73bSys+"|"+v, sys, r73bCond(id, v, "R73B-"+v)).status
	}
	if a, b := cu("K1", ""), cu("K1", ""); a != 201 || b != 200 {
		t.Errorf("conditional update 0 then 1 match: %d, %d", a, b)
	}
	if s := cu("K1", "other-id"); s != 400 {
		t.Errorf("conditional update, one match, other body id: %d", s)
	}
	if s := cu("C4", ""); s != 412 {
		t.Errorf("conditional update, 2 matches: %d", s)
	}
}

// TestReview73bSoundDeleteHistoryReadAndFormats: delete 204, read 410,
// history with the DELETE entry (no resource), vread of the deletion
// version 410 and of the one before 200, numbering continued by a PUT after
// it, history newest first with _count paging; GP reads the practice's item
// with ETag and Last-Modified; _summary=data/_elements tagged SUBSETTED;
// Accept and _format xml 406, Content-Type xml 415, with charset and
// application/json taken; PATCH 405 and not claimed; If-None-Match ignored
// and conditionalRead not claimed (so not a false claim).
func TestReview73bSoundDeleteHistoryReadAndFormats(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	c := func(text string) string { return r73bCond("r73b-s", "S1", text) }
	e.do("PUT", "/fhir/Condition/r73b-s", sys, c("A"))
	e.do("PUT", "/fhir/Condition/r73b-s", sys, c("B"))
	if r := e.do("DELETE", "/fhir/Condition/r73b-s", sys, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-s", gp, ""); r.status != 410 {
		t.Errorf("read after delete: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-s/_history/3", sys, ""); r.status != 410 {
		t.Errorf("vread of the deletion: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-s/_history/2", sys, ""); r.status != 200 || !strings.Contains(r.body, `"B"`) {
		t.Errorf("vread v2: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-s", sys, c("C"), "Content-Type", "application/fhir+json; charset=utf-8"); r.header.Get("ETag") != `W/"4"` {
		t.Errorf("PUT after delete: %d %q, want version 4", r.status, r.header.Get("ETag"))
	}
	r := e.do("GET", "/fhir/Condition/r73b-s/_history?_count=2", sys, "")
	typ, es := r73bEntries(t, r.body)
	if typ != "history" || len(es) != 2 || es[0].Response.Etag != `W/"4"` || es[1].Response.Etag != `W/"3"` || es[1].Resource != nil ||
		!strings.Contains(r.body, `"method":"DELETE"`) || !strings.Contains(r.body, `"relation":"next"`) {
		t.Errorf("history page: %.600s", r.body)
	}
	g := e.do("GET", "/fhir/Condition/r73b-s", gp, "", "If-None-Match", `W/"4"`)
	if g.status != 200 || g.header.Get("ETag") != `W/"4"` || g.header.Get("Last-Modified") == "" {
		t.Errorf("GP read: %d %v", g.status, g.header)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-s?_elements=code", gp, ""); !strings.Contains(r.body, "SUBSETTED") {
		t.Errorf("_elements: %s", r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-s", gp, "", "Accept", "application/fhir+xml"); r.status != 406 {
		t.Errorf("Accept xml: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-s?_format=xml", gp, ""); r.status != 406 {
		t.Errorf("_format=xml: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-s", sys, c("D"), "Content-Type", "application/fhir+xml"); r.status != 415 {
		t.Errorf("Content-Type xml: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Condition/r73b-s", sys, c("D"), "Content-Type", "application/json"); r.status != 200 {
		t.Errorf("Content-Type application/json: %d", r.status)
	}
	if r := e.do("PATCH", "/fhir/Condition/r73b-s", sys, `[]`, "Content-Type", "application/json-patch+json"); r.status != 405 {
		t.Errorf("PATCH: %d", r.status)
	}
	m := e.do("GET", "/fhir/metadata", "", "")
	if strings.Contains(m.body, `"patch"`) || strings.Contains(m.body, "patchFormat") || strings.Contains(m.body, "conditionalRead") {
		t.Errorf("CapabilityStatement claims patch or conditional read")
	}
}

// TestReview73bSoundTransaction: a transaction of GET, POST, PUT, DELETE
// answers transaction-response entries in request order, each with its
// status (and location/etag for writes), its GET run after the PUT (R4
// order DELETE, POST, PUT, GET); a transaction with one invalid entry (an
// NHS number failing modulus 11) is refused 422 and stores nothing; a batch
// answers batch-response with each entry's own status.
func TestReview73bSoundTransaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	e.do("PUT", "/fhir/Condition/r73b-a", sys, r73bCond("r73b-a", "A1", "R73B-A1"))
	e.do("PUT", "/fhir/Condition/r73b-del", sys, r73bCond("r73b-del", "A2", "R73B-DEL"))
	r := e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"request":{"method":"GET","url":"Condition/r73b-a"}},
	 {"fullUrl":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000001","resource":`+r73bCond("", "A3", "R73B-A3")+`,"request":{"method":"POST","url":"Condition"}},
	 {"resource":`+r73bCond("r73b-a", "A1", "R73B-A1-v2")+`,"request":{"method":"PUT","url":"Condition/r73b-a"}},
	 {"request":{"method":"DELETE","url":"Condition/r73b-del"}}]}`)
	typ, es := r73bEntries(t, r.body)
	if r.status != 200 || typ != "transaction-response" || len(es) != 4 {
		t.Fatalf("transaction: %d %.400s", r.status, r.body)
	}
	if es[0].Response.Status != "200 OK" || !strings.Contains(string(es[0].Resource), "R73B-A1-v2") {
		t.Errorf("GET entry did not run after the PUT: %s", es[0].Resource)
	}
	if es[1].Response.Status != "201 Created" || !strings.HasSuffix(es[1].Response.Location, "/_history/1") || es[1].Response.Etag != `W/"1"` {
		t.Errorf("POST entry: %+v", es[1].Response)
	}
	if es[2].Response.Status != "200 OK" || es[2].Response.Etag != `W/"2"` || es[3].Response.Status != "204 No Content" {
		t.Errorf("PUT/DELETE entries: %+v %+v", es[2].Response, es[3].Response)
	}
	bad := e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":`+r73bCond("r73b-b", "B1", "R73B-B1")+`,"request":{"method":"PUT","url":"Condition/r73b-b"}},
	 {"resource":{"resourceType":"Patient","id":"r73b-bad","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]},"request":{"method":"PUT","url":"Patient/r73b-bad"}}]}`)
	if bad.status != 422 || !strings.Contains(bad.body, "OperationOutcome") {
		t.Errorf("invalid transaction: %d", bad.status)
	}
	if r := e.do("GET", "/fhir/Condition/r73b-b", sys, ""); r.status != 404 {
		t.Errorf("refused transaction stored its valid entry: %d", r.status)
	}
	br := e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"batch","entry":[
	 {"resource":`+r73bCond("", "B2", "R73B-B2")+`,"request":{"method":"POST","url":"Condition"}},
	 {"resource":{"resourceType":"Patient","id":"r73b-bad","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]},"request":{"method":"PUT","url":"Patient/r73b-bad"}}]}`)
	typ, es = r73bEntries(t, br.body)
	if typ != "batch-response" || len(es) != 2 || es[0].Response.Status != "201 Created" || es[1].Response.Status != "422 Unprocessable Entity" {
		t.Errorf("batch: %.500s", br.body)
	}
}
