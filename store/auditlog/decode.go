package auditlog

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Decode parses a canonical encoding. Entries as carex writes them (keys in
// wireEntry's order, no whitespace) are read by decodeCanonical, without
// encoding/json's reflection (IG queries and reports decode every entry
// they show: it was most of their CPU); anything else, and anything that
// path is not sure of, goes through encoding/json as before, and both give
// the same Entry (TestDecodeCanonicalAgrees, FuzzDecodeCanonical).
func Decode(b []byte) (*Entry, error) {
	if e, ok := decodeCanonical(b); ok {
		return e, nil
	}
	return decodeJSON(b)
}

// decodeJSON is Decode through encoding/json.
func decodeJSON(b []byte) (*Entry, error) {
	var w wireEntry
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	return w.entry(), nil
}

func (w *wireEntry) entry() *Entry {
	return &Entry{
		Seq: w.Seq, Time: time.UnixMilli(w.TS).UTC(),
		RequestID: w.RequestID, Sub: w.Sub, Name: w.Name, Role: w.Role, Org: w.Org, Sector: w.Sector,
		Purpose: w.Purpose, BreakGlass: w.BreakGlass, Client: w.Client, Operation: w.Operation,
		Method: w.Method, Path: w.Path, ResourceType: w.ResourceType, ResourceID: w.ResourceID,
		Patient: w.Patient, NHSNumber: w.NHSNumber, Patients: w.Patients, Released: w.Released, Withheld: w.Withheld,
		Decision: w.Decision, Reasons: w.Reasons, Status: w.Status, Restricted: w.Restricted, Kept: w.Kept,
		Issuer: w.Issuer, Claimed: w.Claimed,
	}
}

// wireKeys are wireEntry's keys after seq and ts, in its order
// (decodeCanonical's switch reads each by its index here).
var wireKeys = [...]string{"request_id", "sub", "name", "role", "org", "sector", "purpose", "break_glass",
	"client", "op", "method", "path", "type", "id", "patient", "nhs_number", "patients", "released",
	"withheld", "decision", "reasons", "status", "restricted", "kept", "iss", "claimed"}

// decodeCanonical reads b when it is a JSON object of wireEntry's keys,
// each at most once and in its order, seq and ts first, with no
// whitespace; ok is false for anything else (then encoding/json decides).
// What it accepts, encoding/json decodes alike: exact keys, no
// duplicates, values of the field's type; strings with escapes or invalid
// UTF-8 are handed to encoding/json one by one.
func decodeCanonical(b []byte) (e *Entry, ok bool) {
	var w wireEntry
	// One copy of the bytes as a string: every plain string value is a
	// slice of it (one allocation, not one per field).
	d := canonDecoder{b: b, s: string(b)}
	if !d.lit(`{"seq":`) || !d.int64(&w.Seq) || !d.lit(`,"ts":`) || !d.int64(&w.TS) {
		return nil, false
	}
	next := 0 // the first of wireKeys that may come
	for {
		if d.lit("}") {
			return w.entry(), d.i == len(d.b)
		}
		if !d.lit(`,"`) {
			return nil, false
		}
		start := d.i
		for d.i < len(d.b) && d.b[d.i] != '"' && d.b[d.i] != '\\' {
			d.i++
		}
		key := d.b[start:d.i]
		if !d.lit(`":`) {
			return nil, false
		}
		k := next
		for k < len(wireKeys) && wireKeys[k] != string(key) {
			k++
		}
		next = k + 1
		var good bool
		switch k {
		case 0:
			good = d.str(&w.RequestID)
		case 1:
			good = d.str(&w.Sub)
		case 2:
			good = d.str(&w.Name)
		case 3:
			good = d.str(&w.Role)
		case 4:
			good = d.str(&w.Org)
		case 5:
			good = d.str(&w.Sector)
		case 6:
			good = d.str(&w.Purpose)
		case 7:
			good = d.str(&w.BreakGlass)
		case 8:
			good = d.str(&w.Client)
		case 9:
			good = d.str(&w.Operation)
		case 10:
			good = d.str(&w.Method)
		case 11:
			good = d.str(&w.Path)
		case 12:
			good = d.str(&w.ResourceType)
		case 13:
			good = d.str(&w.ResourceID)
		case 14:
			good = d.str(&w.Patient)
		case 15:
			good = d.str(&w.NHSNumber)
		case 16:
			good = d.strs(&w.Patients)
		case 17:
			good = d.strs(&w.Released)
		case 18:
			good = d.int(&w.Withheld)
		case 19:
			good = d.str(&w.Decision)
		case 20:
			good = d.strs(&w.Reasons)
		case 21:
			good = d.int(&w.Status)
		case 22:
			good = d.strs(&w.Restricted)
		case 23:
			good = d.strs(&w.Kept)
		case 24:
			good = d.str(&w.Issuer)
		case 25:
			good = d.strs(&w.Claimed)
		}
		if !good {
			return nil, false
		}
	}
}

type canonDecoder struct {
	b []byte
	s string // b as a string
	i int
}

// lit consumes s if b continues with it.
func (d *canonDecoder) lit(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// int64 reads a JSON integer: -?(0|[1-9][0-9]*), at most 18 digits (no
// overflow), followed by ',' or '}'.
func (d *canonDecoder) int64(v *int64) bool {
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	k := j
	for k < len(d.b) && d.b[k] >= '0' && d.b[k] <= '9' {
		k++
	}
	if k == j || k-j > 18 || (d.b[j] == '0' && k-j > 1) || k == len(d.b) || (d.b[k] != ',' && d.b[k] != '}') {
		return false
	}
	n, err := strconv.ParseInt(string(d.b[d.i:k]), 10, 64)
	if err != nil {
		return false
	}
	*v, d.i = n, k
	return true
}

// int is int64 for an int field (whose range may be smaller).
func (d *canonDecoder) int(v *int) bool {
	var n int64
	if !d.int64(&n) || int64(int(n)) != n {
		return false
	}
	*v = int(n)
	return true
}

// str reads a JSON string. One without escapes, control characters or
// invalid UTF-8 is its bytes; any other goes through encoding/json.
func (d *canonDecoder) str(v *string) bool {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	j, plain := d.i+1, true
	for ; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			j++ // the escaped character: never the closing quote
		} else if c < 0x20 {
			return false
		} else if c >= utf8.RuneSelf {
			plain = false
		}
	}
	if j >= len(d.b) {
		return false
	}
	if plain {
		*v = d.s[d.i+1 : j]
	} else if s := d.b[d.i+1 : j]; !hasEscape(s) && utf8.Valid(s) {
		*v = d.s[d.i+1 : j]
	} else if err := json.Unmarshal(d.b[d.i:j+1], v); err != nil {
		return false
	}
	d.i = j + 1
	return true
}

func hasEscape(s []byte) bool {
	for _, c := range s {
		if c == '\\' {
			return true
		}
	}
	return false
}

// strs reads a JSON array of strings ([] is an empty, non-nil slice, as
// encoding/json gives).
func (d *canonDecoder) strs(v *[]string) bool {
	if !d.lit("[") {
		return false
	}
	out := make([]string, 0, 4)
	if !d.lit("]") {
		for {
			var s string
			if !d.str(&s) {
				return false
			}
			out = append(out, s)
			if d.lit("]") {
				break
			}
			if !d.lit(",") {
				return false
			}
		}
	}
	*v = out
	return true
}
