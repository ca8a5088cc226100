// Package api is carex's FHIR REST interface. Each request reads top to
// bottom: authenticate (middleware) → load (store) → decide (Policy) →
// release (only what the decision allows) → log (Recorder).
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
)

const fhirJSON = "application/fhir+json; charset=utf-8"

// Config wires a Server.
type Config struct {
	Store    store.Store
	Verifier *auth.Verifier
	Policy   Policy        // nil: ConsentPolicy with the built-in default sharing policy
	Recorder Recorder      // nil: nothing is recorded beyond the application log
	AuditLog *auditlog.Log // the access log, for IG queries (/fhir/AuditEvent); nil disables them
	Logger   *slog.Logger
	BaseURL  string // public base of the FHIR API, e.g. https://carex.example.nhs.uk/fhir; "" derives it from each request
	MaxBody  int64  // bytes; default 8 MiB
	// MaxEntries caps a transaction's or batch's entries (default 5,000):
	// a transaction holds the one writer while it commits, about 45 µs an
	// entry, and other organisations' writes wait (review 118b: 83,883
	// entries held them 4 s).
	MaxEntries int
	Dev        bool // development mode: dev tokens accepted
	Version    string
	// TrustProxy: the client address in the access log is taken from
	// X-Forwarded-For as set by a reverse proxy on a private or loopback
	// address; otherwise it is the connection's peer, since a client could
	// write any address into that header.
	TrustProxy bool
}

// Server serves the FHIR API.
type Server struct {
	cfg     Config
	store   store.Store
	policy  Policy
	rec     Recorder
	intents *intentIDs
	log     *slog.Logger
	e       *echo.Echo
	metrics *metrics
	// refused: "METHOD path" of the routes that only answer 405 (PATCH on
	// a resource, writes to the access log): not offered in Allow.
	refused map[string]bool
	started time.Time
	// logProblem: why the access log did not verify when carex serve
	// checked it after starting (SetLogProblem); IG's searches and
	// reports say so.
	logProblem atomic.Pointer[string]
}

// SetLogProblem records that the access log does not verify (problem says
// where, as carex audit verify does): IG's AuditEvent searches and reports
// carry it from then on, since what they list may not be what was logged.
func (s *Server) SetLogProblem(problem string) { s.logProblem.Store(&problem) }

// logWarning is what IG's answers say of a log that did not verify, or "".
func (s *Server) logWarning() string {
	p := s.logProblem.Load()
	if p == nil {
		return ""
	}
	return "the access log does not verify (" + *p + "): entries listed may have been changed or removed since they were logged; run carex audit verify on the server's database"
}

// New builds a Server; Handler serves it.
func New(cfg Config) *Server {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 5000
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Policy == nil {
		cfg.Policy = NewConsentPolicy(consent.DefaultPolicy(), cfg.Store)
	}
	if cfg.Recorder == nil {
		cfg.Recorder = nopRecorder{}
	}
	s := &Server{cfg: cfg, store: cfg.Store, policy: cfg.Policy, rec: cfg.Recorder, log: cfg.Logger, started: time.Now(), intents: newIntentIDs()}
	s.metrics = newMetrics()
	// What kind of server this is, for monitoring to alert on: one that
	// takes development tokens, or one with privacy off, must never hold
	// real data.
	_, privacyOff := s.policy.(OpenPolicy)
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "carex_dev_mode", Help: "1 when the server accepts development tokens (--dev): never with real data."},
			func() float64 { return boolGauge(cfg.Dev) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "carex_privacy_off", Help: "1 when consent filtering and the access log are off (--bench-no-privacy): a benchmark baseline only."},
			func() float64 { return boolGauge(privacyOff) }))
	if cfg.AuditLog != nil {
		registerStats(s.metrics.reg, cfg.AuditLog.Stats, auditMetrics)
	}
	if w, ok := cfg.Store.(store.WriterStatter); ok {
		registerStats(s.metrics.reg, w.WriterStats, writerMetrics)
	}
	s.routes()
	return s
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.e }

