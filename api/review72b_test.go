package api_test

// Review 72b: what it costs to open a record whose items carry text carex
// must read (SPEC: "a record that is too slow to open during a visit" is a
// serious failure). Cost probes: ratios of process CPU time against an
// ordinary item of the same byte size, skipped under -race.

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// r72Cost is what one item costs: its write by its source system, the
// district nurse's read of it and of the person's $everything (process
// CPU time, the least of tries).
type r72Cost struct {
	write, read, everything time.Duration
	status                  int // the nurse's read's
}

func (c r72Cost) String() string {
	return fmt.Sprintf("write %v, read %v (%d), $everything %v", c.write.Round(time.Millisecond), c.read.Round(time.Millisecond), c.status, c.everything.Round(time.Millisecond))
}

func r72Env(t *testing.T) *env {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 }) // serve's default
	seedShared(t, e)
	seedRestricted(t, e)
	return e
}

// r72Measure writes body (a Condition of patient, by her GP practice's
// system) tries times, each a new item, and reads each back as the
// community trust's district nurse (item and $everything); the least of
// each.
func r72Measure(t *testing.T, e *env, patient string, body string, tries int) r72Cost {
	t.Helper()
	sys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	best := r72Cost{1 << 62, 1 << 62, 1 << 62, 0}
	for i := 0; i < tries; i++ {
		id := fmt.Sprintf("r72-%d-%d", time.Now().UnixNano(), i)
		b := strings.Replace(body, `"resourceType":"Condition"`, `"resourceType":"Condition","id":"`+id+`"`, 1)
		c0 := cpuTime()
		r := e.do("PUT", "/fhir/Condition/"+id, sys, b)
		w := cpuTime() - c0
		if r.status != 201 {
			t.Fatalf("write: %d %.300s", r.status, r.body)
		}
		c0 = cpuTime()
		r = e.do("GET", "/fhir/Condition/"+id, nurse, "")
		rd := cpuTime() - c0
		if r.status != 200 && r.status != 404 {
			t.Fatalf("nurse's read: %d %.300s", r.status, r.body)
		}
		best.status = r.status
		c0 = cpuTime()
		r = e.do("GET", "/fhir/Patient/"+patient+"/$everything", nurse, "")
		ev := cpuTime() - c0
		if r.status != 200 {
			t.Fatalf("nurse's $everything: %d %.300s", r.status, r.body)
		}
		// (each $everything reads every item written so far: delete it)
		if d := e.do("DELETE", "/fhir/Condition/"+id, sys, ""); d.status >= 300 {
			t.Fatalf("delete: %d", d.status)
		}
		best.write, best.read, best.everything = min(best.write, w), min(best.read, rd), min(best.everything, ev)
	}
	return best
}

// r72Condition is a Condition of patient whose extensions are exts (JSON
// values of extension objects' value members, joined).
func r72Condition(patient string, extra string) string {
	return `{"resourceType":"Condition","subject":{"reference":"Patient/` + patient + `"},"code":{"text":"R72-PROBLEM"}` + extra + `}`
}

func r72String(s string) string {
	return `,"extension":[{"url":"https://example.org/r72","valueString":` + jsonQuote(s) + `}]`
}

func r72Attachment(ct, data string) string {
	return `,"extension":[{"url":"https://example.org/r72","valueAttachment":{"contentType":"` + ct + `","data":"` + base64.StdEncoding.EncodeToString([]byte(data)) + `"}}]`
}

func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func r72Repeat(unit string, size int) string { return strings.Repeat(unit, max(1, size/len(unit))) }

func r72Prose(size int) string {
	return r72Repeat("Seen at home today, wound dressing changed, healing well, review in a week. ", size)
}

// r72MaxDecoded is the most an attachment may decode to in a body of the
// accepted size (8 MiB of base64, with room for the rest of the item).
const r72MaxDecoded = (8<<20)*3/4 - 64<<10

// r72TelXML is XML (so carex does not read it as FHIR JSON, and masks it
// in a restricted person's items when it names a contact) of about size
// bytes that names no contact, person or place: quoted runs of "tel…"
// and '<' as an unread letter's markup might hold, none of them a name.
func r72TelXML(size int) string {
	return "<note>" + r72Repeat(`" <`+strings.Repeat("tel", 42), size) + "</note>"
}

