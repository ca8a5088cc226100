package api_test

// Review 68a: a re-read of commit 21ea2cd (reviews 67a, 67b), for
// regressions: the typed walk of a restricted person's items
// (fhir.EachPlaceElement, redactTypedPlaces), a Location of hers typed
// Home (patientResidence), the alert for a Patient version labelled R
// after the restriction was lifted, and the JSON re-reading of repeated
// keys (jsonDocsBoth).
//
// Probes only. The restricted person is Patient/r68 (GP A81001, labelled
// R), with care teams of the community trust RCX (district nurse) and the
// hospital RHX (hospital clinician, whose role sees every class); the
// unrestricted person is Patient/u68 (same GP, same teams). Each probe
// says what 9545d16 (the parent) did with the same input.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

const (
	r68Addr  = "R68-REFUGE 9 Quiet Close"
	r68Post  = "LS8 2QQ"
	r68Phone = "01134960868"
	r68Label = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`
)

func r68Leaks(body string) bool {
	return strings.Contains(body, "R68-REFUGE") || strings.Contains(body, "Quiet Close") || strings.Contains(body, r68Phone) ||
		strings.Contains(body, r68Post)
}

// r68LeaksDeep is r68Leaks of body and of any base64 attachment data in it.
func r68LeaksDeep(body string) bool {
	if r68Leaks(body) {
		return true
	}
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return false
	}
	found := false
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "data" {
					if b, err := base64.StdEncoding.DecodeString(s); err == nil && r68Leaks(string(b)) {
						found = true
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return found
}

func r68Patient(id, nhs, label string) string {
	if label != "" {
		label += ","
	}
	return `{"resourceType":"Patient","id":"` + id + `",` + label + `
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Moss","given":["Edith"]}],
		 "birthDate":"1948-04-05",
		 "address":[{"line":["` + r68Addr + `"],"city":"Leeds","postalCode":"` + r68Post + `"}],"telecom":[{"system":"phone","value":"` + r68Phone + `"}],
		 "generalPractitioner":[{"reference":"Organization/A81001"}]}`
}

func seed68a(t *testing.T, e *env) {
	t.Helper()
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}]}`},
		[2]string{"/fhir/Patient/r68", r68Patient("r68", "9990000182", r68Label)},
		[2]string{"/fhir/Patient/u68", strings.ReplaceAll(r68Patient("u68", "9990000190", ""), "Moss", "Unrestricted")},
	)
	for _, org := range []string{"RCX", "RHX"} {
		for _, p := range []string{"r68", "u68"} {
			e.putAll(t, e.token("system", "nhs", org),
				[2]string{"/fhir/CareTeam/" + p + "-" + org, `{"resourceType":"CareTeam","id":"` + p + "-" + org + `","status":"active","subject":{"reference":"Patient/` + p + `"},"participant":[{"member":{"reference":"Organization/` + org + `"}}]}`})
		}
	}
}

func hosp68a(e *env, sub string) string {
	return e.token("hospital-clinician", "nhs", "RHX", func(c *auth.DevClaims) { c.Sub = sub })
}

func nurse68a(e *env, sub string) string {
	return e.token("district-nurse", "nhs", "RCX", func(c *auth.DevClaims) { c.Sub = sub })
}

func around68a(body string) string {
	for _, s := range []string{"R68-REFUGE", r68Phone, r68Post} {
		if i := strings.Index(body, s); i >= 0 {
			return body[max(0, i-250):min(len(body), i+100)]
		}
	}
	return body[:min(len(body), 400)]
}

