package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/auditlog"
)

// Review 90b: identity (SPEC §4) as a penetration tester and an NHS
// identity integrator see it. Tokens are signed with an identity
// provider's keys (review45bNewKeys) and served from a JWKS file or URL.

// review90bEnv is review45bEnv (JWKS file: issuer "idp", audience
// "carex-api"; the development key for seeding) with a real access log.
func review90bEnv(t *testing.T, k *review45bKeys) (*env, *auditlog.Log) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, k.jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dk, _ := auth.NewDevKey(priv)
	v, err := auth.NewVerifier(auth.Config{JWKS: file, Issuer: "idp", Audience: "carex-api", DevKey: dk})
	if err != nil {
		t.Fatal(err)
	}
	var l *auditlog.Log
	e := newEnv(t, func(c *api.Config) { c.Verifier = v }, withAccessLog(t, &l))
	e.key = dk
	return e, l
}

// review90bEntries are the access-log entries of user sub.
func review90bEntries(t *testing.T, l *auditlog.Log, sub string) []auditlog.Entry {
	t.Helper()
	var out []auditlog.Entry
	if err := l.Scan(context.Background(), auditlog.Query{Sub: sub}, func(e *auditlog.Entry) error {
		out = append(out, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// review90bIdP signs an RS256 token of the identity provider's key rsa1
// with review45bClaims modified by mod.
func review90bIdP(k *review45bKeys, mod map[string]any) string {
	return review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, review45bClaims(mod), k.rs)
}

// review90bAgentSubs are the subs (agent.who.identifier values) of the
// AuditEvents in a search answer.
func review90bAgentSubs(t *testing.T, body string) []string {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource struct {
				Agent []struct {
					Who struct {
						Identifier struct{ System, Value string } `json:"identifier"`
					} `json:"who"`
				} `json:"agent"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("AuditEvent bundle: %v: %.300s", err, body)
	}
	var subs []string
	for _, en := range b.Entry {
		for _, a := range en.Resource.Agent {
			if a.Who.Identifier.System == auditlog.SysCarexSub {
				subs = append(subs, a.Who.Identifier.Value)
			}
		}
	}
	return subs
}

// TestReview90bSubWithCommaCannotBeListedByAgent: SPEC §6 — "IG
// officers can list … what a user accessed"; README — agent= is the
// token's sub, Practitioner/SUB or https://carex.example/sub|SUB. A token
// whose sub holds a comma — an X.500 distinguished name, as directory- and
// smartcard-backed identity providers issue ("CN=John Smith,OU=GP,O=NHS"),
// or "Smith, John" — is accepted at login and its reads of Jane's record
// are logged under that sub (and shown in her $who-accessed), but every
// form of agent= naming that user is refused with 400 "give one user",
// even with the comma escaped as FHIR search escapes it (\,) and in the
// system|sub form: IG cannot list what this user accessed.
func TestReview90bSubWithCommaCannotBeListedByAgent(t *testing.T) {
	k := review45bNewKeys(t)
	e, l := review90bEnv(t, k)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	const sub = "CN=John Smith,OU=GP,O=NHS"
	if r := e.do("GET", "/fhir/Condition/diabetes", review90bIdP(k, map[string]any{"sub": sub}), ""); r.status != 200 {
		t.Fatalf("premise: the user's read: %d %.300s", r.status, r.body)
	}
	if n := len(review90bEntries(t, l, sub)); n != 1 {
		t.Fatalf("premise: %d entries logged under %q", n, sub)
	}
	if w := e.do("GET", "/fhir/AuditEvent/$who-accessed?patient=jane", ig, ""); !strings.Contains(w.body, sub) {
		t.Fatalf("premise: $who-accessed does not name the user: %d %.300s", w.status, w.body)
	}
	listed := false
	for _, q := range []string{sub, `CN=John Smith\,OU=GP\,O=NHS`, auditlog.SysCarexSub + `|CN=John Smith\,OU=GP\,O=NHS`, auditlog.SysCarexSub + "|" + sub} {
		for _, path := range []string{"/fhir/AuditEvent?agent=", "/fhir/AuditEvent/$user-activity?agent="} {
			r := e.do("GET", path+url.QueryEscape(q), ig, "")
			t.Logf("%s%s: %d %.160s", path, q, r.status, r.body)
			if r.status == 200 && strings.Contains(r.body, "diabetes") {
				listed = true
			}
		}
	}
	if !listed {
		t.Errorf("the user %q accessed Jane's diagnosis (logged, in her $who-accessed), but no agent= query IG can write lists it", sub)
	}
}

// TestReview90bTypePrefixedSubShownAsAnotherUser: SPEC §6 — IG can
// list what a user accessed; README — IG tells users apart by sub, which
// the identity provider assigns. A token whose sub is "Practitioner/123"
// (a FHIR-style user id, as FHIR-native identity providers assign) is
// accepted, and its read is logged under that sub (AuditEvent
// agent.who.identifier.value "Practitioner/123"). IG's agent= for that
// value in the explicit system form
// https://carex.example/sub|Practitioner/123 stripped "Practitioner/" and
// lists the accesses of another user, sub "123", and none of this one's.
// Likewise the system form for a user whose sub is "Organization/RCX"
// lists every RCX user's accesses (the organisation), not that user's.
func TestReview90bTypePrefixedSubShownAsAnotherUser(t *testing.T) {
	k := review45bNewKeys(t)
	e, l := review90bEnv(t, k)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	// Two users: "Practitioner/123" reads the diagnosis, "123" the care package.
	if r := e.do("GET", "/fhir/Condition/diabetes", review90bIdP(k, map[string]any{"sub": "Practitioner/123", "name": "Dr FHIR"}), ""); r.status != 200 {
		t.Fatalf("premise: Practitioner/123's read: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/EpisodeOfCare/package", review90bIdP(k, map[string]any{"sub": "123", "name": "Other user"}), ""); r.status != 200 {
		t.Fatalf("premise: 123's read: %d %.300s", r.status, r.body)
	}
	if n := len(review90bEntries(t, l, "Practitioner/123")); n != 1 {
		t.Fatalf("premise: %d entries logged under Practitioner/123", n)
	}
	if r := e.do("GET", "/fhir/CarePlan/wound", review90bIdP(k, map[string]any{"sub": "Organization/RCX", "org": "RCX", "role": "district-nurse"}), ""); r.status != 200 {
		t.Fatalf("premise: Organization/RCX's read: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/AuditEvent?agent="+url.QueryEscape(auditlog.SysCarexSub+"|Organization/RCX"), ig, ""); r.status != 200 {
		t.Errorf("agent=%s|Organization/RCX: %d %.300s", auditlog.SysCarexSub, r.status, r.body)
	} else {
		subs := review90bAgentSubs(t, r.body)
		t.Logf("agent=%s|Organization/RCX lists entries of users %q", auditlog.SysCarexSub, subs)
		for _, s := range subs {
			if s != "Organization/RCX" {
				t.Errorf("agent=%s|Organization/RCX lists an access by another user, sub %q", auditlog.SysCarexSub, s)
				break
			}
		}
	}
	// (choice) The bare form is the reference agent.who is, to user 123;
	// the system form names a sub exactly.
	for _, q := range []string{auditlog.SysCarexSub + "|Practitioner/123"} {
		r := e.do("GET", "/fhir/AuditEvent?agent="+url.QueryEscape(q), ig, "")
		if r.status != 200 {
			t.Errorf("agent=%s: %d %.300s", q, r.status, r.body)
			continue
		}
		subs := review90bAgentSubs(t, r.body)
		t.Logf("agent=%s lists entries of users %q", q, subs)
		if !strings.Contains(r.body, "Condition/diabetes") {
			t.Errorf("agent=%s does not list Practitioner/123's read of Jane's diagnosis", q)
		}
		for _, s := range subs {
			if s != "Practitioner/123" {
				t.Errorf("agent=%s lists an access by another user, sub %q", q, s)
				break
			}
		}
	}
}

// TestReview90bOrgCaseSplitsTheOrganisationsActivity: README —
// agent=Organization/CODE "selects everything the organisation's users
// did". A token's org is matched to the organisation in any case for
// sharing (review 45b: a nurse whose token says "rcx" is the trust RCX,
// its care team's member; she reads RCX's care plan), but IG's
// agent=Organization/RCX leaves out everything done by a user whose token
// says "rcx" (found only under Organization/rcx): the trust's activity
// report is incomplete.
func TestReview90bOrgCaseSplitsTheOrganisationsActivity(t *testing.T) {
	k := review45bNewKeys(t)
	e, _ := review90bEnv(t, k)
	seedShared(t, e)
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, org := range []string{"RCX", "rcx"} {
		tok := review90bIdP(k, map[string]any{"sub": "nurse-" + org, "org": org, "role": "district-nurse"})
		if r := e.do("GET", "/fhir/CarePlan/wound", tok, ""); r.status != 200 || !strings.Contains(r.body, "TRUST-WOUND-CARE") {
			t.Fatalf("premise: nurse of %s reads the trust's care plan: %d %.200s", org, r.status, r.body)
		}
	}
	r := e.do("GET", "/fhir/AuditEvent?agent=Organization/RCX&_count=100", ig, "")
	if r.status != 200 {
		t.Fatalf("agent=Organization/RCX: %d %.300s", r.status, r.body)
	}
	subs := review90bAgentSubs(t, r.body)
	t.Logf("agent=Organization/RCX lists users %q", subs)
	found := map[string]bool{}
	for _, s := range subs {
		found[s] = true
	}
	if !found["nurse-RCX"] {
		t.Fatalf("premise: nurse-RCX not listed")
	}
	if !found["nurse-rcx"] {
		t.Errorf("agent=Organization/RCX leaves out the trust's nurse whose token says org \"rcx\" (the same organisation to the sharing decision)")
	}
}

// TestReview90bSoundPurposeRefusedOnEveryRouteLogged: a token of the
// identity provider whose purpose is marketing or research is 403 with an
// OperationOutcome on every route (reads, history, searches, writes,
// transactions, deletes, break-glass, IG's reports and $explain, Consent,
// /metrics), whatever the role (RBAC codes too); each is one access-log
// entry with the reason purpose-not-served and decision deny; nothing is
// stored or deleted.
func TestReview90bSoundPurposeRefusedOnEveryRouteLogged(t *testing.T) {
	k := review45bNewKeys(t)
	e, l := review90bEnv(t, k)
	seedShared(t, e)
	cond := `{"resourceType":"Condition","id":"r90b","subject":{"reference":"Patient/jane"},"code":{"text":"R90B-STORED"}}`
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"R90B-STORED"}},"request":{"method":"POST","url":"Condition"}}]}`
	bg := []string{"X-Break-Glass", "EMERGENCY: unconscious in A&E, no history"}
	n := 0
	for _, rq := range []struct {
		role, org, method, path, body string
		hdr                           []string
	}{
		{"gp", "A81001", "GET", "/fhir/_history", "", nil},
		{"gp", "A81001", "GET", "/fhir/Condition/_history", "", nil},
		{"gp", "A81001", "GET", "/fhir/Condition/diabetes/_history/1", "", nil},
		{"gp", "A81001", "POST", "/fhir/Condition/_search", "", nil},
		{"R8000", "A81001", "GET", "/fhir/Patient/jane/$everything", "", bg},
		{"gp", "Y99999", "GET", "/fhir/Patient/jane/$everything", "", bg},
		{"gp", "A81001", "PUT", "/fhir/Condition/r90b", cond, nil},
		{"gp", "A81001", "PUT", "/fhir/Condition?_id=r90b", cond, nil},
		{"gp", "A81001", "POST", "/fhir", tx, nil},
		{"gp", "A81001", "DELETE", "/fhir/Condition/diabetes", "", nil},
		{"ig-officer", "A81001", "GET", "/fhir/AuditEvent?patient=jane", "", nil},
		{"R0001", "A81001", "GET", "/fhir/AuditEvent/$who-accessed?patient=jane", "", nil},
		{"R5105", "A81001", "GET", "/fhir/AuditEvent/$alerts", "", nil},
		{"ig-officer", "A81001", "GET", "/fhir/Patient/jane/$explain?role=gp&org=A81001&sector=nhs", "", nil},
		{"ig-officer", "A81001", "GET", "/fhir/Consent?patient=jane", "", nil},
		{"gp", "A81001", "GET", "/metrics", "", nil},
	} {
		for _, purpose := range []string{"HMARKT", "HRESCH"} {
			n++
			sub := "r90b-purpose-" + purpose + "-" + string(rune('a'+n%26)) + string(rune('a'+n/26))
			tok := review90bIdP(k, map[string]any{"role": rq.role, "org": rq.org, "purpose": purpose, "sub": sub})
			r := e.do(rq.method, rq.path, tok, rq.body, rq.hdr...)
			if r.status != 403 || !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) || strings.Contains(r.body, "GP-DIABETES") {
				t.Errorf("%s %s %s %s: %d %.200s", rq.role, purpose, rq.method, rq.path, r.status, r.body)
			}
			es := review90bEntries(t, l, sub)
			if len(es) != 1 || es[0].Status != 403 || es[0].Decision != "deny" || es[0].Purpose != purpose || !strings.Contains(strings.Join(es[0].Reasons, ","), "purpose-not-served") {
				t.Errorf("%s %s %s %s: logged %+v", rq.role, purpose, rq.method, rq.path, es)
			}
		}
	}
	gp := e.token("gp", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Condition?patient=jane&_count=100", gp, ""); strings.Contains(r.body, "R90B-STORED") || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("a refused write was stored, or the refused delete took effect: %.300s", r.body)
	}
}

// TestReview90bSoundJobRolesCannotBreakGlass: the national RBAC codes
// mapped to ig-officer (R0001 privacy officer, R5105 Caldicott guardian,
// in the short and the full S:G:R form) and R8014 (social worker) asking
// for break-glass get 403 and nothing of Jane's record, logged with
// break-glass-role-not-allowed; R8000 (clinical practitioner → gp) may.
func TestReview90bSoundJobRolesCannotBreakGlass(t *testing.T) {
	k := review45bNewKeys(t)
	e, l := review90bEnv(t, k)
	seedShared(t, e)
	bg := []string{"X-Break-Glass", "EMERGENCY: collapsed at home, no history available"}
	for _, tc := range []struct{ role, org, sector string }{
		{"R0001", "Y99999", "nhs"}, {"R5105", "A81001", "nhs"}, {"S8000:G8000:R0001", "E08000001", "council"}, {"R8014", "E08000001", "council"},
	} {
		sub := "r90b-bg-" + strings.ReplaceAll(tc.role, ":", "_")
		tok := review90bIdP(k, map[string]any{"role": tc.role, "org": tc.org, "sector": tc.sector, "sub": sub})
		for _, path := range []string{"/fhir/Patient/jane/$everything", "/fhir/Observation/hba1c", "/fhir/Condition?patient=jane", "/fhir/Patient/jane"} {
			r := e.do("GET", path, tok, "", bg...)
			if r.status != 403 || !strings.Contains(r.body, "OperationOutcome") {
				t.Errorf("%s %s: %d %.200s", tc.role, path, r.status, r.body)
			}
			for _, s := range []string{"GP-DIABETES", "GP-HBA1C", "HOSP-ADMISSION", "TRUST-WOUND-CARE", "GP-HIV", "COUNCIL-CARE-PACKAGE", "Smith"} {
				if strings.Contains(r.body, s) {
					t.Errorf("%s %s: released %s", tc.role, path, s)
				}
			}
		}
		for _, x := range review90bEntries(t, l, sub) {
			if !strings.Contains(strings.Join(x.Reasons, ","), "break-glass-role-not-allowed") || x.BreakGlass == "" {
				t.Errorf("%s: logged %+v", tc.role, x)
			}
		}
	}
	tok := review90bIdP(k, map[string]any{"role": "R8000", "org": "Y99999", "sub": "r90b-bg-R8000"})
	if r := e.do("GET", "/fhir/Patient/jane/$everything", tok, "", bg...); r.status != 200 || !strings.Contains(r.body, "GP-DIABETES") {
		t.Errorf("premise: R8000 (gp) breaking glass: %d %.200s", r.status, r.body)
	}
}

// TestReview90bSoundJWKSKeyShapes: of a JWKS, a key for encryption (use
// enc, key_ops without verify), an RSA key published for ES256 and a
// P-256 key for RS256 are not used; of two keys under one kid the first
// is used and a token of the second key's algorithm is refused; an RSA
// key without alg or use verifies RS256.
func TestReview90bSoundJWKSKeyShapes(t *testing.T) {
	k := review45bNewKeys(t)
	var rsaK, ecK map[string]any
	json.Unmarshal(k.jwk["rsa1"], &rsaK)
	json.Unmarshal(k.jwk["ec1"], &ecK)
	with := func(m map[string]any, mod map[string]any) map[string]any {
		o := map[string]any{}
		for a, b := range m {
			o[a] = b
		}
		for a, b := range mod {
			if b == nil {
				delete(o, a)
			} else {
				o[a] = b
			}
		}
		return o
	}
	ec := func(kid string) string {
		return review45bSign(map[string]any{"alg": "ES256", "kid": kid}, review45bClaims(nil), review45bES(k.ec, 32))
	}
	rs := func(kid string) string {
		return review45bSign(map[string]any{"alg": "RS256", "kid": kid}, review45bClaims(nil), k.rs)
	}
	for name, tc := range map[string]struct {
		keys []any
		tok  string
		ok   bool
	}{
		"use enc":                    {[]any{with(rsaK, map[string]any{"use": "enc"}), ecK}, rs("rsa1"), false},
		"key_ops encrypt":            {[]any{with(rsaK, map[string]any{"key_ops": []string{"encrypt"}}), ecK}, rs("rsa1"), false},
		"key_ops sign (private op)":  {[]any{with(rsaK, map[string]any{"key_ops": []string{"sign"}}), ecK}, rs("rsa1"), false},
		"RSA key for ES256":          {[]any{with(rsaK, map[string]any{"alg": "ES256"}), ecK}, rs("rsa1"), false},
		"P-256 key for RS256":        {[]any{with(ecK, map[string]any{"alg": "RS256"}), rsaK}, ec("ec1"), false},
		"one kid, RSA then EC: EC":   {[]any{with(rsaK, map[string]any{"kid": "k"}), with(ecK, map[string]any{"kid": "k"})}, ec("k"), false},
		"one kid, RSA then EC: RSA":  {[]any{with(rsaK, map[string]any{"kid": "k"}), with(ecK, map[string]any{"kid": "k"})}, rs("k"), true},
		"RSA without alg or use":     {[]any{with(rsaK, map[string]any{"alg": nil, "use": nil})}, rs("rsa1"), true},
		"no kid in JWKS, token kid":  {[]any{with(rsaK, map[string]any{"kid": nil})}, rs("rsa1"), false},
		"token without kid, 2 keys":  {[]any{rsaK, ecK}, review45bSign(map[string]any{"alg": "RS256"}, review45bClaims(nil), k.rs), false},
		"token without kid, one key": {[]any{rsaK}, review45bSign(map[string]any{"alg": "RS256"}, review45bClaims(nil), k.rs), true},
	} {
		file := filepath.Join(t.TempDir(), "jwks.json")
		b, _ := json.Marshal(map[string]any{"keys": tc.keys})
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		v, err := auth.NewVerifier(auth.Config{JWKS: file, Issuer: "idp", Audience: "carex-api"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, err := v.Verify(context.Background(), tc.tok)
		if (p != nil) != tc.ok {
			t.Errorf("%s: accepted %v, want %v (%v)", name, p != nil, tc.ok, err)
		}
	}
}

// TestReview90bSoundHungJWKSHoldsNoKnownKey: README — an unknown kid waits
// at most 2 s for the fetch, and requests with known keys never wait for
// it. With the identity provider hung, 50 tokens of random kids cause at
// most 2 fetches, and a token of a known key (fresh, and stale past 5
// minutes) is verified at once while they wait.
func TestReview90bSoundHungJWKSHoldsNoKnownKey(t *testing.T) {
	k := review45bNewKeys(t)
	var hang atomic.Bool
	var fetches atomic.Int64
	release := make(chan struct{})
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write(k.jwks)
	}))
	defer js.Close()
	defer close(release)
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	v, err := auth.NewVerifier(auth.Config{JWKS: js.URL, Issuer: "idp", Audience: "carex-api", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hang.Store(true)
	advance(31 * time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok := review45bSign(map[string]any{"alg": "RS256", "kid": "rnd-" + string(rune('a'+i%26)) + string(rune('a'+i/26))}, review45bClaims(nil), k.rs)
			if p, _ := v.Verify(ctx, tok); p != nil {
				t.Errorf("unknown kid accepted")
			}
		}(i)
	}
	time.Sleep(50 * time.Millisecond)
	for i, d := range []time.Duration{0, 6 * time.Minute} {
		advance(d)
		t0 := time.Now()
		p, err := v.Verify(ctx, review90bIdP(k, map[string]any{"sub": "known-" + string(rune('a'+i))}))
		if took := time.Since(t0); p == nil || took > time.Second {
			t.Errorf("known key (+%v) while the provider hangs: %v after %v", d, err, took)
		}
	}
	wg.Wait()
	if f := fetches.Load(); f > 3 { // the start's, and at most 2 more
		t.Errorf("50 unknown kids against a hung provider: %d fetches", f)
	}
}

// TestReview90bSoundKidReusedRotationWithinFiveMinutes: an identity
// provider that rotates its only key without changing the kid (or with
// no kid at all) signals nothing carex can see before the keys are
// refetched (OIDC Core 10.1.1 rotates by kid): its new tokens are 401
// ("bad signature") until the keys are older than 5 minutes, and then
// accepted — README: "refetched at most every 5 minutes".
func TestReview90bSoundKidReusedRotationWithinFiveMinutes(t *testing.T) {
	oneKey := func(k *review45bKeys, kid string) []byte {
		var m map[string]any
		json.Unmarshal(k.jwk["rsa1"], &m)
		delete(m, "kid")
		if kid != "" {
			m["kid"] = kid
		}
		b, _ := json.Marshal(map[string]any{"keys": []any{m}})
		return b
	}
	for _, kid := range []string{"", "signing"} {
		k1, k2 := review45bNewKeys(t), review45bNewKeys(t)
		e, j := review56bURLEnv(t, k1)
		j.set(oneKey(k1, kid))
		j.advance(6 * time.Minute) // the next request refetches: k1 alone
		seedShared(t, e)
		hdr := map[string]any{"alg": "RS256"}
		if kid != "" {
			hdr["kid"] = kid
		}
		n := 0
		get := func(k *review45bKeys) resp {
			n++
			return e.do("GET", "/fhir/Condition?patient=jane", review45bSign(hdr, review45bClaims(map[string]any{"sub": "rot-" + string(rune('a'+n))}), k.rs), "")
		}
		if r := get(k1); r.status != 200 {
			t.Fatalf("kid %q: premise: k1 token: %d %.200s", kid, r.status, r.body)
		}
		j.set(oneKey(k2, kid))
		for _, d := range []time.Duration{time.Second, 31 * time.Second, 2 * time.Minute} {
			j.advance(d)
			t.Logf("kid %q: rotated, +%v: %d", kid, d, get(k2).status)
		}
		j.advance(3 * time.Minute) // keys 5m32s old
		if r := get(k2); r.status != 200 {
			t.Errorf("kid %q: the new key 5 minutes after rotation: %d %.200s", kid, r.status, r.header.Get("WWW-Authenticate"))
		}
		if r := get(k1); r.status != 401 {
			t.Errorf("kid %q: the old key after the refetch: %d", kid, r.status)
		}
	}
}

// TestReview90bSoundAuthorizationHeaderEdges: of two Authorization
// headers the first decides, and the access log names the user it
// decided for (a stranger's token first: 404, logged as the stranger); a
// forged token naming a real user's sub is 401 and logged under no user.
func TestReview90bSoundAuthorizationHeaderEdges(t *testing.T) {
	k := review45bNewKeys(t)
	e, l := review90bEnv(t, k)
	seedShared(t, e)
	gp := review90bIdP(k, map[string]any{"sub": "r90b-gp"})
	stranger := review90bIdP(k, map[string]any{"sub": "r90b-stranger", "org": "Y99999"})
	do := func(toks ...string) int {
		req, _ := http.NewRequest("GET", e.base+"/fhir/Condition/diabetes", nil)
		for _, tok := range toks {
			req.Header.Add("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := do(stranger, gp); s == 200 {
		t.Errorf("stranger's token then the GP's: 200")
	}
	if a, b := len(review90bEntries(t, l, "r90b-stranger")), len(review90bEntries(t, l, "r90b-gp")); a != 1 || b != 0 {
		t.Errorf("stranger then GP: logged stranger %d, gp %d", a, b)
	}
	if s := do(gp, stranger); s != 200 {
		t.Errorf("GP's token then a stranger's: %d", s)
	}
	if a, b := len(review90bEntries(t, l, "r90b-stranger")), len(review90bEntries(t, l, "r90b-gp")); a != 1 || b != 1 {
		t.Errorf("GP then stranger: logged stranger %d, gp %d", a, b)
	}
	forged := []string{
		review45bSign(map[string]any{"alg": "RS256", "kid": "rsa1"}, review45bClaims(map[string]any{"sub": "dr-victim"}), func(string) []byte { return make([]byte, 256) }),
		review45bSign(map[string]any{"alg": "HS256", "kid": "rsa1"}, review45bClaims(map[string]any{"sub": "dr-victim"}), review45bHS(k.jwk["rsa1"])),
	}
	for _, f := range forged {
		if r := e.do("GET", "/fhir/Condition/diabetes", f, ""); r.status != 401 || !strings.Contains(r.body, "OperationOutcome") {
			t.Errorf("forged: %d %.200s", r.status, r.body)
		}
	}
	if n := len(review90bEntries(t, l, "dr-victim")); n != 0 {
		t.Errorf("forged tokens logged under the sub they claim: %d entries", n)
	}
}
