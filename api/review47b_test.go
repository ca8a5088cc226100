package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/carex-project/carex/api/auth"
)

// Review 47b: a re-read of 9a5ce77 (purposeCovered) and f359c1b
// (bareNumbers, carriesNumbers, _sort=identifier, :missing on _id).

const nhsOID47b = "urn:oid:2.16.840.1.113883.2.1.4.1"

// seed47bCarer: seed46c plus a carer RelatedPerson of r46 written by her
// practice, with the carer's own NHS number 9990001057.
func seed47bCarer(t *testing.T, e *env, local string) {
	t.Helper()
	seed46c(t, e, local)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		[2]string{"/fhir/RelatedPerson/r46-carer", `{"resourceType":"RelatedPerson","id":"r46-carer","patient":{"reference":"Patient/r46"},
		 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001057"}],"name":[{"family":"CarerOfR46"}]}`})
}

func has47b(body, id string) bool { return strings.Contains(body, `"id":"`+id+`"`) }

// TestReview47bSoundVariantNHSSystemFindsRestrictedForCareTeam: the district
// nurse of her care team searches for the restricted person by her own NHS
// number under a form of the NHS number system the store matches
// (fhir.IsNHSNumberSystem; review 41a). She is released (redacted) under
// the canonical form; under the http:// or OID form she must be too.
func TestReview47bSoundVariantNHSSystemFindsRestrictedForCareTeam(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	nurse := e.token("district-nurse", "nhs", "RCX")
	ctl := e.do("GET", "/fhir/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990001006"), nurse, "")
	if ctl.status != 200 || !has47b(ctl.body, "r46") {
		t.Fatalf("premise: canonical system finds her: %d %.300s", ctl.status, ctl.body)
	}
	for _, sys := range []string{"http://fhir.nhs.uk/Id/nhs-number", nhsOID47b, "HTTPS://FHIR.NHS.UK/Id/nhs-number"} {
		r := e.do("GET", "/fhir/Patient?identifier="+url.QueryEscape(sys+"|9990001006"), nurse, "")
		if r.status != 200 || !has47b(r.body, "r46") {
			t.Errorf("Patient?identifier=%s|9990001006 (her own NHS number) as her care team's district nurse: %d, she is silently absent: %.300s", sys, r.status, r.body)
		}
	}
	// the non-restricted p46 under the same form, for contrast
	r := e.do("GET", "/fhir/Patient?identifier="+url.QueryEscape("http://fhir.nhs.uk/Id/nhs-number|9990001014"), nurse, "")
	t.Logf("p46 by http:// form: %d found=%v", r.status, has47b(r.body, "p46"))
}

// TestReview47bIncludeDropsRestrictedPatient: a search for her carer by the
// carer's bare NHS number, including the carer's patient. The included
// Patient is not a match of the bare number; she must come in (redacted)
// as she does when the same number is written with its system.
func TestReview47bIncludeDropsRestrictedPatient(t *testing.T) {
	e := newEnv(t)
	seed47bCarer(t, e, "1000")
	nurse := e.token("district-nurse", "nhs", "RCX")
	sys := e.do("GET", "/fhir/RelatedPerson?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990001057")+"&_include=RelatedPerson:patient", nurse, "")
	if sys.status != 200 || !has47b(sys.body, "r46-carer") || !has47b(sys.body, "r46") {
		t.Fatalf("premise: with the system, carer and her Patient: %d %.500s", sys.status, sys.body)
	}
	if strings.Contains(sys.body, "SECRET-ADDR") {
		t.Errorf("her address released: %.300s", sys.body)
	}
	bare := e.do("GET", "/fhir/RelatedPerson?identifier=9990001057&_include=RelatedPerson:patient", nurse, "")
	if bare.status != 200 || !has47b(bare.body, "r46-carer") || !has47b(bare.body, "r46") {
		t.Errorf("RelatedPerson?identifier=9990001057&_include=RelatedPerson:patient: %d, her (included) Patient silently dropped though the system form includes her: %.600s", bare.status, bare.body)
	}
	// and Patient?identifier=<her number>&_revinclude=RelatedPerson:patient
	revSys := e.do("GET", "/fhir/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990001006")+"&_revinclude=RelatedPerson:patient", nurse, "")
	t.Logf("system form revinclude: r46=%v carer=%v", has47b(revSys.body, "r46"), has47b(revSys.body, "r46-carer"))
	carer := e.do("GET", "/fhir/RelatedPerson/r46-carer", nurse, "")
	t.Logf("read carer: %d %.400s", carer.status, carer.body)
	rev := e.do("GET", "/fhir/Patient?identifier=9990001006&_revinclude=RelatedPerson:patient", nurse, "")
	if rev.status != 200 || !has47b(rev.body, "r46") || !has47b(rev.body, "r46-carer") {
		t.Errorf("Patient?identifier=9990001006&_revinclude=RelatedPerson:patient: %d, r46=%v carer=%v (system form: r46=%v carer=%v)", rev.status, has47b(rev.body, "r46"), has47b(rev.body, "r46-carer"), has47b(revSys.body, "r46"), has47b(revSys.body, "r46-carer"))
	}
}

