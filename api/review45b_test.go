package api_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

// review45bKeys are an identity provider's keys: RSA, P-256 and Ed25519.
type review45bKeys struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	ed   ed25519.PrivateKey
	jwks []byte
	jwk  map[string][]byte // kid -> that key's JWK JSON
}

func review45bNewKeys(t *testing.T) *review45bKeys {
	t.Helper()
	k := &review45bKeys{jwk: map[string][]byte{}}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	b := base64.RawURLEncoding.EncodeToString
	pad := func(x *big.Int) string { buf := make([]byte, 32); x.FillBytes(buf); return b(buf) }
	keys := []map[string]any{
		{"kty": "RSA", "kid": "rsa1", "use": "sig", "alg": "RS256", "n": b(k.rsa.N.Bytes()), "e": b(big.NewInt(int64(k.rsa.E)).Bytes())},
		{"kty": "EC", "kid": "ec1", "use": "sig", "alg": "ES256", "crv": "P-256", "x": pad(k.ec.X), "y": pad(k.ec.Y)},
		{"kty": "OKP", "kid": "ed1", "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b(k.ed.Public().(ed25519.PublicKey))},
	}
	for _, m := range keys {
		j, _ := json.Marshal(m)
		k.jwk[m["kid"].(string)] = j
	}
	k.jwks, _ = json.Marshal(map[string]any{"keys": keys})
	return k
}

// review45bEnv is a server that verifies tokens from a JWKS file (issuer
// "idp", audience "carex-api") and, for seeding, the development key.
func review45bEnv(t *testing.T, k *review45bKeys) *env {
	t.Helper()
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, k.jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dk, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{JWKS: file, Issuer: "idp", Audience: "carex-api", DevKey: dk})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Verifier = v })
	e.key = dk
	return e
}

func review45bB64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// review45bSign builds header.claims and signs it as sign says.
func review45bSign(hdr, claims map[string]any, sign func(in string) []byte) string {
	in := review45bB64(hdr) + "." + review45bB64(claims)
	return in + "." + base64.RawURLEncoding.EncodeToString(sign(in))
}

func (k *review45bKeys) rs(in string) []byte {
	h := sha256.Sum256([]byte(in))
	s, _ := rsa.SignPKCS1v15(rand.Reader, k.rsa, crypto.SHA256, h[:])
	return s
}