// TestReview68aHomePhysicalTypeOtherSystemForms: 21ea2cd labels R a
// Location of physical type `ho` (house) only under R4's system URI
// exactly. The same code under STU3's system
// (http://hl7.org/fhir/location-physical-type), or with no system, is not
// read, though patientResidence reads PTRES under STU3's name and with no
// system (review 23a) and the README's rule says "a patient's residence
// … under HL7's v3 RoleCode by any of its names, or with no system". Her
// home visit Encounter, with its Location included, gives the hospital
// clinician her refuge address. SPEC §5: "A patient whose demographics
// are marked restricted … never has address … released outside the
// source organisation". Severity: leak of personal data (where she
// lives). The same for SNOMED CT 264362003 |Home| given as the physical
// type (the rule reads it as a type only). Same on 9545d16 (which read no
// physical type at all): a gap in the new rule, not a regression. The R4
// form is checked as the premise.
func TestReview68aHomePhysicalTypeOtherSystemForms(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	for i, coding := range []string{
		`{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"ho","display":"House"}`, // premise: read
		`{"system":"http://hl7.org/fhir/location-physical-type","code":"ho","display":"House"}`,                   // STU3's name
		`{"code":"ho","display":"House"}`,                                         // none
		`{"system":"http://snomed.info/sct","code":"264362003","display":"Home"}`, // SNOMED CT Home as the physical type
	} {
		id := fmt.Sprintf("r68-home-%d", i)
		e.putAll(t, e.token("system", "nhs", "RCX"),
			[2]string{"/fhir/Location/" + id, `{"resourceType":"Location","id":"` + id + `","name":"Home visit address",
				"physicalType":{"coding":[` + coding + `]},
				"address":{"line":["` + r68Addr + `"],"postalCode":"` + r68Post + `"}}`},
			[2]string{"/fhir/Encounter/" + id + "-visit", `{"resourceType":"Encounter","id":"` + id + `-visit","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},
				"subject":{"reference":"Patient/r68"},"serviceType":{"text":"R68-HOME-VISIT-` + fmt.Sprint(i) + `"},"location":[{"location":{"reference":"Location/` + id + `"}}]}`})
		r := e.do("GET", "/fhir/Encounter?_id="+id+"-visit&_include=Encounter:location", hosp68a(e, "h68-pt-"+fmt.Sprint(i)), "")
		if r.status != 200 || !strings.Contains(r.body, "R68-HOME-VISIT-"+fmt.Sprint(i)) {
			t.Fatalf("premise: %d %.400s", r.status, r.body)
		}
		if r68Leaks(r.body) {
			if i == 0 {
				t.Fatalf("premise: even R4's form of physical type ho is released: %s", around68a(r.body))
			}
			t.Errorf("physical type %s: her home visit's Location gives RHX her address: …%s…", coding, around68a(r.body))
		}
	}
}

