package api_test

// Review 80a: re-read of e11b622 (reviews 79a-d). Parent for differentials:
// c1f97d0. Uses r79aConsent / r79aStoreLegacyCode / r79aParse from
// review79a_test.go (copied beside this file for the parent run).

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

func r80aTotal(t *testing.T, r resp) int {
	t.Helper()
	var b struct {
		Total *int `json:"total"`
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || b.Total == nil {
		t.Fatalf("not a searchset with a total: %d %.300s", r.status, r.body)
	}
	return *b.Total
}

// TestReview80aIGNumberWithSpaces
//
// Input: after the GP reads Jane's record, the IG officer asks
// AuditEvent?patient=943 476 5919 (and $who-accessed, $break-glass) — Jane's
// NHS number as printed on her letters, with spaces. patientOfNumber
// returns at !fhir.ValidID (spaces are no id character), so the value is
// kept as a patient id nobody has: 200, total 0, an empty report, which
// reads "nobody accessed her record" — the defect review 79c fixed for
// 9434765919 written without spaces. SPEC 5: "NHS numbers are accepted
// with or without spaces (943 476 5919)"; README: patient= "is a Patient
// id, or an NHS number no Patient has for its id, read as the person
// carrying it". Should be: the same answer as 9434765919 (or a 400 that
// says how to write it).
// Severity: a wrong IG answer from the access log (a subject-access or
// investigation report missing every access). Parent c1f97d0: empty for
// both forms (so a gap of the fix, not a regression).
func TestReview80aIGNumberWithSpaces(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); r.status != 200 {
		t.Fatalf("premise: GP $everything: %d", r.status)
	}
	plain := e.do("GET", "/fhir/AuditEvent?patient=9434765919", ig, "")
	n := r80aTotal(t, plain)
	t.Logf("patient=9434765919: total %d", n)
	if n == 0 {
		t.Fatalf("premise: the number without spaces finds Jane's entries (79c)")
	}
	sp := url.QueryEscape("943 476 5919")
	r := e.do("GET", "/fhir/AuditEvent?patient="+sp, ig, "")
	if r.status == 400 {
		t.Logf("spaced number refused (sound): %.200s", r.body)
	} else if got := r80aTotal(t, r); got == 0 {
		t.Errorf("AuditEvent?patient=943 476 5919 (Jane's number with spaces): %d, total 0 — an empty answer, where 9434765919 gives %d", r.status, n)
	}
	w := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient="+sp, ig, "")
	if w.status == 200 && !strings.Contains(w.body, "jane") {
		t.Errorf("$who-accessed?patient=943 476 5919: 200 and Jane's record not named (empty report): %.300s", w.body)
	}
}

// TestReview80aSoundIGReferencesNotForOthers: agent=Organization/RCX and
// patient=NUMBER by a nurse and by a GP are 403 (as any AuditEvent search
// by a non-IG role); by the IG officer agent=Organization/RCX lists the
// RCX nurse's entries and not the GP's; agent=Patient/jane is a 400.
// (README: the IG officer reads the whole log — "IG officers (role
// ig-officer; everyone else gets 403)"; no organisation scope is promised.)
func TestReview80aSoundIGReferencesNotForOthers(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "dr-80a" })
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "nurse-80a" })
	ig := e.token("ig-officer", "nhs", "A81001")
	e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	for _, tok := range []string{gp, nurse} {
		for _, q := range []string{"agent=Organization/RCX", "agent=Practitioner/dr-80a", "patient=9434765919", "agent=Patient/jane"} {
			if r := e.do("GET", "/fhir/AuditEvent?"+q, tok, ""); r.status != 403 {
				t.Errorf("non-IG AuditEvent?%s: %d, want 403", q, r.status)
			}
			if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=9434765919", tok, ""); r.status != 403 {
				t.Errorf("non-IG $who-accessed by number: %d", r.status)
			}
		}
	}
	r := e.do("GET", "/fhir/AuditEvent?agent=Organization/RCX", ig, "")
	if r.status != 200 || !strings.Contains(r.body, "nurse-80a") || strings.Contains(r.body, "dr-80a") {
		t.Errorf("IG agent=Organization/RCX: %d nurse %v gp %v", r.status, strings.Contains(r.body, "nurse-80a"), strings.Contains(r.body, "dr-80a"))
	}
	if r := e.do("GET", "/fhir/AuditEvent?agent=Patient/jane", ig, ""); r.status != 400 {
		t.Errorf("IG agent=Patient/jane: %d, want 400", r.status)
	}
}

