package api_test

// Review 78b: $everything as FHIR R4's Patient compartment — is the nurse
// shown the whole record? A GP practice's system (A81001, Jane's registered
// practice) writes ordinary, unlabelled items about Jane; the trust's
// district nursing team (RCX) is on her care team (seedShared). No Consent
// restricts anything, so layers 2–4 permit everything; layer 1 (the role's
// classes) still applies to the nurse.

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
)

type r78bBundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        *int   `json:"total"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		FullURL  string         `json:"fullUrl"`
		Resource map[string]any `json:"resource"`
		Search   *struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

func r78bParse(t *testing.T, body string) r78bBundle {
	t.Helper()
	var b r78bBundle
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("not JSON: %v %.300s", err, body)
	}
	return b
}

// r78bIDs: "Type/id" of every entry.
func r78bIDs(b r78bBundle) map[string]bool {
	m := map[string]bool{}
	for _, e := range b.Entry {
		rt, _ := e.Resource["resourceType"].(string)
		id, _ := e.Resource["id"].(string)
		m[rt+"/"+id] = true
	}
	return m
}

func r78bEverything(t *testing.T, e *env, tok, query string) r78bBundle {
	t.Helper()
	r := e.do("GET", "/fhir/Patient/jane/$everything"+query, tok, "")
	if r.status != 200 {
		t.Fatalf("$everything%s: %d %.400s", query, r.status, r.body)
	}
	return r78bParse(t, r.body)
}

const r78bBob = `{"resourceType":"Patient","id":"bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
"name":[{"family":"Smith","given":["Bob"]}],"gender":"male","birthDate":"1948-01-02","generalPractitioner":[{"reference":"Organization/A81001"}]}`

// r78bItems are real-looking items naming Jane by each R4 patient-compartment
// parameter, keyed by path; the value is the body and the nurse's
// expectation (true: a class the district-nurse role sees by the default
// policy: demographics allergies medications problems care-plans
// social-care appointments consent directory).
var r78bItems = []struct {
	path, body string
	nurse      bool
}{
	{"/fhir/AllergyIntolerance/r78b-allergy", `{"resourceType":"AllergyIntolerance","id":"r78b-allergy","patient":{"reference":"Patient/jane"},"code":{"text":"Penicillin"},"recordedDate":"2024-01-05"}`, true},
	// R4 AllergyIntolerance: asserter — Jane reporting Bob's allergy (she is his carer).
	{"/fhir/AllergyIntolerance/r78b-allergy-asserter", `{"resourceType":"AllergyIntolerance","id":"r78b-allergy-asserter","patient":{"reference":"Patient/bob"},"asserter":{"reference":"Patient/jane"},"code":{"text":"Latex"}}`, false}, // Bob's allergy: decided under Bob too, and RCX has no relationship with Bob
	{"/fhir/Condition/r78b-cond", `{"resourceType":"Condition","id":"r78b-cond","subject":{"reference":"Patient/jane"},"code":{"text":"Leg ulcer"},"onsetDateTime":"2026-03-10"}`, true},
	// R4 Observation: performer — a home BP reading she took herself, subject not given.
	{"/fhir/Observation/r78b-obs-performer", `{"resourceType":"Observation","id":"r78b-obs-performer","status":"final","code":{"text":"Home blood pressure"},"performer":[{"reference":"Patient/jane"}],"effectiveDateTime":"2026-03-11","valueString":"150/95"}`, false},
	{"/fhir/Observation/r78b-obs", `{"resourceType":"Observation","id":"r78b-obs","status":"final","code":{"text":"Weight"},"subject":{"reference":"Patient/jane"},"effectiveDateTime":"2026-03-12","valueString":"61 kg"}`, false},
	{"/fhir/Appointment/r78b-appt", `{"resourceType":"Appointment","id":"r78b-appt","status":"booked","start":"2026-04-01T10:00:00Z","end":"2026-04-01T10:30:00Z","participant":[{"actor":{"reference":"Patient/jane"},"status":"accepted"}]}`, true},
	// R4 Communication: recipient — a letter sent to her.
	{"/fhir/Communication/r78b-comm-recipient", `{"resourceType":"Communication","id":"r78b-comm-recipient","status":"completed","recipient":[{"reference":"Patient/jane"}],"payload":[{"contentString":"Your dressing clinic moves to Tuesdays"}]}`, false},
	{"/fhir/CarePlan/r78b-careplan", `{"resourceType":"CarePlan","id":"r78b-careplan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"Falls prevention"}`, true},
	{"/fhir/Encounter/r78b-enc", `{"resourceType":"Encounter","id":"r78b-enc","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},"subject":{"reference":"Patient/jane"},"period":{"start":"2026-03-12T09:00:00Z","end":"2026-03-12T09:30:00Z"}}`, false},
	// R4 Group: member — she is on the practice's housebound list.
	{"/fhir/Group/r78b-group", `{"resourceType":"Group","id":"r78b-group","type":"person","actual":true,"name":"Housebound patients","member":[{"entity":{"reference":"Patient/jane"}},{"entity":{"reference":"Patient/bob"}}]}`, false},
	{"/fhir/Immunization/r78b-imm", `{"resourceType":"Immunization","id":"r78b-imm","status":"completed","vaccineCode":{"text":"Influenza"},"patient":{"reference":"Patient/jane"},"occurrenceDateTime":"2025-10-01"}`, false},
	{"/fhir/MedicationStatement/r78b-medstmt", `{"resourceType":"MedicationStatement","id":"r78b-medstmt","status":"active","medicationCodeableConcept":{"text":"Warfarin 3mg"},"subject":{"reference":"Patient/jane"}}`, true},
	{"/fhir/MedicationRequest/r78b-medreq", `{"resourceType":"MedicationRequest","id":"r78b-medreq","status":"active","intent":"order","medicationCodeableConcept":{"text":"Furosemide 40mg"},"subject":{"reference":"Patient/jane"},"authoredOn":"2026-02-01"}`, true},
	// R4 DocumentReference: author — an advance statement she wrote.
	{"/fhir/DocumentReference/r78b-doc-author", `{"resourceType":"DocumentReference","id":"r78b-doc-author","status":"current","author":[{"reference":"Patient/jane"}],"description":"My wishes","content":[{"attachment":{"contentType":"text/plain","data":"RG8gbm90IGFkbWl0"}}]}`, false},
	// R4 QuestionnaireResponse: author — a form she filled in.
	{"/fhir/QuestionnaireResponse/r78b-qr-author", `{"resourceType":"QuestionnaireResponse","id":"r78b-qr-author","status":"completed","author":{"reference":"Patient/jane"},"item":[{"linkId":"1","text":"Any falls?","answer":[{"valueString":"Two last month"}]}]}`, false},
	{"/fhir/Flag/r78b-flag", `{"resourceType":"Flag","id":"r78b-flag","status":"active","code":{"text":"Dog in house"},"subject":{"reference":"Patient/jane"}}`, false},
	// R4 RelatedPerson: patient — her daughter, a key contact.
	{"/fhir/RelatedPerson/r78b-daughter", `{"resourceType":"RelatedPerson","id":"r78b-daughter","patient":{"reference":"Patient/jane"},"name":[{"family":"Smith","given":["Anne"]}],"telecom":[{"system":"phone","value":"07700 900123"}]}`, true},
	// R4 Provenance: patient (Provenance.target.where(resolve() is Patient)).
	{"/fhir/Provenance/r78b-prov", `{"resourceType":"Provenance","id":"r78b-prov","target":[{"reference":"Patient/jane"}],"recorded":"2026-03-01T10:00:00Z","agent":[{"who":{"reference":"Organization/A81001"}}]}`, false},
	{"/fhir/Goal/r78b-goal", `{"resourceType":"Goal","id":"r78b-goal","lifecycleStatus":"active","description":{"text":"Walk to the shop"},"subject":{"reference":"Patient/jane"}}`, true},
	{"/fhir/Procedure/r78b-proc", `{"resourceType":"Procedure","id":"r78b-proc","status":"completed","code":{"text":"Dressing change"},"subject":{"reference":"Patient/jane"},"performedDateTime":"2026-03-12"}`, false},
	{"/fhir/ServiceRequest/r78b-sr", `{"resourceType":"ServiceRequest","id":"r78b-sr","status":"active","intent":"order","code":{"text":"Tissue viability referral"},"subject":{"reference":"Patient/jane"}}`, false},
	{"/fhir/Task/r78b-task", `{"resourceType":"Task","id":"r78b-task","status":"requested","intent":"order","description":"Check dressings","for":{"reference":"Patient/jane"}}`, false},
	// R4 List: source — a list she made of her own medicines.
	{"/fhir/List/r78b-list-source", `{"resourceType":"List","id":"r78b-list-source","status":"current","mode":"snapshot","title":"Medicines I take","source":{"reference":"Patient/jane"}}`, false},
	{"/fhir/DiagnosticReport/r78b-dr", `{"resourceType":"DiagnosticReport","id":"r78b-dr","status":"final","code":{"text":"Wound swab"},"subject":{"reference":"Patient/jane"}}`, false},
	// R4 CareTeam: participant — she is on Bob's care team as his carer.
	{"/fhir/CareTeam/r78b-ct-member", `{"resourceType":"CareTeam","id":"r78b-ct-member","status":"active","subject":{"reference":"Patient/bob"},"participant":[{"member":{"reference":"Patient/jane"}},{"member":{"reference":"Organization/A81001"}}]}`, false},
}

