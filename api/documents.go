package api

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
)

// carriesDocument reports whether res, of type typ, recorded by org,
// carries content in an attachment's data, a data: url or a base64 value
// that is not FHIR JSON resources alone (onlyResources; those count by
// their own classes): a letter, a PDF, a scan. That is a document, and
// the item is one too (review 98b:
// the GP's clinical letter attached to a Task for the council, or as a
// carer's photo, went to the social worker and the IG officer, who see no
// documents; as a DocumentReference it was withheld). Whatever its
// contentType, and whatever class an NHS source tags the item with
// (reviews 99a, 100a: a letter with no type, typed image/jpeg, JSON
// naming a resourceType, FHIR XML, a resource holding a letter, or an
// item tagged care-plans, demographics or consent, went out). A photo
// whose data is an image is a picture; a Consent's sourceAttachment is the
// form it was given on, the Consent itself; a Provenance's or a Bundle's
// signature is a signature (signatureHolds). A council's item it tags
// social care is as tagged, attachments and all: its assessment forms and
// letters reach those who see social care.
func carriesDocument(typ string, res map[string]any, org string) bool {
	budget := newPictureBudget() // (the pictures of one item together: review 112a)
	// A council's item it tags social care keeps what carex reads for
	// codes (text, FHIR JSON): only what it cannot read (a PDF, an image,
	// an archive) makes it a document (review 101a: a hospital letter
	// naming HIV as a PDF in a tagged council Task reached the nurse).
	councilTagged := search.CouncilCode(org) && search.TaggedClass(typ, res) == search.ClassSocialCare
	found := false
	payload := func(ct string, raw []byte, ok, attached bool) {
		switch {
		case found:
		case !ok:
			found = true
		case councilTagged && attached:
			found = binaryFormat(attachmentText(ct, raw)) || !utf8.Valid(attachmentText(ct, raw))
		case councilTagged:
			// Base64 in a string: a document format only (review 104a: a
			// sentence of words and a SHA-256 in hex, read as base64,
			// are not UTF-8, and withheld the package from the nurse).
			found = binaryFormat(raw)
		case attached:
			found = !onlyResources(ct, raw)
		default:
			// A base64 value outside an attachment: a document when it
			// holds one (text, or a document format), not a system's
			// record key or checksum (review 101a: a 16-byte GUID withheld
			// the GP's allergy from the nurse).
			found = !onlyResources(ct, raw) && documentBytes(raw)
		}
	}
	strs := func(x map[string]any) {
		eachString(x, func(k, s string) {
			if found {
				return
			}
			if k == "div" {
				// A narrative's links to data: urls, and base64 lines in
				// its text (review 106a: a letter either way reached the
				// social worker); its words are the item's.
				for _, u := range narrativeDataURLs(s) {
					if mt, ok := documentDataURL(u); ok {
						raw, ok := dataURLBytes(u)
						if ok && strings.HasPrefix(strings.ToLower(mt), "image/") && budget.wholePicture(raw) {
							continue // an image the narrative shows (a logo)
						}
						payload(mt, raw, ok, true)
					}
				}
				if !found && len(s) >= 64 {
					// Its text line by line, as a reader sees it: tags
					// break lines, and blank lines (HTML's whitespace)
					// do not end a block (review 107a: base64 lines each
					// ended "<br/>" were read one by one).
					text := blankLines.ReplaceAllString(htmlTag.ReplaceAllString(s, "\n"), "\n")
					eachBase64Block(html.UnescapeString(text), func(raw []byte) bool {
						payload("", raw, true, false)
						return !found
					})
				}
			} else if mt, ok := documentDataURL(s); ok {
				raw, ok := dataURLBytes(s)
				payload(mt, raw, ok, true)
			} else if k != "data" && len(s) >= 64 {
				// Base64 as a whole string, or as a MIME part's body
				// (reviews 101a, 102a, 104a); not a run inside a line
				// of words or a link (review 103a: a link ending in a
				// key withheld a council's assessment from the nurse).
				eachBase64Block(s, func(raw []byte) bool {
					payload("", raw, true, false)
					return !found
				})
			}
		})
	}
	check := func(x map[string]any) bool {
		ct, _ := x["contentType"].(string)
		if data, _ := x["data"].(string); data != "" {
			raw, ok := decodeBase64(data)
			payload(ct, raw, ok, true)
		}
		if data, _ := x["valueBase64Binary"].(string); data != "" {
			raw, ok := decodeBase64(data)
			payload("", raw, ok, false)
		}
		strs(x)
		return !found
	}
	// The resource's own strings too (reviews 104a, 104b: a letter as
	// base64 in a Task's or a CarePlan's description went out).
	strs(res)
	for k, v := range res {
		switch {
		case found:
			return true
		case typ == "Consent" && k == "sourceAttachment":
			continue
		case (typ == "Provenance" || typ == "Bundle") && k == "signature":
			// A signature's data is a signature unless it holds a
			// document (review 101a: a letter as a Provenance's
			// signature reached the IG officer).
			eachObject(v, "", func(x map[string]any) bool {
				if data, _ := x["data"].(string); data != "" {
					raw, ok := decodeBase64(data)
					found = found || !ok || budget.signatureHolds(raw)
					return false
				}
				return check(x)
			})
		case k == "photo":
			eachObject(v, "", func(x map[string]any) bool {
				ct, _ := x["contentType"].(string)
				if data, _ := x["data"].(string); data != "" && pictureHead(ct, data) {
					return false // (its extensions aside: an image is a picture)
				}
				return check(x)
			})
		default:
			eachObject(v, "", check)
		}
	}
	return found
}

// htmlTag is a narrative's tag, and blankLines a run of line breaks and
// white space, for reading its text line by line.
var (
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
	blankLines = regexp.MustCompile(`\n[ \t\r\n]*\n`)
)

// narrativeDataURLs are the data: urls a narrative gives (href, src,
// style, srcset), up to their closing quote, character references read
// (review 107a: "data&#58;" went out).
func narrativeDataURLs(div string) []string {
	var out []string
	// (tabs and line breaks too, as a browser drops them from a url:
	// review 108a, "da&#9;ta:")
	div = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(html.UnescapeString(div))
	low := strings.ToLower(div)
	for i := 0; ; {
		j := strings.Index(low[i:], "data:")
		if j < 0 {
			return out
		}
		start := i + j
		end := start + strings.IndexAny(div[start:]+`"`, "\"' >")
		out = append(out, div[start:end])
		i = end
	}
}