func (s *Server) routes() {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = echo.ExtractIPDirect()
	if s.cfg.TrustProxy {
		e.IPExtractor = forwardedIP
	}
	// /fhir/ and /fhir/Patient/ work like /fhir and /fhir/Patient.
	e.Pre(middleware.RemoveTrailingSlash())
	// access sits outside auth and the body checks so that refused
	// requests are logged too.
	// A handler that panics is answered 500 and logged like any failure
	// (net/http would drop the connection and the entry with it).
	recoverPanic := middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll:     true, // the panicking goroutine's stack only
		DisableErrorHandler: true, // returned to the access stage, which answers and logs it
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			// The panic's value may quote request data: the stack only.
			s.log.Error("handler panicked: answered 500", "request_id", requestID(c), "stack", string(stack))
			return errPanic // a 500 like any unknown error
		},
	})
	// The token is checked before the body and the format, so that a
	// request refused for those (413, 415, 406) is logged with its user,
	// and one without a valid token is a 401 whatever its body.
	e.Use(s.requestContext, s.metrics.middleware, s.access, recoverPanic)
	e.Use(auth.Middleware(s.cfg.Verifier, func(c echo.Context) bool {
		switch c.Path() {
		case "/healthz", "/readyz", "/fhir/metadata":
			return true
		}
		return false
	}), s.bodyLimit, s.acceptable, s.options)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsPage)

	f := e.Group("/fhir")
	f.GET("/metadata", s.capabilities)
	// Without these, POST and PUT fell through to /:type as a "metadata"
	// resource type (404).
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		f.Add(m, "/metadata", s.metadataNotAllowed)
	}
	f.GET("", s.baseRoot)
	f.POST("", s.bundle)
	f.GET("/_history", s.historySystem)
	f.GET("/:type", s.search)
	f.POST("/:type/_search", s.search)
	f.POST("/:type", s.create)
	f.PUT("/:type", s.conditionalUpdate)
	f.GET("/:type/_history", s.historyType)
	f.GET("/:type/:id", s.read)
	f.PUT("/:type/:id", s.update)
	f.DELETE("/:type/:id", s.delete)
	f.GET("/:type/:id/_history", s.historyInstance)
	f.GET("/:type/:id/_history/:vid", s.vread)
	f.GET("/Patient/:id/$everything", s.everything)
	f.POST("/Patient/:id/$everything", s.everythingPost)
	f.GET("/Patient/:id/$explain", s.explain)
	s.auditRoutes(f)
	for _, m := range []string{http.MethodPatch} {
		f.Add(m, "/:type/:id", s.methodNotAllowed)
	}
	// Every GET route answers HEAD too, exactly as the GET would: the same
	// handler, so the same status and headers (access.send leaves out the
	// body) and the same access log entry. Echo maps no HEAD to GET itself.
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet {
			e.Add(http.MethodHead, r.Path, s.head)
		}
	}
	refusers := map[string]bool{handlerName(s.methodNotAllowed): true, handlerName(s.auditWrite): true, handlerName(s.metadataNotAllowed): true}
	s.refused = map[string]bool{}
	for _, r := range e.Routes() {
		if refusers[r.Name] {
			s.refused[r.Method+" "+r.Path] = true
		}
	}
	s.e = e
}

// forwardedIP is the client address behind a trusted proxy: the last in
// X-Forwarded-For, which the proxy appended (what comes before it the
// client wrote), when the connection comes from a private or loopback
// address; otherwise the connection's peer. Echo's own extractor took any
// private address for a proxy and went on leftwards, so a client on a
// private network had the address it wrote logged.
func forwardedIP(r *http.Request) string {
	direct := echo.ExtractIPDirect()(r)
	peer := net.ParseIP(direct)
	if peer == nil || !(peer.IsLoopback() || peer.IsPrivate() || peer.IsLinkLocalUnicast()) {
		return direct
	}
	xff := r.Header.Values(echo.HeaderXForwardedFor)
	if len(xff) == 0 {
		return direct
	}
	all := strings.Split(strings.Join(xff, ","), ",")
	last := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(all[len(all)-1]), "["), "]")
	if ip := net.ParseIP(last); ip != nil {
		return ip.String()
	}
	return direct
}

