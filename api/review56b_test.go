package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"crypto/ed25519"
	"crypto/rand"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// review56bSignRaw signs a header map and a payload written as raw JSON
// text (so that duplicate keys survive).
func review56bSignRaw(hdr map[string]any, payload string, sign func(string) []byte) string {
	in := review45bB64(hdr) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	return in + "." + base64.RawURLEncoding.EncodeToString(sign(in))
}

// review56bExchanges returns the recorded exchanges since n.
func (e *env) review56bExchanges(n int) []api.Exchange {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	return append([]api.Exchange(nil), e.rec.xs[n:]...)
}

func (e *env) review56bCount() int {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	return len(e.rec.xs)
}

// review56bJWKSURL serves a JWKS whose document can be swapped, with a
// clock the test advances.
type review56bJWKSURL struct {
	mu    sync.Mutex
	doc   []byte
	clock time.Time
}

func (j *review56bJWKSURL) set(b []byte) { j.mu.Lock(); j.doc = b; j.mu.Unlock() }
func (j *review56bJWKSURL) now() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.clock
}
func (j *review56bJWKSURL) advance(d time.Duration) {
	j.mu.Lock()
	j.clock = j.clock.Add(d)
	j.mu.Unlock()
}

func review56bURLEnv(t *testing.T, k *review45bKeys) (*env, *review56bJWKSURL) {
	t.Helper()
	j := &review56bJWKSURL{doc: k.jwks, clock: time.Now()}
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.mu.Lock()
		b := j.doc
		j.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(js.Close)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dk, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{JWKS: js.URL, Issuer: "idp", Audience: "carex-api", DevKey: dk, Now: j.now})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Verifier = v })
	e.key = dk
	return e, j
}

// TestReview56bRevokedKeysTrustedWhenTheNewJWKSHasNoUsableKey: README
// (Identity) — "A key removed from the JWKS (revoked) is accepted until
// the next refetch, up to 5 minutes"; SPEC §4 the token's signature is
// checked. The identity provider answers 200 with a JWKS from which all
// three keys carex trusted have been removed: emptied ({"keys":[]},
// a provider revoking every key after a compromise), or rotated to a key
// carex does not take (RSA for PS256 only). carex treats the answer as a
// failed refresh and keeps trusting the removed keys for good: a fresh
// token signed with a removed key is accepted 6, 60 and 600 minutes later.
func TestReview56bRevokedKeysTrustedWhenTheNewJWKSHasNoUsableKey(t *testing.T) {
	for name, doc := range map[string]string{
		"emptied": `{"keys":[]}`,
		"rotated to a PS256 key": func() string {
			k2 := review45bNewKeys(t)
			var d struct {
				Keys []map[string]any `json:"keys"`
			}
			json.Unmarshal(k2.jwks, &d)
			m := d.Keys[0]
			m["kid"], m["alg"] = "rsa-v2", "PS256"
			b, _ := json.Marshal(map[string]any{"keys": []any{m}})
			return string(b)
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			k := review45bNewKeys(t)
			e, j := review56bURLEnv(t, k)
			seedShared(t, e)
			tok := func(sub string) string {
				n := j.now()
				return review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"},
					review45bClaims(map[string]any{"sub": sub, "iat": n.Unix(), "exp": n.Add(time.Hour).Unix()}), k.rs)
			}
			if r := e.do("GET", "/fhir/Condition?patient=jane", tok("before"), ""); r.status != 200 {
				t.Fatalf("before revocation: %d %.200s", r.status, r.body)
			}
			j.set([]byte(doc))
			for i, d := range []time.Duration{6 * time.Minute, 54 * time.Minute, 540 * time.Minute} {
				j.advance(d)
				// the first request starts the refetch; give it time to finish
				e.do("GET", "/fhir/Condition?patient=jane", tok(fmt.Sprintf("trigger-%d", i)), "")
				time.Sleep(400 * time.Millisecond)
				r := e.do("GET", "/fhir/Condition?patient=jane", tok(fmt.Sprintf("after-%d", i)), "")
				if r.status != 401 {
					t.Errorf("step %d after the provider removed rsa1 (%s): a fresh token signed with it: %d, want 401: %.160s", i, name, r.status, r.body)
				}
			}
		})
	}
}

