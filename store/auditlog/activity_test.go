package auditlog

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestActivityWithoutEntriesIsEmptyNotNull: an empty $user-activity
// summary wrote "patients":null and "byOperation":null (review 19b).
func TestActivityWithoutEntriesIsEmptyNotNull(t *testing.T) {
	var a Activity
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"entries":0`, `"patients":[]`, `"byOperation":{}`, `"byDecision":{}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("empty activity: %s; want %s", b, want)
		}
	}
	a.Add(&Entry{Operation: "read", Decision: "permit", Patient: "Patient/jane"})
	if b, _ := json.Marshal(&a); !strings.Contains(string(b), `"patients":["jane"]`) && !strings.Contains(string(b), `"patients":["Patient/jane"]`) || !strings.Contains(string(b), `"byOperation":{"read":1}`) {
		t.Errorf("one entry: %s", b)
	}
}
