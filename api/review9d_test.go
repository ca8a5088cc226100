package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// Review 9d: a break-glass grant is held by the user at their organisation
// (sub, org, issuer), whatever the role of their token. A hospital
// consultant who is also her trust's Caldicott guardian broke glass on
// Jane as a clinician; as the IG officer, with a token of the same sub and
// organisation, she was then refused Jane's record for the 4 hours of the
// grant ("role ig-officer may not break glass"), though she asked for no
// break-glass and her role needs none.
func TestReview9dGrantDoesNotRefuseTheUsersOtherRole(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	same := func(c *auth.DevClaims) { c.Sub = "dr-smith" }
	clin := e.token("hospital-clinician", "nhs", "RZZ", same)
	ig := e.token("ig-officer", "nhs", "RZZ", same)

	before := e.do("GET", "/fhir/Patient/jane", ig, "")
	if before.status != 200 {
		t.Fatalf("the IG officer reads Jane's demographics before any grant: %d %s", before.status, before.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", clin, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break-glass $everything: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything", "/fhir/Consent?patient=jane"} {
		if r := e.do("GET", path, ig, ""); r.status != 200 {
			t.Errorf("the same user as IG officer after her clinician's grant: GET %s: %d %s", path, r.status, r.body)
		} else if strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("the IG officer was released clinical data under the clinician's grant: GET %s", path)
		}
	}
}

