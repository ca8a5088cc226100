package api_test

import (
	"strings"
	"testing"
)

// TestBundleEnvelope: what a client puts around its entries is read
// strictly too. R4's envelope elements are accepted; an unknown key, a
// modifier extension or implicit rules are refused, and nothing is stored.
func TestBundleEnvelope(t *testing.T) {
	e := newEnv(t)
	gp := e.token("system", "nhs", "A81001")
	entry := func(extra string) string {
		return `{"fullUrl":"urn:uuid:0c3e1f8a-4b7d-4e2a-9f6c-1d2e3f4a5b6c","resource":{"resourceType":"Patient","name":[{"family":"ENVELOPE"}]},
		"request":{"method":"POST","url":"Patient"` + extra + `}}`
	}
	tx := func(head, entries string) string {
		return `{"resourceType":"Bundle","type":"transaction"` + head + `,"entry":[` + entries + `]}`
	}
	e.run(t, []scenario{
		{name: "unknown entry key", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{`bogus`},
			body: tx("", `{"bogus":1,`+entry("")[1:])},
		{name: "unknown request key", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{`ifNoneExists`},
			body: tx("", entry(`,"ifNoneExists":"identifier=x"`))},
		{name: "unknown Bundle key", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{`entries`},
			body: `{"resourceType":"Bundle","type":"transaction","entries":[]}`},
		{name: "modifier extension", method: "POST", path: "/fhir", token: gp, status: 400, contains: []string{"modifierExtension"},
			body: tx("", `{"modifierExtension":[{"url":"http://example.org/x","valueBoolean":true}],`+entry("")[1:])},
		{name: "implicit rules", method: "POST", path: "/fhir", token: gp, status: 400, contains: []string{"implicitRules"},
			body: tx(`,"implicitRules":"http://example.org/rules"`, entry(""))},
		// encoding/json matches keys in any case and keeps the last of two;
		// FHIR's names are exact and another tool may keep the first.
		{name: "key in another case", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{`\"Type\"`},
			body: `{"resourceType":"Bundle","Type":"transaction","entry":[` + entry("") + `]}`},
		{name: "entry key in another case", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{`\"fullurl\"`},
			body: tx("", `{"fullurl":"urn:uuid:x",`+entry("")[1:])},
		{name: "request key in another case", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{`\"IFNONEEXIST\"`},
			body: tx("", entry(`,"IFNONEEXIST":"identifier=x"`))},
		{name: "duplicate type", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{"Bundle.type", "duplicate"},
			body: `{"resourceType":"Bundle","type":"batch","type":"transaction","entry":[` + entry("") + `]}`},
		{name: "duplicate request method", method: "POST", path: "/fhir", token: gp, status: 422, contains: []string{"Bundle.entry[0].request.method", "duplicate"},
			body: tx("", entry(`,"method":"PUT"`))},
		{name: "data after the Bundle", method: "POST", path: "/fhir", token: gp, status: 400, body: tx("", entry("")) + ` {}`},
		{name: "not a Bundle", method: "POST", path: "/fhir", token: gp, status: 400, contains: []string{"takes a Bundle"},
			body: `{"resourceType":"Patient","name":[{"family":"ENVELOPE"}]}`},
		{name: "R4's envelope elements are accepted", method: "POST", path: "/fhir", token: gp, status: 200, contains: []string{"201 Created"},
			body: tx(`,"id":"b1","meta":{"profile":["http://example.org/p"]},"identifier":{"value":"b1"},"timestamp":"2026-12-03T10:00:00Z","link":[{"relation":"self","url":"http://example.org"}]`,
				`{"id":"e1","extension":[{"url":"http://example.org/x","valueString":"y"}],"link":[],"search":{"mode":"match"},`+entry(`,"id":"r1","ifNoneMatch":"*"`)[1:])},
	})
	if r := e.do("GET", "/fhir/Patient?family=envelope", gp, ""); r.status != 200 || !strings.Contains(r.body, `"total":1`) {
		t.Errorf("refused bundles stored something, or the accepted one nothing: %s", r.body)
	}
}

// TestBatchRefusesNestedBundles: a batch entry whose url reaches POST /fhir
// ("?") is refused, not run as a Bundle again: nested a thousand deep in
// 100 KB it took 1.3 s, 690 MB and 1,001 log entries (found in review).
func TestBatchRefusesNestedBundles(t *testing.T) {
	e := newEnv(t)
	gp := e.token("gp", "nhs", "A81001")
	for _, u := range []string{"?", "/?", "?_format=json"} {
		inner := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"metadata"}}]}`
		body := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"` + u + `"},"resource":` + inner + `}]}`
		r := e.do("POST", "/fhir", gp, body)
		if r.status != 200 || !strings.Contains(r.body, `"400 Bad Request"`) || !strings.Contains(r.body, "nested bundles") {
			t.Errorf("url %q: a Bundle in a batch entry: %d %.300s", u, r.status, r.body)
		}
	}
}
