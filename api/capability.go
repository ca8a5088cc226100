package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
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
		Name          string `json:"name"`
		Type          string `json:"type"`
		Documentation string `json:"documentation,omitempty"`
	}
	type interaction struct {
		Code string `json:"code"`
	}
	type resource struct {
		Type              string        `json:"type"`
		Documentation     string        `json:"documentation,omitempty"`
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
	revIncludes := revIncludes()
	var resources []resource
	for _, t := range fhir.ResourceTypes() {
		if t == "AuditEvent" {
			// The access log (auditevent.go), not a stored type: read and
			// search by IG officers only, no writes (405), no history (400).
			r := resource{Type: t, Interaction: []interaction{{"read"}, {"search-type"}}, Versioning: "no-version",
				ConditionalDelete: "not-supported",
				Documentation: "The access log, one entry per request, written by carex itself: read-only (writes are 405), " +
					"without history (400), for information governance officers only (403 for anyone else). " +
					"Searches are paged with _count (up to 1000) and _offset, or _before, and sorted newest first."}
			for _, sp := range auditSearchParams {
				r.SearchParam = append(r.SearchParam, param{sp[0], sp[1], sp[2]})
			}
			r.Operation = operationsFor(t)
			resources = append(resources, r)
			continue
		}
		r := resource{Type: t, Interaction: inter, Versioning: "versioned-update", ReadHistory: true, UpdateCreate: true,
			ConditionalCreate: true, ConditionalUpdate: true, ConditionalDelete: "not-supported", SearchRevInclude: revIncludes[t]}
		if t == "Subscription" {
			// carex sends no notifications (review 82d): one stored by an
			// earlier release may be read and deleted, none written.
			r.Interaction = []interaction{{"read"}, {"vread"}, {"delete"}, {"history-instance"}, {"history-type"}, {"search-type"}}
			r.UpdateCreate, r.ConditionalCreate, r.ConditionalUpdate = false, false, false
			r.Documentation = "carex sends no notifications: creates and updates are 405. Poll with _lastUpdated, or $everything's _since."
		}
		defs := search.Params(t)
		names := make([]string, 0, len(defs))
		for n := range defs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := defs[n]
			r.SearchParam = append(r.SearchParam, param{Name: n, Type: paramTypeNames[d.Type], Documentation: consentParamDoc(t, n, d)})
			if d.Type == search.Reference {
				r.SearchInclude = append(r.SearchInclude, t+":"+n)
			}
		}
		r.Operation = operationsFor(t)
		resources = append(resources, r)
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		// carex's operations are defined here, as what they take: not
		// HL7's definitions, whose parameters they do not all take.
		"contained": operationDefinitions(),
		"status":    "active",
		"date":      s.started.UTC().Format(time.RFC3339),
		"publisher": "carex",
		"kind":      "instance",
		"software":  map[string]any{"name": "carex", "version": s.cfg.Version},
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
	// Written here, not by the access stage (it is not logged): the
	// headers every answer under /fhir carries (review 19b: it had none).
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, fhirJSON, body)
}

// consentParamDoc is what a Consent search parameter takes, where it is
// less than FHIR's (consentCodeParam; review 72c: category, _tag, action
// and purpose were claimed with no word of the 400 they answer).
func consentParamDoc(typ, name string, d search.ParamDef) string {
	switch {
	case typ != "Consent":
		return ""
	case consentCodeParams[name]:
		return "Searchable and sortable only by a client system (role system) for its own organisation's Consents; " +
			"400 for anyone else, whatever the value: a Consent's clinical codes are masked for readers outside its recording organisation."
	case d.Type == search.Token && !consentPlainTokens[name]:
		return "For readers outside a Consent's recording organisation: a system that is not a clinical code system, or a code " +
			"with no digit, and no modifier; no sort by it (400 otherwise: a Consent's clinical codes are masked for them)."
	}
	return ""
}

// auditSearchParams are the search parameters of the access log (name,
// type, documentation), as auditQuery reads them.
var auditSearchParams = [][3]string{
	{"patient", "reference", "the person whose record was accessed: ID, Patient/ID, or her NHS number"},
	{"agent", "token", "the user: their token's sub (or Practitioner/SUB); Organization/CODE for the organisation's users"},
	{"date", "date", "when: ge, gt, le, lt (and eq) on a date or dateTime; repeat for a period"},
	{"outcome", "token", "0 success, 4 minor failure (4xx), 8 serious failure (503/504), 12 major failure (other 5xx)"},
	{"_before", "number", "the entries before this sequence number: the paging cursor the next links carry"},
}

// revIncludes lists, for each type, the _revinclude values a search of it
// takes: every reference parameter of another stored type that may refer
// to it (search.parseInclude's rule). The access log is not among them:
// its entries are not stored resources.
// Built once: /fhir/metadata is public and asked for often, and neither
// changes while carex runs.
var revIncludes = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	all := fhir.ResourceTypes()
	for _, src := range search.ResourceTypes() {
		if src == "AuditEvent" {
			continue
		}
		defs := search.Params(src)
		names := make([]string, 0, len(defs))
		for n, d := range defs {
			if d.Type == search.Reference {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			targets := defs[n].Targets
			if len(targets) == 0 {
				targets = all
			}
			for _, t := range targets {
				if t != "AuditEvent" {
					out[t] = append(out[t], src+":"+n)
				}
			}
		}
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
})

