package api_test

// Review 34b: a re-read of the labelled-directory follow-up (fix32b:
// 2f19ff7 07060f9 fa70d17 cd81985). SPEC §5: "labelled data is released
// only to its source organisation, or where the person has explicitly
// permitted it"; "Withheld items are simply absent". Seeds: seed31b (the
// hospital RHX's refuge Organization refuge31b, ODS code NSREF31, its
// Location NSREF31L and the GUM HealthcareService NSGUM31, labelled R).

import (
	"encoding/base64"
	"strings"
	"testing"
)

const odsOrg34b = "https://fhir.nhs.uk/Id/ods-organization-code"

func refugeCopy34b(id string) string {
	return `{"resourceType":"Organization","id":"` + id + `","identifier":[{"system":"` + odsOrg34b + `","value":"NSREF31"}],"name":"` + refugeName31b + `","address":[{"line":["` + refugeAddr31b + `"]}]}`
}

// TestReview34bBundleEntryCopyOfLabelledOrganisation: the GP's stored
// collection Bundle for Jane carries, as an entry (not contained), a copy
// of the refuge's directory entry: its ODS code, name and address.
// logicalRefs looks only at "contained" lists and reference-shaped
// objects, so the entry goes out whole to the social worker, to whom the
// refuge itself is 404.
func TestReview34bBundleEntryCopyOfLabelledOrganisation(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b34b-entry", `{"resourceType":"Bundle","id":"b34b-entry","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000001","resource":` + enc32b("enc34b-inb", `,"serviceProvider":{"reference":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000002"}`) + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000002","resource":` + refugeCopy34b("x34b") + `}]}`},
		[2]string{"/fhir/Bundle/b34b-entry2", `{"resourceType":"Bundle","id":"b34b-entry2","type":"collection","entry":[
	  {"fullUrl":"Encounter/enc34b-inb2","resource":` + enc32b("enc34b-inb2", `,"serviceProvider":{"reference":"Organization/refuge31b"}`) + `},
	  {"fullUrl":"Organization/refuge31b","resource":` + strings.Replace(refugeCopy34b("refuge31b"), refugeName31b, refugeName31b+" FULLURL", 1) + `}]}`})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Organization/refuge31b", rcx, ""); r.status != 404 {
		t.Fatalf("premise: the refuge is withheld from the RCX clinician: %d", r.status)
	}
	for _, p := range []string{"/fhir/Bundle/b34b-entry", "/fhir/Bundle?_id=b34b-entry", "/fhir/Patient/jane/$everything", "/fhir/Bundle/b34b-entry2"} {
		r := e.do("GET", p, rcx, "")
		if r.status != 200 || !strings.Contains(r.body, "ENC34B-INB") {
			t.Errorf("premise: RCX clinician GET %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, refugeName31b) || strings.Contains(r.body, "REFUGEADDR31B") {
			t.Errorf("hospital-clinician RCX: GET %s -> %d releases a copy of the labelled refuge (404 to her) as a Bundle entry: …%s…", p, r.status, snippet32b(r.body, refugeName31b))
		}
	}
}

// TestReview34bAttachedBundleEntryCopy: the same copy as an entry of a
// Bundle carried in a DocumentReference's attachment (FHIR JSON, base64).
func TestReview34bAttachedBundleEntryCopy(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	inner := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000003","resource":` + refugeCopy34b("x34b") + `}]}`
	contained := enc32b("enc34b-att", `,"contained":[`+refugeCopy34b("refuge")+`],"serviceProvider":{"reference":"#refuge"}`)
	doc := func(id, json string) string {
		return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/jane"},"description":"` + strings.ToUpper(id) + `",
		  "content":[{"attachment":{"contentType":"application/fhir+json","data":"` + base64.StdEncoding.EncodeToString([]byte(json)) + `"}}]}`
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/d34b-bundle", doc("d34b-bundle", inner)},
		[2]string{"/fhir/DocumentReference/d34b-cont", doc("d34b-cont", contained)})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	for _, id := range []string{"d34b-cont", "d34b-bundle"} {
		r := e.do("GET", "/fhir/DocumentReference/"+id, rcx, "")
		if r.status != 200 {
			t.Errorf("premise: RCX clinician GET %s: %d %.200s", id, r.status, r.body)
			continue
		}
		dec := decodeAttached34b(r.body)
		if strings.Contains(dec, refugeName31b) {
			t.Errorf("hospital-clinician RCX: GET /fhir/DocumentReference/%s -> 200, its attachment's FHIR JSON carries a copy of the labelled refuge: …%s…", id, snippet32b(dec, refugeName31b))
		}
	}
}

// decodeAttached34b: the body and each base64 "data" string, decoded.
func decodeAttached34b(body string) string {
	out := body
	for _, part := range strings.Split(body, `"data":"`)[1:] {
		enc := part[:strings.IndexByte(part, '"')]
		if b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(enc, `\/`, `/`)); err == nil {
			out += "\n" + string(b)
		}
	}
	return out
}