// TestReview56bSoundDuplicateClaimKeys: a payload naming role, org, or
// exp twice is decided by the last (README: "of two with the same name
// the last counts"), and the access log records the same user the
// decision used.
func TestReview56bSoundDuplicateClaimKeys(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	h := map[string]any{"alg": "RS256", "kid": "rsa1"}
	now := time.Now()
	base := func(sub, extra string) string {
		return fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":%q,"name":"Dup","sector":"nhs","purpose":"TREAT","iat":%d,"exp":%d,%s}`,
			sub, now.Unix(), now.Add(time.Hour).Unix(), extra)
	}
	for _, tc := range []struct {
		sub, extra        string
		status            int
		release           bool
		wantRole, wantOrg string
	}{
		{"dup-ig-then-gp", `"org":"A81001","role":"ig-officer","role":"gp"`, 200, true, "gp", "A81001"},
		{"dup-gp-then-ig", `"org":"A81001","role":"gp","role":"ig-officer"`, 0, false, "ig-officer", "A81001"},
		{"dup-org-gp-then-stranger", `"role":"gp","org":"A81001","org":"Y99999"`, 0, false, "gp", "Y99999"},
		{"dup-org-case-key", `"role":"gp","org":"Y99999","ORG":"A81001","Org":"A81001"`, 0, false, "gp", "Y99999"},
	} {
		n := e.review56bCount()
		tok := review56bSignRaw(h, base(tc.sub, tc.extra), k.rs)
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		if tc.status != 0 && r.status != tc.status {
			t.Errorf("%s: %d %.200s", tc.sub, r.status, r.body)
		}
		if got := strings.Contains(r.body, "GP-DIABETES"); got != tc.release {
			t.Errorf("%s: released diabetes %v, want %v: %d %.200s", tc.sub, got, tc.release, r.status, r.body)
		}
		xs := e.review56bExchanges(n)
		if len(xs) != 1 || xs[0].Principal == nil || xs[0].Principal.Role != tc.wantRole || xs[0].Principal.Org != tc.wantOrg {
			t.Errorf("%s: logged %d exchanges %+v", tc.sub, len(xs), xs)
		}
		t.Logf("%s: %d", tc.sub, r.status)
	}
	// exp twice: the expired one last is refused
	past, fut := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix()
	p := fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":"dup-exp","sector":"nhs","org":"A81001","role":"gp","exp":%d,"exp":%d}`, fut, past)
	if r := e.do("GET", "/fhir/Condition?patient=jane", review56bSignRaw(h, p, k.rs), ""); r.status != 401 {
		t.Errorf("exp future then past: %d", r.status)
	}
	// alg twice in the header: none last is refused
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"rsa1","alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(base("dup-alg", `"org":"A81001","role":"gp"`)))
	if r := e.do("GET", "/fhir/Condition?patient=jane", in+"."+base64.RawURLEncoding.EncodeToString(k.rs(in)), ""); r.status != 401 {
		t.Errorf("alg RS256 then none: %d", r.status)
	}
}

