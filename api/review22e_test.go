package api_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// Review 22e: bad input and faults (SPEC §7).

// review22eDenyDecember2016 is Jane's "not my records from December 2016"
// (a deny with a dataPeriod), as review 13a wrote its June 2015 one.
func review22eDenyDecember2016(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Consent/no-dec-2016",
		janeConsent("no-dec-2016", "2026-01-10", "OPTIN", `,"provision":{"type":"deny","dataPeriod":{"start":"2016-12-01","end":"2016-12-31"}}`)})
}

// TestReview22eLeapSecondOnsetEscapesDataPeriodDeny: the validator takes
// a dateTime with a leap second (R4's regex allows :60, and the README
// says "seconds 60 for a leap second"), and one with more than nine
// fraction digits (R4: "(\.[0-9]+)?"); the search index (search.ParseDate)
// refuses both, so the item's first clinical date element is not indexed
// and its clinical date is taken from a later one (recordedDate). Under
// Jane's "not my records from December 2016", a Condition whose onset is
// the leap second at the end of 31 December 2016 (a real one), or a time
// on 10 December 2016 given to ten fraction digits, went to the hospital
// clinician, being judged by its recordedDate of 2024.
func TestReview22eLeapSecondOnsetEscapesDataPeriodDeny(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/leap", `{"resourceType":"Condition","id":"leap","subject":{"reference":"Patient/jane"},"code":{"text":"LEAP-ONSET"},"onsetDateTime":"2016-12-31T23:59:60Z","recordedDate":"2024-01-01"}`},
		[2]string{"/fhir/Condition/frac", `{"resourceType":"Condition","id":"frac","subject":{"reference":"Patient/jane"},"code":{"text":"FRAC-ONSET"},"onsetDateTime":"2016-12-10T10:00:00.1234567891Z","recordedDate":"2024-01-01"}`},
		[2]string{"/fhir/Condition/plain", `{"resourceType":"Condition","id":"plain","subject":{"reference":"Patient/jane"},"code":{"text":"PLAIN-ONSET"},"onsetDateTime":"2016-12-31T23:59:59Z","recordedDate":"2024-01-01"}`},
	)
	review22eDenyDecember2016(t, e)
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, id := range []string{"plain", "leap", "frac"} {
		if r := e.do("GET", "/fhir/Condition/"+id, hosp, ""); r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/Condition/%s (onset in December 2016, denied): %d, want 404\n%.300s", id, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Condition?patient=jane", hosp, "")
	for _, s := range []string{"PLAIN-ONSET", "LEAP-ONSET", "FRAC-ONSET"} {
		if strings.Contains(r.body, s) {
			t.Errorf("hospital clinician's search released %s (onset December 2016, denied)", s)
		}
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	for _, s := range []string{"PLAIN-ONSET", "LEAP-ONSET", "FRAC-ONSET"} {
		if strings.Contains(r.body, s) {
			t.Errorf("hospital clinician's $everything released %s (onset December 2016, denied)", s)
		}
	}
}

// TestReview22eSearchByDateFindsALeapSecondItem: the same items are not
// found by their onset date by their own source: search.ParseDate refuses
// second 60 and fraction digits past nine, which the validator stored.
func TestReview22eSearchByDateFindsALeapSecondItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/leap", `{"resourceType":"Condition","id":"leap","subject":{"reference":"Patient/jane"},"code":{"text":"LEAP-ONSET"},"onsetDateTime":"2015-06-30T23:59:60Z"}`},
		[2]string{"/fhir/Condition/frac", `{"resourceType":"Condition","id":"frac","subject":{"reference":"Patient/jane"},"code":{"text":"FRAC-ONSET"},"onsetDateTime":"2015-06-10T10:00:00.1234567891Z"}`},
	)
	r := e.do("GET", "/fhir/Condition?patient=jane&onset-date=2015", gp, "")
	for _, s := range []string{"LEAP-ONSET", "FRAC-ONSET"} {
		if !strings.Contains(r.body, s) {
			t.Errorf("GET /fhir/Condition?patient=jane&onset-date=2015 by its source: %d, lacks %s\n%.400s", r.status, s, r.body)
		}
	}
}

