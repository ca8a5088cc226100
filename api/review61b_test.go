package api_test

// Review 61b: documents, lists and compositions — resources that point at
// or summarise other items (Composition, List, DocumentReference, a
// document Bundle, DocumentManifest, ClinicalImpression, DetectedIssue,
// RiskAssessment, Goal, CarePlan). seedShared gives Jane a GP HIV
// diagnosis (Condition/hiv, labelled HIV from its SNOMED code), a GP
// Observation (hba1c, class observations), a diabetes diagnosis, a
// nursing CareTeam (RCX), a hospital admission (RHX) and a council care
// package (E06000999). The social worker sees problems and care-plans,
// not observations nor documents; the hospital clinician sees every
// class but not the HIV-labelled diagnosis.

import (
	"strings"
	"testing"
)

const (
	hivCoding61b = `{"system":"http://snomed.info/sct","code":"86406008","display":"HIV-CODE-DISP-61B"}`
	topCoding61b = `{"system":"http://snomed.info/sct","code":"386639001","display":"TOP-CODE-DISP-61B"}`
	cpTag61b     = `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"care-plans"}]},`
	probTag61b   = `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"problems"}]},`
)

type users61b struct{ sw, hosp, nurse, gpSys, hospSys string }

func seed61b(t *testing.T, e *env) users61b {
	t.Helper()
	seedShared(t, e)
	u := users61b{
		sw:      e.token("social-worker", "council", "E06000999"),
		hosp:    e.token("hospital-clinician", "nhs", "RHX"),
		nurse:   e.token("district-nurse", "nhs", "RCX"),
		gpSys:   e.token("system", "nhs", "A81001"),
		hospSys: e.token("system", "nhs", "RHX"),
	}
	// premises: HIV withheld from all three, hba1c from sw and nurse.
	for _, tok := range []string{u.sw, u.hosp, u.nurse} {
		if r := e.do("GET", "/fhir/Condition/hiv", tok, ""); r.status != 404 {
			t.Fatalf("premise: Condition/hiv %d", r.status)
		}
	}
	if r := e.do("GET", "/fhir/Observation/hba1c", u.sw, ""); r.status != 404 {
		t.Fatalf("premise: sw reads hba1c %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/diabetes", u.sw, ""); r.status != 200 {
		t.Fatalf("premise: sw cannot read diabetes %d", r.status)
	}
	return u
}

func put61b(t *testing.T, e *env, tok, path, body string) {
	t.Helper()
	if r := e.do("PUT", path, tok, body); r.status != 200 && r.status != 201 {
		t.Fatalf("PUT %s: %d %s", path, r.status, r.body)
	}
}

func snip61b(body, s string) string {
	i := strings.Index(body, s)
	if i < 0 {
		return ""
	}
	lo, hi := i-150, i+150
	if lo < 0 {
		lo = 0
	}
	if hi > len(body) {
		hi = len(body)
	}
	return body[lo:hi]
}

// wantAbsent61b: body must not hold any of the strings.
func wantAbsent61b(t *testing.T, who, req string, r resp, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if strings.Contains(r.body, s) {
			t.Errorf("%s %s (%d) released %q: …%s…", who, req, r.status, s, snip61b(r.body, s))
		}
	}
}

