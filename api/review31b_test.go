package api_test

// Review 31b: labelled directory items (a women's refuge Organization, a
// GUM clinic's Location or HealthcareService) and what references to them
// say. SPEC §5: "labelled data is released only to its source
// organisation, or where the person has explicitly permitted it" and
// "Withheld items are simply absent — from reads (404), searches,
// $everything, _history, _include/_revinclude and totals".

import (
	"net/url"
	"strings"
	"testing"
)

const (
	refugeName31b = "LEEDS WOMENS REFUGE 31B"
	refugeAddr31b = "REFUGEADDR31B 9 Safe Street"
	refugeLoc31b  = "REFUGE-LOC-31B"
	gumName31b    = "GUM-CLINIC-31B"
	rLabel31b     = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`
)

// leaks31b: the body gives a labelled directory item's name, address or
// the item itself (a request's own words, echoed in links and
// diagnostics, are not counted).
func leaks31b(body string) bool {
	for _, s := range secrets31b {
		if strings.Contains(body, s) {
			return true
		}
	}
	return false
}

var secrets31b = []string{refugeName31b, "REFUGEADDR31B", refugeLoc31b, gumName31b, `"id":"refuge31b"`, `"id":"refugeloc31b"`, `"id":"gum31b"`}

func around31b(body string) string {
	for _, s := range secrets31b {
		if i := strings.Index(body, s); i >= 0 {
			return body[max(0, i-200):min(len(body), i+len(s)+120)]
		}
	}
	return body[:min(len(body), 300)]
}

// seed31b: Jane's shared record (seedShared), and the hospital's directory
// entries for the refuge (Organization and Location) and the GUM clinic
// (HealthcareService), each labelled R by the hospital's system.
func seed31b(t *testing.T, e *env) {
	t.Helper()
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp,
		[2]string{"/fhir/Organization/refuge31b", `{"resourceType":"Organization","id":"refuge31b",` + rLabel31b + `,
		  "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSREF31"}],"name":"` + refugeName31b + `",
		  "address":[{"line":["` + refugeAddr31b + `"],"postalCode":"LS7 3QQ"}]}`},
		[2]string{"/fhir/Location/refugeloc31b", `{"resourceType":"Location","id":"refugeloc31b",` + rLabel31b + `,
		  "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"NSREF31L"}],"name":"` + refugeLoc31b + `",
		  "address":{"line":["` + refugeAddr31b + `"],"postalCode":"LS7 3QQ"},"managingOrganization":{"reference":"Organization/refuge31b"}}`},
		// (fix 31b: the GUM service carries the site code NSGUM31 that
		// TestReview31bLogicalReferenceDisplayNamesLabelledPlace's
		// logical reference names it by; as the probe had it, the
		// service had no identifier, and nothing stored told that
		// reference named it)
		[2]string{"/fhir/HealthcareService/gum31b", `{"resourceType":"HealthcareService","id":"gum31b",` + rLabel31b + `,
		  "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"NSGUM31"}],"name":"` + gumName31b + `",
		  "providedBy":{"reference":"Organization/RHX"}}`},
	)
}

// TestReview31bSoundLabelledDirectoryItemsWithheld: the labelled refuge,
// its Location and the GUM service are 404 to another organisation's
// social worker, district nurse and client system, by read, version read
// and history, and are found by no search (name, address, identifier,
// _id, reference, _summary=count, _include/_revinclude), while the
// hospital that recorded them reads them.
func TestReview31bSoundLabelledDirectoryItemsWithheld(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Encounter/enc31b", `{"resourceType":"Encounter","id":"enc31b","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC31B"},"serviceProvider":{"reference":"Organization/refuge31b"},
		  "location":[{"location":{"reference":"Location/refugeloc31b"}}]}`},
		[2]string{"/fhir/Appointment/appt31b", `{"resourceType":"Appointment","id":"appt31b","status":"booked","description":"APPT31B",
		  "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},{"actor":{"reference":"HealthcareService/gum31b"},"status":"accepted"},
		  {"actor":{"reference":"Location/refugeloc31b"},"status":"accepted"}]}`})
	if r := e.do("GET", "/fhir/Organization/refuge31b", e.token("gp", "nhs", "RHX"), ""); r.status != 200 || !strings.Contains(r.body, refugeName31b) {
		t.Fatalf("premise: the hospital reads the refuge it recorded: %d %.300s", r.status, r.body)
	}
	users := map[string]string{
		"social worker E06000999": e.token("social-worker", "council", "E06000999"),
		"district nurse RCX":      e.token("district-nurse", "nhs", "RCX"),
		"system RCX":              e.token("system", "nhs", "RCX"),
		"gp A81001":               e.token("gp", "nhs", "A81001"),
	}
	paths404 := []string{
		"/fhir/Organization/refuge31b", "/fhir/Organization/refuge31b/_history/1", "/fhir/Organization/refuge31b/_history",
		"/fhir/Location/refugeloc31b", "/fhir/Location/refugeloc31b/_history/1", "/fhir/HealthcareService/gum31b",
	}
	searches := []string{
		"/fhir/Organization?name=LEEDS", "/fhir/Organization?name:contains=REFUGE", "/fhir/Organization?_id=refuge31b",
		"/fhir/Organization?identifier=NSREF31", "/fhir/Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|NSREF31",
		"/fhir/Organization?address=Safe", "/fhir/Organization?address-postalcode=" + url.QueryEscape("LS7 3QQ"),
		"/fhir/Organization?_id=refuge31b&_summary=count", "/fhir/Organization?name=LEEDS&_revinclude=Location:organization",
		"/fhir/Organization?_id=refuge31b&_revinclude=Encounter:service-provider",
		"/fhir/Location?name=REFUGE", "/fhir/Location?organization=Organization/refuge31b", "/fhir/Location?identifier=NSREF31L",
		"/fhir/Location?address-postalcode=" + url.QueryEscape("LS7 3QQ") + "&_revinclude=Appointment:location",
		"/fhir/Location?_id=refugeloc31b&_include=Location:organization",
		"/fhir/HealthcareService?name=GUM", "/fhir/HealthcareService?_id=gum31b", "/fhir/HealthcareService?organization=Organization/RHX",
		"/fhir/Encounter?patient=jane&_include=Encounter:service-provider", "/fhir/Encounter?patient=jane&_include=Encounter:location",
		"/fhir/Appointment?patient=jane&_include=Appointment:actor", "/fhir/Appointment?patient=jane&_include=Appointment:location",
		"/fhir/Appointment?patient=jane&_include=Appointment:service-type",
	}
	for who, tok := range users {
		for _, p := range paths404 {
			if r := e.do("GET", p, tok, ""); r.status != 404 || leaks31b(r.body) {
				t.Errorf("%s: GET %s: %d …%s…, want 404", who, p, r.status, around31b(r.body))
			}
		}
		for _, p := range searches {
			r := e.do("GET", p, tok, "")
			if r.status == 400 {
				t.Logf("%s: GET %s: 400 (refused)", who, p)
				continue
			}
			// The Encounter and Appointment reference them: leaks31b checks
			// the resources included, not those references (another test).
			body := r.body
			if strings.HasPrefix(p, "/fhir/Encounter") || strings.HasPrefix(p, "/fhir/Appointment") {
				if strings.Contains(body, `"resourceType":"Organization","id":"refuge31b"`) || strings.Contains(body, `"resourceType":"Location","id":"refugeloc31b"`) ||
					strings.Contains(body, `"resourceType":"HealthcareService","id":"gum31b"`) || strings.Contains(body, "REFUGEADDR31B") {
					t.Errorf("%s: GET %s includes a labelled directory item: %d …%s…", who, p, r.status, around31b(body))
				}
				continue
			}
			if r.status != 200 || leaks31b(body) {
				t.Errorf("%s: GET %s: %d …%s…", who, p, r.status, around31b(body))
			}
			if strings.Contains(p, "_summary=count") && !strings.Contains(body, `"total":0`) {
				t.Errorf("%s: GET %s counts the labelled item: %.300s", who, p, body)
			}
		}
	}
}

// TestReview31bLabelledOrganisationNamedByHerEncounter: the GP's ordinary
// (unlabelled) Encounter of Jane's names the refuge, labelled R by the
// hospital and 404 to the council's social worker, as its serviceProvider
// with its name as display (as GP systems fill it). The social worker sees
// Jane's encounters; the reference and its display tell her Jane went to
// the women's refuge, an item withheld from her. A Location or a
// HealthcareService so referenced goes out masked (looked up, decided like
// any item); an Organization reference goes out as stored (maskref.go
// unlookedTypes).
func TestReview31bLabelledOrganisationNamedByHerEncounter(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Encounter/enc31b-org", `{"resourceType":"Encounter","id":"enc31b-org","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC31B-ORG"},
		  "serviceProvider":{"reference":"Organization/refuge31b","display":"` + refugeName31b + `"}}`},
		[2]string{"/fhir/Encounter/enc31b-loc", `{"resourceType":"Encounter","id":"enc31b-loc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC31B-LOC"},
		  "location":[{"location":{"reference":"Location/refugeloc31b","display":"` + refugeLoc31b + `"}}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Organization/refuge31b", sw, ""); r.status != 404 {
		t.Fatalf("premise: the refuge is withheld from the social worker: %d", r.status)
	}
	loc := e.do("GET", "/fhir/Encounter/enc31b-loc", sw, "")
	if loc.status != 200 || !strings.Contains(loc.body, "ENC31B-LOC") {
		t.Fatalf("premise: the social worker reads Jane's encounter: %d %.300s", loc.status, loc.body)
	}
	if leaks31b(loc.body) || strings.Contains(loc.body, "refugeloc31b") {
		t.Errorf("(sound) her encounter names the labelled refuge Location: …%s…", around31b(loc.body))
	}
	for _, p := range []string{"/fhir/Encounter/enc31b-org", "/fhir/Encounter?patient=jane", "/fhir/Patient/jane/$everything"} {
		r := e.do("GET", p, sw, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC31B-ORG") {
			t.Fatalf("premise: GET %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, refugeName31b) || strings.Contains(r.body, "Organization/refuge31b") {
			t.Errorf("social worker E06000999: GET %s names the refuge withheld from her (labelled R, 404 to her) through Jane's encounter: %d …%s…",
				p, r.status, r.body[max(0, strings.Index(r.body, `"serviceProvider"`)):min(len(r.body), strings.Index(r.body, `"serviceProvider"`)+120)])
		}
	}
	// and a search by the reference finds her encounter as by any other id
	hit := e.do("GET", "/fhir/Encounter?patient=jane&service-provider=Organization/refuge31b", sw, "")
	miss := e.do("GET", "/fhir/Encounter?patient=jane&service-provider=Organization/zz31b", sw, "")
	if strings.Contains(hit.body, "ENC31B-ORG") != strings.Contains(miss.body, "ENC31B-ORG") {
		t.Errorf("Encounter?service-provider=Organization/refuge31b finds Jane's encounter (%d) and a wrong id does not: the search tells her link to the withheld refuge", hit.status)
	}
}