// TestReview72bRestrictedXMLAttachmentReadCost: Margaret (confidentiality
// R) has a Condition from her GP practice carrying an XML attachment of
// 5.9 MiB (application/xml, so unread: maskUnread → peopleIn) that names
// no person, place or contact, so it is released as it is. Each read of
// that item by the community trust's district nurse, and each
// $everything of her record, runs contactNameRE (api/redact.go,
// contactName, introduced by 7d716e2, review 71a) over the whole text:
// Go's regexp runs its NFA over it (bounded repeats {0,64} on either side
// of the names), 0.25-0.35 s of CPU a MiB, about 2.3 s a read of this one
// item on this machine (2.3-2.7 s), and again on every $everything, which
// reads all her items. The identical item of Jane (not restricted) costs
// 8-12x less. SPEC: "a record that is too slow to open during a visit" is
// a serious failure; one item from a source system makes the restricted
// person's record slow for every reader. Severity: a cost (no leak).
// Parent 56e7d7d (contactName a bytes.Index loop): about 1.2-1.5x.
func TestReview72bRestrictedXMLAttachmentReadCost(t *testing.T) {
	e := r72Env(t)
	att := r72Attachment("application/xml", r72TelXML(r72MaxDecoded))
	hers := r72Measure(t, e, "marg", r72Condition("marg", att), 3)
	janes := r72Measure(t, e, "jane", r72Condition("jane", att), 3)
	t.Logf("Margaret's (restricted) item, %d KiB attached XML: %v", r72MaxDecoded>>10, hers)
	t.Logf("the same item of Jane's: %v", janes)
	ratio := float64(hers.read) / float64(janes.read)
	evRatio := float64(hers.everything) / float64(janes.everything)
	if ratio > 4 || evRatio > 4 || hers.read > 2*time.Second || hers.everything > 2*time.Second {
		t.Errorf("a read of the restricted person's item took %v (%.1fx the same item of another person), her $everything %v (%.1fx): a record too slow to open (contactNameRE's NFA over every byte of unread XML)",
			hers.read.Round(time.Millisecond), ratio, hers.everything.Round(time.Millisecond), evRatio)
	}
}

// r72EmptiesResource is FHIR JSON of about size bytes: a Basic repeating
// a key, holding a list of empty objects (three bytes each).
func r72EmptiesResource(size int) string {
	return `{"resourceType":"Basic","id":"e","id":"x","x":[` + r72Repeat(`{},`, size) + `{}]}`
}

