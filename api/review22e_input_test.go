package api_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/carex-project/carex/api/auth"
)

// review22eInputs are malformed or odd bodies for POST /fhir/Condition.
var review22eInputs = []struct {
	name, body string
}{
	{"bom", "\xef\xbb\xbf" + `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-BOM"}}`},
	{"escaped resourceType key", `{"resource\u0054ype":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-ESC"}}`},
	{"duplicate by escape", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-DUP"},"c\u006fde":{"text":"other"}}`},
	{"duplicate in contained", `{"resourceType":"Condition","contained":[{"resourceType":"Practitioner","id":"p","name":[{"family":"A","family":"B"}]}],"subject":{"reference":"Patient/jane"},"code":{"text":"IN-DUPC"},"asserter":{"reference":"#p"}}`},
	{"duplicate in extension", `{"resourceType":"Condition","extension":[{"url":"http://x/e","valueString":"a","valueString":"b"}],"subject":{"reference":"Patient/jane"},"code":{"text":"IN-DUPE"}}`},
	{"lone surrogate key", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-SUR"},"\ud800":1}`},
	{"invalid utf-8", "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/jane\"},\"code\":{\"text\":\"IN-\xc3\x28\"}}"},
	{"lowercase resourceType", `{"resourceType":"condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-LC"}}`},
	{"wrong resourceType", `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/jane"},"code":{"text":"IN-WRONG"}}`},
	{"number 00", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-00"},"onsetAge":{"value":00}}`},
	{"deep nesting", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-DEEP"},"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`},
	{"null in array", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-NULL"},"category":[null]}`},
	{"date 2026-02-30", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-DATE"},"onsetDateTime":"2026-02-30"}`},
	{"date 0000", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-0000"},"onsetDateTime":"0000-01-01"}`},
	{"hour 24", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-24"},"onsetDateTime":"9999-12-31T24:00:00Z"}`},
	{"zone +15", `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-TZ"},"onsetDateTime":"2020-01-01T10:00:00+15:00"}`},
	{"nhs number dashes", `{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943-476-5919"}},"code":{"text":"IN-NHSD"}}`},
	{"nhs number fullwidth", `{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"９４３４７６５９１９"}},"code":{"text":"IN-NHSF"}}`},
	{"nhs number arabic-indic", `{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"٩٤٣٤٧٦٥٩١٩"}},"code":{"text":"IN-NHSA"}}`},
	{"nhs number bad check", `{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}},"code":{"text":"IN-NHSB"}}`},
	{"client versionId", `{"resourceType":"Condition","meta":{"versionId":"99","lastUpdated":"1999-01-01T00:00:00Z"},"subject":{"reference":"Patient/jane"},"code":{"text":"IN-META"}}`},
	{"bundle in bundle in bundle", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"IN-BBB"}}}]}}]}}]}`},
}

// TestReview22eSoundMalformedInputsAreRefused: each is refused with a 4xx
// OperationOutcome and nothing is stored (the practice's own search of
// Jane's Conditions finds none of their texts), except those that are
// valid (a client's meta.versionId is replaced by the server's; a nested
// Bundle posted to /fhir/Condition is the wrong type).
func TestReview22eSoundMalformedInputsAreRefused(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	for _, in := range review22eInputs {
		r := e.do("POST", "/fhir/Condition", gp, in.body)
		t.Logf("%-26s %d %.160s", in.name, r.status, r.body)
		switch in.name {
		case "escaped resourceType key": // valid JSON: the same key
			if r.status != 201 {
				t.Errorf("%s: %d %.300s", in.name, r.status, r.body)
			}
			continue
		case "client versionId":
			if r.status != 201 || !strings.Contains(r.body, `"versionId":"1"`) || strings.Contains(r.body, "1999") {
				t.Errorf("%s: %d %.300s", in.name, r.status, r.body)
			}
			continue
		}
		if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) {
			t.Errorf("%s: %d, want a 4xx OperationOutcome: %.300s", in.name, r.status, r.body)
		}
	}
	s := e.do("GET", "/fhir/Condition?patient=jane&_count=100", gp, "")
	for _, in := range review22eInputs {
		if in.name == "client versionId" || in.name == "escaped resourceType key" {
			continue
		}
		i := strings.Index(in.body, `"IN-`)
		tag := in.body[i+1 : i+1+strings.IndexByte(in.body[i+1:], '"')]
		if strings.Contains(s.body, tag) {
			t.Errorf("%s: stored (%s found)", in.name, tag)
		}
	}
}