// TestReview56bSoundBearerTransport: a token in the query string is not
// taken; the scheme is case-insensitive; a token over 16 KiB, two
// Authorization headers one of them bad, HEAD and OPTIONS (a CORS
// preflight) without a token are each refused 401 and logged once,
// releasing nothing and no CORS grant.
func TestReview56bSoundBearerTransport(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	check := func(name string, want int, req *http.Request) {
		t.Helper()
		n := e.review56bCount()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1<<16)
		m, _ := res.Body.Read(b)
		res.Body.Close()
		body := string(b[:m])
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d: %.200s", name, res.StatusCode, want, body)
		}
		if want != 200 && strings.Contains(body, "GP-DIABETES") {
			t.Errorf("%s: released: %.200s", name, body)
		}
		if res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS grant %q", name, res.Header.Get("Access-Control-Allow-Origin"))
		}
		if got := len(e.review56bExchanges(n)); got != 1 {
			t.Errorf("%s: %d exchanges logged, want 1", name, got)
		}
	}
	mk := func(method, path string, hdr ...string) *http.Request {
		r, _ := http.NewRequest(method, e.base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		return r
	}
	check("access_token query", 401, mk("GET", "/fhir/Condition?patient=jane&access_token="+gp))
	check("access_token only path", 401, mk("GET", "/fhir/Condition/diabetes?access_token="+gp))
	check("lowercase bearer", 200, mk("GET", "/fhir/Condition/diabetes", "Authorization", "bearer "+gp))
	check("BEARER", 200, mk("GET", "/fhir/Condition/diabetes", "Authorization", "BEARER "+gp))
	check("Basic", 401, mk("GET", "/fhir/Condition/diabetes", "Authorization", "Basic "+gp))
	check("token twice in one header", 401, mk("GET", "/fhir/Condition/diabetes", "Authorization", "Bearer "+gp+" "+gp))
	check("comma-joined", 401, mk("GET", "/fhir/Condition/diabetes", "Authorization", "Bearer "+gp+", Bearer "+gp))
	check("bad then good header", 401, mk("GET", "/fhir/Condition/diabetes", "Authorization", "Bearer x.y.z", "Authorization", "Bearer "+gp))
	check("huge token", 401, mk("GET", "/fhir/Condition/diabetes", "Authorization", "Bearer "+strings.Repeat("A", 20000)+"."+strings.Repeat("B", 10)+".C"))
	check("HEAD no token", 401, mk("HEAD", "/fhir/Condition/diabetes"))
	check("OPTIONS no token", 401, mk("OPTIONS", "/fhir/Condition/diabetes"))
	check("CORS preflight", 401, mk("OPTIONS", "/fhir/Patient/jane/$everything", "Origin", "https://evil.example", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization"))
	check("CORS GET with Origin", 200, mk("GET", "/fhir/Condition/diabetes", "Authorization", "Bearer "+gp, "Origin", "https://evil.example"))
}

// TestReview56bSoundDevTokenOnJWKSOnlyServer: a server with --jwks and
// without --dev refuses development tokens, whatever kid they name.
func TestReview56bSoundDevTokenOnJWKSOnlyServer(t *testing.T) {
	k := review45bNewKeys(t)
	file := t.TempDir() + "/jwks.json"
	if err := writeFile56b(file, k.jwks); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{JWKS: file, Issuer: "idp", Audience: "carex-api"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Verifier = v; c.Dev = false })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dk, _ := auth.NewDevKey(priv)
	for _, kid := range []string{dk.KID, "ed1", ""} {
		c := review45bClaims(map[string]any{"iss": auth.DevIssuer, "aud": auth.DefaultAudience})
		tok := review45bSign(map[string]any{"alg": "EdDSA", "kid": kid}, c, func(in string) []byte { return ed25519.Sign(dk.Private, []byte(in)) })
		if r := e.do("GET", "/fhir/Condition?patient=jane", tok, ""); r.status != 401 {
			t.Errorf("dev token kid %q: %d", kid, r.status)
		}
	}
	tok, _ := dk.Mint(auth.DevClaims{Sub: "d", Role: "gp", Sector: "nhs", Org: "A81001", TTL: time.Hour})
	if r := e.do("GET", "/fhir/Condition?patient=jane", tok, ""); r.status != 401 {
		t.Errorf("minted dev token: %d", r.status)
	}
}

// TestReview56bSoundWriteMediaTypes: only FHIR JSON (or JSON) is taken;
// XML, text, a list of types, no type are 415 and store nothing.
func TestReview56bSoundWriteMediaTypes(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	body := func(id string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},"code":{"text":"MT-` + id + `"}}`
	}
	for i, tc := range []struct {
		ct   string
		want int
	}{
		{"application/fhir+json; charset=utf-8", 201},
		{"APPLICATION/FHIR+JSON", 201},
		{"application/json", 201},
		{"application/fhir+xml", 415},
		{"application/xml", 415},
		{"text/plain", 415},
		{"application/fhir+json, text/plain", 415},
		{"application/json-patch+json", 415},
		{"", 415},
	} {
		id := fmt.Sprintf("mt%d", i)
		req, _ := http.NewRequest("PUT", e.base+"/fhir/Condition/"+id, strings.NewReader(body(id)))
		req.Header.Set("Authorization", "Bearer "+gp)
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("Content-Type %q: %d, want %d", tc.ct, res.StatusCode, tc.want)
		}
		r := e.do("GET", "/fhir/Condition/"+id, gp, "")
		if stored := r.status == 200; stored != (tc.want == 201) {
			t.Errorf("Content-Type %q: stored %v (%d)", tc.ct, stored, r.status)
		}
	}
}

func writeFile56b(p string, b []byte) error { return osWriteFile56b(p, b) }

var osWriteFile56b = func(p string, b []byte) error { return os.WriteFile(p, b, 0o600) }

// TestReview56bSoundHeaderKeyInjectionAndClaimEdges: a token that brings
// its own key (jwk, jku, x5u, x5c headers) with a kid carex does not know,
// or with a known kid but signed by its own key, is 401 and carex never
// fetches the jku/x5u; iss with a trailing slash or in another case, an
// aud list without ours, nbf/iat far ahead, NumericDates that are not
// finite numbers, booleans or null are 401; each refusal is logged once.
func TestReview56bSoundHeaderKeyInjectionAndClaimEdges(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	atk := review45bNewKeys(t) // the attacker's keys
	var hits sync.Mutex
	fetched := 0
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Lock()
		fetched++
		hits.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(atk.jwks)
	}))
	t.Cleanup(evil.Close)
	var atkJWK map[string]any
	json.Unmarshal(atk.jwk["rsa1"], &atkJWK)
	c := review45bClaims
	now := time.Now()
	bad := map[string]string{
		"jwk header, own kid":   review45bSign(map[string]any{"alg": "RS256", "kid": "atk", "jwk": atkJWK}, c(nil), atk.rs),
		"jwk header, known kid": review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1", "jwk": atkJWK}, c(nil), atk.rs),
		"jku header, own kid":   review45bSign(map[string]any{"alg": "RS256", "kid": "atk", "jku": evil.URL}, c(nil), atk.rs),
		"jku header, known kid": review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1", "jku": evil.URL}, c(nil), atk.rs),
		"x5u header":            review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1", "x5u": evil.URL}, c(nil), atk.rs),
		"kid path":              review45bSign(map[string]any{"alg": "RS256", "kid": "../../../../dev/null"}, c(nil), atk.rs),
		"kid RSA1 case":         review45bSign(map[string]any{"alg": "RS256", "kid": "RSA1"}, c(nil), k.rs),
		"iss trailing slash":    review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"iss": "idp/"}), k.rs),
		"iss upper":             review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"iss": "IDP"}), k.rs),
		"iss space":             review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"iss": "idp "}), k.rs),
		"aud list without ours": review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"aud": []string{"a", "carex-api2", "carex"}}), k.rs),
		"aud list nested":       review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"aud": []any{[]string{"carex-api"}}}), k.rs),
		"nbf far future":        review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"nbf": 9e15}), k.rs),
		"iat far future":        review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"iat": 9e15}), k.rs),
		"exp true":              review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"exp": true}), k.rs),
		"exp object":            review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"exp": map[string]any{"$numberLong": "9999999999"}}), k.rs),
		"exp float past":        review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"exp": float64(now.Add(-time.Hour).Unix()) + 0.5}), k.rs),
		"exp negative zero":     review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"exp": -0.0}), k.rs),
	}
	raw := map[string]string{
		"exp 1e400":   fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":"x","sector":"nhs","org":"A81001","role":"gp","exp":1e400}`),
		"exp 1e19":    fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":"x","sector":"nhs","org":"A81001","role":"gp","exp":1e19}`),
		"exp -":       fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":"x","sector":"nhs","org":"A81001","role":"gp","exp":-}`),
		"nbf string":  fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":"x","sector":"nhs","org":"A81001","role":"gp","exp":%d,"nbf":"0"}`, now.Add(time.Hour).Unix()),
		"iat null":    fmt.Sprintf(`{"iss":"idp","aud":"carex-api","sub":"x","sector":"nhs","org":"A81001","role":"gp","exp":%d,"iat":null}`, now.Add(time.Hour).Unix()),
		"exp null":    `{"iss":"idp","aud":"carex-api","sub":"x","sector":"nhs","org":"A81001","role":"gp","exp":null}`,
		"payload arr": `[{"iss":"idp"}]`,
	}
	for name, p := range raw {
		bad[name] = review56bSignRaw(map[string]any{"alg": "RS256", "kid": "rsa1"}, p, k.rs)
	}
	for name, tok := range bad {
		n := e.review56bCount()
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		if r.status != 401 || strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("%s: %d %.200s", name, r.status, r.body)
		}
		xs := e.review56bExchanges(n)
		if len(xs) != 1 || xs[0].Status != 401 {
			t.Errorf("%s: %d exchanges logged", name, len(xs))
		}
	}
	hits.Lock()
	defer hits.Unlock()
	if fetched != 0 {
		t.Errorf("carex fetched the token's jku/x5u %d times", fetched)
	}
	// far-future exp within int64 is a long-lived token (not bounded by SPEC): logged only
	for _, exp := range []float64{9e15, 9.2e18} {
		tok := review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, c(map[string]any{"exp": exp, "sub": fmt.Sprintf("far-%g", exp)}), k.rs)
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		t.Logf("exp %g: %d", exp, r.status)
	}
}

