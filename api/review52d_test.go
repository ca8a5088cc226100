package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
)

// Review 52d: the policy file and role mapping, through the API.

// r52dRawToken signs a development token with arbitrary claims (a role
// that is an array, an object, …).
func r52dRawToken(e *env, claims jwt.MapClaims) string {
	now := time.Now()
	base := jwt.MapClaims{"iss": auth.DevIssuer, "aud": auth.DefaultAudience, "sub": "r52d-user", "name": "R52d User",
		"sector": "nhs", "org": "A81001", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, base)
	tok.Header["kid"] = e.key.KID
	s, err := tok.SignedString(e.key.Private)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// r52dLogged returns the statuses of the recorded requests by sub.
func r52dLogged(e *env, sub string) []int {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	var out []int
	for _, x := range e.rec.xs {
		if x.Principal != nil && x.Principal.Sub == sub {
			out = append(out, x.Status)
		}
	}
	return out
}

func r52dRecorded(e *env) int {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	return len(e.rec.xs)
}

// TestReview52dSoundRoleClaimSpellings: RBAC job-role codes in the forms
// README names map to the policy's role; anything else — case variants,
// whitespace, empty, an array, an object, two roles, an unmapped code —
// is refused (never defaulted to a broader role), releases nothing, and
// is recorded.
func TestReview52dSoundRoleClaimSpellings(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	ok := []struct {
		role, org, sees, notSees string
	}{
		{"R8000", "A81001", "GP-HBA1C", ""},
		{"r8000", "A81001", "GP-HBA1C", ""},
		{"S8000:G8000:R8000", "A81001", "GP-HBA1C", ""},
		{"R8001", "RCX", "TRUST-WOUND-CARE", "GP-HBA1C"},
		{"S8000:G8000:R8001", "RCX", "TRUST-WOUND-CARE", "GP-HBA1C"},
		{"R0001", "A81001", "", "GP-DIABETES"},
		{"R5105", "A81001", "", "GP-DIABETES"},
	}
	for _, c := range ok {
		tok := e.token(c.role, "nhs", c.org)
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if c.sees != "" && (r.status != 200 || !strings.Contains(r.body, c.sees)) {
			t.Errorf("role %q: %d, want 200 with %s: %.200s", c.role, r.status, c.sees, r.body)
		}
		if c.notSees != "" && strings.Contains(r.body, c.notSees) {
			t.Errorf("role %q released %s (%d)", c.role, c.notSees, r.status)
		}
	}
	bad := []any{"GP", "Gp", " gp", "gp ", "gp\t", "", "R9999", "S8000:G8000:R9999", "surgeon", "gp,ig-officer", "R8000 R0001",
		"ig_officer", "IG-OFFICER", "SYSTEM", "R8000/", "*",
		[]any{"gp"}, []any{"ig-officer", "gp"}, map[string]any{"code": "R8000"}, 8000, true}
	for i, role := range bad {
		sub := "r52d-bad-" + strings.Repeat("x", i+1)
		before := r52dRecorded(e)
		tok := r52dRawToken(e, jwt.MapClaims{"role": role, "sub": sub})
		r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "")
		if r.status != 401 && r.status != 403 {
			t.Errorf("role %#v: %d, want 401/403: %.200s", role, r.status, r.body)
		}
		if strings.Contains(r.body, "GP-") || strings.Contains(r.body, "jane") && strings.Contains(r.body, "birthDate") {
			t.Errorf("role %#v released data: %.200s", role, r.body)
		}
		if !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("role %#v: not an OperationOutcome: %.200s", role, r.body)
		}
		if r52dRecorded(e) == before {
			t.Errorf("role %#v: refused request not recorded", role)
		}
	}
	// an IG role by job-role code reads the access log
	la := newEnv(t, withAccessLog(t, nil))
	for _, code := range []string{"R0001", "R5105", "S8000:G8000:R5105"} {
		if a := la.do("GET", "/fhir/AuditEvent", la.token(code, "nhs", "A81001"), ""); a.status != 200 {
			t.Errorf("role %q (ig-officer) reading the access log: %d", code, a.status)
		}
	}
	if a := la.do("GET", "/fhir/AuditEvent", la.token("R8000", "nhs", "A81001"), ""); a.status != 403 {
		t.Errorf("R8000 reading the access log: %d", a.status)
	}
	// no role claim at all
	tok := r52dRawToken(e, jwt.MapClaims{"role": nil, "sub": "r52d-norole"})
	if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, ""); r.status != 401 {
		t.Errorf("no role claim: %d", r.status)
	}
}

