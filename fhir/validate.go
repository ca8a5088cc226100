package fhir

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	m "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Resource is one parsed, validated resource.
type Resource struct {
	Type string
	ID   string // "" when absent
	// Raw is the exact bytes given to Parse (the same slice, not a copy, and
	// never re-serialised from a typed model). Callers must not modify it.
	Raw []byte
	// Map is Raw decoded as by encoding/json with UseNumber (json.Number for numbers).
	Map map[string]any
	// Refs are Raw's references in document order (see Ref).
	Refs []Ref
	// Links are, likewise, the values of Raw's members that may link to
	// another resource as a uri (IsLinkKey), and the strings of such
	// members' lists: an attachment's url, an extension's valueUri, a care
	// plan's instantiatesCanonical.
	Links []Ref
	// Narratives are, likewise, Raw's narratives (the string value of each
	// member named "div", Narrative.div), whose href and src attributes
	// may link to another resource.
	Narratives []Ref
}

// maxIssues bounds how many issues one Parse reports.
const maxIssues = 50

// Parse checks JSON syntax (UTF-8, no duplicate keys), the resourceType, and
// validates the resource strictly against the R4 model: unknown elements,
// JSON kinds, empty values, the formats of primitive types (date, dateTime,
// instant, time, base64Binary, positiveInt, unsignedInt, id, oid, uuid,
// uri/url/canonical, code; see primitive.go), required elements, code
// bindings of required value sets, resource ids, contained/embedded
// resources and NHS numbers.
//
// Errors: ErrMalformed (wrapped) for bad JSON / not an object / no
// resourceType string; ErrUnknownType (wrapped) for a resourceType that is
// not R4; ValidationErrors (errors.Is ErrInvalid) otherwise.
func Parse(body []byte) (*Resource, error) {
	v, p, err := decodeParser(body)
	if err != nil {
		return nil, err
	}
	dups := p.dups
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("not a JSON object")
	}
	rtv, present := obj["resourceType"]
	rt, ok := rtv.(string)
	if !ok {
		if present {
			return nil, malformed("resourceType is not a string")
		}
		return nil, malformed("missing resourceType")
	}
	if !IsResourceType(rt) {
		return nil, &wrapErr{ErrUnknownType, fmt.Sprintf("%q is not an R4 resource type", rt)}
	}
	w := &walker{root: rt, path: make([]pathSeg, 0, 16)}
	for _, d := range dups {
		w.issues = append(w.issues, &ValidationError{Path: formatPath(rt, d), Msg: "duplicate JSON key"})
	}
	if esc := loneSurrogate(body); esc != "" {
		// (review 75b: decoded as U+FFFD, so stored and indexed apart)
		w.issues = append(w.issues, &ValidationError{Path: rt, Msg: fmt.Sprintf("a string holds %s, half of a UTF-16 surrogate pair without its other half: no Unicode character; send the character it was meant to be", esc)})
	}
	w.resource(obj, false)
	if len(w.issues) > 0 {
		sort.SliceStable(w.issues, func(i, j int) bool { return w.issues[i].Path < w.issues[j].Path })
		return nil, w.issues
	}
	id, _ := obj["id"].(string)
	return &Resource{Type: rt, ID: id, Raw: body, Map: obj, Refs: p.refs, Links: p.uris, Narratives: p.divs}, nil
}

// controlMsg is why string s is not an R4 string, when it holds a
// control character (R4: "SHALL NOT contain Unicode character points
// below 32, except for u0009 (horizontal tab), u000D (carriage return)
// and u000A (line feed)"; review 75b: U+0000 was stored as sent).
func controlMsg(s string) string {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' {
			return fmt.Sprintf("holds the control character U+%04X: R4 strings hold none but tab, carriage return and line feed", r)
		}
	}
	return ""
}

// loneSurrogate is the first \u escape in JSON text raw that is half of a
// UTF-16 surrogate pair without its other half, or "".
func loneSurrogate(raw []byte) string {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // another escape (\\, \"): its second byte is no escape's start
			continue
		}
		switch {
		case 0xD800 <= r && r <= 0xDBFF:
			if lo, ok := hex4(i + 6); ok && 0xDC00 <= lo && lo <= 0xDFFF {
				i += 11
				continue
			}
			return string(raw[i : i+6])
		case 0xDC00 <= r && r <= 0xDFFF:
			return string(raw[i : i+6])
		}
		i += 5
	}
	return ""
}

