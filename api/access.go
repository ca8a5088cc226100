package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

const exchangeKey = "carex.exchange"

// Exchange is one request as the access log sees it: who asked, for what,
// what was decided, what was released. Handlers fill it in; the access
// middleware records it before any byte of the response is sent.
type Exchange struct {
	RequestID  string
	Time       time.Time
	Client     string
	Method     string
	Path       string
	Principal  *auth.Principal
	BreakGlass string
	Operation  string // read, vread, search, history, everything, create, update, delete, transaction, batch
	Type       string
	ID         string
	Patient    string   // the patient whose record was touched, when there is exactly one
	Patients   []string // the patients touched, when there were several
	NHSNumber  string   // that patient's NHS number, or the one searched for
	// restricted: the touched people whose record is restricted, whom the
	// reason restricted-patient concerns (the IG alert names them alone).
	restricted []string
	// claimed: the people reached through a claimed relationship
	// (CodeClaimedRelationship is theirs).
	claimed []string
	// withheldReasons: the reasons noted for items withheld (noteWithheld),
	// apart from those the record's opening noted.
	withheldReasons []string
	Released        []string // Type/id/_history/version of every resource sent
	Withheld        int
	// counted: the items an answer counted in its Bundle.total, which
	// tells the user of them though its page may send none of them
	// (_summary=count, _count=0, a page past the end).
	counted  int
	Decision string // permit, partial, deny, error
	Reasons  []string
	Status   int

	reply *reply
	// base is this server's base URL as the request reached it
	// (--base-url, else its scheme and host): an absolute reference to
	// a Patient elsewhere is refused (checkForeignPatientRefs).
	base string
	gate *gate // the consent decision context, when ConsentPolicy decides
	// bgSubject: the person a read's item is about (its subject), when it
	// belongs to several: the one its break-glass reason opens.
	bgSubject string
	bgPeople  []string // a single-item request's item, which several people share: its current version's people
	// bgTrace: a break-glass Patient search to find a person; every match
	// is decided under break-glass, none is granted.
	bgTrace bool
	// asksRedacted: the search matches, sorts or includes by an element a
	// restricted person's Patient has redacted (see asksRedacted).
	asksRedacted bool
	// asksPlaceIdentifier: the search matches or sorts by identifier on
	// a type other than a person's (see asksPlaceIdentifier).
	asksPlaceIdentifier bool
	// bareNumbers: the NHS numbers the search gives without a system
	// (see bareNumbers).
	bareNumbers [][]string
	// written: the people whose records the request's writes would change
	// (new and replaced versions), noted inside the writer's transaction
	// before the write decision, so that a refused write is logged against
	// them too. No lock: store.Commit returns after its callback has run.
	written []string
	// writtenSet: written as a set, so that noting a bundle's people one
	// write at a time is linear (review 47c: appendNew rebuilt it for each
	// write, 30,000 Patients in one transaction took 18 s).
	writtenSet map[string]bool
	// itemSubject: the person a single write's item is about, as its
	// transaction saw it (writeSubject); bodySubject: the one a body not
	// taken names (noteBody). The entry names them first (entrysubject.go).
	itemSubject, bodySubject string
	// sharedSeen: the current version, as decided, of the item a
	// single-item request found several people's (sharedItem)
	sharedSeen *store.Version
	// named: people named by released items that are in no one's
	// compartment ("nhs|number" for one named by NHS number alone),
	// resolved for the log entry (resolveNamed).
	named    []string
	namedSet map[string]bool // (noteNamed's: named as a set)
	// intents: the ids of the entries kept with this request's writes
	// (keepEntry), forgotten once its own entry, which carries them
	// (Entry.Kept), is durable.
	intents []string
}

// noteWritten notes people a write of this request would touch (nil x:
// carex import, an operator's offline load, which is no one's access).
func (x *Exchange) noteWritten(people []string) {
	if x == nil {
		return
	}
	if x.writtenSet == nil {
		x.writtenSet = map[string]bool{}
	}
	for _, p := range knownPeople(people) {
		x.written = addNew(x.written, x.writtenSet, p)
	}
	x.noteUnresolved(people)
}

// addNew appends v to list unless set, list's values, holds it already
// (and adds it there): appendNew without rebuilding the set each call.
func addNew(list []string, set map[string]bool, v string) []string {
	if set[v] {
		return list
	}
	set[v] = true
	return append(list, v)
}