// TestReview34bIdentifierValueVariants: logical references naming the
// refuge by its ODS code written lower case, with spaces around it, or
// under the ODS site-code system (ODS codes are one code space; writers
// confuse the two systems), each with the refuge's name as display.
func TestReview34bIdentifierValueVariants(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	cases := map[string][2]string{
		"enc34b-lower": {odsOrg34b, "nsref31"},
		"enc34b-space": {odsOrg34b, " NSREF31 "},
		"enc34b-site":  {"https://fhir.nhs.uk/Id/ods-site-code", "NSREF31"},
	}
	gp := e.token("system", "nhs", "A81001")
	for id, c := range cases {
		e.putAll(t, gp, [2]string{"/fhir/Encounter/" + id, enc32b(id, `,"participant":[{"individual":{"type":"Organization","identifier":{"system":"`+c[0]+`","value":"`+c[1]+`"},"display":"`+refugeName31b+`"}}]`)})
	}
	sw := e.token("social-worker", "council", "E06000999")
	for id, c := range cases {
		b := read32b(t, e, "/fhir/Encounter/"+id, sw, strings.ToUpper(id))
		if strings.Contains(b, refugeName31b) {
			t.Errorf("social worker E06000999: GET /fhir/Encounter/%s: a logical reference to the refuge as %q|%q goes out with its name: …%s…", id, c[0], c[1], snippet32b(b, refugeName31b))
		}
	}
}

// TestReview34bExtensionValueIdentifier: the refuge's ODS code as an
// extension's valueIdentifier (not a Reference), e.g. a "place of
// residence" extension on Jane's encounter. Not reference-shaped, so not
// looked at; the ODS code names the refuge (a national directory lookup
// gives its name and address).
func TestReview34bExtensionValueIdentifier(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Encounter/enc34b-ext", enc32b("enc34b-ext",
		`,"extension":[{"url":"https://example.org/fhir/StructureDefinition/residence-org","valueIdentifier":{"system":"`+odsOrg34b+`","value":"NSREF31","assigner":{"display":"ODS"}}}]`)})
	sw := e.token("social-worker", "council", "E06000999")
	b := read32b(t, e, "/fhir/Encounter/enc34b-ext", sw, "ENC34B-EXT")
	if strings.Contains(b, "NSREF31") {
		t.Errorf("social worker E06000999: GET /fhir/Encounter/enc34b-ext releases the labelled refuge's ODS code in an extension's valueIdentifier: …%s…", snippet32b(b, "NSREF31"))
	}
}

