package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
)

// IG reports (SPEC §6), FHIR operations on AuditEvent, IG officers only:
//
//	GET /fhir/AuditEvent/$who-accessed?patient=ID[&date=…][&_format=json|text|html]
//	    every request about one patient, oldest first: for a subject access
//	    request (text and html are printable)
//	GET /fhir/AuditEvent/$user-activity?agent=SUB[&date=…][&_format=…]
//	    what one user did, with a summary (distinct patients, operations,
//	    decisions, break-glass count, items withheld)
//	GET /fhir/AuditEvent/$break-glass[?date=…][&agent=…][&patient=…][&_format=…]
//	    every break-glass access with its reason
//	GET /fhir/AuditEvent/$alerts[?date=…]
//	    break-glass, unusual volume, out-of-hours and flagged-reason alerts,
//	    each listing its entries (AuditEvent/{seq}); default: the last 7 days
//
// The default format is plain JSON (application/json): a report object
// whose entries are auditlog.ReportEntry, each naming its AuditEvent. The
// listed entries are capped at reportMaxEntries (truncated: true); the
// user-activity summary and the alerts are computed over every entry in
// range, streamed from the log.

const reportMaxEntries = 10000

func (s *Server) igRoutes(f *echo.Group) {
	f.GET("/AuditEvent/$who-accessed", s.igWhoAccessed)
	f.GET("/AuditEvent/$user-activity", s.igUserActivity)
	f.GET("/AuditEvent/$break-glass", s.igBreakGlass)
	f.GET("/AuditEvent/$alerts", s.igAlerts)
}

// alertThresholds are the alert thresholds in force: the sharing policy's,
// where it sets them, over the access log's defaults.
func (s *Server) alertThresholds() auditlog.Thresholds {
	t := auditlog.DefaultThresholds()
	cp, ok := s.policy.(*ConsentPolicy)
	if !ok {
		return t
	}
	pol := cp.Policy
	if pol.AlertPatientsPerHour > 0 {
		t.PatientsPerHour = pol.AlertPatientsPerHour
	}
	if pol.AlertDayEnd > 0 {
		t.DayStart, t.DayEnd = pol.AlertDayStart, pol.AlertDayEnd
	}
	if pol.AlertZone != "" {
		if loc, err := time.LoadLocation(pol.AlertZone); err == nil {
			t.Location = loc
		}
	}
	return t
}

// breakGlassGrant is how long a break-glass grant lasts, "4h"; "" under a
// policy that is no sharing policy (tests).
func (s *Server) breakGlassGrant() string {
	cp, ok := s.policy.(*ConsentPolicy)
	if !ok || cp.Policy.BreakGlassGrant <= 0 {
		return ""
	}
	d := cp.Policy.BreakGlassGrant.String() // "4h0m0s"
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return d
}

// report is the JSON shape of the entry-listing reports.
type report struct {
	Report    string    `json:"report"`
	Generated time.Time `json:"generated"`
	Patient   string    `json:"patient,omitempty"`
	// OtherRecords: the person's other records (Patient.link), whose
	// entries the report lists too.
	OtherRecords []string `json:"otherRecords,omitempty"`
	// OtherRecordsIncomplete: more Patients carry one of her NHS numbers,
	// or link to her, than a report reads (reportSameNumber): accesses to
	// the rest are not listed.
	OtherRecordsIncomplete bool `json:"otherRecordsIncomplete,omitempty"`
	// LogDoesNotVerify: the server found the log altered (SetLogProblem).
	LogDoesNotVerify string `json:"logDoesNotVerify,omitempty"`
	// BreakGlassGrant: how long a grant lasts from the request that broke
	// glass (the policy's break-glass-grant), on the break-glass report,
	// so that IG can tell which later accesses a grant let through
	// (review 120b: nothing said when a grant ended).
	BreakGlassGrant string     `json:"breakGlassGrant,omitempty"`
	Agent           string     `json:"agent,omitempty"`
	From            *time.Time `json:"from,omitempty"`
	To              *time.Time `json:"to,omitempty"`             // exclusive
	Total           int        `json:"total"`                    // entries selected; for alerts, the alerts
	Scanned         int        `json:"entriesScanned,omitempty"` // alerts: the entries they were worked out from
	Truncated       bool       `json:"truncated,omitempty"`
	// ItemsIncomplete: entries about several people list her items only
	// up to maxReportItemLookups looked up; past that, none (narrow the
	// period).
	ItemsIncomplete bool                   `json:"itemsIncomplete,omitempty"`
	Summary         *auditlog.Activity     `json:"summary,omitempty"`
	Entries         []auditlog.ReportEntry `json:"entries"`
	Alerts          []alertOut             `json:"alerts,omitempty"`
	Threshold       *thresholdsOut         `json:"thresholds,omitempty"`
	x               *Exchange
	summarise       func(*auditlog.Entry)
	title           string
}

