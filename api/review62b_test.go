package api_test

// Review 62b: messages, forms and less common clinical types
// (Communication, CommunicationRequest, QuestionnaireResponse, Basic,
// Media, FamilyMemberHistory, AdverseEvent, DeviceRequest,
// DeviceUseStatement, NutritionOrder, VisionPrescription,
// ClinicalImpression, Flag) — their data class, the sensitive codes that
// label them, and references from them to withheld items on read, search,
// _include, _revinclude and $everything.

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

const (
	hivCoding62b = `{"system":"http://snomed.info/sct","code":"86406008","display":"HIV-CODE-DISP-62B"}`
	hivRef62b    = `{"reference":"Condition/hiv","display":"HIVREF-DISP-62B"}`
	subj62b      = `"subject":{"reference":"Patient/jane"}`
)

// r62bCoded: items of Jane's whose only sensitive content is the HIV code
// somewhere in them (each carries KEEP-<id> in free text).
func r62bCoded() map[string]string {
	return map[string]string{
		"Communication/c62b-reason":           `{"resourceType":"Communication","id":"c62b-reason","status":"completed",` + subj62b + `,"reasonCode":[{"coding":[` + hivCoding62b + `]}],"payload":[{"contentString":"KEEP-c62b-reason"}]}`,
		"Communication/c62b-topic":            `{"resourceType":"Communication","id":"c62b-topic","status":"completed",` + subj62b + `,"topic":{"coding":[` + hivCoding62b + `]},"payload":[{"contentString":"KEEP-c62b-topic"}]}`,
		"Communication/c62b-cat":              `{"resourceType":"Communication","id":"c62b-cat","status":"completed",` + subj62b + `,"category":[{"coding":[` + hivCoding62b + `]}],"payload":[{"contentString":"KEEP-c62b-cat"}]}`,
		"CommunicationRequest/cr62b-reason":   `{"resourceType":"CommunicationRequest","id":"cr62b-reason","status":"active",` + subj62b + `,"reasonCode":[{"coding":[` + hivCoding62b + `]}],"payload":[{"contentString":"KEEP-cr62b-reason"}]}`,
		"QuestionnaireResponse/qr62b-nested":  `{"resourceType":"QuestionnaireResponse","id":"qr62b-nested","status":"completed",` + subj62b + `,"item":[{"linkId":"1","text":"KEEP-qr62b-nested","item":[{"linkId":"1.1","answer":[{"valueCoding":` + hivCoding62b + `}]}]}]}`,
		"QuestionnaireResponse/qr62b-ansitem": `{"resourceType":"QuestionnaireResponse","id":"qr62b-ansitem","status":"completed",` + subj62b + `,"item":[{"linkId":"1","text":"KEEP-qr62b-ansitem","answer":[{"valueBoolean":true,"item":[{"linkId":"1.1","answer":[{"valueCoding":` + hivCoding62b + `}]}]}]}]}`,
		"Basic/b62b-code":                     `{"resourceType":"Basic","id":"b62b-code","code":{"coding":[` + hivCoding62b + `],"text":"KEEP-b62b-code"},` + subj62b + `}`,
		"Media/m62b-reason":                   `{"resourceType":"Media","id":"m62b-reason","status":"completed",` + subj62b + `,"reasonCode":[{"coding":[` + hivCoding62b + `]}],"note":[{"text":"KEEP-m62b-reason"}],"content":{"contentType":"image/png","title":"KEEP-m62b-reason"}}`,
		"AdverseEvent/ae62b-event":            `{"resourceType":"AdverseEvent","id":"ae62b-event","actuality":"actual",` + subj62b + `,"event":{"coding":[` + hivCoding62b + `],"text":"KEEP-ae62b-event"}}`,
		"DeviceRequest/dr62b-reason":          `{"resourceType":"DeviceRequest","id":"dr62b-reason","status":"active","intent":"order",` + subj62b + `,"codeCodeableConcept":{"text":"KEEP-dr62b-reason"},"reasonCode":[{"coding":[` + hivCoding62b + `]}]}`,
		"DeviceUseStatement/dus62b-reason":    `{"resourceType":"DeviceUseStatement","id":"dus62b-reason","status":"active",` + subj62b + `,"device":{"display":"KEEP-dus62b-reason"},"reasonCode":[{"coding":[` + hivCoding62b + `]}]}`,
		"NutritionOrder/no62b-code":           `{"resourceType":"NutritionOrder","id":"no62b-code","status":"active","intent":"order","patient":{"reference":"Patient/jane"},"dateTime":"2026-01-01","oralDiet":{"type":[{"coding":[` + hivCoding62b + `]}],"instruction":"KEEP-no62b-code"}}`,
		"VisionPrescription/vp62b-ext":        `{"resourceType":"VisionPrescription","id":"vp62b-ext","status":"active","created":"2026-01-01","patient":{"reference":"Patient/jane"},"dateWritten":"2026-01-01","prescriber":{"display":"KEEP-vp62b-ext"},"extension":[{"url":"https://example.org/reason","valueCodeableConcept":{"coding":[` + hivCoding62b + `]}}],"lensSpecification":[{"product":{"text":"lens"},"eye":"right"}]}`,
		"ClinicalImpression/ci62b-inv":        `{"resourceType":"ClinicalImpression","id":"ci62b-inv","status":"completed",` + subj62b + `,"description":"KEEP-ci62b-inv","investigation":[{"code":{"coding":[` + hivCoding62b + `]}}]}`,
		"Flag/f62b-clin":                      `{"resourceType":"Flag","id":"f62b-clin","status":"active",` + subj62b + `,"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"clinical"}]}],"code":{"coding":[` + hivCoding62b + `],"text":"KEEP-f62b-clin"}}`,
		"FamilyMemberHistory/fmh62b-code":     `{"resourceType":"FamilyMemberHistory","id":"fmh62b-code","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"KEEP-fmh62b-code"},"condition":[{"code":{"coding":[` + hivCoding62b + `]}}]}`,
	}
}

