package api

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"mime"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// payload is the data one place in a resource carries: an attachment's or
// a Binary's data, a data: url in any string value, an extension's
// valueBase64Binary; ct is the media type it is given ("" when none).
type payload struct {
	ct  string
	raw []byte
	// docs, when not nil, are raw's FHIR JSON documents, read already
	// (structuredPayloads): not read again (review 72b: a string's JSON
	// was decoded four to six times, 3 s for 8 MiB).
	docs []any
}

// payloadsOf calls fn with each payload object x holds itself (not those
// of the objects inside it). decode false gives, for data that cannot be
// FHIR JSON by its media type, the payload without its bytes (raw nil),
// so a PDF is not decoded for references.
func payloadsOf(x map[string]any, decode bool, fn func(payload)) {
	if data, _ := x["data"].(string); data != "" {
		ct, _ := x["contentType"].(string)
		if decode || jsonPayload(ct, data, true) {
			if raw, ok := decodeBase64(data); ok {
				fn(payload{ct: ct, raw: raw})
			}
		}
	}
	if data, _ := x["valueBase64Binary"].(string); data != "" {
		if raw, ok := decodeBase64(data); ok {
			fn(payload{raw: raw})
		}
	}
	// A data: url is a payload wherever a url may stand: an attachment's
	// url, an extension's valueUri or valueUrl, a list of them (review
	// 31a: an HIV diagnosis in a valueUri's data: url went unlabelled).
	eachString(x, func(k, s string) {
		if mt, data, encoded, ok := dataURL(s); ok && (decode || jsonPayload(mt, data, encoded)) {
			if raw, ok := dataURLBytes(s); ok {
				fn(payload{ct: mt, raw: raw})
			}
		} else if decode && k != "div" {
			// A message or a document written into a string (a
			// Communication's contentString, an answer's valueString) is
			// read as the same attached would be (review 62b: an HL7 v2
			// result and FHIR JSON of an HIV diagnosis went out as
			// contentString, withheld as contentAttachment).
			for _, p := range structuredPayloads(s) {
				fn(p)
			}
		}
	})
}

// structuredPayloads are what string s carries that is read as an
// attachment is: an HL7 v2 message; FHIR XML (a root element in FHIR's
// namespace); and each FHIR resource in JSON or NDJSON, at any depth (in
// a list, an envelope, a Bundle's entries), on its own. Other JSON and
// XML, and the JSON around a resource, are not read (review 63a: a
// device's configuration, {"pollIntervalMs": 86406008}, and a note of
// readings were read as codes; review 65a: so was a configuration naming
// a Device, and an XHTML note linking FHIR's site; review 64a: a resource
// second in a list, in an envelope, after a byte order mark, as XML or
// NDJSON went unread).
func structuredPayloads(s string) []payload {
	t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "\ufeff"))
	switch {
	case strings.HasPrefix(t, "MSH|"):
		return []payload{{raw: []byte(t)}}
	case strings.HasPrefix(t, "<"):
		if fhirXMLRoot(t) {
			return []payload{{ct: "application/fhir+xml", raw: []byte(t)}}
		}
		return nil
	case !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "["):
		return nil
	}
	// Read as attached JSON is (jsonDocs: values one after another, NDJSON,
	// broken lines passed over; keptFirst: a repeated key's first
	// value too — review 66a: a pretty-printed resource after a one-line
	// header, and a repeated "code" key, went unread).
	var out []payload
	docs, kept := jsonDocsBoth("", []byte(t))
	for _, doc := range append(docs, kept...) {
		eachObject(doc, "", func(m map[string]any) bool {
			if _, ok := m["resourceType"].(string); !ok {
				return true
			}
			if b, err := json.Marshal(m); err == nil {
				out = append(out, payload{"application/fhir+json", b, []any{m}})
			}
			return false // (its own inner resources are read with it)
		})
	}
	return out
}

// fhirXMLRoot: doc's root element is in FHIR's namespace (by default or
// by a prefix; after a declaration, a DOCTYPE or comments: review 66a).
// The string is Unicode already, so a declared encoding is not applied;
// XML the tokenizer refuses before its root is read when its first start
// tag declares FHIR's namespace, found past declarations, comments and a
// DOCTYPE by their end markers (review 67a: a declaration of
// encoding="utf-16" or version="1.1", or "--" in a comment, stopped the
// tokenizer, and FHIR XML carrying an HIV diagnosis went unread; review
// 68a: XHTML merely linking FHIR's site after such a comment was read).
func fhirXMLRoot(doc string) bool {
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		tok, err := d.Token()
		if err != nil {
			return fhirNamespaceFirstTag(doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Space == "http://hl7.org/fhir"
		}
	}
}

// fhirNamespaceFirstTag reports whether the first start tag of doc (past
// <?…?>, <!--…--> and <!…> by their end markers) is in FHIR's namespace,
// declared there by default or for the tag's prefix; when no start tag
// can be told, whether doc names FHIR's namespace at all (fails closed).
func fhirNamespaceFirstTag(doc string) bool {
	rest := doc
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			return strings.Contains(doc, "http://hl7.org/fhir")
		}
		rest = rest[i:]
		var n int
		switch {
		case strings.HasPrefix(rest, "<?"):
			if n = strings.Index(rest, "?>"); n >= 0 {
				n += len("?>")
			}
		case strings.HasPrefix(rest, "<!--"):
			if n = strings.Index(rest[len("<!--"):], "-->"); n >= 0 {
				n += len("<!--") + len("-->")
			}
		case strings.HasPrefix(rest, "<!"):
			n = markupEnd(rest) // (a DOCTYPE's internal subset, its quoted '>': review 69a)
		default:
			n = markupEnd(rest)
			if n <= 0 {
				return strings.Contains(doc, "http://hl7.org/fhir")
			}
			tag := rest[:n]
			// the root's own namespace: the default one, or its prefix's
			name := strings.FieldsFunc(tag[1:], func(r rune) bool { return unicode.IsSpace(r) || r == '/' || r == '>' })
			decl := "xmlns"
			if len(name) > 0 {
				if p, _, ok := strings.Cut(name[0], ":"); ok {
					decl = "xmlns:" + p
				}
			}
			for _, m := range xmlnsFHIR.FindAllStringSubmatch(tag, -1) {
				if m[1] == decl {
					return true
				}
			}
			return false
		}
		if n <= 0 {
			return strings.Contains(doc, "http://hl7.org/fhir")
		}
		rest = rest[n:]
	}
}

