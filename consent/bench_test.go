package consent

import (
	"strings"
	"testing"
)

// benchPatient: a realistic patient — registered GP, a hospital care team,
// community nursing and a council care package, a sexual health clinic as a
// source — with two active consents of the same dateTime (both evaluated,
// the costlier case): an opt-out with nested exceptions three deep, and a
// release of HIV data to the hospital.
func benchPatient(b testing.TB) Patient {
	optout := consAt(b, "optout", "2024-05-01", "OPTOUT", `{"provision":[
		{"type":"permit","actor":[`+org(orgHosp)+`,`+org(orgNurse)+`],"provision":[
			{"type":"deny","class":[`+class("observations")+`,`+class("documents")+`],"provision":[
				{"type":"permit","code":[{"coding":[{"system":"http://loinc.org","code":"2339-0"}]}]}]},
			{"type":"deny","dataPeriod":{"end":"2010-01-01"}}]},
		{"type":"permit","actor":[`+sectorActor("council")+`],"class":[`+class("social-care")+`,`+class("medications")+`,`+class("allergies")+`]},
		{"type":"permit","class":[`+class("allergies")+`]}]}`)
	hiv := consAt(b, "hiv", "2024-05-01", "OPTIN", `{"actor":[`+org(orgHosp)+`],"securityLabel":[`+label("HIV")+`,`+label("STD")+`]}`)
	optout.Recorder, hiv.Recorder = orgGP, orgGP // the person's GP records their choices
	return patient(optout, hiv)
}

func BenchmarkDecide(b *testing.B) {
	p := benchPatient(b)
	hosp := users()["hosp"]
	items := map[string]*Item{
		"permit-medication": med(orgGP),
		"withhold-observation": {Type: "Observation", ID: "o7", DataClass: "observations", SourceOrg: orgGP,
			Codes: []Coding{{"http://loinc.org", "8867-4"}}, Date: now.AddDate(0, -1, 0)},
		"permit-hiv-explicit": {Type: "Condition", ID: "c7", DataClass: "problems", SourceOrg: orgClinic,
			Labels: []string{"HIV"}, Codes: []Coding{{"http://snomed.info/sct", "86406008"}}, Date: now.AddDate(-3, 0, 0)},
		"permit-own": med(orgHosp),
	}
	pp := Prepare(DefaultPolicy(), hosp, p, now)
	for name, it := range items {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pp.Decide(it)
			}
		})
	}
	// A mixed stream, as a search result would be.
	stream := []*Item{items["permit-medication"], items["withhold-observation"], items["permit-hiv-explicit"], items["permit-own"],
		cond(orgGP), obs(orgNurse), cond(orgClinic, "PSY"), med(orgCouncil)}
	b.Run("mixed-stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, it := range stream {
				pp.Decide(it)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(stream)), "ns/item")
	})
	// No consent at all: the baseline.
	plain := Prepare(DefaultPolicy(), hosp, patient(), now)
	b.Run("no-consent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			plain.Decide(items["permit-medication"])
		}
	})
}

func BenchmarkPrepare(b *testing.B) {
	p := benchPatient(b)
	hosp := users()["hosp"]
	pol := DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		Prepare(pol, hosp, p, now)
	}
}

func BenchmarkParseConsent(b *testing.B) {
	raw := consentJSON("optout", "2024-05-01", "OPTOUT", `{"provision":[{"type":"permit","actor":[`+org(orgHosp)+`],"provision":[{"type":"deny","class":[`+class("observations")+`]}]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseConsent(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// Decide must not allocate when it permits.
func TestDecidePermitDoesNotAllocate(t *testing.T) {
	p := benchPatient(t)
	pp := Prepare(DefaultPolicy(), users()["hosp"], p, now)
	hivItem := &Item{Type: "Condition", DataClass: "problems", SourceOrg: orgClinic, Labels: []string{"HIV"}, Date: now.AddDate(-1, 0, 0)}
	for _, it := range []*Item{med(orgGP), med(orgHosp), hivItem} {
		if d := pp.Decide(it); d.Effect != Permit {
			t.Fatalf("%+v: %s", it, d.Explain())
		}
		if n := testing.AllocsPerRun(100, func() { pp.Decide(it) }); n != 0 {
			t.Errorf("%s: %v allocs per permit", it.Type, n)
		}
	}
	bg := users()["stranger"]
	bg.BreakGlassReason = emergency
	ppbg := Prepare(DefaultPolicy(), bg, p, now)
	if n := testing.AllocsPerRun(100, func() { ppbg.Decide(med(orgGP)) }); n > 1 { // med() itself allocates one Item
		t.Errorf("break-glass permit: %v allocs", n)
	}
}

// BenchmarkTextLabelsAdversarial: 1 MiB of the markup wholeValue reads
// around a zero-led listed id, repeated (review 39b: searches to either
// end of the text made 128 KiB of "-->0<" cost 3 s). Linear: compare the
// ns/op of the shapes with "plain".
func BenchmarkTextLabelsAdversarial(b *testing.B) {
	p := DefaultPolicy()
	for _, c := range []struct{ name, unit string }{
		{"plain", "letter 086406008 x "},
		{"comment", "-->086406008<"},
		{"v2", "^086406008^x^"},
		{"quoted", `="086406008"`},
		{"v2-long-parts", "^" + strings.Repeat("x", 600) + "^086406008"},
	} {
		text := []byte(strings.Repeat(c.unit, 1<<20/len(c.unit)))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				p.TextLabels(text)
			}
		})
	}
}
