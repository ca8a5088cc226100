package api_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 53a: 4676780 through the real write path (PUT, then GET as
// another organisation) and its entryAt change in transactions.

const r53aHIV = `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`

func r53aDocJSON(id, ct, text string) string {
	return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `","content":[{"attachment":{"contentType":"` + ct + `","data":"` + base64.StdEncoding.EncodeToString([]byte(text)) + `"}}]}`
}

func r53aWrapped() string {
	b := base64.StdEncoding.EncodeToString([]byte(r53aHIV))
	var parts []string
	for i := 0; i < len(b); i += 20 {
		parts = append(parts, b[i:min(i+20, len(b))])
	}
	return "data:application/fhir+json;base64," + strings.Join(parts, `\n`)
}

// TestReview53aSoundLettersWritePath: ordinary letters (RTF, Windows
// paths, quoted speech, JSON logs) PUT by the GP practice are read by the
// hospital (a source of Jane's data); a letter wrapping her HIV Condition
// after a Windows path with valid escapes is not.
func TestReview53aSoundLettersWritePath(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	var rtf, paths, speech, logs strings.Builder
	rtf.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\f0\fs22 `)
	for range 200 {
		rtf.WriteString(`Dear Dr \'93Jones\'94, \par Re: Mrs \"Smith\" \u8217? C:\\Users\\GP\\Letters\\ \b seen\b0 in clinic; \tab BP 130/80. \par `)
		paths.WriteString(`Scanned from C:\new\table\records\"scan 12".pdf and \\server\share\notes\t1.docx; `)
		speech.WriteString(`She said "I can't manage the \"stairs\" any more" and "my 5" dressing \ keeps slipping". `)
		logs.WriteString(`{"ts":"2026-01-01T10:00:00Z","msg":"sync ok\n retry=0","path":"C:\\temp\\x","note":"He said \"fine\" \u2014 ok"} `)
	}
	letters := []struct{ id, ct, text string }{
		{"r53a-rtf", "text/rtf", rtf.String() + "}"},
		{"r53a-paths", "text/plain", paths.String()},
		{"r53a-speech", "text/plain", speech.String()},
		{"r53a-logs", "text/plain", logs.String()},
		{"r53a-logs-xml", "application/xml", "<log>" + logs.String() + "</log>"},
	}
	for _, l := range letters {
		if r := e.do("PUT", "/fhir/DocumentReference/"+l.id, gp, r53aDocJSON(l.id, l.ct, l.text)); r.status != 200 && r.status != 201 {
			t.Fatalf("PUT %s: %d %.300s", l.id, r.status, r.body)
		}
		r := e.do("GET", "/fhir/DocumentReference/"+l.id, hosp, "")
		t.Logf("RESULT GET %s as RHX: %d %.120s", l.id, r.status, r.body)
		if r.status != 200 {
			t.Errorf("%s: an ordinary letter is withheld from the hospital: %d %.300s", l.id, r.status, r.body)
		}
	}
	hiv := r53aDocJSON("r53a-hiv", "text/plain", `From "EMIS" saved to C:\new\table\"`+r53aWrapped()+`" by clinic`)
	if r := e.do("PUT", "/fhir/DocumentReference/r53a-hiv", gp, hiv); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT hiv: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/DocumentReference/r53a-hiv", hosp, "")
	t.Logf("RESULT GET r53a-hiv as RHX: %d %.160s", r.status, r.body)
	if r.status == 200 {
		t.Errorf("the letter wrapping an HIV Condition after C:\\new\\table\\\" went to the hospital: %.300s", r.body)
	}
}

// TestReview53aCostWritePath: a PUT of a DocumentReference whose text is
// percent-escaped (or plain) one-to-four-character words after a base64
// data: url's comma, against an ordinary letter of the same size.
func TestReview53aCostWritePath(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 }) // (serve's default)
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
		r := e.do("PUT", "/fhir/DocumentReference/"+id, gp, r53aDocJSON(id, "text/plain", text))
		d := time.Since(t0)
		if r.status != 200 && r.status != 201 {
			t.Fatalf("PUT %s: %d %.300s", id, r.status, r.body)
		}
		return d
	}
	base := put("r53a-ordinary", fill("", "the patient was seen in clinic today and is much better "))
	t.Logf("ordinary %d bytes: %v", size, base)
	for _, c := range []struct{ id, unit string }{
		{"r53a-pct4", "%41%41%41%41 "},
		{"r53a-pct1", "%41 "},
		{"r53a-aaaa", "AAAA "},
	} {
		d := put(c.id, fill("data:application/fhir+json;base64,", c.unit))
		t.Logf("RESULT PUT %s (%q words, %d bytes): %v (%.0fx ordinary)", c.id, c.unit, size, d, float64(d)/float64(base))
		if d > 3*time.Second && d > 30*base {
			t.Errorf("%s: PUT of %d bytes of %q words took %v (ordinary letter %v)", c.id, size, c.unit, d, base)
		}
	}
}

func r53aTx(t *testing.T, e *env, tok, body string) resp {
	t.Helper()
	r := e.do("POST", "/fhir", tok, body)
	if r.status != 200 {
		t.Fatalf("transaction: %d %.600s", r.status, r.body)
	}
	return r
}

func r53aLocations(body, typ string) []string {
	var out []string
	for _, part := range strings.Split(body, `"location":"`+typ+`/`)[1:] {
		out = append(out, part[:strings.IndexAny(part, `/"`)])
	}
	return out
}

