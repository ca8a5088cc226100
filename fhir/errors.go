// Package fhir parses and strictly validates FHIR R4 JSON resources without
// ever re-serialising them: the bytes a client sent are the bytes we store.
package fhir

import (
	"errors"
	"strings"
)

var (
	// ErrMalformed: not JSON, not an object, or no resourceType string (HTTP 400).
	ErrMalformed = errors.New("malformed")
	// ErrInvalid: JSON is fine but it is not a valid R4 resource (HTTP 422).
	ErrInvalid = errors.New("invalid resource")
	// ErrUnknownType: resourceType is not an R4 resource type (HTTP 400).
	// Errors wrapping it do not wrap ErrInvalid.
	ErrUnknownType = errors.New("unknown resource type")
)

// ValidationError names the offending element with a FHIRPath-like path
// (e.g. "Patient.identifier[0].value") and wraps ErrInvalid.
type ValidationError struct {
	Path string
	Msg  string
	// Unknown: for an unknown element, the end of Path that names it: the
	// key as written, which may be anything (a name, a date of birth), for
	// a reader that must not repeat data (carex import's messages).
	Unknown string
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// ValidationErrors is what Parse returns for an invalid resource: one or more
// issues, sorted by path. errors.Is(err, ErrInvalid) holds and
// errors.As(err, &*ValidationError) yields the first issue.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	switch len(es) {
	case 0:
		return ErrInvalid.Error()
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the individual issues (each of which unwraps to ErrInvalid).
func (es ValidationErrors) Unwrap() []error {
	if len(es) == 0 {
		return []error{ErrInvalid}
	}
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Expressions returns the paths of all issues (for OperationOutcome.issue.expression).
func (es ValidationErrors) Expressions() []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		if e.Path != "" {
			out = append(out, e.Path)
		}
	}
	return out
}

type wrapErr struct {
	base error
	msg  string
}

func (e *wrapErr) Error() string { return e.base.Error() + ": " + e.msg }
func (e *wrapErr) Unwrap() error { return e.base }

func malformed(msg string) error { return &wrapErr{ErrMalformed, msg} }
