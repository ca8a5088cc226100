package api_test

import (
	"strings"
	"testing"
)

// TestReview18eTransactionRewriteNamesNoWithheldItem: a transaction
// replaces an entry's fullUrl by its Type/id in narrative links (review
// 18b), and a conditional create's entry by the item it matched. Probe: a
// hospital system's transaction whose conditional create asks for Jane's
// withheld HIV diagnosis by id (If-None-Exist _id=hiv) beside an encounter
// whose narrative links that entry, and whose fullUrl is this server's url
// of the withheld item, must not get Condition/hiv written into the stored
// narrative (it would read it back): the condition matches only what the
// writer may see, so a new Condition is created and the links name it.
// Passed when first written (the match is filtered by the writer's gate).
func TestReview18eTransactionRewriteNamesNoWithheldItem(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	hospSys := e.token("system", "nhs", "RHX")
	full := e.base + "/fhir/Condition/hiv"
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1e01","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"TX18E"}},
	  "request":{"method":"POST","url":"Condition","ifNoneExist":"_id=hiv"}},
	 {"fullUrl":"` + full + `","resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"TX18E-2"}},
	  "request":{"method":"POST","url":"Condition","ifNoneExist":"_id=hiv&patient=jane"}},
	 {"resource":{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
	  "subject":{"reference":"Patient/jane"},"reasonReference":[{"reference":"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1e01"}],
	  "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"urn:uuid:0b5e5d7c-58e4-4b0e-9c55-3d9a0b4b1e01\">one</a> <a href=\"` + full + `\">two</a></div>"}},
	  "request":{"method":"POST","url":"Encounter"}}]}`
	r := e.do("POST", "/fhir", hospSys, tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "Condition/hiv") || strings.Contains(r.body, "GP-HIV") || strings.Count(r.body, `"201 Created"`) != 3 {
		t.Errorf("the transaction's answer names or matched the withheld diagnosis: %s", r.body)
	}
	s := e.do("GET", "/fhir/Encounter?patient=jane&_count=100", hospSys, "")
	if s.status != 200 || !strings.Contains(s.body, ">one</a>") {
		t.Fatalf("the hospital reads back its encounter: %d %.300s", s.status, s.body)
	}
	if strings.Contains(s.body, "Condition/hiv") {
		t.Errorf("the stored narrative names the withheld diagnosis: %s", s.body)
	}
	if strings.Count(s.body, `<a href=\"Condition/`) != 2 {
		t.Errorf("the narrative links do not name the created conditions: %s", s.body)
	}
}
