package api_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// explainItem is the part of a $explain answer about one resource (from
// its reference to the next item), or "" when it is not listed.
func explainItem(body, ref string) string {
	i := strings.Index(body, `"reference":"`+ref+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest[1:], `{"name":"item"`); j >= 0 {
		rest = rest[:j+1]
	}
	return rest
}

// TestExplainTellsLegallyRestricted: the IG officer sees no clinical
// content, and README promises that $explain gives a withheld sensitive
// item's reason as "sensitive-label", not which label. But an item labelled
// HFEA or GRA is explained as "legally-restricted", which tells the IG
// officer that this person has assisted-fertilisation or gender-history
// records (the only two legally restricted labels by default).
func TestExplainTellsLegallyRestricted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	if r := e.do("PUT", "/fhir/Procedure/ivf", hosp, `{"resourceType":"Procedure","id":"ivf","status":"completed","subject":{"reference":"Patient/jane"},
	 "meta":{"security":[{"system":"https://carex.example/label","code":"HFEA"}]},"code":{"text":"IVF-CYCLE"}}`); r.status != 201 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs", ig, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	item := explainItem(r.body, "Procedure/ivf")
	if item == "" || !strings.Contains(item, `"withhold"`) {
		t.Fatalf("baseline: Procedure/ivf should be explained as withheld: %s", item)
	}
	if strings.Contains(item, "legally-restricted") {
		t.Errorf("$explain tells the IG officer that Procedure/ivf carries a legally restricted label (HFEA or GRA): %s", item)
	}
}

// TestExplainDisagreesOnSharedItem: $explain decides each item of the
// person's record with that person's consents alone, but a real request
// decides an item several people share (a joint appointment) with every
// one of them. John has opted out; the GP gets no joint appointment, yet
// $explain tells the IG officer it was released to her.
func TestExplainDisagreesOnSharedItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	optout := strings.ReplaceAll(janeConsent("john-optout", "2026-01-10", "OPTOUT", ""), "Patient/jane", "Patient/john")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Patient/john", `{"resourceType":"Patient","id":"john","name":[{"family":"Smith","given":["John"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Consent/john-optout", optout})
	e.putAll(t, hosp, [2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","description":"JOINT-APPT",
	 "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"Patient/john"},"status":"accepted"}]}`})

	gp := e.token("gp", "nhs", "A81001")
	real := e.do("GET", "/fhir/Appointment/joint", gp, "")
	ev := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	if real.status == 200 || strings.Contains(ev.body, "JOINT-APPT") {
		t.Fatalf("baseline: the GP should not get the joint appointment (John opted out): read %d", real.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs&sub=gp-user", ig, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	item := explainItem(r.body, "Appointment/joint")
	if item == "" {
		t.Fatalf("Appointment/joint not explained: %s", r.body)
	}
	if !strings.Contains(item, `"withhold"`) {
		t.Errorf("$explain says the GP gets Appointment/joint, a real read withholds it (%d): %s", real.status, item)
	}
}

// TestImportBinaryMissesTargetUpdatedInSameBundle: a Binary takes the
// people and labels of the document its securityContext names "as stored
// when the Binary is written". An import bundle that corrects the document
// (now coding an HIV diagnosis) and carries its Binary writes both in one
// atomic transaction, yet the Binary is derived from the document as it
// was before the bundle (read outside the transaction): it is in Jane's
// record with no HIV label, and her GP, who may not see the document,
// gets the HIV letter's content. carex relabel later labels it, so the
// import stored what no write "now" would.
func TestImportBinaryMissesTargetUpdatedInSameBundle(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	p := &auth.Principal{Sub: "carex-import", Org: "RHX", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	doc := func(code string) string {
		return `{"resourceType":"DocumentReference","id":"letter","status":"current","subject":{"reference":"Patient/jane"},
		 "type":{"text":"clinic letter"},"context":{"event":[` + code + `]},
		 "content":[{"attachment":{"contentType":"application/pdf","url":"Binary/letter-pdf"}}]}`
	}
	if _, err := e.api.Import(context.Background(), p, []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":`+doc(`{"text":"follow-up"}`)+`}]}`)); err != nil {
		t.Fatal(err)
	}
	bin := `{"resourceType":"Binary","id":"letter-pdf","contentType":"text/plain","securityContext":{"reference":"DocumentReference/letter"},"data":"` +
		base64.StdEncoding.EncodeToString([]byte("HIV-LETTER-CONTENT")) + `"}`
	if _, err := e.api.Import(context.Background(), p, []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":`+doc(hivCC)+`},{"resource":`+bin+`}]}`)); err != nil {
		t.Fatal(err)
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/DocumentReference/letter", gp, ""); r.status != 404 {
		t.Fatalf("baseline: the GP should not get the HIV-coded document: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Binary/letter-pdf", gp, ""); r.status == 200 {
		t.Errorf("the GP gets the Binary of the HIV document imported with it: %d %s", r.status, r.body)
	}
}
