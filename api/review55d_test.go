package api_test

import (
	"strings"
	"testing"
)

// Review 55d: writes by other organisations (the council) to items they
// may not see, and what the answers reveal or destroy (SPEC §3 "a refused
// or invalid write stores nothing", §5 "withheld items are simply absent",
// §6 one log entry per request).

const r55dHIV = "86406008"

// r55dSeed is seedShared plus a GP item deleted (Condition/gone), an
// explicitly labelled GP item (Observation/hivload) and a restricted
// Patient the council relates to.
func r55dSeed(t *testing.T, e *env) {
	t.Helper()
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Condition/gone", `{"resourceType":"Condition","id":"gone","subject":{"reference":"Patient/jane"},"code":{"text":"GP-GONE"}}`},
		[2]string{"/fhir/Observation/hivload", `{"resourceType":"Observation","id":"hivload","status":"final","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"GP-VIRAL-LOAD"},"effectiveDateTime":"2025-05-01"}`},
	)
	if r := e.do("DELETE", "/fhir/Condition/gone", gp, ""); r.status != 204 {
		t.Fatalf("seed delete: %d %s", r.status, r.body)
	}
}

func r55dSW(e *env) string { return e.token("social-worker", "council", "E06000999") }

func r55dPremise(t *testing.T, e *env, sw string) {
	t.Helper()
	if r := e.do("GET", "/fhir/Condition/diabetes", sw, ""); r.status != 200 {
		t.Fatalf("premise: social worker sees the GP's diabetes: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/hiv", sw, ""); r.status != 404 {
		t.Fatalf("premise: the GP's HIV diagnosis is withheld from the social worker: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Observation/hivload", sw, ""); r.status != 404 {
		t.Fatalf("premise: the GP's labelled viral load is withheld from the social worker: %d %.200s", r.status, r.body)
	}
}

// r55dGPUnchanged: the GP's items are as the GP wrote them.
func r55dGPUnchanged(t *testing.T, e *env) {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	for path, want := range map[string]string{"/fhir/Condition/hiv": "GP-HIV-UNLABELLED", "/fhir/Observation/hivload": "GP-VIRAL-LOAD", "/fhir/Condition/diabetes": "GP-DIABETES"} {
		r := e.do("GET", path, gp, "")
		if r.status != 200 || !strings.Contains(r.body, want) || !strings.Contains(r.body, `"versionId":"1"`) {
			t.Errorf("the GP's %s changed: %d %.300s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition/gone", gp, ""); r.status != 410 {
		t.Errorf("the GP's deleted Condition/gone changed: %d %.300s", r.status, r.body)
	}
}

// TestReview55dSoundCouncilDeletesOfWithheldLookNeverStored: the council's
// DELETE (plain, If-Match, Prefer, in a batch, in a transaction beside its
// own write) of a withheld GP item answers as for an id never stored, and
// deletes nothing.
func TestReview55dSoundCouncilDeletesOfWithheldLookNeverStored(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	own := `{"fullUrl":"urn:uuid:11111111-2222-3333-4444-555555555555","resource":{"resourceType":"Flag","status":"active","subject":{"reference":"Patient/jane"},"code":{"text":"COUNCIL-FLAG"}},"request":{"method":"POST","url":"Flag"}}`
	for _, typ := range []string{"Condition", "Observation"} {
		withheld := map[string]string{"Condition": "hiv", "Observation": "hivload"}[typ]
		p := "/fhir/" + typ + "/{ID}"
		r21bCompare(t, e, sw, withheld, "zz-never-55d", []r21bReq{
			{name: "delete", method: "DELETE", path: p},
			{name: "delete Prefer OO", method: "DELETE", path: p, hdr: []string{"Prefer", "return=OperationOutcome"}},
			{name: "delete Prefer representation", method: "DELETE", path: p, hdr: []string{"Prefer", "return=representation"}},
			{name: "delete If-Match *", method: "DELETE", path: p, hdr: []string{"If-Match", `*`}},
			{name: "delete If-Match 1", method: "DELETE", path: p, hdr: []string{"If-Match", `W/"1"`}},
			{name: "delete If-None-Match", method: "DELETE", path: p, hdr: []string{"If-None-Match", `*`}},
			{name: "delete with body", method: "DELETE", path: p, body: `{"resourceType":"` + typ + `","id":"{ID}"}`},
			{name: "batch delete + own create", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"batch","entry":[
				{"request":{"method":"DELETE","url":"` + typ + `/{ID}","ifMatch":"W/\"1\""}},` + own + `]}`},
			{name: "transaction own create + delete", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[` + own + `,
				{"request":{"method":"DELETE","url":"` + typ + `/{ID}"}}]}`},
			{name: "transaction own create + GET", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[` + own + `,
				{"request":{"method":"GET","url":"` + typ + `/{ID}"}}]}`},
			{name: "transaction own create + GET history", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[` + own + `,
				{"request":{"method":"GET","url":"` + typ + `/{ID}/_history"}}]}`},
			{name: "transaction own create + GET search _id", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[` + own + `,
				{"request":{"method":"GET","url":"` + typ + `?_id={ID}"}}]}`},
		})
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundCouncilPutOverWithheldIsATakenID: a PUT over the GP's
// withheld item answers exactly as one over the GP's deleted item (both
// "taken"), whatever If-Match or Prefer says, and stores nothing; a PUT
// over an item the council sees is a 403.
func TestReview55dSoundCouncilPutOverWithheldIsATakenID(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	sys := e.token("system", "council", "E06000999")
	r55dPremise(t, e, sw)
	body := `{"resourceType":"Condition","id":"{ID}","subject":{"reference":"Patient/jane"},"code":{"text":"COUNCIL-OVERWRITE"}}`
	p := "/fhir/Condition/{ID}"
	reqs := []r21bReq{
		{name: "put", method: "PUT", path: p, body: body},
		{name: "put Prefer representation", method: "PUT", path: p, body: body, hdr: []string{"Prefer", "return=representation"}},
		{name: "put Prefer OO", method: "PUT", path: p, body: body, hdr: []string{"Prefer", "return=OperationOutcome"}},
		{name: "put If-Match 1", method: "PUT", path: p, body: body, hdr: []string{"If-Match", `W/"1"`}},
		{name: "put If-Match 2", method: "PUT", path: p, body: body, hdr: []string{"If-Match", `W/"2"`}},
		{name: "put If-Match 9", method: "PUT", path: p, body: body, hdr: []string{"If-Match", `W/"9"`}},
		{name: "put If-None-Match *", method: "PUT", path: p, body: body, hdr: []string{"If-None-Match", `*`}},
		{name: "conditional update _id with body id", method: "PUT", path: "/fhir/Condition?_id={ID}", body: body},
		{name: "transaction put", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"Condition/{ID}","resource":` + body + `,"request":{"method":"PUT","url":"Condition/{ID}"}}]}`},
		{name: "transaction put ifMatch 2", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"Condition/{ID}","resource":` + body + `,"request":{"method":"PUT","url":"Condition/{ID}","ifMatch":"W/\"2\""}}]}`},
		{name: "batch put", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + body + `,"request":{"method":"PUT","url":"Condition/{ID}"}}]}`},
	}
	for who, tok := range map[string]string{"social worker": sw, "council system": sys} {
		t.Run(who, func(t *testing.T) {
			// hiv (withheld, live, version 1) against gone (the GP's,
			// deleted, version 2): both taken ids, neither seen.
			r21bCompare(t, e, tok, "hiv", "gone", reqs)
		})
	}
	if r := e.do("PUT", "/fhir/Condition/diabetes", sw, strings.ReplaceAll(body, "{ID}", "diabetes")); r.status != 403 {
		t.Errorf("PUT over the GP's item the social worker sees: %d %.300s", r.status, r.body)
	}
	if r := e.do("DELETE", "/fhir/Condition/diabetes", sw, ""); r.status != 403 {
		t.Errorf("DELETE of the GP's item the social worker sees: %d %.300s", r.status, r.body)
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundConditionalWritesByCodeMatchingWithheld: the
// council's conditional create and update whose criteria match only the
// GP's withheld HIV diagnosis (by code, by label) answer as criteria that
// match nothing, and never touch it.
func TestReview55dSoundConditionalWritesByCodeMatchingWithheld(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	mk := func(text string) string {
		return `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"` + text + `"}}`
	}
	pairs := [][2]string{
		{"patient=Patient/jane&code=http://snomed.info/sct|" + r55dHIV, "patient=Patient/jane&code=http://snomed.info/sct|999999999"},
		{"patient=Patient/jane&code=" + r55dHIV, "patient=Patient/jane&code=999999998"},
		{"_id=hiv&patient=Patient/jane", "_id=zz-never&patient=Patient/jane"},
	}
	for i, pr := range pairs {
		a := e.do("POST", "/fhir/Condition", sw, mk("C55D-A"), "If-None-Exist", pr[0])
		b := e.do("POST", "/fhir/Condition", sw, mk("C55D-A"), "If-None-Exist", pr[1])
		if a.status != b.status || strings.Contains(a.body, "GP-HIV") || strings.Contains(a.body, r55dHIV) {
			t.Errorf("%d: If-None-Exist %q: %d %.300s\n  vs %q: %d %.300s", i, pr[0], a.status, a.body, pr[1], b.status, b.body)
		}
		ca := e.do("PUT", "/fhir/Condition?"+pr[0], sw, mk("C55D-U"), "Prefer", "return=representation")
		cb := e.do("PUT", "/fhir/Condition?"+pr[1], sw, mk("C55D-U"), "Prefer", "return=representation")
		if ca.status != cb.status || strings.Contains(ca.body, "GP-HIV") || strings.Contains(ca.body, `"id":"hiv"`) || strings.Contains(ca.body, r55dHIV) {
			t.Errorf("%d: conditional update %q: %d %.300s\n  vs %q: %d %.300s", i, pr[0], ca.status, ca.body, pr[1], cb.status, cb.body)
		}
		if ca.header.Get("ETag") != cb.header.Get("ETag") {
			t.Errorf("%d: conditional update ETag differs: %q vs %q", i, ca.header.Get("ETag"), cb.header.Get("ETag"))
		}
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundOwnWriteNamingWithheldTellsNoMoreThanATakenID: the
// social worker (and the council's system) writes a CarePlan whose
// addresses names Condition/X. X the GP's live, withheld HIV diagnosis or
// the GP's deleted Condition/gone (both ids a PUT answers as taken, the
// README's documented choice): what comes back (the write's echo, a read,
// _elements, a search with _include, with _include:iterate, $everything's
// notice) must not tell the two apart, or the writer learns that a
// withheld item is live. (An id never stored goes out as written, while a
// taken one goes out masked: that much is the PUT's 409, and is logged.)
func TestReview55dSoundOwnWriteNamingWithheldTellsNoMoreThanATakenID(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	for who, tok := range map[string]string{"social worker": sw, "council system": e.token("system", "council", "E06000999")} {
		t.Run(who, func(t *testing.T) {
			slug := strings.ReplaceAll(who, " ", "-")
			get := func(target, id string) []resp {
				body := `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},"title":"COUNCIL-PLAN","addresses":[{"reference":"Condition/` + target + `"}]}`
				return []resp{
					e.do("PUT", "/fhir/CarePlan/"+id, tok, body, "Prefer", "return=representation"),
					e.do("GET", "/fhir/CarePlan/"+id, tok, ""),
					e.do("GET", "/fhir/CarePlan/"+id+"?_elements=addresses", tok, ""),
					e.do("GET", "/fhir/CarePlan?_id="+id+"&_include=CarePlan:condition", tok, ""),
					e.do("GET", "/fhir/CarePlan?_id="+id+"&_include:iterate=CarePlan:condition", tok, ""),
					e.do("GET", "/fhir/CarePlan?_id="+id+"&_include=*", tok, ""),
					e.do("GET", "/fhir/CarePlan/"+id+"/_history/1", tok, ""),
				}
			}
			names := []string{"write echo", "read", "read _elements", "search _include", "search _include:iterate", "search _include=*", "vread"}
			a := get("hiv", "p55d-a-"+slug)
			b := get("gone", "p55d-b-"+slug)
			norm := func(s, target, id string) string {
				return r21bNorm(strings.ReplaceAll(strings.ReplaceAll(s, "Condition/"+target, "Condition/{T}"), id, "{P}"), "\x00")
			}
			for i := range a {
				na, nb := norm(a[i].body, "hiv", "p55d-a-"+slug), norm(b[i].body, "gone", "p55d-b-"+slug)
				if a[i].status != b[i].status || na != nb {
					t.Errorf("%s: naming the live withheld Condition/hiv: %d %.700s\n  naming the deleted Condition/gone: %d %.700s", names[i], a[i].status, a[i].body, b[i].status, b[i].body)
				}
				if strings.Contains(a[i].body, "GP-HIV") || strings.Contains(a[i].body, r55dHIV) {
					t.Errorf("%s: released the withheld diagnosis: %.500s", names[i], a[i].body)
				}
			}
		})
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundRestrictedPatientWrites: the council, which sees the
// restricted Patient redacted, cannot overwrite her (writing back what it
// read would lose her address) nor delete her; the answers carry none of
// what was redacted, and her record is intact.
func TestReview55dSoundRestrictedPatientWrites(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	council := e.token("system", "council", "E06000999")
	rp := `{"resourceType":"Patient","id":"rp55d","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Hidden","given":["Rae"]}],"address":[{"line":["9 REFUGE LANE"],"postalCode":"NS9 9ZZ"}],"telecom":[{"system":"phone","value":"01632 960555"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	e.putAll(t, gp, [2]string{"/fhir/Patient/rp55d", rp})
	e.putAll(t, council, [2]string{"/fhir/EpisodeOfCare/rp55d-pkg", `{"resourceType":"EpisodeOfCare","id":"rp55d-pkg","status":"active","patient":{"reference":"Patient/rp55d"},"managingOrganization":{"reference":"Organization/E06000999"},"type":[{"text":"PKG"}]}`})
	sw := r55dSW(e)
	read := e.do("GET", "/fhir/Patient/rp55d", sw, "")
	if read.status != 200 || strings.Contains(read.body, "REFUGE") {
		t.Fatalf("premise: the social worker reads her redacted: %d %.300s", read.status, read.body)
	}
	for _, h := range [][]string{nil, {"Prefer", "return=representation"}, {"If-Match", `W/"1"`}, {"If-Match", `W/"2"`}} {
		for _, m := range []string{"PUT", "DELETE"} {
			body := ""
			if m == "PUT" {
				body = read.body
			}
			r := e.do(m, "/fhir/Patient/rp55d", sw, body, h...)
			if r.status < 400 || strings.Contains(r.body, "REFUGE") || strings.Contains(r.body, "960555") || r.header.Get("ETag") != "" {
				t.Errorf("%s %v of her Patient by the social worker: %d %v %.300s", m, h, r.status, r.header.Get("ETag"), r.body)
			}
		}
	}
	g := e.do("GET", "/fhir/Patient/rp55d", gp, "")
	if !strings.Contains(g.body, "REFUGE") || !strings.Contains(g.body, `"versionId":"1"`) {
		t.Errorf("her record changed: %.300s", g.body)
	}
}

// TestReview55dSoundRefusedWritesLoggedOnce: each refused write over a
// withheld item is one access-log entry, with its status, the person whose
// item it would have changed, and no release.
func TestReview55dSoundRefusedWritesLoggedOnce(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	cases := []struct {
		method, path, body string
		status             int
	}{
		{"DELETE", "/fhir/Condition/hiv", "", 404},
		{"PUT", "/fhir/Condition/hiv", `{"resourceType":"Condition","id":"hiv","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`, 409},
		{"PUT", "/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`, 403},
	}
	for _, c := range cases {
		e.rec.mu.Lock()
		before := len(e.rec.xs)
		e.rec.mu.Unlock()
		r := e.do(c.method, c.path, sw, c.body)
		if r.status != c.status {
			t.Errorf("%s %s: %d, want %d: %.300s", c.method, c.path, r.status, c.status, r.body)
		}
		e.rec.mu.Lock()
		n := len(e.rec.xs) - before
		var got []string
		for _, x := range e.rec.xs[before:] {
			got = append(got, x.Method+" "+x.Path)
			if x.Status != c.status || len(x.Released) != 0 || (x.Patient != "jane" && !r55dContains(x.Patients, "jane")) || x.Decision == "permit" {
				t.Errorf("%s %s logged as status %d decision %s patient %q %v released %v", c.method, c.path, x.Status, x.Decision, x.Patient, x.Patients, x.Released)
			}
		}
		e.rec.mu.Unlock()
		if n != 1 {
			t.Errorf("%s %s: %d access-log entries, want 1: %v", c.method, c.path, n, got)
		}
	}
	r55dGPUnchanged(t, e)
}

func r55dContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestReview55dSoundCouncilCannotRelabelOrSpoofGPData: the council cannot
// remove the labels of the GP's item (a write over it is refused), and an
// item it writes claiming the GP as its meta.source, with the GP's data
// class, stays the council's: the GP's HIV diagnosis and the council's
// item do not trade places, and the council's claim opens nothing it did
// not write.
func TestReview55dSoundCouncilCannotRelabelOrSpoofGPData(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	council := e.token("system", "council", "E06000999")
	// relabel by overwrite: refused, nothing stored
	r := e.do("PUT", "/fhir/Observation/hivload", council, `{"resourceType":"Observation","id":"hivload","status":"final","meta":{"security":[]},"subject":{"reference":"Patient/jane"},"code":{"text":"GP-VIRAL-LOAD"}}`)
	if r.status < 400 {
		t.Errorf("council overwrote the GP's labelled item: %d %.300s", r.status, r.body)
	}
	// spoof: a council item claiming the GP's system as its source
	spoof := `{"resourceType":"Condition","id":"spoof55d","meta":{"source":"https://gp.example/fhir/A81001","security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}],"tag":[{"system":"https://carex.example/data-class","code":"problems"}]},"subject":{"reference":"Patient/jane"},"code":{"text":"COUNCIL-SPOOF"}}`
	if r := e.do("PUT", "/fhir/Condition/spoof55d", council, spoof); r.status != 201 {
		t.Fatalf("council's own labelled item: %d %.300s", r.status, r.body)
	}
	// the GP does not see the council's HIV-labelled item as its own: a
	// labelled item goes to its source alone (the council), not to the
	// organisation its meta.source names
	gpUser := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition/spoof55d", gpUser, ""); r.status != 404 {
		t.Errorf("the GP sees the council's labelled item that claims the GP as source: %d %.300s", r.status, r.body)
	}
	// the GP may not change it, though it claims to be the GP's
	if r := e.do("DELETE", "/fhir/Condition/spoof55d", gpUser, ""); r.status != 404 {
		t.Errorf("the GP deleted the council's item claiming the GP as source: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Condition/spoof55d", council, ""); r.status != 200 || !strings.Contains(r.body, "COUNCIL-SPOOF") {
		t.Errorf("council's own item: %d %.300s", r.status, r.body)
	}
	// the council system still reads none of the GP's items
	if r := e.do("GET", "/fhir/Condition?patient=Patient/jane", council, ""); strings.Contains(r.body, "GP-HIV") || strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("council system reads the GP's items after claiming the GP as source: %.500s", r.body)
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundConditionalWritesByLabelMatchingWithheld: a condition
// by the label the GP wrote (_security) matching only its withheld viral
// load answers as one matching nothing.
func TestReview55dSoundConditionalWritesByLabelMatchingWithheld(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	body := `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"SW-OBS"}}`
	a := e.do("POST", "/fhir/Observation", sw, body, "If-None-Exist", "patient=Patient/jane&_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV")
	b := e.do("POST", "/fhir/Observation", sw, body, "If-None-Exist", "patient=Patient/jane&_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|ETH")
	if a.status != b.status || strings.Contains(a.body, "VIRAL") {
		t.Errorf("If-None-Exist by label: %d %.300s\n  vs %d %.300s", a.status, a.body, b.status, b.body)
	}
	ca := e.do("PUT", "/fhir/Observation?patient=Patient/jane&_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV", sw, body)
	cb := e.do("PUT", "/fhir/Observation?patient=Patient/jane&_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|ETH", sw, body)
	if ca.status != cb.status || strings.Contains(ca.body, "VIRAL") || strings.Contains(ca.body, "hivload") {
		t.Errorf("conditional update by label: %d %.300s\n  vs %d %.300s", ca.status, ca.body, cb.status, cb.body)
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundIGOfficerWritesTellNothing: an IG officer changes
// nothing and sees no clinical data: her writes over a withheld item answer
// exactly as over an id never stored.
func TestReview55dSoundIGOfficerWritesTellNothing(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	for who, tok := range map[string]string{"nhs IG": e.token("ig-officer", "nhs", "A81001"), "council IG": e.token("ig-officer", "council", "E06000999")} {
		t.Run(who, func(t *testing.T) {
			body := `{"resourceType":"Condition","id":"{ID}","subject":{"reference":"Patient/jane"},"code":{"text":"IG-WRITE"}}`
			p := "/fhir/Condition/{ID}"
			r21bCompare(t, e, tok, "hiv", "zz-never-55d", []r21bReq{
				{name: "delete", method: "DELETE", path: p},
				{name: "delete If-Match 1", method: "DELETE", path: p, hdr: []string{"If-Match", `W/"1"`}},
				{name: "delete If-Match 4", method: "DELETE", path: p, hdr: []string{"If-Match", `W/"4"`}},
				{name: "put", method: "PUT", path: p, body: body},
				{name: "put If-Match 1", method: "PUT", path: p, body: body, hdr: []string{"If-Match", `W/"1"`}},
				{name: "put If-Match 4", method: "PUT", path: p, body: body, hdr: []string{"If-Match", `W/"4"`}},
				{name: "conditional update _id", method: "PUT", path: "/fhir/Condition?_id={ID}", body: strings.Replace(body, `"id":"{ID}",`, "", 1)},
				{name: "If-None-Exist _id", method: "POST", path: "/fhir/Condition", body: strings.Replace(body, `"id":"{ID}",`, "", 1), hdr: []string{"If-None-Exist", "_id={ID}"}},
				{name: "transaction delete", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition/{ID}"}}]}`},
				{name: "transaction put ifMatch", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"Condition/{ID}","resource":` + body + `,"request":{"method":"PUT","url":"Condition/{ID}","ifMatch":"W/\"1\""}}]}`},
			})
			// and the GP's deleted item, too
			r21bCompare(t, e, tok, "gone", "zz-never-55e", []r21bReq{
				{name: "delete (deleted)", method: "DELETE", path: p},
				{name: "put If-Match 2 (deleted)", method: "PUT", path: p, body: body, hdr: []string{"If-Match", `W/"2"`}},
			})
		})
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dSoundCreateWithBodyIDOfWithheldItem: a POST whose body
// carries the id of the GP's withheld item (or a conditional update that
// matches nothing, with no body id) is stored under a new id of carex's
// choosing, and the GP's item is untouched; the answer is the same as for
// an id never stored.
func TestReview55dSoundCreateWithBodyIDOfWithheldItem(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	body := `{"resourceType":"Condition","id":"{ID}","subject":{"reference":"Patient/jane"},"code":{"text":"SW-CREATE"}}`
	r21bCompare(t, e, sw, "hiv", "zz-never-55f", []r21bReq{
		{name: "post with body id", method: "POST", path: "/fhir/Condition", body: body},
		{name: "post with body id, Prefer representation", method: "POST", path: "/fhir/Condition", body: body, hdr: []string{"Prefer", "return=representation"}},
		{name: "transaction post with body id", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:11111111-2222-3333-4444-555555555556","resource":` + body + `,"request":{"method":"POST","url":"Condition"}}]}`},
	})
	r := e.do("POST", "/fhir/Condition", sw, strings.ReplaceAll(body, "{ID}", "hiv"))
	if r.status != 201 || strings.Contains(r.body, `"id":"hiv"`) {
		t.Errorf("POST with the withheld item's id: %d %.300s", r.status, r.body)
	}
	r55dGPUnchanged(t, e)
}

// TestReview55dThirdPartyCareTeamOpensRecordUnflagged: an organisation
// with no relationship with Jane (X99001: not her GP, on no care team or
// episode, no data of hers) writes a CareTeam for her naming another
// organisation with none either (RHY99). RHY99's clinician then reads her
// whole record, and the access is not flagged claimed-relationship for IG,
// because the team was "recorded by another party". SPEC §5 layer 2 asks
// for a legitimate relationship; the README flags a relationship the
// user's organisation recorded itself, and two organisations writing each
// other onto a care team escape it. This probe asserts that a relationship
// whose only basis is a team written by an organisation that had no
// relationship of its own is flagged (claimed) for IG.
func TestReview55dThirdPartyCareTeamOpensRecordUnflagged(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	x := e.token("system", "nhs", "X99001")
	clin := e.token("hospital-clinician", "nhs", "RHY99")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", clin, ""); r.status != 403 {
		t.Fatalf("premise: RHY99 has no relationship: %d %.200s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/CareTeam/x55d", x, `{"resourceType":"CareTeam","id":"x55d","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RHY99"}}]}`); r.status != 201 {
		t.Fatalf("X99001's care team: %d %.300s", r.status, r.body)
	}
	r := e.do("GET", "/fhir/Patient/jane/$everything", clin, "")
	t.Logf("RHY99's clinician, $everything: %d released diabetes=%v", r.status, strings.Contains(r.body, "GP-DIABETES"))
	e.rec.mu.Lock()
	for _, x := range e.rec.xs {
		if x.Principal != nil && x.Principal.Org == "RHY99" {
			t.Logf("logged: %s %s status %d decision %s reasons %v", x.Method, x.Path, x.Status, x.Decision, x.Reasons)
		}
	}
	e.rec.mu.Unlock()
	if r.status == 200 && !e.accessLogged(t, "hospital-clinician-user", "claimed-relationship") {
		t.Errorf("RHY99 read Jane's record (%d, GP's diabetes released: %v) on a care team written by an organisation with no relationship of its own, and the access is not flagged claimed-relationship", r.status, strings.Contains(r.body, "GP-DIABETES"))
	}
}

// TestReview55dSelfMadeRelationshipRecordsObjection: X99001, with no
// relationship with Jane, writes itself onto a care team of hers, then
// records an opt-out for her. Does carex take a relationship the writer
// made for itself a moment before as the "legitimate relationship"
// recording a Consent needs (SPEC §5 layer 2; README: recording a Consent
// needs a relationship), so that any organisation can take the GP's data
// away from her district nurse?
func TestReview55dSelfMadeRelationshipRecordsObjection(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
		t.Fatalf("premise: the nurse reads the GP's diabetes: %d", r.status)
	}
	x := e.token("system", "nhs", "X99001")
	optout := janeConsent("x55d-optout", "2026-02-01", "OPTOUT", "")
	if r := e.do("PUT", "/fhir/Consent/x55d-optout", x, optout); r.status != 403 {
		t.Fatalf("premise: X99001 without a relationship cannot record her consent: %d %.300s", r.status, r.body)
	}
	if r := e.do("PUT", "/fhir/CareTeam/x55d-self", x, `{"resourceType":"CareTeam","id":"x55d-self","status":"active","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/X99001"}}]}`); r.status != 201 {
		t.Fatalf("X99001's own care team: %d %.300s", r.status, r.body)
	}
	r := e.do("PUT", "/fhir/Consent/x55d-optout", x, optout)
	n := e.do("GET", "/fhir/Condition/diabetes", nurse, "")
	t.Logf("X99001's opt-out after its own care team: %d %.200s; nurse reads the GP's diabetes: %d", r.status, r.body, n.status)
	// (The fix chose otherwise: the Consent is recorded, as a council
	// records its clients' choices on the care package it recorded
	// itself, and withholding fails closed; the write is flagged
	// claimed-relationship for IG.)
	if r.status != 201 || n.status != 404 {
		t.Errorf("X99001's opt-out after its own care team: %d, the nurse's read %d; want 201 and 404", r.status, n.status)
	}
	if !e.accessLogged(t, "system-user", "claimed-relationship") {
		t.Errorf("an organisation with no relationship but the care team it wrote itself recorded Jane's opt-out, and the write is not flagged claimed-relationship for IG")
	}
}

// TestReview55dTransactionDeleteBesideRefusedEntry: a transaction that
// deletes Condition/{ID} and also makes a change the social worker may not
// make (a PUT or DELETE of the GP's diabetes, which she sees: 403). The
// answer must be the same for {ID} the GP's withheld HIV diagnosis and for
// an id never stored (SPEC §5: 404 "not found or not yours to know
// about"; README: a DELETE of a withheld item is a 404 in the words used
// for an id that never existed).
func TestReview55dTransactionDeleteBesideRefusedEntry(t *testing.T) {
	e := newEnv(t)
	r55dSeed(t, e)
	sw := r55dSW(e)
	r55dPremise(t, e, sw)
	diab := `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"text":"SW-EDIT"}}`
	r21bCompare(t, e, sw, "hiv", "zz-never-55g", []r21bReq{
		{name: "transaction DELETE withheld + PUT visible other-org", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"Condition/{ID}"}},
			{"fullUrl":"Condition/diabetes","resource":` + diab + `,"request":{"method":"PUT","url":"Condition/diabetes"}}]}`},
		{name: "transaction PUT visible other-org + DELETE withheld", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"fullUrl":"Condition/diabetes","resource":` + diab + `,"request":{"method":"PUT","url":"Condition/diabetes"}},
			{"request":{"method":"DELETE","url":"Condition/{ID}"}}]}`},
		{name: "transaction DELETE withheld + DELETE visible other-org", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"Condition/{ID}"}},
			{"request":{"method":"DELETE","url":"Condition/diabetes"}}]}`},
		{name: "transaction DELETE visible other-org + DELETE withheld", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"Condition/diabetes"}},
			{"request":{"method":"DELETE","url":"Condition/{ID}"}}]}`},
		{name: "transaction DELETE withheld + invalid Consent", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"Condition/{ID}"}},
			{"fullUrl":"urn:uuid:11111111-2222-3333-4444-555555555557","resource":{"resourceType":"Consent","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"2099-01-01"},"request":{"method":"POST","url":"Consent"}}]}`},
		{name: "transaction DELETE withheld + own create with conditional ref matching 2", method: "POST", path: "/fhir", body: `{"resourceType":"Bundle","type":"transaction","entry":[
			{"request":{"method":"DELETE","url":"Condition/{ID}"}},
			{"fullUrl":"urn:uuid:11111111-2222-3333-4444-555555555558","resource":{"resourceType":"Flag","status":"active","subject":{"reference":"Patient?_id=jane,zz"},"code":{"text":"F"}},"request":{"method":"POST","url":"Flag"}}]}`},
	})
	// the GP's deleted item answers as the withheld one (a taken id)
	for _, id := range []string{"gone", "hiv", "zz-never-55h"} {
		r := e.do("POST", "/fhir", sw, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Condition/`+id+`"}},{"request":{"method":"DELETE","url":"Condition/diabetes"}}]}`)
		t.Logf("transaction DELETE Condition/%s + DELETE Condition/diabetes: %d %.200s", id, r.status, r.body)
	}
	r55dGPUnchanged(t, e)
}