// TestReview31bLogicalReferenceDisplayNamesLabelledPlace: the same, the
// refuge's Location and the GUM service given as logical references (an
// identifier — the site's ODS code — and a display, no literal
// reference), as a feed that does not hold the directory writes them.
// The literal form is masked; the logical one goes out as stored.
func TestReview31bLogicalReferenceDisplayNamesLabelledPlace(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Appointment/appt31b-lit", `{"resourceType":"Appointment","id":"appt31b-lit","status":"booked","description":"APPT31B-LIT",
		  "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},
		  {"actor":{"reference":"HealthcareService/gum31b","display":"` + gumName31b + `"},"status":"accepted"},
		  {"actor":{"reference":"Location/refugeloc31b","display":"` + refugeLoc31b + `"},"status":"accepted"}]}`},
		[2]string{"/fhir/Appointment/appt31b-id", `{"resourceType":"Appointment","id":"appt31b-id","status":"booked","description":"APPT31B-ID",
		  "participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"},
		  {"actor":{"type":"HealthcareService","identifier":{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"NSGUM31"},"display":"` + gumName31b + `"},"status":"accepted"},
		  {"actor":{"type":"Location","identifier":{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"NSREF31L"},"display":"` + refugeLoc31b + `"},"status":"accepted"}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Location/refugeloc31b", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the refuge's Location is withheld from the nurse: %d", r.status)
	}
	lit := e.do("GET", "/fhir/Appointment/appt31b-lit", nurse, "")
	if lit.status != 200 || leaks31b(lit.body) {
		t.Errorf("(sound) literal references: %d …%s…", lit.status, around31b(lit.body))
	}
	r := e.do("GET", "/fhir/Appointment/appt31b-id", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "APPT31B-ID") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if leaks31b(r.body) {
		t.Errorf("district nurse RCX: GET /fhir/Appointment/appt31b-id names the labelled refuge Location / GUM service (withheld from her) by a logical reference's display: …%s…", around31b(r.body))
	}
}

