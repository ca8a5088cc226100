// Package auth verifies bearer JWTs for the carex FHIR server: keys come from a
// JWKS (file or URL) and, only in development mode, from the local development
// key that `carex token`, `carex demo` and `carex serve --dev` share.
package auth

import (
	"errors"
	"net/http"
	"strings"
)

// ErrUnauthorized is in the chain of every error returned by this package for
// a request that must be answered with 401.
var ErrUnauthorized = errors.New("unauthorized")

// ErrNoToken means the request carried no bearer token at all.
// errors.Is(ErrNoToken, ErrUnauthorized) is true.
var ErrNoToken error = &authFailure{msg: "no bearer token"}

// authFailure is a verification failure: its message says what is wrong (and
// never contains the token); it unwraps to ErrUnauthorized and, when there is
// one, to the underlying cause (e.g. jwt.ErrTokenExpired).
type authFailure struct {
	msg   string
	cause error
}

func (e *authFailure) Error() string { return e.msg }

func (e *authFailure) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrUnauthorized, e.cause}
	}
	return []error{ErrUnauthorized}
}

func fail(msg string) error { return &authFailure{msg: msg} }

func failWrap(msg string, cause error) error { return &authFailure{msg: msg, cause: cause} }

// AuthError is what Middleware returns when a request is not authenticated.
// The server's central error handler is expected to turn it into a 401
// OperationOutcome and to set the WWW-Authenticate header from
// WWWAuthenticate().
type AuthError struct {
	// Err is the verification error; errors.Is(Err, ErrUnauthorized) is true.
	Err error
}

func (e *AuthError) Error() string { return "authentication failed: " + e.Description() }

// Unwrap returns the verification error (whose chain contains ErrUnauthorized).
func (e *AuthError) Unwrap() error { return e.Err }

// StatusCode is always 401.
func (e *AuthError) StatusCode() int { return http.StatusUnauthorized }

// Missing reports whether the request carried no bearer token at all.
func (e *AuthError) Missing() bool { return errors.Is(e.Err, ErrNoToken) }

// Description is a short human-readable reason (safe to show to the client).
func (e *AuthError) Description() string {
	if e.Err == nil {
		return ErrUnauthorized.Error()
	}
	return e.Err.Error()
}

// WWWAuthenticate is the value of the WWW-Authenticate header for the 401
// response (RFC 6750 §3): no error attribute when no token was sent, else
// error="invalid_token" and an error_description.
func (e *AuthError) WWWAuthenticate() string {
	if e.Missing() {
		return `Bearer realm="carex"`
	}
	return `Bearer realm="carex", error="invalid_token", error_description="` + quoteSafe(e.Description()) + `"`
}

// quoteSafe keeps only the characters RFC 6750 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E), replacing the others with '?'.
func quoteSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// BearerToken extracts the token from an Authorization header value
// ("Bearer x", scheme case-insensitive). An empty header or another scheme
// gives ErrNoToken; "Bearer" with no token gives an ErrUnauthorized error.
func BearerToken(authorizationHeader string) (string, error) {
	h := strings.TrimSpace(authorizationHeader)
	if h == "" {
		return "", ErrNoToken
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken
	}
	tok := strings.TrimSpace(rest)
	if tok == "" {
		return "", fail("empty bearer token")
	}
	if strings.ContainsAny(tok, " \t") {
		return "", fail("malformed bearer token")
	}
	return tok, nil
}
