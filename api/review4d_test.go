package api_test

// Review 4d: ways around the fixes of 7610dc7, 3c2533f, 0f04869 and
// 91f4a39. Each test fails on the code as reviewed and says, in its
// comment, what goes wrong.

import (
	"slices"
	"strings"
	"testing"
)

// TestReview4dTaggedRelatedPersonNotRedacted: redaction of a restricted
// person's demographics is keyed on the item's data class (consent.Decide:
// it.DataClass == "demographics"), and a writer chooses the data class
// with a meta.tag (search.DataClassTagSystem). A council's carer record —
// a RelatedPerson, the very shape SPEC §5 gives carers — tagged
// social-care (as the council tags its care package) is therefore not
// redacted: the district nurse, who sees social care, reads the carer's
// address and phone (the refuge where Marg lives) in full, and
// RelatedPerson?address-postalcode= answers about it. The same record
// without the tag is redacted. A Patient, RelatedPerson or Person should be
// redacted by its type, whatever its class tag says.
func TestReview4dTaggedRelatedPersonNotRedacted(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	seedRestricted4A(t, e)
	council := e.token("system", "council", "E06000999")
	carer := func(id, tag string) string {
		return `{"resourceType":"RelatedPerson","id":"` + id + `",` + tag + `"patient":{"reference":"Patient/marg"},"name":[{"family":"Carer"}],
		 "address":[{"line":["CARER-REFUGE-` + id + `"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"0700-CARER-` + id + `"}]}`
	}
	e.putAll(t, council,
		[2]string{"/fhir/RelatedPerson/carer-plain", carer("carer-plain", "")},
		[2]string{"/fhir/RelatedPerson/carer-tagged", carer("carer-tagged", `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`)})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/RelatedPerson/carer-plain", nurse, ""); r.status != 200 || strings.Contains(r.body, "CARER-REFUGE") {
		t.Fatalf("the premise: the untagged carer record is redacted for the nurse: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/RelatedPerson/carer-tagged", nurse, "")
	if r.status == 200 && (strings.Contains(r.body, "CARER-REFUGE") || strings.Contains(r.body, "0700-CARER")) {
		t.Errorf("a restricted person's carer record tagged social-care is released to the nurse with its address and phone: %.400s", r.body)
	}
	r = e.do("GET", "/fhir/RelatedPerson?patient=marg&address-postalcode=LS9", nurse, "")
	if strings.Contains(r.body, "RelatedPerson/carer-tagged") {
		t.Errorf("RelatedPerson?address-postalcode= matches the restricted person's tagged carer record: %.400s", r.body)
	}
}

// TestReview4dDeletedLinkedDuplicateLiftsRestriction: 0f04869 keeps a
// deleted Patient restricted by its last version (lastRecord), but only
// for the deleted record itself. A record reached through Patient.link is
// restricted when the record it links to is (person: od.pat.Restricted,
// read from that record's current Patient), and a deleted duplicate has
// no current Patient, so its restriction is dropped. Marg's GP practice
// merges her restricted duplicate (marg-old, labelled R) into marg, which
// says "replaces marg-old": while marg-old exists the nurse gets marg's
// Patient and her next of kin redacted; once the duplicate is retired
// (deleted, as merges do), the nurse reads the refuge address and phone
// on the surviving record and the next of kin's address, and no IG alert
// is raised. person should take a linked record's restriction from its
// last version when it is deleted, as it does for the record itself.
func TestReview4dDeletedLinkedDuplicateLiftsRestriction(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/marg-old", strings.Replace(margRestricted4A, `"id":"marg"`, `"id":"marg-old"`, 1)},
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","name":[{"family":"Marg"}],"address":[{"line":["REFUGE-ADDRESS"]}],
		 "telecom":[{"system":"phone","value":"0700-SECRET"}],"generalPractitioner":[{"reference":"Organization/A81001"}],
		 "link":[{"other":{"reference":"Patient/marg-old"},"type":"replaces"}]}`},
		[2]string{"/fhir/RelatedPerson/mrp", `{"resourceType":"RelatedPerson","id":"mrp","patient":{"reference":"Patient/marg"},"name":[{"family":"Kin"}],"address":[{"line":["KIN-SECRET-ADDRESS"]}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/mteam", `{"resourceType":"CareTeam","id":"mteam","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{"/fhir/Patient/marg", "/fhir/RelatedPerson/mrp"} {
			r := e.do("GET", p, nurse, "")
			if r.status != 200 {
				t.Fatalf("%s: nurse GET %s: %d %.300s", when, p, r.status, r.body)
			}
			for _, s := range []string{"REFUGE-ADDRESS", "0700-SECRET", "KIN-SECRET-ADDRESS"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: nurse GET %s releases the restricted person's %q", when, p, s)
				}
			}
		}
	}
	check("the premise, while the restricted duplicate exists")
	if r := e.do("DELETE", "/fhir/Patient/marg-old", gp, ""); r.status != 204 {
		t.Fatalf("retiring the duplicate: %d %s", r.status, r.body)
	}
	check("after the restricted duplicate was retired")
}

