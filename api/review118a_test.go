package api_test

import (
	"testing"
)

// Review 118a: re-read of 8afe317 (revision 2026-12-08e): bareHeading,
// splitHeading, textStrings' free parts, namesNote's social words before
// the heading only, noteHeading from longQuote (120) characters on
// (fhir/search/dataclass.go). Leaks first, then regressions.

// r118aClin is the clinical body of a hospital discharge summary, over
// 40 characters, with no letter's name in it.
const r118aClin = "Admitted 01/11 with community acquired pneumonia and delirium; new type 2 diabetes; started metformin 500mg bd. Plan: district nurse to review."

// A hospital's discharge summary pasted line by line (a council
// message's payloads, a care plan's activities, a Task's notes) under a
// title line naming the letter and the hospital or ward, as eDischarge
// templates print it: "Discharge Summary - LTHT", "IDL - Ward J24",
// "Discharge summary, St James's". 8afe317's bareHeading counts a short
// title only when it is the name alone or ends in ':', '-', '–', '—' or
// ',', so each of these titles heads nothing and the summary reaches the
// district nurse. At 3bf82c4 (namesNote(t, true, false) on a part under
// 40) each was a heading and the item was withheld: a leak new in
// 8afe317. (Judgement on wording: Lorenzo/Cerner eDischarge and IDL
// print-outs head the page "Discharge Summary - <Trust>" / "Immediate
// Discharge Letter - Ward"; README's rule says "ending in a colon, a
// dash or a comma", so it is the rule's own gap, not a stated Limit.)
// Control: "Discharge Summary - LTHT:" is withheld.
//
// Since revision 2026-12-08f a letter split across parts is a README
// limit (no rule for a title in one part found here held without
// withholding a council's checklist beside its own notes): each reaches
// the nurse, read for codes only.
func TestReview118aSplitTitleNamingHospitalIsLimit(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r117aMsgN("r118a-stctrl", "Discharge Summary - LTHT:", r118aClin),
		r117aMsgN("r118a-stmsg", "Discharge Summary - LTHT", r118aClin),
		r117aPlan2("r118a-stplan", "IDL - Ward J24", r118aClin),
		r117aMsgN("r118a-stfull", "Discharge Summary - Leeds Teaching Hospitals NHS Trust", r118aClin),
		r117aMsgN("r118a-stsj", "Discharge summary, St James's", r118aClin))
	tasks := r114aNurseGets(t, e, map[string]string{
		"r118a-sttask": `,"note":[{"text":"Discharge Summary (LTHT)"},{"text":"` + r118aClin + `"}]`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	r116aWant(t, got, 200, "summary pasted line by line under a title naming the hospital (a README limit since revision 2026-12-08f)",
		"/fhir/Communication/r118a-stctrl", "/fhir/Communication/r118a-stmsg", "/fhir/CarePlan/r118a-stplan", "/fhir/Communication/r118a-stsj", "/fhir/Communication/r118a-stfull")
	if tasks["r118a-sttask"] != 200 {
		t.Errorf("council Task's notes, summary under 'Discharge Summary (LTHT) (a README limit since revision 2026-12-08f): %d, want 200", tasks["r118a-sttask"])
	}
}

// The hospital's summary pasted from its letter head, where the trust's
// name comes first ("Leeds Teaching Hospitals NHS Trust - Discharge
// Summary. ..."; "St James's University Hospital Discharge Summary: ...").
// The name is the sixth word or later, past namesNote's first five, so
// the quote of 120+ characters reaches the district nurse. (Judgement:
// README's rule is "among its first five words"; but Limits speak only of
// a letter quoted "without its name at its head", and a trust's letter
// head is that head. Not new in 8afe317.) Control: r115aDS is withheld.
//
// A README limit since revision 2026-12-08f: a letter's name past its
// fifth word heads nothing (the first five words are where a heading
// is; further on, a council's own sentence names a letter as often).
func TestReview118aTrustNameBeforeHeadingIsLimit(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-tnctrl", r115aDS),
		r115aMsg("r118a-tnltht", "Leeds Teaching Hospitals NHS Trust - Discharge Summary. "+r118aClin),
		r115aPlan("r118a-tnsj", "St James's University Hospital Discharge Summary: "+r118aClin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-tnctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r118a-tnctrl"])
	}
	r116aWant(t, got, 200, "summary headed by the trust's name then the letter's (a README limit since revision 2026-12-08f)",
		"/fhir/Communication/r118a-tnltht", "/fhir/CarePlan/r118a-tnsj")
}

// A social care word before the letter's name that is not the council's
// own service but says who passed the hospital's letter on: "Daughter
// (carer) shared the discharge summary: Admitted ...", "Family copy of
// discharge summary - Admitted ...". 8afe317 makes any social word before
// the name (within the first five words) the council's own, so the quote
// reaches the district nurse. (Judgement: a social worker does write
// where the letter came from; README's rule says "with a social care word
// before it", so it is the rule's reach, not a stated Limit.)
//
// A README limit since revision 2026-12-08f: a social care word in a
// heading makes it the council's own, whoever it names.
func TestReview118aSocialWordNamingWhoGaveLetterIsLimit(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-swctrl", "Daughter shared the discharge summary: "+r118aClin),
		r115aMsg("r118a-swcarer", "Daughter (carer) shared the discharge summary: "+r118aClin),
		r115aPlan("r118a-swfamily", "Family copy of discharge summary - "+r118aClin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-swctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r118a-swctrl"])
	}
	r116aWant(t, got, 200, "summary quoted after saying which carer or family passed it on (a README limit since revision 2026-12-08f)",
		"/fhir/Communication/r118a-swcarer", "/fhir/CarePlan/r118a-swfamily")
}

// A summary pasted line by line under its title, every line under 40
// characters (a diagnosis line, a medicines line, a follow-up line: the
// way an IDL's boxes copy out). splitHeading needs a part of 40 or more
// beside the title, so none is a body and the summary reaches the
// district nurse. (Judgement; not new in 8afe317. Limits speak of "one
// line quoted", not a whole letter in short lines.) Control: the same
// with one line of 40+ is withheld.
//
// A letter split across parts is a README limit since revision
// 2026-12-08f: the control reaches the nurse too.
func TestReview118aSplitSummaryOfShortLinesIsLimit(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	lines := []string{"DISCHARGE SUMMARY:", "Diagnosis: NSTEMI, new AF", "PMH: T2DM, CKD 3", "Meds: apixaban 5mg bd", "Bisoprolol 2.5mg od", "Follow up: cardiology 6/52"}
	got := r115aNurseGets(t, e,
		r117aMsgN("r118a-slctrl", "DISCHARGE SUMMARY:", r118aClin),
		r117aMsgN("r118a-slmsg", lines...))
	tasks := r114aNurseGets(t, e, map[string]string{
		"r118a-sltask": `,"note":[{"text":"` + lines[0] + `"},{"text":"` + lines[1] + `"},{"text":"` + lines[3] + `"},{"text":"` + lines[5] + `"}]`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	r116aWant(t, got, 200, "summary in short lines under its title (a README limit since revision 2026-12-08f)", "/fhir/Communication/r118a-slctrl", "/fhir/Communication/r118a-slmsg")
	if tasks["r118a-sltask"] != 200 {
		t.Errorf("council Task's notes, summary in short lines (a README limit since revision 2026-12-08f): %d, want 200", tasks["r118a-sltask"])
	}
}

// The summary quoted whole, headed by its name, whose first line after
// the heading begins with a negative as eDischarge templates' allergy or
// resuscitation line does ("Discharge summary: No known drug allergies.
// Admitted ..."; "Not for CPR"). status(b) takes "no"/"not" beside the
// name for a checklist item at any length, so the 120+ quote reaches
// the district nurse. (Judgement on how often a quote starts so; not
// new in 8afe317.)
func TestReview118aHeadingThenNegativeLineLeaks(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-ngctrl", "Discharge summary: Allergies NKDA. "+r118aClin),
		r115aMsg("r118a-ngnkda", "Discharge summary: No known drug allergies. "+r118aClin),
		r115aPlan("r118a-ngdnr", "IDL: Not for CPR. "+r118aClin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-ngctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r118a-ngctrl"])
	}
	r116aWant(t, got, 404, "LEAK: summary whose first line starts with No/Not",
		"/fhir/Communication/r118a-ngnkda", "/fhir/CarePlan/r118a-ngdnr")
}

// The council's own summary of its own service with its team named after
// the letter's name ("Discharge summary (Adult Social Care): ...",
// "Discharge summary, reablement team - ..."), 120+ characters, no
// clinical letter's content. At 3bf82c4 a social word among the first
// five words made it the council's; 8afe317 reads them before the name
// only, so it is withheld from the district nurse who needs the social
// care package (SPEC §1). (Judgement: a regression traded for 117a's
// "IDL: Lives alone, carers QDS" leak; Mosaic/LAS form names of the
// shape "Discharge Summary (ASC)" exist, how often is a judgement.)
// Control: "Adult Social Care discharge summary: ..." reaches her.
func TestReview118aOwnSummaryTeamAfterNameWithheld(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	own := "Mrs Smith discharged from reablement on 03/12 after six weeks; now independent with personal care, one call a day for meds prompt continues; key safe 1234."
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-otctrl", "Adult Social Care discharge summary: "+own),
		r115aMsg("r118a-otasc", "Discharge summary (Adult Social Care): "+own),
		r115aPlan("r118a-otreab", "Discharge summary, reablement team - "+own))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-otctrl"] != 200 {
		t.Fatalf("control: %d, want 200", got["/fhir/Communication/r118a-otctrl"])
	}
	r116aWant(t, got, 200, "REGRESSION: the council's own discharge summary, team named after the name",
		"/fhir/Communication/r118a-otasc", "/fhir/CarePlan/r118a-otreab")
}

// Checks that pass: a title with the hospital and a
// trailing dash does; the new social words before the name reach the
// nurse ("Respite discharge summary:", "Homecare discharge summary -");
// a 119-character headed line reaches her and the same padded to 120+ is
// withheld; a concept text (reasonCode) "Discharge summary" beside the
// council's own payload does not withhold it.
func TestReview118aSoundSocialWordsAndThreshold(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	short := "Discharge summary: Admitted 01/11 with pneumonia and delirium; new type 2 diabetes; metformin 500mg bd; DN to review."
	for len(short) < 119 {
		short += "."
	}
	long := short + " Follow-up"
	got := r115aNurseGets(t, e,
		r117aPlan2("r118a-sddash", "Discharge summary, LTHT -", r118aClin),
		r115aMsg("r118a-sdresp", "Respite discharge summary: "+r117aOwnNote),
		r115aPlan("r118a-sdhome", "Homecare discharge summary - "+r117aOwnNote),
		r115aMsg("r118a-sd119", short[:119]),
		r115aMsg("r118a-sd120", long),
		[2]string{"/fhir/Communication/r118a-sdreason", `{"resourceType":"Communication","id":"r118a-sdreason","status":"completed",` + r115aSubj + `,
 "recipient":[{"reference":"Organization/RCX"}],"reasonCode":[{"text":"Discharge summary"}],"payload":[{"contentString":"` + r117aOwnNote + `"}]}`})
	t.Logf("nurse: %v (119-char line %q)", got, short[:119])
	r116aWant(t, got, 404, "long quote", "/fhir/Communication/r118a-sd120")
	r116aWant(t, got, 200, "split letter (a README limit since revision 2026-12-08f)", "/fhir/CarePlan/r118a-sddash")
	r116aWant(t, got, 200, "council's own", "/fhir/Communication/r118a-sdresp", "/fhir/CarePlan/r118a-sdhome", "/fhir/Communication/r118a-sd119", "/fhir/Communication/r118a-sdreason")
}

// The summary pasted line by line under its bare title decorated as a
// print-out or markdown heading: "*** DISCHARGE SUMMARY ***" (a plain
// text export's banner), "**Discharge Summary**" (a Task answer's
// valueMarkdown, bold). bareHeading first asks namesNote, which wants
// punctuation from ",:;.-–—\n\r(" right after the name, and '*' is none,
// so the words-equal-the-name test 8afe317 added is never reached and the
// summary reaches the district nurse. (Judgement on wording; README's
// rule: "the letter's name by itself". "# Discharge summary" passes:
// leading marks are skipped.) Control: "DISCHARGE SUMMARY" is withheld.
//
// A letter split across parts is a README limit since revision
// 2026-12-08f: the control reaches the nurse too.
func TestReview118aDecoratedBareTitleIsLimit(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r117aMsgN("r118a-dtctrl", "DISCHARGE SUMMARY", r118aClin),
		r117aMsgN("r118a-dtstar", "*** DISCHARGE SUMMARY ***", r118aClin))
	tasks := r114aNurseGets(t, e, map[string]string{
		"r118a-dtmd": `,"output":[{"type":{"text":"Hospital information"},"valueMarkdown":"**Discharge Summary**"},{"type":{"text":"Hospital information"},"valueMarkdown":"` + r118aClin + `"}]`,
	})
	t.Logf("nurse: %v %v", got, tasks)
	r116aWant(t, got, 200, "summary under a decorated bare title (a README limit since revision 2026-12-08f)", "/fhir/Communication/r118a-dtctrl", "/fhir/Communication/r118a-dtstar")
	if tasks["r118a-dtmd"] != 200 {
		t.Errorf("council Task's outputs, summary under '**Discharge Summary** (a README limit since revision 2026-12-08f): %d, want 200", tasks["r118a-dtmd"])
	}
}

