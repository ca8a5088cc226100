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

// TestNamesNote: a Task's type or words name a clinical note or letter
// when they are its name, not a checklist item about one (review 113a).
func TestNamesNote(t *testing.T) {
	for _, c := range []struct {
		text         string
		headed, want bool
	}{
		{"Discharge summary", false, true},
		{"Hospital letter", false, true},
		{"Copy of the discharge summary", false, true},
		{"Hospital Discharge summary", false, true},
		{"GP letter requested", false, false},
		{"Discharge summary received?", false, false},
		{"Awaiting discharge summary", false, false},
		{"Request for GP letter", false, false},
		{"Housing support requested", false, false},
		{"Discharge summary, Leeds Teaching Hospitals. Admitted 01/11 with pneumonia.", true, true},
		{"HOSPITAL DISCHARGE SUMMARY: admitted with a fall", true, true},
		{"Discharge summary \u2013 St James's: fractured neck of femur", true, true},
		{"Discharge summary: not yet received, chase ward 12 on Friday", true, false},
		{"Discharge summary received from the ward on Friday; carer informed.", true, false},
		{"Spoke to her daughter about care; the discharge summary: see the GP.", true, false}, // not among its first words
		{"No discharge summary yet: the ward says Friday", true, false},
		// review 114a: a social worker's own notes; a long quote with a
		// status word at its head; a hospital letter's everyday names
		{"Progress note: home visit with Mrs Smith and her daughter Anne", true, false},
		{"Clinic letter - appointment booked for 12/01; transport booked", true, false},
		{"Social work progress note", false, false},
		{"Consultation note (family meeting)", false, false},
		{"Progress note", false, true},
		{"Discharge summary received from Leeds Teaching Hospitals. Admitted 01/11 with community acquired pneumonia and delirium; new type 2 diabetes.", true, true},
		{"Received today - Discharge summary, Leeds Teaching Hospitals. Admitted 01/11 with community acquired pneumonia and delirium; new diabetes.", true, true},
		{"Transfer of care, Leeds Teaching Hospitals: admitted with a fall", true, false}, // review 115a: a council's own heading too
		{"eDischarge summary: admitted with a fall and a urinary infection", true, true},
		{"TTO / discharge medication: apixaban 5 mg twice a day from today", true, false},
		{"Discharge summary: not yet received from the ward, we have chased twice this week and the family are anxious about the medication changes; will update", true, false},
		{"Received today - Discharge summary, Leeds Teaching Hospitals. Admitted 01/11 with pneumonia and delirium; new type 2 diabetes; metformin.", true, true},
	} {
		if got := namesNote(c.text, c.headed, c.headed && len(c.text) >= longQuote); got != c.want {
			t.Errorf("namesNote(%q, headed %v) = %v, want %v", c.text, c.headed, got, c.want)
		}
	}
	for code, want := range map[string]bool{"18842-5": true, "34105-7": true, "11490-0": true, "28653-4": false, "71802-3": false} {
		cc := map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": code}}}
		if got := noteType(cc, false); got != want {
			t.Errorf("noteType(LOINC %s) = %v, want %v", code, got, want)
		}
	}
}
