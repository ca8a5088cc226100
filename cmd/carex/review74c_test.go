package main

// Review 74c: the README as a newcomer reads it — does every example run as
// written, and does every error a newcomer is likely to hit say what went
// wrong and what to do (SPEC §7; the project's rule "errors say what went
// wrong and what to do")? Tests only. The TestReview74cSound… tests pass:
// README claims checked and found to hold. The others fail on the code
// they were written against (3414d91).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// r74Run runs the carex command line with a deadline, so that a command
// that unexpectedly starts serving does not hang the test.
func r74Run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// r74Do is one HTTP request as curl makes it.
func r74Do(t *testing.T, method, url, token, ctype string, body []byte) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// r74Home gives the test a newcomer's empty home (where the default
// development and log keys are made) and temporary directory.
func r74Home(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "") // TestMain points it elsewhere; a newcomer's is unset
	t.Setenv("TMPDIR", t.TempDir())
	return home
}

// ---------------------------------------------------------------------------
// Findings (fail on 3414d91)
// ---------------------------------------------------------------------------

// TestReview74cEnvValueErrorSaysFlagAndForm: README "Every flag can also be
// set by an environment variable (`--db` ↔ `CAREX_DB`, …)", SPEC §2 "Every
// flag also has an environment variable". A deployment sets carex up by its
// environment (a systemd unit, a container): a value the flag cannot take
// is answered, before anything else, with only
//
//	carex serve: CAREX_DEV="yes": parse error
//	carex token: CAREX_TTL="8": parse error
//	carex serve: CAREX_MAX_BODY="8MB": parse error
//
// — no flag named, no hint of the form it takes (true/false, a duration
// such as 8h, a number of bytes), and unlike the same mistake on the
// command line no usage with the defaults. The project's rule: errors say
// what went wrong and what to do. Severity: a cost (an operator's time), no
// data released. Same on the parent (parseFlags unchanged).
func TestReview74cEnvValueErrorSaysFlagAndForm(t *testing.T) {
	r74Home(t)
	dir := t.TempDir()
	cases := []struct {
		env, val string
		args     []string
		flag     string
		hints    []string // any one of them tells the form
	}{
		{"CAREX_DEV", "yes", []string{"serve", "--db", filepath.Join(dir, "a.db"), "--addr", "127.0.0.1:0"}, "--dev", []string{"true", "boolean"}},
		{"CAREX_TTL", "8", []string{"token", "--sub", "n", "--role", "gp", "--sector", "nhs", "--org", "A81001"}, "--ttl", []string{"duration", "8h"}},
		{"CAREX_MAX_BODY", "8MB", []string{"serve", "--dev", "--db", filepath.Join(dir, "b.db"), "--addr", "127.0.0.1:0"}, "--max-body", []string{"bytes", "integer", "number"}},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			t.Setenv(c.env, c.val)
			code, _, errs := r74Run(t, c.args...)
			if code == 0 {
				t.Fatalf("%s=%s: carex %s succeeded", c.env, c.val, c.args[0])
			}
			hinted := false
			for _, h := range c.hints {
				hinted = hinted || strings.Contains(errs, h)
			}
			if !strings.Contains(errs, c.flag) || !hinted {
				t.Errorf("%s=%q: the error names neither the flag (%s) nor the form it takes (%v):\n%s",
					c.env, c.val, c.flag, c.hints, errs)
			}
		})
	}
}

