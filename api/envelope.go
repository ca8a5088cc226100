package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/carex-project/carex/fhir"
)

// checkEnvelopeKeys refuses what encoding/json lets through in a Bundle's
// envelope, which decodeBundle has already decoded (so body is valid
// JSON): a key in another case ("Type", which encoding/json matches to
// "type") and a key given twice (encoding/json keeps the last, other
// tools the first: one Bundle could then run here as a transaction and
// elsewhere as a batch). It reads the Bundle, its entries and their
// requests; resources are checked on their own, entry by entry. A byte
// scanner, not json.Decoder's tokens: this runs on every import bundle,
// and tokens cost as much as decoding the whole body again.
func checkEnvelopeKeys(body []byte) error {
	s := &envScan{b: body}
	return s.object("Bundle", envelopeKeys.bundle)
}

type envScan struct {
	b []byte
	i int
}

func (s *envScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next non-space byte, 0 at the end.
func (s *envScan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads the string at s.i (its opening quote) and returns its text,
// unescaped only where it has escapes (a key is compared without copying).
func (s *envScan) str() []byte {
	start := s.i + 1
	s.skipStr()
	raw := s.b[start:max(start, s.i-1)]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var v string
	json.Unmarshal(s.b[start-1:s.i], &v)
	return []byte(v)
}

// skipStr passes over the string at s.i: to the next quote not escaped.
func (s *envScan) skipStr() {
	s.i++
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			s.i = len(s.b)
			return
		}
		s.i += j + 1
		n := 0
		for k := s.i - 2; k >= 0 && s.b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return
		}
	}
}

// skip passes over one value.
func (s *envScan) skip() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.skipStr()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return
			}
			if depth--; depth == 0 {
				s.i++
				return
			}
		case ',':
			if depth == 0 {
				return
			}
		}
		s.i++
	}
}

// object checks the keys of the object at s.i (or a null) against keys,
// descending into entries and requests.
func (s *envScan) object(where string, keys map[string]uint64) error {
	if s.peek() != '{' {
		s.skip()
		return nil
	}
	s.i++
	var seen uint64
	for s.peek() == '"' {
		k := s.str()
		bit, ok := keys[string(k)]
		switch {
		case !ok:
			return fmtErr(fhir.ErrInvalid, "%s: unknown element %q (FHIR's JSON names are case-sensitive)", where, k)
		case seen&bit != 0:
			return fmtErr(fhir.ErrInvalid, "%s.%s: duplicate JSON key", where, k)
		}
		seen |= bit
		key := string(k)
		s.peek()
		s.i++ // :
		switch {
		case where == "Bundle" && key == "entry" && s.peek() == '[':
			s.i++
			for n := 0; s.peek() != ']' && s.peek() != 0; n++ {
				at := s.i
				if err := s.object(fmt.Sprintf("Bundle.entry[%d]", n), envelopeKeys.entry); err != nil {
					return err
				}
				if s.peek() == ',' || s.i == at {
					s.i++ // the comma, or a byte that is not JSON
				}
			}
			s.i++ // ]
		case key == "request" && strings.HasPrefix(where, "Bundle.entry["):
			if err := s.object(where+".request", envelopeKeys.request); err != nil {
				return err
			}
		default:
			s.skip()
		}
		if s.peek() == ',' {
			s.i++
		}
	}
	s.i++ // }
	return nil
}

// topLevel is the value of key in the JSON object body (a stored
// resource: valid JSON), nil if it has none. A byte scan, not a decode:
// a Binary's data may be megabytes.
func topLevel(body []byte, key string) []byte {
	s := &envScan{b: body}
	if s.peek() != '{' {
		return nil
	}
	s.i++
	for s.peek() == '"' {
		k := s.str()
		s.peek()
		s.i++ // :
		s.peek()
		start := s.i
		s.skip()
		if string(k) == key {
			return body[start:s.i]
		}
		if s.peek() == ',' {
			s.i++
		}
	}
	return nil
}

// versionRefs keeps a reference per resource version, at most
// maxVersionRefs (then it starts again): versions never change, so an
// entry is never stale.
type versionRefs struct {
	mu sync.Mutex
	m  map[versionKey]string
}

const maxVersionRefs = 1 << 14

func (r *versionRefs) get(k versionKey) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.m[k]
	return ref, ok
}

func (r *versionRefs) put(k versionKey, ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m) >= maxVersionRefs {
		r.m = make(map[versionKey]string)
	}
	r.m[k] = ref
}