// markupEnd is the length of the markup s starts with, to its closing
// '>' outside quotes and square brackets; 0 when it does not close.
func markupEnd(s string) int {
	var quote byte
	depth := 0
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '>' && depth <= 0:
			return i + 1
		}
	}
	return 0
}

// xmlnsFHIR is a declaration of FHIR's namespace in a start tag; its
// group is the attribute's name (xmlns, or xmlns:prefix).
var xmlnsFHIR = regexp.MustCompile(`(xmlns(?::[^\s=]+)?)\s*=\s*["']\s*http://hl7\.org/fhir/?\s*["']`)

// jsonPayload reports whether data (base64 when encoded) given media type
// ct may be FHIR JSON: its type says JSON or it has none, or its text
// starts as JSON does, an object or an array, whatever its type says
// (review 40a: the refuge's Organization as FHIR JSON typed text/plain,
// application/octet-stream or application/fhir+xml went out whole; typed
// application/fhir+json it was masked). Only the first bytes are decoded
// for that: a PDF is not decoded whole.
func jsonPayload(ct, data string, encoded bool) bool {
	if ct == "" || fhirJSONType(ct) {
		return true
	}
	var head []byte
	if encoded {
		var ok bool
		if head, ok = decodeBase64(base64Head(data, 128)); !ok {
			return false
		}
	} else {
		head = []byte(data[:min(len(data), 512)]) // (not a copy of all of it: review 99b)
	}
	return jsonLike(attachmentText(ct, head))
}