// TestReview22eEmptyConditionalUpdateIsRefused: a conditional update's
// condition whose only parameter has no value (a feed that filled in an
// empty NHS number: identifier=) or is not a search parameter at all with
// no value (bogus=) is parsed as no criteria at all, so it matches every
// item of the type the caller may see; with one, it overwrites it. The
// community trust's system, sending a new care plan with an empty
// condition, replaced the wound care plan it had.
func TestReview22eEmptyConditionalUpdateIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trust := e.token("system", "nhs", "RCX")
	for _, q := range []string{"identifier=", "bogus="} {
		body := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"NEW-PLAN-` + strings.TrimSuffix(q, "=") + `"}`
		r := e.do("PUT", "/fhir/CarePlan?"+q, trust, body)
		if r.status != 400 || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("PUT /fhir/CarePlan?%s (no criteria): %d, want 400 with an OperationOutcome\n%.400s", q, r.status, r.body)
		}
		if g := e.do("GET", "/fhir/CarePlan/wound", trust, ""); !strings.Contains(g.body, "TRUST-WOUND-CARE") {
			t.Errorf("after PUT /fhir/CarePlan?%s the trust's wound care plan was overwritten: %d\n%.400s", q, g.status, g.body)
		}
	}
}

// TestReview22eEmptyIfNoneExistIsRefused: If-None-Exist with an empty
// value matches whatever the caller sees, so a create is answered 200
// with another item and nothing is stored.
func TestReview22eEmptyIfNoneExistIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trust := e.token("system", "nhs", "RCX")
	body := `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"FALLS-PLAN"}`
	r := e.do("POST", "/fhir/CarePlan", trust, body, "If-None-Exist", "identifier=")
	if r.status != 400 {
		t.Errorf("POST /fhir/CarePlan with If-None-Exist: identifier= : %d, want 400\n%.400s", r.status, r.body)
	}
	if s := e.do("GET", "/fhir/CarePlan?patient=jane", trust, ""); r.status < 300 && !strings.Contains(s.body, "FALLS-PLAN") {
		t.Errorf("the create was acknowledged (%d) but FALLS-PLAN is not stored", r.status)
	}
}

// TestReview22eSoundTransactionPutWithInvalidIDIsRefused: a transaction's
// PUT takes its id from request.url when the resource has none; an id
// with a space, a slash, 65+ characters or a non-ASCII letter is refused.
func TestReview22eSoundTransactionPutWithInvalidIDIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for _, id := range []string{"bad id", "x/_history/1", strings.Repeat("a", 65), "ab\u00e9"} {
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"TX-ID"}},"request":{"method":"PUT","url":"Condition/` + id + `"}}]}`
		r := e.do("POST", "/fhir", gp, tx)
		if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("transaction PUT Condition/%q (not a FHIR id): %d, want 400/422 with an OperationOutcome\n%.400s", id, r.status, r.body)
		}
	}
}