// documentDataURL is dataURL for carriesDocument: a data: url with its
// comma, and a media type (or none) before it (review 104b: a note
// "Data: confirmed by hospital pharmacist, 2019" was read as one, and
// withheld the allergy from the nurse).
func documentDataURL(s string) (string, bool) {
	mt, _, _, ok := dataURL(s)
	if !ok {
		return "", false
	}
	head, _, comma := strings.Cut(s[5:], ",")
	if !comma {
		return "", false
	}
	if typ, _, _ := strings.Cut(head, ";"); typ != "" {
		if _, _, err := mime.ParseMediaType(typ); err != nil || !strings.Contains(typ, "/") || strings.ContainsAny(typ, " \t") {
			return "", false
		}
	}
	return mt, true
}

// eachBase64Block calls fn with the bytes of each block of base64 in s
// that decodes, until fn returns false: a run of whole lines, each of
// base64's characters alone (indented or not), 64 characters or more in
// all — the whole string, or a MIME part's body under any headers, in a
// multipart body too (review 104a: a part headed
// "Content-Transfer-Encoding:base64", and a multipart letter, went out).
// A line of words and a MIME boundary ("--…") end a block, and a blank
// line one of 64 characters or more (review 108a: 60-column lines each
// after a blank one). Words on lines of their own beside it (a heading,
// "Regards", a name) are joined to it, so each block is read whole, then
// as its body alone: its longest run of lines of one length, with and
// without the shorter line after it; its lines without the short ones at
// either end, however many, with and without the one after them; and its
// longest line (reviews 106a to 110a: words beside the letter hid it).
func eachBase64Block(s string, fn func([]byte) bool) {
	var lines [][2]int // the block's lines, start and end
	n := 0
	tried := map[[2]int]bool{}       // (the candidates below overlap: each range is decoded once)
	try := func(from, to int) bool { // lines[from..to]; false: stop
		if from < 0 || to < from || lines[to][1]-lines[from][0] < 64 || tried[[2]int{from, to}] {
			return true
		}
		tried[[2]int{from, to}] = true
		raw, ok := decodeBase64(s[lines[from][0]:lines[to][1]])
		return !ok || fn(raw)
	}
	flush := func() bool {
		defer func() { lines, n = lines[:0], 0; clear(tried) }()
		if n < 64 {
			return true
		}
		if !try(0, len(lines)-1) {
			return false
		}
		width := func(i int) int { return lines[i][1] - lines[i][0] }
		// The body: the longest run of lines of one width (16 or more),
		// and the shorter line that ends it.
		best, bestLen := -1, 1
		for i := 0; i < len(lines); {
			j := i + 1
			for j < len(lines) && width(j) == width(i) {
				j++
			}
			if width(i) >= 16 && j-i > bestLen {
				best, bestLen = i, j-i
			}
			i = j
		}
		if best >= 0 {
			end := best + bestLen - 1
			if end+1 < len(lines) && width(end+1) < width(best) && !try(best, end+1) {
				return false
			}
			if (best > 0 || end < len(lines)-1) && !try(best, end) {
				return false
			}
		}
		// Without the short lines at either end, however many (words, a
		// name: reviews 108a, 109a, 110a: "Regards", a name and a
		// qualification on lines of their own), with and without the
		// shorter line after its last long one (base64's own last line).
		from, to := 0, len(lines)-1
		for from < to && width(from) < 16 {
			from++
		}
		for to > from && width(to) < 16 {
			to--
		}
		if (from > 0 || to < len(lines)-1) && !try(from, to) {
			return false
		}
		if to+1 < len(lines) && !try(from, to+1) {
			return false
		}
		// The longest line: base64 given on one line.
		longest := 0
		for i := range lines {
			if width(i) > width(longest) {
				longest = i
			}
		}
		return len(lines) == 1 || try(longest, longest)
	}
	for i := 0; i < len(s); {
		next := len(s)
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			next = i + j + 1
		}
		line := strings.TrimSpace(s[i:next])
		if line == "" {
			// A blank line ends a block of 64 characters or more, not a
			// shorter one (review 108a: 60-column lines each after a
			// blank one); a header line ends any.
			if n >= 64 && !flush() {
				return
			}
			i = next
			continue
		}
		if !strings.HasPrefix(line, "--") && base64Line(line) {
			start := i + strings.Index(s[i:next], line)
			lines = append(lines, [2]int{start, start + len(line)})
			n += len(line)
		} else if !flush() {
			return
		}
		i = next
	}
	flush()
}

