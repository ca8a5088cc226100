// Package store defines how carex persists FHIR resources, independent of
// the database behind it. Backends live in sub-packages (store/sqlite) and
// must pass the conformance suite in store/storetest.
package store

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/carex-project/carex/fhir/search"
)

// Sentinel errors. Callers wrap them with %w; the API maps them to HTTP
// statuses in one place.
var (
	ErrNotFound        = errors.New("resource not found")
	ErrGone            = errors.New("resource deleted")
	ErrVersionConflict = errors.New("version conflict")          // If-Match does not match the current version
	ErrPrecondition    = errors.New("precondition failed")       // a conditional operation matched more than one resource
	ErrExists          = errors.New("resource already exists")   // create with an id that is taken
	ErrReadOnly        = errors.New("store opened read-only")    // write on a read-only store
	ErrUnresolvable    = errors.New("reference cannot resolve")  // conditional reference with several matches
	ErrNoMatch         = errors.New("reference matches nothing") // conditional reference with no match
	ErrInvalid         = errors.New("write cannot be stored")    // metadata the store cannot keep
	ErrUnavailable     = errors.New("store unavailable")         // its file was removed or replaced under it: nothing more is stored
)

// Meta is what the sharing decision needs about a stored resource, without
// its body. Searches hand these to a filter before any body is loaded.
type Meta struct {
	Type        string
	ID          string
	VersionID   int64
	LastUpdated time.Time
	Deleted     bool
	SourceOrg   string   // organisation whose system wrote this version: the data controller
	DataClass   string   // sharing-policy class, see search.DataClass
	Labels      []string // sensitivity labels (v3 ActCode / confidentiality codes)
	Patients    []string // patient compartment membership
	Codes       []string // the resource's main codes as system|code, for consent provisions on code
	// OtherCodes: its other codings of clinical code systems (reasons,
	// contained resources, values) as system|code, for a deny by code.
	OtherCodes []string
	Date       time.Time // clinical date (zero if none), for consent dataPeriod
	// DateEnd: the clinical date's last instant (inclusive), when it is a
	// range: a year or a month ("2015"), or a period; zero when Date is an
	// instant or unknown. A deny of June 2015 covers an item dated "2015".
	DateEnd time.Time
}

// Version is one stored version of a resource. Raw is the exact JSON
// stored (the client's JSON with id and meta set by the server); nil for a
// delete marker.
type Version struct {
	Meta
	Raw []byte
}

// Visible decides whether a resource may be released to the caller. A nil
// Visible releases everything.
type Visible func(*Meta) bool

// Page selects a window of an ordered result.
type Page struct {
	Count  int
	Offset int
}

// Result is a window of matches plus the number of visible matches.
type Result struct {
	Items []*Version
	Total int
}

// Op is the kind of a write.
type Op int

const (
	OpCreate Op = iota + 1
	OpUpdate    // create-or-update with a client-supplied id
	OpDelete
)

// Write is one change inside a Commit. The resource has already been
// validated; the store assigns version and time and keeps the JSON as is.
type Write struct {
	// Where is the request element it came from (Bundle.entry[3]), for
	// errors; "" for a single write.
	Where       string
	Op          Op
	Type        string
	ID          string        // OpCreate: "" lets the store assign one
	IfMatch     int64         // 0: unconditional
	IfNoneExist *search.Query // OpCreate only: skip the create when this matches one resource
	Raw         []byte
	Resource    map[string]any // decoded Raw, for index extraction
	SourceOrg   string
	Labels      []string
	DataClass   string
	Patients    []string
	Codes       []string
	// OtherCodes: every other coding in the resource (reasons, values,
	// contained resources…) as system|code. All of them label the item;
	// those of clinical code systems are then kept and stored
	// (Meta.OtherCodes), for a deny by code.
	OtherCodes []string
	Date       time.Time
	DateEnd    time.Time // see Meta.DateEnd
	// Index is the resource's extracted search values; nil means the store
	// extracts them itself.
	Index []search.IndexEntry
	// Visible limits which existing resources an If-None-Exist condition
	// can match: a caller must not learn of records withheld from it.
	Visible Visible
	// Alone: commit this write's request in a transaction of its own, not
	// in a group commit with others. Set it when the request's prepare
	// matches conditions (conditional update, conditional references)
	// through Lookup.Search and filters them by what the caller may see:
	// in a shared transaction the search would see other requests' rows
	// before their consents are visible to the filter.
	Alone bool
}

