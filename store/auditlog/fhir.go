package auditlog

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
)

// The FHIR view of the access log: each entry as an R4 AuditEvent shaped
// after the IHE Basic Audit Log Patterns (BALP):
//
//   - read, vread, history → type rest, subtype restful-interaction, action R
//     (BALP Read / PatientRead);
//   - search, $everything, AuditEvent searches and reports → type rest,
//     subtype search-type / operation, action E (BALP Query /
//     PatientQuery);
//   - create, update, delete → type rest, action C / U / D (BALP Create /
//     Update / Delete and their Patient… variants); transaction and batch → E;
//   - outcome by HTTP status: < 400 → 0, 4xx → 4, 503/504 (timed out,
//     cancelled, log unavailable) → 8, other 5xx → 12;
//   - agent[user]: who.identifier = token sub, who.display = name,
//     requestor true, role = carex role and sector, network = client
//     address, purposeOfUse = the token's purpose (+ v3-ActReason BTG under
//     break-glass); agent[organisation]: the user's organisation (ODS code
//     for the NHS); agent[server]: carex (DCM 110152 Destination Role ID);
//   - entity[transaction] (BALP XrequestId): the X-Request-Id, with details
//     decision, reason (one per code), withheld, break-glass-reason,
//     operation, method, path, status;
//   - entity[patient] (object-role 1) and entity[data] (object-role 4) for
//     each released Type/id/_history/v; a refused target as entity[data]
//     too; for queries entity[query] (object-role 24) holding the path (the
//     query string is never kept: it may hold personal data).
//
// AuditEventJSON is the one mapping: the API (/fhir/AuditEvent) and
// `carex audit export` both use it.

// Code systems used by the mapping.
const (
	SysDICOM            = "http://dicom.nema.org/resources/ontology/DCM"
	SysAuditEventType   = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	SysRestful          = "http://hl7.org/fhir/restful-interaction"
	SysParticipation    = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	SysActReason        = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	SysObjectRole       = "http://terminology.hl7.org/CodeSystem/object-role"
	SysEntityType       = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	SysSourceType       = "http://terminology.hl7.org/CodeSystem/security-source-type"
	SysBALPEntityType   = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
	SysCarexRole        = "https://carex.example/role"
	SysCarexSector      = "https://carex.example/sector"
	SysCarexSub         = "https://carex.example/sub"
	SysCarexOrg         = "https://carex.example/organisation"
	SysODS              = "https://fhir.nhs.uk/Id/ods-organization-code"
	SysNHSNumber        = "https://fhir.nhs.uk/Id/nhs-number"
	balpProfile         = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit."
	defaultObserverName = "carex"
)

// FHIROptions name the server in the AuditEvents it makes.
type FHIROptions struct {
	Observer string // source.observer display and server agent name; default "carex"
	Site     string // source.site, e.g. the deployment's base URL; optional
}

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type concept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text,omitempty"`
}

type identifier struct {
	System   string     `json:"system,omitempty"`
	Value    string     `json:"value"`
	Assigner *reference `json:"assigner,omitempty"`
}

type reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

type network struct {
	Address string `json:"address"`
	Type    string `json:"type,omitempty"`
}

type agent struct {
	Type         *concept   `json:"type,omitempty"`
	Role         []concept  `json:"role,omitempty"`
	Who          *reference `json:"who,omitempty"`
	Name         string     `json:"name,omitempty"`
	Requestor    bool       `json:"requestor"`
	Network      *network   `json:"network,omitempty"`
	PurposeOfUse []concept  `json:"purposeOfUse,omitempty"`
}

type detail struct {
	Type        string `json:"type"`
	ValueString string `json:"valueString"`
}

type entity struct {
	What        *reference `json:"what,omitempty"`
	Type        *coding    `json:"type,omitempty"`
	Role        *coding    `json:"role,omitempty"`
	Description string     `json:"description,omitempty"`
	Detail      []detail   `json:"detail,omitempty"`
}

type source struct {
	Site     string    `json:"site,omitempty"`
	Observer reference `json:"observer"`
	Type     []coding  `json:"type,omitempty"`
}

type meta struct {
	Profile []string `json:"profile,omitempty"`
}

type auditEvent struct {
	ResourceType   string    `json:"resourceType"`
	ID             string    `json:"id"`
	Meta           *meta     `json:"meta,omitempty"`
	Type           coding    `json:"type"`
	Subtype        []coding  `json:"subtype,omitempty"`
	Action         string    `json:"action,omitempty"`
	Recorded       string    `json:"recorded"`
	Outcome        string    `json:"outcome"`
	OutcomeDesc    string    `json:"outcomeDesc,omitempty"`
	PurposeOfEvent []concept `json:"purposeOfEvent,omitempty"`
	Agent          []agent   `json:"agent"`
	Source         source    `json:"source"`
	Entity         []entity  `json:"entity,omitempty"`
}

