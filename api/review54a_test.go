package api_test

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 54a: 878ee25's attachment-text and transaction parts through the
// real write path (PUT by the GP practice, GET by the hospital, which is a
// source of Jane's data and so has a relationship).

const r54aHIV = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r54aDocJSON(id, ct, text string) string {
	return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `","content":[{"attachment":{"contentType":"` + ct + `","data":"` + base64.StdEncoding.EncodeToString([]byte(text)) + `"}}]}`
}

func r54aWrappedURL(sep string) string {
	b := base64.StdEncoding.EncodeToString([]byte(r54aHIV))
	var parts []string
	for i := 0; i < len(b); i += 20 {
		parts = append(parts, b[i:min(i+20, len(b))])
	}
	return "data:application/fhir+json;base64," + strings.Join(parts, sep)
}

func r54aPutGet(t *testing.T, e *env, gp, hosp, id, ct, text string) resp {
	t.Helper()
	if r := e.do("PUT", "/fhir/DocumentReference/"+id, gp, r54aDocJSON(id, ct, text)); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT %s: %d %.300s", id, r.status, r.body)
	}
	return e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
}

// TestReview54aSoundWrappedHIVWritePath: the shapes 878ee25 newly reads
// (JSON text with a raw tab earlier, a bad escape before a quote or in
// the literal) are withheld from the hospital through the write path.
func TestReview54aSoundWrappedHIVWritePath(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	w := r54aWrappedURL(`\n`)
	for _, c := range []struct{ id, ct, text string }{
		{"r54a-tab-earlier", "text/plain", "{\"a\":\"x\ty\",\"content\":\"" + w + "\"}"},
		{"r54a-bad-esc-quote", "text/plain", `{"p":"D:\exports\","content":"` + w + `"}`},
		{"r54a-bad-esc-in-lit", "text/plain", `{"content":"D:\exports\` + w + `"}`},
		{"r54a-x-esc-quote", "text/plain", `{"p":"\x41\","content":"` + w + `"}`},
	} {
		r := r54aPutGet(t, e, gp, hosp, c.id, c.ct, c.text)
		t.Logf("RESULT GET %s as RHX: %d %.160s", c.id, r.status, r.body)
		if r.status == 200 {
			t.Errorf("%s: the letter wrapping Jane's HIV Condition went to the hospital: %.300s", c.id, r.body)
		}
	}
}

func r54aPNG(n int) string {
	r := rand.New(rand.NewSource(int64(n)))
	b := make([]byte, n)
	r.Read(b)
	copy(b, "\x89PNG\r\n\x1a\n")
	s := base64.StdEncoding.EncodeToString(b)
	var parts []string
	for i := 0; i < len(s); i += 76 {
		parts = append(parts, s[i:min(i+76, len(s))])
	}
	return strings.Join(parts, `\n`)
}

// TestReview54aSoundOrdinaryJSONLettersWritePath: JSON letters with images
// in strings, JSON logs and many escaped strings, PUT as text/plain and
// application/json, are read by the hospital.
func TestReview54aSoundOrdinaryJSONLettersWritePath(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	var imgs, logs, many strings.Builder
	imgs.WriteString(`{"letter":"Dear Dr Jones,\n\tplease see the wound photos.\n\tC:\\Photos\\wound","images":[`)
	for i := range 4 {
		if i > 0 {
			imgs.WriteString(",")
		}
		fmt.Fprintf(&imgs, `{"title":"photo %d","src":"data:image\/png;base64,%s"},{"raw":"%s"}`, i, r54aPNG(20000+i), r54aPNG(10000+i))
	}
	imgs.WriteString(`]}`)
	for i := range 300 {
		fmt.Fprintf(&logs, "{\"ts\":\"2026-01-01T10:%02d:00Z\",\"msg\":\"sync ok\\n\\tretry=0\",\"path\":\"C:\\\\temp\\\\x%d\",\"note\":\"He said \\\"fine\\\" \\u2014 ok\"}\n", i%60, i)
	}
	many.WriteString(`{"paragraphs":[`)
	for i := range 2000 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"Paragraph %d:\n\tSeen in clinic; BP 130\/80; \"better\" \u2014 review in 6 weeks. C:\notes\x"`, i)
	}
	many.WriteString(`]}`)
	for _, c := range []struct{ id, ct, text string }{
		{"r54a-imgs-text", "text/plain", imgs.String()},
		{"r54a-imgs-json", "application/json", imgs.String()},
		{"r54a-logs", "text/plain", logs.String()},
		{"r54a-many-text", "text/plain", many.String()},
		{"r54a-many-json", "application/json", many.String()},
	} {
		t0 := time.Now()
		r := r54aPutGet(t, e, gp, hosp, c.id, c.ct, c.text)
		t.Logf("RESULT %s (%d bytes): GET as RHX %d in %v", c.id, len(c.text), r.status, time.Since(t0))
		if r.status != 200 {
			t.Errorf("%s: an ordinary JSON letter is withheld from the hospital: %d %.300s", c.id, r.status, r.body)
		}
	}
}

// TestReview54aCostWritePath: PUTs of 512 KiB lenient-literal shapes
// against an ordinary letter.
func TestReview54aCostWritePath(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	const size = 1 << 19
	fill := func(prefix, unit string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len() < size {
			b.WriteString(unit)
		}
		return b.String()
	}
	put := func(id, text string) time.Duration {
		t0 := time.Now()
		r := e.do("PUT", "/fhir/DocumentReference/"+id, gp, r54aDocJSON(id, "text/plain", text))
		if r.status != 200 && r.status != 201 {
			t.Fatalf("PUT %s: %d %.300s", id, r.status, r.body)
		}
		return time.Since(t0)
	}
	base := put("r54a-ordinary", fill("", "the patient was seen in clinic today and is much better "))
	t.Logf("ordinary: %v", base)
	for _, c := range []struct{ id, text string }{
		{"r54a-tab17", fill("", "\"\t\t\t\t\t\t\t\t\t\t\t\t\t\t\\n\"")},
		{"r54a-tab17-json", fill("[", "\"\t\t\t\t\t\t\t\t\t\t\t\t\t\t\\n\",") + `""]`},
		{"r54a-badesc", fill("", `"\q\q\q\q\q\q\q\n"`)},
		{"r54a-badesc-json", fill("[", `"\q\q\q\q\q\q\q\n",`) + `""]`},
		{"r54a-json-escapes", fill(`{"a":[`, `"line\nnext \"q\" C:\\x\u00e9",`) + `""]}`},
	} {
		d := put(c.id, c.text)
		t.Logf("RESULT PUT %s: %v (%.1fx ordinary)", c.id, d, float64(d)/float64(base))
		if d > 3*time.Second && d > 30*base {
			t.Errorf("%s: %v (ordinary %v)", c.id, d, base)
		}
	}
}

func r54aTx(t *testing.T, e *env, tok, body string) resp {
	t.Helper()
	r := e.do("POST", "/fhir", tok, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	return r
}

func r54aLocations(body, typ string) []string {
	var out []string
	for _, part := range strings.Split(body, `"location":"`+typ+`/`)[1:] {
		out = append(out, part[:strings.IndexAny(part, `/"`)])
	}
	return out
}