// jsonLike reports whether text (attachmentText: without a byte order
// mark) starts, past white space, as JSON that may be FHIR's: an object or
// an array of them.
func jsonLike(text []byte) bool {
	t := bytes.TrimLeft(text, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// dataURLType is the media type of data: url u; ok is false for any other
// url.
func dataURLType(u string) (mt string, ok bool) {
	mt, _, _, ok = dataURL(u)
	return mt, ok
}

// dataURLBytes is the data of data: url u, decoded from base64 where it
// says so; ok is false for any other url, or data that does not decode.
func dataURLBytes(u string) ([]byte, bool) {
	_, data, encoded, ok := dataURL(u)
	if !ok || !encoded {
		return []byte(data), ok
	}
	return decodeBase64(data)
}

// attachedContent is what m carries in its payloads, at any depth: the
// FHIR JSON documents read from them (attachedDocs, and those repeating a
// key read keeping the first value, jsonDocsBoth), each walked for
// payloads of its own; and, when texts, the text of every payload, JSON or
// not (attachmentText; not yet read as a reader sees it, scanText: read
// twice, "&amp;#49;" became a digit, review 36a), for the policy's codes
// written in it. In
// text that is not JSON (XML, CDA), a long run of base64 is a payload too
// (a FHIR XML Attachment's <data value>, a CDA body with
// representation="B64": review 32a).
//
// One walk for every route: the routes were walked one by one, so an HIV
// diagnosis in a data: url inside an attached document, a document in an
// extension's valueBase64Binary, or a repeated key in a nested document
// went unlabelled (review 31a). It goes as deep as the documents nest
// (review 32a: a limit of eight levels let a ninth go unread): each level
// is base64 of the one inside, three quarters of its size, so the whole
// walk reads at most four times what the body holds.
//
// Each payload is read once, however many documents carry it (review 39b:
// a repeated key at each of 16 levels made both readings of each level,
// jsonDocs and keptFirst, walk the level inside, 2^16 reads of a 44 KB
// body, 2.5 s to write). What is decoded is capped at maxDecodedFactor
// times the strings m holds (over: the rest is not read, and the caller
// fails closed, attachedContentCapped).
func attachedContent(m map[string]any, texts bool) (docs []any, text [][]byte) {
	docs, text, _ = attachedContentRead(m, texts, texts)
	return docs, text
}

// maxDecodedFactor bounds what attachedContent decodes, as a multiple of
// the bytes of m's strings, at least minDecodedCap: read once each, nested
// payloads come to at most about four times what the body holds (each
// level base64 of the one inside), so only a crafted item passes it.
// (Variables so that a test can reach the cap.)
var (
	maxDecodedFactor = 8
	minDecodedCap    = 1 << 20
)

// readOnce is what one item's payloads have had decoded: each read once,
// by its media type (it decides how the bytes are read) and bytes, and at
// most maxDecodedFactor times the item's size, at least minDecodedCap
// (reviews 39b, 42a). attachedContent and textWithholds share it.
type readOnce struct {
	left int
	seen map[[sha256.Size]byte]bool
}

func newReadOnce(size int) *readOnce {
	return &readOnce{left: max(minDecodedCap, maxDecodedFactor*size), seen: map[[sha256.Size]byte]bool{}}
}

// first reports whether the payload is read for the first time (fresh),
// and whether reading it spends the budget.
func (r *readOnce) first(ct string, raw []byte) (fresh, spent bool) {
	h := sha256.New()
	h.Write([]byte(ct + "\x00"))
	h.Write(raw)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	if r.seen[key] {
		return false, false
	}
	r.seen[key] = true
	r.left -= len(raw)
	return true, r.left < 0
}

// attachedContentCapped is attachedContent, and over reports that the
// payloads came to more than the cap, so that some were not read.
func attachedContentCapped(m map[string]any, texts bool) (docs []any, text [][]byte, over bool) {
	return attachedContentRead(m, texts, texts)
}

// attachedContentRead is attachedContentCapped, with the documents that
// repeat a key read again keeping the first of each (jsonDocsBoth) where
// firstToo (with texts: for labels).
func attachedContentRead(m map[string]any, texts, firstToo bool) (docs []any, text [][]byte, over bool) {
	reads := newReadOnce(stringBytes(m))
	var walk func(v any)
	var visit func(p payload)
	visit = func(p payload) {
		if over {
			return
		}
		fresh, spent := reads.first(p.ct, p.raw)
		if !fresh {
			return
		}
		if spent {
			over = true
			return
		}
		isCompressed, partial := compressed(p.raw)
		if isCompressed {
			// Not inflated, here or on release (review 89b: re-inflating
			// nested copies on each read took 7.9 s for a 1 KB letter;
			// 89e: a restricted person's and a refuge's copies went out
			// compressed, unredacted): the item is its source's alone,
			// as one whose payloads pass the cap (review 88c: an HIV
			// diagnosis as gzip FHIR JSON in a hospital letter went to
			// the GP, unread).
			over = true
			return
		}
		if len(partial) > 0 {
			// (what a broken stream inflates to is read as a payload of
			// its own, within the budget: review 89g, a data: url in it
			// went unread)
			visit(payload{raw: partial})
			if over {
				return
			}
		}
		t := attachmentText(p.ct, p.raw)
		if texts && !binaryFormat(t) {
			text = append(text, t) // as stored: the caller reads it (scanText) once
		}
		var inner []any
		declared := p.ct == "" || fhirJSONType(p.ct)
		if p.docs != nil {
			inner = p.docs
		} else if declared || jsonLike(t) { // (JSON whatever its type says: review 40a)
			if firstToo {
				// (for labels and references: a second reading keeping
				// each repeated key's first value)
				var kept []any
				inner, kept = jsonDocsBoth(p.ct, t)
				inner = append(inner, kept...)
			} else {
				inner = jsonDocs(p.ct, t)
			}
		}
		docs = append(docs, inner...)
		for _, d := range inner {
			walk(d)
		}
		if texts && (len(inner) == 0 || !declared) && !binaryFormat(t) {
			// (JSON only guessed from its first byte — a letter opening
			// "[1] Seen in clinic" — is read as text too: review 42a)
			eachEmbeddedPayload(t, func(ct string, raw []byte) bool { visit(payload{ct: ct, raw: raw}); return !over })
		} else if texts && len(inner) > 0 {
			// (a data: url in a JSON string's prose: review 48a)
			eachDataURLInJSON(t, func(ct string, raw []byte) bool { visit(payload{ct: ct, raw: raw}); return !over })
		}
	}
	walk = func(v any) {
		eachObject(v, "", func(x map[string]any) bool {
			payloadsOf(x, texts, visit)
			return true
		})
	}
	walk(m)
	return docs, text, over
}

var gzipMagic = []byte{0x1f, 0x8b}

// compressed reports whether raw is gzip or zlib data (RFC 1952, 1950):
// gzip by its magic and method (whatever its flags: review 89g, an
// inflater ignores reserved ones); zlib by a header whose check holds,
// for deflate, followed by a deflate stream that ends whole or runs past
// probeInflate bytes; with a preset dictionary carex does not know,
// dictionaryStream (review 89g: letters opening "80mg " or "(re: " were
// withheld; 89h: a long stream, or one with a line end after it, was
// not). Text that opens as a zlib header does ("(SR) ECG…", "HK:
// seen…") fails within a few bytes (review 89f: two bytes was not enough
// to tell): it is not compressed, and partial, what it inflated to, is
// read beside it as a payload of its own, so a broken stream cannot hide
// a code or a copy.
func compressed(raw []byte) (yes bool, partial []byte) {
	if len(raw) >= 10 && bytes.HasPrefix(raw, gzipMagic) && raw[2] == 8 {
		return true, nil
	}
	if len(raw) < 2 || raw[0]&0x0f != 8 || raw[0]>>4 > 7 || (int(raw[0])<<8|int(raw[1]))%31 != 0 {
		return false, nil
	}
	start := 2
	if raw[1]&0x20 != 0 { // FDICT: a dictionary id, then the stream
		if len(raw) < 6 {
			return false, nil
		}
		if binary.BigEndian.Uint32(raw[2:6]) != emptyDictionaryID {
			return dictionaryStream(raw[6:]), nil
		}
		start = 6 // (the empty dictionary: read as without one)
	}
	in := bytes.NewReader(raw[start:])
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(in), probeInflate))
	if err == nil || len(out) >= probeInflate {
		return true, nil
	}
	return false, out
}

// dictionaryStream reports whether data, after a zlib header naming a
// preset dictionary carex does not know, is a deflate stream: read with
// zeros in the dictionary's place, it ends whole a checksum's length
// before the data ends (or a line end after it: inflaters ignore
// what follows), or runs past fdictProbe, which text so read does not
// (review 89h: 9.5 KB at most in 28,000 letters; 1 of them ended whole
// so; review 89g: ending whole alone called 2.8% of them compressed).
// What it inflates to is no reading of it: zeros stand where the
// dictionary's bytes would, so nothing is read beside it.
func dictionaryStream(data []byte) bool {
	in := bytes.NewReader(data)
	n, err := io.Copy(io.Discard, io.LimitReader(flate.NewReaderDict(in, zeroDictionary[:]), fdictProbe))
	return n >= fdictProbe || err == nil && in.Len() >= 4 && in.Len() <= 6
}

// probeInflate is how far compressed reads a zlib stream that has not
// ended, fdictProbe one with an unknown preset dictionary; zeroDictionary
// stands for that dictionary; emptyDictionaryID is the Adler-32 of none.
const (
	probeInflate      = 4 << 10
	fdictProbe        = 32 << 10
	emptyDictionaryID = 1
)

var zeroDictionary [32 << 10]byte

// stringBytes is the length of every string m holds, at any depth.
func stringBytes(v any) int {
	n := 0
	switch x := v.(type) {
	case string:
		n = len(x)
	case map[string]any:
		for k, e := range x {
			n += len(k) + stringBytes(e)
		}
	case []any:
		for _, e := range x {
			n += stringBytes(e)
		}
	}
	return n
}