// WriteResult reports what a Write did.
type WriteResult struct {
	Version *Version
	Created bool // a new resource was created (201)
	NoOp    bool // conditional create matched an existing resource (200)
}

// Lookup reads the data as a write transaction sees it, so that
// conditional operations and write decisions cannot race other writers.
type Lookup interface {
	Search(q *search.Query) ([]*Meta, error)
	// Current is the current version's metadata, nil if it never existed.
	Current(typ, id string) (*Meta, error)
	// Get is the current version with its body, nil if none.
	Get(typ, id string) (*Version, error)
	// Add queues a further write in the same transaction; it is applied
	// after the others. (Nothing in carex calls it since Consents are no
	// longer marked inactive on supersession; the conformance suite keeps
	// it working.)
	Add(w *Write)
	// Intend keeps, in this transaction, what make returns once the
	// request's writes are applied (nil: nothing): the request's access-log
	// entry, so that a change is never stored without it (see Intent). A
	// request rolled back keeps nothing.
	Intend(id string, make func([]*WriteResult) []byte)
}

// Intent is a request's access-log entry kept in the transaction that
// stores the request's changes. The entry is written to the access log
// only after the commit (the log is its own database, and a read-only
// request must not wait for a records transaction); should that fail, or
// the server stop in between, the change is still stored with its entry,
// and carex serve adds it to the log when it next starts (api.RecoverIntents).
// Once the entry is durable in the log the intent is forgotten.
type Intent struct {
	ID    string
	Entry []byte
}