// A council assessment's checklist answer naming which hospital letter
// the worker has seen: input "Hospital documents seen" = "Discharge
// summary" (or output "Shared with DN" = "IDL"), beside the social
// worker's own note. 8afe317 reads a Task's input and output strings as
// free parts and counts the letter's name by itself as a split title, so
// the answer plus her note make the assessment a document, withheld from
// the district nurse who needs the social care package (SPEC §1). At
// 3bf82c4 inputs were read only for a 40+ heading and a bare name headed
// nothing: new in 8afe317. (Judgement: a tick-list answer is the
// council's; LAS/Mosaic forms record "documents received" so.) Control:
// the answer "Yes" reaches her.
func TestReview118aChecklistAnswerNamingLetterWithheld(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	tasks := r114aNurseGets(t, e, map[string]string{
		"r118a-cactrl": `,"input":[{"type":{"text":"Hospital documents seen"},"valueString":"Yes"}],"note":[{"text":"` + r117aOwnNote + `"}]`,
		"r118a-cads":   `,"input":[{"type":{"text":"Hospital documents seen"},"valueString":"Discharge summary"}],"note":[{"text":"` + r117aOwnNote + `"}]`,
		"r118a-caidl":  `,"output":[{"type":{"text":"Copy shared with district nurse"},"valueString":"IDL"}],"note":[{"text":"` + r117aOwnNote + `"}]`,
	})
	t.Logf("nurse: %v", tasks)
	if tasks["r118a-cactrl"] != 200 {
		t.Fatalf("control: %d, want 200", tasks["r118a-cactrl"])
	}
	for _, id := range []string{"r118a-cads", "r118a-caidl"} {
		if tasks[id] != 200 {
			t.Errorf("REGRESSION: council Task with a checklist answer naming a letter (%s): %d, want 200", id, tasks[id])
		}
	}
}

