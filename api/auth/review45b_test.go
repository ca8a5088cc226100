package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview45bSoundJWKSPlainHTTPRefused: a JWKS URL over plain http to
// another host is refused outside development mode (the keys would come
// in clear); to localhost it is allowed, as documented.
func TestReview45bSoundJWKSPlainHTTPRefused(t *testing.T) {
	_, err := NewVerifier(Config{JWKS: "http://idp.example.invalid/jwks.json"})
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain http JWKS: %v", err)
	}
}

// TestReview45bDevKeyLoosePermissionsAccepted: the development key is loaded
// from a file that every user of the machine may replace (mode 0666) as
// from one of mode 0600; ssh refuses such a private key. Whoever swaps
// it (or reads it) signs tokens the --dev server takes as any user.
func TestReview45bDevKeyLoosePermissionsAccepted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "carex")
	path := filepath.Join(dir, "dev-key.pem")
	if _, err := LoadOrCreateDevKey(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateDevKey(path); err == nil {
			t.Errorf("dev key of mode %04o loaded without complaint", mode)
		}
	}
}
