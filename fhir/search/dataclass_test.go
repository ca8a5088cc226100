package search

import "testing"

// TestDataClassFromCouncil: a council's EpisodeOfCare is a care package
// whatever its type says; anyone else's, and a council's other items, are
// classed by content.
func TestDataClassFromCouncil(t *testing.T) {
	episode := map[string]any{"resourceType": "EpisodeOfCare", "type": []any{map[string]any{"text": "home care"}}}
	for _, tc := range []struct {
		typ, org, want string
		res            map[string]any
	}{
		{"EpisodeOfCare", "E06000999", ClassSocialCare, episode},
		{"EpisodeOfCare", "W06000015", ClassSocialCare, episode},
		{"EpisodeOfCare", "E07000123", ClassEncounters, episode}, // a district council: no social services
		{"EpisodeOfCare", "RCX", ClassEncounters, episode},
		{"EpisodeOfCare", "E06000999x", ClassEncounters, episode},
		{"Encounter", "E06000999", ClassEncounters, map[string]any{"resourceType": "Encounter"}},
	} {
		if got := DataClassFrom(tc.typ, tc.res, tc.org); got != tc.want {
			t.Errorf("%s from %s: %s, want %s", tc.typ, tc.org, got, tc.want)
		}
	}
}

// TestMessagesAndEpisodesOfCouncils: a Communication or
// CommunicationRequest a council recorded is social care; the NHS's
// messages keep their class whoever they are sent to (review 85b: a
// clinical letter copied to the council went to the nurses), and so do
// its episodes of care whoever manages them (review 86a).
func TestMessagesAndEpisodesOfCouncils(t *testing.T) {
	msg := func(typ string, recipients ...any) map[string]any {
		return map[string]any{"resourceType": typ, "recipient": recipients}
	}
	ref := func(r string) any { return map[string]any{"reference": r} }
	ident := func(sys, v string) any {
		return map[string]any{"identifier": map[string]any{"system": sys, "value": v}}
	}
	episode := func(managing any) map[string]any {
		return map[string]any{"resourceType": "EpisodeOfCare", "type": []any{map[string]any{"text": "Reablement"}}, "managingOrganization": managing}
	}
	tagged := msg("Communication", ref("Organization/E06000999"))
	tagged["meta"] = map[string]any{"tag": []any{map[string]any{"system": DataClassTagSystem, "code": ClassCarePlans}}}
	for _, tc := range []struct {
		name, org, want string
		res             map[string]any
	}{
		{"council's own", "E06000999", ClassSocialCare, msg("Communication", ref("Organization/RCX"))},
		{"council's request", "E08000035", ClassSocialCare, msg("CommunicationRequest")},
		{"NHS's to a council", "RHX", ClassOther, msg("Communication", ref("Organization/A81001"), ref("Organization/E06000999"))},
		{"NHS's to NHS", "RHX", ClassOther, msg("Communication", ref("Organization/A81001"))},
		{"tagged", "E06000999", ClassCarePlans, tagged},
		// (the NHS's, whoever manages it: review 86a)
		{"NHS's, managed by a council", "RHX", ClassEncounters, episode(ref("Organization/E06000999"))},
		{"NHS's, council code", "RHX", ClassEncounters, episode(ident("https://carex.example/Id/council-code", "E06000999"))},
		{"council's, managed by the NHS", "E06000999", ClassSocialCare, episode(ref("Organization/RHX"))},
	} {
		if got := DataClassFrom(tc.res["resourceType"].(string), tc.res, tc.org); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestEpisodeOfCareContentClasses: the NHS's episode of care is a clinical
// record and carries the documents class beside encounters; a council's
// (a care package) and a social-care coded one do not (review 84b).
func TestEpisodeOfCareContentClasses(t *testing.T) {
	plain := map[string]any{"resourceType": "EpisodeOfCare", "type": []any{map[string]any{"text": "community mental health team"}}}
	social := map[string]any{"resourceType": "EpisodeOfCare", "type": []any{map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "410606002"}}}}}
	for _, tc := range []struct {
		name, org string
		res       map[string]any
		docs      bool
	}{
		{"NHS trust's", "RXA", plain, true},
		{"council's", "E06000999", plain, false},
		{"NHS, coded social care", "RXA", social, false},
	} {
		got := ContentClassesFrom("EpisodeOfCare", tc.res, tc.org)
		if has := len(got) == 1 && got[0] == ClassDocuments; has != tc.docs || !tc.docs && len(got) != 0 {
			t.Errorf("%s: %v, want documents %v", tc.name, got, tc.docs)
		}
	}
	if got := ContentClassesFrom("Encounter", map[string]any{"resourceType": "Encounter"}, "RHX"); len(got) != 1 || got[0] != ClassDocuments {
		t.Errorf("an Encounter's content classes go through: %v", got)
	}
}

