package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api/auth"
)

// Review 9d: national RBAC job roles are mapped onto carex roles by the
// policy file (SPEC §4: "the policy file ... maps national RBAC job roles
// onto these"), for tokens as for Consent actors. The verifier mapped a
// token's job role with a built-in table: a policy that does not map R0001
// (privacy officer) to the IG officer still let an R0001 token read the
// access log, and a job role the policy maps to a role of its own was a
// 401.
func TestReview9dTokenJobRolesFollowThePolicy(t *testing.T) {
	dir := t.TempDir()
	_, builtin, _ := e2eRun(t, "policy")
	if !strings.Contains(builtin, "job-role R0001 ig-officer\n") {
		t.Fatal("the built-in policy no longer maps R0001 as this test expects")
	}
	text := strings.Replace(builtin, "job-role R0001 ig-officer\n", "", 1) +
		"role clerk demographics appointments directory\njob-role R8008 clerk\n"
	pol := filepath.Join(dir, "jobs.policy")
	if err := os.WriteFile(pol, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(priv.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes()),
	}}})
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--db", filepath.Join(dir, "carex.db"), "--addr", addr, "--policy", pol,
		"--jwks", jwksFile, "--dev-key", filepath.Join(dir, "dev-key.pem"))
	token := func(role string) string {
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"sub": "u1", "role": role, "sector": "nhs", "org": "A81001",
			"iss": "carex", "aud": "carex", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		})
		tok.Header["kid"] = "k1"
		str, err := tok.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return str
	}
	if status, body := s.get(t, "/fhir/AuditEvent?_count=1", token("ig-officer")); status != 200 {
		t.Fatalf("the IG officer's own role: %d %s", status, body)
	}
	for _, role := range []string{"R0001", "S8000:G8000:R0001"} {
		if status, body := s.get(t, "/fhir/AuditEvent?_count=1", token(role)); status != 401 {
			t.Errorf("role %s, which the policy does not map: %d, want 401\n%s", role, status, body)
		}
	}
	for _, role := range []string{"R8008", "S8000:G8000:R8008"} {
		if status, body := s.get(t, "/fhir/Patient?_count=1", token(role)); status != 200 {
			t.Errorf("role %s, which the policy maps to clerk: %d, want 200\n%s", role, status, body)
		}
	}

	// carex token refuses and accepts as the server does.
	key := filepath.Join(dir, "dev-key.pem")
	mint := func(role string) int {
		code, _, _ := e2eRun(t, "token", "--dev-key", key, "--policy", pol, "--sub", "u1", "--role", role, "--sector", "nhs", "--org", "A81001")
		return code
	}
	if mint("R8008") != 0 {
		t.Errorf("carex token --role R8008 with a policy mapping it: refused")
	}
	if mint("R0001") == 0 {
		t.Errorf("carex token --role R0001 with a policy not mapping it: minted")
	}
	if code, _, errs := e2eRun(t, "token", "--dev-key", key, "--sub", "u1", "--role", "R0001", "--sector", "nhs", "--org", "A81001"); code != 0 {
		t.Errorf("carex token --role R0001 with the built-in policy: exit %d: %s", code, errs)
	}
}

// Review 9d: a job-role line the policy cannot apply is refused, naming
// its line: a code in lower case was never found for a Consent's actor
// (looked up in upper case), and a second line for the same code replaced
// the first silently (a typo "job-role R8000 ig-officer" beside "job-role
// R8000 gp" turned every clinical practitioner into an IG officer).
func TestReview9dPolicyJobRoleLinesAreChecked(t *testing.T) {
	_, builtin, _ := e2eRun(t, "policy")
	dir := t.TempDir()
	for _, tc := range []struct{ name, add, want string }{
		{"lower-case code", "role clerk demographics\njob-role r8008 clerk\n", "upper case"},
		{"second line for a code", "job-role R8000 ig-officer\n", "R8000"},
		{"code with a colon", "job-role S8000:G8000:R8000 gp\n", "job-role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".policy")
			if err := os.WriteFile(f, []byte(builtin+tc.add), 0o600); err != nil {
				t.Fatal(err)
			}
			lines := strings.Count(builtin, "\n") + strings.Count(tc.add, "\n")
			code, out, errs := e2eRun(t, "policy", "check", f)
			if code == 0 {
				t.Fatalf("policy check accepted it: %s", out)
			}
			if !strings.Contains(errs, tc.want) || !strings.Contains(errs, "line "+strconv.Itoa(lines)) {
				t.Errorf("error %q: want it to name line %d and %s", errs, lines, tc.want)
			}
		})
	}
}