// TestReview47bConditionalReferenceByPracticeNumber: a search by a bare
// value that is her redacted practice number (passing modulus 11) no
// longer finds her (review 46c); a conditional reference by the same
// query, written by the community trust (her care team), must not resolve
// to her either: which it does or not tells her practice number.
func TestReview47bSoundConditionalReferenceByPracticeNumber(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "9990001022")
	rcx := e.token("system", "nhs", "RCX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Patient?identifier=9990001022", nurse, ""); has47b(r.body, "r46") {
		t.Fatalf("premise (46c): the search finds her")
	}
	tx := func(num string) response47b {
		b := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"TX47B"},"subject":{"reference":"Patient?identifier=` + num + `"}},"request":{"method":"POST","url":"Observation"}}]}`
		r := e.do("POST", "/fhir", rcx, b)
		return response47b{r.status, r.body}
	}
	hit, miss := tx("9990001022"), tx("9990001030")
	own := tx("9990001006")
	t.Logf("her NHS number: %d %.300s", own.status, own.body)
	t.Logf("practice number: %d %.300s", hit.status, hit.body)
	t.Logf("no one's: %d %.300s", miss.status, miss.body)
	if hit.status != miss.status {
		t.Errorf("transaction with reference Patient?identifier=9990001022 (her redacted practice number) answers %d, one with 9990001030 (no one's) %d: the conditional reference tells her practice number", hit.status, miss.status)
	}
	// conditional update of an Observation by the same condition on subject is
	// not asked; If-None-Exist on Patient:
	ine := func(num string) int {
		r := e.do("POST", "/fhir/Patient", rcx, `{"resourceType":"Patient","name":[{"family":"INE47B"}]}`, "If-None-Exist", "identifier="+num)
		t.Logf("If-None-Exist identifier=%s: %d %.200s", num, r.status, r.body)
		return r.status
	}
	ine("9990001006")
	if a, b := ine("9990001022"), ine("9990001065"); a != b {
		t.Errorf("POST Patient If-None-Exist: identifier=9990001022 (her practice number) %d, identifier=9990001065 %d", a, b)
	}
}

type response47b struct {
	status int
	body   string
}

// TestReview47bSoundSpacedNumberFindsHer: SPEC §5 accepts NHS numbers with
// spaces; her own number spaced still finds her for the care team, and her
// spaced practice number still does not.
func TestReview47bSoundSpacedNumberFindsHer(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "9990001022")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{"999%20000%201006", url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|999 000 1006")} {
		r := e.do("GET", "/fhir/Patient?identifier="+q, nurse, "")
		t.Logf("%s: %d found=%v", q, r.status, has47b(r.body, "r46"))
		if r.status == 200 && !has47b(r.body, "r46") {
			// the plain spaced number: compare with p46's behaviour
			p := e.do("GET", "/fhir/Patient?identifier="+strings.ReplaceAll(q, "1006", "1014"), nurse, "")
			if has47b(p.body, "p46") {
				t.Errorf("Patient?identifier=%s: p46 found by her spaced number, r46 not: %.300s", q, r.body)
			}
		}
	}
	for _, q := range []string{"999%20000%201022", "%7C9990001022", "999-000-1022"} {
		a := e.do("GET", "/fhir/Patient?identifier="+q, nurse, "")
		if has47b(a.body, "r46") {
			t.Errorf("Patient?identifier=%s (her practice number) finds her: %.300s", q, a.body)
		}
	}
	for _, q := range []string{"%7C9990001006", "999-000-1006"} {
		r := e.do("GET", "/fhir/Patient?identifier="+q, nurse, "")
		t.Logf("%s: %d found=%v", q, r.status, has47b(r.body, "r46"))
	}
}

// TestReview47bSoundBareCountAndSortAlike: _summary=count and
// _sort=identifier with a bare practice number answer as a wrong guess.
func TestReview47bSoundBareCountAndSortAlike(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "9990001022")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, p := range [][2]string{
		{"identifier=9990001022&_summary=count", "identifier=9990001030&_summary=count"},
		{"_id=r46,p46&identifier=9990001022,9990001014&_summary=count", "_id=r46,p46&identifier=9990001030,9990001014&_summary=count"},
		{"identifier=9990001022&_revinclude=CareTeam:subject", "identifier=9990001030&_revinclude=CareTeam:subject"},
		{"identifier=9990001006,9990001014&_sort=identifier", "identifier=9990001006,9990001014&_sort=-identifier"},
	} {
		a := e.do("GET", "/fhir/Patient?"+p[0], nurse, "")
		b := e.do("GET", "/fhir/Patient?"+p[1], nurse, "")
		strip := func(s string) string {
			if i := strings.Index(s, `"total"`); i >= 0 {
				return s[i : i+12]
			}
			return ""
		}
		if p[0][len(p[0])-5:] == "count" && strip(a.body) != strip(b.body) {
			t.Errorf("%s vs %s: %s vs %s", p[0], p[1], strip(a.body), strip(b.body))
		}
		if !strings.Contains(p[0], "_sort") && has47b(a.body, "r46") != has47b(b.body, "r46") {
			t.Errorf("%s vs %s differ on r46", p[0], p[1])
		}
		if strings.Contains(p[0], "_sort") && (has47b(a.body, "r46") || has47b(b.body, "r46")) {
			t.Logf("_sort=identifier keeps her: %v", has47b(a.body, "r46"))
		}
	}
}

// consent47b: Jane's consent with provision extra.
func purposeTok47b(e *env, role, sector, org, purpose string) string {
	return e.token(role, sector, org, func(c *auth.DevClaims) { c.Purpose = purpose; c.Sub = role + "-47b-" + purpose })
}

const treatRCX47b = `"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"%P%"}],"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]`

func actorPurpose47b(p string) string { return strings.ReplaceAll(treatRCX47b, "%P%", p) }

// TestReview47bSoundPermitForTreatCoversSpecialisations: Jane opted out,
// except for treatment by RCX (nested permit, purpose TREAT). A nurse of
// RCX with purpose TREAT, ETREAT or COC is inside the exception; a permit
// for ETREAT only does not release to a TREAT nurse.
func TestReview47bSoundPermitForTreatCoversSpecialisations(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/j47b", janeConsent("j47b", "2026-01-10", "OPTOUT",
		`,"provision":{"type":"deny","provision":[{"type":"permit",`+actorPurpose47b("TREAT")+`}]}`)})
	for _, p := range []string{"TREAT", "ETREAT", "COC"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", purposeTok47b(e, "district-nurse", "nhs", "RCX", p), "")
		if !strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("permit TREAT to RCX, nurse purpose %s: %d, GP-DIABETES not released: %.300s", p, r.status, r.body)
		}
	}
	e.putAll(t, gp, [2]string{"/fhir/Consent/j47b", janeConsent("j47b", "2026-01-11", "OPTOUT",
		`,"provision":{"type":"deny","provision":[{"type":"permit",`+actorPurpose47b("ETREAT")+`}]}`)})
	for p, want := range map[string]bool{"TREAT": false, "COC": false, "ETREAT": true} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", purposeTok47b(e, "district-nurse", "nhs", "RCX", p), "")
		if strings.Contains(r.body, "GP-DIABETES") != want {
			t.Errorf("permit ETREAT to RCX, nurse purpose %s: GP-DIABETES released=%v, want %v", p, !want, want)
		}
	}
	// a deny listing several purposes (COC, ETREAT): a TREAT nurse passes; COC, ETREAT do not
	e.putAll(t, gp, [2]string{"/fhir/Consent/j47b", janeConsent("j47b", "2026-01-12", "OPTIN",
		`,"provision":{"type":"permit","provision":[{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"COC"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"ETREAT"}],"actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"Organization/RCX"}}]}]}`)})
	for p, want := range map[string]bool{"TREAT": true, "COC": false, "ETREAT": false} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", purposeTok47b(e, "district-nurse", "nhs", "RCX", p), "")
		if strings.Contains(r.body, "GP-DIABETES") != want {
			t.Errorf("deny COC,ETREAT to RCX, nurse purpose %s: GP-DIABETES released=%v, want %v", p, !want, want)
		}
	}
}

