package search

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/carex-project/carex/fhir"
	"golang.org/x/text/unicode/norm"
)

// NHSNumberSystem is the identifier system of NHS numbers; their values are
// indexed (and searched) with spaces removed.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// IndexEntry is one extracted value. Exactly one group of fields is
// meaningful per Type:
//
//	Token:     System, Code
//	Reference: Ref ("Type/id"); for a Reference.identifier, Ref is "" and
//	           System/Code hold the identifier (the store may skip these)
//	Date:      Lo, Hi (Unix ms, inclusive)
//	String:    Str (lower-cased, common Latin accents folded)
//	URI:       Str (exact)
//	Number:    Num
//	Quantity:  Num, System (unit system), Code (unit code, else unit text)
type IndexEntry struct {
	Param  string
	Type   ParamType
	System string
	Code   string
	Ref    string
	Lo, Hi int64
	Str    string
	Num    float64
}

// Extract returns every index value for the resource (decoded with
// json.Decoder.UseNumber; float64 numbers are accepted too), without
// duplicates, ordered by parameter name; none for union parameters.
// Values that cannot be interpreted (unparseable dates, unresolvable
// references) are skipped.
func Extract(resourceType string, res map[string]any) []IndexEntry {
	if res == nil {
		return nil
	}
	list, _ := paramsFor(resourceType)
	seen := make(map[IndexEntry]struct{}, 32)
	var out []IndexEntry
	for _, cp := range list {
		def := &cp.def
		if len(def.Union) > 0 {
			continue // its members' entries are its own (ParamDef.Union)
		}
		emit := func(e IndexEntry) {
			e.Param = def.Name
			e.Type = def.Type
			if _, dup := seen[e]; dup {
				return
			}
			seen[e] = struct{}{}
			out = append(out, e)
		}
		for _, p := range cp.paths {
			walk(res, p, func(v any) { extractValue(def, v, emit) })
		}
	}
	return out
}

// ExtractDatesIn returns the Date entries Extract does, but with each
// date written without a time (a year, month or day) read as days in loc,
// each end of a period on its own; a time keeps its own zone (one without
// a zone is UTC, as in Extract). The index reads such a date as UTC days,
// as search does; the sharing decision reads it as days in England, as a
// Consent's dataPeriod is (review 31d: guessing "a date" back from UTC
// midnights moved explicit UTC instants, and missed an end date whose
// period had no start).
func ExtractDatesIn(resourceType string, res map[string]any, loc *time.Location) []IndexEntry {
	if res == nil {
		return nil
	}
	parse := dateParserIn(loc)
	list, _ := paramsFor(resourceType)
	var out []IndexEntry
	for _, cp := range list {
		def := &cp.def
		if def.Type != Date || len(def.Union) > 0 {
			continue
		}
		emit := func(e IndexEntry) {
			e.Param, e.Type = def.Name, Date
			out = append(out, e)
		}
		for _, p := range cp.paths {
			walk(res, p, func(v any) { extractDate(v, parse, emit) })
		}
	}
	return out
}

// parseIndexDate reads a date as the index has it: a day in England (Days),
// as a search by it is.
var parseIndexDate = dateParserIn(Days)

// dateParserIn parses a date as ExtractDatesIn does: one with a time by
// its own zone, one without in loc.
func dateParserIn(loc *time.Location) func(string) (int64, int64, error) {
	return func(s string) (int64, int64, error) {
		if len(s) > 10 { // a time follows the date: its zone says when
			return ParseDate(s)
		}
		return ParseDateIn(s, loc)
	}
}

// ElementDatesIn are the dates of res's top-level elements names (each a
// dateTime, a Period or a Timing), read as ExtractDatesIn reads them, with
// no Param: for dates no search parameter indexes.
func ElementDatesIn(res map[string]any, names []string, loc *time.Location) []IndexEntry {
	var out []IndexEntry
	parse := dateParserIn(loc)
	for _, n := range names {
		walk(res[n], nil, func(v any) {
			extractDate(v, parse, func(e IndexEntry) { e.Type = Date; out = append(out, e) })
		})
	}
	return out
}

// walk visits every value at path below v, flattening arrays at every step.
func walk(v any, path []step, fn func(any)) {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			walk(e, path, fn)
		}
		return
	}
	if v == nil {
		return
	}
	if len(path) == 0 {
		fn(v)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	child, ok := m[path[0].name]
	if !ok || child == nil {
		return
	}
	if path[0].fk == "" {
		walk(child, path[1:], fn)
		return
	}
	match := func(e any) {
		if em, ok := e.(map[string]any); ok {
			if s, _ := em[path[0].fk].(string); s == path[0].fv {
				walk(em, path[1:], fn)
			}
		}
	}
	if arr, ok := child.([]any); ok {
		for _, e := range arr {
			match(e)
		}
		return
	}
	match(child)
}

