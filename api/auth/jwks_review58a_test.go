package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Review 58a: parseJWKS after aa3bb1e (an answer without a keys array is a
// failed refresh; a key list with no usable key drops every key).

type r58aProvider struct {
	mu  sync.Mutex
	doc string
}

func r58aGoodJWKS(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"keys":[{"kty":"OKP","kid":"ed1","use":"sig","alg":"EdDSA","crv":"Ed25519","x":%q}]}`,
		base64.RawURLEncoding.EncodeToString(pub))
}

// r58aRefresh loads good, then refreshes with doc; it returns whether the
// key fetched before is still in use and the refresh's error.
func r58aRefresh(t *testing.T, good, doc string) (kept bool, err error) {
	t.Helper()
	p := &r58aProvider{doc: good}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(p.doc))
	}))
	t.Cleanup(srv.Close)
	ks, err := newKeySet(srv.URL, srv.Client(), time.Now, true, nil)
	if err != nil {
		t.Fatalf("start with a good JWKS: %v", err)
	}
	if k, _ := ks.get("ed1"); k == nil {
		t.Fatal("premise: key ed1 not loaded")
	}
	p.mu.Lock()
	p.doc = doc
	p.mu.Unlock()
	err = ks.load(context.Background())
	k, _ := ks.get("ed1")
	return k != nil, err
}

// TestReview58aJWKSKeysNotAnArrayIsAFailedRefresh: README "an answer
// without a keys array ... is a failed refresh" and the keys fetched
// before stay in use: keys an object, a string, a number, true; and a
// "keys" array spelt in another case (JSON member names are
// case-sensitive, RFC 7517 §5 names "keys": {"KEYS":[]} has no keys
// array).
func TestReview58aJWKSKeysNotAnArrayIsAFailedRefresh(t *testing.T) {
	good := r58aGoodJWKS(t)
	for _, doc := range []string{
		`{"keys":{}}`, `{"keys":"x"}`, `{"keys":1}`, `{"keys":true}`, `{"keys":{"keys":[]}}`,
		`null`, `[]`, `[{"keys":[]}]`, `"keys"`,
		`{"Keys":[]}`, `{"KEYS":[]}`, `{"kEyS":[]}`,
	} {
		kept, err := r58aRefresh(t, good, doc)
		t.Logf("refresh with %s: kept=%v err=%v", doc, kept, err)
		if !kept {
			t.Errorf("refresh answered %s (no \"keys\" array): every key fetched before was dropped, so every token is refused (README: an answer without a keys array is a failed refresh, the keys stay in use)", doc)
		}
	}
}

// TestReview58aSoundJWKSKeyListWithNoUsableKeyDrops: a keys array holding
// no key carex accepts ([], [null], [{}], only use:enc keys, only key_ops
// without verify, only an HMAC key) drops the keys fetched before, as
// README documents (review 56b), and the log says so.
func TestReview58aSoundJWKSKeyListWithNoUsableKeyDrops(t *testing.T) {
	good := r58aGoodJWKS(t)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	x := base64.RawURLEncoding.EncodeToString(pub)
	for _, doc := range []string{
		`{"keys":[]}`, `{"keys":[null]}`, `{"keys":[{}]}`, `{"keys":[1,"x"]}`,
		fmt.Sprintf(`{"keys":[{"kty":"OKP","kid":"ed1","use":"enc","crv":"Ed25519","x":%q}]}`, x),
		fmt.Sprintf(`{"keys":[{"kty":"OKP","kid":"ed1","key_ops":["encrypt"],"crv":"Ed25519","x":%q}]}`, x),
		`{"keys":[{"kty":"oct","kid":"ed1","k":"c2VjcmV0"}]}`,
	} {
		kept, err := r58aRefresh(t, good, doc)
		t.Logf("refresh with %.80s: kept=%v err=%v", doc, kept, err)
		if kept || err != nil {
			t.Errorf("refresh with %.80s: kept=%v err=%v (README: a key list with no key carex accepts leaves none in use)", doc, kept, err)
		}
	}
}

// TestReview58aSoundJWKSStartRefusedWithNoUsableKey: the start with each
// such document (file or URL) is refused with an error naming the JWKS
// and why.
func TestReview58aSoundJWKSStartRefusedWithNoUsableKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	x := base64.RawURLEncoding.EncodeToString(pub)
	dir := t.TempDir()
	for i, doc := range []string{
		`{"keys":{}}`, `{"keys":"x"}`, `{"keys":[null]}`, `{"keys":[{}]}`, `{"keys":[]}`, `{}`, `{"KEYS":[]}`,
		fmt.Sprintf(`{"keys":[{"kty":"OKP","kid":"e","use":"enc","crv":"Ed25519","x":%q}]}`, x),
	} {
		file := filepath.Join(dir, fmt.Sprintf("j%d.json", i))
		os.WriteFile(file, []byte(doc), 0o600)
		_, err := newKeySet(file, http.DefaultClient, time.Now, false, nil)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(doc)) }))
		_, uerr := newKeySet(srv.URL, srv.Client(), time.Now, true, nil)
		srv.Close()
		t.Logf("start with %.60s: file: %v; url: %v", doc, err, uerr)
		for _, e := range []error{err, uerr} {
			if e == nil {
				t.Errorf("start with %.60s accepted: no usable key", doc)
			} else if !strings.Contains(e.Error(), "JWKS") {
				t.Errorf("start with %.60s: message does not name the JWKS: %v", doc, e)
			}
		}
	}
}