func r78bSeed(t *testing.T, e *env) {
	t.Helper()
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/bob", gpSys, r78bBob); r.status != 201 && r.status != 200 {
		t.Fatalf("bob: %d %s", r.status, r.body)
	}
	for _, it := range r78bItems {
		if r := e.do("PUT", it.path, gpSys, it.body); r.status != 201 && r.status != 200 {
			t.Fatalf("PUT %s: %d %.400s", it.path, r.status, r.body)
		}
	}
}

// TestReview78bSoundCompartmentCoverage: 25 items of 23 types, each naming
// Jane by one R4 compartment parameter (the non-obvious ones too: an
// Observation's performer, a Communication's recipient, a Group's member,
// an AllergyIntolerance's asserter, a DocumentReference's and a
// QuestionnaireResponse's author, a List's source, a CareTeam's participant,
// a Provenance's target), are all in the GP's $everything, and in the
// nurse's where her role's classes allow. A miss would be a safety finding
// (an item about her that her shared record does not show).
func TestReview78bSoundCompartmentCoverage(t *testing.T) {
	e := newEnv(t)
	r78bSeed(t, e)
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gpIDs := r78bIDs(r78bEverything(t, e, gp, ""))
	nurseIDs := r78bIDs(r78bEverything(t, e, nurse, ""))
	for _, it := range r78bItems {
		key := strings.TrimPrefix(it.path, "/fhir/")
		if !gpIDs[key] {
			t.Errorf("GP's $everything of Jane misses %s", key)
		}
		if it.nurse && !nurseIDs[key] {
			t.Errorf("nurse's $everything of Jane misses %s (a class her role sees)", key)
		}
		// Is it hidden from the nurse by class alone? It must not be in
		// the record at all if not in the role's classes: check reads agree.
		rr := e.do("GET", it.path, nurse, "")
		if nurseIDs[key] != (rr.status == 200) {
			t.Errorf("%s: nurse $everything has it=%v but read answers %d", key, nurseIDs[key], rr.status)
		}
	}
	for _, en := range r78bEverything(t, e, nurse, "").Entry {
		if en.Resource["resourceType"] == "OperationOutcome" {
			mode := "<none>"
			if en.Search != nil {
				mode = en.Search.Mode
			}
			if mode != "outcome" {
				t.Errorf("the confidential-items OperationOutcome entry has search.mode %q, R4: outcome", mode)
			}
		}
	}
	var got []string
	for k := range nurseIDs {
		got = append(got, k)
	}
	sort.Strings(got)
	t.Logf("nurse's $everything: %v", got)
}

