package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/carex-project/carex/fhir"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
)

// The IG officers' view of the access log (SPEC §6):
//
//	GET  /fhir/AuditEvent?patient=&agent=&date=&outcome=&_count=&_offset=
//	POST /fhir/AuditEvent/_search        (form body, same parameters)
//	GET  /fhir/AuditEvent/{seq}
//	GET  /fhir/AuditEvent/$who-accessed, $user-activity, $break-glass, $alerts (ig.go)
//
// Entries are mapped by auditlog.AuditEventJSON (IHE BALP shapes). Every
// route is for IG officers only (an audit role of the sharing policy,
// ig-officer by default): anyone else gets 403. Writes are 405: the log is
// written by the server, never through the API. Each of these requests is
// itself logged, with the patient it asked about.

const auditDefaultCount, auditMaxCount = 50, 1000

// auditRoutes registers the IG officers' view of the access log. Static
// /AuditEvent paths beat the /:type routes.
func (s *Server) auditRoutes(f *echo.Group) {
	f.GET("/AuditEvent", s.auditSearch)
	f.POST("/AuditEvent/_search", s.auditSearch)
	f.GET("/AuditEvent/:id", s.auditRead)
	f.GET("/AuditEvent/_history", s.auditHistory)
	f.GET("/AuditEvent/:id/_history", s.auditHistory)
	f.GET("/AuditEvent/:id/_history/:vid", s.auditHistory)
	s.igRoutes(f)
	for _, p := range []string{"/AuditEvent", "/AuditEvent/:id"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			f.Add(m, p, s.auditWrite)
		}
	}
}

// isAuditor: the role is an oversight (audit) role of the sharing policy.
func (s *Server) isAuditor(p *auth.Principal) bool {
	if p == nil {
		return false
	}
	if cp, ok := s.policy.(*ConsentPolicy); ok && cp.Policy != nil {
		if r := cp.Policy.Role(p.Role); r != nil {
			return r.Audit
		}
		return false
	}
	return p.Role == "ig-officer"
}

// igBegin admits and names an IG request, then refuses anyone who is not
// an IG officer.
func (s *Server) igBegin(c echo.Context, op string) (*Exchange, *auth.Principal, error) {
	x, p, err := s.begin(c, op)
	x.Type = "AuditEvent"
	if err == nil && !s.isAuditor(p) {
		err = fmtErr(ErrForbidden, "the access log is for information governance officers only (role ig-officer)")
	}
	if err != nil {
		// The person whose log entries were asked for is named, as a
		// refused $explain names them: their $who-accessed shows who tried
		// to find out who looked at their record.
		x.Patient = askedPatient(c)
		return x, p, err
	}
	if s.cfg.AuditLog == nil {
		return x, p, fmtErr(ErrNotSupported, "the access log is not enabled on this server")
	}
	return x, p, nil
}

// askedPatient is the person a refused IG request named (patient=ID or
// Patient/ID, in the query or a POST _search form), "" when it named no
// one or not one id.
func askedPatient(c echo.Context) string {
	v := c.QueryParam("patient")
	if v == "" && c.Request().Method == http.MethodPost {
		if form, err := postForm(c); err == nil {
			v = form.Get("patient")
		}
	}
	v = strings.TrimSpace(v)
	if i := strings.LastIndex(v, "Patient/"); i >= 0 {
		v = v[i+len("Patient/"):]
	}
	if strings.ContainsAny(v, ",/") {
		return ""
	}
	return v
}

func (s *Server) auditWrite(c echo.Context) error {
	x := exchangeOf(c)
	x.Operation, x.Type, x.ID = "audit-write", "AuditEvent", c.Param("id")
	return &notAllowed{"the access log is read-only: AuditEvents are written by carex itself, one per request", "GET, HEAD"}
}

func (s *Server) auditHistory(c echo.Context) error {
	if _, _, err := s.igBegin(c, "audit-history"); err != nil {
		return err
	}
	return fmtErr(ErrBadRequest, "AuditEvents have no history: every entry is immutable; read AuditEvent/{seq}")
}

