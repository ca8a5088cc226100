package main

// Review 79d: what the operator sees of the binary — carex serve --dev's
// application log (stderr), carex import's and carex audit's output — and
// no personal data in them.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/internal/lognoise"
)

// TestReview79dSoundServeStderrAndCLIOutputHoldNoPersonalData: carex
// serve --dev at debug level, driven with requests that carry a person's
// details (a search by NHS number valid, spaced and failing modulus 11; a
// 422 and a 400 body with name, address, phone; a failed conditional
// reference by NHS number; a transaction whose 5th entry is invalid; a
// break-glass reason naming the person; a token whose name claim is a
// person's; paths with patient ids), then stopped; carex import of a bad
// bundle with the same details, carex audit verify and export. None of the
// details reach stderr or the commands' terminal output (README: the
// application log "never contains personal data"; an import's output
// "lands in terminals and scheduler or CI logs, which hold no personal
// data").
func TestReview79dSoundServeStderrAndCLIOutputHoldNoPersonalData(t *testing.T) {
	dir := t.TempDir()
	db, devKey, logKey := filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	s := e2eServe(t, "127.0.0.1:0", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--dev-key", devKey, "--log-key", logKey, "--log-level", "debug")
	mint := func(args ...string) string {
		code, out, errs := e2eRun(t, append([]string{"token", "--dev-key", devKey}, args...)...)
		if code != 0 {
			t.Fatalf("token: %d %s", code, errs)
		}
		return strings.TrimSpace(out)
	}
	sys := mint("--sub", "feed", "--role", "system", "--sector", "nhs", "--org", "A81001")
	gp := mint("--sub", "quimby.fairweather@nhs.net", "--name", "Quimby Fairweather", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	stranger := mint("--sub", "q.f", "--name", "Quimby Fairweather", "--role", "hospital-clinician", "--sector", "nhs", "--org", "Z99999")
	person := `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}],"name":[{"family":"Acaciason","given":["Quimby"]}],"address":[{"line":["12 Acacia Avenue"],"postalCode":"LS1 4QQ"}],"telecom":[{"system":"phone","value":"07700 900461"}],"birthDate":"1961-02-28"`
	okPatient := `{"resourceType":"Patient",` + person + `,"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	badPatient := `{"resourceType":"Patient","name":[{"family":"Acaciason"}],"birthDate":"1961-02-30","telecom":[{"system":"phone","value":"07700 900461"}]}`
	entry := func(body string) string {
		return `{"resource":` + body + `,"request":{"method":"POST","url":"Patient"}}`
	}
	other := `{"resourceType":"Patient","name":[{"family":"Acaciason"}]}`
	txn := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join([]string{entry(other), entry(other), entry(other), entry(other), entry(badPatient)}, ",") + `]}`
	type req struct {
		method, path, tok, body string
		hdr                     []string
	}
	reqs := []req{
		{"PUT", "/fhir/Patient/quimby-acaciason-19610228", sys, strings.Replace(okPatient, `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"quimby-acaciason-19610228",`, 1), nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|4010232137", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|401%20023%202138", gp, "", nil},
		{"GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|4010232138", gp, "", nil},
		{"POST", "/fhir/Patient", sys, badPatient, nil},
		{"POST", "/fhir/Patient", sys, `{"resourceType":"Patient",` + person + `,`, nil},
		{"POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Acaciason"},"subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765870"}},"request":{"method":"POST","url":"Observation"}}]}`, nil},
		{"POST", "/fhir", sys, txn, nil},
		{"GET", "/fhir/Patient/quimby-acaciason-19610228/$everything", stranger, "", []string{"X-Break-Glass", "EMERGENCY: Quimby Acaciason collapsed at 12 Acacia Ave"}},
		{"GET", "/fhir/Patient/quimby-acaciason-19610228", gp, "", nil},
		{"GET", "/fhir/Patient/quimby-acaciason-19610228/Acaciason", gp, "", nil},
		{"GET", "/metrics", gp, "", nil},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var outs []string
	for _, r := range reqs {
		var body io.Reader
		if r.body != "" {
			body = strings.NewReader(r.body)
		}
		hr, _ := http.NewRequest(r.method, s.base+r.path, body)
		hr.Header.Set("Authorization", "Bearer "+r.tok)
		if r.body != "" {
			hr.Header.Set("Content-Type", "application/fhir+json")
		}
		for i := 0; i+1 < len(r.hdr); i += 2 {
			hr.Header.Set(r.hdr[i], r.hdr[i+1])
		}
		res, err := client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		outs = append(outs, r.method+" "+r.path+" -> "+res.Status)
		if r.path == "/metrics" {
			for _, p := range []string{"quimby", "Acacia", "4010232137"} {
				if strings.Contains(string(b), p) {
					t.Errorf("/metrics holds %q", p)
				}
			}
		}
	}
	t.Logf("%s", strings.Join(outs, "\n"))
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d:\n%s", code, s.stderr.String())
	}
	var texts []string
	texts = append(texts, "serve stderr:\n"+s.stderr.String(), "serve stdout:\n"+s.stdout.String())
	// carex import of a bad file (the 5th entry invalid).
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(txn, `"resourceType":"Bundle"`, `"resourceType":"Bundle","id":"b"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e2eRun(t, "import", "--db", filepath.Join(dir, "imp.db"), "--org", "A81001", bad)
	if code == 0 {
		t.Errorf("premise: import of a bad bundle exited 0")
	}
	texts = append(texts, "import:\n"+out+errs)
	code, out, errs = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 {
		t.Errorf("premise: audit verify %d %s %s", code, out, errs)
	}
	texts = append(texts, "verify:\n"+out+errs)
	exp := filepath.Join(dir, "export.ndjson")
	code, out, errs = e2eRun(t, "audit", "export", "--db", db, "--pubkey", logKey+".pub", "--out", exp)
	if code != 0 {
		t.Errorf("premise: audit export %d %s %s", code, out, errs)
	}
	texts = append(texts, "export:\n"+out+errs)
	if b, _ := os.ReadFile(exp); !strings.Contains(string(b), "EMERGENCY") {
		t.Errorf("premise: the export holds no break-glass entry")
	}
	all := lognoise.Strip(strings.Join(texts, "\n"))
	t.Logf("%.3000s", all)
	for _, p := range []string{"4010232137", "4010232138", "401 023", "Acacia", "Quimby", "quimby", "Fairweather", "07700", "900461", "LS1", "1961", "collapsed", "EMERGENCY"} {
		for _, l := range strings.Split(all, "\n") {
			if strings.Contains(l, p) {
				t.Errorf("the operator's output holds %q: %.400s", p, l)
				break
			}
		}
	}
}