// TestReview47bSoundBreakGlassETREATOverTreatDeny: a deny for TREAT to RHX
// holds against an ETREAT clinician without break-glass; with
// X-Break-Glass it is overridden (SPEC §5 layer 5) and flagged.
func TestReview47bSoundBreakGlassETREATOverTreatDeny(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/Consent/j47b", janeConsent("j47b", "2026-01-10", "OPTIN",
		`,"provision":{"type":"permit","provision":[{"type":"deny",`+strings.ReplaceAll(actorPurpose47b("TREAT"), "Organization/RCX", "Organization/RHX")+`}]}`)})
	tok := purposeTok47b(e, "hospital-clinician", "nhs", "RHX", "ETREAT")
	r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
	if strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("deny TREAT to RHX, ETREAT clinician without break-glass: released GP-DIABETES")
	}
	bg := e.do("GET", "/fhir/Patient/jane/$everything", tok, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, no next of kin")
	t.Logf("break-glass ETREAT: %d released=%v", bg.status, strings.Contains(bg.body, "GP-DIABETES"))
	if bg.status != 200 || !strings.Contains(bg.body, "GP-DIABETES") {
		t.Errorf("break-glass with ETREAT over a TREAT deny: %d, not released: %.300s", bg.status, bg.body)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	a := e.do("GET", "/fhir/AuditEvent/$break-glass", ig, "")
	t.Logf("$break-glass: %d %.200s", a.status, a.body)
	// $explain for the ETREAT nurse... record what it says
	x := e.do("GET", "/fhir/Patient/jane/$explain?role=hospital-clinician&org=RHX&sector=nhs&purpose=ETREAT", ig, "")
	t.Logf("$explain purpose=ETREAT: %d %.400s", x.status, x.body)
}

// TestReview47bSoundExplainAgreesOnPurpose: with a deny for ETREAT to RCX,
// $explain for an RCX nurse says permit for TREAT and COC, withhold for
// ETREAT; with a deny for TREAT, withhold for all three; and the nurse's
// own reads agree.
func TestReview47bSoundExplainAgreesOnPurpose(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	ig := e.token("ig-officer", "nhs", "A81001")
	for i, deny := range []string{"ETREAT", "TREAT"} {
		e.putAll(t, gp, [2]string{"/fhir/Consent/j47bx", janeConsent("j47bx", "2026-01-1"+string(rune('0'+i)), "OPTIN",
			`,"provision":{"type":"permit","provision":[{"type":"deny",`+actorPurpose47b(deny)+`}]}`)})
		for _, p := range []string{"TREAT", "ETREAT", "COC"} {
			want := deny == "TREAT" || p == deny
			x := e.do("GET", "/fhir/Patient/jane/$explain?role=district-nurse&org=RCX&sector=nhs&purpose="+p, ig, "")
			r := e.do("GET", "/fhir/Patient/jane/$everything", purposeTok47b(e, "district-nurse", "nhs", "RCX", p), "")
			withheldRead := !strings.Contains(r.body, "GP-DIABETES")
			explDeny := strings.Contains(x.body, "consent-deny")
			t.Logf("deny %s, purpose %s: explain consent-deny=%v, read withheld=%v", deny, p, explDeny, withheldRead)
			if withheldRead != want || explDeny != want {
				t.Errorf("deny %s, purpose %s: read withheld=%v, $explain consent-deny=%v, want %v", deny, p, withheldRead, explDeny, want)
			}
		}
	}
}

// TestReview47bSoundVariantStoredNumberAndAlerts: her NHS number stored
// under the http:// form, the OID, or with spaces; a bare search by it
// finds her (redacted) for the care team's nurse, and the access raises a
// restricted-patient alert naming her. A carer RelatedPerson carrying her
// number (she is Jane's carer) is found by it, not by her practice number.
func TestReview47bSoundVariantStoredNumberAndAlerts(t *testing.T) {
	for _, c := range []struct{ sys, val string }{
		{"http://fhir.nhs.uk/Id/nhs-number", "9990001006"}, {nhsOID47b, "9990001006"},
		{"https://fhir.nhs.uk/Id/nhs-number", "999 000 1006"},
	} {
		e := newEnv(t, withAccessLog(t, nil))
		seedShared(t, e)
		gp := e.token("system", "nhs", "A81001")
		e.putAll(t, gp,
			[2]string{"/fhir/Patient/v47", `{"resourceType":"Patient","id":"v47",` + rLabel46c + `,
			 "identifier":[{"system":"` + c.sys + `","value":"` + c.val + `"},{"system":"https://fhir.a81001.example/Id/local-patient-number","value":"9990001022"}],
			 "name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}]}`},
			[2]string{"/fhir/RelatedPerson/v47-as-carer", `{"resourceType":"RelatedPerson","id":"v47-as-carer","patient":{"reference":"Patient/jane"},
			 "identifier":[{"system":"` + c.sys + `","value":"` + c.val + `"}],"name":[{"family":"Doyle"}],"address":[{"line":["SECRET-ADDR"]}]}`})
		e.putAll(t, e.token("system", "nhs", "RCX"),
			[2]string{"/fhir/CareTeam/v47-nursing", `{"resourceType":"CareTeam","id":"v47-nursing","status":"active","subject":{"reference":"Patient/v47"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
		nurse := e.token("district-nurse", "nhs", "RCX", func(d *auth.DevClaims) { d.Sub = "nurse-47b" })
		r := e.do("GET", "/fhir/Patient?identifier=9990001006", nurse, "")
		if r.status != 200 || !has47b(r.body, "v47") || strings.Contains(r.body, "SECRET-ADDR") {
			t.Errorf("%s|%s: Patient?identifier=9990001006: %d found=%v %.300s", c.sys, c.val, r.status, has47b(r.body, "v47"), r.body)
		}
		if p := r42bAlertedPatients(t, e, "nurse-47b"); !strings.Contains(strings.Join(p, ","), "v47") {
			t.Errorf("%s|%s: no restricted-patient alert naming v47: %v", c.sys, c.val, p)
		}
		rp := e.do("GET", "/fhir/RelatedPerson?identifier=9990001006", nurse, "")
		rp2 := e.do("GET", "/fhir/RelatedPerson?identifier=9990001022", nurse, "")
		t.Logf("%s|%s: RelatedPerson by her number: %d found=%v; by practice number found=%v", c.sys, c.val, rp.status, has47b(rp.body, "v47-as-carer"), has47b(rp2.body, "v47-as-carer"))
		if has47b(rp2.body, "v47-as-carer") || strings.Contains(rp.body, "SECRET-ADDR") {
			t.Errorf("%s|%s: RelatedPerson search: practice number finds her carer record, or address released", c.sys, c.val)
		}
		if m := e.do("GET", "/fhir/Patient?identifier=9990001022", nurse, ""); has47b(m.body, "v47") {
			t.Errorf("%s|%s: her practice number finds her", c.sys, c.val)
		}
	}
}

// TestReview47bSoundOtherRoutesToBareSearch: the same bare practice-number
// search by POST _search and inside a batch answers as a wrong guess; her
// NHS number finds her by each route.
func TestReview47bSoundOtherRoutesToBareSearch(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "9990001022")
	nurse := e.token("district-nurse", "nhs", "RCX")
	post := func(v string) string {
		r := e.do("POST", "/fhir/Patient/_search", nurse, "identifier="+v, "Content-Type", "application/x-www-form-urlencoded")
		return r.body
	}
	batch := func(v string) string {
		r := e.do("POST", "/fhir", nurse, `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?identifier=`+v+`"}},{"request":{"method":"GET","url":"RelatedPerson?identifier=`+v+`&_include=RelatedPerson:patient"}}]}`)
		return r.body
	}
	for name, f := range map[string]func(string) string{"POST _search": post, "batch": batch} {
		hit, miss, own := f("9990001022"), f("9990001030"), f("9990001006")
		if has47b(hit, "r46") || has47b(miss, "r46") {
			t.Errorf("%s: practice number finds her=%v, a wrong guess=%v: %.300s", name, has47b(hit, "r46"), has47b(miss, "r46"), hit)
		}
		if !has47b(own, "r46") {
			t.Errorf("%s: her NHS number does not find her: %.300s", name, own)
		}
	}
}

// TestReview47bSoundRootPurposeConsent: a Consent whose root provision is a
// deny for TREAT (no actor) holds against TREAT, ETREAT and COC nurses;
// one whose root is a deny for COC holds against COC only; each newer one
// supersedes the older.
func TestReview47bSoundRootPurposeConsent(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	for i, c := range []struct {
		p    string
		want map[string]bool // purpose -> withheld
	}{
		{"TREAT", map[string]bool{"TREAT": true, "ETREAT": true, "COC": true}},
		{"COC", map[string]bool{"TREAT": false, "ETREAT": false, "COC": true}},
	} {
		e.putAll(t, gp, [2]string{"/fhir/Consent/j47br", janeConsent("j47br", "2026-02-1"+string(rune('0'+i)), "OPTIN",
			`,"provision":{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"`+c.p+`"}]}`)})
		for p, want := range c.want {
			r := e.do("GET", "/fhir/Patient/jane/$everything", purposeTok47b(e, "district-nurse", "nhs", "RCX", p), "")
			if got := !strings.Contains(r.body, "GP-DIABETES"); got != want {
				t.Errorf("root deny %s, nurse purpose %s: withheld=%v want %v (%d)", c.p, p, got, want, r.status)
			}
		}
	}
	// BTG as a token purpose is refused outright (not served)
	r := e.do("GET", "/fhir/Patient/jane/$everything", purposeTok47b(e, "district-nurse", "nhs", "RCX", "BTG"), "")
	if r.status != 403 {
		t.Errorf("purpose BTG: %d, want 403", r.status)
	}
}

// TestReview47bObserveSortByIdentifierDropsHer: records (does not assert)
// that the care team's nurse searching by her own NHS number, sorted by
// identifier, gets no sign of her and no confidential-items notice (review
// 46c's asksRedacted for _sort=identifier).
func TestReview47bObserveSortByIdentifierDropsHer(t *testing.T) {
	e := newEnv(t)
	seed46c(t, e, "1000")
	nurse := e.token("district-nurse", "nhs", "RCX")
	for _, q := range []string{"identifier=9990001006", "identifier=9990001006&_sort=identifier", "identifier=9990001006&_sort=-identifier"} {
		r := e.do("GET", "/fhir/Patient?"+q, nurse, "")
		t.Logf("Patient?%s: %d found=%v notice=%v", q, r.status, has47b(r.body, "r46"), strings.Contains(r.body, "confidential-items"))
	}
}