func extractValue(def *ParamDef, v any, emit func(IndexEntry)) {
	switch def.Type {
	case Token:
		extractToken(v, emit)
	case Reference:
		extractRef(def, v, emit)
	case Date:
		extractDate(v, parseIndexDate, emit)
	case String:
		extractString(v, emit)
	case URI:
		if s, ok := v.(string); ok && s != "" {
			emit(IndexEntry{Str: s})
		}
	case Number:
		if f, ok := number(v); ok {
			emit(IndexEntry{Num: f})
		}
	case Quantity:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		f, ok := number(m["value"])
		if !ok {
			return
		}
		sys, _ := m["system"].(string)
		code, _ := m["code"].(string)
		if code == "" {
			code, _ = m["unit"].(string)
		}
		emit(IndexEntry{Num: f, System: sys, Code: code})
	}
}

func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

var contactSystems = map[string]bool{"phone": true, "fax": true, "email": true, "pager": true, "url": true, "sms": true, "other": true}

func extractToken(v any, emit func(IndexEntry)) {
	switch x := v.(type) {
	case string:
		if x != "" {
			emit(IndexEntry{Code: x})
		}
	case bool:
		emit(IndexEntry{Code: strconv.FormatBool(x)})
	case json.Number:
		emit(IndexEntry{Code: x.String()})
	case float64:
		emit(IndexEntry{Code: strconv.FormatFloat(x, 'f', -1, 64)})
	case map[string]any:
		if c, ok := x["coding"]; ok { // CodeableConcept
			walk(c, nil, func(e any) {
				if cm, ok := e.(map[string]any); ok {
					coding(cm, emit)
				}
			})
			return
		}
		if val, ok := x["value"].(string); ok { // Identifier or ContactPoint
			sys, _ := x["system"].(string)
			if contactSystems[sys] {
				if val != "" {
					emit(IndexEntry{Code: val})
				}
				return
			}
			sys, val = normIdentifier(sys, val)
			if val != "" {
				emit(IndexEntry{System: sys, Code: val})
			}
			return
		}
		coding(x, emit) // Coding
	}
}

func coding(m map[string]any, emit func(IndexEntry)) {
	code, _ := m["code"].(string)
	if code == "" {
		return
	}
	sys, _ := m["system"].(string)
	emit(IndexEntry{System: sys, Code: code})
}

// normIdentifier is an identifier as indexed and searched: an NHS number
// under NHSNumberSystem, in whichever form of the system it was written
// (fhir.IsNHSNumberSystem; review 38c: one under the http form was not
// found by her number, nor joined to her other records), without spaces.
func normIdentifier(system, value string) (string, string) {
	if fhir.IsNHSNumberSystem(system) {
		return NHSNumberSystem, strings.ReplaceAll(value, " ", "")
	}
	return system, value
}

func extractRef(def *ParamDef, v any, emit func(IndexEntry)) {
	switch x := v.(type) {
	case string: // canonical
		if r, ok := NormalizeReference(x); ok && targetOK(def, r) {
			emit(IndexEntry{Ref: r})
		}
	case map[string]any:
		if s, ok := x["reference"].(string); ok {
			if r, ok := NormalizeReference(s); ok && targetOK(def, r) {
				emit(IndexEntry{Ref: r})
			}
		}
		if id, ok := x["identifier"].(map[string]any); ok {
			val, _ := id["value"].(string)
			sys, _ := id["system"].(string)
			typ, _ := x["type"].(string)
			if val != "" && (typ == "" || len(def.Targets) == 0 || contains(def.Targets, typ)) {
				sys, val = normIdentifier(sys, val)
				emit(IndexEntry{System: sys, Code: val})
			}
		}
	}
}

