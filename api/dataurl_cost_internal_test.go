package api

import (
	"strings"
	"testing"
	"time"
)

// TestPeopleInNestedDataURLCost: "data:,data:,…" nests each data: url's
// payload in the one before, six bytes shorter; peopleIn reads a data: url
// written in text (note 33), so without its decode cap 400 KB took the
// square of its size. Past the cap the text counts as carrying someone
// (fail closed).
func TestPeopleInNestedDataURLCost(t *testing.T) {
	text := `<x a="` + strings.Repeat("data:,", 70000) + `ok"/>`
	plain := `<x a="` + strings.Repeat("seen! ", 70000) + `ok"/>`
	c0 := cpuTime()
	if unreadPeople(plain, "text/plain", false, func(map[string]any) bool { return true }) {
		t.Fatal("premise: an ordinary note carries no one")
	}
	base := cpuTime() - c0
	c0 = cpuTime()
	got := unreadPeople(text, "text/plain", false, func(map[string]any) bool { return true })
	took := cpuTime() - c0
	t.Logf("ordinary %v; nested data: urls %v (%v)", base, took, got)
	if !got {
		t.Error("420 KB of nested data: urls, past the decode cap, read as carrying no one")
	}
	if took > 20*base+raceSlowdown*time.Second {
		t.Errorf("420 KB of nested data: urls took %v CPU; an ordinary note %v", took, base)
	}
}