// TestReview68aCareHomeHouseWithheld: the council's Location for a small
// residential care home — typed a nursing or custodial care facility
// (v3 RoleCode NCCF), in a house (physical type ho) — is a public place,
// no one's private home. 21ea2cd labels any Location of physical type ho
// R on write, so it goes to the council alone: the district nurse who
// visits residents there gets 404 for it (and the home's name and
// address are masked from every Encounter naming it). README: a Location
// is labelled R as "a patient's home … a patient's residence"; a care
// home typed as a facility is not one. SPEC §5 withholds only what the
// policy and consent withhold. Severity: over-withholding. 9545d16
// released it (200): a regression.
func TestReview68aCareHomeHouseWithheld(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Location/elm68", `{"resourceType":"Location","id":"elm68","status":"active","name":"ELM68 House residential care home",
			"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"NCCF","display":"Nursing or custodial care facility"}]}],
			"physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"ho","display":"House"}]},
			"address":{"line":["12 Elm Road"],"city":"Leeds","postalCode":"LS6 1EL"},"telecom":[{"system":"phone","value":"01134961212"}]}`})
	r := e.do("GET", "/fhir/Location/elm68", nurse68a(e, "n68-elm"), "")
	if r.status != 200 || !strings.Contains(r.body, "ELM68") {
		t.Errorf("a care home (type NCCF) in a house is withheld from the district nurse as if a patient's residence: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Location?name=ELM68", nurse68a(e, "n68-elm2"), ""); !strings.Contains(r.body, "ELM68") {
		t.Errorf("Location?name=ELM68 finds no care home: %d %.300s", r.status, r.body)
	}
}

// TestReview68aXMLDeviceContactInAttachment: the telecare service's
// referral letter for her, a DocumentReference carrying FHIR XML — her
// alarm Device, whose `contact` is her phone. 21ea2cd takes a Device's
// contact out of her items when it is JSON (her own Device, a contained
// or attached JSON one: see the Sound probe below), but XML is not read:
// it is masked only when its text names a person or a place ("patient",
// "person", "addr", "telecom", "location", PID), and a Device's <contact>
// names none. So the hospital clinician gets her phone in the attachment.
// SPEC §5 "never has … telephone … released outside the source
// organisation"; README rule 7: "every element R4 types Address or
// ContactPoint whatever its name". Severity: leak of personal data (a
// refuge resident's phone). Same on 9545d16 (not a regression: the walk
// the fix added is JSON's only).
func TestReview68aXMLDeviceContactInAttachment(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	xml := `<Device xmlns="http://hl7.org/fhir"><status value="active"/><deviceName><name value="Pendant alarm"/><type value="user-friendly-name"/></deviceName>` +
		`<contact><system value="phone"/><value value="` + r68Phone + `"/><use value="home"/></contact></Device>`
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/DocumentReference/r68-xml", `{"resourceType":"DocumentReference","id":"r68-xml","status":"current","subject":{"reference":"Patient/r68"},
			"type":{"text":"R68-TELECARE-REFERRAL"},"content":[{"attachment":{"contentType":"application/fhir+xml","data":"` + base64.StdEncoding.EncodeToString([]byte(xml)) + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/r68-xml", hosp68a(e, "h68-xml"), "")
	if r.status != 200 || !strings.Contains(r.body, "R68-TELECARE-REFERRAL") {
		t.Fatalf("premise: %d %.400s", r.status, r.body)
	}
	if r68LeaksDeep(r.body) {
		t.Errorf("her telecare referral's attached XML Device gives RHX her phone in its contact: %.400s", r.body)
	}
}

// TestReview68aSoundTypedWalkRoutes: the walk reaches a restricted
// person's Address or ContactPoint on the routes 21ea2cd's brief names:
// her own Device's contact and a Claim's item.locationAddress; an
// extension's valueAddress and valueContactPoint; a Task input's
// valueAddress and valueContactDetail; a contained Device; a JSON Device
// attached to a letter — and none of them for the hospital clinician;
// the council (source) reads each whole. (On 9545d16 the Device's contact
// and the Claim's locationAddress went out: review 67b.)
func TestReview68aSoundTypedWalkRoutes(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	dev := `{"resourceType":"Device","id":"dv","status":"active","deviceName":[{"name":"alarm","type":"user-friendly-name"}],"contact":[{"system":"phone","value":"` + r68Phone + `"}]}`
	addr := `{"line":["` + r68Addr + `"],"postalCode":"` + r68Post + `"}`
	ext := `"extension":[{"url":"https://example.org/visit-address","valueAddress":` + addr + `},{"url":"https://example.org/visit-phone","valueContactPoint":{"system":"phone","value":"` + r68Phone + `"}}]`
	items := [][2]string{
		{"/fhir/Device/r68-dev", `{"resourceType":"Device","id":"r68-dev","status":"active","patient":{"reference":"Patient/r68"},"deviceName":[{"name":"R68-ITEM","type":"user-friendly-name"}],"contact":[{"system":"phone","value":"` + r68Phone + `"}]}`},
		{"/fhir/Claim/r68-claim", `{"resourceType":"Claim","id":"r68-claim","status":"active","type":{"text":"R68-ITEM"},"use":"claim","patient":{"reference":"Patient/r68"},"created":"2026-01-05","provider":{"reference":"Organization/E06000999"},
			"priority":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/processpriority","code":"normal"}]},"insurance":[{"sequence":1,"focal":true,"coverage":{"display":"council"}}],
			"item":[{"sequence":1,"productOrService":{"text":"home care"},"locationAddress":` + addr + `}]}`},
		{"/fhir/Encounter/r68-ext", `{"resourceType":"Encounter","id":"r68-ext","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HH"},"subject":{"reference":"Patient/r68"},"serviceType":{"text":"R68-ITEM"},` + ext + `}`},
		{"/fhir/Task/r68-task", `{"resourceType":"Task","id":"r68-task","status":"requested","intent":"order","for":{"reference":"Patient/r68"},"description":"R68-ITEM",
			"input":[{"type":{"text":"visit address"},"valueAddress":` + addr + `},{"type":{"text":"contact"},"valueContactDetail":{"name":"her","telecom":[{"system":"phone","value":"` + r68Phone + `"}]}}]}`},
		{"/fhir/DeviceRequest/r68-dr", `{"resourceType":"DeviceRequest","id":"r68-dr","status":"active","intent":"order","subject":{"reference":"Patient/r68"},"note":[{"text":"R68-ITEM"}],"contained":[` + dev + `],"codeReference":{"reference":"#dv"}}`},
		{"/fhir/DocumentReference/r68-json", `{"resourceType":"DocumentReference","id":"r68-json","status":"current","subject":{"reference":"Patient/r68"},"type":{"text":"R68-ITEM"},
			"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(dev)) + `"}}]}`},
	}
	e.putAll(t, e.token("system", "council", "E06000999"), items...)
	for i, it := range items {
		r := e.do("GET", it[0], hosp68a(e, fmt.Sprintf("h68-route-%d", i)), "")
		if r.status != 200 || !strings.Contains(r.body, "R68-ITEM") {
			t.Errorf("GET %s: %d %.300s", it[0], r.status, r.body)
			continue
		}
		if r68LeaksDeep(r.body) {
			t.Errorf("GET %s releases her address or phone to RHX: …%s…", it[0], around68a(r.body))
		}
		if s := e.do("GET", it[0], e.token("social-worker", "council", "E06000999"), ""); !r68LeaksDeep(s.body) {
			t.Errorf("GET %s by its source: her address or phone taken out: %d %.300s", it[0], s.status, s.body)
		}
	}
}

// TestReview68aSoundNoOverRedaction: the walk leaves an unrestricted
// person's Device contact and Claim accident address, and the care team's
// own telecom of an unrestricted person, whole; and it does not panic on
// odd shapes (a contact that is a string, an accident that is a list, an
// item list holding scalars) inside a restricted person's attached JSON.
func TestReview68aSoundNoOverRedaction(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/Device/u68-dev", `{"resourceType":"Device","id":"u68-dev","status":"active","patient":{"reference":"Patient/u68"},"deviceName":[{"name":"U68","type":"user-friendly-name"}],"contact":[{"system":"phone","value":"` + r68Phone + `"}]}`},
		[2]string{"/fhir/Claim/u68-claim", `{"resourceType":"Claim","id":"u68-claim","status":"active","type":{"text":"U68"},"use":"claim","patient":{"reference":"Patient/u68"},"created":"2026-01-05","provider":{"reference":"Organization/E06000999"},
			"priority":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/processpriority","code":"normal"}]},"insurance":[{"sequence":1,"focal":true,"coverage":{"display":"council"}}],
			"accident":{"date":"2026-01-01","locationAddress":{"line":["` + r68Addr + `"]}}}`})
	for _, p := range []string{"/fhir/Device/u68-dev", "/fhir/Claim/u68-claim"} {
		if r := e.do("GET", p, hosp68a(e, "h68-u"), ""); r.status != 200 || !r68Leaks(r.body) {
			t.Errorf("GET %s (an unrestricted person's) lost its address or contact: %d %.300s", p, r.status, r.body)
		}
	}
	odd := `[{"resourceType":"Device","contact":"x","owner":{"display":"y"}},{"resourceType":"Claim","accident":[],"item":[1,null,"x",{"locationAddress":"z"}]},` +
		`{"resourceType":"Claim","accident":"s","item":{"locationAddress":{"line":["` + r68Addr + `"]}}},{"resourceType":"Organization","contact":[[],{"address":[]}]}]`
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/DocumentReference/r68-odd", `{"resourceType":"DocumentReference","id":"r68-odd","status":"current","subject":{"reference":"Patient/r68"},"type":{"text":"R68-ODD"},
			"content":[{"attachment":{"contentType":"application/json","data":"` + base64.StdEncoding.EncodeToString([]byte(odd)) + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/r68-odd", hosp68a(e, "h68-odd"), "")
	if r.status != 200 || !strings.Contains(r.body, "R68-ODD") || r68LeaksDeep(r.body) {
		t.Errorf("odd shapes in her attached JSON: %d %.400s", r.status, r.body)
	}
}

// restrictedAlertCount68a counts the restricted-patient alerts about
// patient raised for sub.
func restrictedAlertCount68a(t *testing.T, e *env, patient, sub string) int {
	t.Helper()
	r := e.do("GET", "/fhir/AuditEvent/$alerts", e.token("ig-officer", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = "ig-68a" }), "")
	var rep struct {
		Alerts []struct{ Sub, Patient, Code string } `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 {
		t.Fatalf("alerts: %d %v %.300s", r.status, err, r.body)
	}
	n := 0
	for _, a := range rep.Alerts {
		if a.Patient == patient && a.Code == "restricted-patient" && a.Sub == sub {
			n++
		}
	}
	return n
}

// TestReview68aSoundLiftedAlertOnlyForRVersions: after her restriction is
// lifted (v1, v2 labelled R; v3 not), a read of her current record or a
// search that returns v3 alone raises no restricted-patient alert; a read
// of her history (two R versions) raises one alert, and its log entry
// names the reason once.
func TestReview68aSoundLiftedAlertOnlyForRVersions(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Patient/r68", strings.Replace(r68Patient("r68", "9990000182", r68Label), "Edith", "Edie", 1)})
	e.putAll(t, gp, [2]string{"/fhir/Patient/r68", strings.NewReplacer(r68Addr, "R68-NEWHOME 3 Open Way", r68Post, "LS1 1AB", r68Phone, "01134960000").Replace(r68Patient("r68", "9990000182", ""))})
	for i, p := range []string{"/fhir/Patient/r68", "/fhir/Patient?identifier=9990000182", "/fhir/Patient/r68/_history/3"} {
		sub := fmt.Sprintf("n68-cur-%d", i)
		if r := e.do("GET", p, nurse68a(e, sub), ""); r.status != 200 || !strings.Contains(r.body, "R68-NEWHOME") {
			t.Errorf("GET %s: %d %.300s", p, r.status, r.body)
		}
		if n := restrictedAlertCount68a(t, e, "r68", sub); n != 0 {
			t.Errorf("GET %s (her current, unrestricted, version only): %d restricted-patient alerts", p, n)
		}
	}
	r := e.do("GET", "/fhir/Patient/r68/_history", nurse68a(e, "n68-hist"), "")
	if r.status != 200 || r68Leaks(r.body) {
		t.Errorf("history: %d %s", r.status, around68a(r.body))
	}
	if n := restrictedAlertCount68a(t, e, "r68", "n68-hist"); n != 1 {
		t.Errorf("history with two R versions: %d restricted-patient alerts, want 1", n)
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if x.Principal != nil && x.Principal.Sub == "n68-hist" {
			n := 0
			for _, c := range x.Reasons {
				if c == "restricted-patient" {
					n++
				}
			}
			if n > 1 {
				t.Errorf("history's log entry names restricted-patient %d times: %v", n, x.Reasons)
			}
		}
	}
}

// TestReview68aSoundCostLargeBundleRestricted: her GP's system stores a
// collection Bundle of 3,000 entries (each a Device of hers with a
// contact) — the typed walk runs per entry on each read by the hospital
// clinician. Measured against 9545d16 (which walked no types): logs the
// time; fails only past 5 s.
func TestReview68aSoundCostLargeBundleRestricted(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.MaxBody = 8 << 20 })
	seed68a(t, e)
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","id":"r68-big","type":"collection","entry":[`)
	for i := 0; i < 3000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Device","status":"active","patient":{"reference":"Patient/r68"},"deviceName":[{"name":"d%d","type":"user-friendly-name"}],"contact":[{"system":"phone","value":"%s"}],"note":[{"text":"%s"}]}}`, i, i, r68Phone, strings.Repeat("n", 200))
	}
	b.WriteString(`]}`)
	t0 := time.Now()
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Bundle/r68-big", b.String()})
	w := time.Since(t0)
	t0 = time.Now()
	r := e.do("GET", "/fhir/Bundle/r68-big", hosp68a(e, "h68-big"), "")
	d := time.Since(t0)
	t.Logf("write %v, read %v (%d bytes, status %d, leaks %v)", w, d, len(b.String()), r.status, r68Leaks(r.body))
	if r.status == 200 && r68Leaks(r.body) {
		t.Errorf("the Bundle's Devices give her phone to RHX")
	}
	if d > 5*time.Second {
		t.Errorf("reading her 3,000-entry Bundle took %v", d)
	}
}

// TestReview68aSoundCostRepeatedKeyDocs: a letter whose attachment is 4,000
// FHIR JSON documents one after another on one line, each repeating a
// key ("code" twice): jsonDocsBoth now reads each document a second time
// (9545d16 read the whole data, then each line, once, and a one-line
// stream of documents not at all). Logs the write time; fails only past
// 10 s.
func TestReview68aSoundCostRepeatedKeyDocs(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.MaxBody = 8 << 20 })
	seed68a(t, e)
	for _, sep := range []string{" ", "\n"} {
		var b strings.Builder
		for i := 0; i < 4000; i++ {
			fmt.Fprintf(&b, `{"resourceType":"Observation","status":"final","code":{"text":"bp %d"},"code":{"text":"pulse"},"valueString":"%s"}%s`, i, strings.Repeat("v", 100), sep)
		}
		doc := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/u68"},"type":{"text":"U68-LETTER"},
			"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(b.String())) + `"}}]}`
		t0 := time.Now()
		r := e.do("POST", "/fhir/DocumentReference", e.token("system", "nhs", "A81001"), doc)
		w := time.Since(t0)
		t.Logf("sep %q: write %v (%d bytes of attachment, status %d)", sep, w, b.Len(), r.status)
		if w > 10*time.Second {
			t.Errorf("sep %q: writing a letter of 4,000 repeated-key documents took %v", sep, w)
		}
	}
}

// TestReview68aSoundLatin1RepeatedKeyAttachment: Jane's GP system
// attaches a legacy export to a letter: FHIR JSON of her HIV Condition,
// pretty-printed or on one line, whose "code" key is repeated (the HIV
// coding first, "chest infection" second), with a note in Latin-1 ("café"
// written as the byte 0xE9, which fhir.DecodeKeepingFirst alone would
// refuse). Each is withheld from the hospital clinician, as the UTF-8
// letter is.
func TestReview68aSoundLatin1RepeatedKeyAttachment(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	cond := func(note string) string {
		return "{\n  \"resourceType\": \"Condition\",\n  \"subject\": {\"reference\": \"Patient/jane\"},\n  \"note\": [{\"text\": \"seen at the " + note + "\"}],\n" +
			"  \"code\": {\"coding\": [{\"system\": \"http://snomed.info/sct\", \"code\": \"86406008\"}]},\n  \"code\": {\"text\": \"chest infection\"}\n}\n"
	}
	for i, c := range []struct {
		data string
		ct   string
	}{
		{cond("caf\u00e9"), "application/fhir+json"},                        // control: UTF-8
		{cond("caf\xe9"), "application/fhir+json"},                          // Latin-1 byte, pretty-printed
		{strings.ReplaceAll(cond("caf\xe9"), "\n", ""), "application/json"}, // Latin-1 byte, one line
	} {
		id := fmt.Sprintf("r68-latin-%d", i)
		doc := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R68-LETTER"},
			"content":[{"attachment":{"contentType":"` + c.ct + `","data":"` + base64.StdEncoding.EncodeToString([]byte(c.data)) + `"}}]}`
		e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, doc})
		r := e.do("GET", "/fhir/DocumentReference/"+id, hosp, "")
		if i == 0 {
			if r.status != 404 {
				t.Fatalf("premise: the UTF-8 letter is released to RHX: %d", r.status)
			}
			continue
		}
		if r.status != 404 {
			t.Errorf("%s: a letter whose attached Condition codes HIV in its first \"code\" (a Latin-1 byte in a note) goes to RHX: %d", id, r.status)
		}
	}
}

