package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Review 119b: the README followed from a clean clone as a new developer
// would. These probes replay, in-process, what was run by hand: the demo's
// printed tokens and curl lines, the consent cases testdata/demo/README.md
// says each line shows, and the README's own curl section.

var (
	review119bExport = regexp.MustCompile(`(?m)^export ([A-Z_]+)=(\S+)$`)
	review119bCurl   = regexp.MustCompile(`(?m)^curl -s -H "Authorization: Bearer \$([A-Z_]+)"(?: -H '([^']*)')? '([^']+)'$`)
)

type review119bAnswer struct {
	status int
	types  map[string]int
	ids    []string // Type/id of each entry, or of the resource
	notice bool     // an OperationOutcome entry (the confidential-items notice)
}

func review119bDo(t *testing.T, method, url, token string, headers map[string]string, body string) review119bAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := review119bAnswer{status: res.StatusCode, types: map[string]int{}}
	var doc struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Entry        []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return a
	}
	if doc.ResourceType != "Bundle" {
		a.ids = []string{doc.ResourceType + "/" + doc.ID}
		return a
	}
	for _, e := range doc.Entry {
		a.types[e.Resource.ResourceType]++
		if e.Resource.ResourceType == "OperationOutcome" {
			a.notice = true
			continue
		}
		a.ids = append(a.ids, e.Resource.ResourceType+"/"+e.Resource.ID)
	}
	return a
}

// TestReview119bSoundDemoPrintedLinesMatchDemoReadme: carex demo prints an
// export line for every role and curl lines; each curl line, run as
// printed, answers 200, and the consent cases answer as
// testdata/demo/README.md's "Consent cases" table says.
func TestReview119bSoundDemoPrintedLinesMatchDemoReadme(t *testing.T) {
	keys := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	addr := e2eFreeAddr(t)
	s := e2eStart(t, "demo", addr, "--addr", addr, "--dev-key", filepath.Join(keys, "dev-key.pem"), "--log-key", filepath.Join(keys, "log-key"))
	var out string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if out = s.stdout.String(); strings.Contains(out, "Stop with Ctrl-C.") {
			break
		}
	}
	tokens := map[string]string{}
	for _, m := range review119bExport.FindAllStringSubmatch(out, -1) {
		tokens[m[1]] = m[2]
	}
	for _, want := range []string{"DR_PATEL", "NURSE_OKAFOR", "DR_EVANS", "SW_HUGHES", "IG_MORGAN", "GP_SYSTEM", "COUNCIL_SYSTEM"} {
		if tokens[want] == "" {
			t.Errorf("the demo printed no export %s=…; printed %d tokens", want, len(tokens))
		}
	}
	// Before any break-glass line runs: the hospital has no relationship with Margaret.
	if a := review119bDo(t, "GET", s.base+"/fhir/Patient/margaret-demo/$everything", tokens["DR_EVANS"], nil, ""); a.status != 403 {
		t.Errorf("dr-evans GET Patient/margaret-demo/$everything without X-Break-Glass: %d, demo README says 403", a.status)
	}
	lines := review119bCurl.FindAllStringSubmatch(out, -1)
	if len(lines) < 20 {
		t.Fatalf("the demo printed %d curl lines:\n%s", len(lines), out)
	}
	for _, m := range lines {
		h := map[string]string{}
		if k, v, ok := strings.Cut(m[2], ": "); ok {
			h[k] = v
		}
		if a := review119bDo(t, "GET", m[3], tokens[m[1]], h, ""); a.status != 200 {
			t.Errorf("printed line as %s %s: %d", m[1], m[3], a.status)
		}
	}
	get := func(tok, path string, h map[string]string) review119bAnswer {
		return review119bDo(t, "GET", s.base+"/fhir/"+path, tokens[tok], h, "")
	}
	has := func(a review119bAnswer, id string) bool { return slices.Contains(a.ids, id) }

	// Priya, as the nurse: her 2026 gallstones, not the 2009 migraine nor the depression; only the 2025 opt-out.
	a := get("NURSE_OKAFOR", "Patient/priya-demo/$everything", nil)
	if !has(a, "Condition/priya-gallstones") || has(a, "Condition/priya-migraine") || has(a, "Condition/priya-depression") ||
		!has(a, "Consent/priya-opt-out-2025") || has(a, "Consent/priya-choices-2026") {
		t.Errorf("nurse-okafor Priya $everything: %v", a.ids)
	}
	// The hospital: only its own day surgery.
	if a = get("DR_EVANS", "Patient/priya-demo/$everything", nil); len(a.ids) != 1 || a.ids[0] != "Encounter/priya-day-surgery" {
		t.Errorf("dr-evans Priya $everything: %v, want only Encounter/priya-day-surgery", a.ids)
	}
	// With break-glass: everything but the depression, the IVF and the consent naming PSY.
	a = get("DR_EVANS", "Patient/priya-demo/$everything", map[string]string{"X-Break-Glass": "EMERGENCY: admitted unconscious via A&E"})
	if a.status != 200 || has(a, "Condition/priya-depression") || has(a, "Procedure/priya-ivf") || has(a, "Consent/priya-choices-2026") ||
		!has(a, "Condition/priya-migraine") || !has(a, "Condition/priya-gallstones") {
		t.Errorf("dr-evans Priya $everything with break-glass: %d %v", a.status, a.ids)
	}
	// The social worker: only the council's carer's assessment.
	if a = get("SW_HUGHES", "Patient/priya-demo/$everything", nil); len(a.ids) != 1 || a.ids[0] != "Task/priya-carers-assessment" {
		t.Errorf("sw-hughes Priya $everything: %v", a.ids)
	}
	// The GP: all of it, IVF included, but the community trust's wound check.
	a = get("DR_PATEL", "Patient/priya-demo/$everything", nil)
	if !has(a, "Procedure/priya-ivf") || !has(a, "Condition/priya-depression") || has(a, "Observation/priya-wound-assessment") || !has(a, "Encounter/priya-day-surgery") {
		t.Errorf("dr-patel Priya $everything: %v", a.ids)
	}
	// David: the hospital clinic sees the HIV diagnosis, the nurse does not, and gets the notice.
	ev, nu := get("DR_EVANS", "Condition?patient=david-demo", nil), get("NURSE_OKAFOR", "Condition?patient=david-demo", nil)
	if len(ev.ids) <= len(nu.ids) || !nu.notice || ev.notice {
		t.Errorf("David's Conditions: dr-evans %v (notice %v), nurse-okafor %v (notice %v)", ev.ids, ev.notice, nu.ids, nu.notice)
	}
	// Jane's expired restriction: the social worker sees every Condition, no notice.
	if a = get("SW_HUGHES", "Condition?patient=jane-demo", nil); a.notice || len(a.ids) != len(get("DR_PATEL", "Condition?patient=jane-demo", nil).ids) {
		t.Errorf("sw-hughes Jane's Conditions: %v notice %v", a.ids, a.notice)
	}
	// Arthur and Margaret: the council's own data only, and the notice.
	for _, p := range []string{"arthur-demo", "margaret-demo"} {
		if a = get("SW_HUGHES", "Patient/"+p+"/$everything", nil); !a.notice || has(a, "Patient/"+p) {
			t.Errorf("sw-hughes %s $everything: %v notice %v", p, a.ids, a.notice)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("demo exit %d", code)
	}
}