// TestReview74cMissingDBDirectorySaysWhatToDo: README Configuration "`--db`
// … SQLite database file of the records"; a newcomer names a file in a
// directory that does not exist yet (`--db /srv/carex/carex.db` before the
// directory is made). serve, import and gen answer
//
//	carex serve: open /…/no/such/carex.db: open /…/no/such/carex.db: no such file or directory
//
// — the path twice and no word of what to do (the directory does not exist:
// create it, or name another --db). Compare the good answers next to it:
// "--db … already exists: … remove it or name another file", "(choose
// another with --addr)". Severity: a cost. Same on the parent.
func TestReview74cMissingDBDirectorySaysWhatToDo(t *testing.T) {
	r74Home(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "in.ndjson")
	os.WriteFile(file, []byte(`{"resourceType":"Patient","id":"p1"}`+"\n"), 0o600)
	db := filepath.Join(dir, "no", "such", "carex.db")
	doubled := regexp.MustCompile(`open ([^:]+): open ([^:]+):`)
	for _, args := range [][]string{
		{"serve", "--dev", "--db", db, "--addr", "127.0.0.1:0"},
		{"import", "--db", db, "--org", "A81001", "--quiet", file},
		{"gen", "--people", "10", "--quiet", "--db", db},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, _, errs := r74Run(t, args...)
			if code == 0 {
				t.Fatalf("carex %s --db %s succeeded", args[0], db)
			}
			if m := doubled.FindStringSubmatch(errs); m != nil && m[1] == m[2] {
				t.Errorf("carex %s: the error repeats the path (%q):\n%s", args[0], m[0], errs)
			}
			if !strings.Contains(errs, "create") && !strings.Contains(errs, "mkdir") && !strings.Contains(errs, "another") {
				t.Errorf("carex %s --db in a missing directory: the error does not say what to do (create the directory, or name another --db):\n%s", args[0], errs)
			}
		})
	}
}

// TestReview74cAuditVerifyWithoutDBSaysWhatToDo: README "`carex audit
// verify [--db FILE] …` … recomputes the whole access log offline". An IG
// officer runs `carex audit verify` as the Commands table shows it, in her
// own directory (not the server's): the answer is
//
//	carex audit: --db carex.db: stat carex.db: no such file or directory
//
// which says what is missing but not what to do (name the server's record
// database with --db FILE; the access log is found beside it). The same
// for export, checkpoint and relabel. Severity: a cost. Same on the parent.
func TestReview74cAuditVerifyWithoutDBSaysWhatToDo(t *testing.T) {
	r74Home(t)
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"audit", "verify"}, {"audit", "export"}, {"relabel"}} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			code, _, errs := r74Run(t, args...)
			if code == 0 {
				t.Fatalf("carex %v in an empty directory succeeded", args)
			}
			hint := false
			for _, h := range []string{"--db FILE", "name the", "give --db", "use --db", "server's database", "record database"} {
				hint = hint || strings.Contains(errs, h)
			}
			if !hint {
				t.Errorf("carex %s without --db where there is no carex.db: no word of what to do:\n%s", strings.Join(args, " "), errs)
			}
		})
	}
}

// TestReview74cDevKeyMismatchSaysWhatToDo: SPEC §2 "`carex demo`, `carex
// serve --dev` and `carex token` share the key through `--dev-key FILE` …
// so that a server in one terminal and `carex token` in another just work";
// README Quick start "In another terminal you can mint your own development
// token". When the two terminals do not name the same key (CAREX_DEV_KEY
// exported in one only, another HOME under sudo or a container), the dev
// server's answer to the token is 401 "authentication failed: unknown kid"
// — a JOSE term, and no word of the development key. A token whose kid is a
// development key's ("dev-…") reaching a dev server could say: signed with
// another development key than this server's; mint it with the server's
// --dev-key. Severity: a cost. Same on the parent.
func TestReview74cDevKeyMismatchSaysWhatToDo(t *testing.T) {
	r74Home(t)
	s, _, _, _ := e2eDevServer(t, t.TempDir())
	tok := e2eToken(t, filepath.Join(t.TempDir(), "other-dev-key.pem"))
	status, hdr, body := r74Do(t, "GET", s.base+"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", tok, "", nil)
	if status != 401 {
		t.Fatalf("token of another dev key: %d %s", status, body)
	}
	msg := body + " " + hdr.Get("WWW-Authenticate")
	if !strings.Contains(msg, "dev-key") && !strings.Contains(msg, "development key") {
		t.Errorf("a token signed with another development key than the dev server's: the 401 says nothing of the key to use:\n%s", msg)
	}
}