// Outcome is the AuditEvent outcome code for an HTTP status.
func Outcome(status int) string {
	switch {
	case status < 400:
		return "0"
	case status < 500:
		return "4"
	case status == 503 || status == 504:
		return "8"
	}
	return "12"
}

// kind classifies an operation: BALP pattern, restful-interaction subtype
// and AuditEvent action.
func kind(e *Entry) (pattern, subtype, action string) {
	switch e.Operation {
	case "read", "audit-read":
		return "Read", "read", "R"
	case "vread":
		return "Read", "vread", "R"
	case "history", "history-instance", "history-type", "history-system":
		st := e.Operation
		if st == "history" {
			st = "history-instance"
		}
		return "Read", st, "R"
	case "search", "audit-search":
		return "Query", "search-type", "E"
	case "everything":
		return "Query", "operation", "E"
	case "create":
		return "Create", "create", "C"
	case "update", "conditional-update":
		return "Update", "update", "U"
	case "delete":
		return "Delete", "delete", "D"
	case "transaction", "batch":
		return "", e.Operation, "E"
	}
	if strings.HasPrefix(e.Operation, "audit-") { // IG reports
		return "Query", "operation", "E"
	}
	switch e.Method { // refused before the handler named the operation
	case "POST":
		return "", "", "C"
	case "PUT", "PATCH":
		return "", "", "U"
	case "DELETE":
		return "", "", "D"
	}
	return "", "", "R"
}

// AuditEventJSON returns entry e as a FHIR R4 AuditEvent (JSON), id = seq.
func AuditEventJSON(e *Entry, o FHIROptions) []byte {
	b, _ := json.Marshal(AuditEvent(e, o))
	return b
}

