package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

const (
	jwksMaxAge       = 5 * time.Minute  // URL keys are refetched (on demand) when older than this
	jwksMinRefetch   = 30 * time.Second // unknown kid triggers at most one refetch per this
	jwksMaxBytes     = 1 << 20
	minRSABits       = 2048
	algRS256         = "RS256"
	algES256         = "ES256"
	algEdDSA         = "EdDSA"
	defaultHTTPLimit = 10 * time.Second
)

// verifyKey is a public key and the only algorithm accepted with it.
type verifyKey struct {
	kid string
	alg string
	key crypto.PublicKey
}

type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	// Private members (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2):
	// present, the key is not a public key.
	D string `json:"d"`
	P string `json:"p"`
	Q string `json:"q"`
}

// parseJWKS returns the usable signature keys of a JWKS document, by kid,
// and why each other signature key was skipped. Keys for encryption are
// left out; of unsupported types/curves/algorithms, or malformed ones are
// skipped; zero usable keys is an error.
func parseJWKS(data []byte) (map[string]*verifyKey, []string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, nil, fmt.Errorf("invalid JWKS JSON: %w", err)
	}
	var doc struct{ Keys []json.RawMessage }
	// The member "keys" exactly, an array (encoding/json would also take
	// "Keys" or "KEYS" into a field: review 58a): anything else is not a
	// JWKS (RFC 7517) but an error a provider or a proxy answers while
	// down, which must not drop the keys in use as an empty key list does
	// (review 57a).
	if raw, ok := members["keys"]; !ok || json.Unmarshal(raw, &doc.Keys) != nil || doc.Keys == nil {
		return nil, nil, errors.New("invalid JWKS: no keys array")
	}
	keys := make(map[string]*verifyKey)
	var skipped []string
	for i, raw := range doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		vk, err := k.toKey()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, k.Kid, err))
			continue
		}
		if vk == nil { // not a signature key
			continue
		}
		if _, dup := keys[vk.kid]; dup {
			skipped = append(skipped, fmt.Sprintf("key %d: duplicate kid %q", i, k.Kid))
			continue
		}
		keys[vk.kid] = vk
	}
	if len(keys) == 0 {
		if len(skipped) > 0 {
			return nil, nil, fmt.Errorf("%w (%s)", errNoUsableKeys, strings.Join(skipped, "; "))
		}
		return nil, nil, errNoUsableKeys
	}
	return keys, skipped, nil
}

var errNoUsableKeys = errors.New("JWKS has no usable signature keys")

// loaded reports whether a JWKS was loaded before (a refresh, not the
// start).
func (ks *keySet) loaded() bool {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys != nil
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// toKey converts a JWK; (nil, nil) means "ignore" (encryption key).
func (k *jwk) toKey() (*verifyKey, error) {
	if k.Use == "enc" {
		return nil, nil
	}
	if len(k.KeyOps) > 0 {
		verify := false
		for _, op := range k.KeyOps {
			verify = verify || op == "verify"
		}
		if !verify {
			return nil, nil
		}
	}
	// A JWKS holding a private key publishes what signs the tokens: anyone
	// who can read it can mint any user's. Such a key is compromised and
	// not trusted (review 56b: it loaded without a word).
	if k.Kty != "oct" && (k.D != "" || k.P != "" || k.Q != "") {
		return nil, errors.New("holds private key material (d, p or q): the key is compromised; publish and give carex the public key only")
	}
	switch k.Kty {
	case "RSA":
		if k.Alg != "" && k.Alg != algRS256 {
			return nil, fmt.Errorf("unsupported alg %q for RSA key (only RS256)", k.Alg)
		}
		nb, err := b64(k.N)
		if err != nil || len(nb) == 0 {
			return nil, errors.New("bad RSA modulus")
		}
		eb, err := b64(k.E)
		if err != nil || len(eb) == 0 || len(eb) > 4 {
			return nil, errors.New("bad RSA exponent")
		}
		e := new(big.Int).SetBytes(eb)
		n := new(big.Int).SetBytes(nb)
		if e.Int64() < 3 || e.Bit(0) == 0 {
			return nil, errors.New("bad RSA exponent")
		}
		if n.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key too short (%d bits, need %d)", n.BitLen(), minRSABits)
		}
		return &verifyKey{kid: k.Kid, alg: algRS256, key: &rsa.PublicKey{N: n, E: int(e.Int64())}}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("unsupported EC curve %q (only P-256)", k.Crv)
		}
		if k.Alg != "" && k.Alg != algES256 {
			return nil, fmt.Errorf("unsupported alg %q for P-256 key (only ES256)", k.Alg)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC coordinates")
		}
		pt := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		if err != nil {
			return nil, fmt.Errorf("bad EC point: %v", err)
		}
		return &verifyKey{kid: k.Kid, alg: algES256, key: pub}, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q (only Ed25519)", k.Crv)
		}
		if k.Alg != "" && k.Alg != algEdDSA && k.Alg != "Ed25519" {
			return nil, fmt.Errorf("unsupported alg %q for Ed25519 key (only EdDSA)", k.Alg)
		}
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 public key")
		}
		return &verifyKey{kid: k.Kid, alg: algEdDSA, key: ed25519.PublicKey(x)}, nil
	case "oct":
		return nil, errors.New("symmetric (oct) keys are not accepted")
	default:
		return nil, fmt.Errorf("unsupported kty %q", k.Kty)
	}
}

