package api

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/carex-project/carex/store"
)

// bundleOut builds a response Bundle around stored JSON without
// re-encoding it: each resource goes out byte for byte as stored.
type bundleOut struct {
	typ     string
	base    string
	total   *int
	links   [][2]string
	entries []bundleEntry
	x       *Exchange                                  // releases through x.body; its Withheld count adds the notice
	notice  *bool                                      // whether to add the notice, when set: a search's (searchNotice)
	view    func(v *store.Version, body []byte) []byte // _elements, _summary=data; nil: whole
}

// bundleEntry is one entry's JSON in pieces: the resource body is the
// stored bytes, not a copy; json() copies each piece once.
type bundleEntry struct{ head, body, tail []byte }

func (e *bundleEntry) size() int { return len(e.head) + len(e.body) + len(e.tail) }

func newBundle(typ, base string, x *Exchange) *bundleOut {
	return &bundleOut{typ: typ, base: base, x: x}
}

func (b *bundleOut) body(v *store.Version) []byte {
	body := v.Raw
	if b.x != nil {
		body = b.x.body(v)
	}
	if b.view != nil {
		body = b.view(v, body)
	}
	return body
}

// confidentialNotice is UK Core's generic notice: it says that something
// was withheld, never what or how much.
var confidentialNotice = []byte(`{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"suppressed","details":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-ListWarningCode","code":"confidential-items","display":"Items excluded due to confidentiality and/or patient preferences"}]}}]},"search":{"mode":"outcome"}}`)

func jsonString(s string) []byte { return appendJSONString(nil, s) }

// appendJSONString appends s as a JSON string: quoted directly when nothing
// in it needs escaping (ids, URLs, codes), else as encoding/json writes it.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func (b *bundleOut) fullURL(v *store.Version) string { return b.base + "/" + v.Type + "/" + v.ID }

func (b *bundleOut) add(v *store.Version, mode string) {
	head := make([]byte, 0, len(b.base)+len(v.Type)+len(v.ID)+32)
	head = append(head, `{"fullUrl":`...)
	head = appendJSONString(head, b.fullURL(v))
	head = append(head, `,"resource":`...)
	tail := searchTails[mode]
	if tail == nil {
		tail = append(appendJSONString([]byte(`,"search":{"mode":`), mode), `}}`...)
	}
	b.entries = append(b.entries, bundleEntry{head: head, body: b.body(v), tail: tail})
}

var searchTails = map[string][]byte{
	"match":   []byte(`,"search":{"mode":"match"}}`),
	"include": []byte(`,"search":{"mode":"include"}}`),
}

func (b *bundleOut) addHistory(v *store.Version) {
	var e bytes.Buffer
	e.WriteString(`{"fullUrl":`)
	e.Write(jsonString(b.fullURL(v)))
	method, status, url := "PUT", "200 OK", v.Type+"/"+v.ID
	switch {
	case v.Deleted:
		method, status = "DELETE", "204 No Content"
	case v.VersionID == 1:
		method, status, url = "POST", "201 Created", v.Type
	}
	if !v.Deleted {
		e.WriteString(`,"resource":`)
		e.Write(b.body(v))
	}
	e.WriteString(`,"request":{"method":"` + method + `","url":`)
	e.Write(jsonString(url))
	e.WriteString(`},"response":{"status":"` + status + `","etag":"W/\"` + strconv.FormatInt(v.VersionID, 10) + `\"","lastModified":`)
	e.Write(jsonString(v.LastUpdated.UTC().Format(time.RFC3339Nano)))
	e.WriteString(`}}`)
	b.entries = append(b.entries, bundleEntry{body: e.Bytes()})
}

// addRaw appends an entry that is already JSON (transaction responses).
func (b *bundleOut) addRaw(entry []byte) { b.entries = append(b.entries, bundleEntry{body: entry}) }

// pageLinks adds self/first/previous/next links for offset paging.
func (b *bundleOut) pageLinks(path string, q url.Values, count, offset, total int) {
	link := func(off int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("_count", strconv.Itoa(count))
		if off > 0 {
			v.Set("_offset", strconv.Itoa(off))
		}
		return path + "?" + v.Encode()
	}
	b.links = append(b.links, [2]string{"self", link(offset)}, [2]string{"first", link(0)})
	if offset > 0 && count > 0 {
		b.links = append(b.links, [2]string{"previous", link(max(0, offset-count))})
	}
	if count > 0 && offset < total-count { // (offset+count overflowed for a huge _offset: review 22e)
		b.links = append(b.links, [2]string{"next", link(offset + count)})
	}
}

func (b *bundleOut) json() []byte {
	if b.x != nil && b.total != nil {
		b.x.counted = *b.total // told, if not sent (the entry's decision)
	}
	size := 512
	for i := range b.entries {
		size += b.entries[i].size() + 1
	}
	for _, l := range b.links {
		size += len(l[0]) + len(l[1]) + 32
	}
	out := bytes.NewBuffer(make([]byte, 0, size+len(confidentialNotice)))
	out.WriteString(`{"resourceType":"Bundle","id":"`)
	out.WriteString(uuid.NewString())
	out.WriteString(`","meta":{"lastUpdated":`)
	out.Write(jsonString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")))
	out.WriteString(`},"type":`)
	out.Write(jsonString(b.typ))
	if b.total != nil {
		out.WriteString(`,"total":`)
		out.WriteString(strconv.Itoa(*b.total))
	}
	if len(b.links) > 0 {
		out.WriteString(`,"link":[`)
		for i, l := range b.links {
			if i > 0 {
				out.WriteByte(',')
			}
			out.WriteString(`{"relation":`)
			out.Write(jsonString(l[0]))
			out.WriteString(`,"url":`)
			out.Write(jsonString(l[1]))
			out.WriteByte('}')
		}
		out.WriteByte(']')
	}
	entries := b.entries
	if b.notice != nil && *b.notice || b.notice == nil && b.x != nil && b.x.Withheld > 0 {
		entries = append(entries[:len(entries):len(entries)], bundleEntry{body: confidentialNotice})
	}
	if len(entries) > 0 {
		out.WriteString(`,"entry":[`)
		for i, e := range entries {
			if i > 0 {
				out.WriteByte(',')
			}
			out.Write(e.head)
			out.Write(e.body)
			out.Write(e.tail)
		}
		out.WriteByte(']')
	}
	out.WriteByte('}')
	return out.Bytes()
}
