package api_test

// Review 22b: sensitivity labels (SPEC §5 layer 4) — codes in places or
// forms the labelling on write does not read. SPEC: labels are "derived by
// carex on the way in from configured code lists — by default the four
// national ... SNOMED CT refsets"; labelled data "is released only to its
// source organisation, or where the person has explicitly permitted it".
//
// Setup (seedShared): Jane, registered at A81001, on RCX's care team, with
// RHX and the council as sources. Items written by the GP system A81001;
// the district nurse (RCX), the hospital clinician (RHX) and the social
// worker read them.

import (
	"strings"
	"testing"
)

const r22bHIV = "86406008" // Human immunodeficiency virus infection (default policy: HIV, and STD refset)

func r22bCondition(id, system, code, marker string) string {
	return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/jane"},
	 "code":{"coding":[{"system":"` + system + `","code":"` + code + `"}],"text":"` + marker + `"}}`
}

// TestReview22bSnomedOtherSystemNamesEscapeLabelling: an HIV diagnosis
// coded with SNOMED CT under another of its names — its OID (as CDA-derived
// and GP systems send it), https, or a trailing slash — is not labelled on
// write, so it goes to every organisation with a relationship. The consent
// parser reads those names as SNOMED CT (consent/consent.go snomedNames,
// review 9c), the labelling does not (consent.Policy.Labels compares the
// system exactly).
func TestReview22bSnomedOtherSystemNamesEscapeLabelling(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	sw := e.token("social-worker", "council", "E06000999")
	for _, c := range []struct{ id, system string }{
		{"r22b-hiv-oid", "urn:oid:2.16.840.1.113883.6.96"},
		{"r22b-hiv-slash", "http://snomed.info/sct/"},
		{"r22b-hiv-https", "https://snomed.info/sct"},
	} {
		marker := strings.ToUpper(c.id)
		if r := e.do("PUT", "/fhir/Condition/"+c.id, gp, r22bCondition(c.id, c.system, r22bHIV, marker)); r.status != 201 {
			t.Fatalf("%s: write %d %s", c.id, r.status, r.body)
		}
		if r := e.do("GET", "/fhir/Condition/"+c.id, gp, ""); r.status != 200 {
			t.Fatalf("%s: the source reads its own: %d", c.id, r.status)
		}
		for who, tok := range map[string]string{"district nurse RCX": nurse, "social worker E06000999": sw} {
			if r := e.do("GET", "/fhir/Condition/"+c.id, tok, ""); r.status != 404 {
				t.Errorf("%s (system %s): GET by the %s: %d, want 404 (HIV-labelled, no permit): %.300s", c.id, c.system, who, r.status, r.body)
			}
			if r := e.do("GET", "/fhir/Condition?patient=jane", tok, ""); strings.Contains(r.body, marker) {
				t.Errorf("%s (system %s): search by the %s releases it: %d …%s…", c.id, c.system, who, r.status, around21a(r.body, marker))
			}
		}
	}
}

// TestReview22bLegallyRestrictedUnderOIDReleasedByBreakGlass: an assisted
// fertilisation record (HFEA, legally restricted: never released outside
// its source, break-glass included) coded with SNOMED CT's OID is released
// to a hospital clinician with no relationship who breaks glass, and to
// the related nurse without it.
func TestReview22bLegallyRestrictedUnderOIDReleasedByBreakGlass(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	// 52637005 is in the default policy's HFEA list (code HFEA snomed 52637005).
	body := `{"resourceType":"Procedure","id":"r22b-ivf","status":"completed","subject":{"reference":"Patient/jane"},
	  "code":{"coding":[{"system":"urn:oid:2.16.840.1.113883.6.96","code":"52637005"}],"text":"R22B-IVF-TREATMENT"}}`
	if r := e.do("PUT", "/fhir/Procedure/r22b-ivf", gp, body); r.status != 201 {
		t.Fatalf("write %d %s", r.status, r.body)
	}
	// Premise: under the standard system it is withheld under break-glass.
	std := strings.ReplaceAll(strings.ReplaceAll(body, "urn:oid:2.16.840.1.113883.6.96", "http://snomed.info/sct"), "r22b-ivf", "r22b-ivf-std")
	if r := e.do("PUT", "/fhir/Procedure/r22b-ivf-std", gp, std); r.status != 201 {
		t.Fatalf("write %d %s", r.status, r.body)
	}
	stranger := e.token("hospital-clinician", "nhs", "RZZ")
	r := e.do("GET", "/fhir/Patient/jane/$everything", stranger, "", "X-Break-Glass", "EMERGENCY: unconscious in ED, no history available")
	if r.status != 200 {
		t.Fatalf("break-glass $everything: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, `"r22b-ivf-std"`) {
		t.Fatalf("premise: the standard-coded HFEA procedure is released under break-glass")
	}
	if strings.Contains(r.body, "R22B-IVF-TREATMENT") {
		t.Errorf("break-glass $everything releases the assisted-fertilisation procedure coded with SNOMED's OID: …%s…", around21a(r.body, "R22B-IVF-TREATMENT"))
	}
	if r := e.do("GET", "/fhir/Procedure/r22b-ivf", e.token("gp", "nhs", "RHX"), ""); r.status != 404 {
		t.Errorf("the hospital (a source of Jane's data) reads the HFEA procedure: %d %.300s", r.status, r.body)
	}
}

// TestReview22bSoundCodesAnywhereInTheItemLabel: an HIV code in places
// other than the main code — an Observation component's code and value,
// an extension's valueCodeableConcept, an Encounter's reasonCode, a
// contained Condition inside a CarePlan, a Composition section's entry
// via a contained resource, a SNOMED expression with its term and spaces —
// labels the item, and the nurse gets 404.
func TestReview22bSoundCodesAnywhereInTheItemLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	nurse := e.token("gp", "nhs", "RCX") // a GP role sees every class
	sn := `{"system":"http://snomed.info/sct","code":"86406008"}`
	items := map[string]string{
		"/fhir/Observation/r22b-comp": `{"resourceType":"Observation","id":"r22b-comp","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R22B-MARK"},
		   "component":[{"code":{"coding":[` + sn + `]},"valueString":"x"}]}`,
		"/fhir/Observation/r22b-value": `{"resourceType":"Observation","id":"r22b-value","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"R22B-MARK"},
		   "valueCodeableConcept":{"coding":[` + sn + `]}}`,
		"/fhir/CarePlan/r22b-ext": `{"resourceType":"CarePlan","id":"r22b-ext","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R22B-MARK",
		   "extension":[{"url":"https://example.org/reason","valueCodeableConcept":{"coding":[` + sn + `]}}]}`,
		"/fhir/Encounter/r22b-reason": `{"resourceType":"Encounter","id":"r22b-reason","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},
		   "serviceType":{"text":"R22B-MARK"},"reasonCode":[{"coding":[` + sn + `]}]}`,
		"/fhir/CarePlan/r22b-contained": `{"resourceType":"CarePlan","id":"r22b-contained","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"R22B-MARK",
		   "contained":[{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/jane"},"code":{"coding":[` + sn + `]}}],"addresses":[{"reference":"#c"}]}`,
		"/fhir/Condition/r22b-expr": `{"resourceType":"Condition","id":"r22b-expr","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008 |HIV infection|"}],"text":"R22B-MARK"}}`,
		"/fhir/Condition/r22b-icd":  `{"resourceType":"Condition","id":"r22b-icd","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-uk","code":"b20.1"}],"text":"R22B-MARK"}}`,
	}
	for path, body := range items {
		r := e.do("PUT", path, gp, body)
		if r.status != 201 {
			t.Logf("%s: write refused %d %.200s (not probed)", path, r.status, r.body)
			continue
		}
		if r := e.do("GET", path, nurse, ""); r.status != 404 {
			t.Errorf("%s: the RCX GP reads it: %d %.300s", path, r.status, r.body)
		}
	}
}

// TestReview22bCodeWithLeadingZeroEscapesLabelling: a SNOMED CT code
// written with a leading zero ("086406008"), which an application reading
// the code as a number shows as 86406008, is not labelled.
func TestReview22bCodeWithLeadingZeroEscapesLabelling(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	r := e.do("PUT", "/fhir/Condition/r22b-zero", gp, r22bCondition("r22b-zero", "http://snomed.info/sct", "0"+r22bHIV, "R22B-ZERO"))
	if r.status != 201 {
		t.Skipf("refused on write: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/r22b-zero", e.token("district-nurse", "nhs", "RCX"), ""); r.status != 404 {
		t.Errorf("an HIV code with a leading zero goes to the nurse: %d %.300s", r.status, r.body)
	}
}