// TestReview61bSoundCompositionTaggedCarePlansMasksEntries: a GP
// discharge summary tagged care-plans (so the social worker sees it) whose
// section lists the lab result (observations) and the HIV diagnosis: both
// references are masked for the social worker, the diabetes one kept; the
// include does not follow them.
func TestReview61bSoundCompositionTaggedCarePlansMasksEntries(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/Composition/c61b-cp", `{"resourceType":"Composition","id":"c61b-cp",`+cpTag61b+`"status":"final","type":{"text":"DISCHARGE-61B"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"Summary 61B",
	  "section":[{"title":"Results","entry":[{"reference":"Observation/hba1c","display":"OBS-DISP-61B"}]},{"title":"Problems","entry":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"},{"reference":"Condition/diabetes","display":"DM-DISP-61B"}]}]}`)
	for _, p := range []string{"/fhir/Composition/c61b-cp", "/fhir/Patient/jane/$everything", "/fhir/Composition?subject=Patient/jane&_include=Composition:entry", "/fhir/Condition?_id=diabetes&_revinclude=Composition:entry"} {
		r := e.do("GET", p, u.sw, "")
		if r.status != 200 || !strings.Contains(r.body, "Summary 61B") {
			t.Fatalf("sw GET %s: %d %.400s", p, r.status, r.body)
		}
		wantAbsent61b(t, "social worker", "GET "+p, r, "OBS-DISP-61B", "HIVREF-DISP-61B", "Observation/hba1c", "Condition/hiv", "GP-HBA1C", "GP-HIV-UNLABELLED")
		if !strings.Contains(r.body, "DM-DISP-61B") {
			t.Errorf("sw GET %s: over-masked the diabetes entry: %.600s", p, r.body)
		}
	}
	// a search by the withheld entry matches nothing
	for _, p := range []string{"/fhir/Composition?entry=Condition/hiv", "/fhir/Composition?entry=Observation/hba1c"} {
		r := e.do("GET", p, u.sw, "")
		wantAbsent61b(t, "social worker", "GET "+p, r, "Summary 61B")
	}
}

// TestReview61bSoundCompositionSensitiveCodesLabelled: a GP Composition whose
// only HIV / termination-of-pregnancy code sits in a section element
// (section.code, a nested section's code, orderedBy, emptyReason,
// event.code, category) is labelled and withheld from the hospital
// clinician (who sees documents).
func TestReview61bSoundCompositionSensitiveCodesLabelled(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	variants := map[string]string{
		"seccode":   `"section":[{"title":"S","code":{"coding":[` + hivCoding61b + `]}}]`,
		"nested":    `"section":[{"title":"S","section":[{"title":"N","code":{"coding":[` + hivCoding61b + `]}}]}]`,
		"orderedby": `"section":[{"title":"S","orderedBy":{"coding":[` + hivCoding61b + `]}}]`,
		"empty":     `"section":[{"title":"S","emptyReason":{"coding":[` + topCoding61b + `]}}]`,
		"event":     `"event":[{"code":[{"coding":[` + hivCoding61b + `]}]}]`,
		"category":  `"category":[{"coding":[` + topCoding61b + `]}]`,
	}
	for name, v := range variants {
		id := "c61b-" + name
		put61b(t, e, u.gpSys, "/fhir/Composition/"+id, `{"resourceType":"Composition","id":"`+id+`","status":"final","type":{"text":"LETTER-61B-`+name+`"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T",`+v+`}`)
		if r := e.do("GET", "/fhir/Composition/"+id, u.hosp, ""); r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/Composition/%s: %d, want 404 (sensitive code in %s): %.300s", id, r.status, name, r.body)
		}
	}
	for _, p := range []string{"/fhir/Composition?subject=Patient/jane", "/fhir/Patient/jane/$everything?_type=Composition"} {
		r := e.do("GET", p, u.hosp, "")
		wantAbsent61b(t, "hospital clinician", "GET "+p, r, "HIV-CODE-DISP-61B", "TOP-CODE-DISP-61B")
	}
}

// TestReview61bSoundListEntries: a GP problem List tagged problems, an
// entry naming the HIV diagnosis with its display, another the diabetes;
// one List whose entry flag is HIV-coded. Social worker: the HIV entry
// masked, the flagged list withheld.
func TestReview61bSoundListEntries(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/List/l61b", `{"resourceType":"List","id":"l61b",`+probTag61b+`"status":"current","mode":"working","title":"PROBLEMS-61B","subject":{"reference":"Patient/jane"},
	  "entry":[{"item":{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}},{"item":{"reference":"Condition/diabetes","display":"DM-DISP-61B"}},{"item":{"reference":"Observation/hba1c","display":"OBS-DISP-61B"}}]}`)
	put61b(t, e, u.gpSys, "/fhir/List/l61b-flag", `{"resourceType":"List","id":"l61b-flag",`+probTag61b+`"status":"current","mode":"working","title":"FLAGGED-61B","subject":{"reference":"Patient/jane"},
	  "entry":[{"flag":{"coding":[`+hivCoding61b+`]},"item":{"reference":"Condition/diabetes"}}]}`)
	put61b(t, e, u.gpSys, "/fhir/List/l61b-code", `{"resourceType":"List","id":"l61b-code",`+probTag61b+`"status":"current","mode":"working","title":"CODED-61B","code":{"coding":[`+hivCoding61b+`]},"subject":{"reference":"Patient/jane"}}`)
	r := e.do("GET", "/fhir/List/l61b", u.sw, "")
	if r.status != 200 || !strings.Contains(r.body, "DM-DISP-61B") {
		t.Fatalf("premise: sw GET List/l61b %d %.300s", r.status, r.body)
	}
	wantAbsent61b(t, "social worker", "GET /fhir/List/l61b", r, "HIVREF-DISP-61B", "Condition/hiv", "OBS-DISP-61B", "Observation/hba1c")
	for _, id := range []string{"l61b-flag", "l61b-code"} {
		if r := e.do("GET", "/fhir/List/"+id, u.sw, ""); r.status != 404 {
			t.Errorf("social worker GET /fhir/List/%s: %d, want 404: %.300s", id, r.status, r.body)
		}
	}
	r = e.do("GET", "/fhir/Patient/jane/$everything", u.sw, "")
	wantAbsent61b(t, "social worker", "GET /fhir/Patient/jane/$everything", r, "HIVREF-DISP-61B", "FLAGGED-61B", "CODED-61B", "HIV-CODE-DISP-61B")
}

// TestReview61bSoundDocumentReferenceSensitiveAndRelated: DocumentReference
// coded from the sensitive refsets in type/category/context.event/
// securityLabel/facilityType/practiceSetting, and one pointing at the HIV
// diagnosis by context.related and relatesTo.
func TestReview61bSoundDocumentReferenceSensitiveAndRelated(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	doc := func(id, extra string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"DESC-` + id + `","content":[{"attachment":{"contentType":"text/plain","title":"TITLE-` + id + `"}}]` + extra + `}`
	}
	variants := map[string]string{
		"d61b-type":     `,"type":{"coding":[` + topCoding61b + `]}`,
		"d61b-cat":      `,"category":[{"coding":[` + hivCoding61b + `]}]`,
		"d61b-event":    `,"context":{"event":[{"coding":[` + hivCoding61b + `]}]}`,
		"d61b-facility": `,"context":{"facilityType":{"coding":[` + hivCoding61b + `]}}`,
		"d61b-setting":  `,"context":{"practiceSetting":{"coding":[` + hivCoding61b + `]}}`,
	}
	for id, v := range variants {
		put61b(t, e, u.gpSys, "/fhir/DocumentReference/"+id, doc(id, v))
		if r := e.do("GET", "/fhir/DocumentReference/"+id, u.hosp, ""); r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/DocumentReference/%s: %d, want 404: %.400s", id, r.status, r.body)
		}
	}
	put61b(t, e, u.gpSys, "/fhir/DocumentReference/d61b-hivdoc", doc("d61b-hivdoc", `,"type":{"coding":[`+hivCoding61b+`]}`))
	put61b(t, e, u.gpSys, "/fhir/DocumentReference/d61b-rel", doc("d61b-rel", `,"context":{"related":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}]},"relatesTo":[{"code":"appends","target":{"reference":"DocumentReference/d61b-hivdoc","display":"HIVDOC-DISP-61B"}}]`))
	for _, p := range []string{"/fhir/DocumentReference/d61b-rel", "/fhir/DocumentReference?subject=Patient/jane&_include=DocumentReference:related&_include=DocumentReference:relatesto", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, u.hosp, "")
		if r.status != 200 || !strings.Contains(r.body, "DESC-d61b-rel") {
			t.Fatalf("hosp GET %s: %d %.300s", p, r.status, r.body)
		}
		wantAbsent61b(t, "hospital clinician", "GET "+p, r, "HIVREF-DISP-61B", "HIVDOC-DISP-61B", "Condition/hiv", "d61b-hivdoc", "GP-HIV-UNLABELLED", "HIV-CODE-DISP-61B", "TOP-CODE-DISP-61B")
	}
	for _, p := range []string{"/fhir/DocumentReference?related=Condition/hiv", "/fhir/DocumentReference?relatesto=DocumentReference/d61b-hivdoc"} {
		r := e.do("GET", p, u.hosp, "")
		wantAbsent61b(t, "hospital clinician", "GET "+p, r, "DESC-d61b-rel")
	}
}

