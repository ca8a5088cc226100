package auditlog

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// agree checks that Decode gives what encoding/json gives for b (both an
// error, or equal entries), and returns whether the canonical path read it.
func agree(t *testing.T, b []byte) bool {
	t.Helper()
	got, gerr := Decode(b)
	want, werr := decodeJSON(b)
	if (gerr != nil) != (werr != nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode(%s)\n= %+v, %v\nencoding/json: %+v, %v", b, got, gerr, want, werr)
	}
	_, ok := decodeCanonical(b)
	return ok
}

// TestDecodeCanonicalAgrees: the canonical decoder reads every entry carex
// writes, and gives what encoding/json gives for them and for entries
// written otherwise (keys reordered, repeated, in other case or escaped,
// whitespace, numbers that are no int, null, trailing bytes), which it
// leaves to encoding/json. Passed when first written (a guard on the fast
// path, not a fix).
func TestDecodeCanonicalAgrees(t *testing.T) {
	odd := []string{"", "a", `quote " back \ slash`, "<b>&amp;</b>", "tab\there", "nl\nx", "ü ß 日本", "\u2028\u2029",
		"\u202e", "bad \xff utf8", "\x00nul", "emoji 😀", "\\u0041", `"`}
	var entries []*Entry
	for i := range 300 {
		entries = append(entries, sample(i), peopleSample(i))
	}
	for i, s := range odd {
		e := sample(i)
		e.Sub, e.Name, e.Path, e.Patient, e.BreakGlass = s, s+"x", "/fhir/"+s, s, s
		e.Patients, e.Released, e.Reasons, e.Restricted, e.Kept = []string{s, "p1"}, []string{s}, []string{"r", s}, []string{s}, []string{s, s}
		e.Withheld, e.Status, e.NHSNumber = i, 400+i, s
		entries = append(entries, e)
	}
	big := sample(1)
	big.Seq, big.Withheld = 1<<40, 1<<31
	big.Time = time.UnixMilli(1 << 45)
	entries = append(entries, big, &Entry{Time: time.UnixMilli(0)})
	for _, e := range entries {
		b, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if !agree(t, b) {
			t.Fatalf("the canonical path refused an entry carex writes: %s", b)
		}
		s := string(b)
		for _, v := range []string{
			strings.Replace(s, `,"ts":`, `, "ts":`, 1),
			strings.Replace(s, `"decision":`, `"Decision":`, 1),
			strings.Replace(s, `"sub":`, `"su\u0062":`, 1),
			strings.Replace(s, `{"seq":`, `{"decision":"x","seq":`, 1),
			strings.Replace(s, `"decision":`, `"sub":"again","decision":`, 1),
			strings.Replace(s, `"status":`, `"status":0`, 1),
			strings.Replace(s, `"status":`, `"status":-`, 1),
			strings.Replace(s, `"status":`, `"status":1.5,"x":`, 1),
			strings.Replace(s, `"status":`, `"status":1e2,"x":`, 1),
			strings.Replace(s, `"status":`, `"status":99999999999999999999,"x":`, 1),
			strings.Replace(s, `,"ts":`, `,"ts":-0,"x":`, 1),
			strings.Replace(s, `"decision":`, `"reasons":null,"decision":`, 1),
			strings.Replace(s, `"decision":`, `"reasons":[],"decision":`, 1),
			strings.Replace(s, `"decision":`, `"reasons":["a" ,"b"],"decision":`, 1),
			strings.Replace(s, `"decision":`, `"reasons":["a",],"decision":`, 1),
			strings.Replace(s, `"decision":`, `"withheld":"1","decision":`, 1),
			strings.Replace(s, `"decision":`, `"unknown":1,"decision":`, 1),
			strings.Replace(s, `"decision":"`, `"decision":"\u00e9\t`, 1),
			strings.Replace(s, `"decision":"`, `"decision":"\ud83d\ude00 \ud800 \x01`, 1),
			s + " ", s + "x", s[:len(s)-1], s[:len(s)/2],
		} {
			agree(t, []byte(v))
		}
	}
}

// FuzzDecodeCanonical: whatever the canonical decoder accepts, encoding/json
// decodes alike.
func FuzzDecodeCanonical(f *testing.F) {
	for i := range 40 {
		b, _ := Encode(peopleSample(i))
		f.Add(b)
		b, _ = Encode(sample(i))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeCanonical(b)
		if !ok {
			return
		}
		want, err := decodeJSON(b)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeCanonical(%q) = %+v\nencoding/json: %+v, %v", b, got, want, err)
		}
	})
}

// BenchmarkDecode: the canonical decoder against encoding/json, on
// entries of the load run's shapes.
func BenchmarkDecode(b *testing.B) {
	var bs [][]byte
	for i := range 100 {
		e, _ := Encode(peopleSample(i))
		bs = append(bs, e)
	}
	for _, c := range []struct {
		name string
		fn   func([]byte) (*Entry, error)
	}{{"canonical", Decode}, {"encoding-json", decodeJSON}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := c.fn(bs[i%len(bs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
