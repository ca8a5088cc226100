package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// review21cDo sends one request with its own X-Request-Id and returns the
// response with the access-log entries recorded under that id (the
// request's own, and a bundle's entries' id.N).
func (e *env) review21cDo(t *testing.T, id, method, path, token, body string, hdr ...string) (resp, []api.Exchange) {
	t.Helper()
	r := e.do(method, path, token, body, append([]string{"X-Request-Id", id}, hdr...)...)
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	var xs []api.Exchange
	for _, x := range e.rec.xs {
		if x.RequestID == id {
			xs = append(xs, x)
		}
	}
	return r, xs
}

// TestReview21cBreakGlassReasonOfARequestRefusedBeforeItsHandler: SPEC §6
// says every entry records the break-glass reason, and the README says a
// refused break-glass "in a request answered with any error ... 401, 403
// ... is an alert too". The reason is read in begin (rest.go), which only
// the handlers call: a request with X-Break-Glass refused by a middleware
// first — a 406 (_format=xml, Accept: xml), a 415 (wrong Content-Type), a
// 413 (body too large), a 405 (PATCH), a 401 (expired token) — is logged
// with no break-glass reason at all, so IG never hears of that attempt;
// nor does the entry say what operation it was (Operation "").
func TestReview21cBreakGlassReasonOfARequestRefusedBeforeItsHandler(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	const reason = "EMERGENCY: found collapsed at home, no next of kin"
	nurse := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "nurse-21c" })
	big := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"note":[{"text":"` + strings.Repeat("x", 70<<10) + `"}]}`
	cond := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`
	for i, c := range []struct {
		name, method, path, token, body string
		hdr                             []string
		status                          int
	}{
		{"406 _format=xml", "GET", "/fhir/Patient/jane/$everything?_format=xml", nurse, "", nil, 406},
		{"406 Accept xml", "GET", "/fhir/Patient/jane", nurse, "", []string{"Accept", "application/fhir+xml"}, 406},
		{"415 text/plain", "PUT", "/fhir/Condition/diabetes", nurse, cond, []string{"Content-Type", "text/plain"}, 415},
		{"413 too large", "PUT", "/fhir/Condition/diabetes", nurse, big, nil, 413},
		{"405 PATCH", "PATCH", "/fhir/Condition/diabetes", nurse, cond, nil, 405},
		{"400 unreadable query", "GET", "/fhir/Patient/jane/$everything?start=%zz", nurse, "", nil, 400},
		{"401 expired token", "GET", "/fhir/Patient/jane/$everything", e.expiredToken(), "", nil, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, xs := e.review21cDo(t, fmt.Sprintf("bg21c-%d", i), c.method, c.path, c.token, c.body, append([]string{"X-Break-Glass", reason}, c.hdr...)...)
			if r.status != c.status {
				t.Fatalf("%s %s: %d, want %d: %.200s", c.method, c.path, r.status, c.status, r.body)
			}
			if len(xs) != 1 {
				t.Fatalf("%d access-log entries for the request, want 1", len(xs))
			}
			if xs[0].Operation == "" {
				t.Errorf("%s %s answered %d is logged with no operation (SPEC §6: each entry records the operation); type %q", c.method, c.path, r.status, xs[0].Type)
			}
			if xs[0].BreakGlass != reason {
				t.Errorf("%s %s with X-Break-Glass answered %d is logged with break-glass reason %q, want %q (user %v)", c.method, c.path, r.status, xs[0].BreakGlass, reason, xs[0].Principal != nil)
			}
		})
	}
}