// noteUnresolved notes the people an item names by an NHS number carex
// could not resolve when it was written, for resolveNamed to look up again
// (a Patient carrying it may have arrived since).
func (x *Exchange) noteUnresolved(people []string) {
	if x == nil || !hasUnresolved(people) {
		return
	}
	for _, p := range people {
		if unresolved(p) && p != unidentifiedPerson {
			x.noteNamed(p)
		}
	}
}

// noteNamed adds people to named, each once, in time linear in what it
// adds: a refused batch of 40,000 searches by NHS number took 44 s when
// each entry's number rebuilt the set of those before it.
func (x *Exchange) noteNamed(people ...string) {
	if x.namedSet == nil {
		x.namedSet = make(map[string]bool, len(x.named)+len(people))
		for _, p := range x.named {
			x.namedSet[p] = true
		}
	}
	for _, p := range people {
		x.named = addNew(x.named, x.namedSet, p)
	}
}

// maxNamedNumbers bounds the NHS numbers one entry resolves, in queries
// of numberChunk: they come from what writers stored (a ward list naming
// its patients by NHS number alone), not from what the reader asked, so
// the cost is bounded; below it every number is looked up, known or not.
const maxNamedNumbers = 2000

// resolveNamed turns the NHS numbers in x.named into the ids of the
// Patients that carry them, for the log entry only: nothing of them is
// released. A number no Patient carries names no one.
func (s *Server) resolveNamed(ctx context.Context, x *Exchange) {
	x.named = resolveNumbers(ctx, s.store, x.named)
	x.namedSet = nil // (named changed under it)
}

// resolveNumbers is people with each "nhs|number" marker replaced by the
// ids of the Patients in st that carry the number (none: dropped).
func resolveNumbers(ctx context.Context, st store.Store, people []string) []string {
	var out []string
	var numbers []search.Value
	for _, n := range people {
		if nhs, ok := strings.CutPrefix(n, byNumber); !ok {
			out = append(out, n)
		} else if len(numbers) < maxNamedNumbers {
			numbers = append(numbers, search.Value{System: fhir.NHSNumberSystem, Code: nhs})
		}
	}
	for len(numbers) > 0 {
		chunk := numbers[:min(numberChunk, len(numbers))]
		numbers = numbers[len(chunk):]
		q := &search.Query{Type: "Patient", Count: 2 * len(chunk), Clauses: []search.Clause{{Param: "identifier", Type: search.Token, Values: chunk}}}
		if res, err := st.Search(ctx, q, nil); err == nil {
			for _, v := range res.Items {
				out = append(out, v.ID)
			}
		}
	}
	return distinct(out)
}

// withheldWrite counts a write refused because it would replace an item
// withheld from the caller.
func (x *Exchange) withheldWrite() {
	if x == nil {
		return
	}
	x.Withheld++
}

// addReason adds a reason code to the entry, once.
func (x *Exchange) addReason(code string) {
	if !slices.Contains(x.Reasons, code) {
		x.Reasons = append(x.Reasons, code)
	}
}

// untold runs f, a decision made only to tell whether an item exists
// (Server.history), without noting why items were withheld: none of them
// is counted, and a permit logged sensitive-label (review 86a).
func (x *Exchange) untold(f func() error) error {
	if x.gate == nil {
		return f()
	}
	x.gate.mu.Lock()
	x.gate.untold = true
	x.gate.mu.Unlock()
	defer func() {
		x.gate.mu.Lock()
		x.gate.untold = false
		x.gate.mu.Unlock()
	}()
	return f()
}

// people are the people the request touched, for its log entry: the one,
// or several. The one a handler named (x.Patient, x.Patients) comes first;
// then everyone whose items were decided (a joint appointment in Jane's
// record names her husband too) and whose records a write would change
// (an item moved from one person to another names both).
func (x *Exchange) people() (one string, several []string) {
	var all []string
	if x.Patient != "" {
		all = append(all, x.Patient)
	}
	all = appendNew(all, x.Patients...)
	if x.gate != nil {
		one, several := x.gate.patients()
		if one != "" {
			several = []string{one}
		}
		all = appendNew(all, several...)
	}
	all = appendNew(all, x.written...)
	all = appendNew(all, x.named...)
	if x.Patient == "" {
		all = putFirst(all, x.itemSubject)
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return "", all
}

// outcome is the entry's decision when no stage set one: from its status
// and what it released and withheld.
func (x *Exchange) outcome() string {
	switch {
	case x.Withheld > 0 && len(x.Released) == 0 && x.counted == 0 && x.Status < 400:
		return "deny" // everything it touched withheld, as a read's (review 8: a count of what it may see is no denial)
	case x.Withheld > 0:
		return "partial"
	case x.Status >= 400:
		return "error"
	}
	return "permit"
}

type reply struct {
	status  int
	header  http.Header
	body    []byte
	outcome bool // body is an OperationOutcome made from an error
}

func exchangeOf(c echo.Context) *Exchange {
	x, _ := c.Get(exchangeKey).(*Exchange)
	return x
}

func fmtErr(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sentinel)
}

