package api_test

import (
	"encoding/base64"
	"testing"
)

// A lab Observation carried as FHIR JSON in an Attachment anywhere inside a
// class the social worker sees (a Task's input/output, a CarePlan's or
// Encounter's extension, a contained Binary or DocumentReference, a stored
// Bundle tagged care-plans) brings the observations class with it (README:
// "FHIR JSON in an attachment or a Binary — bring their classes with them").
func TestReview56cSoundLabJSONInAttachmentsOfSeenClasses(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hosp := e.token("system", "nhs", "RHX")
	lab := `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"ATT-LAB-RESULT"},"subject":{"reference":"Patient/jane"}}`
	b := base64.StdEncoding.EncodeToString([]byte(lab))
	nd := base64.StdEncoding.EncodeToString([]byte(lab + "\n"))
	e.putAll(t, gpSys,
		[2]string{"/fhir/Task/t-in", `{"resourceType":"Task","id":"t-in","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
		 "input":[{"type":{"text":"results"},"valueAttachment":{"contentType":"application/fhir+json","data":"` + b + `"}}]}`},
		[2]string{"/fhir/Task/t-out", `{"resourceType":"Task","id":"t-out","status":"completed","intent":"order","for":{"reference":"Patient/jane"},
		 "output":[{"type":{"text":"results"},"valueAttachment":{"contentType":"application/fhir+ndjson","data":"` + nd + `"}}]}`},
		[2]string{"/fhir/CarePlan/cp-ext", `{"resourceType":"CarePlan","id":"cp-ext","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		 "extension":[{"url":"https://example.org/results","valueAttachment":{"data":"` + b + `"}}]}`},
		[2]string{"/fhir/CarePlan/cp-bin", `{"resourceType":"CarePlan","id":"cp-bin","status":"active","intent":"plan","subject":{"reference":"Patient/jane"},
		 "contained":[{"resourceType":"Binary","id":"b","contentType":"text/plain","data":"` + b + `"}],"supportingInfo":[{"reference":"#b"}]}`},
		[2]string{"/fhir/Goal/g-docref", `{"resourceType":"Goal","id":"g-docref","lifecycleStatus":"active","description":{"text":"goal"},"subject":{"reference":"Patient/jane"},
		 "contained":[{"resourceType":"DocumentReference","id":"d","status":"current","content":[{"attachment":{"contentType":"application/json","data":"` + b + `"}}]}],"addresses":[{"reference":"#d"}]}`},
		[2]string{"/fhir/Bundle/bun-cp", `{"resourceType":"Bundle","id":"bun-cp",` + classTag("care-plans") + `"type":"collection","entry":[{"fullUrl":"urn:uuid:22222222-2222-4222-8222-222222222222","resource":` + lab + `}]}`},
	)
	e.putAll(t, hosp,
		[2]string{"/fhir/Encounter/enc-ext", `{"resourceType":"Encounter","id":"enc-ext","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/jane"},
		 "hospitalization":{"extension":[{"url":"https://example.org/discharge-results","valueAttachment":{"contentType":"application/fhir+json","data":"` + b + `"}}]}}`},
	)
	sw := e.token("social-worker", "council", "E06000999")
	review56cReads(t, e, sw, "social worker", "ATT-LAB-RESULT",
		"/fhir/Task/t-in", "/fhir/Task/t-out", "/fhir/CarePlan/cp-ext", "/fhir/CarePlan/cp-bin", "/fhir/Goal/g-docref", "/fhir/Bundle/bun-cp", "/fhir/Encounter/enc-ext",
		"/fhir/Patient/jane/$everything", "/fhir/Task?patient=jane", "/fhir/CarePlan?patient=jane", "/fhir/Encounter?patient=jane")
	// base64 of the marker too
	review56cReads(t, e, sw, "social worker", b[:40],
		"/fhir/Task/t-in", "/fhir/CarePlan/cp-ext", "/fhir/CarePlan/cp-bin", "/fhir/Goal/g-docref", "/fhir/Encounter/enc-ext", "/fhir/Patient/jane/$everything")
	review56cReads(t, e, sw, "social worker", nd[:40], "/fhir/Task/t-out")
}