// Review 9d probes (they pass: recorded as sound): break-glass for
// Margaret does not reach Arthur, her husband on her care team, through
// _include, _revinclude or POST $everything's body; a refused break-glass
// leaves no grant.
func TestReview9dBreakGlassStaysWithOnePerson(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	bg := []string{"X-Break-Glass", bgReason}
	for _, path := range []string{
		"/fhir/CareTeam?patient=margaret&_include=CareTeam:participant",
		"/fhir/CareTeam?patient=margaret&_include=CareTeam:patient&_include=CareTeam:participant",
		"/fhir/Patient?_id=margaret&_revinclude=CareTeam:participant",
	} {
		// Control: the couple's GP is given Arthur by the same request.
		if r := e.do("GET", path, e.token("gp", "nhs", "A81001"), ""); strings.Contains(path, "_include") && !strings.Contains(r.body, `"Arthur"`) {
			t.Errorf("control: the GP's GET %s does not include Arthur: %d %.300s", path, r.status, r.body)
		}
		r := e.do("GET", path, ae, "", bg...)
		if r.status != 200 {
			t.Errorf("GET %s: %d %.300s", path, r.status, r.body)
			continue
		}
		if strings.Contains(r.body, `"Arthur"`) {
			t.Errorf("GET %s under break-glass for Margaret released Arthur's Patient: %.600s", path, r.body)
		}
	}
	// POST $everything naming another person in its body.
	r := e.do("POST", "/fhir/Patient/margaret/$everything", ae, `{"resourceType":"Parameters","parameter":[{"name":"patient","valueString":"arthur"}]}`, bg...)
	if strings.Contains(r.body, `"Arthur"`) {
		t.Errorf("POST $everything of Margaret with patient=arthur in its body released Arthur: %d %.600s", r.status, r.body)
	}
	if r.status != 400 {
		t.Errorf("POST $everything with patient in its body: %d, want 400 (not a parameter of $everything)", r.status)
	}
	for _, id := range []string{"arthur"} {
		if g := e.do("GET", "/fhir/Patient/"+id, ae, ""); g.status == 200 {
			t.Errorf("a grant is held for %s after break-glass requests for Margaret", id)
		}
	}
	// Refused break-glass (a role that may not) leaves no grant.
	sw := e.token("social-worker", "council", "E06000001")
	if r := e.do("GET", "/fhir/Patient/margaret", sw, "", bg...); r.status != 403 {
		t.Errorf("social worker's break-glass: %d, want 403", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", sw, ""); r.status == 200 {
		t.Errorf("a refused break-glass left a grant")
	}
}

// Review 9d: a break-glass reason is a stated reason IG can read. Its
// free text counted invisible characters: ten zero-width spaces made the
// ten characters of reason the policy requires, shown to IG as none; and
// a right-to-left override (U+202E) passed as text, reordering how IG's
// reports show the reason and what follows it.
func TestReview9dBreakGlassReasonIsVisibleText(t *testing.T) {
	e := newEnv(t)
	seedCouple(t, e)
	ae := e.token("hospital-clinician", "nhs", "RZZ")
	for name, reason := range map[string]string{
		"zero-width spaces":      "EMERGENCY: " + strings.Repeat("\u200b", 10),
		"word joiners":           "EMERGENCY: x" + strings.Repeat("\u2060", 12),
		"right-to-left override": "EMERGENCY: \u202edetaerht efil ,E&A ni suoicsnocnu",
		"byte order marks":       "LEGAL: " + strings.Repeat("\ufeff", 10),
	} {
		r := e.do("GET", "/fhir/Patient/margaret", ae, "", "X-Break-Glass", reason)
		if r.status != 403 || !strings.Contains(r.body, "break-glass") {
			t.Errorf("%s: break-glass with reason %q: %d %.300s, want 403 naming the reason", name, reason, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/margaret", ae, "", "X-Break-Glass", "EMERGENCY: patient inconsciente en urgencias, sin antecedentes — 患者意識不明"); r.status != 200 {
		t.Errorf("a reason in other scripts: %d %.300s", r.status, r.body)
	}
}

// Review 9d probe (it passes: recorded as sound): a purpose of use is its
// HL7 v3 code as the policy lists it; a variant (lower case, a system|code
// token, padded by spaces inside) is refused with 403 and logged as a
// purpose refusal, naming the person.
func TestReview9dPurposeVariantsAreRefusedAndLogged(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	for _, purpose := range []string{"treat", "Treat", "http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT", "TREAT,HMARKT", "T REAT", "HRESCH", "ETREAT\u200b"} {
		tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = purpose })
		r := e.do("GET", "/fhir/Patient/jane", tok, "")
		if r.status != 403 || strings.Contains(r.body, "Smith") {
			t.Errorf("purpose %q: %d %.200s, want 403", purpose, r.status, r.body)
			continue
		}
		x := e.lastEntry(t)
		if x.Status != 403 || x.Principal == nil || x.Principal.Purpose != purpose || !slices.Contains(x.Reasons, "purpose-not-served") || x.Patient != "jane" {
			t.Errorf("purpose %q: logged as %+v (reasons %v, patient %q)", purpose, x.Principal, x.Reasons, x.Patient)
		}
	}
	tok := e.token("gp", "nhs", "A81001", func(c *auth.DevClaims) { c.Purpose = " TREAT " })
	if r := e.do("GET", "/fhir/Patient/jane", tok, ""); r.status != 200 {
		t.Errorf("purpose \" TREAT \" (trimmed): %d", r.status)
	}
}

// Review 9d: a person's objection to sharing with the council (a deny to
// the council sector) reached the council's users by their token's sector
// claim alone: a token of the council's organisation (E06000999, a local
// authority's code, as carex itself tells a care package by) that said
// sector nhs read her NHS record. A local authority's code with sector
// nhs is refused (401).
func TestReview9dCouncilOrganisationIsCouncilSector(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("PUT", "/fhir/Consent/jane-no-council-sector", gp, janeConsent("jane-no-council-sector", "2026-01-10", "OPTIN",
		`,"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":"https://carex.example/sector","code":"council"}]},"reference":{"display":"any council organisation"}}]}`)); r.status != 201 {
		t.Fatalf("seed consent: %d %s", r.status, r.body)
	}
	honest := e.token("social-worker", "council", "E06000999")
	if r := e.do("GET", "/fhir/Patient/jane/$everything", honest, ""); strings.Contains(r.body, "GP-DIABETES") {
		t.Fatalf("control: the council's social worker read Jane's GP record despite her objection: %d", r.status)
	}
	for _, role := range []string{"social-worker", "gp", "system"} {
		tok := e.token(role, "nhs", "E06000999")
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if strings.Contains(r.body, "GP-DIABETES") {
			t.Errorf("a %s token of the council E06000999 saying sector nhs read Jane's GP record despite her objection to the council: %d", role, r.status)
		}
		if r.status != 401 {
			t.Errorf("a %s token of the council E06000999 saying sector nhs: %d %.200s, want 401", role, r.status, r.body)
		}
	}
}

// Review 9d probe (it passes: recorded as sound): a break-glass grant is
// held per token issuer. On a server that accepts both its identity
// provider's tokens and development tokens, the grant a development
// token's user made is not held by a token of the provider naming the
// same sub and organisation.
func TestReview9dGrantStaysWithTheIssuer(t *testing.T) {
	idp, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{{"kty": "RSA", "kid": "idp", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(idp.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(idp.E)).Bytes())}}})
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dev, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{JWKS: file, DevKey: dev})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Verifier = v })
	e.key = dev
	seedCouple(t, e)
	sub := func(c *auth.DevClaims) { c.Sub = "dr-x" }
	devTok := e.token("hospital-clinician", "nhs", "RZZ", sub)
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "carex", "aud": "carex", "sub": "dr-x", "role": "hospital-clinician",
		"sector": "nhs", "org": "RZZ", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	tok.Header["kid"] = "idp"
	idpTok, err := tok.SignedString(idp)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", idpTok, ""); r.status != 403 {
		t.Fatalf("control: the provider's token before any grant: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", devTok, "", "X-Break-Glass", bgReason); r.status != 200 {
		t.Fatalf("break-glass with the development token: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", devTok, ""); r.status != 200 {
		t.Fatalf("control: the grant holds for the development token: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Patient/margaret", idpTok, ""); r.status != 403 {
		t.Errorf("the grant of the development token's user held for the provider's token of the same sub and org: %d", r.status)
	}
}