func review45bES(key *ecdsa.PrivateKey, size int) func(string) []byte {
	return func(in string) []byte {
		var h []byte
		if size == 48 {
			s := crypto.SHA384.New()
			s.Write([]byte(in))
			h = s.Sum(nil)
		} else {
			s := sha256.Sum256([]byte(in))
			h = s[:]
		}
		r, s, _ := ecdsa.Sign(rand.Reader, key, h)
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
}

func (k *review45bKeys) eds(in string) []byte { return ed25519.Sign(k.ed, []byte(in)) }

func review45bHS(secret []byte) func(string) []byte {
	return func(in string) []byte {
		s, _ := jwt.SigningMethodHS256.Sign(in, secret)
		return s
	}
}

func review45bClaims(mod map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": "idp", "aud": "carex-api", "sub": "u-45b", "name": "User 45b", "role": "gp",
		"sector": "nhs", "org": "A81001", "purpose": "TREAT", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range mod {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// review45bCount401 counts the recorded exchanges answered 401.
func (e *env) review45bCount401() int {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	n := 0
	for _, x := range e.rec.xs {
		if x.Status == 401 {
			n++
		}
	}
	return n
}

// TestReview45bSoundJWKSTokenVariants: against a server with an identity
// provider's RSA, P-256 and Ed25519 keys, tokens of each key are accepted;
// algorithm confusion (HS256 keyed with the RSA key's PEM, DER or JWK
// bytes, or the Ed25519 key's bytes; none; an algorithm the key is not
// for; ES256 signed with a P-384 key; ES384), a kid absent or naming
// another key, a wrong iss/aud, the development issuer, time edges, claims
// of the wrong JSON type and unknown roles are each 401 with an
// OperationOutcome and a WWW-Authenticate, release nothing, and are each
// logged (one exchange with status 401).
func TestReview45bSoundJWKSTokenVariants(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	now := time.Now()
	rsaH := map[string]any{"alg": "RS256", "kid": "rsa1", "typ": "JWT"}
	ecH := map[string]any{"alg": "ES256", "kid": "ec1", "typ": "JWT"}
	edH := map[string]any{"alg": "EdDSA", "kid": "ed1", "typ": "JWT"}

	good := map[string]string{
		"RS256":              review45bSign(rsaH, review45bClaims(nil), k.rs),
		"ES256":              review45bSign(ecH, review45bClaims(nil), review45bES(k.ec, 32)),
		"EdDSA":              review45bSign(edH, review45bClaims(nil), k.eds),
		"aud list with ours": review45bSign(rsaH, review45bClaims(map[string]any{"aud": []string{"other", "carex-api"}}), k.rs),
		"exp 10s ago (skew)": review45bSign(rsaH, review45bClaims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()}), k.rs),
		"nbf 10s ahead":      review45bSign(rsaH, review45bClaims(map[string]any{"nbf": now.Add(10 * time.Second).Unix()}), k.rs),
		"job role R8000":     review45bSign(rsaH, review45bClaims(map[string]any{"role": "R8000"}), k.rs),
		"job role S:G:R8000": review45bSign(rsaH, review45bClaims(map[string]any{"role": "S8000:G8000:R8000"}), k.rs),
		"no purpose (TREAT)": review45bSign(rsaH, review45bClaims(map[string]any{"purpose": nil}), k.rs),
	}
	for name, tok := range good {
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		if r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("good %s: %d %.300s", name, r.status, r.body)
		}
	}

	pub, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherRS := func(in string) []byte {
		h := sha256.Sum256([]byte(in))
		s, _ := rsa.SignPKCS1v15(rand.Reader, otherRSA, crypto.SHA256, h[:])
		return s
	}
	hs := func(kid string) map[string]any { return map[string]any{"alg": "HS256", "kid": kid, "typ": "JWT"} }
	c := review45bClaims
	bad := map[string]string{
		"HS256 RSA PEM":          review45bSign(hs("rsa1"), c(nil), review45bHS(pemPub)),
		"HS256 RSA PKCS1 PEM":    review45bSign(hs("rsa1"), c(nil), review45bHS(pkcs1)),
		"HS256 RSA DER":          review45bSign(hs("rsa1"), c(nil), review45bHS(pub)),
		"HS256 RSA JWK":          review45bSign(hs("rsa1"), c(nil), review45bHS(k.jwk["rsa1"])),
		"HS256 JWKS doc":         review45bSign(hs("rsa1"), c(nil), review45bHS(k.jwks)),
		"HS256 Ed25519 bytes":    review45bSign(hs("ed1"), c(nil), review45bHS(k.ed.Public().(ed25519.PublicKey))),
		"HS256 EC JWK":           review45bSign(hs("ec1"), c(nil), review45bHS(k.jwk["ec1"])),
		"HS256 no kid RSA PEM":   review45bSign(map[string]any{"alg": "HS256"}, c(nil), review45bHS(pemPub)),
		"none":                   review45bB64(map[string]any{"alg": "none", "kid": "rsa1"}) + "." + review45bB64(c(nil)) + ".",
		"None":                   review45bB64(map[string]any{"alg": "None", "kid": "rsa1"}) + "." + review45bB64(c(nil)) + ".",
		"ES256 P-384 key":        review45bSign(ecH, c(nil), review45bES(p384, 48)),
		"ES384 on ec1":           review45bSign(map[string]any{"alg": "ES384", "kid": "ec1"}, c(nil), review45bES(p384, 48)),
		"PS256 on rsa1":          review45bSign(map[string]any{"alg": "PS256", "kid": "rsa1"}, c(nil), k.rs),
		"RS256 header, ec1 kid":  review45bSign(map[string]any{"alg": "RS256", "kid": "ec1"}, c(nil), k.rs),
		"EdDSA header, rsa1 kid": review45bSign(map[string]any{"alg": "EdDSA", "kid": "rsa1"}, c(nil), k.eds),
		"ES256 header, ed1 kid":  review45bSign(map[string]any{"alg": "ES256", "kid": "ed1"}, c(nil), review45bES(k.ec, 32)),
		"no kid (3 keys)":        review45bSign(map[string]any{"alg": "RS256"}, c(nil), k.rs),
		"kid of another key": review45bSign(map[string]any{"alg": "EdDSA", "kid": "ed1"}, c(nil), func(in string) []byte {
			_, o, _ := ed25519.GenerateKey(rand.Reader)
			return ed25519.Sign(o, []byte(in))
		}),
		"other RSA key rsa1":    review45bSign(rsaH, c(nil), otherRS),
		"ALG case twin":         review45bSign(map[string]any{"alg": "EdDSA", "ALG": "RS256", "kid": "rsa1"}, c(nil), k.rs),
		"dev issuer via JWKS":   review45bSign(rsaH, c(map[string]any{"iss": auth.DevIssuer, "aud": auth.DefaultAudience}), k.rs),
		"iss wrong":             review45bSign(rsaH, c(map[string]any{"iss": "idp2"}), k.rs),
		"iss missing":           review45bSign(rsaH, c(map[string]any{"iss": nil}), k.rs),
		"iss as array":          review45bSign(rsaH, c(map[string]any{"iss": []string{"idp"}}), k.rs),
		"aud wrong":             review45bSign(rsaH, c(map[string]any{"aud": "carex"}), k.rs),
		"aud empty":             review45bSign(rsaH, c(map[string]any{"aud": ""}), k.rs),
		"aud empty list":        review45bSign(rsaH, c(map[string]any{"aud": []string{}}), k.rs),
		"aud missing":           review45bSign(rsaH, c(map[string]any{"aud": nil}), k.rs),
		"aud case":              review45bSign(rsaH, c(map[string]any{"aud": "CAREX-API"}), k.rs),
		"exp 60s ago":           review45bSign(rsaH, c(map[string]any{"exp": now.Add(-60 * time.Second).Unix()}), k.rs),
		"exp missing":           review45bSign(rsaH, c(map[string]any{"exp": nil}), k.rs),
		"exp 0":                 review45bSign(rsaH, c(map[string]any{"exp": 0}), k.rs),
		"exp negative":          review45bSign(rsaH, c(map[string]any{"exp": -1}), k.rs),
		"nbf 60s ahead":         review45bSign(rsaH, c(map[string]any{"nbf": now.Add(60 * time.Second).Unix()}), k.rs),
		"iat 60s ahead":         review45bSign(rsaH, c(map[string]any{"iat": now.Add(60 * time.Second).Unix()}), k.rs),
		"role as array":         review45bSign(rsaH, c(map[string]any{"role": []string{"gp"}}), k.rs),
		"role as object":        review45bSign(rsaH, c(map[string]any{"role": map[string]any{"code": "gp"}}), k.rs),
		"org as number":         review45bSign(rsaH, c(map[string]any{"org": 81001}), k.rs),
		"org as array":          review45bSign(rsaH, c(map[string]any{"org": []string{"A81001"}}), k.rs),
		"sector NHS":            review45bSign(rsaH, c(map[string]any{"sector": "NHS"}), k.rs),
		"sector missing":        review45bSign(rsaH, c(map[string]any{"sector": nil}), k.rs),
		"sub missing":           review45bSign(rsaH, c(map[string]any{"sub": nil}), k.rs),
		"sub number":            review45bSign(rsaH, c(map[string]any{"sub": 12}), k.rs),
		"purpose as Coding":     review45bSign(rsaH, c(map[string]any{"purpose": map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}}), k.rs),
		"purpose as array":      review45bSign(rsaH, c(map[string]any{"purpose": []string{"TREAT"}}), k.rs),
		"role GP upper":         review45bSign(rsaH, c(map[string]any{"role": "GP"}), k.rs),
		"role admin":            review45bSign(rsaH, c(map[string]any{"role": "admin"}), k.rs),
		"role empty":            review45bSign(rsaH, c(map[string]any{"role": ""}), k.rs),
		"role R9999":            review45bSign(rsaH, c(map[string]any{"role": "R9999"}), k.rs),
		"role S:G:R9999":        review45bSign(rsaH, c(map[string]any{"role": "S8000:G8000:R9999"}), k.rs),
		"role R8000 trailing :": review45bSign(rsaH, c(map[string]any{"role": "R8000:"}), k.rs),
		"role R8000 space":      review45bSign(rsaH, c(map[string]any{"role": "R8000 "}), k.rs),
		"role gp space":         review45bSign(rsaH, c(map[string]any{"role": "gp "}), k.rs),
		"org empty":             review45bSign(rsaH, c(map[string]any{"org": ""}), k.rs),
		"org with slash":        review45bSign(rsaH, c(map[string]any{"org": "Organization/A81001"}), k.rs),
		"council code nhs":      review45bSign(rsaH, c(map[string]any{"org": "E06000999"}), k.rs),
		"crit header":           review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1", "crit": []string{"exp"}, "exp": 1}, c(nil), k.rs),
	}
	before := e.review45bCount401()
	n := 0
	for name, tok := range bad {
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		n++
		if r.status != 401 || !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) || strings.Contains(r.body, "GP-DIABETES") || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("bad %s: %d %.300s", name, r.status, r.body)
		} else {
			t.Logf("%-24s 401 %s", name, r.header.Get("WWW-Authenticate"))
		}
		if got := e.review45bCount401() - before; got != n {
			t.Errorf("bad %s: %d exchanges logged with 401 after %d refused requests", name, got, n)
			before = e.review45bCount401() - n
		}
	}
}