// badRelativeID reports whether ref is a relative literal reference
// (Type/id, or Type/id/_history/vid) whose id or version is not a FHIR id.
func badRelativeID(ref string) bool {
	if strings.ContainsAny(ref, ":?#") {
		return false // absolute, a search, or contained: read elsewhere
	}
	ref, _, _ = strings.Cut(ref, "|") // (a canonical-style version: read as Type/id, as the index reads it)
	seg := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if len(seg) != 2 && (len(seg) != 4 || seg[2] != "_history") || !IsResourceType(seg[0]) {
		return false
	}
	return !ValidID(seg[1]) || len(seg) == 4 && !ValidID(seg[3])
}

// ValidID reports whether s is a valid FHIR id ([A-Za-z0-9\-\.]{1,64}).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

type walker struct {
	root        string
	path        []pathSeg
	issues      ValidationErrors
	inContained bool
}

var extensionField = &fieldInfo{name: "extension", kind: kStruct, slice: true, elem: reflect.TypeFor[m.Extension]()}

func (w *walker) add(msg string) {
	if len(w.issues) < maxIssues {
		w.issues = append(w.issues, &ValidationError{Path: formatPath(w.root, w.path), Msg: msg})
	}
}

func (w *walker) addAt(key, msg string) {
	w.push(key)
	w.add(msg)
	w.pop()
}

// addUnknown is addAt for an unknown element k, noting which end of the
// path names it.
func (w *walker) addUnknown(key, msg string) {
	if len(w.issues) >= maxIssues {
		return
	}
	parent := formatPath(w.root, w.path)
	w.addAt(key, msg)
	if e := w.issues[len(w.issues)-1]; strings.HasPrefix(e.Path, parent) {
		e.Unknown = e.Path[len(parent):]
	}
}

func (w *walker) push(key string) { w.path = append(w.path, pathSeg{key: key, idx: -1}) }
func (w *walker) pushIdx(i int)   { w.path = append(w.path, pathSeg{idx: i}) }
func (w *walker) pop()            { w.path = w.path[:len(w.path)-1] }

// resource validates obj as a resource; the caller has pushed its path.
func (w *walker) resource(obj map[string]any, contained bool) {
	rtv, present := obj["resourceType"]
	rt, ok := rtv.(string)
	if !ok {
		if present {
			w.addAt("resourceType", "resourceType must be a string")
		} else {
			w.addAt("resourceType", "required element missing")
		}
		return
	}
	t, ok := resourceModels[rt]
	if !ok {
		w.addAt("resourceType", fmt.Sprintf("%q is not an R4 resource type", rt))
		return
	}
	if idv, ok := obj["id"].(string); ok && !ValidID(idv) {
		w.addAt("id", fmt.Sprintf("invalid resource id %q (must match [A-Za-z0-9\\-\\.]{1,64})", idv))
	}
	saved := w.inContained
	w.inContained = contained
	si := getStruct(t)
	w.object(obj, si)
	if rt == "Bundle" {
		w.bundleOutcomes(obj)
	}
	if contained {
		if meta, ok := obj["meta"].(map[string]any); ok {
			for _, k := range [...]string{"versionId", "lastUpdated"} {
				if _, ok := meta[k]; ok {
					w.push("meta")
					w.addAt(k, "a contained resource shall not have meta."+k+" (dom-4)")
					w.pop()
				}
			}
		}
	}
	w.inContained = saved
}