// TestReview80aStoredPermitWildcardLabelled
//
// Input: OPTOUT, "nothing except F* to the hospital": a permit of ICD-10
// F* (no securityLabel) as a release before 097cb0d stored it. e11b622's
// icd10Wanted now reads it as the prefix F. Checked: the unlabelled F50.0
// goes to the hospital (what the person said), while PSY-labelled F32.1
// and GRA-labelled F64.0 do not (README: "a permit releases labelled data
// only where it names the label"; SPEC 5.4). A stored permit "*" releases
// nothing. Fails only if a labelled item is released.
// Parent c1f97d0: the permit matched nothing (over-withholding).
func TestReview80aStoredPermitWildcardLabelled(t *testing.T) {
	for _, code := range []string{"F*", "*"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			for id, c := range map[string]string{"anorexia": "F50.0", "dep": "F32.1", "gender": "F64.0"} {
				if r := e.do("PUT", "/fhir/Condition/"+id, gpSys, `{"resourceType":"Condition","id":"`+id+`","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"`+c+`"}],"text":"R80A-`+id+`"}}`); r.status != 201 {
					t.Fatalf("seed %s: %d %s", id, r.status, r.body)
				}
			}
			c := r79aConsent("legacy", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[`+r79aHospital+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z99.8"}]}]}]}`)
			if r := e.do("PUT", "/fhir/Consent/legacy", gpSys, c); r.status != 201 {
				t.Fatalf("consent: %d %s", r.status, r.body)
			}
			r79aStoreLegacyCode(t, e, "legacy", "Z99.8", code)
			hosp := e.token("hospital-clinician", "nhs", "RHX")
			got := map[string]int{}
			for _, id := range []string{"anorexia", "dep", "gender"} {
				got[id] = e.do("GET", "/fhir/Condition/"+id, hosp, "").status
			}
			t.Logf("stored permit %q to the hospital: F50.0 %d, F32.1 (PSY) %d, F64.0 (GRA) %d", code, got["anorexia"], got["dep"], got["gender"])
			if got["dep"] == 200 || got["gender"] == 200 {
				t.Errorf("a stored permit %q with no securityLabel releases labelled data: %v", code, got)
			}
			if code == "*" && got["anorexia"] == 200 {
				t.Errorf("a stored permit \"*\" releases F50.0")
			}
		})
	}
}