// Recorder writes an exchange to the access log. Record must return only
// once the entry is durable; an error means the response is not released.
type Recorder interface {
	Record(ctx context.Context, x *Exchange) error
}

type nopRecorder struct{}

func (nopRecorder) Record(context.Context, *Exchange) error { return nil }

// Policy is the decision stage of the request path.
type Policy interface {
	// Admit refuses a request outright (wrong purpose, role without access).
	Admit(ctx context.Context, p *auth.Principal, x *Exchange) error
	// OpenPatient refuses a user who may not open this patient's record.
	OpenPatient(ctx context.Context, p *auth.Principal, x *Exchange, patientID string) error
	// Visible returns the release filter for this principal, nil for all.
	Visible(ctx context.Context, p *auth.Principal, x *Exchange) store.Visible
	// MayWrite refuses a write; existing is the current version or nil.
	// x, the request's entry, is told why an existing item the caller may
	// not see was withheld.
	MayWrite(ctx context.Context, p *auth.Principal, x *Exchange, w *store.Write, existing *store.Meta, batch []*store.Write) error
	// Label adds the sensitivity labels derived from the item's codes.
	Label(w *store.Write)
	// LabelText adds the labels derived from the codes written in the
	// text of the item's attachments (consent.Policy.TextLabels).
	LabelText(w *store.Write, texts [][]byte)
}

// DirectCarePurposes are the purposes of use carex serves by default.
var DirectCarePurposes = []string{"TREAT", "ETREAT", "COC"}

// OpenPolicy admits direct-care purposes only and releases everything
// else: for tests of the plumbing and for benchmarks that measure the cost
// of the sharing decision. Servers use ConsentPolicy.
type OpenPolicy struct{}

func (OpenPolicy) Admit(_ context.Context, p *auth.Principal, x *Exchange) error {
	for _, ok := range DirectCarePurposes {
		if p.Purpose == ok {
			return nil
		}
	}
	return fmtErr(ErrForbidden, "purpose of use %q is not direct care: carex serves %s only", p.Purpose, strings.Join(DirectCarePurposes, ", "))
}

func (OpenPolicy) OpenPatient(context.Context, *auth.Principal, *Exchange, string) error { return nil }

func (OpenPolicy) Visible(context.Context, *auth.Principal, *Exchange) store.Visible { return nil }

func (OpenPolicy) MayWrite(context.Context, *auth.Principal, *Exchange, *store.Write, *store.Meta, []*store.Write) error {
	return nil
}

func (OpenPolicy) Label(*store.Write) {}

func (OpenPolicy) LabelText(*store.Write, [][]byte) {}