// TestReview68aCareTeamOwnTelecomRemoved: the community trust's CareTeam
// for her gives the team's own single point of access (a ContactPoint,
// CareTeam.telecom) — the number the hospital rings at discharge, not
// hers. 21ea2cd's typed walk takes every Address or ContactPoint out of
// her items "the item's own too", so the hospital clinician gets the care
// team without its phone and without its narrative — but only when the
// stored body happens to pass mayCarryPlaces (a "display" or
// "identifier" anywhere in it): the same team written without a display
// keeps its phone, which shows the gate (it skips "telecom" and
// "address" at the top of a one-resource body) never meant the item's own
// telecom. SPEC §5 keeps back "address, telephone or GP" of the person;
// §1: the district nurse needs "key contacts". Severity:
// over-withholding (the team's phone, and its narrative). 9545d16
// released both teams' telecom: a regression.
func TestReview68aCareTeamOwnTelecomRemoved(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	team := func(id, display string) string {
		return `{"resourceType":"CareTeam","id":"` + id + `","status":"active","name":"R68-TEAM","subject":{"reference":"Patient/r68"},
			"participant":[{"member":{"reference":"Organization/RCX"` + display + `}}],
			"telecom":[{"system":"phone","value":"01134967777","use":"work"}],
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Community nursing team R68-NARRATIVE</div>"}}`
	}
	e.putAll(t, e.token("system", "nhs", "RCX"),
		[2]string{"/fhir/CareTeam/r68-team-a", team("r68-team-a", `,"display":"Leeds Community District Nursing"`)},
		[2]string{"/fhir/CareTeam/r68-team-b", team("r68-team-b", ``)})
	got := map[string]bool{}
	for _, id := range []string{"r68-team-a", "r68-team-b"} {
		r := e.do("GET", "/fhir/CareTeam/"+id, hosp68a(e, "h68-team-"+id), "")
		if r.status != 200 || !strings.Contains(r.body, "R68-TEAM") {
			t.Fatalf("premise %s: %d %.300s", id, r.status, r.body)
		}
		got[id] = strings.Contains(r.body, "01134967777")
		if !got[id] {
			t.Errorf("CareTeam/%s: the team's own phone is taken out for RHX (narrative kept: %v): %.400s", id, strings.Contains(r.body, "R68-NARRATIVE"), r.body)
		}
	}
	if got["r68-team-a"] != got["r68-team-b"] {
		t.Errorf("two teams differing only by a participant's display: telecom released %v / %v", got["r68-team-a"], got["r68-team-b"])
	}
}

