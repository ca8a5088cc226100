package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/fhir/search"
)

// Principal is the authenticated caller.
type Principal struct {
	Sub, Name, Org, Sector, Role, Purpose string
	JobRole                               string // the original national RBAC code if one was mapped, else ""
	Issuer                                string
	ExpiresAt                             time.Time
	Dev                                   bool // verified with the development key
}

// Sectors.
const (
	SectorNHS     = "nhs"
	SectorCouncil = "council"
)

// DefaultPurpose is used when a token has no purpose claim.
const DefaultPurpose = "TREAT"

// KnownRoles are the carex roles accepted without a policy file.
var KnownRoles = []string{"gp", "district-nurse", "hospital-clinician", "social-worker", "ig-officer", "system"}

// RBACRoles maps national RBAC job role codes to carex roles, as the
// built-in policy does; a server maps them as its policy file does
// (Config.JobRoles).
var RBACRoles = map[string]string{
	"R8000": "gp",             // clinical practitioner
	"R8001": "district-nurse", // nurse
	"R8014": "social-worker",  // social worker
	"R0001": "ig-officer",     // privacy officer
	"R5105": "ig-officer",     // Caldicott guardian
}

// tokenClaims is the JWT payload carex understands.
type tokenClaims struct {
	jwt.RegisteredClaims
	Name    string `json:"name,omitempty"`
	Org     string `json:"org,omitempty"`
	Sector  string `json:"sector,omitempty"`
	Role    string `json:"role,omitempty"`
	Purpose string `json:"purpose,omitempty"`
}

// claimNames are the members of the payload carex reads.
var claimNames = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"name": true, "org": true, "sector": true, "role": true, "purpose": true,
}

// UnmarshalJSON reads the claims by their exact names. Claim names are
// case-sensitive (RFC 7519 §4), but encoding/json matches a struct's
// fields in any case: a "Role" or "ORG" an identity provider adds for
// another relying party, or maps from an attribute its user may edit, was
// read as carex's role or org, and given last it won over the real one
// (review 9d). Members of other names are left out before decoding. Of
// two members of the same name the last counts, as RFC 7519 allows.
func (c *tokenClaims) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		if !claimNames[k] {
			delete(all, k)
			continue
		}
		// RFC 7519 makes a NumericDate a JSON number; golang-jwt also
		// takes a string of digits (review 45b: "exp":"9999999999" made a
		// token that lived until 2286).
		if (k == "exp" || k == "nbf" || k == "iat") && !jsonNumber(v) {
			return fmt.Errorf("%s: %w", k, errNotNumericDate)
		}
	}
	ours, err := json.Marshal(all)
	if err != nil {
		return err
	}
	type plain tokenClaims // without this method
	return json.Unmarshal(ours, (*plain)(c))
}

var errNotNumericDate = errors.New("a NumericDate is a JSON number of seconds")

// jsonNumber reports whether v is a JSON number (not a string, nor null).
func jsonNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// mapRole returns the carex role for a role claim and the RBAC code it came
// from (or ""), by jobs (upper-case codes). The full national form
// "S8000:G8000:R8001" is accepted.
func mapRole(role string, extra map[string]bool, jobs map[string]string) (carexRole, jobRole string, ok bool) {
	if extra[role] {
		return role, "", true
	}
	for _, r := range KnownRoles {
		if role == r {
			return role, "", true
		}
	}
	code := role
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	code = strings.ToUpper(code)
	if m, found := jobs[code]; found {
		return m, code, true
	}
	return "", "", false
}

// validOrg accepts ODS codes (A81001, RXX) and council/ONS codes (E09000033,
// LBX-ASC): 1 to 32 characters of letters, digits, '-', '_' and '.'.
func validOrg(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// CheckOrg says whether a token may carry org and sector as its org and
// sector claims, as the verifier decides it: carex import and gen write
// data under an organisation, which must be one users' tokens can name
// (review 10d: import took " A81001" or "Organization/A81001", a source
// no token names, so the practice's own data was not its own).
func CheckOrg(org, sector string) error {
	if !validOrg(org) {
		return fmt.Errorf("org %q is not an organisation code a token can carry (an ODS or council code: 1 to 32 letters, digits, '-', '_' or '.')", org)
	}
	if sector != SectorNHS && sector != SectorCouncil {
		return fmt.Errorf("sector %q: want nhs or council", sector)
	}
	if sector != SectorCouncil && search.CouncilCode(strings.ToUpper(org)) {
		return fmt.Errorf("org %s is a local authority's code: its sector is council, not %s", org, sector)
	}
	return nil
}

// printable returns s if it is short and made of harmless characters, so that
// it may appear in an error message; else "".
func printable(s string) string {
	if len(s) > 40 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return ""
		}
	}
	return s
}