// TestReview45bSoundPurposesOutsidePolicyRefusedAndLogged: a lower-case
// purpose, a purpose of another code system's spelling, and the secondary
// uses are 403 and each logged as refused for its purpose.
func TestReview45bSoundPurposesOutsidePolicyRefusedAndLogged(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	rsaH := map[string]any{"alg": "RS256", "kid": "rsa1"}
	for _, p := range []string{"treat", "Treat", "HMARKT", "HPAYMT", "HRESCH", "CLINTRCH", "PUBHLTH", "HOPERAT", "TREAT,HRESCH", "TREAT HRESCH", "ETREAT\u200b"} {
		sub := "p45b-" + strings.NewReplacer(" ", "_", ",", "_", "\u200b", "zw").Replace(p)
		tok := review45bSign(rsaH, review45bClaims(map[string]any{"purpose": p, "sub": sub}), k.rs)
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if r.status != 403 || strings.Contains(r.body, "GP-DIABETES") || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("purpose %q: %d %.300s", p, r.status, r.body)
		}
		e.rec.mu.Lock()
		logged := false
		for _, x := range e.rec.xs {
			if x.Principal != nil && x.Principal.Sub == sub && x.Status == 403 && x.Principal.Purpose == p {
				logged = true
			}
		}
		e.rec.mu.Unlock()
		if !logged {
			t.Errorf("purpose %q: no 403 exchange logged with that purpose", p)
		}
	}
}