// TestReview68aSourceReadsLiftedRVersionNoAlert: after her restriction is
// lifted, her GP practice (the source) reads her v1, labelled R, whole —
// refuge address and all (ownData). While she was restricted every read
// by the practice raised the restricted-patient alert (noteRestricted);
// 21ea2cd raises it for a version labelled R read after the lift, but
// only on the redacting path (decideItem's FlagRedact), which the source
// never takes. So the one reader who gets the refuge address itself is
// the one not flagged. SPEC §5: "every access to them raises an IG
// alert". Severity: a lost IG alert (no data leaves the source). 9545d16
// raised none for anyone; the new rule covers outsiders only.
func TestReview68aSourceReadsLiftedRVersionNoAlert(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	gpUser := func(sub string) string {
		return e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Sub = sub })
	}
	if e.do("GET", "/fhir/Patient/r68", gpUser("gp68-before"), ""); restrictedAlertCount68a(t, e, "r68", "gp68-before") == 0 {
		t.Fatalf("premise: the practice's read while restricted raised no alert")
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r68",
		strings.NewReplacer(r68Addr, "R68-NEWHOME 3 Open Way", r68Post, "LS1 1AB", r68Phone, "01134960000").Replace(r68Patient("r68", "9990000182", ""))})
	if r := e.do("GET", "/fhir/Patient/r68/_history/1", nurse68a(e, "n68-v1"), ""); r.status != 200 || restrictedAlertCount68a(t, e, "r68", "n68-v1") == 0 {
		t.Fatalf("premise: the nurse's read of v1 (redacted) raised no alert: %d", r.status)
	}
	r := e.do("GET", "/fhir/Patient/r68/_history/1", gpUser("gp68-v1"), "")
	if r.status != 200 || !r68Leaks(r.body) {
		t.Fatalf("premise: the practice reads v1 whole: %d %.300s", r.status, r.body)
	}
	if restrictedAlertCount68a(t, e, "r68", "gp68-v1") == 0 {
		t.Errorf("her practice read her restricted v1 (refuge address, whole) after the lift: no restricted-patient alert")
	}
}

