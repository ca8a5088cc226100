package api_test

import (
	"strings"
	"testing"
)

// TestPercentEncodedURIValuesAreRefused: review 16a refused references
// and attachment urls that write the type or id they name
// percent-encoded, and masked uri values (valueUri, valueUrl,
// valueCanonical) naming withheld items; but a uri value written
// Condition/h%69v was still stored (review 16d's left-over), to be masked
// on every read as naming nothing readable, where the same in a
// reference is refused. Now it is refused alike (422), and a uri value
// with an escape outside a Type/id (a file name with a space) is still
// accepted.
func TestPercentEncodedURIValuesAreRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for i, v := range []string{`"valueUri":"Condition/h%69v"`, `"valueUrl":"` + e.base + `/fhir/Binary/hivb%69n"`, `"valueCanonical":"Condition%2Fhiv|1"`} {
		id := "encuri-" + string(rune('a'+i))
		body := `{"resourceType":"CarePlan","id":"` + id + `","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		  "extension":[{"url":"https://example.org/fhir/StructureDefinition/related",` + v + `}]}`
		if r := e.do("PUT", "/fhir/CarePlan/"+id, gp, body); r.status != 422 || !strings.Contains(r.body, "percent-encoded") {
			t.Errorf("%s: want 422 for a percent-encoded uri naming an item, got %d %.300s", v, r.status, r.body)
		}
	}
	ok := `{"resourceType":"CarePlan","id":"encuri-ok","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
	  "extension":[{"url":"https://example.org/fhir/StructureDefinition/leaflet","valueUri":"https://docs.example.org/leaflets/My%20Leaflet.pdf"}]}`
	if r := e.do("PUT", "/fhir/CarePlan/encuri-ok", gp, ok); r.status != 201 {
		t.Errorf("an escape outside a Type/id is refused: %d %.300s", r.status, r.body)
	}
}