// access is the log stage: it runs the rest of the chain, turns an error
// into its OperationOutcome, records the exchange durably, and only then
// sends the response. If the entry cannot be recorded nothing is released.
func (s *Server) access(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		x := exchangeOf(c)
		err := next(c)
		// The break-glass grants the request made are stored once its
		// entry is durable (below), not before: a grant stored with no
		// entry (the log failed, or the server stopped, in between) let
		// its user into the record for hours with no stated reason in the
		// log, and IG's list of break-glass accesses, which finds the
		// accesses under a grant through the entry that opened it, showed
		// none of them. Nor can a grant that fails turn a committed change
		// into an error answer.
		grants := x.gate != nil && err == nil
		if x.Principal == nil {
			x.Principal = auth.PrincipalFrom(c)
		}
		if err != nil {
			if x.Operation == "" {
				// Refused before its handler began (a token, a media type,
				// a size, a method): named from its route (review 21c: such
				// entries said neither what was asked nor of what).
				x.Operation = routeOperation(c.Request().Method, c.Path())
				if x.Type == "" {
					pathNames(c, x)
				}
			}
			s.setError(c, x, err)
			s.refusedItemNames(context.WithoutCancel(c.Request().Context()), c, x)
		}
		if x.reply == nil {
			return nil // the handler wrote its own response (metrics)
		}
		x.Status = x.reply.status
		if x.Decision == "" {
			x.Decision = x.outcome()
		}
		// What the entry says is looked up whatever the client does: a
		// client that hung up after its change was stored cancelled the
		// request's context, and the entry went without the NHS number.
		logCtx := context.WithoutCancel(c.Request().Context())
		s.resolveNamed(logCtx, x)
		if cp, ok := s.policy.(*ConsentPolicy); ok {
			cp.noteRestrictedWritten(logCtx, x)
		}
		// The NHS number is that of the person whose record the request
		// opened (or, failing that, of the only one it touched), though
		// it touched others too.
		opened := x.Patient
		x.Patient, x.Patients = x.people()
		s.subjectFirst(logCtx, x)
		if opened == "" {
			opened = x.Patient
		}
		if opened != "" && x.gate != nil {
			if nhs := x.gate.nhsNumber(logCtx, opened); nhs != "" {
				x.NHSNumber = nhs
			}
		}
		if recorded(c) {
			x.bound()
			if rerr := s.rec.Record(c.Request().Context(), x); rerr != nil {
				s.log.Error("access log write failed: response withheld", "request_id", x.RequestID, "err", rootCause(rerr))
				s.setError(c, x, accessLogFailed(x.Operation, x.Status))
			} else {
				if x.Status < 400 {
					s.store.ForgetIntents(x.intents...)
				}
				// else a change answered with an error after its commit (a
				// handler that panicked after it): this entry says error,
				// nothing released; the kept one, which says what was
				// stored, stays for the next start to add.
				if grants {
					if gerr := x.gate.flush(); gerr != nil {
						// The access is logged and stands; the next asks the
						// user to break glass again.
						s.log.Error("break-glass grant not stored", "request_id", x.RequestID, "err", rootCause(gerr))
					}
				}
			}
		}
		return s.send(c, x.reply)
	}
}

// accessLogFailed is what the caller is told when its request's entry
// could not be logged. A change is committed before its entry is written
// (with a copy of the entry kept beside it, which the next start adds to
// the log), so one answered 2xx was stored: the caller must not take the
// 500 for a failure and send it again.
func accessLogFailed(op string, status int) error {
	switch {
	case status >= 300 || op != "create" && op != "update" && op != "delete" && op != "transaction" && op != "batch":
		return fmt.Errorf("%w: nothing was released (carex releases nothing it cannot log); try again later and tell your service desk", ErrAccessLog)
	case op == "batch":
		return fmt.Errorf("%w: each batch entry answered 2xx was stored, each with its own access-log entry, but this batch's own entry could not be written; read back before sending it again, and tell your service desk", ErrAccessLog)
	}
	return fmt.Errorf("%w: the change was stored, but its access-log entry could not be written (a copy kept with the change is added to the log when carex next starts); do not send it again (read it back once carex works again), and tell your service desk", ErrAccessLog)
}

// maxLoggedValue bounds what of a request's URL an entry keeps: the log
// can never be pruned, and a client without a token could otherwise add a
// megabyte to it with every request line.
const maxLoggedValue = 1024

// bound cuts what of the request the entry keeps to maxLoggedValue bytes a
// value: its path, type and id, and where the client's values reach the
// entry otherwise, the patient (an id), the break-glass reason (refused
// when too long, but logged) and the NHS number searched for.
func (x *Exchange) bound() {
	x.Path, x.Type, x.ID = boundLogged(x.Path), boundLogged(x.Type), boundLogged(x.ID)
	x.Patient, x.BreakGlass, x.NHSNumber = boundLogged(x.Patient), boundLogged(x.BreakGlass), boundLogged(x.NHSNumber)
	if slices.ContainsFunc(x.Patients, func(p string) bool { return len(p) > maxLoggedValue }) {
		ps := make([]string, len(x.Patients))
		for i, p := range x.Patients {
			ps[i] = boundLogged(p)
		}
		x.Patients = ps
	}
}