// TestReview80aICD10DenyTwoCharacters
//
// Input: "not my eating disorders to the council", a deny of ICD-10 "F5"
// (no wildcard: the block F50-F59 as a person abbreviates it). Not a
// category (icd10Category wants three characters), not a wildcard (so
// not refused by 097cb0d's check, nor read as a prefix by e11b622's
// icd10Wanted), equal to no item code: stored 201, and the GP's F50.0
// goes to the social worker. The case review 78c/79a closed for F50*,
// F50.- and F50. (README: written "any of those ways was stored and
// withheld nothing" — now refused, 422). Should be: refused, 422 (not an
// ICD-10 code), as a wildcard is.
// Severity: leak of an item the person believes withheld (a diagnosis).
// Parent c1f97d0: the same (gap, not regression).
func TestReview80aICD10DenyTwoCharacters(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("PUT", "/fhir/Condition/anorexia", gpSys, `{"resourceType":"Condition","id":"anorexia","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.0"}],"text":"R80A-ANOREXIA"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	// "F50." (trailing dot) vs an item coded "F50" exactly: withheld (sound).
	if r := e.do("PUT", "/fhir/Condition/f50", gpSys, `{"resourceType":"Condition","id":"f50","subject":{"reference":"Patient/jane"},"onsetDateTime":"2024-02-01","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50"}],"text":"R80A-F50"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/Consent/dot", gpSys, r79aConsent("dot", "OPTIN", `{"type":"deny","actor":[`+r79aCouncil+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50."}]}]}`)); r.status != 201 {
		t.Fatalf("deny F50.: %d %s", r.status, r.body)
	}
	if g := e.do("GET", "/fhir/Condition/f50", sw, ""); g.status == 200 {
		t.Errorf("deny F50. releases an item coded F50 to the social worker")
	}
	if r := e.do("DELETE", "/fhir/Consent/dot", gpSys, ""); r.status >= 300 {
		t.Fatalf("delete consent: %d", r.status)
	}
	r := e.do("PUT", "/fhir/Consent/two", gpSys, r79aConsent("two", "OPTIN", `{"type":"deny","actor":[`+r79aCouncil+`],"code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F5"}]}]}`))
	t.Logf("deny ICD-10 F5: %d %.200s", r.status, r.body)
	if r.status != 201 {
		return // refused: the person is told (sound)
	}
	if g := e.do("GET", "/fhir/Condition/anorexia", sw, ""); g.status == 200 {
		t.Errorf("a deny of ICD-10 \"F5\" to the council was stored (201) and withholds nothing: F50.0 goes to the social worker")
	}
}

// TestReview80aBatchAttachmentURLSibling
//
// Input: a batch (not a transaction) with a letter's Binary POSTed as
// urn:uuid:…01 and a DocumentReference whose content.attachment.url names
// that urn. In a transaction carex rewrites it to Binary/id (README
// POST /fhir: "an entry's fullUrl is replaced by its Type/id in
// attachment urls and uri values too ... before, the urn was kept, naming
// nothing"). c1f97d0's siblingNamed refused it (any string equal to a
// fullUrl: "send a transaction"); e11b622 counts only a "reference", so
// the DocumentReference is stored 201 with url urn:uuid:…01 — a letter
// whose content names nothing, the very thing README says carex stopped
// storing. Should be: refused as a dependency between entries (400), as
// before, for a uri/url value naming a urn: or POSTed entry's fullUrl.
// Severity: a lost link (the letter's content unreachable from it; data
// integrity), below a leak. Parent c1f97d0: refused (regression).
func TestReview80aBatchAttachmentURLSibling(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	const bin = "urn:uuid:7d0f3a60-1c2b-4a9e-8f31-80a000000001"
	b := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"fullUrl":"` + bin + `","resource":{"resourceType":"Binary","contentType":"text/plain","data":"UjgwQS1MRVRURVI="},"request":{"method":"POST","url":"Binary"}},
	 {"fullUrl":"urn:uuid:7d0f3a60-1c2b-4a9e-8f31-80a000000002","resource":{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R80A-LETTER"},
	   "content":[{"attachment":{"contentType":"text/plain","url":"` + bin + `"}}]},"request":{"method":"POST","url":"DocumentReference"}}]}`
	r := e.do("POST", "/fhir", gpSys, b)
	out := r79aParse(t, r.body)
	if len(out.Entry) != 2 {
		t.Fatalf("batch: %d %.400s", r.status, r.body)
	}
	t.Logf("entry 0 (Binary): %s %s; entry 1 (DocumentReference): %s %s %.200s", out.Entry[0].Response.Status, out.Entry[0].Response.Location, out.Entry[1].Response.Status, out.Entry[1].Response.Location, out.Entry[1].Response.Outcome)
	if strings.HasPrefix(out.Entry[1].Response.Status, "201") {
		loc := out.Entry[1].Response.Location
		if i := strings.Index(loc, "/fhir/"); i >= 0 {
			loc = loc[i+len("/fhir/"):]
		}
		if i := strings.Index(loc, "/_history"); i >= 0 {
			loc = loc[:i]
		}
		g := e.do("GET", "/fhir/"+loc, gpSys, "")
		t.Logf("stored DocumentReference: %.400s", g.body)
		if strings.Contains(g.body, bin) {
			t.Errorf("a batch DocumentReference whose attachment.url names a sibling's urn:uuid was stored (201) with the urn, naming nothing (a transaction rewrites it; the parent refused it)")
		}
	}
}

