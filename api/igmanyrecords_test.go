package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// TestWhoAccessedCoversEveryRecordCarryingHerNumber: a person's report
// covers her other records, the Patients carrying her NHS number (1a2a415),
// but read at most 20 of them, as the sharing decision does (which then
// fails closed), and said nothing of the rest: with 25 records filed under
// Jane's number, a read of the 25th was missing from her $who-accessed and
// AuditEvent?patient=, so IG could not tell her it happened. A report now
// reads up to 1,000 per number, and says when there were more.
func TestWhoAccessedCoversEveryRecordCarryingHerNumber(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	other := e.token("system", "nhs", "RYY")
	for i := 0; i < 25; i++ {
		id := fmt.Sprintf("aa-dup-%02d", i)
		if r := e.do("PUT", "/fhir/Patient/"+id, other, `{"resourceType":"Patient","id":"`+id+`","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}`); r.status != 201 {
			t.Fatalf("%s: %d %s", id, r.status, r.body)
		}
	}
	reader := e.token("gp", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "reader-of-the-last" })
	if r := e.do("GET", "/fhir/Patient/aa-dup-24", reader, ""); r.status != 200 {
		t.Fatalf("the premise: the organisation reads its own record: %d %.300s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	if r.status != 200 {
		t.Fatalf("%d %.300s", r.status, r.body)
	}
	if !strings.Contains(r.body, `"aa-dup-24"`) || !strings.Contains(r.body, "reader-of-the-last") {
		t.Errorf("$who-accessed?patient=jane misses her 25th other record, or the read of it: %.600s", r.body)
	}
	if strings.Contains(r.body, "otherRecordsIncomplete") {
		t.Errorf("25 records are not more than a report reads: %.300s", r.body)
	}
	if r := e.do("GET", "/fhir/AuditEvent?patient=jane&_count=1000", ig, ""); r.status != 200 || !strings.Contains(r.body, "reader-of-the-last") {
		t.Errorf("AuditEvent?patient=jane misses the read of her 25th other record: %d %.300s", r.status, r.body)
	}
}

// TestWhoAccessedSaysWhenItsRecordsAreIncomplete: past the 1,000 records
// a report reads for one NHS number, it says the accesses to the rest are
// not listed, in JSON and in the printable copy.
func TestWhoAccessedSaysWhenItsRecordsAreIncomplete(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.MaxBody = 1 << 20 })
	seedShared(t, e)
	other := e.token("system", "nhs", "RYY")
	for batch := 0; batch < 4; batch++ {
		var entries []string
		for i := 0; i < 251; i++ {
			id := fmt.Sprintf("many-%d-%03d", batch, i)
			entries = append(entries, `{"resource":{"resourceType":"Patient","id":"`+id+`","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]},"request":{"method":"PUT","url":"Patient/`+id+`"}}`)
		}
		if r := e.do("POST", "/fhir", other, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
			t.Fatalf("batch %d: %d %.300s", batch, r.status, r.body)
		}
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, "")
	if r.status != 200 || !strings.Contains(r.body, `"otherRecordsIncomplete": true`) {
		t.Errorf("with 1,004 records carrying her number, the report does not say it lists accesses to 1,000: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", ig, ""); !strings.Contains(r.body, "accesses to the rest are not listed") {
		t.Errorf("the printable copy does not say so: %.600s", r.body)
	}
	if r := e.do("GET", "/fhir/AuditEvent?patient=jane", ig, ""); r.status != 200 || !strings.Contains(r.body, `"code":"incomplete"`) || !strings.Contains(r.body, "accesses to the rest are not listed") {
		t.Errorf("AuditEvent?patient=jane does not say so in an outcome entry: %d %.600s", r.status, r.body)
	}
}
