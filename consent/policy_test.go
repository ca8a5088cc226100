package consent

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/fhir/search"
)

func TestDataClassesMatchSearch(t *testing.T) {
	if !slices.Equal(dataClasses, search.DataClasses()) {
		t.Fatalf("consent data classes %v differ from search.DataClasses %v", dataClasses, search.DataClasses())
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	for _, pu := range []string{"TREAT", "ETREAT", "COC"} {
		if !p.Serves(pu) {
			t.Errorf("purpose %s", pu)
		}
	}
	if p.Serves("HRESCH") || p.Serves("") {
		t.Error("serves research or empty")
	}
	if r := p.Role("ig-officer"); !r.Audit || r.Sees("medications") || !r.Sees("consent") {
		t.Errorf("ig-officer: %+v", r)
	}
	if r := p.Role("system"); !r.OwnOrgOnly || !r.Sees("observations") {
		t.Errorf("system: %+v", r)
	}
	if r := p.Role("social-worker"); r.Sees("observations") || r.Sees("documents") || !r.Sees("safeguarding") || !r.Sees("encounters") {
		t.Errorf("social-worker: %+v", r.Classes)
	}
	if !p.Role("gp").BreakGlass || p.Role("social-worker").BreakGlass {
		t.Error("break-glass roles")
	}
	if p.BreakGlassGrant != 4*time.Hour || p.BreakGlassMinReason != 10 || p.SourceLifetime != 730*24*time.Hour {
		t.Errorf("durations: %v %v %v", p.BreakGlassGrant, p.BreakGlassMinReason, p.SourceLifetime)
	}
	if !p.IsLegallyRestricted("HFEA") || !p.IsLegallyRestricted("GRA") || p.IsLegallyRestricted("HIV") || !p.IsSensitive("HIV") {
		t.Error("labels")
	}
	if p.JobRoles["R8014"] != "social-worker" || p.JobRoles["R5105"] != "ig-officer" {
		t.Error("job roles")
	}
}

func TestLabels(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		codes []Coding
		want  []string
	}{
		// HIV infection is also a member of the national STD refset.
		{[]Coding{{"http://snomed.info/sct", "86406008"}}, []string{"HIV", "STD"}},
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10", "B20.1"}}, []string{"HIV"}},
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10-uk", "b24x"}}, []string{"HIV"}},
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10", "Z31.2"}}, []string{"HFEA"}},
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10", "F64.0"}}, []string{"GRA", "PSY"}},
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10", "F10.2"}}, []string{"ETH"}},
		{[]Coding{{"http://snomed.info/sct", "93461009"}, {"http://snomed.info/sct", "86406008"}, {"http://snomed.info/sct", "86406008"}}, []string{"GRA", "HIV", "STD"}},
		{[]Coding{{"http://snomed.info/sct", "B20"}}, nil},         // ICD code under the SNOMED system
		{[]Coding{{"http://loinc.org", "86406008"}}, nil},          // SNOMED code under another system
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10", "J45"}}, nil}, // asthma
		// SNOMED CT expressions: labelled at least as each concept they
		// name (review 4c: an expression escaped the refsets).
		{[]Coding{{"http://snomed.info/sct", "86406008 |Human immunodeficiency virus infection|"}}, []string{"HIV", "STD"}},
		{[]Coding{{"http://snomed.info/sct", "86406008:246454002=41847000"}}, []string{"HIV", "STD"}},
		{[]Coding{{"http://snomed.info/sct", " 86406008 "}}, []string{"HIV", "STD"}},
		{[]Coding{{"http://snomed.info/sct", "=== 64572001 |Disease| : { 363698007 |Finding site| = 39607008 |Lung| }, 246075003 |Causative agent| = 19030005 |HIV|"}}, []string{"HIV", "STD"}}, // the organism is in the STD refset, and names HIV (refsets/hiv.tsv)
		{[]Coding{{"http://snomed.info/sct", "=== 64572001 |Disease| : { 363698007 |Finding site| = 39607008 |Lung| }"}}, nil},
		{[]Coding{{"http://snomed.info/sct", "195967001 |Asthma| : 246454002 |Occurrence| = 86406008 |HIV|"}}, []string{"HIV", "STD"}},
		{[]Coding{{"http://snomed.info/sct", "195967001 |Asthma 86406008|"}}, nil}, // digits inside a term are not a concept
		{[]Coding{{"http://snomed.info/sct", "86406009 |not an SCTID: bad check digit|"}}, nil},
		{[]Coding{{"http://snomed.info/sct", "93461009+86406008"}}, []string{"GRA", "HIV", "STD"}},
		// An ICD-10 code with no system or under another edition (review
		// 92c); a Read v2 code with no system is not one (review 93a).
		{[]Coding{{"", "B20"}}, []string{"HIV"}},
		{[]Coding{{"", "f64.0"}}, []string{"GRA", "PSY"}}, // (F6* is PSY too)
		{[]Coding{{"", "Z313"}}, []string{"HFEA"}},
		{[]Coding{{"http://hl7.org/fhir/sid/icd-10-cm", "B20"}}, []string{"HIV"}},
		{[]Coding{{"", "F12.."}}, nil},
		{[]Coding{{"", "A53.."}}, nil},
		{[]Coding{{"", "F64.01234"}}, nil},
		{[]Coding{{"", "B20."}}, []string{"HIV"}},  // review 94a
		{[]Coding{{"", "F3130"}}, []string{"PSY"}}, // review 94a: F31.30 undotted
		{[]Coding{{"", "B20.1.2"}}, nil},
		{[]Coding{{"", "B20.0†"}}, []string{"HIV"}}, // review 95a: dagger, range, words after
		{[]Coding{{"", "B20-B24"}}, []string{"HIV"}},
		{[]Coding{{"", "B20.0 HIV disease"}}, []string{"HIV"}},
		{nil, nil},
	}
	for _, tc := range cases {
		if got := p.Labels(tc.codes); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.codes, got, tc.want)
		}
	}
}