// TestReview74cDevTokenOnProductionServerSaysWhatToDo: README Commands "`carex
// serve` … Needs `--jwks` …, or `--dev` for development"; "`carex token` …
// accepted only by dev-mode servers". A newcomer who starts `carex serve
// --jwks …` and tries the Quick start's `carex token` line gets 401
// "development tokens are not accepted by this server": what went wrong,
// not what to do (such tokens are for a server in development mode, carex
// demo or carex serve --dev; this server takes its identity provider's
// tokens). Severity: a cost; nothing is released either way. Same on the
// parent.
func TestReview74cDevTokenOnProductionServerSaysWhatToDo(t *testing.T) {
	r74Home(t)
	dir := t.TempDir()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "kid": "k74c", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(priv.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes()),
	}}})
	jwks := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwks, b, 0o600)
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--addr", addr, "--db", filepath.Join(dir, "carex.db"), "--jwks", jwks, "--log-key", filepath.Join(dir, "log-key"))
	code, out, errs := r74Run(t, "token", "--sub", "nurse1", "--name", "Nurse One", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if code != 0 {
		t.Fatalf("carex token: %d %s", code, errs)
	}
	status, hdr, body := r74Do(t, "GET", s.base+"/fhir/Patient/jane-demo", strings.TrimSpace(out), "", nil)
	if status != 401 {
		t.Fatalf("dev token on a --jwks server: %d %s", status, body)
	}
	msg := body + " " + hdr.Get("WWW-Authenticate")
	if !strings.Contains(msg, "--dev") && !strings.Contains(msg, "development mode") && !strings.Contains(msg, "carex demo") {
		t.Errorf("dev token on a server without --dev: the 401 does not say which servers take it:\n%s", msg)
	}
}

