package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// plainHTTPNetwork answers plain-http requests for one host with body, as
// an attacker on the path between carex and that host could, and sends
// every other request to next.
type plainHTTPNetwork struct {
	host string
	body []byte
	next http.RoundTripper
}

func (n plainHTTPNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && r.URL.Hostname() == n.host {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(n.body)), Request: r}, nil
	}
	return n.next.RoundTrip(r)
}

// Review 12a: a JWKS URL must use https (plain http only for localhost or
// in development mode), since whoever can change the keys in transit can
// sign any token. The rule was checked on the URL configured, but the
// fetch followed redirects wherever they led: an identity provider (or a
// load balancer in front of it) that redirected its https JWKS address to
// plain http — a common misconfiguration when TLS ends early — had carex
// fetch the token keys in clear, and a network attacker on that path
// replaced them with their own and minted tokens for any user, role and
// organisation. A redirect to plain http (but to localhost, or in
// development mode) is now refused like such a URL, at start and on every
// refresh.
func TestReview12aJWKSRedirectToPlainHTTPIsRefused(t *testing.T) {
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	evil, _ := json.Marshal(map[string]any{"keys": []any{jwkOf("idp-1", attacker)}})
	idp := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.example/jwks", http.StatusFound)
	}))
	defer idp.Close()
	client := idp.Client()
	client.Transport = plainHTTPNetwork{host: "idp.example", body: evil, next: client.Transport}

	v, err := NewVerifier(Config{JWKS: idp.URL + "/jwks", HTTPClient: client, Now: fixedNow(t0)})
	if err == nil {
		tok := sign(t, jwt.SigningMethodEdDSA, attacker, "idp-1", with(claimsAt(t0), "role", "gp", "org", "A81001"))
		if p, verr := v.Verify(context.Background(), tok); verr == nil {
			t.Fatalf("a token signed with keys fetched over plain http after a redirect was accepted: %+v", *p)
		}
		t.Fatal("the JWKS was fetched over plain http after a redirect from https")
	}
	if !strings.Contains(err.Error(), "must come over https") {
		t.Errorf("error %q, want it to say that the keys must come over https", err)
	}

	// In development mode plain http is allowed, redirected to or not.
	dev := testDevKey(t)
	if _, err := NewVerifier(Config{JWKS: idp.URL + "/jwks", HTTPClient: client, Now: fixedNow(t0), DevKey: dev}); err != nil {
		t.Errorf("development mode: %v", err)
	}
	// The client the caller passed is left as it was.
	if client.CheckRedirect != nil {
		t.Error("the caller's HTTP client was changed")
	}
}
