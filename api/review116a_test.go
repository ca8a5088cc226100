package api_test

import (
	"strings"
	"testing"
)

// Review 116a: re-read of ff67db0 (revision 2026-12-08c): quotesNote,
// taskNote, noteType, noteHeading, namesNote, headingNames, noteStatus
// (fhir/search/dataclass.go). Regressions (over-withholding) in real
// council wording first, then leaks.

func r116aSR(id, extra string) [2]string {
	return [2]string{"/fhir/ServiceRequest/" + id, `{"resourceType":"ServiceRequest","id":"` + id + `","status":"active","intent":"order",` + r115aSubj + `,
 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}]}],"code":{"text":"COUNCIL-REFERRAL-REABLEMENT"}` + extra + `}`}
}

func r116aSRNote(id, note string) [2]string {
	return r116aSR(id, `,"note":[{"text":"`+note+`"}]`)
}

func r116aWant(t *testing.T, got map[string]int, want int, what string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if got[p] != want {
			t.Errorf("%s: district nurse GET %s: %d, want %d", what, p, got[p], want)
		}
	}
}

// A council reablement service's own "discharge summary" (its closing
// summary when it discharges the person from reablement) and a social
// worker's "Social work discharge summary": headingNames match the
// letter's name among the first five words, and socialWords are not
// consulted for headings, so the council's own summary of its own service
// is a document, withheld from the district nurse who needs the social
// care package (SPEC §1). (Judgement: SPEC is silent; a careful council
// user expects its own reablement closure to be social care, as README
// already says of "Social work progress note" as a type.) Controls: the
// same words headed "Reablement closing summary:" reach her.
func TestReview116aCouncilOwnDischargeSummaryReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	body := "Mrs Smith now independent with personal care and meals; discharged from reablement 05/12, no ongoing package; key safe 1234."
	got := r115aNurseGets(t, e,
		r115aPlan("r116a-planctrl", "Reablement closing summary: "+body),
		r115aPlan("r116a-planrds", "Reablement discharge summary: "+body),
		r115aMsg("r116a-msgswds", "Social work discharge summary - "+body),
		r116aSRNote("r116a-srrds", "Reablement discharge summary: "+body))
	tasks := r114aNurseGets(t, e, map[string]string{
		"r116a-tctrl": `,"description":"Reablement closing summary: ` + body + `"`,
		"r116a-trds":  `,"description":"Reablement discharge summary: ` + body + `"`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	if got["/fhir/CarePlan/r116a-planctrl"] != 200 || tasks["r116a-tctrl"] != 200 {
		t.Fatalf("controls: %v %v, want 200", got, tasks)
	}
	r116aWant(t, got, 200, "REGRESSION: the council's own reablement/social work discharge summary",
		"/fhir/CarePlan/r116a-planrds", "/fhir/Communication/r116a-msgswds", "/fhir/ServiceRequest/r116a-srrds")
	if tasks["r116a-trds"] != 200 {
		t.Errorf("REGRESSION: the council's Task 'Reablement discharge summary: ...': %d, want 200", tasks["r116a-trds"])
	}
}

// A council case moved between teams (hospital social work team to a
// locality team) is written up in LAS/Mosaic as a "Transfer summary".
// Review 115a took "Transfer of care" out of headingNames for this very
// reason; "transfer summary" stayed, and the council's case-transfer
// step is a document. (Judgement, as review 115a.) Control: "Case
// transfer:" reaches her.
func TestReview116aCouncilCaseTransferSummaryReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	body := "case moved from the hospital social work team to the East locality team; allocated worker J Bloggs; package unchanged."
	got := r115aNurseGets(t, e,
		r115aMsg("r116a-tsctrl", "Case transfer: "+body),
		r115aMsg("r116a-tsmsg", "Transfer summary: "+body),
		r115aPlan("r116a-tsplan", "Transfer summary - "+body))
	tasks := r114aNurseGets(t, e, map[string]string{
		"r116a-tstask": `,"description":"Transfer summary: ` + body + `"`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	if got["/fhir/Communication/r116a-tsctrl"] != 200 {
		t.Fatalf("control: %d, want 200", got["/fhir/Communication/r116a-tsctrl"])
	}
	r116aWant(t, got, 200, "REGRESSION: the council's case-transfer summary", "/fhir/Communication/r116a-tsmsg", "/fhir/CarePlan/r116a-tsplan")
	if tasks["r116a-tstask"] != 200 {
		t.Errorf("REGRESSION: the council's Task 'Transfer summary: case moved ...': %d, want 200", tasks["r116a-tstask"])
	}
}

// A checklist line (under 120 characters) saying what happens to the
// letter, with its status word past the second word after the name
// ("ward to send ...", "will be emailed ..."), or saying there is none
// ("N/A - no admission"): namesNote looks for a status word only at
// a-2, a-1, b and b+1, so these are taken for a quoted letter. The same
// line with the status word next to the name ("awaited from the ward")
// reaches her. (Judgement, as review 113a's checklist items.)
func TestReview116aChecklistLineStatusFurtherOnReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r114aNurseGets(t, e, map[string]string{
		"r116a-clctrl":  `,"note":[{"text":"Discharge summary: awaited from the ward; package restarts Monday."}]`,
		"r116a-clward":  `,"note":[{"text":"Discharge summary: ward to send direct to the GP; package restarts Monday."}]`,
		"r116a-clwill":  `,"note":[{"text":"Discharge letter: will be emailed to the GP by the ward tomorrow."}]`,
		"r116a-clna":    `,"note":[{"text":"Discharge summary: N/A - no hospital admission, referral came from the GP."}]`,
		"r116a-clnotrc": `,"note":[{"text":"Discharge summary: we have not had a copy; package restarts Monday."}]`,
	})
	t.Logf("nurse: %v", got)
	if got["r116a-clctrl"] != 200 {
		t.Fatalf("control: %d, want 200", got["r116a-clctrl"])
	}
	for _, id := range []string{"r116a-clward", "r116a-clwill", "r116a-clna", "r116a-clnotrc"} {
		if got[id] != 200 {
			t.Errorf("REGRESSION: the council Task's checklist line %s: %d, want 200", id, got[id])
		}
	}
}

// The hospital's notice to the council under the Care Act (a discharge
// notification, as most trusts' integrated discharge teams title it) as
// the council's referral records it, and the hospital social work team's
// "Immediate discharge:" message: logistics for the package (times, key
// safe), no clinical content; both are documents now and withheld from
// the district nurse, who has to know the person is home. (Judgement:
// README lists "discharge notification" and "immediate discharge" as a
// hospital letter's names; the legal notice is the council's social
// care record.) Control: "Hospital discharge:" reaches her.
func TestReview116aCareActDischargeNoticeReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	body := "Mrs Smith home from ward 12 today, package restarts at 5pm, key safe 1234."
	got := r115aNurseGets(t, e,
		r116aSRNote("r116a-dnctrl", "Hospital discharge: "+body),
		r116aSRNote("r116a-dnsr", "Discharge notification: "+body),
		r115aMsg("r116a-dnimm", "Immediate discharge - "+body))
	t.Logf("nurse: %v", got)
	if got["/fhir/ServiceRequest/r116a-dnctrl"] != 200 {
		t.Fatalf("control: %d, want 200", got["/fhir/ServiceRequest/r116a-dnctrl"])
	}
	r116aWant(t, got, 200, "REGRESSION (judgement): the council's record of the hospital's discharge notice",
		"/fhir/ServiceRequest/r116a-dnsr", "/fhir/Communication/r116a-dnimm")
}

