package consent

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConsentBase(t *testing.T) {
	runCases(t, []engineCase{
		{name: "no consent: implied consent", user: "hosp", item: med(orgGP), effect: Permit},
		{name: "OPTOUT without provision: nothing shared", user: "hosp", consents: []cs{{"OPTOUT", ""}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "policyRule"},
		{name: "OPTOUT: source org still sees", user: "gp", consents: []cs{{"OPTOUT", ""}}, item: med(orgGP), effect: Permit},
		{name: "OPTOUT with empty root: nothing shared", user: "hosp", consents: []cs{{"OPTOUT", `{}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "deny root without narrowing under OPTIN: opt-out", user: "hosp", consents: []cs{{"OPTIN", `{"type":"deny"}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "OPTIN without provision", user: "hosp", consents: []cs{{"OPTIN", ""}}, item: med(orgGP), effect: Permit},
		{name: "OPTINR alias", user: "hosp", consents: []cs{{"OPTOUTE", ""}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
	})
}

func TestConsentActor(t *testing.T) {
	denyTo := func(actor string) cs { return cs{"OPTIN", `{"type":"deny","actor":[` + actor + `]}`} }
	runCases(t, []engineCase{
		{name: "deny to organisation", user: "hosp", consents: []cs{denyTo(org(orgHosp))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "deny to organisation: others unaffected", user: "nurse", consents: []cs{denyTo(org(orgHosp))}, item: med(orgGP), effect: Permit},
		{name: "deny to organisation: its own data still", user: "hosp", consents: []cs{denyTo(org(orgHosp))}, item: obs(orgHosp), effect: Permit},
		{name: "deny to organisation by ODS identifier", user: "hosp",
			consents: []cs{denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"rxx01"}}}`)},
			item:     med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to organisation by alias reference", user: "hosp", mod: func(u *User) { u.OrgRefs = []string{"Organization/uuid-1"} },
			consents: []cs{denyTo(org("uuid-1"))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to practitioner", user: "hosp",
			consents: []cs{denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Practitioner/u-hosp"}}`)},
			item:     med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to practitioner by SDS id", user: "hosp", mod: func(u *User) { u.Sub = "555123" },
			consents: []cs{denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"555123"}}}`)},
			item:     med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to practitioner: colleague unaffected", user: "hosp", mod: func(u *User) { u.Sub = "u-other" },
			consents: []cs{denyTo(`{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":"Practitioner/u-hosp"}}`)},
			item:     med(orgGP), effect: Permit},
		{name: "deny to sector council", user: "sw", consents: []cs{denyTo(sectorActor("council"))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to sector council: nhs unaffected", user: "hosp", consents: []cs{denyTo(sectorActor("council"))}, item: med(orgGP), effect: Permit},
		{name: "deny to role", user: "nurse", consents: []cs{denyTo(roleActor("district-nurse"))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		// A national RBAC job role the policy maps (SPEC §4: R8014 social
		// worker) names that carex role (review 4c).
		{name: "deny to job role R8014", user: "sw", consents: []cs{denyTo(roleActor("R8014"))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to job role, full national form", user: "sw", consents: []cs{denyTo(roleActor("S8000:G8000:R8014"))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny to job role R8014: other roles unaffected", user: "nurse", consents: []cs{denyTo(roleActor("R8014"))}, item: med(orgGP), effect: Permit},
		{name: "deny to role at one org", user: "nurse", consents: []cs{denyTo(`{"role":{"coding":[{"system":"https://carex.example/role","code":"district-nurse"}]},"reference":{"reference":"Organization/OTHER"}}`)}, item: med(orgGP), effect: Permit},
		{name: "custodian: data recorded at the clinic", user: "hosp", consents: []cs{{"OPTOUT", `{"actor":[` + custodian(orgClinic) + `]}`}}, item: med(orgClinic), effect: Withhold, code: CodeConsentDeny},
		{name: "custodian: other data no opinion", user: "hosp", consents: []cs{{"OPTOUT", `{"actor":[` + custodian(orgClinic) + `]}`}}, item: med(orgGP), effect: Permit},
		{name: "author practitioner", user: "hosp", consents: []cs{{"OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"AUT"}]},"reference":{"reference":"Practitioner/dr-x"}}]}`}},
			item: &Item{Type: "Observation", DataClass: "observations", SourceOrg: orgGP, Author: "Practitioner/dr-x", AuthorKnown: true}, effect: Withhold, code: CodeConsentDeny},
		{name: "several recipients: any", user: "nurse", consents: []cs{denyTo(org(orgHosp) + "," + org(orgNurse))}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
	})
}

func TestConsentConditions(t *testing.T) {
	deny := func(cond string) cs { return cs{"OPTIN", `{"type":"deny",` + cond + `}`} }
	old := &Item{Type: "Condition", ID: "c9", DataClass: "problems", SourceOrg: orgGP, Date: time.Date(2015, 1, 15, 0, 0, 0, 0, time.UTC)}
	undated := &Item{Type: "Condition", ID: "c9", DataClass: "problems", SourceOrg: orgGP}
	span := func(from, to string) *Item {
		start, _, err1 := DateSpan(from)
		_, after, err2 := DateSpan(to)
		if err1 != nil || err2 != nil {
			panic(from + " " + to)
		}
		return &Item{Type: "Condition", ID: "c9", DataClass: "problems", SourceOrg: orgGP, Date: start, DateEnd: after.Add(-time.Millisecond)}
	}
	year2015, jan2015 := span("2015", "2015"), span("2015-01", "2015-01")
	ongoing := span("2018-03-01", "9999-12-31")
	runCases(t, []engineCase{
		// action
		{name: "action access denies reads", user: "hosp", consents: []cs{deny(`"action":[` + action("access") + `]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "action correct only does not affect reads", user: "hosp", consents: []cs{deny(`"action":[` + action("correct") + `]`)}, item: med(orgGP), effect: Permit},
		{name: "root action correct: whole consent ignored for reads", user: "hosp", consents: []cs{{"OPTOUT", `{"action":[` + action("correct") + `]}`}}, item: med(orgGP), effect: Permit},
		{name: "nested action correct does not match reads", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","action":[` + action("correct") + `]}]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision"},
		// purpose
		{name: "purpose matches", user: "hosp", mod: func(u *User) { u.Purpose = "COC" }, consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"COC"}]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "purpose differs", user: "hosp", consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"COC"}]`)}, item: med(orgGP), effect: Permit},
		// a purpose covers those that specialise it (review 46b)
		{name: "deny TREAT covers ETREAT", user: "hosp", mod: func(u *User) { u.Purpose = "ETREAT" }, consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "deny TREAT covers COC", user: "hosp", mod: func(u *User) { u.Purpose = "COC" }, consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "BTG is no purpose served", user: "hosp", mod: func(u *User) { u.Purpose = "BTG" }, consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]`)}, item: med(orgGP), effect: Withhold, code: CodePurposeNotServed},
		{name: "deny ETREAT does not cover TREAT", user: "hosp", consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"ETREAT"}]`)}, item: med(orgGP), effect: Permit},
		{name: "deny ETREAT does not cover COC", user: "hosp", mod: func(u *User) { u.Purpose = "COC" }, consents: []cs{deny(`"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"ETREAT"}]`)}, item: med(orgGP), effect: Permit},
		// securityLabel
		{name: "label deny", user: "hosp", consents: []cs{deny(`"securityLabel":[` + label("PSY") + `]`)}, item: cond(orgHosp+"X", "PSY"), effect: Withhold, code: CodeConsentDeny},
		{name: "label deny other item", user: "hosp", consents: []cs{deny(`"securityLabel":[` + label("PSY") + `]`)}, item: med(orgGP), effect: Permit},
		{name: "label N matches unlabelled", user: "hosp", consents: []cs{deny(`"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		// class
		{name: "class resource type", user: "hosp", consents: []cs{deny(`"class":[` + class("MedicationStatement") + `]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "class resource type other", user: "hosp", consents: []cs{deny(`"class":[` + class("MedicationStatement") + `]`)}, item: obs(orgGP), effect: Permit},
		{name: "class data class", user: "sw", consents: []cs{deny(`"class":[` + class("medications") + `]`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		// code
		{name: "code", user: "hosp", consents: []cs{deny(`"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "44054006"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code other system", user: "hosp", consents: []cs{deny(`"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://loinc.org", "44054006"}}}, effect: Permit},
		// A deny's code matches an item's other codings too ("if this code
		// is found in an instance"); a permit's only its main code.
		{name: "code deny of a reason", user: "hosp", consents: []cs{deny(`"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]`)},
			item: &Item{Type: "MedicationRequest", DataClass: "medications", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "325278007"}}, OtherCodes: []Coding{{"http://snomed.info/sct", "44054006"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code deny of another reason", user: "hosp", consents: []cs{deny(`"code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]`)},
			item: &Item{Type: "MedicationRequest", DataClass: "medications", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "325278007"}}, OtherCodes: []Coding{{"http://snomed.info/sct", "195967001"}}}, effect: Permit},
		{name: "code permit exception ignores a reason", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"permit","code":[{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]}]}`}},
			item: &Item{Type: "MedicationRequest", DataClass: "medications", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "39720311000001101"}}, OtherCodes: []Coding{{"http://snomed.info/sct", "195967001"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code permit exception by main code", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"permit","code":[{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]}]}`}},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "195967001"}}}, effect: Permit},
		{name: "code deny inside a permit of a class", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"permit","class":[` + class("medications") + `],"provision":[{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}]}]}`}},
			item: &Item{Type: "MedicationRequest", DataClass: "medications", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "325278007"}}, OtherCodes: []Coding{{"http://snomed.info/sct", "44054006"}}}, effect: Withhold, code: CodeConsentDeny},
		// ICD-10 codes compare as the labelling compares them: without
		// dots, in any case, the ICD-10 systems as one (review 4c).
		{name: "code ICD-10 without dot", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "F32.1") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10", "F321"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code ICD-10 lower case", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "f321") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10", "F32.1"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code ICD-10 in ICD-10-UK", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "F32.1") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10-uk", "F321"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code ICD-10 without system", user: "hosp", consents: []cs{deny(`"code":[{"coding":[{"code":"F32.1"}]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10-uk", "F321"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code ICD-10 other code", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "F32.1") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10", "F32.2"}}}, effect: Permit},
		// A subcategory covers the codes under it, as a category does
		// (review 81c: a deny of S72.0 left S72.00 shared).
		{name: "code ICD-10 code under it", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "F32.1") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10", "F32.10"}}}, effect: Withhold, code: CodeConsentDeny},
		{name: "code ICD-10 code above it", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "F32.10") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10", "F32.1"}}}, effect: Permit},
		{name: "code ICD-10 not in SNOMED", user: "hosp", consents: []cs{deny(`"code":[{"coding":[` + icd10("icd-10", "F32.1") + `]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "F321"}}}, effect: Permit},
		{name: "code SNOMED stays verbatim", user: "hosp", consents: []cs{deny(`"code":[{"coding":[{"system":"http://snomed.info/sct","code":"F32.1"}]}]`)},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://snomed.info/sct", "F321"}}}, effect: Permit},
		{name: "code ICD-10 permit exception", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"permit","code":[{"coding":[` + icd10("icd-10-uk", "j45") + `]}]}`}},
			item: &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgGP, Codes: []Coding{{"http://hl7.org/fhir/sid/icd-10", "J45"}}}, effect: Permit},
		// period: when the rule is in force
		{name: "period in force", user: "hosp", consents: []cs{deny(`"period":{"start":"2025-01-01","end":"2025-12-31"}`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "period expired", user: "hosp", consents: []cs{deny(`"period":{"end":"2025-05-31"}`)}, item: med(orgGP), effect: Permit},
		{name: "period end day inclusive", user: "hosp", consents: []cs{deny(`"period":{"end":"2025-06-01"}`)}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "period not started", user: "hosp", consents: []cs{deny(`"period":{"start":"2025-07-01"}`)}, item: med(orgGP), effect: Permit},
		{name: "nested period expired: exception lapses", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"period":{"end":"2025-01-01"}}]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		// dataPeriod: which data it covers
		{name: "dataPeriod covers old data", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2015-01-01","end":"2015-02-01"}`)}, item: old, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod leaves recent data", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2015-01-01","end":"2015-02-01"}`)}, item: med(orgGP), effect: Permit},
		{name: "dataPeriod deny covers undated", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2015-01-01","end":"2015-02-01"}`)}, item: undated, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod permit does not cover undated", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01"}}]}`}}, item: undated, effect: Withhold, code: CodeConsentDeny},
		// An item dated to a year, a month or over a period: a deny covers
		// it if the ranges overlap, a permit releases it only if its range
		// lies wholly inside.
		{name: "dataPeriod deny covers a year overlapping it", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2015-06-01","end":"2015-06-30"}`)}, item: year2015, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod deny covers a period overlapping its start", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2015-01-20","end":"2015-06-30"}`)}, item: jan2015, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod deny covers an ongoing period", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2020-01-01","end":"2020-12-31"}`)}, item: ongoing, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod deny leaves a range before it", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2015-02-01","end":"2015-06-30"}`)}, item: jan2015, effect: Permit},
		{name: "dataPeriod deny leaves a range after it", user: "hosp", consents: []cs{deny(`"dataPeriod":{"start":"2014-01-01","end":"2014-12-31"}`)}, item: year2015, effect: Permit},
		{name: "dataPeriod permit releases a range inside it", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01","end":"2015-01-31"}}]}`}}, item: jan2015, effect: Permit},
		{name: "dataPeriod permit holds not a year it overlaps", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","dataPeriod":{"start":"2015-01-01","end":"2015-01-31"}}]}`}}, item: year2015, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod permit holds not an ongoing period", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","dataPeriod":{"start":"2010-01-01","end":"2030-12-31"}}]}`}}, item: ongoing, effect: Withhold, code: CodeConsentDeny},
		{name: "dataPeriod permit open-ended holds an ongoing period", user: "hosp", consents: []cs{{"OPTOUT", `{"provision":[{"type":"permit","dataPeriod":{"start":"2010-01-01"}}]}`}}, item: ongoing, effect: Permit},
		// data
		{name: "data instance", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"instance","reference":{"reference":"Condition/c9"}}]`)}, item: old, effect: Withhold, code: CodeConsentDeny},
		{name: "data instance other", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"instance","reference":{"reference":"Condition/c8"}}]`)}, item: old, effect: Permit},
		{name: "data instance absolute reference", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"instance","reference":{"reference":"https://carex.example/fhir/Condition/c9/_history/2"}}]`)}, item: old, effect: Withhold, code: CodeConsentDeny},
		{name: "data related: referring item", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"related","reference":{"reference":"ServiceRequest/lab1"}}]`)},
			item: &Item{Type: "Observation", ID: "r1", DataClass: "observations", SourceOrg: orgGP, Refs: []string{"ServiceRequest/lab1"}, RefsKnown: true}, effect: Withhold, code: CodeConsentDeny},
		{name: "data instance: referring item not covered", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"instance","reference":{"reference":"ServiceRequest/lab1"}}]`)},
			item: &Item{Type: "Observation", ID: "r1", DataClass: "observations", SourceOrg: orgGP, Refs: []string{"ServiceRequest/lab1"}, RefsKnown: true}, effect: Permit},
		{name: "data authoredby organisation", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"authoredby","reference":{"reference":"Organization/` + orgClinic + `"}}]`)}, item: med(orgClinic), effect: Withhold, code: CodeConsentDeny},
		{name: "data authoredby organisation other", user: "hosp", consents: []cs{deny(`"data":[{"meaning":"authoredby","reference":{"reference":"Organization/` + orgClinic + `"}}]`)}, item: med(orgGP), effect: Permit},
		// AND across elements
		{name: "all elements must match", user: "sw", consents: []cs{deny(`"actor":[` + sectorActor("council") + `],"class":[` + class("medications") + `]`)}, item: &Item{Type: "AllergyIntolerance", DataClass: "allergies", SourceOrg: orgGP}, effect: Permit},
	})
}

// The combining rule: base, scope vs exception root, deepest match, ties,
// supersession.
func TestCombiningRule(t *testing.T) {
	nested := cs{"OPTOUT", `{"provision":[
		{"type":"permit","actor":[` + org(orgHosp) + `],"provision":[
			{"type":"deny","class":[` + class("observations") + `],"provision":[
				{"type":"permit","code":[{"coding":[{"system":"http://loinc.org","code":"2339-0"}]}]}]}]},
		{"type":"permit","class":[` + class("allergies") + `]}]}`}
	glucose := &Item{Type: "Observation", DataClass: "observations", SourceOrg: orgGP, Codes: []Coding{{"http://loinc.org", "2339-0"}}}
	allergy := &Item{Type: "AllergyIntolerance", DataClass: "allergies", SourceOrg: orgGP}
	runCases(t, []engineCase{
		{name: "opt-out applies to others", user: "nurse", consents: []cs{nested}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "depth 1 permit to hospital", user: "hosp", consents: []cs{nested}, item: med(orgGP), effect: Permit},
		{name: "depth 2 deny observations", user: "hosp", consents: []cs{nested}, item: obs(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision.provision[0].provision[0]"},
		{name: "depth 3 permit glucose", user: "hosp", consents: []cs{nested}, item: glucose, effect: Permit},
		{name: "nested under unmatched parent ignored", user: "clinic", consents: []cs{nested}, item: glucose, effect: Withhold, code: CodeConsentDeny, path: "provision"},
		{name: "sibling permit allergies for everyone", user: "nurse", consents: []cs{nested}, item: allergy, effect: Permit},
		{name: "equal depth: deny beats permit", user: "hosp",
			consents: []cs{{"OPTIN", `{"provision":[{"type":"deny","class":[` + class("medications") + `]},{"type":"deny","actor":[` + org(orgHosp) + `]}]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "provision.provision[0]"},
		{name: "exception root: outside it the base", user: "nurse", consents: []cs{{"OPTOUT", `{"type":"permit","actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny, path: "policyRule"},
		{name: "exception root: inside it", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"permit","actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Permit},
		{name: "scope root: outside it no opinion", user: "nurse", consents: []cs{{"OPTOUT", `{"actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Permit},
		{name: "scope root typed like base", user: "hosp", consents: []cs{{"OPTOUT", `{"type":"deny","actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Withhold, code: CodeConsentDeny},
		{name: "scope root typed like base: others no opinion", user: "nurse", consents: []cs{{"OPTOUT", `{"type":"deny","actor":[` + org(orgHosp) + `]}`}}, item: med(orgGP), effect: Permit},
		{name: "root period over: consent not in force", user: "hosp", consents: []cs{{"OPTOUT", `{"period":{"end":"2020-01-01"}}`}}, item: med(orgGP), effect: Permit},
	})
}

func TestSupersession(t *testing.T) {
	older := consAt(t, "old", "2020-01-01", "OPTOUT", "")
	newer := consAt(t, "new", "2024-05-01T10:00:00Z", "OPTIN", `{"type":"deny","class":[`+class("observations")+`]}`)
	inactive := consAt(t, "x", "2025-01-01", "OPTOUT", "")
	inactive.Status = "inactive"
	research, err := ParseConsent([]byte(`{"resourceType":"Consent","id":"r","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"research"}]},"dateTime":"2025-02-01","policyRule":{"coding":[{"code":"whatever"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	otherPatient := consAt(t, "o", "2025-03-01", "OPTOUT", "")
	otherPatient.Patient = "Patient/p2"
	hosp := users()["hosp"]
	for _, order := range [][]*Consent{{older, newer}, {newer, older}, {older, newer, inactive, research, otherPatient}} {
		pp := Prepare(DefaultPolicy(), hosp, patient(order...), now)
		if d := pp.Decide(med(orgGP)); d.Effect != Permit {
			t.Fatalf("newer OPTIN should supersede older OPTOUT: %s", d.Explain())
		}
		if d := pp.Decide(obs(orgGP)); d.Effect != Withhold || d.Reasons[0].ConsentID != "new" {
			t.Fatalf("newer consent's deny: %s", d.Explain())
		}
	}
	// Same dateTime: both count, withhold wins.
	a := consAt(t, "a", "2024-05-01", "OPTIN", `{"type":"deny","class":[`+class("observations")+`]}`)
	b := consAt(t, "b", "2024-05-01", "OPTIN", `{"type":"deny","class":[`+class("medications")+`]}`)
	pp := Prepare(DefaultPolicy(), hosp, patient(a, b), now)
	if d := pp.Decide(med(orgGP)); d.Effect != Withhold || d.Reasons[0].ConsentID != "b" {
		t.Fatalf("tie: %s", d.Explain())
	}
	if d := pp.Decide(obs(orgGP)); d.Effect != Withhold || d.Reasons[0].ConsentID != "a" {
		t.Fatalf("tie: %s", d.Explain())
	}
	if d := pp.Decide(&Item{Type: "AllergyIntolerance", DataClass: "allergies", SourceOrg: orgGP}); d.Effect != Permit {
		t.Fatalf("tie: %s", d.Explain())
	}
	// Supersession is within one recorder: another organisation's newer
	// OPTIN does not lift an opt-out; both count and withhold wins.
	gpOut, hospIn := consAt(t, "gp-out", "2020-01-01", "OPTOUT", ""), consAt(t, "hosp-in", "2024-05-01", "OPTIN", "")
	gpOut.Recorder, hospIn.Recorder = orgGP, "rhx"
	if d := Prepare(DefaultPolicy(), hosp, patient(gpOut, hospIn), now).Decide(med(orgGP)); d.Effect != Withhold || d.Reasons[0].ConsentID != "gp-out" {
		t.Fatalf("another recorder's newer OPTIN: %s", d.Explain())
	}
	gpIn := consAt(t, "gp-in", "2024-05-01", "OPTIN", "")
	gpIn.Recorder = strings.ToLower(orgGP)
	if d := Prepare(DefaultPolicy(), hosp, patient(gpOut, hospIn, gpIn), now).Decide(med(orgGP)); d.Effect != Permit {
		t.Fatalf("the same recorder's newer OPTIN (its code in another case): %s", d.Explain())
	}
	// Nor does the registered GP practice's: an objection is lifted where
	// it was recorded (a GP that could lift others' could lift one made
	// against itself).
	hospOut := consAt(t, "hosp-out", "2020-01-01", "OPTOUT", "")
	hospOut.Recorder = "RHX"
	gpLater := consAt(t, "gp-later", "2024-05-01", "OPTIN", "")
	gpLater.Recorder = orgGP
	if d := Prepare(DefaultPolicy(), hosp, patient(hospOut, gpLater), now).Decide(med(orgGP)); d.Effect != Withhold {
		t.Fatalf("the registered GP's newer OPTIN over another organisation's OPTOUT: %s", d.Explain())
	}
	// A newer Consent out of force (its root period over, or not begun)
	// supersedes nothing: the older one decides again (review 4c: a
	// February-only permission lifted a standing objection for good).
	expired := consAt(t, "e", "2025-01-01", "OPTIN", `{"period":{"start":"2025-01-01","end":"2025-03-01"}}`)
	if d := Prepare(DefaultPolicy(), hosp, patient(older, expired), now).Decide(med(orgGP)); d.Effect != Withhold || d.Reasons[0].ConsentID != "old" {
		t.Fatalf("expired newer: %s", d.Explain())
	}
}

// TestSupersessionOrder: which of one recorder's Consents count (review
// 4c). Each case lists the recorder's Consents (id, dateTime, policyRule,
// provision); the hospital clinician reads a GP medication.
func TestSupersessionOrder(t *testing.T) {
	type c struct{ id, date, rule, prov string }
	feb := `{"period":{"start":"2025-02-01","end":"2025-03-01"}}`
	cases := []struct {
		name     string
		consents []c
		effect   Effect
		by       string // deciding Consent of a withhold
	}{
		{"newer dateTime supersedes", []c{{"out", "2025-03-09", "OPTOUT", ""}, {"in", "2025-03-10", "OPTIN", ""}}, Permit, ""},
		{"newer instant supersedes", []c{{"out", "2025-03-10T08:00:00Z", "OPTOUT", ""}, {"in", "2025-03-10T09:00:00Z", "OPTIN", ""}}, Permit, ""},
		{"equal instants both count", []c{{"out", "2025-03-10T09:00:00Z", "OPTOUT", ""}, {"in", "2025-03-10T09:00:00Z", "OPTIN", ""}}, Withhold, "out"},
		{"date-only beside a time that day: both count", []c{{"in", "2025-03-10T09:00:00Z", "OPTIN", ""}, {"out", "2025-03-10", "OPTOUT", ""}}, Withhold, "out"},
		{"date-only beside a later time that day: both count", []c{{"out", "2025-03-10", "OPTOUT", ""}, {"in", "2025-03-10T23:59:59Z", "OPTIN", ""}}, Withhold, "out"},
		{"month beside a day in it: both count", []c{{"out", "2025-03", "OPTOUT", ""}, {"in", "2025-03-31", "OPTIN", ""}}, Withhold, "out"},
		{"the next day supersedes a date-only", []c{{"out", "2025-03-10", "OPTOUT", ""}, {"in", "2025-03-11T00:00:00Z", "OPTIN", ""}}, Permit, ""},
		{"a date-only the next day supersedes", []c{{"out", "2025-03-10T23:00:00Z", "OPTOUT", ""}, {"in", "2025-03-11", "OPTIN", ""}}, Permit, ""},
		{"a newer one ends an overlap", []c{{"out", "2025-03-10", "OPTOUT", ""}, {"in", "2025-03-10T09:00:00Z", "OPTIN", ""}, {"in2", "2025-03-12", "OPTIN", ""}}, Permit, ""},
		{"undated OPTOUT counts beside a dated OPTIN", []c{{"in", "2024-01-01", "OPTIN", ""}, {"out", "", "OPTOUT", ""}}, Withhold, "out"},
		{"undated OPTIN does not lift a dated OPTOUT", []c{{"out", "2024-01-01", "OPTOUT", ""}, {"in", "", "OPTIN", ""}}, Withhold, "out"},
		{"newer temporary permission over: older objection decides", []c{{"out", "2025-01-01", "OPTOUT", ""}, {"feb", "2025-02-01", "OPTIN", feb}}, Withhold, "out"},
		{"newer restriction not begun: older consent decides", []c{{"in", "2025-01-01", "OPTIN", ""}, {"later", "2025-05-01", "OPTOUT", `{"period":{"start":"2025-07-01"}}`}}, Permit, ""},
		{"newer restriction in force pauses the older", []c{{"in", "2025-01-01", "OPTIN", ""}, {"now", "2025-05-01", "OPTOUT", `{"period":{"start":"2025-05-01","end":"2025-07-01"}}`}}, Withhold, "now"},
		{"newer temporary permission in force pauses an objection", []c{{"out", "2025-01-01", "OPTOUT", ""}, {"may", "2025-05-01", "OPTIN", `{"period":{"start":"2025-05-01","end":"2025-07-01"}}`}}, Permit, ""},
		{"a future-dated Consent does not outrank a later objection", []c{{"in", "2099-01-01", "OPTIN", ""}, {"out", "2025-05-01", "OPTOUT", ""}}, Withhold, "out"},
		{"a future-dated objection still counts", []c{{"out", "2099-01-01", "OPTOUT", ""}, {"in", "2025-05-01", "OPTIN", ""}}, Withhold, "out"},
		{"newer correct-only Consent does not lift an objection", []c{{"out", "2025-01-01", "OPTOUT", ""}, {"fix", "2025-05-01", "OPTIN", `{"action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"correct"}]}]}`}}, Withhold, "out"},
		{"the newest in force decides among several", []c{{"out", "2024-01-01", "OPTOUT", ""}, {"in", "2024-06-01", "OPTIN", ""}, {"feb", "2025-02-01", "OPTOUT", feb}}, Permit, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var list []*Consent
			for _, x := range tc.consents {
				cn, err := ParseConsent(consentJSON(x.id, x.date, x.rule, x.prov))
				if err != nil {
					t.Fatal(err)
				}
				cn.Recorder = orgGP
				list = append(list, cn)
			}
			rev := slices.Clone(list)
			slices.Reverse(rev)
			for _, order := range [][]*Consent{list, rev} {
				d := Prepare(DefaultPolicy(), users()["hosp"], patient(order...), now).Decide(med(orgGP))
				if d.Effect != tc.effect || tc.by != "" && d.Reasons[0].ConsentID != tc.by {
					t.Fatalf("got %s, want %s %s", d.Explain(), tc.effect, tc.by)
				}
			}
		})
	}
}

func icd10(sys, code string) string {
	return `{"system":"http://hl7.org/fhir/sid/` + sys + `","code":"` + code + `"}`
}

// TestRecordedByCapsDateTime: a Consent dated ahead of when it was stored
// is ordered as of when it was stored, so an objection recorded after it
// decides (review 4h: an OPTIN dated hours ahead outranked a later OPTOUT
// for good).
func TestRecordedByCapsDateTime(t *testing.T) {
	storedIn := now.Add(-2 * time.Hour)
	in := consAt(t, "in", now.Add(4*time.Minute).Format(time.RFC3339), "OPTIN", "")
	out := consAt(t, "out", now.Add(-time.Hour).Format(time.RFC3339), "OPTOUT", "")
	for _, c := range []*Consent{in, out} {
		c.Recorder = orgGP
	}
	if d := decide(t, users()["hosp"], patient(in, out), med(orgGP)); d.Effect != Permit {
		t.Fatalf("the premise: uncapped, the OPTIN dated ahead outranks the later OPTOUT: %s", d.Explain())
	}
	in.RecordedBy(storedIn, true)
	out.RecordedBy(now.Add(-time.Hour), true)
	if d := decide(t, users()["hosp"], patient(in, out), med(orgGP)); d.Effect != Withhold {
		t.Errorf("capped at when it was stored, the OPTIN still outranks the OPTOUT recorded after it: %s", d.Explain())
	}
	if !in.DateTime.Equal(storedIn) {
		t.Errorf("DateTime %v, want the stored time %v", in.DateTime, storedIn)
	}
	early := consAt(t, "early", "2024-01-01", "OPTIN", "")
	early.RecordedBy(now, true)
	if !early.DateTime.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a dateTime before its storing is kept: %v", early.DateTime)
	}
}

// TestStoredOrderBreaksTies: two of a recorder's Consents that dateTime
// cannot order are ordered by when they were stored, when that is known
// (review 4f, 4i1); a Consent about research only is no candidate.
func TestStoredOrderBreaksTies(t *testing.T) {
	out := consAt(t, "out", "2025-03-10", "OPTOUT", "")
	in := consAt(t, "in", "2025-03-10T09:00:00Z", "OPTIN", "")
	for _, c := range []*Consent{in, out} {
		c.Recorder = orgGP
	}
	if d := decide(t, users()["hosp"], patient(in, out), med(orgGP)); d.Effect != Withhold {
		t.Fatalf("storing times unknown: both count and withhold wins: %s", d.Explain())
	}
	out.RecordedBy(now.Add(-2*time.Hour), true)
	in.RecordedBy(now.Add(-time.Hour), true)
	if d := decide(t, users()["hosp"], patient(in, out), med(orgGP)); d.Effect != Permit {
		t.Errorf("the permit stored after the objection does not decide: %s", d.Explain())
	}
	in.RecordedBy(now.Add(-3*time.Hour), true)
	if d := decide(t, users()["hosp"], patient(in, out), med(orgGP)); d.Effect != Withhold {
		t.Errorf("the objection stored after the permit does not decide: %s", d.Explain())
	}
	research := consAt(t, "research", "2025-04-01", "OPTOUT", `{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HRESCH"}]}`)
	research.Recorder = orgGP
	if d := decide(t, users()["hosp"], patient(out, research), med(orgGP)); d.Effect != Withhold {
		t.Errorf("a newer Consent about research only outranks the objection: %s", d.Explain())
	}
	if err := DefaultPolicy().CheckConsent(research); err == nil || !strings.Contains(err.Error(), "purpose") {
		t.Errorf("a Consent limited to research is accepted on write: %v", err)
	}
}
