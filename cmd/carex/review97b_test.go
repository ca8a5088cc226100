package main

// Review 97b: the README as a new user reads it. Each probe follows a step
// of README.md (quick start, carex demo and the curl lines it prints, carex
// gen and the import lines it prints, carex audit, carex version, --help)
// and compares what carex answers with what the README says it answers.
// Its three findings are fixed: a search by NHS number finding no one is in
// that person's report, carex version names the commit, and checkpoint no
// longer calls a log with unsigned entries empty.

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

var r97bClient = &http.Client{Timeout: 30 * time.Second}

func newR97bRequest(url, token, breakGlass string) (*http.Request, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if breakGlass != "" {
		req.Header.Set("X-Break-Glass", breakGlass)
	}
	return req, nil
}

func openR97bDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// r97bCurl is one curl line the demo prints: the token variable it uses,
// and the URL and break-glass reason it sends.
type r97bCurl struct {
	comment, tokenVar, url, breakGlass string
}

var (
	r97bExport = regexp.MustCompile(`(?m)^export ([A-Z_]+)=(\S+)$`)
	r97bCurlRe = regexp.MustCompile(`^curl -s -H "Authorization: Bearer \$([A-Z_]+)"(?: -H 'X-Break-Glass: ([^']*)')? '([^']+)'$`)
)

// r97bDemo starts carex demo as the quick start does and reads its printed
// tokens and curl lines.
func r97bDemo(t *testing.T) (s *server, tokens map[string]string, curls []r97bCurl, devKey string) {
	t.Helper()
	keys := t.TempDir()
	devKey = filepath.Join(keys, "dev-key.pem")
	addr := e2eFreeAddr(t)
	s = e2eStart(t, "demo", addr, "--addr", addr, "--dev-key", devKey, "--log-key", filepath.Join(keys, "log-key"))
	out := s.stdout.String()
	tokens = map[string]string{}
	for _, m := range r97bExport.FindAllStringSubmatch(out, -1) {
		tokens[m[1]] = m[2]
	}
	comment := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# ") {
			comment = line
		}
		if m := r97bCurlRe.FindStringSubmatch(line); m != nil {
			curls = append(curls, r97bCurl{comment: comment, tokenVar: m[1], breakGlass: m[2], url: m[3]})
		} else if strings.HasPrefix(line, "curl ") {
			t.Errorf("a curl line the demo prints is not of the expected shape: %s", line)
		}
	}
	return s, tokens, curls, devKey
}

func r97bGet(t *testing.T, url, token, breakGlass string) (int, map[string]any) {
	t.Helper()
	req, err := newR97bRequest(url, token, breakGlass)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r97bClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %d, not JSON: %v", url, res.StatusCode, err)
	}
	return res.StatusCode, body
}

// r97bIDs lists the Type/id of a Bundle's entries.
func r97bIDs(b map[string]any) []string {
	var ids []string
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		r, _ := e.(map[string]any)["resource"].(map[string]any)
		if r == nil {
			continue
		}
		id, _ := r["id"].(string)
		ids = append(ids, r["resourceType"].(string)+"/"+id)
	}
	return ids
}

func r97bHas(ids []string, want string) bool {
	for _, id := range ids {
		if id == want {
			return true
		}
	}
	return false
}