type alertOut struct {
	auditlog.Alert
	AuditEvents []string `json:"auditEvents"`
}

type thresholdsOut struct {
	PatientsPerHour int      `json:"patientsPerHour"`
	WorkingHours    string   `json:"workingHours"`
	TimeZone        string   `json:"timeZone"`
	WeekendsInHours bool     `json:"weekendsInHours"`
	ExemptRoles     []string `json:"exemptRoles"`
	AlertReasons    []string `json:"alertReasons"`
	BreakGlassGrant string   `json:"breakGlassGrant,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// runReport streams the entries q selects into r (listing at most
// reportMaxEntries) and sends it in the format asked for.
func (s *Server) runReport(c echo.Context, r *report, q auditlog.Query, format string) error {
	q.Count, q.Offset = 0, 0
	r.Generated = time.Now().UTC().Truncate(time.Second)
	r.From, r.To = timePtr(q.From), timePtr(q.To)
	r.Entries = []auditlog.ReportEntry{}
	shown := newShownPeople(r.x)
	person := personRecords(r.Patient, q.Also)
	hers := s.itemsOf(c.Request().Context(), person)
	err := s.cfg.AuditLog.Scan(c.Request().Context(), q, func(e *auditlog.Entry) error {
		r.Total++
		if r.summarise != nil {
			r.summarise(e)
		}
		if len(r.Entries) < reportMaxEntries {
			e = concerning(e, person, hers.of)
			r.Entries = append(r.Entries, e.Report())
			r.x.Released = append(r.x.Released, "AuditEvent/"+strconv.FormatInt(e.Seq, 10))
			shown.add(e.PatientIDs()...)
		} else {
			r.Truncated = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.ItemsIncomplete = hers.incomplete
	if r.Summary != nil {
		shown.add(r.Summary.Patients...) // every person the summary names
	}
	return s.sendReport(c, r, format)
}

// personRecords is the set of a person's records (patient and others) a
// report or search is about; nil when it is about no one person.
func personRecords(patient string, others []string) map[string]bool {
	if patient == "" {
		return nil
	}
	m := map[string]bool{patient: true}
	for _, o := range others {
		m[o] = true
	}
	return m
}

// severalPeopleOps are the operations whose one entry may be about
// several people: what each released is not told apart by person.
// A write naming several people (a joint appointment's update or
// delete, refused as withheld under one of them's Consent) is one too
// (review 88b: Bob's consent-deny in Jane's report).
var severalPeopleOps = []string{"search", "history", "history-instance", "read", "vread", "history-type", "history-system", "transaction", "batch", "create", "update", "patch", "delete"}

// othersRestricted: the entry's restricted-person alert was raised for
// others alone (review 86a: her report of her own record's opening,
// holding a joint appointment, told her that he is in a refuge; 86b: so
// did one holding her carer's record, which carries his NHS number).
func othersRestricted(e *auditlog.Entry, person map[string]bool) bool {
	return len(e.Restricted) > 0 && !slices.ContainsFunc(e.Restricted, func(id string) bool { return person[id] })
}

// withoutRestrictedAlert is reasons without the restricted-person alert,
// which is raised for a restricted person alone (consent.Prepared.gate).
func withoutRestrictedAlert(reasons []string) []string {
	return slices.DeleteFunc(slices.Clone(reasons), func(r string) bool {
		return r == consent.CodeRestrictedPatient || r == "ig-alert"
	})
}

// concerning is e as it concerns the person whose records are person (a
// report or search about her; nil: e whole). An entry naming others too
// (a search matching several people, a record of someone else's naming
// her, an IG query) is shown without them: $who-accessed is printable for
// a subject access request, and told her about other people; and the IG
// request's own entry, naming everyone shown, made each of them seem
// looked at, every IG entry naming more people than the one before
// (review 17a: 10,500 in one 20-entry page after 100 IG queries). Where
// the request was about someone else (named first), their NHS number, path
// and resource go too; where it was about several (a search, a history, a
// bundle, an IG query), the items it released, which are not told apart
// by person. Her own record's opening ($everything of hers holding a
// joint appointment) keeps them. The entry read by its id (AuditEvent/seq)
// is shown whole.
func concerning(e *auditlog.Entry, person map[string]bool, hersItem func(string) bool) *auditlog.Entry {
	ids := e.PatientIDs()
	var others []string
	for _, id := range ids {
		if !person[id] {
			others = append(others, id)
		}
	}
	if person == nil {
		return e
	}
	if len(others) == 0 {
		if !othersRestricted(e, person) {
			return e
		}
		// (a restricted person the entry does not name: her carer's
		// record carrying his NHS number, review 86b)
		c := *e
		c.Restricted = nil
		c.Reasons = withoutRestrictedAlert(e.Reasons)
		return &c
	}
	c := *e
	c.Patient, c.Patients = "", nil
	for _, id := range ids {
		if person[id] {
			c.Patients = append(c.Patients, id)
		}
	}
	if len(c.Patients) == 1 {
		c.Patient, c.Patients = c.Patients[0], nil
	}
	c.Restricted = slices.DeleteFunc(slices.Clone(e.Restricted), func(id string) bool { return !person[id] })
	if othersRestricted(e, person) {
		c.Reasons = withoutRestrictedAlert(e.Reasons)
	}
	hers := person[ids[0]] // the request was about her (or named her first)
	if !hers {
		c.NHSNumber = ""
		if e.Patient != "" || slices.ContainsFunc(strings.Split(e.Path, "/"), func(seg string) bool { return slices.Contains(others, seg) }) {
			c.Path, c.ResourceType, c.ResourceID = "", "", ""
		}
	}
	// The request's decision, its reasons and how many items it withheld
	// are of everyone it was about (review 61e: Jane's report said of a
	// nurse's opening of Bob's record, naming her in a joint appointment,
	// "partial: claimed-relationship; 2 item(s) withheld": Bob's HIV and
	// mental health diagnoses, and his trust's claim): told only where the
	// request was about her alone, or her own record holding others.
	several := slices.Contains(severalPeopleOps, e.Operation) || strings.HasPrefix(e.Operation, "audit")
	if !hers || several {
		c.Withheld, c.Reasons = 0, nil
		c.Decision = "several-people"
		if !hers {
			c.Decision = "another-person"
			if c.BreakGlass != "" {
				c.BreakGlass = "(given for another person's record)"
			}
		}
	}
	// A history of a type or of the server (logged as history-type,
	// history-system) is several people's, as a search is: of what it
	// released, her items alone (review 18: her report lost them all, and
	// could not say what of hers a search had sent). So is an item's own
	// history or a version of it (history-instance, vread) naming others:
	// the item moved between people, and its versions are each one's
	// (review 19a: Bob's first version of a Condition later moved to Jane
	// went into her report). An IG query released log entries, not her
	// record.
	switch {
	case strings.HasPrefix(e.Operation, "audit"):
		c.Released = nil
	case several || !hers: // or someone else's record holding items of hers
		c.Released = herItems(e.Released, hersItem)
	}
	return &c
}

// herItems are the released items (Type/id/_history/n) for which hers is
// true; none when hers is nil.
func herItems(released []string, hers func(string) bool) []string {
	var out []string
	for _, ref := range released {
		if hers != nil && hers(ref) {
			out = append(out, ref)
		}
	}
	return out
}

// maxReportItemLookups bounds the versions one report or page reads to
// tell a person's items from others' in entries about several people.
const maxReportItemLookups = 10000

// itemLookup tells whether a released item was, at the version released,
// in the compartment of one of a person's records; each version is read
// once. Past maxReportItemLookups reads it answers false and is
// incomplete: an entry then lists fewer of her items, never another's.
type itemLookup struct {
	ctx        context.Context
	s          *Server
	person     map[string]bool
	seen       map[string]bool
	incomplete bool
}

// itemsOf is the lookup for the person whose records are person (nil:
// one that finds nothing).
func (s *Server) itemsOf(ctx context.Context, person map[string]bool) *itemLookup {
	return &itemLookup{ctx: ctx, s: s, person: person, seen: map[string]bool{}}
}

func (l *itemLookup) of(ref string) bool {
	if mine, ok := l.seen[ref]; ok {
		return mine
	}
	typ, id, ver, ok := refTarget(ref)
	switch {
	case !ok || ver == 0 || len(l.person) == 0:
		return false
	case typ == "Patient":
		return l.person[id]
	case len(l.seen) >= maxReportItemLookups:
		l.incomplete = true
		return false
	}
	v, err := l.s.store.VRead(l.ctx, typ, id, ver)
	mine := err == nil && v != nil && slices.ContainsFunc(l.people(&v.Meta), func(p string) bool { return l.person[p] })
	l.seen[ref] = mine
	return mine
}

// people are the people whose item the version m was as released: its
// compartment, but a Binary's, as the sharing decision follows it, are
// those of the item its securityContext names (binaryNow; review 19a: a
// letter moved from Bob to Jane was released, content and all, as hers,
// but its content was listed in Bob's report and not in hers). The item as
// it is now, not as it was at the release: a letter moved again since is
// listed with its new person. On an error, none (fewer of her items, never
// another's).
func (l *itemLookup) people(m *store.Meta) []string {
	if m.Type != "Binary" {
		return m.Patients
	}
	cp, ok := l.s.policy.(*ConsentPolicy)
	if !ok {
		return m.Patients
	}
	now, _, err := cp.binaryNow(l.ctx, m)
	if err != nil || now == nil {
		return nil
	}
	return now.Patients
}

// shownPeople collects the people whose entries an IG request sends, for
// its own entry (Exchange.Patients), as a read of one entry names them
// (auditRead): so that a person's $who-accessed lists the IG officers who
// looked at their entries, whichever way they were listed.
type shownPeople struct {
	x    *Exchange
	seen map[string]bool
}

// newShownPeople adds to x's people, each once beside those it names.
func newShownPeople(x *Exchange) *shownPeople {
	seen := map[string]bool{"": true, x.Patient: true}
	for _, p := range x.Patients {
		seen[p] = true
	}
	return &shownPeople{x: x, seen: seen}
}

func (sp *shownPeople) add(ids ...string) {
	for _, id := range ids {
		if !sp.seen[id] {
			sp.seen[id] = true
			sp.x.Patients = append(sp.x.Patients, id)
		}
	}
}

func reportFormat(c echo.Context) (string, error) {
	// Its parameters (fhirVersion) are acceptable's to judge (review 88b:
	// _format=html;fhirVersion=4.0 was a 400).
	f, _, _ := strings.Cut(c.QueryParam("_format"), ";")
	switch f = strings.TrimSpace(f); f {
	case "", "json", "application/json", "application/fhir+json", "application/fhir json":
		return "json", nil
	case "text", "text/plain":
		return "text", nil
	case "html", "text/html":
		return "html", nil
	default:
		return "", fmtErr(ErrBadRequest, "_format=%q: reports come as json, text or html", f)
	}
}

func (s *Server) igWhoAccessed(c echo.Context) error {
	x, _, err := s.igBegin(c, "audit-who-accessed")
	if err != nil {
		return err
	}
	format, err := reportFormat(c)
	if err != nil {
		return err
	}
	q, err := auditQuery(c.QueryParams(), false, s.alertThresholds().Location, "patient", "date")
	if err != nil {
		return err
	}
	if q.Patient == "" {
		return fmtErr(ErrBadRequest, "$who-accessed needs patient=ID (or Patient/ID)")
	}
	records, incomplete, err := s.auditPerson(c.Request().Context(), x, &q)
	if err != nil {
		return err
	}
	title := "Who accessed the record of patient " + q.Patient + alsoRecords(records)
	r := &report{Report: "who-accessed", Patient: q.Patient, OtherRecords: records, OtherRecordsIncomplete: incomplete, x: x, title: title}
	return s.runReport(c, r, q, format)
}

// alsoRecords is a report title's mention of the other records it lists.
func alsoRecords(also []string) string {
	if len(also) == 0 {
		return ""
	}
	return " (and their other records " + strings.Join(also, ", ") + ")"
}

// reportSameNumber bounds the Patients a report reads for each of the
// person's NHS numbers, and those linking to her: more than the sharing
// decision reads (maxSameNumber, past which it fails closed), as a report
// must name every record whose accesses it lists; past it, the report
// says it is incomplete.
const reportSameNumber = search.MaxCount

// otherRecords are the person's other records (as the sharing decision
// follows them: a merged duplicate's items are decided with the surviving
// record's objections): the records patient's Patient links to (its
// newest version that is not a delete marker), the Patients carrying one
// of its NHS numbers (deleted ones by their last), and the Patients that
// link to it (deleted ones by their last links). Their entries are the
// person's too.
func (s *Server) otherRecords(ctx context.Context, patient string) (out []string, incomplete bool, err error) {
	if !fhir.ValidID(patient) {
		return nil, false, nil // no Patient has it (a request may name any id: its entry keeps it)
	}
	// Followed until nothing new turns up, as the sharing decision follows
	// them (review 52a: a read of what the hospital's merged duplicate of
	// Jane held, two steps from her GP record, was missing from her
	// report), up to reportSameNumber records.
	seen := map[string]bool{patient: true}
	for queue, expanded := []string{patient}, 0; len(queue) > 0; expanded++ {
		if expanded > maxJoinedRecords {
			// (as person stops: a record past it is not followed, and
			// the report says it may be incomplete)
			return out, true, nil
		}
		next, more, err := s.recordsJoined(ctx, queue[0])
		if err != nil {
			return nil, false, err
		}
		queue = queue[1:]
		incomplete = incomplete || more
		for _, id := range next {
			if seen[id] {
				continue
			}
			if len(out) == reportSameNumber {
				return out, true, nil
			}
			seen[id] = true
			out = append(out, id)
			queue = append(queue, id)
		}
	}
	return out, incomplete, nil
}

// recordsJoined is otherRecords' one step: the records Patient patient
// links to, those carrying one of its numbers, and those linking to it.
func (s *Server) recordsJoined(ctx context.Context, patient string) (out []string, incomplete bool, err error) {
	if !fhir.ValidID(patient) {
		return nil, false, nil
	}
	res, err := s.store.History(ctx, "Patient", patient, time.Time{}, nil, store.Page{Count: 20})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	var numbers []string
	if err == nil {
		for _, v := range res.Items {
			if !v.Deleted && v.Raw != nil {
				m := decodeMap(v.Raw)
				var more bool
				out, more = patientLinks(patient, m)
				incomplete = incomplete || more // (review 82b)
				numbers = recordNumbers(m)      // and those it links to by identifier, as person joins them (review 38c)
				break
			}
		}
	}
	// records adds the Patients q finds and the deleted ones retired finds,
	// up to reportSameNumber each, noting when there were more.
	records := func(q *search.Query, retired func(ctx context.Context, key string, most int) ([]string, error), key string) error {
		found, err := s.store.Search(ctx, q, nil)
		if err != nil {
			return err
		}
		gone, err := retired(ctx, key, reportSameNumber+1)
		if err != nil {
			return err
		}
		incomplete = incomplete || found.Total > len(found.Items) || len(gone) > reportSameNumber
		ids := make([]string, 0, len(found.Items)+len(gone))
		for _, v := range found.Items {
			ids = append(ids, v.ID)
		}
		ids = slices.DeleteFunc(append(ids, gone[:min(len(gone), reportSameNumber)]...), func(id string) bool { return id == patient })
		out = appendNew(out, ids...) // (once: each call builds a set; per id, 1,000 records cost seconds)
		return nil
	}
	// The other Patients carrying one of its NHS numbers, whose items its
	// objections reach (person); deleted ones too, by their last numbers
	// (review 18a: once the GP deleted Patient/jane, accesses to what
	// remained filed under it left the report on the hospital's record of
	// her).
	for _, n := range numbers {
		if err := records(patientsNumbered(n, reportSameNumber), s.store.RetiredPatients, n); err != nil {
			return nil, false, err
		}
		// And those linking to it by identifier (review 38c), deleted
		// ones being among RetiredPatients already.
		if err := records(patientsLinkingByNumber(n, reportSameNumber), noRetired, n); err != nil {
			return nil, false, err
		}
	}
	// And those linking to it; deleted ones by their last links, as the
	// sharing decision follows them (review 18d: once the GP deleted the
	// merged duplicate Patient/jane-old, reads of what remained filed under
	// it left the reports on Jane's record).
	q, err := search.ParseQuery("Patient", url.Values{"link": {"Patient/" + patient}, "_count": {strconv.Itoa(reportSameNumber)}})
	if err != nil {
		return nil, false, err
	}
	if err := records(q, s.store.RetiredLinks, patient); err != nil {
		return nil, false, err
	}
	return out, incomplete, nil
}

// noRetired is otherRecords' look-up of deleted Patients where the other
// look-up already gives them.
func noRetired(context.Context, string, int) ([]string, error) { return nil, nil }

func (s *Server) igUserActivity(c echo.Context) error {
	x, _, err := s.igBegin(c, "audit-user-activity")
	if err != nil {
		return err
	}
	format, err := reportFormat(c)
	if err != nil {
		return err
	}
	q, err := auditQuery(c.QueryParams(), false, s.alertThresholds().Location, "agent", "date")
	if err != nil {
		return err
	}
	if q.Sub == "" {
		return fmtErr(ErrBadRequest, "$user-activity needs agent=SUB or Practitioner/SUB (the user's token sub)")
	}
	sum := &auditlog.Activity{}
	r := &report{Report: "user-activity", Agent: q.Sub, x: x, Summary: sum, summarise: sum.Add, title: "Activity of user " + q.Sub}
	return s.runReport(c, r, q, format)
}

func (s *Server) igBreakGlass(c echo.Context) error {
	x, _, err := s.igBegin(c, "audit-break-glass")
	if err != nil {
		return err
	}
	format, err := reportFormat(c)
	if err != nil {
		return err
	}
	q, err := auditQuery(c.QueryParams(), false, s.alertThresholds().Location, "agent", "patient", "date")
	if err != nil {
		return err
	}
	q.BreakGlassAccesses = true
	records, incomplete, err := s.auditPerson(c.Request().Context(), x, &q)
	if err != nil {
		return err
	}
	title := "Break-glass accesses"
	if q.Patient != "" {
		title += " to the record of patient " + q.Patient + alsoRecords(records)
	}
	r := &report{Report: "break-glass", Patient: q.Patient, OtherRecords: records, OtherRecordsIncomplete: incomplete, Agent: q.Sub, x: x, title: title,
		BreakGlassGrant: s.breakGlassGrant()}
	return s.runReport(c, r, q, format)
}

func (s *Server) igAlerts(c echo.Context) error {
	x, _, err := s.igBegin(c, "audit-alerts")
	if err != nil {
		return err
	}
	q, err := auditQuery(c.QueryParams(), false, s.alertThresholds().Location, "date")
	if err != nil {
		return err
	}
	format, err := reportFormat(c)
	if err != nil {
		return err
	}
	if q.From.IsZero() && q.To.IsZero() {
		q.From = time.Now().Add(-7 * 24 * time.Hour)
	}
	q.Count, q.Offset = 0, 0
	a := auditlog.NewAlerter(s.alertThresholds())
	total := 0
	// The hour before the period counts towards the volume rule (Lead): a
	// burst that straddles its start (23:30 to 00:30, for a day's
	// alerts) is the period's too; it was seen by neither day's report.
	sq, from := q, q.From
	if !from.IsZero() {
		sq.From = from.Add(-auditlog.VolumeWindow)
	}
	if err := s.cfg.AuditLog.Scan(c.Request().Context(), sq, func(e *auditlog.Entry) error {
		if e.Time.Before(from) {
			a.Lead(e)
			return nil
		}
		total++
		a.Add(e)
		return nil
	}); err != nil {
		return err
	}
	th := a.Thresholds()
	r := &report{Report: "alerts", Generated: time.Now().UTC().Truncate(time.Second), From: timePtr(q.From), To: timePtr(q.To),
		Scanned: total, Entries: []auditlog.ReportEntry{}, Alerts: []alertOut{}, title: "Access alerts",
		Threshold: &thresholdsOut{PatientsPerHour: th.PatientsPerHour, WorkingHours: hhmm(th.DayStart) + "-" + hhmm(th.DayEnd),
			TimeZone: th.Location.String(), WeekendsInHours: th.WeekendsInHours, ExemptRoles: th.ExemptRoles, AlertReasons: th.AlertReasons,
			BreakGlassGrant: s.breakGlassGrant()}}
	shown := newShownPeople(x)
	for _, al := range a.Alerts() {
		o := alertOut{Alert: al}
		shown.add(al.Patient)
		shown.add(al.People...) // a grouped alert of requests refused at login (review 31c)
		for _, seq := range al.Seqs {
			o.AuditEvents = append(o.AuditEvents, "AuditEvent/"+strconv.FormatInt(seq, 10))
		}
		r.Alerts = append(r.Alerts, o)
	}
	r.Total = len(r.Alerts)
	x.Released = nil // the alerts name entries; no entry content is sent
	return s.sendReport(c, r, format)
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// sendReport sends r as JSON, printable text or HTML.
func (s *Server) sendReport(c echo.Context, r *report, format string) error {
	r.LogDoesNotVerify = s.logWarning()
	if format == "json" {
		return respondJSON(c, r)
	}
	loc := s.alertThresholds().Location
	if r.Report == "alerts" {
		return s.sendAlerts(c, r, format, loc)
	}
	rows := make([][]string, 0, len(r.Entries))
	for _, e := range r.Entries {
		user := e.Name
		if e.Sub != "" {
			user = strings.TrimSpace(user + " (" + e.Sub + ")")
		}
		action := strings.TrimSpace(e.Operation + " " + e.Method + " " + e.Path)
		decision := e.Decision
		if len(e.Reasons) > 0 {
			decision += ": " + strings.Join(e.Reasons, ", ")
		}
		// The NHS number is the first person's (the one the request
		// opened, named first), of several too.
		people := e.Patients
		if e.Patient != "" {
			people = []string{e.Patient}
		}
		patient := strings.Join(people, ", ")
		switch {
		case e.NHSNumber != "" && len(people) > 0:
			patient = strings.Join(append([]string{people[0] + " (NHS " + e.NHSNumber + ")"}, people[1:]...), ", ")
		case e.NHSNumber != "":
			// An entry naming no one keeps the NHS number searched for (a
			// search that found no one, or was refused): the printed copy
			// shows it as the JSON does.
			patient = "NHS " + e.NHSNumber + " (no patient named)"
		}
		rows = append(rows, []string{
			e.Time.In(loc).Format("2006-01-02 15:04:05"), user, e.Role, e.Org, e.Purpose, action, patient,
			decision + " (HTTP " + strconv.Itoa(e.Status) + ")", strconv.Itoa(len(e.Released)), strconv.Itoa(e.Withheld), e.BreakGlass,
			strconv.FormatInt(e.Seq, 10),
		})
	}
	head := []string{"Time (" + loc.String() + ")", "User", "Role", "Organisation", "Purpose", "Action", "Patient", "Decision", "Items released", "Items withheld", "Break-glass reason", "Log entry"}
	intro := []string{
		"Period: " + r.period(loc),
		"Generated: " + r.Generated.In(loc).Format("2 Jan 2006 15:04:05") + " from the carex access log (each row names its entry; `carex audit verify` proves the log unaltered)",
		fmt.Sprintf("Accesses: %d", r.Total),
	}
	if r.LogDoesNotVerify != "" {
		intro = append([]string{"WARNING: " + r.LogDoesNotVerify}, intro...)
	}
	if r.BreakGlassGrant != "" {
		intro = append(intro, "Each break-glass grant lasts "+r.BreakGlassGrant+" from the request that broke glass (the sharing policy's break-glass-grant); an access after it is refused until glass is broken again")
	}
	if r.Truncated {
		intro = append(intro, fmt.Sprintf("Only the first %d are listed: narrow the period with date=ge…&date=lt…", len(r.Entries)))
	}
	if r.OtherRecordsIncomplete {
		intro = append(intro, fmt.Sprintf("More than %d other records carry one of the person's NHS numbers or link to hers: accesses to the rest are not listed", reportSameNumber))
	}
	if r.ItemsIncomplete {
		intro = append(intro, fmt.Sprintf("Entries about several people list the person's items among the first %d looked up; later ones list none: narrow the period with date=ge…&date=lt…", maxReportItemLookups))
	}
	if sm := r.Summary; sm != nil {
		intro = append(intro, fmt.Sprintf("Distinct patients: %d; break-glass: %d; items withheld: %d", len(sm.Patients), sm.BreakGlass, sm.Withheld))
	}
	return sendTable(c, format, r.title, intro, head, rows)
}

// sendAlerts sends the alerts report as printable text or HTML.
func (s *Server) sendAlerts(c echo.Context, r *report, format string, loc *time.Location) error {
	rows := make([][]string, 0, len(r.Alerts))
	for _, a := range r.Alerts {
		user := a.Sub
		if a.Name != "" {
			user = a.Name + " (" + a.Sub + ")"
		}
		seqs := make([]string, len(a.Seqs))
		for i, n := range a.Seqs {
			seqs[i] = strconv.FormatInt(n, 10)
		}
		rows = append(rows, []string{a.Kind, user, a.Role, a.Org, a.Patient,
			a.From.In(loc).Format("2006-01-02 15:04") + " to " + a.To.In(loc).Format("2006-01-02 15:04"), a.Detail, strings.Join(seqs, " ")})
	}
	head := []string{"Alert", "User", "Role", "Organisation", "Patient", "When (" + loc.String() + ")", "Detail", "Log entries"}
	intro := []string{
		"Period: " + r.period(loc),
		"Generated: " + r.Generated.In(loc).Format("2 Jan 2006 15:04:05") + " from the carex access log",
		fmt.Sprintf("Alerts: %d, from %d entries", r.Total, r.Scanned),
	}
	if r.LogDoesNotVerify != "" {
		intro = append([]string{"WARNING: " + r.LogDoesNotVerify}, intro...)
	}
	if th := r.Threshold; th != nil {
		intro = append(intro, fmt.Sprintf("Thresholds: more than %d patients in an hour; working hours %s %s (weekends in hours: %v); no volume or out-of-hours alerts for %s; alert reasons %s; a break-glass grant lasts %s",
			th.PatientsPerHour, th.WorkingHours, th.TimeZone, th.WeekendsInHours, strings.Join(th.ExemptRoles, ", "), strings.Join(th.AlertReasons, ", "), th.BreakGlassGrant))
	}
	return sendTable(c, format, r.title, intro, head, rows)
}

// period says which dates a report covers.
func (r *report) period(loc *time.Location) string {
	switch {
	case r.From != nil && r.To != nil:
		return r.From.In(loc).Format("2 Jan 2006 15:04") + " to " + r.To.In(loc).Format("2 Jan 2006 15:04")
	case r.From != nil:
		return "since " + r.From.In(loc).Format("2 Jan 2006 15:04")
	case r.To != nil:
		return "until " + r.To.In(loc).Format("2 Jan 2006 15:04")
	}
	return "all time"
}

// sendTable sends a report's title, introduction and table as printable
// text or HTML.
func sendTable(c echo.Context, format, title string, intro, head []string, rows [][]string) error {
	// the title too: it repeats the patient or user the query names as
	// written (review 13c)
	title = shownAsWritten(title)
	for i := range intro {
		intro[i] = shownAsWritten(intro[i])
	}
	for _, row := range rows {
		for i := range row {
			row[i] = shownAsWritten(row[i])
		}
	}
	h := http.Header{}
	var buf bytes.Buffer
	if format == "text" {
		h.Set(echo.HeaderContentType, "text/plain; charset=utf-8")
		fmt.Fprintf(&buf, "%s\n%s\n\n", title, strings.Repeat("=", len(title)))
		for _, l := range intro {
			buf.WriteString(l + "\n")
		}
		buf.WriteString("\n")
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		tw.Flush()
		return respond(c, http.StatusOK, buf.Bytes(), h)
	}
	h.Set(echo.HeaderContentType, "text/html; charset=utf-8")
	if err := reportHTML.Execute(&buf, map[string]any{"Title": title, "Intro": intro, "Head": head, "Rows": rows}); err != nil {
		return err
	}
	return respond(c, http.StatusOK, buf.Bytes(), h)
}

var reportHTML = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;font-size:11pt}table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;text-align:left;vertical-align:top}@media print{body{font-size:9pt}}</style>
</head><body>
<h1>{{.Title}}</h1>
{{range .Intro}}<p>{{.}}</p>
{{end}}<table>
<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
</body></html>
`))

