package api_test

// Review 16b: ways around the last session's fixes (naming people in the
// access log for refused requests, break-glass in $alerts, masked
// attachments, the restricted-by-NHS-number cache).

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// TestReview16bMaskedAttachmentUrlTakesItsDataToo: an attachment may give
// its content both inline (data) and by url; FHIR says the url then points
// at the same content. Where the url names a Binary withheld from the user
// (Jane's HIV clinic letter, withheld from the hospital clinician), the url
// was masked but the same content went out inline in data, to the letter's
// last byte, by read, search and $everything. The data goes with the url
// now, as its title and hash do (6ce639a); content type and size stay. The
// practice, the source, reads it as stored.
func TestReview16bMaskedAttachmentUrlTakesItsDataToo(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedHIVLetter14c(t, e)
	secret := base64.StdEncoding.EncodeToString([]byte("SECRET-HIV-LETTER-CONTENT"))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/DocumentReference/both", `{"resourceType":"DocumentReference","id":"both","status":"current","subject":{"reference":"Patient/jane"},"content":[
			{"attachment":{"url":"Binary/hivbin","contentType":"text/plain","data":"` + secret + `","_data":{"extension":[{"url":"http://example.org/x","valueString":"SECRET-DATA-EXT"}]},"size":25}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Binary/hivbin", hosp, ""); r.status != 404 {
		t.Fatalf("the premise: the letter's content is withheld from the hospital: %d", r.status)
	}
	for _, path := range []string{"/fhir/DocumentReference/both", "/fhir/DocumentReference?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", path, hosp, "")
		if r.status != 200 || !strings.Contains(r.body, `"valueCode":"masked"`) || !strings.Contains(r.body, `"both"`) {
			t.Fatalf("%s: %d, want the letter with its url masked: %.400s", path, r.status, r.body)
		}
		for _, leak := range []string{secret, "SECRET-DATA-EXT"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("%s: the hospital clinician is shown the withheld letter's content inline (%q) beside its masked url: %.500s", path, leak, r.body)
			}
		}
		if !strings.Contains(r.body, "text/plain") {
			t.Errorf("%s: the attachment's content type should stay: %.500s", path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/DocumentReference/both", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, secret) {
		t.Errorf("the practice reads its own letter as stored: %.400s", r.body)
	}
}

// TestReview16bFormSearchRefusedForItsPurposeNamesThePerson: a POST
// _search whose parameters are in its form body (patient=jane, as FHIR's
// POST search sends them) by a token claiming the purpose "marketing"
// (403, refused before the search read its body) was logged naming no one,
// though the same search with patient=jane in its URL (review 15b), or the
// same body with a working token (even one refused for an unknown
// parameter, 400), is logged under Jane: her $who-accessed missed an
// attempt to read her record for marketing. The entry should name the
// person the body names; the answer is unchanged. (At 401 the body of a
// request without a valid token is still not read.)
func TestReview16bFormSearchRefusedForItsPurposeNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	for _, body := range []string{"patient=jane", "subject=Patient%2Fjane&code=44054006"} {
		r := e.do("POST", "/fhir/Condition/_search", mk, body, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 403 || strings.Contains(r.body, "GP-DIABETES") {
			t.Fatalf("POST _search %s for marketing: %d, want 403: %s", body, r.status, r.body)
		}
		if got := e.loggedPeople(t, "POST", "/fhir/Condition/_search"); !slices.Contains(got, "jane") {
			t.Errorf("POST _search with body %q refused for its purpose is logged naming %v: not Jane, whom its body names", body, got)
		}
	}
	r := e.do("POST", "/fhir/Patient/_search", mk, "_id=jane", "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 403 {
		t.Fatalf("POST Patient/_search for marketing: %d", r.status)
	}
	if got := e.loggedPeople(t, "POST", "/fhir/Patient/_search"); !slices.Contains(got, "jane") {
		t.Errorf("POST Patient/_search with _id=jane in its body refused for its purpose is logged naming %v", got)
	}
}

