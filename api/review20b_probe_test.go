package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// bodyResources: Type/id/_history/v of every resource a response body
// carries (the resource itself, or a Bundle's entries, batch-response
// entries' resources included), OperationOutcomes aside.
func bodyResources(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var r struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			Meta         struct {
				VersionID string `json:"versionId"`
			} `json:"meta"`
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if json.Unmarshal(raw, &r) != nil {
			return
		}
		switch r.ResourceType {
		case "", "OperationOutcome":
		case "Bundle":
			for _, e := range r.Entry {
				if len(e.Resource) > 0 {
					walk(e.Resource)
				}
			}
		default:
			out = append(out, r.ResourceType+"/"+r.ID+"/_history/"+r.Meta.VersionID)
		}
	}
	if body != "" {
		walk(json.RawMessage(body))
	}
	slices.Sort(out)
	return out
}

// review20bExchange is what the recorded exchange of request id says was
// released (with the entries of a batch or transaction's GETs, logged as
// requests of their own, id.N), its status and count withheld.
func (e *env) review20bExchange(t *testing.T, id string) (released []string, status, withheld int, found bool) {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if x.RequestID == id {
			released = append(released, x.Released...)
			status, withheld, found = x.Status, x.Withheld, true
		} else if strings.HasPrefix(x.RequestID, id+".") {
			released = append(released, x.Released...)
		}
	}
	slices.Sort(released)
	return slices.Compact(released), status, withheld, found
}

// TestReview20bProbeReleasedMatchesBody: for each kind of answer a user
// can get (read, vread of an old version, histories, searches with
// _summary=count, _count=0, _elements, _include/_revinclude, POST _search,
// $everything and its next page, HEAD, _format, If-None-Match, a
// conditional create that matched, Prefer return=minimal, a conditional
// update, a batch and a transaction that read, a delete), every resource
// the body carries is named in the request's access-log entry (or, for a
// bundle's GETs, in their own entries), and the entry's status is the
// answer's. A probe: it passed when first written.
func TestReview20bProbeReleasedMatchesBody(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	gpSys := e.token("system", "nhs", "A81001")
	// a second version of the diabetes Condition
	e.putAll(t, gpSys, [2]string{"/fhir/Condition/diabetes", `{"resourceType":"Condition","id":"diabetes","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"GP-DIABETES-2"}}`})
	n := 0
	check := func(method, path, tok, body string, hdr ...string) resp {
		t.Helper()
		n++
		id := fmt.Sprintf("probe20b-%d", n)
		r := e.do(method, path, tok, body, append(hdr, "X-Request-Id", id)...)
		rel, st, wh, ok := e.review20bExchange(t, id)
		got := bodyResources(t, r.body)
		if method == "HEAD" {
			got = nil
		}
		if !ok {
			t.Errorf("%s %s: no entry", method, path)
			return r
		}
		t.Logf("%s %s -> %d (entry %d, withheld %d) body %v entry %v", method, path, r.status, st, wh, got, rel)
		if st != r.status {
			t.Errorf("%s %s: status %d, entry says %d", method, path, r.status, st)
		}
		for _, g := range got {
			if !slices.Contains(rel, g) {
				t.Errorf("%s %s: body carries %s, the entry does not say so (%v)", method, path, g, rel)
			}
		}
		return r
	}
	check("GET", "/fhir/Condition/diabetes", nurse, "")
	check("GET", "/fhir/Condition/diabetes/_history/1", nurse, "")
	check("GET", "/fhir/Condition/diabetes/_history", nurse, "")
	check("GET", "/fhir/Condition/_history", nurse, "")
	check("GET", "/fhir/_history", nurse, "")
	check("GET", "/fhir/Condition?patient=jane&_summary=count", nurse, "")
	check("GET", "/fhir/Condition?patient=jane&_count=0", nurse, "")
	check("GET", "/fhir/Condition?patient=jane&_summary=true", nurse, "")
	check("GET", "/fhir/Condition?patient=jane&_elements=code", nurse, "")
	check("GET", "/fhir/Patient?_id=jane&_revinclude=Condition:subject", nurse, "")
	check("GET", "/fhir/Condition?patient=jane&_include=Condition:subject", nurse, "")
	r := check("GET", "/fhir/Patient/jane/$everything?_count=2", nurse, "")
	var b bundle
	json.Unmarshal([]byte(r.body), &b)
	for _, l := range b.Link {
		if l.Relation == "next" {
			u, _ := url.Parse(l.URL)
			check("GET", strings.TrimPrefix(u.Path, "")+"?"+u.RawQuery, nurse, "")
		}
	}
	check("POST", "/fhir/Patient/jane/$everything", nurse, `{"resourceType":"Parameters"}`)
	check("POST", "/fhir/Condition/_search", nurse, "patient=jane", "Content-Type", "application/x-www-form-urlencoded")
	check("HEAD", "/fhir/Condition/diabetes", nurse, "")
	check("GET", "/fhir/Condition/diabetes?_format=json", nurse, "")
	check("GET", "/fhir/Condition/diabetes?_summary=true", nurse, "")
	check("GET", "/fhir/Condition/diabetes?_elements=code", nurse, "")
	check("GET", "/fhir/Patient/jane", gp, "", "If-None-Match", `W/"1"`)
	check("POST", "/fhir/Condition", gpSys, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`, "If-None-Exist", "_id=diabetes")
	check("POST", "/fhir/Condition", gpSys, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"X"}}`, "If-None-Exist", "_id=diabetes", "Prefer", "return=minimal")
	check("PUT", "/fhir/Condition?_id=diabetes", gpSys, `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"GP-DIABETES-3"}}`)
	check("POST", "/fhir", gp, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},{"request":{"method":"GET","url":"Patient/jane"}}]}`)
	check("POST", "/fhir", gpSys, `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Condition/diabetes"}},
	  {"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"Y"}},"request":{"method":"POST","url":"Observation"}}]}`)
	check("GET", "/fhir/Consent?patient=jane", gp, "")
	check("DELETE", "/fhir/Observation/hba1c", gpSys, "")
	check("GET", "/fhir/Observation/hba1c/_history/1", gp, "")
	check("GET", "/fhir/Observation/hba1c/_history", gp, "")
}