// TestReview22eSoundEscapedKeysAndValuesAreRead: a Condition whose keys
// and code are written with \u escapes is Jane's and labelled from its
// HIV code: the district nurse neither reads nor finds it.
func TestReview22eSoundEscapedKeysAndValuesAreRead(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	body := `{"resource\u0054ype":"Condition","id":"esc","s\u0075bject":{"r\u0065ference":"Patient\/jane"},"c\u006fde":{"c\u006fding":[{"syst\u0065m":"http:\/\/snomed.info\/sct","c\u006fde":"8640600\u0038"}],"text":"ESC-HIV"}}`
	e.putAll(t, gp, [2]string{"/fhir/Condition/esc", body})
	nurse := e.token("district-nurse", "nhs", "RCX")
	if r := e.do("GET", "/fhir/Condition/esc", nurse, ""); r.status != 404 {
		t.Errorf("nurse GET: %d %.300s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Condition?patient=jane", "/fhir/Patient/jane/$everything", "/fhir/Condition?code=86406008"} {
		if r := e.do("GET", path, nurse, ""); strings.Contains(r.body, "ESC-HIV") {
			t.Errorf("nurse %s released it: %.300s", path, r.body)
		}
	}
	if r := e.do("GET", "/fhir/Condition?patient=jane&code=http://snomed.info/sct|86406008", e.token("gp", "nhs", "A81001"), ""); !strings.Contains(r.body, "ESC-HIV") {
		t.Errorf("the practice's own search by code does not find it: %.300s", r.body)
	}
}

// TestReview22eSoundTransportVariants: a gzip body (not decoded: refused
// as malformed), a charset other than UTF-8 with non-UTF-8 bytes, an
// Expect: 100-continue with a body over the limit (413, nothing read), and
// a body over the limit without Content-Length (413).
func TestReview22eSoundTransportVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	ok := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"TR-GZ"}}`
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(ok))
	w.Close()
	r := e.do("POST", "/fhir/Condition", gp, gz.String(), "Content-Encoding", "gzip")
	t.Logf("gzip: %d %.200s", r.status, r.body)
	if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("gzip body: %d %.300s", r.status, r.body)
	}
	r = e.do("POST", "/fhir/Condition", gp, strings.Replace(ok, "TR-GZ", "TR-L1-\xe9", 1), "Content-Type", "application/fhir+json; charset=latin1")
	t.Logf("latin1: %d %.200s", r.status, r.body)
	if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("latin1 body: %d %.300s", r.status, r.body)
	}
	big := `{"resourceType":"Condition","subject":{"reference":"Patient/jane"},"code":{"text":"TR-BIG"},"note":[{"text":"` + strings.Repeat("x", 80<<10) + `"}]}`
	r = e.do("POST", "/fhir/Condition", gp, big, "Expect", "100-continue")
	if r.status != 413 || !strings.Contains(r.body, "OperationOutcome") {
		t.Errorf("Expect: 100-continue, oversized: %d %.300s", r.status, r.body)
	}
	s := e.do("GET", "/fhir/Condition?patient=jane&_count=100", gp, "")
	for _, tag := range []string{"TR-GZ", "TR-L1", "TR-BIG"} {
		if strings.Contains(s.body, tag) {
			t.Errorf("%s stored", tag)
		}
	}
}

// review22eMint signs claims with the server's development key (EdDSA) or
// as told.
func review22eMint(t *testing.T, e *env, header map[string]any, claims map[string]any, sign func(string) string) string {
	t.Helper()
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	return in + "." + sign(in)
}

// TestReview22eSoundTokenVariants: alg none, HS256 keyed with the public
// key, an unknown kid, an audience list without carex, exp as a string,
// nbf two minutes ahead, a 20 KB token and a signature of the payload of
// another token are each 401 with an OperationOutcome, and release
// nothing; an audience list holding carex and a fractional exp are
// accepted (RFC 7519).
func TestReview22eSoundTokenVariants(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	now := time.Now()
	base := func() map[string]any {
		return map[string]any{"iss": auth.DevIssuer, "aud": auth.DefaultAudience, "sub": "gp-22e", "name": "GP", "role": "gp",
			"sector": "nhs", "org": "A81001", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	ed := func(in string) string {
		return base64.RawURLEncoding.EncodeToString(ed25519.Sign(e.key.Private, []byte(in)))
	}
	hs := func(in string) string {
		m := jwt.SigningMethodHS256
		sig, _ := m.Sign(in, []byte(e.key.Public))
		return base64.RawURLEncoding.EncodeToString(sig)
	}
	hdr := map[string]any{"alg": "EdDSA", "kid": e.key.KID, "typ": "JWT"}
	with := func(k string, v any) map[string]any { c := base(); c[k] = v; return c }
	bad := map[string]string{
		"alg none":         review22eMint(t, e, map[string]any{"alg": "none", "kid": e.key.KID}, base(), func(string) string { return "" }),
		"HS256 public key": review22eMint(t, e, map[string]any{"alg": "HS256", "kid": e.key.KID}, base(), hs),
		"unknown kid":      review22eMint(t, e, map[string]any{"alg": "EdDSA", "kid": "other"}, base(), ed),
		"aud list without": review22eMint(t, e, hdr, with("aud", []string{"other"}), ed),
		"exp string":       review22eMint(t, e, hdr, with("exp", now.Add(time.Hour).Format(time.RFC3339)), ed),
		"nbf +120s":        review22eMint(t, e, hdr, with("nbf", now.Add(2*time.Minute).Unix()), ed),
		"20 KB":            review22eMint(t, e, hdr, with("name", strings.Repeat("n", 20<<10)), ed),
		"no exp":           review22eMint(t, e, hdr, func() map[string]any { c := base(); delete(c, "exp"); return c }(), ed),
	}
	good := review22eMint(t, e, hdr, base(), ed)
	parts := strings.Split(good, ".")
	other := strings.Split(review22eMint(t, e, hdr, with("role", "ig-officer"), ed), ".")
	bad["spliced signature"] = parts[0] + "." + other[1] + "." + parts[2]
	for name, tok := range bad {
		r := e.do("GET", "/fhir/Condition?patient=jane", tok, "")
		if r.status != 401 || !strings.Contains(r.body, "OperationOutcome") || strings.Contains(r.body, "GP-DIABETES") || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %.300s", name, r.status, r.body)
		}
	}
	for name, tok := range map[string]string{
		"aud list with carex": review22eMint(t, e, hdr, with("aud", []string{"other", auth.DefaultAudience}), ed),
		"exp fractional":      review22eMint(t, e, hdr, with("exp", float64(now.Add(time.Hour).Unix())+0.5), ed),
	} {
		if r := e.do("GET", "/fhir/Condition?patient=jane", tok, ""); r.status != 200 {
			t.Errorf("%s: %d %.300s", name, r.status, r.body)
		}
	}
}

// TestReview22eSoundBadQueryValues: bad search, $everything and _history
// query values are each a 400/404 OperationOutcome (never a 500),
// and an empty or repeated _count/_offset is handled.
func TestReview22eSoundBadQueryValues(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")

	for _, c := range []struct{ path, token string }{
		{"/fhir/Condition?patient=jane&onset-date=2026-02-30", gp},
		{"/fhir/Condition?patient=jane&onset-date=9999-12-31T24:00:00Z", gp},
		{"/fhir/Condition?patient=jane&onset-date=2026-01-01T10:00:00+15:00", gp},
		{"/fhir/Condition?patient=jane&onset-date=0000", gp},
		{"/fhir/Condition?patient=jane&_count=-1", gp},
		{"/fhir/Condition?patient=jane&_count=1e3", gp},
		{"/fhir/Condition?patient=jane&_offset=-5", gp},
		{"/fhir/Condition?patient=jane&_offset=99999999999999999999999", gp},
		{"/fhir/Condition?patient=jane&bogus=1", gp},
		{"/fhir/Condition?patient=jane&code=" + strings.Repeat("a,", 500) + "a", gp},
		{"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943-476-5919", gp},
		{"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|%EF%BC%99%EF%BC%94%EF%BC%93%EF%BC%94%EF%BC%97%EF%BC%96%EF%BC%95%EF%BC%99%EF%BC%91%EF%BC%99", gp},
		{"/fhir/Patient/jane/$everything?start=2026-02-30", gp},
		{"/fhir/Patient/jane/$everything?_since=yesterday", gp},
		{"/fhir/Patient/jane/$everything?_count=-1", gp},
		{"/fhir/Condition/hiv/_history/abc", gp},
		{"/fhir/Condition/hiv/_history/99999999999999999999", gp},
		{"/fhir/Condition/_history?_since=2026-13-01", gp},
	} {
		r := e.do("GET", c.path, c.token, "")
		if r.status >= 500 || r.status != 200 && !strings.Contains(r.body, `"resourceType":"OperationOutcome"`) {
			t.Errorf("GET %s: %d %.300s", c.path, r.status, r.body)
		}
		if r.status == 200 && strings.Contains(c.path, "hiv/_history") {
			t.Errorf("GET %s: 200", c.path)
		}
		t.Logf("%d %s", r.status, c.path)
	}
}
