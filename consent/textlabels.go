package consent

import (
	"bytes"
	"strings"
)

// TextLabels derives labels from the SNOMED CT concept ids written
// anywhere in text (every run of 6 to 18 digits with a valid Verhoeff
// check digit; leading zeros only in a whole value, wholeValue), as Labels
// does from codes: for data carex cannot read as FHIR JSON — an
// attachment's XML, a CDA document, JSON sent as text, JSON broken part
// way, an HL7 v2 message — the ids it holds are the codes it may carry
// (review 31c: an assisted-fertilisation procedure in a letter's FHIR XML
// went out under break-glass). Sorted, without duplicates; nil when none
// apply. Linear in the text: wholeValue reads markup at most a window of
// fixed size from a run, and at most 30 parts of an HL7 v2 field around
// it, each part so read by at most 30 runs (review 39b: searches to either
// end of the text made 128 KiB of "-->0<" cost 3 s).
func (p *Policy) TextLabels(text []byte) []string {
	var codes []Coding
	seps := defaultV2
	for i := 0; i < len(text); {
		if text[i] < '0' || text[i] > '9' {
			if text[i] == 'M' && (i == 0 || text[i-1] == '\r' || text[i-1] == '\n' || text[i-1] == 0x0b) {
				// (0x0b: MLLP's start of block; review 41b)
				seps = seps.header(text[i:])
			}
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		// Leading zeros are dropped from a whole value (a code's
		// attribute or key, a code element's text, a SNOMED-coded v2
		// component: code="086406008", as a coded value's are), and a run
		// with them elsewhere is no id: a date of birth 04082005, a phone
		// number 01142043006, a PDF's offset 0000151004 (reviews 32a, 33a,
		// 34a, 39a).
		// The markup around a run is read only for a listed id.
		run := text[i:j]
		id := bytes.TrimLeft(run, "0")
		if len(id) >= 6 && len(id) <= 18 && verhoeff(string(id)) && !birthDate(text[:i], run) {
			c := Coding{System: systemSNOMED, Code: string(id)}
			if len(id) == len(run) || len(p.Labels([]Coding{c})) > 0 && wholeValue(text, i, j, seps) {
				codes = append(codes, c)
			}
		}
		i = j
	}
	return p.Labels(codes)
}

// window bounds how far wholeValue looks from a run for the markup around
// it: a tag, a comment, a key, a v2 component group. Markup farther away
// is not read as naming the run a code.
const window = 512

// commentWindow bounds a comment between a code element's tag and its
// text ("<!-- IVF -- HFEA licensed -->").
const commentWindow = 160

// wholeValue reports whether text[i:j] is a whole value: the value of an
// attribute or JSON key named as a code, the text of an element named as
// a code (code, value, conceptId, sctid) or CDATA, spaces around it
// aside, or an HL7 v2 identifier whose coding system is SNOMED CT
// (…|086406008^HIV infection^SCT|). Review 35a: a pretty-printed
// element's text and a v2 OBX code went unread; review 36a: read in any
// element or v2 field, a phone number in a table cell or PID-13 became a
// code; review 39a: so did one in a quoted telecom value.
func wholeValue(text []byte, i, j int, seps v2Seps) bool {
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for i > 0 && space(text[i-1]) {
		i--
	}
	for j < len(text) && space(text[j]) {
		j++
	}
	if i == 0 || j == len(text) {
		return false
	}
	a, b := text[i-1], text[j]
	switch {
	case a == '"' || a == '\'':
		return b == a && codeNamed(text[max(0, i-1-window):i-1])
	case a == '>':
		return b == '<' && codeElement(text[max(0, i-window):i])
	case a == '[': // <![CDATA[…]]>
		return b == ']' && bytes.HasSuffix(text[:i], []byte("<![CDATA["))
	case seps.is(a):
		return seps.snomedCoded(text, i, j)
	}
	return false
}

// codeName reports whether an attribute's or a key's name (any
// namespace prefix aside; as written, for its word breaks) names a
// concept's code: its last word is "code" (snomedCode, SNOMED_CT_code,
// SCTCode, diagnosis_code), but for words naming another kind of code
// before it (area_code, errorCode, postCode, qrCode: review 42b, they
// made numbers codes); or its last words are "code value" or "code id"
// (CodeValue), "concept id" or "sct id" (conceptId, sct_id), or it is
// sctid or conceptid. Review 41b: snomedCode went unread when only code,
// valueCode, conceptId and sctid counted; review 43a: SNOMED_CT_code,
// SCTCode and CodeValue went unread when only clinical words could come
// before "code".
func codeName(name string) bool {
	w := nameWords(name)
	n := len(w)
	if n == 0 {
		return false
	}
	last, before := w[n-1], ""
	if n >= 2 {
		before = w[n-2]
	}
	switch {
	case last == "sctid" || last == "conceptid":
		return true
	case (last == "id" || last == "identifier") && (before == "concept" || before == "sct" || before == "code"):
		return true
	case last == "value" && before == "code":
		return true
	case last != "code":
		// odd casing may have split "code" itself (COde, CODe: review
		// 44a; cOdE, snomedCOdE in three words: review 45a)
		s := ""
		for k := n - 1; k >= 0 && len(s) < len("code"); k-- {
			if s = w[k] + s; s == "code" {
				return k == 0 || !otherCodeWords[w[k-1]]
			}
		}
		return false
	}
	return !otherCodeWords[before]
}

// otherCodeWords: words before "code" in a name whose value is no
// concept's code. Not "std" nor "ext" (review 45a): a sexual-health
// export's stdCode and an external extCode are a diagnosis's code, and a
// leak is worse than a letter withheld; a dialling code is short of any
// listed concept.
var otherCodeWords = map[string]bool{"area": true, "postal": true, "post": true, "zip": true, "country": true, "dial": true, "dialling": true,
	"dialing": true, "bar": true, "sort": true, "error": true, "transaction": true, "access": true, "pin": true, "qr": true, "status": true,
	"response": true, "http": true, "currency": true, "language": true, "lang": true, "promo": true, "discount": true, "auth": true,
	"verification": true, "security": true, "colour": true, "color": true, "region": true, "state": true, "bank": true, "branch": true,
	"otp": true, "invite": true, "activation": true, "exit": true, "return": true, "source": true, "zone": true,
	"phone": true, "telephone": true, "tel": true, "mobile": true, "calling": true, "door": true,
	"safe": true, "booking": true}

// nameWords splits a name into words, lower case: at '_', '-', '.' and
// spaces, before an upper-case letter after a lower-case one or a digit,
// before the last capital of a run of them followed by a lower-case
// letter (SNOMEDCode: snomed, code), and between digits and letters.
func nameWords(name string) []string {
	var out []string
	start := 0
	upper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	lower := func(c byte) bool { return c >= 'a' && c <= 'z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	cut := func(i int) {
		if i > start {
			out = append(out, strings.ToLower(name[start:i]))
		}
		start = i
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c == '-' || c == '.' || c == ' ' {
			cut(i)
			start = i + 1
			continue
		}
		if i == start {
			continue
		}
		p := name[i-1]
		switch {
		case upper(c) && (lower(p) || digit(p)),
			upper(c) && upper(p) && i+1 < len(name) && lower(name[i+1]),
			digit(c) != digit(p):
			cut(i)
		}
	}
	cut(len(name))
	return out
}

// codeNamed reports whether the quoted value head ends before is a code's:
// a JSON key or an attribute named as a code (code="…", "code":"…"), or
// the value attribute of an element so named (<code value="…"/>); not a
// telecom's or an identifier's value (review 39a: a phone number in FHIR
// XML's <value value="01142043006"/> labelled a letter STD).
func codeNamed(head []byte) bool {
	head = bytes.TrimRight(head, " \t\r\n")
	if len(head) == 0 {
		return false
	}
	switch head[len(head)-1] {
	case ':': // a JSON key, in either quotes (a Python-style dump)
		head = bytes.TrimRight(head[:len(head)-1], " \t\r\n")
		if len(head) == 0 || head[len(head)-1] != '"' && head[len(head)-1] != '\'' {
			return false
		}
		k := bytes.LastIndexByte(head[:len(head)-1], head[len(head)-1])
		return k >= 0 && codeName(localNameAsWritten(head[k+1:len(head)-1]))
	case '=': // an attribute
		head = bytes.TrimRight(head[:len(head)-1], " \t\r\n")
		k := len(head)
		for k > 0 && nameByte(head[k-1]) {
			k--
		}
		attr := localNameAsWritten(head[k:])
		if codeName(attr) {
			return true
		}
		if strings.ToLower(attr) != "value" {
			return false
		}
		t := bytes.LastIndexByte(head[:k], '<')
		if t < 0 {
			return false
		}
		name := head[t+1:]
		if n := bytes.IndexAny(name, " \t\r\n/>"); n >= 0 {
			name = name[:n]
		}
		return codeName(localNameAsWritten(name))
	}
	return false
}

func nameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// localNameAsWritten is an XML name without its namespace prefix.
func localNameAsWritten(name []byte) string {
	if n := bytes.LastIndexByte(name, ':'); n >= 0 {
		name = name[n+1:]
	}
	return string(name)
}

// localName is an XML name lower case without its namespace prefix.
func localName(name []byte) string {
	if n := bytes.LastIndexByte(name, ':'); n >= 0 {
		name = name[n+1:]
	}
	return strings.ToLower(string(name))
}

// codeElement reports whether the start tag that head ends with (comments
// and spaces after it aside: review 37a) names a code: value, or a name
// codeName takes (code, conceptId, sctid, snomedCode), any prefix. A comment ends at its first
// "-->" (review 38a: "-->" in running text after an earlier element's
// comment looked back to it; review 39a: "--" inside one is no end).
func codeElement(head []byte) bool {
	for {
		head = bytes.TrimRight(head, " \t\r\n")
		if !bytes.HasSuffix(head, []byte("-->")) {
			break
		}
		// (a comment of at most commentWindow bytes)
		from := max(0, len(head)-commentWindow)
		k := bytes.LastIndex(head[from:], []byte("<!--"))
		if k += from; k < from || k+4 > len(head)-3 || bytes.Contains(head[k+4:len(head)-3], []byte("-->")) {
			return false
		}
		head = head[:k]
	}
	head = bytes.TrimSuffix(head, []byte(">"))
	k := bytes.LastIndexByte(head, '<')
	if k < 0 {
		return false
	}
	name := head[k+1:]
	if n := bytes.IndexAny(name, " \t\r\n/"); n >= 0 {
		name = name[:n]
	}
	// (any name codeName reads as a code's too: review 45a,
	// <snomedCode>086406008</snomedCode> went unread)
	return localName(name) == "value" || codeName(localNameAsWritten(name))
}

// v2Seps are an HL7 v2 message's separators: field, component,
// repetition and subcomponent (MSH-1 and MSH-2).
type v2Seps struct{ field, comp, rep, sub byte }

var defaultV2 = v2Seps{'|', '^', '~', '&'}

// header is the separators an "MSH" segment at the start of b declares,
// or s where b is no such header (review 39a: a message declaring
// MSH|#~\& went unread).
func (s v2Seps) header(b []byte) v2Seps {
	if len(b) < 8 || !bytes.HasPrefix(b, []byte("MSH")) {
		return s
	}
	h := v2Seps{b[3], b[4], b[5], b[7]}
	seen := map[byte]bool{}
	for _, c := range []byte{h.field, h.comp, h.rep, b[6], h.sub} {
		if seen[c] || c <= ' ' || c >= 0x7f || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return s
		}
		seen[c] = true
	}
	return h
}

