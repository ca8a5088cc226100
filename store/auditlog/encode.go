package auditlog

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// EntryFormat names the canonical entry encoding below; it is recorded in
// auditlog_meta.
const EntryFormat = "carex-access-entry/1"

// Canonical encoding (EntryFormat "carex-access-entry/1").
//
// An entry is stored, hashed and signed over as the encoding/json encoding
// of wireEntry: a JSON object whose keys appear in the fixed order below,
// with no whitespace. "seq" and "ts" (unix milliseconds, UTC) always come
// first and are always present, as are "decision" and "status"; every other
// key is omitted when empty/zero. Strings are JSON-escaped the encoding/json
// way (including \u003c, \u003e, \u0026 for <, >, &; invalid UTF-8 becomes
// U+FFFD), so decoding and re-encoding gives the same bytes.
//
// Because seq is inside the hashed bytes, an entry moved to another row no
// longer matches its row; because ts is, the time order can be checked
// without trusting the ts column.
//
// leaf hash  = SHA-256(0x00 || entry)            (tlog.RecordHash, RFC 6962)
// chain hash = SHA-256(prev chain || leaf hash)  (prev = 32 zero bytes for seq 0)
type wireEntry struct {
	Seq          int64    `json:"seq"`
	TS           int64    `json:"ts"`
	RequestID    string   `json:"request_id,omitempty"`
	Sub          string   `json:"sub,omitempty"`
	Name         string   `json:"name,omitempty"`
	Role         string   `json:"role,omitempty"`
	Org          string   `json:"org,omitempty"`
	Sector       string   `json:"sector,omitempty"`
	Purpose      string   `json:"purpose,omitempty"`
	BreakGlass   string   `json:"break_glass,omitempty"`
	Client       string   `json:"client,omitempty"`
	Operation    string   `json:"op,omitempty"`
	Method       string   `json:"method,omitempty"`
	Path         string   `json:"path,omitempty"`
	ResourceType string   `json:"type,omitempty"`
	ResourceID   string   `json:"id,omitempty"`
	Patient      string   `json:"patient,omitempty"`
	NHSNumber    string   `json:"nhs_number,omitempty"`
	Patients     []string `json:"patients,omitempty"` // added later: absent from earlier entries, so their bytes are unchanged
	Released     []string `json:"released,omitempty"`
	Withheld     int      `json:"withheld,omitempty"`
	Decision     string   `json:"decision"`
	Reasons      []string `json:"reasons,omitempty"`
	Status       int      `json:"status"`
	Restricted   []string `json:"restricted,omitempty"` // added later, last: earlier entries' bytes are unchanged
	Kept         []string `json:"kept,omitempty"`       // added later still, last
	Issuer       string   `json:"iss,omitempty"`        // added later still, last
	Claimed      []string `json:"claimed,omitempty"`    // added later still, last
}

// Encode returns the canonical encoding of e (its Seq and Time included):
// the bytes that are stored and hashed. Time is taken to the millisecond.
func Encode(e *Entry) ([]byte, error) {
	w := wireEntry{
		Seq: e.Seq, TS: e.Time.UnixMilli(),
		RequestID: e.RequestID, Sub: e.Sub, Name: e.Name, Role: e.Role, Org: e.Org, Sector: e.Sector,
		Purpose: e.Purpose, BreakGlass: e.BreakGlass, Client: e.Client, Operation: e.Operation,
		Method: e.Method, Path: stripQuery(e.Path), ResourceType: e.ResourceType, ResourceID: e.ResourceID,
		Patient: e.Patient, NHSNumber: e.NHSNumber, Patients: e.Patients, Released: e.Released, Withheld: e.Withheld,
		Decision: e.Decision, Reasons: e.Reasons, Status: e.Status, Restricted: e.Restricted, Kept: e.Kept,
		Issuer: e.Issuer, Claimed: e.Claimed,
	}
	return json.Marshal(&w)
}

// canonical is s as the canonical entry decodes: encoding/json writes
// each byte of invalid UTF-8 as U+FFFD. audit_patient holds the ids an
// entry naming several decodes to (verify reads them so): two ids that
// decode alike are one row.
func canonical(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// canonicalAll is canonical of each of l.
func canonicalAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = canonical(s)
	}
	return out
}

// stripQuery keeps the URL path only: a query string may hold personal data.
func stripQuery(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}

var errHead = errors.New(`entry does not start with {"seq":N,"ts":N`)

// parseHead reads seq and ts from the start of a canonical entry without a
// full JSON decode (Verify runs it on every entry).
func parseHead(b []byte) (seq, ts int64, err error) {
	const p1, p2 = `{"seq":`, `,"ts":`
	if !hasPrefix(b, p1) {
		return 0, 0, errHead
	}
	b = b[len(p1):]
	seq, b, ok := parseInt(b)
	if !ok || !hasPrefix(b, p2) {
		return 0, 0, errHead
	}
	ts, b, ok = parseInt(b[len(p2):])
	if !ok || len(b) == 0 || (b[0] != ',' && b[0] != '}') {
		return 0, 0, errHead
	}
	return seq, ts, nil
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func parseInt(b []byte) (int64, []byte, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	var n int64
	i := 0
	for ; i < len(b) && i < 18 && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if i == 0 || (i < len(b) && b[i] >= '0' && b[i] <= '9') {
		return 0, nil, false
	}
	if neg {
		n = -n
	}
	return n, b[i:], true
}