// boundLogged is s, or its first maxLoggedValue bytes with its length and
// digest (so that IG can still tell two long values apart).
func boundLogged(s string) string {
	if len(s) <= maxLoggedValue {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return strings.ToValidUTF8(s[:maxLoggedValue], "") + fmt.Sprintf("…[%d bytes, sha256 %x]", len(s), sum[:8])
}

// recorded: every request that carries or needs a token is logged, FHIR
// or not (review 45b: /metrics and unknown paths checked a token and left
// no entry, so a stolen or forged one could be tried there unseen); the
// health probes and the public capability statement, which need none and
// carry no personal data, are not.
func recorded(c echo.Context) bool {
	r := c.Request()
	// By the route, not the decoded path: /fhir/%6Detadata is routed (by
	// the path as sent) as a search, not to the capability statement.
	switch c.Path() {
	case "/fhir/metadata":
		return r.Method != http.MethodGet && r.Method != http.MethodHead
	case "/healthz", "/readyz":
		return false
	}
	return true
}

// withheldError is a 404 that the sharing decision caused: the caller sees
// exactly the 404 of a resource that never existed, and the access log
// records a denial with what was withheld.
type withheldError struct{ notFound error }

func (e withheldError) Error() string { return e.notFound.Error() }
func (e withheldError) Unwrap() error { return e.notFound }

func withheldNotFound(format string, args ...any) error {
	return withheldError{fmtErr(store.ErrNotFound, format, args...)}
}

func (s *Server) setError(c echo.Context, x *Exchange, err error) {
	o := classify(err)
	o.text = routeText(err, c, o.text)
	var we withheldError
	withheld := errors.As(err, &we) && x.Withheld > 0
	if o.status >= 500 && o.status != http.StatusNotImplemented {
		// (501: a capability this server leaves out, such as the access
		// log's reports on a --bench-no-privacy server, is no fault.)
		// Only the innermost cause: the layers above it name what failed
		// ("read Patient/<id>: …"), and an id may be an NHS number.
		s.log.Error("request failed", "request_id", x.RequestID, "method", x.Method, "route", c.Path(), "err", rootCause(err))
	}
	h := http.Header{}
	var ae *auth.AuthError
	if errors.As(err, &ae) {
		h.Set("WWW-Authenticate", ae.WWWAuthenticate())
	}
	var na *notAllowed
	if errors.As(err, &na) {
		h.Set("Allow", na.allow)
	}
	severity := "error"
	if o.status >= 500 {
		severity = "fatal"
	}
	switch {
	case o.status == http.StatusForbidden:
		x.Decision = "deny"
	case withheld:
		x.Decision = "deny"
	default:
		if x.Decision == "" || x.Decision == "permit" {
			x.Decision = "error"
		}
	}
	if withheld {
		x.Reasons = append(x.Reasons, "withheld")
	} else {
		x.Reasons = append(x.Reasons, o.code)
		x.Withheld = 0
	}
	x.Released = nil
	x.reply = &reply{status: o.status, header: h, body: fhir.OperationOutcome(severity, o.code, o.text), outcome: true}
}

// rootCause is the innermost error err wraps (the first of several).
func rootCause(err error) error {
	for {
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if es := u.Unwrap(); len(es) > 0 {
				next = es[0]
			}
		}
		if next == nil {
			return err
		}
		err = next
	}
}

func (s *Server) send(c echo.Context, r *reply) error {
	hdr := c.Response().Header()
	for k, v := range r.header {
		hdr[k] = v
	}
	// A record is personal data: no cache on its way (a shared proxy, the
	// browser of a tablet used on home visits) may keep a copy.
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if r.body == nil {
		return c.NoContent(r.status)
	}
	ct := fhirJSON
	if v := r.header.Get(echo.HeaderContentType); v != "" {
		ct = v // (the metrics' text format)
	}
	if c.Request().Method == http.MethodHead {
		hdr.Set(echo.HeaderContentType, ct)
		return c.NoContent(r.status)
	}
	return c.Blob(r.status, ct, r.body)
}

// respond stages a successful response; access sends it after logging.
func respond(c echo.Context, status int, body []byte, h http.Header) error {
	if h == nil {
		h = http.Header{}
	}
	exchangeOf(c).reply = &reply{status: status, header: h, body: body}
	return nil
}

func setFailure(c echo.Context, status int, code string) {
	if x := exchangeOf(c); x != nil {
		x.Status = status
		x.Reasons = append(x.Reasons, code)
	}
}