func (s *Server) fhirOptions(c echo.Context) auditlog.FHIROptions {
	return auditlog.FHIROptions{Observer: "carex", Site: s.base(c)}
}

func (s *Server) auditRead(c echo.Context) error {
	x, _, err := s.igBegin(c, "audit-read")
	if err != nil {
		return err
	}
	seq, perr := strconv.ParseInt(c.Param("id"), 10, 64)
	if perr != nil || seq < 0 {
		return fmtErr(store.ErrNotFound, "AuditEvent/%s: access log entries are numbered 0, 1, 2, …", c.Param("id"))
	}
	e, _, err := s.cfg.AuditLog.Get(c.Request().Context(), seq)
	if err != nil {
		if strings.Contains(err.Error(), "no entry") {
			return fmtErr(store.ErrNotFound, "AuditEvent/%d is not in the access log", seq)
		}
		return err
	}
	x.Patient, x.Patients = e.Patient, slices.Clone(e.Patients)
	x.Released = []string{"AuditEvent/" + strconv.FormatInt(seq, 10)}
	var h http.Header
	if s.logWarning() != "" {
		// One entry has no room for an OperationOutcome: a header says it
		// (review 93a: the entry a report row names was shown as logged).
		h = http.Header{"Warning": {`199 carex "the access log does not verify: entries may have been changed since they were logged; see any AuditEvent search, or run carex audit verify"`}}
	}
	return respond(c, http.StatusOK, auditlog.AuditEventJSON(e, s.fhirOptions(c)), h)
}

// auditParams reads the query (and, for POST _search, the form body).
func auditParams(c echo.Context) (url.Values, error) {
	vals := url.Values{}
	for k, v := range c.QueryParams() {
		vals[k] = v
	}
	if c.Request().Method == http.MethodPost {
		form, err := postForm(c)
		if err != nil {
			return nil, fmtErr(ErrBadRequest, "POST _search needs an application/x-www-form-urlencoded body")
		}
		for k, v := range form {
			vals[k] = append(vals[k], v...)
		}
	}
	return vals, nil
}

