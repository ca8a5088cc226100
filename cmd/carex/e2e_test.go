package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/carex-project/carex/consent"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store/sqlite"
)

// End-to-end tests of the binary as a newcomer uses it, in-process via run.

// syncBuffer is a bytes.Buffer safe for a server goroutine to write while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// e2eRun runs the carex command line to completion.
func e2eRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// e2eToken mints a development token with carex token.
func e2eToken(t *testing.T, keyFile string) string {
	t.Helper()
	code, out, errs := e2eRun(t, "token", "--dev-key", keyFile, "--sub", "e2e", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("carex token: exit %d: %s", code, errs)
	}
	return strings.TrimSpace(out)
}

func e2eFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// listeningAddr finds the address in serve's "carex listening" log line.
var listeningAddr = regexp.MustCompile(`msg="carex listening" addr=(127\.0\.0\.1:[0-9]+)`)

// server is carex serve (or demo) running in a goroutine.
type server struct {
	base, addr     string // where it listens (addr: host:port)
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

// e2eServe starts run(serve …) and waits until /healthz answers 200 at addr.
// The server is stopped at cleanup if the test did not stop it.
// e2eDevServer serves a development-mode carex on a new database in dir
// (c.db, with its dev key dev.pem and log key log-key there), on a free
// address.
func e2eDevServer(t *testing.T, dir string) (s *server, db, devKey, logKey string) {
	t.Helper()
	db, devKey, logKey = filepath.Join(dir, "c.db"), filepath.Join(dir, "dev.pem"), filepath.Join(dir, "log-key")
	addr := e2eFreeAddr(t)
	return e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey), db, devKey, logKey
}

func e2eServe(t *testing.T, addr string, args ...string) *server {
	t.Helper()
	return e2eStart(t, "serve", addr, args...)
}