func TestLoadPolicyErrors(t *testing.T) {
	base := "role gp *\n"
	cases := []struct {
		text string
		line int
		msg  string
	}{
		{"# nothing\n\n", 2, "no role lines"},
		{base + "purposes treat\n", 2, "PurposeOfUse"},
		{base + "role nurse meds\n", 2, `unknown data class "meds"`},
		{base + "role gp demographics\n", 2, "already defined"},
		{base + "role Nurse *\n", 2, "role name"},
		{base + "own-org-only robot\n", 2, `role "robot" is not defined`},
		{base + "role ig demographics medications\naudit-role ig\n", 3, "non-clinical"},
		{base + "break-glass-grant soon\n", 2, "duration"},
		{base + "break-glass-grant 0\n", 2, "positive"},
		{base + "break-glass-grant 4h\nbreak-glass-grant 2h\n", 3, "already given on line 2"},
		{base + "break-glass-min-reason -1\n", 2, "length"},
		{base + "source-lifetime 3 days\n", 2, "one value"},
		{base + "sensitive hiv\n", 2, "label code"},
		{base + "sensitive HIV\nlegally-restricted GRA\n", 3, "must also be listed as sensitive"},
		{base + "sensitive HIV GRA\nlegally-restricted GRA\nbreak-glass-releases GRA\n", 4, "legally restricted"},
		{base + "code HIV snomd 1\n", 2, "system alias"},
		{base + "code HIV snomed 1*2\n", 2, "prefix"},
		{base + "code HIV snomed\n", 2, "expected"},
		{base + "job-role R8000\n", 2, "expected"},
		{base + "roles gp *\n", 2, "unknown directive"},
		{base + "role system *\nown-org-only system\nbreak-glass-roles system\n", 4, "cannot break glass"},
	}
	for _, tc := range cases {
		_, err := LoadPolicy(strings.NewReader(tc.text))
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v (want line %d, %q)", tc.text, err, tc.line, tc.msg)
		}
	}
}