// A hospice's or community hospital's clinical discharge summary after a
// respite admission, quoted by the council: "Hospice respite discharge
// summary: Admitted for respite and symptom control ...". 8afe317 made
// "respite" a social care word, and one before the name makes the quote
// the council's own, so the 120+ quote reaches the district nurse. At
// 3bf82c4 it was withheld: new in 8afe317. (Judgement on wording:
// hospices such as Sue Ryder Wheatfields in Leeds admit for respite and
// write a discharge summary; README's rule lists "Respite …" as the
// council's own.) Control: "Hospice discharge summary: ..." is withheld.
func TestReview118aHospiceRespiteSummaryLeaks(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	clin := "Admitted for respite and symptom control; morphine sulfate MR increased to 20mg bd, oramorph 2.5-5mg prn; anticipatory medicines prescribed. DN to review syringe driver need."
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-rhctrl", "Hospice discharge summary: "+clin),
		r115aMsg("r118a-rhresp", "Hospice respite discharge summary: "+clin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-rhctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r118a-rhctrl"])
	}
	r116aWant(t, got, 404, "LEAK: a hospice's respite discharge summary quoted whole", "/fhir/Communication/r118a-rhresp")
}

// The summary quoted whole with a non-breaking space inside its name, as
// text copied from Word, Outlook or a PDF viewer carries it
// ("Discharge\u00a0Summary: ..."). namesNote splits words byte by byte
// (unicode.IsLetter(rune(text[i])) on a UTF-8 byte: 0xC2 reads as 'Â', a
// letter), so the word is "discharge\xc2", no name matches and the 120+
// quote reaches the district nurse. (Not new in 8afe317; how often a
// paste carries U+00A0 is a judgement, but Outlook's and Word's HTML
// does routinely.) Control: the same with a plain space is withheld.
func TestReview118aNonBreakingSpaceInName(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-nbctrl", "Discharge Summary: "+r118aClin),
		r115aMsg("r118a-nbsp", `Discharge\u00a0Summary: `+r118aClin),
		r117aMsgN("r118a-nbsplit", `DISCHARGE\u00a0SUMMARY:`, r118aClin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-nbctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r118a-nbctrl"])
	}
	r116aWant(t, got, 404, "LEAK: summary whose name holds a non-breaking space", "/fhir/Communication/r118a-nbsp")
	r116aWant(t, got, 200, "split letter (a README limit since revision 2026-12-08f)", "/fhir/Communication/r118a-nbsplit")
}