// TestReview34bSoundAssignerAndPractitionerRole: an Identifier.assigner
// naming the refuge by logical and literal reference, a contained
// PractitionerRole whose practitioner names the labelled practitioner by
// identifier, and a contained copy of the labelled practitioner.
func TestReview34bSoundAssignerAndPractitionerRole(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Practitioner/prac34b", `{"resourceType":"Practitioner","id":"prac34b",` + rLabel31b + `,
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"SDS34B"}],"name":[{"text":"PRAC34B OUTREACH"}]}`})
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Encounter/enc34b-asg", enc32b("enc34b-asg",
		`,"identifier":[{"system":"https://refuge.example/case","value":"C34B","assigner":{"identifier":{"system":"`+odsOrg34b+`","value":"NSREF31"},"display":"`+refugeName31b+` ASG1"}},
		               {"system":"https://refuge.example/case2","value":"C34C","assigner":{"reference":"Organization/refuge31b","display":"`+refugeName31b+` ASG2"}}],
		  "contained":[{"resourceType":"PractitionerRole","id":"role","practitioner":{"identifier":{"system":"https://fhir.nhs.net/Id/sds-user-id","value":"SDS34B"},"display":"PRAC34B OUTREACH ROLE"}},
		               {"resourceType":"Practitioner","id":"pr","identifier":[{"system":"HTTPS://FHIR.NHS.UK/Id/sds-user-id/","value":"SDS34B"}],"name":[{"text":"PRAC34B OUTREACH COPY"}]}],
		  "participant":[{"individual":{"reference":"#role"}},{"individual":{"reference":"#pr"}}]`)})
	sw := e.token("social-worker", "council", "E06000999")
	b := read32b(t, e, "/fhir/Encounter/enc34b-asg", sw, "ENC34B-ASG")
	for _, s := range []string{refugeName31b, "PRAC34B", "NSREF31", `"#pr"`} {
		if strings.Contains(b, s) {
			t.Errorf("social worker: GET /fhir/Encounter/enc34b-asg releases %q: …%s…", s, snippet32b(b, s))
		}
	}
	if !strings.Contains(b, `"#role"`) {
		t.Errorf("the contained PractitionerRole (not a copy) lost its reference: %.800s", b)
	}
}

// TestReview34bContainedIdClashAcrossBundleEntries: a stored Bundle whose
// entries each carry contained resources with the same local id "org1"
// (ids are local to each resource): entry A's is a copy of the refuge,
// entry B's another, unlabelled organisation, entry C's a Practitioner.
// The mask is one set for the whole stored body, keyed by type/id and
// "#id": B's organisation is taken out and B's and C's "#org1" masked
// (over-masking), leaving C's Practitioner contained and unreferenced
// (FHIR dom-3).
func TestReview34bContainedIdClashAcrossBundleEntries(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b34b-clash", `{"resourceType":"Bundle","id":"b34b-clash","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-00000000000a","resource":` + enc32b("enc34b-a", `,"contained":[`+refugeCopy34b("org1")+`],"serviceProvider":{"reference":"#org1"}`) + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-00000000000b","resource":` + enc32b("enc34b-b", `,"contained":[{"resourceType":"Organization","id":"org1","name":"PLAIN34B ORG"}],"serviceProvider":{"reference":"#org1","display":"PLAIN34B SP"}`) + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-00000000000c","resource":` + enc32b("enc34b-c", `,"contained":[{"resourceType":"Practitioner","id":"org1","name":[{"text":"PLAIN34B PRAC"}]}],"participant":[{"individual":{"reference":"#org1","display":"PLAIN34B PART"}}]`) + `}]}`})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	r := e.do("GET", "/fhir/Bundle/b34b-clash", rcx, "")
	if r.status != 200 || !strings.Contains(r.body, "ENC34B-B") {
		t.Fatalf("premise: the RCX clinician reads the bundle: %d %.300s", r.status, r.body)
	}
	if strings.Contains(r.body, refugeName31b) {
		t.Errorf("the refuge copy in entry A released: …%s…", snippet32b(r.body, refugeName31b))
	}
	for _, s := range []string{"PLAIN34B ORG", "PLAIN34B SP", "PLAIN34B PART"} {
		if !strings.Contains(r.body, s) {
			t.Errorf("hospital-clinician RCX: GET /fhir/Bundle/b34b-clash: %q (an unlabelled organisation or practitioner contained in another entry under the same local id as the refuge copy) is masked", s)
		}
	}
	if c := r.body[strings.Index(r.body, "00000000000c"):]; strings.Contains(c, "PLAIN34B PRAC") && !strings.Contains(c, `"#org1"`) {
		t.Errorf("entry C keeps its contained Practitioner org1 with its only reference masked (dom-3: a contained resource must be referenced): …%.900s", c)
	}
}