// Store is the persistence contract every backend implements.
type Store interface {
	Read(ctx context.Context, typ, id string) (*Version, error) // ErrNotFound, ErrGone
	VRead(ctx context.Context, typ, id string, version int64) (*Version, error)
	// History lists versions newest first; typ "" means the whole system,
	// id "" a whole type.
	History(ctx context.Context, typ, id string, since time.Time, vis Visible, p Page) (*Result, error)
	Search(ctx context.Context, q *search.Query, vis Visible) (*Result, error)
	// Compartment lists the current resources of one patient's compartment
	// (the patient included), oldest first; types restricts it when not empty.
	Compartment(ctx context.Context, patientID string, types []string, vis Visible, p Page) (*Result, error)
	// ScanCompartment calls each with the current resources of one
	// patient's compartment (of types, if any), in Compartment's order,
	// until it returns false. The resources written by the organisation
	// passOver (compared ignoring ASCII case; "" for none), but for
	// Binaries, are passed over unread: a caller asking whether anything
	// of the record is withheld from a user names the organisation whose
	// items that user sees whatever they hold, and a large record of its
	// own data is not read to say so. each may read the store.
	ScanCompartment(ctx context.Context, patientID string, types []string, passOver string, each func(*Meta) bool) error
	// Included resolves _include (resources the matches refer to) and
	// _revinclude (resources referring to the matches), at most limit of
	// those vis releases (those it withholds take no place among them).
	Included(ctx context.Context, matches []*Version, inc []search.Include, vis Visible, limit int) ([]*Version, error)
	// Commit applies writes atomically: all or none. prepare, when not nil,
	// runs first inside the transaction and may edit the writes (resolving
	// conditional references and conditional creates).
	Commit(ctx context.Context, writes []*Write, prepare func(Lookup) error) ([]*WriteResult, error)
	// GrantBreakGlass records that who broke glass for patient until then;
	// BreakGlassUntil is the end of the grant in force (zero if none).
	// A grant is who's alone: the same sub at another organisation (or
	// named by another issuer) holds none from it. Grants survive a
	// restart: the access they open is time-limited, not process-limited.
	GrantBreakGlass(ctx context.Context, who Grantee, patient, reason string, until time.Time) error
	BreakGlassUntil(ctx context.Context, who Grantee, patient string) (time.Time, error)
	// PatientContext loads what the sharing decision needs about one patient.
	PatientContext(ctx context.Context, patientID string) (*PatientContext, error)
	// Changes moves whenever one of this store's commits may become
	// visible to reads: it is odd while a commit is under way and even
	// otherwise. While it reads the same even number, nothing has changed:
	// a PatientContext fetched after it was read holds every change a read
	// begun since can see. The sharing decision uses it to decide items
	// with contexts no older than the items (a Consent and the data it
	// withholds may be written in one commit). A commit by another process
	// on the same database moves it by the time it is visible (sqlite: the
	// WAL index's change counter), though it is not seen to be under way.
	Changes() uint64
	// PatientChanges is Changes for Patient resources alone: it moves with
	// every commit that writes one (odd while such a commit is under way)
	// and, by the time it is visible, with any commit by another process.
	// An answer that depends on Patient resources only (which of them
	// carry an NHS number, and their labels) holds while it reads the same
	// even number, however much else is written meanwhile: feeds write
	// clinical data all day, and such answers were found again after
	// every commit.
	PatientChanges(ctx context.Context) (uint64, error)
	// DirectoryChanges is Changes for labelled items of DirectoryTypes
	// alone, as PatientChanges is for Patients: it moves with every commit
	// that writes one labelled, or one that carried a label (odd while
	// such a commit is under way), and, by the time it is visible, with
	// any commit by another process. LabelledDirectory holds while it
	// reads the same even number: an unlabelled directory item written
	// leaves it as it was (review 32b).
	DirectoryChanges(ctx context.Context) (uint64, error)
	// LabelledDirectory is the items of DirectoryTypes that carry a
	// label, with their identifiers, but for a Location of type PTRES (a
	// person's home, which carex labels itself: one for each person
	// visited at home, no directory entry). A deleted item is listed when
	// its last version carried a label, with that version's identifiers:
	// its versions stay withheld, and so does what names it (review 32b).
	// References to directory items are released without a lookup
	// unless they name one of these (review 31b).
	LabelledDirectory(ctx context.Context) ([]LabelledItem, error)
	// RetiredPatients are the ids of deleted Patients whose last version
	// carried NHS number n (without spaces), or linked to it by identifier
	// (LinkNumberParam; review 38c), at most most of them: they
	// leave search, but their items and Consents remain the person's
	// (a Patient stored again leaves them). It moves with PatientChanges.
	RetiredPatients(ctx context.Context, n string, most int) ([]string, error)
	// RetiredLinks are the ids of deleted Patients whose last version
	// linked to Patient/patient (Patient.link.other, as search's link
	// parameter has it), at most most of them: they leave search, but a
	// merged duplicate's items remain the person's (a Patient stored
	// again leaves them).
	RetiredLinks(ctx context.Context, patient string, most int) ([]string, error)
	// Intents are the kept entries (Lookup.Intend) not yet forgotten, in
	// the order they were stored.
	Intents(ctx context.Context) ([]Intent, error)
	// ForgetIntents drops kept entries whose access-log entries are
	// durable, with the next write transaction (no disk sync of its own),
	// or at Close. An id that is not kept is ignored.
	ForgetIntents(ids ...string)
	// DropIntents drops kept entries now, with whatever ForgetIntents
	// queued.
	DropIntents(ctx context.Context, ids ...string) error
	Ping(ctx context.Context) error
	Close() error
}

