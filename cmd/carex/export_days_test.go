package main

import (
	"testing"
	"time"
)

// TestExportDaysAreDaysInTheAlertZone: an IG officer answering a subject
// access request exports "7 July" (carex audit export --since 2026-07-07
// --until 2026-07-07). The export read dates as UTC days, so in British
// Summer Time it left out the accesses between midnight and 01:00 on 7
// July, the out-of-hours ones, and took in those of the 8th, while the
// API's date= (the same officer's $who-accessed) reads the day in the
// alert zone. The export now reads a date or time without a zone in the
// zone --zone names, Europe/London by default; UTC is still one flag away.
func TestExportDaysAreDaysInTheAlertZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		when string
		end  bool
		loc  *time.Location
		want string
	}{
		{"2026-07-07", false, london, "2026-07-06T23:00:00Z"},
		{"2026-07-07", true, london, "2026-07-07T23:00:00Z"},
		{"2026-07-07T00:30", false, london, "2026-07-06T23:30:00Z"},
		{"2026-07-07T00:30:00Z", false, london, "2026-07-07T00:30:00Z"},
		{"2026-01-07", false, london, "2026-01-07T00:00:00Z"},
		{"2026-07-07", false, time.UTC, "2026-07-07T00:00:00Z"},
		{"2026-07-07", true, time.UTC, "2026-07-08T00:00:00Z"},
	} {
		got, err := exportTime(c.when, c.end, c.loc)
		if err != nil {
			t.Fatalf("%s: %v", c.when, err)
		}
		if want, _ := time.Parse(time.RFC3339, c.want); !got.Equal(want) {
			t.Errorf("exportTime(%s, end %v, %v) = %v, want %s", c.when, c.end, c.loc, got.UTC(), c.want)
		}
	}
	// The flag: a zone that does not exist is refused, not read as UTC.
	if code, _, errOut := e2eRun(t, "audit", "export", "--db", t.TempDir()+"/x.db", "--zone", "Europe/Nowhere", "--since", "2026-07-07"); code == 0 {
		t.Errorf("--zone Europe/Nowhere: exit 0 %s", errOut)
	}
}