// TestReview34bSoundContainedCopyRemovalValid: the GP's encounter
// references its contained refuge copy "#refuge" from serviceProvider, an
// extension's valueReference, another contained resource and its
// narrative's link; the social worker gets no copy and no "#refuge"
// anywhere; the hospital (the refuge's source) gets it as stored.
func TestReview34bSoundContainedCopyRemovalValid(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Encounter/enc34b-valid", enc32b("enc34b-valid",
		`,"contained":[`+refugeCopy34b("refuge")+`,{"resourceType":"Location","id":"room","name":"ROOM34B","managingOrganization":{"reference":"#refuge"}}],
		  "extension":[{"url":"https://example.org/x","valueReference":{"reference":"#refuge"}}],
		  "serviceProvider":{"reference":"#refuge"},"location":[{"location":{"reference":"#room"}}]`)})
	sw := e.token("social-worker", "council", "E06000999")
	b := read32b(t, e, "/fhir/Encounter/enc34b-valid", sw, "ENC34B-VALID")
	for _, s := range []string{refugeName31b, "#refuge", "NSREF31"} {
		if strings.Contains(b, s) {
			t.Errorf("social worker: %q left in: …%s…", s, snippet32b(b, s))
		}
	}
	if !strings.Contains(b, "ROOM34B") || !strings.Contains(b, `"#room"`) {
		t.Errorf("the unlabelled contained Location was taken out: %.900s", b)
	}
	own := read32b(t, e, "/fhir/Encounter/enc34b-valid", e.token("gp", "nhs", "RHX"), "ENC34B-VALID")
	if !strings.Contains(own, refugeName31b) || !strings.Contains(own, `"#refuge"`) {
		t.Errorf("the hospital that labelled the refuge gets the copy masked: %.900s", own)
	}
}

// TestReview34bStaleAfterIdentifierChange: after the social worker's read
// (the labelled set cached), the hospital writes its labelled refuge with
// a new ODS code; the GP's encounter naming the new code must be masked.
func TestReview34bStaleAfterIdentifierChange(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Encounter/enc34b-new", enc32b("enc34b-new", `,"participant":[{"individual":{"identifier":{"system":"`+odsOrg34b+`","value":"NSREF99"},"display":"`+refugeName31b+` NEWCODE"}}]`)})
	sw := e.token("social-worker", "council", "E06000999")
	read32b(t, e, "/fhir/Encounter/enc34b-new", sw, "ENC34B-NEW")
	e.putAll(t, e.token("system", "nhs", "RHX"), [2]string{"/fhir/Organization/refuge31b", `{"resourceType":"Organization","id":"refuge31b",` + rLabel31b + `,
	  "identifier":[{"system":"` + odsOrg34b + `","value":"NSREF99"}],"name":"` + refugeName31b + `"}`})
	if b := read32b(t, e, "/fhir/Encounter/enc34b-new", sw, "ENC34B-NEW"); strings.Contains(b, "NEWCODE") {
		t.Errorf("social worker: after the refuge's ODS code changed to NSREF99, a logical reference to NSREF99 goes out: …%s…", snippet32b(b, "NEWCODE"))
	}
}