// TestReview54aTxNarrativeLinkVersioned: entries U and
// U/_history/1/_history/2 (keyed U/_history/1); an Observation names
// U/_history/1 in its subject, in a narrative link and in an extension's
// valueUri. FHIR reads a versioned reference without its version, so all
// three name the first Patient; 878ee25 resolves the subject so, but the
// narrative link and the uri as written, to the second Patient.
func TestReview54aTxNarrativeLinkVersioned(t *testing.T) {
	for _, c := range []struct{ name, u string }{
		{"urn-uuid", "urn:uuid:54a00000-0000-4000-8000-000000000001"},
		{"restful", "http://feed.example/fhir/Patient/r54a-p1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + c.u + `","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"R54aFirst"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"` + c.u + `/_history/1/_history/2","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"R54aSecond"}]},"request":{"method":"POST","url":"Patient"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"R54A-LINK"},"subject":{"reference":"` + c.u + `/_history/1"},
   "extension":[{"url":"http://example.org/r54a-about","valueUri":"` + c.u + `/_history/1"}],
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"` + c.u + `/_history/1\">the patient</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`
			r := e.do("POST", "/fhir", hosp, body)
			if r.status != 200 {
				t.Logf("RESULT %s: refused %d %.300s", c.name, r.status, r.body)
				return
			}
			pids, oids := r54aLocations(r.body, "Patient"), r54aLocations(r.body, "Observation")
			if len(pids) != 2 || len(oids) != 1 {
				t.Fatalf("locations: %v %v", pids, oids)
			}
			o := e.do("GET", "/fhir/Observation/"+oids[0], hosp, "")
			t.Logf("RESULT %s: Observation %s (first Patient/%s, second Patient/%s)", c.name, o.body, pids[0], pids[1])
			if !strings.Contains(o.body, `"subject":{"reference":"Patient/`+pids[0]+`"`) {
				t.Errorf("%s: subject not the first Patient/%s", c.name, pids[0])
			}
			if strings.Contains(o.body, pids[1]) {
				t.Errorf("%s: the narrative link or uri %s/_history/1 (version 1 of the first entry) was rewritten to the second Patient/%s, while the subject written the same went to the first Patient/%s", c.name, c.u, pids[1], pids[0])
			}
		})
	}
}

