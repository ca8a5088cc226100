package auditlog

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/carex-project/carex/consent"
)

// TestReview12dOutOfHoursNightAcrossTheClocksChanging: an out-of-hours
// alert groups a user's accesses by night (a night belongs to the day
// before it: 19:00 to 07:00), but the night was found by taking 7 hours of
// real time off the access, not 7 hours of the clock, so on the nights the
// clocks change the hour next to 07:00 went to the wrong night: on Sunday
// 25 October 2026 (clocks back) an access at 06:30 was put with Sunday's
// day, not with Saturday night's accesses; on Sunday 29 March 2026 (clocks
// forward) one at 07:30 was put with Saturday night. Weekends count as
// working hours in most cases here, so that only the night is out of hours.
func TestReview12dOutOfHoursNightAcrossTheClocksChanging(t *testing.T) {
	for _, c := range []struct {
		name    string
		weekend bool     // weekends out of hours (the default)
		at      []string // Europe/London wall clock, in log order
		want    []string // "seqs" of each out-of-hours alert
	}{
		{"clocks forward, weekends out of hours: Sunday 07:30 is Sunday's, not Saturday night's", true, []string{"2026-03-28 23:00", "2026-03-29 07:30", "2026-03-29 12:00"}, []string{"[0]", "[1 2]"}},
		{"clocks back: Saturday 23:00 and Sunday 06:30 are one night", false, []string{"2026-10-24 23:00", "2026-10-25 06:30"}, []string{"[0 1]"}},
		{"clocks back: Sunday 07:30 is in hours", false, []string{"2026-10-25 07:30"}, nil},
		{"clocks back: Sunday 20:00 and Monday 06:30 are one night", false, []string{"2026-10-25 20:00", "2026-10-26 06:30"}, []string{"[0 1]"}},
		{"clocks forward: Saturday 23:00 and Sunday 06:30 are one night", false, []string{"2026-03-28 23:00", "2026-03-29 06:30"}, []string{"[0 1]"}},
		{"clocks forward: Sunday 06:59 and 19:00 are two nights", false, []string{"2026-03-29 06:59", "2026-03-29 19:00"}, []string{"[0]", "[1]"}},
		{"an ordinary night", false, []string{"2026-03-03 19:00", "2026-03-04 06:59"}, []string{"[0 1]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var es []*Entry
			for i, at := range c.at {
				es = append(es, &Entry{Seq: int64(i), Time: london(t, at), Sub: "u1", Role: "gp", Patient: "p1", Decision: "permit", Status: 200})
			}
			var got []string
			for _, al := range Alerts(es, Thresholds{WeekendsInHours: !c.weekend}) {
				if al.Kind == AlertOutOfHours {
					got = append(got, fmt.Sprint(al.Seqs))
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("out-of-hours alerts %q, want %q", got, c.want)
			}
		})
	}
}

// TestReview12dBreakGlassAlertGivesEveryReason: the break-glass alert of a
// user and a person gathers every break-glass access of the period, but
// its detail gave only the first reason: a nurse who broke glass on Monday
// ("EMERGENCY: …") and again on Thursday with another ("CONSENT: …") was
// reported with Monday's reason alone, and an alert whose period began
// under an earlier grant said "access under a break-glass grant" however
// often she broke glass again, with whatever reasons.
func TestReview12dBreakGlassAlertGivesEveryReason(t *testing.T) {
	at := []struct{ when, bg string }{
		{"2026-03-02 10:00", ""}, // under a grant from before the period
		{"2026-03-02 11:00", "EMERGENCY: collapsed at home"},
		{"2026-03-02 11:05", ""},
		{"2026-03-05 09:00", "CONSENT: patient agreed in clinic"},
		{"2026-03-05 09:10", "EMERGENCY: collapsed at home"},
	}
	var es []*Entry
	for i, a := range at {
		es = append(es, &Entry{Seq: int64(i), Time: london(t, a.when), Sub: "u1", Role: "district-nurse", Patient: "p1",
			BreakGlass: a.bg, Reasons: []string{"break-glass"}, Decision: "permit", Status: 200})
	}
	var got []Alert
	for _, al := range Alerts(es, Thresholds{}) {
		if al.Kind == AlertBreakGlass {
			got = append(got, al)
		}
	}
	if len(got) != 1 || !slices.Equal(got[0].Seqs, []int64{0, 1, 2, 3, 4}) {
		t.Fatalf("want one break-glass alert with every entry: %+v", got)
	}
	d := got[0].Detail
	for _, want := range []string{"EMERGENCY: collapsed at home", "CONSENT: patient agreed in clinic", "grant"} {
		if !strings.Contains(d, want) {
			t.Errorf("the alert's detail %q does not give %q", d, want)
		}
	}
	if strings.Count(d, "collapsed at home") != 1 {
		t.Errorf("the alert's detail %q repeats a reason", d)
	}
}

// TestRefusedBreakGlassCodesAreTheEngines: refusedBreakGlass knows the
// engine's refusal codes by their text; renaming one there must not turn a
// refused break-glass back into one that reads as granted.
func TestRefusedBreakGlassCodesAreTheEngines(t *testing.T) {
	for _, code := range []string{consent.CodeBreakGlassRole, consent.CodeBreakGlassReason} {
		if !refusedBreakGlass(&Entry{Reasons: []string{code}}) {
			t.Errorf("a break-glass refused with %q is not seen as refused", code)
		}
	}
	if refusedBreakGlass(&Entry{Reasons: []string{consent.CodeBreakGlass, consent.CodeBreakGlassOverride}}) {
		t.Error("a granted break-glass is seen as refused")
	}
}
