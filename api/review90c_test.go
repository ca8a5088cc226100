package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// r90cSecrets are the strings of Margaret's that must never reach a user
// outside her GP practice: her current and earlier addresses, postcodes,
// phones, e-mail, her practice, her next of kin's address and her carer's.
var r90cSecrets = []string{"SECRET-", "LS9 7TF", "LS9 1AA", "01134960999", "07700900111", "marg@refuge.example", "A81001", "LS9 2ZZ", "07700900222"}

// seed90c: Margaret (marg), registered at A81001, first recorded without
// the restriction (v1, an old address) and then marked restricted (v2);
// the community trust RCX on her care team, the council E06000999 running
// her care package and recording her carer, who lives with her.
func seed90c(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	trust := e.token("system", "nhs", "RCX")
	council := e.token("system", "council", "E06000999")
	const base = `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle","given":["Margaret"]}],"birthDate":"1960-01-01","generalPractitioner":[{"reference":"Organization/A81001"}]`
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg",` + base + `,
			"address":[{"line":["SECRET-OLD-ADDR 2 Old Road"],"postalCode":"LS9 1AA"}],"telecom":[{"system":"phone","value":"07700900111"}]}`},
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},` + base + `,
			"address":[{"line":["SECRET-ADDR 1 Hidden Lane"],"postalCode":"LS9 7TF"}],"telecom":[{"system":"phone","value":"01134960999"},{"system":"email","value":"marg@refuge.example"}],
			"contact":[{"name":{"family":"Kin"},"address":{"line":["SECRET-NOK-ADDR"]}}]}`},
	)
	e.putAll(t, trust, [2]string{"/fhir/CareTeam/marg-nursing", `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	e.putAll(t, council,
		[2]string{"/fhir/EpisodeOfCare/marg-package", `{"resourceType":"EpisodeOfCare","id":"marg-package","status":"active","patient":{"reference":"Patient/marg"},"managingOrganization":{"reference":"Organization/E06000999"},"meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]}}`},
		[2]string{"/fhir/RelatedPerson/marg-carer", `{"resourceType":"RelatedPerson","id":"marg-carer","patient":{"reference":"Patient/marg"},"name":[{"family":"Carer"}],
			"address":[{"line":["SECRET-CARER-ADDR 1 Hidden Lane"],"postalCode":"LS9 2ZZ"}],"telecom":[{"system":"phone","value":"07700900222"}]}`},
	)
}

func r90cLeaks(body string) []string {
	var out []string
	for _, s := range r90cSecrets {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

// r90cTotal is a search answer's status and Bundle.total (-1 without one).
func r90cTotal(r resp) (int, int) {
	var b struct{ Total *int }
	if json.Unmarshal([]byte(r.body), &b) != nil || b.Total == nil {
		return r.status, -1
	}
	return r.status, *b.Total
}

const r90cRestrictedMeta = `"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]`

// TestReview90cMetaSourceNamesHerPractice: SPEC §5, a restricted
// person "never has address, telephone or GP released outside the source
// organisation". Her GP system writes her Patient (and her carer's
// RelatedPerson) with meta.source naming the practice's system, as FHIR
// R4 defines it ("a uri that identifies the source system of the
// resource"). redactPerson takes out generalPractitioner,
// managingOrganization, the narrative, the practice's identifiers and
// their assigner, but leaves meta as written, so the district nurse on her
// care team reads which practice she is registered at in meta.source, in a
// read, in $everything and in a search cut to _elements=meta. Judgement:
// the README lists what is removed and does not name meta; a careful IG
// officer would count the practice named in meta.source as her GP.
func TestReview90cMetaSourceNamesHerPractice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	const src = `"source":"https://hidden-lane-surgery.nhs.example/fhir/A81001"`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{` + src + `,` + r90cRestrictedMeta + `},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],
			"address":[{"postalCode":"LS9 7TF"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/RelatedPerson/marg-carer", `{"resourceType":"RelatedPerson","id":"marg-carer","meta":{` + src + `},"patient":{"reference":"Patient/marg"},"name":[{"family":"Carer"}],"address":[{"postalCode":"LS9 2ZZ"}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/marg-nursing", `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/marg", "/fhir/Patient/marg/$everything", "/fhir/Patient?_id=marg&_elements=meta", "/fhir/RelatedPerson/marg-carer"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 {
			t.Fatalf("the premise: GET %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "LS9") {
			t.Fatalf("the premise: her address was redacted in GET %s: %.300s", p, r.body)
		}
		for _, s := range []string{"hidden-lane-surgery", "A81001"} {
			if strings.Contains(r.body, s) {
				t.Errorf("GET %s by the district nurse names her practice (%q) in meta.source: %.500s", p, s, r.body)
				break
			}
		}
	}
}

// TestReview90cMetaTagODSCodeNamesHerPractice: as above, for a
// meta.tag coded under the ODS organisation code system (a practice
// system tagging what it holds with its own code). The README says a
// restricted person's extensions holding "an ODS, council or SDS code"
// are taken out (review 22a) and so is any identifier under an ODS
// system; the same code in meta.tag goes to the district nurse.
func TestReview90cMetaTagODSCodeNamesHerPractice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{"tag":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","code":"A81001"}],` + r90cRestrictedMeta + `},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}],"name":[{"family":"Doyle"}],
			"generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/marg-nursing", `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/marg", "/fhir/Patient/marg/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "generalPractitioner") {
			t.Fatalf("the premise: GET %s: %d, her generalPractitioner redacted: %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "A81001") {
			t.Errorf("GET %s by the district nurse gives her practice's ODS code in meta.tag: %.500s", p, r.body)
		}
	}
}

// TestReview90cSoundEarlierVersionBeforeTheLabel: her first version,
// written before she was marked restricted, holds an old address and phone
// and no label; once she is restricted, every way to it (vread, her
// history, the type's and the system's history) goes to the district nurse
// and the council's social worker without them, and each raises the
// restricted-patient alert.
func TestReview90cSoundEarlierVersionBeforeTheLabel(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed90c(t, e)
	for i, p := range []string{"/fhir/Patient/marg/_history/1", "/fhir/Patient/marg/_history", "/fhir/Patient/_history", "/fhir/_history", "/fhir/Patient/marg/_history?_since=2000-01-01T00:00:00Z"} {
		for _, w := range []struct{ role, sector, org string }{{"district-nurse", "nhs", "RCX"}, {"social-worker", "council", "E06000999"}} {
			sub := fmt.Sprintf("r90c-early-%s-%d", w.role, i)
			r := e.do("GET", p, e.token(w.role, w.sector, w.org, func(c *auth.DevClaims) { c.Sub = sub }), "")
			if r.status != 200 || !strings.Contains(r.body, `"family":"Doyle"`) {
				t.Fatalf("%s GET %s: %d %.300s", w.role, p, r.status, r.body)
			}
			for _, s := range []string{"SECRET-OLD-ADDR", "SECRET-ADDR", "LS9 1AA", "LS9 7TF", "07700900111", "01134960999", "marg@refuge", "A81001", "SECRET-NOK"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s GET %s releases %q", w.role, p, s)
				}
			}
			if !restrictedAlerts9b(t, e, "marg")[sub] {
				t.Errorf("%s GET %s raised no restricted-patient alert", w.role, p)
			}
		}
	}
}

// TestReview90cSoundSearchOraclesAnswerAlike: searching her redacted
// contact details with the negating and missing modifiers (phone:not,
// telecom:not, email:not, address-use:not, :missing on address-postalcode,
// phone and general-practitioner) answers the district nurse the same
// for her real value and for a made-up one, on her Patient and on her
// carer's RelatedPerson.
func TestReview90cSoundSearchOraclesAnswerAlike(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed90c(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, pair := range [][2]string{
		{"Patient?_id=marg&phone:not=01134960999", "Patient?_id=marg&phone:not=01134960000"},
		{"Patient?_id=marg&telecom:not=01134960999", "Patient?_id=marg&telecom:not=01134960000"},
		{"Patient?_id=marg&email:not=marg@refuge.example", "Patient?_id=marg&email:not=x@y.example"},
		{"Patient?_id=marg&address-use:not=home", "Patient?_id=marg&address-use:not=work"},
		{"Patient?_id=marg&address-postalcode:missing=false", "Patient?_id=marg&address-postalcode:missing=true"},
		{"Patient?_id=marg&phone:missing=false", "Patient?_id=marg&phone:missing=true"},
		{"Patient?_id=marg&general-practitioner:missing=false", "Patient?_id=marg&general-practitioner:missing=true"},
		{"Patient?_id=marg&organization:missing=false", "Patient?_id=marg&organization:missing=true"},
		{"Patient?_id=marg&address-postalcode=LS9%201AA", "Patient?_id=marg&address-postalcode=ZZ9%201AA"},
		{"RelatedPerson?patient=marg&phone:not=07700900222", "RelatedPerson?patient=marg&phone:not=07700900000"},
		{"RelatedPerson?address-postalcode=LS9%202ZZ", "RelatedPerson?address-postalcode=ZZ9%202ZZ"},
		{"RelatedPerson?phone=07700900222", "RelatedPerson?phone=07700900000"},
	} {
		hs, ht := r90cTotal(e.do("GET", "/fhir/"+pair[0], nurse, ""))
		ms, mt := r90cTotal(e.do("GET", "/fhir/"+pair[1], nurse, ""))
		if hs != 200 || ms != 200 || ht != mt {
			t.Errorf("%s answers %d total %d, %s answers %d total %d", pair[0], hs, ht, pair[1], ms, mt)
		}
	}
}

// TestReview90cSoundConditionsOnHerContactsRefused: a transaction's
// conditional reference, and an If-None-Exist, on her phone (alone, beside
// her NHS number, or negated) or sorted by it, are refused with 400 for
// the district nurse and the social worker, hit or miss alike.
func TestReview90cSoundConditionsOnHerContactsRefused(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed90c(t, e)
	tx := func(ref string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:8a1b0c7e-0000-4000-8000-000000000001","resource":{"resourceType":"Observation","status":"final","subject":{"reference":"` + ref + `"},"code":{"text":"NURSE"}},"request":{"method":"POST","url":"Observation"}}]}`
	}
	const nhs = "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000069"
	for _, tok := range []string{e.token("district-nurse", "nhs", "RCX"), e.token("social-worker", "council", "E06000999")} {
		for _, c := range []string{"phone=01134960999", "phone=01134960000", nhs + "&phone=01134960999", nhs + "&phone=01134960000",
			nhs + "&phone:not=01134960999", nhs + "&phone:not=01134960000", nhs + "&phone:missing=false", nhs + "&general-practitioner:missing=true",
			nhs + "&address-use:not=home", "family=doyle&_sort=phone"} {
			if r := e.do("POST", "/fhir", tok, tx("Patient?"+c)); r.status != 400 {
				t.Errorf("conditional reference Patient?%s: %d %.200s", c, r.status, r.body)
			}
			if r := e.do("POST", "/fhir/Patient", tok, `{"resourceType":"Patient","name":[{"family":"Probe"}]}`, "If-None-Exist", c); r.status != 400 {
				t.Errorf("If-None-Exist %s: %d %.200s", c, r.status, r.body)
			}
		}
	}
}

// TestReview90cSoundEveryPathAlertsAndRedacts: each way the district nurse
// reaches her (read, HEAD, her history, $everything, searches by name, NHS
// number and birth date, _elements, _summary=count, includes from her care
// team and the council's episode, her carer's RelatedPerson, a batch's and
// a transaction's GET, a POST _search, an If-None-Exist that matched her,
// a write naming her by reference or by NHS number alone) raises the
// restricted-patient alert naming her, and none releases her address,
// phone, e-mail, practice, next of kin or carer's address.
func TestReview90cSoundEveryPathAlertsAndRedacts(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed90c(t, e)
	nhs := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990000069")
	bundle := func(typ, u string) string {
		return `{"resourceType":"Bundle","type":"` + typ + `","entry":[{"request":{"method":"GET","url":"` + u + `"}}]}`
	}
	probes := []struct {
		method, path, body string
		hdr                []string
	}{
		{"GET", "/fhir/Patient/marg", "", nil},
		{"HEAD", "/fhir/Patient/marg", "", nil},
		{"GET", "/fhir/Patient/marg/_history/2", "", nil},
		{"GET", "/fhir/Patient/marg/$everything", "", nil},
		{"GET", "/fhir/Patient?family=doyle", "", nil},
		{"GET", "/fhir/Patient?identifier=" + nhs, "", nil},
		{"GET", "/fhir/Patient?identifier=9990000069", "", nil},
		{"GET", "/fhir/Patient?birthdate=1960-01-01", "", nil},
		{"GET", "/fhir/Patient?_id=marg&_elements=address,telecom,contact,generalPractitioner", "", nil},
		{"GET", "/fhir/Patient?_id=marg&_summary=data", "", nil},
		{"GET", "/fhir/Patient?family=doyle&_summary=count", "", nil},
		{"GET", "/fhir/CareTeam?subject=marg&_include=CareTeam:subject", "", nil},
		{"GET", "/fhir/CareTeam?_include=CareTeam:patient", "", nil},
		{"GET", "/fhir/EpisodeOfCare?patient=marg&_include=EpisodeOfCare:patient", "", nil},
		{"GET", "/fhir/Patient?_id=marg&_revinclude=RelatedPerson:patient&_include=Patient:general-practitioner", "", nil},
		{"GET", "/fhir/RelatedPerson/marg-carer", "", nil},
		{"GET", "/fhir/RelatedPerson?patient=marg", "", nil},
		{"POST", "/fhir", bundle("batch", "Patient/marg"), nil},
		{"POST", "/fhir", bundle("transaction", "Patient/marg"), nil},
		{"POST", "/fhir", bundle("batch", "Patient?family=doyle"), nil},
		{"POST", "/fhir/Patient/_search", "family=doyle", []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}]}`, []string{"If-None-Exist", "identifier=" + nhs}},
		{"POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/marg"},"code":{"text":"NURSE-OBS"}}`, nil},
		{"POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069"}},"code":{"text":"NURSE-OBS"}}`, nil},
	}
	for i, p := range probes {
		sub := fmt.Sprintf("r90c-path-%02d", i)
		r := e.do(p.method, p.path, e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub }), p.body, p.hdr...)
		if r.status != 200 && r.status != 201 {
			t.Errorf("%s %s: %d %.300s", p.method, p.path, r.status, r.body)
			continue
		}
		if l := r90cLeaks(r.body); len(l) > 0 {
			t.Errorf("%s %s releases %v: %.500s", p.method, p.path, l, r.body)
		}
		if !restrictedAlerts9b(t, e, "marg")[sub] {
			t.Errorf("%s %s raised no restricted-patient alert naming her", p.method, p.path)
		}
	}
}

// TestReview90cSoundIGOfficerElsewhereSeesHerRedacted: an IG officer's
// audit role opens her record without a relationship; one of the nurse's
// trust, and one of an organisation with no part in her care, get her
// Patient, its first (unlabelled) version, her $everything and her carer
// without address, phone or practice; her practice's IG officer sees them.
func TestReview90cSoundIGOfficerElsewhereSeesHerRedacted(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed90c(t, e)
	for _, org := range []string{"RCX", "RZZ"} {
		ig := e.token("ig-officer", "nhs", org)
		for _, p := range []string{"/fhir/Patient/marg", "/fhir/Patient/marg/_history/1", "/fhir/Patient/marg/$everything", "/fhir/RelatedPerson/marg-carer"} {
			r := e.do("GET", p, ig, "")
			if r.status != 200 {
				t.Errorf("IG officer of %s GET %s: %d %.200s", org, p, r.status, r.body)
			}
			if l := r90cLeaks(r.body); len(l) > 0 {
				t.Errorf("IG officer of %s GET %s releases %v", org, p, l)
			}
		}
	}
	if r := e.do("GET", "/fhir/Patient/marg", e.token("ig-officer", "nhs", "A81001"), ""); !strings.Contains(r.body, "LS9 7TF") {
		t.Errorf("her practice's IG officer does not see her address: %.300s", r.body)
	}
}

// TestReview90cExtensionOnHerNHSNumberNamesHerPractice: the README
// (rule 7) says a restricted person's extensions holding a reference, an
// identifier or an ODS code are taken out outside her source, as
// dropContactExtensions does for her Patient's own extension list (GP
// Connect's registration details, review 22a). Her NHS number identifier
// is kept, and with it its extensions, unread: one naming the practice
// that traced or registered the number, by reference or by ODS code, goes
// to the district nurse. Judgement: the README does not say "top-level
// extensions only".
func TestReview90cExtensionOnHerNHSNumberNamesHerPractice(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Patient/marg", `{"resourceType":"Patient","id":"marg","meta":{` + r90cRestrictedMeta + `},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000069","extension":[
				{"url":"https://example.org/StructureDefinition/number-traced-by","valueReference":{"reference":"Organization/A81001","display":"Hidden Lane Surgery"}},
				{"url":"https://example.org/StructureDefinition/number-registered-at","valueCoding":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","code":"A81001"}}]}],
			"name":[{"family":"Doyle"}],"generalPractitioner":[{"reference":"Organization/A81001"}],
			"extension":[{"url":"https://example.org/StructureDefinition/registered-at","valueReference":{"reference":"Organization/A81001","display":"Hidden Lane Surgery"}}]}`})
	e.putAll(t, e.token("system", "nhs", "RCX"), [2]string{"/fhir/CareTeam/marg-nursing", `{"resourceType":"CareTeam","id":"marg-nursing","status":"active","subject":{"reference":"Patient/marg"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range []string{"/fhir/Patient/marg", "/fhir/Patient/marg/$everything"} {
		r := e.do("GET", p, nurse, "")
		if r.status != 200 || strings.Contains(r.body, "generalPractitioner") || strings.Contains(r.body, "/registered-at") {
			t.Fatalf("the premise (her GP and top-level extension redacted): GET %s: %d %.400s", p, r.status, r.body)
		}
		for _, s := range []string{"A81001", "Hidden Lane Surgery"} {
			if strings.Contains(r.body, s) {
				t.Errorf("GET %s by the district nurse names her practice (%q) in an extension of her NHS number: %.600s", p, s, r.body)
			}
		}
	}
}
