package auth

import (
	"context"

	"github.com/labstack/echo/v4"
)

// PrincipalKey is the echo.Context key under which Middleware stores the *Principal.
const PrincipalKey = "principal"

type ctxKey struct{}

// Middleware authenticates every request for which skip (may be nil) returns
// false. On success the *Principal is stored in the echo.Context under
// "principal" and in the request's context (FromContext). On failure it
// returns an *AuthError and writes nothing: the central error handler makes
// the 401 response (WWW-Authenticate from AuthError.WWWAuthenticate()).
func Middleware(v *Verifier, skip func(c echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip != nil && skip(c) {
				return next(c)
			}
			req := c.Request()
			tok, err := BearerToken(req.Header.Get(echo.HeaderAuthorization))
			if err != nil {
				return &AuthError{Err: err}
			}
			p, err := v.Verify(req.Context(), tok)
			if err != nil {
				return &AuthError{Err: err}
			}
			c.Set(PrincipalKey, p)
			c.SetRequest(req.WithContext(NewContext(req.Context(), p)))
			return next(c)
		}
	}
}

// PublicPath reports whether path is served without authentication
// (/fhir/metadata, /healthz, /readyz).
func PublicPath(path string) bool {
	switch path {
	case "/fhir/metadata", "/healthz", "/readyz":
		return true
	}
	return false
}

// SkipPublic is a skip function for Middleware that exempts PublicPath paths.
func SkipPublic(c echo.Context) bool { return PublicPath(c.Request().URL.Path) }

// PrincipalFrom returns the authenticated caller, or nil.
func PrincipalFrom(c echo.Context) *Principal {
	p, _ := c.Get(PrincipalKey).(*Principal)
	return p
}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the Principal stored by NewContext (or Middleware), or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