// shownAsWritten returns s for a printed report's cell: a tab or line feed
// becomes a space, and any other character that does not show as written
// (a control character such as a carriage return or an escape, a
// bidirectional control such as U+202E, a line or paragraph separator)
// becomes [U+XXXX]. A request's path, which any user chooses, is printed
// in the row of its entry: such a character rewrote the row's start in a
// terminal or reversed its columns in a browser, so that it showed another
// user or patient (review 13b; review 12a refused them in a token's sub
// and name).
func shownAsWritten(s string) string {
	if auth.VisibleText(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n':
			b.WriteByte(' ')
		case r == utf8.RuneError || auth.HiddenRune(r):
			fmt.Fprintf(&b, "[U+%04X]", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// auditPerson settles whom an IG query's patient= names (patientOfNumber),
// logs the query against her, and gathers her other records into q.Also,
// the number as given among them, whose entries name her too; records is
// her other records alone, which a report lists as such (review 87a: a
// report asked by her number listed the number as one). incomplete: not
// all were read.
func (s *Server) auditPerson(ctx context.Context, x *Exchange, q *auditlog.Query) (records []string, incomplete bool, err error) {
	number, err := s.patientOfNumber(ctx, q)
	if err != nil {
		return nil, false, err
	}
	x.Patient = q.Patient
	if q.Patient == "" {
		return nil, false, nil
	}
	if records, incomplete, err = s.otherRecords(ctx, q.Patient); err != nil {
		return nil, false, err
	}
	q.Also = slices.Clone(records)
	for _, n := range number {
		q.Also = appendNew(q.Also, n)
	}
	return records, incomplete, nil
}

// patientOfNumber reads an IG query's patient= that is an NHS number no
// Patient has for its id as the person carrying it (review 79c: an
// officer looking Jane up by her number got an empty report, which read as
// "nobody accessed her record"). A record carrying it names her (the
// lower id of the first current and the first deleted one found); the
// report lists her other records, the rest among them, as for any
// record. A number no Patient carries is left as given: its report is
// empty because no record of it exists here.
// It returns the number as given and without spaces, whose own entries (a
// request naming Patient/NUMBER) the report lists too, as her other
// records.
func (s *Server) patientOfNumber(ctx context.Context, q *auditlog.Query) ([]string, error) {
	// With or without spaces, as SPEC takes NHS numbers (review 80a:
	// "943 476 5919" gave an empty report).
	n := strings.ReplaceAll(q.Patient, " ", "")
	if !fhir.ValidNHSNumber(n) {
		return nil, nil
	}
	if fhir.ValidID(q.Patient) {
		if _, err := s.store.History(ctx, "Patient", q.Patient, time.Time{}, nil, store.Page{Count: 1}); !errors.Is(err, store.ErrNotFound) {
			return nil, err // a Patient with this id (or a store error)
		}
	}
	found, err := s.store.Search(ctx, patientsNumbered(n, 1), nil)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(found.Items)+1)
	for _, v := range found.Items {
		ids = append(ids, v.ID)
	}
	gone, err := s.store.RetiredPatients(ctx, n, 1)
	if err != nil {
		return nil, err
	}
	ids = append(ids, gone...)
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	given := q.Patient
	q.Patient = ids[0]
	return distinct([]string{given, n}), nil
}