// TestReview62bSoundMessagesAndFormsLabelledByCodes: an HIV code anywhere
// in a message, a form's nested answer or a less common clinical item
// labels it: the hospital clinician, to whom Jane's HIV data is not
// released, gets 404 and the item is absent from $everything.
func TestReview62bSoundMessagesAndFormsLabelledByCodes(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	items := r62bCoded()
	for p, b := range items {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	gp := e.token("gp", "nhs", "A81001")
	for p := range items {
		if r := e.do("GET", "/fhir/"+p, gp, ""); r.status != 200 {
			t.Errorf("premise: the GP reads her practice's /fhir/%s: %d", p, r.status)
		}
		if r := e.do("GET", "/fhir/"+p, u.hosp, ""); r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/%s: %d, want 404 (HIV code in it): %.300s", p, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", u.hosp, "")
	if r.status != 200 {
		t.Fatalf("hosp $everything: %d", r.status)
	}
	for p := range items {
		id := p[strings.Index(p, "/")+1:]
		wantAbsent61b(t, "hospital clinician", "GET $everything", r, "KEEP-"+id)
	}
	wantAbsent61b(t, "hospital clinician", "GET $everything", r, "HIV-CODE-DISP-62B")
}

// TestReview62bSoundOtherClassesNotToSocialWorkerOrNurse: a message sent
// to no one, a form, a family history, an adverse event, a clinical
// impression of the GP's: none is a class the social worker or the
// district nurse sees (documents or other), so each is 404 to them. (A
// device or diet order is care plans since revision 2026-12-07a:
// TestEquipmentAndFeedingReachVisitors.)
func TestReview62bSoundOtherClassesNotToSocialWorkerOrNurse(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	items := map[string]string{
		"Communication/c62b-plain":          `{"resourceType":"Communication","id":"c62b-plain","status":"completed",` + subj62b + `,"payload":[{"contentString":"KEEP-c62b-plain HbA1c 48"}]}`,
		"CommunicationRequest/cr62b-plain":  `{"resourceType":"CommunicationRequest","id":"cr62b-plain","status":"active",` + subj62b + `,"payload":[{"contentString":"KEEP-cr62b-plain"}]}`,
		"QuestionnaireResponse/qr62b-plain": `{"resourceType":"QuestionnaireResponse","id":"qr62b-plain","status":"completed",` + subj62b + `,"item":[{"linkId":"1","text":"KEEP-qr62b-plain"}]}`,
		"Media/m62b-plain":                  `{"resourceType":"Media","id":"m62b-plain","status":"completed",` + subj62b + `,"content":{"contentType":"image/png","title":"KEEP-m62b-plain"}}`,
		"FamilyMemberHistory/fmh62b-plain":  `{"resourceType":"FamilyMemberHistory","id":"fmh62b-plain","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"KEEP-fmh62b-plain"}}`,
		"AdverseEvent/ae62b-plain":          `{"resourceType":"AdverseEvent","id":"ae62b-plain","actuality":"actual",` + subj62b + `,"event":{"text":"KEEP-ae62b-plain"}}`,
		"ClinicalImpression/ci62b-plain":    `{"resourceType":"ClinicalImpression","id":"ci62b-plain","status":"completed",` + subj62b + `,"description":"KEEP-ci62b-plain"}`,
		"Basic/b62b-plain":                  `{"resourceType":"Basic","id":"b62b-plain","code":{"text":"KEEP-b62b-plain"},` + subj62b + `}`,
	}
	for p, b := range items {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for _, who := range []struct{ name, tok string }{{"social worker", u.sw}, {"district nurse", u.nurse}} {
		for p := range items {
			if r := e.do("GET", "/fhir/"+p, who.tok, ""); r.status != 404 {
				t.Errorf("%s GET /fhir/%s: %d, want 404: %.300s", who.name, p, r.status, r.body)
			}
		}
		r := e.do("GET", "/fhir/Patient/jane/$everything", who.tok, "")
		for p := range items {
			id := p[strings.Index(p, "/")+1:]
			wantAbsent61b(t, who.name, "GET $everything", r, "KEEP-"+id)
		}
	}
}

// r62bPointing: items of Jane's that point at her HIV diagnosis (withheld
// from the hospital clinician) from the elements of the brief, without a
// code of their own.
func r62bPointing() map[string]string {
	return map[string]string{
		"Communication/c62b-ref": `{"resourceType":"Communication","id":"c62b-ref","status":"completed",` + subj62b + `,"basedOn":[` + hivRef62b + `],"partOf":[` + hivRef62b + `],"about":[` + hivRef62b + `],"reasonReference":[` + hivRef62b + `],"inResponseTo":[{"reference":"Communication/c62b-reason"}],
			"payload":[{"contentString":"KEEP-c62b-ref"},{"contentReference":` + hivRef62b + `},{"contentAttachment":{"contentType":"text/plain","url":"Condition/hiv","title":"HIVATT-TITLE-62B"}}]}`,
		"CommunicationRequest/cr62b-ref": `{"resourceType":"CommunicationRequest","id":"cr62b-ref","status":"active",` + subj62b + `,"basedOn":[` + hivRef62b + `],"about":[` + hivRef62b + `],"reasonReference":[` + hivRef62b + `],"replaces":[{"reference":"CommunicationRequest/cr62b-reason"}],
			"payload":[{"contentString":"KEEP-cr62b-ref"},{"contentReference":` + hivRef62b + `}]}`,
		"QuestionnaireResponse/qr62b-ref": `{"resourceType":"QuestionnaireResponse","id":"qr62b-ref","status":"completed",` + subj62b + `,"basedOn":[{"reference":"CarePlan/wound"}],"partOf":[{"reference":"Observation/hba1c"}],
			"item":[{"linkId":"1","text":"KEEP-qr62b-ref","answer":[{"valueReference":` + hivRef62b + `,"item":[{"linkId":"1.1","answer":[{"valueReference":` + hivRef62b + `}]}]}],"item":[{"linkId":"1.2","answer":[{"valueReference":` + hivRef62b + `},{"valueUri":"Condition/hiv"}]}]}]}`,
		"Condition/cond62b-evid":         `{"resourceType":"Condition","id":"cond62b-evid",` + subj62b + `,"code":{"text":"KEEP-cond62b-evid"},"evidence":[{"detail":[` + hivRef62b + `]}]}`,
		"ClinicalImpression/ci62b-ref":   `{"resourceType":"ClinicalImpression","id":"ci62b-ref","status":"completed",` + subj62b + `,"description":"KEEP-ci62b-ref","supportingInfo":[` + hivRef62b + `],"previous":{"reference":"ClinicalImpression/ci62b-inv"}}`,
		"Media/m62b-ref":                 `{"resourceType":"Media","id":"m62b-ref","status":"completed",` + subj62b + `,"basedOn":[{"reference":"ServiceRequest/nope62b"}],"partOf":[` + hivRef62b + `],"reasonCode":[{"text":"KEEP-m62b-ref"}],"content":{"contentType":"image/png","title":"KEEP-m62b-ref"}}`,
		"AdverseEvent/ae62b-ref":         `{"resourceType":"AdverseEvent","id":"ae62b-ref","actuality":"actual",` + subj62b + `,"event":{"text":"KEEP-ae62b-ref"},"resultingCondition":[` + hivRef62b + `],"subjectMedicalHistory":[` + hivRef62b + `],"suspectEntity":[{"instance":` + hivRef62b + `}]}`,
		"DeviceUseStatement/dus62b-ref":  `{"resourceType":"DeviceUseStatement","id":"dus62b-ref","status":"active",` + subj62b + `,"device":{"display":"KEEP-dus62b-ref"},"reasonReference":[` + hivRef62b + `],"derivedFrom":[` + hivRef62b + `]}`,
		"DeviceRequest/dr62b-ref":        `{"resourceType":"DeviceRequest","id":"dr62b-ref","status":"active","intent":"order",` + subj62b + `,"codeCodeableConcept":{"text":"KEEP-dr62b-ref"},"reasonReference":[` + hivRef62b + `],"supportingInfo":[` + hivRef62b + `]}`,
		"FamilyMemberHistory/fmh62b-ref": `{"resourceType":"FamilyMemberHistory","id":"fmh62b-ref","status":"completed","patient":{"reference":"Patient/jane"},"relationship":{"text":"KEEP-fmh62b-ref"},"reasonReference":[` + hivRef62b + `]}`,
		"NutritionOrder/no62b-ref":       `{"resourceType":"NutritionOrder","id":"no62b-ref","status":"active","intent":"order","patient":{"reference":"Patient/jane"},"dateTime":"2026-01-01","oralDiet":{"instruction":"KEEP-no62b-ref"},"allergyIntolerance":[` + hivRef62b + `]}`,
		"Basic/b62b-ref":                 `{"resourceType":"Basic","id":"b62b-ref","code":{"text":"KEEP-b62b-ref"},` + subj62b + `,"extension":[{"url":"https://example.org/about","valueReference":` + hivRef62b + `}]}`,
		"Observation/o62b-ref":           `{"resourceType":"Observation","id":"o62b-ref","status":"final",` + subj62b + `,"code":{"text":"KEEP-o62b-ref"},"hasMember":[` + hivRef62b + `],"derivedFrom":[` + hivRef62b + `],"partOf":[{"reference":"Procedure/nope62b"}],"focus":[` + hivRef62b + `]}`,
		"Procedure/p62b-ref":             `{"resourceType":"Procedure","id":"p62b-ref","status":"completed",` + subj62b + `,"code":{"text":"KEEP-p62b-ref"},"reasonReference":[` + hivRef62b + `]}`,
		"Encounter/enc62b-ref":           `{"resourceType":"Encounter","id":"enc62b-ref","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},` + subj62b + `,"serviceType":{"text":"KEEP-enc62b-ref"},"diagnosis":[{"condition":` + hivRef62b + `}],"reasonReference":[` + hivRef62b + `]}`,
		"MedicationRequest/mr62b-ref":    `{"resourceType":"MedicationRequest","id":"mr62b-ref","status":"active","intent":"order",` + subj62b + `,"medicationCodeableConcept":{"text":"KEEP-mr62b-ref"},"reasonReference":[` + hivRef62b + `]}`,
	}
}

// TestReview62bSoundPointingItemsMaskTheReference: each pointing item goes
// to the hospital clinician (it has no sensitive code of its own) with
// every reference to the HIV diagnosis masked, on read and in
// $everything.
func TestReview62bSoundPointingItemsMaskTheReference(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	items := r62bPointing()
	// the coded items are written first: inResponseTo, replaces, previous name them.
	for p, b := range r62bCoded() {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p, b := range items {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p := range items {
		r := e.do("GET", "/fhir/"+p, u.hosp, "")
		id := p[strings.Index(p, "/")+1:]
		t.Logf("hosp GET /fhir/%s: %d", p, r.status)
		if r.status == 404 {
			continue // withheld whole: nothing released
		}
		if r.status != 200 || !strings.Contains(r.body, "KEEP-"+id) {
			t.Errorf("hosp GET /fhir/%s: %d %.300s", p, r.status, r.body)
			continue
		}
		wantAbsent61b(t, "hospital clinician", "GET /fhir/"+p, r, "HIVREF-DISP-62B", "Condition/hiv", "HIVATT-TITLE-62B", "c62b-reason", "cr62b-reason", "ci62b-inv")
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", u.hosp, "")
	wantAbsent61b(t, "hospital clinician", "GET $everything", r, "HIVREF-DISP-62B", "Condition/hiv", "HIVATT-TITLE-62B", "GP-HIV-UNLABELLED", "HIV-CODE-DISP-62B")
}

// TestReview62bSoundSearchByWithheldReference: a search by a reference
// parameter naming the withheld HIV diagnosis (or its bare id) must not
// find the items pointing at it: finding them tells the hospital clinician
// that Condition/hiv exists and what points at it, which the masked body
// hides (as CarePlan?condition=Condition/hiv does not find the care plan:
// review 61b).
func TestReview62bSoundSearchByWithheldReference(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	for p, b := range r62bCoded() {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p, b := range r62bPointing() {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	// QuestionnaireResponse and Media point at the withheld item by based-on / part-of too.
	put61b(t, e, u.gpSys, "/fhir/QuestionnaireResponse/qr62b-based", `{"resourceType":"QuestionnaireResponse","id":"qr62b-based","status":"completed",`+subj62b+`,"basedOn":[`+hivRef62b+`],"partOf":[`+hivRef62b+`],"item":[{"linkId":"1","text":"KEEP-qr62b-based"}]}`)
	put61b(t, e, u.gpSys, "/fhir/Media/m62b-based", `{"resourceType":"Media","id":"m62b-based","status":"completed",`+subj62b+`,"basedOn":[`+hivRef62b+`],"content":{"contentType":"image/png","title":"KEEP-m62b-based"}}`)
	type q struct{ path, keep string }
	var qs []q
	for _, v := range []string{"Condition/hiv", "hiv"} {
		ev := url.QueryEscape(v)
		qs = append(qs,
			q{"/fhir/Condition?evidence-detail=" + ev, "KEEP-cond62b-evid"},
			q{"/fhir/Observation?has-member=" + ev, "KEEP-o62b-ref"},
			q{"/fhir/Observation?derived-from=" + ev, "KEEP-o62b-ref"},
			q{"/fhir/Observation?focus=" + ev, "KEEP-o62b-ref"},
			q{"/fhir/Procedure?reason-reference=" + ev, "KEEP-p62b-ref"},
			q{"/fhir/Encounter?diagnosis=" + ev, "KEEP-enc62b-ref"},
			q{"/fhir/Encounter?reason-reference=" + ev, "KEEP-enc62b-ref"},
			q{"/fhir/QuestionnaireResponse?based-on=" + ev, "KEEP-qr62b-based"},
			q{"/fhir/QuestionnaireResponse?part-of=" + ev, "KEEP-qr62b-based"},
			q{"/fhir/Media?based-on=" + ev, "KEEP-m62b-based"},
		)
	}
	for _, x := range qs {
		r := e.do("GET", x.path, u.hosp, "")
		if r.status != 200 {
			t.Logf("hosp GET %s: %d %.200s", x.path, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, x.keep) {
			t.Errorf("hospital clinician GET %s (200) finds the item pointing at the withheld HIV diagnosis: …%s…", x.path, snip61b(r.body, x.keep))
		}
		wantAbsent61b(t, "hospital clinician", "GET "+x.path, r, "Condition/hiv", "HIVREF-DISP-62B", "GP-HIV-UNLABELLED")
	}
	// the practice itself finds them
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Observation?derived-from=Condition/hiv", gp, ""); !strings.Contains(r.body, "KEEP-o62b-ref") {
		t.Errorf("premise: the GP finds her practice's observation by derived-from: %d %.300s", r.status, r.body)
	}
}

// TestReview62bSoundIncludeRevincludeAroundWithheld: _include from a released
// item does not bring the withheld diagnosis; _revinclude keyed on the
// withheld diagnosis (matched by _id, which the search withholds) brings
// nothing pointing at it.
func TestReview62bSoundIncludeRevincludeAroundWithheld(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	for p, b := range r62bPointing() {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	put61b(t, e, u.gpSys, "/fhir/QuestionnaireResponse/qr62b-based", `{"resourceType":"QuestionnaireResponse","id":"qr62b-based","status":"completed",`+subj62b+`,"basedOn":[`+hivRef62b+`],"item":[{"linkId":"1","text":"KEEP-qr62b-based"}]}`)
	put61b(t, e, u.gpSys, "/fhir/Media/m62b-based", `{"resourceType":"Media","id":"m62b-based","status":"completed",`+subj62b+`,"basedOn":[`+hivRef62b+`],"content":{"contentType":"image/png","title":"KEEP-m62b-based"}}`)
	includes := []string{
		"/fhir/Observation?patient=jane&_include=Observation:derived-from&_include=Observation:has-member&_include=Observation:focus",
		"/fhir/Observation?patient=jane&_include=*",
		"/fhir/Condition?patient=jane&_include=Condition:evidence-detail",
		"/fhir/Procedure?patient=jane&_include=Procedure:reason-reference",
		"/fhir/Encounter?patient=jane&_include=Encounter:diagnosis&_include=Encounter:reason-reference",
		"/fhir/QuestionnaireResponse?patient=jane&_include=QuestionnaireResponse:based-on",
		"/fhir/Media?patient=jane&_include=Media:based-on",
	}
	for _, p := range includes {
		r := e.do("GET", p, u.hosp, "")
		t.Logf("hosp GET %s: %d", p, r.status)
		wantAbsent61b(t, "hospital clinician", "GET "+p, r, "GP-HIV-UNLABELLED", "Condition/hiv", "HIVREF-DISP-62B")
	}
	revs := []string{
		"/fhir/Condition?_id=hiv&_revinclude=Observation:derived-from&_revinclude=Observation:has-member&_revinclude=Observation:focus",
		"/fhir/Condition?_id=hiv&_revinclude=Condition:evidence-detail",
		"/fhir/Condition?_id=hiv&_revinclude=Procedure:reason-reference",
		"/fhir/Condition?_id=hiv&_revinclude=Encounter:diagnosis",
		"/fhir/Condition?_id=hiv&_revinclude=QuestionnaireResponse:based-on",
		"/fhir/Condition?_id=hiv&_revinclude=Media:based-on",
		"/fhir/Condition?patient=jane&_revinclude=*",
		"/fhir/Condition?patient=jane&_revinclude=Observation:derived-from&_revinclude=QuestionnaireResponse:based-on&_revinclude=Encounter:diagnosis",
	}
	for _, p := range revs {
		r := e.do("GET", p, u.hosp, "")
		t.Logf("hosp GET %s: %d", p, r.status)
		if strings.Contains(p, "_id=hiv") {
			wantAbsent61b(t, "hospital clinician", "GET "+p, r, "KEEP-o62b-ref", "KEEP-cond62b-evid", "KEEP-p62b-ref", "KEEP-enc62b-ref", "KEEP-qr62b-based", "KEEP-m62b-based")
		}
		wantAbsent61b(t, "hospital clinician", "GET "+p, r, "GP-HIV-UNLABELLED", "Condition/hiv", "HIVREF-DISP-62B")
	}
}

// TestReview62bSoundSocialCareTaggedMessageMasksClinical: a GP's message to the
// council, tagged social-care so the social worker reads it, pointing at
// the lab result and the HIV diagnosis (payload.contentReference, about,
// basedOn) and a council care assessment form whose answer names them:
// the social worker reads both with those references masked, and the
// lab result is not included.
func TestReview62bSoundSocialCareTaggedMessageMasksClinical(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	council := e.token("system", "council", "E06000999")
	scTag := `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},`
	put61b(t, e, u.gpSys, "/fhir/Communication/c62b-sc", `{"resourceType":"Communication","id":"c62b-sc",`+scTag+`"status":"completed",`+subj62b+`,"recipient":[{"reference":"Organization/E06000999"}],
	  "about":[{"reference":"Observation/hba1c","display":"OBS-DISP-62B"},`+hivRef62b+`],"basedOn":[{"reference":"Observation/hba1c","display":"OBS-DISP-62B"}],
	  "payload":[{"contentString":"KEEP-c62b-sc"},{"contentReference":{"reference":"Observation/hba1c","display":"OBS-DISP-62B"}},{"contentReference":`+hivRef62b+`}]}`)
	put61b(t, e, council, "/fhir/QuestionnaireResponse/qr62b-sc", `{"resourceType":"QuestionnaireResponse","id":"qr62b-sc",`+scTag+`"status":"completed",`+subj62b+`,
	  "item":[{"linkId":"1","text":"KEEP-qr62b-sc","answer":[{"valueString":"ok"}]}]}`)
	put61b(t, e, u.gpSys, "/fhir/QuestionnaireResponse/qr62b-gpsc", `{"resourceType":"QuestionnaireResponse","id":"qr62b-gpsc",`+scTag+`"status":"completed",`+subj62b+`,
	  "item":[{"linkId":"1","text":"KEEP-qr62b-gpsc","answer":[{"valueReference":{"reference":"Observation/hba1c","display":"OBS-DISP-62B"}},{"valueReference":`+hivRef62b+`}]}]}`)
	for _, p := range []string{"/fhir/Communication/c62b-sc", "/fhir/QuestionnaireResponse/qr62b-gpsc"} {
		r := e.do("GET", p, u.sw, "")
		t.Logf("sw GET %s: %d", p, r.status)
		if r.status == 200 {
			wantAbsent61b(t, "social worker", "GET "+p, r, "OBS-DISP-62B", "Observation/hba1c", "HIVREF-DISP-62B", "Condition/hiv")
		} else if r.status != 404 {
			t.Errorf("sw GET %s: %d %.300s", p, r.status, r.body)
		}
	}
	for _, p := range []string{"/fhir/Patient/jane/$everything", "/fhir/QuestionnaireResponse?patient=jane&_include=*"} {
		r := e.do("GET", p, u.sw, "")
		t.Logf("sw GET %s: %d", p, r.status)
		wantAbsent61b(t, "social worker", "GET "+p, r, "OBS-DISP-62B", "Observation/hba1c", "HIVREF-DISP-62B", "Condition/hiv", "GP-HBA1C", "GP-HIV-UNLABELLED")
	}
}

// TestReview62bSoundHistoryElementsSummaryMaskPointing: the pointing
// message and observation read by version, in _history (instance, type,
// system), with _elements and _summary, and in $everything?_type=, still
// mask the reference to the withheld HIV diagnosis.
func TestReview62bSoundHistoryElementsSummaryMaskPointing(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	for p, b := range r62bCoded() {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	pt := r62bPointing()
	for _, p := range []string{"Communication/c62b-ref", "CommunicationRequest/cr62b-ref", "QuestionnaireResponse/qr62b-ref", "Observation/o62b-ref", "AdverseEvent/ae62b-ref"} {
		put61b(t, e, u.gpSys, "/fhir/"+p, pt[p])
		put61b(t, e, u.gpSys, "/fhir/"+p, pt[p]) // version 2
	}
	paths := []string{
		"/fhir/Communication/c62b-ref/_history/1",
		"/fhir/Communication/c62b-ref/_history",
		"/fhir/Communication/_history",
		"/fhir/CommunicationRequest/_history",
		"/fhir/QuestionnaireResponse/_history",
		"/fhir/AdverseEvent/_history",
		"/fhir/_history",
		"/fhir/Communication/c62b-ref?_elements=payload,about,basedOn,partOf,reasonReference",
		"/fhir/Communication/c62b-ref?_summary=data",
		"/fhir/QuestionnaireResponse/qr62b-ref?_elements=item",
		"/fhir/Observation?patient=jane&_elements=hasMember,derivedFrom,focus",
		"/fhir/Observation/o62b-ref?_summary=true",
		"/fhir/Patient/jane/$everything?_type=Communication,CommunicationRequest,QuestionnaireResponse,AdverseEvent,Observation",
		"/fhir/Patient/jane/$everything?_count=1",
		"/fhir/Communication?_id=c62b-ref",
		"/fhir/Communication?_lastUpdated=gt2000-01-01",
		"/fhir/Patient/jane/Communication",
		"/fhir/Patient/jane/QuestionnaireResponse",
	}
	for _, p := range paths {
		r := e.do("GET", p, u.hosp, "")
		t.Logf("hosp GET %s: %d", p, r.status)
		wantAbsent61b(t, "hospital clinician", "GET "+p, r, "HIVREF-DISP-62B", "Condition/hiv", "HIVATT-TITLE-62B", "GP-HIV-UNLABELLED", "HIV-CODE-DISP-62B", "c62b-reason", "cr62b-reason")
		for id := range r62bCoded() {
			wantAbsent61b(t, "hospital clinician", "GET "+p, r, "KEEP-"+id[strings.Index(id, "/")+1:])
		}
	}
}

// TestReview62bFormAnsweringSensitiveQuestionnaire: the practice's HIV
// risk questionnaire (a definition, no one's data, its items coded with
// the HIV concept) and Jane's completed form answering it: her answers
// are yes/no by linkId, so the form's meaning is the questionnaire's
// codes. Stored with the form (contained) the codes label the form; named
// by its canonical only, do they?
func TestReview62bFormAnsweringSensitiveQuestionnaire(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	quest := `{"resourceType":"Questionnaire","id":"q62b-hiv","url":"https://gp.example/Questionnaire/q62b-hiv","status":"active","title":"Q62B-TITLE",
	  "item":[{"linkId":"1","text":"Q62B-ITEM","type":"boolean","code":[` + hivCoding62b + `]}]}`
	put61b(t, e, u.gpSys, "/fhir/Questionnaire/q62b-hiv", quest)
	contained := strings.Replace(strings.Replace(quest, `"id":"q62b-hiv",`, `"id":"q",`, 1), `"url":"https://gp.example/Questionnaire/q62b-hiv",`, ``, 1)
	put61b(t, e, u.gpSys, "/fhir/QuestionnaireResponse/qr62b-contq", `{"resourceType":"QuestionnaireResponse","id":"qr62b-contq","contained":[`+contained+`],"questionnaire":"#q","status":"completed",`+subj62b+`,
	  "item":[{"linkId":"1","answer":[{"valueBoolean":true}]}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">KEEP-qr62b-contq</div>"}}`)
	put61b(t, e, u.gpSys, "/fhir/QuestionnaireResponse/qr62b-canon", `{"resourceType":"QuestionnaireResponse","id":"qr62b-canon","questionnaire":"https://gp.example/Questionnaire/q62b-hiv","status":"completed",`+subj62b+`,
	  "item":[{"linkId":"1","answer":[{"valueBoolean":true}]}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">KEEP-qr62b-canon</div>"}}`)
	put61b(t, e, u.gpSys, "/fhir/QuestionnaireResponse/qr62b-rel", `{"resourceType":"QuestionnaireResponse","id":"qr62b-rel","questionnaire":"Questionnaire/q62b-hiv","status":"completed",`+subj62b+`,
	  "item":[{"linkId":"1","answer":[{"valueBoolean":true}]}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">KEEP-qr62b-rel</div>"}}`)
	for _, id := range []string{"qr62b-contq", "qr62b-canon", "qr62b-rel"} {
		r := e.do("GET", "/fhir/QuestionnaireResponse/"+id, u.hosp, "")
		t.Logf("hosp GET QuestionnaireResponse/%s: %d %.400s", id, r.status, r.body)
		if r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/QuestionnaireResponse/%s: %d, want 404: Jane's answer 'yes' to the HIV-coded questionnaire item: %.300s", id, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/QuestionnaireResponse?patient=jane&_include=QuestionnaireResponse:questionnaire", u.hosp, "")
	t.Logf("hosp QR search with _include questionnaire: %d %.3000s", r.status, r.body[min(len(r.body), strings.Index(r.body, `"entry"`)+0):])
}

// TestReview62bItemInstantiatingSensitiveDefinition: the practice's HIV
// care pathway (a PlanDefinition whose topic and goal are coded with the
// HIV concept) and Jane's care plan, a message and a referral instantiating
// it by canonical: each says Jane is on the HIV pathway. The care plan
// and referral are classes the district nurse and the social worker see.
func TestReview62bItemInstantiatingSensitiveDefinition(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/PlanDefinition/pd62b-hiv", `{"resourceType":"PlanDefinition","id":"pd62b-hiv","url":"https://gp.example/PlanDefinition/pd62b-hiv","status":"active","title":"PD62B-TITLE",
	  "topic":[{"coding":[`+hivCoding62b+`]}],"goal":[{"description":{"text":"g"},"addresses":[{"coding":[`+hivCoding62b+`]}]}]}`)
	items := map[string]string{
		"CarePlan/cp62b-inst":       `{"resourceType":"CarePlan","id":"cp62b-inst","status":"active","intent":"plan",` + subj62b + `,"title":"KEEP-cp62b-inst","instantiatesCanonical":["https://gp.example/PlanDefinition/pd62b-hiv"]}`,
		"ServiceRequest/sr62b-inst": `{"resourceType":"ServiceRequest","id":"sr62b-inst","status":"active","intent":"order",` + subj62b + `,"code":{"text":"KEEP-sr62b-inst"},"instantiatesCanonical":["PlanDefinition/pd62b-hiv"]}`,
		"Communication/c62b-inst":   `{"resourceType":"Communication","id":"c62b-inst","status":"completed",` + subj62b + `,"payload":[{"contentString":"KEEP-c62b-inst"}],"instantiatesCanonical":["https://gp.example/PlanDefinition/pd62b-hiv"]}`,
	}
	for p, b := range items {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	// Contrast: the same care plan carrying the pathway contained is
	// labelled by its codes, and withheld from the hospital clinician.
	put61b(t, e, u.gpSys, "/fhir/CarePlan/cp62b-contpd", `{"resourceType":"CarePlan","id":"cp62b-contpd","status":"active","intent":"plan",`+subj62b+`,"title":"KEEP-cp62b-contpd","instantiatesCanonical":["#pd"],
	  "contained":[{"resourceType":"PlanDefinition","id":"pd","status":"active","topic":[{"coding":[`+hivCoding62b+`]}]}]}`)
	if r := e.do("GET", "/fhir/CarePlan/cp62b-contpd", u.hosp, ""); r.status != 404 {
		t.Logf("contrast: hosp reads the care plan carrying the HIV pathway contained: %d", r.status)
	} else {
		t.Logf("contrast: the care plan carrying the HIV pathway contained is 404 to the hospital clinician")
	}
	if r := e.do("GET", "/fhir/PlanDefinition/pd62b-hiv", u.hosp, ""); true {
		t.Logf("hosp GET /fhir/PlanDefinition/pd62b-hiv: %d %.300s", r.status, r.body)
	}
	for _, who := range []struct{ name, tok string }{{"hospital clinician", u.hosp}, {"district nurse", u.nurse}, {"social worker", u.sw}} {
		for p := range items {
			r := e.do("GET", "/fhir/"+p, who.tok, "")
			t.Logf("%s GET /fhir/%s: %d %.300s", who.name, p, r.status, r.body)
			if r.status == 200 && strings.Contains(r.body, "pd62b-hiv") {
				t.Errorf("%s GET /fhir/%s: 200 with the HIV pathway named: %.300s", who.name, p, r.body)
			}
		}
	}
}

// TestReview62bMessageBodyAsStringNotRead: a nurse's message to the GP
// whose body is an HL7 v2 result segment or a FHIR JSON diagnosis carrying
// Jane's HIV code. Sent as payload.contentAttachment (text/plain), its text
// labels the message; sent as payload.contentString — FHIR's other form of
// the same message body — or as a form's valueString answer, it does not.
func TestReview62bMessageBodyAsStringNotRead(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	nurseSys := e.token("system", "nhs", "RCX")
	v2 := `MSH|^~\\&|LAB|RCX|GP|A81001|202601010000||ORU^R01|1|P|2.4\rOBX|1|CE|DX^Diagnosis||86406008^Human immunodeficiency virus infection^SCT||||||F`
	fj := `{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/jane\"},\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"86406008\"}]}}`
	b64 := func(s string) string {
		s = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, `\\`, `\`), `\"`, `"`), `\r`, "\r")
		return base64Std62b(s)
	}
	items := map[string]string{
		"Communication/c62b-att-v2":          `{"resourceType":"Communication","id":"c62b-att-v2","status":"completed",` + subj62b + `,"payload":[{"contentString":"KEEP-c62b-att-v2"},{"contentAttachment":{"contentType":"text/plain","data":"` + b64(v2) + `"}}]}`,
		"Communication/c62b-att-js":          `{"resourceType":"Communication","id":"c62b-att-js","status":"completed",` + subj62b + `,"payload":[{"contentString":"KEEP-c62b-att-js"},{"contentAttachment":{"contentType":"text/plain","data":"` + b64(fj) + `"}}]}`,
		"Communication/c62b-str-v2":          `{"resourceType":"Communication","id":"c62b-str-v2","status":"completed",` + subj62b + `,"payload":[{"contentString":"KEEP-c62b-str-v2"},{"contentString":"` + v2 + `"}]}`,
		"Communication/c62b-str-js":          `{"resourceType":"Communication","id":"c62b-str-js","status":"completed",` + subj62b + `,"payload":[{"contentString":"KEEP-c62b-str-js"},{"contentString":"` + fj + `"}]}`,
		"CommunicationRequest/cr62b-str-v2":  `{"resourceType":"CommunicationRequest","id":"cr62b-str-v2","status":"active",` + subj62b + `,"payload":[{"contentString":"KEEP-cr62b-str-v2"},{"contentString":"` + v2 + `"}]}`,
		"Observation/o62b-str-v2":            `{"resourceType":"Observation","id":"o62b-str-v2","status":"final",` + subj62b + `,"code":{"text":"KEEP-o62b-str-v2"},"valueString":"` + v2 + `"}`,
		"QuestionnaireResponse/qr62b-str-js": `{"resourceType":"QuestionnaireResponse","id":"qr62b-str-js","status":"completed",` + subj62b + `,"item":[{"linkId":"1","text":"KEEP-qr62b-str-js","answer":[{"valueString":"` + fj + `"}]}]}`,
	}
	for p, b := range items {
		put61b(t, e, nurseSys, "/fhir/"+p, b)
	}
	for p := range items {
		r := e.do("GET", "/fhir/"+p, u.hosp, "")
		t.Logf("hosp GET /fhir/%s: %d", p, r.status)
		if r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/%s: %d, want 404 (Jane's HIV code in the message body): %.400s", p, r.status, r.body)
		}
	}
}

func base64Std62b(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
