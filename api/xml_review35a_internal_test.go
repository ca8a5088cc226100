package api

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// Review 35a: the cost of xmlCarriedItems (encoding/xml RawToken) on
// hostile XML of 6 MiB. Benchmarks only (no timed tests).
func r35aHostile() map[string][]byte {
	const size = 6 << 20
	deep := bytes.Repeat([]byte("<a>"), size/3)
	attr := []byte(`<Condition><id value="` + strings.Repeat("x", size-40) + `"/></Condition>`)
	manyAttr := append([]byte("<Condition"), bytes.Repeat([]byte(` a="1"`), size/6)...)
	manyAttr = append(manyAttr, "><id value=\"d\"/></Condition>"...)
	ents := append([]byte("<!DOCTYPE a [<!ENTITY x \"xxxxxxxxxxxxxxxxxxxxxxxx\">]><a>"), bytes.Repeat([]byte("&x;"), size/3)...)
	ids := bytes.Repeat([]byte(`<Patient><id value="p1"/></Patient>`), size/35)
	ids = append(append([]byte("<Bundle>"), ids...), "</Bundle>"...)
	deepRes := bytes.Repeat([]byte("<Patient>"), size/9)
	return map[string][]byte{"deep": deep, "huge-attr": attr, "many-attr": manyAttr, "entities": ents, "many-ids": ids, "deep-resources": deepRes}
}

func BenchmarkReview35aXMLCarriedItemsHostile(b *testing.B) {
	for name, x := range r35aHostile() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				n := 0
				xmlCarriedItems(x, func(string, string) { n++ })
			}
		})
	}
}

// TestReview35aSoundXMLCarriedItemsHostileTerminates: the hostile forms
// finish and find what they carry (no timing asserted).
func TestReview35aSoundXMLCarriedItemsHostileTerminates(t *testing.T) {
	h := r35aHostile()
	for _, name := range []string{"many-ids", "many-attr"} {
		n := 0
		xmlCarriedItems(h[name], func(string, string) { n++ })
		if n == 0 {
			t.Errorf("%s: no item found", name)
		}
	}
	for _, name := range []string{"deep", "entities", "huge-attr", "deep-resources"} {
		xmlCarriedItems(h[name], func(string, string) {})
	}
}

// TestReview35aSoundDigitValueRanges: every Nd range in the Unicode
// tables digitValue reads has stride 1 and a multiple of ten digits, so
// "distance from its start, mod 10" is the digit's value throughout.
func TestReview35aSoundDigitValueRanges(t *testing.T) {
	for _, rg := range unicode.Nd.R16 {
		if rg.Stride != 1 || (int(rg.Hi)-int(rg.Lo)+1)%10 != 0 || digitValue(rune(rg.Lo)) != 0 || digitValue(rune(rg.Hi)) != 9 {
			t.Errorf("Nd range %x-%x stride %d", rg.Lo, rg.Hi, rg.Stride)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rg.Stride != 1 || (int(rg.Hi)-int(rg.Lo)+1)%10 != 0 || digitValue(rune(rg.Lo)) != 0 || digitValue(rune(rg.Hi)) != 9 {
			t.Errorf("Nd range %x-%x stride %d", rg.Lo, rg.Hi, rg.Stride)
		}
	}
}