// pathNames notes in a refused login's entry the resource and the person
// its path names, which is what is known of a request without a user: a
// GET /fhir/Patient/jane/$everything with a forged or expired token named
// no one, and was not among the attempts on Jane's record IG lists
// (review 12a).
// routeOperation is the operation the handler of route path (echo's
// pattern) answers method with, as begin names it; the method, in lower
// case, where the route has no handler of its own.
func routeOperation(method, path string) string {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	switch method + " " + path {
	case "GET /fhir/:type", "POST /fhir/:type/_search":
		return "search"
	case "POST /fhir/:type":
		return "create"
	case "PUT /fhir/:type", "PUT /fhir/:type/:id":
		return "update"
	case "DELETE /fhir/:type/:id":
		return "delete"
	case "GET /fhir/:type/:id":
		return "read"
	case "GET /fhir/:type/:id/_history/:vid":
		return "vread"
	case "GET /fhir/:type/:id/_history":
		return "history-instance"
	case "GET /fhir/:type/_history":
		return "history-type"
	case "GET /fhir/_history":
		return "history-system"
	case "GET /fhir/Patient/:id/$everything", "POST /fhir/Patient/:id/$everything":
		return "everything"
	case "GET /fhir/Patient/:id/$explain":
		return "explain"
	case "POST /fhir":
		return "transaction"
	}
	return strings.ToLower(method)
}

func pathNames(c echo.Context, x *Exchange) {
	if p := c.Path(); p == "/fhir/AuditEvent" || strings.HasPrefix(p, "/fhir/AuditEvent/$") {
		// A look at a person's log entries names them, as a user refused
		// as not an IG officer does (igBegin): their $who-accessed shows
		// that someone tried to find out who looked at their record
		// (review 13b). The query only: the body of a refused POST is
		// not read.
		x.Type = "AuditEvent"
		if c.Request().Method == http.MethodGet {
			x.Patient = askedPatient(c)
		}
		return
	}
	typ, id := c.Param("type"), c.Param("id")
	if strings.HasPrefix(c.Path(), "/fhir/Patient/") {
		typ = "Patient"
	}
	if c.Param("type") == "" && id == "" {
		// A method no route of the path has (405): echo gives no
		// parameters, but the path still names what was asked for
		// (review 22a: PATCH Patient/jane/$everything named no one).
		segs := strings.Split(strings.TrimPrefix(c.Request().URL.Path, "/fhir/"), "/")
		if strings.HasPrefix(c.Request().URL.Path, "/fhir/") && len(segs) >= 1 {
			typ = segs[0]
			if len(segs) >= 2 && segs[1] != "" && !strings.HasPrefix(segs[1], "_") && !strings.HasPrefix(segs[1], "$") {
				id = segs[1]
			}
		}
	}
	if !fhir.IsResourceType(typ) {
		return
	}
	x.Type, x.ID = typ, id
	if typ == "Patient" && id != "" {
		x.Patient = id
	}
	// (a POST _search's query too, as the search reads it: its body is
	// not read; review 13c)
	if id == "" && (c.Request().Method == http.MethodGet || strings.HasSuffix(c.Path(), "/_search")) {
		searchNames(c.QueryParams(), x)
	}
}