// The summary quoted whole under its common combined title with the
// take-home medicines: "Discharge Summary/TTO: ...", "IDL / TTO - ...".
// namesNote wants the name followed by one of ",:;.-–—\n\r(" and '/' is
// none, so the 120+ quote reaches the district nurse. (Not new in
// 8afe317; judgement on wording: trusts title the eDischarge "Discharge
// Summary/TTO" or "IDL/TTO" often. README names "TTO" alone as the
// council's too, not the pair.) Control: "TTO/Discharge summary: ..." is
// withheld.
func TestReview118aSummarySlashTTOLeaks(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r115aNurseGets(t, e,
		r115aMsg("r118a-ttctrl", "TTO/Discharge summary: "+r118aClin),
		r115aMsg("r118a-ttds", "Discharge Summary/TTO: "+r118aClin),
		r115aPlan("r118a-ttidl", "IDL / TTO - "+r118aClin))
	t.Logf("nurse: %v", got)
	if got["/fhir/Communication/r118a-ttctrl"] != 404 {
		t.Fatalf("control: %d, want 404", got["/fhir/Communication/r118a-ttctrl"])
	}
	r116aWant(t, got, 404, "LEAK: summary under 'Discharge Summary/TTO'", "/fhir/Communication/r118a-ttds", "/fhir/CarePlan/r118a-ttidl")
}