// TestReview72bFHIRJSONInStringWriteCost: a Condition of Jane's whose
// extension's valueString (any string carex reads as attached text since
// 9f300ab/9545d16: structuredPayloads) is FHIR JSON of about 8 MiB made of
// many small JSON values — one resource repeating a key and holding 2.7
// million empty objects; NDJSON of 200,000 tiny resources; lines of a
// resource nested 255 arrays deep — is written at 20-40x the CPU of an
// ordinary Condition of the same size whose string is prose, 2-4 s of CPU
// for one write (SPEC: one item written by any source system must not make
// the server slow for everyone; in a batch or an import, minutes). Where:
// structuredPayloads (api/attached.go) decodes the string twice
// (jsonDocsBoth: jsonDocSpans with encoding/json, keptFirst with
// fhir.DecodeKeepingFirst), json.Marshals each resource found (a doc and
// its first-kept reading: two payloads), and attachedContentCapped's visit
// decodes each payload twice again and walks it (payloadsOf, eachString on
// every object), so every byte is decoded into maps four to six times.
// The same JSON attached (base64) costs about half as much a byte.
// Severity: a cost. Parent c4e77ce (strings not read): 1.3-2.8x.
func TestReview72bFHIRJSONInStringWriteCost(t *testing.T) {
	e := r72Env(t)
	const size = (8 << 20) - 8<<10 - 300
	var nd strings.Builder
	for i := 0; nd.Len() < size*3/4; i++ { // (each quote escaped in the string)
		fmt.Fprintf(&nd, "{\"resourceType\":\"Basic\",\"id\":\"b%d\"}\n", i)
	}
	for _, c := range []struct{ name, s string }{
		{"a resource of empty objects repeating a key", r72EmptiesResource(size)},
		{"NDJSON of tiny resources", nd.String()},
		{"lines nested 255 deep", r72Repeat(strings.Repeat("[", 255)+`{"resourceType":"Basic"}`+strings.Repeat("]", 255)+"\n", size*95/100)},
	} {
		odd := r72Condition("jane", r72String(c.s))
		plain := r72Condition("jane", r72String(r72Prose(len(odd)-300)))
		c1 := r72Measure(t, e, "jane", odd, 3)
		c0 := r72Measure(t, e, "jane", plain, 3)
		t.Logf("%s, %d KiB: %v; prose %d KiB: %v", c.name, len(odd)>>10, c1, len(plain)>>10, c0)
		// (The fix chose otherwise, in part: a resource found in a string
		// is no longer decoded again, 3.0-4.5 s -> 1.6 s for the first
		// shape; the rest, 1.6-1.8 s, 20-22x, is JSON's own decoding of
		// 8 MiB of brackets, twice, the second keeping first values —
		// left, and noted. This guards against worse. The ordinary item's
		// write has since got quicker, 30-40 ms, so the same 1.3-1.6 s is
		// 41-48x in full runs: the bound is 80x, with the 4 s beside it.)
		if ratio := float64(c1.write) / float64(c0.write); ratio > 80 || c1.write > 4*time.Second {
			t.Errorf("%s: the write took %v of CPU, %.0fx an ordinary item of the same size (structuredPayloads: every byte decoded four to six times)", c.name, c1.write.Round(time.Millisecond), ratio)
		}
	}
}

// TestReview72bAttachedJSONReadCost: a Condition of Jane's (not
// restricted) from her GP practice carrying, as an attachment
// (application/fhir+json, 5.9 MiB), a Condition holding 2 million empty
// objects. Every read of it by the district nurse, and every $everything
// of her record, decodes that JSON about five times over: readWhole
// (attachedFirstKept: jsonDocSpans, then keptFirst's
// fhir.DecodeKeepingFirst, then its own json.Decoder loop), maskedRefs'
// attachedRefs (attachedContentCapped: jsonDocsBoth again) and
// redactCarried's redactAttached (redactedPayload: jsonDocs again), each
// into maps and walked — 2-3 s of CPU for one read of one item, 15-20x an
// ordinary item of the same size (prose in a string). SPEC: "a record that
// is too slow to open during a visit" (nothing is cached: each reader,
// each visit pays). Severity: a cost. Not a regression: c4e77ce, 1.9 s a
// read, 1.4 s an $everything.
func TestReview72bAttachedJSONReadCost(t *testing.T) {
	e := r72Env(t)
	att := r72Attachment("application/fhir+json", `{"resourceType":"Condition","id":"c","code":{"text":"x"},"x":[`+r72Repeat(`{},`, r72MaxDecoded)+`{}]}`)
	odd := r72Condition("jane", att)
	plain := r72Condition("jane", r72String(r72Prose(len(odd)-300)))
	c1 := r72Measure(t, e, "jane", odd, 3)
	c0 := r72Measure(t, e, "jane", plain, 3)
	t.Logf("%d KiB, attached FHIR JSON of empty objects: %v; prose %d KiB: %v", len(odd)>>10, c1, len(plain)>>10, c0)
	ratio, evRatio := float64(c1.read)/float64(c0.read), float64(c1.everything)/float64(c0.everything)
	// (Left, and noted: not a regression, c4e77ce took 1.9 s too; about
	// 2.8 s after review 72a's fix, which reads the references of a
	// repeated key's first value too. This guards against worse. The
	// ordinary read is a few milliseconds, so the ratio is noisy in a full
	// run: one went past 40x; the bound is 80x, with the 5 s beside it.)
	if ratio > 80 || evRatio > 80 || c1.read > 5*time.Second || c1.everything > 5*time.Second {
		t.Errorf("one read took %v of CPU (%.0fx an ordinary item of the same size), $everything %v (%.0fx): the attached JSON is decoded about five times on every read",
			c1.read.Round(time.Millisecond), ratio, c1.everything.Round(time.Millisecond), evRatio)
	}
}

