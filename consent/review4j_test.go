package consent

import "testing"

// Review 4j: which of a person's Consents are candidates.

// TestReview4jObjectionWithResearchExceptionIsDropped: Jane objects to the
// shared care record, except that she allows research use: OPTOUT whose
// root provision is a permit limited to purpose HRESCH. The root is an
// exception to the base (RootIsScope false): outside it — every direct-care
// read — the base withholds. servesAny (review 4i1) drops the whole Consent
// because its root's purposes are none carex serves, so the objection is
// gone and her record is shared. Such a Consent stored by an older release
// (or written under a policy that served the purpose, before the operator
// narrowed `purposes`) is dropped silently: the same Consent is refused on
// write, but a stored one should count (README: "one stored by an older
// release counts"; refused provisions "fail closed").
func TestReview4jObjectionWithResearchExceptionIsDropped(t *testing.T) {
	out := consAt(t, "out", "2025-03-10", "OPTOUT",
		`{"type":"permit","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HRESCH"}]}`)
	out.Recorder = orgGP
	if out.RootIsScope {
		t.Fatal("setup: the root permit under OPTOUT should be an exception")
	}
	if d := decide(t, users()["hosp"], patient(out), med(orgGP)); d.Effect != Withhold {
		t.Errorf("an objection whose root permits research only is dropped: a direct-care read is released (%s)", d.Explain())
	}
}

// TestReview4jObjectionWithCorrectionExceptionIsDropped: the same with the
// root exception limited to action correct ("object, but my GP may still
// correct my record"): GovernsReads drops the whole Consent, releasing
// everything. (Older than 4i1, same shape.)
func TestReview4jObjectionWithCorrectionExceptionIsDropped(t *testing.T) {
	out := consAt(t, "out", "2025-03-10", "OPTOUT", `{"type":"permit","action":[`+action("correct")+`]}`)
	out.Recorder = orgGP
	if d := decide(t, users()["hosp"], patient(out), med(orgGP)); d.Effect != Withhold {
		t.Errorf("an objection whose root permits corrections only is dropped: a read is released (%s)", d.Explain())
	}
}