// TestReview74cSharedEnvVarBreaksAnotherCommand: SPEC §2 "Every flag also
// has an environment variable". Variables are named from the flag alone
// (envName), so two commands' flags of one name share one variable, whatever
// each means: CAREX_JSON is `carex bench --json FILE` (README Benchmarking:
// `--json bench.json`) and `carex audit prove --json` (a switch). An
// operator who sets CAREX_JSON=bench.json for the benchmark can no longer
// run `carex audit prove` at all: "carex audit: CAREX_JSON="bench.json":
// parse error" — and CAREX_JSON=true for prove makes bench write its
// results to a file named "true". (The same sharing makes CAREX_OUT gen's
// directory and audit export's file, and CAREX_ORG both the organisation
// of a `carex token` user and the data controller of a `carex import`: see
// the report.) Severity: a cost; the prove of an access-log entry an IG
// officer asks for fails. Same on the parent.
func TestReview74cSharedEnvVarBreaksAnotherCommand(t *testing.T) {
	r74Home(t)
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	if status, _ := s.get(t, "/fhir/Patient?_count=1", e2eToken(t, devKey)); status != 200 {
		t.Fatalf("search: %d", status)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	t.Setenv("CAREX_JSON", "bench.json") // as for carex bench --json bench.json
	code, out, errs := r74Run(t, "audit", "prove", "--seq", "0", "--db", db, "--pubkey", logKey+".pub")
	if code != 0 {
		t.Errorf("carex audit prove --seq 0 with CAREX_JSON set for carex bench: exit %d\n%s%s", code, out, errs)
	}
}

// ---------------------------------------------------------------------------
// Sound: README claims checked and found to hold
// ---------------------------------------------------------------------------

// TestReview74cSoundQuickStartAndCurlSection runs the README's Quick start
// and curl section against carex demo: the nurse's token minted in "another
// terminal" with the README's line, then each curl line, with the status
// and content the README describes.
func TestReview74cSoundQuickStartAndCurlSection(t *testing.T) {
	r74Home(t)
	keys := t.TempDir()
	devKey := filepath.Join(keys, "dev-key.pem")
	addr := e2eFreeAddr(t)
	s := e2eStart(t, "demo", addr, "--addr", addr, "--dev-key", devKey, "--log-key", filepath.Join(keys, "log-key"))
	for _, role := range []string{"— gp,", "— district-nurse,", "— hospital-clinician,", "— social-worker,", "— ig-officer,", "— system,"} {
		if !strings.Contains(s.stdout.String(), role) {
			t.Errorf("README: the demo \"prints a ready token for every role\": no token for %q", role)
		}
	}
	code, out, errs := r74Run(t, "token", "--dev-key", devKey, "--sub", "nurse1", "--name", "Nurse One", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX")
	if code != 0 || !jwtShape.MatchString(out) || errs != "" {
		t.Fatalf("TOKEN=$(carex token …): exit %d, stdout %q, stderr %q", code, out, errs)
	}
	tok := strings.TrimSpace(out)
	B := s.base + "/fhir"

	st, _, body := r74Do(t, "GET", B+"/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", tok, "", nil)
	if st != 200 || !strings.Contains(body, `"id":"jane-demo"`) && !strings.Contains(body, `"id": "jane-demo"`) {
		t.Errorf("quick start NHS-number search: %d %.300s", st, body)
	}
	st, _, body = r74Do(t, "GET", B+"/metadata", "", "", nil)
	if st != 200 || !strings.Contains(body, `"resourceType":"CapabilityStatement"`) || !strings.Contains(body, `"fhirVersion":"4.0.1"`) {
		t.Errorf("metadata: %d %.200s", st, body)
	}
	st, _, body = r74Do(t, "GET", B+"/Patient?family=hargreaves&_count=5&_elements=name,birthDate", tok, "", nil)
	if st != 200 || !strings.Contains(body, "SUBSETTED") || strings.Contains(body, "14 Mill Lane") {
		t.Errorf("_elements search: %d %.300s", st, body)
	}
	st, _, body = r74Do(t, "GET", B+"/Patient/jane-demo/$everything", tok, "", nil)
	if st != 200 || !strings.Contains(body, "Wound assessment") || strings.Contains(body, "Haemoglobin A1c") {
		t.Errorf("the nurse's $everything: README \"not the practice's or the hospital's observations … the nurse sees her trust's own … wound observations\": %d", st)
	}
	st, _, _ = r74Do(t, "GET", B+"/Condition?patient=jane-demo&_sort=-recorded-date", tok, "", nil)
	if st != 200 {
		t.Errorf("Condition _sort: %d", st)
	}
	st, _, body = r74Do(t, "POST", B+"/Patient", tok, "application/fhir+json",
		[]byte(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Example"}]}`))
	if st != 201 {
		t.Errorf("POST Patient: %d %.300s", st, body)
	}
	tx, err := os.ReadFile("../../testdata/examples/home-visit-transaction.json")
	if err != nil {
		t.Fatal(err)
	}
	st, _, body = r74Do(t, "POST", B, tok, "application/fhir+json", tx)
	if st != 200 || !strings.Contains(body, "transaction-response") {
		t.Errorf("home-visit transaction: %d %.300s", st, body)
	}
	st, _, body = r74Do(t, "GET", B+"/CarePlan?patient=jane-demo&_include=CarePlan:condition", tok, "", nil)
	if st != 200 || !strings.Contains(body, `"mode":"include"`) || !strings.Contains(body, "Pressure ulcer") {
		t.Errorf("CarePlan _include: %d %.300s", st, body)
	}
	// The demo's own break-glass line: "(403 without the header)".
	var evans string
	for _, l := range strings.Split(s.stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "export DR_EVANS="); ok {
			evans = v
		}
	}
	if st, _, body = r74Do(t, "GET", B+"/Patient/margaret-demo/$everything", evans, "", nil); st != 403 || !strings.Contains(body, "X-Break-Glass") {
		t.Errorf("Margaret as the hospital without break-glass: %d %.200s", st, body)
	}
}

// TestReview74cSoundConfigurationTableMatchesHelp: each row of the README's
// Configuration table names a flag `carex serve --help` (or `carex import
// --help` for `import --…`) lists with the same environment variable and,
// where the README gives one, the same default.
func TestReview74cSoundConfigurationTableMatchesHelp(t *testing.T) {
	home := r74Home(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(readme), "### Configuration")
	sec, _, _ = strings.Cut(sec, "\n## ")
	help := map[string]string{}
	for _, c := range []string{"serve", "import", "demo"} {
		_, _, errs := r74Run(t, c, "--help")
		help[c] = errs
	}
	row := regexp.MustCompile("^\\| (`[^|]+`) \\| (`[^|]+`) \\| ([^|]+) \\|")
	tick := regexp.MustCompile("`([^`]+)`")
	rows := 0
	for _, l := range strings.Split(sec, "\n") {
		m := row.FindStringSubmatch(l)
		if m == nil || !strings.Contains(m[1], "--") {
			continue
		}
		flags, envs, defs := tick.FindAllStringSubmatch(m[1], -1), tick.FindAllStringSubmatch(m[2], -1), tick.FindAllStringSubmatch(m[3], -1)
		if len(flags) != len(envs) {
			t.Errorf("row %q: %d flags, %d variables", l, len(flags), len(envs))
			continue
		}
		for i, f := range flags {
			cmd, name := "serve", f[1]
			if c, n, ok := strings.Cut(name, " "); ok {
				cmd, name = c, n
			}
			rows++
			var line string
			for _, hl := range strings.Split(help[cmd], "\n") {
				if strings.HasPrefix(strings.TrimSpace(hl), name+" ") {
					line = hl
				}
			}
			if line == "" {
				t.Errorf("README's %s is not in carex %s --help", name, cmd)
				continue
			}
			if !strings.HasSuffix(line, "["+envs[i][1]+"]") {
				t.Errorf("README pairs %s with %s; carex %s --help: %s", name, envs[i][1], cmd, line)
			}
			if strings.HasPrefix(strings.TrimSpace(m[3]), "`") && len(defs) == len(flags) {
				want := strings.Replace(defs[i][1], "~", home, 1)
				if !strings.Contains(line, "(default "+want+")") {
					t.Errorf("README's default of %s is %s; carex %s --help: %s", name, want, cmd, line)
				}
			}
		}
	}
	if rows < 20 {
		t.Errorf("read only %d flags from the Configuration table", rows)
	}
	// Every flag of every command has its variable, shown by --help.
	for _, c := range [][]string{{"serve"}, {"demo"}, {"token"}, {"import"}, {"relabel"}, {"gen"}, {"bench"}, {"audit", "verify"}, {"audit", "export"}, {"audit", "checkpoint"}, {"audit", "prove"}} {
		_, _, errs := r74Run(t, append(c, "--help")...)
		for _, hl := range strings.Split(errs, "\n") {
			if f, ok := strings.CutPrefix(strings.TrimSpace(hl), "--"); ok {
				name, _, _ := strings.Cut(f, " ")
				if !strings.HasSuffix(hl, "["+envName(strings.Join(c, " "), name)+"]") {
					t.Errorf("carex %v: flag --%s without its variable: %s", c, name, hl)
				}
			}
		}
	}
}

// TestReview74cSoundNewcomerErrors: the errors a newcomer meets first say
// what went wrong and what to do.
func TestReview74cSoundNewcomerErrors(t *testing.T) {
	r74Home(t)
	dir := t.TempDir()
	check := func(what string, code int, errs string, want ...string) {
		t.Helper()
		if code == 0 {
			t.Errorf("%s: exit 0", what)
		}
		for _, w := range want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: %q not in:\n%s", what, w, errs)
			}
		}
	}
	code, _, errs := r74Run(t, "serve", "--db", filepath.Join(dir, "a.db"), "--addr", "127.0.0.1:0")
	check("serve without --jwks or --dev", code, errs, "--jwks", "--dev")
	code, _, errs = r74Run(t, "serve", "--port", "8080")
	check("serve --port", code, errs, "not defined: -port", "--addr")
	code, _, errs = r74Run(t, "token", "--sub", "n", "--role", "nurse", "--sector", "nhs", "--org", "RCX")
	check("token --role nurse", code, errs, "district-nurse")
	code, _, errs = r74Run(t, "token", "--sub", "n", "--role", "gp", "--sector", "nhs", "--org", "A81001", "--ttl", "0")
	check("token --ttl 0", code, errs, "leave --ttl out")
	code, _, errs = r74Run(t, "demo", "--dev=false")
	check("demo --dev=false", code, errs, "carex serve without --dev")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"resourceType":"Patient", "name": [`), 0o600)
	code, _, errs = r74Run(t, "import", "--db", filepath.Join(dir, "i.db"), "--org", "A81001", "--quiet", bad)
	check("import of bad JSON", code, errs, "bad.json", "malformed", "was not")
	code, _, errs = r74Run(t, "import", "--db", filepath.Join(dir, "i.db"), bad)
	check("import without --org", code, errs, "--org is required")
	// A port in use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs = r74Run(t, "serve", "--dev", "--db", filepath.Join(dir, "p.db"), "--addr", ln.Addr().String())
	check("serve on a port in use", code, errs, "address already in use", "choose another with --addr")
	// An existing --db for the demo.
	os.WriteFile(filepath.Join(dir, "on.db"), nil, 0o600)
	code, _, errs = r74Run(t, "demo", "--db", filepath.Join(dir, "on.db"), "--addr", "127.0.0.1:0")
	check("demo on an existing --db", code, errs, "already exists", "remove it or name another file")
	// An expired token, on a dev server.
	s, _, devKey, _ := e2eDevServer(t, t.TempDir())
	code, out, errs := r74Run(t, "token", "--dev-key", devKey, "--sub", "n", "--role", "gp", "--sector", "nhs", "--org", "A81001", "--ttl", "1s")
	if code != 0 {
		t.Fatalf("token --ttl 1s: %s", errs)
	}
	time.Sleep(32 * time.Second) // past exp and the 30 s clock skew
	st, hdr, body := r74Do(t, "GET", s.base+"/fhir/Patient?_count=1", strings.TrimSpace(out), "", nil)
	if st != 401 || !strings.Contains(body, "token expired") || !strings.Contains(hdr.Get("WWW-Authenticate"), "token expired") {
		t.Errorf("expired token: %d %s %s", st, hdr.Get("WWW-Authenticate"), body)
	}
}

// TestReview74cAuditOfImportedDBOnFreshMachine: README Commands, `carex
// audit verify`: "A database loaded by `carex import` and never served has
// no access log yet: `verify` reports it as an empty log (exit 0 …),
// `export` writes nothing, and `checkpoint` and `prove` say there is
// nothing to sign or prove yet (exit 1)". That holds only on a machine
// where a server once ran and made the log key (~/.config/carex/log-key,
// .pub): on the import host, or an IG officer's own machine, verify,
// checkpoint and prove stop first on the public key of a log that does not
// exist —
//
//	carex audit: --pubkey: open /home/…/.config/carex/log-key.pub: no such file or directory
//
// exit 1, verify's "empty log" never said, and no word of what to do (give
// --pubkey the server's log-key.pub). export, which needs no key, answers
// as the README says. Severity: a wrong answer from the IG's own check (a
// verify that fails on a log that has nothing wrong with it), no data
// released. Same on the parent.
func TestReview74cAuditOfImportedDBOnFreshMachine(t *testing.T) {
	r74Home(t) // a machine where no carex server has run: no log key
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	code, _, errs := r74Run(t, "import", "--db", db, "--org", "A81001", "--quiet", "../../testdata/synthea/"+firstJSON(t, "../../testdata/synthea"))
	if code != 0 {
		t.Fatalf("import: %s", errs)
	}
	code, out, errs := r74Run(t, "audit", "verify", "--db", db)
	if code != 0 || !strings.Contains(out+errs, "empty") {
		t.Errorf("verify of an imported, never served database, on a machine without a log key: exit %d (README: an empty log, exit 0)\n%s%s", code, out, errs)
	}
	code, out, errs = r74Run(t, "audit", "export", "--db", db)
	if code != 0 || out != "" {
		t.Errorf("export: exit %d %q %s", code, out, errs)
	}
	for _, c := range [][]string{{"audit", "checkpoint"}, {"audit", "prove", "--seq", "0"}} {
		code, out, errs = r74Run(t, append(c, "--db", db)...)
		if code != 1 || !strings.Contains(out+errs, "empty") && !strings.Contains(out+errs, "no entries") {
			t.Errorf("carex %s of an imported database: exit %d (README: says there is nothing to sign or prove yet, exit 1)\n%s%s", strings.Join(c, " "), code, out, errs)
		}
	}
}

// TestReview74cSoundAuditVerifyServedLog: after a served request, `carex
// audit verify` with the server's key verifies every entry.
func TestReview74cSoundAuditVerifyServedLog(t *testing.T) {
	r74Home(t)
	s, sdb, devKey, logKey := e2eDevServer(t, t.TempDir())
	s.get(t, "/fhir/Patient?_count=1", e2eToken(t, devKey))
	s.stop(t)
	code, out, errs := r74Run(t, "audit", "verify", "--db", sdb, "--pubkey", logKey+".pub")
	if code != 0 || !strings.Contains(out, "OK: every entry and checkpoint verifies") {
		t.Errorf("verify of a served database: exit %d\n%s%s", code, out, errs)
	}
}

func firstJSON(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			return e.Name()
		}
	}
	t.Fatal("no JSON file in " + dir)
	return ""
}