// TestReview119bSoundReadmeCurlSection: the README's quick-start token
// (carex token --sub nurse1 … --org RCX) and its "curl" section, run
// against the demo: the NHS-number search finds Jane, the POST of a
// Patient is 201, the home-visit transaction is 200 and the CarePlan
// search with _include returns the included Condition.
func TestReview119bSoundReadmeCurlSection(t *testing.T) {
	keys := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	devKey := filepath.Join(keys, "dev-key.pem")
	addr := e2eFreeAddr(t)
	s := e2eStart(t, "demo", addr, "--addr", addr, "--dev-key", devKey, "--log-key", filepath.Join(keys, "log-key"))
	code, tok, errOut := e2eRun(t, "token", "--dev-key", devKey, "--sub", "nurse1", "--name", "Nurse One", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if code != 0 {
		t.Fatalf("carex token: %d %s", code, errOut)
	}
	tok = strings.TrimSpace(tok)
	B := s.base + "/fhir"
	if a := review119bDo(t, "GET", B+"/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", tok, nil, ""); a.status != 200 || !slices.Contains(a.ids, "Patient/jane-demo") {
		t.Errorf("quick start search: %d %v", a.status, a.ids)
	}
	if a := review119bDo(t, "GET", B+"/Patient?family=hargreaves&_count=5&_elements=name,birthDate", tok, nil, ""); a.status != 200 || len(a.ids) != 1 {
		t.Errorf("family=hargreaves: %d %v", a.status, a.ids)
	}
	ct := map[string]string{"Content-Type": "application/fhir+json"}
	if a := review119bDo(t, "POST", B+"/Patient", tok, ct, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Example"}]}`); a.status != 201 {
		t.Errorf("README POST Patient: %d", a.status)
	}
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "home-visit-transaction.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a := review119bDo(t, "POST", B, tok, ct, string(body)); a.status != 200 {
		t.Errorf("README home-visit transaction: %d", a.status)
	}
	a := review119bDo(t, "GET", B+"/CarePlan?patient=jane-demo&_include=CarePlan:condition", tok, nil, "")
	if a.status != 200 || a.types["CarePlan"] < 2 || a.types["Condition"] < 1 {
		t.Errorf("CarePlan with _include: %d %v", a.status, a.types)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("demo exit %d", code)
	}
}
