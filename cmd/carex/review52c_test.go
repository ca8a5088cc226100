package main

// Review 52c: personal data outside the access log — what carex import
// prints on an operator's terminal (and so in CI and scheduler logs).

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/internal/lognoise"
)

// TestReview52cImportErrorsQuoteNoId: carex import's errors name the
// resource they refuse as Type/id unquoted — "Bundle.entry[0] and entry[1]
// both change Patient/<id>", "Patient/<id>: the id is taken …" (an id
// another organisation holds), "Patient/<id> is at version 1, If-Match
// asked for 9", "Patient/<id>: resource not found" (a DELETE) — so
// leaveOutValues (review 16e: quoted strings and runs of ten digits only)
// leaves the id in. An id made of a person's name and date of birth (a
// feed's "smith-jane-19500304"), or naming a diagnosis
// ("smith-jane-hiv"), lands in the operator's terminal and in scheduler
// and CI logs, which must hold no personal data (review 4g and 16e treat
// ids as personal: "an id may be an NHS number").
func TestReview52cImportErrorsQuoteNoId(t *testing.T) {
	dir := t.TempDir()
	const id = "smith-jane-19500304"
	db := filepath.Join(dir, "c.db")
	seed := r10dWrite(t, dir, "seed.ndjson", `{"resourceType":"Patient","id":"`+id+`","name":[{"family":"Okafor"}]}`+"\n"+
		`{"resourceType":"Condition","id":"smith-jane-hiv","subject":{"reference":"Patient/`+id+`"},"code":{"text":"x"}}`+"\n")
	if code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", seed); code != 0 {
		t.Fatalf("premise: seed import: %s%s", out, errs)
	}
	tx := func(entries string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + entries + `]}`
	}
	put := `{"resource":{"resourceType":"Patient","id":"` + id + `"},"request":{"method":"PUT","url":"Patient/` + id + `"}}`
	for _, c := range []struct{ name, org, file, body string }{
		{"two entries change one resource", "A81001", "dup.json", tx(put + "," + put)},
		{"an id another organisation holds", "RCX", "taken.ndjson", `{"resourceType":"Condition","id":"smith-jane-hiv","subject":{"reference":"Patient/` + id + `"},"code":{"text":"x"}}` + "\n"},
		{"a stale ifMatch", "A81001", "stale.json", tx(`{"resource":{"resourceType":"Patient","id":"` + id + `"},"request":{"method":"PUT","url":"Patient/` + id + `","ifMatch":"W/\"9\""}}`)},
		{"a DELETE of another organisation's", "RCX", "del.json", tx(`{"request":{"method":"DELETE","url":"Patient/` + id + `"}}`)},
	} {
		f := r10dWrite(t, dir, c.file, c.body)
		code, out, errs := e2eRun(t, "import", "--db", db, "--org", c.org, "--quiet", f)
		if code == 0 {
			t.Errorf("%s: premise: imported:\n%s%s", c.name, out, errs)
			continue
		}
		for _, p := range []string{"smith", "jane", "19500304", "hiv"} {
			if strings.Contains(lognoise.Strip(out+errs), p) {
				t.Errorf("%s: the import's output quotes %q:\n%s", c.name, p, errs)
				break
			}
		}
	}
}

// TestReview52cSoundImportErrorsLeaveValuesOut: variants of review 16e's
// check that passed when written: a month 13, an NHS number with dashes, an
// id with spaces, a reference to such an id, a gender code, an unknown
// resource type, an NHS number in a conditional reference written with
// spaces, an ifNoneExist with an unknown parameter, a conditional DELETE
// url, a PUT url not matching the id, a urn:uuid naming no entry.
func TestReview52cSoundImportErrorsLeaveValuesOut(t *testing.T) {
	dir := t.TempDir()
	tx := func(entry string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + entry + `]}`
	}
	for i, c := range []struct{ file, body string }{
		{"a.ndjson", `{"resourceType":"Patient","id":"p1","birthDate":"1950-13-04","name":[{"family":"Zebedee"}]}`},
		{"b.ndjson", `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943-476-5918"}]}`},
		{"c.ndjson", `{"resourceType":"Patient","id":"Zebedee Smith 1950","name":[{"family":"Zebedee"}]}`},
		{"d.ndjson", `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/Zebedee Smith"}}`},
		{"e.ndjson", `{"resourceType":"Patient","id":"p1","gender":"Zebedee"}`},
		{"f.ndjson", `{"resourceType":"Zebedee9434765919"}`},
		{"g.json", tx(`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943 476 5919"}},"request":{"method":"POST","url":"Observation"}}`)},
		{"h.json", tx(`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient","ifNoneExist":"family=Smith&birthdate=1950-03-04&zebedee=1"}}`)},
		{"i.json", tx(`{"request":{"method":"DELETE","url":"Patient?family=Zebedee&birthdate=1950-03-04"}}`)},
		{"j.json", tx(`{"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/zebedee-1950"}}`)},
		{"k.json", tx(`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:zebedee-smith"}},"request":{"method":"POST","url":"Observation"}}`)},
	} {
		f := r10dWrite(t, dir, c.file, c.body+"\n")
		code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, c.file+".db"), "--org", "A81001", "--quiet", f)
		if code == 0 {
			t.Errorf("%d %s: premise: imported", i, c.file)
			continue
		}
		for _, p := range []string{"Zebedee", "zebedee", "Smith", "1950", "9434765918", "943-476-5918", "943 476 5919"} {
			if strings.Contains(lognoise.Strip(out+errs), p) {
				t.Errorf("%s: the import's output quotes %q:\n%s%s", c.file, p, out, errs)
			}
		}
	}
}

