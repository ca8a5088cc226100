package consent

import "testing"

// TestReview10bItemCarryingOtherClasses: an item that carries resources of
// other classes (a care plan containing a laboratory Observation, DataClass
// "care-plans+observations") is seen by a role only when it sees each class,
// is covered by a deny of any of them, and is not released by a permit of
// its own class alone. Written with the api test of the same review, which
// was seen failing (the class was the carrier's alone).
func TestReview10bItemCarryingOtherClasses(t *testing.T) {
	// (carrying it: its type among OtherCodes, as the api derives it)
	cp := &Item{Type: "CarePlan", ID: "cp1", DataClass: "care-plans" + ClassSep + "observations", SourceOrg: orgGP, Date: now.AddDate(0, -1, 0),
		OtherCodes: []Coding{{SystemResourceTypes, "Observation"}}}
	plain := &Item{Type: "CarePlan", ID: "cp2", DataClass: "care-plans", SourceOrg: orgGP, Date: now.AddDate(0, -1, 0)}
	u := users()
	for _, who := range []string{"sw", "nurse"} {
		if d := decide(t, u[who], patient(), cp); d.Effect == Permit {
			t.Errorf("%s sees a care plan carrying a lab result: %s", who, d.Explain())
		}
		if d := decide(t, u[who], patient(), plain); d.Effect != Permit {
			t.Errorf("%s does not see a plain care plan: %s", who, d.Explain())
		}
	}
	if d := decide(t, u["hosp"], patient(), cp); d.Effect != Permit {
		t.Errorf("the hospital (every class) does not see it: %s", d.Explain())
	}
	for _, tc := range []struct{ name, rule, prov string }{
		{"deny of observations", "OPTIN", `{"type":"deny","class":[` + class("observations") + `]}`},
		{"deny of CarePlan", "OPTIN", `{"type":"deny","class":[` + class("CarePlan") + `]}`},
		{"opt-out, permit of care plans", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","class":[` + class("care-plans") + `]}]}`},
	} {
		if d := decide(t, u["hosp"], patient(cons(t, tc.rule, tc.prov)), cp); d.Effect == Permit {
			t.Errorf("%s: the care plan carrying a lab result is released: %s", tc.name, d.Explain())
		}
	}
	// A permit of both classes releases it; a deny of neither leaves it.
	both := `{"type":"deny","provision":[{"type":"permit","class":[` + class("care-plans") + `,` + class("observations") + `]}]}`
	if d := decide(t, u["hosp"], patient(cons(t, "OPTOUT", both)), cp); d.Effect != Permit {
		t.Errorf("a permit of care plans and observations: %s", d.Explain())
	}
	if d := decide(t, u["hosp"], patient(cons(t, "OPTIN", `{"type":"deny","class":[`+class("medications")+`]}`)), cp); d.Effect != Permit {
		t.Errorf("a deny of medications: %s", d.Explain())
	}
	// Its own content's class (an attendance's clinical note): a permit
	// of its class or type names it too (review 83a).
	att := &Item{Type: "Encounter", ID: "e1", DataClass: "encounters" + ClassSep + "documents", SourceOrg: orgGP, Date: now.AddDate(0, -1, 0)}
	for _, prov := range []string{`{"type":"permit","class":[` + class("encounters") + `]}`, `{"type":"permit","class":[` + class("Encounter") + `]}`} {
		if d := decide(t, u["hosp"], patient(cons(t, "OPTOUT", `{"type":"deny","provision":[`+prov+`]}`)), att); d.Effect != Permit {
			t.Errorf("opt-out, %s: her consultation is withheld: %s", prov, d.Explain())
		}
	}
	if d := decide(t, u["sw"], patient(), att); d.Effect == Permit {
		t.Errorf("the social worker (no documents) sees a consultation: %s", d.Explain())
	}
}
