package api_test

// Review 75a: a re-read of 187cdb0 (contactPart's notPhoneStarts and
// notPhoneEnds; NormString by NFKD) and 966834a (development-token
// messages), each probe saying what the parent 3414d91 (this same file run
// from git archive) did. Set-ups: review 68a's seed68a (Patient/r68
// restricted, u68 not) read by RHX's hospital clinician, and Patients of
// practice A81001 searched by its GP.

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api/auth"
)

// r75aUnread is review 73a's r73aUnread (copied so that this file runs in
// the parent's tree): a council DocumentReference of p whose attachment is
// body (type ct), read by RHX's hospital clinician; whether the data went
// whole.
func r75aUnread(t *testing.T, e *env, p, id, ct, body string) bool {
	t.Helper()
	data := base64.StdEncoding.EncodeToString([]byte(body))
	e.putAll(t, e.token("system", "council", "E06000999"),
		[2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/` + p + `"},
			"type":{"text":"R75-DOC"},"content":[{"attachment":{"contentType":"` + ct + `","data":"` + data + `"}}]}`})
	r := e.do("GET", "/fhir/DocumentReference/"+id, hosp68a(e, "h75-"+id), "")
	if r.status != 200 || !strings.Contains(r.body, "R75-DOC") {
		t.Fatalf("premise: %s: %d %.300s", id, r.status, r.body)
	}
	return strings.Contains(r.body, data)
}

// --- 1. contactPart ----------------------------------------------------------

// TestReview75aSoundUnreadNamesBrief: the brief's names for her phone, a
// phone's word at one end and a not-phone word at the same or the other
// end — <motelTel>, <MOTEL_TEL>, <MOTELTEL>, <hoteltelephone>,
// <telecaretel>, "mobilisationMobile", "mobilisationmobile",
// <telehealthTel>, "hotelmobno", <TelecareMob> — are all masked in her
// unread XML/JSON (the end tel/mob is found on is excused only by a word
// covering that end); mobilisationPlan, hotelName, telecareAlarm,
// motelStay go whole. <telehealthNo> and "telecareNumber" (the number of a
// service, or her line?) go whole: logged only, ambiguous (3414d91 masked
// both, and telecareAlarm too).
func TestReview75aSoundUnreadNamesBrief(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	masked := []struct{ ct, body string }{
		{"application/xml", `<stay><motelTel>07700 900731</motelTel></stay>`},
		{"application/xml", `<stay><MOTEL_TEL>07700 900731</MOTEL_TEL></stay>`},
		{"application/xml", `<stay><MOTELTEL>07700 900731</MOTELTEL></stay>`},
		{"application/xml", `<stay><hoteltelephone>07700 900731</hoteltelephone></stay>`},
		{"application/xml", `<pkg><telecaretel>07700 900731</telecaretel></pkg>`},
		{"application/json", `{"rehab":{"mobilisationMobile":"07700 900731"}}`},
		{"application/json", `{"rehab":{"mobilisationmobile":"07700 900731"}}`},
		{"application/xml", `<pkg><telehealthTel>07700 900731</telehealthTel></pkg>`},
		{"application/json", `{"stay":{"hotelmobno":"07700 900731"}}`},
		{"application/xml", `<pkg><TelecareMob>07700 900731</TelecareMob></pkg>`},
	}
	whole := []struct{ ct, body string }{
		{"application/json", `{"rehab":{"mobilisationPlan":"walk daily"}}`},
		{"application/xml", `<stay><hotelName>Premier Inn</hotelName></stay>`},
		{"application/xml", `<pkg><telecareAlarm>pendant</telecareAlarm></pkg>`},
		{"application/xml", `<stay><motelStay>2 nights</motelStay></stay>`},
	}
	for i, d := range masked {
		if !r75aUnread(t, e, "u68", fmt.Sprintf("u68-r75a-m-%d", i), d.ct, d.body) {
			t.Fatalf("premise: an unrestricted person's document is not whole: %s", d.body)
		}
		if r75aUnread(t, e, "r68", fmt.Sprintf("r68-r75a-m-%d", i), d.ct, d.body) {
			t.Errorf("her %s %s goes to RHX whole (her phone in it)", d.ct, d.body)
		}
	}
	for i, d := range whole {
		if !r75aUnread(t, e, "r68", fmt.Sprintf("r68-r75a-w-%d", i), d.ct, d.body) {
			t.Errorf("her %s %s (no phone) is masked for RHX", d.ct, d.body)
		}
	}
	for i, d := range []struct{ ct, body string }{
		{"application/xml", `<pkg><telehealthNo>07700 900731</telehealthNo></pkg>`},
		{"application/json", `{"pkg":{"telecareNumber":"07700 900731"}}`},
	} {
		t.Logf("ambiguous %s: whole=%v", d.body, r75aUnread(t, e, "r68", fmt.Sprintf("r68-r75a-a-%d", i), d.ct, d.body))
	}
}

// TestReview75aUnreadOrdinaryNamesMasked: names in ordinary care documents
// that merely begin with "tel" — a form's <TellUsAboutYou> section, the
// Shrewsbury and Telford trust's <telfordSite>, a <teleconference> date —
// mask her whole document for the hospital clinician: contactPart takes
// any part beginning with tel as a phone but for notPhoneStarts (tell,
// telford, teleconf are not among them). README rule 7 masks what "names
// a contact as a name does". Severity: over-withholding. Same on 3414d91
// (not a regression).
func TestReview75aUnreadOrdinaryNamesMasked(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	for i, d := range []struct{ ct, body string }{
		{"application/xml", `<assessment><TellUsAboutYou>I like gardening</TellUsAboutYou></assessment>`},
		{"application/json", `{"referral":{"telfordSite":"Princess Royal Hospital"}}`},
		{"application/xml", `<review><teleconference>2024-03-05</teleconference></review>`},
	} {
		if !r75aUnread(t, e, "r68", fmt.Sprintf("r68-r75a-o-%d", i), d.ct, d.body) {
			t.Errorf("her %s %s (no phone) is masked for RHX", d.ct, d.body)
		}
	}
}

// --- 2. NormString over HTTP -------------------------------------------------

func r75aPatient(id, family, given string) string {
	return `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"` + family + `","given":["` + given + `"]}],"birthDate":"1960-01-01",
		"generalPractitioner":[{"reference":"Organization/A81001"}]}`
}

func r75aIDs(t *testing.T, e *env, tok, q string) []string {
	t.Helper()
	r := e.do("GET", "/fhir/Patient?"+q, tok, "")
	if r.status != 200 {
		t.Fatalf("%s: %d %.300s", q, r.status, r.body)
	}
	var b struct {
		Entry []struct {
			Resource struct{ ResourceType, ID string }
		}
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, en := range b.Entry {
		if en.Resource.ResourceType == "Patient" {
			ids = append(ids, en.Resource.ID)
		}
	}
	return ids
}

// TestReview75aNameSearchFindsAnotherPerson: the practice's GP searches
// family:exact=カトウ (Katō) and is offered ガトウ (Gatō) too, and
// family=기 (the surname Ki) offers every 김 (Kim): 187cdb0's NormString
// decomposes (NFKD) and drops every combining mark, and kana voicing
// marks and Hangul jamo are not accents. FHIR R4 search: ":exact … the
// search parameter value must match exactly"; README (string search):
// "without case and accents". Severity: a wrong person offered by a
// name search (patient-matching risk), nothing withheld released.
// 3414d91: [k1] and [] (both as wanted).
func TestReview75aNameSearchFindsAnotherPerson(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys,
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery"}`},
		[2]string{"/fhir/Patient/k1", r75aPatient("k1", "カトウ", "ハナコ")},
		[2]string{"/fhir/Patient/k2", r75aPatient("k2", "ガトウ", "ハナコ")},
		[2]string{"/fhir/Patient/k3", r75aPatient("k3", "김", "민준")},
	)
	gp := e.token("gp", "nhs", "A81001")
	if got := r75aIDs(t, e, gp, "family:exact="+url.QueryEscape("カトウ")); len(got) != 1 || got[0] != "k1" {
		t.Errorf("family:exact=カトウ: %v, want [k1] (k2 is ガトウ)", got)
	}
	if got := r75aIDs(t, e, gp, "family="+url.QueryEscape("기")); len(got) != 0 {
		t.Errorf("family=기: %v, want none (k3 is 김)", got)
	}
	if got := r75aIDs(t, e, gp, "given="+url.QueryEscape("민준")); len(got) != 1 || got[0] != "k3" {
		t.Errorf("premise/sound: given=민준: %v, want [k3]", got)
	}
}