// TestReview45bSoundJobRoles: the national RBAC codes get the carex
// role's powers and no more: R0001/R5105 (IG) see no clinical data, R8014
// (social worker) no lab results, R8001 (nurse) no observations; an
// unmapped code is 401.
func TestReview45bSoundJobRoles(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	rsaH := map[string]any{"alg": "RS256", "kid": "rsa1"}
	tok := func(role, sector, org string) string {
		return review45bSign(rsaH, review45bClaims(map[string]any{"role": role, "sector": sector, "org": org, "sub": "jr-" + role}), k.rs)
	}
	for _, tc := range []struct {
		role, sector, org string
		status            int
		absent            []string
	}{
		{"R0001", "nhs", "A81001", 0, []string{"GP-DIABETES", "GP-HBA1C", "HOSP-ADMISSION"}},
		{"r5105", "nhs", "A81001", 0, []string{"GP-DIABETES", "GP-HBA1C", "HOSP-ADMISSION"}},
		{"S8000:G8000:R5105", "council", "E06000999", 0, []string{"GP-DIABETES", "GP-HBA1C", "HOSP-ADMISSION"}},
		{"R8014", "council", "E06000999", 0, []string{"GP-HBA1C"}},
		{"R8001", "nhs", "RCX", 0, []string{"GP-HBA1C", "HOSP-ADMISSION"}},
	} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok(tc.role, tc.sector, tc.org), "")
		for _, a := range tc.absent {
			if strings.Contains(r.body, a) {
				t.Errorf("%s: released %s: %d %.300s", tc.role, a, r.status, r.body)
			}
		}
		t.Logf("%s: %d", tc.role, r.status)
	}
	for _, role := range []string{"R8003", "R0260", "S8000:G8000:R8002", "R80000", "RR8000"} {
		if r := e.do("GET", "/fhir/Patient/jane/$everything", tok(role, "nhs", "A81001"), ""); r.status != 401 || strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("unmapped %s: %d %.300s", role, r.status, r.body)
		}
	}
}

