package fhir

import "encoding/json"

type ooIssue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

type operationOutcome struct {
	ResourceType string    `json:"resourceType"`
	Issue        []ooIssue `json:"issue"`
}

// OperationOutcome returns a valid R4 OperationOutcome with one issue.
// severity is fatal|error|warning|information (empty means "error"), code an
// IssueType code such as invalid, structure, required, value, not-found,
// conflict, security, processing, exception (empty means "processing").
// Empty expressions are dropped.
func OperationOutcome(severity, code, diagnostics string, expression ...string) []byte {
	if severity == "" {
		severity = "error"
	}
	if code == "" {
		code = "processing"
	}
	var expr []string
	for _, e := range expression {
		if e != "" {
			expr = append(expr, e)
		}
	}
	b, err := json.Marshal(operationOutcome{
		ResourceType: "OperationOutcome",
		Issue:        []ooIssue{{Severity: severity, Code: code, Diagnostics: diagnostics, Expression: expr}},
	})
	if err != nil { // cannot happen: only strings
		panic(err)
	}
	return b
}