// head answers a HEAD with the handler of the GET route of the same path.
func (s *Server) head(c echo.Context) error {
	s.e.Router().Find(http.MethodGet, echo.GetPath(c.Request()), c)
	return c.Handler()(c)
}

// handlerName is the name echo gives a route's handler (echo.Route.Name).
func handlerName(h echo.HandlerFunc) string {
	return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name()
}

// allowed is the Allow header of a request the router matched by path
// but not by method (a 405 or an OPTIONS): the router's list without the
// methods the path refuses with a 405 of its own, such as PATCH.
func (s *Server) allowed(c echo.Context) string {
	allow, _ := c.Get(echo.ContextKeyHeaderAllow).(string)
	if allow == "" {
		return ""
	}
	var keep []string
	for _, m := range strings.Split(allow, ",") {
		if m = strings.TrimSpace(m); m != "" && !s.refused[m+" "+c.Path()] {
			keep = append(keep, m)
		}
	}
	return strings.Join(keep, ", ")
}

func (s *Server) methodNotAllowed(c echo.Context) error {
	return &notAllowed{c.Request().Method + " is not supported on a resource: use PUT to update it", "GET, HEAD, PUT, DELETE"}
}

func (s *Server) metadataNotAllowed(c echo.Context) error {
	return &notAllowed{c.Request().Method + " is not supported on the CapabilityStatement: read it with GET /fhir/metadata", "OPTIONS, GET, HEAD"}
}

// refusedMethod: the router matched the path but not the method (echo's
// 405 handler, which it gives the Allow list), or the route only answers
// 405. Such a request is answered 405 whatever its body or media type.
func (s *Server) refusedMethod(c echo.Context) bool {
	if allow, _ := c.Get(echo.ContextKeyHeaderAllow).(string); allow != "" {
		return true
	}
	return s.refused[c.Request().Method+" "+c.Path()]
}

func (s *Server) baseRoot(c echo.Context) error {
	return echo.NewHTTPError(http.StatusBadRequest, "GET on the base URL is not a search: use GET /fhir/{type}?… or GET /fhir/metadata")
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database not reachable"})
	}
	if s.cfg.AuditLog != nil && s.cfg.AuditLog.Err() != nil {
		// Every request would be refused (each waits for its entry):
		// take this server out of service until it is restarted.
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the access log cannot be written: restart carex"})
	}
	if s.cfg.AuditLog != nil && s.cfg.AuditLog.Closed() {
		// Stopping: every request is refused (review 61f: a server past
		// its shutdown's deadline still said ready).
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the access log is closed: carex is stopping"})
	}
	if s.cfg.AuditLog != nil && s.cfg.AuditLog.Failing() != nil {
		// Its last writes failed (a full disk): out of service for a while,
		// then a request tries again.
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the access log's last writes failed (is the disk full?): see the application log"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// requestContext gives every request an id (kept from X-Request-Id when the
// caller sent a sane one) and an exchange record for the access log.
func (s *Server) requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		// A batch entry's id is the batch's and the entry's index, made
		// by subRequest ("<id>.3"): kept, though it may pass 64 characters.
		// A client's id of that form is not kept: IG's alerts read such
		// an entry as a batch's (review 32c: "x.1" sent first kept the
		// break-glass of the client's next batch "x" out of every alert).
		sub, _ := c.Request().Context().Value(subRequestKey{}).(bool)
		if !(sub && batchEntryID(id)) && (!saneRequestID(id) || !sub && batchEntryID(id)) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		x := &Exchange{RequestID: id, Time: time.Now().UTC(), Client: c.RealIP(), Method: c.Request().Method, Path: c.Request().URL.Path,
			// here, not in begin alone: a request refused before its
			// handler (406, 415, 413, 405, 401) is logged with the
			// break-glass it asked for, and is IG's alert (review 21c)
			BreakGlass: strings.TrimSpace(c.Request().Header.Get("X-Break-Glass")), base: s.base(c)}
		c.Set(exchangeKey, x)
		return next(c)
	}
}