// TestReview45bSoundSystemRoleReadsOnlyItsOwn: a client system's token
// (role system) reads back only what its organisation recorded: the
// council's system sees neither the GP's nor the hospital's items of
// Jane's, however asked; it may not read the access log, and break-glass
// gives it nothing more.
func TestReview45bSoundSystemRoleReadsOnlyItsOwn(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	sys := e.token("system", "council", "E06000999")
	stranger := e.token("system", "nhs", "Y99999")
	for _, path := range []string{"/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane", "/fhir/Condition/diabetes",
		"/fhir/Observation/hba1c", "/fhir/Encounter?patient=jane", "/fhir/Condition/diabetes/_history", "/fhir/Patient/jane",
		"/fhir/EpisodeOfCare?patient=jane&_revinclude=*&_include=*", "/fhir/Condition?code=44054006", "/fhir/CarePlan/wound"} {
		for name, tok := range map[string]string{"council system": sys, "stranger system": stranger} {
			for _, bg := range []string{"", "EMERGENCY: unconscious patient in A&E, no history"} {
				var r resp
				if bg == "" {
					r = e.do("GET", path, tok, "")
				} else {
					r = e.do("GET", path, tok, "", "X-Break-Glass", bg)
				}
				for _, s := range []string{"GP-DIABETES", "GP-HBA1C", "HOSP-ADMISSION", "TRUST-WOUND-CARE", "GP-HIV"} {
					if strings.Contains(r.body, s) {
						t.Errorf("%s %s (bg %q): released %s: %d %.300s", name, path, bg, s, r.status, r.body)
					}
				}
				if name == "stranger system" && strings.Contains(r.body, "COUNCIL-CARE-PACKAGE") {
					t.Errorf("%s %s: released the council's package: %.300s", name, path, r.body)
				}
			}
		}
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/package", sys, ""); r.status != 200 || !strings.Contains(r.body, "COUNCIL-CARE-PACKAGE") {
		t.Errorf("council system reading its own package: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/AuditEvent?patient=jane", "/fhir/AuditEvent/$who-accessed?patient=jane", "/fhir/AuditEvent/$alerts"} {
		if r := e.do("GET", path, sys, ""); r.status != 403 {
			t.Errorf("system %s: %d %.300s", path, r.status, r.body)
		}
	}
}

// TestReview45bJWKSRotationAndFaults: a JWKS URL whose keys are swapped
// mid-run: a token of the new key is accepted at once (the unknown kid
// refreshes); after the swap a token of the removed key not seen before
// is refused; a storm of unknown kids fetches the JWKS at most twice; a
// failing JWKS keeps the keys fetched before.
func TestReview45bSoundJWKSRotationAndFaults(t *testing.T) {
	k1 := review45bNewKeys(t)
	k2 := review45bNewKeys(t)
	// k2's keys under other kids
	var doc2 struct {
		Keys []map[string]any `json:"keys"`
	}
	json.Unmarshal(k2.jwks, &doc2)
	for _, m := range doc2.Keys {
		m["kid"] = m["kid"].(string) + "-v2"
	}
	jwks2, _ := json.Marshal(doc2)
	var mu sync.Mutex
	serve := k1.jwks
	var fetches atomic.Int64
	failing := atomic.Bool{}
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if failing.Load() {
			http.Error(w, "down", 503)
			return
		}
		mu.Lock()
		b := serve
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(js.Close)
	var clockMu sync.Mutex
	clock := time.Now()
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	advance := func(d time.Duration) { clockMu.Lock(); clock = clock.Add(d); clockMu.Unlock() }
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dk, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{JWKS: js.URL, Issuer: "idp", Audience: "carex-api", DevKey: dk, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Verifier = v })
	e.key = dk
	seedShared(t, e)
	claims := func(sub string) map[string]any {
		n := now()
		return review45bClaims(map[string]any{"sub": sub, "iat": n.Unix(), "exp": n.Add(2 * time.Hour).Unix()})
	}
	get := func(tok string) int { return e.do("GET", "/fhir/Condition?patient=jane", tok, "").status }
	if s := get(review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, claims("a"), k1.rs)); s != 200 {
		t.Fatalf("k1 token: %d", s)
	}
	// storm of unknown kids
	f0 := fetches.Load()
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			get(review45bSign(map[string]any{"alg": "RS256", "kid": "nope-" + string(rune('a'+i%26))}, claims("storm"), k1.rs))
		}(i)
	}
	wg.Wait()
	if d := fetches.Load() - f0; d > 1 {
		t.Errorf("unknown-kid storm fetched the JWKS %d times", d)
	}
	// swap
	mu.Lock()
	serve = jwks2
	mu.Unlock()
	advance(31 * time.Second)
	if s := get(review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1-v2"}, claims("b"), k2.rs)); s != 200 {
		t.Errorf("new key after rotation: %d", s)
	}
	if s := get(review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, claims("c"), k1.rs)); s != 401 {
		t.Errorf("removed key after rotation, fresh token: %d", s)
	}
	// failing provider: keys kept, stale use after 5 min
	failing.Store(true)
	advance(6 * time.Minute)
	if s := get(review45bSign(map[string]any{"alg": "EdDSA", "kid": "ed1-v2"}, claims("d"), k2.eds)); s != 200 {
		t.Errorf("known key while the provider fails: %d", s)
	}
	if s := get(review45bSign(map[string]any{"alg": "EdDSA", "kid": "ed1"}, claims("e"), k1.eds)); s != 401 {
		t.Errorf("removed key while the provider fails: %d", s)
	}
}

