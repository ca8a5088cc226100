package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/api/auth"
)

// TestReview21cBreakGlassRefusedBeforeItsHandlerIsNoAlert: the IG side of
// TestReview21cBreakGlassReasonOfARequestRefusedBeforeItsHandler, on a
// real access log. A district nurse of an organisation with no
// relationship to Jane asks for her record with X-Break-Glass, but with
// _format=xml (406). The README lists a break-glass in a request answered
// with any error as an alert ("break-glass refused: …"), and the same
// attempt refused for its purpose (403) is one; this one is in neither
// $alerts nor $break-glass.
func TestReview21cBreakGlassRefusedBeforeItsHandlerIsNoAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	const reason = "EMERGENCY: collapsed at home, need her medications"
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "nurse-21c" })
	mk := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "nurse-21c-mk"; c.Purpose = "HMARKT" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything?_format=xml", nurse, "", "X-Break-Glass", reason); r.status != 406 {
		t.Fatalf("$everything?_format=xml with break-glass: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", mk, "", "X-Break-Glass", reason); r.status != 403 {
		t.Fatalf("$everything for marketing with break-glass: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$alerts", ig, "")
	var rep alerts12d
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("$alerts: %d %v %.300s", r.status, err, r.body)
	}
	bySub := map[string]string{}
	for _, al := range rep.Alerts {
		if al.Kind == "break-glass" {
			bySub[al.Sub] += al.Detail
		}
	}
	if !strings.Contains(bySub["nurse-21c-mk"], reason) {
		t.Fatalf("premise: the break-glass refused for its purpose is no alert: %v", bySub)
	}
	if !strings.Contains(bySub["nurse-21c"], reason) {
		t.Errorf("the break-glass of a request refused with 406 is no alert (alerts: %v)", bySub)
	}
	bg := e.do("GET", "/fhir/AuditEvent/$break-glass?patient=jane", ig, "")
	if bg.status != 200 {
		t.Fatalf("$break-glass: %d %.300s", bg.status, bg.body)
	}
	if !strings.Contains(bg.body, "nurse-21c-mk") {
		t.Fatalf("premise: $break-glass lacks the 403 attempt: %.600s", bg.body)
	}
	if !strings.Contains(bg.body, `"nurse-21c"`) {
		t.Errorf("$break-glass?patient=jane lacks the nurse's break-glass refused with 406: %.600s", bg.body)
	}
}

