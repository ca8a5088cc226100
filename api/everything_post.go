package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/fhir"
)

// everythingPost is $everything invoked by POST, as FHIR lets any
// operation be: its parameters come in a Parameters body (each a string
// or number value[x]), join the query's, and the GET handler answers, so
// that both are decided, logged and refused alike. start and end take a
// valueDate, _since a valueInstant (or either a valueDateTime or
// valueString holding the same).
//
//	POST /fhir/Patient/{id}/$everything  {"resourceType":"Parameters","parameter":[{"name":"_count","valueInteger":50}]}
func (s *Server) everythingPost(c echo.Context) error {
	if err := everythingParameters(c); err != nil {
		// Named and admitted as the GET would be, so the refusal is
		// logged as an $everything of this person.
		if _, _, aerr := s.begin(c, "everything"); aerr != nil {
			return aerr
		}
		return err
	}
	return s.everything(c)
}

// everythingParameters adds a POST $everything's Parameters body to the
// request's query parameters (c.QueryParams, which the handler reads).
func everythingParameters(c echo.Context) error {
	// readBody, not readAll: no body is no parameters, as for the GET.
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var body struct {
		ResourceType string                       `json:"resourceType"`
		Parameter    []map[string]json.RawMessage `json:"parameter"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return fmtErr(fhir.ErrMalformed, "POST $everything: the body is not a Parameters resource: %v", err)
	}
	if body.ResourceType != "Parameters" {
		return fmtErr(ErrBadRequest, "POST $everything takes a Parameters resource, not %q", body.ResourceType)
	}
	q := c.QueryParams()
	for i, p := range body.Parameter {
		var name string
		if err := json.Unmarshal(p["name"], &name); err != nil || name == "" {
			return fmtErr(ErrBadRequest, "Parameters.parameter[%d]: a name is required", i)
		}
		var value string
		n := 0
		for k, v := range p {
			if !strings.HasPrefix(k, "value") {
				if k != "name" {
					return fmtErr(ErrBadRequest, "Parameters.parameter[%d] (%s): %s is not taken; give a value[x]", i, name, k)
				}
				continue
			}
			n++
			if types, ok := everythingDateParams[name]; ok && !slices.Contains(types, k) {
				return fmtErr(ErrBadRequest, "Parameters.parameter[%d] (%s): %s is not taken; give one of %s", i, name, k, strings.Join(types, ", "))
			}
			var str string
			var num json.Number
			switch {
			case json.Unmarshal(v, &str) == nil:
				value = str
			case json.Unmarshal(v, &num) == nil:
				value = num.String()
			default:
				return fmtErr(ErrBadRequest, "Parameters.parameter[%d] (%s): %s is not a string or number", i, name, k)
			}
		}
		if n != 1 {
			return fmtErr(ErrBadRequest, "Parameters.parameter[%d] (%s): give exactly one value[x]", i, name)
		}
		q.Add(name, value)
	}
	return nil
}
