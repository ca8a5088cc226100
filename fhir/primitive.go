package fhir

import (
	"strconv"
	"strings"
)

// prim is the R4 primitive type of a string or integer element whose value
// has a format to check beyond its JSON kind (see primitives_gen.go, which
// says which element has which type; R4 datatypes page for the rules).
type prim uint8

const (
	pNone prim = iota
	pBase64Binary
	pCanonical
	pCode
	pDate
	pDateTime
	pID
	pInstant
	pOID
	pPositiveInt
	pTime
	pUnsignedInt
	pURI
	pURL
	pUUID
)

var primNames = [...]string{
	pBase64Binary: "base64Binary",
	pCanonical:    "canonical",
	pCode:         "code",
	pDate:         "date",
	pDateTime:     "dateTime",
	pID:           "id",
	pInstant:      "instant",
	pOID:          "oid",
	pPositiveInt:  "positiveInt",
	pTime:         "time",
	pUnsignedInt:  "unsignedInt",
	pURI:          "uri",
	pURL:          "url",
	pUUID:         "uuid",
}

// primForms says what a valid value of each type looks like, for messages.
var primForms = [...]string{
	pBase64Binary: "base64: A-Z a-z 0-9 + /, = only as padding at the end",
	pCanonical:    "a URI with no whitespace",
	pCode:         "no leading, trailing or repeated whitespace",
	pDate:         "YYYY, YYYY-MM or YYYY-MM-DD",
	pDateTime:     "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]Z/+hh:mm",
	pID:           "1 to 64 of A-Z a-z 0-9 - .",
	pInstant:      "YYYY-MM-DDThh:mm:ss[.f]Z/+hh:mm",
	pOID:          "urn:oid: and a dotted OID, e.g. urn:oid:1.2.3",
	pTime:         "hh:mm:ss[.f]",
	pURI:          "a URI with no whitespace",
	pURL:          "a URL with no whitespace",
	pUUID:         "urn:uuid: and a lowercase UUID",
}

func primByName(name string) prim {
	for i, n := range primNames {
		if n == name && n != "" {
			return prim(i)
		}
	}
	return pNone
}

// parsePrimitiveFields parses one primitiveFields entry ("field:type ...").
func parsePrimitiveFields(spec string) map[string]prim {
	out := map[string]prim{}
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		p := primByName(typ)
		if p == pNone {
			panic("fhir: primitives_gen.go: unknown type " + f)
		}
		out[name] = p
	}
	return out
}

// primitiveMsg checks the string s as a value of type p and returns what is
// wrong with it, or "" when it is valid.
func primitiveMsg(p prim, s string) string {
	var detail string
	ok := true
	switch p {
	case pDate:
		ok, detail = checkDateTime(s, false, false)
	case pDateTime:
		ok, detail = checkDateTime(s, true, false)
	case pInstant:
		ok, detail = checkDateTime(s, true, true)
	case pTime:
		ok = checkTime(s)
	case pBase64Binary:
		ok = checkBase64(s)
	case pCode:
		ok = checkCode(s)
	case pID:
		ok = ValidID(s)
	case pOID:
		ok = checkOID(s)
	case pUUID:
		ok = checkUUID(s)
	case pURI, pURL, pCanonical:
		ok = !hasSpace(s)
	}
	if ok {
		return ""
	}
	msg := quoteShort(s) + " is not a valid FHIR " + primNames[p] + " (" + primForms[p] + ")"
	if detail != "" {
		msg += ": " + detail
	}
	return msg
}

// intMsg checks an integer already known to fit in 32 bits.
func intMsg(p prim, n int64) string {
	switch {
	case p == pPositiveInt && n < 1:
		return strconv.FormatInt(n, 10) + " is not a valid FHIR positiveInt (1 or more)"
	case p == pUnsignedInt && n < 0:
		return strconv.FormatInt(n, 10) + " is not a valid FHIR unsignedInt (0 or more)"
	}
	return ""
}

