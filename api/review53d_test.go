package api_test

// Review 53d: regressions only, in a715015 (break-glass reason count,
// $everything's parameters given twice). Probes run against this tree and
// (for the differential ones) against a715015^ (see the report).

import (
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// bg53d breaks glass on Margaret's $everything (RZZ has no relationship)
// with reason and returns the response.
func bg53d(t *testing.T, e *env, sub, reason string) resp {
	t.Helper()
	ae := e.token("hospital-clinician", "nhs", "RZZ", func(c *auth.DevClaims) { c.Sub = sub })
	return e.do("GET", "/fhir/Patient/margaret/$everything", ae, "", "X-Break-Glass", reason)
}

// TestReview53dBreakGlassShortRealReasonsRefused: a715015 stopped counting
// spaces and combining marks (Mn) toward the 10-character minimum. Short
// but genuine emergency reasons that a715015^ accepted (each has 10 or more
// characters as it counted) are now refused with 403, so a clinician at
// the bedside cannot open the record: English "chest pain" (9 without the
// space), Hindi "patient unconscious" (vowel signs and nukta are Mn),
// Bengali, Thai (vowels above/below and tone marks are Mn), Korean (one
// syllable block is one character) and Tamil.
func TestReview53dBreakGlassShortRealReasonsRefused(t *testing.T) {
	e := newEnv(t)
	seed51d(t, e)
	for i, reason := range []string{
		"EMERGENCY: chest pain",
		"EMERGENCY: RTA, GCS 3",
		"EMERGENCY: मरीज़ बेहोश",   // Hindi: patient unconscious
		"EMERGENCY: রোগী অজ্ঞান",   // Bengali: patient unconscious
		"EMERGENCY: ผู้ป่วยหมดสติ", // Thai: patient unconscious
		"EMERGENCY: 환자 의식불명 응급",    // Korean: patient unconscious, emergency
		"EMERGENCY: ஆபத்து நிலை",   // Tamil: critical condition
	} {
		r := bg53d(t, e, "r53d-short-"+string(rune('a'+i)), reason)
		if r.status != 200 || !strings.Contains(r.body, "R51D-MARG-DX") {
			t.Errorf("%q (accepted by a715015^): %d %.300s", reason, r.status, r.body)
		}
	}
}

// TestReview53dSoundBreakGlassReasonsInOtherScripts: genuine reasons of
// ordinary length in other scripts still open the record after a715015.
func TestReview53dSoundBreakGlassReasonsInOtherScripts(t *testing.T) {
	e := newEnv(t)
	seed51d(t, e)
	for i, reason := range []string{
		"EMERGENCY: रोगी बेहोश है, कोई इतिहास नहीं",                         // Hindi
		"EMERGENCY: রোগী অজ্ঞান, ইতিহাস নেই",                                // Bengali
		"EMERGENCY: ผู้ป่วยหมดสติ ไม่มีประวัติ",                             // Thai
		"EMERGENCY: المريضُ فاقدُ الوعيِ",                                   // Arabic with harakat
		"EMERGENCY: Claf yn anymwybodol, dim hanes ar gael",                 // Welsh
		"EMERGENCY: Mae'r claf yn anymwybodol – ŵyr ei hun ŷn",              // Welsh with accents
		"EMERGENCY: Bệnh nhân bất tỉnh, không có tiền sử",                   // Vietnamese NFC
		"EMERGENCY: Be\u0302\u0323nh nha\u0302n ba\u0302\u0301t ti\u0309nh", // Vietnamese NFD
		"EMERGENCY: 환자 의식 없음, 병력 정보 없음",                                     // Korean
		"EMERGENCY: unconscious",
		"EMERGENCY: cardiac arrest",
		"LEGAL: court order",
	} {
		r := bg53d(t, e, "r53d-script-"+string(rune('a'+i)), reason)
		if r.status != 200 || !strings.Contains(r.body, "R51D-MARG-DX") {
			t.Errorf("%q: %d %.300s", reason, r.status, r.body)
		}
	}
	// Still refused: padding with spaces and marks (review 51d).
	for i, reason := range []string{"EMERGENCY: a" + strings.Repeat("\u2009", 12) + "b", "EMERGENCY: ab\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301"} {
		if r := bg53d(t, e, "r53d-pad-"+string(rune('a'+i)), reason); r.status == 200 {
			t.Errorf("%q opened the record", reason)
		}
	}
}

// follow53d pages from path (GET) through every next link, failing on a
// page that is not 200; it returns the ids seen and pages read.
func follow53d(t *testing.T, e *env, tok, first string, firstBody string) (map[string]bool, int) {
	t.Helper()
	seen := map[string]bool{}
	body := firstBody
	pages := 1
	for {
		b := r51bParse(t, body)
		for _, en := range b.Entry {
			seen[en.Resource.ResourceType+"/"+en.Resource.ID] = true
		}
		n := b.next()
		if n == "" {
			return seen, pages
		}
		u, err := url.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		r := e.do("GET", u.RequestURI(), tok, "")
		if r.status != 200 {
			t.Fatalf("after %s: next link %s: %d %.400s", first, n, r.status, r.body)
		}
		body = r.body
		pages++
		if pages > 60 {
			t.Fatalf("%s: too many pages", first)
		}
	}
}

// TestReview53dSoundEverythingNextLinksAndPostBody: after a715015, next
// links of $everything carrying _count, _offset, _type, start, end, _since
// and a given _format are followed with 200 (no parameter doubled), and a
// POST with its parameters in the body alone pages as the GET; a parameter
// once in the query and once in the body is a 400.
func TestReview53dSoundEverythingNextLinksAndPostBody(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	full := e.do("GET", "/fhir/Patient/jane/$everything", gp, "")
	if full.status != 200 {
		t.Fatalf("premise: %d %s", full.status, full.body)
	}
	all := r51bParse(t, full.body).Total
	for _, q := range []string{
		"?_count=1",
		"?_count=1&_offset=0",
		"?_count=2&_type=Patient,Condition,Observation",
		"?_count=1&start=1900&end=2100",
		"?_count=1&_since=2000-01-01T00:00:00Z",
		"?_count=1&_format=json",
		"?_count=1&_format=application/fhir%2Bjson&_type=Condition",
	} {
		p := "/fhir/Patient/jane/$everything" + q
		r := e.do("GET", p, gp, "")
		if r.status != 200 {
			t.Errorf("%s: %d %.300s", p, r.status, r.body)
			continue
		}
		total := r51bParse(t, r.body).Total
		seen, _ := follow53d(t, e, gp, p, r.body)
		if len(seen) != total {
			t.Errorf("%s: pages hold %d distinct items, total %d", p, len(seen), total)
		}
	}
	// POST, parameters in the body alone.
	body := `{"resourceType":"Parameters","parameter":[{"name":"_count","valueInteger":1},{"name":"_type","valueString":"Patient,Condition,Observation"},{"name":"start","valueDate":"1900-01-01"}]}`
	r := e.do("POST", "/fhir/Patient/jane/$everything", gp, body, "Content-Type", "application/fhir+json")
	if r.status != 200 {
		t.Fatalf("POST body only: %d %.400s", r.status, r.body)
	}
	seen, pages := follow53d(t, e, gp, "POST", r.body)
	if total := r51bParse(t, r.body).Total; len(seen) != total || pages < 2 {
		t.Errorf("POST body only: %d items over %d pages, total %d (all %d)", len(seen), pages, total, all)
	}
	// Once in the query, once in the body: 400.
	for _, name := range []string{"_count", "_type", "_offset", "_format"} {
		val := map[string]string{"_count": `"valueInteger":1`, "_type": `"valueString":"Condition"`, "_offset": `"valueInteger":0`, "_format": `"valueString":"json"`}[name]
		qv := map[string]string{"_count": "2", "_type": "Observation", "_offset": "1", "_format": "json"}[name]
		b := `{"resourceType":"Parameters","parameter":[{"name":"` + name + `",` + val + `}]}`
		r := e.do("POST", "/fhir/Patient/jane/$everything?"+name+"="+qv, gp, b, "Content-Type", "application/fhir+json")
		if r.status != 400 {
			t.Errorf("POST %s in query and body: %d %.300s", name, r.status, r.body)
		}
	}
}
