package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DevIssuer is the iss of development tokens.
const DevIssuer = "carex-dev"

// DefaultAudience is the default required aud (and the aud of development tokens).
const DefaultAudience = "carex"

// DefaultIssuer is the default required iss for JWKS-verified tokens.
const DefaultIssuer = "carex"

// DefaultDevTTL is the lifetime of a development token when DevClaims.TTL is 0.
const DefaultDevTTL = 8 * time.Hour

// DevKey is the development signing key. It is trusted only by a server in
// development mode (Config.DevKey non-nil); it is never a way into production.
type DevKey struct {
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
	KID     string // "dev-" + first 16 hex chars of sha256(public key)
}

// DefaultDevKeyPath is where `carex token`, `carex demo` and `carex serve --dev`
// keep the shared development key: os.UserConfigDir()/carex/dev-key.pem, i.e.
// $XDG_CONFIG_HOME/carex/dev-key.pem or ~/.config/carex/dev-key.pem on Linux
// (~/Library/Application Support/carex/dev-key.pem on macOS,
// %AppData%\carex\dev-key.pem on Windows). If no config directory can be
// determined it falls back to ./.carex/dev-key.pem.
func DefaultDevKeyPath() string {
	dir, err := os.UserConfigDir()
	if err != nil || dir == "" {
		return filepath.Join(".carex", "dev-key.pem")
	}
	return filepath.Join(dir, "carex", "dev-key.pem")
}

// NewDevKey wraps an Ed25519 private key.
func NewDevKey(priv ed25519.PrivateKey) (*DevKey, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("invalid Ed25519 private key")
	}
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return &DevKey{Private: priv, Public: pub, KID: "dev-" + hex.EncodeToString(sum[:])[:16]}, nil
}

// LoadOrCreateDevKey reads the Ed25519 development key (PKCS#8 PEM) at path,
// creating it (mode 0600, parent directory 0700) if it does not exist. Two
// processes racing to create it end up with the same key: the new key is
// written to a temporary file that is then linked into place only if no key
// exists yet, and the file is re-read.
func LoadOrCreateDevKey(path string) (*DevKey, error) {
	if k, err := readDevKey(path); err == nil {
		return k, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating development key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating development key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding development key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := os.CreateTemp(dir, ".dev-key-*.tmp") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("writing development key: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing development key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing development key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing development key: %w", err)
	}
	// Link fails if another process created the key first: keep theirs.
	if err := os.Link(tmpName, path); err != nil && !errors.Is(err, fs.ErrExist) {
		// Filesystem without hard links: fall back to rename unless the key appeared meanwhile.
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			if err := os.Rename(tmpName, path); err != nil {
				return nil, fmt.Errorf("installing development key: %w", err)
			}
		}
	}
	return readDevKey(path)
}

func readDevKey(path string) (*DevKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	// Whoever reads the key signs tokens a --dev server takes as any user
	// of any organisation, and whoever replaces it chooses that key: one
	// other users may read or write is refused, as ssh refuses such a
	// private key (review 45b). carex creates it 0600.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("development key %s is open to other users of this machine (mode %04o): whoever reads it can sign tokens as anyone; run chmod 600 %s, or delete it for a new one", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("development key %s: not a PKCS#8 PEM private key", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("development key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("development key %s: not an Ed25519 key", path)
	}
	return NewDevKey(priv)
}

// DevClaims are the claims of a development token.
type DevClaims struct {
	Sub, Name, Role, Sector, Org, Purpose string
	TTL                                   time.Duration // default DefaultDevTTL
}

// Mint signs a development token (EdDSA, kid=k.KID, iss=DevIssuer,
// aud=DefaultAudience, iat, nbf=now, exp=now+TTL, random jti). Sub, Org,
// Sector (nhs|council) and Role are required; Name and Purpose are omitted
// when empty (the verifier then uses Sub and TREAT).
func (k *DevKey) Mint(c DevClaims) (string, error) {
	return k.mintAt(c, time.Now())
}

func (k *DevKey) mintAt(c DevClaims, now time.Time) (string, error) {
	if k == nil || len(k.Private) != ed25519.PrivateKeySize {
		return "", errors.New("mint: no development key")
	}
	switch {
	case c.Sub == "":
		return "", errors.New("mint: sub is required")
	case c.Org == "":
		return "", errors.New("mint: org is required")
	case c.Sector != SectorNHS && c.Sector != SectorCouncil:
		return "", errors.New("mint: sector must be nhs or council")
	case c.Role == "":
		return "", errors.New("mint: role is required")
	case c.TTL < 0:
		return "", errors.New("mint: negative TTL")
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultDevTTL
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	now = now.Truncate(time.Second)
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    DevIssuer,
			Subject:   c.Sub,
			Audience:  jwt.ClaimStrings{DefaultAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        hex.EncodeToString(jti[:]),
		},
		Name: c.Name, Org: c.Org, Sector: c.Sector, Role: c.Role, Purpose: c.Purpose,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = k.KID
	return t.SignedString(k.Private)
}