func (w *walker) object(obj map[string]any, si *structInfo) {
	if len(obj) == 0 {
		w.add("empty object not allowed")
		return
	}
	for k, v := range obj {
		if k == "resourceType" && si.resource {
			continue // checked by resource()
		}
		fi := si.fields[k]
		if fi == nil {
			if k == "contained" && si.resource {
				w.push(k)
				w.contained(v, si)
				w.pop()
				continue
			}
			if k == "fhir_comments" {
				w.push(k)
				w.comments(v)
				w.pop()
				continue
			}
			if len(k) > 1 && k[0] == '_' {
				if base := si.fields[k[1:]]; base != nil && base.kind.isPrimitive() {
					w.push(k)
					w.primitiveExt(v, base, obj[k[1:]])
					w.pop()
					continue
				}
			}
			w.addUnknown(k, "unknown element for "+si.name)
			continue
		}
		w.push(k)
		w.field(v, fi, obj)
		w.pop()
	}
	for _, fi := range si.required {
		if _, ok := obj[fi.name]; ok {
			continue
		}
		if fi.kind.isPrimitive() {
			if _, ok := obj["_"+fi.name]; ok {
				continue
			}
		}
		w.addAt(fi.name, "required element missing")
	}
	for _, g := range si.choices {
		n := 0
		for _, fi := range g.members {
			if _, ok := obj[fi.name]; ok {
				n++
			} else if fi.kind.isPrimitive() {
				if _, ok := obj["_"+fi.name]; ok {
					n++
				}
			}
		}
		switch {
		case n == 0:
			w.addAt(g.prefix+"[x]", "required element missing")
		case n > 1:
			w.addAt(g.prefix+"[x]", "only one of the "+g.prefix+"[x] choices may be present")
		}
	}
	switch si.name {
	case "Reference":
		if ref, ok := obj["reference"].(string); ok && EncodedTypeID(ref) {
			w.addAt("reference", encodedMsg(ref))
		} else if ok && badRelativeID(ref) {
			// (review 48c: Patient/jane_x, or jane and a NUL, was stored
			// and filed under no one: the system's diagnosis for Jane
			// silently missing from her record)
			w.addAt("reference", fmt.Sprintf("%q names a resource by an id that is not a FHIR id ([A-Za-z0-9\\-\\.]{1,64}): write the id as the resource has it", ref))
		}
	case "Coding":
		if sys, ok := obj["system"].(string); ok && strings.Contains(sys, "|") {
			// carex keeps codes as system|code: "http://snomed.info/sct|20240101"
			// split there, and an HIV diagnosis so coded went unlabelled
			// (review 51f)
			w.addAt("system", fmt.Sprintf("%q holds a '|': write the code system's version in Coding.version, not in its system", sys))
		}
	case "Attachment":
		if url, ok := obj["url"].(string); ok && EncodedTypeID(url) {
			w.addAt("url", encodedMsg(url))
		}
	}
	// uri values are read for the items they name as references are (the
	// release masks them), so they are refused alike.
	for _, k := range URIValueKeys {
		if v, ok := obj[k].(string); ok && EncodedTypeID(v) {
			w.addAt(k, encodedMsg(v))
		}
	}
	if si.ident {
		if sys, _ := obj["system"].(string); IsNHSNumberSystem(sys) { // any form of it (review 38c)
			if val, ok := obj["value"].(string); ok {
				if _, err := NormaliseNHSNumber(val); err != nil {
					w.addAt("value", err.Error())
				}
			}
		}
	}
}

// bundleOutcomes refuses a resource other than an OperationOutcome (with
// nothing contained) in a Bundle entry's response.outcome: carex reads whom a Bundle's entries are about, and how
// sensitive they are, from entry.resource, and a copy of a withheld
// diagnosis kept as an outcome went to anyone who could read the Bundle
// (review 60a).
func (w *walker) bundleOutcomes(obj map[string]any) {
	entries, _ := obj["entry"].([]any)
	for i, e := range entries {
		em, _ := e.(map[string]any)
		resp, _ := em["response"].(map[string]any)
		out, ok := resp["outcome"]
		if o, _ := out.(map[string]any); !ok || o["resourceType"] == "OperationOutcome" && o["contained"] == nil {
			continue // (an OperationOutcome, as R4 means it: a batch entry's warnings)
		}
		w.push("entry")
		w.pushIdx(i)
		w.push("response")
		w.addAt("outcome", "carex takes only an OperationOutcome, with nothing contained, as a Bundle entry's response.outcome (whom another resource there is about, and how sensitive it is, are not read): leave it out, or store the resource as an entry's resource")
		w.pop()
		w.pop()
		w.pop()
	}
}

