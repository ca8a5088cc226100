package consent

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every member of each national refset gets its label under the default
// policy: checked for the first, a middle and the last code of each list.
func TestDefaultPolicyLabelsNationalRefsets(t *testing.T) {
	pol := DefaultPolicy()
	for file, label := range map[string]string{
		"sexually_transmitted_disease": "STD",
		"assisted_fertilisation":       "HFEA",
		"termination_of_pregnancy":     "SEX",
		"gender_related_issues":        "GRA",
	} {
		f, err := os.Open(filepath.Join("refsets", file+".tsv"))
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
				codes = append(codes, strings.SplitN(l, "\t", 2)[0])
			}
		}
		f.Close()
		if len(codes) < 100 {
			t.Fatalf("%s: only %d codes", file, len(codes))
		}
		for _, c := range []string{codes[0], codes[len(codes)/2], codes[len(codes)-1]} {
			got := pol.Labels([]Coding{{System: "http://snomed.info/sct", Code: c}})
			if !contains(got, label) {
				t.Errorf("%s code %s: labels %v, want %s", file, c, got, label)
			}
		}
	}
	if got := pol.Labels([]Coding{{System: "http://snomed.info/sct", Code: "44054006"}}); len(got) != 0 {
		t.Errorf("diabetes labelled %v", got)
	}
}

func TestCodesetFromFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "local.tsv")
	os.WriteFile(list, []byte("# local list\n123456\tsomething\n"), 0o600)
	pol, err := LoadPolicy(strings.NewReader(defaultPolicyText + "\ncodeset PSY snomed " + list + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := pol.Labels([]Coding{{System: "http://snomed.info/sct", Code: "123456"}}); !contains(got, "PSY") {
		t.Errorf("codeset from a file: %v", got)
	}
	if _, err := LoadPolicy(strings.NewReader("purposes TREAT\ncodeset PSY snomed no_such_list\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unknown code list: %v", err)
	}
}

func BenchmarkLabels(b *testing.B) {
	pol := DefaultPolicy()
	codes := []Coding{{"http://snomed.info/sct", "44054006"}, {"http://snomed.info/sct", "86406008"}, {"http://hl7.org/fhir/sid/icd-10", "E11.9"},
		{"http://snomed.info/sct", "38341003"}, {"http://loinc.org", "4548-4"}}
	for i := 0; i < b.N; i++ {
		pol.Labels(codes)
	}
}

func TestAlertDirectives(t *testing.T) {
	pol := DefaultPolicy()
	if pol.AlertPatientsPerHour != 50 || pol.AlertDayStart != 7*time.Hour || pol.AlertDayEnd != 19*time.Hour || pol.AlertZone != "Europe/London" {
		t.Errorf("default alert thresholds: %d %v %v %q", pol.AlertPatientsPerHour, pol.AlertDayStart, pol.AlertDayEnd, pol.AlertZone)
	}
	for _, bad := range []string{"alert-patients-per-hour 0", "alert-working-hours 19:00 07:00", "alert-working-hours 7am 19:00", "alert-working-hours 07:00 19:00 Mars/Olympus"} {
		if _, err := LoadPolicy(strings.NewReader("purposes TREAT\n" + bad + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