// TestReview21cWriteRefusedForItsMediaTypeNamesItsBodysPeople: a create
// or a PUT of a new id of a Condition of Jane's, sent by a valid token
// with Content-Type text/plain (415), is logged naming no one, though the
// same body refused for its purpose (403) or as invalid (422) is logged
// under Jane (reviews 14b, 16b): her $who-accessed misses the attempt.
func TestReview21cWriteRefusedForItsMediaTypeNamesItsBodysPeople(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	body := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"MEDIA-WRITE"}}`
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/fhir/Condition", body},
		{"PUT", "/fhir/Condition/new21c", strings.Replace(body, `"Condition",`, `"Condition","id":"new21c",`, 1)},
	} {
		r := e.do(c.method, c.path, gp, c.body, "Content-Type", "text/plain")
		if r.status != 415 {
			t.Fatalf("%s %s as text/plain: %d %.200s", c.method, c.path, r.status, r.body)
		}
		if got := e.loggedPeople(t, c.method, c.path); !slices.Contains(got, "jane") {
			t.Errorf("%s %s of a Condition of Jane's refused with 415 is logged naming %v, not Jane", c.method, c.path, got)
		}
	}
}

// TestReview21cSoundClientHangingUpIsStillLogged: requests that reached
// the server and whose client went away mid-request (its context
// cancelled after 0..2 ms, while the server decides $everything or stores
// a write; a body cut short) each have exactly one entry, and a stored
// write's entry says it was stored. A wrapper in front of the server's
// handler notes which requests reached it.
func TestReview21cSoundClientHangingUpIsStillLogged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	var mu sync.Mutex
	reached := map[string]bool{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached[r.Header.Get("X-Request-Id")] = true
		mu.Unlock()
		e.api.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()
	gp := e.token("gp", "nhs", "A81001")
	sys := e.token("system", "nhs", "A81001")
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("hang21c-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i)*70*time.Microsecond)
		var req *http.Request
		if i%2 == 0 {
			req, _ = http.NewRequestWithContext(ctx, "GET", front.URL+"/fhir/Patient/jane/$everything", nil)
			req.Header.Set("Authorization", "Bearer "+gp)
		} else {
			req, _ = http.NewRequestWithContext(ctx, "PUT", front.URL+"/fhir/Condition/hang"+fmt.Sprint(i),
				strings.NewReader(`{"resourceType":"Condition","id":"hang`+fmt.Sprint(i)+`","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`))
			req.Header.Set("Authorization", "Bearer "+sys)
			req.Header.Set("Content-Type", "application/fhir+json")
		}
		req.Header.Set("X-Request-Id", id)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
		cancel()
	}
	// A body cut short: the client hangs up before sending all of it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /fhir/Condition/cut21c HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/fhir+json\r\nX-Request-Id: cut21c\r\nContent-Length: 500\r\n\r\n{\"resourceType\":\"Condition\",", sys)
	time.Sleep(50 * time.Millisecond)
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.rec.mu.Lock()
		n := map[string]int{}
		for _, x := range e.rec.xs {
			n[x.RequestID]++
		}
		e.rec.mu.Unlock()
		var missing []string
		mu.Lock()
		for id := range reached {
			if n[id] != 1 {
				missing = append(missing, fmt.Sprintf("%s:%d", id, n[id]))
			}
		}
		if !reached["cut21c"] {
			missing = append(missing, "cut21c did not reach the server")
		}
		got := len(reached)
		mu.Unlock()
		if len(missing) == 0 {
			t.Logf("%d requests reached the server, each with one entry", got)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("requests that reached the server without exactly one entry: %v", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every stored write has an entry that says it was stored.
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if (strings.HasPrefix(x.RequestID, "hang21c-") || x.RequestID == "cut21c") && x.Method == "PUT" {
			id := strings.TrimPrefix(x.Path, "/fhir/Condition/")
			v, _ := e.db.Read(context.Background(), "Condition", id)
			if v != nil && x.Status >= 400 {
				t.Errorf("%s: stored, but its entry says %d (%v)", x.Path, x.Status, x.Reasons)
			}
			if v == nil && x.Status < 400 {
				t.Errorf("%s: not stored, but its entry says %d", x.Path, x.Status)
			}
		}
	}
}

