package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestElementsAndSummary: _elements and _summary=data send part of each
// released resource, tagged SUBSETTED, never more than the whole release
// (withheld items stay withheld, a redacted address stays redacted); what
// carex cannot do faithfully (_summary=true, nested elements, unknown
// names or parameters) is a 400, never silently ignored.
func TestElementsAndSummary(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	for path, body := range map[string]string{
		"/fhir/Condition/narrated": `{"resourceType":"Condition","id":"narrated","subject":{"reference":"Patient/jane"},"code":{"text":"GP-ASTHMA"},
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">NARRATIVE-ASTHMA</div>"}}`,
		"/fhir/Patient/rita": `{"resourceType":"Patient","id":"rita","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"name":[{"family":"Rowe"}],"address":[{"line":["RITA-ADDR"]}],"telecom":[{"system":"phone","value":"RITA-PHONE"}]}`,
	} {
		if r := e.do("PUT", path, gpSys, body); r.status != 201 {
			t.Fatalf("seed %s: %d %s", path, r.status, r.body)
		}
	}
	if r := e.do("PUT", "/fhir/CareTeam/rita-nursing", trust, `{"resourceType":"CareTeam","id":"rita-nursing","status":"active",
		"subject":{"reference":"Patient/rita"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`); r.status != 201 {
		t.Fatalf("seed care team: %d %s", r.status, r.body)
	}
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	const tag = `"code":"SUBSETTED"`
	e.run(t, []scenario{
		{name: "search _elements keeps the named element", method: "GET", path: "/fhir/Patient?_id=jane&_elements=identifier", token: gp, status: 200,
			contains: []string{`"total":1`, "9434765919", tag, `"versionId":"1"`}, absent: []string{"Smith", "birthDate", "generalPractitioner"}},
		{name: "read _elements", method: "GET", path: "/fhir/Patient/jane?_elements=name,gender", token: gp, status: 200,
			contains: []string{"Smith", "female", tag}, absent: []string{"9434765919", "birthDate"}},
		{name: "an element may be named after its type", method: "GET", path: "/fhir/Patient/jane?_elements=Patient.name", token: gp, status: 200,
			contains: []string{"Smith", tag}, absent: []string{"9434765919"}},
		{name: "mandatory elements come too; a choice element by its name", method: "GET", path: "/fhir/Observation?patient=jane&_elements=effective", token: gp, status: 200,
			contains: []string{`"status":"final"`, "GP-HBA1C", `"effectiveDateTime":"2025-05-01"`, tag}, absent: []string{`"subject"`}},
		{name: "included resources of another type go whole", method: "GET", path: "/fhir/Observation?patient=jane&_elements=code&_include=Observation:subject", token: gp, status: 200,
			contains: []string{"GP-HBA1C", "Smith", "9434765919"}},
		{name: "_summary=data drops the narrative", method: "GET", path: "/fhir/Condition?patient=jane&_summary=data", token: gp, status: 200,
			contains: []string{"GP-ASTHMA", "GP-DIABETES", tag}, absent: []string{"NARRATIVE-ASTHMA"}},
		{name: "without it the narrative is there", method: "GET", path: "/fhir/Condition/narrated", token: gp, status: 200,
			contains: []string{"NARRATIVE-ASTHMA"}, absent: []string{tag}},
		{name: "withheld items stay withheld", method: "GET", path: "/fhir/Condition?patient=jane&_elements=code", token: nurse, status: 200,
			contains: []string{"GP-DIABETES", "confidential-items"}, absent: []string{"GP-HIV-UNLABELLED"}},
		{name: "a redacted address is not brought back by asking for it", method: "GET", path: "/fhir/Patient/rita?_elements=address,telecom", token: nurse, status: 200,
			contains: []string{tag}, absent: []string{"RITA-ADDR", "RITA-PHONE"}},
		{name: "nor by a search", method: "GET", path: "/fhir/Patient?_id=rita&_elements=address", token: nurse, status: 200,
			contains: []string{`"total":1`}, absent: []string{"RITA-ADDR"}},
		{name: "its source organisation sees it", method: "GET", path: "/fhir/Patient/rita?_elements=address", token: gp, status: 200,
			contains: []string{"RITA-ADDR", tag}, absent: []string{"Rowe"}},
		{name: "unknown element", method: "GET", path: "/fhir/Patient?_elements=favouriteColour", token: gp, status: 400, contains: []string{"favouriteColour"}},
		{name: "nested element", method: "GET", path: "/fhir/Patient/jane?_elements=name.given", token: gp, status: 400, contains: []string{"top-level"}},
		{name: "_summary=true is refused, not ignored", method: "GET", path: "/fhir/Patient?_summary=true", token: gp, status: 400, contains: []string{"_elements"}},
		{name: "_summary=text on a read", method: "GET", path: "/fhir/Patient/jane?_summary=text", token: gp, status: 400},
		{name: "_elements with _summary=data", method: "GET", path: "/fhir/Patient?_elements=name&_summary=data", token: gp, status: 400},
		{name: "a version read too", method: "GET", path: "/fhir/Patient/jane/_history/1?_elements=gender", token: gp, status: 200,
			contains: []string{`"gender"`, tag}, absent: []string{"Smith"}},
		{name: "a version read refuses unknown parameters", method: "GET", path: "/fhir/Patient/jane/_history/1?family=smith", token: gp, status: 400, contains: []string{"family"}},
		{name: "a read refuses unknown parameters", method: "GET", path: "/fhir/Patient/jane?family=smith", token: gp, status: 400, contains: []string{"family"}},
		{name: "a read ignores _format", method: "GET", path: "/fhir/Patient/jane?_format=json", token: gp, status: 200, contains: []string{"Smith"}, absent: []string{tag}},
	})
	// A subset is still a resource: valid JSON with its type, id and meta.
	r := e.do("GET", "/fhir/Patient/jane?_elements=gender", gp, "")
	var p struct {
		ResourceType, ID, Gender string
		Meta                     struct{ VersionID string }
	}
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.ResourceType != "Patient" || p.ID != "jane" || p.Gender != "female" || p.Meta.VersionID != "1" {
		t.Errorf("subset read: %v %+v\n%s", err, p, r.body)
	}
}