// auditQuery turns search parameters into an access-log query. allowed
// lists the parameters beyond _format, and beyond _count and _offset for a
// paged search; a report lists every entry it selects (up to its limit),
// so paging parameters there are refused rather than ignored.
func auditQuery(vals url.Values, paged bool, loc *time.Location, allowed ...string) (auditlog.Query, error) {
	var q auditlog.Query
	q.Count = auditDefaultCount
	if paged {
		allowed = append(allowed, "_count", "_offset")
	}
	for k, vs := range vals {
		ok := k == "_format"
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			if !paged && (k == "_count" || k == "_offset") {
				return q, fmtErr(search.ErrUnknownParam, "%s: a report is not paged; it lists every entry it selects (up to %d): narrow it with date=ge…&date=lt…", k, reportMaxEntries)
			}
			return q, fmtErr(search.ErrUnknownParam, "parameter %q is not supported here (use %s)", k, strings.Join(allowed, ", "))
		}
		if k != "date" && len(vs) > 1 {
			return q, fmtErr(search.ErrBadValue, "%s given %d times: give it once", k, len(vs))
		}
		v := strings.TrimSpace(vs[0])
		switch k {
		case "patient":
			if i := strings.LastIndex(v, "Patient/"); i >= 0 {
				v = v[i+len("Patient/"):]
			}
			if v == "" || strings.ContainsAny(v, ",/") {
				return q, fmtErr(search.ErrBadValue, "patient=%q: give one patient id or Patient/id", vs[0])
			}
			q.Patient = v
		case "agent":
			// FHIR search escapes a comma in a value as \, (an unescaped
			// one is "or"): a directory name as sub, CN=…,OU=…, could not
			// be listed (review 90b).
			if v == "" || unescapedComma(v) {
				return q, fmtErr(search.ErrBadValue, "agent=%q: give one user (the token's sub; a comma in it written \\,)", vs[0])
			}
			// The AuditEvent's agent.who.identifier, system|sub, names
			// the user too (review 61e: it found nothing, read as "this
			// user accessed nothing"), exactly as the token gave it
			// (review 90b: a sub "Practitioner/123" was read as the
			// reference to user 123); another system is not a sub's (a
			// sub may hold "|" itself: auth0|…).
			if sub, ok := strings.CutPrefix(v, auditlog.SysCarexSub+"|"); ok {
				q.Sub = search.Unescape(sub)
				continue
			} else if sys, _, ok := strings.Cut(v, "|"); ok && (sys == "" || strings.Contains(sys, ":")) {
				return q, fmtErr(search.ErrBadValue, "agent=%q: the log names users by their token's sub (system %s): give the sub alone, or %s|sub", vs[0], auditlog.SysCarexSub, auditlog.SysCarexSub)
			}
			v = search.Unescape(v)
			// A reference, as agent.who is one (review 79c: Practitioner/okafor
			// and Organization/RCX found nothing, read as "accessed nothing"):
			// carex knows a user as Practitioner/<sub>.
			if typ, id, ok := agentReference(v); ok {
				switch typ {
				case "Practitioner":
					q.Sub = id
				case "Organization":
					q.Org = strings.ToUpper(id) // as tokens' are read
				default:
					return q, fmtErr(search.ErrBadValue, "agent=%q: the log names users by their token's sub (Practitioner/SUB) and organisations by their code (Organization/CODE), not a %s", vs[0], typ)
				}
				continue
			}
			q.Sub = v
		case "outcome":
			if i := strings.LastIndexByte(v, '|'); i >= 0 {
				v = v[i+1:]
			}
			switch v {
			case "0", "4", "8", "12":
				q.Outcome = v
			default:
				return q, fmtErr(search.ErrBadValue, "outcome=%q: use 0 (success), 4 (minor failure: 4xx), 8 (serious failure: 503/504) or 12 (major failure: other 5xx)", vs[0])
			}
		case "date":
			for _, d := range vs {
				if err := dateBound(&q, strings.TrimSpace(d), loc); err != nil {
					return q, err
				}
			}
		case "_count":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return q, fmtErr(search.ErrBadValue, "_count=%q: give a number from 0 to %d", v, auditMaxCount)
			}
			q.Count = min(n, auditMaxCount)
		case "_offset":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return q, fmtErr(search.ErrBadValue, "_offset=%q: give a number from 0", v)
			}
			q.Offset = n
		case "_before":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return q, fmtErr(search.ErrBadValue, "_before=%q: the paging links' cursor, an entry number from 1", v)
			}
			q.Before = n
		}
	}
	return q, nil
}

// dateBound narrows q's [From, To) by one date parameter (eq, ge, gt, le,
// lt; no prefix is eq: the period the value covers).
func dateBound(q *auditlog.Query, v string, loc *time.Location) error {
	prefix := "eq"
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
		prefix, v = v[:2], v[2:]
	}
	// A day is a day where IG works (the policy's alert zone), as the
	// alerts report counts hours there: not a UTC day.
	lo, hi, err := search.ParseDateIn(v, loc)
	if err != nil {
		return err
	}
	from, to := time.Time{}, time.Time{}
	switch prefix {
	case "eq":
		from, to = time.UnixMilli(lo), time.UnixMilli(hi+1)
	case "ge":
		from = time.UnixMilli(lo)
	case "gt":
		from = time.UnixMilli(hi + 1)
	case "le":
		to = time.UnixMilli(hi + 1)
	case "lt":
		to = time.UnixMilli(lo)
	default:
		return fmtErr(search.ErrBadValue, "date prefix %q: use eq, ge, gt, le or lt", prefix)
	}
	if !from.IsZero() && (q.From.IsZero() || from.After(q.From)) {
		q.From = from
	}
	if !to.IsZero() && (q.To.IsZero() || to.Before(q.To)) {
		q.To = to
	}
	return nil
}

