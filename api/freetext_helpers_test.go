package api_test

import (
	"strings"
	"testing"
)

// searchHidesDocument: a DocumentReference search by each query finds id
// for the practice (gp) and not for the reader who sees its text masked
// (hosp).
func searchHidesDocument(t *testing.T, e *env, hosp, gp, id string, queries ...string) {
	t.Helper()
	for _, q := range queries {
		rh := e.do("GET", "/fhir/DocumentReference?"+q, hosp, "")
		if rh.status != 200 || strings.Contains(rh.body, `"`+id+`"`) {
			t.Errorf("DocumentReference?%s: the hospital finds %s by text it sees masked: %d", q, id, rh.status)
		}
		if rg := e.do("GET", "/fhir/DocumentReference?"+q, gp, ""); !strings.Contains(rg.body, `"`+id+`"`) {
			t.Errorf("DocumentReference?%s: the practice no longer finds its own %s", q, id)
		}
	}
}

// maskedCopyRefused: tok reads path with something masked, and writing
// that copy back, with old replaced by new, is refused 409 (it would lose
// what was masked for everyone).
func maskedCopyRefused(t *testing.T, e *env, tok, path, old, new string) {
	t.Helper()
	read := e.do("GET", path, tok, "")
	if read.status != 200 || !strings.Contains(read.body, "#(masked)") {
		t.Errorf("%s: the premise: the clinician reads her organisation's document masked: %d %.400s", path, read.status, read.body)
		return
	}
	if w := e.do("PUT", path, tok, strings.Replace(read.body, old, new, 1)); w.status != 409 {
		t.Errorf("%s: writing back the masked text: %d %.300s, want 409", path, w.status, w.body)
	}
}
