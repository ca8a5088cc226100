package sqlite

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/carex-project/carex/store"
)

// pcCache keeps each patient's PatientContext (relationships, consents,
// sources) between requests: loading it is two queries over the person's
// whole record, and every request that decides about another
// organisation's data needs it.
//
// Correctness rests on versions, not timing:
//   - This process's commits bump the version of every patient whose
//     compartment they touched (old and new), after the commit is visible.
//     An entry is used only if the patient's version is unchanged since
//     before the entry was loaded.
//   - A commit whose every write to a patient is neutral (see
//     txWriter.touch: new clinical data from a source, say) changes only
//     the latest times of the sources in that patient's context. For a
//     patient whose entry was current before the commit, the entry is
//     replaced by a successor with those times once the commit is
//     visible, instead of being loaded again: feeds write all day, and
//     each write would otherwise cost the next reader of that record the
//     two queries. Writes come from this process's single writer, one
//     transaction at a time, so the entry and the commit's writes are
//     the whole change.
//   - Another process (carex import on the same file) is noticed through
//     the versions table's largest key: every resource write adds a row.
//     A lookup that sees a key this process did not write, or a commit
//     that finds one, drops the whole cache. The key is queried again only
//     after a commit by anyone (see walWatch).
type pcCache struct {
	mu      sync.Mutex
	max     int               // entries kept at most
	ver     map[string]uint64 // per patient, bumped by commits
	gen     uint64            // bumped when the whole cache is dropped
	ownVPK  int64             // largest versions key this process has written or seen
	pending int64             // largest key of a commit under way (0: none)
	// inflight counts, per patient, commits under way that touch them:
	// between such a commit becoming visible and its bookkeeping, the
	// patient's context is loaded fresh and not cached.
	inflight map[string]int
	entries  map[string]pcEntry
	// next holds, per patient of the commit under way, the successor of
	// its entry (see above), installed by committed.
	next  map[string]pcEntry
	moved int64 // successors installed (tests)
}

// dropAll empties the cache (after Relabel rewrote what contexts hold).
func (c *pcCache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	clear(c.next)
}

// touch is a patient whose compartment a commit changed (txWriter.touch).
// A neutral one changes only the latest time of one source, org, to at
// (ms) at the most.
type touch struct {
	patient string
	neutral bool
	org     string
	at      int64
}

type pcEntry struct {
	pc       *store.PatientContext
	ver, gen uint64
}

func newPCCache(max int) *pcCache {
	return &pcCache{max: max, ver: map[string]uint64{}, entries: map[string]pcEntry{}, inflight: map[string]int{},
		next: map[string]pcEntry{}}
}

// get returns a cached context, or the stamps to store a fresh one with.
func (c *pcCache) get(id string, latestVPK int64) (pc *store.PatientContext, ver, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if latestVPK > max(c.ownVPK, c.pending) {
		c.dropLocked(latestVPK) // someone else wrote
	}
	if c.inflight[id] > 0 {
		return nil, 0, noCache
	}
	e, ok := c.entries[id]
	if ok && e.ver == c.ver[id] && e.gen == c.gen {
		return e.pc, 0, 0
	}
	return nil, c.ver[id], c.gen
}

// generation is the cache's generation once every versions key up to
// latestVPK is accounted for: a key another process wrote drops the
// cache, moving it.
func (c *pcCache) generation(latestVPK int64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if latestVPK > max(c.ownVPK, c.pending) {
		c.dropLocked(latestVPK)
	}
	return c.gen
}

// noCache: a generation no cache ever has, so put keeps nothing.
const noCache = ^uint64(0)

func (c *pcCache) put(id string, pc *store.PatientContext, ver, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ver != c.ver[id] || gen != c.gen {
		return // changed while loading
	}
	c.keep(id, pcEntry{pc: pc, ver: ver, gen: gen})
}

func (c *pcCache) keep(id string, e pcEntry) {
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.max {
		for k := range c.entries { // evict one, any
			delete(c.entries, k)
			break
		}
	}
	c.entries[id] = e
}

