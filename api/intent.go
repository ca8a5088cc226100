package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/carex-project/carex/store"
)

// A write's access-log entry is kept in the transaction that stores the
// write (store.Intent), made from the exchange as the write decision left
// it. Record then writes the real entry to the log as for any request and,
// once it is durable, the kept one is forgotten. If the log cannot take
// the entry, or the server stops between the commit and the log write,
// the kept entry is what carex serve adds to the log when it next starts
// (LogRecorder.RecoverIntents): no change is ever stored without an entry.

// IntentMaker is a Recorder that can make a write's entry ahead of the
// commit, to be kept with the write.
type IntentMaker interface {
	Intent(x *Exchange) []byte
}

// intentIDs names kept entries: a prefix chosen at start and a counter.
type intentIDs struct {
	prefix string
	n      atomic.Int64
}

func newIntentIDs() *intentIDs {
	b := make([]byte, 8)
	rand.Read(b)
	return &intentIDs{prefix: hex.EncodeToString(b) + "-"}
}

func (g *intentIDs) next() string { return g.prefix + strconv.FormatInt(g.n.Add(1), 10) }

// keepEntry asks the transaction to keep x's entry with writes; called
// inside store.Commit once the write decision has allowed them. status is
// the answer the request gives for its results.
func (s *Server) keepEntry(lookup store.Lookup, x *Exchange, writes []*store.Write, status func([]*store.WriteResult) int) {
	im, ok := s.rec.(IntentMaker)
	if !ok || x == nil {
		return
	}
	id := s.intents.next()
	lookup.Intend(id, func(results []*store.WriteResult) []byte {
		k := *x // the exchange as the decision left it; the handler goes on with x
		k.Released = nil
		stored := false
		for i, r := range results {
			if r.Version == nil {
				continue
			}
			k.release(r.Version)
			stored = stored || !r.NoOp
			if len(writes) == 1 && i == 0 {
				k.ID = r.Version.ID
			}
		}
		if !stored {
			return nil // nothing changed: nothing to keep
		}
		k.Reasons = append([]string(nil), x.Reasons...)
		k.Status = status(results)
		k.Decision = k.outcome()
		k.Patient, k.Patients = k.people()
		x.intents = append(x.intents, id)
		k.intents = slices.Clone(x.intents) // its entry carries the id, as x's will
		return im.Intent(&k)
	})
}

// writeStatus is the status a single write answers (commit).
func writeStatus(w *store.Write) func([]*store.WriteResult) int {
	return func(results []*store.WriteResult) int {
		switch {
		case w.Op == store.OpDelete:
			return http.StatusNoContent
		case results[0].Created:
			return http.StatusCreated
		}
		return http.StatusOK
	}
}

// RecoverIntents adds to the access log the entries kept with changes
// whose own entries never reached it, and forgets the rest. carex serve
// runs it before it listens.
func (s *Server) RecoverIntents(ctx context.Context) (added int, err error) {
	r, ok := s.rec.(intentRecoverer)
	if !ok {
		return 0, nil
	}
	return r.RecoverIntents(ctx, s.store)
}

type intentRecoverer interface {
	RecoverIntents(ctx context.Context, st store.Store) (int, error)
}