// AuditEvent returns entry e as a FHIR R4 AuditEvent, ready for
// encoding/json.
func AuditEvent(e *Entry, o FHIROptions) any {
	if o.Observer == "" {
		o.Observer = defaultObserverName
	}
	pattern, subtype, action := kind(e)
	ae := &auditEvent{
		ResourceType: "AuditEvent",
		ID:           strconv.FormatInt(e.Seq, 10),
		Action:       action,
		Recorded:     e.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		Outcome:      Outcome(e.Status),
		Source: source{Site: o.Site, Observer: reference{Display: o.Observer},
			Type: []coding{{System: SysSourceType, Code: "4", Display: "Application Server"}}},
	}
	// Every pattern, Query too: BALP's Query and PatientQuery fix type to
	// rest, with subtype search (review 79c: DICOM 110112 broke the
	// profile each query event declares).
	ae.Type = coding{System: SysAuditEventType, Code: "rest", Display: "Restful Operation"}
	if subtype != "" {
		ae.Subtype = []coding{{System: SysRestful, Code: subtype}}
	}
	if pattern == "Query" {
		// BALP's Query slice: restful-interaction search, beside the
		// interaction itself (search-type, operation).
		ae.Subtype = append([]coding{{System: SysRestful, Code: "search"}}, ae.Subtype...)
	}
	if pattern != "" && e.Status < 400 {
		profile := pattern
		if e.Patient != "" {
			profile = "Patient" + pattern
		}
		ae.Meta = &meta{Profile: []string{balpProfile + profile}}
	}

	// outcomeDesc: decision, reasons, withheld, status, in words.
	desc := e.Decision
	if len(e.Reasons) > 0 {
		desc += ": " + strings.Join(e.Reasons, ", ")
	}
	if e.Withheld > 0 {
		desc += "; " + strconv.Itoa(e.Withheld) + " item(s) withheld"
	}
	if e.BreakGlass != "" {
		desc += "; break-glass"
	}
	ae.OutcomeDesc = strings.TrimPrefix(desc+"; HTTP "+strconv.Itoa(e.Status), "; ")

	var purposes []concept
	if e.Purpose != "" {
		purposes = append(purposes, concept{Coding: []coding{{System: SysActReason, Code: e.Purpose}}})
	}
	if e.BreakGlass != "" {
		purposes = append(purposes, concept{Coding: []coding{{System: SysActReason, Code: "BTG", Display: "break the glass"}}, Text: e.BreakGlass})
	}
	ae.PurposeOfEvent = purposes

	// agent[user]
	userType := coding{System: SysParticipation, Code: "IRCP", Display: "information recipient"}
	if action == "C" || action == "U" || action == "D" {
		userType = coding{System: SysParticipation, Code: "AUT", Display: "author (originator)"}
	}
	user := agent{Type: &concept{Coding: []coding{userType}}, Requestor: true, Name: e.Name, PurposeOfUse: purposes}
	if e.Sub != "" || e.Name != "" {
		user.Who = &reference{Display: e.Name}
		if e.Sub != "" {
			user.Who.Identifier = &identifier{System: SysCarexSub, Value: e.Sub}
			if e.Issuer != "" {
				// the token's issuer, which assigned the sub: a development
				// token's (carex-dev) is told from an identity
				// provider's user of the same sub (review 45b)
				user.Who.Identifier.Assigner = &reference{Display: e.Issuer}
			}
		}
	}
	if e.Role != "" {
		user.Role = append(user.Role, concept{Coding: []coding{{System: SysCarexRole, Code: e.Role}}})
	}
	if e.Sector != "" {
		user.Role = append(user.Role, concept{Coding: []coding{{System: SysCarexSector, Code: e.Sector}}})
	}
	if e.Client != "" {
		nt := "1" // machine name
		if net.ParseIP(e.Client) != nil {
			nt = "2" // IP address
		}
		user.Network = &network{Address: e.Client, Type: nt}
	}
	ae.Agent = append(ae.Agent, user)
	if e.Org != "" {
		sys := SysCarexOrg
		if e.Sector == "" || e.Sector == "nhs" {
			sys = SysODS
		}
		ae.Agent = append(ae.Agent, agent{
			Type: &concept{Coding: []coding{{System: SysParticipation, Code: "RESP", Display: "responsible party"}}},
			Who:  &reference{Reference: "Organization/" + e.Org, Identifier: &identifier{System: sys, Value: e.Org}},
		})
	}
	ae.Agent = append(ae.Agent, agent{
		Type: &concept{Coding: []coding{{System: SysDICOM, Code: "110152", Display: "Destination Role ID"}}},
		Who:  &reference{Display: o.Observer},
	})

	// entity[transaction]
	var details []detail
	add := func(k, v string) {
		if v != "" {
			details = append(details, detail{Type: k, ValueString: v})
		}
	}
	add("decision", e.Decision)
	for _, r := range e.Reasons {
		add("reason", r)
	}
	if e.Withheld > 0 {
		add("withheld", strconv.Itoa(e.Withheld))
	}
	add("break-glass-reason", e.BreakGlass)
	add("operation", e.Operation)
	add("method", e.Method)
	add("path", e.Path)
	add("status", strconv.Itoa(e.Status))
	tx := entity{Type: &coding{System: SysBALPEntityType, Code: "XrequestId", Display: "X-Request-Id"}, Detail: details}
	if e.RequestID != "" {
		tx.What = &reference{Identifier: &identifier{Value: e.RequestID}}
	}
	ae.Entity = append(ae.Entity, tx)

	if e.Patient == "" && len(e.Patients) == 0 && e.NHSNumber != "" {
		// A search by an NHS number that found no one: the number asked about.
		ae.Entity = append(ae.Entity, entity{What: &reference{Identifier: &identifier{System: SysNHSNumber, Value: e.NHSNumber}},
			Type: &coding{System: SysEntityType, Code: "1", Display: "Person"},
			Role: &coding{System: SysObjectRole, Code: "1", Display: "Patient"}})
	}
	// The NHS number is the first person's: the one the request opened
	// (or the only one), whom an entry naming several names first; or the
	// number a search asked for, whose match it decided, so named, first.
	for i, p := range e.PatientIDs() {
		pe := entity{What: &reference{Reference: "Patient/" + p},
			Type: &coding{System: SysEntityType, Code: "1", Display: "Person"},
			Role: &coding{System: SysObjectRole, Code: "1", Display: "Patient"}}
		if e.NHSNumber != "" && i == 0 {
			pe.What.Identifier = &identifier{System: SysNHSNumber, Value: e.NHSNumber}
		}
		ae.Entity = append(ae.Entity, pe)
	}
	if pattern == "Query" {
		ae.Entity = append(ae.Entity, entity{
			Type:        &coding{System: SysEntityType, Code: "2", Display: "System Object"},
			Role:        &coding{System: SysObjectRole, Code: "24", Display: "Query"},
			Description: strings.TrimSpace(e.Method + " " + e.Path),
		})
	}
	target := ""
	if e.ResourceType != "" && e.ResourceID != "" && !(e.ResourceType == "Patient" && e.ResourceID == e.Patient) {
		target = e.ResourceType + "/" + e.ResourceID
	}
	for _, r := range e.Released {
		if target != "" && (r == target || strings.HasPrefix(r, target+"/")) {
			target = ""
		}
		ae.Entity = append(ae.Entity, dataEntity(r))
	}
	if target != "" {
		ae.Entity = append(ae.Entity, dataEntity(target))
	}
	return ae
}

func dataEntity(ref string) entity {
	return entity{What: &reference{Reference: ref},
		Type: &coding{System: SysEntityType, Code: "2", Display: "System Object"},
		Role: &coding{System: SysObjectRole, Code: "4", Display: "Domain Resource"}}
}