// operation is a CapabilityStatement resource's operation entry.
type operation struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// operationsFor are the entries of type t's carex operations, each
// pointing at its contained OperationDefinition.
func operationsFor(t string) []operation {
	var out []operation
	for _, op := range carexOperations {
		if op.resource == t {
			out = append(out, operation{op.code, "#" + op.id})
		}
	}
	return out
}

// opParam is one input parameter of a carex operation.
type opParam struct {
	name, typ string
	min       int
	max       string
	doc       string
}

// opDef is an operation carex answers, advertised in the
// CapabilityStatement with an OperationDefinition contained in it.
type opDef struct {
	id, code, resource string
	instance           bool
	description        string
	params             []opParam
}

var reportDate = opParam{"date", "date", 0, "*", "when: ge, gt, le, lt on a date or dateTime; repeat for a period"}

// carexOperations are the operations carex answers (server.go, ig.go).
var carexOperations = []opDef{
	{id: "carex-Patient-everything", code: "everything", resource: "Patient", instance: true,
		description: "The person's record: the current resources of their compartment that the sharing decision releases to the user, " +
			"as a searchset Bundle, paged. Invoked by GET, or by POST with a Parameters body of the same parameters. " +
			"start and end filter by care date (an item's clinical date, the start of its first clinical date element); items with no clinical date, " +
			"and the Patient, are always in their range. _since filters by meta.lastUpdated; the Patient is always included. " +
			"Items the filters leave out are not counted as withheld.",
		params: []opParam{
			{"_count", "integer", 0, "1", "page size (default 500)"},
			{"_offset", "integer", 0, "1", "the page's offset, as in the paging links"},
			{"_type", "string", 0, "1", "only these resource types, comma-separated"},
			{"start", "date", 0, "1", "care dates from this day (YYYY-MM-DD, or the first day of a month YYYY-MM or year YYYY), a day in England (Europe/London); items with no clinical date are kept"},
			{"end", "date", 0, "1", "care dates up to the end of this day (YYYY-MM-DD, or the last day of a month YYYY-MM or year YYYY), a day in England (Europe/London); items with no clinical date are kept"},
			{"_since", "instant", 0, "1", "only items whose meta.lastUpdated is at or after this instant (with seconds and a time zone); the Patient is always included"},
		}},
	{id: "carex-Patient-explain", code: "explain", resource: "Patient", instance: true,
		description: "For information governance officers: what a user would see of this person's record and why " +
			"(the gate decision and, per item, released or withheld with the reasons), as Parameters; items are listed by type, id, class and source only. Invoked by GET.",
		params: []opParam{
			{"role", "string", 1, "1", "the user's role"},
			{"org", "string", 1, "1", "the user's organisation code"},
			{"sector", "string", 1, "1", "the user's sector (nhs or council)"},
			{"sub", "string", 0, "1", "the user's token sub (a break-glass grant they hold counts)"},
			{"name", "string", 0, "1", "the user's name"},
			{"purpose", "string", 0, "1", "purpose of use"},
			{"break-glass", "string", 0, "1", "a break-glass reason"},
		}},
	{id: "carex-AuditEvent-who-accessed", code: "who-accessed", resource: "AuditEvent",
		description: "For information governance officers: who accessed this person's record, when, why and what was released " +
			"(JSON, or _format=text or html for a printable copy); not paged, up to 10,000 entries. Invoked by GET.",
		params: []opParam{{"patient", "string", 1, "1", "ID or Patient/ID"}, reportDate}},
	{id: "carex-AuditEvent-user-activity", code: "user-activity", resource: "AuditEvent",
		description: "For information governance officers: one user's requests, with a summary (JSON, text or html); not paged. Invoked by GET.",
		params:      []opParam{{"agent", "string", 1, "1", "the user's token sub"}, reportDate}},
	{id: "carex-AuditEvent-break-glass", code: "break-glass", resource: "AuditEvent",
		description: "For information governance officers: break-glass accesses, with their reasons (JSON, text or html); not paged. Invoked by GET.",
		params:      []opParam{{"agent", "string", 0, "1", "only this user's (token sub)"}, {"patient", "string", 0, "1", "only this person's (ID or Patient/ID)"}, reportDate}},
	{id: "carex-AuditEvent-alerts", code: "alerts", resource: "AuditEvent",
		description: "For information governance officers: access patterns over the sharing policy's thresholds (JSON, text or html); the last 7 days unless date is given. Invoked by GET.",
		params:      []opParam{reportDate}},
}

// operationDefinitions are carexOperations as R4 OperationDefinitions.
var operationDefinitions = sync.OnceValue(func() []any {
	var out []any
	for _, op := range carexOperations {
		var params []any
		for _, p := range op.params {
			params = append(params, map[string]any{"name": p.name, "use": "in", "min": p.min, "max": p.max, "type": p.typ, "documentation": p.doc})
		}
		out = append(out, map[string]any{
			"resourceType": "OperationDefinition",
			"id":           op.id,
			"name":         strings.ReplaceAll(op.id, "-", "_"),
			"status":       "active",
			"kind":         "operation",
			"code":         op.code,
			"resource":     []string{op.resource},
			"system":       false,
			"type":         !op.instance,
			"instance":     op.instance,
			"affectsState": false,
			"description":  op.description,
			"parameter":    params,
		})
	}
	return out
})

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