// r52dPolicyEnv runs the API with a policy file's text, its added roles
// and job roles given to the verifier as carex serve does.
func r52dPolicyEnv(t *testing.T, text string) *env {
	t.Helper()
	pol, err := consent.LoadPolicy(strings.NewReader(text))
	if err != nil {
		t.Skipf("policy refused at load (sound): %v", err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := auth.NewDevKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for name := range pol.Roles {
		known := false
		for _, k := range auth.KnownRoles {
			known = known || k == name
		}
		if !known {
			extra = append(extra, name)
		}
	}
	v, err := auth.NewVerifier(auth.Config{DevKey: key, ExtraRoles: extra, JobRoles: pol.JobRoles})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, withAccessLog(t, nil), func(c *api.Config) { c.Policy, c.Verifier = api.NewConsentPolicy(pol, c.Store), v })
	e.key = key
	return e
}

func r52dPolicy(t *testing.T, replace map[string]string) string {
	t.Helper()
	var out []string
	hit := 0
	for _, l := range strings.Split(consent.DefaultPolicyText(), "\n") {
		for prefix, with := range replace {
			if strings.HasPrefix(l, prefix) {
				l = with
				hit++
			}
		}
		out = append(out, l)
	}
	if hit != len(replace) {
		t.Fatalf("premise: replaced %d of %d lines", hit, len(replace))
	}
	return strings.Join(out, "\n")
}

// TestReview52dIGOfficerGivenClinicalClassesReadsDiagnoses: a policy
// file whose ig-officer line lists `*` and which has no `audit-role`
// line is accepted (carex policy check: OK; carex serve starts), and
// the IG officer of Jane's practice then reads her diagnoses and
// results from every organisation. SPEC §5 layer 1: "The IG officer
// sees no clinical data".
func TestReview52dIGOfficerGivenClinicalClassesReadsDiagnoses(t *testing.T) {
	e := r52dPolicyEnv(t, r52dPolicy(t, map[string]string{"role ig-officer ": "role ig-officer *", "audit-role ": ""}))
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	r := e.do("GET", "/fhir/Patient/jane/$everything", ig, "")
	for _, s := range []string{"GP-DIABETES", "GP-HBA1C", "HOSP-ADMISSION"} {
		if strings.Contains(r.body, s) {
			i := strings.Index(r.body, s)
			t.Errorf("IG officer (A81001) GET Patient/jane/$everything: %d released %s: …%s…", r.status, s, r.body[max(0, i-80):i+len(s)])
		}
	}
	if a := e.do("GET", "/fhir/AuditEvent", ig, ""); a.status != 200 {
		t.Logf("and the IG officer's own access log view: %d %.150s", a.status, a.body)
	}
	// R0001 (privacy officer) maps to the same role
	r0001 := e.token("R0001", "nhs", "RHX")
	if r := e.do("GET", "/fhir/Condition/diabetes", r0001, "", "X-Break-Glass", "EMERGENCY: checking the record for an audit"); strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("privacy officer R0001 (RHX, no relationship) with X-Break-Glass GET Condition/diabetes: %d released GP-DIABETES", r.status)
	}
}

// TestReview52dSystemNotOwnOrgOnlyReadsOthersData: a policy without
// `own-org-only system` is accepted, and a client system then reads
// other organisations' records (and may break glass when the policy
// lists it). SPEC §1: a client system "reads back only what its
// organisation recorded".
func TestReview52dSystemNotOwnOrgOnlyReadsOthersData(t *testing.T) {
	e := r52dPolicyEnv(t, r52dPolicy(t, map[string]string{"own-org-only ": "", "break-glass-roles ": "break-glass-roles gp hospital-clinician district-nurse system"}))
	seedShared(t, e)
	hosp := e.token("system", "nhs", "RHX")
	r := e.do("GET", "/fhir/Patient/jane/$everything", hosp, "")
	for _, s := range []string{"GP-DIABETES", "GP-HBA1C", "COUNCIL-CARE-PACKAGE"} {
		if strings.Contains(r.body, s) {
			i := strings.Index(r.body, s)
			t.Errorf("system RHX GET Patient/jane/$everything: %d released another organisation's %s: …%s…", r.status, s, r.body[max(0, i-80):i+len(s)])
		}
	}
	stranger := e.token("system", "nhs", "Z99999")
	r = e.do("GET", "/fhir/Condition/diabetes", stranger, "", "X-Break-Glass", "EMERGENCY: feed reconciliation of records")
	if strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("system Z99999 (no relationship) with X-Break-Glass GET Condition/diabetes: %d released GP-DIABETES", r.status)
	}
}