// loggedPeople are the people the recorded exchange of method path names.
func (e *env) loggedPeople(t *testing.T, method, path string) []string {
	t.Helper()
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for i := len(e.rec.xs) - 1; i >= 0; i-- {
		x := e.rec.xs[i]
		if x.Method == method && x.Path == path {
			if x.Patient != "" {
				return append([]string{x.Patient}, x.Patients...)
			}
			return x.Patients
		}
	}
	t.Fatalf("no access-log entry for %s %s", method, path)
	return nil
}

// TestReview4dRefiledWriteNamesOnlyTheNewPerson: 3c2533f notes the people
// of the version a write replaces (noteWritten(existing.Patients)), but a
// write that succeeds names only the people of the new version: commit
// sets x.Patient from r.Version.Patients when there is one, and then
// x.people() (with the replaced version's people) is never asked. So when
// the GP practice re-files Jane's diabetes diagnosis under Bob (a PUT that
// changes its subject — a wrong-patient correction), the access log names
// Bob only: IG's "who changed Jane's record" never shows the write that
// removed a diagnosis from it. The same in a transaction of one person.
// The entry should name the old version's people too.
func TestReview4dRefiledWriteNamesOnlyTheNewPerson(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	moved := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/bob"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`
	if r := e.do("PUT", "/fhir/Condition/diabetes", gp, moved); r.status != 200 {
		t.Fatalf("re-filing: %d %s", r.status, r.body)
	}
	if got := e.loggedPeople(t, "PUT", "/fhir/Condition/diabetes"); !slices.Contains(got, "jane") {
		t.Errorf("the write that took a diagnosis out of Jane's record is logged against %v, not Jane", got)
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + strings.Replace(strings.Replace(moved, "diabetes", "hba1c", 1), `"resourceType":"Condition"`, `"resourceType":"Observation","status":"final"`, 1) + `,"request":{"method":"PUT","url":"Observation/hba1c"}}]}`
	if r := e.do("POST", "/fhir", gp, tx); r.status != 200 {
		t.Fatalf("re-filing in a transaction: %d %s", r.status, r.body)
	}
	if got := e.loggedPeople(t, "POST", "/fhir"); !slices.Contains(got, "jane") {
		t.Errorf("the transaction that took a result out of Jane's record is logged against %v, not Jane", got)
	}
}

// TestReview4dRefusedTransactionNamesOnlyTheFirstRefusal: decideWrites
// notes each write's people just before deciding it and stops at the first
// refusal, so a refused transaction is logged against the people of the
// entries up to the refused one only. A district nurse's transaction whose
// DELETE of the GP's diagnosis of Jane is refused (403; deletes are
// decided first) and whose POST records an allergy for Bob is logged against Jane alone, though it would
// have written Bob's record too (3c2533f: "a transaction across people
// names them all"). The people of every entry should be noted before any
// is decided.
func TestReview4dRefusedTransactionNamesOnlyTheFirstRefusal(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","name":[{"family":"Bob"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/bobteam", `{"resourceType":"CareTeam","id":"bobteam","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"request":{"method":"DELETE","url":"Condition/diabetes"}},
	 {"resource":{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/bob"},"code":{"text":"penicillin"}},"request":{"method":"POST","url":"AllergyIntolerance"}}]}`
	if r := e.do("POST", "/fhir", nurse, tx); r.status != 403 {
		t.Fatalf("the premise: the transaction is refused: %d %s", r.status, r.body)
	}
	got := e.loggedPeople(t, "POST", "/fhir")
	if !slices.Contains(got, "jane") || !slices.Contains(got, "bob") {
		t.Errorf("a refused transaction that would have written Jane's and Bob's records is logged against %v", got)
	}
}

// TestReview4dStrangerSystemRecordsObjection: 7610dc7 stops a stranger's
// permit from releasing sensitive data, but ConsentPolicy.MayWrite still
// skips the relationship check for own-organisation-only roles, so the
// client system of an organisation with no relationship with Jane at all
// (and no break-glass, which the same commit says gives no right to record
// a Consent) records an OPTOUT for her. Withhold wins between recorders
// and only the recorder can supersede its own consent, so Jane's whole
// shared record disappears from her district nurse (and the hospital and
// council) until the stranger chooses to lift it: her diabetes diagnosis
// is 404 to the nurse. A system should need a relationship with the person
// to record their consent, as its users do.
func TestReview4dStrangerSystemRecordsObjection(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("the premise: the nurse reads Jane's diabetes: %d", r.status)
	}
	w := e.do("PUT", "/fhir/Consent/z-out", e.token("system", "nhs", "Z99999"), janeConsent("z-out", "2026-02-01", "OPTOUT", ""))
	if w.status < 400 {
		t.Errorf("a client system with no relationship with Jane recorded her objection: %d", w.status)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Errorf("after a stranger's system recorded an OPTOUT for Jane, her nurse no longer reads her diabetes: %d", r.status)
	}
}