// TestReview68aSoundCostReadAttachedNDJSON: Jane's GP attaches a bulk export
// (NDJSON, 3 MiB, no key repeated) to a letter; each read by the hospital
// clinician (outside the source) asks readWhole whether the attachment
// repeats a key (attachedFirstKept), which is now jsonDocsBoth: the whole
// export decoded by encoding/json and each document again by
// DecodeKeepingFirst (9545d16: DecodeKeepingFirst of the whole, which
// stops at the second value, then of each line). Logs the time of 5
// reads, to compare with 9545d16; fails only past 10 s.
func TestReview68aSoundCostReadAttachedNDJSON(t *testing.T) {
	if raceSlowdown > 1 {
		t.Skip("a cost probe: run without -race")
	}
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 16 << 20 })
	seedShared(t, e)
	for _, broken := range []bool{false, true} {
		var b strings.Builder
		if broken {
			b.WriteString("{\"broken\":\n")
		}
		for i := 0; b.Len() < 3<<20; i++ {
			fmt.Fprintf(&b, `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"bp %d"},"valueQuantity":{"value":%d,"unit":"mmHg"},"note":[{"text":"%s"}]}`+"\n", i, i%200, strings.Repeat("n", 80))
		}
		id := fmt.Sprintf("r68-ndjson-%v", broken)
		doc := `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"type":{"text":"R68-EXPORT"},
			"content":[{"attachment":{"contentType":"application/fhir+ndjson","data":"` + base64.StdEncoding.EncodeToString([]byte(b.String())) + `"}}]}`
		t0 := time.Now()
		r := e.do("PUT", "/fhir/DocumentReference/"+id, e.token("system", "nhs", "A81001"), doc)
		w := time.Since(t0)
		hosp := e.token("hospital-clinician", "nhs", "RHX")
		t0 = time.Now()
		var st int
		for i := 0; i < 5; i++ {
			st = e.do("GET", "/fhir/DocumentReference/"+id, hosp, "").status
		}
		d := time.Since(t0)
		t.Logf("broken %v: write %d in %v; 5 reads (status %d) in %v", broken, r.status, w, st, d)
		if d > 10*time.Second {
			t.Errorf("5 reads of a 3 MiB export took %v", d)
		}
	}
}