// keySet is a JWKS loaded from a file (once) or a URL (cached, refreshed on
// demand: when older than jwksMaxAge, or when a kid is unknown and the last
// fetch is older than jwksMinRefetch).
type keySet struct {
	src    string
	isURL  bool
	client *http.Client
	now    func() time.Time
	// log says which keys were skipped, and when a refresh failed: a
	// provider rotating to a key carex refuses (1024-bit RSA, an HMAC
	// "oct" key) otherwise showed only as every user's 401 (review 10d).
	log     *slog.Logger
	skipped string // the skipped keys last logged

	mu        sync.RWMutex
	keys      map[string]*verifyKey
	fetchedAt time.Time     // last successful fetch
	triedAt   time.Time     // last attempt (successful or not)
	inflight  chan struct{} // closed when the fetch in flight ends; nil when none is
}

func newKeySet(src string, client *http.Client, now func() time.Time, allowHTTP bool, log *slog.Logger) (*keySet, error) {
	if log == nil {
		log = slog.Default()
	}
	ks := &keySet{src: src, client: client, now: now, log: log}
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		u, err := url.Parse(src)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("invalid JWKS URL: %v", err)
		}
		if u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
			return nil, errors.New("JWKS URL must use https (http is allowed only for localhost or in development mode)")
		}
		ks.isURL = true
		ks.client = httpsOnly(client, allowHTTP)
	}
	if err := ks.load(context.Background()); err != nil {
		return nil, err
	}
	return ks, nil
}

