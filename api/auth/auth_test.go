package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

type testKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keys.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, keys.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return keys
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func pad32(b *big.Int) []byte {
	out := make([]byte, 32)
	b.FillBytes(out)
	return out
}

// jwkOf returns the public JWK of a private key.
func jwkOf(kid string, priv crypto.Signer) map[string]any {
	switch k := priv.Public().(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		return map[string]any{"kty": "EC", "kid": kid, "crv": "P-256",
			"x": b64u(pad32(k.X)), "y": b64u(pad32(k.Y))}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(k)}
	}
	panic("unknown key type")
}

func jwksJSON(jwks ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": jwks})
	if err != nil {
		panic(err)
	}
	return b
}

func writeJWKS(t testing.TB, jwks ...map[string]any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(p, jwksJSON(jwks...), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "carex", "aud": "carex", "sub": "u123", "name": "Dr Ada Jones",
		"org": "A81001", "sector": "nhs", "role": "gp", "purpose": "TREAT",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixedNow(tm time.Time) func() time.Time { return func() time.Time { return tm } }

func testDevKey(t testing.TB) *DevKey {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	k, err := NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestVerifier(t testing.TB, dev *DevKey) *Verifier {
	t.Helper()
	k := getKeys(t)
	path := writeJWKS(t, jwkOf("rsa1", k.rsa), jwkOf("ec1", k.ec), jwkOf("ed1", k.ed),
		map[string]any{"kty": "RSA", "kid": "enc1", "use": "enc", "n": "AQAB", "e": "AQAB"})
	v, err := NewVerifier(Config{JWKS: path, Now: fixedNow(t0), DevKey: dev, ExtraRoles: []string{"care-coordinator"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyRejects(t *testing.T) {
	k := getKeys(t)
	dev := testDevKey(t)
	vJWKS := newTestVerifier(t, nil)
	vDev := newTestVerifier(t, dev)
	good := claimsAt(t0)
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", c) }

	pubDER, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})

	payload, _ := json.Marshal(good)
	none := b64u([]byte(`{"alg":"none","typ":"JWT","kid":"rsa1"}`)) + "." + b64u(payload) + "."
	noneUpper := b64u([]byte(`{"alg":"None","kid":"rsa1"}`)) + "." + b64u(payload) + "."

	valid := rs(good)
	parts := strings.Split(valid, ".")
	evil, _ := json.Marshal(with(good, "role", "ig-officer"))
	tamperedPayload := parts[0] + "." + b64u(evil) + "." + parts[2]
	tamperedHeader := b64u([]byte(`{"alg":"RS256","kid":"rsa1","typ":"JWT","x":1}`)) + "." + parts[1] + "." + parts[2]
	tamperedSig := parts[0] + "." + parts[1] + "." + b64u(make([]byte, 256))

	_, otherEd, _ := ed25519.GenerateKey(rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	devTok, err := dev.mintAt(DevClaims{Sub: "dev1", Org: "A81001", Sector: "nhs", Role: "gp"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	devClaims := with(good, "iss", DevIssuer)

	tests := []struct {
		name  string
		v     *Verifier
		token string
		want  string // substring of the error message
	}{
		{"alg none", vJWKS, none, "algorithm none not allowed"},
		{"alg None", vJWKS, noneUpper, "not allowed"},
		{"HS256 with RSA public key PEM", vJWKS, sign(t, jwt.SigningMethodHS256, pubPEM, "rsa1", good), "algorithm HS256 not allowed"},
		{"HS256 with RSA public key PKCS1 PEM", vJWKS, sign(t, jwt.SigningMethodHS256, pkcs1PEM, "rsa1", good), "not allowed"},
		{"HS256 with RSA public key DER", vJWKS, sign(t, jwt.SigningMethodHS256, pubDER, "rsa1", good), "not allowed"},
		{"RS256 with kid of EC key", vJWKS, sign(t, jwt.SigningMethodRS256, k.rsa, "ec1", good), "does not match the key"},
		{"ES256 with kid of RSA key", vJWKS, sign(t, jwt.SigningMethodES256, k.ec, "rsa1", good), "does not match the key"},
		{"EdDSA with kid of RSA key", vJWKS, sign(t, jwt.SigningMethodEdDSA, k.ed, "rsa1", good), "does not match the key"},
		{"RS384 not allowed", vJWKS, sign(t, jwt.SigningMethodRS384, k.rsa, "rsa1", good), "not allowed"},
		{"PS256 not allowed", vJWKS, sign(t, jwt.SigningMethodPS256, k.rsa, "rsa1", good), "not allowed"},
		{"expired beyond leeway", vJWKS, rs(with(good, "exp", t0.Add(-31*time.Second).Unix())), "expired"},
		{"nbf in the future", vJWKS, rs(with(good, "nbf", t0.Add(5*time.Minute).Unix())), "not yet valid"},
		{"iat in the future", vJWKS, rs(with(good, "iat", t0.Add(5*time.Minute).Unix())), "issued in the future"},
		{"exp missing", vJWKS, rs(with(good, "exp", nil)), "missing claim exp"},
		{"exp wrong type", vJWKS, rs(with(good, "exp", "tomorrow")), ""},
		{"wrong aud", vJWKS, rs(with(good, "aud", "someone-else")), "wrong audience"},
		{"aud missing", vJWKS, rs(with(good, "aud", nil)), "missing claim aud"},
		{"wrong iss", vJWKS, rs(with(good, "iss", "https://evil.example")), "wrong issuer"},
		{"iss missing", vJWKS, rs(with(good, "iss", nil)), "missing claim iss"},
		{"JWKS key with dev issuer", vDev, rs(devClaims), "wrong issuer"},
		{"unknown kid", vJWKS, sign(t, jwt.SigningMethodRS256, k.rsa, "nope", good), "unknown kid"},
		{"enc key kid", vJWKS, sign(t, jwt.SigningMethodRS256, k.rsa, "enc1", good), "unknown kid"},
		{"no kid with several keys", vJWKS, sign(t, jwt.SigningMethodRS256, k.rsa, "", good), "no kid"},
		{"signed by another RSA key", vJWKS, sign(t, jwt.SigningMethodRS256, otherRSA, "rsa1", good), "bad signature"},
		{"tampered payload", vJWKS, tamperedPayload, "bad signature"},
		{"tampered header", vJWKS, tamperedHeader, "bad signature"},
		{"tampered signature", vJWKS, tamperedSig, "bad signature"},
		{"two parts", vJWKS, parts[0] + "." + parts[1], "malformed"},
		{"four parts", vJWKS, valid + ".x", "malformed"},
		{"bad base64 header", vJWKS, "!!!." + parts[1] + "." + parts[2], "malformed"},
		{"bad base64 payload", vJWKS, parts[0] + ".***." + parts[2], "malformed"},
		{"bad base64 signature", vJWKS, parts[0] + "." + parts[1] + ".%%%", "malformed"},
		{"header not JSON", vJWKS, b64u([]byte("hello")) + "." + parts[1] + "." + parts[2], "malformed"},
		{"payload not JSON", vJWKS, parts[0] + "." + b64u([]byte("hello")) + "." + parts[2], "malformed"},
		{"crit header", vJWKS, func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, good)
			tok.Header["kid"] = "rsa1"
			tok.Header["crit"] = []string{"b64"}
			s, _ := tok.SignedString(k.rsa)
			return s
		}(), "critical"},
		{"too large", vJWKS, strings.Repeat("a", maxTokenLen+1), "too large"},
		{"dev token without DevKey", vJWKS, devTok, "development tokens are not accepted"},
		{"other Ed25519 key with dev kid", vDev, sign(t, jwt.SigningMethodEdDSA, otherEd, dev.KID, devClaims), "bad signature"},
		{"dev key with iss carex", vDev, sign(t, jwt.SigningMethodEdDSA, dev.Private, dev.KID, good), "wrong issuer"},
		{"dev key with RS256 header", vDev, sign(t, jwt.SigningMethodRS256, k.rsa, dev.KID, devClaims), "does not match the key"},
		{"missing sub", vJWKS, rs(with(good, "sub", nil)), "missing claim sub"},
		{"missing org", vJWKS, rs(with(good, "org", nil)), "missing claim org"},
		{"invalid org", vJWKS, rs(with(good, "org", "A81 001\"")), "invalid org"},
		{"missing sector", vJWKS, rs(with(good, "sector", nil)), "missing claim sector"},
		{"bad sector", vJWKS, rs(with(good, "sector", "private")), "invalid sector"},
		{"missing role", vJWKS, rs(with(good, "role", nil)), "missing claim role"},
		{"unknown role", vJWKS, rs(with(good, "role", "wizard")), "unknown role wizard"},
		{"unknown RBAC code", vJWKS, rs(with(good, "role", "R9999")), "unknown role"},
		{"role wrong type", vJWKS, rs(with(good, "role", 42)), ""},
		{"empty", vJWKS, "", "no bearer token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.v.Verify(context.Background(), tt.token)
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error %q (%T) is not ErrUnauthorized", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
			if len(tt.token) > 20 && strings.Contains(err.Error(), tt.token[len(tt.token)-20:]) {
				t.Errorf("error echoes the token: %q", err)
			}
			ae := &AuthError{Err: err}
			const prefix = `Bearer realm="carex", error="invalid_token", error_description="`
			if h := ae.WWWAuthenticate(); !ae.Missing() && (!strings.HasPrefix(h, prefix) || strings.ContainsAny(h[len(prefix):len(h)-1], "\"\\\r\n")) {
				t.Errorf("unsafe WWW-Authenticate %q", h)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	k := getKeys(t)
	dev := testDevKey(t)
	v := newTestVerifier(t, dev)
	good := claimsAt(t0)

	devTok, err := dev.mintAt(DevClaims{Sub: "dn1", Name: "Nurse Ng", Org: "A81001", Sector: "nhs", Role: "district-nurse", TTL: time.Hour}, t0)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		want  Principal
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", good),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "A81001", Sector: "nhs", Role: "gp", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
		{"ES256", sign(t, jwt.SigningMethodES256, k.ec, "ec1", with(good, "purpose", "ETREAT")),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "A81001", Sector: "nhs", Role: "gp", Purpose: "ETREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, k.ed, "ed1", with(good, "sector", "council", "org", "E09000033", "role", "social-worker")),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "E09000033", Sector: "council", Role: "social-worker", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
		{"dev token", devTok,
			Principal{Sub: "dn1", Name: "Nurse Ng", Org: "A81001", Sector: "nhs", Role: "district-nurse", Purpose: "TREAT", Issuer: DevIssuer, ExpiresAt: t0.Add(time.Hour), Dev: true}},
		{"within leeway", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", with(good, "exp", t0.Add(-20*time.Second).Unix(), "nbf", t0.Add(20*time.Second).Unix())),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "A81001", Sector: "nhs", Role: "gp", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(-20 * time.Second)}},
		{"RBAC R8001", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", with(good, "role", "R8001")),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "A81001", Sector: "nhs", Role: "district-nurse", JobRole: "R8001", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
		{"RBAC full code R5105", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", with(good, "role", "S8000:G8000:R5105")),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "A81001", Sector: "nhs", Role: "ig-officer", JobRole: "R5105", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
		{"extra role, defaults for name and purpose", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", with(good, "role", "care-coordinator", "name", nil, "purpose", nil)),
			Principal{Sub: "u123", Name: "u123", Org: "A81001", Sector: "nhs", Role: "care-coordinator", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
		{"aud list", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", with(good, "aud", []string{"other", "carex"}, "role", "system")),
			Principal{Sub: "u123", Name: "Dr Ada Jones", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT", Issuer: "carex", ExpiresAt: t0.Add(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // second time from the cache
				p, err := v.Verify(context.Background(), tt.token)
				if err != nil {
					t.Fatalf("rejected (%d): %v", i, err)
				}
				if !p.ExpiresAt.Equal(tt.want.ExpiresAt) {
					t.Errorf("ExpiresAt %v, want %v", p.ExpiresAt, tt.want.ExpiresAt)
				}
				p.ExpiresAt = tt.want.ExpiresAt
				if *p != tt.want {
					t.Errorf("got  %+v\nwant %+v", *p, tt.want)
				}
				p.Role = "mutated" // must not affect the cached copy
			}
		})
	}
}

func TestCacheRechecksTime(t *testing.T) {
	k := getKeys(t)
	var now atomic.Int64
	now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	v, err := NewVerifier(Config{JWKS: writeJWKS(t, jwkOf("ed1", k.ed)), Now: clock, Leeway: -1})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodEdDSA, k.ed, "ed1", with(claimsAt(t0), "exp", t0.Add(10*time.Second).Unix()))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil || v.cache.hits != 1 {
		t.Fatalf("second verify: err %v, hits %d", err, v.cache.hits)
	}
	now.Store(t0.Add(11 * time.Second).UnixNano())
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token from cache: %v", err)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newTokenCache(64)
	p := &Principal{ExpiresAt: t0.Add(time.Hour)}
	for i := 0; i < 1000; i++ {
		c.put(string(rune(i))+"tok", p, time.Time{}, t0)
		if len(c.m) > 64 {
			t.Fatalf("cache grew to %d", len(c.m))
		}
	}
}

func TestRotation(t *testing.T) {
	_, edA, _ := ed25519.GenerateKey(rand.Reader)
	_, edB, _ := ed25519.GenerateKey(rand.Reader)
	var body atomic.Value
	body.Store(jwksJSON(jwkOf("A", edA)))
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body.Load().([]byte))
	}))
	defer srv.Close()

	var now atomic.Int64
	now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	v, err := NewVerifier(Config{JWKS: srv.URL + "/jwks.json", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if fetches.Load() != 1 {
		t.Fatalf("fetches = %d, want 1 at start", fetches.Load())
	}
	c := with(claimsAt(t0), "exp", t0.Add(time.Hour).Unix())
	tokA := sign(t, jwt.SigningMethodEdDSA, edA, "A", c)
	tokB := sign(t, jwt.SigningMethodEdDSA, edB, "B", c)
	ctx := context.Background()

	if _, err := v.Verify(ctx, tokA); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tokB); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "unknown kid") {
		t.Fatalf("key B before rotation: %v", err)
	}
	body.Store(jwksJSON(jwkOf("A", edA), jwkOf("B", edB)))
	now.Store(t0.Add(10 * time.Second).UnixNano())
	if _, err := v.Verify(ctx, tokB); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("key B within the refetch rate limit: %v", err)
	}
	if fetches.Load() != 1 {
		t.Fatalf("fetches = %d, want 1 (rate-limited)", fetches.Load())
	}
	now.Store(t0.Add(31 * time.Second).UnixNano())
	p, err := v.Verify(ctx, tokB)
	if err != nil {
		t.Fatalf("key B after rotation: %v", err)
	}
	if p.Sub != "u123" || fetches.Load() != 2 {
		t.Fatalf("p %+v fetches %d", p, fetches.Load())
	}
	// Another unknown kid right away: one refetch at most per 30s.
	tokC := sign(t, jwt.SigningMethodEdDSA, edB, "C", c)
	for i := 0; i < 5; i++ {
		if _, err := v.Verify(ctx, tokC); !errors.Is(err, ErrUnauthorized) {
			t.Fatal("unknown kid C accepted")
		}
	}
	if fetches.Load() != 2 {
		t.Fatalf("fetches = %d, want 2", fetches.Load())
	}
	// Keys older than 5 minutes are refetched on demand; key A removed.
	body.Store(jwksJSON(jwkOf("B", edB)))
	now.Store(t0.Add(6 * time.Minute).UnixNano())
	tokA2 := sign(t, jwt.SigningMethodEdDSA, edA, "A", with(c, "jti", "x")) // not in the cache
	if _, err := v.Verify(ctx, tokA2); !errors.Is(err, ErrUnauthorized) {
		t.Fatal("removed key A still accepted after refresh")
	}
	if fetches.Load() != 3 {
		t.Fatalf("fetches = %d, want 3", fetches.Load())
	}
	// A failing JWKS endpoint keeps the last good keys.
	body.Store([]byte("not json"))
	now.Store(t0.Add(12 * time.Minute).UnixNano())
	tokB2 := sign(t, jwt.SigningMethodEdDSA, edB, "B", with(c, "jti", "y"))
	if _, err := v.Verify(ctx, tokB2); err != nil {
		t.Fatalf("verify with stale keys after failed refresh: %v", err)
	}
}

func TestNewVerifierErrors(t *testing.T) {
	k := getKeys(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	encOnly := writeJWKS(t, map[string]any{"kty": "RSA", "kid": "e", "use": "enc", "n": "AQAB", "e": "AQAB"})
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallRSA := writeJWKS(t, jwkOf("small", small))
	oct := writeJWKS(t, map[string]any{"kty": "oct", "kid": "h", "k": "c2VjcmV0"})
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no source", Config{}, "no key source"},
		{"missing file", Config{JWKS: filepath.Join(dir, "nope.json")}, "reading JWKS file"},
		{"invalid JSON", Config{JWKS: bad}, "invalid JWKS JSON"},
		{"only enc keys", Config{JWKS: encOnly}, "no usable"},
		{"RSA too short", Config{JWKS: smallRSA}, "too short"},
		{"oct key", Config{JWKS: oct}, "symmetric"},
		{"dev issuer", Config{JWKS: writeJWKS(t, jwkOf("a", k.ed)), Issuer: DevIssuer}, "reserved"},
		{"http not loopback", Config{JWKS: "http://idp.example.org/jwks"}, "https"},
		{"URL 404", Config{JWKS: srv.URL}, "HTTP 404"},
		{"bad extra role", Config{JWKS: writeJWKS(t, jwkOf("a", k.ed)), ExtraRoles: []string{"two words"}}, "extra role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDevKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "carex", "dev-key.pem")
	var wg sync.WaitGroup
	kids := make([]string, 8)
	errs := make([]error, 8)
	for i := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreateDevKey(path)
			errs[i] = err
			if err == nil {
				kids[i] = k.KID
			}
		}()
	}
	wg.Wait()
	for i := range kids {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if kids[i] != kids[0] {
			t.Fatalf("racing creators got different keys: %v", kids)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", dst.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
	k, err := LoadOrCreateDevKey(path)
	if err != nil || k.KID != kids[0] {
		t.Fatalf("reload: %v %v", k, err)
	}
	if !strings.HasPrefix(k.KID, "dev-") || len(k.KID) != 20 {
		t.Errorf("KID %q", k.KID)
	}

	// Minted with the real clock, verified by a dev-mode verifier.
	tok, err := k.Mint(DevClaims{Sub: "sw1", Role: "R8014", Sector: "council", Org: "LBX-ASC", Purpose: "COC"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Config{DevKey: k})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Dev || p.Role != "social-worker" || p.JobRole != "R8014" || p.Purpose != "COC" || p.Name != "sw1" {
		t.Errorf("principal %+v", p)
	}
	if d := time.Until(p.ExpiresAt); d < 7*time.Hour || d > 8*time.Hour+time.Second {
		t.Errorf("default TTL gives exp in %v", d)
	}
	// A dev-only verifier does not know any JWKS key.
	if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodEdDSA, getKeys(t).ed, "ed1", claimsAt(time.Now()))); !errors.Is(err, ErrUnauthorized) {
		t.Fatal("JWKS token accepted by dev-only verifier")
	}

	if _, err := k.Mint(DevClaims{Sub: "x", Role: "gp", Sector: "private", Org: "A1"}); err == nil {
		t.Error("Mint accepted a bad sector")
	}
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := LoadOrCreateDevKey(path); err == nil {
		t.Error("garbage key file accepted")
	}
	if !strings.HasSuffix(DefaultDevKeyPath(), filepath.Join("carex", "dev-key.pem")) {
		t.Errorf("DefaultDevKeyPath %q", DefaultDevKeyPath())
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		in, want string
		noToken  bool
		err      bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", false, false},
		{"bearer abc", "abc", false, false},
		{"BEARER   abc  ", "abc", false, false},
		{"", "", true, true},
		{"Basic dXNlcjpwYXNz", "", true, true},
		{"Bearer", "", false, true},
		{"Bearer ", "", false, true},
		{"Bearer a b", "", false, true},
	}
	for _, tt := range tests {
		got, err := BearerToken(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("BearerToken(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrUnauthorized) {
			t.Errorf("BearerToken(%q) error not ErrUnauthorized", tt.in)
		}
		if errors.Is(err, ErrNoToken) != tt.noToken {
			t.Errorf("BearerToken(%q) ErrNoToken = %v", tt.in, !tt.noToken)
		}
	}
}

func TestMiddleware(t *testing.T) {
	k := getKeys(t)
	v := newTestVerifier(t, nil)
	e := echo.New()
	var seen *Principal
	h := Middleware(v, SkipPublic)(func(c echo.Context) error {
		seen = PrincipalFrom(c)
		if FromContext(c.Request().Context()) != seen {
			t.Error("request context principal differs")
		}
		return c.NoContent(http.StatusOK)
	})
	run := func(path, authz string) (*httptest.ResponseRecorder, error) {
		seen = nil
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		return rec, h(e.NewContext(req, rec))
	}

	// No header.
	_, err := run("/fhir/Patient", "")
	var ae *AuthError
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnauthorized) || !errors.Is(err, ErrNoToken) {
		t.Fatalf("no header: %v", err)
	}
	if got := ae.WWWAuthenticate(); got != `Bearer realm="carex"` || ae.StatusCode() != 401 {
		t.Errorf("no header: WWW-Authenticate %q", got)
	}
	// Bad token.
	expired := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", with(claimsAt(t0), "exp", t0.Add(-time.Hour).Unix()))
	rec, err := run("/fhir/Patient", "Bearer "+expired)
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNoToken) {
		t.Fatalf("bad token: %v", err)
	}
	if got := ae.WWWAuthenticate(); got != `Bearer realm="carex", error="invalid_token", error_description="token expired"` {
		t.Errorf("bad token: WWW-Authenticate %q", got)
	}
	if rec.Body.Len() != 0 || seen != nil {
		t.Error("middleware wrote a response or called the handler")
	}
	// Skip.
	for _, p := range []string{"/fhir/metadata", "/healthz", "/readyz"} {
		if rec, err := run(p, ""); err != nil || rec.Code != 200 || seen != nil {
			t.Errorf("%s: %v %d", p, err, rec.Code)
		}
	}
	// Principal set.
	good := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", claimsAt(t0))
	if rec, err := run("/fhir/Patient", "Bearer "+good); err != nil || rec.Code != 200 {
		t.Fatalf("good token: %v", err)
	}
	if seen == nil || seen.Sub != "u123" || seen.Role != "gp" {
		t.Errorf("principal %+v", seen)
	}
}

func benchVerify(b *testing.B, m jwt.SigningMethod, key any, kid string) {
	v := newTestVerifier(b, nil)
	tok := sign(b, m, key, kid, claimsAt(t0))
	for _, cached := range []bool{false, true} {
		name := "nocache"
		if cached {
			name = "cache"
		}
		b.Run(name, func(b *testing.B) {
			vv := *v
			if !cached {
				vv.cache = nil
			} else {
				vv.cache = newTokenCache(defaultCacheSize)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := vv.Verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkVerifyEdDSA(b *testing.B) {
	benchVerify(b, jwt.SigningMethodEdDSA, getKeys(b).ed, "ed1")
}

func BenchmarkVerifyRS256(b *testing.B) {
	benchVerify(b, jwt.SigningMethodRS256, getKeys(b).rsa, "rsa1")
}

func BenchmarkVerifyES256(b *testing.B) {
	benchVerify(b, jwt.SigningMethodES256, getKeys(b).ec, "ec1")
}