// binaryFormat reports whether data starts as a format whose bytes are
// not text (a PDF, an image, an archive): its digits are offsets and
// pixels, not codes (review 32a: a PDF's cross-reference offset
// 0000151004 was read as a sexually-transmitted-disease code).
func binaryFormat(b []byte) bool {
	for _, magic := range [...]string{"%PDF", "\x89PNG", "\xff\xd8\xff", "GIF8", "II*\x00", "MM\x00*", "PK\x03\x04", "\x1f\x8b", "RIFF"} {
		if bytes.HasPrefix(b, []byte(magic)) {
			return true
		}
	}
	return false
}

// eachBase64Run calls fn with the decoded bytes of each run of at least
// 64 base64 characters in text (line breaks inside it allowed, as MIME
// wraps it), that decodes. A line break followed by indentation continues
// a run too, as a pretty-printed XML document wraps an Attachment's <data
// value> (review 40a: each indented line of the refuge's base64 was a run
// of its own, too short to be read), where the line before holds at least
// minIndentedLine of it (not a word of prose); a run so joined that does
// not decode is read in its parts, as before.
func eachBase64Run(text []byte, fn func([]byte)) {
	base64Runs(text, true, fn)
}

// eachEmbeddedPayload calls fn with each payload written inside text, as
// the JSON walk reads an Attachment's data and url: a run of base64
// (eachBase64Run, ct ""), and a data: url (an XML Attachment's <url
// value>, ct its media type), its characters perhaps written as a reader
// sees them (scanText). One finder for every reader of attachment text
// (the labels, the restricted person's check, the refuge check): review
// 40a gave data: urls to the refuge check alone, so an HIV Condition or a
// restricted person's Patient percent-encoded in one went out (note 33).
// It stops once fn returns false (its reader has read enough, or past its
// cap).
//
// Each payload is given once: a base64 data: url is a base64 run too, and
// each form of the text holds the same urls (review 42a: read three times
// at each level, an ordinary note nested four deep passed a decode cap).
func eachEmbeddedPayload(text []byte, fn func(ct string, raw []byte) bool) {
	given := map[[sha256.Size]byte]bool{}
	more := true
	once := func(ct string, raw []byte) bool {
		if k := sha256.Sum256(raw); more && !given[k] {
			given[k] = true
			more = fn(ct, raw)
		}
		return more
	}
	eachBase64Run(text, func(raw []byte) { once("", raw) })
	if !more {
		return
	}
	eachDataURL(text, once)
	if s := scanText(text); more && !bytes.Equal(s, text) {
		eachDataURL(s, once)
	}
	if more && jsonLike(text) {
		eachDataURLInJSON(text, once)
	}
	// And string by string, JSON or not: a JSON reader stops at a raw tab
	// in a string (review 53a: the wrapped HIV Condition after it went
	// unread).
	if more && bytes.IndexByte(text, '\\') >= 0 {
		eachJSONStringIn(text, func(s []byte) bool {
			eachBase64Run(s, func(raw []byte) { once("", raw) })
			return more && dataURLsMore(s, once)
		})
	}
}

// dataURLsMore is dataURLs over a JSON string's value, reporting whether
// fn asked for more.
func dataURLsMore(s []byte, fn func(mt string, raw []byte) bool) bool {
	more := true
	dataURLs(s, false, func(mt string, raw []byte) bool {
		more = fn(mt, raw)
		return more
	})
	return more
}

// eachJSONStringIn calls fn with the value of each JSON string literal in
// text that is not JSON (a JSON document inside XML or a note) and holds
// an escape: there "\n" or "\/" wraps base64 or a data: url, which the
// raw reading stops at (review 49a: her Patient so wrapped went whole).
// Read in one pass: every quote closes the literal open before it and
// opens the next, so a stray quote earlier in the text (an inch mark) does
// not shift the pairing (review 50a), and a quote after a backslash opens
// one where none is open (review 51a: a wrapped HIV Condition after
// D:\exports\" went unread). Inside one, a backslash that is no JSON escape
// (a Windows path's) is a backslash, and a raw tab or line break white
// space, as a lenient reader takes them (review 53a: either hid the url
// after it); another control character ends it.
func eachJSONStringIn(text []byte, fn func(s []byte) bool) {
	start := -1 // the quote that opened the literal being read
	esc, lenient := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"':
			if start >= 0 && esc && i-start > 16 {
				lit := text[start : i+1]
				if lenient {
					lit = strictLiteral(lit)
				}
				var s string
				if json.Unmarshal(lit, &s) == nil && !fn([]byte(s)) {
					return
				}
			}
			start, esc, lenient = i, false, false
		case start < 0:
		case c == '\\' && i+1 < len(text) && jsonEscape(text[i+1:]) > 0:
			esc = true
			i += jsonEscape(text[i+1:])
		case c == '\\' || c == '\t' || c == '\n' || c == '\r':
			lenient = true
		case c < 0x20:
			start = -1 // no JSON string holds it
		}
	}
}

// strictLiteral is JSON string literal lit (its quotes included) with a
// backslash that begins no escape doubled and raw tabs and line breaks
// escaped, as eachJSONStringIn reads them.
func strictLiteral(lit []byte) []byte {
	out := make([]byte, 0, len(lit)+8)
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case c == '\\' && i+1 < len(lit)-1 && jsonEscape(lit[i+1:]) > 0:
			n := jsonEscape(lit[i+1:])
			out = append(out, lit[i:i+1+n]...)
			i += n
		case c == '\\':
			out = append(out, '\\', '\\')
		case c == '\t':
			out = append(out, '\\', 't')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, c)
		}
	}
	return out
}