// TestReview34bStaleAfterDerivedLabel: an unlabelled HealthcareService
// (cached as such by a read) is written again with a sexual-health code
// in its type, from which carex derives a label; a logical reference to
// it must be masked at the next read.
func TestReview34bStaleAfterDerivedLabel(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	hosp := e.token("system", "nhs", "RHX")
	hs := func(extra string) string {
		return `{"resourceType":"HealthcareService","id":"hs34b","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"NSHS34"}],"name":"HS34B CLINIC"` + extra + `}`
	}
	e.putAll(t, hosp, [2]string{"/fhir/HealthcareService/hs34b", hs("")})
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Encounter/enc34b-hs", enc32b("enc34b-hs", `,"participant":[{"individual":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"NSHS34"},"display":"HS34B CLINIC LOGICAL"}}]`)})
	sw := e.token("social-worker", "council", "E06000999")
	if b := read32b(t, e, "/fhir/Encounter/enc34b-hs", sw, "ENC34B-HS"); !strings.Contains(b, "HS34B CLINIC LOGICAL") {
		t.Fatalf("premise: unlabelled, released: %.400s", b)
	}
	e.putAll(t, hosp, [2]string{"/fhir/HealthcareService/hs34b", hs(`,"type":[{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}]`)})
	if r := e.do("GET", "/fhir/HealthcareService/hs34b", sw, ""); r.status != 404 {
		t.Skipf("no label derived on the HealthcareService (GET %d): nothing to probe", r.status)
	}
	if b := read32b(t, e, "/fhir/Encounter/enc34b-hs", sw, "ENC34B-HS"); strings.Contains(b, "HS34B CLINIC LOGICAL") {
		t.Errorf("social worker: the HealthcareService now withheld (derived label), its logical reference still named: …%s…", snippet32b(b, "HS34B"))
	}
}

// TestReview34bSoundStoredPractitionerRoleNamingLabelledPractitioner: an
// unlabelled PractitionerRole (directory data) naming the labelled
// practitioner by identifier and by literal reference with display.
func TestReview34bSoundStoredPractitionerRoleNamingLabelledPractitioner(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	hosp := e.token("system", "nhs", "RHX")
	e.putAll(t, hosp, [2]string{"/fhir/Practitioner/prac34c", `{"resourceType":"Practitioner","id":"prac34c",` + rLabel31b + `,
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"SDS34C"}],"name":[{"text":"PRAC34C OUTREACH"}]}`},
		[2]string{"/fhir/PractitionerRole/pr34c", `{"resourceType":"PractitionerRole","id":"pr34c","code":[{"text":"PR34C ROLE"}],
	  "practitioner":{"reference":"Practitioner/prac34c","display":"PRAC34C OUTREACH LIT"}}`},
		[2]string{"/fhir/PractitionerRole/pr34d", `{"resourceType":"PractitionerRole","id":"pr34d","code":[{"text":"PR34D ROLE"}],
	  "practitioner":{"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"SDS34C"},"display":"PRAC34C OUTREACH LOG"}}`})
	sw := e.token("social-worker", "council", "E06000999")
	for _, p := range []string{"/fhir/PractitionerRole/pr34c", "/fhir/PractitionerRole/pr34d", "/fhir/PractitionerRole?_id=pr34c,pr34d"} {
		r := e.do("GET", p, sw, "")
		if r.status != 200 || !strings.Contains(r.body, " ROLE") {
			t.Errorf("premise: GET %s: %d %.300s", p, r.status, r.body)
		}
		if strings.Contains(r.body, "PRAC34C") {
			t.Errorf("social worker: GET %s -> %d names the labelled practitioner: …%s…", p, r.status, snippet32b(r.body, "PRAC34C"))
		}
	}
}

// TestReview34bNarrativeLinkToRemovedContainedCopy: the GP's encounter's
// narrative links its contained refuge copy (<a href="#refuge">). The copy
// is taken out for the social worker, and "#refuge" is in the mask
// (logicalRefs), but the narrative's link goes out as stored: it points at
// nothing in the resource released, and its local id tells what was there.
func TestReview34bNarrativeLinkToRemovedContainedCopy(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Encounter/enc34b-narr", enc32b("enc34b-narr",
		`,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Seen at <a href=\"#refuge\">the place</a></div>"},
		  "contained":[`+refugeCopy34b("refuge")+`],"serviceProvider":{"reference":"#refuge"}`)})
	sw := e.token("social-worker", "council", "E06000999")
	b := read32b(t, e, "/fhir/Encounter/enc34b-narr", sw, "ENC34B-NARR")
	if strings.Contains(b, refugeName31b) {
		t.Fatalf("the copy itself released: %.600s", b)
	}
	if strings.Contains(b, `#refuge`) {
		t.Errorf("social worker E06000999: GET /fhir/Encounter/enc34b-narr: the contained refuge copy is taken out and serviceProvider masked, but the narrative's link to it stays: …%s…", snippet32b(b, "#refuge"))
	}
}