// committing announces a commit about to become visible. Its patients'
// cached contexts go now, and until committed or failed their contexts
// are loaded fresh, never cached: a lookup after the commit is visible but
// before its bookkeeping must not use the context from before it (a
// consent and the data it withholds may land in the same commit).
// Its keys are announced too, so that a lookup that sees them first does
// not take them for another process's writes and drop the whole cache
// (with writes every few milliseconds, that emptied it constantly).
// foundVPK is the largest key the transaction saw before writing, wroteVPK
// the largest it wrote. No other process can commit while this transaction
// holds the write lock.
func (c *pcCache) committing(touched []touch, foundVPK, wroteVPK int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if foundVPK > c.ownVPK {
		c.dropLocked(foundVPK) // another process wrote before this transaction
	}
	clear(c.next)
	// Per patient whose entry was current before this commit (checked at
	// their first touch, before it bumps their version): that entry and the
	// new times of its sources; dropped at the first touch that is not
	// neutral.
	type successor struct {
		from   *store.PatientContext
		latest map[string]int64
	}
	var succ map[string]*successor
	for _, t := range touched {
		if e, ok := c.entries[t.patient]; ok && e.ver == c.ver[t.patient] && e.gen == c.gen {
			if succ == nil {
				succ = map[string]*successor{}
			}
			succ[t.patient] = &successor{from: e.pc, latest: map[string]int64{}}
		}
		if s := succ[t.patient]; s != nil {
			if t.neutral {
				s.latest[t.org] = max(s.latest[t.org], t.at)
			} else {
				delete(succ, t.patient)
			}
		}
		c.inflight[t.patient]++
		c.ver[t.patient]++
		delete(c.entries, t.patient)
	}
	for p, s := range succ {
		c.next[p] = pcEntry{pc: withSources(s.from, s.latest), ver: c.ver[p], gen: c.gen}
	}
	c.pending = wroteVPK
}

// withSources is pc with the given sources' latest times moved forward.
// pc itself is shared with requests, so it is copied, not changed; the
// copy starts with an empty Memo (it holds the sources) and shares pc's
// Stable (the same Patient and Links).
func withSources(pc *store.PatientContext, latest map[string]int64) *store.PatientContext {
	out := &store.PatientContext{Patient: pc.Patient, Links: pc.Links, Sources: maps.Clone(pc.Sources), Stable: pc.Stable}
	if out.Sources == nil {
		out.Sources = map[string]time.Time{}
	}
	for org, ms := range latest {
		if t := time.UnixMilli(ms).UTC(); t.After(out.Sources[org]) {
			out.Sources[org] = t
		}
	}
	return out
}

// failed: the announced commit did not happen. Another process may commit
// keys up to the announced ones from now on, so the cache starts afresh.
func (c *pcCache) failed(touched []touch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.next)
	c.landed(touched)
	c.pending = 0
	c.dropLocked(c.ownVPK)
}

func (c *pcCache) landed(touched []touch) {
	for _, t := range touched {
		if c.inflight[t.patient]--; c.inflight[t.patient] <= 0 {
			delete(c.inflight, t.patient)
		}
	}
}

// committed records that the commit announced by committing is visible:
// its keys, up to wroteVPK, are this process's own from now on. committing
// already dropped what other processes wrote before it and invalidated
// the patients, whose contexts were not cached since; those with a
// successor get it now, unless the cache was dropped in between.
func (c *pcCache) committed(touched []touch, wroteVPK int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.landed(touched)
	c.pending = 0
	c.ownVPK = max(c.ownVPK, wroteVPK)
	for p, e := range c.next {
		if e.ver == c.ver[p] && e.gen == c.gen && c.inflight[p] == 0 {
			c.keep(p, e)
			c.moved++
		}
	}
	clear(c.next)
	if len(c.ver) > 4*c.max { // versions of long-evicted patients
		c.dropLocked(c.ownVPK)
	}
}

func (c *pcCache) dropLocked(vpk int64) {
	c.gen++
	clear(c.entries)
	clear(c.ver) // safe: gen changed, so no older entry can match
	c.ownVPK = max(c.ownVPK, vpk)
}

// cachedPatientContext wraps the loader with the cache.
func (db *DB) cachedPatientContext(ctx context.Context, id string, load func() (*store.PatientContext, error)) (*store.PatientContext, error) {
	latest, err := db.latestVPK(ctx)
	if err != nil {
		return nil, err
	}
	pc, ver, gen := db.pcc.get(id, latest)
	if pc != nil {
		return pc, nil
	}
	if pc, err = load(); err != nil {
		return nil, err
	}
	db.pcc.put(id, pc, ver, gen)
	return pc, nil
}

// latestVPK is the versions table's largest key. It is queried only when
// something committed since the last query (walWatch): under reads alone,
// a request's sharing decision needs no query to know its cache is fresh.
func (db *DB) latestVPK(ctx context.Context) (int64, error) {
	v, hit, hdr, ok := db.wal.cached()
	if hit {
		return v, nil
	}
	var latest int64
	if err := db.stMaxVPK.QueryRowContext(ctx).Scan(&latest); err != nil {
		return 0, err
	}
	if ok {
		db.wal.remember(hdr, latest)
	}
	return latest, nil
}