// refusedItemNames notes in the entry of a request for Type/id refused
// before the handler looked the item up (a purpose that is not direct
// care, no or a bad token; for a write also an invalid body, a malformed
// If-Match, PATCH) the people of the item stored there: its current
// version (the one asked for, in a vread), or its last when deleted, and a
// Binary's those of the item it is the content of. Review 14a: a PUT or
// DELETE of Jane's diagnosis by a token claiming the purpose "marketing"
// was refused and logged naming no one, so IG's $who-accessed?patient=jane
// did not list it, though the same write refused by the write decision
// (an IG officer's) was listed; a read with a stolen, expired token too.
// Only for the log: nothing of the item is released, and the answer is
// unchanged.
func (s *Server) refusedItemNames(ctx context.Context, c echo.Context, x *Exchange) {
	if one, several := x.people(); one != "" || len(several) > 0 {
		return // the decision (or the path: Patient/ID) named them
	}
	m, path := c.Request().Method, c.Path()
	if strings.HasPrefix(path, "/fhir/Patient/:id/$") {
		// $everything or $explain refused before its handler (406 for
		// _format=xml, 400 for a query that cannot be read) names the
		// person its path names, as a refused login's does (review 16e:
		// it named no one, where her _history refused alike named her).
		pathNames(c, x)
		return
	}
	if m == http.MethodPost && path == "/fhir" && refusedUnread(x) && x.Operation == "transaction" {
		// A batch or transaction refused before its handler (415 for its
		// media type) names its entries' people, as one refused for its
		// purpose does (review 22a: it named no one).
		if body, err := readBody(c); err == nil && len(body) > 0 {
			s.refusedBundleNames(ctx, x, body, s.base(c))
		}
		return
	}
	typ, id := c.Param("type"), c.Param("id")
	if (m == http.MethodPost && path == "/fhir/:type" || m == http.MethodPut && (path == "/fhir/:type/:id" || path == "/fhir/:type")) &&
		refusedUnread(x) && typ != "AuditEvent" && fhir.IsResourceType(typ) {
		// A create, update or conditional update refused before its body
		// was read names the people the body names, as one refused as
		// invalid does (review 16b: a Condition or a Consent of Jane's
		// sent with a token claiming the purpose "marketing" named no
		// one). What was read already (a body the handler took) is not
		// read again.
		if body, err := readBody(c); err == nil && len(body) > 0 {
			x.noteBody(body, typ)
		}
	}
	if x.reply != nil && x.reply.status == http.StatusMethodNotAllowed && x.Type != "" && x.ID != "" && x.Type != "AuditEvent" && fhir.IsResourceType(x.Type) {
		// A method the path has no route for names the item its path
		// names, whatever follows the id (review 23a: DELETE
		// Condition/diabetes/_history/1 and POST Condition/diabetes named
		// no one).
		s.noteItemPeople(ctx, x, x.Type, x.ID, 0)
		return
	}
	var version int64
	switch {
	case path == "/fhir/:type" && m != http.MethodPost || path == "/fhir/:type/_search" && m == http.MethodPost:
		// A search, or a conditional update (or delete, not supported),
		// names the one person its query names, as a search with it is
		// logged (review 15b: Condition?patient=jane by a token claiming
		// the purpose "marketing", and PUT Condition?patient=jane&
		// identifier=… with an expired token, named no one). Its query
		// only: which items it would match is not looked up.
		if typ == "" { // a 405 (DELETE) is routed without its parameters
			typ = strings.TrimPrefix(c.Request().URL.Path, "/fhir/")
		}
		if typ == "AuditEvent" || !fhir.IsResourceType(typ) {
			return
		}
		if x.Type == "" {
			x.Type = typ
		}
		q := c.QueryParams()
		if m == http.MethodPost && refusedUnread(x) {
			// A POST _search's parameters are in its form body, as the
			// search reads them (review 16b: patient=jane there, by a
			// token claiming the purpose "marketing", named no one).
			if form, err := postForm(c); err == nil && len(form) > 0 {
				q = cloneValues(q)
				for k, v := range form {
					q[k] = append(q[k], v...)
				}
			}
		}
		searchNames(q, x)
		return
	case (m == http.MethodPut || m == http.MethodDelete || m == http.MethodPatch) && path == "/fhir/:type/:id":
	case (m == http.MethodGet || m == http.MethodHead) && (path == "/fhir/:type/:id" || path == "/fhir/:type/:id/_history"):
	case (m == http.MethodGet || m == http.MethodHead) && path == "/fhir/:type/:id/_history/:vid":
		n, err := strconv.ParseInt(c.Param("vid"), 10, 64)
		if err != nil || n < 1 {
			return
		}
		version = n
	default:
		return
	}
	if id == "" || typ == "AuditEvent" || !fhir.IsResourceType(typ) {
		return
	}
	s.noteItemPeople(ctx, x, typ, id, version)
}

func (s *Server) noteItemPeople(ctx context.Context, x *Exchange, typ, id string, version int64) {
	var v *store.Version
	var err error
	if version > 0 {
		v, err = s.store.VRead(ctx, typ, id, version)
	} else {
		v, err = s.store.Read(ctx, typ, id)
	}
	if v == nil || err != nil && !errors.Is(err, store.ErrGone) {
		return
	}
	x.noteWritten(v.Patients)
	if cp, ok := s.policy.(*ConsentPolicy); ok && typ == "Binary" {
		if now, _, err := cp.binaryNow(ctx, &v.Meta); err == nil && now != nil {
			x.noteWritten(now.Patients)
		}
	}
}

// searchedPerson is the one person a search names as the search itself
// reads its query (patientParam, patientByID): patient= or subject= in
// any form the search accepts (a bare id for subject, patient:Patient=),
// or a Patient search by _id; "" when it names none or several people.
// Review 13c: Condition?subject=jane, subject:Patient=jane and a
// parameter repeating the same person named Jane with a working token,
// and no one with an expired one.
func searchedPerson(q *search.Query) string {
	person := ""
	for _, cl := range q.Clauses {
		var id string
		switch {
		case cl.Param == "patient" || cl.Param == "subject":
			// A bare id is each type the parameter may name (subject=jane:
			// Patient/jane and Group/jane): the Patient among them is the
			// person; a Group is no one's.
			for _, v := range cl.Values {
				if p, ok := strings.CutPrefix(v.Ref, "Patient/"); ok {
					if id != "" && p != id {
						return ""
					}
					id = p
				}
			}
			if id == "" {
				continue // not a Patient (subject=Group/x)
			}
		case cl.Param == "_id" && q.Type == "Patient":
			if len(cl.Values) != 1 || cl.Modifier != "" {
				return ""
			}
			id = cl.Values[0].Code
		default:
			continue
		}
		if id == "" || strings.Contains(id, "/") || person != "" && id != person {
			return ""
		}
		person = id
	}
	return person
}

