package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// API-level sentinels; the rest come from fhir, search, store and auth.
var (
	ErrForbidden        = errors.New("forbidden")
	ErrTooLarge         = errors.New("request body too large")
	ErrTooManyEntries   = errors.New("too many entries in one Bundle")
	ErrMediaType        = errors.New("unsupported media type")
	ErrNotSupported     = errors.New("not supported")
	ErrBadRequest       = errors.New("bad request")
	ErrMethodNotAllowed = errors.New("method not allowed")
	ErrNotAcceptable    = errors.New("not acceptable")
	// ErrMaskedWriteBack: an update carries a reference carex masked for
	// the writer; storing it would lose what the reference named.
	ErrMaskedWriteBack = errors.New("masked reference written back")
	// ErrAccessLog: the request's access-log entry could not be made
	// durable, so its response is withheld.
	ErrAccessLog = errors.New("the access log cannot be written")
)

// notAllowed is a 405 with the methods the resource does allow, which
// HTTP asks a 405 to list (the Allow header, RFC 9110 §15.5.6).
type notAllowed struct {
	msg, allow string
}

func (e *notAllowed) Error() string { return e.msg }
func (e *notAllowed) Unwrap() error { return ErrMethodNotAllowed }

// tooLarge is the 413 of a body over limit bytes: the number, which a
// client splitting its bundles needs (review 19b: it was told only of a
// server flag, --max-body).
func tooLarge(limit int64) error {
	return fmt.Errorf("%w: this server takes request bodies of at most %d bytes (its --max-body); split a large bundle into several", ErrTooLarge, limit)
}

// outcome is how an error leaves the server: status, OperationOutcome
// issue code, and text safe to show the caller.
type outcome struct {
	status int
	code   string // OperationOutcome issue type
	text   string
}