// TestReview56bSoundPathVariants: a path in another case, with doubled
// slashes, an encoded slash or dot segments, asked by a user with no
// relationship to Jane (and without a token) releases nothing of hers,
// and each is logged once.
func TestReview56bSoundPathVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	stranger := e.token("gp", "nhs", "Y99999")
	for _, p := range []string{
		"/FHIR/Condition/diabetes", "/fhir/condition/diabetes", "//fhir/Condition/diabetes", "/fhir//Condition/diabetes",
		"/fhir/Condition//diabetes", "/fhir/Condition/diabetes/", "/fhir/Condition%2Fdiabetes", "/fhir/Patient/x/../jane/$everything",
		"/fhir/./Condition/diabetes", "/fhir/Patient/jane/%24everything", "/fhir/Patient/jane/$EVERYTHING", "/fhir/metadata/../Condition/diabetes",
		"/fhir/metadata%2F..%2FCondition%2Fdiabetes", "/healthz/../fhir/Condition/diabetes",
	} {
		for _, tok := range []string{"", stranger} {
			n := e.review56bCount()
			req, err := http.NewRequest("GET", e.base+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = p // sent as written
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1<<16)
			m, _ := res.Body.Read(b)
			res.Body.Close()
			body := string(b[:m])
			if res.StatusCode < 400 || strings.Contains(body, "GP-DIABETES") || strings.Contains(body, "GP-HBA1C") {
				t.Errorf("%s (token %v): %d %.200s", p, tok != "", res.StatusCode, body)
			}
			if got := len(e.review56bExchanges(n)); got != 1 {
				t.Errorf("%s (token %v): %d exchanges logged (status %d)", p, tok != "", got, res.StatusCode)
			}
			t.Logf("%-45s token=%v %d", p, tok != "", res.StatusCode)
		}
	}
}

