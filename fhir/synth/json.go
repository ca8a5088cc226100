package synth

import (
	"strconv"
	"unicode/utf8"
)

// The generator writes JSON by hand from ordered values so that key order,
// and therefore every byte of the output, is fixed: no maps are marshalled.

// O is a JSON object written in the order given: key, value, key, value…
// A nil value (or an empty O or A) omits the member, because FHIR forbids
// empty elements.
type O []any

// A is a JSON array; nil members are skipped.
type A []any

// raw is JSON inserted verbatim.
type raw []byte

func encode(dst []byte, v any) []byte {
	switch x := v.(type) {
	case O:
		dst = append(dst, '{')
		first := true
		for i := 0; i+1 < len(x); i += 2 {
			if empty(x[i+1]) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, x[i].(string))
			dst = append(dst, ':')
			dst = encode(dst, x[i+1])
		}
		return append(dst, '}')
	case A:
		dst = append(dst, '[')
		first := true
		for _, e := range x {
			if empty(e) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = encode(dst, e)
		}
		return append(dst, ']')
	case string:
		return appendString(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case float64:
		return strconv.AppendFloat(dst, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(dst, x)
	case raw:
		return append(dst, x...)
	}
	panic("synth: cannot encode value")
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case O:
		for i := 1; i < len(x); i += 2 {
			if !empty(x[i]) {
				return false
			}
		}
		return true
	case A:
		for _, e := range x {
			if !empty(e) {
				return false
			}
		}
		return true
	case string:
		return x == ""
	}
	return false
}

const hexDigits = "0123456789abcdef"

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return append(dst, '"')
}
