package consent

import (
	"bufio"
	"crypto/sha256"
	"embed"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Data classes (the same names as fhir/search; a test keeps them in step).
var dataClasses = []string{"allergies", "appointments", "care-plans", "consent", "demographics", "directory",
	"documents", "encounters", "financial", "immunisations", "medications", "observations", "other",
	"problems", "procedures", "provenance", "safeguarding", "social-care"}

var knownClass = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range dataClasses {
		m[c] = true
	}
	return m
}()

// nonClinical classes are the only ones an audit role may be given.
var nonClinical = map[string]bool{"demographics": true, "consent": true, "provenance": true, "directory": true}

// RolePolicy is what the policy says about one role.
type RolePolicy struct {
	Name       string
	Classes    []string // data classes; "*" = all
	OwnOrgOnly bool     // sees only what its own organisation recorded
	Audit      bool     // oversight role: no relationship or consent needed, non-clinical classes only
	BreakGlass bool     // may break glass
	// SeesOwn: sees every item its own organisation recorded, whatever
	// its classes (SPEC §5: a source always sees what it recorded). A
	// role a deployment adds (a receptionist) keeps its classes within
	// its organisation unless the policy lists it (review 5d).
	SeesOwn bool
	// ReadsAddressed: reads a message sent to its own organisation (an
	// item whose OtherCodes name it under SystemAddressee: a
	// Communication's recipient), whatever its classes; relationship,
	// consent and sensitivity decide it as any other item. A hospital's
	// message to the district nurses' trust is class other, which the
	// nurse does not see (reviews 84b, 85b: a class cannot say to whom).
	ReadsAddressed bool

	all     bool
	classes map[string]bool
}

// ClassSep joins an item's own data class with the classes of the
// resources inside it (contained resources, a stored Bundle's entries, FHIR
// JSON in an attachment): "care-plans+observations" is a care plan that
// carries a laboratory result (review 10b: it went to the social worker).
const ClassSep = "+"

// PrimaryClass is the item's own data class, without those of the
// resources inside it.
func PrimaryClass(class string) string {
	c, _, _ := strings.Cut(class, ClassSep)
	return c
}

// Sees reports whether the role may see a data class: for an item that
// carries resources of other classes ("care-plans+observations"), every
// one of them.
func (r *RolePolicy) Sees(class string) bool {
	if r.all {
		return true
	}
	for {
		c, rest, more := strings.Cut(class, ClassSep)
		if !r.classes[c] {
			return false
		}
		if !more {
			return true
		}
		class = rest
	}
}

// directCarePurposes are the PurposeOfUse codes (v3 ActReason) of direct
// care, the only ones a policy may serve: SPEC §4 refuses marketing,
// insurance, payment and research whatever the policy lists (review 45b:
// a policy listing HMARKT, HRESCH and HPAYMT released whole records to
// them). Treatment, emergency treatment and coordination of care; not
// BTG, since break-glass is asked per request with its reason
// (X-Break-Glass), nor care management, an operation in ActReason
// (review 46b: a token claiming BTG passed a deny for TREAT, with no
// reason and no alert).
var directCarePurposes = map[string]bool{"TREAT": true, "ETREAT": true, "COC": true}

// Policy is the sharing policy. Build one with DefaultPolicy or LoadPolicy;
// it is read-only afterwards and safe for concurrent use.
//
// File format (one directive per line, '#' comments, words split by
// spaces; see default.policy for the built-in one):
//
//	purposes CODE...                  purposes of use served (default and most: TREAT ETREAT COC, direct care)
//	role NAME CLASS...|*              data classes a role may see
//	own-org-only ROLE...              roles that read only their own organisation's data
//	sees-own-records ROLE...          roles that see everything their own organisation recorded, whatever their classes (not audit roles)
//	reads-addressed ROLE...           roles that read messages sent to their own organisation, whatever their classes (not audit or own-org-only roles)
//	audit-role ROLE...                oversight roles (non-clinical classes only; no relationship/consent)
//	job-role RBAC-CODE ROLE           national RBAC job role → carex role
//	break-glass-roles ROLE...         roles that may break glass
//	break-glass-grant DURATION        how long a grant lasts (Go duration or Nd)
//	break-glass-min-reason N          minimum free-text length after "CATEGORY:"
//	break-glass-releases LABEL...     sensitive labels break-glass also releases
//	sensitive LABEL...                labels that make an item sensitive
//	legally-restricted LABEL...       labels never released by break-glass
//	source-lifetime DURATION          how long recording data keeps a relationship (0 = forever)
//	code LABEL SYSTEM CODE...         labelling on write; SYSTEM snomed|icd10|icd10uk|URI; CODE* = prefix
//	alert-patients-per-hour N         IG alert: one user opening more than N patients in an hour (default 50)
//	alert-working-hours HH:MM HH:MM [ZONE]  IG alert: access outside these hours (default 07:00 19:00 Europe/London)
//	codeset LABEL SYSTEM LIST         every code of a list: a built-in national refset
//	                                  (sexually_transmitted_disease, assisted_fertilisation,
//	                                  termination_of_pregnancy, gender_related_issues) or a
//	                                  file of "code<TAB>display" lines (# comments)
//
// Directives that take lists may repeat; they add up.
type Policy struct {
	Purposes            []string
	Roles               map[string]*RolePolicy
	JobRoles            map[string]string
	BreakGlassGrant     time.Duration
	BreakGlassMinReason int
	BreakGlassReleases  []string
	Sensitive           []string
	LegallyRestricted   []string
	SourceLifetime      time.Duration
	CodeLabels          []CodeRule
	// IG alert thresholds (0 / "": the access log's defaults).
	AlertPatientsPerHour       int
	AlertDayStart, AlertDayEnd time.Duration
	AlertZone                  string

	purposes        map[string]bool
	sensitive       map[string]bool
	legal           map[string]bool
	bgReleases      map[string]bool
	exact           map[Coding][]string
	prefix          []CodeRule
	prefixBySystems map[string]bool
}

