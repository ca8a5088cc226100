package fhir

import (
	"fmt"
	"sort"
	"time"
	"unicode/utf8"
)

// LastUpdatedLayout is how SetMeta writes meta.lastUpdated (always UTC, milliseconds).
const LastUpdatedLayout = "2006-01-02T15:04:05.000Z07:00"

type edit struct {
	start, end int
	text       string
}

// SetMeta returns a copy of raw with the top-level "id", "meta.versionId" and
// "meta.lastUpdated" set (lastUpdated converted to UTC, e.g.
// 2026-11-24T10:00:00.123Z). Every other byte is kept as it was: other keys and
// values (numbers as written, other meta keys such as security, tag, profile,
// source), key order and whitespace. Existing values are replaced in place;
// absent keys are inserted right after resourceType (id, then meta), and
// absent meta keys at the start of meta.
//
// raw must be a JSON object with a resourceType (else ErrMalformed); id and
// versionID must be valid FHIR ids (else ErrInvalid).
func SetMeta(raw []byte, id, versionID string, lastUpdated time.Time) ([]byte, error) {
	if !ValidID(id) {
		return nil, &ValidationError{Path: "id", Msg: fmt.Sprintf("invalid resource id %q", id)}
	}
	if !ValidID(versionID) {
		return nil, &ValidationError{Path: "meta.versionId", Msg: fmt.Sprintf("invalid version id %q", versionID)}
	}
	if !utf8.Valid(raw) {
		return nil, malformed("invalid UTF-8")
	}
	members, _, end, err := scanObject(raw, 0)
	if err != nil {
		return nil, err
	}
	for _, c := range raw[end+1:] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, malformed("unexpected data after top-level value")
		}
	}
	rtIdx, idIdx, metaIdx := -1, -1, -1
	for i, mb := range members {
		var p *int
		switch mb.key {
		case "resourceType":
			p = &rtIdx
		case "id":
			p = &idIdx
		case "meta":
			p = &metaIdx
		default:
			continue
		}
		if *p >= 0 {
			return nil, &ValidationError{Path: mb.key, Msg: "duplicate JSON key"}
		}
		*p = i
	}
	if rtIdx < 0 || raw[members[rtIdx].valStart] != '"' {
		return nil, malformed("missing resourceType")
	}
	idJSON := `"` + id + `"`
	vidJSON := `"` + versionID + `"`
	luJSON := `"` + lastUpdated.UTC().Format(LastUpdatedLayout) + `"`

	var edits []edit
	insert := ""
	if idIdx >= 0 {
		edits = append(edits, edit{members[idIdx].valStart, members[idIdx].valEnd, idJSON})
	} else {
		insert += `,"id":` + idJSON
	}
	if metaIdx >= 0 {
		ms := members[metaIdx].valStart
		if raw[ms] != '{' {
			return nil, &ValidationError{Path: "meta", Msg: "must be an object"}
		}
		mm, open, _, err := scanObject(raw, ms)
		if err != nil {
			return nil, err
		}
		vi, li := -1, -1
		for i, mb := range mm {
			switch mb.key {
			case "versionId":
				if vi >= 0 {
					return nil, &ValidationError{Path: "meta.versionId", Msg: "duplicate JSON key"}
				}
				vi = i
			case "lastUpdated":
				if li >= 0 {
					return nil, &ValidationError{Path: "meta.lastUpdated", Msg: "duplicate JSON key"}
				}
				li = i
			}
		}
		var add string
		if vi >= 0 {
			edits = append(edits, edit{mm[vi].valStart, mm[vi].valEnd, vidJSON})
		} else {
			add = `"versionId":` + vidJSON
		}
		if li >= 0 {
			edits = append(edits, edit{mm[li].valStart, mm[li].valEnd, luJSON})
		} else {
			if add != "" {
				add += ","
			}
			add += `"lastUpdated":` + luJSON
		}
		if add != "" {
			if len(mm) > 0 {
				add += ","
			}
			edits = append(edits, edit{open + 1, open + 1, add})
		}
	} else {
		insert += `,"meta":{"versionId":` + vidJSON + `,"lastUpdated":` + luJSON + `}`
	}
	if insert != "" {
		p := members[rtIdx].valEnd
		edits = append(edits, edit{p, p, insert})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	n := len(raw)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, e := range edits {
		out = append(out, raw[pos:e.start]...)
		out = append(out, e.text...)
		pos = e.end
	}
	out = append(out, raw[pos:]...)
	return out, nil
}