// TestReview54aSoundTxLinks: versioned and RESTful fullUrls, references
// and narrative links, relative and absolute, resolve per FHIR.
func TestReview54aSoundTxLinks(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	u := "urn:uuid:54a00000-0000-4000-8000-000000000002"
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + u + `","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"R54a"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Patient/r54a-p2/_history/3","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"R54b"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r54a-o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R54A-A"},"subject":{"reference":"Patient/r54a-p2/_history/4"},
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"Patient/r54a-p2/_history/1\">a</a><a href=\"http://feed.example/fhir/Patient/r54a-p2\">b</a><a href=\"` + u + `/_history/5\">c</a></div>"}},"request":{"method":"POST","url":"Observation"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r54a-o2","resource":{"resourceType":"Observation","status":"final","code":{"text":"R54A-B"},"subject":{"reference":"http://feed.example/fhir/Patient/r54a-p2/_history/3"},
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"http://feed.example/fhir/Patient/r54a-p2/_history/3\">a</a></div>"}},"request":{"method":"POST","url":"Observation"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"R54A-C"},"subject":{"reference":"` + u + `/_history/2"},
   "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"` + u + `\">a</a></div>"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := r54aTx(t, e, hosp, body)
	pids, oids := r54aLocations(r.body, "Patient"), r54aLocations(r.body, "Observation")
	if len(pids) != 2 || len(oids) != 3 {
		t.Fatalf("locations: %v %v %.600s", pids, oids, r.body)
	}
	want := []string{pids[1], pids[1], pids[0]}
	for i, oid := range oids {
		o := e.do("GET", "/fhir/Observation/"+oid, hosp, "")
		t.Logf("RESULT Observation %d: %.500s", i, o.body)
		if !strings.Contains(o.body, `"subject":{"reference":"Patient/`+want[i]+`"`) || strings.Contains(o.body, "urn:uuid") || strings.Contains(o.body, "r54a-p2") {
			t.Errorf("Observation %d: subject not Patient/%s or links unresolved: %.500s", i, want[i], o.body)
		}
	}
}
