package auth

import (
	"context"
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
