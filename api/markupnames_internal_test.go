package api

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
)

// TestEachMarkupNameFindsWhatAPatternFinds: the one-pass scan of names
// (review 72b) finds every name the pattern it replaced found, in random
// markup, JSON and prose.
func TestEachMarkupNameFindsWhatAPatternFinds(t *testing.T) {
	re := regexp.MustCompile(`<([A-Za-z0-9_.:-]+)[\s>/]|\s([A-Za-z0-9_.:-]+)\s*=\s*["']|"([^"\n]{1,128})"\s*:`)
	pieces := []string{"<", ">", "/", "\"", "'", "=", ":", " ", "\n", "\t", "a", "Tel", "contact", "f:mobile", "x-y", "{", "}", ",", "é", "1"}
	r := rand.New(rand.NewPCG(72, 2))
	for range 20000 {
		var b []byte
		for range r.IntN(40) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		var got [][]byte
		eachMarkupName(b, func(n []byte) bool { got = append(got, n); return true })
		for _, m := range re.FindAllSubmatch(b, -1) {
			for _, n := range m[1:] {
				if n != nil && !slices.ContainsFunc(got, func(g []byte) bool { return string(g) == string(n) }) {
					t.Fatalf("%q: the pattern finds the name %q, the scan does not (it found %q)", b, n, got)
				}
			}
		}
	}
}

// TestContactPart: the parts of a name that say a contact or a phone, and
// words that merely hold one (review 72a).
func TestContactPart(t *testing.T) {
	for name, want := range map[string]bool{
		"contact": true, "safeContactNumber": true, "CONTACT_NO": true, "Contact-Number": true, "ContactPhone": true,
		"phone": true, "homePhone": true, "telephoneNumber": true, "tel": true, "f:tel": true, "TelNo": true, "TELNO": true,
		"tel_no": true, "homeTel": true, "hometel": true, "mobile": true, "mobileNumber": true, "patient_mobile": true, "mob": true, "tel2": true,
		"telemetryRhythm": false, "intellectualDisability": false, "Stelara": false, "immobile": false, "automobileAccident": false,
		"hotel": false, "attempted": false, "mobility": false, "telomere": false, "status": false,
		// run together, or after an acronym (review 73a)
		"hometelno": true, "HOMETELNO": true, "NOKTEL": true, "telhome": true, "MOBTEL": true, "nokmobile": true, "TELMOBILE": true,
		"carertel": true, "NOKTel": true, "NOKMobile": true, "GPTel": true, "HOME_TEL_NO": true, "Mobile No.": true,
		"hotelStay": false, "pastelColour": false, "mobilisationPlan": false, "Telangiectasia": false, "immobileSince": false,
		"telemedicine": false, "telecareAlarm": false, "Telehealth": false, "TelemedicineReview": false, // (review 74a)
		"HOTELTEL": true, "hoteltelno": true, "HOSTELTEL": true, "hostelmobile": true, "TELHOSTEL": true, "MOBHOTEL": true, // (review 74a)
		"teletext": true, "TellUsAboutYou": false, "telfordSite": false, "teleconference": false, // (fails closed: another word beginning tel is taken for a phone's)
	} {
		if got := slices.ContainsFunc(nameParts([]byte(name)), contactPart); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