type writerFunc56b func(p []byte) (int, error)

func (f writerFunc56b) Write(p []byte) (int, error) { return f(p) }

// TestReview56bSubWithEdgeSpaceCannotBeListedByAgent: SPEC §6 — IG
// officers can list what a user accessed; README — IG tells users apart
// by sub. A token whose sub ends (or begins) with a space is accepted
// (401 is only for control, bidi and line-separator characters) and its
// accesses are logged under that exact sub, but AuditEvent?agent= and
// $user-activity?agent= trim the value they are given, so no query names
// that user: her read of Jane's diagnosis is in $who-accessed, shown as
// "dr-smith", and IG's drill-down on that agent finds nothing of it (it
// finds only the real dr-smith's accesses).
func TestReview56bSubWithEdgeSpaceCannotBeListedByAgent(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, sub := range []string{"dr-smith ", " dr-smith", "dr-smith\u00a0", "dr-smith\u2003"} {
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub; c.Name = "Dr Smith" })
		r := e.do("GET", "/fhir/Condition/diabetes", tok, "")
		if r.status != 200 {
			t.Logf("sub %q: read %d (refused: not this finding)", sub, r.status)
			continue
		}
		if w := e.do("GET", "/fhir/AuditEvent?patient=jane&_count=200", ig, ""); !strings.Contains(w.body, `"value":`+strconv.Quote(sub)) && !strings.Contains(w.body, `"value":"`+strings.ReplaceAll(sub, "\u00a0", "\u00a0")) {
			t.Logf("sub %q: not found verbatim in AuditEvent?patient=jane", sub)
		} else {
			t.Logf("sub %q: logged under its exact sub (found in AuditEvent?patient=jane)", sub)
		}
		q := strings.NewReplacer(" ", "%20", "\u00a0", "%C2%A0", "\u2003", "%E2%80%83").Replace(sub)
		for _, path := range []string{"/fhir/AuditEvent?agent=" + q, "/fhir/AuditEvent/$user-activity?agent=" + q} {
			r := e.do("GET", path, ig, "")
			if r.status != 200 || !strings.Contains(r.body, "Condition/diabetes") {
				t.Errorf("sub %q read Condition/diabetes (200); IG's %s: %d, the read not listed: %.300s", sub, path, r.status, r.body)
			}
		}
	}
}
