package api_test

// Review 4h, part 2: a property-style leak check. A small world (Jane's
// shared record, her husband Bob, items pointing at each other across
// records and classes) is written by its source organisations; then for
// each user the read by id of every item is the oracle: an item that
// GET {type}/{id} refuses must never appear — its id or its distinctive
// text — in any other answer (searches with and without a person, totals,
// includes, type and system history, version reads, HEAD, batch entries,
// conditional create and update answers, headers). Extends
// TestLeakRandomised (which checks $everything, per-person searches, batch
// reads and _revinclude against the engine) with requests that name no
// one or name the item itself.

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type h4item struct{ typ, id, src, raw, text string }

func h4world(t *testing.T, e *env) []h4item {
	t.Helper()
	seedShared(t, e)
	var items []h4item
	add := func(src, typ, id, text, raw string) {
		items = append(items, h4item{typ, id, src, raw, text})
	}
	add("A81001", "Patient", "jane", "9434765919", janeJSON)
	add("A81001", "Condition", "diabetes", "GP-DIABETES", "")
	add("A81001", "Condition", "hiv", "GP-HIV-UNLABELLED", "")
	add("A81001", "Observation", "hba1c", "GP-HBA1C", "")
	add("RCX", "CareTeam", "nursing", "", "")
	add("RCX", "CarePlan", "wound", "TRUST-WOUND-CARE", "")
	add("RHX", "Encounter", "admission", "HOSP-ADMISSION", "")
	add("E06000999", "EpisodeOfCare", "package", "COUNCIL-CARE-PACKAGE", "")
	gp := "A81001"
	w := func(src, typ, id, text, body string) {
		add(src, typ, id, text, body)
	}
	w(gp, "Patient", "h4bob", "H4-BOB-NAME", `{"resourceType":"Patient","id":"h4bob","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"name":[{"family":"H4-BOB-NAME"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
	w(gp, "Condition", "h4bobdem", "H4-BOB-DEMENTIA", `{"resourceType":"Condition","id":"h4bobdem","subject":{"reference":"Patient/h4bob"},"code":{"text":"H4-BOB-DEMENTIA"},"identifier":[{"system":"urn:h4","value":"h4bobdem-ident"}]}`)
	w(gp, "Condition", "h4psy", "H4-JANE-PSY", `{"resourceType":"Condition","id":"h4psy","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"H4-JANE-PSY"},"identifier":[{"system":"urn:h4","value":"h4psy-ident"}],"recordedDate":"2025-02-02"}`)
	w(gp, "Observation", "h4panel", "H4-PANEL", `{"resourceType":"Observation","id":"h4panel","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"H4-PANEL"},"hasMember":[{"reference":"Observation/hba1c"}],"derivedFrom":[{"reference":"Condition/h4psy"}]}`)
	w("RCX", "CarePlan", "h4plan", "H4-NURSE-PLAN", `{"resourceType":"CarePlan","id":"h4plan","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"H4-NURSE-PLAN","addresses":[{"reference":"Condition/hiv"},{"reference":"Condition/h4psy"},{"reference":"Condition/diabetes"}]}`)
	w("RCX", "Provenance", "h4prov", "H4-PROV", `{"resourceType":"Provenance","id":"h4prov","target":[{"reference":"Condition/h4psy"}],"recorded":"2025-02-02T10:00:00Z","agent":[{"who":{"reference":"Organization/RCX"}}],"reason":[{"text":"H4-PROV"}]}`)
	w(gp, "DocumentReference", "h4doc", "H4-DOC", `{"resourceType":"DocumentReference","id":"h4doc","status":"current","subject":{"reference":"Patient/jane"},"description":"H4-DOC","context":{"related":[{"reference":"Condition/h4psy"}]},"content":[{"attachment":{"title":"H4-DOC"}}]}`)
	w("E06000999", "Flag", "h4flag", "H4-COUNCIL-FLAG", `{"resourceType":"Flag","id":"h4flag","status":"active","meta":{"tag":[{"system":"https://carex.example/data-class","code":"social-care"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"H4-COUNCIL-FLAG"}}`)
	w("RHX", "Condition", "h4hosp", "H4-HOSP-DX", `{"resourceType":"Condition","id":"h4hosp","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"H4-HOSP-DX"},"encounter":{"reference":"Encounter/admission"}}`)
	w("RHX", "Encounter", "h4enc2", "H4-ENC2", `{"resourceType":"Encounter","id":"h4enc2","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"},"reasonReference":[{"reference":"Condition/hiv"}],"serviceType":{"text":"H4-ENC2"}}`)
	w(gp, "Consent", "h4consent", "H4-CONSENT", strings.Replace(janeConsent("h4consent", "2026-01-01", "OPTIN",
		`,"provision":{"type":"permit","provision":[{"type":"deny","data":[{"meaning":"instance","reference":{"reference":"Condition/h4psy"}}],"actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"H4-CONSENT"}}]}]}`), "\n", "", -1))
	tok := map[string]string{}
	for _, it := range items {
		if it.raw == "" || it.id == "jane" {
			continue
		}
		sector := "nhs"
		if it.src == "E06000999" {
			sector = "council"
		}
		if tok[it.src] == "" {
			tok[it.src] = e.token("system", sector, it.src)
		}
		if r := e.do("PUT", "/fhir/"+it.typ+"/"+it.id, tok[it.src], it.raw); r.status != 201 && r.status != 200 {
			t.Fatalf("seed %s/%s: %d %s", it.typ, it.id, r.status, r.body)
		}
	}
	// A second version of the PSY condition (history keeps both).
	v2 := strings.Replace(items[len(items)-9].raw, `"recordedDate":"2025-02-02"`, `"recordedDate":"2025-02-03","note":[{"text":"H4-PSY-V2"}]`, 1)
	if r := e.do("PUT", "/fhir/Condition/h4psy", tok["A81001"], v2); r.status != 200 {
		t.Fatalf("v2: %d %s", r.status, r.body)
	}
	return items
}

type h4user struct{ name, role, sector, org string }

var h4users = []h4user{
	{"nurse", "district-nurse", "nhs", "RCX"},
	{"social", "social-worker", "council", "E06000999"},
	{"gp", "gp", "nhs", "A81001"},
	{"hospital", "hospital-clinician", "nhs", "RHX"},
	{"othergp", "gp", "nhs", "Z99999"},
	{"ig", "ig-officer", "nhs", "A81001"},
}

// leaks: the hidden items an answer names (by Type/id, "id":"x" or text).
func h4leaks(hidden []h4item, r resp, asked string) []string {
	var hdr strings.Builder
	for k, vs := range r.header {
		if k == "Date" {
			continue
		}
		fmt.Fprintf(&hdr, "%s: %s\n", k, strings.Join(vs, ","))
	}
	all := r.body + "\n" + hdr.String()
	var out []string
	for _, it := range hidden {
		if strings.Contains(asked, it.typ+"/"+it.id) || strings.Contains(asked, "="+it.id) || strings.Contains(asked, ","+it.id) {
			continue // the request named it: echoing the asked id tells nothing
		}
		for _, needle := range []string{it.typ + "/" + it.id, `"id":"` + it.id + `"`, it.text} {
			if needle != "" && strings.Contains(all, needle) {
				out = append(out, needle)
			}
		}
	}
	return out
}

func TestReview4hProperty(t *testing.T) {
	e := newEnv(t)
	items := h4world(t, e)
	types := map[string][]h4item{}
	for _, it := range items {
		types[it.typ] = append(types[it.typ], it)
	}
	total := regexp.MustCompile(`"total":(\d+)`)
	for _, u := range h4users {
		tok := e.token(u.role, u.sector, u.org)
		var hidden, shown []h4item
		shownByType := map[string]int{}
		for _, it := range items {
			r := e.do("GET", "/fhir/"+it.typ+"/"+it.id, tok, "")
			if r.status == 200 {
				shown = append(shown, it)
				shownByType[it.typ]++
			} else {
				hidden = append(hidden, it)
			}
		}
		var hn []string
		for _, it := range hidden {
			hn = append(hn, it.typ+"/"+it.id)
		}
		t.Logf("%s: hidden %v", u.name, hn)
		if len(hidden) == 0 {
			continue
		}
		check := func(what string, r resp) {
			t.Helper()
			if l := h4leaks(hidden, r, what); len(l) > 0 {
				t.Errorf("%s: %s (%d) names withheld %v: %.300s", u.name, what, r.status, l, r.body)
			}
		}
		var paths []string
		for typ, its := range types {
			var ids []string
			for _, it := range its {
				ids = append(ids, it.id)
			}
			paths = append(paths,
				"/fhir/"+typ+"?_count=100",
				"/fhir/"+typ+"?_id="+strings.Join(ids, ","),
				"/fhir/"+typ+"/_history?_count=100",
				"/fhir/"+typ+"?_lastUpdated=gt2000-01-01&_sort=-_lastUpdated&_count=100",
				"/fhir/"+typ+"?_id:not=nothing&_elements=id",
			)
			if typ != "Patient" {
				paths = append(paths, "/fhir/"+typ+"?patient=jane&_count=100", "/fhir/"+typ+"?patient=h4bob&_count=100")
			}
			// Totals of a type search naming no one: no more than is shown.
			r := e.do("GET", "/fhir/"+typ+"?_summary=count&_id="+strings.Join(ids, ","), tok, "")
			if m := total.FindStringSubmatch(r.body); m != nil {
				if n, _ := strconv.Atoi(m[1]); n > shownByType[typ] {
					t.Errorf("%s: %s?_id=… total %d, but only %d are readable by id", u.name, typ, n, shownByType[typ])
				}
			}
		}
		for _, it := range hidden {
			if strings.Contains(it.raw, "urn:h4") {
				r := e.do("GET", "/fhir/"+it.typ+"?_summary=count&identifier=urn:h4|"+it.id+"-ident", tok, "")
				if m := total.FindStringSubmatch(r.body); m == nil || m[1] != "0" {
					t.Errorf("%s: a count by the identifier of hidden %s/%s: %d %.200s", u.name, it.typ, it.id, r.status, r.body)
				}
			}
		}
		paths = append(paths,
			"/fhir/_history?_count=500",
			"/fhir/Patient/jane/$everything", "/fhir/Patient/h4bob/$everything",
			"/fhir/Patient/jane/$everything?_type=Condition,Provenance,DocumentReference",
			"/fhir/CarePlan?_include=CarePlan:condition&_count=100",
			"/fhir/Condition?_revinclude=CarePlan:condition&_revinclude=Provenance:target&_revinclude=Observation:derived-from&_count=100",
			"/fhir/Observation?_include=Observation:has-member&_include=Observation:derived-from",
			"/fhir/Provenance?_include=Provenance:target",
			"/fhir/DocumentReference?_include=DocumentReference:related",
			"/fhir/Encounter?_include=Encounter:reason-reference&_revinclude=Condition:encounter",
			"/fhir/Patient?_revinclude=Condition:subject&_revinclude=Consent:patient&_count=100",
			"/fhir/Condition?identifier=urn:h4|h4psy-ident",
			"/fhir/Condition?code=http://snomed.info/sct|86406008",
			"/fhir/Consent?patient=jane&_include=Consent:data",
		)
		for _, it := range items {
			p := "/fhir/" + it.typ + "/" + it.id
			paths = append(paths, p+"/_history", p+"/_history/1", p+"/_history/2", p+"?_elements=id")
		}
		var entries []string
		for _, p := range paths {
			r := e.do("GET", p, tok, "")
			if r.status == 400 {
				t.Logf("%s: 400 for %s: %.150s", u.name, p, r.body)
				continue // an unsupported parameter for this type
			}
			check("GET "+p, r)
			check("HEAD "+p, e.do("HEAD", p, tok, ""))
			if strings.Contains(p, "_id=") || slices.ContainsFunc(items, func(it h4item) bool { return strings.Contains(p, it.typ+"/"+it.id) }) {
				continue // names items itself: its answer may echo them
			}
			entries = append(entries, `{"request":{"method":"GET","url":"`+strings.TrimPrefix(p, "/fhir/")+`"}}`)
		}
		check("batch of the GETs", e.do("POST", "/fhir", tok, `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`))
		// POST _search with the same parameters as a form.
		for typ := range types {
			r := e.do("POST", "/fhir/"+typ+"/_search", tok, "", "Content-Type", "application/x-www-form-urlencoded")
			check("POST "+typ+"/_search", r)
		}
		// Writes that name a hidden item: answers and headers name nothing.
		for _, it := range hidden {
			if it.typ == "Patient" || it.typ == "Consent" {
				continue
			}
			body := `{"resourceType":"` + it.typ + `"}`
			q := "_id=" + url.QueryEscape(it.id)
			check("conditional create "+it.typ+"?"+q, e.do("POST", "/fhir/"+it.typ, tok, body, "If-None-Exist", q))
			check("conditional update "+it.typ+"?"+q, e.do("PUT", "/fhir/"+it.typ+"?"+q, tok, body))
			// A hidden match answers as no match would.
			// (Skipped for Bob: the first write makes the user's
			// organisation a source of his data, a relationship by SPEC.)
			stillHidden := e.do("GET", "/fhir/"+it.typ+"/"+it.id, tok, "").status != 200 // earlier writes may have made a source
			if it.raw != "" && stillHidden && !strings.Contains(it.raw, "Patient/h4bob") {
				b := strings.Replace(it.raw, `"id":"`+it.id+`",`, "", 1)
				// (fix-5d-a) The copies are the writer's own data, which
				// its organisation may read (a Provenance of its own item
				// is its person's since review 5d): their text must not
				// be taken for the hidden item's.
				if it.text != "" {
					b = strings.ReplaceAll(b, it.text, "copy-"+strings.ToLower(it.text))
				}
				var st [2][2]int
				for k, qq := range []string{q, "_id=h4-no-such-" + it.id} {
					c := e.do("POST", "/fhir/"+it.typ, tok, b, "If-None-Exist", qq)
					d := e.do("PUT", "/fhir/"+it.typ+"?"+qq, tok, b)
					// (The answer echoes the writer's own body: status only.)
					st[k] = [2]int{c.status, d.status}
				}
				if st[0] != st[1] {
					t.Errorf("%s: conditional create/update on hidden %s/%s answer %v, on an id nothing holds %v: the answer tells the hidden item is there", u.name, it.typ, it.id, st[0], st[1])
				}
			}
			// (PUT over a hidden id answers 409 "taken": documented.)
			check("DELETE "+it.typ+"/"+it.id, e.do("DELETE", "/fhir/"+it.typ+"/"+it.id, tok, ""))
			tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:8c1f0b8e-0000-4000-8000-000000000009","resource":` + body + `,"request":{"method":"POST","url":"` + it.typ + `","ifNoneExist":"` + q + `"}}]}`
			check("transaction conditional create "+it.typ+"?"+q, e.do("POST", "/fhir", tok, tx))
		}
	}
}
