package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Review 100a: cb0a34a's algorithm mismatch asks renewed for the keys.

// TestReview100aSoundAlgMismatchHungProviderBounded: with the identity
// provider hung, a token naming RS256 under the Ed25519 kid k1 is refused
// once its wait (2 s) ends, not after the fetch's timeout; a legitimate
// EdDSA token under k1 sent meanwhile is accepted; the RS256 token is
// never verified with another algorithm's key; a JWKS file never
// fetches and refuses the mismatch.
func TestReview100aSoundAlgMismatchHungProviderBounded(t *testing.T) {
	_, key1, _ := ed25519.GenerateKey(rand.Reader)
	doc := jwksJSON(jwkOf("k1", key1))
	var fetches atomic.Int32
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fetches.Add(1) > 1 {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}
		w.Write(doc)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hang) })
	var now atomic.Int64
	now.Store(t0.UnixNano())
	v, err := NewVerifier(Config{JWKS: srv.URL, Now: func() time.Time { return time.Unix(0, now.Load()).UTC() }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := t0.Add(time.Minute)
	now.Store(at.UnixNano())
	rsaKey := getKeys(t).rsa
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, rsaKey, "k1", with(claimsAt(at), "jti", "m")))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, key1, "k1", with(claimsAt(at), "jti", "ok"))); err != nil {
		t.Errorf("a legitimate token while the provider hangs: %v", err)
	}
	select {
	case err := <-done:
		t.Logf("mismatched token answered in %v: %v (fetches %d)", time.Since(start), err, fetches.Load())
		if err == nil {
			t.Error("an RS256 token under the Ed25519 kid was accepted")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the mismatched token was held more than 20 s by a hung provider")
	}
	// a JWKS file: refused, no fetch to make
	f, err := NewVerifier(Config{JWKS: writeJWKS(t, jwkOf("k1", key1)), Now: fixedNow(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Verify(ctx, sign(t, jwt.SigningMethodRS256, rsaKey, "k1", with(claimsAt(t0), "jti", "f"))); err == nil {
		t.Error("a JWKS file accepted an RS256 token under its Ed25519 kid")
	}
}
