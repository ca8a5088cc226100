package api_test

// Review 5c failing test copied from branch review-5c (api/review5c_test.go).

import (
	"strings"
	"testing"
)

// TestReview5cInvalidPrimitiveValuesAreRefused: SPEC §3 "422 invalid
// resource", §7 bad input "gets a clear OperationOutcome, and nothing is
// stored" (README: "Strict validation"). R4's primitive types have formats
// — a date SHALL be a valid date, a dateTime with a time SHALL have a time
// zone, an instant is a full timestamp, positiveInt > 0, unsignedInt >= 0,
// base64Binary is base64 — and carex checks only the JSON kind (string,
// number), so all of these are stored with 201. A birth date of month 13 or
// 30 February is stored and then never found by a birthdate search (the
// same value in a search is a 400 "invalid date"); a Condition recorded on
// "2025-06-31" is missing from recorded-date=2025-06 and sorts as undated;
// every consumer of $everything receives resources that do not parse.
func TestReview5cInvalidPrimitiveValuesAreRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for name, body := range map[string]string{
		"birthDate month 13":               `{"resourceType":"Patient","birthDate":"2026-13-01"}`,
		"birthDate 30 February":            `{"resourceType":"Patient","birthDate":"1950-02-30"}`,
		"deceasedDateTime free text":       `{"resourceType":"Patient","deceasedDateTime":"yesterday"}`,
		"recordedDate 31 June":             `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"x"},"recordedDate":"2025-06-31"}`,
		"dateTime hour 25":                 `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"},"effectiveDateTime":"2025-06-30T25:00:00Z"}`,
		"dateTime with time, no time zone": `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"},"effectiveDateTime":"2025-06-30T10:00:00"}`,
		"instant without a time":           `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/jane"},"issued":"2025-01-01"}`,
		"positiveInt rank -3":              `{"resourceType":"Patient","telecom":[{"system":"phone","value":"01632960001","rank":-3}]}`,
		"unsignedInt size -5":              `{"resourceType":"Patient","photo":[{"contentType":"image/png","size":-5}]}`,
		"base64Binary that is not base64":  `{"resourceType":"Patient","photo":[{"contentType":"image/png","data":"!!!not base64"}]}`,
	} {
		path := "/fhir/" + body[len(`{"resourceType":"`):strings.Index(body, `",`)]
		if r := e.do("POST", path, gp, body); r.status != 422 {
			t.Errorf("%s: %d %.160s; want 422 naming the element", name, r.status, r.body)
		}
	}
}
