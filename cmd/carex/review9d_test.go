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