var errPanic = errors.New("handler panicked")

// options answers OPTIONS with the methods the path allows (204, Allow)
// through the normal reply, so that it is logged like any other request:
// echo's own OPTIONS handler writes straight to the client. Echo's 405
// (a method the path has no route for) takes the same Allow.
func (s *Server) options(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		allow := s.allowed(c)
		if allow != "" {
			c.Set(echo.ContextKeyHeaderAllow, allow)
		}
		if c.Request().Method != http.MethodOptions || allow == "" {
			return next(c)
		}
		if x := exchangeOf(c); x != nil {
			x.Operation = "options"
			if x.Type == "" {
				// Named as a 405 on the path is: OPTIONS Patient/margaret
				// with X-Break-Glass was an alert naming no one (review 31c).
				pathNames(c, x)
			}
		}
		h := http.Header{}
		h.Set("Allow", allow)
		return respond(c, http.StatusNoContent, nil, h)
	}
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// batchEntryID: id is a batch's request id, a dot and an entry's index.
func batchEntryID(id string) bool {
	i := strings.LastIndexByte(id, '.')
	if i < 0 || i == len(id)-1 || !saneRequestID(id[:i]) {
		return false
	}
	for _, r := range id[i+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string {
	if x := exchangeOf(c); x != nil {
		return x.RequestID
	}
	return ""
}

// bodyLimit caps bodies and checks the media type of writes.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBody {
			return tooLarge(s.cfg.MaxBody)
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBody)
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			if s.refusedMethod(c) {
				return next(c) // (a 405 whatever the body: review 119a)
			}
			if ce := strings.TrimSpace(r.Header.Get(echo.HeaderContentEncoding)); ce != "" && !strings.EqualFold(ce, "identity") {
				// (review 118b: a body said to be gzip or br was read as
				// it came and stored)
				return fmtErr(ErrMediaType, "Content-Encoding %q: carex reads bodies as sent; send it uncompressed", ce)
			}
			if strings.HasSuffix(r.URL.Path, "/_search") {
				return next(c)
			}
			parts := strings.Split(r.Header.Get(echo.HeaderContentType), ";")
			ct := strings.ToLower(strings.TrimSpace(parts[0]))
			if ct != "application/fhir+json" && ct != "application/json" {
				return fmtErr(ErrMediaType, "Content-Type %q: send application/fhir+json", ct)
			}
			if cs := mediaParam(parts[1:], "charset"); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
				// (review 118b: a body declared Latin-1 was stored as
				// though UTF-8, "Zoë" as the bytes of "ZoÃ«")
				return fmtErr(ErrMediaType, "Content-Type charset %q: FHIR JSON is UTF-8; send it as charset=utf-8, or leave charset out", cs)
			}
			if otherFHIRVersion(parts[1:]) {
				// (review 88b: a body declared STU3 was stored as R4)
				return fmtErr(ErrMediaType, "Content-Type asks for another FHIR version: carex stores FHIR R4 only (fhirVersion=4.0, or leave it out)")
			}
		}
		return next(c)
	}
}

// reportRoutes are the IG reports, which also come as text or HTML
// (_format=text|html, or an Accept of text/plain or text/html).
var reportRoutes = map[string]bool{
	"/fhir/AuditEvent/$who-accessed": true, "/fhir/AuditEvent/$user-activity": true,
	"/fhir/AuditEvent/$break-glass": true, "/fhir/AuditEvent/$alerts": true,
}

