package api_test

// Review 68b: what carex changes in what it releases, beyond what it
// withholds. Project rule: "Keep the original JSON of every stored
// resource losslessly; the typed models are for reading and validating,
// not a filter that silently drops fields." README (How data is kept):
// "Lossless. The JSON a client sends is stored as sent — key order,
// number literals, extensions, _element primitive extensions".
//
// Each probe writes one item rich in what a re-encoding may lose (decimal
// literals 1.50, 0.1250, 1e3, -0.0, 20-digit values; \u2028, <, &, emoji,
// a lone surrogate; _primitive ids and extensions; nulls in arrays of
// primitives beside their _element list), then reads it as a reader for
// whom carex rewrites the body (a reference masked, a restricted person's
// item redacted, a Consent's codes masked for an IG officer, an attachment
// written back) on every route, and compares each leaf value with the
// source organisation's own read (the body as stored). Key order and
// whitespace are not compared (cosmetic: nothing is lost).
//
// Probes only; no production code is changed.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// rich68 is the part of an item that a rewrite must keep: clinical
// values whose literal is significant (FHIR: a decimal's precision is
// significant), Unicode, primitive extensions and nulls in lists.
const rich68 = `"status":"final","_status":{"id":"st1","extension":[{"url":"http://example.org/fhir/StructureDefinition/x","valueString":"s"}]},
 "code":{"text":"Dose <check> & review \u2028 next\u2029 para 😀 \ud83d\ude01 \"q\" \\ tab\t end"},
 "valueQuantity":{"value":1.50,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"},
 "component":[
  {"code":{"text":"c1"},"valueQuantity":{"value":0.1250}},
  {"code":{"text":"c2"},"valueQuantity":{"value":1e3}},
  {"code":{"text":"c3"},"valueQuantity":{"value":-0.0}},
  {"code":{"text":"c4"},"valueQuantity":{"value":12345678901234567890.12}},
  {"code":{"text":"c5"},"valueQuantity":{"value":0.000000000000000000001}},
  {"code":{"text":"c6"},"valueInteger":2147483647},
  {"code":{"text":"c7"},"valueQuantity":{"value":1.0E+2}}
 ],
 "extension":[{"url":"http://example.org/fhir/StructureDefinition/dose","valueDecimal":3.14159265358979323846264338327950288}],
 "note":[{"text":"n","_text":{"id":"nt1"}}],
 "contained":[{"resourceType":"Practitioner","id":"pr1","name":[{"family":"Ng","given":["A",null,"C"],"_given":[null,{"id":"g2","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},null]}]}],
 "performer":[{"reference":"#pr1"}]`