// TestReview80aBatchRelativeRefToPostedSibling
//
// Input: a hospital feed's batch with RESTful fullUrls on its own server:
// entry 0 POSTs ITS Patient (fullUrl https://feed.example/fhir/Patient/bob,
// Ann, a new person with no NHS number), entry 1 POSTs a Condition (fullUrl
// https://feed.example/fhir/Condition/c1) whose subject is "Patient/bob" —
// by FHIR's rules the sibling (README POST /fhir: "a relative reference
// (Patient/jane) in an entry whose fullUrl is RESTful names the entry
// whose fullUrl is that base and reference ... reviews 47c, 48b: a feed's
// Observation naming its own Patient/jane, created under a new id, was
// filed under carex's Jane, another person"). In a batch siblingNamed
// looks for the fullUrl's exact string only, so the Condition is stored
// as written and filed under carex's Patient/bob — a different person —
// and released to Bob's GP. Should be: refused 400 ("send a
// transaction"), as a urn: reference to a sibling is, or resolved.
// Severity: leak (another person's diagnosis in Bob's record).
// Parent c1f97d0: the same (gap).
func TestReview80aBatchRelativeRefToPostedSibling(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/bob", gpSys, `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Bobson","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`); r.status != 201 {
		t.Fatalf("bob: %d %s", r.status, r.body)
	}
	feed := e.token("system", "nhs", "RHX")
	b := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"fullUrl":"https://feed.example/fhir/Patient/bob","resource":{"resourceType":"Patient","name":[{"family":"Otherperson","given":["Ann"]}]},"request":{"method":"POST","url":"Patient"}},
	 {"fullUrl":"https://feed.example/fhir/Condition/c1","resource":{"resourceType":"Condition","subject":{"reference":"Patient/bob"},"code":{"text":"R80A-ANNS-DIAGNOSIS"}},"request":{"method":"POST","url":"Condition"}}]}`
	r := e.do("POST", "/fhir", feed, b)
	out := r79aParse(t, r.body)
	if len(out.Entry) != 2 {
		t.Fatalf("batch: %d %.400s", r.status, r.body)
	}
	t.Logf("entry 0: %s %s; entry 1: %s %.200s", out.Entry[0].Response.Status, out.Entry[0].Response.Location, out.Entry[1].Response.Status, out.Entry[1].Response.Outcome)
	gp := e.token("gp", "nhs", "A81001")
	ev := e.do("GET", "/fhir/Patient/bob/$everything", gp, "")
	if strings.HasPrefix(out.Entry[1].Response.Status, "201") && strings.Contains(ev.body, "R80A-ANNS-DIAGNOSIS") {
		t.Errorf("a batch Condition naming its POSTed sibling Patient relatively (Patient/bob under the feed's RESTful base) was stored and filed under carex's Bob: his GP's $everything shows it")
	}
}

// TestReview80aSoundBatchSiblingForms: a POST entry with carex's own
// RESTful fullUrl named by another entry by that URL is refused; a PUT
// entry with a urn: fullUrl named by another is refused; an ordinary
// batch (independent POST and PUT, a GET) still works.
func TestReview80aSoundBatchSiblingForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	own := e.base + "/fhir/Patient/new80a"
	cases := map[string]string{
		"POST with own RESTful fullUrl": `{"resourceType":"Bundle","type":"batch","entry":[
		 {"fullUrl":"` + own + `","resource":{"resourceType":"Patient","name":[{"family":"New"}]},"request":{"method":"POST","url":"Patient"}},
		 {"resource":{"resourceType":"Condition","subject":{"reference":"` + own + `"},"code":{"text":"R80A-A"}},"request":{"method":"POST","url":"Condition"}}]}`,
		"PUT with urn fullUrl": `{"resourceType":"Bundle","type":"batch","entry":[
		 {"fullUrl":"urn:uuid:7d0f3a60-1c2b-4a9e-8f31-80a000000009","resource":{"resourceType":"Patient","id":"put80a","name":[{"family":"Put"}]},"request":{"method":"PUT","url":"Patient/put80a"}},
		 {"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:7d0f3a60-1c2b-4a9e-8f31-80a000000009"},"code":{"text":"R80A-B"}},"request":{"method":"POST","url":"Condition"}}]}`,
	}
	for name, b := range cases {
		out := r79aParse(t, e.do("POST", "/fhir", gpSys, b).body)
		if len(out.Entry) != 2 || !strings.HasPrefix(out.Entry[1].Response.Status, "400") {
			t.Errorf("%s: the dependent entry is not refused: %+v", name, out.Entry)
		}
	}
	ok := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"fullUrl":"urn:uuid:7d0f3a60-1c2b-4a9e-8f31-80a000000010","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R80A-C"}},"request":{"method":"POST","url":"Condition"}},
	 {"resource":{"resourceType":"Condition","id":"r80a-put","subject":{"reference":"Patient/jane"},"code":{"text":"R80A-D"}},"request":{"method":"PUT","url":"Condition/r80a-put"}},
	 {"request":{"method":"GET","url":"Patient/jane"}}]}`
	out := r79aParse(t, e.do("POST", "/fhir", gpSys, ok).body)
	if len(out.Entry) != 3 || !strings.HasPrefix(out.Entry[0].Response.Status, "201") || !strings.HasPrefix(out.Entry[1].Response.Status, "201") || !strings.HasPrefix(out.Entry[2].Response.Status, "200") {
		t.Errorf("an ordinary batch: %+v", out.Entry)
	}
}

