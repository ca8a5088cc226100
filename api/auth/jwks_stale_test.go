package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestStaleKeysDoNotWaitForAHungProvider: when the keys are older than
// jwksMaxAge and the identity provider hangs, requests with a known, valid
// key are answered without waiting for the refresh's timeout (found in
// review: 8 of 8 waited for it; in production 10 s, every 30 s).
func TestStaleKeysDoNotWaitForAHungProvider(t *testing.T) {
	p := newHungProvider(t, 3*time.Second)
	edA, v, now := p.key, p.v, &p.now
	p.hang.Store(true)
	now.Store(t0.Add(6 * time.Minute).UnixNano())
	c := with(claimsAt(t0.Add(6*time.Minute)), "exp", t0.Add(time.Hour).Unix())
	var wg sync.WaitGroup
	var slow atomic.Int32
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := sign(t, jwt.SigningMethodEdDSA, edA, "A", with(c, "jti", string(rune('a'+i))))
			start := time.Now()
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Errorf("valid token refused: %v", err)
			}
			if time.Since(start) > time.Second {
				slow.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := slow.Load(); n > 0 {
		t.Fatalf("%d of 8 requests with a known, valid key waited more than a second for a hung JWKS refresh", n)
	}
}

// TestUnknownKidDoesNotWaitForAHungProvider: a token whose kid the keys do
// not hold (a rotation, or a forgery) waits for the refresh at most
// unknownKidWait, not for the fetch's timeout, and every such token waits
// for the one fetch in flight rather than queueing behind it one by one.
func TestUnknownKidDoesNotWaitForAHungProvider(t *testing.T) {
	_, edB, _ := ed25519.GenerateKey(rand.Reader)
	p := newHungProvider(t, 20*time.Second)
	edA, v, now, fetches := p.key, p.v, &p.now, &p.fetches
	p.hang.Store(true)
	now.Store(t0.Add(time.Minute).UnixNano()) // past jwksMinRefetch, keys still fresh
	c := with(claimsAt(t0.Add(time.Minute)), "exp", t0.Add(time.Hour).Unix())
	var wg sync.WaitGroup
	var slow atomic.Int32
	start := time.Now()
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := sign(t, jwt.SigningMethodEdDSA, edB, "B", with(c, "jti", string(rune('a'+i))))
			t1 := time.Now()
			if _, err := v.Verify(context.Background(), tok); err == nil {
				t.Error("a token signed with a key the JWKS does not hold was accepted")
			}
			if time.Since(t1) > unknownKidWait+5*time.Second {
				slow.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := slow.Load(); n > 0 {
		t.Fatalf("%d of 4 tokens with an unknown kid waited for the hung fetch's timeout (%v in all)", n, time.Since(start))
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches of the JWKS; want the first and one refresh", n)
	}
	// Known keys are not held up meanwhile.
	tok := sign(t, jwt.SigningMethodEdDSA, edA, "A", c)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("a valid token: %v", err)
	}
}

// hungProvider is an identity provider serving key A's JWKS until hang is
// set, then answering nothing until the test ends; v verifies tokens
// against it with a clock set by now (from t0).
type hungProvider struct {
	key     ed25519.PrivateKey
	hang    atomic.Bool
	fetches atomic.Int32
	now     atomic.Int64
	v       *Verifier
}

func newHungProvider(t *testing.T, fetchTimeout time.Duration) *hungProvider {
	t.Helper()
	p := &hungProvider{}
	_, p.key, _ = ed25519.GenerateKey(rand.Reader)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		if p.hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write(jwksJSON(jwkOf("A", p.key)))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: the hung handlers return
	p.now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, p.now.Load()).UTC() }
	v, err := NewVerifier(Config{JWKS: srv.URL, Now: clock, HTTPClient: &http.Client{Timeout: fetchTimeout}})
	if err != nil {
		t.Fatal(err)
	}
	p.v = v
	return p
}