func (w *walker) contained(v any, si *structInfo) {
	if !si.domain {
		w.add(si.name + " is not a DomainResource and cannot have contained resources")
		return
	}
	if w.inContained {
		w.add("contained resources shall not contain resources (dom-2)")
		return
	}
	arr, ok := v.([]any)
	if !ok {
		w.add("must be an array")
		return
	}
	if len(arr) == 0 {
		w.add("empty array not allowed")
	}
	for i, e := range arr {
		w.pushIdx(i)
		if o, ok := e.(map[string]any); ok {
			w.resource(o, true)
		} else {
			w.add("contained resource must be an object")
		}
		w.pop()
	}
}

func (w *walker) field(v any, fi *fieldInfo, parent map[string]any) {
	if !fi.slice {
		if v == nil {
			w.add("null not allowed")
			return
		}
		w.value(v, fi)
		return
	}
	arr, ok := v.([]any)
	if !ok {
		w.add("must be an array")
		return
	}
	if len(arr) == 0 {
		w.add("empty array not allowed")
		return
	}
	var ext []any
	for i, e := range arr {
		w.pushIdx(i)
		if e == nil {
			// A null is only allowed as a placeholder in a primitive array
			// whose _name sibling carries an extension at the same index.
			if fi.kind.isPrimitive() && ext == nil {
				ext, _ = parent["_"+fi.name].([]any)
			}
			if i >= len(ext) || ext[i] == nil {
				w.add("null not allowed")
			}
		} else {
			w.value(e, fi)
		}
		w.pop()
	}
}

func (w *walker) value(v any, fi *fieldInfo) {
	switch fi.kind {
	case kString:
		s, ok := v.(string)
		if !ok {
			w.add("must be a string")
		} else if s == "" {
			w.add("empty string not allowed")
		} else if msg := controlMsg(s); msg != "" {
			w.add(msg)
		} else if fi.prim != pNone {
			if msg := primitiveMsg(fi.prim, s); msg != "" {
				w.add(msg)
			}
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			w.add("must be a boolean")
		}
	case kInt:
		n, ok := v.(json.Number)
		if !ok {
			w.add("must be an integer number")
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 32)
		if err != nil {
			w.add(fmt.Sprintf("%q is not a 32-bit integer", string(n)))
		} else if fi.prim != pNone {
			if msg := intMsg(fi.prim, i); msg != "" {
				w.add(msg)
			}
		}
	case kNumber:
		if _, ok := v.(json.Number); !ok {
			w.add("must be a number")
		}
	case kEnum:
		s, ok := v.(string)
		switch {
		case !ok:
			w.add("must be a string (code)")
		case s == "":
			w.add("empty string not allowed")
		case !validEnum(fi.elem, s):
			w.add(fmt.Sprintf("unknown code %q for %s", s, fi.elem.Name()))
		}
	case kStruct:
		o, ok := v.(map[string]any)
		if !ok {
			w.add("must be an object")
			return
		}
		w.object(o, getStruct(fi.elem))
	case kResource:
		o, ok := v.(map[string]any)
		if !ok {
			w.add("must be a resource (JSON object)")
			return
		}
		w.resource(o, false)
	}
}

// primitiveExt validates a _name sibling carrying a primitive's id/extension.
func (w *walker) primitiveExt(v any, base *fieldInfo, prim any) {
	if !base.slice {
		w.elementExt(v)
		return
	}
	arr, ok := v.([]any)
	if !ok {
		w.add("must be an array")
		return
	}
	if len(arr) == 0 {
		w.add("empty array not allowed")
		return
	}
	if pa, ok := prim.([]any); ok && len(pa) != len(arr) {
		w.add(fmt.Sprintf("has %d entries but %s has %d", len(arr), base.name, len(pa)))
	}
	for i, e := range arr {
		if e == nil {
			continue
		}
		w.pushIdx(i)
		w.elementExt(e)
		w.pop()
	}
}