// TestReview53aTxVersionedRefNamesUnversionedEntry: two Patients, one
// with fullUrl U, one with fullUrl U/_history/1/_history/2 (keyed
// U/_history/1); an Observation's subject U/_history/1 (version 1 of U)
// is the first Patient (FHIR: a fullUrl is matched without its version;
// 4676780^ filed it so). Looked up as written first, it goes to the other.
func TestReview53aTxVersionedRefNamesUnversionedEntry(t *testing.T) {
	for _, c := range []struct{ name, u string }{
		{"urn-uuid", "urn:uuid:53a00000-0000-4000-8000-000000000001"},
		{"restful", "http://feed.example/fhir/Patient/r53a-p1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			hosp := e.token("system", "nhs", "RHX")
			body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + c.u + `","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"R53aFirst"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"` + c.u + `/_history/1/_history/2","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"R53aSecond"}]},"request":{"method":"POST","url":"Patient"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"R53A-VERSIONED"},"subject":{"reference":"` + c.u + `/_history/1"}},"request":{"method":"POST","url":"Observation"}}]}`
			r := e.do("POST", "/fhir", hosp, body)
			t.Logf("transaction: %d %.700s", r.status, r.body)
			if r.status != 200 {
				t.Logf("RESULT %s: refused %d", c.name, r.status)
				return
			}
			pids, oids := r53aLocations(r.body, "Patient"), r53aLocations(r.body, "Observation")
			if len(pids) != 2 || len(oids) != 1 {
				t.Fatalf("locations: %v %v", pids, oids)
			}
			o := e.do("GET", "/fhir/Observation/"+oids[0], hosp, "")
			t.Logf("RESULT %s: Observation %.400s (first Patient/%s, second Patient/%s)", c.name, o.body, pids[0], pids[1])
			if !strings.Contains(o.body, `"Patient/`+pids[0]+`"`) {
				t.Errorf("%s: subject %s/_history/1 (version 1 of the first entry) was not filed under the first Patient/%s: %.400s", c.name, c.u, pids[0], o.body)
			}
		})
	}
}

// TestReview53aSoundTxLinks: references with and without versions to
// urn:uuid and RESTful fullUrls, relative references from RESTful entries.
func TestReview53aSoundTxLinks(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	u := "urn:uuid:53a00000-0000-4000-8000-000000000002"
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"` + u + `","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000025"}],"name":[{"family":"R53a"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Patient/r53a-p2","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000033"}],"name":[{"family":"R53b"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r53a-o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R53A-A"},"subject":{"reference":"Patient/r53a-p2/_history/4"},"performer":[{"reference":"` + u + `/_history/3"}]},"request":{"method":"POST","url":"Observation"}},
 {"fullUrl":"http://feed.example/fhir/Observation/r53a-o2","resource":{"resourceType":"Observation","status":"final","code":{"text":"R53A-B"},"subject":{"reference":"http://feed.example/fhir/Patient/r53a-p2/_history/1"}},"request":{"method":"POST","url":"Observation"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"R53A-C"},"subject":{"reference":"` + u + `"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := r53aTx(t, e, hosp, body)
	pids, oids := r53aLocations(r.body, "Patient"), r53aLocations(r.body, "Observation")
	if len(pids) != 2 || len(oids) != 3 {
		t.Fatalf("locations: %v %v %.600s", pids, oids, r.body)
	}
	want := []string{pids[1], pids[1], pids[0]}
	for i, oid := range oids {
		o := e.do("GET", "/fhir/Observation/"+oid, hosp, "")
		t.Logf("RESULT Observation %d: %.300s", i, o.body)
		if !strings.Contains(o.body, `"subject":{"reference":"Patient/`+want[i]+`"`) || strings.Contains(o.body, "urn:uuid") || strings.Contains(o.body, "r53a-p2") {
			t.Errorf("Observation %d: subject not Patient/%s or links unresolved: %.400s", i, want[i], o.body)
		}
	}
}

// TestReview53aWrappedHIVUnreadWritePath: the wrapped HIV Condition url in
// a JSON string of text that is not JSON: after an earlier literal holding
// a raw tab in a "{"-led note (jsonLike, so only the JSON decoder reads it,
// which stops at the tab), inside a literal with a raw tab, or a literal
// over several lines. Before and after 4676780 alike.
func TestReview53aWrappedHIVUnreadWritePath(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	w := r53aWrapped()
	for _, c := range []struct{ id, ct, text string }{
		{"r53a-tab-earlier", "text/plain", "{\"a\":\"x\ty\",\"content\":\"" + w + "\"}"},
		{"r53a-tab-inside", "text/plain", "{\"content\":\"note\t" + w + "\"}"},
		{"r53a-over-lines", "text/plain", "Export:\n{\"content\":\"" + strings.ReplaceAll(w, `\n`, "\\n\n") + "\"}"},
	} {
		if r := e.do("PUT", "/fhir/DocumentReference/"+c.id, gp, r53aDocJSON(c.id, c.ct, c.text)); r.status != 200 && r.status != 201 {
			t.Fatalf("PUT %s: %d %.300s", c.id, r.status, r.body)
		}
		r := e.do("GET", "/fhir/DocumentReference/"+c.id, hosp, "")
		t.Logf("RESULT GET %s as RHX: %d %.200s", c.id, r.status, r.body)
		if r.status == 200 {
			t.Errorf("%s: the letter wrapping Jane's HIV Condition went to the hospital (not its source): %d", c.id, r.status)
		}
	}
}