// quoteShort quotes s for a message, shortened when long (base64 data).
func quoteShort(s string) string {
	if len(s) > 80 {
		cut := 64
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

func digits2(s string, i int) (int, bool) {
	if i+2 > len(s) || s[i] < '0' || s[i] > '9' || s[i+1] < '0' || s[i+1] > '9' {
		return 0, false
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
}

var monthNames = [...]string{"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// checkDateTime checks s as an R4 date (withTime false), dateTime (withTime)
// or instant (withTime and needTime): the R4 regexes plus calendar validity.
// detail, when not "", says more precisely what is wrong.
func checkDateTime(s string, withTime, needTime bool) (ok bool, detail string) {
	hi, ok1 := digits2(s, 0)
	lo, ok2 := digits2(s, 2)
	if !ok1 || !ok2 {
		return false, ""
	}
	year := hi*100 + lo
	if year == 0 {
		return false, "there is no year 0000"
	}
	if len(s) == 4 {
		return !needTime, ""
	}
	if s[4] != '-' {
		return false, ""
	}
	month, ok1 := digits2(s, 5)
	if !ok1 || month < 1 || month > 12 {
		return false, "the month must be 01 to 12"
	}
	if len(s) == 7 {
		return !needTime, ""
	}
	if s[7] != '-' {
		return false, ""
	}
	day, ok1 := digits2(s, 8)
	if !ok1 || day < 1 {
		return false, ""
	}
	if n := daysIn(year, month); day > n {
		if month == 2 {
			return false, "February " + s[:4] + " has " + strconv.Itoa(n) + " days"
		}
		return false, monthNames[month] + " has " + strconv.Itoa(n) + " days"
	}
	if len(s) == 10 {
		if needTime {
			return false, "an instant needs a time and a time zone"
		}
		return true, ""
	}
	if !withTime || s[10] != 'T' {
		return false, ""
	}
	n := timeLen(s[11:])
	if n < 0 {
		return false, "the time must be hh:mm:ss (00:00:00 to 23:59:59, seconds 60 for a leap second)"
	}
	tz := s[11+n:]
	if tz == "" {
		return false, "a time needs a time zone (Z or +hh:mm/-hh:mm)"
	}
	if tz == "Z" {
		return true, ""
	}
	if len(tz) == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':' {
		h, ok1 := digits2(tz, 1)
		m, ok2 := digits2(tz, 4)
		if ok1 && ok2 && (h <= 13 && m <= 59 || h == 14 && m == 0) {
			return true, ""
		}
	}
	return false, "the time zone must be Z or +hh:mm/-hh:mm, -14:00 to +14:00"
}

// timeLen returns the length of the hh:mm:ss[.f+] prefix of s, or -1.
func timeLen(s string) int {
	h, ok1 := digits2(s, 0)
	m, ok2 := digits2(s, 3)
	sec, ok3 := digits2(s, 6)
	if !ok1 || !ok2 || !ok3 || s[2] != ':' || s[5] != ':' || h > 23 || m > 59 || sec > 60 {
		return -1
	}
	i := 8
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return -1
		}
	}
	return i
}

func checkTime(s string) bool { return timeLen(s) == len(s) }

// byteClass classifies bytes for the checks below (one table load a byte:
// base64Binary values can be megabytes).
var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/':
			t[c] = cB64
		case c == '=':
			t[c] = cPad
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			t[c] = cSpace
		}
	}
	return
}()

const (
	cB64   = 1 << iota // A-Z a-z 0-9 + /
	cPad               // =
	cSpace             // whitespace: \s as in Go's regexp, [\t\n\f\r ]
)

func isSpace(c byte) bool { return byteClass[c] == cSpace }

func hasSpace(s string) bool {
	i := 0
	// Eight bytes a step while none is below '!' (whitespace is 0x09-0x0D
	// or 0x20): the classic "has a byte less than n" word test.
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if (x-0x2121212121212121)&^x&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if byteClass[s[i]] == cSpace {
			return true
		}
	}
	return false
}

// checkBase64: RFC 4648 base64 (the R4 regex (\s*([0-9a-zA-Z\+/=]){4}\s*)+),
// whitespace ignored, '=' only as the padding of the last group, which may
// be left out.
func checkBase64(s string) bool {
	n, pad := 0, 0
	for i := 0; i < len(s); {
		j := i
		// Eight bytes at a time: the AND of their classes is cB64 only when
		// every one is cB64 (the classes are distinct bits, invalid is 0).
		for ; j+8 <= len(s); j += 8 {
			c := s[j : j+8]
			if byteClass[c[0]]&byteClass[c[1]]&byteClass[c[2]]&byteClass[c[3]]&
				byteClass[c[4]]&byteClass[c[5]]&byteClass[c[6]]&byteClass[c[7]] != cB64 {
				break
			}
		}
		for j < len(s) && byteClass[s[j]] == cB64 {
			j++
		}
		if j > i && pad > 0 {
			return false // data after padding
		}
		n += j - i
		if j == len(s) {
			break
		}
		switch byteClass[s[j]] {
		case cSpace:
		case cPad:
			pad++
		default:
			return false
		}
		i = j + 1
	}
	if pad == 0 {
		// Unpadded base64 (RFC 4648 §3.2) is accepted, as carex always has and
		// common decoders do (review 2's attachment test relies on it); a
		// length of 4k+1 is never base64.
		return n > 0 && n%4 != 1
	}
	return pad <= 2 && (n+pad)%4 == 0
}

// checkCode: R4 [^\s]+(\s[^\s]+)*.
func checkCode(s string) bool {
	if s == "" || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return false
		}
	}
	return true
}

// checkOID: R4 urn:oid:[0-2](\.(0|[1-9][0-9]*))+.
func checkOID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:oid:")
	if !ok || len(rest) < 3 || rest[0] < '0' || rest[0] > '2' {
		return false
	}
	rest = rest[1:]
	for rest != "" {
		if rest[0] != '.' || len(rest) < 2 {
			return false
		}
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || rest[1] == '0' && i > 2 {
			return false
		}
		rest = rest[i:]
	}
	return true
}

// checkUUID: R4 urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.
func checkUUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:uuid:")
	if !ok || len(rest) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := rest[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
