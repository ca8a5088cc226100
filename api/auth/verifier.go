package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	defaultLeeway = 30 * time.Second
	maxTokenLen   = 16 << 10
)

// Config configures a Verifier. At least one of JWKS and DevKey must be set.
type Config struct {
	JWKS       string        // path to a JWKS JSON file, or an http(s) URL; "" = none
	Issuer     string        // required iss of JWKS-verified tokens; default DefaultIssuer ("carex"); may not be DevIssuer
	Audience   string        // required aud, default DefaultAudience ("carex"); dev tokens always need DefaultAudience
	Leeway     time.Duration // clock skew allowed on exp/nbf/iat; 0 = default 30s, negative = none
	DevKey     *DevKey       // non-nil only in development mode
	ExtraRoles []string      // roles added by the policy file
	// JobRoles maps national RBAC job role codes (R8000) to carex roles:
	// the policy file's job-role lines. nil = RBACRoles, the built-in
	// policy's; an empty map accepts no job role codes.
	JobRoles   map[string]string
	HTTPClient *http.Client // for a JWKS URL; default: 10s timeout
	Now        func() time.Time
	Logger     *slog.Logger // keys of the JWKS skipped, refreshes that failed; default slog.Default()
}

// Verifier verifies bearer tokens. It is safe for concurrent use.
type Verifier struct {
	jwks      *keySet // nil when no JWKS
	dev       *verifyKey
	extra     map[string]bool
	jobRoles  map[string]string
	now       func() time.Time
	leeway    time.Duration
	jwksParse *jwt.Parser
	devParse  *jwt.Parser
	cache     *tokenCache // nil = disabled
}

// NewVerifier builds a Verifier, loading the JWKS now (an unreadable or
// invalid JWKS is an error).
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.JWKS == "" && cfg.DevKey == nil {
		return nil, errors.New("auth: no key source (set a JWKS file/URL, or the development key in development mode)")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Issuer == DevIssuer {
		return nil, fmt.Errorf("auth: issuer %q is reserved for development tokens", DevIssuer)
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = defaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultHTTPLimit}
	}
	v := &Verifier{
		extra:  make(map[string]bool),
		now:    cfg.Now,
		leeway: cfg.Leeway,
		cache:  newTokenCache(defaultCacheSize),
	}
	for _, r := range cfg.ExtraRoles {
		r = strings.TrimSpace(r)
		if r == "" || strings.ContainsAny(r, " \t\r\n") {
			return nil, fmt.Errorf("auth: invalid extra role %q", r)
		}
		v.extra[r] = true
	}
	if cfg.JobRoles == nil {
		cfg.JobRoles = RBACRoles
	}
	v.jobRoles = make(map[string]string, len(cfg.JobRoles))
	for code, role := range cfg.JobRoles {
		if code == "" || strings.ContainsAny(code, " \t\r\n:") {
			return nil, fmt.Errorf("auth: invalid job role code %q", code)
		}
		if _, _, ok := mapRole(role, v.extra, nil); !ok {
			return nil, fmt.Errorf("auth: job role %s maps to %q, which is not a role", code, role)
		}
		v.jobRoles[strings.ToUpper(code)] = role
	}
	common := []jwt.ParserOption{
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithStrictDecoding(),
	}
	if cfg.JWKS != "" {
		ks, err := newKeySet(cfg.JWKS, cfg.HTTPClient, cfg.Now, cfg.DevKey != nil, cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		v.jwks = ks
		v.jwksParse = jwt.NewParser(append(common,
			jwt.WithValidMethods([]string{algRS256, algES256, algEdDSA}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience))...)
	}
	if cfg.DevKey != nil {
		if len(cfg.DevKey.Public) == 0 || cfg.DevKey.KID == "" {
			return nil, errors.New("auth: invalid development key")
		}
		v.dev = &verifyKey{kid: cfg.DevKey.KID, alg: algEdDSA, key: cfg.DevKey.Public}
		v.devParse = jwt.NewParser(append(common,
			jwt.WithValidMethods([]string{algEdDSA}),
			jwt.WithIssuer(DevIssuer),
			jwt.WithAudience(DefaultAudience))...)
	}
	return v, nil
}