// TestReview78bReferenceForms: items naming Jane by NHS number alone, through
// a contained Patient carrying her NHS number, by this server's absolute URL,
// and with /_history/1 — README ("Patient compartment and data class"):
// a person named by NHS number alone "(a reference by identifier … or a
// reference to a contained Patient carrying one) is … the one current
// Patient carrying that number … Each such person's record then holds the
// item ($everything)"; compartment.go: "relative, or absolute ending in
// /Patient/{id}, optionally with /_history/{vid}". All four must be in the
// nurse's $everything (a safety finding otherwise).
func TestReview78bSoundReferenceForms(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cond := func(id, subject, extra string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":` + subject + `,"code":{"text":"R78B-` + id + `"}` + extra + `}`
	}
	items := map[string]string{
		"r78b-by-nhs":    cond("r78b-by-nhs", `{"type":"Patient","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}}`, ""),
		"r78b-contained": cond("r78b-contained", `{"reference":"#p"}`, `,"contained":[{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}]`),
		"r78b-absolute":  cond("r78b-absolute", `{"reference":"`+e.base+`/fhir/Patient/jane"}`, ""),
		"r78b-history":   cond("r78b-history", `{"reference":"Patient/jane/_history/1"}`, ""),
	}
	for id, body := range items {
		if r := e.do("PUT", "/fhir/Condition/"+id, gpSys, body); r.status != 201 && r.status != 200 {
			t.Fatalf("PUT %s: %d %.300s", id, r.status, r.body)
		}
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	ids := r78bIDs(r78bEverything(t, e, nurse, ""))
	for id := range items {
		if !ids["Condition/"+id] {
			t.Errorf("nurse's $everything of Jane misses Condition/%s", id)
		}
	}
}

// TestReview78bSoundParameters: R4 $everything: Bundle type searchset,
// search.mode, total, paging (every item exactly once), _type, _since,
// start/end.
func TestReview78bSoundParameters(t *testing.T) {
	e := newEnv(t)
	r78bSeed(t, e)
	gp := e.token("gp", "nhs", "A81001")
	all := r78bEverything(t, e, gp, "")
	if all.Type != "searchset" {
		t.Errorf("Bundle.type %q", all.Type)
	}
	modes := map[string]int{}
	for _, en := range all.Entry {
		if en.Search == nil {
			modes["<none>"]++
		} else {
			modes[en.Search.Mode]++
		}
	}
	t.Logf("entries %d total %v modes %v", len(all.Entry), *all.Total, modes)
	if all.Total == nil || *all.Total != len(all.Entry) {
		t.Errorf("total %v, entries %d", all.Total, len(all.Entry))
	}
	// paging with _count=4
	seen := map[string]int{}
	next := "/fhir/Patient/jane/$everything?_count=4"
	pages := 0
	for next != "" && pages < 50 {
		pages++
		r := e.do("GET", next, gp, "")
		if r.status != 200 {
			t.Fatalf("page %s: %d", next, r.status)
		}
		b := r78bParse(t, r.body)
		if b.Total == nil || *b.Total != len(all.Entry) {
			t.Errorf("page %d total %v, want %d", pages, b.Total, len(all.Entry))
		}
		for k := range r78bIDs(b) {
			seen[k]++
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				u, _ := url.Parse(l.URL)
				next = u.Path + "?" + u.RawQuery
				next = next[strings.Index(next, "/fhir/"):]
			}
		}
	}
	for k := range r78bIDs(all) {
		if seen[k] != 1 {
			t.Errorf("%s seen %d times across %d pages", k, seen[k], pages)
		}
	}
	if len(seen) != len(all.Entry) {
		t.Errorf("pages hold %d distinct items, whole record %d", len(seen), len(all.Entry))
	}
	// _type
	ty := r78bEverything(t, e, gp, "?_type=Condition,AllergyIntolerance")
	for k := range r78bIDs(ty) {
		if !strings.HasPrefix(k, "Condition/") && !strings.HasPrefix(k, "AllergyIntolerance/") {
			t.Errorf("_type=Condition,AllergyIntolerance returned %s", k)
		}
	}
	// _since in the future: nothing; in the past: everything
	// README: "The Patient resource is always included" (a choice).
	if b := r78bIDs(r78bEverything(t, e, gp, "?_since=2999-01-01T00:00:00Z")); len(b) != 1 || !b["Patient/jane"] {
		t.Errorf("_since=2999: %v", b)
	}
	if b := r78bEverything(t, e, gp, "?_since=2000-01-01T00:00:00Z"); len(b.Entry) != len(all.Entry) {
		t.Errorf("_since=2000: %d entries, want %d", len(b.Entry), len(all.Entry))
	}
	// start/end: care in March 2026 holds the leg ulcer (onset 2026-03-10),
	// not the flu jab (2025-10-01)
	m := r78bIDs(r78bEverything(t, e, gp, "?start=2026-03-01&end=2026-03-31"))
	if !m["Condition/r78b-cond"] || m["Immunization/r78b-imm"] || !m["Patient/jane"] {
		t.Errorf("start/end March 2026: cond %v imm %v patient %v", m["Condition/r78b-cond"], m["Immunization/r78b-imm"], m["Patient/jane"])
	}
}

