package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
)

// LogRecorder writes every exchange to the tamper-evident access log.
type LogRecorder struct{ Log *auditlog.Log }

// Record returns once the entry is durable. A client that hangs up does not
// cancel it: the entry of a request that was processed must not be lost.
func (r LogRecorder) Record(ctx context.Context, x *Exchange) error {
	return r.Log.Append(context.WithoutCancel(ctx), entryOf(x))
}

func entryOf(x *Exchange) *auditlog.Entry {
	e := &auditlog.Entry{
		RequestID: x.RequestID, BreakGlass: x.BreakGlass, Client: x.Client,
		Operation: x.Operation, Method: x.Method, Path: x.Path,
		ResourceType: x.Type, ResourceID: x.ID, Patient: x.Patient, NHSNumber: x.NHSNumber, Patients: x.Patients,
		Released: x.Released, Withheld: x.Withheld, Decision: x.Decision, Reasons: x.Reasons, Status: x.Status,
		Restricted: x.restricted,
	}
	if p := x.Principal; p != nil {
		e.Sub, e.Name, e.Role, e.Org, e.Sector, e.Purpose = p.Sub, p.Name, p.Role, p.Org, p.Sector, p.Purpose
	}
	return e
}

// keptEntry is a write's entry as kept with it (store.Intent): Since is
// the log's size when it was made, so its own entry, if it was logged,
// is at or after it; Wrote are the versions it wrote (its Released also
// holds those a conditional create matched, which other requests release
// too).
type keptEntry struct {
	Since int64           `json:"since"`
	Wrote []string        `json:"wrote,omitempty"`
	Entry json.RawMessage `json:"entry"`
}

// ReasonEntryRecovered marks an entry carex serve added at start from the
// copy kept with a change, because the change's own entry never reached
// the log (the server stopped, or the log failed, between the two). Its
// time is when it was added; its status is what the request would have
// answered, though no answer was sent.
const ReasonEntryRecovered = "entry-recovered"

// Intent implements IntentMaker.
func (r LogRecorder) Intent(x *Exchange) []byte {
	size, _ := r.Log.Size(context.Background())
	e := entryOf(x)
	e.Path, e.ResourceType, e.ResourceID = boundLogged(e.Path), boundLogged(e.ResourceType), boundLogged(e.ResourceID)
	entry, err := auditlog.Encode(e)
	if err != nil {
		return nil
	}
	b, _ := json.Marshal(keptEntry{Since: size, Wrote: x.wrote, Entry: entry})
	return b
}

// RecoverIntents adds to the log each kept entry whose own entry is not in
// it, then forgets them all. Its own entry is one at or after its Since,
// of the same request id and operation, that releases every version it
// wrote: a version is written by one request only, but the client chooses
// the request id (X-Request-ID) and may send one twice, and an entry also
// releases what a conditional create matched. Run again after a crash
// half-way, it adds none twice: what it added is then in the log.
func (r LogRecorder) RecoverIntents(ctx context.Context, st store.Store) (int, error) {
	ins, err := st.Intents(ctx)
	if err != nil || len(ins) == 0 {
		return 0, err
	}
	size, err := r.Log.Size(ctx)
	if err != nil {
		return 0, err
	}
	type key struct{ request, op string }
	entries := make([]*auditlog.Entry, len(ins))
	kept := make([]keptEntry, len(ins))
	ids := make([]string, len(ins))
	wanted := map[key]bool{}
	from := size
	for i, in := range ins {
		k := &kept[i]
		if err := json.Unmarshal(in.Entry, k); err == nil {
			entries[i], err = auditlog.Decode(k.Entry)
		}
		if err != nil || entries[i] == nil {
			return 0, fmt.Errorf("the access-log entry kept with a change (%s) cannot be read: %v; the database was changed outside carex: restore it from a backup", in.ID, err)
		}
		if len(k.Wrote) == 0 {
			k.Wrote = entries[i].Released
		}
		ids[i] = in.ID
		wanted[key{entries[i].RequestID, entries[i].Operation}] = true
		from = min(from, max(k.Since, 0))
	}
	// Only the entries of the kept ones' requests are held: a kept entry
	// may be old (the log failed days before this start).
	type logged struct {
		seq      int64
		released map[string]bool
	}
	found := map[key][]logged{}
	if err := r.Log.Scan(ctx, auditlog.Query{SeqFrom: from}, func(e *auditlog.Entry) error {
		if k := (key{e.RequestID, e.Operation}); wanted[k] {
			l := logged{e.Seq, map[string]bool{}}
			for _, v := range e.Released {
				l.released[v] = true
			}
			found[k] = append(found[k], l)
		}
		return nil
	}); err != nil {
		return 0, fmt.Errorf("look for the entries of changes kept with them: %w", err)
	}
	added := 0
	for i, e := range entries {
		k := kept[i]
		if slices.ContainsFunc(found[key{e.RequestID, e.Operation}], func(l logged) bool {
			return l.seq >= k.Since && !slices.ContainsFunc(k.Wrote, func(v string) bool { return !l.released[v] })
		}) {
			continue
		}
		// The people the request named by NHS number alone, as the access
		// stage names them (resolveNamed): kept as markers.
		if people := e.PatientIDs(); slices.ContainsFunc(people, unresolved) {
			e.Patient, e.Patients = "", nil
			if people = resolveNumbers(ctx, st, people); len(people) == 1 {
				e.Patient = people[0]
			} else if len(people) > 1 {
				e.Patients = people
			}
		}
		// The NHS number of the one person touched, as the access stage
		// adds it after the kept entry was made.
		if e.Patient != "" && e.NHSNumber == "" {
			if pc, err := st.PatientContext(ctx, e.Patient); err == nil {
				e.NHSNumber = deriveRecords(e.Patient, pc).nhs
			}
		}
		e.Reasons = append(e.Reasons, ReasonEntryRecovered)
		if err := r.Log.Append(ctx, e); err != nil {
			return added, fmt.Errorf("add the entries of changes stored without them: %w", err)
		}
		added++
	}
	return added, st.DropIntents(ctx, ids...)
}
