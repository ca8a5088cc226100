package api_test

import (
	"testing"
)

// TestReview39cSoundLettersAfterInstanceDeny: Jane objects to the hospital
// seeing one diagnosis (a deny of the instance Condition/diabetes to
// RHX). Her GP's ordinary letters, which carry no copy of it, must still
// go to the hospital clinician who admitted her: a plain-text letter with
// "<" and "did"/"lipid" in it, an HTML letter with id attributes, a CDA
// letter (XML with <id root=…>), RTF, a PDF, a JPEG. Each is read
// before the deny (control) and after it.
func TestReview39cSoundLettersAfterInstanceDeny(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	e.putAll(t, e.token("system", "nhs", "A81001"), [2]string{"/fhir/Condition/diabetes", r33aDiabetes})
	letters := []struct{ name, ct, text string }{
		{"plain-lt", "text/plain", "Dear Dr Evans,\nJane did well. Lipids: LDL <3.0 mmol/L, eGFR >60. Thyroid function normal.\nYours, Dr Patel\n"},
		{"plain-lt-noid", "text/plain", "Dear Dr Evans,\nJane is well. LDL <3.0 mmol/L, eGFR >60.\nYours, Dr Patel\n"},
		{"html", "text/html", `<html><body><div id="letter"><p>Dear Dr Evans,</p><p>Jane did well. eGFR &gt;60.</p></div></body></html>`},
		{"html-unclosed", "text/html", `<html><body><p id=intro>Dear Dr Evans,<br>Jane did well.<p>eGFR >60<br>Yours, Dr Patel</body></html>`},
		{"cda", "application/xml", `<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><id root="2.16.840.1.113883.19.5.99999.1" extension="TT988"/><title>Letter</title><component><nonXMLBody><text>Jane did well.</text></nonXMLBody></component></ClinicalDocument>`},
		{"rtf", "application/rtf", `{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Dear Dr Evans, Jane did well. eGFR >60 \par}`},
		{"pdf", "application/pdf", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /ID [<ab12>] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"},
		{"jpeg", "image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00id<\xff\xd9"},
	}
	for _, l := range letters {
		r35aDocRef(t, e, "r39c-u-"+l.name, l.ct, []byte(l.text))
	}
	hosp := e.token("hospital-clinician", "nhs", "RHX")
	for _, l := range letters {
		if s, b := r31dRead(e, hosp, "/fhir/DocumentReference/r39c-u-"+l.name); s != 200 {
			t.Fatalf("control (before the deny) %s: %d %.120s", l.name, s, b)
		}
	}
	r33aDenyDiabetes(t, e, "Condition/diabetes")
	if s, _ := r31dRead(e, hosp, "/fhir/Condition/diabetes"); s != 404 {
		t.Fatalf("premise: the deny withholds Condition/diabetes from RHX: %d", s)
	}
	for _, l := range letters {
		if s, b := r31dRead(e, hosp, "/fhir/DocumentReference/r39c-u-"+l.name); s != 200 {
			t.Errorf("after Jane's deny of Condition/diabetes alone, hospital clinician RHX GET /fhir/DocumentReference/r39c-u-%s (%s %q): %d %.100s", l.name, l.ct, l.text, s, b)
		}
	}
}
