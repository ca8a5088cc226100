package api

import (
	"bytes"
	"maps"
	"strings"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store"
)

// masksConsentCodes reports whether v is released to this user with its
// clinical codes masked: a Consent to everyone but its recording
// organisation's clinical users (IG officers too, who see no clinical
// data, their own organisation's included: reviews 54c, 55a), and any
// item to an audit role (review 56c: a Provenance's reason and activity,
// and a RelatedPerson's extension, went to IG as coded, an HIV diagnosis
// and a termination of pregnancy among them). A
// provision's code names the data a person's choice is about, which may be
// withheld from the reader by it or by another of their choices (review 51c: "deny 44054006 to the council"
// named the diagnosis to the council's social worker; review 54c: so did a
// permit to the hospital nested in a deny to the council, another
// Consent's permit, and the code written in the Consent's extension or
// category).
func (g *gate) masksConsentCodes(v *store.Version) bool {
	// (the role and type first: this runs on every item released, and
	// most are neither an audit role's nor another organisation's Consent)
	if !g.auditOnly() && (v.Type != "Consent" || g.user.Org != "" && strings.EqualFold(v.SourceOrg, g.user.Org)) {
		return false
	}
	return v.Raw != nil && (bytes.Contains(v.Raw, []byte(`"code"`)) || bytes.Contains(v.Raw, []byte(`\u`)) || bytes.Contains(v.Raw, []byte(`"value`)))
}

// auditOnly: the user's role is an oversight role, which sees no clinical
// data.
func (g *gate) auditOnly() bool {
	role := g.cp.Policy.Role(g.user.Role)
	return role != nil && role.Audit
}

// maskClinicalCodes replaces, in m (a Consent, or any item an audit role
// reads), every provision's code, each
// other CodeableConcept holding a clinical coding (SNOMED CT, ICD-10,
// Read, or a concept id with no system) and each such Coding, and each
// extension's value naming a concept, with a masked mark, as a masked
// reference is written; its narrative and attachments are left as they
// are (free text is never edited). It reports whether it masked any.
func maskClinicalCodes(m map[string]any) (masked bool) {
	maskProvisionCodes(m["provision"], &masked)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			// (an identifier under SNOMED CT went out: review 56a)
			if clinicalCoding(x) || anyClinical(x["coding"]) || clinicalIdentifier(x) {
				clear(x)
				x["extension"] = maskedMark()
				masked = true
				return
			}
			if maskConceptValue(x) {
				masked = true
				return
			}
			for k, e := range x {
				if k != "text" && k != "sourceAttachment" && k != "contained" {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(m)
	return masked
}

// maskProvisionCodes masks every code of provision p and of the
// provisions nested in it, whatever its system: the engine compares codes
// of any system (one written without a system matches any), so each names
// what the person's choice is about (review 55a: an ICD-10 code with no
// system, a practice's local code, a concept written with its term and a
// system given only as _system went out to the council the deny named).
func maskProvisionCodes(p any, masked *bool) {
	for _, e := range asList(p) {
		pm, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if codes := asList(pm["code"]); len(codes) > 0 {
			out := make([]any, len(codes))
			for i := range codes {
				out[i] = map[string]any{"extension": maskedMark()}
			}
			pm["code"] = out
			*masked = true
		}
		maskProvisionCodes(pm["provision"], masked)
	}
}

// maskConceptValue masks extension x's value where it names a clinical
// concept (review 55a: a valueCode of a concept id, a valueUri of a
// SNOMED CT concept and a valueIdentifier of a SNOMED CT code went out):
// the value goes, and a masked mark takes its place. A string of digits
// is a concept only as a code or with its term (review 56a: a phone
// number and a case reference, as valueString, went out masked).
func maskConceptValue(x map[string]any) bool {
	if _, ok := x["url"].(string); !ok {
		return false
	}
	for k, v := range x {
		if strings.HasPrefix(k, "value") && namesConcept(k, v) {
			delete(x, k)
			delete(x, "_"+k)
			x["extension"] = maskedMark()
			return true
		}
	}
	return false
}

// namesConcept: value[x] v (named key) is a concept id as a code, one
// with its term, a SNOMED CT concept's URI, or an Identifier under a
// clinical code system.
func namesConcept(key string, v any) bool {
	switch y := v.(type) {
	case string:
		if _, uri := snomedConceptURI(y); uri {
			return true
		}
		return conceptID(y) && (key == "valueCode" || key == "valueId" || strings.Contains(y, "|"))
	case map[string]any:
		return key == "valueIdentifier" && clinicalIdentifier(y)
	}
	return false
}

// clinicalIdentifier: x is an Identifier under a clinical code system.
func clinicalIdentifier(x map[string]any) bool {
	sys, _ := x["system"].(string)
	val, _ := x["value"].(string)
	return val != "" && consent.ClinicalSystem(sys)
}

// conceptID: s is a SNOMED CT concept id (6 to 18 digits), alone or with
// its term ("44054006 |Diabetes|", as GP systems show codes).
func conceptID(s string) bool {
	if i := strings.IndexByte(s, '|'); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	return len(s) >= 6 && len(s) <= 18 && strings.Trim(s, "0123456789") == ""
}

func anyClinical(codings any) bool {
	for _, c := range asList(codings) {
		if cm, ok := c.(map[string]any); ok && clinicalCoding(cm) {
			return true
		}
	}
	return false
}

// clinicalCoding reports whether x is a Coding of a clinical code system.
func clinicalCoding(x map[string]any) bool {
	code, ok := x["code"].(string)
	if !ok || code == "" {
		return false
	}
	sys, hasSys := x["system"].(string)
	if !hasSys {
		shape := x
		if _, ok := x["_system"]; ok {
			// a system given only as _system (an extension, no value) is
			// none: the engine's code then matches any system
			shape = maps.Clone(x)
			delete(shape, "_system")
		}
		return codingShaped(shape) && (strings.Trim(code, "0123456789") == "" || conceptID(code))
	}
	return consent.ClinicalSystem(sys)
}