// TestReview68aXHTMLNoteCommentDashesFalseHIVLabel: review 65a's
// over-withholding again, through 21ea2cd's fail-closed read. A blood
// pressure reading (Jane's GP) carries in a valueString extension an XHTML
// note that links FHIR's site and holds a device serial 86406008 (an HIV
// refset code as a bare number), after a generator's comment holding
// "--" ("<!-- exported -- do not edit -->"); and a device's settings as
// XML 1.1 with an f: prefix bound to FHIR's namespace. encoding/xml
// refuses both before the root; 21ea2cd then reads the string as FHIR
// XML because it contains "http://hl7.org/fhir" anywhere, and the reading
// is labelled HIV, withheld from the hospital clinician. 65a's fix (the
// same strings without the comment or the 1.1 declaration) releases them
// — checked here as the premise. README: a string is read as "FHIR XML
// whose root element is in FHIR's namespace"; an XHTML root is not (the
// README's "(fail closed) when it names FHIR's namespace at all" is what
// makes a link to the FHIR site count). Severity: over-withholding (a
// reading withheld as HIV). 9545d16 released both (200): a regression.
func TestReview68aXHTMLNoteCommentDashesFalseHIVLabel(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	cases := []string{
		`<div xmlns="http://www.w3.org/1999/xhtml"><p>Export per http://hl7.org/fhir/R4/observation.html, device serial 86406008</p></div>`, // premise: released
		`<settings xmlns:f="http://hl7.org/fhir"><pollIntervalMs>86406008</pollIntervalMs></settings>`,                                      // premise: released
		`<!-- exported -- do not edit --><div xmlns="http://www.w3.org/1999/xhtml"><p>Export per http://hl7.org/fhir/R4/observation.html, device serial 86406008</p></div>`,
		`<?xml version="1.1"?><settings xmlns:f="http://hl7.org/fhir"><pollIntervalMs>86406008</pollIntervalMs></settings>`,
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for i, s := range cases {
		id := fmt.Sprintf("r68-xnote-%d", i)
		e.putAll(t, gpSys, [2]string{"/fhir/Observation/" + id, `{"resourceType":"Observation","id":"` + id + `","status":"final","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"R68-BP"},"effectiveDateTime":"2026-01-05",` +
			`"extension":[{"url":"https://device.example/config","valueString":` + r64aQuote(s) + `}]}`})
		r := e.do("GET", "/fhir/Observation/"+id, hosp, "")
		if i < 2 {
			if r.status != 200 {
				t.Fatalf("premise: %s is withheld already without a comment or 1.1: %d", id, r.status)
			}
			continue
		}
		if r.status != 200 {
			t.Errorf("%s: a reading whose XML note (%.40q…) mentions FHIR's site and holds 86406008 is withheld from RHX as HIV: %d", id, s, r.status)
		}
	}
}

// TestReview68aLiftedAlertForUnreleasedVersion: after her restriction is
// lifted (v1 labelled R, v2 not), the district nurse asks her history for
// its first page of one entry (v2, the newest), the Patient type's
// history likewise, or her history since v2 was written: no part of v1 is
// released. 21ea2cd's alert ("a read of a Patient version labelled R")
// fires anyway on the paged reads: v1 is decided for Bundle.total, and
// decideItem notes the alert for each version it decides, on the page or
// not. SPEC §5: "every access to them raises an IG alert" — the nurse saw
// only the unrestricted v2 (and a total of 2). Severity: a wrong log entry
// (a false restricted-patient alert in the IG officer's list). 9545d16
// raised none (for these nor for reading v1 itself).
func TestReview68aLiftedAlertForUnreleasedVersion(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	time.Sleep(20 * time.Millisecond)
	since := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	time.Sleep(20 * time.Millisecond)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Patient/r68",
		strings.NewReplacer(r68Addr, "R68-NEWHOME 3 Open Way", r68Post, "LS1 1AB", r68Phone, "01134960000").Replace(r68Patient("r68", "9990000182", ""))})
	for i, p := range []string{"/fhir/Patient/r68/_history?_count=1", "/fhir/Patient/_history?_count=1", "/fhir/Patient/r68/_history?_since=" + since} {
		sub := fmt.Sprintf("n68-page-%d", i)
		r := e.do("GET", p, nurse68a(e, sub), "")
		if r.status != 200 || !strings.Contains(r.body, "R68-NEWHOME") || strings.Contains(r.body, `"versionId":"1"`) {
			t.Errorf("premise: GET %s gives v2 alone: %d %.300s", p, r.status, r.body)
			continue
		}
		if n := restrictedAlertCount68a(t, e, "r68", sub); n > 0 {
			t.Errorf("GET %s releases v2 alone, nothing of her R version v1, but raises %d restricted-patient alert(s)", p, n)
		}
	}
}
