package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestProvenanceOfWithheldVersion: a Provenance that targets one version
// of an item (who recorded that version, when, why) goes with that
// version. The letter was labelled PSY when first written and plain from
// version 2: the provenance of version 1 is withheld from the hospital
// clinician, as that version is, and that of version 2 released.
func TestProvenanceOfWithheldVersion(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("system", "nhs", "A81001")
	clinician := e.token("hospital-clinician", "nhs", "RHX")
	prov := func(id, ver, text string) string {
		return strings.NewReplacer(`"id":"of-letter"`, `"id":"`+id+`"`, `"DocumentReference/letter"`, `"DocumentReference/letter/_history/`+ver+`"`, "PROV-OF-LETTER", text).Replace(provenanceOfLetter)
	}
	e.putAll(t, gp, [2]string{"/fhir/DocumentReference/letter", psyLetter()},
		[2]string{"/fhir/DocumentReference/letter", clinicLetter("")},
		[2]string{"/fhir/Provenance/of-v1", prov("of-v1", "1", "PROV-OF-PSY-VERSION")},
		[2]string{"/fhir/Provenance/of-v2", prov("of-v2", "2", "PROV-OF-PLAIN-VERSION")})
	if r := e.do("GET", "/fhir/DocumentReference/letter/_history/1", clinician, ""); r.status != 404 {
		t.Fatalf("premise: version 1 is withheld from the clinician: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Provenance/of-v2", clinician, ""); r.status != 200 {
		t.Fatalf("the provenance of the plain version: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/fhir/Provenance/of-v1", clinician, ""); r.status != 404 {
		t.Errorf("the provenance of the withheld version: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/fhir/Patient/jane/$everything", "/fhir/Provenance?target=DocumentReference/letter"} {
		r := e.do("GET", path, clinician, "")
		if strings.Contains(r.body, "PROV-OF-PSY-VERSION") {
			t.Errorf("%s releases the provenance of the withheld version: %d %.300s", path, r.status, r.body)
		}
		if path != "/fhir/Provenance?target=DocumentReference/letter" && !strings.Contains(r.body, "PROV-OF-PLAIN-VERSION") {
			t.Errorf("%s leaves out the provenance of the plain version: %d %.300s", path, r.status, r.body)
		}
	}
	q := url.Values{"role": {"hospital-clinician"}, "org": {"RHX"}, "sector": {"nhs"}}
	got := explainEffects(t, e, q)
	if got["Provenance/of-v1"] == "permit" || got["Provenance/of-v2"] != "permit" {
		t.Errorf("$explain: of-v1 %q, of-v2 %q", got["Provenance/of-v1"], got["Provenance/of-v2"])
	}
}