// TestReview52cSoundServeStderrHoldsNoPersonalData: carex serve --dev at
// debug level, driven over HTTP with writes, searches, break-glass, bad
// bodies and bad requests net/http itself answers (a request line and
// header carrying an NHS number, a conflicting Content-Length), holds none
// of the personal data in its standard error.
func TestReview52cSoundServeStderrHoldsNoPersonalData(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey, "--log-level", "debug")
	code, tokOut, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "zebedee-user", "--name", "Dr Zebedee Quimby", "--role", "system", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("carex token: %s", errs)
	}
	sys := strings.TrimSpace(tokOut)
	_, hospOut, _ := e2eRun(t, "token", "--dev-key", devKey, "--sub", "h", "--role", "hospital-clinician", "--sector", "nhs", "--org", "Z99999")
	hosp := strings.TrimSpace(hospOut)
	do := func(method, path, tok, body string, hdr ...string) int {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, s.base+path, rd)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/fhir+json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	pat := `{"resourceType":"Patient","id":"zeb","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Zebedee","given":["Quimby"]}],"birthDate":"1950-03-04","address":[{"line":["1 Refuge Road"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	if c := do("PUT", "/fhir/Patient/zeb", sys, pat); c != 201 && c != 200 {
		t.Fatalf("premise: PUT Patient %d", c)
	}
	do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&family=Zebedee&birthdate=1950-03-04", sys, "")
	do("GET", "/fhir/Patient/zeb/$everything", hosp, "", "X-Break-Glass", "EMERGENCY: Zebedee 9434765919 at 1 Refuge Road")
	do("POST", "/fhir/Patient", sys, strings.Replace(pat, "9434765919", "9434765918", 1))
	do("POST", "/fhir/Patient", sys, `{"resourceType":"Patient","name":[{"family":"Zebedee"`)
	do("GET", "/fhir/Patient/zeb/Refuge9434765919", sys, "")
	do("GET", "/metrics", sys, "")
	for _, raw := range []string{
		"GET /fhir/Patient/zeb HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sys + "\r\nContent-Length: 3\r\nContent-Length: 4\r\nX-Note: Zebedee 9434765919\r\n\r\nabcd",
		"GET /fhir/Patient?name=Zebedee%20Refuge HTTP/1.1\r\nHost: x\r\nX-Bad\x01: Zebedee\r\n\r\n",
		"GET /fhir/Patient?name=Zebedee;birthdate=1950-03-04 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sys + "\r\n\r\n",
		"POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sys + "\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nZebedee 9434765919\r\n",
	} {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte(raw))
		io.Copy(io.Discard, conn)
		conn.Close()
	}
	do("GET", "/fhir/Patient/zeb", sys, "")
	s.stop(t)
	all := lognoise.Strip(s.stdout.String() + s.stderr.String())
	if !strings.Contains(all, "carex listening") {
		t.Fatalf("premise: no log captured:\n%s", all)
	}
	for _, p := range []string{"9434765919", "9434765918", "Zebedee", "Quimby", "Refuge", "1950", "zeb\"", "Patient/zeb"} {
		if strings.Contains(all, p) {
			t.Errorf("serve's output holds %q:\n%s", p, all)
		}
	}
}

// TestReview52cImportIntegerErrorQuotesValue (minor): an integer element
// holding a non-integer is refused with "Observation.valueInteger:
// 943476591.5 is not a 32-bit integer": the value is printed unquoted and
// has fewer than ten digits in a run, so leaveOutValues leaves it in,
// though review 16e's rule is that an import's error names the element and
// what is wrong "without the values the API's answer quotes".
func TestReview52cImportIntegerErrorQuotesValue(t *testing.T) {
	dir := t.TempDir()
	f := r10dWrite(t, dir, "int.ndjson", `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"valueInteger":943476591.5}`+"\n")
	code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "c.db"), "--org", "A81001", "--quiet", f)
	if code == 0 {
		t.Fatalf("premise: imported:\n%s%s", out, errs)
	}
	if !strings.Contains(errs, "valueInteger") {
		t.Errorf("the error no longer names the element:\n%s", errs)
	}
	if strings.Contains(out+errs, "943476591") {
		t.Errorf("the import's output quotes the value:\n%s", errs)
	}
}
