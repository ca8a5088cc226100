package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// Review 91a: a re-read of 3f736ac (a restricted person's meta.source,
// organisation tags and NHS-number extensions redacted outside the source)
// and 22d46a0 (agent= forms; a token's org read in capitals).

const (
	r91aPractice = "https://hidden-lane-surgery.nhs.example/fhir/A81001"
	r91aOther    = "https://other-surgery.nhs.example/fhir/B82002"
	r91aODS      = "https://fhir.nhs.uk/Id/ods-organization-code"
	r91aVerif    = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)

// seed91a: Margaret, restricted (confidentiality R), written by her GP
// practice's system A81001 with meta.source naming the practice's system,
// a tag coding the practice by ODS code and a plain tag, and her NHS
// number carrying its verification status; the community trust RCX on her
// care team.
func seed91a(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{"source":"` + r91aPractice + `",` +
			`"tag":[{"system":"` + r91aODS + `","code":"A81001"},{"system":"https://example.org/tags","code":"plain-tag"}],` + r90cRestrictedMeta + `},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069",
				"extension":[{"url":"` + r91aVerif + `","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"01","display":"Number present and verified"}]}}]}],
			"name":[{"family":"Doyle","given":["Margaret"]}],"birthDate":"1960-01-01",
			"address":[{"postalCode":"LS9 7TF"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/marg-nursing", `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
}

func r91aTotal(t *testing.T, e *env, path, tok string) (int, int, string) {
	t.Helper()
	r := e.do("GET", path, tok, "")
	st, n := r90cTotal(r)
	return st, n, r.body
}

// TestReview91aSourceSearchAnswersAboutHerPractice: 3f736ac takes
// a restricted person's meta.source out of what the district nurse reads
// (it names her practice), but _source (FHIR R4's search parameter on
// meta.source, which carex supports) is not among the redacted search
// parameters (redactedParams/asksRedacted), so the nurse still learns it
// by searching: Patient?_id=marg&_source=<her practice's system> finds her,
// the same with another practice's system does not. The README says such
// a search "does not see her" for the other redacted elements (address,
// GP, organization, a practice identifier: reviews 5c, 21a), so that it
// cannot "answer yes or no about" what the read redacts.
func TestReview91aSourceSearchAnswersAboutHerPractice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed91a(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient/marg", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "hidden-lane") || strings.Contains(r.body, "LS9") {
		t.Fatalf("premise: the nurse reads her redacted: %d %.400s", r.status, r.body)
	}
	st1, hit, b1 := r91aTotal(t, e, "/fhir/Patient?_id=marg&_source="+url.QueryEscape(r91aPractice), nurse)
	st2, miss, b2 := r91aTotal(t, e, "/fhir/Patient?_id=marg&_source="+url.QueryEscape(r91aOther), nurse)
	t.Logf("_source=her practice: %d total %d; _source=another: %d total %d", st1, hit, st2, miss)
	if st1 == 200 && st2 == 200 && hit != miss {
		t.Errorf("the district nurse tells her practice's system by _source: total %d for %s, %d for %s (the read redacts meta.source)\n%.300s\n%.300s", hit, r91aPractice, miss, r91aOther, b1, b2)
	}
}

// TestReview91aTagSearchAnswersAboutHerPractice: as above for
// meta.tag: the read takes out her tag coding the practice by ODS code,
// but _tag=<ODS system>|A81001 finds her and |B82002 does not.
func TestReview91aTagSearchAnswersAboutHerPractice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed91a(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient/marg", nurse, "")
	if r.status != 200 || strings.Contains(r.body, "A81001") {
		t.Fatalf("premise: the nurse reads her without the ODS tag: %d %.400s", r.status, r.body)
	}
	st1, hit, b1 := r91aTotal(t, e, "/fhir/Patient?_id=marg&_tag="+url.QueryEscape(r91aODS+"|A81001"), nurse)
	st2, miss, b2 := r91aTotal(t, e, "/fhir/Patient?_id=marg&_tag="+url.QueryEscape(r91aODS+"|B82002"), nurse)
	t.Logf("_tag=A81001: %d total %d; _tag=B82002: %d total %d", st1, hit, st2, miss)
	if st1 == 200 && st2 == 200 && hit != miss {
		t.Errorf("the district nurse tells her practice's ODS code by _tag: total %d for A81001, %d for B82002 (the read redacts the tag)\n%.300s\n%.300s", hit, miss, b1, b2)
	}
}

// TestReview91aSoundRedactionKeepsWhatShouldStay: outside the source her
// NHS number keeps its verification-status extension (not an
// organisation), her labels, a tag that names no organisation, and
// meta.versionId/lastUpdated with an ETag agreeing; her practice's own
// user sees meta.source and the ODS tag.
func TestReview91aSoundRedactionKeepsWhatShouldStay(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed91a(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	r := e.do("GET", "/fhir/Patient/marg", nurse, "")
	if r.status != 200 {
		t.Fatalf("nurse read: %d %.300s", r.status, r.body)
	}
	var p struct {
		Meta struct {
			VersionID string `json:"versionId"`
			Updated   string `json:"lastUpdated"`
			Security  []map[string]any
			Tag       []map[string]any
		}
		Identifier []map[string]any
	}
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.body, r91aVerif) {
		t.Errorf("her NHS number lost its verification status: %.600s", r.body)
	}
	if !strings.Contains(r.body, `"code":"R"`) {
		t.Errorf("her confidentiality label was taken out: %.600s", r.body)
	}
	if !strings.Contains(r.body, "plain-tag") {
		t.Errorf("a tag naming no organisation was taken out: %.600s", r.body)
	}
	if p.Meta.VersionID == "" || p.Meta.Updated == "" || r.header.Get("ETag") != `W/"`+p.Meta.VersionID+`"` {
		t.Errorf("meta.versionId %q, lastUpdated %q, ETag %q", p.Meta.VersionID, p.Meta.Updated, r.header.Get("ETag"))
	}
	gp := e.do("GET", "/fhir/Patient/marg", e.token("gp", "nhs", "A81001"), "")
	if gp.status != 200 || !strings.Contains(gp.body, r91aPractice) || !strings.Contains(gp.body, `"code":"A81001"`) || !strings.Contains(gp.body, "LS9 7TF") {
		t.Errorf("her practice's GP does not see her whole: %d %.600s", gp.status, gp.body)
	}
	// A lower-case org claim is her practice too (22d46a0).
	gpl := e.do("GET", "/fhir/Patient/marg", e.token("gp", "nhs", "a81001"), "")
	if gpl.status != 200 || !strings.Contains(gpl.body, r91aPractice) || !strings.Contains(gpl.body, "LS9 7TF") {
		t.Errorf("her practice's GP with org a81001 does not see her whole: %d %.600s", gpl.status, gpl.body)
	}
}

// TestReview91aSoundAgentEscapesEdges: agent= edge cases after 22d46a0
// never answer 500, and a list written "a\\,b" (an escaped backslash, then
// a comma) is refused as two users.
func TestReview91aSoundAgentEscapesEdges(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, c := range []struct {
		q    string
		want int
	}{
		{`a\\,b`, 400},
		{`abc\`, 200},
		{`\\`, 200},
		{`a\|b`, 200},
		{"Organization/rcx", 200},
		{"https://carex.example/sub|" + `x\`, 200},
		{"https://carex.example/sub|", 200},
	} {
		for _, path := range []string{"/fhir/AuditEvent?agent=", "/fhir/AuditEvent/$user-activity?agent="} {
			r := e.do("GET", path+url.QueryEscape(c.q), ig, "")
			t.Logf("%s%s: %d %.200s", path, c.q, r.status, r.body)
			if r.status >= 500 || (c.want == 400 && r.status != 400) {
				t.Errorf("%s%s: %d, want %d: %.300s", path, c.q, r.status, c.want, r.body)
			}
		}
	}
}

// TestReview91aNestedExtensionsNameHerPracticeOrHome: 3f736ac
// takes extensions naming her practice or where she lives off her
// Patient, her NHS number and her meta (dropContactExtensionsOf on those
// three), and the README says so of extensions "on her and on her NHS
// number". One level down, an Address or ContactPoint value (on her
// birthDate, _birthDate, or in her communication) is masked
// (redactPlaces), but a Reference to her practice in an extension on her
// name goes to the district nurse whole. Judgement: SPEC
// §5 says address, telephone and GP are never released outside the
// source; where in her Patient an extension carries them does not change
// what it tells.
func TestReview91aNestedExtensionsNameHerPracticeOrHome(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	placements := map[string]string{
		"name[].extension":          `"name":[{"family":"Doyle","extension":[{"url":"https://example.org/ext/registered-at","valueReference":{"reference":"Organization/A81001"}}]}]`,
		"_birthDate.extension":      `"name":[{"family":"Doyle"}],"birthDate":"1960-01-01","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueAddress":{"line":["SECRET-HOME 1 Hidden Lane"],"postalCode":"LS9 7TF"}}]}`,
		"communication[].extension": `"name":[{"family":"Doyle"}],"communication":[{"language":{"text":"English"},"extension":[{"url":"https://example.org/ext/interpreter-contact","valueContactPoint":{"system":"phone","value":"01134960999"}}]}]`,
	}
	var leaked []string
	for where, body := range placements {
		id := "marg" + strings.NewReplacer("[]", "", ".", "", "_", "").Replace(where)
		e.putAll(t, e.token("system", "nhs", "A81001"),
			[2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `","meta":{` + r90cRestrictedMeta + `},
				"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],` + body + `,
				"address":[{"postalCode":"LS9 7TF"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
		e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/" + id + "-nursing", `{"resourceType":"CareTeam","id":"` + id + `-nursing","status":"active","subject":{"reference":"Patient/` + id + `"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
		r := e.do("GET", "/fhir/Patient/"+id, e.token("district-nurse", "nhs", "RCX"), "")
		if r.status != 200 || strings.Contains(r.body, "generalPractitioner") {
			t.Fatalf("premise: %s: %d, GP redacted: %.300s", where, r.status, r.body)
		}
		if s := r90cLeaks(r.body); len(s) > 0 {
			leaked = append(leaked, where)
			t.Logf("%s: the nurse reads %q: %.500s", where, s, r.body)
		}
	}
	if len(leaked) > 0 {
		t.Errorf("a restricted person's practice, address or phone reaches the district nurse in an extension nested in: %v", leaked)
	}
}

// TestReview91aSoundLowerCaseOrgClaimIsTheSameOrganisation: after
// 22d46a0 a client system whose token says "rcx" reads back what "RCX"
// recorded and writes as the same source (an update of its own item is
// its own, not another organisation's), and a third organisation's
// system does not read it.
func TestReview91aSoundLowerCaseOrgClaimIsTheSameOrganisation(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed91a(t, e)
	lower := e.token("system", "nhs", "rcx")
	if r := e.do("GET", "/fhir/CareTeam/marg-nursing", lower, ""); r.status != 200 {
		t.Errorf("system rcx reading RCX's CareTeam: %d %.300s", r.status, r.body)
	}
	r := e.do("PUT", "/fhir/CareTeam/marg-nursing", lower, `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","name":"nursing","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`)
	if r.status != 200 {
		t.Errorf("system rcx updating RCX's CareTeam: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CareTeam/marg-nursing", e.token("system", "nhs", "RCX"), ""); r.status != 200 || !strings.Contains(r.body, `"nursing"`) {
		t.Errorf("system RCX reading its CareTeam back after rcx's update: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/CareTeam/marg-nursing", e.token("system", "nhs", "RR8"), ""); r.status == 200 {
		t.Errorf("a third organisation's system read RCX's CareTeam: %.300s", r.body)
	}
}

// TestReview91aSoundMetaRedactedOnEveryRoute: her meta.source and ODS
// tag stay out of every route to her Patient for the district nurse:
// vread, her history, the type's and system's history, $everything, a
// search with _include from her care team, _elements=meta, by NHS number.
func TestReview91aSoundMetaRedactedOnEveryRoute(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed91a(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{
		"/fhir/Patient/marg/_history/1", "/fhir/Patient/marg/_history", "/fhir/Patient/_history", "/fhir/_history",
		"/fhir/Patient/marg/$everything", "/fhir/CareTeam?subject=Patient/marg&_include=CareTeam:subject",
		"/fhir/Patient?_id=marg&_elements=meta",
		"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069",
	} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || !strings.Contains(r.body, "marg") {
			t.Errorf("GET %s: %d %.300s", p, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, "hidden-lane") || strings.Contains(r.body, `"A81001"`) || strings.Contains(r.body, "LS9") {
			t.Errorf("GET %s by the district nurse names her practice or home: %.600s", p, r.body)
		}
	}
}