// TestReview97bSoundDemoCurlLinesAnswer: every curl line carex demo prints
// works with the token it names (one printed for every role of SPEC §1),
// and the cases the comments and README's quick start describe answer as
// they say: Priya's nurse sees her gallstones and not her migraine nor her
// depression; the hospital reaches Margaret only by breaking glass, and
// her restricted demographics (address, telephone, GP) stay out; David's
// HIV condition reaches the hospital and not the nurse; the IG officer's
// $break-glass report lists the access.
func TestReview97bSoundDemoCurlLinesAnswer(t *testing.T) {
	s, tokens, curls, devKey := r97bDemo(t)
	for _, v := range []string{"DR_PATEL", "NURSE_OKAFOR", "DR_EVANS", "SW_HUGHES", "IG_MORGAN", "GP_SYSTEM", "COUNCIL_SYSTEM"} {
		if tokens[v] == "" {
			t.Errorf("the demo prints no token %s", v)
		}
	}
	if len(curls) < 20 {
		t.Fatalf("the demo prints %d curl lines", len(curls))
	}
	// Margaret without the break-glass header: 403, as the comment says
	// (before the printed break-glass line opens her record for 4 hours).
	code, _ := r97bGet(t, s.base+"/fhir/Patient/margaret-demo/$everything", tokens["DR_EVANS"], "")
	if code != 403 {
		t.Errorf("hospital's $everything of Margaret without break-glass: %d, want 403", code)
	}
	answers := map[string][]string{}
	for _, c := range curls {
		tok := tokens[c.tokenVar]
		if tok == "" {
			t.Errorf("%s: uses $%s, which the demo does not print", c.comment, c.tokenVar)
			continue
		}
		code, body := r97bGet(t, c.url, tok, c.breakGlass)
		if code != 200 {
			t.Errorf("%s\n  GET %s: %d %v", c.comment, c.url, code, body)
			continue
		}
		answers[c.tokenVar+" "+c.url] = r97bIDs(body)
	}
	find := func(tokenVar, suffix string) []string {
		for _, c := range curls {
			if c.tokenVar == tokenVar && strings.HasSuffix(c.url, suffix) {
				return answers[c.tokenVar+" "+c.url]
			}
		}
		t.Fatalf("no curl line of $%s ending %s", tokenVar, suffix)
		return nil
	}
	priya := find("NURSE_OKAFOR", "/Patient/priya-demo/$everything")
	if !r97bHas(priya, "Condition/priya-gallstones") || r97bHas(priya, "Condition/priya-migraine") || r97bHas(priya, "Condition/priya-depression") {
		t.Errorf("Priya's nurse: %v", priya)
	}
	conditions := func(ids []string) (n int) {
		for _, id := range ids {
			if strings.HasPrefix(id, "Condition/") {
				n++
			}
		}
		return n
	}
	hivHospital := conditions(find("DR_EVANS", "/Condition?patient=david-demo"))
	hivNurse := conditions(find("NURSE_OKAFOR", "/Condition?patient=david-demo"))
	if hivNurse >= hivHospital {
		t.Errorf("David's conditions: hospital %d, nurse %d entries; the nurse should see fewer", hivHospital, hivNurse)
	}
	code, body := r97bGet(t, s.base+"/fhir/Patient/margaret-demo/$everything", tokens["DR_EVANS"], "EMERGENCY: brought in unconscious, no next of kin reachable")
	if code != 200 {
		t.Fatalf("with break-glass: %d", code)
	}
	for _, e := range body["entry"].([]any) {
		r := e.(map[string]any)["resource"].(map[string]any)
		if r["resourceType"] == "Patient" {
			for _, k := range []string{"address", "telecom", "generalPractitioner"} {
				if r[k] != nil {
					t.Errorf("Margaret's restricted %s released to the hospital: %v", k, r[k])
				}
			}
		}
	}
	// The quick start's own token and search.
	code2, tok, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "nurse1", "--name", "Nurse One", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if code2 != 0 {
		t.Fatalf("carex token: %d %s", code2, errs)
	}
	code, body = r97bGet(t, s.base+"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", strings.TrimSpace(tok), "")
	if code != 200 || !r97bHas(r97bIDs(body), "Patient/jane-demo") {
		t.Errorf("quick start search for Jane by NHS number: %d %v", code, r97bIDs(body))
	}
}

