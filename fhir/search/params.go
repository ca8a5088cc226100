// Package search defines FHIR R4 search parameters per resource type,
// extracts index values from decoded resources, computes patient-compartment
// membership and sharing-policy data classes, and parses FHIR search query
// strings into a structured Query for the store.
package search

import (
	"sort"
	"strings"
)

// ParamType is the FHIR search parameter type.
type ParamType int

// Search parameter types.
const (
	Token ParamType = iota + 1
	Reference
	Date
	String
	URI
	Number
	Quantity
)

func (t ParamType) String() string {
	switch t {
	case Token:
		return "token"
	case Reference:
		return "reference"
	case Date:
		return "date"
	case String:
		return "string"
	case URI:
		return "uri"
	case Number:
		return "number"
	case Quantity:
		return "quantity"
	}
	return "unknown"
}

// ParamDef defines one search parameter.
//
// Paths are dotted paths into the resource JSON; arrays are traversed at every
// step. A step may carry one equality filter on a string child, written
// "telecom[system=phone]" (FHIRPath's where(system='phone')).
//
// For Reference parameters a non-empty Targets also restricts extraction:
// only references whose type is in Targets are indexed (this is how
// "patient" = subject.where(resolve() is Patient) is expressed).
//
// A non-empty Union names parameters of the same type whose values together
// are exactly this one's (Paths is their Paths, in order): Observation's
// combo-code is code | component.code. A reference parameter's union keeps
// only its members' references to its Targets: Observation's patient is
// its subject where that is a Patient. Such a parameter stores no index
// rows of its own; it is searched through its members' (Stored). The rows
// it would repeat were over a quarter of an imported Observation's.
type ParamDef struct {
	Name    string
	Type    ParamType
	Paths   []string
	Targets []string
	Union   []string
}

func tok(name string, paths ...string) ParamDef {
	return ParamDef{Name: name, Type: Token, Paths: paths}
}
func str(name string, paths ...string) ParamDef {
	return ParamDef{Name: name, Type: String, Paths: paths}
}
func dat(name string, paths ...string) ParamDef {
	return ParamDef{Name: name, Type: Date, Paths: paths}
}
func uri(name string, paths ...string) ParamDef { return ParamDef{Name: name, Type: URI, Paths: paths} }
func qty(name string, paths ...string) ParamDef {
	return ParamDef{Name: name, Type: Quantity, Paths: paths}
}
func ref(name string, targets []string, paths ...string) ParamDef {
	return ParamDef{Name: name, Type: Reference, Paths: paths, Targets: targets}
}

// union makes d a union of the parameters named (see ParamDef.Union).
func union(d ParamDef, of ...string) ParamDef {
	d.Union = of
	return d
}

var (
	tPat    = []string{"Patient"}
	tPatGrp = []string{"Patient", "Group"}
	tEnc    = []string{"Encounter"}
	tOrg    = []string{"Organization"}
	tPrac   = []string{"Practitioner"}
	tLoc    = []string{"Location"}
	tMed    = []string{"Medication"}
	tAny    []string // no restriction
)

// common parameters for every resource type.
var commonDefs = []ParamDef{
	tok("_id", "id"),
	dat("_lastUpdated", "meta.lastUpdated"),
	tok("_tag", "meta.tag"),
	tok("_security", "meta.security"),
	uri("_profile", "meta.profile"),
	uri("_source", "meta.source"),
}

