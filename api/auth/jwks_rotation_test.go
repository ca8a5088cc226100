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

// TestKeyRotatedUnderTheSameKid: a provider that replaces its key and
// keeps the kid. Tokens signed with the new key are accepted at once
// (not after the old key's 5 minutes: every login in between was
// refused), tokens signed with the old key are then refused, and tokens
// with bad signatures fetch the keys at most once per jwksMinRefetch.
func TestKeyRotatedUnderTheSameKid(t *testing.T) {
	_, oldKey, _ := ed25519.GenerateKey(rand.Reader)
	_, newKey, _ := ed25519.GenerateKey(rand.Reader)
	_, forged, _ := ed25519.GenerateKey(rand.Reader)
	var serving atomic.Pointer[ed25519.PrivateKey]
	serving.Store(&oldKey)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Write(jwksJSON(jwkOf("k1", *serving.Load())))
	}))
	t.Cleanup(srv.Close)
	var now atomic.Int64
	now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	v, err := NewVerifier(Config{JWKS: srv.URL, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := func(d time.Duration, jti string) jwt.MapClaims {
		now.Store(t0.Add(d).UnixNano())
		return with(claimsAt(t0.Add(d)), "jti", jti)
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, oldKey, "k1", at(0, "a"))); err != nil {
		t.Fatalf("the provider's key: %v", err)
	}

	serving.Store(&newKey)
	before := fetches.Load()
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, newKey, "k1", at(time.Minute, "b"))); err != nil {
		t.Fatalf("a token signed with the key rotated under the same kid, a minute later: %v", err)
	}
	if n := fetches.Load() - before; n != 1 {
		t.Errorf("the rotation fetched the keys %d times, want 1", n)
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, oldKey, "k1", at(time.Minute, "c"))); err == nil {
		t.Error("a token signed with the replaced key is still accepted")
	}

	// Forgeries under the kid: refused, and the keys are fetched again at
	// most once in jwksMinRefetch however many arrive.
	before = fetches.Load()
	for i := range 5 {
		if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, forged, "k1", at(2*time.Minute, string(rune('d'+i))))); err == nil {
			t.Fatal("a token with a bad signature was accepted")
		}
	}
	if n := fetches.Load() - before; n > 1 {
		t.Errorf("5 bad signatures within %v fetched the keys %d times, want at most 1", jwksMinRefetch, n)
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, newKey, "k1", at(2*time.Minute, "z"))); err != nil {
		t.Errorf("the current key after the forgeries: %v", err)
	}
}