func targetOK(def *ParamDef, ref string) bool {
	if len(def.Targets) == 0 {
		return true
	}
	typ, _, _ := strings.Cut(ref, "/")
	return contains(def.Targets, typ)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func extractDate(v any, parse func(string) (int64, int64, error), emit func(IndexEntry)) {
	switch x := v.(type) {
	case string:
		if lo, hi, err := parse(x); err == nil {
			emit(IndexEntry{Lo: lo, Hi: hi})
		}
	case map[string]any:
		ev, isEvent := x["event"]
		rep, isRepeat := x["repeat"].(map[string]any)
		if isEvent || isRepeat { // Timing: each event, and repeat.boundsPeriod
			walk(ev, nil, func(e any) {
				if s, ok := e.(string); ok {
					extractDate(s, parse, emit)
				}
			})
			if bp, ok := rep["boundsPeriod"].(map[string]any); ok {
				extractDate(bp, parse, emit)
			}
			return
		}
		s, hasS := x["start"].(string)
		e, hasE := x["end"].(string)
		if !hasS && !hasE {
			return
		}
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if hasS {
			l, _, err := parse(s)
			if err != nil {
				return
			}
			lo = l
		}
		if hasE {
			_, h, err := parse(e)
			if err != nil {
				return
			}
			hi = h
		}
		emit(IndexEntry{Lo: lo, Hi: hi})
	}
}

var stringParts = []string{"text", "family", "given", "prefix", "suffix", "line", "city", "district", "state", "postalCode", "country"}

func extractString(v any, emit func(IndexEntry)) {
	switch x := v.(type) {
	case string:
		if s := NormString(x); s != "" {
			emit(IndexEntry{Str: s})
		}
	case map[string]any: // HumanName, Address
		for _, k := range stringParts {
			walk(x[k], nil, func(e any) {
				if s, ok := e.(string); ok {
					extractString(s, emit)
				}
			})
		}
	}
}

// NormalizeReference turns a reference string into "Type/id": base URLs are
// stripped, "/_history/{vid}" and canonical "|version" suffixes are dropped.
// Contained ("#x"), urn:uuid/urn:oid and malformed references return false.
func NormalizeReference(s string) (string, bool) {
	if s == "" || s[0] == '#' || strings.HasPrefix(s, "urn:") {
		return "", false
	}
	if i := strings.IndexAny(s, "|?#"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(strings.TrimSuffix(s, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 {
		return "", false
	}
	typ, id := parts[n-2], parts[n-1]
	if !validType(typ) || !validID(id) {
		return "", false
	}
	if n > 2 && !strings.Contains(s, "://") { // relative refs are exactly Type/id
		return "", false
	}
	return typ + "/" + id, true
}

func validType(t string) bool {
	if t == "" || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// NormString is the normalisation applied to String index values and String
// search values: lower-case, with accents folded (é -> e, ß -> ss): each
// letter decomposed (compatibility decomposition: a ligature, a full-width
// letter, ℌ) and the accents of Latin, Greek and Cyrillic letters dropped,
// so Romanian ș and ț, and an accent typed or stored as a mark of its own
// (Zoe\u0308), fold too (review 74b: Ștefan Țurcanu and a name stored
// decomposed were not found), and Hebrew and Arabic vowel points; then
// composed again, so that what is a letter of its own stays one (review
// 75a: Hangul syllables split into letters, 기 a prefix of 김; kana's
// voicing marks, ガ found by カ; Cyrillic й, found by и); the letters that
// do not decompose (ß, æ, ø, ł, ı, …) and Greek final sigma (review 76a:
// ΠΑΠΑΔΟΠΟΥΛΟΣ) by a table. A value holding any character but ASCII is
// kept up to maxNormBytes (review 75a: 3 MiB of U+FDFA, one character of
// 18 letters, took 2 s); one of ASCII only, whole.
func NormString(s string) string {
	ascii, lower := true, true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
		lower = lower && (s[i] < 'A' || s[i] > 'Z')
	}
	if ascii {
		if lower {
			return s
		}
		return strings.ToLower(s) // (whole: review 76a, a long note with a capital was cut)
	}
	// Read up to 4 times the cut (what decomposition may take of it), and
	// cut what that gives: an accent written in its letter or as a mark of
	// its own cuts alike (review 76a).
	s = cutRunes(s, 4*maxNormBytes)
	d := norm.NFKD.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(d))
	var base rune
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			if accentOf(base, r) {
				continue
			}
		} else {
			base = r
		}
		b.WriteRune(r)
	}
	s = strings.ToLower(norm.NFC.String(b.String())) // (ℌ decomposed to H)
	b.Reset()
	for _, r := range s {
		if f, ok := fold[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	return cutRunes(b.String(), maxNormBytes)
}

// cutRunes is s up to n bytes, cut where a character starts.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// maxNormBytes is how much of a string value is indexed and searched for.
const maxNormBytes = 4096

// accentOf reports whether combining mark r, after letter base, is an
// accent search folds: a Latin or Greek letter's (U+0300–U+036F, the
// extended blocks), a Cyrillic letter's but the breve of й and ў, a
// Hebrew or Arabic vowel point.
func accentOf(base, r rune) bool {
	switch {
	case unicode.In(base, unicode.Latin, unicode.Greek):
		return 0x300 <= r && r <= 0x36F || 0x1AB0 <= r && r <= 0x1AFF || 0x1DC0 <= r && r <= 0x1DFF
	case unicode.Is(unicode.Cyrillic, base):
		// (but the letters of their own: й and ў, Ukrainian ї, Macedonian
		// ѓ and ќ: review 76a)
		return 0x300 <= r && r <= 0x36F && r != 0x306 && !(r == 0x308 && base == 'і') && !(r == 0x301 && (base == 'г' || base == 'к'))
	case unicode.Is(unicode.Hebrew, base):
		return 0x591 <= r && r <= 0x5C7
	case unicode.Is(unicode.Arabic, base):
		return 0x610 <= r && r <= 0x61A || 0x64B <= r && r <= 0x65F || r == 0x670
	}
	return false
}

var fold = func() map[rune]string {
	m := map[rune]string{'ς': "σ", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}
	groups := map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşš", "t": "ţťŧ", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	}
	for base, rs := range groups {
		for _, r := range rs {
			m[r] = base
		}
	}
	return m
}()
