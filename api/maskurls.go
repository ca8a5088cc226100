package api

import (
	"slices"
	"strings"
)

// Two more ways a string names an item stored here (review 18b): a urn
// with a path (urn:x/Condition/hiv, urn:carex:Binary/hivbin), which was
// taken, as any "urn:", for a bundle-local id naming nothing stored; and an
// app's url routing by its fragment (https://app.example/#/Condition/hiv,
// …/view#DocumentReference/hivdoc, #!/…), whose fragment was dropped before
// reading what it names. Each names what its path does: decided as a
// reference written so.

// urnPath is the path a urn, or a url of another scheme written without
// an authority, carries after its last ':' before the first slash
// (x/Condition/hiv, Binary/hivbin; Condition/hiv from
// "x-carex:Condition/hiv" or "web+app:app:Condition/hiv", which CommonMark
// renders as links and an app's protocol handler routes by their path:
// review 20c, those went out as written); "" for any other string, for a
// url with an authority (its path is read by segments:
// https://…/Condition/hiv, https:\\…) and for one without a slash (urn:uuid:…,
// urn:oid:…, mailto:, tel:). It is read percent-decoded.
func urnPath(s string) string { return urnPathOf(s, false) }

// urnPathOf is urnPath, with keepDelims an encoded '?' or '#' left as
// written (unescape).
func urnPathOf(s string, keepDelims bool) string {
	s = strings.TrimSpace(s)
	// Read decoded, as a fragment is: an app decodes
	// "web+app:Condition%2Fhiv" to the path it routes by (review 20e:
	// those went out as written).
	s = unescape(s, keepDelims)
	n := schemeLen(s)
	urn := n == 3 && strings.EqualFold(s[:3], "urn") // read as ever, whatever follows: carex takes any other urn for a bundle-local id
	if n == 0 || !urn && n+2 < len(s) && slashByte(s[n+1]) && slashByte(s[n+2]) {
		return ""
	}
	// A query ends the scheme's part too: web+app:DocumentReference?_id=hivdoc
	// is a search an app runs (review 20h).
	slash := strings.IndexAny(s, "/\\?")
	if slash < 0 {
		return ""
	}
	return s[strings.LastIndexByte(s[:slash], ':')+1:]
}

// slashByte: c is '/' or a backslash, which a browser reads as one.
func slashByte(c byte) bool { return c == '/' || c == '\\' }

// schemeLen is the length of the url scheme s begins with (a letter, then
// at least one letter, digit, '+', '.' or '-', before a ':'), 0 when none.
// Of any length, as RFC 3986 and an app's protocol handler read it: the
// 32 characters CommonMark allows an autolink's scheme let a whole string
// with a longer one (web+ and 40 letters, :Condition/hiv) go out as
// written.
func schemeLen(s string) int {
	if s == "" || 'a' > s[0]|0x20 || s[0]|0x20 > 'z' {
		return 0
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			if i < 2 {
				return 0
			}
			return i
		case 'a' <= c|0x20 && c|0x20 <= 'z', '0' <= c && c <= '9', c == '+', c == '.', c == '-':
		default:
			return 0
		}
	}
	return 0
}

// fragmentPath is the path a url's fragment carries (an app's route:
// Condition/hiv from https://app.example/#/Condition/hiv or #!/…), ""
// when it has no fragment holding a slash, a query or a parameter. A
// reference to a contained resource (#id) has none. The fragment is read
// percent-decoded (#Condition%2Fhiv, as a router decodes it), a hashbang
// needs no slash (#!Condition/hiv), a search in it is one (#/Condition?_id=hiv)
// and a route given as a parameter (#route=Condition/hiv) is read as a
// query's (review 18e: those went out as stored).
func fragmentPath(s string) string { return fragmentPathOf(s, false) }

// fragmentPathOf is fragmentPath, with keepDelims an encoded '?' or '#'
// left as written (unescape).
func fragmentPathOf(s string, keepDelims bool) string {
	i := strings.IndexByte(s, '#')
	if i <= 0 {
		return ""
	}
	f := unescape(strings.TrimSpace(s[i+1:]), keepDelims)
	f = strings.TrimLeft(f, "!/\\")
	if !strings.ContainsAny(f, "/\\?=") {
		return ""
	}
	if eq := strings.IndexByte(f, '='); eq >= 0 && !strings.ContainsAny(f[:eq], "/\\?") {
		f = "?" + f // route=Condition/hiv: a parameter, as in a query
	}
	return f
}

// embeddedTargets are what urnPath and fragmentPath find in s where they
// name an item stored here (urlType), each read twice: decoded whole, and
// with an encoded '?' or '#' left as written, as a router that splits the
// path before it decodes each segment reads it. Decoded whole,
// "web+app:Condition/diabetes%3F/Condition/hiv" names the diabetes
// diagnosis the hospital clinician may see; split first, the withheld HIV
// diagnosis; the first reading alone let it out (review 20h). So does a
// urn's path and a fragment: each is decided.
func embeddedTargets(s string) []string {
	var out []string
	for _, keep := range [...]bool{false, true} {
		if keep && strings.IndexByte(s, '%') < 0 {
			break // nothing encoded: the second reading is the first
		}
		for _, p := range [...]string{urnPathOf(s, keep), fragmentPathOf(s, keep)} {
			if p != "" && !slices.Contains(out, p) && urlType(p) != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// unescapeLoose decodes each valid %XX of s and leaves any other '%' as
// written, as a lenient decoder (a router, Python's unquote) reads a url:
// one stray '%' made the strict decoder give up, and the url was read
// undecoded, naming no type ("web+app:Condition%2Fhiv%"; review 20g).
func unescapeLoose(s string) string { return unescape(s, false) }

// unescape is unescapeLoose, with keepDelims an encoded '?' or '#' left
// as written. It decodes again what decoding made an escape, a few times:
// a proxy and the app behind it each decode once, so "Condition%252Fhiv"
// reaches the app as Condition/hiv (double encoding; it went out as
// written). The rounds are bounded so that a long run of "%25" costs no
// more than a few passes.
func unescape(s string, keepDelims bool) string {
	for range maxDecodeRounds {
		d := unescapeOnce(s, keepDelims)
		if d == s {
			break
		}
		s = d
	}
	return s
}

// maxDecodeRounds is how many decoders in a row unescape reads a url as
// passing through.
const maxDecodeRounds = 4

// unescapeOnce decodes s once, as unescape describes.
func unescapeOnce(s string, keepDelims bool) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			if c := unhex(s[i+1])<<4 | unhex(s[i+2]); !keepDelims || c != '?' && c != '#' {
				b = append(b, c)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