// jsonEscape is how many bytes of b, what follows a backslash, a JSON
// escape takes (1, or 5 for \uXXXX); 0 when it begins none.
func jsonEscape(b []byte) int {
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) < 5 {
			return 0
		}
		for _, h := range b[1:5] {
			if !isHexDigit(h) {
				return 0
			}
		}
		return 5
	}
	return 0
}

// eachDataURLInJSON calls fn with each data: url inside a string value of
// JSON text t, its escapes read (review 48a: a \" in one ended it in the
// raw text, and a url in a JSON letter's prose went unread), until fn
// returns false; it reports whether fn asked for more.
func eachDataURLInJSON(t []byte, fn func(mt string, raw []byte) bool) bool {
	if !hasDataScheme(t) {
		return true
	}
	more := true
	d := json.NewDecoder(bytes.NewReader(t))
	for more {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if s, ok := tok.(string); ok && hasDataScheme([]byte(s)) {
			more = dataURLsMore([]byte(s), fn)
		}
	}
	return more
}

// hasDataScheme reports whether b holds "data:" in any case.
func hasDataScheme(b []byte) bool {
	for i := 4; i < len(b); i++ {
		if b[i] == ':' && b[i-4]|0x20 == 'd' && b[i-3]|0x20 == 'a' && b[i-2]|0x20 == 't' && b[i-1]|0x20 == 'a' {
			return true
		}
	}
	return false
}

// eachDataURL calls fn with the media type and data (dataURLBytes) of
// each data: url in text, its scheme in any case (review 46a: "DATA:"
// went unread), until fn returns false. A url's header (media type and
// parameters, up to its comma) holds no white space: "lab data: Hb 120,
// ..." is prose (review 47a), but for the tabs and line breaks a URL
// parser drops. Each url is read up to the first white space or what ends
// it (the quote that opened it, or, unquoted, a quote, '<' or '>': review
// 47a, an apostrophe in a double-quoted value ended it), across tabs and
// line breaks alone (a wrapped url: review 48a), and, as a reader takes
// it, on across white space: base64 over base64 characters, with and
// without its last words (up to maxWordsBack, and past them where its
// decoding ends as JSON or XML does: a reader's decoder drops the spaces;
// reviews 47a, 48a, 49a, words after spaced base64 hid it), and
// percent-encoded text to what ends it, without the tabs and line breaks
// a URL parser drops (review 46a: a url broken by "&#10;" went unread).
// The scan goes on after each url's first reading, so a url after it is
// read on its own too (review 47a: skipped, an HIV Condition after an
// image's base64 url went out), and only a quoted url's reading runs past
// the next url (to its quote), so each byte is scanned a bounded number
// of times (review 46a: after a "data:" without a comma it read the rest
// again, 200 KB of "data:" took 32 s to write).
func eachDataURL(text []byte, fn func(mt string, raw []byte) bool) {
	dataURLs(text, true, fn)
}