// TestReview80aSoundBaseURL: with --base-url set, a batch's and a
// transaction's entries' absolute Locations and fullUrls (a relative
// Location is fine) are on it even behind a
// proxy sending X-Forwarded-Ssl, and carex's own absolute reference is
// accepted in a batch entry; without it, a transaction behind the proxy
// answers https Locations and fullUrls throughout.
func TestReview80aSoundBaseURL(t *testing.T) {
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R80A-BASE"}}`
	tx := func(typ string) string {
		return `{"resourceType":"Bundle","type":"` + typ + `","entry":[{"fullUrl":"urn:uuid:7d0f3a60-1c2b-4a9e-8f31-80a000000020","resource":` + cond + `,"request":{"method":"POST","url":"Condition"}},{"request":{"method":"GET","url":"Patient/jane"}}]}`
	}
	t.Run("base-url", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) { c.BaseURL = "https://carex.example.org/fhir" })
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		for _, typ := range []string{"batch", "transaction"} {
			out := r79aParse(t, e.do("POST", "/fhir", gpSys, tx(typ), "X-Forwarded-Ssl", "on").body)
			for i, en := range out.Entry {
				if (strings.Contains(en.Response.Location, "://") && !strings.HasPrefix(en.Response.Location, "https://carex.example.org/fhir/")) || (en.FullURL != "" && !strings.HasPrefix(en.FullURL, "https://carex.example.org/fhir/")) {
					t.Errorf("%s entry %d: location %q fullUrl %q", typ, i, en.Response.Location, en.FullURL)
				}
			}
		}
		b := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"https://carex.example.org/fhir/Patient/jane"},"code":{"text":"R80A-ABS"}},"request":{"method":"POST","url":"Condition"}}]}`
		out := r79aParse(t, e.do("POST", "/fhir", gpSys, b, "X-Forwarded-Ssl", "on").body)
		if len(out.Entry) != 1 || !strings.HasPrefix(out.Entry[0].Response.Status, "201") {
			t.Errorf("carex's --base-url reference in a batch entry: %+v", out.Entry)
		}
	})
	t.Run("forwarded", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		out := r79aParse(t, e.do("POST", "/fhir", gpSys, tx("transaction"), "X-Forwarded-Ssl", "on").body)
		for i, en := range out.Entry {
			t.Logf("transaction entry %d: %s location %q fullUrl %q", i, en.Response.Status, en.Response.Location, en.FullURL)
			if (strings.Contains(en.Response.Location, "://") && !strings.HasPrefix(en.Response.Location, "https://")) || (en.FullURL != "" && !strings.HasPrefix(en.FullURL, "https://")) {
				t.Errorf("transaction entry %d behind X-Forwarded-Ssl: location %q fullUrl %q", i, en.Response.Location, en.FullURL)
			}
		}
	})
}
