package search

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/carex-project/carex/fhir"
)

// Errors returned by ParseQuery (and ParseDate); both map to HTTP 400.
var (
	ErrUnknownParam = errors.New("unknown search parameter")
	ErrBadValue     = errors.New("invalid search value")
)

// Paging limits.
const (
	DefaultCount = 20
	MaxCount     = 1000
)

// Value is one (OR-ed) search value. Fields used per parameter type:
//
//	Token:     System, HasSystem, Code ("sys|code", "|code" = HasSystem with
//	           System "", "sys|" = Code ""); NHS numbers have spaces removed
//	Reference: Ref ("Type/id")
//	Date:      Prefix, Lo, Hi; Str the value as given (written back in links)
//	String:    Str (NormString-ed); URI: Str (exact)
//	Number:    Prefix, Num
//	Quantity:  Prefix, Num, System/HasSystem (unit system), Code (unit code)
//
// With the "missing" modifier (any type) only Code is set: "true" or "false".
type Value struct {
	Prefix    string
	System    string
	HasSystem bool
	Code      string
	Ref       string
	Lo, Hi    int64
	Str       string
	Num       float64
}

// Clause is one search parameter occurrence; its Values are OR-ed.
//
// Modifiers accepted: any type: missing; Token: not; String: exact,
// contains; Reference: a resource type (subject:Patient=123), which is
// resolved into Ref and not kept. Everything else is ErrBadValue.
type Clause struct {
	Param    string
	Type     ParamType
	Modifier string
	Values   []Value
}

// Include is one _include (Rev false) or _revinclude (Rev true):
// SourceType:Param[:TargetType].
type Include struct {
	SourceType, Param, TargetType string
	Rev                           bool
}

// SortKey is one _sort key.
type SortKey struct {
	Param string
	Desc  bool
}

// Query is a parsed type-level search. Clauses are AND-ed and ordered by
// (Param, Modifier), keeping the order of repeated parameters.
type Query struct {
	Type     string
	Clauses  []Clause
	Count    int
	Offset   int
	Sort     []SortKey
	Includes []Include
	Summary  string
	Total    string
	Elements []string
	// HideItemNames: a string or token value that may name an item
	// (fhir.IndexedMayNameItem: a whole string, or a link in free text;
	// a uri's, fhir.MayNameItem) matches no
	// string or token clause that could match it, and sorts as missing.
	// Set for a reader to whom such values go out masked where the item
	// they name is withheld: a search matching or ordering by them would
	// tell what the masked value holds (by prefix or contains, letter by
	// letter). Not a search parameter: Encode leaves it out.
	HideItemNames bool
}

var prefixes = map[string]bool{"eq": true, "ne": true, "gt": true, "lt": true, "ge": true, "le": true, "sa": true, "eb": true, "ap": true}

func badValue(param, value, why string) error {
	return fmt.Errorf("%w: %s=%q: %s", ErrBadValue, param, value, why)
}

// ParseQuery parses the query parameters of a type-level search on
// resourceType. Parameters beginning with _format or _pretty are ignored, as
// are parameters with an empty value. Unknown or unsupported parameters
// (including chained ones, _has, _text, _content, _include:iterate) give
// ErrUnknownParam; malformed values give ErrBadValue.
func ParseQuery(resourceType string, q url.Values) (*Query, error) {
	_, defs := paramsFor(resourceType)
	out := &Query{Type: resourceType, Count: DefaultCount}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if strings.HasPrefix(key, "_format") || strings.HasPrefix(key, "_pretty") {
			continue
		}
		given := 0
		for _, raw := range q[key] {
			if raw == "" {
				continue
			}
			if given++; given > 1 && singleValued[key] {
				// (review 81d: the last value was taken, the first
				// dropped without a word, as $everything does not)
				return nil, badValue(key, raw, "given twice: give it once")
			}
			if err := out.parseParam(defs, key, raw); err != nil {
				return nil, err
			}
		}
	}
	if err := out.withinLimits(); err != nil {
		return nil, err
	}
	sort.SliceStable(out.Clauses, func(i, j int) bool {
		a, b := out.Clauses[i], out.Clauses[j]
		if a.Param != b.Param {
			return a.Param < b.Param
		}
		return a.Modifier < b.Modifier
	})
	return out, nil
}