// TestReview52dNoLegallyRestrictedLineBreakGlassReleasesIVF: a policy
// without the legally-restricted line, listing HFEA in
// break-glass-releases, is accepted, and a stranger GP's break-glass
// then releases an assisted-fertilisation record (coded 52637005, which
// the policy's own lists label HFEA). SPEC §5: break-glass "never
// releases what the policy marks as legally restricted (for example
// assisted-fertilisation and gender-recognition records)".
func TestReview52dNoLegallyRestrictedLineBreakGlassReleasesIVF(t *testing.T) {
	e := r52dPolicyEnv(t, r52dPolicy(t, map[string]string{"legally-restricted ": "", "break-glass-releases": "break-glass-releases HFEA GRA"}))
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	e.putAll(t, gpSys, [2]string{"/fhir/Procedure/ivf", `{"resourceType":"Procedure","id":"ivf","status":"completed","subject":{"reference":"Patient/jane"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"52637005"}],"text":"GP-IVF-TREATMENT"}}`})
	stranger := e.token("gp", "nhs", "Z99999")
	r := e.do("GET", "/fhir/Procedure/ivf", stranger, "", "X-Break-Glass", "EMERGENCY: unconscious in A&E, no history available")
	if strings.Contains(r.body, "GP-IVF-TREATMENT") {
		i := strings.Index(r.body, "GP-IVF-TREATMENT")
		t.Errorf("gp Z99999 with X-Break-Glass GET Procedure/ivf: %d released the assisted-fertilisation record: …%s…", r.status, r.body[max(0, i-120):i+16])
	}
}

// TestReview52dSoundPolicyOmittingBuiltinRoleRefusesIt: a policy that
// leaves out a built-in role (social-worker) still has the verifier
// accept the token (auth.KnownRoles), but the sharing policy refuses it
// with 403, logged, and releases nothing.
func TestReview52dSoundPolicyOmittingBuiltinRoleRefusesIt(t *testing.T) {
	text := r52dPolicy(t, map[string]string{
		"role social-worker ": "", "job-role R8014 ": "",
		"sees-own-records ": "sees-own-records gp hospital-clinician district-nurse system",
	})
	e := r52dPolicyEnv(t, text)
	seedShared(t, e)
	sw := e.token("social-worker", "council", "E06000999")
	r := e.do("GET", "/fhir/Patient/jane/$everything", sw, "")
	if r.status != 403 || strings.Contains(r.body, "COUNCIL-CARE-PACKAGE") || strings.Contains(r.body, "GP-") {
		t.Errorf("social-worker under a policy without it: %d %.200s", r.status, r.body)
	}
	r = e.do("GET", "/fhir/EpisodeOfCare/package", sw, "")
	if r.status != 403 && r.status != 401 {
		t.Errorf("social-worker own item under a policy without the role: %d %.200s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("R8014", "council", "E06000999"), ""); r.status != 401 {
		t.Errorf("R8014 unmapped: %d", r.status)
	}
	ig := e.token("ig-officer", "nhs", "A81001")
	a := e.do("GET", "/fhir/AuditEvent?agent=social-worker-user", ig, "")
	if a.status != 200 || !strings.Contains(a.body, "social-worker-user") {
		t.Errorf("the refused social-worker requests are not in the access log: %d %.200s", a.status, a.body)
	}
}

// TestReview52dSoundPolicyAddedRoleNamedLikeJobRole: a role a policy
// adds is used as written; a job-role code it maps goes to it; a
// receptionist sees only her classes, from her own practice too.
func TestReview52dSoundPolicyAddedRoleNamedLikeJobRole(t *testing.T) {
	e := r52dPolicyEnv(t, consent.DefaultPolicyText()+"\nrole receptionist demographics appointments directory\njob-role R8002 receptionist\n")
	seedShared(t, e)
	for _, role := range []string{"receptionist", "R8002", "S8000:G8000:R8002"} {
		r := e.do("GET", "/fhir/Patient/jane/$everything", e.token(role, "nhs", "A81001"), "")
		if r.status != 200 || strings.Contains(r.body, "GP-DIABETES") || strings.Contains(r.body, "GP-HBA1C") {
			t.Errorf("%s: %d %.200s", role, r.status, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Patient/jane/$everything", e.token("Receptionist", "nhs", "A81001"), ""); r.status != 401 {
		t.Errorf("Receptionist (case variant): %d", r.status)
	}
}
