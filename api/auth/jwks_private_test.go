package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A JWKS that publishes a private key (member d, or RSA's p and q) is not
// trusted for that key: whoever can read it can sign any user's token
// (review 56b: such a file loaded without a word). The start with only
// such keys is refused naming why; beside a public key, the public one is
// used and the private one skipped.
func TestJWKSPrivateKeyRefused(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	withPrivate := func(kid string, member string) map[string]any {
		var j map[string]any
		switch member {
		case "d-rsa":
			j = jwkOf(kid, rsaKey)
			j["d"] = b64u(rsaKey.D.Bytes())
		case "pq-rsa":
			j = jwkOf(kid, rsaKey)
			j["p"] = b64u(rsaKey.Primes[0].Bytes())
			j["q"] = b64u(rsaKey.Primes[1].Bytes())
		case "d-ec":
			j = jwkOf(kid, ecKey)
			b, _ := ecKey.Bytes()
			j["d"] = b64u(b)
		case "d-ed":
			j = jwkOf(kid, edKey)
			j["d"] = b64u(edKey.Seed())
		}
		return j
	}
	for _, member := range []string{"d-rsa", "pq-rsa", "d-ec", "d-ed"} {
		_, err := newKeySet(writeJWKS(t, withPrivate("k1", member)), http.DefaultClient, time.Now, false, nil)
		if err == nil || !strings.Contains(err.Error(), "private key material") {
			t.Errorf("%s: JWKS with only a private key: err = %v, want a refusal naming private key material", member, err)
		}
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	ks, err := newKeySet(writeJWKS(t, withPrivate("priv", "d-rsa"), jwkOf("pub", other)), http.DefaultClient, time.Now, false, nil)
	if err != nil {
		t.Fatalf("JWKS with a public key beside a private one: %v", err)
	}
	if k, _ := ks.get("priv"); k != nil {
		t.Error("the published private key is trusted")
	}
	if k, _ := ks.get("pub"); k == nil {
		t.Error("the public key beside it is not used")
	}
}