// TestReview45bDevTokenLoggedAsTheRealUser: carex serve --jwks IDP --dev
// (README: --dev adds the development key to the identity provider's)
// accepts development tokens beside the identity provider's. Anyone who
// can run `carex token` on the host mints one with a real user's sub,
// name, role and organisation; the access log records sub, name, role,
// org, sector and purpose only (no issuer, no development flag), so IG's
// AuditEvent for that user shows the development token's reading of
// Jane's record as the real GP's own, indistinguishable from it.
func TestReview45bDevTokenLoggedAsTheRealUser(t *testing.T) {
	k := review45bNewKeys(t)
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, k.jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dk, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{JWKS: file, Issuer: "idp", Audience: "carex-api", DevKey: dk})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Verifier = v }, withAccessLog(t, nil))
	e.key = dk
	seedShared(t, e)
	real := review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"},
		review45bClaims(map[string]any{"sub": "dr-real-45b", "name": "Dr Real"}), k.rs)
	if r := e.do("GET", "/fhir/Condition/diabetes", real, ""); r.status != 200 {
		t.Fatalf("real user's read: %d %.300s", r.status, r.body)
	}
	dev := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub, c.Name = "dr-real-45b", "Dr Real" })
	if r := e.do("GET", "/fhir/Condition/hba1c-not-there", dev, ""); r.status == 401 {
		t.Fatalf("premise: the dev token is refused")
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", dev, ""); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("dev token's $everything: %d %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent?agent=dr-real-45b&_count=50", ig, "")
	if r.status != 200 {
		t.Fatalf("AuditEvent: %d %.300s", r.status, r.body)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				Agent  []json.RawMessage `json:"agent"`
				Entity []json.RawMessage `json:"entity"`
			} `json:"resource"`
		} `json:"entry"`
	}
	json.Unmarshal([]byte(r.body), &b)
	agents := map[string]bool{} // the user's agent element of each entry
	for _, en := range b.Entry {
		for _, a := range en.Resource.Agent {
			if strings.Contains(string(a), "https://carex.example/sub") {
				agents[string(a)] = true
			}
		}
	}
	t.Logf("%d entries for agent dr-real-45b; distinct user agent elements: %d", len(b.Entry), len(agents))
	for a := range agents {
		t.Logf("agent: %.400s", a)
	}
	if len(b.Entry) < 3 {
		t.Fatalf("want 3 entries for dr-real-45b, got %d: %.600s", len(b.Entry), r.body)
	}
	low := strings.ToLower(r.body)
	if len(agents) < 2 && !strings.Contains(low, "carex-dev") && !strings.Contains(low, "development") {
		t.Errorf("the development token's accesses are logged as the identity provider's user dr-real-45b: nothing in the access log (no issuer, no development mark) tells them apart")
	}
}