// singleValued are the result parameters that take one value.
var singleValued = map[string]bool{"_count": true, "_offset": true, "_summary": true, "_total": true}

// Limits on one search, so that no single request can cost seconds of
// work or an SQL statement SQLite refuses (a 500): far above what a user
// or a system needs, each a 400 naming itself.
const (
	MaxClauses  = 50  // search parameters (repeats count)
	MaxValues   = 400 // comma-separated values over all parameters (SQLite's expression depth is 1,000)
	MaxSortKeys = 10
	MaxIncludes = 10 // distinct _include and _revinclude
)

func (out *Query) withinLimits() error {
	values := 0
	for _, c := range out.Clauses {
		values += len(c.Values)
	}
	switch {
	case len(out.Clauses) > MaxClauses:
		return fmt.Errorf("%w: %d search parameters: at most %d", ErrBadValue, len(out.Clauses), MaxClauses)
	case values > MaxValues:
		return fmt.Errorf("%w: %d search values: at most %d in one search (split it)", ErrBadValue, values, MaxValues)
	case len(out.Sort) > MaxSortKeys:
		return fmt.Errorf("%w: %d _sort keys: at most %d", ErrBadValue, len(out.Sort), MaxSortKeys)
	case len(out.Includes) > MaxIncludes:
		return fmt.Errorf("%w: %d _include/_revinclude: at most %d", ErrBadValue, len(out.Includes), MaxIncludes)
	}
	return nil
}

func (out *Query) parseParam(defs map[string]*cparam, key, raw string) error {
	switch key {
	case "_count", "_offset":
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return badValue(key, raw, "expected a non-negative integer")
		}
		if key == "_offset" {
			out.Offset = n
		} else {
			out.Count = min(n, MaxCount)
		}
		return nil
	case "_sort":
		for _, item := range strings.Split(raw, ",") {
			k := SortKey{Param: item}
			if strings.HasPrefix(item, "-") {
				k = SortKey{Param: item[1:], Desc: true}
			}
			if k.Param == "" {
				return badValue(key, raw, "empty sort key")
			}
			if _, ok := defs[k.Param]; !ok {
				return fmt.Errorf("%w: _sort=%q: %s has no search parameter %q", ErrUnknownParam, raw, out.Type, k.Param)
			}
			out.Sort = append(out.Sort, k)
		}
		return nil
	case "_include:iterate", "_revinclude:iterate", "_include:recurse", "_revinclude:recurse":
		// (review 81a: "CarePlan has no search parameter _include")
		return fmt.Errorf("%w: %s: :iterate is not supported: ask for the resources the included ones name by a second search", ErrUnknownParam, key)
	case "_include", "_revinclude":
		inc, err := parseInclude(out.Type, key, raw)
		if err != nil {
			return err
		}
		if !slices.Contains(out.Includes, inc) { // the same include twice finds nothing more
			out.Includes = append(out.Includes, inc)
		}
		return nil
	case "_summary":
		switch raw {
		case "count", "data", "false":
			out.Summary = raw
			return nil
		case "true", "text":
			// Which elements are "summary" is in the StructureDefinitions,
			// which carex does not carry; a guess would be a silent subset.
			return badValue(key, raw, "not supported: choose the elements with _elements")
		}
		return badValue(key, raw, "supported: count, data, false")
	case "_total":
		switch raw {
		case "none", "estimate", "accurate":
			out.Total = raw
			return nil
		}
		return badValue(key, raw, "supported: none, estimate, accurate")
	case "_elements":
		for _, e := range strings.Split(raw, ",") {
			if !validElement(e) {
				return badValue(key, raw, "invalid element name")
			}
			out.Elements = append(out.Elements, e)
		}
		if _, err := fhir.Elements(out.Type, out.Elements); err != nil {
			return badValue(key, raw, err.Error())
		}
		return nil
	}
	name, mod, hasMod := strings.Cut(key, ":")
	if strings.Contains(name, ".") || strings.Contains(mod, ".") {
		return fmt.Errorf("%w: %s: chained search parameters are not supported", ErrUnknownParam, key)
	}
	cp, ok := defs[name]
	if !ok {
		return fmt.Errorf("%w: %s has no search parameter %q", ErrUnknownParam, out.Type, name)
	}
	if hasMod && mod == "" {
		return badValue(key, raw, "empty modifier")
	}
	c, err := parseClause(&cp.def, key, mod, raw)
	if err != nil {
		return err
	}
	out.Clauses = append(out.Clauses, c)
	return nil
}

