package auditlog

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London on hosts without a zoneinfo database
)

// Querier is a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Scan calls fn for every entry q selects, oldest first, reading rows one
// at a time (nothing is held in memory). q.Count > 0 limits how many (from
// q.Offset); 0 means all. An error from fn stops the scan and is returned.
func Scan(ctx context.Context, db Querier, q Query, fn func(*Entry) error) error {
	if q.BreakGlassAccesses {
		return scanBreakGlass(ctx, db, q, fn)
	}
	cond, args, err := q.where(ctx, db)
	if err != nil {
		return err
	}
	query := `SELECT entry FROM audit_log` + cond + ` ORDER BY seq`
	if q.Count > 0 || q.Offset > 0 {
		limit := int64(q.Count)
		if limit <= 0 {
			limit = -1
		}
		query += ` LIMIT ? OFFSET ?`
		args = append(args, limit, max(q.Offset, 0))
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		e, err := Decode(b)
		if err != nil {
			return fmt.Errorf("auditlog: undecodable entry: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanBreakGlass gives the break-glass accesses q selects, in log order:
// the requests that carried a break-glass reason (their column is indexed)
// and the later requests of the same user for the same patient that the
// grant let through, whose decision carries the reason code break-glass.
// Those are found through the first kind, each user and patient that broke
// glass at any time (a grant may reach into q's dates from before them),
// read through the patient index.
func scanBreakGlass(ctx context.Context, db Querier, q Query, fn func(*Entry) error) error {
	type pair struct{ sub, patient string }
	broke := map[pair]int64{} // 1 + the first entry that broke glass
	var pairs []pair
	all := Query{Patient: q.Patient, Also: q.Also, Sub: q.Sub, Org: q.Org, BreakGlassOnly: true}
	if err := Scan(ctx, db, all, func(e *Entry) error {
		for _, id := range e.PatientIDs() { // a search may break glass for several
			if q.Patient != "" && id != q.Patient && !slices.Contains(q.Also, id) {
				continue
			}
			if p := (pair{e.Sub, id}); broke[p] == 0 {
				broke[p] = e.Seq + 1
				pairs = append(pairs, p)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	hq := q
	hq.BreakGlassAccesses, hq.BreakGlassOnly, hq.Count, hq.Offset = false, true, 0, 0
	var out []*Entry
	seen := map[int64]bool{}
	keep := func(e *Entry) error {
		if !seen[e.Seq] {
			seen[e.Seq] = true
			out = append(out, e)
		}
		return nil
	}
	if err := Scan(ctx, db, hq, keep); err != nil {
		return err
	}
	for _, p := range pairs {
		pq := q
		pq.BreakGlassAccesses, pq.Patient, pq.Also, pq.Sub, pq.Count, pq.Offset = false, p.patient, nil, p.sub, 0, 0
		if err := Scan(ctx, db, pq, func(e *Entry) error {
			if e.Seq >= broke[p] && (slices.Contains(e.Reasons, "break-glass") || slices.Contains(e.Reasons, "break-glass-override")) {
				return keep(e)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	slices.SortFunc(out, func(a, b *Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	if q.Offset > 0 {
		out = out[min(q.Offset, len(out)):]
	}
	if q.Count > 0 && len(out) > q.Count {
		out = out[:q.Count]
	}
	for _, e := range out {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Scan is the package Scan over the log's read pool, after Sync.
func (l *Log) Scan(ctx context.Context, q Query, fn func(*Entry) error) error {
	if err := l.Sync(ctx); err != nil {
		return err
	}
	return Scan(ctx, l.r, q, fn)
}

// Thresholds set when the IG alerts fire. The zero value means the
// defaults (DefaultThresholds); the policy file sets them.
type Thresholds struct {
	// PatientsPerHour: an alert when one user opens more than this many
	// distinct patients within any 60 minutes (default 50).
	PatientsPerHour int
	// DayStart and DayEnd bound working hours as offsets from local
	// midnight (default 07:00 and 19:00): access outside them is
	// out-of-hours.
	DayStart, DayEnd time.Duration
	// Location is the working hours' time zone (default Europe/London).
	Location *time.Location
	// WeekendsInHours: weekends and England and Wales's bank holidays count as
	// working hours (default false: every access on them is out-of-hours).
	WeekendsInHours bool
	// ExemptRoles' writes raise no volume or out-of-hours alert (default
	// "system": feeds run at night and touch many patients); their reads
	// do (exempt).
	ExemptRoles []string
	// AlertReasons: an entry whose decision carries one of these reason
	// codes raises an alert (default restricted-patient,
	// claimed-relationship, entry-recovered: a change logged at a restart,
	// its own entry lost).
	AlertReasons []string
}

// DefaultThresholds are the alert thresholds when the policy sets none.
func DefaultThresholds() Thresholds {
	return Thresholds{}.withDefaults()
}

func (t Thresholds) withDefaults() Thresholds {
	if t.PatientsPerHour <= 0 {
		t.PatientsPerHour = 50
	}
	if t.DayStart == 0 && t.DayEnd == 0 {
		t.DayStart, t.DayEnd = 7*time.Hour, 19*time.Hour
	}
	if t.Location == nil {
		loc, err := time.LoadLocation("Europe/London")
		if err != nil {
			loc = time.UTC
		}
		t.Location = loc
	}
	if t.ExemptRoles == nil {
		t.ExemptRoles = []string{"system"}
	}
	if t.AlertReasons == nil {
		t.AlertReasons = []string{"restricted-patient", "claimed-relationship", "entry-recovered"}
	}
	return t
}

// Alert kinds.
const (
	AlertBreakGlass = "break-glass"
	AlertVolume     = "volume"
	AlertOutOfHours = "out-of-hours"
	AlertReason     = "reason" // an entry carried one of Thresholds.AlertReasons
)

// Alert is one thing an IG officer should look at, with the entries (Seqs)
// that raised it.
type Alert struct {
	Kind    string    `json:"kind"`
	Sub     string    `json:"sub"`
	Name    string    `json:"name,omitempty"`
	Role    string    `json:"role,omitempty"`
	Org     string    `json:"org,omitempty"`
	Patient string    `json:"patient,omitempty"`
	Code    string    `json:"code,omitempty"` // the reason code of a reason alert
	From    time.Time `json:"from"`           // first entry
	To      time.Time `json:"to"`             // last entry
	Detail  string    `json:"detail"`
	Seqs    []int64   `json:"seqs"`
	// People: those an alert of requests with no user (refused at login)
	// named, at most maxAnonPeople of them (anonBreakGlass).
	People []string `json:"people,omitempty"`

	bgReasons []string // a break-glass alert's reasons, each once
	bgRefused []string // …those given for a break-glass that was refused
	bgUnused  []string // …those given with a request that opened no one under it
	grantUses int      // a break-glass alert's accesses under a grant
	bgAlong   []string // …reasons of break-glass into another's record that named this person
	alongUses int      // …accesses under another's grant that named this person

	anonRequests int // an alert of requests with no user: how many
	anonClient   string
	morePeople   bool // …naming more people than People holds
	moreReasons  bool // …giving more reasons than bgRefused holds
}

// Alerter computes alerts over entries given in log order, one at a time,
// keeping only the last hour of each user's accesses in memory.
type Alerter struct {
	th     Thresholds
	alerts []*Alert
	byKey  map[string]*Alert // open break-glass, out-of-hours and reason alerts
	users  map[string]*window
	// bgBundles: batches and transactions (user and request id) an entry
	// of which carried a break-glass reason: the bundle's own entry, which
	// follows its entries', is no alert of its own (review 31c).
	bgBundles map[string]bool
}

type window struct {
	items  []winItem // accesses in the last hour, oldest first
	counts map[string]int
	open   *Alert // the volume alert in progress
	peak   int
}

type winItem struct {
	t       time.Time
	patient string
	seq     int64
}

// NewAlerter starts an alert computation (zero Thresholds: the defaults).
func NewAlerter(th Thresholds) *Alerter {
	return &Alerter{th: th.withDefaults(), byKey: map[string]*Alert{}, users: map[string]*window{}, bgBundles: map[string]bool{}}
}

// Thresholds returns the thresholds in use (defaults filled in).
func (a *Alerter) Thresholds() Thresholds { return a.th }

func (a *Alerter) keyed(key string, e *Entry, mk func() *Alert) {
	al, ok := a.byKey[key]
	if !ok {
		al = mk()
		al.Sub, al.Name, al.Role, al.Org, al.From = e.Sub, e.Name, e.Role, e.Org, e.Time
		a.byKey[key] = al
		a.alerts = append(a.alerts, al)
	}
	al.To = e.Time
	if n := len(al.Seqs); n == 0 || al.Seqs[n-1] != e.Seq {
		al.Seqs = append(al.Seqs, e.Seq)
	}
}

// PatientIDs are the patients the entry's request touched: its Patient, or
// its Patients when there were several.
func (e *Entry) PatientIDs() []string {
	if e.Patient != "" {
		return []string{e.Patient}
	}
	return e.Patients
}

// breakGlassPerson is whose record a break-glass entry opened: its one
// person, or the Patient it read when it names others too (a care team
// naming a spouse); "" when that cannot be told.
func (e *Entry) breakGlassPerson() string {
	if e.Patient != "" {
		return e.Patient
	}
	if e.ResourceType == "Patient" && slices.Contains(e.Patients, e.ResourceID) {
		return e.ResourceID
	}
	return ""
}

// Add considers one entry; entries must come in log (seq) order.
func (a *Alerter) Add(e *Entry) {
	th := &a.th
	ids := e.PatientIDs()
	keys := ids
	if len(keys) == 0 {
		keys = []string{""}
	}
	// Break-glass: the act (the header) and every access made under the
	// grant it opened, one alert per user and patient; with no user
	// (refused at login), one per client and hour (anonBreakGlass).
	bg := e.BreakGlass != "" || openedUnderBreakGlass(e)
	if bg && e.Sub == "" {
		a.anonBreakGlass(e, ids)
	} else if bg && !a.bundleOfBreakGlass(e) {
		grantee := e.breakGlassPerson()
		for _, p := range keys {
			a.keyed(AlertBreakGlass+"|"+e.Sub+"|"+p, e, func() *Alert {
				return &Alert{Kind: AlertBreakGlass, Patient: p}
			})
			// Every reason given, each once, and how many accesses the
			// grants let through: not the first entry's alone.
			// A refused one (its role may not, its reason is no reason)
			// is an attempt IG must hear of, and must tell from an access.
			al := a.byKey[AlertBreakGlass+"|"+e.Sub+"|"+p]
			switch {
			case grantee != "" && p != grantee && e.BreakGlass == "":
				al.alongUses++
			case grantee != "" && p != grantee:
				// (review 120b: a spouse named in her care team read as
				// glass broken into his record)
				if !slices.Contains(al.bgAlong, e.BreakGlass) {
					al.bgAlong = append(al.bgAlong, e.BreakGlass)
				}
			case e.BreakGlass == "":
				al.grantUses++
			case refusedBreakGlass(e):
				if !slices.Contains(al.bgRefused, e.BreakGlass) {
					al.bgRefused = append(al.bgRefused, e.BreakGlass)
				}
			case !openedUnderBreakGlass(e):
				// Answered, yet no one was decided under it, so no grant
				// was stored: an OPTIONS, a directory read, a write. Review
				// 31c: it read as a grant that opened a record.
				if !slices.Contains(al.bgUnused, e.BreakGlass) {
					al.bgUnused = append(al.bgUnused, e.BreakGlass)
				}
			case !slices.Contains(al.bgReasons, e.BreakGlass):
				al.bgReasons = append(al.bgReasons, e.BreakGlass)
			}
			var parts []string
			if len(al.bgReasons) > 0 {
				parts = append(parts, "break-glass: "+strings.Join(al.bgReasons, "; "))
			}
			if len(al.bgRefused) > 0 {
				parts = append(parts, "break-glass refused: "+strings.Join(al.bgRefused, "; "))
			}
			if len(al.bgUnused) > 0 {
				parts = append(parts, "break-glass that opened no record (no grant stored): "+strings.Join(al.bgUnused, "; "))
			}
			if al.grantUses > 0 {
				parts = append(parts, fmt.Sprintf("%d access(es) under a break-glass grant", al.grantUses))
			}
			if len(al.bgAlong) > 0 {
				parts = append(parts, "named in another person's record opened by break-glass (no grant for this person): "+strings.Join(al.bgAlong, "; "))
			}
			if al.alongUses > 0 {
				parts = append(parts, fmt.Sprintf("named in %d access(es) under another person's break-glass grant", al.alongUses))
			}
			al.Detail = strings.Join(parts, "; and ")
		}
	}
	for _, r := range e.Reasons {
		if slices.Contains(th.AlertReasons, r) {
			code := r
			about := keys
			switch {
			case code == "restricted-patient" && len(e.Restricted) > 0:
				about = e.Restricted // not everyone the request touched
			case code == "claimed-relationship" && len(e.Claimed) > 0:
				about = e.Claimed
			}
			for _, p := range about {
				a.keyed(AlertReason+"|"+code+"|"+e.Sub+"|"+p, e, func() *Alert {
					return &Alert{Kind: AlertReason, Code: code, Patient: p, Detail: "decision reason " + code}
				})
			}
		}
	}
	if len(ids) == 0 || e.Sub == "" || th.exempt(e) {
		// (No user: refused at login, nothing was accessed; such requests
		// raised out-of-hours and volume alerts for user "": review 31c.)
		return
	}
	// Out of hours: grouped per user and working day (a night belongs to
	// the day before it).
	local := e.Time.In(th.Location)
	clock := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute + time.Duration(local.Second())*time.Second
	// (a bank holiday in England and Wales is a weekend's day: review 120b)
	weekend := local.Weekday() == time.Saturday || local.Weekday() == time.Sunday || englandBankHoliday(local)
	if clock < th.DayStart || clock >= th.DayEnd || (weekend && !th.WeekendsInHours) {
		// By the clock, not by elapsed time: on the nights the clocks
		// change, 7 hours of real time before 06:30 is not the day before.
		night := local
		if clock < th.DayStart {
			night = local.AddDate(0, 0, -1)
		}
		day := night.Format("2006-01-02")
		a.keyed(AlertOutOfHours+"|"+e.Sub+"|"+day, e, func() *Alert {
			return &Alert{Kind: AlertOutOfHours}
		})
		al := a.byKey[AlertOutOfHours+"|"+e.Sub+"|"+day]
		al.Detail = fmt.Sprintf("%d access(es) to patient records outside working hours (%s–%s %s%s), %s to %s",
			len(al.Seqs), hhmm(th.DayStart), hhmm(th.DayEnd), th.Location, weekendNote(th.WeekendsInHours),
			al.From.In(th.Location).Format("Mon 2 Jan 2006 15:04"), al.To.In(th.Location).Format("Mon 2 Jan 15:04"))
	}
	if opened(e) {
		a.volume(e, ids, true)
	}
}

// ReasonMatchedExisting marks a write's entry that answered with stored
// resources it did not write: a conditional create that matched (review
// 61a: a client system read 60 people's diagnoses by If-None-Exist, one
// create or one transaction, and was exempt as a writer).
const ReasonMatchedExisting = "matched-existing"

// opened: the entry's request was made by a known user, who opened, or
// asked to open, the records of the people it names: the volume rule
// counts those, refusals too (a user trying one record after another is
// what the rule is for). Review 31c: 60 requests refused at login (no
// user), naming ids no record has, were an unusual-volume alert.
// exempt: e is a write by an exempt role (a feed's create, update,
// delete or transaction). Its reads count (review 60b: a practice's client
// system read its whole population, 60 people in three requests, and IG
// was told nothing).
//
// An IG officer's answered query of the log is exempt too: it shows who
// accessed records, not a record (review 61e: listing 100 log entries
// naming 60 people raised a volume alert against her, and on a Sunday an
// out-of-hours one). A refused one (anyone else's try) counts.
func (t Thresholds) exempt(e *Entry) bool {
	if strings.HasPrefix(e.Operation, "audit-") && e.Status < 400 {
		return true
	}
	if !slices.Contains(t.ExemptRoles, e.Role) || slices.Contains(e.Reasons, ReasonMatchedExisting) {
		return false
	}
	switch e.Operation {
	case "create", "update", "delete", "patch", "transaction":
		return true
	}
	return false
}

func opened(e *Entry) bool {
	return e.Sub != ""
}

// openedUnderBreakGlass: the request decided someone under break-glass
// (its grant, stored then, or one stored earlier).
func openedUnderBreakGlass(e *Entry) bool {
	return slices.Contains(e.Reasons, "break-glass") || slices.Contains(e.Reasons, "break-glass-override")
}

// bundleOfBreakGlass reports whether e is a batch's or transaction's own
// entry, answered and naming no one, whose entries (logged before it as
// requests "<id>.<n>") carried its break-glass reason: they are its
// alert. Otherwise it notes e if it is such an entry.
func (a *Alerter) bundleOfBreakGlass(e *Entry) bool {
	// (an entry's id is its bundle's, a dot and its index: the server
	// keeps no client id of that form; review 33a: "x.y" sent first hid
	// batch "x")
	if i := strings.LastIndexByte(e.RequestID, '.'); i > 0 && i < len(e.RequestID)-1 && e.BreakGlass != "" &&
		strings.Trim(e.RequestID[i+1:], "0123456789") == "" {
		a.bgBundles[e.Sub+"|"+e.RequestID[:i]] = true
		return false
	}
	key := e.Sub + "|" + e.RequestID
	if !a.bgBundles[key] {
		return false
	}
	delete(a.bgBundles, key)
	return len(e.PatientIDs()) == 0 && e.Status < 400 && (e.Operation == "batch" || e.Operation == "transaction")
}

// Requests with no user: at most this many of the people and of the
// reasons they gave are listed in their alert.
const maxAnonPeople, maxAnonReasons = 5, 5

// anonBreakGlass adds a request refused at login (no user known) that
// carried a break-glass reason to the one alert of its client address
// (an IPv6 address by its /64) and clock hour, which counts the requests
// and names the first people they asked for. Each was an alert of its own
// naming the person its path named: anyone without an account could bury
// IG's real alerts under made-up ids (review 31c). An attempt on one
// person alone still names her as its patient (review 22a).
func (a *Alerter) anonBreakGlass(e *Entry, ids []string) {
	client := clientGroup(e.Client)
	key := AlertBreakGlass + "|login|" + client + "|" + e.Time.UTC().Truncate(time.Hour).Format(time.RFC3339)
	a.keyed(key, e, func() *Alert { return &Alert{Kind: AlertBreakGlass, anonClient: client} })
	al := a.byKey[key]
	al.anonRequests++
	for _, p := range ids {
		switch {
		case slices.Contains(al.People, p):
		case len(al.People) < maxAnonPeople:
			al.People = append(al.People, p)
		default:
			al.morePeople = true
		}
	}
	al.Patient = ""
	if len(al.People) == 1 && !al.morePeople {
		al.Patient = al.People[0]
	}
	if r := e.BreakGlass; r != "" && !slices.Contains(al.bgRefused, r) {
		if len(al.bgRefused) < maxAnonReasons {
			al.bgRefused = append(al.bgRefused, r)
		} else {
			al.moreReasons = true
		}
	}
	reasons := strings.Join(al.bgRefused, "; ")
	if al.moreReasons {
		reasons += "; and other reasons"
	}
	named := "naming no one"
	if len(al.People) > 0 {
		named = "naming " + strings.Join(al.People, ", ")
		if al.morePeople {
			named += " and others"
		}
	}
	from := al.anonClient
	if from == "" {
		from = "an unknown address"
	}
	al.Detail = fmt.Sprintf("break-glass refused: %s; and %d request(s) refused at login (no working token) from %s, %s",
		reasons, al.anonRequests, from, named)
}

// clientGroup is the client address that anonBreakGlass groups by: an
// IPv6 address by its /64, which one client holds whole.
func clientGroup(client string) string {
	ip, err := netip.ParseAddr(client)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return client
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

// refusedBreakGlass: the entry's break-glass was refused, by the
// decision's reason codes (consent.CodeBreakGlassRole, CodeBreakGlassReason),
// or with its request: no grant is stored for a request answered with an
// error, whatever the error. Review 15b: a nurse's break-glass with a
// token claiming the purpose "marketing" (403), refused before any
// decision, was reported as "break-glass: <reason>", like a grant that
// opened the record; review 16b: so was one in a search naming no one
// (400, the break-glass itself refused), in $everything of a person with
// nothing stored (404) and in an invalid write (422).
func refusedBreakGlass(e *Entry) bool {
	return slices.Contains(e.Reasons, "break-glass-role-not-allowed") || slices.Contains(e.Reasons, "break-glass-reason-invalid") ||
		e.Status >= 400
}

// Lead considers an entry from the hour before the period whose alerts
// are asked for: it counts towards the volume rule's window ("more than N
// patients within an hour"), so that a burst straddling the period's start
// is reported, but raises no alert of its own. Entries must come in log
// order, before those given to Add.
func (a *Alerter) Lead(e *Entry) {
	ids := e.PatientIDs()
	if len(ids) == 0 || !opened(e) || a.th.exempt(e) {
		return
	}
	a.volume(e, ids, false)
}

// VolumeWindow is how far back before a period the volume rule looks
// (Lead).
const VolumeWindow = time.Hour

// volume counts e's people in its user's last hour; report: an alert may
// open or grow with e.
func (a *Alerter) volume(e *Entry, ids []string, report bool) {
	th := &a.th
	// Volume: distinct patients in the last 60 minutes.
	w := a.users[e.Sub]
	if w == nil {
		w = &window{counts: map[string]int{}}
		a.users[e.Sub] = w
	}
	for _, p := range ids { // a search across people opens each of them
		w.items = append(w.items, winItem{e.Time, p, e.Seq})
		w.counts[p]++
	}
	cut := e.Time.Add(-VolumeWindow)
	i := 0
	for ; i < len(w.items) && !w.items[i].t.After(cut); i++ {
		it := w.items[i]
		if w.counts[it.patient]--; w.counts[it.patient] == 0 {
			delete(w.counts, it.patient)
		}
	}
	w.items = w.items[i:]
	n := len(w.counts)
	switch {
	case !report:
	case n > th.PatientsPerHour && w.open == nil:
		al := &Alert{Kind: AlertVolume, Sub: e.Sub, Name: e.Name, Role: e.Role, Org: e.Org, From: w.items[0].t, To: e.Time}
		for _, it := range w.items {
			if n := len(al.Seqs); n == 0 || al.Seqs[n-1] != it.seq {
				al.Seqs = append(al.Seqs, it.seq)
			}
		}
		w.open, w.peak = al, n
		a.alerts = append(a.alerts, al)
	case n > th.PatientsPerHour:
		w.open.Seqs = append(w.open.Seqs, e.Seq)
		w.open.To = e.Time
		w.peak = max(w.peak, n)
	case w.open != nil:
		w.open = nil
	}
	if w.open != nil {
		w.open.Detail = fmt.Sprintf("opened or asked to open up to %d distinct patients' records within an hour (threshold %d)", w.peak, th.PatientsPerHour)
	}
	if len(w.items) == 0 {
		delete(a.users, e.Sub)
	}
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

func weekendNote(in bool) string {
	if in {
		return ""
	}
	return ", weekends and bank holidays"
}

// Alerts returns the alerts so far, oldest first.
func (a *Alerter) Alerts() []Alert {
	out := make([]Alert, len(a.alerts))
	for i, al := range a.alerts {
		out[i] = *al
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].From.Equal(out[j].From) {
			return out[i].From.Before(out[j].From)
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// Alerts computes the alerts over entries in log order.
func Alerts(entries []*Entry, th Thresholds) []Alert {
	a := NewAlerter(th)
	for _, e := range entries {
		a.Add(e)
	}
	return a.Alerts()
}

// ReportEntry is an entry as the IG reports list it.
type ReportEntry struct {
	Seq        int64     `json:"seq"`
	AuditEvent string    `json:"auditEvent"` // "AuditEvent/<seq>"
	Time       time.Time `json:"time"`
	RequestID  string    `json:"requestId,omitempty"`
	Sub        string    `json:"sub,omitempty"`
	Name       string    `json:"name,omitempty"`
	Role       string    `json:"role,omitempty"`
	Org        string    `json:"org,omitempty"`
	Sector     string    `json:"sector,omitempty"`
	Purpose    string    `json:"purpose,omitempty"`
	BreakGlass string    `json:"breakGlass,omitempty"`
	Client     string    `json:"client,omitempty"`
	Operation  string    `json:"operation,omitempty"`
	Method     string    `json:"method,omitempty"`
	Path       string    `json:"path,omitempty"`
	Patient    string    `json:"patient,omitempty"`
	NHSNumber  string    `json:"nhsNumber,omitempty"`
	Patients   []string  `json:"patients,omitempty"` // when the request touched several
	Released   []string  `json:"released,omitempty"`
	Withheld   int       `json:"withheld,omitempty"`
	Decision   string    `json:"decision"`
	Reasons    []string  `json:"reasons,omitempty"`
	Status     int       `json:"status"`
}

// Report returns e as a report line.
func (e *Entry) Report() ReportEntry {
	return ReportEntry{
		Seq: e.Seq, AuditEvent: "AuditEvent/" + strconv.FormatInt(e.Seq, 10), Time: e.Time,
		RequestID: e.RequestID, Sub: e.Sub, Name: e.Name, Role: e.Role, Org: e.Org, Sector: e.Sector,
		Purpose: e.Purpose, BreakGlass: e.BreakGlass, Client: e.Client, Operation: e.Operation,
		Method: e.Method, Path: e.Path, Patient: e.Patient, NHSNumber: e.NHSNumber, Patients: e.Patients,
		Released: e.Released, Withheld: e.Withheld, Decision: e.Decision, Reasons: e.Reasons, Status: e.Status,
	}
}

// Activity summarises what one user did.
type Activity struct {
	Entries     int            `json:"entries"`
	Patients    []string       `json:"patients"` // distinct patients touched, sorted
	ByOperation map[string]int `json:"byOperation"`
	ByDecision  map[string]int `json:"byDecision"`
	BreakGlass  int            `json:"breakGlass"`
	Withheld    int            `json:"withheld"` // items withheld in all
	First       *time.Time     `json:"first,omitempty"`
	Last        *time.Time     `json:"last,omitempty"`
	patients    map[string]bool
}

// MarshalJSON writes an activity with no entries, or none naming a
// patient, with empty lists and counts rather than null, so a reader need
// not tell "none" from "missing".
func (s Activity) MarshalJSON() ([]byte, error) {
	type plain Activity
	if s.Patients == nil {
		s.Patients = []string{}
	}
	if s.ByOperation == nil {
		s.ByOperation, s.ByDecision = map[string]int{}, map[string]int{}
	}
	return json.Marshal(plain(s))
}

// Add counts one entry.
func (s *Activity) Add(e *Entry) {
	if s.ByOperation == nil {
		s.ByOperation, s.ByDecision, s.patients = map[string]int{}, map[string]int{}, map[string]bool{}
	}
	s.Entries++
	op := e.Operation
	if op == "" {
		op = "(refused before routing)"
	}
	s.ByOperation[op]++
	s.ByDecision[e.Decision]++
	if e.BreakGlass != "" {
		s.BreakGlass++
	}
	s.Withheld += e.Withheld
	for _, p := range e.PatientIDs() {
		if !s.patients[p] {
			s.patients[p] = true
			i, _ := slices.BinarySearch(s.Patients, p)
			s.Patients = slices.Insert(s.Patients, i, p)
		}
	}
	t := e.Time
	if s.First == nil || t.Before(*s.First) {
		s.First = &t
	}
	if s.Last == nil || t.After(*s.Last) {
		s.Last = &t
	}
}