// TestReview97bSoundGenImportLinesLoadTheManifest: carex gen --out prints
// the carex import lines to run, GP practice first; run as printed (with
// the test's --db), they load every resource the manifest counts.
func TestReview97bSoundGenImportLinesLoadTheManifest(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pop")
	code, stdout, stderr := e2eRun(t, "gen", "--people", "20", "--out", out)
	if code != 0 {
		t.Fatalf("gen: %d %s", code, stderr)
	}
	var lines []string
	for _, l := range strings.Split(stdout+stderr, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "carex import ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 4 || !strings.Contains(lines[0], "--org A81001") {
		t.Fatalf("gen's import lines: %q", lines)
	}
	db := filepath.Join(dir, "carex.db")
	for _, l := range lines {
		args := strings.Fields(strings.TrimPrefix(l, "carex "))
		for i := range args {
			if args[i] == "--db" {
				args[i+1] = db
			}
		}
		args = append([]string{args[0], "--quiet"}, args[1:]...)
		if code, _, errs := e2eRun(t, args...); code != 0 {
			t.Fatalf("%s: %d %s", l, code, errs)
		}
	}
	var m struct {
		Resources int `json:"resources"`
	}
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.Resources == 0 {
		t.Fatalf("manifest: %v %s", err, b)
	}
	conn := openR97bDB(t, db)
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM resources WHERE deleted = 0`).Scan(&n); err != nil {
		t.Skipf("could not count resources: %v", err)
	}
	if n != m.Resources {
		t.Errorf("imported %d resources, the manifest counts %d", n, m.Resources)
	}
}

// TestReview97bSoundReadmeFlagsInHelp: every flag the README's command
// table gives a command is in that command's --help.
func TestReview97bSoundReadmeFlagsInHelp(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `carex ((?:audit )?[a-z]+)[^`]*` \\|")
	flag := regexp.MustCompile(`--[a-z][a-z-]+`)
	for _, line := range strings.Split(string(readme), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cmd := m[1]
		if cmd == "policy" || cmd == "version" {
			continue
		}
		synopsis := line[:strings.Index(line[2:], "`")+3]
		code, out, errs := e2eRun(t, append(strings.Fields(cmd), "--help")...)
		help := out + errs
		if code != 0 {
			t.Errorf("carex %s --help: exit %d", cmd, code)
		}
		for _, f := range flag.FindAllString(synopsis, -1) {
			if !strings.Contains(help, f) {
				t.Errorf("README gives carex %s %s; its --help does not list it", cmd, f)
			}
		}
	}
}

// TestReview97bVersionNamesTheBuild: README's command table says
// `carex version` "prints the version", and the README asks operators to
// tell releases apart (run relabel once "after upgrading to the release that
// records them", "upgrade every host that runs carex import with the
// server"). A binary built as the quick start builds it (go build -o carex
// ./cmd/carex) prints "carex dev" whatever commit it was built from:
// main.go's version is "dev" and nothing in the repository sets it (no
// -ldflags anywhere), nor is the build's VCS revision read. Judgement: an
// operator checking which release a host runs learns nothing.
func TestReview97bVersionNamesTheBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (or no git): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "carex")
	// (this machine's GOFLAGS say -buildvcs=false; a user's go build
	// records the commit by default)
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("carex version: %v %s", err, out)
	}
	if rev := strings.TrimSpace(string(head))[:12]; !strings.Contains(string(out), rev) {
		t.Errorf("a binary built from a git checkout at %s: carex version prints %q: no commit", rev, strings.TrimSpace(string(out)))
	}
}