// queryReadable reports whether url.ParseQuery reads q whole: it refuses
// exactly a ';' and a '%' not followed by two hex digits. Checked on every
// request without building the map echo builds again for the handler.
func queryReadable(q string) bool {
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case ';':
			return false
		case '%':
			if i+2 >= len(q) || !isHexDigit(q[i+1]) || !isHexDigit(q[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// acceptable refuses with 406 (an OperationOutcome in JSON) a request for
// a format carex does not produce: a _format other than JSON, or an Accept
// header none of whose media ranges admits JSON. carex answered such a
// request (_format=xml, Accept: application/fhir+xml) with JSON and 200.
// _format wins over Accept, as FHIR has it; no Accept, or */*, is JSON.
func (s *Server) acceptable(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !strings.HasPrefix(r.URL.Path, "/fhir") {
			return next(c)
		}
		// A pair Go cannot read (a '%' without two hex digits after it, a
		// ';') was dropped without a word: the search answered as if it
		// had not been asked (review 16e). The value is not quoted.
		if !queryReadable(r.URL.RawQuery) {
			return fmtErr(ErrBadRequest, "the query string cannot be read: a '%%' not followed by two hex digits, or a ';' (FHIR separates parameters with '&'); percent-encode such characters in values (%%25, %%3B)")
		}
		report := reportRoutes[c.Path()]
		if fs, ok := c.QueryParams()["_format"]; ok {
			for _, f := range fs {
				// A + in a query string is a space: _format=application/fhir+json.
				// (spaces as + in the media type alone: review 88b, "; fhirVersion=3.0"
				// was read as "+fhirVersion")
				parts := strings.Split(f, ";")
				mt := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(parts[0]), " ", "+"))
				if mt != "" && !jsonFormat(mt) && !(report && textFormat(mt)) || otherFHIRVersion(parts[1:]) {
					if report { // review 19b: it said JSON only, hiding the printable copies
						return fmtErr(ErrNotAcceptable, "_format=%q: a report comes as JSON (_format=json), or printable as _format=text or _format=html", f)
					}
					return fmtErr(ErrNotAcceptable, "_format=%q: carex answers in FHIR JSON only (_format=json or application/fhir+json)", f)
				}
			}
			return next(c)
		}
		accept := strings.TrimSpace(strings.Join(r.Header.Values(echo.HeaderAccept), ","))
		if accept == "" {
			return next(c)
		}
		for _, rng := range strings.Split(accept, ",") {
			parts := strings.Split(rng, ";")
			mt := strings.ToLower(strings.TrimSpace(parts[0]))
			if mt == "" || zeroQ(parts[1:]) || otherFHIRVersion(parts[1:]) {
				continue
			}
			if mt == "*/*" || mt == "application/*" || jsonFormat(mt) || report && (mt == "text/*" || textFormat(mt)) {
				return next(c)
			}
		}
		if report {
			return fmtErr(ErrNotAcceptable, "Accept %q: a report comes as JSON (application/json), or printable as text/plain or text/html (or _format=text, _format=html)", boundLogged(accept))
		}
		return fmtErr(ErrNotAcceptable, "Accept %q: carex answers in FHIR JSON only (application/fhir+json)", boundLogged(accept))
	}
}

// jsonFormat: a _format or Accept media type that is FHIR JSON.
func jsonFormat(mt string) bool {
	switch mt {
	case "json", "application/json", "application/fhir+json", "application/json+fhir":
		return true
	}
	return false
}

// textFormat: a report's printable formats.
func textFormat(mt string) bool {
	switch mt {
	case "text", "text/plain", "html", "text/html":
		return true
	}
	return false
}

// otherFHIRVersion: a media type's parameters ask for a FHIR version
// other than R4 (fhirVersion=4.0, or 4.0.1), which carex does not serve
// (review 82d: Accept: application/fhir+json; fhirVersion=3.0 was
// answered in R4 with 200).
func otherFHIRVersion(params []string) bool {
	v := mediaParam(params, "fhirVersion")
	return v != "" && v != "4.0" && !strings.HasPrefix(v, "4.0.")
}

// mediaParam is the value of a media type's parameter name, unquoted; ""
// when not given.
func mediaParam(params []string, name string) string {
	for _, p := range params {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// zeroQ: a media range's parameters say q=0 (not acceptable).
func zeroQ(params []string) bool {
	for _, p := range params {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
				return true
			}
		}
	}
	return false
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
