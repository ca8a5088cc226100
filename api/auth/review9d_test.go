package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Review 9d: token claims are read by their exact names. JWT claim names
// are case-sensitive (RFC 7519 §4): a "Role", "ORG" or "Purpose" claim an
// identity provider adds for another relying party (or maps from an
// attribute its user may edit) is not carex's role, org or purpose.
func TestReview9dClaimNamesAreCaseSensitive(t *testing.T) {
	k := getKeys(t)
	v := newTestVerifier(t, nil)
	good := claimsAt(t0)
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", c) }

	// A case variant beside the claim: the claim decides.
	for _, tc := range []struct {
		name, claim string
		value       any
		check       func(p *Principal) bool
	}{
		{"Role beside role", "Role", "ig-officer", func(p *Principal) bool { return p.Role == "gp" }},
		{"ROLE beside role", "ROLE", "R0001", func(p *Principal) bool { return p.Role == "gp" && p.JobRole == "" }},
		{"Org beside org", "Org", "RXX", func(p *Principal) bool { return p.Org == "A81001" }},
		{"Sector beside sector", "Sector", "council", func(p *Principal) bool { return p.Sector == "nhs" }},
		{"Purpose beside purpose", "Purpose", "ETREAT", func(p *Principal) bool { return p.Purpose == "TREAT" }},
		{"Sub beside sub", "Sub", "someone-else", func(p *Principal) bool { return p.Sub == "u123" }},
		{"Name beside name", "NAME", "Someone Else", func(p *Principal) bool { return p.Name == "Dr Ada Jones" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// jwt.MapClaims marshals sorted by key, and "R" < "r": the
			// variant is added after the claim by hand, so that it is the
			// last member of that name, any case (the one encoding/json
			// keeps).
			tok := signRaw(t, k.rsa, "rsa1", withLast(good, tc.claim, tc.value))
			p, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.check(p) {
				t.Errorf("a %q claim was read as carex's: %+v", tc.claim, *p)
			}
		})
	}

	// A case variant alone is not the claim.
	for _, tc := range []struct{ name, claim, variant, want string }{
		{"Role alone", "role", "Role", "missing claim role"},
		{"ORG alone", "org", "ORG", "missing claim org"},
		{"Sector alone", "sector", "Sector", "missing claim sector"},
		{"EXP alone", "exp", "EXP", "missing claim exp"},
		{"Aud alone", "aud", "Aud", "missing claim aud"},
		{"ISS alone", "iss", "ISS", "missing claim iss"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := rs(with(good, tc.claim, nil, tc.variant, good[tc.claim]))
			p, err := v.Verify(context.Background(), tok)
			if err == nil {
				t.Fatalf("accepted a token whose %s is given only as %q: %+v", tc.claim, tc.variant, *p)
			}
			if !containsStr(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// withLast is c's JSON with one more member, added last.
func withLast(c jwt.MapClaims, name string, value any) []byte {
	b, _ := json.Marshal(c)
	v, _ := json.Marshal(value)
	n, _ := json.Marshal(name)
	return append(append(append(append(b[:len(b)-1:len(b)-1], ','), n...), ':'), append(v, '}')...)
}

// signRaw signs a payload given as bytes (RS256).
func signRaw(t testing.TB, key *rsa.PrivateKey, kid string, payload []byte) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	in := b64u(h) + "." + b64u(payload)
	sig, err := jwt.SigningMethodRS256.Sign(in, key)
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64u(sig)
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Review 9d probes (they pass: recorded as sound): embedded-key headers
// are ignored (the key is the JWKS's, by kid), an empty or wrong aud list
// is refused, a kid naming the development key on a server without it is
// refused, and wrongly typed carex claims are refused.
func TestReview9dHeadersAndClaimShapes(t *testing.T) {
	k := getKeys(t)
	v := newTestVerifier(t, nil)
	good := claimsAt(t0)
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	withHeader := func(key *rsa.PrivateKey, hdr map[string]any, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		for h, x := range hdr {
			tok.Header[h] = x
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	attackerJWK := jwkOf("rsa1", attacker)
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, k.rsa, "rsa1", c) }
	for _, tc := range []struct{ name, token, want string }{
		{"jwk header with the attacker's key", withHeader(attacker, map[string]any{"kid": "rsa1", "jwk": attackerJWK}, good), "bad signature"},
		{"jwk header, no kid", withHeader(attacker, map[string]any{"jwk": attackerJWK}, good), "no kid"},
		{"jku header", withHeader(attacker, map[string]any{"kid": "evil", "jku": "https://evil.example/jwks.json"}, good), "unknown kid"},
		{"x5u header", withHeader(attacker, map[string]any{"kid": "rsa1", "x5u": "https://evil.example/cert.pem"}, good), "bad signature"},
		{"x5c header", withHeader(attacker, map[string]any{"kid": "rsa1", "x5c": []string{"MIIB"}}, good), "bad signature"},
		{"aud empty list", rs(with(good, "aud", []string{})), "aud"},
		{"aud list without carex", rs(with(good, "aud", []string{"a", "b", "Carex"})), "wrong audience"},
		{"aud list with carex", rs(with(good, "aud", []any{"carex", 7})), ""},
		{"role as a list", rs(with(good, "role", []string{"gp", "ig-officer"})), "malformed"},
		{"org as a number", rs(with(good, "org", 81001)), "malformed"},
		{"purpose as a list", rs(with(good, "purpose", []string{"TREAT"})), "malformed"},
		{"role in upper case", rs(with(good, "role", "GP")), "unknown role"},
		{"role with a space", rs(with(good, "role", " gp")), "unknown role"},
		{"sub of spaces", rs(with(good, "sub", "   ")), "missing claim sub"},
		{"dev kid on a server without the dev key", withHeader(k.rsa, map[string]any{"kid": "dev-0123456789abcdef"}, with(good, "iss", DevIssuer)), "development tokens are not accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token)
			if err == nil {
				t.Fatalf("accepted: %+v", *p)
			}
			if !containsStr(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}