var typeDefs = map[string][]ParamDef{
	"Patient": {
		tok("identifier", "identifier"),
		str("name", "name"),
		str("family", "name.family"),
		str("given", "name.given"),
		dat("birthdate", "birthDate"),
		tok("gender", "gender"),
		ref("general-practitioner", []string{"Organization", "Practitioner", "PractitionerRole"}, "generalPractitioner"),
		ref("organization", tOrg, "managingOrganization"),
		str("address", "address"),
		str("address-city", "address.city"),
		str("address-postalcode", "address.postalCode"),
		str("address-state", "address.state"),
		str("address-country", "address.country"),
		tok("address-use", "address.use"),
		tok("telecom", "telecom"),
		tok("phone", "telecom[system=phone]"),
		tok("email", "telecom[system=email]"),
		tok("active", "active"),
		dat("death-date", "deceasedDateTime"),
		tok("language", "communication.language"),
		ref("link", []string{"Patient", "RelatedPerson"}, "link.other"),
	},
	"RelatedPerson": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		str("name", "name"),
		tok("relationship", "relationship"),
		tok("active", "active"),
		dat("birthdate", "birthDate"),
		tok("gender", "gender"),
		str("address", "address"),
		str("address-postalcode", "address.postalCode"),
		tok("telecom", "telecom"),
		tok("phone", "telecom[system=phone]"),
		tok("email", "telecom[system=email]"),
	},
	"Practitioner": {
		tok("identifier", "identifier"),
		str("name", "name"),
		str("family", "name.family"),
		str("given", "name.given"),
		tok("active", "active"),
		tok("gender", "gender"),
		str("address", "address"),
		str("address-postalcode", "address.postalCode"),
		tok("telecom", "telecom"),
		tok("phone", "telecom[system=phone]"),
		tok("email", "telecom[system=email]"),
		tok("communication", "communication"),
	},
	"PractitionerRole": {
		tok("identifier", "identifier"),
		ref("practitioner", tPrac, "practitioner"),
		ref("organization", tOrg, "organization"),
		tok("role", "code"),
		tok("specialty", "specialty"),
		tok("active", "active"),
		dat("date", "period"),
		ref("location", tLoc, "location"),
		ref("service", []string{"HealthcareService"}, "healthcareService"),
		ref("endpoint", []string{"Endpoint"}, "endpoint"),
		tok("telecom", "telecom"),
		tok("phone", "telecom[system=phone]"),
		tok("email", "telecom[system=email]"),
	},
	"Organization": {
		tok("identifier", "identifier"),
		str("name", "name", "alias"),
		tok("type", "type"),
		ref("partof", tOrg, "partOf"),
		tok("active", "active"),
		str("address", "address"),
		str("address-city", "address.city"),
		str("address-postalcode", "address.postalCode"),
		ref("endpoint", []string{"Endpoint"}, "endpoint"),
	},
	"CareTeam": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("participant", []string{"Practitioner", "PractitionerRole", "RelatedPerson", "Patient", "Organization", "CareTeam"}, "participant.member"),
		tok("status", "status"),
		tok("category", "category"),
		dat("date", "period"),
		ref("encounter", tEnc, "encounter"),
	},
	"EpisodeOfCare": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("status", "status"),
		tok("type", "type"),
		ref("organization", tOrg, "managingOrganization"),
		ref("care-manager", tPrac, "careManager"),
		dat("date", "period"),
		ref("condition", []string{"Condition"}, "diagnosis.condition"),
		ref("incoming-referral", []string{"ServiceRequest"}, "referralRequest"),
	},
	"Encounter": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("status", "status"),
		tok("class", "class"),
		tok("type", "type"),
		dat("date", "period"),
		ref("participant", []string{"Practitioner", "PractitionerRole", "RelatedPerson"}, "participant.individual"),
		union(ref("practitioner", tPrac, "participant.individual"), "participant"),
		tok("participant-type", "participant.type"),
		ref("service-provider", tOrg, "serviceProvider"),
		ref("episode-of-care", []string{"EpisodeOfCare"}, "episodeOfCare"),
		ref("location", tLoc, "location.location"),
		tok("reason-code", "reasonCode"),
		ref("reason-reference", tAny, "reasonReference"),
		ref("based-on", []string{"ServiceRequest"}, "basedOn"),
		ref("part-of", tEnc, "partOf"),
		ref("appointment", []string{"Appointment"}, "appointment"),
		ref("diagnosis", []string{"Condition", "Procedure"}, "diagnosis.condition"),
		qty("length", "length"),
		ref("account", []string{"Account"}, "account"),
	},
	"Condition": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("code", "code"),
		tok("category", "category"),
		tok("clinical-status", "clinicalStatus"),
		tok("verification-status", "verificationStatus"),
		tok("severity", "severity"),
		tok("body-site", "bodySite"),
		dat("onset-date", "onsetDateTime", "onsetPeriod"),
		qty("onset-age", "onsetAge"),
		dat("abatement-date", "abatementDateTime", "abatementPeriod"),
		dat("recorded-date", "recordedDate"),
		ref("encounter", tEnc, "encounter"),
		ref("asserter", tAny, "asserter"),
		tok("evidence", "evidence.code"),
		ref("evidence-detail", tAny, "evidence.detail"),
		tok("stage", "stage.summary"),
	},
	"AllergyIntolerance": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("code", "code", "reaction.substance"),
		tok("clinical-status", "clinicalStatus"),
		tok("verification-status", "verificationStatus"),
		tok("category", "category"),
		tok("criticality", "criticality"),
		tok("type", "type"),
		dat("date", "recordedDate"),
		ref("recorder", tAny, "recorder"),
		ref("asserter", tAny, "asserter"),
		dat("onset", "reaction.onset"),
		dat("last-date", "lastOccurrence"),
		tok("severity", "reaction.severity"),
		tok("manifestation", "reaction.manifestation"),
		tok("route", "reaction.exposureRoute"),
	},
	"MedicationStatement": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("code", "medicationCodeableConcept"),
		tok("status", "status"),
		tok("category", "category"),
		dat("effective", "effectiveDateTime", "effectivePeriod"),
		ref("medication", tMed, "medicationReference"),
		ref("context", []string{"Encounter", "EpisodeOfCare"}, "context"),
		ref("part-of", tAny, "partOf"),
		ref("source", tAny, "informationSource"),
	},
	"MedicationRequest": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("code", "medicationCodeableConcept"),
		tok("status", "status"),
		tok("intent", "intent"),
		tok("category", "category"),
		tok("priority", "priority"),
		dat("authoredon", "authoredOn"),
		dat("date", "dosageInstruction.timing.event"),
		ref("medication", tMed, "medicationReference"),
		ref("encounter", tEnc, "encounter"),
		ref("requester", tAny, "requester"),
		ref("intended-performer", tAny, "performer"),
		tok("intended-performertype", "performerType"),
		ref("intended-dispenser", tOrg, "dispenseRequest.performer"),
	},
	"MedicationAdministration": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("code", "medicationCodeableConcept"),
		tok("status", "status"),
		dat("effective-time", "effectiveDateTime", "effectivePeriod"),
		ref("medication", tMed, "medicationReference"),
		ref("context", []string{"Encounter", "EpisodeOfCare"}, "context"),
		ref("performer", tAny, "performer.actor"),
		ref("request", []string{"MedicationRequest"}, "request"),
		ref("device", []string{"Device"}, "device"),
		tok("reason-given", "reasonCode"),
		tok("reason-not-given", "statusReason"),
	},
	"MedicationDispense": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("code", "medicationCodeableConcept"),
		tok("status", "status"),
		tok("type", "type"),
		ref("medication", tMed, "medicationReference"),
		ref("context", []string{"Encounter", "EpisodeOfCare"}, "context"),
		ref("performer", tAny, "performer.actor"),
		ref("prescription", []string{"MedicationRequest"}, "authorizingPrescription"),
		ref("receiver", []string{"Patient", "Practitioner"}, "receiver"),
		ref("destination", tLoc, "destination"),
		ref("responsibleparty", tAny, "substitution.responsibleParty"),
		dat("whenhandedover", "whenHandedOver"),
		dat("whenprepared", "whenPrepared"),
	},
	"Medication": {
		tok("identifier", "identifier"),
		tok("code", "code"),
		tok("status", "status"),
		tok("form", "form"),
		ref("ingredient", []string{"Substance", "Medication"}, "ingredient.itemReference"),
		tok("ingredient-code", "ingredient.itemCodeableConcept"),
		ref("manufacturer", tOrg, "manufacturer"),
		tok("lot-number", "batch.lotNumber"),
		dat("expiration-date", "batch.expirationDate"),
	},
	"Observation": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Group", "Device", "Location"}, "subject"),
		tok("code", "code"),
		tok("category", "category"),
		tok("status", "status"),
		dat("date", "effectiveDateTime", "effectivePeriod", "effectiveTiming", "effectiveInstant"),
		qty("value-quantity", "valueQuantity"),
		tok("value-concept", "valueCodeableConcept"),
		dat("value-date", "valueDateTime", "valuePeriod"),
		str("value-string", "valueString"),
		union(tok("combo-code", "code", "component.code"), "code", "component-code"),
		tok("component-code", "component.code"),
		qty("component-value-quantity", "component.valueQuantity"),
		union(qty("combo-value-quantity", "valueQuantity", "component.valueQuantity"), "value-quantity", "component-value-quantity"),
		tok("data-absent-reason", "dataAbsentReason"),
		tok("method", "method"),
		ref("encounter", tEnc, "encounter"),
		ref("performer", []string{"Practitioner", "PractitionerRole", "Organization", "CareTeam", "Patient", "RelatedPerson"}, "performer"),
		ref("based-on", []string{"CarePlan", "DeviceRequest", "ImmunizationRecommendation", "MedicationRequest", "NutritionOrder", "ServiceRequest"}, "basedOn"),
		ref("part-of", tAny, "partOf"),
		ref("has-member", tAny, "hasMember"),
		ref("derived-from", tAny, "derivedFrom"),
		ref("focus", tAny, "focus"),
		ref("device", []string{"Device", "DeviceMetric"}, "device"),
		ref("specimen", []string{"Specimen"}, "specimen"),
	},
	"Procedure": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("code", "code"),
		tok("status", "status"),
		tok("category", "category"),
		dat("date", "performedDateTime", "performedPeriod"),
		ref("encounter", tEnc, "encounter"),
		ref("performer", tAny, "performer.actor"),
		ref("location", tLoc, "location"),
		tok("reason-code", "reasonCode"),
		ref("reason-reference", tAny, "reasonReference"),
		ref("based-on", []string{"CarePlan", "ServiceRequest"}, "basedOn"),
		ref("part-of", tAny, "partOf"),
	},
	"Immunization": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("vaccine-code", "vaccineCode"),
		tok("status", "status"),
		tok("status-reason", "statusReason"),
		dat("date", "occurrenceDateTime"),
		ref("location", tLoc, "location"),
		str("lot-number", "lotNumber"),
		ref("manufacturer", tOrg, "manufacturer"),
		ref("performer", tAny, "performer.actor"),
		tok("reason-code", "reasonCode"),
		tok("target-disease", "protocolApplied.targetDisease"),
		str("series", "protocolApplied.series"),
	},
	"ImmunizationRecommendation": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		dat("date", "date"),
		tok("vaccine-type", "recommendation.vaccineCode"),
		tok("status", "recommendation.forecastStatus"),
		tok("target-disease", "recommendation.targetDisease"),
	},
	"DiagnosticReport": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Group", "Device", "Location"}, "subject"),
		tok("code", "code"),
		tok("category", "category"),
		tok("status", "status"),
		dat("date", "effectiveDateTime", "effectivePeriod"),
		dat("issued", "issued"),
		ref("result", []string{"Observation"}, "result"),
		ref("encounter", tEnc, "encounter"),
		ref("performer", tAny, "performer"),
		ref("results-interpreter", tAny, "resultsInterpreter"),
		ref("based-on", tAny, "basedOn"),
		tok("conclusion", "conclusionCode"),
		ref("specimen", []string{"Specimen"}, "specimen"),
		ref("media", []string{"Media"}, "media.link"),
	},
	"ImagingStudy": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Device", "Group"}, "subject"),
		tok("status", "status"),
		dat("started", "started"),
		ref("encounter", tEnc, "encounter"),
		tok("modality", "series.modality"),
		tok("bodysite", "series.bodySite"),
		ref("basedon", tAny, "basedOn"),
		ref("referrer", tAny, "referrer"),
		ref("interpreter", tAny, "interpreter"),
		ref("performer", tAny, "series.performer.actor"),
		tok("reason", "reasonCode"),
		tok("series", "series.uid"),
		tok("instance", "series.instance.uid"),
		tok("dicom-class", "series.instance.sopClass"),
	},
	"Specimen": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("accession", "accessionIdentifier"),
		tok("status", "status"),
		tok("type", "type"),
		dat("collected", "collection.collectedDateTime", "collection.collectedPeriod"),
		ref("collector", tAny, "collection.collector"),
		tok("bodysite", "collection.bodySite"),
		tok("container", "container.type"),
		tok("container-id", "container.identifier"),
		ref("parent", []string{"Specimen"}, "parent"),
	},
	"CarePlan": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		tok("status", "status"),
		tok("intent", "intent"),
		tok("category", "category"),
		dat("date", "period"),
		ref("care-team", []string{"CareTeam"}, "careTeam"),
		ref("encounter", tEnc, "encounter"),
		ref("goal", []string{"Goal"}, "goal"),
		ref("condition", []string{"Condition"}, "addresses"),
		ref("based-on", []string{"CarePlan"}, "basedOn"),
		ref("part-of", []string{"CarePlan"}, "partOf"),
		ref("replaces", []string{"CarePlan"}, "replaces"),
		tok("activity-code", "activity.detail.code"),
		dat("activity-date", "activity.detail.scheduledTiming", "activity.detail.scheduledPeriod", "activity.detail.scheduledString"),
		ref("activity-reference", tAny, "activity.reference"),
		ref("performer", tAny, "activity.detail.performer"),
		uri("instantiates-canonical", "instantiatesCanonical"),
	},
	"Goal": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Group", "Organization"}, "subject"),
		tok("lifecycle-status", "lifecycleStatus"),
		tok("achievement-status", "achievementStatus"),
		tok("category", "category"),
		dat("target-date", "target.dueDate"),
		dat("start-date", "startDate"),
	},
	"Flag": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("status", "status"),     // carex addition (not an R4 Flag search parameter)
		tok("category", "category"), // carex addition
		tok("code", "code"),         // carex addition
		dat("date", "period"),
		ref("author", tAny, "author"),
		ref("encounter", tEnc, "encounter"),
	},
	"Task": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "for"), "subject"),
		ref("subject", tAny, "for"),
		ref("owner", tAny, "owner"),
		ref("requester", tAny, "requester"),
		tok("status", "status"),
		tok("business-status", "businessStatus"),
		tok("intent", "intent"),
		tok("priority", "priority"),
		tok("code", "code"),
		tok("performer", "performerType"),
		dat("authored-on", "authoredOn"),
		dat("modified", "lastModified"),
		dat("period", "executionPeriod"),
		ref("focus", tAny, "focus"),
		ref("based-on", tAny, "basedOn"),
		ref("part-of", []string{"Task"}, "partOf"),
		ref("encounter", tEnc, "encounter"),
		tok("group-identifier", "groupIdentifier"),
	},
	"ServiceRequest": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Group", "Location", "Device"}, "subject"),
		tok("status", "status"),
		tok("intent", "intent"),
		tok("category", "category"),
		tok("code", "code"),
		tok("priority", "priority"),
		tok("performer-type", "performerType"),
		tok("requisition", "requisition"),
		tok("body-site", "bodySite"),
		dat("authored", "authoredOn"),
		dat("occurrence", "occurrenceDateTime", "occurrencePeriod", "occurrenceTiming"),
		ref("requester", tAny, "requester"),
		ref("performer", tAny, "performer"),
		ref("encounter", tEnc, "encounter"),
		ref("based-on", tAny, "basedOn"),
		ref("replaces", []string{"ServiceRequest"}, "replaces"),
		ref("specimen", []string{"Specimen"}, "specimen"),
	},
	"DocumentReference": {
		tok("identifier", "masterIdentifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Practitioner", "Group", "Device"}, "subject"),
		tok("type", "type"),
		tok("category", "category"),
		tok("status", "status"),
		dat("date", "date"),
		ref("author", tAny, "author"),
		ref("authenticator", tAny, "authenticator"),
		ref("custodian", tOrg, "custodian"),
		ref("encounter", []string{"Encounter", "EpisodeOfCare"}, "context.encounter"),
		dat("period", "context.period"),
		tok("event", "context.event"),
		tok("facility", "context.facilityType"),
		tok("setting", "context.practiceSetting"),
		ref("related", tAny, "context.related"),
		ref("relatesto", []string{"DocumentReference"}, "relatesTo.target"),
		tok("relation", "relatesTo.code"),
		tok("security-label", "securityLabel"),
		tok("contenttype", "content.attachment.contentType"),
		tok("format", "content.format"),
		tok("language", "content.attachment.language"),
		uri("location", "content.attachment.url"),
		str("description", "description"),
	},
	"Composition": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("status", "status"),
		tok("type", "type"),
		tok("category", "category"),
		dat("date", "date"),
		ref("author", tAny, "author"),
		ref("attester", tAny, "attester.party"),
		ref("encounter", tEnc, "encounter"),
		str("title", "title"),
		dat("period", "event.period"),
		tok("section", "section.code"),
		ref("entry", tAny, "section.entry"),
		tok("confidentiality", "confidentiality"),
	},
	"QuestionnaireResponse": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("status", "status"),
		dat("authored", "authored"),
		ref("author", tAny, "author"),
		ref("questionnaire", []string{"Questionnaire"}, "questionnaire"),
		ref("encounter", tEnc, "encounter"),
		ref("based-on", tAny, "basedOn"),
		ref("part-of", tAny, "partOf"),
		ref("source", tAny, "source"),
	},
	"Media": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("status", "status"),
		tok("type", "type"),
		tok("modality", "modality"),
		tok("view", "view"),
		tok("site", "bodySite"),
		dat("created", "createdDateTime", "createdPeriod"),
		ref("encounter", tEnc, "encounter"),
		ref("operator", tAny, "operator"),
		ref("based-on", tAny, "basedOn"),
		ref("device", tAny, "device"),
	},
	// (review 82c: a council's and a hospital's messages about a person,
	// a discharge notice, could not be found by patient)
	"Communication": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("recipient", tAny, "recipient"),
		ref("sender", tAny, "sender"),
		ref("encounter", tEnc, "encounter"),
		ref("based-on", tAny, "basedOn"),
		ref("part-of", tAny, "partOf"),
		tok("status", "status"),
		tok("category", "category"),
		tok("medium", "medium"),
		dat("sent", "sent"),
		dat("received", "received"),
	},
	"CommunicationRequest": {
		tok("identifier", "identifier"),
		tok("group-identifier", "groupIdentifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("recipient", tAny, "recipient"),
		ref("sender", tAny, "sender"),
		ref("requester", tAny, "requester"),
		ref("encounter", tEnc, "encounter"),
		ref("based-on", tAny, "basedOn"),
		ref("replaces", []string{"CommunicationRequest"}, "replaces"),
		tok("status", "status"),
		tok("category", "category"),
		tok("priority", "priority"),
		tok("medium", "medium"),
		dat("authored", "authoredOn"),
		dat("occurrence", "occurrenceDateTime", "occurrencePeriod"),
	},
	"Appointment": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "participant.actor"), "actor"),
		ref("actor", tAny, "participant.actor"),
		union(ref("practitioner", tPrac, "participant.actor"), "actor"),
		union(ref("location", tLoc, "participant.actor"), "actor"),
		tok("status", "status"),
		tok("part-status", "participant.status"),
		dat("date", "start"),
		tok("service-type", "serviceType"),
		tok("service-category", "serviceCategory"),
		tok("specialty", "specialty"),
		tok("appointment-type", "appointmentType"),
		tok("reason-code", "reasonCode"),
		ref("based-on", []string{"ServiceRequest"}, "basedOn"),
		ref("slot", []string{"Slot"}, "slot"),
		ref("supporting-info", tAny, "supportingInformation"),
	},
	"AppointmentResponse": {
		tok("identifier", "identifier"),
		ref("actor", tAny, "actor"),
		union(ref("patient", tPat, "actor"), "actor"),
		union(ref("practitioner", tPrac, "actor"), "actor"),
		union(ref("location", tLoc, "actor"), "actor"),
		ref("appointment", []string{"Appointment"}, "appointment"),
		tok("part-status", "participantStatus"),
	},
	"Schedule": {
		tok("identifier", "identifier"),
		ref("actor", tAny, "actor"),
		tok("active", "active"),
		dat("date", "planningHorizon"),
		tok("service-type", "serviceType"),
		tok("specialty", "specialty"),
	},
	"Slot": {
		tok("identifier", "identifier"),
		ref("schedule", []string{"Schedule"}, "schedule"),
		tok("status", "status"),
		dat("start", "start"),
		tok("service-type", "serviceType"),
		tok("specialty", "specialty"),
		tok("appointment-type", "appointmentType"),
	},
	"Consent": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("status", "status"),
		tok("scope", "scope"),
		tok("category", "category"),
		dat("date", "dateTime"),
		dat("period", "provision.period"),
		ref("actor", tAny, "provision.actor.reference"),
		tok("action", "provision.action"),
		tok("purpose", "provision.purpose"),
		tok("security-label", "provision.securityLabel"),
		ref("data", tAny, "provision.data.reference"),
		ref("source-reference", []string{"Consent", "DocumentReference", "Contract", "QuestionnaireResponse"}, "sourceReference"),
		ref("consentor", tAny, "performer"),
		ref("organization", tOrg, "organization"),
	},
	"Claim": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("status", "status"),
		tok("use", "use"),
		tok("priority", "priority"),
		dat("created", "created"),
		ref("provider", tAny, "provider"),
		ref("insurer", tOrg, "insurer"),
		ref("enterer", tAny, "enterer"),
		ref("facility", tLoc, "facility"),
		ref("payee", tAny, "payee.party"),
		ref("care-team", tAny, "careTeam.provider"),
		ref("encounter", tEnc, "item.encounter"),
	},
	"ClaimResponse": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("status", "status"),
		tok("use", "use"),
		tok("outcome", "outcome"),
		dat("created", "created"),
		ref("insurer", tOrg, "insurer"),
		ref("request", []string{"Claim"}, "request"),
		ref("requestor", tAny, "requestor"),
	},
	"ExplanationOfBenefit": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("status", "status"),
		dat("created", "created"),
		ref("provider", tAny, "provider"),
		ref("claim", []string{"Claim"}, "claim"),
		ref("coverage", []string{"Coverage"}, "insurance.coverage"),
		ref("enterer", tAny, "enterer"),
		ref("facility", tLoc, "facility"),
		ref("payee", tAny, "payee.party"),
		ref("care-team", tAny, "careTeam.provider"),
		ref("encounter", tEnc, "item.encounter"),
	},
	"Coverage": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "beneficiary"),
		union(ref("beneficiary", tPat, "beneficiary"), "patient"),
		tok("status", "status"),
		tok("type", "type"),
		ref("payor", tAny, "payor"),
		ref("policy-holder", tAny, "policyHolder"),
		ref("subscriber", []string{"Patient", "RelatedPerson"}, "subscriber"),
		str("dependent", "dependent"),
	},
	"Account": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("status", "status"),
		tok("type", "type"),
		str("name", "name"),
		ref("owner", tOrg, "owner"),
		dat("period", "servicePeriod"),
	},
	"Invoice": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", []string{"Patient", "Group"}, "subject"),
		tok("status", "status"),
		tok("type", "type"),
		dat("date", "date"),
		ref("issuer", tOrg, "issuer"),
		ref("recipient", tAny, "recipient"),
		ref("participant", tAny, "participant.actor"),
		ref("account", []string{"Account"}, "account"),
	},
	"Provenance": {
		ref("target", tAny, "target"),
		union(ref("patient", tPat, "target"), "target"),
		ref("agent", tAny, "agent.who"),
		tok("agent-type", "agent.type"),
		tok("agent-role", "agent.role"),
		dat("recorded", "recorded"),
		dat("when", "occurredDateTime", "occurredPeriod"),
		ref("entity", tAny, "entity.what"),
		ref("location", tLoc, "location"),
		tok("signature-type", "signature.type"),
	},
	"AuditEvent": {
		dat("date", "recorded"),
		ref("agent", tAny, "agent.who"),
		str("agent-name", "agent.name"),
		tok("agent-role", "agent.role"),
		tok("altid", "agent.altId"),
		str("address", "agent.network.address"),
		ref("entity", tAny, "entity.what"),
		str("entity-name", "entity.name"),
		tok("entity-type", "entity.type"),
		tok("entity-role", "entity.role"),
		ref("patient", tPat, "agent.who", "entity.what"),
		tok("type", "type"),
		tok("subtype", "subtype"),
		tok("action", "action"),
		tok("outcome", "outcome"),
		ref("source", tAny, "source.observer"),
		tok("site", "source.site"),
		uri("policy", "agent.policy"),
	},
	"Location": {
		tok("identifier", "identifier"),
		str("name", "name", "alias"),
		str("address", "address"),
		str("address-city", "address.city"),
		str("address-postalcode", "address.postalCode"),
		tok("type", "type"),
		tok("status", "status"),
		tok("operational-status", "operationalStatus"),
		ref("organization", tOrg, "managingOrganization"),
		ref("partof", tLoc, "partOf"),
		ref("endpoint", []string{"Endpoint"}, "endpoint"),
	},
	"HealthcareService": {
		tok("identifier", "identifier"),
		str("name", "name"),
		tok("active", "active"),
		ref("organization", tOrg, "providedBy"),
		ref("location", tLoc, "location"),
		tok("service-type", "type"),
		tok("service-category", "category"),
		tok("specialty", "specialty"),
		ref("endpoint", []string{"Endpoint"}, "endpoint"),
	},
	"Endpoint": {
		tok("identifier", "identifier"),
		str("name", "name"),
		tok("status", "status"),
		ref("organization", tOrg, "managingOrganization"),
		tok("connection-type", "connectionType"),
		tok("payload-type", "payloadType"),
	},
	"Device": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("status", "status"),
		tok("type", "type"),
		str("manufacturer", "manufacturer"),
		str("model", "modelNumber"),
		str("device-name", "deviceName.name"),
		ref("organization", tOrg, "owner"),
		ref("location", tLoc, "location"),
		str("udi-carrier", "udiCarrier.carrierHRF"),
		str("udi-di", "udiCarrier.deviceIdentifier"),
		uri("url", "url"),
	},
	"Group": {
		tok("identifier", "identifier"),
		tok("type", "type"),
		tok("code", "code"),
		tok("actual", "actual"),
		ref("member", tAny, "member.entity"),
		ref("managing-entity", tAny, "managingEntity"),
	},
	"Binary": {},

	// The patient compartment's other types (R4's parameters on the
	// elements a record's reader asks by: the person, identifier, status,
	// codes, dates, references; R4's composite and number-range ones on
	// molecular coordinates and prices are left out). Before schema
	// step 17 they had none, so their items could not be found by patient.
	"AdverseEvent": {
		tok("identifier", "identifier"),
		ref("subject", []string{"Patient", "Group", "Practitioner", "RelatedPerson"}, "subject"),
		tok("actuality", "actuality"),
		tok("category", "category"),
		dat("date", "date"),
		tok("event", "event"),
		ref("location", tLoc, "location"),
		ref("recorder", tAny, "recorder"),
		ref("resultingcondition", []string{"Condition"}, "resultingCondition"),
		tok("seriousness", "seriousness"),
		tok("severity", "severity"),
		ref("study", []string{"ResearchStudy"}, "study"),
		ref("substance", tAny, "suspectEntity.instance"),
	},
	"Basic": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		ref("author", tAny, "author"),
		tok("code", "code"),
		dat("created", "created"),
	},
	"BodyStructure": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("location", "location"),
		tok("morphology", "morphology"),
	},
	"ChargeItem": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("account", []string{"Account"}, "account"),
		tok("code", "code"),
		ref("context", []string{"Encounter", "EpisodeOfCare"}, "context"),
		dat("entered-date", "enteredDate"),
		ref("enterer", tAny, "enterer"),
		dat("occurrence", "occurrenceDateTime", "occurrencePeriod", "occurrenceTiming"),
		ref("performer-actor", tAny, "performer.actor"),
		tok("performer-function", "performer.function"),
		ref("performing-organization", tOrg, "performingOrganization"),
		qty("quantity", "quantity"),
		ref("requesting-organization", tOrg, "requestingOrganization"),
		ref("service", tAny, "service"),
	},
	"ClinicalImpression": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("assessor", tAny, "assessor"),
		dat("date", "date"),
		ref("encounter", tEnc, "encounter"),
		tok("finding-code", "finding.itemCodeableConcept"),
		ref("finding-ref", tAny, "finding.itemReference"),
		ref("investigation", tAny, "investigation.item"),
		ref("previous", []string{"ClinicalImpression"}, "previous"),
		ref("problem", []string{"Condition", "AllergyIntolerance"}, "problem"),
		tok("status", "status"),
		ref("supporting-info", tAny, "supportingInfo"),
	},
	"CoverageEligibilityRequest": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		dat("created", "created"),
		ref("enterer", tAny, "enterer"),
		ref("facility", tLoc, "facility"),
		ref("provider", tAny, "provider"),
		tok("status", "status"),
	},
	"CoverageEligibilityResponse": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		dat("created", "created"),
		str("disposition", "disposition"),
		ref("insurer", tOrg, "insurer"),
		tok("outcome", "outcome"),
		ref("request", []string{"CoverageEligibilityRequest"}, "request"),
		ref("requestor", tAny, "requestor"),
		tok("status", "status"),
	},
	"DetectedIssue": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		ref("author", tAny, "author"),
		tok("code", "code"),
		dat("identified", "identifiedDateTime", "identifiedPeriod"),
		ref("implicated", tAny, "implicated"),
	},
	"DeviceRequest": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		dat("authored-on", "authoredOn"),
		ref("based-on", tAny, "basedOn"),
		tok("code", "codeCodeableConcept"),
		ref("device", []string{"Device"}, "codeReference"),
		ref("encounter", tEnc, "encounter"),
		dat("event-date", "occurrenceDateTime", "occurrencePeriod"),
		tok("group-identifier", "groupIdentifier"),
		uri("instantiates-canonical", "instantiatesCanonical"),
		uri("instantiates-uri", "instantiatesUri"),
		ref("insurance", tAny, "insurance"),
		tok("intent", "intent"),
		ref("performer", tAny, "performer"),
		ref("prior-request", tAny, "priorRequest"),
		ref("requester", tAny, "requester"),
		tok("status", "status"),
	},
	"DeviceUseStatement": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("device", []string{"Device"}, "device"),
	},
	"DocumentManifest": {
		tok("identifier", "masterIdentifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		ref("author", tAny, "author"),
		dat("created", "created"),
		str("description", "description"),
		ref("item", tAny, "content"),
		ref("recipient", tAny, "recipient"),
		tok("related-id", "related.identifier"),
		ref("related-ref", tAny, "related.ref"),
		uri("source", "source"),
		tok("status", "status"),
		tok("type", "type"),
	},
	"EnrollmentRequest": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "candidate"), "subject"),
		ref("subject", tPat, "candidate"),
		tok("status", "status"),
	},
	"FamilyMemberHistory": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("code", "condition.code"),
		dat("date", "date"),
		uri("instantiates-canonical", "instantiatesCanonical"),
		uri("instantiates-uri", "instantiatesUri"),
		tok("relationship", "relationship"),
		tok("sex", "sex"),
		tok("status", "status"),
	},
	"ImmunizationEvaluation": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		dat("date", "date"),
		tok("dose-status", "doseStatus"),
		ref("immunization-event", []string{"Immunization"}, "immunizationEvent"),
		tok("status", "status"),
		tok("target-disease", "targetDisease"),
	},
	"List": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		tok("code", "code"),
		dat("date", "date"),
		tok("empty-reason", "emptyReason"),
		ref("encounter", tEnc, "encounter"),
		ref("item", tAny, "entry.item"),
		str("notes", "note.text"),
		ref("source", tAny, "source"),
		tok("status", "status"),
		str("title", "title"),
	},
	"MeasureReport": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tAny, "subject"),
		dat("date", "date"),
		ref("evaluated-resource", tAny, "evaluatedResource"),
		uri("measure", "measure"),
		dat("period", "period"),
		ref("reporter", tAny, "reporter"),
		tok("status", "status"),
	},
	"MolecularSequence": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("chromosome", "referenceSeq.chromosome"),
		tok("referenceseqid", "referenceSeq.referenceSeqId"),
		tok("type", "type"),
	},
	"NutritionOrder": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		tok("additive", "enteralFormula.additiveType"),
		dat("datetime", "dateTime"),
		ref("encounter", tEnc, "encounter"),
		tok("formula", "enteralFormula.baseFormulaType"),
		uri("instantiates-canonical", "instantiatesCanonical"),
		uri("instantiates-uri", "instantiatesUri"),
		tok("oraldiet", "oralDiet.type"),
		ref("provider", tAny, "orderer"),
		tok("status", "status"),
		tok("supplement", "supplement.type"),
	},
	// Person's demographics are searched as Patient's are (the redacted
	// parameters of a restricted person among them: redactedParams).
	"Person": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "link.target"), "link"),
		ref("link", []string{"Patient", "Practitioner", "RelatedPerson", "Person"}, "link.target"),
		union(ref("practitioner", tPrac, "link.target"), "link"),
		union(ref("relatedperson", []string{"RelatedPerson"}, "link.target"), "link"),
		str("name", "name"),
		dat("birthdate", "birthDate"),
		tok("gender", "gender"),
		ref("organization", tOrg, "managingOrganization"),
		str("address", "address"),
		str("address-city", "address.city"),
		str("address-postalcode", "address.postalCode"),
		str("address-state", "address.state"),
		str("address-country", "address.country"),
		tok("address-use", "address.use"),
		tok("telecom", "telecom"),
		tok("phone", "telecom[system=phone]"),
		tok("email", "telecom[system=email]"),
	},
	"RequestGroup": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("author", tAny, "author"),
		dat("authored", "authoredOn"),
		tok("code", "code"),
		ref("encounter", tEnc, "encounter"),
		tok("group-identifier", "groupIdentifier"),
		uri("instantiates-canonical", "instantiatesCanonical"),
		uri("instantiates-uri", "instantiatesUri"),
		tok("intent", "intent"),
		ref("participant", tAny, "action.participant"),
		tok("priority", "priority"),
		tok("status", "status"),
	},
	"ResearchSubject": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "individual"), "individual"),
		ref("individual", tPat, "individual"),
		dat("date", "period"),
		tok("status", "status"),
		ref("study", []string{"ResearchStudy"}, "study"),
	},
	"RiskAssessment": {
		tok("identifier", "identifier"),
		union(ref("patient", tPat, "subject"), "subject"),
		ref("subject", tPatGrp, "subject"),
		ref("condition", []string{"Condition"}, "condition"),
		dat("date", "occurrenceDateTime"),
		ref("encounter", tEnc, "encounter"),
		tok("method", "method"),
		ref("performer", tAny, "performer"),
		tok("risk", "prediction.qualitativeRisk"),
	},
	"SupplyDelivery": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		ref("receiver", tAny, "receiver"),
		tok("status", "status"),
		ref("supplier", tAny, "supplier"),
	},
	"SupplyRequest": {
		tok("identifier", "identifier"),
		tok("category", "category"),
		dat("date", "authoredOn"),
		ref("requester", tAny, "requester"),
		tok("status", "status"),
		ref("subject", tAny, "deliverTo"),
		ref("supplier", tAny, "supplier"),
	},
	"VisionPrescription": {
		tok("identifier", "identifier"),
		ref("patient", tPat, "patient"),
		dat("datewritten", "dateWritten"),
		ref("encounter", tEnc, "encounter"),
		ref("prescriber", tAny, "prescriber"),
		tok("status", "status"),
	},
}