// TestConditionalCreateRedacts: a conditional create that matches a
// restricted person's Patient answers with it redacted, as a read does
// (it sent the stored resource whole; found in review).
func TestConditionalCreateRedacts(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	for path, body := range map[string]string{
		"/fhir/Patient/marg": `{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Doyle"}],
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">SECRET-NARRATIVE</div>"},
			"address":[{"line":["SECRET-ADDR"]}],"telecom":[{"system":"phone","value":"SECRET-PHONE"}]}`,
	} {
		if r := e.do("PUT", path, gp, body); r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
	}
	if r := e.do("PUT", "/fhir/CareTeam/marg-nursing", e.token("system", "nhs", "RCX"), `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`); r.status != 201 {
		t.Fatalf("care team: %d %s", r.status, r.body)
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	body := `{"resourceType":"Patient","name":[{"family":"Doyle"}]}`
	batch := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + body + `,"request":{"method":"POST","url":"Patient","ifNoneExist":"_id=marg"}}]}`
	for name, r := range map[string]resp{
		"POST If-None-Exist": e.do("POST", "/fhir/Patient", nurse, body, "If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"),
		"batch ifNoneExist":  e.do("POST", "/fhir", nurse, batch),
	} {
		if !strings.Contains(r.body, "Doyle") {
			t.Errorf("%s: the match is not answered: %d %s", name, r.status, r.body)
		}
		for _, s := range []string{"SECRET-ADDR", "SECRET-PHONE", "SECRET-NARRATIVE"} {
			if strings.Contains(r.body, s) {
				t.Errorf("%s: %d releases %s of a restricted person outside the source: %s", name, r.status, s, r.body)
			}
		}
	}
}

// TestTransactionConditionalCreateRedacts: in a transaction too (its
// decisions were made on a gate apart from the request's, so the response
// found nothing to redact; found in review).
func TestTransactionConditionalCreateRedacts(t *testing.T) {
	e := newEnv(t)
	seedRestricted(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Doyle"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"}}]}`
	r := e.do("POST", "/fhir", nurse, tx)
	if !strings.Contains(r.body, "Doyle") || !strings.Contains(r.body, `"200 OK"`) {
		t.Fatalf("no match: %d %s", r.status, r.body)
	}
	for _, s := range []string{"SECRET-ADDR", "LS9 7TF", "01134960999", "SECRET-NARRATIVE", "dr-secret"} {
		if strings.Contains(r.body, s) {
			t.Errorf("transaction releases %s of a restricted person outside the source: %s", s, r.body)
		}
	}
}

// TestSearchCostIsBounded: one search cannot ask for unbounded work: a
// repeated _include counts once, and too many parameters, values, sort
// keys or includes are a 400 naming the limit, not seconds of queries or
// a 500 from SQLite (found in review: 300 copies of one _revinclude took
// 2.5 s; 5,001 _id values answered 500).
func TestSearchCostIsBounded(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Patient/p1", e.token("system", "nhs", "A81001"), `{"resourceType":"Patient","id":"p1"}`); r.status != 201 {
		t.Fatal(r.body)
	}
	if r := e.do("GET", "/fhir/Patient?_id=p1"+strings.Repeat("&_revinclude=Condition:subject", 300), gp, ""); r.status != 200 {
		t.Errorf("a repeated _revinclude: %d %.200s", r.status, r.body)
	}
	for _, q := range []string{
		"_id=" + strings.Repeat("a,", 5000) + "a",
		strings.Repeat("name=x&", 60) + "_id=p1",
		"_sort=" + strings.TrimSuffix(strings.Repeat("name,", 11), ","),
		"_revinclude=Condition:subject&_revinclude=Observation:subject&_revinclude=Encounter:subject&_revinclude=CarePlan:subject&_revinclude=CareTeam:subject&_revinclude=AllergyIntolerance:patient&_revinclude=MedicationRequest:subject&_revinclude=Procedure:subject&_revinclude=Immunization:patient&_revinclude=DocumentReference:subject&_revinclude=Flag:subject",
	} {
		if r := e.do("GET", "/fhir/Patient?"+q, gp, ""); r.status != 400 || !strings.Contains(r.body, "at most") {
			t.Errorf("%.60s…: %d %.200s", q, r.status, r.body)
		}
	}
}