// TestReview22eTransactionDuplicateFullUrlIsRefused: two entries of one
// transaction with the same fullUrl (R4 bdl-7: fullUrl must be unique) are
// accepted, and a reference to it resolves to whichever came last: an
// observation meant for the first new Patient is filed under the second.
func TestReview22eTransactionDuplicateFullUrlIsRefused(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
{"fullUrl":"urn:uuid:0b8f3c1e-5d4e-4f7a-9c2b-1a2b3c4d5e6f","resource":{"resourceType":"Patient","name":[{"family":"First"}]},"request":{"method":"POST","url":"Patient"}},
{"fullUrl":"urn:uuid:0b8f3c1e-5d4e-4f7a-9c2b-1a2b3c4d5e6f","resource":{"resourceType":"Patient","name":[{"family":"Second"}]},"request":{"method":"POST","url":"Patient"}},
{"resource":{"resourceType":"Observation","status":"final","code":{"text":"DUP-OBS"},"subject":{"reference":"urn:uuid:0b8f3c1e-5d4e-4f7a-9c2b-1a2b3c4d5e6f"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := e.do("POST", "/fhir", gp, tx)
	if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("transaction with two entries of one fullUrl: %d, want 400/422 with an OperationOutcome", r.status)
		var out struct {
			Entry []struct {
				Resource struct {
					ResourceType string
					ID           string
					Name         []struct{ Family string }
					Subject      struct{ Reference string }
				}
			}
		}
		json.Unmarshal([]byte(r.body), &out)
		for _, en := range out.Entry {
			res := en.Resource
			if res.ResourceType == "Patient" {
				t.Logf("stored Patient/%s family %s", res.ID, res.Name[0].Family)
			} else {
				t.Logf("stored %s/%s subject %s", res.ResourceType, res.ID, res.Subject.Reference)
			}
		}
	}
}

// TestReview22eHugeOffsetHasNoNextLink: _offset near the largest int
// overflows offset+count in the paging links: the Bundle offers a "next"
// page with a negative _offset, which the server itself refuses.
func TestReview22eHugeOffsetHasNoNextLink(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/Condition?patient=jane&_count=10&_offset=9223372036854775807", gp, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if strings.Contains(r.body, `"relation":"next"`) {
		t.Errorf("a page past the end offers a next link: %.600s", r.body)
	}
}

// TestReview22eAttachedJSONDuplicateKeyHidesALabelledCode: FHIR JSON in a
// letter's attachment is read for labels with encoding/json, which keeps
// the last of two members of one name; carex's own parser (fhir.Parse)
// refuses duplicate keys in a resource and, reading one, keeps the first.
// A letter carrying a Condition whose "code" is given twice — first the
// HIV diagnosis (SNOMED CT 86406008), then a harmless text — goes
// unlabelled to the hospital clinician: what the letter says depends on
// which member its reader keeps, and carex labels by the one it does not
// keep anywhere else.
func TestReview22eAttachedJSONDuplicateKeyHidesALabelledCode(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for id, doc := range map[string]string{
		"single": `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ATT-HIV"}}`,
		"dup":    `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"ATT-HIV"},"code":{"text":"follow-up"}}`,
		"dupin":  `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008","code":"1234"}],"text":"ATT-HIV"}}`,
	} {
		enc := base64.StdEncoding.EncodeToString([]byte(doc))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},
			"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + enc + `"}}]}`})
		if r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: the hospital clinician reads a letter carrying Jane's HIV diagnosis (a duplicate key in its attached JSON): %d %.200s", id, r.status, r.body)
		}
	}
}

// TestReview22eSoundWriteToAWithheldIDTellsNothing: a write by another
// organisation's system to the id of the practice's HIV diagnosis (withheld
// from it) is refused (409 "the id is taken", as the README has it, for a
// PUT; 404 for a DELETE, as for an id never stored) without quoting its
// content or its version, with or without If-Match, and changes nothing.
func TestReview22eSoundWriteToAWithheldIDTellsNothing(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trust := e.token("system", "nhs", "RCX")
	body := `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`
	for _, c := range []struct{ method, ifMatch string }{{"PUT", ""}, {"PUT", `W/"1"`}, {"PUT", `W/"7"`}, {"DELETE", ""}, {"DELETE", `W/"1"`}, {"DELETE", `W/"7"`}} {
		b := ""
		if c.method == "PUT" {
			b = body
		}
		var hdr []string
		if c.ifMatch != "" {
			hdr = []string{"If-Match", c.ifMatch}
		}
		r := e.do(c.method, "/fhir/Condition/hiv", trust, b, hdr...)
		want := 404
		if c.method == "PUT" {
			want = 409
		}
		if r.status != want || strings.Contains(r.body, "HIV") || strings.Contains(r.body, "86406008") || strings.Contains(r.body, "version") {
			t.Errorf("%s If-Match %q on the withheld Condition/hiv: %d %.300s", c.method, c.ifMatch, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/hiv", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "GP-HIV-UNLABELLED") || !strings.Contains(r.body, `"versionId":"1"`) {
		t.Errorf("the practice's HIV diagnosis changed: %.300s", r.body)
	}
}

// TestReview22eEmptyConditionInATransaction: the same empty condition in a
// transaction: a conditional update entry (PUT CarePlan?identifier=)
// replaces the trust's only care plan, an ifNoneExist of identifier= drops
// the create, and a conditional reference Patient?identifier= resolves to
// the one Patient the trust has recorded: an observation about someone
// whose NHS number the feed left empty is filed under another person.
func TestReview22eEmptyConditionInATransaction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trust := e.token("system", "nhs", "RCX")
	e.putAll(t, trust, [2]string{"/fhir/Patient/rcx-only", `{"resourceType":"Patient","id":"rcx-only","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Only"}]}`})
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
{"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"TX-PLAN-PUT"},"request":{"method":"PUT","url":"CarePlan?identifier="}}]}`
	r := e.do("POST", "/fhir", trust, tx)
	if r.status != 400 {
		t.Errorf("transaction PUT CarePlan?identifier= : %d, want 400\n%.400s", r.status, r.body)
	}
	if g := e.do("GET", "/fhir/CarePlan/wound", trust, ""); !strings.Contains(g.body, "TRUST-WOUND-CARE") {
		t.Errorf("the trust's wound care plan was overwritten by the transaction: %.300s", g.body)
	}
	tx = `{"resourceType":"Bundle","type":"transaction","entry":[
{"resource":{"resourceType":"Observation","status":"final","code":{"text":"TX-OBS-NO-NUMBER"},"subject":{"reference":"Patient?identifier="}},"request":{"method":"POST","url":"Observation"}}]}`
	r = e.do("POST", "/fhir", trust, tx)
	if r.status != 400 {
		t.Errorf("transaction with a reference Patient?identifier= : %d, want 400\n%.600s", r.status, r.body)
	}
}