// TestNamesNote: a Task's input's type names a clinical note or letter
// when it is its name, not a checklist item about one (review 113a).
func TestNamesNote(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Discharge summary", true},
		{"Hospital letter", true},
		{"Copy of the discharge summary", true},
		{"Hospital Discharge summary", true},
		{"GP letter requested", false},
		{"Discharge summary received?", false},
		{"Awaiting discharge summary", false},
		{"Request for GP letter", false},
		{"Housing support requested", false},
		{"Social work progress note", false},
		{"Consultation note (family meeting)", false},
		{"Progress note", true},
		{"Discharge\u00a0summary", true}, // review 118a: a non-breaking space
	} {
		if got := namesNote(c.text, false); got != c.want {
			t.Errorf("namesNote(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	for code, want := range map[string]bool{"18842-5": true, "34105-7": true, "11490-0": true, "28653-4": false, "71802-3": false} {
		cc := map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": code}}}
		if got := noteType(cc, false); got != want {
			t.Errorf("noteType(LOINC %s) = %v, want %v", code, got, want)
		}
	}
}

// TestNoteHeading: a text quotes a hospital letter when it is long and
// headed by its name (reviews 113a to 118a).
func TestNoteHeading(t *testing.T) {
	const clin = " Admitted 01/11 with community acquired pneumonia and delirium; new type 2 diabetes; started metformin 500mg twice a day."
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Discharge summary, Leeds Teaching Hospitals." + clin, true},
		{"HOSPITAL DISCHARGE SUMMARY:" + clin, true},
		{"Discharge summary \u2013 St James's:" + clin, true},
		{"Discharge summary received from Leeds Teaching Hospitals." + clin, true},
		{"Received today - Discharge summary, Leeds Teaching Hospitals." + clin, true},
		{"eDischarge summary:" + clin, true},
		{"IDL: Lives alone, carers QDS." + clin, true},               // review 117a: a social word after the heading
		{"Discharge summary: No known drug allergies." + clin, true}, // review 118a: "no" is the letter's
		{"IDL: Not for CPR." + clin, true},
		{"Discharge\u00a0Summary:" + clin, true},
		{"Discharge Summary/TTO:" + clin, true},
		{"Hospice respite discharge summary:" + clin, true},
		{"Discharge summary, respite admission at St. Gemma's Hospice:" + clin, true}, // review 119a
		{"Discharge summary: No change to regular medication." + clin, true},          // review 120a
		{"Discharge summary, St James's University Hospital ward J22, discharged 05/12/2026 to usual residence, carers QDS restarted;" + clin, true},
		{"Reablement discharge summary: Mrs Smith declined the hospice referral; package of four calls a day restarts Monday, key safe 1234.", false},
		{"Discharge summary, first admission:" + clin, true},
		// shorter than a letter: a checklist item, a question, a notice
		{"Discharge summary, Leeds Teaching Hospitals. Admitted 01/11 with pneumonia.", false},
		{"Discharge summary: can you confirm the date of the first district nurse visit please?", false},
		// the council's own, or about a letter, not one
		{"Reablement discharge summary: Mrs Smith now independent with personal care and meals; discharged from the service 05/12, no ongoing package.", false},
		{"Discharge summary (Adult Social Care): Mrs Smith now independent with personal care and meals; discharged from the service 05/12, no package.", false},
		{"Discharge summary, reablement team - Mrs Smith now independent with personal care and meals; discharged from the service 05/12, no package.", false},
		{"Discharge summary: not yet received from the ward, we have chased twice this week and the family are anxious about the medication changes; will update", false},
		{"Discharge summary: not on the system yet, ward 12 to email it to the GP and to the district nurses today; package restarts at 5pm, key safe as before.", false},
		{"Discharge summary - no copy on file; the ward says it went to the surgery, so the district nurse should ask the surgery for it at the visit today.", false},
		{"Discharge summary, agreed at the ward meeting on Monday with Mrs Smith, her daughter and the community reablement team: package of care restarts Monday.", false},
		{"Spoke to her daughter about care and her medication at length today; the discharge summary: see the GP about it." + clin, false}, // not among its first words
		{"Progress note: home visit with Mrs Smith and her daughter Anne; package of four calls a day restarted, key safe 1234, review in six weeks.", false},
		{"Transfer of care, Leeds Teaching Hospitals: admitted with a fall." + clin, false},
		{"TTO / discharge medication: apixaban 5 mg twice a day from today." + clin, false},
	} {
		if got := noteHeading(c.text); got != c.want {
			t.Errorf("noteHeading(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}