// TestReview31bLabelledPractitionerNamedByHerCondition: a practitioner
// whose directory entry the hospital labelled R (a refuge's outreach
// worker: her name and role say where Jane is) recorded Jane's ordinary
// problem; Condition.recorder and a PractitionerRole naming the refuge go
// out as stored to the district nurse, to whom both directory items are 404.
func TestReview31bLabelledPractitionerNamedByHerCondition(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/Practitioner/prac31b", `{"resourceType":"Practitioner","id":"prac31b",` + rLabel31b + `,"name":[{"text":"PRAC31B REFUGE OUTREACH"}]}`},
		[2]string{"/fhir/Condition/cond31b", `{"resourceType":"Condition","id":"cond31b","subject":{"reference":"Patient/jane"},"code":{"text":"COND31B-LEG-ULCER"},
		  "recorder":{"reference":"Practitioner/prac31b","display":"PRAC31B REFUGE OUTREACH, ` + refugeName31b + `"}}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Practitioner/prac31b", nurse, ""); r.status != 404 {
		t.Fatalf("premise: the practitioner is withheld from the nurse: %d", r.status)
	}
	r := e.do("GET", "/fhir/Condition/cond31b", nurse, "")
	if r.status != 200 || !strings.Contains(r.body, "COND31B-LEG-ULCER") {
		t.Fatalf("premise: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, "PRAC31B REFUGE OUTREACH") || strings.Contains(r.body, refugeName31b) {
		t.Errorf("district nurse RCX: GET /fhir/Condition/cond31b names the labelled practitioner (404 to her) and the refuge in recorder: …%s…", r.body[max(0, strings.Index(r.body, `"recorder"`)):])
	}
}

// TestReview31bSoundWritesOverLabelledDirectoryItem: another
// organisation's client system cannot overwrite or delete the hospital's
// labelled refuge: PUT is 409 (the id is taken, as for any id withheld),
// DELETE 404, a conditional update by its ODS code matches nothing it may
// see (creates its own), and the refuge is unchanged for the hospital.
// Single-item reads answer as for an id never stored (review 21b's set).
func TestReview31bSoundWritesOverLabelledDirectoryItem(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	rcx := e.token("system", "nhs", "RCX")
	put := e.do("PUT", "/fhir/Organization/refuge31b", rcx, `{"resourceType":"Organization","id":"refuge31b","name":"OVERWRITTEN31B"}`)
	if put.status != 409 || leaks31b(put.body) {
		t.Errorf("RCX system PUT over the labelled refuge: %d %.300s (want 409, nothing told)", put.status, put.body)
	}
	put2 := e.do("PUT", "/fhir/Organization/refuge31b", rcx, `{"resourceType":"Organization","id":"refuge31b","name":"OVERWRITTEN31B"}`, "If-Match", `W/"1"`)
	if put2.status != 409 || leaks31b(put2.body) {
		t.Errorf("RCX system PUT If-Match 1 over the labelled refuge: %d %.300s (want 409)", put2.status, put2.body)
	}
	if d := e.do("DELETE", "/fhir/Organization/refuge31b", rcx, ""); d.status != 404 || leaks31b(d.body) {
		t.Errorf("RCX system DELETE of the labelled refuge: %d %.300s (want 404)", d.status, d.body)
	}
	cu := e.do("PUT", "/fhir/Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|NSREF31", rcx,
		`{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSREF31"}],"name":"OVERWRITTEN31B"}`)
	if cu.status != 201 || leaks31b(cu.body) {
		t.Errorf("RCX conditional update by the refuge's code: %d %.300s (want 201, a new item of its own)", cu.status, cu.body)
	}
	r := e.do("GET", "/fhir/Organization/refuge31b", e.token("gp", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, refugeName31b) || strings.Contains(r.body, "OVERWRITTEN31B") || !strings.Contains(r.body, `"versionId":"1"`) {
		t.Errorf("the hospital's refuge after the other organisation's writes: %d %.400s", r.status, r.body)
	}
	var reqs []r21bReq
	for _, rq := range r21bItemRequests("Organization") {
		if rq.method == "GET" || rq.method == "HEAD" {
			reqs = append(reqs, rq)
		}
	}
	r21bCompare(t, e, e.token("social-worker", "council", "E06000999"), "refuge31b", "zz31bnever", reqs)
}

// TestReview31bSoundDirectorySearchNoticeTellsNothing: a name search that
// matches only the labelled refuge answers as one that matches nothing
// (no confidential-items notice telling a hidden organisation of that
// name exists), for the social worker.
func TestReview31bSoundDirectorySearchNoticeTellsNothing(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	for _, q := range [][2]string{
		{"/fhir/Organization?name=LEEDS", "/fhir/Organization?name=ZZQWX"},
		{"/fhir/Location?address-postalcode=LS7", "/fhir/Location?address-postalcode=ZZ9"},
		{"/fhir/HealthcareService?name=GUM", "/fhir/HealthcareService?name=ZZQWX"},
	} {
		hit, miss := e.do("GET", q[0], sw, ""), e.do("GET", q[1], sw, "")
		if hit.status != miss.status || strings.Contains(hit.body, "confidential-items") != strings.Contains(miss.body, "confidential-items") {
			t.Errorf("GET %s: %d %.500s\n  GET %s: %d %.500s", q[0], hit.status, hit.body, q[1], miss.status, miss.body)
		}
	}
}

// TestReview31bSoundLabelledRefugeWithheldFromOtherIG: an IG officer of
// another organisation (IG sees the directory class) does not read the
// hospital's labelled refuge either.
func TestReview31bSoundLabelledRefugeWithheldFromOtherIG(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, p := range []string{"/fhir/Organization/refuge31b", "/fhir/Location/refugeloc31b", "/fhir/HealthcareService/gum31b"} {
		if r := e.do("GET", p, ig, ""); r.status != 404 || leaks31b(r.body) {
			t.Errorf("IG officer A81001: GET %s: %d …%s…", p, r.status, around31b(r.body))
		}
	}
	if r := e.do("GET", "/fhir/Organization?name=LEEDS", ig, ""); r.status != 200 || leaks31b(r.body) {
		t.Errorf("IG officer A81001: Organization?name=LEEDS: %d …%s…", r.status, around31b(r.body))
	}
}

// TestReview31bSoundSearchByMaskedLocationReference: Jane's encounter at
// the labelled refuge Location (masked for the social worker) is found by
// location=Location/refugeloc31b as by a wrong id: not at all.
func TestReview31bSoundSearchByMaskedLocationReference(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Encounter/enc31b-loc", `{"resourceType":"Encounter","id":"enc31b-loc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC31B-LOC"},
		  "location":[{"location":{"reference":"Location/refugeloc31b","display":"` + refugeLoc31b + `"}}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	hit := e.do("GET", "/fhir/Encounter?patient=jane&location=Location/refugeloc31b", sw, "")
	miss := e.do("GET", "/fhir/Encounter?patient=jane&location=Location/zz31b", sw, "")
	if strings.Contains(hit.body, "ENC31B-LOC") != strings.Contains(miss.body, "ENC31B-LOC") || hit.status != miss.status {
		t.Errorf("Encounter?location=Location/refugeloc31b: %d found=%v; a wrong id: %d found=%v", hit.status, strings.Contains(hit.body, "ENC31B-LOC"), miss.status, strings.Contains(miss.body, "ENC31B-LOC"))
	}
}

// TestReview31bLabelFollowsDirectoryWrites (fix 31b): the labelled
// directory items are kept between requests; an organisation labelled
// after Jane's encounter was read is masked from the next read on, by
// its literal and its logical reference, and released again once the
// label is taken off. The hospital that labelled it reads them as stored.
func TestReview31bLabelFollowsDirectoryWrites(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	org := func(label string) string {
		return `{"resourceType":"Organization","id":"later31b",` + label + `"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"NSLATE31"}],"name":"LATER31B"}`
	}
	e.putAll(t, hosp, [2]string{"/fhir/Organization/later31b", org("")},
		[2]string{"/fhir/Encounter/enc31b-later", `{"resourceType":"Encounter","id":"enc31b-later","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
		  "subject":{"reference":"Patient/jane"},"serviceType":{"text":"ENC31B-LATER"},"serviceProvider":{"reference":"Organization/later31b","display":"LATER31B"},
		  "participant":[{"individual":{"type":"Organization","identifier":{"value":"NSLATE31"},"display":"LATER31B LOGICAL"}}]}`})
	sw := e.token("social-worker", "council", "E06000999")
	read := func(tok string) string {
		t.Helper()
		r := e.do("GET", "/fhir/Encounter/enc31b-later", tok, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC31B-LATER") {
			t.Fatalf("premise: %d %.300s", r.status, r.body)
		}
		return r.body
	}
	if b := read(sw); !strings.Contains(b, "Organization/later31b") || !strings.Contains(b, "LATER31B LOGICAL") {
		t.Fatalf("an unlabelled organisation's references go out as stored: %.600s", b)
	}
	e.putAll(t, hosp, [2]string{"/fhir/Organization/later31b", org(rLabel31b + ",")})
	if b := read(sw); strings.Contains(b, "LATER31B") || strings.Contains(b, "later31b") || strings.Contains(b, "NSLATE31") {
		t.Errorf("the organisation labelled since is named by Jane's encounter: %.600s", b)
	}
	if b := read(e.token("gp", "nhs", "RHX")); !strings.Contains(b, "Organization/later31b") || !strings.Contains(b, "LATER31B LOGICAL") {
		t.Errorf("the hospital reads its own encounter as stored: %.600s", b)
	}
	e.putAll(t, hosp, [2]string{"/fhir/Organization/later31b", org("")})
	if b := read(sw); !strings.Contains(b, "Organization/later31b") || !strings.Contains(b, "LATER31B LOGICAL") {
		t.Errorf("the label taken off, the references go out as stored again: %.600s", b)
	}
}