// LinkNumberParam is the token parameter under which a store indexes the
// NHS numbers a Patient links to by identifier (Patient.link.other.identifier
// under search.NHSNumberSystem, without spaces): search's link parameter
// is a reference, whose identifiers the index does not hold. It is no
// search parameter (a request cannot name it: a modifier follows a
// colon); the sharing decision asks by it for the Patients linking to a
// person's number, which are the person's records (review 38c).
const LinkNumberParam = "link:nhs-number"

// Grantee is who holds a break-glass grant: the user (Sub, as named by
// the token's Issuer) while working for Org. A reason stated for one
// organisation's access justifies that organisation's access only: each
// data controller's access needs its own.
type Grantee struct {
	Issuer, Sub, Org string
}

// PatientContext is what the sharing decision needs about one patient:
// the Patient resource, the current CareTeam, EpisodeOfCare and Consent
// resources of the compartment, and when each source organisation last
// recorded data for them (a Consent is not data: its recorder is no
// source by it).
type PatientContext struct {
	Patient *Version // nil when there is no Patient resource
	Links   []*Version
	Sources map[string]time.Time

	// Memo keeps what a caller derives from this context. A store may
	// share one PatientContext between requests until the person's record
	// changes, so the derived values are worked out once per change.
	Memo atomic.Value
	// Stable, when not nil, keeps what a caller derives from Patient and
	// Links alone. A store that carries a context over a write which only
	// moved Sources' times forward gives the successor its predecessor's
	// Stable (the same Patient and Links), so that part, decoding the
	// resources, is not worked out again.
	Stable *atomic.Value
}

// WriterStats are a store's running totals for its writes since it opened,
// for monitoring: mean requests per transaction = ΔRequests / ΔTxns, mean
// time a write waited (queue and commit) = ΔWait / ΔRequests.
type WriterStats struct {
	Requests   int64         // Commit calls answered
	Wait       time.Duration // their summed time from queueing to the answer
	Txns       int64         // transactions that carried them
	Busy       time.Duration // summed time the writer spent on those transactions
	CommitTime time.Duration // of which COMMIT (the disk sync, checkpoints)
}

// WriterStatter is implemented by stores that count their writes.
type WriterStatter interface {
	WriterStats() WriterStats
}

// Derived is what carex works out from a resource's content when it is
// written: its compartment, data class, labels, main codes and clinical
// date (the fields of Meta a write sets).
type Derived struct {
	DataClass  string
	Labels     []string
	Patients   []string
	Codes      []string
	OtherCodes []string
	Date       time.Time
	DateEnd    time.Time
	// ReadsStore: derived from another stored item too (which relabelling
	// may change), not from the version and the policy alone.
	ReadsStore bool
}

// RelabelStats counts what Relabel looked at and changed.
type RelabelStats struct {
	Versions int64 // stored versions with a body
	Changed  int64 // of which the derived fields changed
	Current  int64 // of which current versions (the compartment rebuilt)
}

// Relabeler is implemented by stores that can work the derived fields of
// every stored version out again, in place, after the rules that derive
// them changed (a new release, a new policy's code lists): bodies,
// versions and history are unchanged. A derived field may depend on
// another stored item, so a store passes over the data again while a pass
// changed something (twice at most). It refuses while another process has
// the store open: its cached sharing contexts would not see the change.
type Relabeler interface {
	Relabel(ctx context.Context, derive func(v *Version) (Derived, error)) (RelabelStats, error)
}

// DirectoryTypes are the types of directory data (no one's record) whose
// labelled items LabelledDirectory lists.
var DirectoryTypes = []string{"Organization", "Practitioner", "PractitionerRole", "Endpoint", "Location", "HealthcareService"}

// LabelledItem is a labelled directory item (Store.LabelledDirectory).
type LabelledItem struct {
	Type, ID string
	// Identifiers are its identifiers as system|value (system may be
	// empty).
	Identifiers []string
}