func (s v2Seps) is(c byte) bool { return c == s.field || c == s.comp || c == s.rep || c == s.sub }

// snomedCoded reports whether text[i:j], right after a separator, is an
// identifier of a CE/CWE triplet (component 1, 4 or 10 of its group, or
// subcomponent 1, 4 or 10 where the triplet is written as subcomponents)
// whose coding system — the name two on, or the OID in position 14, 17
// or 20 — is SNOMED CT (review 38a: "snomed" anywhere later in the field,
// an e-mail address at snomed.org, made a phone number a code; review 39a:
// SNOMED CT's other names, the OID alone, subcomponent triplets).
func (s v2Seps) snomedCoded(text []byte, i, j int) bool {
	var sep byte // the separator between the group's parts
	switch text[j] {
	case s.comp:
		sep = s.comp
		if text[i-1] == s.sub {
			return false // a later subcomponent, not a triplet's first
		}
	case s.sub:
		sep = s.sub
	default:
		return false
	}
	ends := func(c byte) bool {
		return c == s.field || c == s.rep || c == '\r' || c == '\n' || sep == s.sub && c == s.comp
	}
	// its position in the group, counting back
	// (no byte window: at most 10 parts back and 20 on, each crossed by
	// at most 30 runs, so linear; review 41b: a 600-byte text before the
	// system hid the code)
	pos := 1
	for k := i - 1; k >= 0; k-- {
		c := text[k]
		if c == sep {
			if pos++; pos > 10 {
				return false
			}
			continue
		}
		if ends(c) {
			break
		}
	}
	var nameAt, oidAt int
	switch pos {
	case 1:
		nameAt, oidAt = 3, 14
	case 4:
		nameAt, oidAt = 6, 17
	case 10:
		nameAt, oidAt = 12, 20
	default:
		return false
	}
	// the parts after it, each to its first subcomponent
	part, start := pos+1, j+1
	for k := j + 1; k <= len(text) && part <= oidAt; k++ {
		if k < len(text) && text[k] != sep && !ends(text[k]) {
			continue
		}
		if part == nameAt || part == oidAt {
			name := text[start:k]
			if n := bytes.IndexByte(name, s.sub); n >= 0 {
				name = name[:n]
			}
			if snomedName(string(name)) {
				return true
			}
		}
		if k == len(text) || text[k] != sep {
			break
		}
		part, start = part+1, k+1
	}
	return false
}