func (w *walker) elementExt(v any) {
	o, ok := v.(map[string]any)
	if !ok {
		w.add("must be an object")
		return
	}
	if len(o) == 0 {
		w.add("empty object not allowed")
		return
	}
	for k, e := range o {
		switch k {
		case "id":
			if s, ok := e.(string); !ok || s == "" {
				w.addAt(k, "must be a non-empty string")
			} else if msg := controlMsg(s); msg != "" {
				w.addAt(k, msg) // (review 76a)
			}
		case "extension":
			w.push(k)
			w.field(e, extensionField, o)
			w.pop()
		case "fhir_comments":
			w.push(k)
			w.comments(e)
			w.pop()
		default:
			w.addUnknown(k, "unknown element (only id and extension are allowed here)")
		}
	}
}

// comments validates a legacy "fhir_comments" property (an array of
// strings). It is not part of R4 JSON, but the R4 and UK Core example
// generators still emit it and HAPI and the HL7 validator accept it, so it
// is tolerated on any element.
func (w *walker) comments(v any) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		w.add("fhir_comments must be a non-empty array of strings")
		return
	}
	for i, e := range arr {
		if s, ok := e.(string); !ok || s == "" {
			w.pushIdx(i)
			w.add("must be a non-empty string")
			w.pop()
		} else if msg := controlMsg(s); msg != "" {
			w.pushIdx(i)
			w.add(msg) // (review 76a)
			w.pop()
		}
	}
}

// EncodedTypeID reports whether a literal reference (or an attachment's
// url) writes the resource type or id it names percent-encoded
// (Condition/h%69v, Binary/%68ivbin, Condition%2Fhiv): decoded, what comes
// before any query, fragment or canonical "|version" ends in Type/id or
// Type/id/_history/vid of an R4 type. A FHIR id ([A-Za-z0-9-.]) never needs
// encoding, and a client fetching such a reference gets the decoded item,
// while carex's masking, search index, Consents and access log read
// references as written: such references are refused on write (review
// 16a). An escape elsewhere (a query, a file name with a space on another
// server) is not this.
func EncodedTypeID(ref string) bool {
	if i := strings.IndexAny(ref, "?#|"); i >= 0 {
		ref = ref[:i]
	}
	if !strings.Contains(ref, "%") {
		return false
	}
	dec, err := url.PathUnescape(ref)
	if err != nil {
		dec = ref
	}
	segs := strings.Split(strings.TrimRight(dec, "/"), "/")
	if n := len(segs); n >= 4 && segs[n-2] == "_history" {
		segs = segs[:n-2]
	}
	n := len(segs)
	return n >= 2 && IsResourceType(segs[n-2])
}

// URIValueKeys are the uri-typed choice values that may name an item of
// this server as a reference does (an extension's valueUri "Binary/x"):
// refused here when percent-encoded, masked by the release when withheld.
var URIValueKeys = []string{"valueUri", "valueUrl", "valueCanonical"}

// uriElementKeys are uri-typed elements (canonical and uri), single or
// lists, that name another resource by what a transaction's entry may be
// known by: a care plan's or a task's instantiatesCanonical and
// instantiatesUri, a questionnaire response's questionnaire, and
// meta.source (review 18d: a transaction left the entry's urn:uuid in
// them, naming nothing once stored).
var uriElementKeys = []string{"instantiatesCanonical", "instantiatesUri", "questionnaire", "source"}

// IsLinkKey reports whether a member named key holds, where it is a
// string or a list of strings, a uri or url that may link to another
// resource as a reference does: an attachment's url (Attachment.url; also
// an extension's own url, which names a definition), the uri-typed choice
// values and uriElementKeys. A transaction replaces an entry's fullUrl in
// them as in references (FHIR: "elements of type uri, url, oid, uuid",
// canonical being a uri).
func IsLinkKey(key string) bool {
	return key == "url" || key == "valueOid" || key == "valueUuid" || slices.Contains(URIValueKeys, key) || slices.Contains(uriElementKeys, key)
}

func encodedMsg(ref string) string {
	return fmt.Sprintf("%q writes the type or id it names percent-encoded: FHIR ids never need it; write the reference as Type/id", ref)
}
