package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// GenerateKey makes an Ed25519 note key pair: skey is secret, vkey is the
// public verifier key an IG officer uses with `carex audit verify`.
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// LoadOrCreateKey reads the signer key at path, creating it (mode 0600) if
// it does not exist. The verifier key is kept beside it in path+".pub"
// (written if missing; it must match the signer key if present).
func LoadOrCreateKey(path, name string) (note.Signer, note.Verifier, error) {
	b, err := os.ReadFile(path)
	var skey string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		var vkey string
		if skey, vkey, err = GenerateKey(name); err != nil {
			return nil, nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("auditlog: create log key: %w", err)
		}
		_, err = f.WriteString(skey + "\n")
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			return nil, nil, fmt.Errorf("auditlog: write log key: %w", err)
		}
		if err := os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
			return nil, nil, fmt.Errorf("auditlog: write log public key: %w", err)
		}
	case err != nil:
		return nil, nil, fmt.Errorf("auditlog: read log key: %w", err)
	default:
		skey = strings.TrimSpace(string(b))
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: log key %s: %w", path, err)
	}
	if name != "" && s.Name() != name {
		return nil, nil, fmt.Errorf("auditlog: log key %s is named %q, want %q", path, s.Name(), name)
	}
	vkey, err := VerifierKey(skey)
	if err != nil {
		return nil, nil, err
	}
	switch b, err := os.ReadFile(path + ".pub"); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
			return nil, nil, fmt.Errorf("auditlog: write log public key: %w", err)
		}
	case err != nil:
		return nil, nil, err
	case strings.TrimSpace(string(b)) != vkey:
		return nil, nil, fmt.Errorf("auditlog: %s.pub does not match the key in %s", path, path)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, err
	}
	return s, v, nil
}

// VerifierKey derives the public verifier key from an Ed25519 signer key.
func VerifierKey(skey string) (string, error) {
	// PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>
	f := strings.SplitN(skey, "+", 5)
	if len(f) != 5 || f[0] != "PRIVATE" || f[1] != "KEY" {
		return "", errors.New("auditlog: malformed signer key")
	}
	k, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(k) != 1+ed25519.SeedSize || k[0] != 1 {
		return "", errors.New("auditlog: signer key is not Ed25519")
	}
	pub := ed25519.NewKeyFromSeed(k[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(f[2], pub)
}

// LoadVerifiers reads verifier (public) keys, one per line, from files.
func LoadVerifiers(paths ...string) (note.Verifiers, error) {
	var vs []note.Verifier
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			v, err := note.NewVerifier(line)
			if err != nil {
				return nil, fmt.Errorf("auditlog: %s: %w", p, err)
			}
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return nil, errors.New("auditlog: no verifier keys found")
	}
	return note.VerifierList(vs...), nil
}
