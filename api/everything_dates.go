package api

import (
	"net/url"
	"regexp"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// everythingDates are HL7 Patient-everything's date filters: start and
// end (care dates: an item's clinical date, store.Meta.Date, in the days
// from start to end, both whole days included) and _since (record dates:
// meta.lastUpdated at or after an instant).
type everythingDates struct {
	from, to       int64 // clinical-date bounds, Unix ms, inclusive
	hasFrom, hasTo bool
	since          int64 // Unix ms
	hasSince       bool
	// given are the filters as the request gave them, for the paging
	// links.
	given url.Values
}

var (
	fhirDate    = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)
	fhirInstant = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
)

// everythingDateParams are the parameters everythingDates reads, and the
// value[x] types a POST's Parameters may give them in.
var everythingDateParams = map[string][]string{
	"start":  {"valueDate", "valueDateTime", "valueString"},
	"end":    {"valueDate", "valueDateTime", "valueString"},
	"_since": {"valueInstant", "valueDateTime", "valueString"},
}

// parseEverythingDates reads start, end and _since from q. A date is
// YYYY, YYYY-MM or YYYY-MM-DD (a year or month is the whole of it: start
// from its first day, end to its last), days in England as items' clinical
// dates are (a date without a time there is a day in England: in British
// Summer Time an item dated 1 June starts at 23:00 UTC on 31 May, and
// start=2026-06-01 must keep it); _since is a FHIR instant, with seconds and
// a time zone.
func parseEverythingDates(q url.Values) (*everythingDates, error) {
	d := &everythingDates{given: url.Values{}}
	for _, k := range []string{"start", "end", "_since"} {
		vs, ok := q[k]
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return nil, fmtErr(search.ErrBadValue, "$everything takes %s once", k)
		}
		v := vs[0]
		if k == "_since" {
			lo, _, err := search.ParseDate(v)
			if err != nil || !fhirInstant.MatchString(v) {
				return nil, fmtErr(search.ErrBadValue, "_since=%q: expected an instant with seconds and a time zone, such as 2026-01-01T00:00:00Z or 2026-06-01T09:30:00+01:00", v)
			}
			d.since, d.hasSince = lo, true
			d.given.Set(k, v)
			continue
		}
		lo, hi, err := search.ParseDateIn(v, consent.England())
		if err != nil || !fhirDate.MatchString(v) {
			return nil, fmtErr(search.ErrBadValue, "%s=%q: expected a date, YYYY-MM-DD (or a month YYYY-MM, a year YYYY)", k, v)
		}
		if k == "start" {
			d.from, d.hasFrom = lo, true
		} else {
			d.to, d.hasTo = hi, true
		}
		d.given.Set(k, v)
	}
	if d.hasFrom && d.hasTo && d.from > d.to {
		return nil, fmtErr(search.ErrBadValue, "start=%s is after end=%s", q.Get("start"), q.Get("end"))
	}
	return d, nil
}

// any reports whether a filter was given.
func (d *everythingDates) any() bool { return d.hasFrom || d.hasTo || d.hasSince }

// keeps reports whether m is in the filters' scope. pid's Patient always
// is; an item with no clinical date is in any start and end's.
func (d *everythingDates) keeps(pid string, m *store.Meta) bool {
	if m.Type == "Patient" && m.ID == pid {
		return true
	}
	if d.hasSince && m.LastUpdated.UnixMilli() < d.since {
		return false
	}
	if !m.Date.IsZero() {
		ms := m.Date.UnixMilli()
		if d.hasFrom && ms < d.from || d.hasTo && ms > d.to {
			return false
		}
	}
	return true
}

// visible is vis behind the filters: an item out of their scope is not
// shown to vis, so the sharing decision neither decides nor counts it
// (it is not withheld, it was not asked for). nil vis releases all.
func (d *everythingDates) visible(pid string, vis store.Visible) store.Visible {
	if !d.any() {
		return vis
	}
	if vis == nil {
		return func(m *store.Meta) bool { return d.keeps(pid, m) }
	}
	return func(m *store.Meta) bool { return d.keeps(pid, m) && vis(m) }
}
