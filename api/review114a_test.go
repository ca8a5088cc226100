package api_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 114a: re-read of 6baeef3 (revision 2026-12-08a): taskNote,
// noteType, noteHeading, namesNote (fhir/search/dataclass.go), birthDate
// (consent/textlabels.go), pictureBudget's 16 pixels a byte
// (api/documents.go). Regressions (over-withholding) first, then leaks.

// r114aNurseGets writes council Tasks and reports each one's status for
// the district nurse.
func r114aNurseGets(t *testing.T, e *env, tasks map[string]string) map[string]int {
	t.Helper()
	var ws [][2]string
	for id, extra := range tasks {
		ws = append(ws, dsTask112c(id, extra))
	}
	e.putAll(t, e.token("system", "council", council112c), ws...)
	nurse := e.token("district-nurse", "nhs", "RCX")
	out := map[string]int{}
	for id := range tasks {
		out[id] = e.do("GET", "/fhir/Task/"+id, nurse, "").status
	}
	return out
}

// The social worker's own visit written in a council case-management
// system (Mosaic's and LAS's "Progress note" case-note type) as the
// Task's note, headed "Progress note:": it holds no clinical letter, but
// since 6baeef3 the heading rule makes the assessment a document and
// withholds it from the district nurse, who must see the social care
// package (SPEC §1). Before 6baeef3 a note was not read for headings.
// (Judgement: SPEC is silent on what makes a Task a document; a careful
// council user expects the social worker's own words to be social care.)
// The control, headed "Case note:", reaches her.
func TestReview114aOwnProgressNoteHeadingReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	visit := "home visit with Mrs Smith and her daughter Anne; agreed to increase calls to four a day from Monday."
	got := r114aNurseGets(t, e, map[string]string{
		"r114a-casenote": `,"note":[{"text":"Case note: ` + visit + `"}]`,
		"r114a-progress": `,"note":[{"text":"Progress note: ` + visit + `"}]`,
		"r114a-progdesc": `,"description":"Progress note - ` + visit + `"`,
	})
	if got["r114a-casenote"] != 200 {
		t.Fatalf("control: 'Case note: ...': %d, want 200", got["r114a-casenote"])
	}
	for _, id := range []string{"r114a-progress", "r114a-progdesc"} {
		if got[id] != 200 {
			t.Errorf("REGRESSION: district nurse GET the council's Task/%s (the social worker's own 'Progress note' of a home visit): %d, want 200", id, got[id])
		}
	}
}

// A council's input typed "Social work progress note" (the words; LOINC
// lists a social worker's notes apart, and loinc_notes.txt leaves them out
// as social care) is taken as a clinical note by its words: namesNote
// finds "progress note" anywhere in the type. The same under "Social work
// case note" reaches the nurse. (Judgement, as README says a social
// worker's and a case manager's notes are social care.)
func TestReview114aSocialWorkProgressNoteTypeReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	words := "Visited at home with daughter; carers' assessment offered to Anne; package reviewed and unchanged."
	got := r114aNurseGets(t, e, map[string]string{
		"r114a-swcase": `,"input":[{"type":{"text":"Social work case note"},"valueString":"` + words + `"}]`,
		"r114a-swprog": `,"input":[{"type":{"text":"Social work progress note"},"valueString":"` + words + `"}]`,
		"r114a-swcons": `,"input":[{"type":{"text":"Consultation note (family meeting)"},"valueString":"` + words + `"}]`,
	})
	if got["r114a-swcase"] != 200 {
		t.Fatalf("control: 'Social work case note': %d, want 200", got["r114a-swcase"])
	}
	for _, id := range []string{"r114a-swprog", "r114a-swcons"} {
		if got[id] != 200 {
			t.Errorf("district nurse GET the council's Task/%s (a social worker's own note typed by its words): %d, want 200", id, got[id])
		}
	}
}

// Council checklist and admin notes that name a letter but hold none:
// "Clinic letter - appointment booked for 12/01 ..." and a carer's
// assessment item "Outpatient letter - carer to take Mum ..." (no status
// word) are withheld from the nurse since 6baeef3 (heading rule).
// (Judgement: they are the council's arrangements, not the letters'
// clinical content.)
func TestReview114aChecklistLetterHeadingReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r114aNurseGets(t, e, map[string]string{
		"r114a-clinicappt": `,"note":[{"text":"Clinic letter - appointment booked for 12/01; council transport and a carer to go with her."}]`,
		"r114a-outpt":      `,"note":[{"text":"Outpatient letter: carer to take Mum to the eye clinic on Tuesday; taxi booked by us."}]`,
	})
	for id, s := range got {
		if s != 200 {
			t.Errorf("district nurse GET the council's Task/%s (its own arrangements, no letter quoted): %d, want 200", id, s)
		}
	}
}

