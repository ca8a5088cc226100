package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/sqlite"
)

// env is a real server: SQLite file in a temp dir, httptest server, and
// tokens signed with a development key.
type env struct {
	t    testing.TB
	srv  *httptest.Server
	key  *auth.DevKey
	api  *api.Server
	base string
	rec  *memRecorder
	db   *sqlite.DB
}

func newEnv(t testing.TB, opts ...func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "carex.db")
	copyNewDatabase(t, path)
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: key})
	if err != nil {
		t.Fatal(err)
	}
	rec := &memRecorder{}
	cfg := api.Config{Store: db, Verifier: v, Dev: true, MaxBody: 64 << 10, Recorder: rec}
	for _, o := range opts {
		o(&cfg)
	}
	s := api.New(cfg)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, srv: hs, key: key, api: s, base: hs.URL, rec: rec, db: db}
}

// newDatabase is the file of a database created by sqlite.Open and closed,
// made once per test binary: creating the schema in each of the package's
// ~1,600 environments was about half of its run time under the race
// detector. Opening a copy is opening existing, empty records, as a
// restarted server does; the store's own tests create theirs.
var newDatabase struct {
	once sync.Once
	data []byte
	err  error
}

func copyNewDatabase(t testing.TB, path string) {
	t.Helper()
	newDatabase.once.Do(func() {
		dir, err := os.MkdirTemp("", "carex-new-db")
		if err != nil {
			newDatabase.err = err
			return
		}
		defer os.RemoveAll(dir)
		p := filepath.Join(dir, "carex.db")
		db, err := sqlite.Open(context.Background(), p, sqlite.Options{})
		if err == nil {
			err = db.Close()
		}
		if err == nil {
			newDatabase.data, err = os.ReadFile(p)
		}
		newDatabase.err = err
	})
	if newDatabase.err != nil {
		t.Fatalf("creating the template database: %v", newDatabase.err)
	}
	if err := os.WriteFile(path, newDatabase.data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// bundlePage is the part of a Bundle the search tests read: its total,
// paging links, and each entry's type, id and search mode.
type bundlePage struct {
	ResourceType string `json:"resourceType"`
	Total        *int   `json:"total"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		} `json:"resource"`
		Search struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

// putAll writes each [path, body] with token, in order, and stops the test
// unless each is stored (200 or 201).
func (e *env) putAll(t *testing.T, token string, writes ...[2]string) {
	t.Helper()
	for _, w := range writes {
		if r := e.do("PUT", w[0], token, w[1]); r.status != 200 && r.status != 201 {
			t.Fatalf("%s: %d %s", w[0], r.status, r.body)
		}
	}
}

// memRecorder keeps the exchanges the access stage records.
type memRecorder struct {
	mu sync.Mutex
	xs []api.Exchange
}

func (m *memRecorder) Record(_ context.Context, x *api.Exchange) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.xs = append(m.xs, *x)
	return nil
}

// accessLogged reports whether some recorded request of user sub carries
// the reason code.
func (e *env) accessLogged(t *testing.T, sub, code string) bool {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if x.Principal != nil && x.Principal.Sub == sub {
			for _, r := range x.Reasons {
				if r == code {
					return true
				}
			}
		}
	}
	return false
}

func (e *env) token(role, sector, org string, mod ...func(*auth.DevClaims)) string {
	c := auth.DevClaims{Sub: role + "-user", Name: "Test " + role, Role: role, Sector: sector, Org: org, Purpose: "TREAT", TTL: time.Hour}
	for _, m := range mod {
		m(&c)
	}
	tok, err := e.key.Mint(c)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// expiredToken is signed with the right key but expired an hour ago.
func (e *env) expiredToken() string {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": auth.DevIssuer, "aud": auth.DefaultAudience, "sub": "gp-user", "name": "Test gp", "role": "gp",
		"sector": "nhs", "org": "A81001", "iat": now.Add(-2 * time.Hour).Unix(), "nbf": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
	})
	tok.Header["kid"] = e.key.KID
	s, err := tok.SignedString(e.key.Private)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path, token, body string, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

// scenario is one declarative API test: request, expected status, and
// content that must and must not appear.
type scenario struct {
	name     string
	method   string
	path     string
	token    string
	body     string
	headers  []string
	status   int
	contains []string
	absent   []string
}

func (e *env) run(t *testing.T, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			r := e.do(sc.method, sc.path, sc.token, sc.body, sc.headers...)
			if r.status != sc.status {
				t.Fatalf("%s %s: status %d, want %d\n%s", sc.method, sc.path, r.status, sc.status, r.body)
			}
			for _, c := range sc.contains {
				if !strings.Contains(r.body, c) {
					t.Errorf("%s %s: body lacks %q\n%s", sc.method, sc.path, c, r.body)
				}
			}
			for _, c := range sc.absent {
				if strings.Contains(r.body, c) {
					t.Errorf("%s %s: body must not contain %q\n%s", sc.method, sc.path, c, r.body)
				}
			}
			if r.status >= 400 && !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) {
				t.Errorf("error without an OperationOutcome: %s", r.body)
			}
		})
	}
}

const janeJSON = `{"resourceType":"Patient","id":"jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"gender":"female","birthDate":"1950-03-04","generalPractitioner":[{"reference":"Organization/A81001"}]}`

func TestRESTScenarios(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/jane", gp, janeJSON); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	big := `{"resourceType":"Patient","name":[{"text":"` + strings.Repeat("x", 70<<10) + `"}]}`
	expired := e.expiredToken()
	e.run(t, []scenario{
		{name: "metadata needs no token", method: "GET", path: "/fhir/metadata", status: 200, contains: []string{`"CapabilityStatement"`, `"everything"`, `"Claim"`}},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200},
		{name: "no token", method: "GET", path: "/fhir/Patient/jane", status: 401, absent: []string{"Smith"}},
		{name: "expired token", method: "GET", path: "/fhir/Patient/jane", token: expired, status: 401, absent: []string{"Smith"}},
		{name: "read", method: "GET", path: "/fhir/Patient/jane", token: gp, status: 200, contains: []string{`"versionId":"1"`, `"Smith"`}},
		{name: "read with trailing slash", method: "GET", path: "/fhir/Patient/jane/", token: gp, status: 200, contains: []string{`"Smith"`}},
		{name: "read unknown", method: "GET", path: "/fhir/Patient/nobody", token: gp, status: 404},
		{name: "unknown type", method: "GET", path: "/fhir/Pateint/jane", token: gp, status: 404},
		{name: "search by NHS number", method: "GET", path: "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", token: gp, status: 200, contains: []string{`"total":1`, `"Smith"`}},
		{name: "search base with slash", method: "GET", path: "/fhir/Patient/?family=smith", token: gp, status: 200, contains: []string{`"total":1`}},
		{name: "unknown search parameter", method: "GET", path: "/fhir/Patient?favourite-colour=blue", token: gp, status: 400, contains: []string{"favourite-colour"}},
		{name: "bad date", method: "GET", path: "/fhir/Patient?birthdate=yesterday", token: gp, status: 400},
		{name: "malformed JSON", method: "POST", path: "/fhir/Patient", token: gp, body: `{"resourceType":"Patient",`, status: 400},
		{name: "wrong resourceType", method: "POST", path: "/fhir/Patient", token: gp, body: `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, status: 400},
		{name: "unknown resourceType", method: "POST", path: "/fhir/Patient", token: gp, body: `{"resourceType":"Pateint"}`, status: 400},
		{name: "invalid NHS number", method: "POST", path: "/fhir/Patient", token: gp, body: `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]}`, status: 422, contains: []string{"identifier"}},
		{name: "unknown element", method: "POST", path: "/fhir/Patient", token: gp, body: `{"resourceType":"Patient","favouriteColour":"blue"}`, status: 422, contains: []string{"favouriteColour"}},
		{name: "wrong media type", method: "POST", path: "/fhir/Patient", token: gp, body: `{"resourceType":"Patient"}`, headers: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "too large", method: "POST", path: "/fhir/Patient", token: gp, body: big, status: 413},
		{name: "update id mismatch", method: "PUT", path: "/fhir/Patient/other", token: gp, body: janeJSON, status: 400},
		{name: "stale If-Match", method: "PUT", path: "/fhir/Patient/jane", token: gp, body: janeJSON, headers: []string{"If-Match", `W/"7"`}, status: 412},
		{name: "purpose not direct care", method: "GET", path: "/fhir/Patient/jane", token: e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = "HMARKT" }), status: 403, absent: []string{"Smith"}},
		{name: "metrics need a token", method: "GET", path: "/metrics", status: 401},
		{name: "PATCH not allowed", method: "PATCH", path: "/fhir/Patient/jane", token: gp, body: `{}`, status: 405},
	})
	// Nothing from the refused writes was stored.
	if r := e.do("GET", "/fhir/Patient?_count=0", gp, ""); !strings.Contains(r.body, `"total":1`) {
		t.Errorf("refused writes stored something: %s", r.body)
	}
	if r := e.do("GET", "/metrics", gp, ""); r.status != 200 || !strings.Contains(r.body, "carex_http_requests_total") {
		t.Errorf("metrics: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/jane", "", ""); r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
}

func TestVersioning(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("POST", "/fhir/Patient", gp, `{"resourceType":"Patient","name":[{"family":"Jones"}]}`)
	if r.status != 201 || r.header.Get("ETag") != `W/"1"` || !strings.Contains(r.header.Get("Location"), "/fhir/Patient/") {
		t.Fatalf("create: %d etag=%q location=%q", r.status, r.header.Get("ETag"), r.header.Get("Location"))
	}
	var p map[string]any
	json.Unmarshal([]byte(r.body), &p)
	id := p["id"].(string)
	upd := `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"Jones-Brown"}]}`
	if r := e.do("PUT", "/fhir/Patient/"+id, gp, upd, "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
		t.Fatalf("update: %d %s", r.status, r.header.Get("ETag"))
	}
	if r := e.do("PUT", "/fhir/Patient/"+id, gp, upd, "If-Match", `W/"1"`); r.status != 412 {
		t.Fatalf("lost update not refused: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/"+id+"/_history/1", gp, ""); r.status != 200 || !strings.Contains(r.body, `"Jones"`) {
		t.Fatalf("vread: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/Patient/"+id+"/_history", gp, "")
	if !strings.Contains(r.body, `"total":2`) || !strings.Contains(r.body, `"type":"history"`) {
		t.Fatalf("history: %s", r.body)
	}
	if r := e.do("DELETE", "/fhir/Patient/"+id, gp, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/"+id, gp, ""); r.status != 410 {
		t.Fatalf("read after delete: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/"+id+"/_history", gp, ""); !strings.Contains(r.body, `"total":3`) || !strings.Contains(r.body, `"DELETE"`) {
		t.Fatalf("history after delete: %s", r.body)
	}
	// Conditional create: a feed resending the same record creates nothing new.
	body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}]}`
	first := e.do("POST", "/fhir/Patient", gp, body, "If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919")
	// HL7's examples also write the condition as "Type?query".
	again := e.do("POST", "/fhir/Patient", gp, body, "If-None-Exist", "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919")
	if first.status != 201 || again.status != 200 {
		t.Fatalf("conditional create: %d then %d", first.status, again.status)
	}
}

func TestTransaction(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Organization/A81001", sys, `{"resourceType":"Organization","id":"A81001","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],"name":"Riverside Surgery"}`); r.status != 201 {
		t.Fatalf("org: %d %s", r.status, r.body)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","name":[{"family":"Tx"}],
	   "managingOrganization":{"reference":"Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001"}},"request":{"method":"POST","url":"Patient"}},
	 {"fullUrl":"urn:uuid:22222222-2222-2222-2222-222222222222","resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"},"code":{"text":"asthma"}},"request":{"method":"POST","url":"Condition"}}]}`
	r := e.do("POST", "/fhir", sys, tx)
	if r.status != 200 || strings.Count(r.body, `"201 Created"`) != 2 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "urn:uuid:1111") || !strings.Contains(r.body, `"reference":"Organization/A81001"`) {
		t.Fatalf("references not resolved: %s", r.body)
	}
	var out struct {
		Entry []struct {
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	json.Unmarshal([]byte(r.body), &out)
	pid := out.Entry[0].Resource.ID
	if r := e.do("GET", "/fhir/Condition?patient="+pid, sys, ""); !strings.Contains(r.body, `"total":1`) {
		t.Fatalf("condition not in the new patient's compartment: %s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient/"+pid+"/$everything", sys, ""); !strings.Contains(r.body, `"total":2`) {
		t.Fatalf("$everything: %s", r.body)
	}
	// References nested in arrays and extensions are rewritten too (each
	// named only there); one that needs no change keeps its bytes (an
	// escaped "/" stays escaped).
	nested := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:33333333-3333-3333-3333-333333333333","resource":{"resourceType":"Patient","name":[{"family":"Nested"}],
	   "managingOrganization":{"reference":"Organization\/A81001"}},"request":{"method":"POST","url":"Patient"}},
	 {"fullUrl":"urn:uuid:44444444-4444-4444-4444-444444444444","resource":{"resourceType":"Practitioner","name":[{"family":"Evidence"}]},"request":{"method":"POST","url":"Practitioner"}},
	 {"fullUrl":"urn:uuid:55555555-5555-5555-5555-555555555555","resource":{"resourceType":"Practitioner","name":[{"family":"Carer"}]},"request":{"method":"POST","url":"Practitioner"}},
	 {"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:33333333-3333-3333-3333-333333333333"},"code":{"text":"copd"},
	   "evidence":[{"detail":[{"reference":"Organization/A81001"},{"reference":"urn:uuid:44444444-4444-4444-4444-444444444444"}]}],
	   "extension":[{"url":"https://example.org/carer","valueReference":{"reference":"urn:uuid:55555555-5555-5555-5555-555555555555"}}]},
	   "request":{"method":"POST","url":"Condition"}}]}`
	r = e.do("POST", "/fhir", sys, nested)
	if r.status != 200 {
		t.Fatalf("nested references: %d %s", r.status, r.body)
	}
	json.Unmarshal([]byte(r.body), &out)
	npid, prac1, prac2 := out.Entry[0].Resource.ID, out.Entry[1].Resource.ID, out.Entry[2].Resource.ID
	for _, want := range []string{"Patient/" + npid, "Practitioner/" + prac1, "Practitioner/" + prac2} {
		if !strings.Contains(r.body, `"reference":"`+want+`"`) {
			t.Fatalf("reference to %s not written: %s", want, r.body)
		}
	}
	if strings.Contains(r.body, "urn:uuid:") {
		t.Fatalf("a reference was not rewritten: %s", r.body)
	}
	if r := e.do("GET", "/fhir/Patient/"+npid, sys, ""); !strings.Contains(r.body, `"reference":"Organization\/A81001"`) {
		t.Fatalf("an unchanged reference lost its original bytes: %s", r.body)
	}
	// All or nothing: the second entry is invalid, so the first is not stored.
	bad := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Patient","name":[{"family":"Atomic"}]},"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1234567890"}]},"request":{"method":"POST","url":"Patient"}}]}`
	if r := e.do("POST", "/fhir", sys, bad); r.status != 422 {
		t.Fatalf("invalid transaction: %d %s", r.status, r.body)
	}
	unresolved := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Patient","name":[{"family":"Atomic"}]},"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:99999999-9999-9999-9999-999999999999"},"code":{"text":"x"}},"request":{"method":"POST","url":"Condition"}}]}`
	if r := e.do("POST", "/fhir", sys, unresolved); r.status != 400 {
		t.Fatalf("dangling urn:uuid: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient?family=atomic", sys, ""); !strings.Contains(r.body, `"total":0`) {
		t.Fatalf("a failed transaction stored data: %s", r.body)
	}
	// Batch: entries succeed or fail on their own.
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"resource":{"resourceType":"Patient","name":[{"family":"Batch"}]},"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Patient","favouriteColour":"red"},"request":{"method":"POST","url":"Patient"}},
	 {"request":{"method":"GET","url":"Patient?family=batch"}},
	 {"request":{"method":"GET","url":"https://elsewhere.example/fhir/Patient/x"}}]}`
	r = e.do("POST", "/fhir", sys, batch)
	if r.status != 200 || !strings.Contains(r.body, `"201 Created"`) || !strings.Contains(r.body, `"422 Unprocessable Entity"`) || !strings.Contains(r.body, `"total":1`) ||
		!strings.Contains(r.body, `"400 Bad Request"`) {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
}

func TestImportSyntheaBundle(t *testing.T) {
	e := newEnv(t)
	p := &auth.Principal{Sub: "import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	raw := []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"c1"}},{"resource":{"resourceType":"Observation","id":"c2","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/c1"}}}]}`)
	counts, err := e.api.Import(context.Background(), p, raw)
	if err != nil || counts["Patient"] != 1 || counts["Observation"] != 1 {
		t.Fatalf("collection import: %v %v", counts, err)
	}
	// Re-importing a collection is idempotent (PUT by id): still one Patient.
	if _, err := e.api.Import(context.Background(), p, raw); err != nil {
		t.Fatal(err)
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Patient?_count=0", gp, ""); !bytes.Contains([]byte(r.body), []byte(`"total":1`)) {
		t.Fatalf("re-import duplicated: %s", r.body)
	}
}