func (s *Server) auditSearch(c echo.Context) error {
	x, _, err := s.igBegin(c, "audit-search")
	if err != nil {
		return err
	}
	vals, err := auditParams(c)
	if err != nil {
		return err
	}
	q, err := auditQuery(vals, true, s.alertThresholds().Location, "patient", "agent", "date", "outcome", "_before")
	if err != nil {
		return err
	}
	// The person's other records too (Patient.link), as $who-accessed.
	_, recordsIncomplete, err := s.auditPerson(c.Request().Context(), x, &q)
	if err != nil {
		return err
	}
	count := q.Count
	if count == 0 {
		q.Count = 1 // the total only
	}
	entries, total, err := s.cfg.AuditLog.Search(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if count == 0 {
		entries = nil
	}
	base := s.base(c)
	b := newBundle("searchset", base, nil)
	b.total = &total
	delete(vals, "_offset")
	delete(vals, "_count")
	if q.Before == 0 && q.Offset == 0 && len(entries) > 0 {
		// The pages of a first page's links stay the pages it began: the
		// log grows at the newest end (by this very request, too), and an
		// offset counted from there would show entries twice.
		vals.Set("_before", strconv.FormatInt(entries[0].Seq+1, 10))
	}
	b.pageLinks(base+"/AuditEvent", vals, count, q.Offset, total)
	opt := s.fhirOptions(c)
	shown := newShownPeople(x)
	person := personRecords(q.Patient, q.Also)
	hers := s.itemsOf(c.Request().Context(), person)
	for _, e := range entries {
		e = concerning(e, person, hers.of)
		b.addRaw(auditEntry(base, e, opt))
		x.Released = append(x.Released, "AuditEvent/"+strconv.FormatInt(e.Seq, 10))
		shown.add(e.PatientIDs()...)
	}
	// What $who-accessed says in otherRecordsIncomplete and
	// itemsIncomplete, a search says in an outcome entry.
	if recordsIncomplete {
		b.addRaw(incompleteOutcome(fmt.Sprintf("more than %d other records carry one of the person's NHS numbers or link to hers: accesses to the rest are not listed", reportSameNumber)))
	}
	if hers.incomplete {
		b.addRaw(incompleteOutcome(fmt.Sprintf("entries about several people list the person's items among the first %d looked up; later ones list none: ask for a smaller _count", maxReportItemLookups)))
	}
	if w := s.logWarning(); w != "" {
		b.addRaw(outcomeEntry("error", "exception", w))
	}
	return respond(c, http.StatusOK, b.json(), nil)
}

// incompleteOutcome is a search's outcome entry saying what it left out.
func incompleteOutcome(diagnostics string) []byte {
	return outcomeEntry("information", "incomplete", diagnostics)
}

// outcomeEntry is a search's outcome entry of one issue.
func outcomeEntry(severity, code, diagnostics string) []byte {
	return []byte(`{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"` + severity + `","code":"` + code + `","diagnostics":` +
		string(jsonString(diagnostics)) + `}]},"search":{"mode":"outcome"}}`)
}

func auditEntry(base string, e *auditlog.Entry, opt auditlog.FHIROptions) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"fullUrl":`)
	buf.Write(jsonString(base + "/AuditEvent/" + strconv.FormatInt(e.Seq, 10)))
	buf.WriteString(`,"resource":`)
	buf.Write(auditlog.AuditEventJSON(e, opt))
	buf.WriteString(`,"search":{"mode":"match"}}`)
	return buf.Bytes()
}

// respondJSON stages a plain JSON (non-FHIR) body.
func respondJSON(c echo.Context, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set(echo.HeaderContentType, "application/json; charset=utf-8")
	return respond(c, http.StatusOK, b, h)
}

// unescapedComma reports whether v holds a comma FHIR search does not
// escape (\,): a list of values.
func unescapedComma(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case ',':
			return true
		}
	}
	return false
}

// agentReference reads agent=Type/id, or an absolute URL ending in one. A
// sub holding "/" (a base64 one) is a reference only when what comes
// before it is a resource type.
func agentReference(v string) (typ, id string, ok bool) {
	if strings.Contains(v, "://") {
		n, ok := search.NormalizeReference(v)
		if !ok {
			return "", "", false
		}
		v = n
	}
	typ, id, ok = strings.Cut(v, "/")
	if !ok || id == "" || strings.Contains(id, "/") || !fhir.IsResourceType(typ) {
		return "", "", false
	}
	return typ, id, true
}