// Checklist wording that 6baeef3 meant to leave social care does.
func TestReview114aSoundChecklistWordingReachesNurse(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r114aNurseGets(t, e, map[string]string{
		"r114a-reflettersent": `,"note":[{"text":"Referral letter sent to housing on 03/12 for a ground-floor flat; reply due in 28 days."}]`,
		"r114a-lettertogp":    `,"note":[{"text":"Letter to GP: please review the package at the next visit, calls increased to four a day."}]`,
		"r114a-summary":       `,"description":"Summary: care and support plan reviewed with Mrs Smith and Anne, no changes needed."`,
		"r114a-outptq":        `,"input":[{"type":{"text":"Outpatient letter?"},"valueString":"Yes, copy on file; appointment 12/01 at St James's, transport booked."}]`,
		"r114a-dsnotyet":      `,"note":[{"text":"Discharge summary: not yet received; ward to send it on Friday, carer informed today."}]`,
	})
	for id, s := range got {
		if s != 200 {
			t.Errorf("district nurse GET the council's Task/%s: %d, want 200", id, s)
		}
	}
}

const r114aClinical = "Leeds Teaching Hospitals. Admitted 01/11 with community acquired pneumonia and delirium; new type 2 diabetes; started metformin 500mg bd. Plan: district nurse to review."

// The hospital's discharge summary quoted whole in a council Task, with a
// status word at its head as a council writes what came in: "Discharge
// summary received from LTHT: Admitted ...", "Received today - Discharge
// summary, ...", or as an input typed "Discharge summary received". The
// status-word exception (a checklist item) lets the whole clinical letter
// reach the district nurse, where "Discharge summary, ..." does not.
func TestReview114aReceivedDischargeSummaryWithheld(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	got := r114aNurseGets(t, e, map[string]string{
		"r114a-ds":          `,"note":[{"text":"Discharge summary, ` + r114aClinical + `"}]`,
		"r114a-dsrecv":      `,"note":[{"text":"Discharge summary received from ` + r114aClinical + `"}]`,
		"r114a-recvds":      `,"note":[{"text":"Received today - Discharge summary, ` + r114aClinical + `"}]`,
		"r114a-dsrecvinput": `,"input":[{"type":{"text":"Discharge summary received"},"valueString":"` + r114aClinical + `"}]`,
	})
	if got["r114a-ds"] != 404 {
		t.Fatalf("control: 'Discharge summary, ...': %d, want 404", got["r114a-ds"])
	}
	for _, id := range []string{"r114a-dsrecv", "r114a-recvds", "r114a-dsrecvinput"} {
		if got[id] != 404 {
			t.Errorf("LEAK: district nurse GET the council's Task/%s quoting the whole discharge summary: %d, want 404 (documents)", id, got[id])
		}
	}
}

// NHS discharge documents under their everyday names in a council Task's
// note: "eDischarge summary", "TTO", "Transfer of care", "Inpatient
// summary", "Immediate discharge document" reach the nurse where
// "Discharge summary" does not: noteNames is a short list of words.
func TestReview114aOtherDischargeHeadingsWithheld(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	heads := map[string]string{
		"r114a-hedis":  "eDischarge summary: ",
		"r114a-htto":   "TTO / discharge medication: ",
		"r114a-htoc":   "Transfer of care, ",
		"r114a-hinpt":  "Inpatient summary - ",
		"r114a-hidd":   "Immediate discharge document, ",
		"r114a-hupper": "DISCHARGE LETTER\\n",
	}
	tasks := map[string]string{}
	for id, h := range heads {
		tasks[id] = `,"note":[{"text":"` + h + r114aClinical + `"}]`
	}
	got := r114aNurseGets(t, e, tasks)
	if got["r114a-hupper"] != 404 {
		t.Errorf("'DISCHARGE LETTER' heading: %d, want 404", got["r114a-hupper"])
	}
	for id, h := range heads {
		if id == "r114a-htto" || id == "r114a-htoc" {
			// (review 115a: "TTO:" and "Transfer of care," head a
			// council's own arrangements as often: not headings, a
			// README limit)
			if got[id] != 200 {
				t.Errorf("%s headed %q: %d, want 200 (not a heading since review 115a)", id, h, got[id])
			}
			continue
		}
		if id != "r114a-hupper" && got[id] != 404 {
			t.Errorf("LEAK: district nurse GET the council's Task/%s headed %q quoting the discharge summary: %d, want 404", id, h, got[id])
		}
	}
}