// compiled parameter: definition plus parsed paths.
type cparam struct {
	def   ParamDef
	paths [][]step
}

type step struct {
	name   string
	fk, fv string // optional equality filter on a child string
}

var (
	compiled    = map[string][]*cparam{} // per type, sorted by name, common first
	compiledMap = map[string]map[string]*cparam{}
	commonComp  []*cparam
	commonMap   = map[string]*cparam{}
)

func compile(d ParamDef) *cparam {
	cp := &cparam{def: d}
	for _, p := range d.Paths {
		var steps []step
		for _, s := range strings.Split(p, ".") {
			st := step{name: s}
			if i := strings.IndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
				st.name = s[:i]
				st.fk, st.fv, _ = strings.Cut(s[i+1:len(s)-1], "=")
			}
			steps = append(steps, st)
		}
		cp.paths = append(cp.paths, steps)
	}
	return cp
}

func init() {
	for _, d := range commonDefs {
		cp := compile(d)
		commonComp = append(commonComp, cp)
		commonMap[d.Name] = cp
	}
	for typ, defs := range typeDefs {
		m := make(map[string]*cparam, len(defs)+len(commonDefs))
		for k, v := range commonMap {
			m[k] = v
		}
		var list []*cparam
		list = append(list, commonComp...)
		for _, d := range defs {
			if _, dup := m[d.Name]; dup {
				panic("search: duplicate parameter " + typ + "." + d.Name)
			}
			cp := compile(d)
			m[d.Name] = cp
			list = append(list, cp)
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].def.Name < list[j].def.Name })
		compiled[typ] = list
		compiledMap[typ] = m
		for _, d := range defs {
			if err := checkUnion(d, m); err != "" {
				panic("search: " + typ + "." + d.Name + ": " + err)
			}
		}
	}
	sort.SliceStable(commonComp, func(i, j int) bool { return commonComp[i].def.Name < commonComp[j].def.Name })
}

