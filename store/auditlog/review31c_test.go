package auditlog

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Review 31c: requests refused at login (no user) with a break-glass
// reason are one alert per client address (an IPv6 one by its /64) and
// clock hour, naming the first few people; they raise no volume or
// out-of-hours alert; the volume rule counts a known user's refusals too; a
// break-glass that opened no one reads apart from a grant; a bundle's own
// entry is no alert beside its entries'.
func TestReview31cAlerterRules(t *testing.T) {
	at := time.Date(2026, 3, 3, 2, 10, 0, 0, time.UTC) // a Tuesday night
	var seq int64
	add := func(a *Alerter, e Entry) {
		seq++
		e.Seq, e.Time = seq, at.Add(time.Duration(seq)*time.Second)
		a.Add(&e)
	}
	a := NewAlerter(Thresholds{PatientsPerHour: 3})
	for i := range 10 {
		for _, client := range []string{"192.0.2.1", "2001:db8::1", "2001:db8::" + fmt.Sprint(i+2)} {
			add(a, Entry{Client: client, Patient: fmt.Sprintf("made-up-%d", i), BreakGlass: fmt.Sprintf("reason %d", i), Status: 401})
		}
	}
	add(a, Entry{Client: "192.0.2.9", Patient: "jane", BreakGlass: "EMERGENCY", Status: 401})
	add(a, Entry{Client: "192.0.2.9", Patient: "jane", BreakGlass: "EMERGENCY", Status: 401})
	// A known user's refused attempts count towards the volume rule.
	for i := range 5 {
		add(a, Entry{Sub: "u1", Role: "gp", Patient: fmt.Sprintf("p%d", i), Status: 403})
	}
	// Her OPTIONS (204, no break-glass code) and a batch whose entry broke glass.
	add(a, Entry{Sub: "u2", Role: "hospital-clinician", Patient: "margaret", BreakGlass: "EMERGENCY", Status: 204, Operation: "options"})
	add(a, Entry{Sub: "u3", Role: "hospital-clinician", RequestID: "b1.0", Patient: "margaret", BreakGlass: "EMERGENCY", Status: 200, Reasons: []string{"break-glass"}})
	add(a, Entry{Sub: "u3", Role: "hospital-clinician", RequestID: "b1", BreakGlass: "EMERGENCY", Status: 200, Operation: "batch"})
	var bg []Alert
	u1Volume := false
	for _, al := range a.Alerts() {
		switch al.Kind {
		case AlertBreakGlass:
			bg = append(bg, al)
		case AlertVolume, AlertOutOfHours:
			if al.Sub == "" {
				t.Errorf("unexpected %s alert for %q: %s", al.Kind, al.Sub, al.Detail)
			}
			if al.Sub == "u1" && al.Kind == AlertVolume {
				u1Volume = true
			}
		}
	}
	if !u1Volume {
		t.Errorf("a user refused for 5 patients within an hour (threshold 3) raised no volume alert")
	}
	got := map[string]Alert{}
	for _, al := range bg {
		got[al.Sub+"|"+al.Patient+"|"+strings.Join(al.People, ",")] = al
	}
	if len(bg) != 5 {
		t.Errorf("break-glass alerts: want 5 (192.0.2.1, 2001:db8::/64, jane's 401s, u2, u3), got %d: %+v", len(bg), bg)
	}
	var sizes []int // the made-up ids' alerts: one per client (the /64's two addresses one)
	for _, al := range bg {
		if al.Sub == "" && al.Patient == "" && strings.Join(al.People, ",") == "made-up-0,made-up-1,made-up-2,made-up-3,made-up-4" {
			sizes = append(sizes, len(al.Seqs))
		}
	}
	if fmt.Sprint(sizes) != "[10 20]" {
		t.Errorf("the made-up ids' alerts' entries: %v (want [10 20]): %+v", sizes, bg)
	}
	for _, al := range bg {
		if al.Sub == "" && al.Patient == "" && !strings.Contains(al.Detail, "and others") {
			t.Errorf("a grouped alert does not say it names more: %q", al.Detail)
		}
		if al.Sub == "" && len(al.People) > maxAnonPeople {
			t.Errorf("a grouped alert names %d people", len(al.People))
		}
	}
	if j, ok := got["|jane|jane"]; !ok || !strings.HasPrefix(j.Detail, "break-glass refused: EMERGENCY;") || !strings.Contains(j.Detail, "2 request(s)") || !strings.Contains(j.Detail, "192.0.2.9") {
		t.Errorf("the 401s for jane alone: %+v", j)
	}
	if o := got["u2|margaret|"]; strings.HasPrefix(o.Detail, "break-glass: ") || o.Detail == "" {
		t.Errorf("the OPTIONS reads %q", o.Detail)
	}
	if b, ok := got["u3|margaret|"]; !ok || b.Detail != "break-glass: EMERGENCY" {
		t.Errorf("the batch entry's alert: %+v", b)
	}
	if _, ok := got["u3||"]; ok {
		t.Errorf("the batch's own entry is an alert of its own: %+v", bg)
	}
	if g := clientGroup("2001:db8::1"); g != "2001:db8::/64" {
		t.Errorf("clientGroup: %s", g)
	}
}