// TestReview21cSoundBatchEntriesLoggedWithTheStatusTheyAnswered: each
// batch entry carex dispatches has its entry (id.N) with the status the
// batch-response gives it, and a transaction's GETs likewise.
func TestReview21cSoundBatchEntriesLoggedWithTheStatusTheyAnswered(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
 {"request":{"method":"GET","url":"Condition/diabetes"}},
 {"request":{"method":"GET","url":"Condition/hiv"}},
 {"request":{"method":"GET","url":"Observation/hba1c"}},
 {"request":{"method":"GET","url":"Condition?patient=jane"}},
 {"request":{"method":"GET","url":"Patient/jane/$everything"}},
 {"request":{"method":"DELETE","url":"Condition/diabetes"}},
 {"request":{"method":"GET","url":"metadata"}},
 {"request":{"method":"GET","url":"Nope/x"}},
 {"request":{"method":"PUT","url":"CarePlan/wound"},"resource":{"resourceType":"CarePlan","id":"wound","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"x"}}]}`
	r, xs := e.review21cDo(t, "batch21c", "POST", "/fhir", nurse, batch)
	if r.status != 200 || len(xs) != 1 {
		t.Fatalf("batch: %d, %d entries: %.300s", r.status, len(xs), r.body)
	}
	var out struct {
		Entry []struct {
			Response struct {
				Status string `json:"status"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for i, en := range out.Entry {
		id := fmt.Sprintf("batch21c.%d", i)
		var got []int
		for _, x := range e.rec.xs {
			if x.RequestID == id {
				got = append(got, x.Status)
			}
		}
		want := en.Response.Status[:3]
		if i == 6 { // metadata: not logged
			continue
		}
		if len(got) != 1 || fmt.Sprint(got[0]) != want {
			t.Errorf("batch entry %d answered %s, logged %v", i, en.Response.Status, got)
		}
	}
}

// TestReview21cRefusedSearchByBareNHSNumberNamesThePerson: a Patient
// search by NHS number without its system (identifier=9434765919) finds
// Jane, and with a working token its entry names her and keeps the number;
// the same search with an expired token (401), or by a token claiming the
// purpose marketing (403), names no one and keeps no number, so her
// $who-accessed misses the attempt. The README has a refused search name
// "the one person its query names as a working token's search would be
// logged ... read as the search reads it" (reviews 13b, 13c, 15b); only the
// system|number form is read so (access.go searchNames).
func TestReview21cRefusedSearchByBareNHSNumberNamesThePerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	const path = "/fhir/Patient?identifier=9434765919"
	r, xs := e.review21cDo(t, "nhs21c-ok", "GET", path, gp, "")
	if r.status != 200 || len(xs) != 1 || xs[0].Patient != "jane" || xs[0].NHSNumber != "9434765919" {
		t.Fatalf("premise: with a working token the search is logged under Jane: %d %+v", r.status, xs)
	}
	for _, c := range []struct{ name, tok string }{{"expired token", e.expiredToken()}, {"purpose marketing", mk}} {
		r, xs := e.review21cDo(t, "nhs21c-"+strings.ReplaceAll(c.name, " ", "-"), "GET", path, c.tok, "")
		if r.status < 400 || len(xs) != 1 {
			t.Fatalf("%s: %d, %d entries", c.name, r.status, len(xs))
		}
		if xs[0].Patient != "jane" || xs[0].NHSNumber != "9434765919" {
			t.Errorf("%s: GET %s refused %d is logged with patient %q %v, NHS number %q: want Jane and the number", c.name, path, r.status, xs[0].Patient, xs[0].Patients, xs[0].NHSNumber)
		}
	}
}

// TestReview21cSoundWhoAccessedListsEveryRequestOnHerRecord: on a real
// access log, each request about Jane — answered or refused, by any
// route — is in $who-accessed?patient=jane, AuditEvent?patient=jane and
// the user's $user-activity as soon as its answer has come back (the
// journal's entries not yet copied into the tables are waited for).
func TestReview21cSoundWhoAccessedListsEveryRequestOnHerRecord(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "gp-21c" })
	sys := e.token("system", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "sys-21c" })
	ig := e.token("ig-officer", "nhs", "A81001")
	cases := []struct{ method, path, tok, body string }{
		{"GET", "/fhir/Patient/jane", gp, ""},
		{"HEAD", "/fhir/Patient/jane/$everything", gp, ""},
		{"GET", "/fhir/Condition?patient=jane&_summary=count", gp, ""},
		{"GET", "/fhir/Condition?code=44054006", gp, ""},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", gp, ""},
		{"GET", "/fhir/Condition/diabetes/_history", gp, ""},
		{"GET", "/fhir/Patient/jane?_format=xml", gp, ""},
		{"PUT", "/fhir/Condition/who21c", sys, `{"resourceType":"Condition","id":"who21c","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`},
		{"DELETE", "/fhir/Condition/who21c", sys, ""},
		{"POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}}]}`},
		{"POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters","parameter":[{"name":"_count","valueInteger":2}]}`},
	}
	for i, c := range cases {
		id := fmt.Sprintf("who21c-%d", i)
		r := e.do(c.method, c.path, c.tok, c.body, "X-Request-Id", id)
		for _, q := range []string{"/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent?patient=jane&_count=200"} {
			w := e.do("GET", q, ig, "")
			if w.status != 200 || !strings.Contains(w.body, id) {
				t.Errorf("%s %s (%d) is not in %s right after its answer", c.method, c.path, r.status, q)
			}
		}
	}
	for _, sub := range []string{"gp-21c", "sys-21c"} {
		w := e.do("GET", "/fhir/AuditEvent/$user-activity?agent="+sub, ig, "")
		for i, c := range cases {
			if strings.Contains(c.tok, "") && (c.tok == gp) == (sub == "gp-21c") && !strings.Contains(w.body, fmt.Sprintf(`"who21c-%d"`, i)) {
				t.Errorf("%s %s is not in $user-activity?agent=%s", c.method, c.path, sub)
			}
		}
	}
}