// TestReview34bNoteContainedCopyByNameOnly: a contained Organization
// with the refuge's name and address but no identifier. Nothing stored
// ties it to the labelled item (no identifier; a contained id is local):
// logged, not asserted (out of scope of an identifier match).
func TestReview34bNoteContainedCopyByNameOnly(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Encounter/enc34b-name", enc32b("enc34b-name",
		`,"contained":[{"resourceType":"Organization","id":"refuge31b","name":"`+refugeName31b+`","address":[{"line":["`+refugeAddr31b+`"]}]}],"serviceProvider":{"reference":"#refuge31b"}`)})
	b := read32b(t, e, "/fhir/Encounter/enc34b-name", e.token("social-worker", "council", "E06000999"), "ENC34B-NAME")
	t.Logf("contained copy by name only (id refuge31b, no identifier), released to the social worker: %v", strings.Contains(b, refugeName31b))
}

// TestReview34bSoundFixScope (fix 34b): beside a Bundle entry copy of the
// refuge, an unlabelled organisation's entry and the references to it
// stay, the reference to the copy is masked; the hospital that labelled
// the refuge gets the copy; an unlabelled organisation's ODS code as a
// valueIdentifier, and a telephone number, stay.
func TestReview34bSoundFixScope(t *testing.T) {
	e := newEnv(t)
	seed31b(t, e)
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Bundle/b34b-scope", `{"resourceType":"Bundle","id":"b34b-scope","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000021","resource":` + enc32b("enc34b-scope", `,"serviceProvider":{"reference":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000022"},"participant":[{"individual":{"reference":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000023","display":"PLAIN34B ENTRYREF"}}]`) + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000022","resource":` + refugeCopy34b("x34b") + `},
	  {"fullUrl":"urn:uuid:3b0c1f1e-0000-4000-8000-000000000023","resource":{"resourceType":"Organization","id":"y34b","identifier":[{"system":"` + odsOrg34b + `","value":"PLAIN34"}],"name":"PLAIN34B ENTRY"}}]}`},
		[2]string{"/fhir/Encounter/enc34b-keep", enc32b("enc34b-keep", `,"extension":[{"url":"https://example.org/x","valueIdentifier":{"system":"`+odsOrg34b+`","value":"PLAIN34V"}}],
		  "contained":[{"resourceType":"Organization","id":"o","identifier":[{"system":"`+odsOrg34b+`","value":"PLAIN34C"}],"name":"PLAIN34B CONT","telecom":[{"system":"phone","value":"0113 496 0000"}]}],"serviceProvider":{"reference":"#o"}`)})
	rcx := e.token("hospital-clinician", "nhs", "RCX")
	b := read32b(t, e, "/fhir/Bundle/b34b-scope", rcx, "ENC34B-SCOPE")
	for _, s := range []string{refugeName31b, "NSREF31", "000000000022"} {
		if strings.Contains(b, s) {
			t.Errorf("RCX: %q left in: …%s…", s, snippet32b(b, s))
		}
	}
	for _, s := range []string{"PLAIN34B ENTRY\"", "PLAIN34B ENTRYREF", "000000000023"} {
		if !strings.Contains(b, s) {
			t.Errorf("RCX: the unlabelled entry or its reference lost %q: %.1200s", s, b)
		}
	}
	if own := read32b(t, e, "/fhir/Bundle/b34b-scope", e.token("gp", "nhs", "RHX"), "ENC34B-SCOPE"); !strings.Contains(own, refugeName31b) || !strings.Contains(own, "000000000022\"}") {
		t.Errorf("the hospital that labelled the refuge gets the copy masked: %.1200s", own)
	}
	k := read32b(t, e, "/fhir/Encounter/enc34b-keep", e.token("social-worker", "council", "E06000999"), "ENC34B-KEEP")
	for _, s := range []string{"PLAIN34V", "PLAIN34B CONT", `"#o"`, "0113 496 0000"} {
		if !strings.Contains(k, s) {
			t.Errorf("social worker: %q (nothing labelled) masked: %.900s", s, k)
		}
	}
}
