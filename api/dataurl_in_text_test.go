package api_test

// A data: url written inside an attachment's XML text (a FHIR XML
// Attachment's <url value>) is a payload for every reader of attachment
// text: the refuge check read it (review 40a), the label net and the
// restricted person's check did not (note 33's lead). Each data: url here
// is wholly percent-encoded, so no word or digit of what it carries shows
// in the text around it.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// pctAll percent-encodes every byte of s.
func pctAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// xmlAttachmentURL is a FHIR XML DocumentReference whose attachment's url
// is u.
func xmlAttachmentURL(u string) string {
	return `<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/><content><attachment><url value="` + u + `"/></attachment></content></DocumentReference>`
}

// TestDataURLInXMLTextLabelled: Jane's letter, FHIR XML, carrying a
// Condition coding HIV (86406008) as FHIR JSON in a percent-encoded data:
// url: labelled as the same Condition in base64 is, so withheld from the
// hospital clinician RHX.
func TestDataURLInXMLTextLabelled(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`
	if st := r26aLetter(t, e, "du-hiv-b64", `{"contentType":"application/fhir+xml","data":"`+b64r31a(xmlAttachmentURL("data:application/fhir+json;base64,"+b64r31a(cond)))+`"}`, ""); st != 404 {
		t.Fatalf("premise: the Condition in base64: RHX reads the letter: %d, want 404", st)
	}
	for i, mt := range []string{"application/fhir+json", "text/plain", ""} {
		id := fmt.Sprintf("du-hiv-pct%d", i)
		u := "data:" + mt + "," + pctAll(cond)
		if st := r26aLetter(t, e, id, `{"contentType":"application/fhir+xml","data":"`+b64r31a(xmlAttachmentURL(u))+`"}`, ""); st != 404 {
			t.Errorf("hospital-clinician RHX: GET %s (an HIV Condition percent-encoded in a data: url typed %q inside XML) -> %d, want 404 (labelled)", id, mt, st)
		}
	}
}

// TestDataURLInXMLTextRestrictedPerson: r21's (restricted) Patient as FHIR
// XML in a percent-encoded data: url inside her own letter, and inside
// Jane's with her NHS number: not released whole to the hospital
// clinician RHX in her care team.
func TestDataURLInXMLTextRestrictedPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, c := range []struct{ name, person, doc string }{
		{"her-own", "r21", r32aHerPatientXML},
		{"janes", "jane", r33aHerPatientXMLNHS},
	} {
		id := "du-" + c.name
		data := b64r31a(xmlAttachmentURL("data:application/fhir+xml," + pctAll(c.doc)))
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/` + c.person + `"},
		"type":{"text":"DU-LETTER"},"content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + data + `"}}]}`})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if r.status != 200 {
			t.Errorf("%s: premise: RHX reads the letter: %d %.200s", id, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, data) {
			t.Errorf("%s: the hospital clinician RHX reads %s's letter carrying r21's (restricted) Patient percent-encoded in a data: url inside XML, whole", id, c.person)
		}
	}
}

// TestDataURLInTextNestedCost: r21's (restricted) own letter whose XML
// attachment holds "data:,data:,…": each data: url's payload is the next,
// six bytes shorter, so reading every level costs the square of the size.
// Written by the GP and read by the hospital clinician RHX in her care
// team (the restricted person's check reads her unread attachments), it
// costs no more than about ten times an ordinary letter of the same size.
func TestDataURLInTextNestedCost(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe on a 400 KB body: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	const n = 50000
	put := func(id, text string) {
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/r21"},
		"type":{"text":"DU-LETTER"},"content":[{"attachment":{"contentType":"text/plain","data":"` + b64r31a(text) + `"}}]}`})
	}
	put("du-plain", `<x a="`+strings.Repeat("seen! ", n)+`"/>`)
	c0 := cpuTime()
	put("du-nest", `<x a="`+strings.Repeat("data:,", n)+`ok"/>`)
	write := cpuTime() - c0
	e.do("GET", "/fhir/DocumentReference/du-plain", hosp, "")
	c0 = cpuTime()
	e.do("GET", "/fhir/DocumentReference/du-plain", hosp, "")
	base := cpuTime() - c0
	c0 = cpuTime()
	r := e.do("GET", "/fhir/DocumentReference/du-nest", hosp, "")
	read := cpuTime() - c0
	t.Logf("write %v; read: ordinary %v, nested data: urls %v (%d)", write, base, read, r.status)
	if write > 2*time.Second {
		t.Errorf("writing a 400 KB letter of nested data: urls took %v CPU", write)
	}
	if read > 10*base+time.Second {
		t.Errorf("reading a 400 KB letter of nested data: urls took %v CPU; an ordinary one %v", read, base)
	}
}