// TestReview16bBundleRefusedForItsPurposeNamesItsPeople: a transaction
// deleting Jane's diagnosis, or a batch reading it and Bob's record, sent
// with a token claiming the purpose "marketing" (403, refused before the
// body was read), was logged naming no one, though a DELETE or a read of
// Condition/diabetes refused the same way is logged under Jane (review
// 14a, 86c6124) and a malformed transaction under the people of its
// entries (review 15b): Jane's and Bob's $who-accessed missed the attempt.
// The entry should name the people of every item its entries would change
// or read, and of every resource they carry. The answer is unchanged
// (the same whether the items exist or not) and nothing is stored.
func TestReview16bBundleRefusedForItsPurposeNamesItsPeople(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	bob := `{"resourceType":"Condition","id":"bob-c","subject":{"reference":"Patient/bob"},"code":{"text":"X"}}`
	for _, c := range []struct{ name, bundle string }{
		{"transaction", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition/diabetes"}},{"request":{"method":"PUT","url":"Condition/bob-c"},"resource":` + bob + `}]}`},
		{"batch", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},{"request":{"method":"GET","url":"Patient/bob/$everything"}}]}`},
		{"batch of a search and a version read", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition?patient=bob"}},{"request":{"method":"GET","url":"Condition/diabetes/_history/1"}}]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/fhir", mk, c.bundle)
			if r.status != 403 {
				t.Fatalf("%s for marketing: %d, want 403: %s", c.name, r.status, r.body)
			}
			got := e.loggedPeople(t, "POST", "/fhir")
			if !slices.Contains(got, "jane") || !slices.Contains(got, "bob") {
				t.Errorf("a %s refused for its purpose is logged naming %v: want Jane (whose diagnosis it deletes or reads) and Bob", c.name, got)
			}
			// The answer does not tell whether the items exist.
			other := strings.NewReplacer("Condition/diabetes", "Condition/never-was", "Patient/bob", "Patient/nobody").Replace(c.bundle)
			r2 := e.do("POST", "/fhir", mk, other)
			if r2.status != r.status || r2.body != r.body {
				t.Errorf("the answer differs by what is stored: %d %s against %d %s", r.status, r.body, r2.status, r2.body)
			}
		})
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", e.token("system", "nhs", "A81001"), ""); r.status != 200 {
		t.Errorf("diabetes after the refused transaction: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/bob-c", e.token("system", "nhs", "A81001"), ""); r.status != 404 {
		t.Errorf("Bob's condition was stored by a refused transaction: %d", r.status)
	}
}

// TestReview16bBreakGlassOfAFailedRequestIsNotReportedAsGranted: IG's
// break-glass alert listed as refused only a break-glass its role or
// reason refused, or whose request was refused with 401 or 403
// (fcf1916, 76c7411). One whose request was answered with any other error
// — a search naming no one (400: "X-Break-Glass opens one person's
// record"), $everything of a person with nothing stored (404), an invalid
// write to Jane's record (422) — opened nothing and stored no grant, yet
// read "break-glass: <reason>", exactly like a grant that opened a record.
// It should be listed under "break-glass refused:"; a granted one after
// it, by the same user, under "break-glass:".
func TestReview16bBreakGlassOfAFailedRequestIsNotReportedAsGranted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "nurse-16b" })
	const (
		search  = "EMERGENCY: collapsed, searching by diagnosis"
		unknown = "EMERGENCY: collapsed, unknown person"
		invalid = "EMERGENCY: collapsed, recording a finding"
		granted = "EMERGENCY: collapsed, opening her record"
	)
	for _, c := range []struct {
		method, path, reason, body string
		status                     int
	}{
		{"GET", "/fhir/Condition?code=44054006", search, "", 400},
		{"GET", "/fhir/Patient/nobody/$everything", unknown, "", 404},
		{"PUT", "/fhir/Condition/x1", invalid, `{"resourceType":"Condition","id":"x1","subject":{"reference":"Patient/jane"},"colour":"red"}`, 422},
	} {
		if r := e.do(c.method, c.path, nurse, c.body, "X-Break-Glass", c.reason); r.status != c.status {
			t.Fatalf("%s %s with break-glass: %d, want %d: %.300s", c.method, c.path, r.status, c.status, r.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	details := func() string {
		t.Helper()
		r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
		var rep alerts12d
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
			t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
		}
		var all []string
		for _, al := range rep.Alerts {
			if al.Kind == "break-glass" && al.Sub == "nurse-16b" {
				all = append(all, al.Detail)
			}
		}
		return strings.Join(all, " | ")
	}
	d := details()
	for _, reason := range []string{search, unknown, invalid} {
		if strings.Contains(d, "break-glass: "+reason) || !strings.Contains(d, reason) {
			t.Errorf("a break-glass whose request failed (%q) is reported as %q: want it listed as refused", reason, d)
		}
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "", "X-Break-Glass", granted); r.status != 200 {
		t.Fatalf("the nurse's break-glass: %d %.300s", r.status, r.body)
	}
	if d := details(); !strings.Contains(d, "break-glass: "+granted) || strings.Contains(d, "break-glass: "+invalid) {
		t.Errorf("after a granted break-glass the alerts read %q", d)
	}
}

// TestReview16bWriteRefusedForItsPurposeNamesItsBodysPeople: a create
// (POST /fhir/Condition, with or without If-None-Exist), a PUT of a new id,
// and a Consent recording Jane's objection, sent with a token claiming the
// purpose "marketing" (403, refused before the body was read), were logged
// naming no one, though the same bodies refused as invalid (422) are logged
// under Jane (review 14b) and a PUT over a stored item under its people
// (review 14a): her $who-accessed missed an attempt to write her record
// and to change her sharing. With a valid token the entry should name the
// people the body names; the answer is unchanged and nothing is stored.
func TestReview16bWriteRefusedForItsPurposeNamesItsBodysPeople(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	body := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"MARKETING-WRITE"}}`
	for _, c := range []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"create", "POST", "/fhir/Condition", body, nil},
		{"conditional create", "POST", "/fhir/Condition", body, []string{"If-None-Exist", "identifier=urn:x|1"}},
		{"PUT of a new id", "PUT", "/fhir/Condition/new1", strings.Replace(body, `{"resourceType":"Condition",`, `{"resourceType":"Condition","id":"new1",`, 1), nil},
		{"a Consent of Jane's", "POST", "/fhir/Consent", janeNotSharedWithCouncil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, mk, c.body, c.hdr...)
			if r.status != 403 {
				t.Fatalf("%d, want 403: %s", r.status, r.body)
			}
			if got := e.loggedPeople(t, c.method, c.path); !slices.Contains(got, "jane") {
				t.Errorf("%s %s refused for its purpose is logged naming %v: not Jane, whom its body names", c.method, c.path, got)
			}
		})
	}
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition?patient=jane", sys, ""); r.status != 200 || strings.Contains(r.body, "MARKETING-WRITE") {
		t.Errorf("a refused write was stored: %.300s", r.body)
	}
}