type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// Verify checks the token's signature and claims and returns the caller.
// Every error satisfies errors.Is(err, ErrUnauthorized) and never contains the token.
func (v *Verifier) Verify(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	now := v.now()
	if p := v.cache.get(token, now, v.leeway); p != nil {
		return p, nil
	}
	if len(token) > maxTokenLen {
		return nil, fail("malformed token: too large")
	}
	hdr, err := peekHeader(token)
	if err != nil {
		return nil, err
	}
	switch hdr.Alg {
	case algRS256, algES256, algEdDSA:
	case "":
		return nil, fail("malformed token: no alg")
	default:
		if s := printable(hdr.Alg); s != "" {
			return nil, fail("algorithm " + s + " not allowed")
		}
		return nil, fail("algorithm not allowed")
	}
	if len(hdr.Crit) > 0 && string(hdr.Crit) != "null" {
		return nil, fail("unsupported critical header parameters")
	}

	var key *verifyKey
	parser := v.jwksParse
	dev := false
	if v.dev != nil && hdr.Kid == v.dev.kid {
		key, parser, dev = v.dev, v.devParse, true
	} else if v.jwks != nil {
		key = v.jwks.lookup(ctx, hdr.Kid)
	}
	if key == nil {
		switch {
		case strings.HasPrefix(hdr.Kid, "dev-") && v.dev == nil:
			// (review 74c: say which servers take them)
			return nil, fail("development tokens are not accepted by this server: only carex demo and carex serve --dev take them; mint tokens with your identity provider for this one")
		case strings.HasPrefix(hdr.Kid, "dev-") && v.dev != nil:
			// (review 74c: "unknown kid" said nothing of the key)
			return nil, fail("signed with another development key than this server's: mint it with the --dev-key (CAREX_DEV_KEY) the server was started with")
		case hdr.Kid == "":
			return nil, fail("token has no kid")
		default:
			return nil, fail("unknown kid")
		}
	}
	if key.alg != hdr.Alg && !dev && v.jwks != nil {
		// The provider may have rotated the key under the same kid to
		// another algorithm (review 99a: refused until the old key was
		// stale); renewed fetches at most once per jwksMinRefetch.
		if k := v.jwks.renewed(ctx, hdr.Kid, key); k != nil {
			key = k
		}
	}
	if key.alg != hdr.Alg {
		return nil, fail("algorithm " + hdr.Alg + " does not match the key (" + key.alg + ")")
	}

	claims := &tokenClaims{}
	parse := func(key *verifyKey) error {
		claims = &tokenClaims{}
		_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
			if t.Method.Alg() != key.alg { // belt and braces: the header was parsed twice
				return nil, fail("algorithm does not match the key")
			}
			return key.key, nil
		})
		return err
	}
	err = parse(key)
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) && !dev && v.jwks != nil {
		// The provider may have rotated the key under the same kid.
		if k := v.jwks.renewed(ctx, hdr.Kid, key); k != nil && k.alg == hdr.Alg {
			err = parse(k)
		}
	}
	if err != nil {
		return nil, describe(err, claims)
	}
	p, err := principalFrom(claims, v.extra, v.jobRoles, dev)
	if err != nil {
		return nil, err
	}
	var nbf time.Time
	if claims.NotBefore != nil {
		nbf = claims.NotBefore.Time
	}
	v.cache.put(token, p, nbf, now)
	return p, nil
}

// peekHeader decodes the JOSE header so that the key (and its algorithm) can be
// chosen before the signature is checked.
func peekHeader(token string) (*jwsHeader, error) {
	if strings.Count(token, ".") != 2 {
		return nil, fail("malformed token: want 3 dot-separated parts")
	}
	h, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.Strict().DecodeString(h)
	if err != nil {
		return nil, failWrap("malformed token: bad header encoding", jwt.ErrTokenMalformed)
	}
	var hdr jwsHeader
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, failWrap("malformed token: bad header", jwt.ErrTokenMalformed)
	}
	return &hdr, nil
}

// describe turns a jwt error into a message saying what is wrong.
func describe(err error, c *tokenClaims) error {
	var af *authFailure
	switch {
	case errors.As(err, &af):
		return af
	case errors.Is(err, jwt.ErrTokenMalformed):
		return failWrap("malformed token", jwt.ErrTokenMalformed)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return failWrap("bad signature", jwt.ErrTokenSignatureInvalid)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		switch {
		case c.ExpiresAt == nil:
			return failWrap("missing claim exp", jwt.ErrTokenRequiredClaimMissing)
		case c.Issuer == "":
			return failWrap("missing claim iss", jwt.ErrTokenRequiredClaimMissing)
		case len(c.Audience) == 0 || c.Audience[0] == "":
			return failWrap("missing claim aud", jwt.ErrTokenRequiredClaimMissing)
		}
		return failWrap("missing required claim", jwt.ErrTokenRequiredClaimMissing)
	case errors.Is(err, jwt.ErrTokenExpired):
		return failWrap("token expired", jwt.ErrTokenExpired)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return failWrap("token not yet valid", jwt.ErrTokenNotValidYet)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return failWrap("token issued in the future", jwt.ErrTokenUsedBeforeIssued)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return failWrap("wrong audience", jwt.ErrTokenInvalidAudience)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return failWrap("wrong issuer", jwt.ErrTokenInvalidIssuer)
	case errors.Is(err, jwt.ErrInvalidType):
		return failWrap("invalid claim type", jwt.ErrInvalidType)
	}
	return failWrap("invalid token", jwt.ErrTokenInvalidClaims)
}