// seed68 writes Patient/p68 (GP A81001; the hospital RHX has her on a care
// team) and her HIV-labelled diagnosis, which the hospital may not see.
func seed68(t *testing.T, e *env, restricted bool) {
	t.Helper()
	label := ""
	if restricted {
		label = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
	}
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Patient/p68", `{"resourceType":"Patient","id":"p68",` + label + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
			"name":[{"family":"Hart","given":["Ann"]}],"birthDate":"1950-03-04","address":[{"line":["P68-REFUGE 1 Hidden Lane"],"postalCode":"LS9 7TF"}],
			"generalPractitioner":[{"reference":"Organization/A81001"}]}`},
		[2]string{"/fhir/Condition/p68-hiv", `{"resourceType":"Condition","id":"p68-hiv","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},
			"subject":{"reference":"Patient/p68"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}],"text":"P68-HIV"}}`},
	)
	e.putAll(t, e.token("system", "nhs", "RHX"),
		[2]string{"/fhir/CareTeam/p68-hosp", `{"resourceType":"CareTeam","id":"p68-hosp","status":"active","subject":{"reference":"Patient/p68"},"participant":[{"member":{"reference":"Organization/RHX"}}]}`})
}

// leaves68 flattens a decoded JSON value into path → literal: numbers
// as written (json.Number), strings as decoded, null as null. Objects'
// keys are sorted (key order is not compared).
func leaves68(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[path] = "{}"
		}
		for k, e := range x {
			leaves68(e, path+"."+k, out)
		}
	case []any:
		if len(x) == 0 {
			out[path] = "[]"
		}
		for i, e := range x {
			leaves68(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case json.Number:
		out[path] = "num:" + string(x)
	case string:
		out[path] = "str:" + x
	case bool:
		out[path] = fmt.Sprint(x)
	case nil:
		out[path] = "null"
	}
}

func decode68(t *testing.T, body []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode: %v: %.300s", err, body)
	}
	return v
}

// resourceIn is the raw JSON of resource typ/id in body (itself, or an
// entry of a Bundle, at any depth of a transaction response), or nil.
func resourceIn(t *testing.T, body, typ, id string) json.RawMessage {
	t.Helper()
	var r struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Entry        []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if json.Unmarshal([]byte(body), &r) != nil {
		return nil
	}
	if r.ResourceType == typ && r.ID == id {
		return json.RawMessage(body)
	}
	for _, en := range r.Entry {
		if len(en.Resource) == 0 {
			continue
		}
		if got := resourceIn(t, string(en.Resource), typ, id); got != nil {
			return got
		}
	}
	return nil
}

// diff68 lists the leaves that differ between the stored body and the
// released one, skipping paths that skip reports as taken out by a rule.
func diff68(stored, released map[string]string, skip func(string) bool) []string {
	var out []string
	for p, s := range stored {
		if skip(p) {
			continue
		}
		if r, ok := released[p]; !ok {
			out = append(out, fmt.Sprintf("%s: %q lost", p, s))
		} else if r != s {
			out = append(out, fmt.Sprintf("%s: %q became %q", p, s, r))
		}
	}
	for p, r := range released {
		if _, ok := stored[p]; !ok && !skip(p) {
			out = append(out, fmt.Sprintf("%s: %q added", p, r))
		}
	}
	sort.Strings(out)
	return out
}

type route68 struct{ name, method, path, body string }

func routes68(typ, id, patient string) []route68 {
	return []route68{
		{"read", "GET", "/fhir/" + typ + "/" + id, ""},
		{"vread", "GET", "/fhir/" + typ + "/" + id + "/_history/1", ""},
		{"_history", "GET", "/fhir/" + typ + "/" + id + "/_history", ""},
		{"search", "GET", "/fhir/" + typ + "?patient=" + patient, ""},
		{"search _id", "GET", "/fhir/" + typ + "?_id=" + id, ""},
		{"$everything", "GET", "/fhir/Patient/" + patient + "/$everything", ""},
		{"batch GET", "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"` + typ + `/` + id + `"}}]}`},
		{"transaction GET", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"` + typ + `/` + id + `"}}]}`},
	}
}

// check68 reads typ/id as the source (stored body) and as reader on every
// route; each route's body must hold the same leaves but those skip
// names, and the same ETag where a route gives one.
func check68(t *testing.T, e *env, source, reader, typ, id, patient string, extra []route68, skip func(string) bool, mustChange func(string) bool) {
	t.Helper()
	own := e.do("GET", "/fhir/"+typ+"/"+id, source, "")
	if own.status != 200 {
		t.Fatalf("source read: %d %s", own.status, own.body)
	}
	stored := map[string]string{}
	leaves68(decode68(t, []byte(own.body)), "", stored)
	for _, r := range append(routes68(typ, id, patient), extra...) {
		res := e.do(r.method, r.path, reader, r.body)
		if res.status != 200 {
			t.Errorf("%s: %d %.400s", r.name, res.status, res.body)
			continue
		}
		raw := resourceIn(t, res.body, typ, id)
		if raw == nil {
			t.Errorf("%s: %s/%s not in the answer: %.400s", r.name, typ, id, res.body)
			continue
		}
		got := map[string]string{}
		leaves68(decode68(t, raw), "", got)
		if d := diff68(stored, got, skip); len(d) > 0 {
			t.Errorf("%s: the released %s/%s differs from the stored body beyond what a rule takes out:\n  %s", r.name, typ, id, strings.Join(d, "\n  "))
		}
		if mustChange != nil && !mustChange(string(raw)) {
			t.Errorf("%s: set-up: the release did not rewrite the body (no rule applied): %.300s", r.name, raw)
		}
		if r.name == "read" || r.name == "vread" {
			if et := res.header.Get("ETag"); et != own.header.Get("ETag") {
				t.Errorf("%s: ETag %q, stored version's %q", r.name, et, own.header.Get("ETag"))
			}
		}
	}
}

func hosp68(e *env) string { return e.token("hospital-clinician", "nhs", "RHX") }

// TestReview68bSoundMaskedReferenceKeepsValues: the GP's Observation names
// her withheld HIV diagnosis (focus), so the hospital clinician's copy is
// decoded, the reference masked, and encoded again (decodeMap with
// UseNumber, encodeResource). Every other leaf — 1.50, 0.1250, 1e3, -0.0,
// a 20-digit and a 36-digit decimal, 1.0E+2, \u2028, emoji, an escaped
// NUL, _status and _text ids, "given":["A",null,"C"] with its _given —
// and versionId, lastUpdated and ETag are the stored version's on read,
// vread, _history, search, $everything, _include and a batch's or
// transaction's GET entry. Only key order and escaping differ (cosmetic).
func TestReview68bSoundMaskedReferenceKeepsValues(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, false)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp,
		[2]string{"/fhir/Observation/o68", `{"resourceType":"Observation","id":"o68",` + rich68 + `,"subject":{"reference":"Patient/p68"},"focus":[{"reference":"Condition/p68-hiv"}]}`},
		[2]string{"/fhir/DiagnosticReport/dr68", `{"resourceType":"DiagnosticReport","id":"dr68","status":"final","code":{"text":"panel"},"subject":{"reference":"Patient/p68"},"result":[{"reference":"Observation/o68"}]}`},
	)
	incl := []route68{{"_include", "GET", "/fhir/DiagnosticReport?_id=dr68&_include=DiagnosticReport:result", ""}}
	check68(t, e, gp, hosp68(e), "Observation", "o68", "p68", incl,
		func(p string) bool { return strings.HasPrefix(p, ".focus") },
		func(raw string) bool { return !strings.Contains(raw, "p68-hiv") })
}

// TestReview68bSoundRestrictedItemKeepsValues: Patient/p68 is restricted
// (R), so each of her items is decoded for the hospital clinician and
// every Address and ContactPoint taken out, then encoded again; her
// Observation carries a contained copy of her Patient (redacted) and the
// rich values, which must come through as stored.
func TestReview68bSoundRestrictedItemKeepsValues(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, true)
	gp := e.token("system", "nhs", "A81001")
	body := `{"resourceType":"Observation","id":"o68",` + strings.Replace(rich68, `"contained":[`,
		`"contained":[{"resourceType":"Patient","id":"pc","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"address":[{"line":["P68-REFUGE 1 Hidden Lane"]}]},`, 1) +
		`,"subject":{"reference":"Patient/p68"},"specimen":{"reference":"#pc","display":"copy"}}`
	// (specimen is a Reference(Specimen): only the contained reference
	// matters, so that the copy is kept)
	e.putAll(t, gp, [2]string{"/fhir/Observation/o68", body})
	check68(t, e, gp, hosp68(e), "Observation", "o68", "p68", nil,
		func(p string) bool {
			// her copy's address (the rule); its identifier and the
			// contained reference's display: TestReview68bRestrictedItemDropsIdentifiers
			return strings.HasPrefix(p, ".contained[0].address") || strings.HasPrefix(p, ".contained[0].identifier") || p == ".specimen.display"
		},
		func(raw string) bool { return !strings.Contains(raw, "P68-REFUGE") })
}

// TestReview68bSoundConsentCodesMaskedForIGKeepsRest: an IG officer reads
// a Consent whose clinical codes carex masks (maskClinicalCodes); the
// rest (a decimal extension, a provision period, Unicode, _primitive ids)
// is as stored on read, vread, _history and search.
func TestReview68bSoundConsentCodesMaskedForIGKeepsRest(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, false)
	gp := e.token("system", "nhs", "A81001")
	consent := `{"resourceType":"Consent","id":"c68","status":"active","_status":{"id":"cs1"},
	 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
	 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}],"text":"Objection <x> & \u2028 😀"}],
	 "patient":{"reference":"Patient/p68"},"dateTime":"2025-01-02T03:04:05.250+00:00",
	 "extension":[{"url":"http://example.org/fhir/StructureDefinition/weight","valueDecimal":70.50},{"url":"http://example.org/fhir/StructureDefinition/big","valueDecimal":12345678901234567890.1230},{"url":"http://example.org/fhir/StructureDefinition/note","valueString":"Objection <x> & \u2028 😀 \u00e9"}],
	 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
	 "provision":{"type":"permit","provision":[{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}],"text":"P68-DEPRESSION"}]}]}}`
	e.putAll(t, gp, [2]string{"/fhir/Consent/c68", consent})
	ig := e.token("ig-officer", "nhs", "A81001")
	res := e.do("GET", "/fhir/Consent/c68", ig, "")
	if res.status != 200 {
		t.Skipf("IG officer's read of the Consent: %d %.300s", res.status, res.body)
	}
	own := e.do("GET", "/fhir/Consent/c68", gp, "")
	stored, got := map[string]string{}, map[string]string{}
	leaves68(decode68(t, []byte(own.body)), "", stored)
	for _, r := range []route68{{"read", "GET", "/fhir/Consent/c68", ""}, {"vread", "GET", "/fhir/Consent/c68/_history/1", ""},
		{"_history", "GET", "/fhir/Consent/c68/_history", ""}, {"search", "GET", "/fhir/Consent?patient=p68", ""}} {
		res := e.do(r.method, r.path, ig, r.body)
		raw := resourceIn(t, res.body, "Consent", "c68")
		if res.status != 200 || raw == nil {
			t.Errorf("%s: %d %.300s", r.name, res.status, res.body)
			continue
		}
		clear(got)
		leaves68(decode68(t, raw), "", got)
		if !strings.Contains(string(raw), "masked") || strings.Contains(string(raw), "35489007") {
			t.Errorf("%s: set-up: the provision's code was not masked: %.400s", r.name, raw)
		}
		if d := diff68(stored, got, func(p string) bool {
			return strings.HasPrefix(p, ".provision.provision[0].code") || strings.HasPrefix(p, ".category")
		}); len(d) > 0 {
			t.Errorf("%s: the released Consent differs from the stored body beyond the masked codes:\n  %s", r.name, strings.Join(d, "\n  "))
		}
	}
}

// attached68 is FHIR JSON an attachment carries: a copy of her Patient
// (address), and a lab Observation whose values are clinical.
const attached68 = `{"resourceType":"Patient","id":"pa","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"address":[{"line":["P68-REFUGE 1 Hidden Lane"]}]}
{"resourceType":"Observation","id":"oa","status":"final","code":{"text":"K+ <low> & \u2028 😀"},"valueQuantity":{"value":3.50,"unit":"mmol/L"},"component":[{"code":{"text":"c"},"valueQuantity":{"value":1e3}},{"code":{"text":"d"},"valueQuantity":{"value":-0.0}},{"code":{"text":"e"},"valueQuantity":{"value":12345678901234567890.12}}],"note":[{"text":"x","_text":{"id":"t1"}}]}`

// TestReview68bSoundRewrittenAttachmentKeepsValues (sound for values): her DocumentReference
// (she is restricted) carries FHIR JSON holding a copy of her Patient and
// a lab Observation; carex redacts the copy and writes the data back
// (encodeAttachedDocs). The Observation inside must keep 3.50, 1e3, -0.0,
// a 20-digit value, its text and its _text id.
func TestReview68bSoundRewrittenAttachmentKeepsValues(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, true)
	gp := e.token("system", "nhs", "A81001")
	data := base64.StdEncoding.EncodeToString([]byte(attached68))
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d68", `{"resourceType":"DocumentReference","id":"d68","status":"current",
		"subject":{"reference":"Patient/p68"},"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + data + `"}}]}`})
	stored := map[string]string{}
	for _, line := range strings.Split(attached68, "\n") {
		leaves68(decode68(t, []byte(line)), "", stored)
	}
	for _, r := range routes68("DocumentReference", "d68", "p68") {
		res := e.do(r.method, r.path, hosp68(e), r.body)
		raw := resourceIn(t, res.body, "DocumentReference", "d68")
		if res.status != 200 || raw == nil {
			t.Errorf("%s: %d %.300s", r.name, res.status, res.body)
			continue
		}
		var dr struct {
			Content []struct {
				Attachment struct {
					Data string `json:"data"`
				} `json:"attachment"`
			} `json:"content"`
		}
		json.Unmarshal(raw, &dr)
		if len(dr.Content) == 0 || dr.Content[0].Attachment.Data == "" {
			t.Errorf("%s: set-up: no data released (masked whole?): %.400s", r.name, raw)
			continue
		}
		out, _ := base64.StdEncoding.DecodeString(dr.Content[0].Attachment.Data)
		if bytes.Contains(out, []byte("P68-REFUGE")) {
			t.Errorf("%s: set-up: her address went out: %s", r.name, out)
			continue
		}
		got := map[string]string{}
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		for {
			var v any
			if d.Decode(&v) != nil {
				break
			}
			leaves68(v, "", got)
		}
		if diff := diff68(stored, got, func(p string) bool {
			// her copy's address (the rule); its NHS number:
			// TestReview68bRestrictedItemDropsIdentifiers
			return strings.HasPrefix(p, ".address") || strings.HasPrefix(p, ".identifier")
		}); len(diff) > 0 {
			t.Errorf("%s: the written-back attachment differs beyond her address:\n  %s\n%s", r.name, strings.Join(diff, "\n  "), out)
		}
	}
}

// TestReview68bRestrictedItemDropsIdentifiers: in a restricted person's
// own item, released outside its source, redactPlaces runs
// placeReferenceText on every object the item carries, and that takes
// "identifier" (and "display") out of any object holding one but no
// system, code, use or value — meant for a logical Reference, it also
// matches whole resources: a contained Specimen loses its lab accession
// number, a contained copy of her Patient (and one in attached FHIR JSON,
// written back) loses her NHS number, which redactPerson itself keeps
// ("identifiers other than the NHS number" go), and a contained
// reference (#sp1, naming something carried, not "nothing stored")
// loses its display. A resource that happens to have a "code" element
// (an Observation, a Medication) keeps its identifiers: the rule goes by
// shape, not by type.
//
// Breaks: the project rule (the typed models "not a filter that silently
// drops fields"); SPEC §5 takes only "address, telephone or GP" out of a
// restricted person's data; README: "a reference naming nothing stored
// (by identifier or display alone) without either" — these are not
// references. Severity: over-withholding (and loss of the identifiers a
// clinician matches a sample or a person by: a data-integrity concern),
// not a leak.
func TestReview68bRestrictedItemDropsIdentifiers(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, true)
	gp := e.token("system", "nhs", "A81001")
	attached := `{"resourceType":"Patient","id":"pa","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"address":[{"line":["P68-REFUGE 1 Hidden Lane"]}]}
{"resourceType":"Specimen","id":"sa","identifier":[{"system":"https://lab.example.org/accession","value":"ACC-ATT-0042"}],"type":{"text":"blood"}}`
	e.putAll(t, gp,
		[2]string{"/fhir/Observation/i68", `{"resourceType":"Observation","id":"i68","status":"final","code":{"text":"K+"},
			"contained":[{"resourceType":"Specimen","id":"sp1","identifier":[{"system":"https://lab.example.org/accession","value":"ACC-2025-0042"}],"type":{"text":"venous blood"}},
			             {"resourceType":"Patient","id":"pc","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"address":[{"line":["P68-REFUGE 1 Hidden Lane"]}]}],
			"subject":{"reference":"Patient/p68"},"specimen":{"reference":"#sp1","display":"Venous blood ACC-2025-0042"},
			"valueQuantity":{"value":3.50,"unit":"mmol/L"},"derivedFrom":[{"reference":"#pc"}]}`},
		[2]string{"/fhir/DocumentReference/di68", `{"resourceType":"DocumentReference","id":"di68","status":"current","subject":{"reference":"Patient/p68"},
			"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(attached)) + `"}}]}`},
	)
	hosp := hosp68(e)
	r := e.do("GET", "/fhir/Observation/i68", hosp, "")
	if r.status != 200 || strings.Contains(r.body, "P68-REFUGE") {
		t.Fatalf("set-up: %d %s", r.status, r.body)
	}
	// (the fix chose otherwise for the #sp1 reference's display: a local
	// reference's display is taken out, as it may name a contained place,
	// "Home, 1 Hidden Lane"; the resources themselves keep their identifiers)
	if strings.Contains(r.body, "Venous blood ACC-2025-0042") {
		t.Errorf("the #sp1 reference kept its display: %s", r.body)
	}
	for _, want := range []string{"ACC-2025-0042\"", "9434765919"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("her Observation, read by the hospital clinician, lost %s: %s", want, r.body)
		}
	}
	d := e.do("GET", "/fhir/DocumentReference/di68", hosp, "")
	raw := resourceIn(t, d.body, "DocumentReference", "di68")
	var dr struct {
		Content []struct {
			Attachment struct {
				Data string `json:"data"`
			} `json:"attachment"`
		} `json:"content"`
	}
	json.Unmarshal(raw, &dr)
	if d.status != 200 || len(dr.Content) == 0 || dr.Content[0].Attachment.Data == "" {
		t.Fatalf("set-up: attachment: %d %s", d.status, d.body)
	}
	out, _ := base64.StdEncoding.DecodeString(dr.Content[0].Attachment.Data)
	if bytes.Contains(out, []byte("P68-REFUGE")) {
		t.Fatalf("set-up: her address went out: %s", out)
	}
	for _, want := range []string{"9434765919", "ACC-ATT-0042"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the attachment written back lost %s: %s", want, out)
		}
	}
}

// TestReview68bMaskedAttachmentDropsUnreadLines: the GP's letter carries
// NDJSON typed application/fhir+json: a lab Observation naming her
// withheld HIV diagnosis, a line that does not decode (a result the lab
// system cut short), and a second Observation. For the hospital clinician
// carex masks the reference inside and writes the data back
// (maskAttachedRefs → encodeAttachedDocs), but only the documents
// jsonDocs read: the unread line is gone, silently — the clinician sees
// two results where the letter has three, and nothing says one was
// taken out (no masked mark, no notice). The redaction route fails
// closed on such data (readWhole: masked whole); this one does not.
// Breaks: the project rule ("not a filter that silently drops fields");
// SPEC §5: withheld items are absent, not unreadable content. Severity:
// loss of clinical content that no rule withholds (lower than a leak;
// the reader cannot tell anything was lost).
func TestReview68bMaskedAttachmentDropsUnreadLines(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, false)
	gp := e.token("system", "nhs", "A81001")
	letter := `{"resourceType":"Observation","id":"l1","status":"final","code":{"text":"CD4"},"valueQuantity":{"value":0.50},"focus":[{"reference":"Condition/p68-hiv"}]}
{"resourceType":"Observation","id":"l2","status":"final","code":{"text":"Potassium"},"valueQuantity":{"value":6.8,"unit":"mmol/L"},"interpretation":[{"text":"CRITICAL HIGH"
{"resourceType":"Observation","id":"l3","status":"final","code":{"text":"Sodium"},"valueQuantity":{"value":140}}`
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/dl68", `{"resourceType":"DocumentReference","id":"dl68","status":"current","subject":{"reference":"Patient/p68"},
		"content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(letter)) + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/dl68", hosp68(e), "")
	if r.status != 200 {
		t.Fatalf("set-up: %d %s", r.status, r.body)
	}
	var dr struct {
		Content []struct {
			Attachment struct {
				Data string `json:"data"`
			} `json:"attachment"`
		} `json:"content"`
	}
	json.Unmarshal([]byte(r.body), &dr)
	if len(dr.Content) == 0 || dr.Content[0].Attachment.Data == "" {
		t.Skipf("the data is masked whole (fails closed, sound): %s", r.body)
	}
	out, _ := base64.StdEncoding.DecodeString(dr.Content[0].Attachment.Data)
	if bytes.Contains(out, []byte("p68-hiv")) {
		t.Fatalf("set-up: the reference was not masked: %s", out)
	}
	if !bytes.Contains(out, []byte("CRITICAL HIGH")) {
		t.Errorf("the letter's data written back lost its unread line (potassium 6.8, CRITICAL HIGH), without a mark:\nstored:\n%s\nreleased:\n%s", letter, out)
	}
}

// TestReview68bSoundStrictWritesLeaveNothingToLose: what a re-encoding
// could lose is refused on write: a duplicate key (encoding/json would
// keep the last), an empty object, an unknown element. So nothing of the
// kind is stored to be lost on release.
func TestReview68bSoundStrictWritesLeaveNothingToLose(t *testing.T) {
	e := newEnv(t)
	seed68(t, e, false)
	gp := e.token("system", "nhs", "A81001")
	for name, body := range map[string]string{
		"duplicate key":   `{"resourceType":"Observation","id":"w1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p68"},"valueQuantity":{"value":1.5},"valueQuantity":{"value":15}}`,
		"empty object":    `{"resourceType":"Observation","id":"w2","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p68"},"valueQuantity":{}}`,
		"unknown element": `{"resourceType":"Observation","id":"w3","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p68"},"doseNote":"x"}`,
	} {
		if r := e.do("POST", "/fhir/Observation", gp, body); r.status != 422 && r.status != 400 {
			t.Errorf("%s: stored (%d): %.300s", name, r.status, r.body)
		}
	}
}