// e2eStart is e2eServe for serve or demo.
//
// An --addr in args is replaced by 127.0.0.1:0, and the server's own
// "carex listening" line says where it listens (s.base, s.addr): a port
// e2eFreeAddr found free could be taken by another test's server before
// this one bound it, and the test then talked to that server ("unknown
// kid").
func e2eStart(t *testing.T, cmd, addr string, args ...string) *server {
	t.Helper()
	args = slices.Clone(args)
	quiet := false // the listening line is not logged: addr is used as given
	for i := range args {
		if args[i] == "--log-level" && i+1 < len(args) && args[i+1] != "debug" && args[i+1] != "info" {
			quiet = true
		}
	}
	for i := range args {
		if args[i] == "--addr" && i+1 < len(args) && !quiet {
			args[i+1] = "127.0.0.1:0"
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{addr: addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	if quiet {
		s.base = "http://" + addr
	}
	go func() { s.done <- run(ctx, append([]string{cmd}, args...), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			t.Errorf("%s still running 20s after cancel", cmd)
		}
	})
	deadline := time.Now().Add(30 * time.Second) // demo loads its population first
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case code := <-s.done:
			s.done <- code // for the cleanup
			t.Fatalf("%s exited %d before answering /healthz:\n%s", cmd, code, s.stderr.String())
		default:
		}
		if s.base == "" {
			if m := listeningAddr.FindStringSubmatch(s.stderr.String()); m != nil {
				s.addr, s.base = m[1], "http://"+m[1]
			}
		}
		var err error
		if s.base != "" {
			var res *http.Response
			if res, err = client.Get(s.base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not 200 within 30s (last error %v):\n%s", err, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop cancels the context (what SIGTERM does through signal.NotifyContext)
// and returns run's exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not return within 20s of cancellation")
		return -1
	}
}

func (s *server) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var jwtShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$`)

func TestTokenPrintsOnlyToken(t *testing.T) {
	key := filepath.Join(t.TempDir(), "dev-key.pem")
	code, out, errs := e2eRun(t, "token", "--dev-key", key, "--sub", "alice", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !jwtShape.MatchString(out) {
		t.Fatalf("stdout is not exactly one JWT line: %q", out)
	}
	if _, err := os.Stat(key); err != nil {
		t.Errorf("dev key not created: %v", err)
	}
	// The payload is JSON with the claims asked for.
	parts := strings.Split(strings.TrimSpace(out), ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims["sub"] != "alice" || claims["org"] != "A81001" {
		t.Errorf("claims %s (%v)", payload, err)
	}

	// Missing --org: an error on stderr, nothing on stdout.
	code, out, errs = e2eRun(t, "token", "--dev-key", key, "--sub", "alice", "--role", "gp", "--sector", "nhs")
	if code != 1 && code != 2 {
		t.Errorf("missing --org: exit %d, want 1 or 2", code)
	}
	if out != "" {
		t.Errorf("missing --org: stdout %q, want nothing", out)
	}
	if !strings.Contains(errs, "--org") {
		t.Errorf("missing --org: stderr does not name --org:\n%s", errs)
	}
}

// TestTokenRefusesUnknownRole: carex token refuses a role the server
// would refuse (it printed a token the server answered with 401), naming
// the roles the server accepts; RBAC codes and a policy file's roles pass.
func TestTokenRefusesUnknownRole(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "dev-key.pem")
	tok := func(role string, extra ...string) (int, string, string) {
		return e2eRun(t, append([]string{"token", "--dev-key", key, "--sub", "n1", "--role", role, "--sector", "nhs", "--org", "RCX"}, extra...)...)
	}
	code, out, errs := tok("nurse")
	if code == 0 || out != "" || !strings.Contains(errs, "--role nurse") {
		t.Fatalf("--role nurse: exit %d, stdout %q, stderr %q; want an error and no token", code, out, errs)
	}
	for _, r := range auth.KnownRoles {
		if !strings.Contains(errs, r) {
			t.Errorf("the error does not list the role %s: %s", r, errs)
		}
	}
	for _, r := range []string{"district-nurse", "R8001", "S8000:G8000:R8001"} {
		if code, _, errs := tok(r); code != 0 {
			t.Errorf("--role %s: exit %d: %s", r, code, errs)
		}
	}
	_, builtin, _ := e2eRun(t, "policy")
	pol := filepath.Join(dir, "extra.policy")
	if err := os.WriteFile(pol, []byte(builtin+"role care-coordinator demographics\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := tok("care-coordinator"); code == 0 {
		t.Errorf("--role care-coordinator without its policy file: accepted")
	}
	if code, _, errs := tok("care-coordinator", "--policy", pol); code != 0 {
		t.Errorf("--role care-coordinator --policy with that role: exit %d: %s", code, errs)
	}
}

func TestServeDevAcceptsDevTokens(t *testing.T) {
	dir := t.TempDir()
	db, key := filepath.Join(dir, "carex.db"), filepath.Join(dir, "dev-key.pem")
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--db", db, "--addr", addr, "--dev-key", key)

	tok := e2eToken(t, key)
	status, body := s.get(t, "/fhir/Patient?_count=1", tok)
	if status != 200 || !strings.Contains(body, `"type":"searchset"`) {
		t.Fatalf("search with a dev token: %d %s", status, body)
	}
	other := e2eToken(t, filepath.Join(dir, "other-key.pem"))
	if status, body := s.get(t, "/fhir/Patient?_count=1", other); status != 401 {
		t.Errorf("token from another dev key: %d %s", status, body)
	}
	if status, _ := s.get(t, "/fhir/Patient?_count=1", ""); status != 401 {
		t.Errorf("no token: %d", status)
	}
	if !strings.Contains(s.stderr.String(), "development mode") {
		t.Errorf("no development-mode warning in the log:\n%s", s.stderr.String())
	}

	start := time.Now()
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM-equivalent, want 0:\n%s", code, s.stderr.String())
	}
	t.Logf("graceful shutdown in %v", time.Since(start))
	if _, err := os.Stat(db); err != nil {
		t.Errorf("database file: %v", err)
	}
	// The port is free again.
	if ln, err := net.Listen("tcp", s.addr); err != nil {
		t.Errorf("port still held after shutdown: %v", err)
	} else {
		ln.Close()
	}
}

func TestServeWithoutKeysRefuses(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", filepath.Join(dir, "carex.db"), "--addr", e2eFreeAddr(t)}, &out, &errb)
	}()
	select {
	case code := <-done:
		if code == 0 {
			t.Fatalf("serve without --jwks or --dev exited 0")
		}
		if !strings.Contains(errb.String(), "--jwks") {
			t.Errorf("error does not name --jwks:\n%s", errb.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "carex.db")); err == nil {
			t.Errorf("refused serve still created the database")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve without keys did not refuse (still running after 10s)")
	}
}

func TestServeWithJWKS(t *testing.T) {
	dir := t.TempDir()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "kid": "test-kid", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(priv.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes()),
	}}}
	jwksFile := filepath.Join(dir, "jwks.json")
	b, _ := json.Marshal(jwks)
	if err := os.WriteFile(jwksFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--db", filepath.Join(dir, "carex.db"), "--addr", addr,
		"--jwks", jwksFile, "--issuer", "test-idp", "--audience", "carex", "--dev-key", filepath.Join(dir, "dev-key.pem"))

	sign := func(iss, kid string) string {
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"sub": "dr-who", "name": "Dr Who", "role": "gp", "sector": "nhs", "org": "A81001",
			"iss": iss, "aud": "carex", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		})
		tok.Header["kid"] = kid
		str, err := tok.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return str
	}
	if status, body := s.get(t, "/fhir/Patient?_count=1", sign("test-idp", "test-kid")); status != 200 || !strings.Contains(body, `"searchset"`) {
		t.Fatalf("RS256 token from the JWKS: %d %s", status, body)
	}
	if status, _ := s.get(t, "/fhir/Patient?_count=1", sign("other-idp", "test-kid")); status != 401 {
		t.Errorf("token from another issuer: %d, want 401", status)
	}
	if status, _ := s.get(t, "/fhir/Patient?_count=1", sign("test-idp", "unknown-kid")); status != 401 {
		t.Errorf("token with an unknown kid: %d, want 401", status)
	}
	dev := e2eToken(t, filepath.Join(dir, "dev-key.pem"))
	if status, body := s.get(t, "/fhir/Patient?_count=1", dev); status != 401 {
		t.Errorf("dev token on a production server: %d %s", status, body)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d:\n%s", code, s.stderr.String())
	}
}

func TestEnvironmentVariables(t *testing.T) {
	dir := t.TempDir()
	addr := e2eFreeAddr(t)
	db, key := filepath.Join(dir, "env.db"), filepath.Join(dir, "env-key.pem")
	t.Setenv("CAREX_ADDR", addr)
	t.Setenv("CAREX_DB", db)
	t.Setenv("CAREX_DEV_KEY", key)
	s := e2eServe(t, addr, "--dev")
	// carex token reads CAREX_DEV_KEY too, so no --dev-key is needed.
	code, out, errs := e2eRun(t, "token", "--sub", "e2e", "--role", "gp", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: exit %d %s", code, errs)
	}
	if status, body := s.get(t, "/fhir/Patient?_count=1", strings.TrimSpace(out)); status != 200 {
		t.Fatalf("token from CAREX_DEV_KEY: %d %s", status, body)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	for _, f := range []string{db, key} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s not used: %v", f, err)
		}
	}
}

func TestImportSynthea(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "synthea")
	files, _ := filepath.Glob(filepath.Join(src, "*.json"))
	if _, err := os.Stat(src); err != nil {
		t.Skipf("no Synthea data: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("%s has no *.json files", src)
	}
	// Expected counts: one stored resource per entry (all are POSTs),
	// decoded while the import runs.
	want := map[string]int{}
	wantTotal := 0
	decoded := make(chan error, 1)
	go func() {
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				decoded <- err
				return
			}
			var b struct {
				Entry []struct {
					Resource struct {
						ResourceType string `json:"resourceType"`
					} `json:"resource"`
				} `json:"entry"`
			}
			if err := json.Unmarshal(raw, &b); err != nil {
				decoded <- fmt.Errorf("%s: %w", f, err)
				return
			}
			for _, e := range b.Entry {
				want[e.Resource.ResourceType]++
				wantTotal++
			}
		}
		decoded <- nil
	}()

	db := filepath.Join(t.TempDir(), "import.db")
	start := time.Now()
	code, out, errs := e2eRun(t, "import", "--db", db, "--org", "A81001", "--quiet", src)
	if err := <-decoded; err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("import: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	t.Logf("imported %d resources from %d bundles in %v", wantTotal, len(files), time.Since(start))
	if errs != "" {
		t.Errorf("--quiet import wrote to stderr: %q", errs)
	}

	// (c) The summary names every type's count, the total and a rate.
	for typ, n := range want {
		if !regexp.MustCompile(`(?m)^` + typ + `\s+` + fmt.Sprint(n) + `$`).MatchString(out) {
			t.Errorf("summary lacks %s %d:\n%s", typ, n, out)
		}
	}
	if !regexp.MustCompile(`(?m)^total\s+` + fmt.Sprint(wantTotal) + ` in [0-9.]+s \([0-9]+ resources/s\)$`).MatchString(out) {
		t.Errorf("summary lacks the total %d and a rate:\n%s", wantTotal, out)
	}

	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()

	// (a) Counts by type, through the store's own search (_count=0).
	types := make([]string, 0, len(want))
	for typ := range want {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		q, err := search.ParseQuery(typ, url.Values{"_count": {"0"}})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		res, err := st.Search(ctx, q, nil)
		if err != nil {
			t.Fatalf("search %s: %v", typ, err)
		}
		if res.Total != want[typ] {
			t.Errorf("%s: %d stored, want %d", typ, res.Total, want[typ])
		}
	}

	// (b) Reference integrity over every current resource.
	rows, err := st.Reader().QueryContext(ctx, `SELECT r.type, r.id, v.raw FROM resources r JOIN versions v ON v.vpk = r.vpk WHERE r.deleted = 0`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	bodies := map[string][]byte{}
	byType := map[string]int{}
	for rows.Next() {
		var typ, id string
		var raw []byte
		if err := rows.Scan(&typ, &id, &raw); err != nil {
			t.Fatal(err)
		}
		stored[typ+"/"+id] = true
		bodies[typ+"/"+id] = raw
		byType[typ]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(stored) != wantTotal {
		t.Errorf("%d current resources in the database, want %d (by type %v)", len(stored), wantTotal, byType)
	}
	// Importing the same files again must not fail (it adds a second copy:
	// the entries are POSTs). It runs while the references below are
	// checked (on the bodies already read). Under the race detector SQLite
	// is slow, so only the two smallest bundles are imported again.
	again := []string{src}
	if raceEnabled() {
		sort.Slice(files, func(i, j int) bool { return e2eSize(files[i]) < e2eSize(files[j]) })
		again = files[:min(2, len(files))]
	}
	type result struct {
		code      int
		out, errs string
	}
	reimport := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"import", "--db", db, "--org", "A81001", "--quiet"}, again...), &out, &errb)
		reimport <- result{code, out.String(), errb.String()}
	}()
	defer func() {
		if r := <-reimport; r.code != 0 {
			t.Errorf("second import of %v: exit %d\n%s\n%s", again, r.code, r.out, r.errs)
		}
	}()

	typeID := regexp.MustCompile(`^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$`)
	refs, bad := 0, 0
	for key, raw := range bodies {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: stored JSON: %v", key, err)
		}
		e2eWalkRefs(v, func(ref string) {
			refs++
			var problem string
			switch {
			case strings.HasPrefix(ref, "urn:uuid:"):
				problem = "unresolved urn:uuid"
			case strings.HasPrefix(ref, "#"):
				return // contained
			case !typeID.MatchString(ref):
				problem = "not a Type/id reference"
			case !stored[ref]:
				problem = "dangling"
			default:
				return
			}
			bad++
			if bad <= 10 {
				t.Errorf("%s: reference %q: %s", key, ref, problem)
			}
		})
	}
	if bad > 10 {
		t.Errorf("… %d bad references in all", bad)
	}
	t.Logf("%d references checked", refs)
	if refs == 0 {
		t.Errorf("no references found: the walk is broken")
	}

}

func e2eSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// e2eWalkRefs calls fn with every string value of a "reference" member.
func e2eWalkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "reference" {
				fn(s)
				continue
			}
			e2eWalkRefs(c, fn)
		}
	case []any:
		for _, c := range x {
			e2eWalkRefs(c, fn)
		}
	}
}

// TestImportLabelsWithThePolicy: carex import --policy labels what it
// writes with the deployment's code lists, as the server labels what it is
// sent (import always used the built-in policy: a code the deployment
// lists as PSY was imported unlabelled; found in review).
func TestImportLabelsWithThePolicy(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.txt")
	if err := os.WriteFile(pol, []byte(consent.DefaultPolicyText()+"\ncode PSY snomed 191736004\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "ocd.json")
	if err := os.WriteFile(res, []byte(`{"resourceType":"Condition","id":"ocd","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"191736004"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags []string
		want  bool
	}{{nil, false}, {[]string{"--policy", pol}, true}} {
		db := filepath.Join(t.TempDir(), "import.db")
		args := append([]string{"import", "--db", db, "--org", "A81001", "--quiet"}, c.flags...)
		if code, out, errs := e2eRun(t, append(args, res)...); code != 0 {
			t.Fatalf("import %v: exit %d\n%s\n%s", c.flags, code, out, errs)
		}
		st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.Read(context.Background(), "Condition", "ocd")
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(v.Labels, "PSY"); got != c.want {
			t.Errorf("import %v: labels %v, want PSY %v", c.flags, v.Labels, c.want)
		}
	}
}

// TestTokenRefusesNoLifetime: "--ttl 0" minted an 8-hour token (0 was
// read as the default; review 19b noticed).
func TestTokenRefusesNoLifetime(t *testing.T) {
	key := filepath.Join(t.TempDir(), "dev-key.pem")
	for _, ttl := range []string{"0", "0s", "-1h"} {
		code, out, errs := e2eRun(t, "token", "--dev-key", key, "--sub", "n1", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX", "--ttl", ttl)
		if code == 0 || out != "" || !strings.Contains(errs, "lifetime is positive") {
			t.Errorf("--ttl %s: exit %d, stdout %.40q, stderr %q; want an error and no token", ttl, code, out, errs)
		}
	}
	if code, out, errs := e2eRun(t, "token", "--dev-key", key, "--sub", "n1", "--role", "district-nurse", "--sector", "nhs", "--org", "RCX", "--ttl", "5m"); code != 0 || out == "" {
		t.Errorf("--ttl 5m: exit %d: %s", code, errs)
	}
}