// httpsOnly is a copy of client that follows a redirect only where the
// JWKS URL itself may point: https, or plain http to localhost or in
// development mode. The rule was checked on the URL configured alone, and
// a redirect from it to plain http fetched the token keys in clear, for
// anyone on the path to replace with their own (review 12a).
func httpsOnly(client *http.Client, allowHTTP bool) *http.Client {
	c := *client
	next := client.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && (allowHTTP || isLoopback(req.URL.Hostname()))) {
			return fmt.Errorf("JWKS redirected to %s://%s: the token keys must come over https (http is allowed only for localhost or in development mode)", req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("JWKS: stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// load fetches and parses the JWKS, replacing the keys on success.
func (ks *keySet) load(ctx context.Context) error {
	ks.mu.Lock()
	ks.triedAt = ks.now()
	ks.mu.Unlock()
	var data []byte
	var err error
	if ks.isURL {
		data, err = ks.fetch(ctx)
	} else {
		data, err = os.ReadFile(ks.src)
		if err != nil {
			err = fmt.Errorf("reading JWKS file: %w", err)
		}
	}
	if err != nil {
		return err
	}
	keys, skipped, err := parseJWKS(data)
	if errors.Is(err, errNoUsableKeys) && ks.loaded() {
		// The provider answered with no key carex can use (every key
		// revoked, or rotated to ones it does not accept): the keys
		// fetched before are dropped, not kept (review 56b: a removed key
		// was accepted for as long as the provider served such a JWKS).
		ks.mu.Lock()
		ks.keys = map[string]*verifyKey{}
		ks.fetchedAt = ks.now()
		ks.mu.Unlock()
		ks.log.Error("JWKS has no usable signature keys now: every token is refused until it has one", "jwks", ks.src, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", ks.src, err)
	}
	ks.mu.Lock()
	ks.keys = keys
	ks.fetchedAt = ks.now()
	changed := strings.Join(skipped, "; ") != ks.skipped
	ks.skipped = strings.Join(skipped, "; ")
	ks.mu.Unlock()
	if changed && len(skipped) > 0 {
		ks.log.Warn("JWKS: keys skipped (tokens signed with them are refused with 401)", "jwks", ks.src, "skipped", ks.skipped, "usable", len(keys))
	}
	return nil
}

func (ks *keySet) fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.src, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching JWKS %s: HTTP %d", ks.src, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS response: %w", err)
	}
	if len(data) > jwksMaxBytes {
		return nil, errors.New("JWKS response too large")
	}
	return data, nil
}

// staleKeyWait: how long the request that starts a refresh of stale keys
// waits for it before it is answered with the key it knows.
const staleKeyWait = 300 * time.Millisecond

// unknownKidWait: how long a token with an unknown kid waits for a refresh
// (a key rotation). A provider that answers takes well under this; one
// that hangs must not hold requests for the fetch's whole timeout.
const unknownKidWait = 2 * time.Second

// lookup returns the key for kid (nil if unknown), refreshing URL sources on
// demand. A token without kid matches only a set holding exactly one key.
func (ks *keySet) lookup(ctx context.Context, kid string) *verifyKey {
	k, stale := ks.get(kid)
	if !ks.isURL || (k != nil && !stale) {
		return k
	}
	// Stale keys (older than jwksMaxAge): the request that starts the
	// refresh waits for it a short while, so that a key removed from the
	// JWKS is refused at once when the provider answers promptly; every
	// other request, and this one after staleKeyWait, is answered with the
	// known key. An unknown kid (possibly a rotation) waits for the fetch
	// in flight, or starts one, for up to unknownKidWait.
	wait := unknownKidWait
	done, started := ks.refresh()
	if k != nil {
		if !started {
			return k
		}
		wait = staleKeyWait
	}
	if done == nil {
		return k // rate-limited: the previous keys
	}
	select {
	case <-done:
		k2, _ := ks.get(kid) // a key removed from the JWKS is no longer accepted
		return k2
	case <-time.After(wait):
	case <-ctx.Done():
	}
	return k
}

// renewed is kid's key as a refresh of URL keys finds it, when that key
// is not old: a provider that rotated its key under the same kid (some
// do) signs with the new one while this set holds the old one until it
// is stale (jwksMaxAge), and every new token was refused meanwhile. A
// bad signature asks for the refresh as an unknown kid does, at most
// once per jwksMinRefetch, waiting up to unknownKidWait; nil when there
// is no other key (or no refresh now).
func (ks *keySet) renewed(ctx context.Context, kid string, old *verifyKey) *verifyKey {
	if !ks.isURL {
		return nil
	}
	done, _ := ks.refresh()
	if done == nil {
		return nil
	}
	select {
	case <-done:
	case <-time.After(unknownKidWait):
		return nil
	case <-ctx.Done():
		return nil
	}
	k, _ := ks.get(kid)
	if k == nil || k.alg == old.alg && samePublicKey(k.key, old.key) {
		return nil
	}
	return k
}

// samePublicKey reports whether a and b are the same public key.
func samePublicKey(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// refresh returns the done channel of the fetch in flight, starting one
// unless the last attempt was less than jwksMinRefetch ago (nil then).
// The fetch runs on its own, one at a time: a request that stops waiting
// does not cancel it for the others.
func (ks *keySet) refresh() (done <-chan struct{}, started bool) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.inflight != nil {
		return ks.inflight, false
	}
	if ks.now().Sub(ks.triedAt) < jwksMinRefetch {
		return nil, false
	}
	ch := make(chan struct{})
	ks.inflight = ch
	go func() {
		if err := ks.load(context.Background()); err != nil { // the previous keys are kept
			ks.log.Warn("JWKS refresh failed: the keys fetched before stay in use", "jwks", ks.src, "err", err)
		}
		ks.mu.Lock()
		ks.inflight = nil
		ks.mu.Unlock()
		close(ch)
	}()
	return ch, true
}

func (ks *keySet) get(kid string) (k *verifyKey, stale bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	stale = ks.now().Sub(ks.fetchedAt) >= jwksMaxAge
	if kid == "" {
		if len(ks.keys) == 1 {
			for _, v := range ks.keys {
				return v, stale
			}
		}
		return nil, stale
	}
	return ks.keys[kid], stale
}
