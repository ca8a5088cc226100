package api_test

// Review 40a: the restricted person's Patient in her own letter, on the
// payload routes editPayloads (fix 38b) now walks for
// redactAttachedPeople. Each case is run against 75f0f08 too (before the
// merge) to see whether one redacted then is released now.

import (
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

func leaksPct40a(body string) bool {
	if r31aLeaks(body) {
		return true
	}
	if u, err := url.PathUnescape(strings.ReplaceAll(body, `\u0026`, "&")); err == nil && strings.Contains(u, secretAddr22a) {
		return true
	}
	return false
}

// TestReview40aSoundHerPatientPayloadRoutes: her Patient (address,
// phone, GP) as FHIR JSON in a data: url that is percent-encoded, one
// whose media type carries a charset (UTF-16LE, no mark) and other
// parameters, one in upper case (DATA:), a data: url in a Coding's
// system, a valueBase64Binary in UTF-16 with a mark, data with no
// contentType, and her Patient in a data: url inside the JSON of a
// valueBase64Binary: the hospital clinician RHX gets none of it.
func TestReview40aSoundHerPatientPayloadRoutes(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	plain := `{"contentType":"text/plain","data":"` + b64r31a("letter") + `"}`
	u16 := base64.StdEncoding.EncodeToString([]byte(r24aUTF16LE(r31aHerPatient)))
	inner := `{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"url":"data:application/fhir+json;base64,` + b64r31a(r31aHerPatient) + `"}}]}`
	for _, c := range []struct{ id, att, extra string }{
		{"r40a-pct", `{"contentType":"application/fhir+json","url":"data:application/fhir+json,` + url.PathEscape(r31aHerPatient) + `"}`, ""},
		{"r40a-u16param", `{"contentType":"application/fhir+json","url":"data:application/fhir+json;charset=utf-16le;fhirVersion=4.0;base64,` + u16 + `"}`, ""},
		{"r40a-upper", `{"contentType":"application/fhir+json","url":"DATA:application/fhir+json;BASE64,` + b64r31a(r31aHerPatient) + `"}`, ""},
		{"r40a-coding", plain, `,"type":{"coding":[{"system":"data:application/fhir+json;base64,` + b64r31a(r31aHerPatient) + `","code":"x"}]}`},
		{"r40a-b64u16", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a("\xff\xfe"+r24aUTF16LE(r31aHerPatient)) + `"}]`},
		{"r40a-noct", `{"data":"` + b64r31a(r31aHerPatient) + `"}`, ""},
		{"r40a-b64-inner-url", plain, `,"extension":[{"url":"https://example.org/x","valueBase64Binary":"` + b64r31a(inner) + `"}]`},
	} {
		extra := c.extra
		if c.id == "r40a-coding" {
			// (replaces the letter's type)
			r := r31aHerLetterNoType40a(t, e, c.id, c.att, extra)
			if leaksPct40a(r.body) || strings.Contains(r.body, "SECRET-PRACTICE") {
				t.Errorf("%s: her letter releases her address, phone or GP to the hospital clinician RHX: %.600s", c.id, r.body)
			}
			continue
		}
		r := r31aHerLetter(t, e, c.id, c.att, extra)
		if leaksPct40a(r.body) || strings.Contains(r.body, "SECRET-PRACTICE") {
			t.Errorf("%s: her letter releases her address, phone or GP to the hospital clinician RHX: %.600s", c.id, r.body)
		}
	}
}

func r31aHerLetterNoType40a(t *testing.T, e *env, id, att, extra string) resp {
	t.Helper()
	gp := e.token("system", "nhs", "A81001")
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/" + id, `{"resourceType":"DocumentReference","id":"` + id + `","status":"current","subject":{"reference":"Patient/r21"},
		"description":"R31A-HER-LETTER","content":[{"attachment":` + att + `}]` + extra + `}`})
	r := e.do("GET", "/fhir/DocumentReference/"+id, e.token("hospital-clinician", "nhs", "RHX"), "")
	if r.status != 200 || !strings.Contains(r.body, "R31A-HER-LETTER") {
		t.Fatalf("premise %s: %d %.300s", id, r.status, r.body)
	}
	return r
}

// TestReview40aHerPatientDataURLHashKept: her Patient in her letter's
// attachment as a data: url, with the attachment's size and hash of that
// content: the url goes out redacted, but the hash (sha1 of her whole
// Patient with address and phone) and size stay the original's, while
// the same as "data" loses its hash (setAttachmentData).
func TestReview40aHerPatientDataURLHashKept(t *testing.T) {
	e := newEnv(t)
	seed21a(t, e, "")
	r24aHospTeam(t, e)
	sum := sha1.Sum([]byte(r31aHerPatient))
	hash := base64.StdEncoding.EncodeToString(sum[:])
	for _, route := range []string{"data", "url"} {
		payload := `"data":"` + b64r31a(r31aHerPatient) + `"`
		if route == "url" {
			payload = `"url":"data:application/fhir+json;base64,` + b64r31a(r31aHerPatient) + `"`
		}
		r := r31aHerLetter(t, e, "r40a-hash-"+route, `{"contentType":"application/fhir+json","hash":"`+hash+`",`+payload+`}`, "")
		if leaksPct40a(r.body) {
			t.Fatalf("premise: %s redacted: %.400s", route, r.body)
		}
		if strings.Contains(r.body, hash) {
			t.Errorf("%s: her letter's payload was redacted for the hospital clinician RHX, but the hash of her unredacted Patient (address, phone) goes out with it: %.500s", route, r.body)
		}
	}
}
