package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
)

var paramTypeNames = map[search.ParamType]string{
	search.Token: "token", search.Reference: "reference", search.Date: "date", search.String: "string",
	search.URI: "uri", search.Number: "number", search.Quantity: "quantity",
}

// capabilities states what this server really does: every R4 type is
// stored, each with the search parameters search.Params defines for it.
func (s *Server) capabilities(c echo.Context) error {
	type param struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	type interaction struct {
		Code string `json:"code"`
	}
	type operation struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
	}
	type resource struct {
		Type              string        `json:"type"`
		Interaction       []interaction `json:"interaction"`
		Versioning        string        `json:"versioning"`
		ReadHistory       bool          `json:"readHistory"`
		UpdateCreate      bool          `json:"updateCreate"`
		ConditionalCreate bool          `json:"conditionalCreate"`
		ConditionalUpdate bool          `json:"conditionalUpdate"`
		ConditionalDelete string        `json:"conditionalDelete"`
		SearchInclude     []string      `json:"searchInclude,omitempty"`
		SearchRevInclude  []string      `json:"searchRevInclude,omitempty"`
		SearchParam       []param       `json:"searchParam,omitempty"`
		Operation         []operation   `json:"operation,omitempty"`
	}
	inter := []interaction{{"read"}, {"vread"}, {"update"}, {"delete"}, {"history-instance"}, {"history-type"}, {"create"}, {"search-type"}}
	var resources []resource
	for _, t := range fhir.ResourceTypes() {
		r := resource{Type: t, Interaction: inter, Versioning: "versioned-update", ReadHistory: true, UpdateCreate: true,
			ConditionalCreate: true, ConditionalUpdate: true, ConditionalDelete: "not-supported"}
		defs := search.Params(t)
		names := make([]string, 0, len(defs))
		for n := range defs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := defs[n]
			r.SearchParam = append(r.SearchParam, param{n, paramTypeNames[d.Type]})
			if d.Type == search.Reference {
				r.SearchInclude = append(r.SearchInclude, t+":"+n)
			}
		}
		if t == "Patient" {
			r.Operation = []operation{{"everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything"}}
		}
		resources = append(resources, r)
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         s.started.UTC().Format(time.RFC3339),
		"publisher":    "carex",
		"kind":         "instance",
		"software":     map[string]any{"name": "carex", "version": s.cfg.Version},
		"implementation": map[string]any{
			"description": s.describe(),
			"url":         s.base(c),
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"security": map[string]any{
				"cors":        false,
				"description": "Bearer JWT (RS256, ES256 or EdDSA) with sub, name, org, sector, role and purpose claims; see the README",
				"service": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}}}},
			},
			"resource":    resources,
			"interaction": []interaction{{"transaction"}, {"batch"}, {"history-system"}},
		}},
	}
	body, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, fhirJSON, body)
}

// describe is the CapabilityStatement's implementation.description: it
// says so when the server must never hold real data.
func (s *Server) describe() string {
	d := "carex shared care record exchange"
	if s.cfg.Dev {
		d += " (DEVELOPMENT MODE: development tokens accepted; never use with real data)"
	}
	if _, off := s.policy.(OpenPolicy); off {
		d += " (PRIVACY OFF: no consent filtering and no access log; a benchmark baseline only)"
	}
	return d
}
