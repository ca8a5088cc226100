package api_test

// Review 62a: re-read of b28ee0a..main (reviews 61a-61f fixes).

import (
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// r62aDenyJune2015ToHospital: Jane's objection to sharing her records of
// June 2015 with the hospital RHX (as review 61c's).
func r62aDenyJune2015ToHospital() [2]string {
	return [2]string{"/fhir/Consent/c62a", janeConsent("c62a", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","dataPeriod":{"start":"2015-06-01","end":"2015-06-30"},"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RHX"}}]}`)}
}

func r62aSnip(body, at string) string {
	i := strings.Index(body, at)
	if i < 0 {
		if len(body) > 300 {
			return body[:300]
		}
		return body
	}
	lo, hi := max(0, i-160), min(len(body), i+160)
	return body[lo:hi]
}

// TestReview62aReceptionistConsentTaggedAppointmentsLiftsObjection: the
// 61d fix refuses a role outside sees-own-records a write of a class it
// may not see, judged by the write's data class. A Consent carrying the
// data-class tag "appointments" (a clinical class, so the tag wins over
// the Consent type's own class) is of class appointments, which the
// receptionist sees: she records a patient-privacy Consent that lifts the
// practice's objection to Jane's shared record (SPEC §5 layer 1, 61d).
func TestReview62aReceptionistConsentTaggedAppointmentsLiftsObjection(t *testing.T) {
	e := r21bReceptionistEnv(t)
	janeObjects(t, e, e.token("system", "nhs", "A81001"))
	rec := e.token("receptionist", "nhs", "A81001")
	body := strings.Replace(strings.Replace(janeConsent("", "2026-01-10", "OPTIN", ""), `"id":"",`, "", 1),
		`"status":"active",`, `"status":"active","meta":{"tag":[{"system":"https://carex.example/data-class","code":"appointments"}]},`, 1)
	r := e.do("POST", "/fhir/Consent", rec, body)
	if r.status < 400 {
		t.Errorf("receptionist (no consent class) recorded a Consent of Jane's tagged appointments: %d %s", r.status, r62aSnip(r.body, "Consent"))
	}
	if nurseReadsDiabetes(t, e) {
		t.Error("the receptionist's appointments-tagged permit lifted the practice's objection: the nurse reads Jane's diabetes")
	}
}

// TestReview62aReceptionistUpdateChangesClass: the 61d check is made on a
// create only; an update of her practice's own Appointment (which she
// sees) into an item of a class she may not see (data-class tag
// problems) is stored, though a create of the same is refused.
func TestReview62aReceptionistUpdateChangesClass(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	appt := `{"resourceType":"Appointment","id":"r62a-appt","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}],"start":"2026-02-01T10:00:00Z","end":"2026-02-01T10:10:00Z"%s}`
	if r := e.do("PUT", "/fhir/Appointment/r62a-appt", rec, strings.Replace(appt, "%s", "", 1)); r.status != 201 {
		t.Fatalf("receptionist creates an appointment: %d %s", r.status, r.body)
	}
	tagged := strings.Replace(appt, "%s", `,"meta":{"tag":[{"system":"https://carex.example/data-class","code":"problems"}]}`, 1)
	tagged2 := strings.Replace(tagged, "r62a-appt", "r62a-appt2", 1)
	if r := e.do("PUT", "/fhir/Appointment/r62a-appt2", rec, tagged2); r.status < 400 {
		t.Logf("premise: create of a problems-tagged Appointment allowed: %d", r.status)
	}
	if r := e.do("PUT", "/fhir/Appointment/r62a-appt", rec, tagged); r.status < 400 {
		t.Errorf("receptionist (no problems class) turned her appointment into problems data by update: %d %s", r.status, r62aSnip(r.body, "problems"))
	}
}

// TestReview62aSoundReceptionistCreatesAppointmentAndPatient: no false
// refusal of the 61d check: the receptionist records appointments and
// demographics, single and in a transaction.
func TestReview62aSoundReceptionistCreatesAppointmentAndPatient(t *testing.T) {
	e := r21bReceptionistEnv(t)
	rec := e.token("receptionist", "nhs", "A81001")
	if r := e.do("POST", "/fhir/Appointment", rec, `{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}],"start":"2026-02-01T10:00:00Z","end":"2026-02-01T10:10:00Z"}`); r.status != 201 {
		t.Errorf("receptionist POST Appointment: %d %s", r.status, r62aSnip(r.body, ""))
	}
	if r := e.do("POST", "/fhir/Patient", rec, `{"resourceType":"Patient","name":[{"family":"New","given":["Pat"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`); r.status != 201 {
		t.Errorf("receptionist POST Patient: %d %s", r.status, r62aSnip(r.body, ""))
	}
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","name":[{"family":"Tx","given":["Pat"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]},"request":{"method":"POST","url":"Patient"}},
 {"resource":{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"},"status":"accepted"}],"start":"2026-02-01T10:00:00Z","end":"2026-02-01T10:10:00Z"},"request":{"method":"POST","url":"Appointment"}}]}`
	if r := e.do("POST", "/fhir", rec, tx); r.status != 200 {
		t.Errorf("receptionist transaction Patient+Appointment: %d %s", r.status, r62aSnip(r.body, ""))
	}
	// A gp (in sees-own-records) still creates clinical data.
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("POST", "/fhir/Condition", gp, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R62A-GP"}}`); r.status != 201 {
		t.Errorf("gp POST Condition: %d %s", r.status, r62aSnip(r.body, ""))
	}
}

// TestReview62aConditionAbatedInWordsOnset2024WithheldByDeny2015: 61c
// makes an item whose onset/abatement is given in words undated, and an
// undated item is covered by any deny with a dataPeriod. A diagnosis with
// onsetDateTime 2024-03-01 and abatementString "resolved" is 2024 data (its
// care cannot precede its onset); Jane's deny of her June 2015 records to
// the hospital must not withhold it (before b28ee0a..main it was released,
// judged by its onset).
func TestReview62aConditionAbatedInWordsOnset2024WithheldByDeny2015(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r62aDenyJune2015ToHospital(),
		[2]string{"/fhir/Condition/r62a-abated", `{"resourceType":"Condition","id":"r62a-abated","subject":{"reference":"Patient/jane"},"code":{"text":"R62A-ABATED-2024"},"onsetDateTime":"2024-03-01","abatementString":"resolved after treatment","recordedDate":"2024-03-02"}`},
		[2]string{"/fhir/Condition/r62a-abage", `{"resourceType":"Condition","id":"r62a-abage","subject":{"reference":"Patient/jane"},"code":{"text":"R62A-ABATED-AGE"},"onsetDateTime":"2024-03-01","abatementAge":{"value":80,"unit":"a","system":"http://unitsofmeasure.org","code":"a"},"recordedDate":"2024-03-02"}`},
		[2]string{"/fhir/Condition/r62a-dated", `{"resourceType":"Condition","id":"r62a-dated","subject":{"reference":"Patient/jane"},"code":{"text":"R62A-DATED-2024"},"onsetDateTime":"2024-03-01","recordedDate":"2024-03-02"}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/r62a-dated", hosp, ""); r.status != 200 {
		t.Fatalf("premise: the hospital reads a 2024 diagnosis under a deny of June 2015: %d %s", r.status, r62aSnip(r.body, ""))
	}
	for id, marker := range map[string]string{"r62a-abated": "R62A-ABATED-2024", "r62a-abage": "R62A-ABATED-AGE"} {
		if r := e.do("GET", "/fhir/Condition/"+id, hosp, ""); r.status != 200 {
			t.Errorf("GET Condition/%s (onset 2024, abatement in words/age) as hospital under a deny of June 2015 only: %d %s", id, r.status, r62aSnip(r.body, ""))
		}
		if r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, ""); !strings.Contains(r.body, marker) {
			t.Errorf("$everything as hospital lacks %s (2024 diagnosis) under a deny of June 2015 only", marker)
		}
	}
}

// TestReview62aSoundLogicalRefToVisibleOrNothingKept: a logical reference
// naming an item the reader sees (Jane's diabetes, by its problem number)
// or an identifier stored nowhere is not masked (no false masking), in a
// read and in $everything.
func TestReview62aSoundLogicalRefToVisibleOrNothingKept(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","identifier":[{"system":"https://gp.example/problem","value":"PROBDIAB62A"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES"}}`},
		[2]string{"/fhir/Goal/g62a", `{"resourceType":"Goal","id":"g62a","lifecycleStatus":"active","description":{"text":"KEEP-g62a"},"subject":{"reference":"Patient/jane"},"addresses":[
 {"type":"Condition","identifier":{"system":"https://gp.example/problem","value":"PROBDIAB62A"},"display":"DIAB-DISP-62A"},
 {"type":"Condition","identifier":{"system":"https://gp.example/problem","value":"PROBNONE62A"},"display":"NONE-DISP-62A"},
 {"identifier":{"system":"https://gp.example/problem","value":"PROBDIAB62A"},"display":"TYPELESS-DISP-62A"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Goal/g62a", "/fhir/Patient/jane/$everything", "/fhir/Goal?patient=jane"} {
		r := e.do("GET", p, nurse, "")
		for _, m := range []string{"DIAB-DISP-62A", "PROBDIAB62A", "NONE-DISP-62A", "PROBNONE62A", "TYPELESS-DISP-62A"} {
			if !strings.Contains(r.body, m) {
				t.Errorf("nurse GET %s: %d, the logical reference %s to an item she sees (or to nothing) is masked: %s", p, r.status, m, r62aSnip(r.body, "addresses"))
			}
		}
	}
}

// TestReview62aTypelessLogicalRefsPastSixteenMasked: a care plan (List)
// naming 20 of Jane's problems by identifier with no type (FHIR allows a
// logical reference without type) — none stored as anything withheld
// (they are the practice's problem numbers of items not in carex, or
// items the nurse sees) — loses the 17th on for the nurse: past
// maxTypelessIdents each is masked (identifier and display), though no
// withheld item is named (SPEC §5: only withheld items are absent).
func TestReview62aTypelessLogicalRefsPastSixteenMasked(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	var entries []string
	for i := 0; i < 20; i++ {
		entries = append(entries, `{"item":{"identifier":{"system":"https://gp.example/problem","value":"P62A-`+string(rune('A'+i))+`"},"display":"TL62A-`+string(rune('A'+i))+`-DISP"}}`)
	}
	e.putAll(t, gpSys, [2]string{"/fhir/List/l62a", `{"resourceType":"List","id":"l62a","meta":{"tag":[{"system":"https://carex.example/data-class","code":"care-plans"}]},"status":"current","mode":"working","title":"KEEP-l62a","subject":{"reference":"Patient/jane"},"entry":[` + strings.Join(entries, ",") + `]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/List/l62a", nurse, "")
	if r.status != 200 {
		t.Fatalf("premise: nurse reads the list: %d %s", r.status, r.body)
	}
	var lost []string
	for i := 0; i < 20; i++ {
		m := "TL62A-" + string(rune('A'+i)) + "-DISP"
		if !strings.Contains(r.body, m) {
			lost = append(lost, m)
		}
	}
	if len(lost) > 0 {
		t.Errorf("nurse GET /fhir/List/l62a: %d, %d of 20 typeless logical references naming nothing withheld are masked (%v): %s", r.status, len(lost), lost, r62aSnip(r.body, "masked"))
	}
}

// TestReview62aCarriedConditionDatedInWordsEscapesDeny: 61c makes a
// Condition whose onset is given in words undated; stored alone, an
// undated item is covered by Jane's deny of her June 2015 records to the
// hospital (fail closed). Carried inside another item (contained in a
// Composition dated 2024), innerClinicalRange passes over an undated resource, so the
// Composition is judged by 2024 alone and released with it — though the carried
// diagnosis was recorded on 10 June 2015 (before b28ee0a..main its
// recordedDate counted and the Composition was withheld).
func TestReview62aCarriedConditionDatedInWordsEscapesDeny(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"text":"R62A-CARRIED-JUNE2015"},"onsetString":"June 2015","recordedDate":"2015-06-10"}`
	e.putAll(t, gpSys, r62aDenyJune2015ToHospital(),
		[2]string{"/fhir/Condition/r62a-alone", strings.Replace(strings.Replace(cond, `"id":"c1"`, `"id":"r62a-alone"`, 1), "R62A-CARRIED-JUNE2015", "R62A-ALONE-JUNE2015", 1)},
		[2]string{"/fhir/Composition/r62a-carrier", `{"resourceType":"Composition","id":"r62a-carrier","status":"final","type":{"text":"R62A-CARRIER"},"subject":{"reference":"Patient/jane"},"date":"2024-01-01","author":[{"reference":"Organization/A81001"}],"title":"Problem summary","contained":[` + cond + `],"section":[{"title":"Problems","entry":[{"reference":"#c1"}]}]}`},
		[2]string{"/fhir/Composition/r62a-control", `{"resourceType":"Composition","id":"r62a-control","status":"final","type":{"text":"R62A-CONTROL"},"subject":{"reference":"Patient/jane"},"date":"2024-01-01","author":[{"reference":"Organization/A81001"}],"title":"Summary"}`})
	if r := e.do("GET", "/fhir/Composition/r62a-control", e.token("hospital-clinician", "nhs", "RHX"), ""); r.status != 200 {
		t.Fatalf("premise: a 2024 Composition is released to the hospital under the deny of June 2015: %d", r.status)
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/r62a-alone", hosp, ""); r.status != 404 {
		t.Logf("premise: the undated diagnosis stored alone: %d", r.status)
	}
	for _, p := range []string{"/fhir/Composition/r62a-carrier", "/fhir/Patient/jane/$everything", "/fhir/Composition?patient=jane"} {
		r := e.do("GET", p, hosp, "")
		if strings.Contains(r.body, "R62A-CARRIED-JUNE2015") {
			t.Errorf("hospital (RHX) GET %s: %d, a diagnosis recorded 10 June 2015 (onset in words) released inside a Composition under Jane's deny of June 2015: %s", p, r.status, r62aSnip(r.body, "R62A-CARRIED-JUNE2015"))
		}
	}
}

// TestReview62aSpanOfDatesWithheldByDenyBetweenThem: 61c's rule is that "a
// deny covers an item any of whose dates it meets", but clinicalRange
// keeps one span from the earliest date to the latest, so a deny of June
// 2015 now covers a diagnosis with onset March 2010 recorded March 2024
// (and an allergy so dated), neither of whose dates is in June 2015: the
// hospital loses Jane's current diabetes and penicillin allergy (before
// b28ee0a..main both were released).
func TestReview62aSpanOfDatesWithheldByDenyBetweenThem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, r62aDenyJune2015ToHospital(),
		[2]string{"/fhir/Condition/r62a-span", `{"resourceType":"Condition","id":"r62a-span","subject":{"reference":"Patient/jane"},"code":{"text":"R62A-SPAN-DIABETES"},"onsetDateTime":"2010-03-01","recordedDate":"2024-03-02"}`},
		[2]string{"/fhir/AllergyIntolerance/r62a-span", `{"resourceType":"AllergyIntolerance","id":"r62a-span","patient":{"reference":"Patient/jane"},"code":{"text":"R62A-SPAN-PENICILLIN"},"onsetDateTime":"2010-03-01","recordedDate":"2024-03-02"}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	ev := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	for p, m := range map[string]string{"/fhir/Condition/r62a-span": "R62A-SPAN-DIABETES", "/fhir/AllergyIntolerance/r62a-span": "R62A-SPAN-PENICILLIN"} {
		if r := e.do("GET", p, hosp, ""); r.status != 200 {
			t.Errorf("hospital (RHX) GET %s (dated March 2010 and March 2024) under a deny of June 2015 only: %d %s", p, r.status, r62aSnip(r.body, ""))
		}
		if !strings.Contains(ev.body, m) {
			t.Errorf("hospital $everything lacks %s (dated 2010 and 2024) under a deny of June 2015 only", m)
		}
	}
}

// TestReview62aSoundDocumentLabelsNotSensitive: a Composition of
// confidentiality N or M, and a DocumentReference whose securityLabel is
// N in v3-Confidentiality, are released to the hospital (no false
// withholding from 61b's new label sources); a Composition of
// confidentiality R is not.
func TestReview62aSoundDocumentLabelsNotSensitive(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys,
		[2]string{"/fhir/Composition/r62a-n", `{"resourceType":"Composition","id":"r62a-n","status":"final","confidentiality":"N","type":{"text":"R62A-CONF-N"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T"}`},
		[2]string{"/fhir/Composition/r62a-m", `{"resourceType":"Composition","id":"r62a-m","status":"final","confidentiality":"M","type":{"text":"R62A-CONF-M"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T"}`},
		[2]string{"/fhir/DocumentReference/r62a-n", `{"resourceType":"DocumentReference","id":"r62a-n","status":"current","subject":{"reference":"Patient/jane"},"description":"R62A-DR-N","securityLabel":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}]}],"content":[{"attachment":{"contentType":"text/plain","title":"Letter"}}]}`})
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, p := range []string{"/fhir/Composition/r62a-n", "/fhir/Composition/r62a-m", "/fhir/DocumentReference/r62a-n"} {
		if r := e.do("GET", p, hosp, ""); r.status != 200 {
			t.Errorf("hospital GET %s: %d, want 200", p, r.status)
		}
	}
}

// TestReview62aSoundAgentSubWithPipe: a user whose sub holds "|"
// (auth0|abc) is found by agent=auth0|abc and by
// agent=https://carex.example/sub|auth0|abc, in AuditEvent and
// $user-activity; an agent with another URI system is 400.
func TestReview62aSoundAgentSubWithPipe(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "auth0|r62a-abc" })
	if r := e.do("GET", "/fhir/Patient/jane", gp, ""); r.status != 200 {
		t.Fatalf("premise: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, v := range []string{"auth0|r62a-abc", "https://carex.example/sub|auth0|r62a-abc"} {
		for _, p := range []string{"/fhir/AuditEvent?agent=", "/fhir/AuditEvent/$user-activity?agent="} {
			r := e.do("GET", p+url.QueryEscape(v), ig, "")
			if r.status != 200 || !strings.Contains(r.body, "r62a-abc") || !strings.Contains(r.body, "jane") {
				t.Errorf("IG GET %s%s: %d, the user's read of Jane not found: %s", p, v, r.status, r62aSnip(r.body, ""))
			}
		}
	}
	if r := e.do("GET", "/fhir/AuditEvent?agent="+url.QueryEscape("urn:oid:1.2.3|r62a-abc"), ig, ""); r.status != 400 {
		t.Errorf("agent with another system: %d, want 400", r.status)
	}
}

// TestReview62aSoundOwnOpeningKeepsDecisionInReport: the 61e change keeps,
// for her own record's opening (Jane's $everything holding a joint
// appointment with Bob), the decision and withheld count in Jane's report;
// Bob's report shows that entry without them.
func TestReview62aSoundOwnOpeningKeepsDecisionInReport(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/bob", `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"Jones","given":["Bob"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Appointment/joint", `{"resourceType":"Appointment","id":"joint","status":"booked","participant":[{"actor":{"reference":"Patient/bob"},"status":"accepted"},{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = "r62a-nurse" })
	if r := e.do("GET", "/fhir/Patient/jane/$everything", nurse, ""); r.status != 200 || strings.Contains(r.body, "GP-HIV-UNLABELLED") {
		t.Fatalf("premise: nurse $everything of Jane: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane&_format=text", ig, "")
	i := strings.Index(r.body, "r62a-nurse")
	if r.status != 200 || i < 0 {
		t.Fatalf("Jane's report: %d %.300s", r.status, r.body)
	}
	line := r.body[i:]
	if j := strings.IndexByte(line, '\n'); j > 0 {
		line = line[:j]
	}
	if !strings.Contains(line, "partial") || strings.Contains(line, "several-people") || strings.Contains(line, "another-person") {
		t.Errorf("Jane's report of her own record's opening lost its decision or withheld count: %q", line)
	}
	rb := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=bob&_format=text", ig, "")
	if k := strings.Index(rb.body, "r62a-nurse"); k >= 0 {
		lb := rb.body[k:]
		if j := strings.IndexByte(lb, '\n'); j > 0 {
			lb = lb[:j]
		}
		if strings.Contains(lb, "partial") || strings.Contains(lb, "claimed-relationship") {
			t.Errorf("Bob's report tells of Jane's withheld items: %q", lb)
		}
	}
}
