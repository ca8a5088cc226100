package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestOperationsAreDefinedAsServed: every operation the CapabilityStatement
// lists points at an OperationDefinition contained in it, for its type;
// $everything's lists exactly the parameters it takes, each of which works
// by GET and by POST (a Parameters body), HL7's start, end and _since
// among them. Every _revinclude advertised for Patient works.
func TestOperationsAreDefinedAsServed(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	r := e.do("GET", "/fhir/metadata", "", "")
	var cs struct {
		Contained []struct {
			ResourceType string   `json:"resourceType"`
			ID           string   `json:"id"`
			Code         string   `json:"code"`
			Resource     []string `json:"resource"`
			Instance     bool     `json:"instance"`
			Parameter    []struct {
				Name string `json:"name"`
				Use  string `json:"use"`
				Type string `json:"type"`
			} `json:"parameter"`
		} `json:"contained"`
		Rest []struct {
			Resource []struct {
				Type             string   `json:"type"`
				SearchRevInclude []string `json:"searchRevInclude"`
				Operation        []struct {
					Name       string `json:"name"`
					Definition string `json:"definition"`
				} `json:"operation"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if err := json.Unmarshal([]byte(r.body), &cs); err != nil {
		t.Fatal(err)
	}
	var everything []string
	var patientRev []string
	for _, res := range cs.Rest[0].Resource {
		if res.Type == "Patient" {
			patientRev = res.SearchRevInclude
		}
		for _, op := range res.Operation {
			found := false
			for _, od := range cs.Contained {
				if "#"+od.ID == op.Definition && od.ResourceType == "OperationDefinition" {
					found = true
					if od.Code != op.Name || len(od.Resource) != 1 || od.Resource[0] != res.Type {
						t.Errorf("%s $%s: definition %s is for %v $%s", res.Type, op.Name, op.Definition, od.Resource, od.Code)
					}
					if op.Name == "everything" {
						for _, p := range od.Parameter {
							everything = append(everything, p.Name)
						}
					}
				}
			}
			if !found {
				t.Errorf("%s $%s: definition %q is not contained in the CapabilityStatement", res.Type, op.Name, op.Definition)
			}
		}
	}
	if strings.Join(everything, ",") != "_count,_offset,_type,start,end,_since" {
		t.Errorf("$everything's definition lists %v", everything)
	}
	sample := map[string]string{"_count": "1", "_offset": "0", "_type": "Condition,Observation",
		"start": "2020-01-01", "end": "2030-12-31", "_since": "2020-01-01T00:00:00Z"}
	valueType := map[string]string{"integer": "valueInteger", "string": "valueString", "date": "valueDate", "instant": "valueInstant"}
	for _, od := range cs.Contained {
		if od.ID != "carex-Patient-everything" {
			continue
		}
		for _, p := range od.Parameter {
			if r := e.do("GET", "/fhir/Patient/jane/$everything?"+p.Name+"="+url.QueryEscape(sample[p.Name]), gp, ""); r.status != 200 {
				t.Errorf("GET $everything?%s: %d %.200s", p.Name, r.status, r.body)
			}
			v, _ := json.Marshal(sample[p.Name])
			if p.Type == "integer" {
				v = []byte(sample[p.Name])
			}
			body := `{"resourceType":"Parameters","parameter":[{"name":"` + p.Name + `","` + valueType[p.Type] + `":` + string(v) + `}]}`
			if r := e.do("POST", "/fhir/Patient/jane/$everything", gp, body); r.status != 200 {
				t.Errorf("POST $everything %s: %d %.200s", body, r.status, r.body)
			}
		}
	}
	// POST: the same operation, its parameters in a Parameters body.
	r = e.do("POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Condition"},{"name":"_count","valueInteger":1}]}`)
	if r.status != 200 || !strings.Contains(r.body, `"Condition"`) || strings.Contains(r.body, `"resourceType":"Patient"`) {
		t.Errorf("POST $everything _type=Condition _count=1: %d %.300s", r.status, r.body)
	}
	if get := e.do("GET", "/fhir/Patient/jane/$everything?_type=Condition&_count=1", gp, ""); r.status == 200 && !strings.Contains(get.body, `"total":`+totalOf(t, r.body)) {
		t.Errorf("POST and GET $everything differ: %.200s vs %.200s", r.body, get.body)
	}
	if r := e.do("POST", "/fhir/Patient/jane/$everything", gp, `{"resourceType":"Parameters"}`); r.status != 200 {
		t.Errorf("POST $everything with no parameters: %d %.200s", r.status, r.body)
	}
	for _, body := range []string{
		`{"resourceType":"Parameters","parameter":[{"name":"start","valueInteger":2020}]}`,
		`{"resourceType":"Patient"}`,
		`{"resourceType":"Parameters","parameter":[{"name":"_count","valueBoolean":true}]}`,
		`not json`,
	} {
		if r := e.do("POST", "/fhir/Patient/jane/$everything", gp, body); r.status != 400 {
			t.Errorf("POST $everything %s: %d %.200s; want 400", body, r.status, r.body)
		}
	}
	// Every advertised _revinclude of Patient is taken.
	if len(patientRev) == 0 {
		t.Fatal("Patient has no searchRevInclude")
	}
	for _, ri := range patientRev {
		if r := e.do("GET", "/fhir/Patient?_id=jane&_revinclude="+url.QueryEscape(ri), gp, ""); r.status != 200 {
			t.Errorf("advertised Patient _revinclude=%s: %d %.200s", ri, r.status, r.body)
		}
	}
}

func totalOf(t *testing.T, body string) string {
	var b struct {
		Total json.Number `json:"total"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	return b.Total.String()
}