// Review 9d probe (it passes: recorded as sound): a production server
// whose JWKS holds the development key's public half, under its own kid,
// still refuses development tokens (their issuer is carex-dev, which a
// JWKS issuer may not be), with and without --issuer carex-dev.
func TestReview9dJWKSHoldingTheDevKeyRefusesDevTokens(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "dev-key.pem")
	dev, err := auth.LoadOrCreateDevKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{
		{"kty": "OKP", "crv": "Ed25519", "kid": dev.KID, "use": "sig", "x": base64.RawURLEncoding.EncodeToString(dev.Public)},
		{"kty": "OKP", "crv": "Ed25519", "kid": "other", "use": "sig", "x": base64.RawURLEncoding.EncodeToString(dev.Public)},
	}})
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := e2eRun(t, "serve", "--db", filepath.Join(dir, "x.db"), "--addr", e2eFreeAddr(t), "--jwks", jwksFile, "--issuer", "carex-dev"); code == 0 || !strings.Contains(errs, "carex-dev") {
		t.Errorf("serve --issuer carex-dev: exit %d, %s", code, errs)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--db", filepath.Join(dir, "carex.db"), "--addr", addr, "--jwks", jwksFile, "--dev-key", keyFile)
	tok := e2eToken(t, keyFile)
	if status, body := s.get(t, "/fhir/Patient?_count=1", tok); status != 401 {
		t.Errorf("a dev token on a server whose JWKS holds the dev key: %d %s", status, body)
	}
	// The same token with its kid changed to the JWKS's other name for
	// the key is no longer signed; one the dev key signs anew with iss
	// carex is a token of the JWKS's key: accepted, as any token its
	// holder signs (the operator put the key there).
	now := time.Now()
	re := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "carex-dev", "aud": "carex", "sub": "x", "role": "gp", "sector": "nhs", "org": "A81001", "exp": now.Add(time.Minute).Unix()})
	re.Header["kid"] = "other"
	str, _ := re.SignedString(dev.Private)
	if status, body := s.get(t, "/fhir/Patient?_count=1", str); status != 401 {
		t.Errorf("iss carex-dev under the JWKS's other kid: %d %s", status, body)
	}
}

// Review 9d probe (it passes: recorded as sound): a typo in a policy file
// does not silently widen a role: each is refused, naming its line.
func TestReview9dPolicyTyposAreRefused(t *testing.T) {
	_, builtin, _ := e2eRun(t, "policy")
	dir := t.TempDir()
	for i, add := range []string{
		"role clerk demographics, appointments\n",
		"role clerk demographics *appointments\n",
		"role clerk demographics appointment\n",
		"role gp demographics\n",
		"audit-role ig-oficer\n",
		"break-glass-roles clerk\n",
		"break-glass-roles ig-officer\n",
		"role auditor demographics observations\naudit-role auditor\n",
		"own-org-only sytem\n",
		"sees-own-records ig-officer\n",
		"purposes treat\n",
		"break-glass-releases HFEA\n",
		"legally-restricted FOO\n",
		"job-role R8008 clerk\n",
	} {
		f := filepath.Join(dir, strconv.Itoa(i)+".policy")
		if err := os.WriteFile(f, []byte(builtin+add), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := e2eRun(t, "policy", "check", f)
		if code == 0 || !strings.Contains(errs, "line ") {
			t.Errorf("policy with %q: exit %d, %s%s; want refused naming the line", add, code, out, errs)
		}
	}
}
