package api

import (
	"strconv"
	"testing"
)

// TestItemLookupStopsAtItsBound: past maxReportItemLookups versions read,
// an item is not counted hers (none of another's can be), and the lookup
// says it is incomplete, for the report to tell the IG officer.
func TestItemLookupStopsAtItsBound(t *testing.T) {
	l := &itemLookup{person: map[string]bool{"jane": true}, seen: map[string]bool{}}
	if !l.of("Patient/jane/_history/2") || l.of("Patient/bob/_history/1") || l.of("Condition/x") || l.incomplete {
		t.Fatalf("Patient versions and unversioned refs are told without a read: incomplete=%v", l.incomplete)
	}
	for i := range maxReportItemLookups {
		l.seen["Condition/c"+strconv.Itoa(i)+"/_history/1"] = true
	}
	if l.of("Condition/one-more/_history/1") || !l.incomplete {
		t.Errorf("past the bound: counted hers, or not marked incomplete (incomplete=%v)", l.incomplete)
	}
	if !l.of("Condition/c7/_history/1") {
		t.Error("an item already looked up is still told")
	}
}