// TestReview75aSoundSortFamilyAccents: _sort=family orders accented
// families by their folded letters: Ábel, Șerban, Smith, Zeta (3414d91:
// Șerban, its ș not folded, came after Zeta).
func TestReview75aSoundSortFamilyAccents(t *testing.T) {
	e := newEnv(t)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys,
		[2]string{"/fhir/Organization/A81001", `{"resourceType":"Organization","id":"A81001","name":"Riverside Surgery"}`},
		[2]string{"/fhir/Patient/s1", r75aPatient("s1", "Zeta", "Ann")},
		[2]string{"/fhir/Patient/s2", r75aPatient("s2", "Șerban", "Ann")},
		[2]string{"/fhir/Patient/s3", r75aPatient("s3", "Smith", "Ann")},
		[2]string{"/fhir/Patient/s4", r75aPatient("s4", "A\u0301bel", "Ann")},
	)
	got := r75aIDs(t, e, e.token("gp", "nhs", "A81001"), "given=ann&_sort=family")
	if strings.Join(got, ",") != "s4,s2,s3,s1" {
		t.Errorf("_sort=family: %v, want [s4 s2 s3 s1] (Ábel, Șerban, Smith, Zeta)", got)
	}
}

// --- 5. Development-token messages -----------------------------------------