// TestConcurrentConditionalWrites: conditional updates and bundles with
// conditional references (their '?' written or escaped), sent while plain
// writes arrive at the same time, commit alone (store.Write.Alone): the store fails a request that
// searches inside a shared transaction, so a missing mark shows as a 500.
func TestConcurrentConditionalWrites(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Organization/A81001", sys, `{"resourceType":"Organization","id":"A81001","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],"name":"Riverside Surgery"}`); r.status != 201 {
		t.Fatalf("org: %d %s", r.status, r.body)
	}
	obs := func(id, patient string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","identifier":[{"system":"https://carex.example/obs","value":"` + id + `"}],
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/` + patient + `"},"valueQuantity":{"value":70,"unit":"/min"}}`
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for g := range 8 {
		wg.Go(func() {
			for i := range 12 {
				id, pat := fmt.Sprintf("o-%d-%d", g, i%3), fmt.Sprintf("p-%d", g)
				var r resp
				switch (g + i) % 3 {
				case 0:
					r = e.do("PUT", "/fhir/Observation/"+id, sys, obs(id, pat))
				case 1:
					r = e.do("PUT", "/fhir/Observation?identifier=https://carex.example/obs|"+id, sys, obs(id, pat))
				default:
					q := "?"
					if i%2 == 0 {
						q = `\u003f` // the same reference, its '?' escaped
					}
					r = e.do("POST", "/fhir", sys, `{"resourceType":"Bundle","type":"transaction","entry":[
					 {"resource":{"resourceType":"Encounter","id":"`+id+`-enc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
					   "subject":{"reference":"Patient/`+pat+`"},"serviceProvider":{"reference":"Organization`+q+`identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001"}},
					  "request":{"method":"PUT","url":"Encounter/`+id+`-enc"}}]}`)
				}
				if r.status >= 300 {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: %d %s", id, r.status, r.body))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d writes failed, e.g. %s", len(bad), bad[0])
	}
}

// TestTransactionConditionalUpdateDerivesFromTheMatchedID: a transaction's
// conditional update that matches takes the matched resource's id, and what
// depends on the id (a Patient's own compartment) follows it, not the id the
// entry had before the match.
func TestTransactionConditionalUpdateDerivesFromTheMatchedID(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	updated := strings.Replace(strings.Replace(janeJSON, `"id":"jane",`, "", 1), `"given"`, `"prefix":["TX-UPDATED"],"given"`, 1)
	if !strings.Contains(updated, "TX-UPDATED") || strings.Contains(updated, `"id":"jane"`) {
		t.Fatalf("the fixture: %s", updated)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + updated + `,
	 "request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}}]}`
	if r := e.do("POST", "/fhir", gp, tx); r.status != 200 || !strings.Contains(r.body, `"200 OK"`) {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("gp", "nhs", "A81001"), "")
	if r.status != 200 || !strings.Contains(r.body, "TX-UPDATED") {
		t.Fatalf("Jane's $everything lacks her updated Patient: %d %.600s", r.status, r.body)
	}
}