// base64Only reports whether b is base64's characters and white space.
func base64Only(b []byte) bool {
	for _, c := range b {
		if !isBase64Char(c) && c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// base64Line reports whether line is made of base64's characters alone
// (either alphabet; padding is checked when it is decoded).
func base64Line(line string) bool {
	for i := 0; i < len(line); i++ {
		if !isBase64Char(line[i]) {
			return false
		}
	}
	return true
}

// signatureHolds reports whether a signature's bytes hold a document:
//   - a JWS (compact) whose payload is neither empty (detached) nor a
//     set of claims (claimsOnly; review 102a: an RS256 JWS of iss, iat and
//     jti withheld a signed Provenance from the IG officer);
//   - a CMS signature (DER or BER) carrying signed content (review 102a:
//     a letter as the signed content went to the IG officer; review
//     104a: compressed, a scan, in UTF-16 or with curly quotes, it still
//     did: what the content is no longer matters), or DER that is not a
//     CMS signature carex can read; a detached one, with its certificates,
//     is none (review 103a), nor a bare signature value (an ECDSA
//     signature's two integers);
//   - XML that is not an XML signature alone (an enveloped signature's
//     document, an Object inside it, or its text); a detached
//     application/signature+xml is none (review 104a: HL7's example was
//     withheld from the IG officer);
//   - anything else documentBytes calls one but a picture (a handwritten
//     signature's image, as HL7's Bundle example signs).
func signatureHolds(raw []byte) bool { return newPictureBudget().signatureHolds(raw) }

// signatureHolds is signatureHolds with the item's budget of pixels to
// decode.
func (budget *pictureBudget) signatureHolds(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	if parts := bytes.Split(t, []byte(".")); len(parts) == 3 && base64Line(string(parts[0])) && base64Line(string(parts[1])) && base64Line(string(parts[2])) {
		// (its header and signature read too: a JOSE header, and a
		// signature value of at most 1 KiB, as RSA-8192's, that is not
		// text)
		hdr, okh := decodeBase64(string(parts[0]))
		sig, oks := decodeBase64(string(parts[2]))
		if !okh || !oks || !joseHeader(hdr) || len(sig) > 1024 || documentBytes(sig) {
			return true
		}
		payload, ok := decodeBase64(string(parts[1]))
		return !ok || len(payload) > 0 && !claimsOnly(payload) && documentBytes(payload)
	}
	if len(raw) > 0 && raw[0] == 0x30 { // a DER or BER SEQUENCE
		if signatureValue(raw) {
			return false
		}
		content, ok := cmsContent(raw)
		return !ok || len(content) > 0
	}
	if x := attachmentText("", t); len(x) > 0 && x[0] == '<' {
		return !xmlSignatureOnly(x)
	}
	if budget.wholePicture(raw) {
		return false
	}
	return documentBytes(raw)
}

// joseHeader reports whether b is a JWS's header, not a letter: a JSON
// object of at most 32 KiB and 16 members of numbers, booleans, words
// (strings of printable ASCII without spaces, at most 256 bytes — a key
// id, a url), certificates (x5c, whose base64 decodes to DER, not text)
// and keys' numbers, and lists and objects of them two levels down (a
// key, ETSI JAdES's sigD, x5t#o and srCms: review 111a), its words,
// member names included, at most 1 KiB together (review 110a: a letter as
// a list of words, as words joined by underscores, or as member names
// went out; review 111a: a 250-character kid and x5u together were
// refused at 512 bytes). **(limit)** A note of up to 1 KiB of words can
// ride in a header.
func joseHeader(b []byte) bool {
	var m map[string]json.RawMessage
	if len(b) > 32<<10 || json.Unmarshal(b, &m) != nil || len(m) > 16 {
		return false
	}
	words := 0
	word := func(s string) bool {
		words += len(s)
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f {
				return false
			}
		}
		return len(s) <= 256 && words <= 1024
	}
	var value func(k string, v json.RawMessage, depth int) bool
	value = func(k string, v json.RawMessage, depth int) bool {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || depth > 3:
			return false
		case v[0] == '"':
			var str string
			if json.Unmarshal(v, &str) != nil {
				return false
			}
			switch {
			case k == "x5c":
				der, ok := decodeBase64(str)
				return ok && len(der) > 0 && der[0] == 0x30 && !documentBytes(der)
			case depth > 0 && (k == "n" || k == "x" || k == "y" || k == "e"):
				return len(str) <= 2048 && base64Line(strings.TrimRight(str, "=")) // a key's numbers
			}
			return word(str)
		case v[0] == '[':
			var list []json.RawMessage
			if json.Unmarshal(v, &list) != nil || len(list) > 16 {
				return false
			}
			for _, e := range list {
				if !value(k, e, depth+1) {
					return false
				}
			}
			return true
		case v[0] == '{':
			var obj map[string]json.RawMessage
			if json.Unmarshal(v, &obj) != nil || len(obj) > 16 {
				return false
			}
			for k2, e := range obj {
				if !word(k2) || !value(k2, e, depth+1) {
					return false
				}
			}
			return true
		}
		return true
	}
	for k, v := range m {
		if !word(k) || !value(k, v, 0) {
			return false
		}
	}
	return true
}

// claimsOnly reports whether b is a JWT's claims, not a letter: a JSON
// object of at most 512 bytes, at most 12 members of names up to 16 bytes,
// each a number, a boolean or a string of at most 64 printable ASCII
// characters with no space of any kind (review 103a: a letter as one
// claim's value, across 16 claims, or as a claim's name reached the IG
// officer; review 104a: its words joined by no-break spaces).
func claimsOnly(b []byte) bool {
	var m map[string]json.RawMessage
	if len(b) > 512 || json.Unmarshal(b, &m) != nil || len(m) > 12 {
		return false
	}
	word := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f {
				return false
			}
		}
		return true
	}
	for k, v := range m {
		v = bytes.TrimSpace(v)
		switch {
		case len(k) > 16, len(v) == 0, !word(k):
			return false
		case v[0] == '"':
			var str string
			if len(v) > 66 || json.Unmarshal(v, &str) != nil || !word(str) {
				return false
			}
		case v[0] == '{' || v[0] == '[':
			return false
		}
	}
	return true
}

// ber is one BER element: its class and tag, whether it is constructed,
// and its contents (for an indefinite length, its elements without the
// end-of-contents).
type ber struct {
	class, tag  int
	constructed bool
	body        []byte
}

var errBER = errors.New("not BER")