// TestReview75aDevTokenOtherKeyOnDevAndJWKSServer: a server started with
// both --dev and --jwks (README: "--dev … also accept tokens signed with
// the development key") given a development token minted with another
// --dev-key answers 401 "unknown kid": 966834a's new message ("signed with
// another development key than this server's: mint it with the --dev-key
// …") is given only when there is no --jwks, though the kid is as plainly
// a development one. Severity: a cost (a newcomer's what-to-do); nothing
// released. 3414d91: "unknown kid" too. An expired development token says
// "token expired" on both (checked, sound).
func TestReview75aDevTokenOtherKeyOnDevAndJWKSServer(t *testing.T) {
	newKey := func() *auth.DevKey {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := auth.NewDevKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serverKey, otherKey := newKey(), newKey()
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	other := newKey()
	x := base64.RawURLEncoding.EncodeToString(other.Private.Public().(ed25519.PublicKey))
	os.WriteFile(jwks, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"idp-1","alg":"EdDSA","use":"sig","x":"`+x+`"}]}`), 0o600)
	v, err := auth.NewVerifier(auth.Config{DevKey: serverKey, JWKS: jwks})
	if err != nil {
		t.Fatal(err)
	}
	claims := auth.DevClaims{Sub: "n1", Role: "district-nurse", Sector: "nhs", Org: "RCX", TTL: time.Hour}
	tok, err := otherKey.Mint(claims)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tok); err == nil {
		t.Fatal("a token of another dev key was accepted")
	} else if !strings.Contains(err.Error(), "development key") && !strings.Contains(err.Error(), "dev-key") {
		t.Errorf("--dev and --jwks, a token of another development key: %q says nothing of the key to mint it with", err)
	}
	good, _ := serverKey.Mint(claims)
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Errorf("premise: the server's own dev token: %v", err)
	}
	// Expired: a verifier whose clock is two hours on.
	v2, err := auth.NewVerifier(auth.Config{DevKey: serverKey, JWKS: jwks, Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(t.Context(), good); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired dev token: %v, want token expired", err)
	} else {
		t.Logf("expired dev token: %v", err)
	}
}

// TestReview75aSoundRestrictedAddressSearchFolded: RHX's hospital
// clinician searching by her withheld address or phone — plainly, and in
// the forms 187cdb0 now folds (full-width letters, a decomposed accent, a
// ligature) — never finds the restricted Patient/r68 by them (SPEC §5: her
// address is never released outside the source organisation; a match
// would confirm it), while u68's unrestricted address finds u68.
func TestReview75aSoundRestrictedAddressSearchFolded(t *testing.T) {
	e := newEnv(t, withAccessLog(t, nil))
	seed68a(t, e)
	hosp := hosp68a(e, "h75-addr")
	if got := r75aIDs(t, e, hosp, "address:contains="+url.QueryEscape("ｑｕｉｅｔ")+"&family=unrestricted"); !slices.Contains(got, "u68") {
		t.Errorf("premise: the full-width search does not find u68: %v", got)
	}
	for _, q := range []string{"address=r68-refuge", "address=" + url.QueryEscape("ｒ６８-ＲＥＦＵＧＥ"), "address:contains=" + url.QueryEscape("ｑｕｉｅｔ"),
		"address:contains=" + url.QueryEscape("Qu\u0131et"), "address-postalcode=" + url.QueryEscape("ＬＳ８"), "address:contains=" + url.QueryEscape("ｃｌｏｓｅ")} {
		got := r75aIDs(t, e, hosp, q)
		if slices.Contains(got, "r68") {
			t.Errorf("%s finds the restricted r68: %v", q, got)
		}
		if q == "address=r68-refuge" && !slices.Contains(got, "u68") {
			t.Errorf("premise: %s does not find u68: %v", q, got)
		}
	}
}