// The rule where it is a Task's: LOINC under https and urn:oid, a display
// alone, a heading after a blank line: all withheld from the nurse.
func TestReview114aSoundNoteTypeSpellingsAndBlankLineHeading(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	ds := "Discharge summary, " + r114aClinical
	got := r114aNurseGets(t, e, map[string]string{
		"r114a-https":   `,"input":[{"type":{"coding":[{"system":"https://loinc.org","code":"34105-7"}]},"valueString":"` + r114aClinical + `"}]`,
		"r114a-oid":     `,"input":[{"type":{"coding":[{"system":"urn:oid:2.16.840.1.113883.6.1","code":"18842-5"}]},"valueString":"` + r114aClinical + `"}]`,
		"r114a-display": `,"input":[{"type":{"coding":[{"display":"Hospital discharge letter"}]},"valueString":"` + r114aClinical + `"}]`,
		"r114a-blank":   `,"description":"\\n\\n   ` + ds + `"`,
		"r114a-output":  `,"output":[{"type":{"text":"Assessment"},"valueString":"` + ds + `"}]`,
	})
	for id, s := range got {
		if s != 404 {
			t.Errorf("district nurse GET the council's Task/%s: %d, want 404", id, s)
		}
	}
}

// The hospital's discharge summary quoted by the council in other shapes
// the nurse sees (a message to the GP practice, a care plan's activity):
// the heading rule is a Task's alone. Logged, a finding if it reaches her.
func TestReview114aHeadedSummaryInCouncilMessageAndPlan(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	ds := "Discharge summary, " + r114aClinical
	subj := `"subject":{"reference":"Patient/jane"}`
	e.putAll(t, e.token("system", "council", council112c),
		[2]string{"/fhir/Communication/r114a-msg", `{"resourceType":"Communication","id":"r114a-msg","status":"completed",` + subj + `,
 "recipient":[{"reference":"Organization/RCX"}],"payload":[{"contentString":"` + ds + `"}]}`},
		[2]string{"/fhir/CarePlan/r114a-plan", `{"resourceType":"CarePlan","id":"r114a-plan","status":"active","intent":"plan",` + subj + `,
 "activity":[{"detail":{"status":"in-progress","description":"` + ds + `"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Communication/r114a-msg", "/fhir/CarePlan/r114a-plan"} {
		if r := e.do("GET", p, nurse, ""); r.status != 404 {
			t.Errorf("LEAK: district nurse GET the council's %s quoting the hospital's discharge summary whole: %d, want 404 (documents)", p, r.status)
		}
	}
}

// A date of birth in digits in other everyday forms: "born on 151004",
// "DOB (151004)", "Date of birth is 151004", "DOB\u00a0151004" (a Word
// export's no-break space) still label the council's Task STD (151004 is
// gonococcal meningitis) and withhold it from the GP, where "DOB 151004"
// no longer does. (Judgement, as review 113a.)
func TestReview114aDOBOtherFormsLabelNoTask(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	forms := map[string]string{
		"r114a-dob":    "DOB 151004",
		"r114a-bornon": "born on 151004",
		"r114a-dobpar": "DOB (151004)",
		"r114a-dobis":  "Date of birth is 151004",
		"r114a-dobnb":  "DOB\u00a0151004",
	}
	var ws [][2]string
	for id, f := range forms {
		ws = append(ws, dsTask112c(id, `,"note":[{"text":"Care leaver, `+f+`; personal adviser informed."}]`))
	}
	e.putAll(t, e.token("system", "council", council112c), ws...)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Task/r114a-dob", gp, ""); r.status != 200 {
		t.Fatalf("control: 'DOB 151004': %d, want 200", r.status)
	}
	for id, f := range forms {
		if r := e.do("GET", "/fhir/Task/"+id, gp, ""); id != "r114a-dob" && r.status != 200 {
			t.Errorf("GP GET the council's Task noting %q: %d, want 200 (a date, not a diagnosis)", f, r.status)
		}
	}
}

// A real code after "born": "born with HIV 86406008", "born: HIV
// 86406008", and an 8-digit id after DOB that is no date, still label the
// Task (the GP, outside the council, does not see it).
func TestReview114aSoundRealCodesNearBornStillLabelled(t *testing.T) {
	e := newEnv(t)
	seed112c(t, e)
	e.putAll(t, e.token("system", "council", council112c),
		dsTask112c("r114a-bornwith", `,"note":[{"text":"Care leaver, born with HIV 86406008; personal adviser informed."}]`),
		dsTask112c("r114a-borncolon", `,"note":[{"text":"Care leaver, born: 86406008; personal adviser informed."}]`),
		dsTask112c("r114a-plain", `,"note":[{"text":"Care leaver, born 15/10/2004; personal adviser informed."}]`))
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Task/r114a-plain", gp, ""); r.status != 200 {
		t.Fatalf("control: %d, want 200", r.status)
	}
	for _, id := range []string{"r114a-bornwith", "r114a-borncolon"} {
		if r := e.do("GET", "/fhir/Task/"+id, gp, ""); r.status != 404 {
			t.Errorf("GP GET the council's Task/%s quoting HIV's code after 'born': %d, want 404 (HIV label)", id, r.status)
		}
	}
}

// r114aProgressive is a w×h grey progressive JPEG of scans identical AC
// scans (each a few EOB runs over every block, about 40 bytes): Go's
// decoder passes over every block of the picture once a scan.
func r114aProgressive(w, h, scans int) []byte {
	seg := func(m byte, body []byte) []byte {
		n := len(body) + 2
		return append([]byte{0xff, m, byte(n >> 8), byte(n)}, body...)
	}
	b := []byte{0xff, 0xd8}
	q := []byte{0}
	for i := 0; i < 64; i++ {
		q = append(q, 1)
	}
	b = append(b, seg(0xdb, q)...)
	b = append(b, seg(0xc2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})...)
	b = append(b, seg(0xc4, []byte{0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})...)
	b = append(b, seg(0xc4, []byte{0x10, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0xd0})...)
	var out []byte
	var acc uint32
	nb := 0
	put := func(v uint32, n int) {
		for i := n - 1; i >= 0; i-- {
			acc = acc<<1 | (v>>uint(i))&1
			if nb++; nb == 8 {
				out = append(out, byte(acc))
				if byte(acc) == 0xff {
					out = append(out, 0)
				}
				acc, nb = 0, 0
			}
		}
	}
	for left := ((w + 7) / 8) * ((h + 7) / 8); left > 0; {
		switch {
		case left >= 32767:
			put(0, 1)
			put(0x3fff, 14)
			left -= 32767
		case left >= 16384:
			put(0, 1)
			put(uint32(left-16384), 14)
			left = 0
		case left >= 8192:
			put(2, 2)
			put(uint32(left-8192), 13)
			left = 0
		default:
			panic("r114aProgressive: size")
		}
	}
	for nb != 0 {
		put(1, 1)
	}
	for s := 0; s < scans; s++ {
		b = append(b, seg(0xda, []byte{1, 1, 0x00, 1, 63, 0x00})...)
		b = append(b, out...)
	}
	return append(b, 0xff, 0xd9)
}

// One 24-megapixel picture, within the item's budget, as a progressive
// JPEG of 1000 identical scans (43 KB: far under the 8 MiB body limit)
// takes carex tens of times as long to write as the same picture in one
// scan: the budget counts a picture's pixels, not its scans, and Go's
// decoder passes over the whole picture for each scan. A larger body
// (100 000 scans in 4 MB) would take many minutes of CPU per write.
// (COST; the budget before 6baeef3 counted no scans either.)
func TestReview114aProgressiveScansCostBounded(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("decodes 1000 passes over 24 megapixels")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	r98bSeed(t, e)
	gp := e.token("system", "nhs", "A81001")
	write := func(id string, pic []byte) time.Duration {
		div := r107aDiv + `<img src=\"data:image/jpeg;base64,` + base64.StdEncoding.EncodeToString(pic) + `\" alt=\"x\"/><p>Leg ulcer, left calf</p></div>`
		w := r107aCond(id, div)
		start := time.Now()
		r := e.do("PUT", w[0], gp, w[1])
		d := time.Since(start)
		if r.status != 200 && r.status != 201 {
			t.Fatalf("%s: %d %s", id, r.status, trunc112c(r.body, 300))
		}
		return d
	}
	one := r114aProgressive(4000, 6000, 1)
	many := r114aProgressive(4000, 6000, 1000)
	d1 := write("r114a-scan1", one)
	dn := write("r114a-scan1000", many)
	t.Logf("one scan: %d bytes, %v; 1000 scans: %d bytes, %v", len(one), d1, len(many), dn)
	sw := e.token("social-worker", "council", r98bCouncil)
	t.Logf("social worker GET: one scan %d, 1000 scans %d", e.do("GET", "/fhir/Condition/r114a-scan1", sw, "").status, e.do("GET", "/fhir/Condition/r114a-scan1000", sw, "").status)
	if dn > 10*d1+2*time.Second {
		t.Errorf("COST: writing a problem whose narrative holds one 24 MP progressive JPEG of 1000 scans (%d bytes) took %v, against %v for the same picture in one scan (more than 10x)", len(many), dn, d1)
	}
}
