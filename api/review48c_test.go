package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf16"
)

// review48cLogged counts the access-log records of request id.
func review48cLogged(e *env, id string) (n int, status int) {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if x.RequestID == id {
			n++
			status = x.Status
		}
	}
	return
}

func review48cUTF16(s string) string {
	u := utf16.Encode([]rune(s))
	b := []byte{0xff, 0xfe}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return string(b)
}

// TestReview48cSoundBadInputVariants: odd bodies, ids, headers and media
// types on create and update: each is a 4xx OperationOutcome with the
// status SPEC §3 names (when it names one), stores nothing (the
// practice's own search finds none of the tags) and is logged exactly
// once with the status it was answered.
func TestReview48cSoundBadInputVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	cond := func(tag, extra string) string {
		return `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"` + tag + `"}` + extra + `}`
	}
	long := strings.Repeat("a", 65)
	cases := []struct {
		name, method, path, body string
		hdr                      []string
		want                     []int // acceptable statuses; nil: valid JSON carex may take (201, then it is not counted as stored wrongly)
	}{
		{"nul escape in string", "POST", "/fhir/Condition", cond("BI-NUL\\u0000x", ""), nil, nil},
		{"raw nul byte", "POST", "/fhir/Condition", cond("BI-RAWNUL\x00x", ""), nil, []int{400}},
		{"lone surrogate value", "POST", "/fhir/Condition", cond("BI-SUR\\ud800", ""), nil, nil},
		{"huge number", "POST", "/fhir/Condition", cond("BI-HUGE", `,"onsetAge":{"value":1e400}`), nil, nil},
		{"integer overflow", "POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BI-INT"},"valueInteger":99999999999999999999}`, nil, []int{400, 422}},
		{"utf-16 body", "POST", "/fhir/Condition", review48cUTF16(cond("BI-U16", "")), nil, []int{400, 415}},
		{"trailing garbage", "POST", "/fhir/Condition", cond("BI-TRAIL", "") + `{}`, nil, []int{400}},
		{"two documents", "POST", "/fhir/Condition", cond("BI-TWO", "") + "\n" + cond("BI-TWO2", ""), nil, []int{400}},
		{"array top", "POST", "/fhir/Condition", "[" + cond("BI-ARR", "") + "]", nil, []int{400}},
		{"xml media type", "POST", "/fhir/Condition", cond("BI-XML", ""), []string{"Content-Type", "application/fhir+xml"}, []int{415}},
		{"text/plain", "POST", "/fhir/Condition", cond("BI-TXT", ""), []string{"Content-Type", "text/plain"}, []int{415}},
		{"charset utf-16", "POST", "/fhir/Condition", cond("BI-CS16", ""), []string{"Content-Type", "application/fhir+json; charset=utf-16"}, nil},
		{"no content type", "POST", "/fhir/Condition", cond("BI-NOCT", ""), []string{"Content-Type", ""}, []int{415, 400}},
		{"id 65 chars", "PUT", "/fhir/Condition/" + long, `{"resourceType":"Condition","id":"` + long + `","subject":{"reference":"Patient/jane"},"code":{"text":"BI-LONG"}}`, nil, []int{400, 422}},
		{"id bad char", "PUT", "/fhir/Condition/a_b", `{"resourceType":"Condition","id":"a_b","subject":{"reference":"Patient/jane"},"code":{"text":"BI-BADC"}}`, nil, []int{400, 422}},
		{"id mismatch", "PUT", "/fhir/Condition/bi1", `{"resourceType":"Condition","id":"bi2","subject":{"reference":"Patient/jane"},"code":{"text":"BI-MISM"}}`, nil, []int{400}},
		{"type mismatch put", "PUT", "/fhir/Condition/bi3", `{"resourceType":"Observation","id":"bi3","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"BI-TMIS"}}`, nil, []int{400}},
		{"if-match malformed", "PUT", "/fhir/Condition/bi4", `{"resourceType":"Condition","id":"bi4","subject":{"reference":"Patient/jane"},"code":{"text":"BI-IFM"}}`, []string{"If-Match", `W/"abc`}, []int{400, 412}},
		{"if-match on missing", "PUT", "/fhir/Condition/bi5", `{"resourceType":"Condition","id":"bi5","subject":{"reference":"Patient/jane"},"code":{"text":"BI-IFM5"}}`, []string{"If-Match", `W/"1"`}, []int{404, 409, 412}},
		{"nhs number bad check in reference identifier", "POST", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/jane","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}},"code":{"text":"BI-NHSR"}}`, nil, []int{400, 422}},
		{"nhs number 9 digits on Patient", "POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943476591"}],"name":[{"family":"BI-NHS9"}]}`, nil, []int{400, 422}},
		{"nhs number letters on Patient", "POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943476591X"}],"name":[{"family":"BI-NHSX"}]}`, nil, []int{400, 422}},
		{"unknown element", "POST", "/fhir/Condition", cond("BI-UNK", `,"bogus":1`), nil, []int{400, 422}},
		{"empty object", "POST", "/fhir/Condition", `{}`, nil, []int{400, 422}},
		{"resourceType number", "POST", "/fhir/Condition", `{"resourceType":1,"code":{"text":"BI-RTN"}}`, nil, []int{400, 422}},
	}
	accepted := map[string]bool{}
	for i, c := range cases {
		id := fmt.Sprintf("bi48c-%d", i)
		hdr := append([]string{"X-Request-Id", id}, c.hdr...)
		r := e.do(c.method, c.path, sys, c.body, hdr...)
		ok := false
		for _, w := range c.want {
			ok = ok || r.status == w
		}
		if c.want == nil {
			accepted[c.name] = r.status == 201
			ok = r.status == 201 || r.status >= 400 && r.status < 500
			if r.status == 201 {
				n, st := review48cLogged(e, id)
				t.Logf("%-45s accepted as valid JSON: %d logged %d×(%d)", c.name, r.status, n, st)
				if n != 1 || st != 201 {
					t.Errorf("%s: logged %d times (status %d)", c.name, n, st)
				}
				continue
			}
		}
		n, st := review48cLogged(e, id)
		t.Logf("%-45s %d logged %d×(%d) %.140s", c.name, r.status, n, st, r.body)
		if !ok || !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) {
			t.Errorf("%s: %d, want one of %v with an OperationOutcome: %.300s", c.name, r.status, c.want, r.body)
		}
		if n != 1 || st != r.status {
			t.Errorf("%s: logged %d times (status %d), want once with %d", c.name, n, st, r.status)
		}
	}
	s := e.do("GET", "/fhir/Condition?patient=jane&_count=1000", sys, "")
	o := e.do("GET", "/fhir/Observation?patient=jane&_count=1000", sys, "")
	p := e.do("GET", "/fhir/Patient?_count=1000", sys, "")
	all := s.body + o.body + p.body
	for _, tag := range []string{"BI-RAWNUL", "BI-INT", "BI-U16", "BI-TRAIL", "BI-TWO", "BI-ARR", "BI-XML", "BI-TXT", "BI-NOCT", "BI-LONG", "BI-BADC", "BI-MISM", "BI-TMIS", "BI-IFM", "BI-NHSR", "BI-NHS9", "BI-NHSX", "BI-UNK", "BI-RTN"} {
		if strings.Contains(all, tag) {
			t.Errorf("%s stored", tag)
		}
	}
}

// TestReview48cSoundChunkedOverLimit: a chunked body over the limit (no
// Content-Length) to POST /fhir/Condition and to a transaction is 413
// with an OperationOutcome, stores nothing and is logged once.
func TestReview48cSoundChunkedOverLimit(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	bodies := map[string]string{
		"/fhir/Condition": `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"CH-BIG"},"note":[{"text":"` + strings.Repeat("y", 100<<10) + `"}]}`,
		"/fhir":           `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Condition"},"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"CH-TX"},"note":[{"text":"` + strings.Repeat("y", 100<<10) + `"}]}}]}`,
	}
	i := 0
	for path, body := range bodies {
		i++
		id := fmt.Sprintf("ch48c-%d", i)
		pr, pw := io.Pipe()
		go func() { pw.Write([]byte(body)); pw.Close() }()
		req, _ := http.NewRequest("POST", e.base+path, pr)
		req.Header.Set("Authorization", "Bearer "+sys)
		req.Header.Set("Content-Type", "application/fhir+json")
		req.Header.Set("X-Request-Id", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		n, st := review48cLogged(e, id)
		t.Logf("%s chunked: %d logged %d×(%d) %.200s", path, res.StatusCode, n, st, b)
		if res.StatusCode != 413 || !strings.Contains(string(b), "OperationOutcome") {
			t.Errorf("%s chunked over the limit: %d %.300s", path, res.StatusCode, b)
		}
		if n != 1 || st != res.StatusCode {
			t.Errorf("%s: logged %d times (status %d)", path, n, st)
		}
	}
	s := e.do("GET", "/fhir/Condition?patient=jane&_count=1000", sys, "")
	if strings.Contains(s.body, "CH-BIG") || strings.Contains(s.body, "CH-TX") {
		t.Errorf("stored: %.300s", s.body)
	}
}

// TestReview48cSoundOddQueries: repeated and odd query parameters on
// search are 400 OperationOutcomes (or read as FHIR says), logged once.
func TestReview48cSoundOddQueries(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for i, q := range []string{
		"/fhir/Condition?patient=jane&_count=10&_count=20",
		"/fhir/Condition?patient=jane&_count=-1",
		"/fhir/Condition?patient=jane&_count=1e3",
		"/fhir/Condition?patient=jane&_offset=99999999999999999999",
		"/fhir/Condition?patient=jane&bogus=1",
		"/fhir/Condition?patient=jane&_format=xml",
		"/fhir/Condition?patient=jane&_format=application/fhir%2Bxml",
		"/fhir/Condition?patient=jane&_sort=bogus",
		"/fhir/Condition?patient=jane&date=notadate",
		"/fhir/Condition?patient=jane&_lastUpdated=gt2020-13-01",
		"/fhir/Condition?patient=jane&%00=1",
		"/fhir/Condition?patient=jane&patient=jane&patient=jane",
		"/fhir/Condition?patient=jane;_count=1",
		"/fhir/Condition?patient=",
		"/fhir/Condition?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918",
	} {
		id := fmt.Sprintf("q48c-%d", i)
		r := e.do("GET", q, gp, "", "X-Request-Id", id)
		n, st := review48cLogged(e, id)
		t.Logf("%-70s %d logged %d×(%d) %.140s", q, r.status, n, st, r.body)
		if r.status >= 500 || (r.status >= 400 && !strings.Contains(r.body, `"resourceType":"OperationOutcome"`)) {
			t.Errorf("%s: %d %.300s", q, r.status, r.body)
		}
		if n != 1 || st != r.status {
			t.Errorf("%s: logged %d times (status %d), want once with %d", q, n, st, r.status)
		}
	}
	for _, acc := range []string{"application/fhir+xml", "text/html", "application/xml;q=1, */*;q=0"} {
		r := e.do("GET", "/fhir/Condition?patient=jane", gp, "", "Accept", acc)
		t.Logf("Accept %q: %d %.140s", acc, r.status, r.body)
		if r.status != 406 && r.status != 200 || r.status == 406 && !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("Accept %q: %d %.300s", acc, r.status, r.body)
		}
	}
}

// TestReview48cReferenceWithControlCharIsRefused: a reference whose id
// ends in an escaped NUL (or a lone surrogate) is not a valid FHIR id
// ([A-Za-z0-9\-\.]{1,64}, as carex itself says of a resource id): the
// write must be refused 422 and store nothing, as "Patient/a_b" is. It
// was stored (201); the probe then shows whose record it joined.
func TestReview48cReferenceWithControlCharIsRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, c := range []struct{ name, ref string }{
		{"underscore", `Patient/jane_x`},
		{"escaped NUL", `Patient/jane\u0000`},
		{"lone surrogate", `Patient/jane\ud800`},
		{"escaped newline", `Patient/jane\n`},
	} {
		tag := "RC-" + strings.NewReplacer(" ", "", "(", "", ")", "").Replace(c.name)
		r := e.do("PUT", "/fhir/Condition/rc"+fmt.Sprint(len(tag)), sys, `{"resourceType":"Condition","id":"rc`+fmt.Sprint(len(tag))+`","subject":{"reference":"`+c.ref+`"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"`+tag+`"}}`)
		t.Logf("%-22s %d %.200s", c.name, r.status, r.body)
		if r.status != 422 && r.status != 400 {
			t.Errorf("reference %s: %d, want 422: %.300s", c.ref, r.status, r.body)
			s := e.do("GET", "/fhir/Condition?patient=jane", gp, "")
			t.Logf("  the practice's search of Jane's Conditions finds it: %v", strings.Contains(s.body, tag))
			ev := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
			t.Logf("  Jane's $everything (GP) holds it: %v", strings.Contains(ev.body, tag))
			n := e.do("GET", "/fhir/Condition?code=86406008", nurse, "")
			t.Logf("  the district nurse's search by HIV code: %d finds it: %v", n.status, strings.Contains(n.body, tag))
		}
	}
}