// checkUnion returns what is wrong with d's Union, if anything: its
// members must be stored parameters of d's type whose paths, in order, are
// d's; a reference union needs Targets, each of which its members allow.
func checkUnion(d ParamDef, m map[string]*cparam) string {
	if len(d.Union) == 0 {
		return ""
	}
	if d.Type == Reference && len(d.Targets) == 0 {
		return "a reference union needs target types"
	}
	var paths []string
	for _, name := range d.Union {
		cp, ok := m[name]
		switch {
		case !ok:
			return "union of unknown parameter " + name
		case cp.def.Type != d.Type || len(cp.def.Union) > 0:
			return "union member " + name + " is not a stored " + d.Type.String() + " parameter"
		}
		for _, t := range d.Targets {
			if len(cp.def.Targets) > 0 && !contains(cp.def.Targets, t) {
				return "union member " + name + " cannot refer to " + t
			}
		}
		paths = append(paths, cp.def.Paths...)
	}
	if strings.Join(paths, " | ") != strings.Join(d.Paths, " | ") {
		return "paths " + strings.Join(d.Paths, " | ") + " are not its members' " + strings.Join(paths, " | ")
	}
	return ""
}

// Stored returns the parameters whose index rows hold the values of the
// resource type's parameter name: its Union's members, else name itself.
// For a reference union, refersTo lists the types of the members'
// references that are its values (nil: all of the rows are).
func Stored(resourceType, name string) (params, refersTo []string) {
	if _, m := paramsFor(resourceType); m[name] != nil && len(m[name].def.Union) > 0 {
		d := m[name].def
		if d.Type == Reference {
			return d.Union, d.Targets
		}
		return d.Union, nil
	}
	return []string{name}, nil
}

func paramsFor(typ string) ([]*cparam, map[string]*cparam) {
	if l, ok := compiled[typ]; ok {
		return l, compiledMap[typ]
	}
	return commonComp, commonMap
}

// Params returns the search parameters of a resource type, keyed by name,
// including the common ones (_id, _lastUpdated, _tag, _security, _profile,
// _source). Unknown types get only the common parameters. The map is a fresh
// copy; the Paths/Targets slices are shared and must not be modified.
func Params(resourceType string) map[string]ParamDef {
	_, m := paramsFor(resourceType)
	out := make(map[string]ParamDef, len(m))
	for k, v := range m {
		out[k] = v.def
	}
	return out
}

// ResourceTypes returns the resource types with specific search parameters, sorted.
func ResourceTypes() []string {
	out := make([]string, 0, len(typeDefs))
	for t := range typeDefs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// knownType reports whether t is a resource type this package knows
// (search parameters or a data class).
func knownType(t string) bool {
	if _, ok := typeDefs[t]; ok {
		return true
	}
	_, ok := typeClass[t]
	return ok
}