// CodeRule labels items carrying a code (Prefix: any code starting with Code).
type CodeRule struct {
	Label  string
	System string
	Code   string
	Prefix bool
}

// Code system aliases accepted in "code" lines.
var systemAlias = map[string]string{
	"snomed":  "http://snomed.info/sct",
	"icd10":   "http://hl7.org/fhir/sid/icd-10",
	"icd10uk": "http://hl7.org/fhir/sid/icd-10-uk",
}

//go:embed default.policy
var defaultPolicyText string

// refsets are the SNOMED CT members of the four national "GP summary data
// sharing exclusion" refsets (see refsets/SOURCE.md).
//
//go:embed refsets/*.tsv
var refsets embed.FS

// readCodeList reads a built-in refset by name, or a TSV file by path.
func readCodeList(name string) ([]string, error) {
	var data []byte
	var err error
	if strings.ContainsAny(name, "/\\.") {
		data, err = os.ReadFile(name)
	} else {
		data, err = refsets.ReadFile("refsets/" + name + ".tsv")
		if err != nil {
			err = fmt.Errorf("no built-in code list %q (have sexually_transmitted_disease, assisted_fertilisation, termination_of_pregnancy, gender_related_issues, hiv)", name)
		}
	}
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		code, _, _ := strings.Cut(line, "\t")
		codes = append(codes, strings.TrimSpace(code))
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("code list %s is empty", name)
	}
	return codes, nil
}

var (
	defaultOnce sync.Once
	defaultPol  *Policy
)

// DefaultPolicyText is the built-in policy file (a starting point for --policy).
func DefaultPolicyText() string { return defaultPolicyText }

// DefaultPolicy returns the built-in policy (default.policy, embedded):
// purposes TREAT ETREAT COC; gp and hospital-clinician see every class;
// district-nurse and social-worker the classes SPEC §1 lists for them;
// ig-officer demographics, consent, provenance and directory only (audit
// role); system sees every class but only its own organisation's data;
// gp, hospital-clinician and district-nurse may break glass for 4h with a
// reason of at least 10 characters; sensitive labels HIV STD SEX PSY ETH
// SDV GDIS R V HFEA GRA, of which HFEA and GRA are legally restricted;
// being a source keeps a relationship for 730 days. The returned policy is
// shared: do not modify it.
func DefaultPolicy() *Policy {
	defaultOnce.Do(func() {
		p, err := LoadPolicy(strings.NewReader(defaultPolicyText))
		if err != nil {
			panic("consent: built-in policy: " + err.Error())
		}
		defaultPol = p
	})
	return defaultPol
}

// PolicyError names the line of a policy file that is wrong.
type PolicyError struct {
	Line int
	Msg  string
}

func (e *PolicyError) Error() string { return fmt.Sprintf("policy line %d: %s", e.Line, e.Msg) }

