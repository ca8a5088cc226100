package api

import (
	"bytes"
	"strings"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store"
)

// masksConsentCodes reports whether Consent v is released to this user
// with its clinical codes masked: to everyone but its recording
// organisation (IG officers too, who see no clinical data: review 54c). A
// provision's code names the data a person's choice is about, which may be
// withheld from the reader by it or by another of their choices (review 51c: "deny 44054006 to the council"
// named the diagnosis to the council's social worker; review 54c: so did a
// permit to the hospital nested in a deny to the council, another
// Consent's permit, and the code written in the Consent's extension or
// category).
func (g *gate) masksConsentCodes(v *store.Version) bool {
	if v.Type != "Consent" || v.Raw == nil || g.user.Org != "" && strings.EqualFold(v.SourceOrg, g.user.Org) || g.ownSystem(v) {
		return false
	}
	return bytes.Contains(v.Raw, []byte(`"code"`)) || bytes.Contains(v.Raw, []byte(`\u`))
}

// maskClinicalCodes replaces, in Consent m, each CodeableConcept holding a
// clinical coding (SNOMED CT, ICD-10, Read, or a concept id with no
// system) and each such Coding with a masked mark, as a masked reference
// is written; its narrative and attachments are left as they are (free
// text is never edited). It reports whether it masked any.
func maskClinicalCodes(m map[string]any) (masked bool) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if clinicalCoding(x) || anyClinical(x["coding"]) {
				clear(x)
				x["extension"] = maskedMark()
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
		return codingShaped(x) && strings.Trim(code, "0123456789") == ""
	}
	return consent.ClinicalSystem(sys)
}
