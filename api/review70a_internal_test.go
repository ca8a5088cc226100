package api

// Review 70a: a fuzz target over fhirXMLRoot (and markupEnd,
// fhirNamespaceFirstTag, which 41f474b rewrote): no panic, no endless
// loop, markupEnd's length inside the string and ending at '>', and HIV
// FHIR XML refused by the tokenizer (version 1.1) still read past a
// comment, a processing instruction or a DOCTYPE entity whatever they
// hold (but their own end marker / quote). Run:
//   go test ./api -run '^$' -fuzz FuzzReview70aFHIRXMLRoot -fuzztime 60s -parallel 1
// As a plain test (go test -run FuzzReview70a) it runs the seeds only.

import (
	"strings"
	"testing"
)

const review70aRoot = `<Condition xmlns="http://hl7.org/fhir"><code><coding><code value="86406008"/></coding></code></Condition>`

func FuzzReview70aFHIRXMLRoot(f *testing.F) {
	for _, s := range []string{
		"", "<", "<!", "<?", "<!--", "<!-->", "<?>", "<>", "<a", "<a>", "</a>", "<!DOCTYPE a [", "<!DOCTYPE a []>",
		"<a b='>", `<a b=">`, "<![CDATA[", "]]>", "<!DOCTYPE C [<!-- ] -> <b> -->]>", "<?xml version=\"1.1\"?>",
		"<!DOCTYPE Condition [<!ENTITY cmp \"1>2 <b>\">]>", "<f:Condition xmlns:f='http://hl7.org/fhir'>", "<:a xmlns:=\"http://hl7.org/fhir\">",
		"<a/ >", "< a>", "<\x00>", "<\xff\xfe>", "<!--\n-->", strings.Repeat("[", 100) + ">",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = fhirXMLRoot(s)
		_ = fhirNamespaceFirstTag(s)
		if n := markupEnd(s); n < 0 || n > len(s) || n > 0 && s[n-1] != '>' {
			t.Fatalf("markupEnd(%q) = %d", s, n)
		}
		const decl = `<?xml version="1.1"?>`
		// a comment holding anything but its end marker
		if !strings.Contains(s, "--") && !strings.HasSuffix(s, "-") {
			if d := decl + "<!--" + s + "-->" + review70aRoot; !fhirXMLRoot(d) {
				t.Fatalf("HIV FHIR XML after a comment not read: %q", d)
			}
		}
		// a processing instruction holding anything but "?>"
		if !strings.Contains(s, "?>") && !strings.HasSuffix(s, "?") {
			if d := decl + "<?note " + s + "?>" + review70aRoot; !fhirXMLRoot(d) {
				t.Fatalf("HIV FHIR XML after a processing instruction not read: %q", d)
			}
		}
		// a DOCTYPE entity value holding anything but its quote
		if !strings.Contains(s, `"`) {
			if d := decl + `<!DOCTYPE Condition [<!ENTITY e "` + s + `">]>` + review70aRoot; !fhirXMLRoot(d) {
				t.Fatalf("HIV FHIR XML after a DOCTYPE entity not read: %q", d)
			}
		}
	})
}
