package api

import (
	"bytes"
	"encoding/json"

	"github.com/carex-project/carex/fhir/search"
)

// A restricted person's (confidentiality R) address, telecom and GP are
// not released outside the source organisation: the body is cut
// (redactPerson), and the search parameters on those elements must not
// answer questions about them either.

// redactedParams are Patient's search parameters on the redacted elements.
var redactedParams = map[string]bool{
	"address": true, "address-city": true, "address-country": true, "address-postalcode": true,
	"address-state": true, "address-use": true, "email": true, "phone": true, "telecom": true,
	"general-practitioner": true,
}

// asksRedacted reports whether q matches, sorts or includes by a redacted
// element. Such a search does not see a restricted person's redacted
// Patient at all, silently (counting it as withheld would tell a match
// from a miss): otherwise Patient?_id=x&address-postalcode=LS9 would
// answer yes or no about an address the read redacts.
func asksRedacted(q *search.Query) bool {
	if q.Type == "Patient" {
		for _, c := range q.Clauses {
			if redactedParams[c.Param] {
				return true
			}
		}
		for _, k := range q.Sort {
			if redactedParams[k.Param] {
				return true
			}
		}
	}
	for _, in := range q.Includes {
		if in.SourceType == "Patient" && redactedParams[in.Param] {
			return true
		}
	}
	return false
}

// redactPerson removes from a Patient everything that says where the
// person lives, how to reach them or who their GP is: the elements
// themselves, the narrative (which repeats them, and cannot be edited
// reliably), extensions carrying an address or contact point (birth
// place, for one), and contained resources that only the removed elements
// referred to (a next of kin's organisation, a contained GP).
func redactPerson(m map[string]any) {
	for _, k := range []string{"address", "_address", "telecom", "_telecom", "generalPractitioner", "contact", "text"} {
		delete(m, k)
	}
	for _, k := range []string{"extension", "modifierExtension"} {
		if l, ok := m[k].([]any); ok {
			if kept := dropContactExtensions(l); len(kept) > 0 {
				m[k] = kept
			} else {
				delete(m, k)
			}
		}
	}
	contained, ok := m["contained"].([]any)
	if !ok {
		return
	}
	delete(m, "contained")
	rest, _ := json.Marshal(m)
	var kept []any
	for _, c := range contained {
		cm, _ := c.(map[string]any)
		id, _ := cm["id"].(string)
		if id != "" && bytes.Contains(rest, []byte(`"#`+id+`"`)) {
			kept = append(kept, c)
		}
	}
	if len(kept) > 0 {
		m["contained"] = kept
	}
}

// dropContactExtensions is l without the extensions whose value, or a
// nested extension's value, is an Address or a ContactPoint.
func dropContactExtensions(l []any) []any {
	var kept []any
	for _, e := range l {
		em, _ := e.(map[string]any)
		if em == nil || em["valueAddress"] != nil || em["valueContactPoint"] != nil {
			continue
		}
		if sub, ok := em["extension"].([]any); ok {
			if len(dropContactExtensions(sub)) < len(sub) {
				continue
			}
		}
		kept = append(kept, e)
	}
	return kept
}