// TestReview78bMetadataStartEndZone: the CapabilityStatement's
// OperationDefinition #carex-Patient-everything says start and end are
// "UTC" days; README's $everything row says "days are days in England …
// (Europe/London; before, UTC days …)" (review 72c), and its AuditEvent row
// says "$everything's start/end keep UTC days". A reading taken at 00:30 BST
// on 1 June 2026 (23:30 UTC on 31 May) tells which one carex does. SPEC §3:
// "a CapabilityStatement that tells the truth about what is supported".
// Severity: documentation (a client computing "care in June" by the
// published definition), below every data finding.
func TestReview78bMetadataStartEndZone(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Observation/r78b-bst", `{"resourceType":"Observation","id":"r78b-bst","status":"final","code":{"text":"Temperature"},"subject":{"reference":"Patient/jane"},"effectiveDateTime":"2026-06-01T00:30:00+01:00","valueString":"38.9"}`})
	gp := e.token("gp", "nhs", "A81001")
	june := r78bIDs(r78bEverything(t, e, gp, "?start=2026-06-01"))["Observation/r78b-bst"]
	london := june // a London day holds it; a UTC day does not
	md := e.do("GET", "/fhir/metadata", "", "")
	saysUTC := strings.Contains(md.body, `care dates from this day (YYYY-MM-DD, or the first day of a month YYYY-MM or year YYYY), UTC`)
	t.Logf("start=2026-06-01 holds the 00:30 BST reading: %v; metadata's start says UTC: %v", june, saysUTC)
	if london && saysUTC {
		t.Errorf("$everything takes start/end as days in England (the 00:30 BST reading of 1 June is in start=2026-06-01), but /fhir/metadata's OperationDefinition says UTC")
	}
}