func validElement(e string) bool {
	if e == "" {
		return false
	}
	for i := 0; i < len(e); i++ {
		c := e[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func parseInclude(typ, key, raw string) (Include, error) {
	parts := strings.Split(raw, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return Include{}, badValue(key, raw, "expected SourceType:param[:TargetType]")
	}
	inc := Include{SourceType: parts[0], Param: parts[1], Rev: key == "_revinclude"}
	if len(parts) == 3 {
		inc.TargetType = parts[2]
		if !validType(inc.TargetType) {
			return Include{}, badValue(key, raw, "unknown target type "+inc.TargetType)
		}
	}
	if !inc.Rev && inc.SourceType != typ {
		return Include{}, badValue(key, raw, "_include source type must be "+typ)
	}
	if inc.Rev {
		if _, ok := typeDefs[inc.SourceType]; !ok {
			return Include{}, badValue(key, raw, "unknown source type "+inc.SourceType)
		}
		if inc.SourceType == "AuditEvent" {
			// The access log is searched on its own, by IG officers
			// (review 81a: accepted, and it included nothing).
			return Include{}, badValue(key, raw, "the access log (AuditEvent) is not included in other searches: search AuditEvent")
		}
		if inc.TargetType != "" && inc.TargetType != typ {
			return Include{}, badValue(key, raw, "_revinclude target type must be "+typ)
		}
	}
	_, defs := paramsFor(inc.SourceType)
	cp, ok := defs[inc.Param]
	if !ok {
		return Include{}, fmt.Errorf("%w: %s=%q: %s has no search parameter %q", ErrUnknownParam, key, raw, inc.SourceType, inc.Param)
	}
	if cp.def.Type != Reference {
		return Include{}, badValue(key, raw, inc.Param+" is not a reference parameter")
	}
	if t := inc.TargetType; t != "" && len(cp.def.Targets) > 0 && !contains(cp.def.Targets, t) {
		return Include{}, badValue(key, raw, inc.Param+" cannot refer to "+t)
	}
	if inc.Rev && len(cp.def.Targets) > 0 && !contains(cp.def.Targets, typ) {
		return Include{}, badValue(key, raw, inc.Param+" cannot refer to "+typ)
	}
	return inc, nil
}

func parseClause(def *ParamDef, key, mod, raw string) (Clause, error) {
	c := Clause{Param: def.Name, Type: def.Type, Modifier: mod}
	items := splitList(raw)
	if mod == "missing" {
		if def.Name == "_id" || def.Name == "_lastUpdated" {
			// (every resource has both: answered from the index, which
			// holds neither, it said the opposite: review 46c)
			return c, badValue(key, raw, "every resource has an id and a lastUpdated, so :missing asks nothing of them")
		}
		for _, it := range items {
			if it != "true" && it != "false" {
				return c, badValue(key, raw, "missing expects true or false")
			}
			c.Values = append(c.Values, Value{Code: it})
		}
		return c, nil
	}
	refType := ""
	switch {
	case mod == "":
	case def.Type == Token && mod == "not":
	case def.Type == String && (mod == "exact" || mod == "contains"):
	case def.Type == Reference && validType(mod) && (contains(def.Targets, mod) || knownType(mod)):
		if len(def.Targets) > 0 && !contains(def.Targets, mod) {
			return c, badValue(key, raw, def.Name+" cannot refer to "+mod)
		}
		refType, c.Modifier = mod, ""
	default:
		return c, badValue(key, raw, fmt.Sprintf("modifier :%s is not supported for %s parameters", mod, def.Type))
	}
	for _, it := range items {
		if it == "" {
			return c, badValue(key, raw, "empty value in list")
		}
		switch def.Type {
		case Token:
			sys, code, has := cutUnescaped(it, '|')
			v := Value{Code: Unescape(code)}
			if has {
				v.System, v.HasSystem = Unescape(sys), true
				v.System, v.Code = normIdentifier(v.System, v.Code)
				if v.System == "" && v.Code == "" {
					return c, badValue(key, raw, "empty token")
				}
				if v.System == NHSNumberSystem && v.Code != "" {
					// A mistyped number matches no one: say so, rather than
					// answer as if the person might be withheld.
					if _, err := fhir.NormaliseNHSNumber(v.Code); err != nil {
						return c, badValue(key, raw, "not an NHS number: "+err.Error()+"; check the digits")
					}
				}
			} else {
				v = Value{Code: Unescape(sys)}
				if n, err := fhir.NormaliseNHSNumber(v.Code); err == nil && n != v.Code && c.Param == "identifier" {
					// An NHS number written with spaces, without its system,
					// matches the number as stored too (review 22a: it found
					// no one; with its system it found her).
					c.Values = append(c.Values, Value{Code: n})
				}
			}
			c.Values = append(c.Values, v)
		case Reference:
			vals, err := parseRefValue(def, refType, Unescape(it))
			if err != nil {
				return c, badValue(key, raw, err.Error())
			}
			c.Values = append(c.Values, vals...)
		case Date:
			p, rest := splitPrefix(Unescape(it))
			lo, hi, err := ParseDateIn(rest, Days) // (a day in England; a time without a zone too: R4's "server's local time")
			if err != nil {
				return c, badValue(key, raw, "invalid date")
			}
			c.Values = append(c.Values, Value{Prefix: p, Lo: lo, Hi: hi, Str: rest})
		case String:
			c.Values = append(c.Values, Value{Str: NormString(Unescape(it))})
		case URI:
			c.Values = append(c.Values, Value{Str: Unescape(it)})
		case Number, Quantity:
			p, rest := splitPrefix(it)
			num, unit, hasUnit := cutUnescaped(rest, '|')
			f, ok := parseDecimal(Unescape(num))
			if !ok {
				return c, badValue(key, raw, "invalid number")
			}
			v := Value{Prefix: p, Num: f}
			if hasUnit {
				if def.Type == Number {
					return c, badValue(key, raw, "number parameters take no unit")
				}
				sys, code, ok := cutUnescaped(unit, '|')
				if !ok {
					return c, badValue(key, raw, "expected number|system|code")
				}
				v.System, v.Code = Unescape(sys), Unescape(code)
				v.HasSystem = v.System != ""
			}
			c.Values = append(c.Values, v)
		}
	}
	return c, nil
}

// parseRefValue resolves one reference search value into "Type/id" values.
// A bare id becomes one value per allowed target type (or refType when the
// :Type modifier was given).
func parseRefValue(def *ParamDef, refType, s string) ([]Value, error) {
	if !strings.Contains(s, "/") {
		if !validID(s) {
			return nil, errors.New("invalid id")
		}
		switch {
		case refType != "":
			return []Value{{Ref: refType + "/" + s}}, nil
		case len(def.Targets) == 0:
			return nil, errors.New("a bare id needs a type: use Type/id or " + def.Name + ":Type=id")
		}
		vals := make([]Value, 0, len(def.Targets))
		for _, t := range def.Targets {
			vals = append(vals, Value{Ref: t + "/" + s})
		}
		return vals, nil
	}
	r, ok := NormalizeReference(s)
	if !ok {
		return nil, errors.New("invalid reference")
	}
	typ, _, _ := strings.Cut(r, "/")
	if refType != "" && typ != refType {
		return nil, errors.New("reference type does not match modifier")
	}
	if !targetOK(def, r) {
		return nil, errors.New(def.Name + " cannot refer to " + typ)
	}
	return []Value{{Ref: r}}, nil
}

func splitPrefix(s string) (string, string) {
	if len(s) >= 2 && prefixes[s[:2]] {
		return s[:2], s[2:]
	}
	return "eq", s
}

// parseDecimal accepts FHIR decimals: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func parseDecimal(s string) (float64, bool) {
	i, n := 0, len(s)
	if i < n && s[i] == '-' {
		i++
	}
	start := i
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return 0, false
	}
	if i < n && s[i] == '.' {
		i++
		fs := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == fs {
			return 0, false
		}
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == es {
			return 0, false
		}
	}
	if i != n {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// splitList splits on commas not escaped with a backslash; items stay escaped.
func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// cutUnescaped cuts s around the first unescaped sep.
func cutUnescaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// Unescape removes FHIR search escapes (\, \| \$ \\); other backslashes stay.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`\,|$`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var escaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`)

func escape(s string) string { return escaper.Replace(s) }

// Encode re-serialises the query, without _count and _offset, so that paging
// links can be built; ParseQuery(Type, q.Encode()) yields an equal Query
// (apart from Count/Offset). url.Values.Encode sorts the keys.
func (q *Query) Encode() url.Values {
	out := url.Values{}
	for _, c := range q.Clauses {
		key := c.Param
		if c.Modifier != "" {
			key += ":" + c.Modifier
		}
		vals := make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			vals = append(vals, encodeValue(c, v))
		}
		out.Add(key, strings.Join(vals, ","))
	}
	if len(q.Sort) > 0 {
		keys := make([]string, 0, len(q.Sort))
		for _, k := range q.Sort {
			if k.Desc {
				keys = append(keys, "-"+k.Param)
			} else {
				keys = append(keys, k.Param)
			}
		}
		out.Set("_sort", strings.Join(keys, ","))
	}
	for _, inc := range q.Includes {
		key := "_include"
		if inc.Rev {
			key = "_revinclude"
		}
		s := inc.SourceType + ":" + inc.Param
		if inc.TargetType != "" {
			s += ":" + inc.TargetType
		}
		out.Add(key, s)
	}
	if q.Summary != "" {
		out.Set("_summary", q.Summary)
	}
	if q.Total != "" {
		out.Set("_total", q.Total)
	}
	if len(q.Elements) > 0 {
		out.Set("_elements", strings.Join(q.Elements, ","))
	}
	return out
}

func encodeValue(c Clause, v Value) string {
	if c.Modifier == "missing" {
		return v.Code
	}
	prefix := v.Prefix
	if prefix == "eq" {
		prefix = ""
	}
	switch c.Type {
	case Token:
		if v.HasSystem {
			return escape(v.System) + "|" + escape(v.Code)
		}
		return escape(v.Code)
	case Reference:
		return escape(v.Ref)
	case Date:
		// As given (review 73a: 01:30 on the night the clocks go back
		// is a range of 61 minutes no FHIR date writes, and the paging
		// links lost the filter), else as the range is written.
		s := v.Str
		if s == "" {
			s, _ = FormatDateRangeIn(v.Lo, v.Hi, Days)
		}
		return prefix + s
	case String, URI:
		return escape(v.Str)
	case Number, Quantity:
		s := prefix + strconv.FormatFloat(v.Num, 'g', -1, 64)
		if v.System != "" || v.Code != "" {
			s += "|" + escape(v.System) + "|" + escape(v.Code)
		}
		return s
	}
	return ""
}