func TestLoadPolicyMinimal(t *testing.T) {
	p, err := LoadPolicy(strings.NewReader("role gp *  # everything\nbreak-glass-roles gp\nsource-lifetime 0\nrole ig-officer demographics\naudit-role ig-officer\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Serves("TREAT") || p.BreakGlassGrant != 4*time.Hour || p.SourceLifetime != 0 || !p.Role("gp").BreakGlass {
		t.Fatalf("defaults: %+v", p)
	}
	// source-lifetime 0: being a source is a relationship forever.
	u := User{Sub: "s", Role: "gp", Org: "X"}
	pat := Patient{ID: "p", Relationships: []Relationship{{Org: "X", Kind: RelSource}}}
	if d := Prepare(p, u, pat, now).Open(); d.Effect != Permit {
		t.Fatal(d.Explain())
	}
}

// TestCheckConsent: what a write refuses beyond ParseConsent (review 4c),
// and what it accepts.
func TestCheckConsent(t *testing.T) {
	p := DefaultPolicy()
	const prcp = `{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},"reference":{"reference":`
	cases := []struct {
		name, date, rule, prov, element string // element "": accepted
	}{
		{"dated OPTOUT", "2025-01-01", "OPTOUT", "", ""},
		{"undated OPTOUT", "", "OPTOUT", "", "dateTime"},
		{"undated OPTIN with provisions", "", "OPTIN", `{"type":"deny","class":[` + class("observations") + `]}`, "dateTime"},
		{"deny to a practitioner", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + prcp + `"Practitioner/dr-ward"}}]}`, ""},
		{"deny to a PractitionerRole", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + prcp + `"PractitionerRole/dr-ward-rhx"}}]}`, "provision.actor[0].reference"},
		{"nested permit to a PractitionerRole", "2025-01-01", "OPTOUT", `{"type":"permit","actor":[` + org(orgHosp) + `],"provision":[{"type":"deny","actor":[` + org(orgGP) + `,` + prcp + `"PractitionerRole/x"}}]}]}`, "provision.provision[0].actor[1].reference"},
		// carex does not know an item's author practitioner nor what
		// refers to an item (review 4e): such a provision could never
		// match, so a person's deny would silently do nothing.
		{"a PractitionerRole as author", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + author("PractitionerRole/x") + `]}`, "provision.actor[0].reference"},
		{"deny by an author practitioner", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + author("Practitioner/dr-x") + `]}`, "provision.actor[0].reference"},
		{"deny by a custodian practitioner", "2025-01-01", "OPTIN", `{"type":"deny","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"CST"}]},"reference":{"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"123456789012"}}}]}`, "provision.actor[0].reference"},
		{"deny by an author organisation", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + author("Organization/"+orgClinic) + `]}`, ""},
		{"data authoredby a practitioner", "2025-01-01", "OPTIN", `{"type":"deny","data":[` + data("authoredby", "Practitioner/dr-x") + `]}`, "provision.data[0].reference"},
		{"data authoredby an organisation", "2025-01-01", "OPTIN", `{"type":"deny","data":[` + data("authoredby", "Organization/"+orgClinic) + `]}`, ""},
		{"data related", "2025-01-01", "OPTIN", `{"type":"deny","data":[` + data("instance", "Condition/c1") + `,` + data("related", "ServiceRequest/lab1") + `]}`, "provision.data[1].meaning"},
		{"nested permit of related data", "2025-01-01", "OPTOUT", `{"provision":[{"type":"permit","data":[` + data("related", "ServiceRequest/lab1") + `]}]}`, "provision.provision[0].data[0].meaning"},
		{"data instance", "2025-01-01", "OPTIN", `{"type":"deny","data":[` + data("instance", "ServiceRequest/lab1") + `]}`, ""},
		{"deny to a policy role", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + roleActor("social-worker") + `]}`, ""},
		{"deny to a national job role", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + roleActor("R8014") + `]}`, ""},
		{"deny to a national job role, full form", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + roleActor("S8000:G8000:R8014") + `]}`, ""},
		{"deny to an unknown role", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + roleActor("Social-Worker") + `]}`, "provision.actor[0].role"},
		{"deny to an unknown job role", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + roleActor("R9999") + `]}`, "provision.actor[0].role"},
		// An ICD-10 wildcard matched no item's code (review 78c).
		{"ICD-10 wildcard", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50*"}]}]}`, "provision.code[0].coding[0]"},
		{"ICD-10 any subcategory", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50.-"}]}]}`, "provision.code[0].coding[0]"},
		{"ICD-10 block's first characters", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F5"}]}]}`, "provision.code[0].coding[0]"},
		{"wildcard with no system", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"code":"F50*"}]}]}`, "provision.code[0].coding[0]"},
		{"ICD-10 category with its dot", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50."}]}]}`, ""},
		{"ICD-10 subcategory without its dot", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F500"}]}]}`, ""},
		{"ICD-10 category", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F50"}]}]}`, ""},
		// A permit of a code the lists label, not naming the label,
		// released nothing it named (review 78c).
		{"permit of a labelled code", "2025-01-01", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}]}`, "provision.provision[0].code"},
		{"permit of a labelled code naming its label", "2025-01-01", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"securityLabel":[` + label("PSY") + `],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}]}`, ""},
		{"permit of a labelled code under a provision naming its label", "2025-01-01", "OPTIN", `{"type":"deny","securityLabel":[` + label("PSY") + `],"provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}]}`, ""},
		{"permit of a labelled ICD-10 category with no system", "2025-01-01", "OPTOUT", `{"type":"deny","provision":[{"type":"permit","actor":[` + org(orgHosp) + `],"code":[{"coding":[{"code":"F32"}]}]}]}`, "provision.provision[0].code"},
		{"deny of a labelled code", "2025-01-01", "OPTIN", `{"type":"deny","code":[{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}`, ""},
		{"nested unknown role", "2025-01-01", "OPTIN", `{"type":"deny","actor":[` + org(orgHosp) + `],"provision":[{"type":"permit","actor":[` + roleActor("gp") + `,` + roleActor("socialworker") + `]}]}`, "provision.provision[0].actor[1].role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConsent(consentJSON("x", tc.date, tc.rule, tc.prov))
			if err != nil {
				t.Fatalf("ParseConsent: %v (a stored Consent is still read)", err)
			}
			err = p.CheckConsent(c)
			var ce *ConsentError
			switch {
			case tc.element == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.element == "":
			case !errors.As(err, &ce) || ce.Element != tc.element:
				t.Fatalf("got %v, want a ConsentError at %s", err, tc.element)
			case strings.HasSuffix(tc.element, ".role") && !strings.Contains(err.Error(), "social-worker, system, R0001 (ig-officer)"):
				t.Fatalf("the message does not list the known roles: %v", err)
			case (strings.Contains(tc.element, ".data[") || strings.Contains(tc.prov, `"AUT"`) || strings.Contains(tc.prov, `"CST"`)) &&
				(!strings.Contains(err.Error(), "cannot tell an item's author practitioner or what refers to it") || !strings.Contains(err.Error(), "instance")):
				t.Fatalf("the message does not say why nor what to use instead: %v", err)
			}
		})
	}
	// Other scopes are not the engine's business: no dateTime needed.
	c, err := ParseConsent([]byte(`{"resourceType":"Consent","status":"active","scope":{"coding":[{"code":"research"}]},"patient":{"reference":"Patient/p1"}}`))
	if err != nil || p.CheckConsent(c) != nil {
		t.Fatalf("research consent: %v %v", err, p.CheckConsent(c))
	}
}