// snomedName reports whether a v2 coding system names SNOMED CT: by HL7
// table 0396's names and what senders write (SCT, SNM, SNOMEDCT_US,
// "SNOMED CT UK"), its OID, or a URI CanonicalCoding reads as SNOMED CT.
func snomedName(name string) bool {
	low := strings.ToLower(strings.TrimSpace(name))
	if low == "" {
		return false
	}
	if sys, _ := CanonicalCoding(low, ""); sys == systemSNOMED {
		return true
	}
	low = strings.TrimPrefix(low, "urn:oid:")
	if low == "2.16.840.1.113883.6.96" || strings.HasPrefix(low, "snomed") {
		return true
	}
	// SCT, SNM and their forms (SCT2, SNM3, SNMI, SCTID, SCT-2, SCT_UK),
	// not another word (SNMP, SCTN: review 41b; review 42b, SNMI and SCTID
	// went unread once only digits could follow)
	for _, p := range []string{"sct", "snm"} {
		if rest, ok := strings.CutPrefix(low, p); ok {
			switch {
			case rest == "" || rest == "i" || rest == "id" || strings.Trim(rest, "0123456789") == "":
				return true
			case rest[0] < 'a' || rest[0] > 'z':
				return true
			}
		}
	}
	return false
}

// birthDate reports whether run, written after before, is a date of birth
// in digits: a day, month and year (DDMMYY, DDMMYYYY or YYYYMMDD) written
// after "DOB", "date of birth" or "born", a word such as "on" or "is",
// brackets, punctuation or a no-break space between (review 113a: a care
// leaver's "DOB 151004", 15 October 2004, is gonococcal meningitis's id,
// and labelled a council's Task STD; review 114a: "born on 151004", "DOB
// (151004)", "Date of birth is 151004" still did).
func birthDate(before, run []byte) bool {
	word := func() string {
		for {
			t := bytes.TrimRight(before, " \t:=.-(,")
			t = bytes.TrimSuffix(t, []byte("\u00a0"))
			if len(t) == len(before) {
				break
			}
			before = t
		}
		k := len(before)
		for k > 0 && (before[k-1] >= 'a' && before[k-1] <= 'z' || before[k-1] >= 'A' && before[k-1] <= 'Z' || before[k-1] == '.' || before[k-1] == '/') {
			k--
		}
		w := strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(string(before[k:])), ".", ""), "/", "")
		before = before[:k]
		return w
	}
	w := word()
	if w == "on" || w == "is" || w == "was" {
		w = word()
	}
	switch w {
	case "dob", "born":
	case "birth": // "date of birth", not "condition at birth was" (review 115a)
		if word() != "of" {
			return false
		}
	default:
		return false
	}
	n := func(b []byte) int {
		v := 0
		for _, c := range b {
			v = v*10 + int(c-'0')
		}
		return v
	}
	dayMonth := func(d, m int) bool { return d >= 1 && d <= 31 && m >= 1 && m <= 12 }
	switch len(run) {
	case 6:
		return dayMonth(n(run[:2]), n(run[2:4]))
	case 8:
		return dayMonth(n(run[:2]), n(run[2:4])) && n(run[4:]) >= 1850 ||
			n(run[:4]) >= 1850 && dayMonth(n(run[6:]), n(run[4:6]))
	}
	return false
}