// searchedPeople are the people a search names by id, however many, at
// most maxSearchedNumbers, for the log: each Patient a reference
// parameter names (patient=, subject= with a bare id too, actor=Patient/…)
// and a Patient search's _id values; with opens, only those patient= and
// subject= name, whose records the search opens. Review 105a:
// Condition?patient=jane,bob that found nothing named neither in their
// reports, nor Appointment?actor=Patient/jane her; an OR list of five
// people raised no volume alert.
func searchedPeople(q *search.Query, opens bool) []string {
	var out []string
	for _, cl := range q.Clauses {
		subject := cl.Param == "patient" || cl.Param == "subject"
		for _, v := range cl.Values {
			var id string
			switch {
			case len(out) == maxSearchedNumbers:
				return out
			case subject || !opens && cl.Type == search.Reference:
				id, _ = strings.CutPrefix(v.Ref, "Patient/")
				if id == v.Ref {
					continue // not a Patient (subject=Group/x)
				}
			case !opens && cl.Param == "_id" && q.Type == "Patient" && cl.Modifier == "":
				id = v.Code
			}
			if id != "" && !strings.Contains(id, "/") && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// searchNames notes in a refused login's entry the one person a search
// names in its query, as the search would have been logged with a working
// token: patient=ID or subject=Patient/ID (Patient/ID or a bare id for
// patient), a Patient search by _id, or by NHS number — kept as searched
// for, and resolved to the person who carries it as the entry is made.
// GET /fhir/Condition?patient=jane with a stolen, expired token named no
// one, so it was not among the attempts on Jane's record IG lists
// (review 13b). A parameter given twice, or several people, names no one.
func searchNames(q url.Values, x *Exchange) {
	if sq, err := search.ParseQuery(x.Type, q); err == nil {
		if person := searchedPerson(sq); person != "" {
			x.Patient = person
			return
		}
		x.noteNamed(searchedPeople(sq, false)...)
		if nums := searchedNHSNumbers(sq); len(nums) > 0 {
			x.NHSNumber = nums[0]
			for _, nhs := range nums {
				x.noteNamed(byNumber + nhs)
			}
			return
		}
	}
	one := func(k string) string {
		if vs := q[k]; len(vs) == 1 && !strings.Contains(vs[0], ",") {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	var person string
	if v := one("patient"); v != "" {
		person = strings.TrimPrefix(v, "Patient/")
	} else if v := one("subject"); strings.HasPrefix(v, "Patient/") {
		person = strings.TrimPrefix(v, "Patient/")
	} else if x.Type == "Patient" && one("_id") != "" {
		person = one("_id")
	}
	if person != "" && !strings.Contains(person, "/") {
		x.Patient = person
		return
	}
	if x.Type != "Patient" {
		return
	}
	// By NHS number with its system, or bare, as the search reads a bare
	// value that is one (review 21c: Patient?identifier=9434765919,
	// refused, named no one).
	id := one("identifier")
	if sys, n, ok := strings.Cut(id, "|"); ok && fhir.IsNHSNumberSystem(sys) || !ok && id != "" {
		if !ok {
			n = id
		}
		if nhs, err := fhir.NormaliseNHSNumber(n); err == nil {
			x.NHSNumber = nhs
			x.noteNamed(byNumber + nhs)
		}
	}
}

// refusedUnread: the request was refused (403: its purpose, or its role;
// 415: its media type, review 21c; 406: the format it asked for, review
// 23a) by a valid token, so its body, if the
// handler did not read it, may be read for the log: the body limit holds
// it (a 401's body is never read, nor one refused as too large).
func refusedUnread(x *Exchange) bool {
	return x.Principal != nil && x.reply != nil && (x.reply.status == http.StatusForbidden || x.reply.status == http.StatusUnsupportedMediaType || x.reply.status == http.StatusNotAcceptable)
}

// cloneValues is a copy of v whose lists can be appended to.
func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