// TestReview72bSoundRestrictedTypedPlacesReadCost: a restricted person's
// item carrying thousands of resources with Address- and ContactPoint-typed
// elements (contained Locations; an Organization with thousands of
// contacts) is read by the district nurse at a few times the cost of the
// same item of an unrestricted person (redactPlaces, redactTypedPlaces,
// fhir.EachPlaceElement, mayCarryPlaces are linear): measured 2-3x.
func TestReview72bSoundRestrictedTypedPlacesReadCost(t *testing.T) {
	e := r72Env(t)
	const size = 4 << 20
	locations := func(patient string) string {
		var b strings.Builder
		b.WriteString(`,"contained":[`)
		for i := 0; b.Len() < size; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"resourceType":"Location","id":"l%d","address":{"line":["%d Some Street"],"postalCode":"LS1 1AA"},"telecom":[{"system":"phone","value":"0113%06d"}]}`, i, i, i)
		}
		b.WriteString(`]`)
		return r72Condition(patient, b.String())
	}
	contacts := func(patient string) string {
		var b strings.Builder
		b.WriteString(`,"contained":[{"resourceType":"Organization","id":"o","contact":[`)
		for i := 0; b.Len() < size; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"address":{"line":["%d Some Street"]},"telecom":[{"system":"phone","value":"0113%06d"}]}`, i, i)
		}
		b.WriteString(`]}]`)
		return r72Condition(patient, b.String())
	}
	for name, f := range map[string]func(string) string{"contained locations": locations, "an organisation's contacts": contacts} {
		hers := r72Measure(t, e, "marg", f("marg"), 2)
		janes := r72Measure(t, e, "jane", f("jane"), 2)
		t.Logf("%s: restricted %v; not %v", name, hers, janes)
		if r := float64(hers.read) / float64(janes.read); r > 8 {
			t.Errorf("%s: the restricted person's item took %.1fx as long to read", name, r)
		}
	}
}

// TestReview72bSoundMarkupAndNDJSONStringsWriteCost: strings of 4 MiB that
// carex looks into on the way in — '<!--', '<?x?>', '<!x>' and '<' repeated
// (fhirXMLRoot, markupEnd, fhirNamespaceFirstTag: after a version 1.1
// declaration the tokenizer refuses and the markers are found by index, each
// once), and a resource repeating one key 700,000 times (keptFirst,
// DecodeKeepingFirst keeps ten paths) — write and read within a few times an
// ordinary item of the same size (measured 1-5x).
func TestReview72bSoundMarkupStringsWriteCost(t *testing.T) {
	e := r72Env(t)
	const size = 4 << 20
	plain := r72Measure(t, e, "jane", r72Condition("jane", r72String(r72Prose(size))), 2)
	for _, c := range []struct{ name, s string }{
		{"<!-- repeated", r72Repeat("<!--", size)},
		{"<?x?> repeated", r72Repeat("<?x?>", size)},
		{"version 1.1, <!x> repeated", `<?xml version="1.1"?>` + r72Repeat("<!x>", size)},
		{"FHIR XML root, then '<' repeated", `<Basic xmlns="http://hl7.org/fhir">` + r72Repeat("<", size)},
		{"a repeated key", `{"resourceType":"Basic"` + r72Repeat(`,"a":1`, size) + `}`},
	} {
		got := r72Measure(t, e, "jane", r72Condition("jane", r72String(c.s)), 2)
		t.Logf("%-32s %v (prose: %v)", c.name, got, plain)
		if r := float64(got.write) / float64(plain.write); r > 20 {
			t.Errorf("%s: the write took %.0fx an ordinary item's", c.name, r)
		}
		if r := float64(got.read) / float64(plain.read); r > 20 {
			t.Errorf("%s: the read took %.0fx an ordinary item's", c.name, r)
		}
	}
}