// TestLabellingLists: the name of what labels items on write changes with
// the code lists and sensitive labels, and with nothing else a policy says.
func TestLabellingLists(t *testing.T) {
	base := DefaultPolicyText()
	want := DefaultPolicy().LabellingLists()
	if !strings.HasPrefix(want, "sha256:") || len(want) != len("sha256:")+64 {
		t.Fatalf("built-in policy: %q", want)
	}
	for _, c := range []struct {
		name, text string
		same       bool
	}{
		{"the built-in text", base, true},
		{"a role added", base + "\nrole clerk demographics\n", true},
		{"purposes and break-glass changed", strings.Replace(base, "break-glass-min-reason 10", "break-glass-min-reason 20", 1), true},
		{"a code already listed, again", base + "\ncode HIV snomed 86406008\n", true},
		{"an ICD-10 code with its dot", base + "\ncode PSY icd10 F42.0\n", false},
		{"the same code without its dot", base + "\ncode PSY icd10 F420\n", false},
		{"a code added", base + "\ncode PSY snomed 191736004\n", false},
		{"the same code under another label", base + "\ncode ETH snomed 191736004\n", false},
		{"a prefix rather than a code", base + "\ncode PSY snomed 191736004*\n", false},
		{"a sensitive label added", strings.Replace(base, "sensitive HIV", "sensitive HIV SDV2", 1), false},
		{"a code list left out", strings.Replace(base, "codeset GRA snomed gender_related_issues\n", "", 1), false},
	} {
		p, err := LoadPolicy(strings.NewReader(c.text))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := p.LabellingLists(); (got == want) != c.same {
			t.Errorf("%s: %s, built-in %s: want same %v", c.name, got, want, c.same)
		}
	}
	dot, _ := LoadPolicy(strings.NewReader(base + "\ncode PSY icd10 F42.0\n"))
	nodot, _ := LoadPolicy(strings.NewReader(base + "\ncode PSY icd10 F420\n"))
	if dot.LabellingLists() != nodot.LabellingLists() {
		t.Errorf("F42.0 and F420 label alike (ICD-10 dots are ignored) but are named differently")
	}
}