// TestReview61bSoundDocumentBundle: a GP document Bundle (Composition tagged
// care-plans, then a lab Observation entry) is not the social worker's;
// one with the HIV diagnosis as an entry is withheld from the hospital.
func TestReview61bSoundDocumentBundle(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	comp := `{"resourceType":"Composition",` + cpTag61b + `"status":"final","type":{"text":"DOCB-61B"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T","section":[{"title":"R","entry":[{"reference":"urn:uuid:6b000000-0000-4000-8000-000000000002"}]}]}`
	put61b(t, e, u.gpSys, "/fhir/Bundle/b61b-obs", `{"resourceType":"Bundle","id":"b61b-obs","type":"document","identifier":{"system":"https://gp.example/doc","value":"B61BOBS"},"timestamp":"2026-01-01T00:00:00Z","entry":[
	  {"fullUrl":"urn:uuid:6b000000-0000-4000-8000-000000000001","resource":`+comp+`},
	  {"fullUrl":"urn:uuid:6b000000-0000-4000-8000-000000000002","resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"BUNDLE-LAB-61B"},"effectiveDateTime":"2025-05-01"}}]}`)
	put61b(t, e, u.gpSys, "/fhir/Bundle/b61b-hiv", `{"resourceType":"Bundle","id":"b61b-hiv","type":"document","identifier":{"system":"https://gp.example/doc","value":"B61BHIV"},"timestamp":"2026-01-01T00:00:00Z","entry":[
	  {"fullUrl":"urn:uuid:6b000000-0000-4000-8000-000000000003","resource":`+strings.Replace(comp, "000000000002", "000000000004", 1)+`},
	  {"fullUrl":"urn:uuid:6b000000-0000-4000-8000-000000000004","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"coding":[`+hivCoding61b+`],"text":"BUNDLE-HIV-61B"}}}]}`)
	if r := e.do("GET", "/fhir/Bundle/b61b-obs", u.sw, ""); r.status != 404 {
		t.Errorf("social worker GET /fhir/Bundle/b61b-obs: %d, want 404: %.400s", r.status, r.body)
	}
	for _, tok := range []string{u.hosp, u.sw, u.nurse} {
		if r := e.do("GET", "/fhir/Bundle/b61b-hiv", tok, ""); r.status != 404 {
			t.Errorf("GET /fhir/Bundle/b61b-hiv: %d, want 404: %.400s", r.status, r.body)
		}
	}
	for _, tok := range []string{u.hosp, u.sw} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		wantAbsent61b(t, "hosp/sw", "GET /fhir/Patient/jane/$everything", r, "BUNDLE-HIV-61B")
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", u.sw, "")
	wantAbsent61b(t, "social worker", "GET /fhir/Patient/jane/$everything", r, "BUNDLE-LAB-61B")
}

