package api_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 100a (its findings fixed in revision 2026-12-07m: any payload but
// FHIR JSON resources alone is a document, an NHS tag changes nothing,
// pictures by their bytes, a council Task's LOINC-named measurement is a
// result): a re-read of cb0a34a (revision 2026-12-07l): a payload is
// a document unless its first 8 KiB open as FHIR resources
// (carriesDocument, payloadHead, headHoldsResources, pictureHead); an
// item its source tagged with a class is as tagged, attachments and all
// (search.DataClassTagged); a council's Task is never observations by
// LOINC. Jane's shared record (r98bSeed); real server, SQLite file and
// tokens. SPEC §1: the social worker sees no clinical notes or lab
// results; the IG officer no clinical content; default.policy: the
// district nurse sees no documents or observations.

const r100aLetter = "R100A-LETTER-SECRET: low mood, sertraline started; HbA1c 86 mmol/mol; eGFR 38"

// r100aHolds reports whether body carries the letter (as text, or as
// base64 of any of the given payloads).
func r100aHolds(body string, payloads ...string) bool {
	if strings.Contains(body, "R100A-LETTER-SECRET") {
		return true
	}
	for _, p := range payloads {
		if strings.Contains(body, r98bB64(p)) {
			return true
		}
	}
	return false
}

// r100aMustNotReach: none of the named users' read of path, nor their
// $everything, carries the payloads.
func r100aMustNotReach(t *testing.T, e *env, path string, users map[string]string, payloads ...string) {
	t.Helper()
	for name, tok := range users {
		r := e.do("GET", path, tok, "")
		t.Logf("%s GET %s: %d", name, path, r.status)
		if r.status == 200 && r100aHolds(r.body, payloads...) {
			t.Errorf("the GP's clinical letter reached the %s in %s: %.200s", name, path, r.body)
			continue
		}
		if r = e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); r100aHolds(r.body, payloads...) {
			t.Errorf("the %s's $everything carries the letter of %s", name, path)
		}
	}
}

func r100aSW(e *env) map[string]string {
	return map[string]string{"social worker": e.token("social-worker", "council", r98bCouncil)}
}

