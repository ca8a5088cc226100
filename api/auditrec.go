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

// matchedExisting notes that the write answered with a stored resource
// it did not write (a matched conditional create): a client system's
// such write counts for the volume and out-of-hours alerts as its reads
// do.
func (x *Exchange) matchedExisting() {
	if !slices.Contains(x.Reasons, auditlog.ReasonMatchedExisting) {
		x.Reasons = append(x.Reasons, auditlog.ReasonMatchedExisting)
	}
}

func entryOf(x *Exchange) *auditlog.Entry {
	e := &auditlog.Entry{
		RequestID: x.RequestID, BreakGlass: x.BreakGlass, Client: x.Client,
		Operation: x.Operation, Method: x.Method, Path: x.Path,
		ResourceType: x.Type, ResourceID: x.ID, Patient: x.Patient, NHSNumber: x.NHSNumber, Patients: x.Patients,
		Released: x.Released, Withheld: x.Withheld, Decision: x.Decision, Reasons: x.Reasons, Status: x.Status,
		Restricted: x.restricted, Claimed: x.claimed,
	}
	if x.Status < 400 {
		// An error answer says nothing was released: the copies kept with
		// what its commit stored stay, for the next start to add (access).
		e.Kept = x.intents
	}
	if p := x.Principal; p != nil {
		e.Sub, e.Name, e.Role, e.Org, e.Sector, e.Purpose = p.Sub, p.Name, p.Role, p.Org, p.Sector, p.Purpose
		e.Issuer = p.Issuer
	}
	return e
}

// keptEntry is a write's entry as kept with it (store.Intent): Since is
// the log's size when it was made, so its own entry, if it was logged,
// is at or after it.
type keptEntry struct {
	Since int64           `json:"since"`
	Entry json.RawMessage `json:"entry"`
}

// KeptEntriesLogged decodes the access-log entries kept with changes (ins)
// and reports which of them the log holds the change's own entry for:
// scan reads the log from an entry on (the lowest Since among them, at
// most size, the log's length). carex serve adds the others at start
// (RecoverIntents); carex audit verify counts them.
func KeptEntriesLogged(ins []store.Intent, size int64, scan func(from int64, fn func(*auditlog.Entry) error) error) (entries []*auditlog.Entry, logged []bool, err error) {
	entries = make([]*auditlog.Entry, len(ins))
	at := map[string]int{}
	from := size
	for i, in := range ins {
		var k keptEntry
		if err := json.Unmarshal(in.Entry, &k); err == nil {
			entries[i], err = auditlog.Decode(k.Entry)
		}
		if err != nil || entries[i] == nil {
			return nil, nil, fmt.Errorf("the access-log entry kept with a change (%s) cannot be read: %v; the database was changed outside carex: restore it from a backup", in.ID, err)
		}
		at[in.ID] = i
		from = min(from, max(k.Since, 0))
	}
	logged = make([]bool, len(ins))
	if err := scan(from, func(e *auditlog.Entry) error {
		for _, id := range e.Kept {
			if i, ok := at[id]; ok {
				logged[i] = true
			}
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("look for the entries of changes kept with them: %w", err)
	}
	return entries, logged, nil
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
	bx := *x
	bx.bound()
	e := entryOf(&bx)
	entry, err := auditlog.Encode(e)
	if err != nil {
		return nil
	}
	b, _ := json.Marshal(keptEntry{Since: size, Entry: entry})
	return b
}

// RecoverIntents adds to the log each kept entry whose own entry is not in
// it, then forgets them all. Its own entry is the one at or after its
// Since that carries its id (Entry.Kept): not found by request id, which
// the client chooses (X-Request-ID) and may send twice, nor by what it
// released, which a retry whose conditional creates all match releases
// too (review 6a). Run again after a crash half-way, it adds none twice:
// what it added carries its id.
func (r LogRecorder) RecoverIntents(ctx context.Context, st store.Store) (int, error) {
	ins, err := st.Intents(ctx)
	if err != nil || len(ins) == 0 {
		return 0, err
	}
	size, err := r.Log.Size(ctx)
	if err != nil {
		return 0, err
	}
	entries, logged, err := KeptEntriesLogged(ins, size, func(from int64, fn func(*auditlog.Entry) error) error {
		return r.Log.Scan(ctx, auditlog.Query{SeqFrom: from}, fn)
	})
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(ins))
	for i, in := range ins {
		ids[i] = in.ID
	}
	added := 0
	for i, e := range entries {
		if logged[i] {
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
				e.NHSNumber = nhsOfPerson(ctx, st, e.Patient, pc)
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
