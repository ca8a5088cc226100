package api

import (
	"strings"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// resourceView is how a read or search sends each released resource when
// the request asks for part of it: _elements keeps the named elements of
// resources of typ (other types, included beside them, go whole), and
// _summary=data drops every resource's narrative. nil: whole resources.
func resourceView(typ string, elements []string, summary string) (func(v *store.Version, body []byte) []byte, error) {
	var keep func(name string) bool
	switch {
	case len(elements) > 0 && summary == "data":
		return nil, fmtErr(search.ErrBadValue, "_elements with _summary=data: use one of them")
	case len(elements) > 0:
		set, err := fhir.Elements(typ, elements)
		if err != nil {
			return nil, fmtErr(search.ErrBadValue, "_elements=%s: %v", strings.Join(elements, ","), err)
		}
		keep = func(name string) bool { return set[name] }
	case summary == "data":
		keep = func(name string) bool { return name != "text" }
	default:
		return nil, nil
	}
	return func(v *store.Version, body []byte) []byte {
		if len(elements) > 0 && v.Type != typ {
			return body
		}
		// Stored JSON was parsed and validated when written, so it scans;
		// were it ever not to, the client gets the resource already
		// released to it, whole.
		if out, err := fhir.Subset(body, keep); err == nil {
			return out
		}
		return body
	}, nil
}

// readView parses the parameters a read accepts: _elements, _summary
// (data or false) and the ignored _format and _pretty. Any other is a 400,
// as in a search, rather than silently ignored.
func readView(typ string, q map[string][]string) (func(v *store.Version, body []byte) []byte, error) {
	var elements []string
	summary := ""
	for k, vals := range q {
		switch {
		case strings.HasPrefix(k, "_format"), strings.HasPrefix(k, "_pretty"):
		case k == "_elements":
			for _, v := range vals {
				elements = append(elements, strings.Split(v, ",")...)
			}
		case k == "_summary":
			for _, v := range vals {
				switch v {
				case "data", "false":
					summary = v
				case "true", "text":
					return nil, fmtErr(search.ErrBadValue, "_summary=%s is not supported: choose the elements with _elements", v)
				default:
					return nil, fmtErr(search.ErrBadValue, "_summary=%q: a read supports data and false", v)
				}
			}
		default:
			return nil, fmtErr(search.ErrUnknownParam, "a read does not support %q (supported: _elements, _summary)", k)
		}
	}
	return resourceView(typ, elements, summary)
}