// TestReview100aTaggedCarerWithLetterReachesIGOfficer: the GP's
// carer record tagged demographics (its own class, as a GP system that
// tags every item by its class sends it) with the GP's letter as a PDF in
// an extension's valueAttachment. Untagged it is a document (99a's fix),
// tagged it is "as tagged, attachments and all": the IG officer (no
// clinical content) and the social worker read the letter. The tag says
// what the item is, not that its payload is no letter; carex keeps floors
// for lab reports and Flags whatever their tag.
func TestReview100aTaggedCarerWithLetterReachesIGOfficer(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := "%PDF-1.4\n" + r100aLetter
	body := func(id, meta string) [2]string {
		return [2]string{"/fhir/RelatedPerson/" + id, `{"resourceType":"RelatedPerson","id":"` + id + `",` + meta + `"patient":{"reference":"Patient/jane"},
		 "name":[{"family":"R100A-CARER"}],"extension":[{"url":"https://example.org/gp/letter","valueAttachment":{"contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}}]}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		body("r100a-carer-untagged", ""),
		body("r100a-carer-tagged", `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"demographics"}]},`))
	users := map[string]string{"IG officer": e.token("ig-officer", "nhs", "A81001"), "social worker": e.token("social-worker", "council", r98bCouncil)}
	// premise: untagged, the letter is withheld from both
	for name, tok := range users {
		if r := e.do("GET", "/fhir/RelatedPerson/r100a-carer-untagged", tok, ""); r.status == 200 && r100aHolds(r.body, pdf) {
			t.Fatalf("premise: the untagged carer's letter reached the %s", name)
		}
	}
	for name, tok := range users {
		r := e.do("GET", "/fhir/RelatedPerson/r100a-carer-tagged", tok, "")
		t.Logf("%s: %d", name, r.status)
		if r.status == 200 && r100aHolds(r.body, pdf) {
			t.Errorf("the GP's letter (a PDF) in its carer record tagged demographics reached the %s", name)
		}
	}
}

// TestReview100aTaggedTaskLetterReachesSocialWorkerLOINCDoesNot:
// the GP's Task tagged care-plans (its own class). With an HbA1c as a
// LOINC-coded output it stays observations (ContentClasses ignores the
// tag), yet the same HbA1c in a letter attached as a PDF goes to the
// social worker: the tag exempts attachments only.
func TestReview100aTaggedTaskLetterReachesSocialWorkerLOINCDoesNot(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	tag := `"meta":{"tag":[{"system":"https://carex.example/data-class","code":"care-plans"}]},`
	pdf := "%PDF-1.4\n" + r100aLetter
	mk := func(id, out string) [2]string {
		return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `",` + tag + `"status":"requested","intent":"order",
		 "code":{"text":"R100A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},"output":[` + out + `]}`}
	}
	e.putAll(t, e.token("system", "nhs", "A81001"),
		mk("r100a-tag-loinc", `{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"valueString":"R100A-HBA1C-86"}`),
		mk("r100a-tag-pdf", `{"type":{"text":"discharge letter"},"valueAttachment":{"contentType":"application/pdf","data":"`+r98bB64(pdf)+`"}}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r100a-tag-loinc", sw, ""); r.status == 200 {
		t.Logf("note: the tagged Task with a LOINC output reached the social worker too")
	} else {
		t.Logf("tagged Task with a LOINC-coded HbA1c: social worker %d (withheld: observations whatever the tag)", r.status)
	}
	r100aMustNotReach(t, e, "/fhir/Task/r100a-tag-pdf", r100aSW(e), pdf)
}

// TestReview100aTaggedConsentWithLetterReachesIGOfficer: the GP's
// privacy Consent tagged consent, with the GP's letter in an extension's
// valueAttachment (not its sourceAttachment, the form it was given on).
func TestReview100aTaggedConsentWithLetterReachesIGOfficer(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := "%PDF-1.4\n" + r100aLetter
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/Consent/r100a-consent", `{"resourceType":"Consent","id":"r100a-consent","status":"active",
		 "meta":{"tag":[{"system":"https://carex.example/data-class","code":"consent"}]},
		 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
		 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/jane"},"dateTime":"2026-12-01T10:00:00Z",
		 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
		 "extension":[{"url":"https://example.org/gp/letter","valueAttachment":{"contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}}]}`})
	r100aMustNotReach(t, e, "/fhir/Consent/r100a-consent", map[string]string{"IG officer": e.token("ig-officer", "nhs", "A81001")}, pdf)
}

// TestReview100aXMLBinaryLetterReachesSocialWorker: the GP's
// letter attached to its Task as a FHIR XML Binary (application/fhir+xml,
// the PDF in <data value>). Its root is FHIR's, so headHoldsResources
// counts it resources; but carex reads only FHIR JSON into resources
// (attachedContentRead), so the Binary adds no class: the letter is no
// document. As JSON the same Binary is classed documents.
func TestReview100aXMLBinaryLetterReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := "%PDF-1.4\n" + r100aLetter
	xml := `<Binary xmlns="http://hl7.org/fhir"><contentType value="application/pdf"/><data value="` + r98bB64(pdf) + `"/></Binary>`
	js := `{"resourceType":"Binary","contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r100a-json-binary", `{"type":{"text":"letter"},"valueAttachment":{"contentType":"application/fhir+json","data":"`+r98bB64(js)+`"}}`),
		r99aGPTask("r100a-xml-binary", `{"type":{"text":"letter"},"valueAttachment":{"contentType":"application/fhir+xml","data":"`+r98bB64(xml)+`"}}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r100a-json-binary", sw, ""); r.status == 200 {
		t.Fatalf("premise: the letter as a JSON Binary reached the social worker")
	}
	r100aMustNotReach(t, e, "/fhir/Task/r100a-xml-binary", r100aSW(e), xml)
}

// TestReview100aLetterInsideAttachedResourceReachesSocialWorker:
// the GP's Task carries, as FHIR JSON, another Task (care plans, which the
// social worker sees) whose input is the letter as a PDF. The attachment
// opens as a resource, so it is no document; carriesDocument is asked of
// the outer item only, never of the resources carried in its payloads.
func TestReview100aLetterInsideAttachedResourceReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	pdf := "%PDF-1.4\n" + r100aLetter
	inner := `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/jane"},
	 "input":[{"type":{"text":"letter"},"valueAttachment":{"contentType":"application/pdf","data":"` + r98bB64(pdf) + `"}}]}`
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r100a-nested", `{"type":{"text":"handover"},"valueAttachment":{"contentType":"application/fhir+json","data":"`+r98bB64(inner)+`"}}`))
	r100aMustNotReach(t, e, "/fhir/Task/r100a-nested", r100aSW(e), inner, pdf)
}

// TestReview100aJSONNamingResourceTypeLetterReachesSocialWorker:
// payloads whose first 8 KiB contain the bytes "resourceType" and are
// still letters: a GP system's letter export with its own resourceType, a
// list with a Patient first and the letter after, NDJSON with the letter
// on its second line, and text opening with a stray {"resourceType"}.
func TestReview100aJSONNamingResourceTypeLetterReachesSocialWorker(t *testing.T) {
	cases := map[string]string{
		"own-type":    `{"resourceType":"GPLetter","body":"` + r100aLetter + `"}`,
		"array":       `[{"resourceType":"Patient","id":"jane"},"` + r100aLetter + `"]`,
		"ndjson":      "{\"resourceType\":\"Patient\",\"id\":\"jane\"}\n" + r100aLetter + "\n",
		"stray-brace": `{"resourceType"} Dear colleague, ` + r100aLetter,
	}
	e := newEnv(t)
	r98bSeed(t, e)
	for name, payload := range cases {
		e.putAll(t, e.token("system", "nhs", "A81001"),
			r99aGPTask("r100a-rt-"+name, `{"type":{"text":"letter"},"valueAttachment":{"data":"`+r98bB64(payload)+`"}}`))
	}
	sw := e.token("social-worker", "council", r98bCouncil)
	for name, payload := range cases {
		r := e.do("GET", "/fhir/Task/r100a-rt-"+name, sw, "")
		t.Logf("%s: social worker %d", name, r.status)
		if r.status == 200 && r100aHolds(r.body, payload) {
			t.Errorf("%s: the GP's letter naming \"resourceType\" reached the social worker", name)
		}
	}
}

// TestReview100aPNGMagicPDFPhotoReachesSocialWorker: a carer's
// photo whose data opens with PNG's 8-byte signature and is the letter as
// a PDF after it (PDF readers find %PDF in the first 1024 bytes):
// pictureHead reads the magic number only.
func TestReview100aPNGMagicPDFPhotoReachesSocialWorker(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	poly := "\x89PNG\r\n\x1a\n%PDF-1.4\n" + r100aLetter
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/RelatedPerson/r100a-poly", `{"resourceType":"RelatedPerson","id":"r100a-poly","patient":{"reference":"Patient/jane"},
		 "name":[{"family":"R100A-CARER"}],"photo":[{"contentType":"image/png","data":"` + r98bB64(poly) + `"}]}`})
	r100aMustNotReach(t, e, "/fhir/RelatedPerson/r100a-poly", map[string]string{
		"social worker": e.token("social-worker", "council", r98bCouncil), "IG officer": e.token("ig-officer", "nhs", "A81001")}, poly)
}

// TestReview100aCarerPhotoWebPWithheld: over-withholding. A
// carer's photo as WebP or HEIC (an iPhone's photo) or JPEG 2000 is a
// picture (de44ffd: contentType image/…), but pictureHead knows PNG,
// JPEG, GIF and TIFF only: the carer record becomes a document, withheld
// from the social worker and the IG officer, who read it with a JPEG.
func TestReview100aCarerPhotoWebPWithheld(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	photos := map[string][2]string{
		"jpeg": {"image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"},
		"webp": {"image/webp", "RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00"},
		"heic": {"image/heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"},
		"jp2":  {"image/jp2", "\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 "},
	}
	for name, p := range photos {
		e.putAll(t, e.token("system", "nhs", "A81001"),
			[2]string{"/fhir/RelatedPerson/r100a-photo-" + name, `{"resourceType":"RelatedPerson","id":"r100a-photo-` + name + `","patient":{"reference":"Patient/jane"},
			 "name":[{"family":"R100A-CARER-` + strings.ToUpper(name) + `"}],"photo":[{"contentType":"` + p[0] + `","data":"` + r98bB64(p[1]) + `"}]}`})
	}
	users := map[string]string{"social worker": e.token("social-worker", "council", r98bCouncil), "IG officer": e.token("ig-officer", "nhs", "A81001")}
	for name, tok := range users {
		if r := e.do("GET", "/fhir/RelatedPerson/r100a-photo-jpeg", tok, ""); r.status != 200 {
			t.Fatalf("premise: the %s reads the carer with a JPEG photo: %d", name, r.status)
		}
		for _, kind := range []string{"webp", "heic", "jp2"} {
			r := e.do("GET", "/fhir/RelatedPerson/r100a-photo-"+kind, tok, "")
			t.Logf("%s, %s photo: %d", name, kind, r.status)
			if r.status != 200 {
				t.Errorf("the carer record with a %s photo is withheld from the %s (%d); with a JPEG it is read", kind, name, r.status)
			}
		}
	}
}

// TestReview100aCouncilTaskNHSLabValueReachesNurse: the council's
// assessment Task carries the HbA1c it copied from the hospital's
// discharge summary as a LOINC-coded output. ContentClassesFrom returns
// nothing for a council's Task, so the lab value is care plans and social
// care: the district nurse (no observations in default.policy) reads it.
// (Judgement: the council's housing-status question is LOINC-coded too;
// a careful fix tells lab results (LOINC class, or a value with units)
// from social questions rather than the source.)
func TestReview100aCouncilTaskNHSLabValueReachesNurse(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	e.putAll(t, e.token("system", "council", r98bCouncil),
		[2]string{"/fhir/Task/r100a-council-lab", `{"resourceType":"Task","id":"r100a-council-lab","status":"in-progress","intent":"order",
		 "code":{"coding":[{"system":"http://snomed.info/sct","code":"410606002"}],"text":"R100A-COUNCIL-ASSESS"},"for":{"reference":"Patient/jane"},
		 "output":[{"type":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c/Hemoglobin.total in Blood"}]},
		   "valueQuantity":{"value":86,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}}]}`})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Observation/hba1c", nurse, ""); r.status == 200 {
		t.Fatalf("premise: the nurse reads the GP's HbA1c Observation")
	}
	r := e.do("GET", "/fhir/Task/r100a-council-lab", nurse, "")
	t.Logf("district nurse: %d", r.status)
	if r.status == 200 && strings.Contains(r.body, "4548-4") {
		t.Errorf("the HbA1c the council copied into its assessment reached the district nurse, who sees no lab results: %.200s", r.body)
	}
}

// TestReview100aSoundUTF16AndPercentDataURLLetterWithheld: a letter in
// UTF-16 (with a byte order mark), a data: url percent-encoded with no
// base64, and a base64 value carrying a data: prefix are documents.
func TestReview100aSoundUTF16AndPercentDataURLLetterWithheld(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	u16 := []byte{0xff, 0xfe}
	for _, c := range r100aLetter {
		u16 = append(u16, byte(c), 0)
	}
	pct := strings.NewReplacer(" ", "%20", ":", "%3A", ";", "%3B").Replace(r100aLetter)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r99aGPTask("r100a-u16", `{"type":{"text":"letter"},"valueAttachment":{"contentType":"text/plain","data":"`+r98bB64(string(u16))+`"}}`),
		r99aGPTask("r100a-pct", `{"type":{"text":"letter"},"valueUrl":"data:text/plain,`+pct+`"}`),
		r99aGPTask("r100a-prefixed", `{"type":{"text":"letter"},"valueBase64Binary":"`+r98bB64(r100aLetter)+`"},{"type":{"text":"letter"},"valueString":"data:application/pdf;base64,`+r98bB64("%PDF-1.4\n"+r100aLetter)+`"}`))
	sw := e.token("social-worker", "council", r98bCouncil)
	for _, id := range []string{"r100a-u16", "r100a-pct", "r100a-prefixed"} {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status == 200 {
			t.Errorf("%s reached the social worker: %.200s", id, r.body)
		}
	}
}

// TestReview100aSoundCostLetterAndManyAttachments: carriesDocument on
// every write decodes up to 8 KiB of each payload. Measured by hand with
// this test against 924c4b9 (copied into a scratch worktree, removed): a
// Task with a 6 MiB PDF letter (8 MiB body, serve's cap) 122-167 ms
// there, 100-127 ms here; with 1,000 distinct small PDFs 9-44 ms there,
// 9-85 ms here (noise on a shared 2-core machine): no cost beyond 2x.
// The bounds below are 50x and more what was seen.
func TestReview100aSoundCostLetterAndManyAttachments(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 8 << 20 })
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	big := r100aCostB64("%PDF-1.4\n" + strings.Repeat("R100A letter line, nothing coded here.\n", (6<<20-4096)/39))
	var many []string
	for i := 0; i < 1000; i++ {
		many = append(many, `{"type":{"text":"scan"},"valueAttachment":{"contentType":"application/pdf","data":"`+r100aCostB64("%PDF-1.4\nsmall scan "+strconv.Itoa(i)+strings.Repeat("x", 200))+`"}}`)
	}
	for round := 0; round < 3; round++ {
		for name, in := range map[string]string{
			"8MiB":  `{"type":{"text":"letter"},"valueAttachment":{"contentType":"application/pdf","data":"` + big + `"}}`,
			"1000x": strings.Join(many, ","),
		} {
			w := r100aCostTask("r100a-cost-"+name, in)
			start := time.Now()
			r := e.do("PUT", w[0], gp, w[1])
			took := time.Since(start)
			t.Logf("round %d %s: PUT %d in %v (%d bytes)", round, name, r.status, took, len(w[1]))
			if r.status != 200 && r.status != 201 {
				t.Fatalf("%s: %d %.200s", name, r.status, r.body)
			}
			if took > 10*time.Second {
				t.Errorf("%s: a write took %v", name, took)
			}
		}
	}
}

func r100aCostB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func r100aCostTask(id, inputs string) [2]string {
	return [2]string{"/fhir/Task/" + id, `{"resourceType":"Task","id":"` + id + `","status":"requested","intent":"order",
	 "code":{"text":"R100A-TASK"},"for":{"reference":"Patient/jane"},"owner":{"reference":"Organization/E06000999"},"input":[` + inputs + `]}`}
}