// TestTextLabels: the concept ids written in any text label as codes do:
// in XML, in JSON as a number; not inside a longer run of digits, nor
// padded with zeros, nor with a wrong check digit.
func TestTextLabels(t *testing.T) {
	p := DefaultPolicy()
	for _, c := range []struct {
		text string
		want bool
	}{
		{`<code value="86406008"/>`, true},
		{`{"code":86406008}`, true},
		{`code="86406008" codeSystem="2.16.840.1.113883.6.96"`, true},
		{`0000151004 00000 n`, false}, // a PDF's offset, padded
		{`<code value="086406008"/>`, true},
		{`<code value='0086406008'/>`, true},
		{`{"code":"0086406008"}`, true},
		{`DOB 04082005, tel 01142043006`, false}, // running text: a date, a phone number
		{"<code>\n  086406008\n</code>", true},
		{`<![CDATA[086406008]]>`, true},
		{`OBX|1|CE|||086406008^HIV infection^SCT||`, true},
		{`OBX|1|CE|||44054006^Diabetes^SCT~086406008^HIV^sct||`, true},
		{`<code><!-- SNOMED CT --> 086406008 </code>`, true},
		{"PID|1||123||Doe^Jane||19800101|F|||||01142043006^PRN^PH", false}, // a phone number
		{"<td>\n  01142043006\n</td>", false},                              // a table cell
		{`| 01142043006 |`, false},
		{`PR1|1||52637005^IVF^SCT`, true},
		{`OBX|1|CWE|||B20^HIV disease^I10^086406008^HIV^SNOMED CT||`, true}, // the alternate triplet
		{`OBX|1|CE|||086406008^HIV^SCT&SNOMED||`, true},
		{`PID|1||||||||||||01142043006^WPN^PH^jane.doe@snomed.org|`, false}, // review 38a: "snomed" in an e-mail
		{`PID|1||||||||||||01142043006^WPN^PH^^^^^^^SNOMED CT queries|`, false},
		{`<value><!-- phone --></value><p>Call us --> 01142043006</p>`, false}, // review 38a: not a comment
		// review 39a: SNOMED CT's other names, the OID in CWE-14, other
		// separators, a comment with "--", a quoted telecom value
		{"OBX|1|CWE|||086406008^HIV infection^^^^^^^^^^^^2.16.840.1.113883.6.96||", true},
		{`OBX|1|CE|||086406008^HIV^SCT2||`, true},
		{`PR1|1||052637005^IVF^SNOMEDCT_US|`, true},
		{`OBX|1|CE|||086406008^HIV^SNOMED CT UK||`, true},
		{`OBX|1|CE|||086406008^HIV^https://snomed.info/sct||`, true},
		{`OBX|1|CE|||086406008^HIV^http://snomed.info/sct/999000041000000102||`, true},
		{"MSH#^~\\&#GP\rOBX#1#CE###086406008^HIV#", false}, // '#' declared as the field separator: '^' still the component's
		{"MSH|#~\\&|GP|A81001\rOBX|1|CE|||086406008#HIV infection#SCT||", true},
		{`PRB|AD|20261201|086406008&HIV infection&SCT^Problem^L|1|`, true},
		{`PRB|AD|20261201|x&086406008^HIV^SCT|1|`, false}, // a later subcomponent
		{`OBX|1|CE|||x^086406008^HIV^SCT||`, false},       // component 2: no identifier
		{`<code><!-- IVF -- HFEA licensed --> 052637005</code>`, true},
		{`<telecom><system value="phone"/><value value="01142043006"/></telecom>`, false},
		{`<telecom value="01142043006" use="WP"/>`, false},
		{`{"system":"phone","value":"01142043006"}`, false},
		{`<value xsi:type="CD" code="086406008" codeSystem="2.16.840.1.113883.6.96"/>`, true},
		{`<fhir:code value="086406008"/>`, true},
		{`{"valueCode" : "052637005"}`, true},
		// review 41b: other code names, Python-style quotes, MLLP framing,
		// a long text before the system; SNMP and SCTN are not SNOMED CT
		{`<problem snomedCode="086406008" term="HIV infection"/>`, true},
		{`{'system': 'http://snomed.info/sct', 'code': '086406008'}`, true},
		{`{"snomedConceptId":"052637005"}`, true},
		{"\x0bMSH#$~\\&#GP\rOBX#1#CE#DX$Dx$L##086406008$HIV infection$SCT##\r\x1c\r", true},
		{"OBX|1|CE|DX^Dx^L||086406008^" + strings.Repeat("x", 600) + "^SCT||", true},
		{`PID|1||||||||||||01142043006^PRN^SNMP|`, false},
		{`<postalCode value="01142043006"/>`, false},
		{`{"areaCode":"01142043006"}`, false},
		// review 42b: names holding "code" that name no concept's code;
		// SNOMED CT's v2 names SNMI, SCTID, SCT-2, SCT_UK
		{`{"contact":{"area_code":"086406008"}}`, false},
		{`{"errorCode":"086406008","sortCode":"086406008","qrCode":"086406008"}`, false},
		{`<meta codeSystemVersion="086406008"/>`, false},
		{`{"encode":"086406008"}`, false},
		{`{"diagnosis_code":"086406008"}`, true},
		// review 43a: SNOMED_CT_code, SCTCode, snomed2Code, CodeValue
		{`{"SNOMED_CT_code":"086406008"}`, true},
		{`{"SCTCode":"052637005"}`, true},
		{`{"snomed2Code":"086406008"}`, true},
		{`{"CodeValue":"086406008","CodeSystem":"SNOMED CT"}`, true},
		{`<obs snomedct_code="052637005"/>`, true},
		{`{"COde":"086406008"}`, true}, // review 44a: odd casing
		{`{"CODe":"052637005"}`, true},
		{`{"keySafeCode":"0864060080","telephoneCode":"086406008"}`, false},
		{`OBX|1|CE|DX^Dx^L||086406008^HIV infection^SNMI||`, true},
		{`OBX|1|CE|DX^Dx^L||086406008^HIV infection^SCTID||`, true},
		{`OBX|1|CE|DX^Dx^L||086406008^HIV infection^SCT-2||`, true},
		{`OBX|1|CE|DX^Dx^L||086406008^HIV infection^SCT_UK||`, true},
		{`OBX|1|CE|DX^Dx^L||086406008^HIV infection^SCTN||`, false},
		{`186406008`, false}, // another number
		{`86406009`, false},  // check digit wrong
		{`NHS 9434765919, 20150601, 80146002`, false},
		// review 113a: a date of birth in digits is no code; the same
		// digits elsewhere are
		{`Care leaver, DOB 151004; adviser informed`, false},
		{`D.O.B.: 151004`, false},
		{`date of birth 151004`, false},
		{`born 151004`, false},
		{`Dx 151004`, true},
		{`DOB 86406008`, true}, // no date
		{`<code>151004</code>`, true},
		{`born on 151004`, false}, // review 114a
		{`DOB (151004)`, false},
		{`Date of birth is 151004`, false},
		{"DOB\u00a0151004", false},
		{`born with HIV 86406008`, true},
		{`born: 86406008`, true},
		{`condition at birth was 151004`, true}, // review 115a
		{`date of birth: 151004`, false},
		{``, false},
	} {
		if got := len(p.TextLabels([]byte(c.text))) > 0; got != c.want {
			t.Errorf("TextLabels(%q) = %v, want labelled %v", c.text, p.TextLabels([]byte(c.text)), c.want)
		}
	}
}