// LoadPolicy reads a policy file (format: see Policy). An error is a
// *PolicyError naming the line.
func LoadPolicy(r io.Reader) (*Policy, error) {
	p := &Policy{Roles: map[string]*RolePolicy{}, JobRoles: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	// where each role was referenced, to report unknown roles at the right line
	type roleUse struct {
		line int
		role string
		what string
	}
	var uses []roleUse
	seen := map[string]int{}
	var bgRoles []roleUse
	firstLine := map[string]int{}
	jobLine := map[string]int{}
	roleLine := map[string]int{} // where each role is defined
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		dir, args := f[0], f[1:]
		bad := func(format string, a ...any) error { return &PolicyError{line, dir + ": " + fmt.Sprintf(format, a...)} }
		if _, ok := firstLine[dir]; !ok {
			firstLine[dir] = line
		}
		single := func() error {
			if prev, ok := seen[dir]; ok {
				return bad("already given on line %d", prev)
			}
			seen[dir] = line
			if len(args) != 1 {
				return bad("expected one value")
			}
			return nil
		}
		switch dir {
		case "purposes":
			if len(args) == 0 {
				return nil, bad("list at least one purpose of use")
			}
			for _, a := range args {
				if !isUpperCode(a) {
					return nil, bad("%q is not a PurposeOfUse code (upper case, e.g. TREAT)", a)
				}
				if !directCarePurposes[a] {
					return nil, bad("%q is not a purpose of direct care: carex serves direct care only (%s); marketing, insurance, payment, research and other secondary uses are always refused", a, strings.Join(slices.Sorted(maps.Keys(directCarePurposes)), ", "))
				}
			}
			p.Purposes = append(p.Purposes, args...)
		case "role":
			if len(args) < 2 {
				return nil, bad("expected: role NAME CLASS... (or *)")
			}
			name := args[0]
			if !isName(name) {
				return nil, bad("%q is not a role name (lower case letters, digits, '-')", name)
			}
			if _, dup := p.Roles[name]; dup {
				return nil, bad("role %s already defined", name)
			}
			rp := &RolePolicy{Name: name, classes: map[string]bool{}}
			for _, c := range args[1:] {
				if c == "*" {
					rp.all = true
				} else if !knownClass[c] {
					return nil, bad("unknown data class %q (known: %s)", c, strings.Join(dataClasses, " "))
				}
				rp.Classes = append(rp.Classes, c)
				rp.classes[c] = true
			}
			p.Roles[name] = rp
			roleLine[name] = line
		case "own-org-only", "audit-role", "break-glass-roles", "sees-own-records", "reads-addressed":
			if len(args) == 0 {
				return nil, bad("list at least one role")
			}
			for _, a := range args {
				uses = append(uses, roleUse{line, a, dir})
				if dir == "break-glass-roles" {
					bgRoles = append(bgRoles, roleUse{line, a, dir})
				}
			}
		case "job-role":
			if len(args) != 2 {
				return nil, bad("expected: job-role RBAC-CODE ROLE")
			}
			// A token's job role and a Consent's actor are looked up in
			// upper case, the last part of the national form
			// (S8000:G8000:R8001): a code in another form would never be
			// found, and a second line for a code would replace the first
			// unseen (review 9d).
			if !isUpperCode(args[0]) {
				return nil, bad("%q is not a national RBAC job role code (upper case, e.g. R8000; not the full S8000:G8000:R8000 form)", args[0])
			}
			if prev, dup := jobLine[args[0]]; dup {
				return nil, bad("job role %s is already mapped on line %d", args[0], prev)
			}
			jobLine[args[0]] = line
			p.JobRoles[args[0]] = args[1]
			uses = append(uses, roleUse{line, args[1], dir})
		case "break-glass-grant", "source-lifetime":
			if err := single(); err != nil {
				return nil, err
			}
			d, err := parseDuration(args[0])
			if err != nil || d < 0 {
				return nil, bad("%q is not a duration (e.g. 4h, 30m, 730d)", args[0])
			}
			if dir == "break-glass-grant" {
				if d <= 0 {
					return nil, bad("must be positive")
				}
				p.BreakGlassGrant = d
			} else {
				p.SourceLifetime = d
			}
		case "break-glass-min-reason":
			if err := single(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 || n > 1000 {
				return nil, bad("%q is not a length between 1 and 1000", args[0])
			}
			p.BreakGlassMinReason = n
		case "break-glass-releases", "sensitive", "legally-restricted":
			for _, a := range args {
				if !isUpperCode(a) {
					return nil, bad("%q is not a label code (upper case, e.g. HIV)", a)
				}
			}
			switch dir {
			case "break-glass-releases":
				p.BreakGlassReleases = append(p.BreakGlassReleases, args...)
			case "sensitive":
				p.Sensitive = append(p.Sensitive, args...)
			default:
				p.LegallyRestricted = append(p.LegallyRestricted, args...)
			}
		case "code":
			if len(args) < 3 {
				return nil, bad("expected: code LABEL SYSTEM CODE...")
			}
			label, sys, err := labelAndSystem(args[0], args[1])
			if err != nil {
				return nil, bad("%v", err)
			}
			for _, c := range args[2:] {
				prefix := strings.HasSuffix(c, "*")
				c = strings.TrimSuffix(c, "*")
				if c == "" || strings.Contains(c, "*") {
					return nil, bad("%q is not a code or a prefix ending in *", c+"*")
				}
				p.CodeLabels = append(p.CodeLabels, CodeRule{Label: label, System: sys, Code: normCode(sys, c), Prefix: prefix})
			}
		case "alert-patients-per-hour":
			if err := single(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 {
				return nil, bad("%q is not a positive number of patients", args[0])
			}
			p.AlertPatientsPerHour = n
		case "alert-working-hours":
			if prev, ok := seen[dir]; ok {
				// (review 52d: a second line, 00:00 23:59, silently
				// switched the out-of-hours alert off)
				return nil, bad("already given on line %d", prev)
			}
			seen[dir] = line
			if len(args) != 2 && len(args) != 3 {
				return nil, bad("expected: alert-working-hours HH:MM HH:MM [TIME-ZONE]")
			}
			var err error
			if p.AlertDayStart, err = clockTime(args[0]); err != nil {
				return nil, bad("%v", err)
			}
			if p.AlertDayEnd, err = clockTime(args[1]); err != nil {
				return nil, bad("%v", err)
			}
			if p.AlertDayEnd <= p.AlertDayStart {
				return nil, bad("working hours must end after they start")
			}
			if len(args) == 3 {
				if _, err := time.LoadLocation(args[2]); err != nil {
					return nil, bad("unknown time zone %q", args[2])
				}
				p.AlertZone = args[2]
			}
		case "codeset":
			if len(args) != 3 {
				return nil, bad("expected: codeset LABEL SYSTEM LIST (LIST: a built-in refset name or a TSV file path)")
			}
			label, sys, err := labelAndSystem(args[0], args[1])
			if err != nil {
				return nil, bad("%v", err)
			}
			codes, err := readCodeList(args[2])
			if err != nil {
				return nil, bad("%v", err)
			}
			for _, c := range codes {
				p.CodeLabels = append(p.CodeLabels, CodeRule{Label: label, System: sys, Code: normCode(sys, c)})
			}
		default:
			return nil, bad("unknown directive (known: purposes, role, own-org-only, audit-role, sees-own-records, reads-addressed, job-role, break-glass-roles, " +
				"break-glass-grant, break-glass-min-reason, break-glass-releases, sensitive, legally-restricted, source-lifetime, code, codeset, alert-patients-per-hour, alert-working-hours)")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &PolicyError{line + 1, err.Error()}
	}
	for _, u := range uses {
		rp, ok := p.Roles[u.role]
		if !ok {
			return nil, &PolicyError{u.line, fmt.Sprintf("%s: role %q is not defined by a role line", u.what, u.role)}
		}
		switch u.what {
		case "own-org-only":
			rp.OwnOrgOnly = true
		case "audit-role":
			rp.Audit = true
			for _, c := range rp.Classes {
				if !nonClinical[c] {
					return nil, &PolicyError{u.line, fmt.Sprintf("audit-role: %s may see %q, but an audit role may see only non-clinical classes (demographics, consent, provenance, directory)", u.role, c)}
				}
			}
		case "break-glass-roles":
			rp.BreakGlass = true
		case "sees-own-records":
			rp.SeesOwn = true
		case "reads-addressed":
			rp.ReadsAddressed = true
		}
	}
	for _, u := range uses {
		if rp := p.Roles[u.role]; u.what == "sees-own-records" && rp.Audit {
			return nil, &PolicyError{u.line, fmt.Sprintf("sees-own-records: %s is an audit role, which sees no clinical data, its own organisation's included", u.role)}
		}
	}
	for _, u := range uses {
		if rp := p.Roles[u.role]; u.what == "reads-addressed" && (rp.Audit || rp.OwnOrgOnly) {
			return nil, &PolicyError{u.line, fmt.Sprintf("reads-addressed: %s is an audit or own-org-only role, which reads no message sent to its organisation", u.role)}
		}
	}
	for _, u := range bgRoles {
		if rp := p.Roles[u.role]; rp.Audit || rp.OwnOrgOnly {
			return nil, &PolicyError{u.line, fmt.Sprintf("break-glass-roles: %s is an audit or own-org-only role and cannot break glass", u.role)}
		}
	}
	if len(p.Roles) == 0 {
		return nil, &PolicyError{line, "no role lines: the policy must define at least one role"}
	}
	if len(p.Purposes) == 0 {
		p.Purposes = []string{"TREAT", "ETREAT", "COC"}
	}
	if p.BreakGlassGrant == 0 {
		p.BreakGlassGrant = 4 * time.Hour
	}
	if p.BreakGlassMinReason == 0 {
		p.BreakGlassMinReason = 10
	}
	p.compile()
	for _, l := range p.LegallyRestricted {
		if !p.sensitive[l] {
			return nil, &PolicyError{firstLine["legally-restricted"], fmt.Sprintf("legally-restricted: %s must also be listed as sensitive", l)}
		}
	}
	for _, l := range statutoryLabels {
		// assisted fertilisation (HFE Act 1990 s.33A) and gender
		// recognition (GRA 2004 s.22): a policy deriving them cannot
		// let break-glass release them (review 52d)
		if (p.sensitive[l] || slices.ContainsFunc(p.CodeLabels, func(r CodeRule) bool { return r.Label == l })) && !p.legal[l] {
			at := firstLine["legally-restricted"]
			for _, d := range []string{"sensitive", "codeset", "code"} {
				if at == 0 {
					at = firstLine[d]
				}
			}
			return nil, &PolicyError{at, fmt.Sprintf("%s must be listed in legally-restricted (and sensitive): the law restricts its disclosure, break-glass included", l)}
		}
	}
	for _, l := range p.BreakGlassReleases {
		if p.legal[l] {
			return nil, &PolicyError{firstLine["break-glass-releases"], fmt.Sprintf("break-glass-releases: %s is legally restricted and can never be released by break-glass", l)}
		}
		if !p.sensitive[l] {
			return nil, &PolicyError{firstLine["break-glass-releases"], fmt.Sprintf("break-glass-releases: %s is not a sensitive label", l)}
		}
	}
	// What SPEC fixes for its own roles, a policy cannot undo (review 52d:
	// a file without these lines gave the IG officer Jane's diagnoses, and
	// a feed's system account other organisations' records).
	if rp := p.Roles["ig-officer"]; rp != nil && !rp.Audit {
		return nil, &PolicyError{roleLine["ig-officer"], "role ig-officer must be listed in audit-role: the IG officer sees no clinical data"}
	}
	if rp := p.Roles["system"]; rp != nil && !rp.OwnOrgOnly {
		return nil, &PolicyError{roleLine["system"], "role system must be listed in own-org-only: a client system reads back only what its organisation recorded"}
	}
	audit := false
	for _, rp := range p.Roles {
		audit = audit || rp.Audit
	}
	if !audit {
		return nil, &PolicyError{line, "no audit-role: IG officers could not read the access log; list one (audit-role ig-officer)"}
	}
	return p, nil
}

// statutoryLabels are the labels whose records the law restricts.
var statutoryLabels = []string{"HFEA", "GRA"}

func (p *Policy) compile() {
	set := func(l []string) map[string]bool {
		m := make(map[string]bool, len(l))
		for _, s := range l {
			m[s] = true
		}
		return m
	}
	p.purposes = set(p.Purposes)
	p.sensitive = set(p.Sensitive)
	p.legal = set(p.LegallyRestricted)
	p.bgReleases = set(p.BreakGlassReleases)
	p.exact = map[Coding][]string{}
	p.prefix = nil
	p.prefixBySystems = map[string]bool{}
	for _, r := range p.CodeLabels {
		if r.Prefix {
			p.prefix = append(p.prefix, r)
			p.prefixBySystems[r.System] = true
		} else {
			k := Coding{r.System, r.Code}
			if !slices.Contains(p.exact[k], r.Label) {
				p.exact[k] = append(p.exact[k], r.Label)
			}
		}
	}
}

// Serves reports whether the policy serves a purpose of use.
func (p *Policy) Serves(purpose string) bool { return p.purposes[purpose] }

// IsSensitive reports whether a label makes an item sensitive.
func (p *Policy) IsSensitive(label string) bool { return p.sensitive[label] }

// IsLegallyRestricted reports whether a label is never released by break-glass.
func (p *Policy) IsLegallyRestricted(label string) bool { return p.legal[label] }

// Role returns a role's policy, nil when the policy does not define it.
func (p *Policy) Role(name string) *RolePolicy { return p.Roles[name] }

// Labels derives sensitivity labels from an item's codes (labelling on
// write): sorted, without duplicates; nil when none apply. The API adds
// them to the labels the source set in meta.security.
func (p *Policy) Labels(codes []Coding) []string {
	var out []string
	add := func(ls ...string) {
		for _, l := range ls {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	one := func(system, code string) {
		add(p.exact[Coding{system, code}]...)
		if p.prefixBySystems[system] {
			for _, r := range p.prefix {
				if r.System == system && strings.HasPrefix(code, r.Code) {
					add(r.Label)
				}
			}
		}
	}
	for _, c := range codes {
		code := normCode(c.System, c.Code)
		one(c.System, code)
		if c.System == "" && allDigits(code) {
			// A concept id with no system: labelled as SNOMED CT would
			// label it (review 51f: {"code":"86406008"} went out).
			one(CanonicalCoding(systemSNOMED, code))
		}
		if c.System == "" {
			// A code with no system, as a Consent's code is read (review
			// 79a): labelled as ICD-10 would label it (review 92c: B20 and
			// F64.0 with no system went out).
			if tok, ok := icd10Token(c.Code); ok {
				one(systemICD10, normCode(systemICD10, tok))
			}
		} else if strings.HasPrefix(c.System, systemICD10+"-") && !p.prefixBySystems[c.System] {
			// Another edition of ICD-10 (review 92c: B20 under icd-10-cm).
			one(systemICD10, normCode(systemICD10, c.Code))
		}
		if c.System == systemSNOMED && !allDigits(code) {
			// A SNOMED CT expression ("86406008 |HIV infection|",
			// "86406008:246454002=41847000"): labelled at least as each
			// concept it names.
			for _, id := range sctIDs(code) {
				one(c.System, id)
			}
		}
	}
	sort.Strings(out)
	return out
}

const systemSNOMED = "http://snomed.info/sct"

// icd10Token is the ICD-10 code a code with no system is written as, if
// it is one: a letter and two digits (B20), then up to four letters or
// digits, with or without a dot after the third character (F64.0, Z313,
// F3130, B20.), then nothing, or anything but a letter, a digit or a dot
// (B20.0†, B20.0*, B20-B24, "B20.0 HIV disease": review 95a). A Read v2
// code padded with dots (F12.., A53..) is not one (review 93a:
// Parkinson's, F12.., was withheld as ICD-10 F12); one of five characters
// without dots is read as ICD-10, failing closed (review 94a: F3130 and
// B20. went out).
func icd10Token(code string) (string, bool) {
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	if len(code) < 3 || code[0]|0x20 < 'a' || code[0]|0x20 > 'z' || !digit(code[1]) || !digit(code[2]) {
		return "", false
	}
	i := 3
	if i < len(code) && code[i] == '.' {
		i++
	}
	for n := 0; n < 4 && i < len(code) && alnum(code[i]); n++ {
		i++
	}
	if i < len(code) && (alnum(code[i]) || code[i] == '.') {
		return "", false // longer, or padded with dots as Read v2 is
	}
	return code[:i], true
}

// CanonicalCoding is system|code as the policy's code lists and a
// Consent's provisions name it: SNOMED CT under another of its names (its
// OID, https, a trailing slash, an edition's URI, "SCT", a concept URI's
// prefix, a value-set suffix, any case) is SNOMED CT, and a SNOMED CT
// identifier written with leading zeros is that identifier; ICD-10 under
// its OID, https, a trailing slash or in any case is ICD-10 (its national
// editions keep their names). An item coded so escaped labelling and
// denies by code (review 22b: an HIV diagnosis coded under SNOMED CT's OID
// went to every organisation with a relationship, and an
// assisted-fertilisation procedure so coded out under break-glass; review
// 23a: the other forms). A Consent's provision codes are read the same way
// (parser.coding), so that a deny written as the item is still meets it.
func CanonicalCoding(system, code string) (string, string) {
	low := strings.ToLower(strings.TrimSpace(system))
	if i := strings.IndexByte(low, '?'); i >= 0 {
		low = low[:i] // http://snomed.info/sct?fhir_vs: a value set's url
	}
	low = strings.TrimRight(low, "/")
	switch {
	case snomedNames[low], isSnomedEdition(low), low == "sct", low == "snomed", low == "snomed-ct", low == "http://snomed.info/id":
		system = systemSNOMED
		if allDigits(code) {
			if c := strings.TrimLeft(code, "0"); c != "" {
				code = c
			}
		}
	case low == "urn:oid:2.16.840.1.113883.6.3":
		system = systemICD10
	case strings.HasPrefix(strings.Replace(low, "https://", "http://", 1), systemICD10):
		system = strings.Replace(low, "https://", "http://", 1)
	}
	return system, code
}

// ClinicalSystem reports whether a Coding's system is a clinical code
// system under any of its names: SNOMED CT, ICD-10 (any edition), Read.
func ClinicalSystem(system string) bool {
	canon, _ := CanonicalCoding(system, "")
	low := strings.ToLower(canon)
	return canon == systemSNOMED || strings.Contains(low, "icd-10") || strings.Contains(low, "icd10") || strings.Contains(low, "read.info")
}

// isSnomedEdition: an edition's or a version's URI
// (http://snomed.info/sct/999000041000000102, …/version/20240403), which
// belongs in Coding.version, written as the system, over http or https
// (review 51f: a versioned one was not read as SNOMED CT, and an IVF
// procedure so coded went out even under break-glass).
func isSnomedEdition(system string) bool {
	rest, ok := strings.CutPrefix(strings.Replace(system, "https://", "http://", 1), systemSNOMED+"/")
	if !ok {
		return false
	}
	module, version, versioned := strings.Cut(strings.TrimRight(rest, "/"), "/version/")
	return allDigits(module) && (!versioned || allDigits(version))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// sctIDs returns the SNOMED CT identifiers in a compositional-grammar
// expression: every run of 6 to 18 digits outside |terms| (which may hold
// digits of their own) that has no leading zero and a valid Verhoeff check
// digit.
func sctIDs(expr string) []string {
	var ids []string
	eachSCTID(expr, func(id string) bool { ids = append(ids, id); return true })
	return ids
}

// sctNames reports whether the SNOMED CT expression names concept id,
// without allocating (codeMatch runs per provision code and item code).
func sctNames(expr, id string) bool {
	found := false
	eachSCTID(expr, func(x string) bool { found = x == id; return !found })
	return found
}

// eachSCTID calls fn with each concept id expr names (outside its |terms|),
// until fn returns false.
func eachSCTID(expr string, fn func(string) bool) {
	inTerm := false
	for i := 0; i < len(expr); {
		ch := expr[i]
		switch {
		case ch == '|':
			inTerm = !inTerm
			i++
		case !inTerm && ch >= '0' && ch <= '9':
			j := i
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			// (leading zeros dropped: "086406008 |HIV|" names 86406008;
			// review 23a)
			if id := strings.TrimLeft(expr[i:j], "0"); len(id) >= 6 && len(id) <= 18 && verhoeff(id) && !fn(id) {
				return
			}
			i = j
		default:
			i++
		}
	}
}

var (
	verhoeffD = [10][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	verhoeffP = [8][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

// verhoeff reports whether a string of digits ends in a valid Verhoeff
// check digit (the SCTID check digit).
func verhoeff(digits string) bool {
	var c byte
	for i := 0; i < len(digits); i++ {
		c = verhoeffD[c][verhoeffP[i%8][digits[len(digits)-1-i]-'0']]
	}
	return c == 0
}

// systemICD10 prefixes the ICD-10 systems (icd-10, icd-10-uk, …).
const systemICD10 = "http://hl7.org/fhir/sid/icd-10"

// normCode: ICD-10 codes are compared without dots and in upper case.
func normCode(system, code string) string {
	if strings.HasPrefix(system, systemICD10) {
		return strings.ToUpper(strings.ReplaceAll(code, ".", ""))
	}
	return code
}

func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 || d > 100*365 {
			return 0, fmt.Errorf("bad days")
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func isUpperCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// clockTime parses HH:MM as an offset from midnight.
func clockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// labelAndSystem checks a label code and resolves a code system alias.
func labelAndSystem(label, sys string) (string, string, error) {
	if !isUpperCode(label) {
		return "", "", fmt.Errorf("%q is not a label code (upper case, e.g. HIV)", label)
	}
	if full, ok := systemAlias[sys]; ok {
		return label, full, nil
	}
	if !strings.Contains(sys, ":") {
		return "", "", fmt.Errorf("%q is neither a system alias (snomed, icd10, icd10uk) nor a URI", sys)
	}
	return label, sys, nil
}

// ConsentLabels are the sensitive labels a Consent's provisions name, by
// securityLabel or by codes the policy's lists label: a consent about a
// person's HIV data tells that they have some, so it is released as that
// data would be. Sorted, without duplicates; nil when none.
func (p *Policy) ConsentLabels(c *Consent) []string {
	var out []string
	var walk func(pr *Provision)
	walk = func(pr *Provision) {
		if pr == nil {
			return
		}
		for _, l := range append(slices.Clone(pr.SecurityLabels), p.Labels(pr.Codes)...) {
			if p.sensitive[l] && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
		for _, ch := range pr.Provisions {
			walk(ch)
		}
	}
	walk(c.Root)
	slices.Sort(out)
	return out
}

// LabellingLists names what labels items on write, as "sha256:" and a
// hash: the code lists (Labels) and the sensitive labels (ConsentLabels).
// Two policies with the same name label every item alike, however their
// files order or repeat the lines. Stored labels are only right under the
// lists they were derived with, so the record database keeps this name and
// the commands that write to it compare it with theirs.
func (p *Policy) LabellingLists() string {
	lines := make([]string, 0, len(p.CodeLabels)+len(p.Sensitive))
	for _, r := range p.CodeLabels {
		kind := "code"
		if r.Prefix {
			kind = "prefix"
		}
		lines = append(lines, kind+"\t"+r.Label+"\t"+r.System+"\t"+r.Code)
	}
	for _, l := range p.Sensitive {
		lines = append(lines, "sensitive\t"+l)
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CheckConsent says what a write of a parsed Consent must refuse beyond
// ParseConsent (nil when nothing): a patient-privacy Consent without
// dateTime, a recipient carex cannot match (a PractitionerRole), a
// role actor that names no role of the policy nor a national RBAC job
// role it maps, and a provision needing an item's author practitioner (an
// AUT/CST actor or data authoredby naming a Practitioner or
// PractitionerRole) or what refers to an item (data meaning related),
// which the API's items do not carry. Stored Consents are read without
// these checks, so that one written by an older release keeps counting.
// The error is a *ConsentError naming the element.
func (p *Policy) CheckConsent(c *Consent) error {
	if len(c.refusals) > 0 {
		return c.refusals[0]
	}
	for _, r := range c.roleActors {
		if p.roleOf(r.code) == "" {
			return &ConsentError{r.el, fmt.Sprintf("%q is not a role of the policy (roles: %s)", r.code, strings.Join(p.roleCodes(), ", "))}
		}
	}
	if err := p.checkPurposes(c.Root); err != nil {
		return err
	}
	return p.checkLabelledPermits(c.Root)
}

// checkLabelledPermits refuses a permit of codes the policy's lists label
// that names none of those labels: labelled data needs a permit naming
// its label (rule 6), so such a permit would release nothing it names
// and be stored unheeded (review 78c: "nothing, but my depression to the
// hospital" kept her depression from the hospital, 201).
func (p *Policy) checkLabelledPermits(pr *Provision) error {
	if pr == nil {
		return nil
	}
	if pr.Type == Permit {
		for _, cd := range pr.Codes {
			codings := []Coding{cd}
			if cd.System == "" {
				// It matches an ICD-10 item's code too (codeMatch):
				// labelled as one (review 79a: a permit of F32 with no
				// system was stored, and released nothing labelled).
				codings = append(codings, Coding{systemICD10, cd.Code})
			}
			for _, l := range p.Labels(codings) {
				if !slices.Contains(pr.pathLabels, l) {
					return &ConsentError{pr.Path + ".code", fmt.Sprintf("%s %s is labelled %s by carex's code lists, and a permit releases labelled data only where it names the label: add securityLabel %s to this provision", cd.System, cd.Code, l, l)}
				}
			}
		}
	}
	for _, ch := range pr.Provisions {
		if err := p.checkLabelledPermits(ch); err != nil {
			return err
		}
	}
	return nil
}

// checkPurposes refuses a provision limited to a purpose of use carex does
// not serve (a typo such as "treat", or research): it could never apply to
// a request here, so a deny written with it would be silently ineffective,
// and a whole Consent about research would count as the recorder's newest
// and outrank their objection to the shared care record.
func (p *Policy) checkPurposes(pr *Provision) error {
	if pr == nil {
		return nil
	}
	for _, code := range pr.Purposes {
		if !p.Serves(code) {
			var served []string
			for s := range p.purposes {
				served = append(served, s)
			}
			slices.Sort(served)
			return &ConsentError{pr.Path + ".purpose", fmt.Sprintf("%q is not a purpose carex serves (%s: direct care only); research and other objections are not this engine's business: record them where they are decided", code, strings.Join(served, ", "))}
		}
	}
	for _, ch := range pr.Provisions {
		if err := p.checkPurposes(ch); err != nil {
			return err
		}
	}
	return nil
}

// roleOf resolves a Consent's role actor code to a carex role: a role the
// policy defines, or a national RBAC job role it maps (R8014, or the full
// form S8000:G8000:R8014); "" when neither.
func (p *Policy) roleOf(code string) string {
	if _, ok := p.Roles[code]; ok {
		return code
	}
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	return p.JobRoles[strings.ToUpper(code)]
}

// roleCodes lists the carex roles, then the job-role codes mapped.
func (p *Policy) roleCodes() []string {
	var roles, jobs []string
	for r := range p.Roles {
		roles = append(roles, r)
	}
	for j, r := range p.JobRoles {
		jobs = append(jobs, j+" ("+r+")")
	}
	sort.Strings(roles)
	sort.Strings(jobs)
	return append(roles, jobs...)
}