// TestReview61bSoundPointingResources: ClinicalImpression, DetectedIssue,
// RiskAssessment and DocumentManifest pointing at the HIV diagnosis or
// carrying its code, read by the hospital clinician.
func TestReview61bSoundPointingResources(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/DocumentReference/d61b-hivdoc", `{"resourceType":"DocumentReference","id":"d61b-hivdoc","status":"current","subject":{"reference":"Patient/jane"},"type":{"coding":[`+hivCoding61b+`]},"content":[{"attachment":{"contentType":"text/plain","title":"HIVDOC-TITLE-61B"}}]}`)
	pointing := map[string]string{
		"ClinicalImpression/ci61b-ref": `{"resourceType":"ClinicalImpression","id":"ci61b-ref","status":"completed","subject":{"reference":"Patient/jane"},"description":"KEEP-ci61b-ref","problem":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}],"finding":[{"itemReference":{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}}],"investigation":[{"code":{"text":"inv"},"item":[{"reference":"Observation/hba1c"}]}]}`,
		"DetectedIssue/di61b-ref":      `{"resourceType":"DetectedIssue","id":"di61b-ref","status":"final","patient":{"reference":"Patient/jane"},"detail":"KEEP-di61b-ref","implicated":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"},{"reference":"DocumentReference/d61b-hivdoc","display":"HIVDOC-DISP-61B"}],"evidence":[{"detail":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}]}]}`,
		"RiskAssessment/ra61b-ref":     `{"resourceType":"RiskAssessment","id":"ra61b-ref","status":"final","subject":{"reference":"Patient/jane"},"note":[{"text":"KEEP-ra61b-ref"}],"condition":{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"},"basis":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}],"reasonReference":[{"reference":"Condition/hiv"}]}`,
		"DocumentManifest/dm61b-ref":   `{"resourceType":"DocumentManifest","id":"dm61b-ref","status":"current","subject":{"reference":"Patient/jane"},"description":"KEEP-dm61b-ref","content":[{"reference":"DocumentReference/d61b-hivdoc","display":"HIVDOC-DISP-61B"}],"related":[{"ref":{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}}]}`,
	}
	coded := map[string]string{
		"ClinicalImpression/ci61b-code": `{"resourceType":"ClinicalImpression","id":"ci61b-code","status":"completed","subject":{"reference":"Patient/jane"},"description":"KEEP-ci61b-code","finding":[{"itemCodeableConcept":{"coding":[` + hivCoding61b + `]}}]}`,
		"ClinicalImpression/ci61b-prog": `{"resourceType":"ClinicalImpression","id":"ci61b-prog","status":"completed","subject":{"reference":"Patient/jane"},"description":"KEEP-ci61b-prog","prognosisCodeableConcept":[{"coding":[` + hivCoding61b + `]}]}`,
		"DetectedIssue/di61b-code":      `{"resourceType":"DetectedIssue","id":"di61b-code","status":"final","patient":{"reference":"Patient/jane"},"detail":"KEEP-di61b-code","evidence":[{"code":[{"coding":[` + hivCoding61b + `]}]}]}`,
		"RiskAssessment/ra61b-code":     `{"resourceType":"RiskAssessment","id":"ra61b-code","status":"final","subject":{"reference":"Patient/jane"},"prediction":[{"outcome":{"coding":[` + hivCoding61b + `]}}]}`,
		"RiskAssessment/ra61b-reason":   `{"resourceType":"RiskAssessment","id":"ra61b-reason","status":"final","subject":{"reference":"Patient/jane"},"reasonCode":[{"coding":[` + topCoding61b + `]}]}`,
		"DocumentManifest/dm61b-code":   `{"resourceType":"DocumentManifest","id":"dm61b-code","status":"current","subject":{"reference":"Patient/jane"},"type":{"coding":[` + hivCoding61b + `]},"content":[{"reference":"Condition/diabetes"}]}`,
	}
	for p, b := range pointing {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p, b := range coded {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p := range pointing {
		r := e.do("GET", "/fhir/"+p, u.hosp, "")
		id := p[strings.Index(p, "/")+1:]
		if r.status != 200 || !strings.Contains(r.body, "KEEP-"+id) {
			t.Errorf("hosp GET /fhir/%s: %d %.300s (premise)", p, r.status, r.body)
			continue
		}
		wantAbsent61b(t, "hospital clinician", "GET /fhir/"+p, r, "HIVREF-DISP-61B", "HIVDOC-DISP-61B", "Condition/hiv", "d61b-hivdoc")
	}
	for p := range coded {
		if r := e.do("GET", "/fhir/"+p, u.hosp, ""); r.status != 404 {
			t.Errorf("hospital clinician GET /fhir/%s: %d, want 404: %.400s", p, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", u.hosp, "")
	wantAbsent61b(t, "hospital clinician", "GET /fhir/Patient/jane/$everything", r, "HIVREF-DISP-61B", "HIVDOC-DISP-61B", "HIV-CODE-DISP-61B", "TOP-CODE-DISP-61B", "KEEP-ci61b-code", "KEEP-ci61b-prog", "KEEP-di61b-code", "Condition/hiv")
}

// TestReview61bSoundGoalAndCarePlanForSocialWorker: care-plans the social
// worker sees, addressing or coded with the HIV diagnosis, or pointing at
// the lab result.
func TestReview61bSoundGoalAndCarePlanForSocialWorker(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	refs := map[string]string{
		"Goal/g61b-ref":      `{"resourceType":"Goal","id":"g61b-ref","lifecycleStatus":"active","description":{"text":"KEEP-g61b-ref"},"subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}],"outcomeReference":[{"reference":"Observation/hba1c","display":"OBS-DISP-61B"}],"expressedBy":{"reference":"Patient/jane"}}`,
		"CarePlan/cp61b-ref": `{"resourceType":"CarePlan","id":"cp61b-ref","status":"active","intent":"plan","title":"KEEP-cp61b-ref","subject":{"reference":"Patient/jane"},"addresses":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}],"supportingInfo":[{"reference":"Observation/hba1c","display":"OBS-DISP-61B"}],"goal":[{"reference":"Goal/g61b-code"}],"activity":[{"outcomeReference":[{"reference":"Observation/hba1c","display":"OBS-DISP-61B"}],"detail":{"status":"in-progress","reasonReference":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}],"goal":[{"reference":"Goal/g61b-code"}]}}]}`,
	}
	coded := map[string]string{
		"Goal/g61b-code":        `{"resourceType":"Goal","id":"g61b-code","lifecycleStatus":"active","description":{"text":"KEEP-g61b-code"},"subject":{"reference":"Patient/jane"},"outcomeCode":[{"coding":[` + hivCoding61b + `]}]}`,
		"Goal/g61b-desc":        `{"resourceType":"Goal","id":"g61b-desc","lifecycleStatus":"active","description":{"coding":[` + hivCoding61b + `]},"subject":{"reference":"Patient/jane"}}`,
		"Goal/g61b-target":      `{"resourceType":"Goal","id":"g61b-target","lifecycleStatus":"active","description":{"text":"KEEP-g61b-target"},"subject":{"reference":"Patient/jane"},"target":[{"measure":{"text":"m"},"detailCodeableConcept":{"coding":[` + hivCoding61b + `]}}]}`,
		"CarePlan/cp61b-reason": `{"resourceType":"CarePlan","id":"cp61b-reason","status":"active","intent":"plan","title":"KEEP-cp61b-reason","subject":{"reference":"Patient/jane"},"activity":[{"detail":{"status":"in-progress","reasonCode":[{"coding":[` + hivCoding61b + `]}]}}]}`,
		"CarePlan/cp61b-outc":   `{"resourceType":"CarePlan","id":"cp61b-outc","status":"active","intent":"plan","title":"KEEP-cp61b-outc","subject":{"reference":"Patient/jane"},"activity":[{"outcomeCodeableConcept":[{"coding":[` + hivCoding61b + `]}]}]}`,
		"CarePlan/cp61b-prod":   `{"resourceType":"CarePlan","id":"cp61b-prod","status":"active","intent":"plan","title":"KEEP-cp61b-prod","subject":{"reference":"Patient/jane"},"activity":[{"detail":{"status":"in-progress","code":{"coding":[` + topCoding61b + `]}}}]}`,
	}
	for p, b := range coded {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p, b := range refs {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
	}
	for p := range refs {
		r := e.do("GET", "/fhir/"+p, u.sw, "")
		id := p[strings.Index(p, "/")+1:]
		if r.status != 200 || !strings.Contains(r.body, "KEEP-"+id) {
			t.Errorf("sw GET /fhir/%s: %d %.300s (premise)", p, r.status, r.body)
			continue
		}
		wantAbsent61b(t, "social worker", "GET /fhir/"+p, r, "HIVREF-DISP-61B", "OBS-DISP-61B", "Condition/hiv", "Observation/hba1c", "g61b-code")
	}
	for p := range coded {
		if r := e.do("GET", "/fhir/"+p, u.sw, ""); r.status != 404 {
			t.Errorf("social worker GET /fhir/%s: %d, want 404: %.400s", p, r.status, r.body)
		}
	}
	for _, p := range []string{"/fhir/Patient/jane/$everything", "/fhir/CarePlan?patient=Patient/jane&_include=CarePlan:condition&_include=CarePlan:goal&_include=CarePlan:activity-reference", "/fhir/Goal?patient=Patient/jane&_revinclude=CarePlan:goal", "/fhir/CarePlan?condition=Condition/hiv", "/fhir/CarePlan?goal=Goal/g61b-code"} {
		r := e.do("GET", p, u.sw, "")
		if r.status != 200 {
			t.Errorf("sw GET %s: %d %.300s", p, r.status, r.body)
			continue
		}
		wantAbsent61b(t, "social worker", "GET "+p, r, "HIVREF-DISP-61B", "OBS-DISP-61B", "HIV-CODE-DISP-61B", "TOP-CODE-DISP-61B", "KEEP-g61b-code", "KEEP-g61b-target", "KEEP-cp61b-reason", "KEEP-cp61b-outc", "KEEP-cp61b-prod", "GP-HIV-UNLABELLED", "GP-HBA1C")
		if strings.Contains(p, "condition=") || strings.Contains(p, "goal=") {
			wantAbsent61b(t, "social worker", "GET "+p, r, "KEEP-cp61b-ref")
		}
	}
}

// TestReview61bDocumentSecurityLabelIgnored: FHIR R4 gives a document its
// own security labels — DocumentReference.securityLabel ("the security
// labels on the document the reference refers to") and
// Composition.confidentiality (v3 Confidentiality). A GP system that
// labels an HIV clinic letter there, not in meta.security, has it
// released to the hospital clinician (and to anyone seeing documents with
// a relationship), where SPEC §5 releases labelled data only to its source
// or an explicit permit.
func TestReview61bDocumentSecurityLabelIgnored(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	docs := map[string]string{
		"DocumentReference/d61b-sl-hiv": `{"resourceType":"DocumentReference","id":"d61b-sl-hiv","status":"current","subject":{"reference":"Patient/jane"},"description":"SL-HIV-61B","securityLabel":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]}],"content":[{"attachment":{"contentType":"text/plain","title":"Sexual health clinic letter"}}]}`,
		"DocumentReference/d61b-sl-r":   `{"resourceType":"DocumentReference","id":"d61b-sl-r","status":"current","subject":{"reference":"Patient/jane"},"description":"SL-R-61B","securityLabel":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}],"content":[{"attachment":{"contentType":"text/plain","title":"Restricted letter"}}]}`,
		"Composition/c61b-conf-r":       `{"resourceType":"Composition","id":"c61b-conf-r","status":"final","confidentiality":"R","type":{"text":"CONF-R-61B"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"Restricted summary"}`,
		"Composition/c61b-conf-v":       `{"resourceType":"Composition","id":"c61b-conf-v","status":"final","confidentiality":"V","type":{"text":"CONF-V-61B"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"Very restricted summary"}`,
	}
	for p, b := range docs {
		put61b(t, e, u.gpSys, "/fhir/"+p, b)
		if r := e.do("GET", "/fhir/"+p, u.hosp, ""); r.status != 404 {
			t.Errorf("hospital clinician (RHX) GET /fhir/%s: %d, want 404 (labelled by its source): %.300s", p, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", u.hosp, "")
	wantAbsent61b(t, "hospital clinician (RHX)", "GET /fhir/Patient/jane/$everything", r, "SL-HIV-61B", "SL-R-61B", "CONF-R-61B", "CONF-V-61B")
	// the GP, its source, still sees them
	if r := e.do("GET", "/fhir/DocumentReference/d61b-sl-hiv", e.token("gp", "nhs", "A81001"), ""); r.status != 200 {
		t.Errorf("premise: the source GP cannot read its letter: %d", r.status)
	}
}

// TestReview61bSoundCompositionMoreReferences: section.focus,
// event.detail and relatesTo.targetReference naming the HIV diagnosis or
// an HIV letter are masked for the hospital; a Composition containing the
// HIV diagnosis is withheld; a problems List or care-plans Composition
// containing a lab Observation is withheld from the social worker.
func TestReview61bSoundCompositionMoreReferences(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/DocumentReference/d61b-hivdoc", `{"resourceType":"DocumentReference","id":"d61b-hivdoc","status":"current","subject":{"reference":"Patient/jane"},"type":{"coding":[`+hivCoding61b+`]},"content":[{"attachment":{"contentType":"text/plain"}}]}`)
	put61b(t, e, u.gpSys, "/fhir/Composition/c61b-more", `{"resourceType":"Composition","id":"c61b-more","status":"final","type":{"text":"KEEP-c61b-more"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T",
	  "relatesTo":[{"code":"appends","targetReference":{"reference":"DocumentReference/d61b-hivdoc","display":"HIVDOC-DISP-61B"}}],
	  "event":[{"detail":[{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"}]}],
	  "section":[{"title":"S","focus":{"reference":"Condition/hiv","display":"HIVREF-DISP-61B"},"author":[{"reference":"Organization/A81001"}]}]}`)
	r := e.do("GET", "/fhir/Composition/c61b-more", u.hosp, "")
	if r.status != 200 || !strings.Contains(r.body, "KEEP-c61b-more") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	wantAbsent61b(t, "hospital clinician", "GET /fhir/Composition/c61b-more", r, "HIVREF-DISP-61B", "HIVDOC-DISP-61B", "Condition/hiv", "d61b-hivdoc")
	put61b(t, e, u.gpSys, "/fhir/Composition/c61b-cont", `{"resourceType":"Composition","id":"c61b-cont","status":"final","type":{"text":"KEEP-c61b-cont"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T",
	  "contained":[{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/jane"},"code":{"coding":[`+hivCoding61b+`]}}],"section":[{"title":"S","entry":[{"reference":"#c1"}]}]}`)
	if r := e.do("GET", "/fhir/Composition/c61b-cont", u.hosp, ""); r.status != 404 {
		t.Errorf("hospital GET /fhir/Composition/c61b-cont: %d, want 404", r.status)
	}
	lab := `{"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"subject":{"reference":"Patient/jane"},"code":{"text":"LAB-61B"}}`
	put61b(t, e, u.gpSys, "/fhir/List/l61b-cont", `{"resourceType":"List","id":"l61b-cont",`+probTag61b+`"status":"current","mode":"working","title":"KEEP-l61b-cont","subject":{"reference":"Patient/jane"},"contained":[`+lab+`],"entry":[{"item":{"reference":"#o1"}}]}`)
	put61b(t, e, u.gpSys, "/fhir/Composition/c61b-cpcont", `{"resourceType":"Composition","id":"c61b-cpcont",`+cpTag61b+`"status":"final","type":{"text":"KEEP-c61b-cpcont"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T","contained":[`+lab+`],"section":[{"title":"S","entry":[{"reference":"#o1"}]}]}`)
	for _, p := range []string{"/fhir/List/l61b-cont", "/fhir/Composition/c61b-cpcont"} {
		if r := e.do("GET", p, u.sw, ""); r.status != 404 {
			t.Errorf("social worker GET %s: %d, want 404: %.300s", p, r.status, r.body)
		}
	}
}

// TestReview61bLogicalReferenceToWithheldItem: FHIR lets a reference name
// its target by identifier alone (a logical reference). The GP's problem
// List and a care-plans Goal name Jane's HIV diagnosis — stored here,
// withheld from the reader — by its identifier, with its display. A
// literal reference to it goes out masked (README: "a released item that
// points at a withheld one … carries the reference masked: no id, type or
// display text"); the logical one goes out with the identifier and
// display, telling the social worker and the hospital what is withheld.
func TestReview61bLogicalReferenceToWithheldItem(t *testing.T) {
	e := newEnv(t)
	u := seed61b(t, e)
	put61b(t, e, u.gpSys, "/fhir/Condition/hiv-id61b", `{"resourceType":"Condition","id":"hiv-id61b","identifier":[{"system":"https://gp.example/problem","value":"PROBHIV61B"}],"subject":{"reference":"Patient/jane"},"code":{"coding":[`+hivCoding61b+`]}}`)
	put61b(t, e, u.gpSys, "/fhir/DocumentReference/d61b-hivdoc", `{"resourceType":"DocumentReference","id":"d61b-hivdoc","masterIdentifier":{"system":"https://gp.example/doc","value":"DOCHIV61B"},"identifier":[{"system":"https://gp.example/doc","value":"DOCHIV61B"}],"status":"current","subject":{"reference":"Patient/jane"},"type":{"coding":[`+hivCoding61b+`]},"content":[{"attachment":{"contentType":"text/plain"}}]}`)
	for _, tok := range []string{u.sw, u.hosp} {
		if r := e.do("GET", "/fhir/Condition/hiv-id61b", tok, ""); r.status != 404 {
			t.Fatalf("premise: %d", r.status)
		}
	}
	logical := `{"type":"Condition","identifier":{"system":"https://gp.example/problem","value":"PROBHIV61B"},"display":"LOGICAL-HIV-DISP-61B"}`
	put61b(t, e, u.gpSys, "/fhir/Goal/g61b-logical", `{"resourceType":"Goal","id":"g61b-logical","lifecycleStatus":"active","description":{"text":"KEEP-g61b-logical"},"subject":{"reference":"Patient/jane"},"addresses":[`+logical+`]}`)
	put61b(t, e, u.gpSys, "/fhir/List/l61b-logical", `{"resourceType":"List","id":"l61b-logical","status":"current","mode":"working","title":"KEEP-l61b-logical","subject":{"reference":"Patient/jane"},"entry":[{"item":`+logical+`},{"item":{"type":"DocumentReference","identifier":{"system":"https://gp.example/doc","value":"DOCHIV61B"},"display":"LOGICAL-DOC-DISP-61B"}}]}`)
	put61b(t, e, u.gpSys, "/fhir/Composition/c61b-logical", `{"resourceType":"Composition","id":"c61b-logical","status":"final","type":{"text":"KEEP-c61b-logical"},"subject":{"reference":"Patient/jane"},"date":"2026-01-01","author":[{"reference":"Organization/A81001"}],"title":"T","section":[{"title":"Problems","entry":[`+logical+`]}]}`)
	cases := []struct{ who, tok, path string }{
		{"social worker (E06000999)", u.sw, "/fhir/Goal/g61b-logical"},
		{"hospital clinician (RHX)", u.hosp, "/fhir/List/l61b-logical"},
		{"hospital clinician (RHX)", u.hosp, "/fhir/Composition/c61b-logical"},
		{"hospital clinician (RHX)", u.hosp, "/fhir/Patient/jane/$everything"},
	}
	for _, c := range cases {
		r := e.do("GET", c.path, c.tok, "")
		id := c.path[strings.LastIndex(c.path, "/")+1:]
		if r.status != 200 || (!strings.HasPrefix(id, "$") && !strings.Contains(r.body, "KEEP-"+id)) {
			t.Errorf("premise: %s GET %s: %d %.300s", c.who, c.path, r.status, r.body)
			continue
		}
		wantAbsent61b(t, c.who, "GET "+c.path, r, "LOGICAL-HIV-DISP-61B", "PROBHIV61B", "LOGICAL-DOC-DISP-61B", "DOCHIV61B")
	}
}