// TestReview21cSoundOneEntryPerRequestWithTheStatusSent: every request to
// /fhir (but GET/HEAD /fhir/metadata), whatever its route, method and
// fault, has exactly one access-log entry, whose status is the status the
// client got.
func TestReview21cSoundOneEntryPerRequestWithTheStatusSent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	mk := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" })
	forged := gp[:len(gp)-4] + "AAAA"
	cond := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"x"}}`
	cases := []struct {
		method, path, token, body string
		hdr                       []string
	}{
		{"GET", "/fhir/Patient/jane", gp, "", nil},
		{"HEAD", "/fhir/Patient/jane", gp, "", nil},
		{"HEAD", "/fhir/Patient/nobody", gp, "", nil},
		{"OPTIONS", "/fhir/Patient/jane", gp, "", nil},
		{"OPTIONS", "/fhir/Patient/jane", "", "", nil},
		{"OPTIONS", "/fhir/nowhere/a/b/c", gp, "", nil},
		{"GET", "/fhir/Patient/jane/$summary", gp, "", nil},
		{"GET", "/fhir/Patient/jane/a/b/c/d", gp, "", nil},
		{"GET", "/fhir/NotAType/x", gp, "", nil},
		{"GET", "/fhir", gp, "", nil},
		{"DELETE", "/fhir", gp, "", nil},
		{"PUT", "/fhir/metadata", gp, "{}", nil},
		{"GET", "/fhir/%6Detadata", gp, "", nil},
		{"GET", "/fhir/metadata/", gp, "", []string{"X-Break-Glass", "EMERGENCY: x y z"}},
		{"PATCH", "/fhir/Condition/diabetes", gp, cond, nil},
		{"DELETE", "/fhir/Condition?patient=jane", gp, "", nil},
		{"POST", "/fhir/Condition", gp, `{"resourceType":`, nil},
		{"POST", "/fhir/Condition", gp, `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, nil},
		{"PUT", "/fhir/Condition/diabetes", gp, cond, []string{"If-Match", `W/"99"`}},
		{"PUT", "/fhir/Condition/diabetes", gp, cond, []string{"If-Match", `garbage`}},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918", gp, "", nil},
		{"GET", "/fhir/Condition?patient=jane&colour=red", gp, "", nil},
		{"GET", "/fhir/Condition?patient=jane", forged, "", nil},
		{"GET", "/fhir/Condition?patient=jane", e.expiredToken(), "", nil},
		{"GET", "/fhir/Condition?patient=jane", "", "", nil},
		{"GET", "/fhir/Condition?patient=jane", mk, "", nil},
		{"POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters"}`, nil},
		{"POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters","parameter":[{"name":"_count","valueInteger":1}]}`, nil},
		{"GET", "/fhir/AuditEvent", gp, "", nil},
		{"POST", "/fhir/AuditEvent", gp, `{"resourceType":"AuditEvent"}`, nil},
		{"GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs", gp, "", nil},
		{"POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},{"request":{"method":"GET","url":"Patient/nobody"}}]}`, nil},
		{"POST", "/fhir", gp, `{"resourceType":"Bundle","type":"searchset"}`, nil},
		{"GET", "/fhir/Condition/_history", gp, "", nil},
		{"GET", "/fhir/_history", gp, "", nil},
		{"GET", "/fhir/Condition/diabetes/_history/0", gp, "", nil},
		{"GET", "/fhir/Condition/diabetes/_history/x", gp, "", nil},
		{"GET", "/fhir/Condition?_count=abc", gp, "", nil},
		{"GET", "/fhir/Condition?patient=jane&_format=xml", gp, "", nil},
		{"POST", "/fhir/Condition/_search", gp, "patient=jane", []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"TRACE", "/fhir/Patient/jane", gp, "", nil},
		{"PROPFIND", "/fhir/Patient/jane", gp, "", nil},
	}
	for i, c := range cases {
		id := fmt.Sprintf("st21c-%d", i)
		r, xs := e.review21cDo(t, id, c.method, c.path, c.token, c.body, c.hdr...)
		if c.path == "/fhir/metadata/" {
			continue
		}
		if len(xs) != 1 {
			t.Errorf("%s %s (%d): %d access-log entries, want 1", c.method, c.path, r.status, len(xs))
			continue
		}
		if xs[0].Status != r.status {
			t.Errorf("%s %s: answered %d, logged %d", c.method, c.path, r.status, xs[0].Status)
		}
		if r.status >= 400 && xs[0].Decision == "permit" {
			t.Errorf("%s %s: answered %d, logged decision permit", c.method, c.path, r.status)
		}
		if r.status >= 400 && len(xs[0].Released) > 0 {
			t.Errorf("%s %s: answered %d, logged released %v", c.method, c.path, r.status, xs[0].Released)
		}
	}
}

// TestReview21cSoundClientAddressNotTakenFromTheClientsHeaders: by default
// the logged client address is the connection's peer; X-Forwarded-For,
// X-Real-IP and Forwarded written by the client are not logged as its
// address, in a request or a batch's entries.
func TestReview21cSoundClientAddressNotTakenFromTheClientsHeaders(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	spoof := []string{"X-Forwarded-For", "203.0.113.9", "X-Real-Ip", "203.0.113.10", "Forwarded", "for=203.0.113.11", "True-Client-Ip", "203.0.113.12"}
	for i, c := range []struct{ method, path, body string }{
		{"GET", "/fhir/Patient/jane", ""},
		{"GET", "/fhir/Patient/jane/$everything", ""},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}}]}`},
		{"GET", "/fhir/Patient/jane", ""},
	} {
		id := fmt.Sprintf("ip21c-%d", i)
		tok := gp
		if i == 3 {
			tok = e.expiredToken()
		}
		r := e.do(c.method, c.path, tok, c.body, append([]string{"X-Request-Id", id}, spoof...)...)
		n := 0
		e.rec.mu.Lock()
		for _, x := range e.rec.xs {
			if x.RequestID == id || strings.HasPrefix(x.RequestID, id+".") {
				n++
				if x.Client != "127.0.0.1" {
					t.Errorf("%s %s (%d, entry %s): client logged as %q, want the peer 127.0.0.1", c.method, c.path, r.status, x.RequestID, x.Client)
				}
			}
		}
		e.rec.mu.Unlock()
		if n == 0 {
			t.Errorf("%s %s: no entry", c.method, c.path)
		}
	}
}

var _ = http.MethodGet