// VisibleText reports whether s shows as written: valid UTF-8 with no
// control characters, no bidirectional controls and no line or paragraph
// separators (U+2028, U+2029: editors break the line there; review 13b).
func VisibleText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if HiddenRune(r) {
			return false
		}
	}
	return true
}

// HiddenRune reports whether r does not show as written: a control
// character, a bidirectional control, or a line or paragraph separator.
// Refused in the user claims IG is shown; printed as [U+XXXX] in IG's
// reports.
func HiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// principalFrom validates the carex claims (after the signature and the
// registered claims have been checked) and builds the Principal.
func principalFrom(c *tokenClaims, extra map[string]bool, jobs map[string]string, dev bool) (*Principal, error) {
	if strings.TrimSpace(c.Subject) == "" {
		return nil, fail("missing claim sub")
	}
	// The user is shown to IG as sub and name: in the access log and its
	// printable reports. A control character (a line feed, a carriage
	// return, an escape) or a bidirectional control (U+202E) rewrote or
	// reordered the report's row, so that it showed another user, as
	// review 9d found of break-glass reasons (review 12a).
	if !VisibleText(c.Subject) {
		return nil, fail("claim sub holds control or bidirectional control characters or line separators")
	}
	if strings.TrimFunc(c.Subject, unicode.IsSpace) != c.Subject {
		// IG lists a user's accesses by agent=, read without the white
		// space around it: "dr-smith " could not be listed, and showed
		// as dr-smith in reports (review 56b).
		return nil, fail("claim sub begins or ends with white space")
	}
	if !VisibleText(c.Name) {
		return nil, fail("claim name holds control or bidirectional control characters or line separators")
	}
	// The purpose of use is shown beside them: "MARKETING\rTREAT" was
	// refused as a purpose not served but logged as written (review 13b).
	if !VisibleText(c.Purpose) {
		return nil, fail("claim purpose holds control or bidirectional control characters or line separators")
	}
	if c.Org == "" {
		return nil, fail("missing claim org")
	}
	if !validOrg(c.Org) {
		return nil, fail("invalid org")
	}
	switch c.Sector {
	case SectorNHS, SectorCouncil:
	case "":
		return nil, fail("missing claim sector")
	default:
		return nil, fail("invalid sector (want nhs or council)")
	}
	if c.Sector != SectorCouncil && search.CouncilCode(strings.ToUpper(c.Org)) {
		// A person's objection to sharing with the council (a deny to
		// the council sector) is decided by this claim: a council's
		// user whose token said nhs read the record she objected to
		// (review 9d). carex tells a council by its code (as it tells
		// a care package); an NHS body's code tells nothing either way.
		return nil, fail("sector " + c.Sector + " does not match org " + printable(c.Org) + ", a local authority's code: its users are sector council")
	}
	if c.Role == "" {
		return nil, fail("missing claim role")
	}
	role, jobRole, ok := mapRole(c.Role, extra, jobs)
	if !ok {
		if s := printable(c.Role); s != "" {
			return nil, fail("unknown role " + s)
		}
		return nil, fail("unknown role")
	}
	p := &Principal{
		Sub:  c.Subject,
		Name: c.Name,
		// An organisation code is read case-blind (sharing always has):
		// one form, so that IG lists an organisation's users together
		// (review 90b: "rcx" and "RCX" were two organisations to
		// agent=Organization/RCX).
		Org:     strings.ToUpper(c.Org),
		Sector:  c.Sector,
		Role:    role,
		Purpose: strings.TrimSpace(c.Purpose),
		JobRole: jobRole,
		Issuer:  c.Issuer,
		Dev:     dev,
	}
	if p.Name == "" {
		p.Name = p.Sub
	}
	if p.Purpose == "" {
		p.Purpose = DefaultPurpose
	}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.Time
	}
	return p, nil
}
