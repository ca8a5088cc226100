package fhir

import (
	"errors"
	"strings"
	"testing"
)

func TestNHSNumber(t *testing.T) {
	tests := []struct {
		in, want string
		errPart  string // "" means valid
	}{
		{"9434765919", "9434765919", ""},
		{"943 476 5919", "9434765919", ""},
		{" 9434765919 ", "9434765919", ""},
		{"9000000009", "9000000009", ""},
		{"4010232137", "4010232137", ""},
		{"9434765918", "", "fails the modulus-11 check"},
		{"9000000015", "", "fails the modulus-11 check"}, // 9*10+1*2=92, 11-92%11=7, not 5
		{"9000000017", "9000000017", ""},
		{"1000000010", "", "fails the modulus-11 check"}, // check digit would be 10
		{"943476591", "", "must have 10 digits"},
		{"94347659190", "", "must have 10 digits"},
		{"", "", "must have 10 digits"},
		{"94347659A9", "", "only digits"},
		{"943-476-5919", "", "must have 10 digits"},
		{"９４３４７６５９１９", "", "must have 10 digits"}, // full-width digits
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormaliseNHSNumber(tc.in)
			if tc.errPart == "" {
				if err != nil || got != tc.want {
					t.Fatalf("NormaliseNHSNumber(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				if !ValidNHSNumber(tc.in) {
					t.Fatal("ValidNHSNumber false")
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf("NormaliseNHSNumber(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.errPart)
			}
			if ValidNHSNumber(tc.in) {
				t.Fatal("ValidNHSNumber true")
			}
		})
	}
}

func FuzzNHSNumber(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "9000000009", "9000000015", "12", "abcdefghij"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormaliseNHSNumber(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || ValidNHSNumber(s) {
				t.Fatalf("inconsistent error %v", err)
			}
			return
		}
		if len(n) != 10 || strings.Trim(n, "0123456789") != "" {
			t.Fatalf("normalised %q -> %q", s, n)
		}
		if n2, err := NormaliseNHSNumber(n); err != nil || n2 != n {
			t.Fatalf("not idempotent: %q -> %q, %v", n, n2, err)
		}
		// Changing the check digit must make it invalid.
		b := []byte(n)
		b[9] = '0' + (b[9]-'0'+1)%10
		if ValidNHSNumber(string(b)) {
			t.Fatalf("%s and %s both valid", n, b)
		}
	})
}

// TestNHSNumberSystemForms: review 38c, the forms feeds write the NHS
// number system in are all the NHS number's; look-alikes are not.
func TestNHSNumberSystemForms(t *testing.T) {
	for _, s := range []string{NHSNumberSystem, "http://fhir.nhs.uk/Id/nhs-number", "https://fhir.nhs.uk/Id/nhs-number/",
		"HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER", "http://fhir.nhs.uk/id/nhs-number/", "urn:oid:2.16.840.1.113883.2.1.4.1"} {
		if !IsNHSNumberSystem(s) {
			t.Errorf("IsNHSNumberSystem(%q) = false", s)
		}
		if !MayHoldNHSNumberSystem([]byte(`{"system":"` + s + `"}`)) {
			t.Errorf("MayHoldNHSNumberSystem with %q = false", s)
		}
	}
	for _, s := range []string{"", "https://fhir.nhs.uk/Id/nhs-number//", "https://fhir.nhs.uk/Id/nhs-numbers", "https://fhir.hl7.org.uk/Id/nhs-number-x",
		"urn:oid:2.16.840.1.113883.2.1.4.11", "https://fhir.nhs.uk/Id/ods-organization-code",
		"https://fhir.nhs.uk/İd/nhs-number"} { // non-ASCII letters folded by Go, not by SQLite (review 41a)
		if IsNHSNumberSystem(s) {
			t.Errorf("IsNHSNumberSystem(%q) = true", s)
		}
	}
	if MayHoldNHSNumberSystem([]byte(`{"system":"https://fhir.nhs.uk/Id/ods-organization-code","date":"2026-01-01"}`)) {
		t.Error("MayHoldNHSNumberSystem without one = true")
	}
	if !MayHoldNHSNumberSystem([]byte(`-Nhs-Number`)) || MayHoldNHSNumberSystem([]byte(`-number`)) {
		t.Error("MayHoldNHSNumberSystem at the edges")
	}
}