// dataURLs is eachDataURL; quotes says whether quotes end a url (not in a
// JSON string's decoded value, where they are its characters).
func dataURLs(text []byte, quotes bool, fn func(mt string, raw []byte) bool) {
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	scheme := func(i int) bool {
		return i+5 <= len(text) && text[i+4] == ':' && text[i]|0x20 == 'd' && text[i+1]|0x20 == 'a' && text[i+2]|0x20 == 't' && text[i+3]|0x20 == 'a'
	}
	undropped := func(b []byte) string {
		return strings.Map(func(r rune) rune {
			if r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, string(b))
	}
	const maxWordsBack = 8 // (base64 then prose: the readings tried, words dropped from its end)
	for i := 0; i+5 <= len(text); i++ {
		if !scheme(i) {
			continue
		}
		at := i
		var quote byte
		if quotes && at > 0 && (text[at-1] == '"' || text[at-1] == '\'') {
			quote = text[at-1]
		}
		ends := func(c byte) bool {
			switch {
			case quote != 0:
				return c == quote // (a literal '<' is an attribute's character: review 48a)
			case !quotes:
				return c == '<' || c == '>'
			}
			return c == '"' || c == '\'' || c == '<' || c == '>'
		}
		// The header runs to the comma; tabs and line breaks in it are
		// dropped, as a URL parser drops them (review 48a: one hid it).
		comma := at + 5
		for comma < len(text) && text[comma] != ',' && !ends(text[comma]) && text[comma] != ' ' {
			comma++
		}
		if comma >= len(text) || text[comma] != ',' {
			i = comma - 1 // (its header scanned once)
			continue
		}
		header := undropped(text[at:comma])
		short := comma + 1
		for short < len(text) && !ends(text[short]) && !space(text[short]) {
			short++
		}
		reads := []string{header + "," + string(text[comma+1:short])}
		// On across tabs and line breaks alone (a wrapped url: review
		// 48a), to a space or what ends it, and not past the next url.
		wrap := short
		for wrap < len(text) && !ends(text[wrap]) && text[wrap] != ' ' && !scheme(wrap) {
			wrap++
		}
		if wrap > short {
			reads = append(reads, header+","+undropped(text[comma+1:wrap]))
		}
		if strings.HasSuffix(strings.ToLower(header), ";base64") {
			// Over base64 characters and white space, from where the first
			// reading ends (its first word may hold what is not base64: a
			// "%2F", which the url decodes: review 50a); and from the comma,
			// when that stops before: a '.' or ')' after it, in the first
			// reading, hid it (review 49a).
			// A percent escape in any word is one character, as the url
			// decodes it (review 51a: "%2F" in a later word stopped it).
			scan := func(from int) (e int, words []int) {
				for e = from; e < len(text) && !ends(text[e]) && (space(text[e]) || isBase64Char(text[e]) || pctEscape(text[e:])); e++ {
					if !space(text[e]) && e > comma+1 && space(text[e-1]) {
						words = append(words, e)
					}
					if text[e] == '%' {
						e += 2
					}
				}
				return e, words
			}
			if c, _ := scan(comma + 1); c < short {
				reads = append(reads, header+","+string(text[comma+1:c]))
			}
			e, words := scan(short)
			if e != short {
				reads = append(reads, header+","+string(text[comma+1:e]))
			}
			for k := len(words) - 1; k >= 0 && k >= len(words)-maxWordsBack; k-- {
				reads = append(reads, header+","+string(text[comma+1:words[k]]))
			}
			if len(words) > maxWordsBack {
				// More prose after it: where its decoding ends as JSON or
				// XML does (review 49a: nine words hid it).
				if k := structuredEnd(text[comma+1:e], words, comma+1); k > 0 {
					reads = append(reads, header+","+string(text[comma+1:k]))
				}
			}
		} else if short < len(text) && space(text[short]) {
			// (to the next url at most, which is read on its own: review
			// 47a's 1 MiB of "data:, " took a minute; but a quoted url to
			// its quote, whatever "data:" is written in it: review 49a, a
			// note's literal "data:" hid the rest)
			e := short
			for e < len(text) && !ends(text[e]) && (quote != 0 || !scheme(e)) {
				e++
			}
			if bytes.IndexByte(text[comma:e], '%') >= 0 {
				reads = append(reads, header+","+undropped(text[comma+1:e]))
			}
		}
		for _, u := range reads {
			if raw, ok := dataURLBytes(u); ok {
				mt, _ := dataURLType(u)
				if !fn(mt, raw) {
					return
				}
			}
		}
		i = short - 1
	}
}

// structuredEnd is the last of words (offsets in the text, less base
// from b's) at which b's base64 up to it decodes to text ending as JSON or
// XML ends ('}', ']' or '>'); 0 if none. One decoding of the whole: base64
// decodes in groups of four characters, so each prefix at a group's end is
// a prefix of it.
func structuredEnd(b []byte, words []int, base int) int {
	var chars []byte
	at := make([]int, 0, len(words)) // characters before each word
	w := 0
	for i := 0; i < len(b); i++ {
		for w < len(words) && words[w]-base == i {
			at = append(at, len(chars))
			w++
		}
		switch c := b[i]; {
		case pctEscape(b[i:]):
			chars = append(chars, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		case c != ' ' && c != '\t' && c != '\r' && c != '\n':
			chars = append(chars, c)
		}
	}
	if p := bytes.IndexByte(chars, '='); p >= 0 {
		// padded: it ends with the group holding its first '='
		for k, a := range at {
			if a == (p/4+1)*4 {
				return words[k]
			}
		}
		return 0
	}
	n := len(chars) / 4 * 4
	dec, ok := decodeBase64(string(chars[:n]))
	if !ok {
		return 0
	}
	// last[i]: the last byte of dec[:i] that is not white space or NUL
	// (0 for none), found in one pass: trimming each word's prefix on its
	// own took the square of a run of "AAAA " words (review 53a: 1 MiB,
	// 102 s)
	last := make([]byte, len(dec)+1)
	for i, c := range dec {
		last[i+1] = last[i]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != 0 {
			last[i+1] = c
		}
	}
	for k := len(at) - 1; k >= 0; k-- {
		if at[k]%4 != 0 || at[k]/4*3 > len(dec) {
			continue
		}
		if c := last[at[k]/4*3]; c == '}' || c == ']' || c == '>' {
			return words[k]
		}
	}
	return 0
}

// pctEscape reports whether b begins with a percent escape ("%2F").
func pctEscape(b []byte) bool {
	return len(b) >= 3 && b[0] == '%' && isHexDigit(b[1]) && isHexDigit(b[2])
}

// minIndentedLine is how many base64 characters a line must end with for
// an indented line after it to continue its run: base64 is wrapped at 60,
// 64 or 76 a line.
const minIndentedLine = 16

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

// base64Runs is eachBase64Run's scan; indent says whether indentation
// after a line break continues a run.
func base64Runs(text []byte, indent bool, fn func([]byte)) {
	for i := 0; i < len(text); {
		if !isBase64Char(text[i]) {
			i++
			continue
		}
		// (a blank line ends it: review 33a, a MIME part's base64 was
		// joined to the header word above it)
		// (and at a line starting "--", a MIME boundary, and after its
		// padding: review 34a, a part joined to its closing boundary, and
		// two payloads on adjacent lines)
		j, n, line, indented := i, 0, 0, false
		for j < len(text) {
			c := text[j]
			if c == '\r' || c == '\n' {
				if blankLineAt(text, j) || boundaryAt(text, j) {
					break
				}
				j++
				if indent && line >= minIndentedLine {
					k := j
					if c == '\r' && k < len(text) && text[k] == '\n' {
						k++ // (CRLF)
					}
					w := k
					for w < len(text) && (text[w] == ' ' || text[w] == '\t') {
						w++
					}
					if w > k && w < len(text) && isBase64Char(text[w]) {
						indented = true
						j = w
					}
				}
				line = 0
				continue
			}
			if !isBase64Char(c) {
				break
			}
			n++
			line++
			j++
			if c == '=' && j < len(text) && text[j] != '=' {
				break
			}
		}
		if n >= 64 {
			if raw, ok := decodeBase64(string(text[i:j])); ok {
				fn(raw)
			}
			if indented {
				// its parts too, as read before, whether or not the whole
				// decodes (review 42a: a reference of 18 characters on
				// the line above, or a block above without padding,
				// shifted the joined run, which decoded to garbage)
				base64Runs(text[i:j], false, fn)
			}
		}
		i = j
	}
}

// blankLineAt reports whether the line break at text[i] is followed by
// another (a blank line), CRLF or LF, or by a line of spaces and tabs
// alone (review 40a: indentation now continues a run, so a blank line
// indented still ends one).
func blankLineAt(text []byte, i int) bool {
	rest := bytes.TrimLeft(afterLineBreak(text, i), " \t")
	return bytes.HasPrefix(rest, []byte("\r")) || bytes.HasPrefix(rest, []byte("\n"))
}

// boundaryAt reports whether the line break at text[i] is followed by a
// line starting "--" (a MIME boundary), indented or not.
func boundaryAt(text []byte, i int) bool {
	return bytes.HasPrefix(bytes.TrimLeft(afterLineBreak(text, i), " \t"), []byte("--"))
}

// afterLineBreak is text after the line break (CRLF, LF or CR) at text[i].
func afterLineBreak(text []byte, i int) []byte {
	rest, _ := bytes.CutPrefix(text[i:], []byte("\r"))
	rest, _ = bytes.CutPrefix(rest, []byte("\n"))
	return rest
}

// scanText is text as a reader sees it, for the codes written in it: JSON
// \u escapes and XML character references resolved, and the characters a
// viewer does not show (a soft hyphen, a zero-width space: Unicode's
// format characters) dropped (review 32a: "&#53;2637005", "\u00352637005"
// and "86406\u00ad008" each hid a code).
func scanText(t []byte) []byte {
	ascii := true
	for _, c := range t {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii && bytes.IndexByte(t, '&') < 0 && bytes.IndexByte(t, '\\') < 0 {
		return t
	}
	// (bytes that are not UTF-8 are read past, not given up on: review
	// 34a, one Latin-1 byte turned the reading off)
	t = resolveUEscapes(t)
	if bytes.IndexByte(t, '&') >= 0 {
		t = []byte(html.UnescapeString(string(t)))
	}
	return bytes.Map(func(r rune) rune {
		switch {
		case r < 0x80:
			return r
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
			return -1 // shows as nothing, or as a mark on the digit before (review 33a, 34a)
		case unicode.Is(unicode.Nd, r):
			return '0' + digitValue(r) // a full-width or other script's digit (review 33a)
		}
		return r
	}, t)
}

// digitValue is the value of decimal digit r: Unicode's Nd digits come in
// runs of ten from zero, some runs side by side (the mathematical digits:
// five), so its distance from the start of its range, in tens.
func digitValue(r rune) rune {
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10
		}
	}
	return 0
}

// fhirAttachments is the FHIR JSON documents m carries (attachedContent).
func fhirAttachments(m map[string]any) []any {
	docs, _ := attachedContent(m, false)
	return docs
}

// fhirAttachmentsBoth is fhirAttachments and, for the documents that
// repeat a key, each read again keeping the first of each (review 72a: an
// attached Observation's first "focus" named a withheld diagnosis, and
// only the last was looked at).
func fhirAttachmentsBoth(m map[string]any) []any {
	docs, _, _ := attachedContentRead(m, false, true)
	return docs
}

// attachmentText is data as UTF-8 text: without a byte order mark, and
// from UTF-16 or UTF-32 as its mark, its charset parameter or (with
// neither) its zero bytes tell (review 31a: UTF-16 named only by its
// charset, and UTF-32, were read as bytes). Anything else is returned as
// it is: a PDF or an image is bytes that hold no text worth the name.
func attachmentText(ct string, raw []byte) []byte {
	var charset string
	if ct != "" {
		if _, params, err := mime.ParseMediaType(ct); err == nil {
			charset = strings.ToLower(params["charset"])
		}
	}
	switch {
	case bytes.HasPrefix(raw, []byte{0xff, 0xfe, 0, 0}):
		return fromUTF32(raw[4:], binary.LittleEndian)
	case bytes.HasPrefix(raw, []byte{0, 0, 0xfe, 0xff}):
		return fromUTF32(raw[4:], binary.BigEndian)
	case bytes.HasPrefix(raw, []byte{0xff, 0xfe}), bytes.HasPrefix(raw, []byte{0xfe, 0xff}):
		return fromUTF16(raw)
	case bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")):
		return raw[3:]
	case (charset == "iso-8859-1" || charset == "latin1" || charset == "iso-8859-15" || charset == "windows-1252" || charset == "cp1252") && !utf8.Valid(raw):
		// one byte a character: its digits and soft hyphen (0xAD) as
		// Latin-1's (review 34a); UTF-8 so labelled is read as UTF-8
		// (review 35a: a soft hyphen's two bytes became two characters)
		out := make([]byte, 0, len(raw))
		for _, c := range raw {
			out = utf8.AppendRune(out, rune(c))
		}
		return out
	case charset == "utf-32le", charset == "utf-32" && len(raw) >= 4 && raw[0] != 0:
		return fromUTF32(raw, binary.LittleEndian)
	case charset == "utf-32be", charset == "utf-32":
		return fromUTF32(raw, binary.BigEndian)
	case charset == "utf-16le", charset == "utf-16" && len(raw) >= 2 && raw[0] != 0:
		return fromUTF16Order(raw, binary.LittleEndian)
	case charset == "utf-16be", charset == "utf-16":
		return fromUTF16Order(raw, binary.BigEndian)
	case len(raw) >= 4 && raw[0] != 0 && raw[1] == 0 && raw[2] == 0 && raw[3] == 0:
		return fromUTF32(raw, binary.LittleEndian) // JSON's first character is ASCII (RFC 4627 §3)
	case len(raw) >= 4 && raw[0] == 0 && raw[1] == 0 && raw[2] == 0 && raw[3] != 0:
		return fromUTF32(raw, binary.BigEndian)
	case utf16Like(raw, 1):
		return fromUTF16Order(raw, binary.LittleEndian)
	case utf16Like(raw, 0):
		return fromUTF16Order(raw, binary.BigEndian)
	}
	return raw
}

// utf16Like reports whether the first bytes of raw look like mostly
// ASCII text in UTF-16: a zero byte at most of the places of one parity
// (zero: 0 big-endian, 1 little-endian), few at the other, as a text's
// would and a binary format's would not; a character beyond Latin-1 has
// no zero byte (review 32a: an en dash early on hid the text).
func utf16Like(raw []byte, zero int) bool {
	n := min(len(raw), 256) &^ 1
	if n < 4 {
		return false
	}
	at, other := 0, 0
	for i := 0; i < n; i++ {
		if raw[i] == 0 {
			if i%2 == zero {
				at++
			} else {
				other++
			}
		}
	}
	return at*4 >= n/2*3 && other*8 <= n/2
}

// fromUTF16Order is UTF-16 raw in the given byte order as UTF-8.
func fromUTF16Order(raw []byte, order binary.ByteOrder) []byte {
	u := make([]uint16, 0, len(raw)/2)
	for i := 0; i+1 < len(raw); i += 2 {
		u = append(u, order.Uint16(raw[i:]))
	}
	return []byte(string(utf16.Decode(u)))
}

// fromUTF32 is UTF-32 raw in the given byte order as UTF-8.
func fromUTF32(raw []byte, order binary.ByteOrder) []byte {
	out := make([]byte, 0, len(raw)/4)
	for i := 0; i+3 < len(raw); i += 4 {
		r := rune(order.Uint32(raw[i:]))
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// payloadEdit is what an edit of one payload's text asks editPayloads to
// do with it.
type payloadEdit int

const (
	payloadKept      payloadEdit = iota
	payloadRewritten             // its text replaced, encoded again in its place
	payloadMasked                // masked whole
)

// editPayloads calls edit with the text (attachmentText) of each payload
// x holds itself, by payloadsOf's routes (an attachment's or a Binary's
// data, an extension's valueBase64Binary, a data: url in any value or
// list), and writes back what edit asks: new text encoded again in the
// payload's place (data without its hash, with its new size, its media
// type saying UTF-8), or the payload masked whole (maskPayload). all
// false: only payloads that may be FHIR JSON by their media type (none,
// or a JSON one); true: any whose first bytes are not a binary format
// (binaryFormat: a PDF is not decoded). It reports whether it changed x.
//
// The one walker with a write-back: redaction (redactAttachedPeople) and
// masking (maskRefs) each walked the routes their own way, and masking
// walked data alone (review 38b: the refuge's copy as a data: url or a
// valueBase64Binary went out whole).
func editPayloads(x map[string]any, all bool, edit func(ct string, text []byte) (payloadEdit, []byte)) bool {
	wanted := func(ct, data string, encoded bool) ([]byte, bool) {
		if !all && !jsonPayload(ct, data, encoded) {
			return nil, false
		}
		if !encoded {
			return []byte(data), !all || !binaryFormat([]byte(data))
		}
		if all {
			// (the first bytes tell the format: a PDF is not decoded whole)
			if head, ok := decodeBase64(base64Head(data, 128)); ok && binaryFormat(head) {
				return nil, false
			}
		}
		return decodeBase64(data)
	}
	changed := false
	if data, _ := x["data"].(string); data != "" {
		ct, _ := x["contentType"].(string)
		if raw, ok := wanted(ct, data, true); ok {
			switch e, out := edit(ct, attachmentText(ct, raw)); e {
			case payloadRewritten:
				setAttachmentData(x, out)
				if ct != "" {
					x["contentType"] = utf8Type(ct)
				}
				changed = true
			case payloadMasked:
				maskPayload(x, "data", -1)
				changed = true
			}
		}
	}
	if data, _ := x["valueBase64Binary"].(string); data != "" {
		if raw, ok := wanted("", data, true); ok {
			switch e, out := edit("", attachmentText("", raw)); e {
			case payloadRewritten:
				x["valueBase64Binary"] = base64.StdEncoding.EncodeToString(out)
				changed = true
			case payloadMasked:
				maskPayload(x, "valueBase64Binary", -1)
				changed = true
			}
		}
	}
	// data: urls, in any value or list (keys taken first: masking adds
	// and removes some)
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dataURLEdit := func(k string, i int, u string) (string, bool) {
		mt, data, encoded, ok := dataURL(u)
		if !ok {
			return "", false
		}
		raw, ok := wanted(mt, data, encoded)
		if !ok {
			return "", false
		}
		switch e, out := edit(mt, attachmentText(mt, raw)); e {
		case payloadRewritten:
			changed = true
			if _, data := x["data"]; k == "url" && i < 0 && !data {
				// An attachment's url: its hash and size were of the
				// content as stored, and the hash confirms a guess at it
				// (review 40a, as setAttachmentData for data: review 36b).
				// Beside data they are the data's (review 42a: the size
				// became the url's).
				delete(x, "hash")
				delete(x, "_hash")
				if _, ok := x["size"]; ok {
					x["size"] = len(out)
				}
			}
			return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(out), true
		case payloadMasked:
			maskPayload(x, k, i)
			changed = true
		}
		return "", false
	}
	for _, k := range keys {
		switch v := x[k].(type) {
		case string:
			if out, ok := dataURLEdit(k, -1, v); ok {
				x[k] = out
			}
		case []any:
			for i, e := range v {
				if s, ok := e.(string); ok {
					if out, ok := dataURLEdit(k, i, s); ok {
						v[i] = out
					}
				}
			}
		}
	}
	return changed
}

// maskPayload masks the payload x gives as k (the i-th of its list; -1:
// k's value itself) whole: a data-absent-reason "masked" in its place, a
// list's element null with the mark beside it, as FHIR writes a repeating
// primitive's. With an attachment's data or its url go the url or data
// beside it (the same content: FHIR), its title (which describes it), hash
// (which confirms a guess at it) and size, as with a withheld url's
// (maskRefs; review 36b).
func maskPayload(x map[string]any, k string, i int) {
	mark := func() map[string]any { return map[string]any{"extension": maskedMark()} }
	if i >= 0 {
		list, _ := x[k].([]any)
		marks, _ := x["_"+k].([]any)
		if len(marks) != len(list) {
			marks = make([]any, len(list))
		}
		list[i], marks[i] = nil, mark()
		x["_"+k] = marks
		return
	}
	if k != "data" && k != "url" {
		delete(x, k)
		x["_"+k] = mark()
		return
	}
	_, hadData := x["data"]
	_, hadURL := x["url"]
	for _, k := range []string{"url", "_url", "title", "_title", "hash", "_hash", "data", "_data", "size", "_size"} {
		delete(x, k)
	}
	if hadData {
		x["_data"] = mark()
	}
	if hadURL {
		x["_url"] = mark()
	}
}