// TestReview78bSoundPostParameters: POST $everything with a Parameters body
// (_type, start as valueDate) answers as the GET does.
func TestReview78bSoundPostParameters(t *testing.T) {
	e := newEnv(t)
	r78bSeed(t, e)
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Condition,Immunization"},{"name":"start","valueDate":"2026-03-01"}]}`)
	if r.status != 200 {
		t.Fatalf("POST: %d %.300s", r.status, r.body)
	}
	post := r78bIDs(r78bParse(t, r.body))
	get := r78bIDs(r78bEverything(t, e, gp, "?_type=Condition,Immunization&start=2026-03-01"))
	if len(post) != len(get) || !post["Condition/r78b-cond"] || post["Immunization/r78b-imm"] {
		t.Errorf("POST %v, GET %v", post, get)
	}
}

// TestReview78bForeignAbsoluteURL: an absolute reference to a Patient on
// another server was read by its type and id, so the hospital's item about
// its own patient "jane" was filed under carex's Jane and went to her
// district nurse (found by review 78b; the same at 95fa010). Now refused
// (422, nothing stored), in a direct write, inside a contained resource
// and in a transaction; this server's own base, and a transaction entry's
// fullUrl, still resolve.
func TestReview78bForeignAbsoluteURL(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	cond := func(id, subject, extra string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"` + subject + `"},"code":{"text":"R78B-` + id + `"}` + extra + `}`
	}
	for id, body := range map[string]string{
		"r78b-foreign":    cond("r78b-foreign", "https://other-trust.example/fhir/Patient/jane", ""),
		"r78b-foreign-v":  cond("r78b-foreign-v", "https://other-trust.example/fhir/Patient/jane/_history/2", ""),
		"r78b-scheme":     cond("r78b-scheme", strings.Replace(e.base, "http://", "https://", 1)+"/fhir/Patient/jane", ""),
		"r78b-contained":  cond("r78b-contained", "Patient/jane", `,"contained":[{"resourceType":"Provenance","id":"pv","recorded":"2026-01-01T00:00:00Z","agent":[{"who":{"display":"x"}}],"target":[{"reference":"https://other-trust.example/fhir/Patient/jane"}]}]`),
		"r78b-other-path": cond("r78b-other-path", e.base+"/elsewhere/Patient/jane", ""),
	} {
		w := e.do("PUT", "/fhir/Condition/"+id, hosp, body)
		if w.status != 422 || !strings.Contains(w.body, "names a Patient on another server") || !strings.Contains(w.body, "--base-url") {
			t.Errorf("%s: %d %.300s, want 422 saying the Patient is on another server", id, w.status, w.body)
		}
		if r := e.do("GET", "/fhir/Condition/"+id, hosp, ""); r.status != 404 {
			t.Errorf("%s: the refused Condition was stored: %d", id, r.status)
		}
	}
	if w := e.do("PUT", "/fhir/Condition/r78b-own", hosp, cond("r78b-own", e.base+"/fhir/Patient/jane", "")); w.status != 201 {
		t.Fatalf("this server's own absolute url: %d %.300s", w.status, w.body)
	}
	// A transaction: a reference to another entry's RESTful fullUrl is
	// that entry; one to no entry on that base is another server's.
	tx := func(subject string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"fullUrl":"https://feed.example/fhir/Patient/p9","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]},"request":{"method":"POST","url":"Patient"}},
		 {"fullUrl":"https://feed.example/fhir/Observation/1","resource":{"resourceType":"Observation","status":"final","code":{"text":"R78B-TX"},"subject":{"reference":"` + subject + `"}},"request":{"method":"POST","url":"Observation"}}]}`
	}
	if w := e.do("POST", "/fhir", hosp, tx("https://feed.example/fhir/Patient/jane")); w.status != 422 || !strings.Contains(w.body, "names a Patient on another server") {
		t.Errorf("transaction naming the feed's own Patient/jane: %d %.300s, want 422", w.status, w.body)
	}
	if w := e.do("POST", "/fhir", hosp, tx("https://feed.example/fhir/Patient/p9")); w.status != 200 {
		t.Errorf("transaction naming its own entry by fullUrl: %d %.300s", w.status, w.body)
	}
	ev := e.do("GET", "/fhir/Patient/jane/$everything", nurse, "")
	if ev.status != 200 || !strings.Contains(ev.body, "R78B-r78b-own") || strings.Contains(ev.body, "R78B-r78b-foreign") || strings.Contains(ev.body, "R78B-TX") {
		t.Errorf("nurse's $everything of Jane: %d; want her own-base item and no other server's: %.500s", ev.status, ev.body)
	}
}