// The hospital's discharge summary quoted whole under its name in fields
// of the council's items quotesNote and taskNote do not read. Each
// finding is logged; every one that reaches the nurse is a leak. The
// control (the summary in a read field) is withheld.
func TestReview116aQuotedSummaryInOtherFieldsWithheld(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	ds := r115aDS
	got := r115aNurseGets(t, e,
		r116aSRNote("r116a-lkctrl", ds),
		r116aSR("r116a-srreason", `,"reasonCode":[{"text":"`+ds+`"}]`),
		r116aSR("r116a-srorder", `,"orderDetail":[{"text":"`+ds+`"}]`),
		[2]string{"/fhir/CarePlan/r116a-cpreason", `{"resourceType":"CarePlan","id":"r116a-cpreason","status":"active","intent":"plan",` + r115aSubj + `,
 "activity":[{"detail":{"status":"in-progress","description":"Four calls a day.","reasonCode":[{"text":"` + ds + `"}]}}]}`},
		[2]string{"/fhir/CarePlan/r116a-cpoutcome", `{"resourceType":"CarePlan","id":"r116a-cpoutcome","status":"active","intent":"plan",` + r115aSubj + `,
 "activity":[{"outcomeCodeableConcept":[{"text":"` + ds + `"}],"detail":{"status":"in-progress","description":"Four calls a day."}}]}`},
		[2]string{"/fhir/Communication/r116a-msgtopic", `{"resourceType":"Communication","id":"r116a-msgtopic","status":"completed",` + r115aSubj + `,
 "recipient":[{"reference":"Organization/RCX"}],"topic":{"text":"` + ds + `"},"payload":[{"contentString":"Update for the nurses."}]}`},
	)
	tasks := r114aNurseGets(t, e, map[string]string{
		"r116a-treason": `,"reasonCode":{"text":"` + ds + `"}`,
		"r116a-tstatus": `,"statusReason":{"text":"` + ds + `"}`,
		"r116a-tbiz":    `,"businessStatus":{"text":"` + ds + `"}`,
		"r116a-tannot":  `,"input":[{"type":{"text":"Hospital information"},"valueAnnotation":{"text":"` + ds + `"}}]`,
		"r116a-tcc":     `,"input":[{"type":{"text":"Hospital information"},"valueCodeableConcept":{"text":"` + ds + `"}}]`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	if got["/fhir/ServiceRequest/r116a-lkctrl"] != 404 {
		t.Fatalf("control (the summary in the referral's note): %d, want 404", got["/fhir/ServiceRequest/r116a-lkctrl"])
	}
	for p, s := range got {
		if p != "/fhir/ServiceRequest/r116a-lkctrl" && s != 404 && s != 400 && s != 422 {
			t.Errorf("LEAK: district nurse GET the council's %s quoting the hospital's discharge summary: %d, want 404", p, s)
		}
	}
	for id, s := range tasks {
		if s != 404 {
			t.Errorf("LEAK: district nurse GET the council's Task %s quoting the hospital's discharge summary: %d, want 404", id, s)
		}
	}
}

// The council's own referral letter to a care provider (a brokerage
// referral: "please start four calls a day ..."), typed "Referral letter"
// as the council's case-management system names the document it
// generates: typeNames holds "referral letter" and socialWords does not
// hold "provider", "brokerage" or "care", so 40+ characters under it make
// the council's Task a document, withheld from the district nurse.
// (Judgement: the council's letter commissioning its own package is
// social care.) Control: typed "Provider request".
func TestReview116aCouncilReferralLetterToProviderReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	letter := "Dear Provider, please start a package of four calls a day from Monday 08/12, double-handed; key safe 1234; daughter is the contact."
	got := r114aNurseGets(t, e, map[string]string{
		"r116a-rlctrl": `,"input":[{"type":{"text":"Provider request"},"valueString":"` + letter + `"}]`,
		"r116a-rl":     `,"input":[{"type":{"text":"Referral letter"},"valueString":"` + letter + `"}]`,
		"r116a-rlprov": `,"input":[{"type":{"text":"Referral letter to care provider"},"valueString":"` + letter + `"}]`,
	})
	t.Logf("nurse: %v", got)
	if got["r116a-rlctrl"] != 200 {
		t.Fatalf("control: %d, want 200", got["r116a-rlctrl"])
	}
	for _, id := range []string{"r116a-rl", "r116a-rlprov"} {
		if got[id] != 200 {
			t.Errorf("REGRESSION (judgement): the council's own referral letter to its care provider, Task %s: %d, want 200", id, got[id])
		}
	}
}

// Checked: a checklist line whose status word stands at the name or the
// word after ("to follow", "awaited", "not yet received") reaches the
// nurse; the summary quoted in each field quotesNote reads of a care
// plan (progress, note, description) and a referral (patientInstruction)
// is withheld.
func TestReview116aSoundReadFieldsAndNearStatusWords(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	tasks := r114aNurseGets(t, e, map[string]string{
		"r116a-sfollow": `,"note":[{"text":"Discharge summary: to follow from the ward; package restarts Monday."}]`,
		"r116a-snotyet": `,"note":[{"text":"Discharge letter - not yet received, package restarts Monday at 5pm."}]`,
	})
	for id, s := range tasks {
		if s != 200 {
			t.Errorf("checklist line %s: %d, want 200", id, s)
		}
	}
	ds := r115aDS
	got := r115aNurseGets(t, e,
		r116aSR("r116a-spi", `,"patientInstruction":"`+ds+`"`),
		[2]string{"/fhir/CarePlan/r116a-sprog", `{"resourceType":"CarePlan","id":"r116a-sprog","status":"active","intent":"plan",` + r115aSubj + `,
 "activity":[{"progress":[{"text":"` + ds + `"}],"detail":{"status":"in-progress","description":"Four calls a day."}}]}`},
		[2]string{"/fhir/CarePlan/r116a-snote", `{"resourceType":"CarePlan","id":"r116a-snote","status":"active","intent":"plan",` + r115aSubj + `,
 "note":[{"text":"` + ds + `"}]}`},
		[2]string{"/fhir/CarePlan/r116a-sdesc", `{"resourceType":"CarePlan","id":"r116a-sdesc","status":"active","intent":"plan",` + r115aSubj + `,
 "description":"` + ds + `"}`})
	for p, s := range got {
		if s != 404 {
			t.Errorf("district nurse GET %s quoting the summary in a read field: %d, want 404", p, s)
		}
	}
}

// The summary's name at its head in a short first part, its body in the
// next (a message's payloads, a Task's notes, a care plan's activities,
// as systems split a pasted letter line by line), and the summary headed
// by its everyday abbreviations (IDL, EDS, D/C summary). The control
// (whole, headed "Discharge summary,") is withheld, and so are the
// abbreviations. The split letter is a README limit since revision
// 2026-12-08f: each rule for a heading in one part and its body in
// another (revisions 08d, 08e) withheld a council's own checklist beside
// its own notes, or let a title naming the hospital through (reviews
// 117a, 118a); it reaches the nurse, read for codes only.
func TestReview116aSplitOrAbbreviatedSummary(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	head := "Discharge summary, LTHT:"
	body := "Admitted 01/11 with community acquired pneumonia and delirium; new type 2 diabetes; started metformin 500mg bd. Plan: district nurse to review."
	got := r115aNurseGets(t, e,
		r115aMsg("r116a-spctrl", head+" "+body),
		[2]string{"/fhir/Communication/r116a-spmsg", `{"resourceType":"Communication","id":"r116a-spmsg","status":"completed",` + r115aSubj + `,
 "recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentString":"` + head + `"},{"contentString":"` + body + `"}]}`},
		[2]string{"/fhir/CarePlan/r116a-spplan", `{"resourceType":"CarePlan","id":"r116a-spplan","status":"active","intent":"plan",` + r115aSubj + `,
 "activity":[{"detail":{"status":"in-progress","description":"` + head + `"}},{"detail":{"status":"in-progress","description":"` + body + `"}}]}`},
		r115aMsg("r116a-abidl", "IDL: "+body),
		r115aMsg("r116a-abeds", "EDS - "+body),
		r115aMsg("r116a-abdc", "D/C summary, LTHT: "+body))
	tasks := r114aNurseGets(t, e, map[string]string{
		"r116a-sptask": `,"note":[{"text":"` + head + `"},{"text":"` + body + `"}]`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	if got["/fhir/Communication/r116a-spctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r116a-spctrl"])
	}
	for p, s := range got {
		switch p {
		case "/fhir/Communication/r116a-abeds":
			// (a README limit: "EDS" is Ehlers-Danlos syndrome as often)
		case "/fhir/Communication/r116a-spmsg", "/fhir/CarePlan/r116a-spplan":
			if s != 200 {
				t.Errorf("the split letter, a README limit, in %s: %d, want 200 as README says", p, s)
			}
		default:
			if s != 404 {
				t.Errorf("LEAK: district nurse GET the council's %s quoting the discharge summary: %d, want 404", p, s)
			}
		}
	}
	if tasks["r116a-sptask"] != 200 {
		t.Errorf("the split letter, a README limit, in a Task's two notes: %d, want 200 as README says", tasks["r116a-sptask"])
	}
}

// A council care plan's and message's line about a hospital appointment
// letter ("Hospital letter: appointment at St James's ... transport
// booked"): arrangements, no clinical content, the kind the nurse plans
// her visits around; headed "Hospital letter:" it is a document.
// (Judgement.) Control: "Hospital appointment:" reaches her.
func TestReview116aCouncilHospitalAppointmentLetterLineReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	body := "appointment at St James's on 12/01 at 10:30; transport booked, daughter to attend; carers to have her ready by 9."
	got := r115aNurseGets(t, e,
		r115aPlan("r116a-hactrl", "Hospital appointment: "+body),
		r115aPlan("r116a-haplan", "Hospital letter: "+body),
		r115aMsg("r116a-hamsg", "Hospital letter - "+body))
	t.Logf("nurse: %v", got)
	if got["/fhir/CarePlan/r116a-hactrl"] != 200 {
		t.Fatalf("control: %d, want 200", got["/fhir/CarePlan/r116a-hactrl"])
	}
	r116aWant(t, got, 200, "REGRESSION (judgement): the council's line about a hospital appointment letter",
		"/fhir/CarePlan/r116a-haplan", "/fhir/Communication/r116a-hamsg")
}

// Checked: a council item made a document by its heading is still read
// by the council's own social worker (its source organisation), and the
// nurse's search leaves it out of the total too.
func TestReview116aSoundHeadedItemSourceSeesAndSearchOmits(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e, r115aPlan("r116a-own", "Discharge summary, LTHT: "+r115aDS))
	if got["/fhir/CarePlan/r116a-own"] != 404 {
		t.Fatalf("nurse GET: %d, want 404", got["/fhir/CarePlan/r116a-own"])
	}
	sw := e.token("social-worker", "council", council112c)
	if s := e.do("GET", "/fhir/CarePlan/r116a-own", sw, "").status; s != 200 {
		t.Errorf("the council's own social worker GET its plan: %d, want 200", s)
	}
	r := e.do("GET", "/fhir/CarePlan?patient=Patient/jane", e.token("district-nurse", "nhs", "RCX"), "")
	if r.status != 200 || strings.Contains(r.body, "r116a-own") {
		t.Errorf("nurse search: %d, holds the plan: %v", r.status, strings.Contains(r.body, "r116a-own"))
	}
}