// readBER reads the element b opens with, and what follows it. BER, not
// only DER: a signing tool streaming its output writes indefinite lengths.
func readBER(b []byte, depth int) (ber, []byte, error) {
	if len(b) < 2 || depth > 32 {
		return ber{}, nil, errBER
	}
	e := ber{class: int(b[0] >> 6), constructed: b[0]&0x20 != 0, tag: int(b[0] & 0x1f)}
	i := 1
	if e.tag == 0x1f {
		e.tag = 0
		for n := 0; ; n++ {
			if i >= len(b) || n == 4 {
				return ber{}, nil, errBER
			}
			c := b[i]
			i++
			e.tag = e.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return ber{}, nil, errBER
	}
	l := int(b[i])
	i++
	switch {
	case l == 0x80:
		if !e.constructed {
			return ber{}, nil, errBER
		}
		for j := i; ; {
			if j+2 <= len(b) && b[j] == 0 && b[j+1] == 0 {
				e.body = b[i:j]
				return e, b[j+2:], nil
			}
			_, rest, err := readBER(b[j:], depth+1)
			if err != nil {
				return ber{}, nil, err
			}
			j = len(b) - len(rest)
		}
	case l > 0x80:
		k := l & 0x7f
		if k > 4 || i+k > len(b) {
			return ber{}, nil, errBER
		}
		l = 0
		for _, c := range b[i : i+k] {
			l = l<<8 | int(c)
		}
		i += k
	}
	if l < 0 || l > len(b)-i {
		return ber{}, nil, errBER
	}
	e.body = b[i : i+l]
	return e, b[i+l:], nil
}

// elements are the elements of a constructed element's contents.
func (e ber) elements(depth int) ([]ber, error) {
	var out []ber
	for b := e.body; len(b) > 0; {
		x, rest, err := readBER(b, depth+1)
		if err != nil {
			return nil, err
		}
		out, b = append(out, x), rest
	}
	return out, nil
}

// octets are an OCTET STRING's bytes, its segments joined when it is
// constructed.
func (e ber) octets(depth int) ([]byte, error) {
	if !e.constructed {
		return e.body, nil
	}
	parts, err := e.elements(depth)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, p := range parts {
		b, err := p.octets(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

var (
	oidSignedData = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}             // 1.2.840.113549.1.7.2
	oidTSTInfo    = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04} // 1.2.840.113549.1.9.16.1.4
)

// cmsContent is the signed content a CMS SignedData carries (RFC 5652:
// encapContentInfo's eContent), nil when it is detached or a time-stamp's
// token info; ok is false when raw is not a SignedData carex can read.
func cmsContent(raw []byte) (content []byte, ok bool) {
	ci, rest, err := readBER(raw, 0)
	if err != nil || len(bytes.Trim(rest, "\x00")) > 0 || ci.tag != 16 || !ci.constructed {
		return nil, false
	}
	top, err := ci.elements(0)
	if err != nil || len(top) != 2 || top[0].tag != 6 || !bytes.Equal(top[0].body, oidSignedData) || top[1].class != 2 || top[1].tag != 0 {
		return nil, false
	}
	inner, err := top[1].elements(1)
	if err != nil || len(inner) != 1 || inner[0].tag != 16 {
		return nil, false
	}
	sd, err := inner[0].elements(2)
	if err != nil || len(sd) < 4 || sd[0].tag != 2 || sd[1].tag != 17 || sd[2].tag != 16 {
		return nil, false
	}
	encap, err := sd[2].elements(3)
	switch {
	case err != nil || len(encap) == 0 || len(encap) > 2 || encap[0].tag != 6:
		return nil, false
	case len(encap) == 1:
		return nil, true
	}
	if encap[1].class != 2 || encap[1].tag != 0 {
		return nil, false
	}
	wrapped, err := encap[1].elements(4)
	if err != nil || len(wrapped) != 1 || wrapped[0].tag != 4 {
		return nil, false
	}
	if content, err = wrapped[0].octets(5); err != nil {
		return nil, false
	}
	if bytes.Equal(encap[0].body, oidTSTInfo) && tstInfo(content) {
		return nil, true
	}
	return content, true
}

// tstInfo reports whether b is a time-stamp's token info (RFC 3161:
// version, policy, message imprint, serial number, time, and optional
// fields of its own), not something else typed so (review 106a: a letter
// so typed reached the IG officer).
func tstInfo(b []byte) bool {
	seq, rest, err := readBER(b, 6)
	if err != nil || len(rest) > 0 || seq.tag != 16 || len(b) > 1024 {
		return false
	}
	f, err := seq.elements(6)
	if err != nil || len(f) < 5 || len(f) > 10 || f[0].tag != 2 || f[1].tag != 6 || f[2].tag != 16 || f[3].tag != 2 || f[4].tag != 24 ||
		len(f[0].body) > 2 || len(f[1].body) > 32 || len(f[3].body) > 20 || len(f[4].body) > 32 {
		return false
	}
	// The message imprint: a hash algorithm and a hash (at most SHA-512's
	// 64 bytes: review 107a, a letter rode in it; the algorithm's
	// parameters, review 108a).
	imprint, err := f[2].elements(7)
	if err != nil || len(imprint) != 2 || imprint[0].tag != 16 || len(imprint[0].body) > 32 || imprint[1].tag != 4 || len(imprint[1].body) > 64 {
		return false
	}
	// accuracy, ordering, nonce, the authority's name, extensions: 256
	// bytes in all, each once (review 107a: a letter cut into five
	// fields of 400 bytes).
	total, seen := 0, map[[2]int]bool{}
	for _, x := range f[5:] {
		if k := [2]int{x.class, x.tag}; seen[k] {
			return false
		} else {
			seen[k] = true
		}
		total += len(x.body)
	}
	return total <= 256
}

// signatureValue reports whether raw is a bare signature value in DER: a
// SEQUENCE of two INTEGERs (ECDSA's, DSA's r and s).
func signatureValue(raw []byte) bool {
	seq, rest, err := readBER(raw, 0)
	if err != nil || len(rest) > 0 || seq.tag != 16 {
		return false
	}
	ints, err := seq.elements(0)
	return err == nil && len(ints) == 2 && ints[0].tag == 2 && ints[1].tag == 2 && !ints[0].constructed && !ints[1].constructed
}

// xmlSignatureOnly reports whether XML text is a signature alone (XML
// Signature's detached form): a Signature root element holding no Object
// (where a signature carries what it signs) and no more than 256
// characters of text that is not a base64 value (a transform's XPath, a
// key's or a certificate's names).
func xmlSignatureOnly(text []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	depth, words := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return depth == 0 && words <= 256
		}
		if err != nil {
			return false
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 && tok.Name.Local != "Signature" || tok.Name.Local == "Object" {
				return false
			}
			for _, a := range tok.Attr {
				if strings.IndexFunc(a.Value, unicode.IsSpace) >= 0 {
					// an algorithm's or a reference's URI has no space;
					// words in an attribute are text (review 107a)
					words += len(a.Value)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			// A value (base64, a digest, a number) is base64's
			// characters alone, on one line or in lines of 16 or more;
			// anything else is text, and counts whole (review 106a: a
			// letter in words in a KeyName counted nothing; review 107a:
			// nor did one a word to a line).
			t := bytes.TrimSpace(tok)
			if len(t) >= 64 && base64Only(t) {
				// a certificate, a signature value: DER or random bytes,
				// not a letter (review 108a: one as base64 in
				// X509Certificate)
				if raw, ok := decodeBase64(string(t)); !ok || documentBytes(raw) {
					return false
				}
			}
			lines := bytes.Split(t, []byte("\n"))
			for i, line := range lines {
				line = bytes.TrimSpace(line)
				if !base64Line(string(line)) || len(lines) > 1 && i < len(lines)-1 && len(line) < 16 {
					words += len(t)
					break
				}
			}
			if depth == 0 && len(t) > 0 {
				return false
			}
		case xml.Comment:
			words += len(tok) // (review 107a: a letter in a comment)
		case xml.ProcInst:
			words += len(tok.Inst) // (review 108a: a letter in <?note …?>)
		case xml.Directive:
			return false // (a DOCTYPE's entities could carry anything)
		}
	}
}

// documentBytes reports whether b holds a document: a document, image or
// archive format, or text (at least 8 characters, nearly all printable).
func documentBytes(b []byte) bool {
	if binaryFormat(b) {
		return true
	}
	t := attachmentText("", b)
	if len(t) < 8 || !utf8.Valid(t) {
		return false
	}
	printable := 0
	for _, r := range string(t) {
		if unicode.IsPrint(r) || r == '\n' || r == '\r' || r == '\t' {
			printable++
		}
	}
	return printable*10 >= utf8.RuneCount(t)*9
}

// onlyResources reports whether payload raw (of media type ct) is FHIR
// resources in JSON and nothing else: one, an array of them, or one after
// another (NDJSON), each an object naming an R4 resourceType. Those count
// by their own classes (withInnerClasses, carriesDocument of each); a
// letter beside them, JSON of no resource or FHIR XML (whose resources
// carex does not class) is a document (review 100a).
func onlyResources(ct string, raw []byte) bool {
	t := bytes.TrimSpace(attachmentText(ct, raw))
	if len(t) == 0 {
		return false
	}
	isResource := func(v json.RawMessage) bool {
		var top map[string]json.RawMessage
		var typ string
		return json.Unmarshal(v, &top) == nil && json.Unmarshal(top["resourceType"], &typ) == nil && fhir.IsResourceType(typ)
	}
	if t[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(t, &list) != nil || len(list) == 0 {
			return false
		}
		for _, v := range list {
			if !isResource(v) {
				return false
			}
		}
		return true
	}
	if t[0] != '{' {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(t))
	n := 0
	for {
		var v json.RawMessage
		if err := d.Decode(&v); err == io.EOF {
			return n > 0
		} else if err != nil || !isResource(v) {
			return false
		}
		n++
	}
}

// pictureHead reports whether base64 data, of media type ct, is an image:
// ct is an image's or none (review 104b: a letter typed text/plain whose
// text opened "BM" was read as a bitmap) and the bytes are one
// (pictureBytes).
func pictureHead(ct, data string) bool {
	if mt, _, err := mime.ParseMediaType(ct); ct != "" && (err != nil || !strings.HasPrefix(mt, "image/")) {
		return false
	}
	h, ok := decodeBase64(base64Head(data, 4096))
	return ok && pictureBytes(h)
}

// wholePicture reports whether b, all of it, is an image and nothing
// else (review 108a: a letter after PNG's signature, or appended to a real
// logo, passed as a narrative's image or a handwritten signature):
//   - a PNG of the chunks PNG defines alone (review 109a: a private chunk
//     held a letter), each of its own size and the fixed ones once
//     (review 110a: a letter as a tIME chunk), its image data one zlib
//     stream and no more, not animated (carex does not decode the
//     frames), that decodes, ending at its IEND;
//   - a JPEG whose segments run from its start to one end marker at its
//     end, its coded data without text (textRun), that decodes;
//   - a GIF whose blocks run to one trailer at its end, that decodes;
//
// of at most 24 megapixels, frames together (review 110a: twelve blank
// 36-megapixel frames of a GIF took 418 MB to decode), and 96 MiB
// decoded (review 109a: a decoder asked for huge dimensions allocates
// them), and with at most 128 bytes of comments and other text beside
// 64 KiB of EXIF, XMP, thumbnails and applications' segments, all
// counted (review 110a: a JPEG's APP0 and APP2 segments, a GIF's
// application extensions and a comment calling itself XMP were not), and
// an ICC profile of up to 1 MiB. **Limits:** the metadata's text is not
// read (its segments are checked to be the metadata they name), nor the
// pixels (a picture may show text), nor the values of its palettes,
// histograms, thumbnails and tables (review 112a: read for words, a
// brand's colour ramp withheld a logo), nor bytes that look like coded
// data. Other formats, SVG among them (whose text is text), are not taken
// on trust.
func wholePicture(b []byte) bool { return newPictureBudget().wholePicture(b) }

// pictureBudget is what one item's pictures may decode together: 48
// megapixels, and 16 more pixels for each byte of each picture (review
// 112a: 600 blank 24-megapixel PNGs of 3 KB each in one narrative took
// 38 s to write; review 113a: five 12-megapixel wound photos in a
// problem's narrative passed a budget of 48 megapixels alone, and made it
// a document). A photo as a camera or a phone saves it (a tenth of a byte
// a pixel or more) pays for itself; what a write's body can make carex
// decode stays bounded by its size. **(choice)** A picture past the budget
// is not taken as one (an item is a document, not released unverified):
// only pictures that compress more than 16 pixels to the byte (blank or
// drawn) meet it, past 48 megapixels in one item.
type pictureBudget struct{ pixels int }

func newPictureBudget() *pictureBudget { return &pictureBudget{pixels: 2 * maxPicturePixels} }

// pixelsPerByte is what each byte of a picture adds to its item's budget.
const pixelsPerByte = 16

// spend takes px pixels (a GIF's frames') from the budget, if it has them.
func (budget *pictureBudget) spend(px int) bool {
	if px > budget.pixels {
		return false
	}
	budget.pixels -= px
	return true
}

// wholePicture is wholePicture within the budget.
func (budget *pictureBudget) wholePicture(b []byte) bool {
	t := bytes.TrimRight(b, "\x00")
	budget.pixels += pixelsPerByte * len(t)
	var cfg image.Config
	var err error
	decoded := false
	switch {
	case bytes.HasPrefix(t, []byte("\x89PNG\r\n\x1a\n")):
		// (its size first: the budget before inflating its data)
		if cfg, err = png.DecodeConfig(bytes.NewReader(t)); err != nil || !pixels(cfg) || !budget.spend(cfg.Width*cfg.Height) || !pngChunksOnly(t) {
			return false
		}
		_, err = png.Decode(bytes.NewReader(t))
		decoded = true
	case bytes.HasPrefix(t, []byte("\xff\xd8\xff")):
		ok, scans := jpegWalk(t, 0)
		if !ok {
			return false
		}
		// (each twelve scans one pass more: a progressive JPEG's ten cost
		// as a baseline one's one)
		if cfg, err = jpeg.DecodeConfig(bytes.NewReader(t)); err == nil && pixels(cfg) && budget.spend(cfg.Width*cfg.Height*max(1, (scans+11)/12)) {
			_, err = jpeg.Decode(bytes.NewReader(t))
			decoded = true
		}
	case bytes.HasPrefix(t, []byte("GIF87a")), bytes.HasPrefix(t, []byte("GIF89a")):
		frames, ok := gifBlocksOnly(t)
		if !ok {
			return false
		}
		if cfg, err = gif.DecodeConfig(bytes.NewReader(t)); err == nil && pixels(cfg) && budget.spend(frames) {
			_, err = gif.DecodeAll(bytes.NewReader(t))
			decoded = true
		}
	default:
		return false
	}
	return err == nil && pixels(cfg) && decoded
}

// maxPicturePixels and maxPictureBytes bound what decoding a picture
// allocates.
const (
	maxPicturePixels = 24_000_000
	maxPictureBytes  = 96 << 20
)

// pixels reports whether an image's dimensions are a picture's: at most
// maxPicturePixels, and maxPictureBytes decoded in its colour model
// (a 16-bit PNG takes 8 bytes a pixel).
func pixels(c image.Config) bool {
	if c.Width <= 0 || c.Height <= 0 || c.Width > 40000 || c.Height > 40000 || c.Width*c.Height > maxPicturePixels {
		return false
	}
	per := 4
	switch c.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model:
		per = 8
	case color.Gray16Model:
		per = 2
	}
	return c.Width*c.Height*per <= maxPictureBytes
}

// metaText bounds a picture's metadata: its EXIF, XMP, ICC profiles and
// application segments (up to 64 KiB in all), and 128 bytes of comments
// and other text, a tool's name (review 109a: a letter in a comment went
// out).
type metaText struct{ tagged, other int }

func (m *metaText) add(body []byte, tagged bool) bool {
	if tagged {
		m.tagged += len(body)
	} else {
		m.other += len(body)
	}
	return m.tagged <= 64<<10 && m.other <= 128
}

// pngFixed are the sizes of PNG's chunks of one size, each allowed once:
// the least and the most bytes (review 110a: a letter as a tIME chunk,
// which Go's decoder skips).
var pngFixed = map[string][2]int{
	"IHDR": {13, 13}, "gAMA": {4, 4}, "cHRM": {32, 32}, "sRGB": {1, 1}, "pHYs": {9, 9}, "tIME": {7, 7},
	"sBIT": {1, 4}, "bKGD": {1, 6}, "tRNS": {1, 256}, "PLTE": {3, 768}, "hIST": {2, 512},
	"cICP": {4, 4}, "cLLi": {8, 8}, "mDCv": {24, 24},
	// registered extensions and the chunks image tools keep (review 110a:
	// ImageMagick's trimmed scan; review 111a: a macOS screenshot's iDOT,
	// ImageMagick 7's caNv and orNT, a physical scale)
	"oFFs": {9, 9}, "vpAg": {9, 9}, "caNv": {16, 16}, "orNT": {1, 1}, "sCAL": {4, 64}, "sTER": {1, 1}, "iDOT": {4, 64},
}

// pngChunksOnly reports whether a PNG's chunks are PNG's own, each of its
// size, its text within bounds, to an IEND that ends it.
func pngChunksOnly(b []byte) bool {
	var meta metaText
	seen := map[string]bool{}
	var idat []byte
	prev := ""
	palette := 0 // its entries
	for rest := b[8:]; ; {
		if len(rest) < 12 {
			return false
		}
		n := int(binary.BigEndian.Uint32(rest[:4]))
		if n < 0 || n > len(rest)-12 {
			return false
		}
		body := rest[8 : 8+n]
		switch typ := string(rest[4:8]); typ {
		case "tEXt", "zTXt", "iTXt":
			// text, but for the profiles tools keep as text: XMP (iTXt
			// "XML:com.adobe.xmp") and ImageMagick's "Raw profile type
			// exif" and the like (review 110a: withheld as text)
			kw, _, _ := bytes.Cut(body, []byte{0})
			profile := typ == "iTXt" && string(kw) == "XML:com.adobe.xmp" || typ != "iTXt" && bytes.HasPrefix(kw, []byte("Raw profile type "))
			if !meta.add(body, profile) {
				return false
			}
		case "eXIf":
			if seen[typ] || !meta.add(body, true) {
				return false
			}
		case "iCCP":
			// a profile: its name is text
			name, _, _ := bytes.Cut(body, []byte{0})
			if seen[typ] || !meta.add(name, false) || !iccProfile(body[len(name):]) {
				return false
			}
		case "sPLT": // a suggested palette, named: counted as text
			if !meta.add(body, false) {
				return false
			}
		case "IEND":
			return n == 0 && len(rest) == 12 && seen["IHDR"] && pngDataEnds(idat, b[16:29])
		case "IDAT":
			if seen["IDAT"] && prev != "IDAT" {
				return false // (IDAT chunks run together)
			}
			idat = append(idat, body...)
		default:
			size, ok := pngFixed[typ]
			if !ok || seen[typ] || n < size[0] || n > size[1] || (typ == "IHDR") != (prev == "") {
				return false
			}
			if typ == "PLTE" {
				palette = n / 3
			}
			// a histogram, one count for each palette entry
			if typ == "hIST" && n != 2*palette {
				return false
			}
		}
		prev = string(rest[4:8])
		seen[prev] = true
		rest = rest[12+n:]
	}
}

// jpegSegmentsOnly reports whether a JPEG's segments run from its start
// to one end marker that ends it, its comments and text within bounds
// (review 109a: a letter in a comment, or after an end marker with
// another after it): every APPn segment (JFIF, EXIF, XMP, an ICC
// profile, Adobe's) is metadata, a comment text (review 110a: APP0 and
// APP2 were not counted).
func jpegSegmentsOnly(b []byte) bool { return jpegSegmentsOnlyAt(b, 0) }

func jpegSegmentsOnlyAt(b []byte, depth int) bool {
	ok, _ := jpegWalk(b, depth)
	return ok
}

// maxJPEGScans bounds a JPEG's scans: each is a pass of its decoder over
// the whole picture (review 114a: a 24-megapixel progressive JPEG of 1,000
// scans, 42 KB, took 6.4 s to write). A camera's or an editor's
// progressive JPEG has ten or so.
const maxJPEGScans = 32

// jpegWalk is jpegSegmentsOnly for a JPEG at depth (a JFXX thumbnail's is
// 1, and holds no thumbnail of its own), and its number of scans.
func jpegWalk(b []byte, depth int) (ok bool, scans int) {
	var meta metaText
	var icc []byte // an ICC profile, in segments
	tables := 0    // quantisation tables' bytes
	for i := 2; i+1 < len(b); {
		if b[i] != 0xff {
			return false, 0
		}
		m := b[i+1]
		switch {
		case m == 0xff:
			i++ // fill
			continue
		case m == 0xd9:
			return i+2 == len(b) && (icc == nil || iccHeader(icc)), scans
		case m >= 0xd0 && m <= 0xd7, m == 0x01:
			i += 2
			continue
		}
		if i+4 > len(b) {
			return false, 0
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return false, 0
		}
		body := b[i+4 : i+2+n]
		switch {
		case m == 0xe2 && bytes.HasPrefix(body, []byte("ICC_PROFILE\x00")) && len(body) > 14:
			// an ICC profile, in as many segments as it needs (review
			// 111a: a 100 KB print profile in two was withheld), checked
			// whole at the end: at most 1 MiB
			if icc = append(icc, body[14:]...); len(icc) > 1<<20 {
				return false, 0
			}
		case m == 0xe0 && bytes.HasPrefix(body, []byte("JFXX\x00")):
			if depth > 0 || !jfxxThumbnail(body[5:]) || !meta.add(body, true) {
				return false, 0
			}
		case m == 0xdb:
			// quantisation tables: at most eight of 64 16-bit values
			// (review 111a: a letter in repeated tables went out)
			if tables += n - 2; tables > 8*129 {
				return false, 0
			}
		case m == 0xfe || m >= 0xe0 && m <= 0xef:
			if !meta.add(body, jpegProfile(m, body)) {
				return false, 0
			}
		}
		i += 2 + n
		if m == 0xda { // the scan's coded data, to the next marker
			if scans++; scans > maxJPEGScans {
				return false, 0
			}
			from := i
			for i+1 < len(b) && !(b[i] == 0xff && b[i+1] != 0 && (b[i+1] < 0xd0 || b[i+1] > 0xd7)) {
				i++
			}
			if textRun(b[from:i]) || utf16Run(b[from:i]) {
				return false, 0
			}
		}
	}
	return false, 0
}

// textRun reports whether image data (a JPEG's coded data, which its
// decoder stops reading at its last block) holds text: 64 bytes or more
// of printable ASCII in a row, of 12 different bytes or more (review
// 110a: a letter between the coded data and the end marker went out).
// Coded data is as good as random, where such a run does not happen; a
// plain picture's repeats few bytes.
func textRun(b []byte) bool {
	var r printableRun
	for _, c := range b {
		if r.add(c, c >= 0x20 && c <= 0x7e || c == '\t' || c == '\r' || c == '\n') && r.run >= 64 {
			return true
		}
	}
	return false
}

// printableRun counts a run of printable characters and how many
// different ones it holds (textRun, utf16Run).
type printableRun struct {
	run, distinct int
	seen          [128]bool
}

// add counts c, or ends the run when c is not printable; it reports
// whether the run holds 12 different characters or more.
func (r *printableRun) add(c byte, printable bool) bool {
	if !printable {
		r.run, r.distinct = 0, 0
		clear(r.seen[:])
		return false
	}
	r.run++
	if !r.seen[c] {
		r.seen[c] = true
		r.distinct++
	}
	return r.distinct >= 12
}

// pngChannels are the samples a pixel of each PNG colour type has.
var pngChannels = map[byte]int64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

// pngDataEnds reports whether a PNG's image data (its IDAT chunks'
// bodies, joined) is one zlib stream and nothing after it (review 110a's
// re-read: Go's decoder reads the stream to its end and skips what
// follows it in the chunk, a letter), of no more than its header (ihdr)
// makes it (review 111a: a 1×1 PNG's data inflating to 4 GiB took 2 s
// to read).
func pngDataEnds(data, ihdr []byte) bool {
	w, h := int64(binary.BigEndian.Uint32(ihdr)), int64(binary.BigEndian.Uint32(ihdr[4:]))
	channels := pngChannels[ihdr[9]]
	if w <= 0 || h <= 0 || channels == 0 || w*h > maxPicturePixels {
		return false
	}
	row := (w*channels*int64(ihdr[8]) + 7) / 8
	most := h*(1+row) + 16*h + 64 // (an interlaced image's passes add a few rows' filter bytes)
	r := bytes.NewReader(data)
	zr, err := zlib.NewReader(r)
	if err != nil {
		return false
	}
	if n, err := io.Copy(io.Discard, io.LimitReader(zr, most+1)); err != nil || n > most {
		return false
	}
	if _, err := zr.Read(make([]byte, 1)); err != io.EOF {
		return false // (the stream's own end, its checksum read)
	}
	return r.Len() == 0
}

// gifApplications are the application extensions image tools write.
var gifApplications = map[string]bool{"NETSCAPE2.0": true, "ANIMEXTS1.0": true, "XMP DataXMP": true, "ICCRGBG1012": true}

// jpegProfile reports whether the body of APPn segment m is metadata
// that a camera or an editor writes, by its identifier: JFIF's header
// and thumbnail, EXIF, XMP, an ICC profile, a multi-picture index,
// Photoshop's and Adobe's; any other, and a comment, is text (review
// 110a: a letter in an APP0 or APP2 segment of no such name went out).
func jpegProfile(m byte, body []byte) bool {
	switch m {
	case 0xe0:
		// JFIF: 14 bytes and a thumbnail of 3 bytes a pixel
		return len(body) >= 14 && string(body[:5]) == "JFIF\x00" && len(body) == 14+3*int(body[12])*int(body[13])
	case 0xe1:
		return bytes.HasPrefix(body, []byte("Exif\x00\x00")) || bytes.HasPrefix(body, []byte("http://ns.adobe.com/xap/1.0/\x00")) || bytes.HasPrefix(body, []byte("http://ns.adobe.com/xmp/extension/\x00"))
	case 0xe2:
		// (an ICC profile's segments are jpegWalk's); a multi-picture
		// index, FlashPix's data (review 111a: withheld)
		return bytes.HasPrefix(body, []byte("MPF\x00")) || bytes.HasPrefix(body, []byte("FPXR\x00"))
	case 0xed:
		return bytes.HasPrefix(body, []byte("Photoshop 3.0\x00"))
	case 0xee:
		return bytes.HasPrefix(body, []byte("Adobe")) && len(body) == 12
	}
	return false
}

// iccHeader reports whether p is an ICC profile by its header: the
// "acsp" signature, and the size it states.
func iccHeader(p []byte) bool {
	return len(p) >= 128 && string(p[36:40]) == "acsp" && int(binary.BigEndian.Uint32(p)) == len(p)
}

// jfxxThumbnail reports whether a JFXX extension (after its name) is a
// thumbnail: a whole JPEG, or pixels of one or three bytes (after a
// palette) of the size its dimensions give, not words (review 111a: one
// was withheld; review 110a: a letter in a segment so named went out).
func jfxxThumbnail(x []byte) bool {
	if len(x) < 1 {
		return false
	}
	switch code, t := x[0], x[1:]; code {
	case 0x10:
		return bytes.HasPrefix(t, []byte("\xff\xd8\xff")) && jpegSegmentsOnlyAt(t, 1)
	case 0x11:
		return len(t) >= 2 && len(t) == 2+768+int(t[0])*int(t[1])
	case 0x13:
		return len(t) >= 2 && len(t) == 2+3*int(t[0])*int(t[1])
	}
	return false
}

// utf16Run reports whether image data holds text in UTF-16: 32
// characters or more of printable ASCII in a row, each beside a zero
// byte, of 12 different ones or more (review 111a: a letter before a
// JPEG's end marker in UTF-16 went out).
func utf16Run(b []byte) bool {
	for form := 0; form < 4; form++ { // (little- or big-endian, from an even or an odd byte)
		var r printableRun
		for i := form / 2; i+1 < len(b); i += 2 {
			c, z := b[i], b[i+1]
			if form%2 == 1 {
				c, z = z, c
			}
			if r.add(c, z == 0 && (c >= 0x20 && c <= 0x7e || c == '\n' || c == '\r')) && r.run >= 32 {
				return true
			}
		}
	}
	return false
}

// iccProfile reports whether a PNG's iCCP chunk, after its name, holds
// an ICC profile: zlib data that inflates to a profile's header
// ("acsp") of the size it states, at most 1 MiB as in a JPEG (review
// 110a: a letter as its profile went out; review 112a: a 100 KB display
// profile was refused at 64 KiB).
func iccProfile(rest []byte) bool {
	if len(rest) < 2 || rest[0] != 0 || rest[1] != 0 { // its name's end, the method
		return false
	}
	zr, err := zlib.NewReader(bytes.NewReader(rest[2:]))
	if err != nil {
		return false
	}
	p, err := io.ReadAll(io.LimitReader(zr, 1<<20+1))
	return err == nil && len(p) <= 1<<20 && iccHeader(p)
}

// gifBlocksOnly reports whether a GIF's blocks run to one trailer that
// ends it, its comments and application extensions within bounds, and
// the pixels of its frames together.
func gifBlocksOnly(b []byte) (frames int, ok bool) {
	var meta metaText
	if len(b) < 13 {
		return 0, false
	}
	i := 13
	if b[10]&0x80 != 0 {
		i += 3 << (b[10]&7 + 1)
		if i > len(b) {
			return 0, false
		}
	}
	subBlocks := func(text, tagged bool) bool {
		for i < len(b) {
			n := int(b[i])
			i++
			if n == 0 {
				return true
			}
			if i+n > len(b) || (text || tagged) && !meta.add(b[i:i+n], tagged) {
				return false
			}
			i += n
		}
		return false
	}
	for i < len(b) {
		switch b[i] {
		case 0x3b:
			return frames, i+1 == len(b)
		case 0x21:
			if i+2 > len(b) {
				return 0, false
			}
			label := b[i+1]
			i += 2
			// a comment and plain text are text; an application
			// extension metadata when it is NETSCAPE2.0's loop (or its
			// copy's), XMP or an ICC profile, else text (review 110a: an
			// application extension of a letter went out)
			app := label == 0xff && i+12 <= len(b) && b[i] == 11 && gifApplications[string(b[i+1:i+12])]
			if !subBlocks(label == 0xfe || label == 0x01 || label == 0xff && !app, app) {
				return 0, false
			}
		case 0x2c:
			if i+10 > len(b) {
				return 0, false
			}
			w, h := int(binary.LittleEndian.Uint16(b[i+5:])), int(binary.LittleEndian.Uint16(b[i+7:]))
			if frames += w * h; frames > maxPicturePixels {
				return 0, false
			}
			flags := b[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&7 + 1)
				if i > len(b) {
					return 0, false
				}
			}
			i++ // LZW minimum code size
			if !subBlocks(false, false) {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return 0, false
}

// pictureBytes reports whether h, an image's first bytes, opens as PNG,
// JPEG, GIF, TIFF, BMP, WebP, HEIC/HEIF, AVIF or JPEG 2000 does, and no
// PDF or other document starts in them (review 100a: PNG's magic before a
// PDF read as a picture; a WebP or an iPhone's HEIC photo was withheld as
// a document). A bitmap by its whole header, not "BM" alone (review 104b).
func pictureBytes(h []byte) bool {
	if bytes.Contains(h, []byte("%PDF")) || bytes.Contains(h, []byte("<html")) || bytes.Contains(h, []byte(`"resourceType"`)) {
		return false
	}
	for _, magic := range [...]string{"\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "GIF87a", "GIF89a", "II*\x00", "MM\x00*", "\x00\x00\x00\x0cjP  \r\n\x87\n", "\xff\x4f\xff\x51"} {
		if bytes.HasPrefix(h, []byte(magic)) {
			return true
		}
	}
	if len(h) >= 18 && string(h[:2]) == "BM" && string(h[6:10]) == "\x00\x00\x00\x00" {
		switch binary.LittleEndian.Uint32(h[14:18]) { // (its info header's size)
		case 12, 40, 52, 56, 64, 108, 124:
			return true
		}
	}
	if len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP" {
		return true
	}
	if len(h) >= 12 && string(h[4:8]) == "ftyp" {
		switch string(h[8:12]) {
		case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis":
			return true
		}
	}
	return false
}