// classify maps every error to its HTTP status in one place. Messages of
// errors wrapped by carex say what went wrong and what to do; unknown
// errors are reported as a generic 500 and logged without personal data.
func classify(err error) outcome {
	var ae *auth.AuthError
	var he *echo.HTTPError
	var vb *http.MaxBytesError
	switch {
	case errors.As(err, &ae) || errors.Is(err, auth.ErrUnauthorized):
		return outcome{http.StatusUnauthorized, "login", err.Error()}
	case errors.Is(err, ErrForbidden):
		return outcome{http.StatusForbidden, "forbidden", err.Error()}
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyEntries):
		return outcome{http.StatusRequestEntityTooLarge, "too-costly", err.Error()}
	case errors.As(err, &vb):
		return outcome{http.StatusRequestEntityTooLarge, "too-costly", tooLarge(vb.Limit).Error()}
	case errors.Is(err, ErrMediaType):
		return outcome{http.StatusUnsupportedMediaType, "not-supported", err.Error()}
	case errors.Is(err, ErrMethodNotAllowed):
		return outcome{http.StatusMethodNotAllowed, "not-supported", err.Error()}
	case errors.Is(err, ErrNotAcceptable):
		return outcome{http.StatusNotAcceptable, "not-supported", err.Error()}
	case errors.Is(err, fhir.ErrMalformed), errors.Is(err, fhir.ErrUnknownType), errors.Is(err, ErrBadRequest),
		errors.Is(err, search.ErrUnknownParam), errors.Is(err, search.ErrBadValue):
		return outcome{http.StatusBadRequest, "invalid", err.Error()}
	case errors.Is(err, fhir.ErrInvalid), errors.Is(err, store.ErrInvalid):
		return outcome{http.StatusUnprocessableEntity, "processing", err.Error()}
	case errors.Is(err, ErrNotSupported):
		return outcome{http.StatusNotImplemented, "not-supported", err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return outcome{http.StatusNotFound, "not-found", err.Error()}
	case errors.Is(err, store.ErrGone):
		return outcome{http.StatusGone, "deleted", err.Error()}
	case errors.Is(err, store.ErrVersionConflict):
		return outcome{http.StatusPreconditionFailed, "conflict", err.Error() + ": read the resource again and retry with its current ETag"}
	case errors.Is(err, store.ErrNoMatch):
		return outcome{http.StatusPreconditionFailed, "not-found", err.Error() + ": check the identifier, or create the resource in this transaction (a POST with ifNoneExist) and refer to its fullUrl"}
	case errors.Is(err, store.ErrPrecondition), errors.Is(err, store.ErrUnresolvable):
		return outcome{http.StatusPreconditionFailed, "multiple-matches", err.Error() + ": make the condition more specific"}
	case errors.Is(err, ErrMaskedWriteBack):
		return outcome{http.StatusConflict, "conflict", err.Error()}
	case errors.Is(err, store.ErrExists):
		return outcome{http.StatusConflict, "duplicate", err.Error()}
	case errors.Is(err, ErrAccessLog):
		return outcome{http.StatusInternalServerError, "exception", err.Error()}
	case errors.Is(err, store.ErrUnavailable):
		return outcome{http.StatusServiceUnavailable, "transient", err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return outcome{http.StatusServiceUnavailable, "timeout", "request cancelled or timed out"}
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		code := "processing"
		switch he.Code {
		case http.StatusNotFound:
			code = "not-found"
		case http.StatusMethodNotAllowed:
			code = "not-supported"
		}
		return outcome{he.Code, code, msg}
	}
	return outcome{http.StatusInternalServerError, "exception", "internal error: the server log has the details (request id in X-Request-Id)"}
}

// errorHandler is Echo's HTTPErrorHandler: every error becomes an
// OperationOutcome here and nowhere else.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	o := classify(err)
	o.text = routeText(err, c, o.text)
	if o.status >= 500 && o.status != http.StatusNotImplemented {
		// (501: a capability this server leaves out, such as the access
		// log's reports on a --bench-no-privacy server, is no fault.)
		// Only the innermost cause: the layers above it name what failed,
		// and an id may be an NHS number.
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Request().Method, "route", c.Path(), "err", rootCause(err))
	}
	var ae *auth.AuthError
	if errors.As(err, &ae) {
		c.Response().Header().Set("WWW-Authenticate", ae.WWWAuthenticate())
	}
	var na *notAllowed
	if errors.As(err, &na) {
		c.Response().Header().Set("Allow", na.allow)
	}
	severity := "error"
	if o.status >= 500 {
		severity = "fatal"
	}
	setFailure(c, o.status, o.code)
	if c.Request().Method == http.MethodHead {
		c.NoContent(o.status)
		return
	}
	if werr := c.Blob(o.status, fhirJSON, fhir.OperationOutcome(severity, o.code, o.text)); werr != nil {
		s.log.Debug("write error response", "err", werr)
	}
}

// routeText replaces the router's bare "Not Found" and "Method Not
// Allowed" (a path or operation carex does not serve, a method the path
// does not answer) with what went wrong and what to do (review 19b: the
// OperationOutcome said only "Not Found" for Patient/jane/$summary).
func routeText(err error, c echo.Context, text string) string {
	var he *echo.HTTPError
	if !errors.As(err, &he) || text != http.StatusText(he.Code) {
		return text
	}
	path := c.Request().URL.Path
	if len(path) > 200 {
		path = path[:200] + "…"
	}
	switch he.Code {
	case http.StatusNotFound:
		last := path[strings.LastIndexByte(path, '/')+1:]
		if strings.HasPrefix(last, "$") {
			return fmt.Sprintf("operation %s is not supported on %q: GET /fhir/metadata lists the operations carex supports ($everything and $explain on Patient/{id}; the access-log reports on AuditEvent)", last, path)
		}
		return fmt.Sprintf("%s %q: carex serves no such path; the FHIR API is at /fhir/{type}, /fhir/{type}/{id} and the operations GET /fhir/metadata lists", c.Request().Method, path)
	case http.StatusMethodNotAllowed:
		allow, _ := c.Get(echo.ContextKeyHeaderAllow).(string)
		if allow == "" {
			allow = c.Response().Header().Get("Allow")
		}
		return fmt.Sprintf("%s is not supported on %q: it answers %s (the Allow header)", c.Request().Method, path, allow)
	}
	return text
}

var _ = slog.LevelInfo
