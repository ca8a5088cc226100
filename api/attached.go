package api

import (
	"bytes"
	"encoding/binary"
	"mime"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxAttachedDepth bounds how deep attachments inside attached documents
// are followed (a letter's FHIR JSON carrying a document carrying data…):
// each level is base64 of the one inside, so the body limit bounds the
// bytes, and this the walk.
const maxAttachedDepth = 8

// payload is the data one place in a resource carries: an attachment's or
// a Binary's data, a data: url in any string value, an extension's
// valueBase64Binary; ct is the media type it is given ("" when none).
type payload struct {
	ct  string
	raw []byte
}

// payloadsOf calls fn with each payload object x holds itself (not those
// of the objects inside it). decode false gives, for data that cannot be
// FHIR JSON by its media type, the payload without its bytes (raw nil),
// so a PDF is not decoded for references.
func payloadsOf(x map[string]any, decode bool, fn func(payload)) {
	if data, _ := x["data"].(string); data != "" {
		ct, _ := x["contentType"].(string)
		if decode || ct == "" || fhirJSONType(ct) {
			if raw, ok := decodeBase64(data); ok {
				fn(payload{ct, raw})
			}
		}
	}
	if data, _ := x["valueBase64Binary"].(string); data != "" {
		if raw, ok := decodeBase64(data); ok {
			fn(payload{"", raw})
		}
	}
	// A data: url is a payload wherever a url may stand: an attachment's
	// url, an extension's valueUri or valueUrl, a list of them (review
	// 31a: an HIV diagnosis in a valueUri's data: url went unlabelled).
	eachString(x, func(_, s string) {
		mt, data, encoded, ok := dataURL(s)
		if !ok || !decode && mt != "" && !fhirJSONType(mt) {
			return
		}
		raw := []byte(data)
		if encoded {
			if raw, ok = decodeBase64(data); !ok {
				return
			}
		}
		fn(payload{mt, raw})
	})
}

// attachedContent is what m carries in its payloads, at any depth: the
// FHIR JSON documents read from them (attachedDocs, and those repeating a
// key read keeping the first value, attachedFirstKept), each walked for
// payloads of its own; and, when texts, the text of every payload, JSON or
// not (attachmentText), for the policy's codes written in it.
//
// One walk for every route: the routes were walked one by one, so an HIV
// diagnosis in a data: url inside an attached document, a document in an
// extension's valueBase64Binary, or a repeated key in a nested document
// went unlabelled (review 31a).
func attachedContent(m map[string]any, texts bool) (docs []any, text [][]byte) {
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		eachObject(v, "", func(x map[string]any) bool {
			payloadsOf(x, texts, func(p payload) {
				t := attachmentText(p.ct, p.raw)
				if texts {
					text = append(text, t)
				}
				if depth >= maxAttachedDepth || p.ct != "" && !fhirJSONType(p.ct) {
					return
				}
				inner := jsonDocs(p.ct, t)
				inner = append(inner, firstKeptDocs(p.ct, t)...)
				docs = append(docs, inner...)
				for _, d := range inner {
					walk(d, depth+1)
				}
			})
			return true
		})
	}
	walk(m, 0)
	return docs, text
}

// fhirAttachments is the FHIR JSON documents m carries (attachedContent).
func fhirAttachments(m map[string]any) []any {
	docs, _ := attachedContent(m, false)
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
	case len(raw) >= 2 && raw[0] != 0 && raw[1] == 0 && utf16Like(raw, 1):
		return fromUTF16Order(raw, binary.LittleEndian)
	case len(raw) >= 2 && raw[0] == 0 && raw[1] != 0 && utf16Like(raw, 0):
		return fromUTF16Order(raw, binary.BigEndian)
	}
	return raw
}

// utf16Like reports whether the first bytes of raw have a zero byte at
// every other place from zero (ASCII text in UTF-16), as a text's would
// and a binary format's would not.
func utf16Like(raw []byte, zero int) bool {
	n := min(len(raw), 64) &^ 1
	for i := zero; i < n; i += 2 {
		if raw[i] != 0 {
			return false
		}
	}
	return n >= 2
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