// TestReview45bNumericDateAsStringAccepted: RFC 7519 §2 makes exp, nbf and
// iat NumericDates, JSON numbers. review 22e refused an exp written as a
// date string, but an exp written as a string of digits ("9999999999") is
// taken as the number: the token is accepted (200) and lives until 2286.
// A token whose registered claims have the wrong JSON type is malformed
// (SPEC §7: a forged token gets a clear OperationOutcome, 401).
func TestReview45bNumericDateAsStringAccepted(t *testing.T) {
	k := review45bNewKeys(t)
	e := review45bEnv(t, k)
	seedShared(t, e)
	rsaH := map[string]any{"alg": "RS256", "kid": "rsa1"}
	now := time.Now()
	for name, mod := range map[string]map[string]any{
		"exp string":     {"exp": "9999999999"},
		"exp string +1h": {"exp": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)},
		"iat string":     {"iat": strconv.FormatInt(now.Unix(), 10)},
		"nbf string":     {"nbf": strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)},
	} {
		tok := review45bSign(rsaH, review45bClaims(mod), k.rs)
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		if r.status != 401 {
			t.Errorf("%s: %d, want 401 (a NumericDate is a JSON number): %.200s", name, r.status, r.body)
		}
	}
}

// TestReview45bSoundTokenOrgCaseAgainstDenies: Jane's objection to
// sharing with the community trust RCX (by reference, and by ODS
// identifier written in lower case) holds against a nurse whose token
// names the trust in lower case, as against one in upper case; and an
// objection to the council (by reference) holds against a council token
// whose org is in lower case.
func TestReview45bSoundTokenOrgCaseAgainstDenies(t *testing.T) {
	{
		e := newEnv(t)
		seedShared(t, e)
		if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("district-nurse", "nhs", "rcx"), ""); !strings.Contains(r.body, "GP-DIABETES") {
			t.Fatalf("premise: without the objection the nurse (rcx) sees the GP's problem: %d %.300s", r.status, r.body)
		}
	}
	for _, actor := range []string{
		`"reference":{"reference":"Organization/RCX"}`,
		`"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"rcx"}}`,
	} {
		e := newEnv(t)
		seedShared(t, e)
		gp := e.token("gp", "nhs", "A81001")
		e.putAll(t, gp, [2]string{"/fhir/Consent/j45b", janeConsent("j45b", "2026-01-10", "OPTIN",
			`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},`+actor+`}]}`)})
		for _, org := range []string{"RCX", "rcx", "Rcx"} {
			r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("district-nurse", "nhs", org), "")
			if strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "COUNCIL-CARE-PACKAGE") {
				t.Errorf("actor %s, nurse org %s: released what Jane denied: %d %.300s", actor, org, r.status, r.body)
			}
		}
	}
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("gp", "nhs", "A81001"), [2]string{"/fhir/Consent/jane-no-council", janeNotSharedWithCouncil})
	for _, org := range []string{"E06000999", "e06000999"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("social-worker", "council", org), "")
		if strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("council org %s: released the GP's item Jane denied the council: %d %.300s", org, r.status, r.body)
		}
	}
}