// TestReview97bCheckpointCallsALogWithEntriesEmpty: right after a
// served request (before the server's first 10-second checkpoint), carex
// audit checkpoint refuses as it should — but says "access log is empty"
// of a log that holds entries (carex audit verify on the same files counts
// them). README: only a database never served has no log, and that is when
// "checkpoint and prove say there is nothing to sign or prove yet".
// Cause: store/auditlog/anchor.go LatestCheckpoint wraps ErrEmpty
// ("auditlog: access log is empty") for "no checkpoint row yet".
func TestReview97bCheckpointCallsALogWithEntriesEmpty(t *testing.T) {
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	tok := e2eToken(t, devKey)
	if code, _ := s.get(t, "/fhir/Patient?_summary=count", tok); code != 200 {
		t.Fatalf("search: %d", code)
	}
	// Wait until the entry is in the tables (verify counts it there), which
	// the server copies from its journal within a moment.
	counted := regexp.MustCompile(`(?m)^entries: [1-9]`)
	var vout string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, vout, _ = e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); counted.MatchString(vout) {
			break
		}
	}
	if !counted.MatchString(vout) {
		t.Skipf("the entry did not reach the tables within 5s:\n%s", vout)
	}
	code, out, errs := e2eRun(t, "audit", "checkpoint", "--db", db, "--pubkey", logKey+".pub")
	t.Logf("checkpoint: exit %d %s%s\nverify: %s", code, out, errs, vout)
	if code == 0 {
		t.Skip("the server had already signed a checkpoint; the window this probe needs was missed")
	}
	if strings.Contains(out+errs, "access log is empty") {
		t.Errorf("audit checkpoint on a log whose tables hold entries says it is empty:\n%s%s\naudit verify says:\n%s", out, errs, vout)
	}
}

// TestReview97bNHSNumberSearchThatFindsNothingMissingFromHerReport:
// README (The access log) says a refused search is logged "as a working
// token's search would be logged (… `Patient?identifier=…nhs-number|N` …,
// which keeps the number and names whoever carries it)", so that IG's
// $who-accessed lists it. With a working token, a search by her NHS number
// that another parameter narrows to nothing (`&family=Quimby`,
// `&birthdate=1900-01-01`: a test of what her record holds) is logged with
// the number but names no one, and her $who-accessed does not list it —
// while the same search with a bad token (401) is listed under her.
// Expected (a careful IG officer answering a subject access request): every
// search by her NHS number is in her report.
func TestReview97bNHSNumberSearchThatFindsNothingMissingFromHerReport(t *testing.T) {
	dir := t.TempDir()
	s, _, devKey, _ := e2eDevServer(t, dir)
	gp := e2eToken(t, devKey)
	const nhs = "9434765919"
	body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Example"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	req, _ := http.NewRequest("POST", s.base+"/fhir/Patient", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+gp)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := r97bClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID string `json:"id"`
	}
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != 201 || created.ID == "" {
		t.Fatalf("POST Patient: %d", res.StatusCode)
	}
	q := "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + nhs
	if code, _ := s.get(t, q+"&family=Quimby", gp); code != 200 {
		t.Fatalf("search: %d", code)
	}
	if code, _ := s.get(t, q+"&family=Quimby", "not.a.token"); code != 401 {
		t.Fatalf("search with a bad token: %d", code)
	}
	_, ig, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if ig == "" {
		t.Fatal(errs)
	}
	code, rep := s.get(t, "/fhir/AuditEvent/$who-accessed?patient="+created.ID, strings.TrimSpace(ig))
	if code != 200 {
		t.Fatalf("$who-accessed: %d %s", code, rep)
	}
	var r struct {
		Entries []struct {
			Sub       string `json:"sub"`
			Path      string `json:"path"`
			Status    int    `json:"status"`
			Operation string `json:"operation"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(rep), &r); err != nil {
		t.Fatal(err)
	}
	var ok, refused bool
	for _, e := range r.Entries {
		if e.Path == "/fhir/Patient" && e.Operation == "search" {
			ok = ok || e.Status == 200
			refused = refused || e.Status == 401
		}
	}
	if !refused {
		t.Errorf("the 401 search by her NHS number is not in her $who-accessed either: %s", rep)
	}
	if !ok {
		t.Errorf("the GP's search by her NHS number (answered 200, nothing found) is not in her $who-accessed; the same search refused 401 is (%v): %s", refused, rep)
	}
}