// TestReview45bPolicyMayServeSecondaryUsePurposes: SPEC §4 — carex exists
// for direct care; marketing, insurance, payment and research are refused
// with 403; records are never released for secondary use. README: "only
// TREAT, ETREAT, COC are served, anything else is 403". A policy file
// whose purposes line adds HMARKT (marketing) and HRESCH (research) is
// loaded without complaint, and a token with either purpose then reads
// Jane's whole record.
func TestReview45bPolicyMayServeSecondaryUsePurposes(t *testing.T) {
	text := strings.Replace(consent.DefaultPolicyText(), "\npurposes TREAT ETREAT COC\n", "\npurposes TREAT ETREAT COC HMARKT HRESCH HPAYMT\n", 1)
	if text == consent.DefaultPolicyText() {
		t.Fatal("premise: purposes line not found")
	}
	pol, err := consent.LoadPolicy(strings.NewReader(text))
	if err != nil {
		t.Logf("policy refused (sound): %v", err)
		return
	}
	e := newEnv(t, func(c *api.Config) { c.Policy = api.NewConsentPolicy(pol, c.Store) })
	seedShared(t, e)
	for _, p := range []string{"HMARKT", "HRESCH", "HPAYMT"} {
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = p; c.Sub = "p-" + p })
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if r.status != 403 || strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("purpose %s under a policy listing it: %d %.200s", p, r.status, r.body)
		}
	}
}

// TestReview45bSoundRefusedTokensLoggedOnEveryRoute: a refused token is
// 401 with an OperationOutcome and one logged exchange whatever the route
// and method under /fhir: HEAD, OPTIONS, a POST with a body, a transaction,
// an unknown type, AuditEvent.
func TestReview45bSoundRefusedTokensLoggedOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	bad := e.expiredToken()
	n := e.review45bCount401()
	for _, rq := range []struct{ method, path, body string }{
		{"HEAD", "/fhir/Patient/jane", ""},
		{"OPTIONS", "/fhir/Patient/jane", ""},
		{"POST", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R45B-POST"}}`},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R45B-TX"}},"request":{"method":"POST","url":"Condition"}}]}`},
		{"GET", "/fhir/Nonsense/1", ""},
		{"GET", "/fhir/AuditEvent?patient=jane", ""},
		{"GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs", ""},
		{"DELETE", "/fhir/Condition/diabetes", ""},
	} {
		r := e.do(rq.method, rq.path, bad, rq.body)
		if r.status != 401 || (rq.method != "HEAD" && !strings.Contains(r.body, "OperationOutcome")) {
			t.Errorf("%s %s: %d %.200s", rq.method, rq.path, r.status, r.body)
		}
		if m := e.review45bCount401(); m != n+1 {
			t.Errorf("%s %s: %d exchanges logged with 401, want 1", rq.method, rq.path, m-n)
			n = m
		} else {
			n = m
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition?patient=jane&_count=100", gp, ""); strings.Contains(r.body, "R45B-") || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("a refused write was stored, or the delete took effect: %.300s", r.body)
	}
}

// TestReview45bTokenCheckedUnloggedOutsideFHIR: SPEC §6 — one access-log
// entry per request; the brief: a refused token is logged. /metrics needs
// a token (README) but its requests are left out of the access log
// (access.go recorded: only paths under /fhir), refused ones too: a
// stolen, forged or expired token can be tried against /metrics (200 for
// a good one, 401 otherwise) as often as one likes, and IG's log shows
// none of it. The same holds for any other path outside /fhir.
func TestReview45bTokenCheckedUnloggedOutsideFHIR(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	count := func() int { e.rec.mu.Lock(); defer e.rec.mu.Unlock(); return len(e.rec.xs) }
	stolen := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "stolen-45b" })
	for _, rq := range []struct {
		path, tok string
		want      int
	}{
		{"/metrics", stolen, 200},
		{"/metrics", e.expiredToken(), 401},
		{"/metrics", "forged.token.here", 401},
		{"/nowhere", "forged.token.here", 401},
	} {
		n := count()
		r := e.do("GET", rq.path, rq.tok, "")
		if r.status != rq.want {
			t.Errorf("premise: GET %s: %d, want %d", rq.path, r.status, rq.want)
		}
		if count() == n {
			t.Errorf("GET %s answered %d to a token and left no access-log entry", rq.path, r.status)
		}
	}
}
